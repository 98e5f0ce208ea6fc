/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DSSE envelopes come from outside (`verify`, `ledger audit-signatures` read any
 * file they are given): parsing never crashes, and what it accepts round-trips.
 */
#include <stdlib.h>
#include <string.h>

#include "attest/dsse.h"
#include "basic/util.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
        struct dsse_envelope e = {};
        if (dsse_parse((const char *) data, size, &e) < 0)
                return 0;
        /* the payload re-encodes to base64 that decodes to the same bytes */
        char *b64 = base64_encode(e.payload, e.payload_len);
        uint8_t *back = NULL;
        size_t n = 0;
        if (base64_decode(b64, &back, &n) < 0 || n != e.payload_len || memcmp(back, e.payload, n) != 0)
                abort();
        size_t pl;
        uint8_t *pae = dsse_pae(e.payload_type, e.payload, e.payload_len, &pl);
        if (pl < e.payload_len + strlen(e.payload_type) + 10 || memcmp(pae + pl - e.payload_len, e.payload, n) != 0)
                abort();
        for (size_t i = 0; i < e.n_sigs; i++)
                if (!e.sigs[i].keyid || (e.sigs[i].sig_len && !e.sigs[i].sig))
                        abort();
        free(pae);
        free(back);
        free(b64);
        dsse_envelope_done(&e);
        return 0;
}
