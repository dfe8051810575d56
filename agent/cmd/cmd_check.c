/* logcanary check: config -> plan -> requests -> observations -> findings -> report. */
#include <event2/event.h>
#include <stdint.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "outputs/alerts.h"
#include "aws/aws.h"
#include "pipeline/check.h"
#include "cmd/cli.h"
#include "cmd/options.h"
#include "config/config.h"
#include "aws/creds/creds.h"
#include "pipeline/findings.h"
#include "core/http.h"
#include "core/log.h"
#include "outputs/metrics.h"
#include "pipeline/plan.h"
#include "outputs/report.h"
#include "cmd/runtime.h"
#include "outputs/state.h"

struct check_args {
    const char *config;
    int format; /* enum lc_format */
    const char *output;
    const char *target;
    const char *source;
    bool no_canary;
    int verbose;
    time_t now;
    time_t since;
    int64_t wait_s;
    int64_t wait_interval_s;
    const char *metrics_file;
};

/* Options into a (its defaults set): 0, or what lc_opt_parse() returns when the command must
 * not run. */
static int parse_args(int argc, char **argv, struct check_args *a)
{
    const struct lc_opt opts[] = {
        lc_opt_config(&a->config),
        lc_opt_report_format(&a->format),
        {.name = "output",
         .letter = 'o',
         .kind = LC_OPT_STRING,
         .to.string = &a->output,
         .value = "FILE"},
        lc_opt_target(&a->target),
        {.name = "source",
         .letter = 's',
         .kind = LC_OPT_STRING,
         .to.string = &a->source,
         .value = "TYPE"},
        {.name = "no-canary", .letter = 'n', .kind = LC_OPT_FLAG, .to.flag = &a->no_canary},
        lc_opt_verbose(&a->verbose, NULL),
        {.name = "since",
         .kind = LC_OPT_SINCE,
         .to.time = &a->since,
         .help = "every stream needs a delivery newer than TIME (or than DURATION ago)"},
        {.name = "wait",
         .kind = LC_OPT_DURATION,
         .to.seconds = &a->wait_s,
         .min = 1,
         .help = "re-check until every stream has such a delivery (default: newer than the\n"
                 "start of the command), or fail when DURATION has passed"},
        {.name = "wait-interval",
         .kind = LC_OPT_DURATION,
         .to.seconds = &a->wait_interval_s,
         .min = 1},
        {.name = "metrics-file",
         .kind = LC_OPT_STRING,
         .to.string = &a->metrics_file,
         .value = "FILE",
         .help = "write Prometheus metrics for node_exporter's textfile collector"},
        {.name = "now",
         .kind = LC_OPT_TIME,
         .to.time = &a->now,
         .help = "evaluate as of TIME (ISO-8601 UTC), to reproduce a report"},
        {.name = NULL},
    };
    const struct lc_opt_cmd cmd = {.name = "check", .opts = opts};

    return lc_opt_parse(&cmd, argc, argv);
}

/* The run's outcome into the incident state, and the alerts it owes out (cron and timer runs:
 * the state file carries incidents from one run to the next). Only with alerts configured, or
 * a state directory that exists. Problems here are reported but do not change the verdict. */
static void process_incidents(struct lc_runtime *rt, const struct lc_config *cfg,
                              const struct lc_observations *obs, const struct lc_findings *f,
                              struct lc_state **stp)
{
    struct lc_state *st = NULL;
    struct lc_notifications nl = {0};
    struct lc_alerts_result res;
    struct lc_error err;
    time_t now = time(NULL);

    *stp = NULL;
    if (cfg->n_webhooks == 0 && access(cfg->state_dir, W_OK) != 0)
        return;
    lc_error_clear(&err);
    if (lc_state_open(cfg->state_dir, 10000, &st, &err) != 0) {
        LC_ERR("state", "%s: %s", cfg->state_dir, err.message);
        return;
    }
    if (st->warning[0])
        LC_WARN("state", "%s", st->warning);
    if (lc_state_apply(st, obs, f, now, cfg->renotify_s, &nl) != 0 ||
        lc_alerts_enqueue(st, cfg->webhooks, cfg->n_webhooks, &nl, now) != 0) {
        LC_ERR("state", "out of memory applying the findings");
        lc_notifications_free(&nl);
        lc_state_close(st);
        return;
    }
    for (size_t i = 0; i < nl.n; i++)
        LC_INFO("incident", "%s %s", lc_notify_kind_name(nl.items[i].kind),
                nl.items[i].incident_key);
    lc_notifications_free(&nl);
    if (lc_state_save(st, &err) != 0) /* incidents durable before any send */
        LC_ERR("state", "%s", err.message);
    if (st->n_outbox > 0 && cfg->n_webhooks > 0) {
        struct lc_alerts_opts ao = {0};
        memset(&res, 0, sizeof(res));
        if (lc_alerts_send(rt->base, rt->http, st, cfg->webhooks, cfg->n_webhooks, &ao, &res,
                           &err) != 0)
            LC_ERR("alerts", "%s", err.message);
        else if (res.pending || res.dead || lc_log_get_level() >= LC_LOG_INFO)
            lc_alerts_result_text(stderr, &res);
        lc_alerts_result_free(&res);
        if (lc_state_save(st, &err) != 0)
            LC_ERR("state", "%s", err.message);
    }
    *stp = st;
}

static void write_metrics(const char *path, struct lc_runtime *rt,
                          const struct lc_observations *obs, const struct lc_findings *f,
                          const struct lc_state *st, double duration_s)
{
    struct lc_metrics_service svc[32];
    struct lc_error err;
    struct lc_metrics_in in = {
        .obs = obs,
        .findings = f,
        .services = svc,
        .n_services = lc_metrics_collect_aws(rt->aws, svc),
        .run_duration_s = duration_s,
        .last_success = st ? st->last_success : (strcmp(f->overall, "error") != 0 ? obs->now : 0),
        .has_alerts = st != NULL,
        .alerts_pending = st ? st->n_outbox : 0,
        .alerts_dead = st ? st->n_dead : 0,
    };
    lc_error_clear(&err);
    if (lc_metrics_write_file(path, &in, &err) != 0)
        LC_ERR("metrics", "%s: %s", path, err.message);
}

int lc_cmd_check(int argc, char **argv)
{
    struct check_args a = {.wait_interval_s = 30};
    struct lc_config *cfg = NULL;
    struct lc_plan plan = {0};
    struct lc_discovered disc = {0};
    struct lc_runtime rt;
    struct lc_observations obs = {0};
    struct lc_findings fnd = {0};
    struct lc_error err;
    FILE *out = stdout;
    int rc = parse_args(argc, argv, &a);

    if (rc)
        return rc == LC_OPT_HELP ? LC_EXIT_OK : rc;
    lc_log_set_level(a.verbose > 1 ? LC_LOG_DEBUG : a.verbose ? LC_LOG_INFO : LC_LOG_WARN);
    lc_error_clear(&err);
    rc = lc_runtime_start(&rt, a.config, a.target, a.source, a.now, false, &cfg, &disc, &plan);
    if (rc != LC_EXIT_OK)
        goto out;
    /* --wait: the change being smoke-tested happened when the command started, unless --since
     * says otherwise; re-check on a timer of the one loop until satisfied or out of time. */
    time_t started = time(NULL);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    time_t deadline = started + (time_t)a.wait_s;
    struct lc_check_opts co = {.canary = !a.no_canary,
                               .now = a.now,
                               .discover = true,
                               .discovered = &disc,
                               .since = a.since    ? a.since
                                        : a.wait_s ? started
                                                   : 0};
    for (int round = 1;; round++) {
        lc_check_run(rt.aws, cfg, &plan, &rt.creds, &co, &obs);
        if (lc_findings_build(&obs, &fnd) != 0) {
            fprintf(stderr, "logcanary: out of memory judging the results\n");
            rc = LC_EXIT_CANNOT_RUN;
            goto out;
        }
        if (!a.wait_s || strcmp(fnd.overall, "ok") == 0 ||
            time(NULL) + a.wait_interval_s > deadline)
            break;
        size_t waiting = 0;
        for (size_t i = 0; i < obs.n_streams; i++)
            waiting += fnd.stream_status[i] != LC_ST_OK;
        LC_WARN("wait",
                "round %d: %zu of %zu streams not yet satisfied, %zu finding(s); "
                "checking again in %llds",
                round, waiting, obs.n_streams, fnd.n, (long long)a.wait_interval_s);
        lc_findings_free(&fnd);
        lc_observations_free(&obs);
        lc_runtime_pause(&rt, a.wait_interval_s);
    }
    struct lc_state *st = NULL;
    process_incidents(&rt, cfg, &obs, &fnd, &st);
    if (a.metrics_file) {
        struct timespec end;
        clock_gettime(CLOCK_MONOTONIC, &end);
        write_metrics(a.metrics_file, &rt, &obs, &fnd, st,
                      (double)(end.tv_sec - t0.tv_sec) + (double)(end.tv_nsec - t0.tv_nsec) / 1e9);
    }
    lc_state_close(st);
    if (a.output) {
        out = fopen(a.output, "w");
        if (!out) {
            fprintf(stderr, "logcanary: cannot write %s: %m\n", a.output);
            out = stdout;
            rc = LC_EXIT_CANNOT_RUN;
            goto out;
        }
    }
    if (a.format == LC_FORMAT_JSON)
        rc = lc_report_json(out, &obs, &fnd);
    else if (a.format == LC_FORMAT_HTML)
        rc = lc_report_html(out, &obs, &fnd);
    else
        rc = lc_report_text(out, &obs, &fnd,
                            !a.output && isatty(fileno(out)) && !getenv("NO_COLOR"));
    if (out != stdout && fclose(out) != 0)
        rc = LC_E_IO;
    out = stdout;
    if (rc) {
        fprintf(stderr, "logcanary: cannot write the report\n");
        rc = LC_EXIT_CANNOT_RUN;
    } else if (strcmp(fnd.overall, "error") == 0) {
        rc = LC_EXIT_CANNOT_RUN;
    } else {
        rc = strcmp(fnd.overall, "ok") == 0 ? LC_EXIT_OK : LC_EXIT_PROBLEMS;
    }
out:
    if (out != stdout)
        fclose(out);
    lc_findings_free(&fnd);
    lc_observations_free(&obs);
    lc_runtime_free(&rt);
    lc_plan_free(&plan);
    lc_discovered_free(&disc);
    lc_config_free(cfg);
    return rc;
}
