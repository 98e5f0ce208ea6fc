/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The file-based collectors of exposed services: sshd, databases, kernel modules; live or under --root. */
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>

#include "basic/json-util.h"
#include "basic/util.h"
#include "triage/conf.h"
#include "triage/parse.h"
#include "triage/triage.h"

/* ---- sshd ---- */

struct sshd_load {
        struct triage_ctx *c;
        json_object *files;
};

static int sshd_include(struct sshd_config *cfg, const char *pattern, void *userdata) {
        struct sshd_load *l = userdata;
        _cleanup_free_ char *full = pattern[0] == '/' ? xstrdup(pattern) : xasprintf("/etc/ssh/%s", pattern);
        char *slash = strrchr(full, '/');
        *slash = 0;
        const char *dir = full[0] ? full : "/", *glob = slash + 1;
        /* sshd expands the glob and reads the matches in sorted order. */
        _cleanup_strv_free_ char **names = triage_list(l->c, dir);
        for (char **n = names; *n; n++) {
                if (fnmatch(glob, *n, FNM_PERIOD) != 0)
                        continue;
                _cleanup_free_ char *p = xasprintf("%s/%s", dir, *n);
                _cleanup_free_ char *text = NULL;
                if (triage_read(l->c, p, CONF_MAX, &text, NULL) < 0)
                        continue;
                json_object_array_add(l->files, json_new_string(p));
                (void) sshd_config_parse(cfg, text);
        }
        return 0;
}

int collect_sshd(struct triage_ctx *c) {
        _cleanup_free_ char *text = NULL;
        int r = triage_read(c, "/etc/ssh/sshd_config", CONF_MAX, &text, NULL);
        if (r < 0) {
                triage_note(c, "sshd", "skipped", "no /etc/ssh/sshd_config (OpenSSH server not installed)");
                return 0;
        }
        struct sshd_load l = { c, json_object_new_array() };
        json_object_array_add(l.files, json_new_string("/etc/ssh/sshd_config"));
        struct sshd_config cfg = { .include = sshd_include, .userdata = &l };
        (void) sshd_config_parse(&cfg, text);
        /* OpenSSH's compiled-in defaults for what is not set. */
        static const char *const defaults[][2] = {
                { "permitrootlogin", "prohibit-password" },
                { "passwordauthentication", "yes" },
                { "permitemptypasswords", "no" },
                { "pubkeyauthentication", "yes" },
                { "port", "22" },
                { "authorizedkeysfile", ".ssh/authorized_keys .ssh/authorized_keys2" },
        };
        json_object *eff = json_object_new_object();
        /* Keywords are the host's text as much as values: an escaped key keeps sshd.json valid JSON. */
        for (size_t i = 0; cfg.kv && cfg.kv[i] && cfg.kv[i + 1]; i += 2)
                json_add_text_key(eff, cfg.kv[i], json_new_string(cfg.kv[i + 1]));
        for (size_t i = 0; i < ELEMENTSOF(defaults); i++)
                if (!sshd_config_get(&cfg, defaults[i][0]))
                        json_object_object_add(eff, defaults[i][0], json_new_string(defaults[i][1]));
        const struct {
                const char *key, *bad, *rule;
                enum severity sev;
                const char *why;
        } checks[] = {
                { "permitrootlogin", "yes", "triage.sshd-root-login", SEV_HIGH,
                  "sshd lets root log in with a password: one guessed password is the whole host" },
                { "passwordauthentication", "yes", "triage.sshd-password-auth", SEV_MEDIUM,
                  "sshd accepts passwords, open to guessing and credential stuffing; keys only is the norm" },
                { "permitemptypasswords", "yes", "triage.sshd-empty-passwords", SEV_CRITICAL,
                  "sshd accepts accounts with an empty password" },
        };
        for (size_t i = 0; i < ELEMENTSOF(checks); i++) {
                json_object *v;
                if (!json_object_object_get_ex(eff, checks[i].key, &v) ||
                    strcasecmp(json_object_get_string(v), checks[i].bad) != 0)
                        continue;
                json_object *e = json_object_new_object();
                json_object_object_add(e, "setting", json_new_string(checks[i].key));
                json_object_object_add(e, "value", json_new_string(json_object_get_string(v)));
                json_object_object_add(e, "explicit",
                                       json_object_new_boolean(sshd_config_get(&cfg, checks[i].key) != NULL));
                json_object_object_add(e, "files", json_object_get(l.files));
                triage_add(c, checks[i].rule, "exposure", checks[i].sev, NULL, xstrdup(checks[i].why), e);
        }
        sshd_config_done(&cfg);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "files", l.files);
        json_object_object_add(o, "effective", eff);
        return triage_save(c, "sshd", o);
}

/* ---- databases ---- */

static bool listens_everywhere(const char *v) {
        return v &&
               (strstr(v, "*") || strstr(v, "0.0.0.0") || streq(v, "::") || strstr(v, " ::") || startswith(v, ":: "));
}

static bool hba_address_local(const char *a) {
        return streq(a, "samehost") || streq(a, "localhost") || startswith(a, "127.") || streq(a, "::1/128") ||
               streq(a, "::1");
}

static void postgres_cluster(struct triage_ctx *c, const char *dir, json_object *list) {
        _cleanup_free_ char *hba_path = xasprintf("%s/pg_hba.conf", dir),
                            *conf_path = xasprintf("%s/postgresql.conf", dir);
        _cleanup_free_ char *hba = NULL, *conf = NULL;
        if (triage_read(c, hba_path, CONF_MAX, &hba, NULL) < 0)
                return;
        (void) triage_read(c, conf_path, CONF_MAX, &conf, NULL);
        _cleanup_free_ char *listen = conf ? conf_get(conf, NULL, "listen_addresses", '=') : NULL;
        bool everywhere = listens_everywhere(listen);
        json_object *j = json_object_new_object();
        json_object_object_add(j, "engine", json_new_string("postgresql"));
        json_object_object_add(j, "config", json_new_string(conf_path));
        json_object_object_add(j, "listen_addresses", json_new_string(listen ? listen : "localhost"));
        json_object *rules = json_object_new_array();
        FOREACH_LINE(line, hba, save) {
                struct hba_rule h;
                if (pg_hba_parse_line(line, &h) < 0)
                        continue;
                json_object *r = json_object_new_object();
                json_object_object_add(r, "type", json_new_string(h.type));
                json_object_object_add(r, "database", json_new_string(h.database));
                json_object_object_add(r, "user", json_new_string(h.user));
                json_object_object_add(r, "address", json_new_string(h.address));
                json_object_object_add(r, "method", json_new_string(h.method));
                json_object_array_add(rules, r);
                if (!streq(h.method, "trust"))
                        continue;
                bool remote = !streq(h.type, "local") && !hba_address_local(h.address);
                json_object *e = conf_evidence(hba_path, line);
                json_object_object_add(e, "listen_addresses", json_new_string(listen ? listen : "localhost"));
                triage_add(c, "triage.db-trust-auth", "exposure",
                           remote ? (everywhere ? SEV_CRITICAL : SEV_HIGH) : SEV_MEDIUM, NULL,
                           remote ? xasprintf("'%s' lets anyone from %s connect to PostgreSQL as any user without a "
                                              "password (trust)%s",
                                              hba_path, h.address,
                                              everywhere ? ", and the server listens on every address" : "")
                                  : xasprintf("'%s' lets every local user connect to PostgreSQL as '%s' without a "
                                              "password (trust)",
                                              hba_path, h.user),
                           e);
        }
        json_object_object_add(j, "hba", rules);
        json_object_array_add(list, j);
        if (everywhere) {
                json_object *e = conf_evidence(conf_path, listen);
                triage_add(c, "triage.db-listen-all", "exposure", SEV_MEDIUM, NULL,
                           xasprintf("PostgreSQL is configured to listen on every address (listen_addresses = "
                                     "'%s' in '%s')",
                                     listen, conf_path),
                           e);
        }
}

static void mysql_file(struct triage_ctx *c, const char *path, json_object *list) {
        _cleanup_free_ char *text = NULL;
        if (triage_read(c, path, CONF_MAX, &text, NULL) < 0)
                return;
        _cleanup_free_ char *bind = conf_get(text, "mysqld", "bind-address", '=');
        if (!bind)
                bind = conf_get(text, "mariadb", "bind-address", '=');
        bool skip_grants = false;
        for (const char *s = text; (s = strstr(s, "skip")); s++)
                if ((s == text || s[-1] == '\n') &&
                    (startswith(s, "skip-grant-tables") || startswith(s, "skip_grant_tables")))
                        skip_grants = true;
        json_object *j = json_object_new_object();
        json_object_object_add(j, "engine", json_new_string("mysql"));
        json_object_object_add(j, "config", json_new_string(path));
        json_object_object_add(j, "bind_address", json_new_string(bind));
        json_object_object_add(j, "skip_grant_tables", json_object_new_boolean(skip_grants));
        json_object_array_add(list, j);
        if (skip_grants)
                triage_add(c, "triage.db-no-auth", "exposure", SEV_CRITICAL, NULL,
                           xasprintf("'%s' starts MySQL with skip-grant-tables: no password is checked", path),
                           conf_evidence(path, "skip-grant-tables"));
        if (listens_everywhere(bind))
                triage_add(c, "triage.db-listen-all", "exposure", SEV_MEDIUM, NULL,
                           xasprintf("MySQL is configured to listen on every address (bind-address = %s in '%s')", bind,
                                     path),
                           conf_evidence(path, bind));
}

static void redis_file(struct triage_ctx *c, const char *path, json_object *list) {
        _cleanup_free_ char *text = NULL;
        if (triage_read(c, path, CONF_MAX, &text, NULL) < 0)
                return;
        _cleanup_free_ char *bind = conf_get(text, NULL, "bind", ' ');
        _cleanup_free_ char *prot = conf_get(text, NULL, "protected-mode", ' ');
        _cleanup_free_ char *pass = conf_get(text, NULL, "requirepass", ' ');
        json_object *j = json_object_new_object();
        json_object_object_add(j, "engine", json_new_string("redis"));
        json_object_object_add(j, "config", json_new_string(path));
        json_object_object_add(j, "bind", json_new_string(bind));
        json_object_object_add(j, "protected_mode", json_new_string(prot ? prot : "yes"));
        json_object_object_add(j, "requirepass", json_object_new_boolean(pass != NULL));
        json_object_array_add(list, j);
        /* Without bind Redis listens everywhere; protected mode is then its only guard. */
        bool open = !bind || listens_everywhere(bind);
        if (open && prot && strcasecmp(prot, "no") == 0 && !pass)
                triage_add(c, "triage.db-no-auth", "exposure", SEV_CRITICAL, NULL,
                           xasprintf("'%s' runs Redis on every address with protected-mode off and no password: "
                                     "anyone can write files and cron jobs through it",
                                     path),
                           conf_evidence(path, bind ? bind : "(no bind)"));
        else if (open && bind)
                triage_add(c, "triage.db-listen-all", "exposure", SEV_MEDIUM, NULL,
                           xasprintf("Redis is configured to listen on every address (bind %s in '%s')", bind, path),
                           conf_evidence(path, bind));
}

int collect_databases(struct triage_ctx *c) {
        json_object *list = json_object_new_array();
        /* /etc/postgresql/VERSION/CLUSTER/ (Debian's layout). */
        DIR *d = triage_opendir(c, "/etc/postgresql");
        if (d) {
                struct dirent *de;
                char **versions = NULL;
                while ((de = readdir(d)))
                        if (!dot_or_dotdot(de->d_name))
                                strv_push(&versions, xasprintf("/etc/postgresql/%s", de->d_name));
                closedir(d);
                for (char **v = versions; v && *v; v++) {
                        DIR *cd = triage_opendir(c, *v);
                        if (!cd)
                                continue;
                        while ((de = readdir(cd)))
                                if (!dot_or_dotdot(de->d_name)) {
                                        _cleanup_free_ char *p = xasprintf("%s/%s", *v, de->d_name);
                                        postgres_cluster(c, p, list);
                                }
                        closedir(cd);
                }
                strv_free(versions);
        }
        mysql_file(c, "/etc/mysql/my.cnf", list);
        static const char *const mysql_dirs[] = { "/etc/mysql/conf.d", "/etc/mysql/mysql.conf.d",
                                                  "/etc/mysql/mariadb.conf.d" };
        for (size_t i = 0; i < ELEMENTSOF(mysql_dirs); i++) {
                _cleanup_strv_free_ char **n = triage_list(c, mysql_dirs[i]);
                for (char **f = n; *f; f++) {
                        _cleanup_free_ char *p = xasprintf("%s/%s", mysql_dirs[i], *f);
                        mysql_file(c, p, list);
                }
        }
        redis_file(c, "/etc/redis/redis.conf", list);
        redis_file(c, "/etc/redis.conf", list);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "databases", list);
        return triage_save(c, "databases", o);
}

/* ---- kernel modules ---- */

int collect_modules(struct triage_ctx *c) {
        json_object *o = json_object_new_object();
        /* Modules that load at boot, and modprobe "install" hooks that run a command instead. */
        json_object *boot = json_object_new_array();
        _cleanup_strv_free_ char **ml = triage_list(c, "/etc/modules-load.d");
        _cleanup_strv_free_ char **mp = triage_list(c, "/etc/modprobe.d");
        for (char **n = mp; *n; n++) {
                _cleanup_free_ char *p = xasprintf("/etc/modprobe.d/%s", *n);
                _cleanup_free_ char *text = NULL;
                if (triage_read(c, p, CONF_MAX, &text, NULL) < 0)
                        continue;
                FOREACH_LINE(line, text, save)
                if (startswith(line + strspn(line, " \t"), "install "))
                        conf_check_command(c, "modprobe", "a modprobe install hook", p, line);
        }
        for (char **n = ml; *n; n++) {
                _cleanup_free_ char *p = xasprintf("/etc/modules-load.d/%s", *n), *t = NULL;
                if (triage_read(c, p, CONF_MAX, &t, NULL) >= 0)
                        json_object_array_add(boot, json_new_string(p));
        }
        json_object_object_add(o, "boot_config", boot);
        if (!c->live) {
                json_object_object_add(o, "loaded", NULL);
                json_object_object_add(o, "note",
                                       json_new_string("loaded modules are a property of a running kernel: not "
                                                       "collected with --root"));
                return triage_save(c, "modules", o);
        }
        _cleanup_free_ char *text = NULL;
        json_object *list = json_object_new_array();
        if (read_full_file("/proc/modules", &text, NULL, 16 << 20) < 0) {
                json_object_put(list);
                json_object_object_add(o, "loaded", NULL);
                json_object_object_add(o, "note",
                                       json_new_string("no /proc/modules: this kernel has no loadable module support"));
        } else {
                FOREACH_LINE(line, text, save) {
                        char name[64], state[32];
                        unsigned long size;
                        if (sscanf(line, "%63s %lu %*s %*s %31s", name, &size, state) != 3)
                                continue;
                        json_object *j = json_object_new_object();
                        json_object_object_add(j, "name", json_new_string(name));
                        json_object_object_add(j, "size", json_object_new_uint64(size));
                        json_object_object_add(j, "state", json_new_string(state));
                        const char *taint = strchr(line, '(');
                        if (taint)
                                json_object_object_add(j, "taint", json_new_string(taint));
                        json_object_array_add(list, j);
                }
                json_object_object_add(o, "loaded", list);
                /* A loaded module (it has initstate in /sys/module) missing from /proc/modules hides itself. */
                DIR *d = opendir("/sys/module");
                struct dirent *de;
                while (d && (de = readdir(d))) {
                        if (dot_or_dotdot(de->d_name))
                                continue;
                        _cleanup_free_ char *p = xasprintf("/sys/module/%s/initstate", de->d_name);
                        if (access(p, F_OK) < 0)
                                continue; /* built in */
                        _cleanup_free_ char *needle = xasprintf("%s ", de->d_name);
                        bool listed = false;
                        for (size_t i = 0; i < json_object_array_length(list) && !listed; i++)
                                listed = streq(json_object_get_string(json_object_object_get(
                                                       json_object_array_get_idx(list, i), "name")),
                                               de->d_name);
                        if (!listed)
                                triage_add(c, "triage.hidden-module", "anti-forensics", SEV_CRITICAL, NULL,
                                           xasprintf("kernel module '%s' is loaded (/sys/module) but missing from "
                                                     "/proc/modules: a rootkit hides it",
                                                     de->d_name),
                                           conf_evidence(p, NULL));
                }
                if (d)
                        closedir(d);
        }
        _cleanup_free_ char *tainted = NULL;
        if (read_full_file("/proc/sys/kernel/tainted", &tainted, NULL, 64) >= 0) {
                unsigned long t = strtoul(tainted, NULL, 10);
                json_object_object_add(o, "tainted", json_object_new_uint64(t));
                /* 4096: out-of-tree module, 8192: unsigned module (Documentation/admin-guide/tainted-kernels). */
                if (t & (4096 | 8192))
                        triage_add(c, "triage.kernel-taint", "persistence", SEV_MEDIUM, NULL,
                                   xasprintf("the kernel is tainted (%lu): an out-of-tree or unsigned module was "
                                             "loaded",
                                             t),
                                   NULL);
        }
        return triage_save(c, "modules", o);
}
