/* SigV4 signer: AWS documentation vectors, the generic test-suite vectors, encoding, path
 * normalisation and header canonicalisation. The wider differential test against botocore is
 * tests/sigv4/botocore_diff.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/kv.h"
#include "aws/sigv4.h"

/* S3 documentation examples (sig-v4-header-based-auth), 20130524T000000Z */
#define S3_AK   "AKIAIOSFODNN7EXAMPLE"
#define S3_SK   "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define S3_WHEN ((time_t)1369353600)
#define S3_HOST "examplebucket.s3.amazonaws.com"
/* Generic test suite (aws4_testsuite), 20150830T123600Z */
#define TS_AK    "AKIDEXAMPLE"
#define TS_SK    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define TS_WHEN  ((time_t)1440938160)
#define TS_TOKEN "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* One signed request: its headers (after signing) and what the signer computed. */
struct signed_req {
    struct lc_kvlist headers;
    struct lc_kvlist query;
    struct lc_sigv4_trace trace;
    char cr_hash[65];
};

static struct lc_creds s3_creds = {S3_AK, S3_SK, NULL, 0};
static struct lc_creds ts_creds = {TS_AK, TS_SK, NULL, 0};

/* headers and query are NULL-terminated name, value, name, value, ... lists. */
static int sign(struct signed_req *out, enum lc_sigv4_flavor flavor, const char *method,
                const char *path, const char *const *query, const char *const *headers,
                const char *body, const char *payload_hash, const char *region, const char *service,
                time_t when, const struct lc_creds *creds)
{
    struct lc_sigv4_req req;
    int rc;

    memset(out, 0, sizeof(*out));
    for (size_t i = 0; query && query[i]; i += 2)
        assert_int_equal(lc_kv_add(&out->query, query[i], query[i + 1]), 0);
    for (size_t i = 0; headers && headers[i]; i += 2)
        assert_int_equal(lc_kv_add(&out->headers, headers[i], headers[i + 1]), 0);
    memset(&req, 0, sizeof(req));
    req.method = method;
    req.path = path;
    req.query = &out->query;
    req.headers = &out->headers;
    req.body = body;
    req.body_len = body ? strlen(body) : 0;
    req.payload_hash = payload_hash;
    req.region = region;
    req.service = service;
    req.flavor = flavor;
    req.when = when;
    rc = lc_sigv4_sign(&req, creds, &out->trace);
    if (rc == 0)
        lc_sha256_hex(out->trace.canonical_request, strlen(out->trace.canonical_request),
                      out->cr_hash);
    return rc;
}

static void signed_free(struct signed_req *s)
{
    lc_kv_free(&s->headers);
    lc_kv_free(&s->query);
    lc_sigv4_trace_free(&s->trace);
}

/* Line idx (0-based) of the canonical request, copied into buf. */
static const char *cr_line(const struct signed_req *s, int idx, char *buf, size_t len)
{
    const char *p = s->trace.canonical_request;
    for (int i = 0; i < idx; i++) {
        p = strchr(p, '\n');
        assert_non_null(p);
        p++;
    }
    size_t n = strcspn(p, "\n");
    assert_true(n < len);
    memcpy(buf, p, n);
    buf[n] = '\0';
    return buf;
}

/* The canonical URI a path signs as. */
static const char *canon_uri(enum lc_sigv4_flavor flavor, const char *path, char *buf, size_t len)
{
    static const char *const hdrs[] = {"Host", "example.amazonaws.com", NULL};
    struct signed_req s;

    assert_int_equal(sign(&s, flavor, "GET", path, NULL, hdrs, NULL, NULL, "us-east-1", "service",
                          TS_WHEN, &ts_creds),
                     0);
    cr_line(&s, 1, buf, len);
    signed_free(&s);
    return buf;
}

static const char *encode(const char *in, bool keep_slash, struct lc_buf *b)
{
    lc_buf_reset(b);
    assert_int_equal(lc_uri_encode(b, in, strlen(in), keep_slash), 0);
    return b->data ? b->data : "";
}

/* --- S3 documentation vectors ---------------------------------------------------------- */

static void test_s3_get_object(void **state)
{
    static const char *const hdrs[] = {"Host", S3_HOST, "Range", "bytes=0-9", NULL};
    struct signed_req s;
    (void)state;

    assert_int_equal(sign(&s, LC_SIGV4_S3, "GET", "/test.txt", NULL, hdrs, NULL, NULL, "us-east-1",
                          "s3", S3_WHEN, &s3_creds),
                     0);
    assert_string_equal(s.trace.canonical_request,
                        "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
                        "x-amz-content-sha256:" EMPTY_SHA256 "\nx-amz-date:20130524T000000Z\n\n"
                        "host;range;x-amz-content-sha256;x-amz-date\n" EMPTY_SHA256);
    assert_string_equal(s.cr_hash,
                        "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
    assert_string_equal(s.trace.string_to_sign,
                        "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
                        "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
    assert_string_equal(s.trace.signature,
                        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    assert_string_equal(
        lc_kv_get(&s.headers, "authorization"),
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
        "aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    assert_string_equal(lc_kv_get(&s.headers, "x-amz-date"), "20130524T000000Z");
    assert_string_equal(lc_kv_get(&s.headers, "x-amz-content-sha256"), EMPTY_SHA256);
    assert_null(lc_kv_get(&s.headers, "x-amz-security-token"));
    signed_free(&s);
}

static void test_s3_put_object(void **state)
{
    static const char *const hdrs[] = {"Host",
                                       S3_HOST,
                                       "Date",
                                       "Fri, 24 May 2013 00:00:00 GMT",
                                       "x-amz-storage-class",
                                       "REDUCED_REDUNDANCY",
                                       NULL};
    struct lc_buf path = {0};
    struct signed_req s;
    (void)state;

    /* the key is encoded once for the URL, and that is the canonical URI */
    assert_int_equal(lc_buf_putc(&path, '/'), 0);
    assert_int_equal(lc_uri_encode(&path, "test$file.text", 14, true), 0);
    assert_string_equal(path.data, "/test%24file.text");
    assert_int_equal(sign(&s, LC_SIGV4_S3, "PUT", path.data, NULL, hdrs, "Welcome to Amazon S3.",
                          NULL, "us-east-1", "s3", S3_WHEN, &s3_creds),
                     0);
    assert_string_equal(lc_kv_get(&s.headers, "x-amz-content-sha256"),
                        "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    assert_string_equal(s.cr_hash,
                        "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
    assert_string_equal(s.trace.signature,
                        "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
    assert_non_null(strstr(lc_kv_get(&s.headers, "authorization"),
                           "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;"
                           "x-amz-storage-class, "));
    signed_free(&s);
    lc_buf_free(&path);
}

static void test_s3_get_lifecycle(void **state)
{
    static const char *const hdrs[] = {"Host", S3_HOST, NULL};
    static const char *const query[] = {"lifecycle", "", NULL};
    struct signed_req s;
    char line[256];
    (void)state;

    assert_int_equal(sign(&s, LC_SIGV4_S3, "GET", "/", query, hdrs, NULL, NULL, "us-east-1", "s3",
                          S3_WHEN, &s3_creds),
                     0);
    assert_string_equal(cr_line(&s, 2, line, sizeof(line)), "lifecycle=");
    assert_string_equal(s.cr_hash,
                        "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca");
    assert_string_equal(s.trace.signature,
                        "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
    signed_free(&s);
}

static void test_s3_list_objects(void **state)
{
    static const char *const hdrs[] = {"Host", S3_HOST, NULL};
    /* given out of order: the signer sorts */
    static const char *const query[] = {"prefix", "J", "max-keys", "2", NULL};
    struct signed_req s;
    struct lc_buf qs = {0};
    char line[256];
    (void)state;

    assert_int_equal(sign(&s, LC_SIGV4_S3, "GET", "/", query, hdrs, NULL, NULL, "us-east-1", "s3",
                          S3_WHEN, &s3_creds),
                     0);
    assert_string_equal(cr_line(&s, 2, line, sizeof(line)), "max-keys=2&prefix=J");
    assert_string_equal(s.cr_hash,
                        "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7");
    assert_string_equal(s.trace.signature,
                        "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
    /* the URL carries the same query string */
    assert_int_equal(lc_sigv4_query_string(&s.query, &qs), 0);
    assert_string_equal(qs.data, "max-keys=2&prefix=J");
    lc_buf_free(&qs);
    signed_free(&s);
}

static void test_s3_unsigned_payload(void **state)
{
    static const char *const hdrs[] = {"Host", S3_HOST, NULL};
    struct signed_req s;
    char line[256];
    (void)state;

    assert_int_equal(sign(&s, LC_SIGV4_S3, "PUT", "/k", NULL, hdrs, "data", "UNSIGNED-PAYLOAD",
                          "us-east-1", "s3", S3_WHEN, &s3_creds),
                     0);
    assert_string_equal(lc_kv_get(&s.headers, "x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
    assert_string_equal(cr_line(&s, 8, line, sizeof(line)), "UNSIGNED-PAYLOAD");
    signed_free(&s);
}

/* --- generic test suite ---------------------------------------------------------------- */

static void test_get_vanilla(void **state)
{
    static const char *const hdrs[] = {"Host", "example.amazonaws.com", NULL};
    struct signed_req s;
    (void)state;

    assert_int_equal(sign(&s, LC_SIGV4_GENERIC, "GET", "/", NULL, hdrs, NULL, NULL, "us-east-1",
                          "service", TS_WHEN, &ts_creds),
                     0);
    assert_string_equal(s.trace.canonical_request,
                        "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
                        "host;x-amz-date\n" EMPTY_SHA256);
    assert_string_equal(s.cr_hash,
                        "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
    assert_string_equal(s.trace.signature,
                        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    /* no content-sha256 header for generic services */
    assert_null(lc_kv_get(&s.headers, "x-amz-content-sha256"));
    assert_string_equal(
        lc_kv_get(&s.headers, "authorization"),
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
        "aws4_request, SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    signed_free(&s);
}

static void test_get_vanilla_session_token(void **state)
{
    static const char *const hdrs[] = {"Host", "example.amazonaws.com", NULL};
    struct lc_creds creds = {TS_AK, TS_SK, TS_TOKEN, 0};
    struct signed_req s;
    char line[256];
    (void)state;

    assert_int_equal(sign(&s, LC_SIGV4_GENERIC, "GET", "/", NULL, hdrs, NULL, NULL, "us-east-1",
                          "service", TS_WHEN, &creds),
                     0);
    assert_string_equal(lc_kv_get(&s.headers, "x-amz-security-token"), TS_TOKEN);
    assert_string_equal(cr_line(&s, 7, line, sizeof(line)), "host;x-amz-date;x-amz-security-token");
    assert_string_equal(s.trace.signature,
                        "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8");
    signed_free(&s);
}

/* --- encoding -------------------------------------------------------------------------- */

static void test_uri_encode(void **state)
{
    struct lc_buf b = {0};
    (void)state;

    assert_string_equal(encode("AZaz09-_.~", false, &b), "AZaz09-_.~");
    assert_string_equal(encode("a b", false, &b), "a%20b");
    assert_string_equal(encode("$", false, &b), "%24");
    assert_string_equal(encode("+", false, &b), "%2B");
    assert_string_equal(encode("%", false, &b), "%25");
    assert_string_equal(encode("%2F", false, &b), "%252F");
    assert_string_equal(encode("=&?#", false, &b), "%3D%26%3F%23");
    assert_string_equal(encode("\xc3\xa9\xe6\x97\xa5", false, &b), "%C3%A9%E6%97%A5");
    assert_string_equal(encode("\x7f\x01", false, &b), "%7F%01");
    assert_string_equal(encode("a/b", false, &b), "a%2Fb");
    assert_string_equal(encode("a/b", true, &b), "a/b");
    assert_string_equal(encode("//a b//", true, &b), "//a%20b//");
    /* appends rather than replacing */
    lc_buf_reset(&b);
    assert_int_equal(lc_buf_append(&b, "x", 1), 0);
    assert_int_equal(lc_uri_encode(&b, "y z", 3, false), 0);
    assert_string_equal(b.data, "xy%20z");
    /* length, not NUL, bounds the input */
    lc_buf_reset(&b);
    assert_int_equal(lc_uri_encode(&b, "ab c", 2, false), 0);
    assert_string_equal(b.data, "ab");
    lc_buf_free(&b);
}

static void test_query_string(void **state)
{
    struct lc_kvlist q = {0};
    struct lc_buf out = {0};
    (void)state;

    assert_int_equal(lc_sigv4_query_string(&q, &out), 0);
    assert_null(out.data);
    assert_int_equal(lc_sigv4_query_string(NULL, &out), 0);
    assert_null(out.data);

    assert_int_equal(lc_kv_add(&q, "prefix", "AWSLogs/1/a b=c/"), 0);
    assert_int_equal(lc_kv_add(&q, "continuation-token", "1/2+3=="), 0);
    assert_int_equal(lc_kv_add(&q, "encryption", ""), 0);
    assert_int_equal(lc_kv_add(&q, "list-type", "2"), 0);
    assert_int_equal(lc_kv_add(&q, "start-after", "x$y~z%\xc3\xa9&"), 0);
    /* sorted by encoded name ("A" < "a"), then by value */
    assert_int_equal(lc_kv_add(&q, "a", "2"), 0);
    assert_int_equal(lc_kv_add(&q, "a", "10"), 0);
    assert_int_equal(lc_kv_add(&q, "A", "z"), 0);
    assert_int_equal(lc_sigv4_query_string(&q, &out), 0);
    assert_string_equal(out.data, "A=z&a=10&a=2&continuation-token=1%2F2%2B3%3D%3D&encryption="
                                  "&list-type=2&prefix=AWSLogs%2F1%2Fa%20b%3Dc%2F"
                                  "&start-after=x%24y~z%25%C3%A9%26");
    lc_buf_free(&out);
    lc_kv_free(&q);
}

static void test_query_sort_after_encoding(void **state)
{
    /* "a b" encodes to "a%20b", which sorts before "a-b" ('%' < '-'): sort the encoded form */
    static const char *const query[] = {"a-b", "1", "a b", "2", "a.b", "3", NULL};
    static const char *const hdrs[] = {"Host", "example.amazonaws.com", NULL};
    struct signed_req s;
    char line[256];
    (void)state;

    assert_int_equal(sign(&s, LC_SIGV4_GENERIC, "GET", "/", query, hdrs, NULL, NULL, "us-east-1",
                          "service", TS_WHEN, &ts_creds),
                     0);
    assert_string_equal(cr_line(&s, 2, line, sizeof(line)), "a%20b=2&a-b=1&a.b=3");
    signed_free(&s);
}

/* --- canonical URI --------------------------------------------------------------------- */

static void test_s3_path_kept(void **state)
{
    char buf[256];
    (void)state;

    /* S3: as sent, encoded once; "//", "." and ".." kept */
    assert_string_equal(canon_uri(LC_SIGV4_S3, "/bucket//a/./b/../c", buf, sizeof(buf)),
                        "/bucket//a/./b/../c");
    assert_string_equal(canon_uri(LC_SIGV4_S3, "/a%20b/%24%2B~%25/%C3%A9", buf, sizeof(buf)),
                        "/a%20b/%24%2B~%25/%C3%A9");
    assert_string_equal(canon_uri(LC_SIGV4_S3, "/k%3Dv%26w", buf, sizeof(buf)), "/k%3Dv%26w");
}

static void test_generic_path_normalised(void **state)
{
    char buf[256];
    (void)state;

    assert_string_equal(canon_uri(LC_SIGV4_GENERIC, "/a/./b/../c", buf, sizeof(buf)), "/a/c");
    assert_string_equal(canon_uri(LC_SIGV4_GENERIC, "/example/..", buf, sizeof(buf)), "/");
    assert_string_equal(canon_uri(LC_SIGV4_GENERIC, "/../..", buf, sizeof(buf)), "/");
    assert_string_equal(canon_uri(LC_SIGV4_GENERIC, "/./", buf, sizeof(buf)), "/");
    assert_string_equal(canon_uri(LC_SIGV4_GENERIC, "//example//", buf, sizeof(buf)), "/example/");
    assert_string_equal(canon_uri(LC_SIGV4_GENERIC, "/a/b/.", buf, sizeof(buf)), "/a/b");
    assert_string_equal(canon_uri(LC_SIGV4_GENERIC, "/a/b/", buf, sizeof(buf)), "/a/b/");
    assert_string_equal(canon_uri(LC_SIGV4_GENERIC, "/a/..b/.c", buf, sizeof(buf)), "/a/..b/.c");
    assert_string_equal(canon_uri(LC_SIGV4_GENERIC, "", buf, sizeof(buf)), "/");
    /* encoded a second time */
    assert_string_equal(canon_uri(LC_SIGV4_GENERIC, "/a%20b/%2E%2E/c", buf, sizeof(buf)),
                        "/a%2520b/%252E%252E/c");
    assert_string_equal(canon_uri(LC_SIGV4_GENERIC, "/-_.~", buf, sizeof(buf)), "/-_.~");
}

/* --- canonical headers ----------------------------------------------------------------- */

static void test_headers(void **state)
{
    static const char *const hdrs[] = {"Host",
                                       "Example.AmazonAWS.com",
                                       "X-Amz-Meta-Note",
                                       "  a   b\t\tc  ",
                                       "Content-Type",
                                       "application/x-amz-json-1.1",
                                       "User-Agent",
                                       "logcanary/0.1",
                                       "Expect",
                                       "100-continue",
                                       "X-Amzn-Trace-Id",
                                       "Root=1-abc",
                                       "x-amz-meta-dup",
                                       "one",
                                       "X-AMZ-META-DUP",
                                       " two  2 ",
                                       "X-Amz-Meta-Empty",
                                       "   ",
                                       "Authorization",
                                       "stale",
                                       "X-Amz-Date",
                                       "19700101T000000Z",
                                       NULL};
    struct signed_req s;
    (void)state;

    assert_int_equal(sign(&s, LC_SIGV4_GENERIC, "post", "/", NULL, hdrs, "{}", NULL, "eu-west-1",
                          "kms", TS_WHEN, &ts_creds),
                     0);
    assert_string_equal(s.trace.canonical_request,
                        "POST\n/\n\n"
                        "content-type:application/x-amz-json-1.1\n"
                        "host:Example.AmazonAWS.com\n"
                        "x-amz-date:20150830T123600Z\n"
                        "x-amz-meta-dup:one,two 2\n"
                        "x-amz-meta-empty:\n"
                        "x-amz-meta-note:a b c\n\n"
                        "content-type;host;x-amz-date;x-amz-meta-dup;x-amz-meta-empty;"
                        "x-amz-meta-note\n"
                        "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    /* the stale date and signature were replaced, not duplicated */
    size_t dates = 0, auths = 0;
    for (size_t i = 0; i < s.headers.n; i++) {
        dates += strcasecmp(s.headers.items[i].name, "x-amz-date") == 0;
        auths += strcasecmp(s.headers.items[i].name, "authorization") == 0;
    }
    assert_int_equal(dates, 1);
    assert_int_equal(auths, 1);
    assert_string_not_equal(lc_kv_get(&s.headers, "authorization"), "stale");
    signed_free(&s);
}

static void test_resign_is_stable(void **state)
{
    static const char *const hdrs[] = {"Host", "example.amazonaws.com", NULL};
    struct lc_creds creds = {TS_AK, TS_SK, TS_TOKEN, 0};
    struct lc_sigv4_trace again;
    struct lc_sigv4_req req;
    struct signed_req s;
    (void)state;

    assert_int_equal(sign(&s, LC_SIGV4_S3, "GET", "/k", NULL, hdrs, NULL, NULL, "us-east-1", "s3",
                          TS_WHEN, &creds),
                     0);
    size_t n = s.headers.n;
    /* a retry signs the already-signed header list: same result, no duplicates */
    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.path = "/k";
    req.headers = &s.headers;
    req.region = "us-east-1";
    req.service = "s3";
    req.flavor = LC_SIGV4_S3;
    req.when = TS_WHEN;
    assert_int_equal(lc_sigv4_sign(&req, &creds, &again), 0);
    assert_int_equal(s.headers.n, n);
    assert_string_equal(again.canonical_request, s.trace.canonical_request);
    assert_string_equal(again.signature, s.trace.signature);
    lc_sigv4_trace_free(&again);
    signed_free(&s);
}

static void test_time_and_scope(void **state)
{
    static const char *const hdrs[] = {"Host", "example.amazonaws.com", NULL};
    struct signed_req s;
    (void)state;

    /* 2024-02-29T23:59:59Z: the scope date is the UTC day */
    assert_int_equal(sign(&s, LC_SIGV4_GENERIC, "GET", "/", NULL, hdrs, NULL, NULL,
                          "ap-southeast-2", "sts", (time_t)1709251199, &ts_creds),
                     0);
    assert_string_equal(lc_kv_get(&s.headers, "x-amz-date"), "20240229T235959Z");
    assert_non_null(strstr(s.trace.string_to_sign, "\n20240229/ap-southeast-2/sts/aws4_request\n"));
    signed_free(&s);
}

static void test_invalid(void **state)
{
    static const char *const no_host[] = {"X-Foo", "bar", NULL};
    static const char *const hdrs[] = {"Host", "example.amazonaws.com", NULL};
    struct lc_creds no_secret = {TS_AK, NULL, NULL, 0};
    struct signed_req s;
    (void)state;

    assert_int_equal(sign(&s, LC_SIGV4_S3, "GET", "/", NULL, no_host, NULL, NULL, "us-east-1", "s3",
                          TS_WHEN, &ts_creds),
                     LC_E_INVALID);
    assert_null(s.trace.canonical_request);
    signed_free(&s);
    assert_int_equal(sign(&s, LC_SIGV4_S3, "GET", "/", NULL, hdrs, NULL, NULL, "us-east-1", "s3",
                          TS_WHEN, &no_secret),
                     LC_E_INVALID);
    assert_null(lc_kv_get(&s.headers, "authorization"));
    signed_free(&s);
}

static void test_sha256(void **state)
{
    char hex[65];
    (void)state;

    lc_sha256_hex("", 0, hex);
    assert_string_equal(hex, EMPTY_SHA256);
    lc_sha256_hex(NULL, 0, hex);
    assert_string_equal(hex, EMPTY_SHA256);
    lc_sha256_hex("Welcome to Amazon S3.", 21, hex);
    assert_string_equal(hex, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
}

static void test_creds_copy_clear(void **state)
{
    struct lc_creds src = {"AK", "SECRET", NULL, 1234};
    struct lc_creds dst;
    (void)state;

    memset(&dst, 0, sizeof(dst));
    assert_int_equal(lc_creds_copy(&dst, &src), 0);
    assert_string_equal(dst.access_key_id, "AK");
    assert_string_equal(dst.secret_access_key, "SECRET");
    assert_ptr_not_equal(dst.secret_access_key, src.secret_access_key);
    assert_null(dst.session_token);
    assert_int_equal(dst.expiration, 1234);
    lc_creds_clear(&dst);
    assert_null(dst.access_key_id);
    assert_null(dst.secret_access_key);
    assert_int_equal(dst.expiration, 0);

    src.session_token = "TOKEN";
    assert_int_equal(lc_creds_copy(&dst, &src), 0);
    assert_string_equal(dst.session_token, "TOKEN");
    lc_creds_clear(&dst);
    assert_null(dst.session_token);
    lc_creds_clear(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_s3_get_object),
        cmocka_unit_test(test_s3_put_object),
        cmocka_unit_test(test_s3_get_lifecycle),
        cmocka_unit_test(test_s3_list_objects),
        cmocka_unit_test(test_s3_unsigned_payload),
        cmocka_unit_test(test_get_vanilla),
        cmocka_unit_test(test_get_vanilla_session_token),
        cmocka_unit_test(test_uri_encode),
        cmocka_unit_test(test_query_string),
        cmocka_unit_test(test_query_sort_after_encoding),
        cmocka_unit_test(test_s3_path_kept),
        cmocka_unit_test(test_generic_path_normalised),
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_resign_is_stable),
        cmocka_unit_test(test_time_and_scope),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_creds_copy_clear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
