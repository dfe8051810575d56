/* Virtual-hosted S3 addressing against a real S3 server (Ceph radosgw, whose DNS name is
 * LC_S3_VHOST_DOMAIN): the endpoint is http://<domain>:<port>, the HTTP engine's resolve map
 * points <bucket>.<domain> at 127.0.0.1, and the bucket travels in the Host header only.
 * Create, PUT, GET, HEAD and list a key with spaces and '+', signed and addressed correctly. */
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
static struct lc_credprov *owner;
static struct lc_aws_config cfg;
static char endpoint[256];
static char bucket[64], missing[64]; /* missing: resolvable, never created */
static char key[128];                /* "<bucket>/logs/a key with spaces+plus.txt" */

struct result {
    bool done;
    long status;
    struct lc_error err;
    int attempts;
    uint64_t content_length;
    struct lc_buf body;
};

static void result_reset(struct result *r)
{
    lc_buf_free(&r->body);
    memset(r, 0, sizeof(*r));
}

static void on_raw(void *ud, const struct lc_aws_resp *resp)
{
    struct result *r = ud;
    r->status = resp->status;
    r->err = resp->err;
    r->attempts = resp->attempts;
    lc_buf_append(&r->body, resp->body->data ? resp->body->data : "", resp->body->len);
    r->done = true;
}

/* A raw signed S3 call (bucket NULL = a service-level call to the domain itself). */
static void raw(struct result *r, struct lc_aws *aws, struct lc_credprov *creds, const char *method,
                const char *b)
{
    struct lc_error err;
    result_reset(r);
    lc_error_clear(&err);
    struct lc_aws_req req = {
        .service = "s3", .method = method, .bucket = b, .creds = creds, .on_done = on_raw, .ud = r};
    assert_int_equal(lc_aws_send(aws, &req, &err), 0);
    lc_itest_run(&T, &r->done);
}

static void on_obj(void *ud, const struct lc_s3_object_info *info, const struct lc_aws_resp *resp)
{
    struct result *r = ud;
    r->content_length = info ? info->content_length : 0;
    r->status = resp->status;
    r->err = resp->err;
    r->attempts = resp->attempts;
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

static int setup(void **state)
{
    struct lc_http_opts ho = {.max_total = 8, .max_per_host = 4};
    struct lc_error err;
    struct result r = {0};
    char pin_bucket[256], pin_missing[256], pin_domain[256];
    (void)state;

    memset(&T, 0, sizeof(T));
    lc_error_clear(&err);
    assert_int_equal(lc_itest_load_env(&T.env, getenv("LC_RADOSGW_ENV")), 0);
    const char *domain = lc_itest_env(&T, "LC_S3_VHOST_DOMAIN");
    const char *port = lc_itest_env(&T, "LC_S3_PORT");
    snprintf(bucket, sizeof(bucket), "lc-vhost-%d", (int)getpid());
    snprintf(missing, sizeof(missing), "lc-vhost-missing-%d", (int)getpid());
    snprintf(key, sizeof(key), "%s/logs/a key with spaces+plus.txt", bucket);
    snprintf(endpoint, sizeof(endpoint), "http://%s:%s", domain, port);
    snprintf(pin_bucket, sizeof(pin_bucket), "%s.%s:%s:127.0.0.1", bucket, domain, port);
    snprintf(pin_missing, sizeof(pin_missing), "%s.%s:%s:127.0.0.1", missing, domain, port);
    snprintf(pin_domain, sizeof(pin_domain), "%s:%s:127.0.0.1", domain, port);
    const char *const resolve[] = {pin_bucket, pin_missing, pin_domain, NULL};
    ho.resolve = resolve; /* copied by lc_http_new */

    cfg = (struct lc_aws_config){
        .region = lc_itest_env(&T, "LC_S3_REGION"), .endpoint = endpoint, .path_style = false};
    T.base = event_base_new();
    assert_non_null(T.base);
    T.http = lc_http_new(T.base, &ho, &err);
    assert_non_null(T.http);
    T.aws = lc_aws_new(T.base, T.http, &cfg, &err);
    assert_non_null(T.aws);
    owner = lc_itest_static_creds(&T, lc_itest_env(&T, "LC_S3_ACCESS_KEY"),
                                  lc_itest_env(&T, "LC_S3_SECRET_KEY"));
    assert_non_null(owner);

    /* CreateBucket: PUT / on <bucket>.<domain>. */
    raw(&r, T.aws, owner, "PUT", bucket);
    assert_int_equal(r.err.kind, LC_OK);
    assert_int_equal(r.status, 200);
    result_reset(&r);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    lc_credprov_free(owner);
    lc_itest_free(&T);
    return 0;
}

/* The client's own config puts the bucket in the host and nothing in the path. */
static void test_addressing(void **state)
{
    struct lc_error err;
    char *url, *prefix, want[300];
    (void)state;
    lc_error_clear(&err);
    assert_int_equal(lc_endpoint_resolve(&cfg, "s3", NULL, bucket, &url, &prefix, &err), 0);
    snprintf(want, sizeof(want), "http://%s.%s:%s", bucket, lc_itest_env(&T, "LC_S3_VHOST_DOMAIN"),
             lc_itest_env(&T, "LC_S3_PORT"));
    assert_string_equal(url, want);
    assert_string_equal(prefix, "");
    free(url);
    free(prefix);
}

static void test_object_round_trip(void **state)
{
    static const char content[] = "virtual-hosted canary";
    struct result r = {0};
    struct lc_error err;
    (void)state;
    lc_error_clear(&err);

    struct lc_s3_object_req put = {.creds = owner,
                                   .bucket = bucket,
                                   .key = key,
                                   .body = content,
                                   .body_len = strlen(content),
                                   .on_done = on_obj,
                                   .ud = &r};
    assert_int_equal(lc_s3_put_object(T.aws, &put, &err), 0);
    lc_itest_run(&T, &r.done);
    assert_int_equal(r.err.kind, LC_OK);
    assert_int_equal(r.status, 200);

    result_reset(&r);
    struct lc_s3_object_req get = {.creds = owner,
                                   .bucket = bucket,
                                   .key = key,
                                   .range_end = -1,
                                   .on_body = on_body,
                                   .on_restart = restart,
                                   .on_done = on_obj,
                                   .ud = &r};
    assert_int_equal(lc_s3_get_object(T.aws, &get, &err), 0);
    lc_itest_run(&T, &r.done);
    assert_int_equal(r.err.kind, LC_OK);
    assert_int_equal(r.attempts, 1);
    assert_int_equal(r.body.len, strlen(content));
    assert_memory_equal(r.body.data, content, r.body.len);

    result_reset(&r);
    struct lc_s3_object_req head = {
        .creds = owner, .bucket = bucket, .key = key, .on_done = on_obj, .ud = &r};
    assert_int_equal(lc_s3_head_object(T.aws, &head, &err), 0);
    lc_itest_run(&T, &r.done);
    assert_int_equal(r.err.kind, LC_OK);
    assert_int_equal(r.content_length, strlen(content));
    result_reset(&r);
}

struct listing {
    bool done;
    struct lc_s3_list_result res;
    char first[256];
};

static int on_list_obj(void *ud, const struct lc_s3_object *o)
{
    struct listing *l = ud;
    if (!l->first[0])
        lc_strlcpy(l->first, o->key, sizeof(l->first));
    return 0;
}

static void on_list_done(void *ud, const struct lc_s3_list_result *res)
{
    struct listing *l = ud;
    l->res = *res;
    l->done = true;
}

static void list(struct listing *l, const char *b, const char *prefix)
{
    struct lc_error err;
    lc_error_clear(&err);
    memset(l, 0, sizeof(*l));
    struct lc_s3_list_req req = {.creds = owner,
                                 .bucket = b,
                                 .prefix = prefix,
                                 .on_object = on_list_obj,
                                 .on_done = on_list_done,
                                 .ud = l};
    assert_int_equal(lc_s3_list(T.aws, &req, &err), 0);
    lc_itest_run(&T, &l->done);
}

static void test_listing(void **state)
{
    struct listing l;
    char prefix[128];
    (void)state;
    snprintf(prefix, sizeof(prefix), "%s/logs/a key", bucket); /* a prefix with a space */
    list(&l, bucket, prefix);
    assert_int_equal(l.res.err.kind, LC_OK);
    assert_int_equal(l.res.objects, 1);
    assert_string_equal(l.first, key);
}

/* The key starts with "<bucket>/", so a server reading the bucket from the path would find
 * bucket <bucket> and answer NoSuchKey for another host; only the host names <missing>. */
static void test_host_carries_bucket(void **state)
{
    struct result r = {0};
    struct listing l;
    struct lc_error err;
    (void)state;
    lc_error_clear(&err);
    struct lc_s3_object_req get = {.creds = owner,
                                   .bucket = missing,
                                   .key = key,
                                   .range_end = -1,
                                   .on_body = on_body,
                                   .on_done = on_obj,
                                   .ud = &r};
    assert_int_equal(lc_s3_get_object(T.aws, &get, &err), 0);
    lc_itest_run(&T, &r.done);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.err.code, "NoSuchBucket");
    assert_int_equal(r.attempts, 1);
    result_reset(&r);

    list(&l, missing, NULL);
    assert_int_equal(l.res.err.kind, LC_E_AWS);
    assert_string_equal(l.res.err.code, "NoSuchBucket");

    /* The same object seen path-style (/<bucket>/<key> on the IP endpoint). */
    struct lc_aws_config path_cfg = {
        .region = cfg.region, .endpoint = lc_itest_env(&T, "LC_S3_ENDPOINT"), .path_style = true};
    struct lc_aws *path_aws = lc_aws_new(T.base, T.http, &path_cfg, &err);
    assert_non_null(path_aws);
    struct lc_creds c = {.access_key_id = (char *)lc_itest_env(&T, "LC_S3_ACCESS_KEY"),
                         .secret_access_key = (char *)lc_itest_env(&T, "LC_S3_SECRET_KEY")};
    struct lc_credprov *path_creds = lc_credprov_static(path_aws, &c, &err);
    assert_non_null(path_creds);
    struct lc_s3_object_req head = {
        .creds = path_creds, .bucket = bucket, .key = key, .on_done = on_obj, .ud = &r};
    assert_int_equal(lc_s3_head_object(path_aws, &head, &err), 0);
    lc_itest_run(&T, &r.done);
    assert_int_equal(r.err.kind, LC_OK);
    assert_int_equal(r.content_length, strlen("virtual-hosted canary"));
    lc_credprov_free(path_creds);
    lc_aws_free(path_aws);
}

/* A service-level call goes to the domain itself (ListBuckets): the bucket is there. */
static void test_domain(void **state)
{
    struct result r = {0};
    char want[96];
    (void)state;
    raw(&r, T.aws, owner, "GET", NULL);
    assert_int_equal(r.err.kind, LC_OK);
    assert_int_equal(r.status, 200);
    assert_int_equal(lc_buf_putc(&r.body, '\0'), 0);
    snprintf(want, sizeof(want), "<Name>%s</Name>", bucket);
    assert_non_null(strstr(r.body.data, want));
    result_reset(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addressing), cmocka_unit_test(test_object_round_trip),
        cmocka_unit_test(test_listing),    cmocka_unit_test(test_host_carries_bucket),
        cmocka_unit_test(test_domain),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
