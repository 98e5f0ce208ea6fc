/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The rules of an exec: what a new program is and what it was asked to do. */
#include "basic/json-util.h"
#include "basic/util.h"
#include "detect/rules.h"

static bool fixture_path(const char *a) {
        if (!(has_part(a, "/tests/files/") || has_part(a, "/test/files/") || has_part(a, "/testdata/") ||
              has_part(a, "/tests/data/") || has_part(a, "/fixtures/") || has_part(a, "/test/data/")))
                return false;
        const char *dot = strrchr(path_basename(a), '.');
        return dot && ANY_OF(dot + 1, "xz", "lzma", "gz", "bz2", "zst", "bin", "dat", "raw", "lz");
}

/* What the program does: shells on sockets, miners, code from memory, dropped executables. */
static void rules_exec_payload(struct engine *e, const struct event *ev, struct proc *p, const char *exe,
                               const char *base) {

        /* reverse shells */
        if (p->tool & (TOOL_SHELL | TOOL_INTERP))
                for (int i = 0; i < 2; i++)
                        if (ev->stdio[i].kind == FD_INET || ev->stdio[i].kind == FD_INET6) {
                                json_object *o = ev_obj("peer", ev->stdio[i].peer, "fd", i == 0 ? "stdin" : "stdout");
                                emit_finding(e, "reverse-shell.stdio-socket", ev, p, NULL, NULL, o,
                                             "'%s' started with its %s on a network socket (peer %s): a shell "
                                             "driven from the network",
                                             exe, i == 0 ? "stdin" : "stdout",
                                             ev->stdio[i].peer[0] ? ev->stdio[i].peer : "unknown");
                                break;
                        }
        if (argv_contains(ev->argv, "/dev/tcp/") || argv_contains(ev->argv, "/dev/udp/"))
                emit_finding(e, "reverse-shell.dev-tcp", ev, p, NULL, NULL, NULL,
                             "'%s' was run with a /dev/tcp or /dev/udp redirection, the shell idiom for a "
                             "connection back to an attacker",
                             exe);
        if ((p->tool & TOOL_DOWNLOADER) && (argv_has(ev->argv, "-e") || argv_has(ev->argv, "-c") ||
                                            argv_contains(ev->argv, "--exec") || argv_contains(ev->argv, "--sh-exec") ||
                                            argv_contains(ev->argv, "exec:") || argv_contains(ev->argv, "system:")))
                emit_finding(e, "reverse-shell.netcat-exec", ev, p, NULL, NULL, NULL,
                             "'%s' was asked to hand a network connection to a program", base);

        /* miners */
        if ((p->tool & TOOL_MINER) || argv_contains(ev->argv, "stratum+tcp://") ||
            argv_contains(ev->argv, "stratum+ssl://") || argv_contains(ev->argv, "stratum2+") ||
            argv_contains(ev->argv, "--donate-level") || argv_contains(ev->argv, "--randomx") ||
            argv_has(ev->argv, "rx/0") || argv_contains(ev->argv, "cryptonight"))
                emit_finding(e, "crypto-miner.known-miner", ev, p, NULL, NULL, NULL,
                             "'%s' looks like a cryptocurrency miner (its name or its pool/algorithm arguments)", exe);

        /* fileless execution */
        if (ev->exe_name && has_prefix(ev->exe_name, "memfd:"))
                emit_finding(e, "fileless-exec.memfd", ev, p, NULL, NULL,
                             ev_obj("memfd", ev->exe_name, "filename", ev->filename),
                             "a program was executed from memory (%s), leaving no file on disk", ev->exe_name);
        else if (ev->exe_nlink == 0 && ev->exe_ino != 0)
                emit_finding(e, "fileless-exec.deleted-file", ev, p, NULL, exe, NULL,
                             "'%s' was executed after its file had been deleted", exe);
        else if (has_prefix(ev->filename, "/dev/fd/") || has_prefix(ev->filename, "/proc/self/fd/"))
                emit_finding(e, "fileless-exec.fd-exec", ev, p, NULL, NULL,
                             ev_obj("filename", ev->filename, NULL, NULL),
                             "a program was executed through a file descriptor (%s), hiding where it came from",
                             ev->filename);
        if (has_prefix(exe, "/dev/shm/"))
                emit_finding(e, "fileless-exec.dev-shm", ev, p, NULL, exe, NULL,
                             "'%s' was executed from /dev/shm, shared memory that never touches a disk", exe);

        /* dropped executables */
        if (p->exe_written && (p->exe_writer_tool & TOOL_DOWNLOADER)) {
                const struct writer *w = writer_get(&e->pt, exe);
                emit_finding(e, "exec-from-writable.downloaded", ev, p, NULL, exe,
                             ev_obj("written_by", w ? w->exe : NULL, NULL, NULL),
                             "'%s' was downloaded by '%s' and then executed", exe, w && w->exe ? w->exe : "?");
        } else if (exe[0] == '/' && path_in_writable(exe) && !path_in_source(e, exe) &&
                   !(p->exe_written && (p->exe_writer_tool & TOOL_COMPILER))) {
                const struct writer *w = writer_get(&e->pt, exe);
                json_object *o = ev_obj("written_by", w ? w->exe : NULL, NULL, NULL);
                if (ev->interp)
                        emit_finding(e, "exec-from-writable.dropped-script", ev, p, NULL, exe, o,
                                     "the script '%s' in a writable directory was executed; it was %s", exe,
                                     w ? "written by the build, not by a compiler" : "not written by the build");
                else
                        emit_finding(e, "exec-from-writable.dropped-binary", ev, p, NULL, exe, o,
                                     "the program '%s' in a writable directory was executed; no compiler of the build "
                                     "produced it (%s)",
                                     exe, w && w->exe ? w->exe : "its writer is unknown");
        }
}

/* xz-style: a test fixture decoded and fed to a shell, by children of PARENT within 5 s of each other. */
static void rules_exec_fixture(struct engine *e, const struct event *ev, struct proc *p, struct proc *parent) {
        bool fixture = false;
        for (char **a = ev->argv; a && *a && !fixture; a++)
                if ((p->tool & (TOOL_DECODER | TOOL_COPIER)) && fixture_path(*a)) {
                        fixture = true;
                        free(parent->fixture_path);
                        parent->fixture_path = xstrdup(*a);
                        parent->fixture_decode_usec = ev->time_usec;
                }
        bool stdin_shell =
                (p->tool & TOOL_SHELL) && ev->stdio[0].kind == FD_PIPE &&
                (strv_length(ev->argv) == 1 || (strv_length(ev->argv) == 2 && ANY_OF(ev->argv[1], "-s", "-")));
        if (stdin_shell)
                parent->stdin_shell_usec = ev->time_usec;
        if ((fixture || stdin_shell) && parent->fixture_decode_usec && parent->stdin_shell_usec &&
            (parent->fixture_decode_usec > parent->stdin_shell_usec
                     ? parent->fixture_decode_usec - parent->stdin_shell_usec
                     : parent->stdin_shell_usec - parent->fixture_decode_usec) < 5 * 1000000ULL)
                emit_finding(e, "source-tamper.fixture-to-shell", ev, parent, parent->fixture_path,
                             parent->fixture_path, NULL,
                             "a test fixture ('%s') was decoded and piped into a shell: build scripts "
                             "turning test data into code",
                             parent->fixture_path);
}

/* What the program is: the sealed toolchain's or not, a borrowed name, a restarted one, a fixture turned code. */
static void rules_exec_identity(struct engine *e, const struct event *ev, struct proc *p, const char *exe,
                                const char *base) {
        const char *arg0 = ev->argv && ev->argv[0] ? path_basename(ev->argv[0]) : base;
        struct proc *parent = proc_get(&e->pt, p->ppid);

        /* run --toolchain: what ran is checked against the sealed manifest */
        if (ev->toolchain && streq(ev->toolchain, "mismatch"))
                emit_finding(e, "toolchain-tamper.sealed-mismatch", ev, p, NULL, exe,
                             ev_obj("toolchain", ev->toolchain, NULL, NULL),
                             "'%s' ran, but its file no longer matches the sealed toolchain manifest", exe);
        else if (ev->toolchain && streq(ev->toolchain, "not-in-manifest") &&
                 !(p->exe_written && (p->exe_writer_tool & TOOL_COMPILER)))
                emit_finding(e, "toolchain-tamper.unsealed-exec", ev, p, NULL, exe,
                             ev_obj("toolchain", ev->toolchain, NULL, NULL),
                             "'%s' ran, but it is neither in the sealed toolchain manifest nor built by this build",
                             ev->interp ? ev->interp : exe);

        /* a compiler or linker that is not the toolchain's */
        char tn[32];
        snprintf(tn, sizeof(tn), "%s", base);
        if (ANY_OF(tn, "cc", "gcc", "g++", "c++", "cpp", "clang", "clang++", "ld", "as", "cc1", "cc1plus", "collect2",
                   "make") &&
            exe[0] == '/' && !path_in_system(exe) && !(p->exe_written && (p->exe_writer_tool & TOOL_COMPILER)))
                emit_finding(e, "toolchain-tamper.fake-compiler", ev, p, NULL, exe, NULL,
                             "'%s' ran under the name of a toolchain program but is not the toolchain's (a fake "
                             "compiler placed earlier in PATH)",
                             exe);

        if (p->tool & TOOL_SETUID)
                emit_finding(e, "privilege-escalation.setuid-binary", ev, p, NULL, NULL, NULL,
                             "'%s' was run: a build has no business changing user", exe);
        if (p->tool & TOOL_SCHEDULER)
                emit_finding(e, "persistence.scheduler-tool", ev, p, NULL, NULL, NULL,
                             "'%s' was run: it schedules or installs programs that outlive the build", base);
        if ((p->tool & TOOL_DOWNLOADER) && (argv_contains(ev->argv, "http://") || argv_contains(ev->argv, "https://") ||
                                            argv_contains(ev->argv, "ftp://")))
                emit_finding(e, "network-egress.download-tool", ev, p, NULL, NULL, NULL,
                             "'%s' was run with a URL: the build tried to download something", base);

        /* a program hidden by its name (".x"), as droppers name their payloads */
        if (base[0] == '.' && exe[0] == '/' && !path_in_source(e, exe) && !path_in_system(exe))
                emit_finding(e, "anti-forensics.hidden-executable", ev, p, NULL, exe, NULL,
                             "the hidden file '%s' was executed", exe);

        /* names borrowed from daemons */
        if (exe[0] == '/' && !path_in_system(exe) && (daemon_name(base) || daemon_name(arg0)))
                emit_finding(e, "anti-forensics.masquerade", ev, p, NULL, exe,
                             ev_obj("argv0", ev->argv ? ev->argv[0] : NULL, NULL, NULL),
                             "'%s' runs under the name of a system daemon ('%s') from outside the system "
                             "directories",
                             exe, daemon_name(base) ? base : arg0);

        /* watchdog: a parent starts again what was just killed */
        if (parent && parent->killed_child_exe && streq(parent->killed_child_exe, exe) &&
            ev->time_usec - parent->killed_child_usec < 30 * 1000000ULL)
                emit_finding(e, "watchdog-respawn.respawn", ev, parent, exe, exe,
                             ev_obj("respawned", exe, "watchdog", parent->exe),
                             "'%s' restarted '%s' right after it was killed: a watchdog keeping it alive",
                             exe_of(parent), exe);
        if (parent)
                rules_exec_fixture(e, ev, p, parent);
}

void rules_exec(struct engine *e, const struct event *ev, struct proc *p) {
        const char *exe = p->exe ? p->exe : ev->filename;
        const char *base = path_basename(exe);
        rules_exec_payload(e, ev, p, exe, base);
        rules_exec_identity(e, ev, p, exe, base);
}
