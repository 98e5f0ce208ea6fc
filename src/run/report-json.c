/* SPDX-License-Identifier: GPL-2.0-or-later */
/* report.json: every other output (SARIF, HTML, provenance, the summary) is derived from it. */
#include <limits.h>
#include <sys/wait.h>

#include "basic/json-util.h"
#include "finding/catalog.h"
#include "detect/engine.h"
#include "detect/policy.h"
#include "run/report-json.h"

/* Seconds with millisecond precision, printed as such (no binary-float noise). */
static json_object *jseconds(uint64_t usec) {
        char buf[32];
        snprintf(buf, sizeof(buf), "%.3f", (double) usec / 1e6);
        return json_object_new_double_s((double) usec / 1e6, buf);
}

/*
 * report.json's monitor.path_policies: how this run enforced the policy's
 * protect entries. "refused in the kernel and detected" when the BPF-LSM
 * program ran, naming the entries it decided (others are detected only),
 * else "detected" or "not checked", with the reason.
 */
static json_object *path_policies_json(const struct run_options *a, const struct run_monitor *rm) {
        json_object *o = json_object_new_object();
        bool lsm = rm->started && rm->lsm_active;
        json_object_object_add(o, "mode",
                               json_new_string(lsm           ? "refused in the kernel and detected"
                                               : rm->started ? "detected"
                                                             : "not checked"));
        json_object_object_add(o, "reason",
                               lsm ? NULL : json_new_string(rm->started ? rm->lsm_reason : "the monitor did not run"));
        json_object *k = json_object_new_array(), *d = json_object_new_array();
        for (size_t i = 0; i < a->policy->n_protect; i++) {
                const char *kpath;
                bool in_kernel = lsm && run_lsm_rule_flags(&a->policy->protect[i], &kpath);
                json_object_array_add(in_kernel ? k : d, json_new_string(a->policy->protect[i].path));
        }
        json_object_object_add(o, "refused_in_kernel", k);
        json_object_object_add(o, "detected_only", d);
        json_object_object_add(o, "refused", json_object_new_uint64(rm->stats.refused));
        return o;
}

static json_object *sandbox_json(const struct run_options *a, const struct sandbox_state *st) {
        json_object *sb = json_object_new_object();
        json_object_object_add(sb, "uid", json_object_new_int(SANDBOX_UID));
        json_object_object_add(sb, "host_uid", json_object_new_int64(st->host_uid));
        json_object_object_add(sb, "privileged_setup", json_object_new_boolean(st->privileged));
        json_object_object_add(sb, "hostname", json_new_string(a->cfg.hostname));
        const char *ns[] = { "user", "pid", "mount", "net", "ipc", "uts", "cgroup" };
        json_object *nsa = json_object_new_array();
        for (size_t i = 0; i < ELEMENTSOF(ns); i++)
                json_object_array_add(nsa, json_new_string(ns[i]));
        json_object_object_add(sb, "namespaces", nsa);
        json_object_object_add(sb, "network", json_new_string("loopback only"));
        json_object_object_add(sb, "no_new_privs", json_object_new_boolean(true));
        json_object_object_add(sb, "seccomp", json_object_new_boolean(true));
        json_object *ll = json_object_new_object();
        json_object_object_add(ll, "enabled", json_object_new_boolean(st->landlock_abi > 0));
        json_object_object_add(ll, "abi", json_object_new_int(st->landlock_abi));
        json_object_object_add(sb, "landlock", ll);
        json_object *cg = json_object_new_object();
        json_object_object_add(cg, "version", json_new_string(cgroup_mode_name(st->cg.mode)));
        json_object_object_add(cg, "path", json_new_string(st->cg.v2_path ? st->cg.v2_path : st->cg.v1_memory));
        json_object *lim = json_object_new_object();
        json_object_object_add(lim, "memory",
                               a->cfg.limits.memory ? json_object_new_uint64(a->cfg.limits.memory) : NULL);
        json_object_object_add(lim, "pids", a->cfg.limits.pids ? json_object_new_uint64(a->cfg.limits.pids) : NULL);
        json_object_object_add(
                lim, "cpus",
                a->cfg.limits.cpus_milli ? json_object_new_double((double) a->cfg.limits.cpus_milli / 1000.0) : NULL);
        json_object_object_add(cg, "limits", lim);
        json_object *na = json_object_new_array();
        if (st->cg.not_applied) {
                _cleanup_free_ char *copy = xstrdup(st->cg.not_applied);
                for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ","))
                        json_object_array_add(na, json_new_string(tok));
        }
        json_object_object_add(cg, "not_applied", na);
        json_object_object_add(sb, "cgroup", cg);
        json_object_object_add(sb, "source", json_new_string(a->cfg.source));
        json_object_object_add(sb, "source_mapping", json_new_string(st->source_mapping));
        json_object_object_add(sb, "rootfs", json_new_string(a->cfg.rootfs ? a->cfg.rootfs : "host"));
        json_object_object_add(sb, "tmp_size", json_object_new_uint64(a->cfg.tmp_size));
        json_object_object_add(sb, "timeout_s", jseconds(a->cfg.timeout_usec));
        json_object *binds = json_object_new_array();
        for (size_t i = 0; i < a->cfg.n_binds; i++) {
                json_object *b = json_object_new_object();
                json_object_object_add(b, "src", json_new_string(a->cfg.binds[i].src));
                json_object_object_add(b, "dst", json_new_string(a->cfg.binds[i].dst));
                json_object_object_add(b, "writable", json_object_new_boolean(a->cfg.binds[i].writable));
                json_object_array_add(binds, b);
        }
        json_object_object_add(sb, "binds", binds);
        /* Names only: values named with --env may be secrets the build was meant to have. */
        json_object *envn = json_object_new_array();
        for (char **e = a->cfg.envp; e && *e; e++)
                json_object_array_add(envn, json_new_string_len(*e, (int) strcspn(*e, "=")));
        json_object_object_add(sb, "env", envn);
        json_object_object_add(sb, "warnings", json_new_strv(st->warnings));
        json_object_object_add(sb, "masked_hardlinks", json_new_strv(st->masked_hardlinks));
        if (a->toolchain_report)
                json_object_object_add(sb, "toolchain", json_object_get(a->toolchain_report));
        return sb;
}

static json_object *monitor_json(const struct run_options *a, const struct run_monitor *rm) {
        size_t n_rules;
        (void) rule_catalog(&n_rules);
        json_object *mon = json_object_new_object();
        json_object_object_add(mon, "enabled", json_object_new_boolean(rm->started));
        if (!rm->started)
                json_object_object_add(mon, "reason",
                                       json_new_string(a->no_monitor ? "disabled with --no-monitor"
                                                       : rm->reason  ? rm->reason
                                                                     : "not started"));
        else {
                json_object_object_add(mon, "events_file", json_new_string("events.jsonl"));
                json_object_object_add(mon, "loader", json_new_string(monitor_loader(rm->m)));
        }
        json_object_object_add(mon, "events", json_object_new_uint64(rm->stats.events));
        json_object_object_add(mon, "lost", json_object_new_uint64(rm->stats.lost));
        json_object_object_add(mon, "events_max_size",
                               rm->events_max ? json_object_new_uint64(rm->events_max) : json_new_string("max"));
        json_object_object_add(mon, "events_truncated", json_object_new_boolean(rm->stats.not_written > 0));
        json_object_object_add(mon, "events_not_written", json_object_new_uint64(rm->stats.not_written));
        json_object_object_add(mon, "rules", json_object_new_int((int) n_rules));
        json_object_object_add(mon, "enforce", json_object_new_boolean(a->enforce));
        json_object_object_add(mon, "stopped_by", json_new_string(rm->stopped_by));
        json_object_object_add(mon, "findings_dropped",
                               json_object_new_uint64(rm->engine ? engine_dropped(rm->engine) : 0));
        if (a->policy && a->policy->n_protect > 0)
                json_object_object_add(mon, "path_policies", path_policies_json(a, rm));
        return mon;
}

/* What the build left: artifacts (and those refused), changes to the source tree. */
static void add_outputs(json_object *o, const struct artifact_list *al, const struct change_list *cl) {
        json_object *aa = json_object_new_array();
        for (size_t i = 0; i < al->n; i++) {
                json_object *j = json_object_new_object();
                json_object_object_add(j, "path", json_new_string(al->v[i].path));
                json_object_object_add(j, "sha256", json_new_string(al->v[i].sha256));
                json_object_object_add(j, "size", json_object_new_uint64(al->v[i].size));
                json_object_array_add(aa, j);
        }
        json_object_object_add(o, "artifacts", aa);
        json_object *ra = json_object_new_array();
        for (size_t i = 0; i < al->n_refused; i++) {
                json_object *j = json_object_new_object();
                json_object_object_add(j, "path", json_new_string(al->refused[i].path));
                json_object_object_add(j, "reason", json_new_string(al->refused[i].reason));
                json_object_array_add(ra, j);
        }
        json_object_object_add(o, "artifacts_refused", ra);
        json_object *ca = json_object_new_array();
        for (size_t i = 0; i < cl->n; i++) {
                json_object *j = json_object_new_object();
                json_object_object_add(j, "path", json_new_string(cl->v[i].path));
                json_object_object_add(j, "change", json_new_string(change_kind_name(cl->v[i].kind)));
                json_object_array_add(ca, j);
        }
        json_object_object_add(o, "source_changes", ca);
        json_object_object_add(o, "source_changes_truncated", json_object_new_boolean(cl->truncated));
}

json_object *run_report_json(const struct run_options *a, const struct run_monitor *rm, const struct run_outcome *out) {
        const struct sandbox_state *st = &out->st;
        const struct sandbox_result *res = &out->res;
        const struct finding_list *fl = &out->findings;
        const struct artifact_list *al = &out->artifacts;
        const struct change_list *cl = &out->changes;
        int exit_code = out->verdict.exit_code;
        bool pass = out->verdict.pass;
        uint64_t start_rt = out->start_realtime, duration_usec = out->duration_usec;
        char ts[64];
        json_object *o = json_object_new_object();
        json_object_object_add(o, "version", json_object_new_int(1));
        json_object_object_add(o, "buildward_version", json_new_string(BUILDWARD_VERSION));
        json_object_object_add(o, "command", json_new_strv(a->cfg.argv));
        int cmd_code = WIFEXITED(res->status) ? WEXITSTATUS(res->status) : 128 + WTERMSIG(res->status);
        if (res->end == SANDBOX_END_EXEC_FAILED)
                cmd_code = res->exec_errno == ENOENT ? 127 : 126;
        json_object_object_add(o, "exit_code",
                               res->end == SANDBOX_END_EXITED || res->end == SANDBOX_END_EXEC_FAILED
                                       ? json_object_new_int(cmd_code)
                                       : NULL);
        json_object_object_add(o, "buildward_exit_code", json_object_new_int(exit_code));
        char out_abs[PATH_MAX];
        json_object_object_add(o, "out", json_new_string(realpath(a->out, out_abs) ? out_abs : a->out));
        json_object_object_add(o, "verdict", json_new_string(pass ? "pass" : "fail"));
        json_object_object_add(o, "fail_on", json_new_string(severity_name(a->fail_on)));
        format_rfc3339(start_rt, ts, sizeof(ts));
        json_object_object_add(o, "started_at", json_new_string(ts));
        format_rfc3339(start_rt + duration_usec, ts, sizeof(ts));
        json_object_object_add(o, "finished_at", json_new_string(ts));
        json_object_object_add(o, "duration_s", jseconds(duration_usec));
        json_object_object_add(o, "timed_out", json_object_new_boolean(res->end == SANDBOX_END_TIMEOUT));
        if (res->end == SANDBOX_END_INTERRUPTED)
                json_object_object_add(o, "interrupted_by", json_new_string(sigabbrev_np(res->signal)));
        if (res->end == SANDBOX_END_EXEC_FAILED)
                json_object_object_add(o, "exec_error", json_new_string(strerror(res->exec_errno)));

        json_object_object_add(o, "sandbox", sandbox_json(a, st));
        json_object_object_add(o, "monitor", monitor_json(a, rm));

        json_object *pol = json_object_new_object();
        json_object_object_add(pol, "file", json_new_string(a->policy ? a->policy->file : NULL));
        json_object_object_add(pol, "sha256", json_new_string(a->policy ? a->policy->digest : NULL));
        json_object_object_add(pol, "suppressed",
                               rm->engine ? engine_suppressed_json(rm->engine) : json_object_new_array());
        json_object_object_add(o, "policy", pol);

        json_object *usage = json_object_new_object();
        if (res->usage.valid) {
                json_object_object_add(usage, "memory_peak", json_object_new_uint64(res->usage.memory_peak));
                json_object_object_add(usage, "oom_kills", json_object_new_uint64(res->usage.oom_kills));
                json_object_object_add(usage, "pids_max_hits", json_object_new_uint64(res->usage.pids_max_hits));
                json_object_object_add(usage, "cpu_s", jseconds(res->usage.cpu_usec));
        }
        json_object_object_add(o, "resource_usage", usage);

        json_object_object_add(o, "findings", findings_to_json(fl));

        bool truncated = false;
        json_object_object_add(o, "processes",
                               rm->engine ? engine_processes_json(rm->engine, RUN_MAX_PROCESSES, &truncated)
                                          : json_object_new_array());
        json_object_object_add(o, "processes_truncated", json_object_new_boolean(truncated));

        add_outputs(o, al, cl);
        return o;
}
