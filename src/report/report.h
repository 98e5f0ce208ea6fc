/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "finding/finding.h"

struct artifact {
        char *path;
        char sha256[65];
        uint64_t size;
};

struct refused_artifact {
        char *path;
        char *reason;
};

struct artifact_list {
        struct artifact *v;
        size_t n, n_allocated;
        struct refused_artifact *refused;
        size_t n_refused, n_refused_allocated;
};

void artifact_list_done(struct artifact_list *l);

enum change_kind { CHANGE_CREATED, CHANGE_MODIFIED, CHANGE_DELETED };

struct change {
        char *path;
        enum change_kind kind;
};

struct change_list {
        struct change *v;
        size_t n, n_allocated;
        bool truncated;
};

const char *change_kind_name(enum change_kind k);
void change_list_done(struct change_list *l);

/*
 * Copies the files under ROOT_FD matching any of PATTERNS into OUT_FD/artifacts,
 * never following a symlink and never writing outside OUT_FD. Files that are not
 * regular, or larger than MAX_SIZE, are refused and listed.
 */
int artifacts_collect(int root_fd, char *const *patterns, int out_fd, uint64_t max_size, struct artifact_list *ret);

/* Removes NAME below DIR_FD recursively without following symlinks. */
int rm_rf_at(int dir_fd, const char *name);

/*
 * Lists what the build created, modified or deleted: UPPER_FD is the overlay's
 * upper directory, LOWER_FD the untouched source. At most MAX entries.
 */
int source_changes_collect(int upper_fd, int lower_fd, size_t max, struct change_list *ret);

/*
 * Writes JSON atomically as DIR_FD/NAME (temporary file, then rename): a reader
 * sees the old file or the whole new one. No fsync: a report is not a ledger.
 */
int json_write_file_at(int dir_fd, const char *name, json_object *o);

/* The same for N bytes of DATA. */
int file_write_atomic_at(int dir_fd, const char *name, const void *data, size_t n);
