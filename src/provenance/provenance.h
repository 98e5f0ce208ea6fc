/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <json-c/json.h>

#define PROVENANCE_FILE "provenance.dsse.json"

/*
 * What `run` does after report.json is written, when --sign-key or --ledger is
 * given (neither: nothing, and no library is touched):
 *   - with SIGN_KEY: OUT/provenance.dsse.json, a DSSE envelope over the
 *     in-toto statement built from REPORT;
 *   - always: one ledger entry in LEDGER_URL (LEDGER_DEFAULT_URL when NULL),
 *     its checkpoint signed with SIGN_KEY when given.
 * The builder id is $BUILDWARD_BUILDER_ID, else urn:buildward:builder:MACHINE-ID.
 * Returns 0, or -errno with *RET_ERROR set to one line naming cause and fix.
 */
int provenance_for_run(json_object *report, int out_fd, const char *sign_key, const char *ledger_url, char **ret_error);

/*
 * Checks before the build runs what provenance_for_run() will need: the key
 * loads (Ed25519, mode 0600) and the ledger URL has a known scheme. A build
 * must not run for an hour to fail on a typo.
 */
int provenance_check_args(const char *sign_key, const char *ledger_url, char **ret_error);

/* The builder id described above (heap). */
char *provenance_builder_id(void);

/* ---- shared by `verify` and `ledger audit-signatures` ---- */
#include "attest/dsse.h"

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
