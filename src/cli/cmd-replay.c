/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <inttypes.h>

#include "basic/json-util.h"
#include "basic/log.h"
#include "basic/utf8.h"
#include "cli/commands.h"
#include "crypto/openssl-dl.h"
#include "detect/engine.h"
#include "detect/policy.h"
#include "finding/catalog.h"

/* One events.jsonl line is at most a few KiB; anything longer is not ours. */
#define MAX_LINE (1 << 20)

static void replay_help(void) {
        printf("usage: buildward replay [--policy FILE] [--fail-on SEVERITY] [--json] EVENTS.jsonl\n"
               "       buildward replay --list-rules [--json]\n\n"
               "Runs the detection rules over a recorded events.jsonl (the out folder of `run`)\n"
               "and prints the findings. The same events give the same findings as the live run.\n\n"
               "Exit: 0 no finding reached --fail-on (default: high); 123 findings did;\n"
               "125 the file could not be read.\n");
}

static int list_rules(bool json) {
        size_t n;
        const struct rule_info *c = rule_catalog(&n);
        json_object *a = json ? json_object_new_array() : NULL;
        for (size_t i = 0; i < n; i++) {
                if (!json) {
                        printf("%-40s %-8s %s\n", c[i].id, severity_name(c[i].severity), c[i].summary);
                        continue;
                }
                json_object *o = json_object_new_object();
                json_object_object_add(o, "id", json_new_string(c[i].id));
                json_object_object_add(o, "category", json_new_string(c[i].category));
                json_object_object_add(o, "severity", json_new_string(severity_name(c[i].severity)));
                json_object_object_add(o, "summary", json_new_string(c[i].summary));
                json_object_object_add(o, "attack", json_new_string(c[i].attack));
                json_object_array_add(a, o);
        }
        if (json) {
                puts(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(a);
        }
        return 0;
}

/* The last line `run` writes when events.jsonl reached --events-max-size: says so, true. */
static bool replay_truncation(json_object *o, const char *path) {
        json_object *t, *n;
        if (!o || !json_object_object_get_ex(o, "type", &t) || !json_object_is_type(t, json_type_string) ||
            !streq(json_object_get_string(t), "truncated"))
                return false;
        uint64_t missing = json_object_object_get_ex(o, "events_not_written", &n) ? json_object_get_uint64(n) : 0;
        log_warning("%s was cut at --events-max-size: %" PRIu64 " later events of the run are not in it, so this "
                    "replay judges the first ones only; the run's own report.json judged them all",
                    path, missing);
        return true;
}

int cmd_replay(int argc, char **argv) {
        static const struct option opts[] = {
                { "policy", required_argument, NULL, 'p' }, { "fail-on", required_argument, NULL, 'f' },
                { "json", no_argument, NULL, 'j' },         { "list-rules", no_argument, NULL, 'l' },
                { "help", no_argument, NULL, 'h' },         {},
        };
        const char *policy_path = NULL;
        bool json = false, list = false, fail_on_given = false;
        enum severity fail_on = SEV_HIGH;
        int c;
        while ((c = getopt_long(argc, argv, "+h", opts, NULL)) >= 0)
                switch (c) {
                case 'p':
                        policy_path = optarg;
                        break;
                case 'f':
                        if (severity_from_string(optarg, &fail_on) < 0) {
                                log_error("invalid --fail-on '%s'; use info, low, medium, high, critical or never",
                                          optarg);
                                return EXIT_SETUP;
                        }
                        fail_on_given = true;
                        break;
                case 'j':
                        json = true;
                        break;
                case 'l':
                        list = true;
                        break;
                case 'h':
                        replay_help();
                        return 0;
                default:
                        log_error("invalid option; see `buildward replay --help`");
                        return EXIT_SETUP;
                }
        if (list)
                return list_rules(json);
        if (optind + 1 != argc) {
                log_error("replay takes exactly one events.jsonl; see `buildward replay --help`");
                return EXIT_SETUP;
        }
        const char *path = argv[optind];
        struct policy *policy = NULL;
        if (policy_path) {
                _cleanup_free_ char *err = NULL;
                if (dlopen_libcrypto() < 0) /* to hash the policy; the loader printed why it cannot */
                        return EXIT_SETUP;
                if (policy_load(policy_path, &policy, &err) < 0) {
                        log_error("%s", err);
                        return EXIT_SETUP;
                }
                if (policy->has_fail_on && !fail_on_given)
                        fail_on = policy->fail_on;
        }
        _cleanup_fclose_ FILE *f = streq(path, "-") ? NULL : fopen(path, "re");
        if (!f && !streq(path, "-")) {
                log_error("cannot open '%s' (%s); pass the events.jsonl of a run's out folder", path, strerror(errno));
                policy_free(policy);
                return EXIT_SETUP;
        }
        FILE *in = f ? f : stdin;
        struct engine *e = engine_new(policy);
        _cleanup_free_ char *line = NULL;
        size_t cap = 0, lineno = 0, skipped = 0, events = 0;
        ssize_t n;
        while ((n = getline(&line, &cap, in)) >= 0) {
                lineno++;
                if (n > MAX_LINE || n <= 1) {
                        skipped += n > 1;
                        continue;
                }
                json_object *o = json_tokener_parse(line);
                struct event ev;
                if (replay_truncation(o, path)) {
                        json_object_put(o);
                        continue;
                }
                if (!o || !json_object_is_type(o, json_type_object) || event_from_json(o, &ev) < 0) {
                        if (skipped++ == 0)
                                log_warning("%s:%zu: not an event of this buildward version; skipping such lines", path,
                                            lineno);
                        json_object_put(o);
                        continue;
                }
                engine_feed(e, &ev);
                events++;
                free(ev.argv);
                json_object_put(o);
        }
        struct finding_list fl = {};
        engine_take_findings(e, &fl);
        int maxsev = finding_list_max_severity(&fl);
        bool pass = fail_on == SEV_NEVER || maxsev < (int) fail_on;
        if (json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "events", json_object_new_uint64(events));
                json_object_object_add(o, "skipped_lines", json_object_new_uint64(skipped));
                json_object_object_add(o, "verdict", json_new_string(pass ? "pass" : "fail"));
                json_object_object_add(o, "fail_on", json_new_string(severity_name(fail_on)));
                json_object_object_add(o, "findings", findings_to_json(&fl));
                json_object_object_add(o, "suppressed", engine_suppressed_json(e));
                puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(o);
        } else {
                printf("%s: %zu events, %zu findings%s\n", pass ? "pass" : "FAIL", events, fl.n,
                       skipped ? " (some lines skipped)" : "");
                /* Details quote paths and argv the build chose: escaped for the terminal. */
                for (size_t i = 0; i < fl.n; i++) {
                        printf("  %-8s ", severity_name(fl.v[i].severity));
                        text_escape_str(stdout, fl.v[i].rule, 0, TEXT_PLAIN);
                        fputs(": ", stdout);
                        text_escape_str(stdout, fl.v[i].detail, 0, TEXT_PLAIN);
                        putchar('\n');
                }
        }
        finding_list_done(&fl);
        engine_free(e);
        policy_free(policy);
        return pass ? 0 : EXIT_VERDICT_FAIL;
}
