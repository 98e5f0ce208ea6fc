/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct feature {
        const char *name;
        bool ok;
        char *detail;  /* what was found */
        char *degrade; /* when !ok: what buildward does without it, and the fix */
};

/*
 * Probes what the sandbox needs of this host: namespaces, overlayfs, idmapped
 * mounts, cgroups, seccomp, Landlock. Forks short-lived children; changes
 * nothing on the host. doctor/probe.h adds the rest of `buildward doctor`.
 */
size_t features_probe(struct feature **ret);
/* Appends NAME to *V; DEGRADE is kept (copied) only when !OK. DETAIL is taken. */
void feature_add(struct feature **v, size_t *n, const char *name, bool ok, char *detail, const char *degrade);
void features_free(struct feature *f, size_t n);

/*
 * Whether the kernel runs the bpf LSM: its active LSM list
 * (/sys/kernel/security/lsm) names "bpf". securityfs is mounted there first
 * when it is not (as root; systemd mounts it at every boot, and it only shows
 * kernel state). 1 yes, 0 no, with *RET_LIST the list; -errno when it cannot
 * be read (*RET_LIST untouched).
 */
int bpf_lsm_enabled(char **ret_list);
