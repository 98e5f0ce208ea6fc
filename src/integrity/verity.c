/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <linux/fsverity.h>
#include <sys/ioctl.h>

#include "basic/util.h"
#include "crypto/openssl-dl.h"
#include "integrity/verity.h"

#define HASH_SIZE        32 /* SHA-256 */
#define HASHES_PER_BLOCK (VERITY_BLOCK_SIZE / HASH_SIZE)
/* 2^64 bytes are 2^52 blocks; 128^8 = 2^56 covers them. */
#define MAX_LEVELS 8
/* Large enough that the per-read syscall vanishes next to hashing, small enough for L2. */
#define READ_BUF_SIZE (256 * 1024)

struct verity_hasher {
        EVP_MD *md;
        EVP_MD_CTX *ctx;
        uint8_t *buf;
        unsigned n_levels;
        size_t fill[MAX_LEVELS];
        uint8_t level[MAX_LEVELS][VERITY_BLOCK_SIZE];
        uint8_t root[HASH_SIZE];
        /* zero[k]: the hash of a subtree over 128^k all-zero data blocks. */
        uint8_t zero[MAX_LEVELS][HASH_SIZE];
};

static int sha256(struct verity_hasher *h, const void *data, size_t n, uint8_t out[HASH_SIZE]) {
        /* Init with the fetched MD: no name lookup per block, which would cost ~10% at 4 KiB. */
        if (sym_EVP_DigestInit_ex2(h->ctx, h->md, NULL) != 1 || sym_EVP_DigestUpdate(h->ctx, data, n) != 1 ||
            sym_EVP_DigestFinal_ex(h->ctx, out, NULL) != 1)
                return -EIO;
        return 0;
}

void verity_hasher_free(struct verity_hasher *h) {
        if (!h)
                return;
        sym_EVP_MD_CTX_free(h->ctx);
        sym_EVP_MD_free(h->md);
        free(h->buf);
        free(h);
}

int verity_hasher_new(struct verity_hasher **ret) {
        int r = dlopen_libcrypto();
        if (r < 0)
                return r;
        struct verity_hasher *h = xcalloc(1, sizeof(*h));
        h->md = sym_EVP_MD_fetch(NULL, "SHA256", NULL);
        h->ctx = sym_EVP_MD_CTX_new();
        if (posix_memalign((void **) &h->buf, 4096, READ_BUF_SIZE) != 0)
                h->buf = NULL;
        if (!h->md || !h->ctx || !h->buf) {
                verity_hasher_free(h);
                return -ENOMEM;
        }
        memset(h->buf, 0, VERITY_BLOCK_SIZE);
        r = sha256(h, h->buf, VERITY_BLOCK_SIZE, h->zero[0]);
        for (unsigned k = 1; r == 0 && k < MAX_LEVELS; k++) {
                for (unsigned i = 0; i < HASHES_PER_BLOCK; i++)
                        memcpy(h->level[0] + i * HASH_SIZE, h->zero[k - 1], HASH_SIZE);
                r = sha256(h, h->level[0], VERITY_BLOCK_SIZE, h->zero[k]);
        }
        if (r < 0) {
                verity_hasher_free(h);
                return r;
        }
        *ret = h;
        return 0;
}

static int push(struct verity_hasher *h, unsigned lvl, const uint8_t hash[HASH_SIZE]);

/* Hashes the (zero-padded) block of level LVL into the level above, or into the root. */
static int emit(struct verity_hasher *h, unsigned lvl) {
        uint8_t out[HASH_SIZE];
        memset(h->level[lvl] + h->fill[lvl] * HASH_SIZE, 0, VERITY_BLOCK_SIZE - h->fill[lvl] * HASH_SIZE);
        h->fill[lvl] = 0;
        int r = sha256(h, h->level[lvl], VERITY_BLOCK_SIZE, out);
        if (r < 0)
                return r;
        if (lvl + 1 == h->n_levels) {
                memcpy(h->root, out, HASH_SIZE);
                return 0;
        }
        return push(h, lvl + 1, out);
}

static int push(struct verity_hasher *h, unsigned lvl, const uint8_t hash[HASH_SIZE]) {
        if (h->n_levels == 0) { /* one data block: its hash is the root */
                memcpy(h->root, hash, HASH_SIZE);
                return 0;
        }
        memcpy(h->level[lvl] + h->fill[lvl] * HASH_SIZE, hash, HASH_SIZE);
        if (++h->fill[lvl] == HASHES_PER_BLOCK)
                return emit(h, lvl);
        return 0;
}

/* Hashes N bytes of data blocks at h->buf; a partial last block is zero-padded in place. */
static int hash_blocks(struct verity_hasher *h, size_t n) {
        size_t padded = (n + VERITY_BLOCK_SIZE - 1) & ~(size_t) (VERITY_BLOCK_SIZE - 1);
        memset(h->buf + n, 0, padded - n);
        for (size_t o = 0; o < padded; o += VERITY_BLOCK_SIZE) {
                uint8_t out[HASH_SIZE];
                int r = sha256(h, h->buf + o, VERITY_BLOCK_SIZE, out);
                if (r < 0 || (r = push(h, 0, out)) < 0)
                        return r;
        }
        return 0;
}

/*
 * COUNT all-zero data blocks starting at block BLOCK: each aligned run of 128^k
 * blocks is one push of the precomputed zero[k] at level k (the levels below are
 * empty exactly when BLOCK is a multiple of 128^k).
 */
static int push_zero_blocks(struct verity_hasher *h, uint64_t block, uint64_t count) {
        while (count > 0) {
                unsigned k = 0;
                uint64_t span = 1;
                while (k + 1 < h->n_levels && block % (span * HASHES_PER_BLOCK) == 0 &&
                       count >= span * HASHES_PER_BLOCK) {
                        span *= HASHES_PER_BLOCK;
                        k++;
                }
                int r = push(h, k, h->zero[k]);
                if (r < 0)
                        return r;
                block += span;
                count -= span;
        }
        return 0;
}

/* Reads and hashes [OFF, END) of FD; END is a block boundary or the file size. */
static int hash_range(struct verity_hasher *h, int fd, uint64_t off, uint64_t end) {
        while (off < end) {
                size_t want = end - off < READ_BUF_SIZE ? (size_t) (end - off) : READ_BUF_SIZE, got = 0;
                while (got < want) {
                        ssize_t k = pread(fd, h->buf + got, want - got, (off_t) (off + got));
                        if (k < 0) {
                                if (errno == EINTR)
                                        continue;
                                return -errno;
                        }
                        if (k == 0)
                                return -ESTALE;
                        got += (size_t) k;
                }
                int r = hash_blocks(h, got);
                if (r < 0)
                        return r;
                off += got;
        }
        return 0;
}

/* Data and holes: holes are never read (SEEK_DATA/SEEK_HOLE, any filesystem that has them). */
static int hash_sparse(struct verity_hasher *h, int fd, uint64_t size) {
        uint64_t nblocks = (size + VERITY_BLOCK_SIZE - 1) / VERITY_BLOCK_SIZE, off = 0;
        while (off < size) {
                off_t data = lseek(fd, (off_t) off, SEEK_DATA);
                if (data < 0) {
                        if (errno != ENXIO)
                                return -errno;
                        data = (off_t) size; /* a hole up to the end */
                }
                uint64_t zb = (uint64_t) data >= size ? nblocks - off / VERITY_BLOCK_SIZE
                                                      : ((uint64_t) data - off) / VERITY_BLOCK_SIZE;
                if (zb > 0) {
                        int r = push_zero_blocks(h, off / VERITY_BLOCK_SIZE, zb);
                        if (r < 0)
                                return r;
                        off += zb * VERITY_BLOCK_SIZE;
                        if (off >= size)
                                break;
                }
                off_t hole = lseek(fd, (off_t) off, SEEK_HOLE);
                uint64_t end = hole < 0 || (uint64_t) hole > size ? size : (uint64_t) hole;
                /* Up to the block holding the hole's start: part of it may be data. */
                end = (end + VERITY_BLOCK_SIZE - 1) & ~(uint64_t) (VERITY_BLOCK_SIZE - 1);
                if (end > size)
                        end = size;
                if (end <= off)
                        end = off + VERITY_BLOCK_SIZE < size ? off + VERITY_BLOCK_SIZE : size;
                int r = hash_range(h, fd, off, end);
                if (r < 0)
                        return r;
                off = end;
        }
        return 0;
}

static void start(struct verity_hasher *h, uint64_t size) {
        uint64_t n = (size + VERITY_BLOCK_SIZE - 1) / VERITY_BLOCK_SIZE;
        h->n_levels = 0;
        while (n > 1) {
                n = (n + HASHES_PER_BLOCK - 1) / HASHES_PER_BLOCK;
                h->n_levels++;
        }
        memset(h->fill, 0, sizeof(h->fill));
        memset(h->root, 0, sizeof(h->root)); /* an empty file's root hash is all zeros */
}

/* Flushes the partial level blocks upward and hashes the fsverity_descriptor. */
static int finish(struct verity_hasher *h, uint64_t size, uint8_t ret[VERITY_DIGEST_SIZE]) {
        for (unsigned l = 0; l < h->n_levels; l++)
                if (h->fill[l] > 0) {
                        int r = emit(h, l);
                        if (r < 0)
                                return r;
                }
        /* struct fsverity_descriptor, little-endian, salt and reserved fields zero. */
        uint8_t desc[256] = { 1, FS_VERITY_HASH_ALG_SHA256, 12, 0 };
        for (unsigned i = 0; i < 8; i++)
                desc[8 + i] = (uint8_t) (size >> (8 * i));
        memcpy(desc + 16, h->root, HASH_SIZE);
        return sha256(h, desc, sizeof(desc), ret);
}

int verity_digest_fd(struct verity_hasher *h, int fd, uint64_t size, unsigned flags, uint8_t ret[VERITY_DIGEST_SIZE]) {
        start(h, size);
        off_t hole = size > VERITY_BLOCK_SIZE && !(flags & VERITY_DENSE) ? lseek(fd, 0, SEEK_HOLE) : -1;
        int r = hole >= 0 && (uint64_t) hole < size ? hash_sparse(h, fd, size) : hash_range(h, fd, 0, size);
        if (r < 0)
                return r;
        return finish(h, size, ret);
}

int verity_digest_buffer(struct verity_hasher *h, const void *data, size_t n, uint8_t ret[VERITY_DIGEST_SIZE]) {
        start(h, n);
        for (size_t o = 0; o < n;) {
                size_t k = n - o < READ_BUF_SIZE ? n - o : READ_BUF_SIZE;
                memcpy(h->buf, (const uint8_t *) data + o, k);
                int r = hash_blocks(h, k);
                if (r < 0)
                        return r;
                o += k;
        }
        return finish(h, n, ret);
}

int verity_measure_kernel(int fd, uint8_t ret[VERITY_DIGEST_SIZE]) {
        /* struct fsverity_digest ends in a flexible array: room for the largest digest (SHA-512). */
        _Alignas(struct fsverity_digest) uint8_t buf[sizeof(struct fsverity_digest) + 64] = {};
        struct fsverity_digest *m = (struct fsverity_digest *) buf;
        m->digest_size = 64;
        if (ioctl(fd, FS_IOC_MEASURE_VERITY, m) < 0)
                return -errno;
        if (m->digest_algorithm != FS_VERITY_HASH_ALG_SHA256 || m->digest_size != VERITY_DIGEST_SIZE)
                return -ENODATA;
        /* The digest depends on block size and salt too: only ours compare with a manifest. */
        struct fsverity_descriptor desc = {};
        struct fsverity_read_metadata_arg arg = {
                .metadata_type = FS_VERITY_METADATA_TYPE_DESCRIPTOR,
                .length = sizeof(desc),
                .buf_ptr = (uint64_t) (uintptr_t) &desc,
        };
        if (ioctl(fd, FS_IOC_READ_VERITY_METADATA, &arg) < 0 || desc.log_blocksize != 12 || desc.salt_size != 0)
                return -ENODATA;
        memcpy(ret, m->digest, VERITY_DIGEST_SIZE);
        return 0;
}

void verity_format(const uint8_t d[VERITY_DIGEST_SIZE], char ret[VERITY_DIGEST_HEX]) {
        static const char hex[] = "0123456789abcdef";
        memcpy(ret, "sha256:", 7);
        for (unsigned i = 0; i < VERITY_DIGEST_SIZE; i++) {
                ret[7 + 2 * i] = hex[d[i] >> 4];
                ret[8 + 2 * i] = hex[d[i] & 15];
        }
        ret[VERITY_DIGEST_HEX - 1] = 0;
}

static int unhex(char c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int verity_parse(const char *s, uint8_t ret[VERITY_DIGEST_SIZE]) {
        const char *p = startswith(s, "sha256:");
        if (!p || strlen(p) != 2 * VERITY_DIGEST_SIZE)
                return -EINVAL;
        uint8_t d[VERITY_DIGEST_SIZE];
        for (unsigned i = 0; i < VERITY_DIGEST_SIZE; i++) {
                int hi = unhex(p[2 * i]), lo = unhex(p[2 * i + 1]);
                if (hi < 0 || lo < 0)
                        return -EINVAL; /* lowercase only: one spelling per digest */
                d[i] = (uint8_t) (hi << 4 | lo);
        }
        memcpy(ret, d, VERITY_DIGEST_SIZE);
        return 0;
}
