/* CloudTrail log files, per-account and organization trails (and Control Tower's o-id folder).
 *   AWSLogs/<acct>/CloudTrail/<region>/YYYY/MM/DD/
 *   AWSLogs/<o-id>/<acct>/CloudTrail/<region>/YYYY/MM/DD/            (organization trail)
 *   file: <acct>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 chars>.json.gz
 * Delivered about every 5 minutes when there are events; the name time is the delivery time.
 * Digests live in CloudTrail-Digest/ beside this folder: recognised, never sampled. */
#include <stdio.h>
#include <string.h>

#include "pipeline/plan.h"
#include "probes/probe.h"
#include "probes/probe_util.h"

static int base_prefix(const struct lc_stream *s, struct lc_buf *out)
{
    int rc = lc_probe_append_folder(s, out);
    if (!rc && s->source->org_id)
        rc = lc_buf_appendf(out, "AWSLogs/%s/", s->source->org_id);
    else if (!rc)
        rc = lc_buf_append(out, "AWSLogs/", 8);
    if (!rc)
        rc = lc_buf_appendf(out, "%s/CloudTrail/%s/", s->account, s->region);
    return rc;
}

static int add_day(const struct lc_stream *s, const struct tm *tm, const char *stamp,
                   struct lc_listings *out)
{
    struct lc_buf p = {0}, after = {0};
    int rc;

    rc = lc_buf_appendf(&p, "%s%04d/%02d/%02d/%s_CloudTrail_%s_", s->base, tm->tm_year + 1900,
                        tm->tm_mon + 1, tm->tm_mday, s->account, s->region);
    /* Names are time-ordered inside the day: start after "<...>_<from>". */
    if (!rc)
        rc = lc_buf_appendf(&after, "%s%s", p.data, stamp);
    if (!rc)
        rc = lc_listings_add(out, p.data, after.data, false, NULL);
    lc_buf_free(&p);
    lc_buf_free(&after);
    return rc;
}

static int listings(const struct lc_stream *s, time_t from, time_t now, struct lc_listings *out)
{
    return lc_probe_each_period(s, from, now, false, false, add_day, out);
}

static enum lc_key_class classify(const struct lc_stream *s, const char *key, time_t *name_time)
{
    const char *name = lc_probe_basename(key);
    char head[96];
    int n = snprintf(head, sizeof(head), "%s_CloudTrail_%s_", s->account, s->region);

    *name_time = 0;
    if (strstr(name, "_CloudTrail-Digest_"))
        return LC_KEY_AUXILIARY;
    if (n < 0 || (size_t)n >= sizeof(head) || strncmp(name, head, (size_t)n) != 0)
        return LC_KEY_OTHER;
    if (!lc_probe_parse_stamp(name + n, name_time))
        return LC_KEY_OTHER;
    return LC_KEY_DELIVERY;
}

static enum lc_sample_kind sample_kind(const struct lc_stream *s, const char *key)
{
    (void)s;
    (void)key;
    return LC_SAMPLE_CLOUDTRAIL_JSON;
}

const struct lc_probe lc_probe_cloudtrail = {
    .name = "cloudtrail",
    .type = LC_SRC_CLOUDTRAIL,
    .latency_allowance_s = 20 * 60,
    .base_prefix = base_prefix,
    .listings = listings,
    .classify = classify,
    .sample_kind = sample_kind,
};
