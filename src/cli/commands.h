/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "run/run.h" /* EXIT_SETUP and the other exit codes of `run` */

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

int cmd_triage(int argc, char **argv);
