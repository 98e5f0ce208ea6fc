/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <sys/stat.h>

#include "basic/log.h"
#include "cli/commands.h"
#include "crypto/sign.h"
#include "integrity/integrity.h"

static void seal_help(void) {
        printf("usage: buildward seal DIR... -o MANIFEST [--sign-key KEY] [--jobs N] [--no-cache]\n\n"
               "Writes a manifest of every file, directory and symlink under each DIR: fs-verity\n"
               "digest (what `fsverity digest` prints), type, mode, owner, size, symlink target.\n"
               "`buildward check MANIFEST` compares a tree with it later.\n\n"
               "  -o, --output MANIFEST  where to write it (replaced atomically)\n"
               "  --sign-key KEY         sign it with an Ed25519 key from `buildward keygen`\n"
               "  --jobs N               hashing threads (default: one per CPU)\n"
               "  --no-cache             do not record the digests in the digest cache\n");
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Writes DATA to PATH through a temporary file in the same directory, then rename(). */
static int write_atomic(const char *path, const char *data, size_t n) {
        _cleanup_free_ char *tmp = xasprintf("%s.tmp-%d", path, (int) getpid());
        _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        int r = fchmod(fd, 0644) < 0 ? -errno : loop_write(fd, data, n);
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                (void) unlink(tmp);
        return r;
}

int cmd_seal(int argc, char **argv) {
        static const struct option opts[] = {
                { "output", required_argument, NULL, 'o' }, { "sign-key", required_argument, NULL, 'k' },
                { "jobs", required_argument, NULL, 'j' },   { "no-cache", no_argument, NULL, 'n' },
                { "help", no_argument, NULL, 'h' },         {},
        };
        const char *out = NULL, *keypath = NULL;
        unsigned jobs = 0;
        bool no_cache = false;
        int c;
        while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) >= 0)
                switch (c) {
                case 'o':
                        out = optarg;
                        break;
                case 'k':
                        keypath = optarg;
                        break;
                case 'j':
                        if (parse_jobs(optarg, &jobs) < 0)
                                return 2;
                        break;
                case 'n':
                        no_cache = true;
                        break;
                case 'h':
                        seal_help();
                        return 0;
                default:
                        log_error("invalid option; see `buildward seal --help`");
                        return 2;
                }
        if (!out || optind >= argc) {
                log_error("seal needs at least one DIR and `-o MANIFEST`; see `buildward seal --help`");
                return 2;
        }
        /* It hashes or signs throughout: if libcrypto is missing, the loader's line is the only one. */
        if (dlopen_libcrypto() < 0)
                return 1;

        /* Roots are canonical (no symlink on the way), so paths match what /proc/PID/exe shows. */
        _cleanup_strv_free_ char **roots = NULL;
        for (int i = optind; i < argc; i++) {
                char resolved[PATH_MAX];
                if (!realpath(argv[i], resolved)) {
                        log_error("cannot resolve '%s' (%s); pass an existing directory", argv[i], strerror(errno));
                        return 1;
                }
                strv_push(&roots, xstrdup(resolved));
        }
        size_t nr = strv_length(roots);
        qsort(roots, nr, sizeof(char *), cmp_str);
        /* A root inside another is already covered by it. */
        size_t k = 0;
        for (size_t i = 0; i < nr; i++) {
                if (k > 0 && manifest_path_under(roots[i], roots[k - 1])) {
                        free(roots[i]);
                        continue;
                }
                roots[k++] = roots[i];
        }
        roots[k] = NULL;

        _cleanup_free_ char *outdir = xstrdup(out);
        char outreal[PATH_MAX];
        if (!realpath(dirname(outdir), outreal)) {
                log_error("cannot write '%s': its directory does not exist; create it or pick another path", out);
                return 1;
        }
        for (char **r = roots; *r; r++)
                if (manifest_path_under(outreal, *r)) {
                        log_error("'%s' is inside the sealed tree '%s', which it would change; write the manifest "
                                  "elsewhere",
                                  out, *r);
                        return 1;
                }

        _cleanup_pkey_ EVP_PKEY *key = NULL;
        if (keypath) {
                int r = key_load_private(keypath, &key);
                if (r < 0) {
                        log_error("cannot use the signing key '%s' (%s); %s", keypath, strerror(-r),
                                  r == -EPERM          ? "make it readable by its owner only: chmod 600"
                                  : r == -EKEYREJECTED ? "pass a private key from `buildward keygen`"
                                                       : "pass the KEY written by `buildward keygen -o KEY`");
                        return 1;
                }
        }

        uint64_t t0 = now_usec(CLOCK_MONOTONIC);
        struct manifest_entry *v = NULL;
        size_t n = 0;
        _cleanup_free_ char *failed = NULL;
        int r = tree_scan(roots, 0, &v, &n, &failed);
        if (r < 0) {
                log_error("cannot read '%s' (%s); check its permissions, or run as root", failed ? failed : "?",
                          strerror(-r));
                return 1;
        }
        _cleanup_digest_cache_ struct digest_cache *cache = NULL;
        if (!no_cache && digest_cache_open(NULL, 0, &cache, NULL) < 0)
                cache = NULL; /* sealing never reads the cache; filling it is a courtesy to `check` */
        size_t *idx = xmalloc(sizeof(size_t) * (n + 1)), n_idx = 0;
        for (size_t i = 0; i < n; i++)
                if (v[i].type == 'f')
                        idx[n_idx++] = i;
        int *errs = xcalloc(n_idx + 1, sizeof(int));
        struct hash_stats st = {};
        r = tree_hash(v, idx, n_idx, jobs, cache, false, errs, &st);
        int ret = 0;
        if (r < 0) {
                log_error("cannot hash (%s); free memory and retry", strerror(-r));
                ret = 1;
        }
        for (size_t i = 0; ret == 0 && i < n_idx; i++)
                if (errs[i] < 0) {
                        _cleanup_free_ char *esc = manifest_escape(v[idx[i]].path);
                        log_error("cannot hash '%s' (%s); %s", esc,
                                  errs[i] == -ESTALE ? "it changed while it was read" : strerror(-errs[i]),
                                  errs[i] == -ESTALE ? "seal a tree nothing is writing to" : "check its permissions");
                        ret = 1;
                }
        free(errs);
        free(idx);
        _cleanup_free_ char *data = NULL;
        size_t size = 0;
        if (ret == 0 && (r = manifest_format(roots, v, n, key, &data, &size)) < 0) {
                log_error("cannot format the manifest (%s)", strerror(-r));
                ret = 1;
        }
        tree_entries_free(v, n);
        if (ret == 0 && (r = write_atomic(out, data, size)) < 0) {
                log_error("cannot write '%s' (%s); pick a writable path", out, strerror(-r));
                ret = 1;
        }
        if (cache && (r = digest_cache_save(cache)) < 0)
                log_warning("cannot save the digest cache in '%s' (%s); the next check hashes everything",
                            digest_cache_dir(), strerror(-r));
        if (ret == 0)
                log_info("sealed %zu entries (%" PRIu64 " files, %.1f MiB) in %.2f s%s: %s", n, st.files,
                         (double) st.bytes / (1 << 20), (double) (now_usec(CLOCK_MONOTONIC) - t0) / 1e6,
                         key ? ", signed" : "", out);
        return ret;
}
