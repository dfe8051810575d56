/* The services table: lookups, the order of the aws.endpoints keys and of the metrics, and the
 * protocol facts every row must carry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <event2/event.h>

#include "aws/aws.h"
#include "aws/services.h"
#include "core/http.h"
#include "outputs/metrics.h"

static void test_find(void **state)
{
    (void)state;
    const struct lc_aws_service *kms = lc_aws_service_find("kms");
    assert_non_null(kms);
    assert_int_equal(kms->protocol, LC_AWS_JSON);
    assert_string_equal(kms->target_prefix, "TrentService");
    assert_string_equal(kms->content_type, "application/x-amz-json-1.1");
    assert_int_equal(lc_aws_service_find("sts")->protocol, LC_AWS_QUERY);
    assert_string_equal(lc_aws_service_find("sts")->api_version, "2011-06-15");
    assert_int_equal(lc_aws_service_find("s3")->protocol, LC_AWS_REST_XML);
    assert_string_equal(lc_aws_service_find("network-firewall")->content_type,
                        "application/x-amz-json-1.0");
    assert_null(lc_aws_service_find("nosuchservice"));
    assert_null(lc_aws_service_find(""));
}

/* Every row carries what its protocol needs, and nothing another protocol would read. */
static void test_rows(void **state)
{
    (void)state;
    size_t n = 0;
    for (size_t i = 0; lc_aws_service_at(i); i++, n++) {
        const struct lc_aws_service *s = lc_aws_service_at(i);
        assert_ptr_equal(lc_aws_service_find(s->name), s); /* names are unique */
        switch (s->protocol) {
        case LC_AWS_JSON:
            assert_non_null(s->target_prefix);
            assert_non_null(s->content_type);
            assert_non_null(strstr(s->content_type, "application/x-amz-json-1."));
            assert_null(s->api_version);
            break;
        case LC_AWS_QUERY:
            assert_non_null(s->api_version);
            assert_string_equal(s->content_type,
                                "application/x-www-form-urlencoded; charset=utf-8");
            assert_null(s->target_prefix);
            break;
        case LC_AWS_REST_XML:
        case LC_AWS_REST_JSON:
            assert_null(s->content_type);
            assert_null(s->target_prefix);
            assert_null(s->api_version);
            break;
        }
    }
    assert_true(n >= 15);
    assert_null(lc_aws_service_at(n));
}

static void test_endpoint_keys(void **state)
{
    static const char *const want[] = {
        "s3",   "sts",           "kms", "ec2",   "config",       "cloudtrail",
        "logs", "organizations", "iam", "wafv2", "controltower", NULL,
    };
    const char *const *got = lc_aws_endpoint_services();
    (void)state;
    for (size_t i = 0; want[i]; i++) {
        assert_non_null(got[i]);
        assert_string_equal(got[i], want[i]);
        /* the keys lead the table, in the same order */
        assert_string_equal(lc_aws_service_at(i)->name, want[i]);
    }
    assert_null(got[11]);
}

/* Places 1..n, no gaps, exactly the aws.endpoints keys. */
static void test_metrics_places(void **state)
{
    static const char *const want[] = {
        "s3",   "kms",           "sts", "ec2",   "config",       "cloudtrail",
        "logs", "organizations", "iam", "wafv2", "controltower",
    };
    const size_t nwant = sizeof(want) / sizeof(want[0]);
    size_t places = 0;
    (void)state;
    for (size_t i = 0; lc_aws_service_at(i); i++) {
        const struct lc_aws_service *s = lc_aws_service_at(i);
        if (!s->metrics_place)
            continue;
        places++;
        assert_in_range(s->metrics_place, 1, nwant);
        assert_string_equal(want[s->metrics_place - 1], s->name);
    }
    assert_int_equal(places, nwant);
}

/* lc_metrics_collect_aws reports the services in the metrics' order. */
static void test_metrics_collect(void **state)
{
    static const char *const want[] = {
        "s3",   "kms",           "sts", "ec2",   "config",       "cloudtrail",
        "logs", "organizations", "iam", "wafv2", "controltower",
    };
    struct lc_aws_config cfg = {.region = "us-east-1"};
    struct lc_http_opts ho = {0};
    struct lc_metrics_service svc[32];
    struct lc_error err;
    (void)state;
    lc_error_clear(&err);
    struct event_base *base = event_base_new();
    struct lc_http *http = lc_http_new(base, &ho, &err);
    struct lc_aws *aws = lc_aws_new(base, http, &cfg, &err);
    assert_non_null(aws);
    size_t n = lc_metrics_collect_aws(aws, svc);
    assert_int_equal(n, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(svc[i].service, want[i]);
        assert_int_equal(svc[i].stats.requests, 0);
    }
    lc_aws_free(aws);
    lc_http_free(http);
    event_base_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_endpoint_keys),
        cmocka_unit_test(test_metrics_places),
        cmocka_unit_test(test_metrics_collect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
