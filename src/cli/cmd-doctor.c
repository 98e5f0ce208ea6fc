/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <json-c/json.h>

#include "basic/json-util.h"
#include "basic/util.h"
#include "cli/commands.h"
#include "monitor/monitor.h"
#include "sandbox/features.h"

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

int cmd_doctor(int argc, char **argv) {
        bool json = false;
        for (int i = 1; i < argc; i++) {
                if (streq(argv[i], "--json"))
                        json = true;
                else if (streq(argv[i], "--help")) {
                        printf("usage: buildward doctor [--json]\n\nPrints this host's kernel features and what "
                               "degrades without them.\n");
                        return 0;
                } else {
                        fprintf(stderr, "buildward: error: unknown option '%s'; see `buildward doctor --help`\n",
                                argv[i]);
                        return 2;
                }
        }
        struct feature *f;
        size_t n = features_probe(&f), f_allocated = 0;
        bool monitor = false;
        for (size_t i = 0; i < n; i++)
                monitor = monitor || (streq(f[i].name, "eBPF monitor") && f[i].ok);
        GREEDY_REALLOC(f, f_allocated, n + 1);
        f[n++] = (struct feature){ "path policies", monitor, path_policy_mode(monitor),
                                   monitor ? NULL : xstrdup("protect rules of a policy are not checked; run as root") };
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
        return 0;
}
