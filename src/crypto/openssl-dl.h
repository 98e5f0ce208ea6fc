/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * libcrypto (OpenSSL 3), loaded with dlopen() on first use, the way libpq and
 * libarchive are. Linked into our PIE, its 20 000 relative relocations made
 * ld.so dirty ~90 pages of .data.rel.ro at every start, ~1 ms on a guest where
 * a page fault costs 12 us, though a plain `buildward run` never hashes
 * (docs/benchmarks.md, 2026-12-03).
 *
 * We compile against OpenSSL's headers only. Each function is called through
 * sym_NAME, a pointer of the header's own type for NAME, which
 * dlopen_libcrypto() sets. Every entry point that hashes or signs calls it
 * first and returns its error; what runs behind such an entry point (a key, a
 * verity hasher, an open ledger) may use sym_ pointers directly. OpenSSL
 * macros that expand to a function call are written out as sym_ calls
 * (BIO_get_mem_data -> sym_BIO_ctrl).
 */
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

/*
 * Every libcrypto function buildward calls: `nm -u build/buildward` must list
 * none of them. The loader resolves OpenSSL_version_num alone first and checks
 * the version before it resolves anything else the library exports.
 */
#define LIBCRYPTO_SYMBOLS(X)                                                                                           \
        X(OpenSSL_version_num)                                                                                         \
        X(BIO_ctrl)                                                                                                    \
        X(BIO_free)                                                                                                    \
        X(BIO_new)                                                                                                     \
        X(BIO_new_mem_buf)                                                                                             \
        X(BIO_s_mem)                                                                                                   \
        X(CRYPTO_memcmp)                                                                                               \
        X(ERR_clear_error)                                                                                             \
        X(EVP_DecodeBlock)                                                                                             \
        X(EVP_Digest)                                                                                                  \
        X(EVP_DigestFinal_ex)                                                                                          \
        X(EVP_DigestInit_ex)                                                                                           \
        X(EVP_DigestInit_ex2)                                                                                          \
        X(EVP_DigestSign)                                                                                              \
        X(EVP_DigestSignInit)                                                                                          \
        X(EVP_DigestUpdate)                                                                                            \
        X(EVP_DigestVerify)                                                                                            \
        X(EVP_DigestVerifyInit)                                                                                        \
        X(EVP_EncodeBlock)                                                                                             \
        X(EVP_MD_CTX_free)                                                                                             \
        X(EVP_MD_CTX_new)                                                                                              \
        X(EVP_MD_fetch)                                                                                                \
        X(EVP_MD_free)                                                                                                 \
        X(EVP_PKEY_Q_keygen)                                                                                           \
        X(EVP_PKEY_free)                                                                                               \
        X(EVP_PKEY_get_id)                                                                                             \
        X(EVP_PKEY_get_raw_public_key)                                                                                 \
        X(EVP_PKEY_up_ref)                                                                                             \
        X(EVP_sha256)                                                                                                  \
        X(HMAC)                                                                                                        \
        X(OPENSSL_cleanse)                                                                                             \
        X(PEM_read_PUBKEY)                                                                                             \
        X(PEM_read_PrivateKey)                                                                                         \
        X(PEM_read_bio_PUBKEY)                                                                                         \
        X(PEM_write_PUBKEY)                                                                                            \
        X(PEM_write_PrivateKey)                                                                                        \
        X(PEM_write_bio_PUBKEY)                                                                                        \
        X(RAND_bytes)                                                                                                  \
        X(SHA256)

#define LIBCRYPTO_DECLARE(name) extern __typeof__(name) *sym_##name;
LIBCRYPTO_SYMBOLS(LIBCRYPTO_DECLARE)
#undef LIBCRYPTO_DECLARE

/*
 * Loads libcrypto.so.3 and sets every sym_ pointer: once per process, safe
 * from any thread. 0, or -ELIBACC when it cannot be loaded and -ELIBBAD when it
 * is older than OpenSSL 3.0 or lacks a function; the first failure prints one
 * error line naming the fix, later calls return the same error silently.
 */
int dlopen_libcrypto(void);
