/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fnmatch.h>
#include <string.h>

#include "basic/glob.h"

/* Compares the component [p, pe) of the pattern with [s, se) of the path. */
static bool component_match(const char *p, size_t pl, const char *s, size_t sl) {
        char pat[4096], str[4096];
        if (pl >= sizeof(pat) || sl >= sizeof(str))
                return false;
        memcpy(pat, p, pl);
        pat[pl] = 0;
        memcpy(str, s, sl);
        str[sl] = 0;
        return fnmatch(pat, str, FNM_PATHNAME) == 0;
}

static size_t comp_len(const char *s) {
        const char *e = strchr(s, '/');
        return e ? (size_t) (e - s) : strlen(s);
}

/* prefix_ok: a path that ends before the pattern does counts as a match (for pruning). */
static bool match(const char *p, const char *s, bool prefix_ok) {
        for (;;) {
                if (!*p)
                        return !*s;
                if (!*s)
                        return prefix_ok || strcmp(p, "**") == 0;
                size_t pl = comp_len(p), sl = comp_len(s);
                if (pl == 2 && p[0] == '*' && p[1] == '*') {
                        const char *rest = p[2] ? p + 3 : p + 2;
                        if (!*rest)
                                return true;
                        /* "**" swallows zero or more components. */
                        for (const char *t = s;;) {
                                if (match(rest, t, prefix_ok))
                                        return true;
                                const char *slash = strchr(t, '/');
                                if (!slash)
                                        return prefix_ok;
                                t = slash + 1;
                        }
                }
                if (!component_match(p, pl, s, sl))
                        return false;
                p += pl + (p[pl] == '/');
                s += sl + (s[sl] == '/');
                if (!*p && *s)
                        return false;
                if (!*s && *p && !prefix_ok)
                        return strcmp(p, "**") == 0;
        }
}

bool glob_match_path(const char *pattern, const char *path) {
        while (pattern[0] == '.' && pattern[1] == '/')
                pattern += 2;
        return match(pattern, path, false);
}

bool glob_may_match_below(const char *pattern, const char *dir) {
        while (pattern[0] == '.' && pattern[1] == '/')
                pattern += 2;
        return match(pattern, dir, true);
}
