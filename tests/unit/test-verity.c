/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fs-verity digests: fixed vectors printed by `fsverity digest` (fsverity-utils
 * 1.5), the streaming tree against whole buffers, and the hole shortcut against
 * the same bytes written out. Comparisons with the fsverity tool itself over a
 * generated tree and /usr/lib/gcc are in tests/integration/t-integrity.sh.
 */
#include <sys/stat.h>

#include "integrity/verity.h"
#include "test-fs.h"

static char *digest_of_buffer(const void *data, size_t n) {
        _cleanup_verity_hasher_ struct verity_hasher *h = NULL;
        uint8_t d[VERITY_DIGEST_SIZE];
        char hex[VERITY_DIGEST_HEX];
        ASSERT_EQ_INT(verity_hasher_new(&h), 0);
        ASSERT_EQ_INT(verity_digest_buffer(h, data, n, d), 0);
        verity_format(d, hex);
        return xstrdup(hex);
}

static char *digest_of_file_flags(const char *path, unsigned flags) {
        _cleanup_verity_hasher_ struct verity_hasher *h = NULL;
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        uint8_t d[VERITY_DIGEST_SIZE];
        char hex[VERITY_DIGEST_HEX];
        ASSERT_TRUE(fd >= 0 && fstat(fd, &st) == 0);
        ASSERT_EQ_INT(verity_hasher_new(&h), 0);
        ASSERT_EQ_INT(verity_digest_fd(h, fd, (uint64_t) st.st_size, flags, d), 0);
        verity_format(d, hex);
        return xstrdup(hex);
}

static char *digest_of_file(const char *path) {
        return digest_of_file_flags(path, 0);
}

/* A deterministic, non-repeating byte pattern. */
static uint8_t *pattern(size_t n) {
        uint8_t *p = xmalloc(n);
        uint32_t x = 2463534242u;
        for (size_t i = 0; i < n; i++) {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                p[i] = (uint8_t) x;
        }
        return p;
}

TEST(fixed_vectors) {
        /* `fsverity digest` of: an empty file, "a", 4096 zero bytes, 4097 zero bytes. */
        _cleanup_free_ char *empty = digest_of_buffer("", 0), *a = digest_of_buffer("a", 1);
        ASSERT_STREQ(empty, "sha256:3d248ca542a24fc62d1c43b916eae5016878e2533c88238480b26128a1f1af95");
        ASSERT_STREQ(a, "sha256:bce75948b9e7510293f8f2720412af9697c1479281323f3f220623fb8e94b557");
        _cleanup_free_ uint8_t *zeros = xcalloc(1, 128 * 4096 + 1);
        _cleanup_free_ char *z4096 = digest_of_buffer(zeros, 4096), *z4097 = digest_of_buffer(zeros, 4097);
        ASSERT_STREQ(z4096, "sha256:babc284ee4ffe7f449377fbf6692715b43aec7bc39c094a95878904d34bac97e");
        ASSERT_STREQ(z4097, "sha256:093756e4ea9683329106d4a16982682ed182c14bf076463a9e7f97305cbac743");
}

TEST(format_and_parse) {
        uint8_t d[VERITY_DIGEST_SIZE], back[VERITY_DIGEST_SIZE];
        char hex[VERITY_DIGEST_HEX];
        for (unsigned i = 0; i < sizeof(d); i++)
                d[i] = (uint8_t) (i * 37 + 11);
        verity_format(d, hex);
        ASSERT_EQ_INT(verity_parse(hex, back), 0);
        ASSERT_TRUE(memcmp(d, back, sizeof(d)) == 0);
        hex[10] = 'A'; /* one spelling: lowercase only */
        ASSERT_EQ_INT(verity_parse(hex, back), -EINVAL);
        ASSERT_EQ_INT(verity_parse("sha512:00", back), -EINVAL);
        ASSERT_EQ_INT(verity_parse("sha256:00", back), -EINVAL);
}

/* Every size class through a file and through a buffer: the two paths must agree. */
TEST(file_equals_buffer_for_every_size_class) {
        static const size_t sizes[] = {
                0, 1, 4095, 4096, 4097, 128 * 4096, 128 * 4096 + 1, 129 * 4096, 300 * 1024 + 7
        };
        char *dir = tmpdir();
        _cleanup_free_ uint8_t *p = pattern(600 * 1024);
        _cleanup_free_ char *path = xasprintf("%s/f", dir);
        for (size_t i = 0; i < ELEMENTSOF(sizes); i++) {
                _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                ASSERT_EQ_INT(loop_write(fd, p, sizes[i]), 0);
                _cleanup_free_ char *a = digest_of_file(path), *b = digest_of_buffer(p, sizes[i]);
                ASSERT_STREQ(a, b);
        }
        /* Different sizes of the same prefix give different digests (the size is in the descriptor). */
        _cleanup_free_ char *x = digest_of_buffer(p, 4096), *y = digest_of_buffer(p, 4097);
        ASSERT_TRUE(!streq(x, y));
        cleanup_dir(dir);
}

/*
 * Holes are never read but folded into precomputed zero subtrees: a sparse file
 * must digest exactly like the same bytes written out, across two tree levels
 * (> 128*128 blocks, i.e. > 64 MiB) and with data at unaligned offsets.
 */
TEST(sparse_equals_dense) {
        char *dir = tmpdir();
        _cleanup_free_ char *sp = xasprintf("%s/sparse", dir), *de = xasprintf("%s/dense", dir);
        const uint64_t size = 128ULL * 128 * 4096 + 3 * 4096 + 17;
        const uint64_t at[] = { 5, 4096 * 200 + 1, 128ULL * 128 * 4096 - 2, size - 9 };
        _cleanup_close_ int s = open(sp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        _cleanup_close_ int d = open(de, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        ASSERT_EQ_INT(ftruncate(s, (off_t) size), 0);
        _cleanup_free_ uint8_t *buf = xcalloc(1, 1 << 20);
        for (uint64_t o = 0; o < size; o += 1 << 20)
                ASSERT_EQ_INT(loop_write(d, buf, size - o < (1 << 20) ? size - o : 1 << 20), 0);
        for (size_t i = 0; i < ELEMENTSOF(at); i++) {
                ASSERT_EQ_INT(pwrite(s, "data!", 5, (off_t) at[i]), 5);
                ASSERT_EQ_INT(pwrite(d, "data!", 5, (off_t) at[i]), 5);
        }
        struct stat st;
        ASSERT_EQ_INT(fstat(s, &st), 0);
        ASSERT_TRUE((uint64_t) st.st_blocks * 512 < size / 4); /* the filesystem kept the holes */
        _cleanup_free_ char *a = digest_of_file(sp), *b = digest_of_file(de);
        ASSERT_STREQ(a, b);
        /* VERITY_DENSE is a hint: the holes, read as zeros instead of skipped, give the same digest. */
        _cleanup_free_ char *a_read = digest_of_file_flags(sp, VERITY_DENSE);
        ASSERT_STREQ(a_read, a);
        /* An all-hole file of several levels, against its dense twin. */
        ASSERT_EQ_INT(ftruncate(s, 0), 0);
        ASSERT_EQ_INT(ftruncate(s, (off_t) size), 0);
        ASSERT_EQ_INT(ftruncate(d, 0), 0);
        ASSERT_EQ_INT(lseek(d, 0, SEEK_SET), 0);
        for (uint64_t o = 0; o < size; o += 1 << 20)
                ASSERT_EQ_INT(loop_write(d, buf, size - o < (1 << 20) ? size - o : 1 << 20), 0);
        _cleanup_free_ char *c = digest_of_file(sp), *e = digest_of_file(de);
        ASSERT_STREQ(c, e);
        ASSERT_TRUE(!streq(a, c));
        cleanup_dir(dir);
}

TEST(file_shorter_than_announced_is_stale) {
        char *dir = tmpdir();
        put(dir, "f", "short");
        _cleanup_free_ char *path = xasprintf("%s/f", dir);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        _cleanup_verity_hasher_ struct verity_hasher *h = NULL;
        uint8_t d[VERITY_DIGEST_SIZE];
        ASSERT_EQ_INT(verity_hasher_new(&h), 0);
        ASSERT_EQ_INT(verity_digest_fd(h, fd, 5000, 0, d), -ESTALE);
        /* The hasher is reusable after a failure. */
        ASSERT_EQ_INT(verity_digest_fd(h, fd, 5, 0, d), 0);
        cleanup_dir(dir);
}

TEST(kernel_measure_without_verity) {
        char *dir = tmpdir();
        put(dir, "f", "x");
        _cleanup_free_ char *path = xasprintf("%s/f", dir);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        uint8_t d[VERITY_DIGEST_SIZE];
        /* This file has no verity (and many kernels have none): never a digest, always an error. */
        ASSERT_TRUE(verity_measure_kernel(fd, d) < 0);
        cleanup_dir(dir);
}
