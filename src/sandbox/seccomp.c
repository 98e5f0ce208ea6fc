/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The build's syscall filter: allow by default, refuse the calls that talk to the
 * kernel as an administrator or widen the sandbox. Every refusal is EPERM except
 * xattr writes (ENOTSUP, which cp -a and tar treat as "filesystem without xattrs")
 * and clone3 (ENOSYS, so libc falls back to clone(), whose flags we can inspect).
 */
#include <linux/sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "basic/log.h"
#include "sandbox/internal.h"

static const char *const refused[] = {
        /* kernel modules, kexec, kernel state */
        "init_module",
        "finit_module",
        "delete_module",
        "create_module",
        "kexec_load",
        "kexec_file_load",
        "reboot",
        "swapon",
        "swapoff",
        "acct",
        "syslog",
        "quotactl",
        "quotactl_fd",
        "lookup_dcookie",
        "nfsservctl",
        "uselib",
        "vhangup",
        "iopl",
        "ioperm",
        "settimeofday",
        "clock_settime",
        "clock_adjtime",
        "adjtimex",
        "stime",
        /* observability and key APIs that reach the whole host */
        "bpf",
        "perf_event_open",
        "fanotify_init",
        "keyctl",
        "add_key",
        "request_key",
        /* mounts and namespaces */
        "mount",
        "umount",
        "umount2",
        "pivot_root",
        "chroot",
        "move_mount",
        "open_tree",
        "fsopen",
        "fsconfig",
        "fsmount",
        "fspick",
        "mount_setattr",
        "setns",
        "unshare",
        "open_tree_attr",
        /* classic exploit primitives */
        "userfaultfd",
        "open_by_handle_at",
        "name_to_handle_at",
        "io_uring_setup",
        "io_uring_enter",
        "io_uring_register",
        "kcmp",
        "process_madvise",
};

static int add_rule(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned n,
                    const struct scmp_arg_cmp *args) {
        int nr = seccomp_syscall_resolve_name(name);
        if (nr == __NR_SCMP_ERROR)
                return 0; /* not on this architecture or unknown to this libseccomp */
        int r = seccomp_rule_add_array(ctx, action, nr, n, args);
        if (r < 0)
                log_debug("seccomp rule for %s: %s", name, strerror(-r));
        return r == -EOPNOTSUPP ? 0 : r;
}

/*
 * Calls newer than the libseccomp we build against have no name there. Since
 * Linux 5.1 new syscalls share one number on every architecture, so a second,
 * native-only filter refuses them by number.
 */
static int build_late_filter(scmp_filter_ctx *ret) {
        static const struct {
                int nr;
                int err;
        } late[] = {
                { 463, ENOTSUP }, /* setxattrat */
                { 467, EPERM },   /* open_tree_attr */
                { 469, EPERM },   /* file_setattr */
        };
        *ret = NULL;
        if (seccomp_arch_native() != SCMP_ARCH_X86_64)
                return 0;
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx)
                return -ENOMEM;
        int r = 0;
        bool any = false;
        for (size_t i = 0; i < ELEMENTSOF(late) && r >= 0; i++) {
                char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, late[i].nr);
                if (!name) { /* unknown to libseccomp: add it by number */
                        r = seccomp_rule_add_exact(ctx, SCMP_ACT_ERRNO(late[i].err), late[i].nr, 0);
                        any = true;
                }
                free(name);
        }
        if (r < 0 || !any) {
                seccomp_release(ctx);
                return r;
        }
        *ret = ctx;
        return 0;
}

static int build_main_filter(scmp_filter_ctx *ret) {
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        int r;
        *ret = NULL;
        if (!ctx)
                return -ENOMEM;
        /* A binary tree: every syscall of the build pays for the filter's depth. */
        (void) seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
        /*
         * Also filter the 32-bit and x32 entry points: otherwise "int 0x80" reaches
         * the refused calls under their i386 numbers.
         */
        if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
                (void) seccomp_arch_add(ctx, SCMP_ARCH_X86);
                (void) seccomp_arch_add(ctx, SCMP_ARCH_X32);
        }
        /* The filter must not be dropped by no_new_privs games; we set NNP ourselves. */
        (void) seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);

        for (size_t i = 0; i < ELEMENTSOF(refused); i++)
                if ((r = add_rule(ctx, SCMP_ACT_ERRNO(EPERM), refused[i], 0, NULL)) < 0)
                        goto out;

        /* clone: no new namespaces. clone3 hides its flags in memory: make libc fall back. */
        const uint64_t ns_flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
                                  CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWTIME;
        for (unsigned bit = 0; bit < 64; bit++) {
                uint64_t f = 1ULL << bit;
                if (!(ns_flags & f))
                        continue;
                struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_MASKED_EQ, f, f);
                if ((r = add_rule(ctx, SCMP_ACT_ERRNO(EPERM), "clone", 1, &c)) < 0)
                        goto out;
        }
        if ((r = add_rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL)) < 0)
                goto out;

        /*
         * Terminal injection. The kernel compares the ioctl number as 32 bits, so
         * compare only those: TIOCSTI | 1<<32 must not slip through (CVE-2019-10063).
         */
        const unsigned long ttys[] = { TIOCSTI, TIOCLINUX };
        for (size_t i = 0; i < ELEMENTSOF(ttys); i++) {
                struct scmp_arg_cmp c = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xFFFFFFFFu, ttys[i]);
                if ((r = add_rule(ctx, SCMP_ACT_ERRNO(EPERM), "ioctl", 1, &c)) < 0)
                        goto out;
        }

        /* No setuid/setgid files: a later escape would turn them into privilege. */
        const struct {
                const char *name;
                unsigned arg;
        } chmods[] = { { "chmod", 1 }, { "fchmod", 1 }, { "fchmodat", 2 }, { "fchmodat2", 2 } };
        const uint64_t suid_bits[] = { S_ISUID, S_ISGID };
        for (size_t i = 0; i < ELEMENTSOF(chmods); i++)
                for (size_t j = 0; j < ELEMENTSOF(suid_bits); j++) {
                        struct scmp_arg_cmp c = { .arg = chmods[i].arg,
                                                  .op = SCMP_CMP_MASKED_EQ,
                                                  .datum_a = suid_bits[j],
                                                  .datum_b = suid_bits[j] };
                        if ((r = add_rule(ctx, SCMP_ACT_ERRNO(EPERM), chmods[i].name, 1, &c)) < 0)
                                goto out;
                }

        /* Extended attributes carry file capabilities and security labels. */
        const char *const xattrs[] = { "setxattr", "lsetxattr", "fsetxattr", "setxattrat" };
        for (size_t i = 0; i < ELEMENTSOF(xattrs); i++)
                if ((r = add_rule(ctx, SCMP_ACT_ERRNO(ENOTSUP), xattrs[i], 0, NULL)) < 0)
                        goto out;

        *ret = ctx;
        return 0;
out:
        seccomp_release(ctx);
        return r;
}

/* Renders CTX as classic BPF into PROG (libseccomp 2.5 exports only to an fd). */
static int export_bpf(scmp_filter_ctx ctx, struct sock_fprog *prog) {
        _cleanup_close_ int fd = memfd_create("buildward-seccomp", MFD_CLOEXEC);
        if (fd < 0)
                return -errno;
        int r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return r;
        off_t size = lseek(fd, 0, SEEK_END);
        if (size <= 0 || size % (off_t) sizeof(struct sock_filter) ||
            size > (off_t) (BPF_MAXINSNS * sizeof(struct sock_filter)))
                return -EINVAL;
        struct sock_filter *insns = xmalloc((size_t) size);
        if (pread(fd, insns, (size_t) size, 0) != size) {
                free(insns);
                return -EIO;
        }
        prog->filter = insns;
        prog->len = (unsigned short) (size / (off_t) sizeof(struct sock_filter));
        return 0;
}

int seccomp_prepare(struct seccomp_programs *p) {
        scmp_filter_ctx ctx[2] = {};
        p->owned = true;
        int r = build_main_filter(&ctx[0]);
        if (r >= 0)
                r = build_late_filter(&ctx[1]);
        for (size_t i = 0; i < 2 && r >= 0; i++)
                if (ctx[i])
                        r = export_bpf(ctx[i], &p->prog[p->n++]);
        for (size_t i = 0; i < 2; i++)
                if (ctx[i])
                        seccomp_release(ctx[i]);
        return r;
}

int seccomp_apply(const struct seccomp_programs *p) {
        for (size_t i = 0; i < p->n; i++)
                if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &p->prog[i]) < 0)
                        return -errno;
        return 0;
}

void seccomp_programs_done(struct seccomp_programs *p) {
        for (size_t i = 0; i < p->n && p->owned; i++)
                free(p->prog[i].filter);
        p->n = 0;
}
