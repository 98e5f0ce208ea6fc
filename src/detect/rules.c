/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The detection rules, by the kind of event. Every event goes through every
 * rule of its kind (no first match wins); the families live in rules-exec.c,
 * rules-file.c, rules-net.c and rules-kernel.c, and each one that fires calls
 * emit_finding() (emit.c) with an id from catalog.c.
 */
#include "basic/json-util.h"
#include "basic/util.h"
#include "detect/rules.h"

static void rules_syscall(struct engine *e, struct event *ev, struct proc *p) {
        _cleanup_free_ char *path = proc_resolve(p, ev->path), *path2 = proc_resolve(p, ev->path2);
        if (rules_file_syscall(e, ev, p, path, path2) || rules_net_syscall(e, ev, p))
                return;
        rules_kernel_syscall(e, ev, p, path);
}

/* The executable of P is not part of the toolchain and not something the build compiled. */
static bool exe_foreign(const struct engine *e, const struct proc *p) {
        if (!p->exe || p->exe[0] != '/')
                return false;
        if (p->exe_deleted || (p->exe_written && (p->exe_writer_tool & TOOL_DOWNLOADER)))
                return true;
        if (path_in_system(p->exe) || path_in_source(e, p->exe))
                return false;
        return !(p->exe_written && (p->exe_writer_tool & TOOL_COMPILER));
}

/* ---- process life ------------------------------------------------------------------------ */

static void rules_sample(struct engine *e, const struct event *ev, struct proc *p) {
        if (!p)
                return;
        if (ev->exe_deleted && !p->exe_deleted) {
                p->exe_deleted = true;
                emit_finding(e, "anti-forensics.exe-deleted", ev, p, NULL, p->exe,
                             ev_obj("exe_link", ev->exe_link, NULL, NULL),
                             "'%s' is running from a file that has since been deleted", exe_of(p));
        }
        /*
         * CPU time, not wall time: a miner takes all it gets, but a loaded
         * builder may give it half a core. Two CPU-seconds is more than any
         * helper script needs; what the build compiled is not counted here.
         */
        p->cpu_ms += ev->cpu_ms;
        if (p->cpu_ms >= SUSTAINED_CPU_MS && (exe_foreign(e, p) || daemon_name(p->comm))) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "cpu_ms", json_object_new_int64((int64_t) p->cpu_ms));
                emit_finding(e, "crypto-miner.sustained-cpu", ev, p, NULL, p->exe, o,
                             "'%s' used %.1f s of CPU and is not a program of the toolchain or the build", exe_of(p),
                             (double) p->cpu_ms / 1000.0);
        }
}

void rules_run(struct engine *e, struct event *ev, struct proc *p) {
        /*
         * A process that has not executed anything is buildward's own sandbox
         * set-up (its init, the child that becomes CMD): trusted code whose
         * mounts and namespaces are the sandbox itself. Everything the build
         * runs descends from CMD's exec, and fork passes that mark on.
         */
        if (ev->type != EV_EXEC && (!p || !p->exec_seen))
                return;
        switch (ev->type) {
        case EV_EXEC:
                if (p)
                        rules_exec(e, ev, p);
                break;
        case EV_EXIT:
                /* remember a child killed by a signal: a parent that restarts it is a watchdog */
                if (p && ev->signal && (ev->signal == 9 || ev->signal == 15 || ev->signal == 2 || ev->signal == 1)) {
                        struct proc *parent = proc_get(&e->pt, p->ppid);
                        if (parent && parent != p && p->exe) {
                                free(parent->killed_child_exe);
                                parent->killed_child_exe = xstrdup(p->exe);
                                parent->killed_child_usec = ev->time_usec;
                        }
                }
                break;
        case EV_RENAME:
                if (p && ev->path && daemon_name(ev->path))
                        emit_finding(e, "anti-forensics.masquerade", ev, p, ev->path, NULL,
                                     ev_obj("new_comm", ev->path, NULL, NULL),
                                     "'%s' renamed itself to '%s', the name of a system daemon or kernel thread",
                                     exe_of(p), ev->path);
                break;
        case EV_SYSCALL:
                rules_syscall(e, ev, p);
                break;
        case EV_SAMPLE:
                rules_sample(e, ev, p);
                break;
        default:
                break;
        }
}
