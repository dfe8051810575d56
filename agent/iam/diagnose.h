/* Diagnosis of SSE-KMS log delivery: each delivering service is modelled as the concrete
 * requests it really makes, evaluated against the key policy and the bucket policy (policy.h),
 * and every gap comes with the exact statements to add, filled with the real account, region,
 * key, bucket and prefix, and checked by re-evaluation.
 *
 * The models are the log sources' (struct lc_diag_model, declared by each probe): which
 * principals deliver, the requests they make with their encryption context and conditions, the
 * statements that grant them, and what to do after the edit. This file is the engine and the
 * vocabulary the models are written in.
 *
 * Request values logcanary cannot know exactly are modelled as documented shapes, never guessed:
 *   - a service's aws:SourceArn it does not show (a delivery's own ARN) is the documented
 *     prefix, such as "arn:aws:logs:<region>:<account>:";
 *   - S3 object ARNs are the prefix of the service's layout ("arn:aws:s3:::<bucket>/<prefix>/
 *     AWSLogs/<account>/..."), and so is kms:EncryptionContext:aws:s3:arn unless a Bucket Key is
 *     on (then it is exactly the bucket ARN);
 *   - keys a request does not list are unknown: a condition on them makes the result
 *     undetermined and names the key.
 * Requests marked advisory (an existence check, a setup-time DescribeKey) are reported but do
 * not decide delivery: the services deliver without them. */
#ifndef LC_DIAGNOSE_H
#define LC_DIAGNOSE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "core/buf.h"
#include "core/error.h"
#include "iam/policy.h"

struct lc_diag_model;

#define LC_DIAG_MAX_EXTRA 4

struct lc_diag_params {
    const char *service;               /* the log source's name, for reports */
    const struct lc_diag_model *model; /* its requests (required) */
    const char *account;               /* the account whose logs are delivered (12 digits) */
    const char *region;                /* the delivering region (or the service's home one) */
    const char *bucket;                /* destination bucket */
    const char *prefix;                /* optional key prefix, without leading or trailing '/' */
    const char *key_arn;               /* optional: the bucket's KMS key ARN */
    const char *reader_role_arn;       /* optional: logcanary's role reading the logs */
    bool bucket_key;                   /* S3 Bucket Key enabled on the bucket */
    bool control_tower;                /* Control Tower statements/steps; also when the bucket
                                        * is aws-controltower-logs-<account>-<region> */
    /* The model's own parameters (its params[] by name), such as the ARN of what delivers. */
    struct {
        const char *name;
        const char *value;
    } extra[LC_DIAG_MAX_EXTRA];
};

#define LC_DIAG_MAX_CTX 12

struct lc_diag_ctx {
    char name[96];
    enum lc_pol_value_state state;
    char value[512];
};

/* One concrete request a service makes. Requests with the same need are alternatives (a service
 * that writes as a role and falls back to its service principal): the best of them counts. */
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
    const char *service;
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

/* ---- the models' vocabulary --------------------------------------------------------------- */

/* What the engine derives from the parameters, for every model. */
struct lc_diag_facts {
    bool ct;              /* Control Tower */
    char key_account[16]; /* the key's account: from the key ARN, else (not Control Tower) the
                           * source account; "" when unknown */
    char bucket_account[16];
    char key_res[512]; /* key ARN, or the prefix arn:aws:kms:<region>:<account>:key/ */
    bool key_res_prefix;
    char base[384];         /* "<bucket>/<prefix>/" or "<bucket>/" */
    char bucket_arn[128];   /* "arn:aws:s3:::<bucket>" */
    char obj_prefix[640];   /* ARN prefix of the objects the service writes (the model's) */
    char put_resource[640]; /* the bucket-policy Resource its documentation uses (the model's) */
};

/* A parameter of a model beyond the common ones (policy check's --<flag>). */
struct lc_diag_param {
    const char *name;  /* "<thing>_arn" */
    const char *flag;  /* "<thing>-arn" */
    const char *value; /* the argument's name in the usage: "ARN" */
    const char *help;  /* NULL: none */
    /* 0, or LC_E_INVALID with err set (naming --<flag>) */
    int (*check)(const char *v, struct lc_error *err);
};

/* The request list a model adds to. */
struct lc_diag_reqs {
    struct lc_diag_request *v;
    size_t n, cap; /* count and capacity (core/array.h) */
    int nomem;
};

/* A log source's delivery, as the requests its service makes. */
struct lc_diag_model {
    const char *title; /* the service's name for people */
    const struct lc_diag_param *params;
    size_t n_params;
    bool needs_key_arn; /* delivery fails when the bucket's default encryption names the key by
                         * id instead of ARN */
    /* The objects it writes: obj_prefix (an ARN prefix) and put_resource into f. */
    void (*paths)(const struct lc_diag_params *p, struct lc_diag_facts *f);
    /* Its requests (lc_diag_req and the ctx helpers below). */
    void (*requests)(struct lc_diag_reqs *l, const struct lc_diag_params *p,
                     const struct lc_diag_facts *f);
    /* The statements that grant what sec left open, into out (one array per policy). */
    void (*key_statements)(const struct lc_diag_params *p, const struct lc_diag_facts *f,
                           const struct lc_diag_section *sec, cJSON *out);
    void (*bucket_statements)(const struct lc_diag_params *p, const struct lc_diag_facts *f,
                              const struct lc_diag_section *sec, cJSON *out);
    /* What to do after the edit (only when something was not granted), and what was assumed
     * about values that cannot be known. 0 or LC_E_NOMEM. */
    int (*steps_after)(const struct lc_diag_params *p, const struct lc_diag_facts *f,
                       struct lc_pol_names *out);
    int (*assumptions)(const struct lc_diag_params *p, const struct lc_diag_facts *f,
                       struct lc_pol_names *out);
};

/* A model's own parameter by name, NULL when not given. */
const char *lc_diag_param(const struct lc_diag_params *p, const char *name);

/* Requests: a new one (NULL when out of memory: l->nomem is set), its resource, its context. */
struct lc_diag_request *lc_diag_req(struct lc_diag_reqs *l, enum lc_policy_kind target,
                                    const char *need, enum lc_pol_principal_type pt,
                                    const char *principal, const char *action);
void lc_diag_req_resource(struct lc_diag_request *r, const char *res, bool prefix,
                          const char *account);
void lc_diag_ctx(struct lc_diag_request *r, const char *name, enum lc_pol_value_state st,
                 const char *value);
/* The SSE-KMS encryption context S3 sends (object ARN, or bucket ARN with a Bucket Key), and
 * kms:ViaService when S3 calls KMS (via_s3) rather than the service itself. */
void lc_diag_ctx_s3(struct lc_diag_request *r, const struct lc_diag_params *p,
                    const struct lc_diag_facts *f, bool via_s3);
/* A service principal's aws:SourceAccount and aws:SourceArn (a prefix when arn_prefix). */
void lc_diag_ctx_source(struct lc_diag_request *r, const char *account, const char *arn,
                        bool arn_prefix);
/* An IAM role's kms:CallerAccount; no aws:SourceAccount / aws:SourceArn. */
void lc_diag_ctx_iam(struct lc_diag_request *r, const char *role);

/* Statements: an Allow for a service principal; condition operators merged into cond (created
 * on first use); an Action array (a single action is written as a string). */
cJSON *lc_diag_statement(const char *sid, const char *service, cJSON *actions, const char *resource,
                         cJSON *condition);
cJSON *lc_diag_cond(cJSON *cond, const char *op, const char *key, const char *value);
cJSON *lc_diag_actions(const char *const *v, size_t n);
/* Some of needs is left open by sec (NULL: not evaluated) and not blocked by a Deny. */
bool lc_diag_open(const struct lc_diag_section *sec, const char *const *needs, size_t n);
/* Append st to arr (st may be NULL). */
void lc_diag_add(cJSON *arr, cJSON *st);

/* A value for a --<flag> parameter: an ARN of service (with resource starting with kind when
 * given). 0 or LC_E_INVALID naming the flag and the expected shape. */
int lc_diag_check_arn(const char *v, const char *service, const char *kind, const char *flag,
                      const char *shape, struct lc_error *err);

#endif
