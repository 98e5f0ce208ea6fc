/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Provenance files as they travel with artifacts: where one is, reading its
 * DSSE envelope, checking its statement. Shared by `verify`, provenance/ and
 * ledger/audit.c, hence here below both.
 */
#include "attest/dsse.h"

#define PROVENANCE_FILE "provenance.dsse.json"

/*
 * The provenance.dsse.json that belongs to ARTIFACT: the nearest one in its
 * directory or a parent (artifacts live in OUT/artifacts/...), at most 16 levels up.
 */
char *provenance_find_for(const char *artifact);

/* Reads and parses an envelope file; -EBADMSG when it is not one. */
int provenance_read(const char *path, struct dsse_envelope *ret);

/* The sha256 (hex) of a file, or -errno. */
int file_sha256(const char *path, char ret[65]);

/*
 * Checks the envelope's statement: in-toto v1 type, SLSA v1 predicate, and a
 * subject with DIGEST (when not NULL); its name in *RET_NAME (heap).
 * -EBADMSG with *RET_REASON (heap) otherwise.
 */
int provenance_check_statement(const struct dsse_envelope *e, const char *digest, char **ret_name, char **ret_reason);
