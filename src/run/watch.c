/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The eBPF monitor of one build: loaded on its own thread while the sandbox
 * is set up, armed from the sandbox's before_clone hook, so it records from
 * the build's first process on. Also the checks the monitor's reader calls
 * back into while the build runs: programs and libraries against the sealed
 * toolchain, path policies refused in the kernel (BPF-LSM), --enforce.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>

#include "basic/log.h"
#include "detect/engine.h"
#include "detect/policy.h"
#include "integrity/integrity.h"
#include "run/watch.h"
#include "sandbox/features.h"

static void *monitor_load(void *arg) {
        struct run_monitor *rm = arg;
        if (monitor_open(&rm->m, rm->protect != NULL, &rm->reason) < 0)
                rm->m = NULL;
        else if (rm->lsm_wanted && monitor_lsm_open(rm->m, &rm->lsm_reason) < 0)
                rm->lsm_failed = true;
        return NULL;
}

/*
 * Checks the host's file at PATH against the manifest, but only as the very
 * file the kernel used (INO, and DEV in the kernel's encoding): a bind over a
 * sealed path inside the sandbox shows another inode than the host's file.
 */
static int check_host_file(struct toolchain *tc, const char *path, uint64_t ino, uint32_t dev,
                           enum toolchain_verdict *ret) {
        if (!manifest_lookup(tc->manifest, path)) {
                *ret = TOOLCHAIN_NOT_IN_MANIFEST;
                return 0;
        }
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
        struct stat sb;
        if (fd < 0 || fstat(fd, &sb) < 0)
                return -errno;
        if (sb.st_ino != ino || major(sb.st_dev) != dev >> 20 || minor(sb.st_dev) != (dev & 0xfffff)) {
                *ret = TOOLCHAIN_MISMATCH;
                return 0;
        }
        return toolchain_check_fd(tc, fd, path, ret);
}

static bool under_sealed_root(const struct toolchain *tc, const char *path) {
        for (char **root = tc->manifest->roots; root && *root; root++)
                if (manifest_path_under(path, *root))
                        return true;
        return false;
}

/* Paths the sandbox shows from the host: system directories, and sealed roots (given with --ro-bind). */
static bool host_path(const struct toolchain *tc, const char *p) {
        return startswith(p, "/usr/") || startswith(p, "/bin/") || startswith(p, "/sbin/") || startswith(p, "/lib") ||
               startswith(p, "/opt/") || under_sealed_root(tc, p);
}

/*
 * The file an exec ran, against the sealed toolchain. /proc/PID/exe is the file
 * itself, but the reader sees an exec up to 100 ms late and short processes are
 * gone by then: a system or sealed path is then checked by name, which inside
 * the sandbox is the host's read-only file (not with --rootfs, whose tree is
 * another), and only if it is the very inode the kernel ran.
 * A match also gives the file's sealed digest and path: what path policies
 * identify a process by.
 */
static const char *run_check_exec(void *userdata, const struct event *ev, const char *exe, char **ret_digest,
                                  char **ret_path) {
        struct run_monitor *rm = userdata;
        if (!rm->tc)
                return NULL;
        enum toolchain_verdict v;
        _cleanup_free_ char *checked = NULL;
        int r = toolchain_check_pid(rm->tc, ev->pid, &v, &checked);
        /*
         * Gone already. A name under /proc or /dev/fd means a file of that
         * process (busybox re-executes /proc/self/exe): resolved here it would
         * be buildward's own. Such a file was judged when it was first run, or
         * is a fileless exec with a finding of its own; no verdict here.
         */
        if (r == -ESRCH && (startswith(exe, "/proc/") || startswith(exe, "/dev/fd/")))
                return NULL;
        /* the kernel ran the file a symlink (/usr/bin/cc) names: check that file, by its own path */
        _cleanup_free_ char *real = r == -ESRCH && !rm->rootfs ? realpath(exe, NULL) : NULL;
        if (real && host_path(rm->tc, real)) {
                r = check_host_file(rm->tc, real, ev->exe_ino, ev->exe_dev, &v);
                checked = TAKE_PTR(real);
        } else if (r == -ESRCH && exe[0] == '/' && !manifest_lookup(rm->tc->manifest, exe)) {
                /* gone already, and not a sealed path: whatever it held, it was not the toolchain's */
                v = TOOLCHAIN_NOT_IN_MANIFEST;
                r = 0;
        }
        if (r < 0)
                return NULL;
        const struct manifest_entry *m =
                v == TOOLCHAIN_MATCH && checked ? manifest_lookup(rm->tc->manifest, checked) : NULL;
        if (m && m->has_digest) {
                char d[VERITY_DIGEST_HEX];
                verity_format(m->digest, d);
                *ret_digest = xstrdup(d);
                *ret_path = TAKE_PTR(checked);
        }
        return toolchain_verdict_name(v);
}

/*
 * A file the build mapped as code (mmap with PROT_EXEC: every shared library,
 * dlopen() included), by the path the kernel resolved. Only files under the
 * manifest's sealed roots are judged: a library elsewhere is not the
 * toolchain's business (and the build's own outputs are told apart by the
 * rule, which knows what the build wrote).
 */
static const char *run_check_map(void *userdata, const struct event *ev) {
        struct run_monitor *rm = userdata;
        if (!rm->tc || rm->rootfs || !ev->resolved || !ev->path || ev->path_truncated)
                return NULL;
        enum toolchain_verdict v;
        if (!under_sealed_root(rm->tc, ev->path) || check_host_file(rm->tc, ev->path, ev->exe_ino, ev->exe_dev, &v) < 0)
                return NULL;
        return toolchain_verdict_name(v);
}

static void run_stop(void *userdata, const char *rule) {
        struct run_monitor *rm = userdata;
        free(rm->stopped_by);
        rm->stopped_by = xstrdup(rule);
        if (cgroup_kill(&rm->st->cg) < 0)
                log_warning("--enforce: cannot kill the build's cgroup (%s); it will be stopped when its command exits",
                            rm->st->cg.v2_path ? strerror(errno) : "no cgroup v2 directory");
}

/*
 * Which protect entries the kernel can decide exactly as the policy does
 * (docs/integrity.md, "Path policies"): a plain file path, compared
 * whole, or DIR/ followed by "**", every path below DIR. Any other glob the
 * kernel could only approximate by its literal prefix, which would refuse
 * paths the pattern does not cover: those are detected only. Returns the
 * monitor_lsm_rule() flags and the path the kernel compares, or 0.
 */
unsigned run_lsm_rule_flags(const struct protect_rule *r, const char **ret_path) {
        unsigned flags =
                (r->has_read ? MONITOR_LSM_RESTRICT_READ : 0) | (r->has_write ? MONITOR_LSM_RESTRICT_WRITE : 0);
        size_t n = strlen(r->prefix);
        if (!strpbrk(r->path, "*?[\\")) {
                *ret_path = r->path;
                return flags | MONITOR_LSM_EXACT;
        }
        if (n > 0 && r->prefix[n - 1] == '/' && !strchr(r->prefix, '\\') && streq(r->path + n, "**")) {
                *ret_path = r->prefix;
                return flags;
        }
        return 0;
}

/* Lets the host file at PATH do what rule INDEX allows it, if it is the sealed file (checked now). */
static int lsm_allow_file(struct run_monitor *rm, const char *path, unsigned index, bool write) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
        if (fd < 0)
                return 0; /* gone: nothing to allow, and the kernel refuses whatever runs there */
        enum toolchain_verdict v;
        struct stat sb;
        int r = toolchain_check_fd(rm->tc, fd, path, &v);
        if (r < 0 || v != TOOLCHAIN_MATCH || fstat(fd, &sb) < 0)
                return r < 0 ? r : 0; /* not the sealed file: not allowed (detection says sealed-mismatch) */
        return monitor_lsm_allow(rm->m, sb.st_ino, sb.st_dev, index, !write, write);
}

/*
 * The kernel's copy of the path policy: first every allowed executable (the
 * host files matching the sealed toolchain, by inode), then the rules, so no
 * moment exists where a rule is in force and an allowed file is not yet known.
 */
static int lsm_fill(struct run_monitor *rm) {
        const struct policy *p = rm->policy;
        for (size_t i = 0; i < p->n_protect; i++) {
                const struct protect_rule *r = &p->protect[i];
                const char *kpath;
                if (!run_lsm_rule_flags(r, &kpath))
                        continue;
                for (int w = 0; w < 2 && rm->tc; w++)
                        for (char **x = w ? r->write : r->read; x && *x; x++) {
                                const struct manifest *mf = rm->tc->manifest;
                                int q = 0;
                                if (!startswith(*x, "sha256:")) {
                                        const struct manifest_entry *me = manifest_lookup(mf, *x);
                                        q = me ? lsm_allow_file(rm, me->path, (unsigned) i, w) : 0;
                                } else /* a digest stands for every sealed file with that content */
                                        for (size_t k = 0; k < mf->n && q >= 0; k++) {
                                                char d[VERITY_DIGEST_HEX];
                                                if (mf->v[k].type != 'f' || !mf->v[k].has_digest)
                                                        continue;
                                                verity_format(mf->v[k].digest, d);
                                                if (streq(d, *x))
                                                        q = lsm_allow_file(rm, mf->v[k].path, (unsigned) i, w);
                                        }
                                if (q < 0)
                                        return q;
                        }
        }
        for (size_t i = 0; i < p->n_protect; i++) {
                const char *kpath;
                unsigned flags = run_lsm_rule_flags(&p->protect[i], &kpath);
                int r = flags ? monitor_lsm_rule(rm->m, (unsigned) i, kpath, flags) : 0;
                if (r < 0)
                        return r;
        }
        return 0;
}

static void monitor_before_clone(void *userdata, uint64_t cgroup_id) {
        struct run_monitor *rm = userdata;
        if (rm->loading) {
                pthread_join(rm->loader, NULL);
                rm->loading = false;
        }
        if (!rm->m)
                return;
        if (cgroup_id == 0) {
                rm->reason =
                        xstrdup("the build has no cgroup v2 directory to scope the monitor to (buildward not root, "
                                "or no cgroup2 mount): run as root on a host with cgroup2");
                return;
        }
        if (rm->tc)
                monitor_record_maps(rm->m); /* libraries are judged against the manifest */
        int r = monitor_protect(rm->m, rm->protect, strv_length(rm->protect));
        if (r < 0) {
                rm->reason = xasprintf("cannot give the protected paths to the monitor (%s)", strerror(-r));
                return;
        }
        if (monitor_lsm_loaded(rm->m)) {
                r = lsm_fill(rm);
                if (r < 0) {
                        monitor_lsm_close(rm->m); /* never a half-filled policy in the kernel */
                        rm->lsm_failed = true;
                        rm->lsm_reason =
                                xasprintf("cannot give the path policy to the BPF-LSM program (%s)", strerror(-r));
                } else
                        rm->lsm_active = true;
        }
        monitor_set_events_max(rm->m, rm->events_max);
        int fd = openat(rm->out_fd, "events.jsonl", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
        r = fd < 0 ? -errno : monitor_arm(rm->m, cgroup_id, fd, rm->engine, rm->source);
        if (r < 0)
                rm->reason = xasprintf("cannot start the monitor (%s)", strerror(-r));
        else
                rm->armed = true;
}

static void monitor_after_clone(void *userdata) {
        struct run_monitor *rm = userdata;
        if (!rm->armed)
                return;
        int r = monitor_run(rm->m);
        if (r < 0)
                rm->reason = xasprintf("cannot start the monitor's reader (%s)", strerror(-r));
        else
                rm->started = true;
}

/*
 * Whether this run also refuses path-policy violations in the kernel
 * (BPF-LSM), or why not; tried only when the kernel runs the bpf LSM. The
 * load itself may still fail (a kernel or hypervisor refusing LSM programs):
 * monitor_load() then falls back to detection.
 */
static void lsm_decide(const struct run_options *a, struct run_monitor *rm) {
        const struct policy *p = a->policy;
        bool any = false;
        for (size_t i = 0; i < p->n_protect && !any; i++) {
                const char *kpath;
                any = run_lsm_rule_flags(&p->protect[i], &kpath) != 0;
        }
        _cleanup_free_ char *list = NULL;
        int r;
        rm->policy = p;
        if (a->cfg.rootfs)
                rm->lsm_reason = xstrdup("--rootfs: the kernel identifies allowed executables as host files, and "
                                         "this build runs another tree's");
        else if (!any)
                rm->lsm_reason = xstrdup("no protect entry is a file or a 'DIR/**' pattern, the ones the kernel "
                                         "decides exactly; other globs are detected only");
        else if ((r = bpf_lsm_enabled(&list)) < 0)
                rm->lsm_reason =
                        xasprintf("BPF-LSM state unknown: cannot read /sys/kernel/security/lsm (%s)", strerror(-r));
        else if (r == 0)
                rm->lsm_reason = xasprintf("BPF-LSM is not enabled (the active LSMs are '%s'); add bpf to lsm= on "
                                           "the kernel command line to have violations refused in the kernel",
                                           list);
        else
                rm->lsm_wanted = true;
}

/*
 * Path policies (policy.h, protect) against what this run can check: named
 * executables are identified through the sealed toolchain, so they need
 * --toolchain, and a path must name a file of the manifest (a symlink would
 * never be what /proc/PID/exe shows). The kernel side takes 16 prefixes.
 */
int run_check_protect(const struct run_options *a, char ***ret_prefixes) {
        const struct policy *p = a->policy;
        if (!p || p->n_protect == 0)
                return 0;
        const struct protect_rule *named = policy_names_executables(p);
        if (named && !a->tc)
                return run_fail("the policy '%s' line %u lets named executables access '%s', and executables are "
                                "identified by their sealed digests; pass --toolchain MANIFEST, or allow nobody "
                                "(read: [] and write: [])",
                                p->file, named->line, named->path);
        if (p->n_protect > MONITOR_PROTECT_MAX)
                return run_fail("the policy '%s' protects %zu paths, and the monitor takes %d; join them under "
                                "common directories with globs",
                                p->file, p->n_protect, MONITOR_PROTECT_MAX);
        for (size_t i = 0; i < p->n_protect; i++) {
                const struct protect_rule *r = &p->protect[i];
                if (strlen(r->prefix) > MONITOR_PROTECT_LEN)
                        return run_fail("the policy '%s' line %u protects '%s', whose directory is longer than %d "
                                        "bytes; protect a shorter path",
                                        p->file, r->line, r->path, MONITOR_PROTECT_LEN);
                for (int w = 0; w < 2; w++)
                        for (char **x = w ? r->write : r->read; x && *x; x++) {
                                if (startswith(*x, "sha256:"))
                                        continue;
                                const struct manifest_entry *m = manifest_lookup(a->tc->manifest, *x);
                                if (!m)
                                        return run_fail("the policy '%s' line %u allows '%s', which is not in the "
                                                        "toolchain manifest '%s'; seal it, or name its digest",
                                                        p->file, r->line, *x, a->toolchain);
                                if (m->type != 'f')
                                        return run_fail("the policy '%s' line %u allows '%s', which is not a file in "
                                                        "the toolchain manifest (a symlink to '%s'?); name the "
                                                        "sealed file itself, or its digest",
                                                        p->file, r->line, *x, m->target ? m->target : "-");
                        }
                strv_push(ret_prefixes, xstrdup(r->prefix));
        }
        return 0;
}

/* The bound on events.jsonl (0: none): --events-max-size, or the default of run.h. */
static uint64_t events_max_decide(uint64_t given, int out_fd) {
        if (given == UINT64_MAX)
                return 0;
        if (given)
                return given;
        struct statvfs sv;
        uint64_t max = RUN_DEFAULT_EVENTS_MAX;
        if (fstatvfs(out_fd, &sv) == 0) {
                uint64_t half_free = (uint64_t) sv.f_bavail * sv.f_frsize / 2;
                if (half_free < max)
                        max = half_free < (1ULL << 20) ? 1ULL << 20 : half_free;
        }
        return max;
}

int run_watch_setup(struct run_monitor *rm, struct run_options *o, const struct sandbox_state *st, int out_fd) {
        if (o->no_monitor)
                return 0;
        if (geteuid() != 0) {
                /* Also: an unprivileged start must stay single-threaded to enter its user namespace. */
                rm->reason = xstrdup("the eBPF monitor needs root; run buildward as root to watch the build");
                return 0;
        }
        int r = sandbox_drop_groups();
        if (r < 0)
                return run_fail("cannot drop root's supplementary groups (%s); the build must not inherit them: run "
                                "buildward in a context that allows setgroups()",
                                strerror(-r));
        rm->out_fd = out_fd;
        rm->events_max = events_max_decide(o->events_max, out_fd);
        engine_set_live(rm->engine, true);
        rm->tc = o->tc;
        rm->st = st;
        rm->rootfs = o->cfg.rootfs;
        engine_set_hooks(rm->engine, &(struct engine_hooks){
                                             .check_exec = o->tc ? run_check_exec : NULL,
                                             .check_map = o->tc ? run_check_map : NULL,
                                             .stop = o->enforce ? run_stop : NULL,
                                             .userdata = rm,
                                     });
        rm->source = o->cfg.source;
        if (rm->protect)
                lsm_decide(o, rm);
        rm->loading = pthread_create(&rm->loader, NULL, monitor_load, rm) == 0;
        if (!rm->loading)
                monitor_load(rm);
        o->cfg.before_clone = monitor_before_clone;
        o->cfg.after_clone = monitor_after_clone;
        o->cfg.userdata = rm;
        return 0;
}

void run_watch_stop(struct run_monitor *rm, struct sandbox_result *res) {
        if (!rm->started)
                return;
        /* The exits of what was killed are events too: collect them before counting. */
        sandbox_reap(res);
        monitor_stop(rm->m, &rm->stats);
        rm->armed = false;
}

void run_watch_done(struct run_monitor *rm) {
        if (rm->loading)
                pthread_join(rm->loader, NULL);
        rm->loading = false;
        if (rm->armed) { /* still recording: a path that left early */
                struct monitor_stats ignored;
                monitor_stop(rm->m, &ignored);
                rm->armed = false;
        }
        monitor_free(rm->m);
        rm->m = NULL;
        engine_free(rm->engine);
        rm->engine = NULL;
        free(rm->reason);
        free(rm->lsm_reason);
        free(rm->stopped_by);
        strv_free(rm->protect);
        rm->reason = rm->lsm_reason = rm->stopped_by = NULL;
        rm->protect = NULL;
}
