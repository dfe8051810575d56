/* The core against a real S3 server (Ceph radosgw): signing accepted and rejected, paginated
 * listings, ranged GETs, SSE-KMS with the testing key backend, KMS and bucket-policy failures
 * classified, and keys that stress the S3 encoding rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lc_itest.h"
#include "aws/s3.h"

static struct lc_itest T;
static struct lc_credprov *owner, *other, *forged;
static char bucket[64];

struct result {
    bool done;
    long status;
    struct lc_error err;
    int attempts;
    struct lc_buf body;
    struct lc_kvlist headers;
};

static void result_reset(struct result *r)
{
    lc_buf_free(&r->body);
    lc_kv_free(&r->headers);
    memset(r, 0, sizeof(*r));
}

static void on_raw(void *ud, const struct lc_aws_resp *resp)
{
    struct result *r = ud;
    r->status = resp->status;
    r->err = resp->err;
    r->attempts = resp->attempts;
    lc_buf_append(&r->body, resp->body->data ? resp->body->data : "", resp->body->len);
    lc_kv_copy(&r->headers, resp->headers);
    r->done = true;
}

/* A raw signed S3 call through the AWS layer (for bucket set-up the probes never do). */
static void raw(struct result *r, struct lc_credprov *creds, const char *method, const char *key,
                const char *subresource, const char *body)
{
    struct lc_kvlist q = {0};
    struct lc_error err;
    result_reset(r);
    lc_error_clear(&err);
    if (subresource)
        lc_kv_add(&q, subresource, "");
    struct lc_aws_req req = {
        .service = "s3",
        .method = method,
        .bucket = bucket,
        .key = key,
        .query = &q,
        .body = body,
        .body_len = body ? strlen(body) : 0,
        .creds = creds,
        .on_done = on_raw,
        .ud = r,
    };
    assert_int_equal(lc_aws_send(T.aws, &req, &err), 0);
    lc_itest_run(&T, &r->done);
    lc_kv_free(&q);
}

static void on_obj(void *ud, const struct lc_s3_object_info *info, const struct lc_aws_resp *resp)
{
    (void)info;
    on_raw(ud, resp);
}

static int on_get_body(void *ud, const char *data, size_t len)
{
    struct result *r = ud;
    return lc_buf_append(&r->body, data, len) != 0;
}

static void put(struct result *r, struct lc_credprov *creds, const char *key, const char *body,
                const char *kms_key)
{
    struct lc_kvlist h = {0};
    struct lc_error err;
    result_reset(r);
    lc_error_clear(&err);
    if (kms_key) {
        lc_kv_add(&h, "x-amz-server-side-encryption", "aws:kms");
        lc_kv_add(&h, "x-amz-server-side-encryption-aws-kms-key-id", kms_key);
    }
    struct lc_s3_object_req req = {.creds = creds,
                                   .bucket = bucket,
                                   .key = key,
                                   .body = body,
                                   .body_len = strlen(body),
                                   .headers = &h,
                                   .on_done = on_obj,
                                   .ud = r};
    assert_int_equal(lc_s3_put_object(T.aws, &req, &err), 0);
    lc_itest_run(&T, &r->done);
    lc_kv_free(&h);
}

static void get(struct result *r, struct lc_credprov *creds, const char *key, int64_t from,
                int64_t to)
{
    struct lc_error err;
    result_reset(r);
    lc_error_clear(&err);
    struct lc_s3_object_req req = {.creds = creds,
                                   .bucket = bucket,
                                   .key = key,
                                   .range_start = from,
                                   .range_end = to,
                                   .on_body = on_get_body,
                                   .on_done = on_obj,
                                   .ud = r};
    assert_int_equal(lc_s3_get_object(T.aws, &req, &err), 0);
    lc_itest_run(&T, &r->done);
}

static int setup(void **state)
{
    struct result r = {0};
    (void)state;
    assert_int_equal(lc_itest_load_env(&T.env, getenv("LC_RADOSGW_ENV")), 0);
    struct lc_kvlist env = T.env;
    struct lc_aws_config cfg = {.region = lc_kv_get(&env, "LC_S3_REGION"),
                                .endpoint = lc_kv_get(&env, "LC_S3_ENDPOINT"),
                                .path_style = true};
    assert_int_equal(lc_itest_init(&T, &cfg), 0);
    T.env = env;
    owner = lc_itest_static_creds(&T, lc_itest_env(&T, "LC_S3_ACCESS_KEY"),
                                  lc_itest_env(&T, "LC_S3_SECRET_KEY"));
    other = lc_itest_static_creds(&T, lc_itest_env(&T, "LC_S3_OTHER_ACCESS_KEY"),
                                  lc_itest_env(&T, "LC_S3_OTHER_SECRET_KEY"));
    forged = lc_itest_static_creds(&T, lc_itest_env(&T, "LC_S3_ACCESS_KEY"),
                                   "not-the-secret-key-of-this-user-at-all");
    assert_non_null(owner);
    assert_non_null(other);
    assert_non_null(forged);
    snprintf(bucket, sizeof(bucket), "lc-core-%d", (int)getpid());
    raw(&r, owner, "PUT", NULL, NULL, NULL);
    assert_int_equal(r.err.kind, LC_OK);
    assert_int_equal(r.status, 200);
    result_reset(&r);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    lc_credprov_free(owner);
    lc_credprov_free(other);
    lc_credprov_free(forged);
    lc_itest_free(&T);
    return 0;
}

static void test_signature_rejected(void **state)
{
    struct result r = {0};
    (void)state;
    raw(&r, forged, "GET", NULL, NULL, NULL);
    assert_int_equal(r.status, 403);
    assert_int_equal(r.err.kind, LC_E_AWS);
    assert_string_equal(r.err.code, "SignatureDoesNotMatch");
    assert_true(r.err.auth);
    assert_false(r.err.retryable);
    assert_int_equal(r.attempts, 1); /* never retried; the server's clock agrees with ours */
    assert_string_equal(r.err.service, "s3");
    result_reset(&r);
}

struct listing {
    bool done;
    struct lc_s3_list_result res;
    char **keys;
    size_t n;
};

static int on_list_obj(void *ud, const struct lc_s3_object *o)
{
    struct listing *l = ud;
    l->keys = realloc(l->keys, (l->n + 1) * sizeof(char *));
    l->keys[l->n++] = strdup(o->key);
    assert_true(o->last_modified > 1600000000);
    return 0;
}

static void on_list_done(void *ud, const struct lc_s3_list_result *res)
{
    struct listing *l = ud;
    l->res = *res;
    l->done = true;
}

static void list(struct listing *l, const char *prefix, const char *start_after, int max_pages)
{
    struct lc_error err;
    lc_error_clear(&err);
    memset(l, 0, sizeof(*l));
    struct lc_s3_list_req req = {.creds = owner,
                                 .bucket = bucket,
                                 .prefix = prefix,
                                 .start_after = start_after,
                                 .max_pages = max_pages,
                                 .on_object = on_list_obj,
                                 .on_done = on_list_done,
                                 .ud = l};
    assert_int_equal(lc_s3_list(T.aws, &req, &err), 0);
    lc_itest_run(&T, &l->done);
}

static void listing_free(struct listing *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->keys[i]);
    free(l->keys);
}

struct batch {
    int pending;
    int failed;
    bool done;
};

static void on_batch(void *ud, const struct lc_s3_object_info *info, const struct lc_aws_resp *resp)
{
    struct batch *b = ud;
    (void)info;
    if (resp->err.kind != LC_OK)
        b->failed++;
    if (--b->pending == 0)
        b->done = true;
}

#define N_KEYS 2600

static void test_pagination(void **state)
{
    struct batch b = {0};
    struct listing l;
    char key[128], after[128];
    struct lc_error err;
    (void)state;
    lc_error_clear(&err);

    /* Seed concurrently on the one loop. */
    b.pending = N_KEYS;
    for (int i = 0; i < N_KEYS; i++) {
        snprintf(key, sizeof(key), "page/obj-%05d.log", i);
        struct lc_s3_object_req req = {.creds = owner,
                                       .bucket = bucket,
                                       .key = key,
                                       .body = "x",
                                       .body_len = 1,
                                       .on_done = on_batch,
                                       .ud = &b};
        assert_int_equal(lc_s3_put_object(T.aws, &req, &err), 0);
    }
    lc_itest_run(&T, &b.done);
    assert_int_equal(b.failed, 0);

    list(&l, "page/", NULL, 0);
    assert_int_equal(l.res.err.kind, LC_OK);
    assert_int_equal(l.res.requests, 3); /* 1000 + 1000 + 600 */
    assert_int_equal(l.res.objects, N_KEYS);
    assert_int_equal(l.n, N_KEYS);
    for (size_t i = 0; i < l.n; i++) {
        snprintf(key, sizeof(key), "page/obj-%05zu.log", i);
        assert_string_equal(l.keys[i], key); /* every key once, in order */
    }
    listing_free(&l);

    /* start-after: only what follows, in one request. */
    snprintf(after, sizeof(after), "page/obj-%05d.log", N_KEYS - 101);
    list(&l, "page/", after, 0);
    assert_int_equal(l.res.requests, 1);
    assert_int_equal(l.n, 100);
    listing_free(&l);

    /* A page budget stops early and says so. */
    list(&l, "page/", NULL, 1);
    assert_int_equal(l.res.requests, 1);
    assert_int_equal(l.n, 1000);
    assert_true(l.res.truncated);
    listing_free(&l);

    /* A real client agrees on the count (aws-cli applies --query per page: count the keys). */
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "HOME=/nonexistent AWS_EC2_METADATA_DISABLED=true AWS_ACCESS_KEY_ID=%s "
             "AWS_SECRET_ACCESS_KEY=%s AWS_DEFAULT_REGION=%s /usr/bin/aws --endpoint-url %s "
             "s3api list-objects-v2 --bucket %s --prefix page/ --query 'Contents[].Key' "
             "--output text | wc -w",
             lc_itest_env(&T, "LC_S3_ACCESS_KEY"), lc_itest_env(&T, "LC_S3_SECRET_KEY"),
             lc_itest_env(&T, "LC_S3_REGION"), lc_itest_env(&T, "LC_S3_ENDPOINT"), bucket);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    int count = -1;
    assert_int_equal(fscanf(p, "%d", &count), 1);
    pclose(p);
    assert_int_equal(count, N_KEYS);
}

static void test_ranged_get(void **state)
{
    struct result r = {0};
    (void)state;
    put(&r, owner, "range/alphabet.txt", "0123456789abcdefghijklmnopqrstuvwxyz", NULL);
    assert_int_equal(r.err.kind, LC_OK);
    get(&r, owner, "range/alphabet.txt", 10, 19);
    assert_int_equal(r.err.kind, LC_OK);
    assert_int_equal(r.status, 206);
    assert_int_equal(r.body.len, 10);
    assert_memory_equal(r.body.data, "abcdefghij", 10);
    assert_string_equal(lc_kv_get(&r.headers, "content-range"), "bytes 10-19/36");
    result_reset(&r);
}

static void head(struct result *r, struct lc_credprov *creds, const char *key)
{
    struct lc_error err;
    result_reset(r);
    lc_error_clear(&err);
    struct lc_s3_object_req req = {
        .creds = creds, .bucket = bucket, .key = key, .on_done = on_obj, .ud = r};
    assert_int_equal(lc_s3_head_object(T.aws, &req, &err), 0);
    lc_itest_run(&T, &r->done);
}

static void test_sse_kms_round_trip(void **state)
{
    struct result r = {0};
    const char *key1 = lc_itest_env(&T, "LC_KMS_KEY_1");
    (void)state;
    put(&r, owner, "kms/canary.txt", "canary payload", key1);
    assert_int_equal(r.err.kind, LC_OK);
    assert_string_equal(lc_kv_get(&r.headers, "x-amz-server-side-encryption"), "aws:kms");
    head(&r, owner, "kms/canary.txt");
    assert_int_equal(r.err.kind, LC_OK);
    assert_string_equal(lc_kv_get(&r.headers, "x-amz-server-side-encryption"), "aws:kms");
    assert_string_equal(lc_kv_get(&r.headers, "x-amz-server-side-encryption-aws-kms-key-id"), key1);
    get(&r, owner, "kms/canary.txt", 0, -1);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body.len, strlen("canary payload"));
    assert_memory_equal(r.body.data, "canary payload", r.body.len);
    result_reset(&r);
}

static void test_unknown_kms_key(void **state)
{
    struct result r = {0};
    (void)state;
    put(&r, owner, "kms/unknown.txt", "x",
        "arn:aws:kms:us-east-1:111111111111:key/00000000-0000-0000-0000-000000000000");
    assert_int_equal(r.status, 403);
    assert_int_equal(r.err.kind, LC_E_AWS);
    assert_true(r.err.kms);
    assert_true(r.err.auth);
    assert_false(r.err.retryable);
    assert_int_equal(r.attempts, 1);
    result_reset(&r);
}

static void test_bucket_policy_denial(void **state)
{
    struct result r = {0};
    char policy[1024];
    (void)state;
    put(&r, owner, "private/secret.txt", "no", NULL);
    put(&r, owner, "public/open.txt", "yes", NULL);
    snprintf(policy, sizeof(policy),
             "{\"Version\":\"2012-10-17\",\"Statement\":["
             "{\"Sid\":\"ReadPublic\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
             "\"arn:aws:iam:::user/%s\"},\"Action\":\"s3:GetObject\",\"Resource\":"
             "\"arn:aws:s3:::%s/*\"},"
             "{\"Sid\":\"DenyPrivate\",\"Effect\":\"Deny\",\"Principal\":{\"AWS\":"
             "\"arn:aws:iam:::user/%s\"},\"Action\":\"s3:GetObject\",\"Resource\":"
             "\"arn:aws:s3:::%s/private/*\"}]}",
             lc_itest_env(&T, "LC_S3_OTHER_UID"), bucket, lc_itest_env(&T, "LC_S3_OTHER_UID"),
             bucket);
    raw(&r, owner, "PUT", NULL, "policy", policy);
    assert_int_equal(r.err.kind, LC_OK);

    get(&r, other, "public/open.txt", 0, -1);
    assert_int_equal(r.err.kind, LC_OK); /* the Allow is evaluated ... */
    get(&r, other, "private/secret.txt", 0, -1);
    assert_int_equal(r.status, 403); /* ... and so is the Deny */
    assert_string_equal(r.err.code, "AccessDenied");
    assert_true(r.err.auth);
    assert_false(r.err.kms);
    assert_int_equal(r.attempts, 1);
    result_reset(&r);
}

struct policy_result {
    bool done;
    char *policy;
    bool had_policy;
    struct lc_error err;
};

static void on_policy(void *ud, const char *policy, const struct lc_aws_resp *resp)
{
    struct policy_result *p = ud;
    p->had_policy = policy != NULL;
    p->policy = policy ? strdup(policy) : NULL;
    p->err = resp->err;
    p->done = true;
}

static void test_bucket_policy_read(void **state)
{
    struct policy_result p = {0};
    struct lc_error err;
    (void)state;
    lc_error_clear(&err);
    /* The policy set by test_bucket_policy_denial reads back as JSON text. */
    assert_int_equal(lc_s3_get_bucket_policy(T.aws, owner, bucket, NULL, on_policy, &p, &err), 0);
    lc_itest_run(&T, &p.done);
    assert_int_equal(p.err.kind, LC_OK);
    assert_true(p.had_policy);
    assert_non_null(strstr(p.policy, "DenyPrivate"));
    free(p.policy);

    /* Removing it gives "no policy", which is an answer, not an error. */
    struct result r = {0};
    raw(&r, owner, "DELETE", NULL, "policy", NULL);
    assert_int_equal(r.err.kind, LC_OK);
    result_reset(&r);
    memset(&p, 0, sizeof(p));
    assert_int_equal(lc_s3_get_bucket_policy(T.aws, owner, bucket, NULL, on_policy, &p, &err), 0);
    lc_itest_run(&T, &p.done);
    assert_int_equal(p.err.kind, LC_OK);
    assert_false(p.had_policy);
}

static void test_missing_object(void **state)
{
    struct result r = {0};
    (void)state;
    head(&r, owner, "no/such/key");
    assert_int_equal(r.status, 404);
    assert_string_equal(r.err.code, "NotFound"); /* HEAD has no body: named after the status */
    assert_false(r.err.retryable);
    get(&r, owner, "no/such/key", 0, -1);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.err.code, "NoSuchKey");
    assert_int_equal(r.attempts, 1);
    result_reset(&r);
}

static void test_awkward_keys(void **state)
{
    static const char *const keys[] = {
        "AWSLogs/111111111111/Config/ap-northeast-1/2026/1/5/ConfigHistory/"
        "111111111111_Config_ap-northeast-1_ConfigHistory_AWS::EC2::Instance_20260105T010203Z_"
        "20260105T020304Z_1.json.gz",
        "odd/with space and+plus$dollar~tilde%percent=eq&amp.txt",
        "odd/unicode-\xe3\x83\xad\xe3\x82\xb0-\xc3\xa9.txt",
        "odd//double//slash.txt",
    };
    struct result r = {0};
    struct listing l;
    (void)state;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        put(&r, owner, keys[i], keys[i], NULL);
        assert_int_equal(r.err.kind, LC_OK);
        get(&r, owner, keys[i], 0, -1);
        assert_int_equal(r.err.kind, LC_OK);
        assert_int_equal(r.body.len, strlen(keys[i]));
        assert_memory_equal(r.body.data, keys[i], r.body.len);
    }
    /* Listed back byte for byte (the listing asks for URL-encoded keys and decodes them). */
    list(&l, "odd/", NULL, 0);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.keys[0], keys[3]);
    assert_string_equal(l.keys[1], keys[2]); /* byte order: "u" < "w" */
    assert_string_equal(l.keys[2], keys[1]);
    listing_free(&l);
    result_reset(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signature_rejected), cmocka_unit_test(test_pagination),
        cmocka_unit_test(test_ranged_get),         cmocka_unit_test(test_sse_kms_round_trip),
        cmocka_unit_test(test_unknown_kms_key),    cmocka_unit_test(test_bucket_policy_denial),
        cmocka_unit_test(test_bucket_policy_read), cmocka_unit_test(test_missing_object),
        cmocka_unit_test(test_awkward_keys),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
