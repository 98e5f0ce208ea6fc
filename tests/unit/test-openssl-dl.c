/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dlfcn.h>
#include <pthread.h>

#include "basic/util.h"
#include "crypto/openssl-dl.h"
#include "provenance/provenance.h"
#include "tap.h"

static bool libcrypto_mapped(void) {
        void *h = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_NOLOAD);
        if (h)
                dlclose(h);
        return h != NULL;
}

static void *load_thread(void *arg) {
        *(int *) arg = dlopen_libcrypto();
        return NULL;
}

/* One test, in this order: the process must not have loaded libcrypto before it starts. */
TEST(loads_once_on_first_use) {
        ASSERT_TRUE(!libcrypto_mapped());
        /* What a plain `buildward run` does: no --sign-key, no --ledger, nothing to hash. */
        char *err = NULL;
        ASSERT_EQ_INT(provenance_check_args(NULL, NULL, &err), 0);
        ASSERT_TRUE(!libcrypto_mapped());
        ASSERT_TRUE(sym_EVP_Digest == NULL);

        /* `seal` hashes on worker threads: they may all be the first to ask. */
        pthread_t t[4];
        int r[4];
        for (size_t i = 0; i < ELEMENTSOF(t); i++)
                ASSERT_EQ_INT(pthread_create(&t[i], NULL, load_thread, &r[i]), 0);
        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                pthread_join(t[i], NULL);
                ASSERT_EQ_INT(r[i], 0);
        }
        ASSERT_TRUE(libcrypto_mapped());
#define CHECK_SET(name) ASSERT_TRUE(sym_##name != NULL);
        LIBCRYPTO_SYMBOLS(CHECK_SET)
#undef CHECK_SET
        ASSERT_TRUE(sym_OpenSSL_version_num() >= 0x30000000UL);

        /* The pointers call the real functions: SHA-256 of "abc" (FIPS 180-2, B.1). */
        uint8_t md[32];
        ASSERT_EQ_INT(sym_EVP_Digest("abc", 3, md, NULL, sym_EVP_sha256(), NULL), 1);
        char hex[65];
        for (size_t i = 0; i < sizeof(md); i++)
                snprintf(hex + 2 * i, 3, "%02x", md[i]);
        ASSERT_STREQ(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

        /* A second call changes nothing. */
        __typeof__(sym_EVP_Digest) before = sym_EVP_Digest;
        ASSERT_EQ_INT(dlopen_libcrypto(), 0);
        ASSERT_TRUE(sym_EVP_Digest == before);
}
