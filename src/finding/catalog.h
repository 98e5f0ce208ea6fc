/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

#include "finding/finding.h"

/*
 * The documentation of every detection rule: what reports (SARIF's rule list,
 * the HTML page, man pages) show about a rule id. The ids are stable: policy
 * files and code-scanning alerts refer to them.
 */
struct rule_info {
        const char *id;       /* "category.what", e.g. "reverse-shell.stdio-socket" */
        const char *category; /* one of docs/design.md §4's words */
        enum severity severity;
        const char *summary; /* one sentence: what the rule sees */
        const char *attack;  /* the real attack or incident it catches */
};

/* run's rules: the ones the detection engine emits and a policy may name. */
const struct rule_info *rule_catalog(size_t *ret_n);
/* triage's rules ("triage.*"), documented for the same report writers. */
const struct rule_info *triage_rule_catalog(size_t *ret_n);
/* Either catalog's entry; NULL when no rule has this id. */
const struct rule_info *rule_find(const char *id);
