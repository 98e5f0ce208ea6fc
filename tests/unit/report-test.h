/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Shared by test-sarif.c, test-html.c and test-summary.c: fixtures and checks. */
#include <json-c/json.h>
#include <stdio.h>

#include "basic/util.h"
#include "tap.h"
#include "utf8-valid.h"

#ifndef BW_TEST_DATA
#error "tests/meson.build passes BW_TEST_DATA, the folder of tests/unit/data"
#endif

/* tests/unit/data/NAME parsed; asserts that it parsed. */
static inline json_object *load_fixture(const char *name) {
        _cleanup_free_ char *p = xasprintf("%s/%s", BW_TEST_DATA, name);
        json_object *o = json_object_from_file(p);
        ASSERT_TRUE(o != NULL);
        return o;
}

static inline json_object *jparse(const char *text) {
        json_object *o = json_tokener_parse(text);
        ASSERT_TRUE(o != NULL);
        return o;
}

/* An output captured in memory: open, write to .f, then capture_end() for the text. */
struct capture {
        char *buf;
        size_t n;
        FILE *f;
};

static inline FILE *capture_begin(struct capture *c) {
        *c = (struct capture){};
        c->f = open_memstream(&c->buf, &c->n);
        return c->f;
}

static inline char *capture_end(struct capture *c) {
        fclose(c->f);
        return c->buf;
}

static inline bool contains(const char *hay, const char *needle) {
        return hay && strstr(hay, needle) != NULL;
}

static inline json_object *jstr_bytes(const char *s) {
        return json_object_new_string_len(s, (int) strlen(s));
}

/*
 * The strings a hostile build plants: markup, attribute breakers, an entity
 * start, terminal escape sequences (OSC title, clear screen), a C1 CSI,
 * a bidi override and bytes that are not UTF-8.
 */
#define EVIL_SCRIPT "<script>alert(1)</script>"
#define EVIL_ATTR   "\"><img src=x onerror=alert(2)>'"
#define EVIL_AMP    "a&b&amp;c"
#define EVIL_TERM   "\033]0;pwned\007\033[2J"
#define EVIL_C1                                                                                                        \
        "\xc2\x9b"                                                                                                     \
        "31m"
#define EVIL_BIDI                                                                                                      \
        "\xe2\x80\xae"                                                                                                 \
        "cod.exe"
#define EVIL_BYTES "bad\xff\xfe\xc3(\xed\xa0\x80"
#define EVIL_ALL   EVIL_SCRIPT EVIL_ATTR EVIL_AMP EVIL_TERM EVIL_C1 EVIL_BIDI EVIL_BYTES

static inline json_object *evil_argv(void) {
        json_object *a = json_object_new_array();
        json_object_array_add(a, jstr_bytes("/tmp/" EVIL_SCRIPT));
        json_object_array_add(a, jstr_bytes(EVIL_ATTR));
        json_object_array_add(a, jstr_bytes(EVIL_AMP));
        json_object_array_add(a, jstr_bytes(EVIL_TERM));
        json_object_array_add(a, jstr_bytes(EVIL_C1));
        json_object_array_add(a, jstr_bytes(EVIL_BIDI));
        json_object_array_add(a, jstr_bytes(EVIL_BYTES));
        return a;
}

static inline json_object *evil_process(int pid, int ppid) {
        json_object *p = json_object_new_object();
        json_object_object_add(p, "pid", json_object_new_int(pid));
        json_object_object_add(p, "ppid", json_object_new_int(ppid));
        json_object_object_add(p, "exe", jstr_bytes("/src/" EVIL_ALL));
        json_object_object_add(p, "argv", evil_argv());
        json_object_object_add(p, "cwd", jstr_bytes("/src/" EVIL_ATTR));
        json_object_object_add(p, "signal", jstr_bytes(EVIL_ALL));
        return p;
}

/* A report in which every string a build can influence is hostile. */
static inline json_object *evil_report(void) {
        json_object *r = json_object_new_object();
        json_object_object_add(r, "version", json_object_new_int(1));
        json_object_object_add(r, "command", evil_argv());
        json_object_object_add(r, "exit_code", json_object_new_int(0));
        json_object_object_add(r, "verdict", json_object_new_string("fail"));
        json_object_object_add(r, "started_at", jstr_bytes(EVIL_ALL));
        json_object_object_add(r, "interrupted_by", jstr_bytes(EVIL_ALL));
        json_object *sb = json_object_new_object();
        json_object_object_add(sb, "source", json_object_new_string("/src"));
        json_object_object_add(sb, EVIL_ALL, jstr_bytes(EVIL_ALL));
        json_object_object_add(sb, "env", evil_argv());
        json_object_object_add(r, "sandbox", sb);
        json_object *mon = json_object_new_object();
        json_object_object_add(mon, "enabled", json_object_new_boolean(false));
        json_object_object_add(mon, "reason", jstr_bytes(EVIL_ALL));
        json_object_object_add(mon, "lost", json_object_new_int(3));
        json_object_object_add(r, "monitor", mon);
        json_object *pol = json_object_new_object(), *sup = json_object_new_array(), *s = json_object_new_object();
        json_object_object_add(s, "rule", jstr_bytes(EVIL_ALL));
        json_object_object_add(s, "reason", jstr_bytes(EVIL_ALL));
        json_object_object_add(s, "count", json_object_new_int(1));
        json_object_array_add(sup, s);
        json_object_object_add(pol, "file", jstr_bytes(EVIL_ALL));
        json_object_object_add(pol, "suppressed", sup);
        json_object_object_add(r, "policy", pol);

        json_object *findings = json_object_new_array();
        for (int i = 0; i < 2; i++) {
                json_object *f = json_object_new_object();
                json_object_object_add(f, "rule", jstr_bytes(i ? EVIL_ALL : "reverse-shell.future-rule"));
                json_object_object_add(f, "category", jstr_bytes(EVIL_ALL));
                json_object_object_add(f, "severity", json_object_new_string(i ? "critical" : "high"));
                json_object_object_add(f, "time", jstr_bytes(EVIL_ALL));
                json_object *p = evil_process(12, 11);
                json_object *chain = json_object_new_array();
                json_object_array_add(chain, evil_process(12, 11));
                json_object_array_add(chain, evil_process(11, 1));
                json_object_object_add(p, "chain", chain);
                json_object_object_add(f, "process", p);
                json_object_object_add(f, "detail", jstr_bytes(EVIL_ALL));
                json_object *ev = json_object_new_object();
                json_object_object_add(ev, "path", jstr_bytes("/src/" EVIL_ALL));
                json_object *paths = json_object_new_array();
                json_object_array_add(paths, jstr_bytes("/etc/" EVIL_ALL));
                json_object_object_add(ev, "paths", paths);
                json_object_object_add(ev, EVIL_ALL, jstr_bytes(EVIL_ALL));
                json_object_object_add(f, "evidence", ev);
                json_object_array_add(findings, f);
        }
        json_object_object_add(r, "findings", findings);
        json_object *procs = json_object_new_array();
        json_object_array_add(procs, evil_process(11, 1));
        json_object_array_add(procs, evil_process(12, 11));
        json_object_array_add(procs, evil_process(13, 11));
        json_object_object_add(r, "processes", procs);
        json_object *arts = json_object_new_array(), *a = json_object_new_object();
        json_object_object_add(a, "path", jstr_bytes(EVIL_ALL));
        json_object_object_add(a, "sha256", jstr_bytes(EVIL_ALL));
        json_object_object_add(a, "size", json_object_new_int(1));
        json_object_array_add(arts, a);
        json_object_object_add(r, "artifacts", arts);
        json_object *refused = json_object_new_array(), *rf = json_object_new_object();
        json_object_object_add(rf, "path", jstr_bytes(EVIL_ALL));
        json_object_object_add(rf, "reason", jstr_bytes(EVIL_ALL));
        json_object_array_add(refused, rf);
        json_object_object_add(r, "artifacts_refused", refused);
        json_object *changes = json_object_new_array(), *c = json_object_new_object();
        json_object_object_add(c, "path", jstr_bytes(EVIL_ALL));
        json_object_object_add(c, "change", jstr_bytes(EVIL_ALL));
        json_object_array_add(changes, c);
        json_object_object_add(r, "source_changes", changes);
        json_object_object_add(r, "buildward_version", jstr_bytes(EVIL_ALL));
        return r;
}

/* Reports from older versions, partial writes and plain garbage. */
static const char *const odd_reports[] = {
        "null",
        "[]",
        "{}",
        "\"text\"",
        "42",
        "{\"findings\": \"x\", \"verdict\": 3, \"monitor\": [], \"processes\": {\"a\": 1}, \"command\": 7}",
        "{\"findings\": [1, null, [], {\"rule\": 5, \"severity\": \"weird\", \"process\": {\"pid\": \"x\", \"chain\": "
        "[3, {\"pid\": null}]}, \"evidence\": {\"path\": 9, \"paths\": [1, null, \"\"]}}]}",
        "{\"findings\": [{}], \"processes\": [1, {\"pid\": 5, \"ppid\": 5}, {\"pid\": 6, \"ppid\": 7}, "
        "{\"pid\": 7, \"ppid\": 6}, {\"pid\": 5}], \"sandbox\": {\"source\": \"relative\"}, \"monitor\": "
        "{\"enabled\": \"no\", \"lost\": -1}, \"duration_s\": -5, \"exit_code\": 1e300}",
        "{\"sandbox\": {\"source\": \"/\"}, \"findings\": [{\"evidence\": {\"path\": \"/../../x\"}, \"process\": "
        "{\"cwd\": \"\"}}], \"started_at\": \"2026-13-45T99:99:99Z\", \"duration_s\": 1e308}",
        "{\"policy\": {\"suppressed\": [null, 1, {\"count\": \"3\"}]}, \"artifacts\": [null, {\"size\": 1.5}], "
        "\"source_changes\": [\"x\"], \"resource_usage\": [1, 2]}",
};

/* odd_reports[I] parsed ("null" is the one that parses to NULL). */
static inline json_object *odd_report(size_t i) {
        json_object *o = json_tokener_parse(odd_reports[i]);
        ASSERT_TRUE(o != NULL || streq(odd_reports[i], "null"));
        return o;
}
