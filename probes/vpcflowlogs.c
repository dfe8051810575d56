/* VPC Flow Logs delivered to S3 (plain text or Parquet; default, per-hour and Hive layouts).
 *   AWSLogs/<acct>/vpcflowlogs/<region>/YYYY/MM/DD/[HH/]
 *   AWSLogs/aws-account-id=<acct>/aws-service=vpcflowlogs/aws-region=<region>/
 *       year=YYYY/month=MM/day=DD/[hour=HH/]
 *   file: <acct>_vpcflowlogs_<region>_<fl-id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz | .log.parquet
 * Files are published every 5 minutes and land in S3 about 10 minutes later. */
#include <stdio.h>
#include <string.h>

#include "pipeline/plan.h"
#include "probes/probe.h"
#include "probes/probe_util.h"

static int base_prefix(const struct lc_stream *s, struct lc_buf *out)
{
    int rc = lc_probe_append_folder(s, out);
    if (rc)
        return rc;
    if (s->source->hive)
        return lc_buf_appendf(out,
                              "AWSLogs/aws-account-id=%s/aws-service=vpcflowlogs/aws-region=%s/",
                              s->account, s->region);
    return lc_buf_appendf(out, "AWSLogs/%s/vpcflowlogs/%s/", s->account, s->region);
}

static int add_partition(const struct lc_stream *s, const struct tm *tm, const char *stamp,
                         struct lc_listings *out)
{
    const struct lc_source_cfg *src = s->source;
    struct lc_buf p = {0};
    int rc;

    rc = lc_buf_append(&p, s->base, strlen(s->base));
    if (!rc && src->hive)
        rc = lc_buf_appendf(&p, "year=%04d/month=%02d/day=%02d/", tm->tm_year + 1900,
                            tm->tm_mon + 1, tm->tm_mday);
    else if (!rc)
        rc = lc_buf_appendf(&p, "%04d/%02d/%02d/", tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday);
    if (!rc && src->per_hour)
        rc = lc_buf_appendf(&p, src->hive ? "hour=%02d/" : "%02d/", tm->tm_hour);
    /* Every file of the partition starts with this; the next "_" ends the flow-log id. */
    if (!rc)
        rc = lc_buf_appendf(&p, "%s_vpcflowlogs_%s_", s->account, s->region);
    if (!rc)
        rc = lc_listings_add(out, p.data, NULL, true, stamp);
    lc_buf_free(&p);
    return rc;
}

static int listings(const struct lc_stream *s, time_t from, time_t now, struct lc_listings *out)
{
    return lc_probe_each_period(s, from, now, s->source->per_hour, false, add_partition, out);
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

static enum lc_sample_kind sample_kind(const struct lc_stream *s, const char *key)
{
    size_t n = strlen(key);
    (void)s;
    if (n >= 8 && strcmp(key + n - 8, ".parquet") == 0)
        return LC_SAMPLE_FLOWLOG_PARQUET;
    return LC_SAMPLE_FLOWLOG_TEXT;
}

const struct lc_probe lc_probe_vpcflowlogs = {
    .name = "vpcflowlogs",
    .type = LC_SRC_VPCFLOWLOGS,
    .latency_allowance_s = 20 * 60,
    .base_prefix = base_prefix,
    .listings = listings,
    .classify = classify,
    .sample_kind = sample_kind,
};
