/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The detection engine: a process table built from the event stream, and every
 * rule run over every event (no first match wins). Fed by the monitor's reader
 * thread during a build, or by `buildward replay` from a recorded events.jsonl;
 * the same events give the same findings.
 */
#include "detect/event.h"
#include "finding/finding.h"

struct engine;
struct policy;

struct engine *engine_new(const struct policy *policy);
void engine_free(struct engine *e);
/*
 * Runs EV through the process table and every rule. In a live run
 * (engine_set_live) it may annotate EV (source_file) before the caller records it.
 */
void engine_feed(struct engine *e, struct event *ev);
/* Live runs: the original source tree is readable at its path, so writes can be told from creations. */
void engine_set_live(struct engine *e, bool live);

/* What a live run adds to the rules (run --toolchain, --enforce); all optional. */
struct engine_hooks {
        /*
         * Identifies the file EV's process executes (EXE as the build named it):
         * "match", "mismatch" or "not-in-manifest" against the sealed toolchain,
         * or NULL when it cannot tell. Recorded in the exec event for replay.
         * On "match" it may set *RET_DIGEST and *RET_PATH (heap strings, taken)
         * to the sealed digest and manifest path of the file: path policies
         * identify processes by them.
         */
        const char *(*check_exec)(void *userdata, const struct event *ev, const char *exe, char **ret_digest,
                                  char **ret_path);
        /*
         * Judges a file the build mapped executable (an mmap event, its path
         * resolved by the kernel): the same words as check_exec, or NULL when
         * the file is not under a sealed root (not judged).
         */
        const char *(*check_map)(void *userdata, const struct event *ev);
        /* --enforce: stop the build now (toolchain tampering, a protected path read). Called once, on the
         * monitor's thread. */
        void (*stop)(void *userdata, const char *rule);
        void *userdata;
};
void engine_set_hooks(struct engine *e, const struct engine_hooks *h);

/*
 * Live runs only: measures the build's live processes through /proc (CPU used
 * since the last call, whether the executable was deleted) and calls EMIT for
 * each measurement worth recording; EMIT is expected to record the event and
 * feed it back with engine_feed(), so a replay sees the same samples.
 */
void engine_sample(struct engine *e, uint64_t now_usec, void (*emit)(void *userdata, const struct event *ev),
                   void *userdata);

/* Takes findings made outside the engine (survivors, limits) through the policy, emptying L. */
void engine_adopt_findings(struct engine *e, struct finding_list *l);
/* Moves the findings out (the engine keeps none). */
void engine_take_findings(struct engine *e, struct finding_list *ret);
/* Findings not kept because the report already holds MAX_FINDINGS. */
size_t engine_dropped(struct engine *e);
/* Findings the policy suppressed: [{rule, reason, count}]; and all processes seen, for the report. */
json_object *engine_suppressed_json(struct engine *e);
json_object *engine_processes_json(struct engine *e, size_t max, bool *ret_truncated);
uint64_t engine_events(struct engine *e);
