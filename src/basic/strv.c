/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>

#include "basic/alloc.h"
#include "basic/strv.h"

void strv_free(char **v) {
        if (!v)
                return;
        for (char **i = v; *i; i++)
                free(*i);
        free(v);
}

size_t strv_length(char *const *v) {
        size_t n = 0;
        while (v && v[n])
                n++;
        return n;
}

int strv_push(char ***v, char *s) {
        size_t n = strv_length(*v);
        char **nv = realloc(*v, sizeof(char *) * (n + 2));
        if (!nv)
                oom();
        nv[n] = s;
        nv[n + 1] = NULL;
        *v = nv;
        return 0;
}

char **strv_copy(char *const *v) {
        size_t n = strv_length(v);
        char **c = xcalloc(n + 1, sizeof(char *));
        for (size_t i = 0; i < n; i++)
                c[i] = xstrdup(v[i]);
        return c;
}
