/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Who may sign for which builder (issue 14). A fleet administrator key signs
 * two kinds of records, each a ledger entry of its own in the Merkle log:
 *   enrolment   builder id B is allowed to sign with the keys K1..Kn
 *   revocation  key K no longer counts for builds that finished at or after
 *               FROM, nor for any entry appended after the revocation
 * Both are entries of the builder LEDGER_ADMIN_BUILDER, verdict "admin", with
 * the record under "admin" in the body; their checkpoint is signed with the
 * administrator key, which is what authenticates them. The administrator's
 * public key never comes from the ledger: the reader brings it.
 */
#include <json-c/json.h>

#include "crypto/sign.h"
#include "ledger/ledger.h"

#define LEDGER_ADMIN_BUILDER "urn:buildward:fleet-admin"

/* Appends an enrolment of the NULL-terminated KEYS for BUILDER, signed with ADMIN. */
int ledger_enrol(struct ledger *l, EVP_PKEY *admin, const char *builder, EVP_PKEY *const *keys, uint64_t *ret_index);
/* Appends a revocation of KEYID effective from FROM_USEC (realtime), signed with ADMIN. */
int ledger_revoke(struct ledger *l, EVP_PKEY *admin, const char *keyid, uint64_t from_usec, uint64_t *ret_index);

/*
 * Reads the whole log in order, recomputing the Merkle root from the bodies,
 * and checks every entry against the administrator records: a build entry must
 * be signed by a key enrolled for the builder it names (an enrolment anywhere in
 * the log: a fleet enrols the keys of builds it already recorded) and not
 * revoked for it; an administrator record must carry ADMIN's signature on its
 * checkpoint (over the recomputed root, so it stands without `ledger verify`).
 * *RET_PROBLEMS is an array of {index, builder, keyid, reason}, empty when the
 * fleet's log holds together. 0, or -errno when the log could not be read.
 */
int ledger_fleet_check(struct ledger *l, EVP_PKEY *admin, json_object **ret_problems);
