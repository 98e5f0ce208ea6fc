/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "basic/alloc.h"
#include "basic/utf8.h"

size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *ret) {
        uint32_t cp;
        size_t len;
        if (s[0] < 0x80) {
                *ret = s[0];
                return 1;
        }
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                len = 2, cp = s[0] & 0x1f;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                len = 3, cp = s[0] & 0x0f;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                len = 4, cp = s[0] & 0x07;
        else
                return 0;
        if (n < len)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        *ret = cp;
        return len;
}

static bool is_bidi_control(uint32_t cp) {
        return cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
               (cp >= 0x2066 && cp <= 0x2069);
}

void text_escape(FILE *f, const char *s, size_t len, size_t max, enum text_mode m) {
        const unsigned char *p = (const unsigned char *) s;
        size_t i = 0, limit = max && max < len ? max : len;
        while (i < limit) {
                uint32_t cp;
                size_t k = utf8_decode(p + i, len - i, &cp);
                if (k == 0) {
                        fprintf(f, "\\x%02x", p[i]);
                        i++;
                        continue;
                }
                if (cp == '\n')
                        fputs("\\n", f);
                else if (cp == '\t')
                        fputs("\\t", f);
                else if (cp == '\r')
                        fputs("\\r", f);
                else if (cp < 0x20 || cp == 0x7f)
                        fprintf(f, "\\x%02x", (unsigned) cp);
                else if ((cp >= 0x80 && cp <= 0x9f) || is_bidi_control(cp))
                        fprintf(f, "\\u%04x", (unsigned) cp);
                else if (m == TEXT_HTML && cp == '&')
                        fputs("&amp;", f);
                else if (m == TEXT_HTML && cp == '<')
                        fputs("&lt;", f);
                else if (m == TEXT_HTML && cp == '>')
                        fputs("&gt;", f);
                else if (m == TEXT_HTML && cp == '"')
                        fputs("&quot;", f);
                else if (m == TEXT_HTML && cp == '\'')
                        fputs("&#39;", f);
                else
                        fwrite(p + i, 1, k, f);
                i += k;
        }
        if (limit < len)
                fputs("…", f);
}

void text_escape_str(FILE *f, const char *s, size_t max, enum text_mode m) {
        if (s)
                text_escape(f, s, strlen(s), max, m);
}

bool utf8_is_valid(const char *s, size_t n) {
        const unsigned char *p = (const unsigned char *) s;
        uint32_t cp;
        for (size_t i = 0; i < n;) {
                size_t k = utf8_decode(p + i, n - i, &cp);
                if (k == 0)
                        return false;
                i += k;
        }
        return true;
}

char *text_plain(const char *s, size_t len, size_t max) {
        char *buf = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&buf, &n);
        if (!f)
                oom();
        text_escape(f, s, len, max, TEXT_PLAIN);
        fclose(f);
        return buf;
}
