/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Clocks and RFC 3339 timestamps, in microseconds. */
#include <stddef.h>
#include <stdint.h>
#include <time.h>

uint64_t now_usec(clockid_t clock);
void format_rfc3339(uint64_t realtime_usec, char *buf, size_t n);
/* Parses what format_rfc3339() writes (fraction optional, "Z" only). 0 or -EINVAL. */
int parse_rfc3339(const char *s, uint64_t *ret_usec);
