/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Shared by ledger.c (open, append), ledger-verify.c and ledger-query.c; not an API. */
#include <json-c/json.h>
#include <stdint.h>

#include "ledger/backend.h"

#define VERIFY_CHUNK 4096 /* rows read per query while verifying */

struct entry_cols {
        const char *builder, *verdict, *provenance, *keyid, *started, *finished;
        uint64_t started_us, finished_us;
};

/* Runs SQL with N PARAMS; *RET the first column of every row, as a strv. */
int query_strv(struct ledger *l, const char *sql, size_t n, const char *const *params, char ***ret);
/* KEY of O as a string; NULL when absent or not a string. */
const char *jget_str(json_object *o, const char *key);
/* The single digest value of a {ALGO: HEX} object (sha1 or sha256), and its algorithm; NULL when malformed. */
const char *digest_value(json_object *digest, const char **ret_algo);
/* Validates BODY (an entry as stored) and extracts what the columns hold. */
int entry_cols(json_object *body, struct entry_cols *c);
