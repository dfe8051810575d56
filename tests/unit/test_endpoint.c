/* Endpoint resolution: partitions, overrides, virtual-hosted vs path-style S3 addressing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/arn.h"
#include "aws/aws.h"

static void resolve(const struct lc_aws_config *cfg, const char *svc, const char *region,
                    const char *bucket, const char *want_url, const char *want_prefix)
{
    char *url = NULL, *prefix = NULL;
    struct lc_error err;
    lc_error_clear(&err);
    assert_int_equal(lc_endpoint_resolve(cfg, svc, region, bucket, &url, &prefix, &err), 0);
    assert_string_equal(url, want_url);
    assert_string_equal(prefix, want_prefix);
    free(url);
    free(prefix);
}

static void test_partitions(void **state)
{
    (void)state;
    assert_string_equal(lc_partition_for_region("ap-northeast-1"), "aws");
    assert_string_equal(lc_partition_for_region("cn-north-1"), "aws-cn");
    assert_string_equal(lc_partition_for_region("us-gov-west-1"), "aws-us-gov");
    assert_string_equal(lc_dns_suffix_for_region("cn-northwest-1"), "amazonaws.com.cn");
    assert_string_equal(lc_dns_suffix_for_region("eu-west-1"), "amazonaws.com");
}

static void test_default_hosts(void **state)
{
    struct lc_aws_config cfg = {.region = "ap-northeast-1"};
    (void)state;
    resolve(&cfg, "kms", NULL, NULL, "https://kms.ap-northeast-1.amazonaws.com", "");
    resolve(&cfg, "sts", "cn-north-1", NULL, "https://sts.cn-north-1.amazonaws.com.cn", "");
    resolve(&cfg, "s3", "eu-west-1", "my-logs", "https://my-logs.s3.eu-west-1.amazonaws.com", "");
    /* Dots break the wildcard certificate: path style. */
    resolve(&cfg, "s3", "eu-west-1", "logs.example.com", "https://s3.eu-west-1.amazonaws.com",
            "/logs.example.com");
    cfg.path_style = true;
    resolve(&cfg, "s3", "eu-west-1", "my-logs", "https://s3.eu-west-1.amazonaws.com", "/my-logs");
}

static void test_overrides(void **state)
{
    struct lc_kvlist per = {0};
    struct lc_aws_config cfg = {.region = "us-east-1", .endpoint = "http://127.0.0.1:7480/"};
    (void)state;
    /* An IP-literal endpoint cannot carry a bucket label: path style even when not asked. */
    resolve(&cfg, "s3", NULL, "b1", "http://127.0.0.1:7480", "/b1");
    resolve(&cfg, "kms", NULL, NULL, "http://127.0.0.1:7480", "");
    assert_int_equal(lc_kv_add(&per, "kms", "http://localhost:9000"), 0);
    assert_int_equal(lc_kv_add(&per, "s3", "https://minio.internal:9000"), 0);
    cfg.endpoints = &per;
    resolve(&cfg, "kms", NULL, NULL, "http://localhost:9000", "");
    resolve(&cfg, "ec2", NULL, NULL, "http://127.0.0.1:7480", "");
    resolve(&cfg, "s3", NULL, "b01", "https://b01.minio.internal:9000", "");
    lc_kv_free(&per);
}

static void test_arn_region(void **state)
{
    char r[32];
    (void)state;
    assert_string_equal(
        lc_arn_region("arn:aws:kms:ap-northeast-1:111111111111:key/x", "f", r, sizeof(r)),
        "ap-northeast-1");
    assert_string_equal(lc_arn_region("arn:aws-cn:kms:cn-north-1:1:key/x", NULL, r, sizeof(r)),
                        "cn-north-1");
    assert_string_equal(lc_arn_region("arn:aws:s3:::bucket", "us-east-1", r, sizeof(r)),
                        "us-east-1"); /* no region field */
    assert_string_equal(lc_arn_region("1234abcd-key-id", "eu-west-1", r, sizeof(r)), "eu-west-1");
    assert_string_equal(lc_arn_region(NULL, NULL, r, sizeof(r)), "");
    assert_string_equal(lc_arn_region("arn:aws:kms:a-very-long-region-name-1:1:key/x", "x", r, 8),
                        "x"); /* does not fit: the fallback */
}

static void test_bad_endpoint(void **state)
{
    struct lc_aws_config cfg = {.endpoint = "ftp://x"};
    char *url, *prefix;
    struct lc_error err;
    (void)state;
    lc_error_clear(&err);
    assert_int_equal(lc_endpoint_resolve(&cfg, "s3", NULL, "b", &url, &prefix, &err), LC_E_INVALID);
    assert_non_null(strstr(err.message, "ftp://x"));
    cfg.endpoint = "http://";
    assert_int_equal(lc_endpoint_resolve(&cfg, "s3", NULL, "b", &url, &prefix, &err), LC_E_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_partitions), cmocka_unit_test(test_default_hosts),
        cmocka_unit_test(test_overrides),  cmocka_unit_test(test_bad_endpoint),
        cmocka_unit_test(test_arn_region),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
