/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "basic/json-util.h"
#include "basic/util.h"
#include "finding/finding.h"

static const char *const severity_names[] = { "info", "low", "medium", "high", "critical", "never" };

const char *severity_name(enum severity s) {
        return (unsigned) s < ELEMENTSOF(severity_names) ? severity_names[s] : "unknown";
}

int severity_from_string(const char *s, enum severity *ret) {
        for (size_t i = 0; i < ELEMENTSOF(severity_names); i++)
                if (streq(s, severity_names[i])) {
                        *ret = (enum severity) i;
                        return 0;
                }
        return -EINVAL;
}

void finding_list_add(struct finding_list *l, struct finding f) {
        GREEDY_REALLOC(l->v, l->n_allocated, l->n + 1);
        l->v[l->n++] = f;
}

void finding_list_done(struct finding_list *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->v[i].rule);
                free(l->v[i].exe);
                strv_free(l->v[i].argv);
                free(l->v[i].cwd);
                json_object_put(l->v[i].chain);
                free(l->v[i].detail);
                json_object_put(l->v[i].evidence);
        }
        free(l->v);
        *l = (struct finding_list){};
}

int finding_list_max_severity(const struct finding_list *l) {
        int m = -1;
        for (size_t i = 0; i < l->n; i++)
                if ((int) l->v[i].severity > m)
                        m = (int) l->v[i].severity;
        return m;
}

json_object *finding_to_json(const struct finding *f) {
        char ts[64];
        json_object *j = json_object_new_object();
        json_object_object_add(j, "rule", json_new_string(f->rule));
        json_object_object_add(j, "category", json_new_string(f->category));
        json_object_object_add(j, "severity", json_new_string(severity_name(f->severity)));
        format_rfc3339(f->time_usec, ts, sizeof(ts));
        json_object_object_add(j, "time", json_new_string(ts));
        if (f->pid || f->exe) {
                json_object *p = json_object_new_object();
                json_object_object_add(p, "pid", json_object_new_int(f->pid));
                json_object_object_add(p, "ppid", json_object_new_int(f->ppid));
                json_object_object_add(p, "exe", f->exe ? json_new_string(f->exe) : NULL);
                json_object_object_add(p, "argv", json_new_strv(f->argv));
                json_object_object_add(p, "cwd", f->cwd ? json_new_string(f->cwd) : NULL);
                json_object_object_add(p, "chain", f->chain ? json_object_get(f->chain) : json_object_new_array());
                json_object_object_add(j, "process", p);
        } else
                json_object_object_add(j, "process", NULL);
        json_object_object_add(j, "detail", json_new_string(f->detail));
        json_object_object_add(j, "evidence", f->evidence ? json_object_get(f->evidence) : json_object_new_object());
        return j;
}

json_object *findings_to_json(const struct finding_list *l) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < l->n; i++)
                json_object_array_add(a, finding_to_json(&l->v[i]));
        return a;
}
