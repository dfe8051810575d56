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
#include "iam/diagnose.h"
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
    struct lc_buf hist = {0}, snap = {0};
    int rc;

    rc = lc_buf_appendf(&hist, "%s%d/%d/%d/ConfigHistory/", s->base, tm->tm_year + 1900,
                        tm->tm_mon + 1, tm->tm_mday);
    if (!rc)
        rc = lc_listings_add(out, hist.data, NULL, NULL, NULL);
    if (!rc)
        rc =
            lc_buf_appendf(&snap, "%s%d/%d/%d/ConfigSnapshot/%s_Config_%s_ConfigSnapshot_", s->base,
                           tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday, s->account, s->region);
    if (!rc)
        rc = lc_probe_list_from(out, snap.data, stamp);
    lc_buf_free(&hist);
    lc_buf_free(&snap);
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

/* ---- diagnosis: what config.amazonaws.com (or the recorder's role) asks of key and bucket -- */

#define SPN "config.amazonaws.com"

static void diag_paths(const struct lc_diag_params *p, struct lc_diag_facts *f)
{
    snprintf(f->obj_prefix, sizeof(f->obj_prefix), "arn:aws:s3:::%sAWSLogs/%s/Config/", f->base,
             p->account);
    snprintf(f->put_resource, sizeof(f->put_resource), "arn:aws:s3:::%sAWSLogs/%s/Config/*",
             f->base, p->account);
}

/* config.amazonaws.com or the recorder's role: Config writes as the role first and falls back to
 * the service principal, so the two are alternatives. */
static void requests_of(struct lc_diag_reqs *l, const struct lc_diag_params *p,
                        const struct lc_diag_facts *f, enum lc_pol_principal_type pt,
                        const char *who)
{
    static const char *const kms_actions[] = {"kms:GenerateDataKey", "kms:Decrypt"};
    static const char *const s3_actions[] = {"s3:GetBucketAcl", "s3:ListBucket", "s3:PutObject"};
    char src_arn[128];
    struct lc_diag_request *r;
    bool svc = pt == LC_PRINCIPAL_SERVICE;

    snprintf(src_arn, sizeof(src_arn), "arn:aws:config:%s:%s:", p->region, p->account);
    for (size_t i = 0; i < 2; i++) {
        r = lc_diag_req(l, LC_POLICY_KEY, kms_actions[i], pt, who, kms_actions[i]);
        if (!r)
            return;
        lc_diag_req_resource(r, f->key_res, f->key_res_prefix, f->key_account);
        if (svc)
            lc_diag_ctx_source(r, p->account, src_arn, true);
        else
            lc_diag_ctx_iam(r, who);
        lc_diag_ctx_s3(r, p, f, true);
        lc_diag_ctx(r, "aws:SecureTransport", LC_VAL_EXACT, "true");
    }
    for (size_t i = 0; i < 3; i++) {
        r = lc_diag_req(l, LC_POLICY_BUCKET, s3_actions[i], pt, who, s3_actions[i]);
        if (!r)
            return;
        /* The HeadBucket existence check may fail without stopping delivery. */
        r->advisory = strcmp(s3_actions[i], "s3:ListBucket") == 0;
        if (strcmp(s3_actions[i], "s3:PutObject") == 0) {
            lc_diag_req_resource(r, f->obj_prefix, true, f->bucket_account);
            lc_diag_ctx(r, "s3:x-amz-acl", LC_VAL_EXACT, "bucket-owner-full-control");
        } else {
            lc_diag_req_resource(r, f->bucket_arn, false, f->bucket_account);
        }
        if (svc)
            lc_diag_ctx_source(r, p->account, src_arn, true);
        else
            lc_diag_ctx_iam(r, who);
        lc_diag_ctx(r, "aws:SecureTransport", LC_VAL_EXACT, "true");
    }
}

static void diag_requests(struct lc_diag_reqs *l, const struct lc_diag_params *p,
                          const struct lc_diag_facts *f)
{
    const char *role = lc_diag_param(p, "config_role_arn");

    if (role)
        requests_of(l, p, f, LC_PRINCIPAL_IAM, role);
    requests_of(l, p, f, LC_PRINCIPAL_SERVICE, SPN);
}

static void diag_key_statements(const struct lc_diag_params *p, const struct lc_diag_facts *f,
                                const struct lc_diag_section *sec, cJSON *out)
{
    static const char *const needs[] = {"kms:GenerateDataKey", "kms:Decrypt"};
    static const char *const acts[] = {"kms:Decrypt", "kms:GenerateDataKey"};

    if (!lc_diag_open(sec, needs, 2))
        return;
    if (f->ct) /* Control Tower: Config in every account uses the management key */
        lc_diag_add(out, lc_diag_statement("Allow Config to use KMS for encryption", SPN,
                                           lc_diag_actions(acts, 2), p->key_arn ? p->key_arn : "*",
                                           NULL));
    else
        lc_diag_add(out, lc_diag_statement(
                             "AWSConfigKMSPolicy", SPN, lc_diag_actions(acts, 2), "*",
                             lc_diag_cond(NULL, "StringEquals", "AWS:SourceAccount", p->account)));
}

static void diag_bucket_statements(const struct lc_diag_params *p, const struct lc_diag_facts *f,
                                   const struct lc_diag_section *sec, cJSON *out)
{
    static const char *const put[] = {"s3:PutObject"};
    static const char *const acl[] = {"s3:GetBucketAcl"};
    static const char *const list[] = {"s3:ListBucket"};
    cJSON *c;

    if (lc_diag_open(sec, acl, 1))
        lc_diag_add(out, lc_diag_statement(
                             "AWSConfigBucketPermissionsCheck", SPN, lc_diag_actions(acl, 1),
                             f->bucket_arn,
                             lc_diag_cond(NULL, "StringEquals", "AWS:SourceAccount", p->account)));
    if (lc_diag_open(sec, list, 1))
        lc_diag_add(out, lc_diag_statement(
                             "AWSConfigBucketExistenceCheck", SPN, lc_diag_actions(list, 1),
                             f->bucket_arn,
                             lc_diag_cond(NULL, "StringEquals", "AWS:SourceAccount", p->account)));
    if (lc_diag_open(sec, put, 1)) {
        c = lc_diag_cond(NULL, "StringEquals", "s3:x-amz-acl", "bucket-owner-full-control");
        c = lc_diag_cond(c, "StringEquals", "AWS:SourceAccount", p->account);
        lc_diag_add(out, lc_diag_statement("AWSConfigBucketDelivery", SPN, lc_diag_actions(put, 1),
                                           f->put_resource, c));
    }
}

static int diag_steps_after(const struct lc_diag_params *p, const struct lc_diag_facts *f,
                            struct lc_pol_names *s)
{
    (void)p;
    if (f->ct)
        return lc_probe_controltower_steps(s);
    return lc_pol_names_add(s, "If PutDeliveryChannel failed with "
                               "InsufficientDeliveryPolicyException, run it again; an existing "
                               "channel delivers at its next delivery.");
}

static int diag_assumptions(const struct lc_diag_params *p, const struct lc_diag_facts *f,
                            struct lc_pol_names *a)
{
    (void)f;
    return lc_pol_names_addf(a,
                             "aws:SourceArn of config.amazonaws.com is modelled as "
                             "arn:aws:config:%s:%s:<unknown>",
                             p->region, p->account);
}

static int check_role(const char *v, struct lc_error *err)
{
    return lc_diag_check_arn(v, "iam", NULL, "config role", "arn:aws:iam::<account>:role/<name>",
                             err);
}

static const struct lc_diag_param params[] = {
    {.name = "config_role_arn",
     .flag = "config-role",
     .value = "ARN",
     .help = "Config's recorder role (writes first as the role, then as the\n"
             "service principal)",
     .check = check_role},
};

static const struct lc_diag_model diag = {
    .title = "AWS Config",
    .params = params,
    .n_params = 1,
    .paths = diag_paths,
    .requests = diag_requests,
    .key_statements = diag_key_statements,
    .bucket_statements = diag_bucket_statements,
    .steps_after = diag_steps_after,
    .assumptions = diag_assumptions,
};

static const struct lc_cfg_default defaults[] = {{"max_age", "7h"}, {NULL, NULL}};

const struct lc_probe lc_probe_config = {
    .cfg = {.name = "config", .defaults = defaults},
    .latency_allowance_s = 60 * 60,
    .old_records = true,
    .status = &status,
    .diag = &diag,
    .base_prefix = base_prefix,
    .listings = listings,
    .classify = classify,
    .formats = formats,
    .controltower_section = "config",
};
