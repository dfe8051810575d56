/* Probes: exact key layouts, the listings planned for a time window (partitions across midnight,
 * start-after keys), and file-name classification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pipeline/plan.h"
#include "pipeline/status.h"
#include "probes/probe.h"
#include "core/timeutil.h"
#include "lc_fixtures.h"

/* Sources read by the config loader, freed after each test. */
static struct lc_config *held[16];
static size_t n_held;

static struct lc_source_cfg *source(const char *fields)
{
    assert_true(n_held < sizeof(held) / sizeof(held[0]));
    struct lc_source_cfg *s = fx_source(&held[n_held++], fields);
    assert_non_null(s);
    return s;
}

static int release(void **state)
{
    (void)state;
    while (n_held > 0)
        lc_config_free(held[--n_held]);
    return 0;
}

static struct lc_stream stream_for(struct lc_target_cfg *t, struct lc_source_cfg *src)
{
    struct lc_stream s = {.target = t,
                          .source = src,
                          .probe = src->probe,
                          .account = "111111111111",
                          .region = "ap-northeast-1"};
    struct lc_buf b = {0};
    assert_non_null(s.probe);
    assert_int_equal(s.probe->base_prefix(&s, &b), 0);
    s.base = lc_buf_steal(&b);
    return s;
}

static time_t at(const char *iso)
{
    time_t t;
    assert_int_equal(lc_time_parse_iso8601(iso, &t), 0);
    return t;
}

static void test_base_prefixes(void **state)
{
    struct lc_target_cfg t = {.name = "t", .bucket = "b"};
    struct lc_source_cfg *fl = source("\"type\": \"vpcflowlogs\""),
                         *cf = source("\"type\": \"config\""),
                         *ct = source("\"type\": \"cloudtrail\"");
    (void)state;
    struct lc_stream s = stream_for(&t, fl);
    assert_string_equal(s.base, "AWSLogs/111111111111/vpcflowlogs/ap-northeast-1/");
    free(s.base);
    fl = source("\"type\": \"vpcflowlogs\", \"hive_compatible\": true");
    s = stream_for(&t, fl);
    assert_string_equal(s.base, "AWSLogs/aws-account-id=111111111111/aws-service=vpcflowlogs/"
                                "aws-region=ap-northeast-1/");
    free(s.base);
    /* Control Tower: the o-id folder before AWSLogs, and the organization trail layout. */
    t.prefix = "o-abc123def4";
    s = stream_for(&t, cf);
    assert_string_equal(s.base, "o-abc123def4/AWSLogs/111111111111/Config/ap-northeast-1/");
    free(s.base);
    ct = source("\"type\": \"cloudtrail\", \"org_id\": \"o-abc123def4\"");
    s = stream_for(&t, ct);
    assert_string_equal(
        s.base, "o-abc123def4/AWSLogs/o-abc123def4/111111111111/CloudTrail/ap-northeast-1/");
    free(s.base);
    /* A source's own prefix wins over the target's. */
    ct = source("\"type\": \"cloudtrail\", \"prefix\": \"trails\"");
    s = stream_for(&t, ct);
    assert_string_equal(s.base, "trails/AWSLogs/111111111111/CloudTrail/ap-northeast-1/");
    free(s.base);
}

static void test_cloudtrail_listings_across_midnight(void **state)
{
    struct lc_target_cfg t = {.name = "t", .bucket = "b"};
    struct lc_source_cfg *ct = source("\"type\": \"cloudtrail\"");
    struct lc_listings l = {0};
    (void)state;
    struct lc_stream s = stream_for(&t, ct);
    assert_int_equal(
        s.probe->listings(&s, at("2026-11-21T23:40:00Z"), at("2026-11-22T00:10:00Z"), &l), 0);
    assert_int_equal(l.n, 2); /* both days, nothing else */
    assert_string_equal(l.items[0].prefix, "AWSLogs/111111111111/CloudTrail/ap-northeast-1/"
                                           "2026/11/21/111111111111_CloudTrail_ap-northeast-1_");
    assert_string_equal(l.items[0].start_after,
                        "AWSLogs/111111111111/CloudTrail/ap-northeast-1/2026/11/21/"
                        "111111111111_CloudTrail_ap-northeast-1_20261121T2340Z");
    assert_null(l.items[0].group_by);
    assert_string_equal(l.items[1].prefix, "AWSLogs/111111111111/CloudTrail/ap-northeast-1/"
                                           "2026/11/22/111111111111_CloudTrail_ap-northeast-1_");
    /* A key at the window start sorts after start-after; one a minute earlier does not. */
    assert_true(strcmp("AWSLogs/111111111111/CloudTrail/ap-northeast-1/2026/11/21/"
                       "111111111111_CloudTrail_ap-northeast-1_20261121T2340Z_Mu0KsOhtH1ar15ZZ."
                       "json.gz",
                       l.items[0].start_after) > 0);
    assert_true(strcmp("AWSLogs/111111111111/CloudTrail/ap-northeast-1/2026/11/21/"
                       "111111111111_CloudTrail_ap-northeast-1_20261121T2339Z_Mu0KsOhtH1ar15ZZ."
                       "json.gz",
                       l.items[0].start_after) < 0);
    lc_listings_free(&l);
    free(s.base);
}

static void test_flowlog_listings(void **state)
{
    struct lc_target_cfg t = {.name = "t", .bucket = "b"};
    struct lc_source_cfg *fl = source("\"type\": \"vpcflowlogs\"");
    struct lc_listings l = {0};
    (void)state;
    struct lc_stream s = stream_for(&t, fl);
    assert_int_equal(
        s.probe->listings(&s, at("2026-11-22T08:00:00Z"), at("2026-11-22T08:50:00Z"), &l), 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.items[0].prefix, "AWSLogs/111111111111/vpcflowlogs/ap-northeast-1/"
                                           "2026/11/22/111111111111_vpcflowlogs_ap-northeast-1_");
    assert_string_equal(l.items[0].group_by, "_");
    assert_string_equal(l.items[0].start_after_suffix, "20261122T0800Z");
    lc_listings_free(&l);
    free(s.base);
    /* Per-hour Hive partitions: one listing per hour in the window. */
    fl = source("\"type\": \"vpcflowlogs\", \"hive_compatible\": true, \"per_hour\": true");
    s = stream_for(&t, fl);
    assert_int_equal(
        s.probe->listings(&s, at("2026-11-22T06:30:00Z"), at("2026-11-22T08:10:00Z"), &l), 0);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.items[2].prefix,
                        "AWSLogs/aws-account-id=111111111111/aws-service=vpcflowlogs/"
                        "aws-region=ap-northeast-1/year=2026/month=11/day=22/hour=08/"
                        "111111111111_vpcflowlogs_ap-northeast-1_");
    lc_listings_free(&l);
    free(s.base);
}

static void test_config_listings(void **state)
{
    struct lc_target_cfg t = {.name = "t", .bucket = "b"};
    struct lc_source_cfg *cf = source("\"type\": \"config\"");
    struct lc_listings l = {0};
    (void)state;
    struct lc_stream s = stream_for(&t, cf);
    assert_int_equal(
        s.probe->listings(&s, at("2026-01-05T01:00:00Z"), at("2026-01-05T08:00:00Z"), &l), 0);
    assert_int_equal(l.n, 2);
    /* Month and day are not zero-padded in Config's layout. */
    assert_string_equal(l.items[0].prefix,
                        "AWSLogs/111111111111/Config/ap-northeast-1/2026/1/5/ConfigHistory/");
    assert_null(l.items[0].start_after);
    assert_string_equal(l.items[1].start_after,
                        "AWSLogs/111111111111/Config/ap-northeast-1/2026/1/5/ConfigSnapshot/"
                        "111111111111_Config_ap-northeast-1_ConfigSnapshot_20260105T010000Z");
    lc_listings_free(&l);
    free(s.base);
}

static void test_classify(void **state)
{
    struct lc_target_cfg t = {.name = "t", .bucket = "b"};
    struct lc_source_cfg *fl = source("\"type\": \"vpcflowlogs\""),
                         *cf = source("\"type\": \"config\""),
                         *ct = source("\"type\": \"cloudtrail\"");
    time_t when;
    (void)state;

    struct lc_stream s = stream_for(&t, fl);
    assert_int_equal(s.probe->classify(&s,
                                       "AWSLogs/111111111111/vpcflowlogs/ap-northeast-1/2026/11/22/"
                                       "111111111111_vpcflowlogs_ap-northeast-1_fl-1234abcd_"
                                       "20261122T0805Z_fe123456.log.gz",
                                       &when),
                     LC_KEY_DELIVERY);
    assert_int_equal(when, at("2026-11-22T08:05:00Z"));
    assert_ptr_equal(s.probe->sample_format(&s, "x_20261122T0805Z_fe123456.log.parquet"),
                     lc_probe_sample_format("vpcflowlogs parquet"));
    assert_int_equal(s.probe->classify(&s,
                                       "AWSLogs/111111111111/vpcflowlogs/ap-northeast-1/"
                                       "2026/11/22/notes.txt",
                                       &when),
                     LC_KEY_OTHER);
    free(s.base);

    s = stream_for(&t, cf);
    assert_int_equal(
        s.probe->classify(&s,
                          "AWSLogs/111111111111/Config/ap-northeast-1/2026/1/5/ConfigHistory/"
                          "111111111111_Config_ap-northeast-1_ConfigHistory_AWS::EC2::Instance_"
                          "20260105T010203Z_20260105T070809Z_1.json.gz",
                          &when),
        LC_KEY_DELIVERY);
    assert_int_equal(when, at("2026-01-05T07:08:09Z")); /* the end of the history window */
    assert_int_equal(
        s.probe->classify(&s,
                          "AWSLogs/111111111111/Config/ap-northeast-1/2026/1/5/ConfigSnapshot/"
                          "111111111111_Config_ap-northeast-1_ConfigSnapshot_20260105T183939Z_"
                          "16da64e4-cb65-4846-b061-e6c3ba43cb96.json.gz",
                          &when),
        LC_KEY_DELIVERY);
    assert_int_equal(when, at("2026-01-05T18:39:39Z"));
    assert_int_equal(
        s.probe->classify(&s, "AWSLogs/111111111111/Config/ConfigWritabilityCheckFile", &when),
        LC_KEY_AUXILIARY);
    free(s.base);

    s = stream_for(&t, ct);
    assert_int_equal(s.probe->classify(&s,
                                       "AWSLogs/111111111111/CloudTrail/ap-northeast-1/2026/11/22/"
                                       "111111111111_CloudTrail_ap-northeast-1_20261122T0810Z_"
                                       "Mu0KsOhtH1ar15ZZ.json.gz",
                                       &when),
                     LC_KEY_DELIVERY);
    assert_int_equal(when, at("2026-11-22T08:10:00Z"));
    /* Another account's or region's file under the same prefix is not this stream's. */
    assert_int_equal(s.probe->classify(&s,
                                       "AWSLogs/111111111111/CloudTrail/ap-northeast-1/2026/11/22/"
                                       "222222222222_CloudTrail_ap-northeast-1_20261122T0810Z_"
                                       "Mu0KsOhtH1ar15ZZ.json.gz",
                                       &when),
                     LC_KEY_OTHER);
    assert_int_equal(s.probe->classify(&s,
                                       "AWSLogs/111111111111/CloudTrail-Digest/ap-northeast-1/2026/"
                                       "11/22/111111111111_CloudTrail-Digest_ap-northeast-1_trail_"
                                       "us-east-1_20261122T081000Z.json.gz",
                                       &when),
                     LC_KEY_AUXILIARY);
    /* Malformed stamps are not deliveries. */
    assert_int_equal(s.probe->classify(&s,
                                       "AWSLogs/111111111111/CloudTrail/ap-northeast-1/2026/11/22/"
                                       "111111111111_CloudTrail_ap-northeast-1_20261322T0810Z_"
                                       "x.json.gz",
                                       &when),
                     LC_KEY_OTHER);
    free(s.base);
}

/* WAF: one listing per web ACL from the window start's folders (the keys below a web ACL sort
 * by time), the web ACLs found by a "/" listing or named. */
#define WAF_BASE             "AWSLogs/111111111111/WAFLogs/ap-northeast-1/"
#define WAF_NAME(acl, stamp) "111111111111_waflogs_ap-northeast-1_" acl "_" stamp "_9f3c1e07.log.gz"

static void test_waf_listings(void **state)
{
    struct lc_target_cfg t = {.name = "t", .bucket = "aws-waf-logs-central"};
    struct lc_listings l = {0};
    (void)state;
    struct lc_stream s = stream_for(&t, source("\"type\": \"waf\""));
    assert_string_equal(s.base, WAF_BASE);
    assert_int_equal(
        s.probe->listings(&s, at("2026-11-21T23:45:00Z"), at("2026-11-22T08:50:00Z"), &l), 0);
    assert_int_equal(l.n, 1); /* any number of days: one discovery listing */
    assert_string_equal(l.items[0].prefix, WAF_BASE);
    assert_null(l.items[0].start_after);
    assert_string_equal(l.items[0].group_by, "/");
    assert_string_equal(l.items[0].start_after_suffix, "2026/11/21/23/45");
    lc_listings_free(&l);
    free(s.base);

    s = stream_for(&t, source("\"type\": \"waf\", \"web_acls\": [\"shop-prod\", \"api_v2\"]"));
    assert_int_equal(
        s.probe->listings(&s, at("2026-11-21T23:45:00Z"), at("2026-11-22T08:50:00Z"), &l), 0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.items[0].prefix, WAF_BASE "shop-prod/");
    assert_string_equal(l.items[0].start_after, WAF_BASE "shop-prod/2026/11/21/23/45");
    assert_null(l.items[0].group_by);
    assert_string_equal(l.items[1].prefix, WAF_BASE "api_v2/");
    /* The window's first file and the next day's sort after start-after; the file before does
     * not. */
    const char *after = l.items[0].start_after;
    assert_true(strcmp(WAF_BASE
                       "shop-prod/2026/11/21/23/45/" WAF_NAME("shop-prod", "20261121T2345Z"),
                       after) > 0);
    assert_true(strcmp(WAF_BASE
                       "shop-prod/2026/11/22/00/00/" WAF_NAME("shop-prod", "20261122T0000Z"),
                       after) > 0);
    assert_true(strcmp(WAF_BASE
                       "shop-prod/2026/11/21/23/40/" WAF_NAME("shop-prod", "20261121T2340Z"),
                       after) < 0);
    lc_listings_free(&l);
    free(s.base);
}

static void test_waf_classify(void **state)
{
    struct lc_target_cfg t = {.name = "t", .bucket = "aws-waf-logs-central"};
    time_t when;
    (void)state;
    struct lc_stream s = stream_for(&t, source("\"type\": \"waf\""));
    assert_int_equal(
        s.probe->classify(
            &s, WAF_BASE "shop-prod/2026/11/22/08/05/" WAF_NAME("shop-prod", "20261122T0805Z"),
            &when),
        LC_KEY_DELIVERY);
    assert_int_equal(when, at("2026-11-22T08:05:00Z"));
    /* web ACL names may hold '_': the folder says where the name ends */
    assert_int_equal(
        s.probe->classify(
            &s, WAF_BASE "api_v2_x/2026/11/22/08/05/" WAF_NAME("api_v2_x", "20261122T0805Z"),
            &when),
        LC_KEY_DELIVERY);
    static const char *const others[] = {
        /* the name's web ACL is not its folder's */
        WAF_BASE "shop-prod/2026/11/22/08/05/" WAF_NAME("shop", "20261122T0805Z"),
        /* another account, another region */
        WAF_BASE "shop/2026/11/22/08/05/222222222222_waflogs_ap-northeast-1_shop_20261122T0805Z_"
                 "9f3c1e07.log.gz",
        WAF_BASE "shop/2026/11/22/08/05/111111111111_waflogs_us-east-1_shop_20261122T0805Z_"
                 "9f3c1e07.log.gz",
        /* a bad stamp, no hash, outside the stream's folder */
        WAF_BASE "shop/2026/11/22/08/05/" WAF_NAME("shop", "20261122T2505Z"),
        WAF_BASE "shop/2026/11/22/08/05/111111111111_waflogs_ap-northeast-1_shop_20261122T0805Z",
        "AWSLogs/111111111111/WAFLogs/us-east-1/shop/2026/11/22/08/05/" WAF_NAME("shop",
                                                                                 "20261122T0805Z"),
        WAF_BASE WAF_NAME("shop", "20261122T0805Z"),
    };
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        assert_int_equal(s.probe->classify(&s, others[i], &when), LC_KEY_OTHER);
        assert_int_equal(when, 0);
    }
    free(s.base);
}

/* The manual's SOURCES list is the registry's. */
static void test_registry_in_manual(void **state)
{
    char *doc = NULL, why[512];
    size_t len = 0;
    FILE *m = open_memstream(&doc, &len);
    (void)state;

    assert_non_null(m);
    assert_int_equal(lc_probes_write_man(m), 0);
    fclose(m);
    for (size_t i = 0; lc_probes[i]; i++) {
        char item[64];
        snprintf(item, sizeof(item), ".TP\n.B %s\n", lc_probes[i]->cfg.name);
        assert_non_null(strstr(doc, item));
        for (size_t k = 0; lc_probes[i]->status && lc_probes[i]->status->permissions[k]; k++)
            assert_non_null(strstr(doc, lc_probes[i]->status->permissions[k]));
    }
    assert_non_null(strstr(doc, ".B targets[].sources[].hive_compatible\n"));
    if (fx_check_generated("packaging/logcanary.1", ".\\\" BEGIN SOURCES", ".\\\" END SOURCES", doc,
                           "LC_UPDATE_MANPAGE", why, sizeof(why)) != 0)
        fail_msg("%s (test_probes)", why);
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_base_prefixes, release),
        cmocka_unit_test_teardown(test_cloudtrail_listings_across_midnight, release),
        cmocka_unit_test_teardown(test_flowlog_listings, release),
        cmocka_unit_test_teardown(test_config_listings, release),
        cmocka_unit_test_teardown(test_classify, release),
        cmocka_unit_test_teardown(test_waf_listings, release),
        cmocka_unit_test_teardown(test_waf_classify, release),
        cmocka_unit_test(test_registry_in_manual),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
