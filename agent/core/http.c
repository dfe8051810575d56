/* The HTTP engine: libcurl's multi socket interface on one libevent loop.
 *
 * Design. Each lc_http_send builds an easy handle at once (so bad input fails synchronously)
 * and appends the transfer to a FIFO queue. lc_http_send and lc_http_cancel* never touch the
 * multi handle: they only change lists and flags and then activate the "kick" event. Its
 * callback, process(), runs from the loop and
 *   1. removes running transfers that were cancelled from the multi,
 *   2. starts queued transfers in FIFO order while the global cap allows, skipping (not
 *      blocking on) those whose host (host:port from curl_url) is at its cap,
 *   3. delivers finished transfers to their done callbacks, one at a time.
 * Curl asks for socket watches through sock_cb (one persistent struct event per socket) and
 * for a single timeout through timer_cb (one libevent timer); both events call
 * curl_multi_socket_action, then reap finished transfers with curl_multi_info_read and run
 * process() as well. The multi keeps the connection cache, so connections are reused across
 * easy handles; an easy handle lives exactly as long as its transfer.
 *
 * Re-entrancy. User callbacks (on_body inside curl, on_done from process()) may send, cancel or
 * free. Since those calls never reach the multi handle, curl is never re-entered. lc_http_free
 * while engine code is on the stack (depth > 0) only marks the engine dying; the outermost
 * engine frame finishes the teardown on its way out. Outside the loop it cancels and delivers
 * everything synchronously. A done callback is taken off every list before it runs, so it runs
 * exactly once. Cancelling a transfer that already finished (result not yet delivered) leaves
 * its result as it is.
 *
 * Stats: started = handed to curl; completed = an HTTP response arrived (err LC_OK, any status);
 * failed = everything else, cancellations included; bytes_received counts body bytes.
 *
 * Bodies. 2xx bodies go to on_body when given; everything else is buffered into resp->body.
 * Buffered error documents (non-2xx with on_body set) are capped at min(max_body, 1 MiB). All
 * bytes of the final response count against max_body; exceeding it aborts the transfer with
 * LC_E_TOO_LARGE (a Content-Length over the cap aborts before the body is read).
 *
 * TLS is always verified. Proxies come from the environment (http_proxy, https_proxy, no_proxy:
 * curl's default, which nothing here overrides). Requests use HTTP/1.1. opts->resolve pins host
 * names to addresses (CURLOPT_RESOLVE on every easy handle; the list lives as long as the engine,
 * as curl requires). */
#include "core/http.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "core/log.h"

#define DEF_MAX_TOTAL    16
#define DEF_MAX_PER_HOST 4
#define DEF_CONNECT_MS   5000L
#define DEF_TIMEOUT_MS   30000L
#define DEF_MAX_BODY     ((size_t)8 << 20)
#define ERRDOC_MAX       ((size_t)1 << 20)
#define HEADERS_MAX      ((size_t)256 << 10)
#define HOST_MAX         300

struct sockctx {
    struct sockctx *prev, *next;
    struct lc_http *h;
    curl_socket_t fd;
    struct event *ev;
};

/* A host: its running transfers (active) and its queue of waiting ones, first come first
 * served; it lives while it has either. */
struct host {
    struct host *next;
    int active;
    struct xfer *qfirst, *qlast;
    char name[HOST_MAX];
};

enum xstate { X_QUEUED, X_RUNNING, X_DONE };

struct xfer {
    struct xfer *prev, *next;   /* in the engine's queue, running or done list */
    struct xfer *hprev, *hnext; /* in its host's queue while waiting */
    struct lc_http *h;
    uint64_t id;
    enum xstate state;
    CURL *easy;
    struct curl_slist *hdrs;
    char hostkey[HOST_MAX];
    struct host *host; /* while running */
    char *body;
    size_t body_len, body_off;
    bool is_head;
    bool cancelled;
    size_t max_body;
    size_t received;
    long cur_status; /* status line of the response being received */
    size_t header_bytes;
    enum lc_err_kind abort_kind; /* why a callback aborted the transfer */
    lc_http_body_cb on_body;
    lc_http_done_cb on_done;
    void *ud;
    struct lc_http_resp resp;
    char errbuf[CURL_ERROR_SIZE];
};

struct xlist {
    struct xfer *first, *last;
};

struct lc_http {
    struct event_base *base;
    CURLM *multi;
    struct event *timer_ev;
    struct event *kick_ev;
    int max_total, max_per_host;
    long connect_timeout_ms, timeout_ms;
    size_t max_body;
    char *ca_bundle;
    char *user_agent;
    struct curl_slist *resolve; /* CURLOPT_RESOLVE entries (opts->resolve), or NULL */
    struct xlist queue, running, done;
    int nrunning;
    size_t npending; /* sent but not yet delivered */
    struct host *hosts;
    struct sockctx *socks;
    uint64_t next_id;
    struct lc_http_stats stats;
    int depth;  /* engine frames on the stack */
    bool dying; /* lc_http_free was called from inside a callback */
};

static void list_append(struct xlist *l, struct xfer *x)
{
    x->next = NULL;
    x->prev = l->last;
    if (l->last)
        l->last->next = x;
    else
        l->first = x;
    l->last = x;
}

static void list_remove(struct xlist *l, struct xfer *x)
{
    if (x->prev)
        x->prev->next = x->next;
    else
        l->first = x->next;
    if (x->next)
        x->next->prev = x->prev;
    else
        l->last = x->prev;
    x->prev = x->next = NULL;
}

static void kick(struct lc_http *h)
{
    if (h->kick_ev)
        event_active(h->kick_ev, EV_TIMEOUT, 0);
}

/* ---- hosts ------------------------------------------------------------------------------ */

static struct host *host_get(struct lc_http *h, const char *name, bool create)
{
    struct host *o;

    for (o = h->hosts; o; o = o->next)
        if (strcmp(o->name, name) == 0)
            return o;
    if (!create)
        return NULL;
    o = calloc(1, sizeof(*o));
    if (!o)
        return NULL;
    lc_strlcpy(o->name, name, sizeof(o->name));
    o->next = h->hosts;
    h->hosts = o;
    return o;
}

/* Free o once nothing runs or waits for it. */
static void host_maybe_free(struct lc_http *h, struct host *o)
{
    struct host **pp;

    if (o->active > 0 || o->qfirst)
        return;
    for (pp = &h->hosts; *pp; pp = &(*pp)->next) {
        if (*pp == o) {
            *pp = o->next;
            free(o);
            return;
        }
    }
}

static void host_release(struct lc_http *h, struct host *o)
{
    o->active--;
    host_maybe_free(h, o);
}

static void host_enqueue(struct host *o, struct xfer *x)
{
    x->hnext = NULL;
    x->hprev = o->qlast;
    if (o->qlast)
        o->qlast->hnext = x;
    else
        o->qfirst = x;
    o->qlast = x;
}

static void host_dequeue(struct host *o, struct xfer *x)
{
    if (x->hprev)
        x->hprev->hnext = x->hnext;
    else
        o->qfirst = x->hnext;
    if (x->hnext)
        x->hnext->hprev = x->hprev;
    else
        o->qlast = x->hprev;
    x->hprev = x->hnext = NULL;
}

/* ---- transfers -------------------------------------------------------------------------- */

static void xfer_free(struct xfer *x)
{
    if (x->easy)
        curl_easy_cleanup(x->easy);
    curl_slist_free_all(x->hdrs);
    free(x->body);
    lc_kv_free(&x->resp.headers);
    lc_buf_free(&x->resp.body);
    free(x);
}

static enum lc_err_kind map_curl(CURLcode rc)
{
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        return LC_E_TIMEOUT;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
        return LC_E_TLS;
    case CURLE_FILESIZE_EXCEEDED:
        return LC_E_TOO_LARGE;
    case CURLE_ABORTED_BY_CALLBACK:
        return LC_E_CANCELLED;
    case CURLE_OUT_OF_MEMORY:
        return LC_E_NOMEM;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_BAD_FUNCTION_ARGUMENT:
        return LC_E_INVALID;
    case CURLE_BAD_CONTENT_ENCODING:
        return LC_E_PARSE;
    default:
        /* refused, reset, DNS, send/recv, empty reply, proxy failures, ... */
        return LC_E_NETWORK;
    }
}

static bool streaming(const struct xfer *x)
{
    return x->on_body && x->cur_status >= 200 && x->cur_status < 300;
}

static size_t body_cap(const struct xfer *x)
{
    if (x->on_body && !streaming(x))
        return x->max_body < ERRDOC_MAX ? x->max_body : ERRDOC_MAX;
    return x->max_body;
}

/* Fill the response and error of a transfer that curl ran (rc is its result) or that never
 * ran (easy == NULL or rc set by us), then move it to the done list. */
static void finish(struct lc_http *h, struct xfer *x, CURLcode rc, bool ran)
{
    struct lc_error *e = &x->resp.err;

    if (x->state == X_RUNNING) {
        list_remove(&h->running, x);
        h->nrunning--;
        if (x->host)
            host_release(h, x->host);
        x->host = NULL;
    } else if (x->state == X_QUEUED) {
        list_remove(&h->queue, x);
        if (x->host) {
            host_dequeue(x->host, x);
            host_maybe_free(h, x->host);
        }
        x->host = NULL;
    }
    if (ran) {
        long status = 0, conns = 0;
        double total = 0;
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(x->easy, CURLINFO_NUM_CONNECTS, &conns);
        curl_easy_getinfo(x->easy, CURLINFO_TOTAL_TIME, &total);
        x->resp.status = status;
        x->resp.total_s = total;
        x->resp.reused = status != 0 && conns == 0;
    }
    lc_error_clear(e);
    e->status = x->resp.status;
    if (x->cancelled) {
        lc_error_set(e, LC_E_CANCELLED, "transfer cancelled");
    } else if (rc == CURLE_WRITE_ERROR && x->abort_kind != LC_OK) {
        if (x->abort_kind == LC_E_TOO_LARGE && x->header_bytes > HEADERS_MAX)
            lc_error_set(e, LC_E_TOO_LARGE, "response headers exceed %zu bytes", HEADERS_MAX);
        else if (x->abort_kind == LC_E_TOO_LARGE)
            lc_error_set(e, LC_E_TOO_LARGE, "response body exceeds %zu bytes", body_cap(x));
        else if (x->abort_kind == LC_E_NOMEM)
            lc_error_set(e, LC_E_NOMEM, "out of memory buffering the response");
        else
            lc_error_set(e, LC_E_CANCELLED, "transfer aborted by the body callback");
    } else if (rc != CURLE_OK) {
        lc_error_set(e, map_curl(rc), "%s (curl error %d, host %s)",
                     x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc), (int)rc, x->hostkey);
    }
    /* The body of an aborted response is partial: do not hand it out. */
    if (e->kind != LC_OK)
        lc_buf_free(&x->resp.body);
    if (x->easy) {
        curl_easy_cleanup(x->easy);
        x->easy = NULL;
    }
    curl_slist_free_all(x->hdrs);
    x->hdrs = NULL;
    free(x->body);
    x->body = NULL;
    if (e->kind == LC_OK)
        h->stats.completed++;
    else
        h->stats.failed++;
    if (x->resp.reused)
        h->stats.connections_reused++;
    x->state = X_DONE;
    list_append(&h->done, x);
}

/* ---- curl callbacks (curl is on the stack: no multi calls here) -------------------------- */

/* Cancelled, or the engine is going away: abort from inside curl (finish() reports it). */
static bool must_stop(struct xfer *x)
{
    if (x->h->dying)
        x->cancelled = true;
    return x->cancelled;
}

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userp)
{
    struct xfer *x = userp;
    size_t n = size * nmemb;

    if (must_stop(x))
        return 0;
    if (x->received > body_cap(x) || n > body_cap(x) - x->received) {
        x->abort_kind = LC_E_TOO_LARGE;
        return 0;
    }
    x->received += n;
    x->h->stats.bytes_received += n;
    if (streaming(x)) {
        if (x->on_body(x->ud, ptr, n) != 0) {
            x->abort_kind = LC_E_CANCELLED;
            return 0;
        }
        if (must_stop(x))
            return 0;
        return n;
    }
    int rc = lc_buf_append(&x->resp.body, ptr, n);
    if (rc != 0) {
        x->abort_kind = rc == LC_E_TOO_LARGE ? LC_E_TOO_LARGE : LC_E_NOMEM;
        return 0;
    }
    return n;
}

static void trim(const char **s, size_t *len)
{
    while (*len && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*len)--;
    }
    while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t' || (*s)[*len - 1] == '\r' ||
                    (*s)[*len - 1] == '\n'))
        (*len)--;
}

static size_t header_cb(char *buf, size_t size, size_t nitems, void *userp)
{
    struct xfer *x = userp;
    size_t n = size * nitems;
    char name[128];
    char *value = NULL;

    if (must_stop(x))
        return 0;
    if (n >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
        /* A new status line: only the final response's headers and body are kept. */
        const char *sp = memchr(buf, ' ', n);
        x->cur_status = sp ? strtol(sp + 1, NULL, 10) : 0;
        lc_kv_free(&x->resp.headers);
        lc_buf_reset(&x->resp.body);
        x->received = 0;
        x->header_bytes = 0;
        return n;
    }
    x->header_bytes += n;
    if (x->header_bytes > HEADERS_MAX) {
        x->abort_kind = LC_E_TOO_LARGE;
        return 0;
    }
    const char *colon = memchr(buf, ':', n);
    if (!colon || buf[0] == ' ' || buf[0] == '\t')
        return n; /* blank line, obsolete folding or junk */
    const char *nm = buf;
    size_t nlen = (size_t)(colon - buf);
    trim(&nm, &nlen);
    if (nlen == 0 || nlen >= sizeof(name))
        return n;
    for (size_t i = 0; i < nlen; i++)
        name[i] = (char)tolower((unsigned char)nm[i]);
    name[nlen] = '\0';
    const char *v = colon + 1;
    size_t vlen = n - (size_t)(colon + 1 - buf);
    trim(&v, &vlen);
    value = strndup(v, vlen);
    if (!value || lc_kv_add(&x->resp.headers, name, value) != 0) {
        free(value);
        x->abort_kind = LC_E_NOMEM;
        return 0;
    }
    /* A declared body over the cap fails before a byte of it is read (these have none). */
    bool bodyless =
        x->is_head || x->cur_status < 200 || x->cur_status == 204 || x->cur_status == 304;
    bool too_big =
        strcmp(name, "content-length") == 0 && !bodyless && strtoull(value, NULL, 10) > body_cap(x);
    free(value);
    if (too_big) {
        x->abort_kind = LC_E_TOO_LARGE;
        return 0;
    }
    return n;
}

static size_t read_cb(char *buf, size_t size, size_t nitems, void *userp)
{
    struct xfer *x = userp;
    size_t n = size * nitems;
    size_t left = x->body_len - x->body_off;

    if (must_stop(x))
        return CURL_READFUNC_ABORT;
    if (n > left)
        n = left;
    if (n)
        memcpy(buf, x->body + x->body_off, n);
    x->body_off += n;
    return n;
}

/* Curl rewinds the upload when it retries a request on a fresh connection. */
static int seek_cb(void *userp, curl_off_t offset, int origin)
{
    struct xfer *x = userp;

    if (origin != SEEK_SET || offset < 0 || (curl_off_t)x->body_len < offset)
        return CURL_SEEKFUNC_FAIL;
    x->body_off = (size_t)offset;
    return CURL_SEEKFUNC_OK;
}

/* ---- loop glue -------------------------------------------------------------------------- */

static void process(struct lc_http *h);
static void cancel_one(struct lc_http *h, struct xfer *x);
static void destroy(struct lc_http *h);

static void leave(struct lc_http *h)
{
    h->depth--;
    if (h->depth == 0 && h->dying)
        destroy(h);
}

static void reap(struct lc_http *h)
{
    CURLMsg *msg;
    int left = 0;

    for (;;) {
        msg = curl_multi_info_read(h->multi, &left);
        if (!msg)
            break;
        if (msg->msg != CURLMSG_DONE)
            continue;
        char *priv = NULL;
        CURL *easy = msg->easy_handle;
        CURLcode rc = msg->data.result;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
        curl_multi_remove_handle(h->multi, easy);
        if (priv)
            finish(h, (struct xfer *)priv, rc, true);
    }
}

static void socket_action(struct lc_http *h, curl_socket_t fd, int flags)
{
    int running = 0;

    h->depth++;
    CURLMcode mc = curl_multi_socket_action(h->multi, fd, flags, &running);
    if (mc != CURLM_OK)
        LC_WARN("http", "curl_multi_socket_action: %s", curl_multi_strerror(mc));
    reap(h);
    process(h);
    leave(h);
}

static void sock_event_cb(evutil_socket_t fd, short what, void *arg)
{
    struct sockctx *sc = arg;
    int flags = 0;

    if (what & EV_READ)
        flags |= CURL_CSELECT_IN;
    if (what & EV_WRITE)
        flags |= CURL_CSELECT_OUT;
    socket_action(sc->h, fd, flags);
}

static void timer_event_cb(evutil_socket_t fd, short what, void *arg)
{
    socket_action(arg, CURL_SOCKET_TIMEOUT, 0);
}

static void kick_event_cb(evutil_socket_t fd, short what, void *arg)
{
    struct lc_http *h = arg;

    h->depth++;
    process(h);
    leave(h);
}

static void sock_free(struct lc_http *h, struct sockctx *sc)
{
    if (sc->prev)
        sc->prev->next = sc->next;
    else
        h->socks = sc->next;
    if (sc->next)
        sc->next->prev = sc->prev;
    event_free(sc->ev);
    free(sc);
}

static int sock_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    struct lc_http *h = userp;
    struct sockctx *sc = socketp;
    short kind = EV_PERSIST;

    if (what == CURL_POLL_REMOVE) {
        if (sc) {
            curl_multi_assign(h->multi, fd, NULL);
            sock_free(h, sc);
        }
        return 0;
    }
    if (!sc) {
        sc = calloc(1, sizeof(*sc));
        if (!sc)
            return -1;
        sc->h = h;
        sc->fd = fd;
        sc->next = h->socks;
        if (h->socks)
            h->socks->prev = sc;
        h->socks = sc;
        curl_multi_assign(h->multi, fd, sc);
    } else if (sc->ev) {
        event_free(sc->ev);
        sc->ev = NULL;
    }
    if (what & CURL_POLL_IN)
        kind |= EV_READ;
    if (what & CURL_POLL_OUT)
        kind |= EV_WRITE;
    sc->ev = event_new(h->base, fd, kind, sock_event_cb, sc);
    if (!sc->ev || event_add(sc->ev, NULL) != 0) {
        LC_ERR("http", "cannot watch socket %d", (int)fd);
        return -1;
    }
    return 0;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    struct lc_http *h = userp;
    struct timeval tv;

    if (timeout_ms < 0) {
        evtimer_del(h->timer_ev);
        return 0;
    }
    tv.tv_sec = timeout_ms / 1000;
    tv.tv_usec = (timeout_ms % 1000) * 1000;
    return evtimer_add(h->timer_ev, &tv) == 0 ? 0 : -1;
}

/* ---- the scheduler ---------------------------------------------------------------------- */

static void start(struct lc_http *h, struct xfer *x, struct host *o)
{
    list_remove(&h->queue, x);
    host_dequeue(o, x);
    list_append(&h->running, x);
    x->state = X_RUNNING;
    o->active++;
    h->nrunning++;
    h->stats.started++;
    CURLMcode mc = curl_multi_add_handle(h->multi, x->easy);
    if (mc != CURLM_OK) {
        lc_strlcpy(x->errbuf, curl_multi_strerror(mc), sizeof(x->errbuf));
        finish(h, x, CURLE_FAILED_INIT, false);
        x->resp.err.kind = LC_E_INTERNAL;
        lc_error_classify(&x->resp.err);
    }
}

/* Start waiting transfers while there is room: each time the oldest one whose host has a free
 * slot. The hosts are few (the endpoints), so this costs per start what the hosts number, not
 * what the queue holds. */
static void start_queued(struct lc_http *h)
{
    while (h->nrunning < h->max_total) {
        struct host *best = NULL;
        for (struct host *o = h->hosts; o; o = o->next)
            if (o->qfirst && o->active < h->max_per_host &&
                (!best || o->qfirst->id < best->qfirst->id))
                best = o;
        if (!best)
            return;
        start(h, best->qfirst, best);
    }
}

static void process(struct lc_http *h)
{
    for (;;) {
        /* Running transfers cancelled since the last pass leave the multi here. */
        struct xfer *x = h->running.first;
        while (x) {
            struct xfer *next = x->next;
            if (x->cancelled || h->dying) {
                x->cancelled = true;
                curl_multi_remove_handle(h->multi, x->easy);
                finish(h, x, CURLE_ABORTED_BY_CALLBACK, true);
            }
            x = next;
        }
        if (!h->dying)
            start_queued(h);
        else
            while (h->queue.first)
                cancel_one(h, h->queue.first);
        x = h->done.first;
        if (!x)
            break;
        list_remove(&h->done, x);
        h->npending--;
        if (x->on_done)
            x->on_done(x->ud, &x->resp);
        xfer_free(x);
    }
}

/* ---- public API ------------------------------------------------------------------------- */

struct lc_http *lc_http_new(struct event_base *base, const struct lc_http_opts *opts,
                            struct lc_error *err)
{
    struct lc_http *h = NULL;
    struct lc_http_opts none;
    char ua[64];
    int rc = LC_E_NOMEM;

    lc_error_clear(err);
    if (!opts) {
        memset(&none, 0, sizeof(none));
        opts = &none;
    }
    if (!base) {
        lc_error_set(err, LC_E_INVALID, "http: no event base");
        return NULL;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        lc_error_set(err, LC_E_INTERNAL, "http: curl_global_init failed");
        return NULL;
    }
    h = calloc(1, sizeof(*h));
    if (!h)
        goto out;
    h->base = base;
    h->max_total = opts->max_total > 0 ? opts->max_total : DEF_MAX_TOTAL;
    h->max_per_host = opts->max_per_host > 0 ? opts->max_per_host : DEF_MAX_PER_HOST;
    h->connect_timeout_ms =
        opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : DEF_CONNECT_MS;
    h->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : DEF_TIMEOUT_MS;
    h->max_body = opts->max_body > 0 ? opts->max_body : DEF_MAX_BODY;
    h->next_id = 1;
    if (opts->ca_bundle) {
        h->ca_bundle = strdup(opts->ca_bundle);
        if (!h->ca_bundle)
            goto out;
    }
    snprintf(ua, sizeof(ua), "logcanary/%s", LC_VERSION);
    h->user_agent = strdup(opts->user_agent ? opts->user_agent : ua);
    if (!h->user_agent)
        goto out;
    for (const char *const *r = opts->resolve; r && *r; r++) {
        struct curl_slist *l = curl_slist_append(h->resolve, *r);
        if (!l)
            goto out;
        h->resolve = l;
    }
    h->timer_ev = evtimer_new(base, timer_event_cb, h);
    h->kick_ev = event_new(base, -1, 0, kick_event_cb, h);
    h->multi = curl_multi_init();
    if (!h->timer_ev || !h->kick_ev || !h->multi)
        goto out;
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
    /* Keep enough idle connections for every transfer we may run at once. */
    curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long)h->max_total);
    rc = 0;
out:
    if (rc) {
        lc_error_set(err, rc, "http: out of memory");
        if (h) {
            if (h->multi)
                curl_multi_cleanup(h->multi);
            if (h->timer_ev)
                event_free(h->timer_ev);
            if (h->kick_ev)
                event_free(h->kick_ev);
            free(h->ca_bundle);
            free(h->user_agent);
            curl_slist_free_all(h->resolve);
            free(h);
            h = NULL;
        }
        curl_global_cleanup();
    }
    return h;
}

/* Tear everything down now: no engine frame is on the stack (depth == 0). */
static void destroy(struct lc_http *h)
{
    h->dying = true;
    h->depth++; /* callbacks run below see a busy engine: a nested free only marks */
    process(h); /* cancels running and queued transfers and delivers every result */
    h->depth--;
    curl_multi_cleanup(h->multi);
    while (h->socks)
        sock_free(h, h->socks);
    while (h->hosts) {
        struct host *o = h->hosts;
        h->hosts = o->next;
        free(o);
    }
    event_free(h->timer_ev);
    event_free(h->kick_ev);
    free(h->ca_bundle);
    free(h->user_agent);
    curl_slist_free_all(h->resolve);
    free(h);
    curl_global_cleanup();
}

void lc_http_free(struct lc_http *h)
{
    if (!h || (h->dying && h->depth > 0))
        return;
    h->dying = true;
    if (h->depth > 0)
        return; /* the outermost engine frame (see leave) finishes the job */
    destroy(h);
}

static bool valid_method(const char *m)
{
    size_t n = m ? strlen(m) : 0;

    if (n == 0 || n > 16)
        return false;
    for (size_t i = 0; i < n; i++)
        if (m[i] < 'A' || m[i] > 'Z')
            return false;
    return true;
}

static bool valid_header(const struct lc_kv *kv)
{
    const char *p;

    if (!kv->name || !kv->name[0] || !kv->value)
        return false;
    for (p = kv->name; *p; p++)
        if (*p <= ' ' || *p == ':' || *p == 0x7f)
            return false;
    for (p = kv->value; *p; p++)
        if (*p == '\r' || *p == '\n')
            return false;
    return true;
}

/* host:port of the URL (the unit of the per-host cap); http and https only. */
static int url_host(const char *url, char *out, size_t len)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL;
    int rc = LC_E_INVALID;

    if (!u)
        return LC_E_NOMEM;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
        goto out;
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)
        goto out;
    if (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0)
        goto out;
    for (char *p = host; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    snprintf(out, len, "%s:%s", host, port);
    rc = 0;
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return rc;
}

static int add_header(struct curl_slist **list, const char *line)
{
    struct curl_slist *l = curl_slist_append(*list, line);

    if (!l)
        return LC_E_NOMEM;
    *list = l;
    return 0;
}

static int build_headers(struct xfer *x, const struct lc_kvlist *hl)
{
    struct lc_buf line = {0};
    int rc = 0;

    for (size_t i = 0; hl && i < hl->n; i++) {
        const struct lc_kv *kv = &hl->items[i];
        lc_buf_reset(&line);
        /* curl sends "Name;" as a header with an empty value ("Name:" would delete it). */
        if (kv->value[0])
            rc = lc_buf_appendf(&line, "%s: %s", kv->name, kv->value);
        else
            rc = lc_buf_appendf(&line, "%s;", kv->name);
        if (rc == 0)
            rc = add_header(&x->hdrs, line.data);
        if (rc != 0)
            goto out;
    }
    /* Requests are signed: no Expect: 100-continue, no default Accept. */
    if (!lc_kv_get(hl, "Expect"))
        rc = add_header(&x->hdrs, "Expect:");
    if (rc == 0 && !lc_kv_get(hl, "Accept"))
        rc = add_header(&x->hdrs, "Accept:");
out:
    lc_buf_free(&line);
    return rc;
}

static int setup_easy(struct lc_http *h, struct xfer *x, const struct lc_http_req *req)
{
    CURL *e = curl_easy_init();
    long cto = req->connect_timeout_ms > 0 ? req->connect_timeout_ms : h->connect_timeout_ms;
    long to = req->timeout_ms > 0 ? req->timeout_ms : h->timeout_ms;
    CURLcode c = CURLE_OK;

    if (!e)
        return LC_E_NOMEM;
    x->easy = e;
    c |= curl_easy_setopt(e, CURLOPT_URL, req->url);
    c |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    c |= curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)x);
    c |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    c |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    c |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    c |= curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    c |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    c |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    if (h->ca_bundle)
        c |= curl_easy_setopt(e, CURLOPT_CAINFO, h->ca_bundle);
    if (h->resolve)
        c |= curl_easy_setopt(e, CURLOPT_RESOLVE, h->resolve);
    c |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, cto);
    c |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, to);
    c |= curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    c |= curl_easy_setopt(e, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
    c |= curl_easy_setopt(e, CURLOPT_USERAGENT, h->user_agent);
    c |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
    c |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
    c |= curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    c |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
    c |= curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    /* Proxies: nothing here sets CURLOPT_PROXY, so curl reads http_proxy/https_proxy/no_proxy. */
    if (x->is_head) {
        c |= curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else if (x->body_len > 0 || strcmp(req->method, "PUT") == 0 ||
               strcmp(req->method, "POST") == 0) {
        /* An upload with a known size: exactly body_len bytes and Content-Length, no
         * Content-Type added behind the caller's back (unlike POSTFIELDS). */
        c |= curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
        c |= curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)x->body_len);
        c |= curl_easy_setopt(e, CURLOPT_READFUNCTION, read_cb);
        c |= curl_easy_setopt(e, CURLOPT_READDATA, x);
        c |= curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, seek_cb);
        c |= curl_easy_setopt(e, CURLOPT_SEEKDATA, x);
        c |= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
    } else if (strcmp(req->method, "GET") != 0) {
        c |= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
    }
    return c == CURLE_OK ? 0 : LC_E_INVALID;
}

int lc_http_send(struct lc_http *h, const struct lc_http_req *req, uint64_t *id,
                 struct lc_error *err)
{
    struct xfer *x = NULL;
    int rc;

    lc_error_clear(err);
    if (!h || !req || !req->url || !valid_method(req->method) || !req->on_done ||
        (req->body_len && !req->body)) {
        lc_error_set(err, LC_E_INVALID, "http: invalid request");
        return LC_E_INVALID;
    }
    if (h->dying) {
        lc_error_set(err, LC_E_CANCELLED, "http: engine is shutting down");
        return LC_E_CANCELLED;
    }
    for (size_t i = 0; req->headers && i < req->headers->n; i++) {
        if (!valid_header(&req->headers->items[i])) {
            lc_error_set(err, LC_E_INVALID, "http: invalid request header");
            return LC_E_INVALID;
        }
    }
    x = calloc(1, sizeof(*x));
    if (!x) {
        rc = LC_E_NOMEM;
        goto out;
    }
    x->h = h;
    rc = url_host(req->url, x->hostkey, sizeof(x->hostkey));
    if (rc != 0) {
        lc_error_set(err, rc, "http: %s", rc == LC_E_NOMEM ? "out of memory" : "invalid URL");
        goto out;
    }
    x->is_head = strcmp(req->method, "HEAD") == 0;
    x->max_body = req->max_body > 0 ? req->max_body : h->max_body;
    x->on_body = req->on_body;
    x->on_done = req->on_done;
    x->ud = req->ud;
    if (req->body_len) {
        x->body = malloc(req->body_len);
        if (!x->body) {
            rc = LC_E_NOMEM;
            goto out;
        }
        memcpy(x->body, req->body, req->body_len);
        x->body_len = req->body_len;
    }
    x->resp.body.max = x->max_body;
    rc = build_headers(x, req->headers);
    if (rc == 0)
        rc = setup_easy(h, x, req);
    if (rc != 0)
        goto out;
    x->host = host_get(h, x->hostkey, true);
    if (!x->host) {
        rc = LC_E_NOMEM;
        goto out;
    }
    x->id = h->next_id++;
    x->state = X_QUEUED;
    list_append(&h->queue, x);
    host_enqueue(x->host, x);
    h->npending++;
    if (id)
        *id = x->id;
    kick(h);
out:
    if (rc) {
        if (err->kind == LC_OK)
            lc_error_set(err, rc, "http: %s",
                         rc == LC_E_NOMEM ? "out of memory" : "cannot set up the transfer");
        if (x)
            xfer_free(x);
    }
    return rc;
}

static void cancel_one(struct lc_http *h, struct xfer *x)
{
    if (x->state == X_QUEUED) {
        x->cancelled = true;
        finish(h, x, CURLE_ABORTED_BY_CALLBACK, false);
    } else if (x->state == X_RUNNING) {
        x->cancelled = true; /* leaves the multi in process(), never from inside curl */
    }
    /* X_DONE: the result is known already and will be delivered as it is. */
}

void lc_http_cancel(struct lc_http *h, uint64_t id)
{
    struct xfer *x;

    if (!h)
        return;
    for (x = h->queue.first; x; x = x->next) {
        if (x->id == id) {
            cancel_one(h, x);
            kick(h);
            return;
        }
    }
    for (x = h->running.first; x; x = x->next) {
        if (x->id == id) {
            cancel_one(h, x);
            kick(h);
            return;
        }
    }
}

void lc_http_cancel_all(struct lc_http *h)
{
    if (!h)
        return;
    while (h->queue.first)
        cancel_one(h, h->queue.first);
    for (struct xfer *x = h->running.first; x; x = x->next)
        cancel_one(h, x);
    kick(h);
}

size_t lc_http_pending(const struct lc_http *h)
{
    return h ? h->npending : 0;
}

void lc_http_get_stats(const struct lc_http *h, struct lc_http_stats *out)
{
    if (h)
        *out = h->stats;
    else
        memset(out, 0, sizeof(*out));
}
