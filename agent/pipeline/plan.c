/* Configuration -> streams. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "pipeline/discovery.h"
#include "pipeline/plan.h"
#include "probes/probe.h"

static int add_stream(struct lc_plan *p, const struct lc_target_cfg *t,
                      const struct lc_source_cfg *src, const char *account, const char *region,
                      const struct lc_account *acct, unsigned expected_by, struct lc_error *err)
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
    s->acct = acct;
    s->expected_by = expected_by;
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

static int skip(struct lc_plan *p, const struct lc_target_cfg *t, const struct lc_source_cfg *src,
                const struct lc_account *acct, const char *why, struct lc_error *err)
{
    if (LC_ARRAY_GROW(p->skipped, p->n_skipped, p->cap_skipped)) {
        lc_error_set(err, LC_E_NOMEM, "out of memory building the plan");
        return LC_E_NOMEM;
    }
    p->skipped[p->n_skipped++] =
        (struct lc_not_expected){.target = t, .source = src, .acct = acct, .why = why};
    return 0;
}

static bool listed(char *const *v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0)
            return true;
    return false;
}

/* Why an account of the organization is not expected by src (NULL: it is). */
static const char *not_expected(const struct lc_source_cfg *src, const struct lc_discovered *d,
                                const struct lc_account *a)
{
    if (strcmp(a->status, "ACTIVE") != 0)
        return a->status; /* SUSPENDED, PENDING_CLOSURE: not expected to deliver */
    if (listed(src->exclude_accounts, src->n_exclude_accounts, a->id))
        return "exclude_accounts";
    for (size_t i = 0; i < src->n_exclude_ous; i++)
        if (lc_discovered_in_ou(d, src->exclude_ous[i], a->id))
            return "exclude_ous";
    bool in = src->n_include_ous == 0;
    for (size_t i = 0; i < src->n_include_ous && !in; i++)
        in = lc_discovered_in_ou(d, src->include_ous[i], a->id);
    return in ? NULL : "include_ous";
}

/* The regions of src: its list, or the landing zone's governed ones. */
static bool source_regions(const struct lc_source_cfg *src, const struct lc_discovered *d,
                           char *const **regions, size_t *n)
{
    if (!src->regions_from) {
        *regions = src->regions;
        *n = src->n_regions;
        return true;
    }
    if (!d || d->ct.from == LC_DISC_NOT_ASKED || d->ct.from == LC_DISC_UNKNOWN)
        return false;
    *regions = d->ct.governed;
    *n = d->ct.n_governed;
    return true;
}

/* A landing zone 4.0 integration this source's deliveries come from, turned off (then the
 * governed regions expect nothing of it). */
static bool integration_off(const struct lc_source_cfg *src, const struct lc_discovered *d)
{
    const char *section = src->probe->controltower_section;
    if (!src->regions_from || !section || !d)
        return false;
    if (strcmp(section, "config") == 0)
        return d->ct.config == 0;
    if (strcmp(section, "centralizedLogging") == 0)
        return d->ct.centralized_logging == 0;
    return false;
}

static int plan_source(struct lc_plan *p, const struct lc_target_cfg *t,
                       const struct lc_source_cfg *src, const struct lc_discovered *d,
                       struct lc_error *err)
{
    char *const *regions;
    size_t n_regions;
    unsigned region_by = src->regions_from ? LC_EXPECT_CONTROL_TOWER : LC_EXPECT_CONFIG;
    int rc = 0;

    if (!source_regions(src, d, &regions, &n_regions) ||
        (src->accounts_from &&
         (!d || d->org.from == LC_DISC_NOT_ASKED || d->org.from == LC_DISC_UNKNOWN))) {
        if (!p->n_undiscovered++) {
            p->undiscovered = src;
            p->undiscovered_target = t;
        }
        return 0;
    }
    if (integration_off(src, d))
        return skip(p, t, src, NULL, "integration turned off in the landing zone", err);
    if (!src->accounts_from) {
        for (size_t a = 0; a < src->n_accounts && !rc; a++)
            for (size_t r = 0; r < n_regions && !rc; r++)
                rc = add_stream(p, t, src, src->accounts[a], regions[r],
                                lc_discovered_account(d, src->accounts[a]),
                                LC_EXPECT_CONFIG | region_by, err);
        return rc;
    }
    for (size_t a = 0; a < d->org.n_accounts && !rc; a++) {
        const struct lc_account *acct = &d->org.accounts[a];
        const char *why = not_expected(src, d, acct);
        if (why) {
            rc = skip(p, t, src, acct, why, err);
            continue;
        }
        for (size_t r = 0; r < n_regions && !rc; r++)
            rc = add_stream(p, t, src, acct->id, regions[r], acct,
                            LC_EXPECT_ORGANIZATION | region_by, err);
    }
    return rc;
}

int lc_plan_build(const struct lc_config *cfg, const struct lc_discovered *d,
                  const char *only_target, const char *only_source, struct lc_plan *out,
                  struct lc_error *err)
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
            if (plan_source(out, t, src, d, err)) {
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

int lc_plan_build_source(const struct lc_config *cfg, const struct lc_discovered *d, size_t ti,
                         size_t si, struct lc_plan *out, struct lc_error *err)
{
    memset(out, 0, sizeof(*out));
    if (ti >= cfg->n_targets || si >= cfg->targets[ti].n_sources) {
        lc_error_set(err, LC_E_INVALID, "no source %zu in target %zu", si, ti);
        return LC_E_INVALID;
    }
    if (plan_source(out, &cfg->targets[ti], &cfg->targets[ti].sources[si], d, err)) {
        lc_plan_free(out);
        return err->kind;
    }
    return 0;
}

const char *lc_expected_by_name(enum lc_expected_by b)
{
    switch (b) {
    case LC_EXPECT_CONFIG:
        return "config";
    case LC_EXPECT_ORGANIZATION:
        return "organization";
    case LC_EXPECT_CONTROL_TOWER:
        return "control_tower";
    case LC_EXPECT_BUCKET:
        return "bucket";
    }
    return "?";
}

const char *lc_expected_by_text(unsigned expected_by, char *out, size_t len)
{
    size_t n = 0;

    out[0] = '\0';
    for (unsigned b = LC_EXPECT_CONFIG; b <= LC_EXPECT_BUCKET && n < len; b <<= 1)
        if (expected_by & b)
            n += (size_t)snprintf(out + n, len - n, "%s%s", n ? ", " : "",
                                  lc_expected_by_name((enum lc_expected_by)b));
    return out;
}

void lc_plan_free(struct lc_plan *p)
{
    for (size_t i = 0; i < p->n_streams; i++) {
        free(p->streams[i].base);
        free(p->streams[i].id);
    }
    free(p->streams);
    free(p->skipped);
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
