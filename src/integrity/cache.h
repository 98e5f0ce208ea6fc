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
 *   DIR/digests must be regular files of ours, mode 0600, one link. The cache
 *   ends with an HMAC-SHA256 of its content under that key, so an edited,
 *   truncated, or transplanted cache is refused as a whole.
 *
 * Thread-safe (one mutex). Functions return 0 or -errno and never print.
 */
#include <stdbool.h>
#include <stdint.h>

#include "integrity/manifest.h"

#define DIGEST_CACHE_DEFAULT_DIR "/var/cache/buildward"

enum {
        /* Start empty, ignoring what DIR/digests holds (after a refused cache). */
        DIGEST_CACHE_FRESH = 1 << 0,
};

struct digest_cache;

/* DIR NULL: $BUILDWARD_CACHE_DIR, else DIGEST_CACHE_DEFAULT_DIR. */
const char *digest_cache_dir(void);

/*
 * Opens (creating DIR 0700, the key and an empty cache as needed).
 * -EPERM: DIR, DIR/key or DIR/digests belongs to someone else or is open to
 * others; -EBADMSG: the HMAC does not verify. *RET_WHY (when not NULL) says
 * which file and why, for the caller's message.
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
/* Records a digest computed from the file ID describes (skipped when ID is racily recent). */
void digest_cache_put(struct digest_cache *c, const struct file_id *id, const uint8_t d[VERITY_DIGEST_SIZE]);
/* Writes DIR/digests atomically when something changed; nothing for a memory cache. */
int digest_cache_save(struct digest_cache *c);
