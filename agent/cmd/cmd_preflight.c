/* logcanary preflight: try, against AWS, every permission logcanary itself needs, and print
 * what is missing as IAM policy documents, one per principal.
 *
 * Each check is one real call whose answer proves or disproves one permission: allowed (2xx or
 * an answer such as NoSuchBucketPolicy), missing (an authorization error), or unknown (network,
 * throttling after retries, a server without the call). All checks run at once on the one loop;
 * only the canary is a sequence (PUT -> GET -> DELETE of one marked object). */
#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/pretty.h"
#include "aws/awscall.h"
#include "aws/awsxml.h"
#include "aws/creds/creds.h"
#include "aws/s3.h"
#include "cmd/cli.h"
#include "cmd/options.h"
#include "cmd/runtime.h"
#include "config/config.h"
#include "core/array.h"
#include "core/log.h"
#include "iam/diagnose.h"
#include "pipeline/bucket.h"
#include "pipeline/canary.h"
#include "pipeline/plan.h"
#include "pipeline/status.h"
#include "probes/probe.h"

/* After the generated synopsis of `logcanary preflight --help`. */
static const char preflight_about[] =
    "  checks each permission logcanary needs, with the credentials it will use, and prints\n"
    "  what is missing as IAM policy documents. Exit 0: all allowed (\"unknown\" results are\n"
    "  listed but do not fail), 1: something is missing, 2: usage or config error, 3: could\n"
    "  not run (e.g. no credentials).\n";

enum pf_result { PF_ALLOWED = 0, PF_UNKNOWN, PF_MISSING };

static const char *const result_names[] = {"allowed", "unknown", "missing"};

/* Table and policy order: these, then the status readers' permissions in registry order. */
static const char *const perm_order[] = {
    "sts:AssumeRole",     "s3:ListBucket",       "s3:GetObject",
    "s3:PutObject",       "s3:DeleteObject",     "s3:GetEncryptionConfiguration",
    "s3:GetBucketPolicy", "kms:DescribeKey",     "kms:GetKeyPolicy",
    "kms:Decrypt",        "kms:GenerateDataKey",
};

struct pf_target;

struct pf_principal {
    char *name; /* what it is, for people */
    char *arn;  /* role ARN or the caller's ARN; NULL when unknown */
};

struct pf_row {
    size_t principal;
    const char *permission;
    char *resource; /* NULL: the key of key_of, resolved at the end */
    const struct pf_target *key_of;
    enum pf_result result;
    char *reason;
};

struct pf_target {
    struct pf *pf;
    const struct lc_target_cfg *t;
    struct lc_credprov *creds;
    size_t principal;
    const char *region;
    const char *partition;
    char *bucket_arn;
    /* listings and the delivery read */
    int lists_pending;
    bool list_ok;
    char *first_folder; /* resource folder of the first listing */
    char *newest_key;
    char *newest_folder;
    time_t newest_modified;
    uint64_t newest_size;
    /* the check engine's steps: the bucket and key reads, the canary */
    struct lc_target_obs reads;
    struct lc_canary_obs canary;
};

/* One status reader run: a probe's reader in one region, for one role. */
struct pf_read {
    struct pf_role *role;
    const struct lc_stream *s; /* the first stream of its probe and region */
    struct lc_status_obs obs;
};

struct pf_role {
    struct pf *pf;
    char *arn;
    size_t principal;
    struct lc_credprov *prov;
    struct pf_read *reads;
    size_t n_reads, cap_reads;
};

struct pf {
    struct lc_runtime *rt;
    const struct lc_config *cfg;
    const struct lc_plan *plan;
    int outstanding;
    char run_id[128];
    struct pf_principal *principals;
    size_t n_principals, cap_principals;
    struct pf_row *rows;
    size_t n_rows, cap_rows;
    struct pf_target *targets;
    size_t n_targets;
    struct pf_role **roles;
    size_t n_roles, cap_roles;
    struct lc_error fatal;
    bool nomem;
};

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static char *fmt_dup(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *fmt_dup(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    return s;
}

static void done_one(struct pf *pf)
{
    pf->outstanding--;
}

static size_t add_principal(struct pf *pf, const char *name, const char *arn)
{
    for (size_t i = 0; i < pf->n_principals; i++)
        if (arn && pf->principals[i].arn && strcmp(pf->principals[i].arn, arn) == 0)
            return i;
    if (LC_ARRAY_GROW(pf->principals, pf->n_principals, pf->cap_principals)) {
        pf->nomem = true;
        return 0;
    }
    struct pf_principal *p = &pf->principals[pf->n_principals];
    p->name = strdup(name);
    p->arn = dup_or_null(arn);
    return pf->n_principals++;
}

/* An authorization error that denies a permission (not bad credentials or signatures). */
static bool is_denial(const struct lc_error *e)
{
    static const char *const codes[] = {
        "AccessDenied",       "AccessDeniedException",     "UnauthorizedOperation",
        "UnauthorizedAccess", "KMS.AccessDeniedException", "NotAuthorized",
        "Forbidden",          "AllAccessDisabled",
    };
    if (!e->auth)
        return false;
    if (!e->code[0])
        return e->status == 403;
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (strcmp(e->code, codes[i]) == 0)
            return true;
    return false;
}

static enum pf_result classify(const struct lc_error *e)
{
    if (e->kind == LC_OK)
        return PF_ALLOWED;
    return is_denial(e) ? PF_MISSING : PF_UNKNOWN;
}

static char *err_reason(const struct lc_error *e)
{
    char buf[768];
    if (e->kind == LC_OK)
        return NULL;
    lc_error_format(e, buf, sizeof(buf));
    if (e->auth && !is_denial(e))
        return fmt_dup("credentials rejected, not a permission: %s", buf);
    return strdup(buf);
}

static void add_row_r(struct pf *pf, size_t principal, const char *perm, const char *resource,
                      const struct pf_target *key_of, enum pf_result r, char *reason)
{
    if (LC_ARRAY_GROW(pf->rows, pf->n_rows, pf->cap_rows)) {
        pf->nomem = true;
        free(reason);
        return;
    }
    pf->rows[pf->n_rows++] =
        (struct pf_row){principal, perm, dup_or_null(resource), key_of, r, reason};
}

/* One row from a call's error (LC_OK: allowed). */
static void add_row(struct pf *pf, size_t principal, const char *perm, const char *resource,
                    const struct lc_error *e)
{
    add_row_r(pf, principal, perm, resource, NULL, classify(e), err_reason(e));
}

static void add_key_row(struct pf_target *tg, const char *perm, const struct lc_error *e)
{
    add_row_r(tg->pf, tg->principal, perm, NULL, tg, classify(e), err_reason(e));
}

/* The key as an IAM resource: DescribeKey's ARN, the configured ARN, else a key id made an ARN
 * with any account; aliases cannot be granted on: "*". */
static char *key_resource(const struct pf_target *tg)
{
    const char *k = tg->reads.key_arn ? tg->reads.key_arn : tg->reads.key_asked;
    if (!k)
        return strdup("*");
    if (strncmp(k, "arn:", 4) == 0 && !strstr(k, ":alias/"))
        return strdup(k);
    if (strncmp(k, "alias/", 6) == 0 || strstr(k, ":alias/"))
        return strdup("*");
    return fmt_dup("arn:%s:kms:%s:*:key/%s", tg->partition, tg->region, k);
}

/* "<folder>/AWSLogs/<acct>/..." -> "arn:<p>:s3:::<bucket>/<folder>/AWSLogs/..." */
static char *folder_resource(const struct pf_target *tg, const char *base)
{
    const char *a = strstr(base, "AWSLogs/");
    int n = a ? (int)(a - base) + 8 : (int)strlen(base);
    return fmt_dup("arn:%s:s3:::%s/%.*s*", tg->partition, tg->t->bucket, n, base);
}

static char *canary_resource(const struct pf_target *tg)
{
    return fmt_dup("arn:%s:s3:::%s/%s*", tg->partition, tg->t->bucket, tg->t->canary_prefix);
}

/* ---- the delivery read -------------------------------------------------------------------- */

static int on_discard(void *ud, const char *data, size_t len)
{
    (void)ud;
    (void)data;
    (void)len;
    return 0;
}

static void on_delivery_got(void *ud, const struct lc_s3_object_info *info,
                            const struct lc_aws_resp *resp)
{
    struct pf_target *tg = ud;
    if (resp->err.kms) {
        /* S3 allowed the read; the key did not. */
        add_key_row(tg, "kms:Decrypt", &resp->err);
        add_row_r(tg->pf, tg->principal, "s3:GetObject", tg->newest_folder, NULL, PF_ALLOWED,
                  strdup("S3 allowed the read; KMS refused to decrypt"));
    } else {
        add_row(tg->pf, tg->principal, "s3:GetObject", tg->newest_folder, &resp->err);
    }
    /* A readable SSE-KMS delivery proves kms:Decrypt on the key it names. */
    if (resp->err.kind == LC_OK && info->sse_kms_key_id &&
        strncmp(info->sse_kms_key_id, "arn:", 4) == 0)
        add_row_r(tg->pf, tg->principal, "kms:Decrypt", info->sse_kms_key_id, NULL, PF_ALLOWED,
                  NULL);
    done_one(tg->pf);
}

static void read_delivery(struct pf_target *tg)
{
    struct lc_error err;
    if (!tg->newest_key) {
        if (tg->first_folder)
            add_row_r(tg->pf, tg->principal, "s3:GetObject", tg->first_folder, NULL, PF_UNKNOWN,
                      strdup(tg->list_ok ? "no delivery found to read"
                                         : "not tried: the listing failed"));
        return;
    }
    struct lc_s3_object_req req = {
        .creds = tg->creds,
        .bucket = tg->t->bucket,
        .region = tg->region,
        .key = tg->newest_key,
        .range_start = 0,
        .range_end = tg->newest_size > 0 ? 1023 : -1,
        .on_body = on_discard,
        .max_body = 4096,
        .on_done = on_delivery_got,
        .ud = tg,
    };
    lc_error_clear(&err);
    tg->pf->outstanding++;
    if (lc_s3_get_object(tg->pf->rt->aws, &req, &err) != 0) {
        add_row(tg->pf, tg->principal, "s3:GetObject", tg->newest_folder, &err);
        done_one(tg->pf);
    }
}

/* ---- listings ----------------------------------------------------------------------------- */

struct pf_list {
    struct pf_target *tg;
    char *folder;
};

static int on_listed(void *ud, const struct lc_s3_object *o)
{
    struct pf_list *pl = ud;
    struct pf_target *tg = pl->tg;
    if (tg->newest_key && o->last_modified <= tg->newest_modified)
        return 0;
    char *k = strdup(o->key), *f = strdup(pl->folder);
    if (!k || !f) {
        free(k);
        free(f);
        return 1;
    }
    free(tg->newest_key);
    free(tg->newest_folder);
    tg->newest_key = k;
    tg->newest_folder = f;
    tg->newest_modified = o->last_modified;
    tg->newest_size = o->size;
    return 0;
}

static void on_list_done(void *ud, const struct lc_s3_list_result *res)
{
    struct pf_list *pl = ud;
    struct pf_target *tg = pl->tg;

    add_row(tg->pf, tg->principal, "s3:ListBucket", tg->bucket_arn, &res->err);
    if (res->err.kind == LC_OK)
        tg->list_ok = true;
    free(pl->folder);
    free(pl);
    if (--tg->lists_pending == 0)
        read_delivery(tg);
    done_one(tg->pf);
}

/* One ListObjectsV2 (max-keys 1) under the first stream base of each source. */
static void start_listings(struct pf_target *tg)
{
    const struct lc_plan *plan = tg->pf->plan;
    struct lc_error err;

    tg->lists_pending = 1; /* held while starting */
    for (size_t si = 0; si < tg->t->n_sources; si++) {
        const struct lc_stream *s = NULL;
        for (size_t i = 0; i < plan->n_streams && !s; i++)
            if (plan->streams[i].target == tg->t && plan->streams[i].source == &tg->t->sources[si])
                s = &plan->streams[i];
        if (!s)
            continue;
        struct pf_list *pl = calloc(1, sizeof(*pl));
        char *folder = folder_resource(tg, s->base);
        if (!pl || !folder) {
            free(pl);
            free(folder);
            tg->pf->nomem = true;
            continue;
        }
        if (!tg->first_folder)
            tg->first_folder = strdup(folder);
        pl->tg = tg;
        pl->folder = folder;
        struct lc_s3_list_req req = {
            .creds = tg->creds,
            .bucket = tg->t->bucket,
            .region = tg->region,
            .prefix = s->base,
            .max_keys = 1,
            .max_pages = 1,
            .on_object = on_listed,
            .on_done = on_list_done,
            .ud = pl,
        };
        lc_error_clear(&err);
        tg->lists_pending++;
        tg->pf->outstanding++;
        if (lc_s3_list(tg->pf->rt->aws, &req, &err) != 0) {
            add_row(tg->pf, tg->principal, "s3:ListBucket", tg->bucket_arn, &err);
            free(pl->folder);
            free(pl);
            tg->lists_pending--;
            done_one(tg->pf);
        }
    }
    if (--tg->lists_pending == 0)
        read_delivery(tg);
}

/* ---- the canary: the check's own, its steps as permissions --------------------------------- */

static void add_canary_row(struct pf_target *tg, const char *perm, enum pf_result r, char *reason)
{
    char *res = canary_resource(tg);
    add_row_r(tg->pf, tg->principal, perm, res, NULL, r, reason);
    free(res);
}

static void add_canary_err(struct pf_target *tg, const char *perm, const struct lc_error *e)
{
    add_canary_row(tg, perm, classify(e), err_reason(e));
}

/* A read that reached KMS: the key's row, and S3's allowed. */
static void add_read(struct pf_target *tg, const struct lc_error *e)
{
    if (e->kms) {
        add_key_row(tg, "kms:Decrypt", e);
        add_canary_row(tg, "s3:GetObject", PF_ALLOWED,
                       strdup("S3 allowed the read; KMS refused to decrypt"));
        return;
    }
    add_canary_err(tg, "s3:GetObject", e);
    if (e->kind == LC_OK && tg->t->kms_key_arn)
        add_key_row(tg, "kms:Decrypt", e);
}

/* PUT proves s3:PutObject (and kms:GenerateDataKey with the target's key), HEAD and GET
 * s3:GetObject (and kms:Decrypt), DELETE s3:DeleteObject. */
static void on_canary_done(void *ud)
{
    struct pf_target *tg = ud;
    const struct lc_canary_obs *c = &tg->canary;
    const struct lc_error *put = &c->step_err[LC_CANARY_PUT];

    if (put->kms) {
        add_key_row(tg, "kms:GenerateDataKey", put);
        add_canary_row(tg, "s3:PutObject", PF_UNKNOWN,
                       strdup("the write reached KMS, which refused the data key"));
    } else {
        add_canary_err(tg, "s3:PutObject", put);
        if (put->kind == LC_OK && tg->t->kms_key_arn)
            add_key_row(tg, "kms:GenerateDataKey", put);
    }
    if (put->kind != LC_OK)
        add_canary_row(tg, "s3:GetObject", PF_UNKNOWN,
                       strdup("not tried: no canary object to read"));
    else if (c->step_err[LC_CANARY_HEAD].kind != LC_OK || !c->made[LC_CANARY_GET])
        add_read(tg, &c->step_err[LC_CANARY_HEAD]);
    else
        add_read(tg, &c->step_err[LC_CANARY_GET]);
    if (c->made[LC_CANARY_DELETE])
        add_canary_err(tg, "s3:DeleteObject", &c->step_err[LC_CANARY_DELETE]);
    else if (c->not_ours)
        add_canary_row(tg, "s3:DeleteObject", PF_UNKNOWN,
                       fmt_dup("not tried: %s is not the object preflight wrote", c->key));
    if (put->kind == LC_OK && !c->deleted && !c->not_ours)
        LC_WARN("preflight", "the canary object s3://%s/%s could not be deleted", tg->t->bucket,
                c->key);
    done_one(tg->pf);
}

static void start_canary(struct pf_target *tg)
{
    struct lc_canary_opts opts = {.run_id = tg->pf->run_id,
                                  .now = time(NULL),
                                  .key_label = "preflight-",
                                  .title = "logcanary preflight canary",
                                  .delete_always = true};

    tg->pf->outstanding++;
    if (lc_canary_start(tg->pf->rt->aws, tg->creds, tg->t, &opts, &tg->canary, on_canary_done,
                        tg) != 0) {
        tg->pf->nomem = true;
        done_one(tg->pf);
    }
}

/* ---- the bucket's configuration and its key: the check's own reads ----------------------- */

static void on_reads_done(void *ud)
{
    struct pf_target *tg = ud;
    const struct lc_target_obs *o = &tg->reads;

    add_row(tg->pf, tg->principal, "s3:GetEncryptionConfiguration", tg->bucket_arn, &o->enc_err);
    add_row(tg->pf, tg->principal, "s3:GetBucketPolicy", tg->bucket_arn, &o->bucket_policy_err);
    if (o->key_asked) {
        add_key_row(tg, "kms:DescribeKey", &o->key_err);
        add_key_row(tg, "kms:GetKeyPolicy", &o->key_policy_err);
    } else if (o->enc_err.kind != LC_OK) {
        static const char *const perms[] = {"kms:DescribeKey", "kms:GetKeyPolicy"};
        for (size_t i = 0; i < 2; i++)
            add_row_r(tg->pf, tg->principal, perms[i], NULL, tg, PF_UNKNOWN,
                      strdup("not tried: the bucket's default key could not be read"));
    }
    done_one(tg->pf);
}

static void start_bucket_reads(struct pf_target *tg)
{
    struct lc_bucket_opts opts = {.try_all = true};

    tg->pf->outstanding++;
    if (lc_bucket_reads_start(tg->pf->rt->aws, tg->creds, tg->t, &opts, &tg->reads, on_reads_done,
                              tg) != 0) {
        tg->pf->nomem = true;
        done_one(tg->pf);
    }
}

static void target_run(struct pf_target *tg)
{
    start_listings(tg);
    if (tg->t->canary)
        start_canary(tg);
    start_bucket_reads(tg);
}

/* The target's role could not be assumed: nothing else can be told. */
static void target_skip(struct pf_target *tg)
{
    static const char *const bucket_perms[] = {"s3:ListBucket", "s3:GetEncryptionConfiguration",
                                               "s3:GetBucketPolicy"};
    const char *why = "not tried: the target's role could not be assumed";
    for (size_t i = 0; i < 3; i++)
        add_row_r(tg->pf, tg->principal, bucket_perms[i], tg->bucket_arn, NULL, PF_UNKNOWN,
                  strdup(why));
    if (tg->t->canary) {
        add_canary_row(tg, "s3:PutObject", PF_UNKNOWN, strdup(why));
        add_canary_row(tg, "s3:DeleteObject", PF_UNKNOWN, strdup(why));
    }
}

static void on_target_creds(void *ud, const struct lc_creds *creds, const struct lc_error *err)
{
    struct pf_target *tg = ud;
    add_row(tg->pf, 0, "sts:AssumeRole", tg->t->role_arn, err ? err : &(struct lc_error){0});
    if (creds)
        target_run(tg);
    else
        target_skip(tg);
    done_one(tg->pf);
}

static void target_start(struct pf_target *tg)
{
    struct lc_error err;
    if (!tg->t->role_arn) {
        target_run(tg);
        return;
    }
    lc_error_clear(&err);
    tg->pf->outstanding++;
    if (lc_credprov_get(tg->creds, on_target_creds, tg, &err) != 0) {
        add_row(tg->pf, 0, "sts:AssumeRole", tg->t->role_arn, &err);
        target_skip(tg);
        done_one(tg->pf);
    }
}

/* ---- status APIs in the source accounts: the probes' own readers ------------------------- */

static void read_skip(struct pf_read *rd, const char *why)
{
    const char *const *perms = rd->s->probe->status->permissions;
    for (size_t i = 0; perms[i]; i++)
        add_row_r(rd->role->pf, rd->role->principal, perms[i], "*", NULL, PF_UNKNOWN, strdup(why));
}

/* Each permission of the reader: the call that needed it, else why it was not made. */
static void on_read_done(void *ud)
{
    struct pf_read *rd = ud;
    const struct lc_status_obs *o = &rd->obs;
    const char *const *perms = rd->s->probe->status->permissions;
    const char *failed = NULL;

    for (size_t i = 0; perms[i]; i++) {
        const struct lc_status_call *call = NULL;
        for (size_t k = 0; k < o->n_calls && !call; k++)
            if (strcmp(o->calls[k].permission, perms[i]) == 0)
                call = &o->calls[k];
        if (call) {
            add_row(rd->role->pf, rd->role->principal, perms[i], "*", &call->err);
            if (call->err.kind != LC_OK && !failed)
                failed = perms[i];
        } else {
            add_row_r(rd->role->pf, rd->role->principal, perms[i], "*", NULL, PF_UNKNOWN,
                      o->not_made ? strdup(o->not_made)
                      : failed    ? fmt_dup("not tried: %s failed", failed)
                                  : strdup("not tried"));
        }
    }
    done_one(rd->role->pf);
}

static void read_start(struct pf_read *rd)
{
    struct pf *pf = rd->role->pf;
    struct lc_status_opts opts = {.try_all = true};
    struct lc_error err;

    lc_error_clear(&err);
    pf->outstanding++;
    if (lc_status_start(pf->rt->aws, rd->role->prov, rd->s, &opts, &rd->obs, on_read_done, rd,
                        &err) != 0)
        on_read_done(rd);
}

static void on_role_creds(void *ud, const struct lc_creds *creds, const struct lc_error *err)
{
    struct pf_role *ro = ud;
    add_row(ro->pf, 0, "sts:AssumeRole", ro->arn, err ? err : &(struct lc_error){0});
    for (size_t i = 0; i < ro->n_reads; i++) {
        if (creds)
            read_start(&ro->reads[i]);
        else
            read_skip(&ro->reads[i], "not tried: the status role could not be assumed");
    }
    done_one(ro->pf);
}

/* Each status role once, each (probe, region) once per role. */
static int plan_roles(struct pf *pf)
{
    for (size_t i = 0; i < pf->plan->n_streams; i++) {
        const struct lc_stream *s = &pf->plan->streams[i];
        struct pf_role *ro = NULL;
        if (!s->source->status_role_arn || !s->probe->status)
            continue;
        char *arn = lc_stream_status_role(s);
        if (!arn)
            return LC_E_NOMEM;
        for (size_t r = 0; r < pf->n_roles && !ro; r++)
            if (strcmp(pf->roles[r]->arn, arn) == 0)
                ro = pf->roles[r];
        if (!ro) {
            if (LC_ARRAY_GROW(pf->roles, pf->n_roles, pf->cap_roles) == 0)
                ro = calloc(1, sizeof(*ro));
            if (!ro) {
                free(arn);
                return LC_E_NOMEM;
            }
            pf->roles[pf->n_roles++] = ro;
            char *name = fmt_dup("status role of account %s", s->account);
            ro->pf = pf;
            ro->arn = arn;
            ro->principal = add_principal(pf, name ? name : "status role", arn);
            free(name);
            arn = NULL;
        }
        free(arn);
        bool seen = false;
        for (size_t k = 0; k < ro->n_reads && !seen; k++)
            seen =
                ro->reads[k].s->probe == s->probe && strcmp(ro->reads[k].s->region, s->region) == 0;
        if (seen)
            continue;
        if (LC_ARRAY_GROW(ro->reads, ro->n_reads, ro->cap_reads))
            return LC_E_NOMEM;
        ro->reads[ro->n_reads++] = (struct pf_read){.role = ro, .s = s};
    }
    return 0;
}

static void start_roles(struct pf *pf)
{
    struct lc_error err;
    for (size_t r = 0; r < pf->n_roles; r++) {
        struct pf_role *ro = pf->roles[r];
        lc_error_clear(&err);
        ro->prov = lc_credprov_assume_role(pf->rt->aws, pf->rt->creds.base, ro->arn, NULL,
                                           "logcanary-preflight",
                                           ro->n_reads ? ro->reads[0].s->region : NULL, &err);
        pf->outstanding++;
        if (!ro->prov || lc_credprov_get(ro->prov, on_role_creds, ro, &err) != 0) {
            add_row(pf, 0, "sts:AssumeRole", ro->arn, &err);
            for (size_t i = 0; i < ro->n_reads; i++)
                read_skip(&ro->reads[i], "not tried: the status role could not be assumed");
            done_one(pf);
        }
    }
}

/* ---- discovery: Organizations and Control Tower, read when the command started ------------ */

/* A row per permission of a discovery part: the call that needed it, else why it was not made.
 * The unit listings only matter when the config names units. */
static void discovery_rows(struct pf *pf, const char *role, const char *who,
                           const char *const *perms, const struct lc_discovery_call *calls,
                           size_t n_calls, bool units)
{
    size_t principal = 0;
    const char *failed = NULL;

    if (role) {
        char *name = fmt_dup("discovery role (%s)", who);
        principal = add_principal(pf, name ? name : "discovery role", role);
        free(name);
    }
    for (size_t i = 0; perms[i]; i++) {
        const struct lc_discovery_call *call = NULL;
        for (size_t k = 0; k < n_calls && !call; k++)
            if (calls[k].permission == perms[i])
                call = &calls[k];
        if (call) {
            add_row(pf, principal, perms[i], "*", &call->err);
            if (call->err.kind != LC_OK && !failed)
                failed = perms[i];
        } else if (units || !strstr(perms[i], "organizations:List") ||
                   strcmp(perms[i], "organizations:ListAccounts") == 0) {
            add_row_r(pf, principal, perms[i], "*", NULL, PF_UNKNOWN,
                      failed ? fmt_dup("not tried: %s failed", failed) : strdup("not tried"));
        }
    }
}

static void add_discovery_rows(struct pf *pf, const struct lc_discovered *d)
{
    bool units = false;

    for (size_t t = 0; t < pf->cfg->n_targets; t++)
        for (size_t s = 0; s < pf->cfg->targets[t].n_sources; s++)
            units = units || pf->cfg->targets[t].sources[s].n_include_ous ||
                    pf->cfg->targets[t].sources[s].n_exclude_ous;
    if (d->org.from != LC_DISC_NOT_ASKED)
        discovery_rows(pf, pf->cfg->org_role_arn, "Organizations", lc_discovery_org_permissions,
                       d->org.calls, d->org.n_calls, units);
    if (d->ct.from != LC_DISC_NOT_ASKED)
        discovery_rows(pf, pf->cfg->ct_role_arn, "Control Tower", lc_discovery_ct_permissions,
                       d->ct.calls, d->ct.n_calls, true);
}

/* ---- who the default credentials are ------------------------------------------------------ */

static void on_caller(void *ud, const struct lc_awsxml *doc, const struct lc_aws_resp *resp)
{
    struct pf *pf = ud;
    const char *arn =
        doc ? lc_awsxml_get(doc, "GetCallerIdentityResponse/GetCallerIdentityResult/Arn") : NULL;
    (void)resp;
    if (arn && *arn && !pf->principals[0].arn)
        pf->principals[0].arn = strdup(arn);
    done_one(pf);
}

static void on_default_creds(void *ud, const struct lc_creds *creds, const struct lc_error *err)
{
    struct pf *pf = ud;
    if (!creds)
        pf->fatal = *err;
    done_one(pf);
}

static void run_loop(struct pf *pf)
{
    while (pf->outstanding > 0)
        if (event_base_loop(pf->rt->base, EVLOOP_ONCE) != 0)
            break;
}

/* ---- results: resolve, sort, merge -------------------------------------------------------- */

static size_t perm_rank(const char *p)
{
    size_t rank = sizeof(perm_order) / sizeof(perm_order[0]);

    for (size_t i = 0; i < rank; i++)
        if (strcmp(p, perm_order[i]) == 0)
            return i;
    for (size_t i = 0; lc_probes[i]; i++) {
        const struct lc_status_reader *r = lc_probes[i]->status;
        for (size_t k = 0; r && r->permissions[k]; k++, rank++)
            if (strcmp(p, r->permissions[k]) == 0)
                return rank;
    }
    const char *const *disc[] = {lc_discovery_org_permissions, lc_discovery_ct_permissions};
    for (size_t d = 0; d < 2; d++)
        for (size_t k = 0; disc[d][k]; k++, rank++)
            if (strcmp(p, disc[d][k]) == 0)
                return rank;
    return rank;
}

static int row_cmp(const void *a, const void *b)
{
    const struct pf_row *x = a, *y = b;
    if (x->principal != y->principal)
        return x->principal < y->principal ? -1 : 1;
    size_t rx = perm_rank(x->permission), ry = perm_rank(y->permission);
    if (rx != ry)
        return rx < ry ? -1 : 1;
    int c = strcmp(x->permission, y->permission); /* permissions of no known rank */
    return c ? c : strcmp(x->resource, y->resource);
}

static void finalize(struct pf *pf)
{
    size_t n = 0;
    for (size_t i = 0; i < pf->n_rows; i++) {
        if (pf->rows[i].resource)
            continue;
        pf->rows[i].resource = key_resource(pf->rows[i].key_of);
        if (!pf->rows[i].resource) {
            pf->nomem = true;
            return;
        }
    }
    qsort(pf->rows, pf->n_rows, sizeof(*pf->rows), row_cmp);
    /* The same permission on the same resource, asked twice: the worst answer stands. */
    for (size_t i = 0; i < pf->n_rows; i++) {
        struct pf_row *r = &pf->rows[i];
        if (n > 0 && row_cmp(&pf->rows[n - 1], r) == 0) {
            struct pf_row *k = &pf->rows[n - 1];
            if (r->result > k->result || (r->result == k->result && !k->reason)) {
                k->result = r->result;
                free(k->reason);
                k->reason = r->reason;
                r->reason = NULL;
            }
            free(r->resource);
            free(r->reason);
            continue;
        }
        pf->rows[n++] = *r;
    }
    pf->n_rows = n;
}

/* The IAM policy granting this principal's missing permissions; NULL when none. */
static cJSON *policy_for(const struct pf *pf, size_t principal)
{
    cJSON *doc = NULL, *stmts = NULL;
    int sid = 0;

    for (size_t i = 0; i < pf->n_rows; i++) {
        const struct pf_row *r = &pf->rows[i];
        if (r->principal != principal || r->result != PF_MISSING)
            continue;
        /* One statement per resource, in first-seen order. */
        bool earlier = false;
        for (size_t j = 0; j < i && !earlier; j++)
            earlier = pf->rows[j].principal == principal && pf->rows[j].result == PF_MISSING &&
                      strcmp(pf->rows[j].resource, r->resource) == 0;
        if (earlier)
            continue;
        if (!doc) {
            doc = cJSON_CreateObject();
            cJSON_AddStringToObject(doc, "Version", "2012-10-17");
            stmts = cJSON_AddArrayToObject(doc, "Statement");
        }
        char sidbuf[32];
        snprintf(sidbuf, sizeof(sidbuf), "LogcanaryPreflight%d", ++sid);
        cJSON *st = cJSON_CreateObject();
        cJSON_AddStringToObject(st, "Sid", sidbuf);
        cJSON_AddStringToObject(st, "Effect", "Allow");
        cJSON *acts = cJSON_AddArrayToObject(st, "Action");
        for (size_t j = i; j < pf->n_rows; j++) {
            const struct pf_row *o = &pf->rows[j];
            if (o->principal != principal || o->result != PF_MISSING ||
                strcmp(o->resource, r->resource) != 0)
                continue;
            bool dup = false;
            const cJSON *a;
            cJSON_ArrayForEach(a, acts) dup = dup || strcmp(a->valuestring, o->permission) == 0;
            if (!dup)
                cJSON_AddItemToArray(acts, cJSON_CreateString(o->permission));
        }
        cJSON_AddStringToObject(st, "Resource", r->resource);
        cJSON_AddItemToArray(stmts, st);
    }
    return doc;
}

static void count(const struct pf *pf, size_t out[3])
{
    out[0] = out[1] = out[2] = 0;
    for (size_t i = 0; i < pf->n_rows; i++)
        out[pf->rows[i].result]++;
}

static int report_json(FILE *out, const struct pf *pf)
{
    size_t n[3];
    cJSON *root = cJSON_CreateObject(), *ps;
    count(pf, n);
    cJSON_AddStringToObject(root, "status", n[PF_MISSING] ? "missing" : "ok");
    cJSON *sum = cJSON_AddObjectToObject(root, "summary");
    for (int i = 0; i < 3; i++)
        cJSON_AddNumberToObject(sum, result_names[i], (double)n[i]);
    ps = cJSON_AddArrayToObject(root, "principals");
    for (size_t p = 0; p < pf->n_principals; p++) {
        cJSON *pj = cJSON_CreateObject(), *checks;
        cJSON_AddStringToObject(pj, "principal", pf->principals[p].name);
        if (pf->principals[p].arn)
            cJSON_AddStringToObject(pj, "arn", pf->principals[p].arn);
        else
            cJSON_AddNullToObject(pj, "arn");
        checks = cJSON_AddArrayToObject(pj, "checks");
        for (size_t i = 0; i < pf->n_rows; i++) {
            const struct pf_row *r = &pf->rows[i];
            if (r->principal != p)
                continue;
            cJSON *c = cJSON_CreateObject();
            cJSON_AddStringToObject(c, "permission", r->permission);
            cJSON_AddStringToObject(c, "resource", r->resource);
            cJSON_AddStringToObject(c, "result", result_names[r->result]);
            if (r->reason)
                cJSON_AddStringToObject(c, "reason", r->reason);
            cJSON_AddItemToArray(checks, c);
        }
        cJSON *pol = policy_for(pf, p);
        if (pol)
            cJSON_AddItemToObject(pj, "policy", pol);
        else
            cJSON_AddNullToObject(pj, "policy");
        if (cJSON_GetArraySize(checks) > 0)
            cJSON_AddItemToArray(ps, pj);
        else
            cJSON_Delete(pj);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text)
        return LC_E_NOMEM;
    int rc = fprintf(out, "%s\n", text) < 0 ? LC_E_IO : 0;
    free(text);
    return rc;
}

static int report_text(FILE *out, const struct pf *pf)
{
    size_t n[3], wp = strlen("PERMISSION"), wr = strlen("RESOURCE");
    count(pf, n);
    for (size_t i = 0; i < pf->n_rows; i++) {
        size_t a = strlen(pf->rows[i].permission), b = strlen(pf->rows[i].resource);
        wp = a > wp ? a : wp;
        wr = b > wr ? b : wr;
    }
    for (size_t p = 0; p < pf->n_principals; p++) {
        bool any = false;
        for (size_t i = 0; i < pf->n_rows && !any; i++)
            any = pf->rows[i].principal == p;
        if (!any)
            continue;
        fprintf(out, "%s%s%s\n", pf->principals[p].name, pf->principals[p].arn ? ": " : "",
                pf->principals[p].arn ? pf->principals[p].arn : "");
        fprintf(out, "  %-*s  %-*s  %s\n", (int)wp, "PERMISSION", (int)wr, "RESOURCE", "RESULT");
        for (size_t i = 0; i < pf->n_rows; i++) {
            const struct pf_row *r = &pf->rows[i];
            if (r->principal != p)
                continue;
            fprintf(out, "  %-*s  %-*s  %s%s%s\n", (int)wp, r->permission, (int)wr, r->resource,
                    r->result == PF_MISSING ? "MISSING" : result_names[r->result],
                    r->reason ? ": " : "", r->reason ? r->reason : "");
        }
        fputc('\n', out);
    }
    fprintf(out, "%zu allowed, %zu missing, %zu unknown", n[PF_ALLOWED], n[PF_MISSING],
            n[PF_UNKNOWN]);
    if (n[PF_UNKNOWN])
        fprintf(out, " (\"unknown\" does not fail preflight: the call could not tell; check "
                     "those by hand)");
    fputc('\n', out);
    for (size_t p = 0; p < pf->n_principals; p++) {
        cJSON *pol = policy_for(pf, p);
        if (!pol)
            continue;
        struct lc_buf text = {0};
        int prc = lc_json_pretty(pol, &text); /* the same layout as policy statements */
        cJSON_Delete(pol);
        if (prc || !text.data) {
            lc_buf_free(&text);
            return LC_E_NOMEM;
        }
        fprintf(out,
                "\nMissing permissions of %s%s%s: attach this IAM policy to that principal:\n%s\n",
                pf->principals[p].name, pf->principals[p].arn ? ", " : "",
                pf->principals[p].arn ? pf->principals[p].arn : "", text.data);
        lc_buf_free(&text);
    }
    return ferror(out) ? LC_E_IO : 0;
}

/* ---- the command -------------------------------------------------------------------------- */

struct pf_args {
    const char *config;
    int format; /* enum lc_format */
    const char *target;
    int verbose;
};

/* Options into a (zeroed): 0, or what lc_opt_parse() returns when the command must not run. */
static int parse_args(int argc, char **argv, struct pf_args *a)
{
    const struct lc_opt opts[] = {
        lc_opt_config(&a->config),
        lc_opt_format(&a->format),
        lc_opt_target(&a->target),
        lc_opt_verbose(&a->verbose, NULL),
        {.name = NULL},
    };
    const struct lc_opt_cmd cmd = {
        .name = "preflight",
        .about = preflight_about,
        .opts = opts,
    };

    return lc_opt_parse(&cmd, argc, argv);
}

static void pf_free(struct pf *pf)
{
    for (size_t i = 0; i < pf->n_targets; i++) {
        struct pf_target *tg = &pf->targets[i];
        free(tg->bucket_arn);
        free(tg->first_folder);
        free(tg->newest_key);
        free(tg->newest_folder);
        lc_target_obs_free(&tg->reads);
        lc_canary_obs_free(&tg->canary);
    }
    free(pf->targets);
    for (size_t i = 0; i < pf->n_roles; i++) {
        lc_credprov_free(pf->roles[i]->prov);
        free(pf->roles[i]->arn);
        for (size_t k = 0; k < pf->roles[i]->n_reads; k++)
            lc_status_obs_free(&pf->roles[i]->reads[k].obs);
        free(pf->roles[i]->reads);
        free(pf->roles[i]);
    }
    free(pf->roles);
    for (size_t i = 0; i < pf->n_rows; i++) {
        free(pf->rows[i].resource);
        free(pf->rows[i].reason);
    }
    free(pf->rows);
    for (size_t i = 0; i < pf->n_principals; i++) {
        free(pf->principals[i].name);
        free(pf->principals[i].arn);
    }
    free(pf->principals);
}

int lc_cmd_preflight(int argc, char **argv)
{
    struct pf_args a = {0};
    struct lc_config *cfg = NULL;
    struct lc_plan plan = {0};
    struct lc_discovered disc = {0};
    struct lc_runtime rt;
    struct lc_error err;
    struct pf pf;
    int rc = parse_args(argc, argv, &a);

    if (rc)
        return rc == LC_OPT_HELP ? LC_EXIT_OK : rc;
    lc_log_set_level(a.verbose > 1 ? LC_LOG_DEBUG : a.verbose ? LC_LOG_INFO : LC_LOG_WARN);
    memset(&pf, 0, sizeof(pf));
    lc_error_clear(&err);
    rc = lc_runtime_start(&rt, a.config, a.target, NULL, 0, true, &cfg, &disc, &plan);
    if (rc != LC_EXIT_OK)
        goto out;
    pf.rt = &rt;
    pf.cfg = cfg;
    pf.plan = &plan;
    lc_canary_run_id(pf.run_id, sizeof(pf.run_id), time(NULL));

    /* Without the default credentials nothing can be told. */
    pf.outstanding = 1;
    if (lc_credprov_get(rt.default_creds, on_default_creds, &pf, &err) != 0) {
        pf.fatal = err;
        pf.outstanding = 0;
    }
    run_loop(&pf);
    if (pf.fatal.kind != LC_OK) {
        char buf[768];
        fprintf(stderr, "logcanary: cannot run: no usable credentials: %s\n",
                lc_error_format(&pf.fatal, buf, sizeof(buf)));
        rc = LC_EXIT_CANNOT_RUN;
        goto out;
    }
    char *dname =
        fmt_dup("logcanary's default credentials (%s)", lc_credprov_source(rt.default_creds));
    add_principal(&pf, dname ? dname : "logcanary's default credentials", NULL);
    free(dname);
    add_discovery_rows(&pf, &disc);

    pf.targets = calloc(cfg->n_targets ? cfg->n_targets : 1, sizeof(*pf.targets));
    if (!pf.targets) {
        fprintf(stderr, "logcanary: out of memory\n");
        rc = LC_EXIT_CANNOT_RUN;
        goto out;
    }
    pf.outstanding++;
    if (lc_aws_query_call(rt.aws, rt.default_creds, "sts", rt.region, "GetCallerIdentity", NULL,
                          on_caller, &pf, &err) != 0)
        pf.outstanding--;
    for (size_t ti = 0; ti < cfg->n_targets; ti++) {
        const struct lc_target_cfg *t = &cfg->targets[ti];
        bool planned = false;
        for (size_t i = 0; i < plan.n_streams && !planned; i++)
            planned = plan.streams[i].target == t;
        if (!planned)
            continue;
        struct pf_target *tg = &pf.targets[pf.n_targets++];
        tg->pf = &pf;
        tg->t = t;
        tg->creds = rt.creds.targets[ti];
        tg->region = t->region ? t->region : rt.region;
        tg->partition = lc_partition_for_region(tg->region);
        tg->bucket_arn = fmt_dup("arn:%s:s3:::%s", tg->partition, t->bucket);
        if (t->role_arn) {
            char *name = fmt_dup("role of target %s", t->name);
            tg->principal = add_principal(&pf, name ? name : "target role", t->role_arn);
            free(name);
        }
        if (!tg->bucket_arn) {
            pf.nomem = true;
            continue;
        }
    }
    if (plan_roles(&pf) != 0) {
        fprintf(stderr, "logcanary: out of memory\n");
        rc = LC_EXIT_CANNOT_RUN;
        goto out;
    }
    /* Principals first (their order is the report's), then every call at once. */
    for (size_t i = 0; i < pf.n_targets; i++)
        if (pf.targets[i].bucket_arn)
            target_start(&pf.targets[i]);
    start_roles(&pf);
    run_loop(&pf);
    finalize(&pf);
    if (pf.nomem) {
        fprintf(stderr, "logcanary: out of memory\n");
        rc = LC_EXIT_CANNOT_RUN;
        goto out;
    }
    rc = a.format == LC_FORMAT_JSON ? report_json(stdout, &pf) : report_text(stdout, &pf);
    if (rc) {
        fprintf(stderr, "logcanary: cannot write the report\n");
        rc = LC_EXIT_CANNOT_RUN;
    } else {
        size_t n[3];
        count(&pf, n);
        rc = n[PF_MISSING] ? LC_EXIT_PROBLEMS : LC_EXIT_OK;
    }
out:
    pf_free(&pf);
    lc_runtime_free(&rt);
    lc_plan_free(&plan);
    lc_discovered_free(&disc);
    lc_config_free(cfg);
    return rc;
}
