/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Attributes, array sizes, and the cleanup machinery every other basic/ header builds on. */
#include <errno.h>
#include <stddef.h>

#define ELEMENTSOF(x)  (sizeof(x) / sizeof((x)[0]))
#define _cleanup_(f)   __attribute__((cleanup(f)))
#define _unused_       __attribute__((unused))
#define _noreturn_     __attribute__((noreturn))
#define _printf_(a, b) __attribute__((format(printf, a, b)))

/*
 * FUNC##p(TYPE *p): calls FUNC(*p) unless *p is NULL, the shape of a cleanup
 * attribute's destructor (systemd's DEFINE_TRIVIAL_CLEANUP_FUNC). _NAMED
 * chooses the destructor's name, for FUNC that is not a plain identifier's
 * stem (a sym_ pointer of crypto/openssl-dl.h).
 */
#define DEFINE_TRIVIAL_CLEANUP_FUNC_NAMED(name, type, func)                                                            \
        static inline void name(type *p) {                                                                             \
                if (*p)                                                                                                \
                        func(*p);                                                                                      \
        }
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func) DEFINE_TRIVIAL_CLEANUP_FUNC_NAMED(func##p, type, func)

/* Ownership transfer out of a cleanup variable. */
#define TAKE_PTR(p)                                                                                                    \
        ({                                                                                                             \
                __typeof__(p) _t = (p);                                                                                \
                (p) = NULL;                                                                                            \
                _t;                                                                                                    \
        })
#define TAKE_FD(fd)                                                                                                    \
        ({                                                                                                             \
                int _t = (fd);                                                                                         \
                (fd) = -EBADF;                                                                                         \
                _t;                                                                                                    \
        })
