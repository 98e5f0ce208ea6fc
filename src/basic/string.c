/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "basic/string.h"

const char *errno_name(int err) {
        const char *n = strerrorname_np(err < 0 ? -err : err);
        return n ? n : "E?";
}
