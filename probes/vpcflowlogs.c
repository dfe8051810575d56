/* VPC Flow Logs delivered to S3 (plain text or Parquet; default, per-hour and Hive layouts).
 *   AWSLogs/<acct>/vpcflowlogs/<region>/YYYY/MM/DD/[HH/]
 *   AWSLogs/aws-account-id=<acct>/aws-service=vpcflowlogs/aws-region=<region>/
 *       year=YYYY/month=MM/day=DD/[hour=HH/]
 *   file: <acct>_vpcflowlogs_<region>_<fl-id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz | .log.parquet
 * Files are published every 5 minutes and land in S3 about 10 minutes later. */
#include <stdio.h>
#include <string.h>

#include "aws/awsxml.h"
#include "core/arn.h"
#include "core/kv.h"
#include "iam/diagnose.h"
#include "pipeline/plan.h"
#include "pipeline/status.h"
#include "probes/probe.h"
#include "probes/probe_util.h"

struct flowlog_opts {
    bool hive;         /* Hive-compatible partitions */
    bool per_hour;     /* per-hour partitions */
    char *file_format; /* plain-text | parquet */
};

static const struct flowlog_opts *opts(const struct lc_stream *s)
{
    static const struct flowlog_opts none = {0}; /* a source made without the config loader */
    return s->source->options ? s->source->options : &none;
}

static int base_prefix(const struct lc_stream *s, struct lc_buf *out)
{
    int rc = lc_probe_append_folder(s, out);
    if (rc)
        return rc;
    if (opts(s)->hive)
        return lc_buf_appendf(out,
                              "AWSLogs/aws-account-id=%s/aws-service=vpcflowlogs/aws-region=%s/",
                              s->account, s->region);
    return lc_buf_appendf(out, "AWSLogs/%s/vpcflowlogs/%s/", s->account, s->region);
}

static int add_partition(const struct lc_stream *s, const struct tm *tm, const char *stamp,
                         struct lc_listings *out)
{
    const struct flowlog_opts *o = opts(s);
    struct lc_buf p = {0};
    int rc;

    rc = lc_buf_append(&p, s->base, strlen(s->base));
    if (!rc && o->hive)
        rc = lc_buf_appendf(&p, "year=%04d/month=%02d/day=%02d/", tm->tm_year + 1900,
                            tm->tm_mon + 1, tm->tm_mday);
    else if (!rc)
        rc = lc_buf_appendf(&p, "%04d/%02d/%02d/", tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday);
    if (!rc && o->per_hour)
        rc = lc_buf_appendf(&p, o->hive ? "hour=%02d/" : "%02d/", tm->tm_hour);
    /* Every file of the partition starts with this; the next "_" ends the flow-log id. */
    if (!rc)
        rc = lc_buf_appendf(&p, "%s_vpcflowlogs_%s_", s->account, s->region);
    if (!rc)
        rc = lc_listings_add(out, p.data, NULL, "_", stamp);
    lc_buf_free(&p);
    return rc;
}

static int listings(const struct lc_stream *s, time_t from, time_t now, struct lc_listings *out)
{
    return lc_probe_each_period(s, from, now, opts(s)->per_hour, false, add_partition, out);
}

static enum lc_key_class classify(const struct lc_stream *s, const char *key, time_t *name_time)
{
    const char *name = lc_probe_basename(key);
    char head[96];
    int n = snprintf(head, sizeof(head), "%s_vpcflowlogs_%s_", s->account, s->region);

    *name_time = 0;
    if (n < 0 || (size_t)n >= sizeof(head) || strncmp(name, head, (size_t)n) != 0)
        return LC_KEY_OTHER;
    const char *id_end = strchr(name + n, '_'); /* after the flow-log id */
    if (!id_end || !lc_probe_parse_stamp(id_end + 1, name_time))
        return LC_KEY_OTHER;
    return LC_KEY_DELIVERY;
}

/* The documented record fields of versions 2 to 8, in the default (version 2) order first,
 * plus two newer names; probes/FACTS.md lists where they come from. */
static const char *const actions[] = {"ACCEPT", "REJECT", "-", NULL};
static const char *const log_statuses[] = {"OK", "NODATA", "SKIPDATA", NULL};

static const struct lc_sample_field fields[] = {
    /* v2: the default format, in this order */
    {"version", LC_FIELD_INT, NULL},
    {"account-id", LC_FIELD_TEXT, NULL},
    {"interface-id", LC_FIELD_TEXT, NULL},
    {"srcaddr", LC_FIELD_TEXT, NULL},
    {"dstaddr", LC_FIELD_TEXT, NULL},
    {"srcport", LC_FIELD_INT, NULL},
    {"dstport", LC_FIELD_INT, NULL},
    {"protocol", LC_FIELD_INT, NULL},
    {"packets", LC_FIELD_INT, NULL},
    {"bytes", LC_FIELD_INT, NULL},
    {"start", LC_FIELD_START, NULL},
    {"end", LC_FIELD_END, NULL},
    {"action", LC_FIELD_WORD, actions},
    {"log-status", LC_FIELD_WORD, log_statuses},
    /* v3 */
    {"vpc-id", LC_FIELD_TEXT, NULL},
    {"subnet-id", LC_FIELD_TEXT, NULL},
    {"instance-id", LC_FIELD_TEXT, NULL},
    {"tcp-flags", LC_FIELD_INT, NULL},
    {"type", LC_FIELD_TEXT, NULL},
    {"pkt-srcaddr", LC_FIELD_TEXT, NULL},
    {"pkt-dstaddr", LC_FIELD_TEXT, NULL},
    /* v4 */
    {"region", LC_FIELD_TEXT, NULL},
    {"az-id", LC_FIELD_TEXT, NULL},
    {"sublocation-type", LC_FIELD_TEXT, NULL},
    {"sublocation-id", LC_FIELD_TEXT, NULL},
    /* v5 */
    {"pkt-src-aws-service", LC_FIELD_TEXT, NULL},
    {"pkt-dst-aws-service", LC_FIELD_TEXT, NULL},
    {"flow-direction", LC_FIELD_TEXT, NULL},
    {"traffic-path", LC_FIELD_INT, NULL},
    /* v7 */
    {"ecs-cluster-arn", LC_FIELD_TEXT, NULL},
    {"ecs-cluster-name", LC_FIELD_TEXT, NULL},
    {"ecs-container-instance-arn", LC_FIELD_TEXT, NULL},
    {"ecs-container-instance-id", LC_FIELD_TEXT, NULL},
    {"ecs-container-id", LC_FIELD_TEXT, NULL},
    {"ecs-second-container-id", LC_FIELD_TEXT, NULL},
    {"ecs-service-name", LC_FIELD_TEXT, NULL},
    {"ecs-task-definition-arn", LC_FIELD_TEXT, NULL},
    {"ecs-task-arn", LC_FIELD_TEXT, NULL},
    {"ecs-task-id", LC_FIELD_TEXT, NULL},
    /* v8 */
    {"reject-reason", LC_FIELD_TEXT, NULL},
    /* later additions, not in every copy of the docs: accepted as known */
    {"encryption-status", LC_FIELD_TEXT, NULL},
    {"resource-id", LC_FIELD_TEXT, NULL},
};

static const struct lc_sample_format text_format = {
    .name = "vpcflowlogs text",
    .encoding = LC_SAMPLE_GZIP,
    .syntax = LC_SAMPLE_TABLE,
    .what = "flow log",
    .fields = fields,
    .n_fields = sizeof(fields) / sizeof(fields[0]),
    .n_default = 14,
    .default_label = "v2 default",
    .json_hint = "a CloudTrail or Config file?",
};

static const struct lc_sample_format parquet_format = {
    .name = "vpcflowlogs parquet",
    .encoding = LC_SAMPLE_PARQUET,
    .what = "flow log",
    .label = "parquet",
};

static const struct lc_sample_format *const formats[] = {&text_format, &parquet_format, NULL};

static const struct lc_sample_format *sample_format(const struct lc_stream *s, const char *key)
{
    size_t n = strlen(key);
    (void)s;
    if (n >= 8 && strcmp(key + n - 8, ".parquet") == 0)
        return &parquet_format;
    return &text_format;
}

/* ---- status: the flow logs' own DeliverLogsStatus ---------------------------------------- */

#define P_DESCRIBE "ec2:DescribeFlowLogs"

static void on_flow_logs(void *ud, const struct lc_awsxml *doc, const struct lc_aws_resp *resp)
{
    struct lc_status_run *r = ud;
    struct lc_status_obs *o = r->o;
    const char *base = "DescribeFlowLogsResponse/flowLogSet";
    size_t failed = 0, matched = 0;

    if (!lc_status_answer(r, P_DESCRIBE, resp) || !doc) {
        lc_status_fail(r, &resp->err, P_DESCRIBE);
        return;
    }
    o->read = true;
    cJSON *list = cJSON_AddArrayToObject(o->detail, "flow_logs");
    size_t n = lc_awsxml_count(doc, base);
    for (size_t i = 0; i < n; i++) {
        const char *dest = lc_awsxml_getf(doc, "%s/item[%zu]/logDestination", base, i);
        if (!lc_arn_is_bucket(dest, r->s->target->bucket))
            continue;
        matched++;
        const char *st = lc_awsxml_getf(doc, "%s/item[%zu]/deliverLogsStatus", base, i);
        const char *msg = lc_awsxml_getf(doc, "%s/item[%zu]/deliverLogsErrorMessage", base, i);
        const char *id = lc_awsxml_getf(doc, "%s/item[%zu]/flowLogId", base, i);
        cJSON *fl = cJSON_CreateObject();
        cJSON_AddItemToArray(list, fl);
        lc_status_add_str(fl, "flow_log_id", id);
        lc_status_add_str(fl, "resource_id",
                          lc_awsxml_getf(doc, "%s/item[%zu]/resourceId", base, i));
        lc_status_add_str(fl, "flow_log_status",
                          lc_awsxml_getf(doc, "%s/item[%zu]/flowLogStatus", base, i));
        lc_status_add_str(fl, "deliver_logs_status", st);
        lc_status_add_str(fl, "deliver_logs_error_message", msg);
        lc_status_add_str(fl, "log_destination", dest);
        lc_status_add_str(
            fl, "file_format",
            lc_awsxml_getf(doc, "%s/item[%zu]/destinationOptions/fileFormat", base, i));
        if (st && strcmp(st, "FAILED") == 0) {
            if (!failed)
                lc_status_summary(o, "flow log %s: DeliverLogsStatus FAILED%s%s", id ? id : "?",
                                  msg ? ": " : "", msg ? msg : "");
            failed++;
        }
    }
    o->found = matched > 0;
    o->failed = failed > 0;
    if (!matched)
        lc_status_summary(o, "no flow log in %s %s delivers to s3://%s", r->s->account,
                          r->s->region, r->s->target->bucket);
    else if (!failed)
        lc_status_summary(o, "%zu flow log(s) deliver to s3://%s, none reports a failure", matched,
                          r->s->target->bucket);
    lc_status_finish(r);
}

/* DescribeFlowLogs of the S3 destinations; the flow logs to this bucket are the stream's. */
static int status_start(struct lc_status_run *r, struct lc_error *err)
{
    struct lc_kvlist p = {0};
    int rc = lc_kv_add(&p, "Filter.1.Name", "log-destination-type");
    if (!rc)
        rc = lc_kv_add(&p, "Filter.1.Value.1", "s3");
    if (!rc)
        rc = lc_kv_add(&p, "MaxResults", "1000");
    if (!rc)
        rc = lc_status_query(r, P_DESCRIBE, "ec2", r->s->region, "DescribeFlowLogs", &p,
                             on_flow_logs);
    else
        lc_error_set(err, LC_E_NOMEM, "out of memory");
    lc_kv_free(&p);
    return rc;
}

static const char *const status_permissions[] = {P_DESCRIBE, NULL};

static const struct lc_status_reader status = {.permissions = status_permissions,
                                               .start = status_start};

/* ---- diagnosis: the delivery.logs family (probes/logdelivery.c), in the flow logs' folder -- */

static void diag_paths(const struct lc_diag_params *p, struct lc_diag_facts *f)
{
    lc_logdelivery_paths(p, f, "vpcflowlogs");
}

static int diag_steps_after(const struct lc_diag_params *p, const struct lc_diag_facts *f,
                            struct lc_pol_names *s)
{
    int rc;

    (void)p;
    (void)f;
    rc = lc_pol_names_add(s, "Nothing to restart: the flow log keeps delivering and objects "
                             "appear within about 10 minutes once there is traffic.");
    if (!rc)
        rc = lc_pol_names_add(s, "The bucket's default encryption must name the key by its ARN, "
                                 "not its key id (else \"LogDestination is undeliverable\").");
    return rc;
}

static const struct lc_diag_model diag = {
    .title = "VPC Flow Logs",
    .needs_key_arn = true,
    .paths = diag_paths,
    .requests = lc_logdelivery_requests,
    .key_statements = lc_logdelivery_key_statements,
    .bucket_statements = lc_logdelivery_bucket_statements,
    .steps_after = diag_steps_after,
    .assumptions = lc_logdelivery_assumptions,
};

static const char *const file_formats[] = {"plain-text", "parquet", NULL};

static const struct lc_cfg_entry keys[] = {
    {.key = "hive_compatible",
     .type = LC_CFG_BOOL,
     .off = offsetof(struct flowlog_opts, hive),
     .def = "false",
     .help = "The flow logs use Hive-compatible S3 prefixes "
             "(`aws-account-id=<acct>/aws-service=vpcflowlogs/...`)."},
    {.key = "per_hour",
     .type = LC_CFG_BOOL,
     .off = offsetof(struct flowlog_opts, per_hour),
     .def = "false",
     .help = "The flow logs are partitioned per hour (an hour folder below the day)."},
    {.key = "file_format",
     .type = LC_CFG_ENUMSTR,
     .off = offsetof(struct flowlog_opts, file_format),
     .def = "plain-text",
     .names = file_formats,
     .help = "The flow logs' file format, as chosen when the flow log was created."},
};

static const struct lc_cfg_map options = {
    .path = "targets[].sources[]",
    .e = keys,
    .n = LC_CFG_NELEM(keys),
    .size = sizeof(struct flowlog_opts),
    .doc = "VPC Flow Logs delivered to S3 (`AWSLogs/<account>/vpcflowlogs/<region>/`).",
};

static const struct lc_cfg_default defaults[] = {{"max_age", "30m"}, {NULL, NULL}};

const struct lc_probe lc_probe_vpcflowlogs = {
    .cfg = {.name = "vpcflowlogs", .options = &options, .defaults = defaults},
    .latency_allowance_s = 20 * 60,
    .diag = &diag,
    .status = &status,
    .base_prefix = base_prefix,
    .listings = listings,
    .classify = classify,
    .sample_format = sample_format,
    .formats = formats,
};
