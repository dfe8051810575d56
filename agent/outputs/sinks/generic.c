/* The generic sink: logcanary's own JSON body (config/alerts.md), signed with HMAC-SHA256 when
 * it has a secret:
 *   X-Logcanary-Timestamp: <unix seconds>
 *   X-Logcanary-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")> */
#include <stdio.h>
#include <string.h>

#include "outputs/alerts.h"
#include "outputs/sinks/sink.h"

struct generic_opts {
    char *secret; /* HMAC-SHA256 signing key; NULL = unsigned */
};

static int render(const struct lc_webhook_cfg *w, enum lc_notify_kind kind, const cJSON *ev,
                  const cJSON *finding, struct lc_buf *out)
{
    cJSON *doc = cJSON_CreateObject();
    char dedup[LC_DEDUP_KEY_LEN];
    const char *key = lc_sink_str(ev, "incident_key", "");

    if (!doc)
        return LC_E_NOMEM;
    cJSON_AddNumberToObject(doc, "version", 1);
    cJSON_AddStringToObject(doc, "event", lc_notify_kind_name(kind));
    cJSON_AddStringToObject(doc, "incident_key", key);
    cJSON_AddStringToObject(doc, "dedup_key", lc_alert_dedup_key(key, dedup));
    lc_sink_copy_field(doc, ev, "opened_at");
    lc_sink_copy_field(doc, ev, "occurred_at");
    lc_sink_copy_field(doc, ev, "resolved_at");
    cJSON_AddItemToObject(doc, "finding", cJSON_Duplicate(finding, 1));
    return lc_sink_finish_json(doc, out);
}

static int headers(const struct lc_webhook_cfg *w, time_t now, const char *body, size_t len,
                   struct lc_kvlist *out)
{
    const struct generic_opts *o = w->options;
    char num[32], sig[LC_SIGNATURE_LEN];
    int rc;

    if (!o || !o->secret)
        return 0;
    snprintf(num, sizeof(num), "%lld", (long long)now);
    rc = lc_alert_sign(o->secret, num, body, len, sig);
    if (!rc)
        rc = lc_kv_add(out, "X-Logcanary-Timestamp", num);
    if (!rc)
        rc = lc_kv_add(out, "X-Logcanary-Signature", sig);
    return rc;
}

static const struct lc_cfg_entry keys[] = {
    {.key = "secret",
     .type = LC_CFG_STRING,
     .off = offsetof(struct generic_opts, secret),
     .flags = LC_CFG_SECRET,
     .def_doc = "none (unsigned)",
     .help = "Signs each request: `X-Logcanary-Signature: sha256=<hex HMAC-SHA256 of "
             "\"<X-Logcanary-Timestamp>.<body>\">`."},
};

static const struct lc_cfg_map options = {
    .path = "alerts.webhooks[]",
    .e = keys,
    .n = LC_CFG_NELEM(keys),
    .size = sizeof(struct generic_opts),
    .doc = "logcanary's own JSON body ([alerts.md](alerts.md)); `url` is required.",
};

static const char *const requires[] = {"url", NULL};

const struct lc_sink lc_sink_generic = {
    .cfg = {.name = "generic", .options = &options, .requires = requires},
    .render = render,
    .headers = headers,
};
