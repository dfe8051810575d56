/* Service request models and remediation: the produced statements, added to the policies and
 * re-evaluated, must turn every gap into a grant. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "iam/diagnose.h"
#include "probes/probe.h"
#include "iam/policy.h"

#define ACCT "111111111111"
#define KEY  "arn:aws:kms:ap-northeast-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
#define ROOT_ONLY                                                                                  \
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"Enable IAM User Permissions\","         \
    "\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::" ACCT ":root\"},\"Action\":"      \
    "\"kms:*\",\"Resource\":\"*\"}]}"
#define EMPTY "{\"Version\":\"2012-10-17\",\"Statement\":[]}"

static struct lc_policy *parse(const char *json, enum lc_policy_kind kind)
{
    struct lc_policy *p = NULL;
    struct lc_error err;
    if (lc_policy_parse(json, strlen(json), kind, &p, &err) != 0)
        fail_msg("parse: %s", err.message);
    return p;
}

static const struct lc_diag_request *find(const struct lc_diag_request *r, size_t n,
                                          const char *principal, const char *action)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(r[i].principal, principal) == 0 && strcmp(r[i].action, action) == 0)
            return &r[i];
    fail_msg("no request %s %s", principal, action);
    return NULL;
}

/* The request model of p's service (the probe's), vpcflowlogs when none is named. */
static struct lc_diag_params *bind(struct lc_diag_params *p)
{
    if (!p->service)
        p->service = "vpcflowlogs";
    assert_non_null(lc_probe_find(p->service));
    p->model = lc_probe_find(p->service)->diag;
    return p;
}

static const struct lc_diag_ctx *ctx(const struct lc_diag_request *r, const char *name)
{
    for (size_t i = 0; i < r->n_ctx; i++)
        if (strcmp(r->ctx[i].name, name) == 0)
            return &r->ctx[i];
    fail_msg("request %s has no %s", r->action, name);
    return NULL;
}

static void test_flowlogs_model(void **state)
{
    struct lc_diag_params p = {.service = "vpcflowlogs",
                               .account = ACCT,
                               .region = "ap-northeast-1",
                               .bucket = "logs",
                               .prefix = "vpc",
                               .key_arn = KEY};
    struct lc_diag_request *r;
    size_t n;
    struct lc_error err;
    (void)state;

    assert_int_equal(lc_diag_requests(bind(&p), &r, &n, &err), 0);
    assert_int_equal(n, 3);
    const struct lc_diag_request *gdk =
        find(r, n, "delivery.logs.amazonaws.com", "kms:GenerateDataKey");
    assert_int_equal(gdk->target, LC_POLICY_KEY);
    assert_string_equal(gdk->resource, KEY);
    assert_false(gdk->resource_prefix);
    assert_string_equal(gdk->resource_account, ACCT);
    assert_int_equal(ctx(gdk, "aws:SourceAccount")->state, LC_VAL_EXACT);
    assert_string_equal(ctx(gdk, "aws:SourceArn")->value, "arn:aws:logs:ap-northeast-1:" ACCT ":");
    assert_int_equal(ctx(gdk, "aws:SourceArn")->state, LC_VAL_PREFIX);
    assert_string_equal(ctx(gdk, "kms:EncryptionContext:aws:s3:arn")->value,
                        "arn:aws:s3:::logs/vpc/AWSLogs/" ACCT "/vpcflowlogs/ap-northeast-1/");
    assert_string_equal(ctx(gdk, "kms:ViaService")->value, "s3.ap-northeast-1.amazonaws.com");
    const struct lc_diag_request *put = find(r, n, "delivery.logs.amazonaws.com", "s3:PutObject");
    assert_int_equal(put->target, LC_POLICY_BUCKET);
    assert_true(put->resource_prefix);
    assert_string_equal(ctx(put, "s3:x-amz-acl")->value, "bucket-owner-full-control");
    find(r, n, "delivery.logs.amazonaws.com", "s3:GetBucketAcl");
    free(r);

    /* Bucket Key: the encryption context is exactly the bucket ARN. */
    p.bucket_key = true;
    assert_int_equal(lc_diag_requests(bind(&p), &r, &n, &err), 0);
    gdk = find(r, n, "delivery.logs.amazonaws.com", "kms:GenerateDataKey");
    assert_int_equal(ctx(gdk, "kms:EncryptionContext:aws:s3:arn")->state, LC_VAL_EXACT);
    assert_string_equal(ctx(gdk, "kms:EncryptionContext:aws:s3:arn")->value, "arn:aws:s3:::logs");
    free(r);
}

static void test_cloudtrail_model(void **state)
{
    struct lc_diag_params p = {
        .service = "cloudtrail",
        .account = ACCT,
        .region = "us-east-2",
        .bucket = "trail-bucket",
        .extra = {{"org_id", "o-abc123"},
                  {"trail_arn", "arn:aws:cloudtrail:us-east-2:999999999999:trail/org"}}};
    struct lc_diag_request *r;
    size_t n;
    struct lc_error err;
    (void)state;

    assert_int_equal(lc_diag_requests(bind(&p), &r, &n, &err), 0);
    const struct lc_diag_request *g = find(r, n, "cloudtrail.amazonaws.com", "kms:GenerateDataKey");
    assert_string_equal(ctx(g, "aws:SourceArn")->value, lc_diag_param(&p, "trail_arn"));
    assert_int_equal(ctx(g, "aws:SourceArn")->state, LC_VAL_EXACT);
    assert_string_equal(ctx(g, "aws:SourceAccount")->value, "999999999999");
    assert_string_equal(ctx(g, "kms:EncryptionContext:aws:cloudtrail:arn")->value,
                        lc_diag_param(&p, "trail_arn"));
    assert_int_equal(ctx(g, "kms:ViaService")->state, LC_VAL_ABSENT);
    const struct lc_diag_request *d = find(r, n, "cloudtrail.amazonaws.com", "kms:DescribeKey");
    assert_true(d->advisory);
    assert_int_equal(ctx(d, "kms:EncryptionContext:aws:cloudtrail:arn")->state, LC_VAL_ABSENT);
    const struct lc_diag_request *put = find(r, n, "cloudtrail.amazonaws.com", "s3:PutObject");
    assert_string_equal(put->resource,
                        "arn:aws:s3:::trail-bucket/AWSLogs/o-abc123/" ACCT "/CloudTrail/");
    free(r);
}

static void test_config_model(void **state)
{
    struct lc_diag_params p = {
        .service = "config",
        .account = ACCT,
        .region = "us-east-1",
        .bucket = "cfg",
        .extra = {{"config_role_arn", "arn:aws:iam::" ACCT ":role/config-role"}}};
    struct lc_diag_request *r;
    size_t n;
    struct lc_error err;
    (void)state;

    assert_int_equal(lc_diag_requests(bind(&p), &r, &n, &err), 0);
    assert_int_equal(n, 10); /* role and service principal: 2 KMS + 3 S3 each */
    const struct lc_diag_request *role =
        find(r, n, lc_diag_param(&p, "config_role_arn"), "kms:Decrypt");
    const struct lc_diag_request *spn = find(r, n, "config.amazonaws.com", "kms:Decrypt");
    assert_string_equal(role->need, spn->need); /* alternatives */
    assert_int_equal(ctx(role, "aws:SourceAccount")->state, LC_VAL_ABSENT);
    assert_string_equal(ctx(role, "kms:CallerAccount")->value, ACCT);
    assert_true(find(r, n, "config.amazonaws.com", "s3:ListBucket")->advisory);
    free(r);
}

static void test_bad_params(void **state)
{
    static const struct {
        struct lc_diag_params p;
        const char *want;
    } bad[] = {
        {{.account = "1234", .region = "r", .bucket = "b"}, "--account"},
        {{.account = ACCT, .region = "us east", .bucket = "b"}, "--region"},
        {{.account = ACCT, .region = "r", .bucket = "b/c"}, "--bucket"},
        {{.account = ACCT, .region = "r", .bucket = "b", .prefix = "/x"}, "--prefix"},
        {{.account = ACCT, .region = "r", .bucket = "b", .key_arn = "key-id"}, "--key-arn"},
        {{.service = "cloudtrail",
          .account = ACCT,
          .region = "r",
          .bucket = "b",
          .extra = {{"trail_arn", "arn:aws:s3:::x"}}},
         "--trail-arn"},
        {{.service = "cloudtrail",
          .account = ACCT,
          .region = "r",
          .bucket = "b",
          .extra = {{"org_id", "abc"}}},
         "--org-id"},
        {{.account = ACCT, .region = "r", .bucket = "b\"x"}, "--bucket"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct lc_diag_request *r = NULL;
        size_t n;
        struct lc_error err;
        struct lc_diag_params p = bad[i].p;
        assert_int_equal(lc_diag_requests(bind(&p), &r, &n, &err), LC_E_INVALID);
        assert_non_null(strstr(err.message, bad[i].want));
        assert_null(r);
    }
}

/* Diagnose, then add the remediation to both policies and diagnose again. */
static void remediate(const struct lc_diag_params *given, const char *key_json,
                      const char *bucket_json, enum lc_pol_verdict want_after)
{
    struct lc_diag_params bound = *given;
    const struct lc_diag_params *p = bind(&bound);
    struct lc_policy *kp = parse(key_json, LC_POLICY_KEY);
    struct lc_policy *bp = parse(bucket_json, LC_POLICY_BUCKET);
    struct lc_policy *kp2 = NULL, *bp2 = NULL;
    struct lc_diag_report rep, rep2;
    struct lc_error err;

    assert_int_equal(lc_diagnose(p, kp, bp, &rep, &err), 0);
    if (rep.verdict == LC_POL_GRANTED)
        fail_msg("%s: granted before the fix", p->service);
    assert_true(cJSON_GetArraySize(rep.key.statements) > 0);
    assert_true(cJSON_GetArraySize(rep.bucket.statements) > 0);
    if (want_after == LC_POL_GRANTED && (!rep.key.verified || !rep.bucket.verified))
        fail_msg("%s: remediation not verified (key %d, bucket %d)", p->service, rep.key.verified,
                 rep.bucket.verified);
    assert_int_equal(lc_policy_with_statements(kp, rep.key.statements, &kp2, &err), 0);
    assert_int_equal(lc_policy_with_statements(bp, rep.bucket.statements, &bp2, &err), 0);
    assert_int_equal(lc_diagnose(p, kp2, bp2, &rep2, &err), 0);
    if (rep2.verdict != want_after)
        fail_msg("%s: after the fix %s, want %s", p->service, lc_pol_verdict_name(rep2.verdict),
                 lc_pol_verdict_name(want_after));
    assert_int_equal(rep2.key.missing_actions.n, 0);
    assert_int_equal(rep2.bucket.missing_actions.n, 0);
    assert_int_equal(rep2.key.advisory_missing.n, 0);
    assert_int_equal(rep2.bucket.advisory_missing.n, 0);
    /* Nothing more to add once fixed. */
    assert_int_equal(cJSON_GetArraySize(rep2.key.statements), 0);
    lc_diag_report_free(&rep);
    lc_diag_report_free(&rep2);
    lc_policy_free(kp);
    lc_policy_free(bp);
    lc_policy_free(kp2);
    lc_policy_free(bp2);
}

static void test_remediation_closes_gaps(void **state)
{
    static const struct lc_diag_params variants[] = {
        {.service = "vpcflowlogs", .account = ACCT, .region = "eu-west-1", .bucket = "b"},
        {.service = "vpcflowlogs",
         .account = ACCT,
         .region = "eu-west-1",
         .bucket = "b",
         .prefix = "flow/logs",
         .key_arn = KEY,
         .bucket_key = true},
        {.service = "config", .account = ACCT, .region = "us-east-1", .bucket = "cfg"},
        {.service = "config",
         .account = ACCT,
         .region = "us-east-1",
         .bucket = "cfg",
         .prefix = "p",
         .bucket_key = true,
         .key_arn = KEY},
        {.service = "cloudtrail", .account = ACCT, .region = "us-east-2", .bucket = "t"},
        {.service = "cloudtrail",
         .account = ACCT,
         .region = "us-east-2",
         .bucket = "t",
         .extra = {{"trail_arn", "arn:aws:cloudtrail:us-east-2:111111111111:trail/main"}},
         .bucket_key = true},
        {.service = "cloudtrail",
         .account = ACCT,
         .region = "us-east-2",
         .bucket = "t",
         .prefix = "ct",
         .extra = {{"org_id", "o-abc123"},
                   {"trail_arn", "arn:aws:cloudtrail:us-east-2:111111111111:trail/org"}}},
        /* Control Tower (the shape of the Control Tower case, probes/FACTS.md). */
        {.service = "config",
         .account = "123456789012",
         .region = "ap-northeast-1",
         .bucket = "aws-controltower-logs-210987654321-ap-northeast-1",
         .prefix = "o-b1c2d3e4f5",
         .key_arn = "arn:aws:kms:ap-northeast-1:567890123456:key/k"},
        {.service = "cloudtrail",
         .account = "123456789012",
         .region = "ap-northeast-1",
         .bucket = "aws-controltower-logs-210987654321-ap-northeast-1",
         .prefix = "o-b1c2d3e4f5",
         .extra = {{"org_id", "o-b1c2d3e4f5"}},
         .key_arn = "arn:aws:kms:ap-northeast-1:567890123456:key/k"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++)
        remediate(&variants[i], ROOT_ONLY, EMPTY, LC_POL_GRANTED);

    /* Config with its recorder role: the role path depends on IAM, the fix adds the service
     * principal fallback, which makes delivery certain. */
    struct lc_diag_params role = {.service = "config",
                                  .account = ACCT,
                                  .region = "us-east-1",
                                  .bucket = "cfg",
                                  .key_arn = KEY,
                                  .extra = {{"config_role_arn", "arn:aws:iam::" ACCT ":role/cfg"}}};
    remediate(&role, ROOT_ONLY, EMPTY, LC_POL_GRANTED);
}

static void test_reader_role(void **state)
{
    struct lc_diag_params p = {.service = "vpcflowlogs",
                               .account = ACCT,
                               .region = "eu-west-1",
                               .bucket = "b",
                               .key_arn = KEY,
                               .reader_role_arn = "arn:aws:iam::" ACCT ":role/logcanary"};
    struct lc_policy *kp = parse(ROOT_ONLY, LC_POLICY_KEY);
    struct lc_diag_report rep;
    struct lc_error err;
    (void)state;

    assert_int_equal(lc_diagnose(bind(&p), kp, NULL, &rep, &err), 0);
    /* Delivery is a gap; the reader's kms:Decrypt depends on its IAM policy (root statement). */
    assert_int_equal(rep.key.verdict, LC_POL_GAP);
    assert_true(lc_pol_names_has(&rep.key.undetermined,
                                 "IAM policy of arn:aws:iam::" ACCT ":role/logcanary"));
    assert_false(rep.bucket.evaluated);
    lc_diag_report_free(&rep);
    lc_policy_free(kp);
}

static void test_deny_blocks(void **state)
{
    static const char key[] =
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"Logs\",\"Effect\":\"Allow\","
        "\"Principal\":{\"Service\":\"delivery.logs.amazonaws.com\"},\"Action\":\"kms:*\","
        "\"Resource\":\"*\"},{\"Sid\":\"NoKmsForServices\",\"Effect\":\"Deny\",\"Principal\":\"*\","
        "\"Action\":\"kms:GenerateDataKey*\",\"Resource\":\"*\",\"Condition\":{\"Bool\":{"
        "\"aws:PrincipalIsAWSService\":\"true\"}}}]}";
    struct lc_diag_params p = {
        .service = "vpcflowlogs", .account = ACCT, .region = "eu-west-1", .bucket = "b"};
    struct lc_policy *kp = parse(key, LC_POLICY_KEY);
    struct lc_diag_report rep;
    struct lc_error err;
    (void)state;

    assert_int_equal(lc_diagnose(bind(&p), kp, NULL, &rep, &err), 0);
    assert_int_equal(rep.key.verdict, LC_POL_GAP);
    assert_true(lc_pol_names_has(&rep.key.denied_by, "NoKmsForServices"));
    /* An Allow already applies: adding another cannot help, the Deny must change. */
    assert_int_equal(cJSON_GetArraySize(rep.key.statements), 0);
    bool told = false;
    for (size_t i = 0; i < rep.key.notes.n; i++)
        told = told || strstr(rep.key.notes.items[i], "remove or narrow the Deny statement "
                                                      "\"NoKmsForServices\"");
    assert_true(told);
    lc_diag_report_free(&rep);
    lc_policy_free(kp);
}

static void test_output(void **state)
{
    struct lc_diag_params p = {.service = "vpcflowlogs",
                               .account = ACCT,
                               .region = "ap-northeast-1",
                               .bucket = "flowlogs-bucket"};
    struct lc_policy *kp = parse(ROOT_ONLY, LC_POLICY_KEY);
    struct lc_policy *bp = parse(EMPTY, LC_POLICY_BUCKET);
    struct lc_diag_report rep;
    struct lc_error err;
    struct lc_buf text = {0};
    (void)state;

    assert_int_equal(lc_diagnose(bind(&p), kp, bp, &rep, &err), 0);
    assert_int_equal(lc_diag_report_text(&rep, &p, &text), 0);
    assert_non_null(strstr(text.data, "key policy: GAP"));
    assert_non_null(strstr(text.data, "\"Sid\": \"Allow Logs Delivery to use the key\""));
    assert_non_null(strstr(text.data, "\"Sid\": \"AWSLogDeliveryWrite\""));
    assert_non_null(
        strstr(text.data, "\"Resource\": \"arn:aws:s3:::flowlogs-bucket/AWSLogs/" ACCT "/*\""));
    assert_non_null(strstr(text.data, "never grants the service principal"));
    assert_non_null(strstr(text.data, "verdict: GAP"));
    assert_non_null(strstr(text.data, "Nothing to restart"));

    cJSON *j = lc_diag_report_json(&rep);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "service")->valuestring, "vpcflowlogs");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(j, "granted")));
    cJSON *k = cJSON_GetObjectItem(j, "key_policy");
    assert_string_equal(
        cJSON_GetArrayItem(cJSON_GetObjectItem(k, "missing_actions"), 0)->valuestring,
        "kms:GenerateDataKey");
    cJSON *st = cJSON_GetArrayItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(k, "remediation"), "add_statements"), 0);
    cJSON *arn = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(st, "Condition"), "ArnLike"), "aws:SourceArn");
    assert_string_equal(arn->valuestring, "arn:aws:logs:ap-northeast-1:" ACCT ":*");
    assert_true(
        cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(k, "remediation"), "verified")));
    cJSON_Delete(j);
    lc_buf_free(&text);
    lc_diag_report_free(&rep);
    lc_policy_free(kp);
    lc_policy_free(bp);

    /* Control Tower: the steps after the edit. */
    struct lc_diag_params ct = {.service = "config",
                                .account = "123456789012",
                                .region = "ap-northeast-1",
                                .bucket = "aws-controltower-logs-210987654321-ap-northeast-1",
                                .key_arn = "arn:aws:kms:ap-northeast-1:567890123456:key/k"};
    kp = parse(ROOT_ONLY, LC_POLICY_KEY);
    assert_int_equal(lc_diagnose(bind(&ct), kp, NULL, &rep, &err), 0);
    assert_true(rep.control_tower);
    assert_int_equal(rep.steps_after.n, 2);
    assert_non_null(strstr(rep.steps_after.items[0], "delete the failed stack"));
    assert_non_null(strstr(rep.steps_after.items[1], "re-run the landing-zone setup"));
    assert_string_equal(cJSON_GetObjectItem(rep.key.statements->child, "Sid")->valuestring,
                        "Allow Config to use KMS for encryption");
    lc_diag_report_free(&rep);
    lc_policy_free(kp);

    /* Undetermined is JSON null. */
    kp = parse("{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"*\","
               "\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{\"kms:CallerAccount\":\"" ACCT
               "\"}}}]}",
               LC_POLICY_KEY);
    assert_int_equal(lc_diagnose(bind(&p), kp, NULL, &rep, &err), 0);
    j = lc_diag_report_json(&rep);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "granted")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "bucket_policy")));
    cJSON_Delete(j);
    lc_diag_report_free(&rep);
    lc_policy_free(kp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flowlogs_model),
        cmocka_unit_test(test_cloudtrail_model),
        cmocka_unit_test(test_config_model),
        cmocka_unit_test(test_bad_params),
        cmocka_unit_test(test_remediation_closes_gaps),
        cmocka_unit_test(test_reader_role),
        cmocka_unit_test(test_deny_blocks),
        cmocka_unit_test(test_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
