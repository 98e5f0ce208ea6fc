/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The file-based collectors: persistence and configuration, live or under --root. */
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>

#include "basic/json-util.h"
#include "basic/util.h"
#include "triage/parse.h"
#include "triage/triage.h"

#define CONF_MAX (4U << 20)

static json_object *ev_source(const char *path, const char *line) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "file", json_new_string(path));
        if (line)
                json_object_object_add(e, "line", json_new_string(line));
        return e;
}

/* The first word of TEXT in a tmp area, else the first in a home, or NULL. */
static const char *writable_word(const char *text, char *buf, size_t n) {
        const char *found = NULL;
        for (const char *s = text; *s;) {
                s += strspn(s, " \t\"'=;|&()<>`");
                size_t l = strcspn(s, " \t\"'=;|&()<>`");
                if (l == 0)
                        break;
                if (l < n) {
                        memcpy(buf, s, l);
                        buf[l] = 0;
                        if (path_is_tmp_area(buf))
                                return buf;
                        if (!found && path_is_writable_area(buf))
                                found = s;
                }
                s += l;
        }
        if (!found)
                return NULL;
        size_t l = strcspn(found, " \t\"'=;|&()<>`");
        memcpy(buf, found, l);
        buf[l] = 0;
        return buf;
}

/*
 * The checks every scheduled or started command gets: a downloaded script piped
 * into a shell, a reverse shell, a program in a writable place. KIND names the
 * rule family ("cron", "unit", "udev", ...).
 */
static void check_command(struct triage_ctx *c, const char *kind, const char *what, const char *path, const char *cmd) {
        _cleanup_free_ char *rule_dl = xasprintf("triage.%s-download-exec", kind);
        _cleanup_free_ char *rule_rs = xasprintf("triage.%s-reverse-shell", kind);
        _cleanup_free_ char *rule_wr = xasprintf("triage.%s-writable-path", kind);
        char buf[512];
        if (text_is_download_exec(cmd))
                triage_add(c, rule_dl, "persistence", SEV_CRITICAL, NULL,
                           xasprintf("%s in '%s' downloads code and pipes it into an interpreter", what, path),
                           ev_source(path, cmd));
        if (text_is_reverse_shell(cmd))
                triage_add(c, rule_rs, "reverse-shell", SEV_CRITICAL, NULL,
                           xasprintf("%s in '%s' opens a reverse shell", what, path), ev_source(path, cmd));
        const char *w = writable_word(cmd, buf, sizeof(buf));
        if (w) {
                /* A user's crontab running a script from that user's home is ordinary; /tmp is not. */
                bool tmp = path_is_tmp_area(w);
                json_object *e = ev_source(path, cmd);
                json_object_object_add(e, "writable_path", json_new_string(w));
                triage_add(c, rule_wr, "persistence", tmp ? SEV_HIGH : SEV_LOW, NULL,
                           xasprintf("%s in '%s' runs '%s', from %s", what, path, w,
                                     tmp ? "a directory any user or service can write" : "a home directory"),
                           e);
        }
}

/* Lines of TEXT, one at a time; the buffer is modified. */
#define FOREACH_LINE(line, text, save)                                                                                 \
        for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))

static bool is_comment(const char *l) {
        l += strspn(l, " \t");
        return !*l || *l == '#' || *l == ';' || *l == '\r';
}

/* ---- systemd units and timers ---- */

static bool unit_name(const char *n) {
        static const char *const sfx[] = { ".service", ".timer", ".socket", ".path", ".conf", ".mount" };
        size_t l = strlen(n);
        for (size_t i = 0; i < ELEMENTSOF(sfx); i++) {
                size_t sl = strlen(sfx[i]);
                if (l > sl && streq(n + l - sl, sfx[i]))
                        return true;
        }
        return false;
}

static void unit_file(struct triage_ctx *c, const char *path, bool packaged, json_object *list) {
        _cleanup_close_ int fd = triage_open(c, path, O_RDONLY | O_PATH | O_NOFOLLOW);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
                return;
        json_object *j = json_object_new_object();
        json_object_object_add(j, "path", json_new_string(path));
        json_object_object_add(j, "mtime", json_object_new_int64(st.st_mtime));
        if (S_ISLNK(st.st_mode)) {
                char t[4096];
                ssize_t n = readlinkat(fd, "", t, sizeof(t) - 1);
                if (n >= 0) {
                        t[n] = 0;
                        json_object_object_add(j, "link", json_new_string(t));
                }
                json_object_array_add(list, j);
                return;
        }
        _cleanup_free_ char *text = NULL;
        int r = packaged ? triage_read_nocopy(c, path, CONF_MAX, &text, NULL)
                         : triage_read(c, path, CONF_MAX, &text, NULL);
        if (r < 0) {
                json_object_array_add(list, j);
                return;
        }
        json_object *execs = json_object_new_array();
        FOREACH_LINE(line, text, save) {
                line += strspn(line, " \t");
                const char *v = NULL;
                if (startswith(line, "Exec") || startswith(line, "OnCalendar") || startswith(line, "OnBootSec") ||
                    startswith(line, "OnUnitActiveSec"))
                        v = strchr(line, '=');
                if (!v)
                        continue;
                json_object *e = json_object_new_object();
                _cleanup_free_ char *key = strndup(line, (size_t) (v - line));
                json_object_object_add(e, "key", json_new_string(key));
                json_object_object_add(e, "value", json_new_string(v + 1));
                json_object_array_add(execs, e);
                if (!startswith(line, "Exec"))
                        continue;
                /* Packaged units are covered by the integrity check; local ones are where persistence lands. */
                if (!packaged)
                        check_command(c, "unit", "a unit's command", path, v + 1);
                if (strstr(v, "-H tcp://") || strstr(v, "--host=tcp://") || strstr(v, "-H=tcp://"))
                        triage_add(c, "triage.docker-tcp", "exposure", SEV_HIGH, NULL,
                                   xasprintf("'%s' starts a container daemon with a TCP API socket: whoever reaches "
                                             "it is root on the host",
                                             path),
                                   ev_source(path, v + 1));
        }
        json_object_object_add(j, "settings", execs);
        json_object_array_add(list, j);
}

static void unit_dir(struct triage_ctx *c, const char *dir, bool packaged, json_object *list, int depth) {
        DIR *d = triage_opendir(c, dir);
        if (!d)
                return;
        struct dirent *de;
        char **subdirs = NULL;
        while ((de = readdir(d))) {
                if (dot_or_dotdot(de->d_name))
                        continue;
                _cleanup_free_ char *p = xasprintf("%s/%s", dir, de->d_name);
                if (de->d_type == DT_DIR) {
                        if (depth < 1)
                                strv_push(&subdirs, TAKE_PTR(p));
                } else if (unit_name(de->d_name))
                        unit_file(c, p, packaged, list);
        }
        closedir(d);
        for (char **s = subdirs; s && *s; s++)
                unit_dir(c, *s, packaged, list, depth + 1);
        strv_free(subdirs);
}

int collect_systemd(struct triage_ctx *c) {
        json_object *list = json_object_new_array();
        static const struct {
                const char *dir;
                bool packaged;
        } dirs[] = {
                { "/etc/systemd/system", false },    { "/run/systemd/system", false },
                { "/etc/systemd/user", false },      { "/usr/local/lib/systemd/system", false },
                { "/usr/lib/systemd/system", true }, { "/lib/systemd/system", true },
                { "/usr/lib/systemd/user", true },
        };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                unit_dir(c, dirs[i].dir, dirs[i].packaged, list, 0);
        _cleanup_strv_free_ char **homes = triage_homes(c);
        for (size_t i = 0; homes[i] && homes[i + 1]; i += 2) {
                _cleanup_free_ char *p = xasprintf("%s/.config/systemd/user", homes[i + 1]);
                unit_dir(c, p, false, list, 0);
        }
        json_object *o = json_object_new_object();
        json_object_object_add(o, "units", list);
        return triage_save(c, "systemd", o);
}

/* ---- cron, at, anacron ---- */

static void cron_table(struct triage_ctx *c, const char *path, bool system, const char *user, json_object *list) {
        _cleanup_free_ char *text = NULL;
        if (triage_read(c, path, CONF_MAX, &text, NULL) < 0)
                return;
        FOREACH_LINE(line, text, save) {
                struct cron_entry e;
                if (cron_parse_line(line, system, &e) < 0)
                        continue;
                json_object *j = json_object_new_object();
                json_object_object_add(j, "source", json_new_string(path));
                json_object_object_add(j, "user", json_new_string(system ? e.user : user));
                json_object_object_add(j, "schedule", json_new_string(e.schedule));
                json_object_object_add(j, "command", json_new_string(e.command));
                json_object_array_add(list, j);
                check_command(c, "cron", "a cron job", path, e.command);
        }
}

/* A script run by cron.daily, at or anacron: every line is a command. */
static void cron_script(struct triage_ctx *c, const char *path, json_object *list) {
        _cleanup_free_ char *text = NULL;
        if (triage_read(c, path, CONF_MAX, &text, NULL) < 0)
                return;
        json_object *j = json_object_new_object();
        json_object_object_add(j, "source", json_new_string(path));
        json_object_object_add(j, "script", json_object_new_boolean(true));
        json_object_array_add(list, j);
        FOREACH_LINE(line, text, save) {
                if (is_comment(line))
                        continue;
                /* Shipped scripts name /tmp now and then; only the download and shell idioms count here. */
                if (text_is_download_exec(line) || text_is_reverse_shell(line))
                        check_command(c, "cron", "a scheduled script", path, line);
        }
}

int collect_cron(struct triage_ctx *c) {
        json_object *list = json_object_new_array();
        cron_table(c, "/etc/crontab", true, NULL, list);
        _cleanup_strv_free_ char **d = triage_list(c, "/etc/cron.d");
        for (char **n = d; *n; n++) {
                _cleanup_free_ char *p = xasprintf("/etc/cron.d/%s", *n);
                cron_table(c, p, true, NULL, list);
        }
        static const char *const spools[] = { "/var/spool/cron/crontabs", "/var/spool/cron" };
        for (size_t i = 0; i < ELEMENTSOF(spools); i++) {
                _cleanup_strv_free_ char **u = triage_list(c, spools[i]);
                for (char **n = u; *n; n++) {
                        _cleanup_free_ char *p = xasprintf("%s/%s", spools[i], *n);
                        cron_table(c, p, false, *n, list);
                }
        }
        static const char *const scripts[] = { "/etc/cron.hourly",  "/etc/cron.daily",        "/etc/cron.weekly",
                                               "/etc/cron.monthly", "/var/spool/cron/atjobs", "/var/spool/at" };
        for (size_t i = 0; i < ELEMENTSOF(scripts); i++) {
                _cleanup_strv_free_ char **u = triage_list(c, scripts[i]);
                for (char **n = u; *n; n++) {
                        _cleanup_free_ char *p = xasprintf("%s/%s", scripts[i], *n);
                        cron_script(c, p, list);
                }
        }
        /* anacrontab: "period delay id command". */
        _cleanup_free_ char *ana = NULL;
        if (triage_read(c, "/etc/anacrontab", CONF_MAX, &ana, NULL) >= 0)
                FOREACH_LINE(line, ana, save) {
                        if (is_comment(line) || strchr(line, '='))
                                continue;
                        json_object *j = json_object_new_object();
                        json_object_object_add(j, "source", json_new_string("/etc/anacrontab"));
                        json_object_object_add(j, "line", json_new_string(line));
                        json_object_array_add(list, j);
                        check_command(c, "cron", "an anacron job", "/etc/anacrontab", line);
                }
        json_object *o = json_object_new_object();
        json_object_object_add(o, "entries", list);
        return triage_save(c, "cron", o);
}

/* ---- authorized_keys ---- */

static bool in_inventory(struct triage_ctx *c, const char *fp) {
        for (char **s = c->o->inventory; s && *s; s++)
                if (streq(*s, fp))
                        return true;
        return false;
}

int collect_keys(struct triage_ctx *c) {
        json_object *list = json_object_new_array();
        _cleanup_strv_free_ char **homes = triage_homes(c);
        for (size_t i = 0; homes[i] && homes[i + 1]; i += 2) {
                static const char *const names[] = { ".ssh/authorized_keys", ".ssh/authorized_keys2" };
                for (size_t k = 0; k < ELEMENTSOF(names); k++) {
                        _cleanup_free_ char *p = xasprintf("%s/%s", homes[i + 1], names[k]);
                        _cleanup_free_ char *text = NULL;
                        if (triage_read(c, p, CONF_MAX, &text, NULL) < 0)
                                continue;
                        FOREACH_LINE(line, text, save) {
                                struct authkey a;
                                if (authkey_parse_line(line, &a) < 0)
                                        continue;
                                json_object *j = json_object_new_object();
                                json_object_object_add(j, "user", json_new_string(homes[i]));
                                json_object_object_add(j, "file", json_new_string(p));
                                json_object_object_add(j, "type", json_new_string(a.type));
                                json_object_object_add(j, "fingerprint", json_new_string(a.fingerprint));
                                json_object_object_add(j, "comment", json_new_string(a.comment));
                                json_object_object_add(j, "has_options", json_object_new_boolean(a.has_options));
                                json_object_array_add(list, j);
                                if (c->o->have_inventory && !in_inventory(c, a.fingerprint))
                                        triage_add(c, "triage.unknown-ssh-key", "persistence", SEV_HIGH, NULL,
                                                   xasprintf("'%s' lets key %s ('%s') log in as '%s', and the "
                                                             "inventory of managed keys does not know it",
                                                             p, a.fingerprint, a.comment, homes[i]),
                                                   json_object_get(j));
                        }
                }
        }
        json_object *o = json_object_new_object();
        json_object_object_add(o, "inventory_given", json_object_new_boolean(c->o->have_inventory));
        json_object_object_add(o, "keys", list);
        return triage_save(c, "keys", o);
}

/* ---- sudoers ---- */

static void sudoers_file(struct triage_ctx *c, const char *path, json_object *list) {
        _cleanup_free_ char *text = NULL;
        if (triage_read(c, path, CONF_MAX, &text, NULL) < 0)
                return;
        FOREACH_LINE(line, text, save) {
                if (is_comment(line))
                        continue;
                json_object *j = json_object_new_object();
                json_object_object_add(j, "file", json_new_string(path));
                json_object_object_add(j, "line", json_new_string(line));
                json_object_array_add(list, j);
                const char *np = strstr(line, "NOPASSWD");
                if (!np || startswith(line + strspn(line, " \t"), "Defaults"))
                        continue;
                const char *cmds = strchr(np, ':');
                bool all = cmds && strstr(cmds, "ALL");
                triage_add(c, "triage.sudo-nopasswd", "privilege-escalation", all ? SEV_HIGH : SEV_MEDIUM, NULL,
                           xasprintf("'%s' grants sudo without a password%s", path,
                                     all ? " for every command: any process of that user is root" : ""),
                           ev_source(path, line));
        }
}

int collect_sudoers(struct triage_ctx *c) {
        json_object *list = json_object_new_array();
        sudoers_file(c, "/etc/sudoers", list);
        _cleanup_strv_free_ char **d = triage_list(c, "/etc/sudoers.d");
        for (char **n = d; *n; n++) {
                _cleanup_free_ char *p = xasprintf("/etc/sudoers.d/%s", *n);
                sudoers_file(c, p, list);
        }
        json_object *o = json_object_new_object();
        json_object_object_add(o, "rules", list);
        return triage_save(c, "sudoers", o);
}

/* ---- ld.so.preload ---- */

int collect_preload(struct triage_ctx *c) {
        json_object *list = json_object_new_array();
        _cleanup_free_ char *text = NULL;
        if (triage_read(c, "/etc/ld.so.preload", CONF_MAX, &text, NULL) >= 0)
                FOREACH_LINE(line, text, save) {
                        if (is_comment(line))
                                continue;
                        json_object_array_add(list, json_new_string(line));
                }
        if (json_object_array_length(list) > 0) {
                json_object *e = json_object_new_object();
                json_object_object_add(e, "file", json_new_string("/etc/ld.so.preload"));
                json_object_object_add(e, "libraries", json_object_get(list));
                triage_add(c, "triage.ld-preload", "persistence", SEV_CRITICAL, NULL,
                           xasprintf("/etc/ld.so.preload loads '%s' into every dynamically linked program, the "
                                     "classic userland rootkit hook",
                                     json_object_get_string(json_object_array_get_idx(list, 0))),
                           e);
        }
        json_object *o = json_object_new_object();
        json_object_object_add(o, "preload", list);
        return triage_save(c, "preload", o);
}

/* ---- shell start-up files ---- */

static void rc_file(struct triage_ctx *c, const char *path, json_object *list) {
        _cleanup_free_ char *text = NULL;
        if (triage_read(c, path, CONF_MAX, &text, NULL) < 0)
                return;
        json_object_array_add(list, json_new_string(path));
        FOREACH_LINE(line, text, save) {
                if (is_comment(line))
                        continue;
                if (text_is_download_exec(line) || text_is_reverse_shell(line))
                        check_command(c, "shellrc", "a shell start-up line", path, line);
                else if (strstr(line, "LD_PRELOAD="))
                        triage_add(c, "triage.shellrc-preload", "persistence", SEV_HIGH, NULL,
                                   xasprintf("'%s' sets LD_PRELOAD for every shell that reads it", path),
                                   ev_source(path, line));
        }
}

int collect_shellrc(struct triage_ctx *c) {
        json_object *list = json_object_new_array();
        static const char *const system[] = { "/etc/profile", "/etc/bash.bashrc", "/etc/environment", "/etc/zsh/zshrc",
                                              "/etc/zsh/zprofile" };
        for (size_t i = 0; i < ELEMENTSOF(system); i++)
                rc_file(c, system[i], list);
        _cleanup_strv_free_ char **d = triage_list(c, "/etc/profile.d");
        for (char **n = d; *n; n++) {
                _cleanup_free_ char *p = xasprintf("/etc/profile.d/%s", *n);
                rc_file(c, p, list);
        }
        _cleanup_strv_free_ char **homes = triage_homes(c);
        static const char *const user[] = { ".bashrc", ".profile",     ".bash_profile", ".bash_login",
                                            ".zshrc",  ".bash_logout", ".zprofile" };
        for (size_t i = 0; homes[i] && homes[i + 1]; i += 2)
                for (size_t k = 0; k < ELEMENTSOF(user); k++) {
                        _cleanup_free_ char *p = xasprintf("%s/%s", homes[i + 1], user[k]);
                        rc_file(c, p, list);
                }
        json_object *o = json_object_new_object();
        json_object_object_add(o, "files", list);
        return triage_save(c, "shellrc", o);
}

/* ---- PAM ---- */

int collect_pam(struct triage_ctx *c) {
        json_object *list = json_object_new_array();
        _cleanup_strv_free_ char **d = triage_list(c, "/etc/pam.d");
        for (char **n = d; *n; n++) {
                _cleanup_free_ char *p = xasprintf("/etc/pam.d/%s", *n);
                _cleanup_free_ char *text = NULL;
                if (triage_read(c, p, CONF_MAX, &text, NULL) < 0)
                        continue;
                FOREACH_LINE(line, text, save) {
                        if (is_comment(line) || line[strspn(line, " \t")] == '@')
                                continue;
                        /* type [control] module args: the module is the first word ending in ".so" or a path. */
                        char mod[512] = "";
                        for (const char *s = line; *s;) {
                                s += strspn(s, " \t");
                                if (*s == '[') {
                                        const char *e = strchr(s, ']');
                                        s = e ? e + 1 : s + strlen(s);
                                        continue;
                                }
                                size_t l = strcspn(s, " \t");
                                if (l > 3 && l < sizeof(mod) && (strncmp(s + l - 3, ".so", 3) == 0 || *s == '/')) {
                                        memcpy(mod, s, l);
                                        mod[l] = 0;
                                        break;
                                }
                                s += l;
                        }
                        if (!mod[0])
                                continue;
                        json_object *j = json_object_new_object();
                        json_object_object_add(j, "file", json_new_string(p));
                        json_object_object_add(j, "module", json_new_string(mod));
                        json_object_object_add(j, "line", json_new_string(line));
                        json_object_array_add(list, j);
                        if (mod[0] == '/' && !startswith(mod, "/lib/") && !startswith(mod, "/usr/lib/") &&
                            !startswith(mod, "/lib64/") && !startswith(mod, "/usr/lib64/"))
                                triage_add(c, "triage.pam-module-path", "persistence", SEV_HIGH, NULL,
                                           xasprintf("'%s' loads the PAM module '%s' from outside the system "
                                                     "library directories: a credential-stealing backdoor's place",
                                                     p, mod),
                                           json_object_get(j));
                        else if (strstr(mod, "pam_exec.so"))
                                triage_add(c, "triage.pam-exec", "persistence", SEV_MEDIUM, NULL,
                                           xasprintf("'%s' runs a program at every authentication (pam_exec): "
                                                     "check what it does",
                                                     p),
                                           json_object_get(j));
                }
        }
        json_object *o = json_object_new_object();
        json_object_object_add(o, "modules", list);
        return triage_save(c, "pam", o);
}

/* ---- udev ---- */

int collect_udev(struct triage_ctx *c) {
        json_object *list = json_object_new_array();
        static const char *const dirs[] = { "/etc/udev/rules.d", "/run/udev/rules.d" };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_strv_free_ char **d = triage_list(c, dirs[i]);
                for (char **n = d; *n; n++) {
                        _cleanup_free_ char *p = xasprintf("%s/%s", dirs[i], *n);
                        _cleanup_free_ char *text = NULL;
                        if (triage_read(c, p, CONF_MAX, &text, NULL) < 0)
                                continue;
                        FOREACH_LINE(line, text, save) {
                                const char *run = strstr(line, "RUN");
                                if (is_comment(line) || !run)
                                        continue;
                                json_object *j = json_object_new_object();
                                json_object_object_add(j, "file", json_new_string(p));
                                json_object_object_add(j, "line", json_new_string(line));
                                json_object_array_add(list, j);
                                check_command(c, "udev", "a udev RUN command", p, run);
                        }
                }
        }
        json_object *o = json_object_new_object();
        json_object_object_add(o, "run_rules", list);
        return triage_save(c, "udev", o);
}

/* ---- container runtimes ---- */

int collect_containers(struct triage_ctx *c) {
        json_object *o = json_object_new_object();
        _cleanup_free_ char *text = NULL;
        if (triage_read(c, "/etc/docker/daemon.json", CONF_MAX, &text, NULL) >= 0) {
                json_object *cfg = json_tokener_parse(text);
                json_object *hosts;
                if (cfg && json_object_object_get_ex(cfg, "hosts", &hosts) &&
                    json_object_is_type(hosts, json_type_array))
                        for (size_t i = 0; i < json_object_array_length(hosts); i++) {
                                const char *h = json_object_get_string(json_object_array_get_idx(hosts, i));
                                if (h && startswith(h, "tcp://") && !strstr(h, "127.0.0.1") && !strstr(h, "[::1]"))
                                        triage_add(c, "triage.docker-tcp", "exposure", SEV_HIGH, NULL,
                                                   xasprintf("/etc/docker/daemon.json exposes the Docker API on "
                                                             "'%s': whoever reaches it is root on the host",
                                                             h),
                                                   ev_source("/etc/docker/daemon.json", h));
                        }
                json_object_object_add(o, "docker_daemon", cfg ? cfg : json_new_string("unparsable"));
        }
        json_object *files = json_object_new_array();
        _cleanup_strv_free_ char **d = triage_list(c, "/etc/containers");
        for (char **n = d; *n; n++) {
                _cleanup_free_ char *p = xasprintf("/etc/containers/%s", *n);
                _cleanup_free_ char *t = NULL;
                if (triage_read(c, p, CONF_MAX, &t, NULL) >= 0)
                        json_object_array_add(files, json_new_string(p));
        }
        json_object_object_add(o, "containers_files", files);
        return triage_save(c, "containers", o);
}

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
        for (size_t i = 0; cfg.kv && cfg.kv[i] && cfg.kv[i + 1]; i += 2)
                json_object_object_add(eff, cfg.kv[i], json_new_string(cfg.kv[i + 1]));
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
                json_object *e = ev_source(hba_path, line);
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
                json_object *e = ev_source(conf_path, listen);
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
                           ev_source(path, "skip-grant-tables"));
        if (listens_everywhere(bind))
                triage_add(c, "triage.db-listen-all", "exposure", SEV_MEDIUM, NULL,
                           xasprintf("MySQL is configured to listen on every address (bind-address = %s in '%s')", bind,
                                     path),
                           ev_source(path, bind));
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
                           ev_source(path, bind ? bind : "(no bind)"));
        else if (open && bind)
                triage_add(c, "triage.db-listen-all", "exposure", SEV_MEDIUM, NULL,
                           xasprintf("Redis is configured to listen on every address (bind %s in '%s')", bind, path),
                           ev_source(path, bind));
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
                        check_command(c, "modprobe", "a modprobe install hook", p, line);
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
                                           ev_source(p, NULL));
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
