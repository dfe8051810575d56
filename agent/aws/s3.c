/* S3 operations over lc_aws_send: listings parsed as a stream, object calls, and the bucket
 * configuration reads used by the diagnosis. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/s3.h"
#include "aws/s3proto.h"
#include "core/timeutil.h"

#define LIST_MAX_BODY   (16u << 20) /* one page of 1000 keys is ~350 KiB; generous cap */
#define CONFIG_MAX_BODY (1u << 20)  /* bucket policies are <= 20 KiB */

/* ---- ListObjectsV2 -------------------------------------------------------------------------- */

struct list_state {
    struct lc_aws *aws;
    struct lc_s3_list_req req; /* strings below are owned copies */
    char *bucket, *region, *prefix, *start_after, *delimiter;
    char *token; /* continuation token for the next page */
    struct lc_s3_list_parser *parser;
    struct lc_s3_list_result res;
};

static void list_free(struct list_state *ls)
{
    lc_s3_list_parser_free(ls->parser);
    free(ls->bucket);
    free(ls->region);
    free(ls->prefix);
    free(ls->start_after);
    free(ls->delimiter);
    free(ls->token);
    free(ls);
}

static void list_finish(struct list_state *ls)
{
    if (ls->req.on_done)
        ls->req.on_done(ls->req.ud, &ls->res);
    list_free(ls);
}

static int list_item(void *ud, const struct lc_s3_list_item *it)
{
    struct list_state *ls = ud;
    struct lc_s3_object o = {
        .key = it->key,
        .last_modified = it->last_modified,
        .size = it->size,
        .etag = it->etag,
        .storage_class = it->storage_class,
    };
    ls->res.objects++;
    if (ls->req.on_object && ls->req.on_object(ls->req.ud, &o) != 0) {
        ls->res.stopped = true;
        return LC_E_CANCELLED;
    }
    return 0;
}

static int list_prefix(void *ud, const char *prefix)
{
    struct list_state *ls = ud;
    struct lc_s3_object o = {.key = prefix};
    if (ls->req.on_prefix && ls->req.on_prefix(ls->req.ud, &o) != 0) {
        ls->res.stopped = true;
        return LC_E_CANCELLED;
    }
    return 0;
}

static int list_body(void *ud, const char *data, size_t len)
{
    struct list_state *ls = ud;
    return lc_s3_list_parser_feed(ls->parser, data, len, &ls->res.err) != 0;
}

static int list_next_page(struct list_state *ls, struct lc_error *err);

static void list_page_done(void *ud, const struct lc_aws_resp *resp)
{
    struct list_state *ls = ud;

    if (ls->res.stopped) {
        lc_error_clear(&ls->res.err);
        list_finish(ls);
        return;
    }
    if (resp->err.kind != LC_OK) {
        /* A parse error found while streaming is more telling than the abort it caused. */
        if (ls->res.err.kind == LC_OK || resp->err.kind != LC_E_CANCELLED)
            ls->res.err = resp->err;
        list_finish(ls);
        return;
    }
    if (lc_s3_list_parser_finish(ls->parser, &ls->res.err) != 0) {
        if (ls->res.stopped)
            lc_error_clear(&ls->res.err);
        list_finish(ls);
        return;
    }
    /* A redirect found the bucket's region: ask there directly for the next pages. */
    if (resp->region && (!ls->region || strcmp(resp->region, ls->region) != 0)) {
        char *r = strdup(resp->region);
        if (r) {
            free(ls->region);
            ls->region = r;
        }
    }
    const struct lc_s3_list_page *pg = lc_s3_list_parser_page(ls->parser);
    if (!pg->is_truncated) {
        list_finish(ls);
        return;
    }
    if (!pg->next_token || !*pg->next_token) {
        lc_error_set(&ls->res.err, LC_E_PARSE,
                     "ListObjectsV2: IsTruncated without NextContinuationToken");
        list_finish(ls);
        return;
    }
    if (ls->req.max_pages > 0 && ls->res.requests >= ls->req.max_pages) {
        ls->res.truncated = true;
        list_finish(ls);
        return;
    }
    free(ls->token);
    ls->token = strdup(pg->next_token);
    if (!ls->token) {
        lc_error_set(&ls->res.err, LC_E_NOMEM, "out of memory");
        list_finish(ls);
        return;
    }
    if (list_next_page(ls, &ls->res.err) != 0)
        list_finish(ls);
}

static int list_next_page(struct list_state *ls, struct lc_error *err)
{
    struct lc_kvlist q = {0};
    char maxkeys[16];
    int rc;

    lc_s3_list_parser_free(ls->parser);
    struct lc_s3_list_parser_opts po = {
        .on_object = list_item,
        .on_prefix = list_prefix,
        .ud = ls,
        .url_requested = true,
    };
    ls->parser = lc_s3_list_parser_new(&po);
    snprintf(maxkeys, sizeof(maxkeys), "%d", ls->req.max_keys > 0 ? ls->req.max_keys : 1000);
    rc = ls->parser ? 0 : LC_E_NOMEM;
    if (!rc)
        rc = lc_kv_add(&q, "list-type", "2");
    if (!rc)
        rc = lc_kv_add(&q, "encoding-type", "url");
    if (!rc)
        rc = lc_kv_add(&q, "max-keys", maxkeys);
    if (!rc && ls->prefix)
        rc = lc_kv_add(&q, "prefix", ls->prefix);
    if (!rc && ls->delimiter)
        rc = lc_kv_add(&q, "delimiter", ls->delimiter);
    /* start-after only matters on the first page; the token carries it afterwards. */
    if (!rc && ls->token)
        rc = lc_kv_add(&q, "continuation-token", ls->token);
    else if (!rc && ls->start_after)
        rc = lc_kv_add(&q, "start-after", ls->start_after);
    if (rc) {
        lc_error_set(err, LC_E_NOMEM, "out of memory");
        goto out;
    }
    struct lc_aws_req r = {
        .service = "s3",
        .region = ls->region,
        .method = "GET",
        .bucket = ls->bucket,
        .query = &q,
        .max_body = LIST_MAX_BODY,
        .creds = ls->req.creds,
        .on_body = list_body,
        .on_done = list_page_done,
        .ud = ls,
    };
    rc = lc_aws_send(ls->aws, &r, err);
    if (!rc)
        ls->res.requests++;
out:
    lc_kv_free(&q);
    return rc;
}

static char *dup_opt(const char *s, bool *ok)
{
    char *d;
    if (!s)
        return NULL;
    d = strdup(s);
    if (!d)
        *ok = false;
    return d;
}

int lc_s3_list(struct lc_aws *aws, const struct lc_s3_list_req *req, struct lc_error *err)
{
    bool ok = true;
    struct list_state *ls = calloc(1, sizeof(*ls));
    int rc;

    if (!ls) {
        lc_error_set(err, LC_E_NOMEM, "out of memory");
        return LC_E_NOMEM;
    }
    ls->aws = aws;
    ls->req = *req;
    ls->bucket = dup_opt(req->bucket, &ok);
    ls->region = dup_opt(req->region, &ok);
    ls->prefix = dup_opt(req->prefix, &ok);
    ls->start_after = dup_opt(req->start_after, &ok);
    ls->delimiter = dup_opt(req->delimiter, &ok);
    if (!ok || !req->bucket) {
        rc = ok ? LC_E_INVALID : LC_E_NOMEM;
        lc_error_set(err, rc, ok ? "listing without a bucket" : "out of memory");
        list_free(ls);
        return rc;
    }
    rc = list_next_page(ls, err);
    if (rc)
        list_free(ls);
    return rc;
}

/* ---- objects -------------------------------------------------------------------------------- */

struct obj_call {
    lc_s3_object_done_cb cb;
    lc_http_body_cb on_body;
    void (*on_restart)(void *ud);
    void *ud;
};

/* The caller's streaming callbacks get the caller's ud, not ours. */
static int obj_body(void *ud, const char *data, size_t len)
{
    struct obj_call *oc = ud;
    return oc->on_body(oc->ud, data, len);
}

static void obj_restart(void *ud)
{
    struct obj_call *oc = ud;
    oc->on_restart(oc->ud);
}

static void fill_info(struct lc_s3_object_info *info, const struct lc_kvlist *h)
{
    const char *v;

    memset(info, 0, sizeof(*info));
    info->headers = h;
    v = lc_kv_get(h, "content-length");
    if (v)
        info->content_length = strtoull(v, NULL, 10);
    v = lc_kv_get(h, "last-modified");
    if (v)
        lc_time_parse_http(v, &info->last_modified);
    info->etag = lc_kv_get(h, "etag");
    info->sse = lc_kv_get(h, "x-amz-server-side-encryption");
    info->sse_kms_key_id = lc_kv_get(h, "x-amz-server-side-encryption-aws-kms-key-id");
    v = lc_kv_get(h, "x-amz-server-side-encryption-bucket-key-enabled");
    info->bucket_key_enabled = v && strcmp(v, "true") == 0;
}

static void obj_done(void *ud, const struct lc_aws_resp *resp)
{
    struct obj_call *oc = ud;
    struct lc_s3_object_info info;

    fill_info(&info, resp->headers);
    oc->cb(oc->ud, &info, resp);
    free(oc);
}

static int obj_send(struct lc_aws *aws, const struct lc_s3_object_req *req, const char *method,
                    struct lc_error *err)
{
    struct lc_kvlist headers = {0};
    struct obj_call *oc;
    int rc = 0;

    if (!req->bucket || !req->key || !*req->key) {
        lc_error_set(err, LC_E_INVALID, "S3 %s without a bucket and key", method);
        return LC_E_INVALID;
    }
    oc = calloc(1, sizeof(*oc));
    if (!oc) {
        rc = LC_E_NOMEM;
    } else if (strcmp(method, "PUT") == 0 && req->headers) {
        rc = lc_kv_copy(&headers, req->headers);
    } else if (strcmp(method, "GET") == 0 && req->range_end >= req->range_start &&
               req->range_start >= 0 && (req->range_start > 0 || req->range_end > 0)) {
        char range[64];
        snprintf(range, sizeof(range), "bytes=%" PRId64 "-%" PRId64, req->range_start,
                 req->range_end);
        rc = lc_kv_add(&headers, "Range", range);
    }
    if (rc) {
        lc_error_set(err, LC_E_NOMEM, "out of memory");
        goto out;
    }
    oc->cb = req->on_done;
    oc->on_body = req->on_body;
    oc->on_restart = req->on_restart;
    oc->ud = req->ud;
    struct lc_aws_req r = {
        .service = "s3",
        .region = req->region,
        .method = method,
        .bucket = req->bucket,
        .key = req->key,
        .headers = &headers,
        .body = strcmp(method, "PUT") == 0 ? req->body : NULL,
        .body_len = strcmp(method, "PUT") == 0 ? req->body_len : 0,
        .max_body = req->max_body,
        .creds = req->creds,
        .on_body = strcmp(method, "GET") == 0 && req->on_body ? obj_body : NULL,
        .on_restart = req->on_restart ? obj_restart : NULL,
        .on_done = obj_done,
        .ud = oc,
    };
    rc = lc_aws_send(aws, &r, err);
out:
    if (rc)
        free(oc);
    lc_kv_free(&headers);
    return rc;
}

int lc_s3_head_object(struct lc_aws *aws, const struct lc_s3_object_req *req, struct lc_error *err)
{
    return obj_send(aws, req, "HEAD", err);
}

int lc_s3_get_object(struct lc_aws *aws, const struct lc_s3_object_req *req, struct lc_error *err)
{
    return obj_send(aws, req, "GET", err);
}

int lc_s3_put_object(struct lc_aws *aws, const struct lc_s3_object_req *req, struct lc_error *err)
{
    return obj_send(aws, req, "PUT", err);
}

int lc_s3_delete_object(struct lc_aws *aws, const struct lc_s3_object_req *req,
                        struct lc_error *err)
{
    return obj_send(aws, req, "DELETE", err);
}

/* ---- bucket configuration ------------------------------------------------------------------- */

enum cfg_kind { CFG_ENCRYPTION, CFG_POLICY };

struct cfg_call {
    enum cfg_kind kind;
    lc_s3_encryption_cb enc_cb;
    lc_s3_policy_cb pol_cb;
    void *ud;
};

static void cfg_done(void *ud, const struct lc_aws_resp *resp)
{
    struct cfg_call *cc = ud;
    struct lc_aws_resp r = *resp;

    if (cc->kind == CFG_ENCRYPTION) {
        struct lc_s3_sse_config sse;
        struct lc_s3_encryption enc = {0};
        memset(&sse, 0, sizeof(sse));
        if (r.err.kind == LC_OK && r.body->data &&
            memmem(r.body->data, r.body->len < 256 ? r.body->len : 256, "<ListBucketResult", 17)) {
            /* Servers without GetBucketEncryption ignore "?encryption" and list the bucket. */
            lc_error_set(&r.err, LC_E_PARSE,
                         "this S3 server does not support GetBucketEncryption (it answered "
                         "?encryption with a bucket listing)");
        } else if (r.err.kind == LC_OK) {
            if (lc_s3_sse_config_parse(r.body->data, r.body->len, &sse, &r.err) == 0) {
                enc.configured = sse.rules > 0;
                enc.algorithm = sse.algorithm[0] ? sse.algorithm : NULL;
                enc.kms_key_id = sse.kms_key_id[0] ? sse.kms_key_id : NULL;
                enc.bucket_key_enabled = sse.bucket_key_enabled;
            }
        } else if (r.status == 404 &&
                   strcmp(r.err.code, "ServerSideEncryptionConfigurationNotFoundError") == 0) {
            lc_error_clear(&r.err); /* no default encryption configured: an answer, not an error */
        }
        cc->enc_cb(cc->ud, &enc, &r);
    } else {
        const char *policy = NULL;
        if (r.err.kind == LC_OK)
            policy = r.body->data ? r.body->data : "";
        else if (r.status == 404 && strcmp(r.err.code, "NoSuchBucketPolicy") == 0)
            lc_error_clear(&r.err);
        cc->pol_cb(cc->ud, policy, &r);
    }
    free(cc);
}

static int cfg_send(struct lc_aws *aws, struct lc_credprov *creds, const char *bucket,
                    const char *region, const char *subresource, struct cfg_call *cc,
                    struct lc_error *err)
{
    struct lc_kvlist q = {0};
    int rc = lc_kv_add(&q, subresource, "");
    if (rc) {
        lc_error_set(err, rc, "out of memory");
        free(cc);
        return rc;
    }
    struct lc_aws_req r = {
        .service = "s3",
        .region = region,
        .method = "GET",
        .bucket = bucket,
        .query = &q,
        .max_body = CONFIG_MAX_BODY,
        .creds = creds,
        .on_done = cfg_done,
        .ud = cc,
    };
    rc = lc_aws_send(aws, &r, err);
    if (rc)
        free(cc);
    lc_kv_free(&q);
    return rc;
}

int lc_s3_get_bucket_encryption(struct lc_aws *aws, struct lc_credprov *creds, const char *bucket,
                                const char *region, lc_s3_encryption_cb cb, void *ud,
                                struct lc_error *err)
{
    struct cfg_call *cc = calloc(1, sizeof(*cc));
    if (!cc) {
        lc_error_set(err, LC_E_NOMEM, "out of memory");
        return LC_E_NOMEM;
    }
    cc->kind = CFG_ENCRYPTION;
    cc->enc_cb = cb;
    cc->ud = ud;
    return cfg_send(aws, creds, bucket, region, "encryption", cc, err);
}

int lc_s3_get_bucket_policy(struct lc_aws *aws, struct lc_credprov *creds, const char *bucket,
                            const char *region, lc_s3_policy_cb cb, void *ud, struct lc_error *err)
{
    struct cfg_call *cc = calloc(1, sizeof(*cc));
    if (!cc) {
        lc_error_set(err, LC_E_NOMEM, "out of memory");
        return LC_E_NOMEM;
    }
    cc->kind = CFG_POLICY;
    cc->pol_cb = cb;
    cc->ud = ud;
    return cfg_send(aws, creds, bucket, region, "policy", cc, err);
}
