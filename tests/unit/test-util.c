/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "basic/util.h"
#include "tap.h"
#include "test-fs.h"

static mode_t mode_of(const char *path) {
        struct stat st;
        return stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? st.st_mode & 07777 : (mode_t) -1;
}

TEST(mkdir_p_creates_what_is_missing) {
        char *dir = tmpdir();
        mode_t old = umask(0);
        _cleanup_free_ char *deep = xasprintf("%s/a/b/c", dir), *mid = xasprintf("%s/a/b", dir),
                            *top = xasprintf("%s/a", dir), *slash = xasprintf("%s/a/b/d/", dir),
                            *d = xasprintf("%s/a/b/d", dir);
        ASSERT_EQ_INT(mkdir_p(deep, 0750), 0);
        ASSERT_EQ_INT(mode_of(deep), 0750);
        ASSERT_EQ_INT(mode_of(mid), 0750);
        ASSERT_EQ_INT(mode_of(top), 0750);
        ASSERT_EQ_INT(mkdir_p(deep, 0700), 0); /* there already: left as it is */
        ASSERT_EQ_INT(mode_of(deep), 0750);
        ASSERT_EQ_INT(mkdir_p(slash, 01777), 0); /* a trailing slash; the sticky bit is kept */
        ASSERT_EQ_INT(mode_of(d), 01777);
        umask(old);
        cleanup_dir(dir);
}

TEST(mkdir_p_refuses_a_file_in_the_way) {
        char *dir = tmpdir();
        _cleanup_free_ char *file = xasprintf("%s/f", dir), *below = xasprintf("%s/f/x/y", dir),
                            *missing = xasprintf("%s/no/such", dir);
        int fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        ASSERT_TRUE(fd >= 0);
        close(fd);
        ASSERT_EQ_INT(mkdir_p(below, 0755), -ENOTDIR);
        ASSERT_EQ_INT(mkdir_p(file, 0755), 0); /* EEXIST: whatever is there is the caller's to check */
        ASSERT_EQ_INT(mkdir_p(missing, 0755), 0);
        ASSERT_EQ_INT(mode_of(missing) != (mode_t) -1, 1);
        cleanup_dir(dir);
}

TEST(format_rfc3339_agrees_with_gmtime) {
        /* every day from 1970 to 2400 (leap days, 2100 and 2400), at a time of day that moves */
        for (uint64_t day = 0; day < 157000; day++) {
                uint64_t secs = day * 86400 + (day * 7919) % 86400, usec = secs * 1000000ULL + day % 1000 * 1000;
                time_t t = (time_t) secs;
                struct tm tm;
                ASSERT_TRUE(gmtime_r(&t, &tm) != NULL);
                char want[64], got[64];
                snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900, tm.tm_mon + 1,
                         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned) (day % 1000));
                format_rfc3339(usec, got, sizeof(got));
                uint64_t back = 0;
                if (strcmp(want, got) != 0 || parse_rfc3339(got, &back) != 0 || back != usec) {
                        ASSERT_STREQ(got, want);
                        ASSERT_EQ_U64(back, usec);
                        return;
                }
        }
        char b[64];
        format_rfc3339(951782400ULL * 1000000ULL, b, sizeof(b)); /* a leap day of a century year */
        ASSERT_STREQ(b, "2000-02-29T00:00:00.000Z");
        format_rfc3339(0, b, sizeof(b));
        ASSERT_STREQ(b, "1970-01-01T00:00:00.000Z");
        uint64_t back = 0;
        ASSERT_EQ_INT(parse_rfc3339("2000-02-29T00:00:00.000Z", &back), 0);
        ASSERT_EQ_U64(back, 951782400ULL * 1000000ULL);
        ASSERT_EQ_INT(parse_rfc3339("1969-12-31T23:59:59Z", &back), -EINVAL);
        ASSERT_EQ_INT(parse_rfc3339("2026-12-02T20:22:19+01:00", &back), -EINVAL);
        ASSERT_EQ_INT(parse_rfc3339("2026-12-02T20:22:19Z", &back), 0);
        ASSERT_EQ_U64(back, 1796242939ULL * 1000000ULL);
}

TEST(greedy_realloc_grows_and_keeps_contents) {
        int *v = NULL;
        size_t n = 0, cap = 0;
        for (int i = 0; i < 1000; i++) {
                GREEDY_REALLOC(v, cap, n + 1);
                ASSERT_TRUE(cap >= n + 1);
                v[n++] = i;
        }
        for (int i = 0; i < 1000; i++)
                ASSERT_EQ_INT(v[i], i);
        ASSERT_TRUE(cap < 4 * n); /* doubling, not one element at a time beyond need */
        size_t before = cap;
        GREEDY_REALLOC(v, cap, 10); /* already large enough: untouched */
        ASSERT_EQ_U64(cap, before);
        free(v);
}

TEST(safe_close_and_closep_reset_the_fd) {
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        ASSERT_TRUE(fd >= 0);
        errno = 42;
        fd = safe_close(fd);
        ASSERT_EQ_INT(fd, -EBADF);
        ASSERT_EQ_INT(errno, 42);
        ASSERT_EQ_INT(safe_close(fd), -EBADF); /* a second close is a no-op */
        int c = open("/dev/null", O_RDONLY | O_CLOEXEC), copy = c;
        ASSERT_TRUE(c >= 0);
        closep(&c);
        ASSERT_EQ_INT(c, -EBADF);
        ASSERT_TRUE(fcntl(copy, F_GETFD) < 0 && errno == EBADF);
}
