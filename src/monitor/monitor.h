/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/*
 * The eBPF monitor of one build: process exec/fork/exit of the build's cgroup,
 * streamed to OUT/events.jsonl. Open (load and attach, a few milliseconds of
 * verifier time) may run on any thread while the sandbox is set up; the build's
 * cgroup id is set before its first process runs, so nothing is missed.
 */
struct monitor;

struct monitor_stats {
        uint64_t events;
        uint64_t lost;
};

/* Loads and attaches the programs. On failure returns -errno and a reason a user can act on. */
int monitor_open(struct monitor **ret, char **ret_reason);
/*
 * Records the cgroup with v2 id CGROUP_ID to EVENTS_FD (JSON Lines; takes the fd).
 * The kernel side records from now on; the ring holds the events until
 * monitor_run() starts the reader thread.
 */
int monitor_arm(struct monitor *m, uint64_t cgroup_id, int events_fd);
int monitor_run(struct monitor *m);
/* Drains what the kernel still holds, stops the reader and closes the events file. */
void monitor_stop(struct monitor *m, struct monitor_stats *ret);
void monitor_free(struct monitor *m);
