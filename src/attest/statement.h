/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The in-toto Statement v1 with a SLSA provenance v1 predicate that `run`
 * signs, built from the build's report.json object (docs/design.md §5, §6).
 * docs/provenance.md describes every field.
 */
#include <json-c/json.h>
#include <stdint.h>

#define INTOTO_STATEMENT_TYPE "https://in-toto.io/Statement/v1"
#define SLSA_PROVENANCE_TYPE  "https://slsa.dev/provenance/v1"
#define BUILDWARD_BUILD_TYPE  "urn:buildward:buildtype:run:v1"

struct provenance_context {
        const char *builder_id;
        const char *invocation_id;
        const char *git_commit;  /* NULL: the source is not a git work tree */
        const char *git_ref;     /* "" when HEAD is detached */
        const char *tree_digest; /* hex sha256, TREE_DIGEST_FORMAT */
        size_t tree_files;
        const char *report_sha256; /* of the report.json written, or NULL */
};

/*
 * Builds the statement. -EBADMSG when REPORT lacks a field the statement needs
 * (command, started_at, duration_s, verdict, artifacts with sha256); *RET_FIELD
 * then names it.
 */
int statement_from_report(json_object *report, const struct provenance_context *ctx, json_object **ret,
                          const char **ret_field);

/* "2026-11-25T15:37:03.123Z", "2026-11-25T15:37:03Z", "2026-11-25" (UTC) or "@EPOCH". */
int rfc3339_parse(const char *s, uint64_t *ret_usec);

/* Looks up a dotted path ("sandbox.toolchain.digest") in O; NULL when absent. */
json_object *json_path(json_object *o, const char *path);
