/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "basic/alloc.h"

void oom(void) {
        static const char msg[] = "buildward: error: out of memory; free memory on this host and retry\n";
        (void) !write(STDERR_FILENO, msg, sizeof(msg) - 1);
        abort();
}

void *xmalloc(size_t n) {
        void *p = malloc(n ? n : 1);
        if (!p)
                oom();
        return p;
}

void *xcalloc(size_t n, size_t m) {
        void *p = calloc(n ? n : 1, m ? m : 1);
        if (!p)
                oom();
        return p;
}

char *xstrdup(const char *s) {
        char *p = strdup(s);
        if (!p)
                oom();
        return p;
}

char *xasprintf(const char *fmt, ...) {
        va_list ap;
        char *p;
        va_start(ap, fmt);
        int r = vasprintf(&p, fmt, ap);
        va_end(ap);
        if (r < 0)
                oom();
        return p;
}

void *greedy_realloc(void **p, size_t *cap, size_t need, size_t size) {
        if (*p && need <= *cap)
                return *p;
        size_t n = need < 4 ? 4 : need;
        if (n > SIZE_MAX / 2 / size)
                oom();
        n *= 2;
        void *q = realloc(*p, n * size);
        if (!q)
                oom();
        *p = q;
        *cap = n;
        return q;
}
