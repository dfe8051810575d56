/* S3 REST XML documents, and the error documents of every AWS XML protocol.
 *
 * Pure parsing, no network. ListObjectsV2 is a stream (fed in chunks as the body arrives);
 * the small documents (bucket encryption, errors) are parsed from a buffered body. Element
 * names are matched without namespaces. Malformed input is LC_E_PARSE with a message naming the
 * element path and line:column; input over a cap is LC_E_TOO_LARGE. */
#ifndef LC_S3PROTO_H
#define LC_S3PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/error.h"

/* ---- ListObjectsV2 ------------------------------------------------------------------------ */

struct lc_s3_list_item {
    const char *key;           /* URL-decoded when the response says EncodingType=url */
    time_t last_modified;      /* UTC epoch seconds, fraction dropped; 0 when absent */
    uint64_t size;             /* 0 when absent */
    const char *etag;          /* as sent, quotes included; "" when absent */
    const char *storage_class; /* "" when absent */
};

/* Return 0 to go on; anything else stops the parse and feed/finish return it (LC_E_CANCELLED
 * when it is not an lc_err_kind). The strings are only valid during the call. */
typedef int (*lc_s3_list_item_cb)(void *ud, const struct lc_s3_list_item *obj);
typedef int (*lc_s3_list_prefix_cb)(void *ud, const char *prefix);

struct lc_s3_list_parser_opts {
    lc_s3_list_item_cb on_object;   /* per <Contents>, may be NULL */
    lc_s3_list_prefix_cb on_prefix; /* per <CommonPrefixes><Prefix>, may be NULL */
    void *ud;
    /* The request carried encoding-type=url. Entries that arrive before <EncodingType> are
     * then held back (at most max_entries) until it is known whether to decode them; without
     * it, entries are passed on at once and a late EncodingType=url is an error. */
    bool url_requested;
    size_t max_entries; /* Contents + CommonPrefixes per page (0 = 10000) */
};

struct lc_s3_list_page {
    bool is_truncated;      /* IsTruncated */
    bool url_encoded;       /* EncodingType was "url" */
    long key_count;         /* KeyCount, -1 when absent */
    const char *next_token; /* NextContinuationToken, NULL when absent */
    size_t objects;         /* <Contents> seen */
    size_t prefixes;        /* <CommonPrefixes><Prefix> seen */
};

struct lc_s3_list_parser;

/* NULL when out of memory. */
struct lc_s3_list_parser *lc_s3_list_parser_new(const struct lc_s3_list_parser_opts *opts);
/* Feed the next chunk of a 2xx body. A body whose root is <Error> (S3 can answer 200 with an
 * error) ends as LC_E_AWS: err gets status 200, service "s3", code, message and request id. */
int lc_s3_list_parser_feed(struct lc_s3_list_parser *l, const void *data, size_t len,
                           struct lc_error *err);
int lc_s3_list_parser_finish(struct lc_s3_list_parser *l, struct lc_error *err);
/* Valid after a successful finish, until lc_s3_list_parser_free. */
const struct lc_s3_list_page *lc_s3_list_parser_page(const struct lc_s3_list_parser *l);
void lc_s3_list_parser_free(struct lc_s3_list_parser *l);

/* ---- GetBucketEncryption ----------------------------------------------------------------- */

struct lc_s3_sse_config {
    char algorithm[32];      /* SSEAlgorithm of the first rule: AES256, aws:kms, aws:kms:dsse */
    char kms_key_id[2048];   /* KMSMasterKeyID of the first rule; "" = the aws/s3 key */
    bool bucket_key_enabled; /* BucketKeyEnabled of the first rule */
    unsigned rules;          /* number of <Rule> elements */
};

/* Parse a ServerSideEncryptionConfiguration body. 0, LC_E_PARSE / LC_E_TOO_LARGE, or LC_E_AWS
 * for an <Error> document (as for lc_s3_list_parser_feed). */
int lc_s3_sse_config_parse(const void *body, size_t len, struct lc_s3_sse_config *out,
                           struct lc_error *err);

/* ---- Error documents (S3 REST, EC2, Query/STS) -------------------------------------------- */

/* What some error documents carry beyond struct lc_error. */
struct lc_aws_xml_error {
    char region[64];    /* S3 <Region>: the bucket's region (AuthorizationHeaderMalformed,
                         * PermanentRedirect, IllegalLocationConstraintException) */
    char endpoint[256]; /* S3 <Endpoint>: the host to use (PermanentRedirect, TemporaryRedirect) */
    char bucket[256];   /* S3 <BucketName> (NoSuchBucket) or <Bucket> (PermanentRedirect) */
    char type[16];      /* Query <Type>: Sender or Receiver */
};

/* Read an error body of any XML protocol:
 *   S3     <Error><Code/><Message/><RequestId/>...<Region/><Endpoint/></Error>
 *   EC2    <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>
 *   Query  <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>
 * Sets err->kind = LC_E_AWS and fills code, message and request id (a request id already in err,
 * e.g. from a header, is kept when the body has none), then classifies err; status and service
 * are the caller's. Returns 0 when the body is such a document; LC_E_PARSE when it is empty,
 * not XML or another document: err then has no code and the caller goes by the status.
 * extra may be NULL. */
int lc_aws_xml_error(const void *body, size_t len, struct lc_error *err,
                     struct lc_aws_xml_error *extra);

/* Decode an S3 encoding-type=url value ("%2F" and "+" for space) into out (size >= len + 1).
 * LC_E_PARSE on a bad escape or an encoded NUL. */
int lc_s3_url_decode(const char *in, size_t len, char *out);

#endif
