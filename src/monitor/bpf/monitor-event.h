/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The one event layout both sides compile: fixed-width fields only. Sizes:
 * COMM is the kernel's TASK_COMM_LEN; PATH caps a path the build passed to the
 * kernel (PATH_MAX is 4096, but paths worth a rule are short; longer ones are
 * cut and flagged); ARGS caps argv. An event stays under 1.5 KiB so an 8 MiB
 * ring holds thousands of them between two drains.
 */
#define BW_EVENT_VERSION 2
#define BW_COMM_LEN      16
#define BW_PATH_LEN      256
#define BW_ARGS_LEN      512
#define BW_NAME_LEN      64

enum bw_event_type {
        BW_EV_EXEC = 1,
        BW_EV_FORK = 2,
        BW_EV_EXIT = 3,
        BW_EV_SYSCALL = 4, /* nr says which; see monitor.bpf.c for the calls recorded */
        BW_EV_RENAME = 5,  /* the task's comm changed (prctl PR_SET_NAME, /proc/self/comm) */
};

#define BW_EVF_ARGS_TRUNCATED (1u << 0)
#define BW_EVF_PATH_TRUNCATED (1u << 1)
#define BW_EVF_COMPAT         (1u << 2) /* a 32-bit task */
#define BW_EVF_RESULT         (1u << 3) /* SYSCALL recorded at exit: exit_code holds its result */
/* SYSCALL: str1 is the opened or mapped file's own path in the build's mount namespace, walked from its
 * dentry in the kernel (not the string the call was given) */
#define BW_EVF_RESOLVED (1u << 4)
/* SYSCALL: a call the BPF-LSM program (lsm.bpf.c) refused with EPERM, named by its hook: openat (any open),
 * unlinkat (unlink), rmdir, renameat2 (any rename), linkat (any hard link), truncate (and ftruncate). str1 and
 * str2 are the paths it walked, in the call's order; arg[0] is the policy's protect entry, arg[1] 1 when the
 * write was refused (else the read), arg[2] 1 when str2 is the refused path (else str1), arg[5] the open or
 * rename flags; exe_ino and exe_dev the task's executable */
#define BW_EVF_LSM (1u << 5)

/* What a file descriptor refers to, read from the kernel's file table. */
enum bw_fd_kind {
        BW_FD_NONE = 0, /* closed, or not looked up */
        BW_FD_FILE = 1,
        BW_FD_PIPE = 2,
        BW_FD_INET = 3,  /* AF_INET socket */
        BW_FD_INET6 = 4, /* AF_INET6 socket */
        BW_FD_UNIX = 5,
        BW_FD_SOCKET = 6, /* another socket family */
        BW_FD_CHR = 7,    /* a character device: a terminal, /dev/null */
};

struct bw_fd_info {
        __u16 kind;
        __u16 sock_type; /* SOCK_STREAM, SOCK_DGRAM ... */
        __u16 rport;     /* peer port, host byte order; 0 when not connected */
        __u16 lport;     /* local port, host byte order */
        __u8 raddr[16];  /* peer address: 4 bytes for AF_INET, 16 for AF_INET6 */
};

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
        __u32 nr; /* SYSCALL: x86-64 system call number */
        __u16 args_len;
        __u16 addr_len; /* SYSCALL: bytes of a sockaddr in str2 */
        __u64 arg[6];   /* SYSCALL: raw arguments; some calls put a decoded value here (see .bpf.c) */
        /* EXEC: the stdio fds 0-2 of the new image; SYSCALL: fd[0] is the fd argument */
        struct bw_fd_info fd[3];
        /* EXEC: the file the kernel executes */
        __u64 exe_ino;
        __u32 exe_dev;
        __u32 exe_nlink; /* 0: deleted, or a memfd */
        __u64 exe_magic; /* superblock magic: tmpfs, overlayfs, ... */
        char comm[BW_COMM_LEN];
        char exe_name[BW_NAME_LEN]; /* EXEC: the file's dentry name ("memfd:x" for a memfd) */
        char str1[BW_PATH_LEN];     /* EXEC: filename as passed; SYSCALL: first path; RENAME: new comm */
        char str2[BW_PATH_LEN];     /* EXEC: interpreter of a script; SYSCALL: second path or sockaddr */
        char args[BW_ARGS_LEN];     /* EXEC: NUL-separated argv */
};

/* Set by userspace: the build's cgroup v2 id; 0 records nothing. */
struct bw_config {
        __u64 cgroup_id;
        __u32 n_protect; /* entries of the bw_protect map in use */
        __u32 flags;     /* BW_CFG_* */
};

/* Record files mapped as code (mmap with PROT_EXEC): only run --toolchain judges them. */
#define BW_CFG_MAPS (1u << 0)

/*
 * Path policies: the literal prefixes of the protected paths (policy.h). A
 * successful open whose resolved path starts with one is recorded, reads
 * included. 16 rules of 128 bytes keep the compare after every open cheap.
 */
#define BW_PROTECT_MAX 16
#define BW_PROTECT_LEN 128
struct bw_protect {
        __u32 len;
        char prefix[BW_PROTECT_LEN];
};
