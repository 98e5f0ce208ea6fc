/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The digest cache in SQLite (issue 23): a lookup is one primary-key read of
 * one row, so a check costs what it checks, not what was ever sealed. The
 * rows a command met and the rows it computed are kept in memory (the same
 * open-addressed table serves the memory-only cache), and save writes what
 * changed in one transaction.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sys/stat.h>

#include "basic/size.h"
#include "basic/sqlite-dl.h"
#include "basic/util.h"
#include "crypto/openssl-dl.h"
#include "integrity/cache.h"
#include "integrity/integrity.h"

#define OLD_CACHE_FILE  "digests" /* the single HMAC'd text file before issue 23 */
#define KEY_FILE        "key"
#define KEY_SIZE        32
#define MAC_SIZE        32
#define RACY_NS         1000000000LL
#define TOUCH_AFTER_S   86400 /* last-used is rewritten at most daily: hits stay reads */
#define SWEEP_BATCH     2048  /* rows re-checked by a save that wrote rows */
#define BUSY_TIMEOUT_MS 60000 /* writers wait for each other rather than lose their rows */

/* The columns every row read selects, in this order (row_read()). */
#define ROW_COLUMNS "dev, ino, size, mtime, ctime, btime, digest, path, mac, used"

static const char schema[] =
        "CREATE TABLE IF NOT EXISTS entry(dev INTEGER NOT NULL, ino INTEGER NOT NULL, size INTEGER NOT NULL, "
        "mtime INTEGER NOT NULL, ctime INTEGER NOT NULL, btime INTEGER NOT NULL, digest BLOB NOT NULL, path BLOB, "
        "mac BLOB NOT NULL, used INTEGER NOT NULL, PRIMARY KEY(dev, ino)) WITHOUT ROWID;"
        "CREATE INDEX IF NOT EXISTS entry_used ON entry(used);"
        /* The row count, kept by triggers: count(*) reads the whole table, the cap check must not. */
        "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v INTEGER NOT NULL) WITHOUT ROWID;"
        "INSERT OR IGNORE INTO meta VALUES('entries', 0), ('sweep_dev', -9223372036854775808), "
        "('sweep_ino', -9223372036854775808);"
        "CREATE TRIGGER IF NOT EXISTS entry_ins AFTER INSERT ON entry "
        "BEGIN UPDATE meta SET v = v + 1 WHERE k = 'entries'; END;"
        "CREATE TRIGGER IF NOT EXISTS entry_del AFTER DELETE ON entry "
        "BEGIN UPDATE meta SET v = v - 1 WHERE k = 'entries'; END;";

struct cache_entry {
        struct file_id id;
        uint8_t digest[VERITY_DIGEST_SIZE];
        char *path; /* may be NULL */
        bool dirty; /* to be written at save */
};

/* A row to delete at save: only if it still holds the MAC we saw, so a newer row of another writer stays. */
struct gone_row {
        int64_t dev, ino;
        uint8_t mac[MAC_SIZE];
};

struct row_list {
        struct gone_row *v;
        size_t n, cap;
};

struct digest_cache {
        pthread_mutex_t lock;
        int dir_fd;
        char *dir;
        uint8_t key[KEY_SIZE];
        int64_t opened_ns;
        sqlite3 *db; /* NULL: memory only */
        sqlite3_stmt *get;
        struct cache_entry *v;
        size_t n, cap;
        size_t *table; /* by (dev, ino): index + 1 */
        size_t table_size;
        size_t n_dirty;
        struct row_list gone, touch; /* touch: rows whose last-used is to be set to now */
        struct digest_cache_stats stats;
};

const char *digest_cache_dir(void) {
        const char *e = getenv("BUILDWARD_CACHE_DIR");
        return e && *e ? e : DIGEST_CACHE_DEFAULT_DIR;
}

static uint64_t max_entries(void) {
        uint64_t v;
        const char *e = getenv("BUILDWARD_CACHE_MAX_ENTRIES");
        return e && parse_uint(e, UINT64_MAX, &v) == 0 && v > 0 ? v : DIGEST_CACHE_DEFAULT_MAX;
}

void digest_cache_free(struct digest_cache *c) {
        if (!c)
                return;
        if (c->get)
                sym_sqlite3_finalize(c->get);
        if (c->db)
                sym_sqlite3_close_v2(c->db);
        closep(&c->dir_fd);
        if (sym_OPENSSL_cleanse)
                sym_OPENSSL_cleanse(c->key, sizeof(c->key));
        for (size_t i = 0; i < c->n; i++)
                free(c->v[i].path);
        free(c->v);
        free(c->table);
        free(c->gone.v);
        free(c->touch.v);
        free(c->dir);
        pthread_mutex_destroy(&c->lock);
        free(c);
}

static size_t slot(const struct digest_cache *c, uint64_t dev, uint64_t ino) {
        uint64_t h = (dev * 0x9e3779b97f4a7c15ULL) ^ (ino * 0xc2b2ae3d27d4eb4fULL);
        size_t b = (size_t) (h ^ (h >> 29)) & (c->table_size - 1);
        while (c->table[b] && (c->v[c->table[b] - 1].id.dev != dev || c->v[c->table[b] - 1].id.ino != ino))
                b = (b + 1) & (c->table_size - 1);
        return b;
}

static void rehash(struct digest_cache *c) {
        free(c->table);
        c->table_size = 64;
        while (c->table_size < 2 * c->cap)
                c->table_size *= 2;
        c->table = xcalloc(c->table_size, sizeof(size_t));
        for (size_t i = 0; i < c->n; i++)
                c->table[slot(c, c->v[i].id.dev, c->v[i].id.ino)] = i + 1;
}

/* Inserts or replaces the entry of ID's (dev, ino), taking PATH. Lock held. */
static void insert(struct digest_cache *c, const struct file_id *id, char *path, const uint8_t d[VERITY_DIGEST_SIZE],
                   bool dirty) {
        if (c->n == c->cap) {
                c->cap = c->cap ? 2 * c->cap : 1024;
                c->v = realloc(c->v, c->cap * sizeof(*c->v));
                if (!c->v)
                        abort();
                rehash(c);
        }
        size_t b = slot(c, id->dev, id->ino);
        if (!c->table[b]) {
                c->table[b] = ++c->n;
                c->v[c->n - 1] = (struct cache_entry){};
        }
        struct cache_entry *e = &c->v[c->table[b] - 1];
        if (dirty && !e->dirty)
                c->n_dirty++;
        free(e->path);
        *e = (struct cache_entry){ .id = *id, .path = path, .dirty = dirty || e->dirty };
        memcpy(e->digest, d, VERITY_DIGEST_SIZE);
}

static char *xstrndup(const char *s, size_t n) {
        char *p = xmalloc(n + 1);
        memcpy(p, s, n);
        p[n] = 0;
        return p;
}

static void row_list_add(struct row_list *l, int64_t dev, int64_t ino, const uint8_t mac[MAC_SIZE]) {
        if (l->n == l->cap) {
                l->cap = l->cap ? 2 * l->cap : 64;
                l->v = realloc(l->v, l->cap * sizeof(*l->v));
                if (!l->v)
                        abort();
        }
        l->v[l->n] = (struct gone_row){ dev, ino };
        if (mac)
                memcpy(l->v[l->n].mac, mac, MAC_SIZE);
        l->n++;
}

/* FD must be ours; a file must also be mode 0600 with one link, a directory closed to others' writes. */
static int check_owned(int fd, bool dir, const char *what, char **ret_why) {
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        const char *bad = NULL;
        if (st.st_uid != geteuid())
                bad = "is owned by another user";
        else if (dir && !S_ISDIR(st.st_mode))
                bad = "is not a directory";
        else if (dir && (st.st_mode & 022))
                bad = "is writable by group or others";
        else if (!dir && !S_ISREG(st.st_mode))
                bad = "is not a regular file";
        else if (!dir && (st.st_mode & 07777) != 0600)
                bad = "is not mode 0600";
        else if (!dir && st.st_nlink != 1)
                bad = "has more than one hard link";
        if (!bad)
                return 0;
        if (ret_why)
                *ret_why = xasprintf("'%s' %s (uid %u, mode %04o)", what, bad, (unsigned) st.st_uid,
                                     (unsigned) (st.st_mode & 07777));
        return -EPERM;
}

/* FD, just opened with O_NOFOLLOW for the file WHAT, is usable: -errno (-EPERM for a symlink), or check_owned(). */
static int opened_owned(int fd, const char *what, char **ret_why) {
        if (fd < 0) {
                if (errno == ELOOP && ret_why)
                        *ret_why = xasprintf("'%s' is a symlink", what);
                return errno == ELOOP ? -EPERM : -errno;
        }
        return check_owned(fd, false, what, ret_why);
}

static int load_key(struct digest_cache *c, const char *dir, char **ret_why) {
        _cleanup_free_ char *what = xasprintf("%s/" KEY_FILE, dir);
        _cleanup_close_ int fd = openat(c->dir_fd, KEY_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 && errno == ENOENT) {
                /* First use: a new random key. O_EXCL: a racing creator wins, and we read its key. */
                uint8_t k[KEY_SIZE];
                if (sym_RAND_bytes(k, sizeof(k)) != 1)
                        return -EIO;
                _cleanup_close_ int w =
                        openat(c->dir_fd, KEY_FILE, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (w >= 0) {
                        int r = fchmod(w, 0600) < 0 ? -errno : loop_write(w, k, sizeof(k));
                        sym_OPENSSL_cleanse(k, sizeof(k));
                        if (r < 0 || fsync(w) < 0) {
                                (void) unlinkat(c->dir_fd, KEY_FILE, 0);
                                return r < 0 ? r : -errno;
                        }
                } else if (errno != EEXIST)
                        return -errno;
                fd = openat(c->dir_fd, KEY_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
        }
        int r = opened_owned(fd, what, ret_why);
        if (r < 0)
                return r;
        r = loop_read_exact(fd, c->key, sizeof(c->key));
        if (r == -EPIPE) {
                if (ret_why)
                        *ret_why = xasprintf("'%s' is shorter than %d bytes", what, KEY_SIZE);
                return -EPERM;
        }
        return r;
}

/*
 * The MAC of a row: HMAC-SHA256 under DIR/key of dev, ino, size, mtime, ctime,
 * btime (8 bytes little-endian each), the digest, then the path's bytes. The
 * layout is fixed: bench/cache.sh writes synthetic rows with the same recipe.
 */
static void row_mac(const struct digest_cache *c, const struct file_id *id, const uint8_t d[VERITY_DIGEST_SIZE],
                    const char *path, size_t path_len, uint8_t out[MAC_SIZE]) {
        uint8_t fixed[6 * 8 + VERITY_DIGEST_SIZE];
        const uint64_t f[6] = {
                id->dev, id->ino, id->size, (uint64_t) id->mtime_ns, (uint64_t) id->ctime_ns, (uint64_t) id->btime_ns
        };
        for (unsigned i = 0; i < 6; i++)
                for (unsigned j = 0; j < 8; j++)
                        fixed[8 * i + j] = (uint8_t) (f[i] >> (8 * j));
        memcpy(fixed + 48, d, VERITY_DIGEST_SIZE);
        _cleanup_free_ uint8_t *msg = xmalloc(sizeof(fixed) + path_len);
        memcpy(msg, fixed, sizeof(fixed));
        if (path_len)
                memcpy(msg + sizeof(fixed), path, path_len);
        unsigned len = MAC_SIZE;
        sym_HMAC(sym_EVP_sha256(), c->key, sizeof(c->key), msg, sizeof(fixed) + path_len, out, &len);
}

/* A row as selected by ROW_COLUMNS, its MAC checked. */
struct row {
        struct file_id id;
        uint8_t digest[VERITY_DIGEST_SIZE];
        uint8_t mac[MAC_SIZE];
        const char *path; /* not NUL-terminated; valid until the next step */
        size_t path_len;
        bool mac_ok;
};

static void row_read(const struct digest_cache *c, sqlite3_stmt *st, struct row *ret) {
        *ret = (struct row){ .id = { (uint64_t) sym_sqlite3_column_int64(st, 0),
                                     (uint64_t) sym_sqlite3_column_int64(st, 1),
                                     (uint64_t) sym_sqlite3_column_int64(st, 2), sym_sqlite3_column_int64(st, 3),
                                     sym_sqlite3_column_int64(st, 4), sym_sqlite3_column_int64(st, 5) } };
        const void *d = sym_sqlite3_column_blob(st, 6);
        int dn = sym_sqlite3_column_bytes(st, 6);
        ret->path = sym_sqlite3_column_blob(st, 7);
        ret->path_len = (size_t) sym_sqlite3_column_bytes(st, 7);
        const void *m = sym_sqlite3_column_blob(st, 8);
        int mn = sym_sqlite3_column_bytes(st, 8);
        if (!d || dn != VERITY_DIGEST_SIZE || !m || mn != MAC_SIZE)
                return; /* mac_ok false: dropped like a forged row */
        memcpy(ret->digest, d, VERITY_DIGEST_SIZE);
        memcpy(ret->mac, m, MAC_SIZE);
        uint8_t want[MAC_SIZE];
        row_mac(c, &ret->id, ret->digest, ret->path, ret->path_len, want);
        ret->mac_ok = sym_CRYPTO_memcmp(want, ret->mac, MAC_SIZE) == 0;
}

static int sql_error(int rc) {
        return rc == SQLITE_BUSY || rc == SQLITE_LOCKED                            ? -EAGAIN
               : rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB || rc == SQLITE_ERROR ? -EBADMSG
                                                                                   : -EIO;
}

static int exec(struct digest_cache *c, const char *sql) {
        int rc = sym_sqlite3_exec(c->db, sql, NULL, NULL, NULL);
        return rc == SQLITE_OK ? 0 : sql_error(rc);
}

static int prepare(struct digest_cache *c, const char *sql, sqlite3_stmt **ret) {
        int rc = sym_sqlite3_prepare_v2(c->db, sql, -1, ret, NULL);
        return rc == SQLITE_OK ? 0 : sql_error(rc);
}

/* Runs ST (bound) to completion and resets it. */
static int step_done(sqlite3_stmt *st) {
        int rc = sym_sqlite3_step(st);
        sym_sqlite3_reset(st);
        return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : sql_error(rc);
}

static void unlink_db(int dir_fd) {
        (void) unlinkat(dir_fd, DIGEST_CACHE_FILE, 0);
        (void) unlinkat(dir_fd, DIGEST_CACHE_FILE "-wal", 0);
        (void) unlinkat(dir_fd, DIGEST_CACHE_FILE "-shm", 0);
}

/*
 * Creates DIR/digests.db 0600 if missing and checks it is ours before SQLite
 * opens it by name (DIR is ours and closed to others: the name cannot be
 * swapped in between). SQLite gives its -wal and -shm files the same owner and mode.
 */
static int open_db(struct digest_cache *c, char **ret_why) {
        _cleanup_free_ char *path = xasprintf("%s/" DIGEST_CACHE_FILE, c->dir);
        _cleanup_close_ int fd =
                openat(c->dir_fd, DIGEST_CACHE_FILE, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
        int r = opened_owned(fd, path, ret_why);
        if (r < 0)
                return r;
        /*
         * Closed before SQLite opens the file: closing any descriptor of a file
         * drops every POSIX lock the process holds on it, and without its lock
         * on the database another process's last close would take the WAL
         * away from under our connection (its commits lost).
         */
        closep(&fd);
        fd = -EBADF;
        int rc = sym_sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
        if (rc == SQLITE_OK) {
                sym_sqlite3_busy_timeout(c->db, BUSY_TIMEOUT_MS);
                /*
                 * WAL: readers never wait for a writer and see whole transactions.
                 * synchronous=NORMAL: a power cut may lose the last save, which
                 * only costs hashing those files again; it cannot tear a row.
                 */
                rc = sym_sqlite3_exec(c->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", NULL, NULL, NULL);
        }
        if (rc == SQLITE_OK)
                rc = sym_sqlite3_exec(c->db, schema, NULL, NULL, NULL);
        if (rc == SQLITE_OK)
                rc = sym_sqlite3_prepare_v2(c->db, "SELECT " ROW_COLUMNS " FROM entry WHERE dev = ?1 AND ino = ?2", -1,
                                            &c->get, NULL);
        if (rc == SQLITE_OK)
                return 0;
        r = sql_error(rc);
        if (ret_why)
                *ret_why = r == -EBADMSG ? xasprintf("'%s' is not a digest cache database (%s)", path,
                                                     c->db ? sym_sqlite3_errmsg(c->db) : sym_sqlite3_errstr(rc))
                                         : xasprintf("cannot open '%s' (%s)", path,
                                                     c->db ? sym_sqlite3_errmsg(c->db) : sym_sqlite3_errstr(rc));
        return r;
}

int digest_cache_open(const char *dir, unsigned flags, struct digest_cache **ret, char **ret_why) {
        int r = dlopen_libcrypto();
        if (r < 0 || (r = dlopen_sqlite(ret_why)) < 0)
                return r;
        if (!dir)
                dir = digest_cache_dir();
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return -errno;
        struct digest_cache *c = xcalloc(1, sizeof(*c));
        _cleanup_(digest_cache_freep) struct digest_cache *cleanup = c;
        pthread_mutex_init(&c->lock, NULL);
        c->dir = xstrdup(dir);
        c->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (c->dir_fd < 0) {
                if ((errno == ELOOP || errno == ENOTDIR) && ret_why)
                        *ret_why = xasprintf("'%s' is not a directory", dir);
                return errno == ELOOP || errno == ENOTDIR ? -EPERM : -errno;
        }
        r = check_owned(c->dir_fd, true, dir, ret_why);
        if (r < 0 || (r = load_key(c, dir, ret_why)) < 0)
                return r;
        c->opened_ns = (int64_t) now_usec(CLOCK_REALTIME) * 1000;
        rehash(c);
        (void) unlinkat(c->dir_fd, OLD_CACHE_FILE, 0); /* read whole by every command: superseded */
        if (flags & DIGEST_CACHE_FRESH)
                unlink_db(c->dir_fd);
        if ((r = open_db(c, ret_why)) < 0)
                return r;
        *ret = TAKE_PTR(cleanup);
        return 0;
}

struct digest_cache *digest_cache_new_memory(void) {
        struct digest_cache *c = xcalloc(1, sizeof(*c));
        pthread_mutex_init(&c->lock, NULL);
        c->dir_fd = -EBADF;
        c->opened_ns = (int64_t) now_usec(CLOCK_REALTIME) * 1000;
        rehash(c);
        return c;
}

bool digest_cache_is_memory(const struct digest_cache *c) {
        return !c->db;
}

static bool same_version(const struct file_id *a, const struct file_id *b) {
        return a->size == b->size && a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns &&
               a->btime_ns == b->btime_ns;
}

/*
 * One primary-key read. A row that fails its MAC, or describes another version
 * of the file (it changed since), is dropped at save; a hit is kept in memory
 * and its last-used time refreshed when older than a day. Lock held.
 */
static bool lookup_db(struct digest_cache *c, const struct file_id *id, uint8_t ret[VERITY_DIGEST_SIZE]) {
        c->stats.queries++;
        sym_sqlite3_bind_int64(c->get, 1, (int64_t) id->dev);
        sym_sqlite3_bind_int64(c->get, 2, (int64_t) id->ino);
        bool hit = false;
        if (sym_sqlite3_step(c->get) == SQLITE_ROW) {
                struct row row;
                c->stats.rows_read++;
                row_read(c, c->get, &row);
                if (!row.mac_ok)
                        c->stats.refused++;
                hit = row.mac_ok && same_version(&row.id, id);
                if (!hit)
                        row_list_add(&c->gone, (int64_t) id->dev, (int64_t) id->ino, row.mac);
                else {
                        memcpy(ret, row.digest, VERITY_DIGEST_SIZE);
                        char *path = row.path_len ? xstrndup(row.path, row.path_len) : NULL;
                        insert(c, id, path, row.digest, false);
                        if (sym_sqlite3_column_int64(c->get, 9) <
                            (int64_t) (now_usec(CLOCK_REALTIME) / 1000000) - TOUCH_AFTER_S)
                                row_list_add(&c->touch, (int64_t) id->dev, (int64_t) id->ino, NULL);
                }
        }
        sym_sqlite3_reset(c->get);
        return hit;
}

bool digest_cache_lookup(struct digest_cache *c, const struct file_id *id, uint8_t ret[VERITY_DIGEST_SIZE]) {
        pthread_mutex_lock(&c->lock);
        size_t b = slot(c, id->dev, id->ino);
        const struct cache_entry *e = c->table[b] ? &c->v[c->table[b] - 1] : NULL;
        bool hit;
        if (e) {
                hit = same_version(&e->id, id);
                if (hit)
                        memcpy(ret, e->digest, VERITY_DIGEST_SIZE);
        } else
                hit = c->db && lookup_db(c, id, ret);
        pthread_mutex_unlock(&c->lock);
        return hit;
}

void digest_cache_put(struct digest_cache *c, const struct file_id *id, const char *path,
                      const uint8_t d[VERITY_DIGEST_SIZE]) {
        if (id->ctime_ns > c->opened_ns - RACY_NS)
                return;
        pthread_mutex_lock(&c->lock);
        insert(c, id, path && c->db ? xstrdup(path) : NULL, d, c->db != NULL);
        pthread_mutex_unlock(&c->lock);
}

void digest_cache_get_stats(struct digest_cache *c, struct digest_cache_stats *ret) {
        pthread_mutex_lock(&c->lock);
        *ret = c->stats;
        pthread_mutex_unlock(&c->lock);
}

/* PATH still names the version of the file the row describes. */
static bool row_alive(const struct row *row) {
        if (!row->path_len)
                return true; /* nothing to check: left to the cap */
        _cleanup_free_ char *path = xstrndup(row->path, row->path_len);
        struct statx sx;
        struct file_id now;
        if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_BASIC_STATS | STATX_BTIME, &sx) < 0)
                return false;
        file_id_from_statx(&sx, &now);
        return S_ISREG(sx.stx_mode) && now.dev == row->id.dev && now.ino == row->id.ino && same_version(&now, &row->id);
}

/*
 * Reads up to LIMIT rows after the key (*DEV, *INO) in key order, advancing
 * it; a dead or refused row goes to GONE, and INFO (may be NULL) counts them.
 * Returns the rows read or -errno. No transaction: the rows are deleted later
 * only if they still hold the MAC seen here.
 */
static int scan_rows(struct digest_cache *c, int64_t *dev, int64_t *ino, size_t limit, struct row_list *gone,
                     struct digest_cache_info *info) {
        sqlite3_stmt *st = NULL;
        int r = prepare(c, "SELECT " ROW_COLUMNS " FROM entry WHERE (dev, ino) > (?1, ?2) ORDER BY dev, ino LIMIT ?3",
                        &st);
        if (r < 0)
                return r;
        sym_sqlite3_bind_int64(st, 1, *dev);
        sym_sqlite3_bind_int64(st, 2, *ino);
        sym_sqlite3_bind_int64(st, 3, (int64_t) limit);
        int n = 0, rc;
        while ((rc = sym_sqlite3_step(st)) == SQLITE_ROW) {
                struct row row;
                row_read(c, st, &row);
                *dev = (int64_t) row.id.dev;
                *ino = (int64_t) row.id.ino;
                n++;
                bool alive = row.mac_ok && row_alive(&row);
                if (!alive)
                        row_list_add(gone, *dev, *ino, row.mac);
                if (info) {
                        info->entries++;
                        info->live += alive;
                        info->dead += !alive;
                        info->no_path += alive && !row.path_len;
                }
        }
        sym_sqlite3_finalize(st);
        return rc == SQLITE_DONE ? n : sql_error(rc);
}

/* Deletes each row of L that still holds the MAC seen. In a write transaction. */
static int delete_rows(struct digest_cache *c, const struct row_list *l) {
        sqlite3_stmt *st = NULL;
        int r = prepare(c, "DELETE FROM entry WHERE dev = ?1 AND ino = ?2 AND mac = ?3", &st);
        for (size_t i = 0; r == 0 && i < l->n; i++) {
                sym_sqlite3_bind_int64(st, 1, l->v[i].dev);
                sym_sqlite3_bind_int64(st, 2, l->v[i].ino);
                sym_sqlite3_bind_blob(st, 3, l->v[i].mac, MAC_SIZE, SQLITE_STATIC);
                r = step_done(st);
                if (r == 0)
                        c->stats.dropped += (uint64_t) sym_sqlite3_changes(c->db);
        }
        sym_sqlite3_finalize(st);
        return r;
}

/* Writes the dirty entries, last used now. In a write transaction. */
static int write_rows(struct digest_cache *c, int64_t now_s) {
        sqlite3_stmt *st = NULL;
        int r = prepare(c,
                        "INSERT INTO entry(" ROW_COLUMNS ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
                        "ON CONFLICT(dev, ino) DO UPDATE SET size = excluded.size, mtime = excluded.mtime, "
                        "ctime = excluded.ctime, btime = excluded.btime, digest = excluded.digest, "
                        "path = excluded.path, mac = excluded.mac, used = excluded.used",
                        &st);
        for (size_t i = 0; r == 0 && i < c->n; i++) {
                const struct cache_entry *e = &c->v[i];
                if (!e->dirty)
                        continue;
                size_t path_len = e->path ? strlen(e->path) : 0;
                uint8_t mac[MAC_SIZE];
                row_mac(c, &e->id, e->digest, e->path, path_len, mac);
                const int64_t f[6] = { (int64_t) e->id.dev, (int64_t) e->id.ino, (int64_t) e->id.size,
                                       e->id.mtime_ns,      e->id.ctime_ns,      e->id.btime_ns };
                for (int j = 0; j < 6; j++)
                        sym_sqlite3_bind_int64(st, j + 1, f[j]);
                sym_sqlite3_bind_blob(st, 7, e->digest, VERITY_DIGEST_SIZE, SQLITE_STATIC);
                if (path_len)
                        sym_sqlite3_bind_blob(st, 8, e->path, (int) path_len, SQLITE_STATIC);
                else
                        sym_sqlite3_bind_null(st, 8);
                sym_sqlite3_bind_blob(st, 9, mac, MAC_SIZE, SQLITE_TRANSIENT);
                sym_sqlite3_bind_int64(st, 10, now_s);
                r = step_done(st);
                c->stats.written += r == 0;
        }
        sym_sqlite3_finalize(st);
        return r;
}

/* Sets last-used to now for the rows hit whose time was older than TOUCH_AFTER_S. In a write transaction. */
static int touch_rows(struct digest_cache *c, int64_t now_s) {
        sqlite3_stmt *st = NULL;
        int r = prepare(c, "UPDATE entry SET used = ?3 WHERE dev = ?1 AND ino = ?2", &st);
        for (size_t i = 0; r == 0 && i < c->touch.n; i++) {
                sym_sqlite3_bind_int64(st, 1, c->touch.v[i].dev);
                sym_sqlite3_bind_int64(st, 2, c->touch.v[i].ino);
                sym_sqlite3_bind_int64(st, 3, now_s);
                r = step_done(st);
        }
        sym_sqlite3_finalize(st);
        return r;
}

/* A single integer of a one-row query (0 when there is no row). */
static int query_int(struct digest_cache *c, const char *sql, int64_t *ret) {
        sqlite3_stmt *st = NULL;
        int r = prepare(c, sql, &st);
        if (r < 0)
                return r;
        int rc = sym_sqlite3_step(st);
        *ret = rc == SQLITE_ROW ? sym_sqlite3_column_int64(st, 0) : 0;
        sym_sqlite3_finalize(st);
        return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sql_error(rc);
}

static int set_meta(struct digest_cache *c, const char *k, int64_t v) {
        sqlite3_stmt *st = NULL;
        int r = prepare(c, "UPDATE meta SET v = ?2 WHERE k = ?1", &st);
        if (r < 0)
                return r;
        sym_sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
        sym_sqlite3_bind_int64(st, 2, v);
        r = step_done(st);
        sym_sqlite3_finalize(st);
        return r;
}

/* Past the cap, the least recently used rows go. In a write transaction. */
static int enforce_cap(struct digest_cache *c) {
        int64_t n;
        int r = query_int(c, "SELECT v FROM meta WHERE k = 'entries'", &n);
        uint64_t max = max_entries();
        if (r < 0 || n <= 0 || (uint64_t) n <= max)
                return r;
        sqlite3_stmt *st = NULL;
        r = prepare(c, "DELETE FROM entry WHERE (dev, ino) IN (SELECT dev, ino FROM entry ORDER BY used LIMIT ?1)",
                    &st);
        if (r < 0)
                return r;
        sym_sqlite3_bind_int64(st, 1, n - (int64_t) max);
        r = step_done(st);
        if (r == 0)
                c->stats.evicted += (uint64_t) sym_sqlite3_changes(c->db);
        sym_sqlite3_finalize(st);
        return r;
}

/* Runs the steps of a save in one IMMEDIATE transaction: two writers queue, neither loses rows. Lock held. */
static int save_locked(struct digest_cache *c, bool sweep, int64_t sweep_dev, int64_t sweep_ino) {
        int64_t now_s = (int64_t) (now_usec(CLOCK_REALTIME) / 1000000);
        int r = exec(c, "BEGIN IMMEDIATE");
        if (r < 0)
                return r;
        /* Deletes first: a stale row met and then hashed again is replaced, not deleted after. */
        if ((r = delete_rows(c, &c->gone)) < 0 || (r = write_rows(c, now_s)) < 0 || (r = touch_rows(c, now_s)) < 0)
                goto fail;
        if (sweep && ((r = set_meta(c, "sweep_dev", sweep_dev)) < 0 || (r = set_meta(c, "sweep_ino", sweep_ino)) < 0 ||
                      (r = enforce_cap(c)) < 0))
                goto fail;
        if ((r = exec(c, "COMMIT")) < 0)
                goto fail;
        return 0;
fail:
        (void) exec(c, "ROLLBACK");
        return r;
}

int digest_cache_save(struct digest_cache *c) {
        if (!c->db) /* memory only */
                return 0;
        pthread_mutex_lock(&c->lock);
        int r = 0;
        if (!c->n_dirty && !c->gone.n && !c->touch.n)
                goto done;
        /*
         * A save that wrote rows also re-checks the next slice of the others, in
         * key order from where the last one stopped (wrapping around): the rows
         * of deleted trees go without anyone looking them up. statx() runs
         * before the write lock is taken.
         */
        bool sweep = c->n_dirty > 0;
        int64_t dev = INT64_MIN, ino = INT64_MIN;
        if (sweep) {
                if ((r = query_int(c, "SELECT v FROM meta WHERE k = 'sweep_dev'", &dev)) < 0 ||
                    (r = query_int(c, "SELECT v FROM meta WHERE k = 'sweep_ino'", &ino)) < 0 ||
                    (r = scan_rows(c, &dev, &ino, SWEEP_BATCH, &c->gone, NULL)) < 0)
                        goto done;
                if (r < SWEEP_BATCH)
                        dev = ino = INT64_MIN; /* the end: start over next time */
        }
        r = save_locked(c, sweep, dev, ino);
        if (r == 0) {
                for (size_t i = 0; i < c->n; i++)
                        c->v[i].dirty = false;
                c->n_dirty = 0;
                c->gone.n = c->touch.n = 0;
        }
done:
        pthread_mutex_unlock(&c->lock);
        return r < 0 ? r : 0;
}

int digest_cache_inspect(struct digest_cache *c, bool cleanup, struct digest_cache_info *ret) {
        if (!c->db)
                return -EINVAL;
        struct digest_cache_info info = {};
        struct stat st;
        if (fstatat(c->dir_fd, DIGEST_CACHE_FILE, &st, AT_SYMLINK_NOFOLLOW) == 0)
                info.file_size += (uint64_t) st.st_size;
        if (fstatat(c->dir_fd, DIGEST_CACHE_FILE "-wal", &st, AT_SYMLINK_NOFOLLOW) == 0)
                info.file_size += (uint64_t) st.st_size;
        pthread_mutex_lock(&c->lock);
        struct row_list gone = {};
        int64_t dev = INT64_MIN, ino = INT64_MIN;
        int r;
        while ((r = scan_rows(c, &dev, &ino, 4096, &gone, &info)) == 4096)
                ;
        if (r >= 0 && cleanup && gone.n) {
                r = exec(c, "BEGIN IMMEDIATE");
                if (r == 0 && (r = delete_rows(c, &gone)) == 0)
                        r = exec(c, "COMMIT");
                if (r < 0)
                        (void) exec(c, "ROLLBACK");
        }
        pthread_mutex_unlock(&c->lock);
        free(gone.v);
        if (r < 0)
                return r;
        *ret = info;
        return 0;
}
