/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The build's filesystem view. Everything is assembled by the parent in a private
 * mount namespace (see internal.h); the child only adds what must belong to its own
 * namespaces (proc, devpts) and pivots into the result.
 */
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "basic/log.h"
#include "sandbox/internal.h"

/* Host system directories the build sees read-only (when they exist). */
/* /etc is mounted by setup_etc(). */
static const char *const system_dirs[] = { "usr", "opt", "bin", "sbin", "lib", "lib32", "lib64", "libx32" };

/* Host files and directories under /etc that hold secrets or identify the host. */
static const char *const etc_masks[] = {
        "etc/shadow",
        "etc/shadow-",
        "etc/gshadow",
        "etc/gshadow-",
        "etc/security/opasswd",
        "etc/ssl/private",
        "etc/ssh/ssh_host_*",
        "etc/buildward",
        "etc/sudoers",
        "etc/sudoers.d",
        "etc/krb5.keytab",
        "etc/docker",
        "etc/containers/auth.json",
        "etc/NetworkManager/system-connections",
        "etc/wireguard",
        "etc/ipsec.secrets",
        "etc/ppp/chap-secrets",
        "etc/ppp/pap-secrets",
        "etc/gitlab-runner",
        "etc/pki/private",
};

static const char neutral_machine_id[] = "b1d0a2d5f0e84c1c9a6c0f3e2d4b5a69\n";

static int sys_open_tree(int dfd, const char *path, unsigned flags) {
        return (int) syscall(SYS_open_tree, dfd, path, flags);
}
static int sys_move_mount(int fdfrom, const char *from, int fdto, const char *to, unsigned flags) {
        return (int) syscall(SYS_move_mount, fdfrom, from, fdto, to, flags);
}
static int sys_mount_setattr(int dfd, const char *path, unsigned flags, struct mount_attr *a) {
        return (int) syscall(SYS_mount_setattr, dfd, path, flags, a, sizeof(*a));
}

/* Whether we run in a user namespace other than the initial one. */
static bool in_user_namespace(void) {
        _cleanup_free_ char *map = NULL;
        if (read_full_file("/proc/self/uid_map", &map, NULL, 4096) < 0)
                return false;
        unsigned a, b, c;
        return !(sscanf(map, "%u %u %u", &a, &b, &c) == 3 && a == 0 && b == 0 && c == 4294967295u);
}

static char *fd_path(int fd) {
        return xasprintf("/proc/self/fd/%d", fd);
}

/* Makes the mount at PATH and everything below it read-only (and nosuid, nodev). */
static int make_readonly(const char *path) {
        struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };
        if (sys_mount_setattr(AT_FDCWD, path, AT_RECURSIVE, &a) == 0)
                return 0;
        /* Kernels before 5.12: the top mount only. */
        if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
                return -errno;
        return 0;
}

int bind_mount(const char *src, const char *dst, bool readonly) {
        if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
                return -errno;
        if (readonly)
                return make_readonly(dst);
        struct mount_attr a = { .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };
        (void) sys_mount_setattr(AT_FDCWD, dst, AT_RECURSIVE, &a);
        return 0;
}

/*
 * Creates ROOT/REL (a directory) with MODE unless something already exists
 * there: 1 when it made it, 0 when a directory was there. The stage is built
 * with umask 0 (stage_prepare()), so MODE holds without a chmod.
 */
static int ensure_dir(const char *root, const char *rel, mode_t mode) {
        _cleanup_free_ char *p = xasprintf("%s/%s", root, rel);
        if (mkdir(p, mode) == 0)
                return 1;
        if (errno == ENOENT) {
                _cleanup_free_ char *parent = xstrdup(p);
                *strrchr(parent, '/') = 0;
                int r = mkdir_p(parent, 0755);
                if (r < 0)
                        return r;
                return mkdir(p, mode) < 0 ? -errno : 1;
        }
        struct stat st;
        if (errno != EEXIST || lstat(p, &st) < 0)
                return -errno;
        return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

static int ensure_file(const char *root, const char *rel) {
        _cleanup_free_ char *p = xasprintf("%s/%s", root, rel);
        struct stat st;
        if (lstat(p, &st) == 0)
                return S_ISDIR(st.st_mode) ? -EISDIR : 0;
        _cleanup_free_ char *parent = xstrdup(p);
        *strrchr(parent, '/') = 0;
        int r = mkdir_p(parent, 0755);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC | O_EXCL, 0644);
        return fd < 0 ? -errno : 0;
}

/* Hides ROOT/REL (glob allowed) behind an inaccessible empty file or directory. */
static void mask_path(const struct stage *st, const char *rel) {
        _cleanup_free_ char *pattern = xasprintf("%s/%s", st->root, rel);
        glob_t g;
        if (glob(pattern, GLOB_NOSORT, NULL, &g) != 0)
                return;
        for (size_t i = 0; i < g.gl_pathc; i++) {
                struct stat s;
                if (lstat(g.gl_pathv[i], &s) < 0 || S_ISLNK(s.st_mode))
                        continue;
                _cleanup_free_ char *src = xasprintf("%s/%s", st->dir, S_ISDIR(s.st_mode) ? "mask-dir" : "mask-file");
                int r = bind_mount(src, g.gl_pathv[i], true);
                if (r < 0)
                        log_debug("mask %s: %s", g.gl_pathv[i], strerror(-r));
        }
        globfree(&g);
}

static int write_stage_file(const struct stage *st, const char *name, const char *content) {
        _cleanup_free_ char *p = xasprintf("%s/files/%s", st->dir, name);
        return write_file_at(AT_FDCWD, p, content, O_CREAT | O_TRUNC, 0644);
}

/* Replaces ROOT/etc/NAME with a generated file (creating the mount point if needed). */
static int replace_etc_file(const struct stage *st, const char *name, const char *content) {
        int r = write_stage_file(st, name, content);
        if (r < 0)
                return r;
        _cleanup_free_ char *rel = xasprintf("etc/%s", name);
        _cleanup_free_ char *dst = xasprintf("%s/%s", st->root, rel);
        struct stat s;
        if (lstat(dst, &s) < 0) {
                /* Absent on the host: only creatable when etc/ is our own directory (--rootfs). */
                if (ensure_file(st->root, rel) < 0)
                        return 0;
        } else if (!S_ISREG(s.st_mode))
                return 0; /* a symlink (resolv.conf often is) or directory: masked below instead */
        _cleanup_free_ char *src = xasprintf("%s/files/%s", st->dir, name);
        return bind_mount(src, dst, true);
}

/*
 * A user namespace whose only purpose is to describe an idmapping for the
 * source tree: on-disk owner S appears as the build's uid. Returns an fd on it.
 */
/* ARG: the pipe. Raw calls: this task shares its creator's memory and thread pointer. */
static int park(void *arg) {
        const int *pfd = arg;
        char c;
        (void) syscall(SYS_close, pfd[1]);
        (void) syscall(SYS_read, pfd[0], &c, 1); /* EOF once the creator has the fd, or has died */
        return 0;
}

static int idmap_userns_fd(uid_t from_uid, gid_t from_gid, uid_t to_uid, gid_t to_gid) {
        int pfd[2];
        if (pipe2(pfd, O_CLOEXEC) < 0)
                return -errno;
        /*
         * The namespace's only member shares our memory (CLONE_VM) and parks
         * on a stack in this frame: no page tables copied for a task that
         * exists to hold a namespace for a few hundred microseconds.
         */
        _Alignas(16) char stack[4096];
        pid_t pid = clone(park, stack + sizeof(stack), CLONE_VM | CLONE_NEWUSER | SIGCHLD, pfd);
        if (pid < 0) {
                int r = -errno;
                close(pfd[0]);
                close(pfd[1]);
                return r;
        }
        close(pfd[0]);
        int r = 0, fd = -EBADF;
        char path[64], map[64];
        snprintf(path, sizeof(path), "/proc/%d/uid_map", (int) pid);
        snprintf(map, sizeof(map), "%u %u 1\n", (unsigned) from_uid, (unsigned) to_uid);
        r = write_string_file(path, map);
        if (r >= 0) {
                snprintf(path, sizeof(path), "/proc/%d/gid_map", (int) pid);
                snprintf(map, sizeof(map), "%u %u 1\n", (unsigned) from_gid, (unsigned) to_gid);
                r = write_string_file(path, map);
        }
        if (r >= 0) {
                snprintf(path, sizeof(path), "/proc/%d/ns/user", (int) pid);
                fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        r = -errno;
        }
        close(pfd[1]);
        (void) waitpid(pid, NULL, 0);
        return r < 0 ? r : fd;
}

/* Attaches an idmapped clone of the source tree at DIR/lower. */
static int mount_idmapped_source(struct stage *st, const char *target) {
        _cleanup_close_ int userns =
                st->idmap_userns_fd >= 0 ? TAKE_FD(st->idmap_userns_fd)
                                         : idmap_userns_fd(st->source_uid, st->source_gid, st->map_uid, st->map_gid);
        if (userns < 0)
                return userns;
        _cleanup_close_ int tree =
                sys_open_tree(st->source_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
        if (tree < 0)
                return -errno;
        struct mount_attr a = { .attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
                                .userns_fd = (uint64_t) userns };
        if (sys_mount_setattr(tree, "", AT_EMPTY_PATH, &a) < 0)
                return -errno;
        if (sys_move_mount(tree, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                return -errno;
        return 0;
}

/*
 * redirect_dir and metacopy off: the upper layer stays a plain tree that we can
 * diff and trust. In a user namespace overlayfs keeps its state in user.*
 * xattrs ("userxattr"), where both are off already and naming them is refused.
 */
static const char *overlay_flags(void) {
        return in_user_namespace() ? "userxattr" : "redirect_dir=off,metacopy=off,index=off";
}

static int mount_source(struct stage *st, const char *source, char ***warnings, char **ret_failure) {
        _cleanup_free_ char *lower = NULL, *work = xasprintf("%s/work", st->dir);
        st->upper = xasprintf("%s/upper", st->dir);
        st->merged = xasprintf("%s%s", st->root, source);

        int r = ensure_dir(st->root, source + 1, 0755);
        if (r < 0) {
                *ret_failure =
                        xasprintf("cannot create the mount point for the source tree '%s' inside the sandbox (%s); "
                                  "move the source out of a system directory",
                                  source, strerror(-r));
                return r;
        }
        struct stat sst;
        if (fstat(st->source_fd, &sst) < 0)
                return -errno;
        /* The overlay's root directory takes the upper directory's owner and mode. */
        if (mkdir(st->upper, sst.st_mode & 07777) < 0 || mkdir(work, 0700) < 0)
                return -errno;
        if (chown(st->upper, st->map_uid, st->map_gid) < 0 || chmod(st->upper, sst.st_mode & 07777) < 0)
                return -errno;

        if (st->source_mapping && streq(st->source_mapping, "idmapped")) {
                lower = xasprintf("%s/lower", st->dir);
                if (mkdir(lower, 0700) < 0)
                        return -errno;
                r = mount_idmapped_source(st, lower);
                if (r < 0) {
                        strv_push(warnings, xasprintf("the filesystem of '%s' does not support idmapped mounts (%s): "
                                                      "the build runs as the source owner's uid %u",
                                                      source, strerror(-r), (unsigned) st->source_uid));
                        free(lower);
                        lower = NULL;
                        st->source_mapping = "direct";
                        st->map_uid = st->source_uid;
                        st->map_gid = st->source_gid;
                        if (chown(st->upper, st->map_uid, st->map_gid) < 0)
                                return -errno;
                }
        }
        if (!lower)
                lower = fd_path(st->source_fd);

        /* redirect_dir/metacopy off: the upper layer stays a plain tree we can diff and trust. */
        _cleanup_free_ char *opts =
                xasprintf("lowerdir=%s,upperdir=%s,workdir=%s,%s", lower, st->upper, work, overlay_flags());
        if (mount("overlay", st->merged, "overlay", MS_NOSUID | MS_NODEV, opts) < 0) {
                r = -errno;
                *ret_failure = xasprintf(
                        "cannot mount the copy-on-write overlay over '%s' (%s); "
                        "the kernel needs overlayfs (modprobe overlay) and the source must not be on overlayfs itself",
                        source, strerror(-r));
                return r;
        }
        return 0;
}

static int mount_system_dirs(struct stage *st) {
        for (size_t i = 0; i < ELEMENTSOF(system_dirs); i++) {
                _cleanup_free_ char *host = xasprintf("/%s", system_dirs[i]);
                _cleanup_free_ char *dst = xasprintf("%s/%s", st->root, system_dirs[i]);
                struct stat s;
                if (lstat(host, &s) < 0)
                        continue;
                if (S_ISLNK(s.st_mode)) {
                        char target[PATH_MAX];
                        ssize_t n = readlink(host, target, sizeof(target) - 1);
                        if (n < 0)
                                return -errno;
                        target[n] = 0;
                        if (symlink(target, dst) < 0)
                                return -errno;
                        continue;
                }
                if (!S_ISDIR(s.st_mode))
                        continue;
                if (mkdir(dst, 0755) < 0)
                        return -errno;
                int r = bind_mount(host, dst, true);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int mount_rootfs_overlay(struct stage *st, const char *rootfs, char **ret_failure) {
        _cleanup_close_ int fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                int r = -errno;
                *ret_failure = xasprintf("cannot open --rootfs '%s' (%s); pass a directory that holds a system tree",
                                         rootfs, strerror(-r));
                return r;
        }
        _cleanup_free_ char *lower = fd_path(fd), *upper = xasprintf("%s/rootupper", st->dir),
                            *work = xasprintf("%s/rootwork", st->dir);
        if (mkdir(upper, 0755) < 0 || mkdir(work, 0700) < 0)
                return -errno;
        _cleanup_free_ char *opts =
                xasprintf("lowerdir=%s,upperdir=%s,workdir=%s,%s", lower, upper, work, overlay_flags());
        if (mount("overlay", st->root, "overlay", MS_NOSUID | MS_NODEV, opts) < 0) {
                int r = -errno;
                *ret_failure = xasprintf("cannot mount --rootfs '%s' copy-on-write (%s); the kernel needs overlayfs",
                                         rootfs, strerror(-r));
                return r;
        }
        return 0;
}

/* A private, writable directory of the build's that is its own mount point. */
static int private_dir(const struct stage *st, const char *rel, mode_t mode, bool own) {
        _cleanup_free_ char *p = xasprintf("%s/%s", st->root, rel);
        struct stat s;
        if (lstat(p, &s) == 0 && !S_ISDIR(s.st_mode))
                (void) unlink(p); /* a rootfs symlink such as /var/tmp -> /tmp */
        int r = ensure_dir(st->root, rel, mode);
        if (r < 0)
                return r;
        if (r == 0 && chmod(p, mode) < 0) /* the rootfs's own directory */
                return -errno;
        if (own && chown(p, st->map_uid, st->map_gid) < 0)
                return -errno;
        return bind_mount(p, p, false);
}

static int setup_dev(const struct stage *st) {
        static const char *const nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
        int r = ensure_dir(st->root, "dev", 0755);
        if (r < 0)
                return r;
        /* With --rootfs, dev/ may hold the image's own nodes: a tmpfs hides them. */
        _cleanup_free_ char *dev = xasprintf("%s/dev", st->root);
        if (mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k,nr_inodes=64") < 0)
                return -errno;
        bool can_mknod = !in_user_namespace();
        for (size_t i = 0; i < ELEMENTSOF(nodes); i++) {
                _cleanup_free_ char *rel = xasprintf("dev/%s", nodes[i]), *host = xasprintf("/dev/%s", nodes[i]),
                                    *dst = xasprintf("%s/%s", st->root, rel);
                struct stat hs;
                /* As root the nodes are created directly (this tmpfs is ours, not the build's); else bound. */
                if (can_mknod && stat(host, &hs) == 0 && S_ISCHR(hs.st_mode) &&
                    mknod(dst, S_IFCHR | (hs.st_mode & 0666), hs.st_rdev) == 0)
                        continue;
                if ((r = ensure_file(st->root, rel)) < 0)
                        return r;
                if (mount(host, dst, NULL, MS_BIND, NULL) < 0)
                        return -errno;
                struct mount_attr a = { .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC };
                (void) sys_mount_setattr(AT_FDCWD, dst, 0, &a);
        }
        static const struct {
                const char *name, *target;
        } links[] = {
                { "fd", "/proc/self/fd" },       { "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
                { "stderr", "/proc/self/fd/2" }, { "ptmx", "pts/ptmx" },         { "core", "/proc/kcore" },
        };
        for (size_t i = 0; i < ELEMENTSOF(links); i++) {
                if (streq(links[i].name, "core"))
                        continue;
                _cleanup_free_ char *p = xasprintf("%s/dev/%s", st->root, links[i].name);
                if (symlink(links[i].target, p) < 0)
                        return -errno;
        }
        if ((r = ensure_dir(st->root, "dev/pts", 0755)) < 0)
                return r;
        /* /dev/shm lives on the staging tmpfs so it counts against --tmp-size. */
        _cleanup_free_ char *shm_src = xasprintf("%s/shm", st->dir), *shm = xasprintf("%s/dev/shm", st->root);
        if (mkdir(shm_src, 01777) < 0)
                return -errno;
        if ((r = ensure_dir(st->root, "dev/shm", 0755)) < 0)
                return r;
        return bind_mount(shm_src, shm, false);
}

/* Creates DIR/REL's parent directories, each with the owner and mode of its twin under HOST. */
static int mirror_parents(const char *dir, const char *host, const char *rel) {
        _cleanup_free_ char *copy = xstrdup(rel);
        for (char *slash = strchr(copy, '/'); slash; slash = strchr(slash + 1, '/')) {
                *slash = 0;
                _cleanup_free_ char *d = xasprintf("%s/%s", dir, copy), *h = xasprintf("%s/%s", host, copy);
                struct stat hs;
                if (lstat(h, &hs) < 0 || !S_ISDIR(hs.st_mode))
                        return -ENOTDIR;
                if (mkdir(d, hs.st_mode & 07777) < 0 && errno != EEXIST)
                        return -errno;
                if (lchown(d, hs.st_uid, hs.st_gid) < 0 && errno != EINVAL)
                        return -errno;
                if (hs.st_mode & 06000) /* mkdir() takes no setuid/setgid bits */
                        (void) chmod(d, hs.st_mode & 07777);
                *slash = '/';
        }
        return 0;
}

/*
 * Host view: /etc is a read-only overlay of a small top layer over the host's
 * /etc. The top layer holds the neutral files and a whiteout for every secret,
 * so a secret is absent (ENOENT), not merely unreadable, and it all costs one
 * mount instead of one per file.
 */
static int setup_etc_overlay(const struct stage *st, const char *const (*files)[2], size_t n_files) {
        _cleanup_free_ char *top = xasprintf("%s/etc-top", st->dir), *dst = xasprintf("%s/etc", st->root);
        struct stat es;
        if (stat("/etc", &es) < 0 || !S_ISDIR(es.st_mode))
                return -ENOTDIR;
        if (mkdir(top, es.st_mode & 07777) < 0 || ((es.st_mode & 06000) && chmod(top, es.st_mode & 07777) < 0))
                return -errno; /* mkdir() takes no setuid/setgid bits */
        for (size_t i = 0; i < n_files; i++) {
                struct stat hs;
                _cleanup_free_ char *p = xasprintf("%s/%s", top, files[i][0]), *h = xasprintf("/etc/%s", files[i][0]);
                if (lstat(h, &hs) == 0 && S_ISDIR(hs.st_mode))
                        continue;
                int r = write_file_at(AT_FDCWD, p, files[i][1], O_CREAT | O_EXCL, 0644);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < ELEMENTSOF(etc_masks); i++) {
                _cleanup_free_ char *pattern = xasprintf("/%s", etc_masks[i]);
                glob_t g;
                if (glob(pattern, GLOB_NOSORT, NULL, &g) != 0)
                        continue;
                for (size_t j = 0; j < g.gl_pathc; j++) {
                        const char *rel = g.gl_pathv[j] + strlen("/etc/");
                        _cleanup_free_ char *w = xasprintf("%s/%s", top, rel);
                        int r = mirror_parents(top, "/etc", rel);
                        if (r >= 0 && mknod(w, S_IFCHR | 0000, makedev(0, 0)) < 0 && errno != EEXIST)
                                r = -errno;
                        if (r < 0) {
                                globfree(&g);
                                return r;
                        }
                }
                globfree(&g);
        }
        if (mkdir(dst, 0755) < 0)
                return -errno;
        _cleanup_free_ char *opts = xasprintf("lowerdir=%s:/etc%s", top, in_user_namespace() ? ",userxattr" : "");
        if (mount("overlay", dst, "overlay", MS_RDONLY | MS_NOSUID | MS_NODEV, opts) < 0) {
                int r = -errno;
                (void) rmdir(dst);
                return r;
        }
        return 0;
}

static int setup_etc(const struct stage *st, const char *hostname) {
        _cleanup_free_ char *dst_etc = xasprintf("%s/etc", st->root);
        _cleanup_free_ char *hosts =
                xasprintf("127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n", hostname);
        _cleanup_free_ char *hn = xasprintf("%s\n", hostname);
        char passwd[512], group[256];
        snprintf(passwd, sizeof(passwd),
                 "root:x:0:0:root:/root:/usr/sbin/nologin\n"
                 "build:x:%d:%d:build:/home/build:/bin/sh\n"
                 "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
                 SANDBOX_UID, SANDBOX_GID);
        snprintf(group, sizeof(group), "root:x:0:\nbuild:x:%d:\nnogroup:x:65534:\n", SANDBOX_GID);
        const char *const files[][2] = {
                { "passwd", passwd },
                { "group", group },
                { "hostname", hn },
                { "hosts", hosts },
                { "machine-id", neutral_machine_id },
                { "resolv.conf", "# buildward: builds are offline; there is no name server\n" },
                { "mailname", hn },
        };
        int r = write_stage_file(st, "boot_id", "4275696c-6477-6172-6400-000000000001\n");
        if (r < 0)
                return r;
        if (!st->writable_root) {
                r = setup_etc_overlay(st, files, ELEMENTSOF(files));
                if (r >= 0)
                        return 0;
                log_debug("/etc overlay not possible (%s): binding and masking file by file", strerror(-r));
                if ((r = bind_mount("/etc", dst_etc, true)) < 0)
                        return r;
        }
        /* --rootfs, or a host whose /etc cannot be an overlay layer: one mount per file. */
        for (size_t i = 0; i < ELEMENTSOF(files); i++)
                if ((r = replace_etc_file(st, files[i][0], files[i][1])) < 0)
                        return r;
        for (size_t i = 0; i < ELEMENTSOF(etc_masks); i++)
                mask_path(st, etc_masks[i]);
        return 0;
}

static int setup_binds(const struct stage *st, const struct sandbox_config *cfg, char **ret_failure) {
        for (size_t i = 0; i < cfg->n_binds; i++) {
                const struct bind_spec *b = &cfg->binds[i];
                struct stat s;
                if (stat(b->src, &s) < 0) {
                        int r = -errno;
                        *ret_failure =
                                xasprintf("cannot bind '%s' into the sandbox (%s); check the path given to --%sbind",
                                          b->src, strerror(-r), b->writable ? "" : "ro-");
                        return r;
                }
                int r = S_ISDIR(s.st_mode) ? ensure_dir(st->root, b->dst + 1, 0755) : ensure_file(st->root, b->dst + 1);
                if (r < 0) {
                        *ret_failure =
                                xasprintf("cannot create the mount point '%s' inside the sandbox (%s); "
                                          "choose a destination under /tmp, /home/build or a new top-level directory",
                                          b->dst, strerror(-r));
                        return r;
                }
                _cleanup_free_ char *dst = xasprintf("%s%s", st->root, b->dst);
                r = bind_mount(b->src, dst, !b->writable);
                if (r < 0) {
                        *ret_failure = xasprintf("cannot bind '%s' to '%s' (%s); check both paths", b->src, b->dst,
                                                 strerror(-r));
                        return r;
                }
        }
        return 0;
}

int stage_prepare(struct stage *st, const struct sandbox_config *cfg, char **ret_failure) {
        char opts[128];
        const char *step;
        int r;
        SETUP_STEP(step, "stage: tmpfs");
        snprintf(opts, sizeof(opts), "mode=0755,size=%llu", (unsigned long long) cfg->tmp_size);
        if (mount("tmpfs", st->dir, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0) {
                r = -errno;
                *ret_failure = xasprintf("cannot mount the build's tmpfs (%s); check --tmp-size '%llu'", strerror(-r),
                                         (unsigned long long) cfg->tmp_size);
                return r;
        }
        st->root = xasprintf("%s/root", st->dir);
        _cleanup_free_ char *files = xasprintf("%s/files", st->dir), *mdir = xasprintf("%s/mask-dir", st->dir),
                            *mfile = xasprintf("%s/mask-file", st->dir);
        if (mkdir(st->root, 0755) < 0 || mkdir(files, 0755) < 0 || mkdir(mdir, 0) < 0)
                return -errno;
        _cleanup_close_ int mf = open(mfile, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0);
        if (mf < 0)
                return -errno;

        SETUP_STEP(step, "stage: system directories");
        if (cfg->rootfs) {
                if ((r = mount_rootfs_overlay(st, cfg->rootfs, ret_failure)) < 0)
                        return r;
                st->writable_root = true;
        } else if ((r = mount_system_dirs(st)) < 0) {
                *ret_failure = xasprintf("cannot bind the host's system directories read-only (%s); "
                                         "buildward needs mount namespaces and bind mounts",
                                         strerror(-r));
                return r;
        }
        SETUP_STEP(step, "stage: /etc");
        if ((r = setup_etc(st, cfg->hostname)) < 0) {
                *ret_failure = xasprintf("cannot prepare /etc for the sandbox (%s)", strerror(-r));
                return r;
        }
        const struct {
                const char *rel;
                mode_t mode;
                bool own;
        } dirs[] = {
                { "tmp", 01777, false },
                { "var/tmp", 01777, false },
                { "home/build", 0700, true },
        };
        SETUP_STEP(step, "stage: private directories");
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                if ((r = private_dir(st, dirs[i].rel, dirs[i].mode, dirs[i].own)) < 0) {
                        *ret_failure = xasprintf("cannot create the private /%s (%s)", dirs[i].rel, strerror(-r));
                        return r;
                }
        SETUP_STEP(step, "stage: /dev");
        (void) step;
        if ((r = ensure_dir(st->root, "proc", 0555)) < 0 || (r = ensure_dir(st->root, "sys", 0555)) < 0 ||
            (r = setup_dev(st)) < 0) {
                *ret_failure = xasprintf("cannot create /dev, /proc and /sys for the sandbox (%s)", strerror(-r));
                return r;
        }
        return 0;
}

int stage_prepare_source(struct stage *st, const struct sandbox_config *cfg, char ***warnings, char **ret_failure) {
        const char *step;
        SETUP_STEP(step, "stage: source overlay");
        int r = mount_source(st, cfg->source, warnings, ret_failure);
        if (r < 0)
                return r;
        SETUP_STEP(step, "stage: hard links in the source");
        if ((r = stage_mask_hardlinks(st, cfg->source, warnings, ret_failure)) < 0)
                return r;
        SETUP_STEP(step, "stage: binds");
        (void) step;
        return setup_binds(st, cfg, ret_failure);
}

void stage_mount_sysfs(const struct stage *st) {
        /* Optional: absent is fine, writable is not. It shows the build's network namespace. */
        _cleanup_free_ char *sys = xasprintf("%s/sys", st->root);
        if (mount("sysfs", sys, "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                log_debug("sysfs not mounted: %m");
}

int stage_idmap_userns(const struct stage *st) {
        return idmap_userns_fd(st->source_uid, st->source_gid, st->map_uid, st->map_gid);
}

/*
 * Nothing to unmount: the stage lives in buildward's private mount namespace,
 * which goes when buildward exits; the views' fds keep what the report reads.
 */
void stage_release(struct stage *st) {
        free(st->dir);
        free(st->root);
        free(st->merged);
        free(st->upper);
        closep(&st->source_fd);
        closep(&st->idmap_userns_fd);
        strv_free(st->masked_hardlinks);
        *st = (struct stage){ .source_fd = -EBADF, .idmap_userns_fd = -EBADF };
}

/* /proc entries that must not be writable even by the build's own userns root. */
static const char *const proc_readonly[] = { "sys", "sysrq-trigger", "irq", "bus", "fs", "acpi", "scsi" };

int stage_enter(const struct stage *st, const char **ret_step) {
#define STEP(s) SETUP_STEP(*ret_step, s)
        STEP("make mounts private");
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return -errno;
        /* pivot_root() refuses a locked mount point: a fresh bind of the root is ours. */
        STEP("bind the new root");
        if (mount(st->root, st->root, NULL, MS_BIND | MS_REC, NULL) < 0)
                return -errno;
        if (chdir(st->root) < 0)
                return -errno;

        STEP("mount /proc");
        if (mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                return -errno;
        /* The host's boot id would tell builds of the same boot apart from others. */
        {
                _cleanup_free_ char *boot_id = xasprintf("%s/files/boot_id", st->dir);
                if (mount(boot_id, "proc/sys/kernel/random/boot_id", NULL, MS_BIND, NULL) < 0)
                        log_debug("boot_id not masked: %m");
        }
        for (size_t i = 0; i < ELEMENTSOF(proc_readonly); i++) {
                _cleanup_free_ char *p = xasprintf("proc/%s", proc_readonly[i]);
                if (access(p, F_OK) < 0)
                        continue;
                if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0 ||
                    mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                        return -errno;
        }
        STEP("mount /dev/pts");
        if (mount("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") < 0)
                return -errno;

        STEP("pivot_root");
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return -errno;
        if (umount2(".", MNT_DETACH) < 0)
                return -errno;
        if (chdir("/") < 0)
                return -errno;

        /* The host-view root is ours and stays read-only; a --rootfs is the build's, copy-on-write. */
        STEP(st->writable_root ? "make / nosuid" : "make / read-only");
        if (!st->writable_root &&
            mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
                return -errno;
        struct mount_attr a = { .attr_set = MOUNT_ATTR_NOSUID };
        (void) sys_mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &a);
        STEP(NULL);
        return 0;
#undef STEP
}

int idmap_probe(const char *path) {
        _cleanup_close_ int userns = idmap_userns_fd(0, 0, 1, 1);
        if (userns < 0)
                return userns;
        _cleanup_close_ int tree = sys_open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
        if (tree < 0)
                return -errno;
        struct mount_attr a = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) userns };
        return sys_mount_setattr(tree, "", AT_EMPTY_PATH, &a) < 0 ? -errno : 0;
}
