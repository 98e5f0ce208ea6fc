/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>

#include "basic/log.h"

bool log_debug_enabled;

void log_init(void) {
        const char *e = getenv("BUILDWARD_DEBUG");
        log_debug_enabled = e && *e && !streq(e, "0");
}

static void log_v(const char *prefix, const char *fmt, va_list ap) {
        char buf[4096];
        int n = snprintf(buf, sizeof(buf), "buildward: %s", prefix);
        if (n < 0 || (size_t) n >= sizeof(buf))
                return;
        vsnprintf(buf + n, sizeof(buf) - (size_t) n, fmt, ap);
        /* One write so concurrent sandboxes never interleave half lines. */
        size_t l = strlen(buf);
        if (l + 1 < sizeof(buf))
                buf[l++] = '\n';
        (void) !write(STDERR_FILENO, buf, l);
}

#define DEFINE_LOG(name, prefix)                                                                                       \
        void name(const char *fmt, ...) {                                                                              \
                va_list ap;                                                                                            \
                va_start(ap, fmt);                                                                                     \
                log_v(prefix, fmt, ap);                                                                                \
                va_end(ap);                                                                                            \
        }

DEFINE_LOG(log_error, "error: ")
DEFINE_LOG(log_warning, "warning: ")
DEFINE_LOG(log_info, "")
DEFINE_LOG(log_debug_impl, "debug: ")

void log_step_impl(const char *what) {
        log_debug_impl("%.3f ms [%d] %s", (double) now_usec(CLOCK_MONOTONIC) / 1000.0, (int) getpid(), what);
}
