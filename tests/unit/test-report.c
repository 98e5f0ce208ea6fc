/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdlib.h>

#include "basic/util.h"
#include "report/report.h"
#include "tap.h"

TEST(severity_names_roundtrip) {
        const char *names[] = { "info", "low", "medium", "high", "critical", "never" };
        for (size_t i = 0; i < 6; i++) {
                enum severity s;
                ASSERT_EQ_INT(severity_from_string(names[i], &s), 0);
                ASSERT_EQ_INT(s, i);
                ASSERT_STREQ(severity_name(s), names[i]);
        }
        enum severity s = SEV_LOW;
        ASSERT_EQ_INT(severity_from_string("HIGH", &s), -EINVAL);
        ASSERT_EQ_INT(severity_from_string("", &s), -EINVAL);
        ASSERT_EQ_INT(s, SEV_LOW);
}

TEST(max_severity) {
        struct finding_list l = {};
        ASSERT_EQ_INT(finding_list_max_severity(&l), -1);
        finding_list_add(
                &l, (struct finding){
                            .rule = xstrdup("a"), .category = "x", .severity = SEV_MEDIUM, .detail = xstrdup("d") });
        finding_list_add(&l,
                         (struct finding){
                                 .rule = xstrdup("b"), .category = "x", .severity = SEV_HIGH, .detail = xstrdup("d") });
        finding_list_add(
                &l,
                (struct finding){ .rule = xstrdup("c"), .category = "x", .severity = SEV_LOW, .detail = xstrdup("d") });
        ASSERT_EQ_INT(finding_list_max_severity(&l), SEV_HIGH);
        finding_list_done(&l);
        ASSERT_EQ_INT(l.n, 0);
}

TEST(json_written_atomically_and_escaped) {
        char t[] = "/tmp/bw-unit-report.XXXXXX";
        ASSERT_TRUE(mkdtemp(t) != NULL);
        int dfd = open(t, O_RDONLY | O_DIRECTORY);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "path", json_object_new_string("odd\nname\"with/slash"));
        ASSERT_EQ_INT(json_write_file_at(dfd, "report.json", o), 0);
        json_object_put(o);
        _cleanup_free_ char *p = xasprintf("%s/report.json", t), *text = NULL;
        ASSERT_EQ_INT(read_full_file(p, &text, NULL, 1 << 20), 0);
        json_object *back = json_tokener_parse(text);
        ASSERT_TRUE(back != NULL);
        json_object *v;
        ASSERT_TRUE(json_object_object_get_ex(back, "path", &v));
        ASSERT_STREQ(json_object_get_string(v), "odd\nname\"with/slash");
        json_object_put(back);
        _cleanup_free_ char *tmp = xasprintf("%s/.report.json.tmp", t);
        ASSERT_TRUE(access(tmp, F_OK) < 0); /* no temporary left behind */
        close(dfd);
        int tfd = open("/tmp", O_RDONLY | O_DIRECTORY);
        rm_rf_at(tfd, t + 5);
        close(tfd);
}
