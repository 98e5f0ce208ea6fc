/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for wc.c, run by `make check`. */
#include "config.h"
#include "wc.h"

#include <stdio.h>
#include <string.h>

static int failures;

#define EXPECT_EQ(what, expected, actual)                                                                              \
        do {                                                                                                           \
                unsigned long long e_ = (expected), a_ = (actual);                                                     \
                if (e_ != a_) {                                                                                        \
                        fprintf(stderr, "FAIL %s: expected %llu, got %llu\n", what, e_, a_);                           \
                        failures++;                                                                                    \
                }                                                                                                      \
        } while (0)

static void count(const char *text, size_t chunk, struct wc *w) {
        size_t len = strlen(text);
        wc_init(w);
        for (size_t i = 0; i < len; i += chunk)
                wc_feed(w, text + i, len - i < chunk ? len - i : chunk);
}

int main(void) {
        struct wc w;
        char buf[64];

        count("", 1, &w);
        EXPECT_EQ("empty words", 0, w.words);
        EXPECT_EQ("empty bytes", 0, w.bytes);

        count("one two  three\nfour\n", 100, &w);
        EXPECT_EQ("lines", 2, w.lines);
        EXPECT_EQ("words", 4, w.words);
        EXPECT_EQ("bytes", 20, w.bytes);

        /* a word split across chunks still counts once */
        count("abcdef ghij", 1, &w);
        EXPECT_EQ("split words", 2, w.words);
        count("abcdef ghij", 3, &w);
        EXPECT_EQ("split words (3)", 2, w.words);

        count("\t\v\f\r \n", 2, &w);
        EXPECT_EQ("whitespace only", 0, w.words);

        EXPECT_EQ("greet length", 13, greet(buf, sizeof(buf), NULL));
        EXPECT_EQ("greet default", 0, strcmp(buf, "Hello, world!"));
        greet(buf, sizeof(buf), "build");
        EXPECT_EQ("greet name", 0, strcmp(buf, "Hello, build!"));

        if (failures) {
                fprintf(stderr, "test_wc: %d failure(s)\n", failures);
                return 1;
        }
        puts("test_wc: all passed");
        return 0;
}
