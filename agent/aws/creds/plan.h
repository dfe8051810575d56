/* The default chain's first step, without any network call: read the environment and the
 * shared files and build a plan, a small tree such as "AssumeRole X signed with the static keys
 * of profile Y". lc_creds_explain prints it; chain.c turns it into providers.
 *
 * The order is aws-cli's: keys in the environment (unless the caller named a profile), then
 * the profile (role_arn with source_profile or credential_source, web identity, static keys),
 * then container credentials, then EC2 instance metadata. */
#ifndef LC_CREDS_PLAN_H
#define LC_CREDS_PLAN_H

#include <stdbool.h>

#include "aws/creds/creds.h"
#include "core/buf.h"
#include "core/error.h"

enum lc_credplan_kind {
    LC_PLAN_KEYS,
    LC_PLAN_ASSUME,
    LC_PLAN_WEBID,
    LC_PLAN_CONTAINER,
    LC_PLAN_IMDS
};

struct lc_credplan {
    enum lc_credplan_kind kind;
    char *source;         /* provider name: "environment", "profile x", "imds", ... */
    char *where;          /* where the settings were found (explain) */
    struct lc_creds keys; /* LC_PLAN_KEYS */
    char *role_arn;       /* LC_PLAN_ASSUME, LC_PLAN_WEBID */
    char *external_id;
    char *session_name;
    char *region;
    long duration;    /* 0 = STS default */
    char *token_file; /* LC_PLAN_WEBID */
    char *url;        /* LC_PLAN_CONTAINER; LC_PLAN_IMDS: the endpoint */
    char *auth_token; /* LC_PLAN_CONTAINER */
    char *auth_token_file;
    bool imds_v1;            /* LC_PLAN_IMDS */
    struct lc_credplan *src; /* LC_PLAN_ASSUME: what signs the AssumeRole call */
};

/* Resolve the default chain for opts (may be NULL). 0 with *out set (free with
 * lc_credplan_free), or LC_E_CREDENTIALS / LC_E_NOMEM with err saying why. */
int lc_credplan_resolve(const struct lc_credprov_opts *opts, struct lc_credplan **out,
                        struct lc_error *err);
void lc_credplan_free(struct lc_credplan *pl);
/* One line per provider, without secrets; sources indented under the role they sign for. */
void lc_credplan_explain(const struct lc_credplan *pl, struct lc_buf *out, int depth);

#endif
