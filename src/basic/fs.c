/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/alloc.h"
#include "basic/fd.h"
#include "basic/fs.h"

int write_file_at(int dirfd, const char *path, const char *data, int flags, mode_t mode) {
        _cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY | flags, mode);
        if (fd < 0)
                return -errno;
        return loop_write(fd, data, strlen(data));
}

int write_string_file(const char *path, const char *s) {
        return write_file_at(AT_FDCWD, path, s, 0, 0);
}

int read_full_fd(int fd, char **ret, size_t *ret_size, size_t max) {
        /*
         * A regular file's size is known: one buffer of that size (plus the
         * byte that sees EOF), rather than doubling from 4 KiB and copying each
         * time, which for a 1 MB manifest faulted in twice the memory it needed.
         */
        struct stat st;
        size_t cap = 4096, len = 0;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && (uint64_t) st.st_size < max)
                cap = (size_t) st.st_size + 2;
        _cleanup_free_ char *buf = xmalloc(cap);
        for (;;) {
                if (len + 1 >= cap) {
                        if (cap >= max)
                                return -EFBIG;
                        cap *= 2;
                        char *nb = realloc(buf, cap);
                        if (!nb)
                                return -ENOMEM;
                        buf = nb;
                }
                ssize_t k = read(fd, buf + len, cap - len - 1);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
        }
        buf[len] = 0;
        if (ret_size)
                *ret_size = len;
        *ret = TAKE_PTR(buf);
        return 0;
}

int read_fd_prefix(int fd, size_t max, char **ret, size_t *ret_size) {
        size_t len = 0;
        _cleanup_free_ char *buf = xmalloc(max + 1);
        while (len < max) {
                ssize_t k = read(fd, buf + len, max - len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
        }
        buf[len] = 0;
        if (ret_size)
                *ret_size = len;
        *ret = TAKE_PTR(buf);
        return 0;
}

int read_full_file(const char *path, char **ret, size_t *ret_size, size_t max) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        return read_full_fd(fd, ret, ret_size, max);
}

int mkdir_p(const char *path, mode_t mode) {
        /* The deepest directory first: usually only it is missing. */
        if (mkdir(path, mode) == 0 || errno == EEXIST)
                return 0;
        if (errno != ENOENT)
                return -errno;
        _cleanup_free_ char *parent = xstrdup(path);
        char *slash = strrchr(parent, '/');
        while (slash && slash > parent && slash[1] == 0) { /* "a/b/" */
                *slash = 0;
                slash = strrchr(parent, '/');
        }
        if (!slash || slash == parent)
                return -ENOENT; /* "/x" or "x" failed with ENOENT: nothing above to create */
        *slash = 0;
        int r = mkdir_p(parent, mode);
        if (r < 0)
                return r;
        return mkdir(path, mode) < 0 && errno != EEXIST ? -errno : 0;
}

DIR *opendir_at(int dir_fd, const char *name) {
        int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return NULL;
        DIR *d = fdopendir(fd);
        if (!d) {
                int saved = errno;
                close(fd);
                errno = saved;
        }
        return d;
}

const char *path_basename(const char *path) {
        const char *slash = strrchr(path, '/');
        return slash ? slash + 1 : path;
}

char *path_normalize(const char *path) {
        size_t n = strlen(path);
        char *out = xmalloc(n + 2);
        size_t o = 0;
        const char *p = path;
        while (*p) {
                while (*p == '/')
                        p++;
                size_t l = strcspn(p, "/");
                if (l == 0)
                        break;
                if (l == 1 && p[0] == '.') {
                        /* nothing */
                } else if (l == 2 && p[0] == '.' && p[1] == '.') {
                        while (o > 0 && out[o - 1] != '/')
                                o--;
                        if (o > 0)
                                o--; /* the slash before the dropped component */
                } else {
                        out[o++] = '/';
                        memcpy(out + o, p, l);
                        o += l;
                }
                p += l;
        }
        if (o == 0)
                out[o++] = '/';
        out[o] = 0;
        return out;
}
