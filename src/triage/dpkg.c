/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dpkg's log of unpacks, against which the package check's reference files are checked. */
#include <archive.h>
#include <ctype.h>
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "basic/dl.h"
#include "basic/json-util.h"
#include "basic/util.h"
#include "triage/dpkg.h"
#include "triage/parse.h"

#define DPKG_LOG_MAX  (64U << 20) /* one log, decompressed */
#define DPKG_LOGS_MAX 64          /* rotations read at most */

void dpkg_record_init(struct dpkg_record *r) {
        *r = (struct dpkg_record){
                .unpacked = json_object_new_object(),
                .first = -1,
                .last = -1,
                .logs = json_object_new_object(),
        };
        json_object_object_add(r->logs, "read", json_object_new_array());
        json_object_object_add(r->logs, "unreadable", json_object_new_array());
}

void dpkg_record_done(struct dpkg_record *r) {
        json_object_put(r->unpacked);
        json_object_put(r->logs);
        *r = (struct dpkg_record){ .first = -1, .last = -1 };
}

void dpkg_record_add_log(struct dpkg_record *r, char *text) {
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                struct dpkg_log_line l;
                if (dpkg_log_parse_line(line, &l) < 0)
                        continue;
                struct tm tm = {
                        .tm_year = l.year - 1900,
                        .tm_mon = l.mon - 1,
                        .tm_mday = l.mday,
                        .tm_hour = l.hour,
                        .tm_min = l.min,
                        .tm_sec = l.sec,
                        .tm_isdst = -1,
                };
                time_t t = mktime(&tm);
                if (t == (time_t) -1)
                        continue;
                if (r->first < 0 || t < r->first)
                        r->first = t;
                if (t > r->last)
                        r->last = t;
                if (!l.unpack)
                        continue;
                json_object *prev;
                if (json_object_object_get_ex(r->unpacked, l.pkg, &prev) && json_object_get_int64(prev) >= t)
                        continue;
                /* An in-memory index, never written out: the name as the log has it is the key. */
                json_object_object_add(r->unpacked, l.pkg, json_object_new_int64(t));
        }
}

/*
 * libarchive through dlopen(), as bundle.c loads it, for the rotated
 * dpkg.log.N.gz: the raw format with any filter reads a compressed file.
 */
struct gz_api {
        void *handle;
        DL_FUNC(archive_read_new);
        DL_FUNC(archive_read_support_filter_all);
        DL_FUNC(archive_read_support_format_raw);
        DL_FUNC(archive_read_open_fd);
        DL_FUNC(archive_read_next_header);
        DL_FUNC(archive_read_data);
        DL_FUNC(archive_read_free);
};

static int gz_read(int fd, char **ret) {
        static struct gz_api api;
        static bool tried;
        if (!tried) {
                const struct dl_symbol syms[] = {
                        DL_SYMBOL(api, archive_read_new),
                        DL_SYMBOL(api, archive_read_support_filter_all),
                        DL_SYMBOL(api, archive_read_support_format_raw),
                        DL_SYMBOL(api, archive_read_open_fd),
                        DL_SYMBOL(api, archive_read_next_header),
                        DL_SYMBOL(api, archive_read_data),
                        DL_SYMBOL(api, archive_read_free),
                };
                _cleanup_free_ char *err = NULL;
                api.handle = dl_open_symbols("libarchive.so.13", "libarchive13", syms, ELEMENTSOF(syms), &err);
                tried = true;
        }
        if (!api.handle)
                return -EOPNOTSUPP;
        struct archive *a = api.archive_read_new();
        if (!a)
                return -ENOMEM;
        struct archive_entry *e;
        int r = -EBADMSG;
        size_t n = 0, cap = 0;
        char *buf = NULL;
        if (api.archive_read_support_filter_all(a) != ARCHIVE_OK ||
            api.archive_read_support_format_raw(a) != ARCHIVE_OK ||
            api.archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK || api.archive_read_next_header(a, &e) != ARCHIVE_OK)
                goto out;
        for (;;) {
                GREEDY_REALLOC(buf, cap, n + 65537);
                la_ssize_t k = api.archive_read_data(a, buf + n, 65536);
                if (k < 0)
                        goto out;
                if (k == 0)
                        break;
                n += (size_t) k;
                if (n > DPKG_LOG_MAX) {
                        r = -EFBIG;
                        goto out;
                }
        }
        buf[n] = 0;
        *ret = TAKE_PTR(buf);
        r = 0;
out:
        free(buf);
        api.archive_read_free(a);
        return r;
}

/* The rotation number of a dpkg.log name: 0 for dpkg.log, N for dpkg.log.N[.gz], -1 for others. */
static int rotation(const char *name) {
        if (streq(name, "dpkg.log"))
                return 0;
        const char *s = startswith(name, "dpkg.log.");
        if (!s || !isdigit((unsigned char) *s))
                return -1;
        char *end;
        long v = strtol(s, &end, 10);
        if (v <= 0 || v > DPKG_LOGS_MAX || !(*end == 0 || streq(end, ".gz")))
                return -1;
        return (int) v;
}

/* The image's zone name, from /etc/timezone or the target of /etc/localtime; NULL when neither says. */
static char *image_timezone(struct triage_ctx *c) {
        _cleanup_free_ char *text = NULL;
        char *name = NULL;
        if (triage_read_nocopy(c, "/etc/timezone", 256, &text, NULL) >= 0) {
                text[strcspn(text, " \t\r\n")] = 0;
                name = xstrdup(text);
        } else {
                _cleanup_close_ int fd = triage_open(c, "/etc/localtime", O_PATH | O_NOFOLLOW);
                char link[256];
                ssize_t k = fd >= 0 ? readlinkat(fd, "", link, sizeof(link) - 1) : -1;
                if (k > 0) {
                        link[k] = 0;
                        const char *z = strstr(link, "zoneinfo/");
                        if (z)
                                name = xstrdup(z + strlen("zoneinfo/"));
                }
        }
        /* A zone name, never a path to climb out with: TZ is read from the reader's zoneinfo. */
        if (name &&
            (!*name ||
             strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+-/") != strlen(name) ||
             strstr(name, "..") || name[0] == '/')) {
                free(name);
                name = NULL;
        }
        return name;
}

static void load_logs(struct triage_ctx *c, struct dpkg_record *r) {
        json_object *read = rj_arr(r->logs, "read"), *unreadable = rj_arr(r->logs, "unreadable");
        _cleanup_strv_free_ char **names = triage_list(c, "/var/log");
        for (int want = 0; want <= DPKG_LOGS_MAX; want++) {
                const char *name = NULL;
                for (char **n = names; *n && !name; n++)
                        if (rotation(*n) == want)
                                name = *n;
                if (!name)
                        return; /* the end of the rotations */
                _cleanup_free_ char *path = xasprintf("/var/log/%s", name), *text = NULL;
                int k;
                if (endswith(name, ".gz")) {
                        _cleanup_close_ int fd = triage_open(c, path, O_RDONLY | O_NONBLOCK);
                        k = fd < 0 ? fd : gz_read(fd, &text);
                } else
                        k = triage_read_nocopy(c, path, DPKG_LOG_MAX, &text, NULL);
                if (k < 0) {
                        /* Older rotations would leave a gap: the span ends here. */
                        json_object_array_add(unreadable, json_new_string(path));
                        return;
                }
                json_object_array_add(read, json_new_string(path));
                dpkg_record_add_log(r, text);
        }
}

void dpkg_record_load(struct triage_ctx *c, struct dpkg_record *r) {
        dpkg_record_init(r);
        if (c->live) {
                /* The host's own zone, as dpkg wrote its log with it. */
                json_object_object_add(r->logs, "timezone", json_new_string("local"));
                load_logs(c, r);
                return;
        }
        _cleanup_free_ char *zone = image_timezone(c);
        _cleanup_free_ char *zpath = zone ? xasprintf("/usr/share/zoneinfo/%s", zone) : NULL;
        if (zone && access(zpath, R_OK) < 0) {
                free(zone);
                zone = NULL;
        }
        /*
         * mktime() reads TZ: set for the parse and put back. No other thread
         * runs here (collectors run one after the other; workers come later).
         */
        const char *old = getenv("TZ");
        _cleanup_free_ char *saved = old ? xstrdup(old) : NULL;
        setenv("TZ", zone ? zone : "UTC", 1);
        tzset();
        json_object_object_add(r->logs, "timezone", json_new_string(zone ? zone : "UTC"));
        load_logs(c, r);
        if (saved)
                setenv("TZ", saved, 1);
        else
                unsetenv("TZ");
        tzset();
}

const char *dpkg_info_tampered(const struct dpkg_record *r, const char *pkg, bool md5sums, int64_t ctime,
                               int64_t *ret_reference) {
        if (r->last < 0)
                return NULL; /* no log: nothing to compare with */
        if (!md5sums) {
                *ret_reference = r->last;
                return ctime > r->last + DPKG_LOG_SLACK_S ? "changed after the last dpkg run that dpkg.log records"
                                                          : NULL;
        }
        json_object *t;
        if (json_object_object_get_ex(r->unpacked, pkg, &t)) {
                *ret_reference = json_object_get_int64(t);
                return ctime > json_object_get_int64(t) + DPKG_LOG_SLACK_S
                               ? "changed after dpkg last unpacked the package, as dpkg.log records"
                               : NULL;
        }
        *ret_reference = r->first;
        return ctime > r->first + DPKG_LOG_SLACK_S
                       ? "changed while dpkg.log was kept, yet dpkg.log records no unpack of the package"
                       : NULL;
}
