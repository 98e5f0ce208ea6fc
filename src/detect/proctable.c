/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <search.h>

#include "basic/util.h"
#include "detect/proctable.h"

static int proc_cmp(const void *a, const void *b) {
        pid_t x = ((const struct proc *) a)->pid, y = ((const struct proc *) b)->pid;
        return x < y ? -1 : x > y;
}

static int writer_cmp(const void *a, const void *b) {
        return strcmp(((const struct writer *) a)->path, ((const struct writer *) b)->path);
}

static void proc_free(struct proc *p) {
        free(p->exe);
        free(p->interp);
        strv_free(p->argv);
        free(p->cwd);
        strv_free(p->sockets);
        free(p->killed_child_exe);
        free(p->fixture_path);
        free(p->sealed_digest);
        free(p->sealed_path);
        free(p);
}

static void writer_free(void *p) {
        struct writer *w = p;
        free(w->path);
        free(w->exe);
        free(w);
}

static void noop_free(void *p) {
        (void) p;
}

void proctable_done(struct proctable *t) {
        tdestroy(t->procs, noop_free); /* the procs themselves are owned by t->all */
        tdestroy(t->writers, writer_free);
        for (size_t i = 0; i < t->n_all; i++)
                proc_free(t->all[i]);
        free(t->all);
        *t = (struct proctable){};
}

struct proc *proc_get(struct proctable *t, pid_t pid) {
        struct proc key = { .pid = pid };
        struct proc **p = tfind(&key, &t->procs, proc_cmp);
        return p ? *p : NULL;
}

/* A new process record for PID; an older one of a reused pid stays in t->all. */
struct proc *proc_new(struct proctable *t, pid_t pid, pid_t ppid, uint64_t time_usec) {
        struct proc *p = xcalloc(1, sizeof(*p));
        p->pid = pid;
        p->ppid = ppid;
        p->start_usec = time_usec;
        struct proc key = { .pid = pid };
        struct proc **slot = tfind(&key, &t->procs, proc_cmp);
        if (slot)
                *slot = p; /* same key: replacing in place keeps the tree ordered */
        else
                tsearch(p, &t->procs, proc_cmp);
        GREEDY_REALLOC(t->all, t->n_all_allocated, t->n_all + 1);
        p->index = t->n_all;
        t->all[t->n_all++] = p;
        return p;
}

char *proc_resolve(const struct proc *p, const char *path) {
        if (!path)
                return NULL;
        if (path[0] == '/')
                return path_normalize(path);
        if (!p || !p->cwd)
                return xstrdup(path); /* relative to a directory we do not know */
        _cleanup_free_ char *j = xasprintf("%s/%s", p->cwd, path);
        return path_normalize(j);
}

const struct writer *writer_get(struct proctable *t, const char *path) {
        struct writer key = { .path = (char *) path };
        struct writer **w = tfind(&key, &t->writers, writer_cmp);
        return w ? *w : NULL;
}

void writer_set(struct proctable *t, const char *path, const struct proc *p) {
        struct writer key = { .path = (char *) path };
        struct writer **slot = tfind(&key, &t->writers, writer_cmp);
        struct writer *w;
        if (slot)
                w = *slot;
        else {
                if (t->n_writers >= MAX_WRITERS)
                        return;
                w = xcalloc(1, sizeof(*w));
                w->path = xstrdup(path);
                tsearch(w, &t->writers, writer_cmp);
                t->n_writers++;
        }
        w->tool = p ? p->tool : 0;
        w->pid = p ? p->pid : 0;
        free(w->exe);
        w->exe = p && p->exe ? xstrdup(p->exe) : NULL;
}

/* "x86_64-linux-gnu-gcc-12" -> "gcc": target prefixes and version suffixes off. */
static void tool_name(const char *base, char *out, size_t n) {
        const char *b = base;
        const char *dash;
        /* a GNU triplet prefix has three dashes: arch-vendor-os- or arch-os-abi- */
        int dashes = 0;
        for (const char *c = b; *c; c++)
                dashes += *c == '-';
        if (dashes >= 3 && (startswith(b, "x86_64-") || startswith(b, "i686-") || startswith(b, "aarch64-") ||
                            startswith(b, "arm-") || startswith(b, "riscv64-")))
                for (int i = 0; i < 3 && (dash = strchr(b, '-')); i++)
                        b = dash + 1;
        snprintf(out, n, "%s", b);
        /* strip "-12", "-3.11", "3.11" (python3.11) version tails */
        char *end = out + strlen(out);
        while (end > out && ((end[-1] >= '0' && end[-1] <= '9') || end[-1] == '.'))
                end--;
        if (end > out && end[-1] == '-')
                end--;
        if (end > out)
                *end = 0;
}

unsigned tool_classify(const char *path) {
        static const struct {
                const char *name;
                unsigned tool;
        } names[] = {
                { "cc", TOOL_COMPILER },
                { "gcc", TOOL_COMPILER },
                { "g++", TOOL_COMPILER },
                { "c++", TOOL_COMPILER },
                { "cpp", TOOL_COMPILER },
                { "cc1", TOOL_COMPILER },
                { "cc1plus", TOOL_COMPILER },
                { "cc1obj", TOOL_COMPILER },
                { "collect", TOOL_COMPILER },
                { "lto", TOOL_COMPILER },
                { "lto-wrapper", TOOL_COMPILER },
                { "clang", TOOL_COMPILER },
                { "clang++", TOOL_COMPILER },
                { "as", TOOL_COMPILER },
                { "ld", TOOL_COMPILER },
                { "ld.bfd", TOOL_COMPILER },
                { "ld.gold", TOOL_COMPILER },
                { "ld.lld", TOOL_COMPILER },
                { "lld", TOOL_COMPILER },
                { "gold", TOOL_COMPILER },
                { "rustc", TOOL_COMPILER },
                { "go", TOOL_COMPILER },
                { "compile", TOOL_COMPILER },
                { "link", TOOL_COMPILER },
                { "javac", TOOL_COMPILER },
                { "ar", TOOL_COMPILER },
                { "ranlib", TOOL_COMPILER },
                { "strip", TOOL_COMPILER },
                { "objcopy", TOOL_COMPILER },
                { "gfortran", TOOL_COMPILER },
                { "f951", TOOL_COMPILER },
                { "cc1obj", TOOL_COMPILER },
                { "tcc", TOOL_COMPILER },
                { "bison", TOOL_GENERATOR },
                { "yacc", TOOL_GENERATOR },
                { "flex", TOOL_GENERATOR },
                { "lex", TOOL_GENERATOR },
                { "m", TOOL_GENERATOR },
                { "gperf", TOOL_GENERATOR },
                { "autoconf", TOOL_GENERATOR },
                { "autoheader", TOOL_GENERATOR },
                { "automake", TOOL_GENERATOR },
                { "aclocal", TOOL_GENERATOR },
                { "autom4te", TOOL_GENERATOR },
                { "libtoolize", TOOL_GENERATOR },
                { "autoreconf", TOOL_GENERATOR },
                { "protoc", TOOL_GENERATOR },
                { "swig", TOOL_GENERATOR },
                { "moc", TOOL_GENERATOR },
                { "uic", TOOL_GENERATOR },
                { "rcc", TOOL_GENERATOR },
                { "makeinfo", TOOL_GENERATOR },
                { "help2man", TOOL_GENERATOR },
                { "msgfmt", TOOL_GENERATOR },
                { "sh", TOOL_SHELL },
                { "bash", TOOL_SHELL },
                { "dash", TOOL_SHELL },
                { "zsh", TOOL_SHELL },
                { "ksh", TOOL_SHELL },
                { "mksh", TOOL_SHELL },
                { "ash", TOOL_SHELL },
                { "busybox", TOOL_SHELL },
                { "fish", TOOL_SHELL },
                { "csh", TOOL_SHELL },
                { "tcsh", TOOL_SHELL },
                { "python", TOOL_INTERP },
                { "perl", TOOL_INTERP },
                { "ruby", TOOL_INTERP },
                { "node", TOOL_INTERP },
                { "php", TOOL_INTERP },
                { "lua", TOOL_INTERP },
                { "tclsh", TOOL_INTERP },
                { "curl", TOOL_DOWNLOADER },
                { "wget", TOOL_DOWNLOADER },
                { "nc", TOOL_DOWNLOADER },
                { "ncat", TOOL_DOWNLOADER },
                { "netcat", TOOL_DOWNLOADER },
                { "nc.openbsd", TOOL_DOWNLOADER },
                { "nc.traditional", TOOL_DOWNLOADER },
                { "socat", TOOL_DOWNLOADER },
                { "telnet", TOOL_DOWNLOADER },
                { "ftp", TOOL_DOWNLOADER },
                { "tftp", TOOL_DOWNLOADER },
                { "scp", TOOL_DOWNLOADER },
                { "ssh", TOOL_DOWNLOADER },
                { "rsync", TOOL_DOWNLOADER },
                { "xz", TOOL_DECODER },
                { "unxz", TOOL_DECODER },
                { "xzcat", TOOL_DECODER },
                { "lzma", TOOL_DECODER },
                { "unlzma", TOOL_DECODER },
                { "gzip", TOOL_DECODER },
                { "gunzip", TOOL_DECODER },
                { "zcat", TOOL_DECODER },
                { "bzip", TOOL_DECODER },
                { "bunzip", TOOL_DECODER },
                { "zstd", TOOL_DECODER },
                { "base", TOOL_DECODER },
                { "uudecode", TOOL_DECODER },
                { "xxd", TOOL_DECODER },
                { "openssl", TOOL_DECODER },
                { "tr", TOOL_DECODER },
                { "sed", TOOL_DECODER },
                { "head", TOOL_DECODER },
                { "tail", TOOL_DECODER },
                { "cp", TOOL_COPIER },
                { "install", TOOL_COPIER },
                { "mv", TOOL_COPIER },
                { "cat", TOOL_COPIER },
                { "dd", TOOL_COPIER },
                { "tee", TOOL_COPIER },
                { "ln", TOOL_COPIER },
                { "sudo", TOOL_SETUID },
                { "su", TOOL_SETUID },
                { "pkexec", TOOL_SETUID },
                { "doas", TOOL_SETUID },
                { "newgrp", TOOL_SETUID },
                { "passwd", TOOL_SETUID },
                { "chsh", TOOL_SETUID },
                { "chfn", TOOL_SETUID },
                { "gpasswd", TOOL_SETUID },
                { "xmrig", TOOL_MINER },
                { "minerd", TOOL_MINER },
                { "cpuminer", TOOL_MINER },
                { "ethminer", TOOL_MINER },
                { "xmr-stak", TOOL_MINER },
                { "ccminer", TOOL_MINER },
                { "nbminer", TOOL_MINER },
                { "t-rex", TOOL_MINER },
                { "lolminer", TOOL_MINER },
                { "crontab", TOOL_SCHEDULER },
                { "at", TOOL_SCHEDULER },
                { "batch", TOOL_SCHEDULER },
                { "systemctl", TOOL_SCHEDULER },
                { "update-rc.d", TOOL_SCHEDULER },
        };
        char n[64];
        tool_name(path_basename(path), n, sizeof(n));
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (streq(n, names[i].name))
                        return names[i].tool;
        return 0;
}
