/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What the files of `buildward ledger` share: its options and helpers (cmd-ledger.c). */
#include <json-c/json.h>
#include <stdbool.h>

#include "crypto/sign.h"
#include "ledger/ledger.h"

/* Exit codes of `ledger` and `verify`: 0 all good, 1 a problem found, 2 usage, 125 could not do the job. */
#define EXIT_FOUND 1
#define EXIT_USAGE 2

struct ledger_opts {
        const char *url;
        const char *since, *until, *builder, *sign_key;
        const char *admin_key, *admin_pubkey; /* fleet administrator: private (enrol, revoke), public (checks) */
        const char *keyid, *from;
        const char *state;                        /* verify, witness --state FILE */
        const char *witness_key, *witness_pubkey; /* witness --key; verify --witness-pubkey */
        unsigned batch; /* append --batch N: N entries per transaction (bulk imports, bench) */
        char **pubkeys;
        bool json;
        uint64_t since_usec, until_usec;
        uint64_t at_size; /* --checkpoint SIZE:ROOT */
        merkle_hash at_root;
};

/* Loads --pubkey files into a NULL-terminated array (NULL when none were given); prints why not. */
int ledger_cli_load_pubkeys(char **paths, EVP_PKEY ***ret);
void ledger_cli_free_keys(EVP_PKEY **keys);
/* 0, or EXIT_SETUP after printing why the ledger cannot be opened. */
int ledger_cli_open_ledger(const struct ledger_opts *o, bool create, struct ledger **ret);
void ledger_cli_print_json(json_object *o);

int ledger_do_verify(const struct ledger_opts *o);
int ledger_do_audit(const struct ledger_opts *o, char **files);
int ledger_do_append(const struct ledger_opts *o, char **args);
int ledger_do_witness(const struct ledger_opts *o);
int ledger_do_enrol(const struct ledger_opts *o);
int ledger_do_revoke(const struct ledger_opts *o);

/* Loads the key at PATH (PRIVATE or public) that plays ROLE ("signing", "witness"...); EXIT_SETUP after printing
 * why not. */
int ledger_cli_load_key(const char *path, const char *role, bool private, EVP_PKEY **ret);
/* With --admin-pubkey: the enrolment check's problems (ledger/fleet.h); *RET_PROBLEMS NULL without. */
int ledger_cli_fleet_check(const struct ledger_opts *o, struct ledger *l, json_object **ret_problems);
/* One error line per problem, naming the entry, the cause and the fix. */
void ledger_cli_log_problems(json_object *problems);
