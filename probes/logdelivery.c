/* The delivery.logs family: the services that write to S3 through the log delivery service
 * (VPC Flow Logs, WAF, Network Firewall, Route 53 Resolver query logs, NLB access logs, ...) all
 * make the same requests of the key and the bucket as delivery.logs.amazonaws.com, with
 * aws:SourceArn in arn:aws:logs:<region>:<account>:*; only the folder under AWSLogs/<account>/
 * differs, which each probe's paths() fills in (probes/FACTS.md: "The delivery.logs family"). */
#include <stdio.h>

#include "iam/diagnose.h"
#include "probes/probe_util.h"

#define SPN "delivery.logs.amazonaws.com"

void lc_logdelivery_paths(const struct lc_diag_params *p, struct lc_diag_facts *f,
                          const char *folder)
{
    snprintf(f->obj_prefix, sizeof(f->obj_prefix), "arn:aws:s3:::%sAWSLogs/%s/%s/%s/", f->base,
             p->account, folder, p->region);
    snprintf(f->put_resource, sizeof(f->put_resource), "arn:aws:s3:::%sAWSLogs/%s/*", f->base,
             p->account);
}

/* delivery.logs.amazonaws.com: S3 PutObject with bucket-owner-full-control and GetBucketAcl; S3
 * calls kms:GenerateDataKey with the service's source context. */
void lc_logdelivery_requests(struct lc_diag_reqs *l, const struct lc_diag_params *p,
                             const struct lc_diag_facts *f)
{
    char src_arn[128];
    struct lc_diag_request *r;

    snprintf(src_arn, sizeof(src_arn), "arn:aws:logs:%s:%s:", p->region, p->account);
    r = lc_diag_req(l, LC_POLICY_KEY, "kms:GenerateDataKey", LC_PRINCIPAL_SERVICE, SPN,
                    "kms:GenerateDataKey");
    if (!r)
        return;
    lc_diag_req_resource(r, f->key_res, f->key_res_prefix, f->key_account);
    lc_diag_ctx_source(r, p->account, src_arn, true);
    lc_diag_ctx_s3(r, p, f, true);
    lc_diag_ctx(r, "aws:SecureTransport", LC_VAL_EXACT, "true");

    r = lc_diag_req(l, LC_POLICY_BUCKET, "s3:PutObject", LC_PRINCIPAL_SERVICE, SPN, "s3:PutObject");
    if (!r)
        return;
    lc_diag_req_resource(r, f->obj_prefix, true, f->bucket_account);
    lc_diag_ctx_source(r, p->account, src_arn, true);
    lc_diag_ctx(r, "s3:x-amz-acl", LC_VAL_EXACT, "bucket-owner-full-control");
    lc_diag_ctx(r, "aws:SecureTransport", LC_VAL_EXACT, "true");

    r = lc_diag_req(l, LC_POLICY_BUCKET, "s3:GetBucketAcl", LC_PRINCIPAL_SERVICE, SPN,
                    "s3:GetBucketAcl");
    if (!r)
        return;
    lc_diag_req_resource(r, f->bucket_arn, false, f->bucket_account);
    lc_diag_ctx_source(r, p->account, src_arn, true);
    lc_diag_ctx(r, "aws:SecureTransport", LC_VAL_EXACT, "true");
}

void lc_logdelivery_key_statements(const struct lc_diag_params *p, const struct lc_diag_facts *f,
                                   const struct lc_diag_section *sec, cJSON *out)
{
    static const char *const needs[] = {"kms:GenerateDataKey"};
    static const char *const acts[] = {"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*",
                                       "kms:GenerateDataKey*", "kms:DescribeKey"};
    char v[640];
    cJSON *c;

    (void)f;
    if (!lc_diag_open(sec, needs, 1))
        return;
    c = lc_diag_cond(NULL, "StringEquals", "aws:SourceAccount", p->account);
    snprintf(v, sizeof(v), "arn:aws:logs:%s:%s:*", p->region, p->account);
    c = lc_diag_cond(c, "ArnLike", "aws:SourceArn", v);
    lc_diag_add(out, lc_diag_statement("Allow Logs Delivery to use the key", SPN,
                                       lc_diag_actions(acts, 5), "*", c));
}

void lc_logdelivery_bucket_statements(const struct lc_diag_params *p, const struct lc_diag_facts *f,
                                      const struct lc_diag_section *sec, cJSON *out)
{
    static const char *const put[] = {"s3:PutObject"};
    static const char *const acl[] = {"s3:GetBucketAcl"};
    char v[640];
    cJSON *c;

    snprintf(v, sizeof(v), "arn:aws:logs:%s:%s:*", p->region, p->account);
    if (lc_diag_open(sec, put, 1)) {
        c = lc_diag_cond(NULL, "StringEquals", "s3:x-amz-acl", "bucket-owner-full-control");
        c = lc_diag_cond(c, "StringEquals", "aws:SourceAccount", p->account);
        c = lc_diag_cond(c, "ArnLike", "aws:SourceArn", v);
        lc_diag_add(out, lc_diag_statement("AWSLogDeliveryWrite", SPN, lc_diag_actions(put, 1),
                                           f->put_resource, c));
    }
    if (lc_diag_open(sec, acl, 1)) {
        c = lc_diag_cond(NULL, "StringEquals", "aws:SourceAccount", p->account);
        c = lc_diag_cond(c, "ArnLike", "aws:SourceArn", v);
        lc_diag_add(out, lc_diag_statement("AWSLogDeliveryAclCheck", SPN, lc_diag_actions(acl, 1),
                                           f->bucket_arn, c));
    }
}

int lc_logdelivery_assumptions(const struct lc_diag_params *p, const struct lc_diag_facts *f,
                               struct lc_pol_names *a)
{
    (void)f;
    return lc_pol_names_addf(a,
                             "aws:SourceArn of delivery.logs is modelled as "
                             "arn:aws:logs:%s:%s:<unknown> (AWS documents ArnLike "
                             "arn:aws:logs:<region>:<account>:*)",
                             p->region, p->account);
}
