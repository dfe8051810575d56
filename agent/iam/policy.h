/* Offline evaluation of KMS key policies and S3 bucket policies with IAM semantics.
 *
 * A policy is parsed once (strictly: every type error names its JSON path) and then asked about
 * concrete requests: who (a service principal or an IAM role/user), which action, on which
 * resource, and the request context (condition keys and what is known of their values).
 *
 * The answer is three-valued and never a guess:
 *   LC_POL_GRANTED       an Allow applies and no Deny can apply;
 *   LC_POL_GAP           no Allow applies (implicit deny) or an explicit Deny applies;
 *   LC_POL_UNDETERMINED  the answer depends on something logcanary cannot see: a condition key
 *                        whose request value is unknown, or the caller's IAM policy (a key
 *                        policy's account-root statement, same-account S3 access). The result
 *                        names each such key or dependency.
 *
 * Rules implemented (IAM policy evaluation logic):
 *   - explicit Deny wins over any Allow; an Allow is needed;
 *   - Principal / NotPrincipal: "*", {"AWS": "*" | account id | account root | role/user ARN},
 *     {"Service": ...}, single values or lists; a role ARN also matches its assumed-role
 *     sessions; Deny naming an account applies to all of its principals;
 *   - the account-root statement delegates to IAM: it never grants a service principal, and for
 *     an IAM principal of that account the grant depends on its IAM policy (undetermined);
 *   - Action / NotAction: case-insensitive, "*" and "?" wildcards;
 *   - Resource / NotResource: case-sensitive wildcards, policy variables (Version 2012-10-17);
 *   - Condition: AND across operators and keys, OR across values; case-insensitive key names;
 *     String*, Arn*, Bool, Null, Numeric*, Date*, IpAddress/NotIpAddress, BinaryEquals,
 *     ...IfExists, ForAnyValue: / ForAllValues:; negated operators match an absent key;
 *     policy variables ${key}, ${key, 'default'}, ${*}, ${?}, ${$} in String and Arn values.
 * An unknown condition operator makes the statement undetermined (named), never a guess. */
#ifndef LC_POLICY_H
#define LC_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "core/error.h"

#define LC_POLICY_MAX_BYTES (64 * 1024) /* AWS: key policies 32 KiB, bucket policies 20 KiB */

enum lc_policy_kind {
    LC_POLICY_KEY,    /* KMS key policy: only the key policy (or root delegation) grants */
    LC_POLICY_BUCKET, /* S3 bucket policy: same-account IAM policies can grant on their own */
};

enum lc_pol_verdict {
    LC_POL_GAP = 0,
    LC_POL_UNDETERMINED = 1,
    LC_POL_GRANTED = 2,
};

enum lc_pol_principal_type {
    LC_PRINCIPAL_SERVICE, /* "<service>.amazonaws.com" */
    LC_PRINCIPAL_IAM,     /* a role or user ARN: "arn:aws:iam::111122223333:role/name" */
};

/* What is known about one request value. */
enum lc_pol_value_state {
    LC_VAL_EXACT,   /* the value is exactly s */
    LC_VAL_PREFIX,  /* the value starts with s, the rest (non-empty) is not known */
    LC_VAL_UNKNOWN, /* present, value not known */
    LC_VAL_ABSENT,  /* the key is not in the request context */
};

struct lc_pol_value {
    enum lc_pol_value_state state;
    const char *s;
};

/* A condition key in the request context. Keys a request does not list are unknown. */
struct lc_pol_ctxkey {
    const char *name; /* case-insensitive, e.g. "aws:SourceAccount" */
    struct lc_pol_value value;
};

struct lc_pol_request {
    enum lc_pol_principal_type principal_type;
    const char *principal;         /* service name or IAM ARN */
    const char *principal_account; /* IAM principals: the account id (derived if NULL) */
    const char *resource_account;  /* owner of the key or bucket; NULL = unknown */
    const char *action;            /* the API action really called: "kms:GenerateDataKey" */
    struct lc_pol_value resource;  /* EXACT or PREFIX */
    const struct lc_pol_ctxkey *ctx;
    size_t n_ctx;
};

/* A small set of unique strings. */
struct lc_pol_names {
    char **items;
    size_t n;
    size_t cap;
};

int lc_pol_names_add(struct lc_pol_names *l, const char *s);
int lc_pol_names_addf(struct lc_pol_names *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
bool lc_pol_names_has(const struct lc_pol_names *l, const char *s);
void lc_pol_names_free(struct lc_pol_names *l);

struct lc_pol_result {
    enum lc_pol_verdict verdict;
    bool explicit_deny;
    struct lc_pol_names denied_by;    /* Sid or "Statement[N]" of Deny statements that apply */
    struct lc_pol_names allowed_by;   /* Allow statements that grant */
    struct lc_pol_names undetermined; /* condition keys with unknown values, "IAM policy of X" */
    struct lc_pol_names notes;        /* why statements did not apply, in words */
};

void lc_pol_result_free(struct lc_pol_result *r);

struct lc_policy; /* opaque */

/* Parse a policy document of at most LC_POLICY_MAX_BYTES. Also accepts the GetKeyPolicy /
 * GetBucketPolicy response shape {"Policy": "<policy JSON as a string>"}. Errors are
 * LC_E_TOO_LARGE, LC_E_PARSE with the JSON path ("Statement[2].Condition.StringEquals: expected
 * an object"), LC_E_NOMEM. */
int lc_policy_parse(const char *text, size_t len, enum lc_policy_kind kind, struct lc_policy **out,
                    struct lc_error *err);
void lc_policy_free(struct lc_policy *p);
size_t lc_policy_statement_count(const struct lc_policy *p);
enum lc_policy_kind lc_policy_kind_of(const struct lc_policy *p);

/* A new policy: p with the statements (a cJSON array) appended, e.g. to check a remediation. */
int lc_policy_with_statements(const struct lc_policy *p, const cJSON *statements,
                              struct lc_policy **out, struct lc_error *err);
/* The policy document (unwrapped from {"Policy": ...}), pretty-printed; free() it. */
char *lc_policy_to_json(const struct lc_policy *p);

/* Evaluate one request. res must be zeroed (or freed) before; free it with lc_pol_result_free.
 * 0 or LC_E_NOMEM. */
int lc_policy_evaluate(const struct lc_policy *p, const struct lc_pol_request *req,
                       struct lc_pol_result *res);

const char *lc_pol_verdict_name(enum lc_pol_verdict v); /* "granted", "gap", "undetermined" */

/* Glob match with "*" and "?" over the whole string (exposed for tests). */
bool lc_pol_glob(const char *pattern, const char *s, bool icase);

#endif
