/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Witness cosignatures of checkpoints (issue 14), in the spirit of RFC 6962
 * gossip and the witnesses of Go's checksum database and sigstore: a party
 * other than the operator (another builder, an auditor) verifies the log from
 * the last head it saw to the current one, consistency proof included
 * (ledger_verify_since()), and only then signs the current head. A reader who
 * requires that cosignature on the head it verified knows the witness saw the
 * same history: an operator showing one history to the witness and another
 * to the reader would need the witness to sign a head inconsistent with what
 * it signed before, which it refuses.
 *
 * Cosignatures live in the table witness_sigs (size, root, keyid, sig), not in
 * the log: they sign the log's heads. The signed text is the checkpoint text
 * (ledger_checkpoint_text()) after a line of its own, so a cosignature can
 * never pass for a builder's checkpoint signature, even with the same key.
 */
#include "crypto/sign.h"
#include "ledger/ledger.h"

#define WITNESS_HEADER "buildward witness cosignature v1\n"

/* Records KEY's cosignature of the head (SIZE, ROOT). Creates the table on first use. */
int ledger_witness_sign(struct ledger *l, EVP_PKEY *key, uint64_t size, const merkle_hash root);

/*
 * 0 when WITNESS cosigned exactly (SIZE, ROOT); -ENOENT when it did not
 * (*RET_LATEST: the largest size it cosigned, 0 for none); -EBADMSG when the
 * stored cosignature for that size does not verify (*RET_LATEST = SIZE).
 */
int ledger_witness_check(struct ledger *l, EVP_PKEY *witness, uint64_t size, const merkle_hash root,
                         uint64_t *ret_latest);
