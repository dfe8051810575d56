/* The status runner and what the probes' readers share (status.h). */
#include "pipeline/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/awscall.h"
#include "pipeline/plan.h"
#include "probes/probe.h"

static void record(struct lc_status_run *r, const char *permission, const struct lc_error *e)
{
    struct lc_status_obs *o = r->o;

    if (o->n_calls < LC_STATUS_MAX_CALLS)
        o->calls[o->n_calls++] = (struct lc_status_call){permission, *e};
}

bool lc_status_answer(struct lc_status_run *r, const char *permission,
                      const struct lc_aws_resp *resp)
{
    r->o->requests += resp->attempts;
    record(r, permission, &resp->err);
    return resp->err.kind == LC_OK;
}

int lc_status_json(struct lc_status_run *r, const char *permission, const char *service,
                   const char *region, const char *operation, const cJSON *input, lc_awsjson_cb cb)
{
    struct lc_error err;
    int rc;

    lc_error_clear(&err);
    rc = lc_aws_json_call(r->aws, r->creds, service, region, operation, input, cb, r, &err);
    if (rc)
        record(r, permission, &err);
    return rc;
}

int lc_status_query(struct lc_status_run *r, const char *permission, const char *service,
                    const char *region, const char *action, const struct lc_kvlist *params,
                    lc_awsquery_cb cb)
{
    struct lc_error err;
    int rc;

    lc_error_clear(&err);
    rc = lc_aws_query_call(r->aws, r->creds, service, region, action, params, cb, r, &err);
    if (rc)
        record(r, permission, &err);
    return rc;
}

void lc_status_finish(struct lc_status_run *r)
{
    r->done(r->ud);
    free(r);
}

void lc_status_fail(struct lc_status_run *r, const struct lc_error *e, const char *permission)
{
    r->o->err = *e;
    r->o->permission = permission;
    lc_status_finish(r);
}

void lc_status_stop(struct lc_status_run *r, const char *why)
{
    r->o->not_made = why;
    lc_status_finish(r);
}

void lc_status_summary(struct lc_status_obs *o, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    free(o->summary);
    o->summary = strdup(buf);
}

void lc_status_add_str(cJSON *o, const char *name, const char *v)
{
    if (v && *v)
        cJSON_AddStringToObject(o, name, v);
}

int lc_status_start(struct lc_aws *aws, struct lc_credprov *creds, const struct lc_stream *s,
                    const struct lc_status_opts *opts, struct lc_status_obs *out,
                    void (*done)(void *ud), void *ud, struct lc_error *err)
{
    const struct lc_status_reader *reader = s->probe->status;
    struct lc_status_run *r;
    int rc;

    out->asked = true;
    if (!reader) {
        lc_error_set(err, LC_E_INTERNAL, "%s has no status reader", s->probe->cfg.name);
        return LC_E_INTERNAL;
    }
    r = calloc(1, sizeof(*r));
    out->detail = cJSON_CreateObject();
    if (!r || !out->detail) {
        free(r);
        lc_error_set(err, LC_E_NOMEM, "out of memory");
        return LC_E_NOMEM;
    }
    *r = (struct lc_status_run){.aws = aws,
                                .creds = creds,
                                .s = s,
                                .o = out,
                                .try_all = opts && opts->try_all,
                                .done = done,
                                .ud = ud};
    rc = reader->start(r, err);
    if (rc) {
        if (out->n_calls && err->kind == LC_OK)
            *err = out->calls[out->n_calls - 1].err;
        free(r);
    }
    return rc;
}

void lc_status_obs_free(struct lc_status_obs *o)
{
    free(o->summary);
    cJSON_Delete(o->detail);
    memset(o, 0, sizeof(*o));
}
