/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <json-c/printbuf.h>
#include <math.h>
#include <string.h>

#include "basic/alloc.h"
#include "basic/json-util.h"
#include "basic/utf8.h"

/*
 * The serializer of a string that is not strict UTF-8: json-c's escaping
 * (json_escape_str() in json_object.c: \b \f \n \r \t, other C0 as \u00xx,
 * '/' unless NOSLASHESCAPE) plus "\udcHH" for each byte outside a valid
 * sequence.
 */
static int string_escaped_to_json(json_object *o, struct printbuf *pb, int level _unused_, int flags) {
        const unsigned char *s = (const unsigned char *) json_object_get_string(o);
        size_t n = (size_t) json_object_get_string_len(o);
        char esc[8];
        printbuf_strappend(pb, "\"");
        for (size_t i = 0; i < n;) {
                uint32_t cp;
                size_t k = utf8_decode(s + i, n - i, &cp);
                if (k == 0) {
                        snprintf(esc, sizeof(esc), "\\udc%02x", s[i]);
                        printbuf_memappend(pb, esc, 6);
                        i++;
                        continue;
                }
                const char *e = cp == '\b'                                               ? "\\b"
                                : cp == '\f'                                             ? "\\f"
                                : cp == '\n'                                             ? "\\n"
                                : cp == '\r'                                             ? "\\r"
                                : cp == '\t'                                             ? "\\t"
                                : cp == '"'                                              ? "\\\""
                                : cp == '\\'                                             ? "\\\\"
                                : cp == '/' && !(flags & JSON_C_TO_STRING_NOSLASHESCAPE) ? "\\/"
                                                                                         : NULL;
                if (e)
                        printbuf_memappend(pb, e, (int) strlen(e));
                else if (cp < 0x20) {
                        snprintf(esc, sizeof(esc), "\\u%04x", (unsigned) cp);
                        printbuf_memappend(pb, esc, 6);
                } else
                        printbuf_memappend(pb, (const char *) s + i, (int) k);
                i += k;
        }
        printbuf_strappend(pb, "\"");
        return 0;
}

json_object *json_new_string_len(const char *s, size_t len) {
        if (!s)
                return NULL;
        json_object *o = json_object_new_string_len(s, (int) len);
        /* No userdata: json_object_deep_copy() copies this serializer along. */
        if (o && !utf8_is_valid(s, len))
                json_object_set_serializer(o, string_escaped_to_json, NULL, NULL);
        return o;
}

json_object *json_new_string(const char *s) {
        return s ? json_new_string_len(s, strlen(s)) : NULL;
}

char *json_key_escape(const char *s) {
        const unsigned char *u = (const unsigned char *) s;
        size_t n = strlen(s), k = 0;
        /* At most four characters per byte, and the NUL. */
        char *ret = xmalloc(n * 4 + 1);
        for (size_t i = 0; i < n;) {
                uint32_t cp;
                size_t l = utf8_decode(u + i, n - i, &cp);
                if (l == 0) {
                        k += (size_t) snprintf(ret + k, 5, "\\x%02x", u[i]);
                        i++;
                        continue;
                }
                if (cp == '\\')
                        ret[k++] = '\\';
                memcpy(ret + k, s + i, l);
                k += l;
                i += l;
        }
        ret[k] = 0;
        return ret;
}

void json_add_text_key(json_object *o, const char *key, json_object *v) {
        _cleanup_free_ char *k = json_key_escape(key);
        json_object_object_add(o, k, v);
}

json_object *json_new_strv(char *const *v) {
        json_object *a = json_object_new_array();
        for (; v && *v; v++)
                json_object_array_add(a, json_new_string(*v));
        return a;
}

static json_object *member(json_object *o, const char *key, json_type t) {
        json_object *v;
        if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v) ||
            !json_object_is_type(v, t))
                return NULL;
        return v;
}

json_object *rj_obj(json_object *o, const char *key) {
        return member(o, key, json_type_object);
}

json_object *rj_arr(json_object *o, const char *key) {
        return member(o, key, json_type_array);
}

const char *rj_str(json_object *o, const char *key) {
        return json_object_get_string(member(o, key, json_type_string));
}

bool rj_int(json_object *o, const char *key, int64_t *ret) {
        json_object *v = member(o, key, json_type_int);
        if (!v)
                return false;
        *ret = json_object_get_int64(v);
        return true;
}

bool rj_num(json_object *o, const char *key, double *ret) {
        json_object *v = member(o, key, json_type_double);
        if (!v)
                v = member(o, key, json_type_int);
        if (!v || !isfinite(json_object_get_double(v)))
                return false;
        *ret = json_object_get_double(v);
        return true;
}

bool rj_bool(json_object *o, const char *key, bool *ret) {
        json_object *v = member(o, key, json_type_boolean);
        if (!v)
                return false;
        *ret = json_object_get_boolean(v);
        return true;
}

int64_t rj_int_or(json_object *o, const char *key, int64_t def) {
        json_object *v;
        return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : def;
}

bool rj_truthy(json_object *o, const char *key) {
        json_object *v;
        return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

size_t rj_len(json_object *a) {
        return json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

json_object *rj_at(json_object *a, size_t i) {
        return i < rj_len(a) ? json_object_array_get_idx(a, i) : NULL;
}
