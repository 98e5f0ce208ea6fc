/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The configuration parsers triage runs over a suspect host's files, which an
 * attacker may have written: sshd_config (with a recursive Include), pg_hba.conf,
 * crontab, authorized_keys, md5sums lines, dpkg.log, key = value files and the
 * patterns; the escaper of sshd keywords as JSON keys.
 */
#include <stdlib.h>
#include <string.h>

#include "basic/json-util.h"
#include "basic/utf8.h"
#include "basic/util.h"
#include "triage/dpkg.h"
#include "triage/parse.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static int include_again(struct sshd_config *c, const char *pattern, void *userdata) {
        (void) pattern;
        return sshd_config_parse(c, userdata);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
        if (size > 8192)
                return 0;
        char *s = malloc(size + 1);
        memcpy(s, data, size);
        s[size] = 0;

        struct sshd_config c = { .include = include_again, .userdata = s };
        (void) sshd_config_parse(&c, s);
        /* First value wins: no keyword may appear twice. */
        for (size_t i = 0; c.kv && c.kv[i] && c.kv[i + 1]; i += 2)
                if (sshd_config_get(&c, c.kv[i]) != c.kv[i + 1])
                        abort();
        sshd_config_done(&c);

        struct hba_rule h;
        struct cron_entry e;
        struct authkey k;
        char md5[33];
        const char *path;
        if (pg_hba_parse_line(s, &h) == 0 && (!h.type[0] || !h.method[0]))
                abort();
        if (cron_parse_line(s, true, &e) == 0 && (e.command < s || e.command > s + size))
                abort();
        (void) cron_parse_line(s, false, &e);
        if (authkey_parse_line(s, &k) == 0 && strncmp(k.fingerprint, "SHA256:", 7) != 0)
                abort();
        if (md5sums_parse_line(s, md5, &path) == 0 && strlen(md5) != 32)
                abort();
        struct dpkg_log_line d;
        if (dpkg_log_parse_line(s, &d) == 0 && (d.mon < 1 || d.mon > 12 || (d.unpack && !d.pkg[0])))
                abort();
        struct dpkg_record r;
        dpkg_record_init(&r);
        char *copy = strdup(s);
        dpkg_record_add_log(&r, copy);
        free(copy);
        if (r.first > r.last)
                abort();
        dpkg_record_done(&r);
        char *key = json_key_escape(s);
        if (!utf8_is_valid(key, strlen(key)))
                abort();
        free(key);
        free(conf_get(s, "mysqld", "bind-address", '='));
        free(conf_get(s, NULL, "bind", ' '));
        (void) text_is_download_exec(s);
        (void) text_is_reverse_shell(s);
        free(s);
        return 0;
}
