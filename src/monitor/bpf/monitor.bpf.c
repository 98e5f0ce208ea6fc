/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Process lifecycle of one build, from BTF-typed raw tracepoints (tp_btf: no
 * tracefs needed, and this kernel refuses fentry and BPF-LSM). Events of any
 * task outside the build's cgroup are dropped in the kernel, so a busy host
 * costs the build nothing and the ring carries only the build's events.
 */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "monitor/bpf/monitor-event.h"

char LICENSE[] SEC("license") = "GPL";

struct {
        __uint(type, BPF_MAP_TYPE_RINGBUF);
        __uint(max_entries, 8 * 1024 * 1024);
} events SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_ARRAY);
        __uint(max_entries, 1);
        __type(key, __u32);
        __type(value, struct bw_config);
} bw_config SEC(".maps");

/* Events the ring had no room for: a run with any is never reported clean. */
__u64 lost = 0;

/*
 * Waking the reader for every event costs the build a context switch per exec
 * on a busy 2-core builder. Wake it only once this much is waiting; it also
 * drains on a timer, and everything left when the build ends.
 */
#define WAKEUP_BYTES (1024 * 1024)

static __always_inline void submit(struct bw_event *e) {
        long flags =
                bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > WAKEUP_BYTES ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
        bpf_ringbuf_submit(e, flags);
}

static __always_inline bool in_build(void) {
        __u32 zero = 0;
        struct bw_config *c = bpf_map_lookup_elem(&bw_config, &zero);
        return c && c->cgroup_id && bpf_get_current_cgroup_id() == c->cgroup_id;
}

static __always_inline struct bw_event *reserve(__u16 type, struct task_struct *task) {
        struct bw_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
        if (!e) {
                __sync_fetch_and_add(&lost, 1);
                return NULL;
        }
        e->version = BW_EVENT_VERSION;
        e->type = type;
        e->flags = 0;
        e->time_ns = bpf_ktime_get_ns();
        e->pid = BPF_CORE_READ(task, tgid);
        e->tid = BPF_CORE_READ(task, pid);
        e->ppid = BPF_CORE_READ(task, real_parent, tgid);
        e->child = 0;
        e->uid = BPF_CORE_READ(task, cred, uid.val);
        e->exit_code = 0;
        e->args_len = 0;
        e->filename[0] = 0;
        bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), task->comm);
        return e;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm) {
        if (!in_build())
                return 0;
        struct bw_event *e = reserve(BW_EV_EXEC, task);
        if (!e)
                return 0;
        bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), BPF_CORE_READ(bprm, filename));
        /* argv lives in the new image's stack: [arg_start, arg_end). */
        unsigned long start = BPF_CORE_READ(task, mm, arg_start), end = BPF_CORE_READ(task, mm, arg_end);
        unsigned long len = end > start ? end - start : 0;
        if (len > BW_ARGS_LEN) {
                len = BW_ARGS_LEN;
                e->flags |= BW_EVF_ARGS_TRUNCATED;
        }
        if (len > 0 && len <= BW_ARGS_LEN && bpf_probe_read_user(e->args, len, (void *) start) == 0)
                e->args_len = len;
        submit(e);
        return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child) {
        /* Threads are not processes: only new thread groups. */
        if (!in_build() || BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
                return 0;
        struct bw_event *e = reserve(BW_EV_FORK, parent);
        if (!e)
                return 0;
        e->ppid = e->pid;
        e->child = BPF_CORE_READ(child, tgid);
        submit(e);
        return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *task) {
        if (!in_build() || BPF_CORE_READ(task, pid) != BPF_CORE_READ(task, tgid))
                return 0;
        struct bw_event *e = reserve(BW_EV_EXIT, task);
        if (!e)
                return 0;
        e->exit_code = BPF_CORE_READ(task, exit_code);
        submit(e);
        return 0;
}
