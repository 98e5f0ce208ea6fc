/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The vocabulary that detection, triage and the report writers share: how bad
 * a finding is, what a finding holds, and its JSON form. It sits below all of
 * them (see scripts/check-layering), so none has to include another for it.
 */
#include <json-c/json.h>
#include <stdint.h>
#include <sys/types.h>

enum severity { SEV_INFO, SEV_LOW, SEV_MEDIUM, SEV_HIGH, SEV_CRITICAL, SEV_NEVER };

const char *severity_name(enum severity s);
int severity_from_string(const char *s, enum severity *ret);

struct finding {
        char *rule;
        const char *category;
        enum severity severity;
        uint64_t time_usec;
        pid_t pid, ppid, host_pid;
        char *exe;
        char **argv;
        char *cwd;
        json_object *chain; /* owned: [{pid, exe, argv}] from the process up to the build's first */
        char *detail;
        json_object *evidence; /* owned */
};

struct finding_list {
        struct finding *v;
        size_t n, n_allocated;
};

void finding_list_add(struct finding_list *l, struct finding f);
void finding_list_done(struct finding_list *l);
/* The highest severity present, or -1 when the list is empty. */
int finding_list_max_severity(const struct finding_list *l);

/* The report schema of a finding (docs/design.md §5), shared by run, replay and triage. */
json_object *finding_to_json(const struct finding *f);
json_object *findings_to_json(const struct finding_list *l);
