/* What a target's bucket and key say, for the diagnosis and for preflight: the bucket's default
 * encryption, the KMS key deliveries use (DescribeKey, then its key policy), the bucket policy
 * and, when asked, who logcanary is (GetCallerIdentity). The reads run at once on the loop; a
 * read that failed leaves its error (authorization errors name the permission logcanary lacks).
 * The step observes; it judges nothing. */
#ifndef LC_BUCKET_H
#define LC_BUCKET_H

#include <stdbool.h>

#include "config/config.h"
#include "core/error.h"

struct lc_aws;
struct lc_credprov;

/* What logcanary learned about a target's bucket and key, for the diagnosis. A read that failed
 * leaves its error (authorization errors name the permission logcanary lacks). */
struct lc_target_obs {
    const struct lc_target_cfg *target;
    int requests;
    /* GET ?encryption */
    bool enc_read;
    struct lc_error enc_err;
    bool enc_configured;
    char *enc_algorithm;  /* AES256 | aws:kms | aws:kms:dsse */
    char *enc_kms_key_id; /* as configured: id, ARN or alias; NULL = aws/s3 */
    bool enc_bucket_key;
    /* KMS DescribeKey of the key deliveries should use (kms_key_arn, else the bucket default) */
    char *key_asked; /* what was asked for; NULL when there is no KMS key to look at */
    bool key_described;
    struct lc_error key_err;
    char *key_arn;
    char *key_state;   /* Enabled | Disabled | PendingDeletion | ... */
    char *key_manager; /* CUSTOMER | AWS */
    bool key_multi_region;
    /* KMS GetKeyPolicy */
    bool key_policy_read;
    struct lc_error key_policy_err;
    char *key_policy; /* the policy document (JSON text) */
    /* GET ?policy */
    bool bucket_policy_read;
    struct lc_error bucket_policy_err;
    char *bucket_policy; /* NULL when the bucket has none */
    /* STS GetCallerIdentity, when a read was denied by KMS: who logcanary is */
    struct lc_error caller_err;
    char *caller_arn;
};

struct lc_bucket_opts {
    bool caller;  /* also GetCallerIdentity (a read was denied by KMS: whom did it deny?) */
    bool try_all; /* every read even when an earlier one failed: the key policy of the key asked
                   * for after a failed DescribeKey (preflight tries each permission) */
};

/* Start the reads of target t with creds; done(ud) runs once from the loop. 0, or LC_E_NOMEM
 * (then done is not called). */
int lc_bucket_reads_start(struct lc_aws *aws, struct lc_credprov *creds,
                          const struct lc_target_cfg *t, const struct lc_bucket_opts *opts,
                          struct lc_target_obs *o, void (*done)(void *ud), void *ud);
void lc_target_obs_free(struct lc_target_obs *o);

#endif
