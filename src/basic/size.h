/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>

/* Parses "512M", "2G", "1.5G", "4096" (bytes), "64k". Binary units. 0 or -EINVAL/-ERANGE. */
int parse_size(const char *s, uint64_t *ret);
/* Parses a positive decimal ("2", "0.5") into thousandths (milli-units). */
int parse_decimal_milli(const char *s, uint64_t *ret);
/* Parses a non-negative integer that fits in max. */
int parse_uint(const char *s, uint64_t max, uint64_t *ret);
