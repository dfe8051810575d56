/* Wrong-region S3 buckets against the signature-verifying fixture (tests/servers/cpfixture.py):
 * a client configured for us-east-1 reaches a bucket in eu-west-1 after exactly one redirect,
 * for both of S3's answers (301 PermanentRedirect with x-amz-bucket-region, 400
 * AuthorizationHeaderMalformed with <Region>; HEAD gets no body), re-signed for the new region.
 * A bucket that redirects again is not followed twice, and a redirect naming no region is an
 * error, not a retry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "aws/awsjson.h"
#include "lc_itest.h"
#include "lc_testsrv.h"
#include "aws/s3.h"

#define AK "AKIALOGCANARYS3RDR1"
#define SK "s3redirect/secret+key00000000000000001"

/* Buckets: lc-eu-301 and lc-eu-400 live in eu-west-1; the lc-moving-* buckets move on every
 * request (eu-west-1, then ap-south-1); lc-nohint redirects without naming a region. */
static const char scenario_json[] =
    "{\"region\": \"us-east-1\",\n"
    " \"credentials\": {\"" AK "\": {\"secret\": \"" SK "\"}},\n"
    " \"s3\": {\"buckets\": {\n"
    "  \"lc-eu-301\": {\"region\": \"eu-west-1\", \"redirect\": \"301\",\n"
    "                \"objects\": {\"logs/a b+c.txt\": \"hello 301\", \"logs/z.txt\": \"z\"}},\n"
    "  \"lc-eu-400\": {\"region\": \"eu-west-1\", \"redirect\": \"400\",\n"
    "                \"objects\": {\"logs/a b+c.txt\": \"hello 400\", \"logs/z.txt\": \"z\"}},\n"
    "  \"lc-home\": {\"region\": \"us-east-1\", \"objects\": {\"k\": \"v\"}},\n"
    "  \"lc-moving-301\": {\"region\": [\"eu-west-1\", \"ap-south-1\"], \"redirect\": \"301\"},\n"
    "  \"lc-moving-400\": {\"region\": [\"eu-west-1\", \"ap-south-1\"], \"redirect\": \"400\"},\n"
    "  \"lc-moving-head\": {\"region\": [\"eu-west-1\", \"ap-south-1\"]},\n"
    "  \"lc-nohint\": {\"region\": \"eu-west-1\", \"hint\": false, \"objects\": {\"k\": \"v\"}}\n"
    " }}}\n";

static struct lc_testsrv srv;
static char endpoint[64];
static char logpath[256], scnpath[256];

static struct lc_itest T;
static struct lc_credprov *creds;

static int setup(void **state)
{
    char script[512];
    (void)state;
    snprintf(logpath, sizeof(logpath), "/tmp/lc-cp-s3-redirect-%d.log", (int)getpid());
    snprintf(scnpath, sizeof(scnpath), "/tmp/lc-cp-s3-redirect-%d.json", (int)getpid());
    FILE *f = fopen(scnpath, "w");
    assert_non_null(f);
    assert_int_equal(fputs(scenario_json, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    char *argv[] = {(char *)lc_testsrv_python(),
                    (char *)lc_testsrv_path("cpfixture.py", script, sizeof(script)),
                    "--scenario",
                    scnpath,
                    "--log",
                    logpath,
                    NULL};
    assert_int_equal(lc_testsrv_start(&srv, argv), 0);
    snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d", srv.port);
    struct lc_aws_config cfg = {.region = "us-east-1", .endpoint = endpoint, .path_style = true};
    assert_int_equal(lc_itest_init(&T, &cfg), 0);
    creds = lc_itest_static_creds(&T, AK, SK);
    assert_non_null(creds);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    lc_credprov_free(creds);
    lc_itest_free(&T);
    lc_testsrv_stop(&srv);
    unlink(logpath);
    unlink(scnpath);
    return 0;
}

/* What the fixture saw for one bucket and operation: "region/status" per request, in order,
 * e.g. "us-east-1/301 eu-west-1/200". Also checks that it verified every signature. */
static void trail(const char *bucket, const char *operation, char *out, size_t len)
{
    char line[8192];
    FILE *f = fopen(logpath, "r");
    assert_non_null(f);
    out[0] = '\0';
    while (fgets(line, sizeof(line), f)) {
        cJSON *rec = cJSON_Parse(line);
        assert_non_null(rec);
        const cJSON *params = cJSON_GetObjectItemCaseSensitive(rec, "params");
        const char *b = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(params, "Bucket"));
        const char *op = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "operation"));
        if (b && op && strcmp(b, bucket) == 0 && strcmp(op, operation) == 0) {
            const char *region =
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "region"));
            const cJSON *status = cJSON_GetObjectItemCaseSensitive(rec, "status");
            const char *auth = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "auth"));
            assert_non_null(auth);
            assert_string_equal(auth, "ok");
            size_t n = strlen(out);
            snprintf(out + n, len - n, "%s%s/%d", n ? " " : "", region ? region : "-",
                     cJSON_IsNumber(status) ? status->valueint : 0);
        }
        cJSON_Delete(rec);
    }
    fclose(f);
}

static void assert_trail(const char *bucket, const char *operation, const char *want)
{
    char got[512];
    trail(bucket, operation, got, sizeof(got));
    assert_string_equal(got, want);
}

struct result {
    bool done;
    long status;
    struct lc_error err;
    int attempts;
    char region[32];
    uint64_t content_length;
    struct lc_buf body;
};

static void on_obj(void *ud, const struct lc_s3_object_info *info, const struct lc_aws_resp *resp)
{
    struct result *r = ud;
    r->status = resp->status;
    r->err = resp->err;
    r->attempts = resp->attempts;
    lc_strlcpy(r->region, resp->region ? resp->region : "", sizeof(r->region));
    r->content_length = info ? info->content_length : 0;
    r->done = true;
}

static int on_body(void *ud, const char *data, size_t len)
{
    struct result *r = ud;
    return lc_buf_append(&r->body, data, len) != 0;
}

static void restart(void *ud)
{
    struct result *r = ud;
    lc_buf_reset(&r->body);
}

static void object(struct result *r, bool head, const char *bucket, const char *key)
{
    struct lc_error err;
    lc_buf_free(&r->body);
    memset(r, 0, sizeof(*r));
    lc_error_clear(&err);
    struct lc_s3_object_req req = {.creds = creds,
                                   .bucket = bucket,
                                   .key = key,
                                   .range_end = -1,
                                   .on_body = head ? NULL : on_body,
                                   .on_restart = head ? NULL : restart,
                                   .on_done = on_obj,
                                   .ud = r};
    if (head)
        assert_int_equal(lc_s3_head_object(T.aws, &req, &err), 0);
    else
        assert_int_equal(lc_s3_get_object(T.aws, &req, &err), 0);
    lc_itest_run(&T, &r->done);
}

struct listing {
    bool done;
    struct lc_s3_list_result res;
    char keys[256];
};

static int on_list_obj(void *ud, const struct lc_s3_object *o)
{
    struct listing *l = ud;
    size_t n = strlen(l->keys);
    snprintf(l->keys + n, sizeof(l->keys) - n, "%s[%s]", n ? " " : "", o->key);
    assert_true(o->last_modified > 1600000000);
    return 0;
}

static void on_list_done(void *ud, const struct lc_s3_list_result *res)
{
    struct listing *l = ud;
    l->res = *res;
    l->done = true;
}

static void list(struct listing *l, const char *bucket)
{
    struct lc_error err;
    lc_error_clear(&err);
    memset(l, 0, sizeof(*l));
    struct lc_s3_list_req req = {.creds = creds,
                                 .bucket = bucket,
                                 .prefix = "logs/",
                                 .on_object = on_list_obj,
                                 .on_done = on_list_done,
                                 .ud = l};
    assert_int_equal(lc_s3_list(T.aws, &req, &err), 0);
    lc_itest_run(&T, &l->done);
}

/* GET, HEAD and a listing of a bucket in eu-west-1, each after one redirect. */
static void follow_once(const char *bucket, const char *content, const char *want_trail)
{
    struct result r = {0};
    struct listing l;

    object(&r, false, bucket, "logs/a b+c.txt");
    assert_int_equal(r.err.kind, LC_OK);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.attempts, 2);
    assert_string_equal(r.region, "eu-west-1");
    assert_int_equal(r.body.len, strlen(content));
    assert_memory_equal(r.body.data, content, r.body.len);
    assert_trail(bucket, "GetObject", want_trail);

    /* HEAD: no body, so the redirect is known from the status and x-amz-bucket-region. */
    object(&r, true, bucket, "logs/a b+c.txt");
    assert_int_equal(r.err.kind, LC_OK);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.attempts, 2);
    assert_string_equal(r.region, "eu-west-1");
    assert_int_equal(r.content_length, strlen(content));
    assert_trail(bucket, "HeadObject", want_trail);

    list(&l, bucket);
    assert_int_equal(l.res.err.kind, LC_OK);
    assert_int_equal(l.res.requests, 1); /* one page; the redirect is not a page */
    assert_int_equal(l.res.objects, 2);
    assert_string_equal(l.keys, "[logs/a b+c.txt] [logs/z.txt]");
    assert_trail(bucket, "ListObjectsV2", want_trail);
    lc_buf_free(&r.body);
}

static void test_permanent_redirect(void **state)
{
    (void)state;
    follow_once("lc-eu-301", "hello 301", "us-east-1/301 eu-west-1/200");
}

static void test_authorization_header_malformed(void **state)
{
    (void)state;
    follow_once("lc-eu-400", "hello 400", "us-east-1/400 eu-west-1/200");
}

static void test_home_region_not_redirected(void **state)
{
    struct result r = {0};
    (void)state;
    object(&r, false, "lc-home", "k");
    assert_int_equal(r.err.kind, LC_OK);
    assert_int_equal(r.attempts, 1);
    assert_string_equal(r.region, "us-east-1");
    assert_trail("lc-home", "GetObject", "us-east-1/200");
    lc_buf_free(&r.body);
}

/* A bucket that answers a second redirect (to yet another region) is followed once only. */
static void test_redirect_followed_once(void **state)
{
    static const struct {
        const char *bucket, *code, *trail;
        bool head;
        long status;
    } cases[] = {
        {"lc-moving-301", "PermanentRedirect", "us-east-1/301 eu-west-1/301", false, 301},
        {"lc-moving-400", "AuthorizationHeaderMalformed", "us-east-1/400 eu-west-1/400", false,
         400},
        {"lc-moving-head", "PermanentRedirect", "us-east-1/301 eu-west-1/301", true, 301},
    };
    struct result r = {0};
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        object(&r, cases[i].head, cases[i].bucket, "k");
        assert_int_equal(r.err.kind, LC_E_AWS);
        assert_int_equal(r.status, cases[i].status);
        assert_string_equal(r.err.code, cases[i].code);
        assert_false(r.err.retryable);
        assert_int_equal(r.attempts, 2);
        assert_string_equal(r.region, "eu-west-1"); /* where the last attempt went */
        assert_trail(cases[i].bucket, cases[i].head ? "HeadObject" : "GetObject", cases[i].trail);
    }
    lc_buf_free(&r.body);
}

/* A 301 that names no region (no header, no <Region>, a global <Endpoint>) is an error. */
static void test_redirect_without_region(void **state)
{
    struct result r = {0};
    (void)state;
    object(&r, false, "lc-nohint", "k");
    assert_int_equal(r.err.kind, LC_E_AWS);
    assert_int_equal(r.status, 301);
    assert_string_equal(r.err.code, "PermanentRedirect");
    assert_int_equal(r.attempts, 1);
    assert_string_equal(r.region, "us-east-1");
    object(&r, true, "lc-nohint", "k");
    assert_int_equal(r.err.kind, LC_E_AWS);
    assert_int_equal(r.status, 301);
    assert_string_equal(r.err.code, "PermanentRedirect"); /* named after the status */
    assert_int_equal(r.attempts, 1);
    assert_trail("lc-nohint", "GetObject", "us-east-1/301");
    assert_trail("lc-nohint", "HeadObject", "us-east-1/301");
    lc_buf_free(&r.body);
}

/* The fixture is one endpoint for every region; with real AWS endpoints the region a redirect
 * names also picks the host, since every attempt resolves the endpoint from its region. */
static void test_endpoint_for_region(void **state)
{
    struct lc_aws_config cfg = {.region = "us-east-1", .path_style = true};
    struct lc_error err;
    char *url, *prefix;
    (void)state;
    lc_error_clear(&err);
    assert_int_equal(lc_endpoint_resolve(&cfg, "s3", "eu-west-1", "lc-eu-301", &url, &prefix, &err),
                     0);
    assert_string_equal(url, "https://s3.eu-west-1.amazonaws.com");
    assert_string_equal(prefix, "/lc-eu-301");
    free(url);
    free(prefix);
    cfg.path_style = false;
    assert_int_equal(lc_endpoint_resolve(&cfg, "s3", "eu-west-1", "lc-eu-301", &url, &prefix, &err),
                     0);
    assert_string_equal(url, "https://lc-eu-301.s3.eu-west-1.amazonaws.com");
    assert_string_equal(prefix, "");
    free(url);
    free(prefix);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_permanent_redirect),
        cmocka_unit_test(test_authorization_header_malformed),
        cmocka_unit_test(test_home_region_not_redirected),
        cmocka_unit_test(test_redirect_followed_once),
        cmocka_unit_test(test_redirect_without_region),
        cmocka_unit_test(test_endpoint_for_region),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
