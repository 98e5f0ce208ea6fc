/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct engine;

/*
 * The eBPF monitor of one build: process life and the system calls the rules
 * look at, from the build's cgroup only, recorded to OUT/events.jsonl and fed
 * to the detection engine as they arrive. Open (load and attach, a few milliseconds of
 * verifier time) may run on any thread while the sandbox is set up; the build's
 * cgroup id is set before its first process runs, so nothing is missed.
 */
struct monitor;

struct monitor_stats {
        uint64_t events;
        uint64_t lost;
        uint64_t refused;     /* calls the BPF-LSM program refused: opens, unlinks, renames, links, truncates */
        uint64_t not_written; /* events past monitor_set_events_max(): judged, not in events.jsonl */
};

/*
 * Loads and attaches the programs; the path-policy program only with
 * PROTECT_PATHS. On failure returns -errno and a reason a user can act on.
 */
int monitor_open(struct monitor **ret, bool protect_paths, char **ret_reason);
/*
 * Records the cgroup with v2 id CGROUP_ID to EVENTS_FD (JSON Lines; takes the fd)
 * and feeds every event to ENGINE, whose source tree is SOURCE. The kernel side
 * records from now on; the ring holds the events until monitor_run() starts the
 * reader thread, which owns ENGINE until monitor_stop() returns.
 */
int monitor_arm(struct monitor *m, uint64_t cgroup_id, int events_fd, struct engine *engine, const char *source);
/*
 * Bounds events.jsonl to BYTES (0: no bound): the first event that would
 * cross it and every later one are fed to the engine but not written, and
 * monitor_stop() ends the file with a {"type":"truncated",...} line. Before
 * monitor_arm().
 */
void monitor_set_events_max(struct monitor *m, uint64_t bytes);
/*
 * Path policies: successful opens (reads too) under these N absolute path
 * prefixes are recorded with the path the kernel resolved. Before
 * monitor_arm(). -E2BIG beyond MONITOR_PROTECT_MAX prefixes, -ENAMETOOLONG
 * beyond MONITOR_PROTECT_LEN bytes.
 */
#define MONITOR_PROTECT_MAX 16
#define MONITOR_PROTECT_LEN 128
int monitor_protect(struct monitor *m, char *const *prefixes, size_t n);
/*
 * Path policies refused in the kernel: the BPF-LSM programs (bpf/lsm.bpf.c),
 * sharing the monitor's ring and configuration. After monitor_open() and
 * before monitor_arm(), on a kernel whose active LSMs include bpf
 * (bpf_lsm_enabled()). On failure returns -errno and a reason naming the fix;
 * the monitor's detection goes on without it.
 */
int monitor_lsm_open(struct monitor *m, char **ret_reason);
bool monitor_lsm_loaded(const struct monitor *m);
/*
 * Protect entry INDEX of the policy, for the kernel to decide: PATH is a file
 * (MONITOR_LSM_EXACT) or a directory ending in '/' whose every path below is
 * covered; the flags say which accesses are restricted. Only rules the kernel
 * decides exactly as the policy does (docs/integrity.md). Before monitor_arm().
 */
#define MONITOR_LSM_EXACT          (1u << 0)
#define MONITOR_LSM_RESTRICT_READ  (1u << 1)
#define MONITOR_LSM_RESTRICT_WRITE (1u << 2)
int monitor_lsm_rule(struct monitor *m, unsigned index, const char *path, unsigned flags);
/*
 * Lets the executable file INO on DEV (userspace's st_dev) READ and/or WRITE
 * what rule INDEX protects. Only for host files verified against the sealed
 * toolchain. Before the rules, so no allowed access is ever refused.
 */
int monitor_lsm_allow(struct monitor *m, uint64_t ino, uint64_t dev, unsigned index, bool read, bool write);
/* Drops the BPF-LSM program (a half-filled policy is never left in the kernel). */
void monitor_lsm_close(struct monitor *m);
/* Loads and attaches the BPF-LSM program alone, then drops it: whether this kernel runs it (doctor). */
int monitor_lsm_probe(char **ret_reason);
/*
 * Who relocated the programs: "kernel" (the light skeleton, Linux 5.17+) or
 * "libbpf" (its CO-RE against /sys/kernel/btf/vmlinux, the fallback, or
 * BUILDWARD_MONITOR_LOADER=libbpf). NULL before monitor_open() succeeded.
 */
const char *monitor_loader(const struct monitor *m);
/* Also record files mapped as code (every shared library), for run --toolchain. Before monitor_arm(). */
void monitor_record_maps(struct monitor *m);
int monitor_run(struct monitor *m);
/* Drains what the kernel still holds, stops the reader and closes the events file. */
void monitor_stop(struct monitor *m, struct monitor_stats *ret);
void monitor_free(struct monitor *m);
