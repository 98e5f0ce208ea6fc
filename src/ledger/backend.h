/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What ledger.c needs from a database: statements with text parameters written
 * as $1..$N (PostgreSQL's syntax; SQLite reads them as named parameters),
 * results as text columns (NULL for SQL NULL), and a write transaction that
 * serializes appenders. -EAGAIN: a conflict the caller should retry.
 */
#include <stdbool.h>
#include <stddef.h>

struct ledger;

typedef int (*ledger_row_fn)(void *userdata, size_t n_cols, const char *const *cols);

struct ledger_backend {
        const char *name;
        int (*exec)(struct ledger *l, const char *sql, size_t n, const char *const *params);
        int (*query)(struct ledger *l, const char *sql, size_t n, const char *const *params, ledger_row_fn fn,
                     void *userdata);
        int (*begin_write)(struct ledger *l);
        int (*commit)(struct ledger *l);
        void (*rollback)(struct ledger *l);
        void (*close)(struct ledger *l);
};

struct ledger {
        const struct ledger_backend *ops;
        void *db;
        char *error;
        char *origin;
        bool batch; /* inside ledger_batch_begin(): appends share its transaction */
};

void ledger_set_error(struct ledger *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Each returns 0 and fills L->ops and L->db, or -errno with a message in *RET_ERROR. */
int ledger_sqlite_open(struct ledger *l, const char *path, bool create, char **ret_error);
int ledger_postgres_open(struct ledger *l, const char *conninfo, bool create, char **ret_error);
