/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Policy files are YAML from the project under build. Whatever the input:
 * either a policy whose every rule pattern names catalog rules and whose every
 * suppression has a reason, or one error line naming the cause and the fix.
 */
#include <stdlib.h>
#include <string.h>

#include "detect/policy.h"
#include "finding/catalog.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
        struct policy *p = NULL;
        char *err = NULL;
        int r = policy_parse("fuzz.yml", (const char *) data, size, &p, &err);
        if (r < 0) {
                if (p || !err || !strchr(err, ';') || strchr(err, '\n'))
                        abort();
                free(err);
                return 0;
        }
        if (!p || err)
                abort();
        for (size_t i = 0; i < p->n_supp; i++)
                if (!p->supp[i].reason || !*p->supp[i].reason || !p->supp[i].rule)
                        abort();
        for (size_t i = 0; i < p->n_over; i++)
                if (p->over[i].severity > SEV_CRITICAL || !p->over[i].reason)
                        abort();
        /* a protect rule has an absolute path, a reason, something it restricts, and a prefix of its path */
        for (size_t i = 0; i < p->n_protect; i++) {
                const struct protect_rule *pr = &p->protect[i];
                if (!pr->path || pr->path[0] != '/' || !pr->reason || !*pr->reason ||
                    !(pr->has_read || pr->has_write) || !pr->prefix ||
                    strncmp(pr->prefix, pr->path, strlen(pr->prefix)) != 0)
                        abort();
                (void) protect_covers(pr, "/src/keys/a");
                (void) protect_allows(pr, false, "sha256:00", "/usr/bin/gpg");
        }
        /* matching must not crash on any pattern it accepted */
        (void) policy_suppression(p, "network-egress.connect", "/usr/bin/x", "/tmp/a");
        policy_free(p);
        return 0;
}
