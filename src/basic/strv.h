/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* strv: NULL-terminated, heap-owned string arrays. */
#include <stddef.h>

#include "basic/macro.h"

void strv_free(char **v);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);
#define _cleanup_strv_free_ _cleanup_(strv_freep)

size_t strv_length(char *const *v);
int strv_push(char ***v, char *s); /* takes ownership of s */
char **strv_copy(char *const *v);
