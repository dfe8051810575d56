/* Credentials: where they come from, cached and refreshed before they expire.
 *
 * The default chain follows aws-cli's order: environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), then the profile (AWS_PROFILE or "default") from
 * the shared config/credentials files (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE): role_arn
 * with source_profile or credential_source (AssumeRole, with external_id), web identity
 * (web_identity_token_file, or AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN), static keys; then
 * ECS/EKS container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI with
 * AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]); then EC2 IMDSv2 (token flow; IMDSv1 fallback only
 * when allowed). Secrets are never logged; lc_creds_clear wipes them.
 *
 * The constructors below build providers; they are used through aws/credprov.h (get, cancel,
 * invalidate, source, free), which is all the AWS client knows of them.
 *
 * The parts, one job each: ini.c reads the shared files; plan.c resolves the default chain
 * into a plan without network calls; chain.c turns the plan into providers; cache.c caches,
 * refreshes and coalesces for every provider; sts.c (AssumeRole, web identity) and metadata.c
 * (container, IMDS) fetch; util.c holds what they share. */
#ifndef LC_CREDS_H
#define LC_CREDS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"
#include "aws/credprov.h"
#include "aws/sigv4.h"

struct lc_aws;

struct lc_credprov_opts {
    const char *profile;        /* NULL = AWS_PROFILE or "default" */
    bool imds_v1_fallback;      /* allow IMDSv1 when the token PUT fails (default off) */
    const char *imds_endpoint;  /* NULL = AWS_EC2_METADATA_SERVICE_ENDPOINT or 169.254.169.254 */
    const char *container_host; /* NULL = http://169.254.170.2 (tests point it at a fixture) */
    long refresh_margin_s;      /* refresh this long before expiry (0 = 300) */
};

/* The default chain. Resolution happens lazily on the first get. */
struct lc_credprov *lc_credprov_default(struct lc_aws *aws, const struct lc_credprov_opts *opts,
                                        struct lc_error *err);
/* AssumeRole on top of another provider (per-target role_arn / external_id). */
struct lc_credprov *lc_credprov_assume_role(struct lc_aws *aws, struct lc_credprov *source,
                                            const char *role_arn, const char *external_id,
                                            const char *session_name, const char *region,
                                            struct lc_error *err);
/* Fixed credentials (tests, config). */
struct lc_credprov *lc_credprov_static(struct lc_aws *aws, const struct lc_creds *creds,
                                       struct lc_error *err);

/* The region from AWS_REGION, AWS_DEFAULT_REGION, or the profile's `region` (profile NULL =
 * AWS_PROFILE, AWS_DEFAULT_PROFILE or "default"). Caller frees; NULL = none configured. */
char *lc_creds_default_region(const char *profile);
/* Describe, without network calls and without secrets, how the default chain resolves for
 * these options (one line per provider, sources indented under the role they sign for). */
int lc_creds_explain(const struct lc_credprov_opts *opts, struct lc_buf *out, struct lc_error *err);
/* Parse a container / IMDS credential document (AccessKeyId, SecretAccessKey, Token,
 * Expiration; a "Code" other than "Success" is an error). Caller clears *out. */
int lc_creds_from_json(const char *text, size_t len, struct lc_creds *out, struct lc_error *err);

#endif
