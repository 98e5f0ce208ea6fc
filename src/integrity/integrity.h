/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Toolchain integrity: sealing a tree into a manifest, checking a tree against
 * one, and checking single executables during a build.
 *
 * For the monitor (one check per exec of a build):
 *
 *   struct toolchain *t;
 *   struct manifest_error err;
 *   r = toolchain_open("/etc/buildward/gcc.manifest", NULL, TOOLCHAIN_USE_CACHE, &t, &err);
 *   ...
 *   enum toolchain_verdict v;
 *   _cleanup_free_ char *exe = NULL;
 *   r = toolchain_check_pid(t, pid, &v, &exe);   // or toolchain_check_fd(t, fd, path, &v)
 *   if (r == 0 && v == TOOLCHAIN_MISMATCH) ... a sealed file changed: toolchain-tamper
 *   ...
 *   toolchain_free(t);                           // also saves the digest cache
 *
 * The manifest is loaded once (a hash table by path). A check is an fstat plus,
 * for a file whose size, mode and owner match, its digest: the kernel's
 * (fs-verity files), the cache's (one hash lookup keyed by dev, inode, size,
 * mtime, ctime, btime), or hashed once and cached. All calls are thread-safe.
 * When the cache file cannot be used (not root, or refused: t->cache_warning
 * says why), a cache in memory serves instead, so each file is hashed once per
 * toolchain_open(); a file changed less than a second before toolchain_open()
 * is hashed at every check (never cached, see cache.h).
 *
 * Functions return 0 or -errno and never print.
 */
#include <json-c/json.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "integrity/cache.h"
#include "integrity/manifest.h"
#include "basic/macro.h"

struct statx;
void file_id_from_statx(const struct statx *sx, struct file_id *id);

struct hash_stats {
        uint64_t files;  /* regular files whose digest was needed */
        uint64_t bytes;  /* their total size */
        uint64_t hashed; /* computed here */
        uint64_t cached; /* taken from the digest cache */
        uint64_t kernel; /* taken from the kernel (FS_IOC_MEASURE_VERITY) */
};

/*
 * Walks ROOTS (absolute, canonical, none inside another) without following
 * symlinks; every directory, file, symlink and special file becomes an entry,
 * sorted by path, digests not filled in. A missing root gives no entries.
 * EXPECT, when not 0, is how many entries the caller expects (a manifest's
 * count): the result is sized for it once. On failure *RET_PATH (when not
 * NULL) names the path that failed.
 */
int tree_scan(char *const *roots, size_t expect, struct manifest_entry **ret, size_t *ret_n, char **ret_path);
void tree_entries_free(struct manifest_entry *v, size_t n);

/*
 * Computes the digests of the regular files V[IDX[0..N_IDX)] on JOBS threads
 * (0: one per online CPU), largest first. ERRS[i] gets 0 or -errno for
 * V[IDX[i]] (-ESTALE: the file changed since the scan or while it was read).
 * CACHE may be NULL; USE_CACHED false still fills the cache but reads no entry.
 */
/*
 * The digest of the open regular file FD, whose statx() (STATX_BASIC_STATS |
 * STATX_BTIME) gave SX: from CACHE (when USE_CACHED), from the kernel (files
 * SX marks as fs-verity, or all files where the filesystem does not say), or
 * computed with H and then cached under PATH (where FD was opened; may be
 * NULL). -ESTALE when the file changed while it was read. Counts in ST.
 */
int file_digest(struct verity_hasher *h, int fd, const char *path, const struct statx *sx, struct digest_cache *cache,
                bool use_cached, uint8_t ret[VERITY_DIGEST_SIZE], struct hash_stats *st);

int tree_hash(struct manifest_entry *v, const size_t *idx, size_t n_idx, unsigned jobs, struct digest_cache *cache,
              bool use_cached, int *errs, struct hash_stats *stats);

enum diff_kind {
        DIFF_ADDED,
        DIFF_REMOVED,
        DIFF_TYPE,
        DIFF_CONTENT,
        DIFF_MODE,
        DIFF_OWNER,
        DIFF_TARGET,
        DIFF_UNREADABLE,
};
const char *diff_kind_name(enum diff_kind k);

struct difference {
        enum diff_kind kind;
        char *path;
        char *expected, *actual; /* human-readable values; NULL for added/removed */
};

struct diff_list {
        struct difference *v;
        size_t n, n_allocated;
};
void diff_list_done(struct diff_list *l);

/*
 * Compares the trees under M's roots with M: added, removed and changed
 * entries, in path order. CACHE may be NULL.
 */
int tree_compare(const struct manifest *m, unsigned jobs, struct digest_cache *cache, struct diff_list *ret,
                 struct hash_stats *stats);

/* The differences as JSON: [{"path", "change", "expected", "actual"}]. */
json_object *diff_list_to_json(const struct diff_list *l);

struct toolchain {
        struct manifest *manifest;
        struct digest_cache *cache; /* NULL when not asked for; in memory only when the file cache is unusable */
        char *cache_warning;        /* why a cache was asked for but is not used */
        struct verity_hasher *hasher;
        pthread_mutex_t lock;
};

enum {
        TOOLCHAIN_USE_CACHE = 1 << 0,
};

/*
 * Loads MANIFEST (verified against PUBKEY when not NULL, see manifest_parse()).
 * With TOOLCHAIN_USE_CACHE the digest cache is opened; a cache that cannot be
 * used (not root, wrong owner) is not an error: t->cache is then a cache in
 * memory, one that failed its HMAC starts fresh, and t->cache_warning says why.
 */
int toolchain_open(const char *manifest, EVP_PKEY *pubkey, unsigned flags, struct toolchain **ret,
                   struct manifest_error *err);
/* Saves the cache (when one is open) and frees. */
void toolchain_free(struct toolchain *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct toolchain *, toolchain_free);
#define _cleanup_toolchain_ _cleanup_(toolchain_freep)

enum toolchain_verdict {
        TOOLCHAIN_MATCH,           /* PATH is sealed and FD is exactly that file */
        TOOLCHAIN_MISMATCH,        /* PATH is sealed but FD's type, mode, owner, size or content differ */
        TOOLCHAIN_NOT_IN_MANIFEST, /* PATH is not in the manifest */
};
const char *toolchain_verdict_name(enum toolchain_verdict v);

/* Checks the open file FD, found at PATH (absolute), against PATH's entry. */
int toolchain_check_fd(struct toolchain *t, int fd, const char *path, enum toolchain_verdict *ret);
/*
 * Checks the executable of process PID: the file /proc/PID/exe refers to (not
 * whatever its path names now), at the path the kernel reports for it.
 * *RET_PATH (when not NULL) gets that path. -ESRCH when PID is gone.
 */
int toolchain_check_pid(struct toolchain *t, pid_t pid, enum toolchain_verdict *ret, char **ret_path);
