/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <sys/stat.h>

#include "basic/util.h"
#include "doctor/probe.h"
#include "integrity/verity.h"
#include "monitor/monitor.h"
#include "sandbox/features.h"

size_t doctor_probe(struct feature **ret) {
        struct feature *v = NULL;
        size_t n = features_probe(&v);
        bool root = geteuid() == 0;
        int r;
        struct stat s;
        bool btf = stat("/sys/kernel/btf/vmlinux", &s) == 0;
        feature_add(&v, &n, "BTF", btf, xstrdup(btf ? "/sys/kernel/btf/vmlinux present" : "absent"),
                    "the eBPF monitor needs CO-RE type information; use a kernel built with CONFIG_DEBUG_INFO_BTF");
        if (root) {
                struct monitor *m = NULL;
                char *reason = NULL;
                r = monitor_open(&m, false, &reason);
                feature_add(&v, &n, "eBPF monitor", r >= 0,
                            r >= 0 ? xstrdup("tp_btf programs load and attach (process exec, fork, exit)") : reason,
                            "builds run unwatched; the report says monitor.enabled=false and why");
                if (r >= 0)
                        free(reason);
                monitor_free(m);
        } else
                feature_add(&v, &n, "eBPF monitor", false, xstrdup("not probed: needs root"),
                            "builds of unprivileged users run unwatched; run buildward as root");
        /* ENODATA: the filesystem has fs-verity, this file just is not sealed by it. */
        _cleanup_close_ int vfd = open("/usr/bin/env", O_RDONLY | O_CLOEXEC | O_NOCTTY);
        uint8_t vd[VERITY_DIGEST_SIZE];
        r = vfd < 0 ? -errno : verity_measure_kernel(vfd, vd);
        feature_add(&v, &n, "fs-verity", r == 0 || r == -ENODATA,
                    r == 0 || r == -ENODATA ? xstrdup("supported by /usr's filesystem")
                                            : xasprintf("not on /usr's filesystem (%s)", strerror(-r)),
                    "seal/check compute the same digests in userspace; the kernel does not guard sealed files between "
                    "checks");
        *ret = v;
        return n;
}
