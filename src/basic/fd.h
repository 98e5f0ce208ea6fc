/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* File descriptors: closing that cannot happen twice, and reads and writes that finish. */
#include <stddef.h>
#include <stdio.h>

#include "basic/macro.h"

/*
 * Closes FD when it is >= 0, keeping errno, and returns -EBADF to store back:
 * fd = safe_close(fd); cannot close the same number twice (systemd's fd-util.h).
 */
int safe_close(int fd);

/* Closes *FD and resets it to -EBADF. */
static inline void closep(int *fd) {
        *fd = safe_close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

DEFINE_TRIVIAL_CLEANUP_FUNC(FILE *, fclose);
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Writes all of buf or fails; retries on EINTR and short writes. */
int loop_write(int fd, const void *buf, size_t n);
/* Reads exactly n bytes (0), or returns -EPIPE on early EOF, -errno on error. */
int loop_read_exact(int fd, void *buf, size_t n);
