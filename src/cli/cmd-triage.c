/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <getopt.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "basic/json-util.h"
#include "basic/log.h"
#include "basic/utf8.h"
#include "basic/size.h"
#include "cli/commands.h"
#include "crypto/sign.h"
#include "report/report.h"
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
               "                     or a path whose modification time is taken (like find -newer)\n"
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

struct collector {
        const char *name;
        int (*fn)(struct triage_ctx *c);
        bool live_only;
};

/* In order: processes first (CPU sample start), the slow parallel walks last. */
static const struct collector collectors[] = {
        { "processes", collect_processes, true },
        { "sockets", collect_sockets, true },
        { "hidden", collect_hidden, true },
        { "modules", collect_modules, false },
        { "systemd", collect_systemd, false },
        { "cron", collect_cron, false },
        { "keys", collect_keys, false },
        { "sudoers", collect_sudoers, false },
        { "preload", collect_preload, false },
        { "shellrc", collect_shellrc, false },
        { "pam", collect_pam, false },
        { "udev", collect_udev, false },
        { "containers", collect_containers, false },
        { "sshd", collect_sshd, false },
        { "databases", collect_databases, false },
        { "ci", collect_ci, false },
        { "packages", collect_packages, false },
        { "newer", collect_newer, false },
};

static int parse_since(const char *s, int64_t *ret) {
        if (s[0] == '@') {
                char *end;
                errno = 0;
                long long v = strtoll(s + 1, &end, 10);
                if (errno || *end || end == s + 1)
                        return -EINVAL;
                *ret = v;
                return 0;
        }
        struct tm tm = {};
        const char *e = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
        if (!e) {
                tm = (struct tm){};
                e = strptime(s, "%Y-%m-%dT%H:%M", &tm);
        }
        if (!e) {
                tm = (struct tm){};
                e = strptime(s, "%Y-%m-%d", &tm);
        }
        if (e && (*e == 0 || streq(e, "Z"))) {
                *ret = (int64_t) timegm(&tm);
                return 0;
        }
        struct stat st;
        if (stat(s, &st) == 0) {
                *ret = (int64_t) st.st_mtime;
                return 0;
        }
        return -EINVAL;
}

static int load_inventory(const char *path, char ***ret) {
        _cleanup_free_ char *text = NULL;
        int r = read_full_file(path, &text, NULL, 16 << 20);
        if (r < 0)
                return r;
        char **v = xcalloc(1, sizeof(char *));
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                line += strspn(line, " \t");
                struct authkey a;
                if (startswith(line, "SHA256:")) {
                        line[strcspn(line, " \t\r")] = 0;
                        strv_push(&v, xstrdup(line));
                } else if (authkey_parse_line(line, &a) == 0)
                        strv_push(&v, xstrdup(a.fingerprint));
        }
        *ret = v;
        return 0;
}

static int cmp_finding(const void *a, const void *b) {
        const struct finding *x = a, *y = b;
        if (x->severity != y->severity)
                return x->severity > y->severity ? -1 : 1;
        return strcmp(x->rule, y->rule);
}

static int dir_usable(const char *dir) {
        if (mkdir(dir, 0700) == 0)
                return 0;
        if (errno != EEXIST)
                return -errno;
        DIR *d = opendir(dir);
        if (!d)
                return -errno;
        struct dirent *de;
        int r = 0;
        while ((de = readdir(d)))
                if (!dot_or_dotdot(de->d_name))
                        r = -ENOTEMPTY;
        closedir(d);
        return r;
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

int cmd_triage(int argc, char **argv) {
        if (argc >= 2 && streq(argv[1], "diff"))
                return cmd_triage_diff(argc - 1, argv + 1);
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
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        struct triage_options o = {
                .since = -1,
                .sample_s = 1.0,
                .copy_max = TRIAGE_COPY_MAX_DEFAULT,
                .jobs = ncpu > 0 ? (unsigned) ncpu : 2,
        };
        const char *out = NULL, *inventory = NULL, *sign_key = NULL, *baseline = NULL;
        _cleanup_free_ char *default_out = NULL, *archive_path = NULL, *archive_err = NULL, *baseline_dir = NULL;
        _cleanup_strv_free_ char **inv = NULL, **skip = NULL, **exclude = NULL;
        bool archive = false, json = false;
        uint64_t v;
        int c;
        while ((c = getopt_long(argc, argv, "+h", opts, NULL)) >= 0)
                switch (c) {
                case OPT_OUT:
                        out = optarg;
                        break;
                case OPT_ROOT:
                        o.root = optarg;
                        break;
                case OPT_SINCE:
                        if (parse_since(optarg, &o.since) < 0) {
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
                        o.sample_s = (double) v / 1000.0;
                        break;
                case OPT_INVENTORY:
                        inventory = optarg;
                        break;
                case OPT_SIGN_KEY:
                        sign_key = optarg;
                        break;
                case OPT_ARCHIVE:
                        archive = true;
                        break;
                case OPT_BASELINE:
                        baseline = optarg;
                        break;
                case OPT_HASH_ALL:
                        o.hash_all = true;
                        break;
                case OPT_MAX_COPY:
                        if (parse_size(optarg, &o.copy_max) < 0) {
                                log_error("invalid --max-copy '%s': pass a size such as 64M", optarg);
                                return TRIAGE_EXIT_USAGE;
                        }
                        break;
                case OPT_SKIP: {
                        _cleanup_free_ char *list = xstrdup(optarg);
                        char *save = NULL;
                        for (char *s = strtok_r(list, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
                                bool known = false;
                                for (size_t i = 0; i < ELEMENTSOF(collectors); i++)
                                        known |= streq(collectors[i].name, s);
                                if (!known) {
                                        log_error("unknown collector '%s' in --skip; see `buildward triage --help`", s);
                                        return TRIAGE_EXIT_USAGE;
                                }
                                strv_push(&skip, xstrdup(s));
                        }
                        break;
                }
                case OPT_EXCLUDE:
                        if (optarg[0] != '/') {
                                log_error("invalid --exclude '%s': pass an absolute path", optarg);
                                return TRIAGE_EXIT_USAGE;
                        }
                        strv_push(&exclude, xstrdup(optarg));
                        break;
                case OPT_JOBS:
                        if (parse_uint(optarg, 64, &v) < 0 || v == 0) {
                                log_error("invalid --jobs '%s': pass a number from 1 to 64", optarg);
                                return TRIAGE_EXIT_USAGE;
                        }
                        o.jobs = (unsigned) v;
                        break;
                case OPT_JSON:
                        json = true;
                        break;
                case 'h':
                        triage_help();
                        return 0;
                default:
                        log_error("invalid option; see `buildward triage --help`");
                        return TRIAGE_EXIT_USAGE;
                }
        if (optind != argc) {
                log_error("unexpected argument '%s'; see `buildward triage --help`", argv[optind]);
                return TRIAGE_EXIT_USAGE;
        }
        /* Every capture hashes (its MANIFEST.sha256 at least): a missing libcrypto should not cost minutes of work. */
        if (dlopen_libcrypto() < 0)
                return TRIAGE_EXIT_CAPTURE; /* the reason is printed */
        o.skip = skip;
        o.exclude = exclude;
        if (inventory) {
                int r = load_inventory(inventory, &inv);
                if (r < 0) {
                        log_error("cannot read the key inventory '%s' (%s): pass a file of authorized_keys lines or "
                                  "SHA256: fingerprints",
                                  inventory, strerror(-r));
                        return TRIAGE_EXIT_USAGE;
                }
                o.inventory = inv;
                o.have_inventory = true;
        }
        if (sign_key) {
                /* Refuse a bad key before the capture, not after minutes of work. */
                _cleanup_pkey_ EVP_PKEY *k = NULL;
                int r = key_load_private(sign_key, &k);
                if (r < 0) {
                        log_error("cannot use the signing key '%s' (%s): %s", sign_key, strerror(-r),
                                  r == -EPERM ? "make it readable by its owner only (chmod 600)"
                                              : "create one with `buildward keygen -o KEY`");
                        return TRIAGE_EXIT_USAGE;
                }
        }
        if (baseline) {
                /* Also before the capture: a typo should not cost minutes of work. */
                _cleanup_free_ char *err = NULL;
                if (triage_bundle_resolve(baseline, &baseline_dir, &err) < 0) {
                        log_error("--baseline: %s", err);
                        return TRIAGE_EXIT_USAGE;
                }
        }
        if (!out) {
                char ts[64];
                format_rfc3339(now_usec(CLOCK_REALTIME), ts, sizeof(ts));
                ts[19] = 0;
                for (char *s = ts; *s; s++)
                        if (*s == ':')
                                *s = '-';
                default_out = xasprintf("triage-%s", ts);
                out = default_out;
        }

        struct triage_ctx ctx = {
                .o = &o,
                .root_fd = -EBADF,
                .out_fd = -EBADF,
                .raw_fd = -EBADF,
                .live = o.root == NULL,
                .capture = json_object_new_object(),
                .clk_tck = sysconf(_SC_CLK_TCK),
        };
        pthread_mutex_init(&ctx.lock, NULL);
        int ret = TRIAGE_EXIT_CAPTURE;
        ctx.root_fd = open(o.root ? o.root : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (ctx.root_fd < 0) {
                log_error("cannot open the root '%s' (%s): pass a mounted disk image directory with --root",
                          o.root ? o.root : "/", strerror(errno));
                ret = TRIAGE_EXIT_USAGE;
                goto finish;
        }
        int r = dir_usable(out);
        if (r < 0) {
                log_error("cannot use '%s' as the bundle directory (%s): pass --out with a new or empty directory", out,
                          strerror(-r));
                goto finish;
        }
        ctx.out_fd = open(out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (ctx.out_fd < 0 || mkdirat(ctx.out_fd, "raw", 0755) < 0 ||
            (ctx.raw_fd = openat(ctx.out_fd, "raw", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
                log_error("cannot write into '%s' (%s): check that it is writable and not full", out, strerror(errno));
                goto finish;
        }

        uint64_t t0 = now_usec(CLOCK_MONOTONIC);
        char ts[64];
        format_rfc3339(now_usec(CLOCK_REALTIME), ts, sizeof(ts));
        struct utsname u;
        uname(&u);
        json_object_object_add(ctx.capture, "version", json_object_new_int(1));
        json_object_object_add(ctx.capture, "tool", json_new_string("buildward " BUILDWARD_VERSION));
        json_object_object_add(ctx.capture, "started_at", json_new_string(ts));
        json_object_object_add(ctx.capture, "hostname", json_new_string(u.nodename));
        json_object_object_add(ctx.capture, "kernel", json_new_string(u.release));
        json_object_object_add(ctx.capture, "root", json_new_string(o.root ? o.root : "/"));
        json_object_object_add(ctx.capture, "since", o.since >= 0 ? json_object_new_int64(o.since) : NULL);
        json_object_object_add(ctx.capture, "sample_s", json_object_new_double(o.sample_s));
        json_object_object_add(ctx.capture, "hash_all", json_object_new_boolean(o.hash_all));
        triage_note(&ctx, "processes", "ok", NULL); /* creates the object in a stable order */
        for (size_t i = 0; i < ELEMENTSOF(collectors); i++) {
                const struct collector *col = &collectors[i];
                if (triage_skipped(&ctx, col->name)) {
                        triage_note(&ctx, col->name, "skipped", "--skip");
                        continue;
                }
                if (col->live_only && !ctx.live) {
                        triage_note(&ctx, col->name, "skipped", "needs the live host, not --root");
                        continue;
                }
                triage_note(&ctx, col->name, "ok", NULL);
                uint64_t c0 = now_usec(CLOCK_MONOTONIC);
                r = col->fn(&ctx);
                log_debug("triage: %s took %.3f s", col->name, (double) (now_usec(CLOCK_MONOTONIC) - c0) / 1e6);
                if (r < 0)
                        triage_note(&ctx, col->name, "failed", strerror(-r));
        }
        if (ctx.live && !triage_skipped(&ctx, "processes")) {
                r = collect_processes_finish(&ctx);
                if (r < 0)
                        triage_note(&ctx, "processes", "failed", strerror(-r));
        }
        if (ctx.live && geteuid() != 0) {
                json_object_object_add(ctx.capture, "warning",
                                       json_new_string("not run as root: other users' processes, keys and "
                                                       "configuration files may be missing"));
                log_warning("not run as root: other users' processes, keys and configuration files may be missing "
                            "from the capture; run it as root for a complete one");
        }

        if (ctx.findings.n > 0)
                qsort(ctx.findings.v, ctx.findings.n, sizeof(struct finding), cmp_finding);
        double secs = (double) (now_usec(CLOCK_MONOTONIC) - t0) / 1e6;
        json_object *fo = json_object_new_object();
        json_object_object_add(fo, "findings", findings_to_json(&ctx.findings));
        json_object_object_add(ctx.capture, "duration_s", json_object_new_double(secs));
        int max = finding_list_max_severity(&ctx.findings);
        json_object_object_add(ctx.capture, "max_severity",
                               max >= 0 ? json_new_string(severity_name((enum severity) max)) : NULL);
        if (json)
                printf("%s\n",
                       json_object_to_json_string_ext(fo, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        if ((r = json_write_file_at(ctx.out_fd, "findings.json", fo)) < 0 ||
            (r = json_write_file_at(ctx.out_fd, "capture.json", ctx.capture)) < 0) {
                json_object_put(fo);
                log_error("cannot write the findings into '%s' (%s): check free space", out, strerror(-r));
                goto finish;
        }
        json_object_put(fo);
        size_t files = 0;
        if ((r = bundle_manifest(ctx.out_fd, &files)) < 0) {
                log_error("cannot write '%s/MANIFEST.sha256' (%s): check free space", out, strerror(-r));
                goto finish;
        }
        char keyid[KEYID_HEX_SIZE];
        if (sign_key && (r = bundle_sign(ctx.out_fd, sign_key, keyid)) < 0) {
                log_error("cannot sign '%s/MANIFEST.sha256' with '%s' (%s): check the key with `buildward keygen`", out,
                          sign_key, strerror(-r));
                goto finish;
        }
        if (archive) {
                archive_path = xasprintf("%s.tar.zst", out);
                if ((r = bundle_archive(out, archive_path, &archive_err)) < 0) {
                        log_error("cannot pack '%s' (%s): the bundle directory itself is complete", archive_path,
                                  archive_err ? archive_err : strerror(-r));
                        goto finish;
                }
        }
        if (!json)
                print_summary(&ctx, out, secs, files, sign_key ? keyid : NULL, archive_path);
        if (baseline_dir) {
                printf("changes since '%s':\n", baseline);
                if ((r = triage_diff(baseline_dir, out, false, stdout)) < 0)
                        log_warning("cannot read the baseline bundle '%s' (%s): pass a directory written by `buildward "
                                    "triage --out`",
                                    baseline, strerror(-r));
        }
        ret = max >= SEV_HIGH ? TRIAGE_EXIT_FINDINGS : TRIAGE_EXIT_CLEAN;
finish:
        for (size_t i = 0; i < ctx.n_procs; i++) {
                free(ctx.procs[i].exe);
                free(ctx.procs[i].cwd);
                strv_free(ctx.procs[i].argv);
                free(ctx.procs[i].sock_inodes);
                free(ctx.procs[i].recovered);
        }
        free(ctx.procs);
        finding_list_done(&ctx.findings);
        json_object_put(ctx.capture);
        closep(&ctx.root_fd);
        closep(&ctx.out_fd);
        closep(&ctx.raw_fd);
        pthread_mutex_destroy(&ctx.lock);
        return ret;
}
