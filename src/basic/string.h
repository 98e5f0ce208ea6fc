/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* String comparisons and names. */
#include <stdbool.h>
#include <string.h>

static inline bool streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}
static inline bool streq_ptr(const char *a, const char *b) {
        return a && b ? streq(a, b) : a == b;
}
static inline const char *startswith(const char *s, const char *prefix) {
        size_t l = strlen(prefix);
        return strncmp(s, prefix, l) == 0 ? s + l : NULL;
}

/* S's tail when it ends with SUFFIX, else NULL. */
static inline const char *endswith(const char *s, const char *suffix) {
        size_t n = strlen(s), k = strlen(suffix);
        return n >= k && memcmp(s + n - k, suffix, k) == 0 ? s + n - k : NULL;
}

/* "ENOENT" for ENOENT or -ENOENT; "E?" when unknown. */
const char *errno_name(int err);
