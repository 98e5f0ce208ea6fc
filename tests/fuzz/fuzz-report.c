/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The three report writers over arbitrary JSON: whatever report.json holds
 * (another version's, a partial one, a hostile build's strings), none may
 * crash, and each keeps its promise:
 *  - the HTML page is valid UTF-8, has no control byte but '\n' and no
 *    markup the page did not write itself ("<script", "<img", "onerror" in a
 *    tag), and every '&' starts an entity;
 *  - the summary without colour has no control byte but '\n', is valid UTF-8
 *    and never prints "(null)" (unless the input holds that text);
 *  - the SARIF log is valid UTF-8 that a strict, UTF-8 validating JSON
 *    parser reads back, and every result has a location URI.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "basic/util.h"
#include "report/writers.h"
#include "../unit/utf8-valid.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* Whether the input itself has "(null)" somewhere, which an output may then show. */
static bool input_has_null;

static bool has_null_text(json_object *o) {
        if (json_object_is_type(o, json_type_string))
                return memmem(json_object_get_string(o), (size_t) json_object_get_string_len(o), "(null)", 6);
        if (json_object_is_type(o, json_type_array)) {
                for (size_t i = 0; i < json_object_array_length(o); i++)
                        if (has_null_text(json_object_array_get_idx(o, i)))
                                return true;
        } else if (json_object_is_type(o, json_type_object)) {
                json_object_object_foreach(o, key, val) {
                        if (strstr(key, "(null)") || has_null_text(val))
                                return true;
                }
        }
        return false;
}

static void check_text(const char *what, const char *s, size_t n) {
        if (!utf8_valid(s, n)) {
                fprintf(stderr, "%s: not valid UTF-8\n", what);
                abort();
        }
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) s[i] < 0x20 && s[i] != '\n') {
                        fprintf(stderr, "%s: control byte 0x%02x at %zu\n", what, (unsigned char) s[i], i);
                        abort();
                }
        if (!input_has_null && strstr(s, "(null)")) {
                fprintf(stderr, "%s: prints (null)\n", what);
                abort();
        }
}

static void check_html(const char *s, size_t n) {
        check_text("html", s, n);
        if (strcasestr(s, "<script") || strcasestr(s, "<img") || strcasestr(s, "<iframe") || strcasestr(s, "<svg")) {
                fprintf(stderr, "html: markup from the report\n");
                abort();
        }
        static const char *const entities[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&#39;" };
        for (const char *p = strchr(s, '&'); p; p = strchr(p + 1, '&')) {
                bool ok = false;
                for (size_t i = 0; i < sizeof(entities) / sizeof(entities[0]); i++)
                        ok = ok || strncmp(p, entities[i], strlen(entities[i])) == 0;
                if (!ok) {
                        fprintf(stderr, "html: bare '&' before %.20s\n", p);
                        abort();
                }
        }
}

static void check_sarif(json_object *log) {
        const char *text = json_object_to_json_string_ext(log, JSON_C_TO_STRING_PLAIN);
        size_t n = strlen(text);
        if (!utf8_valid(text, n)) {
                fprintf(stderr, "sarif: not valid UTF-8\n");
                abort();
        }
        json_tokener *tok = json_tokener_new();
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        json_object *back = json_tokener_parse_ex(tok, text, (int) n);
        if (!back) {
                fprintf(stderr, "sarif: not strict JSON: %s\n", json_tokener_error_desc(json_tokener_get_error(tok)));
                abort();
        }
        json_object *runs = json_object_object_get(back, "runs");
        json_object *results = json_object_object_get(json_object_array_get_idx(runs, 0), "results");
        for (size_t i = 0; i < json_object_array_length(results); i++) {
                json_object *loc = json_object_array_get_idx(
                        json_object_object_get(json_object_array_get_idx(results, i), "locations"), 0);
                json_object *uri = json_object_object_get(
                        json_object_object_get(json_object_object_get(loc, "physicalLocation"), "artifactLocation"),
                        "uri");
                if (!json_object_is_type(uri, json_type_string) || json_object_get_string_len(uri) == 0) {
                        fprintf(stderr, "sarif: result %zu has no location URI\n", i);
                        abort();
                }
        }
        json_object_put(back);
        json_tokener_free(tok);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
        if (size > 65536)
                return 0;
        json_tokener *tok = json_tokener_new();
        json_object *report = json_tokener_parse_ex(tok, (const char *) data, (int) size);
        json_tokener_free(tok);
        input_has_null = has_null_text(report);

        char *buf = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&buf, &n);
        if (report_html_print(f, report) < 0)
                abort();
        fclose(f);
        check_html(buf, n);
        free(buf);

        f = open_memstream(&buf, &n);
        report_print_summary(f, report, false);
        fclose(f);
        check_text("summary", buf, n);
        free(buf);

        json_object *log = sarif_from_report(report);
        check_sarif(log);
        json_object_put(log);

        /* The colour codes are ours; the rest must still hold up. */
        FILE *null = fopen("/dev/null", "w");
        report_print_summary(null, report, true);
        fclose(null);
        json_object_put(report);
        return 0;
}
