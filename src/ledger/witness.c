/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Witness cosignatures of the ledger's heads (ledger/witness.h). */
#include <inttypes.h>

#include "attest/dsse.h"
#include "basic/util.h"
#include "ledger/backend.h"
#include "ledger/internal.h"
#include "ledger/ledger.h"
#include "ledger/witness.h"

static const char witness_schema[] =
        "CREATE TABLE IF NOT EXISTS witness_sigs (size BIGINT NOT NULL, root TEXT NOT NULL,"
        " keyid TEXT NOT NULL, sig TEXT NOT NULL, PRIMARY KEY (keyid, size))";

static char *cosigned_text(struct ledger *l, uint64_t size, const merkle_hash root) {
        _cleanup_free_ char *cp = ledger_checkpoint_text(ledger_origin(l), size, root);
        return xasprintf(WITNESS_HEADER "%s", cp);
}

int ledger_witness_sign(struct ledger *l, EVP_PKEY *key, uint64_t size, const merkle_hash root) {
        char keyid[KEYID_HEX_SIZE], num[24], hex[HASH_HEX_SIZE];
        uint8_t sig[SIGNATURE_SIZE];
        int r = key_id(key, keyid);
        if (r < 0)
                return r;
        _cleanup_free_ char *text = cosigned_text(l, size, root);
        if ((r = sign_buffer(key, text, strlen(text), sig)) < 0)
                return r;
        _cleanup_free_ char *sig64 = base64_encode(sig, sizeof(sig));
        snprintf(num, sizeof(num), "%" PRIu64, size);
        hash_to_hex(root, HASH_SIZE, hex);
        const char *p[] = { num, hex, keyid, sig64 };
        if ((r = l->ops->begin_write(l)) < 0)
                return r;
        if ((r = l->ops->exec(l, witness_schema, 0, NULL)) < 0 ||
            (r = l->ops->exec(l,
                              "INSERT INTO witness_sigs (size, root, keyid, sig) VALUES ($1, $2, $3, $4) "
                              "ON CONFLICT DO NOTHING",
                              4, p)) < 0) {
                l->ops->rollback(l);
                return r;
        }
        return l->ops->commit(l);
}

struct cosig {
        bool present;
        char *root, *sig;
};

static int read_cosig(void *ud, size_t n, const char *const *cols) {
        struct cosig *c = ud;
        if (n < 2 || !cols[0] || !cols[1])
                return -EUCLEAN;
        c->present = true;
        c->root = xstrdup(cols[0]);
        c->sig = xstrdup(cols[1]);
        return 0;
}

int ledger_witness_check(struct ledger *l, EVP_PKEY *witness, uint64_t size, const merkle_hash root,
                         uint64_t *ret_latest) {
        char keyid[KEYID_HEX_SIZE], num[24];
        int r = key_id(witness, keyid);
        if (r < 0)
                return r;
        snprintf(num, sizeof(num), "%" PRIu64, size);
        const char *p[] = { keyid, num };
        _cleanup_strv_free_ char **latest = NULL;
        struct cosig c = {};
        r = l->ops->query(l, "SELECT root, sig FROM witness_sigs WHERE keyid = $1 AND size = $2", 2, p, read_cosig, &c);
        if (r < 0) {
                /* the table is created by the first cosignature: before it, there is none (NEEDSWORK: a read
                 * error of an existing table reads the same; the reader is told to witness, then verify again) */
                *ret_latest = 0;
                return -ENOENT;
        }
        char hex[HASH_HEX_SIZE];
        hash_to_hex(root, HASH_SIZE, hex);
        if (c.present && streq(c.root, hex)) {
                _cleanup_free_ char *text = cosigned_text(l, size, root);
                _cleanup_free_ uint8_t *sig = NULL;
                size_t sl;
                bool ok = base64_decode(c.sig, &sig, &sl) == 0 &&
                          verify_buffer(witness, text, strlen(text), sig, sl) == 0;
                free(c.root);
                free(c.sig);
                *ret_latest = size;
                return ok ? 0 : -EBADMSG;
        }
        free(c.root);
        free(c.sig);
        if ((r = query_strv(l, "SELECT max(size) FROM witness_sigs WHERE keyid = $1", 1, p, &latest)) < 0)
                return r;
        *ret_latest = latest[0] ? strtoull(latest[0], NULL, 10) : 0;
        return -ENOENT;
}
