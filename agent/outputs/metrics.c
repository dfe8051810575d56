/* Prometheus text exposition of a run. See metrics.h for the metric set. */
#include "aws/services.h"
#include "pipeline/findings.h"
#include "outputs/metrics.h"
#include "core/file.h"
#include "probes/probe.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N_STREAM_STATUS 6
#define N_CANARY_STATUS 3

/* The services with a place in the metrics, in that order (the places are 1..n). */
size_t lc_metrics_collect_aws(const struct lc_aws *aws, struct lc_metrics_service *out)
{
    size_t n = 0;

    for (size_t i = 0; lc_aws_service_at(i); i++) {
        const struct lc_aws_service *svc = lc_aws_service_at(i);
        struct lc_metrics_service *m;

        if (!svc->metrics_place)
            continue;
        m = &out[svc->metrics_place - 1];
        m->service = svc->name;
        lc_aws_get_stats(aws, svc->name, &m->stats);
        n++;
    }
    return n;
}

/* A label value, escaped per the exposition format. */
static int esc(struct lc_buf *b, const char *s)
{
    int rc = 0;
    for (; s && *s && !rc; s++) {
        if (*s == '\\')
            rc = lc_buf_append(b, "\\\\", 2);
        else if (*s == '"')
            rc = lc_buf_append(b, "\\\"", 2);
        else if (*s == '\n')
            rc = lc_buf_append(b, "\\n", 2);
        else
            rc = lc_buf_putc(b, *s);
    }
    return rc;
}

/* Numbers: integers exactly, others with 9 significant digits, and NaN/+Inf/-Inf. */
static int num(struct lc_buf *b, double v)
{
    if (isnan(v))
        return lc_buf_append(b, "NaN", 3);
    if (isinf(v))
        return lc_buf_appendf(b, "%sInf", v > 0 ? "+" : "-");
    if (v == floor(v) && fabs(v) < 9007199254740992.0)
        return lc_buf_appendf(b, "%.0f", v);
    return lc_buf_appendf(b, "%.9g", v);
}

static int head(struct lc_buf *b, const char *name, const char *type, const char *help)
{
    return lc_buf_appendf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{k1="v1",...} value; labels as NULL-terminated name/value pairs. */
static int sample(struct lc_buf *b, const char *name, const char *const *labels, double v)
{
    int rc = lc_buf_append(b, name, strlen(name));

    for (size_t i = 0; labels && labels[i] && !rc; i += 2) {
        rc = lc_buf_appendf(b, "%s%s=\"", i ? "," : "{", labels[i]);
        if (!rc)
            rc = esc(b, labels[i + 1]);
        if (!rc)
            rc = lc_buf_putc(b, '"');
    }
    if (!rc && labels && labels[0])
        rc = lc_buf_putc(b, '}');
    if (!rc)
        rc = lc_buf_putc(b, ' ');
    if (!rc)
        rc = num(b, v);
    if (!rc)
        rc = lc_buf_putc(b, '\n');
    return rc;
}

#define STREAM_LABELS(s)                                                                           \
    "target", (s)->target->name, "source", (s)->probe->cfg.name, "account", (s)->account,          \
        "region", (s)->region

static int streams(struct lc_buf *b, const struct lc_observations *o, const struct lc_findings *f)
{
    int rc = 0;

    rc = head(b, "logcanary_stream_newest_delivery_age_seconds", "gauge",
              "Age of the newest delivery of the stream.");
    for (size_t i = 0; i < o->n_streams && !rc; i++) {
        const struct lc_stream_obs *so = &o->streams[i];
        const char *l[] = {STREAM_LABELS(so->stream), NULL};
        if (so->newest_key)
            rc = sample(b, "logcanary_stream_newest_delivery_age_seconds", l,
                        (double)(o->now - so->newest_delivered));
    }
    if (!rc && f)
        rc = head(b, "logcanary_stream_status", "gauge",
                  "Status of the stream: 1 for the current status.");
    for (size_t i = 0; f && i < o->n_streams && !rc; i++) {
        const struct lc_stream *s = o->streams[i].stream;
        for (int k = 0; k < N_STREAM_STATUS && !rc; k++) {
            const char *l[] = {STREAM_LABELS(s), "status", lc_stream_status_name(k), NULL};
            rc = sample(b, "logcanary_stream_status", l, (int)f->stream_status[i] == k);
        }
    }
    if (!rc)
        rc = head(b, "logcanary_stream_objects_seen", "gauge",
                  "Delivery objects seen in the stream's listings.");
    for (size_t i = 0; i < o->n_streams && !rc; i++) {
        const struct lc_stream_obs *so = &o->streams[i];
        const char *l[] = {STREAM_LABELS(so->stream), NULL};
        rc = sample(b, "logcanary_stream_objects_seen", l, (double)so->objects_seen);
    }
    if (!rc)
        rc = head(b, "logcanary_stream_sample_valid", "gauge",
                  "1 when the sample of the newest delivery is valid.");
    for (size_t i = 0; i < o->n_streams && !rc; i++) {
        const struct lc_stream_obs *so = &o->streams[i];
        const char *l[] = {STREAM_LABELS(so->stream), NULL};
        if (so->sampled)
            rc = sample(b, "logcanary_stream_sample_valid", l, so->sample.valid ? 1 : 0);
    }
    return rc;
}

static int canaries(struct lc_buf *b, const struct lc_observations *o, const struct lc_findings *f)
{
    int rc = 0;

    if (f) {
        rc = head(b, "logcanary_canary_status", "gauge",
                  "Status of the canary: 1 for the current status.");
        for (size_t i = 0; i < o->n_canaries && !rc; i++) {
            const struct lc_target_cfg *t = o->canaries[i].target;
            for (int k = 0; k < N_CANARY_STATUS && !rc; k++) {
                const char *l[] = {"target",  t->name,  "bucket",
                                   t->bucket, "status", lc_canary_status_name(k),
                                   NULL};
                rc = sample(b, "logcanary_canary_status", l, (int)f->canary_status[i] == k);
            }
        }
    }
    if (!rc)
        rc = head(b, "logcanary_canary_latency_seconds", "gauge",
                  "Time from the canary's PUT to its DELETE.");
    for (size_t i = 0; i < o->n_canaries && !rc; i++) {
        const struct lc_canary_obs *c = &o->canaries[i];
        const char *l[] = {"target", c->target->name, "bucket", c->target->bucket, NULL};
        if (c->ran)
            rc = sample(b, "logcanary_canary_latency_seconds", l, c->latency_s);
    }
    return rc;
}

static int findings(struct lc_buf *b, const struct lc_findings *f)
{
    int rc = head(b, "logcanary_findings", "gauge", "Findings of the run by code.");

    for (int k = 0; k < LC_F_COUNT && !rc; k++) {
        size_t n = 0;
        for (size_t i = 0; f && i < f->n; i++)
            n += f->items[i].code == (enum lc_finding_code)k;
        const char *l[] = {"code", lc_finding_name((enum lc_finding_code)k), NULL};
        rc = sample(b, "logcanary_findings", l, (double)n);
    }
    return rc;
}

static int aws_stats(struct lc_buf *b, const struct lc_metrics_in *in)
{
    static const struct {
        const char *name, *help;
        size_t off;
    } m[] = {
        {"logcanary_aws_requests_total", "AWS requests sent, by service.",
         offsetof(struct lc_aws_stats, requests)},
        {"logcanary_aws_retries_total", "AWS requests retried, by service.",
         offsetof(struct lc_aws_stats, retries)},
        {"logcanary_aws_errors_total", "AWS calls that failed after retries, by service.",
         offsetof(struct lc_aws_stats, errors)},
    };
    int rc = 0;

    for (size_t k = 0; k < sizeof(m) / sizeof(m[0]) && !rc; k++) {
        rc = head(b, m[k].name, "counter", m[k].help);
        for (size_t i = 0; i < in->n_services && !rc; i++) {
            uint64_t v;
            memcpy(&v, (const char *)&in->services[i].stats + m[k].off, sizeof(v));
            const char *l[] = {"service", in->services[i].service, NULL};
            rc = sample(b, m[k].name, l, (double)v);
        }
    }
    return rc;
}

int lc_metrics_render(const struct lc_metrics_in *in, struct lc_buf *out)
{
    int rc = 0;

    if (in->obs) {
        rc = streams(out, in->obs, in->findings);
        if (!rc)
            rc = canaries(out, in->obs, in->findings);
    }
    if (!rc)
        rc = findings(out, in->findings);
    if (!rc)
        rc = aws_stats(out, in);
    if (!rc && in->has_alerts) {
        rc = head(out, "logcanary_alerts_pending", "gauge", "Notifications waiting in the outbox.");
        if (!rc)
            rc = sample(out, "logcanary_alerts_pending", NULL, (double)in->alerts_pending);
        if (!rc)
            rc = head(out, "logcanary_alerts_dead_letters", "gauge",
                      "Notifications a sink rejected, kept in the state file.");
        if (!rc)
            rc = sample(out, "logcanary_alerts_dead_letters", NULL, (double)in->alerts_dead);
    }
    if (!rc)
        rc = head(out, "logcanary_run_duration_seconds", "gauge", "Duration of the run.");
    if (!rc)
        rc = sample(out, "logcanary_run_duration_seconds", NULL, in->run_duration_s);
    if (!rc && in->last_success) {
        rc = head(out, "logcanary_last_success_timestamp_seconds", "gauge",
                  "When a run last completed its checks (Unix time).");
        if (!rc)
            rc = sample(out, "logcanary_last_success_timestamp_seconds", NULL,
                        (double)in->last_success);
    }
    return rc ? LC_E_NOMEM : 0;
}

int lc_metrics_write_file(const char *path, const struct lc_metrics_in *in, struct lc_error *err)
{
    struct lc_error local;
    struct lc_buf b = {0};
    int rc;

    if (!err)
        err = &local;
    lc_error_clear(err);
    if (lc_metrics_render(in, &b) != 0) {
        lc_buf_free(&b);
        lc_error_set(err, LC_E_NOMEM, "out of memory rendering the metrics");
        return LC_E_NOMEM;
    }
    rc = lc_file_replace(path, b.data ? b.data : "", b.len, 0644, false, err);
    lc_buf_free(&b);
    return rc;
}
