/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Process layout of one build:
 *
 *   buildward (parent)         host pid namespace; root, or root of its own user
 *     |                        namespace when started unprivileged; owns the staging
 *     |                        mount namespace, the cgroups and the clock
 *     `- init (pid 1)          new user/pid/mount/net/ipc/uts/cgroup namespaces;
 *          |                   finishes the mounts, pivots, then only reaps
 *          `- CMD (pid 2)      uid 1000, no capabilities, no_new_privs, landlock,
 *                              seccomp; its own session
 *
 * When CMD exits, init reports its status; the parent freezes the cgroup, lists the
 * processes still alive in the build's pid namespace (survivors) and kills init,
 * which makes the kernel kill everything left in that namespace.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <grp.h>
#include <linux/sched.h>
#include <linux/capability.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "basic/log.h"
#include "sandbox/internal.h"

/* Host uids for builds started by root: one per concurrent build, far from real accounts. */
#define HOST_UID_BASE  1879048192u /* 0x70000000 */
#define HOST_UID_SLOTS 65536u
#define RUN_DIR        "/run/buildward"

/* init -> parent messages */
struct init_msg {
        int32_t kind; /* 1: CMD exited, value = wait status; 2: setup failed, value = -errno */
        int32_t value;
        char step[64];
};

struct child_ctx {
        const struct sandbox_config *cfg;
        const struct stage *st;
        int go_fd;     /* read: parent says the maps are written */
        int status_fd; /* write: struct init_msg */
        int exec_fd;   /* write: errno of a failed execve, CLOEXEC */
        const struct seccomp_programs *seccomp;
        char **argv; /* CMD, a copy that survives blank_cmdline() */
};

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

/* What pid 2 tells the parent when it cannot become CMD. */
struct exec_failure {
        int32_t err;
        char step[44];
};

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
static _noreturn_ int child_main(const struct child_ctx *c) {
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
static pid_t clone_init(const struct cgroup *cg, bool *ret_in_v2) {
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

/*
 * Work the parent does on a second thread while the main one mounts the stage,
 * each about half a millisecond of a start: the build's network namespace
 * (with lo up) and the idmapping's user namespace.
 *
 * The network namespace is made here, not by clone(CLONE_NEWNET) in the
 * build's user namespace, so it belongs to buildward's user namespace: the
 * build cannot reconfigure its network at all (no CAP_NET_ADMIN or
 * CAP_NET_RAW over it), only use loopback.
 */
struct prep_job {
        pthread_t thread;
        bool started, pending;
        const struct stage *st;
        bool want_idmap;
        int idmap_fd;
        int netns_fd;
        int netns_err;
};

static void *prep_job_run(void *arg) {
        struct prep_job *j = arg;
        /* Network namespaces are per thread: this one's changes, the main thread's does not. */
        if (unshare(CLONE_NEWNET) < 0)
                j->netns_err = -errno;
        else if ((j->netns_err = loopback_up()) >= 0) {
                j->netns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
                if (j->netns_fd < 0)
                        j->netns_err = -errno;
        }
        j->idmap_fd = j->want_idmap ? stage_idmap_userns(j->st) : -EBADF;
        return NULL;
}

static void prep_start(struct prep_job *j, const struct stage *st) {
        j->st = st;
        j->want_idmap = st->source_mapping && streq(st->source_mapping, "idmapped");
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        (void) pthread_attr_setstacksize(&attr, 256 * 1024); /* it makes two namespaces, nothing deep */
        j->started = pthread_create(&j->thread, &attr, prep_job_run, j) == 0;
        pthread_attr_destroy(&attr);
        j->pending = true;
}

/* Waits for the helper thread (or does its work here if it could not start). Idempotent. */
static void prep_finish(struct prep_job *j) {
        if (!j->pending)
                return;
        if (j->started)
                pthread_join(j->thread, NULL);
        else
                prep_job_run(j);
        j->pending = false;
}

/* Allocates a host uid for this build and holds its lock until exit. */
static int allocate_host_uid(uid_t *ret, int *ret_lock_fd) {
        if (mkdir(RUN_DIR, 0700) < 0 && errno != EEXIST)
                return -errno;
        if (mkdir(RUN_DIR "/uids", 0700) < 0 && errno != EEXIST)
                return -errno;
        unsigned start = (unsigned) getpid() % HOST_UID_SLOTS;
        for (unsigned i = 0; i < 4096; i++) {
                unsigned slot = (start + i) % HOST_UID_SLOTS;
                char p[64];
                snprintf(p, sizeof(p), RUN_DIR "/uids/%u", slot);
                int fd = open(p, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
                if (fd < 0)
                        return -errno;
                if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
                        *ret = HOST_UID_BASE + slot;
                        *ret_lock_fd = fd;
                        return 0;
                }
                close(fd);
        }
        return -EBUSY;
}

static int write_map(pid_t pid, const char *file, unsigned inside, unsigned outside) {
        char path[64], map[64];
        snprintf(path, sizeof(path), "/proc/%d/%s", (int) pid, file);
        snprintf(map, sizeof(map), "%u %u 1\n", inside, outside);
        return write_string_file(path, map);
}

static const char userns_fix[] =
        "this host forbids user namespaces (Docker's default seccomp profile, Ubuntu's "
        "kernel.apparmor_restrict_unprivileged_userns=1, or user.max_user_namespaces=0): allow them "
        "(docker --security-opt seccomp=unconfined, sysctl kernel.apparmor_restrict_unprivileged_userns=0, "
        "sysctl user.max_user_namespaces=15000)";

/* Names the namespace the kernel refused, probing user namespaces alone in a child. */
static char *namespace_failure_message(int err) {
        pid_t p = fork();
        if (p == 0)
                _exit(unshare(CLONE_NEWUSER) < 0 ? 1 : 0);
        int st = 0;
        bool userns_ok = p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0;
        if (!userns_ok)
                return xasprintf("cannot create a user namespace for the build (%s); %s", strerror(err), userns_fix);
        return xasprintf("cannot create the build's namespaces (%s); user namespaces work, so the kernel or a security "
                         "policy refuses a pid, network, ipc, uts or mount namespace: run `buildward doctor`",
                         strerror(err));
}

/* Unprivileged start: become root of our own user namespace, with a private mount namespace. */
static int enter_own_userns(char **ret_failure) {
        uid_t uid = getuid();
        gid_t gid = getgid();
        if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
                int r = -errno;
                *ret_failure = xasprintf("cannot create a user namespace (%s); run buildward as root, or: %s",
                                         strerror(-r), userns_fix);
                return r;
        }
        int r = write_string_file("/proc/self/setgroups", "deny");
        if (r >= 0)
                r = write_map(getpid(), "uid_map", 0, uid);
        if (r >= 0)
                r = write_map(getpid(), "gid_map", 0, gid);
        if (r < 0)
                *ret_failure = xasprintf("cannot write the uid map of buildward's user namespace (%s); "
                                         "the kernel refused a single-uid mapping, which user namespaces always allow",
                                         strerror(-r));
        return r;
}

/*
 * The directory the staging tmpfs is mounted on. Every build mounts over the
 * same one, each in its own private mount namespace, so it is never seen as a
 * mount point on the host and needs no cleanup: the mount goes with the
 * namespace when buildward exits.
 */
static char *stage_dir_get(bool privileged) {
        char *d;
        if (privileged)
                d = xstrdup(RUN_DIR "/stage");
        else {
                const char *rt = getenv("XDG_RUNTIME_DIR");
                d = rt && *rt == '/' ? xasprintf("%s/buildward-stage", rt)
                                     : xasprintf("/tmp/buildward-stage-%u", getuid());
        }
        if (mkdir(d, 0700) < 0 && errno != EEXIST) {
                free(d);
                return NULL;
        }
        /* In a shared /tmp someone else may have planted it: it must be our own directory. */
        struct stat s;
        if (lstat(d, &s) < 0 || !S_ISDIR(s.st_mode) || s.st_uid != geteuid()) {
                free(d);
                errno = EPERM;
                return NULL;
        }
        return d;
}

static pid_t read_status_pid(pid_t pid, const char *key, bool last) {
        char path[64];
        _cleanup_free_ char *buf = NULL;
        snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
        if (read_full_file(path, &buf, NULL, 1 << 16) < 0)
                return -1;
        char *l = strstr(buf, key);
        if (!l)
                return -1;
        l += strlen(key);
        char *end = strchr(l, '\n');
        if (end)
                *end = 0;
        pid_t v = -1;
        for (char *tok = strtok(l, " \t"); tok; tok = strtok(NULL, " \t")) {
                v = (pid_t) atoi(tok);
                if (!last)
                        break;
        }
        return v;
}

static char **read_cmdline(pid_t pid) {
        char path[64];
        _cleanup_free_ char *buf = NULL;
        size_t n;
        snprintf(path, sizeof(path), "/proc/%d/cmdline", (int) pid);
        char **v = xcalloc(1, sizeof(char *));
        if (read_full_file(path, &buf, &n, 1 << 20) < 0)
                return v;
        for (size_t i = 0; i < n; i += strlen(buf + i) + 1)
                strv_push(&v, xstrdup(buf + i));
        return v;
}

/* Lists the processes of the build's pid namespace other than its init. */
/*
 * Lists the processes of the build's pid namespace other than its init. PIDNS
 * is the namespace's link text, read while init was still dumpable: an
 * unprivileged parent cannot read /proc/INIT/ns/pid once init is not.
 */
static void collect_survivors(pid_t init, const char *ns, struct sandbox_result *res) {
        char path[64], their[64];
        DIR *d = opendir("/proc");
        if (!d)
                return;
        for (struct dirent *de; (de = readdir(d));) {
                pid_t pid = (pid_t) atoi(de->d_name);
                if (pid <= 0 || pid == init)
                        continue;
                snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int) pid);
                ssize_t k = readlink(path, their, sizeof(their) - 1);
                if (k < 0)
                        continue;
                their[k] = 0;
                if (!streq(ns, their))
                        continue;
                /* Threads are not separate entries in /proc; zombies are already dead. */
                snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
                _cleanup_free_ char *stat = NULL;
                if (read_full_file(path, &stat, NULL, 4096) < 0)
                        continue;
                char *rp = strrchr(stat, ')');
                if (rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X'))
                        continue;
                struct survivor s = { .host_pid = pid, .seen_usec = now_usec(CLOCK_REALTIME) };
                s.pid = read_status_pid(pid, "NSpid:", true);
                pid_t hppid = read_status_pid(pid, "PPid:", false);
                s.ppid = hppid == init ? 1 : read_status_pid(hppid, "NSpid:", true);
                char exe[PATH_MAX];
                snprintf(path, sizeof(path), "/proc/%d/exe", (int) pid);
                ssize_t e = readlink(path, exe, sizeof(exe) - 1);
                if (e >= 0) {
                        exe[e] = 0;
                        const char *del = " (deleted)";
                        size_t el = strlen(exe), dl = strlen(del);
                        if (el > dl && streq(exe + el - dl, del)) {
                                exe[el - dl] = 0;
                                s.exe_deleted = true;
                        }
                        s.exe = xstrdup(exe);
                }
                s.argv = read_cmdline(pid);
                GREEDY_REALLOC(res->survivors, res->n_survivors_allocated, res->n_survivors + 1);
                res->survivors[res->n_survivors++] = s;
        }
        closedir(d);
}

/*
 * Fast path for the common case: the v2 cgroup lists init alone, so nothing
 * survived (the build cannot leave its cgroup: it owns no cgroupfs directory).
 */
static bool cgroup_only_holds(const struct cgroup *cg, pid_t init) {
        if (!cg->v2_path)
                return false;
        _cleanup_free_ char *p = xasprintf("%s/cgroup.procs", cg->v2_path), *buf = NULL;
        if (read_full_file(p, &buf, NULL, 1 << 20) < 0)
                return false;
        char want[32];
        snprintf(want, sizeof(want), "%d\n", (int) init);
        return streq(buf, want);
}

static char *setup_failure_message(const struct init_msg *m) {
        int err = -m->value;
        const char *fix = "run `buildward doctor` to see which kernel feature is missing";
        if (err == EPERM || err == EACCES)
                fix = "the host's security policy (seccomp, AppArmor, SELinux) refuses it; run `buildward doctor`";
        return xasprintf("cannot set up the sandbox: %s failed (%s); %s", m->step, strerror(err), fix);
}

static void kill_build(pid_t init, const struct sandbox_state *state) {
        (void) kill(init, SIGKILL);
        /* v1 freezer: a frozen task handles SIGKILL only once thawed. */
        (void) cgroup_freeze(&state->cg, false);
}

int sandbox_run(const struct sandbox_config *cfg, struct sandbox_state *state, struct sandbox_result *res,
                struct sandbox_views *views, char **ret_failure) {
        struct stage st = { .source_fd = -EBADF, .idmap_userns_fd = -EBADF };
        struct prep_job job = { .idmap_fd = -EBADF, .netns_fd = -EBADF };
        struct seccomp_programs seccomp;
        seccomp_builtin(&seccomp);
        char init_pidns[64] = "";
        bool frozen = false;
        _cleanup_close_ int uid_lock = -EBADF, sfd = -EBADF;
        int go[2] = { -1, -1 }, status[2] = { -1, -1 }, execp[2] = { -1, -1 };
        pid_t init = -1;
        int r;
        sigset_t mask, oldmask;

        *res = (struct sandbox_result){};
        *views = (struct sandbox_views){ .merged_fd = -EBADF, .upper_fd = -EBADF, .lower_fd = -EBADF };
        state->privileged = geteuid() == 0;
#define PHASE(name) log_step("parent: " name)

        st.source_fd = open(cfg->source, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (st.source_fd < 0) {
                r = -errno;
                *ret_failure = xasprintf(
                        "cannot open the source directory '%s' (%s); pass an existing directory with --source",
                        cfg->source, strerror(-r));
                return r;
        }
        struct stat sst;
        if (fstat(st.source_fd, &sst) < 0)
                return -errno;
        st.source_uid = sst.st_uid;
        st.source_gid = sst.st_gid;

        PHASE("source opened");
        if (state->privileged) {
                if ((r = allocate_host_uid(&state->host_uid, &uid_lock)) < 0) {
                        *ret_failure = xasprintf("cannot allocate a uid for the build under " RUN_DIR "/uids (%s); "
                                                 "check that " RUN_DIR " is writable by root",
                                                 strerror(-r));
                        return r;
                }
                st.map_uid = state->host_uid;
                st.map_gid = state->host_uid;
                st.source_mapping = "idmapped";
                /*
                 * Root's supplementary groups would follow the build into its
                 * namespace. Dropped before the helper thread exists: glibc applies
                 * setgroups() to every thread (a signal to each) and waits for a busy
                 * one. Callers with threads of their own drop them first
                 * (sandbox_drop_groups()); then there is nothing to do here.
                 */
                if ((r = sandbox_drop_groups()) < 0)
                        return r;
                PHASE("uid allocated");
                /* As early as possible: it overlaps everything up to the clone. */
                prep_start(&job, &st);
                PHASE("thread started");
                _cleanup_free_ char *name = xasprintf("build-%d", (int) getpid());
                (void) cgroup_create(&state->cg, name, &cfg->limits);
                /* Before the build's first process: a killed buildward leaves only these behind. */
                if ((r = orphans_register(&state->cg, &state->registration)) < 0)
                        strv_push(&state->warnings,
                                  xasprintf("cannot register the build's cgroups under " ORPHANS_RUN_DIR
                                            "/builds (%s): if buildward is killed they stay until removed by "
                                            "hand; check that " ORPHANS_RUN_DIR " is a directory of root's, mode 0700",
                                            strerror(-r)));
        } else {
                state->host_uid = getuid();
                (void) cgroup_create(&state->cg, "unused", &cfg->limits); /* records what is not applied */
                if (st.source_uid != getuid())
                        strv_push(&state->warnings,
                                  xasprintf("the source tree is owned by uid %u, not by you (uid %u): the build can "
                                            "read it "
                                            "but in-tree writes will fail; run buildward as root or as the owner",
                                            (unsigned) st.source_uid, (unsigned) getuid()));
        }
        if (state->cg.not_applied)
                strv_push(&state->warnings,
                          xasprintf("limits not applied (%s): %s", state->cg.not_applied, state->cg.why_not));

        PHASE("cgroups");
        st.dir = stage_dir_get(state->privileged);
        if (!st.dir) {
                r = -errno;
                *ret_failure = xasprintf("cannot use a staging directory (%s); check that %s is writable and that its "
                                         "buildward-stage directory, if any, is a directory of yours",
                                         strerror(-r), state->privileged ? RUN_DIR : "$XDG_RUNTIME_DIR or /tmp");
                goto out;
        }
        if (state->privileged) {
                state->host_mntns_fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
                state->host_cwd_fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
                state->host_saved = true;
                if (unshare(CLONE_NEWNS) < 0) {
                        r = -errno;
                        *ret_failure =
                                xasprintf("cannot create a mount namespace (%s); buildward needs CONFIG_NAMESPACES "
                                          "and must not run under a seccomp profile that refuses unshare",
                                          strerror(-r));
                        goto out;
                }
        } else {
                if ((r = enter_own_userns(ret_failure)) < 0)
                        goto out;
                st.map_uid = 0; /* our own uid as seen from our namespace */
                st.map_gid = 0;
                st.source_mapping = "owner";
                /* Only now: a user namespace can only be entered single-threaded. */
                prep_start(&job, &st);
        }
        /*
         * Mount operations need the source as a mount of this namespace: open it
         * again by path and make sure it is still the directory we checked.
         */
        {
                int fd = open(cfg->source, O_PATH | O_DIRECTORY | O_CLOEXEC);
                struct stat again;
                if (fd < 0 || fstat(fd, &again) < 0 || again.st_dev != sst.st_dev || again.st_ino != sst.st_ino) {
                        r = fd < 0 ? -errno : -ESTALE;
                        if (fd >= 0)
                                close(fd);
                        *ret_failure =
                                xasprintf("the source directory '%s' changed while the sandbox was being set up; "
                                          "run the build again once nothing else moves it",
                                          cfg->source);
                        goto out;
                }
                close(st.source_fd);
                st.source_fd = fd;
        }
        PHASE("private mount namespace");
        /* Nothing mounted from here on reaches the host. */
        if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
                r = -errno;
                *ret_failure = xasprintf("cannot make buildward's mount namespace private (%s)", strerror(-r));
                goto out;
        }
        PHASE("stage start");
        /* Every directory and node of the stage gets its mode at creation, whatever the caller's umask. */
        mode_t umask_saved = umask(0);
        r = stage_prepare(&st, cfg, ret_failure);
        PHASE("join helper thread");
        prep_finish(&job);
        if (job.idmap_fd >= 0)
                st.idmap_userns_fd = TAKE_FD(job.idmap_fd);
        PHASE("joined");
        if (r >= 0 && job.netns_err < 0) {
                r = job.netns_err;
                *ret_failure = xasprintf("cannot create the build's network namespace (%s); %s", strerror(-r),
                                         r == -EPERM ? "a security policy refuses it: run `buildward doctor`"
                                                     : "the kernel needs CONFIG_NET_NS");
        }
        /* From here on the main thread lives in the build's network namespace: init inherits it. */
        if (r >= 0 && setns(job.netns_fd, CLONE_NEWNET) < 0) {
                r = -errno;
                *ret_failure = xasprintf("cannot enter the build's network namespace (%s)", strerror(-r));
        }
        if (r >= 0)
                stage_mount_sysfs(&st);
        if (r >= 0)
                r = stage_prepare_source(&st, cfg, &state->warnings, ret_failure);
        umask(umask_saved); /* the build gets the caller's */
        if (r < 0) {
                if (!*ret_failure)
                        *ret_failure = xasprintf("cannot assemble the sandbox's filesystem (%s)", strerror(-r));
                goto out;
        }
        PHASE("stage");
        state->source_mapping = st.source_mapping;
        if (state->privileged)
                state->host_uid = st.map_uid;

        if (pipe2(go, O_CLOEXEC) < 0 || pipe2(status, O_CLOEXEC) < 0 || pipe2(execp, O_CLOEXEC) < 0) {
                r = -errno;
                goto out;
        }
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, &oldmask);
        sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

        if (cfg->before_clone)
                cfg->before_clone(cfg->userdata, state->cg.v2_path ? state->cg.v2_id : 0);
        fflush(NULL);
        bool in_v2 = false;
        init = clone_init(&state->cg, &in_v2);
        if (init < 0) {
                r = -errno;
                *ret_failure = namespace_failure_message(-r);
                goto out_mask;
        }
        if (init == 0) {
                close(go[1]);
                close(status[0]);
                close(execp[0]);
                struct child_ctx c = { .cfg = cfg,
                                       .st = &st,
                                       .go_fd = go[0],
                                       .status_fd = status[1],
                                       .exec_fd = execp[1],
                                       .seccomp = &seccomp };
                child_main(&c);
        }
        close(go[0]);
        close(status[1]);
        close(execp[1]);
        go[0] = status[1] = execp[1] = -1;

        if ((r = write_map(init, "uid_map", SANDBOX_UID, st.map_uid)) < 0 ||
            (r = write_map(init, "gid_map", SANDBOX_GID, st.map_gid)) < 0) {
                *ret_failure = xasprintf("cannot write the build's uid map (%s); the kernel refused the mapping",
                                         strerror(-r));
                goto out_kill;
        }
        if (state->cg.mode != CGROUP_NONE && (r = cgroup_attach(&state->cg, init, in_v2)) < 0) {
                *ret_failure = xasprintf("cannot move the build into its cgroup (%s)", strerror(-r));
                goto out_kill;
        }
        /* init waits for "go" before it stops being dumpable: its namespace is readable now. */
        {
                char path[64];
                snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int) init);
                ssize_t n = readlink(path, init_pidns, sizeof(init_pidns) - 1);
                if (n < 0) {
                        r = -errno;
                        *ret_failure =
                                xasprintf("cannot read the build's pid namespace (%s); check that /proc is mounted",
                                          strerror(-r));
                        goto out_kill;
                }
                init_pidns[n] = 0;
        }
        if (cfg->after_clone)
                cfg->after_clone(cfg->userdata);
        if ((r = loop_write(go[1], "g", 1)) < 0)
                goto out_kill;
        PHASE("clone");

        uint64_t deadline = cfg->timeout_usec ? now_usec(CLOCK_MONOTONIC) + cfg->timeout_usec : 0;
        bool done = false;
        while (!done) {
                struct pollfd p[2] = { { .fd = status[0], .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
                int timeout = -1;
                if (deadline) {
                        uint64_t now = now_usec(CLOCK_MONOTONIC);
                        timeout = now >= deadline ? 0 : (int) ((deadline - now + 999) / 1000);
                }
                int k = poll(p, 2, timeout);
                if (k < 0 && errno != EINTR) {
                        r = -errno;
                        goto out_kill;
                }
                if (k == 0) {
                        res->end = SANDBOX_END_TIMEOUT;
                        break;
                }
                if (p[1].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        while (read(sfd, &si, sizeof(si)) == sizeof(si))
                                if (si.ssi_signo != SIGCHLD) {
                                        res->end = SANDBOX_END_INTERRUPTED;
                                        res->signal = (int) si.ssi_signo;
                                        done = true;
                                }
                        if (done)
                                break;
                }
                if (p[0].revents & (POLLIN | POLLHUP)) {
                        struct init_msg m;
                        if (loop_read_exact(status[0], &m, sizeof(m)) < 0) {
                                /* init died without a word: killed from outside (OOM killer, admin). */
                                res->end = SANDBOX_END_EXITED;
                                res->status = SIGKILL;
                                break;
                        }
                        if (m.kind == 2) {
                                *ret_failure = setup_failure_message(&m);
                                r = m.value;
                                goto out_kill;
                        }
                        res->end = SANDBOX_END_EXITED;
                        res->status = m.value;
                        struct exec_failure f;
                        if (read(execp[0], &f, sizeof(f)) == (ssize_t) sizeof(f)) {
                                res->end = SANDBOX_END_EXEC_FAILED;
                                res->exec_errno = f.err;
                                if (!streq(f.step, "execute"))
                                        strv_push(&state->warnings,
                                                  xasprintf("the sandbox could not %s for the command: %s", f.step,
                                                            strerror(f.err)));
                        }
                        done = true;
                }
        }

        PHASE("command exited");
        /* Whatever is alive now outlived CMD: list it while frozen, then kill it all. */
        frozen = cgroup_freeze(&state->cg, true) == 0;
        if (res->end == SANDBOX_END_EXITED && !cgroup_only_holds(&state->cg, init))
                collect_survivors(init, init_pidns, res);
        r = 0;
out_kill:
        if (init > 0) {
                kill_build(init, state);
                /*
                 * Frozen, nothing of the build runs any more: the kernel's teardown
                 * of its namespaces may overlap the report, and sandbox_reap() waits
                 * for it before buildward exits. Unfrozen, wait now.
                 */
                if (frozen && r >= 0)
                        res->pending_init = init;
                else
                        while (waitpid(init, NULL, __WALL) < 0 && errno == EINTR)
                                ;
        }
        cgroup_read_usage(&state->cg, &res->usage);
        PHASE("killed");
out_mask:
        sigprocmask(SIG_SETMASK, &oldmask, NULL);
out:
        prep_finish(&job); /* never leave the thread running on our stack */
        for (int i = 0; i < 2; i++) {
                if (go[i] >= 0)
                        close(go[i]);
                if (status[i] >= 0)
                        close(status[i]);
                if (execp[i] >= 0)
                        close(execp[i]);
        }
        if (r >= 0 && st.merged) {
                views->merged_fd = open(st.merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                views->upper_fd = open(st.upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                views->lower_fd = fcntl(st.source_fd, F_DUPFD_CLOEXEC, 3);
        }
        /*
         * The open directory fds keep the overlay and tmpfs alive after the
         * lazy unmount, so the report can read them; closing them frees it all.
         */
        PHASE("views opened");
        stage_release(&st);
        closep(&job.netns_fd);
        closep(&job.idmap_fd);
        PHASE("stage released");
        return r;
}

void sandbox_reap(struct sandbox_result *r) {
        if (r->pending_init <= 0)
                return;
        while (waitpid(r->pending_init, NULL, __WALL) < 0 && errno == EINTR)
                ;
        r->pending_init = 0;
}

void sandbox_result_done(struct sandbox_result *r) {
        sandbox_reap(r);
        for (size_t i = 0; i < r->n_survivors; i++) {
                free(r->survivors[i].exe);
                strv_free(r->survivors[i].argv);
        }
        free(r->survivors);
        r->survivors = NULL;
        r->n_survivors = 0;
}

int sandbox_drop_groups(void) {
        int n = getgroups(0, NULL);
        if (n < 0)
                return -errno;
        return n > 0 && setgroups(0, NULL) < 0 ? -errno : 0;
}

/*
 * The holder's pipe. Static, like its stack: the holder may first run after
 * the spawning frame is gone, and it shares our memory (CLONE_VM), so
 * anything it reads must outlive that frame. One holder per process.
 */
static int holder_pipe[2] = { -1, -1 };

/* Raw calls only: this task shares buildward's memory and thread pointer. */
static int hold_namespaces(void *arg) {
        (void) arg;
        int rfd = holder_pipe[0];
        char c;
        /* close_range() below would do it too, but not before Linux 5.9: this one is the EOF that matters. */
        (void) syscall(SYS_close, holder_pipe[1]);
        /* Nothing else either: the caller's stdout pipe or a lock must not outlive buildward here. */
        if (rfd > 0)
                (void) syscall(SYS_close_range, 0U, (unsigned) rfd - 1, 0U);
        (void) syscall(SYS_close_range, (unsigned) rfd + 1, ~0U, 0U);
        (void) syscall(SYS_read, rfd, &c, 1); /* EOF: buildward has left, or died */
        return 0;
}

pid_t sandbox_spawn_holder(int *ret_wfd) {
        static _Alignas(16) char stack[4096];
        if (holder_pipe[0] >= 0)
                return -EBUSY;
        if (pipe2(holder_pipe, O_CLOEXEC) < 0)
                return -errno;
        /*
         * CLONE_VM: nothing copied for a task that only holds a reference. Without
         * CLONE_FILES it has its own table, so closing our write end is its EOF.
         */
        pid_t pid = clone(hold_namespaces, stack + sizeof(stack), CLONE_VM | SIGCHLD, NULL);
        int r = pid < 0 ? -errno : 0;
        close(holder_pipe[0]);
        if (r < 0) {
                close(holder_pipe[1]);
                return r;
        }
        *ret_wfd = holder_pipe[1];
        return pid;
}

void sandbox_leave(struct sandbox_state *s) {
        if (!s->host_saved || s->host_mntns_fd < 0 || s->host_cwd_fd < 0 || s->ns_holder > 0)
                return;
        int wfd;
        pid_t pid = sandbox_spawn_holder(&wfd);
        if (pid < 0)
                return;
        s->ns_holder = pid;
        /* setns() also moves the root and the working directory to the namespace's: take ours back. */
        if (setns(s->host_mntns_fd, CLONE_NEWNS) < 0 || fchdir(s->host_cwd_fd) < 0)
                log_debug("staying in buildward's mount namespace: %m");
        close(wfd);
}

void sandbox_state_done(struct sandbox_state *s) {
        if (s->ns_holder > 0)
                while (waitpid(s->ns_holder, NULL, 0) < 0 && errno == EINTR)
                        ;
        s->ns_holder = 0;
        if (s->host_saved) {
                closep(&s->host_mntns_fd);
                closep(&s->host_cwd_fd);
                s->host_saved = false;
        }
        cgroup_destroy(&s->cg);
        orphans_unregister(&s->registration);
        strv_free(s->warnings);
        s->warnings = NULL;
}
