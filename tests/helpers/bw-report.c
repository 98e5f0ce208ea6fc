/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bw-report REPORT.json OUT_DIR: writes OUT_DIR/report.sarif and
 * OUT_DIR/report.html from a recorded report.json and prints the terminal
 * summary on stdout, so tests/integration/t-reports.sh can check the three
 * writers on fixtures without running a build. --color forces the colours;
 * --time prints how long parsing and each writer took on stderr (bench/reports.sh).
 */
#include <fcntl.h>

#include "basic/util.h"
#include "report/writers.h"

static double ms_since(uint64_t *t) {
        uint64_t now = now_usec(CLOCK_MONOTONIC), d = now - *t;
        *t = now;
        return (double) d / 1000.0;
}

int main(int argc, char **argv) {
        bool color = false, timing = false;
        for (; argc > 1 && argv[1][0] == '-' && argv[1][1] == '-'; argc--, argv++) {
                color = color || streq(argv[1], "--color");
                timing = timing || streq(argv[1], "--time");
        }
        if (argc != 3) {
                fprintf(stderr, "usage: bw-report [--color] [--time] REPORT.json OUT_DIR\n");
                return 2;
        }
        uint64_t t = now_usec(CLOCK_MONOTONIC);
        json_object *report = json_object_from_file(argv[1]);
        double parse_ms = ms_since(&t);
        if (!report) {
                fprintf(stderr, "bw-report: cannot parse '%s': %s\n", argv[1], json_util_get_last_err());
                return 1;
        }
        int dfd = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0) {
                fprintf(stderr, "bw-report: cannot open '%s': %m\n", argv[2]);
                return 1;
        }
        (void) ms_since(&t);
        int r = report_write_sarif(dfd, report);
        double sarif_ms = ms_since(&t);
        if (r >= 0)
                r = report_write_html(dfd, report);
        double html_ms = ms_since(&t);
        if (r < 0) {
                fprintf(stderr, "bw-report: cannot write the reports: %s\n", strerror(-r));
                return 1;
        }
        report_print_summary(stdout, report, color);
        fflush(stdout);
        double summary_ms = ms_since(&t);
        if (timing)
                fprintf(stderr, "parse %.1f ms, sarif %.1f ms, html %.1f ms, summary %.1f ms\n", parse_ms, sarif_ms,
                        html_ms, summary_ms);
        json_object_put(report);
        close(dfd);
        return 0;
}
