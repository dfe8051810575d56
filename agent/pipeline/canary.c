/* The canary step (canary.h). */
#include "pipeline/canary.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "aws/aws.h"
#include "aws/s3.h"
#include "core/buf.h"
#include "core/kv.h"
#include "pipeline/plan.h"

#define MARKER_HEADER "x-amz-meta-logcanary-run"

struct canary_run {
    struct lc_aws *aws;
    struct lc_credprov *creds;
    struct lc_canary_obs *obs;
    char *body;
    char *run_id;
    bool delete_always;
    struct timespec started;
    void (*done)(void *ud);
    void *ud;
};

static const char *const step_names[LC_CANARY_STEPS] = {"put", "head", "get", "delete"};

const char *lc_canary_step_name(enum lc_canary_step s)
{
    return (unsigned)s < LC_CANARY_STEPS ? step_names[s] : "?";
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void finish(struct canary_run *cr)
{
    struct timespec end;

    clock_gettime(CLOCK_MONOTONIC, &end);
    cr->obs->latency_s = (double)(end.tv_sec - cr->started.tv_sec) +
                         (double)(end.tv_nsec - cr->started.tv_nsec) / 1e9;
    cr->done(cr->ud);
    free(cr->body);
    free(cr->run_id);
    free(cr);
}

/* A step's answer; the first failure is the canary's. */
static void record(struct canary_run *cr, enum lc_canary_step step, const struct lc_error *err)
{
    struct lc_canary_obs *o = cr->obs;

    o->made[step] = true;
    o->step_err[step] = *err;
    if (err->kind != LC_OK && !o->failed_step) {
        o->failed_step = step_names[step];
        o->err = *err;
    }
}

static struct lc_s3_object_req request(struct canary_run *cr, lc_s3_object_done_cb cb)
{
    const struct lc_target_cfg *t = cr->obs->target;
    struct lc_s3_object_req req = {
        .creds = cr->creds,
        .bucket = t->bucket,
        .region = lc_target_region(t, lc_aws_default_region(cr->aws)),
        .key = cr->obs->key,
        .on_done = cb,
        .ud = cr,
    };
    return req;
}

static void on_deleted(void *ud, const struct lc_s3_object_info *info,
                       const struct lc_aws_resp *resp)
{
    struct canary_run *cr = ud;
    (void)info;
    record(cr, LC_CANARY_DELETE, &resp->err);
    cr->obs->deleted = resp->err.kind == LC_OK;
    finish(cr);
}

static void delete_object(struct canary_run *cr)
{
    struct lc_s3_object_req req = request(cr, on_deleted);
    struct lc_error err;

    lc_error_clear(&err);
    if (lc_s3_delete_object(cr->aws, &req, &err) != 0) {
        record(cr, LC_CANARY_DELETE, &err);
        finish(cr);
    }
}

/* After a failed PUT or HEAD: delete the run's own key when asked to, else stop. */
static void stop_or_delete(struct canary_run *cr)
{
    if (cr->delete_always)
        delete_object(cr);
    else
        finish(cr);
}

static void on_got(void *ud, const struct lc_s3_object_info *info, const struct lc_aws_resp *resp)
{
    struct canary_run *cr = ud;
    (void)info;
    record(cr, LC_CANARY_GET, &resp->err);
    if (resp->err.kind == LC_OK)
        cr->obs->content_match = resp->body->len == strlen(cr->body) &&
                                 memcmp(resp->body->data, cr->body, resp->body->len) == 0;
    delete_object(cr); /* the marker was verified by HEAD: the object is ours */
}

static void on_head(void *ud, const struct lc_s3_object_info *info, const struct lc_aws_resp *resp)
{
    struct canary_run *cr = ud;
    struct lc_canary_obs *o = cr->obs;
    struct lc_error err;

    record(cr, LC_CANARY_HEAD, &resp->err);
    if (resp->err.kind != LC_OK) {
        /* Without HEAD the object cannot be proven ours: only its own key may be deleted. */
        stop_or_delete(cr);
        return;
    }
    const char *marker = lc_kv_get(info->headers, MARKER_HEADER);
    if (!marker || strcmp(marker, cr->run_id) != 0) {
        lc_error_clear(&err);
        lc_error_set(&err, LC_E_INTERNAL,
                     "canary object %s does not carry this run's marker: not touching it", o->key);
        o->not_ours = true;
        o->failed_step = step_names[LC_CANARY_HEAD];
        o->err = err;
        finish(cr);
        return;
    }
    o->sse = dup_or_null(info->sse);
    o->sse_kms_key_id = dup_or_null(info->sse_kms_key_id);
    o->bucket_key = info->bucket_key_enabled;
    struct lc_s3_object_req req = request(cr, on_got);
    req.max_body = 64 * 1024;
    lc_error_clear(&err);
    if (lc_s3_get_object(cr->aws, &req, &err) != 0) {
        record(cr, LC_CANARY_GET, &err);
        delete_object(cr);
    }
}

static void on_put(void *ud, const struct lc_s3_object_info *info, const struct lc_aws_resp *resp)
{
    struct canary_run *cr = ud;
    struct lc_error err;
    (void)info;

    record(cr, LC_CANARY_PUT, &resp->err);
    if (resp->err.kind != LC_OK) {
        stop_or_delete(cr);
        return;
    }
    struct lc_s3_object_req req = request(cr, on_head);
    lc_error_clear(&err);
    if (lc_s3_head_object(cr->aws, &req, &err) != 0) {
        record(cr, LC_CANARY_HEAD, &err);
        stop_or_delete(cr);
    }
}

int lc_canary_start(struct lc_aws *aws, struct lc_credprov *creds, const struct lc_target_cfg *t,
                    const struct lc_canary_opts *opts, struct lc_canary_obs *obs,
                    void (*done)(void *ud), void *ud)
{
    struct canary_run *cr = calloc(1, sizeof(*cr));
    struct lc_kvlist h = {0};
    struct lc_buf key = {0}, body = {0};
    struct lc_error err;
    char stamp[32];
    struct tm tm;
    int rc;

    if (!cr)
        return LC_E_NOMEM;
    *cr = (struct canary_run){.aws = aws,
                              .creds = creds,
                              .obs = obs,
                              .run_id = strdup(opts->run_id),
                              .delete_always = opts->delete_always,
                              .done = done,
                              .ud = ud};
    obs->target = t;
    gmtime_r(&opts->now, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    rc = cr->run_id ? 0 : LC_E_NOMEM;
    if (!rc)
        rc = lc_buf_appendf(&key, "%s%s%s.txt", t->canary_prefix,
                            opts->key_label ? opts->key_label : "", opts->run_id);
    if (!rc)
        rc = lc_buf_appendf(&body, "%s\nrun: %s\ntarget: %s\nwritten: %s\n",
                            opts->title ? opts->title : "logcanary canary", opts->run_id, t->name,
                            stamp);
    if (!rc)
        rc = lc_kv_add(&h, MARKER_HEADER, opts->run_id);
    /* SSE-KMS with the expected key; without one, the bucket default applies. */
    if (!rc && t->kms_key_arn)
        rc = lc_kv_add(&h, "x-amz-server-side-encryption", "aws:kms");
    if (!rc && t->kms_key_arn)
        rc = lc_kv_add(&h, "x-amz-server-side-encryption-aws-kms-key-id", t->kms_key_arn);
    if (rc) {
        lc_buf_free(&key);
        lc_buf_free(&body);
        free(cr->run_id);
        free(cr);
        goto out;
    }
    obs->key = lc_buf_steal(&key);
    cr->body = lc_buf_steal(&body);
    obs->ran = true;
    clock_gettime(CLOCK_MONOTONIC, &cr->started);
    struct lc_s3_object_req req = request(cr, on_put);
    req.body = cr->body;
    req.body_len = strlen(cr->body);
    req.headers = &h;
    lc_error_clear(&err);
    if (lc_s3_put_object(aws, &req, &err) != 0) {
        record(cr, LC_CANARY_PUT, &err);
        stop_or_delete(cr);
    }
out:
    lc_kv_free(&h);
    return rc ? LC_E_NOMEM : 0;
}

void lc_canary_run_id(char *out, size_t len, time_t now)
{
    char host[64] = "host";
    unsigned char r[4] = {0};
    struct tm tm;
    char stamp[20];

    gethostname(host, sizeof(host) - 1);
    host[strcspn(host, "./ ")] = '\0';
    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
        memset(r, 0, sizeof(r));
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    snprintf(out, len, "%s-%s-%d-%02x%02x%02x%02x", stamp, host, (int)getpid(), r[0], r[1], r[2],
             r[3]);
}

void lc_canary_obs_free(struct lc_canary_obs *o)
{
    free(o->key);
    free(o->sse);
    free(o->sse_kms_key_id);
    memset(o, 0, sizeof(*o));
}
