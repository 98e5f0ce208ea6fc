/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <assert.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>

#include "basic/util.h"
#include "crypto/sign.h"
#include "integrity/manifest.h"

#define MAGIC     "#buildward-manifest 1"
#define ALGORITHM "fsverity-sha256 block-size=4096 salt=none"

void manifest_entry_done(struct manifest_entry *e) {
        free(e->path);
        free(e->target);
        e->path = e->target = NULL;
}

void manifest_free(struct manifest *m) {
        if (!m)
                return;
        for (size_t i = 0; i < m->n; i++)
                manifest_entry_done(&m->v[i]);
        free(m->v);
        free(m->table);
        strv_free(m->roots);
        free(m);
}

int manifest_entry_cmp(const void *a, const void *b) {
        return strcmp(((const struct manifest_entry *) a)->path, ((const struct manifest_entry *) b)->path);
}

char *manifest_escape(const char *s) {
        size_t n = strlen(s);
        char *out = xmalloc(4 * n + 1), *p = out;
        for (const unsigned char *c = (const unsigned char *) s; *c; c++) {
                if (*c == '\\') {
                        *p++ = '\\';
                        *p++ = '\\';
                } else if (*c == '\n') {
                        *p++ = '\\';
                        *p++ = 'n';
                } else if (*c == '\t') {
                        *p++ = '\\';
                        *p++ = 't';
                } else if (*c == '\r') {
                        *p++ = '\\';
                        *p++ = 'r';
                } else if (*c <= ' ' || *c >= 0x7f)
                        /* Space separates fields; bytes past ASCII are escaped so the file is plain ASCII. */
                        p += sprintf(p, "\\x%02x", *c);
                else
                        *p++ = (char) *c;
        }
        *p = 0;
        return out;
}

static int hexval(char c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int manifest_unescape(const char *s, size_t n, char **ret) {
        if (n == 0)
                return -EINVAL;
        /* The common case: printable ASCII without a backslash is its own only spelling. */
        size_t plain = 0;
        while (plain < n && s[plain] > ' ' && s[plain] < 0x7f && s[plain] != '\\')
                plain++;
        if (plain == n) {
                *ret = strndup(s, n);
                if (!*ret)
                        abort();
                return 0;
        }
        _cleanup_free_ char *out = xmalloc(n + 1);
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
                if (s[i] != '\\') {
                        out[k++] = s[i];
                        continue;
                }
                if (++i >= n)
                        return -EINVAL;
                switch (s[i]) {
                case '\\':
                        out[k++] = '\\';
                        break;
                case 'n':
                        out[k++] = '\n';
                        break;
                case 't':
                        out[k++] = '\t';
                        break;
                case 'r':
                        out[k++] = '\r';
                        break;
                case 'x': {
                        int hi = i + 2 < n ? hexval(s[i + 1]) : -1, lo = i + 2 < n ? hexval(s[i + 2]) : -1;
                        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                                return -EINVAL;
                        out[k++] = (char) (hi << 4 | lo);
                        i += 2;
                        break;
                }
                default:
                        return -EINVAL;
                }
        }
        out[k] = 0;
        /* One spelling per string: what does not escape back to the input is refused. */
        _cleanup_free_ char *again = manifest_escape(out);
        if (strlen(again) != n || memcmp(again, s, n) != 0)
                return -EINVAL;
        *ret = TAKE_PTR(out);
        return 0;
}

static bool path_is_canonical(const char *p) {
        if (p[0] != '/')
                return false;
        if (streq(p, "/"))
                return true;
        for (const char *c = p; *c; c++)
                if (*c == '/') {
                        const char *comp = c + 1;
                        size_t len = strcspn(comp, "/");
                        if (len == 0 || (len == 1 && comp[0] == '.') || (len == 2 && comp[0] == '.' && comp[1] == '.'))
                                return false;
                }
        return true;
}

bool manifest_path_under(const char *path, const char *root) {
        if (streq(root, "/"))
                return true;
        const char *rest = startswith(path, root);
        return rest && (*rest == 0 || *rest == '/');
}

static const char *flags_for(mode_t mode) {
        bool su = mode & S_ISUID, sg = mode & S_ISGID;
        return su && sg ? "setuid,setgid" : su ? "setuid" : sg ? "setgid" : "-";
}

static uint64_t fnv1a(const char *s) {
        uint64_t h = 1469598103934665603ULL;
        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 1099511628211ULL;
        return h;
}

static void build_table(struct manifest *m) {
        size_t size = 16;
        while (size < 2 * m->n)
                size *= 2;
        m->table = xcalloc(size, sizeof(size_t));
        m->table_size = size;
        for (size_t i = 0; i < m->n; i++) {
                size_t b = fnv1a(m->v[i].path) & (size - 1);
                while (m->table[b])
                        b = (b + 1) & (size - 1);
                m->table[b] = i + 1;
        }
}

const struct manifest_entry *manifest_lookup(const struct manifest *m, const char *path) {
        if (!m->table_size)
                return NULL;
        for (size_t b = fnv1a(path) & (m->table_size - 1); m->table[b]; b = (b + 1) & (m->table_size - 1))
                if (streq(m->v[m->table[b] - 1].path, path))
                        return &m->v[m->table[b] - 1];
        return NULL;
}

static int fail(struct manifest_error *err, unsigned line, const char *fmt, ...) _printf_(3, 4);
static int fail(struct manifest_error *err, unsigned line, const char *fmt, ...) {
        if (err) {
                va_list ap;
                va_start(ap, fmt);
                err->line = line;
                vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
                va_end(ap);
        }
        return -EBADMSG;
}

/* A decimal without sign or leading zeros, at most MAX. */
static bool parse_dec(const char *s, size_t n, uint64_t max, uint64_t *ret) {
        if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
                return false;
        uint64_t v = 0;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                unsigned d = (unsigned) (s[i] - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return false;
                v = v * 10 + d;
        }
        if (v > max)
                return false;
        *ret = v;
        return true;
}

static bool tok_is(const char *t, size_t n, const char *s) {
        return strlen(s) == n && memcmp(t, s, n) == 0;
}

#define MAX_TOKENS 10

/* Splits [LINE, LINE+N) at single spaces; false on an empty field or too many. */
static bool split(const char *line, size_t n, const char **tok, size_t *len, size_t *ntok) {
        size_t k = 0, start = 0;
        for (size_t i = 0; i <= n; i++)
                if (i == n || line[i] == ' ') {
                        if (i == start || k == MAX_TOKENS)
                                return false;
                        tok[k] = line + start;
                        len[k++] = i - start;
                        start = i + 1;
                }
        *ntok = k;
        return true;
}

static int parse_entry(const char *line, size_t n, unsigned lineno, struct manifest_entry *e,
                       struct manifest_error *err) {
        const char *t[MAX_TOKENS];
        size_t l[MAX_TOKENS], k;
        uint64_t v, uid, gid;
        if (!split(line, n, t, l, &k) || (k != 7 && k != 9))
                return fail(err, lineno,
                            "expected 'TYPE MODE UID:GID SIZE DIGEST FLAGS PATH' separated by single spaces");
        if (l[0] != 1 || !strchr("fdlcbps", t[0][0]))
                return fail(err, lineno, "unknown entry type '%.*s'", (int) l[0], t[0]);
        e->type = t[0][0];
        if (l[1] != 4 || strspn(t[1], "01234567") < 4)
                return fail(err, lineno, "mode '%.*s' is not four octal digits", (int) l[1], t[1]);
        e->mode = (mode_t) strtoul(t[1], NULL, 8);
        const char *colon = memchr(t[2], ':', l[2]);
        if (!colon || !parse_dec(t[2], (size_t) (colon - t[2]), UINT32_MAX - 1, &uid) ||
            !parse_dec(colon + 1, l[2] - (size_t) (colon - t[2]) - 1, UINT32_MAX - 1, &gid))
                return fail(err, lineno, "owner '%.*s' is not UID:GID", (int) l[2], t[2]);
        e->uid = (uid_t) uid;
        e->gid = (gid_t) gid;
        bool sized = e->type == 'f' || e->type == 'l';
        if (sized ? !parse_dec(t[3], l[3], UINT64_MAX, &v) : !tok_is(t[3], l[3], "-"))
                return fail(err, lineno, "size '%.*s' is not %s", (int) l[3], t[3],
                            sized ? "a decimal number" : "'-' (only files and symlinks have one)");
        e->size = sized ? v : 0;
        if (e->type == 'f') {
                char d[VERITY_DIGEST_HEX];
                if (l[4] != VERITY_DIGEST_HEX - 1)
                        return fail(err, lineno, "digest '%.*s' is not sha256:<64 lowercase hex digits>", (int) l[4],
                                    t[4]);
                memcpy(d, t[4], l[4]);
                d[l[4]] = 0;
                if (verity_parse(d, e->digest) < 0)
                        return fail(err, lineno, "digest '%s' is not sha256:<64 lowercase hex digits>", d);
                e->has_digest = true;
        } else if (!tok_is(t[4], l[4], "-"))
                return fail(err, lineno, "digest '%.*s' must be '-' for an entry of type '%c'", (int) l[4], t[4],
                            e->type);
        if (!tok_is(t[5], l[5], flags_for(e->mode)))
                return fail(err, lineno, "flags '%.*s' do not match mode %04o (expected '%s')", (int) l[5], t[5],
                            (unsigned) e->mode, flags_for(e->mode));
        if (manifest_unescape(t[6], l[6], &e->path) < 0)
                return fail(err, lineno, "path '%.*s' is not correctly escaped", (int) l[6], t[6]);
        if (!path_is_canonical(e->path))
                return fail(err, lineno, "path '%.*s' is not absolute and canonical", (int) l[6], t[6]);
        if (e->type == 'l') {
                if (k != 9 || !tok_is(t[7], l[7], "->"))
                        return fail(err, lineno, "a symlink entry ends with '-> TARGET'");
                if (manifest_unescape(t[8], l[8], &e->target) < 0)
                        return fail(err, lineno, "symlink target '%.*s' is not correctly escaped", (int) l[8], t[8]);
                if (strlen(e->target) != e->size)
                        return fail(err, lineno, "symlink size %" PRIu64 " is not the length of its target", e->size);
        } else if (k != 7)
                return fail(err, lineno, "only symlink entries have a '-> TARGET'");
        return 0;
}

static void sha256_buf(const void *p, size_t n, uint8_t out[32]) {
        sym_EVP_Digest(p, n, out, NULL, sym_EVP_sha256(), NULL);
}

static void hex(const uint8_t *d, size_t n, char *out) {
        for (size_t i = 0; i < n; i++)
                sprintf(out + 2 * i, "%02x", d[i]);
}

static int check_signature(const char *data, size_t signed_len, const char *line, size_t n, unsigned lineno,
                           EVP_PKEY *pubkey, struct manifest *m, struct manifest_error *err) {
        const char *t[MAX_TOKENS];
        size_t l[MAX_TOKENS], k;
        if (!split(line, n, t, l, &k) || k != 4 || !tok_is(t[1], l[1], "ed25519") || l[2] != 64 ||
            l[3] != 2 * SIGNATURE_SIZE)
                return fail(err, lineno, "expected '#signature ed25519 KEYID SIGNATURE' (hex)");
        uint8_t sig[SIGNATURE_SIZE];
        for (size_t i = 0; i < SIGNATURE_SIZE; i++) {
                int hi = hexval(t[3][2 * i]), lo = hexval(t[3][2 * i + 1]);
                if (hi < 0 || lo < 0)
                        return fail(err, lineno, "the signature is not lowercase hex");
                sig[i] = (uint8_t) (hi << 4 | lo);
        }
        if (strspn(t[2], "0123456789abcdef") < 64)
                return fail(err, lineno, "the key id is not lowercase hex");
        memcpy(m->keyid, t[2], 64);
        m->keyid[64] = 0;
        m->is_signed = true;
        if (!pubkey)
                return 0;
        char want[KEYID_HEX_SIZE];
        if (key_id(pubkey, want) < 0)
                return -EIO;
        if (!streq(want, m->keyid)) {
                fail(err, lineno, "signed by key %.16s..., not by the given key %.16s...", m->keyid, want);
                return -EKEYREJECTED;
        }
        if (verify_buffer(pubkey, data, signed_len, sig, sizeof(sig)) < 0) {
                fail(err, lineno, "the signature does not match the content: the manifest was changed after signing");
                return -EKEYREJECTED;
        }
        m->signature_verified = true;
        return 0;
}

int manifest_parse(const char *data, size_t n, EVP_PKEY *pubkey, struct manifest **ret, struct manifest_error *err) {
        if (err)
                *err = (struct manifest_error){};
        int r = dlopen_libcrypto();
        if (r < 0)
                return r;
        if (memchr(data, 0, n))
                return fail(err, 0, "the file contains a NUL byte: it is not a text manifest");
        struct manifest *m = xcalloc(1, sizeof(*m));
        _cleanup_manifest_ struct manifest *cleanup = m;
        /* Entries are at most the lines: one array, not a doubling one copied into fresh pages. */
        size_t cap = 0;
        for (const char *p = data, *end = data + n; (p = memchr(p, '\n', (size_t) (end - p))); p++)
                cap++;
        m->v = cap ? xmalloc(cap * sizeof(*m->v)) : NULL;
        enum { HEAD, ALGO, ROOTS, ENTRIES, END, SIGNED } state = HEAD;
        unsigned lineno = 0;
        sha256_buf(data, n, m->file_sha256);
        for (size_t pos = 0; pos < n;) {
                const char *line = data + pos, *nl = memchr(line, '\n', n - pos);
                lineno++;
                if (!nl)
                        return fail(err, lineno, "the last line has no newline: the manifest is truncated");
                size_t len = (size_t) (nl - line), start = pos;
                pos += len + 1;
                switch (state) {
                case HEAD:
                        if (tok_is(line, len, MAGIC)) {
                                state = ALGO;
                                break;
                        }
                        if (len >= 20 && memcmp(line, "#buildward-manifest ", 20) == 0)
                                return fail(err, lineno, "unsupported manifest version '%.*s'; this buildward reads 1",
                                            (int) (len - 20), line + 20);
                        return fail(err, lineno, "not a buildward manifest (no '" MAGIC "' line)");
                case ALGO:
                        if (len < 11 || memcmp(line, "#algorithm ", 11) != 0)
                                return fail(err, lineno, "expected '#algorithm " ALGORITHM "'");
                        if (!tok_is(line + 11, len - 11, ALGORITHM))
                                return fail(err, lineno, "unknown algorithm '%.*s'; this buildward supports " ALGORITHM,
                                            (int) (len - 11), line + 11);
                        state = ROOTS;
                        break;
                case ROOTS:
                case ENTRIES:
                        if (len >= 6 && memcmp(line, "#root ", 6) == 0) {
                                char *root = NULL;
                                if (state != ROOTS)
                                        return fail(err, lineno, "a '#root' line after the first entry");
                                if (manifest_unescape(line + 6, len - 6, &root) < 0 || !path_is_canonical(root)) {
                                        if (root)
                                                free(root);
                                        return fail(err, lineno, "root '%.*s' is not an escaped absolute path",
                                                    (int) (len - 6), line + 6);
                                }
                                size_t nr = strv_length(m->roots);
                                strv_push(&m->roots, root);
                                if (nr > 0 && strcmp(m->roots[nr - 1], root) >= 0)
                                        return fail(err, lineno, "roots are not sorted, or repeated");
                                for (size_t i = 0; i < nr; i++)
                                        if (manifest_path_under(root, m->roots[i]))
                                                return fail(err, lineno, "root '%s' is inside root '%s'", root,
                                                            m->roots[i]);
                                break;
                        }
                        if (!m->roots)
                                return fail(err, lineno, "expected at least one '#root PATH' line");
                        if (len >= 5 && memcmp(line, "#end ", 5) == 0) {
                                const char *t[MAX_TOKENS];
                                size_t l[MAX_TOKENS], k;
                                uint64_t count;
                                uint8_t want[32], got[32];
                                char d[VERITY_DIGEST_HEX] = "";
                                if (split(line, len, t, l, &k) && k == 3 && l[2] == VERITY_DIGEST_HEX - 1)
                                        memcpy(d, t[2], l[2]);
                                if (k != 3 || !parse_dec(t[1], l[1], SIZE_MAX, &count) || verity_parse(d, want) < 0)
                                        return fail(err, lineno, "expected '#end COUNT sha256:HEX'");
                                if (count != m->n)
                                        return fail(err, lineno,
                                                    "the manifest announces %" PRIu64
                                                    " entries but has %zu: lines were added or removed",
                                                    count, m->n);
                                sha256_buf(data, start, got);
                                if (memcmp(want, got, 32) != 0)
                                        return fail(err, lineno,
                                                    "checksum mismatch: the lines above were changed after sealing");
                                state = END;
                                break;
                        }
                        if (len > 0 && line[0] == '#')
                                return fail(err, lineno, "unexpected line '%.*s'", (int) (len < 40 ? len : 40), line);
                        assert(m->n < cap); /* an entry is a line, and cap counts every line */
                        struct manifest_entry *e = &m->v[m->n];
                        *e = (struct manifest_entry){};
                        r = parse_entry(line, len, lineno, e, err);
                        if (r < 0) {
                                manifest_entry_done(e);
                                return r;
                        }
                        m->n++;
                        state = ENTRIES;
                        if (m->n > 1) {
                                int c = strcmp(m->v[m->n - 2].path, e->path);
                                if (c == 0) {
                                        _cleanup_free_ char *esc = manifest_escape(e->path);
                                        return fail(err, lineno, "duplicate path '%.200s'", esc);
                                }
                                if (c > 0)
                                        return fail(err, lineno,
                                                    "entries are not sorted by path (this one belongs before line %u)",
                                                    lineno - 1);
                        }
                        bool inside = false;
                        for (char **rt = m->roots; *rt && !inside; rt++)
                                inside = manifest_path_under(e->path, *rt);
                        if (!inside)
                                return fail(err, lineno, "path is not below any '#root'");
                        break;
                case END:
                        if (len >= 11 && memcmp(line, "#signature ", 11) == 0) {
                                r = check_signature(data, start, line, len, lineno, pubkey, m, err);
                                if (r < 0)
                                        return r;
                                state = SIGNED;
                                break;
                        }
                        return fail(err, lineno, "unexpected line after '#end'");
                case SIGNED:
                        return fail(err, lineno, "unexpected line after '#signature'");
                }
        }
        if (state != END && state != SIGNED)
                return fail(err, lineno + 1, "the manifest ends before its '#end' line: it is truncated");
        if (pubkey && !m->is_signed) {
                fail(err, 0, "the manifest is not signed, but a public key was given");
                return -ENOKEY;
        }
        build_table(m);
        *ret = TAKE_PTR(cleanup);
        return 0;
}

int manifest_load(const char *path, EVP_PKEY *pubkey, struct manifest **ret, struct manifest_error *err) {
        _cleanup_free_ char *data = NULL;
        size_t n;
        int r = read_full_file(path, &data, &n, MANIFEST_MAX_SIZE);
        if (r < 0)
                return r;
        return manifest_parse(data, n, pubkey, ret, err);
}

int manifest_format(char *const *roots, const struct manifest_entry *v, size_t n, EVP_PKEY *key, char **ret,
                    size_t *ret_size) {
        int r = dlopen_libcrypto();
        if (r < 0)
                return r;
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fputs(MAGIC "\n#algorithm " ALGORITHM "\n", f);
        for (char *const *root = roots; root && *root; root++) {
                _cleanup_free_ char *esc = manifest_escape(*root);
                fprintf(f, "#root %s\n", esc);
        }
        for (size_t i = 0; i < n; i++) {
                const struct manifest_entry *e = &v[i];
                char size_s[24] = "-", dig[VERITY_DIGEST_HEX] = "-";
                if (e->type == 'f' || e->type == 'l')
                        snprintf(size_s, sizeof(size_s), "%" PRIu64, e->size);
                if (e->type == 'f')
                        verity_format(e->digest, dig);
                _cleanup_free_ char *p = manifest_escape(e->path);
                fprintf(f, "%c %04o %u:%u %s %s %s %s", e->type, (unsigned) (e->mode & 07777), (unsigned) e->uid,
                        (unsigned) e->gid, size_s, dig, flags_for(e->mode), p);
                if (e->type == 'l') {
                        _cleanup_free_ char *t = manifest_escape(e->target);
                        fprintf(f, " -> %s", t);
                }
                fputc('\n', f);
        }
        fflush(f);
        uint8_t d[32];
        char dig[VERITY_DIGEST_HEX];
        sha256_buf(buf, size, d);
        verity_format(d, dig);
        fprintf(f, "#end %zu %s\n", n, dig);
        if (fflush(f) != 0) {
                fclose(f);
                free(buf);
                return -ENOMEM;
        }
        if (key) {
                uint8_t sig[SIGNATURE_SIZE];
                char id[KEYID_HEX_SIZE], sighex[2 * SIGNATURE_SIZE + 1];
                r = key_id(key, id);
                if (r == 0)
                        r = sign_buffer(key, buf, size, sig);
                if (r < 0) {
                        fclose(f);
                        free(buf);
                        return r;
                }
                hex(sig, sizeof(sig), sighex);
                fprintf(f, "#signature ed25519 %s %s\n", id, sighex);
        }
        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        *ret_size = size;
        return 0;
}
