/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The rule engine without root: recorded scenarios (tests/unit/data/detect,
 * made by t-detect.sh with BW_DETECT_FIXTURES) replayed to the same rules,
 * synthetic events for what a test must not do for real (traffic to other
 * hosts), the policy file, and the catalog's own consistency.
 */
#include <dirent.h>

#include "basic/util.h"

#include "finding/catalog.h"
#include "detect/engine.h"
#include "detect/policy.h"
#include "tap.h"

#ifndef BW_TEST_DATA
#error "BW_TEST_DATA must name tests/unit/data"
#endif

/* Replays FILE through an engine with POLICY; returns the sorted, unique rule ids, space-separated. */
static char *replay_file(const char *file, const struct policy *policy, struct finding_list *ret) {
        FILE *f = fopen(file, "re");
        if (!f)
                return NULL;
        struct engine *e = engine_new(policy);
        char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, f) > 0) {
                json_object *o = json_tokener_parse(line);
                struct event ev;
                if (o && event_from_json(o, &ev) == 0) {
                        engine_feed(e, &ev);
                        free(ev.argv);
                }
                json_object_put(o);
        }
        free(line);
        fclose(f);
        struct finding_list fl = {};
        engine_take_findings(e, &fl);
        engine_free(e);
        /* unique, sorted */
        char **ids = NULL;
        for (size_t i = 0; i < fl.n; i++) {
                bool dup = false;
                for (char **x = ids; x && *x; x++)
                        dup = dup || streq(*x, fl.v[i].rule);
                if (!dup)
                        strv_push(&ids, xstrdup(fl.v[i].rule));
        }
        size_t n = strv_length(ids);
        for (size_t i = 0; i < n; i++)
                for (size_t j = i + 1; j < n; j++)
                        if (strcmp(ids[i], ids[j]) > 0) {
                                char *t = ids[i];
                                ids[i] = ids[j];
                                ids[j] = t;
                        }
        char *s = xstrdup("");
        for (size_t i = 0; i < n; i++) {
                char *t = xasprintf("%s%s%s", s, i ? " " : "", ids[i]);
                free(s);
                s = t;
        }
        strv_free(ids);
        if (ret)
                *ret = fl;
        else
                finding_list_done(&fl);
        return s;
}

TEST(recorded_scenarios_replay_to_their_rules) {
        const char *dir = BW_TEST_DATA "/detect";
        DIR *d = opendir(dir);
        ASSERT_TRUE(d != NULL);
        if (!d)
                return;
        int n = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                size_t l = strlen(de->d_name);
                if (l < 7 || !streq(de->d_name + l - 6, ".jsonl"))
                        continue;
                _cleanup_free_ char *jsonl = xasprintf("%s/%s", dir, de->d_name);
                _cleanup_free_ char *rules_file = xasprintf("%s/%.*s.rules", dir, (int) (l - 6), de->d_name);
                _cleanup_free_ char *want = NULL;
                size_t sz;
                ASSERT_EQ_INT(read_full_file(rules_file, &want, &sz, 1 << 16), 0);
                if (!want)
                        continue;
                for (char *c = want; *c; c++)
                        if (*c == '\n')
                                *c = ' ';
                while (sz > 0 && want[sz - 1] == ' ')
                        want[--sz] = 0;
                _cleanup_free_ char *got = replay_file(jsonl, NULL, NULL);
                if (!streq_ptr(got, want))
                        printf("#   %s\n", de->d_name);
                ASSERT_STREQ(got, want);
                n++;
        }
        closedir(d);
        ASSERT_TRUE(n >= 15);
}

/* Feeds the events of JSONL (one event per line, in a string) to a fresh engine. */
static char *replay_string(const char *jsonl, const struct policy *policy, struct finding_list *ret) {
        char path[] = "/tmp/bw-unit-detect.XXXXXX";
        int fd = mkstemp(path);
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ_INT(loop_write(fd, jsonl, strlen(jsonl)), 0);
        close(fd);
        char *s = replay_file(path, policy, ret);
        unlink(path);
        return s;
}

#define START "{\"time\":\"2026-01-01T00:00:00.000Z\",\"type\":\"start\",\"source\":\"/src\",\"version\":1}\n"
#define EXEC(pid, ppid, file, argv)                                                                                    \
        "{\"time\":\"2026-01-01T00:00:01.000Z\",\"type\":\"exec\",\"pid\":" #pid ",\"ppid\":" #ppid                    \
        ",\"comm\":\"x\",\"filename\":\"" file "\",\"exe_ino\":5,\"exe_nlink\":1,\"argv\":" argv "}\n"
#define CONNECT(pid, addr)                                                                                             \
        "{\"time\":\"2026-01-01T00:00:02.000Z\",\"type\":\"syscall\",\"pid\":" #pid                                    \
        ",\"ppid\":1,\"syscall\":\"connect\",\"addr\":\"" addr "\",\"args\":[3,0,16,0,0,0]}\n"

TEST(network_egress_without_sending_anything) {
        /* Events only: no test sends traffic to another host (TESTING.md). */
        _cleanup_free_ char *got = replay_string(START EXEC(10, 1, "/usr/bin/curl", "[\"curl\",\"https://x\"]")
                                                         CONNECT(10, "192.0.2.7:443") CONNECT(10, "198.51.100.9:3333")
                                                                 CONNECT(10, "127.0.0.1:8080") CONNECT(10, "[::1]:80"),
                                                 NULL, NULL);
        ASSERT_STREQ(got, "crypto-miner.pool-port network-egress.connect network-egress.download-tool");
}

TEST(loopback_and_test_servers_are_quiet) {
        _cleanup_free_ char *got = replay_string(START EXEC(10, 1, "/usr/bin/python3", "[\"python3\",\"t.py\"]")
                                                         CONNECT(10, "127.0.0.1:5432") CONNECT(10, "[::1]:6379")
                                                                 CONNECT(10, "unix:/tmp/test.sock"),
                                                 NULL, NULL);
        ASSERT_STREQ(got, "");
}

TEST(host_daemon_socket) {
        _cleanup_free_ char *got = replay_string(START EXEC(10, 1, "/usr/bin/python3", "[\"python3\"]")
                                                         CONNECT(10, "unix:/var/run/docker.sock"),
                                                 NULL, NULL);
        ASSERT_STREQ(got, "sandbox-escape.host-socket");
}

TEST(every_rule_is_checked_no_first_match) {
        /* one exec matching several rules: all of them report */
        _cleanup_free_ char *got = replay_string(
                START EXEC(10, 1, "/tmp/xmrig", "[\"kworker\",\"-o\",\"stratum+tcp://p:3333\"]"), NULL, NULL);
        ASSERT_STREQ(got, "anti-forensics.masquerade crypto-miner.known-miner exec-from-writable.dropped-binary");
}

/* A policy that must parse: NULL (and the error printed) when it does not. */
static struct policy *parse_ok(const char *yaml, size_t n) {
        struct policy *p = NULL;
        _cleanup_free_ char *err = NULL;
        ASSERT_EQ_INT(policy_parse("p.yml", yaml, n, &p, &err), 0);
        if (!p)
                printf("#   %s\n", err);
        return p;
}

TEST(policy_suppresses_with_reason_and_changes_severity) {
        static const char yaml[] = "version: 1\n"
                                   "fail_on: medium\n"
                                   "suppress:\n"
                                   "  - rule: exec-from-writable.*\n"
                                   "    reason: our tests run helpers from /tmp\n"
                                   "    path: /tmp/**\n"
                                   "  - rule: anti-forensics.masquerade\n"
                                   "    reason: never matches this exe\n"
                                   "    exe: /usr/bin/*\n"
                                   "severity:\n"
                                   "  - rule: crypto-miner.known-miner\n"
                                   "    severity: low\n"
                                   "    reason: a benchmark named like a miner\n";
        struct policy *p = parse_ok(yaml, sizeof(yaml) - 1);
        if (!p)
                return;
        ASSERT_TRUE(p->has_fail_on && p->fail_on == SEV_MEDIUM);
        ASSERT_EQ_INT(p->n_supp, 2);
        struct finding_list fl = {};
        _cleanup_free_ char *got =
                replay_string(START EXEC(10, 1, "/tmp/xmrig", "[\"kworker\",\"-o\",\"stratum+tcp://p:3333\"]"), p, &fl);
        ASSERT_STREQ(got, "anti-forensics.masquerade crypto-miner.known-miner");
        for (size_t i = 0; i < fl.n; i++)
                if (streq(fl.v[i].rule, "crypto-miner.known-miner")) {
                        ASSERT_EQ_INT(fl.v[i].severity, SEV_LOW);
                        json_object *why;
                        ASSERT_TRUE(json_object_object_get_ex(fl.v[i].evidence, "severity_changed_by_policy", &why));
                }
        finding_list_done(&fl);
        ASSERT_EQ_INT(policy_suppression(p, "exec-from-writable.dropped-binary", "/x", "/tmp/a/b"), 0);
        ASSERT_EQ_INT(policy_suppression(p, "exec-from-writable.dropped-binary", "/x", "/var/tmp/a"), -1);
        ASSERT_EQ_INT(policy_suppression(p, "anti-forensics.masquerade", "/tmp/x", NULL), -1);
        ASSERT_EQ_INT(policy_suppression(p, "anti-forensics.masquerade", "/usr/bin/x", NULL), 1);
        policy_free(p);
}

struct bad_policy {
        const char *yaml, *want;
};

/* Each policy is refused with one line that contains WANT and names cause and fix ("cause; fix"). */
static void check_policy_errors(const struct bad_policy *bad, size_t n) {
        for (size_t i = 0; i < n; i++) {
                struct policy *p = NULL;
                char *err = NULL;
                ASSERT_EQ_INT(policy_parse("p.yml", bad[i].yaml, strlen(bad[i].yaml), &p, &err), -EINVAL);
                ASSERT_TRUE(p == NULL);
                ASSERT_TRUE(err && strstr(err, bad[i].want));
                if (err && !strstr(err, bad[i].want))
                        printf("#   got: %s\n", err);
                ASSERT_TRUE(err && strchr(err, ';') && !strchr(err, '\n'));
                free(err);
        }
}

TEST(policy_errors_name_the_line_and_the_fix) {
        static const struct bad_policy bad[] = {
                { "", "needs at least 'version: 1'" },
                { "fail_on: high\n", "no version" },
                { "version: 2\n", "version '2'" },
                { "version: 1\nsuppress:\n  - rule: x.y\n    reason: r\n", "p.yml:3: no rule is called 'x.y'" },
                { "version: 1\nsuppress:\n  - rule: network-egress.connect\n", "p.yml:3: this entry has no 'reason'" },
                { "version: 1\nsuppress:\n  - rule: network-egress.*\n    reason: a\n    reason: b\n", "given twice" },
                { "version: 1\nseverity:\n  - rule: network-egress.connect\n    severity: urgent\n    reason: r\n",
                  "'urgent' is not a severity" },
                { "version: 1\nsupress: []\n", "p.yml:2: unknown key 'supress'" },
                { "version: 1\nsuppress: [\n", "not valid YAML" },
                { "- a\n- b\n", "not a mapping" },
        };
        check_policy_errors(bad, ELEMENTSOF(bad));
}

#define DIGEST_A                                                                                                       \
        "sha256:"                                                                                                      \
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

TEST(policy_protect_parses_paths_and_allowed_executables) {
        static const char yaml[] = "version: 1\n"
                                   "protect:\n"
                                   "  - path: /src/keys/**\n"
                                   "    read: [" DIGEST_A ", /usr/bin/gpg]\n"
                                   "    write: []\n"
                                   "    reason: signing key\n"
                                   "  - path: /src/out/*.bin\n"
                                   "    write: [/usr/bin/ld.bfd]\n"
                                   "    reason: only the linker writes outputs\n";
        struct policy *p = parse_ok(yaml, sizeof(yaml) - 1);
        if (!p)
                return;
        ASSERT_EQ_INT(p->n_protect, 2);
        const struct protect_rule *k = &p->protect[0], *o = &p->protect[1];
        ASSERT_STREQ(k->prefix, "/src/keys/");
        ASSERT_STREQ(o->prefix, "/src/out/");
        ASSERT_EQ_INT(k->line, 3);
        ASSERT_TRUE(protect_covers(k, "/src/keys/a/signing.key"));
        ASSERT_TRUE(!protect_covers(k, "/src/keysx"));
        ASSERT_TRUE(protect_covers(o, "/src/out/app.bin") && !protect_covers(o, "/src/out/app.txt"));
        /* identity is the sealed digest or the sealed path; nothing else passes */
        ASSERT_TRUE(protect_allows(k, false, DIGEST_A, "/usr/local/bin/signer"));
        ASSERT_TRUE(protect_allows(k, false, "sha256:ff", "/usr/bin/gpg"));
        ASSERT_TRUE(!protect_allows(k, false, NULL, NULL));
        ASSERT_TRUE(!protect_allows(k, false, "sha256:ff", "/tmp/gpg"));
        ASSERT_TRUE(!protect_allows(k, true, DIGEST_A, "/usr/bin/gpg")); /* write: [] is nobody */
        ASSERT_TRUE(protect_allows(o, false, NULL, NULL));               /* no read: key, reads are free */
        ASSERT_TRUE(policy_names_executables(p) == k);
        policy_free(p);
}

/* An open the BPF-LSM program refused (lsm.bpf.c): entry I of the policy, the read (W 0) or the write (W 1). */
#define LSM_REFUSED(pid, path, flags, i, w)                                                                            \
        "{\"time\":\"2026-01-01T00:00:02.000Z\",\"type\":\"syscall\",\"pid\":" #pid                                    \
        ",\"ppid\":1,\"syscall\":\"openat\",\"path\":\"" path "\",\"flags\":" #flags                                   \
        ",\"result\":-1,\"resolved\":true,\"refused_by\":\"bpf-lsm\",\"args\":[" #i "," #w ",0,0,0," #flags "]}\n"
/* The same write as recorded at the call's entry (the path as given). */
#define OPEN_WRITE(pid, path)                                                                                          \
        "{\"time\":\"2026-01-01T00:00:02.000Z\",\"type\":\"syscall\",\"pid\":" #pid                                    \
        ",\"ppid\":1,\"syscall\":\"openat\",\"path\":\"" path "\",\"flags\":1089,\"args\":[0,0,1089,0,0,1089]}\n"

TEST(policy_protect_refused_in_the_kernel) {
        static const char yaml[] = "version: 1\n"
                                   "protect:\n"
                                   "  - path: /src/out/*.bin\n"
                                   "    read: []\n"
                                   "    reason: detected only\n"
                                   "  - path: /src/keys/**\n"
                                   "    read: []\n"
                                   "    write: []\n"
                                   "    reason: signing key\n";
        struct policy *p = parse_ok(yaml, sizeof(yaml) - 1);
        if (!p)
                return;
        /* a refused read: the finding names entry 1, says the kernel refused it; the open never succeeded */
        struct finding_list fl = {};
        _cleanup_free_ char *got = replay_string(
                START EXEC(10, 1, "/usr/bin/cat", "[\"cat\"]") LSM_REFUSED(10, "/src/keys/k", 0, 1, 0), p, &fl);
        ASSERT_STREQ(got, "secret-access.protected-read");
        json_object *v;
        ASSERT_TRUE(fl.n == 1 && json_object_object_get_ex(fl.v[0].evidence, "refused_in_kernel", &v) &&
                    json_object_get_boolean(v));
        ASSERT_TRUE(fl.n == 1 && json_object_object_get_ex(fl.v[0].evidence, "result", &v) &&
                    streq(json_object_get_string(v), "refused in the kernel (BPF-LSM, EPERM)"));
        ASSERT_TRUE(fl.n == 1 && json_object_object_get_ex(fl.v[0].evidence, "protected_by", &v) &&
                    streq(json_object_get_string(v), "/src/keys/**"));
        finding_list_done(&fl);
        /* a refused write was recorded at entry too: one finding, marked refused, not two */
        _cleanup_free_ char *got2 =
                replay_string(START EXEC(11, 1, "/usr/bin/sh", "[\"sh\"]") OPEN_WRITE(11, "/src/keys/k")
                                      LSM_REFUSED(11, "/src/keys/k", 1089, 1, 1),
                              p, &fl);
        ASSERT_STREQ(got2, "toolchain-tamper.protected-write");
        ASSERT_EQ_INT(fl.n, 1);
        ASSERT_TRUE(fl.n == 1 && json_object_object_get_ex(fl.v[0].evidence, "refused_in_kernel", &v) &&
                    json_object_get_boolean(v));
        finding_list_done(&fl);
        policy_free(p);
}

/* A call the BPF-LSM program refused: SC on PATH and PATH2; entry I refused the read (W 0) or write (W 1) of WHICH. */
#define LSM_REFUSED_CALL(pid, sc, path, path2, i, w, which)                                                            \
        "{\"time\":\"2026-01-01T00:00:02.000Z\",\"type\":\"syscall\",\"pid\":" #pid ",\"ppid\":1,\"syscall\":\"" sc    \
        "\",\"path\":\"" path "\",\"path2\":\"" path2 "\",\"result\":-1,\"resolved\":true,\"refused_by\":\"bpf-lsm\"," \
        "\"args\":[" #i "," #w "," #which ",0,0,0]}\n"
/* A call with two paths as recorded at its entry (rename, link). */
#define CALL2(pid, sc, path, path2)                                                                                    \
        "{\"time\":\"2026-01-01T00:00:02.000Z\",\"type\":\"syscall\",\"pid\":" #pid ",\"ppid\":1,\"syscall\":\"" sc    \
        "\",\"path\":\"" path "\",\"path2\":\"" path2 "\",\"args\":[0,0,0,0,0,0]}\n"
#define CALL1(pid, sc, path)                                                                                           \
        "{\"time\":\"2026-01-01T00:00:02.000Z\",\"type\":\"syscall\",\"pid\":" #pid ",\"ppid\":1,\"syscall\":\"" sc    \
        "\",\"path\":\"" path "\",\"args\":[0,0,0,0,0,0]}\n"
/* An exec the monitor verified as the sealed file with digest DIGEST_A. */
#define EXEC_SEALED(pid, file)                                                                                         \
        "{\"time\":\"2026-01-01T00:00:01.000Z\",\"type\":\"exec\",\"pid\":" #pid ",\"ppid\":1,\"comm\":\"x\","         \
        "\"filename\":\"" file "\",\"exe_ino\":5,\"exe_nlink\":1,\"argv\":[\"x\"],\"toolchain\":\"match\","            \
        "\"toolchain_digest\":\"" DIGEST_A "\",\"toolchain_path\":\"" file "\"}\n"

/* The evidence string KEY of finding I, or "". */
static const char *evidence_str(const struct finding_list *fl, size_t i, const char *key) {
        json_object *v;
        return i < fl->n && json_object_object_get_ex(fl->v[i].evidence, key, &v) ? json_object_get_string(v) : "";
}

TEST(policy_protect_contains_directories_above) {
        static const char yaml[] = "version: 1\n"
                                   "protect:\n"
                                   "  - path: /src/keys/**\n"
                                   "    write: []\n"
                                   "    reason: r\n"
                                   "  - path: /src/deploy.token\n"
                                   "    write: []\n"
                                   "    reason: r\n";
        struct policy *p = parse_ok(yaml, sizeof(yaml) - 1);
        if (!p)
                return;
        const struct protect_rule *k = &p->protect[0], *t = &p->protect[1];
        ASSERT_TRUE(protect_contains(k, "/src") && protect_contains(k, "/src/keys"));
        ASSERT_TRUE(!protect_contains(k, "/src/keys/a") && !protect_contains(k, "/src/key") &&
                    !protect_contains(k, "/"));
        ASSERT_TRUE(protect_contains(t, "/src") && !protect_contains(t, "/src/deploy") &&
                    !protect_contains(t, "/src/deploy.token"));
        policy_free(p);
}

static const char name_calls_policy[] = "version: 1\n"
                                        "protect:\n"
                                        "  - path: /src/keys/**\n"
                                        "    read: [" DIGEST_A "]\n"
                                        "    write: []\n"
                                        "    reason: signing key\n"
                                        "  - path: /src/deploy.token\n"
                                        "    read: []\n"
                                        "    reason: reads only\n";

/* Calls that change a protected name without opening it, as the monitor records them at entry. */
TEST(policy_protect_name_calls_detected) {
        struct policy *p = parse_ok(name_calls_policy, sizeof(name_calls_policy) - 1);
        if (!p)
                return;
        struct finding_list fl = {};
        /* renaming the directory above the key: the move would reveal it, so the read is refused first */
        _cleanup_free_ char *above = replay_string(
                START EXEC(12, 1, "/usr/bin/mv", "[\"mv\"]") CALL2(12, "rename", "/src", "/elsewhere"), p, &fl);
        ASSERT_STREQ(above, "secret-access.protected-read");
        ASSERT_TRUE(fl.n == 1 && strstr(fl.v[0].detail, "'/src', a directory above what the policy protects"));
        finding_list_done(&fl);
        /* a hard link by the sealed reader: it may read, not write, and a second name serves both */
        _cleanup_free_ char *link =
                replay_string(START EXEC_SEALED(13, "/opt/signer") CALL2(13, "link", "/src/keys/k", "/tmp/k"), p, &fl);
        ASSERT_STREQ(link, "toolchain-tamper.protected-write");
        finding_list_done(&fl);
        /* by anyone else, the read is refused first, as the kernel reports it */
        _cleanup_free_ char *link2 = replay_string(
                START EXEC(14, 1, "/usr/bin/ln", "[\"ln\"]") CALL2(14, "linkat", "/src/keys/k", "/tmp/k"), p, &fl);
        ASSERT_STREQ(link2, "secret-access.protected-read");
        finding_list_done(&fl);
        /* an entry restricting reads only: renaming the file away reveals it, removing it does not */
        _cleanup_free_ char *away = replay_string(
                START EXEC(15, 1, "/usr/bin/mv", "[\"mv\"]") CALL2(15, "rename", "/src/deploy.token", "/tmp/t")
                        CALL1(15, "unlink", "/src/deploy.token") CALL1(15, "truncate", "/src/deploy.token"),
                p, &fl);
        ASSERT_STREQ(away, "secret-access.protected-read");
        ASSERT_EQ_INT(fl.n, 1);
        finding_list_done(&fl);
        /* rmdir is a delete */
        _cleanup_free_ char *rmdir = replay_string(
                START EXEC(16, 1, "/usr/bin/rmdir", "[\"rmdir\"]") CALL1(16, "rmdir", "/src/keys"), p, &fl);
        ASSERT_STREQ(rmdir, "toolchain-tamper.protected-write");
        finding_list_done(&fl);
        policy_free(p);
}

/* What the BPF-LSM program refuses besides opens (lsm.bpf.c): the findings as the monitor gives them. */
TEST(policy_protect_name_calls_refused_in_the_kernel) {
        struct policy *p = parse_ok(name_calls_policy, sizeof(name_calls_policy) - 1);
        if (!p)
                return;
        struct finding_list fl = {};
        /* rm: recorded at entry, then refused: one finding, marked, with the call's entry as its evidence */
        _cleanup_free_ char *rm =
                replay_string(START EXEC(10, 1, "/usr/bin/rm", "[\"rm\"]") CALL1(10, "unlink", "/src/keys/k")
                                      LSM_REFUSED_CALL(10, "unlinkat", "/src/keys/k", "", 0, 1, 0),
                              p, &fl);
        ASSERT_STREQ(rm, "toolchain-tamper.protected-write");
        ASSERT_EQ_INT(fl.n, 1);
        ASSERT_TRUE(fl.n == 1 && json_object_object_get_ex(fl.v[0].evidence, "refused_in_kernel", NULL));
        ASSERT_STREQ(evidence_str(&fl, 0, "syscall"), "unlink");
        finding_list_done(&fl);
        /* mv over: the refused path is the second one; only the kernel saw it (a symlinked directory, say) */
        _cleanup_free_ char *over =
                replay_string(START EXEC(11, 1, "/usr/bin/mv", "[\"mv\"]")
                                      LSM_REFUSED_CALL(11, "renameat2", "/src/notes", "/src/keys/k", 0, 1, 1),
                              p, &fl);
        ASSERT_STREQ(over, "toolchain-tamper.protected-write");
        ASSERT_STREQ(evidence_str(&fl, 0, "path"), "/src/keys/k");
        ASSERT_STREQ(evidence_str(&fl, 0, "result"), "refused in the kernel (BPF-LSM, EPERM)");
        ASSERT_TRUE(fl.n == 1 && strstr(fl.v[0].detail, "tried to replace '/src/keys/k', which the policy"));
        finding_list_done(&fl);
        /* the directory above, detected at entry: that finding is marked, not a second one added */
        _cleanup_free_ char *above =
                replay_string(START EXEC(12, 1, "/usr/bin/mv", "[\"mv\"]") CALL2(12, "rename", "/src", "/elsewhere")
                                      LSM_REFUSED_CALL(12, "renameat2", "/src", "/elsewhere", 0, 0, 0),
                              p, &fl);
        ASSERT_STREQ(above, "secret-access.protected-read");
        ASSERT_EQ_INT(fl.n, 1);
        ASSERT_TRUE(fl.n == 1 && json_object_object_get_ex(fl.v[0].evidence, "refused_in_kernel", NULL));
        finding_list_done(&fl);
        policy_free(p);
}

static const char new_names_policy[] = "version: 1\n"
                                       "protect:\n"
                                       "  - path: /src/keys/**\n"
                                       "    write: [" DIGEST_A "]\n"
                                       "    reason: signing keys\n"
                                       "  - path: /src/conf/ci.token\n"
                                       "    write: []\n"
                                       "    reason: one file\n";

/* New names as the monitor records them at entry: a write of the name made, as the kernel's create hooks decide. */
TEST(policy_protect_new_names_detected) {
        struct policy *p = parse_ok(new_names_policy, sizeof(new_names_policy) - 1);
        if (!p)
                return;
        struct finding_list fl = {};
        /* mkdir, mkdirat, mknod(at) (a FIFO, a file), symlink(at), open(O_CREAT) under keys/: each a write */
        static const char *const calls[] = {
                START EXEC(20, 1, "/usr/bin/mkdir", "[\"mkdir\"]") CALL1(20, "mkdir", "/src/keys/new"),
                START EXEC(20, 1, "/usr/bin/mkdir", "[\"mkdir\"]") CALL1(20, "mkdirat", "/src/keys/a/b"),
                START EXEC(20, 1, "/usr/bin/mkfifo", "[\"mkfifo\"]") CALL1(20, "mknodat", "/src/keys/fifo"),
                START EXEC(20, 1, "/usr/bin/x", "[\"x\"]") CALL1(20, "mknod", "/src/keys/file"),
                START EXEC(20, 1, "/usr/bin/ln", "[\"ln\"]") CALL2(20, "symlink", "/etc/passwd", "/src/keys/l"),
                START EXEC(20, 1, "/usr/bin/ln", "[\"ln\"]") CALL2(20, "symlinkat", "/etc/passwd", "/src/keys/l"),
                START EXEC(20, 1, "/usr/bin/sh", "[\"sh\"]") OPEN_WRITE(20, "/src/keys/new.key"),
                /* the file entry's own name, made as a directory */
                START EXEC(20, 1, "/usr/bin/mkdir", "[\"mkdir\"]") CALL1(20, "mkdir", "/src/conf/ci.token"),
        };
        for (size_t i = 0; i < ELEMENTSOF(calls); i++) {
                _cleanup_free_ char *got = replay_string(calls[i], p, &fl);
                ASSERT_STREQ(got, "toolchain-tamper.protected-write");
                ASSERT_EQ_INT(fl.n, 1);
                finding_list_done(&fl);
        }
        _cleanup_free_ char *mkdir = replay_string(
                START EXEC(21, 1, "/usr/bin/mkdir", "[\"mkdir\"]") CALL1(21, "mkdir", "/src/keys/new"), p, &fl);
        ASSERT_TRUE(fl.n == 1 && strstr(fl.v[0].detail, "tried to create '/src/keys/new', which the policy protects"));
        finding_list_done(&fl);
        /* the sealed writer makes names there freely */
        _cleanup_free_ char *sealed =
                replay_string(START EXEC_SEALED(22, "/opt/keygen") CALL1(22, "mkdir", "/src/keys/new")
                                      CALL1(22, "mknodat", "/src/keys/fifo") OPEN_WRITE(22, "/src/keys/new.key")
                                              CALL2(22, "symlink", "new.key", "/src/keys/current"),
                              p, &fl);
        ASSERT_STREQ(sealed, "");
        finding_list_done(&fl);
        /* the protected directory itself and the directories above, and names beside it: not protected names */
        _cleanup_free_ char *above =
                replay_string(START EXEC(23, 1, "/usr/bin/mkdir", "[\"mkdir\"]") CALL1(23, "mkdir", "/src")
                                      CALL1(23, "mkdir", "/src/keys") CALL1(23, "mkdirat", "/src/conf")
                                              CALL1(23, "mkdir", "/src/keys2") CALL1(23, "mknod", "/src/conf/fifo"),
                              p, &fl);
        ASSERT_STREQ(above, "");
        finding_list_done(&fl);
        /* but a symlink there redirects what is below it, as a hard link's new name would */
        _cleanup_free_ char *redirect = replay_string(
                START EXEC(24, 1, "/usr/bin/ln", "[\"ln\"]") CALL2(24, "symlink", "/tmp/mine", "/src/keys"), p, &fl);
        ASSERT_STREQ(redirect, "toolchain-tamper.protected-write");
        ASSERT_TRUE(fl.n == 1 && strstr(fl.v[0].detail, "tried to link over '/src/keys'"));
        finding_list_done(&fl);
        policy_free(p);
}

/* New names the BPF-LSM program refused (path_mknod, path_mkdir, path_symlink): one finding each, marked. */
TEST(policy_protect_new_names_refused_in_the_kernel) {
        struct policy *p = parse_ok(new_names_policy, sizeof(new_names_policy) - 1);
        if (!p)
                return;
        struct finding_list fl = {};
        /* mkdir: recorded at entry, then refused: the entry's finding, marked */
        _cleanup_free_ char *mkdir =
                replay_string(START EXEC(30, 1, "/usr/bin/mkdir", "[\"mkdir\"]") CALL1(30, "mkdir", "/src/keys/d")
                                      LSM_REFUSED_CALL(30, "mkdirat", "/src/keys/d", "", 0, 1, 0),
                              p, &fl);
        ASSERT_STREQ(mkdir, "toolchain-tamper.protected-write");
        ASSERT_EQ_INT(fl.n, 1);
        ASSERT_TRUE(fl.n == 1 && json_object_object_get_ex(fl.v[0].evidence, "refused_in_kernel", NULL));
        ASSERT_STREQ(evidence_str(&fl, 0, "syscall"), "mkdir");
        finding_list_done(&fl);
        /* open(O_CREAT) refused at path_mknod: the open's finding is the one marked */
        _cleanup_free_ char *creat =
                replay_string(START EXEC(31, 1, "/usr/bin/sh", "[\"sh\"]") OPEN_WRITE(31, "/src/keys/new.key")
                                      LSM_REFUSED_CALL(31, "mknodat", "/src/keys/new.key", "", 0, 1, 0),
                              p, &fl);
        ASSERT_STREQ(creat, "toolchain-tamper.protected-write");
        ASSERT_EQ_INT(fl.n, 1);
        ASSERT_TRUE(fl.n == 1 && json_object_object_get_ex(fl.v[0].evidence, "refused_in_kernel", NULL));
        ASSERT_STREQ(evidence_str(&fl, 0, "syscall"), "openat");
        finding_list_done(&fl);
        /* seen by the kernel only: a FIFO, and a symlink whose new name is the call's second path */
        _cleanup_free_ char *fifo = replay_string(START EXEC(32, 1, "/usr/bin/mkfifo", "[\"mkfifo\"]")
                                                          LSM_REFUSED_CALL(32, "mknodat", "/src/keys/f", "", 0, 1, 0),
                                                  p, &fl);
        ASSERT_STREQ(fifo, "toolchain-tamper.protected-write");
        ASSERT_TRUE(fl.n == 1 && strstr(fl.v[0].detail, "tried to create '/src/keys/f', which the policy protects"));
        ASSERT_STREQ(evidence_str(&fl, 0, "result"), "refused in the kernel (BPF-LSM, EPERM)");
        finding_list_done(&fl);
        _cleanup_free_ char *sym =
                replay_string(START EXEC(33, 1, "/usr/bin/ln", "[\"ln\"]")
                                      LSM_REFUSED_CALL(33, "symlinkat", "/etc/passwd", "/src/keys/l", 0, 1, 1),
                              p, &fl);
        ASSERT_STREQ(sym, "toolchain-tamper.protected-write");
        ASSERT_STREQ(evidence_str(&fl, 0, "path"), "/src/keys/l");
        ASSERT_TRUE(fl.n == 1 && strstr(fl.v[0].detail, "tried to link over '/src/keys/l', which the policy"));
        finding_list_done(&fl);
        policy_free(p);
}

TEST(policy_protect_errors_are_one_line_with_the_fix) {
        static const struct bad_policy bad[] = {
                { "version: 1\nprotect:\n  - read: []\n    reason: r\n", "p.yml:3: this protect entry has no 'path'" },
                { "version: 1\nprotect:\n  - path: /k\n    read: [sha256:abc]\n    reason: r\n",
                  "p.yml:4: 'sha256:abc' is not a digest" },
                { "version: 1\nprotect:\n  - path: /k\n    read: [sha256:"
                  "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef]\n    reason: r\n",
                  "is not a digest" },
                { "version: 1\nprotect:\n  - path: /k\n    read: [gpg]\n    reason: r\n", "'gpg' names no executable" },
                { "version: 1\nprotect:\n  - path: /k\n    read: [/usr/bin/*]\n    reason: r\n", "without globs" },
                { "version: 1\nprotect:\n  - path: /k\n    read: /usr/bin/gpg\n    reason: r\n",
                  "'read' is not a list" },
                { "version: 1\nprotect:\n  - path: /k\n    read: []\n    reason: r\n    exe: /x\n",
                  "p.yml:6: unknown key 'exe'" },
                { "version: 1\nprotect:\n  - path: /k\n    read: []\n", "has no 'reason'" },
                { "version: 1\nprotect:\n  - path: /k\n    reason: r\n", "restricts nothing" },
                { "version: 1\nprotect:\n  - path: keys/**\n    read: []\n    reason: r\n", "not absolute" },
                { "version: 1\nprotect:\n  - path: /a/../k\n    read: []\n    reason: r\n", "not absolute" },
                { "version: 1\nprotect:\n  - path: /k\n    read: []\n    read: []\n    reason: r\n", "given twice" },
                { "version: 1\nprotect: /k\n", "'protect' is not a list" },
        };
        check_policy_errors(bad, ELEMENTSOF(bad));
}

TEST(event_json_roundtrip) {
        char *argv[] = { (char *) "sh", (char *) "-c", (char *) "x", NULL };
        struct event e = {
                .type = EV_EXEC,
                .time_usec = 1767225600123000ULL,
                .pid = 7,
                .ppid = 3,
                .uid = 1000,
                .comm = "sh",
                .filename = "/bin/sh",
                .interp = NULL,
                .exe_name = "memfd:x",
                .argv = argv,
                .exe_ino = 9,
                .exe_nlink = 0,
                .exe_magic = 0x1021994,
                .stdio = { { .kind = FD_INET, .peer = "10.0.0.1:4444" }, { .kind = FD_PIPE }, { .kind = FD_CHR } },
        };
        json_object *o = event_to_json(&e);
        struct event back;
        ASSERT_EQ_INT(event_from_json(o, &back), 0);
        ASSERT_EQ_INT(back.type, EV_EXEC);
        ASSERT_EQ_U64(back.time_usec, e.time_usec);
        ASSERT_EQ_INT(back.pid, 7);
        ASSERT_STREQ(back.filename, "/bin/sh");
        ASSERT_STREQ(back.exe_name, "memfd:x");
        ASSERT_EQ_INT(back.exe_nlink, 0);
        ASSERT_EQ_U64(back.exe_magic, 0x1021994);
        ASSERT_STREQ(back.argv[2], "x");
        ASSERT_TRUE(back.argv[3] == NULL);
        ASSERT_EQ_INT(back.stdio[0].kind, FD_INET);
        ASSERT_STREQ(back.stdio[0].peer, "10.0.0.1:4444");
        ASSERT_TRUE(!back.stdio[0].peer_loopback);
        ASSERT_EQ_INT(back.stdio[1].kind, FD_PIPE);
        free(back.argv);
        json_object_put(o);

        struct event s = { .type = EV_SYSCALL, .time_usec = 1767225600000000ULL, .pid = 8, .sc = SC_connect };
        uint8_t sa[16] = { 2, 0, 0, 53, 127, 0, 0, 53 }; /* AF_INET, port 53, 127.0.0.53 */
        event_set_sockaddr(&s, sa, sizeof(sa));
        ASSERT_STREQ(s.addr, "127.0.0.53:53");
        ASSERT_TRUE(s.addr_loopback);
        o = event_to_json(&s);
        ASSERT_EQ_INT(event_from_json(o, &back), 0);
        ASSERT_EQ_INT(back.sc, SC_connect);
        ASSERT_EQ_INT(back.addr_port, 53);
        ASSERT_TRUE(back.addr_loopback);
        json_object_put(o);

        json_object *junk = json_tokener_parse("{\"type\":\"syscall\",\"time\":\"2026-01-01T00:00:00Z\","
                                               "\"syscall\":\"nope\"}");
        ASSERT_EQ_INT(event_from_json(junk, &back), -EINVAL);
        json_object_put(junk);
}

TEST(catalog_is_consistent) {
        static const char *const categories[] = {
                "reverse-shell",  "network-egress", "crypto-miner",     "fileless-exec",    "exec-from-writable",
                "secret-access",  "persistence",    "toolchain-tamper", "source-tamper",    "privilege-escalation",
                "sandbox-escape", "anti-forensics", "process-survival", "watchdog-respawn", "resource-abuse",
        };
        size_t n;
        const struct rule_info *c = rule_catalog(&n);
        bool seen[ELEMENTSOF(categories)] = {};
        for (size_t i = 0; i < n; i++) {
                size_t cl = strlen(c[i].category);
                ASSERT_TRUE(strncmp(c[i].id, c[i].category, cl) == 0 && c[i].id[cl] == '.');
                ASSERT_TRUE(strlen(c[i].summary) > 10 && strlen(c[i].attack) > 10);
                ASSERT_TRUE(rule_find(c[i].id) == &c[i]);
                bool known = false;
                for (size_t k = 0; k < ELEMENTSOF(categories); k++)
                        if (streq(categories[k], c[i].category))
                                known = seen[k] = true;
                ASSERT_TRUE(known);
        }
        for (size_t k = 0; k < ELEMENTSOF(categories); k++)
                ASSERT_TRUE(seen[k]); /* every category has rules */
}
