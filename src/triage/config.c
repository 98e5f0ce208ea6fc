/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The file-based collectors of persistence: units, cron, keys, sudoers, preload, shell start-up, PAM, udev, containers.
 */
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>

#include "basic/json-util.h"
#include "basic/util.h"
#include "triage/conf.h"
#include "triage/parse.h"
#include "triage/triage.h"

json_object *conf_evidence(const char *path, const char *line) {
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
void conf_check_command(struct triage_ctx *c, const char *kind, const char *what, const char *path, const char *cmd) {
        _cleanup_free_ char *rule_dl = xasprintf("triage.%s-download-exec", kind);
        _cleanup_free_ char *rule_rs = xasprintf("triage.%s-reverse-shell", kind);
        _cleanup_free_ char *rule_wr = xasprintf("triage.%s-writable-path", kind);
        char buf[512];
        if (text_is_download_exec(cmd))
                triage_add(c, rule_dl, "persistence", SEV_CRITICAL, NULL,
                           xasprintf("%s in '%s' downloads code and pipes it into an interpreter", what, path),
                           conf_evidence(path, cmd));
        if (text_is_reverse_shell(cmd))
                triage_add(c, rule_rs, "reverse-shell", SEV_CRITICAL, NULL,
                           xasprintf("%s in '%s' opens a reverse shell", what, path), conf_evidence(path, cmd));
        const char *w = writable_word(cmd, buf, sizeof(buf));
        if (w) {
                /* A user's crontab running a script from that user's home is ordinary; /tmp is not. */
                bool tmp = path_is_tmp_area(w);
                json_object *e = conf_evidence(path, cmd);
                json_object_object_add(e, "writable_path", json_new_string(w));
                triage_add(c, rule_wr, "persistence", tmp ? SEV_HIGH : SEV_LOW, NULL,
                           xasprintf("%s in '%s' runs '%s', from %s", what, path, w,
                                     tmp ? "a directory any user or service can write" : "a home directory"),
                           e);
        }
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
                        conf_check_command(c, "unit", "a unit's command", path, v + 1);
                if (strstr(v, "-H tcp://") || strstr(v, "--host=tcp://") || strstr(v, "-H=tcp://"))
                        triage_add(c, "triage.docker-tcp", "exposure", SEV_HIGH, NULL,
                                   xasprintf("'%s' starts a container daemon with a TCP API socket: whoever reaches "
                                             "it is root on the host",
                                             path),
                                   conf_evidence(path, v + 1));
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
                conf_check_command(c, "cron", "a cron job", path, e.command);
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
                        conf_check_command(c, "cron", "a scheduled script", path, line);
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
                        conf_check_command(c, "cron", "an anacron job", "/etc/anacrontab", line);
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
                           conf_evidence(path, line));
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
                        conf_check_command(c, "shellrc", "a shell start-up line", path, line);
                else if (strstr(line, "LD_PRELOAD="))
                        triage_add(c, "triage.shellrc-preload", "persistence", SEV_HIGH, NULL,
                                   xasprintf("'%s' sets LD_PRELOAD for every shell that reads it", path),
                                   conf_evidence(path, line));
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
                                conf_check_command(c, "udev", "a udev RUN command", p, run);
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
                                                   conf_evidence("/etc/docker/daemon.json", h));
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
