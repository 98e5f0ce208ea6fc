/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PostgreSQL through libpq, loaded with dlopen() on first use: Debian ships no
 * static libpq that links (its Kerberos/LDAP chain has no .a), and `run` must
 * not pay the dynamic loader for a library it does not need. We compile against
 * libpq-fe.h, so every pointer has the header's exact type.
 */
#include <dlfcn.h>
#include <libpq-fe.h>
#include <pthread.h>

#include "basic/util.h"
#include "ledger/backend.h"

/* Any fixed number: the advisory lock that serializes appenders of one ledger. */
#define APPEND_LOCK_KEY "7239017736351190001"

static struct {
        void *handle;
        __typeof__(PQconnectdb) *connectdb;
        __typeof__(PQstatus) *status;
        __typeof__(PQerrorMessage) *error_message;
        __typeof__(PQfinish) *finish;
        __typeof__(PQexec) *exec;
        __typeof__(PQexecParams) *exec_params;
        __typeof__(PQresultStatus) *result_status;
        __typeof__(PQresultErrorField) *result_error_field;
        __typeof__(PQresultErrorMessage) *result_error_message;
        __typeof__(PQntuples) *ntuples;
        __typeof__(PQnfields) *nfields;
        __typeof__(PQgetvalue) *getvalue;
        __typeof__(PQgetisnull) *getisnull;
        __typeof__(PQclear) *clear;
} pq;

static char *load_error;

static void load_libpq(void) {
        void *h = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                load_error = xstrdup(dlerror());
                return;
        }
#define SYM(field, name)                                                                                               \
        do {                                                                                                           \
                *(void **) &pq.field = dlsym(h, #name);                                                                \
                if (!pq.field) {                                                                                       \
                        load_error = xasprintf("libpq.so.5 lacks %s", #name);                                          \
                        return;                                                                                        \
                }                                                                                                      \
        } while (0)
        SYM(connectdb, PQconnectdb);
        SYM(status, PQstatus);
        SYM(error_message, PQerrorMessage);
        SYM(finish, PQfinish);
        SYM(exec, PQexec);
        SYM(exec_params, PQexecParams);
        SYM(result_status, PQresultStatus);
        SYM(result_error_field, PQresultErrorField);
        SYM(result_error_message, PQresultErrorMessage);
        SYM(ntuples, PQntuples);
        SYM(nfields, PQnfields);
        SYM(getvalue, PQgetvalue);
        SYM(getisnull, PQgetisnull);
        SYM(clear, PQclear);
#undef SYM
        pq.handle = h;
}

static void chomp(char *s) {
        size_t n = strlen(s);
        while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
                s[--n] = 0;
}

/* Serialization failures and deadlocks are retried by the caller, like SQLite's BUSY. */
static int result_errno(struct ledger *l, PGresult *res) {
        const char *state = pq.result_error_field(res, PG_DIAG_SQLSTATE);
        const char *msg = pq.result_error_message(res);
        _cleanup_free_ char *m = xstrdup(msg && *msg ? msg : pq.error_message(l->db));
        chomp(m);
        ledger_set_error(l, "%s", m);
        if (state && (streq(state, "40001") || streq(state, "40P01")))
                return -EAGAIN;
        return -EIO;
}

static int pg_query(struct ledger *l, const char *sql, size_t n, const char *const *params, ledger_row_fn fn,
                    void *userdata) {
        PGresult *res = n ? pq.exec_params(l->db, sql, (int) n, NULL, params, NULL, NULL, 0) : pq.exec(l->db, sql);
        if (!res) {
                _cleanup_free_ char *m = xstrdup(pq.error_message(l->db));
                chomp(m);
                ledger_set_error(l, "%s", m);
                return -EIO;
        }
        ExecStatusType s = pq.result_status(res);
        int r = 0;
        if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
                r = result_errno(l, res);
        else if (fn && s == PGRES_TUPLES_OK) {
                int rows = pq.ntuples(res), nc = pq.nfields(res);
                const char *cols[32];
                if (nc > (int) ELEMENTSOF(cols))
                        nc = (int) ELEMENTSOF(cols);
                for (int i = 0; i < rows && r >= 0; i++) {
                        for (int c = 0; c < nc; c++)
                                cols[c] = pq.getisnull(res, i, c) ? NULL : pq.getvalue(res, i, c);
                        r = fn(userdata, (size_t) nc, cols);
                }
        }
        pq.clear(res);
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
        PGresult *res = pq.exec(l->db, "ROLLBACK");
        pq.clear(res);
}

static void pg_close(struct ledger *l) {
        pq.finish(l->db);
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
        if (!pq.handle) {
                *ret_error = xasprintf("cannot load libpq (%s); install the libpq5 package", load_error);
                return -ELIBACC;
        }
        (void) create; /* the database itself must exist; the tables are created by ledger.c */
        PGconn *c = pq.connectdb(conninfo);
        if (!c || pq.status(c) != CONNECTION_OK) {
                _cleanup_free_ char *m = xstrdup(c ? pq.error_message(c) : "out of memory");
                chomp(m);
                *ret_error = TAKE_PTR(m);
                if (c)
                        pq.finish(c);
                return -ECONNREFUSED;
        }
        l->db = c;
        l->ops = &postgres_backend;
        PGresult *res = pq.exec(c, "SET client_min_messages = warning");
        pq.clear(res);
        return 0;
}
