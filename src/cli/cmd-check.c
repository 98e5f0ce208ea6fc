/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <inttypes.h>

#include "basic/json-util.h"
#include "basic/log.h"
#include "basic/size.h"
#include "cli/commands.h"
#include "crypto/sign.h"
#include "integrity/gate.h"

/* Exit codes of `check` (man buildward-check). */
#define CHECK_DIFFERENT    1
#define CHECK_USAGE        2
#define CHECK_BAD_MANIFEST 3
#define CHECK_UNREADABLE   4

static void check_help(void) {
        printf("usage: buildward check MANIFEST [--pubkey PUB] [--json] [--no-cache] [--jobs N]\n\n"
               "Compares the trees a manifest from `buildward seal` describes with the files there now:\n"
               "added, removed, and changed content, mode, owner, type or symlink target.\n\n"
               "  --pubkey PUB   require a valid signature by this key (KEY.pub from `buildward keygen`)\n"
               "  --json         print the result as JSON\n"
               "  --no-cache     hash every file, ignoring the digest cache\n"
               "  --jobs N       hashing threads (default: one per CPU)\n\n"
               "Exit: 0 the trees match; 1 they differ; 2 usage error; 3 the manifest is unreadable,\n"
               "malformed or its signature is refused; 4 the trees could not be read or hashed.\n");
}

int parse_jobs(const char *s, unsigned *ret) {
        uint64_t v;
        if (parse_uint(s, 1024, &v) < 0 || v == 0) {
                log_error("invalid --jobs '%s'; use a number of threads from 1 to 1024", s);
                return -EINVAL;
        }
        *ret = (unsigned) v;
        return 0;
}

int cmd_check(int argc, char **argv) {
        static const struct option opts[] = {
                { "pubkey", required_argument, NULL, 'p' }, { "json", no_argument, NULL, 'J' },
                { "no-cache", no_argument, NULL, 'n' },     { "jobs", required_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },         {},
        };
        const char *pubpath = NULL;
        bool json = false, no_cache = false;
        unsigned jobs = 0;
        int c;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0)
                switch (c) {
                case 'p':
                        pubpath = optarg;
                        break;
                case 'J':
                        json = true;
                        break;
                case 'n':
                        no_cache = true;
                        break;
                case 'j':
                        if (parse_jobs(optarg, &jobs) < 0)
                                return CHECK_USAGE;
                        break;
                case 'h':
                        check_help();
                        return 0;
                default:
                        log_error("invalid option; see `buildward check --help`");
                        return CHECK_USAGE;
                }
        if (optind + 1 != argc) {
                log_error("check needs exactly one MANIFEST; see `buildward check --help`");
                return CHECK_USAGE;
        }
        const char *path = argv[optind];
        /* It hashes or signs throughout: if libcrypto is missing, the loader's line is the only one. */
        if (dlopen_libcrypto() < 0)
                return CHECK_UNREADABLE; /* nothing can be hashed */
        _cleanup_pkey_ EVP_PKEY *pub = NULL;
        int r;
        if (pubpath && (r = key_load_public(pubpath, &pub)) < 0) {
                log_error("cannot use the public key '%s' (%s); pass the KEY.pub written by `buildward keygen`",
                          pubpath, strerror(-r));
                return CHECK_USAGE;
        }
        uint64_t t0 = now_usec(CLOCK_MONOTONIC);
        _cleanup_toolchain_ struct toolchain *t = NULL;
        if (toolchain_open_verbose(path, pub, !no_cache, "", &t) < 0)
                return CHECK_BAD_MANIFEST;
        if (t->manifest->is_signed && !pub)
                log_warning("the signature of '%s' was not verified; pass --pubkey KEY.pub to require it", path);
        struct diff_list l = {};
        struct hash_stats st = {};
        r = tree_compare(t->manifest, jobs, t->cache, &l, &st);
        if (r < 0) {
                log_error("cannot read the sealed trees of '%s' (%s); check permissions, or run as root", path,
                          strerror(-r));
                return CHECK_UNREADABLE;
        }
        double secs = (double) (now_usec(CLOCK_MONOTONIC) - t0) / 1e6;
        toolchain_warn_refused_rows(t);
        struct digest_cache_stats cs = {};
        if (t->cache)
                digest_cache_get_stats(t->cache, &cs);
        if (json) {
                json_object *o = json_object_new_object();
                char d[VERITY_DIGEST_HEX];
                verity_format(t->manifest->file_sha256, d);
                json_object_object_add(o, "manifest", json_new_string(path));
                json_object_object_add(o, "manifest_sha256", json_new_string(d));
                json_object_object_add(o, "signed", json_object_new_boolean(t->manifest->is_signed));
                json_object_object_add(o, "signature_verified",
                                       json_object_new_boolean(t->manifest->signature_verified));
                json_object_object_add(o, "entries", json_object_new_uint64(t->manifest->n));
                json_object_object_add(o, "match", json_object_new_boolean(l.n == 0));
                json_object_object_add(o, "differences", diff_list_to_json(&l));
                json_object *s = json_object_new_object();
                json_object_object_add(s, "files", json_object_new_uint64(st.files));
                json_object_object_add(s, "bytes", json_object_new_uint64(st.bytes));
                json_object_object_add(s, "hashed", json_object_new_uint64(st.hashed));
                json_object_object_add(s, "cached", json_object_new_uint64(st.cached));
                json_object_object_add(s, "kernel", json_object_new_uint64(st.kernel));
                json_object_object_add(s, "duration_s", json_object_new_double(secs));
                /* The work the cache did: rows read must follow the files checked, not the cache's size. */
                json_object_object_add(s, "cache_queries", json_object_new_uint64(cs.queries));
                json_object_object_add(s, "cache_rows_read", json_object_new_uint64(cs.rows_read));
                json_object_object_add(s, "cache_refused", json_object_new_uint64(cs.refused));
                json_object_object_add(o, "stats", s);
                json_object_object_add(
                        o, "cache",
                        t->cache && !digest_cache_is_memory(t->cache) ? json_new_string(digest_cache_dir()) : NULL);
                puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(o);
        } else {
                print_differences(stdout, &l);
                log_info("%s: %zu difference%s in %zu entries (%" PRIu64 " files: %" PRIu64 " hashed, %" PRIu64
                         " from the cache, %" PRIu64 " from the kernel) in %.3f s",
                         l.n ? "FAIL" : "ok", l.n, l.n == 1 ? "" : "s", t->manifest->n, st.files, st.hashed, st.cached,
                         st.kernel, secs);
        }
        r = l.n ? CHECK_DIFFERENT : 0;
        diff_list_done(&l);
        return r;
}
