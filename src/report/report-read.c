/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <math.h>

#include "basic/util.h"
#include "report/report-read.h"
#include "report/report.h"

int rj_severity(json_object *finding) {
        enum severity s;
        const char *name = rj_str(finding, "severity");
        if (!name || severity_from_string(name, &s) < 0 || s == SEV_NEVER)
                return -1;
        return (int) s;
}

static int ranked_cmp(const void *a, const void *b) {
        const struct ranked_finding *x = a, *y = b;
        if (x->severity != y->severity)
                return x->severity > y->severity ? -1 : 1;
        return x->index < y->index ? -1 : x->index > y->index;
}

struct ranked_finding *findings_ranked(json_object *report, size_t by_severity[], size_t *ret_n) {
        json_object *findings = rj_arr(report, "findings");
        struct ranked_finding *v = xcalloc(rj_len(findings) + 1, sizeof(*v));
        size_t n = 0;
        for (int s = SEV_INFO; s <= SEV_CRITICAL; s++)
                by_severity[s] = 0;
        for (size_t i = 0; i < rj_len(findings); i++) {
                if (!json_object_is_type(rj_at(findings, i), json_type_object))
                        continue;
                int sev = rj_severity(rj_at(findings, i));
                if (sev >= 0)
                        by_severity[sev]++;
                v[n++] = (struct ranked_finding){ sev, i };
        }
        qsort(v, n, sizeof(*v), ranked_cmp);
        *ret_n = n;
        return v;
}

void text_escape_json(FILE *f, json_object *s, size_t max, enum text_mode m) {
        if (json_object_is_type(s, json_type_string))
                text_escape(f, json_object_get_string(s), (size_t) json_object_get_string_len(s), max, m);
}

const char *path_below(const char *path, const char *root) {
        if (streq(root, "/"))
                return path[0] == '/' ? path + 1 : NULL;
        const char *rest = startswith(path, root);
        if (!rest)
                return NULL;
        if (*rest == 0)
                return rest;
        return *rest == '/' ? rest + 1 : NULL;
}

static int entry_cmp(const void *a, const void *b) {
        const struct proc_entry *x = a, *y = b;
        if (x->pid != y->pid)
                return x->pid < y->pid ? -1 : 1;
        return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int pid_cmp(const void *a, const void *b) {
        const struct proc_entry *x = a, *y = b;
        return x->pid < y->pid ? -1 : x->pid > y->pid;
}

void proc_index_build(struct proc_index *ix, json_object *report) {
        json_object *procs = rj_arr(report, "processes");
        size_t n = rj_len(procs);
        *ix = (struct proc_index){ .v = xcalloc(n ? n : 1, sizeof(struct proc_entry)) };
        for (size_t i = 0; i < n; i++) {
                json_object *p = rj_at(procs, i);
                int64_t pid;
                if (rj_int(p, "pid", &pid))
                        ix->v[ix->n++] = (struct proc_entry){ pid, i, p };
        }
        qsort(ix->v, ix->n, sizeof(*ix->v), entry_cmp);
}

void proc_index_done(struct proc_index *ix) {
        free(ix->v);
        *ix = (struct proc_index){};
}

const struct proc_entry *proc_index_lookup(const struct proc_index *ix, int64_t pid) {
        struct proc_entry key = { .pid = pid };
        const struct proc_entry *e = ix->n ? bsearch(&key, ix->v, ix->n, sizeof(*ix->v), pid_cmp) : NULL;
        while (e && e > ix->v && e[-1].pid == pid) /* duplicates: the first in the report */
                e--;
        return e;
}

json_object *proc_index_find(const struct proc_index *ix, int64_t pid) {
        const struct proc_entry *e = proc_index_lookup(ix, pid);
        return e ? e->proc : NULL;
}

json_object **finding_chain(json_object *finding, const struct proc_index *ix, size_t max, size_t *ret_n) {
        json_object **v = xcalloc(max ? max : 1, sizeof(json_object *));
        size_t n = 0;
        json_object *proc = rj_obj(finding, "process");
        json_object *chain = rj_arr(proc, "chain");
        for (size_t i = 0; i < rj_len(chain) && n < max; i++)
                if (json_object_is_type(rj_at(chain, i), json_type_object))
                        v[n++] = rj_at(chain, i);
        if (n == 0 && proc && max > 0) {
                v[n++] = proc;
                int64_t ppid;
                json_object *cur = proc;
                while (n < max && ix && rj_int(cur, "ppid", &ppid)) {
                        json_object *parent = proc_index_find(ix, ppid);
                        bool seen = false;
                        for (size_t i = 0; i < n && parent; i++) {
                                int64_t pid;
                                seen = seen || (rj_int(v[i], "pid", &pid) && pid == ppid);
                        }
                        if (!parent || seen)
                                break;
                        v[n++] = parent;
                        cur = parent;
                }
        }
        *ret_n = n;
        return v;
}

const char *proc_name(json_object *proc) {
        const char *exe = rj_str(proc, "exe");
        if (exe && *path_basename(exe))
                return path_basename(exe);
        json_object *argv = rj_arr(proc, "argv");
        const char *a0 =
                json_object_get_string(json_object_is_type(rj_at(argv, 0), json_type_string) ? rj_at(argv, 0) : NULL);
        if (a0 && *path_basename(a0))
                return path_basename(a0);
        /* a process that never executed anything: buildward's own sandbox init */
        const char *comm = rj_str(proc, "comm");
        if (comm && *comm)
                return comm;
        return "?";
}

void chain_print(FILE *f, json_object **chain, size_t n, enum text_mode m) {
        for (size_t i = 0; i < n; i++) {
                int64_t pid;
                if (i > 0)
                        fputs(m == TEXT_HTML ? " &lt;- " : " <- ", f);
                text_escape_str(f, proc_name(chain[i]), 64, m);
                if (rj_int(chain[i], "pid", &pid))
                        fprintf(f, "(%" PRId64 ")", pid);
        }
}

void argv_print(FILE *f, json_object *argv, size_t max, enum text_mode m) {
        /* Joined raw first, escaped once: the quoting is ASCII and survives escaping. */
        char *buf = NULL;
        size_t len = 0;
        FILE *j = open_memstream(&buf, &len);
        if (!j)
                abort();
        for (size_t i = 0; i < rj_len(argv); i++) {
                json_object *a = rj_at(argv, i);
                if (!json_object_is_type(a, json_type_string))
                        continue;
                const char *s = json_object_get_string(a);
                size_t l = (size_t) json_object_get_string_len(a);
                if (i > 0)
                        fputc(' ', j);
                bool quote = l == 0 || strcspn(s, " \t\n'\"\\$`;&|<>*?") < l;
                if (!quote) {
                        fwrite(s, 1, l, j);
                        continue;
                }
                fputc('\'', j);
                for (size_t k = 0; k < l; k++) {
                        if (s[k] == '\'')
                                fputs("'\\''", j);
                        else
                                fputc(s[k], j);
                }
                fputc('\'', j);
        }
        fclose(j);
        text_escape(f, buf, len, max, m);
        free(buf);
}

bool rfc3339_utc_parse(const char *s, double *ret) {
        uint64_t usec;
        if (!s || parse_rfc3339(s, &usec) < 0)
                return false;
        *ret = (double) usec / 1e6;
        return true;
}

void duration_format(double seconds, char *buf, size_t n) {
        if (!(seconds >= 0) || seconds > 1e9)
                snprintf(buf, n, "?");
        else if (seconds < 60)
                snprintf(buf, n, "%.2f s", seconds);
        else if (seconds < 3600)
                snprintf(buf, n, "%d m %d s", (int) seconds / 60, (int) seconds % 60);
        else
                snprintf(buf, n, "%d h %d m", (int) (seconds / 3600), ((int) seconds % 3600) / 60);
}
