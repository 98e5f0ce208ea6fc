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
