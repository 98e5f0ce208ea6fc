/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dlfcn.h>
#include <string.h>
#include <zlib.h>

#include "basic/dl.h"
#include "basic/util.h"
#include "tap.h"

/* zlib: on every Debian system (zlib1g), and its header comes with libbpf-dev. */
static struct {
        DL_FUNC(zlibVersion);
        DL_FUNC(crc32);
} z;

TEST(loads_and_resolves_by_name) {
        const struct dl_symbol syms[] = { DL_SYMBOL(z, zlibVersion), DL_SYMBOL(z, crc32) };
        _cleanup_free_ char *error = NULL;
        void *h = dl_open_symbols("libz.so.1", "zlib1g", syms, ELEMENTSOF(syms), &error);
        ASSERT_TRUE(h != NULL);
        ASSERT_TRUE(error == NULL);
        if (!h)
                return;
        ASSERT_TRUE(z.zlibVersion() != NULL && z.zlibVersion()[0] == '1');
        ASSERT_EQ_INT(z.crc32(0, (const unsigned char *) "buildward", 9), 0x95adb2e5UL);
        dlclose(h);
}

TEST(a_missing_library_names_the_package) {
        struct {
                DL_FUNC(zlibVersion);
        } t = {};
        const struct dl_symbol syms[] = { DL_SYMBOL(t, zlibVersion) };
        _cleanup_free_ char *error = NULL;
        ASSERT_TRUE(dl_open_symbols("libbuildward-no-such.so.9", "no-such-package", syms, 1, &error) == NULL);
        ASSERT_TRUE(error && strstr(error, "cannot load libbuildward-no-such.so.9") &&
                    strstr(error, "install Debian's no-such-package package"));
        ASSERT_TRUE(t.zlibVersion == NULL);
}

/* Declared only to borrow its type: no library has it. */
int buildward_no_such_symbol(void);

TEST(a_missing_symbol_leaves_no_pointer_set) {
        struct {
                DL_FUNC(zlibVersion);
                DL_FUNC(buildward_no_such_symbol);
        } t = {};
        const struct dl_symbol syms[] = { DL_SYMBOL(t, zlibVersion), DL_SYMBOL(t, buildward_no_such_symbol) };
        _cleanup_free_ char *error = NULL;
        ASSERT_TRUE(dl_open_symbols("libz.so.1", "zlib1g", syms, ELEMENTSOF(syms), &error) == NULL);
        ASSERT_TRUE(error && strstr(error, "libz.so.1 has no buildward_no_such_symbol"));
        ASSERT_TRUE(t.zlibVersion == NULL);
}
