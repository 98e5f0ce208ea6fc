/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Builds whose buildward is gone.
 *
 * The build's init dies with buildward (PR_SET_PDEATHSIG, sandbox.c), and the
 * kernel kills every other process of the build's pid namespace with it. What
 * the kernel leaves behind are the build's cgroup directories. So every
 * privileged run registers its cgroups in RUN_DIR/builds/NAME, a file it holds
 * flock()ed from before the build's first process until its cgroups are gone,
 * and unlinks before it lets go of the lock. A registration whose lock can be
 * taken while the file is still linked belongs to a buildward that died: the
 * next privileged `run` and `doctor --cleanup` kill what is left in its
 * cgroups, remove them and the file.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "basic/log.h"
#include "sandbox/orphans.h"

#define BUILDS_DIR ORPHANS_RUN_DIR "/builds"
#define CG_ROOT    "/sys/fs/cgroup/"

static int open_builds_dir(bool create) {
        if (create &&
            ((mkdir(ORPHANS_RUN_DIR, 0700) < 0 && errno != EEXIST) || (mkdir(BUILDS_DIR, 0700) < 0 && errno != EEXIST)))
                return -errno;
        int fd = open(BUILDS_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        struct stat s;
        /* Root's alone: what it names is killed and removed by root. */
        if (fstat(fd, &s) < 0 || s.st_uid != 0 || (s.st_mode & 0077)) {
                close(fd);
                return -EPERM;
        }
        return fd;
}

int orphans_register(const struct cgroup *cg, struct build_registration *reg) {
        *reg = (struct build_registration){ .fd = -EBADF };
        if (!cg->v2_path && !cg->v1_memory && !cg->v1_pids && !cg->v1_cpu && !cg->v1_freezer)
                return 0; /* nothing the kernel would leave behind */
        _cleanup_close_ int dir = open_builds_dir(true);
        if (dir < 0)
                return dir;
        uint32_t rnd = 0;
        (void) getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK);
        _cleanup_free_ char *name = xasprintf("build-%d-%08x", (int) getpid(), rnd);
        /*
         * Locked before it has a name, so that no reaper can find it unlocked:
         * O_TMPFILE, flock(), the content, then a name.
         */
        _cleanup_close_ int fd = openat(dir, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        bool named = false;
        if (fd < 0) {
                fd = openat(dir, name, O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0600);
                named = true;
        }
        if (fd < 0 || flock(fd, LOCK_EX) < 0)
                return -errno;
        const struct {
                const char *key, *path;
        } dirs[] = { { "v2", cg->v2_path },
                     { "memory", cg->v1_memory },
                     { "pids", cg->v1_pids },
                     { "cpu", cg->v1_cpu },
                     { "freezer", cg->v1_freezer } };
        _cleanup_free_ char *text = xstrdup("");
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                if (dirs[i].path) {
                        char *t = xasprintf("%s%s %s\n", text, dirs[i].key, dirs[i].path);
                        free(text);
                        text = t;
                }
        int r = loop_write(fd, text, strlen(text));
        if (r < 0) {
                if (named)
                        (void) unlinkat(dir, name, 0);
                return r;
        }
        if (!named) {
                char proc[64];
                snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
                if (linkat(AT_FDCWD, proc, dir, name, AT_SYMLINK_FOLLOW) < 0)
                        return -errno;
        }
        reg->fd = TAKE_FD(fd);
        reg->name = TAKE_PTR(name);
        return 0;
}

void orphans_unregister(struct build_registration *reg) {
        if (!reg->name)
                return; /* never registered (and a zeroed fd is not ours to close) */
        _cleanup_close_ int dir = open_builds_dir(false);
        if (dir >= 0)
                (void) unlinkat(dir, reg->name, 0);
        closep(&reg->fd); /* the lock goes last: a reaper that gets it finds no name */
        reg->fd = -EBADF;
        free(reg->name);
        reg->name = NULL;
}

/* Only directories buildward makes: /sys/fs/cgroup/.../buildward/build-*, no "..". */
static bool valid_cgroup_path(const char *p) {
        const char *base = strrchr(p, '/');
        return startswith(p, CG_ROOT) && !strstr(p, "/../") && !endswith(p, "/..") && strstr(p, "/buildward/") &&
               base && startswith(base + 1, "build-");
}

/* SIGKILL to every process in the cgroup directory DIR (v1 has no cgroup.kill). */
static void kill_members(const char *dir) {
        _cleanup_free_ char *path = xasprintf("%s/cgroup.procs", dir), *buf = NULL;
        if (read_full_file(path, &buf, NULL, 1 << 20) < 0)
                return;
        for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                int pid = atoi(l);
                if (pid > 1)
                        (void) kill(pid, SIGKILL);
        }
}

/* Kills and removes the cgroups registered in FD; 0, or -EAGAIN while one is still busy. */
static int reap_one(int fd) {
        _cleanup_free_ char *buf = NULL;
        int r = read_full_fd(fd, &buf, NULL, 1 << 14);
        if (r < 0)
                return r;
        struct cgroup cg = {};
        for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                char *sp = strchr(l, ' ');
                if (!sp || !valid_cgroup_path(sp + 1))
                        continue;
                *sp = 0;
                char **slot = streq(l, "v2")        ? &cg.v2_path
                              : streq(l, "memory")  ? &cg.v1_memory
                              : streq(l, "pids")    ? &cg.v1_pids
                              : streq(l, "cpu")     ? &cg.v1_cpu
                              : streq(l, "freezer") ? &cg.v1_freezer
                                                    : NULL;
                if (slot && !*slot)
                        *slot = xstrdup(sp + 1);
        }
        (void) cgroup_kill(&cg);
        (void) cgroup_freeze(&cg, false); /* a frozen v1 task handles SIGKILL once thawed */
        char *const dirs[] = { cg.v2_path, cg.v1_memory, cg.v1_pids, cg.v1_cpu, cg.v1_freezer };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                if (dirs[i])
                        kill_members(dirs[i]);
        cgroup_destroy(&cg); /* retries while the kernel releases the killed */
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                struct stat s;
                if (dirs[i] && stat(dirs[i], &s) == 0)
                        return -EAGAIN;
        }
        return 0;
}

int orphans_reap(unsigned *ret_reaped) {
        unsigned n = 0;
        if (ret_reaped)
                *ret_reaped = 0;
        _cleanup_close_ int dir = open_builds_dir(false);
        if (dir == -ENOENT)
                return 0;
        if (dir < 0)
                return dir;
        DIR *d = opendir_at(dir, ".");
        if (!d)
                return -errno;
        int r = 0;
        for (struct dirent *de; (de = readdir(d));) {
                if (de->d_type != DT_REG || !startswith(de->d_name, "build-"))
                        continue;
                _cleanup_close_ int fd = openat(dir, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                struct stat s;
                if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
                        continue; /* its buildward still runs */
                if (fstat(fd, &s) < 0 || s.st_nlink == 0)
                        continue; /* it ended cleanly while we looked */
                int k = reap_one(fd);
                if (k < 0) {
                        log_warning("cannot remove the cgroups of build %s, whose buildward is gone (%s); "
                                    "rerun `buildward doctor --cleanup`, or rmdir them as listed in %s/%s",
                                    de->d_name, strerror(-k), BUILDS_DIR, de->d_name);
                        if (r == 0)
                                r = k;
                        continue;
                }
                log_info("removed the cgroups of build %s, whose buildward was killed", de->d_name);
                (void) unlinkat(dir, de->d_name, 0);
                n++;
        }
        closedir(d);
        if (ret_reaped)
                *ret_reaped = n;
        return r;
}
