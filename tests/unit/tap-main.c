/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tap.h"

int tap_current_failed;
const char *tap_current_skip;

extern const struct tap_test __start_tap_tests[];
extern const struct tap_test __stop_tap_tests[];

int main(void) {
        int n = 0, failed = 0;
        for (const struct tap_test *t = __start_tap_tests; t < __stop_tap_tests; t++) {
                tap_current_failed = 0;
                tap_current_skip = NULL;
                t->fn();
                n++;
                if (tap_current_skip)
                        printf("ok %d - %s # SKIP %s\n", n, t->name, tap_current_skip);
                else if (tap_current_failed) {
                        printf("not ok %d - %s\n", n, t->name);
                        failed++;
                } else
                        printf("ok %d - %s\n", n, t->name);
                fflush(stdout);
        }
        printf("1..%d\n", n);
        return failed ? 1 : 0;
}
