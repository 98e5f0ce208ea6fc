/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "basic/util.h"
#include "report/report.h"
#include "tap.h"
#include "test-fs.h"

static const char *refused_reason(const struct artifact_list *l, const char *path) {
        for (size_t i = 0; i < l->n_refused; i++)
                if (streq(l->refused[i].path, path))
                        return l->refused[i].reason;
        return NULL;
}

static const struct artifact *copied(const struct artifact_list *l, const char *path) {
        for (size_t i = 0; i < l->n; i++)
                if (streq(l->v[i].path, path))
                        return &l->v[i];
        return NULL;
}

TEST(copies_regular_files_with_sha256) {
        char *src = tmpdir(), *out = tmpdir();
        put(src, "hello", "abc");
        _cleanup_free_ char *d = xasprintf("%s/dist", src);
        mkdir(d, 0755);
        put(src, "dist/a.tar", "tarball");
        put(src, "notme.txt", "x");
        int sfd = open(src, O_RDONLY | O_DIRECTORY), ofd = open(out, O_RDONLY | O_DIRECTORY);
        char *pats[] = { "hello", "dist/*.tar", NULL };
        struct artifact_list l;
        ASSERT_EQ_INT(artifacts_collect(sfd, pats, ofd, 1 << 20, &l), 0);
        ASSERT_EQ_INT(l.n, 2);
        const struct artifact *h = copied(&l, "hello");
        ASSERT_TRUE(h != NULL);
        if (h) {
                /* sha256("abc"), FIPS 180-2 appendix B.1 */
                ASSERT_STREQ(h->sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
                ASSERT_EQ_U64(h->size, 3);
        }
        ASSERT_TRUE(copied(&l, "dist/a.tar") != NULL);
        ASSERT_TRUE(copied(&l, "notme.txt") == NULL);
        _cleanup_free_ char *got = NULL, *p = xasprintf("%s/artifacts/dist/a.tar", out);
        ASSERT_EQ_INT(read_full_file(p, &got, NULL, 1 << 20), 0);
        ASSERT_STREQ(got, "tarball");
        artifact_list_done(&l);
        close(sfd);
        close(ofd);
        cleanup_dir(src);
        cleanup_dir(out);
}

TEST(refuses_symlinks_fifos_and_huge_files) {
        char *src = tmpdir(), *out = tmpdir();
        _cleanup_free_ char *link = xasprintf("%s/leak", src), *fifo = xasprintf("%s/pipe", src),
                            *dlink = xasprintf("%s/dirlink", src);
        ASSERT_EQ_INT(symlink("/etc/shadow", link), 0);
        ASSERT_EQ_INT(symlink("/etc", dlink), 0);
        ASSERT_EQ_INT(mkfifo(fifo, 0644), 0);
        put(src, "big", "0123456789");
        int sfd = open(src, O_RDONLY | O_DIRECTORY), ofd = open(out, O_RDONLY | O_DIRECTORY);
        char *pats[] = { "leak", "pipe", "big", "dirlink/*", NULL };
        struct artifact_list l;
        ASSERT_EQ_INT(artifacts_collect(sfd, pats, ofd, 5, &l), 0);
        ASSERT_EQ_INT(l.n, 0);
        ASSERT_TRUE(refused_reason(&l, "leak") && strstr(refused_reason(&l, "leak"), "symlink"));
        ASSERT_TRUE(refused_reason(&l, "pipe") && strstr(refused_reason(&l, "pipe"), "regular"));
        ASSERT_TRUE(refused_reason(&l, "big") && strstr(refused_reason(&l, "big"), "larger"));
        /* Nothing was written for them, and the symlinked directory was not entered. */
        struct stat st;
        _cleanup_free_ char *o1 = xasprintf("%s/artifacts/leak", out), *o2 = xasprintf("%s/artifacts/dirlink", out);
        ASSERT_TRUE(lstat(o1, &st) < 0 && errno == ENOENT);
        ASSERT_TRUE(lstat(o2, &st) < 0 && errno == ENOENT);
        artifact_list_done(&l);
        close(sfd);
        close(ofd);
        cleanup_dir(src);
        cleanup_dir(out);
}

TEST(stale_artifacts_folder_is_replaced_not_followed) {
        char *src = tmpdir(), *out = tmpdir(), *victim = tmpdir();
        put(src, "hello", "new");
        /* A previous run's folder replaced by a symlink to somewhere else. */
        _cleanup_free_ char *a = xasprintf("%s/artifacts", out);
        ASSERT_EQ_INT(symlink(victim, a), 0);
        int sfd = open(src, O_RDONLY | O_DIRECTORY), ofd = open(out, O_RDONLY | O_DIRECTORY);
        char *pats[] = { "hello", NULL };
        struct artifact_list l;
        ASSERT_EQ_INT(artifacts_collect(sfd, pats, ofd, 1 << 20, &l), 0);
        ASSERT_EQ_INT(l.n, 1);
        _cleanup_free_ char *inv = xasprintf("%s/hello", victim);
        struct stat st;
        ASSERT_TRUE(lstat(inv, &st) < 0); /* nothing written through the symlink */
        ASSERT_TRUE(lstat(a, &st) == 0 && S_ISDIR(st.st_mode));
        artifact_list_done(&l);
        close(sfd);
        close(ofd);
        cleanup_dir(src);
        cleanup_dir(out);
        cleanup_dir(victim);
}
