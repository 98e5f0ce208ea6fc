/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `buildward replay` reads events.jsonl, which a user may hand over from
 * anywhere. Any bytes, line by line, through the event parser and every rule:
 * no crash, no leak, and every finding names a rule of the catalog (the engine
 * aborts on an unknown id).
 */
#include <stdlib.h>
#include <string.h>

#include "detect/engine.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
        char *buf = malloc(size + 1);
        memcpy(buf, data, size);
        buf[size] = 0;
        struct engine *e = engine_new(NULL);
        char *save = NULL;
        for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                json_object *o = json_tokener_parse(line);
                struct event ev;
                if (o && json_object_is_type(o, json_type_object) && event_from_json(o, &ev) == 0) {
                        engine_feed(e, &ev);
                        free(ev.argv);
                }
                json_object_put(o);
        }
        struct finding_list fl = {};
        engine_take_findings(e, &fl);
        for (size_t i = 0; i < fl.n; i++)
                if (!fl.v[i].rule || !fl.v[i].category || !fl.v[i].detail)
                        abort();
        finding_list_done(&fl);
        engine_free(e);
        free(buf);
        return 0;
}
