/* STS: AssumeRole and AssumeRoleWithWebIdentity as cache sources. See sts.h. */
#include "aws/creds/sts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/aws.h"
#include "aws/awscall.h"
#include "aws/awsxml.h"
#include "aws/creds/cache.h"
#include "aws/creds/creds.h"
#include "aws/creds/util.h"
#include "core/timeutil.h"

struct sts {
    struct lc_aws *aws;
    struct lc_credprov *signer; /* AssumeRole: signs the call */
    bool own_signer;
    bool webid; /* AssumeRoleWithWebIdentity */
    char *role_arn, *external_id, *session_name, *region, *token_file;
    long duration;
};

struct sts_fetch {
    struct lc_credfetch head;
    const struct sts *s;
};

static const char *sts_action(const struct sts *s)
{
    return s->webid ? "AssumeRoleWithWebIdentity" : "AssumeRole";
}

static int sts_parse(const struct sts *s, const struct lc_awsxml *doc, struct lc_creds *out,
                     struct lc_error *err)
{
    const char *action = sts_action(s);
    const char *names[4] = {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"};
    const char *vals[4];
    char path[160];
    struct lc_creds c = {0};

    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof(path), "%sResponse/%sResult/Credentials/%s", action, action,
                 names[i]);
        vals[i] = lc_awsxml_get(doc, path);
        if (!vals[i] || !*vals[i])
            return lc_creds_fail(err, LC_E_PARSE, "%s response lacks Credentials/%s", action,
                                 names[i]);
    }
    if (lc_time_parse_iso8601(vals[3], &c.expiration) != 0)
        return lc_creds_fail(err, LC_E_PARSE, "%s response: Expiration is not an ISO-8601 time",
                             action);
    c.access_key_id = (char *)vals[0];
    c.secret_access_key = (char *)vals[1];
    c.session_token = (char *)vals[2];
    return lc_creds_copy(out, &c) ? lc_creds_nomem(err) : 0;
}

static void on_sts(void *ud, const struct lc_awsxml *doc, const struct lc_aws_resp *resp)
{
    struct sts_fetch *f = ud;
    struct lc_creds c = {0};
    struct lc_error e;
    char prefix[300];

    if (!f->head.cache) {
        free(f);
        return;
    }
    lc_error_clear(&e);
    snprintf(prefix, sizeof(prefix), "%s %s", sts_action(f->s), f->s->role_arn);
    if (!doc) {
        e = resp->err;
        if (e.kind == LC_OK)
            lc_error_set(&e, LC_E_AWS, "no response document");
        lc_creds_err_prefix(&e, prefix);
        lc_credcache_done(&f->head, NULL, &e);
    } else if (sts_parse(f->s, doc, &c, &e) != 0) {
        lc_strlcpy(e.service, "sts", sizeof(e.service));
        lc_creds_err_prefix(&e, prefix);
        lc_credcache_done(&f->head, NULL, &e);
    } else {
        lc_credcache_done(&f->head, &c, NULL);
    }
    lc_creds_clear(&c);
    free(f);
}

static int sts_start(void *data, struct lc_credfetch **out, struct lc_error *err)
{
    const struct sts *s = data;
    struct lc_kvlist params = {0};
    struct sts_fetch *f = NULL;
    char session[64], dur[24];
    char *token = NULL;
    int rc = 0;

    if (s->webid)
        rc = lc_creds_read_token(s->token_file, "web identity token file", &token, err);
    if (rc)
        goto out;
    if (s->session_name)
        lc_strlcpy(session, s->session_name, sizeof(session));
    else
        snprintf(session, sizeof(session), "logcanary-%lld", (long long)lc_aws_now(s->aws));
    snprintf(dur, sizeof(dur), "%ld", s->duration);
    f = calloc(1, sizeof(*f));
    if (!f)
        rc = LC_E_NOMEM;
    if (!rc)
        rc = lc_kv_add(&params, "RoleArn", s->role_arn);
    if (!rc)
        rc = lc_kv_add(&params, "RoleSessionName", session);
    if (!rc && s->external_id)
        rc = lc_kv_add(&params, "ExternalId", s->external_id);
    if (!rc && s->duration)
        rc = lc_kv_add(&params, "DurationSeconds", dur);
    if (!rc && token)
        rc = lc_kv_add(&params, "WebIdentityToken", token);
    if (rc) {
        rc = lc_creds_nomem(err);
        goto out;
    }
    f->s = s;
    /* Web identity is unsigned; AssumeRole is signed by the source provider. */
    rc = lc_aws_query_call(s->aws, s->webid ? NULL : s->signer, "sts", s->region, sts_action(s),
                           &params, on_sts, f, err);
    if (!rc) {
        *out = &f->head;
        f = NULL;
    }
out:
    free(f);
    lc_creds_kv_wipe_free(&params);
    lc_creds_free_secret(token);
    return rc;
}

static void sts_free(void *data)
{
    struct sts *s = data;

    if (s->own_signer)
        lc_credprov_free(s->signer);
    free(s->role_arn);
    free(s->external_id);
    free(s->session_name);
    free(s->region);
    free(s->token_file);
    free(s);
}

static const struct lc_credsrc sts_src = {
    .start = sts_start,
    .free = sts_free,
};

struct lc_credprov *lc_credprov_sts(struct lc_aws *aws, const char *source, long margin,
                                    const struct lc_sts_role *role, struct lc_credprov *signer,
                                    bool own_signer, struct lc_error *err)
{
    struct sts *s = calloc(1, sizeof(*s));

    if (!s) {
        if (own_signer)
            lc_credprov_free(signer);
        lc_creds_nomem(err);
        return NULL;
    }
    s->aws = aws;
    s->signer = signer;
    s->own_signer = own_signer;
    s->webid = role->token_file != NULL;
    s->duration = role->duration;
    if (lc_creds_dup(&s->role_arn, role->role_arn) ||
        lc_creds_dup(&s->external_id, role->external_id) ||
        lc_creds_dup(&s->session_name, role->session_name) ||
        lc_creds_dup(&s->region, role->region) || lc_creds_dup(&s->token_file, role->token_file)) {
        sts_free(s);
        lc_creds_nomem(err);
        return NULL;
    }
    return lc_credcache_new(aws, source, margin, &sts_src, s, err);
}

struct lc_credprov *lc_credprov_assume_role(struct lc_aws *aws, struct lc_credprov *source,
                                            const char *role_arn, const char *external_id,
                                            const char *session_name, const char *region,
                                            struct lc_error *err)
{
    struct lc_sts_role role = {
        .role_arn = role_arn,
        .external_id = external_id && *external_id ? external_id : NULL,
        .session_name = session_name && *session_name ? session_name : NULL,
        .region = region && *region ? region : NULL,
    };
    char name[300];

    if (!source || !role_arn || !*role_arn) {
        lc_creds_fail(err, LC_E_INVALID,
                      "assume role: a source provider and a role ARN are required");
        return NULL;
    }
    snprintf(name, sizeof(name), "assume-role %s", role_arn);
    return lc_credprov_sts(aws, name, 0, &role, source, false, err);
}
