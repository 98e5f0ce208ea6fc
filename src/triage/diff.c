/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `triage diff A B`: what appeared, changed or went away between two captures. */
#include <fcntl.h>
#include <libgen.h>
#include <sys/stat.h>

#include "basic/json-util.h"
#include "basic/utf8.h"
#include "basic/util.h"
#include "triage/triage.h"

struct diff_table {
        const char *what;   /* shown to the user */
        const char *file;   /* collector output in the bundle */
        const char *array;  /* the list inside it */
        const char *key[4]; /* fields that identify an item across captures */
        const char *cmp[3]; /* fields whose change makes an item "changed" */
        const char *filter; /* boolean field that must be true, or NULL */
};

/* Pids and times change between captures; what a process runs does not. */
static const struct diff_table tables[] = {
        { "process", "processes.json", "processes", { "exe", "argv" }, { "exe_deleted" }, NULL },
        { "listener", "sockets.json", "sockets", { "proto", "local", "local_port", "path" }, {}, "listening" },
        { "unit", "systemd.json", "units", { "path" }, { "mtime", "settings", "link" }, NULL },
        { "cron", "cron.json", "entries", { "source", "user", "schedule", "command" }, {}, NULL },
        { "key", "keys.json", "keys", { "user", "fingerprint" }, { "file" }, NULL },
        { "module", "modules.json", "loaded", { "name" }, { "size" }, NULL },
        { "file", "newer.json", "files", { "path" }, { "mtime", "size", "mode" }, NULL },
        { "package-file", "packages.json", "modified", { "path" }, { "actual_md5" }, NULL },
        { "sudoers", "sudoers.json", "rules", { "file", "line" }, {}, NULL },
        { "preload", "preload.json", "preload", { "" }, {}, NULL },
        { "finding", "findings.json", "findings", { "rule", "detail" }, {}, NULL },
};

static json_object *load(const char *dir, const char *file, const char *array) {
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, file);
        json_object *o = json_object_from_file(p);
        if (!o)
                return NULL;
        json_object *a = NULL;
        if (json_object_object_get_ex(o, array, &a) && json_object_is_type(a, json_type_array))
                a = json_object_get(a);
        else
                a = NULL;
        json_object_put(o);
        return a;
}

static const char *field_text(json_object *item, const char *field) {
        if (!field[0])
                return json_object_get_string(item); /* arrays of strings */
        json_object *v;
        if (!json_object_object_get_ex(item, field, &v) || !v)
                return "";
        if (json_object_is_type(v, json_type_string))
                return json_object_get_string(v);
        return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

static char *item_key(const struct diff_table *t, json_object *item) {
        char *k = xstrdup("");
        for (size_t i = 0; i < ELEMENTSOF(t->key) && t->key[i]; i++) {
                char *n = xasprintf("%s%s%s", k, i ? " " : "", field_text(item, t->key[i]));
                free(k);
                k = n;
        }
        return k;
}

/* An index of an array by key: a json object used as a hash table. */
static json_object *index_of(const struct diff_table *t, json_object *a) {
        json_object *idx = json_object_new_object();
        for (size_t i = 0; a && i < json_object_array_length(a); i++) {
                json_object *it = json_object_array_get_idx(a, i);
                json_object *flag;
                if (t->filter && (!json_object_object_get_ex(it, t->filter, &flag) || !json_object_get_boolean(flag)))
                        continue;
                _cleanup_free_ char *k = item_key(t, it);
                json_object_object_add(idx, k, json_object_get(it));
        }
        return idx;
}

static void report(FILE *out, json_object *jout, const char *mark, const char *what, const char *key,
                   const char *change) {
        if (jout) {
                json_object *e = json_object_new_object();
                json_object_object_add(e, "change",
                                       json_new_string(mark[0] == '+'   ? "appeared"
                                                       : mark[0] == '-' ? "gone"
                                                                        : "changed"));
                json_object_object_add(e, "kind", json_new_string(what));
                json_object_object_add(e, "item", json_new_string(key));
                if (change)
                        json_object_object_add(e, "detail", json_new_string(change));
                json_object_array_add(jout, e);
        } else {
                /* Both come from the bundles, that is from the host: escaped for the terminal. */
                fprintf(out, "%s %-12s ", mark, what);
                text_escape_str(out, key, 0, TEXT_PLAIN);
                if (change) {
                        fputs("  ", out);
                        text_escape_str(out, change, 0, TEXT_PLAIN);
                }
                fputc('\n', out);
        }
}

int triage_bundle_resolve(const char *path, char **ret_dir, char **ret_error) {
        struct stat st;
        if (stat(path, &st) < 0) {
                int r = -errno;
                *ret_error =
                        xasprintf("cannot open the bundle '%s' (%s): pass a directory written by `buildward triage "
                                  "--out`, or a file in it",
                                  path, strerror(-r));
                return r;
        }
        if (endswith(path, ".tar.zst") || endswith(path, ".tar")) {
                *ret_error = xasprintf("'%s' is a packed bundle: unpack it first (`tar --zstd -xf %s`) and pass the "
                                       "directory it holds",
                                       path, path);
                return -EINVAL;
        }
        /* A file of a bundle (its findings.json, MANIFEST.sha256...) stands for the bundle. */
        _cleanup_free_ char *copy = xstrdup(path);
        _cleanup_free_ char *dir = xstrdup(S_ISDIR(st.st_mode) ? path : dirname(copy));
        _cleanup_free_ char *findings = xasprintf("%s/findings.json", dir);
        if (access(findings, R_OK) < 0) {
                int r = -errno;
                *ret_error = xasprintf("'%s' is not a triage bundle (no readable findings.json in '%s'): pass a "
                                       "directory written by `buildward triage --out`",
                                       path, dir);
                return r;
        }
        *ret_dir = TAKE_PTR(dir);
        return 0;
}

int triage_diff(const char *a, const char *b, bool json, FILE *out) {
        _cleanup_free_ char *fa = xasprintf("%s/findings.json", a), *fb = xasprintf("%s/findings.json", b);
        if (access(fa, R_OK) < 0 || access(fb, R_OK) < 0)
                return -ENOENT;
        json_object *jout = json ? json_object_new_array() : NULL;
        int changes = 0;
        for (size_t t = 0; t < ELEMENTSOF(tables); t++) {
                const struct diff_table *tb = &tables[t];
                json_object *la = load(a, tb->file, tb->array), *lb = load(b, tb->file, tb->array);
                if (!la || !lb) {
                        /* A collector that ran in one capture only: nothing to compare. */
                        if (!jout && (la || lb))
                                fprintf(out, "  %-12s only in %s: not compared\n", tb->what, la ? a : b);
                        json_object_put(la);
                        json_object_put(lb);
                        continue;
                }
                json_object *ia = index_of(tb, la), *ib = index_of(tb, lb);
                json_object_object_foreach(ib, key, item) {
                        json_object *old;
                        if (!json_object_object_get_ex(ia, key, &old)) {
                                report(out, jout, "+", tb->what, key, NULL);
                                changes++;
                                continue;
                        }
                        for (size_t c = 0; c < ELEMENTSOF(tb->cmp) && tb->cmp[c]; c++) {
                                _cleanup_free_ char *x = xstrdup(field_text(old, tb->cmp[c]));
                                const char *y = field_text(item, tb->cmp[c]);
                                if (streq(x, y))
                                        continue;
                                _cleanup_free_ char *d = xasprintf("%s: %.80s -> %.80s", tb->cmp[c], x, y);
                                report(out, jout, "~", tb->what, key, d);
                                changes++;
                                break;
                        }
                }
                json_object_object_foreach(ia, key2, item2) {
                        (void) item2;
                        if (!json_object_object_get_ex(ib, key2, NULL)) {
                                report(out, jout, "-", tb->what, key2, NULL);
                                changes++;
                        }
                }
                json_object_put(ia);
                json_object_put(ib);
                json_object_put(la);
                json_object_put(lb);
        }
        if (jout) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "a", json_new_string(a));
                json_object_object_add(o, "b", json_new_string(b));
                json_object_object_add(o, "changes", jout);
                fprintf(out, "%s\n",
                        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(o);
        }
        return changes;
}
