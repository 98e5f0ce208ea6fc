/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The build's environment from buildward's own and from --env specs. Whatever
 * the input, a variable reaches the build only if it is on the allowlist, fixed
 * by buildward, or named by a spec: a secret must never slip through.
 */
#include <stdlib.h>
#include <string.h>

#include "basic/util.h"
#include "sandbox/env.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static bool named(char **specs, const char *name, size_t nlen) {
        for (char **s = specs; *s; s++)
                if (strncmp(*s, name, nlen) == 0 && ((*s)[nlen] == 0 || (*s)[nlen] == '='))
                        return true;
        return false;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
        if (size > 2048)
                return 0;
        char *buf = malloc(size + 1);
        memcpy(buf, data, size);
        buf[size] = 0;
        /* Lines before an empty line are the host environment, lines after are --env specs. */
        char **host = xcalloc(1, sizeof(char *)), **specs = xcalloc(1, sizeof(char *));
        bool in_specs = false;
        for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
                if (streq(line, "--")) {
                        in_specs = true;
                        continue;
                }
                strv_push(in_specs ? &specs : &host, xstrdup(line));
        }
        char *err = NULL;
        char **env = env_build(host, specs, &err);
        static const char *const fixed[] = { "PATH", "HOME", "USER", "LOGNAME", "SHELL", "TMPDIR" };
        for (char **e = env; e && *e; e++) {
                size_t nlen = strcspn(*e, "=");
                if ((*e)[nlen] != '=')
                        abort(); /* every entry is NAME=VALUE */
                char *name = strndup(*e, nlen);
                bool ok = env_name_allowed(name) || named(specs, name, nlen);
                for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
                        ok = ok || streq(name, fixed[i]);
                if (!ok)
                        abort(); /* a variable crossed that nobody asked for */
                free(name);
        }
        strv_free(env);
        strv_free(host);
        strv_free(specs);
        free(err);
        free(buf);
        return 0;
}
