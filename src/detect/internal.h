/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Shared by engine.c (process table, findings) and rules.c (the rules). */
#include "detect/catalog.h"
#include "detect/engine.h"
#include "detect/policy.h"

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

struct engine {
        const struct policy *policy;
        char *source; /* the build's source tree, from the start event */
        uint64_t start_usec;
        void *procs;   /* tsearch tree by pid: the live or last process of that pid */
        void *writers; /* tsearch tree by path: files the build wrote */
        size_t n_writers;
        struct proc **all; /* every process seen, in order */
        size_t n_all, n_all_allocated;
        struct finding_list findings;
        size_t dropped; /* findings beyond the cap */
        uint64_t *supp_counts;
        void *seen; /* tsearch tree of dedup keys */
        uint64_t events;
        unsigned compilers_alive;
        uint64_t last_sample_usec;
        bool live;
        struct engine_hooks hooks;
        char *hook_digest, *hook_path; /* what check_exec returned for the event being fed */
        bool stopped;                  /* --enforce stopped the build */
};

#define MAX_SOCKETS_PER_PROC 16
#define MAX_FINDINGS         500
#define SUSTAINED_CPU_MS     2000
#define MAX_WRITERS          200000

struct proc *proc_get(struct engine *e, pid_t pid);
/* PATH made absolute against P's cwd and normalised ("a/../b" -> "b"); NULL in: NULL out. Free it. */
char *proc_resolve(const struct proc *p, const char *path);
const struct writer *writer_get(struct engine *e, const char *path);
void writer_set(struct engine *e, const char *path, const struct proc *p);
unsigned tool_classify(const char *path);

bool path_in_source(const struct engine *e, const char *abs);
bool path_in_system(const char *abs);   /* the read-only toolchain: /usr, /bin, /lib* ... */
bool path_in_writable(const char *abs); /* /tmp, /var/tmp, /dev/shm, /home */

/* Whether (WHAT, PID, KEY) was seen before; records it if not. Dedups findings, and rules that count repeats. */
bool seen_before(struct engine *e, const char *what, pid_t pid, const char *key);

/*
 * Reports RULE_ID for process P (may be NULL) with DETAIL and EVIDENCE (taken).
 * KEY dedups: one finding per rule, process and key.
 */
void emit_finding(struct engine *e, const char *rule_id, const struct event *ev, const struct proc *p, const char *key,
                  const char *path, json_object *evidence, const char *detail_fmt, ...) _printf_(8, 9);

/* rules.c */
void rules_run(struct engine *e, struct event *ev, struct proc *p);
