/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What the configuration collectors (config.c, services.c) share. */
#include <json-c/json.h>
#include <stdbool.h>
#include <string.h>

#include "triage/triage.h"

#define CONF_MAX (4U << 20) /* one configuration file */

/* Lines of TEXT, one at a time; the buffer is modified. */
#define FOREACH_LINE(line, text, save)                                                                                 \
        for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))

/* A blank or comment line ('#' or ';'). */
static inline bool is_comment(const char *l) {
        l += strspn(l, " \t");
        return !*l || *l == '#' || *l == ';' || *l == '\r';
}

/* Evidence naming a configuration file and, when not NULL, the line in it. */
json_object *conf_evidence(const char *path, const char *line);

/*
 * The checks every scheduled or started command gets: a downloaded script piped
 * into a shell, a reverse shell, a program in a writable place. KIND names the
 * rule family ("cron", "unit", "udev", ...).
 */
void conf_check_command(struct triage_ctx *c, const char *kind, const char *what, const char *path, const char *cmd);
