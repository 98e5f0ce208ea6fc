/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

struct feature {
        const char *name;
        bool ok;
        char *detail;  /* what was found */
        char *degrade; /* when !ok: what buildward does without it, and the fix */
};

/* Probes this host. Forks short-lived children; changes nothing on the host. */
size_t features_probe(struct feature **ret);
void features_free(struct feature *f, size_t n);

/*
 * Whether the kernel runs the bpf LSM: its active LSM list
 * (/sys/kernel/security/lsm) names "bpf". securityfs is mounted there first
 * when it is not (as root; systemd mounts it at every boot, and it only shows
 * kernel state). 1 yes, 0 no, with *RET_LIST the list; -errno when it cannot
 * be read (*RET_LIST untouched).
 */
int bpf_lsm_enabled(char **ret_list);
