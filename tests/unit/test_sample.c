/* Unit tests of the content sampler: realistic flow log, Config and CloudTrail files gzipped
 * here with zlib, fed whole, in 7-byte and in 1-byte chunks (results must agree), cut at a
 * range end, damaged in every way the agent can meet, and a zip bomb. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
#include <cmocka.h>

#include "pipeline/sample.h"
#include "probes/probe.h"

/* The formats the probes declare, by name. */
#define LC_SAMPLE_FLOWLOG_TEXT    lc_probe_sample_format("vpcflowlogs text")
#define LC_SAMPLE_FLOWLOG_PARQUET lc_probe_sample_format("vpcflowlogs parquet")
#define LC_SAMPLE_CONFIG_JSON     lc_probe_sample_format("config json")
#define LC_SAMPLE_CLOUDTRAIL_JSON lc_probe_sample_format("cloudtrail json")
#define LC_SAMPLE_WAF_JSON        lc_probe_sample_format("waf json")

#define T0 ((time_t)1795334400) /* 2026-11-22T08:00:00Z */

struct bytes {
    unsigned char *data;
    size_t len;
};

static void bytes_free(struct bytes *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
}

/* gzip one member, as the services write it (deflateInit2 windowBits 15 + 16). */
static struct bytes gz(const void *data, size_t len)
{
    struct bytes out = {0};
    z_stream zs;

    memset(&zs, 0, sizeof(zs));
    assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    out.len = deflateBound(&zs, (uLong)len);
    out.data = malloc(out.len);
    assert_non_null(out.data);
    zs.next_in = (Bytef *)(uintptr_t)data;
    zs.avail_in = (uInt)len;
    zs.next_out = out.data;
    zs.avail_out = (uInt)out.len;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    out.len = zs.total_out;
    deflateEnd(&zs);
    return out;
}

static struct bytes gz_str(const char *s)
{
    return gz(s, strlen(s));
}

static void append(struct bytes *b, const void *data, size_t len)
{
    unsigned char *d = realloc(b->data, b->len + len + 1);
    assert_non_null(d);
    memcpy(d + b->len, data, len);
    b->data = d;
    b->len += len;
    b->data[b->len] = '\0';
}

static void appendf(struct bytes *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void appendf(struct bytes *b, const char *fmt, ...)
{
    char tmp[4096];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof(tmp));
    append(b, tmp, (size_t)n);
}

/* ---- realistic content ---------------------------------------------------------------- */

static uint32_t rng = 12345;

static uint32_t rnd(void)
{
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

static const char V2_HEADER[] = "version account-id interface-id srcaddr dstaddr srcport dstport "
                                "protocol packets bytes start end action log-status";

/* A v2 flow log file for the 5 minutes from T0: n records, the newest end is T0 + 299. */
static struct bytes flowlog_text(int n)
{
    struct bytes b = {0};
    static const int protos[] = {6, 17, 1};

    appendf(&b, "%s\n", V2_HEADER);
    for (int i = 0; i < n; i++) {
        long start = (long)T0 + (long)(rnd() % 240);
        long end = i == n / 2 ? (long)T0 + 299 : start + (long)(rnd() % 59);
        if (i % 17 == 5) {
            appendf(&b, "2 111122223333 eni-0f1e2d3c4b5a69788 - - - - - - - %ld %ld - NODATA\n",
                    start, end);
            continue;
        }
        appendf(&b,
                "2 111122223333 eni-0a1b2c3d4e5f60718 10.0.%u.%u 172.31.%u.%u %u %u %d %u %u %ld "
                "%ld %s OK\n",
                rnd() % 256, rnd() % 254 + 1, rnd() % 256, rnd() % 254 + 1, 1024 + rnd() % 60000,
                i % 3 ? 443u : 53u, protos[i % 3], 1 + rnd() % 40, 60 + rnd() % 50000, start, end,
                i % 5 ? "ACCEPT" : "REJECT");
    }
    return b;
}

static const char CUSTOM_HEADER[] =
    "version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport "
    "dstport pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags "
    "log-status flow-direction traffic-path pkt-src-aws-service";

static struct bytes flowlog_custom(int n)
{
    struct bytes b = {0};

    appendf(&b, "%s\n", CUSTOM_HEADER);
    for (int i = 0; i < n; i++)
        appendf(&b,
                "5 vpc-0abc1234 subnet-0def5678 i-0123456789abcdef0 eni-0a1b2c3d4e5f60718 "
                "111122223333 IPv4 10.0.1.%d 52.94.133.%d 443 %d 10.0.1.%d 52.94.133.%d 6 "
                "%d %d %ld %ld ACCEPT 19 OK egress %s %s\n",
                i % 250 + 1, i % 250 + 1, 30000 + i, i % 250 + 1, i % 250 + 1, 800 + i, 4 + i % 9,
                (long)T0 + i, (long)T0 + i + 60, i % 2 ? "1" : "-", i % 2 ? "S3" : "-");
    return b;
}

static const char *const ctnames[] = {"AssumeRole", "GetObject", "DescribeInstances",
                                      "GenerateDataKey", "PutObject"};

/* A CloudTrail log file: {"Records":[...]} with n events; the newest is T0 + 10 + n. */
static struct bytes cloudtrail_json(int n, bool pretty)
{
    struct bytes b = {0};
    const char *sp = pretty ? "\n  " : "";

    appendf(&b, "%s{%s\"Records\" : [", pretty ? "  " : "", sp);
    for (int i = 0; i < n; i++) {
        char when[32];
        time_t t = T0 + 10 + (n - i == 3 ? n : i); /* not in time order */
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
        appendf(
            &b,
            "%s{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"AssumedRole\","
            "\"principalId\":\"AROAEXAMPLE:session\",\"arn\":\"arn:aws:sts::111122223333:"
            "assumed-role/Admin/session\",\"accountId\":\"111122223333\",\"sessionContext\":{"
            "\"sessionIssuer\":{\"type\":\"Role\",\"userName\":\"Admin\"},\"attributes\":{"
            "\"creationDate\":\"2026-11-22T07:00:00Z\",\"mfaAuthenticated\":\"false\"}}},"
            "\"eventTime\":\"%s\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"%s\","
            "\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"203.0.113.%d\",\"userAgent\":"
            "\"[aws-cli/2.9.19 Python/3.11.2 \\\"quoted\\\" "
            "\\u00e9t\\u00e9]\",\"requestParameters\":"
            "{\"bucketName\":\"logs\",\"key\":\"a\\/b\",\"list\":[1,-2.5e+3,0.25,true,false,null,"
            "[],{}]},\"responseElements\":null,\"requestID\":\"%08X\",\"eventID\":"
            "\"%08x-1111-2222-3333-444455556666\",\"readOnly\":%s,\"eventType\":\"AwsApiCall\","
            "\"managementEvent\":true,\"recipientAccountId\":\"111122223333\"}",
            i ? "," : "", when, ctnames[i % 5], i % 250 + 1, rnd(), rnd(),
            i % 2 ? "true" : "false");
        if (pretty)
            append(&b, "\n   ", 4);
    }
    appendf(&b, "]%s}\n", sp);
    return b;
}

/* A Config history (or snapshot) file; newest configurationItemCaptureTime is T0 + 3600. */
static struct bytes config_json(int n, bool snapshot, bool version_last)
{
    struct bytes b = {0};

    if (snapshot)
        appendf(&b, "{\"configSnapshotId\":\"16da64e4-cb65-4846-b061-e6c3ba43cb96\",");
    else
        appendf(&b, "{\"requestId\":\"a1b2c3d4-1111-2222-3333-444455556666\",");
    if (!version_last)
        appendf(&b, "\"fileVersion\":\"1.0\",");
    appendf(&b, "\"configurationItems\":[");
    for (int i = 0; i < n; i++)
        appendf(&b,
                "%s{\"relatedEvents\":[],\"relationships\":[{\"resourceId\":\"vpc-0abc1234\","
                "\"resourceType\":\"AWS::EC2::VPC\",\"name\":\"Is contained in Vpc\"}],"
                "\"configuration\":{\"groupName\":\"sg-%d\",\"ipPermissions\":[{\"fromPort\":443,"
                "\"ipRanges\":[\"10.0.0.0/16\"]}],\"tags\":{}},\"supplementaryConfiguration\":{},"
                "\"tags\":{\"Name\":\"web \\\"tier\\\"\"},\"configurationItemVersion\":\"1.3\","
                "\"configurationItemCaptureTime\":\"2026-11-22T0%d:00:00.%03dZ\","
                "\"configurationStateId\":%d,\"awsAccountId\":\"111122223333\","
                "\"configurationItemStatus\":\"OK\",\"resourceType\":\"AWS::EC2::SecurityGroup\","
                "\"resourceId\":\"sg-%08x\",\"awsRegion\":\"us-east-1\"}",
                i ? "," : "", i, i == n - 2 ? 9 : 8, i % 1000, 1700000000 + i, rnd());
    appendf(&b, "]");
    if (version_last)
        appendf(&b, ",\"fileVersion\":\"1.0\"");
    appendf(&b, "}");
    return b;
}

/* ---- feeding -------------------------------------------------------------------------- */

/* Feed data in chunks of `chunk` bytes (0: at once) and finish. */
static void run_chunked(const struct lc_sample_opts *opts, const void *data, size_t len,
                        size_t chunk, bool complete, struct lc_sample_result *out)
{
    struct lc_sample *s = lc_sample_new(opts);
    const unsigned char *p = data;
    size_t off = 0;

    assert_non_null(s);
    if (!chunk)
        chunk = len ? len : 1;
    while (off < len) {
        size_t n = len - off < chunk ? len - off : chunk;
        off += n;
        if (lc_sample_feed(s, p + off - n, n) != 0)
            break; /* "enough seen": a caller may stop here */
    }
    /* stopping early means the bytes fed are not the whole object */
    lc_sample_finish(s, complete && off == len, out);
    lc_sample_free(s);
}

/* All chunk patterns (whole, 7 bytes, 1 byte) agree; returns the whole-feed result. */
static struct lc_sample_result run(const struct lc_sample_format *kind, const void *data,
                                   size_t len, bool complete)
{
    struct lc_sample_opts opts = {.format = kind};
    struct lc_sample_result whole, r;
    static const size_t chunks[] = {7, 1};

    run_chunked(&opts, data, len, 0, complete, &whole);
    for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
        run_chunked(&opts, data, len, chunks[i], complete, &r);
        assert_int_equal(r.valid, whole.valid);
        assert_string_equal(r.reason, whole.reason);
        assert_int_equal(r.records, whole.records);
        assert_int_equal(r.newest_record, whole.newest_record);
        assert_string_equal(r.format, whole.format);
        assert_int_equal(r.capped, whole.capped);
        if (whole.valid)
            assert_int_equal(r.bytes_out, whole.bytes_out);
    }
    /* reason is set exactly when the sample is not valid */
    assert_int_equal(whole.valid, whole.reason[0] == '\0');
    return whole;
}

static struct lc_sample_result run_b(const struct lc_sample_format *kind, const struct bytes *b,
                                     bool complete)
{
    return run(kind, b->data, b->len, complete);
}

#define assert_reason(r, sub)                                                                      \
    do {                                                                                           \
        assert_false((r).valid);                                                                   \
        if (!strstr((r).reason, (sub)))                                                            \
            fail_msg("reason \"%s\" lacks \"%s\"", (r).reason, (sub));                             \
    } while (0)

#define assert_valid(r)                                                                            \
    do {                                                                                           \
        if (!(r).valid)                                                                            \
            fail_msg("unexpectedly invalid: %s", (r).reason);                                      \
    } while (0)

/* ---- flow logs ------------------------------------------------------------------------- */

static void test_flowlog_v2(void **state)
{
    struct bytes text = flowlog_text(300);
    struct bytes z = gz(text.data, text.len);
    struct lc_sample_result r;
    (void)state;

    r = run_b(LC_SAMPLE_FLOWLOG_TEXT, &z, true);
    assert_valid(r);
    assert_int_equal(r.records, 300);
    assert_int_equal(r.newest_record, T0 + 299);
    assert_string_equal(r.format, "v2 default");
    assert_int_equal(r.bytes_in, z.len);
    assert_int_equal(r.bytes_out, text.len);
    assert_false(r.capped);

    /* CRLF line ends are tolerated */
    bytes_free(&z);
    z = gz_str("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets "
               "bytes start end action log-status\r\n2 111122223333 eni-1 10.0.0.1 10.0.0.2 1 2 "
               "6 1 40 1795334400 1795334410 ACCEPT OK\r\n");
    r = run_b(LC_SAMPLE_FLOWLOG_TEXT, &z, true);
    assert_valid(r);
    assert_int_equal(r.records, 1);
    assert_int_equal(r.newest_record, T0 + 10);

    /* no trailing newline: the last line is a record when the object is complete */
    bytes_free(&z);
    z = gz(text.data, text.len - 1);
    r = run_b(LC_SAMPLE_FLOWLOG_TEXT, &z, true);
    assert_valid(r);
    assert_int_equal(r.records, 300);
    bytes_free(&z);
    bytes_free(&text);
}

static void test_flowlog_custom(void **state)
{
    struct bytes text = flowlog_custom(50);
    struct bytes z = gz(text.data, text.len);
    struct lc_sample_result r;
    (void)state;

    r = run_b(LC_SAMPLE_FLOWLOG_TEXT, &z, true);
    assert_valid(r);
    assert_int_equal(r.records, 50);
    assert_int_equal(r.newest_record, T0 + 49 + 60);
    assert_memory_equal(r.format, "custom: version vpc-id subnet-id", 32);
    assert_int_equal(strlen(r.format), sizeof(r.format) - 1); /* long header: cut with "..." */
    assert_string_equal(r.format + sizeof(r.format) - 4, "...");
    bytes_free(&z);

    /* a field AWS added after this list was written: tolerated while most names are known */
    z = gz_str("version srcaddr dstaddr some-future-field start end\n"
               "8 10.0.0.1 10.0.0.2 xyz 1795334400 1795334460\n");
    r = run_b(LC_SAMPLE_FLOWLOG_TEXT, &z, true);
    assert_valid(r);
    assert_int_equal(r.records, 1);
    assert_string_equal(r.format, "custom: version srcaddr dstaddr some-future-field start end");
    bytes_free(&z);

    /* mostly unknown names: not a flow log header */
    z = gz_str("date time host start\n2026-11-22 08:00:00 web 1795334400\n");
    r = run_b(LC_SAMPLE_FLOWLOG_TEXT, &z, true);
    assert_reason(r, "unknown field names (3 of 4");
    bytes_free(&z);

    /* a tie is not "most": 2 known, 2 unknown */
    z = gz_str("version srcaddr foo bar\n2 10.0.0.1 x y\n");
    r = run_b(LC_SAMPLE_FLOWLOG_TEXT, &z, true);
    assert_reason(r, "unknown field names (2 of 4, e.g. \"foo\")");
    bytes_free(&z);

    /* the header of a format without end: start gives the newest time */
    z = gz_str("start srcaddr\n1795334400 10.0.0.1\n1795334500 10.0.0.2\n");
    r = run_b(LC_SAMPLE_FLOWLOG_TEXT, &z, true);
    assert_valid(r);
    assert_int_equal(r.newest_record, T0 + 100);
    bytes_free(&z);
    bytes_free(&text);
}

static void test_flowlog_prefix_cut(void **state)
{
    struct bytes text = flowlog_text(2000);
    struct bytes z = gz(text.data, text.len);
    struct lc_sample_result r;
    (void)state;

    assert_true(z.len > 20000);
    /* a 16 KiB range of the object: a valid prefix, the cut final line ignored */
    r = run(LC_SAMPLE_FLOWLOG_TEXT, z.data, 16384, false);
    assert_valid(r);
    assert_true(r.records > 50 && r.records < 2000);
    assert_int_equal(r.bytes_in, 16384);
    assert_true(r.bytes_out > 16384 && r.bytes_out < text.len);
    assert_true(r.newest_record > T0 && r.newest_record <= T0 + 299);
    /* the same bytes said to be the whole object: truncated */
    r = run(LC_SAMPLE_FLOWLOG_TEXT, z.data, 16384, true);
    assert_reason(r, "gzip stream truncated");
    /* cut inside the 8-byte trailer only */
    r = run(LC_SAMPLE_FLOWLOG_TEXT, z.data, z.len - 3, true);
    assert_reason(r, "gzip stream truncated");
    r = run(LC_SAMPLE_FLOWLOG_TEXT, z.data, z.len - 3, false);
    assert_valid(r);
    assert_int_equal(r.records, 2000);
    /* a range so small nothing inflates */
    r = run(LC_SAMPLE_FLOWLOG_TEXT, z.data, 8, false);
    assert_reason(r, "gzip sample too short");
    bytes_free(&z);
    bytes_free(&text);
}

static void test_flowlog_header_only(void **state)
{
    struct bytes z = gz_str("version account-id interface-id srcaddr dstaddr srcport dstport "
                            "protocol packets bytes start end action log-status\n");
    struct lc_sample_opts opts = {.format = LC_SAMPLE_FLOWLOG_TEXT, .require_records = true};
    struct lc_sample_result r;
    (void)state;

    r = run_b(LC_SAMPLE_FLOWLOG_TEXT, &z, true);
    assert_valid(r);
    assert_int_equal(r.records, 0);
    assert_int_equal(r.newest_record, 0);
    assert_string_equal(r.format, "v2 default");
    run_chunked(&opts, z.data, z.len, 0, true, &r);
    assert_reason(r, "flow log header without records");
    bytes_free(&z);

    /* an empty gzip member: no header at all */
    z = gz("", 0);
    r = run_b(LC_SAMPLE_FLOWLOG_TEXT, &z, true);
    assert_reason(r, "empty log file");
    bytes_free(&z);
}

static void test_flowlog_bad_records(void **state)
{
    static const struct {
        const char *record;
        const char *reason;
    } cases[] = {
        {"2 111122223333 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1795334400 1795334410 ACCEPT",
         "on line 3 has 13 fields, the header has 14"},
        {"2 111122223333 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1795334400 1795334410 ACCEPT OK x",
         "has 15 fields"},
        {"2 111122223333 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1795334400 1795334410 DROP OK",
         "bad action \"DROP\""},
        {"2 111122223333 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1795334400 1795334410 ACCEPT FINE",
         "bad log-status \"FINE\""},
        {"2 111122223333 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 17953344OO 1795334410 ACCEPT OK",
         "bad start \"17953344OO\""},
        {"2 111122223333 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1795334400 99999999999999 ACCEPT OK",
         "bad end"},
        {"2 111122223333 eni-1 10.0.0.1 10.0.0.2 http 2 6 1 40 1795334400 1795334410 ACCEPT OK",
         "bad numeric field \"http\""},
        {"2 111122223333 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1795334500 1795334410 ACCEPT OK",
         "start 1795334500 is after end 1795334410"},
        {"2 111122223333 eni-1 10.0.0.1  10.0.0.2 1 2 6 1 40 1795334400 1795334410 ACCEPT OK",
         "has 15 fields"},
        {"2 111122223333 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1795334400 1795334410 ACCEPT OK\t",
         "binary data in flow log (byte 0x09 on line 3)"},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct bytes text = {0}, z;
        struct lc_sample_result r;
        appendf(&text,
                "%s\n2 111122223333 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1795334400 "
                "1795334410 ACCEPT OK\n%s\n",
                V2_HEADER, cases[i].record);
        z = gz(text.data, text.len);
        r = run_b(LC_SAMPLE_FLOWLOG_TEXT, &z, true);
        assert_reason(r, cases[i].reason);
        assert_int_equal(r.records, 1); /* the good record before it */
        bytes_free(&z);
        bytes_free(&text);
    }
}

static void test_flowlog_bad_header(void **state)
{
    static const struct {
        const char *text;
        const char *reason;
    } cases[] = {
        {"\n2 1 eni 1 2 3 4 6 1 1 1 1 ACCEPT OK\n", "flow log header missing (empty first line)"},
        {"Version Account-ID\n", "first line is not field names: \"Version Account-ID\""},
        {"{\"Records\":[]}\n", "not a flow log: JSON content"},
        {"version  srcaddr\n", "empty field name"},
        {"version srcaddr\xc3\xa9\n", "binary data in flow log (byte 0xc3 on line 1)"},
    };
    struct bytes longline = {0}, z;
    struct lc_sample_result r;
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        z = gz_str(cases[i].text);
        r = run_b(LC_SAMPLE_FLOWLOG_TEXT, &z, true);
        assert_reason(r, cases[i].reason);
        bytes_free(&z);
    }
    /* a first line that never ends */
    for (int i = 0; i < 2000; i++)
        appendf(&longline, "version ");
    z = gz(longline.data, longline.len);
    r = run_b(LC_SAMPLE_FLOWLOG_TEXT, &z, false);
    assert_reason(r, "flow log line 1 is longer than 8192 bytes");
    bytes_free(&z);
    /* 65 fields */
    bytes_free(&longline);
    for (int i = 0; i < 65; i++)
        appendf(&longline, "%sbytes", i ? " " : "");
    append(&longline, "\n", 1);
    z = gz(longline.data, longline.len);
    r = run_b(LC_SAMPLE_FLOWLOG_TEXT, &z, true);
    assert_reason(r, "65 fields (more than 64)");
    bytes_free(&z);
    bytes_free(&longline);
}

/* ---- gzip-level failures ---------------------------------------------------------------- */

static void test_empty_object(void **state)
{
    const struct lc_sample_format *kinds[] = {LC_SAMPLE_FLOWLOG_TEXT, LC_SAMPLE_FLOWLOG_PARQUET,
                                              LC_SAMPLE_CONFIG_JSON, LC_SAMPLE_CLOUDTRAIL_JSON};
    (void)state;

    for (size_t i = 0; i < 4; i++) {
        struct lc_sample_result r = run(kinds[i], "", 0, true);
        assert_reason(r, "empty object");
        assert_int_equal(r.bytes_in, 0);
        r = run(kinds[i], "", 0, false);
        assert_reason(r, "empty object");
    }
}

static void test_not_gzip(void **state)
{
    struct bytes text = flowlog_text(5);
    unsigned char junk[3000];
    struct lc_sample_result r;
    (void)state;

    r = run_b(LC_SAMPLE_FLOWLOG_TEXT, &text, true);
    assert_reason(r, "not gzip (bad magic; uncompressed text?)");
    assert_int_equal(r.bytes_out, 0);
    r = run(LC_SAMPLE_CLOUDTRAIL_JSON, "{\"Records\":[]}", 14, true);
    assert_reason(r, "not gzip (bad magic; uncompressed JSON?)");
    r = run(LC_SAMPLE_FLOWLOG_TEXT, "PAR1\x15\x04\x15\x80", 8, false);
    assert_reason(r, "not gzip (bad magic; Parquet data?)");
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (unsigned char)(rnd() | 0x80);
    r = run(LC_SAMPLE_CONFIG_JSON, junk, sizeof(junk), true);
    assert_reason(r, "not gzip (bad magic)");
    /* gzip magic, then an unknown compression method */
    r = run(LC_SAMPLE_FLOWLOG_TEXT, "\x1f\x8b\x07\x00\x00\x00\x00\x00\x00\x03xxxx", 14, true);
    assert_reason(r, "corrupt gzip data (unknown compression method)");
    bytes_free(&text);
}

static void test_corrupt_deflate(void **state)
{
    struct bytes text = flowlog_text(200);
    struct bytes z = gz(text.data, text.len);
    struct lc_sample_result r;
    (void)state;

    /* the first deflate block header (after the 10-byte gzip header): BTYPE 11 is invalid */
    z.data[10] |= 0x06;
    r = run_b(LC_SAMPLE_FLOWLOG_TEXT, &z, true);
    assert_reason(r, "corrupt gzip data (invalid block type)");
    assert_int_equal(r.bytes_out, 0);
    bytes_free(&z);

    /* the CRC-32 in the trailer does not match the content */
    z = gz(text.data, text.len);
    z.data[z.len - 8] ^= 0x5a;
    r = run_b(LC_SAMPLE_FLOWLOG_TEXT, &z, true);
    assert_reason(r, "corrupt gzip data (incorrect data check)");
    assert_int_equal(r.records, 200); /* every record was seen before the trailer */
    /* ISIZE wrong */
    z.data[z.len - 8] ^= 0x5a;
    z.data[z.len - 1] ^= 0x01;
    r = run_b(LC_SAMPLE_FLOWLOG_TEXT, &z, true);
    assert_reason(r, "corrupt gzip data (incorrect length check)");
    bytes_free(&z);
    bytes_free(&text);
}

static void test_binary_junk_gzipped(void **state)
{
    unsigned char junk[5000];
    struct bytes z;
    struct lc_sample_result r;
    (void)state;

    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (unsigned char)rnd();
    junk[0] = 0x00;
    z = gz(junk, sizeof(junk));
    r = run_b(LC_SAMPLE_FLOWLOG_TEXT, &z, true);
    assert_reason(r, "binary data in flow log (byte 0x00 on line 1)");
    r = run_b(LC_SAMPLE_CLOUDTRAIL_JSON, &z, true);
    assert_reason(r, "not JSON (binary data, byte 0x00)");
    r = run_b(LC_SAMPLE_CONFIG_JSON, &z, true);
    assert_reason(r, "not JSON (binary data");
    bytes_free(&z);
}

static void test_multi_member(void **state)
{
    struct bytes text = flowlog_text(500);
    struct bytes all = {0}, part;
    size_t cut1 = text.len / 3 + 5, cut2 = 2 * text.len / 3; /* mid-line cuts */
    struct lc_sample_result r;
    (void)state;

    part = gz(text.data, cut1);
    append(&all, part.data, part.len);
    bytes_free(&part);
    part = gz(text.data + cut1, cut2 - cut1);
    append(&all, part.data, part.len);
    bytes_free(&part);
    part = gz(text.data + cut2, text.len - cut2);
    append(&all, part.data, part.len);
    bytes_free(&part);

    r = run_b(LC_SAMPLE_FLOWLOG_TEXT, &all, true);
    assert_valid(r);
    assert_int_equal(r.records, 500);
    assert_int_equal(r.bytes_out, text.len);
    assert_int_equal(r.newest_record, T0 + 299);

    /* cut inside the second member: a valid prefix, or truncated when called complete */
    r = run(LC_SAMPLE_FLOWLOG_TEXT, all.data, all.len / 2, false);
    assert_valid(r);
    r = run(LC_SAMPLE_FLOWLOG_TEXT, all.data, all.len / 2, true);
    assert_reason(r, "gzip stream truncated (incomplete last member)");

    /* bytes after a member that are not another gzip member */
    append(&all, "trailing junk", 13);
    r = run_b(LC_SAMPLE_FLOWLOG_TEXT, &all, true);
    assert_reason(r, "junk after gzip member 3");
    bytes_free(&all);
    bytes_free(&text);
}

/* ---- zip bombs ------------------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_zip_bomb(void **state)
{
    const size_t big = (size_t)64 * 1024 * 1024;
    const size_t cap = (size_t)1024 * 1024;
    struct lc_sample_opts opts = {.format = LC_SAMPLE_CONFIG_JSON, .max_inflated = cap};
    struct lc_sample_result r;
    struct bytes z, json = {0};
    char *raw = malloc(big);
    double t;
    (void)state;

    assert_non_null(raw);
    /* 64 MiB of JSON whitespace inside a valid Config opening: every byte is acceptable, so
     * only the cap stops the work */
    appendf(&json, "{\"fileVersion\":\"1.0\",\"configurationItems\":[");
    memset(raw, ' ', big);
    memcpy(raw, json.data, json.len);
    z = gz(raw, big);
    assert_true(z.len < 128 * 1024);
    t = now_s();
    run_chunked(&opts, z.data, z.len, 4096, true, &r);
    assert_valid(r);
    assert_true(r.capped);
    assert_int_equal(r.bytes_out, cap);
    assert_true(r.bytes_in < z.len); /* the feed said "enough" */
    run_chunked(&opts, z.data, z.len, 0, false, &r);
    assert_true(r.capped);
    assert_int_equal(r.bytes_out, cap);
    /* default cap: 4 MiB */
    opts.max_inflated = 0;
    run_chunked(&opts, z.data, z.len, 0, true, &r);
    assert_true(r.capped);
    assert_int_equal(r.bytes_out, (size_t)4 * 1024 * 1024);
    assert_true(now_s() - t < 20.0); /* bounded work, even under sanitizers */
    bytes_free(&z);

    /* 64 MiB of zeros as a flow log: rejected at the first inflated chunk */
    memset(raw, 0, big);
    z = gz(raw, big);
    opts.format = LC_SAMPLE_FLOWLOG_TEXT;
    opts.max_inflated = cap;
    run_chunked(&opts, z.data, z.len, 0, true, &r);
    assert_reason(r, "binary data in flow log");
    assert_true(r.bytes_out <= cap);
    bytes_free(&z);

    /* content that is exactly the cap is not capped */
    memset(raw, ' ', 1000);
    z = gz(raw, 1000);
    opts.format = LC_SAMPLE_FLOWLOG_TEXT;
    opts.max_inflated = 1000;
    run_chunked(&opts, z.data, z.len, 1, true, &r);
    assert_false(r.capped);
    opts.max_inflated = 999;
    run_chunked(&opts, z.data, z.len, 1, true, &r);
    assert_true(r.capped);
    assert_int_equal(r.bytes_out, 999);
    bytes_free(&z);
    bytes_free(&json);
    free(raw);
}

static void test_capped_flowlog_prefix(void **state)
{
    struct bytes text = flowlog_text(3000);
    struct bytes z = gz(text.data, text.len);
    struct lc_sample_opts opts = {.format = LC_SAMPLE_FLOWLOG_TEXT, .max_inflated = 10000};
    struct lc_sample_result r;
    (void)state;

    run_chunked(&opts, z.data, z.len, 7, true, &r);
    assert_valid(r); /* what fit under the cap is a valid prefix, the cut line ignored */
    assert_true(r.capped);
    assert_int_equal(r.bytes_out, 10000);
    assert_true(r.records > 50 && r.records < 3000);
    bytes_free(&z);
    bytes_free(&text);
}

/* ---- CloudTrail ------------------------------------------------------------------------- */

static void test_cloudtrail(void **state)
{
    struct bytes json = cloudtrail_json(40, false);
    struct bytes z = gz(json.data, json.len);
    struct lc_sample_result r;
    (void)state;

    r = run_b(LC_SAMPLE_CLOUDTRAIL_JSON, &z, true);
    assert_valid(r);
    assert_int_equal(r.records, 40);
    assert_int_equal(r.newest_record, T0 + 10 + 40);
    assert_string_equal(r.format, "cloudtrail json");
    assert_int_equal(r.bytes_out, json.len);
    bytes_free(&z);
    bytes_free(&json);

    /* pretty-printed, whitespace everywhere */
    json = cloudtrail_json(5, true);
    z = gz(json.data, json.len);
    r = run_b(LC_SAMPLE_CLOUDTRAIL_JSON, &z, true);
    assert_valid(r);
    assert_int_equal(r.records, 5);
    assert_int_equal(r.newest_record, T0 + 15);
    bytes_free(&z);
    bytes_free(&json);

    /* a prefix: records counted up to the cut */
    json = cloudtrail_json(400, false);
    z = gz(json.data, json.len);
    r = run(LC_SAMPLE_CLOUDTRAIL_JSON, z.data, z.len / 3, false);
    assert_valid(r);
    assert_true(r.records > 10 && r.records < 400);
    r = run(LC_SAMPLE_CLOUDTRAIL_JSON, z.data, z.len / 3, true);
    assert_reason(r, "gzip stream truncated");
    bytes_free(&z);

    /* a complete gzip of a cut JSON document */
    z = gz(json.data, json.len / 2);
    r = run_b(LC_SAMPLE_CLOUDTRAIL_JSON, &z, true);
    assert_reason(r, "JSON document truncated (");
    bytes_free(&z);

    /* garbage after a valid document */
    append(&json, "{\"Records\":[]}", 14);
    z = gz(json.data, json.len);
    r = run_b(LC_SAMPLE_CLOUDTRAIL_JSON, &z, true);
    assert_reason(r, "garbage after the JSON document at byte");
    assert_int_equal(r.records, 400);
    bytes_free(&z);
    bytes_free(&json);

    /* empty Records: valid, unless records are required */
    z = gz_str(" {\n \"Records\" : [ ] }\n");
    r = run_b(LC_SAMPLE_CLOUDTRAIL_JSON, &z, true);
    assert_valid(r);
    assert_int_equal(r.records, 0);
    {
        struct lc_sample_opts opts = {.format = LC_SAMPLE_CLOUDTRAIL_JSON, .require_records = true};
        run_chunked(&opts, z.data, z.len, 0, true, &r);
        assert_reason(r, "no Records in the file");
    }
    bytes_free(&z);
}

static void test_cloudtrail_bad(void **state)
{
    static const struct {
        const char *json;
        const char *reason;
    } cases[] = {
        {"{\"fileVersion\":\"1.0\",\"Records\":[]}",
         "does not open with \"Records\" (first key \"fileVersion\")"},
        {"{\"Records\":{}}", "\"Records\" is not an array"},
        {"{\"Records\":[{\"eventTime\":\"2026-11-22T08:00:00Z\"},42]}",
         "Records element 2 is not an object"},
        {"{\"Rec\\tords\":[]}", "(first key \"Rec?ords\")"}, /* escapes decoded */
        {"{\"R\\u0065cords\":[]}", "(first key \"R?cords\")"},
        {"{\"Records\":[{\"eventTime\":\"x\\\"y\"}]}", "time (\"x\"y\")"},
        {"{\"Records\":[{\"eventTime\":\"yesterday\"}]}",
         "Records element 1: eventTime is not an ISO-8601 time (\"yesterday\")"},
        {"{\"Records\":[{\"eventTime\":\"2026-11-22T08:00:00Z\",}]}", "unexpected '}'"},
        {"{\"Records\":[{\"a\":01}]}", "unexpected '1'"},
        {"{\"Records\":[{\"a\":tru}]}", "unexpected '}'"},
        {"{\"Records\":[{\"a\":\"\\x\"}]}", "unexpected 'x'"},
        {"{\"Records\":[{\"a\":\"\\u12G4\"}]}", "unexpected 'G'"},
        {"{\"Records\":[{\"a\":\"tab\there\"}]}", "control byte 0x09"},
        {"{\"Records\":[{\"a\":1.}]}", "unexpected '}'"},
        {"{\"Records\":[{\"a\":-}]}", "unexpected '}'"},
        {"{\"Records\":[{\"a\":1e}]}", "unexpected '}'"},
        {"{\"Records\":[]]", "unexpected ']'"},
        {"[{\"Records\":[]}]", "JSON top level is not an object"},
        {"{}", "CloudTrail file has no \"Records\" array"},
        {"   \n", "no JSON document (whitespace only)"},
        {"version account-id\n", "not JSON (starts with 'v')"},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct bytes z = gz_str(cases[i].json);
        struct lc_sample_result r = run_b(LC_SAMPLE_CLOUDTRAIL_JSON, &z, true);
        assert_reason(r, cases[i].reason);
        bytes_free(&z);
    }
}

/* ---- JSON Lines: the engine with a format of its own ------------------------------------ */

static const char *const lines_required[] = {"id", "action", NULL};
static const struct lc_sample_format lines_ms = {
    .name = "test lines",
    .encoding = LC_SAMPLE_GZIP,
    .syntax = LC_SAMPLE_LINES,
    .what = "test log",
    .label = "test json lines",
    .time_key = "ts",
    .required = lines_required,
    .time_scale = 1000,
};

static struct bytes lines_text(int n)
{
    struct bytes b = {0};
    for (int i = 0; i < n; i++)
        appendf(&b,
                "{\"ts\":%lld%03d,\"id\":\"acl-%d\",\"action\":\"ALLOW\","
                "\"req\":{\"ts\":\"nested, not the record's\",\"h\":[1,2,{\"id\":3}]}}\n",
                (long long)(T0 + i), i % 1000, i);
    return b;
}

static void test_lines(void **state)
{
    struct bytes text = lines_text(50);
    struct bytes z = gz(text.data, text.len);
    struct lc_sample_result r;
    (void)state;

    r = run_b(&lines_ms, &z, true);
    assert_valid(r);
    assert_int_equal(r.records, 50);
    assert_int_equal(r.newest_record, T0 + 49);
    assert_string_equal(r.format, "test json lines");
    assert_int_equal(r.bytes_out, text.len);
    bytes_free(&z);

    /* a prefix stops inside a record: records up to the cut; the whole file may not */
    text.len = text.len / 2;
    z = gz(text.data, text.len);
    r = run(&lines_ms, z.data, z.len, false);
    assert_valid(r);
    assert_true(r.records > 5 && r.records < 50);
    r = run_b(&lines_ms, &z, true);
    assert_reason(r, "test log record on line ");
    assert_reason(r, " truncated");
    bytes_free(&z);
    bytes_free(&text);

    /* ISO times, seconds where the scale says so, CRLF, blank lines, no final newline */
    z = gz_str("{\"action\":\"BLOCK\",\"id\":\"a\",\"ts\":\"2026-11-22T08:00:07Z\"}\r\n\n"
               "  {\"ts\":1795334409000,\"id\":\"b\",\"action\":\"ALLOW\"}");
    r = run_b(&lines_ms, &z, true);
    assert_valid(r);
    assert_int_equal(r.records, 2);
    assert_int_equal(r.newest_record, T0 + 9);
    bytes_free(&z);

    /* no records: valid unless records are required */
    z = gz_str("\n\n");
    r = run_b(&lines_ms, &z, true);
    assert_valid(r);
    assert_int_equal(r.records, 0);
    {
        struct lc_sample_opts opts = {.format = &lines_ms, .require_records = true};
        run_chunked(&opts, z.data, z.len, 0, true, &r);
        assert_reason(r, "no test log records in the file");
    }
    bytes_free(&z);
}

static void test_lines_bad(void **state)
{
    static const struct {
        const char *text;
        const char *reason;
    } cases[] = {
        {"", "empty log file (no JSON)"},
        {"{\"ts\":1795334400000,\"id\":\"a\",\"action\":\"x\"}\n[1]\n",
         "test log line 2 is not a JSON object"},
        {"{\"ts\":1795334400000,\"id\":\"a\"}\n", "test log record on line 1 has no \"action\""},
        {"\n\n{\"id\":\"a\",\"action\":\"x\"}\n", "test log record on line 3 has no \"ts\""},
        {"{\"id\":\"a\",\"action\":\"x\",\"ts\":\"soon\"}",
         "record on line 1: ts is not a time (\"soon\")"},
        {"{\"id\":\"a\",\"action\":\"x\",\"ts\":-5}", "ts is not a time (\"-5\")"},
        {"{\"id\":\"a\",\"action\":\"x\",\"ts\":1.5e12}", "ts is not a time (\"1.5e12\")"},
        {"{\"id\":\"a\",\"action\":\"x\",\"ts\":99999999999999999999}", "ts is not a time"},
        {"{\"id\":\"a\",\"action\":\"x\",\"ts\":1795334400000} {\"id\":1}\n",
         "test log line 1 holds more than one JSON value"},
        {"{\"id\":\"a\",\n\"action\":\"x\",\"ts\":1795334400000,}\n", "unexpected '}'"},
        {"{\"id\":\"a\",\"action\":\"x\",\"ts\":1795334400000,\"s\":\"a\tb\"}",
         "control byte 0x09"},
        {"{\"ts\":{\"x\":1795334400000},\"id\":\"a\",\"action\":\"x\"}",
         "record on line 1 has no \"ts\""},
        /* a line that is not JSON at all is named, wherever it is */
        {"\x1f\x8b", "test log line 1 is not JSON (binary data, byte 0x1f)"},
        {"{\"ts\":1795334400000,\"id\":\"a\",\"action\":\"x\"}\nupstream reset\n",
         "test log line 2 is not JSON (starts with 'u')"},
        {"{\"ts\":1795334400000,\"id\":\"a\",\"action\":\"x\"}\n\n\x01\n",
         "test log line 3 is not JSON (binary data, byte 0x01)"},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct bytes z = gz_str(cases[i].text);
        struct lc_sample_result r = run_b(&lines_ms, &z, true);
        assert_reason(r, cases[i].reason);
        bytes_free(&z);
    }
}

/* ---- WAF: JSON Lines records as the web ACL logs them ---------------------------------- */

static struct bytes waf_text(int n)
{
    struct bytes b = {0};
    for (int i = 0; i < n; i++)
        appendf(&b,
                "{\"timestamp\":%lld%03d,\"formatVersion\":1,\"webaclId\":\"arn:aws:wafv2:"
                "ap-northeast-1:111111111111:regional/webacl/shop-prod/0b6e2f1c-5d3a-4e8f-9a7b-"
                "2c4d6e8f0a1b\",\"terminatingRuleId\":\"Default_Action\",\"terminatingRuleType\":"
                "\"REGULAR\",\"action\":\"%s\",\"terminatingRuleMatchDetails\":[],"
                "\"httpSourceName\":\"ALB\",\"httpSourceId\":\"111111111111-app/shop/"
                "5f2e1d0c9b8a7f6e\",\"ruleGroupList\":[],\"rateBasedRuleList\":[],"
                "\"nonTerminatingMatchingRules\":[],\"requestHeadersInserted\":null,"
                "\"responseCodeSent\":null,\"httpRequest\":{\"clientIp\":\"203.0.113.%d\","
                "\"country\":\"JP\",\"headers\":[{\"name\":\"Host\",\"value\":\"shop.example."
                "com\"},{\"name\":\"User-Agent\",\"value\":\"curl/8.5.0\"}],\"uri\":\"/cart\","
                "\"args\":\"id=%d\",\"httpVersion\":\"HTTP/1.1\",\"httpMethod\":\"GET\","
                "\"requestId\":\"1-6740-%08x\"},\"labels\":[]}\n",
                (long long)(T0 + i * 6), i % 1000, i % 7 ? "ALLOW" : "BLOCK", i % 250, i,
                (unsigned)i);
    return b;
}

static void test_waf(void **state)
{
    struct bytes text = waf_text(40);
    struct bytes z = gz(text.data, text.len);
    struct lc_sample_result r;
    (void)state;

    r = run_b(LC_SAMPLE_WAF_JSON, &z, true);
    assert_valid(r);
    assert_int_equal(r.records, 40);
    assert_int_equal(r.newest_record, T0 + 39 * 6);
    assert_string_equal(r.format, "waf json lines");
    bytes_free(&z);
    bytes_free(&text);

    /* another source's file is not a WAF log */
    text = cloudtrail_json(3, false);
    z = gz(text.data, text.len);
    r = run_b(LC_SAMPLE_WAF_JSON, &z, true);
    assert_reason(r, "WAF log record on line 1 has no \"webaclId\"");
    bytes_free(&z);
    bytes_free(&text);
    text = flowlog_text(3);
    z = gz(text.data, text.len);
    r = run_b(LC_SAMPLE_WAF_JSON, &z, true);
    assert_reason(r, "WAF log line 1 is not JSON (starts with 'v')");
    bytes_free(&z);
    bytes_free(&text);
}

static void test_json_depth(void **state)
{
    struct bytes json = {0}, z;
    struct lc_sample_result r;
    (void)state;

    appendf(&json, "{\"Records\":[{\"a\":");
    for (int i = 0; i < 100; i++)
        append(&json, "[", 1);
    z = gz(json.data, json.len);
    r = run_b(LC_SAMPLE_CLOUDTRAIL_JSON, &z, false);
    assert_reason(r, "JSON nested deeper than 64 levels");
    bytes_free(&z);
    bytes_free(&json);

    /* 64 levels (object, Records, record and 61 arrays) are fine, 65 are not */
    appendf(&json, "{\"Records\":[{\"a\":");
    for (int i = 0; i < 62; i++)
        append(&json, "[", 1);
    z = gz(json.data, json.len);
    r = run_b(LC_SAMPLE_CLOUDTRAIL_JSON, &z, false);
    assert_reason(r, "JSON nested deeper than 64 levels");
    bytes_free(&z);
    json.len--;
    for (int i = 0; i < 61; i++)
        append(&json, "]", 1);
    appendf(&json, ",\"eventTime\":\"2026-11-22T08:00:00.123+01:00\"}]}");
    z = gz(json.data, json.len);
    r = run_b(LC_SAMPLE_CLOUDTRAIL_JSON, &z, true);
    assert_valid(r);
    assert_int_equal(r.records, 1);
    assert_int_equal(r.newest_record, T0 - 3600);
    bytes_free(&z);
    bytes_free(&json);
}

/* ---- Config ---------------------------------------------------------------------------- */

static void test_config(void **state)
{
    struct bytes json = config_json(30, false, false);
    struct bytes z = gz(json.data, json.len);
    struct lc_sample_result r;
    (void)state;

    r = run_b(LC_SAMPLE_CONFIG_JSON, &z, true);
    assert_valid(r);
    assert_int_equal(r.records, 30);
    assert_int_equal(r.newest_record, T0 + 3600); /* fractions ignored */
    assert_string_equal(r.format, "config json, fileVersion 1.0");
    bytes_free(&z);
    bytes_free(&json);

    /* snapshot: configSnapshotId first; fileVersion last is fine too */
    json = config_json(3, true, true);
    z = gz(json.data, json.len);
    r = run_b(LC_SAMPLE_CONFIG_JSON, &z, true);
    assert_valid(r);
    assert_int_equal(r.records, 3);
    /* a prefix that ends before the trailing fileVersion is still valid */
    r = run(LC_SAMPLE_CONFIG_JSON, z.data, z.len / 2, false);
    assert_valid(r);
    assert_string_equal(r.format, "config json");
    bytes_free(&z);
    bytes_free(&json);

    /* a prefix cut inside a history file */
    json = config_json(300, false, false);
    z = gz(json.data, json.len);
    r = run(LC_SAMPLE_CONFIG_JSON, z.data, z.len / 4, false);
    assert_valid(r);
    assert_true(r.records > 5 && r.records < 300);
    bytes_free(&z);
    bytes_free(&json);
}

static void test_config_bad(void **state)
{
    static const struct {
        const char *json;
        const char *reason;
    } cases[] = {
        {"{\"fileVersion\":\"1.0\",\"requestId\":\"x\"}",
         "Config file has no \"configurationItems\" array"},
        {"{\"configurationItems\":[]}", "Config file has no \"fileVersion\""},
        {"{\"fileVersion\":\"1.0\",\"configurationItems\":{}}",
         "\"configurationItems\" is not an array"},
        {"{\"fileVersion\":\"1.0\",\"configurationItems\":[\"x\"]}",
         "configurationItems element 1 is not an object"},
        {"{\"Records\":[{\"eventVersion\":\"1.08\"}]}", "not a Config file: top-level \"Records\""},
        {"{\"fileVersion\":\"1.0\",\"configurationItems\":[{\"configurationItemCaptureTime\":"
         "\"2026-11-22 08:00\"}]}",
         "configurationItemCaptureTime is not an ISO-8601 time"},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct bytes z = gz_str(cases[i].json);
        struct lc_sample_result r = run_b(LC_SAMPLE_CONFIG_JSON, &z, true);
        assert_reason(r, cases[i].reason);
        bytes_free(&z);
    }
    /* a capture time that is not a string is not looked at: the file stays valid */
    {
        struct bytes z = gz_str("{\"fileVersion\":\"1.0\",\"configurationItems\":[{"
                                "\"configurationItemCaptureTime\":1795334400}]}");
        struct lc_sample_result r = run_b(LC_SAMPLE_CONFIG_JSON, &z, true);
        assert_valid(r);
        assert_int_equal(r.records, 1);
        assert_int_equal(r.newest_record, 0);
        bytes_free(&z);
    }
}

static void test_wrong_kind(void **state)
{
    struct bytes ct = cloudtrail_json(3, false), cfg = config_json(3, false, false);
    struct bytes fl = flowlog_text(3);
    struct bytes zct = gz(ct.data, ct.len), zcfg = gz(cfg.data, cfg.len);
    struct bytes zfl = gz(fl.data, fl.len);
    struct lc_sample_result r;
    (void)state;

    r = run_b(LC_SAMPLE_FLOWLOG_TEXT, &zct, true);
    assert_reason(r, "not a flow log: JSON content");
    r = run_b(LC_SAMPLE_CLOUDTRAIL_JSON, &zfl, true);
    assert_reason(r, "not JSON (starts with 'v')");
    r = run_b(LC_SAMPLE_CLOUDTRAIL_JSON, &zcfg, true);
    assert_reason(r, "does not open with \"Records\" (first key \"requestId\")");
    r = run_b(LC_SAMPLE_CONFIG_JSON, &zct, true);
    assert_reason(r, "not a Config file");
    r = run_b(LC_SAMPLE_FLOWLOG_PARQUET, &zfl, true);
    assert_reason(r, "not Parquet (gzip data)");
    bytes_free(&zct);
    bytes_free(&zcfg);
    bytes_free(&zfl);
    bytes_free(&ct);
    bytes_free(&cfg);
    bytes_free(&fl);
}

/* ---- Parquet ---------------------------------------------------------------------------- */

static void test_parquet(void **state)
{
    unsigned char file[200];
    struct lc_sample_result r;
    (void)state;

    memset(file, 0x15, sizeof(file));
    memcpy(file, "PAR1", 4);
    memcpy(file + sizeof(file) - 4, "PAR1", 4);
    r = run(LC_SAMPLE_FLOWLOG_PARQUET, file, sizeof(file), true);
    assert_valid(r);
    assert_string_equal(r.format, "parquet");
    assert_int_equal(r.records, -1);
    assert_int_equal(r.bytes_in, sizeof(file));
    /* a ranged prefix: only the magic */
    r = run(LC_SAMPLE_FLOWLOG_PARQUET, file, 64, false);
    assert_valid(r);
    /* the same prefix as the whole object: no footer */
    r = run(LC_SAMPLE_FLOWLOG_PARQUET, file, 64, true);
    assert_reason(r, "Parquet footer magic missing");
    r = run(LC_SAMPLE_FLOWLOG_PARQUET, "PAR1PAR1", 8, true);
    assert_reason(r, "Parquet file too short (8 bytes)");
    r = run(LC_SAMPLE_FLOWLOG_PARQUET, "PAR", 3, false);
    assert_reason(r, "not Parquet (3 bytes, no magic)");
    r = run(LC_SAMPLE_FLOWLOG_PARQUET, "version account-id", 18, false);
    assert_reason(r, "not Parquet (bad magic)");
}

/* ---- API edges ------------------------------------------------------------------------- */

static void test_api_edges(void **state)
{
    struct lc_sample_opts opts = {.format = NULL};
    struct lc_sample_opts text = {.format = LC_SAMPLE_FLOWLOG_TEXT};
    struct lc_sample_result r;
    struct lc_sample *s;
    struct bytes z = gz_str("start end\n1795334400 1795334460\n");
    (void)state;

    assert_int_equal(lc_sample_feed(NULL, "x", 1), 1);
    lc_sample_finish(NULL, true, &r);
    assert_false(r.valid);
    assert_string_equal(r.reason, "no sampler");
    lc_sample_free(NULL);

    s = lc_sample_new(&opts);
    assert_non_null(s);
    assert_int_equal(lc_sample_feed(s, "x", 1), 1);
    lc_sample_finish(s, true, &r);
    assert_reason(r, "no sample format");
    lc_sample_free(s);

    /* NULL options: no format either */
    s = lc_sample_new(NULL);
    assert_non_null(s);
    lc_sample_finish(s, true, &r);
    assert_reason(r, "no sample format");
    lc_sample_free(s);

    /* empty feeds change nothing; feeds after finish are ignored */
    s = lc_sample_new(&text);
    assert_non_null(s);
    assert_int_equal(lc_sample_feed(s, NULL, 0), 0);
    assert_int_equal(lc_sample_feed(s, z.data, z.len), 0);
    lc_sample_finish(s, true, &r);
    assert_valid(r);
    assert_int_equal(r.records, 1);
    assert_int_equal(lc_sample_feed(s, "junk", 4), 1);
    lc_sample_finish(s, true, &r);
    assert_valid(r);
    assert_int_equal(r.bytes_in, z.len);
    lc_sample_free(s);
    bytes_free(&z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flowlog_v2),
        cmocka_unit_test(test_flowlog_custom),
        cmocka_unit_test(test_flowlog_prefix_cut),
        cmocka_unit_test(test_flowlog_header_only),
        cmocka_unit_test(test_flowlog_bad_records),
        cmocka_unit_test(test_flowlog_bad_header),
        cmocka_unit_test(test_empty_object),
        cmocka_unit_test(test_not_gzip),
        cmocka_unit_test(test_corrupt_deflate),
        cmocka_unit_test(test_binary_junk_gzipped),
        cmocka_unit_test(test_multi_member),
        cmocka_unit_test(test_zip_bomb),
        cmocka_unit_test(test_capped_flowlog_prefix),
        cmocka_unit_test(test_cloudtrail),
        cmocka_unit_test(test_cloudtrail_bad),
        cmocka_unit_test(test_json_depth),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_config_bad),
        cmocka_unit_test(test_wrong_kind),
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_lines_bad),
        cmocka_unit_test(test_waf),
        cmocka_unit_test(test_parquet),
        cmocka_unit_test(test_api_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
