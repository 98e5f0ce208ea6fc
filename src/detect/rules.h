/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What the rule files share: rules.c dispatches an event by its kind to
 * rules-exec.c, rules-file.c, rules-net.c and rules-kernel.c, which report
 * through emit.c (internal.h); rules-util.c holds the matching helpers.
 */
#include "detect/internal.h"

/* ---- rules-util.c ---- */
bool any_of(const char *s, const char *const *list, size_t n);
#define ANY_OF(s, ...)                                                                                                 \
        any_of(s, (const char *const[]){ __VA_ARGS__ }, ELEMENTSOF(((const char *const[]){ __VA_ARGS__ })))
bool has_prefix(const char *s, const char *p);
bool ends_with(const char *s, const char *suffix);
/* PATH contains the component sequence NEEDLE ("/.ssh/"), also at the start of a relative path. */
bool has_part(const char *path, const char *needle);
bool argv_contains(char *const *argv, const char *needle);
bool argv_has(char *const *argv, const char *arg);
/* Evidence of up to two string fields (a NULL key is left out). */
json_object *ev_obj(const char *k1, const char *v1, const char *k2, const char *v2);
const char *exe_of(const struct proc *p);

bool path_in_source(const struct engine *e, const char *abs);
bool path_in_system(const char *abs);   /* the read-only toolchain: /usr, /bin, /lib* ... */
bool path_in_writable(const char *abs); /* /tmp, /var/tmp, /dev/shm, /home */
bool is_history(const char *path);
bool is_log(const char *path);
/* Names of daemons and kernel threads that malware borrows to look harmless. */
bool daemon_name(const char *name);

/* ---- the rule families: each takes the event with PATH and PATH2 resolved against P's cwd ---- */
void rules_exec(struct engine *e, const struct event *ev, struct proc *p);
/* Files (open, write, rename, link, mode, times, device nodes, mappings); false: not a file call. */
bool rules_file_syscall(struct engine *e, struct event *ev, struct proc *p, const char *path, const char *path2);
/* connect, sendto, sendmsg, bind, listen, socket, dup2/dup3; false: not a network call. */
bool rules_net_syscall(struct engine *e, const struct event *ev, struct proc *p);
/* Calls that face the kernel: ptrace, mounts, namespaces, modules, credentials, ioctl. */
void rules_kernel_syscall(struct engine *e, const struct event *ev, struct proc *p, const char *path);
