/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The manifest format: round trips, hostile names, and every kind of bad input naming its line. */
#include "crypto/sign.h"
#include "integrity/manifest.h"
#include "test-fs.h"

static const char *const roots[] = { "/opt/tc", NULL };

/* Three entries under /opt/tc, sorted: a directory, a setuid file with a hostile name, a symlink. */
static char *sample(EVP_PKEY *key, size_t *ret_n) {
        struct manifest_entry v[3] = {
                { .path = (char *) "/opt/tc", .type = 'd', .mode = 0755 },
                { .path = (char *) "/opt/tc/a b\n\\x41\xff",
                  .type = 'f',
                  .mode = 04755,
                  .uid = 0,
                  .gid = 50,
                  .size = 12,
                  .has_digest = true },
                { .path = (char *) "/opt/tc/cc", .target = (char *) "gcc -> \t", .type = 'l', .mode = 0777, .size = 8 },
        };
        memset(v[1].digest, 0xab, sizeof(v[1].digest));
        char *text = NULL;
        size_t n = 0;
        ASSERT_EQ_INT(manifest_format((char *const *) roots, v, 3, key, &text, &n), 0);
        ASSERT_EQ_U64(n, strlen(text));
        if (ret_n)
                *ret_n = n;
        return text;
}

/* TEXT must be refused as malformed, at LINE, with a message containing WHAT. */
static void expect_bad(const char *text, unsigned line, const char *what) {
        struct manifest *m = NULL;
        struct manifest_error err;
        int r = manifest_parse(text, strlen(text), NULL, &m, &err);
        ASSERT_EQ_INT(r, -EBADMSG);
        ASSERT_TRUE(m == NULL);
        ASSERT_EQ_INT(err.line, line);
        if (!strstr(err.msg, what))
                tap_fail_("message \"%s\" lacks \"%s\"", err.msg, what);
}

/* TEXT with the first occurrence of FROM replaced by TO, and the #end checksum recomputed. */
static char *edit(const char *text, const char *from, const char *to, bool fix_end) {
        const char *at = strstr(text, from);
        ASSERT_TRUE(at != NULL);
        if (!at)
                return xstrdup(text);
        _cleanup_free_ char *s = xasprintf("%.*s%s%s", (int) (at - text), text, to, at + strlen(from));
        if (!fix_end)
                return TAKE_PTR(s);
        char *end = strstr(s, "#end ");
        *end = 0;
        uint8_t d[32];
        ASSERT_EQ_INT(dlopen_libcrypto(), 0);
        sym_EVP_Digest(s, strlen(s), d, NULL, sym_EVP_sha256(), NULL);
        char hex[VERITY_DIGEST_HEX];
        verity_format(d, hex);
        size_t count = 0;
        for (char *p = s; (p = strchr(p, '\n')); p++)
                count += p[1] && p[1] != '#';
        return xasprintf("%s#end %zu %s\n", s, count, hex);
}

TEST(escape_round_trip) {
        const char *cases[] = { "/plain", "/a b", "/new\nline", "/back\\slash", "/tab\there", "/\x01\x7f\x80\xff",
                                "/é",     "/x41" };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *e = manifest_escape(cases[i]), *back = NULL;
                ASSERT_TRUE(!strpbrk(e, " \n\t\r"));
                ASSERT_EQ_INT(manifest_unescape(e, strlen(e), &back), 0);
                ASSERT_STREQ(back, cases[i]);
        }
        _cleanup_free_ char *e = manifest_escape("/a b\n\\");
        ASSERT_STREQ(e, "/a\\x20b\\n\\\\");
        /* One spelling per name: other spellings of the same bytes, and broken escapes, are refused. */
        const char *bad[] = { "/\\x41", "/\\X20", "/\\x2", "/end\\", "/\\q", "/\\x00", "/\\x0A", "/raw\xff" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char *out = NULL;
                ASSERT_EQ_INT(manifest_unescape(bad[i], strlen(bad[i]), &out), -EINVAL);
                ASSERT_TRUE(out == NULL);
        }
}

TEST(format_parse_round_trip_and_lookup) {
        size_t n;
        _cleanup_free_ char *text = sample(NULL, &n);
        ASSERT_TRUE(strstr(text, "#algorithm fsverity-sha256 block-size=4096 salt=none\n") != NULL);
        ASSERT_TRUE(strstr(text, " setuid /opt/tc/a\\x20b\\n\\\\x41\\xff\n") != NULL);
        ASSERT_TRUE(strstr(text, "l 0777 0:0 8 - - /opt/tc/cc -> gcc\\x20->\\x20\\t\n") != NULL);
        _cleanup_manifest_ struct manifest *m = NULL;
        struct manifest_error err;
        ASSERT_EQ_INT(manifest_parse(text, n, NULL, &m, &err), 0);
        if (!m)
                return;
        ASSERT_EQ_U64(m->n, 3);
        ASSERT_STREQ(m->roots[0], "/opt/tc");
        ASSERT_TRUE(!m->is_signed);
        const struct manifest_entry *e = manifest_lookup(m, "/opt/tc/a b\n\\x41\xff");
        ASSERT_TRUE(e != NULL);
        if (e) {
                ASSERT_EQ_INT(e->type, 'f');
                ASSERT_EQ_INT(e->mode, 04755);
                ASSERT_EQ_INT(e->gid, 50);
                ASSERT_EQ_U64(e->size, 12);
                ASSERT_EQ_INT(e->digest[31], 0xab);
        }
        e = manifest_lookup(m, "/opt/tc/cc");
        ASSERT_TRUE(e && streq(e->target, "gcc -> \t"));
        ASSERT_TRUE(manifest_lookup(m, "/opt/tc/missing") == NULL);
        ASSERT_TRUE(manifest_lookup(m, "/opt/tc/a b") == NULL);
        /* Formatting what was parsed gives the same bytes. */
        _cleanup_free_ char *again = NULL;
        size_t n2;
        ASSERT_EQ_INT(manifest_format(m->roots, m->v, m->n, NULL, &again, &n2), 0);
        ASSERT_STREQ(again, text);
}

TEST(bad_header_lines) {
        _cleanup_free_ char *text = sample(NULL, NULL);
        expect_bad("", 1, "truncated");
        expect_bad("hello\n", 1, "not a buildward manifest");
        _cleanup_free_ char *v2 = edit(text, "#buildward-manifest 1", "#buildward-manifest 2", false);
        expect_bad(v2, 1, "unsupported manifest version");
        _cleanup_free_ char *algo =
                edit(text, "fsverity-sha256 block-size=4096", "fsverity-sha512 block-size=4096", false);
        expect_bad(algo, 2, "unknown algorithm 'fsverity-sha512");
        _cleanup_free_ char *noroot = edit(text, "#root /opt/tc\n", "", false);
        expect_bad(noroot, 3, "at least one '#root");
        _cleanup_free_ char *nested = edit(text, "#root /opt/tc\n", "#root /opt/tc\n#root /opt/tc/x\n", false);
        expect_bad(nested, 4, "inside root");
        _cleanup_free_ char *relroot = edit(text, "#root /opt/tc", "#root opt/tc", false);
        expect_bad(relroot, 3, "absolute path");
}

TEST(bad_entry_lines_name_their_line) {
        _cleanup_free_ char *text = sample(NULL, NULL);
        /* Line 4 is the directory, 5 the setuid file, 6 the symlink. */
        const struct {
                const char *from, *to, *what;
                unsigned line;
        } cases[] = {
                { "d 0755 0:0 - - - /opt/tc\n", "x 0755 0:0 - - - /opt/tc\n", "unknown entry type", 4 },
                { "d 0755", "d 755", "four octal digits", 4 },
                { "d 0755", "d 0855", "four octal digits", 4 },
                { "0:0 - - - /opt/tc\n", "0 - - - /opt/tc\n", "UID:GID", 4 },
                { "0:0 - - - /opt/tc\n", "00:0 - - - /opt/tc\n", "UID:GID", 4 },
                { "0:0 - - - /opt/tc\n", "0:0 12 - - /opt/tc\n", "size", 4 },
                { " 12 sha256:", " 012 sha256:", "size", 5 },
                { " 12 sha256:", " 12 sha1:", "digest", 5 },
                { "abababab ", "ABABABAB ", "digest", 5 },
                { " setuid /opt", " - /opt", "do not match mode 4755", 5 },
                { "0:0 - - - /opt/tc\n", "0:0 - - -  /opt/tc\n", "single spaces", 4 },
                { "0:0 - - - /opt/tc\n", "0:0 - - - /opt/tc \n", "single spaces", 4 },
                { "/opt/tc/cc ->", "/opt/tc/cc =>", "'-> TARGET'", 6 },
                { "8 - - /opt/tc/cc", "7 - - /opt/tc/cc", "length of its target", 6 },
                { "/opt/tc/a\\x20b", "/opt/tc/a b", "single spaces", 5 },
                { "/opt/tc/a\\x20b", "/opt/tc/a\\x61b", "escaped", 5 },
                { "/opt/tc/a\\x20b", "/opt/tc/../a\\x20b", "canonical", 5 },
                { "/opt/tc/a\\x20b", "/usr/a\\x20b", "not below any '#root'", 5 },
                { "/opt/tc/cc ->", "/opt/tc/a\\x20b\\n\\\\x41\\xff ->", "duplicate path", 6 },
                { "/opt/tc/cc ->", "/opt/tc/a ->", "not sorted", 6 },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *bad = edit(text, cases[i].from, cases[i].to, true);
                expect_bad(bad, cases[i].line, cases[i].what);
        }
}

TEST(truncated_or_edited_manifests) {
        size_t n;
        _cleanup_free_ char *text = sample(NULL, &n);
        /* Cut in the middle of the last line, and cut exactly before the #end line. */
        _cleanup_free_ char *cut = strndup(text, n - 10);
        expect_bad(cut, 7, "truncated");
        _cleanup_free_ char *noend = strndup(text, (size_t) (strstr(text, "#end") - text));
        expect_bad(noend, 7, "truncated");
        /* A whole line removed or added with a stale #end: the count or the checksum says so. */
        _cleanup_free_ char *dropped = edit(text, "d 0755 0:0 - - - /opt/tc\n", "", false);
        expect_bad(dropped, 6, "lines were added or removed");
        /* An edited digest with the count intact: the checksum. */
        _cleanup_free_ char *digest = edit(text, "abababab", "abababac", false);
        expect_bad(digest, 7, "checksum mismatch");
        _cleanup_free_ char *after = xasprintf("%sd 0755 0:0 - - - /opt/tc/z\n", text);
        expect_bad(after, 8, "after '#end'");
        _cleanup_free_ char *nul = xstrdup(text);
        nul[30] = 0;
        struct manifest *m = NULL;
        struct manifest_error err;
        ASSERT_EQ_INT(manifest_parse(nul, n, NULL, &m, &err), -EBADMSG);
        ASSERT_TRUE(strstr(err.msg, "NUL") != NULL);
}

TEST(signatures) {
        char *dir = tmpdir();
        _cleanup_free_ char *k1 = xasprintf("%s/k1", dir), *k2 = xasprintf("%s/k2", dir);
        ASSERT_EQ_INT(key_generate(k1), 0);
        ASSERT_EQ_INT(key_generate(k2), 0);
        _cleanup_pkey_ EVP_PKEY *priv = NULL, *pub1 = NULL, *pub2 = NULL;
        ASSERT_EQ_INT(key_load_private(k1, &priv), 0);
        ASSERT_EQ_INT(key_load_public(k1, &pub1), 0);
        ASSERT_EQ_INT(key_load_public(k2, &pub2), 0);
        size_t n;
        _cleanup_free_ char *text = sample(priv, &n);
        ASSERT_TRUE(strstr(text, "\n#signature ed25519 ") != NULL);
        struct manifest *m = NULL;
        struct manifest_error err;

        ASSERT_EQ_INT(manifest_parse(text, n, pub1, &m, &err), 0);
        ASSERT_TRUE(m && m->is_signed && m->signature_verified);
        manifest_free(TAKE_PTR(m));
        /* Without a key: parsed, known to be signed, not verified. */
        ASSERT_EQ_INT(manifest_parse(text, n, NULL, &m, &err), 0);
        ASSERT_TRUE(m && m->is_signed && !m->signature_verified);
        manifest_free(TAKE_PTR(m));
        /* Another key: refused. */
        ASSERT_EQ_INT(manifest_parse(text, n, pub2, &m, &err), -EKEYREJECTED);
        ASSERT_TRUE(strstr(err.msg, "not by the given key") != NULL);
        /* Edited and re-checksummed, signature kept: refused by the signature. */
        _cleanup_free_ char *sigline = xstrdup(strstr(text, "#signature"));
        _cleanup_free_ char *body = edit(text, "0:50", "0:0", true);
        char *end = strstr(body, "#signature");
        if (end)
                *end = 0;
        _cleanup_free_ char *forged = xasprintf("%s%s", body, sigline);
        ASSERT_EQ_INT(manifest_parse(forged, strlen(forged), pub1, &m, &err), -EKEYREJECTED);
        ASSERT_TRUE(strstr(err.msg, "changed after signing") != NULL);
        /* Signature removed: unsigned, which a required key refuses. */
        _cleanup_free_ char *stripped = strndup(text, (size_t) (strstr(text, "#signature") - text));
        ASSERT_EQ_INT(manifest_parse(stripped, strlen(stripped), pub1, &m, &err), -ENOKEY);
        ASSERT_EQ_INT(manifest_parse(stripped, strlen(stripped), NULL, &m, &err), 0);
        manifest_free(TAKE_PTR(m));
        /* A second signature line, or text after it. */
        _cleanup_free_ char *twice = xasprintf("%s%s", text, sigline);
        expect_bad(twice, 9, "after '#signature'");
        cleanup_dir(dir);
}
