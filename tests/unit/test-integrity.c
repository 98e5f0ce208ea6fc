/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The library API the monitor uses (toolchain_open/check_fd/check_pid), the
 * digest cache's refusals, and tree_compare's kinds of difference. No root:
 * the cache directory is a scratch directory of ours ($BUILDWARD_CACHE_DIR).
 */
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "integrity/integrity.h"
#include "test-fs.h"

/* Seals the tree under ROOT into OUT (NULL: ROOT.manifest); returns its path. */
static char *seal_to(const char *root, const char *out) {
        char *const roots[] = { (char *) root, NULL };
        struct manifest_entry *v = NULL;
        size_t n = 0;
        ASSERT_EQ_INT(tree_scan(roots, 0, &v, &n, NULL), 0);
        size_t *idx = xcalloc(n + 1, sizeof(size_t)), k = 0;
        int *errs = xcalloc(n + 1, sizeof(int));
        for (size_t i = 0; i < n; i++)
                if (v[i].type == 'f')
                        idx[k++] = i;
        struct hash_stats st = {};
        ASSERT_EQ_INT(tree_hash(v, idx, k, 2, NULL, false, errs, &st), 0);
        for (size_t i = 0; i < k; i++)
                ASSERT_EQ_INT(errs[i], 0);
        ASSERT_EQ_U64(st.hashed, k);
        char *text = NULL;
        size_t size;
        ASSERT_EQ_INT(manifest_format(roots, v, n, NULL, &text, &size), 0);
        char *path = out ? xstrdup(out) : xasprintf("%s.manifest", root);
        ASSERT_EQ_INT(write_file_at(AT_FDCWD, path, text, O_CREAT | O_TRUNC, 0644), 0);
        free(text);
        free(idx);
        free(errs);
        tree_entries_free(v, n);
        return path;
}

static char *seal(const char *root) {
        return seal_to(root, NULL);
}

static enum toolchain_verdict check_path(struct toolchain *t, const char *path) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        enum toolchain_verdict v = TOOLCHAIN_MATCH;
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ_INT(toolchain_check_fd(t, fd, path, &v), 0);
        return v;
}

TEST(check_fd_and_pid) {
        char *dir = tmpdir();
        _cleanup_free_ char *root = xasprintf("%s/tc", dir), *cache = xasprintf("%s/cache", dir);
        ASSERT_EQ_INT(mkdir(root, 0755), 0);
        setenv("BUILDWARD_CACHE_DIR", cache, 1);
        put(root, "cc1", "compiler");
        put(root, "as", "assembler");
        _cleanup_free_ char *cc1 = xasprintf("%s/cc1", root), *as = xasprintf("%s/as", root),
                            *sleep_copy = xasprintf("%s/sleep", root);
        /* A real executable in the sealed tree, for toolchain_check_pid. */
        _cleanup_free_ char *cmd = xasprintf("cp /bin/sleep '%s'", sleep_copy);
        ASSERT_EQ_INT(system(cmd), 0);
        _cleanup_free_ char *manifest = seal(root);

        _cleanup_toolchain_ struct toolchain *t = NULL;
        struct manifest_error err;
        ASSERT_EQ_INT(toolchain_open(manifest, NULL, TOOLCHAIN_USE_CACHE, &t, &err), 0);
        if (!t)
                return;
        ASSERT_TRUE(t->cache != NULL);
        ASSERT_TRUE(t->cache_warning == NULL);
        ASSERT_EQ_INT(check_path(t, cc1), TOOLCHAIN_MATCH);
        ASSERT_EQ_INT(check_path(t, cc1), TOOLCHAIN_MATCH); /* twice: the in-memory path */
        ASSERT_EQ_INT(check_path(t, manifest), TOOLCHAIN_NOT_IN_MANIFEST);

        /* Same size, other content: only the digest can tell. */
        put(root, "cc1", "COMPILER");
        ASSERT_EQ_INT(check_path(t, cc1), TOOLCHAIN_MISMATCH);
        ASSERT_EQ_INT(chmod(as, 04755), 0);
        ASSERT_EQ_INT(check_path(t, as), TOOLCHAIN_MISMATCH);

        pid_t pid = fork();
        if (pid == 0) {
                execl(sleep_copy, "sleep", "10", (char *) NULL);
                _exit(127);
        }
        /* Wait (at most 5 s) until the child runs the sealed copy. */
        _cleanup_free_ char *exe = NULL;
        enum toolchain_verdict v = TOOLCHAIN_NOT_IN_MANIFEST;
        for (int i = 0; i < 500; i++) {
                free(exe);
                exe = NULL;
                if (toolchain_check_pid(t, pid, &v, &exe) == 0 && v != TOOLCHAIN_NOT_IN_MANIFEST)
                        break;
                usleep(10000);
        }
        ASSERT_EQ_INT(v, TOOLCHAIN_MATCH);
        ASSERT_STREQ(exe, sleep_copy);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        ASSERT_EQ_INT(toolchain_check_pid(t, pid, &v, NULL), -ESRCH);
        unsetenv("BUILDWARD_CACHE_DIR");
        cleanup_dir(dir);
}

TEST(cache_hits_misses_and_refusals) {
        char *dir = tmpdir();
        _cleanup_free_ char *cdir = xasprintf("%s/cache", dir),
                            *digests = xasprintf("%s/cache/" DIGEST_CACHE_FILE, dir),
                            *keyf = xasprintf("%s/cache/key", dir);
        struct digest_cache *c = NULL;
        ASSERT_EQ_INT(digest_cache_open(cdir, 0, &c, NULL), 0);
        struct stat st;
        ASSERT_EQ_INT(stat(cdir, &st), 0);
        ASSERT_EQ_INT(st.st_mode & 07777, 0700);
        ASSERT_EQ_INT(stat(keyf, &st), 0);
        ASSERT_EQ_INT(st.st_mode & 07777, 0600);
        ASSERT_EQ_U64(st.st_size, 32);

        int64_t old = 1000000000LL * 1600000000;
        struct file_id id = { .dev = 1, .ino = 42, .size = 7, .mtime_ns = old, .ctime_ns = old, .btime_ns = old };
        uint8_t d[VERITY_DIGEST_SIZE], got[VERITY_DIGEST_SIZE];
        memset(d, 0x5a, sizeof(d));
        ASSERT_TRUE(!digest_cache_lookup(c, &id, got));
        digest_cache_put(c, &id, "/nonexistent/a", d);
        ASSERT_TRUE(digest_cache_lookup(c, &id, got) && memcmp(got, d, sizeof(d)) == 0);
        /* Any field of the version differing is a miss: restoring mtime does not restore ctime. */
        struct file_id other = id;
        other.ctime_ns++;
        ASSERT_TRUE(!digest_cache_lookup(c, &other, got));
        other = id;
        other.size++;
        ASSERT_TRUE(!digest_cache_lookup(c, &other, got));
        other = id;
        other.btime_ns++;
        ASSERT_TRUE(!digest_cache_lookup(c, &other, got));
        /* A file changed less than a second ago is never cached (coarse ctime clock). */
        struct file_id fresh = {
                .dev = 1, .ino = 43, .size = 1, .ctime_ns = (int64_t) now_usec(CLOCK_REALTIME) * 1000
        };
        digest_cache_put(c, &fresh, NULL, d);
        ASSERT_TRUE(!digest_cache_lookup(c, &fresh, got));
        ASSERT_EQ_INT(digest_cache_save(c), 0);
        digest_cache_free(TAKE_PTR(c));

        ASSERT_EQ_INT(stat(digests, &st), 0);
        ASSERT_EQ_INT(st.st_mode & 07777, 0600);
        ASSERT_EQ_INT(digest_cache_open(cdir, 0, &c, NULL), 0);
        ASSERT_TRUE(c && digest_cache_lookup(c, &id, got) && memcmp(got, d, sizeof(d)) == 0);
        digest_cache_free(TAKE_PTR(c));

        /* A damaged database (a row's tampering is test-cache.c's): refused as a whole; FRESH starts over. */
        ASSERT_EQ_INT(write_file_at(AT_FDCWD, digests, "not sqlite", O_TRUNC, 0), 0);
        char *why = NULL;
        ASSERT_EQ_INT(digest_cache_open(cdir, 0, &c, &why), -EBADMSG);
        ASSERT_TRUE(why && strstr(why, "not a digest cache database"));
        free(why);
        why = NULL;
        ASSERT_EQ_INT(digest_cache_open(cdir, DIGEST_CACHE_FRESH, &c, NULL), 0);
        ASSERT_TRUE(c && !digest_cache_lookup(c, &id, got));
        ASSERT_EQ_INT(digest_cache_save(c), 0);
        digest_cache_free(TAKE_PTR(c));
        ASSERT_EQ_INT(digest_cache_open(cdir, 0, &c, NULL), 0);
        digest_cache_free(TAKE_PTR(c));

        /* Ownership and modes. */
        ASSERT_EQ_INT(chmod(digests, 0644), 0);
        ASSERT_EQ_INT(digest_cache_open(cdir, 0, &c, &why), -EPERM);
        ASSERT_TRUE(why && strstr(why, "0600"));
        free(why);
        why = NULL;
        ASSERT_EQ_INT(chmod(digests, 0600), 0);
        _cleanup_free_ char *second = xasprintf("%s/second-link", dir);
        ASSERT_EQ_INT(link(digests, second), 0);
        ASSERT_EQ_INT(digest_cache_open(cdir, 0, &c, &why), -EPERM);
        ASSERT_TRUE(why && strstr(why, "hard link"));
        free(why);
        why = NULL;
        ASSERT_EQ_INT(unlink(second), 0);
        ASSERT_EQ_INT(chmod(keyf, 0640), 0);
        ASSERT_EQ_INT(digest_cache_open(cdir, 0, &c, &why), -EPERM);
        free(why);
        why = NULL;
        ASSERT_EQ_INT(chmod(keyf, 0600), 0);
        ASSERT_EQ_INT(chmod(cdir, 0777), 0);
        ASSERT_EQ_INT(digest_cache_open(cdir, 0, &c, &why), -EPERM);
        ASSERT_TRUE(why && strstr(why, "writable by group or others"));
        free(why);
        ASSERT_EQ_INT(chmod(cdir, 0700), 0);
        ASSERT_TRUE(c == NULL);
        cleanup_dir(dir);
}

static const struct difference *find(const struct diff_list *l, enum diff_kind k, const char *suffix) {
        for (size_t i = 0; i < l->n; i++) {
                size_t a = strlen(l->v[i].path), b = strlen(suffix);
                if (l->v[i].kind == k && a >= b && streq(l->v[i].path + a - b, suffix))
                        return &l->v[i];
        }
        return NULL;
}

TEST(compare_finds_every_kind_of_difference) {
        char *dir = tmpdir();
        _cleanup_free_ char *root = xasprintf("%s/tc", dir);
        ASSERT_EQ_INT(mkdir(root, 0755), 0);
        put(root, "content", "aaaa");
        put(root, "size", "aaaa");
        put(root, "mode", "x");
        put(root, "gone", "x");
        put(root, "type", "x");
        put(root, "odd\nname", "x");
        _cleanup_free_ char *lnk = xasprintf("%s/link", root);
        ASSERT_EQ_INT(symlink("content", lnk), 0);
        _cleanup_free_ char *manifest = seal(root);
        _cleanup_manifest_ struct manifest *m = NULL;
        struct manifest_error err;
        ASSERT_EQ_INT(manifest_load(manifest, NULL, &m, &err), 0);
        if (!m)
                return;
        struct diff_list l = {};
        struct hash_stats st = {};
        ASSERT_EQ_INT(tree_compare(m, 1, NULL, &l, &st), 0);
        ASSERT_EQ_U64(l.n, 0);
        ASSERT_EQ_U64(st.files, 6);

        put(root, "content", "aaab");
        put(root, "size", "aaaaa");
        _cleanup_free_ char *p = xasprintf("%s/mode", root), *g = xasprintf("%s/gone", root),
                            *t = xasprintf("%s/type", root);
        ASSERT_EQ_INT(chmod(p, 02755), 0);
        ASSERT_EQ_INT(unlink(g), 0);
        ASSERT_EQ_INT(unlink(t), 0);
        ASSERT_EQ_INT(mkdir(t, 0755), 0);
        ASSERT_EQ_INT(unlink(lnk), 0);
        ASSERT_EQ_INT(symlink("size", lnk), 0);
        put(root, "new", "x");
        ASSERT_EQ_INT(tree_compare(m, 2, NULL, &l, &st), 0);
        ASSERT_EQ_U64(l.n, 7);
        const struct difference *d = find(&l, DIFF_CONTENT, "/content");
        ASSERT_TRUE(d && strstr(d->expected, "sha256:") && strstr(d->actual, "sha256:"));
        ASSERT_TRUE(find(&l, DIFF_CONTENT, "/size") != NULL);
        d = find(&l, DIFF_MODE, "/mode");
        ASSERT_TRUE(d && streq(d->expected, "0644") && streq(d->actual, "2755 setgid"));
        ASSERT_TRUE(find(&l, DIFF_REMOVED, "/gone") != NULL);
        d = find(&l, DIFF_TYPE, "/type");
        ASSERT_TRUE(d && streq(d->expected, "file") && streq(d->actual, "directory"));
        d = find(&l, DIFF_TARGET, "/link");
        ASSERT_TRUE(d && streq(d->expected, "content") && streq(d->actual, "size"));
        ASSERT_TRUE(find(&l, DIFF_ADDED, "/new") != NULL);
        /* In path order. */
        for (size_t i = 1; i < l.n; i++)
                ASSERT_TRUE(strcmp(l.v[i - 1].path, l.v[i].path) <= 0);
        json_object *j = diff_list_to_json(&l);
        ASSERT_EQ_INT(json_object_array_length(j), 7);
        json_object_put(j);
        diff_list_done(&l);
        cleanup_dir(dir);
}

/* The monitor's case: the cache file is unusable, yet each file is hashed only once. */
TEST(memory_cache_when_the_file_cache_is_refused) {
        struct stat st;
        if (stat("/etc/skel/.bashrc", &st) < 0) {
                tap_skip("no /etc/skel/.bashrc (an old file is needed: recent ones are never cached)");
                return;
        }
        char *dir = tmpdir();
        _cleanup_free_ char *cache = xasprintf("%s/cache", dir), *out = xasprintf("%s/skel.manifest", dir);
        ASSERT_EQ_INT(mkdir(cache, 0700), 0);
        ASSERT_EQ_INT(chmod(cache, 0777), 0); /* refused: writable by others */
        setenv("BUILDWARD_CACHE_DIR", cache, 1);
        _cleanup_free_ char *manifest = seal_to("/etc/skel", out);
        _cleanup_toolchain_ struct toolchain *t = NULL;
        struct manifest_error err;
        ASSERT_EQ_INT(toolchain_open(manifest, NULL, TOOLCHAIN_USE_CACHE, &t, &err), 0);
        if (!t)
                return;
        ASSERT_TRUE(t->cache_warning && strstr(t->cache_warning, "writable by group or others"));
        ASSERT_TRUE(t->cache && digest_cache_is_memory(t->cache));
        ASSERT_EQ_INT(check_path(t, "/etc/skel/.bashrc"), TOOLCHAIN_MATCH);
        struct statx sx;
        struct file_id id;
        uint8_t d[VERITY_DIGEST_SIZE];
        ASSERT_EQ_INT(statx(AT_FDCWD, "/etc/skel/.bashrc", 0, STATX_BASIC_STATS | STATX_BTIME, &sx), 0);
        file_id_from_statx(&sx, &id);
        ASSERT_TRUE(digest_cache_lookup(t->cache, &id, d)); /* the next exec is a lookup */
        ASSERT_EQ_INT(digest_cache_save(t->cache), 0);
        _cleanup_free_ char *digests = xasprintf("%s/" DIGEST_CACHE_FILE, cache);
        ASSERT_TRUE(access(digests, F_OK) < 0); /* nothing written into the refused directory */
        unsetenv("BUILDWARD_CACHE_DIR");
        cleanup_dir(dir);
}
