/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>

/*
 * The out folder of `run`: reports, events.jsonl, provenance and artifacts/.
 *
 * The default --out is relative to the working directory, which is usually
 * the source tree, and the tree is the attacker's: a committed
 * `buildward-out -> /etc` would have root delete and write in /etc. So the
 * folder is opened once without following a symbolic link anywhere on its
 * path, must belong to the user running buildward and must not be writable by
 * everyone, and every write and removal after that goes through its fd.
 */

/* Opens (creating) PATH; the fd, or -errno with *RET_FAILURE a "cause; fix" line. */
int out_dir_open(const char *path, char **ret_failure);
/*
 * Removes what an earlier run left (reports, events, provenance and the whole
 * artifacts/ tree), so that what the folder holds after this run is exactly
 * what its report lists. 0 or the first -errno.
 */
int out_dir_clear(int dir_fd);
/*
 * Writes a report.json whose verdict is "aborted", in place until the run
 * writes its own: what a CI step finds when buildward was killed.
 */
int out_dir_mark_aborted(int dir_fd, char *const *argv, uint64_t start_realtime_usec);
/* Removes that placeholder before the real report is written (never renamed over: see outdir.c). */
void out_dir_unmark(int dir_fd);
