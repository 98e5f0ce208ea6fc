/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "basic/util.h"

/*
 * Library code returns -errno and stays quiet; commands print one line that names
 * the cause and the fix. log_debug() is the exception, enabled with BUILDWARD_DEBUG=1.
 */
extern bool log_debug_enabled;
void log_init(void);
void log_error(const char *fmt, ...) _printf_(1, 2);
void log_warning(const char *fmt, ...) _printf_(1, 2);
void log_info(const char *fmt, ...) _printf_(1, 2);
void log_debug_impl(const char *fmt, ...) _printf_(1, 2);
/*
 * With BUILDWARD_DEBUG=1: "<CLOCK_MONOTONIC ms> [pid] WHAT", one line per setup
 * step, so the start of a build can be timed step by step (docs/benchmarks.md).
 */
void log_step_impl(const char *what);
#define log_step(what)                                                                                                 \
        do {                                                                                                           \
                if (log_debug_enabled)                                                                                 \
                        log_step_impl(what);                                                                           \
        } while (0)

#define log_debug(...)                                                                                                 \
        do {                                                                                                           \
                if (log_debug_enabled)                                                                                 \
                        log_debug_impl(__VA_ARGS__);                                                                   \
        } while (0)
