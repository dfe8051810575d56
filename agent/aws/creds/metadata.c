/* Container and instance-metadata credentials as cache sources, and the credential document
 * both serve. See metadata.h. */
#include "aws/creds/metadata.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "aws/aws.h"
#include "aws/creds/cache.h"
#include "aws/creds/creds.h"
#include "aws/creds/util.h"
#include "core/http.h"
#include "core/log.h"
#include "core/timeutil.h"

#define DOC_MAX            ((size_t)64 << 10) /* IMDS / container responses */
#define META_CONNECT_MS    1000L
#define META_TIMEOUT_MS    2000L
#define CONTAINER_ATTEMPTS 3
#define IMDS_TOKEN_TTL     "21600"
#define IMDS_CREDS_PATH    "/latest/meta-data/iam/security-credentials/"

struct meta {
    struct lc_aws *aws;
    bool imds; /* else container */
    char *url;
    char *auth_token, *auth_token_file; /* container */
    bool imds_v1;                       /* IMDS: IMDSv1 fallback allowed */
};

/* One refresh in flight. */
struct meta_fetch {
    struct lc_credfetch head;
    const struct meta *m;
    int step;    /* IMDS: 0 token, 1 role name, 2 credentials */
    int attempt; /* container: tries made */
    bool http_pending;
    uint64_t http_id;
    char *imds_token;
    char *role;
};

/* ---- Credential documents ---------------------------------------------------------------- */

static void json_wipe(cJSON *j)
{
    for (; j; j = j->next) {
        if (j->valuestring)
            OPENSSL_cleanse(j->valuestring, strlen(j->valuestring));
        json_wipe(j->child);
    }
}

static const char *json_str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) && v->valuestring && *v->valuestring ? v->valuestring : NULL;
}

int lc_creds_from_json(const char *text, size_t len, struct lc_creds *out, struct lc_error *err)
{
    cJSON *doc = cJSON_ParseWithLength(text, len);
    const char *code, *ak, *sk, *tok, *exp;
    struct lc_creds c = {0};
    int rc = 0;

    memset(out, 0, sizeof(*out));
    if (!cJSON_IsObject(doc)) {
        rc = lc_creds_fail(err, LC_E_PARSE, "credential document is not a JSON object");
        goto out;
    }
    code = json_str(doc, "Code");
    if (code && strcmp(code, "Success") != 0) {
        rc = lc_creds_fail(err, LC_E_CREDENTIALS, "credential document says Code %.64s", code);
        goto out;
    }
    ak = json_str(doc, "AccessKeyId");
    sk = json_str(doc, "SecretAccessKey");
    tok = json_str(doc, "Token");
    exp = json_str(doc, "Expiration");
    if (!ak || !sk) {
        rc = lc_creds_fail(err, LC_E_PARSE,
                           "credential document lacks AccessKeyId or SecretAccessKey");
        goto out;
    }
    if (exp && lc_time_parse_iso8601(exp, &c.expiration) != 0) {
        rc = lc_creds_fail(err, LC_E_PARSE,
                           "credential document: Expiration is not an ISO-8601 time");
        goto out;
    }
    c.access_key_id = (char *)ak;
    c.secret_access_key = (char *)sk;
    c.session_token = (char *)tok;
    if (lc_creds_copy(out, &c))
        rc = lc_creds_nomem(err);
out:
    if (doc) {
        json_wipe(doc);
        cJSON_Delete(doc);
    }
    return rc;
}

/* ---- HTTP exchanges with the endpoints ---------------------------------------------------- */

static void fetch_free(struct meta_fetch *f)
{
    if (!f)
        return;
    lc_creds_free_secret(f->imds_token);
    free(f->role);
    free(f);
}

/* The refresh is over (success when c is non-NULL). */
static void complete(struct meta_fetch *f, struct lc_creds *c, const struct lc_error *e)
{
    lc_credcache_done(&f->head, c, e);
    fetch_free(f);
}

static void on_http(void *ud, struct lc_http_resp *resp);

static int http_start(struct meta_fetch *f, const char *method, const char *url,
                      const struct lc_kvlist *headers, struct lc_error *err)
{
    struct lc_http_req req = {
        .method = method,
        .url = url,
        .headers = headers,
        .connect_timeout_ms = META_CONNECT_MS,
        .timeout_ms = META_TIMEOUT_MS,
        .max_body = DOC_MAX,
        .on_done = on_http,
        .ud = f,
    };
    int rc = lc_http_send(lc_aws_http(f->m->aws), &req, &f->http_id, err);

    if (!rc)
        f->http_pending = true;
    return rc;
}

/* An HTTP exchange with a metadata endpoint failed: a transport error or a bad status. Returns
 * e->kind, never LC_OK. */
static int http_error(struct lc_error *e, const struct lc_http_resp *resp, const char *service,
                      const char *what)
{
    if (resp->err.kind != LC_OK) {
        *e = resp->err;
        lc_creds_err_prefix(e, what);
    } else {
        lc_error_clear(e);
        e->status = resp->status;
        lc_error_set(e, LC_E_CREDENTIALS, "%s: HTTP %ld", what, resp->status);
    }
    lc_strlcpy(e->service, service, sizeof(e->service));
    return e->kind;
}

static int container_send(struct meta_fetch *f, struct lc_error *err)
{
    struct lc_kvlist h = {0};
    char *tok = NULL;
    int rc = 0;

    if (f->m->auth_token_file)
        rc = lc_creds_read_token(f->m->auth_token_file, "container authorization token file", &tok,
                                 err);
    else
        rc = lc_creds_dup(&tok, f->m->auth_token) ? lc_creds_nomem(err) : 0;
    if (rc)
        return rc;
    if (lc_kv_add(&h, "Accept", "application/json") ||
        (tok && lc_kv_add(&h, "Authorization", tok))) {
        rc = lc_creds_nomem(err);
        goto out;
    }
    f->attempt++;
    rc = http_start(f, "GET", f->m->url, &h, err);
out:
    lc_creds_kv_wipe_free(&h);
    lc_creds_free_secret(tok);
    return rc;
}

static void container_done(struct meta_fetch *f, struct lc_http_resp *resp)
{
    struct lc_creds c = {0};
    struct lc_error e;
    bool transient = resp->err.kind != LC_OK || resp->status >= 500;

    lc_error_clear(&e);
    if (resp->err.kind == LC_OK && resp->status == 200) {
        int rc = lc_creds_from_json(resp->body.data ? resp->body.data : "", resp->body.len, &c, &e);
        if (resp->body.data)
            OPENSSL_cleanse(resp->body.data, resp->body.len);
        if (rc) {
            lc_strlcpy(e.service, "container", sizeof(e.service));
            lc_creds_err_prefix(&e, "credentials endpoint");
            complete(f, NULL, &e);
        } else {
            complete(f, &c, NULL);
        }
        lc_creds_clear(&c);
        return;
    }
    if (transient && f->attempt < CONTAINER_ATTEMPTS) {
        LC_DEBUG(LC_CREDS_COMP, "container credentials: attempt %d failed, retrying", f->attempt);
        if (container_send(f, &e) == 0)
            return;
        lc_strlcpy(e.service, "container", sizeof(e.service));
        complete(f, NULL, &e);
        return;
    }
    http_error(&e, resp, "container", "credentials endpoint");
    /* ECS / EKS agents answer errors as {"code": ..., "message": ...}. */
    if (resp->err.kind == LC_OK && resp->body.data) {
        cJSON *j = cJSON_ParseWithLength(resp->body.data, resp->body.len);
        const char *code = json_str(j, "code");
        const char *m = json_str(j, "message");
        if (code)
            lc_strlcpy(e.code, code, sizeof(e.code));
        if (m) {
            lc_creds_join(e.message, sizeof(e.message), e.message, m);
        }
        cJSON_Delete(j);
    }
    complete(f, NULL, &e);
}

static int imds_send(struct meta_fetch *f, struct lc_error *err)
{
    struct lc_kvlist h = {0};
    struct lc_buf url = {0};
    const char *method = "GET";
    int rc = 0;

    if (f->step == 0) {
        method = "PUT";
        rc = lc_buf_appendf(&url, "%s/latest/api/token", f->m->url);
        if (!rc)
            rc = lc_kv_add(&h, "x-aws-ec2-metadata-token-ttl-seconds", IMDS_TOKEN_TTL);
    } else {
        rc =
            lc_buf_appendf(&url, "%s%s%s", f->m->url, IMDS_CREDS_PATH, f->step == 2 ? f->role : "");
        if (!rc && f->imds_token)
            rc = lc_kv_add(&h, "x-aws-ec2-metadata-token", f->imds_token);
    }
    if (rc)
        rc = lc_creds_nomem(err);
    else
        rc = http_start(f, method, url.data, &h, err);
    lc_creds_kv_wipe_free(&h);
    lc_buf_free(&url);
    return rc;
}

static bool role_name_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("+=,.@_-", *s))
            return false;
    return true;
}

static void imds_done(struct meta_fetch *f, struct lc_http_resp *resp)
{
    struct lc_creds c = {0};
    struct lc_error e;
    bool ok = resp->err.kind == LC_OK && resp->status == 200;
    char *body = resp->body.data ? resp->body.data : "";
    int rc = 0;

    lc_error_clear(&e);
    switch (f->step) {
    case 0: /* token */
        if (ok) {
            size_t n = resp->body.len;
            while (n && isspace((unsigned char)body[n - 1]))
                n--;
            if (n == 0 || lc_creds_has_crlf(body, n) || memchr(body, '\0', n)) {
                rc = lc_creds_fail(&e, LC_E_PARSE, "IMDS: malformed session token");
                goto out;
            }
            f->imds_token = strndup(body, n);
            OPENSSL_cleanse(body, resp->body.len);
            if (!f->imds_token) {
                rc = lc_creds_nomem(&e);
                goto out;
            }
        } else if (f->m->imds_v1 &&
                   ((resp->err.kind == LC_OK &&
                     (resp->status == 403 || resp->status == 404 || resp->status == 405)) ||
                    resp->err.kind == LC_E_TIMEOUT)) {
            LC_WARN(LC_CREDS_COMP,
                    "imds: no IMDSv2 session token (HTTP %ld); falling back to IMDSv1",
                    resp->status);
        } else {
            rc = http_error(&e, resp, "imds",
                            f->m->imds_v1
                                ? "IMDSv2 token request failed"
                                : "IMDSv2 token request failed (IMDSv1 fallback disabled)");
            goto out;
        }
        break;
    case 1: /* role name: the first line */
        if (!ok) {
            rc = http_error(&e, resp, "imds",
                            resp->status == 404 ? "no IAM role attached to this instance"
                                                : "IMDS role name request failed");
            goto out;
        }
        f->role = strndup(body, strcspn(body, "\r\n"));
        if (!f->role) {
            rc = lc_creds_nomem(&e);
            goto out;
        }
        char *t = lc_creds_trim(f->role, f->role + strlen(f->role));
        memmove(f->role, t, strlen(t) + 1);
        if (!role_name_ok(f->role)) {
            rc = lc_creds_fail(&e, LC_E_CREDENTIALS, "IMDS: %s",
                               *f->role ? "malformed role name"
                                        : "no IAM role attached to this instance");
            goto out;
        }
        break;
    default: /* credentials: the last step */
        if (!ok) {
            rc = http_error(&e, resp, "imds", "IMDS credentials request failed");
            goto out;
        }
        rc = lc_creds_from_json(body, resp->body.len, &c, &e);
        OPENSSL_cleanse(body, resp->body.len);
        if (!rc)
            complete(f, &c, NULL);
        goto out;
    }
    f->step++;
    rc = imds_send(f, &e);
out:
    if (rc) {
        lc_strlcpy(e.service, "imds", sizeof(e.service));
        complete(f, NULL, &e);
    }
    lc_creds_clear(&c);
}

static void on_http(void *ud, struct lc_http_resp *resp)
{
    struct meta_fetch *f = ud;

    f->http_pending = false;
    if (!f->head.cache) {
        fetch_free(f);
        return;
    }
    if (f->m->imds)
        imds_done(f, resp);
    else
        container_done(f, resp);
}

/* ---- The sources ------------------------------------------------------------------------- */

static int meta_start(void *data, struct lc_credfetch **out, struct lc_error *err)
{
    struct meta *m = data;
    struct meta_fetch *f = calloc(1, sizeof(*f));
    int rc;

    if (!f)
        return lc_creds_nomem(err);
    f->m = m;
    if (m->imds)
        rc = imds_send(f, err);
    else
        rc = container_send(f, err);
    if (rc) {
        fetch_free(f);
        return rc;
    }
    *out = &f->head;
    return 0;
}

static void meta_abandon(void *data, struct lc_credfetch *head)
{
    struct meta *m = data;
    struct meta_fetch *f = (struct meta_fetch *)head;

    if (f->http_pending)
        lc_http_cancel(lc_aws_http(m->aws), f->http_id);
}

static void meta_free(void *data)
{
    struct meta *m = data;

    if (!m)
        return;
    free(m->url);
    lc_creds_free_secret(m->auth_token);
    free(m->auth_token_file);
    free(m);
}

static const struct lc_credsrc meta_src = {
    .start = meta_start,
    .abandon = meta_abandon,
    .free = meta_free,
};

/* The provider over m, which is taken; rc says whether filling m in failed. */
static struct lc_credprov *meta_new(struct lc_aws *aws, const char *source, long margin,
                                    struct meta *m, int rc, struct lc_error *err)
{
    if (rc) {
        meta_free(m);
        lc_creds_nomem(err);
        return NULL;
    }
    m->aws = aws;
    return lc_credcache_new(aws, source, margin, &meta_src, m, err);
}

struct lc_credprov *lc_credprov_container(struct lc_aws *aws, const char *source, long margin,
                                          const char *url, const char *auth_token,
                                          const char *auth_token_file, struct lc_error *err)
{
    struct meta *m = calloc(1, sizeof(*m));
    int rc = m ? 0 : LC_E_NOMEM;

    if (!rc)
        rc = lc_creds_dup(&m->url, url);
    if (!rc)
        rc = lc_creds_dup(&m->auth_token, auth_token);
    if (!rc)
        rc = lc_creds_dup(&m->auth_token_file, auth_token_file);
    return meta_new(aws, source, margin, m, rc, err);
}

struct lc_credprov *lc_credprov_imds(struct lc_aws *aws, const char *source, long margin,
                                     const char *url, bool v1_fallback, struct lc_error *err)
{
    struct meta *m = calloc(1, sizeof(*m));
    int rc = m ? 0 : LC_E_NOMEM;

    if (!rc) {
        m->imds = true;
        m->imds_v1 = v1_fallback;
        rc = lc_creds_dup(&m->url, url);
    }
    return meta_new(aws, source, margin, m, rc, err);
}
