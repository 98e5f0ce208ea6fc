/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The one event layout both sides compile: fixed-width fields only. Sizes:
 * COMM is the kernel's TASK_COMM_LEN; FILENAME and ARGS cap what one event
 * carries (longer values are cut and flagged), keeping an event under 1 KiB so
 * an 8 MiB ring holds thousands of them between two polls.
 */
#define BW_EVENT_VERSION 1
#define BW_COMM_LEN      16
#define BW_FILENAME_LEN  256
#define BW_ARGS_LEN      512

enum bw_event_type {
        BW_EV_EXEC = 1,
        BW_EV_FORK = 2,
        BW_EV_EXIT = 3,
};

#define BW_EVF_ARGS_TRUNCATED (1u << 0)

struct bw_event {
        __u16 version;
        __u16 type;
        __u32 flags;
        __u64 time_ns; /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
        __u32 pid;     /* thread group id, host pid namespace */
        __u32 tid;
        __u32 ppid;  /* parent's thread group id; for FORK the parent itself */
        __u32 child; /* FORK: the new thread group id */
        __u32 uid;   /* as the host sees it */
        __s32 exit_code;
        __u16 args_len;
        __u16 pad[3];
        char comm[BW_COMM_LEN];
        char filename[BW_FILENAME_LEN];
        char args[BW_ARGS_LEN]; /* NUL-separated argv */
};

/* Set by userspace: the build's cgroup v2 id; 0 records nothing. */
struct bw_config {
        __u64 cgroup_id;
};
