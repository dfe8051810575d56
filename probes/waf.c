/* AWS WAF web ACL traffic logs delivered to S3 (probes/FACTS.md, "waf").
 *   AWSLogs/<acct>/WAFLogs/<region>/<web-acl>/YYYY/MM/DD/HH/mm/
 *   file: <acct>_waflogs_<region>_<web-acl>_<YYYYMMDDTHHmmZ>_<hash>.log.gz
 * One file per web ACL every 5 minutes while it sees traffic (75 MB at most), gzip JSON Lines.
 *
 * Listing: below a web ACL's folder the keys sort by time (zero-padded YYYY/MM/DD/HH/mm
 * folders), so one listing per web ACL from start-after "<acl>/<window start's folders>" holds
 * the whole window, however many days it spans. The web ACLs are the folders of the region:
 * one delimiter listing finds them, unless web_acls names them. */
#include <stdio.h>
#include <string.h>

#include "aws/awsjson.h"
#include "core/arn.h"
#include "iam/diagnose.h"
#include "pipeline/bucket.h"
#include "pipeline/plan.h"
#include "pipeline/status.h"
#include "probes/probe.h"
#include "probes/probe_util.h"

struct waf_opts {
    char **web_acls; /* the web ACLs to expect (none: every folder found) */
    size_t n_web_acls;
};

static const struct waf_opts *opts(const struct lc_stream *s)
{
    static const struct waf_opts none = {0}; /* a source made without the config loader */
    return s->source->options ? s->source->options : &none;
}

static int base_prefix(const struct lc_stream *s, struct lc_buf *out)
{
    int rc = lc_probe_append_folder(s, out);
    if (!rc)
        rc = lc_buf_appendf(out, "AWSLogs/%s/WAFLogs/%s/", s->account, s->region);
    return rc;
}

static int listings(const struct lc_stream *s, time_t from, time_t now, struct lc_listings *out)
{
    const struct waf_opts *o = opts(s);
    char folders[20]; /* the window start's folders below a web ACL: "YYYY/MM/DD/HH/mm" */
    struct tm tm;
    int rc = 0;

    (void)now;
    if (!gmtime_r(&from, &tm))
        return LC_E_INVALID;
    strftime(folders, sizeof(folders), "%Y/%m/%d/%H/%M", &tm);
    if (!o->n_web_acls)
        return lc_listings_add(out, s->base, NULL, "/", folders);
    for (size_t i = 0; !rc && i < o->n_web_acls; i++) {
        struct lc_buf acl = {0};
        rc = lc_buf_appendf(&acl, "%s%s/", s->base, o->web_acls[i]);
        if (!rc)
            rc = lc_probe_list_from(out, acl.data, folders);
        lc_buf_free(&acl);
    }
    return rc;
}

/* "<base><acl>/YYYY/MM/DD/HH/mm/<acct>_waflogs_<region>_<acl>_<stamp>_<hash>.log.gz": the web
 * ACL of the folder must be the one the name carries (web ACL names may hold '_'). */
static enum lc_key_class classify(const struct lc_stream *s, const char *key, time_t *name_time)
{
    size_t nb = strlen(s->base);
    const char *name = lc_probe_basename(key);
    char head[96];
    int n = snprintf(head, sizeof(head), "%s_waflogs_%s_", s->account, s->region);

    *name_time = 0;
    if (strncmp(key, s->base, nb) != 0 || n < 0 || (size_t)n >= sizeof(head) ||
        strncmp(name, head, (size_t)n) != 0)
        return LC_KEY_OTHER;
    const char *acl = key + nb, *acl_end = strchr(acl, '/');
    size_t acl_len = acl_end ? (size_t)(acl_end - acl) : 0;
    if (!acl_len || strncmp(name + n, acl, acl_len) != 0 || name[n + acl_len] != '_')
        return LC_KEY_OTHER;
    size_t used = lc_probe_parse_stamp(name + n + acl_len + 1, name_time);
    if (!used || name[n + acl_len + 1 + used] != '_') {
        *name_time = 0;
        return LC_KEY_OTHER;
    }
    return LC_KEY_DELIVERY;
}

/* The record fields every WAF log line has; timestamp is milliseconds since the epoch. */
static const char *const required[] = {"webaclId", "action", "httpRequest", NULL};

static const struct lc_sample_format json_format = {
    .name = "waf json",
    .encoding = LC_SAMPLE_GZIP,
    .syntax = LC_SAMPLE_LINES,
    .what = "WAF log",
    .label = "waf json lines",
    .time_key = "timestamp",
    .required = required,
    .time_scale = 1000,
};

static const struct lc_sample_format *const formats[] = {&json_format, NULL};

/* ---- status: the web ACLs whose logging configuration names this bucket ------------------ */

#define P_LIST    "wafv2:ListLoggingConfigurations"
#define MAX_PAGES 4 /* 100 logging configurations a page */

static int ask_page(struct lc_status_run *r, const char *marker);

/* "arn:aws:wafv2:<region>:<acct>:regional/webacl/<name>/<id>": the name. */
static void acl_name(const char *arn, char *out, size_t len)
{
    const char *p = arn ? strstr(arn, "/webacl/") : NULL;
    const char *end = p ? strchr(p + 8, '/') : NULL;
    size_t n = end ? (size_t)(end - (p + 8)) : 0;

    snprintf(out, len, "%.*s", n < len ? (int)n : (int)len - 1, n ? p + 8 : "?");
}

static void on_configs(void *ud, const cJSON *result, const struct lc_aws_resp *resp)
{
    struct lc_status_run *r = ud;
    struct lc_status_obs *o = r->o;
    const cJSON *list = NULL, *c, *acls = cJSON_GetObjectItem(o->detail, "web_acls");
    const char *marker = NULL;
    char name[130];

    if (!lc_status_answer(r, P_LIST, resp) || !result) {
        lc_status_fail(r, &resp->err, P_LIST);
        return;
    }
    o->read = true;
    if (!acls)
        acls = cJSON_AddArrayToObject(o->detail, "web_acls");
    lc_json_array(result, "LoggingConfigurations", LC_JSON_OPTIONAL, &list, NULL);
    cJSON_ArrayForEach(c, list)
    {
        const char *arn = NULL;
        const cJSON *dests = NULL, *d;
        lc_json_string(c, "ResourceArn", LC_JSON_OPTIONAL, &arn, NULL);
        lc_json_array(c, "LogDestinationConfigs", LC_JSON_OPTIONAL, &dests, NULL);
        cJSON_ArrayForEach(d, dests)
        {
            if (!cJSON_IsString(d) || !lc_arn_is_bucket(d->valuestring, r->s->target->bucket))
                continue;
            acl_name(arn, name, sizeof(name));
            cJSON *a = cJSON_CreateObject();
            lc_status_add_str(a, "web_acl", name);
            lc_status_add_str(a, "resource_arn", arn);
            lc_status_add_str(a, "log_destination", d->valuestring);
            cJSON_AddItemToArray((cJSON *)acls, a);
            o->found = true;
            break;
        }
    }
    lc_json_string(result, "NextMarker", LC_JSON_OPTIONAL, &marker, NULL);
    if (marker && *marker && o->n_calls < MAX_PAGES && o->n_calls < LC_STATUS_MAX_CALLS) {
        if (ask_page(r, marker) != 0)
            lc_status_fail(r, &o->calls[o->n_calls - 1].err, P_LIST);
        return;
    }
    int n = cJSON_GetArraySize(acls);
    if (!n)
        lc_status_summary(o, "no web ACL in %s %s logs to s3://%s", r->s->account, r->s->region,
                          r->s->target->bucket);
    else
        lc_status_summary(o, "%d web ACL(s) log to s3://%s (WAF reports no delivery errors)", n,
                          r->s->target->bucket);
    lc_status_finish(r);
}

static int ask_page(struct lc_status_run *r, const char *marker)
{
    cJSON *in = cJSON_CreateObject();
    int rc;

    cJSON_AddStringToObject(in, "Scope", "REGIONAL");
    cJSON_AddNumberToObject(in, "Limit", 100);
    if (marker)
        cJSON_AddStringToObject(in, "NextMarker", marker);
    rc = lc_status_json(r, P_LIST, "wafv2", r->s->region, "ListLoggingConfigurations", in,
                        on_configs);
    cJSON_Delete(in);
    return rc;
}

/* ListLoggingConfigurations of the region's web ACLs: one call sees them all, no web ACL ARN
 * needed (GetLoggingConfiguration takes one). */
static int status_start(struct lc_status_run *r, struct lc_error *err)
{
    (void)err;
    return ask_page(r, NULL);
}

static const char *const status_permissions[] = {P_LIST, NULL};

static const struct lc_status_reader status = {.permissions = status_permissions,
                                               .start = status_start};

/* ---- diagnosis: the delivery.logs family (probes/logdelivery.c), in WAF's folder ---------- */

static void diag_paths(const struct lc_diag_params *p, struct lc_diag_facts *f)
{
    lc_logdelivery_paths(p, f, "WAFLogs");
}

static int diag_steps_after(const struct lc_diag_params *p, const struct lc_diag_facts *f,
                            struct lc_pol_names *s)
{
    int rc;

    (void)p;
    (void)f;
    rc = lc_pol_names_add(s, "Nothing to restart: the web ACL keeps logging and files appear "
                             "within about 5 minutes once it sees traffic.");
    if (!rc)
        rc = lc_pol_names_add(s, "The key must be a customer managed key: WAF cannot log to a "
                                 "bucket encrypted with the AWS managed key aws/s3.");
    return rc;
}

static const struct lc_diag_model diag = {
    .title = "AWS WAF",
    .paths = diag_paths,
    .requests = lc_logdelivery_requests,
    .key_statements = lc_logdelivery_key_statements,
    .bucket_statements = lc_logdelivery_bucket_statements,
    .steps_after = diag_steps_after,
    .assumptions = lc_logdelivery_assumptions,
};

/* ---- destination: the bucket's name and an AWS managed key ------------------------------- */

#define BUCKET_PREFIX "aws-waf-logs-"

static bool destination_unsupported(const struct lc_stream *s, const struct lc_target_obs *b,
                                    struct lc_destination_problem *out)
{
    const char *bucket = s->target->bucket;

    if (strncmp(bucket, BUCKET_PREFIX, strlen(BUCKET_PREFIX)) != 0) {
        snprintf(out->why, sizeof(out->why),
                 "WAF logs only to buckets whose name starts with \"" BUCKET_PREFIX
                 "\": s3://%s can never receive them",
                 bucket);
        snprintf(out->fix, sizeof(out->fix),
                 "Log the web ACLs to a bucket named " BUCKET_PREFIX
                 "<suffix> and point this target at it.");
        return true;
    }
    /* SSE-KMS with the AWS managed key: named (KeyManager AWS), or no key named at all */
    bool kms = b && b->enc_read && b->enc_algorithm && strncmp(b->enc_algorithm, "aws:kms", 7) == 0;
    bool managed = b && b->key_manager && strcmp(b->key_manager, "AWS") == 0;
    if (kms && (managed || !b->enc_kms_key_id)) {
        snprintf(out->why, sizeof(out->why),
                 "s3://%s encrypts with the AWS managed key aws/s3, which WAF cannot write with",
                 bucket);
        snprintf(out->fix, sizeof(out->fix),
                 "Make the bucket's default encryption a customer managed KMS key that grants "
                 "delivery.logs.amazonaws.com, or SSE-S3.");
        return true;
    }
    return false;
}

/* ---- configuration ----------------------------------------------------------------------- */

/* A web ACL name: 1 to 128 letters, digits, '_' and '-'. */
static int chk_web_acl(char **v, const char **why)
{
    size_t n = strlen(*v);
    bool ok = n >= 1 && n <= 128;

    for (size_t i = 0; ok && i < n; i++) {
        char c = (*v)[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '_' || c == '-';
    }
    if (!ok)
        *why = "not a web ACL name";
    return ok ? 0 : -1;
}

static const struct lc_cfg_check web_acl_name = {chk_web_acl, "1 to 128 letters, digits, `_`, `-`"};

static const struct lc_cfg_entry keys[] = {
    {.key = "web_acls",
     .type = LC_CFG_STRLIST,
     .off = offsetof(struct waf_opts, web_acls),
     .off_n = offsetof(struct waf_opts, n_web_acls),
     .flags = LC_CFG_UNIQUE,
     .check = &web_acl_name,
     .help = "Look for deliveries only in these web ACLs' folders (under "
             "`WAFLogs/<region>/`); without it, in every web ACL folder found. The stream is "
             "healthy while any of them delivers."},
};

static const struct lc_cfg_map options = {
    .path = "targets[].sources[]",
    .e = keys,
    .n = LC_CFG_NELEM(keys),
    .size = sizeof(struct waf_opts),
    .doc = "AWS WAF web ACL logs delivered to S3 (`AWSLogs/<account>/WAFLogs/<region>/<web ACL>/`; "
           "the bucket's name starts with `aws-waf-logs-`).",
};

static const struct lc_cfg_default defaults[] = {{"max_age", "1h"}, {NULL, NULL}};

const struct lc_probe lc_probe_waf = {
    .cfg = {.name = "waf", .options = &options, .defaults = defaults},
    .latency_allowance_s = 15 * 60,
    .diag = &diag,
    .status = &status,
    .base_prefix = base_prefix,
    .listings = listings,
    .classify = classify,
    .formats = formats,
    .destination_unsupported = destination_unsupported,
};
