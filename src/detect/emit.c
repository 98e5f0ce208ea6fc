/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where a rule's verdict becomes a finding: dedup, the policy's suppressions
 * and severity changes, the cap, --enforce. The rule files call only this and
 * the process table; engine.c feeds them and never decides a finding itself.
 */
#include <search.h>
#include <stdarg.h>

#include "basic/json-util.h"
#include "basic/util.h"
#include "detect/internal.h"

static int str_cmp(const void *a, const void *b) {
        return strcmp(a, b);
}

json_object *process_chain_json(struct engine *e, const struct proc *p) {
        json_object *a = json_object_new_array();
        for (int depth = 0; p && depth < 32; depth++) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "pid", json_object_new_int(p->pid));
                json_object_object_add(o, "exe", p->exe ? json_new_string(p->exe) : NULL);
                json_object_object_add(o, "comm", json_new_string(p->comm));
                json_object_object_add(o, "argv", json_new_strv(p->argv));
                json_object_array_add(a, o);
                const struct proc *parent = proc_get(&e->pt, p->ppid);
                if (parent == p)
                        break;
                p = parent;
        }
        return a;
}

bool seen_before(struct engine *e, const char *rule, pid_t pid, const char *key) {
        char *k = xasprintf("%s\x1f%d\x1f%s", rule, (int) pid, key ? key : "");
        if (tfind(k, &e->seen, str_cmp)) {
                free(k);
                return true;
        }
        tsearch(k, &e->seen, str_cmp);
        return false;
}

void emit_finding(struct engine *e, const char *rule_id, const struct event *ev, const struct proc *p, const char *key,
                  const char *path, json_object *evidence, const char *detail_fmt, ...) {
        const struct rule_info *ri = rule_find(rule_id);
        if (!ri)
                abort(); /* every rule is in the catalog: a missing one is our bug */
        if (seen_before(e, rule_id, p ? p->pid : 0, key)) {
                json_object_put(evidence);
                return;
        }
        int s = e->policy ? policy_suppression(e->policy, rule_id, p ? p->exe : NULL, path) : -1;
        if (s >= 0) {
                e->supp_counts[s]++;
                json_object_put(evidence);
                return;
        }
        if (e->findings.n >= MAX_FINDINGS) {
                e->dropped++;
                json_object_put(evidence);
                return;
        }
        enum severity sev = ri->severity;
        const struct severity_override *o = e->policy ? policy_override(e->policy, rule_id) : NULL;
        if (o)
                sev = o->severity;
        va_list ap;
        va_start(ap, detail_fmt);
        char *detail;
        if (vasprintf(&detail, detail_fmt, ap) < 0)
                abort();
        va_end(ap);
        if (!evidence)
                evidence = json_object_new_object();
        if (path && !json_object_object_get_ex(evidence, "path", NULL))
                json_object_object_add(evidence, "path", json_new_string(path));
        if (ev && ev->type == EV_SYSCALL) {
                json_object_object_add(evidence, "syscall", json_new_string(sc_name(ev->sc)));
                if (ev->has_result)
                        json_object_object_add(evidence, "result",
                                               json_new_string(ev->result >= 0 ? "succeeded"
                                                               : ev->lsm_refused
                                                                       ? "refused in the kernel (BPF-LSM, EPERM)"
                                                               : ev->result == -EPERM ? "refused by the sandbox (EPERM)"
                                                                                      : errno_name((int) -ev->result)));
        }
        if (o)
                json_object_object_add(evidence, "severity_changed_by_policy", json_new_string(o->reason));
        /* --enforce: a tampered toolchain, or a protected path read, stops the build at once, not at its end */
        if (e->hooks.stop && sev >= SEV_HIGH &&
            (streq(ri->category, "toolchain-tamper") || streq(rule_id, "secret-access.protected-read"))) {
                json_object_object_add(evidence, "enforced",
                                       json_new_string(e->stopped ? "the build was already being stopped"
                                                                  : "the build was stopped (--enforce)"));
                if (!e->stopped) {
                        e->stopped = true;
                        e->hooks.stop(e->hooks.userdata, rule_id);
                }
        }
        finding_list_add(&e->findings, (struct finding){
                                               .rule = xstrdup(rule_id),
                                               .category = ri->category,
                                               .severity = sev,
                                               .time_usec = ev ? ev->time_usec : now_usec(CLOCK_REALTIME),
                                               .pid = p ? p->pid : 0,
                                               .ppid = p ? p->ppid : 0,
                                               .host_pid = p ? p->pid : 0,
                                               .exe = p && p->exe ? xstrdup(p->exe) : NULL,
                                               .argv = p ? strv_copy(p->argv) : NULL,
                                               .cwd = p && p->cwd ? xstrdup(p->cwd) : NULL,
                                               .chain = p ? process_chain_json(e, p) : NULL,
                                               .detail = detail,
                                               .evidence = evidence,
                                       });
}
