/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The provenance ledger: one entry per build in an append-only Merkle log
 * (RFC 6962 hashing, ledger/merkle.h) with a checkpoint after every entry,
 * "tree size + root hash" signed by the builder's key. Stored in SQLite
 * (sqlite:PATH, linked statically) or PostgreSQL (postgresql://..., libpq
 * loaded with dlopen() only then). docs/provenance.md describes the schema.
 *
 * Functions return 0 or -errno; when the database said more, ledger_error()
 * holds its message until the next call.
 */
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "crypto/sign.h"
#include "ledger/merkle.h"
#include "basic/macro.h"

#define LEDGER_DEFAULT_URL "sqlite:/var/lib/buildward/ledger.db"

struct ledger;

/* CREATE: make the database (and, for sqlite:, its directory) when missing. -ENOENT otherwise. */
int ledger_open(const char *url, bool create, struct ledger **ret);
void ledger_close(struct ledger *l);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ledger *, ledger_close);
#define _cleanup_ledger_ _cleanup_(ledger_closep)
/* The last message from the database, or a short description of what went wrong; never NULL. */
const char *ledger_error(struct ledger *l);
/* The ledger's origin: a random id fixed at creation, part of every checkpoint it signs. */
const char *ledger_origin(struct ledger *l);
/* The last error of ledger_open(), which has no handle to hold it. */
const char *ledger_open_error(void);

/*
 * Appends one entry. IN is an object with: builder, startedOn, finishedOn
 * (RFC 3339), command (array), verdict, provenance ({sha256, keyid} or absent),
 * materials ([{name, digest: {ALGO: HEX}}]), subjects ([{name, digest: {sha256}}])
 * and optionally files ([{path, sha256}], the source listing behind the tree
 * digest). KEY signs the checkpoint; NULL leaves it unsigned.
 * -EINVAL: IN is malformed; -EUCLEAN: the ledger's last entry is inconsistent.
 */
int ledger_append(struct ledger *l, json_object *in, EVP_PKEY *key, uint64_t *ret_index);

/*
 * Appends between ledger_batch_begin() and ledger_batch_end() share one write
 * transaction (one fsync), for bulk imports and the benchmarks: entries are
 * the same as one by one, but none is visible, or durable, before the end, and
 * a failed append leaves the batch to be ended with COMMIT false (rolled back).
 */
int ledger_batch_begin(struct ledger *l);
int ledger_batch_end(struct ledger *l, bool commit);

struct ledger_verify_result {
        uint64_t entries;
        uint64_t unsigned_checkpoints;
        bool ok;
        uint64_t bad_index; /* the first bad entry when !ok */
        char *reason;       /* why it is bad, heap */
        merkle_hash root;
        merkle_hash root_at;             /* the root at tree size AT_SIZE, when entries >= AT_SIZE > 0 */
        struct merkle_frontier frontier; /* of the whole log, when ok */
        size_t consistency_len;          /* ledger_verify_since(): the length of the consistency proof checked */
};

/*
 * Checks the whole log: every entry present and in order, its indexed columns,
 * subjects and materials equal to its signed body, every leaf hash, root and
 * checkpoint signature. TRUSTED (NULL-terminated, may be NULL) limits the keys
 * a checkpoint may be signed with and makes unsigned checkpoints errors;
 * without it, the keys recorded in the ledger are used. AT_SIZE (0: none) asks
 * for the root at that size too, to compare with a checkpoint kept elsewhere,
 * which is what reveals entries removed at the end. Returns 0 when it could
 * read the log (RET->ok tells the verdict), -errno when it could not.
 */
int ledger_verify(struct ledger *l, EVP_PKEY *const *trusted, uint64_t at_size, struct ledger_verify_result *ret);

/*
 * ledger_verify() for what was appended since a tree head kept from an earlier
 * verify (SIZE, ROOT): the entries from SIZE on are checked as ledger_verify()
 * checks every entry, their roots chained from the ledger's frontier at SIZE,
 * and an RFC 6962 consistency proof from (SIZE, ROOT) to the new head is built
 * from that frontier and the new leaves and verified. A log rewritten before
 * SIZE fails the proof (bad_index SIZE - 1); one cut below SIZE is missing
 * entries. RET->entries is the whole log's size.
 */
int ledger_verify_since(struct ledger *l, EVP_PKEY *const *trusted, uint64_t size, const merkle_hash root,
                        struct ledger_verify_result *ret);

/* Entries as JSON objects (the body plus "index"), for the queries. */
int ledger_query_window(struct ledger *l, uint64_t since_usec, uint64_t until_usec, const char *builder,
                        json_object **ret_array);
/* Entries signed with KEYID that started or finished in the window, in log order. */
int ledger_query_keyid(struct ledger *l, const char *keyid, uint64_t since_usec, uint64_t until_usec,
                       json_object **ret_array);
/*
 * Everything built from DIGEST (or from what BUILDER built in the window when
 * DIGEST is NULL), transitively: an entry is reached when one of its materials
 * (source files included) has the digest of a subject of a reached entry.
 * Each result has "depth" and "via" (the digest that linked it).
 */
int ledger_blast_radius(struct ledger *l, const char *digest, const char *builder, uint64_t since_usec,
                        uint64_t until_usec, json_object **ret_array);
/* Entries whose subjects include DIGEST, or whose provenance digest is DIGEST. */
int ledger_find_digest(struct ledger *l, const char *digest, bool provenance, json_object **ret_array);

/* The PEM public key recorded for KEYID, or -ENOKEY. */
int ledger_key(struct ledger *l, const char *keyid, EVP_PKEY **ret);

/*
 * An inclusion proof of entry INDEX against the latest checkpoint: checks the
 * entry's leaf hash, the proof against the checkpoint's root and the checkpoint's
 * signature (with a key of TRUSTED, or the recorded one). 0, -EBADMSG when any
 * of it fails (*RET_REASON says which), -errno on read errors.
 */
int ledger_prove_inclusion(struct ledger *l, uint64_t index, EVP_PKEY *const *trusted, uint64_t *ret_tree_size,
                           char **ret_reason);

/* The checkpoint text a ledger signs (heap). */
char *ledger_checkpoint_text(const char *origin, uint64_t size, const merkle_hash root);
