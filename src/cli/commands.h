/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Exit codes of `run` beyond the command's own (DESIGN.md §2). */
#define EXIT_VERDICT_FAIL 123
#define EXIT_TIMEOUT      124
#define EXIT_SETUP        125

int cmd_run(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_ledger(int argc, char **argv);
int cmd_seal(int argc, char **argv);
int cmd_check(int argc, char **argv);
/* --jobs of seal and check: 1 to 1024 threads; prints why not. */
int parse_jobs(const char *s, unsigned *ret);

/*
 * `run --toolchain MANIFEST`: checks the sealed trees before the build starts.
 * 0 and *RET the report's "toolchain" object when they match; otherwise prints
 * the reason and the differences and returns EXIT_SETUP.
 */
#include <json-c/json.h>
struct toolchain;
int toolchain_gate(const char *manifest, json_object **ret, struct toolchain **ret_toolchain);
int cmd_triage(int argc, char **argv);
