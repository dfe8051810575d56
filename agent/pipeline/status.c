/* The services' own delivery status (see status.h). One small state machine per stream:
 * a first call finds what delivers to this bucket, a second (Config, CloudTrail) reads its
 * status. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/awscall.h"
#include "aws/awsjson.h"
#include "aws/awsxml.h"
#include "pipeline/status.h"
#include "iam/diagnose.h"
#include "probes/probe.h"

struct status_run {
    struct lc_aws *aws;
    struct lc_credprov *creds;
    const struct lc_stream *s;
    struct lc_status_obs *o;
    void (*done)(void *ud);
    void *ud;
};

static void finish(struct status_run *r)
{
    r->done(r->ud);
    free(r);
}

static void fail(struct status_run *r, const struct lc_error *e, const char *permission)
{
    r->o->err = *e;
    r->o->permission = permission;
    finish(r);
}

static void set_summary(struct lc_status_obs *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_summary(struct lc_status_obs *o, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    free(o->summary);
    o->summary = strdup(buf);
}

/* "arn:<partition>:s3:::<bucket>[/folder]" names this bucket. */
static bool arn_is_bucket(const char *arn, const char *bucket)
{
    const char *p = arn && strncmp(arn, "arn:", 4) == 0 ? strstr(arn, ":s3:::") : NULL;
    size_t n = strlen(bucket);
    if (!p)
        return false;
    p += 6;
    return strncmp(p, bucket, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

static void add_str(cJSON *o, const char *name, const char *v)
{
    if (v && *v)
        cJSON_AddStringToObject(o, name, v);
}

/* ---- VPC flow logs ---------------------------------------------------------------------- */

static void on_flow_logs(void *ud, const struct lc_awsxml *doc, const struct lc_aws_resp *resp)
{
    struct status_run *r = ud;
    struct lc_status_obs *o = r->o;
    const char *base = "DescribeFlowLogsResponse/flowLogSet";
    size_t failed = 0, matched = 0;

    o->requests += resp->attempts;
    if (!doc) {
        fail(r, &resp->err, "ec2:DescribeFlowLogs");
        return;
    }
    o->read = true;
    cJSON *list = cJSON_AddArrayToObject(o->detail, "flow_logs");
    size_t n = lc_awsxml_count(doc, base);
    for (size_t i = 0; i < n; i++) {
        const char *dest = lc_awsxml_getf(doc, "%s/item[%zu]/logDestination", base, i);
        if (!arn_is_bucket(dest, r->s->target->bucket))
            continue;
        matched++;
        const char *st = lc_awsxml_getf(doc, "%s/item[%zu]/deliverLogsStatus", base, i);
        const char *msg = lc_awsxml_getf(doc, "%s/item[%zu]/deliverLogsErrorMessage", base, i);
        const char *id = lc_awsxml_getf(doc, "%s/item[%zu]/flowLogId", base, i);
        cJSON *fl = cJSON_CreateObject();
        cJSON_AddItemToArray(list, fl);
        add_str(fl, "flow_log_id", id);
        add_str(fl, "resource_id", lc_awsxml_getf(doc, "%s/item[%zu]/resourceId", base, i));
        add_str(fl, "flow_log_status", lc_awsxml_getf(doc, "%s/item[%zu]/flowLogStatus", base, i));
        add_str(fl, "deliver_logs_status", st);
        add_str(fl, "deliver_logs_error_message", msg);
        add_str(fl, "log_destination", dest);
        add_str(fl, "file_format",
                lc_awsxml_getf(doc, "%s/item[%zu]/destinationOptions/fileFormat", base, i));
        if (st && strcmp(st, "FAILED") == 0) {
            if (!failed)
                set_summary(o, "flow log %s: DeliverLogsStatus FAILED%s%s", id ? id : "?",
                            msg ? ": " : "", msg ? msg : "");
            failed++;
        }
    }
    o->found = matched > 0;
    o->failed = failed > 0;
    if (!matched)
        set_summary(o, "no flow log in %s %s delivers to s3://%s", r->s->account, r->s->region,
                    r->s->target->bucket);
    else if (!failed)
        set_summary(o, "%zu flow log(s) deliver to s3://%s, none reports a failure", matched,
                    r->s->target->bucket);
    finish(r);
}

static int start_flow_logs(struct status_run *r, struct lc_error *err)
{
    struct lc_kvlist p = {0};
    int rc = lc_kv_add(&p, "Filter.1.Name", "log-destination-type");
    if (!rc)
        rc = lc_kv_add(&p, "Filter.1.Value.1", "s3");
    if (!rc)
        rc = lc_kv_add(&p, "MaxResults", "1000");
    if (!rc)
        rc = lc_aws_query_call(r->aws, r->creds, "ec2", r->s->region, "DescribeFlowLogs", &p,
                               on_flow_logs, r, err);
    lc_kv_free(&p);
    return rc;
}

/* ---- AWS Config ------------------------------------------------------------------------- */

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
    add_str(j, "last_status", status);
    add_str(j, "last_error_code", code);
    add_str(j, "last_error_message", msg);
    snprintf(path, sizeof(path), "%s.lastSuccessfulTime", which);
    time_t t = 0;
    if (lc_json_time(st, path, LC_JSON_OPTIONAL, &t, NULL) == 0 && t)
        cJSON_AddNumberToObject(j, "last_successful_time", (double)t);
    if (status && strcmp(status, "Failure") == 0) {
        if (!*failed_out)
            set_summary(o, "AWS Config %s delivery: Failure%s%s%s%s", label, code ? " " : "",
                        code ? code : "", msg ? ": " : "", msg ? msg : "");
        *failed_out = true;
    }
}

static void on_channel_status(void *ud, const cJSON *result, const struct lc_aws_resp *resp)
{
    struct status_run *r = ud;
    struct lc_status_obs *o = r->o;
    const cJSON *st = NULL;
    bool failed = false;

    o->requests += resp->attempts;
    if (!result) {
        fail(r, &resp->err, "config:DescribeDeliveryChannelStatus");
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
        set_summary(o, "AWS Config reports no delivery failure to s3://%s", r->s->target->bucket);
    finish(r);
}

static void on_channels(void *ud, const cJSON *result, const struct lc_aws_resp *resp)
{
    struct status_run *r = ud;
    struct lc_status_obs *o = r->o;
    const cJSON *list = NULL, *ch;
    struct lc_error err;

    o->requests += resp->attempts;
    if (!result) {
        fail(r, &resp->err, "config:DescribeDeliveryChannels");
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
        add_str(o->detail, "channel", name);
        add_str(o->detail, "s3_key_prefix", prefix);
        add_str(o->detail, "s3_kms_key_arn", key);
        o->found = true;
        cJSON *in = cJSON_CreateObject();
        cJSON *names = cJSON_AddArrayToObject(in, "DeliveryChannelNames");
        cJSON_AddItemToArray(names, cJSON_CreateString(name ? name : "default"));
        lc_error_clear(&err);
        int rc = lc_aws_json_call(r->aws, r->creds, "config", r->s->region,
                                  "DescribeDeliveryChannelStatus", in, on_channel_status, r, &err);
        cJSON_Delete(in);
        if (rc)
            fail(r, &err, "config:DescribeDeliveryChannelStatus");
        return;
    }
    o->read = true;
    set_summary(o, "no AWS Config delivery channel in %s %s delivers to s3://%s", r->s->account,
                r->s->region, r->s->target->bucket);
    finish(r);
}

/* ---- CloudTrail ------------------------------------------------------------------------- */

static void on_trail_status(void *ud, const cJSON *result, const struct lc_aws_resp *resp)
{
    struct status_run *r = ud;
    struct lc_status_obs *o = r->o;
    bool logging = true;
    const char *derr = NULL;
    time_t last = 0;

    o->requests += resp->attempts;
    if (!result) {
        fail(r, &resp->err, "cloudtrail:GetTrailStatus");
        return;
    }
    o->read = true;
    lc_json_bool(result, "IsLogging", LC_JSON_OPTIONAL, &logging, NULL);
    lc_json_string(result, "LatestDeliveryError", LC_JSON_OPTIONAL, &derr, NULL);
    lc_json_time(result, "LatestDeliveryTime", LC_JSON_OPTIONAL, &last, NULL);
    cJSON_AddBoolToObject(o->detail, "is_logging", logging);
    add_str(o->detail, "latest_delivery_error", derr);
    if (last)
        cJSON_AddNumberToObject(o->detail, "latest_delivery_time", (double)last);
    const cJSON *trail = cJSON_GetObjectItem(o->detail, "trail");
    const char *name = cJSON_IsString(trail) ? trail->valuestring : "?";
    if (derr && *derr) {
        o->failed = true;
        set_summary(o, "trail %s: LatestDeliveryError %s", name, derr);
    } else if (!logging) {
        o->failed = true;
        set_summary(o, "trail %s is not logging", name);
    } else {
        set_summary(o, "trail %s reports no delivery error", name);
    }
    finish(r);
}

static void on_trails(void *ud, const cJSON *result, const struct lc_aws_resp *resp)
{
    struct status_run *r = ud;
    struct lc_status_obs *o = r->o;
    const cJSON *list = NULL, *t;
    struct lc_error err;

    o->requests += resp->attempts;
    if (!result) {
        fail(r, &resp->err, "cloudtrail:DescribeTrails");
        return;
    }
    lc_json_array(result, "trailList", LC_JSON_OPTIONAL, &list, NULL);
    cJSON_ArrayForEach(t, list)
    {
        const char *bucket = NULL, *arn = NULL, *home = NULL, *key = NULL;
        bool org = false;
        lc_json_string(t, "S3BucketName", LC_JSON_OPTIONAL, &bucket, NULL);
        if (!bucket || strcmp(bucket, r->s->target->bucket) != 0)
            continue;
        lc_json_string(t, "TrailARN", LC_JSON_OPTIONAL, &arn, NULL);
        lc_json_string(t, "HomeRegion", LC_JSON_OPTIONAL, &home, NULL);
        lc_json_string(t, "KmsKeyId", LC_JSON_OPTIONAL, &key, NULL);
        lc_json_bool(t, "IsOrganizationTrail", LC_JSON_OPTIONAL, &org, NULL);
        add_str(o->detail, "trail", arn);
        add_str(o->detail, "home_region", home);
        add_str(o->detail, "kms_key_id", key);
        cJSON_AddBoolToObject(o->detail, "organization_trail", org);
        o->found = true;
        /* GetTrailStatus in the trail's home region (a shadow trail elsewhere says less). */
        cJSON *in = cJSON_CreateObject();
        cJSON_AddStringToObject(in, "Name", arn ? arn : "");
        lc_error_clear(&err);
        int rc = lc_aws_json_call(r->aws, r->creds, "cloudtrail", home ? home : r->s->region,
                                  "GetTrailStatus", in, on_trail_status, r, &err);
        cJSON_Delete(in);
        if (rc)
            fail(r, &err, "cloudtrail:GetTrailStatus");
        return;
    }
    o->read = true;
    set_summary(o, "no CloudTrail trail visible from %s %s delivers to s3://%s", r->s->account,
                r->s->region, r->s->target->bucket);
    finish(r);
}

int lc_status_start(struct lc_aws *aws, struct lc_credprov *creds, const struct lc_stream *s,
                    struct lc_status_obs *out, void (*done)(void *ud), void *ud,
                    struct lc_error *err)
{
    struct status_run *r = calloc(1, sizeof(*r));
    int rc;

    out->asked = true;
    out->detail = cJSON_CreateObject();
    if (!r || !out->detail) {
        free(r);
        lc_error_set(err, LC_E_NOMEM, "out of memory");
        return LC_E_NOMEM;
    }
    *r = (struct status_run){aws, creds, s, out, done, ud};
    enum lc_diag_service svc = LC_DIAG_CLOUDTRAIL;
    lc_diag_service_parse(s->probe->cfg.name, &svc);
    switch (svc) {
    case LC_DIAG_VPCFLOWLOGS:
        rc = start_flow_logs(r, err);
        break;
    case LC_DIAG_CONFIG:
        rc = lc_aws_json_call(aws, creds, "config", s->region, "DescribeDeliveryChannels", NULL,
                              on_channels, r, err);
        break;
    case LC_DIAG_CLOUDTRAIL: {
        cJSON *in = cJSON_CreateObject();
        cJSON_AddBoolToObject(in, "includeShadowTrails", 1);
        rc = lc_aws_json_call(aws, creds, "cloudtrail", s->region, "DescribeTrails", in, on_trails,
                              r, err);
        cJSON_Delete(in);
        break;
    }
    default:
        rc = LC_E_INTERNAL;
        lc_error_set(err, rc, "no status reader for this source");
    }
    if (rc)
        free(r);
    return rc;
}

void lc_status_obs_free(struct lc_status_obs *o)
{
    free(o->summary);
    cJSON_Delete(o->detail);
    memset(o, 0, sizeof(*o));
}
