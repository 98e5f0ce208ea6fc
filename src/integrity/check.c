/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "basic/json-util.h"
#include "basic/util.h"
#include "integrity/integrity.h"

static const char *const diff_names[] = {
        [DIFF_ADDED] = "added", [DIFF_REMOVED] = "removed", [DIFF_TYPE] = "type",     [DIFF_CONTENT] = "content",
        [DIFF_MODE] = "mode",   [DIFF_OWNER] = "owner",     [DIFF_TARGET] = "target", [DIFF_UNREADABLE] = "unreadable",
};

const char *diff_kind_name(enum diff_kind k) {
        return diff_names[k];
}

void diff_list_done(struct diff_list *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->v[i].path);
                free(l->v[i].expected);
                free(l->v[i].actual);
        }
        free(l->v);
        *l = (struct diff_list){};
}

static void add(struct diff_list *l, enum diff_kind k, const char *path, char *expected, char *actual) {
        GREEDY_REALLOC(l->v, l->n_allocated, l->n + 1);
        l->v[l->n++] = (struct difference){ k, xstrdup(path), expected, actual };
}

static const char *type_word(char t) {
        return t == 'f'   ? "file"
               : t == 'd' ? "directory"
               : t == 'l' ? "symlink"
               : t == 'p' ? "fifo"
               : t == 's' ? "socket"
               : t == 'c' ? "character device"
                          : "block device";
}

static char *mode_text(mode_t m) {
        return xasprintf("%04o%s%s", (unsigned) m, m & S_ISUID ? " setuid" : "", m & S_ISGID ? " setgid" : "");
}

static char *content_text(const struct manifest_entry *e) {
        if (!e->has_digest)
                return xasprintf("%" PRIu64 " bytes", e->size);
        char d[VERITY_DIGEST_HEX];
        verity_format(e->digest, d);
        return xasprintf("%s, %" PRIu64 " bytes", d, e->size);
}

/* The differences between a sealed entry and the same path now, metadata first, content if hashed. */
static void compare_entry(const struct manifest_entry *want, const struct manifest_entry *got, int err,
                          struct diff_list *l) {
        if (want->type != got->type) {
                add(l, DIFF_TYPE, want->path, xstrdup(type_word(want->type)), xstrdup(type_word(got->type)));
                return;
        }
        if (want->mode != got->mode)
                add(l, DIFF_MODE, want->path, mode_text(want->mode), mode_text(got->mode));
        if (want->uid != got->uid || want->gid != got->gid)
                add(l, DIFF_OWNER, want->path, xasprintf("%u:%u", (unsigned) want->uid, (unsigned) want->gid),
                    xasprintf("%u:%u", (unsigned) got->uid, (unsigned) got->gid));
        if (want->type == 'l' && !streq(want->target, got->target))
                add(l, DIFF_TARGET, want->path, manifest_escape(want->target), manifest_escape(got->target));
        if (want->type != 'f')
                return;
        if (err < 0)
                add(l, DIFF_UNREADABLE, want->path, NULL,
                    xstrdup(err == -ESTALE ? "changed while it was being checked" : strerror(-err)));
        else if (want->size != got->size ||
                 (got->has_digest && memcmp(want->digest, got->digest, VERITY_DIGEST_SIZE) != 0))
                add(l, DIFF_CONTENT, want->path, content_text(want), content_text(got));
}

int tree_compare(const struct manifest *m, unsigned jobs, struct digest_cache *cache, struct diff_list *ret,
                 struct hash_stats *stats) {
        struct manifest_entry *cur = NULL;
        size_t n = 0;
        int r = tree_scan(m->roots, m->n, &cur, &n, NULL);
        if (r < 0)
                return r;
        /* Pass 1: pair sealed and current entries by path; collect the files whose content needs a digest. */
        struct pair {
                size_t want, got;
        } *pairs = xmalloc(sizeof(*pairs) * (m->n + n + 1));
        size_t np = 0, i = 0, j = 0, n_idx = 0;
        size_t *idx = xmalloc(sizeof(size_t) * (n + 1)), *slot_of = xmalloc(sizeof(size_t) * (n + 1));
        while (i < m->n || j < n) {
                int c = i == m->n ? 1 : j == n ? -1 : strcmp(m->v[i].path, cur[j].path);
                pairs[np++] = (struct pair){ c <= 0 ? i : SIZE_MAX, c >= 0 ? j : SIZE_MAX };
                if (c == 0 && m->v[i].type == 'f' && cur[j].type == 'f' && m->v[i].size == cur[j].size) {
                        slot_of[j] = n_idx;
                        idx[n_idx++] = j;
                }
                i += c <= 0;
                j += c >= 0;
        }
        int *errs = xcalloc(n_idx + 1, sizeof(int));
        r = tree_hash(cur, idx, n_idx, jobs, cache, true, errs, stats);
        struct diff_list l = {};
        for (size_t p = 0; r == 0 && p < np; p++) {
                if (pairs[p].got == SIZE_MAX)
                        add(&l, DIFF_REMOVED, m->v[pairs[p].want].path, xstrdup(type_word(m->v[pairs[p].want].type)),
                            NULL);
                else if (pairs[p].want == SIZE_MAX)
                        add(&l, DIFF_ADDED, cur[pairs[p].got].path, NULL, xstrdup(type_word(cur[pairs[p].got].type)));
                else {
                        const struct manifest_entry *w = &m->v[pairs[p].want], *g = &cur[pairs[p].got];
                        bool hashed = w->type == 'f' && g->type == 'f' && w->size == g->size;
                        compare_entry(w, g, hashed ? errs[slot_of[pairs[p].got]] : 0, &l);
                }
        }
        free(errs);
        free(idx);
        free(slot_of);
        free(pairs);
        tree_entries_free(cur, n);
        if (r < 0) {
                diff_list_done(&l);
                return r;
        }
        *ret = l;
        return 0;
}

json_object *diff_list_to_json(const struct diff_list *l) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < l->n; i++) {
                const struct difference *d = &l->v[i];
                json_object *o = json_object_new_object();
                json_object_object_add(o, "path", json_new_string(d->path));
                json_object_object_add(o, "change", json_new_string(diff_kind_name(d->kind)));
                json_object_object_add(o, "expected", d->expected ? json_new_string(d->expected) : NULL);
                json_object_object_add(o, "actual", d->actual ? json_new_string(d->actual) : NULL);
                json_object_array_add(a, o);
        }
        return a;
}

/* ---- single files, for checks during a build ---- */

const char *toolchain_verdict_name(enum toolchain_verdict v) {
        return v == TOOLCHAIN_MATCH ? "match" : v == TOOLCHAIN_MISMATCH ? "mismatch" : "not-in-manifest";
}

int toolchain_open(const char *manifest, EVP_PKEY *pubkey, unsigned flags, struct toolchain **ret,
                   struct manifest_error *err) {
        struct toolchain *t = xcalloc(1, sizeof(*t));
        _cleanup_toolchain_ struct toolchain *cleanup = t;
        pthread_mutex_init(&t->lock, NULL);
        int r = manifest_load(manifest, pubkey, &t->manifest, err);
        if (r < 0 || (r = verity_hasher_new(&t->hasher)) < 0)
                return r;
        if (flags & TOOLCHAIN_USE_CACHE) {
                _cleanup_free_ char *why = NULL;
                const char *dir = digest_cache_dir();
                r = digest_cache_open(dir, 0, &t->cache, &why);
                if (r == -EBADMSG) {
                        /* Refused as a whole: everything is hashed again, and the new cache replaces it. */
                        t->cache_warning = xasprintf("%s; it is ignored and rebuilt", why);
                        r = digest_cache_open(dir, DIGEST_CACHE_FRESH, &t->cache, NULL);
                } else if (r < 0)
                        t->cache_warning =
                                why ? xasprintf("%s; every file is hashed without the cache", why)
                                    : xasprintf("cannot open the digest cache '%s' (%s); every file is hashed", dir,
                                                strerror(-r));
                if (r < 0) /* a build's many execs of the same files still hash each once */
                        t->cache = digest_cache_new_memory();
        }
        *ret = TAKE_PTR(cleanup);
        return 0;
}

void toolchain_free(struct toolchain *t) {
        if (!t)
                return;
        if (t->cache)
                (void) digest_cache_save(t->cache);
        digest_cache_free(t->cache);
        manifest_free(t->manifest);
        verity_hasher_free(t->hasher);
        free(t->cache_warning);
        pthread_mutex_destroy(&t->lock);
        free(t);
}

int toolchain_check_fd(struct toolchain *t, int fd, const char *path, enum toolchain_verdict *ret) {
        const struct manifest_entry *e = manifest_lookup(t->manifest, path);
        if (!e) {
                *ret = TOOLCHAIN_NOT_IN_MANIFEST;
                return 0;
        }
        struct statx sx;
        if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS | STATX_BTIME, &sx) < 0)
                return -errno;
        if (!S_ISREG(sx.stx_mode) || e->type != 'f' || (sx.stx_mode & 07777) != e->mode || sx.stx_uid != e->uid ||
            sx.stx_gid != e->gid || sx.stx_size != e->size) {
                *ret = TOOLCHAIN_MISMATCH;
                return 0;
        }
        uint8_t d[VERITY_DIGEST_SIZE];
        struct hash_stats ignored = {};
        pthread_mutex_lock(&t->lock); /* one hasher */
        int r = file_digest(t->hasher, fd, path, &sx, t->cache, true, d, &ignored);
        pthread_mutex_unlock(&t->lock);
        if (r == -ESTALE) { /* written to while we read it: not the sealed file, whatever it ends up as */
                *ret = TOOLCHAIN_MISMATCH;
                return 0;
        }
        if (r < 0)
                return r;
        *ret = memcmp(d, e->digest, VERITY_DIGEST_SIZE) == 0 ? TOOLCHAIN_MATCH : TOOLCHAIN_MISMATCH;
        return 0;
}

int toolchain_check_pid(struct toolchain *t, pid_t pid, enum toolchain_verdict *ret, char **ret_path) {
        char link[64], path[PATH_MAX];
        snprintf(link, sizeof(link), "/proc/%d/exe", (int) pid);
        _cleanup_close_ int fd = open(link, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        /*
         * The name comes from the open file, not from the process: it may exec
         * between open() and readlink(), and its old file judged under its new
         * name would be a false mismatch (or, for a process that execs another
         * file at the path it ran, a match the new file never earned).
         */
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        ssize_t k = readlink(link, path, sizeof(path) - 1);
        if (k < 0)
                return -errno;
        path[k] = 0;
        int r = toolchain_check_fd(t, fd, path, ret);
        if (r == 0 && ret_path)
                *ret_path = xstrdup(path);
        return r;
}
