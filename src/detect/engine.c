/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <limits.h>
#include <search.h>

#include "basic/json-util.h"
#include "basic/util.h"
#include "detect/internal.h"

struct engine *engine_new(const struct policy *policy) {
        struct engine *e = xcalloc(1, sizeof(*e));
        e->policy = policy;
        if (policy && policy->n_supp)
                e->supp_counts = xcalloc(policy->n_supp, sizeof(uint64_t));
        return e;
}

void engine_free(struct engine *e) {
        if (!e)
                return;
        proctable_done(&e->pt);
        tdestroy(e->seen, free);
        finding_list_done(&e->findings);
        free(e->supp_counts);
        free(e->source);
        free(e->hook_digest);
        free(e->hook_path);
        free(e);
}

uint64_t engine_events(struct engine *e) {
        return e->events;
}

static void update_compilers(struct engine *e, struct proc *p, bool alive) {
        if (!(p->tool & TOOL_COMPILER))
                return;
        if (alive)
                e->compilers_alive++;
        else if (e->compilers_alive > 0)
                e->compilers_alive--;
}

/* Keeps the process table current; returns the process the event is about. */
static struct proc *track(struct engine *e, const struct event *ev) {
        struct proc *p = proc_get(&e->pt, ev->pid);
        switch (ev->type) {
        case EV_FORK: {
                struct proc *parent = p;
                if (!parent) {
                        parent = proc_new(&e->pt, ev->pid, ev->ppid, ev->time_usec);
                        parent->cwd = e->source ? xstrdup(e->source) : NULL;
                        snprintf(parent->comm, sizeof(parent->comm), "%s", ev->comm ? ev->comm : "");
                }
                struct proc *c = proc_new(&e->pt, ev->child, ev->pid, ev->time_usec);
                /* fork copies the image: same program, arguments and directory until an exec */
                snprintf(c->comm, sizeof(c->comm), "%s", parent->comm);
                c->exe = parent->exe ? xstrdup(parent->exe) : NULL;
                c->interp = parent->interp ? xstrdup(parent->interp) : NULL;
                c->argv = strv_copy(parent->argv);
                c->cwd = parent->cwd ? xstrdup(parent->cwd) : NULL;
                c->tool = parent->tool;
                c->exe_written = parent->exe_written;
                c->exe_writer_tool = parent->exe_writer_tool;
                c->sealed_digest = parent->sealed_digest ? xstrdup(parent->sealed_digest) : NULL;
                c->sealed_path = parent->sealed_path ? xstrdup(parent->sealed_path) : NULL;
                c->exec_seen = parent->exec_seen;
                update_compilers(e, c, true);
                return parent;
        }
        case EV_EXEC: {
                if (!p) {
                        p = proc_new(&e->pt, ev->pid, ev->ppid, ev->time_usec);
                        p->cwd = e->source ? xstrdup(e->source) : NULL;
                }
                update_compilers(e, p, false);
                free(p->exe);
                p->exe = proc_resolve(p, ev->filename);
                free(p->interp);
                p->interp = ev->interp ? xstrdup(ev->interp) : NULL;
                strv_free(p->argv);
                p->argv = strv_copy(ev->argv);
                p->exe_ino = ev->exe_ino;
                p->exe_nlink = ev->exe_nlink;
                p->exec_seen = true;
                p->cpu_ms = 0;
                snprintf(p->comm, sizeof(p->comm), "%s", ev->comm ? ev->comm : "");
                /* a script runs as its interpreter: that is what the process is */
                p->tool = tool_classify(p->interp ? p->interp : p->exe);
                const struct writer *w = writer_get(&e->pt, p->exe);
                p->exe_written = w != NULL;
                p->exe_writer_tool = w ? w->tool : 0;
                update_compilers(e, p, true);
                return p;
        }
        case EV_EXIT:
                if (p && !p->exited) {
                        p->exited = true;
                        p->end_usec = ev->time_usec;
                        p->exit_code = ev->exit_code;
                        p->signal = ev->signal;
                        update_compilers(e, p, false);
                }
                return p;
        default:
                if (!p && ev->pid > 0) {
                        p = proc_new(&e->pt, ev->pid, ev->ppid, ev->time_usec);
                        p->cwd = e->source ? xstrdup(e->source) : NULL;
                        snprintf(p->comm, sizeof(p->comm), "%s", ev->comm ? ev->comm : "");
                }
                if (p && ev->type == EV_RENAME && ev->path)
                        snprintf(p->comm, sizeof(p->comm), "%s", ev->path);
                if (p && ev->type == EV_SYSCALL && ev->sc == SC_chdir && ev->path) {
                        char *d = proc_resolve(p, ev->path);
                        free(p->cwd);
                        p->cwd = d[0] == '/' ? d : (free(d), NULL);
                }
                if (p && ev->type == EV_SYSCALL && strv_length(p->sockets) < MAX_SOCKETS_PER_PROC) {
                        const char *verb = ev->sc == SC_connect                          ? "connect"
                                           : ev->sc == SC_bind                           ? "bind"
                                           : ev->sc == SC_sendto || ev->sc == SC_sendmsg ? "send"
                                           : ev->sc == SC_listen                         ? "listen"
                                                                                         : NULL;
                        if (verb && ev->sc == SC_listen)
                                strv_push(&p->sockets, xasprintf("listen port %u", ev->fd.lport));
                        else if (verb && ev->addr[0])
                                strv_push(&p->sockets, xasprintf("%s %s", verb, ev->addr));
                }
                if (p && ev->type == EV_SYSCALL && ev->sc == SC_fchdir) {
                        free(p->cwd);
                        p->cwd = NULL; /* the directory behind an fd is not recorded */
                }
                return p;
        }
}

void engine_set_live(struct engine *e, bool live) {
        e->live = live;
}

void engine_set_hooks(struct engine *e, const struct engine_hooks *h) {
        e->hooks = *h;
}

void engine_feed(struct engine *e, struct event *ev) {
        e->events++;
        if (ev->type == EV_START) {
                free(e->source);
                e->source = ev->source ? path_normalize(ev->source) : NULL;
                e->start_usec = ev->time_usec;
                return;
        }
        if (!e->start_usec)
                e->start_usec = ev->time_usec;
        struct proc *p = track(e, ev);
        if (ev->type == EV_EXEC && e->live && e->hooks.check_exec && p && p->exe) {
                free(e->hook_digest);
                free(e->hook_path);
                e->hook_digest = e->hook_path = NULL;
                ev->toolchain = e->hooks.check_exec(e->hooks.userdata, ev, p->exe, &e->hook_digest, &e->hook_path);
                ev->toolchain_digest = e->hook_digest;
                ev->toolchain_path = e->hook_path;
        }
        if (ev->type == EV_SYSCALL && ev->sc == SC_mmap && e->live && e->hooks.check_map && p)
                ev->toolchain = e->hooks.check_map(e->hooks.userdata, ev);
        /* identity for path policies: only a file verified as sealed has one (recorded, so replay agrees) */
        if (ev->type == EV_EXEC && p) {
                bool sealed = ev->toolchain && streq(ev->toolchain, "match");
                free(p->sealed_digest);
                free(p->sealed_path);
                p->sealed_digest = sealed && ev->toolchain_digest ? xstrdup(ev->toolchain_digest) : NULL;
                p->sealed_path = sealed && ev->toolchain_path ? xstrdup(ev->toolchain_path) : NULL;
        }
        rules_run(e, ev, p);
}

void engine_adopt_findings(struct engine *e, struct finding_list *l) {
        for (size_t i = 0; i < l->n; i++) {
                struct finding *f = &l->v[i];
                json_object *path = NULL;
                (void) json_object_object_get_ex(f->evidence, "path", &path);
                int s = e->policy ? policy_suppression(e->policy, f->rule, f->exe, json_object_get_string(path)) : -1;
                if (s >= 0) {
                        e->supp_counts[s]++;
                        continue; /* freed with the list below */
                }
                /* a survivor the monitor saw: its chain and directory from the process table */
                const struct proc *p = f->pid ? proc_get(&e->pt, f->pid) : NULL;
                if (p && !f->chain) {
                        f->chain = process_chain_json(e, p);
                        f->ppid = p->ppid;
                        if (!f->cwd && p->cwd)
                                f->cwd = xstrdup(p->cwd);
                }
                const struct severity_override *o = e->policy ? policy_override(e->policy, f->rule) : NULL;
                if (o) {
                        f->severity = o->severity;
                        if (!f->evidence)
                                f->evidence = json_object_new_object();
                        json_object_object_add(f->evidence, "severity_changed_by_policy", json_new_string(o->reason));
                }
                finding_list_add(&e->findings, *f);
                *f = (struct finding){}; /* moved */
        }
        finding_list_done(l);
}

void engine_take_findings(struct engine *e, struct finding_list *ret) {
        *ret = e->findings;
        e->findings = (struct finding_list){};
}

size_t engine_dropped(struct engine *e) {
        return e->dropped;
}

json_object *engine_suppressed_json(struct engine *e) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; e->policy && i < e->policy->n_supp; i++) {
                const struct suppression *s = &e->policy->supp[i];
                json_object *o = json_object_new_object();
                json_object_object_add(o, "rule", json_new_string(s->rule));
                json_object_object_add(o, "reason", json_new_string(s->reason));
                if (s->exe)
                        json_object_object_add(o, "exe", json_new_string(s->exe));
                if (s->path)
                        json_object_object_add(o, "path", json_new_string(s->path));
                json_object_object_add(o, "count", json_object_new_uint64(e->supp_counts[i]));
                json_object_array_add(a, o);
        }
        return a;
}

json_object *engine_processes_json(struct engine *e, size_t max, bool *ret_truncated) {
        json_object *a = json_object_new_array();
        char ts[64];
        for (size_t i = 0; i < e->pt.n_all && i < max; i++) {
                const struct proc *p = e->pt.all[i];
                json_object *o = json_object_new_object();
                json_object_object_add(o, "pid", json_object_new_int(p->pid));
                json_object_object_add(o, "ppid", json_object_new_int(p->ppid));
                json_object_object_add(o, "exe", p->exe ? json_new_string(p->exe) : NULL);
                json_object_object_add(o, "comm", json_new_string(p->comm));
                json_object_object_add(o, "argv", json_new_strv(p->argv));
                json_object_object_add(o, "cwd", p->cwd ? json_new_string(p->cwd) : NULL);
                if (p->sockets)
                        json_object_object_add(o, "sockets", json_new_strv(p->sockets));
                format_rfc3339(p->start_usec, ts, sizeof(ts));
                json_object_object_add(o, "start", json_new_string(ts));
                if (p->exited) {
                        format_rfc3339(p->end_usec, ts, sizeof(ts));
                        json_object_object_add(o, "end", json_new_string(ts));
                        json_object_object_add(o, "exit_code", p->signal ? NULL : json_object_new_int(p->exit_code));
                        json_object_object_add(
                                o, "signal",
                                p->signal ? json_new_string(sigabbrev_np(p->signal) ? sigabbrev_np(p->signal) : "?")
                                          : NULL);
                } else
                        json_object_object_add(o, "end", NULL);
                json_object_array_add(a, o);
        }
        *ret_truncated = e->pt.n_all > max;
        return a;
}

/* utime + stime of PID in clock ticks, from /proc/PID/stat (fields 14 and 15). */
static int read_cpu_ticks(pid_t pid, uint64_t *ret) {
        char path[64], buf[1024];
        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return -EIO;
        buf[n] = 0;
        const char *s = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
        if (!s)
                return -EIO;
        unsigned long long ut, st;
        if (sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
                return -EIO;
        *ret = ut + st;
        return 0;
}

void engine_sample(struct engine *e, uint64_t now, void (*emit)(void *userdata, const struct event *ev),
                   void *userdata) {
        uint64_t period = e->last_sample_usec ? now - e->last_sample_usec : 0;
        e->last_sample_usec = now;
        long hz = sysconf(_SC_CLK_TCK);
        for (size_t i = 0; i < e->pt.n_all; i++) {
                struct proc *p = e->pt.all[i];
                if (p->exited || proc_get(&e->pt, p->pid) != p)
                        continue;
                uint64_t ticks = 0;
                if (read_cpu_ticks(p->pid, &ticks) < 0)
                        continue;
                uint64_t used_ms = p->cpu_ticks && ticks >= p->cpu_ticks ? (ticks - p->cpu_ticks) * 1000 / hz : 0;
                bool first = p->cpu_ticks == 0;
                p->cpu_ticks = ticks ? ticks : 1;
                char path[64], link[PATH_MAX];
                snprintf(path, sizeof(path), "/proc/%d/exe", (int) p->pid);
                ssize_t l = readlink(path, link, sizeof(link) - 1);
                link[l > 0 ? l : 0] = 0;
                bool deleted = l > 10 && strcmp(link + l - 10, " (deleted)") == 0;
                /* Only what a rule can use goes on record: busy processes and vanished executables. */
                /* a fifth of a CPU counts towards sustained use (see rules_sample()) */
                bool busy = !first && period > 0 && used_ms * 5 >= period / 1000;
                if (!busy && !(deleted && !p->exe_deleted))
                        continue;
                struct event ev = {
                        .type = EV_SAMPLE,
                        .time_usec = now_usec(CLOCK_REALTIME),
                        .pid = p->pid,
                        .ppid = p->ppid,
                        .comm = p->comm,
                        .cpu_ms = used_ms,
                        .period_ms = period / 1000,
                        .exe_deleted = deleted,
                        .exe_link = link,
                };
                emit(userdata, &ev);
        }
}
