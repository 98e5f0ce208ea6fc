/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Copy-out of artifacts. The tree we read was written by the untrusted build, so
 * every name is opened relative to its parent's fd with O_NOFOLLOW, only regular
 * files are copied, sizes are bounded, and the destination is created with
 * O_EXCL below a directory we created ourselves.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "basic/glob.h"
#include "basic/log.h"
#include "crypto/openssl-dl.h"
#include "report/report.h"

#define MAX_DEPTH     128
#define MAX_ARTIFACTS 100000

void artifact_list_done(struct artifact_list *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i].path);
        for (size_t i = 0; i < l->n_refused; i++) {
                free(l->refused[i].path);
                free(l->refused[i].reason);
        }
        free(l->v);
        free(l->refused);
        *l = (struct artifact_list){};
}

static void refuse(struct artifact_list *l, const char *path, const char *reason) {
        GREEDY_REALLOC(l->refused, l->n_refused_allocated, l->n_refused + 1);
        l->refused[l->n_refused++] = (struct refused_artifact){ xstrdup(path), xstrdup(reason) };
}

int rm_rf_at(int dir_fd, const char *name) {
        if (unlinkat(dir_fd, name, 0) == 0 || errno == ENOENT)
                return 0;
        if (errno != EISDIR && errno != EPERM)
                return -errno;
        DIR *d = opendir_at(dir_fd, name);
        if (!d)
                return -errno;
        int r = 0;
        for (struct dirent *de; (de = readdir(d));) {
                if (dot_or_dotdot(de->d_name))
                        continue;
                int k = rm_rf_at(dirfd(d), de->d_name);
                if (k < 0 && r == 0)
                        r = k;
        }
        closedir(d);
        if (unlinkat(dir_fd, name, AT_REMOVEDIR) < 0 && r == 0)
                r = -errno;
        return r;
}

/* Opens (creating) each directory of REL's parent below BASE_FD; returns the parent fd. */
static int open_parent_dirs(int base_fd, const char *rel, const char **ret_name) {
        _cleanup_free_ char *copy = xstrdup(rel);
        int fd = fcntl(base_fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        char *comp = copy;
        for (char *slash; (slash = strchr(comp, '/')); comp = slash + 1) {
                *slash = 0;
                if (streq(comp, "..") || streq(comp, ".") || !*comp) {
                        close(fd);
                        return -EINVAL;
                }
                if (mkdirat(fd, comp, 0755) < 0 && errno != EEXIST) {
                        int r = -errno;
                        close(fd);
                        return r;
                }
                int nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                int r = -errno;
                close(fd);
                if (nfd < 0)
                        return r;
                fd = nfd;
        }
        *ret_name = rel + (comp - copy);
        return fd;
}

static int copy_and_hash(int in, int out, uint64_t size, char hex[65]) {
        EVP_MD_CTX *ctx = sym_EVP_MD_CTX_new();
        if (!ctx || sym_EVP_DigestInit_ex(ctx, sym_EVP_sha256(), NULL) != 1) {
                sym_EVP_MD_CTX_free(ctx);
                return -ENOMEM;
        }
        static char buf[1 << 17];
        uint64_t left = size;
        int r = 0;
        while (left > 0) {
                ssize_t k = read(in, buf, left < sizeof(buf) ? (size_t) left : sizeof(buf));
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0) {
                        r = k < 0 ? -errno : -EIO; /* shorter than its size said */
                        break;
                }
                sym_EVP_DigestUpdate(ctx, buf, (size_t) k);
                if ((r = loop_write(out, buf, (size_t) k)) < 0)
                        break;
                left -= (uint64_t) k;
        }
        if (r == 0) {
                unsigned char md[32];
                sym_EVP_DigestFinal_ex(ctx, md, NULL);
                for (int i = 0; i < 32; i++)
                        snprintf(hex + 2 * i, 3, "%02x", md[i]);
        }
        sym_EVP_MD_CTX_free(ctx);
        return r;
}

struct walk {
        char *const *patterns;
        int dest_fd;
        uint64_t max_size;
        struct artifact_list *out;
};

static bool matches_any(char *const *patterns, const char *rel, bool prefix) {
        for (char *const *p = patterns; *p; p++)
                if (prefix ? glob_may_match_below(*p, rel) : glob_match_path(*p, rel))
                        return true;
        return false;
}

static void copy_one(struct walk *w, int dir_fd, const char *name, const char *rel, const struct stat *st) {
        if (S_ISLNK(st->st_mode))
                return refuse(w->out, rel, "symlink: not followed, its target may be a host file");
        if (!S_ISREG(st->st_mode))
                return refuse(w->out, rel, "not a regular file");
        if ((uint64_t) st->st_size > w->max_size)
                return refuse(w->out, rel, "larger than --artifact-max-size");
        if (w->out->n >= MAX_ARTIFACTS)
                return refuse(w->out, rel, "too many artifacts");
        _cleanup_close_ int in = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        struct stat again;
        if (in < 0 || fstat(in, &again) < 0 || !S_ISREG(again.st_mode) || again.st_ino != st->st_ino)
                return refuse(w->out, rel, "changed while being copied");
        const char *leaf = NULL;
        _cleanup_close_ int parent = open_parent_dirs(w->dest_fd, rel, &leaf);
        if (parent < 0)
                return refuse(w->out, rel, "cannot create its directory in the out folder");
        _cleanup_close_ int out = openat(parent, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                         (st->st_mode & 0111) ? 0755 : 0644);
        if (out < 0)
                return refuse(w->out, rel, "cannot create it in the out folder");
        struct artifact a = { .size = (uint64_t) again.st_size };
        if (copy_and_hash(in, out, a.size, a.sha256) < 0) {
                (void) unlinkat(parent, leaf, 0);
                return refuse(w->out, rel, "read error while copying");
        }
        a.path = xstrdup(rel);
        GREEDY_REALLOC(w->out->v, w->out->n_allocated, w->out->n + 1);
        w->out->v[w->out->n++] = a;
}

static int dirent_cmp(const void *a, const void *b) {
        return strcmp((*(struct dirent *const *) a)->d_name, (*(struct dirent *const *) b)->d_name);
}

static int walk_dir(struct walk *w, int dir_fd, const char *prefix, int depth) {
        if (depth > MAX_DEPTH)
                return 0;
        DIR *d = opendir_at(dir_fd, ".");
        if (!d)
                return -errno;
        /* Sorted, so the report and the artifacts folder are reproducible. */
        struct dirent **names = NULL;
        size_t n = 0, names_allocated = 0;
        for (struct dirent *de; (de = readdir(d));) {
                if (dot_or_dotdot(de->d_name))
                        continue;
                GREEDY_REALLOC(names, names_allocated, n + 1);
                names[n] = xmalloc(sizeof(struct dirent));
                memcpy(names[n++], de, sizeof(struct dirent));
        }
        if (n > 1)
                qsort(names, n, sizeof(*names), dirent_cmp);
        for (size_t i = 0; i < n; i++) {
                const char *name = names[i]->d_name;
                _cleanup_free_ char *rel = *prefix ? xasprintf("%s/%s", prefix, name) : xstrdup(name);
                struct stat st;
                if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (matches_any(w->patterns, rel, false) && !S_ISDIR(st.st_mode))
                        copy_one(w, dirfd(d), name, rel, &st);
                else if (S_ISDIR(st.st_mode) && matches_any(w->patterns, rel, true)) {
                        _cleanup_close_ int sub =
                                openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub >= 0)
                                (void) walk_dir(w, sub, rel, depth + 1);
                }
        }
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
        closedir(d);
        return 0;
}

int artifacts_collect(int root_fd, char *const *patterns, int out_fd, uint64_t max_size, struct artifact_list *ret) {
        *ret = (struct artifact_list){};
        if (!patterns || !*patterns)
                return 0;
        int r = dlopen_libcrypto();
        if (r < 0)
                return r;
        r = rm_rf_at(out_fd, "artifacts");
        if (r < 0)
                return r;
        if (mkdirat(out_fd, "artifacts", 0755) < 0)
                return -errno;
        _cleanup_close_ int dest = openat(out_fd, "artifacts", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dest < 0)
                return -errno;
        struct walk w = { .patterns = patterns, .dest_fd = dest, .max_size = max_size, .out = ret };
        return walk_dir(&w, root_fd, "", 0);
}
