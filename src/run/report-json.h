/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "run/verdict.h"
#include "run/watch.h"

#define RUN_MAX_PROCESSES 50000 /* in report.json; events.jsonl has them all */

/* What one build produced, stage by stage (pipeline.c fills it). */
struct run_outcome {
        struct sandbox_state st;
        struct sandbox_result res;
        struct sandbox_views views;
        struct finding_list findings;
        struct artifact_list artifacts;
        struct change_list changes;
        uint64_t start_realtime, duration_usec;
        struct run_verdict verdict;
};

/* report.json (docs/design.md §5, docs/reports.md) of the run O made, watched by RM. */
json_object *run_report_json(const struct run_options *o, const struct run_monitor *rm, const struct run_outcome *out);
