/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The triage bundle: manifest, signature and diff, on scratch directories. */
#include <sys/stat.h>

#include "crypto/sign.h"
#include "test-fs.h"
#include "triage/triage.h"

static char *slurp(const char *dir, const char *rel) {
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, rel);
        char *t = NULL;
        if (read_full_file(p, &t, NULL, 1 << 20) < 0)
                return xstrdup("<missing>");
        return t;
}

TEST(manifest_lists_every_file_sorted_with_sha256) {
        char *d = tmpdir();
        _cleanup_free_ char *sub = xasprintf("%s/deleted-exe", d);
        ASSERT_EQ_INT(mkdir(sub, 0755), 0);
        put(d, "findings.json", "{}\n");
        put(d, "deleted-exe/12-mysql", "abc");
        put(d, "a.json", "");
        int fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        size_t n = 0;
        ASSERT_EQ_INT(bundle_manifest(fd, &n), 0);
        ASSERT_EQ_INT(n, 3);
        _cleanup_free_ char *m = slurp(d, "MANIFEST.sha256");
        /* sha256("") , sha256("abc"), sha256("{}\n"): `sha256sum` prints the same. */
        ASSERT_STREQ(m, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  ./a.json\n"
                        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  ./deleted-exe/12-mysql\n"
                        "ca3d163bab055381827226140568f3bef7eaac187cebd76878e0b63e9e442356  ./findings.json\n");
        /* Running it again does not list the manifest itself. */
        ASSERT_EQ_INT(bundle_manifest(fd, &n), 0);
        ASSERT_EQ_INT(n, 3);

        _cleanup_free_ char *key = xasprintf("%s.key", d);
        ASSERT_EQ_INT(key_generate(key), 0);
        char id[65];
        ASSERT_EQ_INT(bundle_sign(fd, key, id), 0);
        _cleanup_free_ char *sigp = xasprintf("%s/MANIFEST.sha256.sig", d);
        _cleanup_free_ char *sig = NULL;
        size_t sl = 0;
        ASSERT_EQ_INT(read_full_file(sigp, &sig, &sl, 4096), 0);
        ASSERT_EQ_INT(sl, SIGNATURE_SIZE);
        _cleanup_pkey_ EVP_PKEY *pub = NULL;
        _cleanup_free_ char *pubp = xasprintf("%s.key.pub", d);
        ASSERT_EQ_INT(key_load_public(pubp, &pub), 0);
        ASSERT_EQ_INT(verify_buffer(pub, m, strlen(m), (const uint8_t *) sig, sl), 0);
        m[0] ^= 1;
        ASSERT_EQ_INT(verify_buffer(pub, m, strlen(m), (const uint8_t *) sig, sl), -EBADMSG);
        close(fd);
        unlink(key);
        unlink(pubp);
        cleanup_dir(d);
}

TEST(diff_reports_appeared_changed_and_gone) {
        char *a = tmpdir(), *b = tmpdir();
        put(a, "findings.json", "{\"findings\": []}");
        put(b, "findings.json", "{\"findings\": [{\"rule\": \"triage.ld-preload\", \"detail\": \"x\"}]}");
        put(a, "cron.json",
            "{\"entries\": [{\"source\": \"/etc/crontab\", \"user\": \"root\", \"schedule\": "
            "\"@daily\", \"command\": \"run-parts\"}]}");
        put(b, "cron.json",
            "{\"entries\": [{\"source\": \"/etc/crontab\", \"user\": \"root\", \"schedule\": \"@daily\", "
            "\"command\": \"run-parts\"}, {\"source\": \"/etc/cron.d/x\", \"user\": \"root\", \"schedule\": "
            "\"@reboot\", \"command\": \"/tmp/x\"}]}");
        put(a, "systemd.json",
            "{\"units\": [{\"path\": \"/etc/systemd/system/a.service\", \"mtime\": 1}, "
            "{\"path\": \"/etc/systemd/system/gone.service\", \"mtime\": 1}]}");
        put(b, "systemd.json", "{\"units\": [{\"path\": \"/etc/systemd/system/a.service\", \"mtime\": 2}]}");
        put(a, "sockets.json",
            "{\"sockets\": [{\"proto\": \"tcp\", \"local\": \"0.0.0.0\", \"local_port\": 22, "
            "\"listening\": true}]}");
        put(b, "sockets.json",
            "{\"sockets\": [{\"proto\": \"tcp\", \"local\": \"0.0.0.0\", \"local_port\": 22, \"listening\": true}, "
            "{\"proto\": \"tcp\", \"local\": \"10.0.0.5\", \"local_port\": 40000, \"listening\": false}]}");
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        ASSERT_EQ_INT(triage_diff(a, b, false, f), 4);
        fclose(f);
        ASSERT_TRUE(strstr(text, "+ cron         /etc/cron.d/x root @reboot /tmp/x\n") != NULL);
        ASSERT_TRUE(strstr(text, "~ unit         /etc/systemd/system/a.service  mtime: 1 -> 2\n") != NULL);
        ASSERT_TRUE(strstr(text, "- unit         /etc/systemd/system/gone.service\n") != NULL);
        ASSERT_TRUE(strstr(text, "+ finding      triage.ld-preload x\n") != NULL);
        /* A connection that is not listening is not a listener. */
        ASSERT_TRUE(strstr(text, "40000") == NULL);
        free(text);
        f = open_memstream(&text, &len);
        ASSERT_EQ_INT(triage_diff(a, a, false, f), 0);
        fclose(f);
        free(text);
        f = open_memstream(&text, &len);
        ASSERT_EQ_INT(triage_diff(a, "/nonexistent", false, f), -ENOENT);
        fclose(f);
        free(text);
        cleanup_dir(a);
        cleanup_dir(b);
}
