/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Hard links in the source tree to files that are not the tree's.
 *
 * A hard link is the file itself, owner and mode included: a link in the
 * tree to a host file (root's 0600 secret, a key in the owner's home) is
 * read through the source overlay. When the tree is idmapped, the tree
 * owner's files appear as the build user's, so a root-owned secret linked
 * into a root-owned tree becomes readable by the build. Nothing in the link
 * tells where its other names are, and finding them would mean walking the
 * whole filesystem; what can be told from one fstatat() per entry is a
 * regular file with more than one link that is either not owned by the
 * tree's owner or private (not readable by others). Those are masked: an
 * empty, mode 0, read-only file is bound over each in the build's view of
 * the tree. The mount point is locked in the build's user namespace, so the
 * build can neither unmount nor rename it, and link() across it is EXDEV.
 *
 * Ordinary trees have none: git checkouts and `cp -al` copies link
 * world-readable files of their owner only.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#include "basic/log.h"
#include "sandbox/internal.h"

struct hl_walk {
        dev_t dev;
        uid_t owner;
        char **found;
        size_t n;
};

static bool hardlink_suspect(const struct stat *s, uid_t owner) {
        return S_ISREG(s->st_mode) && s->st_nlink > 1 &&
               (s->st_uid != owner || !(s->st_mode & S_IRUSR) || !(s->st_mode & S_IROTH));
}

/* REL is the directory's path relative to the tree (PATH_MAX bytes, "" for the top); restored on return. */
static int walk(struct hl_walk *w, int dir_fd, const char *name, char *rel, unsigned depth) {
        if (depth > HARDLINKS_MAX_DEPTH)
                return -ELOOP;
        DIR *d = opendir_at(dir_fd, name);
        if (!d) /* unreadable by buildward: unreadable by the build as well */
                return errno == EACCES ? 0 : -errno;
        int r = 0, dfd = dirfd(d);
        size_t len = strlen(rel);
        for (struct dirent *de; r >= 0 && (de = readdir(d));) {
                /* Only directories and regular files matter: no stat for the rest. */
                if (dot_or_dotdot(de->d_name) ||
                    (de->d_type != DT_DIR && de->d_type != DT_REG && de->d_type != DT_UNKNOWN))
                        continue;
                struct stat s;
                if (fstatat(dfd, de->d_name, &s, AT_SYMLINK_NOFOLLOW) < 0)
                        continue; /* gone since readdir: the overlay will not show it either */
                bool dir = S_ISDIR(s.st_mode);
                /* Other filesystems mounted in the tree are not in the overlay's lower layer. */
                if (!(dir && s.st_dev == w->dev) && !hardlink_suspect(&s, w->owner))
                        continue;
                if (len + 1 + strlen(de->d_name) + 1 > PATH_MAX) {
                        r = -ENAMETOOLONG;
                        break;
                }
                snprintf(rel + len, PATH_MAX - len, "%s%s", len ? "/" : "", de->d_name);
                if (dir)
                        r = walk(w, dfd, de->d_name, rel, depth + 1);
                else if (w->n >= HARDLINKS_MAX_MASKED)
                        r = -E2BIG;
                else {
                        strv_push(&w->found, xstrdup(rel));
                        w->n++;
                }
                rel[len] = 0;
        }
        closedir(d);
        return r;
}

int source_hardlinks_find(int source_fd, uid_t owner, char ***ret_paths) {
        struct stat s;
        if (fstat(source_fd, &s) < 0)
                return -errno;
        struct hl_walk w = { .dev = s.st_dev, .owner = owner };
        _cleanup_free_ char *rel = xcalloc(1, PATH_MAX);
        int r = walk(&w, source_fd, ".", rel, 0);
        if (r < 0) {
                strv_free(w.found);
                return r;
        }
        *ret_paths = w.found;
        return (int) w.n;
}

/* 'a', 'b', ... for a warning: the first few (report.json lists them all). */
static char *hardlinks_list(char *const *paths, int n) {
        char *list = xstrdup("");
        for (int i = 0; i < n && i < 10; i++) {
                char *next = xasprintf("%s%s'%s'", list, i ? ", " : "", paths[i]);
                free(list);
                list = next;
        }
        if (n > 10) {
                char *next = xasprintf("%s and %d more", list, n - 10);
                free(list);
                list = next;
        }
        return list;
}

int stage_mask_hardlinks(struct stage *st, const char *source, char ***warnings, char **ret_failure) {
        _cleanup_strv_free_ char **found = NULL;
        int n = source_hardlinks_find(st->source_fd, st->source_uid, &found);
        if (n == -E2BIG || n == -ELOOP) {
                *ret_failure = xasprintf(
                        "the source tree '%s' has %s %d %s; list them with `find %s -xdev -type f -links +1` and "
                        "remove the links that are not the project's",
                        source, n == -E2BIG ? "more than" : "directories nested deeper than",
                        n == -E2BIG ? HARDLINKS_MAX_MASKED : HARDLINKS_MAX_DEPTH,
                        n == -E2BIG ? "hard-linked files that are private or not its owner's (each would be masked)"
                                    : "levels, which the check for hard links to host files does not walk",
                        source);
                return n;
        }
        if (n < 0) {
                *ret_failure = xasprintf("cannot check the source tree '%s' for hard links to host files (%s)", source,
                                         strerror(-n));
                return n;
        }
        _cleanup_free_ char *mask = xasprintf("%s/mask-file", st->dir);
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *dst = xasprintf("%s/%s", st->merged, found[i]);
                int r = bind_mount(mask, dst, true);
                if (r < 0) {
                        *ret_failure = xasprintf("cannot mask the hard link '%s/%s' in the sandbox (%s); remove it "
                                                 "from the source tree if it is not the project's",
                                                 source, found[i], strerror(-r));
                        return r;
                }
        }
        if (n > 0) {
                _cleanup_free_ char *list = hardlinks_list(found, n);
                strv_push(warnings,
                          xasprintf("masked %d hard-linked file%s of the source tree that may be host files (another "
                                    "owner than the tree's, or private): %s; the build sees %s empty and "
                                    "unreadable: remove the links from the tree if they are not the project's",
                                    n, n == 1 ? "" : "s", list, n == 1 ? "it" : "them"));
        }
        st->masked_hardlinks = TAKE_PTR(found);
        return 0;
}
