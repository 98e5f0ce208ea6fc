/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The matching helpers of the rule files: names, paths, argv. */
#include "basic/json-util.h"
#include "basic/util.h"
#include "detect/rules.h"

bool any_of(const char *s, const char *const *list, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (streq(s, list[i]))
                        return true;
        return false;
}

bool has_prefix(const char *s, const char *p) {
        return startswith(s, p) != NULL;
}

bool ends_with(const char *s, const char *suffix) {
        size_t a = strlen(s), b = strlen(suffix);
        return a >= b && streq(s + a - b, suffix);
}

bool has_part(const char *path, const char *needle) {
        if (strstr(path, needle))
                return true;
        return path[0] != '/' && needle[0] == '/' && has_prefix(path, needle + 1);
}

bool argv_contains(char *const *argv, const char *needle) {
        for (; argv && *argv; argv++)
                if (strstr(*argv, needle))
                        return true;
        return false;
}

bool argv_has(char *const *argv, const char *arg) {
        for (; argv && *argv; argv++)
                if (streq(*argv, arg))
                        return true;
        return false;
}

json_object *ev_obj(const char *k1, const char *v1, const char *k2, const char *v2) {
        json_object *o = json_object_new_object();
        if (k1)
                json_object_object_add(o, k1, json_new_string(v1));
        if (k2)
                json_object_object_add(o, k2, json_new_string(v2));
        return o;
}

const char *exe_of(const struct proc *p) {
        return p && p->exe ? p->exe : "?";
}

static bool under(const char *abs, const char *dir) {
        const char *r = startswith(abs, dir);
        return r && (*r == '/' || *r == 0);
}

bool path_in_source(const struct engine *e, const char *abs) {
        return e->source && abs[0] == '/' && under(abs, e->source);
}

bool path_in_system(const char *abs) {
        static const char *const dirs[] = { "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt" };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                if (under(abs, dirs[i]))
                        return true;
        return false;
}

bool path_in_writable(const char *abs) {
        static const char *const dirs[] = { "/tmp", "/var/tmp", "/dev/shm", "/home", "/root", "/run", "/var/run" };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                if (under(abs, dirs[i]))
                        return true;
        return false;
}

bool is_history(const char *path) {
        return ANY_OF(path_basename(path), ".bash_history", ".zsh_history", ".sh_history", ".history",
                      ".python_history", ".mysql_history", ".psql_history", ".lesshst", ".viminfo",
                      ".node_repl_history");
}

bool is_log(const char *path) {
        return has_prefix(path, "/var/log/") || ANY_OF(path, "/var/run/utmp", "/run/utmp");
}

bool daemon_name(const char *name) {
        return ANY_OF(name, "mysqld", "mysql", "postgres", "postmaster", "sshd", "systemd", "systemd-journald",
                      "dockerd", "containerd", "crond", "cron", "atd", "nginx", "httpd", "apache2", "redis-server",
                      "rsyslogd", "syslogd", "dbus-daemon", "kthreadd", "kswapd0", "ksoftirqd", "kworker", "init",
                      "udevd", "php-fpm", "java", "networkd", "snapd") ||
               has_prefix(name, "kworker/") || has_prefix(name, "[kworker") || has_prefix(name, "ksoftirqd/") ||
               has_prefix(name, "migration/") || has_prefix(name, "[k") || has_prefix(name, "rcu_");
}
