/* Configuration -> streams. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "pipeline/plan.h"
#include "probes/probe.h"

static int add_stream(struct lc_plan *p, const struct lc_target_cfg *t,
                      const struct lc_source_cfg *src, const char *account, const char *region,
                      struct lc_error *err)
{
    const struct lc_probe *probe = src->probe;
    struct lc_buf base = {0}, id = {0};
    struct lc_stream *s;
    int rc = LC_E_NOMEM;

    if (LC_ARRAY_GROW(p->streams, p->n_streams, p->cap_streams))
        goto out;
    s = &p->streams[p->n_streams];
    memset(s, 0, sizeof(*s));
    s->target = t;
    s->source = src;
    s->probe = probe;
    s->account = account;
    s->region = region;
    if (probe->base_prefix(s, &base) ||
        lc_buf_appendf(&id, "%s/%s/%s/%s", t->name, probe->cfg.name, account, region))
        goto out;
    s->base = lc_buf_steal(&base);
    s->id = lc_buf_steal(&id);
    p->n_streams++;
    rc = 0;
out:
    lc_buf_free(&base);
    lc_buf_free(&id);
    if (rc)
        lc_error_set(err, rc, "out of memory building the plan");
    return rc;
}

int lc_plan_build(const struct lc_config *cfg, const char *only_target, const char *only_source,
                  struct lc_plan *out, struct lc_error *err)
{
    bool target_seen = false, source_seen = false;

    memset(out, 0, sizeof(*out));
    for (size_t ti = 0; ti < cfg->n_targets; ti++) {
        const struct lc_target_cfg *t = &cfg->targets[ti];
        if (only_target && strcmp(t->name, only_target) != 0)
            continue;
        target_seen = true;
        for (size_t si = 0; si < t->n_sources; si++) {
            const struct lc_source_cfg *src = &t->sources[si];
            if (only_source && strcmp(src->probe->cfg.name, only_source) != 0)
                continue;
            source_seen = true;
            for (size_t a = 0; a < src->n_accounts; a++)
                for (size_t r = 0; r < src->n_regions; r++)
                    if (add_stream(out, t, src, src->accounts[a], src->regions[r], err)) {
                        lc_plan_free(out);
                        return err->kind;
                    }
        }
    }
    if (only_target && !target_seen) {
        lc_error_set(err, LC_E_INVALID, "--target %s: no target of that name in the config",
                     only_target);
        return LC_E_INVALID;
    }
    if (only_source && !source_seen) {
        lc_error_set(err, LC_E_INVALID, "--source %s: no such source in the selected targets",
                     only_source);
        return LC_E_INVALID;
    }
    return 0;
}

int lc_plan_build_source(const struct lc_config *cfg, size_t ti, size_t si, struct lc_plan *out,
                         struct lc_error *err)
{
    memset(out, 0, sizeof(*out));
    if (ti >= cfg->n_targets || si >= cfg->targets[ti].n_sources) {
        lc_error_set(err, LC_E_INVALID, "no source %zu in target %zu", si, ti);
        return LC_E_INVALID;
    }
    const struct lc_target_cfg *t = &cfg->targets[ti];
    const struct lc_source_cfg *src = &t->sources[si];
    for (size_t a = 0; a < src->n_accounts; a++)
        for (size_t r = 0; r < src->n_regions; r++)
            if (add_stream(out, t, src, src->accounts[a], src->regions[r], err)) {
                lc_plan_free(out);
                return err->kind;
            }
    return 0;
}

void lc_plan_free(struct lc_plan *p)
{
    for (size_t i = 0; i < p->n_streams; i++) {
        free(p->streams[i].base);
        free(p->streams[i].id);
    }
    free(p->streams);
    memset(p, 0, sizeof(*p));
}

char *lc_stream_status_role(const struct lc_stream *s)
{
    const char *t = s->source->status_role_arn;
    const char *mark = t ? strstr(t, "{account}") : NULL;
    struct lc_buf b = {0};

    if (!t)
        return NULL;
    if (!mark)
        return strdup(t);
    if (lc_buf_appendf(&b, "%.*s%s%s", (int)(mark - t), t, s->account, mark + 9)) {
        lc_buf_free(&b);
        return NULL;
    }
    return lc_buf_steal(&b);
}
