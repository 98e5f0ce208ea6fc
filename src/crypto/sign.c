/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <sys/stat.h>

#include "basic/util.h"
#include "crypto/sign.h"

static int write_pem(const char *path, mode_t mode, EVP_PKEY *key, bool private) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                return -errno;
        /* O_CREAT honours the umask; the mode must be exact whatever it is. */
        if (fchmod(fd, mode) < 0)
                return -errno;
        FILE *f = fdopen(fd, "w");
        if (!f)
                return -errno;
        TAKE_FD(fd);
        int ok = private ? sym_PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) : sym_PEM_write_PUBKEY(f, key);
        if (fflush(f) != 0 || fsync(fileno(f)) < 0)
                ok = 0;
        int saved = errno;
        fclose(f);
        if (!ok) {
                unlink(path);
                return saved ? -saved : -EIO;
        }
        return 0;
}

int key_generate(const char *path) {
        int r = dlopen_libcrypto();
        if (r < 0)
                return r;
        _cleanup_pkey_ EVP_PKEY *key = sym_EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        if (!key)
                return -ENOMEM;
        _cleanup_free_ char *pub = xasprintf("%s.pub", path);
        r = write_pem(path, 0600, key, true);
        if (r < 0)
                return r;
        r = write_pem(pub, 0644, key, false);
        if (r < 0) {
                unlink(path);
                return r;
        }
        return 0;
}

/* Hands KEY (read from a PEM file, maybe NULL) to *RET if it is an Ed25519 key; frees it otherwise. */
static int take_ed25519(EVP_PKEY *key, EVP_PKEY **ret) {
        sym_ERR_clear_error();
        if (!key || sym_EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
                evp_pkey_freep(&key);
                return -EKEYREJECTED;
        }
        *ret = key;
        return 0;
}

int key_load_private(const char *path, EVP_PKEY **ret) {
        int r = dlopen_libcrypto();
        if (r < 0)
                return r;
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        if (st.st_mode & 0077)
                return -EPERM;
        FILE *f = fdopen(fd, "r");
        if (!f)
                return -errno;
        TAKE_FD(fd);
        EVP_PKEY *key = sym_PEM_read_PrivateKey(f, NULL, NULL, NULL);
        fclose(f);
        return take_ed25519(key, ret);
}

int key_load_public(const char *path, EVP_PKEY **ret) {
        int r = dlopen_libcrypto();
        if (r < 0)
                return r;
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f)
                return -errno;
        EVP_PKEY *key = sym_PEM_read_PUBKEY(f, NULL, NULL, NULL);
        if (!key) {
                /* A private key file serves as its own public key. */
                rewind(f);
                key = sym_PEM_read_PrivateKey(f, NULL, NULL, NULL);
        }
        return take_ed25519(key, ret);
}

int key_id(EVP_PKEY *key, char ret[KEYID_HEX_SIZE]) {
        uint8_t raw[32], md[SHA256_DIGEST_LENGTH];
        size_t n = sizeof(raw);
        if (sym_EVP_PKEY_get_raw_public_key(key, raw, &n) != 1 || n != sizeof(raw)) {
                sym_ERR_clear_error();
                return -EKEYREJECTED;
        }
        sym_SHA256(raw, n, md);
        for (size_t i = 0; i < sizeof(md); i++)
                snprintf(ret + 2 * i, 3, "%02x", md[i]);
        return 0;
}

int sign_buffer(EVP_PKEY *key, const void *data, size_t n, uint8_t sig[SIGNATURE_SIZE]) {
        EVP_MD_CTX *ctx = sym_EVP_MD_CTX_new();
        if (!ctx)
                return -ENOMEM;
        size_t len = SIGNATURE_SIZE;
        /* Ed25519 is "one-shot": no digest, the whole message at once. */
        int ok = sym_EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1 &&
                 sym_EVP_DigestSign(ctx, sig, &len, data, n) == 1 && len == SIGNATURE_SIZE;
        sym_EVP_MD_CTX_free(ctx);
        sym_ERR_clear_error();
        return ok ? 0 : -EIO;
}

int verify_buffer(EVP_PKEY *key, const void *data, size_t n, const uint8_t *sig, size_t sig_len) {
        if (sig_len != SIGNATURE_SIZE)
                return -EBADMSG;
        EVP_MD_CTX *ctx = sym_EVP_MD_CTX_new();
        if (!ctx)
                return -ENOMEM;
        int ok = sym_EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1 &&
                 sym_EVP_DigestVerify(ctx, sig, sig_len, data, n) == 1;
        sym_EVP_MD_CTX_free(ctx);
        sym_ERR_clear_error();
        return ok ? 0 : -EBADMSG;
}
