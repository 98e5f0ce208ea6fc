/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <sys/stat.h>

#include "basic/json-util.h"
#include "basic/util.h"
#include "report/report.h"

int file_write_atomic_at(int dir_fd, const char *name, const void *data, size_t n) {
        _cleanup_free_ char *tmp = xasprintf(".%s.tmp", name);
        (void) unlinkat(dir_fd, tmp, 0);
        _cleanup_close_ int fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        int r = loop_write(fd, data, n);
        if (r >= 0 && renameat(dir_fd, tmp, dir_fd, name) < 0)
                r = -errno;
        if (r < 0)
                (void) unlinkat(dir_fd, tmp, 0);
        return r;
}

int json_write_file_at(int dir_fd, const char *name, json_object *o) {
        const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                                     JSON_C_TO_STRING_NOSLASHESCAPE);
        _cleanup_free_ char *with_nl = xasprintf("%s\n", text);
        return file_write_atomic_at(dir_fd, name, with_nl, strlen(with_nl));
}
