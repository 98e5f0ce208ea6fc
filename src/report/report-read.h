/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Reading a report.json for the report writers (SARIF, HTML, terminal summary).
 *
 * The document may come from an older buildward, be partly written, or be
 * hostile: every string in it (argv, paths, exe names) is chosen by the build.
 * So every accessor checks the JSON type and answers NULL/false rather than
 * asserting (json-c asserts on json_object_array_length() of a non-array), and
 * every string reaches an output only through text_escape().
 */
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "basic/json-util.h"
#include "basic/utf8.h"

/* The finding's severity as enum severity, or -1 when absent or unknown. */
int rj_severity(json_object *finding);

/* text_escape() for a JSON string (embedded NULs included); other types write nothing. */
void text_escape_json(FILE *f, json_object *s, size_t max, enum text_mode m);

/* An object entry of report.findings and its severity (-1: unknown). */
struct ranked_finding {
        int severity;
        size_t index;
};
/*
 * The object entries of report.findings, most severe first and in report order
 * within a severity (unknown severities last); BY_SEVERITY[SEV_INFO..SEV_CRITICAL]
 * gets the count of each. Free the array.
 */
struct ranked_finding *findings_ranked(json_object *report, size_t by_severity[], size_t *ret_n);

/* The part of normalized PATH below normalized ROOT ("" for ROOT itself), or NULL. */
const char *path_below(const char *path, const char *root);
/* The last component of PATH ("" when PATH ends in '/'). */

/* Processes of report.json by pid, for walking ppid links. */
struct proc_index {
        size_t n;
        struct proc_entry {
                int64_t pid;
                size_t pos; /* in report.processes */
                json_object *proc;
        } * v;
};
void proc_index_build(struct proc_index *ix, json_object *report);
void proc_index_done(struct proc_index *ix);
/* The first process of report.processes with PID, or NULL. */
const struct proc_entry *proc_index_lookup(const struct proc_index *ix, int64_t pid);
json_object *proc_index_find(const struct proc_index *ix, int64_t pid);

/*
 * The process chain of FINDING, the process first, then its parent, and so on:
 * finding.process.chain when present, else built from finding.process and the
 * ppid links of report.processes. At most MAX entries (the walk stops at a
 * cycle). Returns an array of borrowed process objects; free the array only.
 */
json_object **finding_chain(json_object *finding, const struct proc_index *ix, size_t max, size_t *ret_n);
/* Writes "bash(1203) <- sh(1200) <- make(1100)", escaped in mode M. */
void chain_print(FILE *f, json_object **chain, size_t n, enum text_mode m);
/* A process's short name: basename of exe, else of argv[0], else "?" (unescaped). */
const char *proc_name(json_object *proc);
/* Writes argv joined by spaces, arguments with blanks or quotes single-quoted; at most MAX bytes. */
void argv_print(FILE *f, json_object *argv, size_t max, enum text_mode m);

/*
 * Seconds since the epoch of "YYYY-MM-DDTHH:MM:SS[.fraction]Z" (what
 * format_rfc3339() writes; UTC only). False for anything else, NULL included.
 */
bool rfc3339_utc_parse(const char *s, double *ret);

/* A "%.2f s" / "1 m 5 s" / "2 h 3 m" rendering of SECONDS into BUF. */
void duration_format(double seconds, char *buf, size_t n);
