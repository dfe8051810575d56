/* Alerts against tests/servers/webhook_receiver.py on loopback: each body format, the HMAC
 * signature (recomputed here with OpenSSL), retry of a 500, the outbox kept across a down sink
 * (a closed port: connection refused) and sent in order later, 400 as a misconfigured sink, and
 * no URL, secret or routing key in logs, results or the state file. The receiver logs each
 * request before answering it, so nothing here waits or sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>
#include <openssl/hmac.h>

#include "outputs/alerts.h"
#include "outputs/sinks/sink.h"
#include "core/http.h"
#include "core/log.h"
#include "lc_fixtures.h"
#include "lc_testsrv.h"

#define T0 1800000000

#define URL_SECRET  "T000SECRETPATH/B111/xyzzyTOKEN"
#define HMAC_SECRET "hmac-s3cr3t-value"
#define ROUTING_KEY "R0UTINGKEYabcdef0123456789abcdef"

static time_t fixed_now(void)
{
    return T0 + 42;
}

static uint32_t no_jitter(void)
{
    return 0;
}

static const struct lc_alerts_opts fast = {
    .max_attempts = 3, .base_delay_ms = 2, .max_delay_ms = 10, .now = fixed_now, .rnd = no_jitter};

/* ---- fixtures ------------------------------------------------------------------------------ */

struct rx {
    struct lc_testsrv srv;
    char log[256];
    char url[512];
};

/* Receivers still running when a test fails half way: stopped by the group teardown. */
static struct rx *running[8];

static void rx_start(struct rx *r, const char *answers, int def, const char *path)
{
    char script[512], defs[16];
    static int n;

    lc_testsrv_path("webhook_receiver.py", script, sizeof(script));
    snprintf(r->log, sizeof(r->log), "/tmp/lc-rx-%d-%d.jsonl", (int)getpid(), n++);
    unlink(r->log);
    snprintf(defs, sizeof(defs), "%d", def);
    char *argv[] = {
        (char *)lc_testsrv_python(),      script, "--log", r->log, "--default", defs, "--answers",
        (char *)(answers ? answers : ""), NULL};
    assert_int_equal(lc_testsrv_start(&r->srv, argv), 0);
    for (size_t i = 0; i < sizeof(running) / sizeof(running[0]); i++) {
        if (!running[i]) {
            running[i] = r;
            break;
        }
    }
    snprintf(r->url, sizeof(r->url), "http://127.0.0.1:%d/%s", r->srv.port, path);
}

static void rx_stop(struct rx *r)
{
    for (size_t i = 0; i < sizeof(running) / sizeof(running[0]); i++)
        if (running[i] == r)
            running[i] = NULL;
    lc_testsrv_stop(&r->srv);
    unlink(r->log);
}

/* The receiver's log: one JSON object per request, in arrival order. */
static cJSON *rx_requests(struct rx *r)
{
    cJSON *arr = cJSON_CreateArray();
    FILE *f = fopen(r->log, "r");
    char *line = NULL;
    size_t cap = 0;

    if (!f)
        return arr;
    while (getline(&line, &cap, f) > 0) {
        cJSON *o = cJSON_Parse(line);
        assert_non_null(o);
        cJSON_AddItemToArray(arr, o);
    }
    free(line);
    fclose(f);
    return arr;
}

static cJSON *req_body(cJSON *req)
{
    cJSON *b = cJSON_Parse(cJSON_GetObjectItem(req, "body")->valuestring);
    assert_non_null(b);
    return b;
}

static const char *req_header(cJSON *req, const char *name)
{
    cJSON *h = cJSON_GetObjectItem(cJSON_GetObjectItem(req, "headers"), name);
    return cJSON_IsString(h) ? h->valuestring : NULL;
}

/* A URL nobody listens on: bind an ephemeral port, then close it. */
static void closed_port_url(char *buf, size_t len)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    close(fd);
    snprintf(buf, len, "http://127.0.0.1:%d/" URL_SECRET, ntohs(a.sin_port));
}

static char *make_dir(void)
{
    char tmpl[] = "/tmp/lc-alerts-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static void rm_rf(char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char p[1024];
    while (d && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
            snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
            unlink(p);
        }
    }
    if (d)
        closedir(d);
    rmdir(dir);
    free(dir);
}

static void add_finding(struct lc_findings *f, const char *code, enum lc_severity sev,
                        const struct lc_stream *s, const char *summary)
{
    f->items = realloc(f->items, (f->n + 1) * sizeof(*f->items));
    assert_non_null(f->items);
    struct lc_finding *it = &f->items[f->n++];
    memset(it, 0, sizeof(*it));
    it->code = (enum lc_finding_code)lc_finding_parse(code);
    it->severity = sev;
    it->target = &fx_target;
    it->stream = s;
    it->summary = strdup(summary);
    it->evidence = cJSON_CreateObject();
    cJSON_AddStringToObject(it->evidence, "newest_key", "AWSLogs/111111111111/x.json.gz");
    it->remediation = cJSON_CreateObject();
    cJSON_AddStringToObject(it->remediation, "hint", "check the trail <status> & logging");
}

/* Apply: missing a and b at T0 (two triggers); with heal, a recovers at T0+600 (a resolve). */
static void incidents(struct lc_state *st, bool heal, struct lc_notifications *out)
{
    struct lc_stream_obs so[2] = {{.stream = &fx_stream_a}, {.stream = &fx_stream_b}};
    struct lc_observations obs = {.now = T0, .streams = so, .n_streams = 2};
    struct lc_findings f = {0};

    add_finding(&f, "DELIVERY_MISSING", LC_SEV_CRITICAL, &fx_stream_a, "no delivery for 2h");
    add_finding(&f, "DELIVERY_MISSING", LC_SEV_WARNING, &fx_stream_b, "no delivery for 1h");
    assert_int_equal(lc_state_apply(st, &obs, &f, T0, 4 * 3600, out), 0);
    lc_findings_free(&f);
    if (!heal)
        return;
    add_finding(&f, "DELIVERY_MISSING", LC_SEV_WARNING, &fx_stream_b, "no delivery for 1h");
    assert_int_equal(lc_state_apply(st, &obs, &f, T0 + 600, 4 * 3600, out), 0);
    lc_findings_free(&f);
}

struct env {
    struct event_base *base;
    struct lc_http *http;
    char *dir;
    struct lc_state *st;
};

static void env_init(struct env *e)
{
    struct lc_http_opts o = {0};
    struct lc_error err;
    memset(e, 0, sizeof(*e));
    e->base = event_base_new();
    assert_non_null(e->base);
    e->http = lc_http_new(e->base, &o, &err);
    assert_non_null(e->http);
    e->dir = make_dir();
    assert_int_equal(lc_state_open(e->dir, 5000, &e->st, &err), 0);
}

static void env_reopen(struct env *e)
{
    struct lc_error err;
    assert_int_equal(lc_state_save(e->st, &err), 0);
    lc_state_close(e->st);
    assert_int_equal(lc_state_open(e->dir, 5000, &e->st, &err), 0);
}

static void env_free(struct env *e)
{
    lc_state_close(e->st);
    lc_http_free(e->http);
    event_base_free(e->base);
    rm_rf(e->dir);
}

static void send_all(struct env *e, const struct lc_webhook_cfg *sinks, size_t n,
                     struct lc_alerts_result *res)
{
    struct lc_error err;
    assert_int_equal(lc_alerts_send(e->base, e->http, e->st, sinks, n, &fast, res, &err), 0);
}

static int setup(void **state)
{
    static const char *const proxy_vars[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
                                             "HTTPS_PROXY", "all_proxy",  "ALL_PROXY",
                                             "no_proxy",    "NO_PROXY"};
    (void)state;
    for (size_t i = 0; i < sizeof(proxy_vars) / sizeof(proxy_vars[0]); i++)
        unsetenv(proxy_vars[i]);
    return 0;
}

/* ---- tests --------------------------------------------------------------------------------- */

static void test_redact(void **state)
{
    (void)state;
    char buf[LC_REDACTED_URL_MAX];
    assert_string_equal(
        lc_redact_url("https://hooks.slack.com/services/T0/B1/xyz", buf, sizeof(buf)),
        "https://hooks.slack.com/***");
    assert_string_equal(lc_redact_url("http://127.0.0.1:8080/h?token=abc", buf, sizeof(buf)),
                        "http://127.0.0.1:8080/***");
    assert_string_equal(lc_redact_url("https://example.com", buf, sizeof(buf)),
                        "https://example.com");
    assert_string_equal(lc_redact_url("https://u:p@example.com/x", buf, sizeof(buf)),
                        "https://example.com/***");
    assert_string_equal(lc_redact_url("not a url", buf, sizeof(buf)), "***");
    assert_string_equal(lc_redact_url(NULL, buf, sizeof(buf)), "***");
}

static void test_render_formats(void **state)
{
    (void)state;
    struct env e;
    struct lc_notifications nl = {0};
    struct lc_config *holder;
    struct lc_webhook_cfg *hooks =
        fx_webhooks(&holder, "[{\"name\": \"pd\", \"type\": \"pagerduty\", \"routing_key\": "
                             "\"" ROUTING_KEY "\"}, {\"name\": \"slack\", \"type\": \"slack\", "
                             "\"url\": \"https://hooks.slack.com/" URL_SECRET "\"}, {\"name\": "
                             "\"gen\", \"type\": \"generic\", \"url\": \"http://x/\"}]");
    assert_non_null(hooks);
    struct lc_webhook_cfg pd = hooks[0], slack = hooks[1], gen = hooks[2];
    char dedup[LC_DEDUP_KEY_LEN];

    env_init(&e);
    incidents(e.st, true, &nl);
    assert_int_equal(nl.n, 3); /* trigger a, trigger b, resolve a */
    assert_int_equal(nl.items[2].kind, LC_NOTIFY_RESOLVE);
    assert_string_equal(nl.items[0].incident_key, nl.items[2].incident_key);

    /* PagerDuty: trigger and resolve share the dedup key. */
    struct lc_buf b1 = {0}, b2 = {0};
    assert_int_equal(lc_alert_render(&pd, nl.items[0].kind, nl.items[0].event, &b1), 0);
    assert_int_equal(lc_alert_render(&pd, nl.items[2].kind, nl.items[2].event, &b2), 0);
    cJSON *t = cJSON_Parse(b1.data), *r = cJSON_Parse(b2.data);
    assert_non_null(t);
    assert_non_null(r);
    lc_alert_dedup_key(nl.items[0].incident_key, dedup);
    assert_int_equal(strlen(dedup), 42);
    assert_int_equal(strncmp(dedup, "logcanary-", 10), 0);
    assert_string_equal(cJSON_GetObjectItem(t, "routing_key")->valuestring, ROUTING_KEY);
    assert_string_equal(cJSON_GetObjectItem(t, "event_action")->valuestring, "trigger");
    assert_string_equal(cJSON_GetObjectItem(r, "event_action")->valuestring, "resolve");
    assert_string_equal(cJSON_GetObjectItem(t, "dedup_key")->valuestring, dedup);
    assert_string_equal(cJSON_GetObjectItem(r, "dedup_key")->valuestring, dedup);
    cJSON *p = cJSON_GetObjectItem(t, "payload");
    assert_string_equal(cJSON_GetObjectItem(p, "severity")->valuestring, "critical");
    assert_string_equal(cJSON_GetObjectItem(p, "source")->valuestring, "logcanary/logs");
    assert_string_equal(cJSON_GetObjectItem(p, "timestamp")->valuestring, "2027-01-15T08:00:00Z");
    assert_non_null(strstr(cJSON_GetObjectItem(p, "summary")->valuestring, "DELIVERY_MISSING"));
    cJSON *cd = cJSON_GetObjectItem(p, "custom_details");
    assert_string_equal(cJSON_GetObjectItem(cd, "incident_key")->valuestring,
                        nl.items[0].incident_key);
    assert_true(cJSON_IsObject(cJSON_GetObjectItem(cd, "evidence")));
    assert_true(cJSON_IsObject(cJSON_GetObjectItem(cd, "remediation")));
    assert_null(cJSON_GetObjectItem(r, "payload"));
    /* Another incident, another key. */
    char other[LC_DEDUP_KEY_LEN];
    assert_string_not_equal(lc_alert_dedup_key(nl.items[1].incident_key, other), dedup);
    cJSON_Delete(t);
    cJSON_Delete(r);
    lc_buf_free(&b1);
    lc_buf_free(&b2);

    /* Slack: text and blocks, mrkdwn escaped. */
    assert_int_equal(lc_alert_render(&slack, nl.items[0].kind, nl.items[0].event, &b1), 0);
    t = cJSON_Parse(b1.data);
    assert_non_null(t);
    assert_non_null(strstr(cJSON_GetObjectItem(t, "text")->valuestring,
                           "CRITICAL DELIVERY_MISSING on "
                           "logs/cloudtrail/"));
    cJSON *blocks = cJSON_GetObjectItem(t, "blocks");
    assert_true(cJSON_GetArraySize(blocks) >= 4);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(blocks, 0), "type")->valuestring,
                        "header");
    assert_true(strlen(cJSON_GetObjectItem(
                           cJSON_GetObjectItem(cJSON_GetArrayItem(blocks, 0), "text"), "text")
                           ->valuestring) <= 150);
    assert_non_null(strstr(b1.data, "&lt;status&gt; &amp; logging"));
    assert_null(strstr(b1.data, "<status>"));
    cJSON_Delete(t);
    lc_buf_reset(&b1);
    assert_int_equal(lc_alert_render(&slack, nl.items[2].kind, nl.items[2].event, &b1), 0);
    t = cJSON_Parse(b1.data);
    assert_non_null(strstr(cJSON_GetObjectItem(t, "text")->valuestring, "[Resolved]"));
    cJSON_Delete(t);
    lc_buf_free(&b1);

    /* Generic: the documented body. */
    assert_int_equal(lc_alert_render(&gen, nl.items[2].kind, nl.items[2].event, &b1), 0);
    t = cJSON_Parse(b1.data);
    assert_int_equal(cJSON_GetObjectItem(t, "version")->valueint, 1);
    assert_string_equal(cJSON_GetObjectItem(t, "event")->valuestring, "resolve");
    assert_string_equal(cJSON_GetObjectItem(t, "dedup_key")->valuestring, dedup);
    assert_string_equal(cJSON_GetObjectItem(t, "opened_at")->valuestring, "2027-01-15T08:00:00Z");
    assert_string_equal(cJSON_GetObjectItem(t, "resolved_at")->valuestring, "2027-01-15T08:10:00Z");
    cJSON *fj = cJSON_GetObjectItem(t, "finding");
    assert_string_equal(cJSON_GetObjectItem(fj, "code")->valuestring, "DELIVERY_MISSING");
    assert_string_equal(cJSON_GetObjectItem(fj, "bucket")->valuestring, "lc-logs");
    assert_string_equal(cJSON_GetObjectItem(fj, "account")->valuestring, "111111111111");
    assert_true(cJSON_IsObject(cJSON_GetObjectItem(fj, "evidence")));
    assert_true(cJSON_IsObject(cJSON_GetObjectItem(fj, "remediation")));
    cJSON_Delete(t);
    lc_buf_free(&b1);
    lc_notifications_free(&nl);
    env_free(&e);
    lc_config_free(holder);
}

/* Generic sink with a secret: the receiver gets a body whose signature we can recompute. */
static void test_generic_signed(void **state)
{
    (void)state;
    struct env e;
    static struct rx rx;
    struct lc_notifications nl = {0};
    struct lc_alerts_result res;

    rx_start(&rx, NULL, 200, "hook/" URL_SECRET);
    struct lc_config *holder;
    struct lc_webhook_cfg *gen =
        fx_webhooksf(&holder,
                     "[{\"name\": \"gen\", \"type\": \"generic\", \"url\": \"%s\", "
                     "\"secret\": \"" HMAC_SECRET "\", \"timeout\": \"10s\"}]",
                     rx.url);
    assert_non_null(gen);
    env_init(&e);
    incidents(e.st, false, &nl);
    assert_int_equal(lc_alerts_enqueue(e.st, gen, 1, &nl, T0), 0);
    assert_int_equal(e.st->n_outbox, 2);
    send_all(&e, gen, 1, &res);
    assert_int_equal(res.delivered, 2);
    assert_int_equal(res.pending, 0);
    assert_int_equal(e.st->n_outbox, 0);

    cJSON *reqs = rx_requests(&rx);
    assert_int_equal(cJSON_GetArraySize(reqs), 2);
    for (int i = 0; i < 2; i++) {
        cJSON *q = cJSON_GetArrayItem(reqs, i);
        const char *body = cJSON_GetObjectItem(q, "body")->valuestring;
        const char *ts = req_header(q, "x-logcanary-timestamp");
        const char *sig = req_header(q, "x-logcanary-signature");
        assert_string_equal(cJSON_GetObjectItem(q, "method")->valuestring, "POST");
        assert_string_equal(cJSON_GetObjectItem(q, "path")->valuestring, "/hook/" URL_SECRET);
        assert_string_equal(req_header(q, "content-type"), "application/json");
        assert_string_equal(req_header(q, "x-logcanary-event"), "trigger");
        assert_non_null(ts);
        assert_string_equal(ts, "1800000042");
        assert_non_null(sig);
        /* Recompute: HMAC-SHA256(secret, ts "." body). */
        char msg[16384];
        unsigned char mac[32];
        unsigned int maclen = 0;
        int n = snprintf(msg, sizeof(msg), "%s.%s", ts, body);
        assert_true(n > 0 && (size_t)n < sizeof(msg));
        assert_non_null(HMAC(EVP_sha256(), HMAC_SECRET, (int)strlen(HMAC_SECRET),
                             (unsigned char *)msg, (size_t)n, mac, &maclen));
        char want[80] = "sha256=";
        for (unsigned k = 0; k < maclen; k++)
            snprintf(want + 7 + 2 * k, 3, "%02x", mac[k]);
        assert_string_equal(sig, want);
        /* A tampered body does not verify. */
        msg[n - 2] ^= 1;
        unsigned char mac2[32];
        HMAC(EVP_sha256(), HMAC_SECRET, (int)strlen(HMAC_SECRET), (unsigned char *)msg, (size_t)n,
             mac2, &maclen);
        assert_memory_not_equal(mac, mac2, 32);
        cJSON *b = req_body(q);
        assert_string_equal(cJSON_GetObjectItem(b, "event")->valuestring, "trigger");
        assert_string_equal(cJSON_GetObjectItem(b, "incident_key")->valuestring,
                            nl.items[i].incident_key);
        cJSON_Delete(b);
    }
    cJSON_Delete(reqs);
    lc_alerts_result_free(&res);
    lc_notifications_free(&nl);
    env_free(&e);
    rx_stop(&rx);
    lc_config_free(holder);
}

/* 500 then 429 then 200: retried within the send, delivered exactly once. */
static void test_retry_then_delivered(void **state)
{
    (void)state;
    struct env e;
    static struct rx rx;
    struct lc_notifications nl = {0};
    struct lc_alerts_result res;

    rx_start(&rx, "500,429", 200, "pd");
    struct lc_config *holder;
    struct lc_webhook_cfg *pd =
        fx_webhooksf(&holder,
                     "[{\"name\": \"pd\", \"type\": \"pagerduty\", \"url\": \"%s\", "
                     "\"routing_key\": \"" ROUTING_KEY "\", \"timeout\": \"10s\"}]",
                     rx.url);
    assert_non_null(pd);
    env_init(&e);
    incidents(e.st, false, &nl);
    nl.n = 1; /* just the first trigger */
    assert_int_equal(lc_alerts_enqueue(e.st, pd, 1, &nl, T0), 0);
    nl.n = 2;
    send_all(&e, pd, 1, &res);
    assert_int_equal(res.delivered, 1);
    assert_int_equal(res.sinks[0].failures, 2);
    assert_false(res.sinks[0].misconfigured);
    assert_int_equal(e.st->n_outbox, 0);
    cJSON *reqs = rx_requests(&rx);
    assert_int_equal(cJSON_GetArraySize(reqs), 3);
    int ok = 0;
    for (int i = 0; i < 3; i++) {
        cJSON *q = cJSON_GetArrayItem(reqs, i);
        ok += cJSON_GetObjectItem(q, "status")->valueint == 200;
        /* the same notification each time */
        assert_string_equal(cJSON_GetObjectItem(q, "body")->valuestring,
                            cJSON_GetObjectItem(cJSON_GetArrayItem(reqs, 0), "body")->valuestring);
        assert_string_equal(req_header(q, "x-logcanary-delivery"), "1");
    }
    assert_int_equal(ok, 1);
    cJSON_Delete(reqs);
    lc_alerts_result_free(&res);
    lc_notifications_free(&nl);
    env_free(&e);
    rx_stop(&rx);
    lc_config_free(holder);
}

/* A sink that is down keeps everything queued, persisted; later all arrive in order. */
static void test_down_then_delivered_in_order(void **state)
{
    (void)state;
    struct env e;
    static struct rx rx;
    struct lc_notifications nl = {0};
    struct lc_alerts_result res;
    char down[256];

    closed_port_url(down, sizeof(down));
    struct lc_config *holder;
    struct lc_webhook_cfg *pd =
        fx_webhooksf(&holder,
                     "[{\"name\": \"pd\", \"type\": \"pagerduty\", \"url\": \"%s\", "
                     "\"routing_key\": \"" ROUTING_KEY "\", \"timeout\": \"5s\"}]",
                     down);
    assert_non_null(pd);
    env_init(&e);
    incidents(e.st, true, &nl);
    assert_int_equal(nl.n, 3);
    assert_int_equal(lc_alerts_enqueue(e.st, pd, 1, &nl, T0), 0);
    send_all(&e, pd, 1, &res);
    assert_int_equal(res.delivered, 0);
    assert_int_equal(res.pending, 3);
    assert_int_equal(res.sinks[0].pending, 3);
    assert_int_equal(res.sinks[0].failures, 3); /* max_attempts tries of the first item */
    assert_false(res.sinks[0].misconfigured);
    assert_int_equal(e.st->outbox[0].attempts, 3);
    assert_non_null(e.st->outbox[0].last_error);
    assert_int_equal(e.st->outbox[1].attempts, 0); /* order kept: nothing overtook */
    lc_alerts_result_free(&res);

    /* Next run: from the file, the sink is up. */
    env_reopen(&e);
    assert_int_equal(e.st->n_outbox, 3);
    assert_int_equal(e.st->outbox[0].attempts, 3);
    rx_start(&rx, NULL, 202, "enqueue");
    free(pd->url);
    pd->url = strdup(rx.url);
    send_all(&e, pd, 1, &res);
    assert_int_equal(res.delivered, 3);
    assert_int_equal(res.pending, 0);
    assert_int_equal(e.st->n_outbox, 0);
    cJSON *reqs = rx_requests(&rx);
    assert_int_equal(cJSON_GetArraySize(reqs), 3);
    char dedup[LC_DEDUP_KEY_LEN];
    for (int i = 0; i < 3; i++) {
        cJSON *b = req_body(cJSON_GetArrayItem(reqs, i));
        assert_string_equal(cJSON_GetObjectItem(b, "dedup_key")->valuestring,
                            lc_alert_dedup_key(nl.items[i].incident_key, dedup));
        assert_string_equal(cJSON_GetObjectItem(b, "event_action")->valuestring,
                            i == 2 ? "resolve" : "trigger");
        cJSON_Delete(b);
    }
    cJSON_Delete(reqs);
    lc_alerts_result_free(&res);
    env_reopen(&e);
    assert_int_equal(e.st->n_outbox, 0);
    lc_notifications_free(&nl);
    env_free(&e);
    rx_stop(&rx);
    lc_config_free(holder);
}

/* 400: misconfigured, dead-lettered, the next item still tried; other sinks unaffected. */
static void test_400_misconfigured(void **state)
{
    (void)state;
    struct env e;
    static struct rx bad, good;
    struct lc_notifications nl = {0};
    struct lc_alerts_result res;

    rx_start(&bad, NULL, 400, URL_SECRET);
    rx_start(&good, NULL, 200, "ok");
    struct lc_config *holder;
    struct lc_webhook_cfg *sinks = fx_webhooksf(
        &holder,
        "[{\"name\": \"slack\", \"type\": \"slack\", \"url\": \"%s\", \"timeout\": \"5s\"}, "
        "{\"name\": \"gen\", \"type\": \"generic\", \"url\": \"%s\", \"timeout\": \"5s\"}]",
        bad.url, good.url);
    assert_non_null(sinks);
    env_init(&e);
    incidents(e.st, false, &nl);
    assert_int_equal(lc_alerts_enqueue(e.st, sinks, 2, &nl, T0), 0);
    assert_int_equal(e.st->n_outbox, 4);
    send_all(&e, sinks, 2, &res);
    assert_true(res.sinks[0].misconfigured);
    assert_int_equal(res.sinks[0].last_status, 400);
    assert_int_equal(res.sinks[0].dead, 2);
    assert_int_equal(res.sinks[0].delivered, 0);
    assert_non_null(strstr(res.sinks[0].problem, "HTTP 400"));
    assert_non_null(strstr(res.sinks[0].problem, "invalid_token"));
    assert_false(res.sinks[1].misconfigured);
    assert_int_equal(res.sinks[1].delivered, 2);
    assert_int_equal(res.dead, 2);
    assert_int_equal(e.st->n_outbox, 0);
    assert_int_equal(e.st->n_dead, 2);
    assert_string_equal(e.st->dead[0].sink, "slack");
    assert_non_null(strstr(e.st->dead[0].dead_reason, "HTTP 400"));
    cJSON *reqs = rx_requests(&bad);
    assert_int_equal(cJSON_GetArraySize(reqs), 2); /* no retries of a 400 */
    cJSON_Delete(reqs);
    lc_alerts_result_free(&res);

    /* A sink removed from the config: its queued items become dead letters. */
    assert_int_equal(lc_alerts_enqueue(e.st, sinks, 2, &nl, T0), 0);
    send_all(&e, &sinks[1], 1, &res);
    assert_int_equal(res.orphaned, 2);
    assert_int_equal(res.delivered, 2);
    assert_int_equal(e.st->n_dead, 4);
    assert_non_null(strstr(e.st->dead[3].dead_reason, "no longer configured"));
    lc_alerts_result_free(&res);
    lc_notifications_free(&nl);
    env_free(&e);
    rx_stop(&bad);
    rx_stop(&good);
    lc_config_free(holder);
}

static bool file_contains(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    bool hit = false;
    if (!f)
        return false;
    while (!hit && getline(&line, &cap, f) > 0)
        hit = strstr(line, needle) != NULL;
    free(line);
    fclose(f);
    return hit;
}

/* Every path that mentions a sink: logs (captured stderr at debug level), results in text and
 * JSON, the saved state. */
static void test_no_secrets_anywhere(void **state)
{
    (void)state;
    static const char *const secrets[] = {URL_SECRET, "SECRETPATH", "xyzzyTOKEN", HMAC_SECRET,
                                          ROUTING_KEY};
    struct env e;
    static struct rx bad, flaky;
    struct lc_notifications nl = {0};
    struct lc_alerts_result res;
    char down[256], logpath[256], outpath[256], statepath[512];

    snprintf(logpath, sizeof(logpath), "/tmp/lc-alerts-stderr-%d.log", (int)getpid());
    snprintf(outpath, sizeof(outpath), "/tmp/lc-alerts-report-%d.txt", (int)getpid());
    closed_port_url(down, sizeof(down));
    rx_start(&bad, NULL, 400, URL_SECRET);
    rx_start(&flaky, NULL, 503, URL_SECRET);
    struct lc_config *holder;
    struct lc_webhook_cfg *sinks = fx_webhooksf(
        &holder,
        "[{\"name\": \"pd\", \"type\": \"pagerduty\", \"url\": \"%s\", \"routing_key\": "
        "\"" ROUTING_KEY "\", \"timeout\": \"5s\"}, {\"name\": \"gen\", \"type\": \"generic\", "
        "\"url\": \"%s\", \"secret\": \"" HMAC_SECRET "\", \"timeout\": \"5s\"}, {\"name\": "
        "\"slack\", \"type\": \"slack\", \"url\": \"%s\", \"timeout\": \"5s\"}]",
        bad.url, down, flaky.url);
    assert_non_null(sinks);
    env_init(&e);
    incidents(e.st, true, &nl);
    assert_int_equal(lc_alerts_enqueue(e.st, sinks, 3, &nl, T0), 0);

    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0 && saved >= 0);
    dup2(fd, STDERR_FILENO);
    close(fd);
    enum lc_log_level lvl = lc_log_get_level();
    lc_log_set_level(LC_LOG_DEBUG);
    send_all(&e, sinks, 3, &res);
    lc_log_set_level(lvl);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);

    assert_true(res.sinks[0].misconfigured);
    assert_int_equal(res.sinks[1].pending, 3);
    assert_int_equal(res.sinks[2].pending, 3);
    FILE *out = fopen(outpath, "w");
    assert_non_null(out);
    assert_int_equal(lc_alerts_result_text(out, &res), 0);
    cJSON *j = lc_alerts_result_json(&res);
    char *jt = cJSON_Print(j);
    fputs(jt, out);
    fclose(out);
    cJSON_free(jt);
    cJSON_Delete(j);
    assert_int_equal(lc_state_save(e.st, NULL), 0);
    snprintf(statepath, sizeof(statepath), "%s/state.json", e.dir);

    /* The logs did talk about the sinks, redacted. */
    assert_true(file_contains(logpath, "misconfigured"));
    assert_true(file_contains(logpath, "/***"));
    assert_true(file_contains(outpath, "MISCONFIGURED"));
    assert_true(file_contains(outpath, "\"url\""));
    for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
        if (file_contains(logpath, secrets[i]))
            fail_msg("a log line shows %s", secrets[i]);
        if (file_contains(outpath, secrets[i]))
            fail_msg("the report shows %s", secrets[i]);
        if (file_contains(statepath, secrets[i]))
            fail_msg("the state file holds %s", secrets[i]);
    }
    unlink(logpath);
    unlink(outpath);
    lc_alerts_result_free(&res);
    lc_notifications_free(&nl);
    env_free(&e);
    rx_stop(&bad);
    rx_stop(&flaky);
    lc_config_free(holder);
}

/* No outbox: the send completes at once (from the loop) and delivers nothing. */
static void test_empty_outbox(void **state)
{
    (void)state;
    struct env e;
    struct lc_alerts_result res;
    struct lc_config *holder;
    struct lc_webhook_cfg *gen = fx_webhooks(
        &holder, "[{\"name\": \"gen\", \"type\": \"generic\", \"url\": \"http://127.0.0.1:9/x\", "
                 "\"timeout\": \"1s\"}]");
    assert_non_null(gen);
    env_init(&e);
    send_all(&e, gen, 1, &res);
    assert_int_equal(res.delivered + res.pending + res.dead, 0);
    assert_int_equal(res.n_sinks, 1);
    lc_alerts_result_free(&res);
    send_all(&e, NULL, 0, &res);
    assert_int_equal(res.n_sinks, 0);
    lc_alerts_result_free(&res);
    env_free(&e);
    lc_config_free(holder);
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(running) / sizeof(running[0]); i++)
        if (running[i])
            rx_stop(running[i]);
    return 0;
}

/* The config keys: defaults, per-type rules, ${ENV} secrets, and messages without values. */
static void test_config_keys(void **state)
{
    (void)state;
    static const char head[] = "{\"targets\": [{\"name\": \"t\", \"bucket\": \"lc-logs\", "
                               "\"sources\": [{\"type\": \"cloudtrail\", \"accounts\": "
                               "[\"111111111111\"], \"regions\": [\"us-east-1\"]}]}]";
    struct lc_config *cfg = NULL;
    struct lc_error err;
    char json[2048];

    snprintf(json, sizeof(json), "%s}", head);
    assert_int_equal(lc_config_load_string(json, strlen(json), "t.json", &cfg, &err), 0);
    assert_string_equal(cfg->state_dir, "/var/lib/logcanary");
    assert_int_equal(cfg->renotify_s, 4 * 3600);
    assert_int_equal(cfg->n_webhooks, 0);
    lc_config_free(cfg);

    setenv("LC_TEST_HOOK_URL", "https://hooks.slack.com/services/" URL_SECRET, 1);
    setenv("LC_TEST_RK", ROUTING_KEY, 1);
    snprintf(json, sizeof(json),
             "%s, \"state_dir\": \"/tmp/lc\", \"alerts\": {\"renotify\": \"1h\", \"webhooks\": ["
             "{\"name\": \"ops\", \"type\": \"slack\", \"url\": \"${LC_TEST_HOOK_URL}\"},"
             "{\"name\": \"pd\", \"type\": \"pagerduty\", \"routing_key\": \"${LC_TEST_RK}\", "
             "\"timeout\": \"5s\"},"
             "{\"name\": \"gen\", \"type\": \"generic\", \"url\": "
             "\"http://127.0.0.1:8080/h?token=x\", \"secret\": \"" HMAC_SECRET "\"}]}}",
             head);
    assert_int_equal(lc_config_load_string(json, strlen(json), "t.json", &cfg, &err), 0);
    assert_string_equal(cfg->state_dir, "/tmp/lc");
    assert_int_equal(cfg->renotify_s, 3600);
    assert_int_equal(cfg->n_webhooks, 3);
    assert_string_equal(cfg->webhooks[0].sink->cfg.name, "slack");
    assert_string_equal(cfg->webhooks[0].url, "https://hooks.slack.com/services/" URL_SECRET);
    assert_int_equal(cfg->webhooks[0].timeout_s, 10);
    assert_string_equal(cfg->webhooks[1].url, "https://events.pagerduty.com/v2/enqueue");
    assert_string_equal(
        lc_cfg_option_string(&cfg->webhooks[1].sink->cfg, cfg->webhooks[1].options, "routing_key"),
        ROUTING_KEY);
    assert_int_equal(cfg->webhooks[1].timeout_s, 5);
    assert_string_equal(
        lc_cfg_option_string(&cfg->webhooks[2].sink->cfg, cfg->webhooks[2].options, "secret"),
        HMAC_SECRET);
    assert_string_equal(cfg->webhooks[2].sink->cfg.name, "generic");
    lc_config_free(cfg);

    static const struct {
        const char *hooks, *msg;
    } bad[] = {
        {"{\"name\": \"pd\", \"type\": \"pagerduty\"}",
         "alerts.webhooks[0].routing_key: required key is missing (\"type\": \"pagerduty\")"},
        {"{\"name\": \"s\", \"type\": \"slack\"}",
         "alerts.webhooks[0].url: required key is missing"},
        {"{\"name\": \"s\", \"type\": \"slack\", \"url\": \"https://h/x\", \"secret\": "
         "\"" HMAC_SECRET "\"}",
         "alerts.webhooks[0].secret: only valid with \"type\": \"generic\""},
        {"{\"name\": \"s\", \"type\": \"slack\", \"url\": \"ftp://h/" URL_SECRET "\"}",
         "alerts.webhooks[0].url: expected an http:// or https:// URL like "
         "\"https://hooks.example.com/...\""},
        {"{\"name\": \"s\", \"type\": \"slack\", \"url\": \"https://u:" HMAC_SECRET "@h/x\"}",
         "alerts.webhooks[0].url: expected a URL without credentials (\"user@\")"},
        {"{\"name\": \"a\", \"type\": \"slack\", \"url\": \"https://h/1\"}, "
         "{\"name\": \"a\", \"type\": \"slack\", \"url\": \"https://h/2\"}",
         "alerts.webhooks[1].name: duplicate webhook name (also alerts.webhooks[0].name)"},
        {"{\"name\": \"s\", \"type\": \"slak\", \"url\": \"https://h/x\"}",
         "alerts.webhooks[0].type: expected one of \"generic\", \"slack\", \"pagerduty\" (did "
         "you mean \"slack\"?)"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(json, sizeof(json), "%s, \"alerts\": {\"webhooks\": [%s]}}", head, bad[i].hooks);
        assert_int_not_equal(lc_config_load_string(json, strlen(json), "t.json", &cfg, &err), 0);
        assert_null(cfg);
        assert_string_equal(err.message, bad[i].msg);
        assert_null(strstr(err.message, HMAC_SECRET));
        assert_null(strstr(err.message, URL_SECRET));
    }
    snprintf(json, sizeof(json), "%s, \"state_dir\": \"var/lib\"}", head);
    assert_int_not_equal(lc_config_load_string(json, strlen(json), "t.json", &cfg, &err), 0);
    assert_string_equal(err.message,
                        "state_dir: expected an absolute path like \"/var/lib/logcanary\"");
    unsetenv("LC_TEST_HOOK_URL");
    unsetenv("LC_TEST_RK");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redact),
        cmocka_unit_test(test_render_formats),
        cmocka_unit_test(test_generic_signed),
        cmocka_unit_test(test_retry_then_delivered),
        cmocka_unit_test(test_down_then_delivered_in_order),
        cmocka_unit_test(test_400_misconfigured),
        cmocka_unit_test(test_no_secrets_anywhere),
        cmocka_unit_test(test_empty_outbox),
        cmocka_unit_test(test_config_keys),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
