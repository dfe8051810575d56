/* AWS Config configuration history and snapshots (and the writability check file).
 *   AWSLogs/<acct>/Config/<region>/YYYY/M/D/ConfigHistory/   (month and day NOT zero-padded)
 *       <acct>_Config_<region>_ConfigHistory_<Type>_<startTS>_<endTS>_<n>.json.gz
 *   AWSLogs/<acct>/Config/<region>/YYYY/M/D/ConfigSnapshot/
 *       <acct>_Config_<region>_ConfigSnapshot_<YYYYMMDDTHHMMSSZ>_<snapshot id>.json.gz
 *   AWSLogs/<acct>/Config/ConfigWritabilityCheckFile         (written when the channel is set up)
 * History arrives about every 6 hours per changed resource type; history names sort by resource
 * type first, so a day's history folder is listed whole (a few files per type and day).
 * Snapshots are time-ordered and listed from start-after. */
#include <stdio.h>
#include <string.h>

#include "aws/awsjson.h"
#include "pipeline/plan.h"
#include "pipeline/status.h"
#include "probes/probe.h"
#include "probes/probe_util.h"

static int base_prefix(const struct lc_stream *s, struct lc_buf *out)
{
    int rc = lc_probe_append_folder(s, out);
    if (!rc)
        rc = lc_buf_appendf(out, "AWSLogs/%s/Config/%s/", s->account, s->region);
    return rc;
}

static int add_day(const struct lc_stream *s, const struct tm *tm, const char *stamp,
                   struct lc_listings *out)
{
    struct lc_buf hist = {0}, snap = {0}, after = {0};
    int rc;

    rc = lc_buf_appendf(&hist, "%s%d/%d/%d/ConfigHistory/", s->base, tm->tm_year + 1900,
                        tm->tm_mon + 1, tm->tm_mday);
    if (!rc)
        rc = lc_listings_add(out, hist.data, NULL, false, NULL);
    if (!rc)
        rc =
            lc_buf_appendf(&snap, "%s%d/%d/%d/ConfigSnapshot/%s_Config_%s_ConfigSnapshot_", s->base,
                           tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday, s->account, s->region);
    if (!rc)
        rc = lc_buf_appendf(&after, "%s%s", snap.data, stamp);
    if (!rc)
        rc = lc_listings_add(out, snap.data, after.data, false, NULL);
    lc_buf_free(&hist);
    lc_buf_free(&snap);
    lc_buf_free(&after);
    return rc;
}

static int listings(const struct lc_stream *s, time_t from, time_t now, struct lc_listings *out)
{
    return lc_probe_each_period(s, from, now, false, true, add_day, out);
}

/* History: the end timestamp (second of the two); snapshot: its one timestamp. */
static enum lc_key_class classify(const struct lc_stream *s, const char *key, time_t *name_time)
{
    const char *name = lc_probe_basename(key);
    char head[128];
    int n;

    *name_time = 0;
    if (strcmp(name, "ConfigWritabilityCheckFile") == 0)
        return LC_KEY_AUXILIARY;
    n = snprintf(head, sizeof(head), "%s_Config_%s_ConfigSnapshot_", s->account, s->region);
    if (n > 0 && (size_t)n < sizeof(head) && strncmp(name, head, (size_t)n) == 0)
        return lc_probe_parse_stamp(name + n, name_time) ? LC_KEY_DELIVERY : LC_KEY_OTHER;
    n = snprintf(head, sizeof(head), "%s_Config_%s_ConfigHistory_", s->account, s->region);
    if (n < 0 || (size_t)n >= sizeof(head) || strncmp(name, head, (size_t)n) != 0)
        return LC_KEY_OTHER;
    /* <Type>_<startTS>_<endTS>_<n>.json.gz: the type has no "_"; find the two stamps. */
    const char *p = strchr(name + n, '_');
    time_t start;
    size_t used = p ? lc_probe_parse_stamp(p + 1, &start) : 0;
    if (!used || p[1 + used] != '_' || !lc_probe_parse_stamp(p + 2 + used, name_time))
        return LC_KEY_OTHER;
    return LC_KEY_DELIVERY;
}

/* {"fileVersion":"1.0","configurationItems":[{..., "configurationItemCaptureTime": ...}]}
 * (history; snapshots add "configSnapshotId"). A top-level "Records" is a CloudTrail file. */
static const struct lc_sample_format json_format = {
    .name = "config json",
    .encoding = LC_SAMPLE_GZIP,
    .syntax = LC_SAMPLE_RECORDS,
    .what = "Config",
    .label = "config json",
    .records_key = "configurationItems",
    .time_key = "configurationItemCaptureTime",
    .version_key = "fileVersion",
    .foreign_key = "Records",
    .foreign_hint = "a CloudTrail file?",
};

static const struct lc_sample_format *const formats[] = {&json_format, NULL};

/* ---- status: the delivery channel's last status ------------------------------------------ */

#define P_CHANNELS "config:DescribeDeliveryChannels"
#define P_STATUS   "config:DescribeDeliveryChannelStatus"

static void config_info(struct lc_status_obs *o, const cJSON *st, const char *which,
                        const char *label, bool *failed_out)
{
    char path[96];
    const char *status = NULL, *code = NULL, *msg = NULL;
    cJSON *j = cJSON_AddObjectToObject(o->detail, label);

    snprintf(path, sizeof(path), "%s.lastStatus", which);
    lc_json_string(st, path, LC_JSON_OPTIONAL, &status, NULL);
    snprintf(path, sizeof(path), "%s.lastErrorCode", which);
    lc_json_string(st, path, LC_JSON_OPTIONAL, &code, NULL);
    snprintf(path, sizeof(path), "%s.lastErrorMessage", which);
    lc_json_string(st, path, LC_JSON_OPTIONAL, &msg, NULL);
    lc_status_add_str(j, "last_status", status);
    lc_status_add_str(j, "last_error_code", code);
    lc_status_add_str(j, "last_error_message", msg);
    snprintf(path, sizeof(path), "%s.lastSuccessfulTime", which);
    time_t t = 0;
    if (lc_json_time(st, path, LC_JSON_OPTIONAL, &t, NULL) == 0 && t)
        cJSON_AddNumberToObject(j, "last_successful_time", (double)t);
    if (status && strcmp(status, "Failure") == 0) {
        if (!*failed_out)
            lc_status_summary(o, "AWS Config %s delivery: Failure%s%s%s%s", label, code ? " " : "",
                              code ? code : "", msg ? ": " : "", msg ? msg : "");
        *failed_out = true;
    }
}

static void on_channel_status(void *ud, const cJSON *result, const struct lc_aws_resp *resp)
{
    struct lc_status_run *r = ud;
    struct lc_status_obs *o = r->o;
    const cJSON *st = NULL;
    bool failed = false;

    if (!lc_status_answer(r, P_STATUS, resp) || !result) {
        lc_status_fail(r, &resp->err, P_STATUS);
        return;
    }
    o->read = true;
    if (lc_json_object(result, "DeliveryChannelsStatus[0]", LC_JSON_OPTIONAL, &st, NULL) == 0 &&
        st) {
        config_info(o, st, "configHistoryDeliveryInfo", "history", &failed);
        config_info(o, st, "configSnapshotDeliveryInfo", "snapshot", &failed);
    }
    o->failed = failed;
    if (!failed)
        lc_status_summary(o, "AWS Config reports no delivery failure to s3://%s",
                          r->s->target->bucket);
    lc_status_finish(r);
}

/* The status of channel name (NULL: of every channel of the region). */
static void ask_status(struct lc_status_run *r, const char *name)
{
    cJSON *in = cJSON_CreateObject();

    if (name)
        cJSON_AddItemToArray(cJSON_AddArrayToObject(in, "DeliveryChannelNames"),
                             cJSON_CreateString(name));
    if (lc_status_json(r, P_STATUS, "config", r->s->region, "DescribeDeliveryChannelStatus", in,
                       on_channel_status) != 0)
        lc_status_fail(r, &r->o->calls[r->o->n_calls - 1].err, P_STATUS);
    cJSON_Delete(in);
}

static void on_channels(void *ud, const cJSON *result, const struct lc_aws_resp *resp)
{
    struct lc_status_run *r = ud;
    struct lc_status_obs *o = r->o;
    const cJSON *list = NULL, *ch;

    if (!lc_status_answer(r, P_CHANNELS, resp) || !result) {
        if (r->try_all)
            ask_status(r, NULL);
        else
            lc_status_fail(r, &resp->err, P_CHANNELS);
        return;
    }
    lc_json_array(result, "DeliveryChannels", LC_JSON_OPTIONAL, &list, NULL);
    cJSON_ArrayForEach(ch, list)
    {
        const char *bucket = NULL, *name = NULL, *prefix = NULL, *key = NULL;
        lc_json_string(ch, "s3BucketName", LC_JSON_OPTIONAL, &bucket, NULL);
        if (!bucket || strcmp(bucket, r->s->target->bucket) != 0)
            continue;
        lc_json_string(ch, "name", LC_JSON_OPTIONAL, &name, NULL);
        lc_json_string(ch, "s3KeyPrefix", LC_JSON_OPTIONAL, &prefix, NULL);
        lc_json_string(ch, "s3KmsKeyArn", LC_JSON_OPTIONAL, &key, NULL);
        lc_status_add_str(o->detail, "channel", name);
        lc_status_add_str(o->detail, "s3_key_prefix", prefix);
        lc_status_add_str(o->detail, "s3_kms_key_arn", key);
        o->found = true;
        ask_status(r, name ? name : "default");
        return;
    }
    o->read = true;
    lc_status_summary(o, "no AWS Config delivery channel in %s %s delivers to s3://%s",
                      r->s->account, r->s->region, r->s->target->bucket);
    if (r->try_all)
        ask_status(r, NULL); /* no channel here, but the permission is still worth proving */
    else
        lc_status_finish(r);
}

/* DescribeDeliveryChannels, then the status of the channel to this bucket. */
static int status_start(struct lc_status_run *r, struct lc_error *err)
{
    (void)err;
    return lc_status_json(r, P_CHANNELS, "config", r->s->region, "DescribeDeliveryChannels", NULL,
                          on_channels);
}

static const char *const status_permissions[] = {P_CHANNELS, P_STATUS, NULL};

static const struct lc_status_reader status = {.permissions = status_permissions,
                                               .start = status_start};

static const struct lc_cfg_default defaults[] = {{"max_age", "7h"}, {NULL, NULL}};

const struct lc_probe lc_probe_config = {
    .cfg = {.name = "config", .defaults = defaults},
    .latency_allowance_s = 60 * 60,
    .old_records = true,
    .status = &status,
    .base_prefix = base_prefix,
    .listings = listings,
    .classify = classify,
    .formats = formats,
};
