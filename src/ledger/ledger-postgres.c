/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PostgreSQL through libpq, loaded with dlopen() on first use: Debian ships no
 * static libpq that links (its Kerberos/LDAP chain has no .a), and `run` must
 * not pay the dynamic loader for a library it does not need. We compile against
 * libpq-fe.h, so every pointer has the header's exact type.
 */
#include <libpq-fe.h>
#include <pthread.h>

#include "basic/dl.h"
#include "basic/util.h"
#include "ledger/backend.h"

/* Any fixed number: the advisory lock that serializes appenders of one ledger. */
#define APPEND_LOCK_KEY "7239017736351190001"

static struct {
        DL_FUNC(PQconnectdb);
        DL_FUNC(PQstatus);
        DL_FUNC(PQerrorMessage);
        DL_FUNC(PQfinish);
        DL_FUNC(PQexec);
        DL_FUNC(PQexecParams);
        DL_FUNC(PQresultStatus);
        DL_FUNC(PQresultErrorField);
        DL_FUNC(PQresultErrorMessage);
        DL_FUNC(PQntuples);
        DL_FUNC(PQnfields);
        DL_FUNC(PQgetvalue);
        DL_FUNC(PQgetisnull);
        DL_FUNC(PQclear);
} pq;

static void *pq_handle;
static char *load_error;

static void load_libpq(void) {
        static const struct dl_symbol syms[] = {
                DL_SYMBOL(pq, PQconnectdb),
                DL_SYMBOL(pq, PQstatus),
                DL_SYMBOL(pq, PQerrorMessage),
                DL_SYMBOL(pq, PQfinish),
                DL_SYMBOL(pq, PQexec),
                DL_SYMBOL(pq, PQexecParams),
                DL_SYMBOL(pq, PQresultStatus),
                DL_SYMBOL(pq, PQresultErrorField),
                DL_SYMBOL(pq, PQresultErrorMessage),
                DL_SYMBOL(pq, PQntuples),
                DL_SYMBOL(pq, PQnfields),
                DL_SYMBOL(pq, PQgetvalue),
                DL_SYMBOL(pq, PQgetisnull),
                DL_SYMBOL(pq, PQclear),
        };
        pq_handle = dl_open_symbols("libpq.so.5", "libpq5", syms, ELEMENTSOF(syms), &load_error);
}

static void chomp(char *s) {
        size_t n = strlen(s);
        while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
                s[--n] = 0;
}

/* Serialization failures and deadlocks are retried by the caller, like SQLite's BUSY. */
static int result_errno(struct ledger *l, PGresult *res) {
        const char *state = pq.PQresultErrorField(res, PG_DIAG_SQLSTATE);
        const char *msg = pq.PQresultErrorMessage(res);
        _cleanup_free_ char *m = xstrdup(msg && *msg ? msg : pq.PQerrorMessage(l->db));
        chomp(m);
        ledger_set_error(l, "%s", m);
        if (state && (streq(state, "40001") || streq(state, "40P01")))
                return -EAGAIN;
        return -EIO;
}

static int pg_query(struct ledger *l, const char *sql, size_t n, const char *const *params, ledger_row_fn fn,
                    void *userdata) {
        PGresult *res = n ? pq.PQexecParams(l->db, sql, (int) n, NULL, params, NULL, NULL, 0) : pq.PQexec(l->db, sql);
        if (!res) {
                _cleanup_free_ char *m = xstrdup(pq.PQerrorMessage(l->db));
                chomp(m);
                ledger_set_error(l, "%s", m);
                return -EIO;
        }
        ExecStatusType s = pq.PQresultStatus(res);
        int r = 0;
        if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
                r = result_errno(l, res);
        else if (fn && s == PGRES_TUPLES_OK) {
                int rows = pq.PQntuples(res), nc = pq.PQnfields(res);
                const char *cols[32];
                if (nc > (int) ELEMENTSOF(cols))
                        nc = (int) ELEMENTSOF(cols);
                for (int i = 0; i < rows && r >= 0; i++) {
                        for (int c = 0; c < nc; c++)
                                cols[c] = pq.PQgetisnull(res, i, c) ? NULL : pq.PQgetvalue(res, i, c);
                        r = fn(userdata, (size_t) nc, cols);
                }
        }
        pq.PQclear(res);
        return r < 0 ? r : 0;
}

static int pg_exec(struct ledger *l, const char *sql, size_t n, const char *const *params) {
        return pg_query(l, sql, n, params, NULL, NULL);
}

static int pg_begin_write(struct ledger *l) {
        int r = pg_exec(l, "BEGIN", 0, NULL);
        if (r < 0)
                return r;
        /* Held until COMMIT or ROLLBACK, also when the client dies: the server ends the transaction. */
        r = pg_exec(l, "SELECT pg_advisory_xact_lock(" APPEND_LOCK_KEY ")", 0, NULL);
        if (r < 0)
                (void) pg_exec(l, "ROLLBACK", 0, NULL);
        return r;
}

static int pg_commit(struct ledger *l) {
        return pg_exec(l, "COMMIT", 0, NULL);
}

static void pg_rollback(struct ledger *l) {
        PGresult *res = pq.PQexec(l->db, "ROLLBACK");
        pq.PQclear(res);
}

static void pg_close(struct ledger *l) {
        pq.PQfinish(l->db);
        l->db = NULL;
}

static const struct ledger_backend postgres_backend = {
        .name = "postgresql",
        .exec = pg_exec,
        .query = pg_query,
        .begin_write = pg_begin_write,
        .commit = pg_commit,
        .rollback = pg_rollback,
        .close = pg_close,
};

int ledger_postgres_open(struct ledger *l, const char *conninfo, bool create, char **ret_error) {
        static pthread_once_t once = PTHREAD_ONCE_INIT;
        pthread_once(&once, load_libpq);
        if (!pq_handle) {
                *ret_error = xstrdup(load_error);
                return -ELIBACC;
        }
        (void) create; /* the database itself must exist; the tables are created by ledger.c */
        PGconn *c = pq.PQconnectdb(conninfo);
        if (!c || pq.PQstatus(c) != CONNECTION_OK) {
                _cleanup_free_ char *m = xstrdup(c ? pq.PQerrorMessage(c) : "out of memory");
                chomp(m);
                *ret_error = TAKE_PTR(m);
                if (c)
                        pq.PQfinish(c);
                return -ECONNREFUSED;
        }
        l->db = c;
        l->ops = &postgres_backend;
        PGresult *res = pq.PQexec(c, "SET client_min_messages = warning");
        pq.PQclear(res);
        return 0;
}
