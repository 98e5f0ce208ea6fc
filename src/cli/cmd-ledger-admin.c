/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ledger append`: writing to the ledger by hand (imports, tests). */
#include <inttypes.h>

#include "attest/statement.h"
#include "basic/json-util.h"
#include "basic/log.h"
#include "cli/cmd-ledger.h"
#include "cli/commands.h"
#include "ledger/audit.h"
#include "ledger/ledger.h"
#include "provenance/provenance.h"

int ledger_do_append(const struct ledger_opts *o, char **args) {
        if (!o->sign_key || !args[0] || args[1]) {
                log_error("append needs --sign-key KEY and one JSON Lines file (or -); see `buildward ledger --help`");
                return EXIT_USAGE;
        }
        _cleanup_pkey_ EVP_PKEY *key = NULL;
        int r = key_load_private(o->sign_key, &key);
        if (r < 0) {
                log_error("cannot use the signing key '%s' (%s); pass a private key from `buildward keygen` with "
                          "mode 0600",
                          o->sign_key, r == -EPERM ? "readable by group or others" : strerror(-r));
                return EXIT_SETUP;
        }
        _cleanup_fclose_ FILE *f = streq(args[0], "-") ? NULL : fopen(args[0], "re");
        FILE *in = streq(args[0], "-") ? stdin : f;
        if (!in) {
                log_error("cannot open '%s' (%s); pass a JSON Lines file of entries", args[0], strerror(errno));
                return EXIT_SETUP;
        }
        _cleanup_ledger_ struct ledger *l = NULL;
        int ret = ledger_cli_open_ledger(o, true, &l);
        if (ret)
                return ret;
        _cleanup_free_ char *line = NULL;
        size_t cap = 0, lineno = 0, n = 0;
        uint64_t index = 0;
        for (ssize_t len; (len = getline(&line, &cap, in)) > 0;) {
                lineno++;
                if (len <= 1)
                        continue;
                json_object *e = json_tokener_parse(line);
                r = e ? ledger_append(l, e, key, &index) : -EINVAL;
                json_object_put(e);
                if (r == -EINVAL) {
                        log_error("line %zu of '%s' is not a valid entry; see docs/provenance.md for the fields",
                                  lineno, args[0]);
                        return EXIT_SETUP;
                }
                if (r < 0) {
                        log_error("cannot append line %zu to '%s' (%s)", lineno, o->url, ledger_error(l));
                        return EXIT_SETUP;
                }
                n++;
        }
        if (!o->json)
                printf(n ? "appended %zu entries; last index %" PRIu64 "\n" : "appended %zu entries\n", n, index);
        return 0;
}
