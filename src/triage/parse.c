/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "basic/util.h"
#include "crypto/openssl-dl.h"
#include "triage/parse.h"

static const char *skip_ws(const char *s) {
        while (*s == ' ' || *s == '\t')
                s++;
        return s;
}

/* Copies the next whitespace-separated word of *S into RET (truncated to N-1); false at the end. */
static bool next_word(const char **s, char *ret, size_t n) {
        const char *p = skip_ws(*s);
        if (!*p || *p == '\n' || *p == '\r')
                return false;
        size_t l = strcspn(p, " \t\r\n");
        if (n > 0) {
                size_t k = l < n - 1 ? l : n - 1;
                memcpy(ret, p, k);
                ret[k] = 0;
        }
        *s = p + l;
        return true;
}

static bool parse_hex_u64(const char *s, size_t len, uint64_t *ret) {
        if (len == 0 || len > 16)
                return false;
        uint64_t v = 0;
        for (size_t i = 0; i < len; i++) {
                int d = isdigit((unsigned char) s[i])  ? s[i] - '0'
                        : (s[i] >= 'a' && s[i] <= 'f') ? s[i] - 'a' + 10
                        : (s[i] >= 'A' && s[i] <= 'F') ? s[i] - 'A' + 10
                                                       : -1;
                if (d < 0)
                        return false;
                v = v << 4 | (uint64_t) d;
        }
        *ret = v;
        return true;
}

/*
 * The kernel prints an address as the 32-bit words of the in-memory address,
 * each with %08X in host order (net/ipv4/tcp_ipv4.c, get_tcp4_sock), then
 * ":%04X" of the port in host order.
 */
static int parse_endpoint(const char *w, bool ipv6, char *addr, size_t n, uint16_t *port) {
        size_t hexlen = ipv6 ? 32 : 8;
        if (strlen(w) != hexlen + 5 || w[hexlen] != ':')
                return -EINVAL;
        uint32_t words[4];
        for (size_t i = 0; i < hexlen / 8; i++) {
                uint64_t v;
                if (!parse_hex_u64(w + 8 * i, 8, &v))
                        return -EINVAL;
                words[i] = (uint32_t) v;
        }
        uint64_t p;
        if (!parse_hex_u64(w + hexlen + 1, 4, &p))
                return -EINVAL;
        if (!inet_ntop(ipv6 ? AF_INET6 : AF_INET, words, addr, (socklen_t) n))
                return -EINVAL;
        *port = (uint16_t) p;
        return 0;
}

int proc_net_parse_line(const char *line, bool ipv6, struct net_row *ret) {
        const char *s = line;
        char w[64], local[64], remote[64], st[8];
        if (!next_word(&s, w, sizeof(w)))
                return -ENODATA;
        if (streq(w, "sl"))
                return -ENODATA;
        size_t l = strlen(w);
        if (l < 2 || w[l - 1] != ':')
                return -EINVAL;
        if (!next_word(&s, local, sizeof(local)) || !next_word(&s, remote, sizeof(remote)) ||
            !next_word(&s, st, sizeof(st)))
                return -EINVAL;
        struct net_row r = {};
        if (parse_endpoint(local, ipv6, r.local, sizeof(r.local), &r.local_port) < 0 ||
            parse_endpoint(remote, ipv6, r.remote, sizeof(r.remote), &r.remote_port) < 0)
                return -EINVAL;
        uint64_t v;
        if (strlen(st) != 2 || !parse_hex_u64(st, 2, &v))
                return -EINVAL;
        r.state = (unsigned) v;
        /* tx:rx queue, tr:when, retrnsmt, then uid, timeout, inode (decimal). */
        for (int i = 0; i < 3; i++)
                if (!next_word(&s, w, sizeof(w)))
                        return -EINVAL;
        char uid[16], tmo[24], ino[24];
        if (!next_word(&s, uid, sizeof(uid)) || !next_word(&s, tmo, sizeof(tmo)) || !next_word(&s, ino, sizeof(ino)))
                return -EINVAL;
        char *end;
        errno = 0;
        unsigned long long u = strtoull(uid, &end, 10);
        if (errno || *end || u > UINT32_MAX || !isdigit((unsigned char) uid[0]))
                return -EINVAL;
        r.uid = (uint32_t) u;
        unsigned long long in = strtoull(ino, &end, 10);
        if (errno || *end || !isdigit((unsigned char) ino[0]))
                return -EINVAL;
        r.inode = in;
        *ret = r;
        return 0;
}

int proc_net_unix_parse_line(const char *line, struct unix_row *ret) {
        const char *s = line;
        char num[32], ref[16], proto[16], flags[16], type[8], st[8], ino[24];
        if (!next_word(&s, num, sizeof(num)))
                return -ENODATA;
        if (streq(num, "Num"))
                return -ENODATA;
        size_t l = strlen(num);
        if (l < 2 || num[l - 1] != ':')
                return -EINVAL;
        if (!next_word(&s, ref, sizeof(ref)) || !next_word(&s, proto, sizeof(proto)) ||
            !next_word(&s, flags, sizeof(flags)) || !next_word(&s, type, sizeof(type)) ||
            !next_word(&s, st, sizeof(st)) || !next_word(&s, ino, sizeof(ino)))
                return -EINVAL;
        uint64_t f, t, stv;
        if (!parse_hex_u64(flags, strlen(flags), &f) || !parse_hex_u64(type, strlen(type), &t) ||
            !parse_hex_u64(st, strlen(st), &stv))
                return -EINVAL;
        char *end;
        errno = 0;
        unsigned long long in = strtoull(ino, &end, 10);
        if (errno || *end || !isdigit((unsigned char) ino[0]))
                return -EINVAL;
        struct unix_row r = {
                .type = (unsigned) t,
                .state = (unsigned) stv,
                .listening = (f & 0x10000) != 0, /* __SO_ACCEPTCON */
                .inode = in,
        };
        s = skip_ws(s);
        size_t pl = strcspn(s, "\r\n");
        if (pl >= sizeof(r.path))
                pl = sizeof(r.path) - 1;
        memcpy(r.path, s, pl);
        r.path[pl] = 0;
        *ret = r;
        return 0;
}

bool address_is_loopback(const char *addr) {
        struct in6_addr a6;
        struct in_addr a4;
        if (inet_pton(AF_INET, addr, &a4) == 1)
                return (ntohl(a4.s_addr) >> 24) == 127;
        if (inet_pton(AF_INET6, addr, &a6) == 1) {
                if (IN6_IS_ADDR_LOOPBACK(&a6))
                        return true;
                return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
        }
        return false;
}

/* ---- sshd_config ---- */

/* The next argument of an sshd_config line, honouring double quotes, into a new string. */
static char *sshd_arg(const char **s) {
        const char *p = skip_ws(*s);
        if (*p == '=')
                p = skip_ws(p + 1);
        if (!*p || *p == '#')
                return NULL;
        size_t l;
        if (*p == '"') {
                p++;
                l = strcspn(p, "\"");
                *s = p[l] ? p + l + 1 : p + l;
        } else {
                l = strcspn(p, " \t=");
                *s = p + l;
        }
        char *r = xmalloc(l + 1);
        memcpy(r, p, l);
        r[l] = 0;
        return r;
}

int sshd_config_parse(struct sshd_config *c, const char *text) {
        /* Include nests: sshd refuses more than 16 levels; so do we. */
        if (c->depth > 16)
                return -ELOOP;
        _cleanup_free_ char *copy = xstrdup(text);
        bool in_match = false;
        char *save = NULL;
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                line[strcspn(line, "\r")] = 0;
                const char *s = skip_ws(line);
                if (!*s || *s == '#')
                        continue;
                size_t kl = strcspn(s, " \t=");
                if (kl == 0 || kl > 64)
                        continue;
                char key[65];
                for (size_t i = 0; i < kl; i++)
                        key[i] = (char) tolower((unsigned char) s[i]);
                key[kl] = 0;
                s += kl;
                if (streq(key, "match")) {
                        /* "Match all" ends a conditional block. */
                        _cleanup_free_ char *a = sshd_arg(&s);
                        in_match = !(a && strcasecmp(a, "all") == 0);
                        continue;
                }
                if (streq(key, "include")) {
                        char *a;
                        while ((a = sshd_arg(&s))) {
                                if (c->include && !in_match && c->includes++ < 256) {
                                        c->depth++;
                                        (void) c->include(c, a, c->userdata);
                                        c->depth--;
                                }
                                free(a);
                        }
                        continue;
                }
                if (in_match)
                        continue;
                if (sshd_config_get(c, key))
                        continue; /* the first value wins */
                const char *v = skip_ws(s);
                if (*v == '=')
                        v = skip_ws(v + 1);
                size_t vl = strlen(v);
                while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
                        vl--;
                if (vl == 0)
                        continue;
                strv_push(&c->kv, xstrdup(key));
                strv_push(&c->kv, strndup(v, vl));
        }
        return 0;
}

const char *sshd_config_get(const struct sshd_config *c, const char *keyword) {
        for (size_t i = 0; c->kv && c->kv[i] && c->kv[i + 1]; i += 2)
                if (strcasecmp(c->kv[i], keyword) == 0)
                        return c->kv[i + 1];
        return NULL;
}

void sshd_config_done(struct sshd_config *c) {
        strv_free(c->kv);
        c->kv = NULL;
}

/* ---- pg_hba.conf ---- */

static bool pg_word(const char **s, char *ret, size_t n) {
        const char *p = skip_ws(*s);
        if (!*p || *p == '#' || *p == '\n' || *p == '\r')
                return false;
        size_t l = 0;
        bool quoted = false;
        const char *q = p;
        while (*q && (quoted || (*q != ' ' && *q != '\t' && *q != '#' && *q != '\r' && *q != '\n'))) {
                if (*q == '"')
                        quoted = !quoted;
                else if (l + 1 < n)
                        ret[l++] = *q;
                q++;
        }
        ret[l] = 0;
        *s = q;
        /* an unterminated quote, or nothing but quotes, is not a field (fuzz-triage-config) */
        return !quoted && l > 0;
}

int pg_hba_parse_line(const char *line, struct hba_rule *ret) {
        const char *s = line;
        struct hba_rule r = {};
        if (!pg_word(&s, r.type, sizeof(r.type)))
                return -ENODATA;
        if (r.type[0] == '@' || startswith(r.type, "include"))
                return -ENODATA; /* include directives: not rules */
        bool local = streq(r.type, "local");
        if (!local && !startswith(r.type, "host"))
                return -EINVAL;
        if (!pg_word(&s, r.database, sizeof(r.database)) || !pg_word(&s, r.user, sizeof(r.user)))
                return -EINVAL;
        if (!local) {
                if (!pg_word(&s, r.address, sizeof(r.address)))
                        return -EINVAL;
                /* An IPv4 address and a separate netmask: fold into the address field. */
                char next[64];
                const char *save = s;
                if (!strchr(r.address, '/') && pg_word(&s, next, sizeof(next)) && strchr(next, '.') &&
                    isdigit((unsigned char) next[0])) {
                        size_t al = strlen(r.address);
                        snprintf(r.address + al, sizeof(r.address) - al, " %s", next);
                } else
                        s = save;
        }
        if (!pg_word(&s, r.method, sizeof(r.method)))
                return -EINVAL;
        *ret = r;
        return 0;
}

/* ---- key = value files ---- */

char *conf_get(const char *text, const char *section, const char *key, char sep) {
        char *found = NULL;
        bool in_section = section == NULL;
        size_t keyl = strlen(key);
        for (const char *line = text; line && *line;) {
                const char *eol = strchr(line, '\n');
                size_t ll = eol ? (size_t) (eol - line) : strlen(line);
                const char *s = skip_ws(line);
                const char *end = line + ll;
                if (section && *s == '[') {
                        const char *close = memchr(s, ']', (size_t) (end - s));
                        in_section = close && (size_t) (close - s - 1) == strlen(section) &&
                                     strncasecmp(s + 1, section, strlen(section)) == 0;
                } else if (in_section && s < end && *s != '#' && *s != ';' && (size_t) (end - s) > keyl &&
                           strncasecmp(s, key, keyl) == 0) {
                        /* my.cnf spells options with '-' or '_' alike; only exact keys here. */
                        const char *v = skip_ws(s + keyl);
                        bool ok = false;
                        if (sep == '=' && v < end && *v == '=') {
                                v = skip_ws(v + 1);
                                ok = true;
                        } else if (sep == ' ' && v > s + keyl)
                                ok = true;
                        if (ok) {
                                const char *ve = end;
                                const char *hash = memchr(v, '#', (size_t) (ve - v));
                                if (hash && (hash == v || hash[-1] == ' ' || hash[-1] == '\t'))
                                        ve = hash;
                                while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r'))
                                        ve--;
                                if (ve - v >= 2 && (*v == '\'' || *v == '"') && ve[-1] == *v) {
                                        v++;
                                        ve--;
                                }
                                free(found);
                                found = strndup(v, (size_t) (ve - v));
                        }
                }
                line = eol ? eol + 1 : NULL;
        }
        return found;
}

/* ---- crontab ---- */

int cron_parse_line(const char *line, bool system, struct cron_entry *ret) {
        const char *s = skip_ws(line);
        if (!*s || *s == '#' || *s == '\n' || *s == '\r')
                return -ENODATA;
        struct cron_entry r = {};
        char w[64];
        if (*s == '@') {
                if (!next_word(&s, r.schedule, sizeof(r.schedule)))
                        return -EINVAL;
        } else {
                /* NAME=VALUE (spaces allowed around '='): environment, not a job. */
                size_t nl = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
                if (nl > 0 && skip_ws(s + nl)[0] == '=')
                        return -ENODATA;
                for (int i = 0; i < 5; i++) {
                        if (!next_word(&s, w, sizeof(w)))
                                return -EINVAL;
                        if (strspn(w, "0123456789*/,-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") !=
                            strlen(w))
                                return -EINVAL;
                        size_t l = strlen(r.schedule);
                        snprintf(r.schedule + l, sizeof(r.schedule) - l, "%s%s", i ? " " : "", w);
                }
        }
        if (system && !next_word(&s, r.user, sizeof(r.user)))
                return -EINVAL;
        s = skip_ws(s);
        if (!*s || *s == '\n' || *s == '\r')
                return -EINVAL;
        r.command = s;
        *ret = r;
        return 0;
}

/* ---- dpkg md5sums ---- */

int md5sums_parse_line(const char *line, char ret_md5[33], const char **ret_path) {
        if (!*line || *line == '\n')
                return -ENODATA;
        if (strspn(line, "0123456789abcdef") != 32 || line[32] != ' ')
                return -EINVAL;
        const char *p = line + 33;
        if (*p == ' ' || *p == '*')
                p++;
        if (!*p || *p == '\n')
                return -EINVAL;
        memcpy(ret_md5, line, 32);
        ret_md5[32] = 0;
        *ret_path = p;
        return 0;
}

/* ---- dpkg.log ---- */

/* The actions that name a package second ("startup" and "conffile" name none). */
static bool dpkg_action(const char *a) {
        static const char *const actions[] = { "install", "upgrade", "configure", "trigproc", "remove", "purge" };
        for (size_t i = 0; i < ELEMENTSOF(actions); i++)
                if (streq(a, actions[i]))
                        return true;
        return false;
}

int dpkg_log_parse_line(const char *line, struct dpkg_log_line *ret) {
        if (!*line || *line == '\n' || *line == '\r')
                return -ENODATA;
        struct dpkg_log_line r = {};
        int n = 0;
        if (sscanf(line, "%4d-%2d-%2d %2d:%2d:%2d %n", &r.year, &r.mon, &r.mday, &r.hour, &r.min, &r.sec, &n) != 6 ||
            n < 20 || r.mon < 1 || r.mon > 12 || r.mday < 1 || r.mday > 31 || r.hour > 23 || r.min > 59 || r.sec > 60 ||
            r.year < 1970 || r.hour < 0 || r.min < 0 || r.sec < 0)
                return -EINVAL;
        const char *s = line + n;
        char action[32] = "", w2[128] = "", w3[128] = "";
        /* "status STATE PKG VER" names the package third; the actions name it second. */
        if (sscanf(s, "%31s %127s %127s", action, w2, w3) < 2)
                return -EINVAL;
        const char *pkg = NULL;
        if (streq(action, "status")) {
                pkg = w3[0] ? w3 : NULL;
                r.unpack = streq(w2, "half-installed") || streq(w2, "unpacked");
        } else if (dpkg_action(action)) {
                pkg = w2;
                r.unpack = streq(action, "install") || streq(action, "upgrade");
        }
        if (pkg) {
                size_t l = strcspn(pkg, ":");
                memcpy(r.pkg, pkg, l);
                r.pkg[l] = 0;
        }
        if (!r.pkg[0])
                r.unpack = false;
        *ret = r;
        return 0;
}

/* ---- authorized_keys ---- */

static bool is_key_type(const char *w) {
        return startswith(w, "ssh-") || startswith(w, "ecdsa-sha2-") || startswith(w, "sk-ssh-") ||
               startswith(w, "sk-ecdsa-");
}

int authkey_parse_line(const char *line, struct authkey *ret) {
        const char *s = skip_ws(line);
        if (!*s || *s == '#' || *s == '\n' || *s == '\r')
                return -ENODATA;
        struct authkey r = {};
        /* Options come first: a comma-separated list that may hold quoted spaces. */
        for (int words = 0;; words++) {
                s = skip_ws(s);
                if (!*s || *s == '\n' || words > 2)
                        return -EINVAL;
                size_t l = 0;
                bool quoted = false;
                while (s[l] && (quoted || (s[l] != ' ' && s[l] != '\t' && s[l] != '\n' && s[l] != '\r'))) {
                        if (s[l] == '"')
                                quoted = !quoted;
                        else if (s[l] == '\\' && s[l + 1])
                                l++;
                        l++;
                }
                if (l < sizeof(r.type)) {
                        memcpy(r.type, s, l);
                        r.type[l] = 0;
                        if (is_key_type(r.type)) {
                                s += l;
                                break;
                        }
                }
                r.has_options = true;
                s += l;
        }
        char b64[16384];
        const char *p = skip_ws(s);
        size_t bl = strcspn(p, " \t\r\n");
        if (bl == 0 || bl >= sizeof(b64) || bl % 4 != 0)
                return -EINVAL;
        memcpy(b64, p, bl);
        b64[bl] = 0;
        int loaded = dlopen_libcrypto();
        if (loaded < 0)
                return loaded;
        unsigned char blob[sizeof(b64)];
        int n = sym_EVP_DecodeBlock(blob, (const unsigned char *) b64, (int) bl);
        if (n < 0)
                return -EINVAL;
        /* EVP_DecodeBlock counts the padding as zero bytes. */
        for (size_t i = bl; i > 0 && b64[i - 1] == '='; i--)
                n--;
        /* The blob starts with the key type as an SSH string. */
        size_t tl = strlen(r.type);
        if (n < 4 + (int) tl ||
            ((size_t) blob[0] << 24 | (size_t) blob[1] << 16 | (size_t) blob[2] << 8 | blob[3]) != tl ||
            memcmp(blob + 4, r.type, tl) != 0)
                return -EINVAL;
        unsigned char md[32];
        unsigned mdl = 0;
        if (sym_EVP_Digest(blob, (size_t) n, md, &mdl, sym_EVP_sha256(), NULL) != 1)
                return -EIO;
        unsigned char enc[64];
        int el = sym_EVP_EncodeBlock(enc, md, (int) mdl);
        while (el > 0 && enc[el - 1] == '=')
                el--;
        snprintf(r.fingerprint, sizeof(r.fingerprint), "SHA256:%.*s", el, enc);
        p = skip_ws(p + bl);
        size_t cl = strcspn(p, "\r\n");
        if (cl >= sizeof(r.comment))
                cl = sizeof(r.comment) - 1;
        memcpy(r.comment, p, cl);
        r.comment[cl] = 0;
        *ret = r;
        return 0;
}

/* ---- patterns ---- */

/*
 * Extended regular expressions, compiled once. They look for the shape, not
 * for a URL: a fetch whose output reaches an interpreter through a pipe, or
 * the standard reverse-shell idioms.
 */
static const char *const download_exec_res[] = {
        "(curl|wget|fetch)[^|;&]*\\|[[:space:]]*(sudo[[:space:]]+(-[a-zA-Z]+[[:space:]]+)*)?"
        "(/usr)?(/bin/)?(ba|da|z|k|c|tc)?sh([[:space:];|&)]|$)",
        "(curl|wget)[^|;&]*\\|[[:space:]]*(sudo[[:space:]]+)?(/usr/bin/"
        ")?(python[0-9.]*|perl|ruby|php)([[:space:];|&)]|$)",
        "(ba|da|z)?sh[[:space:]]+-c[[:space:]]+[\"']?\\$\\((curl|wget)",
        "(ba|da|z)?sh[[:space:]]+<\\([[:space:]]*(curl|wget)",
        "(wget|curl)[^;&|]*(-O|-o|--output)[[:space:]]*/(tmp|dev/shm|var/tmp)/[^;&|]*(;|&&)[[:space:]]*"
        "(chmod[[:space:]]+[+0-9a-z]*x|/(tmp|dev/shm|var/tmp)/)",
};
static const char *const reverse_shell_res[] = {
        "/dev/(tcp|udp)/[^/[:space:]]+/[0-9]+",
        "(^|[^a-z])(nc|ncat|netcat)([[:space:]]+-[a-zA-Z]+)*[[:space:]]+-[a-zA-Z]*[ec][[:space:]]+/bin/(ba|da|z)?sh",
        "socat[^|;]*exec:[\"']?(/bin/)?(ba|da|z)?sh",
        "socat[^|;]*(tcp|tcp4|tcp6|openssl)(-connect)?:[^|;]*(exec|system):",
        "mkfifo[^;]*;[^|]*\\|[[:space:]]*(/bin/)?(ba|da|z)?sh[^|]*\\|[[:space:]]*(nc|ncat|netcat|openssl)",
        "(python[0-9.]*|perl|ruby|php)[^|]*socket[^|]*(subprocess|pty\\.spawn|dup2|exec|fsockopen)",
        "(ba|da|z)?sh[[:space:]]+-i[[:space:]]*[<>]&[[:space:]]*/dev/tcp",
};

static pthread_once_t patterns_once = PTHREAD_ONCE_INIT;
static regex_t download_exec_rx[ELEMENTSOF(download_exec_res)];
static regex_t reverse_shell_rx[ELEMENTSOF(reverse_shell_res)];

static void patterns_compile(void) {
        for (size_t i = 0; i < ELEMENTSOF(download_exec_res); i++)
                if (regcomp(&download_exec_rx[i], download_exec_res[i], REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0)
                        abort(); /* our own constant: a bug */
        for (size_t i = 0; i < ELEMENTSOF(reverse_shell_res); i++)
                if (regcomp(&reverse_shell_rx[i], reverse_shell_res[i], REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0)
                        abort();
}

static bool match_any(regex_t *v, size_t n, const char *line, const char *needles) {
        /* A cheap pre-filter: most log lines hold none of the words at all. */
        bool any = false;
        for (const char *w = needles; *w; w += strlen(w) + 1)
                if (strcasestr(line, w)) {
                        any = true;
                        break;
                }
        if (!any)
                return false;
        pthread_once(&patterns_once, patterns_compile);
        for (size_t i = 0; i < n; i++)
                if (regexec(&v[i], line, 0, NULL, 0) == 0)
                        return true;
        return false;
}

bool text_is_download_exec(const char *line) {
        return match_any(download_exec_rx, ELEMENTSOF(download_exec_rx), line, "curl\0wget\0fetch\0");
}

bool text_is_reverse_shell(const char *line) {
        return match_any(reverse_shell_rx, ELEMENTSOF(reverse_shell_rx), line,
                         "/dev/tcp\0/dev/udp\0nc \0ncat\0netcat\0socat\0mkfifo\0socket\0");
}
