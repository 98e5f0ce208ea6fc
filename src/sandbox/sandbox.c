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
 *
 * The parts: init.c (the build's side: init and CMD), userns.c (uids, user
 * namespaces, the helper thread), survivors.c, supervise.c (the wait for CMD);
 * this file runs the stages in order and owns the namespace holder.
 */
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "basic/log.h"
#include "sandbox/internal.h"

#define PHASE(name) log_step("parent: " name)

/* What sandbox_run() holds from one stage to the next. */
struct run_ctx {
        const struct sandbox_config *cfg;
        struct sandbox_state *state;
        struct sandbox_result *res;
        struct stage st;
        struct stat source_stat; /* of the source tree as first opened */
        struct prep_job job;
        struct seccomp_programs seccomp;
        char init_pidns[64];
        int uid_lock, sfd;
        int go[2], status[2], execp[2];
        pid_t init;
        bool in_v2; /* clone3 put init in its v2 cgroup */
        bool masked, frozen;
        sigset_t oldmask;
};

static int open_source(struct run_ctx *c, char **ret_failure) {
        c->st.source_fd = open(c->cfg->source, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (c->st.source_fd < 0) {
                int r = -errno;
                *ret_failure = xasprintf(
                        "cannot open the source directory '%s' (%s); pass an existing directory with --source",
                        c->cfg->source, strerror(-r));
                return r;
        }
        if (fstat(c->st.source_fd, &c->source_stat) < 0)
                return -errno;
        c->st.source_uid = c->source_stat.st_uid;
        c->st.source_gid = c->source_stat.st_gid;
        return 0;
}

/* Root: a host uid, the helper thread, cgroups and their registration. Before any namespace of our own. */
static int claim_host_resources(struct run_ctx *c, char **ret_failure) {
        struct sandbox_state *state = c->state;
        int r;
        if ((r = allocate_host_uid(&state->host_uid, &c->uid_lock)) < 0) {
                *ret_failure = xasprintf("cannot allocate a uid for the build under " RUN_DIR "/uids (%s); "
                                         "check that " RUN_DIR " is writable by root",
                                         strerror(-r));
                return r;
        }
        c->st.map_uid = state->host_uid;
        c->st.map_gid = state->host_uid;
        c->st.source_mapping = "idmapped";
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
        prep_start(&c->job, &c->st);
        PHASE("thread started");
        _cleanup_free_ char *name = xasprintf("build-%d", (int) getpid());
        (void) cgroup_create(&state->cg, name, &c->cfg->limits);
        /* Before the build's first process: a killed buildward leaves only these behind. */
        if ((r = orphans_register(&state->cg, &state->registration)) < 0)
                strv_push(&state->warnings,
                          xasprintf("cannot register the build's cgroups under " ORPHANS_RUN_DIR
                                    "/builds (%s): if buildward is killed they stay until removed by "
                                    "hand; check that " ORPHANS_RUN_DIR " is a directory of root's, mode 0700",
                                    strerror(-r)));
        return 0;
}

static int claim_resources(struct run_ctx *c, char **ret_failure) {
        struct sandbox_state *state = c->state;
        if (state->privileged) {
                int r = claim_host_resources(c, ret_failure);
                if (r < 0)
                        return r;
        } else {
                state->host_uid = getuid();
                (void) cgroup_create(&state->cg, "unused", &c->cfg->limits); /* records what is not applied */
                if (c->st.source_uid != getuid())
                        strv_push(&state->warnings,
                                  xasprintf("the source tree is owned by uid %u, not by you (uid %u): the build can "
                                            "read it "
                                            "but in-tree writes will fail; run buildward as root or as the owner",
                                            (unsigned) c->st.source_uid, (unsigned) getuid()));
        }
        if (state->cg.not_applied)
                strv_push(&state->warnings,
                          xasprintf("limits not applied (%s): %s", state->cg.not_applied, state->cg.why_not));
        return 0;
}

/*
 * Mount operations need the source as a mount of this namespace: open it
 * again by path and make sure it is still the directory we checked.
 */
static int reopen_source(struct run_ctx *c, char **ret_failure) {
        int fd = open(c->cfg->source, O_PATH | O_DIRECTORY | O_CLOEXEC);
        struct stat again;
        if (fd < 0 || fstat(fd, &again) < 0 || again.st_dev != c->source_stat.st_dev ||
            again.st_ino != c->source_stat.st_ino) {
                int r = fd < 0 ? -errno : -ESTALE;
                if (fd >= 0)
                        close(fd);
                *ret_failure = xasprintf("the source directory '%s' changed while the sandbox was being set up; "
                                         "run the build again once nothing else moves it",
                                         c->cfg->source);
                return r;
        }
        close(c->st.source_fd);
        c->st.source_fd = fd;
        return 0;
}

/* The parent's own mount namespace (and user namespace when unprivileged), private from the host. */
static int enter_staging_namespace(struct run_ctx *c, char **ret_failure) {
        struct sandbox_state *state = c->state;
        int r;
        c->st.dir = stage_dir_get(state->privileged);
        if (!c->st.dir) {
                r = -errno;
                *ret_failure = xasprintf("cannot use a staging directory (%s); check that %s is writable and that its "
                                         "buildward-stage directory, if any, is a directory of yours",
                                         strerror(-r), state->privileged ? RUN_DIR : "$XDG_RUNTIME_DIR or /tmp");
                return r;
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
                        return r;
                }
        } else {
                if ((r = enter_own_userns(ret_failure)) < 0)
                        return r;
                c->st.map_uid = 0; /* our own uid as seen from our namespace */
                c->st.map_gid = 0;
                c->st.source_mapping = "owner";
                /* Only now: a user namespace can only be entered single-threaded. */
                prep_start(&c->job, &c->st);
        }
        if ((r = reopen_source(c, ret_failure)) < 0)
                return r;
        PHASE("private mount namespace");
        /* Nothing mounted from here on reaches the host. */
        if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
                r = -errno;
                *ret_failure = xasprintf("cannot make buildward's mount namespace private (%s)", strerror(-r));
                return r;
        }
        return 0;
}

/* The build's filesystem in the staging tmpfs, and the network namespace init will inherit. */
static int assemble_stage(struct run_ctx *c, char **ret_failure) {
        struct stage *st = &c->st;
        PHASE("stage start");
        /* Every directory and node of the stage gets its mode at creation, whatever the caller's umask. */
        mode_t umask_saved = umask(0);
        int r = stage_prepare(st, c->cfg, ret_failure);
        PHASE("join helper thread");
        prep_finish(&c->job);
        if (c->job.idmap_fd >= 0)
                st->idmap_userns_fd = TAKE_FD(c->job.idmap_fd);
        PHASE("joined");
        if (r >= 0 && c->job.netns_err < 0) {
                r = c->job.netns_err;
                *ret_failure = xasprintf("cannot create the build's network namespace (%s); %s", strerror(-r),
                                         r == -EPERM ? "a security policy refuses it: run `buildward doctor`"
                                                     : "the kernel needs CONFIG_NET_NS");
        }
        /* From here on the main thread lives in the build's network namespace: init inherits it. */
        if (r >= 0 && setns(c->job.netns_fd, CLONE_NEWNET) < 0) {
                r = -errno;
                *ret_failure = xasprintf("cannot enter the build's network namespace (%s)", strerror(-r));
        }
        if (r >= 0)
                stage_mount_sysfs(st);
        if (r >= 0)
                r = stage_prepare_source(st, c->cfg, &c->state->warnings, ret_failure);
        umask(umask_saved); /* the build gets the caller's */
        if (r < 0) {
                if (!*ret_failure)
                        *ret_failure = xasprintf("cannot assemble the sandbox's filesystem (%s)", strerror(-r));
                return r;
        }
        PHASE("stage");
        c->state->source_mapping = st->source_mapping;
        c->state->masked_hardlinks = TAKE_PTR(st->masked_hardlinks);
        if (c->state->privileged)
                c->state->host_uid = st->map_uid;
        return 0;
}

/* Forks init; in the child, never returns. The parent keeps its ends of the three pipes. */
static int fork_init(struct run_ctx *c, char **ret_failure) {
        if (pipe2(c->go, O_CLOEXEC) < 0 || pipe2(c->status, O_CLOEXEC) < 0 || pipe2(c->execp, O_CLOEXEC) < 0)
                return -errno;
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, &c->oldmask);
        c->masked = true;
        c->sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

        if (c->cfg->before_clone)
                c->cfg->before_clone(c->cfg->userdata, c->state->cg.v2_path ? c->state->cg.v2_id : 0);
        fflush(NULL);
        bool in_v2 = false;
        c->init = clone_init(&c->state->cg, &in_v2);
        if (c->init < 0) {
                int r = -errno;
                *ret_failure = namespace_failure_message(-r);
                return r;
        }
        if (c->init == 0) {
                close(c->go[1]);
                close(c->status[0]);
                close(c->execp[0]);
                struct child_ctx cc = { .cfg = c->cfg,
                                        .st = &c->st,
                                        .go_fd = c->go[0],
                                        .status_fd = c->status[1],
                                        .exec_fd = c->execp[1],
                                        .seccomp = &c->seccomp };
                child_main(&cc);
        }
        close(c->go[0]);
        close(c->status[1]);
        close(c->execp[1]);
        c->go[0] = c->status[1] = c->execp[1] = -1;
        c->in_v2 = in_v2;
        return 0;
}

/* Maps init's uids, moves it into its cgroups, then lets it go on. */
static int release_init(struct run_ctx *c, char **ret_failure) {
        int r;
        if ((r = write_map(c->init, "uid_map", SANDBOX_UID, c->st.map_uid)) < 0 ||
            (r = write_map(c->init, "gid_map", SANDBOX_GID, c->st.map_gid)) < 0) {
                *ret_failure = xasprintf("cannot write the build's uid map (%s); the kernel refused the mapping",
                                         strerror(-r));
                return r;
        }
        if (c->state->cg.mode != CGROUP_NONE && (r = cgroup_attach(&c->state->cg, c->init, c->in_v2)) < 0) {
                *ret_failure = xasprintf("cannot move the build into its cgroup (%s)", strerror(-r));
                return r;
        }
        /* init waits for "go" before it stops being dumpable: its namespace is readable now. */
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int) c->init);
        ssize_t n = readlink(path, c->init_pidns, sizeof(c->init_pidns) - 1);
        if (n < 0) {
                r = -errno;
                *ret_failure = xasprintf("cannot read the build's pid namespace (%s); check that /proc is mounted",
                                         strerror(-r));
                return r;
        }
        c->init_pidns[n] = 0;
        if (c->cfg->after_clone)
                c->cfg->after_clone(c->cfg->userdata);
        return loop_write(c->go[1], "g", 1);
}

/* Kills what is left of the build (init, and with it its pid namespace) and records its usage. */
static void end_build(struct run_ctx *c, int r) {
        if (c->init > 0) {
                kill_build(c->init, c->state);
                /*
                 * Frozen, nothing of the build runs any more: the kernel's teardown
                 * of its namespaces may overlap the report, and sandbox_reap() waits
                 * for it before buildward exits. Unfrozen, wait now.
                 */
                if (c->frozen && r >= 0)
                        c->res->pending_init = c->init;
                else
                        while (waitpid(c->init, NULL, __WALL) < 0 && errno == EINTR)
                                ;
        }
        cgroup_read_usage(&c->state->cg, &c->res->usage);
        PHASE("killed");
}

/* Closes what the stages left open; on success, opens the views of the source the report reads. */
static void release_stage(struct run_ctx *c, int r, struct sandbox_views *views) {
        prep_finish(&c->job); /* never leave the thread running on our stack */
        for (int i = 0; i < 2; i++) {
                safe_close(c->go[i]);
                safe_close(c->status[i]);
                safe_close(c->execp[i]);
        }
        if (r >= 0 && c->st.merged) {
                views->merged_fd = open(c->st.merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                views->upper_fd = open(c->st.upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                views->lower_fd = fcntl(c->st.source_fd, F_DUPFD_CLOEXEC, 3);
        }
        /*
         * The open directory fds keep the overlay and tmpfs alive after the
         * lazy unmount, so the report can read them; closing them frees it all.
         */
        PHASE("views opened");
        stage_release(&c->st);
        closep(&c->job.netns_fd);
        closep(&c->job.idmap_fd);
        closep(&c->uid_lock);
        closep(&c->sfd);
        PHASE("stage released");
}

/*
 * Stages, in order: source, host resources, staging namespace, the build's
 * filesystem, init, its release; then the wait for CMD and the kill. A failed
 * stage skips to the cleanup of what the earlier ones made.
 */
static int run_stages(struct run_ctx *c, char **ret_failure) {
        int r;
        if ((r = open_source(c, ret_failure)) < 0)
                return r;
        PHASE("source opened");
        if ((r = claim_resources(c, ret_failure)) < 0)
                return r;
        PHASE("cgroups");
        if ((r = enter_staging_namespace(c, ret_failure)) < 0 || (r = assemble_stage(c, ret_failure)) < 0 ||
            (r = fork_init(c, ret_failure)) < 0)
                return r;
        if ((r = release_init(c, ret_failure)) >= 0) {
                PHASE("clone");
                r = supervise_build(c->status[0], c->execp[0], c->sfd, c->cfg->timeout_usec, c->res,
                                    &c->state->warnings, ret_failure);
        }
        if (r >= 0) {
                PHASE("command exited");
                /* Whatever is alive now outlived CMD: list it while frozen, then kill it all. */
                c->frozen = cgroup_freeze(&c->state->cg, true) == 0;
                if (c->res->end == SANDBOX_END_EXITED && !cgroup_only_holds(&c->state->cg, c->init))
                        collect_survivors(c->init, c->init_pidns, c->res);
        }
        end_build(c, r);
        return r;
}

int sandbox_run(const struct sandbox_config *cfg, struct sandbox_state *state, struct sandbox_result *res,
                struct sandbox_views *views, char **ret_failure) {
        struct run_ctx c = {
                .cfg = cfg,
                .state = state,
                .res = res,
                .st = { .source_fd = -EBADF, .idmap_userns_fd = -EBADF },
                .job = { .idmap_fd = -EBADF, .netns_fd = -EBADF },
                .uid_lock = -EBADF,
                .sfd = -EBADF,
                .go = { -EBADF, -EBADF },
                .status = { -EBADF, -EBADF },
                .execp = { -EBADF, -EBADF },
                .init = -1,
        };
        seccomp_builtin(&c.seccomp);
        *res = (struct sandbox_result){};
        *views = (struct sandbox_views){ .merged_fd = -EBADF, .upper_fd = -EBADF, .lower_fd = -EBADF };
        state->privileged = geteuid() == 0;

        int r = run_stages(&c, ret_failure);
        if (c.masked)
                sigprocmask(SIG_SETMASK, &c.oldmask, NULL);
        release_stage(&c, r, views);
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
        strv_free(s->masked_hardlinks);
        s->masked_hardlinks = NULL;
}
