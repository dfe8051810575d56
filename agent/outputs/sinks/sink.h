/* A webhook sink: one body format (generic JSON, Slack, PagerDuty, ...), declared as one struct
 * at the end of its own file and listed once in sinks.c. A sink carries its config keys (the
 * config map's plugin: name, own keys, defaults of the common ones), how it renders a
 * notification into a request body, and the headers it adds (signing). The outbox, the ordered
 * send and the retries (alerts.c) know nothing of formats. */
#ifndef LC_SINK_H
#define LC_SINK_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <time.h>

#include "config/config.h"
#include "config/map.h"
#include "core/buf.h"
#include "core/kv.h"
#include "outputs/state.h"

struct lc_sink {
    struct lc_cfg_plugin cfg; /* "type": name, own keys, defaults */
    /* The body of one notification: event is lc_notification.event, finding its "finding"
     * object. 0 or LC_E_NOMEM. */
    int (*render)(const struct lc_webhook_cfg *w, enum lc_notify_kind kind, const cJSON *event,
                  const cJSON *finding, struct lc_buf *out);
    /* Headers of its own, beyond Content-Type and logcanary's event headers (NULL: none). */
    int (*headers)(const struct lc_webhook_cfg *w, time_t now, const char *body, size_t len,
                   struct lc_kvlist *out);
};

/* The registry, NULL-terminated (sinks.c); config.h declares it as config-map plugins,
 * lc_sink_types. */
extern const struct lc_sink *const lc_sinks[];

/* What renderers share (sinks.c). */
/* A string member of o, else def. */
const char *lc_sink_str(const cJSON *o, const char *name, const char *def);
/* The finding's subject: its stream id, or "<target> canary". */
void lc_sink_subject(const cJSON *finding, char *buf, size_t len);
/* Copy member name of from into to (null when absent). */
void lc_sink_copy_field(cJSON *to, const cJSON *from, const char *name);
/* Cut s to at most max bytes on a UTF-8 boundary, marking the cut with "...". */
void lc_sink_trunc_utf8(char *s, size_t max);
/* Print doc compactly into out and delete it. 0 or LC_E_NOMEM. */
int lc_sink_finish_json(cJSON *doc, struct lc_buf *out);

#endif
