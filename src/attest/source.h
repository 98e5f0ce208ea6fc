/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What the provenance says about the source tree, read without git or libgit2:
 *
 * - the commit: .git/HEAD (or the gitdir a .git file names, as in worktrees),
 *   followed through loose refs and packed-refs of the common directory;
 * - the tree digest "buildward-tree-v1": SHA-256 of the listing that
 *   `sha256sum` prints for every regular file below the tree, .git and the out
 *   folder excluded, in byte order of their relative paths:
 *       (cd SRC && find . -path ./.git -prune -o -type f -printf '%P\0' |
 *        LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum)
 *   Symbolic links and empty directories are not part of it.
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TREE_DIGEST_FORMAT "buildward-tree-v1"
#define SOURCE_MAX_FILES   1000000

struct source_file {
        char *path;
        char sha256[65];
};

struct source_listing {
        struct source_file *v;
        size_t n;
};

void source_listing_done(struct source_listing *l);

/*
 * The commit HEAD points at (40 or 64 hex digits) and the ref name ("" when
 * detached). -ENOENT when DIR is not the top of a git work tree.
 */
int git_head(const char *dir, char **ret_commit, char **ret_ref);

/*
 * Hashes every regular file below DIR except .git and the directory with
 * device/inode EXCLUDE_DEV/EXCLUDE_INO (the out folder when it lies inside).
 * Loads libcrypto (crypto/openssl-dl.h).
 */
int source_listing_collect(const char *dir, dev_t exclude_dev, ino_t exclude_ino, struct source_listing *ret);

/* Sorts L and computes its tree digest (hex). Needs libcrypto loaded: collecting L loads it. */
void source_listing_digest(struct source_listing *l, char ret[65]);
