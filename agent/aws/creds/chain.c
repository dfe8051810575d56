/* The default chain as a provider: on the first get it resolves a plan (plan.c), builds the
 * providers the plan names, and from then on hands every call to them. A resolution that fails
 * is reported to the waiters from the loop and tried again on the next get. */
#include <stdlib.h>
#include <string.h>

#include "aws/creds/cache.h"
#include "aws/creds/creds.h"
#include "aws/creds/metadata.h"
#include "aws/creds/plan.h"
#include "aws/creds/sts.h"
#include "aws/creds/util.h"
#include "core/log.h"

struct chain {
    struct lc_credprov prov; /* vtable: chain_vtable; impl: this */
    struct lc_aws *aws;
    struct lc_credprov *resolved;   /* what the chain resolved to; NULL until then */
    struct lc_credprov *unresolved; /* a cache with nothing in it: reports failed resolutions */
    /* the options, copied */
    char *profile, *imds_endpoint, *container_host;
    bool imds_v1_fallback;
    long margin;
};

/* The providers for a plan: the signer of an AssumeRole first, owned by the role. */
static int build(struct lc_aws *aws, const struct lc_credplan *pl, long margin,
                 struct lc_credprov **out, struct lc_error *err)
{
    struct lc_sts_role role = {
        .role_arn = pl->role_arn,
        .external_id = pl->external_id,
        .session_name = pl->session_name,
        .region = pl->region,
        .duration = pl->duration,
        .token_file = pl->token_file,
    };
    struct lc_credprov *signer = NULL;
    struct lc_credprov *p = NULL;
    int rc = 0;

    switch (pl->kind) {
    case LC_PLAN_KEYS:
        p = lc_credcache_keys(aws, pl->source, margin, &pl->keys, err);
        break;
    case LC_PLAN_ASSUME:
        rc = build(aws, pl->src, margin, &signer, err);
        if (!rc)
            p = lc_credprov_sts(aws, pl->source, margin, &role, signer, true, err);
        break;
    case LC_PLAN_WEBID:
        p = lc_credprov_sts(aws, pl->source, margin, &role, NULL, false, err);
        break;
    case LC_PLAN_CONTAINER:
        p = lc_credprov_container(aws, pl->source, margin, pl->url, pl->auth_token,
                                  pl->auth_token_file, err);
        break;
    case LC_PLAN_IMDS:
        p = lc_credprov_imds(aws, pl->source, margin, pl->url, pl->imds_v1, err);
        break;
    }
    if (!rc && !p)
        rc = err->kind;
    *out = p;
    return rc;
}

static int chain_resolve(struct chain *ch, struct lc_error *err)
{
    struct lc_credprov_opts opts = {
        .profile = ch->profile,
        .imds_v1_fallback = ch->imds_v1_fallback,
        .imds_endpoint = ch->imds_endpoint,
        .container_host = ch->container_host,
        .refresh_margin_s = ch->margin,
    };
    struct lc_credplan *pl = NULL;
    struct lc_buf how = {0};
    int rc;

    rc = lc_credplan_resolve(&opts, &pl, err);
    if (rc)
        goto out;
    rc = build(ch->aws, pl, ch->margin, &ch->resolved, err);
    if (rc)
        goto out;
    lc_credplan_explain(pl, &how, 0);
    LC_INFO(LC_CREDS_COMP, "using credentials from %s", lc_credprov_source(ch->resolved));
    if (how.data)
        LC_DEBUG(LC_CREDS_COMP, "credential chain:\n%s", how.data);
out:
    lc_buf_free(&how);
    lc_credplan_free(pl);
    return rc;
}

static int chain_get(struct lc_credprov *p, lc_creds_cb cb, void *ud, struct lc_error *err)
{
    struct chain *ch = p->impl;

    if (!ch->resolved && !lc_credcache_failing(ch->unresolved)) {
        struct lc_error e;
        lc_error_clear(&e);
        if (chain_resolve(ch, &e) != 0)
            lc_credcache_fail(ch->unresolved, &e);
    }
    return lc_credprov_get(ch->resolved ? ch->resolved : ch->unresolved, cb, ud, err);
}

static const char *chain_source(const struct lc_credprov *p)
{
    const struct chain *ch = p->impl;
    return lc_credprov_source(ch->resolved ? ch->resolved : ch->unresolved);
}

static void chain_invalidate(struct lc_credprov *p)
{
    struct chain *ch = p->impl;
    lc_credprov_invalidate(ch->resolved);
}

static void chain_cancel(struct lc_credprov *p, lc_creds_cb cb, void *ud)
{
    struct chain *ch = p->impl;

    lc_credprov_cancel(ch->resolved, cb, ud);
    lc_credprov_cancel(ch->unresolved, cb, ud);
}

static void chain_free(struct lc_credprov *p)
{
    struct chain *ch = p->impl;

    lc_credprov_free(ch->unresolved);
    lc_credprov_free(ch->resolved);
    free(ch->profile);
    free(ch->imds_endpoint);
    free(ch->container_host);
    free(ch);
}

static const struct lc_credprov_vtable chain_vtable = {
    .get = chain_get,
    .cancel = chain_cancel,
    .invalidate = chain_invalidate,
    .source = chain_source,
    .free = chain_free,
};

struct lc_credprov *lc_credprov_default(struct lc_aws *aws, const struct lc_credprov_opts *opts,
                                        struct lc_error *err)
{
    struct chain *ch = calloc(1, sizeof(*ch));
    int rc = 0;

    if (!ch) {
        lc_creds_nomem(err);
        return NULL;
    }
    ch->prov.vtable = &chain_vtable;
    ch->prov.impl = ch;
    ch->aws = aws;
    ch->margin = opts ? opts->refresh_margin_s : 0;
    ch->unresolved =
        lc_credcache_new(aws, "default chain (unresolved)", ch->margin, NULL, NULL, err);
    if (!ch->unresolved)
        rc = err->kind;
    if (!rc && opts) {
        ch->imds_v1_fallback = opts->imds_v1_fallback;
        if (lc_creds_dup(&ch->profile, opts->profile) ||
            lc_creds_dup(&ch->imds_endpoint, opts->imds_endpoint) ||
            lc_creds_dup(&ch->container_host, opts->container_host))
            rc = lc_creds_nomem(err);
    }
    if (rc) {
        chain_free(&ch->prov);
        return NULL;
    }
    return &ch->prov;
}
