/* The PagerDuty sink: Events API v2. A trigger (also for a renotify: PagerDuty deduplicates)
 * carries the payload; a resolve only the same dedup_key ("logcanary-" + 32 hex of SHA-256 of
 * the incident key). */
#include <stdio.h>
#include <string.h>

#include "outputs/alerts.h"
#include "outputs/sinks/sink.h"

#define PD_SUMMARY_MAX 1024

struct pagerduty_opts {
    char *routing_key; /* the integration key of the service to page */
};

static const char *pd_severity(const char *sev)
{
    if (strcmp(sev, "critical") == 0)
        return "critical";
    if (strcmp(sev, "warning") == 0)
        return "warning";
    return "info";
}

static int render(const struct lc_webhook_cfg *w, enum lc_notify_kind kind, const cJSON *ev,
                  const cJSON *finding, struct lc_buf *out)
{
    const struct pagerduty_opts *o = w->options;
    cJSON *doc = cJSON_CreateObject(), *payload, *cd;
    char dedup[LC_DEDUP_KEY_LEN], subj[600], summary[PD_SUMMARY_MAX + 8], source[200];
    const char *key = lc_sink_str(ev, "incident_key", "");

    if (!doc)
        return LC_E_NOMEM;
    cJSON_AddStringToObject(doc, "routing_key", o && o->routing_key ? o->routing_key : "");
    cJSON_AddStringToObject(doc, "event_action", kind == LC_NOTIFY_RESOLVE ? "resolve" : "trigger");
    cJSON_AddStringToObject(doc, "dedup_key", lc_alert_dedup_key(key, dedup));
    if (kind == LC_NOTIFY_RESOLVE)
        return lc_sink_finish_json(doc, out);
    lc_sink_subject(finding, subj, sizeof(subj));
    snprintf(summary, sizeof(summary), "%s on %s: %s", lc_sink_str(finding, "code", "?"), subj,
             lc_sink_str(finding, "summary", ""));
    lc_sink_trunc_utf8(summary, PD_SUMMARY_MAX);
    snprintf(source, sizeof(source), "logcanary/%s", lc_sink_str(finding, "target", "?"));
    cJSON_AddStringToObject(doc, "client", "logcanary");
    payload = cJSON_AddObjectToObject(doc, "payload");
    cJSON_AddStringToObject(payload, "summary", summary);
    cJSON_AddStringToObject(payload, "source", source);
    cJSON_AddStringToObject(payload, "severity",
                            pd_severity(lc_sink_str(finding, "severity", "warning")));
    lc_sink_copy_field(payload, ev, "occurred_at");
    cJSON *ts = cJSON_DetachItemFromObjectCaseSensitive(payload, "occurred_at");
    if (cJSON_IsString(ts))
        cJSON_AddItemToObject(payload, "timestamp", ts);
    else
        cJSON_Delete(ts);
    cJSON_AddStringToObject(payload, "component", lc_sink_str(finding, "bucket", "?"));
    cJSON_AddStringToObject(payload, "group", lc_sink_str(finding, "target", "?"));
    cJSON_AddStringToObject(payload, "class", lc_sink_str(finding, "code", "?"));
    cd = cJSON_AddObjectToObject(payload, "custom_details");
    cJSON_AddStringToObject(cd, "incident_key", key);
    cJSON_AddStringToObject(cd, "notification", lc_notify_kind_name(kind));
    lc_sink_copy_field(cd, ev, "opened_at");
    static const char *const fields[] = {"stream",  "source",   "account",     "region",
                                         "summary", "evidence", "remediation", NULL};
    for (size_t i = 0; fields[i]; i++)
        lc_sink_copy_field(cd, finding, fields[i]);
    return lc_sink_finish_json(doc, out);
}

static const struct lc_cfg_entry keys[] = {
    {.key = "routing_key",
     .type = LC_CFG_STRING,
     .off = offsetof(struct pagerduty_opts, routing_key),
     .flags = LC_CFG_REQUIRED | LC_CFG_SECRET,
     .help = "The PagerDuty integration key (Events API v2) of the service to page."},
};

static const struct lc_cfg_map options = {
    .path = "alerts.webhooks[]",
    .e = keys,
    .n = LC_CFG_NELEM(keys),
    .size = sizeof(struct pagerduty_opts),
    .doc = "PagerDuty's Events API v2; `url` defaults to its endpoint.",
};

static const struct lc_cfg_default defaults[] = {
    {"url", "https://events.pagerduty.com/v2/enqueue"},
    {NULL, NULL},
};

const struct lc_sink lc_sink_pagerduty = {
    .cfg = {.name = "pagerduty", .options = &options, .defaults = defaults},
    .render = render,
};
