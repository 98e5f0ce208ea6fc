/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <json-c/json.h>
#include <stdio.h>

#include "integrity/integrity.h"

/* The one-line reason a manifest was refused (R from toolchain_open()), naming the fix. */
char *manifest_problem(const char *path, int r, const struct manifest_error *err);
/* One line per difference, every path escaped (a hostile name must not forge lines). */
void print_differences(FILE *f, const struct diff_list *l);
/* toolchain_open() that prints why not (after PREFIX) and the digest cache's warning. */
int toolchain_open_verbose(const char *path, EVP_PKEY *pub, bool use_cache, const char *prefix, struct toolchain **ret);
/* Cache rows refused while comparing are only known then: one warning naming them, for check and run. */
void toolchain_warn_refused_rows(struct toolchain *t);
/*
 * `run --toolchain MANIFEST`: 0 when the sealed trees match, with *RET the
 * report's "toolchain" object and the manifest kept open in *RET_TOOLCHAIN
 * for the checks during the build; otherwise the reason and the differences
 * are printed and -errno returned: the build must not start.
 */
int toolchain_gate(const char *manifest, json_object **ret, struct toolchain **ret_toolchain);
