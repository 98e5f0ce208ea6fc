/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Toolchain manifests (docs/integrity.md has the full format): a text file,
 * one entry per line, sorted by path bytes, every field a token without spaces
 * (paths C-escaped, exactly one spelling per path), between a header naming the
 * algorithm and the roots, and an "#end COUNT sha256:..." line that checksums
 * everything above it. An optional last "#signature ed25519 KEYID HEX" line
 * signs everything above it with a `buildward keygen` key.
 *
 *   #buildward-manifest 1
 *   #algorithm fsverity-sha256 block-size=4096 salt=none
 *   #root /usr/lib/gcc
 *   d 0755 0:0 - - - /usr/lib/gcc
 *   f 0755 0:0 31842536 sha256:<64 hex> - /usr/lib/gcc/x86_64-linux-gnu/12/cc1
 *   l 0777 0:0 6 - - /usr/lib/gcc/x86_64-linux-gnu/13 -> 12
 *   #end 3 sha256:<64 hex>
 *
 * Parsing is strict: anything out of place is an error naming its line.
 */
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/evp.h>

#include "integrity/verity.h"
#include "basic/macro.h"

#define MANIFEST_MAX_SIZE (256U << 20)

/* What identifies one version of a file for the digest cache (scans only). */
struct file_id {
        uint64_t dev, ino, size;
        int64_t mtime_ns, ctime_ns, btime_ns; /* btime 0 where the filesystem has none */
};

struct manifest_entry {
        char *path;   /* absolute, decoded */
        char *target; /* symlinks: the link's text, decoded; else NULL */
        char type;    /* f d l c b p s */
        mode_t mode;  /* the 07777 bits */
        uid_t uid;
        gid_t gid;
        uint64_t size; /* files and symlinks */
        bool has_digest;
        uint8_t digest[VERITY_DIGEST_SIZE];
        struct file_id id; /* filled by tree scans, zero in a loaded manifest */
};

struct manifest {
        char **roots; /* strv, absolute, decoded */
        struct manifest_entry *v;
        size_t n;
        size_t *table; /* open addressing by path: index + 1, 0 = empty */
        size_t table_size;
        bool is_signed;
        char keyid[65];          /* when signed */
        bool signature_verified; /* by the key given to manifest_parse() */
        uint8_t file_sha256[32]; /* of the whole file as read */
};

struct manifest_error {
        unsigned line; /* 0: not about one line */
        char msg[320];
};

void manifest_entry_done(struct manifest_entry *e);
void manifest_free(struct manifest *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct manifest *, manifest_free);
#define _cleanup_manifest_ _cleanup_(manifest_freep)

/*
 * Parses N bytes. With PUBKEY, the manifest must carry a valid signature by
 * that key. Errors: -EBADMSG (format; ERR says where), -ENOKEY (PUBKEY given,
 * manifest unsigned), -EKEYREJECTED (signed by another key, or the signature
 * does not match). Never a partial result.
 */
int manifest_parse(const char *data, size_t n, EVP_PKEY *pubkey, struct manifest **ret, struct manifest_error *err);
/* The same from a file (at most MANIFEST_MAX_SIZE); -errno when unreadable. */
int manifest_load(const char *path, EVP_PKEY *pubkey, struct manifest **ret, struct manifest_error *err);

/* The entry for PATH (absolute, decoded), or NULL. O(1). */
const struct manifest_entry *manifest_lookup(const struct manifest *m, const char *path);

/*
 * Serializes ROOTS and the N entries (sorted by path, unique: the caller's
 * job) into a heap buffer, signed when KEY is not NULL.
 */
int manifest_format(char *const *roots, const struct manifest_entry *v, size_t n, EVP_PKEY *key, char **ret,
                    size_t *ret_size);

/* C-style escaping of one path or link target, and its exact inverse (-EINVAL). */
char *manifest_escape(const char *s);
int manifest_unescape(const char *s, size_t n, char **ret);

/* PATH is ROOT or below it (both absolute, canonical). */
bool manifest_path_under(const char *path, const char *root);

int manifest_entry_cmp(const void *a, const void *b); /* by path bytes, for qsort */
