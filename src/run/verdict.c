/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the sandbox itself saw (survivors, limits), and the verdict of the whole run. */
#include <sys/wait.h>

#include "basic/json-util.h"
#include "run/verdict.h"

void run_add_survivor_findings(const struct sandbox_result *res, struct finding_list *fl) {
        for (size_t i = 0; i < res->n_survivors; i++) {
                const struct survivor *s = &res->survivors[i];
                json_object *ev = json_object_new_object();
                json_object_object_add(ev, "pid_in_sandbox", json_object_new_int(s->pid));
                json_object_object_add(ev, "exe_deleted", json_object_new_boolean(s->exe_deleted));
                json_object_object_add(ev, "action", json_new_string("killed"));
                const char *name = s->argv && s->argv[0] ? s->argv[0] : (s->exe ? s->exe : "?");
                struct finding f = {
                        .rule = xstrdup("process-survival.alive-at-exit"),
                        .category = "process-survival",
                        .severity = SEV_HIGH,
                        .time_usec = s->seen_usec,
                        .pid = s->host_pid, /* host pids throughout the report, as in "processes" */
                        .ppid = 0,
                        .host_pid = s->host_pid,
                        .exe = s->exe ? xstrdup(s->exe) : NULL,
                        .argv = strv_copy(s->argv),
                        .detail = xasprintf("'%s' (pid %d, %d in the sandbox) was still running when the build "
                                            "command exited, as a daemon or backdoor left behind would be; "
                                            "buildward killed it",
                                            name, (int) s->host_pid, (int) s->pid),
                        .evidence = ev,
                };
                finding_list_add(fl, f);
        }
}

void run_add_limit_findings(const struct sandbox_result *res, struct finding_list *fl) {
        struct {
                bool hit;
                const char *rule, *detail;
        } hits[] = {
                { res->end == SANDBOX_END_TIMEOUT, "resource-abuse.timeout",
                  "the build ran past --timeout and was killed: a hang, or work that does not belong in a build" },
                { res->usage.oom_kills > 0, "resource-abuse.memory-limit",
                  "a process of the build was killed for exceeding --memory" },
                { res->usage.pids_max_hits > 0, "resource-abuse.pids-limit",
                  "the build tried to create more processes than --pids allows (a fork bomb stops here)" },
        };
        for (size_t i = 0; i < ELEMENTSOF(hits); i++) {
                if (!hits[i].hit)
                        continue;
                json_object *ev = json_object_new_object();
                json_object_object_add(ev, "oom_kills", json_object_new_uint64(res->usage.oom_kills));
                json_object_object_add(ev, "pids_max_hits", json_object_new_uint64(res->usage.pids_max_hits));
                finding_list_add(fl, (struct finding){
                                             .rule = xstrdup(hits[i].rule),
                                             .category = "resource-abuse",
                                             .severity = SEV_MEDIUM,
                                             .time_usec = now_usec(CLOCK_REALTIME),
                                             .detail = xstrdup(hits[i].detail),
                                             .evidence = ev,
                                     });
        }
}

struct run_verdict run_judge(enum severity fail_on, int max_severity, const struct sandbox_result *res,
                             uint64_t lost_events, uint64_t events_not_written, bool enforce_missing) {
        struct run_verdict v;
        v.pass = (fail_on == SEV_NEVER || max_severity < (int) fail_on) &&
                 (res->end == SANDBOX_END_EXITED || res->end == SANDBOX_END_EXEC_FAILED) &&
                 lost_events == 0 && /* what the monitor did not see may have been anything */
                 /* judged, but the record cannot back the verdict: a flood of events is itself suspect */
                 events_not_written == 0 && !enforce_missing;
        if (res->end == SANDBOX_END_TIMEOUT)
                v.exit_code = EXIT_TIMEOUT;
        else if (res->end == SANDBOX_END_INTERRUPTED)
                v.exit_code = 128 + res->signal;
        else if (!v.pass)
                v.exit_code = EXIT_VERDICT_FAIL; /* findings reached --fail-on */
        else if (res->end == SANDBOX_END_EXEC_FAILED)
                v.exit_code = res->exec_errno == ENOENT ? 127 : 126;
        else
                v.exit_code = WIFEXITED(res->status) ? WEXITSTATUS(res->status) : 128 + WTERMSIG(res->status);
        return v;
}
