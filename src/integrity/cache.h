/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The digest cache: what makes re-checking an unchanged toolchain cost one
 * statx() per file. docs/integrity.md explains why it is sound; in short:
 *
 * - An entry is keyed by (device, inode) and valid only while size, mtime,
 *   ctime and birth time all still match. Writing a file or restoring its mtime
 *   (utimensat) sets ctime to "now", which no unprivileged call can set back.
 * - A file whose ctime is less than a second older than the moment the cache
 *   was opened is never cached: the kernel's ctime clock is coarse, so a write
 *   in the same tick as our read could leave ctime unchanged ("racily clean").
 * - DIR (default /var/cache/buildward, or $BUILDWARD_CACHE_DIR) must be a
 *   directory of ours that nobody else can write; DIR/key (32 random bytes) and
 *   DIR/digests.db must be regular files of ours, mode 0600, one link.
 * - DIR/digests.db is SQLite in WAL mode, one row per (dev, ino). Each row
 *   carries an HMAC-SHA256 under DIR/key of all its fields but the last-used
 *   time (which only orders eviction): an edited or transplanted row is
 *   refused (a miss, counted, dropped at save), a deleted row costs a hash.
 * - A command reads only the rows of the files it looks up and writes only the
 *   rows that changed, in one transaction at save: concurrent writers keep each
 *   other's rows, a reader sees a whole transaction or none.
 * - Only what can still be used is kept: a row whose file changed is dropped
 *   when met, a save that wrote rows also re-checks a slice of the others
 *   (statx of their path), and past $BUILDWARD_CACHE_MAX_ENTRIES (default
 *   DIGEST_CACHE_DEFAULT_MAX) the least recently used rows are evicted.
 *
 * Thread-safe (one mutex). Functions return 0 or -errno and never print.
 */
#include <stdbool.h>
#include <stdint.h>

#include "integrity/manifest.h"

#define DIGEST_CACHE_DEFAULT_DIR "/var/cache/buildward"
#define DIGEST_CACHE_FILE        "digests.db"
#define DIGEST_CACHE_DEFAULT_MAX 1000000

enum {
        /* Start empty: DIR/digests.db is removed first (after a refused cache). */
        DIGEST_CACHE_FRESH = 1 << 0,
};

struct digest_cache;

/* DIR NULL: $BUILDWARD_CACHE_DIR, else DIGEST_CACHE_DEFAULT_DIR. */
const char *digest_cache_dir(void);

/*
 * Opens (creating DIR 0700, the key and an empty cache as needed).
 * -EPERM: DIR, DIR/key or DIR/digests.db belongs to someone else or is open
 * to others; -EBADMSG: DIR/digests.db is not a database of ours (damaged);
 * -ELIBACC: SQLite cannot be loaded. *RET_WHY (when not NULL) says which file
 * and why, for the caller's message. An old single-file DIR/digests is removed.
 */
int digest_cache_open(const char *dir, unsigned flags, struct digest_cache **ret, char **ret_why);
/*
 * A cache in memory only, never saved: the same keys and rules, for a process
 * that checks files repeatedly (the monitor) when the file cache is unusable.
 */
struct digest_cache *digest_cache_new_memory(void);
bool digest_cache_is_memory(const struct digest_cache *c);
void digest_cache_free(struct digest_cache *c);
static inline void digest_cache_freep(struct digest_cache **c) {
        digest_cache_free(*c);
}
#define _cleanup_digest_cache_ __attribute__((cleanup(digest_cache_freep)))

/* True and the digest when ID's entry exists and every field of ID matches. */
bool digest_cache_lookup(struct digest_cache *c, const struct file_id *id, uint8_t ret[VERITY_DIGEST_SIZE]);
/*
 * Records a digest computed from the file ID describes (skipped when ID is
 * racily recent). PATH (may be NULL) is where it was found: what the sweep
 * statx()es to tell a live entry from a dead one.
 */
void digest_cache_put(struct digest_cache *c, const struct file_id *id, const char *path,
                      const uint8_t d[VERITY_DIGEST_SIZE]);
/*
 * Writes the new rows, drops the stale and refused ones met, then (when rows
 * were written) sweeps a slice and enforces the cap, in one transaction.
 * Nothing for a memory cache. -EAGAIN: another writer held the lock too long.
 */
int digest_cache_save(struct digest_cache *c);

/* The work done, for `check --json` and tests (lookup cost must follow what is checked). */
struct digest_cache_stats {
        uint64_t queries;   /* lookups that went to DIR/digests.db */
        uint64_t rows_read; /* rows read by those lookups */
        uint64_t refused;   /* rows whose HMAC failed */
        uint64_t dropped;   /* stale, dead or refused rows deleted */
        uint64_t written;   /* rows inserted or replaced */
        uint64_t evicted;   /* least recently used rows deleted for the cap */
};
void digest_cache_get_stats(struct digest_cache *c, struct digest_cache_stats *ret);

/* For `doctor`: what DIR/digests.db holds, found by statx() of every entry's path. */
struct digest_cache_info {
        uint64_t file_size; /* digests.db and its WAL, bytes */
        uint64_t entries;
        uint64_t live;    /* the file at the entry's path is still that version */
        uint64_t dead;    /* gone, changed or refused: removed by CLEANUP */
        uint64_t no_path; /* nothing to statx(): counted live, left to the cap */
};
/* Reads every row; with CLEANUP deletes the dead ones. Not for a memory cache (-EINVAL). */
int digest_cache_inspect(struct digest_cache *c, bool cleanup, struct digest_cache_info *ret);
