/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Allocation that cannot fail (it aborts on out-of-memory) and growing arrays. */
#include <stddef.h>
#include <stdlib.h>

#include "basic/macro.h"

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

/* Writes one line naming the cause to stderr and aborts. */
_noreturn_ void oom(void);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) _printf_(1, 2);

/*
 * Makes *P (an array of *CAP elements of SIZE bytes) hold at least NEED
 * elements, growing it to twice NEED so that appending one at a time costs
 * amortised O(1). Aborts on out-of-memory or overflow. *CAP may be 0 for an
 * array allocated elsewhere: it only grows again.
 */
void *greedy_realloc(void **p, size_t *cap, size_t need, size_t size);

/*
 * GREEDY_REALLOC(array, cap, need): ARRAY (a typed pointer) holds at least
 * NEED elements afterwards; CAP (a size_t lvalue) tracks its allocated count.
 * The usual append: GREEDY_REALLOC(v, cap, n + 1); v[n++] = x;
 * (systemd's alloc-util.h, minus its failure path: ours aborts like xmalloc).
 */
#define GREEDY_REALLOC(array, cap, need) ((void) greedy_realloc((void **) &(array), &(cap), (need), sizeof((array)[0])))
