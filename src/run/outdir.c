/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <json-c/json.h>
#include <sys/stat.h>

#include "basic/json-util.h"
#include "basic/nofollow.h"
#include "basic/util.h"
#include "provenance/provenance.h"
#include "report/report.h"
#include "run/outdir.h"

int out_dir_open(const char *path, char **ret_failure) {
        _cleanup_free_ char *culprit = NULL;
        int fd = open_dir_nofollow(path, 0755, &culprit);
        if (fd == -ELOOP) {
                *ret_failure = xasprintf("the out folder '%s' is reached through the symbolic link '%s', which "
                                         "could point anywhere on the host (a source tree may ship one); remove it, "
                                         "or pass --out a path without symbolic links",
                                         path, culprit ? culprit : path);
                return fd;
        }
        if (fd == -ENOTDIR) {
                *ret_failure = xasprintf("the out folder '%s' cannot be created: '%s' is not a directory; remove "
                                         "it, or pass another --out",
                                         path, culprit ? culprit : path);
                return fd;
        }
        if (fd < 0) {
                *ret_failure = xasprintf("cannot create the out folder '%s' (%s); pass a writable --out directory",
                                         path, strerror(-fd));
                return fd;
        }
        struct stat s;
        if (fstat(fd, &s) < 0) {
                int r = -errno;
                close(fd);
                *ret_failure = xasprintf("cannot inspect the out folder '%s' (%s)", path, strerror(-r));
                return r;
        }
        if (s.st_uid != geteuid() || (s.st_mode & S_IWOTH)) {
                *ret_failure = s.st_uid != geteuid()
                                       ? xasprintf("the out folder '%s' belongs to uid %u, not to you (uid %u): its "
                                                   "owner could swap what buildward writes there; remove it, or "
                                                   "pass --out a directory of yours",
                                                   path, (unsigned) s.st_uid, (unsigned) geteuid())
                                       : xasprintf("the out folder '%s' is writable by everyone: anyone could swap "
                                                   "what buildward writes there; chmod o-w it, or pass --out a "
                                                   "directory of yours",
                                                   path);
                close(fd);
                return -EPERM;
        }
        return fd;
}

static const char *const outputs[] = { "report.json", "report.sarif", "report.html", "events.jsonl", PROVENANCE_FILE };

int out_dir_clear(int dir_fd) {
        int r = 0;
        /*
         * Removed, not later renamed over: ext4 starts writeback of a file
         * renamed over another (auto_da_alloc), a cost paid while the user
         * waits for the verdict.
         */
        for (size_t i = 0; i < ELEMENTSOF(outputs); i++)
                if (unlinkat(dir_fd, outputs[i], 0) < 0 && errno != ENOENT && r == 0)
                        r = -errno;
        int k = rm_rf_at(dir_fd, "artifacts");
        return r < 0 ? r : k;
}

int out_dir_mark_aborted(int dir_fd, char *const *argv, uint64_t start_realtime_usec) {
        char ts[64];
        format_rfc3339(start_realtime_usec, ts, sizeof(ts));
        json_object *o = json_object_new_object(), *cmd = json_object_new_array();
        for (char *const *a = argv; a && *a; a++)
                json_object_array_add(cmd, json_new_string(*a));
        json_object_object_add(o, "version", json_object_new_int(1));
        json_object_object_add(o, "buildward_version", json_new_string(BUILDWARD_VERSION));
        json_object_object_add(o, "command", cmd);
        json_object_object_add(o, "exit_code", NULL);
        json_object_object_add(o, "verdict", json_new_string("aborted"));
        json_object_object_add(o, "started_at", json_new_string(ts));
        json_object_object_add(o, "reason",
                               json_new_string("buildward ended before the build did (killed, or the host "
                                               "went down): nothing was watched to the end, and the build's "
                                               "processes died with buildward; rerun the build"));
        const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                                     JSON_C_TO_STRING_NOSLASHESCAPE);
        /* A new name (out_dir_clear() removed the old one): a plain write, no rename. */
        int fd = openat(dir_fd, "report.json", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        int r = fd < 0 ? -errno : loop_write(fd, text, strlen(text));
        if (r >= 0)
                r = loop_write(fd, "\n", 1);
        if (fd >= 0)
                close(fd);
        json_object_put(o);
        return r;
}

void out_dir_unmark(int dir_fd) {
        (void) unlinkat(dir_fd, "report.json", 0);
}
