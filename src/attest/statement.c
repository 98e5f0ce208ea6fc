/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <math.h>

#include "attest/source.h"
#include "attest/statement.h"
#include "basic/json-util.h"
#include "basic/util.h"

json_object *json_path(json_object *o, const char *path) {
        _cleanup_free_ char *copy = xstrdup(path);
        char *save = NULL;
        for (char *k = strtok_r(copy, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
                if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, k, &o))
                        o = NULL;
        return o;
}

int rfc3339_parse(const char *s, uint64_t *ret_usec) {
        if (s[0] == '@') {
                char *end;
                errno = 0;
                unsigned long long v = strtoull(s + 1, &end, 10);
                if (errno || *end || end == s + 1 || v > UINT64_MAX / 1000000)
                        return -EINVAL;
                *ret_usec = v * 1000000;
                return 0;
        }
        struct tm tm = {};
        const char *p = strptime(s, "%Y-%m-%d", &tm);
        if (!p)
                return -EINVAL;
        uint64_t frac = 0;
        if (*p == 'T' || *p == ' ') {
                p = strptime(p + 1, "%H:%M:%S", &tm);
                if (!p)
                        return -EINVAL;
                if (*p == '.') {
                        uint64_t scale = 100000;
                        for (p++; *p >= '0' && *p <= '9'; p++) {
                                frac += (uint64_t) (*p - '0') * scale;
                                scale /= 10;
                        }
                }
                if (*p != 'Z' || p[1])
                        return -EINVAL; /* UTC only: a time without zone means different things to different hosts */
        } else if (*p)
                return -EINVAL;
        time_t t = timegm(&tm);
        if (t < 0)
                return -EINVAL;
        *ret_usec = (uint64_t) t * 1000000 + frac;
        return 0;
}

static json_object *digest_obj(const char *algo, const char *hex) {
        json_object *d = json_object_new_object();
        json_object_object_add(d, algo, json_new_string(hex));
        return d;
}

static json_object *resource(const char *name, const char *uri, const char *algo, const char *hex) {
        json_object *r = json_object_new_object();
        if (uri)
                json_object_object_add(r, "uri", json_new_string(uri));
        json_object_object_add(r, "name", json_new_string(name));
        json_object_object_add(r, "digest", digest_obj(algo, hex));
        return r;
}

static json_object *copy(json_object *o) {
        json_object *c = NULL;
        if (o && json_object_deep_copy(o, &c, NULL) < 0)
                return NULL;
        return c;
}

/* The findings, counted by severity and listed by rule: the summary a verifier needs. */
static json_object *findings_summary(json_object *findings) {
        static const char *const sev[] = { "info", "low", "medium", "high", "critical" };
        json_object *s = json_object_new_object(), *by = json_object_new_object(), *rules = json_object_new_array();
        size_t n = findings ? json_object_array_length(findings) : 0;
        uint64_t count[ELEMENTSOF(sev)] = {};
        for (size_t i = 0; i < n; i++) {
                json_object *f = json_object_array_get_idx(findings, i), *v;
                if (json_object_object_get_ex(f, "severity", &v))
                        for (size_t k = 0; k < ELEMENTSOF(sev); k++)
                                if (streq(json_object_get_string(v), sev[k]))
                                        count[k]++;
                if (json_object_object_get_ex(f, "rule", &v)) {
                        bool seen = false;
                        for (size_t k = 0; k < json_object_array_length(rules); k++)
                                seen = seen || streq(json_object_get_string(json_object_array_get_idx(rules, k)),
                                                     json_object_get_string(v));
                        if (!seen)
                                json_object_array_add(rules, json_new_string(json_object_get_string(v)));
                }
        }
        json_object_object_add(s, "total", json_object_new_uint64(n));
        for (size_t k = 0; k < ELEMENTSOF(sev); k++)
                json_object_object_add(by, sev[k], json_object_new_uint64(count[k]));
        json_object_object_add(s, "bySeverity", by);
        json_object_object_add(s, "rules", rules);
        return s;
}

int statement_from_report(json_object *report, const struct provenance_context *ctx, json_object **ret,
                          const char **ret_field) {
        json_object *command = json_path(report, "command"), *started = json_path(report, "started_at"),
                    *duration = json_path(report, "duration_s"), *verdict = json_path(report, "verdict"),
                    *artifacts = json_path(report, "artifacts"), *sandbox = json_path(report, "sandbox");
        const char *missing =
                !json_object_is_type(command, json_type_array)    ? "command"
                : !json_object_is_type(started, json_type_string) ? "started_at"
                : !(json_object_is_type(duration, json_type_double) || json_object_is_type(duration, json_type_int))
                        ? "duration_s"
                : !json_object_is_type(verdict, json_type_string)  ? "verdict"
                : !json_object_is_type(artifacts, json_type_array) ? "artifacts"
                : !json_object_is_type(sandbox, json_type_object)  ? "sandbox"
                                                                   : NULL;
        uint64_t start_usec;
        if (!missing && rfc3339_parse(json_object_get_string(started), &start_usec) < 0)
                missing = "started_at";
        double dur = missing ? 0 : json_object_get_double(duration);
        if (!missing && (!isfinite(dur) || dur < 0 || dur > 1e9))
                missing = "duration_s";

        json_object *subjects = json_object_new_array();
        for (size_t i = 0; !missing && i < json_object_array_length(artifacts); i++) {
                json_object *a = json_object_array_get_idx(artifacts, i);
                json_object *path = json_path(a, "path"), *sha = json_path(a, "sha256");
                if (!json_object_is_type(path, json_type_string) || !json_object_is_type(sha, json_type_string) ||
                    strlen(json_object_get_string(sha)) != 64) {
                        missing = "artifacts[].sha256";
                        break;
                }
                json_object *s = json_object_new_object();
                json_object_object_add(s, "name", json_new_string(json_object_get_string(path)));
                json_object_object_add(s, "digest", digest_obj("sha256", json_object_get_string(sha)));
                json_object_array_add(subjects, s);
        }
        if (missing) {
                json_object_put(subjects);
                if (ret_field)
                        *ret_field = missing;
                return -EBADMSG;
        }

        const char *src = json_object_get_string(json_path(sandbox, "source"));
        _cleanup_free_ char *src_uri = xasprintf("file://%s", src ? src : "");
        _cleanup_free_ char *git_uri = xasprintf("git+file://%s", src ? src : "");

        json_object *ext = json_object_new_object();
        json_object_object_add(ext, "command", copy(command));
        json_object *source = json_object_new_object();
        json_object_object_add(source, "uri", json_new_string(src_uri));
        if (ctx->git_commit && ctx->git_ref && ctx->git_ref[0])
                json_object_object_add(source, "ref", json_new_string(ctx->git_ref));
        json_object_object_add(ext, "source", source);

        json_object *internal = json_object_new_object();
        json_object_object_add(internal, "sandbox", copy(sandbox));
        json_object_object_add(internal, "failOn", copy(json_path(report, "fail_on")));
        json_object *policy = json_path(report, "policy.sha256");
        if (json_object_is_type(policy, json_type_string))
                json_object_object_add(internal, "policyDigest", digest_obj("sha256", json_object_get_string(policy)));

        json_object *deps = json_object_new_array();
        if (ctx->git_commit)
                json_object_array_add(deps, resource("source", git_uri, "gitCommit", ctx->git_commit));
        json_object *tree = resource("source-tree", src_uri, "sha256", ctx->tree_digest);
        json_object *ann = json_object_new_object();
        json_object_object_add(ann, "format", json_new_string(TREE_DIGEST_FORMAT));
        json_object_object_add(ann, "files", json_object_new_uint64(ctx->tree_files));
        json_object_object_add(tree, "annotations", ann);
        json_object_array_add(deps, tree);
        json_object *toolchain = json_path(report, "sandbox.toolchain.digest");
        if (json_object_is_type(toolchain, json_type_string))
                json_object_array_add(
                        deps, resource("toolchain-manifest", NULL, "sha256", json_object_get_string(toolchain)));

        json_object *bd = json_object_new_object();
        json_object_object_add(bd, "buildType", json_new_string(BUILDWARD_BUILD_TYPE));
        json_object_object_add(bd, "externalParameters", ext);
        json_object_object_add(bd, "internalParameters", internal);
        json_object_object_add(bd, "resolvedDependencies", deps);

        char fin[64];
        format_rfc3339(start_usec + (uint64_t) (dur * 1e6 + 0.5), fin, sizeof(fin)); /* 0 <= dur <= 1e9: rounded */
        json_object *builder = json_object_new_object(), *version = json_object_new_object();
        json_object_object_add(builder, "id", json_new_string(ctx->builder_id));
        json_object_object_add(version, "buildward", json_new_string(BUILDWARD_VERSION));
        json_object_object_add(builder, "version", version);
        json_object *meta = json_object_new_object();
        json_object_object_add(meta, "invocationId", json_new_string(ctx->invocation_id));
        json_object_object_add(meta, "startedOn", json_new_string(json_object_get_string(started)));
        json_object_object_add(meta, "finishedOn", json_new_string(fin));
        json_object *byp = json_object_new_array(), *rep = json_object_new_object(), *ra = json_object_new_object();
        json_object_object_add(rep, "name", json_new_string("report.json"));
        if (ctx->report_sha256)
                json_object_object_add(rep, "digest", digest_obj("sha256", ctx->report_sha256));
        json_object_object_add(rep, "mediaType", json_new_string("application/json"));
        json_object_object_add(ra, "verdict", copy(verdict));
        json_object_object_add(ra, "exitCode", copy(json_path(report, "exit_code")));
        json_object_object_add(ra, "findings", findings_summary(json_path(report, "findings")));
        json_object_object_add(ra, "monitor", copy(json_path(report, "monitor")));
        json_object_object_add(rep, "annotations", ra);
        json_object_array_add(byp, rep);
        json_object *rd = json_object_new_object();
        json_object_object_add(rd, "builder", builder);
        json_object_object_add(rd, "metadata", meta);
        json_object_object_add(rd, "byproducts", byp);

        json_object *pred = json_object_new_object();
        json_object_object_add(pred, "buildDefinition", bd);
        json_object_object_add(pred, "runDetails", rd);
        json_object *st = json_object_new_object();
        json_object_object_add(st, "_type", json_new_string(INTOTO_STATEMENT_TYPE));
        json_object_object_add(st, "subject", subjects);
        json_object_object_add(st, "predicateType", json_new_string(SLSA_PROVENANCE_TYPE));
        json_object_object_add(st, "predicate", pred);
        *ret = st;
        return 0;
}
