/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Landlock: a second, kernel-enforced statement of where the build may write,
 * independent of the mount table, plus (ABI 6) scoping of abstract unix sockets
 * and signals to the build's own domain.
 */
#include <dirent.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "basic/log.h"
#include "sandbox/internal.h"

/* Constants newer than the headers of some distributions (Debian 12 ships ABI 3). */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#define BW_LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define BW_LANDLOCK_SCOPE_SIGNAL               (1ULL << 1)

/* Our own layout of struct landlock_ruleset_attr at ABI 6 (fs, net, scoped). */
struct bw_ruleset_attr {
        uint64_t handled_access_fs;
        uint64_t handled_access_net;
        uint64_t scoped;
};

#define FS_WRITE_ACCESS                                                                                                \
        (LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |              \
         LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |                    \
         LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |                 \
         LANDLOCK_ACCESS_FS_MAKE_SYM)

int landlock_abi(void) {
        long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
        return abi < 0 ? 0 : (int) abi;
}

/* The rights the kernel accepts on a rule for a non-directory (its LANDLOCK_ACCESS_FILE). */
#define FS_FILE_ACCESS                                                                                                 \
        (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |                   \
         LANDLOCK_ACCESS_FS_TRUNCATE | LANDLOCK_ACCESS_FS_IOCTL_DEV)

static int allow_beneath(int ruleset, const char *path, uint64_t access) {
        _cleanup_close_ int fd = open(path, O_PATH | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        /*
         * A rule on a file, socket or fifo with any directory right (make,
         * remove, refer) is EINVAL for the whole ruleset: a --bind of a unix
         * socket or a single file gets the file rights only. Connecting to a
         * socket needs no landlock right at all (ABI 7); writing to a fifo or
         * a file is WRITE_FILE.
         */
        struct stat s;
        if (fstat(fd, &s) < 0)
                return -errno;
        if (!S_ISDIR(s.st_mode))
                access &= FS_FILE_ACCESS;
        struct landlock_path_beneath_attr pb = { .allowed_access = access, .parent_fd = fd };
        if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0)
                return -errno;
        return 0;
}

int landlock_apply(const char *source, const struct bind_spec *binds, size_t n_binds, bool rootfs) {
        int abi = landlock_abi();
        if (abi <= 0)
                return 0;
        uint64_t handled = FS_WRITE_ACCESS;
        if (abi >= 2)
                handled |= LANDLOCK_ACCESS_FS_REFER;
        if (abi >= 3)
                handled |= LANDLOCK_ACCESS_FS_TRUNCATE;
        /* Never allowed anywhere: device nodes. */
        uint64_t writable = handled & ~(LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_BLOCK);
        struct bw_ruleset_attr attr = { .handled_access_fs = handled };
        size_t attr_size = sizeof(uint64_t);
        if (abi >= 6) {
                attr.scoped = BW_LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | BW_LANDLOCK_SCOPE_SIGNAL;
                attr_size = sizeof(attr);
        }
        _cleanup_close_ int rs = (int) syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0);
        if (rs < 0)
                return -errno;

        const char *const dirs[] = { source, "/tmp", "/var/tmp", "/home/build", "/dev/shm", "/dev/pts" };
        int r;
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                if ((r = allow_beneath(rs, dirs[i], writable)) < 0)
                        return r;
        /* Writing to /dev/null and friends, and to the process's own /proc files. */
        const char *const files[] = {
                "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"
        };
        uint64_t file_write = LANDLOCK_ACCESS_FS_WRITE_FILE | (handled & LANDLOCK_ACCESS_FS_TRUNCATE);
        for (size_t i = 0; i < ELEMENTSOF(files); i++)
                if ((r = allow_beneath(rs, files[i], file_write)) < 0)
                        return r;
        if ((r = allow_beneath(rs, "/proc", file_write)) < 0)
                return r;
        for (size_t i = 0; i < n_binds; i++)
                if (binds[i].writable && (r = allow_beneath(rs, binds[i].dst, writable)) < 0)
                        return r;
        if (rootfs) {
                /* A --rootfs is copy-on-write: every top-level tree but the kernel's own. */
                DIR *d = opendir("/");
                for (struct dirent *de; d && (de = readdir(d));) {
                        if (de->d_name[0] == '.' || streq(de->d_name, "proc") || streq(de->d_name, "sys") ||
                            streq(de->d_name, "dev") || de->d_type != DT_DIR)
                                continue;
                        _cleanup_free_ char *p = xasprintf("/%s", de->d_name);
                        if ((r = allow_beneath(rs, p, writable)) < 0) {
                                closedir(d);
                                return r;
                        }
                }
                if (d)
                        closedir(d);
        }

        if (syscall(SYS_landlock_restrict_self, rs, 0) < 0)
                return -errno;
        return abi;
}
