/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"
#include "wc.h"

#include <stdio.h>

void wc_init(struct wc *w) {
        w->lines = w->words = w->bytes = 0;
        w->in_word = 0;
}

static int is_space(unsigned char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

void wc_feed(struct wc *w, const char *buf, size_t len) {
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) buf[i];
                w->bytes++;
                if (c == '\n')
                        w->lines++;
                if (is_space(c)) {
                        w->in_word = 0;
                } else if (!w->in_word) {
                        w->in_word = 1;
                        w->words++;
                }
        }
}

int greet(char *buf, size_t size, const char *name) {
        return snprintf(buf, size, "Hello, %s!", name && *name ? name : "world");
}
