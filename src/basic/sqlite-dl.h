/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * SQLite, loaded with dlopen() on first use by the ledger and the digest cache:
 * `run` without --ledger, --sign-key or --toolchain never maps it (nor libm,
 * which it needs). Compiled against sqlite3.h only; each function is called
 * through sym_NAME, a pointer of the header's own type (basic/dl.h).
 */
#include <sqlite3.h>

#define SQLITE_SYMBOLS(X)                                                                                              \
        X(sqlite3_bind_blob)                                                                                           \
        X(sqlite3_bind_int64)                                                                                          \
        X(sqlite3_bind_null)                                                                                           \
        X(sqlite3_bind_parameter_index)                                                                                \
        X(sqlite3_bind_text)                                                                                           \
        X(sqlite3_busy_timeout)                                                                                        \
        X(sqlite3_changes)                                                                                             \
        X(sqlite3_close_v2)                                                                                            \
        X(sqlite3_column_blob)                                                                                         \
        X(sqlite3_column_bytes)                                                                                        \
        X(sqlite3_column_count)                                                                                        \
        X(sqlite3_column_int64)                                                                                        \
        X(sqlite3_column_text)                                                                                         \
        X(sqlite3_errmsg)                                                                                              \
        X(sqlite3_errstr)                                                                                              \
        X(sqlite3_exec)                                                                                                \
        X(sqlite3_finalize)                                                                                            \
        X(sqlite3_free)                                                                                                \
        X(sqlite3_open_v2)                                                                                             \
        X(sqlite3_prepare_v2)                                                                                          \
        X(sqlite3_reset)                                                                                               \
        X(sqlite3_step)

#define SQLITE_DECLARE(name) extern __typeof__(name) *sym_##name;
SQLITE_SYMBOLS(SQLITE_DECLARE)
#undef SQLITE_DECLARE

/*
 * Loads libsqlite3.so.0 and sets every sym_ pointer: once per process, safe
 * from any thread. 0, or -ELIBACC with *RET_ERROR (when not NULL; the caller
 * frees it) naming the library, the cause and the Debian package to install.
 */
int dlopen_sqlite(char **ret_error);
