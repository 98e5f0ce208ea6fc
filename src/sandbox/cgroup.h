/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct cgroup_limits {
        uint64_t memory;     /* bytes, 0: unlimited */
        uint64_t pids;       /* 0: unlimited */
        uint64_t cpus_milli; /* 1000 = one CPU, 0: unlimited */
};

enum cgroup_mode {
        CGROUP_NONE,   /* no usable hierarchy: limits not applied */
        CGROUP_V2,     /* unified hierarchy with controllers */
        CGROUP_HYBRID, /* v1 controllers + a cgroup2 mount without controllers */
        CGROUP_V1,     /* v1 controllers only */
};

struct cgroup {
        enum cgroup_mode mode;
        char *v2_path;   /* the build's cgroup in the unified hierarchy (v2 or hybrid) */
        char *v1_memory; /* v1 controller directories (hybrid/v1) */
        char *v1_pids;
        char *v1_cpu;
        char *v1_freezer;
        uint64_t v2_id;    /* cgroup id (inode of the v2 directory), for BPF scoping */
        char *not_applied; /* comma-separated limits requested but not enforced */
        char *why_not;     /* the reason for not_applied */
};

struct cgroup_usage {
        uint64_t memory_peak;
        uint64_t oom_kills;
        uint64_t pids_max_hits;
        uint64_t cpu_usec;
        bool valid;
};

const char *cgroup_mode_name(enum cgroup_mode m);
/* Detects the host layout without changing anything. */
enum cgroup_mode cgroup_detect(void);
/*
 * Creates the build's cgroups named NAME and applies limits. Never fails: where no
 * cgroup can be made, mode is CGROUP_NONE and not_applied/why_not say what and why.
 */
int cgroup_create(struct cgroup *cg, const char *name, const struct cgroup_limits *l);
/* Moves PID into the build's cgroups; V2_DONE when clone3 already placed it in the v2 one. */
int cgroup_attach(const struct cgroup *cg, pid_t pid, bool v2_done);
int cgroup_freeze(const struct cgroup *cg, bool freeze);
/* Kills every process of the build at once (cgroup.kill of the unified hierarchy). */
int cgroup_kill(const struct cgroup *cg);
void cgroup_read_usage(const struct cgroup *cg, struct cgroup_usage *u);
void cgroup_destroy(struct cgroup *cg);
