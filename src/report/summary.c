/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The summary a person reads in ten seconds at the end of `buildward run`:
 *
 *   FAIL  exit 0, 12.34 s, 3 findings (1 critical, 2 high), 1 artifact, 4 source changes
 *     CRITICAL reverse-shell.stdio-socket: bash's stdin and stdout are a socket to 10.0.0.1:4444
 *              bash(1203) <- sh(1200) <- make(1100)
 *     ... 2 more, see report.html
 *   warning: 12 monitor events were lost: the findings may be incomplete
 *   reports: buildward-out/report.json, report.html, report.sarif
 *
 * Every string from the report went through text_escape(): a build that puts
 * terminal escape sequences in its argv shows them as \x1b, never runs them.
 */
#include <inttypes.h>

#include "basic/util.h"
#include "report/report-read.h"
#include "report/report.h"
#include "report/writers.h"

#define MAX_SHOWN     20
#define DETAIL_MAX    300
#define CHAIN_MAX     8
#define SEVERITY_KEYS (SEV_CRITICAL + 1)

struct style {
        bool on;
};

static const char *sgr(const struct style *st, const char *code) {
        return st->on ? code : "";
}

static const char *severity_sgr(int sev) {
        switch (sev) {
        case SEV_CRITICAL:
                return "\033[1;31m";
        case SEV_HIGH:
                return "\033[31m";
        case SEV_MEDIUM:
                return "\033[33m";
        case SEV_LOW:
                return "\033[36m";
        default:
                return "\033[2m";
        }
}

static const char *severity_upper(int sev) {
        static const char *const names[] = { "INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL" };
        return sev >= 0 && sev < (int) ELEMENTSOF(names) ? names[sev] : "UNKNOWN";
}

static void print_exit(FILE *f, json_object *report) {
        int64_t code, bw_code;
        bool timed_out = false;
        const char *sig = rj_str(report, "interrupted_by"), *exec_err = rj_str(report, "exec_error");
        (void) rj_bool(report, "timed_out", &timed_out);
        if (timed_out)
                fputs("timed out", f);
        else if (sig) {
                fputs("interrupted by SIG", f);
                text_escape_str(f, sig, 16, TEXT_PLAIN);
        } else if (rj_int(report, "exit_code", &code)) {
                fprintf(f, "exit %" PRId64, code);
                if (exec_err) {
                        fputs(" (not executed: ", f);
                        text_escape_str(f, exec_err, 80, TEXT_PLAIN);
                        fputc(')', f);
                }
        } else
                fputs("no exit code", f);
        if (rj_int(report, "buildward_exit_code", &bw_code) &&
            (!rj_int(report, "exit_code", &code) || code != bw_code || timed_out))
                fprintf(f, " (buildward exits %" PRId64 ")", bw_code);
}

static void print_counts(FILE *f, json_object *report, const size_t by_sev[SEVERITY_KEYS], size_t n_findings) {
        fprintf(f, "%zu finding%s", n_findings, n_findings == 1 ? "" : "s");
        bool first = true;
        for (int s = SEV_CRITICAL; s >= SEV_INFO; s--) {
                if (!by_sev[s])
                        continue;
                fprintf(f, "%s%zu %s", first ? " (" : ", ", by_sev[s], severity_name((enum severity) s));
                first = false;
        }
        if (!first)
                fputc(')', f);
        json_object *a = rj_arr(report, "artifacts"), *c = rj_arr(report, "source_changes");
        if (a)
                fprintf(f, ", %zu artifact%s", rj_len(a), rj_len(a) == 1 ? "" : "s");
        if (c) {
                bool truncated = false;
                (void) rj_bool(report, "source_changes_truncated", &truncated);
                fprintf(f, ", %s%zu source change%s", truncated ? "over " : "", rj_len(c), rj_len(c) == 1 ? "" : "s");
        }
}

static void print_finding(FILE *f, const struct style *st, json_object *finding, int sev, const struct proc_index *ix) {
        fprintf(f, "  %s%-8s%s ", sgr(st, severity_sgr(sev)), severity_upper(sev), sgr(st, "\033[0m"));
        const char *rule = rj_str(finding, "rule"), *detail = rj_str(finding, "detail");
        text_escape_str(f, rule ? rule : "unknown-rule", 120, TEXT_PLAIN);
        fputs(": ", f);
        text_escape_str(f, detail ? detail : "(no detail in the report)", DETAIL_MAX, TEXT_PLAIN);
        fputc('\n', f);
        size_t n;
        _cleanup_free_ json_object **chain = finding_chain(finding, ix, CHAIN_MAX + 1, &n);
        if (n == 0)
                return;
        fputs("           ", f);
        chain_print(f, chain, n > CHAIN_MAX ? CHAIN_MAX : n, TEXT_PLAIN);
        if (n > CHAIN_MAX)
                fputs(" <- ...", f);
        fputc('\n', f);
}

static void print_warnings(FILE *f, const struct style *st, json_object *report) {
        json_object *mon = rj_obj(report, "monitor");
        bool enabled = true;
        int64_t lost = 0;
        const char *warn = sgr(st, "\033[1;33m"), *off = sgr(st, "\033[0m");
        if (!mon)
                fprintf(f, "%swarning:%s the report says nothing about the monitor: treat the findings as incomplete\n",
                        warn, off);
        else if (rj_bool(mon, "enabled", &enabled) && !enabled) {
                const char *reason = rj_str(mon, "reason");
                fprintf(f, "%swarning:%s the monitor was off (", warn, off);
                text_escape_str(f, reason ? reason : "no reason given", 200, TEXT_PLAIN);
                fputs("): no runtime detection ran\n", f);
        }
        if (rj_int(mon, "lost", &lost) && lost > 0)
                fprintf(f, "%swarning:%s %" PRId64 " monitor event%s lost: the findings may be incomplete\n", warn, off,
                        lost, lost == 1 ? " was" : "s were");
        json_object *sup = rj_arr(rj_obj(report, "policy"), "suppressed");
        if (rj_len(sup) > 0) {
                fputs("suppressed by policy:", f);
                for (size_t i = 0; i < rj_len(sup) && i < 5; i++) {
                        int64_t count;
                        fputs(i ? ", " : " ", f);
                        text_escape_str(f, rj_str(rj_at(sup, i), "rule") ? rj_str(rj_at(sup, i), "rule") : "?", 80,
                                        TEXT_PLAIN);
                        if (rj_int(rj_at(sup, i), "count", &count))
                                fprintf(f, " (%" PRId64 ")", count);
                }
                if (rj_len(sup) > 5)
                        fprintf(f, ", %zu more", rj_len(sup) - 5);
                fputc('\n', f);
        }
}

void report_print_summary(FILE *f, json_object *report, bool color) {
        const struct style st = { color };
        size_t n, by_sev[SEVERITY_KEYS];
        _cleanup_free_ struct ranked_finding *rank = findings_ranked(report, by_sev, &n);

        const char *verdict = rj_str(report, "verdict");
        bool pass = verdict && streq(verdict, "pass"), fail = verdict && streq(verdict, "fail");
        fprintf(f, "%s%s%s  ", sgr(&st, pass ? "\033[1;32m" : "\033[1;31m"),
                pass   ? "PASS"
                : fail ? "FAIL"
                       : "UNKNOWN",
                sgr(&st, "\033[0m"));
        print_exit(f, report);
        double secs;
        if (rj_num(report, "duration_s", &secs)) {
                char d[32];
                duration_format(secs, d, sizeof(d));
                fprintf(f, ", %s", d);
        }
        fputs(", ", f);
        print_counts(f, report, by_sev, n);
        fputc('\n', f);

        struct proc_index ix;
        proc_index_build(&ix, report);
        for (size_t i = 0; i < n && i < MAX_SHOWN; i++)
                print_finding(f, &st, rj_at(rj_arr(report, "findings"), rank[i].index), rank[i].severity, &ix);
        proc_index_done(&ix);
        if (n > MAX_SHOWN)
                fprintf(f, "  ... %zu more, see report.html\n", n - MAX_SHOWN);

        print_warnings(f, &st, report);

        const char *out = rj_str(report, "out");
        if (out) {
                fputs("reports: ", f);
                text_escape_str(f, out, 200, TEXT_PLAIN);
                fputs("/report.json, report.html, report.sarif\n", f);
        } else
                fputs("reports: report.json, report.html, report.sarif in the --out folder\n", f);
}
