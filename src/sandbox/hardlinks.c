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
