/* The check engine. Each stream is a small state machine driven by S3 callbacks:
 *
 *   window listings -> (nothing recent? lookback listings) -> sample GET of the newest -> done
 *
 * and each canary a fixed sequence PUT -> HEAD -> GET -> DELETE. All of them start at once;
 * the HTTP engine's caps decide how many requests are on the wire. The loop runs until the last
 * one finishes. Nothing here knows key layouts (the probes do) or judges results (findings.c). */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "core/arn.h"
#include "core/array.h"
#include "aws/awscall.h"
#include "aws/awsjson.h"
#include "aws/awsxml.h"
#include "pipeline/check.h"
#include "aws/creds/creds.h"
#include "core/log.h"
#include "probes/probe.h"
#include "aws/s3.h"

/* When nothing recent is found, look this far back for the newest older delivery, so that the
 * report can say "last delivery 5 h ago" instead of only "none in 30 min". Healthy streams never
 * pay for it. */
#define LOOKBACK_MIN_S (24 * 3600)
#define LOOKBACK_MAX_S (7 * 24 * 3600)

struct role_cred {
    char *role_arn;
    struct lc_credprov *prov;
};

struct check {
    struct lc_aws *aws;
    struct lc_observations *obs;
    const struct lc_config *cfg;
    const struct lc_plan *plan;
    const struct lc_check_creds *creds;
    struct lc_check_opts opts;
    int phase;       /* 1: streams and canaries; 2: diagnosis of what failed */
    int outstanding; /* work under way in the current phase (+1 while starting it) */
    lc_check_done_cb done;
    void *ud;
    struct role_cred *roles; /* status_role_arn providers made during this run */
    size_t n_roles, cap_roles;
};

static void check_advance(struct check *ck);

struct stream_run {
    struct check *ck;
    struct lc_stream_obs *obs;
    struct lc_credprov *creds;
    struct lc_listings todo;
    size_t next;
    bool lookback;
    struct lc_sample *sample;
    uint64_t sample_fed;
    bool sample_enough;
};

struct canary_run {
    struct check *ck;
    struct lc_canary_obs *obs;
    struct lc_credprov *creds;
    char *body;
    char *run_id;
    struct timespec started;
};

static const char *target_region(const struct lc_target_cfg *t, struct lc_aws *aws)
{
    return lc_target_region(t, lc_aws_default_region(aws));
}

static void check_done_one(struct check *ck)
{
    if (--ck->outstanding == 0)
        check_advance(ck);
}

/* ---- streams -------------------------------------------------------------------------------- */

static void stream_finish(struct stream_run *sr)
{
    lc_listings_free(&sr->todo);
    lc_sample_free(sr->sample);
    check_done_one(sr->ck);
    free(sr);
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int on_object(void *ud, const struct lc_s3_object *o)
{
    struct stream_run *sr = ud;
    const struct lc_stream *s = sr->obs->stream;
    struct lc_stream_obs *obs = sr->obs;
    time_t name_time = 0;

    if (s->probe->classify(s, o->key, &name_time) != LC_KEY_DELIVERY)
        return 0;
    obs->objects_seen++;
    /* An object whose name says 10:00 but that landed at 16:00 is not a 16:00 delivery (a copy,
     * a replay): trust the name plus the service's latency when it is the older of the two. */
    time_t delivered = o->last_modified;
    if (name_time && name_time + s->probe->latency_allowance_s < delivered)
        delivered = name_time + s->probe->latency_allowance_s;
    if (delivered > sr->ck->obs->now)
        delivered = sr->ck->obs->now; /* not delivered in the future of the check */
    if (obs->newest_key &&
        (delivered < obs->newest_delivered ||
         (delivered == obs->newest_delivered && strcmp(o->key, obs->newest_key) <= 0)))
        return 0;
    char *k = strdup(o->key);
    if (!k)
        return 1;
    free(obs->newest_key);
    obs->newest_key = k;
    obs->newest_size = o->size;
    obs->newest_modified = o->last_modified;
    obs->newest_name_time = name_time;
    obs->newest_delivered = delivered;
    return 0;
}

static int on_group(void *ud, const struct lc_s3_object *o);
static void stream_next(struct stream_run *sr);

static void on_list_done(void *ud, const struct lc_s3_list_result *res)
{
    struct stream_run *sr = ud;

    sr->obs->requests += res->requests;
    if (res->err.kind != LC_OK) {
        sr->obs->list_err = res->err;
        stream_finish(sr);
        return;
    }
    stream_next(sr);
}

static void stream_sample(struct stream_run *sr);

/* Anything at all under the stream's folder, however old: one key is enough. */
static int on_anything(void *ud, const struct lc_s3_object *o)
{
    struct stream_run *sr = ud;
    (void)o;
    sr->obs->ever_found = true;
    return 0;
}

static void on_ever_done(void *ud, const struct lc_s3_list_result *res)
{
    struct stream_run *sr = ud;

    sr->obs->requests += res->requests;
    if (res->err.kind != LC_OK)
        sr->obs->ever_asked = false; /* unknown: the stream stays "missing" */
    stream_finish(sr);
}

/* Nothing in the lookback either: has this stream ever delivered? */
static void stream_ever(struct stream_run *sr)
{
    const struct lc_stream *s = sr->obs->stream;
    struct lc_error err;
    struct lc_s3_list_req req = {
        .creds = sr->creds,
        .bucket = s->target->bucket,
        .region = target_region(s->target, sr->ck->aws),
        .prefix = s->base,
        .max_keys = 1,
        .max_pages = 1,
        .on_object = on_anything,
        .on_done = on_ever_done,
        .ud = sr,
    };

    lc_error_clear(&err);
    sr->obs->ever_asked = true;
    if (lc_s3_list(sr->ck->aws, &req, &err) != 0) {
        sr->obs->ever_asked = false;
        stream_finish(sr);
    }
}

static void stream_next(struct stream_run *sr)
{
    struct lc_stream_obs *obs = sr->obs;
    const struct lc_stream *s = obs->stream;
    struct lc_error err;

    lc_error_clear(&err);
    if (sr->next == sr->todo.n) {
        if (!obs->newest_key && !sr->lookback) {
            /* Nothing recent: find the newest older delivery for the report. */
            time_t span = 4 * s->source->max_age_s;
            if (span < LOOKBACK_MIN_S)
                span = LOOKBACK_MIN_S;
            if (span > LOOKBACK_MAX_S)
                span = LOOKBACK_MAX_S;
            sr->lookback = true;
            obs->lookback_from = obs->window_from - span;
            lc_listings_free(&sr->todo);
            sr->next = 0;
            if (s->probe->listings(s, obs->lookback_from, obs->window_from, &sr->todo)) {
                lc_error_set(&obs->list_err, LC_E_NOMEM, "out of memory planning listings");
                stream_finish(sr);
                return;
            }
            stream_next(sr);
            return;
        }
        if (!obs->newest_key && obs->objects_seen == 0) {
            stream_ever(sr);
            return;
        }
        stream_sample(sr);
        return;
    }
    const struct lc_listing *l = &sr->todo.items[sr->next++];
    struct lc_s3_list_req req = {
        .creds = sr->creds,
        .bucket = s->target->bucket,
        .region = target_region(s->target, sr->ck->aws),
        .prefix = l->prefix,
        .start_after = l->start_after,
        .delimiter = l->group_by,
        .on_object = on_object,
        .on_prefix = l->group_by ? on_group : NULL,
        .on_done = on_list_done,
        .ud = sr,
    };
    /* The current listing's suffix must outlive a realloc of todo by on_group. */
    if (lc_s3_list(sr->ck->aws, &req, &err) != 0) {
        obs->list_err = err;
        stream_finish(sr);
    }
}

/* A discovery listing found a group (the files of one id): list it from the window's start. */
static int on_group(void *ud, const struct lc_s3_object *o)
{
    struct stream_run *sr = ud;
    const struct lc_listing *cur = &sr->todo.items[sr->next - 1];
    struct lc_buf after = {0};
    char *suffix = dup_or_null(cur->start_after_suffix);
    int rc = lc_buf_appendf(&after, "%s%s", o->key, suffix ? suffix : "");

    if (!rc)
        rc = lc_listings_add(&sr->todo, o->key, suffix ? after.data : NULL, NULL, NULL);
    free(suffix);
    lc_buf_free(&after);
    return rc;
}

static int on_sample_body(void *ud, const char *data, size_t len)
{
    struct stream_run *sr = ud;
    sr->sample_fed += len;
    if (lc_sample_feed(sr->sample, data, len) == 1) {
        sr->sample_enough = true;
        return 1; /* enough seen: stop the transfer */
    }
    return 0;
}

static void on_sample_restart(void *ud)
{
    struct stream_run *sr = ud;
    struct lc_sample_opts o = {.format = lc_probe_format_of(sr->obs->stream, sr->obs->newest_key)};
    lc_sample_free(sr->sample);
    sr->sample = lc_sample_new(&o);
    sr->sample_fed = 0;
    sr->sample_enough = false;
}

static void on_sample_done(void *ud, const struct lc_s3_object_info *info,
                           const struct lc_aws_resp *resp)
{
    struct stream_run *sr = ud;
    struct lc_stream_obs *obs = sr->obs;

    obs->requests++;
    obs->sse = dup_or_null(info->sse);
    obs->sse_kms_key_id = dup_or_null(info->sse_kms_key_id);
    obs->bucket_key = info->bucket_key_enabled;
    if (resp->err.kind != LC_OK && !(resp->err.kind == LC_E_CANCELLED && sr->sample_enough)) {
        obs->sample_err = resp->err;
    } else {
        obs->sampled = true;
        lc_sample_finish(sr->sample, !sr->sample_enough && sr->sample_fed >= obs->newest_size,
                         &obs->sample);
    }
    stream_finish(sr);
}

static void stream_sample(struct stream_run *sr)
{
    struct lc_stream_obs *obs = sr->obs;
    const struct lc_stream *s = obs->stream;
    struct lc_error err;

    if (!obs->newest_key || !s->source->sample) {
        stream_finish(sr);
        return;
    }
    on_sample_restart(sr);
    if (sr->sample && obs->newest_size == 0) {
        /* A ranged GET of an empty object is a 416: the listing already says it is empty. */
        obs->sampled = true;
        lc_sample_finish(sr->sample, true, &obs->sample);
        stream_finish(sr);
        return;
    }
    if (!sr->sample) {
        lc_error_set(&obs->sample_err, LC_E_NOMEM, "out of memory");
        stream_finish(sr);
        return;
    }
    lc_error_clear(&err);
    struct lc_s3_object_req req = {
        .creds = sr->creds,
        .bucket = s->target->bucket,
        .region = target_region(s->target, sr->ck->aws),
        .key = obs->newest_key,
        .range_start = 0,
        .range_end = (int64_t)s->source->sample_bytes - 1,
        .max_body = s->source->sample_bytes + 1024,
        .on_body = on_sample_body,
        .on_restart = on_sample_restart,
        .on_done = on_sample_done,
        .ud = sr,
    };
    if (lc_s3_get_object(sr->ck->aws, &req, &err) != 0) {
        obs->sample_err = err;
        stream_finish(sr);
    }
}

static int stream_start(struct check *ck, struct lc_stream_obs *obs, struct lc_credprov *creds)
{
    const struct lc_stream *s = obs->stream;
    struct stream_run *sr = calloc(1, sizeof(*sr));

    if (!sr)
        return LC_E_NOMEM;
    sr->ck = ck;
    sr->obs = obs;
    sr->creds = creds;
    /* Deliveries named from (now - max_age), or from --since when that is earlier, minus the
     * service's latency: a file named 10:00 may land at 10:15. */
    time_t from = ck->obs->now - s->source->max_age_s;
    if (ck->obs->since && ck->obs->since < from)
        from = ck->obs->since;
    obs->window_from = from - s->probe->latency_allowance_s;
    if (s->probe->listings(s, obs->window_from, ck->obs->now, &sr->todo)) {
        lc_listings_free(&sr->todo);
        free(sr);
        return LC_E_NOMEM;
    }
    ck->outstanding++;
    stream_next(sr);
    return 0;
}

/* ---- canaries and the bucket's reads ------------------------------------------------------ */

static void on_step_done(void *ud)
{
    check_done_one(ud);
}

/* A read of this target was denied by KMS: the diagnosis needs to know who was denied. */
static bool kms_read_denied(const struct lc_observations *o, const struct lc_target_cfg *t)
{
    for (size_t i = 0; i < o->n_streams; i++)
        if (o->streams[i].stream->target == t && o->streams[i].sample_err.kms)
            return true;
    return false;
}

static int target_start(struct check *ck, struct lc_target_obs *o, struct lc_credprov *creds)
{
    struct lc_bucket_opts opts = {.caller = kms_read_denied(ck->obs, o->target)};
    int rc = lc_bucket_reads_start(ck->aws, creds, o->target, &opts, o, on_step_done, ck);

    if (!rc)
        ck->outstanding++;
    return rc;
}

/* ---- the run -------------------------------------------------------------------------------- */

/* This stream failed in a way its service's own status could explain. */
static bool stream_needs_diagnosis(const struct lc_observations *o, const struct lc_stream_obs *so)
{
    return so->list_err.auth || so->sample_err.auth || so->sample_err.kms || lc_stream_late(o, so);
}
static struct lc_credprov *role_creds(struct check *ck, const struct lc_check_creds *creds,
                                      const struct lc_stream *s, struct lc_error *err)
{
    char *role = lc_stream_status_role(s);
    if (!role) {
        lc_error_set(err, LC_E_NOMEM, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < ck->n_roles; i++)
        if (strcmp(ck->roles[i].role_arn, role) == 0) {
            free(role);
            return ck->roles[i].prov;
        }
    if (LC_ARRAY_GROW(ck->roles, ck->n_roles, ck->cap_roles)) {
        free(role);
        lc_error_set(err, LC_E_NOMEM, "out of memory");
        return NULL;
    }
    struct lc_credprov *p = lc_credprov_assume_role(ck->aws, creds->base, role, NULL,
                                                    "logcanary-status", s->region, err);
    if (!p) {
        free(role);
        return NULL;
    }
    ck->roles[ck->n_roles++] = (struct role_cred){role, p};
    return p;
}

static void start_status(struct check *ck, const struct lc_check_creds *creds,
                         struct lc_stream_obs *so)
{
    struct lc_error err;
    lc_error_clear(&err);
    struct lc_credprov *p = role_creds(ck, creds, so->stream, &err);
    if (p &&
        lc_status_start(ck->aws, p, so->stream, NULL, &so->status, on_step_done, ck, &err) == 0) {
        ck->outstanding++;
        return;
    }
    so->status.asked = true;
    so->status.err = err;
    so->status.permission = "sts:AssumeRole";
}

/* A stream or canary of this target failed in a way the bucket or key could explain. */
static bool needs_diagnosis(const struct lc_observations *o, const struct lc_target_cfg *t)
{
    for (size_t i = 0; i < o->n_streams; i++) {
        const struct lc_stream_obs *so = &o->streams[i];
        if (so->stream->target != t)
            continue;
        if (stream_needs_diagnosis(o, so))
            return true;
    }
    for (size_t i = 0; i < o->n_canaries; i++) {
        const struct lc_canary_obs *c = &o->canaries[i];
        if (c->target == t && c->failed_step && (c->err.kms || c->err.auth))
            return true;
    }
    return false;
}

static size_t target_index(const struct lc_config *cfg, const struct lc_target_cfg *t)
{
    return (size_t)(t - cfg->targets);
}

/* The folder of s as the witness lists it: "" or "<folder>/". */
static void witness_folder(const struct lc_stream *s, char *out, size_t len)
{
    const char *f = lc_stream_folder(s);
    snprintf(out, len, "%s%s", f, *f ? "/" : "");
}

/* Is (t, folder) already among the first n witnesses? */
static bool witnessed(const struct lc_witness_obs *w, size_t n, const struct lc_target_cfg *t,
                      const char *folder)
{
    for (size_t k = 0; k < n; k++)
        if (w[k].target == t && w[k].folder && strcmp(w[k].folder, folder) == 0)
            return true;
    return false;
}

/* The bucket as a witness, for each folder of a target whose accounts are discovered: one
 * listing (two with an organization trail's folder) per folder. The array is sized first: the
 * listings write into its elements. */
static int start_witnesses(struct check *ck)
{
    const struct lc_plan *plan = ck->plan;
    struct lc_observations *out = ck->obs;
    size_t most = 0;
    char folder[1100];

    for (size_t i = 0; i < plan->n_streams; i++)
        most += plan->streams[i].source->accounts_from != NULL;
    if (!most)
        return 0;
    out->witnesses = calloc(most, sizeof(*out->witnesses));
    if (!out->witnesses)
        return LC_E_NOMEM;
    for (size_t i = 0; i < plan->n_streams; i++) {
        const struct lc_stream *s = &plan->streams[i];
        if (!s->source->accounts_from)
            continue;
        witness_folder(s, folder, sizeof(folder));
        if (witnessed(out->witnesses, out->n_witnesses, s->target, folder))
            continue;
        struct lc_witness_obs *w = &out->witnesses[out->n_witnesses++];
        struct lc_credprov *creds = ck->creds->targets[target_index(ck->cfg, s->target)];
        if (lc_witness_start(ck->aws, creds, s->target, target_region(s->target, ck->aws), folder,
                             w, on_step_done, ck) == 0)
            ck->outstanding++;
        else
            w->target = s->target; /* not started: its error says why */
    }
    return 0;
}

/* Phase two, only for targets with a problem: what the bucket and its key say, and what each
 * failing stream's service says in the source account. */
static int start_diagnosis(struct check *ck)
{
    struct lc_observations *out = ck->obs;
    const struct lc_config *cfg = ck->cfg;
    int rc = 0;

    for (size_t ti = 0; ti < cfg->n_targets && !rc; ti++) {
        const struct lc_target_cfg *t = &cfg->targets[ti];
        if (!needs_diagnosis(out, t))
            continue;
        struct lc_target_obs *to = &out->targets[out->n_targets++];
        to->target = t;
        rc = target_start(ck, to, ck->creds->targets[ti]);
        for (size_t i = 0; i < out->n_streams && !rc; i++) {
            struct lc_stream_obs *so = &out->streams[i];
            if (so->stream->target == t && so->stream->source->status_role_arn &&
                stream_needs_diagnosis(out, so))
                start_status(ck, ck->creds, so);
        }
    }
    return rc;
}

static void release_start_ref(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    check_done_one(arg);
}

/* Start a phase holding one reference, released from the loop: a phase whose every request
 * failed at once still finishes from the loop, never inside the caller. */
static void run_phase(struct check *ck, int phase)
{
    struct timeval zero = {0, 0};
    int rc = 0;

    ck->phase = phase;
    ck->outstanding++;
    if (phase == 2)
        rc = start_diagnosis(ck);
    if (rc && ck->obs->fatal.kind == LC_OK)
        lc_error_set(&ck->obs->fatal, rc, "could not start the diagnosis");
    if (event_base_once(lc_aws_base(ck->aws), -1, EV_TIMEOUT, release_start_ref, ck, &zero) != 0)
        check_done_one(ck);
}

static void check_advance(struct check *ck)
{
    if (ck->phase == 1 && ck->opts.discover && ck->obs->fatal.kind == LC_OK) {
        run_phase(ck, 2);
        return;
    }
    for (size_t i = 0; i < ck->n_roles; i++) {
        lc_credprov_free(ck->roles[i].prov);
        free(ck->roles[i].role_arn);
    }
    free(ck->roles);
    ck->done(ck->ud, ck->obs);
    free(ck);
}

int lc_check_start(struct lc_aws *aws, const struct lc_config *cfg, const struct lc_plan *plan,
                   const struct lc_check_creds *creds, const struct lc_check_opts *opts,
                   struct lc_observations *out, lc_check_done_cb done, void *ud)
{
    struct check *ck = calloc(1, sizeof(*ck));
    char run_id[128];
    int rc = 0;

    memset(out, 0, sizeof(*out));
    if (!ck) {
        lc_error_set(&out->fatal, LC_E_NOMEM, "out of memory");
        return LC_E_NOMEM;
    }
    *ck = (struct check){.aws = aws,
                         .obs = out,
                         .cfg = cfg,
                         .plan = plan,
                         .creds = creds,
                         .opts = *opts,
                         .done = done,
                         .ud = ud};
    out->now = opts->now ? opts->now : lc_aws_now(aws);
    out->since = opts->since;
    out->plan = plan;
    out->discovered = opts->discovered;
    out->grace_s = cfg->grace_s;
    if (opts->run_id)
        lc_strlcpy(run_id, opts->run_id, sizeof(run_id));
    else
        lc_canary_run_id(run_id, sizeof(run_id), out->now);
    out->streams = calloc(plan->n_streams ? plan->n_streams : 1, sizeof(*out->streams));
    out->canaries = calloc(cfg->n_targets ? cfg->n_targets : 1, sizeof(*out->canaries));
    out->targets = calloc(cfg->n_targets ? cfg->n_targets : 1, sizeof(*out->targets));
    if (!out->streams || !out->canaries || !out->targets) {
        lc_error_set(&out->fatal, LC_E_NOMEM, "out of memory");
        free(ck);
        return LC_E_NOMEM;
    }
    ck->phase = 1;
    ck->outstanding = 1; /* the start reference, released by run_phase's deferred event */
    out->n_streams = plan->n_streams;
    for (size_t i = 0; i < plan->n_streams && !rc; i++) {
        const struct lc_stream *s = &plan->streams[i];
        out->streams[i].stream = s;
        rc = stream_start(ck, &out->streams[i], creds->targets[target_index(cfg, s->target)]);
    }
    /* One canary per target that is in the plan and wants one. */
    for (size_t ti = 0; ti < cfg->n_targets && !rc && opts->canary; ti++) {
        const struct lc_target_cfg *t = &cfg->targets[ti];
        bool planned = false;
        for (size_t i = 0; i < plan->n_streams; i++)
            planned = planned || plan->streams[i].target == t;
        if (!planned || !t->canary)
            continue;
        struct lc_canary_obs *c = &out->canaries[out->n_canaries++];
        struct lc_canary_opts co = {.run_id = run_id, .now = out->now};
        c->target = t;
        rc = lc_canary_start(aws, creds->targets[ti], t, &co, c, on_step_done, ck);
        if (!rc)
            ck->outstanding++;
    }
    if (!rc)
        rc = start_witnesses(ck);
    /* Even after a start failure, what was started finishes: its callbacks own memory. */
    if (rc)
        lc_error_set(&out->fatal, rc, "could not start the checks");
    struct timeval zero = {0, 0};
    if (event_base_once(lc_aws_base(aws), -1, EV_TIMEOUT, release_start_ref, ck, &zero) != 0) {
        lc_error_set(&out->fatal, LC_E_NOMEM, "cannot schedule on the event loop");
        ck->outstanding--; /* nothing else can release it; the loop finishes the rest */
    }
    return 0;
}

struct run_wait {
    bool done;
};

static void on_run_done(void *ud, struct lc_observations *obs)
{
    struct run_wait *w = ud;
    (void)obs;
    w->done = true;
}

int lc_check_run(struct lc_aws *aws, const struct lc_config *cfg, const struct lc_plan *plan,
                 const struct lc_check_creds *creds, const struct lc_check_opts *opts,
                 struct lc_observations *out)
{
    struct run_wait w = {false};
    int rc = lc_check_start(aws, cfg, plan, creds, opts, out, on_run_done, &w);

    if (rc)
        return rc;
    while (!w.done)
        if (event_base_loop(lc_aws_base(aws), EVLOOP_ONCE) != 0)
            break;
    if (!w.done) {
        lc_error_set(&out->fatal, LC_E_INTERNAL, "event loop ran dry before the checks ended");
        return LC_E_INTERNAL;
    }
    return out->fatal.kind;
}

const struct lc_witness_obs *lc_witness_of(const struct lc_observations *o,
                                           const struct lc_stream *s)
{
    char folder[1100];

    witness_folder(s, folder, sizeof(folder));
    for (size_t k = 0; k < o->n_witnesses; k++)
        if (o->witnesses[k].target == s->target && o->witnesses[k].folder &&
            strcmp(o->witnesses[k].folder, folder) == 0)
            return &o->witnesses[k];
    return NULL;
}

bool lc_stream_late(const struct lc_observations *o, const struct lc_stream_obs *so)
{
    if (so->list_err.kind != LC_OK)
        return false; /* nothing is known */
    return !so->newest_key || o->now - so->newest_delivered > so->stream->source->max_age_s ||
           (o->since && so->newest_delivered < o->since);
}

void lc_observations_free(struct lc_observations *o)
{
    for (size_t i = 0; i < o->n_streams; i++) {
        free(o->streams[i].newest_key);
        free(o->streams[i].sse);
        free(o->streams[i].sse_kms_key_id);
        lc_status_obs_free(&o->streams[i].status);
    }
    for (size_t i = 0; i < o->n_canaries; i++)
        lc_canary_obs_free(&o->canaries[i]);
    for (size_t i = 0; i < o->n_targets; i++)
        lc_target_obs_free(&o->targets[i]);
    for (size_t i = 0; i < o->n_witnesses; i++)
        lc_witness_obs_free(&o->witnesses[i]);
    free(o->streams);
    free(o->canaries);
    free(o->targets);
    free(o->witnesses);
    memset(o, 0, sizeof(*o));
}
