/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <inttypes.h>

#include "attest/statement.h"
#include "basic/json-util.h"
#include "basic/log.h"
#include "cli/commands.h"
#include "ledger/ledger.h"
#include "provenance/provenance.h"

static void verify_help(void) {
        printf("usage: buildward verify ARTIFACT... [--pubkey PUB] [--ledger URL] [--provenance FILE] [--json]\n\n"
               "Checks each artifact: the provenance's DSSE signature (with PUB, or the key the\n"
               "ledger records for its keyid), that a subject of the provenance has the artifact's\n"
               "sha256, and with --ledger that a ledger entry records that provenance and is\n"
               "included in the log's latest signed checkpoint (an RFC 6962 inclusion proof).\n"
               "The provenance is --provenance FILE, else the nearest provenance.dsse.json in the\n"
               "artifact's directory or above (OUT/artifacts/... -> OUT/provenance.dsse.json).\n"
               "Exit: 0 all verified, 1 one failed, 2 usage, 125 error.\n");
}

struct verify_opts {
        const char *pubkey, *ledger, *provenance;
        bool json;
};

/* 0 verified, 1 not (REASON), -errno could not check. INFO gets what was found. */
static int verify_one(const struct verify_opts *o, EVP_PKEY *pub, struct ledger *l, const char *artifact,
                      json_object *info, char **ret_reason) {
        char digest[65], psha[65];
        uint8_t md[32];
        int r = file_sha256(artifact, digest);
        if (r < 0) {
                *ret_reason = xasprintf("cannot read it (%s)", strerror(-r));
                return 1;
        }
        json_object_object_add(info, "sha256", json_new_string(digest));
        _cleanup_free_ char *prov = o->provenance ? xstrdup(o->provenance) : provenance_find_for(artifact);
        if (!prov) {
                *ret_reason = xstrdup("no provenance.dsse.json next to it or above; pass --provenance FILE");
                return 1;
        }
        json_object_object_add(info, "provenance", json_new_string(prov));
        struct dsse_envelope env = {};
        if ((r = provenance_read(prov, &env)) < 0) {
                *ret_reason = xasprintf("its provenance '%s' is not a DSSE envelope (%s)", prov,
                                        r == -EBADMSG ? "malformed" : strerror(-r));
                return 1;
        }
        _cleanup_pkey_ EVP_PKEY *key = NULL;
        if (pub) {
                sym_EVP_PKEY_up_ref(pub);
                key = pub;
        } else
                for (size_t i = 0; i < env.n_sigs && !key; i++)
                        if (ledger_key(l, env.sigs[i].keyid, &key) < 0)
                                key = NULL;
        char keyid[KEYID_HEX_SIZE] = "";
        r = 1;
        _cleanup_free_ char *name = NULL;
        if (!key)
                *ret_reason = xstrdup("its provenance is signed by no key the ledger knows; pass --pubkey PUB");
        else if (key_id(key, keyid) < 0 || dsse_verify(&env, key, NULL) < 0)
                *ret_reason = xasprintf("the signature of '%s' does not verify with key %s", prov, keyid);
        else if (provenance_check_statement(&env, digest, &name, ret_reason) == 0)
                r = 0;
        if (r != 0) {
                dsse_envelope_done(&env);
                return r;
        }
        json_object_object_add(info, "keyid", json_new_string(keyid));
        json_object_object_add(info, "subject", json_new_string(name ? name : ""));
        sym_EVP_Digest(env.payload, env.payload_len, md, NULL, sym_EVP_sha256(), NULL);
        hash_to_hex(md, 32, psha);
        dsse_envelope_done(&env);
        if (!l)
                return 0;

        json_object *entries = NULL;
        if ((r = ledger_find_digest(l, psha, true, &entries)) < 0)
                return r;
        r = 1;
        for (size_t i = 0; i < json_object_array_length(entries); i++) {
                json_object *e = json_object_array_get_idx(entries, i);
                uint64_t index = (uint64_t) json_object_get_int64(json_path(e, "index")), size;
                if (!streq_ptr(json_object_get_string(json_path(e, "keyid")), keyid))
                        continue;
                EVP_PKEY *trusted[] = { pub, NULL };
                free(*ret_reason);
                *ret_reason = NULL;
                int k = ledger_prove_inclusion(l, index, pub ? trusted : NULL, &size, ret_reason);
                if (k == 0) {
                        json_object_object_add(info, "entry", json_object_new_uint64(index));
                        json_object_object_add(info, "tree_size", json_object_new_uint64(size));
                        json_object_object_add(info, "builder", json_object_get(json_path(e, "builder")));
                        r = 0;
                        break;
                }
                if (k < 0 && k != -EBADMSG) {
                        r = k;
                        break;
                }
        }
        json_object_put(entries);
        if (r == 1 && !*ret_reason)
                *ret_reason =
                        xasprintf("no ledger entry records its provenance (sha256 %s) signed by key %s", psha, keyid);
        else if (r == 1) {
                char *w = xasprintf("its ledger entry does not verify: %s", *ret_reason);
                free(*ret_reason);
                *ret_reason = w;
        }
        return r;
}

int cmd_verify(int argc, char **argv) {
        enum { OPT_PUBKEY = 256, OPT_LEDGER, OPT_PROVENANCE, OPT_JSON };
        static const struct option opts[] = {
                { "pubkey", required_argument, NULL, OPT_PUBKEY },
                { "ledger", required_argument, NULL, OPT_LEDGER },
                { "provenance", required_argument, NULL, OPT_PROVENANCE },
                { "json", no_argument, NULL, OPT_JSON },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        struct verify_opts o = {};
        int c;
        opterr = 0; /* one error line, ours */
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1)
                switch (c) {
                case OPT_PUBKEY:
                        o.pubkey = optarg;
                        break;
                case OPT_LEDGER:
                        o.ledger = optarg;
                        break;
                case OPT_PROVENANCE:
                        o.provenance = optarg;
                        break;
                case OPT_JSON:
                        o.json = true;
                        break;
                case 'h':
                        verify_help();
                        return 0;
                default:
                        log_error("invalid option; see `buildward verify --help`");
                        return 2;
                }
        if (optind >= argc) {
                log_error("verify needs at least one artifact; see `buildward verify --help`");
                return 2;
        }
        if (!o.pubkey && !o.ledger) {
                log_error("verify needs --pubkey PUB (the builder's public key) or --ledger URL (which records the "
                          "builders' keys)");
                return 2;
        }
        /* It hashes or signs throughout: if libcrypto is missing, the loader's line is the only one. */
        if (dlopen_libcrypto() < 0)
                return EXIT_SETUP;
        _cleanup_pkey_ EVP_PKEY *pub = NULL;
        int r;
        if (o.pubkey && (r = key_load_public(o.pubkey, &pub)) < 0) {
                log_error("cannot read the public key '%s' (%s); pass a KEY.pub written by `buildward keygen`",
                          o.pubkey, r == -EKEYREJECTED ? "not an Ed25519 key" : strerror(-r));
                return EXIT_SETUP;
        }
        _cleanup_ledger_ struct ledger *l = NULL;
        if (o.ledger && (r = ledger_open(o.ledger, false, &l)) < 0) {
                log_error("cannot open the ledger '%s' (%s); check the --ledger URL", o.ledger, ledger_open_error());
                return EXIT_SETUP;
        }
        size_t bad = 0;
        json_object *out = json_object_new_array();
        int ret = 0;
        for (int i = optind; i < argc; i++) {
                json_object *info = json_object_new_object();
                json_object_object_add(info, "artifact", json_new_string(argv[i]));
                char *reason = NULL;
                r = verify_one(&o, pub, l, argv[i], info, &reason);
                if (r < 0) {
                        log_error("cannot check '%s' against the ledger (%s)", argv[i], ledger_error(l));
                        json_object_put(info);
                        free(reason);
                        ret = EXIT_SETUP;
                        break;
                }
                json_object_object_add(info, "verified", json_object_new_boolean(r == 0));
                if (r == 0 && !o.json) {
                        printf("ok   %s: signed by %.16s, subject '%s'", argv[i],
                               json_object_get_string(json_path(info, "keyid")),
                               json_object_get_string(json_path(info, "subject")));
                        if (l)
                                printf(", ledger entry #%" PRId64 " in tree of size %" PRId64,
                                       json_object_get_int64(json_path(info, "entry")),
                                       json_object_get_int64(json_path(info, "tree_size")));
                        printf("\n");
                } else if (r != 0) {
                        bad++;
                        json_object_object_add(info, "reason", json_new_string(reason));
                        if (!o.json)
                                printf("FAIL %s: %s\n", argv[i], reason);
                }
                json_object_array_add(out, info);
                free(reason);
        }
        if (ret == 0 && o.json) {
                json_object *w = json_object_new_object();
                json_object_object_add(w, "artifacts", json_object_get(out));
                printf("%s\n", json_object_to_json_string_ext(w, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                                         JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(w);
        }
        json_object_put(out);
        return ret ? ret : bad ? 1 : 0;
}
