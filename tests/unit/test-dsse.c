/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "attest/dsse.h"
#include "test-fs.h"

TEST(pae_is_the_dsse_v1_encoding) {
        size_t n;
        _cleanup_free_ uint8_t *p = dsse_pae("http://example.com/HelloWorld", "hello world", 11, &n);
        /* the example of the DSSE protocol document */
        const char want[] = "DSSEv1 29 http://example.com/HelloWorld 11 hello world";
        ASSERT_EQ_INT(n, strlen(want));
        ASSERT_TRUE(memcmp(p, want, n) == 0);
        _cleanup_free_ uint8_t *e = dsse_pae("", "", 0, &n);
        ASSERT_EQ_INT(n, strlen("DSSEv1 0  0 "));
        ASSERT_TRUE(memcmp(e, "DSSEv1 0  0 ", n) == 0);
        /* binary bodies: LEN counts bytes, NULs included */
        _cleanup_free_ uint8_t *b = dsse_pae("t", "a\0b", 3, &n);
        ASSERT_EQ_INT(n, 16);
        ASSERT_TRUE(memcmp(b, "DSSEv1 1 t 3 a\0b", 16) == 0);
}

TEST(base64_round_trip_and_rejects_junk) {
        static const char *const in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
        static const char *const out[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
        ASSERT_EQ_INT(dlopen_libcrypto(), 0); /* base64_encode() does not load it */
        for (size_t i = 0; i < ELEMENTSOF(in); i++) {
                _cleanup_free_ char *e = base64_encode(in[i], strlen(in[i]));
                ASSERT_STREQ(e, out[i]);
                _cleanup_free_ uint8_t *d = NULL;
                size_t n;
                ASSERT_EQ_INT(base64_decode(out[i], &d, &n), 0);
                ASSERT_EQ_INT(n, strlen(in[i]));
                ASSERT_TRUE(d && memcmp(d, in[i], n) == 0);
        }
        uint8_t *d = NULL;
        size_t n;
        ASSERT_EQ_INT(base64_decode("Zm9", &d, &n), -EBADMSG);
        ASSERT_EQ_INT(base64_decode("Zm=v", &d, &n), -EBADMSG);
        ASSERT_EQ_INT(base64_decode("Z!9v", &d, &n), -EBADMSG);
        ASSERT_EQ_INT(base64_decode("=Zm9", &d, &n), -EBADMSG);
        ASSERT_TRUE(d == NULL);
}

TEST(sign_parse_verify_and_tamper) {
        char *dir = tmpdir();
        _cleanup_free_ char *k1 = xasprintf("%s/k1", dir), *k2 = xasprintf("%s/k2", dir);
        ASSERT_EQ_INT(key_generate(k1), 0);
        ASSERT_EQ_INT(key_generate(k2), 0);
        _cleanup_pkey_ EVP_PKEY *a = NULL, *b = NULL;
        ASSERT_EQ_INT(key_load_private(k1, &a), 0);
        ASSERT_EQ_INT(key_load_private(k2, &b), 0);
        const char body[] = "{\"_type\":\"https://in-toto.io/Statement/v1\"}";
        _cleanup_free_ char *env = NULL;
        ASSERT_EQ_INT(dsse_sign(DSSE_INTOTO_TYPE, body, strlen(body), a, &env), 0);

        struct dsse_envelope e = {};
        ASSERT_EQ_INT(dsse_parse(env, strlen(env), &e), 0);
        ASSERT_STREQ(e.payload_type, DSSE_INTOTO_TYPE);
        ASSERT_EQ_INT(e.payload_len, strlen(body));
        ASSERT_STREQ((char *) e.payload, body);
        ASSERT_EQ_INT(e.n_sigs, 1);
        char id[KEYID_HEX_SIZE];
        ASSERT_EQ_INT(key_id(a, id), 0);
        ASSERT_STREQ(e.sigs[0].keyid, id);
        ASSERT_EQ_INT(e.sigs[0].sig_len, SIGNATURE_SIZE);
        size_t idx = 99;
        ASSERT_EQ_INT(dsse_verify(&e, a, &idx), 0);
        ASSERT_EQ_INT(idx, 0);
        /* another key: not even named by the envelope */
        ASSERT_EQ_INT(dsse_verify(&e, b, NULL), -ENOKEY);
        /* the signature covers the type too, not just the body */
        free(e.payload_type);
        e.payload_type = xstrdup("application/json");
        ASSERT_EQ_INT(dsse_verify(&e, a, NULL), -EBADMSG);
        free(e.payload_type);
        e.payload_type = xstrdup(DSSE_INTOTO_TYPE);
        e.payload[5] ^= 1;
        ASSERT_EQ_INT(dsse_verify(&e, a, NULL), -EBADMSG);
        dsse_envelope_done(&e);

        static const char *const bad[] = {
                "",
                "[]",
                "{\"payloadType\":\"t\",\"payload\":\"Zm9v\"}",
                "{\"payloadType\":\"t\",\"payload\":\"Zm9\",\"signatures\":[]}",
                "{\"payloadType\":\"t\",\"payload\":\"Zm9v\",\"signatures\":[{\"keyid\":\"x\"}]}",
                "{\"payloadType\":1,\"payload\":\"Zm9v\",\"signatures\":[]}",
                "{\"payloadType\":\"t\",\"payload\":\"Zm9v\",\"signatures\":[]} trailing",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                ASSERT_EQ_INT(dsse_parse(bad[i], strlen(bad[i]), &e), -EBADMSG);
        cleanup_dir(dir);
}
