/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "sandbox/internal.h"
#include "seccomp-bpf.h" /* generated at build time by seccomp-gen */

void seccomp_builtin(struct seccomp_programs *p) {
        *p = (struct seccomp_programs){ .n = SECCOMP_BUILTIN_COUNT, .owned = false };
        for (size_t i = 0; i < SECCOMP_BUILTIN_COUNT; i++)
                p->prog[i] = seccomp_builtin_programs[i];
}
