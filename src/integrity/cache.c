/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "basic/util.h"
#include "crypto/openssl-dl.h"
#include "integrity/cache.h"

#define CACHE_MAGIC   "buildward-digest-cache 1\n"
#define CACHE_FILE    "digests"
#define KEY_FILE      "key"
#define KEY_SIZE      32
#define CACHE_MAX     (512U << 20)
#define RACY_NS       1000000000LL
#define HMAC_LINE_LEN (12 + 64 + 1) /* "hmac-sha256 " HEX "\n" */

struct cache_entry {
        struct file_id id;
        uint8_t digest[VERITY_DIGEST_SIZE];
};

struct digest_cache {
        pthread_mutex_t lock;
        int dir_fd;
        uint8_t key[KEY_SIZE];
        int64_t opened_ns;
        struct cache_entry *v;
        size_t n, cap;
        size_t *table; /* by (dev, ino): index + 1 */
        size_t table_size;
        bool dirty;
};

const char *digest_cache_dir(void) {
        const char *e = getenv("BUILDWARD_CACHE_DIR");
        return e && *e ? e : DIGEST_CACHE_DEFAULT_DIR;
}

void digest_cache_free(struct digest_cache *c) {
        if (!c)
                return;
        closep(&c->dir_fd);
        sym_OPENSSL_cleanse(c->key, sizeof(c->key));
        free(c->v);
        free(c->table);
        pthread_mutex_destroy(&c->lock);
        free(c);
}

static size_t slot(const struct digest_cache *c, const struct file_id *id) {
        uint64_t h = (id->dev * 0x9e3779b97f4a7c15ULL) ^ (id->ino * 0xc2b2ae3d27d4eb4fULL);
        size_t b = (size_t) (h ^ (h >> 29)) & (c->table_size - 1);
        while (c->table[b] && (c->v[c->table[b] - 1].id.dev != id->dev || c->v[c->table[b] - 1].id.ino != id->ino))
                b = (b + 1) & (c->table_size - 1);
        return b;
}

static void rehash(struct digest_cache *c) {
        free(c->table);
        c->table_size = 64;
        while (c->table_size < 2 * c->cap)
                c->table_size *= 2;
        c->table = xcalloc(c->table_size, sizeof(size_t));
        for (size_t i = 0; i < c->n; i++)
                c->table[slot(c, &c->v[i].id)] = i + 1;
}

/* Room for at least CAP entries. Lock held. */
static void reserve(struct digest_cache *c, size_t cap) {
        if (cap <= c->cap)
                return;
        c->cap = cap;
        c->v = realloc(c->v, c->cap * sizeof(*c->v));
        if (!c->v)
                abort();
        rehash(c);
}

/* Inserts or replaces the entry of ID's (dev, ino). Lock held. */
static void insert(struct digest_cache *c, const struct file_id *id, const uint8_t d[VERITY_DIGEST_SIZE]) {
        if (c->n == c->cap)
                reserve(c, c->cap ? 2 * c->cap : 1024);
        size_t b = slot(c, id);
        if (!c->table[b]) {
                c->table[b] = ++c->n;
        }
        struct cache_entry *e = &c->v[c->table[b] - 1];
        e->id = *id;
        memcpy(e->digest, d, VERITY_DIGEST_SIZE);
}

/* FD must be ours; a file must also be mode 0600 with one link, a directory closed to others' writes. */
static int check_owned(int fd, bool dir, const char *what, char **ret_why) {
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        const char *bad = NULL;
        if (st.st_uid != geteuid())
                bad = "is owned by another user";
        else if (dir && !S_ISDIR(st.st_mode))
                bad = "is not a directory";
        else if (dir && (st.st_mode & 022))
                bad = "is writable by group or others";
        else if (!dir && !S_ISREG(st.st_mode))
                bad = "is not a regular file";
        else if (!dir && (st.st_mode & 07777) != 0600)
                bad = "is not mode 0600";
        else if (!dir && st.st_nlink != 1)
                bad = "has more than one hard link";
        if (!bad)
                return 0;
        if (ret_why)
                *ret_why = xasprintf("'%s' %s (uid %u, mode %04o)", what, bad, (unsigned) st.st_uid,
                                     (unsigned) (st.st_mode & 07777));
        return -EPERM;
}

static int load_key(struct digest_cache *c, const char *dir, char **ret_why) {
        _cleanup_free_ char *what = xasprintf("%s/" KEY_FILE, dir);
        _cleanup_close_ int fd = openat(c->dir_fd, KEY_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 && errno == ENOENT) {
                /* First use: a new random key. O_EXCL: a racing creator wins, and we read its key. */
                uint8_t k[KEY_SIZE];
                if (sym_RAND_bytes(k, sizeof(k)) != 1)
                        return -EIO;
                _cleanup_close_ int w =
                        openat(c->dir_fd, KEY_FILE, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (w >= 0) {
                        int r = fchmod(w, 0600) < 0 ? -errno : loop_write(w, k, sizeof(k));
                        sym_OPENSSL_cleanse(k, sizeof(k));
                        if (r < 0 || fsync(w) < 0) {
                                (void) unlinkat(c->dir_fd, KEY_FILE, 0);
                                return r < 0 ? r : -errno;
                        }
                } else if (errno != EEXIST)
                        return -errno;
                fd = openat(c->dir_fd, KEY_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
        }
        if (fd < 0) {
                if (errno == ELOOP && ret_why)
                        *ret_why = xasprintf("'%s' is a symlink", what);
                return errno == ELOOP ? -EPERM : -errno;
        }
        int r = check_owned(fd, false, what, ret_why);
        if (r < 0)
                return r;
        r = loop_read_exact(fd, c->key, sizeof(c->key));
        if (r == -EPIPE) {
                if (ret_why)
                        *ret_why = xasprintf("'%s' is shorter than %d bytes", what, KEY_SIZE);
                return -EPERM;
        }
        return r;
}

static void compute_hmac(const struct digest_cache *c, const char *data, size_t n, uint8_t out[32]) {
        unsigned len = 32;
        sym_HMAC(sym_EVP_sha256(), c->key, sizeof(c->key), (const unsigned char *) data, n, out, &len);
}

/* "DEV INO SIZE MTIME CTIME BTIME sha256:HEX": strtoull, not sscanf, which costs 10 ms per 10000 lines. */
static int parse_line(const char *line, struct file_id *id, uint8_t d[VERITY_DIGEST_SIZE]) {
        uint64_t f[6];
        const char *p = line;
        for (unsigned i = 0; i < 6; i++) {
                char *end;
                errno = 0;
                f[i] = i < 3 ? strtoull(p, &end, 10) : (uint64_t) strtoll(p, &end, 10);
                if (errno || end == p || *end != ' ')
                        return -EBADMSG;
                p = end + 1;
        }
        *id = (struct file_id){ f[0], f[1], f[2], (int64_t) f[3], (int64_t) f[4], (int64_t) f[5] };
        return verity_parse(p, d) < 0 ? -EBADMSG : 0;
}

/* Verifies and parses DIR/digests; a missing file is an empty cache. */
static int load_entries(struct digest_cache *c, const char *dir, char **ret_why) {
        _cleanup_free_ char *what = xasprintf("%s/" CACHE_FILE, dir);
        _cleanup_close_ int fd = openat(c->dir_fd, CACHE_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                if (errno == ENOENT)
                        return 0;
                if (errno == ELOOP && ret_why)
                        *ret_why = xasprintf("'%s' is a symlink", what);
                return errno == ELOOP ? -EPERM : -errno;
        }
        int r = check_owned(fd, false, what, ret_why);
        if (r < 0)
                return r;
        _cleanup_free_ char *data = NULL;
        size_t n;
        r = read_full_fd(fd, &data, &n, CACHE_MAX);
        if (r < 0)
                return r;
        uint8_t want[32], got[32];
        bool ok = n >= strlen(CACHE_MAGIC) + HMAC_LINE_LEN && memcmp(data, CACHE_MAGIC, strlen(CACHE_MAGIC)) == 0 &&
                  memcmp(data + n - HMAC_LINE_LEN, "hmac-sha256 ", 12) == 0 && data[n - 1] == '\n';
        for (size_t i = 0; ok && i < 32; i++) {
                unsigned byte;
                ok = sscanf(data + n - HMAC_LINE_LEN + 12 + 2 * i, "%2x", &byte) == 1;
                want[i] = (uint8_t) byte;
        }
        if (ok) {
                compute_hmac(c, data, n - HMAC_LINE_LEN, got);
                ok = sym_CRYPTO_memcmp(want, got, 32) == 0;
        }
        if (!ok) {
                if (ret_why)
                        *ret_why = xasprintf("'%s' fails its HMAC check: it was edited, truncated or copied from "
                                             "another host",
                                             what);
                return -EBADMSG;
        }
        data[n - HMAC_LINE_LEN] = 0;
        size_t lines = 0;
        for (const char *p = data; (p = strchr(p, '\n')); p++)
                lines++;
        reserve(c, lines); /* one array and one hash table, not a doubling series of both */
        for (char *line = data + strlen(CACHE_MAGIC); *line;) {
                char *nl = strchr(line, '\n');
                struct file_id id;
                uint8_t d[VERITY_DIGEST_SIZE];
                if (!nl)
                        return -EBADMSG;
                *nl = 0;
                if (parse_line(line, &id, d) < 0) {
                        if (ret_why)
                                *ret_why = xasprintf("'%s' has a malformed line under a valid HMAC", what);
                        return -EBADMSG;
                }
                insert(c, &id, d);
                line = nl + 1;
        }
        return 0;
}

int digest_cache_open(const char *dir, unsigned flags, struct digest_cache **ret, char **ret_why) {
        int r = dlopen_libcrypto();
        if (r < 0)
                return r;
        if (!dir)
                dir = digest_cache_dir();
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return -errno;
        struct digest_cache *c = xcalloc(1, sizeof(*c));
        _cleanup_(digest_cache_freep) struct digest_cache *cleanup = c;
        pthread_mutex_init(&c->lock, NULL);
        c->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (c->dir_fd < 0) {
                if ((errno == ELOOP || errno == ENOTDIR) && ret_why)
                        *ret_why = xasprintf("'%s' is not a directory", dir);
                return errno == ELOOP || errno == ENOTDIR ? -EPERM : -errno;
        }
        r = check_owned(c->dir_fd, true, dir, ret_why);
        if (r < 0 || (r = load_key(c, dir, ret_why)) < 0)
                return r;
        c->opened_ns = (int64_t) now_usec(CLOCK_REALTIME) * 1000;
        rehash(c);
        if (!(flags & DIGEST_CACHE_FRESH) && (r = load_entries(c, dir, ret_why)) < 0)
                return r;
        c->dirty = flags & DIGEST_CACHE_FRESH;
        *ret = TAKE_PTR(cleanup);
        return 0;
}

struct digest_cache *digest_cache_new_memory(void) {
        struct digest_cache *c = xcalloc(1, sizeof(*c));
        pthread_mutex_init(&c->lock, NULL);
        c->dir_fd = -EBADF;
        c->opened_ns = (int64_t) now_usec(CLOCK_REALTIME) * 1000;
        rehash(c);
        return c;
}

bool digest_cache_is_memory(const struct digest_cache *c) {
        return c->dir_fd < 0;
}

bool digest_cache_lookup(struct digest_cache *c, const struct file_id *id, uint8_t ret[VERITY_DIGEST_SIZE]) {
        pthread_mutex_lock(&c->lock);
        size_t b = slot(c, id);
        const struct cache_entry *e = c->table[b] ? &c->v[c->table[b] - 1] : NULL;
        bool hit = e && e->id.size == id->size && e->id.mtime_ns == id->mtime_ns && e->id.ctime_ns == id->ctime_ns &&
                   e->id.btime_ns == id->btime_ns;
        if (hit)
                memcpy(ret, e->digest, VERITY_DIGEST_SIZE);
        pthread_mutex_unlock(&c->lock);
        return hit;
}

void digest_cache_put(struct digest_cache *c, const struct file_id *id, const uint8_t d[VERITY_DIGEST_SIZE]) {
        if (id->ctime_ns > c->opened_ns - RACY_NS)
                return;
        pthread_mutex_lock(&c->lock);
        insert(c, id, d);
        c->dirty = true;
        pthread_mutex_unlock(&c->lock);
}

int digest_cache_save(struct digest_cache *c) {
        if (c->dir_fd < 0) /* memory only */
                return 0;
        pthread_mutex_lock(&c->lock);
        if (!c->dirty) {
                pthread_mutex_unlock(&c->lock);
                return 0;
        }
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        if (!f) {
                pthread_mutex_unlock(&c->lock);
                return -ENOMEM;
        }
        fputs(CACHE_MAGIC, f);
        for (size_t i = 0; i < c->n; i++) {
                const struct cache_entry *e = &c->v[i];
                char hex[VERITY_DIGEST_HEX];
                verity_format(e->digest, hex);
                fprintf(f, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRId64 " %" PRId64 " %" PRId64 " %s\n", e->id.dev,
                        e->id.ino, e->id.size, e->id.mtime_ns, e->id.ctime_ns, e->id.btime_ns, hex);
        }
        c->dirty = false;
        pthread_mutex_unlock(&c->lock);
        if (fflush(f) != 0) {
                fclose(f);
                free(buf);
                return -ENOMEM;
        }
        uint8_t mac[32];
        compute_hmac(c, buf, size, mac);
        fputs("hmac-sha256 ", f);
        for (unsigned i = 0; i < 32; i++)
                fprintf(f, "%02x", mac[i]);
        fputc('\n', f);
        int r = fclose(f) == 0 ? 0 : -ENOMEM;
        _cleanup_free_ char *data = buf;
        if (r < 0)
                return r;
        /* A temporary file in DIR, then rename: readers see the old cache or the whole new one. */
        char tmp[] = ".digests.XXXXXX";
        _cleanup_close_ int fd = -EBADF;
        for (int tries = 0; fd < 0 && tries < 100; tries++) {
                static const char az[] = "abcdefghijklmnopqrstuvwxyz0123456789";
                uint8_t rnd[6];
                if (sym_RAND_bytes(rnd, sizeof(rnd)) != 1)
                        return -EIO;
                for (unsigned i = 0; i < 6; i++)
                        tmp[9 + i] = az[rnd[i] % (sizeof(az) - 1)];
                fd = openat(c->dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (fd < 0 && errno != EEXIST)
                        return -errno;
        }
        if (fd < 0)
                return -EEXIST;
        r = fchmod(fd, 0600) < 0 ? -errno : loop_write(fd, data, strlen(data));
        if (r == 0 && renameat(c->dir_fd, tmp, c->dir_fd, CACHE_FILE) < 0)
                r = -errno;
        if (r < 0)
                (void) unlinkat(c->dir_fd, tmp, 0);
        return r;
}
