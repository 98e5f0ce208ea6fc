/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * report.html: one self-contained page about a run for a person: verdict,
 * findings by severity with evidence and process chain, the build's process
 * tree, sandbox settings, monitor stats, resource usage, artifacts and source
 * changes. No script and no external resource: <details> does the folding,
 * and a Content-Security-Policy forbids anything but the inline style, so a
 * string that slipped past escaping still could not run or load anything.
 *
 * Every string of the report is the build's to choose (argv, paths, exe names)
 * and reaches the page only through text_escape(TEXT_HTML), in text and in
 * quoted attribute values alike. Sizes are capped so a build with a hundred
 * thousand processes or findings still gives a page a browser opens.
 */
#include <inttypes.h>

#include "basic/util.h"
#include "finding/catalog.h"
#include "report/report-read.h"
#include "report/report.h"
#include "report/writers.h"

#define MAX_FINDINGS   500  /* rendered; the rest are counted */
#define MAX_TREE_NODES 2000 /* uninvolved processes rendered in the tree */
#define MAX_TREE_DEPTH 64   /* nesting of <details>; deeper processes are counted */
#define MAX_ROWS       2000 /* artifacts, source changes */
#define MAX_JSON_DEPTH 8    /* of a generic value (evidence, sandbox) */
#define MAX_JSON_ITEMS 200  /* of one array in a generic value */
#define ARGV_MAX       1000 /* bytes of one command line shown */
#define STR_MAX        2000 /* bytes of one other string shown */
#define CHAIN_MAX      32
#define KEY_MAX        32 /* bytes of a key shown: the key column does not wrap */

static void esc(FILE *f, const char *s) {
        text_escape_str(f, s, STR_MAX, TEXT_HTML);
}

static const char *const css =
        "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1d2329;background:#f5f6f8;"
        "overflow-wrap:anywhere}"
        "main{max-width:1200px;margin:0 auto;padding:0 20px 40px}"
        "code,.mono{font:12.5px/1.4 ui-monospace,'DejaVu Sans Mono',monospace;word-break:break-all}"
        "header.banner{color:#fff;padding:18px 20px}"
        "header.banner .in{max-width:1200px;margin:0 auto}"
        "header.banner h1{margin:0;font-size:30px;letter-spacing:.04em}"
        "header.banner code{color:#fff;background:rgba(0,0,0,.18);padding:2px 6px;border-radius:4px}"
        ".pass{background:#2e7d32}.fail{background:#c62828}.unknown{background:#616161}"
        "ul.facts{list-style:none;padding:0;margin:10px 0 0;display:flex;flex-wrap:wrap;gap:6px 18px}"
        "nav{margin:14px 0;display:flex;flex-wrap:wrap;gap:4px 14px}nav a{color:#1565c0}"
        "section{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:4px 18px 14px;margin:16px 0}"
        "h2{font-size:19px;margin:14px 0 8px}h3{font-size:15px;margin:14px 0 6px}"
        ".warn{background:#fdecea;border:1px solid #e57373;color:#8e1b1b;border-radius:8px;padding:10px 14px;"
        "margin:14px 0;font-weight:600}"
        ".note{color:#555;font-style:italic}.dim{color:#777}.okmsg{color:#2e7d32;font-weight:600}"
        "details.finding{border:1px solid #dde1e6;border-left:6px solid #999;border-radius:6px;margin:8px 0;"
        "padding:6px 10px}"
        "details.finding>summary{cursor:pointer;font-weight:600}"
        ".badge{display:inline-block;min-width:64px;text-align:center;color:#fff;border-radius:4px;padding:0 6px;"
        "font-size:12px;text-transform:uppercase;margin-right:6px}"
        ".sev-critical{border-left-color:#6a1b9a!important}.badge.sev-critical{background:#6a1b9a}"
        ".sev-high{border-left-color:#c62828!important}.badge.sev-high{background:#c62828}"
        ".sev-medium{border-left-color:#ef6c00!important}.badge.sev-medium{background:#ef6c00}"
        ".sev-low{border-left-color:#1565c0!important}.badge.sev-low{background:#1565c0}"
        ".sev-info{border-left-color:#757575!important}.badge.sev-info{background:#757575}"
        "table{border-collapse:collapse;margin:4px 0}td,th{text-align:left;vertical-align:top;padding:3px 10px 3px 0;"
        "border-bottom:1px solid #eef0f2}th{color:#444;font-weight:600;white-space:nowrap}"
        "table.kv th{width:1%}ol.chain{margin:2px 0;padding-left:22px}"
        ".tree details,.tree .leaf{margin-left:18px}.tree>details,.tree>.leaf{margin-left:0}"
        ".tree summary{cursor:pointer}.tree .leaf{padding-left:14px}"
        ".pid{color:#555;font:12px ui-monospace,monospace}.hit>summary,.leaf.hit{background:#fff3cd}"
        ".hit>summary b,.leaf.hit b{color:#b71c1c}.count{color:#777;font-size:12px}"
        ".bad{color:#c62828;font-weight:600}footer{color:#777;font-size:12px;margin-top:20px}";

static const char *severity_class(int sev) {
        static const char *const v[] = { "sev-info", "sev-low", "sev-medium", "sev-high", "sev-critical" };
        return sev >= 0 && sev <= SEV_CRITICAL ? v[sev] : "sev-info";
}

static void print_scalar(FILE *f, json_object *v) {
        switch (json_object_get_type(v)) {
        case json_type_null:
                fputs("<span class=\"dim\">none</span>", f);
                break;
        case json_type_boolean:
                fputs(json_object_get_boolean(v) ? "yes" : "no", f);
                break;
        case json_type_string:
                fputs("<code>", f);
                text_escape_json(f, v, STR_MAX, TEXT_HTML);
                fputs("</code>", f);
                break;
        default: /* numbers: json-c's own text of them, escaped all the same */
                esc(f, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
        }
}

/* " (70.0 MiB)" after a byte count the report names memory, memory_peak or tmp_size. */
static void print_size_hint(FILE *f, const char *key, json_object *v) {
        static const char *const keys[] = { "memory", "memory_peak", "tmp_size" };
        static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
        bool known = false;
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                known = known || streq(key, keys[i]);
        if (!known || !json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 1024)
                return;
        double x = (double) json_object_get_int64(v) / 1024;
        size_t u = 0;
        for (; x >= 1024 && u + 1 < ELEMENTSOF(units); u++)
                x /= 1024;
        fprintf(f, " <span class=\"dim\">(%.1f %s)</span>", x, units[u]);
}

/* Any JSON value as nested tables and lists. */
static void print_value(FILE *f, json_object *v, int depth) {
        if (depth > MAX_JSON_DEPTH) {
                fputs("<span class=\"dim\">…</span>", f);
                return;
        }
        if (json_object_is_type(v, json_type_object)) {
                if (json_object_object_length(v) == 0) {
                        fputs("<span class=\"dim\">none</span>", f);
                        return;
                }
                fputs("<table class=\"kv\">", f);
                json_object_object_foreach(v, key, val) {
                        fputs("<tr><th>", f);
                        text_escape_str(f, key, KEY_MAX, TEXT_HTML);
                        fputs("</th><td>", f);
                        print_value(f, val, depth + 1);
                        print_size_hint(f, key, val);
                        fputs("</td></tr>", f);
                }
                fputs("</table>", f);
        } else if (json_object_is_type(v, json_type_array)) {
                size_t n = rj_len(v);
                if (n == 0) {
                        fputs("<span class=\"dim\">none</span>", f);
                        return;
                }
                bool nested = false;
                for (size_t i = 0; i < n && !nested; i++)
                        nested = json_object_is_type(rj_at(v, i), json_type_object) ||
                                 json_object_is_type(rj_at(v, i), json_type_array);
                if (!nested) {
                        for (size_t i = 0; i < n && i < MAX_JSON_ITEMS; i++) {
                                if (i)
                                        fputs(", ", f);
                                print_scalar(f, rj_at(v, i));
                        }
                } else {
                        fputs("<ol>", f);
                        for (size_t i = 0; i < n && i < MAX_JSON_ITEMS; i++) {
                                fputs("<li>", f);
                                print_value(f, rj_at(v, i), depth + 1);
                                fputs("</li>", f);
                        }
                        fputs("</ol>", f);
                }
                if (n > MAX_JSON_ITEMS)
                        fprintf(f, " <span class=\"note\">… %zu more in report.json</span>", n - MAX_JSON_ITEMS);
        } else
                print_scalar(f, v);
}

static void print_argv(FILE *f, json_object *argv) {
        fputs("<code>", f);
        argv_print(f, argv, ARGV_MAX, TEXT_HTML);
        fputs("</code>", f);
}

static void print_banner(FILE *f, json_object *report, const size_t by_sev[], size_t n_findings) {
        const char *verdict = rj_str(report, "verdict");
        bool pass = verdict && streq(verdict, "pass"), fail = verdict && streq(verdict, "fail");
        fprintf(f, "<header class=\"banner %s\"><div class=\"in\"><h1>%s</h1>",
                pass   ? "pass"
                : fail ? "fail"
                       : "unknown",
                pass   ? "PASS"
                : fail ? "FAIL"
                       : "NO VERDICT");
        if (rj_arr(report, "command")) {
                fputs("<p>", f);
                print_argv(f, rj_arr(report, "command"));
                fputs("</p>", f);
        }
        fputs("<ul class=\"facts\">", f);
        int64_t code;
        bool timed_out = false;
        (void) rj_bool(report, "timed_out", &timed_out);
        if (timed_out)
                fputs("<li>timed out</li>", f);
        else if (rj_str(report, "interrupted_by")) {
                fputs("<li>interrupted by SIG", f);
                esc(f, rj_str(report, "interrupted_by"));
                fputs("</li>", f);
        } else if (rj_int(report, "exit_code", &code))
                fprintf(f, "<li>exit %" PRId64 "</li>", code);
        if (rj_str(report, "exec_error")) {
                fputs("<li>not executed: ", f);
                esc(f, rj_str(report, "exec_error"));
                fputs("</li>", f);
        }
        if (rj_int(report, "buildward_exit_code", &code))
                fprintf(f, "<li>buildward exit %" PRId64 "</li>", code);
        double secs;
        if (rj_num(report, "duration_s", &secs)) {
                char d[32];
                duration_format(secs, d, sizeof(d));
                fprintf(f, "<li>%s</li>", d);
        }
        if (rj_str(report, "started_at")) {
                fputs("<li>started ", f);
                esc(f, rj_str(report, "started_at"));
                fputs("</li>", f);
        }
        fprintf(f, "<li>%zu finding%s", n_findings, n_findings == 1 ? "" : "s");
        for (int s = SEV_CRITICAL, first = 1; s >= SEV_INFO; s--)
                if (by_sev[s]) {
                        fprintf(f, "%s%zu %s", first ? ": " : ", ", by_sev[s], severity_name((enum severity) s));
                        first = 0;
                }
        fputs("</li>", f);
        if (rj_str(report, "fail_on")) {
                fputs("<li>fails on ", f);
                esc(f, rj_str(report, "fail_on"));
                fputs(" or above</li>", f);
        }
        fputs("</ul></div></header>\n", f);
}

/* The red box above everything when the findings cannot be complete. */
static bool print_monitor_warning(FILE *f, json_object *report) {
        json_object *mon = rj_obj(report, "monitor");
        bool enabled = true;
        int64_t lost = 0;
        if (!mon) {
                fputs("<div class=\"warn\">This report says nothing about the runtime monitor: treat the findings as "
                      "incomplete.</div>\n",
                      f);
                return true;
        }
        bool warned = false;
        if (rj_bool(mon, "enabled", &enabled) && !enabled) {
                fputs("<div class=\"warn\">The runtime monitor was off (", f);
                esc(f, rj_str(mon, "reason") ? rj_str(mon, "reason") : "no reason given");
                fputs("): nothing the build did at run time was checked.</div>\n", f);
                warned = true;
        }
        if (rj_int(mon, "lost", &lost) && lost > 0) {
                fprintf(f,
                        "<div class=\"warn\">%" PRId64 " monitor event%s lost: what the build did is not fully "
                        "known, and the findings may be incomplete.</div>\n",
                        lost, lost == 1 ? " was" : "s were");
                warned = true;
        }
        return warned;
}

static void print_chain(FILE *f, json_object **chain, size_t n) {
        fputs("<ol class=\"chain\">", f);
        for (size_t i = 0; i < n; i++) {
                int64_t pid;
                fputs("<li><b>", f);
                esc(f, proc_name(chain[i]));
                fputs("</b>", f);
                if (rj_int(chain[i], "pid", &pid))
                        fprintf(f, " <span class=\"pid\">(%" PRId64 ")</span>", pid);
                if (rj_arr(chain[i], "argv")) {
                        fputc(' ', f);
                        print_argv(f, rj_arr(chain[i], "argv"));
                }
                fputs("</li>", f);
        }
        fputs("</ol>", f);
}

static void print_finding(FILE *f, json_object *finding, int sev, const struct proc_index *ix) {
        const char *rule = rj_str(finding, "rule"), *detail = rj_str(finding, "detail");
        fprintf(f, "<details class=\"finding %s\" open><summary><span class=\"badge %s\">%s</span><code>",
                severity_class(sev), severity_class(sev), sev >= 0 ? severity_name((enum severity) sev) : "unknown");
        esc(f, rule ? rule : "unknown-rule");
        fputs("</code> ", f);
        esc(f, detail ? detail : "(no detail in the report)");
        fputs("</summary><table class=\"kv\">", f);
        const struct rule_info *info = rule ? rule_find(rule) : NULL;
        if (info) {
                fputs("<tr><th>rule</th><td>", f);
                esc(f, info->summary);
                fputs(".<br><span class=\"dim\">Catches: ", f);
                esc(f, info->attack);
                fputs(".</span></td></tr>", f);
        }
        static const char *const keys[] = { "category", "time" };
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (rj_str(finding, keys[i])) {
                        fprintf(f, "<tr><th>%s</th><td>", keys[i]);
                        esc(f, rj_str(finding, keys[i]));
                        fputs("</td></tr>", f);
                }
        json_object *proc = rj_obj(finding, "process");
        if (proc) {
                int64_t pid;
                fputs("<tr><th>process</th><td>", f);
                if (rj_int(proc, "pid", &pid))
                        fprintf(f, "pid %" PRId64 " ", pid);
                if (rj_str(proc, "exe")) {
                        fputs("<code>", f);
                        esc(f, rj_str(proc, "exe"));
                        fputs("</code>", f);
                }
                if (rj_arr(proc, "argv")) {
                        fputs("<br>", f);
                        print_argv(f, rj_arr(proc, "argv"));
                }
                if (rj_str(proc, "cwd")) {
                        fputs("<br><span class=\"dim\">in</span> <code>", f);
                        esc(f, rj_str(proc, "cwd"));
                        fputs("</code>", f);
                }
                fputs("</td></tr>", f);
        }
        size_t n;
        _cleanup_free_ json_object **chain = finding_chain(finding, ix, CHAIN_MAX, &n);
        if (n > 1) {
                fputs("<tr><th>process chain</th><td>", f);
                print_chain(f, chain, n);
                fputs("</td></tr>", f);
        }
        json_object *ev;
        if (json_object_object_get_ex(finding, "evidence", &ev) && ev) {
                fputs("<tr><th>evidence</th><td>", f);
                print_value(f, ev, 0);
                fputs("</td></tr>", f);
        }
        fputs("</table></details>\n", f);
}

enum cell { CELL_TEXT, CELL_CODE, CELL_DIGEST, CELL_INT };

struct column {
        const char *key, *title;
        enum cell kind;
};

/* ROWS (an array of objects) as a table of COLS, at most MAX_ROWS rows. */
static void print_rows(FILE *f, json_object *rows, const struct column *cols, size_t n_cols) {
        fputs("<table><tr>", f);
        for (size_t c = 0; c < n_cols; c++)
                fprintf(f, "<th>%s</th>", cols[c].title);
        fputs("</tr>", f);
        for (size_t i = 0; i < rj_len(rows) && i < MAX_ROWS; i++) {
                json_object *row = rj_at(rows, i);
                fputs("<tr>", f);
                for (size_t c = 0; c < n_cols; c++) {
                        int64_t v;
                        fputs(cols[c].kind == CELL_DIGEST ? "<td class=\"mono\">" : "<td>", f);
                        if (cols[c].kind == CELL_INT) {
                                if (rj_int(row, cols[c].key, &v))
                                        fprintf(f, "%" PRId64, v);
                        } else if (cols[c].kind == CELL_CODE && rj_str(row, cols[c].key)) {
                                fputs("<code>", f);
                                esc(f, rj_str(row, cols[c].key));
                                fputs("</code>", f);
                        } else
                                esc(f, rj_str(row, cols[c].key));
                        fputs("</td>", f);
                }
                fputs("</tr>", f);
        }
        fputs("</table>\n", f);
        if (rj_len(rows) > MAX_ROWS)
                fprintf(f, "<p class=\"note\">%zu more in report.json.</p>\n", rj_len(rows) - MAX_ROWS);
}

static void print_suppressed(FILE *f, json_object *report) {
        static const struct column cols[] = { { "rule", "rule", CELL_CODE },
                                              { "count", "count", CELL_INT },
                                              { "reason", "reason", CELL_TEXT } };
        json_object *sup = rj_arr(rj_obj(report, "policy"), "suppressed");
        if (rj_len(sup) == 0)
                return;
        fputs("<h3>Suppressed by policy", f);
        if (rj_str(rj_obj(report, "policy"), "file")) {
                fputs(" <code>", f);
                esc(f, rj_str(rj_obj(report, "policy"), "file"));
                fputs("</code>", f);
        }
        fputs("</h3>", f);
        print_rows(f, sup, cols, ELEMENTSOF(cols));
}

static void print_findings(FILE *f, json_object *report, struct ranked_finding *rank, size_t n, bool warned,
                           const struct proc_index *ix) {
        fprintf(f, "<section id=\"findings\"><h2>Findings (%zu)</h2>\n", n);
        if (n == 0)
                fprintf(f, "<p class=\"okmsg\">No findings.%s</p>\n",
                        warned ? " <span class=\"bad\">But the monitor did not see everything: see the warning "
                                 "above.</span>"
                               : "");
        int group = -2;
        json_object *findings = rj_arr(report, "findings");
        for (size_t i = 0; i < n && i < MAX_FINDINGS; i++) {
                if (rank[i].severity != group) {
                        group = rank[i].severity;
                        size_t count = 0;
                        for (size_t k = i; k < n && rank[k].severity == group; k++)
                                count++;
                        fprintf(f, "<h3>%s (%zu)</h3>\n",
                                group >= 0 ? severity_name((enum severity) group) : "unknown severity", count);
                }
                print_finding(f, rj_at(findings, rank[i].index), rank[i].severity, ix);
        }
        if (n > MAX_FINDINGS)
                fprintf(f, "<p class=\"note\">%zu more findings are not shown here; report.json lists them all.</p>\n",
                        n - MAX_FINDINGS);
        print_suppressed(f, report);
        fputs("</section>\n", f);
}

/*
 * The process tree. A node is an entry of report.processes with an integer pid
 * (the first entry of a pid; later duplicates are ignored); its parent is the
 * entry of its ppid; roots are entries whose ppid is not listed. Children keep
 * report order (the order processes started). A process named by a finding
 * ("hit") and every ancestor of one are always rendered, the ancestors
 * expanded; every other process is rendered folded, within a budget of
 * MAX_TREE_NODES, and counted when it is not. Entries in a ppid cycle are
 * reachable from no root and are only counted.
 */
struct tree {
        size_t n; /* entries of report.processes */
        json_object *procs;
        bool *node;
        ssize_t *parent;
        size_t *first, *kids; /* children of i: kids[first[i] .. first[i + 1]) */
        size_t *below;        /* descendants */
        bool *hit, *hot;      /* hot: a hit, or a hit below */
        size_t budget, not_shown, too_deep;
};

/* PROC is named by a finding (HIT) or is in a finding's process chain: expand the way to it. */
static void tree_mark(struct tree *t, const struct proc_index *ix, json_object *proc, bool hit) {
        int64_t pid;
        const struct proc_entry *e = rj_int(proc, "pid", &pid) ? proc_index_lookup(ix, pid) : NULL;
        if (!e)
                return;
        t->hit[e->pos] = t->hit[e->pos] || hit;
        /* Up to the root; the step bound also ends a walk into a ppid cycle. */
        ssize_t i = (ssize_t) e->pos;
        for (size_t steps = 0; i >= 0 && !t->hot[i] && steps <= t->n; steps++) {
                t->hot[i] = true;
                i = t->parent[i];
        }
}

static void tree_build(struct tree *t, json_object *report, const struct proc_index *ix) {
        t->procs = rj_arr(report, "processes");
        size_t n = t->n = rj_len(t->procs);
        t->budget = MAX_TREE_NODES;
        t->node = xcalloc(n + 1, sizeof(bool));
        t->parent = xcalloc(n + 1, sizeof(ssize_t));
        t->first = xcalloc(n + 2, sizeof(size_t));
        t->kids = xcalloc(n + 1, sizeof(size_t));
        t->below = xcalloc(n + 1, sizeof(size_t));
        t->hit = xcalloc(n + 1, sizeof(bool));
        t->hot = xcalloc(n + 1, sizeof(bool));
        for (size_t i = 0; i < n; i++) {
                json_object *p = rj_at(t->procs, i);
                int64_t pid, ppid;
                const struct proc_entry *self = rj_int(p, "pid", &pid) ? proc_index_lookup(ix, pid) : NULL;
                t->node[i] = self && self->pos == i;
                const struct proc_entry *e =
                        t->node[i] && rj_int(p, "ppid", &ppid) ? proc_index_lookup(ix, ppid) : NULL;
                t->parent[i] = e && e->pos != i ? (ssize_t) e->pos : -1;
                if (t->parent[i] >= 0)
                        t->first[t->parent[i] + 1]++;
        }
        for (size_t i = 0; i < n; i++)
                t->first[i + 1] += t->first[i];
        _cleanup_free_ size_t *fill = xcalloc(n + 1, sizeof(size_t));
        for (size_t i = 0; i < n; i++)
                if (t->parent[i] >= 0) {
                        size_t p = (size_t) t->parent[i];
                        t->kids[t->first[p] + fill[p]++] = i;
                }

        /* Descendant counts: a preorder from the roots, summed up in reverse. */
        _cleanup_free_ size_t *order = xcalloc(n + 1, sizeof(size_t)), *stack = xcalloc(n + 1, sizeof(size_t));
        size_t n_order = 0, sp = 0;
        for (size_t i = 0; i < n; i++)
                if (t->node[i] && t->parent[i] < 0)
                        stack[sp++] = i;
        while (sp > 0) {
                size_t i = stack[--sp];
                order[n_order++] = i;
                for (size_t k = t->first[i]; k < t->first[i + 1]; k++)
                        stack[sp++] = t->kids[k];
        }
        for (size_t k = n_order; k-- > 0;)
                if (t->parent[order[k]] >= 0)
                        t->below[t->parent[order[k]]] += t->below[order[k]] + 1;

        json_object *findings = rj_arr(report, "findings");
        for (size_t i = 0; i < rj_len(findings); i++) {
                json_object *proc = rj_obj(rj_at(findings, i), "process"), *chain = rj_arr(proc, "chain");
                tree_mark(t, ix, proc, true);
                for (size_t k = 0; k < rj_len(chain) && k < CHAIN_MAX; k++)
                        tree_mark(t, ix, rj_at(chain, k), false);
        }
}

static void tree_done(struct tree *t) {
        free(t->node);
        free(t->parent);
        free(t->first);
        free(t->kids);
        free(t->below);
        free(t->hit);
        free(t->hot);
}

static size_t tree_reachable(const struct tree *t) {
        size_t r = 0;
        for (size_t i = 0; i < t->n; i++)
                if (t->node[i] && t->parent[i] < 0)
                        r += 1 + t->below[i];
        return r;
}

static void tree_node_line(FILE *f, const struct tree *t, size_t i) {
        json_object *p = rj_at(t->procs, i);
        int64_t pid, code;
        (void) rj_int(p, "pid", &pid);
        fprintf(f, "<span class=\"pid\">%" PRId64 "</span> <b title=\"", pid);
        esc(f, rj_str(p, "exe") ? rj_str(p, "exe") : "executable unknown");
        if (rj_str(p, "cwd")) {
                fputs(" in ", f);
                esc(f, rj_str(p, "cwd"));
        }
        fputs("\">", f);
        esc(f, proc_name(p));
        fputs("</b> ", f);
        if (rj_len(rj_arr(p, "argv")) > 1)
                print_argv(f, rj_arr(p, "argv"));
        fputs(" <span class=\"count\">", f);
        if (rj_str(p, "signal")) {
                fputs("killed by SIG", f);
                esc(f, rj_str(p, "signal"));
        } else if (rj_int(p, "exit_code", &code))
                fprintf(f, "exit %" PRId64, code);
        else if (json_object_object_get_ex(p, "end", NULL) && !rj_str(p, "end"))
                fputs("still running at the end", f);
        double start, end;
        if (rfc3339_utc_parse(rj_str(p, "start"), &start) && rfc3339_utc_parse(rj_str(p, "end"), &end) &&
            end >= start) {
                char d[32];
                duration_format(end - start, d, sizeof(d));
                fprintf(f, " · %s", d);
        }
        if (t->below[i])
                fprintf(f, " · %zu below", t->below[i]);
        fputs("</span>", f);
}

static void tree_render(FILE *f, struct tree *t, size_t i, int depth);

/* The children of PARENT (or the roots, for PARENT < 0) at DEPTH. */
static void tree_render_level(FILE *f, struct tree *t, ssize_t parent, int depth) {
        size_t lo = parent >= 0 ? t->first[parent] : 0, hi = parent >= 0 ? t->first[parent + 1] : t->n;
        size_t hidden = 0;
        for (size_t k = lo; k < hi; k++) {
                size_t i = parent >= 0 ? t->kids[k] : k;
                if (parent < 0 && !(t->node[i] && t->parent[i] < 0))
                        continue;
                if (!t->hot[i] && t->budget == 0) {
                        hidden += 1 + t->below[i];
                        continue;
                }
                if (!t->hot[i])
                        t->budget--;
                tree_render(f, t, i, depth);
        }
        if (hidden > 0) {
                t->not_shown += hidden;
                fprintf(f, "<div class=\"leaf note\">… %zu more process%s not shown</div>", hidden,
                        hidden == 1 ? "" : "es");
        }
}

static void tree_render(FILE *f, struct tree *t, size_t i, int depth) {
        const char *hit = t->hit[i] ? " hit" : "";
        if (t->first[i] == t->first[i + 1]) {
                fprintf(f, "<div class=\"leaf%s\">", hit);
                tree_node_line(f, t, i);
                fputs("</div>\n", f);
                return;
        }
        bool open = false;
        for (size_t k = t->first[i]; k < t->first[i + 1] && !open; k++)
                open = t->hot[t->kids[k]];
        fprintf(f, "<details%s%s><summary>", t->hit[i] ? " class=\"hit\"" : "", open ? " open" : "");
        tree_node_line(f, t, i);
        fputs("</summary>\n", f);
        if (depth + 1 >= MAX_TREE_DEPTH) {
                t->too_deep += t->below[i];
                fprintf(f, "<div class=\"leaf note\">… %zu process%s deeper than %d levels not shown</div>",
                        t->below[i], t->below[i] == 1 ? "" : "es", MAX_TREE_DEPTH);
        } else
                tree_render_level(f, t, (ssize_t) i, depth + 1);
        fputs("</details>\n", f);
}

static void print_tree(FILE *f, json_object *report, const struct proc_index *ix) {
        struct tree t = {};
        tree_build(&t, report, ix);
        size_t nodes = 0, hits = 0;
        for (size_t i = 0; i < t.n; i++) {
                nodes += t.node[i];
                hits += t.hit[i];
        }
        fprintf(f, "<section id=\"processes\"><h2>Process tree (%zu process%s)</h2>\n", nodes, nodes == 1 ? "" : "es");
        bool truncated = false;
        (void) rj_bool(report, "processes_truncated", &truncated);
        if (truncated)
                fputs("<p class=\"bad\">The monitor's process table overflowed: this list is incomplete.</p>\n", f);
        if (nodes == 0)
                fputs("<p class=\"dim\">No process list in this report.</p>\n", f);
        else {
                fprintf(f,
                        "<p class=\"note\">%zu process%s named by findings %s highlighted and %s ancestors "
                        "expanded; other subtrees are folded, with the number of processes below each.</p>\n"
                        "<div class=\"tree\">\n",
                        hits, hits == 1 ? "" : "es", hits == 1 ? "is" : "are", hits == 1 ? "its" : "their");
                tree_render_level(f, &t, -1, 0);
                fputs("</div>\n", f);
                if (t.not_shown)
                        fprintf(f,
                                "<p class=\"note\">This page shows at most %d processes besides those named by "
                                "findings; %zu more are in report.json.</p>\n",
                                MAX_TREE_NODES, t.not_shown);
                size_t unreachable = nodes - tree_reachable(&t);
                if (unreachable)
                        fprintf(f,
                                "<p class=\"bad\">%zu process%s reachable from no root (their parent links form "
                                "a cycle): not shown.</p>\n",
                                unreachable, unreachable == 1 ? " is" : "es are");
        }
        fputs("</section>\n", f);
        tree_done(&t);
}

static void print_section_value(FILE *f, const char *id, const char *title, json_object *v) {
        fprintf(f, "<section id=\"%s\"><h2>%s</h2>\n", id, title);
        if (v)
                print_value(f, v, 0);
        else
                fputs("<p class=\"dim\">Not in this report.</p>", f);
        fputs("\n</section>\n", f);
}

static void print_monitor(FILE *f, json_object *report) {
        json_object *mon = rj_obj(report, "monitor");
        int64_t lost = 0, events;
        fputs("<section id=\"monitor\"><h2>Monitor</h2>\n", f);
        if (rj_int(mon, "events", &events))
                fprintf(f, "<p>%" PRId64 " event%s recorded", events, events == 1 ? "" : "s");
        else
                fputs("<p>events: unknown", f);
        if (rj_int(mon, "lost", &lost) && lost > 0)
                fprintf(f, ", <span class=\"bad\">%" PRId64 " lost</span>", lost);
        else if (rj_int(mon, "lost", &lost))
                fputs(", none lost", f);
        fputs(".</p>\n", f);
        if (mon)
                print_value(f, mon, 0);
        fputs("\n</section>\n", f);
}

static void print_artifacts(FILE *f, json_object *report) {
        static const struct column cols[] = { { "path", "path", CELL_CODE },
                                              { "size", "size", CELL_INT },
                                              { "sha256", "sha256", CELL_DIGEST } };
        static const struct column refused_cols[] = { { "path", "path", CELL_CODE },
                                                      { "reason", "reason", CELL_TEXT } };
        json_object *a = rj_arr(report, "artifacts"), *refused = rj_arr(report, "artifacts_refused");
        fprintf(f, "<section id=\"artifacts\"><h2>Artifacts (%zu)</h2>\n", rj_len(a));
        if (rj_len(a) == 0)
                fputs("<p class=\"dim\">None collected.</p>\n", f);
        else
                print_rows(f, a, cols, ELEMENTSOF(cols));
        if (rj_len(refused) > 0) {
                fputs("<h3>Refused</h3>", f);
                print_rows(f, refused, refused_cols, ELEMENTSOF(refused_cols));
        }
        fputs("</section>\n", f);
}

static void print_changes(FILE *f, json_object *report) {
        static const struct column cols[] = { { "change", "change", CELL_TEXT }, { "path", "path", CELL_CODE } };
        json_object *c = rj_arr(report, "source_changes");
        bool truncated = false;
        (void) rj_bool(report, "source_changes_truncated", &truncated);
        fprintf(f, "<section id=\"changes\"><h2>Source changes (%s%zu)</h2>\n", truncated ? "over " : "", rj_len(c));
        if (truncated)
                fputs("<p class=\"note\">The list was cut at its limit when the report was written.</p>\n", f);
        if (rj_len(c) == 0)
                fputs("<p class=\"dim\">The build changed nothing in its source tree.</p>\n", f);
        else
                print_rows(f, c, cols, ELEMENTSOF(cols));
        fputs("</section>\n", f);
}

int report_html_print(FILE *f, json_object *report) {
        size_t n, by_sev[SEV_CRITICAL + 1];
        _cleanup_free_ struct ranked_finding *rank = findings_ranked(report, by_sev, &n);

        const char *verdict = rj_str(report, "verdict");
        fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
              "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
              "'unsafe-inline'\">\n"
              "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>buildward: ",
              f);
        fputs(verdict && streq(verdict, "pass")   ? "PASS"
              : verdict && streq(verdict, "fail") ? "FAIL"
                                                  : "no verdict",
              f);
        if (rj_arr(report, "command")) {
                fputs(" ", f);
                argv_print(f, rj_arr(report, "command"), 120, TEXT_HTML);
        }
        fprintf(f, "</title>\n<style>%s</style></head><body>\n", css);
        print_banner(f, report, by_sev, n);
        fputs("<main>\n", f);
        bool warned = print_monitor_warning(f, report);
        fputs("<nav><a href=\"#findings\">Findings</a><a href=\"#processes\">Process tree</a>"
              "<a href=\"#sandbox\">Sandbox</a><a href=\"#monitor\">Monitor</a><a href=\"#resources\">Resource "
              "usage</a><a href=\"#artifacts\">Artifacts</a><a href=\"#changes\">Source changes</a></nav>\n",
              f);
        struct proc_index ix;
        proc_index_build(&ix, report);
        print_findings(f, report, rank, n, warned, &ix);
        print_tree(f, report, &ix);
        proc_index_done(&ix);
        print_section_value(f, "sandbox", "Sandbox", rj_obj(report, "sandbox"));
        print_monitor(f, report);
        print_section_value(f, "resources", "Resource usage", rj_obj(report, "resource_usage"));
        print_artifacts(f, report);
        print_changes(f, report);
        fputs("<footer>Written by buildward " BUILDWARD_VERSION, f);
        if (rj_str(report, "buildward_version")) {
                fputs(" from a report of buildward ", f);
                esc(f, rj_str(report, "buildward_version"));
        }
        fputs(". Everything on this page comes from report.json beside it.</footer>\n</main></body></html>\n", f);
        return ferror(f) ? -EIO : 0;
}

int report_write_html(int out_dir_fd, json_object *report) {
        char *buf = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&buf, &n);
        if (!f)
                return -errno;
        int r = report_html_print(f, report);
        if (fclose(f) != 0 && r >= 0)
                r = -EIO;
        if (r >= 0)
                r = file_write_atomic_at(out_dir_fd, "report.html", buf, n);
        free(buf);
        return r;
}
