/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The detection rules. Every event goes through every rule of its kind; a rule
 * that fires calls emit_finding() with an id from catalog.c. Rules that would
 * be noisy in ordinary builds are scoped: the build's own outputs (files its
 * compilers wrote), its source tree and the read-only toolchain stay quiet.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "basic/json-util.h"
#include "basic/util.h"
#include "detect/internal.h"

#define S_MASK_DEV(m) (((m) &S_IFMT) == S_IFCHR || ((m) &S_IFMT) == S_IFBLK)

static bool any_of(const char *s, const char *const *list, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (streq(s, list[i]))
                        return true;
        return false;
}
#define ANY_OF(s, ...)                                                                                                 \
        any_of(s, (const char *const[]){ __VA_ARGS__ }, ELEMENTSOF(((const char *const[]){ __VA_ARGS__ })))

static bool has_prefix(const char *s, const char *p) {
        return startswith(s, p) != NULL;
}

static bool ends_with(const char *s, const char *suffix) {
        size_t a = strlen(s), b = strlen(suffix);
        return a >= b && streq(s + a - b, suffix);
}

/* PATH contains the component sequence NEEDLE ("/.ssh/"), also at the start of a relative path. */
static bool has_part(const char *path, const char *needle) {
        if (strstr(path, needle))
                return true;
        return path[0] != '/' && needle[0] == '/' && has_prefix(path, needle + 1);
}

static bool argv_contains(char *const *argv, const char *needle) {
        for (; argv && *argv; argv++)
                if (strstr(*argv, needle))
                        return true;
        return false;
}

static bool argv_has(char *const *argv, const char *arg) {
        for (; argv && *argv; argv++)
                if (streq(*argv, arg))
                        return true;
        return false;
}

static json_object *ev_obj(const char *k1, const char *v1, const char *k2, const char *v2) {
        json_object *o = json_object_new_object();
        if (k1)
                json_object_object_add(o, k1, json_new_string(v1));
        if (k2)
                json_object_object_add(o, k2, json_new_string(v2));
        return o;
}

static const char *exe_of(const struct proc *p) {
        return p && p->exe ? p->exe : "?";
}

/* ---- what paths are ---------------------------------------------------------------- */

/* Credentials and keys: what is it, or NULL. *HIGH is false for registry tokens tools read by habit. */
static const char *credential_kind(const char *path, bool *high) {
        const char *b = path_basename(path);
        *high = true;
        if (has_part(path, "/.ssh/") && has_prefix(b, "id_") && !ends_with(b, ".pub"))
                return "an SSH private key";
        if (has_part(path, "/.aws/credentials") || has_part(path, "/.aws/config"))
                return "AWS credentials";
        if (has_part(path, "/.config/gcloud/"))
                return "Google Cloud credentials";
        if (has_part(path, "/.azure/"))
                return "Azure credentials";
        if (has_part(path, "/.kube/config"))
                return "a Kubernetes config";
        if (has_part(path, "/.docker/config.json"))
                return "Docker registry credentials";
        if (streq(b, ".git-credentials") || has_part(path, "/.config/git/credentials"))
                return "git credentials";
        if (streq(b, ".netrc") || streq(b, ".vault-token") || has_part(path, "/.config/gh/hosts.yml") ||
            has_part(path, "/.cargo/credentials"))
                return "stored tokens";
        if (has_part(path, "/.gnupg/") || has_part(path, "/.password-store/"))
                return "a GnuPG keyring (signing keys)";
        if (streq(path, "/etc/shadow") || streq(path, "/etc/gshadow") || streq(path, "/etc/security/opasswd"))
                return "password hashes";
        if (has_prefix(path, "/etc/ssh/ssh_host_") && !ends_with(b, ".pub"))
                return "an SSH host key";
        if (has_prefix(path, "/etc/ssl/private/"))
                return "a TLS private key";
        if (has_prefix(path, "/run/secrets/") || has_prefix(path, "/var/run/secrets/"))
                return "mounted container secrets";
        if (has_prefix(path, "/root/") || streq(path, "/root"))
                return "root's home directory";
        *high = false;
        if (streq(b, ".npmrc") || streq(b, ".pypirc") || streq(b, ".gem/credentials"))
                return "package registry tokens";
        return NULL;
}

/* Where a write would make something run later: the rule id and what it is, or NULL. */
static const char *persistence_kind(const struct engine *e, const char *path, const char **what) {
        const char *b = path_basename(path);
        if (streq(path, "/etc/ld.so.preload"))
                return *what = "the dynamic loader's preload list", "persistence.ld-preload";
        if (has_part(path, "/.ssh/authorized_keys"))
                return *what = "SSH authorized_keys", "persistence.authorized-keys";
        if (streq(path, "/etc/sudoers") || has_prefix(path, "/etc/sudoers.d/"))
                return *what = "sudoers", "persistence.sudoers";
        if (has_prefix(path, "/etc/cron") || has_prefix(path, "/var/spool/cron") || streq(path, "/etc/anacrontab") ||
            has_prefix(path, "/var/spool/anacron") || has_prefix(path, "/var/spool/at") || has_prefix(path, "/etc/at."))
                return *what = "a cron or at schedule", "persistence.scheduler";
        if (has_prefix(path, "/etc/systemd/") || has_prefix(path, "/lib/systemd/") ||
            has_prefix(path, "/usr/lib/systemd/") || has_part(path, "/.config/systemd/") ||
            has_prefix(path, "/etc/init.d/") || streq(path, "/etc/rc.local") || has_prefix(path, "/etc/rc") ||
            has_prefix(path, "/etc/init/") || has_prefix(path, "/etc/xdg/autostart/") ||
            has_part(path, "/.config/autostart/") || has_prefix(path, "/etc/update-motd.d/"))
                return *what = "a service or autostart definition", "persistence.service";
        if (ANY_OF(b, ".bashrc", ".bash_profile", ".bash_login", ".profile", ".zshrc", ".zprofile", ".zshenv",
                   ".bash_logout", ".cshrc", ".tcshrc") ||
            streq(path, "/etc/profile") || has_prefix(path, "/etc/profile.d/") || streq(path, "/etc/bash.bashrc") ||
            streq(path, "/etc/environment") || has_prefix(path, "/etc/zsh/"))
                return *what = "a shell start-up file", "persistence.shell-rc";
        if (has_prefix(path, "/etc/ld.so.conf"))
                return *what = "the dynamic loader's search path", "persistence.loader-config";
        if (has_prefix(path, "/etc/udev/rules.d/") || has_prefix(path, "/lib/udev/rules.d/"))
                return *what = "a udev rule", "persistence.udev";
        if (has_prefix(path, "/etc/pam.d/") || has_prefix(path, "/lib/security/") ||
            has_prefix(path, "/usr/lib/x86_64-linux-gnu/security/"))
                return *what = "PAM configuration or modules", "persistence.pam";
        if (has_part(path, "/.git/hooks/") && !path_in_source(e, path))
                return *what = "git hooks of a repository outside the source tree", "persistence.git-hook";
        if (streq(b, ".gitconfig") || has_part(path, "/.config/git/config"))
                return *what = "the user's git configuration (core.hooksPath, aliases)", "persistence.git-config";
        return NULL;
}

static bool is_history(const char *path) {
        return ANY_OF(path_basename(path), ".bash_history", ".zsh_history", ".sh_history", ".history",
                      ".python_history", ".mysql_history", ".psql_history", ".lesshst", ".viminfo",
                      ".node_repl_history");
}

static bool is_log(const char *path) {
        return has_prefix(path, "/var/log/") || ANY_OF(path, "/var/run/utmp", "/run/utmp");
}

static bool is_source_ext(const char *path) {
        const char *dot = strrchr(path_basename(path), '.');
        return dot && ANY_OF(dot + 1, "c", "h", "cc", "cpp", "cxx", "hpp", "hh", "cs", "go", "rs", "java", "kt", "py",
                             "js", "ts", "swift", "m", "s", "S", "f90", "pl", "rb", "in", "am", "ac", "m4");
}

/* Names of daemons and kernel threads that malware borrows to look harmless. */
static bool daemon_name(const char *name) {
        return ANY_OF(name, "mysqld", "mysql", "postgres", "postmaster", "sshd", "systemd", "systemd-journald",
                      "dockerd", "containerd", "crond", "cron", "atd", "nginx", "httpd", "apache2", "redis-server",
                      "rsyslogd", "syslogd", "dbus-daemon", "kthreadd", "kswapd0", "ksoftirqd", "kworker", "init",
                      "udevd", "php-fpm", "java", "networkd", "snapd") ||
               has_prefix(name, "kworker/") || has_prefix(name, "[kworker") || has_prefix(name, "ksoftirqd/") ||
               has_prefix(name, "migration/") || has_prefix(name, "[k") || has_prefix(name, "rcu_");
}

/* The executable of P is not part of the toolchain and not something the build compiled. */
static bool exe_foreign(const struct engine *e, const struct proc *p) {
        if (!p->exe || p->exe[0] != '/')
                return false;
        if (p->exe_deleted || (p->exe_written && (p->exe_writer_tool & TOOL_DOWNLOADER)))
                return true;
        if (path_in_system(p->exe) || path_in_source(e, p->exe))
                return false;
        return !(p->exe_written && (p->exe_writer_tool & TOOL_COMPILER));
}

/* ---- exec -------------------------------------------------------------------------- */

static bool fixture_path(const char *a) {
        if (!(has_part(a, "/tests/files/") || has_part(a, "/test/files/") || has_part(a, "/testdata/") ||
              has_part(a, "/tests/data/") || has_part(a, "/fixtures/") || has_part(a, "/test/data/")))
                return false;
        const char *dot = strrchr(path_basename(a), '.');
        return dot && ANY_OF(dot + 1, "xz", "lzma", "gz", "bz2", "zst", "bin", "dat", "raw", "lz");
}

static void rules_exec(struct engine *e, const struct event *ev, struct proc *p) {
        const char *exe = p->exe ? p->exe : ev->filename;
        const char *base = path_basename(exe);
        const char *arg0 = ev->argv && ev->argv[0] ? path_basename(ev->argv[0]) : base;
        struct proc *parent = proc_get(&e->pt, p->ppid);

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

        /* xz-style: a test fixture decoded and fed to a shell */
        if (parent) {
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
}

/* ---- files --------------------------------------------------------------------------- */

static bool write_intent(uint64_t flags) {
        return flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND);
}

static bool proc_numeric_file(const char *path, const char *file) {
        const char *r = startswith(path, "/proc/");
        if (!r || !(*r >= '0' && *r <= '9'))
                return false;
        r += strspn(r, "0123456789");
        return *r == '/' && streq(r + 1, file);
}

/* What a call does to a protected path, for the path policy (rules_protect()). */
#define PROTECT_READ  (1u << 0) /* reads it, or gives its content a name no rule covers */
#define PROTECT_WRITE (1u << 1)
#define PROTECT_NAME  (1u << 2) /* changes the name itself: a directory above the protected path counts */

/* How a policy finding names PATH: what R protects, or a directory above it ("'PATH', %s the policy protects"). */
static const char *protect_whose(const struct protect_rule *r, const char *path) {
        return protect_covers(r, path) ? "which" : "a directory above what";
}

/*
 * Path policies (policy.h, protect): an access to a protected path by a
 * process whose executable is not one the rule allows. Identity is the sealed
 * digest the monitor verified at exec (inherited across fork), never a name.
 * ACCESS is PROTECT_*; where a call both reads and writes, a refused read is
 * the one reported, as the BPF-LSM program (lsm.bpf.c) reports it.
 */
static void rules_protect(struct engine *e, const struct event *ev, struct proc *p, const char *path, unsigned access,
                          const char *verb) {
        if (!e->policy || !p || path[0] != '/')
                return;
        for (size_t i = 0; i < e->policy->n_protect; i++) {
                const struct protect_rule *r = &e->policy->protect[i];
                /*
                 * An entry for DIR/ and a globstar covers DIR itself too. Moving or removing DIR moves
                 * the protected paths (PROTECT_NAME counts every directory above them); making DIR
                 * (mkdir -p of what a sealed tool will fill), or a file where it would be, touches none
                 * of them, as the kernel's create hooks and file_open decide it (lsm.bpf.c). Opening
                 * DIR to read its names is still a finding, detected only.
                 */
                bool above = protect_contains(r, path);
                bool covers = protect_covers(r, path) && !(above && access == PROTECT_WRITE);
                if (!covers && !((access & PROTECT_NAME) && above))
                        continue;
                bool read = (access & PROTECT_READ) && !protect_allows(r, false, p->sealed_digest, p->sealed_path);
                bool write = (access & PROTECT_WRITE) && !protect_allows(r, true, p->sealed_digest, p->sealed_path);
                if (!read && !write)
                        continue;
                json_object *o = ev_obj("protected_by", r->path, "reason", r->reason);
                json_object_object_add(o, "policy_line", json_object_new_int((int) r->line));
                json_object_object_add(o, "sealed_digest", json_new_string(p->sealed_digest));
                emit_finding(e, read ? "secret-access.protected-read" : "toolchain-tamper.protected-write", ev, p, path,
                             path, o,
                             "'%s' tried to %s '%s', %s the policy protects (%s), and it is not an executable "
                             "allowed to %s it%s",
                             exe_of(p), verb, path, protect_whose(r, path), r->reason, read ? "read" : "write",
                             p->sealed_digest ? "" : " (its file is not a verified sealed one)");
                return;
        }
}

/* What a call the BPF-LSM program refused tried to do to the path it refused (monitor-event.h, BW_EVF_LSM). */
static const char *refused_verb(const struct event *ev) {
        bool second = ev->arg[2] != 0;
        switch (ev->sc) {
        case SC_unlink:
        case SC_unlinkat:
        case SC_rmdir:
                return "delete";
        case SC_truncate:
                return "truncate";
        case SC_rename:
        case SC_renameat:
        case SC_renameat2:
                return second ? "replace" : "move away";
        case SC_link:
        case SC_linkat:
        case SC_symlink:
        case SC_symlinkat:
                return second ? "link over" : "link elsewhere";
        case SC_mkdir:
        case SC_mkdirat:
        case SC_mknod:
        case SC_mknodat:
                return "create";
        default:
                return ev->arg[1] ? "write" : "read";
        }
}

/*
 * A call the BPF-LSM program refused (lsm.bpf.c): the kernel decided, for the
 * protect entry it names, with the identity it saw; PATH is the path it
 * refused. A write, rename, unlink, link, truncate or new name was also
 * recorded at the call's entry and may have its finding already (an
 * open(O_CREAT) refused at its mknod hook has its open's): that one is marked refused
 * rather than a second one added. A read is seen only here (the open failed).
 */
static void rules_refused(struct engine *e, const struct event *ev, struct proc *p, const char *path) {
        if (!e->policy || ev->arg[0] < 0 || (size_t) ev->arg[0] >= e->policy->n_protect)
                return;
        const struct protect_rule *r = &e->policy->protect[ev->arg[0]];
        bool write = ev->arg[1] != 0;
        const char *rule = write ? "toolchain-tamper.protected-write" : "secret-access.protected-read";
        for (size_t i = e->findings.n; i-- > 0;) {
                struct finding *f = &e->findings.v[i];
                json_object *fp = NULL;
                if (streq(f->rule, rule) && f->pid == (p ? p->pid : 0) &&
                    json_object_object_get_ex(f->evidence, "path", &fp) && streq(json_object_get_string(fp), path)) {
                        json_object_object_add(f->evidence, "refused_in_kernel", json_object_new_boolean(true));
                        return;
                }
        }
        json_object *o = ev_obj("protected_by", r->path, "reason", r->reason);
        json_object_object_add(o, "policy_line", json_object_new_int((int) r->line));
        json_object_object_add(o, "sealed_digest", json_new_string(p ? p->sealed_digest : NULL));
        json_object_object_add(o, "refused_in_kernel", json_object_new_boolean(true));
        emit_finding(e, rule, ev, p, path, path, o,
                     "'%s' tried to %s '%s', %s the policy protects (%s); the kernel refused it (BPF-LSM): it is "
                     "not an executable allowed to %s it",
                     exe_of(p), refused_verb(ev), path, protect_whose(r, path), r->reason, write ? "write" : "read");
}

/* A write (create, modify, replace, delete) of PATH by P. VERB says which, for the detail. */
static void rules_write(struct engine *e, const struct event *ev, struct proc *p, const char *path, const char *verb,
                        bool truncating) {
        const char *what, *id = persistence_kind(e, path, &what);
        if (id)
                emit_finding(e, id, ev, p, path, path, NULL, "'%s' tried to %s %s ('%s'), which would run code later",
                             exe_of(p), verb, what, path);
        if (path[0] == '/' && (path_in_system(path) || has_prefix(path, "/etc/alternatives/")))
                emit_finding(e, "toolchain-tamper.write", ev, p, path, path, NULL,
                             "'%s' tried to %s '%s' in the read-only toolchain", exe_of(p), verb, path);
        if (has_prefix(path, "/proc/sys/") || streq(path, "/proc/sysrq-trigger") || has_prefix(path, "/sys/"))
                emit_finding(e, "sandbox-escape.kernel-tunable", ev, p, path, path, NULL,
                             "'%s' tried to %s the kernel setting '%s'", exe_of(p), verb, path);
        if (proc_numeric_file(path, "mem") || streq(path, "/proc/self/mem"))
                emit_finding(e, "sandbox-escape.process-injection", ev, p, path, path, NULL,
                             "'%s' opened '%s' for writing: code injection into another process", exe_of(p), path);
        if (is_history(path) && (truncating || !streq(verb, "write")))
                emit_finding(e, "anti-forensics.history", ev, p, path, path, NULL,
                             "'%s' tried to %s the shell history '%s'", exe_of(p), verb, path);
        if (is_log(path) && (truncating || !streq(verb, "write")))
                emit_finding(e, "anti-forensics.log-tamper", ev, p, path, path, NULL, "'%s' tried to %s the log '%s'",
                             exe_of(p), verb, path);
        /* a running program's file removed or replaced: a miner hiding its binary */
        if (!streq(verb, "write") && path[0] == '/')
                for (size_t i = 0; i < e->pt.n_all; i++) {
                        struct proc *q = e->pt.all[i];
                        if (!q->exited && q->exec_seen && q->exe && streq(q->exe, path) &&
                            proc_get(&e->pt, q->pid) == q && !(q->tool & TOOL_SHELL)) {
                                emit_finding(e, "anti-forensics.self-delete", ev, p, path, path,
                                             ev_obj("running_as", q->exe, NULL, NULL),
                                             "'%s' tried to %s '%s' while it was running (pid %d): a program "
                                             "erasing its own file",
                                             exe_of(p), verb, path, (int) q->pid);
                                q->exe_deleted = q->exe_deleted || streq(verb, "delete");
                                break;
                        }
                }
        /* moving a file away gives its content a name no rule covers: reading it would need that */
        unsigned access = PROTECT_WRITE | (streq(verb, "write") ? 0 : PROTECT_NAME) |
                          (streq(verb, "move away") || streq(verb, "exchange") ? PROTECT_READ : 0);
        rules_protect(e, ev, p, path, access, verb);
        /* SUNSPOT: source files swapped while the compiler runs */
        if (ev->source_file && is_source_ext(path) && e->compilers_alive > 0 &&
            !(p && (p->tool & (TOOL_COMPILER | TOOL_GENERATOR)))) {
                bool again = seen_before(e, "source-tamper", 0, path);
                emit_finding(e, again ? "source-tamper.swap-and-restore" : "source-tamper.swap-during-compile", ev, p,
                             path, path, NULL,
                             again ? "'%s' changed the source file '%s' again while compilers ran: swapped in and "
                                     "restored, the SUNSPOT pattern"
                                   : "'%s' changed the source file '%s' while a compiler was running",
                             exe_of(p), path);
        }
}

static void rules_open(struct engine *e, const struct event *ev, struct proc *p, const char *path) {
        bool w = write_intent(ev->flags);
        if (!w || (ev->flags & O_ACCMODE) == O_RDWR)
                rules_protect(e, ev, p, path, PROTECT_READ, "read");
        if (ev->resolved)
                return; /* recorded only for the path policy: the call's own event, if any, had the rest */
        bool high;
        const char *cred = credential_kind(path, &high);
        if (cred)
                emit_finding(e, high ? "secret-access.credential-file" : "secret-access.registry-token", ev, p, path,
                             path, NULL, "'%s' opened %s ('%s')", exe_of(p), cred, path);
        if (proc_numeric_file(path, "environ"))
                emit_finding(e, "secret-access.process-environ", ev, p, path, path, NULL,
                             "'%s' read another process's environment ('%s'), where CI secrets live", exe_of(p), path);
        if (!w && proc_numeric_file(path, "mem"))
                emit_finding(e, "secret-access.process-memory", ev, p, path, path, NULL,
                             "'%s' read another process's memory ('%s')", exe_of(p), path);
        if (ANY_OF(path, "/dev/mem", "/dev/kmem", "/dev/port"))
                emit_finding(e, "sandbox-escape.raw-memory", ev, p, path, path, NULL,
                             "'%s' opened '%s', the machine's physical memory", exe_of(p), path);
        if (!w && path[0] == '/' && path_in_writable(path) && !path_in_source(e, path) &&
            (ends_with(path, ".so") || strstr(path_basename(path), ".so.")))
                emit_finding(e, "toolchain-tamper.preload-library", ev, p, path, path, NULL,
                             "'%s' loaded the library '%s' from a writable directory (LD_PRELOAD or a planted "
                             "library path)",
                             exe_of(p), path);
        if (w) {
                rules_write(e, ev, p, path, "write", ev->flags & O_TRUNC);
                if (path[0] == '/')
                        writer_set(&e->pt, path, p);
        }
}

/* ---- network ------------------------------------------------------------------------- */

static bool pool_port(uint16_t port) {
        static const uint16_t ports[] = { 3333, 3334, 3357,  4444,  5555,  5556, 7777,
                                          8333, 9999, 14433, 14444, 45560, 45700 };
        for (size_t i = 0; i < ELEMENTSOF(ports); i++)
                if (port == ports[i])
                        return true;
        return false;
}

static void rules_net(struct engine *e, const struct event *ev, struct proc *p) {
        if (!ev->addr[0])
                return;
        bool inet = ev->addr_family == 2 || ev->addr_family == 10;
        if (inet && (ev->addr_port == 53 || ev->addr_port == 853))
                emit_finding(
                        e, "network-egress.dns-query", ev, p, ev->addr, NULL, ev_obj("address", ev->addr, NULL, NULL),
                        "'%s' sent a DNS query to %s: an offline build has no name to resolve", exe_of(p), ev->addr);
        else if (inet && !ev->addr_loopback)
                emit_finding(e, "network-egress.connect", ev, p, ev->addr, NULL,
                             ev_obj("address", ev->addr, NULL, NULL), "'%s' tried to reach %s outside the sandbox",
                             exe_of(p), ev->addr);
        if (inet && !ev->addr_loopback && pool_port(ev->addr_port))
                emit_finding(e, "crypto-miner.pool-port", ev, p, ev->addr, NULL,
                             ev_obj("address", ev->addr, NULL, NULL),
                             "'%s' tried to reach %s, a port mining pools use (stratum)", exe_of(p), ev->addr);
        if (ev->addr_family == 1) {
                const char *path = ev->addr + strlen("unix:");
                const char *b = path_basename(path);
                if (ANY_OF(b, "docker.sock", "containerd.sock", "podman.sock", "crio.sock", "buildkitd.sock",
                           "kubelet.sock", "libvirt-sock", "snapd.socket") ||
                    ANY_OF(path, "/run/systemd/private", "/run/dbus/system_bus_socket",
                           "/var/run/dbus/system_bus_socket") ||
                    ((has_prefix(path, "/run/") || has_prefix(path, "/var/run/")) && ends_with(b, ".sock")))
                        emit_finding(e, "sandbox-escape.host-socket", ev, p, path, path, NULL,
                                     "'%s' tried to connect to the host daemon socket '%s'", exe_of(p), path);
        }
}

/* ---- the rest of the system calls ------------------------------------------------------ */

static void rules_syscall(struct engine *e, struct event *ev, struct proc *p) {
        _cleanup_free_ char *path = proc_resolve(p, ev->path), *path2 = proc_resolve(p, ev->path2);
        if (ev->lsm_refused) {
                /* nothing happened; the call's entry, if recorded, had the other rules */
                const char *refused_path = ev->arg[2] ? path2 : path;
                if (refused_path)
                        rules_refused(e, ev, p, refused_path);
                return;
        }
        /* In a live run, whether a written path was part of the original source tree (see event.h). */
        bool writes_path = false;
        switch (ev->sc) {
        case SC_open:
        case SC_openat:
        case SC_openat2:
        case SC_creat:
        case SC_unlink:
        case SC_unlinkat:
        case SC_rmdir:
        case SC_rename:
        case SC_renameat:
        case SC_renameat2:
        case SC_truncate:
                writes_path = true;
                break;
        default:
                break;
        }
        if (e->live && writes_path && path && path_in_source(e, path))
                ev->source_file = faccessat(AT_FDCWD, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0;

        switch (ev->sc) {
        case SC_open:
        case SC_creat:
        case SC_openat:
        case SC_openat2:
                if (path)
                        rules_open(e, ev, p, path);
                break;
        case SC_unlink:
        case SC_unlinkat:
        case SC_rmdir:
                if (path)
                        rules_write(e, ev, p, path, "delete", false);
                break;
        case SC_truncate:
                if (path)
                        rules_write(e, ev, p, path, "truncate", true);
                break;
        case SC_rename:
        case SC_renameat:
        case SC_renameat2:
                if (path && path2) {
                        rules_write(e, ev, p, path, "move away", false);
                        /* renameat2(RENAME_EXCHANGE) moves both */
                        bool exchange = ev->sc == SC_renameat2 && (ev->arg[4] & RENAME_EXCHANGE);
                        rules_write(e, ev, p, path2, exchange ? "exchange" : "replace", false);
                        const struct writer *w = writer_get(&e->pt, path);
                        if (path2[0] == '/') {
                                if (w) {
                                        struct proc fake = { .tool = w->tool, .pid = w->pid, .exe = w->exe };
                                        writer_set(&e->pt, path2, &fake);
                                } else
                                        writer_set(&e->pt, path2, p);
                        }
                }
                break;
        case SC_link:
        case SC_linkat:
        case SC_symlink:
        case SC_symlinkat:
                /*
                 * A link to a protected file is a way to read it under another name; a hard link
                 * is one to write it through too (the kernel's file_open sees the other name).
                 */
                if (path && (ev->sc == SC_link || ev->sc == SC_linkat))
                        rules_protect(e, ev, p, path, PROTECT_READ | PROTECT_WRITE | PROTECT_NAME, "link elsewhere");
                else if (path && ev->path[0] == '/')
                        rules_protect(e, ev, p, path, PROTECT_READ, "link elsewhere");
                else if (path && path2 && path2[0] == '/') {
                        /* a relative symlink target is relative to the link's directory */
                        const char *slash = strrchr(path2, '/');
                        _cleanup_free_ char *j = xasprintf("%.*s/%s", (int) (slash - path2), path2, ev->path);
                        _cleanup_free_ char *target = path_normalize(j);
                        rules_protect(e, ev, p, target, PROTECT_READ, "link elsewhere");
                }
                if (path2) {
                        rules_write(e, ev, p, path2, "link over", false);
                        if (path && streq(path, "/dev/null") && is_history(path2))
                                emit_finding(e, "anti-forensics.history", ev, p, path2, path2, NULL,
                                             "'%s' pointed the shell history '%s' at /dev/null", exe_of(p), path2);
                }
                break;
        case SC_chmod:
        case SC_fchmodat:
                emit_finding(e, "privilege-escalation.setuid-bit", ev, p, path, path, NULL,
                             "'%s' tried to set the setuid or setgid bit on '%s'", exe_of(p), path ? path : "?");
                break;
        case SC_utimensat:
                if (path && ev->arg[4] > 0 &&
                    (uint64_t) ev->arg[4] * 1000000ULL + 86400ULL * 1000000ULL < e->start_usec &&
                    !path_in_source(e, path) &&
                    (path_in_system(path) || is_log(path) || is_history(path) || has_prefix(path, "/etc/")))
                        emit_finding(e, "anti-forensics.backdate", ev, p, path, path, NULL,
                                     "'%s' set the time of '%s' into the past, hiding when it changed", exe_of(p),
                                     path);
                break;
        case SC_connect:
        case SC_sendto:
        case SC_sendmsg:
                rules_net(e, ev, p);
                break;
        case SC_socket:
                emit_finding(e, "network-egress.raw-socket", ev, p, NULL, NULL, NULL,
                             "'%s' opened a raw or packet socket, which sends traffic past the network stack",
                             exe_of(p));
                break;
        case SC_dup2:
        case SC_dup3:
                if (ev->fd.kind == FD_INET || ev->fd.kind == FD_INET6)
                        emit_finding(e, "reverse-shell.stdio-socket", ev, p, NULL, NULL,
                                     ev_obj("peer", ev->fd.peer, NULL, NULL),
                                     "'%s' put a network socket (peer %s) on its stdin/stdout: a shell driven from "
                                     "the network",
                                     exe_of(p), ev->fd.peer[0] ? ev->fd.peer : "unknown");
                break;
        case SC_ptrace: {
                long req = (long) ev->arg[0];
                if (req == 16 || req == 0x4206 || req == 4 || req == 5 || req == 6 || req == 13 || req == 0x4205)
                        emit_finding(e, "sandbox-escape.ptrace", ev, p, NULL, NULL, NULL,
                                     "'%s' tried to attach to or write into another process with ptrace (request %ld)",
                                     exe_of(p), req);
                break;
        }
        case SC_process_vm_writev:
                emit_finding(e, "sandbox-escape.process-injection", ev, p, NULL, NULL, NULL,
                             "'%s' wrote into another process's memory (process_vm_writev)", exe_of(p));
                break;
        case SC_process_vm_readv:
                emit_finding(e, "secret-access.process-memory", ev, p, NULL, NULL, NULL,
                             "'%s' read another process's memory (process_vm_readv)", exe_of(p));
                break;
        case SC_mount:
        case SC_umount2:
        case SC_pivot_root:
        case SC_chroot:
        case SC_open_tree:
        case SC_move_mount:
        case SC_fsopen:
        case SC_fsmount:
        case SC_mount_setattr:
                emit_finding(e, "sandbox-escape.mount", ev, p, sc_name(ev->sc), path, NULL,
                             "'%s' called %s%s%s%s: builds do not change mounts", exe_of(p), sc_name(ev->sc),
                             path ? " on '" : "", path ? path : "", path ? "'" : "");
                break;
        case SC_unshare:
        case SC_setns:
        case SC_clone:
        case SC_clone3:
                emit_finding(e, "sandbox-escape.namespace", ev, p, sc_name(ev->sc), NULL, NULL,
                             "'%s' tried to create or enter namespaces (%s)", exe_of(p), sc_name(ev->sc));
                break;
        case SC_init_module:
        case SC_finit_module:
        case SC_delete_module:
                emit_finding(e, "sandbox-escape.kernel-module", ev, p, NULL, NULL, NULL,
                             "'%s' tried to load or unload a kernel module (%s)", exe_of(p), sc_name(ev->sc));
                break;
        case SC_kexec_load:
        case SC_kexec_file_load:
                emit_finding(e, "sandbox-escape.kexec", ev, p, NULL, NULL, NULL, "'%s' tried to load a new kernel (%s)",
                             exe_of(p), sc_name(ev->sc));
                break;
        case SC_bpf:
                emit_finding(e, "sandbox-escape.bpf", ev, p, NULL, NULL, NULL,
                             "'%s' called bpf(), which loads programs into the kernel", exe_of(p));
                break;
        case SC_perf_event_open:
        case SC_keyctl:
        case SC_userfaultfd:
        case SC_io_uring_setup:
                emit_finding(e, "sandbox-escape.kernel-interface", ev, p, sc_name(ev->sc), NULL, NULL,
                             "'%s' called %s, a kernel interface with a history of privilege-escalation bugs",
                             exe_of(p), sc_name(ev->sc));
                break;
        case SC_setuid:
        case SC_setgid:
        case SC_setfsuid:
        case SC_setfsgid:
        case SC_setreuid:
        case SC_setregid:
        case SC_setresuid:
        case SC_setresgid: {
                int nargs = ev->sc == SC_setresuid || ev->sc == SC_setresgid ? 3
                            : ev->sc == SC_setreuid || ev->sc == SC_setregid ? 2
                                                                             : 1;
                for (int i = 0; i < nargs; i++)
                        if ((uint32_t) ev->arg[i] == 0) {
                                emit_finding(e, "privilege-escalation.setuid-root", ev, p, NULL, NULL, NULL,
                                             "'%s' tried to become root (%s(0))", exe_of(p), sc_name(ev->sc));
                                break;
                        }
                break;
        }
        case SC_capset:
                emit_finding(e, "privilege-escalation.capset", ev, p, NULL, NULL, NULL,
                             "'%s' tried to change its capabilities", exe_of(p));
                break;
        case SC_ioctl:
                emit_finding(e, "sandbox-escape.tty-injection", ev, p, NULL, NULL, NULL,
                             "'%s' tried to push keystrokes into a terminal (TIOCSTI/TIOCLINUX)", exe_of(p));
                break;
        case SC_mmap:
                /* run --toolchain: a library under a sealed root, mapped as code (check_map judged it) */
                if (path && ev->toolchain && !streq(ev->toolchain, "match") && !writer_get(&e->pt, path))
                        emit_finding(e, "toolchain-tamper.unsealed-library", ev, p, path, path,
                                     ev_obj("toolchain", ev->toolchain, NULL, NULL), "'%s' mapped '%s' as code, but %s",
                                     exe_of(p), path,
                                     streq(ev->toolchain, "mismatch")
                                             ? "it no longer matches the sealed toolchain manifest"
                                             : "it lies in a sealed directory without being in the manifest, and "
                                               "the build did not produce it");
                break;
        case SC_mknod:
        case SC_mknodat: {
                uint64_t mode = (uint64_t) ev->arg[ev->sc == SC_mknod ? 1 : 2];
                if (S_MASK_DEV(mode))
                        emit_finding(e, "sandbox-escape.device-node", ev, p, path, path, NULL,
                                     "'%s' tried to create the device node '%s'", exe_of(p), path ? path : "?");
                if (path)
                        rules_protect(e, ev, p, path, PROTECT_WRITE, "create");
                break;
        }
        case SC_mkdir:
        case SC_mkdirat:
                /*
                 * A new name is a write of it, as an open(O_CREAT) is: under a protected DIR/, or the
                 * protected file itself. Not a directory above (mkdir -p of what a sealed tool will
                 * fill), as the kernel's path_mkdir and path_mknod decide it (lsm.bpf.c).
                 */
                if (path)
                        rules_protect(e, ev, p, path, PROTECT_WRITE, "create");
                break;
        default:
                break;
        }
}

/* ---- process life ------------------------------------------------------------------------ */

static void rules_sample(struct engine *e, const struct event *ev, struct proc *p) {
        if (!p)
                return;
        if (ev->exe_deleted && !p->exe_deleted) {
                p->exe_deleted = true;
                emit_finding(e, "anti-forensics.exe-deleted", ev, p, NULL, p->exe,
                             ev_obj("exe_link", ev->exe_link, NULL, NULL),
                             "'%s' is running from a file that has since been deleted", exe_of(p));
        }
        /*
         * CPU time, not wall time: a miner takes all it gets, but a loaded
         * builder may give it half a core. Two CPU-seconds is more than any
         * helper script needs; what the build compiled is not counted here.
         */
        p->cpu_ms += ev->cpu_ms;
        if (p->cpu_ms >= SUSTAINED_CPU_MS && (exe_foreign(e, p) || daemon_name(p->comm))) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "cpu_ms", json_object_new_int64((int64_t) p->cpu_ms));
                emit_finding(e, "crypto-miner.sustained-cpu", ev, p, NULL, p->exe, o,
                             "'%s' used %.1f s of CPU and is not a program of the toolchain or the build", exe_of(p),
                             (double) p->cpu_ms / 1000.0);
        }
}

void rules_run(struct engine *e, struct event *ev, struct proc *p) {
        /*
         * A process that has not executed anything is buildward's own sandbox
         * set-up (its init, the child that becomes CMD): trusted code whose
         * mounts and namespaces are the sandbox itself. Everything the build
         * runs descends from CMD's exec, and fork passes that mark on.
         */
        if (ev->type != EV_EXEC && (!p || !p->exec_seen))
                return;
        switch (ev->type) {
        case EV_EXEC:
                if (p)
                        rules_exec(e, ev, p);
                break;
        case EV_EXIT:
                /* remember a child killed by a signal: a parent that restarts it is a watchdog */
                if (p && ev->signal && (ev->signal == 9 || ev->signal == 15 || ev->signal == 2 || ev->signal == 1)) {
                        struct proc *parent = proc_get(&e->pt, p->ppid);
                        if (parent && parent != p && p->exe) {
                                free(parent->killed_child_exe);
                                parent->killed_child_exe = xstrdup(p->exe);
                                parent->killed_child_usec = ev->time_usec;
                        }
                }
                break;
        case EV_RENAME:
                if (p && ev->path && daemon_name(ev->path))
                        emit_finding(e, "anti-forensics.masquerade", ev, p, ev->path, NULL,
                                     ev_obj("new_comm", ev->path, NULL, NULL),
                                     "'%s' renamed itself to '%s', the name of a system daemon or kernel thread",
                                     exe_of(p), ev->path);
                break;
        case EV_SYSCALL:
                rules_syscall(e, ev, p);
                break;
        case EV_SAMPLE:
                rules_sample(e, ev, p);
                break;
        default:
                break;
        }
}
