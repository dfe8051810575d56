/* Findings: each observation pattern gives the expected status and findings (the tables of
 * stream and canary cases), a failure to check is never reported as a missing delivery, and
 * the diagnosis cases and the registry below them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lc_fixtures.h"

#include "pipeline/findings.h"
#include "probes/probe.h"
#include "outputs/report.h"

#define NOW 1800000000

static char *accounts[] = {"111111111111"};
static char *regions[] = {"ap-northeast-1"};
static struct lc_target_cfg target = {.name = "logs",
                                      .bucket = "lc-logs",
                                      .kms_key_arn = "arn:aws:kms:ap-northeast-1:111111111111:"
                                                     "key/1234abcd-12ab-34cd-56ef-1234567890ab"};
static struct lc_source_cfg src = {.probe = &lc_probe_cloudtrail,
                                   .accounts = accounts,
                                   .n_accounts = 1,
                                   .regions = regions,
                                   .n_regions = 1,
                                   .max_age_s = 1200,
                                   .sample = true};
static struct lc_stream stream = {.target = &target,
                                  .source = &src,
                                  .probe = &lc_probe_cloudtrail,
                                  .account = "111111111111",
                                  .region = "ap-northeast-1",
                                  .id = "logs/cloudtrail/1111/apne1",
                                  .base = "AWSLogs/111111111111/CloudTrail/ap-northeast-1/"};

static struct lc_stream_obs healthy(void)
{
    struct lc_stream_obs so = {.stream = &stream,
                               .window_from = NOW - 3600,
                               .requests = 2,
                               .objects_seen = 3,
                               .newest_key = "k",
                               .newest_size = 100,
                               .newest_modified = NOW - 120,
                               .newest_delivered = NOW - 120,
                               .sampled = true,
                               .sse = "aws:kms",
                               .sse_kms_key_id = target.kms_key_arn};
    so.sample.valid = true;
    so.sample.records = 5;
    so.sample.newest_record = NOW - 300;
    return so;
}

static void aws_err(struct lc_error *e, long status, const char *code, const char *msg)
{
    lc_error_clear(e);
    e->kind = LC_E_AWS;
    e->status = status;
    lc_strlcpy(e->service, "s3", sizeof(e->service));
    lc_strlcpy(e->code, code, sizeof(e->code));
    lc_strlcpy(e->message, msg, sizeof(e->message));
    lc_error_classify(e);
}

/* Judge one stream; return its status and the single finding code ("" when none). */
static enum lc_stream_status judge(struct lc_stream_obs *so, const char **codes, size_t *n)
{
    struct lc_observations o = {.now = NOW, .streams = so, .n_streams = 1};
    struct lc_findings f;
    assert_int_equal(lc_findings_build(&o, &f), 0);
    enum lc_stream_status st = f.stream_status[0];
    *n = f.n;
    for (size_t i = 0; i < f.n && i < 4; i++)
        codes[i] = lc_finding_name(f.items[i].code); /* static strings */
    /* Every finding renders into valid JSON with the contract's fields. */
    cJSON *doc = lc_report_json_doc(&o, &f);
    assert_non_null(cJSON_GetObjectItem(doc, "streams"));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "findings")), (int)f.n);
    cJSON_Delete(doc);
    lc_findings_free(&f);
    return st;
}

static void setup_probe(void)
{
    stream.probe = lc_probe_find("cloudtrail");
}

/* ---- streams: observation -> status and findings, as data -------------------------------- */

/* Each case changes the healthy observation of one stream. */
static void stale(struct lc_stream_obs *so)
{
    so->newest_delivered = NOW - 5 * 3600;
}

static void nothing_found(struct lc_stream_obs *so)
{
    so->newest_key = NULL;
    so->sampled = false;
    so->objects_seen = 0;
    so->lookback_from = NOW - 86400;
}

static void list_denied(struct lc_stream_obs *so)
{
    aws_err(&so->list_err, 403, "AccessDenied", "Access Denied");
}

static void read_denied_by_kms(struct lc_stream_obs *so)
{
    so->sampled = false;
    aws_err(&so->sample_err, 403, "AccessDenied",
            "User: arn:aws:sts::111111111111:assumed-role/lc/x is not authorized to perform: "
            "kms:Decrypt on resource: arn:aws:kms:ap-northeast-1:111111111111:key/abc");
}

static void list_unreachable(struct lc_stream_obs *so)
{
    lc_error_clear(&so->list_err);
    lc_error_set(&so->list_err, LC_E_NETWORK, "connection refused");
}

static void list_throttled(struct lc_stream_obs *so)
{
    aws_err(&so->list_err, 503, "SlowDown", "Please reduce your request rate.");
}

static void no_credentials(struct lc_stream_obs *so)
{
    lc_error_clear(&so->list_err);
    lc_error_set(&so->list_err, LC_E_CREDENTIALS, "no credentials");
}

static void truncated_sample(struct lc_stream_obs *so)
{
    so->sample.valid = false;
    lc_strlcpy(so->sample.reason, "gzip stream truncated", sizeof(so->sample.reason));
}

static void old_records(struct lc_stream_obs *so)
{
    so->sample.newest_record = NOW - 3 * 86400;
}

static void other_key(struct lc_stream_obs *so)
{
    so->sse_kms_key_id = "arn:aws:kms:ap-northeast-1:111111111111:key/99999999-0000-0000-0000-0";
}

static void sse_s3(struct lc_stream_obs *so)
{
    so->sse = "AES256";
    so->sse_kms_key_id = NULL;
}

static void bare_key_id(struct lc_stream_obs *so)
{
    so->sse_kms_key_id = "1234abcd-12ab-34cd-56ef-1234567890ab";
}

struct stream_case {
    const char *name;
    void (*change)(struct lc_stream_obs *so); /* NULL: healthy as it is */
    enum lc_stream_status status;
    const char *codes[3]; /* the findings, in order */
};

static const struct stream_case stream_cases[] = {
    {"healthy", NULL, LC_ST_OK, {NULL}},
    {"newest delivery too old", stale, LC_ST_STALE, {"DELIVERY_MISSING"}},
    {"nothing in the lookback", nothing_found, LC_ST_MISSING, {"DELIVERY_MISSING"}},
    {"listing denied by S3", list_denied, LC_ST_DENIED, {"READ_DENIED_S3"}},
    {"read denied by KMS", read_denied_by_kms, LC_ST_DENIED, {"READ_DENIED_KMS"}},
    /* a failure to check is never a missing delivery */
    {"network error", list_unreachable, LC_ST_ERROR, {"PROBE_ERROR"}},
    {"throttled after retries", list_throttled, LC_ST_ERROR, {"PROBE_ERROR"}},
    {"no credentials", no_credentials, LC_ST_ERROR, {"PROBE_ERROR"}},
    {"content invalid", truncated_sample, LC_ST_INVALID, {"SAMPLE_INVALID"}},
    {"old records in a fresh file: a replay", old_records, LC_ST_INVALID, {"SAMPLE_INVALID"}},
    {"encrypted with another key", other_key, LC_ST_OK, {"ENCRYPTION_MISMATCH"}},
    {"encrypted with SSE-S3", sse_s3, LC_ST_OK, {"ENCRYPTION_MISMATCH"}},
    {"the expected key by its bare id", bare_key_id, LC_ST_OK, {NULL}},
};

static void test_stream_cases(void **state)
{
    const char *codes[4];
    size_t n;
    (void)state;
    setup_probe();
    for (size_t i = 0; i < sizeof(stream_cases) / sizeof(stream_cases[0]); i++) {
        const struct stream_case *c = &stream_cases[i];
        struct lc_stream_obs so = healthy();
        size_t want = 0;
        if (c->change)
            c->change(&so);
        enum lc_stream_status st = judge(&so, codes, &n);
        if (st != c->status)
            fail_msg("%s: status %s, want %s", c->name, lc_stream_status_name(st),
                     lc_stream_status_name(c->status));
        while (want < 3 && c->codes[want])
            want++;
        if (n != want)
            fail_msg("%s: %zu finding(s), want %zu", c->name, n, want);
        for (size_t k = 0; k < want; k++)
            if (strcmp(codes[k], c->codes[k]) != 0)
                fail_msg("%s: finding %zu is %s, want %s", c->name, k, codes[k], c->codes[k]);
    }
}

/* ---- canaries, as data --------------------------------------------------------------------- */

static enum lc_canary_status judge_canary(struct lc_canary_obs *c, const char **code, size_t *n)
{
    struct lc_observations o = {.now = NOW, .canaries = c, .n_canaries = 1};
    struct lc_findings f;
    assert_int_equal(lc_findings_build(&o, &f), 0);
    enum lc_canary_status st = f.canary_status[0];
    *n = f.n;
    *code = f.n ? lc_finding_name(f.items[0].code) : "";
    lc_findings_free(&f);
    return st;
}

static void put_denied_by_kms(struct lc_canary_obs *c)
{
    c->failed_step = "put";
    aws_err(&c->err, 403, "AccessDenied",
            "User: arn:aws:iam::111111111111:user/lc is not authorized to perform: "
            "kms:GenerateDataKey on resource: arn:aws:kms:ap-northeast-1:111111111111:key/x");
}

static void put_unknown_key(struct lc_canary_obs *c) /* radosgw's words for an unknown key */
{
    c->failed_step = "put";
    aws_err(&c->err, 403, "InvalidAccessKeyId", "Failed to retrieve the actual key, kms-keyid: x");
}

static void put_denied(struct lc_canary_obs *c)
{
    c->failed_step = "put";
    aws_err(&c->err, 403, "AccessDenied", "Access Denied");
}

static void put_timed_out(struct lc_canary_obs *c)
{
    c->failed_step = "put";
    lc_error_clear(&c->err);
    lc_error_set(&c->err, LC_E_TIMEOUT, "timed out");
}

static void canary_other_key(struct lc_canary_obs *c)
{
    c->sse_kms_key_id = "arn:aws:kms:ap-northeast-1:111111111111:key/other";
}

static void content_differs(struct lc_canary_obs *c)
{
    c->content_match = false;
}

struct canary_case {
    const char *name;
    void (*change)(struct lc_canary_obs *c); /* NULL: the round trip worked */
    enum lc_canary_status status;
    const char *code; /* the first finding, NULL when none */
};

static const struct canary_case canary_cases[] = {
    {"round trip", NULL, LC_CANARY_OK, NULL},
    {"PUT denied by KMS", put_denied_by_kms, LC_CANARY_FAILED, "CANARY_WRITE_DENIED_KMS"},
    {"PUT with a key the server does not know", put_unknown_key, LC_CANARY_FAILED,
     "CANARY_WRITE_DENIED_KMS"},
    {"PUT denied by S3", put_denied, LC_CANARY_FAILED, "CANARY_FAILED"},
    {"PUT timed out", put_timed_out, LC_CANARY_ERROR, "PROBE_ERROR"},
    {"written with another key", canary_other_key, LC_CANARY_FAILED, "ENCRYPTION_MISMATCH"},
    {"read back differs", content_differs, LC_CANARY_FAILED, "CANARY_FAILED"},
};

static void test_canary_cases(void **state)
{
    const char *code;
    size_t n;
    (void)state;
    for (size_t i = 0; i < sizeof(canary_cases) / sizeof(canary_cases[0]); i++) {
        const struct canary_case *k = &canary_cases[i];
        struct lc_canary_obs c = {.target = &target,
                                  .ran = true,
                                  .key = "logcanary-canary/x.txt",
                                  .content_match = true,
                                  .deleted = true,
                                  .sse = "aws:kms",
                                  .sse_kms_key_id = target.kms_key_arn};
        if (k->change)
            k->change(&c);
        enum lc_canary_status st = judge_canary(&c, &code, &n);
        if (st != k->status)
            fail_msg("%s: status %s, want %s", k->name, lc_canary_status_name(st),
                     lc_canary_status_name(k->status));
        if (k->code ? strcmp(code, k->code) != 0 : n != 0)
            fail_msg("%s: finding %s, want %s", k->name, n ? code : "none",
                     k->code ? k->code : "none");
    }
}

/* A read denied by KMS, with the key policy and logcanary's identity from the diagnosis. */
static struct lc_findings judge_reader_case(const char *key_policy)
{
    static char *kp;
    struct lc_stream_obs so = healthy();
    so.sampled = false;
    aws_err(&so.sample_err, 403, "AccessDenied",
            "User: arn:aws:sts::111111111111:assumed-role/logcanary/i-0abc is not authorized to "
            "perform: kms:Decrypt on resource: arn:aws:kms:ap-northeast-1:111111111111:key/"
            "1234abcd-12ab-34cd-56ef-1234567890ab");
    kp = (char *)key_policy;
    struct lc_target_obs to = {.target = &target,
                               .key_described = true,
                               .key_arn = target.kms_key_arn,
                               .key_state = "Enabled",
                               .key_manager = "CUSTOMER",
                               .key_policy_read = true,
                               .key_policy = kp,
                               .bucket_policy_read = true,
                               .caller_arn = "arn:aws:sts::111111111111:assumed-role/logcanary/"
                                             "i-0abc"};
    struct lc_observations o = {
        .now = NOW, .streams = &so, .n_streams = 1, .targets = &to, .n_targets = 1};
    struct lc_findings f;
    assert_int_equal(lc_findings_build(&o, &f), 0);
    return f;
}

static const struct lc_finding *find(const struct lc_findings *f, const char *code)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(lc_finding_name(f->items[i].code), code) == 0)
            return &f->items[i];
    return NULL;
}

static void test_reader_key_policy(void **state)
{
    (void)state;
    setup_probe();
    /* Only the delivering service is allowed: logcanary's role has no grant at all. */
    struct lc_findings f = judge_reader_case(
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":"
        "{\"Service\":\"cloudtrail.amazonaws.com\"},\"Action\":\"kms:GenerateDataKey*\","
        "\"Resource\":\"*\"}]}");
    const struct lc_finding *gap = find(&f, "KEY_POLICY_GAP");
    const struct lc_finding *den = find(&f, "READ_DENIED_KMS");
    assert_non_null(gap);
    assert_non_null(den);
    assert_string_equal(cJSON_GetObjectItem(gap->evidence, "principal")->valuestring,
                        "arn:aws:iam::111111111111:role/logcanary");
    const cJSON *add = cJSON_GetObjectItem(gap->remediation, "add_statements");
    assert_true(cJSON_GetArraySize(add) >= 1);
    char *txt = cJSON_PrintUnformatted(add);
    assert_non_null(strstr(txt, "arn:aws:iam::111111111111:role/logcanary"));
    assert_non_null(strstr(txt, "kms:Decrypt"));
    cJSON_free(txt);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(gap->remediation, "verified")));
    assert_non_null(den->likely_cause);
    assert_string_equal(cJSON_GetObjectItem(den->likely_cause, "code")->valuestring,
                        "KEY_POLICY_GAP");
    lc_findings_free(&f);

    /* An explicit Deny on logcanary's role: a gap, named by its Sid. */
    f = judge_reader_case(
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"Root\",\"Effect\":\"Allow\","
        "\"Principal\":{\"AWS\":\"arn:aws:iam::111111111111:root\"},\"Action\":\"kms:*\","
        "\"Resource\":\"*\"},{\"Sid\":\"NoReaders\",\"Effect\":\"Deny\",\"Principal\":{\"AWS\":"
        "\"arn:aws:iam::111111111111:role/logcanary\"},\"Action\":\"kms:Decrypt\","
        "\"Resource\":\"*\"}]}");
    gap = find(&f, "KEY_POLICY_GAP");
    assert_non_null(gap);
    assert_non_null(strstr(gap->summary, "NoReaders"));
    lc_findings_free(&f);

    /* Only the account-root statement: the key defers to IAM policies, which logcanary cannot
     * see: no gap claimed, the denial says where to look. */
    f = judge_reader_case(
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":"
        "{\"AWS\":\"arn:aws:iam::111111111111:root\"},\"Action\":\"kms:*\",\"Resource\":\"*\"}]}");
    assert_null(find(&f, "KEY_POLICY_GAP"));
    den = find(&f, "READ_DENIED_KMS");
    assert_non_null(den);
    const cJSON *pc = cJSON_GetObjectItem(den->evidence, "key_policy_check");
    assert_non_null(pc);
    assert_string_equal(cJSON_GetObjectItem(pc, "verdict")->valuestring, "undetermined");
    lc_findings_free(&f);
}

/* A delivering service whose grant depends on a value logcanary cannot know: the missing
 * delivery says "undetermined" and what it depends on; no gap is claimed. */
static void test_undetermined_delivery_policy(void **state)
{
    (void)state;
    setup_probe();
    struct lc_stream_obs so = healthy();
    so.newest_delivered = NOW - 5 * 3600; /* stale */
    /* CloudTrail's grant tied to one trail's ARN, which logcanary does not know here (no
     * status_role_arn): whether it is this bucket's trail cannot be told. */
    struct lc_target_obs to = {
        .target = &target,
        .key_described = true,
        .key_arn = target.kms_key_arn,
        .key_state = "Enabled",
        .key_manager = "CUSTOMER",
        .key_policy_read = true,
        .key_policy =
            "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
            "\"Principal\":{\"Service\":\"cloudtrail.amazonaws.com\"},\"Action\":"
            "[\"kms:GenerateDataKey*\",\"kms:DescribeKey\"],\"Resource\":\"*\","
            "\"Condition\":{\"StringEquals\":{\"kms:EncryptionContext:aws:cloudtrail:arn\":"
            "\"arn:aws:cloudtrail:ap-northeast-1:111111111111:trail/mgmt\"}}}]}"};
    struct lc_observations o = {
        .now = NOW, .streams = &so, .n_streams = 1, .targets = &to, .n_targets = 1};
    struct lc_findings f;
    assert_int_equal(lc_findings_build(&o, &f), 0);
    assert_null(find(&f, "KEY_POLICY_GAP"));
    const struct lc_finding *miss = find(&f, "DELIVERY_MISSING");
    assert_non_null(miss);
    const cJSON *pc = cJSON_GetObjectItem(miss->evidence, "key_policy_check");
    assert_non_null(pc);
    assert_string_equal(cJSON_GetObjectItem(pc, "verdict")->valuestring, "undetermined");
    char *deps = cJSON_PrintUnformatted(cJSON_GetObjectItem(pc, "depends_on"));
    assert_non_null(strstr(deps, "kms:EncryptionContext:aws:cloudtrail:arn"));
    cJSON_free(deps);
    lc_findings_free(&f);
}

/* The delivering service's own status (read with status_role_arn) on the missing delivery: what
 * it says when it reports no failure, found or not; a failure is its own finding, not repeated;
 * a status that could not be read adds nothing. */
static void test_status_on_missing_delivery(void **state)
{
    static const struct {
        const char *summary, *detail;
        bool read, failed;
        const char *status_code; /* the second finding, or NULL */
        bool on_missing;         /* the status is on DELIVERY_MISSING */
    } cases[] = {
        {"1 trail(s) deliver to s3://lc-logs", "{\"trails\":[{\"name\":\"mgmt\"}]}", true, false,
         NULL, true},
        {"no trail delivers to s3://lc-logs", "{\"trails\":[]}", true, false, NULL, true},
        {"trail mgmt is not logging", "{\"trails\":[{\"name\":\"mgmt\"}]}", true, true,
         "DELIVERY_STATUS_FAILED", false},
        {NULL, "{}", false, false, NULL, false},
    };
    (void)state;
    setup_probe();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct lc_stream_obs so = healthy();
        so.newest_delivered = NOW - 5 * 3600; /* stale */
        so.status.asked = true;
        so.status.read = cases[i].read;
        so.status.failed = cases[i].failed;
        so.status.summary = cases[i].summary ? strdup(cases[i].summary) : NULL;
        so.status.detail = cJSON_Parse(cases[i].detail);
        struct lc_observations o = {.now = NOW, .streams = &so, .n_streams = 1};
        struct lc_findings f;
        assert_int_equal(lc_findings_build(&o, &f), 0);
        const struct lc_finding *miss = find(&f, "DELIVERY_MISSING");
        assert_non_null(miss);
        assert_int_equal(f.n, cases[i].status_code ? 2 : 1);
        if (cases[i].status_code)
            assert_non_null(find(&f, cases[i].status_code));
        const cJSON *said = cJSON_GetObjectItem(miss->evidence, "service_summary");
        const cJSON *detail = cJSON_GetObjectItem(miss->evidence, "service_status");
        if (cases[i].on_missing) {
            assert_true(cJSON_IsString(said));
            assert_string_equal(said->valuestring, cases[i].summary);
            assert_true(cJSON_Compare(detail, so.status.detail, true));
        } else {
            assert_null(said);
            assert_null(detail);
        }
        lc_findings_free(&f);
        lc_status_obs_free(&so.status);
    }
}

/* The manual's FINDINGS list is the registry's. */
/* A stream whose bucket its service can never deliver into: the finding says why and what to
 * change, and it is the likely cause of the missing delivery; fresh deliveries overrule it. */
struct destination_case {
    const char *name;
    const char *bucket;
    const char *enc_algorithm, *enc_key, *key_manager; /* the bucket's reads (NULL: none) */
    bool stale;
    const char *why; /* in DESTINATION_UNSUPPORTED's summary; NULL: no such finding */
};

static const struct destination_case destination_cases[] = {
    {"WAF into a bucket without the aws-waf-logs- name", "central-logs", NULL, NULL, NULL, true,
     "WAF logs only to buckets whose name starts with \"aws-waf-logs-\": s3://central-logs"},
    {"WAF into an aws/s3 bucket", "aws-waf-logs-central", "aws:kms", NULL, "AWS", true,
     "encrypts with the AWS managed key aws/s3, which WAF cannot write with"},
    {"WAF into a bucket with the default aws/s3 key", "aws-waf-logs-central", "aws:kms", NULL, NULL,
     true, "AWS managed key"},
    {"WAF into a customer managed key", "aws-waf-logs-central", "aws:kms",
     "arn:aws:kms:ap-northeast-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab", "CUSTOMER",
     true, NULL},
    {"WAF into SSE-S3", "aws-waf-logs-central", "AES256", NULL, NULL, true, NULL},
    {"fresh deliveries overrule the rule", "central-logs", NULL, NULL, NULL, false, NULL},
};

static void test_destination_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(destination_cases) / sizeof(destination_cases[0]); i++) {
        const struct destination_case *c = &destination_cases[i];
        struct lc_target_cfg t = target;
        struct lc_source_cfg wsrc = src;
        struct lc_stream ws = stream;
        t.bucket = (char *)c->bucket;
        t.kms_key_arn = NULL;
        wsrc.probe = lc_probe_find("waf");
        ws.probe = wsrc.probe;
        ws.source = &wsrc;
        ws.target = &t;
        ws.id = "logs/waf/1111/apne1";
        struct lc_stream_obs so = healthy();
        so.stream = &ws;
        so.sse_kms_key_id = NULL;
        if (c->stale)
            so.newest_delivered = NOW - 5 * 3600;
        struct lc_target_obs to = {.target = &t,
                                   .enc_read = c->enc_algorithm != NULL,
                                   .enc_configured = c->enc_algorithm != NULL,
                                   .enc_algorithm = (char *)c->enc_algorithm,
                                   .enc_kms_key_id = (char *)c->enc_key,
                                   .key_described = c->key_manager != NULL,
                                   .key_state = c->key_manager ? "Enabled" : NULL,
                                   .key_manager = (char *)c->key_manager};
        struct lc_observations o = {
            .now = NOW, .streams = &so, .n_streams = 1, .targets = &to, .n_targets = 1};
        struct lc_findings f;
        assert_int_equal(lc_findings_build(&o, &f), 0);
        const struct lc_finding *d = find(&f, "DESTINATION_UNSUPPORTED");
        if (!c->why) {
            if (d)
                fail_msg("%s: unexpected %s", c->name, d->summary);
            lc_findings_free(&f);
            continue;
        }
        if (!d || !strstr(d->summary, c->why))
            fail_msg("%s: %s", c->name, d ? d->summary : "no DESTINATION_UNSUPPORTED");
        assert_int_equal(d->severity, LC_SEV_CRITICAL);
        assert_non_null(cJSON_GetObjectItem(d->remediation, "fix"));
        const struct lc_finding *miss = find(&f, "DELIVERY_MISSING");
        assert_non_null(miss);
        assert_non_null(miss->likely_cause);
        assert_string_equal(cJSON_GetObjectItem(miss->likely_cause, "code")->valuestring,
                            "DESTINATION_UNSUPPORTED");
        lc_findings_free(&f);
    }
}

static void test_registry_in_manual(void **state)
{
    char *doc = NULL, why[512];
    size_t len = 0;
    FILE *m = open_memstream(&doc, &len);
    (void)state;

    assert_non_null(m);
    assert_int_equal(lc_findings_write_man(m), 0);
    fclose(m);
    for (int i = 0; i < LC_F_COUNT; i++) {
        assert_int_equal(lc_finding_parse(lc_finding_name((enum lc_finding_code)i)), i);
        assert_non_null(strstr(doc, lc_finding_name((enum lc_finding_code)i)));
    }
    assert_int_equal(lc_finding_parse("NO_SUCH_CODE"), -1);
    if (fx_check_generated("packaging/logcanary.1", ".\\\" BEGIN FINDINGS", ".\\\" END FINDINGS",
                           doc, "LC_UPDATE_MANPAGE", why, sizeof(why)) != 0)
        fail_msg("%s (test_findings)", why);
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_cases),
        cmocka_unit_test(test_canary_cases),
        cmocka_unit_test(test_reader_key_policy),
        cmocka_unit_test(test_undetermined_delivery_policy),
        cmocka_unit_test(test_destination_cases),
        cmocka_unit_test(test_status_on_missing_delivery),
        cmocka_unit_test(test_registry_in_manual),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
