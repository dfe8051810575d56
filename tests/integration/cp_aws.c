/* The AWS layer against the signature-verifying control-plane fixture (tests/servers/cpfixture.py):
 * JSON 1.1 and Query calls end to end, the retry policy (what is retried, how often, Retry-After,
 * the budget), clock-skew correction, and the error taxonomy for JSON and Query errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "aws/awscall.h"
#include "aws/awsjson.h"
#include "aws/awsxml.h"
#include "lc_itest.h"
#include "lc_testsrv.h"

static struct lc_testsrv srv;
static char endpoint[64];
static char logpath[256];

static struct lc_itest T;
static struct lc_credprov *creds;
static struct lc_credprov *temp_creds;

static uint32_t zero_jitter(void)
{
    return 0;
}

static time_t skewed_clock(void)
{
    return time(NULL) + 3600; /* an hour fast */
}

static void client(const struct lc_aws_config *extra)
{
    struct lc_aws_config cfg = {.region = "eu-west-1", .endpoint = endpoint};
    if (extra) {
        cfg.retry_budget = extra->retry_budget;
        cfg.max_attempts = extra->max_attempts;
    }
    assert_int_equal(lc_itest_init(&T, &cfg), 0);
    lc_aws_set_rand(T.aws, zero_jitter); /* backoff without waiting: full jitter drawn as 0 */
    creds = lc_itest_static_creds(&T, "AKIALOGCANARYLAYER1",
                                  "layer/secret+key000000000000000000000001");
    struct lc_creds tc = {.access_key_id = "ASIALOGCANARYLAYER2",
                          .secret_access_key = "layer-temp-secret",
                          .session_token = "layer-session-token"};
    struct lc_error err;
    lc_error_clear(&err);
    temp_creds = lc_credprov_static(T.aws, &tc, &err);
    assert_non_null(creds);
    assert_non_null(temp_creds);
}

static void client_free(void)
{
    lc_credprov_free(creds);
    lc_credprov_free(temp_creds);
    lc_itest_free(&T);
}

static int setup(void **state)
{
    char script[512], scenario[512];
    (void)state;
    snprintf(logpath, sizeof(logpath), "/tmp/lc-cp-aws-%d.log", (int)getpid());
    char *argv[] = {(char *)lc_testsrv_python(),
                    (char *)lc_testsrv_path("cpfixture.py", script, sizeof(script)),
                    "--scenario",
                    (char *)lc_testsrv_path("scenarios/aws_layer.json", scenario, sizeof(scenario)),
                    "--log",
                    logpath,
                    NULL};
    assert_int_equal(lc_testsrv_start(&srv, argv), 0);
    snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d", srv.port);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    lc_testsrv_stop(&srv);
    unlink(logpath);
    return 0;
}

/* Requests the fixture logged for an operation whose log line contains needle. */
static int logged(const char *operation, const char *needle)
{
    char line[8192], op[128];
    int n = 0;
    FILE *f = fopen(logpath, "r");
    assert_non_null(f);
    snprintf(op, sizeof(op), "\"operation\": \"%s\"", operation);
    while (fgets(line, sizeof(line), f))
        if (strstr(line, op) && (!needle || strstr(line, needle)))
            n++;
    fclose(f);
    return n;
}

struct jres {
    bool done;
    cJSON *doc;
    struct lc_error err;
    int attempts;
    long status;
};

static void on_json(void *ud, const cJSON *result, const struct lc_aws_resp *resp)
{
    struct jres *j = ud;
    j->doc = result ? cJSON_Duplicate(result, 1) : NULL;
    j->err = resp->err;
    j->attempts = resp->attempts;
    j->status = resp->status;
    j->done = true;
}

static void describe_key(struct jres *j, struct lc_credprov *c, const char *key_id)
{
    struct lc_error err;
    cJSON *in = cJSON_CreateObject();
    cJSON_AddStringToObject(in, "KeyId", key_id);
    memset(j, 0, sizeof(*j));
    lc_error_clear(&err);
    assert_int_equal(lc_aws_json_call(T.aws, c, "kms", NULL, "DescribeKey", in, on_json, j, &err),
                     0);
    cJSON_Delete(in);
    lc_itest_run(&T, &j->done);
}

static void test_json_call(void **state)
{
    struct jres j;
    const char *s = NULL;
    bool enabled = true;
    (void)state;
    client(NULL);
    describe_key(&j, creds, "alias/logs");
    assert_int_equal(j.err.kind, LC_OK);
    assert_int_equal(j.attempts, 1);
    assert_int_equal(lc_json_string(j.doc, "KeyMetadata.KeyState", LC_JSON_REQUIRED, &s, NULL), 0);
    assert_string_equal(s, "Disabled");
    assert_int_equal(lc_json_bool(j.doc, "KeyMetadata.Enabled", LC_JSON_REQUIRED, &enabled, NULL),
                     0);
    assert_false(enabled);
    cJSON_Delete(j.doc);
    /* Session tokens are sent and verified. */
    describe_key(&j, temp_creds, "alias/logs");
    assert_int_equal(j.err.kind, LC_OK);
    cJSON_Delete(j.doc);
    assert_int_equal(logged("DescribeKey", "\"auth\": \"ok\""), 2);
    assert_int_equal(logged("DescribeKey", "\"token_present\": true"), 1);

    /* GetKeyPolicy: the policy is a JSON document inside a JSON string. */
    struct lc_error err;
    lc_error_clear(&err);
    memset(&j, 0, sizeof(j));
    cJSON *in = cJSON_CreateObject();
    cJSON_AddStringToObject(in, "KeyId", "alias/logs");
    cJSON_AddStringToObject(in, "PolicyName", "default");
    assert_int_equal(
        lc_aws_json_call(T.aws, creds, "kms", NULL, "GetKeyPolicy", in, on_json, &j, &err), 0);
    cJSON_Delete(in);
    lc_itest_run(&T, &j.done);
    assert_int_equal(j.err.kind, LC_OK);
    assert_int_equal(lc_json_string(j.doc, "Policy", LC_JSON_REQUIRED, &s, NULL), 0);
    assert_non_null(strstr(s, "arn:aws:iam::111122223333:root"));
    cJSON_Delete(j.doc);
    client_free();
}

static void test_retries(void **state)
{
    struct jres j;
    (void)state;
    client(NULL);
    /* Throttling twice, then success: three attempts, all seen by the server. */
    describe_key(&j, creds, "k-throttled");
    assert_int_equal(j.err.kind, LC_OK);
    assert_int_equal(j.attempts, 3);
    assert_int_equal(logged("DescribeKey", "k-throttled"), 3);
    cJSON_Delete(j.doc);
    /* 500 with a JSON error, then a 503 with no body, then success. */
    describe_key(&j, creds, "k-5xx");
    assert_int_equal(j.err.kind, LC_OK);
    assert_int_equal(j.attempts, 3);
    cJSON_Delete(j.doc);
    /* A connection reset is retried: by us, or by libcurl itself when the reset hit a reused
     * keep-alive connection before any response. Either way the server sees two requests. */
    describe_key(&j, creds, "k-reset");
    assert_int_equal(j.err.kind, LC_OK);
    assert_int_equal(logged("DescribeKey", "k-reset"), 2);
    cJSON_Delete(j.doc);
    /* Throttled for ever: gives up after max_attempts with the last error. */
    describe_key(&j, creds, "k-always-throttled");
    assert_int_equal(j.err.kind, LC_E_AWS);
    assert_string_equal(j.err.code, "ThrottlingException");
    assert_true(j.err.retryable);
    assert_int_equal(j.attempts, 5);
    assert_int_equal(logged("DescribeKey", "k-always-throttled"), 5);
    struct lc_aws_stats st;
    lc_aws_get_stats(T.aws, "kms", &st);
    assert_true(st.retries == 2 + 2 + 4 || st.retries == 2 + 2 + 1 + 4);
    assert_int_equal(st.throttles, 2 + 4);
    /* Authorization errors are never retried. */
    describe_key(&j, creds, "k-denied");
    assert_int_equal(j.err.kind, LC_E_AWS);
    assert_int_equal(j.status, 400);
    assert_string_equal(j.err.code, "AccessDeniedException");
    assert_true(j.err.auth);
    assert_true(j.err.kms);
    assert_false(j.err.retryable);
    assert_int_equal(j.attempts, 1);
    assert_non_null(strstr(j.err.message, "kms:DescribeKey"));
    assert_true(j.err.request_id[0] != '\0');
    /* A malformed 200 body is a parse error, not a crash and not a retry. */
    describe_key(&j, creds, "k-garbage");
    assert_int_equal(j.err.kind, LC_E_PARSE);
    assert_null(j.doc);
    assert_int_equal(j.attempts, 1);
    client_free();
}

static void test_retry_after(void **state)
{
    struct jres j;
    struct timespec a, b;
    (void)state;
    client(NULL);
    /* Jitter is drawn as 0 here, so any wait comes from the server's Retry-After: 1. */
    clock_gettime(CLOCK_MONOTONIC, &a);
    describe_key(&j, creds, "k-retry-after");
    clock_gettime(CLOCK_MONOTONIC, &b);
    assert_int_equal(j.err.kind, LC_OK);
    assert_int_equal(j.attempts, 2);
    double waited = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    assert_true(waited >= 1.0);
    cJSON_Delete(j.doc);
    client_free();
}

static void test_retry_budget(void **state)
{
    struct jres j;
    struct lc_aws_config small = {.retry_budget = 12};
    (void)state;
    client(&small);
    /* 12 tokens pay for two retries (5 each); the third retry is refused. */
    describe_key(&j, creds, "k-always-throttled");
    assert_int_equal(j.attempts, 3);
    assert_string_equal(j.err.code, "ThrottlingException");
    client_free();
}

static void test_clock_skew(void **state)
{
    struct jres j;
    (void)state;
    client(NULL);
    lc_aws_set_clock(T.aws, skewed_clock);
    describe_key(&j, creds, "alias/logs");
    assert_int_equal(j.err.kind, LC_OK);
    assert_int_equal(j.attempts, 2); /* rejected once, corrected from the Date header */
    long off = lc_aws_clock_offset(T.aws);
    assert_true(off < -3500 && off > -3700);
    cJSON_Delete(j.doc);
    /* Corrected for good: the next call goes through at once. */
    describe_key(&j, creds, "alias/logs");
    assert_int_equal(j.attempts, 1);
    cJSON_Delete(j.doc);
    client_free();
}

struct qres {
    bool done;
    struct lc_error err;
    char status0[32], dest0[128], fmt0[32];
    size_t items;
};

static void on_query(void *ud, const struct lc_awsxml *doc, const struct lc_aws_resp *resp)
{
    struct qres *q = ud;
    q->err = resp->err;
    if (doc) {
        const char *v;
        q->items = lc_awsxml_count(doc, "DescribeFlowLogsResponse/flowLogSet");
        v = lc_awsxml_get(doc, "DescribeFlowLogsResponse/flowLogSet/item[0]/deliverLogsStatus");
        lc_strlcpy(q->status0, v ? v : "", sizeof(q->status0));
        v = lc_awsxml_get(doc, "DescribeFlowLogsResponse/flowLogSet/item[0]/logDestination");
        lc_strlcpy(q->dest0, v ? v : "", sizeof(q->dest0));
        v = lc_awsxml_get(
            doc, "DescribeFlowLogsResponse/flowLogSet/item[0]/destinationOptions/fileFormat");
        lc_strlcpy(q->fmt0, v ? v : "", sizeof(q->fmt0));
    }
    q->done = true;
}

static void test_query_call(void **state)
{
    struct qres q = {0};
    struct lc_kvlist params = {0};
    struct lc_error err;
    (void)state;
    client(NULL);
    lc_error_clear(&err);
    lc_kv_add(&params, "Filter.1.Name", "log-destination-type");
    lc_kv_add(&params, "Filter.1.Value.1", "s3");
    assert_int_equal(lc_aws_query_call(T.aws, creds, "ec2", NULL, "DescribeFlowLogs", &params,
                                       on_query, &q, &err),
                     0);
    lc_itest_run(&T, &q.done);
    assert_int_equal(q.err.kind, LC_OK);
    assert_int_equal(q.items, 2);
    assert_string_equal(q.status0, "FAILED");
    assert_string_equal(q.dest0, "arn:aws:s3:::lc-flow-bucket/flows");
    assert_string_equal(q.fmt0, "plain-text");
    assert_int_equal(logged("DescribeFlowLogs", "\"auth\": \"ok\""), 1);
    lc_kv_free(&params);

    /* EC2's error format: <Response><Errors><Error>. */
    memset(&q, 0, sizeof(q));
    lc_kv_add(&params, "FlowLogId.1", "fl-denied");
    assert_int_equal(lc_aws_query_call(T.aws, creds, "ec2", NULL, "DescribeFlowLogs", &params,
                                       on_query, &q, &err),
                     0);
    lc_itest_run(&T, &q.done);
    assert_int_equal(q.err.kind, LC_E_AWS);
    assert_int_equal(q.err.status, 403);
    assert_string_equal(q.err.code, "UnauthorizedOperation");
    assert_true(q.err.auth);
    assert_string_equal(q.err.service, "ec2");
    lc_kv_free(&params);
    client_free();
}

static void test_bad_signature(void **state)
{
    struct jres j;
    struct lc_error err;
    (void)state;
    client(NULL);
    struct lc_creds bad = {.access_key_id = "AKIALOGCANARYLAYER1", .secret_access_key = "wrong"};
    lc_error_clear(&err);
    struct lc_credprov *p = lc_credprov_static(T.aws, &bad, &err);
    describe_key(&j, p, "alias/logs");
    assert_int_equal(j.err.kind, LC_E_AWS);
    assert_string_equal(j.err.code, "InvalidSignatureException");
    assert_true(j.err.auth);
    assert_int_equal(j.attempts, 1); /* clocks agree: not a skew, not retried */
    lc_credprov_free(p);
    client_free();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_call),     cmocka_unit_test(test_retries),
        cmocka_unit_test(test_retry_after),   cmocka_unit_test(test_retry_budget),
        cmocka_unit_test(test_clock_skew),    cmocka_unit_test(test_query_call),
        cmocka_unit_test(test_bad_signature),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
