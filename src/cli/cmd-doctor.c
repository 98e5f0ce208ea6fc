/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <json-c/json.h>

#include "basic/util.h"
#include "cli/commands.h"
#include "sandbox/features.h"

int cmd_doctor(int argc, char **argv) {
        bool json = false;
        for (int i = 1; i < argc; i++) {
                if (streq(argv[i], "--json"))
                        json = true;
                else if (streq(argv[i], "--help")) {
                        printf("usage: buildward doctor [--json]\n\nPrints this host's kernel features and what "
                               "degrades without them.\n");
                        return 0;
                } else {
                        fprintf(stderr, "buildward: error: unknown option '%s'; see `buildward doctor --help`\n",
                                argv[i]);
                        return 2;
                }
        }
        struct feature *f;
        size_t n = features_probe(&f);
        if (json) {
                json_object *a = json_object_new_array();
                for (size_t i = 0; i < n; i++) {
                        json_object *o = json_object_new_object();
                        json_object_object_add(o, "feature", json_object_new_string(f[i].name));
                        json_object_object_add(o, "available", json_object_new_boolean(f[i].ok));
                        json_object_object_add(o, "detail", json_object_new_string(f[i].detail));
                        json_object_object_add(o, "without_it",
                                               f[i].degrade ? json_object_new_string(f[i].degrade) : NULL);
                        json_object_array_add(a, o);
                }
                puts(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(a);
        } else {
                for (size_t i = 0; i < n; i++) {
                        printf("%-22s %-4s %s\n", f[i].name, f[i].ok ? "yes" : "no", f[i].detail);
                        if (f[i].degrade)
                                printf("%-22s      -> %s\n", "", f[i].degrade);
                }
        }
        features_free(f, n);
        return 0;
}
