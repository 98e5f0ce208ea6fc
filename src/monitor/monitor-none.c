/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Built without eBPF support (no bpftool, clang, libbpf or BTF on the build host). */
#include <errno.h>

#include "basic/util.h"
#include "monitor/monitor.h"

int monitor_open(struct monitor **ret, bool protect_paths, char **ret_reason) {
        (void) ret;
        (void) protect_paths;
        *ret_reason = xstrdup("this buildward was built without eBPF support (bpftool, clang, libbpf-dev or "
                              "/sys/kernel/btf/vmlinux missing on the build host); rebuild after scripts/bootstrap");
        return -EOPNOTSUPP;
}

int monitor_arm(struct monitor *m, uint64_t cgroup_id, int events_fd, struct engine *engine, const char *source) {
        (void) m;
        (void) cgroup_id;
        (void) engine;
        (void) source;
        close(events_fd);
        return -EOPNOTSUPP;
}

void monitor_set_events_max(struct monitor *m, uint64_t bytes) {
        (void) m;
        (void) bytes;
}

int monitor_protect(struct monitor *m, char *const *prefixes, size_t n) {
        (void) m;
        (void) prefixes;
        (void) n;
        return -EOPNOTSUPP;
}

int monitor_lsm_open(struct monitor *m, char **ret_reason) {
        (void) m;
        *ret_reason = xstrdup("this buildward was built without eBPF support");
        return -EOPNOTSUPP;
}

const char *monitor_loader(const struct monitor *m) {
        (void) m;
        return NULL;
}

bool monitor_lsm_loaded(const struct monitor *m) {
        (void) m;
        return false;
}

int monitor_lsm_rule(struct monitor *m, unsigned index, const char *path, unsigned flags) {
        (void) m;
        (void) index;
        (void) path;
        (void) flags;
        return -EOPNOTSUPP;
}

int monitor_lsm_allow(struct monitor *m, uint64_t ino, uint64_t dev, unsigned index, bool read, bool write) {
        (void) m;
        (void) ino;
        (void) dev;
        (void) index;
        (void) read;
        (void) write;
        return -EOPNOTSUPP;
}

void monitor_lsm_close(struct monitor *m) {
        (void) m;
}

int monitor_lsm_probe(char **ret_reason) {
        *ret_reason = xstrdup("this buildward was built without eBPF support");
        return -EOPNOTSUPP;
}

void monitor_record_maps(struct monitor *m) {
        (void) m;
}

int monitor_run(struct monitor *m) {
        (void) m;
        return -EOPNOTSUPP;
}

void monitor_stop(struct monitor *m, struct monitor_stats *ret) {
        (void) m;
        *ret = (struct monitor_stats){};
}

void monitor_free(struct monitor *m) {
        (void) m;
}
