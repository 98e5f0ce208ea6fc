/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Enrolment and revocation of builder keys by a fleet administrator (ledger/fleet.h). */
#include <inttypes.h>
#include <time.h>

#include "attest/dsse.h"
#include "attest/statement.h"
#include "basic/alloc.h"
#include "basic/json-util.h"
#include "basic/time.h"
#include "basic/util.h"
#include "crypto/openssl-dl.h"
#include "ledger/backend.h"
#include "ledger/fleet.h"
#include "ledger/internal.h"
#include "ledger/ledger.h"

/* The common frame of an administrator record: an entry nothing was built in. */
static json_object *admin_entry(const char *command, json_object *record) {
        char now[64];
        format_rfc3339(now_usec(CLOCK_REALTIME), now, sizeof(now));
        json_object *e = json_object_new_object(), *cmd = json_object_new_array();
        json_object_array_add(cmd, json_new_string("buildward"));
        json_object_array_add(cmd, json_new_string("ledger"));
        json_object_array_add(cmd, json_new_string(command));
        json_object_object_add(e, "builder", json_new_string(LEDGER_ADMIN_BUILDER));
        json_object_object_add(e, "startedOn", json_new_string(now));
        json_object_object_add(e, "finishedOn", json_new_string(now));
        json_object_object_add(e, "command", cmd);
        json_object_object_add(e, "verdict", json_new_string("admin"));
        json_object_object_add(e, "admin", record);
        return e;
}

int ledger_enrol(struct ledger *l, EVP_PKEY *admin, const char *builder, EVP_PKEY *const *keys, uint64_t *ret_index) {
        if (!builder || !*builder || streq(builder, LEDGER_ADMIN_BUILDER) || !keys || !keys[0])
                return -EINVAL;
        json_object *rec = json_object_new_object(), *ids = json_object_new_array();
        json_object_object_add(rec, "action", json_new_string("enrol"));
        json_object_object_add(rec, "builder", json_new_string(builder));
        for (EVP_PKEY *const *k = keys; *k; k++) {
                char id[KEYID_HEX_SIZE];
                int r = key_id(*k, id);
                if (r < 0) {
                        json_object_put(ids);
                        json_object_put(rec);
                        return r;
                }
                json_object_array_add(ids, json_new_string(id));
        }
        json_object_object_add(rec, "keyids", ids);
        json_object *e = admin_entry("enrol", rec);
        int r = ledger_append(l, e, admin, ret_index);
        json_object_put(e);
        return r;
}

int ledger_revoke(struct ledger *l, EVP_PKEY *admin, const char *keyid, uint64_t from_usec, uint64_t *ret_index) {
        char from[64];
        if (!keyid || strlen(keyid) != KEYID_HEX_SIZE - 1)
                return -EINVAL;
        format_rfc3339(from_usec, from, sizeof(from));
        json_object *rec = json_object_new_object();
        json_object_object_add(rec, "action", json_new_string("revoke"));
        json_object_object_add(rec, "keyid", json_new_string(keyid));
        json_object_object_add(rec, "from", json_new_string(from));
        json_object *e = admin_entry("revoke", rec);
        int r = ledger_append(l, e, admin, ret_index);
        json_object_put(e);
        return r;
}

/* ---- the check ----------------------------------------------------------------------------------------- */

struct enrolment {
        char *builder;
        char keyid[KEYID_HEX_SIZE];
        uint64_t index;
};

/*
 * Build entries are judged after the whole log is read: a revocation appended
 * later still covers the builds its time covers. A fleet has few (builder,
 * key) pairs, so each build costs 24 bytes.
 */
struct signer {
        char *builder;
        char *keyid; /* NULL: unsigned */
};

struct build {
        uint64_t index, finished_us;
        size_t signer;
};

struct revocation {
        char keyid[KEYID_HEX_SIZE];
        uint64_t from_usec, index;
        char *from;
};

struct fleet {
        struct ledger *l;
        EVP_PKEY *admin;
        char admin_id[KEYID_HEX_SIZE];
        struct merkle_frontier f;
        uint64_t next; /* the index the next row must have */
        struct enrolment *enr;
        size_t n_enr, cap_enr;
        struct revocation *rev;
        size_t n_rev, cap_rev;
        struct signer *sig;
        size_t n_sig, cap_sig;
        struct build *builds;
        size_t n_builds, cap_builds;
        json_object *problems;
};

static void problem(struct fleet *s, uint64_t index, const char *builder, const char *keyid, char *reason) {
        json_object *p = json_object_new_object();
        json_object_object_add(p, "index", json_object_new_uint64(index));
        json_object_object_add(p, "builder", json_new_string(builder ? builder : ""));
        json_object_object_add(p, "keyid", keyid ? json_new_string(keyid) : NULL);
        json_object_object_add(p, "reason", json_new_string(reason));
        json_object_array_add(s->problems, p);
        free(reason);
}

/* Applies one administrator record at INDEX; a reason when it is not one. */
static char *apply_admin(struct fleet *s, json_object *rec, uint64_t index) {
        const char *action = jget_str(rec, "action");
        if (streq_ptr(action, "enrol")) {
                const char *builder = jget_str(rec, "builder");
                json_object *ids = NULL;
                if (!builder || !json_object_object_get_ex(rec, "keyids", &ids) ||
                    !json_object_is_type(ids, json_type_array))
                        return xstrdup("its enrolment record lacks the builder or the keyids");
                for (size_t i = 0; i < json_object_array_length(ids); i++) {
                        const char *id = json_object_get_string(json_object_array_get_idx(ids, i));
                        if (!id || strlen(id) != KEYID_HEX_SIZE - 1)
                                return xstrdup("its enrolment record holds a malformed keyid");
                        GREEDY_REALLOC(s->enr, s->cap_enr, s->n_enr + 1);
                        s->enr[s->n_enr].builder = xstrdup(builder);
                        s->enr[s->n_enr].index = index;
                        snprintf(s->enr[s->n_enr].keyid, KEYID_HEX_SIZE, "%s", id);
                        s->n_enr++;
                }
                return NULL;
        }
        if (streq_ptr(action, "revoke")) {
                const char *id = jget_str(rec, "keyid"), *from = jget_str(rec, "from");
                uint64_t t;
                if (!id || strlen(id) != KEYID_HEX_SIZE - 1 || !from || rfc3339_parse(from, &t) < 0)
                        return xstrdup("its revocation record lacks a valid keyid or from time");
                GREEDY_REALLOC(s->rev, s->cap_rev, s->n_rev + 1);
                s->rev[s->n_rev] = (struct revocation){ .from_usec = t, .index = index, .from = xstrdup(from) };
                snprintf(s->rev[s->n_rev].keyid, KEYID_HEX_SIZE, "%s", id);
                s->n_rev++;
                return NULL;
        }
        return xasprintf("its administrator record has the unknown action '%s'", action ? action : "");
}

/* Why the build entry INDEX (BUILDER, signed with KEYID, finished at FINISHED) does not count, or NULL. */
static char *check_build(struct fleet *s, uint64_t index, const char *builder, const char *keyid, uint64_t finished) {
        if (!keyid)
                return xasprintf("it is not signed, so nothing ties it to builder '%s'", builder);
        const char *other = NULL;
        bool enrolled = false;
        for (size_t i = 0; i < s->n_enr && !enrolled; i++)
                if (streq(s->enr[i].keyid, keyid)) {
                        if (streq(s->enr[i].builder, builder))
                                enrolled = true;
                        else
                                other = s->enr[i].builder;
                }
        if (!enrolled)
                return other ? xasprintf("it claims builder '%s' but is signed by key %s, which is enrolled for "
                                         "builder '%s': a forged builder identity",
                                         builder, keyid, other)
                             : xasprintf("it claims builder '%s' but is signed by key %s, which no "
                                         "enrolment binds to that builder",
                                         builder, keyid);
        char finished_text[64];
        format_rfc3339(finished, finished_text, sizeof(finished_text));
        for (size_t i = 0; i < s->n_rev; i++) {
                const struct revocation *v = &s->rev[i];
                if (!streq(v->keyid, keyid))
                        continue;
                if (finished >= v->from_usec)
                        return xasprintf("it is signed by key %s, revoked from %s (entry %" PRIu64
                                         "), and finished at %s",
                                         keyid, v->from, v->index, finished_text);
                if (index > v->index)
                        return xasprintf("it is signed by key %s and was appended after that key's revocation "
                                         "(entry %" PRIu64 "); its claimed time %s cannot make it earlier",
                                         keyid, v->index, finished_text);
        }
        return NULL;
}

static void add_build(struct fleet *s, uint64_t index, const char *builder, const char *keyid, uint64_t finished) {
        size_t i = s->n_sig;
        /* the last signer first: a log is mostly runs of one builder */
        if (i > 0 && streq(s->sig[i - 1].builder, builder) && streq_ptr(s->sig[i - 1].keyid, keyid))
                i--;
        else
                for (i = 0; i < s->n_sig; i++)
                        if (streq(s->sig[i].builder, builder) && streq_ptr(s->sig[i].keyid, keyid))
                                break;
        if (i == s->n_sig) {
                GREEDY_REALLOC(s->sig, s->cap_sig, s->n_sig + 1);
                s->sig[s->n_sig++] = (struct signer){ xstrdup(builder), keyid ? xstrdup(keyid) : NULL };
        }
        GREEDY_REALLOC(s->builds, s->cap_builds, s->n_builds + 1);
        s->builds[s->n_builds++] = (struct build){ index, finished, i };
}

static bool admin_signature_ok(struct fleet *s, const char *sig64, uint64_t size, const merkle_hash root) {
        _cleanup_free_ uint8_t *sig = NULL;
        size_t sl;
        _cleanup_free_ char *cp = ledger_checkpoint_text(s->l->origin, size, root);
        return sig64 && base64_decode(sig64, &sig, &sl) == 0 && verify_buffer(s->admin, cp, strlen(cp), sig, sl) == 0;
}

static int by_index(const void *a, const void *b) {
        int64_t x = json_object_get_int64(json_path(*(json_object *const *) a, "index")),
                y = json_object_get_int64(json_path(*(json_object *const *) b, "index"));
        return x < y ? -1 : x > y;
}

static int fleet_row(void *ud, size_t n, const char *const *cols) {
        struct fleet *s = ud;
        if (n < 3 || !cols[0] || !cols[1])
                return -EUCLEAN;
        uint64_t index = strtoull(cols[0], NULL, 10);
        if (index != s->next) {
                ledger_set_error(s->l, "entry %" PRIu64 " is missing; run `buildward ledger verify`", s->next);
                return -EUCLEAN;
        }
        s->next++;
        merkle_hash leaf, root;
        merkle_leaf_hash(cols[1], strlen(cols[1]), leaf);
        merkle_frontier_append(&s->f, leaf);
        merkle_frontier_root(&s->f, root);
        json_object *b = json_tokener_parse(cols[1]), *rec = NULL;
        struct entry_cols c;
        if (!b || entry_cols(b, &c) < 0) {
                json_object_put(b);
                problem(s, index, NULL, NULL, xstrdup("its body is not a valid entry; run `buildward ledger verify`"));
                return 0;
        }
        char *why = NULL;
        if (json_object_object_get_ex(b, "admin", &rec)) {
                if (!streq_ptr(c.keyid, s->admin_id))
                        why = xasprintf("it is an administrator record signed by key %s, not by the administrator "
                                        "key %s",
                                        c.keyid ? c.keyid : "(none)", s->admin_id);
                else if (!admin_signature_ok(s, cols[2], index + 1, root))
                        why = xstrdup("it is an administrator record whose checkpoint signature does not verify "
                                      "with the administrator key over the log up to it");
                else
                        why = apply_admin(s, rec, index);
        } else
                add_build(s, index, c.builder, c.keyid, c.finished_us);
        if (why)
                problem(s, index, c.builder, c.keyid, why);
        json_object_put(b);
        return 0;
}

int ledger_fleet_check(struct ledger *l, EVP_PKEY *admin, json_object **ret_problems) {
        struct fleet s = { .l = l, .admin = admin, .problems = json_object_new_array() };
        int r = key_id(admin, s.admin_id);
        while (r >= 0) {
                char lo[24], hi[24];
                uint64_t before = s.next;
                snprintf(lo, sizeof(lo), "%" PRIu64, s.next);
                snprintf(hi, sizeof(hi), "%" PRIu64, s.next + VERIFY_CHUNK);
                const char *p[] = { lo, hi };
                r = l->ops->query(l,
                                  "SELECT seq, body, checkpoint_sig FROM entries WHERE seq >= $1 AND seq < $2 "
                                  "ORDER BY seq",
                                  2, p, fleet_row, &s);
                if (r >= 0 && s.next == before)
                        break;
        }
        for (size_t i = 0; r >= 0 && i < s.n_builds; i++) {
                const struct build *b = &s.builds[i];
                const struct signer *g = &s.sig[b->signer];
                char *why = check_build(&s, b->index, g->builder, g->keyid, b->finished_us);
                if (why)
                        problem(&s, b->index, g->builder, g->keyid, why);
        }
        for (size_t i = 0; i < s.n_sig; i++) {
                free(s.sig[i].builder);
                free(s.sig[i].keyid);
        }
        free(s.sig);
        free(s.builds);
        for (size_t i = 0; i < s.n_enr; i++)
                free(s.enr[i].builder);
        for (size_t i = 0; i < s.n_rev; i++)
                free(s.rev[i].from);
        free(s.enr);
        free(s.rev);
        if (r < 0) {
                json_object_put(s.problems);
                return r;
        }
        json_object_array_sort(s.problems, by_index);
        *ret_problems = s.problems;
        return 0;
}
