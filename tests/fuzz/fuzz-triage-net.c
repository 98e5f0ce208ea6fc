/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /proc/PID/net/{tcp,tcp6,udp,udp6,unix} rows: text another namespace's kernel wrote, read by triage. */
#include <stdlib.h>
#include <string.h>

#include "triage/parse.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
        if (size < 1 || size > 4096)
                return 0;
        char *s = malloc(size);
        memcpy(s, data + 1, size - 1);
        s[size - 1] = 0;
        struct net_row r;
        if (proc_net_parse_line(s, data[0] & 1, &r) == 0) {
                /* What parsed is printable and bounded. */
                if (!memchr(r.local, 0, sizeof(r.local)) || !memchr(r.remote, 0, sizeof(r.remote)))
                        abort();
                (void) address_is_loopback(r.local);
        }
        struct unix_row u;
        if (proc_net_unix_parse_line(s, &u) == 0 && !memchr(u.path, 0, sizeof(u.path)))
                abort();
        free(s);
        return 0;
}
