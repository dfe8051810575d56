/* Tests of the HTTP engine against tests/servers/http_test_server.py on loopback.
 * Nothing here sleeps to synchronise: the loop runs until the expected callbacks arrived
 * (with a watchdog), and concurrency is observed by the server's /hold endpoint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "core/http.h"
#include "lc_testsrv.h"

static struct lc_testsrv srv;
static int done_count;

struct res {
    int calls;
    long status;
    struct lc_error err;
    bool reused;
    bool body_null;
    struct lc_kvlist headers;
    struct lc_buf body;
    /* streaming */
    size_t streamed;
    int body_calls;
    bool pattern_bad;
    int abort_after; /* on_body returns non-zero on this call (0 = never) */
    /* re-entrancy hooks, run from the callbacks */
    struct lc_http *h;
    uint64_t id, cancel_id;
    bool cancel_on_done, cancel_on_body, free_on_done, free_on_body;
    struct res *spawn; /* on the first body call, send GET /echo reporting here */
    void (*then)(struct res *r);
    void *ctx;
};

static void res_free(struct res *r)
{
    lc_kv_free(&r->headers);
    lc_buf_free(&r->body);
}

static void on_done(void *ud, struct lc_http_resp *resp)
{
    struct res *r = ud;

    r->calls++;
    r->status = resp->status;
    r->err = resp->err;
    r->reused = resp->reused;
    r->body_null = resp->body.data == NULL;
    lc_kv_free(&r->headers);
    assert_int_equal(lc_kv_copy(&r->headers, &resp->headers), 0);
    lc_buf_reset(&r->body);
    if (resp->body.len)
        assert_int_equal(lc_buf_append(&r->body, resp->body.data, resp->body.len), 0);
    if (r->cancel_on_done)
        lc_http_cancel(r->h, r->cancel_id);
    if (r->free_on_done)
        lc_http_free(r->h);
    if (r->then)
        r->then(r);
    done_count++;
}

static int send_req(struct lc_http *h, const char *method, const char *url,
                    const struct lc_kvlist *hdrs, const void *body, size_t body_len, struct res *r,
                    bool stream);

static int on_body(void *ud, const char *data, size_t len)
{
    struct res *r = ud;
    char u[256];

    for (size_t i = 0; i < len; i++)
        if ((unsigned char)data[i] != (r->streamed + i) % 251)
            r->pattern_bad = true;
    r->streamed += len;
    r->body_calls++;
    if (r->cancel_on_body)
        lc_http_cancel(r->h, r->cancel_id);
    if (r->spawn && r->body_calls == 1) {
        snprintf(u, sizeof(u), "http://127.0.0.1:%d/echo", srv.port);
        assert_int_equal(send_req(r->h, "GET", u, NULL, NULL, 0, r->spawn, false), 0);
    }
    if (r->free_on_body)
        lc_http_free(r->h);
    if (r->abort_after && r->body_calls >= r->abort_after)
        return 1;
    return 0;
}

static bool watchdog_fired;

static void watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
    watchdog_fired = true;
    event_base_loopbreak(arg);
}

/* Run the loop while busy(arg) holds (30 s watchdog). */
static void run_loop(struct event_base *base, bool (*busy)(void *), void *arg)
{
    struct timeval tv = {30, 0};
    struct event *wd = evtimer_new(base, watchdog_cb, base);

    watchdog_fired = false;
    evtimer_add(wd, &tv);
    while (busy(arg) && !watchdog_fired)
        event_base_loop(base, EVLOOP_ONCE);
    event_free(wd);
    assert_false(watchdog_fired);
}

static bool below_target(void *arg)
{
    return done_count < *(int *)arg;
}

/* Run the loop until done_count reaches target. */
static void run_until(struct event_base *base, int target)
{
    run_loop(base, below_target, &target);
}

static char *mkurl(char *buf, size_t len, const char *scheme, const char *host, int port,
                   const char *path)
{
    snprintf(buf, len, "%s://%s:%d%s", scheme, host, port, path);
    return buf;
}

static int send_req(struct lc_http *h, const char *method, const char *url,
                    const struct lc_kvlist *hdrs, const void *body, size_t body_len, struct res *r,
                    bool stream)
{
    struct lc_http_req req = {0};
    struct lc_error err;

    req.method = method;
    req.url = url;
    req.headers = hdrs;
    req.body = body;
    req.body_len = body_len;
    req.on_done = on_done;
    req.on_body = stream ? on_body : NULL;
    req.ud = r;
    r->h = h;
    return lc_http_send(h, &req, &r->id, &err);
}

static struct lc_http *engine(struct event_base *base, int max_total, int max_per_host)
{
    struct lc_http_opts o = {0};
    struct lc_error err;

    o.max_total = max_total;
    o.max_per_host = max_per_host;
    struct lc_http *h = lc_http_new(base, &o, &err);
    assert_non_null(h);
    return h;
}

/* One GET through a throwaway engine, for control and stats calls. */
static cJSON *get_json(struct event_base *base, const char *path)
{
    char u[256];
    struct res r = {0};
    struct lc_http *h = engine(base, 0, 0);

    done_count = 0;
    assert_int_equal(send_req(h, "GET", mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, path),
                              NULL, NULL, 0, &r, false),
                     0);
    run_until(base, 1);
    lc_http_free(h);
    assert_int_equal(r.status, 200);
    cJSON *j = cJSON_Parse(r.body.data);
    assert_non_null(j);
    res_free(&r);
    return j;
}

static long json_num(const cJSON *j, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
    assert_true(cJSON_IsNumber(v));
    return (long)v->valuedouble;
}

/* Value of a request header as the echo endpoint saw it (NULL if absent); *count = copies. */
static const char *echo_header(const cJSON *j, const char *name, int *count)
{
    const cJSON *hs = cJSON_GetObjectItemCaseSensitive(j, "headers");
    const cJSON *it;
    const char *found = NULL;
    int n = 0;

    cJSON_ArrayForEach(it, hs)
    {
        const cJSON *k = cJSON_GetArrayItem(it, 0);
        if (strcasecmp(k->valuestring, name) == 0) {
            if (!found)
                found = cJSON_GetArrayItem(it, 1)->valuestring;
            n++;
        }
    }
    if (count)
        *count = n;
    return found;
}

static void hex(const unsigned char *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", p[i]);
    out[2 * n] = '\0';
}

static int setup(void **state)
{
    char path[512];
    static const char *const proxy_vars[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
                                             "HTTPS_PROXY", "all_proxy",  "ALL_PROXY",
                                             "no_proxy",    "NO_PROXY"};

    /* Hermetic: a proxy configured in the environment would capture loopback requests. */
    for (size_t i = 0; i < sizeof(proxy_vars) / sizeof(proxy_vars[0]); i++)
        unsetenv(proxy_vars[i]);
    lc_testsrv_path("http_test_server.py", path, sizeof(path));
    char *argv[] = {(char *)lc_testsrv_python(), path, NULL};
    return lc_testsrv_start(&srv, argv);
}

static int teardown(void **state)
{
    lc_testsrv_stop(&srv);
    return 0;
}

/* ---- round trips ---------------------------------------------------------------------- */

static void test_roundtrips(void **state)
{
    struct event_base *base = event_base_new();
    struct lc_http *h = engine(base, 4, 4);
    struct lc_kvlist hdrs = {0};
    struct res get = {0}, put = {0}, put0 = {0}, post = {0}, del = {0}, head = {0};
    unsigned char blob[3000];
    char u[256], *want = malloc(sizeof(blob) * 2 + 1);
    const char *v;
    int n;

    for (size_t i = 0; i < sizeof(blob); i++)
        blob[i] = (unsigned char)(i * 7);
    blob[10] = 0;
    lc_kv_add(&hdrs, "X-Amz-Date", "20240101T000000Z");
    lc_kv_add(&hdrs, "X-Custom", "a  b");
    lc_kv_add(&hdrs, "X-Empty", "");
    done_count = 0;
    assert_int_equal(send_req(h, "GET",
                              mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, "/echo?a=1&b=%2F"),
                              &hdrs, NULL, 0, &get, false),
                     0);
    assert_int_equal(send_req(h, "PUT",
                              mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, "/echo/key"),
                              &hdrs, blob, sizeof(blob), &put, false),
                     0);
    mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, "/echo");
    assert_int_equal(send_req(h, "PUT", u, NULL, NULL, 0, &put0, false), 0);
    assert_int_equal(send_req(h, "POST", u, &hdrs, "Action=Go&x=1", 13, &post, false), 0);
    assert_int_equal(send_req(h, "DELETE", u, &hdrs, NULL, 0, &del, false), 0);
    assert_int_equal(send_req(h, "HEAD", u, &hdrs, NULL, 0, &head, false), 0);
    assert_int_equal(lc_http_pending(h), 6);
    /* Never synchronously from lc_http_send. */
    assert_int_equal(get.calls + put.calls + head.calls, 0);
    run_until(base, 6);
    assert_int_equal(lc_http_pending(h), 0);

    struct res *all[] = {&get, &put, &put0, &post, &del};
    const char *methods[] = {"GET", "PUT", "PUT", "POST", "DELETE"};
    for (size_t i = 0; i < 5; i++) {
        struct res *r = all[i];
        assert_int_equal(r->calls, 1);
        assert_int_equal(r->err.kind, LC_OK);
        assert_int_equal(r->status, 200);
        assert_string_equal(lc_kv_get(&r->headers, "content-type"), "application/json");
        cJSON *j = cJSON_Parse(r->body.data);
        assert_non_null(j);
        assert_string_equal(cJSON_GetObjectItem(j, "method")->valuestring, methods[i]);
        /* Signed requests: curl must not add Expect or Accept. */
        assert_null(echo_header(j, "Expect", NULL));
        assert_null(echo_header(j, "Accept", NULL));
        assert_null(echo_header(j, "Transfer-Encoding", NULL));
        assert_non_null(strstr(echo_header(j, "User-Agent", NULL), "logcanary/"));
        if (r != &put0) {
            v = echo_header(j, "X-Custom", &n);
            assert_string_equal(v, "a  b");
            assert_int_equal(n, 1);
            assert_string_equal(echo_header(j, "X-Empty", NULL), "");
            assert_string_equal(echo_header(j, "X-Amz-Date", NULL), "20240101T000000Z");
        }
        if (r == &get) {
            assert_string_equal(cJSON_GetObjectItem(j, "query")->valuestring, "a=1&b=%2F");
            assert_null(echo_header(j, "Content-Length", NULL));
            assert_int_equal(json_num(j, "body_len"), 0);
        } else if (r == &put) {
            hex(blob, sizeof(blob), want);
            assert_string_equal(cJSON_GetObjectItem(j, "body_hex")->valuestring, want);
            assert_string_equal(echo_header(j, "Content-Length", NULL), "3000");
            assert_null(echo_header(j, "Content-Type", NULL));
            assert_string_equal(cJSON_GetObjectItem(j, "path")->valuestring, "/echo/key");
        } else if (r == &put0) {
            assert_string_equal(echo_header(j, "Content-Length", NULL), "0");
            assert_int_equal(json_num(j, "body_len"), 0);
        } else if (r == &post) {
            assert_string_equal(cJSON_GetObjectItem(j, "body_hex")->valuestring,
                                "416374696f6e3d476f26783d31");
            assert_string_equal(echo_header(j, "Content-Length", NULL), "13");
            /* No form Content-Type behind the caller's back. */
            assert_null(echo_header(j, "Content-Type", NULL));
        } else if (r == &del) {
            assert_null(echo_header(j, "Content-Length", NULL));
        }
        cJSON_Delete(j);
    }
    assert_int_equal(head.status, 200);
    assert_int_equal(head.err.kind, LC_OK);
    assert_int_equal(head.body.len, 0);
    assert_string_equal(lc_kv_get(&head.headers, "x-echo-method"), "HEAD");
    v = lc_kv_get(&head.headers, "x-echo-header-names");
    assert_non_null(v);
    assert_null(strstr(v, "accept"));
    assert_null(strstr(v, "expect"));
    assert_non_null(strstr(v, "x-custom"));

    struct lc_http_stats st;
    lc_http_get_stats(h, &st);
    assert_int_equal(st.started, 6);
    assert_int_equal(st.completed, 6);
    assert_int_equal(st.failed, 0);
    assert_true(st.bytes_received > 0);

    lc_http_free(h);
    event_base_free(base);
    lc_kv_free(&hdrs);
    free(want);
    for (size_t i = 0; i < 5; i++)
        res_free(all[i]);
    res_free(&head);
}

static void test_response_headers(void **state)
{
    struct event_base *base = event_base_new();
    struct lc_http *h = engine(base, 0, 0);
    struct res hd = {0}, cont = {0}, redir = {0};
    char u[256];

    done_count = 0;
    send_req(h, "GET", mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, "/headers"), NULL, NULL,
             0, &hd, false);
    send_req(h, "GET", mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, "/continue"), NULL, NULL,
             0, &cont, false);
    send_req(h, "GET", mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, "/redirect"), NULL, NULL,
             0, &redir, false);
    run_until(base, 3);

    /* Names lowercased, values trimmed, repeats kept in order. */
    assert_string_equal(lc_kv_get(&hd.headers, "x-mixed-case"), "Value With Spaces");
    size_t reps = 0;
    for (size_t i = 0; i < hd.headers.n; i++) {
        for (const char *p = hd.headers.items[i].name; *p; p++)
            assert_false(*p >= 'A' && *p <= 'Z');
        if (strcmp(hd.headers.items[i].name, "x-repeated") == 0)
            assert_string_equal(hd.headers.items[i].value, reps++ ? "two" : "one");
    }
    assert_int_equal(reps, 2);
    assert_string_equal(lc_kv_get(&hd.headers, "x-empty"), "");
    assert_string_equal(hd.body.data, "ok");

    /* Only the final response's headers survive an interim 100. */
    assert_int_equal(cont.status, 200);
    assert_null(lc_kv_get(&cont.headers, "x-interim"));
    assert_string_equal(lc_kv_get(&cont.headers, "x-final"), "1");
    assert_string_equal(cont.body.data, "final");

    /* Redirects are not followed. */
    assert_int_equal(redir.err.kind, LC_OK);
    assert_int_equal(redir.status, 307);
    assert_string_equal(lc_kv_get(&redir.headers, "location"), "/echo");
    assert_string_equal(redir.body.data, "moved");

    lc_http_free(h);
    event_base_free(base);
    res_free(&hd);
    res_free(&cont);
    res_free(&redir);
}

/* ---- bodies --------------------------------------------------------------------------- */

static void test_stream_large(void **state)
{
    struct event_base *base = event_base_new();
    struct lc_http_opts o = {.max_body = 16u << 20};
    struct lc_error err;
    struct lc_http *h = lc_http_new(base, &o, &err);
    struct res chunked = {0}, sized = {0};
    const size_t n = (6u << 20) + 123;
    char u[256], path[128];

    assert_non_null(h);
    done_count = 0;
    snprintf(path, sizeof(path), "/bytes?n=%zu&chunked=1", n);
    send_req(h, "GET", mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, path), NULL, NULL, 0,
             &chunked, true);
    snprintf(path, sizeof(path), "/bytes?n=%zu", n);
    send_req(h, "GET", mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, path), NULL, NULL, 0,
             &sized, true);
    run_until(base, 2);
    struct res *all[] = {&chunked, &sized};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(all[i]->err.kind, LC_OK);
        assert_int_equal(all[i]->status, 200);
        assert_int_equal(all[i]->streamed, n);
        assert_false(all[i]->pattern_bad);
        assert_true(all[i]->body_calls > 1);
        /* Streamed, not buffered. */
        assert_true(all[i]->body_null);
        assert_int_equal(all[i]->body.len, 0);
    }
    struct lc_http_stats st;
    lc_http_get_stats(h, &st);
    assert_true(st.bytes_received >= 2 * n);
    lc_http_free(h);
    event_base_free(base);
    res_free(&chunked);
    res_free(&sized);
}

static void test_too_large(void **state)
{
    struct event_base *base = event_base_new();
    struct lc_http *h = engine(base, 0, 0);
    struct res sized = {0}, chunked = {0}, streamed = {0}, fits = {0};
    struct lc_http_req req = {0};
    struct lc_error err;
    char u[256];

    done_count = 0;
    req.method = "GET";
    req.on_done = on_done;
    req.max_body = 50000;
    req.url = mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, "/bytes?n=100000");
    req.ud = &sized;
    assert_int_equal(lc_http_send(h, &req, NULL, &err), 0);
    req.url = mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, "/bytes?n=100000&chunked=1");
    req.ud = &chunked;
    assert_int_equal(lc_http_send(h, &req, NULL, &err), 0);
    req.on_body = on_body;
    req.ud = &streamed;
    assert_int_equal(lc_http_send(h, &req, NULL, &err), 0);
    req.on_body = NULL;
    req.url = mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, "/bytes?n=50000&chunked=1");
    req.ud = &fits;
    assert_int_equal(lc_http_send(h, &req, NULL, &err), 0);
    run_until(base, 4);

    struct res *big[] = {&sized, &chunked, &streamed};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(big[i]->calls, 1);
        assert_int_equal(big[i]->err.kind, LC_E_TOO_LARGE);
        assert_false(big[i]->err.retryable);
        assert_int_equal(big[i]->body.len, 0);
    }
    assert_true(streamed.streamed <= 50000);
    assert_false(streamed.pattern_bad);
    assert_int_equal(fits.err.kind, LC_OK);
    assert_int_equal(fits.body.len, 50000);
    lc_http_free(h);
    event_base_free(base);
    res_free(&sized);
    res_free(&chunked);
    res_free(&streamed);
    res_free(&fits);
}

static void test_error_body_buffered(void **state)
{
    struct event_base *base = event_base_new();
    struct lc_http *h = engine(base, 0, 0);
    struct res nf = {0}, busy = {0};
    char u[256];

    done_count = 0;
    send_req(h, "GET",
             mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port,
                   "/status?code=404&body=%3CError%3ENoSuchKey%3C%2FError%3E"),
             NULL, NULL, 0, &nf, true);
    send_req(h, "PUT",
             mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, "/status?code=503&body=SlowDown"),
             NULL, "x", 1, &busy, true);
    run_until(base, 2);
    /* An HTTP answer is not a transport error, whatever its status. */
    assert_int_equal(nf.err.kind, LC_OK);
    assert_int_equal(nf.status, 404);
    assert_int_equal(nf.streamed, 0);
    assert_string_equal(nf.body.data, "<Error>NoSuchKey</Error>");
    assert_int_equal(busy.err.kind, LC_OK);
    assert_int_equal(busy.status, 503);
    assert_int_equal(busy.streamed, 0);
    assert_string_equal(busy.body.data, "SlowDown");
    lc_http_free(h);
    event_base_free(base);
    res_free(&nf);
    res_free(&busy);
}

/* ---- transport errors ----------------------------------------------------------------- */

static int unused_port(void)
{
    struct sockaddr_in a = {0};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static void test_transport_errors(void **state)
{
    struct event_base *base = event_base_new();
    struct lc_http *h = engine(base, 0, 0);
    struct res refused = {0}, reset = {0}, slow = {0};
    struct lc_http_req req = {0};
    struct lc_error err;
    struct timespec t0, t1;
    char u[256];

    done_count = 0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(send_req(h, "GET",
                              mkurl(u, sizeof(u), "http", "127.0.0.1", unused_port(), "/"), NULL,
                              NULL, 0, &refused, false),
                     0);
    assert_int_equal(refused.calls, 0);
    send_req(h, "GET", mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, "/reset"), NULL, NULL, 0,
             &reset, false);
    req.method = "GET";
    req.url = mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, "/stall?ms=5000");
    req.timeout_ms = 300;
    req.on_done = on_done;
    req.ud = &slow;
    assert_int_equal(lc_http_send(h, &req, NULL, &err), 0);
    run_until(base, 3);
    clock_gettime(CLOCK_MONOTONIC, &t1);

    assert_int_equal(refused.err.kind, LC_E_NETWORK);
    assert_true(refused.err.retryable);
    assert_int_equal(refused.status, 0);
    assert_non_null(strstr(refused.err.message, "curl error 7"));
    assert_int_equal(reset.err.kind, LC_E_NETWORK);
    assert_true(reset.err.retryable);
    assert_int_equal(slow.err.kind, LC_E_TIMEOUT);
    assert_true(slow.err.retryable);
    assert_int_equal(slow.status, 0);
    /* The timeout fired, not the server's 5 s stall. */
    assert_true(t1.tv_sec - t0.tv_sec < 4);

    struct lc_http_stats st;
    lc_http_get_stats(h, &st);
    assert_int_equal(st.failed, 3);
    assert_int_equal(st.completed, 0);
    lc_http_free(h);
    event_base_free(base);
    res_free(&refused);
    res_free(&reset);
    res_free(&slow);
}

static void test_invalid(void **state)
{
    struct event_base *base = event_base_new();
    struct lc_http *h = engine(base, 0, 0);
    struct lc_kvlist bad = {0};
    struct res r = {0};
    struct lc_http_req req = {0};
    struct lc_error err;

    lc_kv_add(&bad, "X-Injected", "a\r\nEvil: 1");
    assert_int_equal(send_req(h, "get", "http://127.0.0.1:1/", NULL, NULL, 0, &r, false),
                     LC_E_INVALID);
    assert_int_equal(send_req(h, "GET", "ftp://127.0.0.1/x", NULL, NULL, 0, &r, false),
                     LC_E_INVALID);
    assert_int_equal(send_req(h, "GET", "not a url", NULL, NULL, 0, &r, false), LC_E_INVALID);
    assert_int_equal(send_req(h, "GET", "http://127.0.0.1:1/", &bad, NULL, 0, &r, false),
                     LC_E_INVALID);
    req.method = "GET";
    req.url = "http://127.0.0.1:1/";
    assert_int_equal(lc_http_send(h, &req, NULL, &err), LC_E_INVALID); /* no on_done */
    assert_int_equal(err.kind, LC_E_INVALID);
    assert_int_equal(lc_http_pending(h), 0);
    lc_http_free(h);
    event_base_free(base);
    lc_kv_free(&bad);
    assert_int_equal(r.calls, 0);
}

/* ---- caps ----------------------------------------------------------------------------- */

/* Drives one /hold group from a second engine on the same loop (so the caps under test do not
 * apply to it): wait until min(cap, left) requests are held at the server, release them, repeat.
 * With the caps honoured every release frees exactly that many; a broken cap shows up as a
 * bigger batch and a bigger server-side maximum. */
struct capctx {
    struct lc_http *ctl;
    const char *group;
    int total, cap;
    int answered;  /* hold requests done */
    int released;  /* sum of released batches */
    int max_batch; /* largest batch released at once */
    int rounds;
    int ctl_busy; /* control requests in flight */
    struct res wait, rel;
};

static void cap_wait(struct capctx *c);

static void cap_released(struct res *r)
{
    struct capctx *c = r->ctx;

    c->ctl_busy--;
    assert_int_equal(r->status, 200);
    cJSON *j = cJSON_Parse(r->body.data);
    assert_non_null(j);
    int n = (int)json_num(j, "released");
    cJSON_Delete(j);
    c->released += n;
    c->rounds++;
    if (n > c->max_batch)
        c->max_batch = n;
    if (n > 0 && c->released < c->total)
        cap_wait(c);
}

static void cap_waited(struct res *r)
{
    struct capctx *c = r->ctx;
    char u[256], path[128];

    c->ctl_busy--;
    assert_int_equal(r->status, 200);
    snprintf(path, sizeof(path), "/release?group=%s", c->group);
    c->rel.then = cap_released;
    c->rel.ctx = c;
    c->ctl_busy++;
    assert_int_equal(send_req(c->ctl, "GET",
                              mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, path), NULL, NULL,
                              0, &c->rel, false),
                     0);
}

static void cap_wait(struct capctx *c)
{
    char u[256], path[128];
    int left = c->total - c->released;

    snprintf(path, sizeof(path), "/wait?group=%s&waiting=%d", c->group,
             left < c->cap ? left : c->cap);
    c->wait.then = cap_waited;
    c->wait.ctx = c;
    c->ctl_busy++;
    assert_int_equal(send_req(c->ctl, "GET",
                              mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, path), NULL, NULL,
                              0, &c->wait, false),
                     0);
}

static void hold_answered(struct res *r)
{
    struct capctx *c = r->ctx;

    c->answered++;
}

static bool cap_busy(void *arg)
{
    struct capctx **cs = arg;

    for (; *cs; cs++)
        if ((*cs)->answered < (*cs)->total || (*cs)->ctl_busy > 0)
            return true;
    return false;
}

/* Queue c->total holds; host i is hosts[i % nhosts]. */
static void send_holds(struct lc_http *h, struct capctx *c, const char *const *hosts, int nhosts,
                       struct res *rs)
{
    char u[256], path[128];

    snprintf(path, sizeof(path), "/hold?group=%s&timeout_ms=20000", c->group);
    for (int i = 0; i < c->total; i++) {
        rs[i].then = hold_answered;
        rs[i].ctx = c;
        assert_int_equal(send_req(h, "GET",
                                  mkurl(u, sizeof(u), "http", hosts[i % nhosts], srv.port, path),
                                  NULL, NULL, 0, &rs[i], false),
                         0);
    }
    cap_wait(c);
}

static void cap_check(struct event_base *base, struct capctx *c, struct res *rs)
{
    char path[128];

    for (int i = 0; i < c->total; i++) {
        assert_int_equal(rs[i].err.kind, LC_OK);
        assert_int_equal(rs[i].status, 200);
        res_free(&rs[i]);
    }
    assert_int_equal(c->released, c->total);
    assert_int_equal(c->max_batch, c->cap);
    assert_int_equal(c->rounds, (c->total + c->cap - 1) / c->cap);
    snprintf(path, sizeof(path), "/stats?group=%s", c->group);
    cJSON *j = get_json(base, path);
    assert_int_equal(json_num(j, "max"), c->cap);
    assert_int_equal(json_num(j, "answered"), c->total);
    cJSON_Delete(j);
    res_free(&c->wait);
    res_free(&c->rel);
}

static void test_global_cap(void **state)
{
    static const char *const hosts[] = {"127.0.0.1", "localhost"};
    struct event_base *base = event_base_new();
    struct lc_http *h = engine(base, 3, 10);
    struct capctx c = {.ctl = engine(base, 0, 0), .group = "global3", .total = 20, .cap = 3};
    struct capctx *cs[] = {&c, NULL};
    struct res rs[20] = {0};

    /* 20 requests over two hosts with a per-host cap of 10: only the global cap of 3 binds. */
    send_holds(h, &c, hosts, 2, rs);
    run_loop(base, cap_busy, cs);
    cap_check(base, &c, rs);
    lc_http_free(c.ctl);
    lc_http_free(h);
    event_base_free(base);
}

static void test_host_cap(void **state)
{
    static const char *const host_a[] = {"127.0.0.1"}, *const host_b[] = {"localhost"};
    struct event_base *base = event_base_new();
    struct lc_http *h = engine(base, 10, 2);
    struct lc_http *ctl = engine(base, 0, 0);
    struct capctx a = {.ctl = ctl, .group = "hostA", .total = 8, .cap = 2};
    struct capctx b = {.ctl = ctl, .group = "hostB", .total = 8, .cap = 2};
    struct capctx *cs[] = {&a, &b, NULL};
    struct res ra[8] = {0}, rb[8] = {0};

    /* All of host A is queued first; host B must not wait behind it (FIFO skips full hosts). */
    send_holds(h, &a, host_a, 1, ra);
    send_holds(h, &b, host_b, 1, rb);
    run_loop(base, cap_busy, cs);
    cap_check(base, &a, ra);
    cap_check(base, &b, rb);
    lc_http_free(ctl);
    lc_http_free(h);
    event_base_free(base);
}

static void test_200_concurrent(void **state)
{
    struct event_base *base = event_base_new();
    struct lc_http *h = engine(base, 200, 200);
    struct res *rs = calloc(200, sizeof(*rs));
    char u[256];

    done_count = 0;
    /* The server answers none of them until all 200 are in flight at once. */
    mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, "/hold?group=c200&n=200&timeout_ms=20000");
    for (int i = 0; i < 200; i++)
        assert_int_equal(send_req(h, "GET", u, NULL, NULL, 0, &rs[i], false), 0);
    run_until(base, 200);
    for (int i = 0; i < 200; i++) {
        assert_int_equal(rs[i].err.kind, LC_OK);
        assert_int_equal(rs[i].status, 200);
        res_free(&rs[i]);
    }
    free(rs);
    cJSON *j = get_json(base, "/stats?group=c200");
    assert_int_equal(json_num(j, "max"), 200);
    cJSON_Delete(j);
    lc_http_free(h);
    event_base_free(base);
}

/* ---- connection reuse ----------------------------------------------------------------- */

static void keepalive_then(struct res *r)
{
    struct res *second = r->ctx;
    char u[256];

    /* Sending from inside a done callback is allowed. */
    assert_int_equal(send_req(r->h, "GET",
                              mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, "/echo"), NULL,
                              NULL, 0, second, false),
                     0);
}

static void test_keepalive(void **state)
{
    struct event_base *base = event_base_new();
    struct lc_http *h = engine(base, 0, 0);
    struct res first = {0}, second = {0};
    char u[256];

    done_count = 0;
    first.then = keepalive_then;
    first.ctx = &second;
    send_req(h, "GET", mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, "/echo"), NULL, NULL, 0,
             &first, false);
    run_until(base, 2);
    assert_int_equal(first.status, 200);
    assert_int_equal(second.status, 200);
    assert_false(first.reused);
    assert_true(second.reused);
    /* Same TCP connection as the server saw it. */
    assert_string_equal(lc_kv_get(&first.headers, "x-client-port"),
                        lc_kv_get(&second.headers, "x-client-port"));
    struct lc_http_stats st;
    lc_http_get_stats(h, &st);
    assert_int_equal(st.connections_reused, 1);
    lc_http_free(h);
    event_base_free(base);
    res_free(&first);
    res_free(&second);
}

/* ---- cancellation and teardown from callbacks ----------------------------------------- */

static void test_cancel(void **state)
{
    struct event_base *base = event_base_new();
    struct lc_http *h = engine(base, 0, 0);
    struct res stalled = {0}, quick = {0}, self = {0}, aborted = {0}, queued = {0}, spawned = {0};
    char u[256];

    done_count = 0;
    send_req(h, "GET", mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, "/stall?ms=10000"), NULL,
             NULL, 0, &stalled, false);
    /* The quick one cancels the stalled one from its done callback. */
    quick.cancel_on_done = true;
    quick.cancel_id = stalled.id;
    send_req(h, "GET", mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, "/echo"), NULL, NULL, 0,
             &quick, false);
    /* A stream that cancels itself from its body callback. */
    send_req(h, "GET",
             mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, "/bytes?n=4000000&chunked=1"), NULL,
             NULL, 0, &self, true);
    self.cancel_on_body = true;
    self.cancel_id = self.id;
    /* A stream whose body callback returns non-zero, after sending a new request. */
    aborted.abort_after = 2;
    aborted.spawn = &spawned;
    send_req(h, "GET", mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, "/bytes?n=4000000"), NULL,
             NULL, 0, &aborted, true);
    /* Cancelled before the loop ever ran: delivered from the loop, not from cancel. */
    send_req(h, "GET", mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, "/echo"), NULL, NULL, 0,
             &queued, false);
    lc_http_cancel(h, queued.id);
    assert_int_equal(queued.calls, 0);
    lc_http_cancel(h, 999999); /* unknown ids are ignored */
    run_until(base, 6);

    assert_int_equal(quick.err.kind, LC_OK);
    assert_int_equal(spawned.status, 200);
    assert_int_equal(stalled.calls, 1);
    assert_int_equal(stalled.err.kind, LC_E_CANCELLED);
    assert_false(stalled.err.retryable);
    assert_int_equal(self.err.kind, LC_E_CANCELLED);
    assert_true(self.streamed < 4000000);
    assert_int_equal(aborted.err.kind, LC_E_CANCELLED);
    assert_int_equal(aborted.body_calls, 2);
    assert_int_equal(queued.calls, 1);
    assert_int_equal(queued.err.kind, LC_E_CANCELLED);
    assert_int_equal(lc_http_pending(h), 0);

    /* cancel_all with queued and running transfers; the engine stays usable after it. */
    struct lc_http *one = engine(base, 1, 1);
    struct res c1 = {0}, c2 = {0}, after = {0};
    done_count = 0;
    send_req(one, "GET", mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, "/stall?ms=10000"),
             NULL, NULL, 0, &c1, false);
    send_req(one, "GET", mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, "/echo"), NULL, NULL, 0,
             &c2, false);
    lc_http_cancel_all(one);
    assert_int_equal(c1.calls + c2.calls, 0);
    run_until(base, 2);
    assert_int_equal(c1.err.kind, LC_E_CANCELLED);
    assert_int_equal(c2.err.kind, LC_E_CANCELLED);
    send_req(one, "GET", mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, "/echo"), NULL, NULL, 0,
             &after, false);
    run_until(base, 3);
    assert_int_equal(after.status, 200);

    lc_http_free(one);
    lc_http_free(h);
    event_base_free(base);
    struct res *all[] = {&stalled, &quick, &self, &aborted, &queued, &spawned, &c1, &c2, &after};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        res_free(all[i]);
}

static void refuse_then(struct res *r)
{
    char u[256];
    struct res *dummy = r->ctx;

    /* The engine is being freed: new work is refused. */
    assert_int_equal(send_req(r->h, "GET",
                              mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, "/echo"), NULL,
                              NULL, 0, dummy, false),
                     LC_E_CANCELLED);
    lc_http_cancel_all(r->h);
    lc_http_free(r->h); /* a second free from a callback is harmless */
}

static void test_free_from_callback(void **state)
{
    struct event_base *base = event_base_new();
    struct lc_http *h = engine(base, 3, 3);
    struct res killer = {0}, victims[5] = {{0}}, dummy = {0};
    char u[256];

    done_count = 0;
    /* max_total 3: two stalls run, killer runs, three stalls wait in the queue. */
    for (int i = 0; i < 5; i++) {
        if (i == 2) {
            killer.free_on_done = true;
            send_req(h, "GET", mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, "/echo"), NULL,
                     NULL, 0, &killer, false);
        }
        victims[i].then = refuse_then;
        victims[i].ctx = &dummy;
        send_req(h, "GET", mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, "/stall?ms=10000"),
                 NULL, NULL, 0, &victims[i], false);
    }
    run_until(base, 6);
    assert_int_equal(killer.status, 200);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(victims[i].calls, 1);
        assert_int_equal(victims[i].err.kind, LC_E_CANCELLED);
        res_free(&victims[i]);
    }
    assert_int_equal(dummy.calls, 0);
    res_free(&killer);

    /* Free from outside the loop with work queued and running: callbacks run inside free. */
    struct lc_http *h2 = engine(base, 1, 1);
    struct res a = {0}, b = {0};
    done_count = 0;
    send_req(h2, "GET", mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, "/stall?ms=10000"), NULL,
             NULL, 0, &a, false);
    send_req(h2, "GET", mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, "/echo"), NULL, NULL, 0,
             &b, false);
    event_base_loop(base, EVLOOP_NONBLOCK); /* let the first one start */
    lc_http_free(h2);
    assert_int_equal(a.calls, 1);
    assert_int_equal(b.calls, 1);
    assert_int_equal(a.err.kind, LC_E_CANCELLED);
    assert_int_equal(b.err.kind, LC_E_CANCELLED);
    res_free(&a);
    res_free(&b);

    /* Free from inside a body callback, with curl on the stack. */
    struct lc_http *h3 = engine(base, 0, 0);
    struct res streamer = {0}, other = {0};
    done_count = 0;
    send_req(h3, "GET", mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, "/stall?ms=10000"), NULL,
             NULL, 0, &other, false);
    streamer.free_on_body = true;
    send_req(h3, "GET",
             mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, "/bytes?n=4000000&chunked=1"), NULL,
             NULL, 0, &streamer, true);
    run_until(base, 2);
    assert_int_equal(streamer.calls, 1);
    assert_int_equal(streamer.body_calls, 1);
    assert_int_equal(streamer.err.kind, LC_E_CANCELLED);
    assert_int_equal(other.calls, 1);
    assert_int_equal(other.err.kind, LC_E_CANCELLED);
    res_free(&streamer);
    res_free(&other);
    event_base_free(base);
}

/* ---- TLS ------------------------------------------------------------------------------ */

static int run_cmd(char *const argv[])
{
    int status = 0;
    pid_t pid = fork();

    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execvp(argv[0], argv);
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &status, 0) < 0)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_tls(void **state)
{
    char dir[] = "/tmp/lc_http_tls_XXXXXX";
    char cert[128], key[128], path[512], u[256];
    struct lc_testsrv tls;
    struct event_base *base = event_base_new();
    struct lc_error err;
    struct res ok_ip = {0}, ok_name = {0}, untrusted = {0}, plain = {0};

    assert_non_null(mkdtemp(dir));
    snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
    snprintf(key, sizeof(key), "%s/key.pem", dir);
    char *gen[] = {"openssl",
                   "req",
                   "-x509",
                   "-newkey",
                   "ec",
                   "-pkeyopt",
                   "ec_paramgen_curve:prime256v1",
                   "-nodes",
                   "-keyout",
                   key,
                   "-out",
                   cert,
                   "-days",
                   "2",
                   "-subj",
                   "/CN=localhost",
                   "-addext",
                   "subjectAltName=DNS:localhost,IP:127.0.0.1",
                   NULL};
    if (run_cmd(gen) != 0) {
        rmdir(dir);
        event_base_free(base);
        skip();
    }
    lc_testsrv_path("http_test_server.py", path, sizeof(path));
    char *argv[] = {(char *)lc_testsrv_python(), path, "--tls", cert, key, NULL};
    assert_int_equal(lc_testsrv_start(&tls, argv), 0);

    struct lc_http_opts o = {.ca_bundle = cert};
    struct lc_http *trusting = lc_http_new(base, &o, &err);
    struct lc_http *strict = engine(base, 0, 0);
    assert_non_null(trusting);
    done_count = 0;
    send_req(trusting, "GET", mkurl(u, sizeof(u), "https", "127.0.0.1", tls.port, "/echo"), NULL,
             NULL, 0, &ok_ip, false);
    send_req(trusting, "GET", mkurl(u, sizeof(u), "https", "localhost", tls.port, "/echo"), NULL,
             NULL, 0, &ok_name, false);
    /* The system store does not know our self-signed certificate. */
    send_req(strict, "GET", mkurl(u, sizeof(u), "https", "127.0.0.1", tls.port, "/echo"), NULL,
             NULL, 0, &untrusted, false);
    /* https to a plain HTTP server never succeeds. */
    send_req(trusting, "GET", mkurl(u, sizeof(u), "https", "127.0.0.1", srv.port, "/echo"), NULL,
             NULL, 0, &plain, false);
    run_until(base, 4);

    assert_int_equal(ok_ip.err.kind, LC_OK);
    assert_int_equal(ok_ip.status, 200);
    assert_int_equal(ok_name.err.kind, LC_OK);
    assert_int_equal(ok_name.status, 200);
    assert_int_equal(untrusted.err.kind, LC_E_TLS);
    assert_int_equal(untrusted.status, 0);
    assert_false(untrusted.err.retryable);
    assert_true(plain.err.kind == LC_E_TLS || plain.err.kind == LC_E_NETWORK);
    assert_int_equal(plain.status, 0);

    lc_http_free(trusting);
    lc_http_free(strict);
    event_base_free(base);
    lc_testsrv_stop(&tls);
    unlink(cert);
    unlink(key);
    rmdir(dir);
    res_free(&ok_ip);
    res_free(&ok_name);
    res_free(&untrusted);
    res_free(&plain);
}

/* ---- proxy environment ---------------------------------------------------------------- */

static void test_proxy_env(void **state)
{
    char path[512], u[256], proxy[64];
    struct lc_testsrv px;
    struct event_base *base = event_base_new();
    struct lc_http *h = engine(base, 0, 0);
    struct res via = {0}, direct = {0}, count = {0};

    lc_testsrv_path("http_test_server.py", path, sizeof(path));
    char *argv[] = {(char *)lc_testsrv_python(), path, "--proxy", NULL};
    assert_int_equal(lc_testsrv_start(&px, argv), 0);
    snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", px.port);

    /* http_proxy is honoured... */
    setenv("http_proxy", proxy, 1);
    done_count = 0;
    send_req(h, "GET", mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, "/echo"), NULL, NULL, 0,
             &via, false);
    run_until(base, 1);
    assert_int_equal(via.status, 200);
    assert_string_equal(lc_kv_get(&via.headers, "x-via-test-proxy"), "1");

    /* ...and so is NO_PROXY for the loopback host. */
    setenv("NO_PROXY", "127.0.0.1,localhost", 1);
    send_req(h, "GET", mkurl(u, sizeof(u), "http", "127.0.0.1", srv.port, "/echo"), NULL, NULL, 0,
             &direct, false);
    run_until(base, 2);
    assert_int_equal(direct.status, 200);
    assert_null(lc_kv_get(&direct.headers, "x-via-test-proxy"));
    unsetenv("http_proxy");
    unsetenv("NO_PROXY");

    /* The proxy forwarded exactly one request. */
    send_req(h, "GET", mkurl(u, sizeof(u), "http", "127.0.0.1", px.port, "/proxy_count"), NULL,
             NULL, 0, &count, false);
    run_until(base, 3);
    cJSON *j = cJSON_Parse(count.body.data);
    assert_non_null(j);
    assert_int_equal(json_num(j, "count"), 1);
    cJSON_Delete(j);

    lc_http_free(h);
    event_base_free(base);
    lc_testsrv_stop(&px);
    res_free(&via);
    res_free(&direct);
    res_free(&count);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrips),
        cmocka_unit_test(test_response_headers),
        cmocka_unit_test(test_stream_large),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_error_body_buffered),
        cmocka_unit_test(test_transport_errors),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_global_cap),
        cmocka_unit_test(test_host_cap),
        cmocka_unit_test(test_200_concurrent),
        cmocka_unit_test(test_keepalive),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_free_from_callback),
        cmocka_unit_test(test_tls),
        cmocka_unit_test(test_proxy_env),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
