/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ledger's queries: entries in a time window, the entries naming a digest, and
 * the blast radius of a digest (every entry downstream of it). Read-only.
 */
#include <inttypes.h>

#include "basic/json-util.h"
#include "attest/statement.h"
#include "basic/util.h"
#include "crypto/openssl-dl.h"
#include "ledger/backend.h"
#include "ledger/internal.h"
#include "ledger/ledger.h"

/* ---- queries ----------------------------------------------------------------------------------------- */

static int collect_body(void *ud, size_t n, const char *const *cols) {
        json_object *arr = ud;
        json_object *b = n >= 1 && cols[0] ? json_tokener_parse(cols[0]) : NULL;
        if (b)
                json_object_array_add(arr, b);
        return 0;
}

/* The bodies of the rows SQL returns, as a JSON array. */
static int query_bodies(struct ledger *l, const char *sql, size_t n, const char *const *params,
                        json_object **ret_array) {
        json_object *arr = json_object_new_array();
        int r = l->ops->query(l, sql, n, params, collect_body, arr);
        if (r < 0) {
                json_object_put(arr);
                return r;
        }
        *ret_array = arr;
        return 0;
}

int ledger_query_window(struct ledger *l, uint64_t since_usec, uint64_t until_usec, const char *builder,
                        json_object **ret_array) {
        char since[24], until[24];
        snprintf(since, sizeof(since), "%" PRIu64, since_usec);
        snprintf(until, sizeof(until), "%" PRIu64, until_usec);
        const char *p[] = { since, until, builder };
        /*
         * Builds that started or finished in the window: two index range scans
         * ((builder,) started_us and (builder,) finished_us), never a scan of a
         * builder's whole history.
         */
        return query_bodies(l,
                            builder ? "SELECT body FROM entries WHERE seq IN ("
                                      "SELECT seq FROM entries WHERE builder = $3 AND started_us >= $1 AND "
                                      "started_us < $2 UNION SELECT seq FROM entries WHERE builder = $3 AND "
                                      "finished_us >= $1 AND finished_us < $2) ORDER BY seq"
                                    : "SELECT body FROM entries WHERE seq IN ("
                                      "SELECT seq FROM entries WHERE started_us >= $1 AND started_us < $2 UNION "
                                      "SELECT seq FROM entries WHERE finished_us >= $1 AND finished_us < $2) "
                                      "ORDER BY seq",
                            builder ? 3 : 2, p, ret_array);
}

int ledger_query_keyid(struct ledger *l, const char *keyid, uint64_t since_usec, uint64_t until_usec,
                       json_object **ret_array) {
        char since[24], until[24];
        snprintf(since, sizeof(since), "%" PRIu64, since_usec);
        snprintf(until, sizeof(until), "%" PRIu64, until_usec);
        const char *p[] = { keyid, since, until };
        return query_bodies(l,
                            "SELECT body FROM entries WHERE keyid = $1 AND ((started_us >= $2 AND started_us < $3) "
                            "OR (finished_us >= $2 AND finished_us < $3)) ORDER BY seq",
                            3, p, ret_array);
}

int ledger_find_digest(struct ledger *l, const char *digest, bool provenance, json_object **ret_array) {
        const char *p[] = { digest };
        return query_bodies(l,
                            provenance ? "SELECT body FROM entries WHERE provenance_sha256 = $1 ORDER BY seq"
                                       : "SELECT body FROM entries WHERE seq IN "
                                         "(SELECT seq FROM subjects WHERE sha256 = $1) ORDER BY seq",
                            1, p, ret_array);
}

static bool strv_contains(char **v, const char *s) {
        for (; v && *v; v++)
                if (streq(*v, s))
                        return true;
        return false;
}

/* Pushes the subject digests of entry BODY not seen before onto QUEUE. */
static void queue_subjects(json_object *body, char ***queue, char ***seen) {
        json_object *subj;
        if (!json_object_object_get_ex(body, "subjects", &subj))
                return;
        for (size_t i = 0; i < json_object_array_length(subj); i++) {
                json_object *d;
                json_object_object_get_ex(json_object_array_get_idx(subj, i), "digest", &d);
                const char *h = jget_str(d, "sha256");
                if (h && !strv_contains(*seen, h)) {
                        strv_push(seen, xstrdup(h));
                        strv_push(queue, xstrdup(h));
                }
        }
}

int ledger_blast_radius(struct ledger *l, const char *digest, const char *builder, uint64_t since_usec,
                        uint64_t until_usec, json_object **ret_array) {
        _cleanup_strv_free_ char **queue = xcalloc(1, sizeof(char *)), **seen = xcalloc(1, sizeof(char *)),
                                 **visited = xcalloc(1, sizeof(char *));
        json_object *out = json_object_new_array();
        int r = 0;
        /* Breadth first: QUEUE holds digests; LEVEL_END marks where the current depth ends. */
        size_t level_end, depth = 1;
        if (digest) {
                strv_push(&queue, xstrdup(digest));
                strv_push(&seen, xstrdup(digest));
        } else {
                json_object *roots = NULL;
                if ((r = ledger_query_window(l, since_usec, until_usec, builder, &roots)) < 0)
                        goto fail;
                for (size_t i = 0; i < json_object_array_length(roots); i++) {
                        json_object *b = json_object_array_get_idx(roots, i);
                        json_object_object_add(b, "depth", json_object_new_int(0));
                        json_object_array_add(out, json_object_get(b));
                        strv_push(&visited, xasprintf("%" PRId64, json_object_get_int64(json_path(b, "index"))));
                        queue_subjects(b, &queue, &seen);
                }
                json_object_put(roots);
        }
        level_end = strv_length(queue);
        for (size_t qi = 0; queue[qi]; qi++) {
                if (qi == level_end) {
                        depth++;
                        level_end = strv_length(queue);
                }
                json_object *found = json_object_new_array();
                const char *p[] = { queue[qi] };
                r = l->ops->query(l,
                                  "SELECT body FROM entries WHERE seq IN "
                                  "(SELECT seq FROM materials WHERE digest = $1) ORDER BY seq",
                                  1, p, collect_body, found);
                if (r < 0) {
                        json_object_put(found);
                        goto fail;
                }
                for (size_t i = 0; i < json_object_array_length(found); i++) {
                        json_object *b = json_object_array_get_idx(found, i);
                        _cleanup_free_ char *id = xasprintf("%" PRId64, json_object_get_int64(json_path(b, "index")));
                        if (strv_contains(visited, id))
                                continue;
                        strv_push(&visited, TAKE_PTR(id));
                        json_object_object_add(b, "depth", json_object_new_int((int) depth));
                        json_object_object_add(b, "via", json_new_string(queue[qi]));
                        json_object_array_add(out, json_object_get(b));
                        queue_subjects(b, &queue, &seen);
                }
                json_object_put(found);
        }
        *ret_array = out;
        return 0;
fail:
        json_object_put(out);
        return r;
}
