/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "basic/util.h"
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
        __typeof__(archive_write_new) *write_new;
        __typeof__(archive_write_set_format_pax_restricted) *set_format;
        __typeof__(archive_write_add_filter_zstd) *add_zstd;
        __typeof__(archive_write_open_filename) *open_filename;
        __typeof__(archive_write_header) *write_header;
        __typeof__(archive_write_data) *write_data;
        __typeof__(archive_write_close) *write_close;
        __typeof__(archive_write_free) *write_free;
        __typeof__(archive_error_string) *error_string;
        __typeof__(archive_entry_new) *entry_new;
        __typeof__(archive_entry_free) *entry_free;
        __typeof__(archive_entry_set_pathname) *entry_set_pathname;
        __typeof__(archive_entry_set_size) *entry_set_size;
        __typeof__(archive_entry_set_filetype) *entry_set_filetype;
        __typeof__(archive_entry_set_perm) *entry_set_perm;
        __typeof__(archive_entry_set_mtime) *entry_set_mtime;
};

static int archive_api_load(struct archive_api *a, char **ret_error) {
        a->handle = dlopen("libarchive.so.13", RTLD_NOW | RTLD_LOCAL);
        if (!a->handle) {
                *ret_error = xasprintf("cannot load libarchive.so.13 (%s); install libarchive13", dlerror());
                return -ENOENT;
        }
#define SYM(field, name)                                                                                               \
        do {                                                                                                           \
                *(void **) &a->field = dlsym(a->handle, #name);                                                        \
                if (!a->field) {                                                                                       \
                        *ret_error = xstrdup("libarchive.so.13 lacks " #name);                                         \
                        return -ENOSYS;                                                                                \
                }                                                                                                      \
        } while (0)
        SYM(write_new, archive_write_new);
        SYM(set_format, archive_write_set_format_pax_restricted);
        SYM(add_zstd, archive_write_add_filter_zstd);
        SYM(open_filename, archive_write_open_filename);
        SYM(write_header, archive_write_header);
        SYM(write_data, archive_write_data);
        SYM(write_close, archive_write_close);
        SYM(write_free, archive_write_free);
        SYM(error_string, archive_error_string);
        SYM(entry_new, archive_entry_new);
        SYM(entry_free, archive_entry_free);
        SYM(entry_set_pathname, archive_entry_set_pathname);
        SYM(entry_set_size, archive_entry_set_size);
        SYM(entry_set_filetype, archive_entry_set_filetype);
        SYM(entry_set_perm, archive_entry_set_perm);
        SYM(entry_set_mtime, archive_entry_set_mtime);
#undef SYM
        return 0;
}

int bundle_archive(const char *dir, const char *archive_path, char **ret_error) {
        struct archive_api api = {};
        int r = archive_api_load(&api, ret_error);
        if (r < 0) {
                if (api.handle)
                        dlclose(api.handle);
                return r;
        }
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
        struct archive *a = api.write_new();
        r = 0;
        if (!a || api.set_format(a) != ARCHIVE_OK || api.add_zstd(a) != ARCHIVE_OK ||
            api.open_filename(a, archive_path) != ARCHIVE_OK) {
                *ret_error = xstrdup(a ? api.error_string(a) ? api.error_string(a) : "unknown error" : "out of memory");
                r = -EIO;
                goto out;
        }
        static char buf[1 << 16];
        for (size_t i = 0; i < n && r == 0; i++) {
                _cleanup_close_ int fd = openat(dfd, files[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                struct stat st;
                if (fd < 0 || fstat(fd, &st) < 0)
                        continue;
                struct archive_entry *e = api.entry_new();
                _cleanup_free_ char *name = xasprintf("%s/%s", top, files[i]);
                api.entry_set_pathname(e, name);
                api.entry_set_size(e, st.st_size);
                api.entry_set_filetype(e, AE_IFREG);
                api.entry_set_perm(e, st.st_mode & 0644);
                api.entry_set_mtime(e, st.st_mtime, 0);
                if (api.write_header(a, e) != ARCHIVE_OK) {
                        *ret_error = xstrdup(api.error_string(a) ? api.error_string(a) : "cannot write a header");
                        r = -EIO;
                }
                /* Never more than the size announced in the header. */
                int64_t left = st.st_size;
                while (r == 0 && left > 0) {
                        ssize_t k = read(fd, buf, sizeof(buf) < (size_t) left ? sizeof(buf) : (size_t) left);
                        if (k <= 0)
                                break;
                        if (api.write_data(a, buf, (size_t) k) < 0) {
                                *ret_error = xstrdup(api.error_string(a) ? api.error_string(a) : "write failed");
                                r = -EIO;
                        }
                        left -= k;
                }
                api.entry_free(e);
        }
        if (r == 0 && api.write_close(a) != ARCHIVE_OK) {
                *ret_error = xstrdup(api.error_string(a) ? api.error_string(a) : "cannot finish the archive");
                r = -EIO;
        }
out:
        if (a)
                api.write_free(a);
        dlclose(api.handle);
        return r;
}
