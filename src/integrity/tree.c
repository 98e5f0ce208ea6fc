/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "basic/util.h"
#include "integrity/integrity.h"

#define MAX_DEPTH  256
#define STATX_MASK (STATX_BASIC_STATS | STATX_BTIME)

static char type_of(mode_t m) {
        return S_ISREG(m)    ? 'f'
               : S_ISDIR(m)  ? 'd'
               : S_ISLNK(m)  ? 'l'
               : S_ISCHR(m)  ? 'c'
               : S_ISBLK(m)  ? 'b'
               : S_ISFIFO(m) ? 'p'
                             : 's';
}

void file_id_from_statx(const struct statx *sx, struct file_id *id) {
        *id = (struct file_id){
                .dev = makedev(sx->stx_dev_major, sx->stx_dev_minor),
                .ino = sx->stx_ino,
                .size = sx->stx_size,
                .mtime_ns = sx->stx_mtime.tv_sec * 1000000000LL + sx->stx_mtime.tv_nsec,
                .ctime_ns = sx->stx_ctime.tv_sec * 1000000000LL + sx->stx_ctime.tv_nsec,
                .btime_ns =
                        sx->stx_mask & STATX_BTIME ? sx->stx_btime.tv_sec * 1000000000LL + sx->stx_btime.tv_nsec : 0,
        };
}

void tree_entries_free(struct manifest_entry *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                manifest_entry_done(&v[i]);
        free(v);
}

struct scan {
        struct manifest_entry *v;
        size_t n, cap;
        char *failed;
};

static int walk(struct scan *s, int parent_fd, const char *name, const char *path, unsigned depth) {
        struct statx sx;
        if (statx(parent_fd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_MASK, &sx) < 0) {
                if (errno == ENOENT) /* a missing root, or gone since its directory was read */
                        return 0;
                s->failed = xstrdup(path);
                return -errno;
        }
        if (depth > MAX_DEPTH) {
                s->failed = xstrdup(path);
                return -ELOOP;
        }
        if (s->n == s->cap) {
                s->cap = s->cap ? 2 * s->cap : 1024;
                s->v = realloc(s->v, s->cap * sizeof(*s->v));
                if (!s->v)
                        abort();
        }
        struct manifest_entry *e = &s->v[s->n];
        *e = (struct manifest_entry){
                .type = type_of(sx.stx_mode),
                .mode = sx.stx_mode & 07777,
                .uid = sx.stx_uid,
                .gid = sx.stx_gid,
        };
        file_id_from_statx(&sx, &e->id);
        if (e->type == 'f')
                e->size = sx.stx_size;
        if (e->type == 'l') {
                char buf[PATH_MAX];
                ssize_t k = readlinkat(parent_fd, name, buf, sizeof(buf) - 1);
                if (k <= 0) {
                        s->failed = xstrdup(path);
                        return k < 0 ? -errno : -EINVAL;
                }
                buf[k] = 0;
                e->target = xstrdup(buf);
                e->size = (uint64_t) k;
        }
        e->path = xstrdup(path);
        s->n++;
        if (e->type != 'd')
                return 0;
        DIR *d = opendir_at(parent_fd, name);
        if (!d) {
                if (errno == ENOENT)
                        return 0;
                s->failed = xstrdup(path);
                return -errno;
        }
        int r = 0;
        for (struct dirent *de; r == 0 && (errno = 0, de = readdir(d));) {
                if (dot_or_dotdot(de->d_name))
                        continue;
                _cleanup_free_ char *child = xasprintf("%s/%s", streq(path, "/") ? "" : path, de->d_name);
                r = walk(s, dirfd(d), de->d_name, child, depth + 1);
        }
        if (r == 0 && errno != 0) {
                r = -errno;
                s->failed = xstrdup(path);
        }
        closedir(d);
        return r;
}

int tree_scan(char *const *roots, struct manifest_entry **ret, size_t *ret_n, char **ret_path) {
        struct scan s = {};
        int r = 0;
        for (char *const *root = roots; r == 0 && root && *root; root++)
                r = walk(&s, AT_FDCWD, *root, *root, 0);
        if (r < 0) {
                tree_entries_free(s.v, s.n);
                if (ret_path)
                        *ret_path = TAKE_PTR(s.failed);
                free(s.failed);
                return r;
        }
        qsort(s.v, s.n, sizeof(*s.v), manifest_entry_cmp);
        *ret = s.v;
        *ret_n = s.n;
        return 0;
}

/* Opens PATH for reading with no symlink anywhere on the way: the file the scan saw, or an error. */
static int open_file(const char *path) {
        struct open_how how = {
                .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK,
                .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        int fd = (int) syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
        if (fd < 0 && errno == ENOSYS)
                fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
        return fd < 0 ? -errno : fd;
}

static bool same_version(const struct file_id *a, const struct file_id *b) {
        return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime_ns == b->mtime_ns &&
               a->ctime_ns == b->ctime_ns;
}

int file_digest(struct verity_hasher *h, int fd, const struct file_id *id, struct digest_cache *cache, bool use_cached,
                uint8_t ret[VERITY_DIGEST_SIZE], struct hash_stats *st) {
        if (cache && use_cached && digest_cache_lookup(cache, id, ret)) {
                st->cached++;
                return 0;
        }
        if (verity_measure_kernel(fd, ret) == 0) {
                st->kernel++;
                return 0;
        }
        int r = verity_digest_fd(h, fd, id->size, ret);
        if (r < 0)
                return r;
        struct statx sx;
        struct file_id after;
        if (statx(fd, "", AT_EMPTY_PATH, STATX_MASK, &sx) < 0)
                return -errno;
        file_id_from_statx(&sx, &after);
        if (!same_version(id, &after))
                return -ESTALE;
        if (cache)
                digest_cache_put(cache, id, ret);
        st->hashed++;
        return 0;
}

static int hash_entry(struct verity_hasher *h, struct manifest_entry *e, struct digest_cache *cache, bool use_cached,
                      struct hash_stats *st) {
        /* A cache hit for what the scan saw needs no open(): the entry is as valid as for an fd. */
        if (cache && use_cached && digest_cache_lookup(cache, &e->id, e->digest)) {
                st->cached++;
                e->has_digest = true;
                return 0;
        }
        _cleanup_close_ int fd = open_file(e->path);
        if (fd < 0)
                return fd == -ELOOP || fd == -EXDEV ? -ESTALE : fd;
        struct statx sx;
        struct file_id now;
        if (statx(fd, "", AT_EMPTY_PATH, STATX_MASK, &sx) < 0)
                return -errno;
        file_id_from_statx(&sx, &now);
        if (!S_ISREG(sx.stx_mode) || !same_version(&e->id, &now))
                return -ESTALE; /* not the file the scan described */
        int r = file_digest(h, fd, &now, cache, false, e->digest, st);
        if (r < 0)
                return r;
        e->has_digest = true;
        return 0;
}

struct hash_work {
        struct manifest_entry *v;
        const size_t *idx;
        size_t *order; /* positions in idx, largest file first */
        size_t n;
        atomic_size_t next;
        struct digest_cache *cache;
        bool use_cached;
        int *errs;
        pthread_mutex_t lock;
        struct hash_stats st;
        int fatal;
};

static void *hash_worker(void *arg) {
        struct hash_work *w = arg;
        struct verity_hasher *h = NULL;
        struct hash_stats st = {};
        int r = verity_hasher_new(&h);
        for (size_t i; r == 0 && (i = atomic_fetch_add(&w->next, 1)) < w->n;) {
                size_t pos = w->order[i];
                w->errs[pos] = hash_entry(h, &w->v[w->idx[pos]], w->cache, w->use_cached, &st);
        }
        verity_hasher_free(h);
        pthread_mutex_lock(&w->lock);
        w->st.hashed += st.hashed;
        w->st.cached += st.cached;
        w->st.kernel += st.kernel;
        if (r < 0)
                w->fatal = r;
        pthread_mutex_unlock(&w->lock);
        return NULL;
}

static int by_size_desc(const void *a, const void *b, void *arg) {
        const struct hash_work *w = arg;
        uint64_t x = w->v[w->idx[*(const size_t *) a]].size, y = w->v[w->idx[*(const size_t *) b]].size;
        return x < y ? 1 : x > y ? -1 : 0;
}

int tree_hash(struct manifest_entry *v, const size_t *idx, size_t n_idx, unsigned jobs, struct digest_cache *cache,
              bool use_cached, int *errs, struct hash_stats *stats) {
        struct hash_work w = { .v = v, .idx = idx, .n = n_idx, .cache = cache, .use_cached = use_cached, .errs = errs };
        if (jobs == 0) {
                long c = sysconf(_SC_NPROCESSORS_ONLN);
                jobs = c > 0 ? (unsigned) c : 1;
        }
        if (jobs > n_idx)
                jobs = n_idx ? (unsigned) n_idx : 1;
        w.order = xmalloc(sizeof(size_t) * (n_idx ? n_idx : 1));
        for (size_t i = 0; i < n_idx; i++) {
                w.order[i] = i;
                errs[i] = 0;
                stats->files++;
                stats->bytes += v[idx[i]].size;
        }
        /* Biggest first, so no thread starts a large file when the others are done. */
        qsort_r(w.order, n_idx, sizeof(size_t), by_size_desc, &w);
        pthread_mutex_init(&w.lock, NULL);
        atomic_init(&w.next, 0);
        pthread_t *th = xcalloc(jobs, sizeof(pthread_t));
        unsigned started = 0;
        for (; started + 1 < jobs; started++)
                if (pthread_create(&th[started], NULL, hash_worker, &w) != 0)
                        break;
        hash_worker(&w); /* this thread works too */
        for (unsigned i = 0; i < started; i++)
                pthread_join(th[i], NULL);
        free(th);
        free(w.order);
        pthread_mutex_destroy(&w.lock);
        stats->hashed += w.st.hashed;
        stats->cached += w.st.cached;
        stats->kernel += w.st.kernel;
        return w.fatal;
}
