/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The process table of the detection engine: every process a build ran, by pid
 * and in order, and which process wrote which file. engine.c keeps it current
 * from the event stream; rules.c reads it. Neither reaches the other for it.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* What a program is, by the name of its executable: rules scope themselves with these. */
enum tool {
        TOOL_COMPILER = 1 << 0,  /* compilers, assemblers, linkers, archivers */
        TOOL_GENERATOR = 1 << 1, /* bison, flex, m4, autotools, protoc ... */
        TOOL_SHELL = 1 << 2,
        TOOL_INTERP = 1 << 3,     /* python, perl, ruby, node ... */
        TOOL_DOWNLOADER = 1 << 4, /* curl, wget, nc, socat ... */
        TOOL_DECODER = 1 << 5,    /* xz, gzip, base64, tr, sed, head, tail ... */
        TOOL_COPIER = 1 << 6,     /* cp, install, mv, cat, dd, tee */
        TOOL_SETUID = 1 << 7,     /* sudo, su, pkexec ... */
        TOOL_MINER = 1 << 8,
        TOOL_SCHEDULER = 1 << 9, /* crontab, at, systemctl ... */
};

struct proc {
        pid_t pid, ppid;
        uint64_t start_usec, end_usec;
        char comm[16];
        char *exe;    /* the executed path, made absolute against cwd where possible */
        char *interp; /* a script's interpreter */
        char **argv;
        char *cwd;      /* NULL: unknown (fchdir) */
        char **sockets; /* what it did with sockets: "connect 127.0.0.1:5432", "listen :8080" (capped) */
        uint64_t exe_ino;
        uint32_t exe_nlink;
        /* the exec was verified against the sealed toolchain: its digest and manifest path, else NULL */
        char *sealed_digest, *sealed_path;
        bool exec_seen, exited;
        int exit_code, signal;
        unsigned tool;
        unsigned exe_writer_tool; /* tool class of the process that wrote exe, when the build did */
        bool exe_written;         /* the build wrote its executable */
        bool exe_deleted;
        uint64_t cpu_ms;    /* CPU time recorded by samples */
        uint64_t cpu_ticks; /* live sampling: last utime+stime */
        /* watchdog: when this process last saw a child of its killed */
        char *killed_child_exe;
        uint64_t killed_child_usec;
        /* xz-style fixture decoding under this parent */
        uint64_t fixture_decode_usec, stdin_shell_usec;
        char *fixture_path;
        size_t index; /* into engine.all */
};

struct writer {
        char *path;
        unsigned tool;
        pid_t pid;
        char *exe;
};

struct proctable {
        void *procs;   /* tsearch tree by pid: the live or last process of that pid */
        void *writers; /* tsearch tree by path: files the build wrote */
        size_t n_writers;
        struct proc **all; /* every process seen, in order */
        size_t n_all, n_all_allocated;
};

#define MAX_WRITERS 200000

/* Frees every process and writer record; T is empty afterwards. */
void proctable_done(struct proctable *t);
struct proc *proc_get(struct proctable *t, pid_t pid);
/* A new process record for PID; an older one of a reused pid stays in T->all. */
struct proc *proc_new(struct proctable *t, pid_t pid, pid_t ppid, uint64_t time_usec);
/* PATH made absolute against P's cwd and normalised ("a/../b" -> "b"); NULL in: NULL out. Free it. */
char *proc_resolve(const struct proc *p, const char *path);
const struct writer *writer_get(struct proctable *t, const char *path);
/* Records P (may be NULL) as the last writer of PATH; at most MAX_WRITERS paths. */
void writer_set(struct proctable *t, const char *path, const struct proc *p);
/* The TOOL_* class of the program at PATH, by its name. */
unsigned tool_classify(const char *path);
