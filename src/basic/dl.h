/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Libraries that only some commands need are loaded with dlopen() on first
 * use, so `run` does not pay the dynamic loader (or, for a static copy, the
 * relocation of its tables) for them. We still compile against each library's
 * header: DL_FUNC declares a pointer with the function's exact type and the
 * function's own name, and DL_SYMBOL resolves it by that same name, so a
 * pointer can neither have the wrong type nor point at another symbol.
 *
 *      static struct { DL_FUNC(sqlite3_open_v2); DL_FUNC(sqlite3_close_v2); } sq;
 *      static const struct dl_symbol syms[] = { DL_SYMBOL(sq, sqlite3_open_v2), DL_SYMBOL(sq, sqlite3_close_v2) };
 *      dl_open_symbols("libsqlite3.so.0", "libsqlite3-0", syms, ELEMENTSOF(syms), &error);
 */
#include <stddef.h>

#define DL_FUNC(name) __typeof__(name) *name
#define DL_SYMBOL(table, name)                                                                                         \
        { #name, (void **) &(table).name }

struct dl_symbol {
        const char *name;
        void **ptr;
};

/*
 * dlopen()s SONAME and fills every pointer of SYMS. Returns the handle, or
 * NULL with *RET_ERROR naming the library, the cause and the Debian PACKAGE to
 * install; then no pointer is left set.
 */
void *dl_open_symbols(const char *soname, const char *package, const struct dl_symbol *syms, size_t n,
                      char **ret_error);
