/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The capture run of `buildward triage` as library code: the collector
 * registry and one function that opens the root, runs the collectors into a
 * bundle directory and writes findings.json, capture.json and
 * MANIFEST.sha256. It prints nothing: errors come back as -errno plus a
 * sentence naming the cause and the fix, for the command to print once. With
 * --root (o->root) it needs no privilege, so unit tests run it on a fixture
 * tree.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "triage/triage.h"

struct triage_collector {
        const char *name;
        int (*fn)(struct triage_ctx *c);
        bool live_only; /* reads /proc of the running host: skipped under --root */
};

/*
 * --since: @EPOCH or YYYY-MM-DD[THH:MM[:SS]][Z] (UTC) into *ret; anything else
 * is a path, left in *ret_path for triage_capture_init() to take its
 * modification time inside the root. -EINVAL for an empty string.
 */
int triage_parse_since(const char *s, int64_t *ret, const char **ret_path);
/* --inventory: the SHA256: fingerprints of a file of authorized_keys lines or fingerprints. */
int triage_inventory_load(const char *path, char ***ret);
/* The default bundle directory: triage-YYYY-MM-DDTHH-MM-SS (UTC). */
char *triage_default_out(void);

/* The registry, in the order the collectors run; *ret_n gets its length. */
const struct triage_collector *triage_collectors(size_t *ret_n);
bool triage_collector_known(const char *name);

/*
 * Prepares C for a capture of O (which must outlive C): opens the root and
 * resolves o->since_path inside it into o->since. On failure C is still safe
 * to pass to triage_capture_done(); *ret_error names the cause and the fix.
 */
int triage_capture_init(struct triage_ctx *c, struct triage_options *o, char **ret_error);

/*
 * Runs the collectors into OUT (created, or an existing empty directory),
 * sorts the findings (most severe first) and writes findings.json,
 * capture.json and MANIFEST.sha256. *ret_files gets the number of files the
 * manifest lists, *ret_seconds the capture's duration. Signing, packing and
 * printing stay with the caller.
 */
int triage_capture_run(struct triage_ctx *c, const char *out, size_t *ret_files, double *ret_seconds, char **ret_error);

/* Frees what a capture holds; C has been through triage_capture_init(), whatever it answered. */
void triage_capture_done(struct triage_ctx *c);
