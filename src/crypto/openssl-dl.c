/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dlfcn.h>
#include <pthread.h>

#include "basic/log.h"
#include "crypto/openssl-dl.h"

#define LIBCRYPTO_DEFINE(name) __typeof__(name) *sym_##name;
LIBCRYPTO_SYMBOLS(LIBCRYPTO_DEFINE)
#undef LIBCRYPTO_DEFINE

static int load_result = -ELIBACC;

static void load(void) {
        /* RTLD_LOCAL: nothing else in the process resolves against it by accident. */
        void *h = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                log_error("cannot load libcrypto.so.3 (%s); install the libssl3 package", dlerror());
                return;
        }
        static const struct {
                const char *name;
                void **ptr;
        } syms[] = {
#define LIBCRYPTO_ENTRY(name) { #name, (void **) &sym_##name },
                LIBCRYPTO_SYMBOLS(LIBCRYPTO_ENTRY)
#undef LIBCRYPTO_ENTRY
        };
        for (size_t i = 0; i < ELEMENTSOF(syms); i++) {
                *syms[i].ptr = dlsym(h, syms[i].name);
                if (!*syms[i].ptr) {
                        log_error("libcrypto.so.3 lacks %s, which buildward calls; install the libssl3 package "
                                  "(OpenSSL 3)",
                                  syms[i].name);
                        load_result = -ELIBBAD;
                        return;
                }
                /* First in the list: refuse an impostor before trusting anything else it exports. */
                if (i == 0 && sym_OpenSSL_version_num() < 0x30000000UL) {
                        log_error("libcrypto.so.3 is version 0x%lx, older than the OpenSSL 3.0 buildward needs; "
                                  "install the libssl3 package",
                                  sym_OpenSSL_version_num());
                        load_result = -ELIBBAD;
                        return;
                }
        }
        load_result = 0;
}

int dlopen_libcrypto(void) {
        static pthread_once_t once = PTHREAD_ONCE_INIT;
        pthread_once(&once, load);
        return load_result;
}
