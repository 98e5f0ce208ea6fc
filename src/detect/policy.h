/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * A policy file (YAML) tunes detection for one project, every change with a
 * reason that shows in the report:
 *
 *   version: 1
 *   fail_on: high                      # optional; --fail-on wins
 *   suppress:
 *     - rule: exec-from-writable.dropped-binary   # a rule id, or "category.*"
 *       reason: our test suite runs helpers it copies to /tmp
 *       exe: /usr/bin/python3*          # optional: glob on the process's executable
 *       path: GLOB                     # optional: glob on the evidence path ("**" spans directories)
 *   severity:
 *     - rule: network-egress.dns-query
 *       severity: medium
 *       reason: the resolver test of this project sends one query to 127.0.0.1
 */
#include <stdbool.h>
#include <stddef.h>

#include "report/report.h"

struct suppression {
        char *rule, *reason, *exe, *path;
        unsigned line;
};

struct severity_override {
        char *rule, *reason;
        enum severity severity;
        unsigned line;
};

struct policy {
        char *file;
        char digest[65]; /* sha256 of the file, for provenance */
        bool has_fail_on;
        enum severity fail_on;
        struct suppression *supp;
        size_t n_supp;
        struct severity_override *over;
        size_t n_over;
};

/* 0, or -errno with *RET_ERROR naming the file, the line and the fix. */
int policy_load(const char *path, struct policy **ret, char **ret_error);
/* Parses a policy held in memory (NAME is used in messages). */
int policy_parse(const char *name, const char *data, size_t size, struct policy **ret, char **ret_error);
void policy_free(struct policy *p);

/* Whether RULE matches PATTERN: equal, or PATTERN is "category.*" and RULE is in it. */
bool policy_rule_matches(const char *pattern, const char *rule);
/* The index of the first suppression that covers this finding, or -1. EXE and PATH may be NULL. */
int policy_suppression(const struct policy *p, const char *rule, const char *exe, const char *path);
const struct severity_override *policy_override(const struct policy *p, const char *rule);
