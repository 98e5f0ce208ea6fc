/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <sys/random.h>

#include "basic/util.h"
#include "crypto/openssl-dl.h"
#include "ledger/backend.h"
#include "ledger/ledger.h"
#include "attest/dsse.h"
#include "attest/source.h"
#include "attest/statement.h"

#define CHECKPOINT_HEADER "buildward ledger checkpoint v1"
#define VERIFY_CHUNK      4096
#define INSERT_BATCH      300 /* rows per multi-row INSERT: 3 parameters each, far below both databases' limits */
#define APPEND_RETRIES    50

/*
 * One schema for both databases: BIGINT and TEXT mean the same to each.
 * Hashes are lowercase hex text. Everything but `body` is derived from it and
 * checked against it by ledger_verify(); the indexes serve the queries.
 */
static const char schema[] =
        "CREATE TABLE IF NOT EXISTS ledger_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE IF NOT EXISTS entries ("
        " seq BIGINT PRIMARY KEY,"
        " builder TEXT NOT NULL,"
        " started_us BIGINT NOT NULL,"
        " finished_us BIGINT NOT NULL,"
        " verdict TEXT NOT NULL,"
        " provenance_sha256 TEXT,"
        " keyid TEXT,"
        " body TEXT NOT NULL,"
        " leaf_hash TEXT NOT NULL,"
        " root_hash TEXT NOT NULL,"
        " frontier TEXT NOT NULL,"
        " checkpoint_sig TEXT);"
        "CREATE INDEX IF NOT EXISTS entries_started ON entries (started_us);"
        "CREATE INDEX IF NOT EXISTS entries_finished ON entries (finished_us);"
        "CREATE INDEX IF NOT EXISTS entries_builder ON entries (builder, started_us);"
        "CREATE INDEX IF NOT EXISTS entries_builder_finished ON entries (builder, finished_us);"
        "CREATE INDEX IF NOT EXISTS entries_provenance ON entries (provenance_sha256);"
        "CREATE TABLE IF NOT EXISTS subjects (seq BIGINT NOT NULL, name TEXT NOT NULL, sha256 TEXT NOT NULL);"
        "CREATE INDEX IF NOT EXISTS subjects_sha256 ON subjects (sha256);"
        "CREATE INDEX IF NOT EXISTS subjects_seq ON subjects (seq);"
        "CREATE TABLE IF NOT EXISTS materials (seq BIGINT NOT NULL, name TEXT NOT NULL, digest TEXT NOT NULL);"
        "CREATE INDEX IF NOT EXISTS materials_digest ON materials (digest);"
        "CREATE INDEX IF NOT EXISTS materials_seq ON materials (seq);"
        "CREATE TABLE IF NOT EXISTS keys (keyid TEXT PRIMARY KEY, public_pem TEXT NOT NULL);";

static _Thread_local char *open_error;

void ledger_set_error(struct ledger *l, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        free(l->error);
        if (vasprintf(&l->error, fmt, ap) < 0)
                l->error = NULL;
        va_end(ap);
}

const char *ledger_error(struct ledger *l) {
        return l && l->error ? l->error : "unknown error";
}

const char *ledger_open_error(void) {
        return open_error ? open_error : "unknown error";
}

/* Collects the first column of every row as a strv. */
static int collect_first(void *ud, size_t n, const char *const *cols) {
        if (n >= 1 && cols[0])
                strv_push(ud, xstrdup(cols[0]));
        return 0;
}

static int query_strv(struct ledger *l, const char *sql, size_t n, const char *const *params, char ***ret) {
        char **v = xcalloc(1, sizeof(char *));
        int r = l->ops->query(l, sql, n, params, collect_first, &v);
        if (r < 0) {
                strv_free(v);
                return r;
        }
        *ret = v;
        return 0;
}

static int setup_schema(struct ledger *l) {
        int r = l->ops->begin_write(l);
        if (r < 0)
                return r;
        char rnd[16], hex[33];
        if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
                l->ops->rollback(l);
                return -EIO;
        }
        hash_to_hex((uint8_t *) rnd, sizeof(rnd), hex);
        const char *p[] = { hex };
        if ((r = l->ops->exec(l, schema, 0, NULL)) < 0 ||
            (r = l->ops->exec(l, "INSERT INTO ledger_meta (key, value) VALUES ('origin', $1) ON CONFLICT DO NOTHING", 1,
                              p)) < 0 ||
            (r = l->ops->exec(l, "INSERT INTO ledger_meta (key, value) VALUES ('format', '1') ON CONFLICT DO NOTHING",
                              0, NULL)) < 0) {
                l->ops->rollback(l);
                return r;
        }
        return l->ops->commit(l);
}

int ledger_open(const char *url, bool create, struct ledger **ret) {
        free(open_error);
        open_error = NULL;
        /* Whatever a ledger holds is hashed or signed: every function that takes one may use libcrypto. */
        int r = dlopen_libcrypto();
        if (r < 0) {
                open_error = xasprintf("cannot load libcrypto.so.3: %s", strerror(-r));
                return r;
        }
        struct ledger *l = xcalloc(1, sizeof(*l));
        const char *path;
        if ((path = startswith(url, "sqlite:")))
                r = ledger_sqlite_open(l, path, create, &open_error);
        else if (startswith(url, "postgresql://") || startswith(url, "postgres://"))
                r = ledger_postgres_open(l, url, create, &open_error);
        else {
                open_error = xstrdup("unknown URL scheme");
                r = -EPROTONOSUPPORT;
        }
        if (r < 0) {
                free(l);
                return r;
        }
        for (int i = 0; create && i < APPEND_RETRIES; i++)
                if ((r = setup_schema(l)) != -EAGAIN)
                        break;
        _cleanup_strv_free_ char **origin = NULL;
        if (r >= 0 &&
            (r = query_strv(l, "SELECT value FROM ledger_meta WHERE key = 'origin'", 0, NULL, &origin)) >= 0 &&
            !origin[0])
                r = -ENOMEDIUM;
        if (r < 0) {
                open_error = xstrdup(r == -ENOMEDIUM ? "not a buildward ledger (no origin)" : ledger_error(l));
                if (r == -EIO && !create)
                        r = -ENOMEDIUM; /* most likely: no tables, an empty or foreign database */
                ledger_close(l);
                return r;
        }
        l->origin = xstrdup(origin[0]);
        *ret = l;
        return 0;
}

void ledger_close(struct ledger *l) {
        if (!l)
                return;
        if (l->db)
                l->ops->close(l);
        free(l->error);
        free(l->origin);
        free(l);
}

char *ledger_checkpoint_text(const char *origin, uint64_t size, const merkle_hash root) {
        char hex[HASH_HEX_SIZE];
        hash_to_hex(root, HASH_SIZE, hex);
        return xasprintf(CHECKPOINT_HEADER "\norigin %s\nsize %" PRIu64 "\nroot %s\n", origin, size, hex);
}

/* ---- entry bodies ------------------------------------------------------------------------------------- */

static const char *jget_str(json_object *o, const char *key) {
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static bool is_hex(const char *s, size_t n) {
        if (!s || strlen(s) != n)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

/* The single digest value of a {ALGO: HEX} object, and its algorithm. */
static const char *digest_value(json_object *digest, const char **ret_algo) {
        if (!json_object_is_type(digest, json_type_object) || json_object_object_length(digest) != 1)
                return NULL;
        json_object_object_foreach(digest, algo, v) {
                const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
                if (!s || !(is_hex(s, 40) || is_hex(s, 64)))
                        return NULL;
                if (ret_algo)
                        *ret_algo = algo;
                return s;
        }
        return NULL;
}

struct entry_cols {
        const char *builder, *verdict, *provenance, *keyid, *started, *finished;
        uint64_t started_us, finished_us;
};

/* Validates BODY (an entry as stored) and extracts what the columns hold. */
static int entry_cols(json_object *body, struct entry_cols *c) {
        json_object *v, *arr;
        *c = (struct entry_cols){};
        c->builder = jget_str(body, "builder");
        c->verdict = jget_str(body, "verdict");
        c->keyid = jget_str(body, "keyid");
        c->started = jget_str(body, "startedOn");
        c->finished = jget_str(body, "finishedOn");
        if (!c->builder || !c->builder[0] || !c->verdict || !c->started || !c->finished ||
            rfc3339_parse(c->started, &c->started_us) < 0 || rfc3339_parse(c->finished, &c->finished_us) < 0)
                return -EINVAL;
        if (c->started_us > INT64_MAX || c->finished_us > INT64_MAX)
                return -EINVAL;
        if (json_object_object_get_ex(body, "provenance", &v)) {
                c->provenance = jget_str(v, "sha256");
                if (!is_hex(c->provenance, 64))
                        return -EINVAL;
        }
        if (!json_object_object_get_ex(body, "command", &arr) || !json_object_is_type(arr, json_type_array))
                return -EINVAL;
        if (!json_object_object_get_ex(body, "subjects", &arr) || !json_object_is_type(arr, json_type_array))
                return -EINVAL;
        for (size_t i = 0; i < json_object_array_length(arr); i++) {
                json_object *s = json_object_array_get_idx(arr, i), *d;
                if (!jget_str(s, "name") || !json_object_object_get_ex(s, "digest", &d) ||
                    !is_hex(jget_str(d, "sha256"), 64))
                        return -EINVAL;
        }
        if (!json_object_object_get_ex(body, "materials", &arr) || !json_object_is_type(arr, json_type_array))
                return -EINVAL;
        for (size_t i = 0; i < json_object_array_length(arr); i++) {
                json_object *m = json_object_array_get_idx(arr, i), *d;
                const char *name = jget_str(m, "name");
                if (!name || startswith(name, "file:") || !json_object_object_get_ex(m, "digest", &d) ||
                    !digest_value(d, NULL))
                        return -EINVAL;
        }
        return 0;
}

static json_object *copy_key(json_object *from, const char *key) {
        json_object *v, *c = NULL;
        if (!json_object_object_get_ex(from, key, &v) || json_object_deep_copy(v, &c, NULL) < 0)
                return NULL;
        return c;
}

/*
 * The stored body: IN's fields in a fixed order, the index, the signing key and,
 * instead of the file list, its count and digest (the rows carry the list).
 */
static int build_body(json_object *in, uint64_t index, const char *keyid, struct source_listing *files,
                      json_object **ret) {
        json_object *b = json_object_new_object(), *v;
        json_object_object_add(b, "index", json_object_new_uint64(index));
        static const char *const keys[] = { "builder", "startedOn",  "finishedOn", "command",
                                            "verdict", "provenance", "materials",  "subjects" };
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (json_object_object_get_ex(in, keys[i], &v))
                        json_object_object_add(b, keys[i], copy_key(in, keys[i]));
        if (!json_object_object_get_ex(b, "materials", NULL))
                json_object_object_add(b, "materials", json_object_new_array());
        if (!json_object_object_get_ex(b, "subjects", NULL))
                json_object_object_add(b, "subjects", json_object_new_array());
        if (json_object_object_get_ex(in, "files", &v)) {
                if (!json_object_is_type(v, json_type_array)) {
                        json_object_put(b);
                        return -EINVAL;
                }
                size_t n = json_object_array_length(v);
                files->v = xcalloc(n ? n : 1, sizeof(*files->v));
                for (size_t i = 0; i < n; i++) {
                        json_object *f = json_object_array_get_idx(v, i);
                        const char *p = jget_str(f, "path"), *h = jget_str(f, "sha256");
                        if (!p || !*p || !is_hex(h, 64)) {
                                json_object_put(b);
                                return -EINVAL;
                        }
                        files->v[files->n].path = xstrdup(p);
                        memcpy(files->v[files->n].sha256, h, 65);
                        files->n++;
                }
                char digest[65];
                source_listing_digest(files, digest);
                json_object *fo = json_object_new_object();
                json_object_object_add(fo, "format", json_object_new_string(TREE_DIGEST_FORMAT));
                json_object_object_add(fo, "count", json_object_new_uint64(n));
                json_object_object_add(fo, "sha256", json_object_new_string(digest));
                json_object_object_add(b, "files", fo);
        }
        if (keyid)
                json_object_object_add(b, "keyid", json_object_new_string(keyid));
        struct entry_cols c;
        if (entry_cols(b, &c) < 0) {
                json_object_put(b);
                return -EINVAL;
        }
        *ret = b;
        return 0;
}

static const char *body_text(json_object *b) {
        return json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* ---- append ------------------------------------------------------------------------------------------ */

struct tail {
        bool present;
        uint64_t seq;
        char *root, *frontier;
};

static int read_tail(void *ud, size_t n, const char *const *cols) {
        struct tail *t = ud;
        if (n < 3 || !cols[0] || !cols[1] || !cols[2])
                return -EUCLEAN;
        t->present = true;
        t->seq = strtoull(cols[0], NULL, 10);
        t->root = xstrdup(cols[1]);
        t->frontier = xstrdup(cols[2]);
        return 0;
}

/* Inserts ROWS (n rows of 3 text values each) into TABLE (seq, a, b), INSERT_BATCH rows per statement. */
static int insert_rows(struct ledger *l, const char *table, const char *cols, char **rows, size_t n) {
        for (size_t start = 0; start < n; start += INSERT_BATCH) {
                size_t k = n - start < INSERT_BATCH ? n - start : INSERT_BATCH;
                size_t cap = 64 + k * 24, len = 0;
                _cleanup_free_ char *sql = xmalloc(cap);
                len += (size_t) snprintf(sql, cap, "INSERT INTO %s (%s) VALUES ", table, cols);
                for (size_t i = 0; i < k; i++)
                        len += (size_t) snprintf(sql + len, cap - len, "%s($%zu,$%zu,$%zu)", i ? "," : "", 3 * i + 1,
                                                 3 * i + 2, 3 * i + 3);
                int r = l->ops->exec(l, sql, 3 * k, (const char *const *) rows + 3 * start);
                if (r < 0)
                        return r;
        }
        return 0;
}

static char *pem_of(EVP_PKEY *key) {
        BIO *b = sym_BIO_new(sym_BIO_s_mem());
        char *data, *s = NULL;
        if (b && sym_PEM_write_bio_PUBKEY(b, key) == 1) {
                long n = sym_BIO_ctrl(b, BIO_CTRL_INFO, 0, (char *) &data); /* BIO_get_mem_data() */
                s = strndup(data, (size_t) n);
        }
        sym_BIO_free(b);
        return s;
}

static int append_once(struct ledger *l, json_object *in, EVP_PKEY *key, const char *keyid, uint64_t *ret_index) {
        struct tail t = {};
        json_object *body = NULL;
        struct source_listing files = {};
        char **mrows = NULL, **srows = NULL, *front = NULL, *sig64 = NULL, *pem = NULL;
        int r = l->ops->begin_write(l);
        if (r < 0)
                return r;
        r = l->ops->query(l, "SELECT seq, root_hash, frontier FROM entries ORDER BY seq DESC LIMIT 1", 0, NULL,
                          read_tail, &t);
        if (r < 0)
                goto fail;
        struct merkle_frontier f = {};
        uint64_t index = t.present ? t.seq + 1 : 0;
        if (t.present) {
                /* Never extend a tail that does not hold together: that would sign over a broken log. */
                merkle_hash root, stored;
                if (merkle_frontier_from_hex(index, t.frontier, &f) < 0 ||
                    hash_from_hex(t.root, stored, HASH_SIZE) < 0) {
                        ledger_set_error(l, "the frontier of entry %" PRIu64 " is malformed", t.seq);
                        r = -EUCLEAN;
                        goto fail;
                }
                merkle_frontier_root(&f, root);
                if (memcmp(root, stored, HASH_SIZE) != 0) {
                        ledger_set_error(l, "the frontier of entry %" PRIu64 " does not match its root", t.seq);
                        r = -EUCLEAN;
                        goto fail;
                }
        }
        if ((r = build_body(in, index, keyid, &files, &body)) < 0) {
                ledger_set_error(l, "malformed entry");
                goto fail;
        }
        const char *text = body_text(body);
        merkle_hash leaf, root;
        merkle_leaf_hash(text, strlen(text), leaf);
        merkle_frontier_append(&f, leaf);
        merkle_frontier_root(&f, root);
        char leaf_hex[HASH_HEX_SIZE], root_hex[HASH_HEX_SIZE], seq[24], started[24], finished[24];
        hash_to_hex(leaf, HASH_SIZE, leaf_hex);
        hash_to_hex(root, HASH_SIZE, root_hex);
        front = merkle_frontier_to_hex(&f);
        if (key) {
                _cleanup_free_ char *cp = ledger_checkpoint_text(l->origin, index + 1, root);
                uint8_t sig[SIGNATURE_SIZE];
                if ((r = sign_buffer(key, cp, strlen(cp), sig)) < 0)
                        goto fail;
                sig64 = base64_encode(sig, sizeof(sig));
                pem = pem_of(key);
                const char *kp[] = { keyid, pem };
                if (!pem) {
                        r = -ENOMEM;
                        goto fail;
                }
                r = l->ops->exec(l, "INSERT INTO keys (keyid, public_pem) VALUES ($1, $2) ON CONFLICT DO NOTHING", 2,
                                 kp);
                if (r < 0)
                        goto fail;
        }
        struct entry_cols c;
        (void) entry_cols(body, &c);
        snprintf(seq, sizeof(seq), "%" PRIu64, index);
        snprintf(started, sizeof(started), "%" PRIu64, c.started_us);
        snprintf(finished, sizeof(finished), "%" PRIu64, c.finished_us);
        const char *p[] = { seq,     c.builder, started,  finished, c.verdict, c.provenance,
                            c.keyid, text,      leaf_hex, root_hex, front,     sig64 };
        r = l->ops->exec(l,
                         "INSERT INTO entries (seq, builder, started_us, finished_us, verdict, provenance_sha256, "
                         "keyid, body, leaf_hash, root_hash, frontier, checkpoint_sig) "
                         "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                         ELEMENTSOF(p), p);
        if (r < 0)
                goto fail;
        json_object *arr;
        json_object_object_get_ex(body, "subjects", &arr);
        size_t ns = json_object_array_length(arr), nm;
        srows = xcalloc(3 * ns + 1, sizeof(char *));
        for (size_t i = 0; i < ns; i++) {
                json_object *s = json_object_array_get_idx(arr, i), *d;
                json_object_object_get_ex(s, "digest", &d);
                srows[3 * i] = xstrdup(seq);
                srows[3 * i + 1] = xstrdup(jget_str(s, "name"));
                srows[3 * i + 2] = xstrdup(jget_str(d, "sha256"));
        }
        if ((r = insert_rows(l, "subjects", "seq, name, sha256", srows, ns)) < 0)
                goto fail;
        json_object_object_get_ex(body, "materials", &arr);
        nm = json_object_array_length(arr);
        mrows = xcalloc(3 * (nm + files.n) + 1, sizeof(char *));
        for (size_t i = 0; i < nm; i++) {
                json_object *m = json_object_array_get_idx(arr, i), *d;
                json_object_object_get_ex(m, "digest", &d);
                mrows[3 * i] = xstrdup(seq);
                mrows[3 * i + 1] = xstrdup(jget_str(m, "name"));
                mrows[3 * i + 2] = xstrdup(digest_value(d, NULL));
        }
        for (size_t i = 0; i < files.n; i++) {
                mrows[3 * (nm + i)] = xstrdup(seq);
                mrows[3 * (nm + i) + 1] = xasprintf("file:%s", files.v[i].path);
                mrows[3 * (nm + i) + 2] = xstrdup(files.v[i].sha256);
        }
        if ((r = insert_rows(l, "materials", "seq, name, digest", mrows, nm + files.n)) < 0)
                goto fail;
        if ((r = l->ops->commit(l)) < 0)
                goto fail;
        *ret_index = index;
        goto out;
fail:
        l->ops->rollback(l);
out:
        free(t.root);
        free(t.frontier);
        json_object_put(body);
        source_listing_done(&files);
        strv_free(mrows);
        strv_free(srows);
        free(front);
        free(sig64);
        free(pem);
        return r;
}

int ledger_append(struct ledger *l, json_object *in, EVP_PKEY *key, uint64_t *ret_index) {
        char keyid[KEYID_HEX_SIZE];
        int r;
        if (key && (r = key_id(key, keyid)) < 0)
                return r;
        for (int i = 0; i < APPEND_RETRIES; i++) {
                r = append_once(l, in, key, key ? keyid : NULL, ret_index);
                if (r != -EAGAIN)
                        return r;
                usleep(1000 * (unsigned) (1 + i));
        }
        return r;
}

/* ---- keys -------------------------------------------------------------------------------------------- */

int ledger_key(struct ledger *l, const char *keyid, EVP_PKEY **ret) {
        _cleanup_strv_free_ char **pem = NULL;
        const char *p[] = { keyid };
        int r = query_strv(l, "SELECT public_pem FROM keys WHERE keyid = $1", 1, p, &pem);
        if (r < 0)
                return r;
        if (!pem[0])
                return -ENOKEY;
        BIO *b = sym_BIO_new_mem_buf(pem[0], -1);
        EVP_PKEY *k = b ? sym_PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) : NULL;
        sym_BIO_free(b);
        char id[KEYID_HEX_SIZE];
        /* The keys table is not covered by the log: a key only counts for the id it hashes to. */
        if (!k || sym_EVP_PKEY_get_id(k) != EVP_PKEY_ED25519 || key_id(k, id) < 0 || !streq(id, keyid)) {
                evp_pkey_freep(&k);
                return -EKEYREJECTED;
        }
        *ret = k;
        return 0;
}

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

int ledger_verify(struct ledger *l, EVP_PKEY *const *trusted, uint64_t at_size, struct ledger_verify_result *ret) {
        struct ledger_verify_result res = { .ok = true };
        struct merkle_frontier f = {};
        struct chunk c = {}, sc = {}, mc = {};
        struct keycache kc = {};
        struct sig_job *jobs = NULL;
        int r = 0;
        uint64_t next = 0;
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
                return r;
        }
        if (res.entries == 0 && res.ok)
                merkle_frontier_root(&f, res.root);
        *ret = res;
        return 0;
}

/* ---- queries ----------------------------------------------------------------------------------------- */

static int collect_body(void *ud, size_t n, const char *const *cols) {
        json_object *arr = ud;
        json_object *b = n >= 1 && cols[0] ? json_tokener_parse(cols[0]) : NULL;
        if (b)
                json_object_array_add(arr, b);
        return 0;
}

int ledger_query_window(struct ledger *l, uint64_t since_usec, uint64_t until_usec, const char *builder,
                        json_object **ret_array) {
        char since[24], until[24];
        snprintf(since, sizeof(since), "%" PRIu64, since_usec);
        snprintf(until, sizeof(until), "%" PRIu64, until_usec);
        const char *p[] = { since, until, builder };
        json_object *arr = json_object_new_array();
        /*
         * Builds that started or finished in the window: two index range scans
         * ((builder,) started_us and (builder,) finished_us), never a scan of a
         * builder's whole history.
         */
        int r = l->ops->query(l,
                              builder ? "SELECT body FROM entries WHERE seq IN ("
                                        "SELECT seq FROM entries WHERE builder = $3 AND started_us >= $1 AND "
                                        "started_us < $2 UNION SELECT seq FROM entries WHERE builder = $3 AND "
                                        "finished_us >= $1 AND finished_us < $2) ORDER BY seq"
                                      : "SELECT body FROM entries WHERE seq IN ("
                                        "SELECT seq FROM entries WHERE started_us >= $1 AND started_us < $2 UNION "
                                        "SELECT seq FROM entries WHERE finished_us >= $1 AND finished_us < $2) "
                                        "ORDER BY seq",
                              builder ? 3 : 2, p, collect_body, arr);
        if (r < 0) {
                json_object_put(arr);
                return r;
        }
        *ret_array = arr;
        return 0;
}

int ledger_find_digest(struct ledger *l, const char *digest, bool provenance, json_object **ret_array) {
        const char *p[] = { digest };
        json_object *arr = json_object_new_array();
        int r = l->ops->query(l,
                              provenance ? "SELECT body FROM entries WHERE provenance_sha256 = $1 ORDER BY seq"
                                         : "SELECT body FROM entries WHERE seq IN "
                                           "(SELECT seq FROM subjects WHERE sha256 = $1) ORDER BY seq",
                              1, p, collect_body, arr);
        if (r < 0) {
                json_object_put(arr);
                return r;
        }
        *ret_array = arr;
        return 0;
}

static bool strv_contains(char **v, const char *s) {
        for (; v && *v; v++)
                if (streq(*v, s))
                        return true;
        return false;
}

/* Pushes the subject digests of entry BODY not seen before onto QUEUE. */
static void queue_subjects(json_object *body, char ***queue, char ***seen) {
        json_object *subj;
        if (!json_object_object_get_ex(body, "subjects", &subj))
                return;
        for (size_t i = 0; i < json_object_array_length(subj); i++) {
                json_object *d;
                json_object_object_get_ex(json_object_array_get_idx(subj, i), "digest", &d);
                const char *h = jget_str(d, "sha256");
                if (h && !strv_contains(*seen, h)) {
                        strv_push(seen, xstrdup(h));
                        strv_push(queue, xstrdup(h));
                }
        }
}

int ledger_blast_radius(struct ledger *l, const char *digest, const char *builder, uint64_t since_usec,
                        uint64_t until_usec, json_object **ret_array) {
        _cleanup_strv_free_ char **queue = xcalloc(1, sizeof(char *)), **seen = xcalloc(1, sizeof(char *)),
                                 **visited = xcalloc(1, sizeof(char *));
        json_object *out = json_object_new_array();
        int r = 0;
        /* Breadth first: QUEUE holds digests; LEVEL_END marks where the current depth ends. */
        size_t level_end, depth = 1;
        if (digest) {
                strv_push(&queue, xstrdup(digest));
                strv_push(&seen, xstrdup(digest));
        } else {
                json_object *roots = NULL;
                if ((r = ledger_query_window(l, since_usec, until_usec, builder, &roots)) < 0)
                        goto fail;
                for (size_t i = 0; i < json_object_array_length(roots); i++) {
                        json_object *b = json_object_array_get_idx(roots, i);
                        json_object_object_add(b, "depth", json_object_new_int(0));
                        json_object_array_add(out, json_object_get(b));
                        strv_push(&visited, xasprintf("%" PRId64, json_object_get_int64(json_path(b, "index"))));
                        queue_subjects(b, &queue, &seen);
                }
                json_object_put(roots);
        }
        level_end = strv_length(queue);
        for (size_t qi = 0; queue[qi]; qi++) {
                if (qi == level_end) {
                        depth++;
                        level_end = strv_length(queue);
                }
                json_object *found = json_object_new_array();
                const char *p[] = { queue[qi] };
                r = l->ops->query(l,
                                  "SELECT body FROM entries WHERE seq IN "
                                  "(SELECT seq FROM materials WHERE digest = $1) ORDER BY seq",
                                  1, p, collect_body, found);
                if (r < 0) {
                        json_object_put(found);
                        goto fail;
                }
                for (size_t i = 0; i < json_object_array_length(found); i++) {
                        json_object *b = json_object_array_get_idx(found, i);
                        _cleanup_free_ char *id = xasprintf("%" PRId64, json_object_get_int64(json_path(b, "index")));
                        if (strv_contains(visited, id))
                                continue;
                        strv_push(&visited, TAKE_PTR(id));
                        json_object_object_add(b, "depth", json_object_new_int((int) depth));
                        json_object_object_add(b, "via", json_object_new_string(queue[qi]));
                        json_object_array_add(out, json_object_get(b));
                        queue_subjects(b, &queue, &seen);
                }
                json_object_put(found);
        }
        *ret_array = out;
        return 0;
fail:
        json_object_put(out);
        return r;
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
