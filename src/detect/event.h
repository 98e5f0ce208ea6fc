/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * One event of a build as the rules see it, whether it comes from the kernel
 * (monitor.c decodes struct bw_event) or from a recorded events.jsonl (replay).
 * events.jsonl holds exactly these fields, so a recorded run replays to the
 * same findings. Strings point into storage the producer owns for the duration
 * of one engine_feed() call.
 */
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The system calls the monitor records; the names are those of events.jsonl. */
// clang-format off
#define SYSCALL_LIST(X) \
        X(open) X(creat) X(openat) X(openat2) X(unlink) X(unlinkat) X(rename) X(renameat) \
        X(renameat2) X(link) X(linkat) X(symlink) X(symlinkat) X(truncate) X(chmod) X(fchmodat) \
        X(chdir) X(fchdir) X(utimensat) X(utimes) X(connect) X(sendto) X(sendmsg) X(bind) X(listen) \
        X(socket) X(dup2) X(dup3) X(memfd_create) X(execveat) X(ptrace) X(process_vm_readv) \
        X(process_vm_writev) X(mount) X(umount2) X(pivot_root) X(chroot) X(open_tree) X(move_mount) \
        X(fsopen) X(fsmount) X(mount_setattr) X(unshare) X(setns) X(clone) X(clone3) X(init_module) \
        X(finit_module) X(delete_module) X(kexec_load) X(kexec_file_load) X(bpf) X(perf_event_open) \
        X(keyctl) X(userfaultfd) X(io_uring_setup) X(setuid) X(setgid) X(setreuid) X(setregid) \
        X(setresuid) X(setresgid) X(setfsuid) X(setfsgid) X(capset) X(ioctl) X(mknod) X(mknodat) X(mmap) X(rmdir) \
        X(mkdir) X(mkdirat)
// clang-format on

#define SC_ENUM_(n) SC_##n,
enum sc { SC_NONE, SYSCALL_LIST(SC_ENUM_) _SC_MAX };
#undef SC_ENUM_

const char *sc_name(enum sc s);
enum sc sc_from_name(const char *name);
enum sc sc_from_nr(long nr);

enum ev_type {
        EV_START, /* first line of events.jsonl: what the run was */
        EV_EXEC,
        EV_FORK,
        EV_EXIT,
        EV_RENAME, /* comm changed */
        EV_SYSCALL,
        EV_SAMPLE, /* userspace: a live process measured (CPU, executable deleted) */
        _EV_MAX,
};

enum fd_kind { FD_NONE, FD_FILE, FD_PIPE, FD_INET, FD_INET6, FD_UNIX, FD_SOCKET, FD_CHR, _FD_MAX };

struct fd_desc {
        enum fd_kind kind;
        int sock_type;
        uint16_t lport;
        char peer[64]; /* "1.2.3.4:80", "[::1]:80"; empty when not connected */
        bool peer_loopback;
};

struct event {
        enum ev_type type;
        uint64_t time_usec; /* CLOCK_REALTIME */
        pid_t pid, ppid, child;
        uint32_t uid;
        const char *comm;

        /* EV_START */
        const char *source;
        /* EV_EXEC */
        const char *filename, *interp, *exe_name;
        char **argv; /* NULL-terminated */
        bool argv_truncated;
        uint64_t exe_ino; /* also SC_mmap: the mapped file */
        uint32_t exe_dev; /* the kernel's encoding: major << 20 | minor */
        uint32_t exe_nlink;
        uint64_t exe_magic;
        struct fd_desc stdio[3];
        /* set in a live run with --toolchain: "match", "mismatch" or "not-in-manifest" for the file the
         * kernel executed (a script's interpreter), NULL when not checked */
        const char *toolchain;
        /* with "match": the sealed digest ("sha256:...") and manifest path of that file, what path
         * policies (policy.h, protect) identify executables by */
        const char *toolchain_digest, *toolchain_path;
        /* EV_EXIT */
        int exit_code, signal; /* signal 0: exited with exit_code */
        /* EV_RENAME: the new comm is in path */

        /* EV_SYSCALL */
        enum sc sc;
        const char *path, *path2;
        bool path_truncated;
        int64_t arg[6];
        uint64_t flags; /* open flags, clone/unshare flags, chmod mode */
        struct fd_desc fd;
        char addr[128]; /* connect/sendto/bind: "1.2.3.4:53", "[::1]:80", "unix:/run/x.sock", "unix:@name" */
        int addr_family;
        uint16_t addr_port;
        bool addr_loopback;
        /* set by the engine in a live run, recorded for replay: the path named a
         * file of the original source tree (it existed before the build) */
        bool source_file;
        bool has_result; /* recorded at the call's exit (seccomp may refuse these) */
        bool resolved;   /* path is the opened file's own, resolved by the kernel (protected paths, mmap) */
        int64_t result;  /* its return value: -EPERM when the sandbox refused it */
        /* a call the BPF-LSM program refused (result -EPERM): arg[0] is the protect entry that refused it,
         * arg[1] 1 for a refused write (else a read), arg[2] 1 when path2 is the refused path (else path) */
        bool lsm_refused;

        /* EV_SAMPLE */
        uint64_t cpu_ms;      /* CPU time used in the sampling period */
        uint64_t period_ms;   /* length of the period */
        bool exe_deleted;     /* /proc/PID/exe ends in " (deleted)" */
        const char *exe_link; /* /proc/PID/exe as readlink shows it */
};

/* Serialises E as one events.jsonl object. */
json_object *event_to_json(const struct event *e);
/*
 * Fills RET from an events.jsonl object; strings point into O. 0, or -EINVAL
 * when O is not an event this version understands (the caller skips it).
 * *RET_ARGV must be freed with free() (the array, not the strings).
 */
int event_from_json(json_object *o, struct event *ret);

/* Decodes a struct sockaddr into E's addr fields. */
void event_set_sockaddr(struct event *e, const uint8_t *sa, size_t len);
const char *fd_kind_name(enum fd_kind k);
/* Formats an IPv4 (len 4) or IPv6 (len 16) peer, and says whether it is this host. */
void format_peer(char *buf, size_t n, int family, const uint8_t *addr, uint16_t port, bool *ret_loopback);
