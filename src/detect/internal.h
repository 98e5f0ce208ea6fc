/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Shared by engine.c (the event loop), emit.c (findings) and the rule files (rules*.c). */
#include "detect/engine.h"
#include "detect/policy.h"
#include "detect/proctable.h"
#include "finding/catalog.h"

struct engine {
        const struct policy *policy;
        char *source; /* the build's source tree, from the start event */
        uint64_t start_usec;
        struct proctable pt;
        struct finding_list findings;
        size_t dropped; /* findings beyond the cap */
        uint64_t *supp_counts;
        void *seen; /* tsearch tree of dedup keys */
        uint64_t events;
        unsigned compilers_alive;
        uint64_t last_sample_usec;
        bool live;
        struct engine_hooks hooks;
        char *hook_digest, *hook_path; /* what check_exec returned for the event being fed */
        bool stopped;                  /* --enforce stopped the build */
};

#define MAX_SOCKETS_PER_PROC 16
#define MAX_FINDINGS         500
#define SUSTAINED_CPU_MS     2000

/* emit.c: the one way a rule reports. Rules never call into engine.c. */

/* Whether (WHAT, PID, KEY) was seen before; records it if not. Dedups findings, and rules that count repeats. */
bool seen_before(struct engine *e, const char *what, pid_t pid, const char *key);

/*
 * Reports RULE_ID for process P (may be NULL) with DETAIL and EVIDENCE (taken).
 * KEY dedups: one finding per rule, process and key.
 */
void emit_finding(struct engine *e, const char *rule_id, const struct event *ev, const struct proc *p, const char *key,
                  const char *path, json_object *evidence, const char *detail_fmt, ...) _printf_(8, 9);

/* P and its ancestors, nearest first, for a finding's "chain". */
json_object *process_chain_json(struct engine *e, const struct proc *p);

/* rules.c: every rule over EV, by the kind of event. */
void rules_run(struct engine *e, struct event *ev, struct proc *p);
