/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Digests of whole files through libcrypto (loaded on first use: crypto/openssl-dl.h). */
#include <stdint.h>

/*
 * Reads FD to its end into the digest OpenSSL calls MD_NAME ("SHA256", "MD5";
 * hex into RET_HEX, 2 * digest size + 1 bytes), copying the first COPY_MAX
 * bytes to COPY_FD when it is >= 0. Loads libcrypto (crypto/openssl-dl.h).
 */
int digest_fd(int fd, const char *md_name, int copy_fd, uint64_t copy_max, char *ret_hex, uint64_t *ret_size);
int sha256_fd(int fd, char ret_hex[65], uint64_t *ret_size);
