/* The HTTP engine: every transfer logcanary makes runs on one libevent loop through libcurl's
 * multi *socket* interface. The engine knows nothing about AWS: it moves bytes with caps,
 * timeouts and connection reuse. Signing, retries and error parsing live in aws.c. */
#ifndef LC_HTTP_H
#define LC_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/kv.h"

struct event_base;
struct lc_http;

struct lc_http_opts {
    int max_total;           /* concurrent transfers overall (0 = 16) */
    int max_per_host;        /* concurrent transfers per host (0 = 4) */
    long connect_timeout_ms; /* default per request (0 = 5000) */
    long timeout_ms;         /* default total per request (0 = 30000) */
    size_t max_body;         /* default cap on a buffered response body (0 = 8 MiB) */
    const char *ca_bundle;   /* custom CA file (NULL = system store); TLS is always verified */
    const char *user_agent;  /* NULL = "logcanary/<version>" */
    /* Fixed name resolution for every transfer: NULL-terminated curl CURLOPT_RESOLVE entries
     * "host:port:address[,address...]" (tests, split-horizon DNS); copied. NULL = plain DNS. */
    const char *const *resolve;
};

struct lc_http_resp {
    long status;              /* 0 when no response was received */
    struct lc_kvlist headers; /* response headers of the final response, names lowercased */
    struct lc_buf body;       /* buffered body: all of it when no on_body callback was given,
                               * otherwise only for non-2xx responses (error documents) */
    struct lc_error err;      /* kind LC_OK when an HTTP response arrived (any status);
                               * transport errors otherwise, with .retryable set */
    double total_s;           /* transfer time in seconds */
    bool reused;              /* the connection was reused (keep-alive) */
};

/* Streaming callback for 2xx bodies. Return 0 to continue, non-zero to abort the transfer
 * (the done callback then sees err.kind = LC_E_CANCELLED, or whatever the callback set). */
typedef int (*lc_http_body_cb)(void *ud, const char *data, size_t len);
/* Called exactly once per lc_http_send that returned 0, from the event loop, never re-entrantly
 * from inside lc_http_send. The response is freed after the callback returns. */
typedef void (*lc_http_done_cb)(void *ud, struct lc_http_resp *resp);

struct lc_http_req {
    const char *method;              /* GET, HEAD, PUT, POST, DELETE */
    const char *url;                 /* full URL, already encoded */
    const struct lc_kvlist *headers; /* sent exactly as given (plus Content-Length) */
    const void *body;                /* request body, copied by lc_http_send */
    size_t body_len;
    long connect_timeout_ms; /* 0 = engine default */
    long timeout_ms;         /* 0 = engine default */
    size_t max_body;         /* 0 = engine default; cap on buffered and streamed bytes */
    lc_http_body_cb on_body; /* NULL = buffer into resp->body */
    lc_http_done_cb on_done;
    void *ud;
};

struct lc_http *lc_http_new(struct event_base *base, const struct lc_http_opts *opts,
                            struct lc_error *err);
/* Cancels what is still queued or running (their done callbacks run with LC_E_CANCELLED). */
void lc_http_free(struct lc_http *h);

/* Queue a transfer. Everything in req is copied. Returns 0, or an error code with *err set
 * (then on_done is not called). Transfers beyond the concurrency caps wait in FIFO order.
 * On success, *id (if non-NULL) receives an id usable with lc_http_cancel. */
int lc_http_send(struct lc_http *h, const struct lc_http_req *req, uint64_t *id,
                 struct lc_error *err);
/* Cancel one transfer; its done callback runs (from the loop) with LC_E_CANCELLED. */
void lc_http_cancel(struct lc_http *h, uint64_t id);
void lc_http_cancel_all(struct lc_http *h);
/* Transfers queued or running. */
size_t lc_http_pending(const struct lc_http *h);

struct lc_http_stats {
    uint64_t started, completed, failed, connections_reused, bytes_received;
};
void lc_http_get_stats(const struct lc_http *h, struct lc_http_stats *out);

#endif
