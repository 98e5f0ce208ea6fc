/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * `buildward run` as library code, one stage a file, in the order they run
 * (docs/architecture.md draws the data flow):
 *
 *   options.c      the command line into struct run_options
 *   outdir.c       the out folder, opened so that a hostile tree cannot redirect it
 *   watch.c        the eBPF monitor of the build: path policies, the toolchain
 *                  checks while it runs, --enforce
 *   verdict.c      the sandbox's own findings, the verdict and the exit code
 *   report-json.c  report.json, from which SARIF, HTML and provenance derive
 *   pipeline.c     the stages in order: prepare, build, judge, publish
 *
 * The command (cli/cmd-run.c) parses the options and calls run_pipeline().
 */
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "basic/util.h"
#include "report/report.h"
#include "sandbox/sandbox.h"

/* Exit codes of `run` beyond the command's own (docs/design.md §2). */
#define EXIT_VERDICT_FAIL 123
#define EXIT_TIMEOUT      124
#define EXIT_SETUP        125

#define RUN_DEFAULT_TMP_SIZE     (4ULL << 30)
#define RUN_DEFAULT_ARTIFACT_MAX (4ULL << 30)
#define RUN_DEFAULT_OUT          "buildward-out"
/*
 * events.jsonl: a build looping over cheap system calls writes tens of MB a
 * second. 1 GiB holds millions of events (a kernel build's run is a few
 * hundred MB); less when the out folder's filesystem has less than twice that
 * free, so the record never fills the disk the reports go to.
 */
#define RUN_DEFAULT_EVENTS_MAX (1ULL << 30)

struct policy;
struct toolchain;

struct run_options {
        struct sandbox_config cfg;
        char *out;
        char **artifacts;
        char **env_specs;
        uint64_t artifact_max;
        uint64_t events_max; /* --events-max-size; 0: the default, UINT64_MAX: no bound */
        enum severity fail_on;
        bool fail_on_given;
        char *policy_path;
        struct policy *policy;
        bool no_monitor;
        bool quiet;
        char *sign_key, *ledger;       /* provenance and ledger (provenance/provenance.h) */
        char *toolchain;               /* --toolchain MANIFEST */
        struct toolchain *tc;          /* its manifest, open for the checks during the build */
        bool enforce;                  /* --enforce: a tampered toolchain stops the build at once */
        json_object *toolchain_report; /* report.json's sandbox.toolchain */
};

/* The defaults of every option. */
void run_options_init(struct run_options *o);
/*
 * Parses `run`'s arguments (ARGV[0] is "run"). 0; or EXIT_SETUP with the
 * reason printed. --help prints the usage and exits.
 */
int run_options_parse(int argc, char **argv, struct run_options *o);
void run_options_done(struct run_options *o);

/* Prints "buildward: error: ..." and returns EXIT_SETUP, for `return run_fail(...)`. */
int run_fail(const char *fmt, ...) _printf_(1, 2);

/* Runs the build O describes, end to end; `run`'s exit code. */
int run_pipeline(struct run_options *o);
