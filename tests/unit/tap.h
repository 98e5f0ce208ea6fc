/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Minimal TAP for unit tests: TEST(name) registers a function; assertions print
 * both values and mark the current test failed; main() runs them all.
 * Exit 0 when all pass, 1 otherwise. A test may call tap_skip("reason").
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

struct tap_test {
        const char *name;
        void (*fn)(void);
};

extern int tap_current_failed;
extern const char *tap_current_skip;

#define TEST(n)                                                                                                        \
        static void test_##n(void);                                                                                    \
        static const struct tap_test tap_entry_##n                                                                     \
                __attribute__((used, section("tap_tests"), aligned(sizeof(void *)))) = { #n, test_##n };               \
        static void test_##n(void)

#define tap_fail_(fmt, ...)                                                                                            \
        do {                                                                                                           \
                printf("#   %s:%d: " fmt "\n", __FILE__, __LINE__, __VA_ARGS__);                                       \
                tap_current_failed = 1;                                                                                \
        } while (0)

#define ASSERT_TRUE(e)                                                                                                 \
        do {                                                                                                           \
                if (!(e))                                                                                              \
                        tap_fail_("expected true: %s", #e);                                                            \
        } while (0)
#define ASSERT_EQ_INT(a, b)                                                                                            \
        do {                                                                                                           \
                long long _a = (long long) (a), _b = (long long) (b);                                                  \
                if (_a != _b)                                                                                          \
                        tap_fail_("%s == %s: %lld != %lld", #a, #b, _a, _b);                                           \
        } while (0)
#define ASSERT_EQ_U64(a, b)                                                                                            \
        do {                                                                                                           \
                unsigned long long _a = (a), _b = (b);                                                                 \
                if (_a != _b)                                                                                          \
                        tap_fail_("%s == %s: %llu != %llu", #a, #b, _a, _b);                                           \
        } while (0)
#define ASSERT_STREQ(a, b)                                                                                             \
        do {                                                                                                           \
                const char *_a = (a), *_b = (b);                                                                       \
                if (!_a || !_b || strcmp(_a, _b) != 0)                                                                 \
                        tap_fail_("%s == %s: \"%s\" != \"%s\"", #a, #b, _a ? _a : "(null)", _b ? _b : "(null)");       \
        } while (0)

static inline void tap_skip(const char *why) {
        tap_current_skip = why;
}
