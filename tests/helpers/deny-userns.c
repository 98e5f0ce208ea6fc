/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * deny-userns CMD [ARGS...]: runs CMD where user namespaces cannot be created,
 * the way Docker's default seccomp profile leaves a container.
 *
 * It sets no_new_privs (needed to load a filter without CAP_SYS_ADMIN),
 * installs a seccomp filter and execs CMD. The filter answers EPERM to
 *   - unshare() with CLONE_NEWUSER in its flags,
 *   - clone() with CLONE_NEWUSER in its flags,
 * and ENOSYS to every clone3(): seccomp cannot read clone3's flags (they sit in
 * a struct in memory), so Docker's profile refuses the call as a whole with
 * ENOSYS, and libc falls back to clone(), whose flags the filter does read.
 * Everything else is allowed. The native, i386 and x32 entry points are
 * covered, so the restriction cannot be sidestepped through a compat ABI.
 *
 * Used by tests/integration/t-unprivileged.sh to check buildward's diagnostic
 * for hosts that block user namespaces. Exit 99 (and one line on stderr) when
 * the filter cannot be installed or CMD cannot be executed: a code buildward
 * itself never uses, so a test cannot mistake the helper's failure for
 * buildward's.
 */
#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define HELPER_FAILED 99

static int add_rules(scmp_filter_ctx ctx) {
        int r;
        r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 1,
                             SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER));
        if (r < 0)
                return r;
        /* clone's flags are its first argument on x86-64, i386 and x32 alike. */
        r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                             SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER));
        if (r < 0)
                return r;
        return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
}

int main(int argc, char **argv) {
        if (argc < 2) {
                fprintf(stderr, "usage: deny-userns CMD [ARGS...]\n");
                return HELPER_FAILED;
        }
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
                fprintf(stderr, "deny-userns: PR_SET_NO_NEW_PRIVS: %s\n", strerror(errno));
                return HELPER_FAILED;
        }
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx) {
                fprintf(stderr, "deny-userns: seccomp_init failed\n");
                return HELPER_FAILED;
        }
        int r = 0;
        if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
                r = seccomp_arch_add(ctx, SCMP_ARCH_X86);
                if (r == 0 || r == -EEXIST)
                        r = seccomp_arch_add(ctx, SCMP_ARCH_X32);
                if (r == -EEXIST)
                        r = 0;
        }
        if (r == 0)
                r = add_rules(ctx);
        if (r == 0)
                r = seccomp_load(ctx);
        seccomp_release(ctx);
        if (r < 0) {
                fprintf(stderr, "deny-userns: cannot install the seccomp filter: %s\n", strerror(-r));
                return HELPER_FAILED;
        }
        execvp(argv[1], argv + 1);
        fprintf(stderr, "deny-userns: cannot execute '%s': %s\n", argv[1], strerror(errno));
        return HELPER_FAILED;
}
