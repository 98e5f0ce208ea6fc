// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bw-probe: the multi-call probe that the security tests run inside the
 * sandbox. `bw-probe ACTION [ARGS...]` makes exactly one attempt and prints
 * exactly one line on stdout:
 *
 *   OK [DETAIL]              the attempt succeeded (for an attack: the sandbox
 *                            let it through)
 *   ERR ERRNONAME [DETAIL]   the attempt failed with that errno
 *
 * and exits 0 either way; 2 on a usage error (message on stderr). DETAIL is
 * `key=value` words; `step=NAME` names the step that failed when an action has
 * several.
 *
 * Why the odd arguments: a refused syscall is called with arguments that would
 * make it fail with EFAULT, EBADF or EINVAL had the permission check passed
 * (a NULL attribute pointer, fd -1, ...), so a test expecting EPERM cannot
 * pass because the call was merely malformed. The header of each action says
 * what the kernel would answer without the sandbox.
 *
 * Statically linked (tests/meson.build): inside the sandbox it needs nothing
 * from the root filesystem, and no NSS lookups are made (they would drag in
 * shared objects).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <linux/bpf.h>
#include <linux/keyctl.h>
#include <linux/tiocl.h>
#include <linux/userfaultfd.h>

/* Syscalls newer than the installed headers. Numbers from 424 up are shared
 * by every architecture but alpha. */
#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef SYS_setxattrat
#define SYS_setxattrat 463
#endif
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
/* <linux/mount.h> clashes with <sys/mount.h> in glibc 2.36: copy the two
 * constants we need. */
#define BW_OPEN_TREE_CLONE 1
#define BW_FSOPEN_CLOEXEC  1

/* struct xattr_args of setxattrat(2), Linux 6.13 */
struct bw_xattr_args {
        uint64_t value;
        uint32_t size;
        uint32_t flags;
};

/* struct clone_args, first version (CLONE_ARGS_SIZE_VER0 = 64 bytes) */
struct bw_clone_args {
        uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

#define MIB (1024UL * 1024UL)

/* errname: the errno's symbolic name. Linux's ENOTSUP and EOPNOTSUPP are one
 * value, which glibc names EOPNOTSUPP; we print POSIX's ENOTSUP, the name for
 * "operation not supported" on a file (xattrs), which is what tests expect. */
static const char *errname(int e) {
        static char buf[32];
        const char *n = e == ENOTSUP ? "ENOTSUP" : strerrorname_np(e);

        if (n)
                return n;
        snprintf(buf, sizeof buf, "E%d", e);
        return buf;
}

/* Every result goes through these two: one line, flushed, exit 0. */
__attribute__((format(printf, 1, 2))) static int say_ok(const char *fmt, ...) {
        va_list ap;

        fputs("OK", stdout);
        if (fmt && *fmt) {
                fputc(' ', stdout);
                va_start(ap, fmt);
                vfprintf(stdout, fmt, ap);
                va_end(ap);
        }
        fputc('\n', stdout);
        fflush(stdout);
        return 0;
}

__attribute__((format(printf, 2, 3))) static int say_err(int e, const char *fmt, ...) {
        va_list ap;

        printf("ERR %s", errname(e));
        if (fmt && *fmt) {
                fputc(' ', stdout);
                va_start(ap, fmt);
                vfprintf(stdout, fmt, ap);
                va_end(ap);
        }
        fputc('\n', stdout);
        fflush(stdout);
        return 0;
}

/* say_rc: the common ending, `OK` when r >= 0, else `ERR <errno>` */
static int say_rc(long r) {
        return r < 0 ? say_err(errno, NULL) : say_ok(NULL);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...) {
        va_list ap;

        fputs("bw-probe: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return 2;
}

/* parse_long: whole-string decimal (or 0x/0 prefixed) number */
static bool parse_long(const char *s, long *ret) {
        char *end;
        long v;

        errno = 0;
        v = strtol(s, &end, 0);
        if (errno || end == s || *end)
                return false;
        *ret = v;
        return true;
}

static double now_s(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* escape: printable form of a name for a one-line answer (\xNN for the rest,
 * so a newline in a file name cannot split the line) */
static void escape(const char *s, size_t len, char *out, size_t outsz) {
        size_t o = 0;

        for (size_t i = 0; i < len && o + 5 < outsz; i++) {
                unsigned char c = (unsigned char) s[i];
                if (c > 0x20 && c < 0x7f && c != '\\' && c != ',')
                        out[o++] = (char) c;
                else
                        o += (size_t) snprintf(out + o, outsz - o, "\\x%02x", c);
        }
        out[o] = '\0';
}

static int hex_decode(const char *hex, char *out, size_t outsz, size_t *ret_len) {
        size_t n = strlen(hex);

        if (n % 2 || n / 2 >= outsz)
                return -1;
        for (size_t i = 0; i < n / 2; i++) {
                unsigned v;
                if (sscanf(hex + 2 * i, "%2x", &v) != 1)
                        return -1;
                out[i] = (char) v;
        }
        out[n / 2] = '\0';
        *ret_len = n / 2;
        return 0;
}

static uint64_t fnv1a(uint64_t h, const unsigned char *p, size_t n) {
        for (size_t i = 0; i < n; i++) {
                h ^= p[i];
                h *= 0x100000001b3ULL;
        }
        return h;
}

/* read_all: up to max bytes of a (possibly /proc) file; -errno on failure */
static ssize_t read_all(const char *path, char *buf, size_t max) {
        size_t got = 0;
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        while (got < max) {
                ssize_t r = read(fd, buf + got, max - got);
                if (r < 0) {
                        int e = errno;
                        close(fd);
                        return -e;
                }
                if (r == 0)
                        break;
                got += (size_t) r;
        }
        close(fd);
        return (ssize_t) got;
}

/* ---- files ---------------------------------------------------------------- */

/* read FILE: OK bytes=N fnv=H (FNV-1a 64 of the content, so the host can tell
 * whether the sandbox saw the host's file; at most 64 MiB are read) */
static int act_read(int argc, char **argv) {
        static unsigned char buf[65536];
        uint64_t h = 0xcbf29ce484222325ULL;
        unsigned long long total = 0;
        int fd;

        (void) argc;
        fd = open(argv[1], O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return say_err(errno, NULL);
        while (total < 64 * MIB) {
                ssize_t r = read(fd, buf, sizeof buf);
                if (r < 0) {
                        int e = errno;
                        close(fd);
                        return say_err(e, "step=read");
                }
                if (r == 0)
                        break;
                h = fnv1a(h, buf, (size_t) r);
                total += (unsigned long long) r;
        }
        close(fd);
        return say_ok("bytes=%llu fnv=%016" PRIx64, total, h);
}

/* readline FILE: OK <first line, escaped, at most 200 bytes> */
static int act_readline(int argc, char **argv) {
        char buf[256], esc[1100];
        ssize_t n;
        char *nl;

        (void) argc;
        n = read_all(argv[1], buf, 200);
        if (n < 0)
                return say_err((int) -n, NULL);
        buf[n] = '\0';
        nl = memchr(buf, '\n', (size_t) n);
        if (nl)
                n = nl - buf;
        escape(buf, (size_t) n, esc, sizeof esc);
        return say_ok("%s", esc);
}

/* write FILE: open(O_WRONLY|O_CREAT|O_TRUNC) and write "x" */
static int act_write(int argc, char **argv) {
        int fd, e;

        (void) argc;
        fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return say_err(errno, NULL);
        if (write(fd, "x", 1) != 1) {
                e = errno;
                close(fd);
                return say_err(e, "step=write");
        }
        if (close(fd) < 0)
                return say_err(errno, "step=close");
        return say_ok(NULL);
}

static int act_mkdir(int argc, char **argv) {
        (void) argc;
        return say_rc(mkdir(argv[1], 0755));
}

static int act_unlink(int argc, char **argv) {
        (void) argc;
        return say_rc(unlink(argv[1]));
}

static int act_symlink(int argc, char **argv) {
        (void) argc;
        return say_rc(symlink(argv[1], argv[2]));
}

static int act_link(int argc, char **argv) {
        (void) argc;
        return say_rc(link(argv[1], argv[2]));
}

static int act_mkfifo(int argc, char **argv) {
        (void) argc;
        return say_rc(mkfifo(argv[1], 0644));
}

static const char *type_name(mode_t m) {
        switch (m & S_IFMT) {
        case S_IFREG:
                return "reg";
        case S_IFDIR:
                return "dir";
        case S_IFLNK:
                return "lnk";
        case S_IFIFO:
                return "fifo";
        case S_IFSOCK:
                return "sock";
        case S_IFCHR:
                return "chr";
        case S_IFBLK:
                return "blk";
        default:
                return "unknown";
        }
}

/* stat PATH: lstat, OK type=T mode=OOOO uid=U gid=G size=S */
static int act_stat(int argc, char **argv) {
        struct stat st;

        (void) argc;
        if (lstat(argv[1], &st) < 0)
                return say_err(errno, NULL);
        return say_ok("type=%s mode=%04o uid=%u gid=%u size=%lld", type_name(st.st_mode),
                      (unsigned) (st.st_mode & 07777), (unsigned) st.st_uid, (unsigned) st.st_gid,
                      (long long) st.st_size);
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* ls DIR: OK n=N names=a,b,c (sorted, escaped, cut after ~3000 bytes) */
static int act_ls(int argc, char **argv) {
        char *names[4096], line[3200], esc[1100];
        size_t n = 0, o = 0;
        struct dirent *de;
        DIR *d;

        (void) argc;
        d = opendir(argv[1]);
        if (!d)
                return say_err(errno, NULL);
        while ((de = readdir(d)) && n < 4096) {
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                names[n++] = strdup(de->d_name);
        }
        closedir(d);
        qsort(names, n, sizeof *names, cmp_str);
        line[0] = '\0';
        for (size_t i = 0; i < n; i++) {
                escape(names[i], strlen(names[i]), esc, sizeof esc);
                if (o + strlen(esc) + 5 >= 3000) {
                        o += (size_t) snprintf(line + o, sizeof line - o, "%s...", i ? "," : "");
                        break;
                }
                o += (size_t) snprintf(line + o, sizeof line - o, "%s%s", i ? "," : "", esc);
        }
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        return say_ok("n=%zu names=%s", n, line);
}

/* create-mode FILE MODE: open(O_CREAT|O_EXCL, MODE) and report the mode the
 * file got (umask cleared, so set-id bits asked for are bits asked for) */
static int act_create_mode(int argc, char **argv) {
        struct stat st;
        long mode;
        int fd;

        (void) argc;
        if (!parse_long(argv[2], &mode))
                return usage_error("create-mode: bad mode '%s'", argv[2]);
        umask(0);
        fd = open(argv[1], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t) mode);
        if (fd < 0)
                return say_err(errno, NULL);
        if (write(fd, "#!/bin/sh\nid -u\n", 16) != 16 || fstat(fd, &st) < 0) {
                int e = errno;
                close(fd);
                return say_err(e, "step=write");
        }
        close(fd);
        return say_ok("mode=%04o", (unsigned) (st.st_mode & 07777));
}

/* ---- set-id bits and xattrs ---------------------------------------------- */

/* make_plain_file: a fresh 0755 file to change the mode of; -errno or fd */
static int make_plain_file(const char *path) {
        int fd;

        umask(0);
        fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
        return fd < 0 ? -errno : fd;
}

/* chmod-setuid FILE (and friends): create FILE 0755, then set S_ISUID or
 * S_ISGID through one syscall. Unsandboxed, the owner may do this. */
enum chmod_via { VIA_CHMOD, VIA_FCHMOD, VIA_FCHMODAT, VIA_FCHMODAT2 };

static int do_chmod(const char *path, mode_t mode, enum chmod_via via) {
        struct stat st;
        long r = -1;
        int fd = make_plain_file(path);

        if (fd < 0)
                return say_err(-fd, "step=create");
        switch (via) {
        case VIA_CHMOD:
                r = chmod(path, mode);
                break;
        case VIA_FCHMOD:
                r = fchmod(fd, mode);
                break;
        case VIA_FCHMODAT:
                r = fchmodat(AT_FDCWD, path, mode, 0);
                break;
        case VIA_FCHMODAT2:
                r = syscall(SYS_fchmodat2, AT_FDCWD, path, mode, 0);
                break;
        }
        if (r < 0) {
                int e = errno;
                close(fd);
                return say_err(e, NULL);
        }
        fstat(fd, &st);
        close(fd);
        return say_ok("mode=%04o", (unsigned) (st.st_mode & 07777));
}

static int act_chmod_setuid(int argc, char **argv) {
        (void) argc;
        return do_chmod(argv[1], 04755, VIA_CHMOD);
}

static int act_chmod_setgid(int argc, char **argv) {
        (void) argc;
        return do_chmod(argv[1], 02755, VIA_CHMOD);
}

static int act_fchmod_setuid(int argc, char **argv) {
        (void) argc;
        return do_chmod(argv[1], 04755, VIA_FCHMOD);
}

static int act_fchmodat_setuid(int argc, char **argv) {
        (void) argc;
        return do_chmod(argv[1], 04755, VIA_FCHMODAT);
}

static int act_fchmodat2_setuid(int argc, char **argv) {
        (void) argc;
        return do_chmod(argv[1], 04755, VIA_FCHMODAT2);
}

/* setxattr FILE: user.test="1". Unsandboxed on tmpfs/overlay: OK. */
static int act_setxattr(int argc, char **argv) {
        int fd = make_plain_file(argv[1]);

        (void) argc;
        if (fd < 0)
                return say_err(-fd, "step=create");
        close(fd);
        return say_rc(setxattr(argv[1], "user.test", "1", 1, 0));
}

/* A VFS_CAP_REVISION_2 blob: cap_sys_admin permitted + effective. */
static const uint32_t fcap_blob[5] = { 0x02000001, 1u << 21, 0, 0, 0 };

/* setxattr-security FILE: security.capability. Unsandboxed without
 * CAP_SETFCAP: EPERM; the sandbox's filter answers ENOTSUP first. */
static int act_setxattr_security(int argc, char **argv) {
        int fd = make_plain_file(argv[1]);

        (void) argc;
        if (fd < 0)
                return say_err(-fd, "step=create");
        close(fd);
        return say_rc(setxattr(argv[1], "security.capability", fcap_blob, sizeof fcap_blob, 0));
}

static int act_fsetxattr(int argc, char **argv) {
        int fd = make_plain_file(argv[1]);
        long r;
        int e;

        (void) argc;
        if (fd < 0)
                return say_err(-fd, "step=create");
        r = fsetxattr(fd, "user.test", "1", 1, 0);
        e = errno;
        close(fd);
        errno = e;
        return say_rc(r);
}

static int act_lsetxattr(int argc, char **argv) {
        int fd = make_plain_file(argv[1]);

        (void) argc;
        if (fd < 0)
                return say_err(-fd, "step=create");
        close(fd);
        return say_rc(lsetxattr(argv[1], "user.test", "1", 1, 0));
}

/* setxattrat FILE: the Linux 6.13 syscall a filter written before it misses */
static int act_setxattrat(int argc, char **argv) {
        struct bw_xattr_args a = { .value = (uintptr_t) "1", .size = 1, .flags = 0 };
        int fd = make_plain_file(argv[1]);

        (void) argc;
        if (fd < 0)
                return say_err(-fd, "step=create");
        close(fd);
        return say_rc(syscall(SYS_setxattrat, AT_FDCWD, argv[1], 0, "user.test", &a, sizeof a));
}

/* ---- sockets --------------------------------------------------------------- */

/* connect_fd: non-blocking connect bounded to 5 s */
static int connect_fd(int fd, const struct sockaddr *sa, socklen_t len) {
        struct pollfd p = { .fd = fd, .events = POLLOUT };
        socklen_t elen = sizeof(int);
        int e = 0;

        if (connect(fd, sa, len) == 0)
                return 0;
        if (errno != EINPROGRESS)
                return -errno;
        if (poll(&p, 1, 5000) == 0)
                return -ETIMEDOUT;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0)
                return -errno;
        return -e;
}

/* tcp-connect HOST PORT (numeric IPv4 or IPv6 only: no resolver) */
static int act_tcp_connect(int argc, char **argv) {
        struct sockaddr_storage ss = { 0 };
        struct sockaddr_in *s4 = (struct sockaddr_in *) &ss;
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *) &ss;
        socklen_t len;
        long port;
        int fd, r;

        (void) argc;
        if (!parse_long(argv[2], &port) || port < 1 || port > 65535)
                return usage_error("tcp-connect: bad port '%s'", argv[2]);
        if (inet_pton(AF_INET, argv[1], &s4->sin_addr) == 1) {
                s4->sin_family = AF_INET;
                s4->sin_port = htons((uint16_t) port);
                len = sizeof *s4;
        } else if (inet_pton(AF_INET6, argv[1], &s6->sin6_addr) == 1) {
                s6->sin6_family = AF_INET6;
                s6->sin6_port = htons((uint16_t) port);
                len = sizeof *s6;
        } else
                return usage_error("tcp-connect: '%s' is not a numeric address", argv[1]);
        fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return say_err(errno, "step=socket");
        r = connect_fd(fd, (struct sockaddr *) &ss, len);
        close(fd);
        return r < 0 ? say_err(-r, NULL) : say_ok(NULL);
}

/* unix_addr: fill a sockaddr_un for PATH or, abstract, for "\0NAME" */
static int unix_addr(const char *name, bool abstract, struct sockaddr_un *sun, socklen_t *ret_len) {
        size_t n = strlen(name);

        memset(sun, 0, sizeof *sun);
        sun->sun_family = AF_UNIX;
        if (n + (abstract ? 1 : 0) >= sizeof sun->sun_path)
                return -ENAMETOOLONG;
        memcpy(sun->sun_path + (abstract ? 1 : 0), name, n);
        /* a path counts its NUL; an abstract name is exactly "\0NAME" */
        *ret_len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + 1 + n);
        return 0;
}

static int unix_connect(const char *name, bool abstract) {
        struct sockaddr_un sun;
        socklen_t len;
        int fd, r;

        r = unix_addr(name, abstract, &sun, &len);
        if (r < 0)
                return say_err(-r, NULL);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return say_err(errno, "step=socket");
        r = connect_fd(fd, (struct sockaddr *) &sun, len);
        close(fd);
        return r < 0 ? say_err(-r, NULL) : say_ok(NULL);
}

static int act_unix_connect(int argc, char **argv) {
        (void) argc;
        return unix_connect(argv[1], false);
}

static int act_abstract_connect(int argc, char **argv) {
        (void) argc;
        return unix_connect(argv[1], true);
}

/* abstract-listen NAME SECONDS: bind "\0NAME", accept for SECONDS (at most
 * 60), then print OK accepted=N */
static int act_abstract_listen(int argc, char **argv) {
        struct sockaddr_un sun;
        socklen_t len;
        long secs;
        double end;
        int fd, r, accepted = 0;

        (void) argc;
        if (!parse_long(argv[2], &secs) || secs < 0 || secs > 60)
                return usage_error("abstract-listen: bad seconds '%s'", argv[2]);
        r = unix_addr(argv[1], true, &sun, &len);
        if (r < 0)
                return say_err(-r, NULL);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return say_err(errno, "step=socket");
        if (bind(fd, (struct sockaddr *) &sun, len) < 0)
                return say_err(errno, "step=bind");
        if (listen(fd, 16) < 0)
                return say_err(errno, "step=listen");
        end = now_s() + (double) secs;
        for (double left; (left = end - now_s()) > 0;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                if (poll(&p, 1, (int) (left * 1000) + 1) > 0) {
                        int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
                        if (c >= 0) {
                                accepted++;
                                close(c);
                        }
                }
        }
        close(fd);
        return say_ok("accepted=%d", accepted);
}

/* ---- processes ------------------------------------------------------------- */

static int parse_signal(const char *s) {
        static const struct {
                const char *n;
                int sig;
        } tab[] = {
                { "HUP", SIGHUP },   { "INT", SIGINT },   { "KILL", SIGKILL }, { "TERM", SIGTERM },
                { "STOP", SIGSTOP }, { "CONT", SIGCONT }, { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 },
        };
        long v;

        if (!strncmp(s, "SIG", 3))
                s += 3;
        for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
                if (!strcmp(s, tab[i].n))
                        return tab[i].sig;
        if (parse_long(s, &v) && v >= 0 && v < 65)
                return (int) v;
        return -1;
}

/* kill PID SIG */
static int act_kill(int argc, char **argv) {
        long pid;
        int sig;

        (void) argc;
        sig = parse_signal(argv[2]);
        if (!parse_long(argv[1], &pid) || pid <= 0 || sig < 0)
                return usage_error("kill: bad pid '%s' or signal '%s'", argv[1], argv[2]);
        return say_rc(kill((pid_t) pid, sig));
}

/* ptrace-attach PID: attach, and detach again at once when it worked */
static int act_ptrace_attach(int argc, char **argv) {
        long pid;
        int status;

        (void) argc;
        if (!parse_long(argv[1], &pid) || pid <= 0)
                return usage_error("ptrace-attach: bad pid '%s'", argv[1]);
        if (ptrace(PTRACE_ATTACH, (pid_t) pid, NULL, NULL) < 0)
                return say_err(errno, NULL);
        waitpid((pid_t) pid, &status, __WALL);
        ptrace(PTRACE_DETACH, (pid_t) pid, NULL, NULL);
        return say_ok("attached");
}

/* grep_proc: the first /proc/PID (not ours) whose cmdline, or environ when
 * asked, holds the hex-decoded string. Hex, so that our own argv and the
 * command line of a shell that started us cannot match it. */
static int grep_proc(const char *hex, bool environ_too) {
        static char buf[1 << 20];
        char needle[256], path[64];
        const char *files[2] = { "cmdline", "environ" };
        size_t nlen;
        unsigned scanned = 0;
        struct dirent *de;
        DIR *d;

        if (hex_decode(hex, needle, sizeof needle, &nlen) < 0 || nlen == 0)
                return usage_error("'%s' is not a hex string", hex);
        d = opendir("/proc");
        if (!d)
                return say_err(errno, "step=opendir");
        while ((de = readdir(d))) {
                long pid;
                if (!parse_long(de->d_name, &pid) || pid == getpid())
                        continue;
                for (int f = 0; f < (environ_too ? 2 : 1); f++) {
                        ssize_t n;
                        snprintf(path, sizeof path, "/proc/%ld/%s", pid, files[f]);
                        n = read_all(path, buf, sizeof buf);
                        if (n < 0)
                                continue;
                        scanned++;
                        if (memmem(buf, (size_t) n, needle, nlen)) {
                                closedir(d);
                                return environ_too ? say_ok("found=/proc/%ld/%s", pid, files[f])
                                                   : say_ok("pid=%ld file=%s", pid, files[f]);
                        }
                }
        }
        closedir(d);
        return say_err(environ_too ? ENOENT : ESRCH, "scanned=%u", scanned);
}

/* find-cmdline HEX: OK pid=P file=cmdline, or ERR ESRCH scanned=N */
static int act_find_cmdline(int argc, char **argv) {
        (void) argc;
        return grep_proc(argv[1], false);
}

/* proc-grep HEX: any readable /proc/PID/{cmdline,environ} holding it */
static int act_proc_grep(int argc, char **argv) {
        (void) argc;
        return grep_proc(argv[1], true);
}

/* fork-bomb N [TAG]: fork children that wait, until fork fails, N were made
 * or 20 s passed; then kill and reap them all. TAG only marks the argv. */
static int act_fork_bomb(int argc, char **argv) {
        pid_t *kids;
        long n;
        long made = 0;
        int e = 0;
        double end = now_s() + 20;

        (void) argc;
        if (!parse_long(argv[1], &n) || n < 1 || n > 100000)
                return usage_error("fork-bomb: bad count '%s'", argv[1]);
        kids = calloc((size_t) n, sizeof *kids);
        if (!kids)
                return say_err(ENOMEM, "step=calloc");
        while (made < n && now_s() < end) {
                pid_t p = fork();
                if (p < 0) {
                        e = errno;
                        break;
                }
                if (p == 0) {
                        prctl(PR_SET_PDEATHSIG, SIGKILL);
                        alarm(30);
                        pause();
                        _exit(0);
                }
                kids[made++] = p;
        }
        for (long i = 0; i < made; i++)
                kill(kids[i], SIGKILL);
        for (long i = 0; i < made; i++)
                waitpid(kids[i], NULL, 0);
        free(kids);
        return e ? say_err(e, "forked=%ld", made) : say_ok("forked=%ld", made);
}

/* balloon MB: malloc+memset 16 MiB chunks up to MB; may be OOM-killed, which
 * the caller sees in the exit status */
static int act_balloon(int argc, char **argv) {
        const size_t chunk = 16 * MIB;
        long mb, got = 0;

        (void) argc;
        if (!parse_long(argv[1], &mb) || mb < 1 || mb > 65536)
                return usage_error("balloon: bad size '%s'", argv[1]);
        while (got < mb) {
                char *p = malloc(chunk);
                if (!p)
                        return say_err(ENOMEM, "mb=%ld", got);
                memset(p, 0xa5, chunk);
                got += 16;
        }
        return say_ok("mb=%ld", got);
}

/* fill-tmp DIR MB: write 1 MiB chunks to DIR/bw-fill until an error or MB;
 * `written` counts whole MiB that made it */
static int act_fill_tmp(int argc, char **argv) {
        static char buf[1024 * 1024];
        unsigned long long bytes = 0;
        char path[PATH_MAX];
        long mb;
        int fd, e = 0;

        (void) argc;
        if (!parse_long(argv[2], &mb) || mb < 1 || mb > 1048576)
                return usage_error("fill-tmp: bad size '%s'", argv[2]);
        snprintf(path, sizeof path, "%s/bw-fill", argv[1]);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return say_err(errno, "step=open");
        memset(buf, 'f', sizeof buf);
        while (bytes < (unsigned long long) mb * MIB) {
                ssize_t w = write(fd, buf, sizeof buf);
                if (w < 0) {
                        e = errno;
                        break;
                }
                bytes += (unsigned long long) w;
        }
        if (!e && fsync(fd) < 0 && errno != EINVAL)
                e = errno;
        close(fd);
        unlink(path);
        return e ? say_err(e, "written=%llu", bytes / MIB) : say_ok("written=%llu", bytes / MIB);
}

/* daemonize SECONDS [TAG]: fork, setsid, fork again; the grandchild ignores
 * HUP/INT/TERM and sleeps SECONDS (at most 600) with stdio on /dev/null. The
 * original prints `OK daemon-pid=P` (P as seen inside) and returns at once. */
static int act_daemonize(int argc, char **argv) {
        long secs;
        pid_t child, gpid = 0;
        int p[2];

        (void) argc;
        if (!parse_long(argv[1], &secs) || secs < 1 || secs > 600)
                return usage_error("daemonize: bad seconds '%s'", argv[1]);
        if (pipe2(p, O_CLOEXEC) < 0)
                return say_err(errno, "step=pipe");
        child = fork();
        if (child < 0)
                return say_err(errno, "step=fork");
        if (child == 0) {
                close(p[0]);
                setsid();
                pid_t g = fork();
                if (g != 0)
                        _exit(g < 0 ? 1 : 0);
                signal(SIGHUP, SIG_IGN);
                signal(SIGINT, SIG_IGN);
                signal(SIGTERM, SIG_IGN);
                g = getpid();
                if (write(p[1], &g, sizeof g) != sizeof g)
                        _exit(1);
                close(p[1]);
                int nul = open("/dev/null", O_RDWR);
                if (nul >= 0) {
                        dup2(nul, 0);
                        dup2(nul, 1);
                        dup2(nul, 2);
                        if (nul > 2)
                                close(nul);
                } else {
                        close(0);
                        close(1);
                        close(2);
                }
                if (chdir("/") < 0) {
                        /* stay where we are */
                }
                for (long i = 0; i < secs; i++)
                        sleep(1);
                _exit(0);
        }
        close(p[1]);
        if (read(p[0], &gpid, sizeof gpid) != sizeof gpid)
                gpid = 0;
        close(p[0]);
        waitpid(child, NULL, 0);
        return gpid > 0 ? say_ok("daemon-pid=%d", (int) gpid) : say_err(ECHILD, "step=grandchild");
}

/* sleep SECONDS [TAG]: a bounded (at most 120 s) target process */
static int act_sleep(int argc, char **argv) {
        long secs;
        double end;

        (void) argc;
        if (!parse_long(argv[1], &secs) || secs < 0 || secs > 120)
                return usage_error("sleep: bad seconds '%s'", argv[1]);
        end = now_s() + (double) secs;
        while (now_s() < end)
                usleep(100000);
        return say_ok("slept=%ld", secs);
}

/* ---- namespaces, mounts, chroot ------------------------------------------ */

/* mount-tmpfs DIR. Unsandboxed without CAP_SYS_ADMIN: EPERM as well. */
static int act_mount_tmpfs(int argc, char **argv) {
        (void) argc;
        return say_rc(mount("bw-probe", argv[1], "tmpfs", 0, "size=1m"));
}

/* mount-cgroup DIR: the v1 hierarchy whose release_agent once ran as root */
static int act_mount_cgroup(int argc, char **argv) {
        (void) argc;
        return say_rc(mount("cgroup", argv[1], "cgroup", 0, "memory"));
}

static int act_umount(int argc, char **argv) {
        (void) argc;
        return say_rc(umount2(argv[1], MNT_DETACH));
}

/* fsopen: the new mount API, which a filter listing only mount(2) misses */
static int act_fsopen(int argc, char **argv) {
        long fd;

        (void) argc;
        (void) argv;
        fd = syscall(SYS_fsopen, "tmpfs", BW_FSOPEN_CLOEXEC);
        if (fd >= 0)
                close((int) fd);
        return say_rc(fd);
}

/* open-tree DIR: clone a mount tree (needs CAP_SYS_ADMIN) */
static int act_open_tree(int argc, char **argv) {
        long fd;

        (void) argc;
        fd = syscall(SYS_open_tree, AT_FDCWD, argv[1], BW_OPEN_TREE_CLONE | O_CLOEXEC);
        if (fd >= 0)
                close((int) fd);
        return say_rc(fd);
}

/* chroot-breakout: the classic escape of a chroot (mkdir x; chroot x; cd ..
 * 64 times; chroot .), then read /etc/shadow. Prints the step that failed. */
static int act_chroot_breakout(int argc, char **argv) {
        char buf[16];
        ssize_t n;

        (void) argc;
        (void) argv;
        if (mkdir("bw-chroot-x", 0755) < 0 && errno != EEXIST)
                return say_err(errno, "step=mkdir");
        if (chroot("bw-chroot-x") < 0)
                return say_err(errno, "step=chroot");
        for (int i = 0; i < 64; i++)
                if (chdir("..") < 0)
                        return say_err(errno, "step=chdir");
        if (chroot(".") < 0)
                return say_err(errno, "step=chroot2");
        n = read_all("/etc/shadow", buf, sizeof buf);
        if (n < 0)
                return say_err((int) -n, "step=open");
        return say_ok("escaped bytes=%zd", n);
}

static int act_unshare_user(int argc, char **argv) {
        (void) argc;
        (void) argv;
        return say_rc(unshare(CLONE_NEWUSER));
}

/* unshare-ns: a new mount namespace (needs CAP_SYS_ADMIN: EPERM) */
static int act_unshare_ns(int argc, char **argv) {
        (void) argc;
        (void) argv;
        return say_rc(unshare(CLONE_NEWNS));
}

/* clone3-newuser: CLONE_NEWUSER through clone3, whose flags live in memory a
 * seccomp filter cannot read; the child exits at once */
static int act_clone3_newuser(int argc, char **argv) {
        struct bw_clone_args ca = { .flags = CLONE_NEWUSER, .exit_signal = SIGCHLD };
        long pid;

        (void) argc;
        (void) argv;
        pid = syscall(SYS_clone3, &ca, sizeof ca);
        if (pid < 0)
                return say_err(errno, NULL);
        if (pid == 0)
                _exit(0);
        waitpid((pid_t) pid, NULL, 0);
        return say_ok("pid=%ld", pid);
}

/* setns: join our own network namespace again (needs CAP_SYS_ADMIN: EPERM) */
static int act_setns(int argc, char **argv) {
        long r;
        int fd, e;

        (void) argc;
        (void) argv;
        fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return say_err(errno, "step=open");
        r = setns(fd, CLONE_NEWNET);
        e = errno;
        close(fd);
        errno = e;
        return say_rc(r);
}

/* ---- devices, terminals -------------------------------------------------- */

static int act_mknod_block(int argc, char **argv) {
        (void) argc;
        return say_rc(mknod(argv[1], S_IFBLK | 0600, makedev(8, 0)));
}

/* mknod-char PATH: 1:1 is /dev/mem */
static int act_mknod_char(int argc, char **argv) {
        (void) argc;
        return say_rc(mknod(argv[1], S_IFCHR | 0600, makedev(1, 1)));
}

static bool parse_fd(const char *s, int *ret) {
        long v;

        if (!parse_long(s, &v) || v < 0 || v > INT_MAX)
                return false;
        *ret = (int) v;
        return true;
}

/* The high-bits variants: ioctl's request is an unsigned int in the kernel,
 * so bits 32..63 are dropped there, but a seccomp filter comparing all 64
 * bits sees a different number. */
static long tty_ioctl(int fd, unsigned long req, bool highbits, void *arg) {
        if (highbits)
                req |= 0x100000000UL;
        return syscall(SYS_ioctl, fd, req, arg);
}

/* tiocsti FD: push '#' into FD's input queue. Unsandboxed with
 * dev.tty.legacy_tiocsti=1 on our controlling tty: OK. */
static int tiocsti(char **argv, bool highbits) {
        char c = '#';
        int fd;

        if (!parse_fd(argv[1], &fd))
                return usage_error("bad fd '%s'", argv[1]);
        return say_rc(tty_ioctl(fd, TIOCSTI, highbits, &c));
}

static int act_tiocsti(int argc, char **argv) {
        (void) argc;
        return tiocsti(argv, false);
}

static int act_tiocsti_highbits(int argc, char **argv) {
        (void) argc;
        return tiocsti(argv, true);
}

/* tioclinux FD: TIOCL_PASTESEL, the paste that injects on a virtual console.
 * Unsandboxed on a pty: ENOTTY or EINVAL (not a console); refused: EPERM. */
static int tioclinux(char **argv, bool highbits) {
        char sub[2] = { TIOCL_PASTESEL, 0 };
        int fd;

        if (!parse_fd(argv[1], &fd))
                return usage_error("bad fd '%s'", argv[1]);
        return say_rc(tty_ioctl(fd, TIOCLINUX, highbits, sub));
}

static int act_tioclinux(int argc, char **argv) {
        (void) argc;
        return tioclinux(argv, false);
}

static int act_tioclinux_highbits(int argc, char **argv) {
        (void) argc;
        return tioclinux(argv, true);
}

/* tiocsti-selfpty [highbits]: TIOCSTI on a pty the probe makes its own
 * controlling terminal, where the kernel itself allows it (legacy_tiocsti=1):
 * only a seccomp filter can refuse. */
static int act_tiocsti_selfpty(int argc, char **argv) {
        bool highbits = argc > 1 && !strcmp(argv[1], "highbits");
        char name[128];
        int m, p[2], res = 0;
        pid_t kid;

        m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (m < 0)
                return say_err(errno, "step=openpt");
        if (grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, name, sizeof name) != 0)
                return say_err(errno, "step=ptsname");
        if (pipe2(p, O_CLOEXEC) < 0)
                return say_err(errno, "step=pipe");
        kid = fork();
        if (kid < 0)
                return say_err(errno, "step=fork");
        if (kid == 0) {
                char c = '#';
                int s, r = 0;
                if (setsid() < 0)
                        r = -1000 - errno;
                else if ((s = open(name, O_RDWR)) < 0)
                        r = -2000 - errno;
                else {
                        ioctl(s, TIOCSCTTY, 0);
                        if (tty_ioctl(s, TIOCSTI, highbits, &c) < 0)
                                r = errno;
                }
                if (write(p[1], &r, sizeof r) != sizeof r)
                        _exit(1);
                _exit(0);
        }
        close(p[1]);
        if (read(p[0], &res, sizeof res) != sizeof res)
                res = -3000 - EPIPE;
        waitpid(kid, NULL, 0);
        close(m);
        if (res <= -3000)
                return say_err(-3000 - res, "step=child");
        if (res <= -2000)
                return say_err(-2000 - res, "step=open-slave");
        if (res <= -1000)
                return say_err(-1000 - res, "step=setsid");
        return res ? say_err(res, NULL) : say_ok("injected");
}

static int act_isatty(int argc, char **argv) {
        int fd;

        (void) argc;
        if (!parse_fd(argv[1], &fd))
                return usage_error("isatty: bad fd '%s'", argv[1]);
        return isatty(fd) ? say_ok(NULL) : say_err(errno, NULL);
}

/* ---- kernel-facing syscalls ---------------------------------------------- */

/* init-module: NULL image. Unsandboxed: EPERM without CAP_SYS_MODULE, ENOSYS
 * on a kernel without modules (ours); refused: EPERM. */
static int act_init_module(int argc, char **argv) {
        (void) argc;
        (void) argv;
        return say_rc(syscall(SYS_init_module, NULL, 0UL, ""));
}

/* finit-module: fd -1. Unsandboxed: EPERM/ENOSYS as above, EBADF as root. */
static int act_finit_module(int argc, char **argv) {
        (void) argc;
        (void) argv;
        return say_rc(syscall(SYS_finit_module, -1, "", 0));
}

/* bpf: BPF_PROG_LOAD with a NULL attr of size 1. Unsandboxed: EFAULT (the
 * attr is copied before any permission check). */
static int act_bpf(int argc, char **argv) {
        (void) argc;
        (void) argv;
        return say_rc(syscall(SYS_bpf, BPF_PROG_LOAD, NULL, 1UL));
}

/* perf-event-open: NULL attr. Unsandboxed: EFAULT (copied first). */
static int act_perf_event_open(int argc, char **argv) {
        (void) argc;
        (void) argv;
        return say_rc(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0UL));
}

/* kexec-load: one NULL segment. Unsandboxed: EPERM without CAP_SYS_BOOT,
 * ENOSYS without kexec, EFAULT as root. */
static int act_kexec_load(int argc, char **argv) {
        (void) argc;
        (void) argv;
        return say_rc(syscall(SYS_kexec_load, 0UL, 1UL, NULL, 0UL));
}

/* kexec-file-load: fds -1. Unsandboxed: EPERM/ENOSYS, EBADF as root. */
static int act_kexec_file_load(int argc, char **argv) {
        (void) argc;
        (void) argv;
        return say_rc(syscall(SYS_kexec_file_load, -1, -1, 0UL, "", 0UL));
}

/* keyctl: the session keyring's id. Unsandboxed: OK. */
static int act_keyctl(int argc, char **argv) {
        long id;

        (void) argc;
        (void) argv;
        id = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
        return id < 0 ? say_err(errno, NULL) : say_ok("id=%ld", id);
}

/* add-key: a user key with a NULL payload of size 1. Unsandboxed: EFAULT. */
static int act_add_key(int argc, char **argv) {
        (void) argc;
        (void) argv;
        return say_rc(syscall(SYS_add_key, "user", "bw-probe", NULL, 1UL, KEY_SPEC_PROCESS_KEYRING));
}

/* userfaultfd: user-mode-only, which an unprivileged process may open even
 * with vm.unprivileged_userfaultfd=0. Unsandboxed: OK. */
static int act_userfaultfd(int argc, char **argv) {
        long fd;

        (void) argc;
        (void) argv;
        fd = syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
        if (fd >= 0)
                close((int) fd);
        return say_rc(fd);
}

/* io-uring-setup: NULL params. Unsandboxed: EFAULT. io_uring's operations
 * do not pass through seccomp, so the whole interface is refused. */
static int act_io_uring_setup(int argc, char **argv) {
        long fd;

        (void) argc;
        (void) argv;
        fd = syscall(SYS_io_uring_setup, 1U, NULL);
        if (fd >= 0)
                close((int) fd);
        return say_rc(fd);
}

/* ---- System V IPC --------------------------------------------------------- */

static bool parse_key(const char *s, key_t *ret) {
        long v;

        if (!parse_long(s, &v) || v <= 0 || v > INT_MAX)
                return false;
        *ret = (key_t) v;
        return true;
}

/* shm-create KEY: a 4 KiB segment anyone may attach (run on the host) */
static int act_shm_create(int argc, char **argv) {
        key_t key;
        int id;

        (void) argc;
        if (!parse_key(argv[1], &key))
                return usage_error("shm-create: bad key '%s'", argv[1]);
        id = shmget(key, 4096, IPC_CREAT | 0666);
        return id < 0 ? say_err(errno, NULL) : say_ok("id=%d", id);
}

/* shm-remove KEY */
static int act_shm_remove(int argc, char **argv) {
        key_t key;
        int id;

        (void) argc;
        if (!parse_key(argv[1], &key))
                return usage_error("shm-remove: bad key '%s'", argv[1]);
        id = shmget(key, 0, 0);
        if (id < 0)
                return say_err(errno, NULL);
        return say_rc(shmctl(id, IPC_RMID, NULL));
}

/* shmget KEY: is a segment with KEY visible (the IPC namespace's job)? */
static int act_shmget(int argc, char **argv) {
        key_t key;
        int id;

        (void) argc;
        if (!parse_key(argv[1], &key))
                return usage_error("shmget: bad key '%s'", argv[1]);
        id = shmget(key, 0, 0);
        return id < 0 ? say_err(errno, NULL) : say_ok("id=%d", id);
}

/* ---- identity and environment -------------------------------------------- */

static int act_hostname(int argc, char **argv) {
        struct utsname u;

        (void) argc;
        (void) argv;
        if (uname(&u) < 0)
                return say_err(errno, NULL);
        return say_ok("%s", u.nodename);
}

static int act_getuid(int argc, char **argv) {
        gid_t groups[256];
        char list[2048] = "";
        size_t o = 0;
        int n;

        (void) argc;
        (void) argv;
        n = getgroups(256, groups);
        for (int i = 0; i < n && o + 16 < sizeof list; i++)
                o += (size_t) snprintf(list + o, sizeof list - o, "%s%u", i ? "," : "", (unsigned) groups[i]);
        return say_ok("uid=%u euid=%u gid=%u egid=%u groups=%s", (unsigned) getuid(), (unsigned) geteuid(),
                      (unsigned) getgid(), (unsigned) getegid(), list);
}

/* status_fields: "K1=V1 K2=V2" for the named /proc/self/status keys */
static int status_fields(const char *const *keys, size_t nkeys) {
        char buf[8192], out[1024] = "";
        size_t o = 0;
        ssize_t n = read_all("/proc/self/status", buf, sizeof buf - 1);

        if (n < 0)
                return say_err((int) -n, "step=status");
        buf[n] = '\0';
        for (size_t k = 0; k < nkeys; k++) {
                size_t kl = strlen(keys[k]);
                const char *v = "missing";
                size_t vl = 7;
                for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                        if (!strncmp(line, keys[k], kl) && line[kl] == ':') {
                                v = line + kl + 1;
                                v += strspn(v, " \t");
                                vl = strcspn(v, "\n");
                                break;
                        }
                }
                o += (size_t) snprintf(out + o, sizeof out - o, "%s%s=%.*s", k ? " " : "", keys[k], (int) vl, v);
        }
        return say_ok("%s", out);
}

static int act_caps(int argc, char **argv) {
        static const char *const keys[] = { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" };

        (void) argc;
        (void) argv;
        return status_fields(keys, 5);
}

static int act_nnp(int argc, char **argv) {
        static const char *const keys[] = { "NoNewPrivs", "Seccomp" };

        (void) argc;
        (void) argv;
        return status_fields(keys, 2);
}

/* pid: OK pid=P ppid=Q sid=S (as seen inside) */
static int act_pid(int argc, char **argv) {
        (void) argc;
        (void) argv;
        return say_ok("pid=%d ppid=%d sid=%d", (int) getpid(), (int) getppid(), (int) getsid(0));
}

/* setuid-exec PATH [ARGS...]: exec PATH; its own output is the answer */
static int act_setuid_exec(int argc, char **argv) {
        (void) argc;
        fflush(stdout);
        execv(argv[1], argv + 1);
        return say_err(errno, "step=exec");
}

static int act_getenv(int argc, char **argv) {
        const char *v = getenv(argv[1]);
        char esc[1100];

        (void) argc;
        if (!v)
                return say_err(ENOENT, NULL);
        escape(v, strlen(v), esc, sizeof esc);
        return say_ok("%s", esc);
}

/* env-grep HEX: the name of a variable whose NAME=VALUE holds the string */
static int act_env_grep(int argc, char **argv) {
        extern char **environ;
        char needle[256];
        size_t nlen;

        (void) argc;
        if (hex_decode(argv[1], needle, sizeof needle, &nlen) < 0 || nlen == 0)
                return usage_error("env-grep: '%s' is not a hex string", argv[1]);
        for (char **e = environ; *e; e++)
                if (strstr(*e, needle))
                        return say_ok("%.*s", (int) strcspn(*e, "="), *e);
        return say_err(ENOENT, NULL);
}

/* fd-probe FD: is FD open, and does it lead outside (fchdir, then "..")? */
static int act_fd_probe(int argc, char **argv) {
        struct stat st, up;
        int fd, pfd;

        (void) argc;
        if (!parse_fd(argv[1], &fd))
                return usage_error("fd-probe: bad fd '%s'", argv[1]);
        if (fstat(fd, &st) < 0)
                return say_err(errno, NULL);
        if (!S_ISDIR(st.st_mode))
                return say_ok("type=%s ino=%llu dev=%u:%u", type_name(st.st_mode), (unsigned long long) st.st_ino,
                              major(st.st_dev), minor(st.st_dev));
        if (fchdir(fd) < 0)
                return say_ok("type=dir ino=%llu fchdir=%s", (unsigned long long) st.st_ino, errname(errno));
        pfd = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (pfd < 0 || fstat(pfd, &up) < 0)
                return say_ok("type=dir ino=%llu fchdir=ok parent=%s", (unsigned long long) st.st_ino, errname(errno));
        close(pfd);
        return say_ok("type=dir ino=%llu dev=%u:%u fchdir=ok parent-ino=%llu", (unsigned long long) st.st_ino,
                      major(st.st_dev), minor(st.st_dev), (unsigned long long) up.st_ino);
}

/* fds: the open descriptors, OK fds=0,1,2 */
static int act_fds(int argc, char **argv) {
        char list[4096] = "";
        size_t o = 0;

        (void) argc;
        (void) argv;
        for (int fd = 0; fd < 1024 && o + 8 < sizeof list; fd++)
                if (fcntl(fd, F_GETFD) >= 0)
                        o += (size_t) snprintf(list + o, sizeof list - o, "%s%d", o ? "," : "", fd);
        return say_ok("fds=%s", list);
}

/* ---- the table ------------------------------------------------------------ */

struct action {
        const char *name;
        int min_args, max_args; /* after the action name; -1: any */
        int (*fn)(int argc, char **argv);
        const char *args;
};

static const struct action actions[] = {
        { "read", 1, 1, act_read, "FILE" },
        { "readline", 1, 1, act_readline, "FILE" },
        { "write", 1, 1, act_write, "FILE" },
        { "mkdir", 1, 1, act_mkdir, "DIR" },
        { "unlink", 1, 1, act_unlink, "PATH" },
        { "symlink", 2, 2, act_symlink, "TARGET LINK" },
        { "link", 2, 2, act_link, "OLD NEW" },
        { "mkfifo", 1, 1, act_mkfifo, "PATH" },
        { "stat", 1, 1, act_stat, "PATH" },
        { "ls", 1, 1, act_ls, "DIR" },
        { "create-mode", 2, 2, act_create_mode, "FILE MODE" },
        { "chmod-setuid", 1, 1, act_chmod_setuid, "FILE" },
        { "chmod-setgid", 1, 1, act_chmod_setgid, "FILE" },
        { "fchmod-setuid", 1, 1, act_fchmod_setuid, "FILE" },
        { "fchmodat-setuid", 1, 1, act_fchmodat_setuid, "FILE" },
        { "fchmodat2-setuid", 1, 1, act_fchmodat2_setuid, "FILE" },
        { "setxattr", 1, 1, act_setxattr, "FILE" },
        { "setxattr-security", 1, 1, act_setxattr_security, "FILE" },
        { "fsetxattr", 1, 1, act_fsetxattr, "FILE" },
        { "lsetxattr", 1, 1, act_lsetxattr, "FILE" },
        { "setxattrat", 1, 1, act_setxattrat, "FILE" },
        { "tcp-connect", 2, 2, act_tcp_connect, "HOST PORT" },
        { "unix-connect", 1, 1, act_unix_connect, "PATH" },
        { "abstract-connect", 1, 1, act_abstract_connect, "NAME" },
        { "abstract-listen", 2, 2, act_abstract_listen, "NAME SECONDS" },
        { "kill", 2, 2, act_kill, "PID SIG" },
        { "ptrace-attach", 1, 1, act_ptrace_attach, "PID" },
        { "find-cmdline", 1, 1, act_find_cmdline, "HEX" },
        { "proc-grep", 1, 1, act_proc_grep, "HEX" },
        { "fork-bomb", 1, 2, act_fork_bomb, "N [TAG]" },
        { "balloon", 1, 1, act_balloon, "MB" },
        { "fill-tmp", 2, 2, act_fill_tmp, "DIR MB" },
        { "daemonize", 1, 2, act_daemonize, "SECONDS [TAG]" },
        { "sleep", 1, 2, act_sleep, "SECONDS [TAG]" },
        { "mount-tmpfs", 1, 1, act_mount_tmpfs, "DIR" },
        { "mount-cgroup", 1, 1, act_mount_cgroup, "DIR" },
        { "umount", 1, 1, act_umount, "DIR" },
        { "fsopen", 0, 0, act_fsopen, "" },
        { "open-tree", 1, 1, act_open_tree, "DIR" },
        { "chroot-breakout", 0, 0, act_chroot_breakout, "" },
        { "unshare-user", 0, 0, act_unshare_user, "" },
        { "unshare-ns", 0, 0, act_unshare_ns, "" },
        { "clone3-newuser", 0, 0, act_clone3_newuser, "" },
        { "setns", 0, 0, act_setns, "" },
        { "mknod-block", 1, 1, act_mknod_block, "PATH" },
        { "mknod-char", 1, 1, act_mknod_char, "PATH" },
        { "tiocsti", 1, 1, act_tiocsti, "FD" },
        { "tiocsti-highbits", 1, 1, act_tiocsti_highbits, "FD" },
        { "tioclinux", 1, 1, act_tioclinux, "FD" },
        { "tioclinux-highbits", 1, 1, act_tioclinux_highbits, "FD" },
        { "tiocsti-selfpty", 0, 1, act_tiocsti_selfpty, "[highbits]" },
        { "isatty", 1, 1, act_isatty, "FD" },
        { "init-module", 0, 0, act_init_module, "" },
        { "finit-module", 0, 0, act_finit_module, "" },
        { "bpf", 0, 0, act_bpf, "" },
        { "perf-event-open", 0, 0, act_perf_event_open, "" },
        { "kexec-load", 0, 0, act_kexec_load, "" },
        { "kexec-file-load", 0, 0, act_kexec_file_load, "" },
        { "keyctl", 0, 0, act_keyctl, "" },
        { "add-key", 0, 0, act_add_key, "" },
        { "userfaultfd", 0, 0, act_userfaultfd, "" },
        { "io-uring-setup", 0, 0, act_io_uring_setup, "" },
        { "shm-create", 1, 1, act_shm_create, "KEY" },
        { "shm-remove", 1, 1, act_shm_remove, "KEY" },
        { "shmget", 1, 1, act_shmget, "KEY" },
        { "hostname", 0, 0, act_hostname, "" },
        { "getuid", 0, 0, act_getuid, "" },
        { "caps", 0, 0, act_caps, "" },
        { "nnp", 0, 0, act_nnp, "" },
        { "pid", 0, 0, act_pid, "" },
        { "setuid-exec", 1, -1, act_setuid_exec, "PATH [ARGS...]" },
        { "getenv", 1, 1, act_getenv, "NAME" },
        { "env-grep", 1, 1, act_env_grep, "HEX" },
        { "fd-probe", 1, 1, act_fd_probe, "FD" },
        { "fds", 0, 0, act_fds, "" },
};

static int usage(void) {
        fputs("usage: bw-probe ACTION [ARGS...]\nactions:\n", stderr);
        for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
                fprintf(stderr, "  %s %s\n", actions[i].name, actions[i].args);
        return 2;
}

int main(int argc, char **argv) {
        if (argc < 2)
                return usage();
        for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++) {
                const struct action *a = &actions[i];
                int nargs = argc - 2;
                if (strcmp(argv[1], a->name))
                        continue;
                if (nargs < a->min_args || (a->max_args >= 0 && nargs > a->max_args))
                        return usage_error("%s: usage: bw-probe %s %s", a->name, a->name, a->args);
                return a->fn(argc - 1, argv + 1);
        }
        fprintf(stderr, "bw-probe: unknown action '%s'\n", argv[1]);
        return usage();
}
