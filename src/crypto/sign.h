/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Ed25519 keys and signatures (OpenSSL), shared by every command that signs:
 * provenance (DSSE), sealed toolchain manifests, ledger checkpoints and triage
 * bundles. Keys are PEM files: KEY holds the PKCS#8 private key (mode 0600),
 * KEY.pub the SubjectPublicKeyInfo, so `openssl pkeyutl` reads both.
 *
 * Functions return 0 or -errno; -EKEYREJECTED means the file is not an Ed25519
 * key, -EPERM that a private key is readable by group or others.
 */
#include <stddef.h>
#include <stdint.h>

#include "crypto/openssl-dl.h"
#include "basic/macro.h"

#define SIGNATURE_SIZE 64
#define KEYID_HEX_SIZE 65 /* sha256 of the raw 32-byte public key, hex, NUL */

/* Also where nothing loaded libcrypto: there is no key to free then. */
DEFINE_TRIVIAL_CLEANUP_FUNC_NAMED(evp_pkey_freep, EVP_PKEY *, sym_EVP_PKEY_free);
#define _cleanup_pkey_ _cleanup_(evp_pkey_freep)

/*
 * Writes PATH (0600, must not exist) and PATH.pub (0644). These three load
 * libcrypto: the functions below need a key, so it is loaded by then.
 */
int key_generate(const char *path);
int key_load_private(const char *path, EVP_PKEY **ret);
/* Reads a public key, or derives it when PATH holds a private key. */
int key_load_public(const char *path, EVP_PKEY **ret);

/* Stable identifier of a key: lowercase hex sha256 of the raw public key. */
int key_id(EVP_PKEY *key, char ret[KEYID_HEX_SIZE]);

int sign_buffer(EVP_PKEY *key, const void *data, size_t n, uint8_t sig[SIGNATURE_SIZE]);
/* 0 when SIG is KEY's signature of DATA, -EBADMSG when it is not. */
int verify_buffer(EVP_PKEY *key, const void *data, size_t n, const uint8_t *sig, size_t sig_len);
