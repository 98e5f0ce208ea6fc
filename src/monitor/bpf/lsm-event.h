/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The maps of the BPF-LSM program (lsm.bpf.c) that refuses path-policy
 * violations in the kernel; userspace fills them in monitor.c. Its events are
 * monitor-event.h's struct bw_event, in the monitor's own ring buffer.
 *
 * A rule is kept in the kernel only when its pattern is exactly what a
 * literal compare decides (a file, or every path below a directory: "DIR/"
 * and a globstar), so the kernel never refuses what the policy allows. Rule i
 * is the policy's protect entry i, so a refusal names its entry; 16 like
 * BW_PROTECT_MAX.
 */
#define BW_LSM_RULES    16
#define BW_LSM_PATH_LEN 128 /* BW_PROTECT_LEN */

#define BW_LSM_EXACT          (1u << 0) /* path is a file: equal paths only; else a directory ending in '/' */
#define BW_LSM_RESTRICT_READ  (1u << 1) /* reads only by the executables allowed to read */
#define BW_LSM_RESTRICT_WRITE (1u << 2) /* writes only by the executables allowed to write */

struct bw_lsm_rule {
        __u32 len; /* 0: unused, or a rule the kernel does not decide */
        __u32 flags;
        char path[BW_LSM_PATH_LEN];
};

/* An executable the policy allows: the host file userspace verified against the sealed toolchain. */
struct bw_lsm_exe {
        __u64 ino;
        __u32 dev; /* the kernel's encoding, MAJOR << 20 | MINOR */
        __u32 pad;
};

/* Bit i: rule i allows this executable to read, or to write. */
struct bw_lsm_allow {
        __u32 read;
        __u32 write;
};
