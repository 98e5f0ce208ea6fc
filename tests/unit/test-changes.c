/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "basic/util.h"
#include "report/report.h"
#include "tap.h"
#include "test-fs.h"

static const char *kind_of(const struct change_list *l, const char *path) {
        for (size_t i = 0; i < l->n; i++)
                if (streq(l->v[i].path, path))
                        return change_kind_name(l->v[i].kind);
        return "unchanged";
}

TEST(created_modified_deleted) {
        char *lower = tmpdir(), *upper = tmpdir();
        put(lower, "same.c", "int x;\n");
        put(lower, "edited.c", "int y;\n");
        put(lower, "gone.c", "int z;\n");
        put(lower, "chmodded.sh", "#!/bin/sh\n");
        _cleanup_free_ char *sub = xasprintf("%s/lib", lower);
        mkdir(sub, 0755);
        put(lower, "lib/keep.c", "k\n");
        /* What a build leaves in the upper layer. */
        put(upper, "same.c", "int x;\n");        /* copied up, content identical: not a change */
        put(upper, "edited.c", "int y = 1;\n");  /* modified */
        put(upper, "config.h", "#define X 1\n"); /* created */
        put(upper, "chmodded.sh", "#!/bin/sh\n");
        _cleanup_free_ char *ch = xasprintf("%s/chmodded.sh", upper);
        chmod(ch, 0755); /* mode change: modified */
        _cleanup_free_ char *usub = xasprintf("%s/lib", upper), *newdir = xasprintf("%s/build", upper);
        mkdir(usub, 0755);
        mkdir(newdir, 0755);
        put(upper, "build/a.o", "obj");
        put(upper, "lib/new.o", "obj");
        _cleanup_free_ char *wh = xasprintf("%s/gone.c", upper);
        bool whiteouts = mknod(wh, S_IFCHR | 0, makedev(0, 0)) == 0;

        int lfd = open(lower, O_PATH | O_DIRECTORY), ufd = open(upper, O_RDONLY | O_DIRECTORY);
        struct change_list l;
        ASSERT_EQ_INT(source_changes_collect(ufd, lfd, 1000, &l), 0);
        ASSERT_STREQ(kind_of(&l, "same.c"), "unchanged");
        ASSERT_STREQ(kind_of(&l, "edited.c"), "modified");
        ASSERT_STREQ(kind_of(&l, "chmodded.sh"), "modified");
        ASSERT_STREQ(kind_of(&l, "config.h"), "created");
        ASSERT_STREQ(kind_of(&l, "build/a.o"), "created");
        ASSERT_STREQ(kind_of(&l, "lib/new.o"), "created");
        ASSERT_STREQ(kind_of(&l, "lib/keep.c"), "unchanged");
        if (whiteouts)
                ASSERT_STREQ(kind_of(&l, "gone.c"), "deleted");
        /* Sorted by path. */
        for (size_t i = 1; i < l.n; i++)
                ASSERT_TRUE(strcmp(l.v[i - 1].path, l.v[i].path) < 0);
        ASSERT_TRUE(!l.truncated);
        change_list_done(&l);

        ASSERT_EQ_INT(source_changes_collect(ufd, lfd, 2, &l), 0);
        ASSERT_EQ_INT(l.n, 2);
        ASSERT_TRUE(l.truncated);
        change_list_done(&l);
        close(lfd);
        close(ufd);
        cleanup_dir(lower);
        cleanup_dir(upper);
        if (!whiteouts)
                tap_skip("this kernel refuses unprivileged whiteouts (mknod 0:0)");
}

TEST(opaque_directory) {
        char *lower = tmpdir(), *upper = tmpdir();
        _cleanup_free_ char *ld = xasprintf("%s/gen", lower), *ud = xasprintf("%s/gen", upper);
        mkdir(ld, 0755);
        mkdir(ud, 0755);
        put(lower, "gen/old1", "1");
        put(lower, "gen/old2", "2");
        put(upper, "gen/fresh", "3");
        if (setxattr(ud, "user.overlay.opaque", "y", 1, 0) < 0) {
                tap_skip("no user xattrs on /tmp");
        } else {
                int lfd = open(lower, O_PATH | O_DIRECTORY), ufd = open(upper, O_RDONLY | O_DIRECTORY);
                struct change_list l;
                ASSERT_EQ_INT(source_changes_collect(ufd, lfd, 1000, &l), 0);
                ASSERT_STREQ(kind_of(&l, "gen/old1"), "deleted");
                ASSERT_STREQ(kind_of(&l, "gen/old2"), "deleted");
                ASSERT_STREQ(kind_of(&l, "gen/fresh"), "created");
                change_list_done(&l);
                close(lfd);
                close(ufd);
        }
        cleanup_dir(lower);
        cleanup_dir(upper);
}
