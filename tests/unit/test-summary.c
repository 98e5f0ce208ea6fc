/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "report-test.h"
#include "report/writers.h"

static char *summary_of(json_object *report, bool color) {
        struct capture c;
        report_print_summary(capture_begin(&c), report, color);
        return capture_end(&c);
}

/* The first line of TEXT (a heap copy). */
static char *first_line(const char *text) {
        return strndup(text, strcspn(text, "\n"));
}

TEST(fixture_verdict_line_and_order) {
        json_object *r = load_fixture("report-findings.json");
        _cleanup_free_ char *out = summary_of(r, false);
        _cleanup_free_ char *line = first_line(out);
        ASSERT_STREQ(line, "FAIL  exit 0 (buildward exits 123), 12.34 s, 5 findings (1 critical, 2 high, 1 medium, 1 "
                           "low), 1 artifact, 3 source changes");
        /* Critical first, then high in report order, then medium, low. */
        const char *crit = strstr(out, "  CRITICAL reverse-shell.future-rule: bash runs with its stdin");
        const char *high1 = strstr(out, "  HIGH     secret-access.ssh-key: cat read an SSH private key\n");
        const char *high2 = strstr(out, "  HIGH     process-survival.alive-at-exit:");
        const char *med = strstr(out, "  MEDIUM   source-tamper.modified-source:");
        const char *low = strstr(out, "  LOW      crypto-miner.pool-protocol:");
        ASSERT_TRUE(crit && high1 && high2 && med && low);
        ASSERT_TRUE(crit < high1 && high1 < high2 && high2 < med && med < low);
        /* The chain from finding.process.chain, and one built from the ppid links of report.processes. */
        ASSERT_TRUE(contains(out, "\n           bash(1203) <- dash(1200) <- make(1100)\n"));
        ASSERT_TRUE(contains(out, "\n           cat(1210) <- dash(1200) <- make(1100)\n"));
        ASSERT_TRUE(contains(out, "suppressed by policy: network-egress.dns (3)\n"));
        ASSERT_TRUE(contains(out, "reports: report.json, report.html, report.sarif in the --out folder\n"));
        ASSERT_TRUE(!contains(out, "warning"));
        ASSERT_TRUE(!contains(out, "\033"));
        json_object_put(r);
}

TEST(color_only_when_asked) {
        json_object *r = load_fixture("report-findings.json");
        _cleanup_free_ char *plain = summary_of(r, false), *color = summary_of(r, true);
        ASSERT_TRUE(!contains(plain, "\033["));
        ASSERT_TRUE(contains(color, "\033[1;31mFAIL\033[0m"));
        ASSERT_TRUE(contains(color, "\033[1;31mCRITICAL\033[0m"));
        json_object_object_add(r, "verdict", json_object_new_string("pass"));
        _cleanup_free_ char *pass = summary_of(r, true);
        ASSERT_TRUE(contains(pass, "\033[1;32mPASS\033[0m"));
        json_object_put(r);
}

TEST(monitor_warnings_and_out_dir) {
        json_object *r = load_fixture("report-findings.json");
        json_object *mon = json_object_object_get(r, "monitor");
        json_object_object_add(mon, "lost", json_object_new_int(12));
        json_object_object_add(r, "out", json_object_new_string("/ci/job/buildward-out"));
        _cleanup_free_ char *lost = summary_of(r, false);
        ASSERT_TRUE(contains(lost, "\nwarning: 12 monitor events were lost: the findings may be incomplete\n"));
        ASSERT_TRUE(contains(lost, "\nreports: /ci/job/buildward-out/report.json, report.html, report.sarif\n"));
        json_object_object_add(mon, "enabled", json_object_new_boolean(false));
        json_object_object_add(mon, "reason", json_object_new_string("disabled with --no-monitor"));
        json_object_object_add(mon, "lost", json_object_new_int(0));
        _cleanup_free_ char *off = summary_of(r, false);
        ASSERT_TRUE(contains(off, "\nwarning: the monitor was off (disabled with --no-monitor): no runtime detection "
                                  "ran\n"));
        ASSERT_TRUE(!contains(off, "lost"));
        json_object_object_del(r, "monitor");
        _cleanup_free_ char *none = summary_of(r, false);
        ASSERT_TRUE(contains(none, "warning: the report says nothing about the monitor"));
        json_object_put(r);
}

TEST(capped_at_twenty) {
        json_object *r = load_fixture("report-findings.json");
        json_object *findings = json_object_object_get(r, "findings");
        for (int i = 0; i < 25; i++) {
                json_object *f = json_object_new_object();
                json_object_object_add(f, "rule", json_object_new_string("resource-abuse.timeout"));
                json_object_object_add(f, "severity", json_object_new_string("info"));
                json_object_object_add(f, "detail", json_object_new_string("filler"));
                json_object_array_add(findings, f);
        }
        _cleanup_free_ char *out = summary_of(r, false);
        size_t shown = 0; /* lines "  SEVERITY rule: detail" */
        for (const char *p = strchr(out, '\n'); p; p = strchr(p + 1, '\n'))
                shown += p[1] == ' ' && p[2] == ' ' && p[3] >= 'A' && p[3] <= 'Z';
        ASSERT_EQ_INT(shown, 20);
        ASSERT_TRUE(contains(out, "\n  ... 10 more, see report.html\n"));
        /* The five real findings outrank the filler. */
        ASSERT_TRUE(contains(out, "crypto-miner.pool-protocol"));
        json_object_put(r);
}

TEST(exit_descriptions) {
        json_object *r = jparse("{\"verdict\": \"fail\", \"exit_code\": null, \"timed_out\": true, "
                                "\"buildward_exit_code\": 124, \"duration_s\": 3725}");
        _cleanup_free_ char *t = summary_of(r, false);
        _cleanup_free_ char *line = first_line(t);
        ASSERT_STREQ(line, "FAIL  timed out (buildward exits 124), 1 h 2 m, 0 findings");
        json_object_put(r);
        r = jparse("{\"verdict\": \"pass\", \"exit_code\": 127, \"buildward_exit_code\": 127, "
                   "\"exec_error\": \"No such file or directory\", \"duration_s\": 75.5}");
        _cleanup_free_ char *e = summary_of(r, false);
        _cleanup_free_ char *line2 = first_line(e);
        ASSERT_STREQ(line2, "PASS  exit 127 (not executed: No such file or directory), 1 m 15 s, 0 findings");
        json_object_put(r);
}

TEST(terminal_sequences_are_shown_not_run) {
        json_object *r = evil_report();
        _cleanup_free_ char *out = summary_of(r, false);
        size_t n = strlen(out);
        ASSERT_TRUE(utf8_valid(out, n));
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) out[i] < 0x20 && out[i] != '\n') {
                        tap_fail_("control byte 0x%02x at offset %zu", (unsigned char) out[i], i);
                        break;
                }
        ASSERT_TRUE(!contains(out, "\x7f"));
        ASSERT_TRUE(!contains(out, "\xc2\x9b"));     /* C1 CSI */
        ASSERT_TRUE(!contains(out, "\xe2\x80\xae")); /* right-to-left override */
        ASSERT_TRUE(contains(out, "\\x1b]0;pwned\\x07\\x1b[2J"));
        ASSERT_TRUE(contains(out, "\\u009b31m"));
        ASSERT_TRUE(contains(out, "\\u202ecod.exe"));
        ASSERT_TRUE(contains(out, "bad\\xff\\xfe\\xc3(\\xed\\xa0\\x80"));
        ASSERT_TRUE(contains(out, "warning: the monitor was off ("));
        ASSERT_TRUE(contains(out, "warning: 3 monitor events were lost"));
        ASSERT_TRUE(contains(out, "FAIL  interrupted by SIG<script>"));
        json_object_put(r);
}

TEST(odd_reports_never_crash_or_print_null) {
        for (size_t i = 0; i < ELEMENTSOF(odd_reports); i++) {
                json_object *r = odd_report(i);
                _cleanup_free_ char *out = summary_of(r, true);
                if (contains(out, "(null)"))
                        tap_fail_("report %zu: %s", i, out);
                ASSERT_TRUE(contains(out, "reports: "));
                json_object_put(r);
        }
        _cleanup_free_ char *out = summary_of(NULL, false);
        ASSERT_TRUE(startswith(out, "UNKNOWN  no exit code, 0 findings\n") != NULL);
}

TEST(chain_walk_stops_at_a_cycle) {
        json_object *r = jparse("{\"findings\": [{\"rule\": \"x.y\", \"severity\": \"high\", \"detail\": \"d\", "
                                "\"process\": {\"pid\": 3, \"ppid\": 2, \"exe\": \"/bin/c\"}}], "
                                "\"processes\": [{\"pid\": 2, \"ppid\": 1, \"exe\": \"/bin/b\"}, "
                                "{\"pid\": 1, \"ppid\": 3, \"exe\": \"/bin/a\"}, "
                                "{\"pid\": 3, \"ppid\": 2, \"exe\": \"/bin/c\"}]}");
        _cleanup_free_ char *out = summary_of(r, false);
        ASSERT_TRUE(contains(out, "\n           c(3) <- b(2) <- a(1)\n"));
        json_object_put(r);
}

TEST(chain_of_no_objects_falls_back_to_the_process) {
        json_object *r = jparse("{\"findings\": [{\"rule\": \"x.y\", \"severity\": \"low\", \"detail\": \"d\", "
                                "\"process\": {\"pid\": 3, \"exe\": \"/bin/c\", \"chain\": [1, \"x\", null]}}]}");
        _cleanup_free_ char *out = summary_of(r, false);
        ASSERT_TRUE(contains(out, "\n           c(3)\n"));
        json_object_put(r);
}
