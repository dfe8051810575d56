/* The AWS client layer: endpoints, signing, retries, clock skew and region redirects, on top of
 * the HTTP engine. Every AWS call logcanary makes goes through lc_aws_send; the protocol helpers
 * (S3 REST XML in s3.c, JSON 1.0/1.1 and Query in awscall.c) are thin layers over it.
 *
 * Retry policy (one place): exponential backoff with full jitter, base 100 ms, cap 20 s, at most
 * max_attempts tries, a shared retry budget per client (token bucket: a retry costs 5 tokens, a
 * timeout 10, a success refunds 1), Retry-After honoured. Only retryable errors are retried
 * (lc_error.retryable); authorization errors never. Clock skew (RequestTimeTooSkewed, or
 * SignatureDoesNotMatch while the server's Date differs by more than 5 minutes) is corrected once
 * from the server's Date header. Wrong-region S3 buckets (301 PermanentRedirect,
 * x-amz-bucket-region, AuthorizationHeaderMalformed with <Region>) are followed once. */
#ifndef LC_AWS_H
#define LC_AWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/http.h"
#include "core/kv.h"
#include "aws/sigv4.h"

struct event_base;
struct lc_aws;
struct lc_credprov;

struct lc_aws_config {
    const char *region;   /* default region (NULL = us-east-1) */
    const char *endpoint; /* aws.endpoint: base URL for every service (tests, S3-compatible) */
    const struct lc_kvlist *endpoints; /* aws.endpoints.<service>: per-service base URLs */
    bool path_style;                   /* S3 path-style addressing */
    int max_attempts;                  /* 0 = 5 */
    long base_delay_ms;                /* 0 = 100 */
    long max_delay_ms;                 /* 0 = 20000 */
    int retry_budget;                  /* tokens; 0 = 500 */
};

struct lc_aws_resp {
    long status;
    const struct lc_kvlist *headers; /* final response headers (lowercased names) */
    const struct lc_buf *body;       /* buffered body (2xx when no on_body; error bodies) */
    struct lc_error err;             /* LC_OK for 2xx (and 3xx/4xx the caller asked to accept) */
    int attempts;                    /* tries made, >= 1 */
    const char *region;              /* region finally used (after a redirect) */
};

typedef void (*lc_aws_done_cb)(void *ud, const struct lc_aws_resp *resp);

struct lc_aws_req {
    const char *service; /* signing name and endpoint prefix: a name of the services table
                          * (aws/services.h) */
    const char *region;  /* NULL = client default */
    const char *method;
    const char *bucket;              /* S3: bucket (NULL for service-level calls) */
    const char *key;                 /* S3: raw object key (NULL for bucket-level calls); REST
                                      * services: the path after its '/' */
    const struct lc_kvlist *query;   /* decoded query parameters */
    const struct lc_kvlist *headers; /* extra headers: x-amz-*, Range, Content-Type, X-Amz-Target */
    const void *body;
    size_t body_len;
    size_t max_body;              /* 0 = engine default */
    long timeout_ms;              /* 0 = engine default */
    struct lc_credprov *creds;    /* credentials; NULL = send unsigned */
    lc_http_body_cb on_body;      /* stream 2xx bodies (S3 GET, listings) */
    void (*on_restart)(void *ud); /* called before a retry of a streaming request re-sends
                                   * (the consumer resets its parser); without it, a streaming
                                   * request that already delivered bytes is not retried */
    lc_aws_done_cb on_done;       /* exactly once, from the loop */
    void *ud;
};

struct lc_aws_stats {
    uint64_t requests, retries, errors, throttles;
};

struct lc_aws *lc_aws_new(struct event_base *base, struct lc_http *http,
                          const struct lc_aws_config *cfg, struct lc_error *err);
void lc_aws_free(struct lc_aws *aws);
struct event_base *lc_aws_base(struct lc_aws *aws);
struct lc_http *lc_aws_http(struct lc_aws *aws);
const char *lc_aws_default_region(const struct lc_aws *aws);

/* Queue a call. 0, or an error code with *err set (then on_done is not called). */
int lc_aws_send(struct lc_aws *aws, const struct lc_aws_req *req, struct lc_error *err);
void lc_aws_cancel_all(struct lc_aws *aws);

/* Per service ("s3", "kms", ...); unknown services read as zero. */
void lc_aws_get_stats(const struct lc_aws *aws, const char *service, struct lc_aws_stats *out);
/* Seconds to add to the local clock when signing (learned from a skew error). */
long lc_aws_clock_offset(const struct lc_aws *aws);
/* The client's idea of now: the (test-overridable) clock plus the learned skew correction. */
time_t lc_aws_now(const struct lc_aws *aws);
/* Override the clock for tests (NULL = time()). */
void lc_aws_set_clock(struct lc_aws *aws, time_t (*now)(void));
/* Deterministic jitter for tests (NULL = random). */
void lc_aws_set_rand(struct lc_aws *aws, uint32_t (*rnd)(void));

/* Endpoints and partitions (endpoint.c). */
const char *lc_partition_for_region(const char *region);  /* aws | aws-cn | aws-us-gov */
const char *lc_dns_suffix_for_region(const char *region); /* amazonaws.com | amazonaws.com.cn */
/* Base URL (no trailing slash) and host for a service call; for S3 with a bucket, the bucket
 * lands in the host (virtual-hosted) or in *path_prefix ("/bucket") per path_style and bucket
 * name rules. Caller frees *url and *path_prefix. */
int lc_endpoint_resolve(const struct lc_aws_config *cfg, const char *service, const char *region,
                        const char *bucket, char **url, char **path_prefix, struct lc_error *err);

#endif
