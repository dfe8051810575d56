/* The AWS client layer: one call = resolve endpoint -> get credentials -> sign -> send ->
 * classify -> (retry | redirect | skew-correct) -> done. See aws.h for the policy.
 *
 * A call owns copies of everything in its request, so callers may free theirs at once. Each
 * attempt re-signs (the time changes and a redirect changes the region). Calls live in a list on
 * the client so that lc_aws_cancel_all can reach those waiting on a backoff timer, on
 * credentials or on the HTTP engine. */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "aws/aws.h"
#include "aws/awsjson.h"
#include "aws/credprov.h"
#include "core/log.h"
#include "aws/s3proto.h"
#include "aws/services.h"
#include "core/timeutil.h"

#define SKEW_LIMIT_S    300 /* AWS rejects signatures more than 15 min off; correct beyond 5 */
#define RETRY_COST      5
#define TIMEOUT_COST    10
#define RETRY_AFTER_MAX 60 /* seconds: a longer Retry-After is capped */
#define MAX_SERVICES    12

struct svc_stats {
    char name[16];
    struct lc_aws_stats s;
};

struct lc_aws {
    struct event_base *base;
    struct lc_http *http;
    char *region;
    char *endpoint;
    struct lc_kvlist endpoints;
    struct lc_aws_config cfg; /* strings point into the copies above */
    long clock_offset;
    int budget;
    int budget_max;
    time_t (*now)(void);
    uint32_t (*rnd)(void);
    struct call *calls; /* every live call */
    struct svc_stats stats[MAX_SERVICES];
};

enum call_state { WAIT_CREDS, WAIT_HTTP, WAIT_TIMER, FINISHED };

struct call {
    struct lc_aws *aws;
    struct call *next, *prev;
    enum call_state state;
    bool cancelled;
    /* copy of the request */
    char *service, *region, *method, *bucket, *key;
    struct lc_kvlist query, headers;
    void *body;
    size_t body_len, max_body;
    long timeout_ms;
    struct lc_credprov *creds;
    lc_http_body_cb on_body;
    void (*on_restart)(void *ud);
    lc_aws_done_cb on_done;
    void *ud;
    /* progress */
    int attempts;
    bool redirected, skew_fixed, token_refreshed;
    uint64_t http_id;
    uint64_t streamed; /* body bytes handed to on_body in this attempt */
    struct event *timer;
};

static time_t real_now(void)
{
    return time(NULL);
}

static uint32_t real_rand(void)
{
    uint32_t r = 0;
    if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
        r = (uint32_t)rand();
    return r;
}

static struct lc_aws_stats *stats_for(struct lc_aws *aws, const char *service)
{
    for (int i = 0; i < MAX_SERVICES; i++) {
        if (strcmp(aws->stats[i].name, service) == 0)
            return &aws->stats[i].s;
        if (!aws->stats[i].name[0]) {
            lc_strlcpy(aws->stats[i].name, service, sizeof(aws->stats[i].name));
            return &aws->stats[i].s;
        }
    }
    return &aws->stats[MAX_SERVICES - 1].s; /* more services than slots: share the last */
}

void lc_aws_get_stats(const struct lc_aws *aws, const char *service, struct lc_aws_stats *out)
{
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < MAX_SERVICES; i++)
        if (strcmp(aws->stats[i].name, service) == 0)
            *out = aws->stats[i].s;
}

struct lc_aws *lc_aws_new(struct event_base *base, struct lc_http *http,
                          const struct lc_aws_config *cfg, struct lc_error *err)
{
    struct lc_aws *aws = calloc(1, sizeof(*aws));
    int rc = LC_E_NOMEM;

    if (!aws)
        goto out;
    aws->base = base;
    aws->http = http;
    aws->now = real_now;
    aws->rnd = real_rand;
    aws->region = strdup(cfg->region ? cfg->region : "us-east-1");
    if (!aws->region)
        goto out;
    if (cfg->endpoint) {
        aws->endpoint = strdup(cfg->endpoint);
        if (!aws->endpoint)
            goto out;
    }
    if (cfg->endpoints && lc_kv_copy(&aws->endpoints, cfg->endpoints))
        goto out;
    aws->cfg = *cfg;
    aws->cfg.region = aws->region;
    aws->cfg.endpoint = aws->endpoint;
    aws->cfg.endpoints = &aws->endpoints;
    if (aws->cfg.max_attempts <= 0)
        aws->cfg.max_attempts = 5;
    if (aws->cfg.base_delay_ms <= 0)
        aws->cfg.base_delay_ms = 100;
    if (aws->cfg.max_delay_ms <= 0)
        aws->cfg.max_delay_ms = 20000;
    aws->budget_max = aws->cfg.retry_budget > 0 ? aws->cfg.retry_budget : 500;
    aws->budget = aws->budget_max;
    rc = 0;
out:
    if (rc) {
        lc_error_set(err, rc, "out of memory creating the AWS client");
        lc_aws_free(aws);
        aws = NULL;
    }
    return aws;
}

struct event_base *lc_aws_base(struct lc_aws *aws)
{
    return aws->base;
}

struct lc_http *lc_aws_http(struct lc_aws *aws)
{
    return aws->http;
}

const char *lc_aws_default_region(const struct lc_aws *aws)
{
    return aws->region;
}

long lc_aws_clock_offset(const struct lc_aws *aws)
{
    return aws->clock_offset;
}

time_t lc_aws_now(const struct lc_aws *aws)
{
    return aws->now() + aws->clock_offset;
}

void lc_aws_set_clock(struct lc_aws *aws, time_t (*now)(void))
{
    aws->now = now ? now : real_now;
}

void lc_aws_set_rand(struct lc_aws *aws, uint32_t (*rnd)(void))
{
    aws->rnd = rnd ? rnd : real_rand;
}

static void call_free(struct call *c)
{
    if (c->timer)
        event_free(c->timer);
    free(c->service);
    free(c->region);
    free(c->method);
    free(c->bucket);
    free(c->key);
    lc_kv_free(&c->query);
    lc_kv_free(&c->headers);
    free(c->body);
    free(c);
}

static void call_unlink(struct call *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        c->aws->calls = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->next = c->prev = NULL;
}

/* Deliver the result and free the call. */
static void call_finish(struct call *c, long status, const struct lc_kvlist *headers,
                        const struct lc_buf *body, const struct lc_error *err)
{
    static const struct lc_kvlist no_headers;
    static const struct lc_buf no_body;
    struct lc_aws_resp r = {
        .status = status,
        .headers = headers ? headers : &no_headers,
        .body = body ? body : &no_body,
        .err = *err,
        .attempts = c->attempts,
        .region = c->region,
    };
    struct lc_aws_stats *st = stats_for(c->aws, c->service);

    if (err->kind != LC_OK)
        st->errors++;
    c->state = FINISHED;
    call_unlink(c);
    if (c->on_done)
        c->on_done(c->ud, &r);
    call_free(c);
}

static void finish_error(struct call *c, const struct lc_error *err)
{
    call_finish(c, err->status, NULL, NULL, err);
}

static int start_attempt(struct call *c);

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct call *c = arg;
    (void)fd;
    (void)what;
    if (start_attempt(c) != 0)
        return; /* start_attempt finished the call */
}

/* Full-jitter exponential backoff: random in [0, min(cap, base * 2^attempt)], but never less
 * than what the server asked for in Retry-After. */
static long backoff_ms(struct call *c, long retry_after_s)
{
    const struct lc_aws_config *cfg = &c->aws->cfg;
    long ceiling = cfg->base_delay_ms;
    for (int i = 1; i < c->attempts && ceiling < cfg->max_delay_ms; i++)
        ceiling *= 2;
    if (ceiling > cfg->max_delay_ms)
        ceiling = cfg->max_delay_ms;
    long delay = (long)(c->aws->rnd() % (uint32_t)(ceiling + 1));
    if (retry_after_s > 0) {
        if (retry_after_s > RETRY_AFTER_MAX)
            retry_after_s = RETRY_AFTER_MAX;
        if (delay < retry_after_s * 1000)
            delay = retry_after_s * 1000;
    }
    return delay;
}

static void schedule(struct call *c, long delay_ms)
{
    struct timeval tv = {.tv_sec = delay_ms / 1000, .tv_usec = (delay_ms % 1000) * 1000};
    struct lc_error err;

    if (!c->timer)
        c->timer = evtimer_new(c->aws->base, on_timer, c);
    if (!c->timer) {
        lc_error_clear(&err);
        lc_error_set(&err, LC_E_NOMEM, "out of memory scheduling a retry");
        finish_error(c, &err);
        return;
    }
    c->state = WAIT_TIMER;
    evtimer_add(c->timer, &tv);
}

/* Retry-After: delta-seconds or an HTTP date. */
static long parse_retry_after(struct lc_aws *aws, const struct lc_kvlist *h)
{
    const char *v = lc_kv_get(h, "retry-after");
    if (!v || !*v)
        return 0;
    char *end;
    long s = strtol(v, &end, 10);
    if (*end == '\0' && s >= 0)
        return s;
    time_t t;
    if (lc_time_parse_http(v, &t) == 0) {
        long d = (long)(t - aws->now());
        return d > 0 ? d : 0;
    }
    return 0;
}

/* JSON and REST-JSON services answer errors in JSON; the others (and unknown ones) in XML. */
static bool is_json_service(const char *service)
{
    const struct lc_aws_service *svc = lc_aws_service_find(service);
    return svc && (svc->protocol == LC_AWS_JSON || svc->protocol == LC_AWS_REST_JSON);
}

/* The one place where an HTTP error response becomes an lc_error: the protocol's error document
 * when there is one, else a code named after the status (HEAD and some errors have no body). */
static void response_error(const char *service, long status, const struct lc_kvlist *headers,
                           const struct lc_buf *body, struct lc_error *err, char *region,
                           size_t region_len)
{
    struct lc_aws_xml_error extra;
    const char *rid = lc_kv_get(headers, "x-amz-request-id");
    int rc = LC_E_PARSE;

    lc_error_clear(err);
    if (!rid)
        rid = lc_kv_get(headers, "x-amzn-requestid");
    if (rid)
        lc_strlcpy(err->request_id, rid, sizeof(err->request_id));
    memset(&extra, 0, sizeof(extra));
    if (body->len > 0) {
        if (is_json_service(service))
            rc = lc_awsjson_error(body->data, body->len, headers, err);
        else
            rc = lc_aws_xml_error(body->data, body->len, err, &extra);
    }
    err->kind = LC_E_AWS;
    err->status = status;
    lc_strlcpy(err->service, service, sizeof(err->service));
    if (rc != 0 || !err->code[0]) {
        const char *code = status == 301   ? "PermanentRedirect"
                           : status == 307 ? "TemporaryRedirect"
                           : status == 400 ? "BadRequest"
                           : status == 403 ? "Forbidden"
                           : status == 404 ? "NotFound"
                           : status == 412 ? "PreconditionFailed"
                           : status == 429 ? "TooManyRequests"
                                           : "";
        lc_strlcpy(err->code, code, sizeof(err->code));
        if (!err->message[0])
            snprintf(err->message, sizeof(err->message), "HTTP %ld with no error document", status);
    }
    lc_strlcpy(region, extra.region, region_len);
    lc_error_classify(err);
}

/* Decide what to do with a failed attempt: 1 = retried/redirected (call continues),
 * 0 = give up (caller finishes the call). */
static int maybe_retry(struct call *c, struct lc_error *err, const struct lc_kvlist *headers,
                       const char *err_region)
{
    struct lc_aws *aws = c->aws;
    struct lc_aws_stats *st = stats_for(aws, c->service);

    if (c->cancelled)
        return 0;
    /* A wrong-region bucket: follow once to the region S3 names. A 400 counts when it is
     * AuthorizationHeaderMalformed, or a HEAD (no body, so no code) naming a region. */
    if (!c->redirected && strcmp(c->service, "s3") == 0 &&
        (err->status == 301 || err->status == 307 || err->status == 400)) {
        const char *r = headers ? lc_kv_get(headers, "x-amz-bucket-region") : NULL;
        bool head = strcmp(c->method, "HEAD") == 0;
        if ((!r || !*r) && err_region && *err_region)
            r = err_region;
        if (r && *r && strcmp(r, c->region) != 0 &&
            (err->status != 400 || head ||
             strcmp(err->code, "AuthorizationHeaderMalformed") == 0)) {
            LC_INFO("aws", "bucket %s is in %s, not %s: following once", c->bucket ? c->bucket : "",
                    r, c->region);
            char *nr = strdup(r);
            if (!nr)
                return 0;
            free(c->region);
            c->region = nr;
            c->redirected = true;
            schedule(c, 0);
            return 1;
        }
    }
    /* Clock skew: correct from the server's Date once. */
    if (!c->skew_fixed && headers &&
        (strcmp(err->code, "RequestTimeTooSkewed") == 0 ||
         strcmp(err->code, "SignatureDoesNotMatch") == 0 ||
         strcmp(err->code, "InvalidSignatureException") == 0 ||
         strcmp(err->code, "AuthFailure") == 0)) {
        const char *d = lc_kv_get(headers, "date");
        time_t server;
        if (d && lc_time_parse_http(d, &server) == 0) {
            long diff = (long)(server - aws->now());
            long prev = aws->clock_offset;
            if (labs(diff) > SKEW_LIMIT_S ||
                (strcmp(err->code, "RequestTimeTooSkewed") == 0 && labs(diff - prev) > 60)) {
                LC_WARN("aws", "local clock is %+lds off the %s server's: correcting", -diff,
                        c->service);
                aws->clock_offset = diff;
                c->skew_fixed = true;
                schedule(c, 0);
                return 1;
            }
        }
    }
    /* Expired temporary credentials: refresh once. */
    if (!c->token_refreshed && c->creds &&
        (strcmp(err->code, "ExpiredToken") == 0 ||
         strcmp(err->code, "ExpiredTokenException") == 0 ||
         strcmp(err->code, "RequestExpired") == 0)) {
        lc_credprov_invalidate(c->creds);
        c->token_refreshed = true;
        schedule(c, 0);
        return 1;
    }
    if (!err->retryable || c->attempts >= aws->cfg.max_attempts)
        return 0;
    if (c->streamed > 0 && !c->on_restart)
        return 0;
    int cost = err->kind == LC_E_TIMEOUT ? TIMEOUT_COST : RETRY_COST;
    if (aws->budget < cost) {
        LC_WARN("aws", "retry budget exhausted: not retrying %s", c->service);
        return 0;
    }
    aws->budget -= cost;
    st->retries++;
    if (err->status == 429 || strstr(err->code, "Throttl") || strcmp(err->code, "SlowDown") == 0 ||
        strcmp(err->code, "RequestLimitExceeded") == 0)
        st->throttles++;
    if (c->streamed > 0)
        c->on_restart(c->ud);
    long delay = backoff_ms(c, headers ? parse_retry_after(aws, headers) : 0);
    LC_DEBUG("aws", "%s attempt %d failed (%s %s): retrying in %ld ms", c->service, c->attempts,
             lc_err_kind_name(err->kind), err->code, delay);
    schedule(c, delay);
    return 1;
}

static int body_tap(void *ud, const char *data, size_t len)
{
    struct call *c = ud;
    c->streamed += len;
    return c->on_body(c->ud, data, len);
}

static void on_http_done(void *ud, struct lc_http_resp *hr)
{
    struct call *c = ud;
    struct lc_error err = hr->err;
    char region[64] = "";

    c->http_id = 0;
    lc_strlcpy(err.service, c->service, sizeof(err.service));
    if (c->cancelled) {
        lc_error_set(&err, LC_E_CANCELLED, "%s request cancelled", c->service);
        finish_error(c, &err);
        return;
    }
    if (err.kind == LC_OK && hr->status >= 200 && hr->status < 300) {
        if (c->aws->budget < c->aws->budget_max)
            c->aws->budget++;
        call_finish(c, hr->status, &hr->headers, &hr->body, &err);
        return;
    }
    if (err.kind == LC_OK) {
        /* The service answered with an error. */
        response_error(c->service, hr->status, &hr->headers, &hr->body, &err, region,
                       sizeof(region));
    } else {
        lc_error_classify(&err);
    }
    if (maybe_retry(c, &err, err.kind == LC_E_AWS ? &hr->headers : NULL, region))
        return;
    call_finish(c, hr->status, &hr->headers, &hr->body, &err);
}

/* The query string as sent: "?encryption", not "?encryption=" (S3 subresources; some servers
 * only know the bare form). The signature canonicalises both the same way. */
static int wire_query(const struct lc_kvlist *q, struct lc_buf *out)
{
    int rc = 0;
    for (size_t i = 0; !rc && i < q->n; i++) {
        const struct lc_kv *kv = &q->items[i];
        if (i)
            rc = lc_buf_putc(out, '&');
        if (!rc)
            rc = lc_uri_encode(out, kv->name, strlen(kv->name), false);
        if (!rc && kv->value[0]) {
            rc = lc_buf_putc(out, '=');
            if (!rc)
                rc = lc_uri_encode(out, kv->value, strlen(kv->value), false);
        }
    }
    return rc;
}

/* Build the URL and headers for this attempt, sign them, and hand them to the HTTP engine. */
static int send_signed(struct call *c, const struct lc_creds *creds)
{
    struct lc_aws *aws = c->aws;
    struct lc_kvlist headers = {0};
    struct lc_buf path = {0}, url = {0}, query = {0};
    char *base = NULL, *prefix = NULL;
    struct lc_error err;
    int rc;

    lc_error_clear(&err);
    lc_strlcpy(err.service, c->service, sizeof(err.service));
    rc = lc_endpoint_resolve(&aws->cfg, c->service, c->region, c->bucket, &base, &prefix, &err);
    if (rc)
        goto out;
    /* Path: "/bucket" (path style) + "/" + key encoded once, "/" kept (the S3 rule). */
    rc = lc_buf_append(&path, prefix, strlen(prefix));
    if (!rc)
        rc = lc_buf_putc(&path, '/');
    if (!rc && c->key)
        rc = lc_uri_encode(&path, c->key, strlen(c->key), true);
    if (!rc)
        rc = wire_query(&c->query, &query);
    if (!rc)
        rc = lc_buf_appendf(&url, "%s%s%s%s", base, path.data, query.len ? "?" : "",
                            query.len ? query.data : "");
    if (!rc)
        rc = lc_kv_copy(&headers, &c->headers);
    if (rc) {
        lc_error_set(&err, rc, "cannot build the %s request", c->service);
        goto out;
    }
    /* Host as sent: the authority of the URL. */
    {
        const char *h = strstr(base, "://") + 3;
        size_t hl = strcspn(h, "/?");
        char host[300];
        if (hl >= sizeof(host)) {
            rc = LC_E_INVALID;
            lc_error_set(&err, rc, "endpoint host too long");
            goto out;
        }
        memcpy(host, h, hl);
        host[hl] = '\0';
        rc = lc_kv_set(&headers, "Host", host);
        if (rc) {
            lc_error_set(&err, rc, "out of memory");
            goto out;
        }
    }
    if (creds) {
        struct lc_sigv4_req sr = {
            .method = c->method,
            .path = path.data,
            .query = &c->query,
            .headers = &headers,
            .body = c->body,
            .body_len = c->body_len,
            .region = c->region,
            .service = c->service,
            .flavor = strcmp(c->service, "s3") == 0 ? LC_SIGV4_S3 : LC_SIGV4_GENERIC,
            .when = aws->now() + aws->clock_offset,
        };
        rc = lc_sigv4_sign(&sr, creds, NULL);
        if (rc) {
            lc_error_set(&err, rc, "cannot sign the %s request", c->service);
            goto out;
        }
    }
    c->attempts++;
    c->streamed = 0;
    stats_for(aws, c->service)->requests++;
    struct lc_http_req hr = {
        .method = c->method,
        .url = url.data,
        .headers = &headers,
        .body = c->body,
        .body_len = c->body_len,
        .timeout_ms = c->timeout_ms,
        .max_body = c->max_body,
        .on_body = c->on_body ? body_tap : NULL,
        .on_done = on_http_done,
        .ud = c,
    };
    c->state = WAIT_HTTP;
    rc = lc_http_send(aws->http, &hr, &c->http_id, &err);
out:
    if (rc) {
        if (!err.kind)
            lc_error_set(&err, rc, "cannot send the %s request", c->service);
        lc_strlcpy(err.service, c->service, sizeof(err.service));
        finish_error(c, &err);
        rc = -1;
    }
    lc_kv_free(&headers);
    lc_buf_free(&path);
    lc_buf_free(&url);
    lc_buf_free(&query);
    free(base);
    free(prefix);
    return rc;
}

static void on_creds(void *ud, const struct lc_creds *creds, const struct lc_error *cerr)
{
    struct call *c = ud;
    if (c->cancelled) {
        struct lc_error err;
        lc_error_clear(&err);
        lc_error_set(&err, LC_E_CANCELLED, "%s request cancelled", c->service);
        lc_strlcpy(err.service, c->service, sizeof(err.service));
        finish_error(c, &err);
        return;
    }
    if (!creds) {
        struct lc_error err = *cerr;
        if (err.kind == LC_OK)
            lc_error_set(&err, LC_E_CREDENTIALS, "no credentials");
        finish_error(c, &err);
        return;
    }
    send_signed(c, creds);
}

/* 0 = the attempt is under way; -1 = the call was finished (and freed). */
static int start_attempt(struct call *c)
{
    struct lc_error err;

    if (c->cancelled) {
        lc_error_clear(&err);
        lc_error_set(&err, LC_E_CANCELLED, "%s request cancelled", c->service);
        lc_strlcpy(err.service, c->service, sizeof(err.service));
        finish_error(c, &err);
        return -1;
    }
    if (!c->creds)
        return send_signed(c, NULL);
    c->state = WAIT_CREDS;
    lc_error_clear(&err);
    if (lc_credprov_get(c->creds, on_creds, c, &err) != 0) {
        finish_error(c, &err);
        return -1;
    }
    return 0;
}

static void on_first_attempt(evutil_socket_t fd, short what, void *arg)
{
    on_timer(fd, what, arg);
}

static char *dup_or_null(const char *s, bool *ok)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *ok = false;
    return d;
}

int lc_aws_send(struct lc_aws *aws, const struct lc_aws_req *req, struct lc_error *err)
{
    bool ok = true;
    struct call *c = calloc(1, sizeof(*c));
    int rc = 0;

    if (!c) {
        lc_error_set(err, LC_E_NOMEM, "out of memory");
        return LC_E_NOMEM;
    }
    c->aws = aws;
    c->service = dup_or_null(req->service, &ok);
    c->region = dup_or_null(req->region ? req->region : aws->region, &ok);
    c->method = dup_or_null(req->method ? req->method : "GET", &ok);
    c->bucket = dup_or_null(req->bucket, &ok);
    c->key = dup_or_null(req->key, &ok);
    if (req->query && lc_kv_copy(&c->query, req->query))
        ok = false;
    if (req->headers && lc_kv_copy(&c->headers, req->headers))
        ok = false;
    if (req->body_len) {
        c->body = malloc(req->body_len);
        if (c->body)
            memcpy(c->body, req->body, req->body_len);
        else
            ok = false;
    }
    c->body_len = req->body_len;
    c->max_body = req->max_body;
    c->timeout_ms = req->timeout_ms;
    c->creds = req->creds;
    c->on_body = req->on_body;
    c->on_restart = req->on_restart;
    c->on_done = req->on_done;
    c->ud = req->ud;
    if (!req->service) {
        lc_error_set(err, LC_E_INVALID, "AWS call without a service");
        rc = LC_E_INVALID;
        goto out;
    }
    /* Start from the loop so that on_done never runs inside lc_aws_send. */
    if (ok)
        c->timer = evtimer_new(aws->base, on_first_attempt, c);
    if (!c->timer) {
        lc_error_set(err, LC_E_NOMEM, "out of memory queueing a %s call", req->service);
        rc = LC_E_NOMEM;
        goto out;
    }
    c->next = aws->calls;
    if (aws->calls)
        aws->calls->prev = c;
    aws->calls = c;
    c->state = WAIT_TIMER;
    struct timeval zero = {0, 0};
    evtimer_add(c->timer, &zero);
out:
    if (rc)
        call_free(c);
    return rc;
}

void lc_aws_cancel_all(struct lc_aws *aws)
{
    /* Calls in flight on the HTTP engine or waiting for credentials finish from the loop when
     * their callback arrives and sees the flag. Calls waiting on a timer finish here. Finishing
     * runs user callbacks that may queue new calls: those are not cancelled. */
    for (struct call *c = aws->calls; c; c = c->next) {
        c->cancelled = true;
        if (c->state == WAIT_HTTP && c->http_id)
            lc_http_cancel(aws->http, c->http_id);
    }
    for (;;) {
        struct call *c = aws->calls;
        while (c && !(c->cancelled && c->state == WAIT_TIMER))
            c = c->next;
        if (!c)
            break;
        struct lc_error err;
        lc_error_clear(&err);
        lc_error_set(&err, LC_E_CANCELLED, "%s request cancelled", c->service);
        lc_strlcpy(err.service, c->service, sizeof(err.service));
        finish_error(c, &err);
    }
}

void lc_aws_free(struct lc_aws *aws)
{
    if (!aws)
        return;
    while (aws->calls) {
        struct call *c = aws->calls;
        /* A provider that outlives us must not call back into a freed call. */
        if (c->state == WAIT_CREDS && c->creds)
            lc_credprov_cancel(c->creds, on_creds, c);
        call_unlink(c);
        call_free(c);
    }
    free(aws->region);
    free(aws->endpoint);
    lc_kv_free(&aws->endpoints);
    free(aws);
}
