/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One build, stage by stage: prepare (everything that can refuse the build
 * before it starts), build (the sandbox, watched), judge (findings,
 * artifacts, source changes, verdict), publish (report.json, SARIF, HTML,
 * provenance, the summary). Each stage returns 0 or `run`'s exit code.
 */
#include <limits.h>
#include <signal.h>

#include "basic/fs.h"
#include "basic/log.h"
#include "crypto/openssl-dl.h"
#include "detect/engine.h"
#include "detect/policy.h"
#include "integrity/gate.h"
#include "provenance/provenance.h"
#include "report/writers.h"
#include "run/outdir.h"
#include "run/report-json.h"
#include "sandbox/env.h"

#define MAX_SOURCE_CHANGES 100000

struct run_ctx {
        struct run_options *o;
        struct run_monitor rm;
        struct run_outcome out;
        int out_fd;
        bool marked; /* report.json says "aborted" */
};

/*
 * The source overlay is mounted first, the binds over it: a bind onto the
 * source tree or onto a directory above it would hide the tree (the build
 * then starts in a directory that does not exist). Binds inside the tree are
 * fine: they cover that part of it only.
 */
static int check_binds(const struct run_options *o) {
        const char *src = o->cfg.source;
        for (size_t i = 0; i < o->cfg.n_binds; i++) {
                const struct bind_spec *b = &o->cfg.binds[i];
                _cleanup_free_ char *dst = path_normalize(b->dst);
                size_t n = strlen(dst);
                if (streq(dst, src) || (strncmp(src, dst, n) == 0 && src[n] == '/'))
                        return run_fail("--%sbind destination '%s' would hide the source tree '%s', which is "
                                        "mounted below it; choose a destination that is neither the source tree "
                                        "nor a directory above it (e.g. /home/build/NAME, or a path inside the tree)",
                                        b->writable ? "" : "ro-", b->dst, src);
        }
        return 0;
}

/* Fills in what the options left to the defaults; 0 or EXIT_SETUP (printed). */
static int settle_options(struct run_options *o) {
        int r;
        if (!o->cfg.source) {
                char cwd[PATH_MAX];
                if (!getcwd(cwd, sizeof(cwd)))
                        return run_fail("cannot determine the current directory (%s); pass --source", strerror(errno));
                o->cfg.source = xstrdup(cwd);
        }
        if (streq(o->cfg.source, "/"))
                return run_fail("the source tree cannot be '/'; pass the project directory with --source");
        if ((r = check_binds(o)) != 0)
                return r;
        if (!o->cfg.hostname)
                o->cfg.hostname = xstrdup("buildward");
        if (!o->out)
                o->out = xstrdup(RUN_DEFAULT_OUT);
        if (o->policy_path) {
                _cleanup_free_ char *perr = NULL;
                if (policy_load(o->policy_path, &o->policy, &perr) < 0)
                        return run_fail("%s", perr);
                if (o->policy->has_fail_on && !o->fail_on_given)
                        o->fail_on = o->policy->fail_on;
        }
        _cleanup_free_ char *env_err = NULL;
        o->cfg.envp = env_build(environ, o->env_specs, &env_err);
        if (!o->cfg.envp)
                return run_fail("%s", env_err);
        if (o->enforce && (o->no_monitor || geteuid() != 0))
                return run_fail("--enforce stops a build through the eBPF monitor, which needs root; run as root "
                                "without --no-monitor, or drop --enforce");
        return 0;
}

/* Everything that can refuse the build before anything of it runs. */
static int prepare(struct run_ctx *c) {
        struct run_options *o = c->o;
        _cleanup_free_ char *prov_err = NULL;
        int r;
        /* Builds whose buildward was killed left their cgroups: remove them before adding ours. */
        if (geteuid() == 0)
                (void) orphans_reap(NULL);
        /*
         * These hash or sign: libcrypto is loaded now, in the host's namespaces
         * and before the build, not found missing after it ran. Findings load
         * it too, for their SARIF fingerprints. A plain run never loads it.
         */
        if ((o->artifacts || o->sign_key || o->ledger || o->toolchain || o->policy_path) && dlopen_libcrypto() < 0)
                return EXIT_SETUP; /* the reason is printed */
        if (provenance_check_args(o->sign_key, o->ledger, &prov_err) < 0)
                return run_fail("%s", prov_err);
        if ((r = settle_options(o)) != 0)
                return r;
        if (o->toolchain && toolchain_gate(o->toolchain, &o->toolchain_report, &o->tc) < 0)
                return EXIT_SETUP; /* the differences are printed; the build never starts */
        if ((r = run_check_protect(o, &c->rm.protect)) != 0)
                return r;
        if (c->rm.protect && (o->no_monitor || geteuid() != 0))
                log_warning("the policy protects paths, but the build runs without the eBPF monitor: nothing checks "
                            "them; run as root without --no-monitor");
        _cleanup_free_ char *why = NULL;
        if ((c->out_fd = out_dir_open(o->out, &why)) < 0)
                return run_fail("%s", why);
        /* An earlier build's outputs never stand in for this one's, even if this one fails early. */
        if ((r = out_dir_clear(c->out_fd)) < 0)
                return run_fail("cannot remove the previous build's outputs from the out folder '%s' (%s); empty it "
                                "or pass another --out",
                                o->out, strerror(-r));
        /* Even without the monitor: the sandbox's own findings go through the policy too. */
        c->rm.engine = engine_new(o->policy);
        return run_watch_setup(&c->rm, o, &c->out.st, c->out_fd);
}

/* The build itself, in its sandbox, watched. */
static int build(struct run_ctx *c) {
        struct run_options *o = c->o;
        struct run_outcome *out = &c->out;
        _cleanup_free_ char *failure = NULL;
        out->start_realtime = now_usec(CLOCK_REALTIME);
        uint64_t start_mono = now_usec(CLOCK_MONOTONIC);
        /* What stays if buildward is killed: the build dies with it (sandbox.c), the report says so. */
        c->marked = out_dir_mark_aborted(c->out_fd, o->cfg.argv, out->start_realtime) >= 0;
        log_step("parent: sandbox_run");
        int r = sandbox_run(&o->cfg, &out->st, &out->res, &out->views, &failure);
        out->duration_usec = now_usec(CLOCK_MONOTONIC) - start_mono;
        log_step("parent: sandbox_run returned");
        if (r < 0)
                return failure ? run_fail("%s", failure)
                               : run_fail("cannot set up the sandbox (%s); run `buildward doctor` for the kernel "
                                          "features it needs, or rerun with BUILDWARD_DEBUG=1 to see the step that "
                                          "failed",
                                          strerror(-r));
        run_watch_stop(&c->rm, &out->res);
        if (!c->rm.started && !o->no_monitor)
                log_warning("the build ran without the eBPF monitor: %s",
                            c->rm.reason ? c->rm.reason : "it did not start");
        if (c->rm.started && c->rm.lsm_failed)
                log_warning("path policies are detected, not refused in the kernel: %s", c->rm.lsm_reason);
        if (c->rm.stats.lost)
                log_warning("the monitor lost %" PRIu64 " events (the ring buffer was full): the verdict cannot be "
                            "pass; rerun on a less loaded host",
                            c->rm.stats.lost);
        if (c->rm.stats.not_written)
                log_warning("events.jsonl reached --events-max-size (%" PRIu64 " bytes): %" PRIu64
                            " events were judged but not written, and the verdict cannot be pass; find what "
                            "floods the monitor in the file's first lines, or raise --events-max-size",
                            c->rm.events_max, c->rm.stats.not_written);
        out->st.landlock_abi = landlock_abi();
        for (char **w = out->st.warnings; w && *w; w++)
                log_warning("%s", *w);
        return 0;
}

/* Findings, artifacts and source changes, then the verdict. */
static int judge(struct run_ctx *c) {
        struct run_options *o = c->o;
        struct run_outcome *out = &c->out;
        struct finding_list own = {};
        /*
         * After --enforce killed the build's cgroup, what is still listed is the
         * build being torn down (cgroup.kill does not wait), not processes that
         * outlived it: the finding that stopped the build says what happened.
         */
        if (!c->rm.stopped_by)
                run_add_survivor_findings(&out->res, &own);
        run_add_limit_findings(&out->res, &own);
        engine_adopt_findings(c->rm.engine, &own);
        engine_take_findings(c->rm.engine, &out->findings);
        int r;
        if (o->artifacts && (r = artifacts_collect(out->views.merged_fd, o->artifacts, c->out_fd, o->artifact_max,
                                                   &out->artifacts)) < 0)
                return run_fail("cannot copy artifacts into '%s/artifacts' (%s); check the out folder", o->out,
                                strerror(-r));
        (void) source_changes_collect(out->views.upper_fd, out->views.lower_fd, MAX_SOURCE_CHANGES, &out->changes);
        out->verdict = run_judge(o->fail_on, finding_list_max_severity(&out->findings), &out->res, c->rm.stats.lost,
                                 c->rm.stats.not_written, o->enforce && !c->rm.started);
        log_step("parent: artifacts and changes collected");
        return 0;
}

/* report.json and what derives from it; the summary on the terminal. */
static int publish(struct run_ctx *c, const sigset_t *saved_mask) {
        struct run_options *o = c->o;
        struct run_outcome *out = &c->out;
        _cleanup_free_ char *prov_err = NULL;
        /*
         * Nothing below reads the stage. Our views go first, so that the
         * helper's exit is the last reference to the tmpfs and the overlay and
         * frees what the build wrote, beside the report writing (sandbox.h).
         */
        closep(&out->views.merged_fd);
        closep(&out->views.upper_fd);
        closep(&out->views.lower_fd);
        sandbox_leave(&out->st);
        json_object *report = run_report_json(o, &c->rm, out);
        out_dir_unmark(c->out_fd);
        c->marked = false;
        int r = json_write_file_at(c->out_fd, "report.json", report);
        /* The report is out: a signal from now on may end buildward as it would any program. */
        sigprocmask(SIG_SETMASK, saved_mask, NULL);
        const char *failed = "report.json";
        /* The same document for code scanning and for people (src/report/writers.h). */
        if (r >= 0 && (r = report_write_sarif(c->out_fd, report)) < 0)
                failed = "report.sarif";
        else if (r >= 0 && (r = report_write_html(c->out_fd, report)) < 0)
                failed = "report.html";
        int pr = r < 0 ? 0 : provenance_for_run(report, c->out_fd, o->sign_key, o->ledger, &prov_err);
        /* Frozen and killed already; make sure the kernel is done before we say anything more. */
        sandbox_reap(&out->res);
        if (r < 0 || pr < 0) {
                json_object_put(report);
                return r < 0 ? run_fail("cannot write '%s/%s' (%s); check the out folder", o->out, failed, strerror(-r))
                             : run_fail("%s", prov_err);
        }
        if (out->res.end == SANDBOX_END_EXEC_FAILED)
                log_error("cannot execute '%s' in the sandbox (%s); the sandbox sees the host's /usr, /bin and /lib "
                          "plus the source tree: check the command's path and PATH=" SANDBOX_PATH,
                          o->cfg.argv[0], strerror(out->res.exec_errno));
        if (!o->quiet)
                report_print_summary(stderr, report, isatty(STDERR_FILENO));
        json_object_put(report);
        return 0;
}

static void ctx_done(struct run_ctx *c) {
        if (c->marked) /* buildward failed, it was not killed: its message says why */
                out_dir_unmark(c->out_fd);
        run_watch_done(&c->rm);
        log_step("parent: report written");
        closep(&c->out.views.merged_fd);
        closep(&c->out.views.upper_fd);
        closep(&c->out.views.lower_fd);
        closep(&c->out_fd);
        finding_list_done(&c->out.findings);
        artifact_list_done(&c->out.artifacts);
        change_list_done(&c->out.changes);
        sandbox_result_done(&c->out.res);
        sandbox_state_done(&c->out.st);
}

int run_pipeline(struct run_options *o) {
        struct run_ctx c = {
                .o = o,
                .rm = { .out_fd = -EBADF },
                .out = { .views = { -EBADF, -EBADF, -EBADF } },
                .out_fd = -EBADF,
        };
        /*
         * SIGINT, SIGTERM and SIGHUP end the build and still write its report:
         * blocked from here on, before any thread exists, they wait for
         * sandbox_run()'s signalfd, which ends the build at once when one came
         * during the set-up.
         */
        sigset_t stop_mask, saved_mask;
        sigemptyset(&stop_mask);
        sigaddset(&stop_mask, SIGINT);
        sigaddset(&stop_mask, SIGTERM);
        sigaddset(&stop_mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &stop_mask, &saved_mask);
        int ret = prepare(&c);
        if (ret == 0)
                ret = build(&c);
        if (ret == 0)
                ret = judge(&c);
        if (ret == 0)
                ret = publish(&c, &saved_mask);
        if (ret == 0)
                ret = c.out.verdict.exit_code;
        ctx_done(&c);
        sigprocmask(SIG_SETMASK, &saved_mask, NULL);
        log_step("parent: cleaned up");
        return ret;
}
