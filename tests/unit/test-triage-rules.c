/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Triage rule logic that needs no live host. */
#include "tap.h"
#include "basic/util.h"
#include "finding/catalog.h"
#include "triage/triage.h"

TEST(masquerade) {
        /* The incident: "mysql" running from a deleted /tmp file. */
        ASSERT_STREQ(masquerade_name("mysql", "mysql", "/tmp/mysql", true), "mysql");
        /* bash started as `exec -a postgres`: a daemon's name on an interpreter. */
        ASSERT_STREQ(masquerade_name("bash", "postgres", "/usr/bin/bash", false), "postgres");
        /* A kernel thread's name on a user process, wherever it runs from. */
        ASSERT_STREQ(masquerade_name("kworker/0:1", "[kworker/0:1]", "/usr/bin/python3.11", false), "kworker/0:1");
        ASSERT_STREQ(masquerade_name("x", "[kthreadd]", "/usr/bin/x", false), "[kthreadd]");
        /* sshd from /opt is fine, from /dev/shm it is not. */
        ASSERT_TRUE(masquerade_name("sshd", "/usr/sbin/sshd", "/usr/sbin/sshd", false) == NULL);
        ASSERT_STREQ(masquerade_name("sshd", "sshd", "/dev/shm/.s/sshd", false), "sshd");
        /* The real daemons: comm cut to 15 characters, re-exec under a new argv[0]. */
        ASSERT_TRUE(masquerade_name("systemd-journal", "/lib/systemd/systemd-journald",
                                    "/usr/lib/systemd/systemd-journald", false) == NULL);
        ASSERT_TRUE(masquerade_name("postgres", "postgres: checkpointer", "/usr/lib/postgresql/15/bin/postgres",
                                    false) == NULL);
        ASSERT_TRUE(masquerade_name("mariadbd", "/usr/sbin/mariadbd", "/usr/sbin/mariadbd", false) == NULL);
        /* Not a daemon's name at all. */
        ASSERT_TRUE(masquerade_name("make", "make", "/tmp/make", false) == NULL);
        /* Kernel threads have no exe. */
        ASSERT_TRUE(masquerade_name("kworker/0:1", NULL, NULL, false) == NULL);
}

TEST(writable_areas) {
        ASSERT_TRUE(path_is_tmp_area("/tmp/mysql"));
        ASSERT_TRUE(path_is_tmp_area("/dev/shm/.x"));
        ASSERT_TRUE(path_is_tmp_area("/var/tmp/a"));
        ASSERT_TRUE(path_is_tmp_area("/run/user/1000/x"));
        ASSERT_TRUE(!path_is_tmp_area("/tmpfoo/x"));
        ASSERT_TRUE(!path_is_tmp_area("/home/dev/.local/bin/tool"));
        ASSERT_TRUE(path_is_writable_area("/home/dev/.local/bin/tool"));
        ASSERT_TRUE(path_is_writable_area("/root/.pyenv/bin/python"));
        ASSERT_TRUE(path_is_writable_area("/tmp/x"));
        ASSERT_TRUE(!path_is_writable_area("/usr/bin/bash"));
        ASSERT_TRUE(!path_is_writable_area(NULL));
}

/* triage's rules share the catalog with run's, so SARIF and HTML describe them too. */
TEST(triage_rules_in_catalog) {
        size_t n, n_run;
        const struct rule_info *c = triage_rule_catalog(&n);
        const struct rule_info *run = rule_catalog(&n_run);
        ASSERT_TRUE(n > 0);
        for (size_t i = 0; i < n; i++) {
                ASSERT_TRUE(startswith(c[i].id, "triage.") != NULL);
                ASSERT_TRUE(strlen(c[i].summary) > 10 && strlen(c[i].attack) > 10);
                ASSERT_TRUE(rule_find(c[i].id) == &c[i]);
        }
        /* A run policy names run's rules only. */
        for (size_t i = 0; i < n_run; i++)
                ASSERT_TRUE(startswith(run[i].id, "triage.") == NULL);
        ASSERT_TRUE(rule_find("triage.masquerade") != NULL);
        ASSERT_TRUE(rule_find("triage.cron-download-exec") != NULL);
}
