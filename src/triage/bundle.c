/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "basic/dl.h"
#include "basic/util.h"
#include "crypto/hash.h"
#include "crypto/sign.h"
#include "triage/triage.h"

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Every regular file below DIR_FD/REL ("" for the top), as relative paths. */
static void list_files(int dir_fd, const char *rel, char ***files) {
        DIR *d = opendir_at(dir_fd, rel[0] ? rel : ".");
        if (!d)
                return;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (dot_or_dotdot(de->d_name))
                        continue;
                struct stat st;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                char *p = rel[0] ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
                if (S_ISDIR(st.st_mode)) {
                        list_files(dir_fd, p, files);
                        free(p);
                } else if (S_ISREG(st.st_mode))
                        strv_push(files, p);
                else
                        free(p);
        }
        closedir(d);
}

static bool manifest_file(const char *p) {
        return streq(p, "MANIFEST.sha256") || streq(p, "MANIFEST.sha256.sig");
}

int bundle_manifest(int out_fd, size_t *ret_files) {
        _cleanup_strv_free_ char **files = xcalloc(1, sizeof(char *));
        list_files(out_fd, "", &files);
        size_t n = strv_length(files);
        qsort(files, n, sizeof(char *), cmp_str);
        _cleanup_free_ char *text = NULL;
        size_t len = 0, count = 0;
        FILE *f = open_memstream(&text, &len);
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                if (manifest_file(files[i]))
                        continue;
                /* sha256sum -c reads one name per line: a name with a newline cannot be listed safely. */
                if (strchr(files[i], '\n') || strchr(files[i], '\\'))
                        continue;
                _cleanup_close_ int fd = openat(out_fd, files[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                char hex[65];
                if (fd < 0 || sha256_fd(fd, hex, NULL) < 0) {
                        fclose(f);
                        return fd < 0 ? -errno : -EIO;
                }
                fprintf(f, "%s  ./%s\n", hex, files[i]);
                count++;
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        (void) unlinkat(out_fd, "MANIFEST.sha256", 0);
        int r = write_file_at(out_fd, "MANIFEST.sha256", text ? text : "", O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
        if (r < 0)
                return r;
        if (ret_files)
                *ret_files = count;
        return 0;
}

int bundle_sign(int out_fd, const char *key_path, char ret_keyid[65]) {
        _cleanup_pkey_ EVP_PKEY *key = NULL;
        int r = key_load_private(key_path, &key);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = openat(out_fd, "MANIFEST.sha256", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        _cleanup_free_ char *text = NULL;
        size_t n;
        r = read_full_fd(fd, &text, &n, 256 << 20);
        if (r < 0)
                return r;
        uint8_t sig[SIGNATURE_SIZE];
        r = sign_buffer(key, text, n, sig);
        if (r < 0)
                return r;
        r = key_id(key, ret_keyid);
        if (r < 0)
                return r;
        _cleanup_close_ int sfd =
                openat(out_fd, "MANIFEST.sha256.sig", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (sfd < 0)
                return -errno;
        return loop_write(sfd, sig, sizeof(sig));
}

/*
 * libarchive through dlopen(): its static chain needs libacl.a and liblz4.a,
 * which Debian does not ship, and linking it dynamically would make every
 * `buildward run` pay for loading it and its eight dependencies. Only
 * `triage --archive` loads it. The prototypes come from archive.h.
 */
struct archive_api {
        void *handle;
        DL_FUNC(archive_write_new);
        DL_FUNC(archive_write_set_format_pax_restricted);
        DL_FUNC(archive_write_add_filter_zstd);
        DL_FUNC(archive_write_open_filename);
        DL_FUNC(archive_write_header);
        DL_FUNC(archive_write_data);
        DL_FUNC(archive_write_close);
        DL_FUNC(archive_write_free);
        DL_FUNC(archive_error_string);
        DL_FUNC(archive_entry_new);
        DL_FUNC(archive_entry_free);
        DL_FUNC(archive_entry_set_pathname);
        DL_FUNC(archive_entry_set_size);
        DL_FUNC(archive_entry_set_filetype);
        DL_FUNC(archive_entry_set_perm);
        DL_FUNC(archive_entry_set_mtime);
};

static int archive_api_load(struct archive_api *a, char **ret_error) {
        const struct dl_symbol syms[] = {
                DL_SYMBOL(*a, archive_write_new),
                DL_SYMBOL(*a, archive_write_set_format_pax_restricted),
                DL_SYMBOL(*a, archive_write_add_filter_zstd),
                DL_SYMBOL(*a, archive_write_open_filename),
                DL_SYMBOL(*a, archive_write_header),
                DL_SYMBOL(*a, archive_write_data),
                DL_SYMBOL(*a, archive_write_close),
                DL_SYMBOL(*a, archive_write_free),
                DL_SYMBOL(*a, archive_error_string),
                DL_SYMBOL(*a, archive_entry_new),
                DL_SYMBOL(*a, archive_entry_free),
                DL_SYMBOL(*a, archive_entry_set_pathname),
                DL_SYMBOL(*a, archive_entry_set_size),
                DL_SYMBOL(*a, archive_entry_set_filetype),
                DL_SYMBOL(*a, archive_entry_set_perm),
                DL_SYMBOL(*a, archive_entry_set_mtime),
        };
        a->handle = dl_open_symbols("libarchive.so.13", "libarchive13", syms, ELEMENTSOF(syms), ret_error);
        return a->handle ? 0 : -ELIBACC;
}

int bundle_archive(const char *dir, const char *archive_path, char **ret_error) {
        struct archive_api api = {};
        int r = archive_api_load(&api, ret_error);
        if (r < 0)
                return r;
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0) {
                dlclose(api.handle);
                return -errno;
        }
        _cleanup_strv_free_ char **files = xcalloc(1, sizeof(char *));
        list_files(dfd, "", &files);
        size_t n = strv_length(files);
        qsort(files, n, sizeof(char *), cmp_str);
        /* Entries under one top directory named like the bundle, so unpacking never spills. */
        const char *top = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
        struct archive *a = api.archive_write_new();
        r = 0;
        if (!a || api.archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
            api.archive_write_add_filter_zstd(a) != ARCHIVE_OK ||
            api.archive_write_open_filename(a, archive_path) != ARCHIVE_OK) {
                *ret_error = xstrdup(a ? api.archive_error_string(a) ? api.archive_error_string(a) : "unknown error"
                                       : "out of memory");
                r = -EIO;
                goto out;
        }
        static char buf[1 << 16];
        for (size_t i = 0; i < n && r == 0; i++) {
                _cleanup_close_ int fd = openat(dfd, files[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                struct stat st;
                if (fd < 0 || fstat(fd, &st) < 0)
                        continue;
                struct archive_entry *e = api.archive_entry_new();
                _cleanup_free_ char *name = xasprintf("%s/%s", top, files[i]);
                api.archive_entry_set_pathname(e, name);
                api.archive_entry_set_size(e, st.st_size);
                api.archive_entry_set_filetype(e, AE_IFREG);
                api.archive_entry_set_perm(e, st.st_mode & 0644);
                api.archive_entry_set_mtime(e, st.st_mtime, 0);
                if (api.archive_write_header(a, e) != ARCHIVE_OK) {
                        *ret_error = xstrdup(api.archive_error_string(a) ? api.archive_error_string(a)
                                                                         : "cannot write a header");
                        r = -EIO;
                }
                /* Never more than the size announced in the header. */
                int64_t left = st.st_size;
                while (r == 0 && left > 0) {
                        ssize_t k = read(fd, buf, sizeof(buf) < (size_t) left ? sizeof(buf) : (size_t) left);
                        if (k <= 0)
                                break;
                        if (api.archive_write_data(a, buf, (size_t) k) < 0) {
                                *ret_error = xstrdup(api.archive_error_string(a) ? api.archive_error_string(a)
                                                                                 : "write failed");
                                r = -EIO;
                        }
                        left -= k;
                }
                api.archive_entry_free(e);
        }
        if (r == 0 && api.archive_write_close(a) != ARCHIVE_OK) {
                *ret_error = xstrdup(api.archive_error_string(a) ? api.archive_error_string(a)
                                                                 : "cannot finish the archive");
                r = -EIO;
        }
out:
        if (a)
                api.archive_write_free(a);
        dlclose(api.handle);
        return r;
}
