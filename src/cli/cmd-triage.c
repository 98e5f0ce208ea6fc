/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>

#include "basic/json-util.h"
#include "basic/log.h"
#include "basic/utf8.h"
#include "basic/size.h"
#include "cli/commands.h"
#include "crypto/sign.h"
#include "report/report.h"
#include "triage/capture.h"
#include "triage/parse.h"
#include "triage/triage.h"

/* Exit codes of `triage` (documented in --help and buildward-triage(1)). */
#define TRIAGE_EXIT_CLEAN    0
#define TRIAGE_EXIT_FINDINGS 1
#define TRIAGE_EXIT_USAGE    2
#define TRIAGE_EXIT_CAPTURE  125

static void triage_help(void) {
        printf("usage: buildward triage [OPTIONS]\n"
               "       buildward triage diff [--json] A B\n\n"
               "Captures a suspect host's evidence into a hashed bundle and hunts known compromise\n"
               "patterns (deleted executables still running, miners, watchdogs, exposed databases,\n"
               "foreign SSH keys, planted units, cron jobs, preload hooks, modified packages).\n\n"
               "  --out DIR          bundle directory, must not exist or be empty (default triage-TIMESTAMP)\n"
               "  --root DIR         read a mounted disk image instead of this host (no process or\n"
               "                     socket collection then)\n"
               "  --since TIME       list files changed after TIME: @EPOCH, YYYY-MM-DD[THH:MM[:SS]] (UTC),\n"
               "                     or a path whose modification time is taken (like find -newer; inside --root)\n"
               "  --sample SECONDS   CPU sample interval for miner detection (default 1; 0 disables)\n"
               "  --inventory FILE   managed SSH keys (authorized_keys lines or SHA256: fingerprints);\n"
               "                     any other authorized key becomes a finding\n"
               "  --sign-key KEY     sign MANIFEST.sha256 with this Ed25519 key (buildward keygen)\n"
               "  --archive          also pack the bundle as DIR.tar.zst\n"
               "  --baseline FILE    after the capture, list what changed since that earlier bundle\n"
               "                     (its directory or a file in it, such as its findings.json)\n"
               "  --hash-all         hash every packaged file, not only those changed since install\n"
               "  --max-copy SIZE    size cap of one recovered deleted executable (default 64M)\n"
               "  --skip LIST        collectors not to run, comma-separated (see buildward-triage(1))\n"
               "  --exclude DIR      a directory the --since walk does not enter (repeatable)\n"
               "  --jobs N           worker threads for hashing and the file walk (default: cores)\n"
               "  --json             print the findings as JSON instead of the summary\n\n"
               "Exit: 0 no finding at high or above; 1 findings at high or above; 2 usage error;\n"
               "125 the capture could not be made. diff: 0 no change, 1 changes, 2 usage, 125 unreadable.\n");
}

static void print_summary(const struct triage_ctx *c, const char *out, double secs, size_t files, const char *keyid,
                          const char *archive) {
        size_t count[SEV_NEVER] = {};
        for (size_t i = 0; i < c->findings.n; i++)
                count[c->findings.v[i].severity]++;
        printf("buildward triage: %zu finding%s", c->findings.n, c->findings.n == 1 ? "" : "s");
        if (c->findings.n) {
                printf(" (");
                bool first = true;
                for (int s = SEV_CRITICAL; s >= SEV_INFO; s--)
                        if (count[s]) {
                                printf("%s%zu %s", first ? "" : ", ", count[s], severity_name((enum severity) s));
                                first = false;
                        }
                printf(")");
        }
        printf(" in %.1f s%s\n", secs, c->live ? "" : " from --root");
        size_t shown = 0;
        for (size_t i = 0; i < c->findings.n && shown < 12; i++) {
                const struct finding *f = &c->findings.v[i];
                if (f->severity < SEV_MEDIUM)
                        continue;
                char sev[16];
                snprintf(sev, sizeof(sev), "%s", severity_name(f->severity));
                for (char *s = sev; *s; s++)
                        *s = (char) (*s - 32);
                /* Rules quote names found on the host: escaped for the terminal. */
                printf("  %-8s %-26s ", sev, f->rule);
                text_escape_str(stdout, f->detail, 0, TEXT_PLAIN);
                const char *ev = json_object_to_json_string_ext(f->evidence, JSON_C_TO_STRING_PLAIN |
                                                                                     JSON_C_TO_STRING_NOSLASHESCAPE);
                fputs("\n           ", stdout);
                text_escape_str(stdout, ev, 150, TEXT_PLAIN);
                putchar('\n');
                shown++;
        }
        size_t rest = 0;
        for (size_t i = 0; i < c->findings.n; i++)
                rest += c->findings.v[i].severity >= SEV_MEDIUM;
        if (rest > shown)
                printf("  ... %zu more at medium or above in findings.json\n", rest - shown);
        json_object *cols = json_object_object_get(c->capture, "collectors");
        json_object_object_foreach(cols, name, st) {
                const char *status = json_object_get_string(json_object_object_get(st, "status"));
                if (!streq(status, "ok")) {
                        printf("  %s: %s (", name, status);
                        text_escape_str(stdout, json_object_get_string(json_object_object_get(st, "reason")), 0,
                                        TEXT_PLAIN);
                        puts(")");
                }
        }
        printf("bundle: %s (%zu files, MANIFEST.sha256%s%s)%s%s\n", out, files, keyid ? " signed by key " : "",
               keyid ? keyid : "", archive ? ", archive " : "", archive ? archive : "");
}

static int cmd_triage_diff(int argc, char **argv) {
        bool json = false;
        const char *paths[2];
        int n = 0;
        for (int i = 1; i < argc; i++) {
                if (streq(argv[i], "--json"))
                        json = true;
                else if (streq(argv[i], "--help") || streq(argv[i], "-h")) {
                        triage_help();
                        return 0;
                } else if (n < 2)
                        paths[n++] = argv[i];
                else
                        n = 3;
        }
        if (n != 2) {
                log_error("triage diff needs two bundle directories: `buildward triage diff A B`");
                return TRIAGE_EXIT_USAGE;
        }
        _cleanup_free_ char *da = NULL, *db = NULL, *err = NULL;
        if (triage_bundle_resolve(paths[0], &da, &err) < 0 || triage_bundle_resolve(paths[1], &db, &err) < 0) {
                log_error("%s", err);
                return TRIAGE_EXIT_CAPTURE;
        }
        int r = triage_diff(da, db, json, stdout);
        if (r < 0) {
                log_error("cannot read the bundles '%s' and '%s' (%s): pass two directories written by `buildward "
                          "triage --out`",
                          paths[0], paths[1], strerror(-r));
                return TRIAGE_EXIT_CAPTURE;
        }
        if (!json)
                printf("%d change%s from '%s' to '%s'\n", r, r == 1 ? "" : "s", paths[0], paths[1]);
        return r > 0 ? 1 : 0;
}

/* What the command line asks for beyond the capture options. */
struct triage_args {
        struct triage_options o;
        const char *out, *inventory, *sign_key, *baseline;
        bool archive, json;
};

/* -1 to go on, or the exit code to leave with (a usage error is printed, --help too). */
static int parse_args(int argc, char **argv, struct triage_args *a) {
        enum {
                OPT_OUT = 256,
                OPT_ROOT,
                OPT_SINCE,
                OPT_SAMPLE,
                OPT_INVENTORY,
                OPT_SIGN_KEY,
                OPT_ARCHIVE,
                OPT_BASELINE,
                OPT_HASH_ALL,
                OPT_MAX_COPY,
                OPT_SKIP,
                OPT_JOBS,
                OPT_JSON,
                OPT_EXCLUDE,
        };
        static const struct option opts[] = {
                { "out", required_argument, NULL, OPT_OUT },
                { "root", required_argument, NULL, OPT_ROOT },
                { "since", required_argument, NULL, OPT_SINCE },
                { "sample", required_argument, NULL, OPT_SAMPLE },
                { "inventory", required_argument, NULL, OPT_INVENTORY },
                { "sign-key", required_argument, NULL, OPT_SIGN_KEY },
                { "archive", no_argument, NULL, OPT_ARCHIVE },
                { "baseline", required_argument, NULL, OPT_BASELINE },
                { "hash-all", no_argument, NULL, OPT_HASH_ALL },
                { "max-copy", required_argument, NULL, OPT_MAX_COPY },
                { "skip", required_argument, NULL, OPT_SKIP },
                { "exclude", required_argument, NULL, OPT_EXCLUDE },
                { "jobs", required_argument, NULL, OPT_JOBS },
                { "json", no_argument, NULL, OPT_JSON },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        struct triage_options *o = &a->o;
        uint64_t v;
        int c;
        while ((c = getopt_long(argc, argv, "+h", opts, NULL)) >= 0)
                switch (c) {
                case OPT_OUT:
                        a->out = optarg;
                        break;
                case OPT_ROOT:
                        o->root = optarg;
                        break;
                case OPT_SINCE:
                        o->since_path = NULL;
                        if (triage_parse_since(optarg, &o->since, &o->since_path) < 0) {
                                log_error("invalid --since '%s': pass @EPOCH, YYYY-MM-DD[THH:MM[:SS]] (UTC) or an "
                                          "existing path",
                                          optarg);
                                return TRIAGE_EXIT_USAGE;
                        }
                        break;
                case OPT_SAMPLE:
                        if (parse_decimal_milli(optarg, &v) < 0 || v > 600000) {
                                if (!streq(optarg, "0")) {
                                        log_error("invalid --sample '%s': pass seconds between 0 and 600", optarg);
                                        return TRIAGE_EXIT_USAGE;
                                }
                                v = 0;
                        }
                        o->sample_s = (double) v / 1000.0;
                        break;
                case OPT_INVENTORY:
                        a->inventory = optarg;
                        break;
                case OPT_SIGN_KEY:
                        a->sign_key = optarg;
                        break;
                case OPT_ARCHIVE:
                        a->archive = true;
                        break;
                case OPT_BASELINE:
                        a->baseline = optarg;
                        break;
                case OPT_HASH_ALL:
                        o->hash_all = true;
                        break;
                case OPT_MAX_COPY:
                        if (parse_size(optarg, &o->copy_max) < 0) {
                                log_error("invalid --max-copy '%s': pass a size such as 64M", optarg);
                                return TRIAGE_EXIT_USAGE;
                        }
                        break;
                case OPT_SKIP: {
                        _cleanup_free_ char *list = xstrdup(optarg);
                        char *save = NULL;
                        for (char *s = strtok_r(list, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
                                if (!triage_collector_known(s)) {
                                        log_error("unknown collector '%s' in --skip; see `buildward triage --help`", s);
                                        return TRIAGE_EXIT_USAGE;
                                }
                                strv_push(&o->skip, xstrdup(s));
                        }
                        break;
                }
                case OPT_EXCLUDE:
                        if (optarg[0] != '/') {
                                log_error("invalid --exclude '%s': pass an absolute path", optarg);
                                return TRIAGE_EXIT_USAGE;
                        }
                        strv_push(&o->exclude, xstrdup(optarg));
                        break;
                case OPT_JOBS:
                        if (parse_uint(optarg, 64, &v) < 0 || v == 0) {
                                log_error("invalid --jobs '%s': pass a number from 1 to 64", optarg);
                                return TRIAGE_EXIT_USAGE;
                        }
                        o->jobs = (unsigned) v;
                        break;
                case OPT_JSON:
                        a->json = true;
                        break;
                case 'h':
                        triage_help();
                        return TRIAGE_EXIT_CLEAN;
                default:
                        log_error("invalid option; see `buildward triage --help`");
                        return TRIAGE_EXIT_USAGE;
                }
        if (optind != argc) {
                log_error("unexpected argument '%s'; see `buildward triage --help`", argv[optind]);
                return TRIAGE_EXIT_USAGE;
        }
        return -1;
}

/* The checks that refuse bad input before minutes of capture work; 0 or the exit code. */
static int check_inputs(struct triage_args *a, char **ret_baseline_dir) {
        /* Every capture hashes (its MANIFEST.sha256 at least): a missing libcrypto should not cost minutes of work. */
        if (dlopen_libcrypto() < 0)
                return TRIAGE_EXIT_CAPTURE; /* the reason is printed */
        if (a->inventory) {
                int r = triage_inventory_load(a->inventory, &a->o.inventory);
                if (r < 0) {
                        log_error("cannot read the key inventory '%s' (%s): pass a file of authorized_keys lines or "
                                  "SHA256: fingerprints",
                                  a->inventory, strerror(-r));
                        return TRIAGE_EXIT_USAGE;
                }
                a->o.have_inventory = true;
        }
        if (a->sign_key) {
                _cleanup_pkey_ EVP_PKEY *k = NULL;
                int r = key_load_private(a->sign_key, &k);
                if (r < 0) {
                        log_error("cannot use the signing key '%s' (%s): %s", a->sign_key, strerror(-r),
                                  r == -EPERM ? "make it readable by its owner only (chmod 600)"
                                              : "create one with `buildward keygen -o KEY`");
                        return TRIAGE_EXIT_USAGE;
                }
        }
        if (a->baseline) {
                _cleanup_free_ char *err = NULL;
                if (triage_bundle_resolve(a->baseline, ret_baseline_dir, &err) < 0) {
                        log_error("--baseline: %s", err);
                        return TRIAGE_EXIT_USAGE;
                }
        }
        return 0;
}

/* After the capture: signature, archive, the summary or JSON, the baseline diff. */
static int finish_bundle(const struct triage_args *a, const struct triage_ctx *ctx, const char *out, size_t files,
                         double secs, const char *baseline_dir) {
        int r;
        if (a->json) {
                _cleanup_json_ json_object *fo = json_object_new_object();
                json_object_object_add(fo, "findings", findings_to_json(&ctx->findings));
                printf("%s\n",
                       json_object_to_json_string_ext(fo, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        }
        char keyid[KEYID_HEX_SIZE];
        if (a->sign_key && (r = bundle_sign(ctx->out_fd, a->sign_key, keyid)) < 0) {
                log_error("cannot sign '%s/MANIFEST.sha256' with '%s' (%s): check the key with `buildward keygen`", out,
                          a->sign_key, strerror(-r));
                return TRIAGE_EXIT_CAPTURE;
        }
        _cleanup_free_ char *archive_path = NULL, *archive_err = NULL;
        if (a->archive) {
                archive_path = xasprintf("%s.tar.zst", out);
                if ((r = bundle_archive(out, archive_path, &archive_err)) < 0) {
                        log_error("cannot pack '%s' (%s): the bundle directory itself is complete", archive_path,
                                  archive_err ? archive_err : strerror(-r));
                        return TRIAGE_EXIT_CAPTURE;
                }
        }
        if (!a->json)
                print_summary(ctx, out, secs, files, a->sign_key ? keyid : NULL, archive_path);
        if (baseline_dir) {
                printf("changes since '%s':\n", a->baseline);
                if ((r = triage_diff(baseline_dir, out, false, stdout)) < 0)
                        log_warning("cannot read the baseline bundle '%s' (%s): pass a directory written by `buildward "
                                    "triage --out`",
                                    a->baseline, strerror(-r));
        }
        return finding_list_max_severity(&ctx->findings) >= SEV_HIGH ? TRIAGE_EXIT_FINDINGS : TRIAGE_EXIT_CLEAN;
}

int cmd_triage(int argc, char **argv) {
        if (argc >= 2 && streq(argv[1], "diff"))
                return cmd_triage_diff(argc - 1, argv + 1);
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        struct triage_args a = {
                .o = {
                        .since = -1,
                        .sample_s = 1.0,
                        .copy_max = TRIAGE_COPY_MAX_DEFAULT,
                        .jobs = ncpu > 0 ? (unsigned) ncpu : 2,
                },
        };
        _cleanup_free_ char *default_out = NULL, *baseline_dir = NULL, *err = NULL;
        int ret = parse_args(argc, argv, &a);
        if (ret >= 0 || (ret = check_inputs(&a, &baseline_dir)) != 0)
                goto free_args;
        const char *out = a.out ? a.out : (default_out = triage_default_out());

        struct triage_ctx ctx;
        if (triage_capture_init(&ctx, &a.o, &err) < 0) {
                log_error("%s", err);
                ret = TRIAGE_EXIT_USAGE;
        } else {
                size_t files = 0;
                double secs = 0;
                if (triage_capture_run(&ctx, out, &files, &secs, &err) < 0) {
                        log_error("%s", err);
                        ret = TRIAGE_EXIT_CAPTURE;
                } else {
                        if (ctx.live && geteuid() != 0)
                                log_warning("not run as root: other users' processes, keys and configuration files "
                                            "may be missing from the capture; run it as root for a complete one");
                        ret = finish_bundle(&a, &ctx, out, files, secs, baseline_dir);
                }
        }
        triage_capture_done(&ctx);
free_args:
        strv_free(a.o.inventory);
        strv_free(a.o.skip);
        strv_free(a.o.exclude);
        return ret;
}
