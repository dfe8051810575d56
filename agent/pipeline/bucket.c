/* The bucket and key reads (bucket.h). */
#include "pipeline/bucket.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "aws/aws.h"
#include "aws/awscall.h"
#include "aws/awsjson.h"
#include "aws/awsxml.h"
#include "aws/s3.h"
#include "core/arn.h"
#include "pipeline/plan.h"

struct target_run {
    struct lc_aws *aws;
    struct lc_target_obs *obs;
    struct lc_credprov *creds;
    struct lc_bucket_opts opts;
    int pending;
    void (*done)(void *ud);
    void *ud;
};

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static const char *region_of(const struct target_run *tr)
{
    return lc_target_region(tr->obs->target, lc_aws_default_region(tr->aws));
}

static void target_step_done(struct target_run *tr)
{
    if (--tr->pending > 0)
        return;
    tr->done(tr->ud);
    free(tr);
}

static void get_key_policy(struct target_run *tr, const char *key);

static void on_key_policy(void *ud, const cJSON *result, const struct lc_aws_resp *resp)
{
    struct target_run *tr = ud;
    struct lc_target_obs *o = tr->obs;
    const char *policy = NULL;

    o->requests += resp->attempts;
    if (!result) {
        o->key_policy_err = resp->err;
    } else if (lc_json_string(result, "Policy", LC_JSON_REQUIRED, &policy, &o->key_policy_err) ==
               0) {
        o->key_policy_read = true;
        o->key_policy = strdup(policy);
    }
    target_step_done(tr);
}

static void on_key_described(void *ud, const cJSON *result, const struct lc_aws_resp *resp)
{
    struct target_run *tr = ud;
    struct lc_target_obs *o = tr->obs;
    const char *arn = NULL, *state = NULL, *manager = NULL;
    bool multi = false;

    o->requests += resp->attempts;
    if (!result)
        o->key_err = resp->err;
    if (!result || lc_json_string(result, "KeyMetadata.Arn", LC_JSON_REQUIRED, &arn, &o->key_err) ||
        lc_json_string(result, "KeyMetadata.KeyState", LC_JSON_OPTIONAL, &state, &o->key_err) ||
        lc_json_string(result, "KeyMetadata.KeyManager", LC_JSON_OPTIONAL, &manager, &o->key_err) ||
        lc_json_bool(result, "KeyMetadata.MultiRegion", LC_JSON_OPTIONAL, &multi, &o->key_err)) {
        if (tr->opts.try_all)
            get_key_policy(tr, o->key_asked);
        else
            target_step_done(tr);
        return;
    }
    o->key_described = true;
    o->key_arn = strdup(arn);
    o->key_state = dup_or_null(state);
    o->key_manager = dup_or_null(manager);
    o->key_multi_region = multi;
    /* The key policy: only the key's own account may read it; a failure is reported. */
    get_key_policy(tr, arn);
}

static void get_key_policy(struct target_run *tr, const char *key)
{
    struct lc_target_obs *o = tr->obs;
    struct lc_error err;
    char region[64];
    cJSON *in = cJSON_CreateObject();

    lc_arn_region(key, region_of(tr), region, sizeof(region));
    cJSON_AddStringToObject(in, "KeyId", key);
    cJSON_AddStringToObject(in, "PolicyName", "default");
    lc_error_clear(&err);
    if (lc_aws_json_call(tr->aws, tr->creds, "kms", region, "GetKeyPolicy", in, on_key_policy, tr,
                         &err) != 0) {
        o->key_policy_err = err;
        target_step_done(tr);
    }
    cJSON_Delete(in);
}

static void describe_key(struct target_run *tr)
{
    struct lc_target_obs *o = tr->obs;
    struct lc_error err;
    char region[64];

    if (!o->key_asked) {
        target_step_done(tr);
        return;
    }
    cJSON *in = cJSON_CreateObject();
    lc_arn_region(o->key_asked, region_of(tr), region, sizeof(region));
    cJSON_AddStringToObject(in, "KeyId", o->key_asked);
    lc_error_clear(&err);
    if (lc_aws_json_call(tr->aws, tr->creds, "kms", region, "DescribeKey", in, on_key_described, tr,
                         &err) != 0) {
        o->key_err = err;
        if (tr->opts.try_all)
            get_key_policy(tr, o->key_asked);
        else
            target_step_done(tr);
    }
    cJSON_Delete(in);
}

static void on_encryption(void *ud, const struct lc_s3_encryption *enc,
                          const struct lc_aws_resp *resp)
{
    struct target_run *tr = ud;
    struct lc_target_obs *o = tr->obs;

    o->requests += resp->attempts;
    if (resp->err.kind != LC_OK) {
        o->enc_err = resp->err;
    } else {
        o->enc_read = true;
        o->enc_configured = enc->configured;
        o->enc_algorithm = dup_or_null(enc->algorithm);
        o->enc_kms_key_id = dup_or_null(enc->kms_key_id);
        o->enc_bucket_key = enc->bucket_key_enabled;
    }
    /* The key deliveries use: the one configured, else the bucket default's. */
    if (o->target->kms_key_arn)
        o->key_asked = strdup(o->target->kms_key_arn);
    else if (o->enc_kms_key_id)
        o->key_asked = strdup(o->enc_kms_key_id);
    describe_key(tr);
}

static void on_bucket_policy(void *ud, const char *policy, const struct lc_aws_resp *resp)
{
    struct target_run *tr = ud;
    struct lc_target_obs *o = tr->obs;

    o->requests += resp->attempts;
    if (resp->err.kind != LC_OK) {
        o->bucket_policy_err = resp->err;
    } else {
        o->bucket_policy_read = true;
        o->bucket_policy = dup_or_null(policy);
    }
    target_step_done(tr);
}

static void on_caller(void *ud, const struct lc_awsxml *doc, const struct lc_aws_resp *resp)
{
    struct target_run *tr = ud;
    const char *arn =
        doc ? lc_awsxml_get(doc, "GetCallerIdentityResponse/GetCallerIdentityResult/Arn") : NULL;
    tr->obs->requests += resp->attempts;
    if (arn)
        tr->obs->caller_arn = strdup(arn);
    else if (resp->err.kind != LC_OK)
        tr->obs->caller_err = resp->err;
    else
        lc_error_set(&tr->obs->caller_err, LC_E_PARSE, "GetCallerIdentity: no Arn in the answer");
    target_step_done(tr);
}

int lc_bucket_reads_start(struct lc_aws *aws, struct lc_credprov *creds,
                          const struct lc_target_cfg *t, const struct lc_bucket_opts *opts,
                          struct lc_target_obs *o, void (*done)(void *ud), void *ud)
{
    struct target_run *tr = calloc(1, sizeof(*tr));
    struct lc_error err;

    if (!tr)
        return LC_E_NOMEM;
    *tr = (struct target_run){.aws = aws,
                              .obs = o,
                              .creds = creds,
                              .opts = *opts,
                              .pending = 2, /* encryption -> key -> key policy; bucket policy */
                              .done = done,
                              .ud = ud};
    o->target = t;
    if (opts->caller)
        tr->pending++;
    lc_error_clear(&err);
    if (lc_s3_get_bucket_encryption(aws, creds, t->bucket, region_of(tr), on_encryption, tr,
                                    &err) != 0) {
        o->enc_err = err;
        target_step_done(tr);
    }
    lc_error_clear(&err);
    if (lc_s3_get_bucket_policy(aws, creds, t->bucket, region_of(tr), on_bucket_policy, tr, &err) !=
        0) {
        o->bucket_policy_err = err;
        target_step_done(tr);
    }
    if (opts->caller) {
        lc_error_clear(&err);
        if (lc_aws_query_call(aws, creds, "sts", region_of(tr), "GetCallerIdentity", NULL,
                              on_caller, tr, &err) != 0) {
            o->caller_err = err;
            target_step_done(tr);
        }
    }
    return 0;
}

void lc_target_obs_free(struct lc_target_obs *t)
{
    free(t->enc_algorithm);
    free(t->enc_kms_key_id);
    free(t->key_asked);
    free(t->key_arn);
    free(t->key_state);
    free(t->key_manager);
    free(t->key_policy);
    free(t->bucket_policy);
    free(t->caller_arn);
    memset(t, 0, sizeof(*t));
}
