/* Webhook alerts: rendering, signing and the ordered, retried send of the outbox. */
#include "outputs/alerts.h"

#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/http.h"
#include "outputs/sinks/sink.h"
#include "core/log.h"
#include "core/timeutil.h"

#define SNIPPET_MAX 160

/* ---- helpers ----------------------------------------------------------------------------- */

const char *lc_redact_url(const char *url, char *buf, size_t len)
{
    const char *p = url ? strstr(url, "://") : NULL;
    size_t scheme, host;

    if (!len)
        return buf;
    if (!p || p == url) {
        lc_strlcpy(buf, "***", len);
        return buf;
    }
    scheme = (size_t)(p - url);
    p += 3;
    host = strcspn(p, "/?#");
    if (memchr(p, '@', host)) { /* never show credentials */
        const char *at = memchr(p, '@', host);
        host -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    snprintf(buf, len, "%.*s://%.*s%s", (int)scheme, url, (int)host, p, p[host] ? "/***" : "");
    return buf;
}

static void hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

const char *lc_alert_dedup_key(const char *incident_key, char out[LC_DEDUP_KEY_LEN])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    char h[2 * EVP_MAX_MD_SIZE + 1];

    if (!EVP_Digest(incident_key, strlen(incident_key), md, &n, EVP_sha256(), NULL) || n < 16) {
        out[0] = '\0';
        return out;
    }
    hex(md, 16, h);
    snprintf(out, LC_DEDUP_KEY_LEN, "logcanary-%.32s", h);
    return out;
}

int lc_alert_sign(const char *secret, const char *timestamp, const char *body, size_t len,
                  char out[LC_SIGNATURE_LEN])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t maclen = 0, tlen = strlen(timestamp);
    unsigned char *msg = malloc(tlen + 1 + len);

    out[0] = '\0';
    if (!msg)
        return LC_E_NOMEM;
    memcpy(msg, timestamp, tlen);
    msg[tlen] = '.';
    if (len)
        memcpy(msg + tlen + 1, body, len);
    if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, strlen(secret), msg, tlen + 1 + len,
                   mac, sizeof(mac), &maclen) ||
        maclen != 32) {
        free(msg);
        return LC_E_INTERNAL;
    }
    free(msg);
    memcpy(out, "sha256=", 7);
    hex(mac, 32, out + 7);
    return 0;
}

int lc_alert_render(const struct lc_webhook_cfg *sink, enum lc_notify_kind kind, const cJSON *event,
                    struct lc_buf *out)
{
    const cJSON *finding = cJSON_GetObjectItemCaseSensitive(event, "finding");

    if (!cJSON_IsObject(finding) || !sink->sink)
        return LC_E_INVALID;
    return sink->sink->render(sink, kind, event, finding, out);
}

int lc_alert_headers(const struct lc_webhook_cfg *sink, enum lc_notify_kind kind, uint64_t seq,
                     time_t now, const char *body, size_t len, struct lc_kvlist *out)
{
    char num[32];
    int rc;

    rc = lc_kv_add(out, "Content-Type", "application/json");
    if (!rc)
        rc = lc_kv_add(out, "X-Logcanary-Event", lc_notify_kind_name(kind));
    snprintf(num, sizeof(num), "%llu", (unsigned long long)seq);
    if (!rc)
        rc = lc_kv_add(out, "X-Logcanary-Delivery", num);
    if (!rc && sink->sink && sink->sink->headers)
        rc = sink->sink->headers(sink, now, body, len, out);
    return rc;
}

int lc_alerts_enqueue(struct lc_state *st, const struct lc_webhook_cfg *sinks, size_t n_sinks,
                      const struct lc_notifications *nl, time_t now)
{
    for (size_t i = 0; i < nl->n; i++) {
        for (size_t k = 0; k < n_sinks; k++) {
            int rc = lc_state_outbox_push(st, sinks[k].name, nl->items[i].kind,
                                          nl->items[i].incident_key, nl->items[i].event, now);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* ---- sending ----------------------------------------------------------------------------- */

struct send_ctx;

struct sink_run {
    struct send_ctx *ctx;
    const struct lc_webhook_cfg *cfg;
    struct lc_sink_result *res;
    struct event *timer;
    uint64_t after; /* items with a greater seq are next */
    uint64_t cur;   /* item being sent (0 = none) */
    int tries;      /* tries of cur in this send */
    bool done;
};

struct send_ctx {
    struct event_base *base;
    struct lc_http *http;
    struct lc_state *st;
    struct lc_alerts_opts o;
    struct sink_run *runs;
    size_t n_runs, n_done;
    struct lc_alerts_result *res;
    struct timespec start;
    lc_alerts_done_cb done;
    void *ud;
    bool finished;
};

static time_t wall_now(const struct send_ctx *c)
{
    return c->o.now ? c->o.now() : time(NULL);
}

static long elapsed_ms(const struct send_ctx *c)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long)(now.tv_sec - c->start.tv_sec) * 1000 + (now.tv_nsec - c->start.tv_nsec) / 1000000;
}

static uint32_t jitter_rand(const struct send_ctx *c)
{
    uint32_t r = 0;
    if (c->o.rnd)
        return c->o.rnd();
    if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
        r = (uint32_t)rand();
    return r;
}

/* Replace every occurrence of needle (when long enough to mean something) with "***". */
static void scrub_one(char *s, size_t cap, const char *needle)
{
    size_t nl = needle ? strlen(needle) : 0;
    char *p;

    if (nl < 4)
        return;
    for (p = strstr(s, needle); p; p = strstr(s, needle)) {
        size_t tail = strlen(p + nl);
        if (p + 3 + tail + 1 > s + cap)
            tail = cap - (size_t)(p - s) - 4;
        memmove(p + 3, p + nl, tail);
        p[3 + tail] = '\0';
        memcpy(p, "***", 3);
    }
}

/* Scrub a sink's secrets from a message: the URL, its path and query, secret, routing key. */
static void scrub(const struct lc_webhook_cfg *cfg, char *s, size_t cap)
{
    const char *p = cfg->url ? strstr(cfg->url, "://") : NULL;

    scrub_one(s, cap, cfg->url);
    if (p) {
        p += 3;
        p += strcspn(p, "/?");
        if (strlen(p) > 1)
            scrub_one(s, cap, p);
    }
    /* the sink's own secrets: its keys marked secret */
    const struct lc_cfg_map *m = cfg->sink ? cfg->sink->cfg.options : NULL;
    for (size_t i = 0; m && i < m->n; i++)
        if (m->e[i].flags & LC_CFG_SECRET)
            scrub_one(s, cap, lc_cfg_option_string(&cfg->sink->cfg, cfg->options, m->e[i].key));
}

static void finish_ctx(struct send_ctx *c);
static void next_item(struct sink_run *r);
static void deliver_cb(evutil_socket_t fd, short what, void *arg);

static void sink_done(struct sink_run *r)
{
    if (r->done)
        return;
    r->done = true;
    r->cur = 0;
    r->ctx->n_done++;
    if (r->ctx->n_done == r->ctx->n_runs)
        finish_ctx(r->ctx);
}

/* The first queued item of this sink after r->after. */
static struct lc_outbox_item *find_next(struct sink_run *r)
{
    struct lc_state *st = r->ctx->st;
    for (size_t i = 0; i < st->n_outbox; i++)
        if (st->outbox[i].seq > r->after && strcmp(st->outbox[i].sink, r->cfg->name) == 0)
            return &st->outbox[i];
    return NULL;
}

static void set_problem(struct sink_run *r, struct lc_outbox_item *it, const char *msg)
{
    lc_strlcpy(r->res->problem, msg, sizeof(r->res->problem));
    scrub(r->cfg, r->res->problem, sizeof(r->res->problem));
    if (it) {
        free(it->last_error);
        it->last_error = strdup(r->res->problem);
    }
}

/* The first line of a response body, printable ASCII only, for messages. */
static void snippet(const struct lc_buf *b, char *out, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; b->data && i < b->len && n + 1 < len && n < SNIPPET_MAX; i++) {
        unsigned char ch = (unsigned char)b->data[i];
        if (ch == '\n' || ch == '\r')
            break;
        out[n++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
    }
    out[n] = '\0';
}

static void retry_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    next_item(arg);
}

/* Schedule the next try of r->cur, or give up on this sink for this send. */
static void retry_later(struct sink_run *r, const struct lc_http_resp *resp)
{
    struct send_ctx *c = r->ctx;
    long d = c->o.base_delay_ms;
    const char *ra = resp ? lc_kv_get(&resp->headers, "retry-after") : NULL;

    for (int i = 1; i < r->tries && d < c->o.max_delay_ms; i++)
        d *= 2;
    if (d > c->o.max_delay_ms)
        d = c->o.max_delay_ms;
    d = d / 2 + (long)(jitter_rand(c) % (uint32_t)(d / 2 + 1));
    if (ra) {
        char *end;
        long secs = strtol(ra, &end, 10);
        if (end != ra && !*end && secs >= 0)
            d = secs * 1000 > c->o.max_delay_ms ? c->o.max_delay_ms : secs * 1000;
    }
    if (r->tries >= c->o.max_attempts || elapsed_ms(c) + d > c->o.budget_ms) {
        char redacted[LC_REDACTED_URL_MAX];
        LC_WARN("alerts",
                "sink %s (%s): giving up for this run after %d tries: %s; the "
                "notifications stay queued for the next run",
                r->cfg->name, lc_redact_url(r->cfg->url, redacted, sizeof(redacted)), r->tries,
                r->res->problem);
        sink_done(r);
        return;
    }
    LC_INFO("alerts", "sink %s: %s; retry %d/%d in %ld ms", r->cfg->name, r->res->problem,
            r->tries + 1, c->o.max_attempts, d);
    struct timeval tv = {d / 1000, (d % 1000) * 1000};
    evtimer_add(r->timer, &tv);
}

static void on_http_done(void *ud, struct lc_http_resp *resp)
{
    struct sink_run *r = ud;
    struct send_ctx *c = r->ctx;
    struct lc_outbox_item *it = lc_state_outbox_get(c->st, r->cur);
    char msg[700], snip[SNIPPET_MAX + 1], redacted[LC_REDACTED_URL_MAX];
    long status = resp->status;

    lc_redact_url(r->cfg->url, redacted, sizeof(redacted));
    r->res->last_status = status;
    if (!it) { /* cannot happen: the outbox is ours while sending */
        sink_done(r);
        return;
    }
    it->attempts++;
    it->last_attempt = wall_now(c);
    if (resp->err.kind == LC_OK && status >= 200 && status < 300) {
        LC_INFO("alerts", "sink %s: delivered %s of %s (HTTP %ld)", r->cfg->name,
                lc_notify_kind_name(it->kind), it->incident_key, status);
        r->after = r->cur;
        lc_state_outbox_remove(c->st, r->cur);
        r->res->delivered++;
        r->tries = 0;
        next_item(r);
        return;
    }
    r->res->failures++;
    if (resp->err.kind != LC_OK) {
        char e[600];
        snprintf(msg, sizeof(msg), "request to %s failed: %s", redacted,
                 lc_error_format(&resp->err, e, sizeof(e)));
        set_problem(r, it, msg);
        if (resp->err.kind == LC_E_CANCELLED) {
            sink_done(r);
            return;
        }
        retry_later(r, NULL);
        return;
    }
    snippet(&resp->body, snip, sizeof(snip));
    snprintf(msg, sizeof(msg), "HTTP %ld from %s%s%s", status, redacted, snip[0] ? ": " : "", snip);
    set_problem(r, it, msg);
    if (status == 408 || status == 429 || status >= 500) {
        retry_later(r, resp);
        return;
    }
    /* The sink rejects the request: misconfigured (URL, key) or a payload it refuses. */
    r->res->misconfigured = true;
    LC_ERR("alerts", "sink %s is misconfigured: %s; the %s of %s moves to the dead letters",
           r->cfg->name, r->res->problem, lc_notify_kind_name(it->kind), it->incident_key);
    r->after = r->cur;
    if (lc_state_outbox_kill(c->st, r->cur, r->res->problem) == 0)
        r->res->dead++;
    r->tries = 0;
    next_item(r);
}

/* Send the current item again, or the next one. */
static void next_item(struct sink_run *r)
{
    struct send_ctx *c = r->ctx;
    struct lc_outbox_item *it = r->cur ? lc_state_outbox_get(c->st, r->cur) : NULL;
    struct lc_buf body = {0};
    struct lc_kvlist headers = {0};
    struct lc_error err;
    int rc;

    if (!it) {
        it = find_next(r);
        r->tries = 0;
    }
    if (!it || elapsed_ms(c) > c->o.budget_ms) {
        sink_done(r);
        return;
    }
    r->cur = it->seq;
    r->tries++;
    rc = lc_alert_render(r->cfg, it->kind, it->event, &body);
    if (rc == LC_E_INVALID) { /* a broken event cannot be sent, ever */
        r->after = it->seq;
        set_problem(r, it, "the queued event has no finding");
        if (lc_state_outbox_kill(c->st, it->seq, "the queued event has no finding") == 0)
            r->res->dead++;
        r->cur = 0;
        next_item(r);
        return;
    }
    if (!rc)
        rc =
            lc_alert_headers(r->cfg, it->kind, it->seq, wall_now(c), body.data, body.len, &headers);
    if (!rc) {
        long timeout = (long)r->cfg->timeout_s * 1000;
        struct lc_http_req req = {
            .method = "POST",
            .url = r->cfg->url,
            .headers = &headers,
            .body = body.data,
            .body_len = body.len,
            .connect_timeout_ms = timeout < 5000 ? timeout : 5000,
            .timeout_ms = timeout,
            .max_body = 64 * 1024,
            .on_done = on_http_done,
            .ud = r,
        };
        rc = lc_http_send(c->http, &req, NULL, &err);
        if (rc) {
            char msg[700];
            snprintf(msg, sizeof(msg), "cannot send: %s", err.message);
            set_problem(r, it, msg);
        }
    } else {
        set_problem(r, it, "out of memory rendering the notification");
    }
    lc_buf_free(&body);
    lc_kv_free(&headers);
    if (rc) {
        r->res->failures++;
        LC_ERR("alerts", "sink %s: %s", r->cfg->name, r->res->problem);
        sink_done(r); /* stays queued */
    }
}

static void start_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct sink_run *r = arg;
    (void)fd;
    (void)what;
    event_assign(r->timer, r->ctx->base, -1, 0, retry_timer_cb, r);
    next_item(r);
}

static void finish_ctx(struct send_ctx *c)
{
    struct lc_alerts_result *res = c->res;

    if (c->finished)
        return;
    c->finished = true;
    for (size_t i = 0; i < c->st->n_outbox; i++) {
        for (size_t k = 0; k < c->n_runs; k++) {
            if (strcmp(c->st->outbox[i].sink, c->runs[k].cfg->name) == 0) {
                c->runs[k].res->pending++;
                break;
            }
        }
    }
    for (size_t k = 0; k < res->n_sinks; k++) {
        res->delivered += res->sinks[k].delivered;
        res->pending += res->sinks[k].pending;
        res->dead += res->sinks[k].dead;
    }
    /* Report from a fresh loop iteration, not from inside a run's timer or HTTP callback. */
    struct timeval zero = {0, 0};
    if (event_base_once(c->base, -1, EV_TIMEOUT, deliver_cb, c, &zero) != 0)
        deliver_cb(-1, 0, c);
}

static void ctx_free(struct send_ctx *c)
{
    for (size_t k = 0; k < c->n_runs; k++)
        if (c->runs[k].timer)
            event_free(c->runs[k].timer);
    free(c->runs);
    free(c);
}

static void deliver_cb(evutil_socket_t fd, short what, void *arg)
{
    struct send_ctx *c = arg;
    struct lc_alerts_result *res = c->res;
    lc_alerts_done_cb done = c->done;
    void *ud = c->ud;
    (void)fd;
    (void)what;
    ctx_free(c);
    done(ud, res);
}

int lc_alerts_start(struct event_base *base, struct lc_http *http, struct lc_state *st,
                    const struct lc_webhook_cfg *sinks, size_t n_sinks,
                    const struct lc_alerts_opts *opts, lc_alerts_done_cb done, void *ud,
                    struct lc_error *err)
{
    struct send_ctx *c = calloc(1, sizeof(*c));
    struct lc_alerts_result *res = calloc(1, sizeof(*res));
    struct timeval zero = {0, 0};
    int rc = LC_E_NOMEM;

    lc_error_clear(err);
    if (!c || !res)
        goto out;
    c->base = base;
    c->http = http;
    c->st = st;
    c->done = done;
    c->ud = ud;
    c->res = res;
    if (opts)
        c->o = *opts;
    if (c->o.max_attempts <= 0)
        c->o.max_attempts = 4;
    if (c->o.base_delay_ms <= 0)
        c->o.base_delay_ms = 1000;
    if (c->o.max_delay_ms <= 0)
        c->o.max_delay_ms = 30000;
    if (c->o.budget_ms <= 0)
        c->o.budget_ms = 120000;
    clock_gettime(CLOCK_MONOTONIC, &c->start);

    /* Items of sinks that are gone cannot be sent: dead letters. */
    for (size_t i = 0; i < st->n_outbox;) {
        size_t k = 0;
        while (k < n_sinks && strcmp(sinks[k].name, st->outbox[i].sink) != 0)
            k++;
        if (k < n_sinks) {
            i++;
            continue;
        }
        char reason[200];
        snprintf(reason, sizeof(reason), "sink %.64s is no longer configured", st->outbox[i].sink);
        LC_WARN("alerts", "%s: its queued %s of %s moves to the dead letters", reason,
                lc_notify_kind_name(st->outbox[i].kind), st->outbox[i].incident_key);
        if (lc_state_outbox_kill(st, st->outbox[i].seq, reason) != 0)
            goto out;
        res->orphaned++;
    }

    res->sinks = n_sinks ? calloc(n_sinks, sizeof(*res->sinks)) : NULL;
    c->runs = n_sinks ? calloc(n_sinks, sizeof(*c->runs)) : NULL;
    if (n_sinks && (!res->sinks || !c->runs))
        goto out;
    res->n_sinks = n_sinks;
    c->n_runs = n_sinks;
    for (size_t k = 0; k < n_sinks; k++) {
        struct sink_run *r = &c->runs[k];
        r->ctx = c;
        r->cfg = &sinks[k];
        r->res = &res->sinks[k];
        lc_strlcpy(r->res->name, sinks[k].name, sizeof(r->res->name));
        lc_redact_url(sinks[k].url, r->res->url, sizeof(r->res->url));
        r->res->type = sinks[k].sink ? sinks[k].sink->cfg.name : "?";
        r->timer = evtimer_new(base, start_timer_cb, r);
        if (!r->timer)
            goto out;
    }
    for (size_t k = 0; k < n_sinks; k++)
        evtimer_add(c->runs[k].timer, &zero);
    if (!n_sinks) {
        c->finished = true;
        if (event_base_once(base, -1, EV_TIMEOUT, deliver_cb, c, &zero) != 0)
            goto out;
    }
    rc = 0;
out:
    if (rc) {
        lc_error_set(err, rc, "out of memory starting the alert sends");
        if (c)
            ctx_free(c);
        lc_alerts_result_free(res);
        free(res);
    }
    return rc;
}

struct sync_wait {
    struct lc_alerts_result *res;
    bool done;
};

static void sync_done(void *ud, struct lc_alerts_result *res)
{
    struct sync_wait *w = ud;
    *w->res = *res;
    free(res);
    w->done = true;
}

int lc_alerts_send(struct event_base *base, struct lc_http *http, struct lc_state *st,
                   const struct lc_webhook_cfg *sinks, size_t n_sinks,
                   const struct lc_alerts_opts *opts, struct lc_alerts_result *res,
                   struct lc_error *err)
{
    struct sync_wait w = {.res = res};
    int rc;

    memset(res, 0, sizeof(*res));
    rc = lc_alerts_start(base, http, st, sinks, n_sinks, opts, sync_done, &w, err);
    if (rc)
        return rc;
    while (!w.done) {
        if (event_base_loop(base, EVLOOP_ONCE) != 0) {
            lc_error_set(err, LC_E_INTERNAL, "the event loop stopped before the alerts were sent");
            return LC_E_INTERNAL;
        }
    }
    return 0;
}

void lc_alerts_result_free(struct lc_alerts_result *res)
{
    if (!res)
        return;
    free(res->sinks);
    memset(res, 0, sizeof(*res));
}

cJSON *lc_alerts_result_json(const struct lc_alerts_result *res)
{
    cJSON *o = cJSON_CreateObject(), *arr;

    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "delivered", (double)res->delivered);
    cJSON_AddNumberToObject(o, "pending", (double)res->pending);
    cJSON_AddNumberToObject(o, "dead", (double)res->dead);
    cJSON_AddNumberToObject(o, "orphaned", (double)res->orphaned);
    arr = cJSON_AddArrayToObject(o, "sinks");
    for (size_t i = 0; i < res->n_sinks; i++) {
        const struct lc_sink_result *s = &res->sinks[i];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddItemToArray(arr, j);
        cJSON_AddStringToObject(j, "name", s->name);
        cJSON_AddStringToObject(j, "type", s->type ? s->type : "");
        cJSON_AddStringToObject(j, "url", s->url);
        cJSON_AddNumberToObject(j, "delivered", (double)s->delivered);
        cJSON_AddNumberToObject(j, "failures", (double)s->failures);
        cJSON_AddNumberToObject(j, "pending", (double)s->pending);
        cJSON_AddNumberToObject(j, "dead", (double)s->dead);
        cJSON_AddBoolToObject(j, "misconfigured", s->misconfigured);
        if (s->last_status)
            cJSON_AddNumberToObject(j, "last_status", (double)s->last_status);
        else
            cJSON_AddNullToObject(j, "last_status");
        if (s->problem[0])
            cJSON_AddStringToObject(j, "problem", s->problem);
        else
            cJSON_AddNullToObject(j, "problem");
    }
    return o;
}

int lc_alerts_result_text(FILE *out, const struct lc_alerts_result *res)
{
    for (size_t i = 0; i < res->n_sinks; i++) {
        const struct lc_sink_result *s = &res->sinks[i];
        const char *state = s->misconfigured ? "MISCONFIGURED" : s->pending ? "PENDING" : "ok";
        if (fprintf(out, "alert sink %s (%s %s): %s, %zu delivered, %zu queued, %zu dead%s%s\n",
                    s->name, s->type ? s->type : "?", s->url, state, s->delivered, s->pending,
                    s->dead, s->problem[0] && (s->misconfigured || s->pending) ? ": " : "",
                    s->problem[0] && (s->misconfigured || s->pending) ? s->problem : "") < 0)
            return LC_E_IO;
    }
    if (res->orphaned &&
        fprintf(out,
                "alerts: %zu queued notifications of sinks no longer configured moved to "
                "the dead letters\n",
                res->orphaned) < 0)
        return LC_E_IO;
    return 0;
}
