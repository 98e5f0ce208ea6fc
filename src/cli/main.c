/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>

#include "basic/log.h"
#include "cli/commands.h"
#include "sandbox/sandbox.h"

static const struct command {
        const char *name;
        int (*fn)(int argc, char **argv);
        const char *summary;
} commands[] = {
        { "run", cmd_run, "run a build in a fresh, offline, disposable sandbox" },
        { "replay", cmd_replay, "run the detection rules over a recorded events.jsonl" },
        { "keygen", cmd_keygen, "create an Ed25519 signing key for provenance, manifests and bundles" },
        { "verify", cmd_verify, "check an artifact against its signed provenance and the ledger" },
        { "ledger", cmd_ledger, "query, verify and audit the provenance ledger" },
        { "seal", cmd_seal, "write a manifest of fs-verity digests of a toolchain tree" },
        { "check", cmd_check, "compare a tree with its manifest: added, removed and changed files" },
        { "triage", cmd_triage, "capture a suspect host's evidence and hunt known compromise patterns" },
        { "doctor", cmd_doctor, "show which kernel features this host offers and what degrades without them" },
};

static void usage(FILE *f) {
        fprintf(f, "usage: buildward COMMAND [OPTIONS]\n\ncommands:\n");
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
        fprintf(f, "\n`buildward COMMAND --help` describes one command; man buildward-run(1).\n");
}

int main(int argc, char **argv) {
        log_init();
        sandbox_remember_cmdline(argc, argv);
        if (argc < 2) {
                usage(stderr);
                return 2;
        }
        if (streq(argv[1], "--help") || streq(argv[1], "-h") || streq(argv[1], "help")) {
                usage(stdout);
                return 0;
        }
        if (streq(argv[1], "--version")) {
                printf("buildward %s\n", BUILDWARD_VERSION);
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (streq(argv[1], commands[i].name))
                        return commands[i].fn(argc - 1, argv + 1);
        log_error("unknown command '%s'; run `buildward --help` for the list", argv[1]);
        return 2;
}
