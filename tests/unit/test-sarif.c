/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>

#include "finding/catalog.h"
#include "report-test.h"
#include "report/report.h"
#include "report/writers.h"
#include "test-fs.h"

static json_object *at(json_object *o, const char *path) {
        /* "runs.0.results.1.ruleId": members and array indexes */
        _cleanup_free_ char *copy = xstrdup(path);
        for (char *tok = strtok(copy, "."); tok && o; tok = strtok(NULL, "."))
                o = json_object_is_type(o, json_type_array) ? json_object_array_get_idx(o, strtoul(tok, NULL, 10))
                                                            : json_object_object_get(o, tok);
        return o;
}

static const char *at_str(json_object *o, const char *path) {
        json_object *v = at(o, path);
        return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static json_object *result_for(json_object *sarif, const char *rule) {
        json_object *results = at(sarif, "runs.0.results");
        for (size_t i = 0; i < json_object_array_length(results); i++)
                if (streq_ptr(at_str(json_object_array_get_idx(results, i), "ruleId"), rule))
                        return json_object_array_get_idx(results, i);
        tap_fail_("no result for %s", rule);
        return NULL;
}

TEST(log_and_driver) {
        json_object *r = load_fixture("report-findings.json");
        json_object *s = sarif_from_report(r);
        ASSERT_STREQ(at_str(s, "version"), "2.1.0");
        ASSERT_TRUE(contains(at_str(s, "$schema"), "sarif-2.1.0"));
        ASSERT_EQ_INT(json_object_array_length(at(s, "runs")), 1);
        ASSERT_STREQ(at_str(s, "runs.0.tool.driver.name"), "buildward");
        ASSERT_STREQ(at_str(s, "runs.0.tool.driver.version"), BUILDWARD_VERSION);
        ASSERT_STREQ(at_str(s, "runs.0.originalUriBaseIds.SRCROOT.uri"), "file:///work/src/hello/");
        ASSERT_STREQ(at_str(s, "runs.0.properties.verdict"), "fail");
        ASSERT_EQ_INT(json_object_get_int(at(s, "runs.0.properties.monitor.events")), 1234);
        json_object_put(s);
        json_object_put(r);
}

TEST(every_catalog_rule_is_described) {
        size_t n;
        const struct rule_info *cat = rule_catalog(&n);
        /* A clean build's log describes no rule: nothing to look up. */
        json_object *empty = sarif_from_report(NULL);
        ASSERT_EQ_INT(json_object_array_length(at(empty, "runs.0.tool.driver.rules")), 0);
        json_object_put(empty);
        /* One finding of every rule: each described once, in the order first met. */
        json_object *report = json_object_new_object(), *fa = json_object_new_array();
        for (size_t i = 0; i < n; i++) {
                json_object *f = json_object_new_object();
                json_object_object_add(f, "rule", json_object_new_string(cat[i].id));
                json_object_object_add(f, "severity", json_object_new_string(severity_name(cat[i].severity)));
                json_object_object_add(f, "detail", json_object_new_string("d"));
                json_object_array_add(fa, f);
        }
        json_object_object_add(report, "findings", fa);
        json_object *s = sarif_from_report(report);
        json_object_put(report);
        json_object *rules = at(s, "runs.0.tool.driver.rules");
        ASSERT_EQ_INT(json_object_array_length(rules), n);
        /* results are ranked by severity, so the descriptors come in that order: look each up by id */
        static const char *const sev[] = { "1.0", "3.0", "5.5", "8.0", "9.5" };
        static const char *const level[] = { "note", "note", "warning", "error", "error" };
        for (size_t i = 0; i < n; i++) {
                json_object *d = NULL;
                for (size_t j = 0; j < json_object_array_length(rules); j++)
                        if (streq_ptr(at_str(json_object_array_get_idx(rules, j), "id"), cat[i].id))
                                d = json_object_array_get_idx(rules, j);
                ASSERT_TRUE(d != NULL);
                if (!d)
                        continue;
                ASSERT_STREQ(at_str(d, "shortDescription.text"), cat[i].summary);
                ASSERT_TRUE(contains(at_str(d, "fullDescription.text"), cat[i].attack));
                ASSERT_TRUE(contains(at_str(d, "help.text"), cat[i].attack));
                ASSERT_TRUE(contains(at_str(d, "help.markdown"), cat[i].attack));
                ASSERT_STREQ(at_str(d, "properties.category"), cat[i].category);
                ASSERT_STREQ(at_str(d, "properties.security-severity"), sev[cat[i].severity]);
                ASSERT_STREQ(at_str(d, "defaultConfiguration.level"), level[cat[i].severity]);
                ASSERT_STREQ(at_str(d, "properties.tags.0"), "security"); /* else GitHub ignores the severity */
        }
        ASSERT_EQ_INT(json_object_array_length(at(s, "runs.0.results")), n);
        json_object_put(s);
}

TEST(results_rules_levels_messages) {
        json_object *r = load_fixture("report-findings.json");
        json_object *s = sarif_from_report(r);
        json_object *results = at(s, "runs.0.results"), *rules = at(s, "runs.0.tool.driver.rules");
        ASSERT_EQ_INT(json_object_array_length(results), 5);
        for (size_t i = 0; i < json_object_array_length(results); i++) {
                json_object *res = json_object_array_get_idx(results, i);
                int idx = json_object_get_int(at(res, "ruleIndex"));
                ASSERT_STREQ(at_str(json_object_array_get_idx(rules, idx), "id"), at_str(res, "ruleId"));
                ASSERT_TRUE(json_object_array_length(at(res, "locations")) >= 1);
                const char *uri = at_str(res, "locations.0.physicalLocation.artifactLocation.uri");
                ASSERT_TRUE(uri && *uri);
                ASSERT_EQ_INT(strlen(at_str(res, "partialFingerprints.buildward/v1")), 64);
        }
        /* A rule outside the catalog gets a descriptor of its own. */
        ASSERT_TRUE(rule_find("reverse-shell.future-rule") == NULL);
        ASSERT_STREQ(at_str(result_for(s, "reverse-shell.future-rule"), "level"), "error");
        static const struct {
                const char *rule, *security_severity;
        } unknown[] = { { "reverse-shell.future-rule", "9.5" }, { "crypto-miner.pool-protocol", "3.0" } };
        for (size_t i = 0; i < ELEMENTSOF(unknown); i++) {
                json_object *d = json_object_array_get_idx(
                        rules, json_object_get_int(at(result_for(s, unknown[i].rule), "ruleIndex")));
                ASSERT_STREQ(at_str(d, "properties.security-severity"), unknown[i].security_severity);
                ASSERT_STREQ(at_str(d, "properties.tags.0"), "security");
        }
        ASSERT_STREQ(at_str(result_for(s, "source-tamper.modified-source"), "level"), "warning");
        ASSERT_STREQ(at_str(result_for(s, "crypto-miner.pool-protocol"), "level"), "note");
        ASSERT_STREQ(at_str(result_for(s, "reverse-shell.future-rule"), "message.text"),
                     "bash runs with its stdin and stdout on a TCP socket to 127.0.0.1:4444 (process chain: "
                     "bash(1203) <- dash(1200) <- make(1100))");
        ASSERT_STREQ(at_str(result_for(s, "crypto-miner.pool-protocol"), "message.text"),
                     "a stratum handshake was seen on loopback");
        ASSERT_STREQ(at_str(result_for(s, "reverse-shell.future-rule"), "properties.evidence.address"),
                     "127.0.0.1:4444");
        json_object_put(s);
        json_object_put(r);
}

TEST(locations_relative_to_the_source_or_absolute) {
        json_object *r = load_fixture("report-findings.json");
        json_object *s = sarif_from_report(r);
        json_object *tamper = result_for(s, "source-tamper.modified-source");
        ASSERT_STREQ(at_str(tamper, "locations.0.physicalLocation.artifactLocation.uri"), "src/main.c");
        ASSERT_STREQ(at_str(tamper, "locations.0.physicalLocation.artifactLocation.uriBaseId"), "SRCROOT");
        ASSERT_EQ_INT(json_object_get_int(at(tamper, "locations.0.physicalLocation.region.startLine")), 1);
        ASSERT_STREQ(at_str(tamper, "relatedLocations.0.physicalLocation.artifactLocation.uri"), "src/my%20file%231.c");
        json_object *secret = result_for(s, "secret-access.ssh-key");
        ASSERT_STREQ(at_str(secret, "locations.0.physicalLocation.artifactLocation.uri"),
                     "file:///home/ci/.ssh/id_ed25519");
        ASSERT_TRUE(at(secret, "locations.0.physicalLocation.artifactLocation.uriBaseId") == NULL);
        /* No file involved: the process's working directory, or the source root. */
        json_object *shell = result_for(s, "reverse-shell.future-rule");
        ASSERT_STREQ(at_str(shell, "locations.0.physicalLocation.artifactLocation.uri"), "build/");
        ASSERT_TRUE(at(shell, "locations.0.physicalLocation.region") == NULL);
        ASSERT_TRUE(contains(at_str(shell, "locations.0.message.text"), "no file is involved"));
        ASSERT_STREQ(at_str(result_for(s, "crypto-miner.pool-protocol"),
                            "locations.0.physicalLocation.artifactLocation.uri"),
                     ".");
        json_object_put(s);
        json_object_put(r);
}

/* The location URI SARIF gives a finding whose evidence.path is PATH, source root /work/src. */
static char *uri_for(const char *path) {
        json_object *r = jparse("{\"sandbox\": {\"source\": \"/work/src/\"}, \"findings\": [{\"rule\": \"x.y\", "
                                "\"severity\": \"high\", \"evidence\": {}}]}");
        json_object *ev = at(r, "findings.0.evidence");
        json_object_object_add(ev, "path", json_object_new_string(path));
        json_object *s = sarif_from_report(r);
        const char *base = at_str(s, "runs.0.results.0.locations.0.physicalLocation.artifactLocation.uriBaseId");
        char *uri = xasprintf("%s%s", base ? "SRCROOT:" : "",
                              at_str(s, "runs.0.results.0.locations.0.physicalLocation.artifactLocation.uri"));
        json_object_put(s);
        json_object_put(r);
        return uri;
}

TEST(paths_are_normalized_before_the_source_test) {
        struct {
                const char *path, *uri;
        } cases[] = {
                { "/work/src/a/b.c", "SRCROOT:a/b.c" },
                { "/work/src//a/./b.c", "SRCROOT:a/b.c" },
                { "/work/src/a/../../src/c.c", "SRCROOT:c.c" },
                { "/work/src/../etc/passwd", "file:///work/etc/passwd" },
                { "/work/src2/x", "file:///work/src2/x" },
                { "/work/src", "SRCROOT:." },
                { "rel/x.o", "SRCROOT:rel/x.o" },
                { "../../../etc/shadow", "file:///etc/shadow" },
                { "/tmp/a b?c#d%e:f", "file:///tmp/a%20b%3Fc%23d%25e%3Af" },
                { "/tmp/\xc3\xa9\xff", "file:///tmp/%C3%A9%FF" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *uri = uri_for(cases[i].path);
                ASSERT_STREQ(uri, cases[i].uri);
        }
}

static const char *fingerprint_of(json_object *s) {
        return at_str(s, "runs.0.results.0.partialFingerprints.buildward/v1");
}

TEST(fingerprints_ignore_run_specifics) {
        const char *a = "{\"sandbox\": {\"source\": \"/ci/run1/src\"}, \"findings\": [{\"rule\": \"source-tamper.x\", "
                        "\"severity\": \"high\", \"time\": \"2026-01-01T00:00:00Z\", \"process\": {\"pid\": 10, "
                        "\"exe\": \"/usr/bin/sed\"}, \"evidence\": {\"path\": \"/ci/run1/src/main.c\"}}]}";
        const char *b = "{\"sandbox\": {\"source\": \"/ci/run2/src\"}, \"findings\": [{\"rule\": \"source-tamper.x\", "
                        "\"severity\": \"high\", \"time\": \"2026-02-02T00:00:00Z\", \"process\": {\"pid\": 99, "
                        "\"exe\": \"/usr/bin/sed\"}, \"evidence\": {\"path\": \"/ci/run2/src/main.c\"}}]}";
        const char *other_file = "{\"sandbox\": {\"source\": \"/ci/run1/src\"}, \"findings\": [{\"rule\": "
                                 "\"source-tamper.x\", \"severity\": \"high\", \"process\": {\"pid\": 10, "
                                 "\"exe\": \"/usr/bin/sed\"}, \"evidence\": {\"path\": \"/ci/run1/src/util.c\"}}]}";
        const char *other_rule = "{\"sandbox\": {\"source\": \"/ci/run1/src\"}, \"findings\": [{\"rule\": "
                                 "\"source-tamper.y\", \"severity\": \"high\", \"process\": {\"pid\": 10, "
                                 "\"exe\": \"/usr/bin/sed\"}, \"evidence\": {\"path\": \"/ci/run1/src/main.c\"}}]}";
        json_object *ra = jparse(a), *rb = jparse(b), *rf = jparse(other_file), *rr = jparse(other_rule);
        json_object *sa = sarif_from_report(ra), *sb = sarif_from_report(rb), *sf = sarif_from_report(rf),
                    *sr = sarif_from_report(rr);
        ASSERT_STREQ(fingerprint_of(sa), fingerprint_of(sb));
        ASSERT_TRUE(!streq_ptr(fingerprint_of(sa), fingerprint_of(sf)));
        ASSERT_TRUE(!streq_ptr(fingerprint_of(sa), fingerprint_of(sr)));
        json_object *objs[] = { ra, rb, rf, rr, sa, sb, sf, sr };
        for (size_t i = 0; i < ELEMENTSOF(objs); i++)
                json_object_put(objs[i]);
}

TEST(invocation) {
        json_object *r = load_fixture("report-findings.json");
        json_object *s = sarif_from_report(r);
        json_object *inv = at(s, "runs.0.invocations.0");
        ASSERT_TRUE(json_object_get_boolean(at(inv, "executionSuccessful")));
        ASSERT_STREQ(at_str(inv, "commandLine"), "make -j2 'CFLAGS=-O2 -g'");
        ASSERT_STREQ(at_str(inv, "arguments.2"), "CFLAGS=-O2 -g");
        ASSERT_STREQ(at_str(inv, "startTimeUtc"), "2026-11-25T15:00:00.250Z");
        ASSERT_STREQ(at_str(inv, "endTimeUtc"), "2026-11-25T15:00:12.590Z");
        ASSERT_EQ_INT(json_object_get_int(at(inv, "exitCode")), 0);
        ASSERT_EQ_INT(json_object_get_int(at(inv, "properties.buildwardExitCode")), 123);
        ASSERT_STREQ(at_str(inv, "workingDirectory.uri"), "file:///work/src/hello/");
        ASSERT_TRUE(at(inv, "toolExecutionNotifications") == NULL);
        json_object_put(s);

        /* An older report without finished_at: start + duration. Buildward's own failure: 125. */
        json_object_object_del(r, "finished_at");
        json_object_object_add(r, "buildward_exit_code", json_object_new_int(125));
        json_object *mon = at(r, "monitor");
        json_object_object_add(mon, "lost", json_object_new_int(7));
        s = sarif_from_report(r);
        inv = at(s, "runs.0.invocations.0");
        ASSERT_STREQ(at_str(inv, "endTimeUtc"), "2026-11-25T15:00:12.590Z");
        ASSERT_TRUE(!json_object_get_boolean(at(inv, "executionSuccessful")));
        ASSERT_TRUE(contains(at_str(inv, "toolExecutionNotifications.0.message.text"), "7 monitor events were lost"));
        json_object_put(s);
        json_object_put(r);
}

/* Serialized like report_write_sarif() does; checks it is valid UTF-8 that json-c reads back. */
static void assert_clean_json(json_object *s) {
        const char *text = json_object_to_json_string_ext(s, JSON_C_TO_STRING_PLAIN);
        ASSERT_TRUE(utf8_valid(text, strlen(text)));
        ASSERT_TRUE(!contains(text, "NaN") && !contains(text, "Infinity"));
        json_tokener *tok = json_tokener_new();
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        json_object *back = json_tokener_parse_ex(tok, text, (int) strlen(text));
        ASSERT_TRUE(back != NULL);
        json_object_put(back);
        json_tokener_free(tok);
}

TEST(hostile_strings_stay_text) {
        json_object *r = evil_report();
        json_object *s = sarif_from_report(r);
        assert_clean_json(s);
        const char *text = json_object_to_json_string_ext(s, JSON_C_TO_STRING_PLAIN);
        ASSERT_TRUE(!contains(text, "\\u001b")); /* no raw ESC even JSON-escaped */
        ASSERT_TRUE(contains(text, "\\\\x1b]0;pwned"));
        ASSERT_TRUE(contains(text, "bad\\\\xff\\\\xfe"));
        ASSERT_TRUE(contains(at_str(s, "runs.0.results.0.locations.0.physicalLocation.artifactLocation.uri"),
                             "%3Cscript%3E"));
        json_object_put(s);
        json_object_put(r);

        /* json-c reads NaN and Infinity; JSON cannot carry them. */
        r = jparse("{\"duration_s\": NaN, \"findings\": [{\"rule\": \"a.b\", \"evidence\": {\"x\": Infinity}}], "
                   "\"monitor\": {\"events\": -Infinity}}");
        s = sarif_from_report(r);
        assert_clean_json(s);
        json_object_put(s);
        json_object_put(r);
}

TEST(odd_reports_give_a_valid_log) {
        for (size_t i = 0; i < ELEMENTSOF(odd_reports); i++) {
                json_object *r = odd_report(i);
                json_object *s = sarif_from_report(r);
                ASSERT_STREQ(at_str(s, "version"), "2.1.0");
                ASSERT_STREQ(at_str(s, "runs.0.tool.driver.name"), "buildward");
                json_object *results = at(s, "runs.0.results");
                for (size_t k = 0; k < json_object_array_length(results); k++) {
                        json_object *res = json_object_array_get_idx(results, k);
                        const char *uri = at_str(res, "locations.0.physicalLocation.artifactLocation.uri");
                        if (!uri || !*uri)
                                tap_fail_("report %zu, result %zu: no location URI", i, k);
                        ASSERT_TRUE(at_str(res, "ruleId") != NULL);
                        ASSERT_TRUE(at_str(res, "message.text") != NULL);
                }
                assert_clean_json(s);
                json_object_put(s);
                json_object_put(r);
        }
}

TEST(written_atomically) {
        _cleanup_free_ char *dir = tmpdir();
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        json_object *r = load_fixture("report-findings.json");
        ASSERT_EQ_INT(report_write_sarif(dfd, r), 0);
        _cleanup_free_ char *p = xasprintf("%s/report.sarif", dir), *tmp = xasprintf("%s/.report.sarif.tmp", dir);
        json_object *back = json_object_from_file(p);
        ASSERT_STREQ(at_str(back, "runs.0.results.0.ruleId"), "reverse-shell.future-rule"); /* critical first */
        ASSERT_TRUE(access(tmp, F_OK) < 0);
        json_object_put(back);
        json_object_put(r);
        close(dfd);
        cleanup_dir(TAKE_PTR(dir));
}

TEST(results_capped_most_severe_kept) {
        json_object *r = jparse("{\"sandbox\": {\"source\": \"/s\"}, \"findings\": []}");
        json_object *findings = at(r, "findings");
        for (int i = 0; i < 5003; i++) {
                _cleanup_free_ char *text = xasprintf("{\"rule\": \"x.%s\", \"severity\": \"%s\", \"detail\": \"%d\"}",
                                                      i < 5000 ? "low" : "bad", i < 5000 ? "low" : "critical", i);
                json_object_array_add(findings, jparse(text));
        }
        json_object *s = sarif_from_report(r);
        json_object *results = at(s, "runs.0.results");
        ASSERT_EQ_INT(json_object_array_length(results), 5000);
        for (int i = 0; i < 3; i++)
                ASSERT_STREQ(at_str(json_object_array_get_idx(results, i), "ruleId"), "x.bad");
        ASSERT_STREQ(at_str(results, "3.message.text"), "0"); /* then report order */
        ASSERT_STREQ(at_str(s, "runs.0.invocations.0.toolExecutionNotifications.0.message.text"),
                     "3 less severe findings past the first 5000 are only in report.json");
        json_object_put(s);
        json_object_put(r);
}

TEST(relative_path_without_a_source_root) {
        json_object *r = jparse("{\"findings\": [{\"rule\": \"x.y\", \"evidence\": {\"path\": \"obj/a b.o\"}}]}");
        json_object *s = sarif_from_report(r);
        ASSERT_STREQ(at_str(s, "runs.0.results.0.locations.0.physicalLocation.artifactLocation.uri"), "obj/a%20b.o");
        ASSERT_TRUE(at(s, "runs.0.results.0.locations.0.physicalLocation.artifactLocation.uriBaseId") == NULL);
        ASSERT_TRUE(at(s, "runs.0.originalUriBaseIds") == NULL);
        json_object_put(s);
        json_object_put(r);
}
