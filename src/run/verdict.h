/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "run/run.h"

/* process-survival.alive-at-exit for each process that outlived the build's command. */
void run_add_survivor_findings(const struct sandbox_result *res, struct finding_list *fl);
/* resource-abuse.* for the limits the build ran into (timeout, memory, pids). */
void run_add_limit_findings(const struct sandbox_result *res, struct finding_list *fl);

struct run_verdict {
        bool pass;
        int exit_code; /* of `run` */
};

/*
 * The verdict and the exit code of a build that ended as RES says, whose
 * findings' highest severity is MAX_SEVERITY (-1: none). Never "pass" for a
 * build not watched to its end: timed out, interrupted, events lost, events
 * not written to events.jsonl (EVENTS_NOT_WRITTEN, past --events-max-size), or
 * --enforce asked for (ENFORCE_MISSING) without the monitor in place.
 */
struct run_verdict run_judge(enum severity fail_on, int max_severity, const struct sandbox_result *res,
                             uint64_t lost_events, uint64_t events_not_written, bool enforce_missing);
