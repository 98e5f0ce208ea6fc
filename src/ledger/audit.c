/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ledger audit-signatures`: is there an authorized build behind a signed file (ledger/audit.h). */
#include <inttypes.h>

#include "attest/dsse.h"
#include "attest/envelope-file.h"
#include "attest/statement.h"
#include "basic/json-util.h"
#include "basic/util.h"
#include "crypto/openssl-dl.h"
#include "ledger/audit.h"
#include "ledger/ledger.h"

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

/* The problem FLEET_PROBLEMS records for ENTRY, or NULL. */
static const char *fleet_problem(json_object *fleet_problems, json_object *entry) {
        int64_t index = json_object_get_int64(json_path(entry, "index"));
        for (size_t i = 0; fleet_problems && i < json_object_array_length(fleet_problems); i++) {
                json_object *p = json_object_array_get_idx(fleet_problems, i);
                if (json_object_get_int64(json_path(p, "index")) == index)
                        return json_object_get_string(json_path(p, "reason"));
        }
        return NULL;
}

int ledger_audit_file(struct ledger *l, EVP_PKEY *const *trusted, json_object *fleet_problems, const char *path,
                      json_object **ret) {
        _cleanup_free_ char *reason = NULL;
        json_object *entry = NULL;
        int r = audit_one(l, trusted, path, &reason, &entry);
        if (r < 0)
                return r;
        const char *why = r == 0 ? fleet_problem(fleet_problems, entry) : NULL;
        if (why) {
                reason = xasprintf("its ledger entry #%" PRId64 " does not count for the fleet: %s",
                                   json_object_get_int64(json_path(entry, "index")), why);
                r = 1;
        }
        json_object *j = json_object_new_object();
        json_object_object_add(j, "file", json_new_string(path));
        json_object_object_add(j, "backed", json_object_new_boolean(r == 0));
        if (r == 0) {
                json_object_object_add(j, "entry", json_object_get(json_path(entry, "index")));
                json_object_object_add(j, "builder", json_object_get(json_path(entry, "builder")));
                json_object_object_add(j, "keyid", json_object_get(json_path(entry, "keyid")));
                json_object_object_add(j, "verdict", json_object_get(json_path(entry, "verdict")));
        } else
                json_object_object_add(j, "reason", json_new_string(reason));
        json_object_put(entry);
        *ret = j;
        return 0;
}
