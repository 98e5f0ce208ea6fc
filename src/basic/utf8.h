/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * UTF-8 as outside input: strict decoding, and the one escaper for build-chosen
 * text shown to a person (terminal, SARIF text, HTML). JSON output has its own
 * reversible scheme in basic/json-util.h. See docs/reports.md.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Decodes one UTF-8 sequence at S (N > 0 bytes left). Returns its length and the
 * code point, or 0 for an invalid sequence (overlong forms, surrogates and
 * values past U+10FFFF included: each is a way to smuggle a byte past a filter).
 */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *ret);
/* Whether all N bytes of S are strict UTF-8 (NULs allowed). */
bool utf8_is_valid(const char *s, size_t n);

enum text_mode {
        TEXT_PLAIN, /* terminal and SARIF text */
        TEXT_HTML,  /* HTML text and double- or single-quoted attribute values */
};

/*
 * Writes S (LEN bytes, NULs included) so that nothing in it can act on the
 * reader: bytes that are not valid UTF-8 and control characters (C0, DEL, C1)
 * become "\xNN" / "\n" / "\u0085", bidirectional overrides (Trojan Source)
 * become "\u202e"; TEXT_HTML also turns & < > " ' into entities. The output is
 * valid UTF-8. At most MAX bytes of S are shown (0: all), then "…".
 */
void text_escape(FILE *f, const char *s, size_t len, size_t max, enum text_mode m);
/* The same for a NUL-terminated string; NULL writes nothing. */
void text_escape_str(FILE *f, const char *s, size_t max, enum text_mode m);
/* A heap copy of S escaped with TEXT_PLAIN. */
char *text_plain(const char *s, size_t len, size_t max);
