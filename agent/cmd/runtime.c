#include <event2/event.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/creds/creds.h"
#include "cmd/cli.h"
#include "cmd/runtime.h"

struct discover_wait {
    bool done;
};

static void on_discovered(void *ud)
{
    ((struct discover_wait *)ud)->done = true;
}

int lc_runtime_discover(struct lc_runtime *rt, const struct lc_config *cfg, time_t now, bool fresh,
                        struct lc_discovered *disc, struct lc_error *err)
{
    struct discover_wait w = {false};
    char path[4096];
    bool org, ct;

    memset(disc, 0, sizeof(*disc));
    if (!lc_discovery_needed(cfg, &org, &ct))
        return 0;
    snprintf(path, sizeof(path), "%s/discovery.json", cfg->state_dir);
    struct lc_discovery_opts o = {
        .aws = rt->aws,
        .org_creds = rt->org_creds,
        .ct_creds = rt->ct_creds,
        .default_region = rt->region,
        .cache_path = path,
        .now = now ? now : lc_aws_now(rt->aws),
        .force = fresh,
    };
    int rc = lc_discovery_start(cfg, &o, disc, on_discovered, &w, err);
    if (rc)
        return rc;
    while (!w.done)
        if (event_base_loop(rt->base, EVLOOP_ONCE) != 0)
            break;
    if (!w.done) {
        lc_error_set(err, LC_E_INTERNAL, "event loop ran dry before discovery ended");
        return LC_E_INTERNAL;
    }
    return 0;
}

int lc_runtime_start(struct lc_runtime *rt, const char *path, const char *target,
                     const char *source, time_t now, bool fresh, struct lc_config **cfg,
                     struct lc_discovered *disc, struct lc_plan *plan)
{
    struct lc_error err;

    memset(rt, 0, sizeof(*rt));
    memset(disc, 0, sizeof(*disc));
    lc_error_clear(&err);
    if (lc_cli_load_config(path, cfg) != 0)
        return LC_EXIT_USAGE;
    if (lc_runtime_init(rt, *cfg, &err) != 0) {
        fprintf(stderr, "logcanary: cannot start: %s\n", err.message);
        return LC_EXIT_CANNOT_RUN;
    }
    if (lc_runtime_discover(rt, *cfg, now, fresh, disc, &err) != 0) {
        fprintf(stderr, "logcanary: cannot discover: %s\n", err.message);
        return LC_EXIT_CANNOT_RUN;
    }
    if (lc_plan_build(*cfg, disc, target, source, plan, &err) != 0) {
        fprintf(stderr, "logcanary: %s\n", err.message);
        return LC_EXIT_USAGE;
    }
    return LC_EXIT_OK;
}

int lc_runtime_init(struct lc_runtime *rt, const struct lc_config *cfg, struct lc_error *err)
{
    int rc = LC_E_INTERNAL; /* until the runtime is complete; err says why */

    memset(rt, 0, sizeof(*rt));
    rt->region = cfg->region ? strdup(cfg->region) : lc_creds_default_region(cfg->profile);
    if (!rt->region)
        rt->region = strdup("us-east-1");
    rt->base = event_base_new();
    if (!rt->region || !rt->base) {
        lc_error_set(err, LC_E_NOMEM, "out of memory starting the event loop");
        goto out;
    }
    struct lc_http_opts ho = {
        .max_total = cfg->max_concurrency,
        .max_per_host = cfg->max_per_host,
        .timeout_ms = cfg->timeout_s * 1000,
        .ca_bundle = cfg->ca_bundle,
    };
    rt->http = lc_http_new(rt->base, &ho, err);
    if (!rt->http)
        goto out;
    struct lc_aws_config ac = {
        .region = rt->region,
        .endpoint = cfg->endpoint,
        .endpoints = &cfg->endpoints,
        .path_style = cfg->path_style,
    };
    rt->aws = lc_aws_new(rt->base, rt->http, &ac, err);
    if (!rt->aws)
        goto out;
    struct lc_credprov_opts co = {.profile = cfg->profile};
    rt->default_creds = lc_credprov_default(rt->aws, &co, err);
    if (!rt->default_creds)
        goto out;
    rt->creds.base = rt->default_creds;
    rt->creds.n = cfg->n_targets;
    rt->creds.targets = calloc(cfg->n_targets ? cfg->n_targets : 1, sizeof(*rt->creds.targets));
    if (!rt->creds.targets) {
        lc_error_set(err, LC_E_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < cfg->n_targets; i++) {
        const struct lc_target_cfg *t = &cfg->targets[i];
        if (!t->role_arn) {
            rt->creds.targets[i] = rt->default_creds;
            continue;
        }
        rt->creds.targets[i] = lc_credprov_assume_role(
            rt->aws, rt->default_creds, t->role_arn, t->external_id, "logcanary", rt->region, err);
        if (!rt->creds.targets[i])
            goto out;
    }
    rt->org_creds = rt->ct_creds = rt->default_creds;
    if (cfg->org_role_arn && !(rt->org_creds = lc_credprov_assume_role(
                                   rt->aws, rt->default_creds, cfg->org_role_arn,
                                   cfg->org_external_id, "logcanary-discovery", rt->region, err)))
        goto out;
    if (cfg->ct_role_arn && !(rt->ct_creds = lc_credprov_assume_role(
                                  rt->aws, rt->default_creds, cfg->ct_role_arn, cfg->ct_external_id,
                                  "logcanary-discovery", rt->region, err)))
        goto out;
    rc = 0;
out:
    if (rc) {
        lc_runtime_free(rt);
        if (err->kind != LC_OK)
            rc = err->kind;
    }
    return rc;
}

void lc_runtime_free(struct lc_runtime *rt)
{
    for (size_t i = 0; rt->creds.targets && i < rt->creds.n; i++)
        if (rt->creds.targets[i] && rt->creds.targets[i] != rt->default_creds)
            lc_credprov_free(rt->creds.targets[i]);
    free(rt->creds.targets);
    if (rt->org_creds != rt->default_creds)
        lc_credprov_free(rt->org_creds);
    if (rt->ct_creds != rt->default_creds)
        lc_credprov_free(rt->ct_creds);
    lc_credprov_free(rt->default_creds);
    lc_aws_free(rt->aws);
    lc_http_free(rt->http);
    if (rt->base)
        event_base_free(rt->base);
    free(rt->region);
    memset(rt, 0, sizeof(*rt));
}

static void on_pause_over(evutil_socket_t fd, short what, void *arg)
{
    bool *over = arg;
    (void)fd;
    (void)what;
    *over = true;
}

void lc_runtime_pause(struct lc_runtime *rt, int64_t seconds)
{
    struct timeval tv = {.tv_sec = (time_t)seconds, .tv_usec = 0};
    bool over = false;

    if (event_base_once(rt->base, -1, EV_TIMEOUT, on_pause_over, &over, &tv) != 0)
        return;
    while (!over)
        if (event_base_loop(rt->base, EVLOOP_ONCE) != 0)
            break;
}
