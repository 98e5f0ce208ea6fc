/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Matching is dynamic programming over (pattern component, path component):
 * each "**" may swallow any number of components, and naive backtracking over
 * several of them is exponential (the fuzzer found a pattern that hung it).
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "basic/glob.h"

#define MAX_COMPONENTS    256
#define MAX_COMPONENT_LEN 4096

struct comps {
        const char *s[MAX_COMPONENTS];
        size_t len[MAX_COMPONENTS];
        size_t n;
};

/* Splits on '/', skipping empty components; false when there are too many. */
static bool split(const char *s, struct comps *c) {
        c->n = 0;
        while (*s) {
                while (*s == '/')
                        s++;
                if (!*s)
                        break;
                const char *e = strchr(s, '/');
                size_t l = e ? (size_t) (e - s) : strlen(s);
                if (c->n == MAX_COMPONENTS || l >= MAX_COMPONENT_LEN)
                        return false;
                c->s[c->n] = s;
                c->len[c->n++] = l;
                s += l;
        }
        return true;
}

static bool is_globstar(const struct comps *c, size_t i) {
        return c->len[i] == 2 && c->s[i][0] == '*' && c->s[i][1] == '*';
}

static bool component_match(const struct comps *p, size_t i, const struct comps *s, size_t j) {
        char pat[MAX_COMPONENT_LEN], str[MAX_COMPONENT_LEN];
        memcpy(pat, p->s[i], p->len[i]);
        pat[p->len[i]] = 0;
        memcpy(str, s->s[j], s->len[j]);
        str[s->len[j]] = 0;
        return fnmatch(pat, str, FNM_PATHNAME) == 0;
}

/*
 * prefix_ok: a path that ends before the pattern does counts as a match (the
 * directory may hold matches further down).
 */
static bool match(const char *pattern, const char *path, bool prefix_ok) {
        struct comps p, s; /* 8 KiB of stack: fine on every thread we start */
        while (pattern[0] == '.' && pattern[1] == '/')
                pattern += 2;
        if (!split(pattern, &p) || !split(path, &s))
                return false;
        /* ok[i][j]: pattern components i.. match path components j.. ; filled backwards. */
        size_t w = s.n + 1;
        bool *ok = calloc((p.n + 1) * w, sizeof(bool));
        if (!ok)
                return false;
        for (size_t i = p.n + 1; i-- > 0;)
                for (size_t j = s.n + 1; j-- > 0;) {
                        bool v;
                        if (i == p.n)
                                v = j == s.n;
                        else if (j == s.n)
                                v = prefix_ok || (is_globstar(&p, i) && ok[(i + 1) * w + j]);
                        else if (is_globstar(&p, i))
                                v = ok[(i + 1) * w + j] || ok[i * w + j + 1];
                        else
                                v = component_match(&p, i, &s, j) && ok[(i + 1) * w + j + 1];
                        ok[i * w + j] = v;
                }
        bool r = ok[0];
        free(ok);
        return r;
}

bool glob_match_path(const char *pattern, const char *path) {
        return match(pattern, path, false);
}

bool glob_may_match_below(const char *pattern, const char *dir) {
        return match(pattern, dir, true);
}
