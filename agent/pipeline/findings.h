/* Observations -> statuses and findings. Pure: no I/O, so every rule is unit-tested.
 *
 * Finding codes: DELIVERY_MISSING, SAMPLE_INVALID, READ_DENIED_KMS, READ_DENIED_S3,
 * CANARY_WRITE_DENIED_KMS, CANARY_FAILED, ENCRYPTION_MISMATCH, PROBE_ERROR; from the diagnosis
 * KEY_POLICY_GAP, BUCKET_POLICY_GAP, KEY_UNUSABLE, DELIVERY_STATUS_FAILED and
 * DIAGNOSIS_INCOMPLETE. A failure to check
 * (network, credentials, throttling after retries) is PROBE_ERROR and never DELIVERY_MISSING. */
#ifndef LC_FINDINGS_H
#define LC_FINDINGS_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "pipeline/check.h"

enum lc_stream_status {
    LC_ST_OK = 0,
    LC_ST_STALE,   /* deliveries exist, but none newer than max_age */
    LC_ST_MISSING, /* no delivery at all in the lookback */
    LC_ST_INVALID, /* the newest delivery's content is not what the service writes */
    LC_ST_DENIED,  /* logcanary may not list or read the deliveries */
    LC_ST_ERROR,   /* could not check */
};

enum lc_canary_status { LC_CANARY_OK = 0, LC_CANARY_FAILED, LC_CANARY_ERROR };

enum lc_severity { LC_SEV_INFO = 0, LC_SEV_WARNING, LC_SEV_CRITICAL };

struct lc_finding {
    const char *code;
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
    size_t n;
    enum lc_stream_status *stream_status; /* per observed stream */
    enum lc_canary_status *canary_status; /* per canary */
    const char *overall;                  /* "ok" | "problems" | "error" */
};

/* Every finding code, NULL-terminated (metrics list each, even at 0). */
extern const char *const lc_finding_codes[];

int lc_findings_build(const struct lc_observations *obs, struct lc_findings *out);
void lc_findings_free(struct lc_findings *f);

const char *lc_stream_status_name(enum lc_stream_status s);
const char *lc_canary_status_name(enum lc_canary_status s);
const char *lc_severity_name(enum lc_severity s);

#endif
