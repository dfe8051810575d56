/* AWS Signature Version 4 (header-based), computed with OpenSSL.
 *
 * Two flavours, as AWS defines them:
 * - S3: the canonical URI is the request path exactly as sent (each key segment URI-encoded
 *   once, no dot-segment removal, "//" kept) and x-amz-content-sha256 is always sent.
 * - generic (KMS, EC2, STS, ...): the path is normalised (dot-segments removed) and encoded
 *   a second time.
 * Query parameters are given decoded; the signer encodes and sorts them, and
 * lc_sigv4_query_string builds the matching query string for the URL. */
#ifndef LC_SIGV4_H
#define LC_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/buf.h"
#include "core/kv.h"

struct lc_creds {
    char *access_key_id;
    char *secret_access_key;
    char *session_token; /* NULL for long-term keys */
    time_t expiration;   /* 0 = does not expire */
};

enum lc_sigv4_flavor { LC_SIGV4_GENERIC = 0, LC_SIGV4_S3 = 1 };

struct lc_sigv4_req {
    const char *method;
    const char *path;              /* encoded path as sent, beginning with "/" */
    const struct lc_kvlist *query; /* decoded names and values; may be NULL */
    struct lc_kvlist *headers;     /* the headers that will be sent; must contain Host.
                                    * The signer adds X-Amz-Date, X-Amz-Security-Token (when the
                                    * credentials have one), X-Amz-Content-Sha256 (S3 flavour)
                                    * and Authorization. */
    const void *body;
    size_t body_len;
    const char *payload_hash; /* NULL = hex SHA-256 of body; or "UNSIGNED-PAYLOAD" */
    const char *region;
    const char *service; /* signing name: s3, kms, ec2, sts, ... (aws/services.h) */
    enum lc_sigv4_flavor flavor;
    time_t when; /* signing time (UTC epoch seconds) */
};

/* What the signer computed, for tests and debugging. Free with lc_sigv4_trace_free. */
struct lc_sigv4_trace {
    char *canonical_request;
    char *string_to_sign;
    char signature[65];
};

/* Sign: adds the headers listed above to req->headers. Returns 0 or an lc_err_kind. */
int lc_sigv4_sign(struct lc_sigv4_req *req, const struct lc_creds *creds,
                  struct lc_sigv4_trace *trace);
void lc_sigv4_trace_free(struct lc_sigv4_trace *t);

/* RFC 3986 encoding as SigV4 wants it: unreserved characters kept, everything else %XX
 * (uppercase); "/" kept when keep_slash. Appends to out. */
int lc_uri_encode(struct lc_buf *out, const char *s, size_t len, bool keep_slash);
/* "a=1&b=2" from decoded parameters, sorted and encoded exactly like the canonical query. */
int lc_sigv4_query_string(const struct lc_kvlist *query, struct lc_buf *out);
/* Hex SHA-256 (65 bytes incl. NUL). */
void lc_sha256_hex(const void *data, size_t len, char out[65]);

void lc_creds_clear(struct lc_creds *c);
int lc_creds_copy(struct lc_creds *dst, const struct lc_creds *src);

#endif
