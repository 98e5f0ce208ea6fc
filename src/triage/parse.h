/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Pure parsers of the text triage reads: they take a line or a buffer, never a
 * path, so unit tests and fuzzers feed them recorded or hostile input. Each
 * returns 0 on success, -ENODATA for a line that carries nothing (blank,
 * comment, header) and -EINVAL for a malformed one.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One row of /proc/PID/net/{tcp,tcp6,udp,udp6}. */
struct net_row {
        char local[64], remote[64]; /* numeric address, no port */
        uint16_t local_port, remote_port;
        unsigned state; /* TCP_* numbering; 0x0A listen, 0x07 unconnected UDP */
        uint32_t uid;
        uint64_t inode;
};
int proc_net_parse_line(const char *line, bool ipv6, struct net_row *ret);
/* One row of /proc/PID/net/unix: PATH may be empty (unnamed) or start with '@' (abstract). */
struct unix_row {
        unsigned type, state;
        bool listening;
        uint64_t inode;
        char path[256];
};
int proc_net_unix_parse_line(const char *line, struct unix_row *ret);
/* True for 127.0.0.0/8, ::1 and ::ffff:127.x.y.z. */
bool address_is_loopback(const char *addr);

/*
 * sshd_config: keywords are case-insensitive and the first value of a keyword
 * wins; settings inside Match blocks are conditional and not taken. INCLUDE is
 * called for each Include argument at its position (may be NULL), at most
 * 16 levels deep and 256 times in all: a file that includes itself twice
 * must not cost 2^16 parses.
 */
struct sshd_config {
        char **kv; /* pairs: lower-case keyword, value */
        int (*include)(struct sshd_config *c, const char *pattern, void *userdata);
        void *userdata;
        unsigned depth;
        unsigned includes; /* Include arguments followed so far, capped */
};
int sshd_config_parse(struct sshd_config *c, const char *text);
const char *sshd_config_get(const struct sshd_config *c, const char *keyword);
void sshd_config_done(struct sshd_config *c);

/* pg_hba.conf: "local DB USER METHOD" or "host* DB USER ADDRESS [MASK] METHOD". */
struct hba_rule {
        char type[16], database[64], user[64], address[64], method[32];
};
int pg_hba_parse_line(const char *line, struct hba_rule *ret);

/*
 * A "key = value" configuration (postgresql.conf, my.cnf inside SECTION, or
 * "key value" for redis.conf when SEP is ' '): the LAST value of KEY, unquoted,
 * or NULL. SECTION NULL: no sections.
 */
char *conf_get(const char *text, const char *section, const char *key, char sep);

/*
 * A crontab line. SYSTEM: /etc/crontab and /etc/cron.d have a user field.
 * Environment assignments return -ENODATA.
 */
struct cron_entry {
        char schedule[128];
        char user[64];
        const char *command; /* points into the line */
};
int cron_parse_line(const char *line, bool system, struct cron_entry *ret);

/* One line of /var/lib/dpkg/info/PKG.md5sums: "HEX  relative/path". */
int md5sums_parse_line(const char *line, char ret_md5[33], const char **ret_path);

/*
 * One line of /var/log/dpkg.log: "YYYY-MM-DD HH:MM:SS ACTION ...", the time in
 * the host's local time. UNPACK is set for the lines of an unpack, when dpkg
 * writes PKG.list and PKG.md5sums: "install PKG ...", "upgrade PKG ...",
 * "status half-installed PKG ..." and "status unpacked PKG ...". PKG is
 * without its ":arch" ("" for lines naming none: startup, conffile).
 */
struct dpkg_log_line {
        int year, mon, mday, hour, min, sec; /* as written: mon 1..12 */
        bool unpack;
        char pkg[128];
};
int dpkg_log_parse_line(const char *line, struct dpkg_log_line *ret);

/* An authorized_keys line (options allowed before the key type). */
struct authkey {
        char type[48];
        char fingerprint[64]; /* "SHA256:" + unpadded base64, like ssh-keygen -l */
        char comment[128];
        bool has_options;
};
/* Loads libcrypto for the fingerprint (crypto/openssl-dl.h). */
int authkey_parse_line(const char *line, struct authkey *ret);

/* A command or log line that downloads and runs code (curl|wget ... | sh, and kin). */
bool text_is_download_exec(const char *line);
/* A reverse-shell idiom (/dev/tcp, nc -e, socat exec, python pty+socket, mkfifo|nc). */
bool text_is_reverse_shell(const char *line);
