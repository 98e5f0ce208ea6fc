/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * `ledger audit-signatures`: whether a signed artifact or provenance file has
 * an authorized build behind it. Library code, no printing: the command turns
 * the result into lines or JSON.
 */
#include <json-c/json.h>

#include "crypto/sign.h"
#include "ledger/ledger.h"

/*
 * Audits one FILE, a provenance envelope or an artifact. A provenance file is
 * backed when a signature verifies with an authorized key (one of TRUSTED,
 * NULL-terminated, else any key the ledger records) and a ledger entry from
 * that key records its digest with a proven inclusion; an artifact when an
 * entry from an authorized key lists it as a subject, with a proven inclusion.
 * *RET is {file, backed, entry, builder, keyid, verdict} or {file, backed,
 * reason}. FLEET_PROBLEMS (may be NULL), from ledger_fleet_check(): an entry
 * listed there backs nothing (a forged builder id, a revoked key). Returns 0,
 * or -errno when the file or the ledger could not be read (-EIO:
 * ledger_error() says why).
 */
int ledger_audit_file(struct ledger *l, EVP_PKEY *const *trusted, json_object *fleet_problems, const char *path,
                      json_object **ret);
