/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <json-c/json.h>

#include "attest/dsse.h"
#include "basic/json-util.h"
#include "basic/util.h"

/* An envelope larger than this is not one of ours: provenance of 100k artifacts is ~15 MiB. */
#define DSSE_MAX_SIZE (64u << 20)

uint8_t *dsse_pae(const char *type, const void *body, size_t n, size_t *ret_len) {
        size_t tl = strlen(type);
        _cleanup_free_ char *head = xasprintf("DSSEv1 %zu %s %zu ", tl, type, n);
        size_t hl = strlen(head);
        uint8_t *p = xmalloc(hl + n + 1);
        memcpy(p, head, hl);
        if (n)
                memcpy(p + hl, body, n);
        p[hl + n] = 0;
        *ret_len = hl + n;
        return p;
}

char *base64_encode(const void *data, size_t n) {
        char *s = xmalloc(4 * ((n + 2) / 3) + 1);
        sym_EVP_EncodeBlock((unsigned char *) s, data, (int) n);
        return s;
}

int base64_decode(const char *s, uint8_t **ret, size_t *ret_len) {
        int r = dlopen_libcrypto();
        if (r < 0)
                return r;
        size_t l = strlen(s);
        if (l % 4 != 0 || l > DSSE_MAX_SIZE)
                return -EBADMSG;
        for (size_t i = 0; i < l; i++) {
                char c = s[i];
                bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
                /* '=' only as the last one or two characters */
                if (!alnum && c != '+' && c != '/' && !(c == '=' && i >= l - 2 && (i == l - 1 || s[l - 1] == '=')))
                        return -EBADMSG;
        }
        uint8_t *out = xmalloc(l / 4 * 3 + 1);
        int k = sym_EVP_DecodeBlock(out, (const unsigned char *) s, (int) l);
        if (k < 0) {
                free(out);
                return -EBADMSG;
        }
        /* EVP_DecodeBlock counts the padding as zero bytes. */
        size_t pad = l >= 1 && s[l - 1] == '=' ? (l >= 2 && s[l - 2] == '=' ? 2 : 1) : 0;
        *ret_len = (size_t) k - pad;
        out[*ret_len] = 0;
        *ret = out;
        return 0;
}

int dsse_sign(const char *type, const void *body, size_t n, EVP_PKEY *key, char **ret) {
        size_t pl;
        _cleanup_free_ uint8_t *pae = dsse_pae(type, body, n, &pl);
        uint8_t sig[SIGNATURE_SIZE];
        char id[KEYID_HEX_SIZE];
        int r = key_id(key, id);
        if (r < 0)
                return r;
        r = sign_buffer(key, pae, pl, sig);
        if (r < 0)
                return r;
        _cleanup_free_ char *b64 = base64_encode(body, n), *s64 = base64_encode(sig, sizeof(sig));
        json_object *o = json_object_new_object(), *sigs = json_object_new_array(), *s = json_object_new_object();
        json_object_object_add(o, "payloadType", json_new_string(type));
        json_object_object_add(o, "payload", json_new_string(b64));
        json_object_object_add(s, "keyid", json_new_string(id));
        json_object_object_add(s, "sig", json_new_string(s64));
        json_object_array_add(sigs, s);
        json_object_object_add(o, "signatures", sigs);
        *ret = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                                 JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        return 0;
}

void dsse_envelope_done(struct dsse_envelope *e) {
        free(e->payload_type);
        free(e->payload);
        for (size_t i = 0; i < e->n_sigs; i++) {
                free(e->sigs[i].keyid);
                free(e->sigs[i].sig);
        }
        free(e->sigs);
        *e = (struct dsse_envelope){};
}

int dsse_parse(const char *text, size_t n, struct dsse_envelope *ret) {
        if (n > DSSE_MAX_SIZE)
                return -EBADMSG;
        json_tokener *tok = json_tokener_new();
        if (!tok)
                return -ENOMEM;
        json_object *o = json_tokener_parse_ex(tok, text, (int) n);
        bool complete = json_tokener_get_error(tok) == json_tokener_success;
        /* one document and nothing after it but white space */
        for (size_t i = complete ? json_tokener_get_parse_end(tok) : n; i < n; i++)
                if (!strchr(" \t\r\n", text[i]) || !text[i])
                        complete = false;
        json_tokener_free(tok);
        struct dsse_envelope e = {};
        int r = -EBADMSG;
        json_object *sigs;
        const char *type, *payload;
        if (!o || !complete || !json_object_is_type(o, json_type_object) || !(type = rj_str(o, "payloadType")) ||
            !(payload = rj_str(o, "payload")) || !json_object_object_get_ex(o, "signatures", &sigs) ||
            !json_object_is_type(sigs, json_type_array))
                goto fail;
        e.payload_type = xstrdup(type);
        if (base64_decode(payload, &e.payload, &e.payload_len) < 0)
                goto fail;
        size_t ns = json_object_array_length(sigs);
        if (ns > 64)
                goto fail;
        e.sigs = xcalloc(ns ? ns : 1, sizeof(*e.sigs));
        for (size_t i = 0; i < ns; i++) {
                json_object *s = json_object_array_get_idx(sigs, i);
                const char *sig, *keyid;
                if (!json_object_is_type(s, json_type_object) || !(sig = rj_str(s, "sig")))
                        goto fail;
                keyid = rj_str(s, "keyid");
                e.sigs[i].keyid = xstrdup(keyid ? keyid : "");
                e.n_sigs = i + 1;
                if (base64_decode(sig, &e.sigs[i].sig, &e.sigs[i].sig_len) < 0)
                        goto fail;
        }
        json_object_put(o);
        *ret = e;
        return 0;
fail:
        json_object_put(o);
        dsse_envelope_done(&e);
        return r;
}

int dsse_verify(const struct dsse_envelope *e, EVP_PKEY *key, size_t *ret_index) {
        char id[KEYID_HEX_SIZE];
        int r = key_id(key, id);
        if (r < 0)
                return r;
        size_t pl;
        _cleanup_free_ uint8_t *pae = dsse_pae(e->payload_type, e->payload, e->payload_len, &pl);
        bool named = false;
        /* keyid is a hint only (DSSE): a signature without one is tried too. */
        for (size_t i = 0; i < e->n_sigs; i++) {
                if (e->sigs[i].keyid[0] && !streq(e->sigs[i].keyid, id))
                        continue;
                named = true;
                if (verify_buffer(key, pae, pl, e->sigs[i].sig, e->sigs[i].sig_len) == 0) {
                        if (ret_index)
                                *ret_index = i;
                        return 0;
                }
        }
        return named ? -EBADMSG : -ENOKEY;
}
