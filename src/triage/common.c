/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "basic/json-util.h"
#include "basic/util.h"
#include "report/report.h"
#include "triage/triage.h"

void triage_add(struct triage_ctx *c, const char *rule, const char *category, enum severity sev,
                const struct triage_proc *p, char *detail, json_object *evidence) {
        struct finding f = {
                .rule = xstrdup(rule),
                .category = category,
                .severity = sev,
                .time_usec = now_usec(CLOCK_REALTIME),
                .detail = detail,
                .evidence = evidence ? evidence : json_object_new_object(),
        };
        if (p) {
                f.pid = p->pid;
                f.ppid = p->ppid;
                f.host_pid = p->pid;
                f.exe = p->exe ? xstrdup(p->exe) : NULL;
                f.argv = strv_copy(p->argv);
        }
        pthread_mutex_lock(&c->lock);
        finding_list_add(&c->findings, f);
        pthread_mutex_unlock(&c->lock);
}

int triage_open(struct triage_ctx *c, const char *path, int flags) {
        /*
         * RESOLVE_IN_ROOT treats every absolute symlink and ".." as relative to
         * the root: a planted link in a disk image cannot reach the responder's
         * own files. No magic links either (/proc/self/... inside an image).
         */
        struct open_how how = {
                /* openat2() refuses O_PATH combined with anything but these. */
                .flags = (uint64_t) (flags | O_CLOEXEC | ((flags & O_PATH) ? 0 : O_NOCTTY)),
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        while (*path == '/')
                path++;
        if (!*path)
                path = ".";
        long fd = syscall(SYS_openat2, c->root_fd, path, &how, sizeof(how));
        return fd < 0 ? -errno : (int) fd;
}

DIR *triage_opendir(struct triage_ctx *c, const char *path) {
        int fd = triage_open(c, path, O_RDONLY | O_DIRECTORY);
        if (fd < 0) {
                errno = -fd;
                return NULL;
        }
        DIR *d = fdopendir(fd);
        if (!d)
                close(fd);
        return d;
}

static int raw_copy(struct triage_ctx *c, const char *path, const char *buf, size_t n) {
        if (c->raw_fd < 0)
                return 0;
        while (*path == '/')
                path++;
        _cleanup_free_ char *rel = xstrdup(path);
        /* Create the parent directories below raw/, one level at a time. */
        for (char *s = strchr(rel, '/'); s; s = strchr(s + 1, '/')) {
                *s = 0;
                if (mkdirat(c->raw_fd, rel, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        _cleanup_close_ int fd = openat(c->raw_fd, rel, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
                return errno == EEXIST ? 0 : -errno;
        return loop_write(fd, buf, n < TRIAGE_RAW_MAX ? n : TRIAGE_RAW_MAX);
}

int triage_read_nocopy(struct triage_ctx *c, const char *path, size_t max, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = triage_open(c, path, O_RDONLY | O_NONBLOCK);
        if (fd < 0)
                return fd;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EISDIR;
        /* Read at most MAX bytes: a huge file is cut, not refused. */
        return read_fd_prefix(fd, max, ret, ret_size);
}

int triage_read(struct triage_ctx *c, const char *path, size_t max, char **ret, size_t *ret_size) {
        size_t n;
        char *buf;
        int r = triage_read_nocopy(c, path, max, &buf, &n);
        if (r < 0)
                return r;
        (void) raw_copy(c, path, buf, n);
        *ret = buf;
        if (ret_size)
                *ret_size = n;
        return 0;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The entries of DIR inside the root, sorted: directories (DIRS), or regular files and symlinks. */
static char **list_entries(struct triage_ctx *c, const char *dir, bool dirs) {
        char **v = xcalloc(1, sizeof(char *));
        DIR *d = triage_opendir(c, dir);
        if (!d)
                return v;
        struct dirent *de;
        size_t n = 0;
        while ((de = readdir(d)) && n < 10000) {
                if (dot_or_dotdot(de->d_name))
                        continue;
                struct stat st;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    (dirs ? !S_ISDIR(st.st_mode) : !(S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))))
                        continue;
                strv_push(&v, xstrdup(de->d_name));
                n++;
        }
        closedir(d);
        qsort(v, n, sizeof(char *), cmp_str);
        return v;
}

char **triage_list(struct triage_ctx *c, const char *dir) {
        return list_entries(c, dir, false);
}

static bool homes_have(char **v, const char *home) {
        for (size_t k = 1; v[k - 1] && v[k]; k += 2)
                if (streq(v[k], home))
                        return true;
        return false;
}

char **triage_homes(struct triage_ctx *c) {
        char **v = xcalloc(1, sizeof(char *));
        _cleanup_free_ char *pw = NULL;
        char *save = NULL;
        if (triage_read(c, "/etc/passwd", 4 << 20, &pw, NULL) < 0)
                pw = xstrdup("");
        for (char *line = strtok_r(pw, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                /* name:pw:uid:gid:gecos:home:shell */
                char *f[7] = {};
                char *s = line;
                int i;
                for (i = 0; i < 7 && s; i++) {
                        f[i] = s;
                        s = strchr(s, ':');
                        if (s)
                                *s++ = 0;
                }
                if (i < 6 || !f[5] || f[5][0] != '/' || streq(f[5], "/") || streq(f[5], "/nonexistent"))
                        continue;
                /* Several accounts share /var/lib-like homes: keep the first. */
                if (homes_have(v, f[5]))
                        continue;
                strv_push(&v, xstrdup(f[0]));
                strv_push(&v, xstrdup(f[5]));
        }
        if (!homes_have(v, "/root")) {
                strv_push(&v, xstrdup("root"));
                strv_push(&v, xstrdup("/root"));
        }
        /* An image without /etc/passwd (or with an account removed from it to hide) still has the homes. */
        _cleanup_strv_free_ char **dirs = list_entries(c, "/home", true);
        for (char **n = dirs; *n; n++) {
                _cleanup_free_ char *h = xasprintf("/home/%s", *n);
                if (homes_have(v, h))
                        continue;
                strv_push(&v, xstrdup(*n));
                strv_push(&v, TAKE_PTR(h));
        }
        return v;
}

bool triage_skipped(const struct triage_ctx *c, const char *collector) {
        for (char **s = c->o->skip; s && *s; s++)
                if (streq(*s, collector))
                        return true;
        return false;
}

void triage_note(struct triage_ctx *c, const char *collector, const char *status, const char *why) {
        json_object *cols;
        if (!json_object_object_get_ex(c->capture, "collectors", &cols)) {
                cols = json_object_new_object();
                json_object_object_add(c->capture, "collectors", cols);
        }
        json_object *e = json_object_new_object();
        json_object_object_add(e, "status", json_new_string(status));
        if (why)
                json_object_object_add(e, "reason", json_new_string(why));
        json_object_object_add(cols, collector, e);
}

int triage_save(struct triage_ctx *c, const char *name, json_object *o) {
        _cleanup_free_ char *file = xasprintf("%s.json", name);
        int r = json_write_file_at(c->out_fd, file, o);
        json_object_put(o);
        return r;
}

bool path_is_tmp_area(const char *path) {
        static const char *const areas[] = { "/tmp/", "/var/tmp/", "/dev/shm/", "/run/user/", "/var/run/user/" };
        if (!path)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(areas); i++)
                if (startswith(path, areas[i]))
                        return true;
        return false;
}

bool path_is_writable_area(const char *path) {
        return path_is_tmp_area(path) || (path && (startswith(path, "/home/") || startswith(path, "/root/")));
}
