/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define ELEMENTSOF(x)  (sizeof(x) / sizeof((x)[0]))
#define _cleanup_(f)   __attribute__((cleanup(f)))
#define _unused_       __attribute__((unused))
#define _noreturn_     __attribute__((noreturn))
#define _printf_(a, b) __attribute__((format(printf, a, b)))

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

void strv_free(char **v);
static inline void strv_freep(char ***v) {
        strv_free(*v);
}
#define _cleanup_strv_free_ _cleanup_(strv_freep)

/* Ownership transfer out of a cleanup variable. */
#define TAKE_PTR(p)                                                                                                    \
        ({                                                                                                             \
                __typeof__(p) _t = (p);                                                                                \
                (p) = NULL;                                                                                            \
                _t;                                                                                                    \
        })
#define TAKE_FD(fd)                                                                                                    \
        ({                                                                                                             \
                int _t = (fd);                                                                                         \
                (fd) = -EBADF;                                                                                         \
                _t;                                                                                                    \
        })

static inline bool streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}
static inline bool streq_ptr(const char *a, const char *b) {
        return a && b ? streq(a, b) : a == b;
}
static inline const char *startswith(const char *s, const char *prefix) {
        size_t l = strlen(prefix);
        return strncmp(s, prefix, l) == 0 ? s + l : NULL;
}

/* S's tail when it ends with SUFFIX, else NULL. */
static inline const char *endswith(const char *s, const char *suffix) {
        size_t n = strlen(s), k = strlen(suffix);
        return n >= k && memcmp(s + n - k, suffix, k) == 0 ? s + n - k : NULL;
}

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) _printf_(1, 2);

/* strv: NULL-terminated, heap-owned string arrays. */
size_t strv_length(char *const *v);
int strv_push(char ***v, char *s); /* takes ownership of s */
char **strv_copy(char *const *v);

/* Whole-file helpers: return 0 or -errno. */
int write_file_at(int dirfd, const char *path, const char *data, int flags, mode_t mode);
int write_string_file(const char *path, const char *s);
int read_full_file(const char *path, char **ret, size_t *ret_size, size_t max);
int read_full_fd(int fd, char **ret, size_t *ret_size, size_t max);

/* Writes all of buf or fails; retries on EINTR and short writes. */
int loop_write(int fd, const void *buf, size_t n);
/* Reads exactly n bytes (0), or returns -EPIPE on early EOF, -errno on error. */
int loop_read_exact(int fd, void *buf, size_t n);

int mkdir_p(const char *path, mode_t mode);

/*
 * A directory stream of its own on NAME below DIR_FD ("." for DIR_FD itself),
 * never following a final symlink. NULL with errno set on failure.
 */
DIR *opendir_at(int dir_fd, const char *name);
static inline bool dot_or_dotdot(const char *n) {
        return n[0] == '.' && (n[1] == 0 || (n[1] == '.' && n[2] == 0));
}
const char *errno_name(int err);
uint64_t now_usec(clockid_t clock);
void format_rfc3339(uint64_t realtime_usec, char *buf, size_t n);
/*
 * Reads FD to its end into the digest OpenSSL calls MD_NAME ("SHA256", "MD5";
 * hex into RET_HEX, 2 * digest size + 1 bytes), copying the first COPY_MAX
 * bytes to COPY_FD when it is >= 0. Loads libcrypto (crypto/openssl-dl.h).
 */
int digest_fd(int fd, const char *md_name, int copy_fd, uint64_t copy_max, char *ret_hex, uint64_t *ret_size);
int sha256_fd(int fd, char ret_hex[65], uint64_t *ret_size);
/* The lexical normal form of an absolute PATH: no "//", "." or ".." components ("/" at least). */
char *path_normalize(const char *path);
/* The last component of PATH ("" for "dir/"); PATH itself when it has no '/'. */
const char *path_basename(const char *path);
/* Parses what format_rfc3339() writes (fraction optional, "Z" only). 0 or -EINVAL. */
int parse_rfc3339(const char *s, uint64_t *ret_usec);
