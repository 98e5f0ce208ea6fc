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
 *   protect:                           # paths only named executables may read or write
 *     - path: /src/keys/secret.key     # or a glob ("**" spans directories), as the build sees it
 *       read: [sha256:<64 hex>, /usr/bin/gpg]   # allowed executables: a digest or a sealed path
 *       write: []                      # [] nobody; a missing key leaves that access free
 *       reason: signing key, only the signer reads it
 *
 * An executable is named by the fs-verity digest its file has in the
 * --toolchain manifest ("sha256:..." as `buildward seal` records it), or by
 * its path in that manifest (which stands for the digest recorded there). A
 * process is allowed only when the monitor verified that the file it runs is
 * that sealed file: a copy under another name, or another file at the sealed
 * path, is not. See docs/integrity.md, "Path policies".
 */
#include <stdbool.h>
#include <stddef.h>

#include "finding/finding.h"

struct suppression {
        char *rule, *reason, *exe, *path;
        unsigned line;
};

struct severity_override {
        char *rule, *reason;
        enum severity severity;
        unsigned line;
};

struct protect_rule {
        char *path;               /* absolute glob */
        char *prefix;             /* its literal leading part: what the kernel side filters opens on */
        char **read, **write;     /* allowed executables: "sha256:HEX" or an absolute manifest path */
        bool has_read, has_write; /* false: that access is not restricted */
        char *reason;
        unsigned line;
};

struct policy {
        char *file;
        char digest[65]; /* sha256 of the file, for provenance */
        bool has_fail_on;
        enum severity fail_on;
        struct suppression *supp;
        size_t n_supp, n_supp_allocated;
        struct severity_override *over;
        size_t n_over, n_over_allocated;
        struct protect_rule *protect;
        size_t n_protect, n_protect_allocated;
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

/* Whether protect rule R covers PATH (absolute, normalised). */
bool protect_covers(const struct protect_rule *r, const char *path);
/*
 * Whether PATH (absolute, normalised) is a directory above what R protects,
 * by R's literal prefix: removing or renaming it moves the protected paths.
 */
bool protect_contains(const struct protect_rule *r, const char *path);
/*
 * Whether R lets a process do this access (WRITE, else read). DIGEST and
 * SEALED_PATH identify the file the process runs as verified against the
 * sealed toolchain; NULL when it is not a verified sealed file.
 */
bool protect_allows(const struct protect_rule *r, bool write, const char *digest, const char *sealed_path);
/* The first protect rule that names an allowed executable (needs --toolchain to mean anything), or NULL. */
const struct protect_rule *policy_names_executables(const struct policy *p);
