/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * DSSE envelopes (github.com/secure-systems-lab/dsse, protocol v1):
 *   {"payloadType": TYPE, "payload": base64(BODY), "signatures": [{"keyid": ID, "sig": base64(SIG)}]}
 * where SIG signs PAE(TYPE, BODY) =
 *   "DSSEv1" SP LEN(TYPE) SP TYPE SP LEN(BODY) SP BODY
 * with LEN the ASCII decimal byte count, no leading zeros. Pure functions over
 * buffers; 0 or -errno.
 */
#include <stddef.h>
#include <stdint.h>

#include "crypto/sign.h"

#define DSSE_INTOTO_TYPE "application/vnd.in-toto+json"

/* The PAE bytes (heap, not NUL-terminated for binary bodies; one NUL is added after them). */
uint8_t *dsse_pae(const char *type, const void *body, size_t n, size_t *ret_len);

/* Needs libcrypto loaded (crypto/openssl-dl.h): a key, or base64_decode(), loads it. */
char *base64_encode(const void *data, size_t n);
/* -EBADMSG on anything that is not canonical padded base64. Loads libcrypto. */
int base64_decode(const char *s, uint8_t **ret, size_t *ret_len);

/* The envelope's JSON text (heap, NUL-terminated), signed by KEY. */
int dsse_sign(const char *type, const void *body, size_t n, EVP_PKEY *key, char **ret);

struct dsse_signature {
        char *keyid;
        uint8_t *sig;
        size_t sig_len;
};

struct dsse_envelope {
        char *payload_type;
        uint8_t *payload; /* NUL-terminated as a convenience; payload_len excludes it */
        size_t payload_len;
        struct dsse_signature *sigs;
        size_t n_sigs;
};

/* Parses an envelope; -EBADMSG when TEXT is not one (untrusted input: bounded, no crash). */
int dsse_parse(const char *text, size_t n, struct dsse_envelope *ret);
void dsse_envelope_done(struct dsse_envelope *e);

/*
 * 0 when a signature of E is KEY's over PAE; its index in *RET_INDEX (may be NULL).
 * -EBADMSG when none is; -ENOKEY when no signature carries KEY's keyid.
 */
int dsse_verify(const struct dsse_envelope *e, EVP_PKEY *key, size_t *ret_index);
