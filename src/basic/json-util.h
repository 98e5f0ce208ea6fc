/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The one set of JSON helpers over json-c: constructors for what we write and
 * type-checked getters for what we read.
 *
 * json_new_string() is the one door for text into a JSON document. json-c
 * copies a string's bytes to the output unchanged, so a file name or argv
 * that is not UTF-8 made report.json and events.jsonl invalid JSON. A string
 * that is not strict UTF-8 keeps its bytes in memory (in-process readers see
 * them as they were) and is written with each byte 0xHH that is not part of a
 * valid sequence as the escape "\udcHH": the lone low surrogate U+DC80..U+DCFF
 * of Python's "surrogateescape" (PEP 383). Such a document is valid JSON and
 * ASCII-safe; json.load() accepts it and s.encode("utf-8", "surrogateescape")
 * gives back the original bytes. Valid UTF-8 is written exactly as json-c
 * writes it. See docs/reports.md.
 */
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);
#define _cleanup_json_ _cleanup_(json_object_putp)

/* A JSON string of S (NULL for NULL, which json_object_object_add() stores as null). */
json_object *json_new_string(const char *s);
/* The same for LEN bytes, NULs included. */
json_object *json_new_string_len(const char *s, size_t len);
/*
 * Object keys cannot take json_new_string()'s serializer: json-c writes a
 * key's bytes as they are. A key that is outside text (a config file's
 * keyword, say) goes through json_key_escape(): the result is valid UTF-8,
 * each backslash doubled and each byte 0xHH outside a valid sequence written
 * as the four characters "\xHH". Reversible: "\\" gives a backslash back,
 * "\xHH" the byte. See docs/reports.md.
 */
char *json_key_escape(const char *s);
/* json_object_object_add() with KEY through json_key_escape(); V is taken over. */
void json_add_text_key(json_object *o, const char *key, json_object *v);
/* An array of the strings of the NULL-terminated V (empty for NULL). */
json_object *json_new_strv(char *const *v);

/*
 * Getters that check types and answer NULL/false rather than asserting (json-c
 * asserts on json_object_array_length() of a non-array): safe on any document.
 */
json_object *rj_obj(json_object *o, const char *key);       /* an object member, or NULL */
json_object *rj_arr(json_object *o, const char *key);       /* an array member, or NULL */
const char *rj_str(json_object *o, const char *key);        /* a string member, or NULL */
bool rj_int(json_object *o, const char *key, int64_t *ret); /* an integer member */
bool rj_num(json_object *o, const char *key, double *ret);  /* an integer or double member */
bool rj_bool(json_object *o, const char *key, bool *ret);   /* a boolean member */
/*
 * Lenient, for our own event stream: the member converted the way json-c
 * converts (a string "12" gives 12, true gives 1); DEF, or false, when absent.
 */
int64_t rj_int_or(json_object *o, const char *key, int64_t def);
bool rj_truthy(json_object *o, const char *key);
size_t rj_len(json_object *a);                /* 0 unless A is an array */
json_object *rj_at(json_object *a, size_t i); /* NULL unless A is an array */
