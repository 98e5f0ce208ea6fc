/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "basic/util.h"
#include "crypto/openssl-dl.h"
#include "ledger/merkle.h"

void merkle_leaf_hash(const void *entry, size_t n, merkle_hash ret) {
        static const uint8_t prefix = 0x00;
        EVP_MD_CTX *c = sym_EVP_MD_CTX_new();
        if (!c || sym_EVP_DigestInit_ex(c, sym_EVP_sha256(), NULL) != 1 || sym_EVP_DigestUpdate(c, &prefix, 1) != 1 ||
            sym_EVP_DigestUpdate(c, entry, n) != 1 || sym_EVP_DigestFinal_ex(c, ret, NULL) != 1)
                abort(); /* out of memory: nothing sensible to hash with */
        sym_EVP_MD_CTX_free(c);
}

void merkle_node_hash(const merkle_hash left, const merkle_hash right, merkle_hash ret) {
        uint8_t buf[1 + 2 * HASH_SIZE];
        buf[0] = 0x01;
        memcpy(buf + 1, left, HASH_SIZE);
        memcpy(buf + 1 + HASH_SIZE, right, HASH_SIZE);
        sym_SHA256(buf, sizeof(buf), ret);
}

/* The largest power of two strictly below N (N >= 2). */
static uint64_t split_point(uint64_t n) {
        uint64_t k = 1;
        while (k << 1 < n)
                k <<= 1;
        return k;
}

void merkle_root(const merkle_hash *leaves, uint64_t n, merkle_hash ret) {
        if (n == 0) {
                sym_SHA256(NULL, 0, ret);
                return;
        }
        if (n == 1) {
                memcpy(ret, leaves[0], HASH_SIZE);
                return;
        }
        uint64_t k = split_point(n);
        merkle_hash l, r;
        merkle_root(leaves, k, l);
        merkle_root(leaves + k, n - k, r);
        merkle_node_hash(l, r, ret);
}

static size_t path(const merkle_hash *leaves, uint64_t n, uint64_t m, merkle_hash *ret) {
        if (n <= 1)
                return 0;
        uint64_t k = split_point(n);
        size_t len;
        if (m < k) {
                len = path(leaves, k, m, ret);
                merkle_root(leaves + k, n - k, ret[len]);
        } else {
                len = path(leaves + k, n - k, m - k, ret);
                merkle_root(leaves, k, ret[len]);
        }
        return len + 1;
}

int merkle_inclusion_proof(const merkle_hash *leaves, uint64_t n, uint64_t m, merkle_hash ret[MERKLE_MAX_PROOF]) {
        if (m >= n)
                return -EINVAL;
        return (int) path(leaves, n, m, ret);
}

/*
 * Walks from the leaf to the root the way RFC 9162 §2.1.3.2 describes: the
 * index's low bit says on which side the sibling is, and a node that is the
 * last of its level (fn == sn) with no right sibling climbs without hashing.
 */
int merkle_verify_inclusion(const merkle_hash leaf, uint64_t m, uint64_t n, const merkle_hash *proof, size_t len,
                            const merkle_hash root) {
        if (m >= n)
                return -EBADMSG;
        uint64_t fn = m, sn = n - 1;
        merkle_hash r;
        memcpy(r, leaf, HASH_SIZE);
        for (size_t i = 0; i < len; i++) {
                if (sn == 0)
                        return -EBADMSG;
                if ((fn & 1) || fn == sn) {
                        merkle_node_hash(proof[i], r, r);
                        if (!(fn & 1))
                                while (fn != 0 && !(fn & 1)) {
                                        fn >>= 1;
                                        sn >>= 1;
                                }
                } else
                        merkle_node_hash(r, proof[i], r);
                fn >>= 1;
                sn >>= 1;
        }
        return sn == 0 && memcmp(r, root, HASH_SIZE) == 0 ? 0 : -EBADMSG;
}

/* A tree known by the frontier of its first OLD->size leaves and the leaf hashes after them. */
struct grown {
        const struct merkle_frontier *old;
        const merkle_hash *leaves;
};

/*
 * MTH(D[lo:hi]) of the grown tree. A range inside the old part is always one of
 * the frontier's subtrees here: a node straddling the old size has its left
 * child aligned to its own size, which makes that child maximal in the old part.
 */
static int grown_hash(const struct grown *g, uint64_t lo, uint64_t hi, merkle_hash ret) {
        uint64_t m = g->old->size;
        if (lo >= m) {
                merkle_root(g->leaves + (lo - m), hi - lo, ret);
                return 0;
        }
        if (hi <= m) {
                uint64_t start = 0;
                for (unsigned i = 0; i < g->old->n; i++) {
                        uint64_t size = 1ull << (63 - __builtin_clzll(m - start));
                        if (start == lo && start + size == hi) {
                                memcpy(ret, g->old->h[i], HASH_SIZE);
                                return 0;
                        }
                        start += size;
                }
                return -EINVAL;
        }
        merkle_hash l, r;
        uint64_t k = split_point(hi - lo);
        int e = grown_hash(g, lo, lo + k, l);
        if (e < 0 || (e = grown_hash(g, lo + k, hi, r)) < 0)
                return e;
        merkle_node_hash(l, r, ret);
        return 0;
}

/* SUBPROOF(m, D[lo:hi], b) of RFC 6962 §2.1.2, M absolute; appends to RET at *LEN. */
static int subproof(const struct grown *g, uint64_t m, uint64_t lo, uint64_t hi, bool b, merkle_hash *ret,
                    size_t *len) {
        if (*len >= MERKLE_MAX_CONSISTENCY)
                return -EINVAL;
        if (m == hi)
                return b ? 0 : grown_hash(g, lo, hi, ret[(*len)++]);
        uint64_t k = split_point(hi - lo);
        int e;
        if (m - lo <= k) {
                if ((e = subproof(g, m, lo, lo + k, b, ret, len)) < 0 || *len >= MERKLE_MAX_CONSISTENCY)
                        return e < 0 ? e : -EINVAL;
                return grown_hash(g, lo + k, hi, ret[(*len)++]);
        }
        if ((e = subproof(g, m, lo + k, hi, false, ret, len)) < 0 || *len >= MERKLE_MAX_CONSISTENCY)
                return e < 0 ? e : -EINVAL;
        return grown_hash(g, lo, lo + k, ret[(*len)++]);
}

int merkle_consistency_proof(const struct merkle_frontier *old, const merkle_hash *leaves, uint64_t n_new,
                             merkle_hash ret[MERKLE_MAX_CONSISTENCY]) {
        if (old->size == 0 || n_new == 0)
                return 0;
        struct grown g = { old, leaves };
        size_t len = 0;
        int e = subproof(&g, old->size, 0, old->size + n_new, true, ret, &len);
        return e < 0 ? e : (int) len;
}

int merkle_verify_consistency(uint64_t m, uint64_t n, const merkle_hash old_root, const merkle_hash new_root,
                              const merkle_hash *proof, size_t len) {
        if (m > n)
                return -EBADMSG;
        if (m == 0 || m == n)
                return len == 0 && (m == 0 || memcmp(old_root, new_root, HASH_SIZE) == 0) ? 0 : -EBADMSG;
        /* a power-of-two old size is a node of the new tree: the proof leaves it out */
        const merkle_hash *first;
        size_t i = 0;
        if ((m & (m - 1)) == 0)
                first = (const merkle_hash *) old_root;
        else {
                if (len == 0)
                        return -EBADMSG;
                first = &proof[i++];
        }
        uint64_t fn = m - 1, sn = n - 1;
        while (fn & 1) {
                fn >>= 1;
                sn >>= 1;
        }
        merkle_hash fr, sr;
        memcpy(fr, *first, HASH_SIZE);
        memcpy(sr, *first, HASH_SIZE);
        for (; i < len; i++) {
                if (sn == 0)
                        return -EBADMSG;
                if ((fn & 1) || fn == sn) {
                        merkle_node_hash(proof[i], fr, fr);
                        merkle_node_hash(proof[i], sr, sr);
                        if (!(fn & 1))
                                while (fn != 0 && !(fn & 1)) {
                                        fn >>= 1;
                                        sn >>= 1;
                                }
                } else
                        merkle_node_hash(sr, proof[i], sr);
                fn >>= 1;
                sn >>= 1;
        }
        return sn == 0 && memcmp(fr, old_root, HASH_SIZE) == 0 && memcmp(sr, new_root, HASH_SIZE) == 0 ? 0 : -EBADMSG;
}

void merkle_frontier_append(struct merkle_frontier *f, const merkle_hash leaf) {
        merkle_hash cur;
        memcpy(cur, leaf, HASH_SIZE);
        /* Every trailing one bit of the old size is a subtree of the new leaf's size to merge with. */
        for (uint64_t s = f->size; s & 1; s >>= 1) {
                f->n--;
                merkle_node_hash(f->h[f->n], cur, cur);
        }
        memcpy(f->h[f->n++], cur, HASH_SIZE);
        f->size++;
}

void merkle_frontier_root(const struct merkle_frontier *f, merkle_hash ret) {
        if (f->n == 0) {
                sym_SHA256(NULL, 0, ret);
                return;
        }
        merkle_hash cur;
        memcpy(cur, f->h[f->n - 1], HASH_SIZE);
        for (unsigned i = f->n - 1; i > 0; i--)
                merkle_node_hash(f->h[i - 1], cur, cur);
        memcpy(ret, cur, HASH_SIZE);
}

void hash_to_hex(const uint8_t *h, size_t n, char *ret) {
        static const char digits[] = "0123456789abcdef";
        for (size_t i = 0; i < n; i++) {
                ret[2 * i] = digits[h[i] >> 4];
                ret[2 * i + 1] = digits[h[i] & 15];
        }
        ret[2 * n] = 0;
}

static int unhex(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

int hash_from_hex(const char *hex, uint8_t *ret, size_t n) {
        if (!hex || strlen(hex) != 2 * n)
                return -EBADMSG;
        for (size_t i = 0; i < n; i++) {
                int a = unhex(hex[2 * i]), b = unhex(hex[2 * i + 1]);
                if (a < 0 || b < 0)
                        return -EBADMSG;
                ret[i] = (uint8_t) (a << 4 | b);
        }
        return 0;
}

char *merkle_frontier_to_hex(const struct merkle_frontier *f) {
        char *s = xmalloc(f->n * 2 * HASH_SIZE + 1);
        s[0] = 0;
        for (unsigned i = 0; i < f->n; i++)
                hash_to_hex(f->h[i], HASH_SIZE, s + i * 2 * HASH_SIZE);
        return s;
}

int merkle_frontier_from_hex(uint64_t size, const char *hex, struct merkle_frontier *ret) {
        struct merkle_frontier f = { .size = size, .n = (unsigned) __builtin_popcountll(size) };
        if (!hex || strlen(hex) != f.n * 2 * HASH_SIZE)
                return -EBADMSG;
        for (unsigned i = 0; i < f.n; i++) {
                char one[2 * HASH_SIZE + 1];
                memcpy(one, hex + i * 2 * HASH_SIZE, 2 * HASH_SIZE);
                one[2 * HASH_SIZE] = 0;
                if (hash_from_hex(one, f.h[i], HASH_SIZE) < 0)
                        return -EBADMSG;
        }
        *ret = f;
        return 0;
}
