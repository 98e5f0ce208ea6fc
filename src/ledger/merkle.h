/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The Merkle tree hash of RFC 6962 §2.1, over SHA-256:
 *   leaf  = SHA256(0x00 || entry)
 *   node  = SHA256(0x01 || left || right)
 *   MTH(D[n]) splits at k, the largest power of two below n, so trees whose
 *   size is not a power of two are the RFC's, not padded ones.
 * Pure functions over byte arrays: no I/O, no allocation beyond what is documented.
 * The hashing ones need libcrypto loaded (crypto/openssl-dl.h): ledger_open() loads it.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HASH_SIZE        32
#define HASH_HEX_SIZE    65
#define MERKLE_MAX_PROOF 64

typedef uint8_t merkle_hash[HASH_SIZE];

void merkle_leaf_hash(const void *entry, size_t n, merkle_hash ret);
void merkle_node_hash(const merkle_hash left, const merkle_hash right, merkle_hash ret);

/* MTH over LEAVES[0..N) (leaf hashes already computed); SHA256("") for N == 0. */
void merkle_root(const merkle_hash *leaves, uint64_t n, merkle_hash ret);

/*
 * PATH(m, D[n]) of RFC 6962 §2.1.1: the audit path of leaf M in the tree of the
 * first N leaves, leaf-side first. Returns its length (0..64), or -EINVAL when M >= N.
 */
int merkle_inclusion_proof(const merkle_hash *leaves, uint64_t n, uint64_t m, merkle_hash ret[MERKLE_MAX_PROOF]);

/* 0 when PROOF shows that LEAF is leaf M of the tree of size N with ROOT, else -EBADMSG. */
int merkle_verify_inclusion(const merkle_hash leaf, uint64_t m, uint64_t n, const merkle_hash *proof, size_t len,
                            const merkle_hash root);

/*
 * The right edge of a growing tree: one perfect-subtree root per set bit of the
 * size, the largest (leftmost) first. Appending costs O(log n); the root of the
 * tree so far is the frontier folded right to left.
 */
struct merkle_frontier {
        uint64_t size;
        unsigned n;
        merkle_hash h[64];
};

void merkle_frontier_append(struct merkle_frontier *f, const merkle_hash leaf);
void merkle_frontier_root(const struct merkle_frontier *f, merkle_hash ret);
/* Hex of the frontier's hashes, concatenated (n * 64 characters + NUL). */
char *merkle_frontier_to_hex(const struct merkle_frontier *f);
/* -EBADMSG when HEX does not hold exactly one hash per set bit of SIZE. */
int merkle_frontier_from_hex(uint64_t size, const char *hex, struct merkle_frontier *ret);

/*
 * PROOF(m, D[n]) of RFC 6962 §2.1.2, that the tree of size M = OLD->size is a
 * prefix of the tree of size M + N_NEW, computed from what an incremental
 * verifier holds: the frontier of the old tree (its perfect subtrees, which is
 * all of it the proof needs) and the N_NEW leaf hashes after it. Returns the
 * length (0 when M is 0 or N_NEW is 0), or -EINVAL.
 */
#define MERKLE_MAX_CONSISTENCY 130
int merkle_consistency_proof(const struct merkle_frontier *old, const merkle_hash *leaves, uint64_t n_new,
                             merkle_hash ret[MERKLE_MAX_CONSISTENCY]);
/* RFC 9162 §2.1.4.2: 0 when PROOF shows that OLD_ROOT (size M) is a prefix of NEW_ROOT (size N), else -EBADMSG. */
int merkle_verify_consistency(uint64_t m, uint64_t n, const merkle_hash old_root, const merkle_hash new_root,
                              const merkle_hash *proof, size_t len);

void hash_to_hex(const uint8_t *h, size_t n, char *ret);
int hash_from_hex(const char *hex, uint8_t *ret, size_t n);
