/* The default chain, resolved without network calls into a plan. See plan.h for the order. */
#include "aws/creds/plan.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/creds/ini.h"
#include "aws/creds/util.h"
#include "core/log.h"
#include "core/timeutil.h"

#define CHAIN_MAX  16 /* source_profile hops */
#define ECS_HOST   "http://169.254.170.2"
#define IMDS_HOST  "http://169.254.169.254"
#define IMDS_HOST6 "http://[fd00:ec2::254]"

static const char *profile_name(const struct lc_credprov_opts *opts, bool *explicit)
{
    const char *name = opts && opts->profile && *opts->profile ? opts->profile : NULL;

    if (!name)
        name = lc_creds_env("AWS_PROFILE");
    if (!name)
        name = lc_creds_env("AWS_DEFAULT_PROFILE");
    *explicit = name != NULL;
    return name ? name : "default";
}

void lc_credplan_free(struct lc_credplan *pl)
{
    if (!pl)
        return;
    lc_credplan_free(pl->src);
    lc_creds_clear(&pl->keys);
    free(pl->source);
    free(pl->where);
    free(pl->role_arn);
    free(pl->external_id);
    free(pl->session_name);
    free(pl->region);
    free(pl->token_file);
    free(pl->url);
    lc_creds_free_secret(pl->auth_token);
    free(pl->auth_token_file);
    free(pl);
}

static struct lc_credplan *plan_new(enum lc_credplan_kind kind, const char *source,
                                    const char *where)
{
    struct lc_credplan *pl = calloc(1, sizeof(*pl));
    if (!pl)
        return NULL;
    pl->kind = kind;
    if (lc_creds_dup(&pl->source, source) || lc_creds_dup(&pl->where, where)) {
        lc_credplan_free(pl);
        return NULL;
    }
    return pl;
}

struct resolver {
    const struct lc_credprov_opts *opts;
    struct lc_awsfiles files;
    const char *visited[CHAIN_MAX];
    size_t nvisited;
    const char *region; /* for STS: environment, then the selected profile */
};

static int plan_keys(struct lc_credplan **out, const char *source, const char *where,
                     const char *ak, const char *sk, const char *tok, time_t exp,
                     struct lc_error *err)
{
    struct lc_credplan *pl = plan_new(LC_PLAN_KEYS, source, where);
    struct lc_creds c = {.access_key_id = (char *)ak,
                         .secret_access_key = (char *)sk,
                         .session_token = (char *)tok,
                         .expiration = exp};

    if (!pl || lc_creds_copy(&pl->keys, &c)) {
        lc_credplan_free(pl);
        return lc_creds_nomem(err);
    }
    *out = pl;
    return 0;
}

/* AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY [/ AWS_SESSION_TOKEN]. *out NULL when unset. */
static int plan_env(struct lc_credplan **out, struct lc_error *err)
{
    const char *ak = lc_creds_env("AWS_ACCESS_KEY_ID");
    const char *sk = lc_creds_env("AWS_SECRET_ACCESS_KEY");
    const char *tok = lc_creds_env("AWS_SESSION_TOKEN");
    const char *exps = lc_creds_env("AWS_CREDENTIAL_EXPIRATION");
    time_t exp = 0;

    *out = NULL;
    if (!ak && !sk)
        return 0;
    if (!ak || !sk)
        return lc_creds_fail(err, LC_E_CREDENTIALS, "%s is set but %s is not: set both or neither",
                             ak ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                             ak ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
    if (!tok)
        tok = lc_creds_env("AWS_SECURITY_TOKEN");
    if (exps && lc_time_parse_iso8601(exps, &exp) != 0)
        return lc_creds_fail(err, LC_E_CREDENTIALS,
                             "AWS_CREDENTIAL_EXPIRATION is not an ISO-8601 time");
    return plan_keys(out, "environment", "environment variables", ak, sk, tok, exp, err);
}

/* Static keys of a profile: credentials file first, then config file. *out NULL when none. */
static int plan_profile_keys(struct resolver *r, const char *profile, struct lc_credplan **out,
                             struct lc_error *err)
{
    const struct lc_ini *files[2] = {&r->files.cred, &r->files.cfg};
    char source[300];

    *out = NULL;
    snprintf(source, sizeof(source), "profile %s", profile);
    for (int i = 0; i < 2; i++) {
        const struct lc_ini *f = files[i];
        const char *(*get)(const struct lc_ini *, const char *, const char *) =
            i == 0 ? lc_awsfiles_cred_get : lc_awsfiles_cfg_get;
        const char *ak = get(f, profile, "aws_access_key_id");
        const char *sk = get(f, profile, "aws_secret_access_key");
        if (!ak && !sk)
            continue;
        if (!ak || !sk)
            return lc_creds_fail(err, LC_E_CREDENTIALS, "profile %s in %s: %s without %s", profile,
                                 f->path, ak ? "aws_access_key_id" : "aws_secret_access_key",
                                 ak ? "aws_secret_access_key" : "aws_access_key_id");
        return plan_keys(out, source, f->path, ak, sk, get(f, profile, "aws_session_token"), 0,
                         err);
    }
    return 0;
}

static int parse_duration(const char *profile, const char *s, long *out, struct lc_error *err)
{
    char *end = NULL;
    long v;

    *out = 0;
    if (!s)
        return 0;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 900 || v > 43200)
        return lc_creds_fail(
            err, LC_E_CREDENTIALS,
            "profile %s: duration_seconds must be a number of seconds from 900 to 43200", profile);
    *out = v;
    return 0;
}

/* Web identity from the environment (when use_env) and the profile, key by key with the
 * environment first. *out NULL when no token file is configured. */
static int plan_webid(struct resolver *r, const char *profile, bool use_env,
                      struct lc_credplan **out, struct lc_error *err)
{
    const struct lc_awsfiles *f = &r->files;
    const char *tf = use_env ? lc_creds_env("AWS_WEB_IDENTITY_TOKEN_FILE") : NULL;
    const char *role = use_env ? lc_creds_env("AWS_ROLE_ARN") : NULL;
    const char *sess = use_env ? lc_creds_env("AWS_ROLE_SESSION_NAME") : NULL;
    const char *where = "environment variables";
    struct lc_credplan *pl = NULL;
    char source[300];
    long dur = 0;
    int rc;

    *out = NULL;
    if (!tf) {
        tf = lc_awsfiles_get(f, profile, "web_identity_token_file");
        where = "profile";
    }
    if (!tf)
        return 0;
    if (!role)
        role = lc_awsfiles_get(f, profile, "role_arn");
    if (!sess)
        sess = lc_awsfiles_get(f, profile, "role_session_name");
    if (!role)
        return lc_creds_fail(
            err, LC_E_CREDENTIALS,
            "a web identity token file is configured (%s) but no role: set AWS_ROLE_ARN "
            "or role_arn in profile %s",
            where, profile);
    rc = parse_duration(profile, lc_awsfiles_get(f, profile, "duration_seconds"), &dur, err);
    if (rc)
        return rc;
    snprintf(source, sizeof(source), "web-identity %s", role);
    pl = plan_new(LC_PLAN_WEBID, source, strcmp(where, "profile") == 0 ? profile : where);
    if (!pl)
        return lc_creds_nomem(err);
    pl->duration = dur;
    pl->token_file = lc_creds_expand_home(tf);
    if (!pl->token_file || lc_creds_dup(&pl->role_arn, role) ||
        lc_creds_dup(&pl->session_name, sess) || lc_creds_dup(&pl->region, r->region)) {
        lc_credplan_free(pl);
        return lc_creds_nomem(err);
    }
    *out = pl;
    return 0;
}

/* http:// container endpoints may only be loopback or the ECS / EKS link-local hosts. */
static bool container_host_allowed(const char *url)
{
    static const char *const hosts[] = {"localhost", "169.254.170.2", "169.254.170.23"};
    char host[256];
    const char *a = url + strlen("http://");
    size_t alen = strcspn(a, "/?#");
    const char *at = memchr(a, '@', alen);
    const char *h = at ? at + 1 : a;
    size_t hlen = alen - (size_t)(h - a);
    unsigned char addr[16], want[16];

    if (hlen && h[0] == '[') {
        const char *rb = memchr(h, ']', hlen);
        if (!rb)
            return false;
        hlen = (size_t)(rb - h - 1);
        h++;
    } else {
        const char *colon = memchr(h, ':', hlen);
        if (colon)
            hlen = (size_t)(colon - h);
    }
    if (hlen == 0 || hlen >= sizeof(host))
        return false;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
        if (strcasecmp(host, hosts[i]) == 0)
            return true;
    if (inet_pton(AF_INET, host, addr) == 1)
        return addr[0] == 127;
    if (inet_pton(AF_INET6, host, addr) == 1) {
        if (inet_pton(AF_INET6, "fd00:ec2::23", want) == 1 && memcmp(addr, want, 16) == 0)
            return true;
        if (inet_pton(AF_INET6, "::1", want) == 1 && memcmp(addr, want, 16) == 0)
            return true;
    }
    return false;
}

/* ECS / EKS container credentials. *out NULL when not configured (an error when required). */
static int plan_container(struct resolver *r, bool required, struct lc_credplan **out,
                          struct lc_error *err)
{
    const char *rel = lc_creds_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = lc_creds_env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    const char *tokfile = lc_creds_env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    const char *tok = lc_creds_env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    const char *host = r->opts && r->opts->container_host ? r->opts->container_host : ECS_HOST;
    struct lc_buf url = {0};
    struct lc_credplan *pl = NULL;
    int rc = 0;

    *out = NULL;
    if (!rel && !full) {
        if (required)
            return lc_creds_fail(err, LC_E_CREDENTIALS,
                                 "credential_source EcsContainer, but neither "
                                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor "
                                 "AWS_CONTAINER_CREDENTIALS_FULL_URI is set");
        return 0;
    }
    if (!tokfile && tok && lc_creds_has_crlf(tok, strlen(tok)))
        return lc_creds_fail(err, LC_E_CREDENTIALS,
                             "AWS_CONTAINER_AUTHORIZATION_TOKEN contains a line break");
    if (rel) {
        if (rel[0] != '/')
            return lc_creds_fail(err, LC_E_CREDENTIALS,
                                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must start with '/'");
        size_t hl = strlen(host);
        while (hl && host[hl - 1] == '/')
            hl--;
        if (lc_buf_append(&url, host, hl) || lc_buf_append(&url, rel, strlen(rel))) {
            rc = lc_creds_nomem(err);
            goto out;
        }
    } else {
        if (strncasecmp(full, "http://", 7) != 0 && strncasecmp(full, "https://", 8) != 0)
            return lc_creds_fail(
                err, LC_E_CREDENTIALS,
                "AWS_CONTAINER_CREDENTIALS_FULL_URI must be an http:// or https:// URL");
        if (strncasecmp(full, "http://", 7) == 0 && !container_host_allowed(full))
            return lc_creds_fail(
                err, LC_E_CREDENTIALS,
                "AWS_CONTAINER_CREDENTIALS_FULL_URI: plain http is only allowed to "
                "loopback, localhost, 169.254.170.2, 169.254.170.23 or fd00:ec2::23");
        if (lc_buf_append(&url, full, strlen(full))) {
            rc = lc_creds_nomem(err);
            goto out;
        }
    }
    pl = plan_new(LC_PLAN_CONTAINER, "container",
                  rel ? "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
                      : "AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (!pl) {
        rc = lc_creds_nomem(err);
        goto out;
    }
    pl->url = lc_buf_steal(&url);
    if (lc_creds_dup(&pl->auth_token_file, tokfile) ||
        lc_creds_dup(&pl->auth_token, tokfile ? NULL : tok)) {
        rc = lc_creds_nomem(err);
        goto out;
    }
    *out = pl;
    pl = NULL;
out:
    lc_credplan_free(pl);
    lc_buf_free(&url);
    return rc;
}

/* EC2 instance metadata. *out NULL when disabled (an error when required). */
static int plan_imds(struct resolver *r, bool required, struct lc_credplan **out,
                     struct lc_error *err)
{
    const struct lc_credprov_opts *o = r->opts;
    const char *ep = o && o->imds_endpoint ? o->imds_endpoint : NULL;
    const char *mode = lc_creds_env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
    struct lc_credplan *pl = NULL;

    *out = NULL;
    if (lc_creds_env_true("AWS_EC2_METADATA_DISABLED")) {
        if (required)
            return lc_creds_fail(
                err, LC_E_CREDENTIALS,
                "credential_source Ec2InstanceMetadata, but AWS_EC2_METADATA_DISABLED "
                "is true");
        return 0;
    }
    if (!ep)
        ep = lc_creds_env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    if (!ep)
        ep = mode && strcasecmp(mode, "IPv6") == 0 ? IMDS_HOST6 : IMDS_HOST;
    pl = plan_new(LC_PLAN_IMDS, "imds", "EC2 instance metadata");
    if (!pl || lc_creds_dup(&pl->url, ep)) {
        lc_credplan_free(pl);
        return lc_creds_nomem(err);
    }
    size_t n = strlen(pl->url);
    while (n && pl->url[n - 1] == '/')
        pl->url[--n] = '\0';
    pl->imds_v1 = o && o->imds_v1_fallback && !lc_creds_env_true("AWS_EC2_METADATA_V1_DISABLED");
    *out = pl;
    return 0;
}

static bool visited(const struct resolver *r, const char *profile)
{
    for (size_t i = 0; i < r->nvisited; i++)
        if (strcmp(r->visited[i], profile) == 0)
            return true;
    return false;
}

static int resolve_assume(struct resolver *r, const char *profile, struct lc_credplan **out,
                          struct lc_error *err);

/* The credentials a source_profile provides: its static keys win (even next to a role_arn),
 * then its own role (recursively), then its web identity settings. */
static int resolve_source(struct resolver *r, const char *profile, struct lc_credplan **out,
                          struct lc_error *err)
{
    const struct lc_awsfiles *f = &r->files;
    int rc;

    if (lc_awsfiles_has_keys(f, profile)) {
        rc = plan_profile_keys(r, profile, out, err);
        if (rc || *out)
            return rc;
    }
    if (lc_awsfiles_get(f, profile, "role_arn") &&
        !lc_awsfiles_get(f, profile, "web_identity_token_file"))
        return resolve_assume(r, profile, out, err);
    rc = plan_webid(r, profile, false, out, err);
    if (rc || *out)
        return rc;
    return lc_creds_fail(err, LC_E_CREDENTIALS,
                         "source profile %s has no credentials (no keys, role_arn or "
                         "web_identity_token_file)",
                         profile);
}

static int cycle_error(struct resolver *r, const char *next, struct lc_error *err)
{
    struct lc_buf b = {0};
    int rc;

    for (size_t i = 0; i < r->nvisited; i++)
        lc_buf_appendf(&b, "%s -> ", r->visited[i]);
    lc_buf_appendf(&b, "%s", next);
    rc = lc_creds_fail(err, LC_E_CREDENTIALS, "source_profile loop: %s", b.data ? b.data : next);
    lc_buf_free(&b);
    return rc;
}

/* A profile with role_arn: AssumeRole, signed with source_profile's or credential_source's
 * credentials. */
static int resolve_assume(struct resolver *r, const char *profile, struct lc_credplan **out,
                          struct lc_error *err)
{
    const struct lc_awsfiles *f = &r->files;
    const char *role = lc_awsfiles_get(f, profile, "role_arn");
    const char *sp = lc_awsfiles_get(f, profile, "source_profile");
    const char *cs = lc_awsfiles_get(f, profile, "credential_source");
    struct lc_credplan *src = NULL;
    struct lc_credplan *pl = NULL;
    char source[300];
    long dur = 0;
    int rc;

    *out = NULL;
    if (sp && cs)
        return lc_creds_fail(err, LC_E_CREDENTIALS,
                             "profile %s: source_profile and credential_source cannot both be set",
                             profile);
    if (!sp && !cs)
        return lc_creds_fail(err, LC_E_CREDENTIALS,
                             "profile %s: role_arn needs source_profile or credential_source",
                             profile);
    if (lc_awsfiles_get(f, profile, "mfa_serial"))
        return lc_creds_fail(
            err, LC_E_CREDENTIALS,
            "profile %s: mfa_serial needs an interactive MFA code, which logcanary "
            "cannot ask for",
            profile);
    rc = parse_duration(profile, lc_awsfiles_get(f, profile, "duration_seconds"), &dur, err);
    if (rc)
        return rc;
    if (sp) {
        if (!lc_awsfiles_has_profile(f, sp))
            return lc_creds_fail(err, LC_E_CREDENTIALS, "profile %s: source_profile %s not found",
                                 profile, sp);
        /* A profile may name itself as source only to use its own static keys (botocore). */
        if (visited(r, sp) && (strcmp(sp, profile) != 0 || !lc_awsfiles_has_keys(f, sp)))
            return cycle_error(r, sp, err);
        if (!visited(r, sp)) {
            if (r->nvisited == CHAIN_MAX)
                return lc_creds_fail(err, LC_E_CREDENTIALS,
                                     "profile %s: more than %d source_profile hops", profile,
                                     CHAIN_MAX);
            r->visited[r->nvisited++] = sp;
            rc = resolve_source(r, sp, &src, err);
        } else {
            rc = plan_profile_keys(r, sp, &src, err);
        }
    } else if (strcmp(cs, "Environment") == 0) {
        rc = plan_env(&src, err);
        if (!rc && !src)
            rc = lc_creds_fail(
                err, LC_E_CREDENTIALS,
                "profile %s: credential_source Environment, but AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY are not set",
                profile);
    } else if (strcmp(cs, "Ec2InstanceMetadata") == 0 || strcmp(cs, "EcsContainer") == 0) {
        char prefix[300];
        if (strcmp(cs, "EcsContainer") == 0)
            rc = plan_container(r, true, &src, err);
        else
            rc = plan_imds(r, true, &src, err);
        snprintf(prefix, sizeof(prefix), "profile %s", profile);
        if (rc)
            lc_creds_err_prefix(err, prefix);
    } else {
        rc = lc_creds_fail(
            err, LC_E_CREDENTIALS,
            "profile %s: credential_source must be Environment, Ec2InstanceMetadata or "
            "EcsContainer",
            profile);
    }
    if (rc)
        goto out;
    snprintf(source, sizeof(source), "assume-role %s", role);
    pl = plan_new(LC_PLAN_ASSUME, source, profile);
    if (!pl) {
        rc = lc_creds_nomem(err);
        goto out;
    }
    pl->duration = dur;
    pl->src = src;
    src = NULL;
    if (lc_creds_dup(&pl->role_arn, role) ||
        lc_creds_dup(&pl->external_id, lc_awsfiles_get(f, profile, "external_id")) ||
        lc_creds_dup(&pl->session_name, lc_awsfiles_get(f, profile, "role_session_name")) ||
        lc_creds_dup(&pl->region, r->region)) {
        rc = lc_creds_nomem(err);
        goto out;
    }
    *out = pl;
    pl = NULL;
out:
    lc_credplan_free(src);
    lc_credplan_free(pl);
    return rc;
}

/* The default chain: environment keys, the profile (role, web identity, static keys),
 * container, IMDS. */
static int resolve_default(struct resolver *r, struct lc_credplan **out, struct lc_error *err)
{
    const struct lc_awsfiles *f = &r->files;
    bool explicit = false;
    const char *profile = profile_name(r->opts, &explicit);
    bool exists;
    int rc;

    *out = NULL;
    /* Keys in the environment come first, unless the caller named a profile (botocore). */
    if (!(r->opts && r->opts->profile && *r->opts->profile)) {
        rc = plan_env(out, err);
        if (rc || *out)
            return rc;
    }
    exists = lc_awsfiles_has_profile(f, profile);
    if (explicit && !exists)
        return lc_creds_fail(err, LC_E_CREDENTIALS, "profile %s not found in %s or %s", profile,
                             f->cfg.path ? f->cfg.path : "~/.aws/config",
                             f->cred.path ? f->cred.path : "~/.aws/credentials");
    r->region = lc_creds_env("AWS_REGION");
    if (!r->region)
        r->region = lc_creds_env("AWS_DEFAULT_REGION");
    if (!r->region)
        r->region = lc_awsfiles_get(f, profile, "region");
    r->visited[0] = profile;
    r->nvisited = 1;
    if (lc_awsfiles_get(f, profile, "role_arn") &&
        !lc_awsfiles_get(f, profile, "web_identity_token_file"))
        return resolve_assume(r, profile, out, err);
    rc = plan_webid(r, profile, true, out, err);
    if (rc || *out)
        return rc;
    rc = plan_profile_keys(r, profile, out, err);
    if (rc || *out)
        return rc;
    if (exists) {
        static const char *const unsupported[] = {"credential_process", "sso_session",
                                                  "sso_start_url", "login_session"};
        for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
            if (lc_awsfiles_get(f, profile, unsupported[i]))
                return lc_creds_fail(err, LC_E_CREDENTIALS,
                                     "profile %s uses %s, which logcanary does not support",
                                     profile, unsupported[i]);
    }
    rc = plan_container(r, false, out, err);
    if (rc || *out)
        return rc;
    rc = plan_imds(r, false, out, err);
    if (rc || *out)
        return rc;
    return lc_creds_fail(
        err, LC_E_CREDENTIALS,
        "no credentials found: not in the environment, not in profile %s, no container "
        "credentials, and EC2 instance metadata is disabled",
        profile);
}

int lc_credplan_resolve(const struct lc_credprov_opts *opts, struct lc_credplan **out,
                        struct lc_error *err)
{
    struct resolver r;
    int rc;

    memset(&r, 0, sizeof(r));
    r.opts = opts;
    *out = NULL;
    rc = lc_awsfiles_load(&r.files, err);
    if (rc)
        return rc;
    rc = resolve_default(&r, out, err);
    lc_awsfiles_free(&r.files);
    return rc;
}

void lc_credplan_explain(const struct lc_credplan *pl, struct lc_buf *out, int depth)
{
    lc_buf_appendf(out, "%*s", depth * 2, "");
    switch (pl->kind) {
    case LC_PLAN_KEYS:
        lc_buf_appendf(out, "%s: static keys (access key ...%s%s) from %s\n", pl->source,
                       lc_creds_key_tail(pl->keys.access_key_id),
                       pl->keys.session_token ? ", with session token" : "", pl->where);
        break;
    case LC_PLAN_ASSUME:
        lc_buf_appendf(out, "profile %s: AssumeRole %s", pl->where, pl->role_arn);
        if (pl->external_id)
            lc_buf_appendf(out, ", external id set");
        if (pl->session_name)
            lc_buf_appendf(out, ", session name %s", pl->session_name);
        if (pl->duration)
            lc_buf_appendf(out, ", duration %lds", pl->duration);
        if (pl->region)
            lc_buf_appendf(out, ", region %s", pl->region);
        lc_buf_appendf(out, ", signed with:\n");
        lc_credplan_explain(pl->src, out, depth + 1);
        break;
    case LC_PLAN_WEBID:
        lc_buf_appendf(out, "AssumeRoleWithWebIdentity %s (unsigned), token file %s, from %s",
                       pl->role_arn, pl->token_file, pl->where);
        if (pl->session_name)
            lc_buf_appendf(out, ", session name %s", pl->session_name);
        if (pl->duration)
            lc_buf_appendf(out, ", duration %lds", pl->duration);
        lc_buf_appendf(out, "\n");
        break;
    case LC_PLAN_CONTAINER:
        lc_buf_appendf(out, "container credentials from %s (%s)", pl->url, pl->where);
        if (pl->auth_token_file)
            lc_buf_appendf(out, ", Authorization from file %s", pl->auth_token_file);
        else if (pl->auth_token)
            lc_buf_appendf(out, ", Authorization from AWS_CONTAINER_AUTHORIZATION_TOKEN");
        lc_buf_appendf(out, "\n");
        break;
    case LC_PLAN_IMDS:
        lc_buf_appendf(out, "EC2 instance metadata at %s (IMDSv2%s)\n", pl->url,
                       pl->imds_v1 ? ", IMDSv1 fallback allowed" : " only");
        break;
    }
}

int lc_creds_explain(const struct lc_credprov_opts *opts, struct lc_buf *out, struct lc_error *err)
{
    struct lc_credplan *pl = NULL;
    int rc = lc_credplan_resolve(opts, &pl, err);

    if (rc)
        return rc;
    lc_credplan_explain(pl, out, 0);
    lc_credplan_free(pl);
    return 0;
}

char *lc_creds_default_region(const char *profile)
{
    struct lc_credprov_opts opts = {.profile = profile};
    struct lc_awsfiles f;
    struct lc_error err;
    bool explicit = false;
    const char *v = lc_creds_env("AWS_REGION");
    char *out = NULL;

    if (!v)
        v = lc_creds_env("AWS_DEFAULT_REGION");
    if (v)
        return strdup(v);
    lc_error_clear(&err);
    if (lc_awsfiles_load(&f, &err) != 0) {
        LC_WARN(LC_CREDS_COMP, "cannot read the region from the shared config: %s", err.message);
        return NULL;
    }
    v = lc_awsfiles_get(&f, profile_name(&opts, &explicit), "region");
    if (v)
        out = strdup(v);
    lc_awsfiles_free(&f);
    return out;
}
