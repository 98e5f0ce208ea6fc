/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sandbox/cgroup.h"
#include "sandbox/orphans.h"

/* The uid/gid the build runs as inside its user namespace. */
#define SANDBOX_UID 1000
#define SANDBOX_GID 1000

struct bind_spec {
        char *src; /* absolute, resolved host path */
        char *dst; /* absolute path inside */
        bool writable;
};

struct sandbox_config {
        char *source; /* absolute, resolved */
        char **argv;
        char **envp;
        char *rootfs; /* NULL: the host's system directories, read-only */
        struct bind_spec *binds;
        size_t n_binds, n_binds_allocated;
        char *hostname;
        uint64_t tmp_size;
        uint64_t timeout_usec; /* 0: none */
        struct cgroup_limits limits;
        /*
         * The monitor's hooks. before_clone gets the build's cgroup v2 id (0 when
         * it has none) before the build's init exists: it must leave no other
         * thread running, since a fork in a multi-threaded process can inherit a
         * lock held by another thread (malloc's, say) and hang. after_clone runs
         * once init exists, before anything of the build runs.
         */
        void (*before_clone)(void *userdata, uint64_t cgroup_id);
        void (*after_clone)(void *userdata);
        void *userdata;
};

struct survivor {
        pid_t host_pid;
        pid_t pid;  /* inside the sandbox's pid namespace */
        pid_t ppid; /* inside */
        char *exe;
        bool exe_deleted;
        char **argv;
        uint64_t seen_usec; /* CLOCK_REALTIME */
};

enum sandbox_end {
        SANDBOX_END_EXITED,      /* CMD exited or was killed by a signal: see status */
        SANDBOX_END_EXEC_FAILED, /* CMD could not be executed: see exec_errno */
        SANDBOX_END_TIMEOUT,
        SANDBOX_END_INTERRUPTED, /* buildward got SIGINT/SIGTERM/SIGHUP */
};

/* What the sandbox actually got: reported verbatim in report.json. */
struct sandbox_state {
        uid_t host_uid;
        const char *source_mapping; /* "idmapped", "owner" or "direct" */
        bool privileged;            /* buildward ran as root */
        bool seccomp;
        int landlock_abi; /* 0: unavailable */
        char **warnings;
        char **masked_hardlinks; /* in the source tree, relative to it: see hardlinks.c */
        struct cgroup cg;
        struct build_registration registration; /* of cg, for orphans_reap() */
        /* As root: the way back out of buildward's own mount namespace (sandbox_leave()). */
        bool host_saved;
        int host_mntns_fd, host_cwd_fd;
        pid_t ns_holder;
};

struct sandbox_result {
        enum sandbox_end end;
        int status; /* wait status of CMD */
        int exec_errno;
        int signal; /* for SANDBOX_END_INTERRUPTED */
        struct survivor *survivors;
        size_t n_survivors, n_survivors_allocated;
        struct cgroup_usage usage;
        pid_t pending_init; /* killed, frozen, not yet reaped: see sandbox_reap() */
};

/* The build's view of the source tree after the run, kept mounted until sandbox_free(). */
struct sandbox_views {
        int merged_fd; /* the source tree as the build left it */
        int upper_fd;  /* overlay upper: what the build changed */
        int lower_fd;  /* the real source tree */
};

struct sandbox;

/*
 * Sets up the sandbox, runs argv in it and tears it down. On failure returns
 * -errno and fills *ret_failure with a one-line "cause; fix" message.
 */
/*
 * As root: drops the supplementary groups, which would follow the build into
 * its namespace. sandbox_run() does it too, but call it before starting
 * threads: glibc stops every thread with a signal to change them, and a
 * thread inside a long system call (a BPF verification) gets EAGAIN or keeps
 * the caller waiting.
 */
int sandbox_drop_groups(void);
int sandbox_run(const struct sandbox_config *cfg, struct sandbox_state *state, struct sandbox_result *ret,
                struct sandbox_views *ret_views, char **ret_failure);
/* Waits until every process of the build is gone. sandbox_result_done() calls it too. */
void sandbox_reap(struct sandbox_result *r);
void sandbox_result_done(struct sandbox_result *r);
/*
 * Once the views are open and nothing reads the stage by path any more:
 * buildward returns to the host's mount namespace and leaves the stage's to a
 * helper process, whose exit tears it down (the tmpfs, the overlays, about
 * twenty mounts) on the other core while the reports are written, not on
 * buildward's own exit. Best effort; the working directory is kept.
 */
void sandbox_leave(struct sandbox_state *s);
/*
 * sandbox_leave()'s helper, apart for tests: a process sharing our memory that
 * holds no file descriptor but a pipe's read end and exits at its EOF, that
 * is once *RET_WFD is closed (or we die). Once per process (-EBUSY after).
 */
pid_t sandbox_spawn_holder(int *ret_wfd);
void sandbox_state_done(struct sandbox_state *s);

/* The landlock ABI this kernel offers; 0 when it has none. */
int landlock_abi(void);

/*
 * The build's init is a fork of buildward, and anyone may read /proc/1/cmdline:
 * remember where the command line lives so init can blank it (it may hold
 * --env NAME=VALUE secrets and host paths).
 */
void sandbox_remember_cmdline(int argc, char **argv);
