/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * `buildward triage`: one collector per evidence source, each writing
 * DIR/NAME.json and adding findings (docs/design.md §7). Collectors read the host
 * directly (/proc, /sys, files); file collectors resolve every path inside
 * the root (openat2 RESOLVE_IN_ROOT), so with --root no symlink of a mounted
 * image can lead them out of it.
 */
#include <dirent.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "finding/finding.h"

#define TRIAGE_COPY_MAX_DEFAULT (64ULL << 20) /* per recovered executable */
#define TRIAGE_COPY_TOTAL       (1ULL << 30)  /* all recovered executables together */
#define TRIAGE_RAW_MAX          (1U << 20)    /* per raw config copy */

struct triage_options {
        const char *root; /* NULL: the live host */
        char **inventory; /* SHA256:... fingerprints of managed keys, or NULL */
        bool have_inventory;
        int64_t since;          /* seconds since the epoch; -1: no --since */
        const char *since_path; /* --since FILE: its mtime inside the root becomes since */
        double sample_s;        /* CPU sample interval; 0: no sample */
        uint64_t copy_max;      /* size cap of one recovered executable */
        bool hash_all;          /* hash every packaged file, not only those changed since install */
        unsigned jobs;          /* worker threads of the parallel collectors */
        char **skip;            /* collector names not to run */
        char **exclude;         /* absolute paths the file walk does not enter */
};

struct triage_proc {
        pid_t pid, ppid;
        uid_t uid;
        char comm[32];
        char *exe; /* link text without " (deleted)" */
        bool deleted;
        char *cwd;
        char **argv;
        uint64_t start_ticks, cpu_ticks, cpu_ticks2;
        uint64_t rss_kb;
        uint64_t netns;
        uint64_t *sock_inodes;
        size_t n_sock;
        bool gone;       /* exited before the second sample */
        char *recovered; /* bundle path of the copied deleted executable */
        dev_t exe_dev;   /* the executable's inode: processes sharing one share the copy */
        ino_t exe_ino;
        bool exe_truncated;
        char sha256[65];
};

struct triage_ctx {
        const struct triage_options *o;
        int root_fd; /* "/" or --root */
        int out_fd;  /* the bundle directory */
        int raw_fd;  /* DIR/raw */
        bool live;
        struct finding_list findings;
        pthread_mutex_t lock; /* findings, from worker threads */
        json_object *capture; /* capture.json: collectors run, skipped and why */
        struct triage_proc *procs;
        size_t n_procs;
        uint64_t sample_start_usec;
        long clk_tck;
        uint64_t copied_bytes; /* of recovered executables, against TRIAGE_COPY_TOTAL */
};

/* Adds a finding; DETAIL and EVIDENCE are taken over. Thread-safe. */
void triage_add(struct triage_ctx *c, const char *rule, const char *category, enum severity sev,
                const struct triage_proc *p, char *detail, json_object *evidence);

/* A path inside the root; PATH is absolute ("/etc/passwd"). -errno on failure. */
int triage_open(struct triage_ctx *c, const char *path, int flags);
DIR *triage_opendir(struct triage_ctx *c, const char *path);
/*
 * Reads a (small) file inside the root, at most MAX bytes, and keeps a raw copy
 * under DIR/raw/PATH (capped at TRIAGE_RAW_MAX). -ENOENT when absent.
 */
int triage_read(struct triage_ctx *c, const char *path, size_t max, char **ret, size_t *ret_size);
/* The same without a raw copy (logs, package lists). */
int triage_read_nocopy(struct triage_ctx *c, const char *path, size_t max, char **ret, size_t *ret_size);
/* Lists regular entries of a directory inside the root, sorted; NULL-terminated, never NULL. */
char **triage_list(struct triage_ctx *c, const char *dir);
/*
 * Home directories inside the root: pairs "user", "home". Those /etc/passwd
 * names, then /root and each directory under /home not listed there (named
 * after the directory): a missing or edited passwd hides no home.
 */
char **triage_homes(struct triage_ctx *c);
bool triage_skipped(const struct triage_ctx *c, const char *collector);
void triage_note(struct triage_ctx *c, const char *collector, const char *status, const char *why);
int triage_save(struct triage_ctx *c, const char *name, json_object *o);

/*
 * Where dropped payloads live: /tmp, /var/tmp, /dev/shm, /run/user (anyone or
 * any service may write there). path_is_writable_area() adds the homes, where
 * developers' own tools (pyenv, cargo, nvm) legitimately run from too: rules
 * give those a lower severity.
 */
bool path_is_tmp_area(const char *path);
bool path_is_writable_area(const char *path);

/*
 * The daemon or kernel-thread name a process hides behind (its comm, argv[0]
 * or exe's base name, whichever is one) when its executable is outside the
 * system directories, deleted, or an interpreter; NULL when it does not
 * masquerade. The result points into COMM, ARGV0 or EXE.
 */
const char *masquerade_name(const char *comm, const char *argv0, const char *exe, bool deleted);

/* Collectors: 0, or -errno when the source could not be read at all. */
int collect_processes(struct triage_ctx *c);
int collect_processes_finish(struct triage_ctx *c); /* second CPU sample, watchdogs */
int collect_hidden(struct triage_ctx *c);
int collect_sockets(struct triage_ctx *c);
int collect_modules(struct triage_ctx *c);
int collect_systemd(struct triage_ctx *c);
int collect_cron(struct triage_ctx *c);
int collect_keys(struct triage_ctx *c);
int collect_sudoers(struct triage_ctx *c);
int collect_preload(struct triage_ctx *c);
int collect_shellrc(struct triage_ctx *c);
int collect_pam(struct triage_ctx *c);
int collect_udev(struct triage_ctx *c);
int collect_containers(struct triage_ctx *c);
int collect_sshd(struct triage_ctx *c);
int collect_databases(struct triage_ctx *c);
int collect_packages(struct triage_ctx *c);
int collect_newer(struct triage_ctx *c);
int collect_ci(struct triage_ctx *c);

/* The bundle: MANIFEST.sha256 over every file, its signature, the archive. */
int bundle_manifest(int out_fd, size_t *ret_files);
int bundle_sign(int out_fd, const char *key_path, char ret_keyid[65]);
/* Packs DIR as DIR.tar.zst with libarchive, loaded with dlopen() here only. */
int bundle_archive(const char *dir, const char *archive_path, char **ret_error);

/*
 * The bundle directory PATH names: the directory itself or a file in it (its
 * findings.json, say). Packed bundles are refused with a message saying how to
 * unpack them.
 */
int triage_bundle_resolve(const char *path, char **ret_dir, char **ret_error);
/* Prints what appeared or changed from bundle A to bundle B; returns the number of changes or -errno. */
int triage_diff(const char *a, const char *b, bool json, FILE *out);
