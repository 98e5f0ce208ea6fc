/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <time.h>

#include "basic/util.h"
#include "crypto/openssl-dl.h"

static _noreturn_ void oom(void) {
        static const char msg[] = "buildward: error: out of memory; free memory on this host and retry\n";
        (void) !write(STDERR_FILENO, msg, sizeof(msg) - 1);
        abort();
}

void *xmalloc(size_t n) {
        void *p = malloc(n ? n : 1);
        if (!p)
                oom();
        return p;
}

void *xcalloc(size_t n, size_t m) {
        void *p = calloc(n ? n : 1, m ? m : 1);
        if (!p)
                oom();
        return p;
}

char *xstrdup(const char *s) {
        char *p = strdup(s);
        if (!p)
                oom();
        return p;
}

char *xasprintf(const char *fmt, ...) {
        va_list ap;
        char *p;
        va_start(ap, fmt);
        int r = vasprintf(&p, fmt, ap);
        va_end(ap);
        if (r < 0)
                oom();
        return p;
}

void strv_free(char **v) {
        if (!v)
                return;
        for (char **i = v; *i; i++)
                free(*i);
        free(v);
}

size_t strv_length(char *const *v) {
        size_t n = 0;
        while (v && v[n])
                n++;
        return n;
}

int strv_push(char ***v, char *s) {
        size_t n = strv_length(*v);
        char **nv = realloc(*v, sizeof(char *) * (n + 2));
        if (!nv)
                oom();
        nv[n] = s;
        nv[n + 1] = NULL;
        *v = nv;
        return 0;
}

char **strv_copy(char *const *v) {
        size_t n = strv_length(v);
        char **c = xcalloc(n + 1, sizeof(char *));
        for (size_t i = 0; i < n; i++)
                c[i] = xstrdup(v[i]);
        return c;
}

int loop_write(int fd, const void *buf, size_t n) {
        const char *p = buf;
        while (n > 0) {
                ssize_t k = write(fd, p, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

int loop_read_exact(int fd, void *buf, size_t n) {
        char *p = buf;
        while (n > 0) {
                ssize_t k = read(fd, p, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        return -EPIPE;
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

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

const char *errno_name(int err) {
        const char *n = strerrorname_np(err < 0 ? -err : err);
        return n ? n : "E?";
}

uint64_t now_usec(clockid_t clock) {
        struct timespec ts;
        clock_gettime(clock, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}

/*
 * The UTC calendar date of DAYS days after 1970-01-01, from the proleptic
 * Gregorian calendar's 400-year cycle (146097 days), counted in eras that
 * start on March 1 so that the leap day ends a year. Not gmtime(): glibc's
 * reads /etc/localtime through tzset() even for UTC, 0.2 ms of every report.
 */
static void civil_from_days(uint64_t days, unsigned *ret_year, unsigned *ret_month, unsigned *ret_day) {
        uint64_t z = days + 719468; /* days since 0000-03-01 */
        uint64_t era = z / 146097;
        unsigned doe = (unsigned) (z - era * 146097);                         /* day of the era */
        unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* year of the era */
        unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* day of the year, from March */
        unsigned mp = (5 * doy + 2) / 153;                                    /* month, March = 0 */
        *ret_day = doy - (153 * mp + 2) / 5 + 1;
        *ret_month = mp < 10 ? mp + 3 : mp - 9;
        *ret_year = (unsigned) (yoe + era * 400) + (*ret_month <= 2);
}

/* The inverse: days from 1970-01-01 to YEAR-MONTH-DAY (YEAR >= 1970; a day past the month's end runs on). */
static uint64_t days_from_civil(unsigned year, unsigned month, unsigned day) {
        unsigned y = year - (month <= 2), era = y / 400, yoe = y - era * 400;
        unsigned doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
        return (uint64_t) era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

void format_rfc3339(uint64_t realtime_usec, char *buf, size_t n) {
        uint64_t secs = realtime_usec / 1000000ULL;
        unsigned y, mo, d, sod = (unsigned) (secs % 86400);
        civil_from_days(secs / 86400, &y, &mo, &d);
        snprintf(buf, n, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", y, mo, d, sod / 3600, sod / 60 % 60, sod % 60,
                 (unsigned) ((realtime_usec / 1000ULL) % 1000ULL));
}

/*
 * The read buffer comes from the heap, not from thread-local storage: a big TLS
 * block is zeroed at every exec and every thread start, and paid for at every
 * fork, by all of buildward's commands whether they hash or not.
 */
int digest_fd(int fd, const char *md_name, int copy_fd, uint64_t copy_max, char *ret_hex, uint64_t *ret_size) {
        enum { BUF_SIZE = 1 << 16 }; /* below malloc's mmap threshold: reused, not mapped per call */
        int r = dlopen_libcrypto();
        if (r < 0)
                return r;
        _cleanup_free_ char *buf = malloc(BUF_SIZE);
        EVP_MD *md = sym_EVP_MD_fetch(NULL, md_name, NULL);
        EVP_MD_CTX *ctx = sym_EVP_MD_CTX_new();
        if (!buf || !md || !ctx || sym_EVP_DigestInit_ex2(ctx, md, NULL) != 1) {
                sym_EVP_MD_CTX_free(ctx);
                sym_EVP_MD_free(md);
                return -ENOMEM;
        }
        uint64_t total = 0;
        for (;;) {
                ssize_t k = read(fd, buf, BUF_SIZE);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        r = -errno;
                        break;
                }
                if (k == 0)
                        break;
                sym_EVP_DigestUpdate(ctx, buf, (size_t) k);
                if (copy_fd >= 0 && total < copy_max) {
                        uint64_t w = (uint64_t) k < copy_max - total ? (uint64_t) k : copy_max - total;
                        r = loop_write(copy_fd, buf, (size_t) w);
                        if (r < 0)
                                break;
                }
                total += (uint64_t) k;
        }
        unsigned char d[EVP_MAX_MD_SIZE];
        unsigned dl = 0;
        sym_EVP_DigestFinal_ex(ctx, d, &dl);
        sym_EVP_MD_CTX_free(ctx);
        sym_EVP_MD_free(md);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < dl; i++)
                snprintf(ret_hex + 2 * i, 3, "%02x", d[i]);
        if (ret_size)
                *ret_size = total;
        return 0;
}

int sha256_fd(int fd, char ret_hex[65], uint64_t *ret_size) {
        return digest_fd(fd, "SHA256", -EBADF, 0, ret_hex, ret_size);
}

int parse_rfc3339(const char *s, uint64_t *ret_usec) {
        struct tm tm = {};
        const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
        if (!p)
                return -EINVAL;
        uint64_t frac = 0, scale = 1000000;
        if (*p == '.') {
                p++;
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                for (; *p >= '0' && *p <= '9'; p++)
                        if (scale > 1) {
                                scale /= 10;
                                frac += (uint64_t) (*p - '0') * scale;
                        }
        }
        if (strcmp(p, "Z") != 0 || tm.tm_year < 70)
                return -EINVAL;
        /* Not timegm(): like gmtime() it reads /etc/localtime (format_rfc3339()). */
        uint64_t t =
                days_from_civil((unsigned) tm.tm_year + 1900, (unsigned) tm.tm_mon + 1, (unsigned) tm.tm_mday) * 86400 +
                (unsigned) tm.tm_hour * 3600 + (unsigned) tm.tm_min * 60 + (unsigned) tm.tm_sec;
        *ret_usec = t * 1000000 + frac;
        return 0;
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
