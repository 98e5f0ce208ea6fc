/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Shared between the parts of the sandbox; not an API for the rest of buildward. */

#include <linux/filter.h>

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
        bool writable_root; /* --rootfs: the overlay root is the build's to write */
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

/* Names the current setup step (for the one-line failure message) and, with
 * BUILDWARD_DEBUG=1, logs when it started: start-up time is a feature. */
#define SETUP_STEP(var, name)                                                                                          \
        do {                                                                                                           \
                (var) = (name);                                                                                        \
                if (name)                                                                                              \
                        log_step(name);                                                                                \
        } while (0)
