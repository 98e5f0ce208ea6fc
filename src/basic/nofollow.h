/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <sys/types.h>

/*
 * Opens the directory PATH (absolute, or relative to the working directory)
 * without following a symbolic link anywhere on the way, creating the missing
 * directories with MODE. What openat2(RESOLVE_NO_SYMLINKS) does, done one
 * component at a time with O_NOFOLLOW so that it can create as it goes and
 * runs on kernels before 5.6.
 *
 * Returns an O_RDONLY|O_DIRECTORY|O_CLOEXEC fd, or -errno: -ELOOP when a
 * component is a symbolic link, -ENOTDIR when it is something else than a
 * directory. On those two, *RET_CULPRIT (when not NULL) is the path up to and
 * including that component, for the caller's message.
 */
int open_dir_nofollow(const char *path, mode_t mode, char **ret_culprit);
