/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Scratch directories for unit tests that need a real filesystem (no root). */
#include <fcntl.h>
#include <stdlib.h>

#include "basic/util.h"
#include "report/report.h"
#include "tap.h"

/* A new empty directory under /tmp; free it with cleanup_dir(). */
static inline char *tmpdir(void) {
        char t[] = "/tmp/bw-unit.XXXXXX";
        return xstrdup(mkdtemp(t));
}

/* Writes CONTENT to DIR/REL, asserting that it worked. */
static inline void put(const char *dir, const char *rel, const char *content) {
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, rel);
        ASSERT_EQ_INT(write_file_at(AT_FDCWD, p, content, O_CREAT | O_TRUNC, 0644), 0);
}

/* Removes D and everything below it (without following symlinks) and frees D. */
static inline void cleanup_dir(char *d) {
        _cleanup_free_ char *parent = xstrdup(d);
        char *slash = strrchr(parent, '/');
        *slash = 0;
        int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        rm_rf_at(fd, slash + 1);
        close(fd);
        free(d);
}
