/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "basic/util.h"
#include "sandbox/features.h"
#include "sandbox/internal.h"

/* Runs unshare(FLAGS) in a child; returns 0 or the child's -errno. */
static int try_unshare(int flags) {
        pid_t p = fork();
        if (p < 0)
                return -errno;
        if (p == 0)
                _exit(unshare(flags) < 0 ? errno : 0);
        int st;
        if (waitpid(p, &st, 0) < 0)
                return -errno;
        return WIFEXITED(st) ? -WEXITSTATUS(st) : -EIO;
}

static bool file_contains(const char *path, const char *needle) {
        _cleanup_free_ char *buf = NULL;
        return read_full_file(path, &buf, NULL, 1 << 20) >= 0 && strstr(buf, needle);
}

void feature_add(struct feature **v, size_t *n, const char *name, bool ok, char *detail, const char *degrade) {
        *v = realloc(*v, sizeof(**v) * (*n + 1));
        if (!*v)
                abort();
        (*v)[(*n)++] = (struct feature){ name, ok, detail, ok ? NULL : xstrdup(degrade) };
}

size_t features_probe(struct feature **ret) {
        struct feature *v = NULL;
        size_t n = 0;
        bool root = geteuid() == 0;
        struct utsname u;
        uname(&u);
        feature_add(&v, &n, "kernel", true, xasprintf("%s %s", u.sysname, u.release), NULL);

        int r = try_unshare(CLONE_NEWUSER);
        feature_add(
                &v, &n, "user namespaces", r == 0,
                r == 0 ? xstrdup("unshare(CLONE_NEWUSER) works") : xasprintf("refused: %s", strerror(-r)),
                "buildward cannot isolate builds at all; allow user namespaces (sysctl user.max_user_namespaces, "
                "kernel.apparmor_restrict_unprivileged_userns=0, or a container seccomp profile that permits them)");
        const struct {
                const char *name;
                int flag;
        } nss[] = { { "pid namespaces", CLONE_NEWPID },       { "network namespaces", CLONE_NEWNET },
                    { "ipc namespaces", CLONE_NEWIPC },       { "uts namespaces", CLONE_NEWUTS },
                    { "cgroup namespaces", CLONE_NEWCGROUP }, { "mount namespaces", CLONE_NEWNS } };
        bool userns = r == 0;
        for (size_t i = 0; i < ELEMENTSOF(nss); i++) {
                /* Root probes each namespace alone; others can only try it inside a user namespace. */
                if (!root && !userns) {
                        feature_add(&v, &n, nss[i].name, false,
                                    xstrdup("not probed: it needs a user namespace, which is refused"),
                                    "allow user namespaces first (see above)");
                        continue;
                }
                r = try_unshare((root ? 0 : CLONE_NEWUSER) | nss[i].flag);
                feature_add(&v, &n, nss[i].name, r == 0,
                            r == 0 ? xstrdup("available") : xasprintf("refused: %s", strerror(-r)),
                            r == -EINVAL
                                    ? "buildward refuses to run without it; use a kernel built with this namespace "
                                      "(CONFIG_*_NS)"
                                    : "buildward refuses to run without it; a security policy (seccomp, AppArmor, "
                                      "SELinux) refuses it");
        }
        bool ovl = file_contains("/proc/filesystems", "\toverlay\n");
        feature_add(&v, &n, "overlayfs", ovl, xstrdup(ovl ? "listed in /proc/filesystems" : "not loaded"),
                    "the copy-on-write source tree needs it; load it with `modprobe overlay`");
        if (root) {
                r = idmap_probe("/usr");
                feature_add(&v, &n, "idmapped mounts", r == 0,
                            r == 0 ? xstrdup("supported on /usr's filesystem") : xasprintf("refused: %s", strerror(-r)),
                            "the build runs as the source tree owner's host uid instead of a dedicated one; use Linux "
                            ">= 5.12 "
                            "and a filesystem that supports idmapped mounts (ext4, xfs, btrfs, tmpfs >= 6.3)");
        } else
                feature_add(&v, &n, "idmapped mounts", false, xstrdup("not probed: needs root"),
                            "unprivileged runs map the build to your own uid, which owns the source tree");

        enum cgroup_mode cm = cgroup_detect();
        const char *cmd = cm == CGROUP_V2 ? "pure v2 at /sys/fs/cgroup"
                          : cm == CGROUP_HYBRID
                                  ? "v1 controllers plus an empty cgroup2 at /sys/fs/cgroup/unified (hybrid)"
                          : cm == CGROUP_V1 ? "v1 controllers only"
                                            : "none mounted";
        bool cg_ok = cm != CGROUP_NONE && root;
        feature_add(
                &v, &n, "cgroups", cg_ok, xasprintf("%s%s", cmd, root ? "" : "; not root: cannot create cgroups"),
                "--memory, --pids and --cpus are not applied (the report says so); run as root or delegate a cgroup");
        if (cm == CGROUP_V2) {
                bool ctl = file_contains("/sys/fs/cgroup/cgroup.controllers", "memory") &&
                           file_contains("/sys/fs/cgroup/cgroup.controllers", "pids");
                feature_add(&v, &n, "cgroup v2 controllers", ctl,
                            xstrdup(ctl ? "memory and pids available" : "memory or pids missing"),
                            "the missing limits are not applied; enable the controllers at the root of the hierarchy");
        }
        bool sc = file_contains("/proc/sys/kernel/seccomp/actions_avail", "errno");
        feature_add(&v, &n, "seccomp filters", sc,
                    xstrdup(sc ? "SECCOMP_RET_ERRNO available" : "no seccomp filter support"),
                    "buildward refuses to run: the syscall filter is required (CONFIG_SECCOMP_FILTER)");
        int abi = landlock_abi();
        feature_add(
                &v, &n, "landlock", abi > 0,
                abi > 0 ? xasprintf("ABI %d%s", abi, abi >= 6 ? " (with signal and abstract socket scoping)" : "")
                        : xstrdup("not enabled"),
                "write access is enforced by the read-only mounts alone; boot with lsm=...,landlock to add the second "
                "layer");
        *ret = v;
        return n;
}

void features_free(struct feature *f, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(f[i].detail);
                free(f[i].degrade);
        }
        free(f);
}

/*
 * The active LSM list where securityfs is not mounted: read by a child in a
 * mount namespace of its own (private, so nothing propagates), which mounts
 * securityfs there; the host is left as it was. System calls only in the
 * child: the caller may have threads.
 */
static int read_lsm_list_unmounted(char **ret) {
        int pfd[2];
        if (pipe2(pfd, O_CLOEXEC) < 0)
                return -errno;
        pid_t pid = (pid_t) syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, NULL, NULL, NULL, 0);
        if (pid < 0) {
                int r = -errno;
                close(pfd[0]);
                close(pfd[1]);
                return r;
        }
        if (pid == 0) {
                char b[4096];
                ssize_t n = -1;
                int fd = -1;
                if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
                    mount("securityfs", "/sys/kernel/security", "securityfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) ==
                            0 &&
                    (fd = open("/sys/kernel/security/lsm", O_RDONLY | O_CLOEXEC)) >= 0)
                        n = read(fd, b, sizeof(b) - 1);
                if (n > 0 && write(pfd[1], b, (size_t) n) != n)
                        n = -1;
                _exit(n > 0 ? 0 : 1);
        }
        close(pfd[1]);
        char b[4096];
        size_t got = 0;
        while (got < sizeof(b) - 1) {
                ssize_t k = read(pfd[0], b + got, sizeof(b) - 1 - got);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                got += (size_t) k;
        }
        close(pfd[0]);
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || got == 0)
                return -ENOENT;
        b[got] = 0;
        *ret = xstrdup(b);
        return 0;
}

int bpf_lsm_enabled(char **ret_list) {
        _cleanup_free_ char *list = NULL;
        int r = read_full_file("/sys/kernel/security/lsm", &list, NULL, 4096);
        if (r == -ENOENT)
                r = read_lsm_list_unmounted(&list);
        if (r < 0)
                return r;
        list[strcspn(list, "\n")] = 0;
        bool bpf = false;
        _cleanup_free_ char *copy = xstrdup(list);
        char *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
                bpf = bpf || streq(t, "bpf");
        *ret_list = TAKE_PTR(list);
        return bpf;
}
