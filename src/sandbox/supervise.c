/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The parent while the build runs: waits for CMD's end, a signal or the deadline. */
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>

#include "basic/log.h"
#include "sandbox/internal.h"

static char *setup_failure_message(const struct init_msg *m) {
        int err = -m->value;
        const char *fix = "run `buildward doctor` to see which kernel feature is missing";
        if (err == EPERM || err == EACCES)
                fix = "the host's security policy (seccomp, AppArmor, SELinux) refuses it; run `buildward doctor`";
        return xasprintf("cannot set up the sandbox: %s failed (%s); %s", m->step, strerror(err), fix);
}

void kill_build(pid_t init, const struct sandbox_state *state) {
        (void) kill(init, SIGKILL);
        /* v1 freezer: a frozen task handles SIGKILL only once thawed. */
        (void) cgroup_freeze(&state->cg, false);
}

/* What init's status message and pid 2's exec report say about CMD's end. */
static int command_ended(int status_fd, int exec_fd, struct sandbox_result *res, char ***warnings, char **ret_failure) {
        struct init_msg m;
        if (loop_read_exact(status_fd, &m, sizeof(m)) < 0) {
                /* init died without a word: killed from outside (OOM killer, admin). */
                res->end = SANDBOX_END_EXITED;
                res->status = SIGKILL;
                return 0;
        }
        if (m.kind == 2) {
                *ret_failure = setup_failure_message(&m);
                return m.value;
        }
        res->end = SANDBOX_END_EXITED;
        res->status = m.value;
        struct exec_failure f;
        if (read(exec_fd, &f, sizeof(f)) == (ssize_t) sizeof(f)) {
                res->end = SANDBOX_END_EXEC_FAILED;
                res->exec_errno = f.err;
                if (!streq(f.step, "execute"))
                        strv_push(warnings,
                                  xasprintf("the sandbox could not %s for the command: %s", f.step, strerror(f.err)));
        }
        return 0;
}

int supervise_build(int status_fd, int exec_fd, int sfd, uint64_t timeout_usec, struct sandbox_result *res,
                    char ***warnings, char **ret_failure) {
        uint64_t deadline = timeout_usec ? now_usec(CLOCK_MONOTONIC) + timeout_usec : 0;
        for (;;) {
                struct pollfd p[2] = { { .fd = status_fd, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
                int timeout = -1;
                if (deadline) {
                        uint64_t now = now_usec(CLOCK_MONOTONIC);
                        timeout = now >= deadline ? 0 : (int) ((deadline - now + 999) / 1000);
                }
                int k = poll(p, 2, timeout);
                if (k < 0 && errno != EINTR)
                        return -errno;
                if (k == 0) {
                        res->end = SANDBOX_END_TIMEOUT;
                        return 0;
                }
                if (p[1].revents & POLLIN) {
                        bool interrupted = false;
                        struct signalfd_siginfo si;
                        while (read(sfd, &si, sizeof(si)) == sizeof(si))
                                if (si.ssi_signo != SIGCHLD) {
                                        res->end = SANDBOX_END_INTERRUPTED;
                                        res->signal = (int) si.ssi_signo;
                                        interrupted = true;
                                }
                        if (interrupted)
                                return 0;
                }
                if (p[0].revents & (POLLIN | POLLHUP))
                        return command_ended(status_fd, exec_fd, res, warnings, ret_failure);
        }
}
