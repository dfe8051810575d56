/* One error type for every failure logcanary can meet: transport, HTTP, AWS, parsing, config.
 *
 * Every layer fills the same struct, so a probe can classify a failure (retry? authorization?
 * KMS?) without knowing which protocol or transport produced it.
 *
 * How a function fails. It keeps one result variable, `int rc` (0 or an lc_err_kind; in a
 * function returning a pointer, rc beside it, or the pointer itself, NULL on failure), and has at
 * most one label, `out:`, which success and failure both reach. An error path sets the result
 * (and the lc_error, saying why), then does `goto out`. Where every error path fails the same
 * way, rc may instead start as that failure (LC_E_NOMEM; LC_E_INTERNAL when each failing step
 * says why in the lc_error) and become 0 just before `out:`. Below `out:` comes what is released
 * in every case, then what only a failure undoes (`if (rc) ...`), then the return of the result.
 * Returning early is fine while nothing is held that must be released. No assignment inside a
 * condition: assign, then test. */
#ifndef LC_ERROR_H
#define LC_ERROR_H

#include <stdbool.h>
#include <stddef.h>

enum lc_err_kind {
    LC_OK = 0,
    LC_E_NOMEM,       /* allocation failed */
    LC_E_INVALID,     /* bad argument or input given to us (config, usage) */
    LC_E_NETWORK,     /* connect refused/reset, DNS, send/recv failure */
    LC_E_TIMEOUT,     /* connect or total timeout */
    LC_E_TLS,         /* certificate or handshake failure */
    LC_E_TOO_LARGE,   /* a response or decompressed body exceeded its cap */
    LC_E_PARSE,       /* malformed XML/JSON/gzip/etc. from a peer or file */
    LC_E_AWS,         /* the service answered with an error (status/code/message below) */
    LC_E_CREDENTIALS, /* no credentials could be found or refreshed */
    LC_E_CANCELLED,   /* the request was cancelled (shutdown, deadline) */
    LC_E_IO,          /* local file I/O */
    LC_E_INTERNAL,    /* a bug: an invariant did not hold */
};

struct lc_error {
    enum lc_err_kind kind;
    long status;          /* HTTP status, 0 when there was no response */
    char code[64];        /* AWS error code (AccessDenied, KMS.DisabledException, ...) */
    char message[512];    /* human-readable detail, never contains secrets */
    char request_id[128]; /* x-amz-request-id / RequestId / x-amzn-RequestId */
    char service[16];     /* s3, kms, ec2, sts, imds, ... (aws/services.h) */
    bool retryable;       /* safe to retry (throttling, 5xx, transient transport) */
    bool auth;            /* authorization / permission / signature problem */
    bool kms;             /* the failure came from (or names) KMS */
};

void lc_error_clear(struct lc_error *e);
/* Set kind and a printf-style message (truncated to fit); keeps status/code/request_id. */
void lc_error_set(struct lc_error *e, enum lc_err_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Derive retryable/auth/kms from kind, status, code and message. Idempotent. */
void lc_error_classify(struct lc_error *e);
const char *lc_err_kind_name(enum lc_err_kind kind);
/* "s3 403 AccessDenied: <message> (request id X)" into buf; returns buf. */
const char *lc_error_format(const struct lc_error *e, char *buf, size_t len);

/* Bounded copy that always terminates; returns dst. */
char *lc_strlcpy(char *dst, const char *src, size_t size);
/* The same, but a cut never splits a UTF-8 sequence (messages from peers go into reports). */
char *lc_strlcpy_utf8(char *dst, const char *src, size_t size);

#endif
