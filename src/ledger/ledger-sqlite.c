/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SQLite, loaded with dlopen() the first time a ledger is opened: `run` without
 * --ledger or --sign-key never touches it, and linking it (statically, as
 * before) cost every start the relocation of its tables and libm.
 */
#include <sys/stat.h>

#include "basic/sqlite-dl.h"
#include "basic/util.h"
#include "ledger/backend.h"

/* Appenders from many processes wait for each other rather than fail. */
#define BUSY_TIMEOUT_MS 60000

static int fail(struct ledger *l, int rc) {
        ledger_set_error(l, "%s", sym_sqlite3_errmsg(l->db));
        return rc == SQLITE_BUSY || rc == SQLITE_LOCKED      ? -EAGAIN
               : rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB ? -EUCLEAN
                                                             : -EIO;
}

static int prepare(struct ledger *l, const char *sql, size_t n, const char *const *params, sqlite3_stmt **ret) {
        sqlite3_stmt *st = NULL;
        int rc = sym_sqlite3_prepare_v2(l->db, sql, -1, &st, NULL);
        if (rc != SQLITE_OK)
                return fail(l, rc);
        for (size_t i = 0; i < n; i++) {
                char name[24];
                snprintf(name, sizeof(name), "$%zu", i + 1);
                int idx = sym_sqlite3_bind_parameter_index(st, name);
                if (idx == 0)
                        continue; /* a parameter the statement does not use */
                rc = params[i] ? sym_sqlite3_bind_text(st, idx, params[i], -1, SQLITE_STATIC)
                               : sym_sqlite3_bind_null(st, idx);
                if (rc != SQLITE_OK) {
                        sym_sqlite3_finalize(st);
                        return fail(l, rc);
                }
        }
        *ret = st;
        return 0;
}

static int sq_query(struct ledger *l, const char *sql, size_t n, const char *const *params, ledger_row_fn fn,
                    void *userdata) {
        sqlite3_stmt *st = NULL;
        int r = prepare(l, sql, n, params, &st);
        if (r < 0)
                return r;
        for (;;) {
                int rc = sym_sqlite3_step(st);
                if (rc == SQLITE_DONE)
                        break;
                if (rc != SQLITE_ROW) {
                        r = fail(l, rc);
                        break;
                }
                if (!fn)
                        continue;
                size_t nc = (size_t) sym_sqlite3_column_count(st);
                const char *cols[32];
                if (nc > ELEMENTSOF(cols))
                        nc = ELEMENTSOF(cols);
                for (size_t i = 0; i < nc; i++)
                        cols[i] = (const char *) sym_sqlite3_column_text(st, (int) i);
                if ((r = fn(userdata, nc, cols)) < 0)
                        break;
        }
        sym_sqlite3_finalize(st);
        return r < 0 ? r : 0;
}

static int sq_exec(struct ledger *l, const char *sql, size_t n, const char *const *params) {
        if (n == 0 && strchr(sql, ';')) {
                /* several statements (the schema) */
                char *msg = NULL;
                int rc = sym_sqlite3_exec(l->db, sql, NULL, NULL, &msg);
                if (rc != SQLITE_OK) {
                        ledger_set_error(l, "%s", msg ? msg : sym_sqlite3_errstr(rc));
                        sym_sqlite3_free(msg);
                        return rc == SQLITE_BUSY ? -EAGAIN : -EIO;
                }
                return 0;
        }
        return sq_query(l, sql, n, params, NULL, NULL);
}

static int sq_begin_write(struct ledger *l) {
        /* IMMEDIATE takes the write lock now: two appenders never both read the same tail. */
        return sq_exec(l, "BEGIN IMMEDIATE", 0, NULL);
}

static int sq_commit(struct ledger *l) {
        return sq_exec(l, "COMMIT", 0, NULL);
}

static void sq_rollback(struct ledger *l) {
        (void) sym_sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
}

static void sq_close(struct ledger *l) {
        sym_sqlite3_close_v2(l->db);
        l->db = NULL;
}

static const struct ledger_backend sqlite_backend = {
        .name = "sqlite",
        .exec = sq_exec,
        .query = sq_query,
        .begin_write = sq_begin_write,
        .commit = sq_commit,
        .rollback = sq_rollback,
        .close = sq_close,
};

int ledger_sqlite_open(struct ledger *l, const char *path, bool create, char **ret_error) {
        int r = dlopen_sqlite(ret_error);
        if (r < 0)
                return r;
        struct stat st;
        if (!*path) {
                *ret_error = xstrdup("empty path");
                return -EINVAL;
        }
        if (stat(path, &st) < 0) {
                if (errno != ENOENT || !create) {
                        int e = errno;
                        *ret_error = xasprintf("%s", strerror(e));
                        return -e;
                }
                _cleanup_free_ char *dir = xstrdup(path);
                char *slash = strrchr(dir, '/');
                if (slash && slash != dir) {
                        *slash = 0;
                        r = mkdir_p(dir, 0755);
                        if (r < 0) {
                                *ret_error = xasprintf("cannot create '%s': %s", dir, strerror(-r));
                                return r;
                        }
                }
        }
        sqlite3 *db = NULL;
        int rc = sym_sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0), NULL);
        if (rc != SQLITE_OK) {
                *ret_error = xstrdup(db ? sym_sqlite3_errmsg(db) : sym_sqlite3_errstr(rc));
                sym_sqlite3_close_v2(db);
                return -EIO;
        }
        sym_sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
        l->db = db;
        l->ops = &sqlite_backend;
        /*
         * WAL: a crashed appender leaves its transaction uncommitted, readers never
         * block the writer. synchronous=FULL: a committed entry survives power loss too.
         */
        char *msg = NULL;
        rc = sym_sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", NULL, NULL, &msg);
        if (rc != SQLITE_OK) {
                *ret_error = xstrdup(msg ? msg : sym_sqlite3_errstr(rc));
                sym_sqlite3_free(msg);
                sq_close(l);
                return rc == SQLITE_NOTADB ? -EUCLEAN : -EIO;
        }
        return 0;
}
