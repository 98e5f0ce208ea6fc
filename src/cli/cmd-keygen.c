/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>

#include "basic/log.h"
#include "cli/commands.h"
#include "crypto/sign.h"

static void keygen_help(void) {
        printf("usage: buildward keygen -o KEY\n\n"
               "Creates an Ed25519 signing key: KEY (private, PEM PKCS#8, mode 0600) and\n"
               "KEY.pub (public, PEM). buildward refuses to sign with a private key that\n"
               "group or others can read.\n");
}

int cmd_keygen(int argc, char **argv) {
        static const struct option opts[] = {
                { "output", required_argument, NULL, 'o' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        const char *out = NULL;
        int c;
        while ((c = getopt_long(argc, argv, "+o:h", opts, NULL)) >= 0)
                switch (c) {
                case 'o':
                        out = optarg;
                        break;
                case 'h':
                        keygen_help();
                        return 0;
                default:
                        log_error("invalid option; see `buildward keygen --help`");
                        return 2;
                }
        if (!out || optind != argc) {
                log_error("keygen needs exactly one `-o KEY` and no other argument; see `buildward keygen --help`");
                return 2;
        }
        /* It hashes or signs throughout: if libcrypto is missing, the loader's line is the only one. */
        if (dlopen_libcrypto() < 0)
                return 1;
        int r = key_generate(out);
        if (r == -EEXIST) {
                log_error("'%s' or '%s.pub' already exists; keygen never overwrites a key: remove it or pick another "
                          "path",
                          out, out);
                return 1;
        }
        if (r < 0) {
                log_error("cannot write the key '%s': %s; check that its directory exists and is writable", out,
                          strerror(-r));
                return 1;
        }
        EVP_PKEY *key = NULL;
        char id[KEYID_HEX_SIZE];
        if (key_load_public(out, &key) < 0 || key_id(key, id) < 0) {
                sym_EVP_PKEY_free(key);
                log_error("the key just written to '%s' does not read back; the disk may be failing", out);
                return 1;
        }
        sym_EVP_PKEY_free(key);
        printf("%s\n%s.pub\nkeyid %s\n", out, out, id);
        return 0;
}
