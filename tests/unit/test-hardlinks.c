/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * source_hardlinks_find(): which files of a source tree are masked because
 * they may be host files linked in (sandbox/hardlinks.c). No root needed:
 * the tree's owner is passed in, so "another owner" is tested by passing
 * another uid.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox/internal.h"
#include "tap.h"
#include "test-fs.h"

static void link_in(const char *dir, const char *from, const char *to) {
        _cleanup_free_ char *a = xasprintf("%s/%s", dir, from), *b = xasprintf("%s/%s", dir, to);
        ASSERT_EQ_INT(link(a, b), 0);
}

/* A file readable by its owner only. */
static void put_private(const char *dir, const char *rel) {
        put(dir, rel, "secret\n");
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, rel);
        ASSERT_EQ_INT(chmod(p, 0600), 0);
}

static void make_dir(const char *dir, const char *rel) {
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, rel);
        ASSERT_EQ_INT(mkdir(p, 0755), 0);
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The paths found, sorted into one "a b c" string, or "E<errno>"; removes DIR. */
static char *found(char *dir, uid_t owner) {
        _cleanup_close_ int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_strv_free_ char **paths = NULL;
        int n = source_hardlinks_find(fd, owner, &paths);
        cleanup_dir(dir);
        if (n < 0)
                return xasprintf("E%d", -n);
        if (n > 0)
                qsort(paths, (size_t) n, sizeof(char *), cmp_str);
        char *s = xstrdup("");
        for (int i = 0; i < n; i++) {
                char *next = xasprintf("%s%s%s", s, i ? " " : "", paths[i]);
                free(s);
                s = next;
        }
        return s;
}

TEST(ordinary_links_are_kept) {
        char *d = tmpdir();
        put(d, "a.txt", "shared\n");
        make_dir(d, "sub");
        link_in(d, "a.txt", "sub/a-again.txt"); /* the owner's, world-readable: `cp -al`, git --local */
        put_private(d, "private");              /* private, but no other name */
        _cleanup_free_ char *f = found(d, getuid());
        ASSERT_STREQ(f, "");
}

TEST(private_links_are_masked) {
        char *d = tmpdir();
        put_private(d, "key");
        make_dir(d, "deep");
        make_dir(d, "deep/er");
        link_in(d, "key", "deep/er/x");
        _cleanup_free_ char *f = found(d, getuid());
        ASSERT_STREQ(f, "deep/er/x key");
}

TEST(another_owners_links_are_masked) {
        char *d = tmpdir();
        put(d, "a.txt", "shared\n");
        link_in(d, "a.txt", "b.txt");
        put(d, "single", "one link\n");
        _cleanup_free_ char *f = found(d, getuid() + 1); /* the tree's owner is someone else */
        ASSERT_STREQ(f, "a.txt b.txt");
}

TEST(symlinks_are_not_followed) {
        char *d = tmpdir();
        put_private(d, "key");
        _cleanup_free_ char *target = xasprintf("%s/key", d), *l = xasprintf("%s/link", d);
        ASSERT_EQ_INT(symlink(target, l), 0);
        _cleanup_free_ char *f = found(d, getuid());
        ASSERT_STREQ(f, "");
}
