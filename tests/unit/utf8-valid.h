/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * A UTF-8 check for tests of the report writers (unit tests and fuzz-report),
 * written apart from the escaper it checks.
 */
#include <stdbool.h>
#include <stddef.h>

/* Strict UTF-8 (no overlongs, surrogates or values past U+10FFFF). */
static inline bool utf8_valid(const char *s, size_t n) {
        const unsigned char *p = (const unsigned char *) s;
        for (size_t i = 0; i < n;) {
                unsigned c = p[i], len, min;
                unsigned long cp;
                if (c < 0x80) {
                        i++;
                        continue;
                } else if ((c & 0xe0) == 0xc0)
                        len = 2, min = 0x80, cp = c & 0x1f;
                else if ((c & 0xf0) == 0xe0)
                        len = 3, min = 0x800, cp = c & 0x0f;
                else if ((c & 0xf8) == 0xf0)
                        len = 4, min = 0x10000, cp = c & 0x07;
                else
                        return false;
                if (i + len > n)
                        return false;
                for (unsigned k = 1; k < len; k++) {
                        if ((p[i + k] & 0xc0) != 0x80)
                                return false;
                        cp = (cp << 6) | (p[i + k] & 0x3f);
                }
                if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
                i += len;
        }
        return true;
}
