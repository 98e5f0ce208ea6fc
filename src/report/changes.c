/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the build did to its source tree, read from the overlay's upper layer:
 * a character device 0:0 is a whiteout (deleted), an opaque directory hides the
 * lower one's entries (deleted unless re-created), anything else was created or
 * copied up. Directories are listed like files; a path whose type changed is
 * "modified". A copy-up alone (open for writing, touch, chmod to the same mode) is
 * not a change: content, type and permission bits are compared with the source.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "report/report.h"
#include "basic/util.h"

#define MAX_DEPTH 256

const char *change_kind_name(enum change_kind k) {
        switch (k) {
        case CHANGE_CREATED:
                return "created";
        case CHANGE_MODIFIED:
                return "modified";
        default:
                return "deleted";
        }
}

void change_list_done(struct change_list *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i].path);
        free(l->v);
        *l = (struct change_list){};
}

struct ctx {
        size_t max;
        struct change_list *out;
};

static void add(struct ctx *c, const char *path, enum change_kind k) {
        if (c->out->n >= c->max) {
                c->out->truncated = true;
                return;
        }
        GREEDY_REALLOC(c->out->v, c->out->n_allocated, c->out->n + 1);
        c->out->v[c->out->n++] = (struct change){ xstrdup(path), k };
}

static bool is_opaque(int dir_fd) {
        char v[4];
        ssize_t n = fgetxattr(dir_fd, "trusted.overlay.opaque", v, sizeof(v));
        if (n < 0)
                n = fgetxattr(dir_fd, "user.overlay.opaque", v, sizeof(v));
        return n > 0 && v[0] == 'y';
}

static bool same_content(int a_dir, int b_dir, const char *name, off_t size) {
        _cleanup_close_ int a = openat(a_dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        _cleanup_close_ int b = openat(b_dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (a < 0 || b < 0)
                return false;
        static char ba[1 << 16], bb[1 << 16];
        for (off_t left = size; left > 0;) {
                size_t want = left < (off_t) sizeof(ba) ? (size_t) left : sizeof(ba);
                if (loop_read_exact(a, ba, want) < 0 || loop_read_exact(b, bb, want) < 0)
                        return false;
                if (memcmp(ba, bb, want) != 0)
                        return false;
                left -= (off_t) want;
        }
        return true;
}

static bool same_link(int a_dir, int b_dir, const char *name) {
        char ta[PATH_MAX], tb[PATH_MAX];
        ssize_t na = readlinkat(a_dir, name, ta, sizeof(ta)), nb = readlinkat(b_dir, name, tb, sizeof(tb));
        return na >= 0 && na == nb && memcmp(ta, tb, (size_t) na) == 0;
}

static bool unchanged(int upper, int lower, const char *name, const struct stat *u, const struct stat *l) {
        if ((u->st_mode & S_IFMT) != (l->st_mode & S_IFMT) || (u->st_mode & 07777) != (l->st_mode & 07777))
                return false;
        if (S_ISLNK(u->st_mode))
                return same_link(upper, lower, name);
        if (S_ISREG(u->st_mode))
                return u->st_size == l->st_size && same_content(upper, lower, name, u->st_size);
        return false;
}

static char *join(const char *prefix, const char *name) {
        return *prefix ? xasprintf("%s/%s", prefix, name) : xstrdup(name);
}

static void walk(struct ctx *c, int upper, int lower, const char *prefix, int depth);

/* Every non-directory below DIR_FD, reported as KIND. */
static void report_all(struct ctx *c, int dir_fd, const char *prefix, enum change_kind kind, int depth) {
        if (depth > MAX_DEPTH)
                return;
        DIR *d = opendir_at(dir_fd, ".");
        if (!d)
                return;
        for (struct dirent *de; (de = readdir(d));) {
                if (dot_or_dotdot(de->d_name))
                        continue;
                _cleanup_free_ char *p = join(prefix, de->d_name);
                struct stat st;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0))
                        continue; /* a whiteout inside a new directory hides nothing */
                add(c, p, kind);  /* directories too: an empty one is a change as well */
                if (!S_ISDIR(st.st_mode))
                        continue;
                _cleanup_close_ int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub >= 0)
                        report_all(c, sub, p, kind, depth + 1);
        }
        closedir(d);
}

static void walk(struct ctx *c, int upper, int lower, const char *prefix, int depth) {
        if (depth > MAX_DEPTH)
                return;
        DIR *d = opendir_at(upper, ".");
        if (!d)
                return;
        for (struct dirent *de; (de = readdir(d));) {
                if (dot_or_dotdot(de->d_name))
                        continue;
                const char *name = de->d_name;
                _cleanup_free_ char *p = join(prefix, name);
                struct stat us, ls;
                if (fstatat(dirfd(d), name, &us, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                bool in_lower = lower >= 0 && fstatat(lower, name, &ls, AT_SYMLINK_NOFOLLOW) == 0;

                if (S_ISCHR(us.st_mode) && us.st_rdev == makedev(0, 0)) {
                        if (!in_lower)
                                continue;
                        add(c, p, CHANGE_DELETED);
                        if (S_ISDIR(ls.st_mode)) {
                                _cleanup_close_ int lsub =
                                        openat(lower, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                                if (lsub >= 0)
                                        report_all(c, lsub, p, CHANGE_DELETED, depth + 1);
                        }
                        continue;
                }
                if (!S_ISDIR(us.st_mode)) {
                        if (in_lower && S_ISDIR(ls.st_mode)) {
                                /* A directory replaced by a file: its contents are gone, the path changed type. */
                                _cleanup_close_ int lsub =
                                        openat(lower, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                                if (lsub >= 0)
                                        report_all(c, lsub, p, CHANGE_DELETED, depth + 1);
                                add(c, p, CHANGE_MODIFIED);
                        } else if (!in_lower)
                                add(c, p, CHANGE_CREATED);
                        else if (!unchanged(dirfd(d), lower, name, &us, &ls))
                                add(c, p, CHANGE_MODIFIED);
                        continue;
                }
                _cleanup_close_ int usub = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (usub < 0)
                        continue;
                if (!in_lower || !S_ISDIR(ls.st_mode)) {
                        add(c, p, in_lower ? CHANGE_MODIFIED : CHANGE_CREATED);
                        report_all(c, usub, p, CHANGE_CREATED, depth + 1);
                        continue;
                }
                _cleanup_close_ int lsub = openat(lower, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (is_opaque(usub) && lsub >= 0) {
                        /* Lower entries the upper directory does not re-create are gone. */
                        DIR *ld = opendir_at(lsub, ".");
                        for (struct dirent *le; ld && (le = readdir(ld));) {
                                struct stat x;
                                if (dot_or_dotdot(le->d_name) ||
                                    fstatat(usub, le->d_name, &x, AT_SYMLINK_NOFOLLOW) == 0)
                                        continue;
                                _cleanup_free_ char *lp = join(p, le->d_name);
                                add(c, lp, CHANGE_DELETED);
                        }
                        if (ld)
                                closedir(ld);
                        report_all(c, usub, p, CHANGE_CREATED, depth + 1);
                        continue;
                }
                walk(c, usub, lsub, p, depth + 1);
        }
        closedir(d);
}

static int change_cmp(const void *a, const void *b) {
        return strcmp(((const struct change *) a)->path, ((const struct change *) b)->path);
}

int source_changes_collect(int upper_fd, int lower_fd, size_t max, struct change_list *ret) {
        *ret = (struct change_list){};
        struct ctx c = { .max = max, .out = ret };
        walk(&c, upper_fd, lower_fd, "", 0);
        if (ret->n > 1)
                qsort(ret->v, ret->n, sizeof(*ret->v), change_cmp);
        return 0;
}
