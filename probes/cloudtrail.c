/* CloudTrail log files, per-account and organization trails (and Control Tower's o-id folder).
 *   AWSLogs/<acct>/CloudTrail/<region>/YYYY/MM/DD/
 *   AWSLogs/<o-id>/<acct>/CloudTrail/<region>/YYYY/MM/DD/            (organization trail)
 *   file: <acct>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 chars>.json.gz
 * Delivered about every 5 minutes when there are events; the name time is the delivery time.
 * Digests live in CloudTrail-Digest/ beside this folder: recognised, never sampled. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/awsjson.h"
#include "core/arn.h"
#include "iam/diagnose.h"
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
    return o ? o->org_id : NULL;
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
    struct lc_buf p = {0};
    int rc;

    rc = lc_buf_appendf(&p, "%s%04d/%02d/%02d/%s_CloudTrail_%s_", s->base, tm->tm_year + 1900,
                        tm->tm_mon + 1, tm->tm_mday, s->account, s->region);
    /* Names are time-ordered inside the day: start after "<...>_<from>". */
    if (!rc)
        rc = lc_probe_list_from(out, p.data, stamp);
    lc_buf_free(&p);
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

/* ---- diagnosis: what cloudtrail.amazonaws.com asks of the key and the bucket -------------- */

#define SPN      "cloudtrail.amazonaws.com"
#define CT_TRAIL "aws-controltower-BaselineCloudTrail"

/* The trail the requests come from: the ARN when given; Control Tower's organization trail,
 * which lives in the management account as the key; else a prefix of the account's trails. */
struct trail {
    char arn[512];
    bool prefix;
    char account[16];
};

static void trail_of(const struct lc_diag_params *p, const struct lc_diag_facts *f, struct trail *t)
{
    const char *given = lc_diag_param(p, "trail_arn");

    memset(t, 0, sizeof(*t));
    if (given) {
        snprintf(t->arn, sizeof(t->arn), "%s", given);
        lc_arn_account(given, "cloudtrail", t->account);
    } else if (f->ct && f->key_account[0]) {
        snprintf(t->arn, sizeof(t->arn), "arn:aws:cloudtrail:%s:%s:trail/%s", p->region,
                 f->key_account, CT_TRAIL);
        snprintf(t->account, sizeof(t->account), "%s", f->key_account);
    } else {
        snprintf(t->arn, sizeof(t->arn), "arn:aws:cloudtrail:%s:%s:trail/", p->region, p->account);
        t->prefix = true;
        snprintf(t->account, sizeof(t->account), "%s", p->account);
    }
}

static void diag_paths(const struct lc_diag_params *p, struct lc_diag_facts *f)
{
    const char *org = lc_diag_param(p, "org_id");

    if (org)
        snprintf(f->obj_prefix, sizeof(f->obj_prefix), "arn:aws:s3:::%sAWSLogs/%s/%s/CloudTrail/",
                 f->base, org, p->account);
    else
        snprintf(f->obj_prefix, sizeof(f->obj_prefix), "arn:aws:s3:::%sAWSLogs/%s/CloudTrail/",
                 f->base, p->account);
    /* an organization trail writes under the organization: its statement's resource */
    if (org)
        snprintf(f->put_resource, sizeof(f->put_resource), "arn:aws:s3:::%sAWSLogs/%s/*", f->base,
                 org);
    else
        snprintf(f->put_resource, sizeof(f->put_resource), "arn:aws:s3:::%sAWSLogs/%s/*", f->base,
                 p->account);
}

/* CloudTrail calls KMS itself with the encryption context {aws:cloudtrail:arn: trail,
 * aws:s3:arn: object}; DescribeKey is checked at setup only. */
static void diag_requests(struct lc_diag_reqs *l, const struct lc_diag_params *p,
                          const struct lc_diag_facts *f)
{
    struct lc_diag_request *r;
    struct trail t;

    trail_of(p, f, &t);
    enum lc_pol_value_state ts = t.prefix ? LC_VAL_PREFIX : LC_VAL_EXACT;
    for (int i = 0; i < (p->bucket_key ? 2 : 1); i++) {
        const char *act = i == 0 ? "kms:GenerateDataKey" : "kms:Decrypt";
        r = lc_diag_req(l, LC_POLICY_KEY, act, LC_PRINCIPAL_SERVICE, SPN, act);
        if (!r)
            return;
        lc_diag_req_resource(r, f->key_res, f->key_res_prefix, f->key_account);
        lc_diag_ctx_source(r, t.account, t.arn, t.prefix);
        lc_diag_ctx(r, "kms:EncryptionContext:aws:cloudtrail:arn", ts, t.arn);
        lc_diag_ctx_s3(r, p, f, false);
        lc_diag_ctx(r, "aws:SecureTransport", LC_VAL_EXACT, "true");
    }
    r = lc_diag_req(l, LC_POLICY_KEY, "kms:DescribeKey", LC_PRINCIPAL_SERVICE, SPN,
                    "kms:DescribeKey");
    if (!r)
        return;
    r->advisory = true;
    lc_diag_req_resource(r, f->key_res, f->key_res_prefix, f->key_account);
    lc_diag_ctx_source(r, t.account, t.arn, t.prefix);
    lc_diag_ctx(r, "kms:EncryptionContext:aws:cloudtrail:arn", LC_VAL_ABSENT, NULL);
    lc_diag_ctx(r, "kms:EncryptionContext:aws:s3:arn", LC_VAL_ABSENT, NULL);
    lc_diag_ctx(r, "kms:ViaService", LC_VAL_ABSENT, NULL);
    lc_diag_ctx(r, "aws:SecureTransport", LC_VAL_EXACT, "true");

    r = lc_diag_req(l, LC_POLICY_BUCKET, "s3:GetBucketAcl", LC_PRINCIPAL_SERVICE, SPN,
                    "s3:GetBucketAcl");
    if (!r)
        return;
    lc_diag_req_resource(r, f->bucket_arn, false, f->bucket_account);
    lc_diag_ctx_source(r, t.account, t.arn, t.prefix);
    lc_diag_ctx(r, "aws:SecureTransport", LC_VAL_EXACT, "true");

    r = lc_diag_req(l, LC_POLICY_BUCKET, "s3:PutObject", LC_PRINCIPAL_SERVICE, SPN, "s3:PutObject");
    if (!r)
        return;
    lc_diag_req_resource(r, f->obj_prefix, true, f->bucket_account);
    lc_diag_ctx_source(r, t.account, t.arn, t.prefix);
    lc_diag_ctx(r, "s3:x-amz-acl", LC_VAL_EXACT, "bucket-owner-full-control");
    lc_diag_ctx(r, "aws:SecureTransport", LC_VAL_EXACT, "true");
}

/* {"StringEquals": {"aws:SourceArn": trail}} when the trail is known exactly, else NULL. */
static cJSON *source_arn(const struct trail *t, cJSON *c)
{
    return t->prefix ? c : lc_diag_cond(c, "StringEquals", "aws:SourceArn", t->arn);
}

static void diag_key_statements(const struct lc_diag_params *p, const struct lc_diag_facts *f,
                                const struct lc_diag_section *sec, cJSON *out)
{
    static const char *const enc[] = {"kms:GenerateDataKey", "kms:Decrypt"};
    static const char *const desc[] = {"kms:DescribeKey"};
    static const char *const ct_acts[] = {"kms:GenerateDataKey*", "kms:Decrypt"};
    struct trail t;
    char pat[128];
    cJSON *c;

    trail_of(p, f, &t);
    snprintf(pat, sizeof(pat), "arn:aws:cloudtrail:*:%s:trail/*", t.account);
    if (lc_diag_open(sec, enc, 2)) {
        c = source_arn(&t, NULL);
        c = lc_diag_cond(c, "StringLike", "kms:EncryptionContext:aws:cloudtrail:arn", pat);
        if (f->ct)
            lc_diag_add(out, lc_diag_statement("Allow CloudTrail to use KMS for encryption", SPN,
                                               lc_diag_actions(ct_acts, 2),
                                               p->key_arn ? p->key_arn : "*", c));
        else
            lc_diag_add(out,
                        lc_diag_statement("Allow CloudTrail to encrypt logs", SPN,
                                          lc_diag_actions(ct_acts, p->bucket_key ? 2 : 1), "*", c));
    }
    if (lc_diag_open(sec, desc, 1))
        lc_diag_add(out, lc_diag_statement(
                             "Allow CloudTrail to describe key", SPN, lc_diag_actions(desc, 1),
                             f->ct && p->key_arn ? p->key_arn : "*", source_arn(&t, NULL)));
}

static void diag_bucket_statements(const struct lc_diag_params *p, const struct lc_diag_facts *f,
                                   const struct lc_diag_section *sec, cJSON *out)
{
    static const char *const put[] = {"s3:PutObject"};
    static const char *const acl[] = {"s3:GetBucketAcl"};
    struct trail t;
    cJSON *c;

    trail_of(p, f, &t);
    if (lc_diag_open(sec, acl, 1))
        lc_diag_add(out,
                    lc_diag_statement("AWSCloudTrailAclCheck20150319", SPN, lc_diag_actions(acl, 1),
                                      f->bucket_arn, source_arn(&t, NULL)));
    if (lc_diag_open(sec, put, 1)) {
        c = lc_diag_cond(NULL, "StringEquals", "s3:x-amz-acl", "bucket-owner-full-control");
        c = source_arn(&t, c);
        lc_diag_add(out, lc_diag_statement(lc_diag_param(p, "org_id")
                                               ? "AWSCloudTrailOrganizationWrite20150319"
                                               : "AWSCloudTrailWrite20150319",
                                           SPN, lc_diag_actions(put, 1), f->put_resource, c));
    }
}

static int diag_steps_after(const struct lc_diag_params *p, const struct lc_diag_facts *f,
                            struct lc_pol_names *s)
{
    (void)p;
    if (f->ct)
        return lc_probe_controltower_steps(s);
    return lc_pol_names_add(s, "CloudTrail resumes by itself; `aws cloudtrail get-trail-status` "
                               "shows LatestDeliveryError clear after the next delivery (about 5 "
                               "minutes). If CreateTrail or UpdateTrail failed "
                               "(InsufficientEncryptionPolicyException), run it again.");
}

static int diag_assumptions(const struct lc_diag_params *p, const struct lc_diag_facts *f,
                            struct lc_pol_names *a)
{
    struct trail t;

    trail_of(p, f, &t);
    if (t.prefix)
        return lc_pol_names_addf(a, "trail ARN not given: aws:SourceArn is modelled as %s<name>",
                                 t.arn);
    return lc_pol_names_addf(a, "trail ARN: %s", t.arn);
}

static int check_trail(const char *v, struct lc_error *err)
{
    return lc_diag_check_arn(v, "cloudtrail", ":trail/", "--trail-arn",
                             "arn:aws:cloudtrail:<region>:<account>:trail/<name>", err);
}

static int check_org(const char *v, struct lc_error *err)
{
    bool ok = strncmp(v, "o-", 2) == 0 && strlen(v) <= 64;

    for (const char *c = v; ok && *c; c++)
        ok = (unsigned char)*c > 0x20 && (unsigned char)*c < 0x7f && *c != '"' && *c != '\\';
    if (ok)
        return 0;
    lc_error_set(err, LC_E_INVALID, "--org-id: expected an organization id (o-...)");
    return LC_E_INVALID;
}

/* A stream's trail (what its status reader found) and organization. */
static void diag_params(const struct lc_stream *s, const cJSON *detail, struct lc_diag_params *p)
{
    const cJSON *trail = detail ? cJSON_GetObjectItem(detail, "trail") : NULL;
    size_t n = 0;

    if (cJSON_IsString(trail)) {
        p->extra[n].name = "trail_arn";
        p->extra[n++].value = trail->valuestring;
    }
    if (org_id(s)) {
        p->extra[n].name = "org_id";
        p->extra[n++].value = org_id(s);
    }
}

static const struct lc_diag_param params[] = {
    {.name = "trail_arn", .flag = "trail-arn", .value = "ARN", .check = check_trail},
    {.name = "org_id", .flag = "org-id", .value = "O", .check = check_org},
};

static const struct lc_diag_model diag = {
    .title = "CloudTrail",
    .params = params,
    .n_params = 2,
    .paths = diag_paths,
    .requests = diag_requests,
    .key_statements = diag_key_statements,
    .bucket_statements = diag_bucket_statements,
    .steps_after = diag_steps_after,
    .assumptions = diag_assumptions,
};

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
    .diag = &diag,
    .diag_params = diag_params,
    .base_prefix = base_prefix,
    .listings = listings,
    .classify = classify,
    .formats = formats,
    .controltower_section = "centralizedLogging",
};
