/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ledger append`, `enrol`, `revoke`: writing to the ledger by hand (imports, tests) and as the fleet administrator. */
#include <inttypes.h>

#include "attest/statement.h"
#include "basic/json-util.h"
#include "basic/log.h"
#include "cli/cmd-ledger.h"
#include "cli/commands.h"
#include "ledger/fleet.h"
#include "ledger/ledger.h"
#include "provenance/provenance.h"

int ledger_do_append(const struct ledger_opts *o, char **args) {
        if (!o->sign_key || !args[0] || args[1]) {
                log_error("append needs --sign-key KEY and one JSON Lines file (or -); see `buildward ledger --help`");
                return EXIT_USAGE;
        }
        _cleanup_pkey_ EVP_PKEY *key = NULL;
        int r;
        if (ledger_cli_load_key(o->sign_key, "signing", true, &key) != 0)
                return EXIT_SETUP;
        _cleanup_fclose_ FILE *f = streq(args[0], "-") ? NULL : fopen(args[0], "re");
        FILE *in = streq(args[0], "-") ? stdin : f;
        if (!in) {
                log_error("cannot open '%s' (%s); pass a JSON Lines file of entries", args[0], strerror(errno));
                return EXIT_SETUP;
        }
        _cleanup_ledger_ struct ledger *l = NULL;
        int ret = ledger_cli_open_ledger(o, true, &l);
        if (ret)
                return ret;
        _cleanup_free_ char *line = NULL;
        size_t cap = 0, lineno = 0, n = 0;
        uint64_t index = 0;
        for (ssize_t len; (len = getline(&line, &cap, in)) > 0;) {
                lineno++;
                if (len <= 1)
                        continue;
                json_object *e = json_tokener_parse(line);
                r = o->batch && n % o->batch == 0 ? ledger_batch_begin(l) : 0;
                if (r >= 0)
                        r = e ? ledger_append(l, e, key, &index) : -EINVAL;
                json_object_put(e);
                if (r >= 0 && o->batch && (n + 1) % o->batch == 0)
                        r = ledger_batch_end(l, true);
                if (r < 0) {
                        if (o->batch)
                                (void) ledger_batch_end(l, false);
                        if (r == -EINVAL)
                                log_error("line %zu of '%s' is not a valid entry%s; see docs/provenance.md for the "
                                          "fields",
                                          lineno, args[0], o->batch ? " (its batch was not appended)" : "");
                        else
                                log_error("cannot append line %zu to '%s' (%s)%s", lineno, o->url, ledger_error(l),
                                          o->batch ? "; its batch was not appended" : "");
                        return EXIT_SETUP;
                }
                n++;
        }
        if (o->batch && n % o->batch != 0 && (r = ledger_batch_end(l, true)) < 0) {
                log_error("cannot commit the last batch to '%s' (%s); it was not appended", o->url, ledger_error(l));
                return EXIT_SETUP;
        }
        if (!o->json)
                printf(n ? "appended %zu entries; last index %" PRIu64 "\n" : "appended %zu entries\n", n, index);
        return 0;
}

int ledger_cli_load_key(const char *path, const char *role, bool private, EVP_PKEY **ret) {
        int r = private ? key_load_private(path, ret) : key_load_public(path, ret);
        const char *why = r == -EPERM          ? "readable by group or others"
                          : r == -EKEYREJECTED ? "not an Ed25519 key"
                                               : NULL;
        if (r < 0 && private)
                log_error("cannot use the %s key '%s' (%s); pass a private key from `buildward keygen` with mode 0600",
                          role, path, why ? why : strerror(-r));
        else if (r < 0)
                log_error("cannot read the %s key '%s' (%s); pass a KEY.pub written by `buildward keygen`", role, path,
                          why ? why : strerror(-r));
        return r < 0 ? EXIT_SETUP : 0;
}

int ledger_cli_fleet_check(const struct ledger_opts *o, struct ledger *l, json_object **ret_problems) {
        *ret_problems = NULL;
        if (!o->admin_pubkey)
                return 0;
        _cleanup_pkey_ EVP_PKEY *admin = NULL;
        int ret = ledger_cli_load_key(o->admin_pubkey, "administrator", false, &admin);
        if (ret)
                return ret;
        int r = ledger_fleet_check(l, admin, ret_problems);
        if (r < 0) {
                log_error("cannot check the ledger '%s' against its enrolments (%s); run `buildward ledger verify` "
                          "without --admin-pubkey to find the damage",
                          o->url, ledger_error(l));
                return EXIT_SETUP;
        }
        return 0;
}

void ledger_cli_log_problems(json_object *problems) {
        for (size_t i = 0; problems && i < json_object_array_length(problems); i++) {
                json_object *p = json_object_array_get_idx(problems, i);
                bool admin = streq_ptr(json_object_get_string(json_path(p, "builder")), LEDGER_ADMIN_BUILDER);
                log_error("ledger entry %" PRId64 " does not count for the fleet: %s; %s",
                          json_object_get_int64(json_path(p, "index")), json_object_get_string(json_path(p, "reason")),
                          admin ? "check that --admin-pubkey is the fleet administrator's key, else someone without "
                                  "it wrote administrator records"
                                : "if the build is genuine, enrol its key with `buildward ledger enrol`, else treat "
                                  "its artifacts as untrusted and find who holds the key");
        }
}

static int load_admin_key(const struct ledger_opts *o, const char *what, EVP_PKEY **ret) {
        if (!o->admin_key) {
                log_error("%s needs --admin-key ADMIN.key, the fleet administrator's private key; see `buildward "
                          "ledger --help`",
                          what);
                return EXIT_USAGE;
        }
        return ledger_cli_load_key(o->admin_key, "administrator", true, ret);
}

int ledger_do_enrol(const struct ledger_opts *o) {
        if (!o->builder || !o->pubkeys[0]) {
                log_error("enrol needs --builder ID and at least one --pubkey KEY.pub of that builder; see `buildward "
                          "ledger --help`");
                return EXIT_USAGE;
        }
        _cleanup_pkey_ EVP_PKEY *admin = NULL;
        EVP_PKEY **keys = NULL;
        int ret = load_admin_key(o, "enrol", &admin);
        if (ret || ledger_cli_load_pubkeys(o->pubkeys, &keys) < 0)
                return ret ? ret : EXIT_SETUP;
        _cleanup_ledger_ struct ledger *l = NULL;
        uint64_t index = 0;
        if ((ret = ledger_cli_open_ledger(o, true, &l)) == 0) {
                int r = ledger_enrol(l, admin, o->builder, keys, &index);
                if (r == -EINVAL) {
                        log_error("cannot enrol builder '%s': the id is empty or reserved for the administrator; pass "
                                  "the id the builder's entries carry",
                                  o->builder);
                        ret = EXIT_USAGE;
                } else if (r < 0) {
                        log_error("cannot append the enrolment to '%s' (%s); check that the ledger is writable", o->url,
                                  ledger_error(l));
                        ret = EXIT_SETUP;
                } else if (!o->json)
                        printf("enrolled %zu key(s) for builder '%s' in ledger entry %" PRIu64 "\n",
                               strv_length(o->pubkeys), o->builder, index);
        }
        ledger_cli_free_keys(keys);
        return ret;
}

int ledger_do_revoke(const struct ledger_opts *o) {
        uint64_t from;
        if (!o->keyid || strlen(o->keyid) != KEYID_HEX_SIZE - 1 || !o->from) {
                log_error("revoke needs --keyid KID (64 hex digits, as `ledger verify` and audit-signatures print "
                          "them) and --from T; see `buildward ledger --help`");
                return EXIT_USAGE;
        }
        if (rfc3339_parse(o->from, &from) < 0) {
                log_error("invalid time '%s'; use RFC 3339 UTC such as 2026-11-25T14:00:00Z, a date or @EPOCH",
                          o->from);
                return EXIT_USAGE;
        }
        _cleanup_pkey_ EVP_PKEY *admin = NULL;
        int ret = load_admin_key(o, "revoke", &admin);
        if (ret)
                return ret;
        _cleanup_ledger_ struct ledger *l = NULL;
        if ((ret = ledger_cli_open_ledger(o, false, &l)) != 0)
                return ret;
        uint64_t index = 0;
        int r = ledger_revoke(l, admin, o->keyid, from, &index);
        if (r < 0) {
                log_error("cannot append the revocation to '%s' (%s); check that the ledger is writable", o->url,
                          ledger_error(l));
                return EXIT_SETUP;
        }
        if (!o->json)
                printf("revoked key %s from %s in ledger entry %" PRIu64 "\n", o->keyid, o->from, index);
        return 0;
}
