/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The stages of `run` (src/run/) that need no root: options, out folder, verdict, report.json. */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/nofollow.h"
#include "detect/policy.h"
#include "run/outdir.h"
#include "run/report-json.h"
#include "run/run.h"
#include "tap.h"
#include "test-fs.h"

/* Parses ARGS (NULL-terminated, "run" first) into *O; the return code of run_options_parse(). */
static int parse(struct run_options *o, const char **args) {
        int argc = 0;
        while (args[argc])
                argc++;
        run_options_init(o);
        optind = 0; /* a fresh getopt scan per call */
        return run_options_parse(argc, (char **) args, o);
}

TEST(options_parse_every_value) {
        struct run_options o;
        const char *args[] = { "run",     "--out",     "o",      "--artifact", "dist/*.tar", "--timeout",
                               "1.5",     "--memory",  "512M",   "--pids",     "64",         "--cpus",
                               "0.5",     "--fail-on", "medium", "--hostname", "h",          "--bind",
                               "/tmp:/w", "--quiet",   "--",     "make",       "-j2",        NULL };
        ASSERT_EQ_INT(parse(&o, args), 0);
        ASSERT_STREQ(o.out, "o");
        ASSERT_STREQ(o.artifacts[0], "dist/*.tar");
        ASSERT_EQ_U64(o.cfg.timeout_usec, 1500000);
        ASSERT_EQ_U64(o.cfg.limits.memory, 512ULL << 20);
        ASSERT_EQ_U64(o.cfg.limits.pids, 64);
        ASSERT_EQ_U64(o.cfg.limits.cpus_milli, 500);
        ASSERT_EQ_INT(o.fail_on, SEV_MEDIUM);
        ASSERT_TRUE(o.fail_on_given);
        ASSERT_STREQ(o.cfg.hostname, "h");
        ASSERT_EQ_INT(o.cfg.n_binds, 1);
        ASSERT_STREQ(o.cfg.binds[0].dst, "/w");
        ASSERT_TRUE(o.cfg.binds[0].writable);
        ASSERT_TRUE(o.quiet);
        ASSERT_STREQ(o.cfg.argv[0], "make");
        ASSERT_STREQ(o.cfg.argv[1], "-j2");
        ASSERT_EQ_U64(o.cfg.tmp_size, RUN_DEFAULT_TMP_SIZE); /* the default stays */
        run_options_done(&o);
}

TEST(options_refuse_bad_values) {
        const char *bad[][6] = {
                { "run", "--timeout", "0", "--", "true", NULL },
                { "run", "--memory", "1K", "--", "true", NULL },
                { "run", "--pids", "1", "--", "true", NULL },
                { "run", "--cpus", "0.001", "--", "true", NULL },
                { "run", "--fail-on", "loud", "--", "true", NULL },
                { "run", "--artifact", "../x", "--", "true", NULL },
                { "run", "--artifact", "/etc/x", "--", "true", NULL },
                { "run", "--hostname", "a b", "--", "true", NULL },
                { "run", "--bind", "/tmp:rel", "--", "true", NULL },
                { "run", "--bind", "/tmp:/a/../b", "--", "true", NULL },
                { "run", "--no-such-option", "--", "true", NULL },
                { "run", "--out", NULL },
                { "run", "--quiet", NULL },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                struct run_options o;
                int r = parse(&o, bad[i]);
                if (r != EXIT_SETUP)
                        printf("#   case %zu (%s %s) gave %d\n", i, bad[i][1], bad[i][2] ? bad[i][2] : "", r);
                ASSERT_EQ_INT(r, EXIT_SETUP);
                run_options_done(&o);
        }
}

TEST(nofollow_creates_and_refuses_symlinks) {
        char *d = tmpdir();
        _cleanup_free_ char *deep = xasprintf("%s/a/b/c", d), *victim = xasprintf("%s/victim", d),
                            *link = xasprintf("%s/a/link", d), *via = xasprintf("%s/a/link/x", d),
                            *file = xasprintf("%s/f", d), *under_file = xasprintf("%s/f/x", d);
        int fd = open_dir_nofollow(deep, 0755, NULL);
        ASSERT_TRUE(fd >= 0);
        struct stat s;
        ASSERT_TRUE(stat(deep, &s) == 0 && S_ISDIR(s.st_mode));
        if (fd >= 0)
                close(fd);
        ASSERT_EQ_INT(mkdir(victim, 0755), 0);
        ASSERT_EQ_INT(symlink(victim, link), 0);
        char *culprit = NULL;
        ASSERT_EQ_INT(open_dir_nofollow(via, 0755, &culprit), -ELOOP);
        ASSERT_STREQ(culprit, link);
        free(culprit);
        culprit = NULL;
        ASSERT_EQ_INT(open_dir_nofollow(link, 0755, &culprit), -ELOOP); /* the last component too */
        free(culprit);
        _cleanup_free_ char *planted = xasprintf("%s/x", victim);
        ASSERT_TRUE(access(planted, F_OK) < 0); /* nothing made through the link */
        put(d, "f", "");
        ASSERT_EQ_INT(open_dir_nofollow(under_file, 0755, NULL), -ENOTDIR);
        ASSERT_EQ_INT(open_dir_nofollow(file, 0755, NULL), -ENOTDIR);
        cleanup_dir(d);
}

TEST(out_dir_refuses_open_folders_and_clears_old_outputs) {
        char *d = tmpdir();
        _cleanup_free_ char *out = xasprintf("%s/out", d), *open_dir = xasprintf("%s/open", d),
                            *victim = xasprintf("%s/victim", d);
        char *why = NULL;
        ASSERT_EQ_INT(mkdir(open_dir, 0777), 0);
        ASSERT_EQ_INT(chmod(open_dir, 0777), 0);
        ASSERT_EQ_INT(out_dir_open(open_dir, &why), -EPERM);
        ASSERT_TRUE(why && strstr(why, "writable by everyone"));
        free(why);
        why = NULL;

        int fd = out_dir_open(out, &why);
        ASSERT_TRUE(fd >= 0);
        ASSERT_TRUE(!why);
        if (fd < 0) {
                free(why);
                cleanup_dir(d);
                return;
        }
        ASSERT_EQ_INT(mkdir(victim, 0755), 0);
        put(d, "victim/keep", "precious");
        put(d, "out/report.json", "{}");
        put(d, "out/events.jsonl", "");
        _cleanup_free_ char *arts = xasprintf("%s/artifacts", out), *escape = xasprintf("%s/artifacts/escape", out);
        ASSERT_EQ_INT(mkdir(arts, 0755), 0);
        put(d, "out/artifacts/stale.bin", "old");
        ASSERT_EQ_INT(symlink(victim, escape), 0);
        put(d, "out/notes.txt", "the user's own file");
        ASSERT_EQ_INT(out_dir_clear(fd), 0);
        ASSERT_TRUE(faccessat(fd, "report.json", F_OK, 0) < 0);
        ASSERT_TRUE(faccessat(fd, "events.jsonl", F_OK, 0) < 0);
        ASSERT_TRUE(faccessat(fd, "artifacts", F_OK, AT_SYMLINK_NOFOLLOW) < 0);
        ASSERT_TRUE(faccessat(fd, "notes.txt", F_OK, 0) == 0); /* only buildward's outputs go */
        _cleanup_free_ char *keep = xasprintf("%s/keep", victim);
        ASSERT_TRUE(access(keep, F_OK) == 0); /* the symlink was removed, not followed */

        char *argv[] = { "make", "all", NULL };
        ASSERT_EQ_INT(out_dir_mark_aborted(fd, argv, 1700000000000000ULL), 0);
        _cleanup_free_ char *rpath = xasprintf("%s/report.json", out);
        json_object *j = json_object_from_file(rpath);
        json_object *v = NULL, *c = NULL;
        ASSERT_TRUE(j && json_object_object_get_ex(j, "verdict", &v));
        ASSERT_STREQ(json_object_get_string(v), "aborted");
        ASSERT_TRUE(json_object_object_get_ex(j, "command", &c) && json_object_array_length(c) == 2);
        json_object_put(j);
        out_dir_unmark(fd);
        ASSERT_TRUE(faccessat(fd, "report.json", F_OK, 0) < 0);
        close(fd);
        cleanup_dir(d);
}

static struct sandbox_result exited(int code) {
        return (struct sandbox_result){ .end = SANDBOX_END_EXITED, .status = W_EXITCODE(code, 0) };
}

TEST(verdict_and_exit_code) {
        struct sandbox_result r = exited(0);
        struct run_verdict v = run_judge(SEV_HIGH, -1, &r, 0, 0, false);
        ASSERT_TRUE(v.pass);
        ASSERT_EQ_INT(v.exit_code, 0);
        r = exited(3);
        v = run_judge(SEV_HIGH, SEV_MEDIUM, &r, 0, 0, false);
        ASSERT_TRUE(v.pass); /* below --fail-on: the command's own code */
        ASSERT_EQ_INT(v.exit_code, 3);
        v = run_judge(SEV_HIGH, SEV_HIGH, &r, 0, 0, false);
        ASSERT_TRUE(!v.pass);
        ASSERT_EQ_INT(v.exit_code, EXIT_VERDICT_FAIL);
        v = run_judge(SEV_NEVER, SEV_CRITICAL, &r, 0, 0, false);
        ASSERT_TRUE(v.pass);
        r = exited(0);
        v = run_judge(SEV_HIGH, -1, &r, 1, 0, false); /* one lost event */
        ASSERT_TRUE(!v.pass);
        ASSERT_EQ_INT(v.exit_code, EXIT_VERDICT_FAIL);
        v = run_judge(SEV_HIGH, -1, &r, 0, 12, false); /* events.jsonl cut at --events-max-size */
        ASSERT_TRUE(!v.pass);
        ASSERT_EQ_INT(v.exit_code, EXIT_VERDICT_FAIL);
        v = run_judge(SEV_NEVER, -1, &r, 0, 12, false); /* even with --fail-on never */
        ASSERT_TRUE(!v.pass);
        v = run_judge(SEV_HIGH, -1, &r, 0, 0, true); /* --enforce without the monitor */
        ASSERT_TRUE(!v.pass);
        r = (struct sandbox_result){ .end = SANDBOX_END_TIMEOUT };
        v = run_judge(SEV_NEVER, -1, &r, 0, 0, false);
        ASSERT_TRUE(!v.pass);
        ASSERT_EQ_INT(v.exit_code, EXIT_TIMEOUT);
        r = (struct sandbox_result){ .end = SANDBOX_END_INTERRUPTED, .signal = SIGTERM };
        v = run_judge(SEV_NEVER, -1, &r, 0, 0, false);
        ASSERT_TRUE(!v.pass);
        ASSERT_EQ_INT(v.exit_code, 128 + SIGTERM);
        r = (struct sandbox_result){ .end = SANDBOX_END_EXEC_FAILED, .exec_errno = ENOENT };
        ASSERT_EQ_INT(run_judge(SEV_HIGH, -1, &r, 0, 0, false).exit_code, 127);
        r.exec_errno = EACCES;
        ASSERT_EQ_INT(run_judge(SEV_HIGH, -1, &r, 0, 0, false).exit_code, 126);
        r = (struct sandbox_result){ .end = SANDBOX_END_EXITED, .status = SIGKILL };
        ASSERT_EQ_INT(run_judge(SEV_HIGH, -1, &r, 0, 0, false).exit_code, 128 + SIGKILL);
}

TEST(sandbox_findings) {
        char *argv[] = { "kworker/0:1", NULL };
        struct survivor s = { .host_pid = 4242, .pid = 7, .exe = "/tmp/.x", .exe_deleted = true, .argv = argv };
        struct sandbox_result r = { .end = SANDBOX_END_TIMEOUT, .survivors = &s, .n_survivors = 1 };
        r.usage.oom_kills = 1;
        struct finding_list fl = {};
        run_add_survivor_findings(&r, &fl);
        run_add_limit_findings(&r, &fl);
        ASSERT_EQ_INT(fl.n, 3);
        ASSERT_STREQ(fl.v[0].rule, "process-survival.alive-at-exit");
        ASSERT_EQ_INT(fl.v[0].severity, SEV_HIGH);
        ASSERT_TRUE(strstr(fl.v[0].detail, "kworker/0:1") != NULL);
        ASSERT_STREQ(fl.v[1].rule, "resource-abuse.timeout");
        ASSERT_STREQ(fl.v[2].rule, "resource-abuse.memory-limit");
        finding_list_done(&fl);
}

static const char *jget(json_object *o, const char *path) {
        _cleanup_free_ char *copy = xstrdup(path);
        for (char *save = NULL, *k = strtok_r(copy, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
                if (!json_object_object_get_ex(o, k, &o))
                        return NULL;
        return o ? json_object_get_string(o) : NULL;
}

TEST(report_json_of_an_outcome) {
        struct run_options o;
        const char *args[] = { "run", "--no-monitor", "--", "make", NULL };
        ASSERT_EQ_INT(parse(&o, args), 0);
        o.cfg.source = xstrdup("/src");
        o.cfg.hostname = xstrdup("buildward");
        o.out = xstrdup("/nonexistent-out");
        struct run_monitor rm = { .out_fd = -EBADF };
        struct run_outcome out = { .res = exited(2), .start_realtime = 1700000000000000ULL, .duration_usec = 1234567 };
        out.st.host_uid = 100000;
        out.st.cg.mode = CGROUP_NONE;
        struct artifact a = { .path = "dist/x.tar", .sha256 = "ab", .size = 7 };
        out.artifacts = (struct artifact_list){ .v = &a, .n = 1 };
        out.verdict = run_judge(o.fail_on, -1, &out.res, 0, 0, false);
        json_object *j = run_report_json(&o, &rm, &out);
        ASSERT_STREQ(jget(j, "verdict"), "pass");
        ASSERT_STREQ(jget(j, "exit_code"), "2");
        ASSERT_STREQ(jget(j, "buildward_exit_code"), "2");
        ASSERT_STREQ(jget(j, "duration_s"), "1.235");
        ASSERT_STREQ(jget(j, "monitor.enabled"), "false");
        ASSERT_STREQ(jget(j, "monitor.reason"), "disabled with --no-monitor");
        ASSERT_STREQ(jget(j, "sandbox.source"), "/src");
        ASSERT_STREQ(jget(j, "sandbox.cgroup.version"), "none");
        json_object *arts = NULL;
        ASSERT_TRUE(json_object_object_get_ex(j, "artifacts", &arts) && json_object_array_length(arts) == 1);
        ASSERT_STREQ(json_object_get_string(json_object_object_get(json_object_array_get_idx(arts, 0), "path")),
                     "dist/x.tar");
        json_object_put(j);
        run_options_done(&o);
}

TEST(lsm_rule_flags_only_where_the_kernel_decides_exactly) {
        const char *path;
        struct protect_rule file = { .path = "/usr/bin/cc", .prefix = "/usr/bin/cc", .has_write = true };
        ASSERT_TRUE(run_lsm_rule_flags(&file, &path) != 0);
        ASSERT_STREQ(path, "/usr/bin/cc");
        struct protect_rule tree = { .path = "/usr/lib/gcc/**", .prefix = "/usr/lib/gcc/", .has_write = true };
        ASSERT_TRUE(run_lsm_rule_flags(&tree, &path) != 0);
        ASSERT_STREQ(path, "/usr/lib/gcc/");
        struct protect_rule glob = { .path = "/usr/bin/*.so", .prefix = "/usr/bin/", .has_write = true };
        ASSERT_EQ_INT(run_lsm_rule_flags(&glob, &path), 0);
}
