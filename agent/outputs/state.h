/* Durable state across runs: open incidents, the alert outbox and dead letters, in one JSON file
 * "<state_dir>/state.json" (version 1).
 *
 * Data flows one way: findings -> incidents (lc_state_apply) -> notifications -> outbox items,
 * one per sink (lc_alerts_enqueue) -> sends (lc_alerts_send). The caller holds the state open,
 * and so locked, from lc_state_open to lc_state_close: read, apply, send, save.
 *
 * Locking: flock(LOCK_EX) on "<state_dir>/state.lock", waited for up to a bound, so two runs
 * (cron, a manual check) serialise their read-modify-write. The lock file is never removed.
 * Writing: a temp file in state_dir, fsync, rename over state.json, fsync of the directory: a
 * crash leaves the old or the new file, never a mix.
 * A damaged file (not JSON, wrong version, wrong shape) is renamed to
 * "state.json.damaged-<YYYYMMDDTHHMMSSZ>" and reported in st->warning; a fresh state begins.
 *
 * Incidents. The incident key names what is wrong and where:
 *     "<code>/<stream id>"           stream findings  (DELIVERY_MISSING/logs/<source>/1111/...)
 *     "<code>/<target>/canary"       canary findings  (CANARY_FAILED/logs/canary)
 * Several findings with one key in a run are one incident (the most severe speaks for it).
 * Rules of lc_state_apply, per run:
 *   - a key found and not open opens an incident: TRIGGER;
 *   - a key found and open updates last_seen, severity and summary; after renotify_s since the
 *     last notification (renotify_s > 0), or when its severity rose: RENOTIFY;
 *   - an open key not found resolves (RESOLVE) only when its subject was checked this run:
 *       the subject (stream, or target's canary) is in the observations, the run was not fatal,
 *       and, unless the incident is itself a PROBE_ERROR, the subject has no PROBE_ERROR
 *       finding this run (a stream that could not be checked proves nothing: its
 *       DELIVERY_MISSING stays open). A subject not checked at all (narrowed run, removed from
 *       the config) leaves its incidents untouched. */
#ifndef LC_STATE_H
#define LC_STATE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "pipeline/check.h"
#include "core/error.h"
#include "pipeline/findings.h"

#define LC_STATE_VERSION    1
#define LC_STATE_FILE       "state.json"
#define LC_STATE_LOCK       "state.lock"
#define LC_STATE_MAX_BYTES  (64 * 1024 * 1024) /* larger state files are damaged */
#define LC_STATE_MAX_DEAD   200                /* dead letters kept (oldest dropped) */
#define LC_INCIDENT_KEY_MAX 512

enum lc_notify_kind { LC_NOTIFY_TRIGGER = 0, LC_NOTIFY_RESOLVE, LC_NOTIFY_RENOTIFY };

struct lc_incident {
    char *key;      /* lc_incident_key */
    char *code;     /* finding code */
    char *target;   /* target name */
    char *stream;   /* stream id, NULL for canary incidents */
    char *severity; /* "info" | "warning" | "critical" */
    char *summary;  /* the latest finding's summary */
    cJSON *finding; /* the latest finding as JSON (code, severity, target, bucket, source,
                     * account, region, stream, summary, evidence, remediation) */
    time_t opened_at, last_seen, last_notified_at;
};

/* An outbox item: one notification for one sink. The event, not the request body, is stored:
 * bodies are rendered at send time from the sink's current config, so no URL, secret or
 * routing key is ever written to the state file. */
struct lc_outbox_item {
    uint64_t seq; /* increasing over the state's life: the send order */
    char *sink;   /* webhook name */
    enum lc_notify_kind kind;
    char *incident_key;
    cJSON *event; /* see lc_notification.event */
    int attempts; /* over all runs */
    time_t first_queued, last_attempt;
    char *last_error;  /* redacted; NULL before the first failure */
    char *dead_reason; /* dead letters only */
};

/* Each array has its count and its capacity (core/array.h). */
struct lc_state {
    char *dir;
    int lock_fd;
    time_t last_success; /* last run that completed its checks (0 = never) */
    uint64_t next_seq;
    struct lc_incident *incidents;
    size_t n_incidents, cap_incidents;
    struct lc_outbox_item *outbox; /* in seq order */
    size_t n_outbox, cap_outbox;
    struct lc_outbox_item *dead; /* sink rejected (4xx) or sink no longer configured */
    size_t n_dead, cap_dead;
    uint64_t dead_dropped; /* dead letters dropped beyond LC_STATE_MAX_DEAD */
    char warning[2048];    /* non-empty after a damaged file was set aside: log or print it */
    char damaged_path[512];
};

/* A change the sinks must hear about. event is the JSON every body is rendered from:
 *   {"kind": "trigger"|"resolve"|"renotify", "incident_key", "opened_at", "occurred_at",
 *    "resolved_at" (resolve only), "finding": {...the incident's latest finding...}}
 * times as ISO-8601 UTC strings. */
struct lc_notification {
    enum lc_notify_kind kind;
    char *incident_key;
    cJSON *event;
};

struct lc_notifications {
    struct lc_notification *items;
    size_t n, cap; /* count and capacity (core/array.h) */
};

/* "<code>/<stream id>" or "<code>/<target>/canary" into buf; returns buf ("" if it does not
 * fit). */
const char *lc_incident_key(const struct lc_finding *f, char *buf, size_t len);
const char *lc_notify_kind_name(enum lc_notify_kind k);

/* Open (creating dir with mode 0700 if missing; its parent must exist), lock (waiting up to
 * lock_wait_ms, then LC_E_IO "locked by another logcanary run") and read the state. 0 or an
 * error with *err set; a damaged file is not an error (see st->warning). */
int lc_state_open(const char *dir, long lock_wait_ms, struct lc_state **out, struct lc_error *err);
/* Write the state atomically. 0 or LC_E_IO / LC_E_NOMEM; the old file is intact on failure. */
int lc_state_save(struct lc_state *st, struct lc_error *err);
/* Unlock and free (without saving). NULL is fine. */
void lc_state_close(struct lc_state *st);

/* Apply one run's observations and findings at time now (see the rules above). Appends the
 * notifications to *out in order: resolves, then triggers, then renotifies, each in incident
 * key order. 0 or LC_E_NOMEM. */
int lc_state_apply(struct lc_state *st, const struct lc_observations *obs,
                   const struct lc_findings *f, time_t now, int64_t renotify_s,
                   struct lc_notifications *out);
void lc_notifications_free(struct lc_notifications *n);

const struct lc_incident *lc_state_find(const struct lc_state *st, const char *key);

/* Append an outbox item (copies; seq assigned). 0 or LC_E_NOMEM. */
int lc_state_outbox_push(struct lc_state *st, const char *sink, enum lc_notify_kind kind,
                         const char *incident_key, const cJSON *event, time_t now);
/* The outbox item with this seq, or NULL (pointers are invalidated by push/remove/kill). */
struct lc_outbox_item *lc_state_outbox_get(struct lc_state *st, uint64_t seq);
/* Remove a delivered item. */
void lc_state_outbox_remove(struct lc_state *st, uint64_t seq);
/* Move an item to the dead letters with a reason (keeping the newest LC_STATE_MAX_DEAD).
 * 0 or LC_E_NOMEM (the item then stays in the outbox). */
int lc_state_outbox_kill(struct lc_state *st, uint64_t seq, const char *reason);

#endif
