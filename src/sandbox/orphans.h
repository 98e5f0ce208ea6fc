/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "sandbox/cgroup.h"

#define ORPHANS_RUN_DIR "/run/buildward"

/* A privileged build's registration: RUN_DIR/builds/NAME, held locked while it runs. */
struct build_registration {
        int fd;
        char *name; /* NULL: not registered (fd is then not ours) */
};

/* Registers CG's directories, locked; 0 (nothing to do without cgroups) or -errno. */
int orphans_register(const struct cgroup *cg, struct build_registration *reg);
/* Once CG is destroyed: unlinks the registration, then drops its lock. */
void orphans_unregister(struct build_registration *reg);
/*
 * Kills what is left in the cgroups of every registered build whose buildward
 * is gone and removes them and their registration. Root only; 0 or the first
 * -errno (each failure is logged with its fix). *RET_REAPED: builds cleaned.
 */
int orphans_reap(unsigned *ret_reaped);
