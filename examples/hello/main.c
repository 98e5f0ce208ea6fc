/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hello: greets, or with -c counts lines, words and bytes of stdin. */
#include "config.h"
#include "wc.h"

#include <stdio.h>
#include <string.h>
#ifdef HAVE_UNISTD_H
#include <unistd.h>
#endif

static int count_stdin(void) {
        struct wc w;
        char buf[8192];
        size_t n;

        wc_init(&w);
        while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
                wc_feed(&w, buf, n);
        if (ferror(stdin)) {
                fprintf(stderr, "hello: error: cannot read standard input\n");
                return 1;
        }
        printf("%llu %llu %llu\n", w.lines, w.words, w.bytes);
        return 0;
}

int main(int argc, char **argv) {
        char line[256];

        if (argc > 1 && strcmp(argv[1], "--version") == 0) {
                puts(PACKAGE_STRING);
                return 0;
        }
        if (argc > 1 && strcmp(argv[1], "-c") == 0)
                return count_stdin();
        if (argc > 2) {
                fprintf(stderr, "usage: hello [NAME] | hello -c < FILE | hello --version\n");
                return 2;
        }
        greet(line, sizeof(line), argc > 1 ? argv[1] : NULL);
        puts(line);
        return 0;
}
