/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "attest/dsse.h"
#include "attest/source.h"
#include "attest/statement.h"
#include "basic/json-util.h"
#include "basic/util.h"
#include "crypto/hash.h"
#include "ledger/ledger.h"
#include "provenance/provenance.h"

char *provenance_builder_id(void) {
        const char *env = getenv("BUILDWARD_BUILDER_ID");
        if (env && *env)
                return xstrdup(env);
        _cleanup_free_ char *mid = NULL;
        size_t n;
        if (read_full_file("/etc/machine-id", &mid, &n, 4096) == 0) {
                mid[strcspn(mid, "\n")] = 0;
                if (strlen(mid) == 32)
                        return xasprintf("urn:buildward:builder:%s", mid);
        }
        char host[256] = "localhost";
        (void) gethostname(host, sizeof(host) - 1);
        return xasprintf("urn:buildward:builder:%s", host);
}

static char *uuid4(void) {
        uint8_t b[16];
        if (getrandom(b, sizeof(b), 0) != sizeof(b))
                return NULL;
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        return xasprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3],
                         b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static void sha256_hex(const void *data, size_t n, char ret[65]) {
        uint8_t md[32];
        sym_EVP_Digest(data, n, md, NULL, sym_EVP_sha256(), NULL);
        for (size_t i = 0; i < 32; i++)
                snprintf(ret + 2 * i, 3, "%02x", md[i]);
}

static int write_atomic_at(int dir_fd, const char *name, const char *text) {
        _cleanup_free_ char *tmp = xasprintf(".%s.tmp", name);
        (void) unlinkat(dir_fd, tmp, 0);
        int r = write_file_at(dir_fd, tmp, text, O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
        if (r >= 0 && renameat(dir_fd, tmp, dir_fd, name) < 0)
                r = -errno;
        if (r < 0)
                (void) unlinkat(dir_fd, tmp, 0);
        return r;
}

static json_object *jcopy(json_object *o) {
        json_object *c = NULL;
        return o && json_object_deep_copy(o, &c, NULL) == 0 ? c : NULL;
}

/* The ledger entry for this build, from the statement (so both say the same). */
static json_object *ledger_input(json_object *st, const char *prov_sha256, const struct source_listing *files) {
        json_object *in = json_object_new_object();
        json_object_object_add(in, "builder", jcopy(json_path(st, "predicate.runDetails.builder.id")));
        json_object_object_add(in, "startedOn", jcopy(json_path(st, "predicate.runDetails.metadata.startedOn")));
        json_object_object_add(in, "finishedOn", jcopy(json_path(st, "predicate.runDetails.metadata.finishedOn")));
        json_object_object_add(in, "command",
                               jcopy(json_path(st, "predicate.buildDefinition.externalParameters.command")));
        json_object *byp = json_path(st, "predicate.runDetails.byproducts");
        json_object_object_add(in, "verdict",
                               jcopy(json_path(json_object_array_get_idx(byp, 0), "annotations.verdict")));
        if (prov_sha256) {
                json_object *p = json_object_new_object();
                json_object_object_add(p, "sha256", json_new_string(prov_sha256));
                json_object_object_add(in, "provenance", p);
        }
        json_object *mats = json_object_new_array(),
                    *deps = json_path(st, "predicate.buildDefinition.resolvedDependencies");
        for (size_t i = 0; i < json_object_array_length(deps); i++) {
                json_object *d = json_object_array_get_idx(deps, i), *m = json_object_new_object();
                json_object_object_add(m, "name", jcopy(json_path(d, "name")));
                json_object_object_add(m, "digest", jcopy(json_path(d, "digest")));
                json_object_array_add(mats, m);
        }
        json_object *policy = json_path(st, "predicate.buildDefinition.internalParameters.policyDigest");
        if (policy) {
                json_object *m = json_object_new_object();
                json_object_object_add(m, "name", json_new_string("policy"));
                json_object_object_add(m, "digest", jcopy(policy));
                json_object_array_add(mats, m);
        }
        json_object_object_add(in, "materials", mats);
        json_object *subj = json_object_new_array(), *ss = json_path(st, "subject");
        for (size_t i = 0; i < json_object_array_length(ss); i++)
                json_object_array_add(subj, jcopy(json_object_array_get_idx(ss, i)));
        json_object_object_add(in, "subjects", subj);
        json_object *fa = json_object_new_array();
        for (size_t i = 0; i < files->n; i++) {
                json_object *f = json_object_new_object();
                json_object_object_add(f, "path", json_new_string(files->v[i].path));
                json_object_object_add(f, "sha256", json_new_string(files->v[i].sha256));
                json_object_array_add(fa, f);
        }
        json_object_object_add(in, "files", fa);
        return in;
}

/* Loads the private key, or explains in one line why it cannot be used. */
static int load_sign_key(const char *path, EVP_PKEY **ret, char **ret_error) {
        int r = key_load_private(path, ret);
        if (r == -EPERM)
                *ret_error = xasprintf("the --sign-key '%s' is readable by group or others; `chmod 600 %s`, and "
                                       "replace the key if others may have read it",
                                       path, path);
        else if (r == -EKEYREJECTED)
                *ret_error = xasprintf("the --sign-key '%s' is not an Ed25519 private key; create one with "
                                       "`buildward keygen -o KEY`",
                                       path);
        else if (r < 0)
                *ret_error = xasprintf("cannot read the --sign-key '%s' (%s); pass the private key that "
                                       "`buildward keygen -o KEY` wrote",
                                       path, strerror(-r));
        return r;
}

int provenance_check_args(const char *sign_key, const char *ledger_url, char **ret_error) {
        if (ledger_url && !startswith(ledger_url, "sqlite:") && !startswith(ledger_url, "postgresql://") &&
            !startswith(ledger_url, "postgres://")) {
                *ret_error = xasprintf("invalid --ledger '%s'; use sqlite:PATH or a postgresql:// URL", ledger_url);
                return -EINVAL;
        }
        _cleanup_pkey_ EVP_PKEY *key = NULL;
        return sign_key ? load_sign_key(sign_key, &key, ret_error) : 0;
}

int provenance_for_run(json_object *report, int out_fd, const char *sign_key, const char *ledger_url,
                       char **ret_error) {
        if (!sign_key && !ledger_url)
                return 0;
        const char *url = ledger_url ? ledger_url : LEDGER_DEFAULT_URL;
        _cleanup_pkey_ EVP_PKEY *key = NULL;
        int r;
        if (sign_key && (r = load_sign_key(sign_key, &key, ret_error)) < 0)
                return r;
        const char *src = json_object_get_string(json_path(report, "sandbox.source"));
        if (!src) {
                *ret_error = xstrdup("the report names no source tree; this is a bug in buildward");
                return -EINVAL;
        }
        struct stat out_st = {};
        (void) fstat(out_fd, &out_st);
        struct source_listing files = {};
        if ((r = source_listing_collect(src, out_st.st_dev, out_st.st_ino, &files)) < 0) {
                *ret_error = r == -E2BIG ? xasprintf("the source tree '%s' holds more than %d files, more than the "
                                                     "provenance lists; build a smaller tree",
                                                     src, SOURCE_MAX_FILES)
                                         : xasprintf("cannot hash the source tree '%s' for the provenance (%s); "
                                                     "check that buildward can read every file in it",
                                                     src, strerror(-r));
                return r;
        }
        char tree[65], report_sha[65], prov_sha[65];
        source_listing_digest(&files, tree);
        _cleanup_free_ char *commit = NULL, *ref = NULL, *builder = provenance_builder_id(), *inv = uuid4();
        (void) git_head(src, &commit, &ref); /* not a git tree, or no commit yet: no commit in the provenance */
        _cleanup_close_ int rfd = openat(out_fd, "report.json", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        bool have_report = rfd >= 0 && sha256_fd(rfd, report_sha, NULL) == 0;
        struct provenance_context ctx = {
                .builder_id = builder,
                .invocation_id = inv ? inv : "unknown",
                .git_commit = commit,
                .git_ref = ref,
                .tree_digest = tree,
                .tree_files = files.n,
                .report_sha256 = have_report ? report_sha : NULL,
        };
        json_object *st = NULL, *in = NULL;
        const char *field = NULL;
        struct ledger *l = NULL;
        if ((r = statement_from_report(report, &ctx, &st, &field)) < 0) {
                *ret_error = xasprintf("the report lacks '%s', which the provenance needs; this is a bug in buildward",
                                       field);
                goto out;
        }
        const char *payload =
                json_object_to_json_string_ext(st, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (key) {
                _cleanup_free_ char *env = NULL;
                sha256_hex(payload, strlen(payload), prov_sha);
                if ((r = dsse_sign(DSSE_INTOTO_TYPE, payload, strlen(payload), key, &env)) < 0) {
                        *ret_error = xasprintf("cannot sign the provenance with '%s' (%s)", sign_key, strerror(-r));
                        goto out;
                }
                _cleanup_free_ char *text = xasprintf("%s\n", env);
                if ((r = write_atomic_at(out_fd, PROVENANCE_FILE, text)) < 0) {
                        *ret_error = xasprintf("cannot write '" PROVENANCE_FILE "' in the out folder (%s); check "
                                               "that it is writable",
                                               strerror(-r));
                        goto out;
                }
        }
        in = ledger_input(st, key ? prov_sha : NULL, &files);
        if ((r = ledger_open(url, true, &l)) < 0) {
                *ret_error = xasprintf("cannot open the ledger '%s' (%s); pass a writable --ledger sqlite:PATH or a "
                                       "reachable postgresql:// URL",
                                       url, ledger_open_error());
                goto out;
        }
        uint64_t index;
        if ((r = ledger_append(l, in, key, &index)) < 0) {
                *ret_error = r == -EUCLEAN ? xasprintf("the ledger '%s' is inconsistent (%s); run `buildward ledger "
                                                       "verify --ledger %s` to find the bad entry",
                                                       url, ledger_error(l), url)
                                           : xasprintf("cannot append to the ledger '%s' (%s); check that it is "
                                                       "writable and reachable",
                                                       url, ledger_error(l));
                goto out;
        }
        r = 0;
out:
        ledger_close(l);
        json_object_put(st);
        json_object_put(in);
        source_listing_done(&files);
        return r;
}
