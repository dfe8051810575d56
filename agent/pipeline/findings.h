/* Observations -> statuses and findings. Pure: no I/O, so every rule is unit-tested.
 *
 * The codes are the registry's (codes.h). A failure to check (network, credentials, throttling
 * after retries) is PROBE_ERROR and never DELIVERY_MISSING. */
#ifndef LC_FINDINGS_H
#define LC_FINDINGS_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "pipeline/check.h"
#include "pipeline/codes.h"

enum lc_stream_status {
    LC_ST_OK = 0,
    LC_ST_STALE,   /* deliveries exist, but none newer than max_age */
    LC_ST_MISSING, /* no delivery at all in the lookback */
    LC_ST_INVALID, /* the newest delivery's content is not what the service writes */
    LC_ST_DENIED,  /* logcanary may not list or read the deliveries */
    LC_ST_ERROR,   /* could not check */
};

enum lc_canary_status { LC_CANARY_OK = 0, LC_CANARY_FAILED, LC_CANARY_ERROR };

struct lc_finding {
    enum lc_finding_code code;
    enum lc_severity severity;
    const struct lc_target_cfg *target;
    const struct lc_stream *stream; /* NULL for canary findings */
    char *summary;
    cJSON *evidence;     /* object */
    cJSON *remediation;  /* object */
    cJSON *likely_cause; /* object or NULL: {"code","summary","confidence"} */
};

struct lc_findings {
    struct lc_finding *items;
    size_t n, cap;                        /* count and capacity (core/array.h) */
    enum lc_stream_status *stream_status; /* per observed stream */
    enum lc_canary_status *canary_status; /* per canary */
    const char *overall;                  /* "ok" | "problems" | "error" */
};

int lc_findings_build(const struct lc_observations *obs, struct lc_findings *out);
void lc_findings_free(struct lc_findings *f);

const char *lc_stream_status_name(enum lc_stream_status s);
const char *lc_canary_status_name(enum lc_canary_status s);
/* One finding as the reports, the state and the alerts carry it: {code, severity, target,
 * bucket, source, account, region, stream (null for canary findings), summary, evidence,
 * remediation[, likely_cause]}. NULL on allocation failure. */
cJSON *lc_finding_json(const struct lc_finding *f);

#endif
