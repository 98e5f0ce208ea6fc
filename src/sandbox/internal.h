/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Shared between the parts of the sandbox; not an API for the rest of buildward. */

#include <linux/filter.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "basic/log.h"
#include "sandbox/sandbox.h"

/*
 * The parent assembles the build's root in a staging tmpfs inside its own private
 * mount namespace, so nothing it mounts is ever visible on the host. The child
 * copies that namespace when it enters its user namespace, which locks every
 * mount it inherited: the build can neither unmount a mask nor remount a
 * read-only bind writable.
 */
struct stage {
        char *dir;           /* host directory the staging tmpfs is mounted on */
        char *root;          /* DIR/root: becomes "/" of the build */
        char *merged;        /* ROOT + source: the source overlay */
        char *upper;         /* DIR/upper: the build's changes to the source */
        int source_fd;       /* O_PATH of the real source tree */
        int idmap_userns_fd; /* prepared by the parent's helper thread, or -EBADF */
        uid_t map_uid;       /* the build's uid/gid as seen from the parent's user namespace */
        gid_t map_gid;
        uid_t source_uid; /* owner of the source tree */
        gid_t source_gid;
        const char *source_mapping;
        bool writable_root;      /* --rootfs: the overlay root is the build's to write */
        char **masked_hardlinks; /* paths relative to the source, masked in the overlay (hardlinks.c) */
};

/* Everything but the source tree and the binds: root, system dirs, /etc, /dev, private dirs. */
int stage_prepare(struct stage *st, const struct sandbox_config *cfg, char **ret_failure);
/* The source overlay (idmapped where st->source_mapping says so) and --bind/--ro-bind. */
int stage_prepare_source(struct stage *st, const struct sandbox_config *cfg, char ***warnings, char **ret_failure);
/* A read-only sysfs of the calling thread's network namespace at ROOT/sys. */
void stage_mount_sysfs(const struct stage *st);
/* A user namespace fd describing the source idmapping (owner -> build uid). */
int stage_idmap_userns(const struct stage *st);
void stage_release(struct stage *st);

/* A recursive bind of SRC on DST: read-only, or nosuid and nodev. 0 or -errno. */
int bind_mount(const char *src, const char *dst, bool readonly);

/* Child side, inside the new namespaces: proc, devpts, pivot_root, read-only root. */
int stage_enter(const struct stage *st, const char **ret_step);

/*
 * The build's seccomp filters as classic BPF, loaded by CMD's process just
 * before execve. seccomp_prepare() compiles them with libseccomp (about a
 * millisecond); the build of buildward runs it once and embeds the result, which
 * seccomp_builtin() returns. test-seccomp checks that the two agree.
 */
struct seccomp_programs {
        struct sock_fprog prog[2];
        size_t n;
        bool owned; /* the filters are heap copies to free */
};
int seccomp_prepare(struct seccomp_programs *p);
void seccomp_builtin(struct seccomp_programs *p);
int seccomp_apply(const struct seccomp_programs *p);
void seccomp_programs_done(struct seccomp_programs *p);
/* Returns the ABI applied (>0), 0 when the kernel lacks landlock, -errno on failure. */
int landlock_apply(const char *source, const struct bind_spec *binds, size_t n_binds, bool rootfs);

int loopback_up(void);

/* Whether PATH's filesystem accepts idmapped mounts (needs root). 0 or -errno. */
int idmap_probe(const char *path);

/* ---- the build's process tree (sandbox.c, init.c, userns.c, survivors.c, supervise.c) ---- */

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

/* What pid 2 tells the parent when it cannot become CMD. */
struct exec_failure {
        int32_t err;
        char step[44];
};

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
/* init.c: pid 1 of the build and what it runs as pid 2 */
_noreturn_ void child_main(const struct child_ctx *c);
pid_t clone_init(const struct cgroup *cg, bool *ret_in_v2);

/* userns.c: uids, user namespaces, the helper thread, the staging directory */
void prep_start(struct prep_job *j, const struct stage *st);
void prep_finish(struct prep_job *j);
int allocate_host_uid(uid_t *ret, int *ret_lock_fd);
int write_map(pid_t pid, const char *file, unsigned inside, unsigned outside);
char *namespace_failure_message(int err);
int enter_own_userns(char **ret_failure);
char *stage_dir_get(bool privileged);

/*
 * hardlinks.c: regular files of the tree at SOURCE_FD (its own filesystem
 * only) with several links whose owner is not OWNER, or which are private
 * (not readable by their owner or by others). The count and the paths
 * relative to the tree; -ELOOP deeper than HARDLINKS_MAX_DEPTH, -E2BIG past
 * HARDLINKS_MAX_MASKED (one mount each), or -errno.
 */
#define HARDLINKS_MAX_DEPTH  1024
#define HARDLINKS_MAX_MASKED 1024
int source_hardlinks_find(int source_fd, uid_t owner, char ***ret_paths);
/* Binds an empty, mode-000 file over each of them in the overlay at ST->merged (at most HARDLINKS_MAX_MASKED). */
int stage_mask_hardlinks(struct stage *st, const char *source, char ***warnings, char **ret_failure);

/* survivors.c: what outlived CMD */
void collect_survivors(pid_t init, const char *ns, struct sandbox_result *res);
bool cgroup_only_holds(const struct cgroup *cg, pid_t init);

/*
 * supervise.c: the parent's wait for CMD (its status from init, a signal, the
 * deadline). Fills RES->end; 0, or -errno with *RET_FAILURE when init reported
 * that setup failed.
 */
int supervise_build(int status_fd, int exec_fd, int sfd, uint64_t timeout_usec, struct sandbox_result *res,
                    char ***warnings, char **ret_failure);
void kill_build(pid_t init, const struct sandbox_state *state);

/* Names the current setup step (for the one-line failure message) and, with
 * BUILDWARD_DEBUG=1, logs when it started: start-up time is a feature. */
#define SETUP_STEP(var, name)                                                                                          \
        do {                                                                                                           \
                (var) = (name);                                                                                        \
                if (name)                                                                                              \
                        log_step(name);                                                                                \
        } while (0)
