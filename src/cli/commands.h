/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Exit codes of `run` beyond the command's own (DESIGN.md §2). */
#define EXIT_VERDICT_FAIL 123
#define EXIT_TIMEOUT      124
#define EXIT_SETUP        125

int cmd_run(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_triage(int argc, char **argv);
