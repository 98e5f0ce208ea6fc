/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * report.sarif: the findings of one run as a SARIF 2.1.0 log (OASIS SARIF
 * v2.1.0, sarif-schema-2.1.0.json) in the subset GitHub code scanning ingests
 * (docs.github.com, "SARIF support for code scanning"). What that subset asks
 * for and why it shapes this file:
 *
 *  - every result needs at least one location with a physicalLocation and a
 *    non-empty artifactLocation.uri, or the upload is refused ("expected at
 *    least one location"); a finding about no file gets its process's working
 *    directory, or the source root, as its location;
 *  - code scanning resolves relative URIs against the repository checkout and
 *    ignores originalUriBaseIds, so a path under the source tree is written
 *    relative to it (uriBaseId SRCROOT for other consumers), anything else as
 *    an absolute file:/// URI;
 *  - alerts are matched across runs by partialFingerprints: ours hash the rule
 *    id and the evidence that names the same problem in every run (paths below
 *    the source root relative to it, addresses, the executable), never pids or
 *    times, which change from run to run;
 *  - a rule's severity shows only from properties."security-severity" (a
 *    number as a string) together with the tag "security".
 *
 * Strings from the build may hold any bytes: they are escaped to valid UTF-8
 * text (text_plain()) and URIs are percent-encoded byte by byte.
 */
#include <inttypes.h>
#include <math.h>

#include "basic/json-util.h"
#include "basic/util.h"
#include "crypto/openssl-dl.h"
#include "finding/catalog.h"
#include "report/report-read.h"
#include "report/report.h"
#include "report/writers.h"

#define SARIF_SCHEMA   "https://json.schemastore.org/sarif-2.1.0.json"
#define FINGERPRINT_ID "buildward/v1"
#define TEXT_MAX       4096 /* bytes of one build-supplied string kept in the log */
#define MAX_LOCATIONS  10   /* GitHub reads the first; relatedLocations keep a few more */
#define MAX_DEPTH      16   /* of evidence copied into result properties */
#define MAX_RESULTS    5000 /* code scanning keeps 5000 results of a run and refuses over 25000 */

static const char *sarif_level(int sev) {
        return sev >= SEV_HIGH ? "error" : sev == SEV_MEDIUM ? "warning" : "note";
}

/* GitHub's bands: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low. */
static const char *security_severity(int sev) {
        static const char *const v[] = { "1.0", "3.0", "5.5", "8.0", "9.5" };
        return sev >= 0 && sev <= SEV_CRITICAL ? v[sev] : "1.0";
}

static json_object *jtext(const char *s, size_t len) {
        _cleanup_free_ char *t = text_plain(s, len, TEXT_MAX);
        return json_new_string(t);
}

static json_object *jtext_str(const char *s) {
        return jtext(s, strlen(s));
}

static json_object *jmessage(const char *text) {
        json_object *m = json_object_new_object();
        json_object_object_add(m, "text", json_new_string(text));
        return m;
}

static void add_str(json_object *o, const char *key, const char *value) {
        json_object_object_add(o, key, json_new_string(value));
}

/* A copy of a build-supplied JSON value whose strings and keys are valid UTF-8 text. */
static json_object *sanitized_copy(json_object *v, int depth) {
        if (depth > MAX_DEPTH)
                return json_new_string("…");
        switch (json_object_get_type(v)) {
        case json_type_string:
                return jtext(json_object_get_string(v), (size_t) json_object_get_string_len(v));
        case json_type_double:
                /* json-c parses NaN and Infinity, which JSON cannot carry. */
                return isfinite(json_object_get_double(v)) ? json_object_new_double(json_object_get_double(v)) : NULL;
        case json_type_int:
                return json_object_new_int64(json_object_get_int64(v));
        case json_type_boolean:
                return json_object_new_boolean(json_object_get_boolean(v));
        case json_type_array: {
                json_object *a = json_object_new_array();
                for (size_t i = 0; i < rj_len(v); i++)
                        json_object_array_add(a, sanitized_copy(rj_at(v, i), depth + 1));
                return a;
        }
        case json_type_object: {
                json_object *o = json_object_new_object();
                json_object_object_foreach(v, key, val) {
                        _cleanup_free_ char *k = text_plain(key, strlen(key), 256);
                        json_object_object_add(o, k, sanitized_copy(val, depth + 1));
                }
                return o;
        }
        default:
                return NULL;
        }
}

/* Percent-encodes every byte but RFC 3986's unreserved ones and '/'. */
static void uri_encode(FILE *f, const char *s) {
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                    strchr("-._~/", *p))
                        fputc(*p, f);
                else
                        fprintf(f, "%%%02X", *p);
        }
}

static char *uri_of(const char *prefix, const char *path, const char *suffix) {
        char *buf = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&buf, &n);
        if (!f)
                abort();
        fputs(prefix, f);
        uri_encode(f, path);
        fputs(suffix, f);
        fclose(f);
        return buf;
}

/*
 * PATH as seen from the report: absolute, or relative to the source root.
 * Returns the normalized absolute path, or NULL when a relative path has no
 * root to be relative to.
 */
static char *absolute_path(const char *path, const char *root) {
        if (path[0] == '/')
                return path_normalize(path);
        if (!root)
                return NULL;
        _cleanup_free_ char *joined = xasprintf("%s/%s", root, path);
        return path_normalize(joined);
}

static json_object *location(const char *path, const char *root, bool dir, const char *what) {
        _cleanup_free_ char *abs = absolute_path(path, root);
        const char *rel = abs && root ? path_below(abs, root) : NULL;
        json_object *al = json_object_new_object();
        if (rel) {
                /* "." for the root itself: code scanning refuses an empty URI. */
                _cleanup_free_ char *uri = *rel ? uri_of("", rel, dir ? "/" : "") : xstrdup(".");
                add_str(al, "uri", uri);
                add_str(al, "uriBaseId", "SRCROOT");
        } else if (abs) {
                _cleanup_free_ char *uri = uri_of("file://", abs, dir && abs[1] ? "/" : "");
                add_str(al, "uri", uri);
        } else {
                /* Relative, and the report names no source root to resolve it against: as it is. */
                _cleanup_free_ char *uri = uri_of("", path, dir ? "/" : "");
                add_str(al, "uri", uri);
        }
        json_object *pl = json_object_new_object();
        json_object_object_add(pl, "artifactLocation", al);
        if (!dir) {
                /* GitHub anchors an alert on a line; the finding is about the whole file. */
                json_object *region = json_object_new_object();
                json_object_object_add(region, "startLine", json_object_new_int(1));
                json_object_object_add(pl, "region", region);
        }
        json_object *loc = json_object_new_object();
        json_object_object_add(loc, "physicalLocation", pl);
        if (what)
                json_object_object_add(loc, "message", jmessage(what));
        return loc;
}

/* The file paths a finding's evidence names: "path", then "paths"; borrowed strings. */
static size_t evidence_paths(json_object *ev, const char **v, size_t max) {
        size_t n = 0;
        const char *p = rj_str(ev, "path");
        if (p && *p)
                v[n++] = p;
        json_object *a = rj_arr(ev, "paths");
        for (size_t i = 0; i < rj_len(a) && n < max; i++) {
                const char *s =
                        json_object_get_string(json_object_is_type(rj_at(a, i), json_type_string) ? rj_at(a, i) : NULL);
                if (s && *s)
                        v[n++] = s;
        }
        return n;
}

/*
 * The stable identity of a finding across runs: rule, then each key piece of
 * evidence as "name=value" lines. Paths below the source root count relative
 * to it, so the same alert matches wherever the runner checked the tree out.
 */
static char *fingerprint(const char *rule, json_object *finding, const char *root) {
        char *buf = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&buf, &n);
        if (!f)
                abort();
        fprintf(f, "rule=%s\n", rule);
        json_object *ev = rj_obj(finding, "evidence");
        const char *paths[MAX_LOCATIONS];
        size_t np = evidence_paths(ev, paths, ELEMENTSOF(paths));
        for (size_t i = 0; i < np; i++) {
                _cleanup_free_ char *abs = absolute_path(paths[i], root);
                const char *rel = abs && root ? path_below(abs, root) : NULL;
                fprintf(f, "path=%s%s\n", rel ? "SRCROOT/" : "", rel ? rel : abs ? abs : paths[i]);
        }
        static const char *const keys[] = { "address", "host", "port", "syscall", "target" };
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                json_object *v;
                if (json_object_object_get_ex(ev, keys[i], &v) && v && !json_object_is_type(v, json_type_object) &&
                    !json_object_is_type(v, json_type_array))
                        fprintf(f, "%s=%s\n", keys[i], json_object_get_string(v));
        }
        const char *exe = rj_str(rj_obj(finding, "process"), "exe");
        if (exe) {
                _cleanup_free_ char *abs = exe[0] == '/' ? path_normalize(exe) : xstrdup(exe);
                const char *rel = root ? path_below(abs, root) : NULL;
                fprintf(f, "exe=%s%s\n", rel ? "SRCROOT/" : "", rel ? rel : abs);
        }
        fclose(f);

        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned md_len = 0;
        if (dlopen_libcrypto() < 0 || sym_EVP_Digest(buf, n, md, &md_len, sym_EVP_sha256(), NULL) != 1)
                md_len = 0;
        free(buf);
        char *hex = xmalloc(2 * md_len + 1);
        for (unsigned i = 0; i < md_len; i++)
                sprintf(hex + 2 * i, "%02x", md[i]);
        hex[2 * md_len] = 0;
        return hex;
}

static json_object *rule_descriptor(const struct rule_info *r) {
        json_object *d = json_object_new_object();
        add_str(d, "id", r->id);
        json_object_object_add(d, "shortDescription", jmessage(r->summary));
        _cleanup_free_ char *full = xasprintf("%s. Catches: %s.", r->summary, r->attack);
        json_object_object_add(d, "fullDescription", jmessage(full));
        _cleanup_free_ char *text = xasprintf("%s (category %s, severity %s).\n\nThe attack it catches: %s.\n\n"
                                              "The finding's evidence and process chain are in report.json and "
                                              "report.html of the run; to accept it, add a suppression with a "
                                              "reason to the policy file (--policy).",
                                              r->summary, r->category, severity_name(r->severity), r->attack);
        _cleanup_free_ char *md = xasprintf("**%s** (category `%s`, severity **%s**)\n\n%s.\n\n"
                                            "**The attack it catches:** %s.\n\n"
                                            "The finding's evidence and process chain are in `report.json` and "
                                            "`report.html` of the run. To accept it, add a suppression with a "
                                            "reason to the policy file (`--policy`).",
                                            r->id, r->category, severity_name(r->severity), r->summary, r->attack);
        json_object *help = json_object_new_object();
        add_str(help, "text", text);
        add_str(help, "markdown", md);
        json_object_object_add(d, "help", help);
        json_object *cfg = json_object_new_object();
        add_str(cfg, "level", sarif_level((int) r->severity));
        json_object_object_add(d, "defaultConfiguration", cfg);
        json_object *props = json_object_new_object();
        add_str(props, "category", r->category);
        json_object *tags = json_object_new_array();
        json_object_array_add(tags, json_new_string("security"));
        json_object_array_add(tags, json_new_string("buildward"));
        json_object_array_add(tags, json_new_string(r->category));
        json_object_object_add(props, "tags", tags);
        add_str(props, "security-severity", security_severity((int) r->severity));
        json_object_object_add(d, "properties", props);
        return d;
}

/* A rule this buildward does not know (a report of another version): described as such. */
static json_object *unknown_rule_descriptor(const char *id, int sev) {
        json_object *d = json_object_new_object();
        json_object_object_add(d, "id", jtext_str(id));
        json_object_object_add(d, "shortDescription", jmessage("a rule this version of buildward does not document"));
        json_object *help = json_object_new_object();
        add_str(help, "text",
                "This rule is not in the rule catalog of the buildward that wrote this log; see the "
                "documentation of the buildward version that made report.json.");
        json_object_object_add(d, "help", help);
        json_object *cfg = json_object_new_object();
        add_str(cfg, "level", sarif_level(sev));
        json_object_object_add(d, "defaultConfiguration", cfg);
        json_object *props = json_object_new_object();
        json_object *tags = json_object_new_array();
        json_object_array_add(tags, json_new_string("security"));
        json_object_array_add(tags, json_new_string("buildward"));
        json_object_object_add(props, "tags", tags);
        add_str(props, "security-severity", security_severity(sev));
        json_object_object_add(d, "properties", props);
        return d;
}

/*
 * The index of RULE in RULES, appending its descriptor (from the catalog, or a
 * generic one for a rule outside it) the first time. Only the rules that have
 * results are described: the whole catalog is 100 KB of help text that every
 * clean build would otherwise write.
 */
static size_t rule_index(json_object *rules, const char *rule, int sev) {
        _cleanup_free_ char *id = text_plain(rule, strlen(rule), TEXT_MAX);
        for (size_t i = 0; i < rj_len(rules); i++)
                if (streq_ptr(rj_str(rj_at(rules, i), "id"), id))
                        return i;
        const struct rule_info *known = rule_find(rule);
        json_object_array_add(rules, known ? rule_descriptor(known) : unknown_rule_descriptor(rule, sev));
        return rj_len(rules) - 1;
}

static json_object *result_of(json_object *finding, json_object *rules, const char *root, const struct proc_index *ix) {
        const char *rule = rj_str(finding, "rule");
        if (!rule || !*rule)
                rule = "unknown-rule";
        int sev = rj_severity(finding);
        json_object *res = json_object_new_object();
        size_t idx = rule_index(rules, rule, sev);
        json_object_object_add(res, "ruleId", json_object_get(json_object_object_get(rj_at(rules, idx), "id")));
        json_object_object_add(res, "ruleIndex", json_object_new_int64((int64_t) idx));
        add_str(res, "level", sarif_level(sev));

        /* One readable line: the detail, then who did it. */
        char *msg = NULL;
        size_t msg_len = 0;
        FILE *f = open_memstream(&msg, &msg_len);
        if (!f)
                abort();
        const char *detail = rj_str(finding, "detail");
        text_escape_str(f, detail ? detail : rule, TEXT_MAX, TEXT_PLAIN);
        size_t n_chain;
        _cleanup_free_ json_object **chain = finding_chain(finding, ix, 16, &n_chain);
        if (n_chain > 0) {
                fputs(" (process chain: ", f);
                chain_print(f, chain, n_chain, TEXT_PLAIN);
                fputc(')', f);
        }
        fclose(f);
        json_object_object_add(res, "message", jmessage(msg));
        free(msg);

        json_object *locs = json_object_new_array(), *related = json_object_new_array();
        json_object *ev = rj_obj(finding, "evidence");
        const char *paths[MAX_LOCATIONS];
        size_t np = evidence_paths(ev, paths, ELEMENTSOF(paths));
        for (size_t i = 0; i < np; i++) {
                json_object *loc = location(paths[i], root, false, NULL);
                if (i == 0)
                        json_object_array_add(locs, loc);
                else {
                        json_object_object_add(loc, "id", json_object_new_int64((int64_t) i));
                        json_object_array_add(related, loc);
                }
        }
        if (np == 0) {
                /*
                 * No file involved (a connection, a process that outlived the
                 * build): code scanning still needs a location, so the result
                 * points at the directory the process ran in, or the source root.
                 */
                const char *cwd = rj_str(rj_obj(finding, "process"), "cwd");
                json_object_array_add(locs,
                                      location(cwd && *cwd ? cwd
                                               : root      ? root
                                                           : "/",
                                               root, true, "the directory the build ran in; no file is involved"));
        }
        json_object_object_add(res, "locations", locs);
        if (rj_len(related) > 0)
                json_object_object_add(res, "relatedLocations", related);
        else
                json_object_put(related);

        json_object *fp = json_object_new_object();
        _cleanup_free_ char *hash = fingerprint(rule, finding, root);
        add_str(fp, FINGERPRINT_ID, hash);
        json_object_object_add(res, "partialFingerprints", fp);

        json_object *props = json_object_new_object();
        static const char *const keys[] = { "category", "severity", "time", "process", "evidence" };
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                json_object *v;
                if (json_object_object_get_ex(finding, keys[i], &v) && v)
                        json_object_object_add(props, keys[i], sanitized_copy(v, 0));
        }
        json_object_object_add(res, "properties", props);
        return res;
}

/* started_at + duration_s, for reports written before finished_at existed. */
static bool end_time(json_object *report, char *buf, size_t n) {
        double start, secs;
        if (!rfc3339_utc_parse(rj_str(report, "started_at"), &start) || !rj_num(report, "duration_s", &secs) ||
            secs < 0 || secs > 1e9)
                return false;
        format_rfc3339((uint64_t) ((start + secs) * 1e6 + 0.5), buf, n);
        return true;
}

static char *command_line(json_object *command) {
        char *buf = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&buf, &n);
        if (!f)
                abort();
        argv_print(f, command, TEXT_MAX, TEXT_PLAIN);
        fclose(f);
        return buf;
}

static json_object *notification(const char *text) {
        json_object *note = json_object_new_object();
        json_object_object_add(note, "message", jmessage(text));
        add_str(note, "level", "warning");
        return note;
}

static json_object *invocation(json_object *report, const char *root, size_t omitted) {
        json_object *inv = json_object_new_object();
        int64_t bw_code, code;
        /* Whether buildward did its job (125: it could not), not whether the build passed. */
        bool ok = rj_int(report, "buildward_exit_code", &bw_code) ? bw_code != 125 : rj_str(report, "verdict") != NULL;
        json_object_object_add(inv, "executionSuccessful", json_object_new_boolean(ok));
        json_object *command = rj_arr(report, "command");
        if (command) {
                _cleanup_free_ char *cl = command_line(command);
                add_str(inv, "commandLine", cl);
                json_object *args = json_object_new_array();
                for (size_t i = 0; i < rj_len(command); i++)
                        if (json_object_is_type(rj_at(command, i), json_type_string))
                                json_object_array_add(args, sanitized_copy(rj_at(command, i), 0));
                json_object_object_add(inv, "arguments", args);
        }
        const char *start = rj_str(report, "started_at"), *end = rj_str(report, "finished_at");
        char end_buf[64];
        double ignored;
        /* RFC 3339 as SARIF's date-time wants it, UTC with "Z"; anything else is left out. */
        if (rfc3339_utc_parse(start, &ignored))
                add_str(inv, "startTimeUtc", start);
        if (rfc3339_utc_parse(end, &ignored))
                add_str(inv, "endTimeUtc", end);
        else if (end_time(report, end_buf, sizeof(end_buf)))
                add_str(inv, "endTimeUtc", end_buf);
        /* The invocation is the watched build: its exit code, and buildward's in the properties. */
        if (rj_int(report, "exit_code", &code) && code >= INT32_MIN && code <= INT32_MAX)
                json_object_object_add(inv, "exitCode", json_object_new_int((int) code));
        if (root) {
                json_object *wd = json_object_new_object();
                _cleanup_free_ char *uri = uri_of("file://", root, streq(root, "/") ? "" : "/");
                add_str(wd, "uri", uri);
                json_object_object_add(inv, "workingDirectory", wd);
        }

        json_object *notes = json_object_new_array();
        json_object *mon = rj_obj(report, "monitor");
        bool enabled = true;
        int64_t lost = 0;
        if (rj_bool(mon, "enabled", &enabled) && !enabled) {
                const char *reason = rj_str(mon, "reason");
                _cleanup_free_ char *r = text_plain(reason ? reason : "no reason given",
                                                    reason ? strlen(reason) : strlen("no reason given"), 512);
                _cleanup_free_ char *t = xasprintf("the monitor was off (%s): no runtime detection ran", r);
                json_object_array_add(notes, notification(t));
        }
        if (rj_int(mon, "lost", &lost) && lost > 0) {
                _cleanup_free_ char *t =
                        xasprintf("%" PRId64 " monitor events were lost: the findings may be incomplete", lost);
                json_object_array_add(notes, notification(t));
        }
        if (omitted > 0) {
                _cleanup_free_ char *t = xasprintf("%zu less severe findings past the first %d are only in report.json",
                                                   omitted, MAX_RESULTS);
                json_object_array_add(notes, notification(t));
        }
        if (rj_len(notes) > 0)
                json_object_object_add(inv, "toolExecutionNotifications", notes);
        else
                json_object_put(notes);

        json_object *props = json_object_new_object();
        if (rj_int(report, "buildward_exit_code", &bw_code))
                json_object_object_add(props, "buildwardExitCode", json_object_new_int64(bw_code));
        bool timed_out;
        if (rj_bool(report, "timed_out", &timed_out))
                json_object_object_add(props, "timedOut", json_object_new_boolean(timed_out));
        json_object_object_add(inv, "properties", props);
        return inv;
}

static json_object *run_properties(json_object *report) {
        json_object *props = json_object_new_object();
        static const char *const keys[] = { "verdict", "fail_on", "duration_s", "monitor", "policy", "resource_usage" };
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                json_object *v;
                if (json_object_object_get_ex(report, keys[i], &v) && v)
                        json_object_object_add(props, keys[i], sanitized_copy(v, 0));
        }
        return props;
}

json_object *sarif_from_report(json_object *report) {
        json_object *rules = json_object_new_array();

        const char *source = rj_str(rj_obj(report, "sandbox"), "source");
        _cleanup_free_ char *root = source && source[0] == '/' ? path_normalize(source) : NULL;

        struct proc_index ix;
        proc_index_build(&ix, report);
        /* Most severe first: when there are too many, the ones left out are the least severe. */
        size_t n, by_sev[SEV_CRITICAL + 1];
        _cleanup_free_ struct ranked_finding *rank = findings_ranked(report, by_sev, &n);
        json_object *results = json_object_new_array();
        json_object *findings = rj_arr(report, "findings");
        for (size_t i = 0; i < n && i < MAX_RESULTS; i++)
                json_object_array_add(results, result_of(rj_at(findings, rank[i].index), rules, root, &ix));
        proc_index_done(&ix);

        json_object *driver = json_object_new_object();
        add_str(driver, "name", "buildward");
        add_str(driver, "version", BUILDWARD_VERSION);
        add_str(driver, "semanticVersion", BUILDWARD_VERSION);
        if (BUILDWARD_INFORMATION_URI[0])
                add_str(driver, "informationUri", BUILDWARD_INFORMATION_URI);
        json_object_object_add(driver, "rules", rules);
        json_object *tool = json_object_new_object();
        json_object_object_add(tool, "driver", driver);

        json_object *run = json_object_new_object();
        json_object_object_add(run, "tool", tool);
        if (root) {
                json_object *bases = json_object_new_object(), *src = json_object_new_object();
                _cleanup_free_ char *uri = uri_of("file://", root, streq(root, "/") ? "" : "/");
                add_str(src, "uri", uri);
                json_object_object_add(bases, "SRCROOT", src);
                json_object_object_add(run, "originalUriBaseIds", bases);
        }
        json_object *invs = json_object_new_array();
        json_object_array_add(invs, invocation(report, root, n > MAX_RESULTS ? n - MAX_RESULTS : 0));
        json_object_object_add(run, "invocations", invs);
        json_object_object_add(run, "results", results);
        json_object_object_add(run, "properties", run_properties(report));

        json_object *log = json_object_new_object();
        add_str(log, "$schema", SARIF_SCHEMA);
        add_str(log, "version", "2.1.0");
        json_object *runs = json_object_new_array();
        json_object_array_add(runs, run);
        json_object_object_add(log, "runs", runs);
        return log;
}

int report_write_sarif(int out_dir_fd, json_object *report) {
        /* Each result's fingerprint is a SHA-256: a report without findings needs no libcrypto. */
        int r = rj_len(rj_arr(report, "findings")) > 0 ? dlopen_libcrypto() : 0;
        if (r < 0)
                return r;
        json_object *log = sarif_from_report(report);
        r = json_write_file_at(out_dir_fd, "report.sarif", log);
        json_object_put(log);
        return r;
}
