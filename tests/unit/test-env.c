/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>

#include "basic/util.h"
#include "sandbox/env.h"
#include "tap.h"

static const char *get(char **env, const char *name) {
        size_t l = strlen(name);
        for (char **e = env; e && *e; e++)
                if (strncmp(*e, name, l) == 0 && (*e)[l] == '=')
                        return *e + l + 1;
        return NULL;
}

TEST(secrets_do_not_cross) {
        char *host[] = { "AWS_SECRET_ACCESS_KEY=leak",
                         "GITHUB_TOKEN=ghp_x",
                         "CI_JOB_TOKEN=t",
                         "SSH_AUTH_SOCK=/run/a",
                         "LANG=C.UTF-8",
                         "LC_ALL=C",
                         "TERM=xterm",
                         "PATH=/home/ci/bin:/usr/bin",
                         "HOME=/root",
                         "LD_PRELOAD=/evil.so",
                         NULL };
        char *err = NULL;
        char **env = env_build(host, NULL, &err);
        ASSERT_TRUE(env != NULL);
        ASSERT_TRUE(get(env, "AWS_SECRET_ACCESS_KEY") == NULL);
        ASSERT_TRUE(get(env, "GITHUB_TOKEN") == NULL);
        ASSERT_TRUE(get(env, "CI_JOB_TOKEN") == NULL);
        ASSERT_TRUE(get(env, "SSH_AUTH_SOCK") == NULL);
        ASSERT_TRUE(get(env, "LD_PRELOAD") == NULL);
        ASSERT_STREQ(get(env, "LANG"), "C.UTF-8");
        ASSERT_STREQ(get(env, "LC_ALL"), "C");
        ASSERT_STREQ(get(env, "TERM"), "xterm");
        ASSERT_STREQ(get(env, "PATH"), SANDBOX_PATH);
        ASSERT_STREQ(get(env, "HOME"), "/home/build");
        ASSERT_STREQ(get(env, "USER"), "build");
        ASSERT_STREQ(get(env, "TMPDIR"), "/tmp");
        strv_free(env);
}

TEST(named_variables_pass) {
        char *host[] = { "GITHUB_TOKEN=ghp_x", "UNSET_ELSEWHERE=1", NULL };
        char *specs[] = { "GITHUB_TOKEN", "CC=clang", "PATH=/opt/bin:/usr/bin", "NOT_IN_HOST", NULL };
        char *err = NULL;
        char **env = env_build(host, specs, &err);
        ASSERT_TRUE(env != NULL);
        ASSERT_STREQ(get(env, "GITHUB_TOKEN"), "ghp_x");
        ASSERT_STREQ(get(env, "CC"), "clang");
        ASSERT_STREQ(get(env, "PATH"), "/opt/bin:/usr/bin");
        ASSERT_TRUE(get(env, "NOT_IN_HOST") == NULL);
        ASSERT_TRUE(get(env, "UNSET_ELSEWHERE") == NULL);
        size_t paths = 0;
        for (char **e = env; *e; e++)
                paths += strncmp(*e, "PATH=", 5) == 0;
        ASSERT_EQ_INT(paths, 1);
        strv_free(env);
}

TEST(bad_specs) {
        char *host[] = { NULL };
        const char *bad[] = { "=x", "1ABC=x", "A-B=x", "", "A B" };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                char *specs[] = { (char *) bad[i], NULL };
                char *err = NULL;
                char **env = env_build(host, specs, &err);
                ASSERT_TRUE(env == NULL);
                ASSERT_TRUE(err != NULL && strstr(err, "--env") != NULL);
                free(err);
        }
}
