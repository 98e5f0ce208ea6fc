/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdarg.h>
#include <yaml.h>

#include "basic/glob.h"
#include "basic/util.h"
#include "crypto/hash.h"
#include "finding/catalog.h"
#include "detect/policy.h"
#include "finding/catalog.h"

#define MAX_POLICY_SIZE (1 << 20)

static void protect_rule_done(struct protect_rule *r) {
        free(r->path);
        free(r->prefix);
        strv_free(r->read);
        strv_free(r->write);
        free(r->reason);
}

void policy_free(struct policy *p) {
        if (!p)
                return;
        for (size_t i = 0; i < p->n_supp; i++) {
                free(p->supp[i].rule);
                free(p->supp[i].reason);
                free(p->supp[i].exe);
                free(p->supp[i].path);
        }
        free(p->supp);
        for (size_t i = 0; i < p->n_over; i++) {
                free(p->over[i].rule);
                free(p->over[i].reason);
        }
        free(p->over);
        for (size_t i = 0; i < p->n_protect; i++)
                protect_rule_done(&p->protect[i]);
        free(p->protect);
        free(p->file);
        free(p);
}

bool policy_rule_matches(const char *pattern, const char *rule) {
        size_t n = strlen(pattern);
        if (n >= 2 && streq(pattern + n - 2, ".*"))
                return strncmp(pattern, rule, n - 1) == 0;
        return streq(pattern, rule);
}

/* A pattern names a rule of the catalog, or a category of one ("category.*"). */
static bool rule_pattern_known(const char *pattern) {
        size_t n;
        const struct rule_info *c = rule_catalog(&n);
        for (size_t i = 0; i < n; i++)
                if (policy_rule_matches(pattern, c[i].id))
                        return true;
        return false;
}

/* Globs in a policy are written for absolute paths; the matcher takes relative ones. */
static bool path_glob(const char *pattern, const char *path) {
        while (*pattern == '/')
                pattern++;
        while (*path == '/')
                path++;
        return glob_match_path(pattern, path);
}

int policy_suppression(const struct policy *p, const char *rule, const char *exe, const char *path) {
        for (size_t i = 0; i < p->n_supp; i++) {
                const struct suppression *s = &p->supp[i];
                if (!policy_rule_matches(s->rule, rule))
                        continue;
                if (s->exe && !(exe && path_glob(s->exe, exe)))
                        continue;
                if (s->path && !(path && path_glob(s->path, path)))
                        continue;
                return (int) i;
        }
        return -1;
}

const struct severity_override *policy_override(const struct policy *p, const char *rule) {
        for (size_t i = 0; i < p->n_over; i++)
                if (policy_rule_matches(p->over[i].rule, rule))
                        return &p->over[i];
        return NULL;
}

bool protect_covers(const struct protect_rule *r, const char *path) {
        return path[0] == '/' && path_glob(r->path, path);
}

bool protect_contains(const struct protect_rule *r, const char *path) {
        size_t n = strlen(path);
        return path[0] == '/' && strncmp(r->prefix, path, n) == 0 && r->prefix[n] == '/';
}

bool protect_allows(const struct protect_rule *r, bool write, const char *digest, const char *sealed_path) {
        if (!(write ? r->has_write : r->has_read))
                return true;
        for (char **a = write ? r->write : r->read; a && *a; a++)
                if (startswith(*a, "sha256:") ? streq_ptr(*a, digest) : streq_ptr(*a, sealed_path))
                        return true;
        return false;
}

const struct protect_rule *policy_names_executables(const struct policy *p) {
        for (size_t i = 0; i < p->n_protect; i++)
                if (p->protect[i].read || p->protect[i].write)
                        return &p->protect[i];
        return NULL;
}

struct parse {
        const char *name;
        yaml_document_t *doc;
        char *error;
};

static int fail(struct parse *ps, const yaml_node_t *n, const char *fmt, ...) _printf_(3, 4);
static int fail(struct parse *ps, const yaml_node_t *n, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *msg = NULL;
        if (vasprintf(&msg, fmt, ap) < 0)
                abort();
        va_end(ap);
        /* values from the file are quoted in the message: keep it one line, free of terminal controls */
        _cleanup_free_ char *clean = xmalloc(strlen(msg) * 4 + 1);
        char *o = clean;
        for (const unsigned char *c = (const unsigned char *) msg; *c; c++)
                o += *c < 0x20 || *c == 0x7f ? sprintf(o, "\\x%02x", *c) : (*o = (char) *c, 1);
        *o = 0;
        ps->error = xasprintf("%s:%zu: %s", ps->name, n ? n->start_mark.line + 1 : (size_t) 0, clean);
        return -EINVAL;
}

static const char *scalar(const yaml_node_t *n) {
        return n && n->type == YAML_SCALAR_NODE ? (const char *) n->data.scalar.value : NULL;
}

/* Reads one list item (a mapping) into the fields named by KEYS; REQUIRED ones must be there. */
static int read_item(struct parse *ps, yaml_node_t *item, const char *const *keys, char **vals, size_t n,
                     unsigned required) {
        if (item->type != YAML_MAPPING_NODE)
                return fail(ps, item,
                            "an entry is not a mapping; write each entry as '- rule: ID' with 'reason: WHY' below it");
        for (yaml_node_pair_t *pr = item->data.mapping.pairs.start; pr < item->data.mapping.pairs.top; pr++) {
                yaml_node_t *k = yaml_document_get_node(ps->doc, pr->key),
                            *v = yaml_document_get_node(ps->doc, pr->value);
                const char *ks = scalar(k), *vs = scalar(v);
                size_t i;
                for (i = 0; i < n && !(ks && streq(ks, keys[i])); i++)
                        ;
                if (i == n)
                        return fail(ps, k,
                                    "unknown key '%s'; suppress entries take rule, reason, exe, path and severity "
                                    "entries rule, severity, reason",
                                    ks ? ks : "?");
                if (!vs || !*vs)
                        return fail(ps, v, "'%s' is empty; give it a value", keys[i]);
                if (vals[i])
                        return fail(ps, k, "'%s' is given twice; keep one", keys[i]);
                vals[i] = xstrdup(vs);
        }
        for (size_t i = 0; i < n; i++)
                if ((required & (1u << i)) && !vals[i])
                        return fail(ps, item, "this entry has no '%s'; every entry needs one", keys[i]);
        return 0;
}

static int parse_suppress(struct parse *ps, struct policy *p, yaml_node_t *list) {
        if (list->type != YAML_SEQUENCE_NODE)
                return fail(ps, list, "'suppress' is not a list; write its entries as '- rule: ...'");
        for (yaml_node_item_t *it = list->data.sequence.items.start; it < list->data.sequence.items.top; it++) {
                yaml_node_t *item = yaml_document_get_node(ps->doc, *it);
                static const char *const keys[] = { "rule", "reason", "exe", "path" };
                char *v[4] = {};
                int r = read_item(ps, item, keys, v, 4, 0x3);
                if (r >= 0 && !rule_pattern_known(v[0]))
                        r = fail(ps, item, "no rule is called '%s'; see `buildward replay --list-rules`", v[0]);
                if (r < 0) {
                        for (int i = 0; i < 4; i++)
                                free(v[i]);
                        return r;
                }
                GREEDY_REALLOC(p->supp, p->n_supp_allocated, p->n_supp + 1);
                p->supp[p->n_supp++] = (struct suppression){ .rule = v[0],
                                                             .reason = v[1],
                                                             .exe = v[2],
                                                             .path = v[3],
                                                             .line = (unsigned) item->start_mark.line + 1 };
        }
        return 0;
}

static int parse_severity(struct parse *ps, struct policy *p, yaml_node_t *list) {
        if (list->type != YAML_SEQUENCE_NODE)
                return fail(ps, list, "'severity' is not a list; write its entries as '- rule: ...'");
        for (yaml_node_item_t *it = list->data.sequence.items.start; it < list->data.sequence.items.top; it++) {
                yaml_node_t *item = yaml_document_get_node(ps->doc, *it);
                static const char *const keys[] = { "rule", "severity", "reason" };
                char *v[3] = {};
                enum severity s = SEV_INFO;
                int r = read_item(ps, item, keys, v, 3, 0x7);
                if (r >= 0 && !rule_pattern_known(v[0]))
                        r = fail(ps, item, "no rule is called '%s'; see `buildward replay --list-rules`", v[0]);
                if (r >= 0 && (severity_from_string(v[1], &s) < 0 || s == SEV_NEVER))
                        r = fail(ps, item, "'%s' is not a severity; use info, low, medium, high or critical", v[1]);
                free(v[1]);
                if (r < 0) {
                        free(v[0]);
                        free(v[2]);
                        return r;
                }
                GREEDY_REALLOC(p->over, p->n_over_allocated, p->n_over + 1);
                p->over[p->n_over++] = (struct severity_override){
                        .rule = v[0], .reason = v[2], .severity = s, .line = (unsigned) item->start_mark.line + 1
                };
        }
        return 0;
}

/* "sha256:" and 64 lowercase hex digits, as `buildward seal` writes a digest. */
static bool digest_spelling(const char *s) {
        const char *h = startswith(s, "sha256:");
        if (!h || strlen(h) != 64)
                return false;
        for (; *h; h++)
                if (!((*h >= '0' && *h <= '9') || (*h >= 'a' && *h <= 'f')))
                        return false;
        return true;
}

/* The list of allowed executables under KEY: digests or absolute paths without globs. */
static int parse_allowed(struct parse *ps, yaml_node_t *list, const char *key, char ***ret) {
        if (list->type != YAML_SEQUENCE_NODE)
                return fail(ps, list,
                            "'%s' is not a list; write '%s: [sha256:<digest>, /usr/bin/tool]' ([] for nobody)", key,
                            key);
        for (yaml_node_item_t *it = list->data.sequence.items.start; it < list->data.sequence.items.top; it++) {
                yaml_node_t *n = yaml_document_get_node(ps->doc, *it);
                const char *v = scalar(n);
                if (!v || !*v)
                        return fail(ps, n, "an entry of '%s' is not a plain value; give a digest or a path", key);
                bool digest = startswith(v, "sha256:") != NULL;
                if (digest && !digest_spelling(v))
                        return fail(ps, n,
                                    "'%s' is not a digest; write 'sha256:' and 64 lowercase hex digits, as "
                                    "`buildward seal` records them in the manifest",
                                    v);
                if (!digest && (v[0] != '/' || strpbrk(v, "*?[") || strstr(v, "/../") || strstr(v, "/./")))
                        return fail(ps, n,
                                    "'%s' names no executable; give its digest (sha256:...) or its absolute path "
                                    "in the toolchain manifest, without globs",
                                    v);
                strv_push(ret, xstrdup(v));
        }
        return 0;
}

static int parse_protect(struct parse *ps, struct policy *p, yaml_node_t *list) {
        if (list->type != YAML_SEQUENCE_NODE)
                return fail(ps, list, "'protect' is not a list; write its entries as '- path: /src/keys/**'");
        for (yaml_node_item_t *it = list->data.sequence.items.start; it < list->data.sequence.items.top; it++) {
                yaml_node_t *item = yaml_document_get_node(ps->doc, *it);
                if (item->type != YAML_MAPPING_NODE)
                        return fail(ps, item,
                                    "a protect entry is not a mapping; write '- path: GLOB' with 'read:', "
                                    "'write:' and 'reason:' below it");
                struct protect_rule r = { .line = (unsigned) item->start_mark.line + 1 };
                int ret = 0;
                for (yaml_node_pair_t *pr = item->data.mapping.pairs.start;
                     ret >= 0 && pr < item->data.mapping.pairs.top; pr++) {
                        yaml_node_t *k = yaml_document_get_node(ps->doc, pr->key),
                                    *v = yaml_document_get_node(ps->doc, pr->value);
                        const char *ks = scalar(k), *vs = scalar(v);
                        bool read = ks && streq(ks, "read"), write = ks && streq(ks, "write");
                        if (read || write) {
                                if (read ? r.has_read : r.has_write)
                                        ret = fail(ps, k, "'%s' is given twice; keep one", ks);
                                else
                                        ret = parse_allowed(ps, v, ks, read ? &r.read : &r.write);
                                *(read ? &r.has_read : &r.has_write) = true;
                        } else if (ks && (streq(ks, "path") || streq(ks, "reason"))) {
                                char **slot = streq(ks, "path") ? &r.path : &r.reason;
                                if (!vs || !*vs)
                                        ret = fail(ps, v, "'%s' is empty; give it a value", ks);
                                else if (*slot)
                                        ret = fail(ps, k, "'%s' is given twice; keep one", ks);
                                else
                                        *slot = xstrdup(vs);
                        } else
                                ret = fail(ps, k, "unknown key '%s'; protect entries take path, read, write and reason",
                                           ks ? ks : "?");
                }
                if (ret >= 0 && !r.path)
                        ret = fail(ps, item, "this protect entry has no 'path'; name the file or glob to protect");
                else if (ret >= 0 && (r.path[0] != '/' || strstr(r.path, "/../") || strstr(r.path, "/./")))
                        ret = fail(ps, item,
                                   "the protected path '%s' is not absolute and plain; write it as the build "
                                   "sees it, from '/', without '.' or '..'",
                                   r.path);
                else if (ret >= 0 && !r.reason)
                        ret = fail(ps, item, "this protect entry has no 'reason'; every entry needs one");
                else if (ret >= 0 && !r.has_read && !r.has_write)
                        ret = fail(ps, item,
                                   "this protect entry restricts nothing; add 'read:' and/or 'write:' with the allowed "
                                   "executables ([] for nobody)");
                if (ret < 0) {
                        protect_rule_done(&r);
                        return ret;
                }
                /* the literal directories before the first glob character: the kernel side compares those */
                size_t lit = strcspn(r.path, "*?[");
                while (r.path[lit] && lit > 0 && r.path[lit - 1] != '/')
                        lit--;
                r.prefix = strndup(r.path, lit);
                if (!r.prefix)
                        abort();
                GREEDY_REALLOC(p->protect, p->n_protect_allocated, p->n_protect + 1);
                p->protect[p->n_protect++] = r;
        }
        return 0;
}

int policy_parse(const char *name, const char *data, size_t size, struct policy **ret, char **ret_error) {
        yaml_parser_t parser;
        yaml_document_t doc;
        if (!yaml_parser_initialize(&parser))
                return -ENOMEM;
        yaml_parser_set_input_string(&parser, (const unsigned char *) data, size);
        if (!yaml_parser_load(&parser, &doc)) {
                *ret_error = xasprintf("%s:%zu: not valid YAML (%s); check the indentation and quoting", name,
                                       parser.problem_mark.line + 1, parser.problem ? parser.problem : "parse error");
                yaml_parser_delete(&parser);
                return -EINVAL;
        }
        yaml_parser_delete(&parser);
        struct parse ps = { .name = name, .doc = &doc };
        struct policy *p = xcalloc(1, sizeof(*p));
        int r = 0;
        yaml_node_t *root = yaml_document_get_root_node(&doc);
        if (!root)
                r = fail(&ps, NULL, "the policy is empty; it needs at least 'version: 1'");
        else if (root->type != YAML_MAPPING_NODE)
                r = fail(&ps, root, "the policy is not a mapping; start it with 'version: 1'");
        bool version = false;
        for (yaml_node_pair_t *pr = r < 0 ? NULL : root->data.mapping.pairs.start;
             pr && r >= 0 && pr < root->data.mapping.pairs.top; pr++) {
                yaml_node_t *k = yaml_document_get_node(&doc, pr->key), *v = yaml_document_get_node(&doc, pr->value);
                const char *ks = scalar(k), *vs = scalar(v);
                if (!ks)
                        r = fail(&ps, k,
                                 "a key is not a plain word; use version, fail_on, suppress, severity or protect");
                else if (streq(ks, "version")) {
                        if (!vs || !streq(vs, "1"))
                                r = fail(&ps, v, "unsupported policy version '%s'; this buildward reads version 1",
                                         vs ? vs : "?");
                        version = true;
                } else if (streq(ks, "fail_on")) {
                        if (!vs || severity_from_string(vs, &p->fail_on) < 0)
                                r = fail(&ps, v,
                                         "'%s' is not a severity; use info, low, medium, high, critical or never",
                                         vs ? vs : "?");
                        p->has_fail_on = true;
                } else if (streq(ks, "suppress"))
                        r = parse_suppress(&ps, p, v);
                else if (streq(ks, "severity"))
                        r = parse_severity(&ps, p, v);
                else if (streq(ks, "protect"))
                        r = parse_protect(&ps, p, v);
                else
                        r = fail(&ps, k, "unknown key '%s'; use version, fail_on, suppress, severity or protect", ks);
        }
        if (r >= 0 && !version)
                r = fail(&ps, root, "the policy has no version; add 'version: 1' at the top");
        yaml_document_delete(&doc);
        if (r < 0) {
                *ret_error = ps.error;
                policy_free(p);
                return r;
        }
        p->file = xstrdup(name);
        *ret = p;
        return 0;
}

int policy_load(const char *path, struct policy **ret, char **ret_error) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                int r = -errno;
                *ret_error = xasprintf("cannot open the policy '%s' (%s); pass an existing file to --policy", path,
                                       strerror(-r));
                return r;
        }
        _cleanup_free_ char *data = NULL;
        size_t size;
        int r = read_full_fd(fd, &data, &size, MAX_POLICY_SIZE);
        if (r < 0) {
                *ret_error = xasprintf("cannot read the policy '%s' (%s); policies are small YAML files", path,
                                       strerror(-r));
                return r;
        }
        struct policy *p;
        r = policy_parse(path, data, size, &p, ret_error);
        if (r < 0)
                return r;
        /* The digest goes into the report and the provenance: which policy judged this build. */
        if (lseek(fd, 0, SEEK_SET) < 0 || sha256_fd(fd, p->digest, NULL) < 0) {
                policy_free(p);
                *ret_error = xasprintf("cannot hash the policy '%s'; check that it is readable", path);
                return -EIO;
        }
        *ret = p;
        return 0;
}
