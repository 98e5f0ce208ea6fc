/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "basic/alloc.h"
#include "basic/json-util.h"
#include "basic/utf8.h"
#include "tap.h"
#include "utf8-valid.h"

/* Every class of invalid UTF-8, each with the bytes around it. */
static const struct {
        const char *name, *bytes, *json;
} invalid[] = {
        { "lone continuation", "a\x80z", "\"a\\udc80z\"" },
        { "continuation run", "\xbf\xbf", "\"\\udcbf\\udcbf\"" },
        { "overlong 2-byte slash", "\xc0\xaf", "\"\\udcc0\\udcaf\"" },
        { "overlong 3-byte slash", "\xe0\x80\xaf", "\"\\udce0\\udc80\\udcaf\"" },
        { "overlong 4-byte", "\xf0\x80\x80\xaf", "\"\\udcf0\\udc80\\udc80\\udcaf\"" },
        { "high surrogate in UTF-8", "\xed\xa0\x80", "\"\\udced\\udca0\\udc80\"" },
        { "low surrogate in UTF-8", "\xed\xbf\xbf", "\"\\udced\\udcbf\\udcbf\"" },
        { "truncated at end", "ok\xe2\x82", "\"ok\\udce2\\udc82\"" },
        { "truncated before ASCII", "\xe2\x82x", "\"\\udce2\\udc82x\"" },
        { "past U+10FFFF", "\xf4\x90\x80\x80", "\"\\udcf4\\udc90\\udc80\\udc80\"" },
        { "5-byte lead", "\xf8\x88\x80\x80\x80", "\"\\udcf8\\udc88\\udc80\\udc80\\udc80\"" },
        { "ff and fe", "\xff\xfe", "\"\\udcff\\udcfe\"" },
        { "mixed with valid and controls", "\xc3\xa9\xff\x1b[2J/\"", "\"\xc3\xa9\\udcff\\u001b[2J\\/\\\"\"" },
};

static int hex4(const char *p) {
        unsigned v;
        return sscanf(p, "%4x", &v) == 1 ? (int) v : -1;
}

/*
 * The bytes a surrogateescape decoder (Python: json.loads, then
 * .encode("utf-8", "surrogateescape")) gets back from the JSON string TEXT;
 * written apart from the encoder. Handles the escapes the encoder emits.
 */
static char *unescape(const char *text, size_t *ret_n) {
        size_t n = strlen(text), o = 0;
        char *out = xmalloc(n + 1);
        ASSERT_TRUE(n >= 2 && text[0] == '"' && text[n - 1] == '"');
        for (size_t i = 1; i + 1 < n; i++) {
                if (text[i] != '\\') {
                        out[o++] = text[i];
                        continue;
                }
                char c = text[++i];
                if (c == 'u') {
                        int v = hex4(text + i + 1);
                        ASSERT_TRUE(v >= 0 && (v < 0x80 || (v >= 0xdc80 && v <= 0xdcff)));
                        out[o++] = (char) (v & 0xff);
                        i += 4;
                } else
                        out[o++] = c == 'n'   ? '\n'
                                   : c == 't' ? '\t'
                                   : c == 'r' ? '\r'
                                   : c == 'b' ? '\b'
                                   : c == 'f' ? '\f'
                                              : c;
        }
        out[o] = 0;
        *ret_n = o;
        return out;
}

TEST(json_string_escapes_every_invalid_class_reversibly) {
        for (size_t i = 0; i < ELEMENTSOF(invalid); i++) {
                json_object *o = json_new_string(invalid[i].bytes);
                const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
                printf("# %s\n", invalid[i].name);
                ASSERT_STREQ(text, invalid[i].json);
                ASSERT_TRUE(utf8_valid(text, strlen(text)));
                size_t n;
                _cleanup_free_ char *back = unescape(text, &n);
                ASSERT_EQ_U64(n, strlen(invalid[i].bytes));
                ASSERT_TRUE(memcmp(back, invalid[i].bytes, n) == 0);
                /* In memory the bytes stay as they were. */
                ASSERT_STREQ(json_object_get_string(o), invalid[i].bytes);
                json_object_put(o);
        }
}

TEST(json_string_valid_utf8_is_written_as_json_c_writes_it) {
        static const char *const valid[] = { "",
                                             "plain",
                                             "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
                                             "\xf4\x8f\xbf\xbf",
                                             "tab\tnl\nesc\x1b quote\" back\\ slash/",
                                             "\xef\xbf\xbd" };
        for (size_t i = 0; i < ELEMENTSOF(valid); i++) {
                json_object *a = json_new_string(valid[i]), *b = json_object_new_string(valid[i]);
                for (int flags = 0; flags <= JSON_C_TO_STRING_NOSLASHESCAPE; flags += JSON_C_TO_STRING_NOSLASHESCAPE)
                        ASSERT_STREQ(json_object_to_json_string_ext(a, flags),
                                     json_object_to_json_string_ext(b, flags));
                json_object_put(a);
                json_object_put(b);
        }
}

TEST(json_string_escape_survives_nesting_copy_and_nul) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "argv", json_new_strv((char *[]){ (char *) "ok", (char *) "x\xff", NULL }));
        json_object_object_add(o, "nul", json_new_string_len("a\0\x80", 3));
        json_object_object_add(o, "none", json_new_string(NULL));
        json_object *copy = NULL;
        ASSERT_EQ_INT(json_object_deep_copy(o, &copy, NULL), 0);
        const char *want = "{\"argv\":[\"ok\",\"x\\udcff\"],\"nul\":\"a\\u0000\\udc80\",\"none\":null}";
        ASSERT_STREQ(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), want);
        ASSERT_STREQ(json_object_to_json_string_ext(copy, JSON_C_TO_STRING_PLAIN), want);
        /* json-c's own parser reads the escapes back as U+FFFD: valid, never raw bytes. */
        json_object *parsed = json_tokener_parse(want);
        ASSERT_TRUE(parsed != NULL);
        const char *s = json_object_get_string(rj_at(rj_arr(parsed, "argv"), 1));
        ASSERT_TRUE(s && utf8_valid(s, strlen(s)));
        json_object_put(parsed);
        json_object_put(copy);
        json_object_put(o);
}

TEST(text_escape_leaves_no_control_or_invalid_byte) {
        for (size_t i = 0; i < ELEMENTSOF(invalid); i++) {
                _cleanup_free_ char *t = text_plain(invalid[i].bytes, strlen(invalid[i].bytes), 0);
                ASSERT_TRUE(utf8_valid(t, strlen(t)));
                ASSERT_TRUE(strchr(t, '\x1b') == NULL);
        }
        static const char hostile[] = "a\x1b]0;x\x07\xc2\x9b"
                                      "b\xe2\x80\xae";
        _cleanup_free_ char *t = text_plain(hostile, sizeof(hostile) - 1, 0);
        ASSERT_STREQ(t, "a\\x1b]0;x\\x07\\u009bb\\u202e");
}

TEST(utf8_is_valid_agrees_with_the_reference_check) {
        for (size_t i = 0; i < ELEMENTSOF(invalid); i++)
                ASSERT_TRUE(!utf8_is_valid(invalid[i].bytes, strlen(invalid[i].bytes)));
        static const char ok[] = "caf\xc3\xa9\xf4\x8f\xbf\xbf\xee\x80\x80";
        ASSERT_TRUE(utf8_is_valid(ok, sizeof(ok) - 1) && utf8_valid(ok, sizeof(ok) - 1));
}

/* The reverse of json_key_escape(), written apart from it: "\\" and "\xHH". */
static char *key_unescape(const char *k) {
        char *out = xmalloc(strlen(k) + 1), *o = out;
        for (const char *s = k; *s; s++) {
                if (s[0] == '\\' && s[1] == '\\')
                        *o++ = *++s;
                else if (s[0] == '\\' && s[1] == 'x') {
                        unsigned v = 0;
                        ASSERT_TRUE(sscanf(s + 2, "%2x", &v) == 1);
                        *o++ = (char) v;
                        s += 3;
                } else
                        *o++ = *s;
        }
        *o = 0;
        return out;
}

TEST(json_key_escape_gives_valid_utf8_reversibly) {
        for (size_t i = 0; i < ELEMENTSOF(invalid); i++) {
                _cleanup_free_ char *k = json_key_escape(invalid[i].bytes);
                printf("# %s\n", invalid[i].name);
                ASSERT_TRUE(utf8_valid(k, strlen(k)));
                _cleanup_free_ char *back = key_unescape(k);
                ASSERT_STREQ(back, invalid[i].bytes);
        }
        _cleanup_free_ char *a = json_key_escape("a\xff\\x41\\"), *b = json_key_escape("port"),
                            *c = json_key_escape("caf\xc3\xa9");
        ASSERT_STREQ(a, "a\\xff\\\\x41\\\\");
        ASSERT_STREQ(b, "port");
        ASSERT_STREQ(c, "caf\xc3\xa9");
        /* In a document: the whole text is valid UTF-8. */
        json_object *o = json_object_new_object();
        json_add_text_key(o, "bad\xc0\xaf", json_new_string("v\xff"));
        const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        ASSERT_TRUE(utf8_valid(text, strlen(text)));
        ASSERT_STREQ(text, "{\"bad\\\\xc0\\\\xaf\":\"v\\udcff\"}");
        json_object_put(o);
}
