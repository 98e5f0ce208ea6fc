/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dlfcn.h>

#include "basic/dl.h"
#include "basic/util.h"

void *dl_open_symbols(const char *soname, const char *package, const struct dl_symbol *syms, size_t n,
                      char **ret_error) {
        void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                *ret_error = xasprintf("cannot load %s (%s); install Debian's %s package", soname, dlerror(), package);
                return NULL;
        }
        for (size_t i = 0; i < n; i++) {
                *syms[i].ptr = dlsym(h, syms[i].name);
                if (!*syms[i].ptr) {
                        *ret_error = xasprintf("%s has no %s (too old?); install Debian 12's %s package or newer",
                                               soname, syms[i].name, package);
                        for (size_t j = 0; j <= i; j++)
                                *syms[j].ptr = NULL;
                        dlclose(h);
                        return NULL;
                }
        }
        return h;
}
