/* CloudTrail log files, per-account and organization trails (and Control Tower's o-id folder).
 *   AWSLogs/<acct>/CloudTrail/<region>/YYYY/MM/DD/
 *   AWSLogs/<o-id>/<acct>/CloudTrail/<region>/YYYY/MM/DD/            (organization trail)
 *   file: <acct>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 chars>.json.gz
 * Delivered about every 5 minutes when there are events; the name time is the delivery time.
 * Digests live in CloudTrail-Digest/ beside this folder: recognised, never sampled. */
#include <stdio.h>
#include <string.h>

#include "aws/awsjson.h"
#include "pipeline/plan.h"
#include "pipeline/status.h"
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

/* ---- status: the trail's LatestDeliveryError -------------------------------------------- */

#define P_TRAILS "cloudtrail:DescribeTrails"
#define P_STATUS "cloudtrail:GetTrailStatus"

static void on_trail_status(void *ud, const cJSON *result, const struct lc_aws_resp *resp)
{
    struct lc_status_run *r = ud;
    struct lc_status_obs *o = r->o;
    bool logging = true;
    const char *derr = NULL;
    time_t last = 0;

    if (!lc_status_answer(r, P_STATUS, resp) || !result) {
        lc_status_fail(r, &resp->err, P_STATUS);
        return;
    }
    o->read = true;
    lc_json_bool(result, "IsLogging", LC_JSON_OPTIONAL, &logging, NULL);
    lc_json_string(result, "LatestDeliveryError", LC_JSON_OPTIONAL, &derr, NULL);
    lc_json_time(result, "LatestDeliveryTime", LC_JSON_OPTIONAL, &last, NULL);
    cJSON_AddBoolToObject(o->detail, "is_logging", logging);
    lc_status_add_str(o->detail, "latest_delivery_error", derr);
    if (last)
        cJSON_AddNumberToObject(o->detail, "latest_delivery_time", (double)last);
    const cJSON *trail = cJSON_GetObjectItem(o->detail, "trail");
    const char *name = cJSON_IsString(trail) ? trail->valuestring : "?";
    if (derr && *derr) {
        o->failed = true;
        lc_status_summary(o, "trail %s: LatestDeliveryError %s", name, derr);
    } else if (!logging) {
        o->failed = true;
        lc_status_summary(o, "trail %s is not logging", name);
    } else {
        lc_status_summary(o, "trail %s reports no delivery error", name);
    }
    lc_status_finish(r);
}

/* GetTrailStatus in the trail's home region (a shadow trail elsewhere says less). */
static void ask_status(struct lc_status_run *r, const char *arn, const char *home)
{
    cJSON *in = cJSON_CreateObject();

    cJSON_AddStringToObject(in, "Name", arn ? arn : "");
    if (lc_status_json(r, P_STATUS, "cloudtrail", home ? home : r->s->region, "GetTrailStatus", in,
                       on_trail_status) != 0)
        lc_status_fail(r, &r->o->calls[r->o->n_calls - 1].err, P_STATUS);
    cJSON_Delete(in);
}

static void on_trails(void *ud, const cJSON *result, const struct lc_aws_resp *resp)
{
    struct lc_status_run *r = ud;
    struct lc_status_obs *o = r->o;
    const cJSON *list = NULL, *t;
    const char *any = NULL, *any_home = NULL;

    if (!lc_status_answer(r, P_TRAILS, resp) || !result) {
        if (r->try_all)
            lc_status_stop(r, "not tried: DescribeTrails failed");
        else
            lc_status_fail(r, &resp->err, P_TRAILS);
        return;
    }
    lc_json_array(result, "trailList", LC_JSON_OPTIONAL, &list, NULL);
    cJSON_ArrayForEach(t, list)
    {
        const char *bucket = NULL, *arn = NULL, *home = NULL, *key = NULL;
        bool org = false;
        lc_json_string(t, "S3BucketName", LC_JSON_OPTIONAL, &bucket, NULL);
        lc_json_string(t, "TrailARN", LC_JSON_OPTIONAL, &arn, NULL);
        lc_json_string(t, "HomeRegion", LC_JSON_OPTIONAL, &home, NULL);
        if (!bucket || strcmp(bucket, r->s->target->bucket) != 0) {
            if (!any && arn) {
                any = arn;
                any_home = home;
            }
            continue;
        }
        lc_json_string(t, "KmsKeyId", LC_JSON_OPTIONAL, &key, NULL);
        lc_json_bool(t, "IsOrganizationTrail", LC_JSON_OPTIONAL, &org, NULL);
        lc_status_add_str(o->detail, "trail", arn);
        lc_status_add_str(o->detail, "home_region", home);
        lc_status_add_str(o->detail, "kms_key_id", key);
        cJSON_AddBoolToObject(o->detail, "organization_trail", org);
        o->found = true;
        ask_status(r, arn, home);
        return;
    }
    o->read = true;
    lc_status_summary(o, "no CloudTrail trail visible from %s %s delivers to s3://%s",
                      r->s->account, r->s->region, r->s->target->bucket);
    if (r->try_all && any)
        ask_status(r, any, any_home); /* another trail proves the permission as well */
    else if (r->try_all)
        lc_status_stop(r, "not tried: no trail to ask about");
    else
        lc_status_finish(r);
}

/* DescribeTrails (shadow trails included), then the status of the trail to this bucket. */
static int status_start(struct lc_status_run *r, struct lc_error *err)
{
    cJSON *in = cJSON_CreateObject();
    int rc;

    (void)err;
    cJSON_AddBoolToObject(in, "includeShadowTrails", 1);
    rc = lc_status_json(r, P_TRAILS, "cloudtrail", r->s->region, "DescribeTrails", in, on_trails);
    cJSON_Delete(in);
    return rc;
}

static const char *const status_permissions[] = {P_TRAILS, P_STATUS, NULL};

static const struct lc_status_reader status = {.permissions = status_permissions,
                                               .start = status_start};

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
    .status = &status,
    .base_prefix = base_prefix,
    .listings = listings,
    .classify = classify,
    .formats = formats,
};
