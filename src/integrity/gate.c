/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What `check` and `run --toolchain` say about a toolchain: why a manifest
 * was refused, the differences found, and run's gate before the build.
 */
#include <inttypes.h>
#include <json-c/json.h>

#include "basic/json-util.h"
#include "basic/log.h"
#include "integrity/cache.h"
#include "integrity/gate.h"

/* The one-line reason a manifest was refused, naming the fix. */
char *manifest_problem(const char *path, int r, const struct manifest_error *err) {
        if (r == -EBADMSG && err->line)
                return xasprintf("'%s' line %u: %s; seal the tree again with `buildward seal`", path, err->line,
                                 err->msg);
        if (r == -EBADMSG)
                return xasprintf("'%s': %s; seal the tree again with `buildward seal`", path, err->msg);
        if (r == -ENOKEY)
                return xasprintf("'%s' is not signed, but a public key was given; seal it with `--sign-key KEY`", path);
        if (r == -EKEYREJECTED)
                return xasprintf("'%s' line %u: %s; refusing it: reseal with the right key or pass its public key",
                                 path, err->line, err->msg);
        if (r == -EFBIG)
                return xasprintf("'%s' is larger than %u MiB; pass a manifest written by `buildward seal`", path,
                                 MANIFEST_MAX_SIZE >> 20);
        return xasprintf("cannot read the manifest '%s' (%s); pass a file written by `buildward seal`", path,
                         strerror(-r));
}

void print_differences(FILE *f, const struct diff_list *l) {
        for (size_t i = 0; i < l->n; i++) {
                const struct difference *d = &l->v[i];
                /* Escaped: a hostile file name must not forge lines of this output. */
                _cleanup_free_ char *p = manifest_escape(d->path);
                if (d->kind == DIFF_ADDED || d->kind == DIFF_REMOVED)
                        fprintf(f, "%-10s %s (%s)\n", diff_kind_name(d->kind), p,
                                d->kind == DIFF_ADDED ? d->actual : d->expected);
                else if (d->kind == DIFF_UNREADABLE)
                        fprintf(f, "%-10s %s: %s\n", diff_kind_name(d->kind), p, d->actual);
                else
                        fprintf(f, "%-10s %s: expected %s, found %s\n", diff_kind_name(d->kind), p, d->expected,
                                d->actual);
        }
}

/* Loads MANIFEST for check and run; prints why not (after PREFIX) and the cache's warning. */
int toolchain_open_verbose(const char *path, EVP_PKEY *pub, bool use_cache, const char *prefix,
                           struct toolchain **ret) {
        struct manifest_error err;
        int r = toolchain_open(path, pub, use_cache ? TOOLCHAIN_USE_CACHE : 0, ret, &err);
        if (r < 0) {
                _cleanup_free_ char *why = manifest_problem(path, r, &err);
                log_error("%s%s", prefix, why);
                return r;
        }
        /* The default cache is root's: other users hash everything, which is no news to them. */
        if ((*ret)->cache_warning && (geteuid() == 0 || getenv("BUILDWARD_CACHE_DIR")))
                log_warning("digest cache: %s", (*ret)->cache_warning);
        return 0;
}

void toolchain_warn_refused_rows(struct toolchain *t) {
        struct digest_cache_stats cs = {};
        if (t->cache)
                digest_cache_get_stats(t->cache, &cs);
        if (cs.refused)
                log_warning("digest cache: %" PRIu64 " entr%s of '%s/" DIGEST_CACHE_FILE
                            "' fail their HMAC check (edited, or copied from another host); they are ignored and "
                            "rebuilt",
                            cs.refused, cs.refused == 1 ? "y" : "ies", digest_cache_dir());
}

/*
 * `run --toolchain MANIFEST`: checks the sealed trees before the build starts.
 * 0 and *RET the report's "toolchain" object when they match, and the
 * manifest kept open in *RET_TOOLCHAIN; otherwise prints the reason and the
 * differences and returns -errno.
 */
int toolchain_gate(const char *manifest, json_object **ret, struct toolchain **ret_toolchain) {
        _cleanup_toolchain_ struct toolchain *t = NULL;
        if (toolchain_open_verbose(manifest, NULL, true, "--toolchain: ", &t) < 0)
                return -EINVAL;
        struct diff_list l = {};
        struct hash_stats st = {};
        int r = tree_compare(t->manifest, 0, t->cache, &l, &st);
        toolchain_warn_refused_rows(t);
        if (r < 0) {
                log_error("--toolchain: cannot read the trees sealed in '%s' (%s); the build did not start", manifest,
                          strerror(-r));
                return -EINVAL;
        }
        if (l.n > 0) {
                log_error("the toolchain differs from '%s' in %zu place%s; the build did not start: restore the "
                          "files or seal the toolchain again if the change is intended",
                          manifest, l.n, l.n == 1 ? "" : "s");
                print_differences(stderr, &l);
                diff_list_done(&l);
                return -EINVAL;
        }
        char d[VERITY_DIGEST_HEX];
        verity_format(t->manifest->file_sha256, d);
        json_object *o = json_object_new_object();
        /* Absolute, for the provenance that names it later from another directory. */
        _cleanup_free_ char *abs = realpath(manifest, NULL);
        json_object_object_add(o, "manifest", json_new_string(abs ? abs : manifest));
        json_object_object_add(o, "digest", json_new_string(d));
        json_object_object_add(o, "verified", json_object_new_boolean(true));
        json_object_object_add(o, "entries", json_object_new_uint64(t->manifest->n));
        json_object_object_add(o, "signed", json_object_new_boolean(t->manifest->is_signed));
        *ret = o;
        if (ret_toolchain)
                *ret_toolchain = TAKE_PTR(t); /* kept open: the monitor checks what runs against it */
        return 0;
}
