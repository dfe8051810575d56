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

#include "pipeline/plan.h"
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

static const struct lc_cfg_default defaults[] = {{"max_age", "7h"}, {NULL, NULL}};

const struct lc_probe lc_probe_config = {
    .cfg = {.name = "config", .defaults = defaults},
    .latency_allowance_s = 60 * 60,
    .old_records = true,
    .base_prefix = base_prefix,
    .listings = listings,
    .classify = classify,
    .formats = formats,
};
