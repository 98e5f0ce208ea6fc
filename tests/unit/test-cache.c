/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The digest cache's store (issue 23): a lookup reads the rows it needs and no
 * more, a tampered row is refused, stale and dead rows go, the cap evicts the
 * least recently used, two writers keep each other's rows. No root: the cache
 * directory is a scratch directory of ours; the database is edited directly
 * with SQLite where a test plays the attacker or the calendar.
 */
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "integrity/integrity.h"
#include "test-fs.h"

#define OLD_NS (1000000000LL * 1600000000) /* long before any test: never "racily clean" */

static struct file_id synthetic(uint64_t ino) {
        return (struct file_id){ .dev = 7, .ino = ino, .size = ino * 3, .mtime_ns = OLD_NS, .ctime_ns = OLD_NS };
}

static void digest_of(uint64_t ino, uint8_t d[VERITY_DIGEST_SIZE]) {
        memset(d, (int) (ino & 0xff), VERITY_DIGEST_SIZE);
}

/* Opens CDIR, puts synthetic entries FIRST..FIRST+N (no path: never swept), saves. */
static void put_synthetic(const char *cdir, uint64_t first, uint64_t n) {
        struct digest_cache *c = NULL;
        ASSERT_EQ_INT(digest_cache_open(cdir, 0, &c, NULL), 0);
        for (uint64_t i = first; c && i < first + n; i++) {
                struct file_id id = synthetic(i);
                uint8_t d[VERITY_DIGEST_SIZE];
                digest_of(i, d);
                digest_cache_put(c, &id, NULL, d);
        }
        ASSERT_EQ_INT(c ? digest_cache_save(c) : -1, 0);
        digest_cache_free(c);
}

static bool has(struct digest_cache *c, uint64_t ino) {
        struct file_id id = synthetic(ino);
        uint8_t d[VERITY_DIGEST_SIZE], want[VERITY_DIGEST_SIZE];
        digest_of(ino, want);
        return digest_cache_lookup(c, &id, d) && memcmp(d, want, sizeof(d)) == 0;
}

/* Runs SQL on CDIR's database, as an attacker or a test's clock would. */
static void sql(const char *cdir, const char *statement) {
        _cleanup_free_ char *path = xasprintf("%s/" DIGEST_CACHE_FILE, cdir);
        sqlite3 *db = NULL;
        ASSERT_EQ_INT(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
        ASSERT_EQ_INT(sqlite3_exec(db, statement, NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close_v2(db);
}

static uint64_t entries(const char *cdir) {
        struct digest_cache *c = NULL;
        struct digest_cache_info info = {};
        ASSERT_EQ_INT(digest_cache_open(cdir, 0, &c, NULL), 0);
        ASSERT_EQ_INT(c ? digest_cache_inspect(c, false, &info) : -1, 0);
        digest_cache_free(c);
        return info.entries;
}

TEST(round_trip_reads_only_the_rows_looked_up) {
        char *dir = tmpdir();
        _cleanup_free_ char *cdir = xasprintf("%s/cache", dir), *db = xasprintf("%s/cache/" DIGEST_CACHE_FILE, dir),
                            *old = xasprintf("%s/cache/digests", dir);
        ASSERT_EQ_INT(mkdir(cdir, 0700), 0);
        put(cdir, "digests", "buildward-digest-cache 1\n"); /* the old format: removed on open */
        put_synthetic(cdir, 1, 5000);
        ASSERT_TRUE(access(old, F_OK) < 0);
        struct stat st;
        ASSERT_EQ_INT(stat(db, &st), 0);
        ASSERT_EQ_INT(st.st_mode & 07777, 0600);

        struct digest_cache *c = NULL;
        ASSERT_EQ_INT(digest_cache_open(cdir, 0, &c, NULL), 0);
        if (!c)
                return;
        for (uint64_t i = 100; i < 110; i++)
                ASSERT_TRUE(has(c, i));
        ASSERT_TRUE(!has(c, 6000)); /* absent */
        struct file_id other = synthetic(200);
        other.ctime_ns++; /* another version of a present file */
        uint8_t d[VERITY_DIGEST_SIZE];
        ASSERT_TRUE(!digest_cache_lookup(c, &other, d));
        struct digest_cache_stats s;
        digest_cache_get_stats(c, &s);
        ASSERT_EQ_U64(s.queries, 12);
        ASSERT_EQ_U64(s.rows_read, 11); /* 5000 rows stored, 11 read */
        ASSERT_TRUE(has(c, 105));       /* a row met is kept in memory: no second read */
        digest_cache_get_stats(c, &s);
        ASSERT_EQ_U64(s.rows_read, 11);
        /* The stale row met is dropped at save; nothing else is written. */
        ASSERT_EQ_INT(digest_cache_save(c), 0);
        digest_cache_get_stats(c, &s);
        ASSERT_EQ_U64(s.dropped, 1);
        ASSERT_EQ_U64(s.written, 0);
        digest_cache_free(c);
        ASSERT_EQ_U64(entries(cdir), 4999);
        cleanup_dir(dir);
}

TEST(tampered_rows_are_refused_and_dropped) {
        char *dir = tmpdir();
        _cleanup_free_ char *cdir = xasprintf("%s/cache", dir);
        put_synthetic(cdir, 1, 3);
        /* A forged digest under the old MAC, and a row transplanted to another inode. */
        sql(cdir, "UPDATE entry SET digest = zeroblob(32) WHERE ino = 1; UPDATE entry SET ino = 9 WHERE ino = 2;");
        struct digest_cache *c = NULL;
        ASSERT_EQ_INT(digest_cache_open(cdir, 0, &c, NULL), 0);
        if (!c)
                return;
        struct file_id id = synthetic(1);
        uint8_t d[VERITY_DIGEST_SIZE];
        ASSERT_TRUE(!digest_cache_lookup(c, &id, d));
        struct file_id moved = synthetic(2);
        moved.ino = 9;
        ASSERT_TRUE(!digest_cache_lookup(c, &moved, d));
        ASSERT_TRUE(has(c, 3)); /* the intact row still serves */
        struct digest_cache_stats s;
        digest_cache_get_stats(c, &s);
        ASSERT_EQ_U64(s.refused, 2);
        ASSERT_EQ_INT(digest_cache_save(c), 0);
        digest_cache_get_stats(c, &s);
        ASSERT_EQ_U64(s.dropped, 2);
        digest_cache_free(c);
        ASSERT_EQ_U64(entries(cdir), 1);
        cleanup_dir(dir);
}

/* The file_id of DIR/NAME now. */
static struct file_id id_of(const char *dir, const char *name) {
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
        struct statx sx;
        struct file_id id = {};
        ASSERT_EQ_INT(statx(AT_FDCWD, p, 0, STATX_BASIC_STATS | STATX_BTIME, &sx), 0);
        file_id_from_statx(&sx, &id);
        return id;
}

TEST(stale_and_dead_entries_go) {
        char *dir = tmpdir();
        _cleanup_free_ char *cdir = xasprintf("%s/cache", dir), *tree = xasprintf("%s/tree", dir);
        ASSERT_EQ_INT(mkdir(tree, 0755), 0);
        static const char *const names[] = { "changed", "deleted", "kept", "removed-later" };
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                put(tree, names[i], names[i]);
        usleep(1100 * 1000); /* files changed less than a second ago are never cached */
        struct digest_cache *c = NULL;
        ASSERT_EQ_INT(digest_cache_open(cdir, 0, &c, NULL), 0);
        if (!c)
                return;
        uint8_t d[VERITY_DIGEST_SIZE] = { 1 };
        struct file_id changed_before = id_of(tree, "changed");
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s", tree, names[i]);
                struct file_id id = id_of(tree, names[i]);
                digest_cache_put(c, &id, p, d);
        }
        ASSERT_EQ_INT(digest_cache_save(c), 0);
        digest_cache_free(TAKE_PTR(c));

        put(tree, "changed", "CHANGED");
        _cleanup_free_ char *deleted = xasprintf("%s/deleted", tree);
        ASSERT_EQ_INT(unlink(deleted), 0);
        ASSERT_EQ_INT(digest_cache_open(cdir, 0, &c, NULL), 0);
        if (!c)
                return;
        struct digest_cache_info info;
        ASSERT_EQ_INT(digest_cache_inspect(c, false, &info), 0);
        ASSERT_EQ_U64(info.entries, 4);
        ASSERT_EQ_U64(info.live, 2);
        ASSERT_EQ_U64(info.dead, 2);
        struct file_id changed_now = id_of(tree, "changed"); /* met by a lookup: a miss, its row dropped */
        ASSERT_TRUE(changed_now.ctime_ns != changed_before.ctime_ns);
        ASSERT_TRUE(!digest_cache_lookup(c, &changed_now, d));
        /* A save that writes rows sweeps the others: both dead rows go without being looked up. */
        struct file_id x = synthetic(1);
        digest_cache_put(c, &x, NULL, d);
        ASSERT_EQ_INT(digest_cache_save(c), 0);
        struct digest_cache_stats s;
        digest_cache_get_stats(c, &s);
        ASSERT_EQ_U64(s.dropped, 2);
        ASSERT_EQ_INT(digest_cache_inspect(c, false, &info), 0);
        ASSERT_EQ_U64(info.entries, 3);
        ASSERT_EQ_U64(info.dead, 0);
        /* doctor --cleanup: inspect with CLEANUP deletes what it finds dead. */
        _cleanup_free_ char *later = xasprintf("%s/removed-later", tree);
        ASSERT_EQ_INT(unlink(later), 0);
        ASSERT_EQ_INT(digest_cache_inspect(c, true, &info), 0);
        ASSERT_EQ_U64(info.dead, 1);
        ASSERT_EQ_INT(digest_cache_inspect(c, false, &info), 0);
        ASSERT_EQ_U64(info.entries, 2);
        ASSERT_EQ_U64(info.live, 2);
        digest_cache_free(c);
        cleanup_dir(dir);
}

TEST(the_cap_evicts_the_least_recently_used) {
        char *dir = tmpdir();
        _cleanup_free_ char *cdir = xasprintf("%s/cache", dir);
        setenv("BUILDWARD_CACHE_MAX_ENTRIES", "3", 1);
        put_synthetic(cdir, 1, 3);
        /* Three days ago, two, one and a half: all old enough for a hit to refresh. */
        int64_t now = (int64_t) (now_usec(CLOCK_REALTIME) / 1000000);
        _cleanup_free_ char *ages = xasprintf("UPDATE entry SET used = %lld - 86400 * 3 WHERE ino = 1;"
                                              "UPDATE entry SET used = %lld - 86400 * 2 WHERE ino = 2;"
                                              "UPDATE entry SET used = %lld - 129600 WHERE ino = 3;",
                                              (long long) now, (long long) now, (long long) now);
        sql(cdir, ages);
        struct digest_cache *c = NULL;
        ASSERT_EQ_INT(digest_cache_open(cdir, 0, &c, NULL), 0);
        if (!c)
                return;
        ASSERT_TRUE(has(c, 1)); /* the oldest, now used again */
        struct file_id id = synthetic(4);
        uint8_t d[VERITY_DIGEST_SIZE];
        digest_of(4, d);
        digest_cache_put(c, &id, NULL, d);
        ASSERT_EQ_INT(digest_cache_save(c), 0);
        struct digest_cache_stats s;
        digest_cache_get_stats(c, &s);
        ASSERT_EQ_U64(s.evicted, 1);
        digest_cache_free(TAKE_PTR(c));
        ASSERT_EQ_INT(digest_cache_open(cdir, 0, &c, NULL), 0);
        if (!c)
                return;
        ASSERT_TRUE(has(c, 1));
        ASSERT_TRUE(!has(c, 2)); /* least recently used */
        ASSERT_TRUE(has(c, 3));
        ASSERT_TRUE(has(c, 4));
        digest_cache_free(c);
        ASSERT_EQ_U64(entries(cdir), 3);
        unsetenv("BUILDWARD_CACHE_MAX_ENTRIES");
        cleanup_dir(dir);
}

TEST(two_concurrent_writers_keep_their_entries) {
        char *dir = tmpdir();
        _cleanup_free_ char *cdir = xasprintf("%s/cache", dir);
        put_synthetic(cdir, 1, 1); /* the key and schema exist: the writers race on rows only */
        pid_t pids[2];
        for (int w = 0; w < 2; w++) {
                pids[w] = fork();
                if (pids[w] == 0) {
                        /* Ten saves each, interleaved with the other's. */
                        for (uint64_t k = 0; k < 10; k++)
                                put_synthetic(cdir, 1000 * (uint64_t) (w + 1) + 50 * k, 50);
                        _exit(tap_current_failed ? 1 : 0);
                }
        }
        for (int w = 0; w < 2; w++) {
                int status = -1;
                ASSERT_EQ_INT(waitpid(pids[w], &status, 0), pids[w]);
                ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        struct digest_cache *c = NULL;
        ASSERT_EQ_INT(digest_cache_open(cdir, 0, &c, NULL), 0);
        if (!c)
                return;
        unsigned found = 0;
        for (uint64_t i = 1000; i < 1500; i++)
                found += has(c, i) + has(c, i + 1000);
        ASSERT_EQ_INT(found, 1000);
        digest_cache_free(c);
        ASSERT_EQ_U64(entries(cdir), 1001);
        cleanup_dir(dir);
}
