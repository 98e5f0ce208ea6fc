/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <inttypes.h>

#include "attest/statement.h"
#include "basic/json-util.h"
#include "basic/log.h"
#include "cli/cmd-ledger.h"
#include "cli/commands.h"
#include "ledger/fleet.h"
#include "ledger/ledger.h"
#include "provenance/provenance.h"

static void ledger_help(void) {
        printf("usage: buildward ledger COMMAND [OPTIONS]\n\n"
               "  verify [--pubkey PUB]... [--checkpoint SIZE:ROOT] [--state FILE]\n"
               "                                  check the whole log; names the first bad entry;\n"
               "                                  with --state, only what came after the head FILE kept\n"
               "  query --since T --until T [--builder ID] [--keyid KID]\n"
               "                                  builds that started or finished in the window\n"
               "  query --keyid KID               every entry signed with a key\n"
               "  blast-radius DIGEST|FILE        everything built from an artifact, transitively\n"
               "  blast-radius --builder ID --since T --until T\n"
               "                                  everything built from what a builder made in a window\n"
               "  audit-signatures FILE...        signed artifacts or provenance files with no ledger entry\n"
               "                                  from an authorized builder\n"
               "  append --sign-key KEY [--batch N] FILE|-\n"
               "                                  append entries given as JSON Lines (imports, tests);\n"
               "                                  --batch: N entries per transaction (bulk imports)\n"
               "  enrol --admin-key ADMIN.key --builder ID --pubkey PUB...\n"
               "                                  bind a builder id to its keys (fleet administrator)\n"
               "  revoke --admin-key ADMIN.key --keyid KID --from T\n"
               "                                  a key stops counting for builds finished from T on\n"
               "  witness --key W.key --state FILE\n"
               "                                  verify what came after the last head this witness cosigned\n"
               "                                  (consistency proof included), then cosign the current head\n\n"
               "  --ledger URL    sqlite:PATH or postgresql://... (default " LEDGER_DEFAULT_URL ")\n"
               "  --pubkey PUB    an authorized builder key (repeatable); default: the keys in the ledger\n"
               "  --admin-pubkey ADMIN.pub  verify, audit-signatures: every build must be signed by a key\n"
               "                  enrolled for its builder and not revoked (docs/provenance.md)\n"
               "  --witness-pubkey W.pub    verify: the head must carry that witness's cosignature\n"
               "  --json          machine-readable output\n"
               "T is RFC 3339 UTC (2026-11-25T14:00:00Z), a date (2026-11-25) or @EPOCH.\n"
               "Exit: 0 fine, 1 a problem found (bad entry, unbacked signature), 2 usage, 125 error.\n");
}

/* Loads --pubkey files into a NULL-terminated array (NULL when none were given). */
int ledger_cli_load_pubkeys(char **paths, EVP_PKEY ***ret) {
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

void ledger_cli_free_keys(EVP_PKEY **keys) {
        for (EVP_PKEY **k = keys; k && *k; k++)
                sym_EVP_PKEY_free(*k);
        free(keys);
}

int ledger_cli_open_ledger(const struct ledger_opts *o, bool create, struct ledger **ret) {
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

void ledger_cli_print_json(json_object *o) {
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
                ledger_cli_print_json(w);
                json_object_put(w);
        } else {
                for (size_t i = 0; i < json_object_array_length(arr); i++)
                        print_entry(json_object_array_get_idx(arr, i));
                printf("%zu %s\n", json_object_array_length(arr), what);
        }
        return 0;
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
        /* --keyid alone: every entry the key signed */
        int ret = parse_window(o, !o->keyid);
        if (ret)
                return ret;
        if (o->keyid && !o->since)
                o->until_usec = INT64_MAX;
        _cleanup_ledger_ struct ledger *l = NULL;
        if ((ret = ledger_cli_open_ledger(o, false, &l)) != 0)
                return ret;
        json_object *arr;
        int r = o->keyid ? ledger_query_keyid(l, o->keyid, o->since_usec, o->until_usec, &arr)
                         : ledger_query_window(l, o->since_usec, o->until_usec, o->builder, &arr);
        if (r >= 0 && o->keyid && o->builder) {
                json_object *all = arr;
                arr = json_object_new_array();
                for (size_t i = 0; i < json_object_array_length(all); i++) {
                        json_object *e = json_object_array_get_idx(all, i);
                        if (streq_ptr(json_object_get_string(json_path(e, "builder")), o->builder))
                                json_object_array_add(arr, json_object_get(e));
                }
                json_object_put(all);
        }
        if (r < 0) {
                log_error("cannot query the ledger '%s' (%s)", o->url, ledger_error(l));
                return EXIT_SETUP;
        }
        print_entries(o, arr, o->since ? "builds in the window" : "entries signed with the key");
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
        if ((ret = ledger_cli_open_ledger(o, false, &l)) != 0)
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

/* --checkpoint SIZE:ROOT; prints why not. */
static int parse_checkpoint(const char *arg, struct ledger_opts *o) {
        const char *colon = strchr(arg, ':');
        char *end = NULL;
        errno = 0;
        o->at_size = strtoull(arg, &end, 10);
        if (!colon || end != colon || errno || o->at_size == 0 || hash_from_hex(colon + 1, o->at_root, HASH_SIZE) < 0) {
                log_error("invalid --checkpoint '%s'; use SIZE:ROOT as `ledger verify --json` prints them (entries "
                          "and root)",
                          arg);
                return -EINVAL;
        }
        return 0;
}

/* --batch N; prints why not. */
static int parse_batch(const char *arg, struct ledger_opts *o) {
        char *end = NULL;
        errno = 0;
        unsigned long v = strtoul(arg, &end, 10);
        if (errno || !end || *end || v == 0 || v > 1000000) {
                log_error("invalid --batch '%s'; pass a number of entries per transaction, 1 to 1000000", arg);
                return -EINVAL;
        }
        o->batch = (unsigned) v;
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
                OPT_CHECKPOINT,
                OPT_ADMIN_KEY,
                OPT_ADMIN_PUBKEY,
                OPT_KEYID,
                OPT_FROM,
                OPT_STATE,
                OPT_BATCH,
                OPT_KEY,
                OPT_WITNESS_PUBKEY,
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
                { "admin-key", required_argument, NULL, OPT_ADMIN_KEY },
                { "admin-pubkey", required_argument, NULL, OPT_ADMIN_PUBKEY },
                { "keyid", required_argument, NULL, OPT_KEYID },
                { "from", required_argument, NULL, OPT_FROM },
                { "state", required_argument, NULL, OPT_STATE },
                { "batch", required_argument, NULL, OPT_BATCH },
                { "key", required_argument, NULL, OPT_KEY },
                { "witness-pubkey", required_argument, NULL, OPT_WITNESS_PUBKEY },
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
                case OPT_ADMIN_KEY:
                        o.admin_key = optarg;
                        break;
                case OPT_ADMIN_PUBKEY:
                        o.admin_pubkey = optarg;
                        break;
                case OPT_KEYID:
                        o.keyid = optarg;
                        break;
                case OPT_FROM:
                        o.from = optarg;
                        break;
                case OPT_STATE:
                        o.state = optarg;
                        break;
                case OPT_KEY:
                        o.witness_key = optarg;
                        break;
                case OPT_WITNESS_PUBKEY:
                        o.witness_pubkey = optarg;
                        break;
                case OPT_BATCH:
                        if (parse_batch(optarg, &o) < 0)
                                return EXIT_USAGE;
                        break;
                case OPT_JSON:
                        o.json = true;
                        break;
                case OPT_CHECKPOINT:
                        if (parse_checkpoint(optarg, &o) < 0)
                                return EXIT_USAGE;
                        break;
                case 'h':
                        ledger_help();
                        return 0;
                default:
                        log_error("invalid option; see `buildward ledger --help`");
                        return EXIT_USAGE;
                }
        for (int i = optind; i < argc; i++)
                strv_push(&args, xstrdup(argv[i]));
        /* --pubkey restricts who may sign checkpoints: the administrator's records are signed too */
        if (o.admin_pubkey && pubkeys[0] && args[0] && !streq(args[0], "enrol"))
                strv_push(&pubkeys, xstrdup(o.admin_pubkey));
        o.pubkeys = pubkeys;
        if (!args[0]) {
                ledger_help();
                return EXIT_USAGE;
        }
        /* It hashes or signs throughout: if libcrypto is missing, the loader's line is the only one. */
        if (dlopen_libcrypto() < 0)
                return EXIT_SETUP;
        const char *sub = args[0];
        if (streq(sub, "verify") && !args[1] && o.state && o.at_size) {
                log_error("--state and --checkpoint both name a tree head to extend; pass one");
                return EXIT_USAGE;
        }
        if (streq(sub, "verify") && !args[1])
                return ledger_do_verify(&o);
        if (streq(sub, "query") && !args[1])
                return do_query(&o);
        if (streq(sub, "blast-radius"))
                return do_blast_radius(&o, args + 1);
        if (streq(sub, "audit-signatures"))
                return ledger_do_audit(&o, args + 1);
        if (streq(sub, "append"))
                return ledger_do_append(&o, args + 1);
        if (streq(sub, "witness") && !args[1])
                return ledger_do_witness(&o);
        if (streq(sub, "enrol") && !args[1])
                return ledger_do_enrol(&o);
        if (streq(sub, "revoke") && !args[1])
                return ledger_do_revoke(&o);
        log_error("unknown ledger command '%s' or extra arguments; use verify, query, blast-radius, audit-signatures, "
                  "append, enrol, revoke or witness",
                  sub);
        return EXIT_USAGE;
}
