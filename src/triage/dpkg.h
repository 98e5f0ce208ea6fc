/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * dpkg's own record of when it last unpacked each package, from
 * /var/log/dpkg.log and its rotations (.N, .N.gz). The fast package check
 * trusts a packaged file whose ctime is not later than its PKG.md5sums; a
 * chmod or touch of PKG.md5sums moves that reference past a tampered file.
 * dpkg writes PKG.md5sums and PKG.list only when it unpacks PKG, and logs
 * the unpack: a checksum file changed after that is not dpkg's doing.
 */
#include <json-c/json.h>
#include <stdint.h>

#include "triage/triage.h"

/* dpkg logs after writing; ctimes and log times are a clock tick apart at most. */
#define DPKG_LOG_SLACK_S 2

struct dpkg_record {
        json_object *unpacked; /* package (no :arch) -> epoch second of its last logged unpack */
        int64_t first, last;   /* the oldest and newest entry of the logs read; -1 when none */
        json_object *logs;     /* {"read": [...], "unreadable": [...], "timezone": "..."} */
};

void dpkg_record_init(struct dpkg_record *r);
void dpkg_record_done(struct dpkg_record *r);
/* Adds the entries of one log's TEXT (modified); local times go through mktime() under the current TZ. */
void dpkg_record_add_log(struct dpkg_record *r, char *text);
/*
 * Reads the root's dpkg.log, dpkg.log.1, dpkg.log.2.gz, ... newest first,
 * stopping at the first it cannot read (the span stays contiguous). Under
 * --root the times are read in the image's time zone (its /etc/timezone or
 * /etc/localtime link), else UTC; the one used is in r->logs.
 */
void dpkg_record_load(struct triage_ctx *c, struct dpkg_record *r);

/*
 * Why a PKG.md5sums (MD5SUMS) or PKG.list file with ctime CTIME cannot be
 * dpkg's: a static sentence, or NULL when it can. A PKG.md5sums changed after
 * the package's last logged unpack, or inside the logs' span without any
 * unpack of the package logged; a PKG.list changed after the last logged dpkg
 * run of any package (dpkg rewrites another package's list when it takes
 * over its files).
 */
const char *dpkg_info_tampered(const struct dpkg_record *r, const char *pkg, bool md5sums, int64_t ctime,
                               int64_t *ret_reference);
