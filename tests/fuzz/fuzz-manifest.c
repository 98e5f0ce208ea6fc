/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Toolchain manifests (`buildward check FILE`, `run --toolchain FILE`): text
 * that may come from anywhere. Invariants: the parser never crashes; what it
 * accepts is canonical, so formatting the result gives back the input's bytes
 * (up to the unverified signature line); every accepted path is found by lookup.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "integrity/manifest.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
        struct manifest *m = NULL;
        struct manifest_error err;
        int r = manifest_parse((const char *) data, size, NULL, &m, &err);
        if (r < 0) {
                if (m || r != -EBADMSG || !err.msg[0])
                        abort(); /* refusals are format errors with a message, and leave nothing behind */
                return 0;
        }
        for (size_t i = 0; i < m->n; i++)
                if (manifest_lookup(m, m->v[i].path) != &m->v[i])
                        abort();
        char *text = NULL;
        size_t n = 0;
        if (manifest_format(m->roots, m->v, m->n, NULL, &text, &n) < 0)
                abort();
        size_t body = size;
        if (m->is_signed) {
                const char *sig = strstr(text, "#end ");
                body = sig ? (size_t) (strchr(sig, '\n') + 1 - text) : 0;
        }
        if (n != body || memcmp(text, data, n) != 0)
                abort();
        free(text);
        manifest_free(m);
        return 0;
}
