/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --memory, --tmp-size, --cpus, --timeout and --pids values, straight from the command line. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/size.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
        if (size > 64)
                return 0;
        char s[65];
        memcpy(s, data, size);
        s[size] = 0;
        uint64_t v, w;
        if (parse_size(s, &v) == 0) {
                /* Whatever parsed must read back the same when printed in bytes. */
                char back[32];
                snprintf(back, sizeof(back), "%" PRIu64, v);
                if (parse_size(back, &w) != 0 || w != v)
                        abort();
        }
        (void) parse_decimal_milli(s, &v);
        if (parse_uint(s, 1000, &v) == 0 && v > 1000)
                abort();
        return 0;
}
