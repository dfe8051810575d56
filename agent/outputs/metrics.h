/* Prometheus text exposition (format 0.0.4) of one run, for node_exporter's textfile collector
 * (lc_metrics_write_file: temp file, fsync, rename) or a /metrics listener (lc_metrics_render).
 *
 * Metrics (gauges unless noted):
 *   logcanary_stream_newest_delivery_age_seconds{target,source,account,region}  (absent when
 *                                                                 the stream has no delivery)
 *   logcanary_stream_status{target,source,account,region,status}  1 for the current status, 0
 *                                                                 for the others
 *   logcanary_stream_objects_seen{...}
 *   logcanary_stream_sample_valid{...}                            absent when not sampled
 *   logcanary_canary_status{target,bucket,status}                 1 / 0 as for streams
 *   logcanary_canary_latency_seconds{target,bucket}               absent when it did not run
 *   logcanary_findings{code}                                      every known code, 0 when none
 *   logcanary_aws_requests_total{service}, _retries_total, _errors_total   (counters)
 *   logcanary_alerts_pending, logcanary_alerts_dead_letters       only when has_alerts
 *   logcanary_run_duration_seconds
 *   logcanary_last_success_timestamp_seconds                      absent before any success
 * Label values are escaped (\\, \", \n). */
#ifndef LC_METRICS_H
#define LC_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "aws/aws.h"
#include "core/buf.h"
#include "pipeline/check.h"
#include "core/error.h"
#include "pipeline/findings.h"

struct lc_metrics_service {
    const char *service;
    struct lc_aws_stats stats;
};

struct lc_metrics_in {
    const struct lc_observations *obs;  /* NULL = no stream or canary metrics */
    const struct lc_findings *findings; /* statuses parallel to obs; NULL = none */
    const struct lc_metrics_service *services;
    size_t n_services;
    double run_duration_s;
    time_t last_success; /* 0 = never: metric omitted */
    bool has_alerts;     /* emit the alerts gauges */
    size_t alerts_pending, alerts_dead;
};

/* Fill out[] from aws, one entry per service with a place in the metrics (services table,
 * aws/services.h), in the order of their places; returns the count. Room for as many entries
 * as the table has rows is always enough. */
size_t lc_metrics_collect_aws(const struct lc_aws *aws, struct lc_metrics_service *out);

/* Append the exposition text to out. 0 or LC_E_NOMEM. */
int lc_metrics_render(const struct lc_metrics_in *in, struct lc_buf *out);
/* Write it to path atomically: "<dir>/.<name>.tmp.<pid>" (not *.prom, so the collector skips
 * it), fsync, rename. Mode 0644. 0 or LC_E_IO / LC_E_NOMEM with *err set; path is left as it
 * was on failure. */
int lc_metrics_write_file(const char *path, const struct lc_metrics_in *in, struct lc_error *err);

#endif
