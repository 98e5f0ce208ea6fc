/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "attest/source.h"
#include "basic/util.h"
#include "crypto/hash.h"
#include "crypto/openssl-dl.h"

#define GIT_MAX_FILE (64u << 20)
#define MAX_DEPTH    256

void source_listing_done(struct source_listing *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i].path);
        free(l->v);
        *l = (struct source_listing){};
}

static bool is_hex_id(const char *s, size_t n) {
        if (n != 40 && n != 64)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

static char *read_line_at(const char *dir, const char *name) {
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, name), *buf = NULL;
        size_t n;
        if (read_full_file(p, &buf, &n, GIT_MAX_FILE) < 0)
                return NULL;
        buf[strcspn(buf, "\n")] = 0;
        return TAKE_PTR(buf);
}

/* The ref's commit from a loose ref file or packed-refs ("<hex> <ref>" lines). */
static char *resolve_ref(const char *common, const char *ref) {
        if (strstr(ref, "..") || ref[0] == '/')
                return NULL;
        char *v = read_line_at(common, ref);
        if (v && is_hex_id(v, strlen(v)))
                return v;
        free(v);
        _cleanup_free_ char *packed = NULL, *p = xasprintf("%s/packed-refs", common);
        size_t n;
        if (read_full_file(p, &packed, &n, GIT_MAX_FILE) < 0)
                return NULL;
        for (char *line = strtok(packed, "\n"); line; line = strtok(NULL, "\n")) {
                char *sp = strchr(line, ' ');
                if (line[0] == '#' || line[0] == '^' || !sp)
                        continue;
                if (streq(sp + 1, ref) && is_hex_id(line, (size_t) (sp - line)))
                        return strndup(line, (size_t) (sp - line));
        }
        return NULL;
}

int git_head(const char *dir, char **ret_commit, char **ret_ref) {
        _cleanup_free_ char *dotgit = xasprintf("%s/.git", dir), *gitdir = NULL, *common = NULL, *head = NULL;
        struct stat st;
        if (lstat(dotgit, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                gitdir = TAKE_PTR(dotgit);
        else if (S_ISREG(st.st_mode)) {
                /* A linked worktree or submodule: "gitdir: PATH", relative to DIR when not absolute. */
                _cleanup_free_ char *line = read_line_at(dir, ".git");
                const char *p = line ? startswith(line, "gitdir: ") : NULL;
                if (!p)
                        return -EBADMSG;
                gitdir = p[0] == '/' ? xstrdup(p) : xasprintf("%s/%s", dir, p);
        } else
                return -ENOENT;
        _cleanup_free_ char *cd = read_line_at(gitdir, "commondir");
        if (cd)
                common = cd[0] == '/' ? xstrdup(cd) : xasprintf("%s/%s", gitdir, cd);
        else
                common = xstrdup(gitdir);
        head = read_line_at(gitdir, "HEAD");
        if (!head)
                return -ENOENT;
        const char *ref = startswith(head, "ref: ");
        char *commit;
        if (!ref) {
                if (!is_hex_id(head, strlen(head)))
                        return -EBADMSG;
                commit = xstrdup(head);
                ref = "";
        } else {
                /* Per-worktree refs (HEAD, bisect) live in gitdir, branches and tags in the common dir. */
                commit = resolve_ref(common, ref);
                if (!commit)
                        commit = resolve_ref(gitdir, ref);
                if (!commit)
                        return -ENOENT; /* an unborn branch: no commit yet */
        }
        *ret_commit = commit;
        if (ret_ref)
                *ret_ref = xstrdup(ref);
        return 0;
}

static int hash_file_at(int dir_fd, const char *name, char ret[65]) {
        _cleanup_close_ int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        return sha256_fd(fd, ret, NULL);
}

static int walk(int dir_fd, const char *prefix, unsigned depth, dev_t xdev, ino_t xino, struct source_listing *l,
                size_t *cap) {
        if (depth > MAX_DEPTH)
                return -ELOOP;
        DIR *d = opendir_at(dir_fd, ".");
        if (!d)
                return -errno;
        int r = 0;
        for (struct dirent *de; (de = readdir(d));) {
                if (dot_or_dotdot(de->d_name) || (depth == 0 && streq(de->d_name, ".git")))
                        continue;
                struct stat st;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        r = -errno;
                        break;
                }
                _cleanup_free_ char *rel = prefix ? xasprintf("%s/%s", prefix, de->d_name) : xstrdup(de->d_name);
                if (S_ISDIR(st.st_mode)) {
                        if (st.st_dev == xdev && st.st_ino == xino)
                                continue;
                        _cleanup_close_ int sub =
                                openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub < 0) {
                                r = -errno;
                                break;
                        }
                        if ((r = walk(sub, rel, depth + 1, xdev, xino, l, cap)) < 0)
                                break;
                } else if (S_ISREG(st.st_mode)) {
                        if (l->n >= SOURCE_MAX_FILES) {
                                r = -E2BIG;
                                break;
                        }
                        GREEDY_REALLOC(l->v, *cap, l->n + 1);
                        struct source_file *f = &l->v[l->n];
                        if ((r = hash_file_at(dirfd(d), de->d_name, f->sha256)) < 0)
                                break;
                        f->path = TAKE_PTR(rel);
                        l->n++;
                }
        }
        closedir(d);
        return r;
}

int source_listing_collect(const char *dir, dev_t exclude_dev, ino_t exclude_ino, struct source_listing *ret) {
        int r = dlopen_libcrypto(); /* also for an empty tree: source_listing_digest() follows */
        if (r < 0)
                return r;
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        struct source_listing l = {};
        size_t cap = 0;
        r = walk(fd, NULL, 0, exclude_dev, exclude_ino, &l, &cap);
        if (r < 0) {
                source_listing_done(&l);
                return r;
        }
        *ret = l;
        return 0;
}

static int cmp_path(const void *a, const void *b) {
        return strcmp(((const struct source_file *) a)->path, ((const struct source_file *) b)->path);
}

/* One line as GNU sha256sum prints it, escaping names with a backslash or newline. */
static void digest_line(EVP_MD_CTX *c, const struct source_file *f) {
        bool esc = strpbrk(f->path, "\\\n") != NULL;
        if (esc)
                sym_EVP_DigestUpdate(c, "\\", 1);
        sym_EVP_DigestUpdate(c, f->sha256, 64);
        sym_EVP_DigestUpdate(c, "  ", 2);
        for (const char *p = f->path; *p; p++) {
                if (esc && *p == '\\')
                        sym_EVP_DigestUpdate(c, "\\\\", 2);
                else if (esc && *p == '\n')
                        sym_EVP_DigestUpdate(c, "\\n", 2);
                else
                        sym_EVP_DigestUpdate(c, p, 1);
        }
        sym_EVP_DigestUpdate(c, "\n", 1);
}

void source_listing_digest(struct source_listing *l, char ret[65]) {
        if (l->n > 1)
                qsort(l->v, l->n, sizeof(*l->v), cmp_path);
        EVP_MD_CTX *c = sym_EVP_MD_CTX_new();
        uint8_t md[32];
        if (!c || sym_EVP_DigestInit_ex(c, sym_EVP_sha256(), NULL) != 1)
                abort();
        for (size_t i = 0; i < l->n; i++)
                digest_line(c, &l->v[i]);
        sym_EVP_DigestFinal_ex(c, md, NULL);
        sym_EVP_MD_CTX_free(c);
        for (size_t i = 0; i < 32; i++)
                snprintf(ret + 2 * i, 3, "%02x", md[i]);
}
