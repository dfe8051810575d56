/* S3 operations logcanary needs, over lc_aws_send. Probes call these; they never see URLs,
 * signing or XML. Every callback runs once, from the loop. */
#ifndef LC_S3_H
#define LC_S3_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "aws/aws.h"

struct lc_s3_object {
    const char *key;
    time_t last_modified;
    uint64_t size;
    const char *etag;
    const char *storage_class;
};

/* Return non-zero to stop the listing early (the result then has stopped = true). */
typedef int (*lc_s3_object_cb)(void *ud, const struct lc_s3_object *obj);

struct lc_s3_list_result {
    struct lc_error err; /* LC_OK on success */
    int requests;        /* ListObjectsV2 pages requested (retries not counted) */
    uint64_t objects;    /* objects seen */
    bool stopped;        /* the callback stopped the listing */
    bool truncated;      /* more pages existed but max_pages was reached */
};

struct lc_s3_list_req {
    struct lc_credprov *creds;
    const char *bucket;
    const char *region; /* NULL = client default */
    const char *prefix;
    const char *start_after; /* keys greater than this only */
    const char *delimiter;
    int max_keys;  /* per page, 0 = 1000 */
    int max_pages; /* 0 = no limit */
    lc_s3_object_cb on_object;
    lc_s3_object_cb on_prefix; /* CommonPrefixes (only .key is set) */
    void (*on_done)(void *ud, const struct lc_s3_list_result *res);
    void *ud;
};

/* ListObjectsV2 with pagination, parsed as a stream (pages of any size in bounded memory). */
int lc_s3_list(struct lc_aws *aws, const struct lc_s3_list_req *req, struct lc_error *err);

/* What HEAD/PUT/GET responses say about an object. */
struct lc_s3_object_info {
    uint64_t content_length;
    time_t last_modified;
    const char *etag;
    const char *sse;            /* x-amz-server-side-encryption: aws:kms, AES256, ... */
    const char *sse_kms_key_id; /* x-amz-server-side-encryption-aws-kms-key-id */
    bool bucket_key_enabled;
    const struct lc_kvlist *headers; /* everything, for x-amz-meta-* */
};

typedef void (*lc_s3_object_done_cb)(void *ud, const struct lc_s3_object_info *info,
                                     const struct lc_aws_resp *resp);

struct lc_s3_object_req {
    struct lc_credprov *creds;
    const char *bucket;
    const char *region;
    const char *key;
    /* GET: byte range [range_start, range_end] when range_end >= range_start (>= 0) */
    int64_t range_start, range_end;
    lc_http_body_cb on_body;      /* GET: streamed body */
    void (*on_restart)(void *ud); /* GET: a retry starts the body again */
    size_t max_body;
    /* PUT */
    const void *body;
    size_t body_len;
    const struct lc_kvlist *headers; /* PUT: x-amz-server-side-encryption..., x-amz-meta-... */
    lc_s3_object_done_cb on_done;
    void *ud;
};

int lc_s3_head_object(struct lc_aws *aws, const struct lc_s3_object_req *req, struct lc_error *err);
int lc_s3_get_object(struct lc_aws *aws, const struct lc_s3_object_req *req, struct lc_error *err);
int lc_s3_put_object(struct lc_aws *aws, const struct lc_s3_object_req *req, struct lc_error *err);
int lc_s3_delete_object(struct lc_aws *aws, const struct lc_s3_object_req *req,
                        struct lc_error *err);

/* GET ?encryption */
struct lc_s3_encryption {
    bool configured;        /* false: ServerSideEncryptionConfigurationNotFoundError */
    const char *algorithm;  /* AES256 | aws:kms | aws:kms:dsse */
    const char *kms_key_id; /* id, ARN or alias as configured; NULL = aws/s3 */
    bool bucket_key_enabled;
};
typedef void (*lc_s3_encryption_cb)(void *ud, const struct lc_s3_encryption *enc,
                                    const struct lc_aws_resp *resp);
int lc_s3_get_bucket_encryption(struct lc_aws *aws, struct lc_credprov *creds, const char *bucket,
                                const char *region, lc_s3_encryption_cb cb, void *ud,
                                struct lc_error *err);

/* GET ?policy: policy is the JSON text, or NULL when the bucket has none (NoSuchBucketPolicy). */
typedef void (*lc_s3_policy_cb)(void *ud, const char *policy, const struct lc_aws_resp *resp);
int lc_s3_get_bucket_policy(struct lc_aws *aws, struct lc_credprov *creds, const char *bucket,
                            const char *region, lc_s3_policy_cb cb, void *ud, struct lc_error *err);

#endif
