/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Provenance files on disk: finding, reading and checking them (attest/envelope-file.h). */
#include <fcntl.h>

#include "attest/dsse.h"
#include "attest/envelope-file.h"
#include "attest/statement.h"
#include "basic/json-util.h"
#include "basic/util.h"
#include "crypto/hash.h"

char *provenance_find_for(const char *artifact) {
        _cleanup_free_ char *dir = xstrdup(artifact);
        for (int i = 0; i < 16; i++) {
                char *slash = strrchr(dir, '/');
                if (!slash) {
                        if (streq(dir, "."))
                                return NULL;
                        free(dir);
                        dir = xstrdup(".");
                } else if (slash == dir)
                        dir[1] = 0;
                else
                        *slash = 0;
                char *p = xasprintf("%s/" PROVENANCE_FILE, dir);
                if (access(p, F_OK) == 0)
                        return p;
                free(p);
                if (streq(dir, "/"))
                        return NULL;
        }
        return NULL;
}

int provenance_read(const char *path, struct dsse_envelope *ret) {
        _cleanup_free_ char *text = NULL;
        size_t n;
        int r = read_full_file(path, &text, &n, 64u << 20);
        if (r < 0)
                return r;
        return dsse_parse(text, n, ret);
}

int file_sha256(const char *path, char ret[65]) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        return sha256_fd(fd, ret, NULL);
}

int provenance_check_statement(const struct dsse_envelope *e, const char *digest, char **ret_name, char **ret_reason) {
        if (!streq(e->payload_type, DSSE_INTOTO_TYPE)) {
                *ret_reason = xasprintf("its payloadType is '%s', not '" DSSE_INTOTO_TYPE "'", e->payload_type);
                return -EBADMSG;
        }
        json_object *st = json_tokener_parse((const char *) e->payload);
        int r = -EBADMSG;
        if (!st || !streq_ptr(json_object_get_string(json_path(st, "_type")), INTOTO_STATEMENT_TYPE) ||
            !streq_ptr(json_object_get_string(json_path(st, "predicateType")), SLSA_PROVENANCE_TYPE)) {
                *ret_reason = xstrdup("its payload is not an in-toto v1 statement of SLSA v1 provenance");
                goto out;
        }
        json_object *subj = json_path(st, "subject");
        for (size_t i = 0; digest && i < json_object_array_length(subj); i++) {
                json_object *s = json_object_array_get_idx(subj, i);
                if (streq_ptr(json_object_get_string(json_path(s, "digest.sha256")), digest)) {
                        if (ret_name)
                                *ret_name = xstrdup(json_object_get_string(json_path(s, "name")));
                        r = 0;
                        goto out;
                }
        }
        if (!digest)
                r = 0;
        else
                *ret_reason = xasprintf("no subject of the provenance has the artifact's sha256 %s", digest);
out:
        json_object_put(st);
        return r;
}
