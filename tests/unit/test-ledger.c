/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ledger on SQLite in a scratch directory: append, verify, queries, tampering. */
#include <sqlite3.h>

#include "attest/envelope-file.h"
#include "ledger/audit.h"
#include "ledger/fleet.h"
#include "ledger/witness.h"
#include "ledger/ledger.h"
#include "attest/statement.h"
#include "test-fs.h"

/* a 64-digit hex digest of one repeated digit */
#define D(c) c c c c c c c c c c c c c c c c

/* Entry I: built I minutes after 10:00 from material M (a digest), producing subject S. */
static json_object *entry(int i, const char *builder, const char *material, const char *subject) {
        char buf[1024];
        snprintf(buf, sizeof(buf),
                 "{\"builder\":\"%s\",\"startedOn\":\"2026-11-25T%02d:%02d:00Z\",\"finishedOn\":\"2026-11-25T%02d:%02d:"
                 "30Z\",\"command\":[\"make\",\"%d\"],\"verdict\":\"pass\","
                 "\"materials\":[{\"name\":\"source\",\"digest\":{\"gitCommit\":\"%.40s\"}}],"
                 "\"subjects\":[{\"name\":\"out%d\",\"digest\":{\"sha256\":\"%s\"}}],"
                 "\"files\":[{\"path\":\"vendor/in.bin\",\"sha256\":\"%s\"},{\"path\":\"a.c\",\"sha256\":\"%s\"}]}",
                 builder, 10 + i / 60, i % 60, 10 + i / 60, i % 60, i, material, i, subject, material, D("eeee"));
        json_object *o = json_tokener_parse(buf);
        ASSERT_TRUE(o != NULL);
        return o;
}

struct fixture {
        char *dir, *url, *db;
        EVP_PKEY *key;
};

static void setup(struct fixture *f, int n) {
        f->dir = tmpdir();
        f->db = xasprintf("%s/l.db", f->dir);
        f->url = xasprintf("sqlite:%s", f->db);
        _cleanup_free_ char *k = xasprintf("%s/key", f->dir);
        ASSERT_EQ_INT(key_generate(k), 0);
        ASSERT_EQ_INT(key_load_private(k, &f->key), 0);
        _cleanup_ledger_ struct ledger *l = NULL;
        ASSERT_EQ_INT(ledger_open(f->url, true, &l), 0);
        /* a chain: 0 makes A from X, 1 makes B from A, 2 makes C from B, 3 unrelated from Y */
        static const char *const digests[] = { D("0000"), D("aaaa"), D("bbbb"), D("cccc"), D("1111"), D("dddd") };
        for (int i = 0; i < n; i++) {
                json_object *e = i < 3 ? entry(i, "builder-1", digests[i], digests[i + 1])
                                       : entry(i, "builder-2", digests[4], digests[5]);
                uint64_t idx = 99;
                ASSERT_EQ_INT(ledger_append(l, e, f->key, &idx), 0);
                ASSERT_EQ_U64(idx, (uint64_t) i);
                json_object_put(e);
        }
}

static void teardown(struct fixture *f) {
        evp_pkey_freep(&f->key);
        free(f->url);
        free(f->db);
        cleanup_dir(f->dir);
}

static void sql(const char *db, const char *stmt) {
        sqlite3 *h;
        ASSERT_EQ_INT(sqlite3_open(db, &h), SQLITE_OK);
        ASSERT_EQ_INT(sqlite3_exec(h, stmt, NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(h);
}

/* Verifies and returns the first bad index, or -1 when the log is fine. */
static long long verify(const char *url) {
        _cleanup_ledger_ struct ledger *l = NULL;
        ASSERT_EQ_INT(ledger_open(url, false, &l), 0);
        struct ledger_verify_result r;
        ASSERT_EQ_INT(ledger_verify(l, NULL, 0, &r), 0);
        if (!r.ok)
                printf("#   first bad entry %llu: %s\n", (unsigned long long) r.bad_index, r.reason);
        free(r.reason);
        return r.ok ? -1 : (long long) r.bad_index;
}

TEST(append_verify_and_prove) {
        struct fixture f;
        setup(&f, 5);
        ASSERT_EQ_INT(verify(f.url), -1);
        _cleanup_ledger_ struct ledger *l = NULL;
        ASSERT_EQ_INT(ledger_open(f.url, false, &l), 0);
        for (uint64_t i = 0; i < 5; i++) {
                uint64_t size = 0;
                char *why = NULL;
                ASSERT_EQ_INT(ledger_prove_inclusion(l, i, NULL, &size, &why), 0);
                ASSERT_EQ_U64(size, 5);
                free(why);
        }
        char *why = NULL;
        uint64_t size;
        ASSERT_EQ_INT(ledger_prove_inclusion(l, 5, NULL, &size, &why), -EBADMSG);
        free(why);
        /* a strict verifier with another key refuses every checkpoint */
        _cleanup_free_ char *k2 = xasprintf("%s/other", f.dir);
        ASSERT_EQ_INT(key_generate(k2), 0);
        _cleanup_pkey_ EVP_PKEY *other = NULL;
        ASSERT_EQ_INT(key_load_public(k2, &other), 0);
        EVP_PKEY *trusted[] = { other, NULL };
        struct ledger_verify_result r;
        ASSERT_EQ_INT(ledger_verify(l, trusted, 0, &r), 0);
        ASSERT_TRUE(!r.ok);
        ASSERT_EQ_U64(r.bad_index, 0);
        free(r.reason);
        EVP_PKEY *mine[] = { f.key, NULL };
        ASSERT_EQ_INT(ledger_verify(l, mine, 3, &r), 0);
        ASSERT_TRUE(r.ok);
        ASSERT_EQ_U64(r.entries, 5);
        free(r.reason);
        /* the root at size 3, as a kept checkpoint would have it */
        merkle_hash leaves[3];
        json_object *all = NULL;
        ASSERT_EQ_INT(ledger_query_window(l, 0, UINT64_MAX >> 1, NULL, &all), 0);
        for (size_t i = 0; i < 3; i++) {
                const char *b = json_object_to_json_string_ext(json_object_array_get_idx(all, i),
                                                               JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
                merkle_leaf_hash(b, strlen(b), leaves[i]);
        }
        json_object_put(all);
        merkle_hash want;
        merkle_root(leaves, 3, want);
        ASSERT_TRUE(memcmp(want, r.root_at, HASH_SIZE) == 0);
        ledger_close(TAKE_PTR(l));
        teardown(&f);
}

TEST(queries) {
        struct fixture f;
        setup(&f, 5);
        _cleanup_ledger_ struct ledger *l = NULL;
        ASSERT_EQ_INT(ledger_open(f.url, false, &l), 0);
        json_object *a = NULL;
        uint64_t since, until;
        ASSERT_EQ_INT(rfc3339_parse("2026-11-25T10:01:00Z", &since), 0);
        ASSERT_EQ_INT(rfc3339_parse("2026-11-25T10:03:00Z", &until), 0);
        ASSERT_EQ_INT(ledger_query_window(l, since, until, NULL, &a), 0);
        ASSERT_EQ_INT(json_object_array_length(a), 2); /* entries 1 and 2 */
        json_object_put(a);
        ASSERT_EQ_INT(ledger_query_window(l, since, until + 60000000, "builder-2", &a), 0);
        ASSERT_EQ_INT(json_object_array_length(a), 1); /* entry 3 */
        ASSERT_EQ_INT(json_object_get_int(json_path(json_object_array_get_idx(a, 0), "index")), 3);
        json_object_put(a);
        /* everything built from A: B (depth 1) and C (depth 2), not the unrelated builds */
        ASSERT_EQ_INT(ledger_blast_radius(l, D("aaaa"), NULL, 0, 0, &a), 0);
        ASSERT_EQ_INT(json_object_array_length(a), 2);
        ASSERT_EQ_INT(json_object_get_int(json_path(json_object_array_get_idx(a, 0), "index")), 1);
        ASSERT_EQ_INT(json_object_get_int(json_path(json_object_array_get_idx(a, 0), "depth")), 1);
        ASSERT_EQ_INT(json_object_get_int(json_path(json_object_array_get_idx(a, 1), "index")), 2);
        ASSERT_EQ_INT(json_object_get_int(json_path(json_object_array_get_idx(a, 1), "depth")), 2);
        json_object_put(a);
        /* builder-1 at 10:00-10:01: entry 0 and, downstream, 1 and 2 */
        ASSERT_EQ_INT(ledger_blast_radius(l, NULL, "builder-1", since - 60000000, since, &a), 0);
        ASSERT_EQ_INT(json_object_array_length(a), 3);
        json_object_put(a);
        ASSERT_EQ_INT(ledger_find_digest(l, D("cccc"), false, &a), 0);
        ASSERT_EQ_INT(json_object_array_length(a), 1);
        json_object_put(a);
        ledger_close(TAKE_PTR(l));
        teardown(&f);
}

TEST(tampering_is_named) {
        static const struct {
                const char *sql;
                long long bad;
        } cases[] = {
                { "UPDATE entries SET body = replace(body, '\"make\"', '\"evil\"') WHERE seq = 2", 2 },
                { "UPDATE entries SET builder = 'someone' WHERE seq = 1", 1 },
                { "UPDATE subjects SET sha256 = '" D("ffff") "' WHERE seq = 3", 3 },
                { "DELETE FROM materials WHERE seq = 1 AND name = 'file:a.c'", 1 },
                { "DELETE FROM entries WHERE seq = 2", 2 },
                { "DELETE FROM entries WHERE seq = 4", 4 }, /* its subject rows remain */
                { "UPDATE entries SET seq = 9 WHERE seq = 1; UPDATE entries SET seq = 1 WHERE seq = 3;"
                  "UPDATE entries SET seq = 3 WHERE seq = 9",
                  1 },
                { "UPDATE entries SET checkpoint_sig = NULL, keyid = NULL WHERE seq = 0", 0 },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct fixture f;
                setup(&f, 5);
                sql(f.db, cases[i].sql);
                long long bad = verify(f.url);
                if (bad != cases[i].bad)
                        printf("#   case %zu: %s\n", i, cases[i].sql);
                ASSERT_EQ_INT(bad, cases[i].bad);
                teardown(&f);
        }
}

TEST(refuses_bad_input) {
        struct fixture f;
        setup(&f, 1);
        _cleanup_ledger_ struct ledger *l = NULL;
        ASSERT_EQ_INT(ledger_open(f.url, true, &l), 0);
        json_object *e = json_tokener_parse("{\"builder\":\"b\",\"startedOn\":\"never\"}");
        uint64_t idx;
        ASSERT_EQ_INT(ledger_append(l, e, f.key, &idx), -EINVAL);
        json_object_put(e);
        ledger_close(TAKE_PTR(l));
        ASSERT_EQ_INT(verify(f.url), -1);
        _cleanup_free_ char *missing = xasprintf("sqlite:%s/none.db", f.dir);
        ASSERT_EQ_INT(ledger_open(missing, false, &l), -ENOENT);
        ASSERT_EQ_INT(ledger_open("mysql://x", false, &l), -EPROTONOSUPPORT);
        put(f.dir, "junk.db", "this is not a database, just text that is long enough to look like a header....\n");
        _cleanup_free_ char *junk = xasprintf("sqlite:%s/junk.db", f.dir);
        ASSERT_TRUE(ledger_open(junk, false, &l) < 0);
        teardown(&f);
}

/* Past 64 entries the signatures are checked on several threads: the first bad one still wins. */
TEST(first_bad_signature_among_many) {
        struct fixture f;
        setup(&f, 200);
        ASSERT_EQ_INT(verify(f.url), -1);
        sql(f.db, "UPDATE entries SET checkpoint_sig = (SELECT checkpoint_sig FROM entries WHERE seq = 149) "
                  "WHERE seq = 150");
        ASSERT_EQ_INT(verify(f.url), 150);
        /* a later failure of another kind does not hide it, an earlier one wins */
        sql(f.db, "UPDATE entries SET verdict = 'fail' WHERE seq = 180");
        ASSERT_EQ_INT(verify(f.url), 150);
        sql(f.db, "UPDATE entries SET checkpoint_sig = (SELECT checkpoint_sig FROM entries WHERE seq = 10) "
                  "WHERE seq = 77");
        ASSERT_EQ_INT(verify(f.url), 77);
        sql(f.db, "UPDATE entries SET verdict = 'fail' WHERE seq = 3");
        ASSERT_EQ_INT(verify(f.url), 3);
        teardown(&f);
}

TEST(audit_artifact) {
        struct fixture f;
        setup(&f, 0);
        _cleanup_free_ char *good = xasprintf("%s/good.bin", f.dir), *bad = xasprintf("%s/bad.bin", f.dir);
        ASSERT_EQ_INT(write_file_at(AT_FDCWD, good, "built\n", O_CREAT | O_TRUNC, 0644), 0);
        ASSERT_EQ_INT(write_file_at(AT_FDCWD, bad, "planted\n", O_CREAT | O_TRUNC, 0644), 0);
        char digest[65];
        ASSERT_EQ_INT(file_sha256(good, digest), 0);
        _cleanup_ledger_ struct ledger *l = NULL;
        ASSERT_EQ_INT(ledger_open(f.url, false, &l), 0);
        json_object *e = entry(0, "builder-1", D("0000"), digest);
        uint64_t idx;
        ASSERT_EQ_INT(ledger_append(l, e, f.key, &idx), 0);
        json_object_put(e);
        json_object *j = NULL;
        ASSERT_EQ_INT(ledger_audit_file(l, NULL, NULL, good, &j), 0);
        ASSERT_TRUE(json_object_get_boolean(json_path(j, "backed")));
        ASSERT_STREQ(json_object_get_string(json_path(j, "builder")), "builder-1");
        json_object_put(j);
        ASSERT_EQ_INT(ledger_audit_file(l, NULL, NULL, bad, &j), 0);
        ASSERT_TRUE(!json_object_get_boolean(json_path(j, "backed")));
        ASSERT_TRUE(strstr(json_object_get_string(json_path(j, "reason")), "no ledger entry") != NULL);
        json_object_put(j);
        teardown(&f);
}

/* The index list of PROBLEMS, as "i,j,k". */
static char *problem_indexes(json_object *problems) {
        char *s = xstrdup("");
        for (size_t i = 0; i < json_object_array_length(problems); i++) {
                char *n = xasprintf("%s%s%" PRId64, s, i ? "," : "",
                                    json_object_get_int64(json_path(json_object_array_get_idx(problems, i), "index")));
                free(s);
                s = n;
        }
        return s;
}

TEST(fleet_enrolment_and_revocation) {
        struct fixture f;
        setup(&f, 0);
        _cleanup_free_ char *ka = xasprintf("%s/admin", f.dir), *kb = xasprintf("%s/b", f.dir);
        _cleanup_pkey_ EVP_PKEY *admin = NULL, *b = NULL;
        ASSERT_EQ_INT(key_generate(ka), 0);
        ASSERT_EQ_INT(key_generate(kb), 0);
        ASSERT_EQ_INT(key_load_private(ka, &admin), 0);
        ASSERT_EQ_INT(key_load_private(kb, &b), 0);
        _cleanup_ledger_ struct ledger *l = NULL;
        ASSERT_EQ_INT(ledger_open(f.url, true, &l), 0);
        uint64_t idx;
        EVP_PKEY *ka_keys[] = { f.key, NULL }, *kb_keys[] = { b, NULL };
        ASSERT_EQ_INT(ledger_enrol(l, admin, "builder-1", ka_keys, &idx), 0);
        ASSERT_EQ_INT(ledger_enrol(l, admin, "builder-2", kb_keys, &idx), 0);
        ASSERT_EQ_INT(ledger_enrol(l, admin, LEDGER_ADMIN_BUILDER, kb_keys, &idx), -EINVAL);
        /* 2, 3: builder-1 with its key (10:00:30, 10:01:30); 4: builder-1 claimed with builder-2's key */
        for (int i = 0; i < 3; i++) {
                json_object *e = entry(i, "builder-1", D("0000"), D("aaaa"));
                ASSERT_EQ_INT(ledger_append(l, e, i < 2 ? f.key : b, &idx), 0);
                json_object_put(e);
        }
        json_object *p = NULL;
        ASSERT_EQ_INT(ledger_fleet_check(l, admin, &p), 0);
        _cleanup_free_ char *s1 = problem_indexes(p);
        ASSERT_STREQ(s1, "4");
        ASSERT_TRUE(strstr(json_object_get_string(json_path(json_object_array_get_idx(p, 0), "reason")),
                           "enrolled for builder 'builder-2'") != NULL);
        json_object_put(p);
        /* the checker's own key as administrator: none of the records counts */
        ASSERT_EQ_INT(ledger_fleet_check(l, b, &p), 0);
        _cleanup_free_ char *s2 = problem_indexes(p);
        ASSERT_STREQ(s2, "0,1,2,3,4");
        json_object_put(p);
        char kid[KEYID_HEX_SIZE];
        ASSERT_EQ_INT(key_id(f.key, kid), 0);
        uint64_t from;
        ASSERT_EQ_INT(rfc3339_parse("2026-11-25T10:01:00Z", &from), 0);
        ASSERT_EQ_INT(ledger_revoke(l, admin, kid, from, &idx), 0);
        ASSERT_EQ_INT(ledger_fleet_check(l, admin, &p), 0);
        _cleanup_free_ char *s3 = problem_indexes(p);
        ASSERT_STREQ(s3, "3,4"); /* 2 finished before the revocation's time */
        json_object_put(p);
        json_object *q = NULL;
        ASSERT_EQ_INT(ledger_query_keyid(l, kid, 0, INT64_MAX, &q), 0);
        ASSERT_EQ_U64(json_object_array_length(q), 2);
        json_object_put(q);
        /* audit-signatures: an artifact whose only entry is the forgery has no build behind it */
        _cleanup_free_ char *art = xasprintf("%s/art.bin", f.dir);
        ASSERT_EQ_INT(write_file_at(AT_FDCWD, art, "forged\n", O_CREAT | O_TRUNC, 0644), 0);
        char digest[65];
        ASSERT_EQ_INT(file_sha256(art, digest), 0);
        json_object *e = entry(9, "builder-1", D("0000"), digest);
        ASSERT_EQ_INT(ledger_append(l, e, b, &idx), 0);
        json_object_put(e);
        json_object *j = NULL;
        ASSERT_EQ_INT(ledger_audit_file(l, NULL, NULL, art, &j), 0);
        ASSERT_TRUE(json_object_get_boolean(json_path(j, "backed"))); /* self-asserted: looks fine */
        json_object_put(j);
        ASSERT_EQ_INT(ledger_fleet_check(l, admin, &p), 0);
        ASSERT_EQ_INT(ledger_audit_file(l, NULL, p, art, &j), 0);
        ASSERT_TRUE(!json_object_get_boolean(json_path(j, "backed")));
        ASSERT_TRUE(strstr(json_object_get_string(json_path(j, "reason")), "does not count for the fleet") != NULL);
        json_object_put(j);
        json_object_put(p);
        teardown(&f);
}

TEST(verify_since_a_kept_head) {
        struct fixture f;
        setup(&f, 3);
        _cleanup_ledger_ struct ledger *l = NULL;
        ASSERT_EQ_INT(ledger_open(f.url, false, &l), 0);
        struct ledger_verify_result r;
        ASSERT_EQ_INT(ledger_verify(l, NULL, 0, &r), 0);
        ASSERT_TRUE(r.ok);
        merkle_hash head;
        memcpy(head, r.root, HASH_SIZE);
        uint64_t idx;
        for (int i = 3; i < 6; i++) {
                json_object *e = entry(i, "builder-2", D("1111"), D("dddd"));
                ASSERT_EQ_INT(ledger_append(l, e, f.key, &idx), 0);
                json_object_put(e);
        }
        ASSERT_EQ_INT(ledger_verify_since(l, NULL, 3, head, &r), 0);
        ASSERT_TRUE(r.ok);
        ASSERT_EQ_U64(r.entries, 6);
        ASSERT_TRUE(r.consistency_len > 0);
        merkle_hash full;
        struct ledger_verify_result all;
        ASSERT_EQ_INT(ledger_verify(l, NULL, 0, &all), 0);
        memcpy(full, all.root, HASH_SIZE);
        ASSERT_TRUE(memcmp(full, r.root, HASH_SIZE) == 0);
        /* a different kept head: the proof fails and names the last entry of that head */
        head[0] ^= 1;
        ASSERT_EQ_INT(ledger_verify_since(l, NULL, 3, head, &r), 0);
        ASSERT_TRUE(!r.ok);
        ASSERT_EQ_U64(r.bad_index, 2);
        free(r.reason);
        ASSERT_EQ_INT(ledger_verify_since(l, NULL, 9, head, &r), 0);
        ASSERT_TRUE(!r.ok && strstr(r.reason, "missing") != NULL);
        free(r.reason);
        teardown(&f);
}

TEST(witness_cosignatures) {
        struct fixture f;
        setup(&f, 2);
        _cleanup_free_ char *kw = xasprintf("%s/w", f.dir);
        _cleanup_pkey_ EVP_PKEY *w = NULL;
        ASSERT_EQ_INT(key_generate(kw), 0);
        ASSERT_EQ_INT(key_load_private(kw, &w), 0);
        _cleanup_ledger_ struct ledger *l = NULL;
        ASSERT_EQ_INT(ledger_open(f.url, false, &l), 0);
        struct ledger_verify_result r;
        ASSERT_EQ_INT(ledger_verify(l, NULL, 0, &r), 0);
        uint64_t latest = 99;
        ASSERT_EQ_INT(ledger_witness_check(l, w, r.entries, r.root, &latest), -ENOENT); /* no table yet */
        ASSERT_EQ_U64(latest, 0);
        ASSERT_EQ_INT(ledger_witness_sign(l, w, r.entries, r.root), 0);
        ASSERT_EQ_INT(ledger_witness_check(l, w, r.entries, r.root, &latest), 0);
        /* not the builder's key, and not another root at that size */
        ASSERT_EQ_INT(ledger_witness_check(l, f.key, r.entries, r.root, &latest), -ENOENT);
        merkle_hash other;
        memcpy(other, r.root, HASH_SIZE);
        other[0] ^= 1;
        ASSERT_EQ_INT(ledger_witness_check(l, w, r.entries, other, &latest), -ENOENT);
        ASSERT_EQ_INT(ledger_witness_check(l, w, r.entries + 1, r.root, &latest), -ENOENT);
        ASSERT_EQ_U64(latest, 2);
        /* a cosignature copied from elsewhere does not verify */
        _cleanup_free_ char *stmt = xasprintf("UPDATE witness_sigs SET sig = '%s'", "AAAA");
        sql(f.db, stmt);
        ASSERT_EQ_INT(ledger_witness_check(l, w, r.entries, r.root, &latest), -EBADMSG);
        teardown(&f);
}
