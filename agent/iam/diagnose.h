/* Diagnosis of SSE-KMS log delivery: each delivering service is modelled as the concrete
 * requests it really makes (AWS delivery facts §2), evaluated against the key policy and the
 * bucket policy (policy.h), and every gap comes with the exact statements to add, filled with the
 * real account, region, key, trail, bucket and prefix, and checked by re-evaluation.
 *
 * Request values logcanary cannot know exactly are modelled as documented shapes, never guessed:
 *   - aws:SourceArn of delivery.logs is the prefix "arn:aws:logs:<region>:<account>:" (the
 *     delivery's own ARN is not visible; AWS documents ArnLike "arn:aws:logs:<r>:<a>:*"); for
 *     Config "arn:aws:config:<region>:<account>:"; for CloudTrail the trail ARN when given, else
 *     the prefix "arn:aws:cloudtrail:<region>:<account>:trail/";
 *   - S3 object ARNs are the prefix of the service's layout ("arn:aws:s3:::<bucket>/<prefix>/
 *     AWSLogs/<account>/vpcflowlogs/<region>/"), and so is kms:EncryptionContext:aws:s3:arn
 *     unless a Bucket Key is on (then it is exactly the bucket ARN);
 *   - keys a request does not list are unknown: a condition on them makes the result
 *     undetermined and names the key.
 * Requests marked advisory (Config's ListBucket existence check, CloudTrail's DescribeKey) are
 * reported but do not decide delivery: AWS delivers without them (facts §2.2; seeds/000). */
#ifndef LC_DIAGNOSE_H
#define LC_DIAGNOSE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "core/buf.h"
#include "core/error.h"
#include "iam/policy.h"

enum lc_diag_service {
    LC_DIAG_VPCFLOWLOGS,
    LC_DIAG_CONFIG,
    LC_DIAG_CLOUDTRAIL,
};

struct lc_diag_params {
    enum lc_diag_service service;
    const char *account;         /* the account whose logs are delivered (12 digits) */
    const char *region;          /* the delivering region (CloudTrail: the trail's home region) */
    const char *bucket;          /* destination bucket */
    const char *prefix;          /* optional key prefix, without leading or trailing '/' */
    const char *key_arn;         /* optional: the bucket's KMS key ARN */
    const char *trail_arn;       /* optional: CloudTrail trail ARN */
    const char *org_id;          /* optional: organization trail (o-...) */
    const char *config_role_arn; /* optional: Config recorder's IAM role (tried before the SPN) */
    const char *reader_role_arn; /* optional: logcanary's role reading the logs */
    bool bucket_key;             /* S3 Bucket Key enabled on the bucket */
    bool control_tower;          /* Control Tower statements/steps; also when the bucket is
                                  * aws-controltower-logs-<account>-<region> */
};

#define LC_DIAG_MAX_CTX 12

struct lc_diag_ctx {
    char name[96];
    enum lc_pol_value_state state;
    char value[512];
};

/* One concrete request a service makes. Requests with the same need are alternatives (Config
 * writes as its role and falls back to config.amazonaws.com): the best of them counts. */
struct lc_diag_request {
    enum lc_policy_kind target; /* the policy that decides it */
    char need[96];              /* "kms:GenerateDataKey", "s3:GetObject (reader)" */
    bool advisory;              /* reported, but delivery does not depend on it */
    enum lc_pol_principal_type principal_type;
    char principal[256];
    char action[64];
    char resource[512];
    bool resource_prefix;      /* resource is a known prefix of the real ARN */
    char resource_account[16]; /* "" when not known */
    struct lc_diag_ctx ctx[LC_DIAG_MAX_CTX];
    size_t n_ctx;
};

/* The request list for p. 0, LC_E_INVALID (message names the bad parameter), LC_E_NOMEM. */
int lc_diag_requests(const struct lc_diag_params *p, struct lc_diag_request **out, size_t *n,
                     struct lc_error *err);

/* Evaluate one modelled request against a policy. */
int lc_diag_evaluate(const struct lc_policy *pol, const struct lc_diag_request *rq,
                     struct lc_pol_result *res);

struct lc_diag_outcome {
    const struct lc_diag_request *req;
    struct lc_pol_result res;
};

/* The verdict on one policy. */
struct lc_diag_section {
    bool evaluated;              /* false: the policy was not given */
    enum lc_pol_verdict verdict; /* over the required needs */
    struct lc_pol_names missing_actions;
    struct lc_pol_names advisory_missing;
    struct lc_pol_names denied_by;
    struct lc_pol_names deny_blocked; /* needs an Allow grants but an explicit Deny blocks */
    struct lc_pol_names open_needs;   /* needs not granted (gap or undetermined) */
    struct lc_pol_names undetermined;
    struct lc_pol_names notes;
    cJSON *statements; /* statements to add (array, maybe empty) */
    bool verified;     /* re-evaluated with them added: every gap closed */
    struct lc_diag_outcome *outcomes;
    size_t n_outcomes;
};

struct lc_diag_report {
    enum lc_diag_service service;
    enum lc_pol_verdict verdict; /* worst of the evaluated sections */
    bool control_tower;
    struct lc_diag_section key;
    struct lc_diag_section bucket;
    struct lc_pol_names steps_after;
    struct lc_pol_names assumptions;
    struct lc_diag_request *requests;
    size_t n_requests;
};

/* Evaluate the service's requests against key_policy and bucket_policy (either may be NULL: not
 * checked). 0, LC_E_INVALID (bad parameters), LC_E_NOMEM. Free with lc_diag_report_free. */
int lc_diagnose(const struct lc_diag_params *p, const struct lc_policy *key_policy,
                const struct lc_policy *bucket_policy, struct lc_diag_report *out,
                struct lc_error *err);
void lc_diag_report_free(struct lc_diag_report *r);

/* The statements that close the gaps of one policy (a new array; NULL on allocation failure).
 * Statements cover the needs not granted, except where an explicit Deny blocks an Allow. */
cJSON *lc_diag_remediation(const struct lc_diag_params *p, enum lc_policy_kind target,
                           const struct lc_diag_section *sec);

/* {"service", "granted": true|false|null, "key_policy": {...}, "bucket_policy": {...}|null,
 *  "steps_after": [...], "assumptions": [...]}. NULL on allocation failure. */
cJSON *lc_diag_report_json(const struct lc_diag_report *r);
/* The human-readable report: verdicts, what is missing, the statements ready to paste. */
int lc_diag_report_text(const struct lc_diag_report *r, const struct lc_diag_params *p,
                        struct lc_buf *out);

/* cJSON as logcanary prints it for people: 4-space indents, short lists on one line, '\n'. */
int lc_diag_json_pretty(const cJSON *j, struct lc_buf *out);

int lc_diag_service_parse(const char *s, enum lc_diag_service *out);
const char *lc_diag_service_name(enum lc_diag_service s);

#endif
