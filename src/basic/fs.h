/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Whole files, directories and the lexical shape of paths. */
#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Whole-file helpers: return 0 or -errno. */
int write_file_at(int dirfd, const char *path, const char *data, int flags, mode_t mode);
int write_string_file(const char *path, const char *s);
int read_full_file(const char *path, char **ret, size_t *ret_size, size_t max);
int read_full_fd(int fd, char **ret, size_t *ret_size, size_t max);
/* The first MAX bytes of FD (less at EOF), NUL-terminated: a longer file is cut, not refused. */
int read_fd_prefix(int fd, size_t max, char **ret, size_t *ret_size);

int mkdir_p(const char *path, mode_t mode);

/*
 * A directory stream of its own on NAME below DIR_FD ("." for DIR_FD itself),
 * never following a final symlink. NULL with errno set on failure.
 */
DIR *opendir_at(int dir_fd, const char *name);
static inline bool dot_or_dotdot(const char *n) {
        return n[0] == '.' && (n[1] == 0 || (n[1] == '.' && n[2] == 0));
}

/* The lexical normal form of an absolute PATH: no "//", "." or ".." components ("/" at least). */
char *path_normalize(const char *path);
/* The last component of PATH ("" for "dir/"); PATH itself when it has no '/'. */
const char *path_basename(const char *path);
