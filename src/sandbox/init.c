/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The build's side of the process tree (see sandbox.c for the layout): init,
 * pid 1, which finishes the mounts and then only reaps; and CMD, pid 2, which
 * drops every privilege before execve.
 */
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "basic/log.h"
#include "sandbox/internal.h"

static void send_msg(int fd, int kind, int value, const char *step) {
        struct init_msg m = { .kind = kind, .value = value };
        if (step)
                snprintf(m.step, sizeof(m.step), "%s", step);
        (void) loop_write(fd, &m, sizeof(m));
}

static int drop_capabilities(void) {
        for (int c = 0; c <= CAP_LAST_CAP; c++)
                if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
                        return -errno;
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return -errno;
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2] = {};
        if (syscall(SYS_capset, &h, d) < 0)
                return -errno;
        return 0;
}

int loopback_up(void) {
        _cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (s < 0)
                return -errno;
        struct ifreq ifr = {};
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
        if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
                return -errno;
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
                return -errno;
        return 0;
}

/*
 * pid 2: becomes CMD. Runs on init's memory (see spawn_command()): it writes
 * nothing init reads, except environ, which init no longer uses.
 */
static int exec_command(void *arg) {
        const struct child_ctx *c = arg;
        const struct sandbox_config *cfg = c->cfg;
        const char *step;
        SETUP_STEP(step, "enter the source directory");
        int err;
        /* init has no handlers (the parent's signalfd mask is all it inherited): defaults, then unblock. */
        for (int s = 1; s < NSIG; s++)
                signal(s, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        /* A new session: no controlling terminal to push input into. */
        (void) setsid();
        if (chdir(cfg->source) < 0)
                goto fail;
        SETUP_STEP(step, "close inherited descriptors");
        if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
                goto fail;
        SETUP_STEP(step, "drop capabilities");
        if ((err = drop_capabilities()) < 0) {
                errno = -err;
                goto fail;
        }
        SETUP_STEP(step, "set no_new_privs");
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                goto fail;
        SETUP_STEP(step, "apply landlock");
        if ((err = landlock_apply(cfg->source, cfg->binds, cfg->n_binds, cfg->rootfs != NULL)) < 0) {
                errno = -err;
                goto fail;
        }
        SETUP_STEP(step, "install the seccomp filter");
        if ((err = seccomp_apply(c->seccomp)) < 0) {
                errno = -err;
                goto fail;
        }
        environ = cfg->envp; /* execvp searches the build's PATH, not the host's */
        SETUP_STEP(step, "execute");
        execvp(c->argv[0], c->argv);
fail:;
        struct exec_failure f = { .err = errno };
        snprintf(f.step, sizeof(f.step), "%s", step);
        (void) loop_write(c->exec_fd, &f, sizeof(f));
        _exit(f.err == ENOENT ? 127 : 126);
}

/*
 * Starts pid 2 the way posix_spawn() does: CLONE_VM | CLONE_VFORK, on a stack
 * of its own, init suspended until CMD is executing (or has failed to). A
 * plain fork() would copy init's page tables only for pid 2 to fault half of
 * them back in before execve() throws them away: over a millisecond of every
 * start on hosts where page faults are slow (virtual machines). The stack is
 * this frame's array: init is suspended in clone(), deeper on its own stack.
 */
static pid_t spawn_command(struct child_ctx *cc) {
        enum { STACK_SIZE = 64 * 1024 }; /* exec_command, landlock, execvp's PATH search */
        _Alignas(16) char stack[STACK_SIZE];
        return clone(exec_command, stack + sizeof(stack), CLONE_VM | CLONE_VFORK | SIGCHLD, cc);
}

static char *cmdline_start;
static size_t cmdline_len;

void sandbox_remember_cmdline(int argc, char **argv) {
        if (argc < 1)
                return;
        cmdline_start = argv[0];
        cmdline_len = (size_t) (argv[argc - 1] + strlen(argv[argc - 1]) + 1 - argv[0]);
}

static void blank_cmdline(void) {
        static const char title[] = "buildward-init";
        if (!cmdline_start || cmdline_len <= sizeof(title))
                return;
        memset(cmdline_start, 0, cmdline_len);
        memcpy(cmdline_start, title, sizeof(title));
}

/* pid 1 of the build. Never returns. */
_noreturn_ void child_main(const struct child_ctx *c) {
        const char *step;
        SETUP_STEP(step, "wait for the parent");
        int r;
        char go;

        (void) prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (loop_read_exact(c->go_fd, &go, 1) < 0)
                _exit(1); /* the parent died before mapping us */
        close(c->go_fd);

        SETUP_STEP(step, "new cgroup namespace");
        if (unshare(CLONE_NEWCGROUP) < 0) {
                r = -errno;
                goto fail;
        }
        SETUP_STEP(step, "set the hostname");
        if (sethostname(c->cfg->hostname, strlen(c->cfg->hostname)) < 0 || setdomainname("(none)", 6) < 0) {
                r = -errno;
                goto fail;
        }
        /*
         * Still the parent's host uid here, which may traverse the root-only
         * staging directory; the build's uid could not.
         */
        if ((r = stage_enter(c->st, &step)) < 0)
                goto fail;
        SETUP_STEP(step, "switch to the build uid");
        if (setresgid(SANDBOX_GID, SANDBOX_GID, SANDBOX_GID) < 0 ||
            setresuid(SANDBOX_UID, SANDBOX_UID, SANDBOX_UID) < 0) {
                r = -errno;
                goto fail;
        }
        /*
         * The uid change cleared the parent-death signal (commit_creds() does on
         * any change of euid): set it again, or a SIGKILL of buildward would
         * leave the build running, unwatched and with no timeout. Then make sure
         * the parent did not die in between: its read end of the status pipe
         * closes with it.
         */
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        {
                struct pollfd pf = { .fd = c->status_fd, .events = POLLOUT };
                if (poll(&pf, 1, 0) == 1 && (pf.revents & POLLERR))
                        _exit(1);
        }

        /* Nothing in the build may read init's memory or files in /proc/1. */
        (void) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

        /*
         * CMD's argv points into buildward's command line: copy it, then blank
         * the original before anything of the build runs and can read /proc/1.
         */
        struct child_ctx cc = *c;
        cc.argv = strv_copy(c->cfg->argv);
        blank_cmdline();

        SETUP_STEP(step, "fork the command");
        pid_t cmd = spawn_command(&cc);
        if (cmd < 0) {
                r = -errno;
                goto fail;
        }
        close(c->exec_fd);

        for (;;) {
                int status;
                pid_t p = waitpid(-1, &status, __WALL);
                if (p < 0) {
                        if (errno == EINTR)
                                continue;
                        pause(); /* nothing left: wait for the parent to kill us */
                        continue;
                }
                if (p == cmd)
                        send_msg(c->status_fd, 1, status, NULL);
        }
fail:
        send_msg(c->status_fd, 2, r, step);
        _exit(1);
}

/* No CLONE_NEWNET: init inherits the network namespace prep_job_run() made (see there). */
#define INIT_CLONE_FLAGS (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS)

/*
 * Forks the build's init into its namespaces. Where there is a v2 cgroup, clone3
 * puts it there at birth: writing cgroup.procs instead waits for an RCU grace
 * period on hosts without favordynmods (about 10 ms, most of a sandbox start).
 */
pid_t clone_init(const struct cgroup *cg, bool *ret_in_v2) {
        *ret_in_v2 = false;
        if (cg->v2_path) {
                _cleanup_close_ int cgfd = open(cg->v2_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                struct clone_args args = {
                        .flags = INIT_CLONE_FLAGS | CLONE_INTO_CGROUP,
                        .exit_signal = SIGCHLD,
                        .cgroup = (uint64_t) cgfd,
                };
                if (cgfd >= 0) {
                        pid_t pid = (pid_t) syscall(SYS_clone3, &args, sizeof(args));
                        if (pid >= 0) {
                                *ret_in_v2 = pid > 0;
                                return pid;
                        }
                        log_debug("clone3 into %s: %m; falling back to clone", cg->v2_path);
                }
        }
        return (pid_t) syscall(SYS_clone, INIT_CLONE_FLAGS | SIGCHLD, NULL, NULL, NULL, 0);
}
