/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Build cgroups. Pure v2 hosts get one directory under /sys/fs/cgroup/buildward with
 * memory, pids and cpu enabled. Hybrid hosts (v1 controllers plus an empty cgroup2 at
 * /sys/fs/cgroup/unified, like ours) get a v2 directory for its id, freeze and kill,
 * and one directory per v1 controller for the limits.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "basic/log.h"
#include "sandbox/cgroup.h"

#define CG_ROOT "/sys/fs/cgroup"

const char *cgroup_mode_name(enum cgroup_mode m) {
        switch (m) {
        case CGROUP_V2:
                return "v2";
        case CGROUP_HYBRID:
                return "hybrid";
        case CGROUP_V1:
                return "v1";
        default:
                return "none";
        }
}

static bool is_fs(const char *path, long magic) {
        struct statfs s;
        return statfs(path, &s) == 0 && (long) s.f_type == magic;
}

enum cgroup_mode cgroup_detect(void) {
        if (is_fs(CG_ROOT, CGROUP2_SUPER_MAGIC))
                return CGROUP_V2;
        bool v1 = is_fs(CG_ROOT "/memory", CGROUP_SUPER_MAGIC) || is_fs(CG_ROOT "/pids", CGROUP_SUPER_MAGIC);
        if (v1 && is_fs(CG_ROOT "/unified", CGROUP2_SUPER_MAGIC))
                return CGROUP_HYBRID;
        return v1 ? CGROUP_V1 : CGROUP_NONE;
}

static int write_attr(const char *dir, const char *attr, const char *value) {
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, attr);
        int r = write_string_file(p, value);
        if (r < 0)
                log_debug("cgroup: writing '%s' to %s: %s", value, p, strerror(-r));
        return r;
}

static int read_u64_attr(const char *dir, const char *attr, const char *key, uint64_t *ret) {
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, attr), *buf = NULL;
        if (read_full_file(p, &buf, NULL, 1 << 16) < 0)
                return -ENOENT;
        if (!key)
                return sscanf(buf, "%" SCNu64, ret) == 1 ? 0 : -EINVAL;
        size_t kl = strlen(key);
        for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
                if (strncmp(line, key, kl) == 0 && line[kl] == ' ')
                        return sscanf(line + kl + 1, "%" SCNu64, ret) == 1 ? 0 : -EINVAL;
        return -ENOENT;
}

/* mkdir PARENT/buildward (shared by all builds) and PARENT/buildward/NAME. */
static int make_dir(const char *controller_root, const char *name, char **ret) {
        _cleanup_free_ char *base = xasprintf("%s/buildward", controller_root);
        if (mkdir(base, 0755) < 0 && errno != EEXIST)
                return -errno;
        _cleanup_free_ char *p = xasprintf("%s/%s", base, name);
        if (mkdir(p, 0755) < 0)
                return -errno;
        *ret = TAKE_PTR(p);
        return 0;
}

static void note_not_applied(struct cgroup *cg, const char *what, const char *why) {
        char *n = cg->not_applied ? xasprintf("%s,%s", cg->not_applied, what) : xstrdup(what);
        free(cg->not_applied);
        cg->not_applied = n;
        if (!cg->why_not)
                cg->why_not = xstrdup(why);
}

static void note_not_applied_err(struct cgroup *cg, const char *what, const char *where, int err) {
        _cleanup_free_ char *why = xasprintf("cannot create a cgroup under %s (%s)", where, strerror(-err));
        note_not_applied(cg, what, why);
}

static void set_v2_id(struct cgroup *cg) {
        struct stat st;
        if (cg->v2_path && stat(cg->v2_path, &st) == 0)
                cg->v2_id = st.st_ino;
}

static int create_v2(struct cgroup *cg, const char *name, const struct cgroup_limits *l) {
        int r = make_dir(CG_ROOT, name, &cg->v2_path);
        if (r < 0)
                return r;
        /*
         * Controllers must be enabled on every level down to ours, one by one: a
         * write naming a controller the host lacks is refused as a whole.
         */
        static const char *const controllers[] = { "+memory", "+pids", "+cpu" };
        for (size_t i = 0; i < ELEMENTSOF(controllers); i++) {
                (void) write_attr(CG_ROOT, "cgroup.subtree_control", controllers[i]);
                (void) write_attr(CG_ROOT "/buildward", "cgroup.subtree_control", controllers[i]);
        }
        char v[64];
        if (l->memory) {
                snprintf(v, sizeof(v), "%" PRIu64, l->memory);
                if (write_attr(cg->v2_path, "memory.max", v) < 0)
                        note_not_applied(cg, "memory",
                                         "the memory controller is not enabled for /sys/fs/cgroup/buildward");
                (void) write_attr(cg->v2_path, "memory.swap.max", "0");
                (void) write_attr(cg->v2_path, "memory.oom.group", "0");
        }
        if (l->pids) {
                snprintf(v, sizeof(v), "%" PRIu64, l->pids);
                if (write_attr(cg->v2_path, "pids.max", v) < 0)
                        note_not_applied(cg, "pids", "the pids controller is not enabled for /sys/fs/cgroup/buildward");
        }
        if (l->cpus_milli) {
                snprintf(v, sizeof(v), "%" PRIu64 " 100000", l->cpus_milli * 100);
                if (write_attr(cg->v2_path, "cpu.max", v) < 0)
                        note_not_applied(cg, "cpus", "the cpu controller is not enabled for /sys/fs/cgroup/buildward");
        }
        set_v2_id(cg);
        return 0;
}

static int create_v1(struct cgroup *cg, const char *name, const struct cgroup_limits *l) {
        char v[64];
        int r;
        if (cg->mode == CGROUP_HYBRID && make_dir(CG_ROOT "/unified", name, &cg->v2_path) < 0)
                log_debug("cgroup: no v2 directory in the hybrid hierarchy");
        set_v2_id(cg);

        /* The v1 freezer only where there is no unified hierarchy to freeze with. */
        if (!cg->v2_path && is_fs(CG_ROOT "/freezer", CGROUP_SUPER_MAGIC))
                (void) make_dir(CG_ROOT "/freezer", name, &cg->v1_freezer);

        /*
         * v1 directories only for the limits asked for: moving a process into a v1
         * cgroup waits for an RCU grace period (10-20 ms), and there is no
         * CLONE_INTO_CGROUP for v1. The unified directory gives freeze and CPU time.
         */
        if (l->memory && (r = make_dir(CG_ROOT "/memory", name, &cg->v1_memory)) < 0)
                note_not_applied_err(cg, "memory", CG_ROOT "/memory", r);
        else if (l->memory) {
                snprintf(v, sizeof(v), "%" PRIu64, l->memory);
                if (write_attr(cg->v1_memory, "memory.limit_in_bytes", v) < 0)
                        note_not_applied(cg, "memory", "memory.limit_in_bytes refused the value");
                /* Without swap accounting the file is absent: then there is no swap to escape to either. */
                (void) write_attr(cg->v1_memory, "memory.memsw.limit_in_bytes", v);
        }
        if (l->pids && (r = make_dir(CG_ROOT "/pids", name, &cg->v1_pids)) < 0)
                note_not_applied_err(cg, "pids", CG_ROOT "/pids", r);
        else if (l->pids) {
                snprintf(v, sizeof(v), "%" PRIu64, l->pids);
                if (write_attr(cg->v1_pids, "pids.max", v) < 0)
                        note_not_applied(cg, "pids", "pids.max refused the value");
        }
        if (l->cpus_milli) {
                if ((r = make_dir(CG_ROOT "/cpu", name, &cg->v1_cpu)) < 0)
                        note_not_applied_err(cg, "cpus", CG_ROOT "/cpu", r);
                else {
                        snprintf(v, sizeof(v), "%" PRIu64, l->cpus_milli * 100);
                        if (write_attr(cg->v1_cpu, "cpu.cfs_period_us", "100000") < 0 ||
                            write_attr(cg->v1_cpu, "cpu.cfs_quota_us", v) < 0)
                                note_not_applied(cg, "cpus", "cpu.cfs_quota_us refused the value");
                }
        }
        return 0;
}

/* No cgroup for this build: every limit asked for is recorded as not applied, with WHY. */
static void no_cgroup(struct cgroup *cg, const struct cgroup_limits *l, const char *why) {
        cg->mode = CGROUP_NONE;
        if (l->memory)
                note_not_applied(cg, "memory", why);
        if (l->pids)
                note_not_applied(cg, "pids", why);
        if (l->cpus_milli)
                note_not_applied(cg, "cpus", why);
}

int cgroup_create(struct cgroup *cg, const char *name, const struct cgroup_limits *l) {
        cg->mode = cgroup_detect();
        if (geteuid() != 0) {
                no_cgroup(cg, l, "buildward is not running as root and cgroups are not delegated to it");
                return 0;
        }
        if (cg->mode == CGROUP_NONE) {
                no_cgroup(cg, l, "no cgroup hierarchy is mounted at /sys/fs/cgroup");
                return 0;
        }
        int r = cg->mode == CGROUP_V2 ? create_v2(cg, name, l) : create_v1(cg, name, l);
        if (r < 0) {
                /*
                 * A container's read-only /sys/fs/cgroup, typically. The build still
                 * runs, isolated by its namespaces; the limits are reported missing.
                 */
                cgroup_destroy(cg);
                _cleanup_free_ char *why = xasprintf("cannot create a cgroup under /sys/fs/cgroup (%s); mount it "
                                                     "read-write or delegate a subtree to buildward",
                                                     strerror(-r));
                no_cgroup(cg, l, why);
        }
        return 0;
}

int cgroup_attach(const struct cgroup *cg, pid_t pid, bool v2_done) {
        char v[32];
        snprintf(v, sizeof(v), "%d", (int) pid);
        const char *dirs[] = { v2_done ? NULL : cg->v2_path, cg->v1_memory, cg->v1_pids, cg->v1_cpu, cg->v1_freezer };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                if (!dirs[i])
                        continue;
                int r = write_attr(dirs[i], "cgroup.procs", v);
                if (r < 0)
                        return r;
        }
        return 0;
}

int cgroup_freeze(const struct cgroup *cg, bool freeze) {
        if (cg->v2_path && write_attr(cg->v2_path, "cgroup.freeze", freeze ? "1" : "0") == 0)
                return 0;
        if (cg->v1_freezer)
                return write_attr(cg->v1_freezer, "freezer.state", freeze ? "FROZEN" : "THAWED");
        return -EOPNOTSUPP;
}

int cgroup_kill(const struct cgroup *cg) {
        if (!cg->v2_path)
                return -EOPNOTSUPP;
        return write_attr(cg->v2_path, "cgroup.kill", "1");
}

void cgroup_read_usage(const struct cgroup *cg, struct cgroup_usage *u) {
        uint64_t v;
        *u = (struct cgroup_usage){};
        if (cg->mode == CGROUP_V2 && cg->v2_path) {
                u->valid = true;
                if (read_u64_attr(cg->v2_path, "memory.peak", NULL, &v) == 0)
                        u->memory_peak = v;
                if (read_u64_attr(cg->v2_path, "memory.events", "oom_kill", &v) == 0)
                        u->oom_kills = v;
                if (read_u64_attr(cg->v2_path, "pids.events", "max", &v) == 0)
                        u->pids_max_hits = v;
                if (read_u64_attr(cg->v2_path, "cpu.stat", "usage_usec", &v) == 0)
                        u->cpu_usec = v;
                return;
        }
        if (cg->v1_memory) {
                u->valid = true;
                if (read_u64_attr(cg->v1_memory, "memory.max_usage_in_bytes", NULL, &v) == 0)
                        u->memory_peak = v;
                if (read_u64_attr(cg->v1_memory, "memory.oom_control", "oom_kill", &v) == 0)
                        u->oom_kills = v;
        }
        if (cg->v1_pids) {
                u->valid = true;
                if (read_u64_attr(cg->v1_pids, "pids.events", "max", &v) == 0)
                        u->pids_max_hits = v;
        }
        if (cg->v2_path && read_u64_attr(cg->v2_path, "cpu.stat", "usage_usec", &v) == 0) {
                u->valid = true;
                u->cpu_usec = v;
        }
}

void cgroup_destroy(struct cgroup *cg) {
        char **dirs[] = { &cg->v2_path, &cg->v1_memory, &cg->v1_pids, &cg->v1_cpu, &cg->v1_freezer };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                if (!*dirs[i])
                        continue;
                /* The processes are gone by now; a few retries cover the kernel's lazy release. */
                for (int tries = 0; tries < 50 && rmdir(*dirs[i]) < 0 && errno == EBUSY; tries++)
                        usleep(2000);
                free(*dirs[i]);
                *dirs[i] = NULL;
        }
        free(cg->not_applied);
        free(cg->why_not);
        cg->not_applied = cg->why_not = NULL;
}
