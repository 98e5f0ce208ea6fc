/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <json-c/json.h>

#include "attest/envelope-file.h"

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
