/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <unistd.h>

#include "basic/alloc.h"
#include "basic/fd.h"
#include "crypto/hash.h"
#include "crypto/openssl-dl.h"

/*
 * The read buffer comes from the heap, not from thread-local storage: a big TLS
 * block is zeroed at every exec and every thread start, and paid for at every
 * fork, by all of buildward's commands whether they hash or not.
 */
int digest_fd(int fd, const char *md_name, int copy_fd, uint64_t copy_max, char *ret_hex, uint64_t *ret_size) {
        enum { BUF_SIZE = 1 << 16 }; /* below malloc's mmap threshold: reused, not mapped per call */
        int r = dlopen_libcrypto();
        if (r < 0)
                return r;
        _cleanup_free_ char *buf = malloc(BUF_SIZE);
        EVP_MD *md = sym_EVP_MD_fetch(NULL, md_name, NULL);
        EVP_MD_CTX *ctx = sym_EVP_MD_CTX_new();
        if (!buf || !md || !ctx || sym_EVP_DigestInit_ex2(ctx, md, NULL) != 1) {
                sym_EVP_MD_CTX_free(ctx);
                sym_EVP_MD_free(md);
                return -ENOMEM;
        }
        uint64_t total = 0;
        for (;;) {
                ssize_t k = read(fd, buf, BUF_SIZE);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        r = -errno;
                        break;
                }
                if (k == 0)
                        break;
                sym_EVP_DigestUpdate(ctx, buf, (size_t) k);
                if (copy_fd >= 0 && total < copy_max) {
                        uint64_t w = (uint64_t) k < copy_max - total ? (uint64_t) k : copy_max - total;
                        r = loop_write(copy_fd, buf, (size_t) w);
                        if (r < 0)
                                break;
                }
                total += (uint64_t) k;
        }
        unsigned char d[EVP_MAX_MD_SIZE];
        unsigned dl = 0;
        sym_EVP_DigestFinal_ex(ctx, d, &dl);
        sym_EVP_MD_CTX_free(ctx);
        sym_EVP_MD_free(md);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < dl; i++)
                snprintf(ret_hex + 2 * i, 3, "%02x", d[i]);
        if (ret_size)
                *ret_size = total;
        return 0;
}

int sha256_fd(int fd, char ret_hex[65], uint64_t *ret_size) {
        return digest_fd(fd, "SHA256", -EBADF, 0, ret_hex, ret_size);
}
