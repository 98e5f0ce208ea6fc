/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ledger verify` and `ledger audit-signatures`: the integrity of the log, the builds behind signed files. */
#include <fcntl.h>
#include <inttypes.h>

#include "attest/statement.h"
#include "basic/fs.h"
#include "basic/json-util.h"
#include "basic/log.h"
#include "cli/cmd-ledger.h"
#include "cli/commands.h"
#include "ledger/audit.h"
#include "ledger/ledger.h"
#include "ledger/witness.h"
#include "provenance/provenance.h"

/* A checkpoint kept elsewhere (--checkpoint): the log must still extend it. */
static void compare_kept(const struct ledger_opts *o, struct ledger_verify_result *r) {
        if (!r->ok || !o->at_size)
                return;
        if (r->entries < o->at_size) {
                r->ok = false;
                r->bad_index = r->entries;
                r->reason = xasprintf("it is missing: the log ends at %" PRIu64 " entries but the checkpoint you kept "
                                      "has %" PRIu64,
                                      r->entries, o->at_size);
        } else if (memcmp(r->root_at, o->at_root, HASH_SIZE) != 0) {
                r->ok = false;
                r->bad_index = o->at_size - 1;
                r->reason = xasprintf("the log's root at size %" PRIu64 " differs from the checkpoint you kept: the "
                                      "log before it was rewritten",
                                      o->at_size);
        }
}

/*
 * --state FILE: the tree head (origin, size, root) the last successful verify
 * saw. *RET_SIZE 0 when FILE does not exist yet (the first run verifies all).
 */
static int read_state(const struct ledger_opts *o, struct ledger *l, uint64_t *ret_size, merkle_hash ret_root) {
        _cleanup_free_ char *text = NULL;
        size_t n;
        *ret_size = 0;
        int r = read_full_file(o->state, &text, &n, 1 << 16);
        if (r == -ENOENT)
                return 0;
        json_object *j = r < 0 ? NULL : json_tokener_parse(text);
        const char *origin = json_object_get_string(json_path(j, "origin"));
        int64_t size = json_object_get_int64(json_path(j, "size"));
        int bad = !j || !origin || size <= 0 ||
                  hash_from_hex(json_object_get_string(json_path(j, "root")), ret_root, HASH_SIZE) < 0;
        if (r < 0 || bad)
                log_error("cannot use the state file '%s' (%s); pass the file an earlier `ledger verify --state` "
                          "wrote, or remove it to verify the whole log again",
                          o->state, r < 0 ? strerror(-r) : "not a tree head written by buildward");
        else if (!streq(origin, ledger_origin(l))) {
                log_error("the state file '%s' belongs to another ledger (origin %s, this one is %s); pass its own "
                          "state file to each ledger",
                          o->state, origin, ledger_origin(l));
                bad = 1;
        } else
                *ret_size = (uint64_t) size;
        json_object_put(j);
        return r < 0 || bad ? EXIT_SETUP : 0;
}

static int write_state(const struct ledger_opts *o, struct ledger *l, const struct ledger_verify_result *res) {
        char root[HASH_HEX_SIZE];
        hash_to_hex(res->root, HASH_SIZE, root);
        json_object *j = json_object_new_object();
        json_object_object_add(j, "origin", json_new_string(ledger_origin(l)));
        json_object_object_add(j, "size", json_object_new_uint64(res->entries));
        json_object_object_add(j, "root", json_new_string(root));
        _cleanup_free_ char *tmp = xasprintf("%s.tmp", o->state);
        /* a crash leaves the old head or the new one, never half a file */
        int r = write_file_at(AT_FDCWD, tmp, json_object_to_json_string(j), O_CREAT | O_TRUNC, 0644);
        json_object_put(j);
        if (r == 0 && rename(tmp, o->state) < 0)
                r = -errno;
        if (r < 0)
                log_error("cannot write the state file '%s' (%s); check that its directory is writable", o->state,
                          strerror(-r));
        return r < 0 ? EXIT_SETUP : 0;
}

/* --witness-pubkey: the head just verified must carry that witness's cosignature. */
static int check_witness(const struct ledger_opts *o, struct ledger *l, const struct ledger_verify_result *res) {
        _cleanup_pkey_ EVP_PKEY *w = NULL;
        if (ledger_cli_load_key(o->witness_pubkey, "witness", false, &w) != 0)
                return EXIT_SETUP;
        int r;
        uint64_t latest = 0;
        r = ledger_witness_check(l, w, res->entries, res->root, &latest);
        if (r == 0)
                return 0;
        if (r == -EBADMSG)
                log_error("the witness cosignature of the head (tree size %" PRIu64 ") does not verify with '%s'; "
                          "someone other than the witness wrote it: have the witness run `buildward ledger witness` "
                          "and investigate who writes witness_sigs",
                          res->entries, o->witness_pubkey);
        else if (r == -ENOENT)
                log_error("the head you verified (tree size %" PRIu64 ") has no cosignature from the witness '%s' "
                          "(the latest head it cosigned: tree size %" PRIu64
                          ", 0 for none); have the witness run `buildward ledger witness "
                          "--key W.key --state FILE` on this ledger and verify again; if it refuses, the ledger shows "
                          "it a different history than you",
                          res->entries, o->witness_pubkey, latest);
        else
                log_error("cannot read the witness cosignatures of '%s' (%s); check that the ledger is reachable",
                          o->url, ledger_error(l));
        return r == -ENOENT || r == -EBADMSG ? EXIT_FOUND : EXIT_SETUP;
}

int ledger_do_witness(const struct ledger_opts *o) {
        if (!o->witness_key || !o->state) {
                log_error("witness needs --key W.key (the witness's private key) and --state FILE (the last head it "
                          "cosigned, kept by the witness); see `buildward ledger --help`");
                return EXIT_USAGE;
        }
        _cleanup_pkey_ EVP_PKEY *key = NULL;
        int r;
        if (ledger_cli_load_key(o->witness_key, "witness", true, &key) != 0)
                return EXIT_SETUP;
        EVP_PKEY **trusted = NULL;
        _cleanup_ledger_ struct ledger *l = NULL;
        uint64_t since = 0;
        merkle_hash since_root;
        struct ledger_verify_result res = {};
        int ret = ledger_cli_load_pubkeys(o->pubkeys, &trusted) < 0 ? EXIT_SETUP : 0;
        if (ret || (ret = ledger_cli_open_ledger(o, false, &l)) != 0 ||
            (ret = read_state(o, l, &since, since_root)) != 0)
                goto out;
        r = since ? ledger_verify_since(l, trusted, since, since_root, &res) : ledger_verify(l, trusted, 0, &res);
        if (r < 0) {
                log_error("cannot read the ledger '%s' (%s); check that it is reachable", o->url, ledger_error(l));
                ret = EXIT_SETUP;
        } else if (!res.ok) {
                log_error("refusing to cosign: ledger entry %" PRIu64 " is bad: %s; %s", res.bad_index, res.reason,
                          since && res.bad_index < since
                                  ? "the ledger now shows a history that does not extend the head you cosigned: keep "
                                    "the state file as evidence and warn the fleet's readers"
                                  : "have the operator restore the ledger and investigate who wrote to it");
                ret = EXIT_FOUND;
        } else if ((r = ledger_witness_sign(l, key, res.entries, res.root)) < 0) {
                log_error("cannot store the cosignature in '%s' (%s); check that the ledger is writable", o->url,
                          ledger_error(l));
                ret = EXIT_SETUP;
        } else if ((ret = write_state(o, l, &res)) == 0 && !o->json) {
                char root[HASH_HEX_SIZE];
                hash_to_hex(res.root, HASH_SIZE, root);
                printf("cosigned the head: tree size %" PRIu64 ", root %s (%" PRIu64 " entries new since the last "
                       "head this witness cosigned)\n",
                       res.entries, root, res.entries - since);
        }
out:
        free(res.reason);
        ledger_cli_free_keys(trusted);
        return ret;
}

int ledger_do_verify(const struct ledger_opts *o) {
        EVP_PKEY **trusted = NULL;
        struct ledger *l = NULL;
        int ret;
        if (ledger_cli_load_pubkeys(o->pubkeys, &trusted) < 0)
                return EXIT_SETUP;
        if ((ret = ledger_cli_open_ledger(o, false, &l)) != 0)
                goto out;
        struct ledger_verify_result res;
        uint64_t since = 0;
        merkle_hash since_root;
        if (o->state && (ret = read_state(o, l, &since, since_root)) != 0)
                goto out;
        int r = since ? ledger_verify_since(l, trusted, since, since_root, &res)
                      : ledger_verify(l, trusted, o->at_size, &res);
        if (r < 0) {
                log_error("cannot read the ledger '%s' (%s); check that it is reachable and is a buildward ledger",
                          o->url, ledger_error(l));
                ret = EXIT_SETUP;
                goto out;
        }
        char root[HASH_HEX_SIZE];
        hash_to_hex(res.root, HASH_SIZE, root);
        compare_kept(o, &res);
        json_object *problems = NULL;
        if (res.ok && ((o->state && (ret = write_state(o, l, &res)) != 0) ||
                       (ret = ledger_cli_fleet_check(o, l, &problems)) != 0))
                goto out;
        if (o->json) {
                json_object *j = json_object_new_object();
                json_object_object_add(j, "ok", json_object_new_boolean(res.ok));
                json_object_object_add(j, "entries", json_object_new_uint64(res.entries));
                json_object_object_add(j, "root", json_new_string(root));
                json_object_object_add(j, "unsigned_checkpoints", json_object_new_uint64(res.unsigned_checkpoints));
                if (since)
                        json_object_object_add(j, "since", json_object_new_uint64(since));
                if (!res.ok) {
                        json_object_object_add(j, "first_bad_entry", json_object_new_uint64(res.bad_index));
                        json_object_object_add(j, "reason", json_new_string(res.reason));
                }
                if (problems)
                        json_object_object_add(j, "fleet_problems", json_object_get(problems));
                ledger_cli_print_json(j);
                json_object_put(j);
        } else if (res.ok && problems && json_object_array_length(problems) > 0)
                printf("ledger consistent: %" PRIu64 " entries, but %zu do not count for the fleet\n", res.entries,
                       json_object_array_length(problems));
        else if (res.ok)
                printf("ledger ok: %" PRIu64 " entries, tree size %" PRIu64 ", root %s%s%s\n", res.entries, res.entries,
                       root, res.unsigned_checkpoints ? "" : ", every checkpoint signed",
                       since ? " (verified the entries after the kept tree head and its consistency proof)" : "");
        if (!res.ok && since && res.bad_index < since)
                log_error("ledger entry %" PRIu64 " is bad: %s; the log no longer extends the tree head in '%s': "
                          "restore the ledger from a copy, compare the head with other readers' and investigate who "
                          "wrote to it",
                          res.bad_index, res.reason, o->state);
        else if (!res.ok)
                log_error("ledger entry %" PRIu64 " is bad: %s; entries before it verify (tree size %" PRIu64
                          ", root %s): restore the ledger from a copy and investigate who wrote to it",
                          res.bad_index, res.reason, res.entries, root);
        else if (res.unsigned_checkpoints)
                log_warning("%" PRIu64 " of %" PRIu64 " checkpoints are unsigned: the log is consistent, but whoever "
                            "can write the database could have rewritten those entries; sign builds with --sign-key",
                            res.unsigned_checkpoints, res.entries);
        ledger_cli_log_problems(problems);
        ret = res.ok && !(problems && json_object_array_length(problems) > 0) ? 0 : EXIT_FOUND;
        if (res.ok && o->witness_pubkey) {
                int w = check_witness(o, l, &res);
                ret = w == EXIT_SETUP ? w : ret ? ret : w;
        }
        free(res.reason);
        json_object_put(problems);
out:
        ledger_close(l);
        ledger_cli_free_keys(trusted);
        return ret;
}

int ledger_do_audit(const struct ledger_opts *o, char **files) {
        if (!files[0]) {
                log_error("audit-signatures needs the files to audit; see `buildward ledger --help`");
                return EXIT_USAGE;
        }
        EVP_PKEY **trusted = NULL;
        if (ledger_cli_load_pubkeys(o->pubkeys, &trusted) < 0)
                return EXIT_SETUP;
        struct ledger *l = NULL;
        json_object *problems = NULL;
        int ret = ledger_cli_open_ledger(o, false, &l);
        if (ret == 0)
                ret = ledger_cli_fleet_check(o, l, &problems);
        size_t bad = 0, n = 0;
        json_object *out = json_object_new_array();
        for (char **f = files; ret == 0 && *f; f++, n++) {
                json_object *j = NULL;
                int r = ledger_audit_file(l, trusted, problems, *f, &j);
                if (r < 0) {
                        log_error("cannot audit '%s' (%s); check that the file is readable and the ledger reachable",
                                  *f, r == -EIO ? ledger_error(l) : strerror(-r));
                        ret = EXIT_SETUP;
                        break;
                }
                bool backed = json_object_get_boolean(json_path(j, "backed"));
                bad += !backed;
                /* backed, but a build that failed its verdict may be exactly the one to look at */
                if (!o->json && backed)
                        printf("ok       %s: ledger entry #%" PRId64 " by %s, verdict %s\n", *f,
                               json_object_get_int64(json_path(j, "entry")),
                               json_object_get_string(json_path(j, "builder")),
                               json_object_get_string(json_path(j, "verdict")));
                else if (!o->json)
                        printf("UNBACKED %s: %s\n", *f, json_object_get_string(json_path(j, "reason")));
                json_object_array_add(out, j);
        }
        if (ret == 0) {
                if (o->json) {
                        json_object *w = json_object_new_object();
                        json_object_object_add(w, "files", json_object_get(out));
                        json_object_object_add(w, "unbacked", json_object_new_uint64(bad));
                        ledger_cli_print_json(w);
                        json_object_put(w);
                } else
                        printf("%zu of %zu files without an authorized build behind them\n", bad, n);
                ret = bad ? EXIT_FOUND : 0;
        }
        json_object_put(out);
        json_object_put(problems);
        ledger_close(l);
        ledger_cli_free_keys(trusted);
        return ret;
}
