/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "basic/glob.h"
#include "tap.h"

TEST(plain_and_wildcards) {
        ASSERT_TRUE(glob_match_path("hello", "hello"));
        ASSERT_TRUE(!glob_match_path("hello", "src/hello"));
        ASSERT_TRUE(glob_match_path("*.o", "a.o"));
        ASSERT_TRUE(!glob_match_path("*.o", "src/a.o")); /* '*' stays within one component */
        ASSERT_TRUE(glob_match_path("src/*.o", "src/a.o"));
        ASSERT_TRUE(glob_match_path("src/?.o", "src/a.o"));
        ASSERT_TRUE(!glob_match_path("src/?.o", "src/ab.o"));
        ASSERT_TRUE(glob_match_path("src/[ab].o", "src/b.o"));
        ASSERT_TRUE(glob_match_path("./hello", "hello"));
        ASSERT_TRUE(!glob_match_path("src", "src/a.o"));
}

TEST(double_star) {
        ASSERT_TRUE(glob_match_path("**/*.o", "a.o"));
        ASSERT_TRUE(glob_match_path("**/*.o", "x/y/z/a.o"));
        ASSERT_TRUE(glob_match_path("dist/**", "dist/a/b"));
        ASSERT_TRUE(glob_match_path("a/**/b", "a/b"));
        ASSERT_TRUE(glob_match_path("a/**/b", "a/x/y/b"));
        ASSERT_TRUE(!glob_match_path("a/**/b", "a/x/y/c"));
        ASSERT_TRUE(!glob_match_path("dist/**", "other/a"));
}

TEST(pruning) {
        ASSERT_TRUE(glob_may_match_below("src/*.o", "src"));
        ASSERT_TRUE(!glob_may_match_below("src/*.o", "lib"));
        ASSERT_TRUE(glob_may_match_below("**/*.o", "deep/er"));
        ASSERT_TRUE(!glob_may_match_below("hello", "src"));
        ASSERT_TRUE(glob_may_match_below("a/*/c", "a/b"));
}

TEST(hostile_names) {
        ASSERT_TRUE(glob_match_path("*", "name\nwith newline"));
        ASSERT_TRUE(!glob_match_path("*", "a/b"));
        ASSERT_TRUE(glob_match_path("*", "..."));
}

TEST(many_globstars_stay_fast) {
        /* Backtracking over several "**" is exponential; the matcher must not be. */
        char pattern[256] = "", path[512] = "";
        for (int i = 0; i < 30; i++)
                strcat(pattern, "**/a/");
        strcat(pattern, "x");
        for (int i = 0; i < 100; i++)
                strcat(path, "a/");
        strcat(path, "y");
        ASSERT_TRUE(!glob_match_path(pattern, path));
        /* As a directory it may still hold matches: "**" can swallow "y". */
        ASSERT_TRUE(glob_may_match_below(pattern, path));
        path[strlen(path) - 1] = 'x';
        ASSERT_TRUE(glob_match_path(pattern, path));
}
