/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "basic/util.h"
#include "detect/catalog.h"

static const struct rule_info catalog[] = {
        { "process-survival.alive-at-exit", "process-survival", SEV_HIGH,
          "a process of the build was still running when the build's command exited",
          "a miner or backdoor started by a build script that detaches (setsid, double fork) to outlive the job, "
          "as in the CI-database miner incident" },
        { "resource-abuse.timeout", "resource-abuse", SEV_MEDIUM, "the build ran past --timeout and was killed",
          "cryptojacking and hangs that hold a build agent for hours" },
        { "resource-abuse.memory-limit", "resource-abuse", SEV_MEDIUM,
          "a process of the build was killed for exceeding --memory",
          "memory balloons that starve other jobs on a shared agent" },
        { "resource-abuse.pids-limit", "resource-abuse", SEV_MEDIUM,
          "the build tried to create more processes than --pids allows", "fork bombs in build scripts" },
};

const struct rule_info *rule_catalog(size_t *ret_n) {
        *ret_n = ELEMENTSOF(catalog);
        return catalog;
}

const struct rule_info *rule_find(const char *id) {
        for (size_t i = 0; i < ELEMENTSOF(catalog); i++)
                if (streq(catalog[i].id, id))
                        return &catalog[i];
        return NULL;
}
