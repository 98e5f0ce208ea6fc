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

/* Entries found by one thread. */
struct scan {
        struct manifest_entry *v;
        size_t n, cap;
};

static void scan_reserve(struct scan *s, size_t cap) {
        if (cap <= s->cap)
                return;
        s->cap = cap;
        s->v = realloc(s->v, s->cap * sizeof(*s->v));
        if (!s->v)
                abort();
}

static void scan_append(struct scan *s, const struct manifest_entry *v, size_t n) {
        if (n == 0)
                return;
        if (s->n + n > s->cap)
                scan_reserve(s, s->n + n > 2 * s->cap ? s->n + n : s->cap < 512 ? 1024 : 2 * s->cap);
        memcpy(s->v + s->n, v, n * sizeof(*v));
        s->n += n;
}

/*
 * The entry for NAME below DIR_FD (PATH is its full path), never following a
 * final symlink. -ENOENT when it is gone (removed since its directory was read).
 */
static int stat_entry(int dir_fd, const char *name, const char *path, struct manifest_entry *ret) {
        struct statx sx;
        if (statx(dir_fd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_MASK, &sx) < 0)
                return -errno;
        struct manifest_entry e = {
                .type = type_of(sx.stx_mode),
                .mode = sx.stx_mode & 07777,
                .uid = sx.stx_uid,
                .gid = sx.stx_gid,
        };
        file_id_from_statx(&sx, &e.id);
        if (e.type == 'f')
                e.size = sx.stx_size;
        if (e.type == 'l') {
                char buf[PATH_MAX];
                ssize_t k = readlinkat(dir_fd, name, buf, sizeof(buf) - 1);
                if (k <= 0)
                        return k < 0 ? -errno : -EINVAL;
                buf[k] = 0;
                e.target = xstrdup(buf);
                e.size = (uint64_t) k;
        }
        e.path = xstrdup(path);
        *ret = e;
        return 0;
}

/*
 * The walk runs on one thread per CPU: directories waiting to be read form a
 * shared stack; each thread reads one directory at a time, statx()es its
 * entries and pushes the subdirectories. On a warm check this walk is most of
 * the time (one statx per entry), and it parallelizes across directories.
 */
struct dir_job {
        char *path;
        unsigned depth;
        uint64_t dev, ino; /* what the parent's statx saw */
};

struct walker {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        struct dir_job *q;
        size_t nq, capq;
        unsigned busy; /* threads reading a directory, which may push more */
        int error;
        char *failed;
        struct scan all;
};

static void push_dir(struct walker *w, const struct manifest_entry *e, unsigned depth) {
        pthread_mutex_lock(&w->lock);
        GREEDY_REALLOC(w->q, w->capq, w->nq + 1);
        w->q[w->nq++] = (struct dir_job){ xstrdup(e->path), depth, e->id.dev, e->id.ino };
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->lock);
}

static int read_dir(struct walker *w, struct scan *s, const struct dir_job *j, char **ret_failed) {
        /* By full path, but with no symlink anywhere on the way, and it must be the directory its parent listed. */
        struct open_how how = {
                .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW,
                .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        int fd = (int) syscall(SYS_openat2, AT_FDCWD, j->path, &how, sizeof(how));
        if (fd < 0 && errno == ENOSYS)
                fd = open(j->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
                if (errno == ENOENT)
                        return 0; /* removed since its parent was read */
                *ret_failed = xstrdup(j->path);
                return errno == ELOOP || errno == ENOTDIR ? -ESTALE : -errno;
        }
        struct stat st;
        DIR *d = fstat(fd, &st) == 0 ? fdopendir(fd) : NULL;
        if (!d) {
                int r = -errno;
                close(fd);
                *ret_failed = xstrdup(j->path);
                return r;
        }
        int r = 0;
        if (st.st_dev != j->dev || st.st_ino != j->ino)
                r = -ESTALE; /* replaced between its parent's listing and now */
        for (struct dirent *de; r == 0 && (errno = 0, de = readdir(d));) {
                if (dot_or_dotdot(de->d_name))
                        continue;
                _cleanup_free_ char *child = xasprintf("%s/%s", streq(j->path, "/") ? "" : j->path, de->d_name);
                struct manifest_entry e;
                r = stat_entry(dirfd(d), de->d_name, child, &e);
                if (r == -ENOENT) {
                        r = 0;
                        continue;
                }
                if (r < 0) {
                        *ret_failed = TAKE_PTR(child);
                        break;
                }
                scan_append(s, &e, 1);
                if (e.type == 'd') {
                        if (j->depth + 1 > MAX_DEPTH) {
                                r = -ELOOP;
                                *ret_failed = TAKE_PTR(child);
                                break;
                        }
                        push_dir(w, &e, j->depth + 1);
                }
        }
        if (r == 0 && errno != 0)
                r = -errno;
        if (r < 0 && !*ret_failed)
                *ret_failed = xstrdup(j->path);
        closedir(d);
        return r;
}

static void *walk_thread(void *arg) {
        struct walker *w = arg;
        struct scan s = {};
        for (;;) {
                pthread_mutex_lock(&w->lock);
                while (w->nq == 0 && w->busy > 0 && !w->error)
                        pthread_cond_wait(&w->cond, &w->lock);
                if (w->nq == 0 || w->error) { /* all read, or one thread failed */
                        pthread_mutex_unlock(&w->lock);
                        break;
                }
                struct dir_job j = w->q[--w->nq];
                w->busy++;
                pthread_mutex_unlock(&w->lock);

                char *failed = NULL;
                int r = read_dir(w, &s, &j, &failed);
                free(j.path);

                pthread_mutex_lock(&w->lock);
                /*
                 * A directory at a time into the one result: per-thread arrays of
                 * half the tree each, merged at the end, faulted in and copied
                 * twice the memory (a tenth of a warm `check`).
                 */
                scan_append(&w->all, s.v, s.n);
                s.n = 0;
                w->busy--;
                if (r < 0 && !w->error) {
                        w->error = r;
                        w->failed = TAKE_PTR(failed);
                }
                if (w->error || (w->busy == 0 && w->nq == 0))
                        pthread_cond_broadcast(&w->cond);
                pthread_mutex_unlock(&w->lock);
                free(failed);
        }
        free(s.v);
        return NULL;
}

int tree_scan(char *const *roots, size_t expect, struct manifest_entry **ret, size_t *ret_n, char **ret_path) {
        struct walker w = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
        if (expect > 0)
                scan_reserve(&w.all, expect + expect / 16 + 16); /* room for a few additions: no copy */
        for (char *const *root = roots; root && *root && !w.error; root++) {
                struct manifest_entry e;
                int r = stat_entry(AT_FDCWD, *root, *root, &e);
                if (r == -ENOENT) /* a missing root: every entry below it is "removed" */
                        continue;
                if (r < 0) {
                        w.error = r;
                        w.failed = xstrdup(*root);
                        break;
                }
                scan_append(&w.all, &e, 1);
                if (e.type == 'd')
                        push_dir(&w, &e, 0);
        }
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        unsigned n_threads = ncpu < 1 ? 1 : ncpu > 8 ? 8 : (unsigned) ncpu, started = 0;
        pthread_t th[8];
        for (; !w.error && started + 1 < n_threads; started++)
                if (pthread_create(&th[started], NULL, walk_thread, &w) != 0)
                        break;
        if (!w.error)
                walk_thread(&w); /* this thread walks too */
        for (unsigned i = 0; i < started; i++)
                pthread_join(th[i], NULL);
        for (size_t i = 0; i < w.nq; i++) /* left when a thread failed */
                free(w.q[i].path);
        free(w.q);
        pthread_mutex_destroy(&w.lock);
        pthread_cond_destroy(&w.cond);
        if (w.error) {
                tree_entries_free(w.all.v, w.all.n);
                if (ret_path)
                        *ret_path = TAKE_PTR(w.failed);
                free(w.failed);
                return w.error;
        }
        qsort(w.all.v, w.all.n, sizeof(*w.all.v), manifest_entry_cmp);
        *ret = w.all.v;
        *ret_n = w.all.n;
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

int file_digest(struct verity_hasher *h, int fd, const char *path, const struct statx *sx, struct digest_cache *cache,
                bool use_cached, uint8_t ret[VERITY_DIGEST_SIZE], struct hash_stats *st) {
        struct file_id id;
        file_id_from_statx(sx, &id);
        if (cache && use_cached && digest_cache_lookup(cache, &id, ret)) {
                st->cached++;
                return 0;
        }
        /*
         * Ask the kernel only for a file that may have fs-verity: statx() says
         * which do where the filesystem reports the attribute (ext4, f2fs,
         * btrfs). One ioctl() less per file: sealing /usr/bin, /usr/lib/gcc and
         * /usr/lib/x86_64-linux-gnu spent about a tenth of its CPU time in
         * per-file system calls and kernel entries (docs/benchmarks.md).
         */
        bool maybe_verity = !(sx->stx_attributes_mask & STATX_ATTR_VERITY) || (sx->stx_attributes & STATX_ATTR_VERITY);
        if (maybe_verity && verity_measure_kernel(fd, ret) == 0) {
                st->kernel++;
                return 0;
        }
        /* Fully allocated: no hole worth an lseek(SEEK_HOLE) (a hole missed is read as zeros, same digest). */
        unsigned flags = (sx->stx_mask & STATX_BLOCKS) && sx->stx_blocks * 512 >= sx->stx_size ? VERITY_DENSE : 0;
        int r = verity_digest_fd(h, fd, id.size, flags, ret);
        if (r < 0)
                return r;
        struct statx now;
        struct file_id after;
        if (statx(fd, "", AT_EMPTY_PATH, STATX_MASK, &now) < 0)
                return -errno;
        file_id_from_statx(&now, &after);
        if (!same_version(&id, &after))
                return -ESTALE;
        if (cache)
                digest_cache_put(cache, &id, path, ret);
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
        int r = file_digest(h, fd, e->path, &sx, cache, false, e->digest, st);
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
