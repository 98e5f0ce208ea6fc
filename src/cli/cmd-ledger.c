/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <inttypes.h>

#include "attest/statement.h"
#include "basic/json-util.h"
#include "basic/log.h"
#include "cli/commands.h"
#include "ledger/ledger.h"
#include "provenance/provenance.h"

/* Exit codes of `ledger` and `verify`: 0 all good, 1 a problem found, 2 usage, 125 could not do the job. */
#define EXIT_FOUND 1
#define EXIT_USAGE 2

static void ledger_help(void) {
        printf("usage: buildward ledger COMMAND [OPTIONS]\n\n"
               "  verify [--pubkey PUB]... [--checkpoint SIZE:ROOT]\n"
               "                                  check the whole log; names the first bad entry\n"
               "  query --since T --until T [--builder ID]\n"
               "                                  builds that started or finished in the window\n"
               "  blast-radius DIGEST|FILE        everything built from an artifact, transitively\n"
               "  blast-radius --builder ID --since T --until T\n"
               "                                  everything built from what a builder made in a window\n"
               "  audit-signatures FILE...        signed artifacts or provenance files with no ledger entry\n"
               "                                  from an authorized builder\n"
               "  append --sign-key KEY FILE|-    append entries given as JSON Lines (imports, tests)\n\n"
               "  --ledger URL    sqlite:PATH or postgresql://... (default " LEDGER_DEFAULT_URL ")\n"
               "  --pubkey PUB    an authorized builder key (repeatable); default: the keys in the ledger\n"
               "  --json          machine-readable output\n"
               "T is RFC 3339 UTC (2026-11-25T14:00:00Z), a date (2026-11-25) or @EPOCH.\n"
               "Exit: 0 fine, 1 a problem found (bad entry, unbacked signature), 2 usage, 125 error.\n");
}

struct ledger_opts {
        const char *url;
        const char *since, *until, *builder, *sign_key;
        char **pubkeys;
        bool json;
        uint64_t since_usec, until_usec;
        uint64_t at_size; /* --checkpoint SIZE:ROOT */
        merkle_hash at_root;
};

/* Loads --pubkey files into a NULL-terminated array (NULL when none were given). */
static int load_pubkeys(char **paths, EVP_PKEY ***ret) {
        size_t n = strv_length(paths);
        if (n == 0) {
                *ret = NULL;
                return 0;
        }
        EVP_PKEY **keys = xcalloc(n + 1, sizeof(EVP_PKEY *));
        for (size_t i = 0; i < n; i++) {
                int r = key_load_public(paths[i], &keys[i]);
                if (r < 0) {
                        log_error("cannot read the public key '%s' (%s); pass a KEY.pub written by `buildward keygen`",
                                  paths[i], r == -EKEYREJECTED ? "not an Ed25519 key" : strerror(-r));
                        for (size_t k = 0; k < i; k++)
                                sym_EVP_PKEY_free(keys[k]);
                        free(keys);
                        return r;
                }
        }
        *ret = keys;
        return 0;
}

static void free_keys(EVP_PKEY **keys) {
        for (EVP_PKEY **k = keys; k && *k; k++)
                sym_EVP_PKEY_free(*k);
        free(keys);
}

static int open_ledger(const struct ledger_opts *o, bool create, struct ledger **ret) {
        int r = ledger_open(o->url, create, ret);
        if (r == -ENOENT)
                log_error("no ledger at '%s'; pass the one your builds write with --ledger URL", o->url);
        else if (r == -ENOMEDIUM)
                log_error("'%s' is not a buildward ledger (%s); check the --ledger URL", o->url, ledger_open_error());
        else if (r < 0)
                log_error("cannot open the ledger '%s' (%s); check the --ledger URL and that it is reachable", o->url,
                          ledger_open_error());
        return r < 0 ? EXIT_SETUP : 0;
}

static void print_json(json_object *o) {
        printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                                 JSON_C_TO_STRING_NOSLASHESCAPE));
}

static void print_entry(json_object *e) {
        json_object *cmd = json_path(e, "command"), *subj = json_path(e, "subjects"), *depth = json_path(e, "depth");
        printf("#%" PRId64 " %s %s %s", json_object_get_int64(json_path(e, "index")),
               json_object_get_string(json_path(e, "startedOn")), json_object_get_string(json_path(e, "builder")),
               json_object_get_string(json_path(e, "verdict")));
        if (depth)
                printf(" depth=%d", json_object_get_int(depth));
        printf(" $");
        for (size_t i = 0; i < json_object_array_length(cmd); i++)
                printf(" %s", json_object_get_string(json_object_array_get_idx(cmd, i)));
        printf("\n");
        for (size_t i = 0; i < json_object_array_length(subj); i++) {
                json_object *s = json_object_array_get_idx(subj, i);
                printf("    %s  %s\n", json_object_get_string(json_path(s, "digest.sha256")),
                       json_object_get_string(json_path(s, "name")));
        }
}

static int print_entries(const struct ledger_opts *o, json_object *arr, const char *what) {
        if (o->json) {
                json_object *w = json_object_new_object();
                json_object_object_add(w, "entries", json_object_get(arr));
                print_json(w);
                json_object_put(w);
        } else {
                for (size_t i = 0; i < json_object_array_length(arr); i++)
                        print_entry(json_object_array_get_idx(arr, i));
                printf("%zu %s\n", json_object_array_length(arr), what);
        }
        return 0;
}

static int do_verify(const struct ledger_opts *o) {
        EVP_PKEY **trusted = NULL;
        struct ledger *l = NULL;
        int ret;
        if (load_pubkeys(o->pubkeys, &trusted) < 0)
                return EXIT_SETUP;
        if ((ret = open_ledger(o, false, &l)) != 0)
                goto out;
        struct ledger_verify_result res;
        int r = ledger_verify(l, trusted, o->at_size, &res);
        if (r < 0) {
                log_error("cannot read the ledger '%s' (%s); check that it is reachable and is a buildward ledger",
                          o->url, ledger_error(l));
                ret = EXIT_SETUP;
                goto out;
        }
        char root[HASH_HEX_SIZE];
        hash_to_hex(res.root, HASH_SIZE, root);
        if (res.ok && o->at_size) {
                /* a checkpoint kept elsewhere: the log must still extend it */
                if (res.entries < o->at_size) {
                        res.ok = false;
                        res.bad_index = res.entries;
                        res.reason = xasprintf("it is missing: the log ends at %" PRIu64 " entries but the checkpoint "
                                               "you kept has %" PRIu64,
                                               res.entries, o->at_size);
                } else if (memcmp(res.root_at, o->at_root, HASH_SIZE) != 0) {
                        res.ok = false;
                        res.bad_index = o->at_size - 1;
                        res.reason = xasprintf("the log's root at size %" PRIu64 " differs from the checkpoint you "
                                               "kept: the log before it was rewritten",
                                               o->at_size);
                }
        }
        if (o->json) {
                json_object *j = json_object_new_object();
                json_object_object_add(j, "ok", json_object_new_boolean(res.ok));
                json_object_object_add(j, "entries", json_object_new_uint64(res.entries));
                json_object_object_add(j, "root", json_new_string(root));
                json_object_object_add(j, "unsigned_checkpoints", json_object_new_uint64(res.unsigned_checkpoints));
                if (!res.ok) {
                        json_object_object_add(j, "first_bad_entry", json_object_new_uint64(res.bad_index));
                        json_object_object_add(j, "reason", json_new_string(res.reason));
                }
                print_json(j);
                json_object_put(j);
        } else if (res.ok)
                printf("ledger ok: %" PRIu64 " entries, tree size %" PRIu64 ", root %s%s\n", res.entries, res.entries,
                       root, res.unsigned_checkpoints ? "" : ", every checkpoint signed");
        if (!res.ok)
                log_error("ledger entry %" PRIu64 " is bad: %s; entries before it verify (tree size %" PRIu64
                          ", root %s): restore the ledger from a copy and investigate who wrote to it",
                          res.bad_index, res.reason, res.entries, root);
        else if (res.unsigned_checkpoints)
                log_warning("%" PRIu64 " of %" PRIu64 " checkpoints are unsigned: the log is consistent, but whoever "
                            "can write the database could have rewritten those entries; sign builds with --sign-key",
                            res.unsigned_checkpoints, res.entries);
        ret = res.ok ? 0 : EXIT_FOUND;
        free(res.reason);
out:
        ledger_close(l);
        free_keys(trusted);
        return ret;
}

static int parse_window(struct ledger_opts *o, bool required) {
        if (!o->since && !o->until && !required)
                return 0;
        if (!o->since || !o->until) {
                log_error("a window needs both --since T and --until T; see `buildward ledger --help`");
                return EXIT_USAGE;
        }
        if (rfc3339_parse(o->since, &o->since_usec) < 0 || rfc3339_parse(o->until, &o->until_usec) < 0) {
                log_error("invalid time '%s'; use RFC 3339 UTC such as 2026-11-25T14:00:00Z, a date or @EPOCH",
                          rfc3339_parse(o->since, &o->since_usec) < 0 ? o->since : o->until);
                return EXIT_USAGE;
        }
        return 0;
}

static int do_query(struct ledger_opts *o) {
        int ret = parse_window(o, true);
        if (ret)
                return ret;
        _cleanup_ledger_ struct ledger *l = NULL;
        if ((ret = open_ledger(o, false, &l)) != 0)
                return ret;
        json_object *arr;
        int r = ledger_query_window(l, o->since_usec, o->until_usec, o->builder, &arr);
        if (r < 0) {
                log_error("cannot query the ledger '%s' (%s)", o->url, ledger_error(l));
                return EXIT_SETUP;
        }
        print_entries(o, arr, "builds in the window");
        json_object_put(arr);
        return 0;
}

static bool is_digest(const char *s) {
        if (strlen(s) != 64)
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
                        return false;
        return true;
}

static int do_blast_radius(struct ledger_opts *o, char **args) {
        char digest[65] = "";
        int ret;
        if (args[0] && args[1]) {
                log_error("blast-radius takes one artifact digest or file; see `buildward ledger --help`");
                return EXIT_USAGE;
        }
        if (args[0]) {
                if (is_digest(args[0]))
                        snprintf(digest, sizeof(digest), "%s", args[0]);
                else {
                        int r = file_sha256(args[0], digest);
                        if (r < 0) {
                                log_error("cannot read '%s' (%s); pass an artifact file or its sha256 in hex", args[0],
                                          strerror(-r));
                                return EXIT_SETUP;
                        }
                }
        } else if (!o->builder) {
                log_error("blast-radius needs an artifact (digest or file) or --builder ID --since T --until T");
                return EXIT_USAGE;
        } else if ((ret = parse_window(o, true)) != 0)
                return ret;
        _cleanup_ledger_ struct ledger *l = NULL;
        if ((ret = open_ledger(o, false, &l)) != 0)
                return ret;
        json_object *arr;
        int r = ledger_blast_radius(l, digest[0] ? digest : NULL, o->builder, o->since_usec, o->until_usec, &arr);
        if (r < 0) {
                log_error("cannot query the ledger '%s' (%s)", o->url, ledger_error(l));
                return EXIT_SETUP;
        }
        print_entries(o, arr, digest[0] ? "builds downstream of the artifact" : "builds in the window and downstream");
        json_object_put(arr);
        return 0;
}

/* Whether KEYID belongs to an authorized builder: one of TRUSTED, else any key the ledger records. */
static bool authorized(struct ledger *l, EVP_PKEY *const *trusted, const char *keyid, EVP_PKEY **ret_key) {
        if (!keyid || !*keyid)
                return false;
        if (trusted) {
                for (EVP_PKEY *const *t = trusted; *t; t++) {
                        char id[KEYID_HEX_SIZE];
                        if (key_id(*t, id) == 0 && streq(id, keyid)) {
                                if (ret_key) {
                                        sym_EVP_PKEY_up_ref(*t);
                                        *ret_key = *t;
                                }
                                return true;
                        }
                }
                return false;
        }
        EVP_PKEY *k = NULL;
        if (ledger_key(l, keyid, &k) < 0)
                return false;
        if (ret_key)
                *ret_key = k;
        else
                sym_EVP_PKEY_free(k);
        return true;
}

/* The first entry of ENTRIES signed by an authorized key whose inclusion in the signed log is proven. */
static json_object *backed_entry(struct ledger *l, EVP_PKEY *const *trusted, json_object *entries, const char *keyid,
                                 char **ret_reason) {
        for (size_t i = 0; i < json_object_array_length(entries); i++) {
                json_object *e = json_object_array_get_idx(entries, i);
                const char *k = json_object_get_string(json_path(e, "keyid"));
                if (!k || (keyid && !streq(k, keyid)) || !authorized(l, trusted, k, NULL))
                        continue;
                uint64_t size;
                free(*ret_reason);
                *ret_reason = NULL;
                if (ledger_prove_inclusion(l, (uint64_t) json_object_get_int64(json_path(e, "index")), trusted, &size,
                                           ret_reason) == 0)
                        return e;
        }
        return NULL;
}

/* 0: backed, 1: not (REASON set), <0: could not check. */
static int audit_one(struct ledger *l, EVP_PKEY *const *trusted, const char *path, char **ret_reason,
                     json_object **ret_entry) {
        struct dsse_envelope env = {};
        char digest[65];
        int r;
        _cleanup_free_ char *why = NULL;
        if (provenance_read(path, &env) == 0) {
                /* a provenance file: who signed it, and does the ledger record it? */
                char psha[65];
                sym_EVP_Digest(env.payload, env.payload_len, (uint8_t *) digest, NULL, sym_EVP_sha256(), NULL);
                hash_to_hex((uint8_t *) digest, 32, psha);
                const char *signer = NULL, *foreign = NULL;
                for (size_t i = 0; i < env.n_sigs && !signer; i++) {
                        _cleanup_pkey_ EVP_PKEY *k = NULL;
                        if (!authorized(l, trusted, env.sigs[i].keyid, &k)) {
                                foreign = env.sigs[i].keyid;
                                continue;
                        }
                        if (dsse_verify(&env, k, NULL) == 0)
                                signer = env.sigs[i].keyid;
                }
                if (!signer) {
                        *ret_reason = foreign ? xasprintf("provenance signed by key %s, which is not an authorized "
                                                          "builder's",
                                                          foreign)
                                              : xstrdup("provenance whose signature does not verify with any "
                                                        "authorized key");
                        dsse_envelope_done(&env);
                        return 1;
                }
                json_object *entries = NULL;
                if ((r = ledger_find_digest(l, psha, true, &entries)) < 0) {
                        dsse_envelope_done(&env);
                        return r;
                }
                json_object *e = backed_entry(l, trusted, entries, signer, &why);
                dsse_envelope_done(&env);
                if (!e) {
                        *ret_reason = why ? xasprintf("provenance with a ledger entry that fails: %s", why)
                                          : xasprintf("provenance signed by authorized key %s but recorded in no "
                                                      "ledger entry",
                                                      signer);
                        json_object_put(entries);
                        return 1;
                }
                *ret_entry = json_object_get(e);
                json_object_put(entries);
                return 0;
        }
        if ((r = file_sha256(path, digest)) < 0)
                return r;
        json_object *entries = NULL;
        if ((r = ledger_find_digest(l, digest, false, &entries)) < 0)
                return r;
        json_object *e = backed_entry(l, trusted, entries, NULL, &why);
        if (e) {
                *ret_entry = json_object_get(e);
                json_object_put(entries);
                return 0;
        }
        json_object_put(entries);
        /* Name the signer of the provenance that travels with it, if any: that is the forger's key. */
        _cleanup_free_ char *prov = provenance_find_for(path);
        const char *signer = NULL;
        if (prov && provenance_read(prov, &env) == 0 && provenance_check_statement(&env, digest, NULL, &why) == 0 &&
            env.n_sigs > 0)
                signer = env.sigs[0].keyid;
        if (signer)
                *ret_reason = xasprintf("artifact (sha256 %s) with no ledger entry from an authorized builder; its "
                                        "provenance '%s' is signed by key %s%s",
                                        digest, prov, signer,
                                        authorized(l, trusted, signer, NULL) ? "" : ", which is not authorized");
        else
                *ret_reason = xasprintf("artifact (sha256 %s) with no ledger entry from an authorized builder", digest);
        dsse_envelope_done(&env);
        return 1;
}

static int do_audit(const struct ledger_opts *o, char **files) {
        if (!files[0]) {
                log_error("audit-signatures needs the files to audit; see `buildward ledger --help`");
                return EXIT_USAGE;
        }
        EVP_PKEY **trusted = NULL;
        if (load_pubkeys(o->pubkeys, &trusted) < 0)
                return EXIT_SETUP;
        struct ledger *l = NULL;
        int ret = open_ledger(o, false, &l);
        size_t bad = 0, n = 0;
        json_object *out = json_object_new_array();
        for (char **f = files; ret == 0 && *f; f++, n++) {
                char *reason = NULL;
                json_object *entry = NULL;
                int r = audit_one(l, trusted, *f, &reason, &entry);
                if (r < 0) {
                        log_error("cannot audit '%s' (%s); check that the file is readable and the ledger reachable",
                                  *f, r == -EIO ? ledger_error(l) : strerror(-r));
                        ret = EXIT_SETUP;
                        break;
                }
                json_object *j = json_object_new_object();
                json_object_object_add(j, "file", json_new_string(*f));
                json_object_object_add(j, "backed", json_object_new_boolean(r == 0));
                if (r == 0) {
                        json_object_object_add(j, "entry", json_object_get(json_path(entry, "index")));
                        json_object_object_add(j, "builder", json_object_get(json_path(entry, "builder")));
                        json_object_object_add(j, "keyid", json_object_get(json_path(entry, "keyid")));
                        json_object_object_add(j, "verdict", json_object_get(json_path(entry, "verdict")));
                        /* backed, but a build that failed its verdict may be exactly the one to look at */
                        if (!o->json)
                                printf("ok       %s: ledger entry #%" PRId64 " by %s, verdict %s\n", *f,
                                       json_object_get_int64(json_path(entry, "index")),
                                       json_object_get_string(json_path(entry, "builder")),
                                       json_object_get_string(json_path(entry, "verdict")));
                } else {
                        bad++;
                        json_object_object_add(j, "reason", json_new_string(reason));
                        if (!o->json)
                                printf("UNBACKED %s: %s\n", *f, reason);
                }
                json_object_array_add(out, j);
                json_object_put(entry);
                free(reason);
        }
        if (ret == 0) {
                if (o->json) {
                        json_object *w = json_object_new_object();
                        json_object_object_add(w, "files", json_object_get(out));
                        json_object_object_add(w, "unbacked", json_object_new_uint64(bad));
                        print_json(w);
                        json_object_put(w);
                } else
                        printf("%zu of %zu files without an authorized build behind them\n", bad, n);
                ret = bad ? EXIT_FOUND : 0;
        }
        json_object_put(out);
        ledger_close(l);
        free_keys(trusted);
        return ret;
}

static int do_append(const struct ledger_opts *o, char **args) {
        if (!o->sign_key || !args[0] || args[1]) {
                log_error("append needs --sign-key KEY and one JSON Lines file (or -); see `buildward ledger --help`");
                return EXIT_USAGE;
        }
        _cleanup_pkey_ EVP_PKEY *key = NULL;
        int r = key_load_private(o->sign_key, &key);
        if (r < 0) {
                log_error("cannot use the signing key '%s' (%s); pass a private key from `buildward keygen` with "
                          "mode 0600",
                          o->sign_key, r == -EPERM ? "readable by group or others" : strerror(-r));
                return EXIT_SETUP;
        }
        _cleanup_fclose_ FILE *f = streq(args[0], "-") ? NULL : fopen(args[0], "re");
        FILE *in = streq(args[0], "-") ? stdin : f;
        if (!in) {
                log_error("cannot open '%s' (%s); pass a JSON Lines file of entries", args[0], strerror(errno));
                return EXIT_SETUP;
        }
        _cleanup_ledger_ struct ledger *l = NULL;
        int ret = open_ledger(o, true, &l);
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
                r = e ? ledger_append(l, e, key, &index) : -EINVAL;
                json_object_put(e);
                if (r == -EINVAL) {
                        log_error("line %zu of '%s' is not a valid entry; see docs/provenance.md for the fields",
                                  lineno, args[0]);
                        return EXIT_SETUP;
                }
                if (r < 0) {
                        log_error("cannot append line %zu to '%s' (%s)", lineno, o->url, ledger_error(l));
                        return EXIT_SETUP;
                }
                n++;
        }
        if (!o->json)
                printf(n ? "appended %zu entries; last index %" PRIu64 "\n" : "appended %zu entries\n", n, index);
        return 0;
}

int cmd_ledger(int argc, char **argv) {
        enum {
                OPT_LEDGER = 256,
                OPT_SINCE,
                OPT_UNTIL,
                OPT_BUILDER,
                OPT_PUBKEY,
                OPT_JSON,
                OPT_SIGN_KEY,
                OPT_CHECKPOINT
        };
        static const struct option opts[] = {
                { "ledger", required_argument, NULL, OPT_LEDGER },
                { "since", required_argument, NULL, OPT_SINCE },
                { "until", required_argument, NULL, OPT_UNTIL },
                { "builder", required_argument, NULL, OPT_BUILDER },
                { "pubkey", required_argument, NULL, OPT_PUBKEY },
                { "sign-key", required_argument, NULL, OPT_SIGN_KEY },
                { "json", no_argument, NULL, OPT_JSON },
                { "checkpoint", required_argument, NULL, OPT_CHECKPOINT },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        struct ledger_opts o = { .url = LEDGER_DEFAULT_URL };
        _cleanup_strv_free_ char **pubkeys = xcalloc(1, sizeof(char *)), **args = xcalloc(1, sizeof(char *));
        int c;
        opterr = 0; /* one error line, ours */
        /* Options may come before or after the subcommand and its arguments (getopt permutes). */
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1)
                switch (c) {
                case OPT_LEDGER:
                        o.url = optarg;
                        break;
                case OPT_SINCE:
                        o.since = optarg;
                        break;
                case OPT_UNTIL:
                        o.until = optarg;
                        break;
                case OPT_BUILDER:
                        o.builder = optarg;
                        break;
                case OPT_PUBKEY:
                        strv_push(&pubkeys, xstrdup(optarg));
                        break;
                case OPT_SIGN_KEY:
                        o.sign_key = optarg;
                        break;
                case OPT_JSON:
                        o.json = true;
                        break;
                case OPT_CHECKPOINT: {
                        char *colon = strchr(optarg, ':'), *end = NULL;
                        errno = 0;
                        o.at_size = strtoull(optarg, &end, 10);
                        if (!colon || end != colon || errno || o.at_size == 0 ||
                            hash_from_hex(colon + 1, o.at_root, HASH_SIZE) < 0) {
                                log_error("invalid --checkpoint '%s'; use SIZE:ROOT as `ledger verify --json` prints "
                                          "them (entries and root)",
                                          optarg);
                                return EXIT_USAGE;
                        }
                        break;
                }
                case 'h':
                        ledger_help();
                        return 0;
                default:
                        log_error("invalid option; see `buildward ledger --help`");
                        return EXIT_USAGE;
                }
        for (int i = optind; i < argc; i++)
                strv_push(&args, xstrdup(argv[i]));
        o.pubkeys = pubkeys;
        if (!args[0]) {
                ledger_help();
                return EXIT_USAGE;
        }
        /* It hashes or signs throughout: if libcrypto is missing, the loader's line is the only one. */
        if (dlopen_libcrypto() < 0)
                return EXIT_SETUP;
        const char *sub = args[0];
        if (streq(sub, "verify") && !args[1])
                return do_verify(&o);
        if (streq(sub, "query") && !args[1])
                return do_query(&o);
        if (streq(sub, "blast-radius"))
                return do_blast_radius(&o, args + 1);
        if (streq(sub, "audit-signatures"))
                return do_audit(&o, args + 1);
        if (streq(sub, "append"))
                return do_append(&o, args + 1);
        log_error("unknown ledger command '%s' or extra arguments; use verify, query, blast-radius, audit-signatures "
                  "or append",
                  sub);
        return EXIT_USAGE;
}
