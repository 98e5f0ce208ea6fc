/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bw-report REPORT.json OUT_DIR: writes OUT_DIR/report.sarif and
 * OUT_DIR/report.html from a recorded report.json and prints the terminal
 * summary on stdout, so tests/integration/t-reports.sh can check the three
 * writers on fixtures without running a build. --color forces the colours.
 */
#include <fcntl.h>

#include "basic/util.h"
#include "report/writers.h"

int main(int argc, char **argv) {
        bool color = argc > 1 && streq(argv[1], "--color");
        if (color) {
                argv++;
                argc--;
        }
        if (argc != 3) {
                fprintf(stderr, "usage: bw-report [--color] REPORT.json OUT_DIR\n");
                return 2;
        }
        json_object *report = json_object_from_file(argv[1]);
        if (!report) {
                fprintf(stderr, "bw-report: cannot parse '%s': %s\n", argv[1], json_util_get_last_err());
                return 1;
        }
        int dfd = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0) {
                fprintf(stderr, "bw-report: cannot open '%s': %m\n", argv[2]);
                return 1;
        }
        int r = report_write_sarif(dfd, report);
        if (r >= 0)
                r = report_write_html(dfd, report);
        if (r < 0) {
                fprintf(stderr, "bw-report: cannot write the reports: %s\n", strerror(-r));
                return 1;
        }
        report_print_summary(stdout, report, color);
        json_object_put(report);
        close(dfd);
        return 0;
}
