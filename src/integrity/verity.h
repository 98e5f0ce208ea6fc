/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * fs-verity file digests (the kernel's Documentation/filesystems/fsverity.rst):
 * SHA-256 Merkle tree over 4096-byte blocks, no salt; the file digest is the
 * SHA-256 of the 256-byte fsverity_descriptor that holds the tree's root hash
 * and the file size. Bit for bit what `fsverity digest FILE` prints.
 *
 * Computed in userspace, streaming: memory is one read buffer plus one 4 KiB
 * block per tree level (at most 8 levels for 2^64 bytes), whatever the file
 * size. Holes (SEEK_HOLE) are not read: a run of zero blocks aligned to a
 * subtree is folded into that subtree's precomputed hash, so a sparse 1 TiB
 * file costs what its data costs.
 *
 * Functions return 0 or -errno and never print.
 */
#include <stdint.h>
#include <stddef.h>
#include "basic/macro.h"

#define VERITY_DIGEST_SIZE 32
#define VERITY_BLOCK_SIZE  4096
#define VERITY_DIGEST_HEX  (7 + 2 * VERITY_DIGEST_SIZE + 1) /* "sha256:" HEX NUL */

/* Per-thread scratch: the read buffer, the tree's level blocks and a hash context. */
struct verity_hasher;

int verity_hasher_new(struct verity_hasher **ret);
void verity_hasher_free(struct verity_hasher *h);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct verity_hasher *, verity_hasher_free);
#define _cleanup_verity_hasher_ _cleanup_(verity_hasher_freep)

enum {
        /*
         * The caller knows the file is (nearly) fully allocated, say from
         * st_blocks: do not ask for holes (one lseek() per file saved). Only a
         * hint: a hole read as zeros gives the same digest, just slower.
         */
        VERITY_DENSE = 1 << 0,
};

/*
 * The digest of the SIZE bytes of FD read from offset 0 (SIZE from fstat()).
 * -ESTALE when the file ends before SIZE bytes: it changed while we read it.
 * FLAGS: 0 or VERITY_DENSE.
 */
int verity_digest_fd(struct verity_hasher *h, int fd, uint64_t size, unsigned flags, uint8_t ret[VERITY_DIGEST_SIZE]);

/* The digest of a buffer, for tests and for what is not a file. */
int verity_digest_buffer(struct verity_hasher *h, const void *data, size_t n, uint8_t ret[VERITY_DIGEST_SIZE]);

/*
 * The kernel's own digest of FD (FS_IOC_MEASURE_VERITY) when the file has
 * fs-verity enabled with SHA-256, 4096-byte blocks and no salt, the parameters
 * of our manifests. -ENODATA when the file has no verity (or other parameters),
 * -EOPNOTSUPP/-ENOTTY when the kernel or filesystem has none.
 */
int verity_measure_kernel(int fd, uint8_t ret[VERITY_DIGEST_SIZE]);

/* "sha256:" + lowercase hex, and back (0 or -EINVAL). */
void verity_format(const uint8_t d[VERITY_DIGEST_SIZE], char ret[VERITY_DIGEST_HEX]);
int verity_parse(const char *s, uint8_t ret[VERITY_DIGEST_SIZE]);
