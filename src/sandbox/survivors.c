/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The processes that outlived CMD: listed while the build is frozen, before it is killed. */
#include <dirent.h>
#include <limits.h>

#include "basic/log.h"
#include "sandbox/internal.h"

static pid_t read_status_pid(pid_t pid, const char *key, bool last) {
        char path[64];
        _cleanup_free_ char *buf = NULL;
        snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
        if (read_full_file(path, &buf, NULL, 1 << 16) < 0)
                return -1;
        char *l = strstr(buf, key);
        if (!l)
                return -1;
        l += strlen(key);
        char *end = strchr(l, '\n');
        if (end)
                *end = 0;
        pid_t v = -1;
        for (char *tok = strtok(l, " \t"); tok; tok = strtok(NULL, " \t")) {
                v = (pid_t) atoi(tok);
                if (!last)
                        break;
        }
        return v;
}

static char **read_cmdline(pid_t pid) {
        char path[64];
        _cleanup_free_ char *buf = NULL;
        size_t n;
        snprintf(path, sizeof(path), "/proc/%d/cmdline", (int) pid);
        char **v = xcalloc(1, sizeof(char *));
        if (read_full_file(path, &buf, &n, 1 << 20) < 0)
                return v;
        for (size_t i = 0; i < n; i += strlen(buf + i) + 1)
                strv_push(&v, xstrdup(buf + i));
        return v;
}

/*
 * Lists the processes of the build's pid namespace other than its init. PIDNS
 * is the namespace's link text, read while init was still dumpable: an
 * unprivileged parent cannot read /proc/INIT/ns/pid once init is not.
 */
void collect_survivors(pid_t init, const char *ns, struct sandbox_result *res) {
        char path[64], their[64];
        DIR *d = opendir("/proc");
        if (!d)
                return;
        for (struct dirent *de; (de = readdir(d));) {
                pid_t pid = (pid_t) atoi(de->d_name);
                if (pid <= 0 || pid == init)
                        continue;
                snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int) pid);
                ssize_t k = readlink(path, their, sizeof(their) - 1);
                if (k < 0)
                        continue;
                their[k] = 0;
                if (!streq(ns, their))
                        continue;
                /* Threads are not separate entries in /proc; zombies are already dead. */
                snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
                _cleanup_free_ char *stat = NULL;
                if (read_full_file(path, &stat, NULL, 4096) < 0)
                        continue;
                char *rp = strrchr(stat, ')');
                if (rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X'))
                        continue;
                struct survivor s = { .host_pid = pid, .seen_usec = now_usec(CLOCK_REALTIME) };
                s.pid = read_status_pid(pid, "NSpid:", true);
                pid_t hppid = read_status_pid(pid, "PPid:", false);
                s.ppid = hppid == init ? 1 : read_status_pid(hppid, "NSpid:", true);
                char exe[PATH_MAX];
                snprintf(path, sizeof(path), "/proc/%d/exe", (int) pid);
                ssize_t e = readlink(path, exe, sizeof(exe) - 1);
                if (e >= 0) {
                        exe[e] = 0;
                        const char *del = " (deleted)";
                        size_t el = strlen(exe), dl = strlen(del);
                        if (el > dl && streq(exe + el - dl, del)) {
                                exe[el - dl] = 0;
                                s.exe_deleted = true;
                        }
                        s.exe = xstrdup(exe);
                }
                s.argv = read_cmdline(pid);
                GREEDY_REALLOC(res->survivors, res->n_survivors_allocated, res->n_survivors + 1);
                res->survivors[res->n_survivors++] = s;
        }
        closedir(d);
}

/*
 * Fast path for the common case: the v2 cgroup lists init alone, so nothing
 * survived (the build cannot leave its cgroup: it owns no cgroupfs directory).
 */
bool cgroup_only_holds(const struct cgroup *cg, pid_t init) {
        if (!cg->v2_path)
                return false;
        _cleanup_free_ char *p = xasprintf("%s/cgroup.procs", cg->v2_path), *buf = NULL;
        if (read_full_file(p, &buf, NULL, 1 << 20) < 0)
                return false;
        char want[32];
        snprintf(want, sizeof(want), "%d\n", (int) init);
        return streq(buf, want);
}
