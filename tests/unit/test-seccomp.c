/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "sandbox/internal.h"
#include "tap.h"

TEST(builtin_matches_a_fresh_compile) {
        /* The embedded BPF must be what libseccomp makes of seccomp.c today. */
        struct seccomp_programs fresh = {}, builtin;
        ASSERT_EQ_INT(seccomp_prepare(&fresh), 0);
        seccomp_builtin(&builtin);
        ASSERT_EQ_INT(builtin.n, fresh.n);
        for (size_t i = 0; i < fresh.n && i < builtin.n; i++) {
                ASSERT_EQ_INT(builtin.prog[i].len, fresh.prog[i].len);
                if (builtin.prog[i].len == fresh.prog[i].len)
                        ASSERT_TRUE(memcmp(builtin.prog[i].filter, fresh.prog[i].filter,
                                           sizeof(struct sock_filter) * fresh.prog[i].len) == 0);
        }
        seccomp_programs_done(&fresh);
}

/* Runs FN in a child under the builtin filters; returns its exit code. */
static int in_filtered_child(int (*fn)(void)) {
        pid_t p = fork();
        if (p == 0) {
                struct seccomp_programs s;
                seccomp_builtin(&s);
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_apply(&s) < 0)
                        _exit(100);
                _exit(fn());
        }
        int st;
        waitpid(p, &st, 0);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 200;
}

/* Each returns 0 when the call failed exactly as the filter says. */
static int refused_unshare(void) {
        return unshare(CLONE_NEWUSER) < 0 && errno == EPERM ? 0 : 1;
}
static int refused_tiocsti_high_bits(void) {
        char c = 'x';
        return syscall(SYS_ioctl, 0, (unsigned long) TIOCSTI | (1UL << 32), &c) < 0 && errno == EPERM ? 0 : 1;
}
static int refused_setuid_bit(void) {
        return chmod("/nonexistent-bw", 04755) < 0 && errno == EPERM ? 0 : 1; /* ENOENT without the filter */
}
static int refused_xattr(void) {
        return setxattr("/nonexistent-bw", "user.x", "1", 1, 0) < 0 && errno == ENOTSUP ? 0 : 1;
}
static int refused_bpf(void) {
        return syscall(SYS_bpf, 5, NULL, 0) < 0 && errno == EPERM ? 0 : 1; /* EFAULT without the filter */
}
static int allowed_ordinary(void) {
        return getpid() > 0 && chmod("/nonexistent-bw", 0755) < 0 && errno == ENOENT ? 0 : 1;
}

TEST(builtin_filter_refuses_and_allows) {
        ASSERT_EQ_INT(in_filtered_child(refused_unshare), 0);
        ASSERT_EQ_INT(in_filtered_child(refused_tiocsti_high_bits), 0);
        ASSERT_EQ_INT(in_filtered_child(refused_setuid_bit), 0);
        ASSERT_EQ_INT(in_filtered_child(refused_xattr), 0);
        ASSERT_EQ_INT(in_filtered_child(refused_bpf), 0);
        ASSERT_EQ_INT(in_filtered_child(allowed_ordinary), 0);
}
