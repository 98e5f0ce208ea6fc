/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "basic/size.h"

int parse_uint(const char *s, uint64_t max, uint64_t *ret) {
        uint64_t v = 0;
        if (!s || !*s)
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (!isdigit((unsigned char) *p))
                        return -EINVAL;
                unsigned d = (unsigned) (*p - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        if (v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

/* Integer part and up to three fractional digits, as thousandths. */
static int parse_milli_prefix(const char **p, uint64_t *ret) {
        const char *s = *p;
        uint64_t ip = 0, frac = 0;
        int ndig = 0, nfrac = 0;
        while (isdigit((unsigned char) *s)) {
                if (ip > UINT64_MAX / 10000)
                        return -ERANGE;
                ip = ip * 10 + (uint64_t) (*s - '0');
                s++;
                ndig++;
        }
        if (*s == '.') {
                s++;
                while (isdigit((unsigned char) *s)) {
                        if (nfrac < 3) {
                                frac = frac * 10 + (uint64_t) (*s - '0');
                                nfrac++;
                        }
                        s++;
                        ndig++;
                }
        }
        if (ndig == 0)
                return -EINVAL;
        while (nfrac < 3) {
                frac *= 10;
                nfrac++;
        }
        *ret = ip * 1000 + frac;
        *p = s;
        return 0;
}

int parse_decimal_milli(const char *s, uint64_t *ret) {
        uint64_t v;
        if (!s)
                return -EINVAL;
        int r = parse_milli_prefix(&s, &v);
        if (r < 0)
                return r;
        if (*s)
                return -EINVAL;
        *ret = v;
        return 0;
}

int parse_size(const char *s, uint64_t *ret) {
        static const struct {
                char c;
                unsigned shift;
        } units[] = { { 'K', 10 }, { 'M', 20 }, { 'G', 30 }, { 'T', 40 } };
        uint64_t milli;
        unsigned shift = 0;
        if (!s)
                return -EINVAL;
        int r = parse_milli_prefix(&s, &milli);
        if (r < 0)
                return r;
        if (*s) {
                char c = (char) toupper((unsigned char) *s);
                size_t i;
                for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
                        if (units[i].c == c)
                                break;
                if (i == sizeof(units) / sizeof(units[0]))
                        return -EINVAL;
                shift = units[i].shift;
                s++;
                if (*s == 'i' || *s == 'I')
                        s++;
                if (*s == 'B' || *s == 'b')
                        s++;
                if (*s)
                        return -EINVAL;
        }
        if (milli > (UINT64_MAX >> shift) / 1000 * 1000)
                return -ERANGE;
        if (shift == 0 && milli % 1000)
                return -EINVAL; /* fractional bytes */
        *ret = (milli << shift) / 1000;
        return 0;
}
