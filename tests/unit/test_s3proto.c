/* Unit tests of the S3 REST XML codecs: the streaming ListObjectsV2 parser, GetBucketEncryption,
 * URL decoding, and the XML reader under them (chunking, caps, hostile input). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/error.h"
#include "aws/s3proto.h"
#include "aws/xml.h"

/* A VPC Flow Logs page as real S3 sends it: one line, &quot; in ETags, a multipart ETag, an
 * Owner (fetch-owner=true) and a ChecksumAlgorithm. */
static const char LIST_FLOWLOGS[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Name>org-central-logs</Name><Prefix>AWSLogs/111122223333/vpcflowlogs/us-east-1/2026/11/22/"
    "</Prefix><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</"
    "NextContinuationToken><KeyCount>3</KeyCount><MaxKeys>3</MaxKeys><IsTruncated>true</"
    "IsTruncated>"
    "<Contents><Key>AWSLogs/111122223333/vpcflowlogs/us-east-1/2026/11/22/"
    "111122223333_vpcflowlogs_us-east-1_fl-0123456789abcdef0_20261122T0800Z_1a2b3c4d.log.gz</Key>"
    "<LastModified>2026-11-22T08:05:12.000Z</LastModified>"
    "<ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag><ChecksumAlgorithm>CRC64NVME"
    "</ChecksumAlgorithm><Size>1204</Size><Owner><ID>"
    "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID><DisplayName>logs"
    "</DisplayName></Owner><StorageClass>STANDARD</StorageClass></Contents>"
    "<Contents><Key>AWSLogs/111122223333/vpcflowlogs/us-east-1/2026/11/22/"
    "111122223333_vpcflowlogs_us-east-1_fl-0123456789abcdef0_20261122T0805Z_5e6f7a8b.log.gz</Key>"
    "<LastModified>2026-11-22T08:10:00.000Z</LastModified>"
    "<ETag>&quot;d41d8cd98f00b204e9800998ecf8427e-2&quot;</ETag>"
    "<Size>18446744073709551615</Size><StorageClass>INTELLIGENT_TIERING</StorageClass>"
    "</Contents>"
    "<Contents><Key>AWSLogs/111122223333/vpcflowlogs/us-east-1/2026/11/22/ok</Key>"
    "<LastModified>2026-11-22T08:15:59Z</LastModified><ETag>\"abc\"</ETag><Size>0</Size>"
    "</Contents></ListBucketResult>";

/* Pretty-printed, delimiter listing with CommonPrefixes, last page. */
static const char LIST_PREFIXES[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
    "  <Name>org-central-logs</Name>\n"
    "  <Prefix>AWSLogs/111122223333/</Prefix>\n"
    "  <KeyCount>3</KeyCount>\n"
    "  <MaxKeys>1000</MaxKeys>\n"
    "  <Delimiter>/</Delimiter>\n"
    "  <IsTruncated>false</IsTruncated>\n"
    "  <Contents>\n"
    "    <Key>AWSLogs/111122223333/aws-programmatic-access-test-object</Key>\n"
    "    <LastModified>2026-11-01T00:00:00.000Z</LastModified>\n"
    "    <ETag>\"0\"</ETag>\n"
    "    <Size>0</Size>\n"
    "    <StorageClass>STANDARD</StorageClass>\n"
    "  </Contents>\n"
    "  <CommonPrefixes>\n"
    "    <Prefix>AWSLogs/111122223333/CloudTrail/</Prefix>\n"
    "  </CommonPrefixes>\n"
    "  <CommonPrefixes>\n"
    "    <Prefix>AWSLogs/111122223333/Config/</Prefix>\n"
    "  </CommonPrefixes>\n"
    "</ListBucketResult>\n";

/* encoding-type=url, EncodingType before the entries (AWS order). */
static const char LIST_URL_EARLY[] =
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name>"
    "<Prefix>AWSLogs%2F</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys>"
    "<Delimiter>%2F</Delimiter><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>"
    "<Contents><Key>AWSLogs/111122223333/Config/file+name%2Bplus%E3%83%AD%E3%82%B0.json.gz</Key>"
    "<LastModified>2026-11-22T08:00:00.000Z</LastModified><ETag>\"e\"</ETag><Size>7</Size>"
    "<StorageClass>STANDARD</StorageClass></Contents>"
    "<CommonPrefixes><Prefix>AWSLogs/a%20b/</Prefix></CommonPrefixes></ListBucketResult>";

/* The same with EncodingType after the entries (MinIO order). */
static const char LIST_URL_LATE[] =
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name>"
    "<KeyCount>2</KeyCount><IsTruncated>false</IsTruncated>"
    "<Contents><Key>AWSLogs/111122223333/Config/file+name%2Bplus%E3%83%AD%E3%82%B0.json.gz</Key>"
    "<LastModified>2026-11-22T08:00:00.000Z</LastModified><ETag>\"e\"</ETag><Size>7</Size>"
    "</Contents><CommonPrefixes><Prefix>AWSLogs/a%20b/</Prefix></CommonPrefixes>"
    "<EncodingType>url</EncodingType></ListBucketResult>";

#define DECODED_KEY "AWSLogs/111122223333/Config/file name+plus\xE3\x83\xAD\xE3\x82\xB0.json.gz"

/* S3 answering 200 with an error document. */
static const char ERROR_200[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try "
    "again.</Message><RequestId>4442587FB7D0A2F9</RequestId><HostId>"
    "Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==</HostId></Error>";

#define MAXSEEN 8

struct seen {
    int objects, prefixes;
    char key[MAXSEEN][300];
    time_t lm[MAXSEEN];
    uint64_t size[MAXSEEN];
    char etag[MAXSEEN][64];
    char sc[MAXSEEN][32];
    char prefix[MAXSEEN][128];
    int stop_at; /* return LC_E_CANCELLED at this object (1-based), 0 = never */
    int objects_before_finish;
};

static int on_object(void *ud, const struct lc_s3_list_item *o)
{
    struct seen *s = ud;
    int i = s->objects++;

    if (i < MAXSEEN) {
        lc_strlcpy(s->key[i], o->key, sizeof(s->key[i]));
        s->lm[i] = o->last_modified;
        s->size[i] = o->size;
        lc_strlcpy(s->etag[i], o->etag, sizeof(s->etag[i]));
        lc_strlcpy(s->sc[i], o->storage_class, sizeof(s->sc[i]));
    }
    if (s->stop_at && s->objects == s->stop_at)
        return LC_E_CANCELLED;
    return 0;
}

static int on_prefix(void *ud, const char *prefix)
{
    struct seen *s = ud;
    int i = s->prefixes++;

    if (i < MAXSEEN)
        lc_strlcpy(s->prefix[i], prefix, sizeof(s->prefix[i]));
    return 0;
}

struct page {
    bool is_truncated, url_encoded;
    long key_count;
    bool has_token;
    char token[128];
    size_t objects, prefixes;
};

/* Feed body in chunks of `chunk` bytes; fills *s, *pg and *err. */
static int list_chunked(const char *body, size_t len, size_t chunk, bool url_requested,
                        size_t max_entries, struct seen *s, struct page *pg, struct lc_error *err)
{
    struct lc_s3_list_parser_opts o = {
        .on_object = on_object,
        .on_prefix = on_prefix,
        .ud = s,
        .url_requested = url_requested,
        .max_entries = max_entries,
    };
    struct lc_s3_list_parser *l = lc_s3_list_parser_new(&o);
    int rc = 0;

    assert_non_null(l);
    lc_error_clear(err);
    memset(pg, 0, sizeof(*pg));
    for (size_t off = 0; off < len && !rc; off += chunk)
        rc = lc_s3_list_parser_feed(l, body + off, len - off < chunk ? len - off : chunk, err);
    s->objects_before_finish = s->objects;
    if (!rc)
        rc = lc_s3_list_parser_finish(l, err);
    if (!rc) {
        const struct lc_s3_list_page *p = lc_s3_list_parser_page(l);
        pg->is_truncated = p->is_truncated;
        pg->url_encoded = p->url_encoded;
        pg->key_count = p->key_count;
        pg->has_token = p->next_token != NULL;
        if (p->next_token)
            lc_strlcpy(pg->token, p->next_token, sizeof(pg->token));
        pg->objects = p->objects;
        pg->prefixes = p->prefixes;
    }
    lc_s3_list_parser_free(l);
    return rc;
}

static int list_whole(const char *body, struct seen *s, struct page *pg, struct lc_error *err)
{
    memset(s, 0, sizeof(*s));
    return list_chunked(body, strlen(body), strlen(body), false, 0, s, pg, err);
}

static void test_list_every_chunk_size(void **state)
{
    size_t len = strlen(LIST_FLOWLOGS);
    (void)state;

    for (size_t chunk = 1; chunk <= len; chunk++) {
        struct seen s = {0};
        struct page pg;
        struct lc_error err;
        int rc = list_chunked(LIST_FLOWLOGS, len, chunk, false, 0, &s, &pg, &err);
        if (rc)
            fail_msg("chunk %zu: rc %d: %s", chunk, rc, err.message);
        assert_int_equal(s.objects, 3);
        assert_int_equal(s.prefixes, 0);
        assert_string_equal(s.key[0], "AWSLogs/111122223333/vpcflowlogs/us-east-1/2026/11/22/"
                                      "111122223333_vpcflowlogs_us-east-1_fl-0123456789abcdef0_"
                                      "20261122T0800Z_1a2b3c4d.log.gz");
        assert_int_equal(s.lm[0], 1795334400 + 5 * 60 + 12);
        assert_int_equal(s.size[0], 1204);
        assert_string_equal(s.etag[0], "\"9b2cf535f27731c974343645a3985328\"");
        assert_string_equal(s.sc[0], "STANDARD");
        assert_int_equal(s.lm[1], 1795334400 + 10 * 60);
        assert_true(s.size[1] == UINT64_MAX);
        assert_string_equal(s.etag[1], "\"d41d8cd98f00b204e9800998ecf8427e-2\"");
        assert_string_equal(s.sc[1], "INTELLIGENT_TIERING");
        assert_string_equal(s.key[2], "AWSLogs/111122223333/vpcflowlogs/us-east-1/2026/11/22/ok");
        assert_int_equal(s.lm[2], 1795334400 + 15 * 60 + 59);
        assert_int_equal(s.size[2], 0);
        assert_string_equal(s.sc[2], ""); /* absent */
        assert_true(pg.is_truncated);
        assert_false(pg.url_encoded);
        assert_int_equal(pg.key_count, 3);
        assert_true(pg.has_token);
        assert_string_equal(pg.token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
        assert_int_equal(pg.objects, 3);
    }
}

static void test_list_streams(void **state)
{
    struct seen s = {0};
    struct page pg;
    struct lc_error err;
    size_t len = strlen(LIST_FLOWLOGS);
    (void)state;

    /* Everything but the closing tag: all three objects must already be out. */
    assert_int_equal(list_chunked(LIST_FLOWLOGS, len, len, false, 0, &s, &pg, &err), 0);
    assert_int_equal(s.objects_before_finish, 3);
    memset(&s, 0, sizeof(s));
    assert_int_equal(list_chunked(LIST_FLOWLOGS, len - strlen("</ListBucketResult>"), 64, false, 0,
                                  &s, &pg, &err),
                     LC_E_PARSE);
    assert_int_equal(s.objects_before_finish, 3);
    assert_non_null(strstr(err.message, "ends inside an element (truncated)"));
    assert_non_null(strstr(err.message, "in ListBucketResult"));
}

static void test_list_common_prefixes(void **state)
{
    size_t len = strlen(LIST_PREFIXES);
    (void)state;

    for (size_t chunk = 1; chunk <= len; chunk += 7) {
        struct seen s = {0};
        struct page pg;
        struct lc_error err;
        assert_int_equal(list_chunked(LIST_PREFIXES, len, chunk, false, 0, &s, &pg, &err), 0);
        assert_int_equal(s.objects, 1);
        assert_string_equal(s.key[0], "AWSLogs/111122223333/aws-programmatic-access-test-object");
        assert_int_equal(s.prefixes, 2);
        assert_string_equal(s.prefix[0], "AWSLogs/111122223333/CloudTrail/");
        assert_string_equal(s.prefix[1], "AWSLogs/111122223333/Config/");
        assert_false(pg.is_truncated);
        assert_false(pg.has_token);
        assert_int_equal(pg.key_count, 3);
        assert_int_equal(pg.prefixes, 2);
    }
}

static void test_list_url_encoded(void **state)
{
    const char *bodies[] = {LIST_URL_EARLY, LIST_URL_LATE};
    (void)state;

    for (size_t b = 0; b < 2; b++) {
        size_t len = strlen(bodies[b]);
        for (size_t chunk = 1; chunk <= len; chunk++) {
            struct seen s = {0};
            struct page pg;
            struct lc_error err;
            int rc = list_chunked(bodies[b], len, chunk, true, 0, &s, &pg, &err);
            if (rc)
                fail_msg("body %zu chunk %zu: %s", b, chunk, err.message);
            assert_int_equal(s.objects, 1);
            assert_string_equal(s.key[0], DECODED_KEY);
            assert_int_equal(s.prefixes, 1);
            assert_string_equal(s.prefix[0], "AWSLogs/a b/");
            assert_true(pg.url_encoded);
        }
    }
}

static void test_list_url_not_requested(void **state)
{
    struct seen s = {0};
    struct page pg;
    struct lc_error err;
    (void)state;

    /* EncodingType before any entry: decoding is still right. */
    assert_int_equal(
        list_chunked(LIST_URL_EARLY, strlen(LIST_URL_EARLY), 5, false, 0, &s, &pg, &err), 0);
    assert_string_equal(s.key[0], DECODED_KEY);
    /* After raw entries went out: an error, not silently wrong keys. */
    memset(&s, 0, sizeof(s));
    assert_int_equal(list_chunked(LIST_URL_LATE, strlen(LIST_URL_LATE), 5, false, 0, &s, &pg, &err),
                     LC_E_PARSE);
    assert_non_null(strstr(err.message, "EncodingType"));
    /* Requested but the server ignored it: keys as sent, '%' and '+' kept. */
    static const char raw[] = "<ListBucketResult><Contents><Key>a%41+b</Key></Contents>"
                              "<CommonPrefixes><Prefix>p%2F</Prefix></CommonPrefixes>"
                              "</ListBucketResult>";
    memset(&s, 0, sizeof(s));
    assert_int_equal(list_chunked(raw, strlen(raw), 3, true, 0, &s, &pg, &err), 0);
    assert_string_equal(s.key[0], "a%41+b");
    assert_string_equal(s.prefix[0], "p%2F");
    assert_false(pg.url_encoded);
}

static void test_list_bad_url_encoding(void **state)
{
    static const char *const keys[] = {"a%zz", "a%4", "a%", "a%00b", "%G1"};
    (void)state;

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        char body[256];
        struct seen s = {0};
        struct page pg;
        struct lc_error err;
        snprintf(body, sizeof(body),
                 "<ListBucketResult><EncodingType>url</EncodingType><Contents><Key>%s</Key>"
                 "</Contents></ListBucketResult>",
                 keys[i]);
        assert_int_equal(list_whole(body, &s, &pg, &err), LC_E_PARSE);
        assert_non_null(strstr(err.message, "bad URL encoding"));
        assert_non_null(strstr(err.message, "ListBucketResult/Contents"));
        assert_int_equal(s.objects, 0);
    }
}

static void test_list_error_in_200(void **state)
{
    size_t len = strlen(ERROR_200);
    (void)state;

    for (size_t chunk = 1; chunk <= len; chunk++) {
        struct seen s = {0};
        struct page pg;
        struct lc_error err;
        assert_int_equal(list_chunked(ERROR_200, len, chunk, false, 0, &s, &pg, &err), LC_E_AWS);
        assert_int_equal(err.kind, LC_E_AWS);
        assert_int_equal(err.status, 200);
        assert_string_equal(err.service, "s3");
        assert_string_equal(err.code, "InternalError");
        assert_string_equal(err.message, "We encountered an internal error. Please try again.");
        assert_string_equal(err.request_id, "4442587FB7D0A2F9");
        assert_true(err.retryable);
        assert_int_equal(s.objects, 0);
    }
}

static void test_list_wrong_root(void **state)
{
    struct seen s;
    struct page pg;
    struct lc_error err;
    (void)state;

    assert_int_equal(list_whole("<ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/"
                                "2006-03-01/\"><Buckets/></ListAllMyBucketsResult>",
                                &s, &pg, &err),
                     LC_E_PARSE);
    assert_non_null(strstr(err.message, "unexpected root element <ListAllMyBucketsResult>"));
    /* A ListObjects v1 "Contents" outside the root is no listing either. */
    assert_int_equal(list_whole("<Contents><Key>k</Key></Contents>", &s, &pg, &err), LC_E_PARSE);
    assert_int_equal(s.objects, 0);
    /* Namespace prefixes and a missing namespace are both fine. */
    assert_int_equal(list_whole("<s3:ListBucketResult xmlns:s3=\"http://s3.amazonaws.com/doc/"
                                "2006-03-01/\"><s3:Contents><s3:Key>k</s3:Key></s3:Contents>"
                                "</s3:ListBucketResult>",
                                &s, &pg, &err),
                     0);
    assert_int_equal(s.objects, 1);
    assert_string_equal(s.key[0], "k");
    assert_int_equal(list_whole("<ListBucketResult><Contents><Key>k2</Key></Contents>"
                                "</ListBucketResult>",
                                &s, &pg, &err),
                     0);
    assert_string_equal(s.key[0], "k2");
    assert_int_equal(pg.key_count, -1);
}

/* Every strict prefix of a valid page is an error, never a success. */
static void test_list_truncated(void **state)
{
    size_t len = strlen(LIST_PREFIXES);
    size_t end = (size_t)(strstr(LIST_PREFIXES, "</ListBucketResult>") - LIST_PREFIXES) +
                 strlen("</ListBucketResult>");
    (void)state;

    for (size_t cut = 0; cut < end; cut++) {
        struct seen s = {0};
        struct page pg;
        struct lc_error err;
        int rc = list_chunked(LIST_PREFIXES, cut, 16, false, 0, &s, &pg, &err);
        if (rc != LC_E_PARSE)
            fail_msg("cut at %zu: rc %d", cut, rc);
        assert_int_equal(err.kind, LC_E_PARSE);
        assert_non_null(strstr(err.message, cut ? "line" : "empty document"));
    }
    struct seen s = {0};
    struct page pg;
    struct lc_error err;
    assert_int_equal(list_chunked(LIST_PREFIXES, len, 16, false, 0, &s, &pg, &err), 0);
}

static void test_list_hostile(void **state)
{
    struct seen s;
    struct page pg;
    struct lc_error err;
    struct lc_buf b = {0};
    (void)state;

    /* Billion laughs. */
    assert_int_equal(list_whole("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
                                "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
                                "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>"
                                "<ListBucketResult><Contents><Key>&lol3;</Key></Contents>"
                                "</ListBucketResult>",
                                &s, &pg, &err),
                     LC_E_PARSE);
    assert_non_null(strstr(err.message, "DOCTYPE"));
    assert_int_equal(s.objects, 0);
    /* XXE. */
    assert_int_equal(list_whole("<!DOCTYPE r [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
                                "<ListBucketResult><Contents><Key>&xxe;</Key></Contents>"
                                "</ListBucketResult>",
                                &s, &pg, &err),
                     LC_E_PARSE);
    assert_non_null(strstr(err.message, "DOCTYPE"));
    /* Even a harmless DOCTYPE. */
    assert_int_equal(list_whole("<!DOCTYPE ListBucketResult><ListBucketResult/>", &s, &pg, &err),
                     LC_E_PARSE);
    /* An entity reference without a DTD. */
    assert_int_equal(list_whole("<ListBucketResult><Contents><Key>&xxe;</Key></Contents>"
                                "</ListBucketResult>",
                                &s, &pg, &err),
                     LC_E_PARSE);
    assert_non_null(strstr(err.message, "line 1"));

    /* A huge text node hits the cap, and the message says where. */
    lc_buf_appendf(&b, "<ListBucketResult>\n<Contents><Key>");
    for (int i = 0; i < 20000; i++)
        lc_buf_putc(&b, 'a');
    lc_buf_appendf(&b, "</Key></Contents></ListBucketResult>");
    memset(&s, 0, sizeof(s));
    assert_int_equal(list_chunked(b.data, b.len, 4096, false, 0, &s, &pg, &err), LC_E_TOO_LARGE);
    assert_non_null(strstr(err.message, "ListBucketResult/Contents/Key"));
    assert_non_null(strstr(err.message, "line 2"));

    /* Deep nesting. */
    lc_buf_reset(&b);
    lc_buf_appendf(&b, "<ListBucketResult>");
    for (int i = 0; i < 200; i++)
        lc_buf_appendf(&b, "<a>");
    memset(&s, 0, sizeof(s));
    assert_int_equal(list_chunked(b.data, b.len, 100, false, 0, &s, &pg, &err), LC_E_PARSE);
    assert_non_null(strstr(err.message, "nested deeper"));

    /* A long element name cannot overflow the path. */
    lc_buf_reset(&b);
    lc_buf_appendf(&b, "<ListBucketResult><");
    for (int i = 0; i < 5000; i++)
        lc_buf_putc(&b, 'n');
    lc_buf_appendf(&b, "/></ListBucketResult>");
    assert_int_equal(list_chunked(b.data, b.len, b.len, false, 0, &s, &pg, &err), LC_E_TOO_LARGE);
    lc_buf_free(&b);

    /* Not XML at all, two roots, binary. */
    assert_int_equal(list_whole("Service Unavailable", &s, &pg, &err), LC_E_PARSE);
    assert_int_equal(list_whole("<ListBucketResult/><ListBucketResult/>", &s, &pg, &err),
                     LC_E_PARSE);
    assert_non_null(strstr(err.message, "junk after document element"));
    assert_int_equal(
        list_chunked("<ListBucketResult>\0</ListBucketResult>", 38, 38, false, 0, &s, &pg, &err),
        LC_E_PARSE);
}

static void test_list_bad_fields(void **state)
{
    static const struct {
        const char *contents;
        const char *what;
    } cases[] = {
        {"<Key>k</Key><LastModified>2026-13-01T00:00:00.000Z</LastModified>", "bad timestamp"},
        {"<Key>k</Key><LastModified>Sun, 22 Nov 2026 08:00:00 GMT</LastModified>", "bad timestamp"},
        {"<Key>k</Key><LastModified></LastModified>", "bad timestamp"},
        {"<Key>k</Key><Size>-1</Size>", "bad size"},
        {"<Key>k</Key><Size>12a</Size>", "bad size"},
        {"<Key>k</Key><Size> 12</Size>", "bad size"},
        {"<Key>k</Key><Size>18446744073709551616</Size>", "bad size"},
        {"<Key>k</Key><Size></Size>", "bad size"},
        {"<Size>1</Size>", "without a Key"},
        {"<Key></Key>", "empty Key"},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char body[512];
        struct seen s;
        struct page pg;
        struct lc_error err;
        snprintf(body, sizeof(body),
                 "<ListBucketResult>\n<Contents><Key>good</Key></Contents>\n<Contents>%s"
                 "</Contents></ListBucketResult>",
                 cases[i].contents);
        assert_int_equal(list_whole(body, &s, &pg, &err), LC_E_PARSE);
        assert_int_equal(err.kind, LC_E_PARSE);
        if (!strstr(err.message, cases[i].what))
            fail_msg("case %zu: %s", i, err.message);
        assert_non_null(strstr(err.message, "ListBucketResult/Contents"));
        assert_non_null(strstr(err.message, "line 3"));
        assert_int_equal(s.objects, 1); /* the good one went out first */
    }
    struct seen s;
    struct page pg;
    struct lc_error err;
    assert_int_equal(list_whole("<ListBucketResult><IsTruncated>yes</IsTruncated>"
                                "</ListBucketResult>",
                                &s, &pg, &err),
                     LC_E_PARSE);
    assert_non_null(strstr(err.message, "ListBucketResult/IsTruncated"));
    assert_int_equal(
        list_whole("<ListBucketResult><KeyCount>x</KeyCount></ListBucketResult>", &s, &pg, &err),
        LC_E_PARSE);
    assert_int_equal(list_whole("<ListBucketResult><EncodingType>base64</EncodingType>"
                                "</ListBucketResult>",
                                &s, &pg, &err),
                     LC_E_PARSE);
}

static void test_list_caps_and_stop(void **state)
{
    struct seen s = {0};
    struct page pg;
    struct lc_error err;
    size_t len = strlen(LIST_FLOWLOGS);
    (void)state;

    /* Three Contents against a cap of two. */
    assert_int_equal(list_chunked(LIST_FLOWLOGS, len, 100, false, 2, &s, &pg, &err),
                     LC_E_TOO_LARGE);
    assert_non_null(strstr(err.message, "more than 2 entries"));
    assert_int_equal(s.objects, 2);
    /* Held entries count against the cap as well. */
    memset(&s, 0, sizeof(s));
    assert_int_equal(
        list_chunked(LIST_URL_LATE, strlen(LIST_URL_LATE), 100, true, 1, &s, &pg, &err),
        LC_E_TOO_LARGE);
    assert_int_equal(s.objects, 0);
    /* The callback stops the parse. */
    memset(&s, 0, sizeof(s));
    s.stop_at = 2;
    assert_int_equal(list_chunked(LIST_FLOWLOGS, len, 10, false, 0, &s, &pg, &err), LC_E_CANCELLED);
    assert_int_equal(s.objects, 2);
    assert_non_null(strstr(err.message, "stopped by the object callback"));
}

static void test_list_feed_after_error(void **state)
{
    struct lc_s3_list_parser *l = lc_s3_list_parser_new(NULL);
    struct lc_error err;
    (void)state;

    assert_non_null(l);
    lc_error_clear(&err);
    assert_int_equal(lc_s3_list_parser_feed(l, "<ListBucketResult><<", 20, &err), LC_E_PARSE);
    lc_error_clear(&err);
    assert_int_equal(lc_s3_list_parser_feed(l, "</ListBucketResult>", 19, &err), LC_E_PARSE);
    assert_int_equal(err.kind, LC_E_PARSE);
    assert_int_equal(lc_s3_list_parser_finish(l, &err), LC_E_PARSE);
    lc_s3_list_parser_free(l);
    lc_s3_list_parser_free(NULL);
}

/* ---- GetBucketEncryption ---- */

static const char SSE_KMS[] =
    "<ServerSideEncryptionConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
    "  <Rule>\n"
    "    <ApplyServerSideEncryptionByDefault>\n"
    "      <SSEAlgorithm>aws:kms</SSEAlgorithm>\n"
    "      <KMSMasterKeyID>arn:aws:kms:us-east-1:111122223333:key/"
    "1234abcd-12ab-34cd-56ef-1234567890ab</KMSMasterKeyID>\n"
    "    </ApplyServerSideEncryptionByDefault>\n"
    "    <BucketKeyEnabled>true</BucketKeyEnabled>\n"
    "    <BlockedEncryptionTypes><EncryptionType>SSE-C</EncryptionType></BlockedEncryptionTypes>\n"
    "  </Rule>\n"
    "</ServerSideEncryptionConfiguration>\n";

static void test_sse_config(void **state)
{
    struct lc_s3_sse_config c;
    struct lc_error err;
    (void)state;

    lc_error_clear(&err);
    assert_int_equal(lc_s3_sse_config_parse(SSE_KMS, strlen(SSE_KMS), &c, &err), 0);
    assert_string_equal(c.algorithm, "aws:kms");
    assert_string_equal(c.kms_key_id,
                        "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-"
                        "1234567890ab");
    assert_true(c.bucket_key_enabled);
    assert_int_equal(c.rules, 1);

    /* The default since 2023: SSE-S3, no key. */
    static const char aes[] = "<ServerSideEncryptionConfiguration xmlns=\"http://s3.amazonaws."
                              "com/doc/2006-03-01/\"><Rule><ApplyServerSideEncryptionByDefault>"
                              "<SSEAlgorithm>AES256</SSEAlgorithm>"
                              "</ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false"
                              "</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>";
    assert_int_equal(lc_s3_sse_config_parse(aes, strlen(aes), &c, &err), 0);
    assert_string_equal(c.algorithm, "AES256");
    assert_string_equal(c.kms_key_id, "");
    assert_false(c.bucket_key_enabled);

    /* Two rules: the first one counts, both are counted. */
    static const char two[] = "<ServerSideEncryptionConfiguration><Rule>"
                              "<ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms:dsse"
                              "</SSEAlgorithm><KMSMasterKeyID>alias/logs</KMSMasterKeyID>"
                              "</ApplyServerSideEncryptionByDefault></Rule><Rule>"
                              "<ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256"
                              "</SSEAlgorithm></ApplyServerSideEncryptionByDefault>"
                              "<BucketKeyEnabled>true</BucketKeyEnabled></Rule>"
                              "</ServerSideEncryptionConfiguration>";
    assert_int_equal(lc_s3_sse_config_parse(two, strlen(two), &c, &err), 0);
    assert_string_equal(c.algorithm, "aws:kms:dsse");
    assert_string_equal(c.kms_key_id, "alias/logs");
    assert_false(c.bucket_key_enabled);
    assert_int_equal(c.rules, 2);

    static const char none[] = "<ServerSideEncryptionConfiguration/>";
    assert_int_equal(lc_s3_sse_config_parse(none, strlen(none), &c, &err), 0);
    assert_int_equal(c.rules, 0);
    assert_string_equal(c.algorithm, "");
}

static void test_sse_config_bad(void **state)
{
    struct lc_s3_sse_config c;
    struct lc_error err;
    (void)state;

    lc_error_clear(&err);
    static const char bad_bool[] = "<ServerSideEncryptionConfiguration><Rule><BucketKeyEnabled>1"
                                   "</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>";
    assert_int_equal(lc_s3_sse_config_parse(bad_bool, strlen(bad_bool), &c, &err), LC_E_PARSE);
    assert_non_null(strstr(err.message, "ServerSideEncryptionConfiguration/Rule/BucketKeyEnabled"));
    static const char root[] = "<ListBucketResult/>";
    assert_int_equal(lc_s3_sse_config_parse(root, strlen(root), &c, &err), LC_E_PARSE);
    assert_non_null(strstr(err.message, "expected ServerSideEncryptionConfiguration"));
    assert_int_equal(lc_s3_sse_config_parse(SSE_KMS, strlen(SSE_KMS) - 10, &c, &err), LC_E_PARSE);
    assert_int_equal(lc_s3_sse_config_parse("", 0, &c, &err), LC_E_PARSE);
    static const char alg[] = "<ServerSideEncryptionConfiguration><Rule>"
                              "<ApplyServerSideEncryptionByDefault><SSEAlgorithm>"
                              "aws:kms:this-is-not-an-algorithm-name</SSEAlgorithm>"
                              "</ApplyServerSideEncryptionByDefault></Rule>"
                              "</ServerSideEncryptionConfiguration>";
    assert_int_equal(lc_s3_sse_config_parse(alg, strlen(alg), &c, &err), LC_E_PARSE);
    assert_string_equal(c.algorithm, "");

    /* A 200 carrying an error document. */
    lc_error_clear(&err);
    assert_int_equal(lc_s3_sse_config_parse(ERROR_200, strlen(ERROR_200), &c, &err), LC_E_AWS);
    assert_string_equal(err.code, "InternalError");
    assert_int_equal(err.status, 200);
    assert_int_equal(c.rules, 0);
}

static void test_url_decode(void **state)
{
    char out[64];
    (void)state;

    assert_int_equal(lc_s3_url_decode("a%2Fb+c%2bd%e3%83%ad", 20, out), 0);
    assert_string_equal(out, "a/b c+d\xE3\x83\xAD");
    assert_int_equal(lc_s3_url_decode("", 0, out), 0);
    assert_string_equal(out, "");
    /* Only len bytes are read. */
    assert_int_equal(lc_s3_url_decode("ab%41", 2, out), 0);
    assert_string_equal(out, "ab");
    assert_int_equal(lc_s3_url_decode("ab%4", 4, out), LC_E_PARSE);
    assert_int_equal(lc_s3_url_decode("ab%41", 4, out), LC_E_PARSE);
    assert_int_equal(lc_s3_url_decode("%00", 3, out), LC_E_PARSE);
    assert_int_equal(lc_s3_url_decode("%-1", 3, out), LC_E_PARSE);
}

/* ---- the XML reader itself ---- */

struct xrec {
    char log[512];
};

static int xstart(void *ud, struct lc_xml *x)
{
    struct xrec *r = ud;
    size_t n = strlen(r->log);
    snprintf(r->log + n, sizeof(r->log) - n, "+%s(%u)", lc_xml_name(x), lc_xml_depth(x));
    return 0;
}

static int xend(void *ud, struct lc_xml *x, const char *text, size_t len)
{
    struct xrec *r = ud;
    size_t n = strlen(r->log);
    assert_int_equal(strlen(text), len);
    if (lc_xml_match(x, "*/b/c"))
        snprintf(r->log + n, sizeof(r->log) - n, "-%s[%s]", lc_xml_path(x), text);
    else
        snprintf(r->log + n, sizeof(r->log) - n, "-%s", lc_xml_name(x));
    return 0;
}

static void test_xml_reader(void **state)
{
    static const char doc[] = "<?xml version=\"1.0\"?><p:a xmlns:p=\"urn:x\"><b><c>x&amp;y&#65;"
                              "<![CDATA[<z>]]></c></b><b><c/></b><!-- c --><?pi x?></p:a>";
    size_t len = strlen(doc);
    (void)state;

    for (size_t chunk = 1; chunk <= len; chunk++) {
        struct xrec r = {{0}};
        struct lc_xml_opts o = {.on_start = xstart, .on_end = xend, .ud = &r};
        struct lc_xml *x = lc_xml_new(&o);
        struct lc_error err;
        int rc = 0;
        lc_error_clear(&err);
        for (size_t off = 0; off < len && !rc; off += chunk)
            rc = lc_xml_feed(x, doc + off, len - off < chunk ? len - off : chunk, &err);
        if (!rc)
            rc = lc_xml_finish(x, &err);
        lc_xml_free(x);
        assert_int_equal(rc, 0);
        assert_string_equal(r.log, "+a(1)+b(2)+c(3)-a/b/c[x&yA<z>]-b+b(2)+c(3)-a/b/c[]-b-a");
    }
    /* Match patterns. */
    struct xrec r = {{0}};
    struct lc_xml_opts o = {.on_start = xstart, .on_end = xend, .ud = &r, .max_bytes = 10};
    struct lc_error err;
    lc_error_clear(&err);
    assert_int_equal(lc_xml_parse(&o, "<a><b/></a>", 11, &err), LC_E_TOO_LARGE);
    assert_non_null(strstr(err.message, "larger than 10 bytes"));
    o.max_bytes = 0;
    assert_int_equal(lc_xml_parse(&o, "<a><b/></a>", 11, &err), 0);
    assert_int_equal(lc_xml_parse(&o, "  ", 2, &err), LC_E_PARSE);
    assert_non_null(strstr(err.message, "no element found"));
}

static int fail_on_c(void *ud, struct lc_xml *x)
{
    (void)ud;
    if (strcmp(lc_xml_name(x), "c") == 0)
        return lc_xml_fail(x, LC_E_PARSE, "no c here");
    return 0;
}

static void test_xml_fail_location(void **state)
{
    struct lc_xml_opts o = {.on_start = fail_on_c};
    struct lc_error err;
    (void)state;

    lc_error_clear(&err);
    err.status = 200; /* the caller's context is kept */
    assert_int_equal(lc_xml_parse(&o, "<a>\n <b>\n  <c/></b></a>", 23, &err), LC_E_PARSE);
    assert_string_equal(err.message, "no c here at a/b/c, line 3, column 3");
    assert_int_equal(err.status, 200);
    assert_int_equal(lc_xml_parse(&o, "<a>\n<b></a>", 11, &err), LC_E_PARSE);
    assert_non_null(strstr(err.message, "mismatched tag at line 2"));
    assert_non_null(strstr(err.message, "in a/b"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_every_chunk_size),
        cmocka_unit_test(test_list_streams),
        cmocka_unit_test(test_list_common_prefixes),
        cmocka_unit_test(test_list_url_encoded),
        cmocka_unit_test(test_list_url_not_requested),
        cmocka_unit_test(test_list_bad_url_encoding),
        cmocka_unit_test(test_list_error_in_200),
        cmocka_unit_test(test_list_wrong_root),
        cmocka_unit_test(test_list_truncated),
        cmocka_unit_test(test_list_hostile),
        cmocka_unit_test(test_list_bad_fields),
        cmocka_unit_test(test_list_caps_and_stop),
        cmocka_unit_test(test_list_feed_after_error),
        cmocka_unit_test(test_sse_config),
        cmocka_unit_test(test_sse_config_bad),
        cmocka_unit_test(test_url_decode),
        cmocka_unit_test(test_xml_reader),
        cmocka_unit_test(test_xml_fail_location),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
