/* logcanary run: the daemon. Everything happens on the runtime's one event loop.
 *
 * Schedules. A config is loaded into a "generation": the config, per-target credentials and one
 * schedule per (target, source), each with a plan of exactly that source's streams. A schedule's
 * interval is the source's `interval`, or else max_age / 2 clamped to [1 min, 1 h]. The first
 * check runs at a random offset in [0, min(interval, 60 s)), then every interval +- 10 %
 * (jitter, so schedules drift apart). A schedule never overlaps itself: a tick that finds the
 * previous check still running is skipped and logged. A target's canary runs only with its
 * most frequent schedule (the first one on a tie).
 *
 * After each check: one log line per problem stream and per finding, a summary line, the latest
 * observations and findings kept per schedule (/metrics, --metrics-file), STATUS= to systemd,
 * and the findings fed to the incident state and the webhook alerts (one state transaction at a
 * time: the state file is locked while open).
 *
 * Reload (SIGHUP). The new config is loaded and validated first: an invalid one is logged and
 * the old one keeps running (no RELOADING/READY). A valid one becomes the pending generation:
 * the current one stops ticking, and once its in-flight checks are done the pending one is
 * armed (READY=1). A generation is reference counted (current, running checks, incident
 * transactions) so its config and plans live as long as anything points into them. Settings
 * of the "aws" section are fixed at start: changing them needs a restart (logged).
 *
 * Discovery. A config with "organization" accounts or "governed" regions is discovered before
 * its generation is built (at start, before anything runs; on reload, on the loop), and again
 * every discovery.refresh: each new answer becomes a pending generation of the same config,
 * swapped in like a reload once the checks in flight are done.
 *
 * Shutdown (SIGTERM, SIGINT). STOPPING=1, no new checks; in-flight checks and alert sends get
 * --shutdown-timeout to finish, then every request is cancelled; after a short grace anything
 * still stuck is abandoned. Exit 0. */
#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "outputs/alerts.h"
#include "pipeline/check.h"
#include "pipeline/discovery.h"
#include "cmd/cli.h"
#include "cmd/options.h"
#include "config/config.h"
#include "aws/creds/creds.h"
#include "pipeline/findings.h"
#include "cmd/httpd.h"
#include "core/array.h"
#include "core/log.h"
#include "outputs/metrics.h"
#include "pipeline/plan.h"
#include "probes/probe.h"
#include "cmd/runtime.h"
#include "cmd/sdnotify.h"
#include "outputs/state.h"
#include "core/timeutil.h"

#define MIN_DERIVED_S   60 /* derived intervals: max_age / 2 clamped to [1 min, 1 h] */
#define MAX_DERIVED_S   3600
#define FIRST_MAX_S     60  /* first check within min(interval, this) */
#define STALE_FACTOR    3   /* /healthz: a schedule is late after 3 intervals */
#define CANCEL_GRACE_S  5   /* after the deadline and cancelling: give up on stuck work */
#define STATE_LOCK_MS   500 /* wait for the state lock (a manual check may hold it) */
#define ALERT_BUDGET_MS 60000

/* Around the generated synopsis and option lines of `logcanary run --help`. */
static const char run_about[] =
    "  Check every target's sources on their own intervals until stopped (SIGTERM/SIGINT);\n"
    "  SIGHUP reloads the config (an invalid one is rejected and the old one kept).\n";
static const char run_epilog[] =
    "  Interval per source: its \"interval\", else max_age/2 clamped to [1m, 1h], +-10% jitter.\n"
    "  Under systemd: Type=notify readiness, WATCHDOG=1 when WatchdogSec is set, and syslog\n"
    "  priority prefixes on stderr.\n";

struct run_args {
    const char *config;
    const char *listen;
    const char *metrics_file;
    int64_t shutdown_s;
    int verbose;
};

struct daemon;
struct gen;

struct sched {
    struct daemon *d;
    struct gen *g;
    size_t ti, si;
    char name[200]; /* "<target>/<source type>", "#<n>" added when a type repeats */
    struct lc_plan plan;
    int64_t interval_s;
    bool canary;
    struct event *timer;
    bool running, queued;
    time_t armed_at;
    struct timespec t0;
    struct lc_observations run; /* the check in flight */
    bool have;                  /* obs and fnd hold the last finished check */
    struct lc_observations obs;
    struct lc_findings fnd;
    time_t last_done;
    double duration_s;
};

/* A config shared by the generations built from it (a discovery refresh keeps the config). */
struct cfg_ref {
    struct lc_config *cfg;
    int refs;
};

struct gen {
    struct daemon *d;
    struct cfg_ref *cr;
    struct lc_config *cfg;     /* cr->cfg */
    struct lc_discovered disc; /* what the plans were built from (the plans point into it) */
    struct lc_check_creds creds;
    bool own_creds;
    struct sched *s;
    size_t n;
    int running; /* checks in flight */
    int refs;    /* current or pending + running checks + incident transactions */
};

struct daemon {
    struct run_args a;
    struct lc_runtime rt;
    struct gen *cur, *pending;
    struct lc_httpd *httpd;
    struct event *sig_hup, *sig_term, *sig_int, *watchdog, *deadline, *cancel_tick;
    uint64_t rnd;
    bool stopping, cancelling, abandoned;
    time_t cancel_at;
    time_t started;
    time_t last_success;
    double last_duration_s;
    /* incidents and alerts: a FIFO of schedules with fresh results */
    struct sched **queue;
    size_t nq, capq;
    bool sending;
    struct lc_state *st;
    struct gen *st_gen;
    char state_err[512];
    bool has_alerts;
    size_t alerts_pending, alerts_dead;
    /* discovery on the loop: one at a time; a newer reload makes an older answer moot */
    struct event *refresh_timer;
    int discovering; /* discoveries in flight */
    unsigned disc_seq;
};

/* ---- small helpers ------------------------------------------------------------------------ */

static uint64_t next_rand(struct daemon *d)
{
    /* xorshift64*: jitter only, no security needs */
    d->rnd ^= d->rnd >> 12;
    d->rnd ^= d->rnd << 25;
    d->rnd ^= d->rnd >> 27;
    return d->rnd * 2685821657736338717ULL;
}

static double rand_unit(struct daemon *d)
{
    return (double)(next_rand(d) >> 11) / 9007199254740992.0; /* [0, 1) */
}

static void notify(const char *msg)
{
    if (lc_sdnotify(msg) != 0)
        LC_DEBUG("run", "cannot notify systemd: %s", strerror(errno));
}

static int64_t derive_interval(const struct lc_source_cfg *src)
{
    int64_t v;

    if (src->interval_s > 0)
        return src->interval_s;
    v = src->max_age_s / 2;
    return v < MIN_DERIVED_S ? MIN_DERIVED_S : v > MAX_DERIVED_S ? MAX_DERIVED_S : v;
}

static struct timeval tv_of(double s)
{
    struct timeval tv;

    if (s < 0)
        s = 0;
    tv.tv_sec = (time_t)s;
    tv.tv_usec = (suseconds_t)((s - (double)tv.tv_sec) * 1e6);
    return tv;
}

static double since_s(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* ---- generations -------------------------------------------------------------------------- */

static struct cfg_ref *cfg_ref_new(struct lc_config *cfg)
{
    struct cfg_ref *cr = calloc(1, sizeof(*cr));
    if (!cr) {
        lc_config_free(cfg);
        return NULL;
    }
    cr->cfg = cfg;
    cr->refs = 1;
    return cr;
}

static void cfg_ref_put(struct cfg_ref *cr)
{
    if (cr && --cr->refs == 0) {
        lc_config_free(cr->cfg);
        free(cr);
    }
}

static void gen_free(struct gen *g)
{
    for (size_t i = 0; i < g->n; i++) {
        struct sched *s = &g->s[i];
        if (s->timer)
            event_free(s->timer);
        lc_findings_free(&s->fnd);
        lc_observations_free(&s->obs);
        lc_plan_free(&s->plan);
    }
    free(g->s);
    lc_discovered_free(&g->disc);
    if (g->own_creds) {
        for (size_t i = 0; i < g->creds.n; i++)
            if (g->creds.targets[i] && g->creds.targets[i] != g->creds.base)
                lc_credprov_free(g->creds.targets[i]);
        free(g->creds.targets);
    }
    cfg_ref_put(g->cr);
    free(g);
}

static void gen_unref(struct gen *g)
{
    if (g && --g->refs == 0)
        gen_free(g);
}

static void on_tick(evutil_socket_t fd, short what, void *arg);
static void gen_arm_refresh_only(struct gen *g);

/* Build a generation for the config of cr (taking over one reference) and what was discovered
 * for it (disc, moved in; NULL: nothing). The first one uses the runtime's credentials; later
 * ones assume their targets' roles themselves. NULL with err set on failure. */
static struct gen *gen_new(struct daemon *d, struct cfg_ref *cr, struct lc_discovered *disc,
                           bool first, struct lc_error *err)
{
    struct gen *g = calloc(1, sizeof(*g));
    struct lc_config *cfg = cr->cfg;
    size_t n = 0;
    int rc = LC_E_INTERNAL; /* until the generation is complete; err says why */

    if (!g) {
        cfg_ref_put(cr);
        if (disc)
            lc_discovered_free(disc);
        lc_error_set(err, LC_E_NOMEM, "out of memory");
        return NULL;
    }
    g->d = d;
    g->cr = cr;
    g->cfg = cfg;
    g->refs = 1;
    if (disc) {
        g->disc = *disc; /* the plans below point into its lists, which stay where they are */
        memset(disc, 0, sizeof(*disc));
    }
    if (first) {
        g->creds = d->rt.creds;
    } else {
        g->own_creds = true;
        g->creds.base = d->rt.default_creds;
        g->creds.n = cfg->n_targets;
        g->creds.targets = calloc(cfg->n_targets ? cfg->n_targets : 1, sizeof(void *));
        if (!g->creds.targets) {
            lc_error_set(err, LC_E_NOMEM, "out of memory");
            goto out;
        }
        for (size_t i = 0; i < cfg->n_targets; i++) {
            const struct lc_target_cfg *t = &cfg->targets[i];
            g->creds.targets[i] =
                t->role_arn
                    ? lc_credprov_assume_role(d->rt.aws, d->rt.default_creds, t->role_arn,
                                              t->external_id, "logcanary", d->rt.region, err)
                    : d->rt.default_creds;
            if (!g->creds.targets[i])
                goto out;
        }
    }
    for (size_t ti = 0; ti < cfg->n_targets; ti++)
        n += cfg->targets[ti].n_sources;
    g->s = calloc(n ? n : 1, sizeof(*g->s));
    if (!g->s) {
        lc_error_set(err, LC_E_NOMEM, "out of memory");
        goto out;
    }
    for (size_t ti = 0; ti < cfg->n_targets; ti++) {
        const struct lc_target_cfg *t = &cfg->targets[ti];
        struct sched *fastest = NULL;
        for (size_t si = 0; si < t->n_sources; si++) {
            struct sched *s = &g->s[g->n];
            size_t same = 0, nth = 0;
            s->d = d;
            s->g = g;
            s->ti = ti;
            s->si = si;
            s->interval_s = derive_interval(&t->sources[si]);
            for (size_t k = 0; k < t->n_sources; k++)
                if (t->sources[k].probe == t->sources[si].probe) {
                    same++;
                    nth += k < si;
                }
            if (same > 1)
                snprintf(s->name, sizeof(s->name), "%s/%s#%zu", t->name,
                         t->sources[si].probe->cfg.name, nth + 1);
            else
                snprintf(s->name, sizeof(s->name), "%s/%s", t->name,
                         t->sources[si].probe->cfg.name);
            if (lc_plan_build_source(cfg, &g->disc, ti, si, &s->plan, err) != 0)
                goto out;
            s->timer = evtimer_new(d->rt.base, on_tick, s);
            if (!s->timer) {
                lc_error_set(err, LC_E_NOMEM, "out of memory");
                goto out;
            }
            g->n++;
            if (!fastest || s->interval_s < fastest->interval_s)
                fastest = s;
        }
        if (fastest)
            fastest->canary = t->canary;
    }
    rc = 0;
out:
    if (rc) {
        gen_free(g);
        g = NULL;
    }
    return g;
}

static void gen_arm(struct gen *g)
{
    struct daemon *d = g->d;
    time_t now = time(NULL);

    gen_arm_refresh_only(g); /* what was discovered for it gets old */

    for (size_t i = 0; i < g->n; i++) {
        struct sched *s = &g->s[i];
        double first = (double)(s->interval_s < FIRST_MAX_S ? s->interval_s : FIRST_MAX_S);
        struct timeval tv = tv_of(first * rand_unit(d));
        s->armed_at = now;
        evtimer_add(s->timer, &tv);
        LC_INFO("run", "schedule %s: %zu stream(s)%s, every %llds, first check in %.1fs", s->name,
                s->plan.n_streams, s->canary ? " and the canary" : "", (long long)s->interval_s,
                (double)tv.tv_sec + (double)tv.tv_usec / 1e6);
    }
}

/* Try the discovery refresh again after discovery.refresh. */
static void gen_arm_refresh_only(struct gen *g)
{
    struct daemon *d = g->d;
    bool org, ct;

    if (d->refresh_timer && lc_discovery_needed(g->cfg, &org, &ct)) {
        struct timeval every = {(time_t)(g->cfg->refresh_s < 60 ? 60 : g->cfg->refresh_s), 0};
        evtimer_add(d->refresh_timer, &every);
    }
}

static void gen_disarm(struct gen *g)
{
    for (size_t i = 0; i < g->n; i++)
        evtimer_del(g->s[i].timer);
}

/* ---- metrics ------------------------------------------------------------------------------ */

/* One view over every schedule's last results: metrics render one run. Shallow copies; free
 * with merged_free. Ages are measured against now. */
struct merged {
    struct lc_observations obs;
    struct lc_findings fnd;
};

static int merged_build(struct daemon *d, struct merged *m)
{
    struct gen *g = d->cur;
    size_t ns = 0, nc = 0, nf = 0;

    memset(m, 0, sizeof(*m));
    m->obs.now = lc_aws_now(d->rt.aws);
    m->fnd.overall = "ok";
    for (size_t i = 0; g && i < g->n; i++)
        if (g->s[i].have) {
            ns += g->s[i].obs.n_streams;
            nc += g->s[i].obs.n_canaries;
            nf += g->s[i].fnd.n;
        }
    m->obs.streams = calloc(ns + 1, sizeof(*m->obs.streams));
    m->fnd.stream_status = calloc(ns + 1, sizeof(*m->fnd.stream_status));
    m->obs.canaries = calloc(nc + 1, sizeof(*m->obs.canaries));
    m->fnd.canary_status = calloc(nc + 1, sizeof(*m->fnd.canary_status));
    m->fnd.items = calloc(nf + 1, sizeof(*m->fnd.items));
    m->fnd.cap = m->fnd.items ? nf + 1 : 0;
    if (!m->obs.streams || !m->fnd.stream_status || !m->obs.canaries || !m->fnd.canary_status ||
        !m->fnd.items)
        return LC_E_NOMEM;
    for (size_t i = 0; g && i < g->n; i++) {
        const struct sched *s = &g->s[i];
        if (!s->have)
            continue;
        for (size_t k = 0; k < s->obs.n_streams; k++) {
            m->obs.streams[m->obs.n_streams] = s->obs.streams[k];
            m->fnd.stream_status[m->obs.n_streams++] = s->fnd.stream_status[k];
        }
        for (size_t k = 0; k < s->obs.n_canaries; k++) {
            m->obs.canaries[m->obs.n_canaries] = s->obs.canaries[k];
            m->fnd.canary_status[m->obs.n_canaries++] = s->fnd.canary_status[k];
        }
        for (size_t k = 0; k < s->fnd.n; k++)
            m->fnd.items[m->fnd.n++] = s->fnd.items[k];
    }
    return 0;
}

static void merged_free(struct merged *m)
{
    free(m->obs.streams);
    free(m->obs.canaries);
    free(m->fnd.stream_status);
    free(m->fnd.canary_status);
    free(m->fnd.items);
}

static int metrics_in(struct daemon *d, struct merged *m, struct lc_metrics_in *in,
                      struct lc_metrics_service *svc)
{
    if (merged_build(d, m) != 0)
        return LC_E_NOMEM;
    memset(in, 0, sizeof(*in));
    in->obs = &m->obs;
    in->findings = &m->fnd;
    in->services = svc;
    in->n_services = lc_metrics_collect_aws(d->rt.aws, svc);
    in->run_duration_s = d->last_duration_s;
    in->last_success = d->last_success;
    in->has_alerts = d->has_alerts;
    in->alerts_pending = d->alerts_pending;
    in->alerts_dead = d->alerts_dead;
    return 0;
}

#define N_SERVICES_MAX 32

static void write_metrics_file(struct daemon *d)
{
    struct merged m;
    struct lc_metrics_in in;
    struct lc_metrics_service svc[N_SERVICES_MAX];
    struct lc_error err;

    lc_error_clear(&err);
    if (metrics_in(d, &m, &in, svc) != 0)
        LC_ERR("run", "out of memory rendering the metrics");
    else if (lc_metrics_write_file(d->a.metrics_file, &in, &err) != 0)
        LC_ERR("run", "--metrics-file: %s", err.message);
    merged_free(&m);
}

/* Healthy: running, and every schedule finished a check (or was armed) within 3 intervals. */
static bool healthy(struct daemon *d, struct lc_buf *why)
{
    time_t now = time(NULL);

    if (d->stopping) {
        lc_buf_appendf(why, "stopping\n");
        return false;
    }
    if (!d->cur) {
        lc_buf_appendf(why, "no configuration\n");
        return false;
    }
    for (size_t i = 0; i < d->cur->n; i++) {
        const struct sched *s = &d->cur->s[i];
        time_t ref = s->have ? s->last_done : s->armed_at;
        if (now - ref > STALE_FACTOR * s->interval_s)
            lc_buf_appendf(why, "%s: %s %llds ago (interval %llds)\n", s->name,
                           s->have ? "last check finished" : "no check finished since start",
                           (long long)(now - ref), (long long)s->interval_s);
    }
    return why->len == 0;
}

static int on_http(void *ud, const char *path, struct lc_buf *body, const char **ctype)
{
    struct daemon *d = ud;

    if (strcmp(path, "/metrics") == 0) {
        struct merged m;
        struct lc_metrics_in in;
        struct lc_metrics_service svc[N_SERVICES_MAX];
        int rc = metrics_in(d, &m, &in, svc);
        if (!rc)
            rc = lc_metrics_render(&in, body);
        merged_free(&m);
        if (rc) {
            lc_buf_reset(body);
            lc_buf_appendf(body, "out of memory\n");
            return 500;
        }
        *ctype = "text/plain; version=0.0.4; charset=utf-8";
        return 200;
    }
    if (strcmp(path, "/healthz") == 0) {
        if (healthy(d, body)) {
            lc_buf_appendf(body, "ok\n");
            return 200;
        }
        return 503;
    }
    lc_buf_appendf(body, "not found: try /metrics or /healthz\n");
    return 404;
}

/* ---- incidents and alerts ----------------------------------------------------------------- */

static void incidents_next(struct daemon *d);
static void maybe_finish(struct daemon *d);

static void state_problem(struct daemon *d, const char *msg)
{
    /* Once per distinct problem: a check every few minutes would repeat it otherwise. */
    if (strcmp(d->state_err, msg) != 0) {
        LC_ERR("state", "%s", msg);
        lc_strlcpy(d->state_err, msg, sizeof(d->state_err));
    } else {
        LC_DEBUG("state", "%s", msg);
    }
}

static void close_state(struct daemon *d)
{
    struct lc_error err;

    lc_error_clear(&err);
    if (lc_state_save(d->st, &err) != 0)
        state_problem(d, err.message);
    d->alerts_pending = d->st->n_outbox;
    d->alerts_dead = d->st->n_dead;
    lc_state_close(d->st);
    d->st = NULL;
    gen_unref(d->st_gen);
    d->st_gen = NULL;
}

static void on_alerts_done(void *ud, struct lc_alerts_result *res)
{
    struct daemon *d = ud;

    for (size_t i = 0; i < res->n_sinks; i++)
        if (res->sinks[i].problem[0])
            LC_WARN("alerts", "sink %s (%s): %s; %zu pending", res->sinks[i].name,
                    res->sinks[i].url, res->sinks[i].problem, res->sinks[i].pending);
    if (res->delivered || res->dead || res->orphaned)
        LC_INFO("alerts", "%zu delivered, %zu pending, %zu dead letter(s)", res->delivered,
                res->pending, res->dead + res->orphaned);
    lc_alerts_result_free(res);
    free(res);
    d->sending = false;
    close_state(d);
    incidents_next(d);
    maybe_finish(d);
}

/* One transaction at a time: open (lock), apply the schedule's findings, queue the
 * notifications, save, then send the outbox; the state stays locked until the send ends. */
static void incidents_next(struct daemon *d)
{
    while (!d->sending && d->nq) {
        struct sched *s = d->queue[0];
        struct gen *g = s->g;
        struct lc_notifications nl = {0};
        struct lc_error err;
        time_t now = time(NULL);

        memmove(d->queue, d->queue + 1, --d->nq * sizeof(*d->queue));
        s->queued = false;
        lc_error_clear(&err);
        if (d->cancelling || !s->have ||
            lc_state_open(g->cfg->state_dir, STATE_LOCK_MS, &d->st, &err) != 0) {
            if (err.kind != LC_OK)
                state_problem(d, err.message);
            gen_unref(g);
            continue;
        }
        d->st_gen = g;
        if (d->st->warning[0])
            LC_WARN("state", "%s", d->st->warning);
        if (lc_state_apply(d->st, &s->obs, &s->fnd, now, g->cfg->renotify_s, &nl) != 0 ||
            lc_alerts_enqueue(d->st, g->cfg->webhooks, g->cfg->n_webhooks, &nl, now) != 0) {
            state_problem(d, "out of memory applying the findings to the incident state");
            lc_notifications_free(&nl);
            lc_state_close(d->st);
            d->st = NULL;
            d->st_gen = NULL;
            gen_unref(g);
            continue;
        }
        for (size_t i = 0; i < nl.n; i++)
            LC_WARN("incident", "%s %s", lc_notify_kind_name(nl.items[i].kind),
                    nl.items[i].incident_key);
        lc_notifications_free(&nl);
        d->state_err[0] = '\0';
        if (lc_state_save(d->st, &err) != 0) /* incidents durable before any send */
            state_problem(d, err.message);
        d->has_alerts = g->cfg->n_webhooks > 0;
        if (d->st->n_outbox && !d->cancelling) {
            struct lc_alerts_opts ao = {.budget_ms = ALERT_BUDGET_MS};
            if (lc_alerts_start(d->rt.base, d->rt.http, d->st, g->cfg->webhooks, g->cfg->n_webhooks,
                                &ao, on_alerts_done, d, &err) == 0) {
                d->sending = true;
                return;
            }
            LC_ERR("alerts", "cannot send: %s", err.message);
        }
        close_state(d);
    }
}

/* Feed a schedule's fresh results to the incident state (and so to the alerts). */
static void incidents_feed(struct sched *s)
{
    struct daemon *d = s->d;

    if (s->queued || d->cancelling)
        return;
    if (LC_ARRAY_GROW(d->queue, d->nq, d->capq)) {
        LC_ERR("state", "out of memory queueing findings");
        return;
    }
    d->queue[d->nq++] = s;
    s->queued = true;
    s->g->refs++;
    incidents_next(d);
}

/* ---- checks ------------------------------------------------------------------------------- */

static void try_swap(struct daemon *d);

static void log_results(struct sched *s)
{
    const struct lc_observations *o = &s->obs;
    const struct lc_findings *f = &s->fnd;
    size_t ok = 0;
    char buf[700];

    if (o->fatal.kind != LC_OK)
        LC_ERR("run", "check %s could not run: %s", s->name,
               lc_error_format(&o->fatal, buf, sizeof(buf)));
    for (size_t i = 0; i < o->n_streams; i++) {
        if (f->stream_status[i] == LC_ST_OK)
            ok++;
        else
            LC_WARN("run", "stream %s: %s", o->streams[i].stream->id,
                    lc_stream_status_name(f->stream_status[i]));
    }
    for (size_t i = 0; i < o->n_canaries; i++)
        if (f->canary_status[i] != LC_CANARY_OK)
            LC_WARN("run", "canary %s: %s", o->canaries[i].target->name,
                    lc_canary_status_name(f->canary_status[i]));
    for (size_t i = 0; i < f->n; i++)
        lc_log(f->items[i].severity == LC_SEV_INFO ? LC_LOG_INFO : LC_LOG_WARN, "run",
               "finding %s %s: %s", lc_severity_name(f->items[i].severity),
               lc_finding_name(f->items[i].code), f->items[i].summary ? f->items[i].summary : "");
    LC_INFO("run", "checked %s: %s, %zu/%zu stream(s) ok%s%s, %zu finding(s) in %.1fs", s->name,
            f->overall, ok, o->n_streams, o->n_canaries ? ", canary " : "",
            o->n_canaries ? lc_canary_status_name(f->canary_status[0]) : "", f->n, s->duration_s);
}

static void on_check_done(void *ud, struct lc_observations *obs)
{
    struct sched *s = ud;
    struct daemon *d = s->d;
    struct gen *g = s->g;
    char status[300], line[320];

    (void)obs;
    s->running = false;
    g->running--;
    s->duration_s = since_s(&s->t0);
    if (d->cancelling) {
        /* Cancelled at shutdown: its results say nothing about the logs; keep the last ones. */
        LC_INFO("run", "check %s cancelled after %.1fs", s->name, s->duration_s);
        lc_observations_free(&s->run);
        gen_unref(g);
        maybe_finish(d);
        return;
    }
    lc_findings_free(&s->fnd);
    lc_observations_free(&s->obs);
    s->obs = s->run;
    memset(&s->run, 0, sizeof(s->run));
    s->have = lc_findings_build(&s->obs, &s->fnd) == 0;
    s->last_done = time(NULL);
    d->last_duration_s = s->duration_s;
    if (!s->have) {
        LC_ERR("run", "check %s: out of memory judging the results", s->name);
        lc_findings_free(&s->fnd);
    } else {
        if (s->obs.fatal.kind == LC_OK)
            d->last_success = s->last_done;
        log_results(s);
        snprintf(status, sizeof(status), "%s: %s, %zu finding(s)", s->name, s->fnd.overall,
                 s->fnd.n);
        notify(lc_sdnotify_status(line, sizeof(line), status));
        if (g == d->cur && d->a.metrics_file)
            write_metrics_file(d);
        /* Findings -> incidents -> alerts. */
        incidents_feed(s);
    }
    gen_unref(g);
    try_swap(d);
    maybe_finish(d);
}

static void start_check(struct sched *s)
{
    struct daemon *d = s->d;
    struct lc_check_opts co = {.canary = s->canary, .discover = true, .discovered = &s->g->disc};

    s->running = true;
    s->g->running++;
    s->g->refs++;
    clock_gettime(CLOCK_MONOTONIC, &s->t0);
    LC_DEBUG("run", "checking %s", s->name);
    if (lc_check_start(d->rt.aws, s->g->cfg, &s->plan, &s->g->creds, &co, &s->run, on_check_done,
                       s) != 0)
        on_check_done(s, &s->run); /* could not start: judged as a fatal run */
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct sched *s = arg;
    struct daemon *d = s->d;
    double next = (double)s->interval_s * (0.9 + 0.2 * rand_unit(d));
    struct timeval tv = tv_of(next);

    (void)fd;
    (void)what;
    if (d->stopping || s->g != d->cur || d->pending)
        return;
    evtimer_add(s->timer, &tv);
    if (s->running) {
        LC_WARN("run", "%s: previous check still running after %.0fs; skipping this one", s->name,
                since_s(&s->t0));
        return;
    }
    start_check(s);
}

/* ---- reload and shutdown ------------------------------------------------------------------ */

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool aws_changed(const struct lc_config *a, const struct lc_config *b)
{
    bool kv_same = a->endpoints.n == b->endpoints.n;

    for (size_t i = 0; kv_same && i < a->endpoints.n; i++)
        kv_same = same_str(a->endpoints.items[i].name, b->endpoints.items[i].name) &&
                  same_str(a->endpoints.items[i].value, b->endpoints.items[i].value);
    return !same_str(a->region, b->region) || !same_str(a->endpoint, b->endpoint) || !kv_same ||
           a->path_style != b->path_style || !same_str(a->profile, b->profile) ||
           !same_str(a->ca_bundle, b->ca_bundle) || a->max_concurrency != b->max_concurrency ||
           a->max_per_host != b->max_per_host || a->timeout_s != b->timeout_s;
}

static void try_swap(struct daemon *d)
{
    struct gen *old = d->cur;
    char text[100], line[120];

    if (!d->pending || d->stopping || (old && old->running))
        return;
    d->cur = d->pending;
    d->pending = NULL;
    if (old) {
        gen_disarm(old);
        gen_unref(old);
    }
    gen_arm(d->cur);
    LC_INFO("run", "reloaded %s: %zu schedule(s)", d->a.config, d->cur->n);
    snprintf(text, sizeof(text), "reloaded: %zu schedule(s)", d->cur->n);
    notify("READY=1");
    notify(lc_sdnotify_status(line, sizeof(line), text));
}

/* ---- discovery on the loop --------------------------------------------------------------- */

struct disc_job {
    struct daemon *d;
    struct cfg_ref *cr;
    struct lc_discovered disc;
    bool reloading;
    unsigned seq;
    char path[4096];
};

static void adopt(struct daemon *d, struct gen *g, bool reloading);

static void log_discovered(const struct lc_discovered *disc)
{
    if (disc->org.from != LC_DISC_NOT_ASKED)
        LC_INFO("run", "discovery: the organization's %zu account(s) (%s)%s%s",
                disc->org.n_accounts, lc_discovery_from_name(disc->org.from),
                disc->org.err.kind != LC_OK ? ": " : "",
                disc->org.err.kind != LC_OK ? disc->org.err.message : "");
    if (disc->ct.from != LC_DISC_NOT_ASKED)
        LC_INFO("run", "discovery: %zu governed region(s) (%s)%s%s", disc->ct.n_governed,
                lc_discovery_from_name(disc->ct.from), disc->ct.err.kind != LC_OK ? ": " : "",
                disc->ct.err.kind != LC_OK ? disc->ct.err.message : "");
}

static void on_discovered(void *ud)
{
    struct disc_job *job = ud;
    struct daemon *d = job->d;
    struct lc_error err;

    d->discovering--;
    if (d->stopping || job->seq != d->disc_seq) { /* stopping, or a newer reload came */
        lc_discovered_free(&job->disc);
        cfg_ref_put(job->cr);
        free(job);
        maybe_finish(d);
        return;
    }
    log_discovered(&job->disc);
    lc_error_clear(&err);
    struct gen *g = gen_new(d, job->cr, &job->disc, false, &err);
    bool reloading = job->reloading;
    free(job);
    if (!g) {
        LC_ERR("run", "%s failed, keeping the running configuration: %s",
               reloading ? "reload" : "discovery refresh", err.message);
        if (reloading)
            notify("READY=1");
        else if (d->cur)
            gen_arm_refresh_only(d->cur);
        return;
    }
    adopt(d, g, reloading);
}

/* Discover for the config of cr (taking over the reference) on the loop; the answer becomes a
 * pending generation. */
static void start_discovery(struct daemon *d, struct cfg_ref *cr, bool reloading)
{
    struct disc_job *job = calloc(1, sizeof(*job));
    struct lc_error err;

    lc_error_clear(&err);
    if (!job) {
        LC_ERR("run", "discovery: out of memory");
        cfg_ref_put(cr);
        return;
    }
    *job = (struct disc_job){.d = d, .cr = cr, .reloading = reloading, .seq = d->disc_seq};
    snprintf(job->path, sizeof(job->path), "%s/discovery.json", cr->cfg->state_dir);
    struct lc_discovery_opts o = {.aws = d->rt.aws,
                                  .org_creds = d->rt.org_creds,
                                  .ct_creds = d->rt.ct_creds,
                                  .default_region = d->rt.region,
                                  .cache_path = job->path,
                                  .now = time(NULL)};
    if (lc_discovery_start(cr->cfg, &o, &job->disc, on_discovered, job, &err) != 0) {
        LC_ERR("run", "discovery: cannot start: %s", err.message);
        lc_discovered_free(&job->disc);
        cfg_ref_put(cr);
        free(job);
        return;
    }
    d->discovering++;
}

static void on_refresh(evutil_socket_t fd, short what, void *arg)
{
    struct daemon *d = arg;

    (void)fd;
    (void)what;
    if (d->stopping || !d->cur)
        return;
    if (d->discovering || d->pending) { /* a reload is under way: it brings its own answer */
        gen_arm_refresh_only(d->cur);
        return;
    }
    LC_INFO("run", "discovery: refreshing (discovery.refresh)");
    d->cur->cr->refs++;
    start_discovery(d, d->cur->cr, false);
}

/* g becomes the pending generation, and current once the checks in flight are done. */
static void adopt(struct daemon *d, struct gen *g, bool reloading)
{
    if (d->pending)
        gen_unref(d->pending);
    d->pending = g;
    gen_disarm(d->cur);
    if (d->cur->running)
        LC_INFO("run", "%s: waiting for %d check(s) in flight",
                reloading ? "reload" : "discovery refresh", d->cur->running);
    try_swap(d);
}

static void reload(struct daemon *d)
{
    struct lc_config *cfg = NULL;
    struct lc_error err;
    struct gen *g;
    char line[700];
    struct timespec mono;

    lc_error_clear(&err);
    if (lc_config_load_file(d->a.config, &cfg, &err) != 0) {
        LC_ERR("run", "reload rejected, keeping the running configuration: %s", err.message);
        snprintf(line, sizeof(line), "reload rejected: %s", err.message);
        char st[720];
        notify(lc_sdnotify_status(st, sizeof(st), line));
        return;
    }
    if (aws_changed(d->cur->cfg, cfg))
        LC_WARN("run", "reload: the \"aws\" settings changed; they take effect after a restart");
    clock_gettime(CLOCK_MONOTONIC, &mono);
    snprintf(line, sizeof(line), "RELOADING=1\nMONOTONIC_USEC=%llu",
             (unsigned long long)mono.tv_sec * 1000000ULL +
                 (unsigned long long)mono.tv_nsec / 1000ULL);
    notify(line);
    struct cfg_ref *cr = cfg_ref_new(cfg);
    bool org, ct;
    if (!cr) {
        LC_ERR("run", "reload failed, keeping the running configuration: out of memory");
        notify("READY=1");
        return;
    }
    d->disc_seq++; /* an answer still coming for an older config is moot */
    if (lc_discovery_needed(cr->cfg, &org, &ct)) {
        start_discovery(d, cr, true);
        return;
    }
    g = gen_new(d, cr, NULL, false, &err);
    if (!g) {
        LC_ERR("run", "reload failed, keeping the running configuration: %s", err.message);
        notify("READY=1");
        return;
    }
    adopt(d, g, true);
}

static int in_flight(const struct daemon *d)
{
    return (d->cur ? d->cur->running : 0) + d->sending + d->discovering;
}

/* A generation stops being current only once its checks are done (try_swap), so d->cur holds
 * every running check. */
static void maybe_finish(struct daemon *d)
{
    if (d->stopping && in_flight(d) == 0 && d->nq == 0)
        event_base_loopbreak(d->rt.base);
}

static void on_cancel_tick(evutil_socket_t fd, short what, void *arg)
{
    struct daemon *d = arg;
    struct timeval tv = {0, 200000};

    (void)fd;
    (void)what;
    if (time(NULL) - d->cancel_at >= CANCEL_GRACE_S) {
        LC_ERR("run", "%d operation(s) did not end after cancelling; exiting anyway", in_flight(d));
        d->abandoned = true;
        event_base_loopbreak(d->rt.base);
        return;
    }
    /* Finishing a cancelled call may start the next step of a check: cancel that too. */
    lc_aws_cancel_all(d->rt.aws);
    lc_http_cancel_all(d->rt.http);
    evtimer_add(d->cancel_tick, &tv);
}

static void cancel_now(struct daemon *d)
{
    struct timeval tv = {0, 200000};

    if (d->cancelling)
        return;
    d->cancelling = true;
    d->cancel_at = time(NULL);
    /* Queued findings are not applied any more. */
    for (size_t i = 0; i < d->nq; i++) {
        d->queue[i]->queued = false;
        gen_unref(d->queue[i]->g);
    }
    d->nq = 0;
    LC_WARN("run", "cancelling %d operation(s) still in flight", in_flight(d));
    lc_aws_cancel_all(d->rt.aws);
    lc_http_cancel_all(d->rt.http);
    evtimer_add(d->cancel_tick, &tv);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    LC_WARN("run", "shutdown deadline reached");
    cancel_now(arg);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct daemon *d = arg;

    (void)what;
    if (sig == SIGHUP) {
        if (d->stopping)
            return;
        LC_INFO("run", "SIGHUP: reloading %s", d->a.config);
        reload(d);
        return;
    }
    if (d->stopping) {
        LC_WARN("run", "%s again: cancelling now", sig == SIGINT ? "SIGINT" : "SIGTERM");
        cancel_now(d);
        return;
    }
    d->stopping = true;
    notify("STOPPING=1");
    LC_INFO("run", "%s: stopping; %d operation(s) in flight get %llds",
            sig == SIGINT ? "SIGINT" : "SIGTERM", in_flight(d), (long long)d->a.shutdown_s);
    gen_disarm(d->cur); /* the watchdog keeps pinging while in-flight work ends */
    struct timeval tv = {(time_t)d->a.shutdown_s, 0};
    evtimer_add(d->deadline, &tv);
    maybe_finish(d);
}

static void on_watchdog(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    notify("WATCHDOG=1");
}

/* ---- the command -------------------------------------------------------------------------- */

/* Options into a (its defaults set): 0, or what lc_opt_parse() returns when the command must
 * not run. The --listen address is checked here, so a typo is a usage error rather than a
 * failed start. */
static int parse_args(int argc, char **argv, struct run_args *a)
{
    const struct lc_opt opts[] = {
        lc_opt_config(&a->config),
        {.name = "listen",
         .kind = LC_OPT_STRING,
         .to.string = &a->listen,
         .value = "127.0.0.1:PORT",
         .help = "serve /metrics and /healthz on a loopback address (port 0: any);\n"
                 "/healthz is 200 while every schedule finished a check (or, before\n"
                 "its first, was armed) within 3 intervals, else 503 with the reason"},
        {.name = "metrics-file",
         .kind = LC_OPT_STRING,
         .to.string = &a->metrics_file,
         .value = "FILE",
         .help = "rewrite FILE (Prometheus text format) atomically after each check"},
        {.name = "shutdown-timeout",
         .kind = LC_OPT_DURATION,
         .to.seconds = &a->shutdown_s,
         .max = 3600,
         .expected = "a duration up to 1h like \"20s\"",
         .help = "time in-flight checks get to finish on shutdown (default 20s)"},
        lc_opt_verbose(&a->verbose, "debug logging (info is the default)"),
        {.name = NULL},
    };
    const struct lc_opt_cmd cmd = {
        .name = "run", .about = run_about, .epilog = run_epilog, .opts = opts};
    char host[LC_HTTPD_HOST_MAX];
    int port, rc = lc_opt_parse(&cmd, argc, argv);
    struct lc_error err;

    lc_error_clear(&err);
    if (rc == 0 && a->listen && lc_httpd_parse_listen(a->listen, host, &port, &err) != 0) {
        fprintf(stderr, "logcanary run: --listen %s\n", err.message);
        rc = LC_EXIT_USAGE;
    }
    return rc;
}

static void daemon_free(struct daemon *d)
{
    lc_httpd_free(d->httpd);
    d->httpd = NULL;
    /* Queued findings hold generation refs. */
    for (size_t i = 0; i < d->nq; i++)
        gen_unref(d->queue[i]->g);
    free(d->queue);
    if (d->pending)
        gen_unref(d->pending);
    if (d->cur)
        gen_unref(d->cur);
    struct event **evs[] = {&d->sig_hup,  &d->sig_term,    &d->sig_int,      &d->watchdog,
                            &d->deadline, &d->cancel_tick, &d->refresh_timer};
    for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
        if (*evs[i]) {
            event_free(*evs[i]);
            *evs[i] = NULL;
        }
    lc_runtime_free(&d->rt);
}

int lc_cmd_run(int argc, char **argv)
{
    struct daemon d;
    struct lc_config *cfg = NULL;
    struct lc_error err;
    uint64_t wd_usec;
    int rc;

    memset(&d, 0, sizeof(d));
    d.a.shutdown_s = 20;
    rc = parse_args(argc, argv, &d.a);
    if (rc)
        return rc == LC_OPT_HELP ? LC_EXIT_OK : rc;
    lc_log_set_level(d.a.verbose ? LC_LOG_DEBUG : LC_LOG_INFO);
    signal(SIGPIPE, SIG_IGN);
    if (getrandom(&d.rnd, sizeof(d.rnd), 0) != (ssize_t)sizeof(d.rnd) || !d.rnd)
        d.rnd = (uint64_t)time(NULL) * 6364136223846793005ULL + (uint64_t)getpid();
    d.rnd |= 1;

    lc_error_clear(&err);
    if (lc_cli_load_config(d.a.config, &cfg) != 0)
        return LC_EXIT_USAGE;
    if (lc_runtime_init(&d.rt, cfg, &err) != 0) {
        fprintf(stderr, "logcanary: cannot start: %s\n", err.message);
        lc_config_free(cfg);
        return LC_EXIT_CANNOT_RUN;
    }
    struct cfg_ref *cr = cfg_ref_new(cfg);
    struct lc_discovered disc;
    if (!cr || lc_runtime_discover(&d.rt, cfg, 0, false, &disc, &err) != 0) {
        fprintf(stderr, "logcanary: cannot start: %s\n", cr ? err.message : "out of memory");
        cfg_ref_put(cr);
        daemon_free(&d);
        return LC_EXIT_CANNOT_RUN;
    }
    log_discovered(&disc);
    d.cur = gen_new(&d, cr, &disc, true, &err);
    if (!d.cur) {
        fprintf(stderr, "logcanary: cannot start: %s\n", err.message);
        daemon_free(&d);
        return LC_EXIT_CANNOT_RUN;
    }
    d.has_alerts = cfg->n_webhooks > 0;
    if (d.a.listen) {
        d.httpd = lc_httpd_new(d.rt.base, d.a.listen, on_http, &d, &err);
        if (!d.httpd) {
            fprintf(stderr, "logcanary: --listen: %s\n", err.message);
            daemon_free(&d);
            return LC_EXIT_CANNOT_RUN;
        }
        LC_INFO("run", "listening on %s", lc_httpd_address(d.httpd));
    }
    d.sig_hup = evsignal_new(d.rt.base, SIGHUP, on_signal, &d);
    d.sig_term = evsignal_new(d.rt.base, SIGTERM, on_signal, &d);
    d.sig_int = evsignal_new(d.rt.base, SIGINT, on_signal, &d);
    d.deadline = evtimer_new(d.rt.base, on_deadline, &d);
    d.cancel_tick = evtimer_new(d.rt.base, on_cancel_tick, &d);
    d.refresh_timer = evtimer_new(d.rt.base, on_refresh, &d);
    if (!d.sig_hup || !d.sig_term || !d.sig_int || !d.deadline || !d.cancel_tick ||
        !d.refresh_timer || evsignal_add(d.sig_hup, NULL) || evsignal_add(d.sig_term, NULL) ||
        evsignal_add(d.sig_int, NULL)) {
        fprintf(stderr, "logcanary: cannot set up the event loop\n");
        daemon_free(&d);
        return LC_EXIT_CANNOT_RUN;
    }
    wd_usec = lc_sdnotify_watchdog_usec(getenv("WATCHDOG_USEC"), getenv("WATCHDOG_PID"), getpid());
    if (wd_usec) {
        struct timeval tv = {(time_t)(wd_usec / 2 / 1000000), (suseconds_t)(wd_usec / 2 % 1000000)};
        d.watchdog = event_new(d.rt.base, -1, EV_PERSIST, on_watchdog, &d);
        if (!d.watchdog || evtimer_add(d.watchdog, &tv) != 0) {
            fprintf(stderr, "logcanary: cannot set up the watchdog timer\n");
            daemon_free(&d);
            return LC_EXIT_CANNOT_RUN;
        }
        LC_INFO("run", "systemd watchdog: every %.1fs", (double)wd_usec / 2e6);
    }
    d.started = time(NULL);
    gen_arm(d.cur);
    LC_INFO("run", "running %s: %zu schedule(s)", d.a.config, d.cur->n);
    notify("READY=1");
    {
        char line[200], text[160];
        snprintf(text, sizeof(text), "running: %zu schedule(s)", d.cur->n);
        notify(lc_sdnotify_status(line, sizeof(line), text));
    }

    event_base_dispatch(d.rt.base);

    if (d.abandoned) {
        /* Something would not finish even after cancelling: freeing under it is unsafe. */
        fflush(stderr);
        _exit(LC_EXIT_OK);
    }
    LC_INFO("run", "stopped");
    daemon_free(&d);
    return LC_EXIT_OK;
}
