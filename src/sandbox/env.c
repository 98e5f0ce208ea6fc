/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CI runners export their secrets as environment variables (tokens, cloud keys,
 * signing passphrases). The build gets a short allowlist and what is named with
 * --env; nothing else crosses.
 */
#include <ctype.h>

#include "basic/util.h"
#include "sandbox/env.h"
#include "sandbox/sandbox.h"

static const char *const allowed[] = { "TERM", "LANG", "LANGUAGE", "TZ", "SOURCE_DATE_EPOCH", "COLORTERM", "NO_COLOR" };

bool env_name_allowed(const char *name) {
        if (startswith(name, "LC_"))
                return true;
        for (size_t i = 0; i < ELEMENTSOF(allowed); i++)
                if (streq(name, allowed[i]))
                        return true;
        return false;
}

static bool valid_name(const char *s, size_t n) {
        if (n == 0 || isdigit((unsigned char) s[0]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char) s[i]) && s[i] != '_')
                        return false;
        return true;
}

/* Sets NAME=VALUE in *env, replacing an earlier entry. */
static void env_set(char ***env, const char *name, size_t nlen, const char *value) {
        char *entry = xasprintf("%.*s=%s", (int) nlen, name, value);
        for (char **e = *env; e && *e; e++)
                if (strncmp(*e, name, nlen) == 0 && (*e)[nlen] == '=') {
                        free(*e);
                        *e = entry;
                        return;
                }
        strv_push(env, entry);
}

static const char *env_get(char *const *env, const char *name, size_t nlen) {
        for (char *const *e = env; e && *e; e++)
                if (strncmp(*e, name, nlen) == 0 && (*e)[nlen] == '=')
                        return *e + nlen + 1;
        return NULL;
}

char **env_build(char *const *host_env, char *const *specs, char **ret_error) {
        _cleanup_strv_free_ char **env = xcalloc(1, sizeof(char *));
        for (char *const *e = host_env; e && *e; e++) {
                const char *eq = strchr(*e, '=');
                if (!eq)
                        continue;
                _cleanup_free_ char *name = strndup(*e, (size_t) (eq - *e));
                if (name && env_name_allowed(name))
                        env_set(&env, name, strlen(name), eq + 1);
        }
        const char *fixed[][2] = {
                { "PATH", SANDBOX_PATH }, { "HOME", "/home/build" }, { "USER", "build" },
                { "LOGNAME", "build" },   { "SHELL", "/bin/sh" },    { "TMPDIR", "/tmp" },
        };
        for (size_t i = 0; i < ELEMENTSOF(fixed); i++)
                env_set(&env, fixed[i][0], strlen(fixed[i][0]), fixed[i][1]);
        for (char *const *s = specs; s && *s; s++) {
                const char *eq = strchr(*s, '=');
                size_t nlen = eq ? (size_t) (eq - *s) : strlen(*s);
                if (!valid_name(*s, nlen)) {
                        *ret_error = xasprintf(
                                "invalid --env '%s'; use NAME or NAME=VALUE with a name of letters, digits and _", *s);
                        return NULL;
                }
                const char *value = eq ? eq + 1 : env_get(host_env, *s, nlen);
                if (!value)
                        continue; /* named but unset: stays unset, like env(1) */
                env_set(&env, *s, nlen, value);
        }
        return TAKE_PTR(env);
}
