/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#define SANDBOX_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Whether NAME from buildward's own environment passes into the build unasked. */
bool env_name_allowed(const char *name);

/*
 * The build's environment: the allowlisted variables of HOST_ENV, the fixed values
 * (PATH, HOME, USER, LOGNAME, SHELL, TMPDIR), then each --env spec ("NAME" takes
 * the value from HOST_ENV, "NAME=VALUE" sets it). Returns NULL and sets
 * *ret_error for a malformed spec.
 */
char **env_build(char *const *host_env, char *const *specs, char **ret_error);
