/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <pthread.h>

#include "monitor/monitor.h"
#include "run/run.h"

struct engine;
struct protect_rule;

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
        uint64_t events_max; /* bytes of events.jsonl; 0: no bound */
        bool armed, started;
        struct monitor_stats stats;
};

/*
 * As root and without --no-monitor: drops root's groups, starts loading the
 * monitor on its own thread and hooks it into O's sandbox configuration, so
 * that it is armed before the build's first process. Without root RM only
 * records why nothing watches. 0, or EXIT_SETUP with the reason printed.
 */
int run_watch_setup(struct run_monitor *rm, struct run_options *o, const struct sandbox_state *st, int out_fd);
/* Once the build has ended: waits for the exits of what was killed, then stops recording. */
void run_watch_stop(struct run_monitor *rm, struct sandbox_result *res);
void run_watch_done(struct run_monitor *rm);

/*
 * Path policies against what this run can check; 0 and the prefixes the
 * kernel side records opens under, or EXIT_SETUP with the reason printed.
 */
int run_check_protect(const struct run_options *o, char ***ret_prefixes);
/*
 * Which protect entries the kernel decides exactly as the policy does: the
 * monitor_lsm_rule() flags and the path the kernel compares, or 0.
 */
unsigned run_lsm_rule_flags(const struct protect_rule *r, const char **ret_path);
