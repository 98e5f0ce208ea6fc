/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The collectors that read many files: package integrity, files newer than --since, CI logs. */
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#include "basic/json-util.h"
#include "basic/util.h"
#include "crypto/hash.h"
#include "crypto/openssl-dl.h"
#include "triage/dpkg.h"
#include "triage/parse.h"
#include "triage/triage.h"

#define MAX_NEWER_ENTRIES 200000
#define MAX_CI_FILES      20000
#define MAX_CI_FINDINGS   200
#define CI_FILE_MAX       (8U << 20)

/* ---- installed-package integrity (debsums) ---- */

struct pkg_job {
        struct triage_ctx *c;
        char **md5files;
        size_t n;
        atomic_size_t next;
        atomic_uint_fast64_t hashed, skipped_unchanged, missing, mismatched, bytes;
        char **diverted;
        struct dpkg_record dpkg;
        json_object *mismatches, *missing_list;
        bool *whole; /* per package: hash every file (its info files changed after dpkg wrote them) */
        pthread_mutex_t lock;
};

static bool diverted(const struct pkg_job *j, const char *path) {
        for (char **d = j->diverted; d && *d; d++)
                if (streq(*d, path))
                        return true;
        return false;
}

static bool important_path(const char *p) {
        return startswith(p, "/bin/") || startswith(p, "/sbin/") || startswith(p, "/usr/bin/") ||
               startswith(p, "/usr/sbin/") || startswith(p, "/lib/") || startswith(p, "/usr/lib/") ||
               startswith(p, "/lib64/") || startswith(p, "/usr/libexec/");
}

/*
 * Before the hashing: the packages whose .md5sums changed after dpkg last
 * unpacked them, or whose .list changed after the last dpkg run (dpkg.log's
 * record), get j->whole[i] set: their .md5sums is no reference for
 * "unchanged since" any more, so every file of theirs is hashed. Each such
 * info file goes into FLAGS as the evidence of a finding. Returns the number
 * of packages flagged.
 */
static size_t info_prepass(struct pkg_job *j, json_object *flags) {
        size_t flagged = 0;
        for (size_t i = 0; i < j->n; i++) {
                const char *md5file = j->md5files[i];
                _cleanup_free_ char *base = strndup(md5file, strlen(md5file) - strlen(".md5sums"));
                _cleanup_free_ char *name = strndup(base, strcspn(base, ":")); /* dpkg.log's, without :arch */
                for (int k = 0; k < 2; k++) {
                        _cleanup_free_ char *path =
                                xasprintf("/var/lib/dpkg/info/%s.%s", base, k == 0 ? "md5sums" : "list");
                        _cleanup_close_ int fd = triage_open(j->c, path, O_PATH);
                        struct stat st;
                        if (fd < 0 || fstat(fd, &st) < 0)
                                continue;
                        int64_t ref = -1;
                        const char *why = dpkg_info_tampered(&j->dpkg, name, k == 0, (int64_t) st.st_ctime, &ref);
                        if (!why)
                                continue;
                        flagged += !j->whole[i];
                        j->whole[i] = true;
                        json_object *e = json_object_new_object();
                        json_object_object_add(e, "package", json_new_string(base));
                        json_object_object_add(e, "file", json_new_string(path));
                        json_object_object_add(e, "ctime", json_object_new_int64(st.st_ctime));
                        json_object_object_add(e, k == 0 ? "last_unpack_logged" : "last_dpkg_run_logged",
                                               json_object_new_int64(ref));
                        json_object_object_add(e, "reason", json_new_string(why));
                        json_object_array_add(flags, e);
                }
        }
        return flagged;
}

/*
 * The findings of the flagged info files. When most packages are flagged, the
 * tree was copied or restored (tar, rsync, an image pull reset every ctime):
 * one medium finding says so instead of hundreds; the hashing is the same.
 */
static void info_findings(struct pkg_job *j, json_object *flags, size_t flagged) {
        size_t n = json_object_array_length(flags);
        if (flagged > 20 && flagged * 2 > j->n) {
                json_object *e = json_object_new_object();
                json_object_object_add(e, "packages_flagged", json_object_new_uint64(flagged));
                json_object_object_add(e, "packages", json_object_new_uint64(j->n));
                json_object *ex = json_object_new_array();
                for (size_t i = 0; i < n && i < 20; i++)
                        json_object_array_add(ex, json_object_get(json_object_array_get_idx(flags, i)));
                json_object_object_add(e, "examples", ex);
                triage_add(j->c, "triage.dpkg-info-tampered", "anti-forensics", SEV_MEDIUM, NULL,
                           xasprintf("the dpkg info files of %zu of %zu packages changed after dpkg.log's last record "
                                     "of them, as when a tree is copied or restored (tar, rsync, an image pull): "
                                     "those packages were hashed in full",
                                     flagged, j->n),
                           e);
                return;
        }
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_get(json_object_array_get_idx(flags, i));
                triage_add(j->c, "triage.dpkg-info-tampered", "anti-forensics", SEV_HIGH, NULL,
                           xasprintf("'%s' %s: its package's files were hashed in full", rj_str(e, "file"),
                                     rj_str(e, "reason")),
                           e);
        }
}

static void pkg_one(struct pkg_job *j, size_t index) {
        struct triage_ctx *c = j->c;
        const char *md5file = j->md5files[index];
        _cleanup_free_ char *path = xasprintf("/var/lib/dpkg/info/%s", md5file);
        _cleanup_close_ int lfd = triage_open(c, path, O_RDONLY);
        struct stat lst;
        if (lfd < 0 || fstat(lfd, &lst) < 0)
                return;
        _cleanup_free_ char *text = NULL;
        if (read_full_fd(lfd, &text, NULL, 64 << 20) < 0)
                return;
        json_object *pkg_files = NULL;
        size_t n_modified = 0;
        bool important = false;
        size_t pl = strlen(md5file) - strlen(".md5sums");
        _cleanup_free_ char *pkg = strndup(md5file, pl);
        bool hash_all = c->o->hash_all || j->whole[index];
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char want[33];
                const char *rel;
                if (md5sums_parse_line(line, want, &rel) < 0)
                        continue;
                _cleanup_free_ char *abs = xasprintf("/%s", rel);
                if (diverted(j, abs))
                        continue;
                /*
                 * On the live host "/" is the root, so a plain stat() is safe and
                 * spares an open and a close per file; under --root every path goes
                 * through openat2(RESOLVE_IN_ROOT).
                 */
                _cleanup_close_ int fd = -EBADF;
                struct stat st;
                bool ok = c->live ? stat(abs, &st) == 0
                                  : (fd = triage_open(c, abs, O_RDONLY | O_NONBLOCK)) >= 0 && fstat(fd, &st) == 0;
                if (!ok || !S_ISREG(st.st_mode)) {
                        if (atomic_fetch_add(&j->missing, 1) < 200) {
                                pthread_mutex_lock(&j->lock);
                                json_object *m = json_object_new_object();
                                json_object_object_add(m, "package", json_new_string(pkg));
                                json_object_object_add(m, "path", json_new_string(abs));
                                json_object_array_add(j->missing_list, m);
                                pthread_mutex_unlock(&j->lock);
                        }
                        continue;
                }
                /*
                 * Any write, chmod or utimes sets a file's ctime to the present,
                 * and user space cannot set it back. A file whose ctime is not
                 * later than its package's md5sums (written when dpkg unpacked
                 * it) still holds what dpkg wrote. --hash-all checks them anyway.
                 */
                if (!hash_all &&
                    (st.st_ctim.tv_sec < lst.st_ctim.tv_sec ||
                     (st.st_ctim.tv_sec == lst.st_ctim.tv_sec && st.st_ctim.tv_nsec <= lst.st_ctim.tv_nsec))) {
                        atomic_fetch_add(&j->skipped_unchanged, 1);
                        continue;
                }
                if (fd < 0 && (fd = triage_open(c, abs, O_RDONLY | O_NONBLOCK)) < 0)
                        continue;
                char got[33];
                uint64_t size;
                if (digest_fd(fd, "MD5", -EBADF, 0, got, &size) < 0)
                        continue;
                atomic_fetch_add(&j->hashed, 1);
                atomic_fetch_add(&j->bytes, size);
                if (streq(got, want))
                        continue;
                atomic_fetch_add(&j->mismatched, 1);
                json_object *m = json_object_new_object();
                json_object_object_add(m, "package", json_new_string(pkg));
                json_object_object_add(m, "path", json_new_string(abs));
                json_object_object_add(m, "expected_md5", json_new_string(want));
                json_object_object_add(m, "actual_md5", json_new_string(got));
                json_object_object_add(m, "mtime", json_object_new_int64(st.st_mtime));
                json_object_object_add(m, "ctime", json_object_new_int64(st.st_ctime));
                pthread_mutex_lock(&j->lock);
                /* Bounded: the count goes on, the list stops at 10000. */
                if (json_object_array_length(j->mismatches) < 10000)
                        json_object_array_add(j->mismatches, m);
                else
                        json_object_put(m);
                pthread_mutex_unlock(&j->lock);
                if (!pkg_files)
                        pkg_files = json_object_new_array();
                if (json_object_array_length(pkg_files) < 20)
                        json_object_array_add(pkg_files, json_new_string(abs));
                n_modified++;
                /* Code that runs is what an attacker swaps; a changed doc page is mostly a local edit. */
                if (important_path(abs) && ((st.st_mode & 0111) || strstr(abs, ".so")))
                        important = true;
        }
        if (n_modified == 0)
                return;
        /* One finding per package: an upgrade done outside dpkg changes hundreds of files at once. */
        json_object *e = json_object_new_object();
        json_object_object_add(e, "package", json_new_string(pkg));
        json_object_object_add(e, "files_modified", json_object_new_uint64(n_modified));
        json_object_object_add(e, "files", pkg_files);
        triage_add(c, "triage.package-modified", "integrity", important ? SEV_HIGH : SEV_MEDIUM, NULL,
                   n_modified == 1 ? xasprintf("'%s' from package %s no longer matches the checksum dpkg installed",
                                               json_object_get_string(json_object_array_get_idx(pkg_files, 0)), pkg)
                                   : xasprintf("%zu files of package %s no longer match the checksums dpkg "
                                               "installed, among them '%s'",
                                               n_modified, pkg,
                                               json_object_get_string(json_object_array_get_idx(pkg_files, 0))),
                   e);
}

static void *pkg_worker(void *arg) {
        struct pkg_job *j = arg;
        for (;;) {
                size_t i = atomic_fetch_add(&j->next, 1);
                if (i >= j->n)
                        return NULL;
                pkg_one(j, i);
        }
}

/* Starts N workers on FN(ARG) and waits for them; N <= 0 runs FN in place. */
static void run_workers(unsigned n, void *(*fn)(void *), void *arg) {
        pthread_t t[64];
        unsigned started = 0;
        for (; started < n && started < ELEMENTSOF(t); started++)
                if (pthread_create(&t[started], NULL, fn, arg) != 0)
                        break;
        if (started == 0)
                fn(arg);
        for (unsigned i = 0; i < started; i++)
                pthread_join(t[i], NULL);
}

static char **read_diversions(struct triage_ctx *c) {
        /* Triples of lines: diverted path, new path, diverting package. */
        char **v = NULL;
        _cleanup_free_ char *text = NULL;
        if (triage_read_nocopy(c, "/var/lib/dpkg/diversions", 4 << 20, &text, NULL) < 0)
                return NULL;
        int k = 0;
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save), k++)
                if (k % 3 == 0 || k % 3 == 1)
                        strv_push(&v, xstrdup(line));
        return v;
}

int collect_packages(struct triage_ctx *c) {
        /* Up front: the workers skip a file they cannot hash, and would skip them all. */
        int r = dlopen_libcrypto();
        if (r < 0)
                return r;
        DIR *d = triage_opendir(c, "/var/lib/dpkg/info");
        if (!d) {
                triage_note(c, "packages", "skipped", "no /var/lib/dpkg/info (not a Debian-based system)");
                return 0;
        }
        struct pkg_job j = {
                .c = c,
                .mismatches = json_object_new_array(),
                .missing_list = json_object_new_array(),
                .diverted = read_diversions(c),
        };
        /* Before the workers: it sets TZ for a moment under --root. */
        dpkg_record_load(c, &j.dpkg);
        pthread_mutex_init(&j.lock, NULL);
        struct dirent *de;
        while ((de = readdir(d))) {
                size_t l = strlen(de->d_name);
                if (l > 8 && streq(de->d_name + l - 8, ".md5sums")) {
                        strv_push(&j.md5files, xstrdup(de->d_name));
                        j.n++;
                }
        }
        closedir(d);
        uint64_t t0 = now_usec(CLOCK_MONOTONIC);
        j.whole = xcalloc(j.n + 1, sizeof(bool));
        _cleanup_json_ json_object *flags = json_object_new_array();
        info_findings(&j, flags, info_prepass(&j, flags));
        /* Hashing is CPU-bound when the cache is hot and I/O-bound when not: one worker per core, plus one. */
        run_workers(c->o->jobs + 1, pkg_worker, &j);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "packages", json_object_new_uint64(j.n));
        json_object_object_add(o, "mode", json_new_string(c->o->hash_all ? "hash-all" : "changed-since-install"));
        json_object_object_add(o, "files_hashed", json_object_new_uint64(j.hashed));
        json_object_object_add(o, "bytes_hashed", json_object_new_uint64(j.bytes));
        json_object_object_add(o, "files_unchanged_since_install", json_object_new_uint64(j.skipped_unchanged));
        json_object_object_add(o, "files_missing", json_object_new_uint64(j.missing));
        json_object_object_add(o, "files_modified", json_object_new_uint64(j.mismatched));
        json_object_object_add(o, "seconds", json_object_new_double((double) (now_usec(CLOCK_MONOTONIC) - t0) / 1e6));
        json_object_object_add(o, "info_files_tampered", json_object_new_uint64(json_object_array_length(flags)));
        json_object *log = json_object_get(j.dpkg.logs);
        json_object_object_add(log, "first", j.dpkg.first >= 0 ? json_object_new_int64(j.dpkg.first) : NULL);
        json_object_object_add(log, "last", j.dpkg.last >= 0 ? json_object_new_int64(j.dpkg.last) : NULL);
        json_object_object_add(o, "dpkg_log", log);
        json_object_object_add(o, "modified", j.mismatches);
        json_object_object_add(o, "missing", j.missing_list);
        strv_free(j.md5files);
        strv_free(j.diverted);
        dpkg_record_done(&j.dpkg);
        free(j.whole);
        pthread_mutex_destroy(&j.lock);
        return triage_save(c, "packages", o);
}

/* ---- files newer than --since: a parallel walk ---- */

static bool pseudo_fs(long type) {
        static const long skip[] = { PROC_SUPER_MAGIC,
                                     SYSFS_MAGIC,
                                     DEVPTS_SUPER_MAGIC,
                                     CGROUP_SUPER_MAGIC,
                                     CGROUP2_SUPER_MAGIC,
                                     DEBUGFS_MAGIC,
                                     TRACEFS_MAGIC,
                                     SECURITYFS_MAGIC,
                                     BPF_FS_MAGIC,
                                     PSTOREFS_MAGIC,
                                     0x62656570 /* configfs */,
                                     0x65735543 /* fusectl */,
                                     0x19800202 /* mqueue */,
                                     HUGETLBFS_MAGIC,
                                     0x42494e4d /* binfmt_misc */,
                                     NSFS_MAGIC,
                                     EFIVARFS_MAGIC };
        for (size_t i = 0; i < ELEMENTSOF(skip); i++)
                if (type == skip[i])
                        return true;
        return false;
}

/* One changed file, kept compact: 200000 of them fit in about 20 MB. */
struct newer_entry {
        char *path;
        char type;
        mode_t mode;
        uid_t uid;
        int64_t size, mtime, ctime;
};

struct newer_list {
        struct newer_entry *v;
        size_t n, cap;
};

static void newer_add(struct newer_list *l, struct newer_entry e) {
        GREEDY_REALLOC(l->v, l->cap, l->n + 1);
        l->v[l->n++] = e;
}

struct walk {
        struct triage_ctx *c;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        char **stack; /* relative paths left for any thread to take */
        size_t n, cap;
        unsigned busy, threads;
        bool done;
        dev_t root_dev, out_dev;
        ino_t out_ino;
        struct newer_list entries;
        size_t n_exec_findings;
        bool truncated;
        uint64_t dirs, files;
        json_object *skipped_mounts;
};

/* What one thread found, merged into struct walk when it ends: no lock per entry. */
struct walk_local {
        struct newer_list entries;
        uint64_t dirs, files;
        bool truncated;
};

static void walk_push(struct walk *w, char *rel) {
        GREEDY_REALLOC(w->stack, w->cap, w->n + 1);
        w->stack[w->n++] = rel;
}

static int open_beneath(int root_fd, const char *rel) {
        struct open_how how = {
                .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW,
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        long fd = syscall(SYS_openat2, root_fd, rel[0] ? rel : ".", &how, sizeof(how));
        return fd < 0 ? -errno : (int) fd;
}

static bool excluded(const struct triage_ctx *c, const char *rel) {
        for (char **e = c->o->exclude; e && *e; e++) {
                const char *x = *e;
                while (*x == '/')
                        x++;
                size_t l = strlen(x);
                while (l > 0 && x[l - 1] == '/')
                        l--;
                if (strncmp(rel, x, l) == 0 && (rel[l] == 0 || rel[l] == '/'))
                        return true;
        }
        return false;
}

static const char *type_name(char t) {
        return t == 'd' ? "dir" : t == 'f' ? "file" : t == 'l' ? "symlink" : "other";
}

static json_object *newer_json(const struct newer_entry *e) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "path", json_new_string(e->path));
        json_object_object_add(o, "type", json_new_string(type_name(e->type)));
        json_object_object_add(o, "size", json_object_new_int64(e->size));
        json_object_object_add(o, "mode", json_object_new_int((int) (e->mode & 07777)));
        json_object_object_add(o, "uid", json_object_new_int64(e->uid));
        json_object_object_add(o, "mtime", json_object_new_int64(e->mtime));
        json_object_object_add(o, "ctime", json_object_new_int64(e->ctime));
        return o;
}

static void walk_record(struct walk *w, struct walk_local *l, const char *rel, const char *name,
                        const struct stat *st) {
        struct triage_ctx *c = w->c;
        /* Bounded memory: past the cap only the count goes on. */
        if (l->entries.n >= MAX_NEWER_ENTRIES / w->threads) {
                l->truncated = true;
                return;
        }
        struct newer_entry e = {
                .path = rel[0] ? xasprintf("/%s/%s", rel, name) : xasprintf("/%s", name),
                .type = S_ISDIR(st->st_mode)   ? 'd'
                        : S_ISREG(st->st_mode) ? 'f'
                        : S_ISLNK(st->st_mode) ? 'l'
                                               : 'o',
                .mode = st->st_mode,
                .uid = st->st_uid,
                .size = st->st_size,
                .mtime = st->st_mtime,
                .ctime = st->st_ctime,
        };
        if (S_ISREG(st->st_mode) && (st->st_mode & 0111) && path_is_tmp_area(e.path)) {
                pthread_mutex_lock(&w->lock);
                bool add = w->n_exec_findings++ < 100;
                pthread_mutex_unlock(&w->lock);
                if (add)
                        triage_add(c, "triage.new-exec-writable", "exec-from-writable", SEV_MEDIUM, NULL,
                                   xasprintf("'%s' is an executable file created or changed after --since in a "
                                             "directory anyone can write",
                                             e.path),
                                   newer_json(&e));
        }
        newer_add(&l->entries, e);
}

/*
 * Reads the directory FD (path REL below the root) and descends into its
 * subdirectories on this thread through openat() on the parent, which spares
 * a path lookup from the root per directory. A subdirectory goes to the
 * shared stack instead when other threads are short of work.
 */
static void walk_fd(struct walk *w, struct walk_local *l, int fd, const char *rel, dev_t parent_dev, int depth) {
        struct triage_ctx *c = w->c;
        struct stat dst;
        if (fstat(fd, &dst) < 0 || (dst.st_dev == w->out_dev && dst.st_ino == w->out_ino)) {
                close(fd);
                return;
        }
        struct statfs sfs;
        if (dst.st_dev != parent_dev && fstatfs(fd, &sfs) == 0 && pseudo_fs((long) sfs.f_type)) {
                pthread_mutex_lock(&w->lock);
                json_object_array_add(w->skipped_mounts, json_new_string(rel[0] ? rel : "."));
                pthread_mutex_unlock(&w->lock);
                close(fd);
                return;
        }
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return;
        }
        l->dirs++;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (dot_or_dotdot(de->d_name))
                        continue;
                struct stat st;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                l->files++;
                if (st.st_mtime > c->o->since || st.st_ctime > c->o->since)
                        walk_record(w, l, rel, de->d_name, &st);
                if (!S_ISDIR(st.st_mode))
                        continue;
                char *child = rel[0] ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
                if (excluded(c, child)) {
                        free(child);
                        continue;
                }
                pthread_mutex_lock(&w->lock);
                bool share = w->n < w->threads || depth >= 64; /* 64 open directories per thread at most */
                if (share) {
                        walk_push(w, child);
                        pthread_cond_signal(&w->cond);
                }
                pthread_mutex_unlock(&w->lock);
                if (share)
                        continue;
                int cfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (cfd >= 0)
                        walk_fd(w, l, cfd, child, dst.st_dev, depth + 1);
                free(child);
        }
        closedir(d);
}

static void *walk_worker(void *arg) {
        struct walk *w = arg;
        struct walk_local l = {};
        pthread_mutex_lock(&w->lock);
        for (;;) {
                while (w->n == 0 && !w->done) {
                        if (w->busy == 0) {
                                w->done = true;
                                pthread_cond_broadcast(&w->cond);
                                break;
                        }
                        pthread_cond_wait(&w->cond, &w->lock);
                }
                if (w->done)
                        break;
                char *rel = w->stack[--w->n];
                w->busy++;
                pthread_mutex_unlock(&w->lock);
                int fd = open_beneath(w->c->root_fd, rel);
                if (fd >= 0)
                        /* A shared directory may sit on another mount: check its file system. */
                        walk_fd(w, &l, fd, rel, 0, 0);
                free(rel);
                pthread_mutex_lock(&w->lock);
                w->busy--;
                if (w->busy == 0 && w->n == 0) {
                        w->done = true;
                        pthread_cond_broadcast(&w->cond);
                }
        }
        for (size_t i = 0; i < l.entries.n; i++)
                newer_add(&w->entries, l.entries.v[i]);
        w->truncated |= l.truncated;
        w->dirs += l.dirs;
        w->files += l.files;
        pthread_mutex_unlock(&w->lock);
        free(l.entries.v);
        return NULL;
}

static int cmp_entry(const void *a, const void *b) {
        return strcmp(((const struct newer_entry *) a)->path, ((const struct newer_entry *) b)->path);
}

/*
 * newer.json, written entry by entry: a json-c tree of 200000 objects would
 * take hundreds of megabytes. Sorted by path, so two captures diff cleanly.
 */
static int write_newer(struct triage_ctx *c, struct walk *w, double secs) {
        if (w->entries.n > 0)
                qsort(w->entries.v, w->entries.n, sizeof(struct newer_entry), cmp_entry);
        _cleanup_close_ int fd =
                openat(c->out_fd, "newer.json", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        FILE *f = fdopen(fd, "w");
        if (!f)
                return -errno;
        TAKE_FD(fd);
        fprintf(f,
                "{\n  \"since\": %" PRId64 ",\n  \"directories\": %" PRIu64 ",\n  \"entries_seen\": %" PRIu64
                ",\n  \"truncated\": %s,\n  \"seconds\": %.3f,\n  \"skipped_pseudo_filesystems\": %s,\n"
                "  \"files\": [",
                c->o->since, w->dirs, w->files, w->truncated ? "true" : "false", secs,
                json_object_to_json_string_ext(w->skipped_mounts, JSON_C_TO_STRING_PLAIN));
        for (size_t i = 0; i < w->entries.n; i++) {
                json_object *o = newer_json(&w->entries.v[i]);
                fprintf(f, "%s\n    %s", i ? "," : "",
                        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(o);
        }
        fprintf(f, "\n  ]\n}\n");
        return fclose(f) == 0 ? 0 : -EIO;
}

int collect_newer(struct triage_ctx *c) {
        if (c->o->since < 0) {
                triage_note(c, "newer", "skipped", "no --since TIME given");
                return 0;
        }
        struct walk w = {
                .c = c,
                .skipped_mounts = json_object_new_array(),
        };
        struct stat ost;
        if (fstat(c->out_fd, &ost) == 0) {
                w.out_dev = ost.st_dev;
                w.out_ino = ost.st_ino;
        }
        pthread_mutex_init(&w.lock, NULL);
        pthread_cond_init(&w.cond, NULL);
        w.threads = c->o->jobs;
        walk_push(&w, xstrdup(""));
        uint64_t t0 = now_usec(CLOCK_MONOTONIC);
        /*
         * One thread per core: with a warm cache the walk is CPU-bound in the
         * kernel (getdents, fstatat), and on the 2-core VM four threads were
         * slower than two (docs/benchmarks.md).
         */
        run_workers(c->o->jobs, walk_worker, &w);
        for (size_t i = 0; i < w.n; i++)
                free(w.stack[i]);
        free(w.stack);
        int r = write_newer(c, &w, (double) (now_usec(CLOCK_MONOTONIC) - t0) / 1e6);
        for (size_t i = 0; i < w.entries.n; i++)
                free(w.entries.v[i].path);
        free(w.entries.v);
        json_object_put(w.skipped_mounts);
        pthread_mutex_destroy(&w.lock);
        pthread_cond_destroy(&w.cond);
        return r;
}

/* ---- CI job logs and workspaces ---- */

struct ci_scan {
        struct triage_ctx *c;
        json_object *hits;
        size_t files, findings;
};

static void ci_file(struct ci_scan *s, const char *path) {
        _cleanup_free_ char *text = NULL;
        size_t n;
        if (triage_read_nocopy(s->c, path, CI_FILE_MAX, &text, &n) < 0)
                return;
        s->files++;
        if (memchr(text, 0, n < 4096 ? n : 4096))
                return; /* binary */
        bool dl = false, rs = false;
        unsigned lineno = 0;
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line && !(dl && rs); line = strtok_r(NULL, "\n", &save)) {
                lineno++;
                bool is_dl = !dl && text_is_download_exec(line);
                bool is_rs = !rs && text_is_reverse_shell(line);
                if (!is_dl && !is_rs)
                        continue;
                dl |= is_dl;
                rs |= is_rs;
                json_object *e = json_object_new_object();
                json_object_object_add(e, "file", json_new_string(path));
                json_object_object_add(e, "line_number", json_object_new_int((int) lineno));
                json_object_object_add(e, "line", json_new_string_len(line, (int) strnlen(line, 1024)));
                json_object_object_add(e, "pattern", json_new_string(is_rs ? "reverse-shell" : "download-exec"));
                json_object_array_add(s->hits, json_object_get(e));
                if (s->findings++ < MAX_CI_FINDINGS)
                        triage_add(s->c, is_rs ? "triage.ci-reverse-shell" : "triage.ci-download-exec",
                                   is_rs ? "reverse-shell" : "fileless-exec", SEV_HIGH, NULL,
                                   is_rs ? xasprintf("CI file '%s' line %u holds a reverse-shell command", path, lineno)
                                         : xasprintf("CI file '%s' line %u pipes a download into an interpreter", path,
                                                     lineno),
                                   e);
                else
                        json_object_put(e);
        }
}

static void ci_walk(struct ci_scan *s, const char *dir, int depth) {
        if (depth > 12 || s->files >= MAX_CI_FILES)
                return;
        DIR *d = triage_opendir(s->c, dir);
        if (!d)
                return;
        struct dirent *de;
        char **subdirs = NULL, **files = NULL;
        while ((de = readdir(d))) {
                if (dot_or_dotdot(de->d_name) || streq(de->d_name, ".git") || streq(de->d_name, "node_modules"))
                        continue;
                struct stat st;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                char *p = xasprintf("%s/%s", dir, de->d_name);
                if (S_ISDIR(st.st_mode))
                        strv_push(&subdirs, p);
                else if (S_ISREG(st.st_mode))
                        strv_push(&files, p);
                else
                        free(p);
        }
        closedir(d);
        for (char **f = files; f && *f && s->files < MAX_CI_FILES; f++)
                ci_file(s, *f);
        for (char **sd = subdirs; sd && *sd; sd++)
                ci_walk(s, *sd, depth + 1);
        strv_free(files);
        strv_free(subdirs);
}

int collect_ci(struct triage_ctx *c) {
        /* The default homes of Jenkins, GitLab Runner, the GitHub Actions runner and Buildkite. */
        static const char *const roots[] = {
                "/var/lib/jenkins/jobs",       "/var/lib/jenkins/workspace", "/var/jenkins_home/jobs",
                "/var/jenkins_home/workspace", "/home/gitlab-runner/builds", "/var/lib/gitlab-runner",
                "/etc/gitlab-runner",          "/opt/actions-runner/_diag",  "/opt/actions-runner/_work",
                "/actions-runner/_diag",       "/actions-runner/_work",      "/var/lib/buildkite-agent/builds",
                "/etc/buildkite-agent/hooks",  "/var/log/buildkite-agent",   "/var/log/gitlab-runner",
        };
        struct ci_scan s = { .c = c, .hits = json_object_new_array() };
        json_object *scanned = json_object_new_array();
        for (size_t i = 0; i < ELEMENTSOF(roots); i++) {
                DIR *d = triage_opendir(c, roots[i]);
                if (!d)
                        continue;
                closedir(d);
                json_object_array_add(scanned, json_new_string(roots[i]));
                ci_walk(&s, roots[i], 0);
        }
        /* The GitHub Actions runner usually lives in a user's home. */
        _cleanup_strv_free_ char **homes = triage_homes(c);
        for (size_t i = 0; homes[i] && homes[i + 1]; i += 2) {
                static const char *const sub[] = { "actions-runner/_diag", "actions-runner/_work", "builds" };
                for (size_t k = 0; k < ELEMENTSOF(sub); k++) {
                        _cleanup_free_ char *p = xasprintf("%s/%s", homes[i + 1], sub[k]);
                        DIR *d = triage_opendir(c, p);
                        if (!d)
                                continue;
                        closedir(d);
                        json_object_array_add(scanned, json_new_string(p));
                        ci_walk(&s, p, 0);
                }
        }
        json_object *o = json_object_new_object();
        json_object_object_add(o, "scanned", scanned);
        json_object_object_add(o, "files_read", json_object_new_uint64(s.files));
        json_object_object_add(o, "truncated", json_object_new_boolean(s.files >= MAX_CI_FILES));
        json_object_object_add(o, "matches", s.hits);
        return triage_save(c, "ci", o);
}
