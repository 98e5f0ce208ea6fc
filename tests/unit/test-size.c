/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>

#include "basic/size.h"
#include "tap.h"

TEST(parse_size_units) {
        uint64_t v = 0;
        ASSERT_EQ_INT(parse_size("4096", &v), 0);
        ASSERT_EQ_U64(v, 4096);
        ASSERT_EQ_INT(parse_size("64k", &v), 0);
        ASSERT_EQ_U64(v, 65536);
        ASSERT_EQ_INT(parse_size("512M", &v), 0);
        ASSERT_EQ_U64(v, 512ULL << 20);
        ASSERT_EQ_INT(parse_size("2G", &v), 0);
        ASSERT_EQ_U64(v, 2ULL << 30);
        ASSERT_EQ_INT(parse_size("1.5G", &v), 0);
        ASSERT_EQ_U64(v, 3ULL << 29);
        ASSERT_EQ_INT(parse_size("2GiB", &v), 0);
        ASSERT_EQ_U64(v, 2ULL << 30);
        ASSERT_EQ_INT(parse_size("1T", &v), 0);
        ASSERT_EQ_U64(v, 1ULL << 40);
}

TEST(parse_size_rejects) {
        uint64_t v = 42;
        ASSERT_EQ_INT(parse_size("", &v), -EINVAL);
        ASSERT_EQ_INT(parse_size("G", &v), -EINVAL);
        ASSERT_EQ_INT(parse_size("12X", &v), -EINVAL);
        ASSERT_EQ_INT(parse_size("-1M", &v), -EINVAL);
        ASSERT_EQ_INT(parse_size("1.5", &v), -EINVAL); /* fractional bytes */
        ASSERT_EQ_INT(parse_size("1M trailing", &v), -EINVAL);
        ASSERT_EQ_INT(parse_size("99999999999999999999", &v), -ERANGE);
        ASSERT_EQ_INT(parse_size("20000000000T", &v), -ERANGE);
        ASSERT_EQ_U64(v, 42); /* untouched on failure */
}

TEST(parse_decimal_milli) {
        uint64_t v;
        ASSERT_EQ_INT(parse_decimal_milli("1", &v), 0);
        ASSERT_EQ_U64(v, 1000);
        ASSERT_EQ_INT(parse_decimal_milli("0.5", &v), 0);
        ASSERT_EQ_U64(v, 500);
        ASSERT_EQ_INT(parse_decimal_milli("2.25", &v), 0);
        ASSERT_EQ_U64(v, 2250);
        ASSERT_EQ_INT(parse_decimal_milli("1.0009", &v), 0); /* beyond thousandths is dropped */
        ASSERT_EQ_U64(v, 1000);
        ASSERT_EQ_INT(parse_decimal_milli("abc", &v), -EINVAL);
        ASSERT_EQ_INT(parse_decimal_milli("1s", &v), -EINVAL);
        ASSERT_EQ_INT(parse_decimal_milli(".", &v), -EINVAL);
}

TEST(parse_uint) {
        uint64_t v;
        ASSERT_EQ_INT(parse_uint("64", 100, &v), 0);
        ASSERT_EQ_U64(v, 64);
        ASSERT_EQ_INT(parse_uint("101", 100, &v), -ERANGE);
        ASSERT_EQ_INT(parse_uint("+5", 100, &v), -EINVAL);
        ASSERT_EQ_INT(parse_uint("", 100, &v), -EINVAL);
        ASSERT_EQ_INT(parse_uint("18446744073709551616", UINT64_MAX, &v), -ERANGE);
}
