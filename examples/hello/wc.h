/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef HELLO_WC_H
#define HELLO_WC_H

#include <stddef.h>

/* Streaming line/word/byte counter: feed any number of chunks, words may
 * straddle chunk boundaries. */
struct wc {
        unsigned long long lines, words, bytes;
        int in_word;
};

void wc_init(struct wc *w);
void wc_feed(struct wc *w, const char *buf, size_t len);

/* Writes "Hello, NAME!" (NAME defaults to "world") into buf; returns the
 * length snprintf would have written. */
int greet(char *buf, size_t size, const char *name);

#endif
