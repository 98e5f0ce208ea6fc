/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Path policies refused in the kernel (docs/integrity.md, "Path policies"):
 * a BPF-LSM program on file_open, for the build's cgroup only. An open of a
 * protected path by an executable the policy does not allow fails with EPERM
 * before the file is opened, and an event in the monitor's ring says so (the
 * open never reaches the monitor's sys_exit program, which sees successes).
 *
 * An object of its own, loaded only when the policy protects paths and the
 * kernel runs the bpf LSM: hosts without it pay nothing, and monitor.bpf.c is
 * the same on every host. It shares the monitor's ring and configuration maps
 * (bpf_map__reuse_fd()).
 *
 * Which executables are allowed is decided in userspace, before the build
 * starts: the host files whose content matched the sealed toolchain go into
 * bw_lsm_allow by inode. Here, identity is the file the task's mm executes
 * (mm->exe_file): a script runs with its interpreter's identity, a child keeps
 * its parent's until it executes something else, and a file the build wrote
 * (on the sandbox's overlay or tmpfs: another device) is never in the map.
 */
#include "vmlinux.h"

#include <asm/unistd_64.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "monitor/bpf/lsm-event.h"
#include "monitor/bpf/monitor-event.h"

char LICENSE[] SEC("license") = "GPL";

#define EPERM        1
#define FMODE_READ   0x1
#define FMODE_WRITE  0x2
#define FMODE_EXEC   0x20
#define __FMODE_EXEC 040 /* f_flags of open_exec()'s open; f_mode lacked FMODE_EXEC at file_open on 6.1 */
#define O_CREAT      0100
#define O_TRUNC      01000
#define O_APPEND     02000
#define PATH_MAX     4096

/* The monitor's (monitor.bpf.c), reused by fd before load. */
#include "monitor/bpf/shared-maps.bpf.h"

struct {
        __uint(type, BPF_MAP_TYPE_ARRAY);
        __uint(max_entries, BW_LSM_RULES);
        __type(key, __u32);
        __type(value, struct bw_lsm_rule);
} bw_lsm_rules SEC(".maps");

/* 1024 allowed files: a policy names a few executables, but a digest may stand for several sealed copies. */
struct {
        __uint(type, BPF_MAP_TYPE_HASH);
        __uint(max_entries, 1024);
        __type(key, struct bw_lsm_exe);
        __type(value, struct bw_lsm_allow);
} bw_lsm_allow SEC(".maps");

/* bpf_d_path() writes the whole path or fails: PATH_MAX of room, per CPU, off the 512-byte stack. */
struct lsm_scratch {
        char path[PATH_MAX];
};
struct {
        __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
        __uint(max_entries, 1);
        __type(key, __u32);
        __type(value, struct lsm_scratch);
} lsm_scratch SEC(".maps");

/* Refusals the ring had no room for (the open is refused all the same). */
__u64 lost = 0;
/* Opens refused, for tests and the report. */
__u64 refused = 0;

struct check {
        bool read, write;
        __u32 read_covered, write_covered; /* bit i: rule i covers the path and restricts this access */
};

/* bpf_loop() callback: does rule I cover the path, restricting this access? */
static long check_rule(__u64 i, void *ctx) {
        struct check *c = ctx;
        __u32 key = (__u32) i;
        __u32 zero = 0;
        /* looked up here, not passed in ctx: the verifier checks a callback on its own */
        struct lsm_scratch *s = bpf_map_lookup_elem(&lsm_scratch, &zero);
        struct bw_lsm_rule *r = bpf_map_lookup_elem(&bw_lsm_rules, &key);
        if (!s || !r)
                return 1;
        __u32 len = r->len, flags = r->flags;
        bool read = c->read && (flags & BW_LSM_RESTRICT_READ), write = c->write && (flags & BW_LSM_RESTRICT_WRITE);
        if (len == 0 || len > BW_LSM_PATH_LEN || (!read && !write))
                return 0;
        for (__u32 j = 0; j < BW_LSM_PATH_LEN; j++) {
                if (j >= len)
                        break;
                if (s->path[j] != r->path[j])
                        return 0;
        }
        if ((flags & BW_LSM_EXACT) && s->path[len & (PATH_MAX - 1)] != 0)
                return 0;
        __u32 bit = 1u << (key & 31);
        c->read_covered |= read ? bit : 0;
        c->write_covered |= write ? bit : 0;
        return 0;
}

/* Says what was refused, as an open the monitor resolved (monitor-event.h), refused by us. */
static __always_inline void report(struct task_struct *task, struct file *file, struct lsm_scratch *s, __u32 rule,
                                   bool write, __u64 ino, __u32 dev) {
        struct bw_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
        if (!e) {
                __sync_fetch_and_add(&lost, 1);
                return;
        }
        e->version = BW_EVENT_VERSION;
        e->type = BW_EV_SYSCALL;
        e->flags = BW_EVF_RESOLVED | BW_EVF_RESULT | BW_EVF_LSM;
        e->time_ns = bpf_ktime_get_ns();
        e->pid = BPF_CORE_READ(task, tgid);
        e->tid = BPF_CORE_READ(task, pid);
        e->ppid = BPF_CORE_READ(task, real_parent, tgid);
        e->uid = BPF_CORE_READ(task, cred, uid.val);
        e->child = 0;
        e->exit_code = -EPERM;
        e->args_len = 0;
        e->addr_len = 0;
        __builtin_memset(e->arg, 0, sizeof(e->arg));
        __builtin_memset(e->fd, 0, sizeof(e->fd));
        e->exe_nlink = 0;
        e->exe_magic = 0;
        e->exe_name[0] = 0;
        e->str2[0] = 0;
        /* Whichever call opened it (open, openat, openat2): an open, with its flags where opens keep them. */
        e->nr = __NR_openat;
        e->arg[0] = rule;
        e->arg[1] = write;
        e->arg[5] = BPF_CORE_READ(file, f_flags);
        e->exe_ino = ino;
        e->exe_dev = dev;
        bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), task->comm);
        long n = bpf_probe_read_kernel_str(e->str1, sizeof(e->str1), s->path);
        if (n == sizeof(e->str1) && s->path[sizeof(e->str1) - 1] != 0)
                e->flags |= BW_EVF_PATH_TRUNCATED;
        bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP); /* rare, and the reader should say it soon */
}

SEC("lsm/file_open")
int BPF_PROG(bw_file_open, struct file *file, int ret) {
        if (ret)
                return ret; /* refused already */
        __u32 zero = 0;
        struct bw_config *cfg = bpf_map_lookup_elem(&bw_config, &zero);
        if (!cfg || !cfg->cgroup_id || bpf_get_current_cgroup_id() != cfg->cgroup_id)
                return 0;
        /* the access as the policy counts it (rules.c, write_intent): O_RDWR is both */
        __u32 mode = file->f_mode, flags = file->f_flags;
        /* The kernel opening a program for execve() is not a read by the policy (the monitor counts the
         * open calls): a script's interpreter then opens the script, and that is one. */
        if ((mode & FMODE_EXEC) || (flags & __FMODE_EXEC))
                return 0;
        struct check c = {
                .read = mode & FMODE_READ,
                .write = (mode & FMODE_WRITE) || (flags & (O_CREAT | O_TRUNC | O_APPEND)),
        };
        if (!c.read && !c.write)
                return 0;
        struct lsm_scratch *s = bpf_map_lookup_elem(&lsm_scratch, &zero);
        if (!s)
                return 0;
        /* the path as the build sees it: d_path() resolves from the task's root, the sandbox's */
        if (bpf_d_path((struct path *) &file->f_path, s->path, sizeof(s->path)) < 0)
                return 0; /* longer than PATH_MAX: the monitor's walk still records it */
        bpf_loop(BW_LSM_RULES, check_rule, &c, 0);
        if (!c.read_covered && !c.write_covered)
                return 0;
        /* a protected path: which file does the task run, and what may it do? */
        struct task_struct *task = bpf_get_current_task_btf();
        struct bw_lsm_exe exe = {};
        struct bw_lsm_allow allow = {};
        struct file *exe_file = BPF_CORE_READ(task, mm, exe_file);
        if (exe_file) {
                exe.ino = BPF_CORE_READ(exe_file, f_inode, i_ino);
                exe.dev = BPF_CORE_READ(exe_file, f_inode, i_sb, s_dev);
                struct bw_lsm_allow *a = bpf_map_lookup_elem(&bw_lsm_allow, &exe);
                if (a)
                        allow = *a;
        }
        __u32 read_refused = c.read_covered & ~allow.read, write_refused = c.write_covered & ~allow.write;
        if (!read_refused && !write_refused)
                return 0;
        /* the first rule that refuses, as the monitor's rules name it */
        __u32 rule = 0;
        for (__u32 i = 0; i < BW_LSM_RULES; i++)
                if ((read_refused | write_refused) & (1u << i)) {
                        rule = i;
                        break;
                }
        __sync_fetch_and_add(&refused, 1);
        report(task, file, s, rule, !(read_refused & (1u << rule)), exe.ino, exe.dev);
        return -EPERM;
}
