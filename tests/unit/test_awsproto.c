/* Unit tests of the EC2/Query flat XML view (awsxml), the JSON 1.1 helpers (awsjson) and the
 * error documents of every AWS XML protocol (lc_aws_xml_error). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aws/awsjson.h"
#include "aws/awsxml.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/kv.h"
#include "aws/s3proto.h"
#include "core/timeutil.h"

/* ---- awsxml ---- */

static const char FLOWLOGS[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<DescribeFlowLogsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\n"
    "    <requestId>2d96dae3-504b-4fc4-bf50-266EXAMPLE</requestId>\n"
    "    <flowLogSet>\n"
    "        <item>\n"
    "            <creationTime>2026-11-01T10:00:00.000Z</creationTime>\n"
    "            <deliverLogsStatus>SUCCESS</deliverLogsStatus>\n"
    "            <flowLogId>fl-0123456789abcdef0</flowLogId>\n"
    "            <flowLogStatus>ACTIVE</flowLogStatus>\n"
    "            <logDestinationType>s3</logDestinationType>\n"
    "            <logDestination>arn:aws:s3:::org-central-logs</logDestination>\n"
    "            <logFormat>${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} "
    "${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} "
    "${log-status}</logFormat>\n"
    "            <maxAggregationInterval>600</maxAggregationInterval>\n"
    "            <destinationOptions>\n"
    "                <fileFormat>plain-text</fileFormat>\n"
    "                <hiveCompatiblePartitions>false</hiveCompatiblePartitions>\n"
    "                <perHourPartition>false</perHourPartition>\n"
    "            </destinationOptions>\n"
    "            <resourceId>vpc-0a1b2c3d4e5f67890</resourceId>\n"
    "            <trafficType>ALL</trafficType>\n"
    "            <tagSet>\n"
    "                <item><key>Name</key><value>central</value></item>\n"
    "                <item><key>env</key><value>prod</value></item>\n"
    "            </tagSet>\n"
    "        </item>\n"
    "        <item>\n"
    "            <creationTime>2026-11-20T10:00:00.000Z</creationTime>\n"
    "            <deliverLogsErrorMessage>Access error</deliverLogsErrorMessage>\n"
    "            <deliverLogsStatus>FAILED</deliverLogsStatus>\n"
    "            <flowLogId>fl-0fedcba9876543210</flowLogId>\n"
    "            <flowLogStatus>ACTIVE</flowLogStatus>\n"
    "            <logDestinationType>s3</logDestinationType>\n"
    "            <logDestination>arn:aws:s3:::org-central-logs/vpc/</logDestination>\n"
    "            <resourceId>vpc-0b1b2c3d4e5f67890</resourceId>\n"
    "            <trafficType>REJECT</trafficType>\n"
    "            <tagSet/>\n"
    "        </item>\n"
    "    </flowLogSet>\n"
    "    <nextToken>eyJ2IjoiMSIsImMiOiJmbC0wZmVkIn0=</nextToken>\n"
    "</DescribeFlowLogsResponse>\n";

#define FL "DescribeFlowLogsResponse/flowLogSet"

static const char ASSUME_ROLE[] =
    "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
    "  <AssumeRoleResult>\n"
    "    <SourceIdentity>Alice</SourceIdentity>\n"
    "    <AssumedRoleUser>\n"
    "      <Arn>arn:aws:sts::123456789012:assumed-role/logcanary-reader/logcanary</Arn>\n"
    "      <AssumedRoleId>ARO123EXAMPLE123:logcanary</AssumedRoleId>\n"
    "    </AssumedRoleUser>\n"
    "    <Credentials>\n"
    "      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>\n"
    "      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>\n"
    "      <SessionToken>AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsK"
    "WHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8p"
    "hUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0"
    "u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==</Se"
    "ssionToken>\n"
    "      <Expiration>2026-11-22T09:00:00Z</Expiration>\n"
    "    </Credentials>\n"
    "    <PackedPolicySize>6</PackedPolicySize>\n"
    "  </AssumeRoleResult>\n"
    "  <ResponseMetadata>\n"
    "    <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>\n"
    "  </ResponseMetadata>\n"
    "</AssumeRoleResponse>\n";

static const char CALLER_ID[] =
    "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
    "<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/Alice</Arn>"
    "<UserId>AKIAI44QH8DHBEXAMPLE</UserId><Account>123456789012</Account>"
    "</GetCallerIdentityResult><ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef"
    "</RequestId></ResponseMetadata></GetCallerIdentityResponse>";

static struct lc_awsxml *parse_chunked(const char *body, size_t len, size_t chunk,
                                       const struct lc_awsxml_opts *o, int *rc,
                                       struct lc_error *err)
{
    struct lc_awsxml *d = lc_awsxml_new(o);

    assert_non_null(d);
    lc_error_clear(err);
    *rc = 0;
    for (size_t off = 0; off < len && !*rc; off += chunk)
        *rc = lc_awsxml_feed(d, body + off, len - off < chunk ? len - off : chunk, err);
    if (!*rc)
        *rc = lc_awsxml_finish(d, err);
    if (*rc) {
        lc_awsxml_free(d);
        return NULL;
    }
    return d;
}

static void test_awsxml_flowlogs_every_chunk(void **state)
{
    size_t len = strlen(FLOWLOGS);
    struct lc_awsxml_opts o = {.root = "DescribeFlowLogsResponse"};
    (void)state;

    for (size_t chunk = 1; chunk <= len; chunk++) {
        struct lc_error err;
        int rc;
        struct lc_awsxml *d = parse_chunked(FLOWLOGS, len, chunk, &o, &rc, &err);
        if (!d)
            fail_msg("chunk %zu: %s", chunk, err.message);
        assert_string_equal(lc_awsxml_root(d), "DescribeFlowLogsResponse");
        assert_int_equal(lc_awsxml_count(d, FL), 2);
        assert_string_equal(lc_awsxml_get(d, FL "/item[0]/deliverLogsStatus"), "SUCCESS");
        assert_string_equal(lc_awsxml_get(d, FL "/item[0]/flowLogId"), "fl-0123456789abcdef0");
        assert_string_equal(lc_awsxml_get(d, FL "/item[0]/destinationOptions/fileFormat"),
                            "plain-text");
        assert_int_equal(lc_awsxml_count(d, FL "/item[0]/tagSet"), 2);
        assert_string_equal(lc_awsxml_get(d, FL "/item[0]/tagSet/item[1]/value"), "prod");
        assert_string_equal(lc_awsxml_get(d, FL "/item[1]/deliverLogsStatus"), "FAILED");
        assert_string_equal(lc_awsxml_get(d, FL "/item[1]/deliverLogsErrorMessage"),
                            "Access error");
        assert_null(lc_awsxml_get(d, FL "/item[0]/deliverLogsErrorMessage"));
        assert_int_equal(lc_awsxml_count(d, FL "/item[1]/tagSet"), 0);
        assert_string_equal(lc_awsxml_get(d, FL "/item[1]/tagSet"), ""); /* empty list */
        assert_string_equal(lc_awsxml_get(d, "DescribeFlowLogsResponse/nextToken"),
                            "eyJ2IjoiMSIsImMiOiJmbC0wZmVkIn0=");
        lc_awsxml_free(d);
    }
}

static void test_awsxml_lookups(void **state)
{
    struct lc_awsxml *d = NULL;
    struct lc_error err;
    const char *want[] = {"fl-0123456789abcdef0", "fl-0fedcba9876543210"};
    (void)state;

    lc_error_clear(&err);
    assert_int_equal(lc_awsxml_parse(FLOWLOGS, strlen(FLOWLOGS), NULL, &d, &err), 0);
    for (size_t i = 0; i < lc_awsxml_count(d, FL); i++)
        assert_string_equal(lc_awsxml_getf(d, FL "/item[%zu]/flowLogId", i), want[i]);
    assert_null(lc_awsxml_getf(d, FL "/item[%zu]/flowLogId", (size_t)2));
    /* Containers are not leaves; lists have no text; unknown paths are NULL. */
    assert_null(lc_awsxml_get(d, FL "/item[0]/destinationOptions"));
    assert_null(lc_awsxml_get(d, FL));
    assert_null(lc_awsxml_get(d, FL "/item/flowLogId"));
    assert_null(lc_awsxml_get(d, "flowLogSet/item[0]/flowLogId")); /* root is part of paths */
    assert_int_equal(lc_awsxml_count(d, "DescribeFlowLogsResponse/nextToken"), 0);
    assert_int_equal(lc_awsxml_count(d, "nope"), 0);
    /* item[0]: 13 leaves + 4 tag leaves; item[1]: 10 leaves (its empty tagSet is one);
     * requestId and nextToken; two lists (flowLogSet, item[0]/tagSet). */
    assert_int_equal(lc_awsxml_entries(d), 13 + 4 + 10 + 2 + 2);
    lc_awsxml_free(d);
    lc_awsxml_free(NULL);
}

static void test_awsxml_sts(void **state)
{
    struct lc_awsxml *d = NULL;
    struct lc_awsxml_opts o = {.root = "AssumeRoleResponse"};
    struct lc_error err;
    time_t exp = 0;
    const char *c = "AssumeRoleResponse/AssumeRoleResult/Credentials/";
    char path[128];
    (void)state;

    lc_error_clear(&err);
    assert_int_equal(lc_awsxml_parse(ASSUME_ROLE, strlen(ASSUME_ROLE), &o, &d, &err), 0);
    snprintf(path, sizeof(path), "%sAccessKeyId", c);
    assert_string_equal(lc_awsxml_get(d, path), "ASIAIOSFODNN7EXAMPLE");
    snprintf(path, sizeof(path), "%sSecretAccessKey", c);
    assert_string_equal(lc_awsxml_get(d, path), "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
    snprintf(path, sizeof(path), "%sSessionToken", c);
    assert_int_equal(strlen(lc_awsxml_get(d, path)), 336);
    snprintf(path, sizeof(path), "%sExpiration", c);
    assert_int_equal(lc_time_parse_iso8601(lc_awsxml_get(d, path), &exp), 0);
    assert_int_equal(exp, 1795334400 + 3600);
    assert_string_equal(lc_awsxml_get(d, "AssumeRoleResponse/ResponseMetadata/RequestId"),
                        "c6104cbe-af31-11e0-8154-cbc7ccf896c7");
    lc_awsxml_free(d);

    /* Wrong root for what was asked. */
    assert_int_equal(lc_awsxml_parse(CALLER_ID, strlen(CALLER_ID), &o, &d, &err), LC_E_PARSE);
    assert_null(d);
    assert_non_null(strstr(err.message, "unexpected root element <GetCallerIdentityResponse>"));
    o.root = "GetCallerIdentityResponse";
    assert_int_equal(lc_awsxml_parse(CALLER_ID, strlen(CALLER_ID), &o, &d, &err), 0);
    assert_string_equal(
        lc_awsxml_get(d, "GetCallerIdentityResponse/GetCallerIdentityResult/Account"),
        "123456789012");
    lc_awsxml_free(d);
}

static void test_awsxml_members_and_duplicates(void **state)
{
    static const char doc[] =
        "<ListRolesResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><ListRolesResult>"
        "<Roles><member><RoleName>a</RoleName></member><member><RoleName>b</RoleName>"
        "<Tags><member><Key>k</Key></member></Tags></member><member/></Roles>"
        "<Marker>m1</Marker><Marker>m2</Marker></ListRolesResult></ListRolesResponse>";
    struct lc_awsxml *d = NULL;
    struct lc_error err;
    (void)state;

    lc_error_clear(&err);
    assert_int_equal(lc_awsxml_parse(doc, strlen(doc), NULL, &d, &err), 0);
    assert_int_equal(lc_awsxml_count(d, "ListRolesResponse/ListRolesResult/Roles"), 3);
    assert_string_equal(
        lc_awsxml_get(d, "ListRolesResponse/ListRolesResult/Roles/member[1]/RoleName"), "b");
    assert_string_equal(
        lc_awsxml_get(d, "ListRolesResponse/ListRolesResult/Roles/member[1]/Tags/member[0]/Key"),
        "k");
    assert_string_equal(lc_awsxml_get(d, "ListRolesResponse/ListRolesResult/Roles/member[2]"), "");
    assert_string_equal(lc_awsxml_get(d, "ListRolesResponse/ListRolesResult/Marker"), "m1");
    lc_awsxml_free(d);
}

static void test_awsxml_hostile(void **state)
{
    struct lc_awsxml *d = NULL;
    struct lc_error err;
    struct lc_awsxml_opts o = {.max_entries = 10};
    struct lc_buf b = {0};
    size_t len = strlen(FLOWLOGS);
    (void)state;

    lc_error_clear(&err);
    assert_int_equal(lc_awsxml_parse(FLOWLOGS, len, &o, &d, &err), LC_E_TOO_LARGE);
    assert_non_null(strstr(err.message, "more than 10 elements"));
    assert_null(d);
    o.max_entries = 0;
    o.max_bytes = 100;
    assert_int_equal(lc_awsxml_parse(FLOWLOGS, len, &o, &d, &err), LC_E_TOO_LARGE);
    o.max_bytes = 0;
    o.max_text = 20;
    assert_int_equal(lc_awsxml_parse(FLOWLOGS, len, &o, &d, &err), LC_E_TOO_LARGE);
    assert_non_null(strstr(err.message, "text longer than 20 bytes at "
                                        "DescribeFlowLogsResponse/requestId, line 3"));
    /* Every strict prefix fails. */
    size_t end = (size_t)(strstr(FLOWLOGS, "</DescribeFlowLogsResponse>") - FLOWLOGS) +
                 strlen("</DescribeFlowLogsResponse>");
    for (size_t cut = 0; cut < end; cut++) {
        int rc;
        d = parse_chunked(FLOWLOGS, cut, 33, NULL, &rc, &err);
        assert_null(d);
        assert_int_equal(rc, LC_E_PARSE);
    }
    static const char lol[] = "<!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;"
                              "&a;&a;&a;&a;&a;&a;\">]><r><x>&b;</x></r>";
    assert_int_equal(lc_awsxml_parse(lol, strlen(lol), NULL, &d, &err), LC_E_PARSE);
    assert_non_null(strstr(err.message, "DOCTYPE"));
    /* Deep nesting and a path that would not fit. */
    for (int i = 0; i < 40; i++)
        lc_buf_appendf(&b, "<item>");
    assert_int_equal(lc_awsxml_parse(b.data, b.len, NULL, &d, &err), LC_E_PARSE);
    assert_non_null(strstr(err.message, "nested deeper than 32"));
    lc_buf_reset(&b);
    lc_buf_appendf(&b, "<r>");
    for (int i = 0; i < 10; i++) {
        lc_buf_putc(&b, '<');
        for (int j = 0; j < 300; j++)
            lc_buf_putc(&b, 'n');
        lc_buf_putc(&b, '>');
    }
    assert_int_equal(lc_awsxml_parse(b.data, b.len, NULL, &d, &err), LC_E_TOO_LARGE);
    assert_non_null(strstr(err.message, "path longer"));
    lc_buf_free(&b);
    assert_int_equal(lc_awsxml_parse("", 0, NULL, &d, &err), LC_E_PARSE);
    assert_int_equal(lc_awsxml_parse("{\"a\":1}", 7, NULL, &d, &err), LC_E_PARSE);
}

/* ---- XML error documents ---- */

struct xerr_case {
    const char *body;
    const char *code, *message, *request_id;
    bool auth, kms, retryable;
};

static void test_xml_errors(void **state)
{
    static const struct xerr_case cases[] = {
        /* S3, KMS key policy gap on PutObject (facts 3a). */
        {"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>"
         "User: arn:aws:sts::111122223333:assumed-role/canary/lc is not authorized to perform: "
         "kms:GenerateDataKey on resource: arn:aws:kms:us-east-1:111122223333:key/1234abcd because"
         " no resource-based policy allows the kms:GenerateDataKey action</Message><RequestId>"
         "W7ZJ7D3Y4P8KQ2CN</RequestId><HostId>hTqkQ1m0yvVxq2X6l2q0T0/Z8hQ9ZkA=</HostId></Error>",
         "AccessDenied",
         "User: arn:aws:sts::111122223333:assumed-role/canary/lc is not authorized to perform: "
         "kms:GenerateDataKey on resource: arn:aws:kms:us-east-1:111122223333:key/1234abcd because"
         " no resource-based policy allows the kms:GenerateDataKey action",
         "W7ZJ7D3Y4P8KQ2CN", true, true, false},
        {"<Error><Code>KMS.DisabledException</Code><Message>arn:aws:kms:us-east-1:111122223333:"
         "key/1234abcd is disabled.</Message><RequestId>R2</RequestId></Error>",
         "KMS.DisabledException", "arn:aws:kms:us-east-1:111122223333:key/1234abcd is disabled.",
         "R2", false, true, false},
        {"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>"
         "<RequestId>R3</RequestId></Error>",
         "SlowDown", "Please reduce your request rate.", "R3", false, false, true},
        /* EC2: RequestID, first of several errors. */
        {"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>"
         "UnauthorizedOperation</Code><Message>You are not authorized to perform this operation."
         "</Message></Error><Error><Code>Second</Code><Message>no</Message></Error></Errors>"
         "<RequestID>0e4ae6ef-1f51-4c0c-b5e6-2e4f5f1e0cba</RequestID></Response>",
         "UnauthorizedOperation", "You are not authorized to perform this operation.",
         "0e4ae6ef-1f51-4c0c-b5e6-2e4f5f1e0cba", true, false, false},
        {"<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit "
         "exceeded.</Message></Error></Errors><RequestId>ec2-rid</RequestId></Response>",
         "RequestLimitExceeded", "Request limit exceeded.", "ec2-rid", false, false, true},
        /* Query/STS. */
        {"<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  <Error>\n    "
         "<Type>Sender</Type>\n    <Code>AccessDenied</Code>\n    <Message>User: arn:aws:iam::"
         "123456789012:user/x is not authorized to perform: sts:AssumeRole on resource: arn:aws:"
         "iam::111122223333:role/r</Message>\n  </Error>\n  <RequestId>4a5e3d1c-sts</RequestId>\n"
         "</ErrorResponse>\n",
         "AccessDenied",
         "User: arn:aws:iam::123456789012:user/x is not authorized to perform: sts:AssumeRole on "
         "resource: arn:aws:iam::111122223333:role/r",
         "4a5e3d1c-sts", true, false, false},
        {"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded"
         "</Message></Error><RequestID>q-rid</RequestID></ErrorResponse>",
         "Throttling", "Rate exceeded", "q-rid", false, false, true},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct lc_error err;
        struct lc_aws_xml_error x;
        lc_error_clear(&err);
        err.status = 403;
        assert_int_equal(lc_aws_xml_error(cases[i].body, strlen(cases[i].body), &err, &x), 0);
        assert_int_equal(err.kind, LC_E_AWS);
        assert_int_equal(err.status, 403);
        assert_string_equal(err.code, cases[i].code);
        assert_string_equal(err.message, cases[i].message);
        assert_string_equal(err.request_id, cases[i].request_id);
        if (err.auth != cases[i].auth || err.kms != cases[i].kms)
            fail_msg("case %zu: auth %d kms %d", i, err.auth, err.kms);
        assert_int_equal(err.retryable, cases[i].retryable);
    }
}

static void test_xml_error_extras(void **state)
{
    struct lc_error err;
    struct lc_aws_xml_error x;
    (void)state;

    static const char redirect[] =
        "<Error><Code>AuthorizationHeaderMalformed</Code><Message>The authorization header is "
        "malformed; the region 'us-east-1' is wrong; expecting 'eu-west-1'</Message><Region>"
        "eu-west-1</Region><RequestId>R</RequestId><HostId>H</HostId></Error>";
    lc_error_clear(&err);
    err.status = 400;
    assert_int_equal(lc_aws_xml_error(redirect, strlen(redirect), &err, &x), 0);
    assert_string_equal(err.code, "AuthorizationHeaderMalformed");
    assert_string_equal(x.region, "eu-west-1");
    assert_string_equal(x.endpoint, "");

    static const char moved[] =
        "<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access "
        "must be addressed using the specified endpoint. Please send all future requests to this "
        "endpoint.</Message><Endpoint>org-central-logs.s3.eu-west-1.amazonaws.com</Endpoint>"
        "<Bucket>org-central-logs</Bucket><RequestId>R</RequestId></Error>";
    lc_error_clear(&err);
    assert_int_equal(lc_aws_xml_error(moved, strlen(moved), &err, &x), 0);
    assert_string_equal(x.endpoint, "org-central-logs.s3.eu-west-1.amazonaws.com");
    assert_string_equal(x.bucket, "org-central-logs");
    assert_string_equal(x.region, "");

    static const char nsb[] = "<Error><Code>NoSuchBucket</Code><Message>The specified bucket "
                              "does not exist</Message><BucketName>gone</BucketName></Error>";
    lc_error_clear(&err);
    lc_strlcpy(err.request_id, "from-header", sizeof(err.request_id));
    assert_int_equal(lc_aws_xml_error(nsb, strlen(nsb), &err, NULL), 0);
    assert_string_equal(err.code, "NoSuchBucket");
    assert_string_equal(err.request_id, "from-header"); /* kept: the body has none */

    static const char sts[] = "<ErrorResponse><Error><Type>Receiver</Type><Code>"
                              "IDPCommunicationError</Code><Message>m</Message></Error>"
                              "</ErrorResponse>";
    assert_int_equal(lc_aws_xml_error(sts, strlen(sts), &err, &x), 0);
    assert_string_equal(x.type, "Receiver");
    assert_true(err.retryable);

    /* Only the first EC2 <Error> counts, even when it lacks a Message. */
    static const char ec2[] = "<Response><Errors><Error><Code>InvalidParameterValue</Code></Error>"
                              "<Error><Code>Other</Code><Message>not this</Message></Error>"
                              "</Errors><RequestID>r</RequestID></Response>";
    lc_error_clear(&err);
    assert_int_equal(lc_aws_xml_error(ec2, strlen(ec2), &err, &x), 0);
    assert_string_equal(err.code, "InvalidParameterValue");
    assert_string_equal(err.message, "");

    /* A Region too long to be one is dropped, not truncated. */
    char longreg[600];
    snprintf(longreg, sizeof(longreg), "<Error><Code>C</Code><Region>%0100d</Region></Error>", 0);
    assert_int_equal(lc_aws_xml_error(longreg, strlen(longreg), &err, &x), 0);
    assert_string_equal(x.region, "");
}

static void test_xml_error_not_a_document(void **state)
{
    static const char *const bodies[] = {
        "",
        "<html><body><h1>503 Service Unavailable</h1></body></html>",
        "Service Unavailable",
        "<Error><Message>no code</Message></Error>",
        "<Error><Code></Code></Error>",
        "<Foo><Code>X</Code></Foo>",
        "<Response><Code>X</Code></Response>", /* EC2 code outside Errors/Error */
        "<Error><Code>Truncated</Code><Message>cut",
        "<!DOCTYPE Error [<!ENTITY c \"AccessDenied\">]><Error><Code>&c;</Code></Error>",
        "{\"__type\":\"AccessDeniedException\"}",
    };
    (void)state;

    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        struct lc_error err;
        struct lc_aws_xml_error x;
        lc_error_clear(&err);
        err.status = 403;
        lc_strlcpy(err.request_id, "hdr", sizeof(err.request_id));
        lc_strlcpy(err.code, "stale", sizeof(err.code));
        if (lc_aws_xml_error(bodies[i], strlen(bodies[i]), &err, &x) != LC_E_PARSE)
            fail_msg("body %zu parsed", i);
        assert_int_equal(err.kind, LC_E_AWS);
        assert_string_equal(err.code, "");
        assert_int_equal(err.status, 403);
        assert_string_equal(err.request_id, "hdr");
        assert_true(err.auth); /* from the status alone */
    }
    struct lc_error err;
    lc_error_clear(&err);
    assert_int_equal(lc_aws_xml_error(NULL, 0, &err, NULL), LC_E_PARSE);
}

static void test_xml_error_long_message(void **state)
{
    struct lc_buf b = {0};
    struct lc_error err;
    size_t n;
    (void)state;

    lc_buf_appendf(&b, "<Error><Code>AccessDenied</Code><Message>");
    for (int i = 0; i < 400; i++)
        lc_buf_appendf(&b, "\xC3\xA9"); /* é */
    lc_buf_appendf(&b, "</Message><RequestId>R</RequestId></Error>");
    lc_error_clear(&err);
    assert_int_equal(lc_aws_xml_error(b.data, b.len, &err, NULL), 0);
    n = strlen(err.message);
    assert_true(n <= sizeof(err.message) - 1);
    assert_true(n >= sizeof(err.message) - 3);
    assert_int_equal(n % 2, 0); /* not cut inside a character */
    assert_string_equal(err.request_id, "R");
    lc_buf_free(&b);
}

/* ---- awsjson ---- */

static const char DESCRIBE_KEY[] =
    "{\"KeyMetadata\":{\"AWSAccountId\":\"111122223333\",\"Arn\":\"arn:aws:kms:us-east-1:"
    "111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab\",\"CreationDate\":1.763798400123E9,"
    "\"CustomerMasterKeySpec\":\"SYMMETRIC_DEFAULT\",\"DeletionDate\":1.7962272E9,\"Description\":"
    "\"\",\"Enabled\":false,\"EncryptionAlgorithms\":[\"SYMMETRIC_DEFAULT\"],\"KeyId\":\"1234abcd-"
    "12ab-34cd-56ef-1234567890ab\",\"KeyManager\":\"CUSTOMER\",\"KeySpec\":\"SYMMETRIC_DEFAULT\","
    "\"KeyState\":\"PendingDeletion\",\"KeyUsage\":\"ENCRYPT_DECRYPT\",\"MultiRegion\":false,"
    "\"Origin\":\"AWS_KMS\",\"PendingDeletionWindowInDays\":7,\"ValidTo\":null}}\n";

static void test_json_getters(void **state)
{
    cJSON *root = NULL;
    struct lc_error err;
    const char *s = "default";
    bool b = true;
    double d = 0;
    int64_t i = 0;
    time_t t = 0;
    const cJSON *arr = NULL, *obj = NULL;
    (void)state;

    lc_error_clear(&err);
    assert_int_equal(lc_json_parse(DESCRIBE_KEY, strlen(DESCRIBE_KEY), 0, &root, &err), 0);
    assert_int_equal(lc_json_string(root, "KeyMetadata.KeyState", LC_JSON_REQUIRED, &s, &err), 0);
    assert_string_equal(s, "PendingDeletion");
    assert_int_equal(lc_json_bool(root, "KeyMetadata.Enabled", LC_JSON_REQUIRED, &b, &err), 0);
    assert_false(b);
    assert_int_equal(lc_json_time(root, "KeyMetadata.CreationDate", LC_JSON_REQUIRED, &t, &err), 0);
    assert_int_equal(t, 1763798400);
    assert_int_equal(lc_json_time(root, "KeyMetadata.DeletionDate", LC_JSON_OPTIONAL, &t, &err), 0);
    assert_int_equal(t, 1796227200);
    assert_int_equal(
        lc_json_int(root, "KeyMetadata.PendingDeletionWindowInDays", LC_JSON_REQUIRED, &i, &err),
        0);
    assert_int_equal(i, 7);
    assert_int_equal(lc_json_number(root, "KeyMetadata.CreationDate", LC_JSON_REQUIRED, &d, &err),
                     0);
    assert_true(d > 1763798400.1 && d < 1763798400.2);
    assert_int_equal(
        lc_json_string(root, "KeyMetadata.EncryptionAlgorithms[0]", LC_JSON_REQUIRED, &s, &err), 0);
    assert_string_equal(s, "SYMMETRIC_DEFAULT");
    assert_int_equal(
        lc_json_array(root, "KeyMetadata.EncryptionAlgorithms", LC_JSON_REQUIRED, &arr, &err), 0);
    assert_int_equal(cJSON_GetArraySize(arr), 1);
    assert_int_equal(lc_json_object(root, "KeyMetadata", LC_JSON_REQUIRED, &obj, &err), 0);
    assert_int_equal(lc_json_string(obj, "KeyManager", LC_JSON_REQUIRED, &s, &err), 0);
    assert_string_equal(s, "CUSTOMER");
    assert_non_null(lc_json_at(root, "KeyMetadata.Origin"));
    assert_null(lc_json_at(root, "KeyMetadata.Origin.x"));

    /* Optional and absent (or null): untouched. */
    s = "keep";
    assert_int_equal(
        lc_json_string(root, "KeyMetadata.CustomKeyStoreId", LC_JSON_OPTIONAL, &s, &err), 0);
    assert_string_equal(s, "keep");
    t = 99;
    assert_int_equal(lc_json_time(root, "KeyMetadata.ValidTo", LC_JSON_OPTIONAL, &t, &err), 0);
    assert_int_equal(t, 99);
    assert_int_equal(
        lc_json_string(root, "KeyMetadata.EncryptionAlgorithms[5]", LC_JSON_OPTIONAL, &s, &err), 0);
    assert_string_equal(s, "keep");

    /* Errors name the field. */
    assert_int_equal(lc_json_time(root, "KeyMetadata.ValidTo", LC_JSON_REQUIRED, &t, &err),
                     LC_E_PARSE);
    assert_string_equal(err.message, "KeyMetadata.ValidTo: missing");
    assert_int_equal(lc_json_string(root, "KeyMetadata.Enabled", LC_JSON_REQUIRED, &s, &err),
                     LC_E_PARSE);
    assert_string_equal(err.message, "KeyMetadata.Enabled: expected a string");
    assert_int_equal(lc_json_string(root, "KeyMetadata.Enabled", LC_JSON_OPTIONAL, &s, &err),
                     LC_E_PARSE);
    assert_int_equal(lc_json_bool(root, "KeyMetadata.KeyState", LC_JSON_REQUIRED, &b, &err),
                     LC_E_PARSE);
    assert_string_equal(err.message, "KeyMetadata.KeyState: expected a boolean");
    assert_int_equal(lc_json_int(root, "KeyMetadata.CreationDate", LC_JSON_REQUIRED, &i, &err),
                     LC_E_PARSE);
    assert_string_equal(err.message, "KeyMetadata.CreationDate: expected an integer");
    assert_int_equal(lc_json_time(root, "KeyMetadata.KeyState", LC_JSON_REQUIRED, &t, &err),
                     LC_E_PARSE);
    assert_string_equal(err.message, "KeyMetadata.KeyState: expected a timestamp");
    assert_int_equal(lc_json_string(root, "KeyMetadata.KeyState.Inner", LC_JSON_REQUIRED, &s, &err),
                     LC_E_PARSE);
    assert_string_equal(err.message, "KeyMetadata.KeyState: expected an object");
    assert_int_equal(lc_json_string(root, "KeyMetadata[0]", LC_JSON_REQUIRED, &s, &err),
                     LC_E_PARSE);
    assert_string_equal(err.message, "KeyMetadata: expected an array");
    assert_int_equal(lc_json_array(root, "KeyMetadata", LC_JSON_REQUIRED, &arr, &err), LC_E_PARSE);
    assert_string_equal(err.message, "KeyMetadata: expected an array");
    /* Malformed paths are the caller's bug. */
    assert_int_equal(lc_json_string(root, "KeyMetadata..KeyState", LC_JSON_REQUIRED, &s, &err),
                     LC_E_INVALID);
    assert_int_equal(lc_json_string(root, "a[x]", LC_JSON_REQUIRED, &s, &err), LC_E_INVALID);
    assert_int_equal(lc_json_string(root, "a[1", LC_JSON_REQUIRED, &s, &err), LC_E_INVALID);
    assert_int_equal(lc_json_string(root, "KeyMetadata.", LC_JSON_REQUIRED, &s, &err),
                     LC_E_INVALID);
    cJSON_Delete(root);
}

static void test_json_config_status(void **state)
{
    static const char body[] =
        "{\"DeliveryChannelsStatus\":[{\"name\":\"aws-controltower-BaselineConfigDeliveryChannel\","
        "\"configSnapshotDeliveryInfo\":{\"lastStatus\":\"FAILURE\",\"lastErrorCode\":"
        "\"AccessDenied\",\"lastErrorMessage\":\"Access Denied\",\"lastAttemptTime\":"
        "1.795334400E9,\"lastSuccessfulTime\":1.7952E9,\"nextDeliveryTime\":1.7954208E9},"
        "\"configHistoryDeliveryInfo\":{\"lastStatus\":\"SUCCESS\",\"lastAttemptTime\":"
        "1795334400,\"lastSuccessfulTime\":1795334400},\"configStreamDeliveryInfo\":{"
        "\"lastStatus\":\"NOT_APPLICABLE\"}}]}";
    cJSON *root = NULL;
    struct lc_error err;
    const char *s = NULL;
    time_t t = 0;
    (void)state;

    lc_error_clear(&err);
    assert_int_equal(lc_json_parse(body, strlen(body), 0, &root, &err), 0);
    assert_int_equal(lc_json_string(root,
                                    "DeliveryChannelsStatus[0].configSnapshotDeliveryInfo."
                                    "lastErrorCode",
                                    LC_JSON_REQUIRED, &s, &err),
                     0);
    assert_string_equal(s, "AccessDenied");
    assert_int_equal(lc_json_time(root,
                                  "DeliveryChannelsStatus[0].configSnapshotDeliveryInfo."
                                  "lastAttemptTime",
                                  LC_JSON_REQUIRED, &t, &err),
                     0);
    assert_int_equal(t, 1795334400);
    assert_int_equal(
        lc_json_string(root, "DeliveryChannelsStatus[1].name", LC_JSON_REQUIRED, &s, &err),
        LC_E_PARSE);
    assert_string_equal(err.message, "DeliveryChannelsStatus[1].name: missing");
    cJSON_Delete(root);

    /* Timestamps as ISO strings too; out-of-range numbers are refused. */
    static const char ts[] = "{\"a\":\"2026-11-22T08:00:00Z\",\"b\":-1,\"c\":1e300,\"d\":\"x\"}";
    assert_int_equal(lc_json_parse(ts, strlen(ts), 0, &root, &err), 0);
    assert_int_equal(lc_json_time(root, "a", LC_JSON_REQUIRED, &t, &err), 0);
    assert_int_equal(t, 1795334400);
    assert_int_equal(lc_json_time(root, "b", LC_JSON_REQUIRED, &t, &err), LC_E_PARSE);
    assert_string_equal(err.message, "b: timestamp out of range");
    assert_int_equal(lc_json_time(root, "c", LC_JSON_REQUIRED, &t, &err), LC_E_PARSE);
    assert_int_equal(lc_json_time(root, "d", LC_JSON_REQUIRED, &t, &err), LC_E_PARSE);
    assert_int_equal(t, 1795334400);
    cJSON_Delete(root);
}

static void test_json_parse_bad(void **state)
{
    cJSON *root = (cJSON *)&root;
    struct lc_error err;
    struct lc_buf b = {0};
    (void)state;

    lc_error_clear(&err);
    assert_int_equal(lc_json_parse("{\"a\":1}", 7, 6, &root, &err), LC_E_TOO_LARGE);
    assert_null(root);
    assert_int_equal(lc_json_parse("", 0, 0, &root, &err), LC_E_PARSE);
    assert_string_equal(err.message, "JSON: empty body");
    assert_int_equal(lc_json_parse(" \n ", 3, 0, &root, &err), LC_E_PARSE);
    assert_int_equal(lc_json_parse("{\n  \"a\": 1,\n  \"b\": tru }", 24, 0, &root, &err),
                     LC_E_PARSE);
    assert_non_null(strstr(err.message, "JSON: malformed at line 3"));
    assert_int_equal(lc_json_parse("{\"a\":1} x", 9, 0, &root, &err), LC_E_PARSE);
    assert_string_equal(err.message, "JSON: trailing data at line 1, column 8 (byte 7)");
    assert_int_equal(lc_json_parse("{\"a\":1}\n", 8, 0, &root, &err), 0);
    cJSON_Delete(root);
    /* Not NUL-terminated: only len bytes count. */
    assert_int_equal(lc_json_parse("[1,2]]]]", 5, 0, &root, &err), 0);
    assert_int_equal(cJSON_GetArraySize(root), 2);
    cJSON_Delete(root);
    assert_int_equal(lc_json_parse("{\"a\":\"\\u12", 10, 0, &root, &err), LC_E_PARSE);
    assert_int_equal(lc_json_parse("{\"a\":\"x\0y\"}", 11, 0, &root, &err), LC_E_PARSE);
    /* Deep nesting is refused, not a stack overflow. */
    for (int i = 0; i < 100000; i++)
        lc_buf_putc(&b, '[');
    assert_int_equal(lc_json_parse(b.data, b.len, 0, &root, &err), LC_E_PARSE);
    assert_null(root);
    lc_buf_free(&b);
}

static void test_json_errors(void **state)
{
    struct lc_kvlist h = {0};
    struct lc_error err;
    (void)state;

    lc_kv_add(&h, "x-amzn-requestid", "b8f5e0f5-kms");
    lc_kv_add(&h, "content-type", "application/x-amz-json-1.1");

    static const char nf[] = "{\"__type\":\"NotFoundException\",\"message\":\"Key 'arn:aws:kms:"
                             "us-east-1:111122223333:key/1234abcd' does not exist\"}";
    lc_error_clear(&err);
    err.status = 400;
    lc_strlcpy(err.service, "kms", sizeof(err.service));
    assert_int_equal(lc_awsjson_error(nf, strlen(nf), &h, &err), 0);
    assert_int_equal(err.kind, LC_E_AWS);
    assert_string_equal(err.code, "NotFoundException");
    assert_string_equal(err.message,
                        "Key 'arn:aws:kms:us-east-1:111122223333:key/1234abcd' does not exist");
    assert_string_equal(err.request_id, "b8f5e0f5-kms");
    assert_true(err.kms);

    static const char ns[] = "{\"__type\":\"com.amazon.coral.service#UnrecognizedClientException"
                             "\",\"Message\":\"The security token included in the request is "
                             "invalid.\"}";
    lc_error_clear(&err);
    assert_int_equal(lc_awsjson_error(ns, strlen(ns), &h, &err), 0);
    assert_string_equal(err.code, "UnrecognizedClientException");
    assert_string_equal(err.message, "The security token included in the request is invalid.");
    assert_true(err.auth);

    static const char colon[] = "{\"__type\":\"com.amazonaws.kms#ThrottlingException:http://"
                                "internal.amazon.com/coral/com.amazon.coral.availability/\","
                                "\"message\":\"Rate exceeded\"}";
    lc_error_clear(&err);
    assert_int_equal(lc_awsjson_error(colon, strlen(colon), NULL, &err), 0);
    assert_string_equal(err.code, "ThrottlingException");
    assert_true(err.retryable);
    assert_string_equal(err.request_id, "");

    /* The query-compatible header wins over __type. */
    lc_kv_add(&h, "x-amzn-query-error", "InvalidParameterValue;Sender");
    lc_error_clear(&err);
    assert_int_equal(lc_awsjson_error(nf, strlen(nf), &h, &err), 0);
    assert_string_equal(err.code, "InvalidParameterValue");
    lc_kv_set(&h, "x-amzn-query-error", "broken");
    assert_int_equal(lc_awsjson_error(nf, strlen(nf), &h, &err), 0);
    assert_string_equal(err.code, "NotFoundException");
    lc_kv_remove(&h, "x-amzn-query-error");

    /* No code in the body: the x-amzn-ErrorType header. */
    lc_kv_add(&h, "x-amzn-ErrorType",
              "AccessDeniedException:http://internal.amazon.com/coral/com.amazon.coral.service/");
    lc_error_clear(&err);
    assert_int_equal(lc_awsjson_error("{\"message\":\"denied\"}", 20, &h, &err), 0);
    assert_string_equal(err.code, "AccessDeniedException");
    assert_string_equal(err.message, "denied");
    lc_kv_remove(&h, "x-amzn-ErrorType");

    /* No code anywhere: the caller goes by the status. */
    static const char *const bad[] = {
        "",       "<html>502 Bad Gateway</html>", "{}", "[1]", "{\"__type\":42}", "{\"__type\":",
        "\"str\""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        lc_error_clear(&err);
        err.status = 503;
        lc_strlcpy(err.code, "stale", sizeof(err.code));
        assert_int_equal(lc_awsjson_error(bad[i], strlen(bad[i]), &h, &err), LC_E_PARSE);
        assert_int_equal(err.kind, LC_E_AWS);
        assert_string_equal(err.code, "");
        assert_string_equal(err.request_id, "b8f5e0f5-kms");
        assert_true(err.retryable);
    }
    lc_kv_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_awsxml_flowlogs_every_chunk),
        cmocka_unit_test(test_awsxml_lookups),
        cmocka_unit_test(test_awsxml_sts),
        cmocka_unit_test(test_awsxml_members_and_duplicates),
        cmocka_unit_test(test_awsxml_hostile),
        cmocka_unit_test(test_xml_errors),
        cmocka_unit_test(test_xml_error_extras),
        cmocka_unit_test(test_xml_error_not_a_document),
        cmocka_unit_test(test_xml_error_long_message),
        cmocka_unit_test(test_json_getters),
        cmocka_unit_test(test_json_config_status),
        cmocka_unit_test(test_json_parse_bad),
        cmocka_unit_test(test_json_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
