/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `run`'s command line: every option checked here, with a message that names the fix. */
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>

#include "basic/log.h"
#include "basic/size.h"
#include "detect/policy.h"
#include "integrity/integrity.h"
#include "run/run.h"

void run_options_init(struct run_options *a) {
        *a = (struct run_options){ .artifact_max = RUN_DEFAULT_ARTIFACT_MAX, .fail_on = SEV_HIGH };
        a->cfg.tmp_size = RUN_DEFAULT_TMP_SIZE;
}

void run_options_done(struct run_options *a) {
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
               "  --events-max-size SIZE   stop writing events.jsonl past SIZE; the verdict is then fail\n"
               "                           (default: 1G, or half the out folder's free space if less; max: none)\n"
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

int run_fail(const char *fmt, ...) {
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
                return run_fail("cannot resolve --%sbind source '%s' (%s); pass an existing host path",
                                writable ? "" : "ro-", copy, strerror(errno));
        const char *d = dst ? dst : resolved;
        if (d[0] != '/' || strspn(d, "/") == strlen(d) || strstr(d, "/../") ||
            (strlen(d) >= 3 && streq(d + strlen(d) - 3, "/..")))
                return run_fail("invalid --%sbind destination '%s'; use an absolute path below '/', without '..'",
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
        OPT_EVENTS_MAX,
};

/* The limits: --timeout, --memory, --pids, --cpus and --tmp-size. 0, or EXIT_SETUP (printed). */
static int parse_limit(int c, const char *value, struct run_options *a) {
        uint64_t v;
        switch (c) {
        case OPT_TIMEOUT:
                if (parse_decimal_milli(value, &v) < 0 || v == 0 || v > 31536000000ULL)
                        return run_fail("invalid --timeout '%s'; use a positive number of seconds (e.g. 3600)", value);
                a->cfg.timeout_usec = v * 1000;
                return 0;
        case OPT_MEMORY:
                if (parse_size(value, &v) < 0 || v < (4ULL << 20))
                        return run_fail("invalid --memory '%s'; use a size of at least 4M, like 512M or 2G", value);
                a->cfg.limits.memory = v;
                return 0;
        case OPT_PIDS:
                if (parse_uint(value, 4194304, &v) < 0 || v < 2)
                        return run_fail("invalid --pids '%s'; use a whole number of at least 2", value);
                a->cfg.limits.pids = v;
                return 0;
        case OPT_CPUS:
                if (parse_decimal_milli(value, &v) < 0 || v < 10 || v > 4096000)
                        return run_fail("invalid --cpus '%s'; use a number of CPUs such as 1, 2 or 0.5 (at least 0.01)",
                                        value);
                a->cfg.limits.cpus_milli = v;
                return 0;
        case OPT_TMP_SIZE:
                if (parse_size(value, &v) < 0 || v < (1ULL << 20))
                        return run_fail("invalid --tmp-size '%s'; use a size of at least 1M, like 256M or 4G", value);
                a->cfg.tmp_size = v;
                return 0;
        }
        return 0;
}

/* --OPTION PATH, resolved to an absolute path in *RET; 0, or EXIT_SETUP (printed, with FIX). */
static int resolve_dir(const char *option, const char *path, const char *fix, char **ret) {
        char resolved[PATH_MAX];
        if (!realpath(path, resolved))
                return run_fail("cannot resolve --%s '%s' (%s); %s", option, path, strerror(errno), fix);
        free(*ret);
        *ret = xstrdup(resolved);
        return 0;
}

int run_options_parse(int argc, char **argv, struct run_options *a) {
        static const struct option opts[] = {
                { "source", required_argument, NULL, OPT_SOURCE },
                { "out", required_argument, NULL, OPT_OUT },
                { "artifact", required_argument, NULL, OPT_ARTIFACT },
                { "artifact-max-size", required_argument, NULL, OPT_ARTIFACT_MAX },
                { "events-max-size", required_argument, NULL, OPT_EVENTS_MAX },
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
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+h", opts, &idx)) != -1) {
                switch (c) {
                case OPT_SOURCE:
                        if ((r = resolve_dir("source", optarg, "pass an existing directory", &a->cfg.source)) != 0)
                                return r;
                        break;
                case OPT_OUT:
                        free(a->out);
                        a->out = xstrdup(optarg);
                        break;
                case OPT_ARTIFACT:
                        if (!*optarg || optarg[0] == '/' || strstr(optarg, ".."))
                                return run_fail(
                                        "invalid --artifact '%s'; use a glob relative to the source tree, without '..'",
                                        optarg);
                        strv_push(&a->artifacts, xstrdup(optarg));
                        break;
                case OPT_ARTIFACT_MAX:
                        if (parse_size(optarg, &a->artifact_max) < 0)
                                return run_fail("invalid --artifact-max-size '%s'; use a size like 512M or 4G", optarg);
                        break;
                case OPT_EVENTS_MAX:
                        if (streq(optarg, "max"))
                                a->events_max = UINT64_MAX;
                        else if (parse_size(optarg, &a->events_max) < 0 || a->events_max < 4096)
                                return run_fail("invalid --events-max-size '%s'; use a size of at least 4k, like 64M "
                                                "or 1G, or 'max' for no bound",
                                                optarg);
                        break;
                case OPT_TIMEOUT:
                case OPT_MEMORY:
                case OPT_PIDS:
                case OPT_CPUS:
                case OPT_TMP_SIZE:
                        if ((r = parse_limit(c, optarg, a)) != 0)
                                return r;
                        break;
                case OPT_FAIL_ON:
                        if (severity_from_string(optarg, &a->fail_on) < 0)
                                return run_fail(
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
                case OPT_ROOTFS:
                        if ((r = resolve_dir("rootfs", optarg, "pass a directory holding a system tree",
                                             &a->cfg.rootfs)) != 0)
                                return r;
                        break;
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
                                return run_fail("invalid --hostname '%s'; use 1 to 63 characters without spaces",
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
                                        return run_fail("option '--%s' needs a value; see `buildward run --help`",
                                                        opts[i].name);
                                }
                        if (optopt > 0 && optopt < 256)
                                return run_fail("unknown option '-%c'; see `buildward run --help`", optopt);
                        return run_fail("unknown option '%s'; see `buildward run --help`", what);
                }
                }
        }
        if (optind >= argc)
                return run_fail("no command given; use `buildward run [OPTIONS] -- CMD [ARGS...]`");
        a->cfg.argv = argv + optind;
        return 0;
}
