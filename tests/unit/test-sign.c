/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <sys/stat.h>

#include "crypto/sign.h"
#include "test-fs.h"

TEST(generate_sign_verify) {
        char *d = tmpdir();
        _cleanup_free_ char *k = xasprintf("%s/key", d), *pub = xasprintf("%s/key.pub", d);
        ASSERT_EQ_INT(key_generate(k), 0);
        struct stat st;
        ASSERT_EQ_INT(stat(k, &st), 0);
        ASSERT_EQ_INT(st.st_mode & 07777, 0600);
        ASSERT_EQ_INT(stat(pub, &st), 0);
        ASSERT_EQ_INT(st.st_mode & 07777, 0644);
        ASSERT_EQ_INT(key_generate(k), -EEXIST);

        _cleanup_pkey_ EVP_PKEY *priv = NULL, *pubkey = NULL, *derived = NULL;
        ASSERT_EQ_INT(key_load_private(k, &priv), 0);
        ASSERT_EQ_INT(key_load_public(pub, &pubkey), 0);
        ASSERT_EQ_INT(key_load_public(k, &derived), 0);
        char id1[KEYID_HEX_SIZE], id2[KEYID_HEX_SIZE], id3[KEYID_HEX_SIZE];
        ASSERT_EQ_INT(key_id(priv, id1), 0);
        ASSERT_EQ_INT(key_id(pubkey, id2), 0);
        ASSERT_EQ_INT(key_id(derived, id3), 0);
        ASSERT_STREQ(id1, id2);
        ASSERT_STREQ(id1, id3);
        ASSERT_EQ_INT(strlen(id1), 64);

        const char msg[] = "the message";
        uint8_t sig[SIGNATURE_SIZE];
        ASSERT_EQ_INT(sign_buffer(priv, msg, sizeof(msg), sig), 0);
        ASSERT_EQ_INT(verify_buffer(pubkey, msg, sizeof(msg), sig, sizeof(sig)), 0);
        ASSERT_EQ_INT(verify_buffer(pubkey, msg, sizeof(msg) - 1, sig, sizeof(sig)), -EBADMSG);
        ASSERT_EQ_INT(verify_buffer(pubkey, msg, sizeof(msg), sig, sizeof(sig) - 1), -EBADMSG);
        sig[10] ^= 1;
        ASSERT_EQ_INT(verify_buffer(pubkey, msg, sizeof(msg), sig, sizeof(sig)), -EBADMSG);
        cleanup_dir(d);
}

TEST(refuses_readable_private_key_and_other_files) {
        char *d = tmpdir();
        _cleanup_free_ char *k = xasprintf("%s/key", d), *pub = xasprintf("%s/key.pub", d);
        ASSERT_EQ_INT(key_generate(k), 0);
        ASSERT_EQ_INT(chmod(k, 0640), 0);
        EVP_PKEY *key = NULL;
        ASSERT_EQ_INT(key_load_private(k, &key), -EPERM);
        /* A public key is not a private key, whatever its mode. */
        ASSERT_EQ_INT(key_load_private(pub, &key), -EPERM);
        ASSERT_EQ_INT(chmod(pub, 0600), 0);
        ASSERT_EQ_INT(key_load_private(pub, &key), -EKEYREJECTED);
        put(d, "junk", "not a key\n");
        _cleanup_free_ char *junk = xasprintf("%s/junk", d);
        ASSERT_EQ_INT(key_load_public(junk, &key), -EKEYREJECTED);
        _cleanup_free_ char *missing = xasprintf("%s/missing", d);
        ASSERT_EQ_INT(key_load_public(missing, &key), -ENOENT);
        ASSERT_TRUE(key == NULL);
        cleanup_dir(d);
}
