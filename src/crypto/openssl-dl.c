/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <pthread.h>

#include "basic/dl.h"
#include "basic/log.h"
#include "basic/util.h"
#include "crypto/openssl-dl.h"

#define LIBCRYPTO_DEFINE(name) __typeof__(name) *sym_##name;
LIBCRYPTO_SYMBOLS(LIBCRYPTO_DEFINE)
#undef LIBCRYPTO_DEFINE

static int load_result = -ELIBACC;

static void load(void) {
        /* The version first, alone: an impostor or an older OpenSSL is named as such, not by a missing function. */
        static const struct dl_symbol version[] = { { "OpenSSL_version_num", (void **) &sym_OpenSSL_version_num } };
        static const struct dl_symbol syms[] = {
#define LIBCRYPTO_ENTRY(name) { #name, (void **) &sym_##name },
                LIBCRYPTO_SYMBOLS(LIBCRYPTO_ENTRY)
#undef LIBCRYPTO_ENTRY
        };
        _cleanup_free_ char *error = NULL;
        if (!dl_open_symbols("libcrypto.so.3", "libssl3", version, 1, &error)) {
                log_error("%s", error);
                return;
        }
        unsigned long v = sym_OpenSSL_version_num();
        if (v < 0x30000000UL) {
                log_error("libcrypto.so.3 is version 0x%lx, older than the OpenSSL 3.0 buildward needs; "
                          "install Debian's libssl3 package",
                          v);
                sym_OpenSSL_version_num = NULL;
                load_result = -ELIBBAD;
                return;
        }
        /* The same library again (dlopen() counts references): every other function. */
        if (!dl_open_symbols("libcrypto.so.3", "libssl3", syms, ELEMENTSOF(syms), &error)) {
                log_error("%s", error);
                load_result = -ELIBBAD;
                return;
        }
        load_result = 0;
}

int dlopen_libcrypto(void) {
        static pthread_once_t once = PTHREAD_ONCE_INIT;
        pthread_once(&once, load);
        return load_result;
}
