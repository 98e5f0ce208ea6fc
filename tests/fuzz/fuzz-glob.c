/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Artifact globs come from the command line and paths from the build's tree.
 * Beyond not crashing, the pruning must be sound: a directory that holds a
 * match must never be skipped, or an artifact would silently go missing.
 */
#include <stdlib.h>
#include <string.h>

#include "basic/glob.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
        if (size > 512)
                return 0;
        char *buf = malloc(size + 1);
        memcpy(buf, data, size);
        buf[size] = 0;
        /* "PATTERN\nPATH": the first newline splits; paths never start or end with '/'. */
        char *nl = memchr(buf, '\n', size);
        if (!nl || nl[1] == '/' || nl[1] == 0 || strstr(nl + 1, "//") || buf[size - 1] == '/') {
                free(buf);
                return 0;
        }
        *nl = 0;
        const char *pattern = buf, *path = nl + 1;
        if (glob_match_path(pattern, path)) {
                char *dir = strdup(path);
                for (char *slash = strrchr(dir, '/'); slash; slash = strrchr(dir, '/')) {
                        *slash = 0;
                        if (!glob_may_match_below(pattern, dir))
                                abort(); /* a match below a directory the walk would prune */
                }
                free(dir);
        }
        free(buf);
        return 0;
}
