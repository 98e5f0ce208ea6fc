/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <pthread.h>

#include "basic/dl.h"
#include "basic/sqlite-dl.h"
#include "basic/util.h"

#define SQLITE_DEFINE(name) __typeof__(name) *sym_##name;
SQLITE_SYMBOLS(SQLITE_DEFINE)
#undef SQLITE_DEFINE

static void *handle;
static char *load_error;

static void load(void) {
        static const struct dl_symbol syms[] = {
#define SQLITE_ENTRY(name) { #name, (void **) &sym_##name },
                SQLITE_SYMBOLS(SQLITE_ENTRY)
#undef SQLITE_ENTRY
        };
        handle = dl_open_symbols("libsqlite3.so.0", "libsqlite3-0", syms, ELEMENTSOF(syms), &load_error);
}

int dlopen_sqlite(char **ret_error) {
        static pthread_once_t once = PTHREAD_ONCE_INIT;
        pthread_once(&once, load);
        if (handle)
                return 0;
        if (ret_error)
                *ret_error = xstrdup(load_error);
        return -ELIBACC;
}
