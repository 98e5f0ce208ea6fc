/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

/*
 * Matches a relative path ("src/a.o") against an artifact glob: "*", "?" and
 * "[...]" within one path component, "**" as a whole component for zero or more
 * components. A pattern without "/" matches at any depth only when it starts
 * with "**"; "hello" matches only the top-level "hello".
 */
bool glob_match_path(const char *pattern, const char *path);

/* Whether a directory at PATH could contain matches of PATTERN (prunes walks). */
bool glob_may_match_below(const char *pattern, const char *dir);
