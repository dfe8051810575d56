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

struct cloudtrail_opts {
    char *org_id; /* organization trail: AWSLogs/<o-id>/<acct>/ */
};

static const char *org_id(const struct lc_stream *s)
{
    const struct cloudtrail_opts *o = s->source->options;
    return o->org_id;
}

static int base_prefix(const struct lc_stream *s, struct lc_buf *out)
{
    int rc = lc_probe_append_folder(s, out);
    if (!rc && org_id(s))
        rc = lc_buf_appendf(out, "AWSLogs/%s/", org_id(s));
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

/* {"Records":[{..., "eventTime": "2026-11-22T08:05:12Z", ...}, ...]} */
static const struct lc_sample_format json_format = {
    .name = "cloudtrail json",
    .encoding = LC_SAMPLE_GZIP,
    .syntax = LC_SAMPLE_RECORDS,
    .what = "CloudTrail",
    .label = "cloudtrail json",
    .records_key = "Records",
    .time_key = "eventTime",
    .records_first = true,
};

static const struct lc_sample_format *const formats[] = {&json_format, NULL};

static const struct lc_cfg_entry keys[] = {
    {.key = "org_id",
     .type = LC_CFG_STRING,
     .off = offsetof(struct cloudtrail_opts, org_id),
     .check = &lc_cfg_org_id,
     .help = "An organization trail: deliveries are under `AWSLogs/<org_id>/<account>/` "
             "(Control Tower's trail is one)."},
};

static const struct lc_cfg_map options = {
    .path = "targets[].sources[]",
    .e = keys,
    .n = LC_CFG_NELEM(keys),
    .size = sizeof(struct cloudtrail_opts),
    .doc = "CloudTrail log files (`AWSLogs/<account>/CloudTrail/<region>/`), of a trail of the "
           "account or of an organization trail.",
};

static const struct lc_cfg_default defaults[] = {{"max_age", "20m"}, {NULL, NULL}};

const struct lc_probe lc_probe_cloudtrail = {
    .cfg = {.name = "cloudtrail", .options = &options, .defaults = defaults},
    .latency_allowance_s = 20 * 60,
    .base_prefix = base_prefix,
    .listings = listings,
    .classify = classify,
    .formats = formats,
};
