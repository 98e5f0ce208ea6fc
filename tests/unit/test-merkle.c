/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RFC 6962 Merkle hashing against the test vectors of the Certificate
 * Transparency reference implementation (leaves "", 00, 10, 2021, 3031,
 * 40414243, 5051525354555657, 606162636465666768696a6b6c6d6e6f), which we
 * also recomputed by hand with Python's hashlib from the RFC's definitions.
 */
#include "ledger/merkle.h"
#include "basic/util.h"
#include "crypto/openssl-dl.h"
#include "tap.h"

static const char *const leaf_hex[] = {
        "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"
};

static const char *const roots[] = {
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static void leaves8(merkle_hash ret[8]) {
        for (size_t i = 0; i < 8; i++) {
                uint8_t raw[16];
                size_t n = strlen(leaf_hex[i]) / 2;
                ASSERT_EQ_INT(n == 0 ? 0 : hash_from_hex(leaf_hex[i], raw, n), 0);
                merkle_leaf_hash(raw, n, ret[i]);
        }
}

static const char *hex(const merkle_hash h) {
        static char buf[4][HASH_HEX_SIZE];
        static int k;
        k = (k + 1) % 4;
        hash_to_hex(h, HASH_SIZE, buf[k]);
        return buf[k];
}

TEST(empty_tree_is_sha256_of_nothing) {
        ASSERT_EQ_INT(dlopen_libcrypto(), 0); /* merkle.h: ledger_open() loads it */
        merkle_hash r;
        merkle_root(NULL, 0, r);
        ASSERT_STREQ(hex(r), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        struct merkle_frontier f = {};
        merkle_frontier_root(&f, r);
        ASSERT_STREQ(hex(r), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(roots_match_rfc6962_vectors) {
        ASSERT_EQ_INT(dlopen_libcrypto(), 0); /* merkle.h: ledger_open() loads it */
        merkle_hash l[8], r;
        leaves8(l);
        struct merkle_frontier f = {};
        for (size_t n = 1; n <= 8; n++) {
                merkle_root(l, n, r);
                ASSERT_STREQ(hex(r), roots[n - 1]);
                merkle_frontier_append(&f, l[n - 1]);
                merkle_frontier_root(&f, r);
                ASSERT_STREQ(hex(r), roots[n - 1]);
        }
}

TEST(inclusion_proofs_match_vectors) {
        ASSERT_EQ_INT(dlopen_libcrypto(), 0); /* merkle.h: ledger_open() loads it */
        static const struct {
                uint64_t m, n;
                const char *path[3];
        } v[] = {
                { 0,
                  8,
                  { "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
                { 5,
                  8,
                  { "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
                { 2, 3, { "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125" } },
                { 1,
                  5,
                  { "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
                { 6,
                  7,
                  { "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
        };
        merkle_hash l[8], proof[MERKLE_MAX_PROOF], root;
        leaves8(l);
        for (size_t i = 0; i < ELEMENTSOF(v); i++) {
                int len = merkle_inclusion_proof(l, v[i].n, v[i].m, proof);
                size_t want = 0;
                while (want < 3 && v[i].path[want])
                        want++;
                ASSERT_EQ_INT(len, want);
                for (size_t k = 0; k < want && (int) k < len; k++)
                        ASSERT_STREQ(hex(proof[k]), v[i].path[k]);
                merkle_root(l, v[i].n, root);
                ASSERT_EQ_INT(merkle_verify_inclusion(l[v[i].m], v[i].m, v[i].n, proof, (size_t) len, root), 0);
        }
        ASSERT_EQ_INT(merkle_inclusion_proof(l, 3, 3, proof), -EINVAL);
}

/* Every leaf of every tree up to 70 leaves: proofs verify, and any change breaks them. */
TEST(inclusion_proofs_verify_and_detect_changes) {
        ASSERT_EQ_INT(dlopen_libcrypto(), 0); /* merkle.h: ledger_open() loads it */
        enum { N = 70 };
        merkle_hash l[N], proof[MERKLE_MAX_PROOF], root, other;
        for (uint32_t i = 0; i < N; i++)
                merkle_leaf_hash(&i, sizeof(i), l[i]);
        struct merkle_frontier f = {};
        for (uint64_t n = 1; n <= N; n++) {
                merkle_frontier_append(&f, l[n - 1]);
                merkle_root(l, n, root);
                merkle_frontier_root(&f, other);
                ASSERT_STREQ(hex(root), hex(other));
                for (uint64_t m = 0; m < n; m++) {
                        int len = merkle_inclusion_proof(l, n, m, proof);
                        ASSERT_TRUE(len >= 0);
                        ASSERT_EQ_INT(merkle_verify_inclusion(l[m], m, n, proof, (size_t) len, root), 0);
                        /*
                         * wrong index, wrong leaf, tampered path, truncated path (the size is bound by
                         * the signed checkpoint, not the path: paths of equal shape fit several sizes)
                         */
                        if (n > 1)
                                ASSERT_EQ_INT(merkle_verify_inclusion(l[m], (m + 1) % n, n, proof, (size_t) len, root),
                                              -EBADMSG);
                        ASSERT_EQ_INT(merkle_verify_inclusion(l[(m + 1) % N], m, n, proof, (size_t) len, root),
                                      -EBADMSG);
                        if (len > 0) {
                                proof[len - 1][0] ^= 1;
                                ASSERT_EQ_INT(merkle_verify_inclusion(l[m], m, n, proof, (size_t) len, root), -EBADMSG);
                                proof[len - 1][0] ^= 1;
                                ASSERT_EQ_INT(merkle_verify_inclusion(l[m], m, n, proof, (size_t) len - 1, root),
                                              -EBADMSG);
                        }
                }
        }
}

TEST(frontier_round_trips_through_hex) {
        ASSERT_EQ_INT(dlopen_libcrypto(), 0); /* merkle.h: ledger_open() loads it */
        merkle_hash l[8], a, b;
        leaves8(l);
        struct merkle_frontier f = {}, g;
        for (size_t i = 0; i < 7; i++)
                merkle_frontier_append(&f, l[i]);
        ASSERT_EQ_INT(f.n, 3); /* 7 = 4 + 2 + 1 */
        _cleanup_free_ char *s = merkle_frontier_to_hex(&f);
        ASSERT_EQ_INT(strlen(s), 3 * 64);
        ASSERT_EQ_INT(merkle_frontier_from_hex(7, s, &g), 0);
        merkle_frontier_append(&g, l[7]);
        merkle_frontier_root(&g, a);
        ASSERT_STREQ(hex(a), roots[7]);
        ASSERT_EQ_INT(merkle_frontier_from_hex(6, s, &g), -EBADMSG); /* 6 has two bits, not three */
        s[5] = 'X';
        ASSERT_EQ_INT(merkle_frontier_from_hex(7, s, &g), -EBADMSG);
        merkle_node_hash(l[0], l[1], b);
        ASSERT_STREQ(hex(b), roots[1]);
}

/* The consistency proofs of the Certificate Transparency reference tests, over the same eight leaves. */
TEST(consistency_proofs_match_vectors) {
        ASSERT_EQ_INT(dlopen_libcrypto(), 0);
        static const struct {
                uint64_t m, n;
                size_t len;
                const char *proof[3];
        } v[] = {
                { 1,
                  8,
                  3,
                  { "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
                { 6,
                  8,
                  3,
                  { "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
                { 2,
                  5,
                  2,
                  { "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
        };
        merkle_hash l[8], p[MERKLE_MAX_CONSISTENCY], ro, rn;
        leaves8(l);
        for (size_t t = 0; t < ELEMENTSOF(v); t++) {
                struct merkle_frontier f = {};
                for (uint64_t i = 0; i < v[t].m; i++)
                        merkle_frontier_append(&f, l[i]);
                int len = merkle_consistency_proof(&f, l + v[t].m, v[t].n - v[t].m, p);
                ASSERT_EQ_INT(len, (int) v[t].len);
                for (size_t i = 0; i < v[t].len; i++)
                        ASSERT_STREQ(hex(p[i]), v[t].proof[i]);
                merkle_root(l, v[t].m, ro);
                merkle_root(l, v[t].n, rn);
                ASSERT_EQ_INT(merkle_verify_consistency(v[t].m, v[t].n, ro, rn, p, (size_t) len), 0);
        }
}

/* Every pair of sizes up to 40: the proof from a frontier verifies; a changed hash or root does not. */
TEST(consistency_proofs_verify_and_detect_changes) {
        ASSERT_EQ_INT(dlopen_libcrypto(), 0);
        merkle_hash l[40], p[MERKLE_MAX_CONSISTENCY], ro, rn, other;
        for (int i = 0; i < 40; i++)
                merkle_leaf_hash(&i, sizeof(i), l[i]);
        merkle_leaf_hash("x", 1, other);
        for (uint64_t n = 1; n <= 40; n++)
                for (uint64_t m = 1; m <= n; m++) {
                        struct merkle_frontier f = {};
                        for (uint64_t i = 0; i < m; i++)
                                merkle_frontier_append(&f, l[i]);
                        int len = merkle_consistency_proof(&f, l + m, n - m, p);
                        ASSERT_TRUE(len >= 0);
                        merkle_root(l, m, ro);
                        merkle_root(l, n, rn);
                        ASSERT_EQ_INT(merkle_verify_consistency(m, n, ro, rn, p, (size_t) len), 0);
                        ASSERT_EQ_INT(merkle_verify_consistency(m, n, other, rn, p, (size_t) len), -EBADMSG);
                        if (m < n)
                                ASSERT_EQ_INT(merkle_verify_consistency(m, n, ro, other, p, (size_t) len), -EBADMSG);
                        for (int i = 0; i < len; i++) {
                                p[i][0] ^= 1;
                                ASSERT_EQ_INT(merkle_verify_consistency(m, n, ro, rn, p, (size_t) len), -EBADMSG);
                                p[i][0] ^= 1;
                        }
                }
}
