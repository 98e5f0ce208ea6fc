/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Rule logic that needs no live system: unit-tested on its own (tests/unit/test-triage-rules.c). */
#include "basic/util.h"
#include "triage/triage.h"

/* Names a process takes to blend in; a real one runs from a system directory. */
static const char *const daemon_names[] = {
        "sshd",
        "systemd",
        "systemd-journald",
        "systemd-udevd",
        "systemd-logind",
        "cron",
        "crond",
        "atd",
        "init",
        "mysqld",
        "mysql",
        "mariadbd",
        "postgres",
        "postmaster",
        "nginx",
        "apache2",
        "httpd",
        "rsyslogd",
        "syslogd",
        "dbus-daemon",
        "containerd",
        "dockerd",
        "redis-server",
        "memcached",
        "mongod",
        "java",
        "php-fpm",
        "kthreadd",
        "agetty",
        "polkitd",
        "chronyd",
        "ntpd",
        "master",
        "exim4",
        "networkd",
        "snapd",
        "udevd",
        "auditd",
};
static const char *const system_dirs[] = {
        "/usr/", "/bin/", "/sbin/", "/lib/", "/lib64/", "/lib32/", "/opt/", "/snap/"
};

static bool is_daemon_name(const char *n) {
        if (!n || !*n)
                return false;
        /* Kernel threads have names like kworker/0:1; a user process has no business using one. */
        if (startswith(n, "kworker") || startswith(n, "ksoftirqd") || startswith(n, "kswapd") || n[0] == '[')
                return true;
        for (size_t i = 0; i < ELEMENTSOF(daemon_names); i++)
                if (streq(n, daemon_names[i]))
                        return true;
        return false;
}

static bool is_interpreter(const char *base) {
        static const char *const v[] = { "bash", "sh", "dash", "zsh", "ksh", "busybox", "perl", "ruby", "php", "node" };
        for (size_t i = 0; i < ELEMENTSOF(v); i++)
                if (streq(base, v[i]))
                        return true;
        return startswith(base, "python") != NULL;
}

static bool in_system_dir(const char *exe) {
        for (size_t i = 0; i < ELEMENTSOF(system_dirs); i++)
                if (startswith(exe, system_dirs[i]))
                        return true;
        return false;
}

static const char *base_of(const char *s) {
        const char *b = strrchr(s, '/');
        return b ? b + 1 : s;
}

const char *masquerade_name(const char *comm, const char *argv0, const char *exe, bool deleted) {
        if (!exe)
                return NULL;
        const char *exe_base = base_of(exe);
        const char *a0 = argv0 ? base_of(argv0) : NULL;
        const char *name = is_daemon_name(comm)       ? comm
                           : a0 && is_daemon_name(a0) ? a0
                           : is_daemon_name(exe_base) ? exe_base
                                                      : NULL;
        if (!name)
                return NULL;
        bool kthread_like = name[0] == '[' || startswith(name, "kworker") || startswith(name, "ksoftirqd") ||
                            startswith(name, "kswapd");
        /* A daemon's name on an interpreter, outside the system directories, or on a deleted file. */
        if (kthread_like || !in_system_dir(exe) || deleted ||
            (!streq(name, exe_base) && !startswith(exe_base, name) && is_interpreter(exe_base)))
                return name;
        return NULL;
}
