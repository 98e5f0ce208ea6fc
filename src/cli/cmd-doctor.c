/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <json-c/json.h>

#include "basic/util.h"
#include "cli/commands.h"
#include "sandbox/features.h"

/*
 * Where path policies (policy.h, protect) are enforced on this host. Only the
 * monitor does it: BPF-LSM could refuse the access in the kernel, but the
 * hosts here refuse LSM programs, and an LSM program that cannot be tested
 * here is not shipped. The line says so, and what a host needs for it.
 */
static char *path_policy_mode(bool monitor) {
        if (!monitor)
                return xstrdup("not checked: the eBPF monitor is unavailable (see above)");
        _cleanup_free_ char *lsm = NULL;
        if (read_full_file("/sys/kernel/security/lsm", &lsm, NULL, 4096) < 0)
                return xstrdup(
                        "detected by the monitor (BPF-LSM state unknown: /sys/kernel/security/lsm is unreadable, "
                        "securityfs not mounted; in-kernel refusal would need lsm=...,bpf on the kernel command "
                        "line and an LSM program this buildward does not ship yet)");
        lsm[strcspn(lsm, "\n")] = 0;
        bool bpf = false;
        _cleanup_free_ char *copy = xstrdup(lsm);
        for (char *t = strtok(copy, ","); t; t = strtok(NULL, ","))
                bpf = bpf || streq(t, "bpf");
        if (bpf)
                return xasprintf("detected by the monitor (BPF-LSM is enabled: '%s', but this buildward ships no LSM "
                                 "program yet; accesses are reported, and --enforce stops the build)",
                                 lsm);
        return xasprintf("detected by the monitor (BPF-LSM not enabled: the active LSMs are '%s'; add lsm=...,bpf to "
                         "the kernel command line to have them refused in the kernel, once buildward ships an LSM "
                         "program)",
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
        size_t n = features_probe(&f);
        bool monitor = false;
        for (size_t i = 0; i < n; i++)
                monitor = monitor || (streq(f[i].name, "eBPF monitor") && f[i].ok);
        f = realloc(f, sizeof(*f) * (n + 1));
        if (!f)
                abort();
        f[n++] = (struct feature){ "path policies", monitor, path_policy_mode(monitor),
                                   monitor ? NULL : xstrdup("protect rules of a policy are not checked; run as root") };
        if (json) {
                json_object *a = json_object_new_array();
                for (size_t i = 0; i < n; i++) {
                        json_object *o = json_object_new_object();
                        json_object_object_add(o, "feature", json_object_new_string(f[i].name));
                        json_object_object_add(o, "available", json_object_new_boolean(f[i].ok));
                        json_object_object_add(o, "detail", json_object_new_string(f[i].detail));
                        json_object_object_add(o, "without_it",
                                               f[i].degrade ? json_object_new_string(f[i].degrade) : NULL);
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
