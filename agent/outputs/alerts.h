/* Alerts: notifications -> outbox items (one per sink) -> webhook requests through lc_http.
 *
 * Bodies (config/alerts.md has the reference):
 *   generic    {"version":1,"event":"trigger|resolve|renotify","incident_key","dedup_key",
 *               "opened_at","occurred_at","resolved_at","finding":{code, severity, target,
 *               bucket, source, account, region, stream, summary, evidence, remediation}}
 *              signed when the sink has a secret:
 *                X-Logcanary-Timestamp: <unix seconds>
 *                X-Logcanary-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>
 *   slack      an incoming-webhook message: "text" (the fallback line) and "blocks"
 *   pagerduty  Events API v2: trigger (also for renotify: PagerDuty deduplicates) with payload,
 *              resolve with the same dedup_key ("logcanary-" + 32 hex of SHA-256(incident key))
 *
 * Delivery, per sink one request at a time in outbox order (so a resolve never overtakes its
 * trigger):
 *   2xx                         delivered: removed from the outbox
 *   transport error, 408, 429,  retried with exponential backoff and jitter (Retry-After is
 *   5xx                         honoured up to max_delay_ms) up to max_attempts tries in this
 *                               send and within budget_ms; then the sink stops for this send
 *                               and its items stay queued for the next run
 *   other 3xx/4xx               the sink is misconfigured (bad URL, routing key, payload): the
 *                               item moves to the state's dead letters (kept for inspection;
 *                               it would block the sink forever otherwise), the sink is
 *                               reported, and its next item is tried
 * Items of a sink that is no longer configured move to the dead letters.
 * Delivery is at least once: a crash after a 2xx but before lc_state_save sends it again
 * (X-Logcanary-Delivery carries the item's seq for receivers that deduplicate).
 *
 * Secrets: URLs, secrets and routing keys never reach logs, results or the state file; URLs
 * are shown as lc_redact_url() gives them and error texts are scrubbed of them. */
#ifndef LC_ALERTS_H
#define LC_ALERTS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "core/buf.h"
#include "config/config.h"
#include "core/error.h"
#include "core/kv.h"
#include "outputs/state.h"

struct event_base;
struct lc_http;

#define LC_DEDUP_KEY_LEN    43 /* "logcanary-" + 32 hex + NUL */
#define LC_SIGNATURE_LEN    72 /* "sha256=" + 64 hex + NUL */
#define LC_REDACTED_URL_MAX 300

/* Scheme, host and port only, then "/" and three asterisks when anything followed the host
 * ("https://hooks.slack.com/" + "***"); just the asterisks when url is not a URL. Returns buf. */
const char *lc_redact_url(const char *url, char *buf, size_t len);

/* Stable dedup key of an incident. Returns out. */
const char *lc_alert_dedup_key(const char *incident_key, char out[LC_DEDUP_KEY_LEN]);

/* "sha256=<hex HMAC-SHA256(secret, timestamp "." body)>". 0 or LC_E_INTERNAL. */
int lc_alert_sign(const char *secret, const char *timestamp, const char *body, size_t len,
                  char out[LC_SIGNATURE_LEN]);

/* The request body for sink from a notification event (lc_notification.event). 0 or
 * LC_E_NOMEM / LC_E_INVALID (event lacks its finding). */
int lc_alert_render(const struct lc_webhook_cfg *sink, enum lc_notify_kind kind, const cJSON *event,
                    struct lc_buf *out);
/* Headers for one request: Content-Type, X-Logcanary-Event, X-Logcanary-Delivery and, for a
 * generic sink with a secret, the timestamp and signature over body. */
int lc_alert_headers(const struct lc_webhook_cfg *sink, enum lc_notify_kind kind, uint64_t seq,
                     time_t now, const char *body, size_t len, struct lc_kvlist *out);

/* Queue one outbox item per sink for each notification, notification by notification. */
int lc_alerts_enqueue(struct lc_state *st, const struct lc_webhook_cfg *sinks, size_t n_sinks,
                      const struct lc_notifications *nl, time_t now);

struct lc_alerts_opts {
    int max_attempts;      /* tries per item in one send (0 = 4) */
    long base_delay_ms;    /* first retry delay (0 = 1000); doubles per try, equal jitter */
    long max_delay_ms;     /* cap per delay (0 = 30000) */
    long budget_ms;        /* no new try starts after this (0 = 120000) */
    time_t (*now)(void);   /* wall clock for timestamps (NULL = time) */
    uint32_t (*rnd)(void); /* jitter (NULL = random) */
};

struct lc_sink_result {
    char name[65];
    char url[LC_REDACTED_URL_MAX]; /* redacted */
    const char *type;
    size_t delivered;   /* items delivered in this send */
    size_t failures;    /* failed tries (then retried or left queued) */
    size_t pending;     /* items still queued after this send */
    size_t dead;        /* items moved to the dead letters in this send */
    bool misconfigured; /* a 3xx/4xx (not 408/429) answer */
    long last_status;   /* last HTTP status (0 = none) */
    char problem[512];  /* the last failure, redacted ("" when none) */
};

struct lc_alerts_result {
    struct lc_sink_result *sinks; /* one per configured sink, config order */
    size_t n_sinks;
    size_t delivered, pending, dead;
    size_t orphaned; /* items of sinks no longer configured, moved to the dead letters */
};

/* Called once from the loop when every sink is done; owns res (lc_alerts_result_free). */
typedef void (*lc_alerts_done_cb)(void *ud, struct lc_alerts_result *res);

/* Start sending st's outbox on base. The state must not be touched until done runs. 0, or an
 * error (then done is not called). */
int lc_alerts_start(struct event_base *base, struct lc_http *http, struct lc_state *st,
                    const struct lc_webhook_cfg *sinks, size_t n_sinks,
                    const struct lc_alerts_opts *opts, lc_alerts_done_cb done, void *ud,
                    struct lc_error *err);
/* The same, running base until it is done; fills *res. Not from inside a callback of base. */
int lc_alerts_send(struct event_base *base, struct lc_http *http, struct lc_state *st,
                   const struct lc_webhook_cfg *sinks, size_t n_sinks,
                   const struct lc_alerts_opts *opts, struct lc_alerts_result *res,
                   struct lc_error *err);
void lc_alerts_result_free(struct lc_alerts_result *res);

/* For reports: {"delivered","pending","dead","orphaned","sinks":[{name,type,url,...}]}. */
cJSON *lc_alerts_result_json(const struct lc_alerts_result *res);
/* One line per sink for people. 0 or LC_E_IO. */
int lc_alerts_result_text(FILE *out, const struct lc_alerts_result *res);

#endif
