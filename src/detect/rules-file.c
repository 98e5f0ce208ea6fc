/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The rules of files: credentials read, persistence and toolchain written,
 * history and logs erased, source swapped under the compiler, and the path
 * policy (protect) of policy.h. Rules that would be noisy in ordinary builds
 * are scoped: the build's own outputs, its source tree and the read-only
 * toolchain stay quiet.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "basic/json-util.h"
#include "basic/util.h"
#include "detect/rules.h"

#define S_MASK_DEV(m) (((m) &S_IFMT) == S_IFCHR || ((m) &S_IFMT) == S_IFBLK)

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

static bool is_source_ext(const char *path) {
        const char *dot = strrchr(path_basename(path), '.');
        return dot && ANY_OF(dot + 1, "c", "h", "cc", "cpp", "cxx", "hpp", "hh", "cs", "go", "rs", "java", "kt", "py",
                             "js", "ts", "swift", "m", "s", "S", "f90", "pl", "rb", "in", "am", "ac", "m4");
}

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

/* rename, renameat, renameat2: both names change; the new name keeps the old one's writer. */
static void rules_rename(struct engine *e, const struct event *ev, struct proc *p, const char *path,
                         const char *path2) {
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
}

/* link, linkat, symlink, symlinkat: PATH is the target, PATH2 the new name. */
static void rules_link(struct engine *e, const struct event *ev, struct proc *p, const char *path, const char *path2) {
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
}

/* The call's paths: whether a write named a file of the original source tree (live runs; see event.h). */
static void note_source_file(struct engine *e, struct event *ev, const char *path) {
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
                if (e->live && path && path_in_source(e, path))
                        ev->source_file = faccessat(AT_FDCWD, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
                break;
        default:
                break;
        }
}

bool rules_file_syscall(struct engine *e, struct event *ev, struct proc *p, const char *path, const char *path2) {
        if (ev->lsm_refused) {
                /* nothing happened; the call's entry, if recorded, had the other rules */
                const char *refused_path = ev->arg[2] ? path2 : path;
                if (refused_path)
                        rules_refused(e, ev, p, refused_path);
                return true;
        }
        note_source_file(e, ev, path);
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
                rules_rename(e, ev, p, path, path2);
                break;
        case SC_link:
        case SC_linkat:
        case SC_symlink:
        case SC_symlinkat:
                rules_link(e, ev, p, path, path2);
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
                return false;
        }
        return true;
}
