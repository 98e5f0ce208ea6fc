/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <sys/stat.h>

#include "basic/nofollow.h"
#include "basic/util.h"

int open_dir_nofollow(const char *path, mode_t mode, char **ret_culprit) {
        if (ret_culprit)
                *ret_culprit = NULL;
        if (!path || !*path)
                return -EINVAL;
        _cleanup_free_ char *copy = xstrdup(path);
        _cleanup_close_ int fd = open(*path == '/' ? "/" : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        char *save = NULL;
        for (char *comp = strtok_r(copy, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
                if (streq(comp, "."))
                        continue;
                int nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (nfd < 0 && errno == ENOENT) {
                        if (mkdirat(fd, comp, mode) < 0 && errno != EEXIST)
                                return -errno;
                        nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                }
                if (nfd < 0) {
                        int r = -errno;
                        struct stat s;
                        /* O_NOFOLLOW|O_DIRECTORY on a symlink: ELOOP, or ENOTDIR on some kernels. */
                        if ((r == -ELOOP || r == -ENOTDIR) && fstatat(fd, comp, &s, AT_SYMLINK_NOFOLLOW) == 0)
                                r = S_ISLNK(s.st_mode) ? -ELOOP : -ENOTDIR;
                        if (ret_culprit && (r == -ELOOP || r == -ENOTDIR)) {
                                /* The given path up to and including this component. */
                                size_t end = (size_t) (comp - copy) + strlen(comp);
                                *ret_culprit = strndup(path, end);
                        }
                        return r;
                }
                close(fd);
                fd = nfd;
        }
        return TAKE_FD(fd);
}
