/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The capture run: the collector registry, capture.json, findings.json and the manifest. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "basic/json-util.h"
#include "basic/log.h"
#include "basic/util.h"
#include "report/report.h"
#include "triage/capture.h"
#include "triage/parse.h"

/* In order: processes first (CPU sample start), the slow parallel walks last. */
static const struct triage_collector collectors[] = {
        { "processes", collect_processes, true },
        { "sockets", collect_sockets, true },
        { "hidden", collect_hidden, true },
        { "modules", collect_modules, false },
        { "systemd", collect_systemd, false },
        { "cron", collect_cron, false },
        { "keys", collect_keys, false },
        { "sudoers", collect_sudoers, false },
        { "preload", collect_preload, false },
        { "shellrc", collect_shellrc, false },
        { "pam", collect_pam, false },
        { "udev", collect_udev, false },
        { "containers", collect_containers, false },
        { "sshd", collect_sshd, false },
        { "databases", collect_databases, false },
        { "ci", collect_ci, false },
        { "packages", collect_packages, false },
        { "newer", collect_newer, false },
};

const struct triage_collector *triage_collectors(size_t *ret_n) {
        *ret_n = ELEMENTSOF(collectors);
        return collectors;
}

bool triage_collector_known(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(collectors); i++)
                if (streq(collectors[i].name, name))
                        return true;
        return false;
}

/*
 * A time, or a path: *ret_path gets S when it is not a time, for the capture
 * to take that file's time inside the root (an image's file, not this host's).
 */
int triage_parse_since(const char *s, int64_t *ret, const char **ret_path) {
        if (s[0] == '@') {
                char *end;
                errno = 0;
                long long v = strtoll(s + 1, &end, 10);
                if (errno || *end || end == s + 1)
                        return -EINVAL;
                *ret = v;
                return 0;
        }
        struct tm tm = {};
        const char *e = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
        if (!e) {
                tm = (struct tm){};
                e = strptime(s, "%Y-%m-%dT%H:%M", &tm);
        }
        if (!e) {
                tm = (struct tm){};
                e = strptime(s, "%Y-%m-%d", &tm);
        }
        if (e && (*e == 0 || streq(e, "Z"))) {
                *ret = (int64_t) timegm(&tm);
                return 0;
        }
        if (s[0] == 0)
                return -EINVAL;
        *ret_path = s;
        return 0;
}

int triage_inventory_load(const char *path, char ***ret) {
        _cleanup_free_ char *text = NULL;
        int r = read_full_file(path, &text, NULL, 16 << 20);
        if (r < 0)
                return r;
        char **v = xcalloc(1, sizeof(char *));
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                line += strspn(line, " \t");
                struct authkey a;
                if (startswith(line, "SHA256:")) {
                        line[strcspn(line, " \t\r")] = 0;
                        strv_push(&v, xstrdup(line));
                } else if (authkey_parse_line(line, &a) == 0)
                        strv_push(&v, xstrdup(a.fingerprint));
        }
        *ret = v;
        return 0;
}

char *triage_default_out(void) {
        char ts[64];
        format_rfc3339(now_usec(CLOCK_REALTIME), ts, sizeof(ts));
        ts[19] = 0;
        for (char *s = ts; *s; s++)
                if (*s == ':')
                        *s = '-';
        return xasprintf("triage-%s", ts);
}

static int cmp_finding(const void *a, const void *b) {
        const struct finding *x = a, *y = b;
        if (x->severity != y->severity)
                return x->severity > y->severity ? -1 : 1;
        return strcmp(x->rule, y->rule);
}

static int dir_usable(const char *dir) {
        if (mkdir(dir, 0700) == 0)
                return 0;
        if (errno != EEXIST)
                return -errno;
        DIR *d = opendir(dir);
        if (!d)
                return -errno;
        struct dirent *de;
        int r = 0;
        while ((de = readdir(d)))
                if (!dot_or_dotdot(de->d_name))
                        r = -ENOTEMPTY;
        closedir(d);
        return r;
}

int triage_capture_init(struct triage_ctx *c, struct triage_options *o, char **ret_error) {
        *c = (struct triage_ctx){
                .o = o,
                .root_fd = -EBADF,
                .out_fd = -EBADF,
                .raw_fd = -EBADF,
                .live = o->root == NULL,
                .capture = json_object_new_object(),
                .clk_tck = sysconf(_SC_CLK_TCK),
        };
        pthread_mutex_init(&c->lock, NULL);
        c->root_fd = open(o->root ? o->root : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (c->root_fd < 0) {
                int r = -errno;
                *ret_error =
                        xasprintf("cannot open the root '%s' (%s): pass a mounted disk image directory with --root",
                                  o->root ? o->root : "/", strerror(-r));
                return r;
        }
        if (o->since_path) {
                /*
                 * Under --root a reference file of the image, not of the machine
                 * that reads it (a relative path starts at the image's top); live,
                 * a relative path starts where the command runs, as find -newer.
                 */
                bool here = c->live && o->since_path[0] != '/';
                _cleanup_close_ int fd =
                        here ? open(o->since_path, O_PATH | O_CLOEXEC) : triage_open(c, o->since_path, O_PATH);
                if (here && fd < 0)
                        fd = -errno;
                struct stat st;
                if (fd < 0 || fstat(fd, &st) < 0) {
                        int r = fd < 0 ? fd : -errno;
                        *ret_error = xasprintf("cannot read the time of --since '%s' inside '%s' (%s): pass "
                                               "@EPOCH, YYYY-MM-DD[THH:MM[:SS]] (UTC) or a path that exists there",
                                               o->since_path, o->root ? o->root : "/", strerror(-r));
                        return r;
                }
                o->since = (int64_t) st.st_mtime;
        }
        return 0;
}

/* The name the host gave itself: uname() live, IMG/etc/hostname under --root (NULL when absent). */
static char *capture_hostname(struct triage_ctx *c) {
        if (c->live) {
                struct utsname u;
                return uname(&u) == 0 ? xstrdup(u.nodename) : NULL;
        }
        _cleanup_free_ char *text = NULL;
        if (triage_read_nocopy(c, "/etc/hostname", 4096, &text, NULL) < 0)
                return NULL;
        char *s = text + strspn(text, " \t\r\n");
        s[strcspn(s, " \t\r\n")] = 0;
        return *s ? xstrdup(s) : NULL;
}

static void capture_header(struct triage_ctx *c) {
        const struct triage_options *o = c->o;
        char ts[64];
        format_rfc3339(now_usec(CLOCK_REALTIME), ts, sizeof(ts));
        struct utsname u;
        uname(&u);
        _cleanup_free_ char *host = capture_hostname(c);
        json_object_object_add(c->capture, "version", json_object_new_int(1));
        json_object_object_add(c->capture, "tool", json_new_string("buildward " BUILDWARD_VERSION));
        json_object_object_add(c->capture, "started_at", json_new_string(ts));
        json_object_object_add(c->capture, "hostname", json_new_string(host));
        json_object_object_add(c->capture, "kernel", json_new_string(u.release));
        json_object_object_add(c->capture, "root", json_new_string(o->root ? o->root : "/"));
        json_object_object_add(c->capture, "since", o->since >= 0 ? json_object_new_int64(o->since) : NULL);
        json_object_object_add(c->capture, "sample_s", json_object_new_double(o->sample_s));
        json_object_object_add(c->capture, "hash_all", json_object_new_boolean(o->hash_all));
}

static void run_collectors(struct triage_ctx *c) {
        triage_note(c, "processes", "ok", NULL); /* creates the object in a stable order */
        for (size_t i = 0; i < ELEMENTSOF(collectors); i++) {
                const struct triage_collector *col = &collectors[i];
                if (triage_skipped(c, col->name)) {
                        triage_note(c, col->name, "skipped", "--skip");
                        continue;
                }
                if (col->live_only && !c->live) {
                        triage_note(c, col->name, "skipped", "needs the live host, not --root");
                        continue;
                }
                triage_note(c, col->name, "ok", NULL);
                uint64_t c0 = now_usec(CLOCK_MONOTONIC);
                int r = col->fn(c);
                log_debug("triage: %s took %.3f s", col->name, (double) (now_usec(CLOCK_MONOTONIC) - c0) / 1e6);
                if (r < 0)
                        triage_note(c, col->name, "failed", strerror(-r));
        }
        if (c->live && !triage_skipped(c, "processes")) {
                int r = collect_processes_finish(c);
                if (r < 0)
                        triage_note(c, "processes", "failed", strerror(-r));
        }
        if (c->live && geteuid() != 0)
                json_object_object_add(c->capture, "warning",
                                       json_new_string("not run as root: other users' processes, keys and "
                                                       "configuration files may be missing"));
}

int triage_capture_run(struct triage_ctx *c, const char *out, size_t *ret_files, double *ret_seconds,
                       char **ret_error) {
        int r = dir_usable(out);
        if (r < 0) {
                *ret_error = xasprintf("cannot use '%s' as the bundle directory (%s): pass --out with a new or empty "
                                       "directory",
                                       out, strerror(-r));
                return r;
        }
        c->out_fd = open(out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (c->out_fd < 0 || mkdirat(c->out_fd, "raw", 0755) < 0 ||
            (c->raw_fd = openat(c->out_fd, "raw", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
                r = -errno;
                *ret_error = xasprintf("cannot write into '%s' (%s): check that it is writable and not full", out,
                                       strerror(-r));
                return r;
        }

        uint64_t t0 = now_usec(CLOCK_MONOTONIC);
        capture_header(c);
        run_collectors(c);
        if (c->findings.n > 0)
                qsort(c->findings.v, c->findings.n, sizeof(struct finding), cmp_finding);
        double secs = (double) (now_usec(CLOCK_MONOTONIC) - t0) / 1e6;
        _cleanup_json_ json_object *fo = json_object_new_object();
        json_object_object_add(fo, "findings", findings_to_json(&c->findings));
        json_object_object_add(c->capture, "duration_s", json_object_new_double(secs));
        int max = finding_list_max_severity(&c->findings);
        json_object_object_add(c->capture, "max_severity",
                               max >= 0 ? json_new_string(severity_name((enum severity) max)) : NULL);
        if ((r = json_write_file_at(c->out_fd, "findings.json", fo)) < 0 ||
            (r = json_write_file_at(c->out_fd, "capture.json", c->capture)) < 0) {
                *ret_error = xasprintf("cannot write the findings into '%s' (%s): check free space", out, strerror(-r));
                return r;
        }
        size_t files = 0;
        if ((r = bundle_manifest(c->out_fd, &files)) < 0) {
                *ret_error = xasprintf("cannot write '%s/MANIFEST.sha256' (%s): check free space", out, strerror(-r));
                return r;
        }
        *ret_files = files;
        *ret_seconds = secs;
        return 0;
}

void triage_capture_done(struct triage_ctx *c) {
        for (size_t i = 0; i < c->n_procs; i++) {
                free(c->procs[i].exe);
                free(c->procs[i].cwd);
                strv_free(c->procs[i].argv);
                free(c->procs[i].sock_inodes);
                free(c->procs[i].recovered);
        }
        free(c->procs);
        c->procs = NULL;
        c->n_procs = 0;
        finding_list_done(&c->findings);
        if (c->capture)
                json_object_put(c->capture);
        c->capture = NULL;
        c->root_fd = safe_close(c->root_fd);
        c->out_fd = safe_close(c->out_fd);
        c->raw_fd = safe_close(c->raw_fd);
        if (c->o)
                pthread_mutex_destroy(&c->lock);
        c->o = NULL;
}
