/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/stat.h>

#include "basic/json-util.h"
#include "basic/util.h"
#include "crypto/hash.h"
#include "triage/parse.h"
#include "triage/triage.h"

/*
 * Sustained use of a CPU that makes a suspicious process a miner. Miners are
 * often throttled to stay unnoticed (xmrig's --cpu-max-threads-hint), and on a
 * loaded host a busy loop gets its fair share only: 40 %, not 90 %.
 */
#define MINER_CPU_PERCENT 40.0

static void proc_free(struct triage_proc *p) {
        free(p->exe);
        free(p->cwd);
        strv_free(p->argv);
        free(p->sock_inodes);
        free(p->recovered);
}

static int read_at(int dfd, const char *name, char **ret, size_t *ret_size, size_t max) {
        _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return read_full_fd(fd, ret, ret_size, max);
}

/* utime+stime, starttime and rss from /proc/PID/stat; comm is what sits between the outer parentheses. */
static int parse_stat(const char *text, struct triage_proc *p) {
        const char *open = strchr(text, '(');
        const char *close = strrchr(text, ')');
        if (!open || !close || close < open)
                return -EINVAL;
        size_t cl = (size_t) (close - open - 1);
        if (cl >= sizeof(p->comm))
                cl = sizeof(p->comm) - 1;
        memcpy(p->comm, open + 1, cl);
        p->comm[cl] = 0;
        unsigned long long f[24] = {};
        const char *s = close + 2;
        /* Fields 3.. of proc_pid_stat(5); f[i] is field i+3. */
        for (int i = 0; i < 22 && *s; i++) {
                if (i == 0) {
                        s += 2; /* state: one character */
                        continue;
                }
                f[i] = strtoull(s, (char **) &s, 10);
                while (*s == ' ')
                        s++;
        }
        p->ppid = (pid_t) f[1];
        p->cpu_ticks = f[11] + f[12];
        p->start_ticks = f[19];
        p->rss_kb = f[21] * (uint64_t) (sysconf(_SC_PAGESIZE) / 1024);
        return 0;
}

static char *readlink_at(int dfd, const char *name) {
        char buf[4096];
        ssize_t n = readlinkat(dfd, name, buf, sizeof(buf) - 1);
        if (n < 0)
                return NULL;
        buf[n] = 0;
        return xstrdup(buf);
}

static uint64_t ns_inode(int dfd, const char *name) {
        _cleanup_free_ char *l = readlink_at(dfd, name);
        const char *b = l ? strchr(l, '[') : NULL;
        return b ? strtoull(b + 1, NULL, 10) : 0;
}

static void read_sockets(int pid_fd, struct triage_proc *p) {
        DIR *d = opendir_at(pid_fd, "fd");
        if (!d)
                return;
        struct dirent *de;
        size_t cap = 0;
        while ((de = readdir(d))) {
                char buf[64];
                ssize_t n = readlinkat(dirfd(d), de->d_name, buf, sizeof(buf) - 1);
                if (n <= 0)
                        continue;
                buf[n] = 0;
                const char *s = startswith(buf, "socket:[");
                if (!s)
                        continue;
                GREEDY_REALLOC(p->sock_inodes, cap, p->n_sock + 1);
                p->sock_inodes[p->n_sock++] = strtoull(s, NULL, 10);
        }
        closedir(d);
}

static int read_process(int proc_fd, pid_t pid, struct triage_proc *ret) {
        char name[16];
        snprintf(name, sizeof(name), "%d", (int) pid);
        _cleanup_close_ int pfd = openat(proc_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (pfd < 0)
                return -errno;
        struct triage_proc p = { .pid = pid };
        _cleanup_free_ char *stat = NULL, *status = NULL, *cmdline = NULL;
        size_t cl = 0;
        if (read_at(pfd, "stat", &stat, NULL, 1 << 16) < 0 || parse_stat(stat, &p) < 0)
                return -ESRCH;
        if (read_at(pfd, "status", &status, NULL, 1 << 16) >= 0) {
                const char *u = strstr(status, "\nUid:");
                if (u)
                        p.uid = (uid_t) strtoul(u + 5, NULL, 10);
        }
        p.argv = xcalloc(1, sizeof(char *));
        if (read_at(pfd, "cmdline", &cmdline, &cl, 1 << 20) >= 0)
                for (size_t i = 0; i < cl; i += strlen(cmdline + i) + 1)
                        strv_push(&p.argv, xstrdup(cmdline + i));
        p.exe = readlink_at(pfd, "exe");
        if (p.exe) {
                size_t l = strlen(p.exe);
                if (l > 10 && streq(p.exe + l - 10, " (deleted)")) {
                        p.exe[l - 10] = 0;
                        p.deleted = true;
                }
        }
        p.cwd = readlink_at(pfd, "cwd");
        p.netns = ns_inode(pfd, "ns/net");
        read_sockets(pfd, &p);
        *ret = p;
        return 0;
}

/*
 * Copies the executable of a process whose file was deleted, through
 * /proc/PID/exe (the kernel keeps the inode while it runs), into
 * DIR/deleted-exe/PID-COMM, at most copy_max bytes and TRIAGE_COPY_TOTAL for
 * all of them. The sha256 covers the whole file even when the copy is cut.
 * Returns 0, 1 when the budget was spent (hashed, not copied), or -errno.
 */
static int recover_exe(struct triage_ctx *c, int proc_fd, struct triage_proc *p, bool *ret_truncated) {
        char name[32];
        snprintf(name, sizeof(name), "%d/exe", (int) p->pid);
        _cleanup_close_ int in = openat(proc_fd, name, O_RDONLY | O_CLOEXEC);
        if (in < 0)
                return -errno;
        struct stat st;
        if (fstat(in, &st) < 0)
                return -errno;
        p->exe_dev = st.st_dev;
        p->exe_ino = st.st_ino;
        /* Forty workers of one deleted binary make one copy, not forty. */
        for (size_t i = 0; i < c->n_procs && &c->procs[i] != p; i++) {
                const struct triage_proc *q = &c->procs[i];
                if (q->recovered && q->exe_dev == st.st_dev && q->exe_ino == st.st_ino) {
                        p->recovered = xstrdup(q->recovered);
                        memcpy(p->sha256, q->sha256, sizeof(p->sha256));
                        *ret_truncated = q->exe_truncated;
                        return 0;
                }
        }
        uint64_t cap = c->o->copy_max;
        if (cap > TRIAGE_COPY_TOTAL - c->copied_bytes)
                cap = TRIAGE_COPY_TOTAL - c->copied_bytes;
        if (cap == 0) {
                /* The budget is spent: the digest still identifies the binary. */
                uint64_t total = 0;
                int r = digest_fd(in, "SHA256", -EBADF, 0, p->sha256, &total);
                if (r < 0)
                        return r;
                *ret_truncated = true;
                return 1;
        }
        if (mkdirat(c->out_fd, "deleted-exe", 0755) < 0 && errno != EEXIST)
                return -errno;
        char comm[sizeof(p->comm)];
        snprintf(comm, sizeof(comm), "%s", p->comm);
        for (char *s = comm; *s; s++)
                if (*s == '/' || *s == ' ' || (unsigned char) *s < 0x20)
                        *s = '_';
        _cleanup_free_ char *rel = xasprintf("deleted-exe/%d-%s", (int) p->pid, comm);
        _cleanup_close_ int out = openat(c->out_fd, rel, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0)
                return -errno;
        uint64_t total = 0;
        int r = digest_fd(in, "SHA256", out, cap, p->sha256, &total);
        if (r < 0)
                return r;
        c->copied_bytes += total < cap ? total : cap;
        *ret_truncated = p->exe_truncated = total > cap;
        p->recovered = TAKE_PTR(rel);
        return 0;
}

static struct triage_proc *find_proc(struct triage_ctx *c, pid_t pid) {
        for (size_t i = 0; i < c->n_procs; i++)
                if (c->procs[i].pid == pid)
                        return &c->procs[i];
        return NULL;
}

static bool is_kernel_thread(const struct triage_proc *p) {
        return !p->exe && strv_length(p->argv) == 0;
}

static const char *basename_of(const char *s) {
        const char *b = s ? strrchr(s, '/') : NULL;
        return b ? b + 1 : s;
}

/* Suspicious enough that sustained CPU turns it into a miner finding. */
static bool proc_suspicious(const struct triage_proc *p) {
        return p->deleted || path_is_tmp_area(p->exe) || (p->exe && startswith(p->exe, "/memfd:"));
}

static json_object *proc_evidence(const struct triage_proc *p) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "comm", json_new_string(p->comm));
        json_object_object_add(e, "exe", p->exe ? json_new_string(p->exe) : NULL);
        json_object_object_add(e, "exe_deleted", json_object_new_boolean(p->deleted));
        json_object_object_add(e, "cwd", p->cwd ? json_new_string(p->cwd) : NULL);
        json_object_object_add(e, "uid", json_object_new_int64(p->uid));
        return e;
}

static void process_rules(struct triage_ctx *c, int proc_fd) {
        for (size_t i = 0; i < c->n_procs; i++) {
                struct triage_proc *p = &c->procs[i];
                if (is_kernel_thread(p) || !p->exe)
                        continue;
                const char *argv0 = p->argv && p->argv[0] ? basename_of(p->argv[0]) : NULL;
                if (p->deleted) {
                        bool memfd = startswith(p->exe, "/memfd:") != NULL;
                        bool truncated = false;
                        int r = recover_exe(c, proc_fd, p, &truncated);
                        json_object *e = proc_evidence(p);
                        if (r == 1) {
                                json_object_object_add(e, "recovered", NULL);
                                json_object_object_add(e, "sha256", json_new_string(p->sha256));
                                json_object_object_add(e, "not_copied",
                                                       json_new_string("the bundle's 1 GiB budget for "
                                                                       "recovered executables is spent"));
                        } else if (r >= 0) {
                                json_object_object_add(e, "recovered", json_new_string(p->recovered));
                                json_object_object_add(e, "sha256", json_new_string(p->sha256));
                                json_object_object_add(e, "truncated", json_object_new_boolean(truncated));
                        } else
                                json_object_object_add(e, "recover_error", json_new_string(strerror(-r)));
                        triage_add(c, memfd ? "triage.memfd-exe" : "triage.deleted-exe",
                                   memfd ? "fileless-exec" : "anti-forensics", memfd ? SEV_CRITICAL : SEV_HIGH, p,
                                   xasprintf("'%s' (pid %d) runs an executable that was deleted from disk (%s), "
                                             "the way droppers hide a payload",
                                             p->comm, (int) p->pid, p->exe),
                                   e);
                }
                if (path_is_writable_area(p->exe)) {
                        bool tmp = path_is_tmp_area(p->exe);
                        triage_add(c, "triage.exe-writable-path", "exec-from-writable", tmp ? SEV_HIGH : SEV_MEDIUM, p,
                                   xasprintf("'%s' (pid %d) runs from '%s', %s", p->comm, (int) p->pid, p->exe,
                                             tmp ? "a directory any user or service can write, where dropped "
                                                   "payloads live"
                                                 : "a home directory: a user's own tool, or a payload"),
                                   proc_evidence(p));
                }
                const char *name = masquerade_name(p->comm, argv0, p->exe, p->deleted);
                if (name) {
                        json_object *e = proc_evidence(p);
                        json_object_object_add(e, "name", json_new_string(name));
                        triage_add(c, "triage.masquerade", "anti-forensics", SEV_HIGH, p,
                                   xasprintf("pid %d calls itself '%s' but runs '%s'%s, not where such a daemon "
                                             "lives",
                                             (int) p->pid, name, p->exe, p->deleted ? " (deleted)" : ""),
                                   e);
                }
        }
}

int collect_processes(struct triage_ctx *c) {
        _cleanup_close_ int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (proc_fd < 0)
                return -errno;
        DIR *d = opendir_at(proc_fd, ".");
        if (!d)
                return -errno;
        c->sample_start_usec = now_usec(CLOCK_MONOTONIC);
        struct dirent *de;
        size_t cap = 0;
        pid_t self = getpid();
        while ((de = readdir(d))) {
                char *end;
                long pid = strtol(de->d_name, &end, 10);
                if (*end || pid <= 0 || pid == self)
                        continue;
                struct triage_proc p;
                if (read_process(proc_fd, (pid_t) pid, &p) < 0)
                        continue; /* exited meanwhile */
                GREEDY_REALLOC(c->procs, cap, c->n_procs + 1);
                c->procs[c->n_procs++] = p;
        }
        closedir(d);
        process_rules(c, proc_fd);
        return 0;
}

static int cmp_pid(const void *a, const void *b) {
        pid_t x = *(const pid_t *) a, y = *(const pid_t *) b;
        return x < y ? -1 : x > y;
}

static size_t list_pids(int proc_fd, pid_t **ret) {
        pid_t *v = NULL;
        size_t n = 0, v_allocated = 0;
        DIR *d = opendir_at(proc_fd, ".");
        if (d) {
                struct dirent *de;
                while ((de = readdir(d))) {
                        char *end;
                        long pid = strtol(de->d_name, &end, 10);
                        if (*end || pid <= 0)
                                continue;
                        GREEDY_REALLOC(v, v_allocated, n + 1);
                        v[n++] = (pid_t) pid;
                }
                closedir(d);
        }
        if (n > 0)
                qsort(v, n, sizeof(pid_t), cmp_pid);
        *ret = v;
        return n;
}

static uint64_t boot_time(void) {
        _cleanup_free_ char *s = NULL;
        if (read_full_file("/proc/stat", &s, NULL, 1 << 20) < 0)
                return 0;
        const char *b = strstr(s, "\nbtime ");
        return b ? strtoull(b + 7, NULL, 10) : 0;
}

static double uptime_s(void) {
        _cleanup_free_ char *s = NULL;
        if (read_full_file("/proc/uptime", &s, NULL, 256) < 0)
                return 0;
        return strtod(s, NULL);
}

static void miner_finding(struct triage_ctx *c, const struct triage_proc *p, double cpu, double interval,
                          const char *how) {
        json_object *e = proc_evidence(p);
        json_object_object_add(e, "cpu_percent", json_object_new_double(cpu));
        json_object_object_add(e, "sample_s", json_object_new_double(interval));
        json_object_object_add(e, "measured", json_new_string(how));
        triage_add(c, "triage.suspicious-cpu", "crypto-miner", SEV_CRITICAL, p,
                   xasprintf("'%s' (pid %d) from '%s'%s used %.0f%% of a CPU over %.1f s, the signature of a miner",
                             p->comm, (int) p->pid, p->exe, p->deleted ? " (deleted)" : "", cpu, interval),
                   e);
}

int collect_processes_finish(struct triage_ctx *c) {
        _cleanup_close_ int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (proc_fd < 0)
                return -errno;
        /* The CPU sample: the rest of the capture ran in between, so this often costs nothing. */
        uint64_t want = (uint64_t) (c->o->sample_s * 1e6);
        uint64_t elapsed = now_usec(CLOCK_MONOTONIC) - c->sample_start_usec;
        if (want > elapsed)
                usleep((useconds_t) (want - elapsed));
        double interval = (double) (now_usec(CLOCK_MONOTONIC) - c->sample_start_usec) / 1e6;
        for (size_t i = 0; i < c->n_procs; i++) {
                struct triage_proc *p = &c->procs[i];
                char name[32];
                snprintf(name, sizeof(name), "%d/stat", (int) p->pid);
                _cleanup_free_ char *stat = NULL;
                struct triage_proc q = {};
                if (read_at(proc_fd, name, &stat, NULL, 1 << 16) < 0 || parse_stat(stat, &q) < 0 ||
                    q.start_ticks != p->start_ticks) {
                        p->gone = true;
                        continue;
                }
                p->cpu_ticks2 = q.cpu_ticks;
        }

        /* Processes that appeared since the first look: respawned children show up here. */
        _cleanup_free_ pid_t *now = NULL;
        size_t n_now = list_pids(proc_fd, &now), n_new = 0;
        _cleanup_free_ struct triage_proc *fresh = xcalloc(n_now, sizeof(struct triage_proc));
        for (size_t k = 0; k < n_now; k++)
                if (now[k] != getpid() && !find_proc(c, now[k]) && read_process(proc_fd, now[k], &fresh[n_new]) >= 0)
                        n_new++;
        /*
         * A process born during the sample has no first reading: its average
         * since it started stands in, over at least 0.2 s. A watchdog's
         * respawned miner shows up here.
         */
        double up = uptime_s();
        json_object *appeared = json_object_new_array();
        for (size_t k = 0; k < n_new; k++) {
                double age = up - (double) fresh[k].start_ticks / (double) c->clk_tck;
                double cpu = age > 0 ? (double) fresh[k].cpu_ticks / (double) c->clk_tck / age * 100.0 : 0;
                json_object *e = proc_evidence(&fresh[k]);
                json_object_object_add(e, "pid", json_object_new_int(fresh[k].pid));
                json_object_object_add(e, "ppid", json_object_new_int(fresh[k].ppid));
                json_object_object_add(e, "age_s", json_object_new_double(age));
                json_object_object_add(e, "cpu_percent_since_start", json_object_new_double(cpu));
                json_object_array_add(appeared, e);
                if (c->o->sample_s > 0 && proc_suspicious(&fresh[k]) && age >= 0.2 && cpu >= MINER_CPU_PERCENT)
                        miner_finding(c, &fresh[k], cpu, age, "since the process started, during the sample");
        }

        uint64_t btime = boot_time();
        json_object *arr = json_object_new_array();
        for (size_t i = 0; i < c->n_procs; i++) {
                struct triage_proc *p = &c->procs[i];
                double cpu = p->gone || interval <= 0
                                     ? 0
                                     : (double) (p->cpu_ticks2 - p->cpu_ticks) / (double) c->clk_tck / interval * 100.0;
                if (!p->gone && c->o->sample_s > 0 && proc_suspicious(p) && cpu >= MINER_CPU_PERCENT)
                        miner_finding(c, p, cpu, interval, "between two readings");

                /* A watchdog: the parent of a running deleted executable, not the namespace's init. */
                if (!is_kernel_thread(p) && p->pid != 1) {
                        json_object *kids = NULL;
                        for (size_t k = 0; k < c->n_procs; k++) {
                                const struct triage_proc *q = &c->procs[k];
                                if (q->ppid == p->pid && (q->deleted || path_is_tmp_area(q->exe))) {
                                        if (!kids)
                                                kids = json_object_new_array();
                                        json_object_array_add(kids, json_object_new_int(q->pid));
                                }
                        }
                        if (kids) {
                                json_object *respawned = json_object_new_array();
                                for (size_t k = 0; k < n_new; k++)
                                        if (fresh[k].ppid == p->pid)
                                                json_object_array_add(respawned, json_object_new_int(fresh[k].pid));
                                bool seen = json_object_array_length(respawned) > 0;
                                json_object *e = proc_evidence(p);
                                json_object_object_add(e, "children", kids);
                                json_object_object_add(e, "new_children_during_sample", respawned);
                                triage_add(c, "triage.watchdog", "watchdog-respawn", SEV_HIGH, p,
                                           xasprintf("'%s' (pid %d) is the parent of a process running a deleted "
                                                     "or dropped executable%s: a watchdog that brings a payload "
                                                     "back when it is killed",
                                                     p->argv && p->argv[0] ? basename_of(p->argv[0]) : p->comm,
                                                     (int) p->pid,
                                                     seen ? ", and started new children while we watched" : ""),
                                           e);
                        }
                }

                json_object *j = json_object_new_object();
                json_object_object_add(j, "pid", json_object_new_int(p->pid));
                json_object_object_add(j, "ppid", json_object_new_int(p->ppid));
                json_object_object_add(j, "uid", json_object_new_int64(p->uid));
                json_object_object_add(j, "comm", json_new_string(p->comm));
                json_object_object_add(j, "exe", p->exe ? json_new_string(p->exe) : NULL);
                json_object_object_add(j, "exe_deleted", json_object_new_boolean(p->deleted));
                json_object_object_add(j, "cwd", p->cwd ? json_new_string(p->cwd) : NULL);
                json_object *argv = json_object_new_array();
                for (char **a = p->argv; a && *a; a++)
                        json_object_array_add(argv, json_new_string(*a));
                json_object_object_add(j, "argv", argv);
                char ts[64];
                format_rfc3339((btime * 1000000ULL) + p->start_ticks * 1000000ULL / (uint64_t) c->clk_tck, ts,
                               sizeof(ts));
                json_object_object_add(j, "start_time", json_new_string(ts));
                json_object_object_add(j, "cpu_s", json_object_new_double((double) p->cpu_ticks / (double) c->clk_tck));
                if (c->o->sample_s > 0 && !p->gone)
                        json_object_object_add(j, "cpu_percent_sampled", json_object_new_double(cpu));
                json_object_object_add(j, "rss_kb", json_object_new_uint64(p->rss_kb));
                json_object_object_add(j, "netns", json_object_new_uint64(p->netns));
                json_object *socks = json_object_new_array();
                for (size_t k = 0; k < p->n_sock; k++)
                        json_object_array_add(socks, json_object_new_uint64(p->sock_inodes[k]));
                json_object_object_add(j, "socket_inodes", socks);
                /* The parent chain up to init, bounded against a loop of stale entries. */
                json_object *chain = json_object_new_array();
                pid_t pp = p->ppid;
                for (int depth = 0; pp > 0 && depth < 64; depth++) {
                        const struct triage_proc *q = find_proc(c, pp);
                        json_object *link = json_object_new_object();
                        json_object_object_add(link, "pid", json_object_new_int(pp));
                        json_object_object_add(link, "comm", q ? json_new_string(q->comm) : NULL);
                        json_object_array_add(chain, link);
                        if (!q)
                                break;
                        pp = q->ppid;
                }
                json_object_object_add(j, "parents", chain);
                if (p->recovered) {
                        json_object_object_add(j, "recovered", json_new_string(p->recovered));
                        json_object_object_add(j, "sha256", json_new_string(p->sha256));
                }
                json_object_array_add(arr, j);
        }
        for (size_t k = 0; k < n_new; k++)
                proc_free(&fresh[k]);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "sample_s", json_object_new_double(c->o->sample_s > 0 ? interval : 0));
        json_object_object_add(o, "processes", arr);
        json_object_object_add(o, "appeared_during_sample", appeared);
        return triage_save(c, "processes", o);
}

static int read_pid_max(void) {
        _cleanup_free_ char *s = NULL;
        if (read_full_file("/proc/sys/kernel/pid_max", &s, NULL, 64) < 0)
                return 32768;
        int v = atoi(s);
        return v > 0 ? v : 32768;
}

static bool pid_listed(const pid_t *v, size_t n, pid_t pid) {
        size_t lo = 0, hi = n;
        while (lo < hi) {
                size_t m = (lo + hi) / 2;
                if (v[m] == pid)
                        return true;
                if (v[m] < pid)
                        lo = m + 1;
                else
                        hi = m;
        }
        return false;
}

/* A thread id answers kill(0) but is not listed in /proc: its Tgid tells. */
static bool is_thread(int proc_fd, pid_t pid) {
        char name[32];
        snprintf(name, sizeof(name), "%d/status", (int) pid);
        _cleanup_free_ char *s = NULL;
        if (read_at(proc_fd, name, &s, NULL, 1 << 16) < 0)
                return false;
        const char *t = strstr(s, "\nTgid:");
        return t && strtol(t + 6, NULL, 10) != pid;
}

/*
 * Hidden processes: a rootkit that filters getdents() on /proc still cannot
 * make kill(pid, 0) fail for a live pid. Probes every pid up to the newest
 * allocated one plus a margin (pid_max can be 4 million), then checks each
 * candidate against a fresh listing to rule out processes born meanwhile.
 */
int collect_hidden(struct triage_ctx *c) {
        if (geteuid() != 0) {
                /* With hidepid=, /proc hides other users' pids from us while kill() still finds them. */
                triage_note(c, "hidden", "skipped", "needs root: /proc may hide other users' processes");
                return 0;
        }
        _cleanup_close_ int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (proc_fd < 0)
                return -errno;
        _cleanup_free_ pid_t *listed = NULL;
        size_t n = list_pids(proc_fd, &listed);
        int pid_max = read_pid_max();
        long last = 0;
        _cleanup_free_ char *la = NULL;
        if (read_full_file("/proc/loadavg", &la, NULL, 256) >= 0) {
                const char *s = strrchr(la, ' ');
                last = s ? strtol(s + 1, NULL, 10) : 0;
        }
        long bound = last;
        if (n > 0 && listed[n - 1] > bound)
                bound = listed[n - 1];
        bound += 32768;
        if (bound > pid_max)
                bound = pid_max;
        json_object *hidden = json_object_new_array();
        for (pid_t pid = 1; pid < bound; pid++) {
                if (pid_listed(listed, n, pid))
                        continue;
                if (kill(pid, 0) < 0 && errno != EPERM)
                        continue;
                if (is_thread(proc_fd, pid))
                        continue;
                _cleanup_free_ pid_t *again = NULL;
                size_t n2 = list_pids(proc_fd, &again);
                if (pid_listed(again, n2, pid) || (kill(pid, 0) < 0 && errno != EPERM))
                        continue;
                json_object_array_add(hidden, json_object_new_int(pid));
                json_object *e = json_object_new_object();
                json_object_object_add(e, "pid", json_object_new_int(pid));
                char name[16];
                snprintf(name, sizeof(name), "%d", (int) pid);
                struct stat st;
                json_object_object_add(e, "proc_entry_reachable",
                                       json_object_new_boolean(fstatat(proc_fd, name, &st, 0) == 0));
                triage_add(c, "triage.hidden-process", "anti-forensics", SEV_CRITICAL, NULL,
                           xasprintf("pid %d exists (it answers kill(pid, 0)) but is missing from the /proc "
                                     "listing: a rootkit hides it",
                                     (int) pid),
                           e);
        }
        json_object *o = json_object_new_object();
        json_object_object_add(o, "probed_up_to", json_object_new_int64(bound));
        json_object_object_add(o, "listed", json_object_new_uint64(n));
        json_object_object_add(o, "hidden", hidden);
        return triage_save(c, "hidden", o);
}

/* ---- sockets, in every network namespace ---- */

static const uint16_t exposed_ports[] = { 5432, 3306, 6379, 27017, 9200, 11211, 2375, 2376 };
static const char *const exposed_names[] = {
        "PostgreSQL", "MySQL", "Redis", "MongoDB", "Elasticsearch", "memcached", "Docker API (plain)", "Docker API"
};

static json_object *owners_of(struct triage_ctx *c, uint64_t inode, const struct triage_proc **ret_first) {
        json_object *a = json_object_new_array();
        *ret_first = NULL;
        for (size_t i = 0; i < c->n_procs; i++)
                for (size_t k = 0; k < c->procs[i].n_sock; k++)
                        if (c->procs[i].sock_inodes[k] == inode) {
                                json_object *o = json_object_new_object();
                                json_object_object_add(o, "pid", json_object_new_int(c->procs[i].pid));
                                json_object_object_add(o, "comm", json_new_string(c->procs[i].comm));
                                json_object_array_add(a, o);
                                if (!*ret_first)
                                        *ret_first = &c->procs[i];
                                break;
                        }
        return a;
}

static void read_inet(struct triage_ctx *c, int netdir, const char *file, json_object *list, uint64_t netns) {
        _cleanup_free_ char *text = NULL;
        if (read_at(netdir, file, &text, NULL, 64 << 20) < 0)
                return;
        bool v6 = strchr(file, '6') != NULL;
        bool tcp = startswith(file, "tcp") != NULL;
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                struct net_row r;
                if (proc_net_parse_line(line, v6, &r) < 0)
                        continue;
                bool listen = tcp ? r.state == 0x0A : (r.state == 0x07 && r.remote_port == 0);
                const struct triage_proc *owner;
                json_object *j = json_object_new_object();
                json_object_object_add(j, "proto", json_new_string(file));
                json_object_object_add(j, "netns", json_object_new_uint64(netns));
                json_object_object_add(j, "local", json_new_string(r.local));
                json_object_object_add(j, "local_port", json_object_new_int(r.local_port));
                json_object_object_add(j, "remote", json_new_string(r.remote));
                json_object_object_add(j, "remote_port", json_object_new_int(r.remote_port));
                json_object_object_add(j, "state", json_object_new_int((int) r.state));
                json_object_object_add(j, "listening", json_object_new_boolean(listen));
                json_object_object_add(j, "uid", json_object_new_int64(r.uid));
                json_object_object_add(j, "inode", json_object_new_uint64(r.inode));
                json_object_object_add(j, "owners", owners_of(c, r.inode, &owner));
                json_object_array_add(list, j);
                if (!listen || address_is_loopback(r.local))
                        continue;
                for (size_t i = 0; i < ELEMENTSOF(exposed_ports); i++) {
                        if (r.local_port != exposed_ports[i])
                                continue;
                        triage_add(c, "triage.exposed-service", "exposure", SEV_HIGH, owner,
                                   xasprintf("%s port %u listens on %s (%s) in network namespace %" PRIu64
                                             ", reachable from outside the host",
                                             exposed_names[i], r.local_port, r.local, file, netns),
                                   json_object_get(j));
                }
        }
}

static void read_unix(struct triage_ctx *c, int netdir, json_object *list, uint64_t netns) {
        _cleanup_free_ char *text = NULL;
        if (read_at(netdir, "unix", &text, NULL, 64 << 20) < 0)
                return;
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                struct unix_row r;
                if (proc_net_unix_parse_line(line, &r) < 0 || !r.path[0])
                        continue; /* unnamed pairs: noise, thousands of them */
                const struct triage_proc *owner;
                json_object *j = json_object_new_object();
                json_object_object_add(j, "proto", json_new_string("unix"));
                json_object_object_add(j, "netns", json_object_new_uint64(netns));
                json_object_object_add(j, "path", json_new_string(r.path));
                json_object_object_add(j, "listening", json_object_new_boolean(r.listening));
                json_object_object_add(j, "inode", json_object_new_uint64(r.inode));
                json_object_object_add(j, "owners", owners_of(c, r.inode, &owner));
                json_object_array_add(list, j);
        }
}

int collect_sockets(struct triage_ctx *c) {
        _cleanup_close_ int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (proc_fd < 0)
                return -errno;
        json_object *list = json_object_new_array();
        json_object *nss = json_object_new_array();
        /* One pid per namespace: each sees its own namespace's tables under /proc/PID/net. */
        for (size_t i = 0; i < c->n_procs; i++) {
                uint64_t ns = c->procs[i].netns;
                if (!ns)
                        continue;
                bool seen = false;
                for (size_t k = 0; k < i && !seen; k++)
                        seen = c->procs[k].netns == ns;
                if (seen)
                        continue;
                char name[32];
                snprintf(name, sizeof(name), "%d/net", (int) c->procs[i].pid);
                _cleanup_close_ int netdir = openat(proc_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (netdir < 0)
                        continue;
                json_object *n = json_object_new_object();
                json_object_object_add(n, "netns", json_object_new_uint64(ns));
                json_object_object_add(n, "via_pid", json_object_new_int(c->procs[i].pid));
                json_object_array_add(nss, n);
                static const char *const files[] = { "tcp", "tcp6", "udp", "udp6" };
                for (size_t f = 0; f < ELEMENTSOF(files); f++)
                        read_inet(c, netdir, files[f], list, ns);
                read_unix(c, netdir, list, ns);
        }
        if (c->n_procs == 0) {
                /* --skip processes: no owners and no other namespaces, but our own tables still count. */
                _cleanup_close_ int netdir = openat(proc_fd, "self/net", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                uint64_t ns = ns_inode(proc_fd, "self/ns/net");
                if (netdir >= 0) {
                        static const char *const files[] = { "tcp", "tcp6", "udp", "udp6" };
                        for (size_t f = 0; f < ELEMENTSOF(files); f++)
                                read_inet(c, netdir, files[f], list, ns);
                        read_unix(c, netdir, list, ns);
                }
        }
        json_object *o = json_object_new_object();
        json_object_object_add(o, "namespaces", nss);
        json_object_object_add(o, "sockets", list);
        return triage_save(c, "sockets", o);
}
