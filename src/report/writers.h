/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The reports of `buildward run` beside report.json, all made from the
 * report.json document alone (docs/design.md §5): report.sarif for code scanning,
 * report.html for a person, and the summary on the terminal. They accept any
 * JSON value, including NULL, a report of an older version or a partial one:
 * absent or mistyped fields are left out, never guessed. Everything in a
 * report that came from the build is attacker-controlled and is escaped.
 * See docs/reports.md.
 */
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>

/*
 * The project's home page for SARIF's tool.driver.informationUri; left out of
 * the SARIF log while empty.
 * NEEDSWORK: buildward has no public URL yet; set it here once it has one.
 */
#ifndef BUILDWARD_INFORMATION_URI
#define BUILDWARD_INFORMATION_URI ""
#endif

/* A SARIF 2.1.0 log of REPORT (a new reference; never NULL). */
json_object *sarif_from_report(json_object *report);
/* Writes OUT_DIR_FD/report.sarif atomically. 0 or -errno. */
int report_write_sarif(int out_dir_fd, json_object *report);

/* Writes the HTML page of REPORT to F. 0, or -EIO when F failed. */
int report_html_print(FILE *f, json_object *report);
/* Writes OUT_DIR_FD/report.html atomically. 0 or -errno. */
int report_write_html(int out_dir_fd, json_object *report);

/*
 * The ten-second summary: verdict line, findings by severity with their process
 * chains (at most 20), monitor warnings, where the reports are (report.json's
 * "out" when present). COLOR adds SGR colours: pass it only for a terminal.
 */
void report_print_summary(FILE *f, json_object *report, bool color);
