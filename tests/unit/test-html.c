/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <strings.h>

#include "report-test.h"
#include "report/writers.h"
#include "test-fs.h"

static char *html_of(json_object *report) {
        struct capture c;
        ASSERT_EQ_INT(report_html_print(capture_begin(&c), report), 0);
        return capture_end(&c);
}

/* The text of the element opened by the first occurrence of MARK, up to its line's end. */
static char *line_with(const char *html, const char *mark) {
        const char *p = strstr(html, mark);
        if (!p)
                return xstrdup("");
        const char *start = p;
        while (start > html && start[-1] != '\n')
                start--;
        return strndup(start, strcspn(start, "\n"));
}

static size_t count(const char *hay, const char *needle) {
        size_t n = 0;
        for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
                n++;
        return n;
}

TEST(fixture_page) {
        json_object *r = load_fixture("report-findings.json");
        _cleanup_free_ char *html = html_of(r);
        ASSERT_TRUE(startswith(html, "<!DOCTYPE html>\n") != NULL);
        ASSERT_TRUE(contains(html, "</html>\n"));
        ASSERT_TRUE(contains(html, "<header class=\"banner fail\"><div class=\"in\"><h1>FAIL</h1>"));
        ASSERT_TRUE(contains(html, "<code>make -j2 &#39;CFLAGS=-O2 -g&#39;</code>"));
        ASSERT_TRUE(contains(html, "<li>5 findings: 1 critical, 2 high, 1 medium, 1 low</li>"));
        static const char *const ids[] = { "findings",  "processes", "sandbox", "monitor",
                                           "resources", "artifacts", "changes" };
        for (size_t i = 0; i < ELEMENTSOF(ids); i++) {
                _cleanup_free_ char *sec = xasprintf("<section id=\"%s\">", ids[i]);
                ASSERT_EQ_INT(count(html, sec), 1);
        }
        /* Findings by severity, critical first, each with rule docs, chain and evidence. */
        const char *crit = strstr(html, "<h3>critical (1)</h3>"), *high = strstr(html, "<h3>high (2)</h3>"),
                   *med = strstr(html, "<h3>medium (1)</h3>"), *low = strstr(html, "<h3>low (1)</h3>");
        ASSERT_TRUE(crit && high && med && low && crit < high && high < med && med < low);
        ASSERT_TRUE(contains(html, "<ol class=\"chain\"><li><b>bash</b> <span class=\"pid\">(1203)</span> "
                                   "<code>bash -i</code></li><li><b>dash</b>"));
        ASSERT_TRUE(contains(html, "<tr><th>address</th><td><code>127.0.0.1:4444</code></td></tr>"));
        ASSERT_TRUE(contains(html, "Catches: a miner or backdoor started by a build script"));
        ASSERT_TRUE(contains(html, "resolver test in ./configure"));
        /* Artifacts with their digest, source changes, sandbox settings. */
        ASSERT_TRUE(
                contains(html, "<td class=\"mono\">9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"));
        ASSERT_TRUE(contains(html, "<tr><td>modified</td><td><code>src/main.c</code></td></tr>"));
        ASSERT_TRUE(contains(html, "<tr><th>network</th><td><code>loopback only</code></td></tr>"));
        ASSERT_TRUE(contains(html, "<p>1234 events recorded, none lost.</p>"));
        ASSERT_TRUE(contains(html, "<tr><th>memory_peak</th><td>73400320 <span class=\"dim\">(70.0 MiB)</span>"));
        ASSERT_TRUE(!contains(html, "class=\"warn\""));
        ASSERT_TRUE(!contains(html, "(null)"));
        json_object_put(r);
}

TEST(tree_highlights_findings_and_folds_the_rest) {
        json_object *r = load_fixture("report-findings.json");
        _cleanup_free_ char *html = html_of(r);
        /* make: ancestor of hits, expanded; dash: ancestor of bash and cat, expanded and itself not a hit. */
        _cleanup_free_ char *make = line_with(html, "<span class=\"pid\">1100</span>");
        ASSERT_TRUE(startswith(make, "<details open><summary>") != NULL);
        ASSERT_TRUE(contains(make, "exit 0 · 12.10 s · 7 below"));
        _cleanup_free_ char *dash = line_with(html, "<span class=\"pid\">1200</span>");
        ASSERT_TRUE(startswith(dash, "<details open>") != NULL);
        /* bash and cat: hits, leaves. */
        _cleanup_free_ char *bash = line_with(html, "<span class=\"pid\">1203</span>");
        ASSERT_TRUE(startswith(bash, "<div class=\"leaf hit\">") != NULL);
        ASSERT_TRUE(contains(bash, "killed by SIGHUP"));
        _cleanup_free_ char *sleep_ = line_with(html, "<span class=\"pid\">1300</span>");
        ASSERT_TRUE(startswith(sleep_, "<div class=\"leaf hit\">") != NULL);
        /* cc: no finding below it, folded, with its count. */
        _cleanup_free_ char *cc = line_with(html, "<span class=\"pid\">1150</span>");
        ASSERT_TRUE(startswith(cc, "<details><summary>") != NULL);
        ASSERT_TRUE(contains(cc, "exit 0 · 1.00 s · 1 below"));
        ASSERT_TRUE(contains(cc, "title=\"/usr/bin/gcc in /work/src/hello\""));
        ASSERT_TRUE(contains(html, "<h2>Process tree (8 processes)</h2>"));
        json_object_put(r);
}

/* A build of N processes: make, then N-1 compilers below it; one of them (HIT) is in a finding. */
static json_object *big_build(size_t n, int hit) {
        json_object *r = jparse("{\"verdict\": \"fail\", \"findings\": [{\"rule\": \"x.y\", \"severity\": \"high\", "
                                "\"detail\": \"d\", \"process\": {}}]}");
        json_object_object_add(
                json_object_object_get(json_object_array_get_idx(json_object_object_get(r, "findings"), 0), "process"),
                "pid", json_object_new_int(hit));
        json_object *procs = json_object_new_array();
        for (size_t i = 0; i < n; i++) {
                json_object *p = json_object_new_object();
                json_object_object_add(p, "pid", json_object_new_int(100 + (int) i));
                json_object_object_add(p, "ppid", json_object_new_int(i == 0 ? 1 : 100));
                json_object_object_add(p, "exe", json_object_new_string(i == 0 ? "/usr/bin/make" : "/usr/bin/cc"));
                json_object_array_add(procs, p);
        }
        json_object_object_add(r, "processes", procs);
        return r;
}

TEST(big_builds_stay_usable) {
        json_object *r = big_build(20000, 100 + 19990);
        _cleanup_free_ char *html = html_of(r);
        ASSERT_TRUE(strlen(html) < 2 * 1024 * 1024);
        ASSERT_TRUE(contains(html, "<h2>Process tree (20000 processes)</h2>"));
        /* The hit is rendered although it comes after the budget ran out. */
        _cleanup_free_ char *hit = line_with(html, "<span class=\"pid\">20090</span>");
        ASSERT_TRUE(startswith(hit, "<div class=\"leaf hit\">") != NULL);
        ASSERT_TRUE(contains(html, "more processes not shown"));
        ASSERT_TRUE(
                contains(html, "This page shows at most 2000 processes besides those named by findings; 17998 more"));
        json_object_put(r);
}

TEST(deep_and_cyclic_trees) {
        /* A chain 5000 deep: nesting stops at 64 levels, counted. */
        json_object *r = jparse("{\"findings\": []}");
        json_object *procs = json_object_new_array();
        for (int i = 0; i < 5000; i++) {
                json_object *p = json_object_new_object();
                json_object_object_add(p, "pid", json_object_new_int(10 + i));
                json_object_object_add(p, "ppid", json_object_new_int(9 + i));
                json_object_array_add(procs, p);
        }
        json_object_object_add(r, "processes", procs);
        _cleanup_free_ char *deep = html_of(r);
        ASSERT_EQ_INT(count(deep, "<details"), 64);
        ASSERT_TRUE(contains(deep, "4936 processes deeper than 64 levels not shown"));
        json_object_put(r);

        /* Parent links in a cycle and a duplicate pid: counted, not looped over. */
        r = jparse("{\"processes\": [{\"pid\": 5, \"ppid\": 6}, {\"pid\": 6, \"ppid\": 5}, {\"pid\": 7, \"ppid\": 7}, "
                   "{\"pid\": 8, \"ppid\": 1}, {\"pid\": 8, \"ppid\": 7}], "
                   "\"findings\": [{\"process\": {\"pid\": 5}}, {\"process\": {\"pid\": 7}}]}");
        _cleanup_free_ char *cyc = html_of(r);
        ASSERT_TRUE(contains(cyc, "<h2>Process tree (4 processes)</h2>"));
        ASSERT_TRUE(contains(cyc, "2 processes are reachable from no root"));
        ASSERT_TRUE(contains(cyc, "<span class=\"pid\">7</span>")); /* its own parent: a root */
        json_object_put(r);
}

TEST(monitor_warnings) {
        json_object *r = load_fixture("report-findings.json");
        json_object *mon = json_object_object_get(r, "monitor");
        json_object_object_add(mon, "lost", json_object_new_int(42));
        _cleanup_free_ char *lost = html_of(r);
        ASSERT_TRUE(contains(lost, "<div class=\"warn\">42 monitor events were lost"));
        ASSERT_TRUE(contains(lost, "<span class=\"bad\">42 lost</span>"));
        json_object_object_add(r, "findings", json_object_new_array());
        json_object_object_add(mon, "enabled", json_object_new_boolean(false));
        json_object_object_add(mon, "reason", json_object_new_string("the kernel has no BTF"));
        _cleanup_free_ char *off = html_of(r);
        ASSERT_TRUE(contains(off, "<div class=\"warn\">The runtime monitor was off (the kernel has no BTF)"));
        ASSERT_TRUE(contains(off, "No findings. <span class=\"bad\">But the monitor did not see everything"));
        json_object_put(r);
}

/* Every '&' starts one of the entities the escaper writes. */
static bool ampersands_are_entities(const char *html) {
        static const char *const entities[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&#39;" };
        for (const char *p = strchr(html, '&'); p; p = strchr(p + 1, '&')) {
                bool ok = false;
                for (size_t i = 0; i < ELEMENTSOF(entities); i++)
                        ok = ok || startswith(p, entities[i]);
                if (!ok) {
                        tap_fail_("bare '&' before \"%.20s\"", p);
                        return false;
                }
        }
        return true;
}

TEST(hostile_strings_are_escaped_everywhere) {
        json_object *r = evil_report();
        _cleanup_free_ char *html = html_of(r);
        size_t n = strlen(html);
        ASSERT_TRUE(utf8_valid(html, n));
        ASSERT_TRUE(strcasestr(html, "<script") == NULL);
        ASSERT_TRUE(strcasestr(html, "<img") == NULL);
        ASSERT_TRUE(!contains(html, "alert(2)>"));
        ASSERT_TRUE(!contains(html, "'a&b"));
        ASSERT_TRUE(ampersands_are_entities(html));
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) html[i] < 0x20 && html[i] != '\n') {
                        tap_fail_("control byte 0x%02x at offset %zu", (unsigned char) html[i], i);
                        break;
                }
        ASSERT_TRUE(!contains(html, "\xc2\x9b") && !contains(html, "\xe2\x80\xae"));
        /* Shown, escaped, in text and in attributes. */
        ASSERT_TRUE(contains(html, "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"
                                   "&#39;a&amp;b&amp;amp;c\\x1b]0;pwned\\x07\\x1b[2J\\u009b31m\\u202ecod.exebad"
                                   "\\xff\\xfe\\xc3(\\xed\\xa0\\x80"));
        ASSERT_TRUE(contains(html, "title=\"/src/&lt;script&gt;"));
        ASSERT_TRUE(contains(html, "in /src/&quot;&gt;&lt;img"));
        /* Each place a hostile string can land was reached. */
        static const char *const places[] = { "<title>buildward: FAIL &#39;/tmp/&lt;script&gt;",
                                              "<h1>FAIL</h1><p><code>",
                                              "<th>&lt;script&gt;",
                                              "<li>started &lt;script",
                                              "<td class=\"mono\">&lt;script",
                                              "<li>interrupted by SIG&lt;script" };
        for (size_t i = 0; i < ELEMENTSOF(places); i++)
                if (!contains(html, places[i]))
                        tap_fail_("not reached: %s", places[i]);
        ASSERT_TRUE(contains(html, "Content-Security-Policy\" content=\"default-src 'none'"));
        json_object_put(r);
}

TEST(odd_reports_give_a_page) {
        for (size_t i = 0; i < ELEMENTSOF(odd_reports); i++) {
                json_object *r = odd_report(i);
                _cleanup_free_ char *html = html_of(r);
                if (!contains(html, "</html>\n") || contains(html, "(null)"))
                        tap_fail_("report %zu", i);
                ASSERT_TRUE(utf8_valid(html, strlen(html)));
                json_object_put(r);
        }
}

TEST(written_atomically) {
        _cleanup_free_ char *dir = tmpdir();
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        json_object *r = load_fixture("report-findings.json");
        ASSERT_EQ_INT(report_write_html(dfd, r), 0);
        _cleanup_free_ char *p = xasprintf("%s/report.html", dir), *tmp = xasprintf("%s/.report.html.tmp", dir);
        _cleanup_free_ char *text = NULL, *expected = html_of(r);
        ASSERT_EQ_INT(read_full_file(p, &text, NULL, 1 << 24), 0);
        ASSERT_STREQ(text, expected);
        ASSERT_TRUE(access(tmp, F_OK) < 0);
        json_object_put(r);
        close(dfd);
        cleanup_dir(TAKE_PTR(dir));
}
