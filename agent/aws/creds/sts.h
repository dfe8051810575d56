/* Credentials from STS, cached (cache.h): AssumeRole, signed by another provider, and
 * AssumeRoleWithWebIdentity, unsigned, with the token read from its file on every refresh. */
#ifndef LC_CREDS_STS_H
#define LC_CREDS_STS_H

#include <stdbool.h>

#include "aws/credprov.h"
#include "core/error.h"

struct lc_aws;

struct lc_sts_role {
    const char *role_arn;
    const char *external_id;  /* AssumeRole: ExternalId; NULL = none */
    const char *session_name; /* NULL = "logcanary-<epoch seconds>" */
    const char *region;       /* the STS region; NULL = the client's */
    long duration;            /* DurationSeconds; 0 = STS default */
    const char *token_file;   /* set: AssumeRoleWithWebIdentity with this token */
};

/* A provider named source (logs, errors) for role. signer signs AssumeRole (NULL for web
 * identity); with own_signer the provider frees it when it goes, and this frees it when it
 * fails. */
struct lc_credprov *lc_credprov_sts(struct lc_aws *aws, const char *source, long margin,
                                    const struct lc_sts_role *role, struct lc_credprov *signer,
                                    bool own_signer, struct lc_error *err);

#endif
