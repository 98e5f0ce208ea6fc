/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <sys/stat.h>

#include "attest/source.h"
#include "attest/statement.h"
#include "test-fs.h"

/* A report.json as `run` writes it (docs/design.md §5), trimmed to what matters here. */
static const char report_fixture[] =
        "{ \"version\": 1, \"command\": [\"make\", \"-j2\"], \"exit_code\": 0, \"verdict\": \"pass\","
        "  \"fail_on\": \"high\", \"started_at\": \"2026-11-25T14:00:00.250Z\", \"duration_s\": 12.5,"
        "  \"sandbox\": { \"source\": \"/src/hello\", \"network\": \"loopback only\","
        "                \"toolchain\": { \"digest\": \""
        "1111111111111111111111111111111111111111111111111111111111111111"
        "\" } },"
        "  \"policy\": { \"sha256\": \"2222222222222222222222222222222222222222222222222222222222222222\" },"
        "  \"monitor\": { \"enabled\": true, \"events\": 10, \"lost\": 0 },"
        "  \"findings\": [ { \"rule\": \"r1\", \"severity\": \"low\" }, { \"rule\": \"r1\", \"severity\": \"low\" },"
        "                  { \"rule\": \"r2\", \"severity\": \"high\" } ],"
        "  \"artifacts\": [ { \"path\": \"hello\", \"sha256\": "
        "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", \"size\": 5 },"
        "                   { \"path\": \"lib/x.a\", \"sha256\": "
        "\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\", \"size\": 7 } ] }";

static const char *s(json_object *o, const char *path) {
        return json_object_get_string(json_path(o, path));
}

TEST(statement_from_report_fixture) {
        json_object *report = json_tokener_parse(report_fixture), *st = NULL;
        ASSERT_TRUE(report != NULL);
        struct provenance_context ctx = {
                .builder_id = "urn:buildward:builder:test",
                .invocation_id = "inv-1",
                .git_commit = "0123456789abcdef0123456789abcdef01234567",
                .git_ref = "refs/heads/main",
                .tree_digest = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",
                .tree_files = 3,
                .report_sha256 = "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
        };
        ASSERT_EQ_INT(statement_from_report(report, &ctx, &st, NULL), 0);
        ASSERT_STREQ(s(st, "_type"), "https://in-toto.io/Statement/v1");
        ASSERT_STREQ(s(st, "predicateType"), "https://slsa.dev/provenance/v1");
        json_object *subj = json_path(st, "subject");
        ASSERT_EQ_INT(json_object_array_length(subj), 2);
        ASSERT_STREQ(s(json_object_array_get_idx(subj, 1), "name"), "lib/x.a");
        ASSERT_STREQ(s(json_object_array_get_idx(subj, 1), "digest.sha256"),
                     "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
        ASSERT_STREQ(s(st, "predicate.buildDefinition.buildType"), BUILDWARD_BUILD_TYPE);
        json_object *cmd = json_path(st, "predicate.buildDefinition.externalParameters.command");
        ASSERT_STREQ(json_object_get_string(json_object_array_get_idx(cmd, 1)), "-j2");
        ASSERT_STREQ(s(st, "predicate.buildDefinition.externalParameters.source.uri"), "file:///src/hello");
        ASSERT_STREQ(s(st, "predicate.buildDefinition.externalParameters.source.ref"), "refs/heads/main");
        ASSERT_STREQ(s(st, "predicate.buildDefinition.internalParameters.sandbox.network"), "loopback only");
        ASSERT_STREQ(s(st, "predicate.buildDefinition.internalParameters.policyDigest.sha256"),
                     "2222222222222222222222222222222222222222222222222222222222222222");
        json_object *deps = json_path(st, "predicate.buildDefinition.resolvedDependencies");
        ASSERT_EQ_INT(json_object_array_length(deps), 3);
        ASSERT_STREQ(s(json_object_array_get_idx(deps, 0), "digest.gitCommit"), ctx.git_commit);
        ASSERT_STREQ(s(json_object_array_get_idx(deps, 0), "uri"), "git+file:///src/hello");
        ASSERT_STREQ(s(json_object_array_get_idx(deps, 1), "digest.sha256"), ctx.tree_digest);
        ASSERT_STREQ(s(json_object_array_get_idx(deps, 1), "annotations.format"), TREE_DIGEST_FORMAT);
        ASSERT_STREQ(s(json_object_array_get_idx(deps, 2), "name"), "toolchain-manifest");
        ASSERT_STREQ(s(json_object_array_get_idx(deps, 2), "digest.sha256"),
                     "1111111111111111111111111111111111111111111111111111111111111111");
        ASSERT_STREQ(s(st, "predicate.runDetails.builder.id"), "urn:buildward:builder:test");
        ASSERT_STREQ(s(st, "predicate.runDetails.metadata.invocationId"), "inv-1");
        ASSERT_STREQ(s(st, "predicate.runDetails.metadata.startedOn"), "2026-11-25T14:00:00.250Z");
        ASSERT_STREQ(s(st, "predicate.runDetails.metadata.finishedOn"), "2026-11-25T14:00:12.750Z");
        json_object *rep = json_object_array_get_idx(json_path(st, "predicate.runDetails.byproducts"), 0);
        ASSERT_STREQ(s(rep, "digest.sha256"), ctx.report_sha256);
        ASSERT_STREQ(s(rep, "annotations.verdict"), "pass");
        ASSERT_EQ_INT(json_object_get_int(json_path(rep, "annotations.findings.total")), 3);
        ASSERT_EQ_INT(json_object_get_int(json_path(rep, "annotations.findings.bySeverity.low")), 2);
        ASSERT_EQ_INT(json_object_get_int(json_path(rep, "annotations.findings.bySeverity.high")), 1);
        ASSERT_EQ_INT(json_object_array_length(json_path(rep, "annotations.findings.rules")), 2);
        json_object_put(st);

        /* without git and without the optional digests */
        json_object_object_del(report, "policy");
        json_object_object_del(json_path(report, "sandbox"), "toolchain");
        ctx.git_commit = NULL;
        ASSERT_EQ_INT(statement_from_report(report, &ctx, &st, NULL), 0);
        deps = json_path(st, "predicate.buildDefinition.resolvedDependencies");
        ASSERT_EQ_INT(json_object_array_length(deps), 1);
        ASSERT_STREQ(s(json_object_array_get_idx(deps, 0), "name"), "source-tree");
        ASSERT_TRUE(json_path(st, "predicate.buildDefinition.internalParameters.policyDigest") == NULL);
        json_object_put(st);

        /* a report without what the statement needs is refused, naming the field */
        const char *field = NULL;
        json_object_object_del(report, "started_at");
        st = NULL;
        ASSERT_EQ_INT(statement_from_report(report, &ctx, &st, &field), -EBADMSG);
        ASSERT_STREQ(field, "started_at");
        ASSERT_TRUE(st == NULL);
        json_object_put(report);
}

TEST(rfc3339_parse_forms) {
        uint64_t t;
        ASSERT_EQ_INT(rfc3339_parse("1970-01-01T00:00:01Z", &t), 0);
        ASSERT_EQ_U64(t, 1000000);
        ASSERT_EQ_INT(rfc3339_parse("2026-11-25T14:00:00.250Z", &t), 0);
        ASSERT_EQ_U64(t, 1795615200250000ULL);
        ASSERT_EQ_INT(rfc3339_parse("2026-11-25", &t), 0);
        ASSERT_EQ_U64(t, 1795564800000000ULL);
        ASSERT_EQ_INT(rfc3339_parse("@1795615200", &t), 0);
        ASSERT_EQ_U64(t, 1795615200000000ULL);
        ASSERT_EQ_INT(rfc3339_parse("2026-11-25T14:00:00", &t), -EINVAL); /* no zone */
        ASSERT_EQ_INT(rfc3339_parse("2026-11-25T14:00:00+01:00", &t), -EINVAL);
        ASSERT_EQ_INT(rfc3339_parse("yesterday", &t), -EINVAL);
        ASSERT_EQ_INT(rfc3339_parse("@", &t), -EINVAL);
}

TEST(source_tree_digest_and_git_head) {
        char *d = tmpdir();
        put(d, "b.c", "int b;\n");
        put(d, "a.c", "int a;\n");
        _cleanup_free_ char *sub = xasprintf("%s/sub", d), *git = xasprintf("%s/.git", d),
                            *refs = xasprintf("%s/.git/refs", d), *heads = xasprintf("%s/.git/refs/heads", d);
        ASSERT_EQ_INT(mkdir(sub, 0755), 0);
        put(d, "sub/c.c", "int c;\n");
        struct source_listing l = {};
        ASSERT_EQ_INT(source_listing_collect(d, 0, 0, &l), 0);
        ASSERT_EQ_INT(l.n, 3);
        char digest[65];
        source_listing_digest(&l, digest);
        ASSERT_STREQ(l.v[0].path, "a.c");
        ASSERT_STREQ(l.v[2].path, "sub/c.c");
        /* printf 'int a;\n' | sha256sum, and the three lines of sha256sum through sha256sum (Python hashlib) */
        ASSERT_STREQ(l.v[0].sha256, "386593f1475dc210d45a5f3d4b6bb11c065fc6fe2e08ebdd00ab4cf3a0848744");
        ASSERT_STREQ(digest, "f9bbefaddd070009577c0d37b5381ce687a745c8f5c5261cc7b856a6d75d0e41");
        source_listing_done(&l);

        ASSERT_EQ_INT(git_head(d, &(char *){ NULL }, NULL), -ENOENT);
        ASSERT_EQ_INT(mkdir(git, 0755), 0);
        ASSERT_EQ_INT(mkdir(refs, 0755), 0);
        ASSERT_EQ_INT(mkdir(heads, 0755), 0);
        put(d, ".git/HEAD", "ref: refs/heads/main\n");
        put(d, ".git/packed-refs",
            "# pack-refs with: peeled\n"
            "1111111111111111111111111111111111111111 refs/heads/other\n"
            "2222222222222222222222222222222222222222 refs/heads/main\n");
        char *commit = NULL, *ref = NULL;
        ASSERT_EQ_INT(git_head(d, &commit, &ref), 0);
        ASSERT_STREQ(commit, "2222222222222222222222222222222222222222");
        ASSERT_STREQ(ref, "refs/heads/main");
        free(commit);
        free(ref);
        /* a loose ref wins over packed-refs; .git is never part of the tree digest */
        put(d, ".git/refs/heads/main", "3333333333333333333333333333333333333333\n");
        ASSERT_EQ_INT(git_head(d, &commit, NULL), 0);
        ASSERT_STREQ(commit, "3333333333333333333333333333333333333333");
        free(commit);
        put(d, ".git/HEAD", "4444444444444444444444444444444444444444\n");
        ASSERT_EQ_INT(git_head(d, &commit, &ref), 0);
        ASSERT_STREQ(commit, "4444444444444444444444444444444444444444");
        ASSERT_STREQ(ref, "");
        free(commit);
        free(ref);
        ASSERT_EQ_INT(source_listing_collect(d, 0, 0, &l), 0);
        char again[65];
        source_listing_digest(&l, again);
        ASSERT_STREQ(again, digest);
        source_listing_done(&l);
        cleanup_dir(d);
}
