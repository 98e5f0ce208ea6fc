/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Path policies refused in the kernel (docs/integrity.md, "Path policies"):
 * BPF-LSM programs, for the build's cgroup only. An open of a protected path
 * by an executable the policy does not allow fails with EPERM before the file
 * is opened, and so do the calls that change a protected path without opening
 * it: unlink, rmdir, rename, link and truncate, and the calls that make a new
 * name under a protected directory: a file created by open(O_CREAT) or mknod,
 * mkdir, symlink. Each refusal is an event in
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
 * A path walk (walk_step()) in progress: kernel addresses as numbers, read
 * with bpf_probe_read_kernel() only.
 */
struct walk {
        __u64 d, vm, mnt, root_d, root_vm;
        __u32 off;  /* the path starts at walk[slot][off] */
        __u32 done; /* it reached the root: the whole path is there */
};

/* Which rules cover a walked path (check_rule_walked()). */
struct covered {
        __u32 read, write;                 /* the accesses the call makes */
        __u32 above;                       /* a directory above what a rule protects counts too */
        __u32 read_covered, write_covered; /* bit i: rule i covers the path and restricts this access */
};

/*
 * Per CPU, off the 512-byte stack. path: bpf_d_path() writes the whole path
 * or fails, so PATH_MAX of room. walk: the two paths of a rename or link,
 * each built backwards from its dentry and ending at PATH_MAX; a component
 * (NAME_MAX) more lets the verifier see every masked write, and every 8-byte
 * read of rule_covers(), in bounds. w and cov: the loops' state, here rather
 * than in the callbacks' context on the stack, where the verifier would follow
 * every way a callback can end into the rest of the program (a two-path rename
 * took twice as long to verify).
 */
struct lsm_scratch {
        char path[PATH_MAX];
        __u32 path_len; /* of path, without its NUL */
        char walk[2][PATH_MAX + NAME_MAX + 1];
        struct walk w[2];
        struct covered cov[2];
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

/*
 * Whether rule R covers the path P of length N (P need not end in NUL): P is
 * the rule's file, or lies below its DIR/; with ABOVE, also when P is a
 * directory above what the rule protects ("DIR" itself for DIR/), which
 * removing or renaming moves the protected path with it. Compares 8 bytes a
 * step (little-endian: a word's first bytes are its low ones), 16 steps for
 * the verifier to follow rather than 128.
 */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "rule_covers() masks the low bytes");
_Static_assert(BW_LSM_PATH_LEN % 8 == 0, "rule_covers() reads whole words");
static __always_inline bool rule_covers(const char *p, __u32 n, const struct bw_lsm_rule *r, bool above) {
        __u32 len = r->len, flags = r->flags;
        __u32 m = n < len ? n : len; /* the bytes both have */
        for (__u32 at = 0; at < BW_LSM_PATH_LEN; at += 8) {
                if (at >= m)
                        break;
                __u64 diff = *(const __u64 *) (p + at) ^ *(const __u64 *) (r->path + at);
                if (m - at < 8)
                        diff &= (1ull << ((m - at) * 8)) - 1;
                if (diff)
                        return false;
        }
        if (n >= len)
                return !(flags & BW_LSM_EXACT) || n == len;
        return above && r->path[n & (BW_LSM_PATH_LEN - 1)] == '/';
}

/* Rule KEY covers the path: mark the accesses of COV it restricts. */
static __always_inline void mark_covered(struct covered *cov, __u32 key, __u32 flags) {
        __u32 bit = 1u << (key & 31);
        cov->read_covered |= cov->read && (flags & BW_LSM_RESTRICT_READ) ? bit : 0;
        cov->write_covered |= cov->write && (flags & BW_LSM_RESTRICT_WRITE) ? bit : 0;
}

/* bpf_loop() callback for file_open: does rule I cover the path bpf_d_path() left in scratch.path? */
static long check_rule(__u64 i, void *ctx) {
        __u32 key = (__u32) i, zero = 0;
        /* looked up here, not passed in ctx: the verifier checks a callback on its own */
        struct lsm_scratch *s = bpf_map_lookup_elem(&lsm_scratch, &zero);
        struct bw_lsm_rule *r = bpf_map_lookup_elem(&bw_lsm_rules, &key);
        if (!s || !r)
                return 1;
        if (r->len == 0 || r->len > BW_LSM_PATH_LEN || !rule_covers(s->path, s->path_len & (PATH_MAX - 1), r, false))
                return 0;
        mark_covered(&s->cov[0], key, r->flags);
        return 0;
}

/*
 * A dentry's path as the build sees it, what d_path() gives: component by
 * component up the dentries, crossing from a mount's root to where it is
 * mounted, until the task's root. Written backwards into scratch.walk[slot],
 * ending at PATH_MAX; a bpf_loop() callback, so the verifier checks one step.
 * CTX points to the slot.
 */
static long walk_step(__u64 i, void *ctx) {
        __u32 slot = *(__u32 *) ctx & 1, zero = 0;
        struct lsm_scratch *s = bpf_map_lookup_elem(&lsm_scratch, &zero);
        if (!s)
                return 1;
        struct walk *w = &s->w[slot];
        struct dentry *d = (struct dentry *) w->d;
        struct vfsmount *vm = (struct vfsmount *) w->vm;
        struct mount *mnt = (struct mount *) w->mnt;
        if (w->d == w->root_d && w->vm == w->root_vm) {
                w->done = 1;
                return 1;
        }
        if (d == BPF_CORE_READ(vm, mnt_root)) {
                struct mount *parent = BPF_CORE_READ(mnt, mnt_parent);
                if (parent == mnt) {
                        w->done = 1; /* the namespace's first mount: d_path() ends there too */
                        return 1;
                }
                w->d = (__u64) BPF_CORE_READ(mnt, mnt_mountpoint);
                w->mnt = (__u64) parent;
                w->vm = (__u64) parent + bpf_core_field_offset(struct mount, mnt);
                return 0;
        }
        struct dentry *up = BPF_CORE_READ(d, d_parent);
        if (up == d)
                return 1; /* a root that no mount leads to: no path the policy names */
        struct qstr name = BPF_CORE_READ(d, d_name);
        __u32 left = w->off;
        if (name.len > NAME_MAX || name.len + 1 > left)
                return 1; /* longer than PATH_MAX: not decided, like bpf_d_path() failing */
        __u32 off = (left - name.len - 1) & (PATH_MAX - 1);
        char *p = s->walk[slot];
        p[off] = '/';
        bpf_probe_read_kernel(&p[off + 1], name.len & NAME_MAX, name.name);
        w->off = off;
        w->d = (__u64) up;
        return 0;
}

/* Walks D on the mount VM into scratch.walk[SLOT]; returns where its path starts, or PATH_MAX if unknown. */
static __always_inline __u32 walk_path(struct lsm_scratch *s, struct task_struct *task, struct vfsmount *vm,
                                       struct dentry *d, __u32 slot) {
        slot &= 1;
        if (!vm || !d)
                return PATH_MAX;
        struct walk *w = &s->w[slot];
        w->d = (__u64) d;
        w->vm = (__u64) vm;
        w->mnt = (__u64) vm - bpf_core_field_offset(struct mount, mnt);
        w->root_d = (__u64) BPF_CORE_READ(task, fs, root.dentry);
        w->root_vm = (__u64) BPF_CORE_READ(task, fs, root.mnt);
        w->off = PATH_MAX;
        w->done = 0;
        s->walk[slot][PATH_MAX] = 0;
        /* every step but a mount crossing adds at least "/x": PATH_MAX / 2 components, and mounts */
        bpf_loop(PATH_MAX / 2 + 64, walk_step, &slot, 0);
        return w->done ? w->off : PATH_MAX;
}

/*
 * bpf_loop() callback for the path hooks, over both paths' rules at once
 * (path I / BW_LSM_RULES, rule I % BW_LSM_RULES): does the rule cover the
 * walked path, or a directory above what it protects?
 */
static long check_rule_walked(__u64 i, void *ctx) {
        __u32 slot = (i / BW_LSM_RULES) & 1, key = (__u32) i % BW_LSM_RULES, zero = 0;
        struct lsm_scratch *s = bpf_map_lookup_elem(&lsm_scratch, &zero);
        struct bw_lsm_rule *r = bpf_map_lookup_elem(&bw_lsm_rules, &key);
        if (!s || !r)
                return 1;
        __u32 start = s->w[slot].off, off = start & (PATH_MAX - 1);
        if (start >= PATH_MAX || r->len == 0 || r->len > BW_LSM_PATH_LEN ||
            !rule_covers(&s->walk[slot][off], PATH_MAX - off, r, s->cov[slot].above))
                return 0;
        mark_covered(&s->cov[slot], key, r->flags);
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

/*
 * The first rule that refuses (one bit at least is set), as the monitor's
 * rules name it: the read when it refuses both. The index of the lowest set
 * bit is counted with arithmetic (the bits below it, added in pairs, nibbles,
 * bytes), not a loop: a loop would give the verifier one state per rule to
 * follow into report(). clang for BPF cannot compile __builtin_ctz().
 */
_Static_assert(BW_LSM_RULES <= 16, "first_refusing() counts 16 bits");
static __always_inline __u32 first_refusing(__u32 read_refused, __u32 write_refused, bool *write) {
        __u32 x = (read_refused | write_refused) & 0xffff;
        __u32 v = (x & -x) - 1;
        v = v - ((v >> 1) & 0x5555);
        v = (v & 0x3333) + ((v >> 2) & 0x3333);
        v = (v + (v >> 4)) & 0x0f0f;
        __u32 rule = (v + (v >> 8)) & (BW_LSM_RULES - 1);
        *write = !((read_refused >> rule) & 1);
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
        __u32 zero = 0;
        struct lsm_scratch *s = bpf_map_lookup_elem(&lsm_scratch, &zero);
        if (!s)
                return 0;
        s->cov[0] = (struct covered){
                .read = mode & FMODE_READ,
                .write = (mode & FMODE_WRITE) || (flags & (O_CREAT | O_TRUNC | O_APPEND)),
        };
        if (!s->cov[0].read && !s->cov[0].write)
                return 0;
        /* the path as the build sees it: d_path() resolves from the task's root, the sandbox's */
        long len = bpf_d_path((struct path *) &file->f_path, s->path, sizeof(s->path));
        if (len <= 0)
                return 0;      /* longer than PATH_MAX: the monitor's walk still records it */
        s->path_len = len - 1; /* d_path()'s length counts the NUL */
        bpf_loop(BW_LSM_RULES, check_rule, NULL, 0);
        struct covered c = s->cov[0];
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
 * cover (a rename away, a hard link), which reading it would need. ABOVE:
 * a directory above what a rule protects counts as the protected path (the
 * call would move it, or redirect the names below it). PATHS says which of
 * the two the call has (1, 2, or both: 3), a constant of each hook: the
 * verifier then follows no branch for an absent one (a one-path hook was 8
 * times the work when it could not tell). A call with its new name only
 * (symlink) has no D1: STR1 is what the event says in its place.
 */
static __always_inline int name_op(__u32 nr, __u32 paths, struct vfsmount *vm1, struct dentry *d1, bool read1,
                                   struct vfsmount *vm2, struct dentry *d2, bool read2, bool above, __u64 flags,
                                   const char *str1) {
        if (!in_build())
                return 0;
        __u32 zero = 0;
        struct lsm_scratch *s = bpf_map_lookup_elem(&lsm_scratch, &zero);
        if (!s)
                return 0;
        struct task_struct *task = bpf_get_current_task_btf();
        bool first = paths & 1, second = paths & 2;
        __u32 off1 = first ? walk_path(s, task, vm1, d1, 0) : PATH_MAX;
        __u32 off2 = second ? walk_path(s, task, vm2, d2, 1) : PATH_MAX;
        s->w[0].off = off1; /* PATH_MAX: no such path */
        s->w[1].off = off2;
        s->cov[0] = (struct covered){ .read = read1, .write = 1, .above = above };
        s->cov[1] = (struct covered){ .read = read2, .write = 1, .above = above };
        if (off1 >= PATH_MAX && off2 >= PATH_MAX)
                return 0;
        bpf_loop(2 * BW_LSM_RULES, check_rule_walked, NULL, 0);
        struct covered none = {}, c1 = first ? s->cov[0] : none, c2 = second ? s->cov[1] : none;
        if (!c1.read_covered && !c1.write_covered && !c2.read_covered && !c2.write_covered)
                return 0;
        /* a protected path: which file does the task run, and what may it do? */
        struct bw_lsm_exe exe = {};
        struct bw_lsm_allow allow = task_allow(task, &exe);
        __u32 rr1 = c1.read_covered & ~allow.read, wr1 = c1.write_covered & ~allow.write;
        __u32 rr2 = c2.read_covered & ~allow.read, wr2 = c2.write_covered & ~allow.write;
        /* the first path of the call that a rule refuses: WHICH says it to user space */
        __u32 which = !(rr1 | wr1);
        __u32 rr = which ? rr2 : rr1, wr = which ? wr2 : wr1;
        if (!rr && !wr)
                return 0;
        bool write;
        __u32 rule = first_refusing(rr, wr, &write);
        __sync_fetch_and_add(&refused, 1);
        off1 &= PATH_MAX - 1;
        off2 &= PATH_MAX - 1;
        report(task, nr, rule, write, which, flags, &exe, first && s->w[0].off < PATH_MAX ? &s->walk[0][off1] : str1,
               first && PATH_MAX - off1 >= BW_PATH_LEN, second && s->w[1].off < PATH_MAX ? &s->walk[1][off2] : NULL,
               second && PATH_MAX - off2 >= BW_PATH_LEN);
        return -EPERM;
}

SEC("lsm/path_unlink")
int BPF_PROG(bw_path_unlink, const struct path *dir, struct dentry *dentry, int ret) {
        if (ret)
                return ret;
        return name_op(__NR_unlinkat, 1, BPF_CORE_READ(dir, mnt), dentry, false, NULL, NULL, false, true, 0, NULL);
}

SEC("lsm/path_rmdir")
int BPF_PROG(bw_path_rmdir, const struct path *dir, struct dentry *dentry, int ret) {
        if (ret)
                return ret;
        return name_op(__NR_rmdir, 1, BPF_CORE_READ(dir, mnt), dentry, false, NULL, NULL, false, true, 0, NULL);
}

/* RENAME_EXCHANGE moves both names' contents; otherwise what NEW named (if anything) is replaced. */
SEC("lsm/path_rename")
int BPF_PROG(bw_path_rename, const struct path *old_dir, struct dentry *old_dentry, const struct path *new_dir,
             struct dentry *new_dentry, unsigned int flags, int ret) {
        if (ret)
                return ret;
        return name_op(__NR_renameat2, 3, BPF_CORE_READ(old_dir, mnt), old_dentry, true, BPF_CORE_READ(new_dir, mnt),
                       new_dentry, flags & RENAME_EXCHANGE, true, flags, NULL);
}

/* A hard link is a second name that no rule covers: reading or writing through it needs both. */
SEC("lsm/path_link")
int BPF_PROG(bw_path_link, struct dentry *old_dentry, const struct path *new_dir, struct dentry *new_dentry, int ret) {
        if (ret)
                return ret;
        /* linkat() refuses two mounts (EXDEV) before this hook: the old name is on NEW_DIR's mount */
        struct vfsmount *vm = BPF_CORE_READ(new_dir, mnt);
        return name_op(__NR_linkat, 3, vm, old_dentry, true, vm, new_dentry, false, true, 0, NULL);
}

/* truncate(2) and ftruncate(2); an open with O_TRUNC was decided at file_open already. */
SEC("lsm/path_truncate")
int BPF_PROG(bw_path_truncate, const struct path *path, int ret) {
        if (ret)
                return ret;
        return name_op(__NR_truncate, 1, BPF_CORE_READ(path, mnt), BPF_CORE_READ(path, dentry), false, NULL, NULL,
                       false, true, 0, NULL);
}

/*
 * New names: a write of the name made, refused when a rule covers it (a name
 * under a protected DIR/, or the protected file itself). Only new names reach
 * these hooks: the kernel fails an existing one with EEXIST first. A directory
 * above what a rule protects does not count here: creating "DIR" itself, or a
 * parent of a protected file, changes nothing that is protected (mkdir -p of
 * the tree a sealed tool then writes into goes on), and the names below it are
 * decided when they are made.
 *
 * path_mknod is also the check of open(O_CREAT): lookup_open() calls it
 * (may_o_create()) before it makes the file, so the refused open leaves no
 * empty file behind. It calls it, too, for a name not yet in the dcache that
 * turns out to exist; the kernel then drops the refusal and opens the file,
 * and file_open decides the same write for the same path (O_CREAT is a write
 * there): refused twice, one finding.
 */
SEC("lsm/path_mknod")
int BPF_PROG(bw_path_mknod, const struct path *dir, struct dentry *dentry, umode_t mode, unsigned int dev, int ret) {
        if (ret)
                return ret;
        return name_op(__NR_mknodat, 1, BPF_CORE_READ(dir, mnt), dentry, false, NULL, NULL, false, false, mode, NULL);
}

SEC("lsm/path_mkdir")
int BPF_PROG(bw_path_mkdir, const struct path *dir, struct dentry *dentry, umode_t mode, int ret) {
        if (ret)
                return ret;
        return name_op(__NR_mkdirat, 1, BPF_CORE_READ(dir, mnt), dentry, false, NULL, NULL, false, false, mode, NULL);
}

/*
 * A symbolic link is a new name like the others, the second of the call
 * (symlinkat(TARGET, DIRFD, NAME)), with the target as the event's first
 * string. It also redirects the names below it: made at a directory above
 * what a rule protects (one that does not exist yet), it would send the
 * protected names, and what an allowed tool writes there, elsewhere, so that
 * counts, as for a hard link's new name. A link to a protected file is not
 * refused: opening through it is, at file_open.
 */
SEC("lsm/path_symlink")
int BPF_PROG(bw_path_symlink, const struct path *dir, struct dentry *dentry, const char *old_name, int ret) {
        if (ret)
                return ret;
        return name_op(__NR_symlinkat, 2, NULL, NULL, false, BPF_CORE_READ(dir, mnt), dentry, false, true, 0, old_name);
}
