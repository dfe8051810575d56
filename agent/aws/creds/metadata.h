/* Credentials from the metadata endpoints, cached (cache.h): ECS / EKS container credentials
 * (GET on a URL, with an Authorization token read from its file on every refresh) and EC2
 * instance metadata (the IMDSv2 token flow: PUT a session token, GET the role name, GET the
 * role's credentials; IMDSv1 only when allowed and the token request fails). Short timeouts:
 * these endpoints are local, and off EC2 there is nothing to wait for. */
#ifndef LC_CREDS_METADATA_H
#define LC_CREDS_METADATA_H

#include <stdbool.h>

#include "aws/credprov.h"
#include "core/error.h"

struct lc_aws;

/* url: the full credentials URL. The Authorization header comes from auth_token_file when set,
 * else auth_token (both may be NULL: no header). */
struct lc_credprov *lc_credprov_container(struct lc_aws *aws, const char *source, long margin,
                                          const char *url, const char *auth_token,
                                          const char *auth_token_file, struct lc_error *err);
/* url: the endpoint, without a trailing slash ("http://169.254.169.254"). */
struct lc_credprov *lc_credprov_imds(struct lc_aws *aws, const char *source, long margin,
                                     const char *url, bool v1_fallback, struct lc_error *err);

#endif
