/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Verifying the ledger: every entry's body, columns, Merkle root and checkpoint
 * signature from the first row on, in chunks; and inclusion proofs of one entry.
 */
#include <inttypes.h>
#include <pthread.h>

#include "attest/dsse.h"
#include "attest/source.h"
#include "basic/alloc.h"
#include "basic/util.h"
#include "crypto/openssl-dl.h"
#include "ledger/backend.h"
#include "ledger/internal.h"
#include "ledger/ledger.h"

/*
 * The keys met so far, by id (a fleet has few builders). Never evicted: the
 * signature workers hold pointers into it for a whole chunk.
 */
struct keycache {
        char (*ids)[KEYID_HEX_SIZE];
        EVP_PKEY **keys;
        size_t n;
};

static void keycache_done(struct keycache *c) {
        for (size_t i = 0; i < c->n; i++)
                sym_EVP_PKEY_free(c->keys[i]);
        free(c->ids);
        free(c->keys);
}

/* The key to check KEYID's signatures with: one of TRUSTED, else the ledger's record. NULL when none. */
static EVP_PKEY *key_for(struct ledger *l, struct keycache *c, EVP_PKEY *const *trusted, const char *keyid) {
        for (size_t i = 0; i < c->n; i++)
                if (streq(c->ids[i], keyid))
                        return c->keys[i];
        EVP_PKEY *k = NULL;
        if (trusted) {
                for (EVP_PKEY *const *t = trusted; *t; t++) {
                        char id[KEYID_HEX_SIZE];
                        if (key_id(*t, id) == 0 && streq(id, keyid)) {
                                sym_EVP_PKEY_up_ref(*t);
                                k = *t;
                                break;
                        }
                }
        } else if (ledger_key(l, keyid, &k) < 0)
                k = NULL;
        if (!k)
                return NULL;
        c->ids = realloc(c->ids, (c->n + 1) * sizeof(*c->ids));
        c->keys = realloc(c->keys, (c->n + 1) * sizeof(*c->keys));
        if (!c->ids || !c->keys)
                abort();
        snprintf(c->ids[c->n], KEYID_HEX_SIZE, "%s", keyid);
        c->keys[c->n++] = k;
        return k;
}

/*
 * The key for a checkpoint: 0 and *RET_KEY (owned by KC), 1 when it is unsigned
 * and that is allowed, -EBADMSG with *RET_REASON when it cannot be checked.
 */
static int checkpoint_key(struct ledger *l, struct keycache *kc, EVP_PKEY *const *trusted, const char *keyid,
                          const char *sig64, EVP_PKEY **ret_key, char **ret_reason) {
        if (!sig64 || !keyid) {
                if (trusted) {
                        *ret_reason = xstrdup("its checkpoint is not signed, and --pubkey requires signed ones");
                        return -EBADMSG;
                }
                return 1; /* unsigned, counted */
        }
        EVP_PKEY *k = key_for(l, kc, trusted, keyid);
        if (!k) {
                *ret_reason = xasprintf(trusted ? "its checkpoint is signed by key %s, which is not one of --pubkey"
                                                : "its checkpoint is signed by key %s, which the ledger does not hold",
                                        keyid);
                return -EBADMSG;
        }
        *ret_key = k;
        return 0;
}

/* Whether SIG64 is K's signature of the checkpoint (ORIGIN, SIZE, ROOT). No I/O: safe on any thread. */
static bool checkpoint_signature_ok(const char *origin, EVP_PKEY *k, const char *sig64, uint64_t size,
                                    const merkle_hash root) {
        _cleanup_free_ uint8_t *sig = NULL;
        size_t sl;
        _cleanup_free_ char *cp = ledger_checkpoint_text(origin, size, root);
        return base64_decode(sig64, &sig, &sl) == 0 && verify_buffer(k, cp, strlen(cp), sig, sl) == 0;
}

static char *bad_signature(uint64_t size) {
        return xasprintf("the signature of its checkpoint (tree size %" PRIu64 ") does not verify", size);
}

static int check_checkpoint(struct ledger *l, struct keycache *kc, EVP_PKEY *const *trusted, const char *keyid,
                            const char *sig64, uint64_t size, const merkle_hash root, char **ret_reason) {
        EVP_PKEY *k = NULL;
        int r = checkpoint_key(l, kc, trusted, keyid, sig64, &k, ret_reason);
        if (r != 0)
                return r;
        if (!checkpoint_signature_ok(l->origin, k, sig64, size, root)) {
                *ret_reason = bad_signature(size);
                return -EBADMSG;
        }
        return 0;
}

/*
 * Signature checks of one chunk, spread over the CPUs: one Ed25519 verification
 * per entry is most of what `ledger verify` costs. Each worker takes every
 * n-th job and records the first that fails; the smallest index wins.
 */
struct sig_job {
        EVP_PKEY *key; /* NULL: unsigned, nothing to check */
        const char *sig64;
        merkle_hash root;
};

struct sig_worker {
        pthread_t thread;
        const char *origin;
        const struct sig_job *jobs;
        size_t n, start, step;
        uint64_t first_size; /* tree size of jobs[0] */
        size_t first_bad;    /* n when none */
};

static void *sig_worker_run(void *arg) {
        struct sig_worker *w = arg;
        w->first_bad = w->n;
        for (size_t i = w->start; i < w->n; i += w->step)
                if (w->jobs[i].key && !checkpoint_signature_ok(w->origin, w->jobs[i].key, w->jobs[i].sig64,
                                                               w->first_size + i, w->jobs[i].root)) {
                        w->first_bad = i;
                        break;
                }
        return NULL;
}

/* The index of the first job whose signature fails, or N. */
static size_t check_signatures(const char *origin, const struct sig_job *jobs, size_t n, uint64_t first_size) {
        struct sig_worker w[8];
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        size_t nw = cpus < 1 ? 1 : cpus > (long) ELEMENTSOF(w) ? ELEMENTSOF(w) : (size_t) cpus;
        if (n < 64)
                nw = 1; /* not worth a thread */
        for (size_t i = 0; i < nw; i++) {
                w[i] = (struct sig_worker){
                        .origin = origin, .jobs = jobs, .n = n, .start = i, .step = nw, .first_size = first_size
                };
                if (i > 0 && pthread_create(&w[i].thread, NULL, sig_worker_run, &w[i]) != 0) {
                        /* no thread: this worker's share runs here */
                        w[i].start = i;
                        sig_worker_run(&w[i]);
                        w[i].thread = 0;
                }
        }
        sig_worker_run(&w[0]);
        size_t bad = w[0].first_bad;
        for (size_t i = 1; i < nw; i++) {
                if (w[i].thread)
                        pthread_join(w[i].thread, NULL);
                if (w[i].first_bad < bad)
                        bad = w[i].first_bad;
        }
        return bad;
}

/* ---- verify ------------------------------------------------------------------------------------------ */

struct row {
        uint64_t seq;
        char *v[11]; /* builder, started, finished, verdict, prov, keyid, body, leaf, root, frontier, sig */
};

struct side_row {
        uint64_t seq;
        char *name, *digest;
};

struct chunk {
        struct row *rows;
        size_t n, cap;
        struct side_row *side;
        size_t n_side, cap_side;
};

static int chunk_row(void *ud, size_t n, const char *const *cols) {
        struct chunk *c = ud;
        if (n < 12 || !cols[0])
                return -EUCLEAN;
        if (c->n == c->cap) {
                c->cap = c->cap ? 2 * c->cap : 256;
                c->rows = realloc(c->rows, c->cap * sizeof(*c->rows));
                if (!c->rows)
                        abort();
        }
        struct row *r = &c->rows[c->n++];
        r->seq = strtoull(cols[0], NULL, 10);
        for (size_t i = 0; i < 11; i++)
                r->v[i] = cols[i + 1] ? xstrdup(cols[i + 1]) : NULL;
        return 0;
}

static int chunk_side(void *ud, size_t n, const char *const *cols) {
        struct chunk *c = ud;
        if (n < 3 || !cols[0] || !cols[1] || !cols[2])
                return -EUCLEAN;
        if (c->n_side == c->cap_side) {
                c->cap_side = c->cap_side ? 2 * c->cap_side : 256;
                c->side = realloc(c->side, c->cap_side * sizeof(*c->side));
                if (!c->side)
                        abort();
        }
        c->side[c->n_side++] = (struct side_row){ strtoull(cols[0], NULL, 10), xstrdup(cols[1]), xstrdup(cols[2]) };
        return 0;
}

static void chunk_clear_side(struct chunk *c) {
        for (size_t i = 0; i < c->n_side; i++) {
                free(c->side[i].name);
                free(c->side[i].digest);
        }
        c->n_side = 0;
}

static void chunk_clear(struct chunk *c) {
        for (size_t i = 0; i < c->n; i++)
                for (size_t k = 0; k < 11; k++)
                        free(c->rows[i].v[k]);
        c->n = 0;
        chunk_clear_side(c);
}

static int cmp_pair(const void *a, const void *b) {
        const char *const *x = a, *const *y = b;
        int k = strcmp(x[0], y[0]);
        return k ? k : strcmp(x[1], y[1]);
}

/*
 * Compares the (name, digest) rows of one entry with what its body lists; the
 * "file:" material rows are checked against the body's file count and digest.
 */
static bool side_matches(json_object *list, bool subjects, json_object *files, const struct side_row *rows, size_t n,
                         char **ret_reason) {
        size_t nl = json_object_array_length(list), nfiles = 0;
        _cleanup_free_ const char **want = xcalloc(2 * nl + 1, sizeof(char *));
        _cleanup_free_ const char **have = xcalloc(2 * n + 1, sizeof(char *));
        struct source_listing fl = { .v = xcalloc(n + 1, sizeof(struct source_file)) };
        size_t nh = 0;
        for (size_t i = 0; i < nl; i++) {
                json_object *e = json_object_array_get_idx(list, i), *d;
                json_object_object_get_ex(e, "digest", &d);
                want[2 * i] = jget_str(e, "name");
                want[2 * i + 1] = subjects ? jget_str(d, "sha256") : digest_value(d, NULL);
        }
        for (size_t i = 0; i < n; i++) {
                const char *p = subjects ? NULL : startswith(rows[i].name, "file:");
                if (p) {
                        fl.v[fl.n].path = (char *) p;
                        snprintf(fl.v[fl.n].sha256, sizeof(fl.v[fl.n].sha256), "%s", rows[i].digest);
                        fl.n++;
                        nfiles++;
                        continue;
                }
                have[2 * nh] = rows[i].name;
                have[2 * nh + 1] = rows[i].digest;
                nh++;
        }
        bool ok = true;
        if (nh != nl) {
                *ret_reason = xasprintf("its %s table holds %zu rows but its body lists %zu",
                                        subjects ? "subjects" : "materials", nh, nl);
                ok = false;
        } else {
                qsort(want, nl, 2 * sizeof(char *), cmp_pair);
                qsort(have, nh, 2 * sizeof(char *), cmp_pair);
                for (size_t i = 0; i < nl && ok; i++)
                        if (!streq_ptr(want[2 * i], have[2 * i]) || !streq_ptr(want[2 * i + 1], have[2 * i + 1])) {
                                *ret_reason = xasprintf("its %s rows differ from its body ('%s')",
                                                        subjects ? "subjects" : "materials", have[2 * i]);
                                ok = false;
                        }
        }
        if (ok && !subjects) {
                const char *want_digest = files ? jget_str(files, "sha256") : NULL;
                json_object *cnt = NULL;
                uint64_t want_n = files && json_object_object_get_ex(files, "count", &cnt)
                                          ? (uint64_t) json_object_get_int64(cnt)
                                          : 0;
                if (nfiles != want_n || (files && !want_digest)) {
                        *ret_reason =
                                xasprintf("it has %zu source file rows but its body says %" PRIu64, nfiles, want_n);
                        ok = false;
                } else if (files) {
                        char digest[65];
                        source_listing_digest(&fl, digest);
                        if (!streq(digest, want_digest)) {
                                *ret_reason =
                                        xstrdup("its source file rows do not hash to the tree digest in its body");
                                ok = false;
                        }
                }
        }
        free(fl.v);
        return ok;
}

/* Checks one row against everything it must agree with; a reason when it does not. */
static char *check_row(const struct row *r, uint64_t index, json_object **ret_body, const struct side_row *subj,
                       size_t ns, const struct side_row *mat, size_t nm) {
        char *reason = NULL;
        json_object *b = json_tokener_parse(r->v[6] ? r->v[6] : "");
        struct entry_cols c;
        json_object *idx;
        if (!b || !json_object_is_type(b, json_type_object) || entry_cols(b, &c) < 0) {
                json_object_put(b);
                return xstrdup("its body is not a valid entry");
        }
        *ret_body = b;
        char num[24];
        if (!json_object_object_get_ex(b, "index", &idx) || (uint64_t) json_object_get_int64(idx) != index)
                return xasprintf("its body says it is entry %s", json_object_get_string(idx));
        snprintf(num, sizeof(num), "%" PRIu64, c.started_us);
        if (!streq_ptr(r->v[0], c.builder))
                return xasprintf("its builder column '%s' differs from its body ('%s')", r->v[0], c.builder);
        if (!streq_ptr(r->v[1], num))
                return xstrdup("its started_us column differs from its body");
        snprintf(num, sizeof(num), "%" PRIu64, c.finished_us);
        if (!streq_ptr(r->v[2], num))
                return xstrdup("its finished_us column differs from its body");
        if (!streq_ptr(r->v[3], c.verdict))
                return xasprintf("its verdict column '%s' differs from its body ('%s')", r->v[3], c.verdict);
        if (!streq_ptr(r->v[4], c.provenance))
                return xstrdup("its provenance_sha256 column differs from its body");
        if (!streq_ptr(r->v[5], c.keyid))
                return xstrdup("its keyid column differs from its body");
        json_object *list, *files = NULL;
        json_object_object_get_ex(b, "subjects", &list);
        if (!side_matches(list, true, NULL, subj, ns, &reason))
                return reason;
        json_object_object_get_ex(b, "materials", &list);
        json_object_object_get_ex(b, "files", &files);
        if (!side_matches(list, false, files, mat, nm, &reason))
                return reason;
        return NULL;
}

static const char select_entries[] =
        "SELECT seq, builder, started_us, finished_us, verdict, provenance_sha256, keyid, body, leaf_hash, "
        "root_hash, frontier, checkpoint_sig FROM entries WHERE seq >= $1 AND seq < $2 ORDER BY seq";

/*
 * Verifies the entries from START on, their roots chained from F (the frontier
 * of the first START entries). With RET_LEAVES, also returns the leaf hashes of
 * the entries it verified (heap), for a consistency proof.
 */
static int verify_from(struct ledger *l, EVP_PKEY *const *trusted, uint64_t at_size, uint64_t start,
                       struct merkle_frontier f, merkle_hash **ret_leaves, struct ledger_verify_result *ret) {
        struct ledger_verify_result res = { .ok = true };
        struct merkle_frontier f0 = f;
        merkle_hash *leaves = NULL;
        size_t n_leaves = 0, cap_leaves = 0;
        struct chunk c = {}, sc = {}, mc = {};
        struct keycache kc = {};
        struct sig_job *jobs = NULL;
        int r = 0;
        uint64_t next = start;
        for (;;) {
                char lo[24], hi[24];
                snprintf(lo, sizeof(lo), "%" PRIu64, next);
                snprintf(hi, sizeof(hi), "%" PRIu64, next + VERIFY_CHUNK);
                const char *p[] = { lo, hi };
                chunk_clear(&c);
                chunk_clear_side(&sc);
                chunk_clear_side(&mc);
                /* seq is not bounded by count: a gap shows as a row with a larger seq, found below */
                if ((r = l->ops->query(l, select_entries, 2, p, chunk_row, &c)) < 0 ||
                    (r = l->ops->query(l,
                                       "SELECT seq, name, sha256 FROM subjects WHERE seq >= $1 AND seq < $2 "
                                       "ORDER BY seq",
                                       2, p, chunk_side, &sc)) < 0 ||
                    (r = l->ops->query(l,
                                       "SELECT seq, name, digest FROM materials WHERE seq >= $1 AND seq < $2 "
                                       "ORDER BY seq",
                                       2, p, chunk_side, &mc)) < 0)
                        goto out;
                if (c.n == 0) {
                        /* past the end: any row still there is an entry out of place */
                        _cleanup_strv_free_ char **more = NULL;
                        const char *q[] = { lo };
                        if ((r = query_strv(l,
                                            "SELECT min(seq) FROM (SELECT min(seq) AS seq FROM entries WHERE seq >= $1 "
                                            "UNION ALL SELECT min(seq) FROM subjects WHERE seq >= $1 "
                                            "UNION ALL SELECT min(seq) FROM materials WHERE seq >= $1) AS s",
                                            1, q, &more)) < 0)
                                goto out;
                        if (more[0]) {
                                uint64_t s = strtoull(more[0], NULL, 10);
                                res.ok = false;
                                res.bad_index = next;
                                res.reason =
                                        s == next ? xstrdup("it has subject or material rows but no entry row")
                                                  : xasprintf("it is missing (the next entry row is %" PRIu64 ")", s);
                        }
                        break;
                }
                size_t si = 0, mi = 0, n_ok = 0;
                char *seq_why = NULL;
                free(jobs);
                jobs = xcalloc(c.n, sizeof(*jobs));
                for (size_t i = 0; i < c.n; i++) {
                        const struct row *row = &c.rows[i];
                        uint64_t index = next + i;
                        if (row->seq != index) {
                                seq_why = xasprintf("it is missing (the next entry row is %" PRIu64 ")", row->seq);
                                break;
                        }
                        size_t s0 = si, m0 = mi;
                        while (si < sc.n_side && sc.side[si].seq == index)
                                si++;
                        while (mi < mc.n_side && mc.side[mi].seq == index)
                                mi++;
                        if ((si < sc.n_side && sc.side[si].seq < index) ||
                            (mi < mc.n_side && mc.side[mi].seq < index)) {
                                seq_why = xstrdup("subject or material rows point at no entry before it");
                                break;
                        }
                        json_object *body = NULL;
                        char *why = check_row(row, index, &body, sc.side + s0, si - s0, mc.side + m0, mi - m0);
                        json_object_put(body);
                        merkle_hash leaf, stored, root;
                        if (!why) {
                                merkle_leaf_hash(row->v[6], strlen(row->v[6]), leaf);
                                if (hash_from_hex(row->v[7], stored, HASH_SIZE) < 0 ||
                                    memcmp(stored, leaf, HASH_SIZE) != 0)
                                        why = xstrdup("its leaf hash does not match its body");
                        }
                        if (!why) {
                                if (ret_leaves) {
                                        GREEDY_REALLOC(leaves, cap_leaves, n_leaves + 1);
                                        memcpy(leaves[n_leaves++], leaf, HASH_SIZE);
                                }
                                merkle_frontier_append(&f, leaf);
                                merkle_frontier_root(&f, root);
                                _cleanup_free_ char *fhex = merkle_frontier_to_hex(&f);
                                if (hash_from_hex(row->v[8], stored, HASH_SIZE) < 0 ||
                                    memcmp(stored, root, HASH_SIZE) != 0)
                                        why = xstrdup("the tree root stored with it is not the root of the log up to "
                                                      "it (an earlier entry was changed, removed or moved)");
                                else if (!streq_ptr(row->v[9], fhex))
                                        why = xstrdup("its stored frontier differs from the log's");
                        }
                        if (!why) {
                                jobs[i] = (struct sig_job){ .sig64 = row->v[10] };
                                memcpy(jobs[i].root, root, HASH_SIZE);
                                (void) checkpoint_key(l, &kc, trusted, row->v[5], row->v[10], &jobs[i].key, &why);
                        }
                        if (why) {
                                seq_why = why;
                                break;
                        }
                        n_ok = i + 1;
                }
                /* The first bad entry: the first failed signature, or the first other failure after it. */
                size_t sig_bad = check_signatures(l->origin, jobs, n_ok, next + 1);
                size_t good = sig_bad < n_ok ? sig_bad : n_ok;
                if (good > 0) {
                        memcpy(res.root, jobs[good - 1].root, HASH_SIZE);
                        res.entries = next + good;
                        if (at_size > next && at_size <= next + good)
                                memcpy(res.root_at, jobs[at_size - next - 1].root, HASH_SIZE);
                }
                for (size_t i = 0; i < good; i++)
                        if (!jobs[i].key)
                                res.unsigned_checkpoints++;
                if (sig_bad < n_ok || seq_why) {
                        res.ok = false;
                        res.bad_index = next + good;
                        if (sig_bad < n_ok) {
                                res.reason = bad_signature(next + sig_bad + 1);
                                free(seq_why);
                        } else
                                res.reason = seq_why;
                        goto out;
                }
                next += c.n;
        }
out:
        chunk_clear(&c);
        chunk_clear_side(&sc);
        chunk_clear_side(&mc);
        free(c.rows);
        free(sc.side);
        free(mc.side);
        free(jobs);
        keycache_done(&kc);
        if (r < 0) {
                free(res.reason);
                free(leaves);
                return r;
        }
        if (res.entries <= start) {
                res.entries = start;
                merkle_frontier_root(&f0, res.root);
        }
        if (res.ok)
                res.frontier = f;
        if (ret_leaves)
                *ret_leaves = leaves;
        else
                free(leaves);
        *ret = res;
        return 0;
}

int ledger_verify(struct ledger *l, EVP_PKEY *const *trusted, uint64_t at_size, struct ledger_verify_result *ret) {
        return verify_from(l, trusted, at_size, 0, (struct merkle_frontier){}, NULL, ret);
}

struct frontier_row {
        bool present;
        char *frontier;
};

static int read_frontier(void *ud, size_t n, const char *const *cols) {
        struct frontier_row *fr = ud;
        fr->present = true;
        fr->frontier = n >= 1 && cols[0] ? xstrdup(cols[0]) : NULL;
        return 0;
}

int ledger_verify_since(struct ledger *l, EVP_PKEY *const *trusted, uint64_t size, const merkle_hash root,
                        struct ledger_verify_result *ret) {
        struct frontier_row fr = {};
        struct merkle_frontier f = {};
        merkle_hash *leaves = NULL;
        char seq[24];
        int r;
        if (size == 0)
                return ledger_verify(l, trusted, 0, ret);
        snprintf(seq, sizeof(seq), "%" PRIu64, size - 1);
        const char *p[] = { seq };
        /* The frontier is the ledger's claim about the old tree; the consistency proof built from it is checked
         * against the root the caller kept, so a rewritten past cannot hide behind it. */
        if ((r = l->ops->query(l, "SELECT frontier FROM entries WHERE seq = $1", 1, p, read_frontier, &fr)) < 0)
                return r;
        if (!fr.present || merkle_frontier_from_hex(size, fr.frontier, &f) < 0) {
                free(fr.frontier);
                *ret = (struct ledger_verify_result){
                        .entries = 0,
                        .bad_index = size - 1,
                        .reason = fr.present ? xstrdup("its stored frontier is malformed")
                                             : xasprintf("it is missing: the log has fewer entries than the %" PRIu64
                                                         " of the tree head you kept",
                                                         size),
                };
                return 0;
        }
        free(fr.frontier);
        struct ledger_verify_result res;
        if ((r = verify_from(l, trusted, 0, size, f, &leaves, &res)) < 0)
                return r;
        if (res.ok) {
                merkle_hash proof[MERKLE_MAX_CONSISTENCY];
                int len = merkle_consistency_proof(&f, leaves, res.entries - size, proof);
                res.consistency_len = len < 0 ? 0 : (size_t) len;
                if (len < 0 || merkle_verify_consistency(size, res.entries, root, res.root, proof, (size_t) len) < 0) {
                        res.ok = false;
                        res.bad_index = size - 1;
                        res.reason = xasprintf("the log is not consistent with the tree head you kept (size %" PRIu64
                                               "): no RFC 6962 consistency proof leads from it to the current head, "
                                               "so entries before it were changed",
                                               size);
                }
        }
        free(leaves);
        *ret = res;
        return 0;
}

/* ---- inclusion --------------------------------------------------------------------------------------- */

struct leaves {
        merkle_hash *v;
        size_t n, cap;
        bool bad;
};

static int collect_leaf(void *ud, size_t n, const char *const *cols) {
        struct leaves *lv = ud;
        if (lv->n == lv->cap) {
                lv->cap = lv->cap ? 2 * lv->cap : 1024;
                lv->v = realloc(lv->v, lv->cap * sizeof(*lv->v));
                if (!lv->v)
                        abort();
        }
        if (n < 1 || hash_from_hex(cols[0], lv->v[lv->n], HASH_SIZE) < 0)
                lv->bad = true;
        lv->n++;
        return 0;
}

int ledger_prove_inclusion(struct ledger *l, uint64_t index, EVP_PKEY *const *trusted, uint64_t *ret_tree_size,
                           char **ret_reason) {
        struct chunk c = {};
        struct leaves lv = {};
        struct keycache kc = {};
        int r;
        char idx[24];
        snprintf(idx, sizeof(idx), "%" PRIu64, index);
        const char *p[] = { idx };
        /* The latest checkpoint: the last entry's row. */
        if ((r = l->ops->query(l,
                               "SELECT seq, builder, started_us, finished_us, verdict, provenance_sha256, keyid, body, "
                               "leaf_hash, root_hash, frontier, checkpoint_sig FROM entries WHERE seq = $1 OR seq = "
                               "(SELECT max(seq) FROM entries) ORDER BY seq",
                               1, p, chunk_row, &c)) < 0 ||
            (r = l->ops->query(l, "SELECT leaf_hash FROM entries ORDER BY seq", 0, NULL, collect_leaf, &lv)) < 0)
                goto out;
        r = -EBADMSG;
        if (c.n == 0 || c.rows[0].seq != index) {
                *ret_reason = xstrdup("the entry is not in the ledger");
                goto out;
        }
        const struct row *e = &c.rows[0], *last = &c.rows[c.n - 1];
        uint64_t size = last->seq + 1;
        merkle_hash leaf, root, proof[MERKLE_MAX_PROOF];
        merkle_leaf_hash(e->v[6], strlen(e->v[6]), leaf);
        if (lv.bad || lv.n != size) {
                *ret_reason = xasprintf("the ledger holds %zu leaf hashes for a tree of size %" PRIu64
                                        "; run `buildward ledger verify`",
                                        lv.n, size);
                goto out;
        }
        if (hash_from_hex(last->v[8], root, HASH_SIZE) < 0) {
                *ret_reason = xstrdup("the latest checkpoint's root is malformed");
                goto out;
        }
        int len = merkle_inclusion_proof(lv.v, size, index, proof);
        if (len < 0 || merkle_verify_inclusion(leaf, index, size, proof, (size_t) len, root) < 0) {
                *ret_reason =
                        xasprintf("the entry's inclusion proof does not lead to the root of tree size %" PRIu64, size);
                goto out;
        }
        int k = check_checkpoint(l, &kc, trusted, last->v[5], last->v[10], size, root, ret_reason);
        if (k < 0)
                goto out;
        if (k > 0) {
                *ret_reason = xstrdup("the latest checkpoint is not signed");
                goto out;
        }
        *ret_tree_size = size;
        r = 0;
out:
        chunk_clear(&c);
        free(c.rows);
        free(lv.v);
        keycache_done(&kc);
        return r;
}
