/* Credentials: where they come from, cached and refreshed before they expire.
 *
 * The default chain follows aws-cli's order: environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), then the profile (AWS_PROFILE or "default") from
 * the shared config/credentials files (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE): role_arn
 * with source_profile or credential_source (AssumeRole, with external_id), web identity
 * (web_identity_token_file, or AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN), static keys; then
 * ECS/EKS container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI with
 * AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]); then EC2 IMDSv2 (token flow; IMDSv1 fallback only
 * when allowed). Secrets are never logged; lc_creds_clear wipes them. */
#ifndef LC_CREDS_H
#define LC_CREDS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"
#include "aws/sigv4.h"

struct lc_aws;
struct lc_credprov;

/* Called exactly once per lc_credprov_get, always from the event loop (never inside
 * lc_credprov_get). On failure creds is NULL and err says why (kind LC_E_CREDENTIALS, or the
 * underlying AWS/transport error). The creds are valid only during the callback. */
typedef void (*lc_creds_cb)(void *ud, const struct lc_creds *creds, const struct lc_error *err);

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

int lc_credprov_get(struct lc_credprov *p, lc_creds_cb cb, void *ud, struct lc_error *err);
/* Where the current credentials came from ("environment", "profile default", "imds", ...). */
const char *lc_credprov_source(const struct lc_credprov *p);
/* Forget pending gets made with this cb and ud: their callback will not run. For a waiter that
 * goes away first (an AWS call freed while it waited for credentials). */
void lc_credprov_cancel(struct lc_credprov *p, lc_creds_cb cb, void *ud);
/* Drops cached credentials (e.g. after ExpiredToken) so the next get refreshes. */
void lc_credprov_invalidate(struct lc_credprov *p);
/* Gets still pending hear LC_E_CANCELLED (from here). Safe inside a callback of the provider.
 * Free providers before the AWS client; a source after the roles assumed on top of it. */
void lc_credprov_free(struct lc_credprov *p);

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
