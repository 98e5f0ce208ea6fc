/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "basic/json-util.h"
#include "basic/log.h"
#include "basic/size.h"
#include "cli/commands.h"
#include "crypto/openssl-dl.h"
#include "detect/catalog.h"
#include "detect/engine.h"
#include "detect/policy.h"
#include "integrity/integrity.h"
#include "sandbox/cgroup.h"
#include "monitor/monitor.h"
#include "provenance/provenance.h"
#include "report/report.h"
#include "report/writers.h"
#include "sandbox/env.h"
#include "sandbox/features.h"
#include "sandbox/sandbox.h"

#define DEFAULT_TMP_SIZE     (4ULL << 30)
#define DEFAULT_ARTIFACT_MAX (4ULL << 30)
#define MAX_SOURCE_CHANGES   100000
#define MAX_PROCESSES        50000 /* in report.json; events.jsonl has them all */

struct run_args {
        struct sandbox_config cfg;
        char *out;
        char **artifacts;
        char **env_specs;
        uint64_t artifact_max;
        enum severity fail_on;
        bool fail_on_given;
        char *policy_path;
        struct policy *policy;
        bool no_monitor;
        bool quiet;
        char *sign_key, *ledger;       /* provenance and ledger (provenance/provenance.h) */
        char *toolchain;               /* --toolchain MANIFEST */
        struct toolchain *tc;          /* its manifest, open for the checks during the build */
        bool enforce;                  /* --enforce: a tampered toolchain stops the build at once */
        json_object *toolchain_report; /* report.json's sandbox.toolchain */
};

static void run_args_done(struct run_args *a) {
        free(a->cfg.source);
        free(a->cfg.rootfs);
        free(a->cfg.hostname);
        strv_free(a->cfg.envp);
        for (size_t i = 0; i < a->cfg.n_binds; i++) {
                free(a->cfg.binds[i].src);
                free(a->cfg.binds[i].dst);
        }
        free(a->cfg.binds);
        free(a->out);
        strv_free(a->artifacts);
        strv_free(a->env_specs);
        free(a->policy_path);
        policy_free(a->policy);
        free(a->sign_key);
        free(a->ledger);
        free(a->toolchain);
        toolchain_free(a->tc);
        json_object_put(a->toolchain_report);
}

/*
 * The monitor is loaded on its own thread while the sandbox is set up (the
 * verifier takes milliseconds) and started from the sandbox's before_start hook,
 * before the build's first process runs.
 */
struct run_monitor {
        pthread_t loader;
        bool loading;
        struct monitor *m;
        struct engine *engine; /* owned by the monitor's reader while it runs */
        struct toolchain *tc;  /* run --toolchain: what ran is checked against it */
        const struct sandbox_state *st;
        const char *rootfs;
        char *stopped_by; /* --enforce stopped the build for this rule */
        char **protect;   /* path policies: the prefixes the kernel side records opens under */
        const struct policy *policy;
        bool lsm_wanted;  /* path policies refused in the kernel too (BPF-LSM): this host runs the bpf LSM */
        bool lsm_active;  /* ... and the program is loaded, with the policy's rules */
        bool lsm_failed;  /* it was wanted, and loading or filling it failed: one warning */
        char *lsm_reason; /* why not, for the report */
        const char *source;
        char *reason;
        int out_fd;
        bool armed, started;
        struct monitor_stats stats;
};

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
static unsigned lsm_rule_flags(const struct protect_rule *r, const char **ret_path) {
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
                if (!lsm_rule_flags(r, &kpath))
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
                unsigned flags = lsm_rule_flags(&p->protect[i], &kpath);
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

static void help(void) {
        printf("usage: buildward run [OPTIONS] -- CMD [ARGS...]\n\n"
               "Runs CMD in a fresh, offline, disposable sandbox and writes OUT/report.json.\n\n"
               "  --source DIR             source tree, copy-on-write inside (default: .)\n"
               "  --out DIR                out folder (default: ./buildward-out)\n"
               "  --artifact GLOB          copy matching files out, with sha256 (repeatable)\n"
               "  --artifact-max-size SIZE refuse larger artifacts (default: 4G)\n"
               "  --timeout SECONDS        kill the build after this long; exit 124\n"
               "  --memory SIZE            memory limit (e.g. 2G)\n"
               "  --pids N                 process and thread limit\n"
               "  --cpus N                 CPU quota (e.g. 1.5)\n"
               "  --tmp-size SIZE          private tmpfs for /tmp, $HOME and source changes (default: 4G)\n"
               "  --fail-on SEVERITY       info|low|medium|high|critical|never (default: high)\n"
               "  --no-monitor             run without the eBPF monitor\n"
               "  --policy FILE            YAML policy: suppressions and severities, each with a reason\n"
               "  --rootfs DIR             system root to use instead of the host's directories\n"
               "  --ro-bind SRC[:DST]      make a host path visible read-only\n"
               "  --bind SRC[:DST]         make a host path visible read-write\n"
               "  --env NAME[=VALUE]       pass one environment variable (repeatable)\n"
               "  --hostname NAME          hostname inside (default: buildward)\n"
               "  --quiet                  no summary line\n"
               "  --sign-key KEY           sign OUT/provenance.dsse.json with KEY (`buildward keygen`)\n"
               "  --ledger URL             record the build in this ledger (sqlite:PATH or postgresql://...;\n"
               "                           with --sign-key alone: "
               "sqlite:/var/lib/buildward/ledger.db)\n"
               "  --toolchain MANIFEST     refuse to start (exit 125) unless the sealed trees match, and check\n"
               "                           every program the build runs against it\n"
               "  --enforce                stop the build at once when the toolchain is tampered with\n\n"
               "Exit: CMD's code; 123 findings reached --fail-on; 124 timeout; 125 buildward failed;\n"
               "126 CMD not executable; 127 CMD not found; 128+N CMD killed by signal N.\n");
}

static int fail_setup(const char *fmt, ...) _printf_(1, 2);
static int fail_setup(const char *fmt, ...) {
        va_list ap;
        char buf[2048];
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        log_error("%s", buf);
        return EXIT_SETUP;
}

static int parse_bind(const char *arg, bool writable, struct sandbox_config *cfg) {
        _cleanup_free_ char *copy = xstrdup(arg);
        char *colon = strchr(copy, ':');
        const char *dst = NULL;
        if (colon) {
                *colon = 0;
                dst = colon + 1;
        }
        char resolved[PATH_MAX];
        if (!realpath(copy, resolved))
                return fail_setup("cannot resolve --%sbind source '%s' (%s); pass an existing host path",
                                  writable ? "" : "ro-", copy, strerror(errno));
        const char *d = dst ? dst : resolved;
        if (d[0] != '/' || strspn(d, "/") == strlen(d) || strstr(d, "/../") ||
            (strlen(d) >= 3 && streq(d + strlen(d) - 3, "/..")))
                return fail_setup("invalid --%sbind destination '%s'; use an absolute path below '/', without '..'",
                                  writable ? "" : "ro-", d);
        GREEDY_REALLOC(cfg->binds, cfg->n_binds_allocated, cfg->n_binds + 1);
        cfg->binds[cfg->n_binds++] = (struct bind_spec){ xstrdup(resolved), xstrdup(dst ? dst : resolved), writable };
        return 0;
}

enum {
        OPT_SOURCE = 256,
        OPT_OUT,
        OPT_ARTIFACT,
        OPT_ARTIFACT_MAX,
        OPT_TIMEOUT,
        OPT_MEMORY,
        OPT_PIDS,
        OPT_CPUS,
        OPT_TMP_SIZE,
        OPT_FAIL_ON,
        OPT_NO_MONITOR,
        OPT_ROOTFS,
        OPT_RO_BIND,
        OPT_BIND,
        OPT_ENV,
        OPT_HOSTNAME,
        OPT_QUIET,
        OPT_POLICY,
        OPT_SIGN_KEY,
        OPT_LEDGER,
        OPT_TOOLCHAIN,
        OPT_ENFORCE,
};

static int parse_args(int argc, char **argv, struct run_args *a) {
        static const struct option opts[] = {
                { "source", required_argument, NULL, OPT_SOURCE },
                { "out", required_argument, NULL, OPT_OUT },
                { "artifact", required_argument, NULL, OPT_ARTIFACT },
                { "artifact-max-size", required_argument, NULL, OPT_ARTIFACT_MAX },
                { "timeout", required_argument, NULL, OPT_TIMEOUT },
                { "memory", required_argument, NULL, OPT_MEMORY },
                { "pids", required_argument, NULL, OPT_PIDS },
                { "cpus", required_argument, NULL, OPT_CPUS },
                { "tmp-size", required_argument, NULL, OPT_TMP_SIZE },
                { "fail-on", required_argument, NULL, OPT_FAIL_ON },
                { "no-monitor", no_argument, NULL, OPT_NO_MONITOR },
                { "rootfs", required_argument, NULL, OPT_ROOTFS },
                { "ro-bind", required_argument, NULL, OPT_RO_BIND },
                { "bind", required_argument, NULL, OPT_BIND },
                { "env", required_argument, NULL, OPT_ENV },
                { "hostname", required_argument, NULL, OPT_HOSTNAME },
                { "quiet", no_argument, NULL, OPT_QUIET },
                { "policy", required_argument, NULL, OPT_POLICY },
                { "toolchain", required_argument, NULL, OPT_TOOLCHAIN },
                { "sign-key", required_argument, NULL, OPT_SIGN_KEY },
                { "ledger", required_argument, NULL, OPT_LEDGER },
                { "enforce", no_argument, NULL, OPT_ENFORCE },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c, idx, r;
        uint64_t v;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+h", opts, &idx)) != -1) {
                switch (c) {
                case OPT_SOURCE: {
                        char resolved[PATH_MAX];
                        if (!realpath(optarg, resolved))
                                return fail_setup("cannot resolve --source '%s' (%s); pass an existing directory",
                                                  optarg, strerror(errno));
                        free(a->cfg.source);
                        a->cfg.source = xstrdup(resolved);
                        break;
                }
                case OPT_OUT:
                        free(a->out);
                        a->out = xstrdup(optarg);
                        break;
                case OPT_ARTIFACT:
                        if (!*optarg || optarg[0] == '/' || strstr(optarg, ".."))
                                return fail_setup(
                                        "invalid --artifact '%s'; use a glob relative to the source tree, without '..'",
                                        optarg);
                        strv_push(&a->artifacts, xstrdup(optarg));
                        break;
                case OPT_ARTIFACT_MAX:
                        if (parse_size(optarg, &a->artifact_max) < 0)
                                return fail_setup("invalid --artifact-max-size '%s'; use a size like 512M or 4G",
                                                  optarg);
                        break;
                case OPT_TIMEOUT:
                        if (parse_decimal_milli(optarg, &v) < 0 || v == 0 || v > 31536000000ULL)
                                return fail_setup(
                                        "invalid --timeout '%s'; use a positive number of seconds (e.g. 3600)", optarg);
                        a->cfg.timeout_usec = v * 1000;
                        break;
                case OPT_MEMORY:
                        if (parse_size(optarg, &v) < 0 || v < (4ULL << 20))
                                return fail_setup("invalid --memory '%s'; use a size of at least 4M, like 512M or 2G",
                                                  optarg);
                        a->cfg.limits.memory = v;
                        break;
                case OPT_PIDS:
                        if (parse_uint(optarg, 4194304, &v) < 0 || v < 2)
                                return fail_setup("invalid --pids '%s'; use a whole number of at least 2", optarg);
                        a->cfg.limits.pids = v;
                        break;
                case OPT_CPUS:
                        if (parse_decimal_milli(optarg, &v) < 0 || v < 10 || v > 4096000)
                                return fail_setup(
                                        "invalid --cpus '%s'; use a number of CPUs such as 1, 2 or 0.5 (at least 0.01)",
                                        optarg);
                        a->cfg.limits.cpus_milli = v;
                        break;
                case OPT_TMP_SIZE:
                        if (parse_size(optarg, &v) < 0 || v < (1ULL << 20))
                                return fail_setup("invalid --tmp-size '%s'; use a size of at least 1M, like 256M or 4G",
                                                  optarg);
                        a->cfg.tmp_size = v;
                        break;
                case OPT_FAIL_ON:
                        if (severity_from_string(optarg, &a->fail_on) < 0)
                                return fail_setup(
                                        "invalid --fail-on '%s'; use info, low, medium, high, critical or never",
                                        optarg);
                        a->fail_on_given = true;
                        break;
                case OPT_POLICY:
                        free(a->policy_path);
                        a->policy_path = xstrdup(optarg);
                        break;
                case OPT_NO_MONITOR:
                        a->no_monitor = true;
                        break;
                case OPT_ROOTFS: {
                        char resolved[PATH_MAX];
                        if (!realpath(optarg, resolved))
                                return fail_setup(
                                        "cannot resolve --rootfs '%s' (%s); pass a directory holding a system tree",
                                        optarg, strerror(errno));
                        free(a->cfg.rootfs);
                        a->cfg.rootfs = xstrdup(resolved);
                        break;
                }
                case OPT_RO_BIND:
                case OPT_BIND:
                        if ((r = parse_bind(optarg, c == OPT_BIND, &a->cfg)) != 0)
                                return r;
                        break;
                case OPT_ENV:
                        strv_push(&a->env_specs, xstrdup(optarg));
                        break;
                case OPT_HOSTNAME:
                        if (!*optarg || strlen(optarg) > 63 || strchr(optarg, '/') || strchr(optarg, ' '))
                                return fail_setup("invalid --hostname '%s'; use 1 to 63 characters without spaces",
                                                  optarg);
                        free(a->cfg.hostname);
                        a->cfg.hostname = xstrdup(optarg);
                        break;
                case OPT_QUIET:
                        a->quiet = true;
                        break;
                case OPT_SIGN_KEY:
                        free(a->sign_key);
                        a->sign_key = xstrdup(optarg);
                        break;
                case OPT_LEDGER:
                        free(a->ledger);
                        a->ledger = xstrdup(optarg);
                        break;
                case OPT_ENFORCE:
                        a->enforce = true;
                        break;
                case OPT_TOOLCHAIN:
                        free(a->toolchain);
                        a->toolchain = xstrdup(optarg);
                        break;
                case 'h':
                        help();
                        exit(0);
                default: {
                        /* For a long option missing its value, optopt holds our enum, not a letter. */
                        const char *what = argv[optind - 1];
                        for (size_t i = 0; opts[i].name; i++)
                                if (optopt && opts[i].val == optopt) {
                                        return fail_setup("option '--%s' needs a value; see `buildward run --help`",
                                                          opts[i].name);
                                }
                        if (optopt > 0 && optopt < 256)
                                return fail_setup("unknown option '-%c'; see `buildward run --help`", optopt);
                        return fail_setup("unknown option '%s'; see `buildward run --help`", what);
                }
                }
        }
        if (optind >= argc)
                return fail_setup("no command given; use `buildward run [OPTIONS] -- CMD [ARGS...]`");
        a->cfg.argv = argv + optind;
        return 0;
}

/* Seconds with millisecond precision, printed as such (no binary-float noise). */
static json_object *jseconds(uint64_t usec) {
        char buf[32];
        snprintf(buf, sizeof(buf), "%.3f", (double) usec / 1e6);
        return json_object_new_double_s((double) usec / 1e6, buf);
}

static void add_survivor_findings(const struct sandbox_result *res, struct finding_list *fl) {
        for (size_t i = 0; i < res->n_survivors; i++) {
                const struct survivor *s = &res->survivors[i];
                json_object *ev = json_object_new_object();
                json_object_object_add(ev, "pid_in_sandbox", json_object_new_int(s->pid));
                json_object_object_add(ev, "exe_deleted", json_object_new_boolean(s->exe_deleted));
                json_object_object_add(ev, "action", json_new_string("killed"));
                const char *name = s->argv && s->argv[0] ? s->argv[0] : (s->exe ? s->exe : "?");
                struct finding f = {
                        .rule = xstrdup("process-survival.alive-at-exit"),
                        .category = "process-survival",
                        .severity = SEV_HIGH,
                        .time_usec = s->seen_usec,
                        .pid = s->host_pid, /* host pids throughout the report, as in "processes" */
                        .ppid = 0,
                        .host_pid = s->host_pid,
                        .exe = s->exe ? xstrdup(s->exe) : NULL,
                        .argv = strv_copy(s->argv),
                        .detail = xasprintf("'%s' (pid %d, %d in the sandbox) was still running when the build "
                                            "command exited, as a daemon or backdoor left behind would be; "
                                            "buildward killed it",
                                            name, (int) s->host_pid, (int) s->pid),
                        .evidence = ev,
                };
                finding_list_add(fl, f);
        }
}

static void add_limit_findings(const struct run_args *a, const struct sandbox_result *res, struct finding_list *fl) {
        struct {
                bool hit;
                const char *rule, *detail;
        } hits[] = {
                { res->end == SANDBOX_END_TIMEOUT, "resource-abuse.timeout",
                  "the build ran past --timeout and was killed: a hang, or work that does not belong in a build" },
                { res->usage.oom_kills > 0, "resource-abuse.memory-limit",
                  "a process of the build was killed for exceeding --memory" },
                { res->usage.pids_max_hits > 0, "resource-abuse.pids-limit",
                  "the build tried to create more processes than --pids allows (a fork bomb stops here)" },
        };
        (void) a;
        for (size_t i = 0; i < ELEMENTSOF(hits); i++) {
                if (!hits[i].hit)
                        continue;
                json_object *ev = json_object_new_object();
                json_object_object_add(ev, "oom_kills", json_object_new_uint64(res->usage.oom_kills));
                json_object_object_add(ev, "pids_max_hits", json_object_new_uint64(res->usage.pids_max_hits));
                finding_list_add(fl, (struct finding){
                                             .rule = xstrdup(hits[i].rule),
                                             .category = "resource-abuse",
                                             .severity = SEV_MEDIUM,
                                             .time_usec = now_usec(CLOCK_REALTIME),
                                             .detail = xstrdup(hits[i].detail),
                                             .evidence = ev,
                                     });
        }
}

/*
 * report.json's monitor.path_policies: how this run enforced the policy's
 * protect entries. "refused in the kernel and detected" when the BPF-LSM
 * program ran, naming the entries it decided (others are detected only),
 * else "detected" or "not checked", with the reason.
 */
static json_object *path_policies_json(const struct run_args *a, const struct run_monitor *rm) {
        json_object *o = json_object_new_object();
        bool lsm = rm->started && rm->lsm_active;
        json_object_object_add(o, "mode",
                               json_new_string(lsm           ? "refused in the kernel and detected"
                                               : rm->started ? "detected"
                                                             : "not checked"));
        json_object_object_add(o, "reason",
                               lsm ? NULL : json_new_string(rm->started ? rm->lsm_reason : "the monitor did not run"));
        json_object *k = json_object_new_array(), *d = json_object_new_array();
        for (size_t i = 0; i < a->policy->n_protect; i++) {
                const char *kpath;
                bool in_kernel = lsm && lsm_rule_flags(&a->policy->protect[i], &kpath);
                json_object_array_add(in_kernel ? k : d, json_new_string(a->policy->protect[i].path));
        }
        json_object_object_add(o, "refused_in_kernel", k);
        json_object_object_add(o, "detected_only", d);
        json_object_object_add(o, "refused", json_object_new_uint64(rm->stats.refused));
        return o;
}

static json_object *build_report(const struct run_args *a, const struct run_monitor *rm, const struct sandbox_state *st,
                                 const struct sandbox_result *res, const struct finding_list *fl,
                                 const struct artifact_list *al, const struct change_list *cl, int exit_code, bool pass,
                                 uint64_t start_rt, uint64_t duration_usec) {
        char ts[64];
        json_object *o = json_object_new_object();
        json_object_object_add(o, "version", json_object_new_int(1));
        json_object_object_add(o, "buildward_version", json_new_string(BUILDWARD_VERSION));
        json_object_object_add(o, "command", json_new_strv(a->cfg.argv));
        int cmd_code = WIFEXITED(res->status) ? WEXITSTATUS(res->status) : 128 + WTERMSIG(res->status);
        if (res->end == SANDBOX_END_EXEC_FAILED)
                cmd_code = res->exec_errno == ENOENT ? 127 : 126;
        json_object_object_add(o, "exit_code",
                               res->end == SANDBOX_END_EXITED || res->end == SANDBOX_END_EXEC_FAILED
                                       ? json_object_new_int(cmd_code)
                                       : NULL);
        json_object_object_add(o, "buildward_exit_code", json_object_new_int(exit_code));
        char out_abs[PATH_MAX];
        json_object_object_add(o, "out", json_new_string(realpath(a->out, out_abs) ? out_abs : a->out));
        json_object_object_add(o, "verdict", json_new_string(pass ? "pass" : "fail"));
        json_object_object_add(o, "fail_on", json_new_string(severity_name(a->fail_on)));
        format_rfc3339(start_rt, ts, sizeof(ts));
        json_object_object_add(o, "started_at", json_new_string(ts));
        format_rfc3339(start_rt + duration_usec, ts, sizeof(ts));
        json_object_object_add(o, "finished_at", json_new_string(ts));
        json_object_object_add(o, "duration_s", jseconds(duration_usec));
        json_object_object_add(o, "timed_out", json_object_new_boolean(res->end == SANDBOX_END_TIMEOUT));
        if (res->end == SANDBOX_END_INTERRUPTED)
                json_object_object_add(o, "interrupted_by", json_new_string(sigabbrev_np(res->signal)));
        if (res->end == SANDBOX_END_EXEC_FAILED)
                json_object_object_add(o, "exec_error", json_new_string(strerror(res->exec_errno)));

        json_object *sb = json_object_new_object();
        json_object_object_add(sb, "uid", json_object_new_int(SANDBOX_UID));
        json_object_object_add(sb, "host_uid", json_object_new_int64(st->host_uid));
        json_object_object_add(sb, "privileged_setup", json_object_new_boolean(st->privileged));
        json_object_object_add(sb, "hostname", json_new_string(a->cfg.hostname));
        const char *ns[] = { "user", "pid", "mount", "net", "ipc", "uts", "cgroup" };
        json_object *nsa = json_object_new_array();
        for (size_t i = 0; i < ELEMENTSOF(ns); i++)
                json_object_array_add(nsa, json_new_string(ns[i]));
        json_object_object_add(sb, "namespaces", nsa);
        json_object_object_add(sb, "network", json_new_string("loopback only"));
        json_object_object_add(sb, "no_new_privs", json_object_new_boolean(true));
        json_object_object_add(sb, "seccomp", json_object_new_boolean(true));
        json_object *ll = json_object_new_object();
        json_object_object_add(ll, "enabled", json_object_new_boolean(st->landlock_abi > 0));
        json_object_object_add(ll, "abi", json_object_new_int(st->landlock_abi));
        json_object_object_add(sb, "landlock", ll);
        json_object *cg = json_object_new_object();
        json_object_object_add(cg, "version", json_new_string(cgroup_mode_name(st->cg.mode)));
        json_object_object_add(cg, "path", json_new_string(st->cg.v2_path ? st->cg.v2_path : st->cg.v1_memory));
        json_object *lim = json_object_new_object();
        json_object_object_add(lim, "memory",
                               a->cfg.limits.memory ? json_object_new_uint64(a->cfg.limits.memory) : NULL);
        json_object_object_add(lim, "pids", a->cfg.limits.pids ? json_object_new_uint64(a->cfg.limits.pids) : NULL);
        json_object_object_add(
                lim, "cpus",
                a->cfg.limits.cpus_milli ? json_object_new_double((double) a->cfg.limits.cpus_milli / 1000.0) : NULL);
        json_object_object_add(cg, "limits", lim);
        json_object *na = json_object_new_array();
        if (st->cg.not_applied) {
                _cleanup_free_ char *copy = xstrdup(st->cg.not_applied);
                for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ","))
                        json_object_array_add(na, json_new_string(tok));
        }
        json_object_object_add(cg, "not_applied", na);
        json_object_object_add(sb, "cgroup", cg);
        json_object_object_add(sb, "source", json_new_string(a->cfg.source));
        json_object_object_add(sb, "source_mapping", json_new_string(st->source_mapping));
        json_object_object_add(sb, "rootfs", json_new_string(a->cfg.rootfs ? a->cfg.rootfs : "host"));
        json_object_object_add(sb, "tmp_size", json_object_new_uint64(a->cfg.tmp_size));
        json_object_object_add(sb, "timeout_s", jseconds(a->cfg.timeout_usec));
        json_object *binds = json_object_new_array();
        for (size_t i = 0; i < a->cfg.n_binds; i++) {
                json_object *b = json_object_new_object();
                json_object_object_add(b, "src", json_new_string(a->cfg.binds[i].src));
                json_object_object_add(b, "dst", json_new_string(a->cfg.binds[i].dst));
                json_object_object_add(b, "writable", json_object_new_boolean(a->cfg.binds[i].writable));
                json_object_array_add(binds, b);
        }
        json_object_object_add(sb, "binds", binds);
        /* Names only: values named with --env may be secrets the build was meant to have. */
        json_object *envn = json_object_new_array();
        for (char **e = a->cfg.envp; e && *e; e++)
                json_object_array_add(envn, json_new_string_len(*e, (int) strcspn(*e, "=")));
        json_object_object_add(sb, "env", envn);
        json_object_object_add(sb, "warnings", json_new_strv(st->warnings));
        if (a->toolchain_report)
                json_object_object_add(sb, "toolchain", json_object_get(a->toolchain_report));
        json_object_object_add(o, "sandbox", sb);

        size_t n_rules;
        (void) rule_catalog(&n_rules);
        json_object *mon = json_object_new_object();
        json_object_object_add(mon, "enabled", json_object_new_boolean(rm->started));
        if (!rm->started)
                json_object_object_add(mon, "reason",
                                       json_new_string(a->no_monitor ? "disabled with --no-monitor"
                                                       : rm->reason  ? rm->reason
                                                                     : "not started"));
        else {
                json_object_object_add(mon, "events_file", json_new_string("events.jsonl"));
                json_object_object_add(mon, "loader", json_new_string(monitor_loader(rm->m)));
        }
        json_object_object_add(mon, "events", json_object_new_uint64(rm->stats.events));
        json_object_object_add(mon, "lost", json_object_new_uint64(rm->stats.lost));
        json_object_object_add(mon, "rules", json_object_new_int((int) n_rules));
        json_object_object_add(mon, "enforce", json_object_new_boolean(a->enforce));
        json_object_object_add(mon, "stopped_by", json_new_string(rm->stopped_by));
        json_object_object_add(mon, "findings_dropped",
                               json_object_new_uint64(rm->engine ? engine_dropped(rm->engine) : 0));
        if (a->policy && a->policy->n_protect > 0)
                json_object_object_add(mon, "path_policies", path_policies_json(a, rm));
        json_object_object_add(o, "monitor", mon);

        json_object *pol = json_object_new_object();
        json_object_object_add(pol, "file", json_new_string(a->policy ? a->policy->file : NULL));
        json_object_object_add(pol, "sha256", json_new_string(a->policy ? a->policy->digest : NULL));
        json_object_object_add(pol, "suppressed",
                               rm->engine ? engine_suppressed_json(rm->engine) : json_object_new_array());
        json_object_object_add(o, "policy", pol);

        json_object *usage = json_object_new_object();
        if (res->usage.valid) {
                json_object_object_add(usage, "memory_peak", json_object_new_uint64(res->usage.memory_peak));
                json_object_object_add(usage, "oom_kills", json_object_new_uint64(res->usage.oom_kills));
                json_object_object_add(usage, "pids_max_hits", json_object_new_uint64(res->usage.pids_max_hits));
                json_object_object_add(usage, "cpu_s", jseconds(res->usage.cpu_usec));
        }
        json_object_object_add(o, "resource_usage", usage);

        json_object_object_add(o, "findings", findings_to_json(fl));

        bool truncated = false;
        json_object_object_add(o, "processes",
                               rm->engine ? engine_processes_json(rm->engine, MAX_PROCESSES, &truncated)
                                          : json_object_new_array());
        json_object_object_add(o, "processes_truncated", json_object_new_boolean(truncated));

        json_object *aa = json_object_new_array();
        for (size_t i = 0; i < al->n; i++) {
                json_object *j = json_object_new_object();
                json_object_object_add(j, "path", json_new_string(al->v[i].path));
                json_object_object_add(j, "sha256", json_new_string(al->v[i].sha256));
                json_object_object_add(j, "size", json_object_new_uint64(al->v[i].size));
                json_object_array_add(aa, j);
        }
        json_object_object_add(o, "artifacts", aa);
        json_object *ra = json_object_new_array();
        for (size_t i = 0; i < al->n_refused; i++) {
                json_object *j = json_object_new_object();
                json_object_object_add(j, "path", json_new_string(al->refused[i].path));
                json_object_object_add(j, "reason", json_new_string(al->refused[i].reason));
                json_object_array_add(ra, j);
        }
        json_object_object_add(o, "artifacts_refused", ra);
        json_object *ca = json_object_new_array();
        for (size_t i = 0; i < cl->n; i++) {
                json_object *j = json_object_new_object();
                json_object_object_add(j, "path", json_new_string(cl->v[i].path));
                json_object_object_add(j, "change", json_new_string(change_kind_name(cl->v[i].kind)));
                json_object_array_add(ca, j);
        }
        json_object_object_add(o, "source_changes", ca);
        json_object_object_add(o, "source_changes_truncated", json_object_new_boolean(cl->truncated));
        return o;
}

/*
 * Whether this run also refuses path-policy violations in the kernel
 * (BPF-LSM), or why not; tried only when the kernel runs the bpf LSM. The
 * load itself may still fail (a kernel or hypervisor refusing LSM programs):
 * monitor_load() then falls back to detection.
 */
static void lsm_decide(const struct run_args *a, struct run_monitor *rm) {
        const struct policy *p = a->policy;
        bool any = false;
        for (size_t i = 0; i < p->n_protect && !any; i++) {
                const char *kpath;
                any = lsm_rule_flags(&p->protect[i], &kpath) != 0;
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
static int check_protect(const struct run_args *a, char ***ret_prefixes) {
        const struct policy *p = a->policy;
        if (!p || p->n_protect == 0)
                return 0;
        const struct protect_rule *named = policy_names_executables(p);
        if (named && !a->tc)
                return fail_setup("the policy '%s' line %u lets named executables access '%s', and executables are "
                                  "identified by their sealed digests; pass --toolchain MANIFEST, or allow nobody "
                                  "(read: [] and write: [])",
                                  p->file, named->line, named->path);
        if (p->n_protect > MONITOR_PROTECT_MAX)
                return fail_setup("the policy '%s' protects %zu paths, and the monitor takes %d; join them under "
                                  "common directories with globs",
                                  p->file, p->n_protect, MONITOR_PROTECT_MAX);
        for (size_t i = 0; i < p->n_protect; i++) {
                const struct protect_rule *r = &p->protect[i];
                if (strlen(r->prefix) > MONITOR_PROTECT_LEN)
                        return fail_setup("the policy '%s' line %u protects '%s', whose directory is longer than %d "
                                          "bytes; protect a shorter path",
                                          p->file, r->line, r->path, MONITOR_PROTECT_LEN);
                for (int w = 0; w < 2; w++)
                        for (char **x = w ? r->write : r->read; x && *x; x++) {
                                if (startswith(*x, "sha256:"))
                                        continue;
                                const struct manifest_entry *m = manifest_lookup(a->tc->manifest, *x);
                                if (!m)
                                        return fail_setup("the policy '%s' line %u allows '%s', which is not in the "
                                                          "toolchain manifest '%s'; seal it, or name its digest",
                                                          p->file, r->line, *x, a->toolchain);
                                if (m->type != 'f')
                                        return fail_setup("the policy '%s' line %u allows '%s', which is not a file in "
                                                          "the toolchain manifest (a symlink to '%s'?); name the "
                                                          "sealed file itself, or its digest",
                                                          p->file, r->line, *x, m->target ? m->target : "-");
                        }
                strv_push(ret_prefixes, xstrdup(r->prefix));
        }
        return 0;
}

int cmd_run(int argc, char **argv) {
        struct run_args a = { .artifact_max = DEFAULT_ARTIFACT_MAX, .fail_on = SEV_HIGH };
        a.cfg.tmp_size = DEFAULT_TMP_SIZE;
        struct sandbox_state st = {};
        struct sandbox_result res = {};
        struct sandbox_views views = { -EBADF, -EBADF, -EBADF };
        struct run_monitor rm = { .out_fd = -EBADF };
        struct finding_list fl = {};
        struct artifact_list al = {};
        struct change_list cl = {};
        _cleanup_free_ char *failure = NULL, *env_err = NULL, *prov_err = NULL;
        _cleanup_close_ int out_fd = -EBADF;
        uint64_t start_rt = 0, start_mono = now_usec(CLOCK_MONOTONIC);
        int ret, r;

        log_step("parent: cmd_run");
        if ((ret = parse_args(argc, argv, &a)) != 0)
                goto done;
        /*
         * These hash or sign: libcrypto is loaded now, in the host's namespaces
         * and before the build, not found missing after it ran. Findings load
         * it too, for their SARIF fingerprints. A plain run never loads it.
         */
        if ((a.artifacts || a.sign_key || a.ledger || a.toolchain || a.policy_path) && dlopen_libcrypto() < 0) {
                ret = EXIT_SETUP; /* the reason is printed */
                goto done;
        }
        if (provenance_check_args(a.sign_key, a.ledger, &prov_err) < 0) {
                ret = fail_setup("%s", prov_err);
                goto done;
        }
        if (!a.cfg.source) {
                char cwd[PATH_MAX];
                if (!getcwd(cwd, sizeof(cwd))) {
                        ret = fail_setup("cannot determine the current directory (%s); pass --source", strerror(errno));
                        goto done;
                }
                a.cfg.source = xstrdup(cwd);
        }
        if (streq(a.cfg.source, "/")) {
                ret = fail_setup("the source tree cannot be '/'; pass the project directory with --source");
                goto done;
        }
        if (!a.cfg.hostname)
                a.cfg.hostname = xstrdup("buildward");
        if (a.policy_path) {
                _cleanup_free_ char *perr = NULL;
                if (policy_load(a.policy_path, &a.policy, &perr) < 0) {
                        ret = fail_setup("%s", perr);
                        goto done;
                }
                if (a.policy->has_fail_on && !a.fail_on_given)
                        a.fail_on = a.policy->fail_on;
        }
        a.cfg.envp = env_build(environ, a.env_specs, &env_err);
        if (!a.cfg.envp) {
                ret = fail_setup("%s", env_err);
                goto done;
        }
        if (a.enforce && (a.no_monitor || geteuid() != 0)) {
                ret = fail_setup("--enforce stops a build through the eBPF monitor, which needs root; run as root "
                                 "without --no-monitor, or drop --enforce");
                goto done;
        }
        if (a.toolchain && (ret = toolchain_gate(a.toolchain, &a.toolchain_report, &a.tc)) != 0)
                goto done; /* the differences are printed; the build never starts */
        if ((ret = check_protect(&a, &rm.protect)) != 0)
                goto done;
        if (rm.protect && (a.no_monitor || geteuid() != 0))
                log_warning("the policy protects paths, but the build runs without the eBPF monitor: nothing checks "
                            "them; run as root without --no-monitor");
        if (!a.out)
                a.out = xstrdup("buildward-out");
        if ((r = mkdir_p(a.out, 0755)) < 0 || (out_fd = open(a.out, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
                ret = fail_setup("cannot create the out folder '%s' (%s); pass a writable --out directory", a.out,
                                 strerror(r < 0 ? -r : errno));
                goto done;
        }
        /*
         * An earlier build's outputs never stand in for this one's, even if this
         * one fails early. Removed now rather than replaced at the end: ext4
         * starts writeback of a file renamed over another (auto_da_alloc), a
         * cost paid while the user waits for the verdict.
         */
        static const char *const outputs[] = { "report.json", "report.sarif", "report.html", "events.jsonl",
                                               PROVENANCE_FILE };
        for (size_t i = 0; i < ELEMENTSOF(outputs); i++)
                (void) unlinkat(out_fd, outputs[i], 0);
        /* Even without the monitor: the sandbox's own findings go through the policy too. */
        rm.engine = engine_new(a.policy);
        if (!a.no_monitor) {
                if (geteuid() != 0)
                        /* Also: an unprivileged start must stay single-threaded to enter its user namespace. */
                        rm.reason = xstrdup("the eBPF monitor needs root; run buildward as root to watch the build");
                else if ((r = sandbox_drop_groups()) < 0) {
                        ret = fail_setup("cannot drop root's supplementary groups (%s); the build must not inherit "
                                         "them: run buildward in a context that allows setgroups()",
                                         strerror(-r));
                        goto done;
                } else {
                        rm.out_fd = out_fd;
                        engine_set_live(rm.engine, true);
                        rm.tc = a.tc;
                        rm.st = &st;
                        rm.rootfs = a.cfg.rootfs;
                        engine_set_hooks(rm.engine, &(struct engine_hooks){
                                                            .check_exec = a.tc ? run_check_exec : NULL,
                                                            .check_map = a.tc ? run_check_map : NULL,
                                                            .stop = a.enforce ? run_stop : NULL,
                                                            .userdata = &rm,
                                                    });
                        rm.source = a.cfg.source;
                        if (rm.protect)
                                lsm_decide(&a, &rm);
                        rm.loading = pthread_create(&rm.loader, NULL, monitor_load, &rm) == 0;
                        if (!rm.loading)
                                monitor_load(&rm);
                        a.cfg.before_clone = monitor_before_clone;
                        a.cfg.after_clone = monitor_after_clone;
                        a.cfg.userdata = &rm;
                }
        }
        start_rt = now_usec(CLOCK_REALTIME);
        start_mono = now_usec(CLOCK_MONOTONIC);
        log_step("parent: sandbox_run");
        r = sandbox_run(&a.cfg, &st, &res, &views, &failure);
        uint64_t duration = now_usec(CLOCK_MONOTONIC) - start_mono;
        log_step("parent: sandbox_run returned");
        if (r < 0) {
                if (failure)
                        ret = fail_setup("%s", failure);
                else
                        ret = fail_setup(
                                "cannot set up the sandbox (%s); run `buildward doctor` for the kernel features "
                                "it needs, or rerun with BUILDWARD_DEBUG=1 to see the step that failed",
                                strerror(-r));
                goto done;
        }
        if (rm.started) {
                /* The exits of what was killed are events too: collect them before counting. */
                sandbox_reap(&res);
                monitor_stop(rm.m, &rm.stats);
                rm.armed = false;
        } else if (!a.no_monitor)
                log_warning("the build ran without the eBPF monitor: %s", rm.reason ? rm.reason : "it did not start");
        if (rm.started && rm.lsm_failed)
                log_warning("path policies are detected, not refused in the kernel: %s", rm.lsm_reason);
        if (rm.stats.lost)
                log_warning("the monitor lost %" PRIu64 " events (the ring buffer was full): the verdict cannot be "
                            "pass; rerun on a less loaded host",
                            rm.stats.lost);
        st.landlock_abi = landlock_abi();
        for (char **w = st.warnings; w && *w; w++)
                log_warning("%s", *w);

        struct finding_list own = {};
        /*
         * After --enforce killed the build's cgroup, what is still listed is the
         * build being torn down (cgroup.kill does not wait), not processes that
         * outlived it: the finding that stopped the build says what happened.
         */
        if (!rm.stopped_by)
                add_survivor_findings(&res, &own);
        add_limit_findings(&a, &res, &own);
        engine_adopt_findings(rm.engine, &own);
        engine_take_findings(rm.engine, &fl);
        if (a.artifacts && (r = artifacts_collect(views.merged_fd, a.artifacts, out_fd, a.artifact_max, &al)) < 0) {
                ret = fail_setup("cannot copy artifacts into '%s/artifacts' (%s); check the out folder", a.out,
                                 strerror(-r));
                goto done;
        }
        (void) source_changes_collect(views.upper_fd, views.lower_fd, MAX_SOURCE_CHANGES, &cl);

        int maxsev = finding_list_max_severity(&fl);
        /* A build that did not finish was not watched to its end: never "pass". */
        bool pass = (a.fail_on == SEV_NEVER || maxsev < (int) a.fail_on) &&
                    (res.end == SANDBOX_END_EXITED || res.end == SANDBOX_END_EXEC_FAILED) &&
                    rm.stats.lost == 0 &&        /* what the monitor did not see may have been anything */
                    !(a.enforce && !rm.started); /* enforcement asked for but not in place */
        if (res.end == SANDBOX_END_TIMEOUT)
                ret = EXIT_TIMEOUT;
        else if (res.end == SANDBOX_END_INTERRUPTED)
                ret = 128 + res.signal;
        else if (!pass)
                ret = EXIT_VERDICT_FAIL; /* findings reached --fail-on */
        else if (res.end == SANDBOX_END_EXEC_FAILED)
                ret = res.exec_errno == ENOENT ? 127 : 126;
        else
                ret = WIFEXITED(res.status) ? WEXITSTATUS(res.status) : 128 + WTERMSIG(res.status);

        log_step("parent: artifacts and changes collected");
        /*
         * Nothing below reads the stage. Our views go first, so that the
         * helper's exit is the last reference to the tmpfs and the overlay and
         * frees what the build wrote, beside the report writing (sandbox.h).
         */
        closep(&views.merged_fd);
        closep(&views.upper_fd);
        closep(&views.lower_fd);
        sandbox_leave(&st);
        json_object *report = build_report(&a, &rm, &st, &res, &fl, &al, &cl, ret, pass, start_rt, duration);
        r = json_write_file_at(out_fd, "report.json", report);
        const char *failed = "report.json";
        /* The same document for code scanning and for people (src/report/writers.h). */
        if (r >= 0 && (r = report_write_sarif(out_fd, report)) < 0)
                failed = "report.sarif";
        else if (r >= 0 && (r = report_write_html(out_fd, report)) < 0)
                failed = "report.html";
        int pr = r < 0 ? 0 : provenance_for_run(report, out_fd, a.sign_key, a.ledger, &prov_err);
        /* Frozen and killed already; make sure the kernel is done before we say anything more. */
        sandbox_reap(&res);
        if (r < 0) {
                json_object_put(report);
                ret = fail_setup("cannot write '%s/%s' (%s); check the out folder", a.out, failed, strerror(-r));
                goto done;
        }
        if (pr < 0) {
                json_object_put(report);
                ret = fail_setup("%s", prov_err);
                goto done;
        }
        if (res.end == SANDBOX_END_EXEC_FAILED)
                log_error("cannot execute '%s' in the sandbox (%s); the sandbox sees the host's /usr, /bin and /lib "
                          "plus the source tree: check the command's path and PATH=" SANDBOX_PATH,
                          a.cfg.argv[0], strerror(res.exec_errno));
        if (!a.quiet)
                report_print_summary(stderr, report, isatty(STDERR_FILENO));
        json_object_put(report);
done:
        if (rm.loading)
                pthread_join(rm.loader, NULL);
        if (rm.armed) { /* still recording: a path that left early */
                struct monitor_stats ignored;
                monitor_stop(rm.m, &ignored);
        }
        monitor_free(rm.m);
        engine_free(rm.engine);
        free(rm.reason);
        free(rm.lsm_reason);
        free(rm.stopped_by);
        strv_free(rm.protect);
        log_step("parent: report written");
        closep(&views.merged_fd);
        closep(&views.upper_fd);
        closep(&views.lower_fd);
        finding_list_done(&fl);
        artifact_list_done(&al);
        change_list_done(&cl);
        sandbox_result_done(&res);
        sandbox_state_done(&st);
        run_args_done(&a);
        log_step("parent: cleaned up");
        return ret;
}
