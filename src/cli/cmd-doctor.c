/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>

#include <sys/stat.h>
#include "basic/json-util.h"
#include "basic/util.h"
#include "cli/commands.h"
#include "doctor/probe.h"
#include "integrity/cache.h"
#include "monitor/monitor.h"
#include "sandbox/features.h"
#include "sandbox/orphans.h"

/*
 * Where path policies (policy.h, protect) are enforced on this host: refused
 * in the kernel by the BPF-LSM program and detected by the monitor, or
 * detected only. The kernel must run the bpf LSM (its active list names it)
 * and accept the program: some kernels and hypervisors refuse LSM programs
 * even to root, so the program is loaded and attached once to find out (with
 * no build's cgroup set it refuses nothing, and it is dropped at once).
 */
static char *path_policy_mode(bool monitor) {
        if (!monitor)
                return xstrdup("not checked: the eBPF monitor is unavailable (see above)");
        _cleanup_free_ char *lsm = NULL, *why = NULL;
        int r = geteuid() == 0 ? bpf_lsm_enabled(&lsm) : -EPERM;
        if (r < 0)
                return xasprintf("detected only (BPF-LSM state unknown: cannot read /sys/kernel/security/lsm: %s; "
                                 "run as root)",
                                 strerror(-r));
        if (r == 0)
                return xasprintf("detected only (BPF-LSM not enabled: the active LSMs are '%s'; add bpf to lsm= on "
                                 "the kernel command line to have violations refused in the kernel)",
                                 lsm);
        if (monitor_lsm_probe(&why) < 0)
                return xasprintf("detected only (BPF-LSM is enabled, '%s', but %s)", lsm, why);
        return xasprintf("refused in the kernel (BPF-LSM, active LSMs '%s') and detected by the monitor; files and "
                         "DIR/** entries are refused, other globs detected only",
                         lsm);
}

/* What a killed buildward leaves: the build itself dies with it, its cgroups stay (sandbox/orphans.h). */
static int doctor_cleanup(void) {
        if (geteuid() != 0) {
                printf("builds left behind by a killed buildward: not looked for (their cgroups are root's; rerun "
                       "as root)\n");
                return 0;
        }
        unsigned n = 0;
        int r = orphans_reap(&n);
        printf("builds left behind by a killed buildward: %u cleaned up%s\n", n,
               r < 0 ? " (some could not be: see above)" : "");
        return r < 0 ? 1 : 0;
}

/*
 * The digest cache: its size, entries and live fraction. Live is exact: every
 * entry's path is statx()ed (about 1 us each, 0.2 s for the 160k entries of a
 * sealed /usr), which doctor can afford and `check` never pays. CLEANUP
 * deletes the dead entries. A missing cache is not created.
 */
static struct feature digest_cache_feature(bool cleanup) {
        const char *dir = digest_cache_dir();
        struct feature f = { "digest cache", false, NULL, NULL };
        struct stat st;
        if (stat(dir, &st) < 0 && errno == ENOENT) {
                f.ok = true;
                f.detail = xasprintf("none yet at '%s' (the first seal or check as root creates it)", dir);
                return f;
        }
        _cleanup_digest_cache_ struct digest_cache *c = NULL;
        _cleanup_free_ char *why = NULL;
        struct digest_cache_info info;
        int r = digest_cache_open(dir, 0, &c, &why);
        if (r < 0) {
                f.detail = why ? xstrdup(why) : xasprintf("cannot open '%s' (%s)", dir, strerror(-r));
                f.degrade = xstrdup(r == -EBADMSG ? "check rebuilds it (every file is hashed once again)"
                                                  : "every check hashes every file; run as root, or fix the "
                                                    "ownership and modes named above");
                return f;
        }
        r = digest_cache_inspect(c, cleanup, &info);
        if (r < 0) {
                f.detail = xasprintf("cannot read '%s/" DIGEST_CACHE_FILE "' (%s)", dir, strerror(-r));
                f.degrade = xstrdup("rerun when no seal or check is writing to it");
                return f;
        }
        f.ok = true;
        f.detail = xasprintf("'%s/" DIGEST_CACHE_FILE "': %.1f MiB, %" PRIu64 " entries, %.1f%% live (statx of each), "
                             "%" PRIu64 " dead %s",
                             dir, (double) info.file_size / (1 << 20), info.entries,
                             info.entries ? 100.0 * (double) info.live / (double) info.entries : 100.0, info.dead,
                             cleanup ? "removed" : "(remove them with `buildward doctor --cleanup`)");
        return f;
}

int cmd_doctor(int argc, char **argv) {
        bool json = false, cleanup = false;
        for (int i = 1; i < argc; i++) {
                if (streq(argv[i], "--json"))
                        json = true;
                else if (streq(argv[i], "--cleanup"))
                        cleanup = true;
                else if (streq(argv[i], "--help")) {
                        printf("usage: buildward doctor [--json] [--cleanup]\n\nPrints this host's kernel features "
                               "and what degrades without them, and the digest cache's state.\n\n"
                               "  --cleanup   as root, remove the cgroups of builds whose buildward was killed;\n"
                               "              and delete the digest cache's dead entries (files gone or changed)\n");
                        return 0;
                } else {
                        fprintf(stderr, "buildward: error: unknown option '%s'; see `buildward doctor --help`\n",
                                argv[i]);
                        return 2;
                }
        }
        int ret = cleanup ? doctor_cleanup() : 0;
        struct feature *f;
        size_t n = doctor_probe(&f), f_allocated = 0;
        bool monitor = false;
        for (size_t i = 0; i < n; i++)
                monitor = monitor || (streq(f[i].name, "eBPF monitor") && f[i].ok);
        GREEDY_REALLOC(f, f_allocated, n + 2);
        f[n++] = (struct feature){ "path policies", monitor, path_policy_mode(monitor),
                                   monitor ? NULL : xstrdup("protect rules of a policy are not checked; run as root") };
        f[n++] = digest_cache_feature(cleanup);
        if (json) {
                json_object *a = json_object_new_array();
                for (size_t i = 0; i < n; i++) {
                        json_object *o = json_object_new_object();
                        json_object_object_add(o, "feature", json_new_string(f[i].name));
                        json_object_object_add(o, "available", json_object_new_boolean(f[i].ok));
                        json_object_object_add(o, "detail", json_new_string(f[i].detail));
                        json_object_object_add(o, "without_it", f[i].degrade ? json_new_string(f[i].degrade) : NULL);
                        json_object_array_add(a, o);
                }
                puts(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(a);
        } else {
                for (size_t i = 0; i < n; i++) {
                        printf("%-22s %-4s %s\n", f[i].name, f[i].ok ? "yes" : "no", f[i].detail);
                        if (f[i].degrade)
                                printf("%-22s      -> %s\n", "", f[i].degrade);
                }
        }
        features_free(f, n);
        return ret;
}
