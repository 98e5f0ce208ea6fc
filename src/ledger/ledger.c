/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <sys/random.h>

#include "basic/json-util.h"
#include "attest/dsse.h"
#include "attest/source.h"
#include "attest/statement.h"
#include "basic/util.h"
#include "crypto/openssl-dl.h"
#include "ledger/backend.h"
#include "ledger/internal.h"
#include "ledger/ledger.h"

#define CHECKPOINT_HEADER "buildward ledger checkpoint v1"
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

const char *ledger_origin(struct ledger *l) {
        return l->origin;
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

int query_strv(struct ledger *l, const char *sql, size_t n, const char *const *params, char ***ret) {
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

const char *jget_str(json_object *o, const char *key) {
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
const char *digest_value(json_object *digest, const char **ret_algo) {
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

/* Validates BODY (an entry as stored) and extracts what the columns hold. */
int entry_cols(json_object *body, struct entry_cols *c) {
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
        static const char *const keys[] = { "builder",    "startedOn", "finishedOn", "command", "verdict",
                                            "provenance", "materials", "subjects",   "admin" };
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
                json_object_object_add(fo, "format", json_new_string(TREE_DIGEST_FORMAT));
                json_object_object_add(fo, "count", json_object_new_uint64(n));
                json_object_object_add(fo, "sha256", json_new_string(digest));
                json_object_object_add(b, "files", fo);
        }
        if (keyid)
                json_object_object_add(b, "keyid", json_new_string(keyid));
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
        int r = l->batch ? 0 : l->ops->begin_write(l);
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
        if (!l->batch && (r = l->ops->commit(l)) < 0)
                goto fail;
        *ret_index = index;
        goto out;
fail:
        if (!l->batch)
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
                if (r != -EAGAIN || l->batch) /* a batch's transaction is the caller's to retry */
                        return r;
                usleep(1000 * (unsigned) (1 + i));
        }
        return r;
}

int ledger_batch_begin(struct ledger *l) {
        int r = l->ops->begin_write(l);
        if (r >= 0)
                l->batch = true;
        return r;
}

int ledger_batch_end(struct ledger *l, bool commit) {
        if (!l->batch)
                return -EINVAL;
        l->batch = false;
        if (commit)
                return l->ops->commit(l);
        l->ops->rollback(l);
        return 0;
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
