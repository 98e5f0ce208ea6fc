/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Path policies refused in the kernel (docs/integrity.md, "Path policies"):
 * BPF-LSM programs, for the build's cgroup only. An open of a protected path
 * by an executable the policy does not allow fails with EPERM before the file
 * is opened, and so do the calls that change a protected path without opening
 * it: unlink, rmdir, rename, link and truncate. Each refusal is an event in
 * the monitor's ring (a refused call never reaches the monitor's sys_exit
 * programs, which see successes).
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
 *
 * What is protected is a path as the build sees it, from its root: the same
 * string for every hook. file_open gets it from bpf_d_path(); the path hooks
 * may not call that helper (its allowlist has path_truncate, not path_unlink,
 * path_rename or path_link), so they walk it from the dentry, as the monitor's
 * open walk does. A path, not an inode: the source tree is an overlay, whose
 * inode numbers are not stable (a directory's is made up per mount when the
 * layers are on different filesystems, and a copy-up changes the real inode
 * behind a file), and the target of a rename or link usually does not exist
 * yet, so it has no inode at all, only a name under a parent.
 */
#include "vmlinux.h"

#include <asm/unistd_64.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "monitor/bpf/lsm-event.h"
#include "monitor/bpf/monitor-event.h"

char LICENSE[] SEC("license") = "GPL";

#define EPERM           1
#define FMODE_READ      0x1
#define FMODE_WRITE     0x2
#define FMODE_EXEC      0x20
#define __FMODE_EXEC    040 /* f_flags of open_exec()'s open; f_mode lacked FMODE_EXEC at file_open on 6.1 */
#define O_CREAT         0100
#define O_TRUNC         01000
#define O_APPEND        02000
#define PATH_MAX        4096
#define NAME_MAX        255
#define RENAME_EXCHANGE (1 << 1)

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

/*
 * Per CPU, off the 512-byte stack. path: bpf_d_path() writes the whole path
 * or fails, so PATH_MAX of room. walk: the two paths of a rename or link,
 * each built backwards from its dentry and ending at PATH_MAX; a component
 * (NAME_MAX) more lets the verifier see every masked write in bounds.
 */
struct lsm_scratch {
        char path[PATH_MAX];
        char walk[2][PATH_MAX + NAME_MAX + 1];
};
struct {
        __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
        __uint(max_entries, 1);
        __type(key, __u32);
        __type(value, struct lsm_scratch);
} lsm_scratch SEC(".maps");

/* Refusals the ring had no room for (the call is refused all the same). */
__u64 lost = 0;
/* Calls refused (opens and path changes), for tests and the report. */
__u64 refused = 0;

struct check {
        bool read, write;
        __u32 read_covered, write_covered; /* bit i: rule i covers the path and restricts this access */
};

/* bpf_loop() callback for file_open: does rule I cover the path bpf_d_path() left in scratch.path? */
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

/*
 * A dentry's path as the build sees it, what d_path() gives: component by
 * component up the dentries, crossing from a mount's root to where it is
 * mounted, until the task's root. Written backwards into scratch.walk[slot],
 * ending at PATH_MAX; a bpf_loop() callback, so the verifier checks one step.
 */
struct walk {
        struct dentry *d, *root_d;
        struct vfsmount *vm, *root_vm;
        struct mount *mnt;
        __u32 slot;
        __u32 off; /* the path starts at walk[slot][off] */
        bool done; /* it reached the root: the whole path is there */
};

static long walk_step(__u64 i, void *ctx) {
        struct walk *w = ctx;
        /* locals: CO-RE relocates kernel types only, not reads through struct walk */
        struct dentry *d = w->d;
        struct vfsmount *vm = w->vm;
        struct mount *mnt = w->mnt;
        __u32 zero = 0;
        struct lsm_scratch *s = bpf_map_lookup_elem(&lsm_scratch, &zero);
        if (!s)
                return 1;
        if (d == w->root_d && vm == w->root_vm) {
                w->done = true;
                return 1;
        }
        if (d == BPF_CORE_READ(vm, mnt_root)) {
                struct mount *parent = BPF_CORE_READ(mnt, mnt_parent);
                if (parent == mnt) {
                        w->done = true; /* the namespace's first mount: d_path() ends there too */
                        return 1;
                }
                w->d = BPF_CORE_READ(mnt, mnt_mountpoint);
                w->mnt = parent;
                w->vm = (struct vfsmount *) ((void *) parent + bpf_core_field_offset(struct mount, mnt));
                return 0;
        }
        struct dentry *up = BPF_CORE_READ(d, d_parent);
        if (up == d)
                return 1; /* a root that no mount leads to: no path the policy names */
        struct qstr name = BPF_CORE_READ(d, d_name);
        if (name.len > NAME_MAX || name.len + 1 > w->off)
                return 1; /* longer than PATH_MAX: not decided, like bpf_d_path() failing */
        w->off -= name.len + 1;
        __u32 off = w->off & (PATH_MAX - 1);
        char *p = s->walk[w->slot & 1];
        p[off] = '/';
        bpf_probe_read_kernel(&p[off + 1], name.len & NAME_MAX, name.name);
        w->d = up;
        return 0;
}

/* Walks D on the mount VM into scratch.walk[SLOT]; returns where its path starts, or PATH_MAX if unknown. */
static __always_inline __u32 walk_path(struct task_struct *task, struct vfsmount *vm, struct dentry *d, __u32 slot) {
        __u32 zero = 0;
        struct lsm_scratch *s = bpf_map_lookup_elem(&lsm_scratch, &zero);
        if (!s || !vm || !d)
                return PATH_MAX;
        struct walk w = {
                .d = d,
                .vm = vm,
                .mnt = (struct mount *) ((void *) vm - bpf_core_field_offset(struct mount, mnt)),
                .root_d = BPF_CORE_READ(task, fs, root.dentry),
                .root_vm = BPF_CORE_READ(task, fs, root.mnt),
                .slot = slot,
                .off = PATH_MAX,
        };
        s->walk[slot & 1][PATH_MAX] = 0;
        /* every step but a mount crossing adds at least "/x": PATH_MAX / 2 components, and mounts */
        bpf_loop(PATH_MAX / 2 + 64, walk_step, &w, 0);
        return w.done ? w.off : PATH_MAX;
}

struct check_walked {
        struct check c;
        __u32 slot, off; /* the path: walk[slot][off, PATH_MAX) */
};

/*
 * bpf_loop() callback for the path hooks: does rule I cover the walked path?
 * It does when the path is the rule's file, lies below its DIR/, or is a
 * directory above what the rule protects ("DIR" itself for DIR/): removing or
 * renaming that directory moves the protected path with it.
 */
static long check_rule_walked(__u64 i, void *ctx) {
        struct check_walked *cw = ctx;
        __u32 key = (__u32) i;
        __u32 zero = 0;
        struct lsm_scratch *s = bpf_map_lookup_elem(&lsm_scratch, &zero);
        struct bw_lsm_rule *r = bpf_map_lookup_elem(&bw_lsm_rules, &key);
        if (!s || !r)
                return 1;
        __u32 len = r->len, flags = r->flags;
        bool read = cw->c.read && (flags & BW_LSM_RESTRICT_READ),
             write = cw->c.write && (flags & BW_LSM_RESTRICT_WRITE);
        if (len == 0 || len > BW_LSM_PATH_LEN || (!read && !write))
                return 0;
        __u32 off = cw->off & (PATH_MAX - 1), n = PATH_MAX - off; /* the caller checked off < PATH_MAX */
        const char *p = s->walk[cw->slot & 1];
        for (__u32 j = 0; j < BW_LSM_PATH_LEN; j++) {
                if (j >= len || j >= n)
                        break;
                if (p[off + j] != r->path[j])
                        return 0;
        }
        bool covered = n >= len ? !(flags & BW_LSM_EXACT) || n == len : r->path[n & (BW_LSM_PATH_LEN - 1)] == '/';
        if (!covered)
                return 0;
        __u32 bit = 1u << (key & 31);
        cw->c.read_covered |= read ? bit : 0;
        cw->c.write_covered |= write ? bit : 0;
        return 0;
}

/* The current task's executable and what the policy lets it do (nothing when it is not in the map). */
static __always_inline struct bw_lsm_allow task_allow(struct task_struct *task, struct bw_lsm_exe *exe) {
        struct bw_lsm_allow allow = {};
        struct file *exe_file = BPF_CORE_READ(task, mm, exe_file);
        if (exe_file) {
                exe->ino = BPF_CORE_READ(exe_file, f_inode, i_ino);
                exe->dev = BPF_CORE_READ(exe_file, f_inode, i_sb, s_dev);
                struct bw_lsm_allow *a = bpf_map_lookup_elem(&bw_lsm_allow, exe);
                if (a)
                        allow = *a;
        }
        return allow;
}

/* The first rule that refuses, as the monitor's rules name it: the read when it refuses both. */
static __always_inline __u32 first_refusing(__u32 read_refused, __u32 write_refused, bool *write) {
        __u32 rule = 0;
        for (__u32 i = 0; i < BW_LSM_RULES; i++)
                if ((read_refused | write_refused) & (1u << i)) {
                        rule = i;
                        break;
                }
        *write = !(read_refused & (1u << rule));
        return rule;
}

/*
 * Says what was refused (monitor-event.h, BW_EVF_LSM): a call as the monitor
 * records it, with the kernel's paths in the call's order (NULL: none, or one
 * too long to walk) and our verdict; WHICH is 1 when PATH2 was refused.
 */
static __always_inline void report(struct task_struct *task, __u32 nr, __u32 rule, bool write, __u32 which, __u64 flags,
                                   const struct bw_lsm_exe *exe, const char *path, bool truncated, const char *path2,
                                   bool truncated2) {
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
        e->str1[0] = 0;
        e->str2[0] = 0;
        e->nr = nr;
        e->arg[0] = rule;
        e->arg[1] = write;
        e->arg[2] = which;
        e->arg[5] = flags;
        e->exe_ino = exe->ino;
        e->exe_dev = exe->dev;
        bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), task->comm);
        if (path)
                bpf_probe_read_kernel_str(e->str1, sizeof(e->str1), path);
        if (path2)
                bpf_probe_read_kernel_str(e->str2, sizeof(e->str2), path2);
        if ((path && truncated) || (path2 && truncated2))
                e->flags |= BW_EVF_PATH_TRUNCATED;
        bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP); /* rare, and the reader should say it soon */
}

/* Whether the current task is the build's. */
static __always_inline bool in_build(void) {
        __u32 zero = 0;
        struct bw_config *cfg = bpf_map_lookup_elem(&bw_config, &zero);
        return cfg && cfg->cgroup_id && bpf_get_current_cgroup_id() == cfg->cgroup_id;
}

SEC("lsm/file_open")
int BPF_PROG(bw_file_open, struct file *file, int ret) {
        if (ret)
                return ret; /* refused already */
        if (!in_build())
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
        __u32 zero = 0;
        struct lsm_scratch *s = bpf_map_lookup_elem(&lsm_scratch, &zero);
        if (!s)
                return 0;
        /* the path as the build sees it: d_path() resolves from the task's root, the sandbox's */
        long len = bpf_d_path((struct path *) &file->f_path, s->path, sizeof(s->path));
        if (len < 0)
                return 0; /* longer than PATH_MAX: the monitor's walk still records it */
        bpf_loop(BW_LSM_RULES, check_rule, &c, 0);
        if (!c.read_covered && !c.write_covered)
                return 0;
        /* a protected path: which file does the task run, and what may it do? */
        struct task_struct *task = bpf_get_current_task_btf();
        struct bw_lsm_exe exe = {};
        struct bw_lsm_allow allow = task_allow(task, &exe);
        __u32 read_refused = c.read_covered & ~allow.read, write_refused = c.write_covered & ~allow.write;
        if (!read_refused && !write_refused)
                return 0;
        bool write;
        __u32 rule = first_refusing(read_refused, write_refused, &write);
        __sync_fetch_and_add(&refused, 1);
        /* Whichever call opened it (open, openat, openat2): an open, with its flags where opens keep them. */
        report(task, __NR_openat, rule, write, 0, flags, &exe, s->path, len > BW_PATH_LEN /* with its NUL */, NULL,
               false);
        return -EPERM;
}

/*
 * The path hooks: a call that changes the name D1 (on the mount VM1) and,
 * for a rename or link, D2. Each is a write for the policy; READ1 and READ2
 * say that the call also moves the content to a name the policy does not
 * cover (a rename away, a hard link), which reading it would need.
 */
static __always_inline int name_op(__u32 nr, struct vfsmount *vm1, struct dentry *d1, bool read1, struct vfsmount *vm2,
                                   struct dentry *d2, bool read2, __u64 flags) {
        if (!in_build())
                return 0;
        __u32 zero = 0;
        struct lsm_scratch *s = bpf_map_lookup_elem(&lsm_scratch, &zero);
        if (!s)
                return 0;
        struct task_struct *task = bpf_get_current_task_btf();
        struct check_walked cw[2] = {
                { .c = { .read = read1, .write = true }, .slot = 0 },
                { .c = { .read = read2, .write = true }, .slot = 1 },
        };
        cw[0].off = walk_path(task, vm1, d1, 0);
        if (cw[0].off < PATH_MAX)
                bpf_loop(BW_LSM_RULES, check_rule_walked, &cw[0], 0);
        cw[1].off = d2 ? walk_path(task, vm2, d2, 1) : PATH_MAX;
        if (cw[1].off < PATH_MAX)
                bpf_loop(BW_LSM_RULES, check_rule_walked, &cw[1], 0);
        if (!cw[0].c.read_covered && !cw[0].c.write_covered && !cw[1].c.read_covered && !cw[1].c.write_covered)
                return 0;
        /* a protected path: which file does the task run, and what may it do? */
        struct bw_lsm_exe exe = {};
        struct bw_lsm_allow allow = task_allow(task, &exe);
        __u32 off1 = cw[0].off & (PATH_MAX - 1), off2 = cw[1].off & (PATH_MAX - 1);
        const char *p1 = cw[0].off < PATH_MAX ? &s->walk[0][off1] : NULL;
        const char *p2 = cw[1].off < PATH_MAX ? &s->walk[1][off2] : NULL;
        for (__u32 k = 0; k < 2; k++) {
                __u32 read_refused = cw[k].c.read_covered & ~allow.read,
                      write_refused = cw[k].c.write_covered & ~allow.write;
                if (!read_refused && !write_refused)
                        continue;
                bool write;
                __u32 rule = first_refusing(read_refused, write_refused, &write);
                __sync_fetch_and_add(&refused, 1);
                report(task, nr, rule, write, k, flags, &exe, p1, PATH_MAX - off1 >= BW_PATH_LEN, p2,
                       PATH_MAX - off2 >= BW_PATH_LEN);
                return -EPERM;
        }
        return 0;
}

SEC("lsm/path_unlink")
int BPF_PROG(bw_path_unlink, const struct path *dir, struct dentry *dentry, int ret) {
        if (ret)
                return ret;
        return name_op(__NR_unlinkat, BPF_CORE_READ(dir, mnt), dentry, false, NULL, NULL, false, 0);
}

SEC("lsm/path_rmdir")
int BPF_PROG(bw_path_rmdir, const struct path *dir, struct dentry *dentry, int ret) {
        if (ret)
                return ret;
        return name_op(__NR_rmdir, BPF_CORE_READ(dir, mnt), dentry, false, NULL, NULL, false, 0);
}

/* RENAME_EXCHANGE moves both names' contents; otherwise what NEW named (if anything) is replaced. */
SEC("lsm/path_rename")
int BPF_PROG(bw_path_rename, const struct path *old_dir, struct dentry *old_dentry, const struct path *new_dir,
             struct dentry *new_dentry, unsigned int flags, int ret) {
        if (ret)
                return ret;
        return name_op(__NR_renameat2, BPF_CORE_READ(old_dir, mnt), old_dentry, true, BPF_CORE_READ(new_dir, mnt),
                       new_dentry, flags & RENAME_EXCHANGE, flags);
}

/* A hard link is a second name that no rule covers: reading or writing through it needs both. */
SEC("lsm/path_link")
int BPF_PROG(bw_path_link, struct dentry *old_dentry, const struct path *new_dir, struct dentry *new_dentry, int ret) {
        if (ret)
                return ret;
        /* linkat() refuses two mounts (EXDEV) before this hook: the old name is on NEW_DIR's mount */
        struct vfsmount *vm = BPF_CORE_READ(new_dir, mnt);
        return name_op(__NR_linkat, vm, old_dentry, true, vm, new_dentry, false, 0);
}

/* truncate(2) and ftruncate(2); an open with O_TRUNC was decided at file_open already. */
SEC("lsm/path_truncate")
int BPF_PROG(bw_path_truncate, const struct path *path, int ret) {
        if (ret)
                return ret;
        return name_op(__NR_truncate, BPF_CORE_READ(path, mnt), BPF_CORE_READ(path, dentry), false, NULL, NULL, false,
                       0);
}
