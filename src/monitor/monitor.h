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
 * Path policies: successful opens (reads too) under these N absolute path
 * prefixes are recorded with the path the kernel resolved. Before
 * monitor_arm(). -E2BIG beyond MONITOR_PROTECT_MAX prefixes, -ENAMETOOLONG
 * beyond MONITOR_PROTECT_LEN bytes.
 */
#define MONITOR_PROTECT_MAX 16
#define MONITOR_PROTECT_LEN 128
int monitor_protect(struct monitor *m, char *const *prefixes, size_t n);
/* Also record files mapped as code (every shared library), for run --toolchain. Before monitor_arm(). */
void monitor_record_maps(struct monitor *m);
int monitor_run(struct monitor *m);
/* Drains what the kernel still holds, stops the reader and closes the events file. */
void monitor_stop(struct monitor *m, struct monitor_stats *ret);
void monitor_free(struct monitor *m);
