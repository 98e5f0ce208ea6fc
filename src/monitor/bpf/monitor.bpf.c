/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What one build does, from BTF-typed raw tracepoints (tp_btf: no tracefs
 * needed, and this kernel refuses fentry and BPF-LSM): process exec, fork,
 * exit and comm changes, and the system calls the detection rules look at.
 * Events of any task outside the build's cgroup are dropped in the kernel, so
 * a busy host costs the build nothing and the ring carries only the build.
 *
 * sys_enter runs for every system call of the host; it returns after one
 * switch for the calls it does not record and after one cgroup compare for
 * tasks that are not the build's. Reads without write intent are recorded only
 * for paths a rule can care about (sensitive_read()): a compiler opens
 * thousands of headers, which would otherwise flood the ring.
 */
#include "vmlinux.h"

#include <asm/unistd_64.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "monitor/bpf/monitor-event.h"

char LICENSE[] SEC("license") = "GPL";

#define O_WRONLY     01
#define O_RDWR       02
#define O_CREAT      0100
#define O_TRUNC      01000
#define O_APPEND     02000
#define WRITE_INTENT (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND)

#define S_IFMT   0170000
#define S_IFSOCK 0140000
#define S_IFREG  0100000
#define S_IFCHR  0020000
#define S_IFIFO  0010000
#define S_ISUID  04000
#define S_ISGID  02000

#define AF_UNIX   1
#define AF_INET   2
#define AF_INET6  10
#define AF_PACKET 17
#define SOCK_RAW  3

#define PROT_EXEC     0x4
#define MAP_ANONYMOUS 0x20

#define TS_COMPAT       0x0002
#define CLONE_NEW_FLAGS 0x7e020080ULL /* NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET|NEWTIME */
#define UTIME_NOW       ((1l << 30) - 1l)
#define TIOCSTI         0x5412
#define TIOCLINUX       0x541c

#include "monitor/bpf/shared-maps.bpf.h"

struct {
        __uint(type, BPF_MAP_TYPE_ARRAY);
        __uint(max_entries, BW_PROTECT_MAX);
        __type(key, __u32);
        __type(value, struct bw_protect);
} bw_protect SEC(".maps");

/*
 * A path is read here first and copied into an event only when it matters.
 * walk holds a path built backwards from a dentry: it ends at BW_PATH_LEN,
 * and twice that size lets the verifier see every masked write in bounds.
 */
struct scratch {
        char path[BW_PATH_LEN];
        char walk[BW_PATH_LEN * 2];
};
struct {
        __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
        __uint(max_entries, 1);
        __type(key, __u32);
        __type(value, struct scratch);
} scratch SEC(".maps");

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

/* The configuration when the current task is the build's, else NULL. */
static __always_inline struct bw_config *build_config(void) {
        __u32 zero = 0;
        struct bw_config *c = bpf_map_lookup_elem(&bw_config, &zero);
        return c && c->cgroup_id && bpf_get_current_cgroup_id() == c->cgroup_id ? c : NULL;
}

static __always_inline bool in_build(void) {
        return build_config() != NULL;
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
        e->nr = 0;
        e->args_len = 0;
        e->addr_len = 0;
        __builtin_memset(e->arg, 0, sizeof(e->arg));
        __builtin_memset(e->fd, 0, sizeof(e->fd));
        e->exe_ino = 0;
        e->exe_dev = 0;
        e->exe_nlink = 0;
        e->exe_magic = 0;
        e->exe_name[0] = 0;
        e->str1[0] = 0;
        e->str2[0] = 0;
        bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), task->comm);
        return e;
}

static __always_inline struct file *fd_file(struct task_struct *t, __u64 fd) {
        struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
        if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
                return NULL;
        struct file **arr = BPF_CORE_READ(fdt, fd);
        struct file *f = NULL;
        bpf_probe_read_kernel(&f, sizeof(f), &arr[fd]);
        return f;
}

/* What FD of T is: a file, a pipe, a terminal, or a socket and its peer. */
static __always_inline void fd_describe(struct task_struct *t, __u64 fd, struct bw_fd_info *out) {
        struct file *f = fd_file(t, fd);
        if (!f)
                return;
        switch (BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT) {
        case S_IFREG:
                out->kind = BW_FD_FILE;
                return;
        case S_IFIFO:
                out->kind = BW_FD_PIPE;
                return;
        case S_IFCHR:
                out->kind = BW_FD_CHR;
                return;
        case S_IFSOCK:
                break;
        default:
                out->kind = BW_FD_FILE;
                return;
        }
        struct socket *sock = (struct socket *) BPF_CORE_READ(f, private_data);
        struct sock *sk = BPF_CORE_READ(sock, sk);
        if (!sk) {
                out->kind = BW_FD_SOCKET;
                return;
        }
        __u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
        out->sock_type = BPF_CORE_READ(sk, sk_type);
        out->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
        out->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
        if (family == AF_INET) {
                out->kind = BW_FD_INET;
                __u32 a = BPF_CORE_READ(sk, __sk_common.skc_daddr);
                __builtin_memcpy(out->raddr, &a, 4);
        } else if (family == AF_INET6) {
                out->kind = BW_FD_INET6;
                BPF_CORE_READ_INTO(&out->raddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
        } else if (family == AF_UNIX)
                out->kind = BW_FD_UNIX;
        else
                out->kind = BW_FD_SOCKET;
}

/*
 * A file's path as the build sees it, what d_path() gives (bpf_d_path() is
 * for fentry/LSM programs only, which this kernel refuses): component by
 * component up the dentries, crossing from a mount's root to where it is
 * mounted, until the task's root. Written backwards into scratch.walk, ending
 * at BW_PATH_LEN; a bpf_loop() callback, so the verifier checks one step.
 */
struct walk {
        struct dentry *d, *root_d;
        struct vfsmount *vm, *root_vm;
        struct mount *mnt;
        __u32 off; /* the path starts at walk[off] */
        bool truncated;
};

static long walk_step(__u64 i, void *ctx) {
        struct walk *w = ctx;
        /* locals: CO-RE relocates kernel types only, not reads through struct walk */
        struct dentry *d = w->d;
        struct vfsmount *vm = w->vm;
        struct mount *mnt = w->mnt;
        __u32 zero = 0;
        struct scratch *s = bpf_map_lookup_elem(&scratch, &zero);
        if (!s || (d == w->root_d && vm == w->root_vm))
                return 1;
        if (d == BPF_CORE_READ(vm, mnt_root)) {
                struct mount *parent = BPF_CORE_READ(mnt, mnt_parent);
                if (parent == mnt)
                        return 1; /* the namespace's first mount */
                w->d = BPF_CORE_READ(mnt, mnt_mountpoint);
                w->mnt = parent;
                w->vm = (struct vfsmount *) ((void *) parent + bpf_core_field_offset(struct mount, mnt));
                return 0;
        }
        struct dentry *up = BPF_CORE_READ(d, d_parent);
        if (up == d)
                return 1; /* a root that no mount leads to (a memfd, a pipe) */
        struct qstr name = BPF_CORE_READ(d, d_name);
        if (name.len + 1 > w->off) {
                w->truncated = true;
                return 1;
        }
        w->off -= name.len + 1;
        __u32 off = w->off & (BW_PATH_LEN - 1);
        s->walk[off] = '/';
        bpf_probe_read_kernel(&s->walk[off + 1], name.len & (BW_PATH_LEN - 1), name.name);
        w->d = up;
        return 0;
}

/* Walks F's path into scratch.walk; returns where it starts there (BW_PATH_LEN: unknown). */
static __always_inline __u32 walk_file(struct file *f, bool *truncated) {
        __u32 zero = 0;
        struct scratch *s = bpf_map_lookup_elem(&scratch, &zero);
        if (!s)
                return BW_PATH_LEN;
        struct task_struct *task = bpf_get_current_task_btf();
        struct vfsmount *vm = BPF_CORE_READ(f, f_path.mnt);
        struct walk w = {
                .d = BPF_CORE_READ(f, f_path.dentry),
                .vm = vm,
                .mnt = (struct mount *) ((void *) vm - bpf_core_field_offset(struct mount, mnt)),
                .root_d = BPF_CORE_READ(task, fs, root.dentry),
                .root_vm = BPF_CORE_READ(task, fs, root.mnt),
                .off = BW_PATH_LEN,
        };
        s->walk[BW_PATH_LEN] = 0;
        bpf_loop(64, walk_step, &w, 0);
        *truncated = w.truncated;
        return w.off;
}

/* Copies the path walk_file() left at OFF into E's str1. */
static __always_inline void copy_walked(struct bw_event *e, __u32 off, bool truncated) {
        __u32 zero = 0;
        struct scratch *s = bpf_map_lookup_elem(&scratch, &zero);
        if (!s || off >= BW_PATH_LEN)
                return;
        bpf_probe_read_kernel_str(e->str1, sizeof(e->str1), &s->walk[off & (BW_PATH_LEN - 1)]);
        e->flags |= BW_EVF_RESOLVED | (truncated ? BW_EVF_PATH_TRUNCATED : 0);
}

/*
 * Built twice (src/meson.build): as is, and with BW_MONITOR_SLIM, without the
 * path-policy program below, for the light skeleton of a run whose policy
 * protects nothing: its verification is about 20 ms of a 40 ms load.
 */
#ifndef BW_MONITOR_SLIM
/* bpf_loop() callback: does the walked path start with protected prefix I? */
struct protect_ctx {
        __u32 off;
        bool hit;
};

static long protect_match(__u64 i, void *ctx) {
        struct protect_ctx *c = ctx;
        __u32 zero = 0, key = (__u32) i;
        struct scratch *s = bpf_map_lookup_elem(&scratch, &zero);
        struct bw_protect *pr = bpf_map_lookup_elem(&bw_protect, &key);
        if (!s || !pr)
                return 1;
        __u32 len = pr->len;
        for (__u32 j = 0; j < BW_PROTECT_LEN; j++) {
                if (j >= len)
                        break;
                if (s->walk[(c->off + j) & (2 * BW_PATH_LEN - 1)] != pr->prefix[j])
                        return 0;
        }
        c->hit = len > 0;
        return c->hit;
}
#endif

/* Which file F is: inode, device, link count, filesystem, name (exec and mmap events). */
static __always_inline void file_identity(struct bw_event *e, struct file *f) {
        struct inode *ino = BPF_CORE_READ(f, f_inode);
        e->exe_ino = BPF_CORE_READ(ino, i_ino);
        e->exe_dev = BPF_CORE_READ(ino, i_sb, s_dev);
        e->exe_nlink = BPF_CORE_READ(ino, __i_nlink);
        e->exe_magic = BPF_CORE_READ(ino, i_sb, s_magic);
        bpf_probe_read_kernel_str(e->exe_name, sizeof(e->exe_name), BPF_CORE_READ(f, f_path.dentry, d_name.name));
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm) {
        if (!in_build())
                return 0;
        struct bw_event *e = reserve(BW_EV_EXEC, task);
        if (!e)
                return 0;
        bpf_probe_read_kernel_str(e->str1, sizeof(e->str1), BPF_CORE_READ(bprm, filename));
        const char *interp = BPF_CORE_READ(bprm, interp), *filename = BPF_CORE_READ(bprm, filename);
        if (interp != filename)
                bpf_probe_read_kernel_str(e->str2, sizeof(e->str2), interp);
        /* The file the kernel runs, which may be gone from every directory (a memfd, a deleted file). */
        file_identity(e, BPF_CORE_READ(bprm, file));
        for (int i = 0; i < 3; i++)
                fd_describe(task, i, &e->fd[i]);
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

/* A process renames itself, the way a miner hides as "kworker/0:1". */
SEC("tp_btf/task_rename")
int BPF_PROG(on_rename, struct task_struct *task, const char *comm) {
        /* exec renames every task to its program's name: the exec event says that already */
        if (!in_build() || BPF_CORE_READ_BITFIELD_PROBED(task, in_execve))
                return 0;
        struct bw_event *e = reserve(BW_EV_RENAME, task);
        if (!e)
                return 0;
        bpf_probe_read_kernel_str(e->str1, BW_COMM_LEN, comm);
        submit(e);
        return 0;
}

static __always_inline bool has_prefix(const char *s, const char *p, int n) {
        for (int i = 0; i < n; i++)
                if (s[i] != p[i])
                        return false;
        return true;
}
#define PREFIX(s, lit) has_prefix(s, lit, sizeof(lit) - 1)

/* bpf_loop() callback: is path component I hidden (".ssh", not "." or "..")? Verified once, not per index. */
static long hidden_component(__u64 i, void *ctx) {
        __u32 zero = 0;
        struct scratch *s = bpf_map_lookup_elem(&scratch, &zero);
        if (!s || i >= BW_PATH_LEN - 2)
                return 1;
        char c = s->path[i];
        if (!c)
                return 1;
        if (c == '.' && (i == 0 || s->path[(i - 1) & (BW_PATH_LEN - 1)] == '/')) {
                char d = s->path[i + 1];
                if (d && d != '.' && d != '/') {
                        *(bool *) ctx = true;
                        return 1;
                }
        }
        return 0;
}

/*
 * Reads worth a rule: credentials and keys, other processes' memory and
 * environment, system state, and files in the world-writable directories
 * (libraries preloaded from /tmp). Hidden path components (.ssh, .aws, .gnupg,
 * .git-credentials, .docker ...) are kept too; the rules sort them out.
 */
static __always_inline bool sensitive_read(const char *p) {
        if (p[0] == '/') {
                switch (p[1]) {
                case 'p':
                        return PREFIX(p, "/proc/");
                case 'e':
                        return PREFIX(p, "/etc/shadow") || PREFIX(p, "/etc/gshadow") || PREFIX(p, "/etc/sudoers") ||
                               PREFIX(p, "/etc/ssh/") || PREFIX(p, "/etc/ssl/private") || PREFIX(p, "/etc/security/") ||
                               PREFIX(p, "/etc/ld.so.preload");
                case 'r':
                        return PREFIX(p, "/root") || PREFIX(p, "/run/");
                case 'v':
                        return PREFIX(p, "/var/run/") || PREFIX(p, "/var/log/") || PREFIX(p, "/var/spool/") ||
                               PREFIX(p, "/var/tmp/");
                case 's':
                        return PREFIX(p, "/sys/");
                case 'd':
                        return PREFIX(p, "/dev/mem") || PREFIX(p, "/dev/kmem") || PREFIX(p, "/dev/port") ||
                               PREFIX(p, "/dev/shm/");
                case 'b':
                        return PREFIX(p, "/boot/");
                case 't':
                        return PREFIX(p, "/tmp/");
                }
        }
        bool hidden = false;
        bpf_loop(BW_PATH_LEN - 2, hidden_component, &hidden, 0);
        return hidden;
}

static __always_inline bool compat_task(void) {
        /* A 32-bit task numbers its calls differently: see docs/detection.md. */
        return bpf_get_current_task_btf()->thread_info.status & TS_COMPAT;
}

static __always_inline struct bw_event *sys_event(long nr, struct pt_regs *regs) {
        struct bw_event *e = reserve(BW_EV_SYSCALL, bpf_get_current_task_btf());
        if (!e)
                return NULL;
        e->nr = nr;
        e->arg[0] = regs->di;
        e->arg[1] = regs->si;
        e->arg[2] = regs->dx;
        e->arg[3] = regs->r10;
        e->arg[4] = regs->r8;
        e->arg[5] = regs->r9;
        return e;
}

static __always_inline void read_path(struct bw_event *e, char *dst, __u64 uptr) {
        long n = bpf_probe_read_user_str(dst, BW_PATH_LEN, (void *) uptr);
        if (n == BW_PATH_LEN)
                e->flags |= BW_EVF_PATH_TRUNCATED;
        else if (n < 0)
                dst[0] = 0;
}

static __always_inline int on_open(long nr, struct pt_regs *regs, __u64 path, __u64 flags) {
        __u32 zero = 0;
        struct scratch *s = bpf_map_lookup_elem(&scratch, &zero);
        if (!s)
                return 0;
        long n = bpf_probe_read_user_str(s->path, sizeof(s->path), (void *) path);
        if (n <= 0)
                return 0;
        if (!(flags & WRITE_INTENT) && !sensitive_read(s->path))
                return 0;
        struct bw_event *e = sys_event(nr, regs);
        if (!e)
                return 0;
        bpf_probe_read_kernel_str(e->str1, sizeof(e->str1), s->path);
        if (n == BW_PATH_LEN)
                e->flags |= BW_EVF_PATH_TRUNCATED;
        e->arg[5] = flags; /* the open flags, wherever this call passes them */
        submit(e);
        return 0;
}

static __always_inline void read_sockaddr(struct bw_event *e, __u64 uptr, __u64 len) {
        if (!uptr)
                return;
        if (len > 112)
                len = 112;
        if (len > 0 && bpf_probe_read_user(e->str2, len & 0x7f, (void *) uptr) == 0)
                e->addr_len = len;
}

/* Calls recorded at entry: they are not refused by the sandbox, and a blocking one must show before it returns. */
SEC("tp_btf/sys_enter")
int BPF_PROG(on_sys_enter, struct pt_regs *regs, long nr) {
        /* One switch decides before anything else: most calls are not recorded. */
        switch (nr) {
        case __NR_open:
        case __NR_creat:
        case __NR_openat:
        case __NR_openat2:
        case __NR_unlink:
        case __NR_unlinkat:
        case __NR_rmdir:
        case __NR_rename:
        case __NR_renameat:
        case __NR_renameat2:
        case __NR_link:
        case __NR_linkat:
        case __NR_symlink:
        case __NR_symlinkat:
        case __NR_truncate:
        case __NR_chdir:
        case __NR_fchdir:
        case __NR_utimensat:
        case __NR_utimes:
        case __NR_connect:
        case __NR_sendto:
        case __NR_sendmsg:
        case __NR_bind:
        case __NR_listen:
        case __NR_socket:
        case __NR_dup2:
        case __NR_dup3:
        case __NR_memfd_create:
        case __NR_execveat:
        case __NR_ptrace:
        case __NR_process_vm_readv:
        case __NR_process_vm_writev:
        case __NR_setuid:
        case __NR_setgid:
        case __NR_setreuid:
        case __NR_setregid:
        case __NR_setresuid:
        case __NR_setresgid:
        case __NR_setfsuid:
        case __NR_setfsgid:
        case __NR_capset:
        case __NR_mknod:
        case __NR_mknodat:
        case __NR_mmap:
        case __NR_mkdir:
        case __NR_mkdirat:
                break;
        default:
                return 0;
        }
        struct bw_config *c = build_config();
        if (!c || compat_task())
                return 0;

        __u64 a0 = regs->di, a1 = regs->si, a2 = regs->dx, a3 = regs->r10, a4 = regs->r8;
        switch (nr) {
        case __NR_open:
                return on_open(nr, regs, a0, a1);
        case __NR_creat:
                return on_open(nr, regs, a0, O_CREAT | O_WRONLY | O_TRUNC);
        case __NR_openat:
                return on_open(nr, regs, a1, a2);
        case __NR_openat2: {
                __u64 flags = 0;
                bpf_probe_read_user(&flags, sizeof(flags), (void *) a2); /* struct open_how starts with flags */
                return on_open(nr, regs, a1, flags);
        }
        case __NR_socket:
                /* Raw and packet sockets only: ordinary ones show up at connect. Netlink
                 * sockets are raw too, and every getaddrinfo() opens one. */
                if (a0 != AF_PACKET && !((a0 == AF_INET || a0 == AF_INET6) && (a1 & 0xf) == SOCK_RAW))
                        return 0;
                break;
        case __NR_dup2:
        case __NR_dup3:
                /* Only a socket put on stdin, stdout or stderr: the shape of a reverse shell. */
                if (a1 > 2)
                        return 0;
                break;
        case __NR_utimensat:
                /* futimens() passes no path; NULL times means "now": neither backdates. */
                if (!a1 || !a2)
                        return 0;
                break;
        case __NR_utimes:
                if (!a1)
                        return 0;
                break;
        case __NR_sendto:
                if (!a4) /* on a connected socket: seen at connect */
                        return 0;
                break;
        case __NR_mkdir:
        case __NR_mkdirat:
                /* builds make many directories: only a policy that protects paths asks about them */
                if (c->n_protect == 0)
                        return 0;
                break;
        case __NR_mmap:
                /* code from a file: how the loader maps every shared library's text (and dlopen() too) */
                if (!(c->flags & BW_CFG_MAPS) || !(a2 & PROT_EXEC) || (a3 & MAP_ANONYMOUS) || (__s32) a4 < 0)
                        return 0;
                break;
        }

        struct task_struct *task = bpf_get_current_task_btf();
        struct bw_event *e = sys_event(nr, regs);
        if (!e)
                return 0;
        switch (nr) {
        case __NR_unlink:
        case __NR_rmdir:
        case __NR_chdir:
        case __NR_truncate:
        case __NR_utimes:
        case __NR_mknod:
        case __NR_mkdir:
                read_path(e, e->str1, a0);
                break;
        case __NR_unlinkat:
        case __NR_mknodat:
        case __NR_mkdirat:
        case __NR_execveat:
                read_path(e, e->str1, a1);
                break;
        case __NR_memfd_create:
                read_path(e, e->str1, a0);
                break;
        case __NR_utimensat: {
                read_path(e, e->str1, a1);
                struct {
                        __s64 sec, nsec;
                } ts[2] = {};
                bpf_probe_read_user(&ts, sizeof(ts), (void *) a2);
                e->arg[4] = ts[1].nsec == UTIME_NOW ? 0 : ts[1].sec; /* the new mtime, 0 for "now" */
                e->arg[5] = ts[1].nsec;
                break;
        }
        case __NR_rename:
        case __NR_link:
        case __NR_symlink:
                read_path(e, e->str1, a0);
                read_path(e, e->str2, a1);
                break;
        case __NR_renameat:
        case __NR_renameat2:
        case __NR_linkat:
                read_path(e, e->str1, a1);
                read_path(e, e->str2, a3);
                break;
        case __NR_symlinkat:
                read_path(e, e->str1, a0);
                read_path(e, e->str2, a2);
                break;
        case __NR_connect:
        case __NR_bind:
                fd_describe(task, a0, &e->fd[0]);
                read_sockaddr(e, a1, a2);
                break;
        case __NR_sendto:
                fd_describe(task, a0, &e->fd[0]);
                read_sockaddr(e, a4, regs->r9);
                break;
        case __NR_sendmsg: {
                fd_describe(task, a0, &e->fd[0]);
                struct {
                        __u64 name;
                        __u32 namelen;
                } mh = {};
                bpf_probe_read_user(&mh, sizeof(mh), (void *) a1); /* struct user_msghdr starts so */
                read_sockaddr(e, mh.name, mh.namelen);
                break;
        }
        case __NR_listen:
                fd_describe(task, a0, &e->fd[0]);
                break;
        case __NR_mmap: {
                /* The file behind the fd: the reader comes too late for /proc/PID/fd or map_files. */
                struct file *f = fd_file(task, (__u32) a4);
                if (!f) {
                        bpf_ringbuf_discard(e, 0);
                        return 0;
                }
                file_identity(e, f);
                bool truncated = false;
                copy_walked(e, walk_file(f, &truncated), truncated);
                break;
        }
        case __NR_dup2:
        case __NR_dup3:
                fd_describe(task, a0, &e->fd[0]);
                if (e->fd[0].kind < BW_FD_INET || e->fd[0].kind > BW_FD_SOCKET) {
                        bpf_ringbuf_discard(e, 0);
                        return 0;
                }
                break;
        }
        submit(e);
        return 0;
}

#ifndef BW_MONITOR_SLIM
/*
 * Path policies: a successful open of a protected path, read or write, with
 * the path the kernel resolved (relative names, "..", symlinks and directory
 * fds all end at the file). A program of its own, loaded only when the
 * policy protects paths (monitor_open()): the walk costs a few loads per
 * directory level on every open of the build, and its verification about
 * 25 ms of every monitored start.
 */
SEC("tp_btf/sys_exit")
int BPF_PROG(on_open_exit, struct pt_regs *regs, long ret) {
        long nr = regs->orig_ax;
        if (ret < 0 || (nr != __NR_open && nr != __NR_openat && nr != __NR_openat2))
                return 0;
        struct bw_config *c = build_config();
        if (!c || compat_task())
                return 0;
        __u32 n_protect = c->n_protect;
        if (n_protect == 0)
                return 0;
        struct file *f = fd_file(bpf_get_current_task_btf(), ret);
        if (!f)
                return 0;
        bool truncated = false;
        struct protect_ctx pc = { .off = walk_file(f, &truncated) };
        if (pc.off >= BW_PATH_LEN)
                return 0;
        bpf_loop(n_protect < BW_PROTECT_MAX ? n_protect : BW_PROTECT_MAX, protect_match, &pc, 0);
        if (!pc.hit)
                return 0;
        __u64 flags = nr == __NR_open ? regs->si : regs->dx;
        if (nr == __NR_openat2) {
                flags = 0;
                bpf_probe_read_user(&flags, sizeof(flags), (void *) regs->dx); /* struct open_how starts with flags */
        }
        struct bw_event *e = sys_event(nr, regs);
        if (!e)
                return 0;
        copy_walked(e, pc.off, truncated);
        e->arg[5] = flags;
        submit(e);
        return 0;
}
#endif

/*
 * Calls the build's seccomp filter may refuse are recorded at sys_exit: the
 * kernel runs seccomp before the sys_enter tracepoint, so a refused call never
 * reaches it, but every call, refused or not, passes sys_exit with its
 * arguments still in the registers. The result goes into the event.
 */
SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *regs, long ret) {
        long nr = regs->orig_ax;
        switch (nr) {
        case __NR_chmod:
        case __NR_fchmodat:
        case __NR_mount:
        case __NR_umount2:
        case __NR_pivot_root:
        case __NR_chroot:
        case __NR_open_tree:
        case __NR_move_mount:
        case __NR_fsopen:
        case __NR_fsmount:
        case __NR_mount_setattr:
        case __NR_unshare:
        case __NR_setns:
        case __NR_clone:
        case __NR_clone3:
        case __NR_init_module:
        case __NR_finit_module:
        case __NR_delete_module:
        case __NR_kexec_load:
        case __NR_kexec_file_load:
        case __NR_bpf:
        case __NR_perf_event_open:
        case __NR_keyctl:
        case __NR_userfaultfd:
        case __NR_io_uring_setup:
        case __NR_ioctl:
                break;
        default:
                return 0;
        }
        struct bw_config *c = build_config();
        if (!c || compat_task())
                return 0;

        __u64 a0 = regs->di, a1 = regs->si, a2 = regs->dx;
        switch (nr) {
        case __NR_clone:
                if (!(a0 & CLONE_NEW_FLAGS))
                        return 0;
                break;
        case __NR_clone3: {
                __u64 flags = 0;
                bpf_probe_read_user(&flags, sizeof(flags), (void *) a0); /* struct clone_args starts with flags */
                if (!(flags & CLONE_NEW_FLAGS))
                        return 0;
                a0 = flags;
                break;
        }
        case __NR_ioctl:
                if ((__u32) a1 != TIOCSTI && (__u32) a1 != TIOCLINUX)
                        return 0;
                break;
        case __NR_chmod:
                if (!(a1 & (S_ISUID | S_ISGID)))
                        return 0;
                break;
        case __NR_fchmodat:
                if (!(a2 & (S_ISUID | S_ISGID)))
                        return 0;
                break;
        }

        struct bw_event *e = sys_event(nr, regs);
        if (!e)
                return 0;
        e->exit_code = ret; /* -EPERM when seccomp refused it */
        e->flags |= BW_EVF_RESULT;
        switch (nr) {
        case __NR_chmod:
        case __NR_umount2:
        case __NR_chroot:
                read_path(e, e->str1, a0);
                break;
        case __NR_fchmodat:
                read_path(e, e->str1, a1);
                break;
        case __NR_pivot_root:
                read_path(e, e->str1, a0);
                read_path(e, e->str2, a1);
                break;
        case __NR_mount:
                read_path(e, e->str1, a1); /* target */
                read_path(e, e->str2, a2); /* filesystem type */
                break;
        case __NR_ioctl:
                fd_describe(bpf_get_current_task_btf(), a0, &e->fd[0]);
                break;
        case __NR_clone3:
                e->arg[0] = a0; /* the flags read from struct clone_args */
                break;
        }
        submit(e);
        return 0;
}
