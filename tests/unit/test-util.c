/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
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
