/* The probe registry and what probes share: listing lists, folders, file-name times. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/error.h"
#include "pipeline/plan.h"
#include "pipeline/status.h"
#include "probes/probe.h"
#include "iam/diagnose.h"
#include "iam/policy.h"
#include "probes/probe_util.h"

/* The registry: one line per probe (its file's struct), in documentation order. */
#define PROBES(X)                                                                                  \
    X(lc_probe_vpcflowlogs)                                                                        \
    X(lc_probe_config)                                                                             \
    X(lc_probe_cloudtrail)                                                                         \
    X(lc_probe_waf)

#define DECLARE(probe) extern const struct lc_probe probe;
#define ENTRY(probe)   &probe,
PROBES(DECLARE)
const struct lc_probe *const lc_probes[] = {PROBES(ENTRY) NULL};

const struct lc_probe *lc_probe_find(const char *name)
{
    for (size_t i = 0; lc_probes[i]; i++)
        if (strcmp(lc_probes[i]->cfg.name, name) == 0)
            return lc_probes[i];
    return NULL;
}

int lc_probe_controltower_steps(struct lc_pol_names *s)
{
    int rc = lc_pol_names_add(s, "Control Tower: in CloudFormation, delete the failed stack (e.g. "
                                 "AWSControlTowerBP-BASELINE-CLOUDTRAIL-MASTER, or the failed "
                                 "StackSet-AWSControlTowerBP-BASELINE-CONFIG-* instance).");
    if (!rc)
        rc = lc_pol_names_add(s, "Then re-run the landing-zone setup (Control Tower > Landing "
                                 "zone settings: retry / update the landing zone).");
    return rc;
}

void lc_probe_diag_params(const struct lc_stream *s, const cJSON *status, struct lc_diag_params *p)
{
    p->service = s->probe->cfg.name;
    p->model = s->probe->diag;
    if (s->probe->diag_params)
        s->probe->diag_params(s, status, p);
}

const struct lc_sample_format *lc_probe_format_of(const struct lc_stream *s, const char *key)
{
    return s->probe->sample_format ? s->probe->sample_format(s, key) : s->probe->formats[0];
}

const struct lc_sample_format *lc_probe_sample_format(const char *name)
{
    for (size_t i = 0; lc_probes[i]; i++)
        for (size_t k = 0; lc_probes[i]->formats && lc_probes[i]->formats[k]; k++)
            if (strcmp(lc_probes[i]->formats[k]->name, name) == 0)
                return lc_probes[i]->formats[k];
    return NULL;
}

static const void *plugin_at(size_t i)
{
    return i < sizeof(lc_probes) / sizeof(lc_probes[0]) ? lc_probes[i] : NULL;
}

static const struct lc_cfg_plugin *plugin_of(const void *module)
{
    return &((const struct lc_probe *)module)->cfg;
}

const struct lc_cfg_plugins lc_source_types = {.at = plugin_at, .plugin = plugin_of};

/* Text for roff: markdown `code` in bold, '-' and '\\' escaped. */
static void man_text(FILE *out, const char *s)
{
    bool code = false;

    for (; *s; s++) {
        if (*s == '`')
            fputs((code = !code) ? "\\fB" : "\\fP", out);
        else if (*s == '-' || *s == '\\')
            fprintf(out, "\\%c", *s == '-' ? '-' : 'e');
        else
            fputc(*s, out);
    }
    if (code)
        fputs("\\fP", out);
}

static const char *default_of(const struct lc_probe *p, const char *key)
{
    for (size_t i = 0; p->cfg.defaults && p->cfg.defaults[i].key; i++)
        if (strcmp(p->cfg.defaults[i].key, key) == 0)
            return p->cfg.defaults[i].value;
    return NULL;
}

int lc_probes_write_man(FILE *out)
{
    for (size_t i = 0; lc_probes[i]; i++) {
        const struct lc_probe *p = lc_probes[i];
        const struct lc_cfg_map *m = p->cfg.options;
        const char *max_age = default_of(p, "max_age");

        fputs(".TP\n.B ", out);
        man_text(out, p->cfg.name);
        fputc('\n', out);
        if (m && m->doc) {
            man_text(out, m->doc);
            fputc('\n', out);
        } else if (p->diag && p->diag->title) {
            man_text(out, p->diag->title);
            fputs(".\n", out);
        }
        if (max_age) {
            fputs("Default \\fBmax_age\\fP: \\fB", out);
            man_text(out, max_age);
            fputs("\\fP.\n", out);
        }
        if (p->status && p->status->permissions[0]) {
            fputs("Its status, through \\fBstatus_role_arn\\fP:", out);
            for (size_t k = 0; p->status->permissions[k]; k++) {
                fputs(k ? ", \\fB" : " \\fB", out);
                man_text(out, p->status->permissions[k]);
                fputs("\\fP", out);
            }
            fputs(".\n", out);
        }
        if (!m || !m->n)
            continue;
        fputs("Its own keys:\n.RS\n", out);
        for (size_t k = 0; k < m->n; k++) {
            const struct lc_cfg_entry *e = &m->e[k];
            const char *def = e->def_doc ? e->def_doc : e->def;
            fputs(".TP\n.B ", out);
            if (m->path) {
                man_text(out, m->path);
                fputc('.', out);
            }
            man_text(out, e->key);
            fputc('\n', out);
            man_text(out, e->help ? e->help : "");
            if (def) {
                fputs(" Default: \\fB", out);
                man_text(out, def);
                fputs("\\fP.", out);
            }
            fputc('\n', out);
        }
        fputs(".RE\n", out);
    }
    return ferror(out) ? LC_E_IO : 0;
}

const char *lc_source_option_string(const struct lc_source_cfg *src, const char *key)
{
    return lc_cfg_option_string(&src->probe->cfg, src->options, key);
}

bool lc_source_option_bool(const struct lc_source_cfg *src, const char *key)
{
    return lc_cfg_option_bool(&src->probe->cfg, src->options, key);
}

int lc_listings_add(struct lc_listings *l, const char *prefix, const char *start_after,
                    const char *group_by, const char *suffix)
{
    if (LC_ARRAY_GROW(l->items, l->n, l->cap))
        return LC_E_NOMEM;
    struct lc_listing *it = &l->items[l->n];
    memset(it, 0, sizeof(*it));
    it->prefix = strdup(prefix);
    it->start_after = start_after ? strdup(start_after) : NULL;
    it->group_by = group_by;
    it->start_after_suffix = suffix ? strdup(suffix) : NULL;
    if (!it->prefix || (start_after && !it->start_after) || (suffix && !it->start_after_suffix)) {
        free(it->prefix);
        free(it->start_after);
        free(it->start_after_suffix);
        return LC_E_NOMEM;
    }
    l->n++;
    return 0;
}

void lc_listings_free(struct lc_listings *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].prefix);
        free(l->items[i].start_after);
        free(l->items[i].start_after_suffix);
    }
    free(l->items);
    memset(l, 0, sizeof(*l));
}

const char *lc_stream_folder(const struct lc_stream *s)
{
    const char *f = s->source->prefix ? s->source->prefix : s->target->prefix;
    return f ? f : "";
}

int lc_probe_append_folder(const struct lc_stream *s, struct lc_buf *out)
{
    const char *f = lc_stream_folder(s);
    if (!*f)
        return 0;
    return lc_buf_appendf(out, "%s/", f);
}

int lc_probe_list_from(struct lc_listings *out, const char *prefix, const char *stamp)
{
    struct lc_buf after = {0};
    int rc = lc_buf_appendf(&after, "%s%s", prefix, stamp);
    if (!rc)
        rc = lc_listings_add(out, prefix, after.data, NULL, NULL);
    lc_buf_free(&after);
    return rc;
}

/* Day (or hour) partitions from `from` to `now`, oldest first: calls add for each UTC day or
 * hour with the window's start formatted as file names carry it. */
int lc_probe_each_period(const struct lc_stream *s, time_t from, time_t now, bool hourly,
                         bool stamp_seconds, lc_probe_period_fn add, struct lc_listings *out)
{
    long step = hourly ? 3600 : 86400;
    time_t t = from - (from % step);
    char stamp[18];
    int rc = 0;

    if (stamp_seconds)
        lc_probe_fmt_second(from, stamp);
    else
        lc_probe_fmt_minute(from, stamp);
    for (; !rc && t <= now; t += step) {
        struct tm tm;
        if (!gmtime_r(&t, &tm))
            return LC_E_INVALID;
        rc = add(s, &tm, stamp, out);
    }
    return rc;
}

void lc_probe_fmt_minute(time_t t, char out[16])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 16, "%Y%m%dT%H%MZ", &tm);
}

void lc_probe_fmt_second(time_t t, char out[18])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 18, "%Y%m%dT%H%M%SZ", &tm);
}

/* "YYYYMMDDTHHmmZ" or "YYYYMMDDTHHmmssZ" at s; returns the characters used, 0 if neither. */
size_t lc_probe_parse_stamp(const char *s, time_t *out)
{
    int f[6] = {0};
    static const int width[6] = {4, 2, 2, 2, 2, 2};
    size_t i = 0;

    for (int k = 0; k < 6; k++) {
        if (k == 3) {
            if (s[i] != 'T')
                return 0;
            i++;
        }
        if (k == 5 && s[i] == 'Z')
            break; /* minute precision */
        for (int d = 0; d < width[k]; d++, i++) {
            if (s[i] < '0' || s[i] > '9')
                return 0;
            f[k] = f[k] * 10 + (s[i] - '0');
        }
    }
    if (s[i] != 'Z')
        return 0;
    if (f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > 31 || f[3] > 23 || f[4] > 59 || f[5] > 60)
        return 0;
    struct tm tm = {.tm_year = f[0] - 1900,
                    .tm_mon = f[1] - 1,
                    .tm_mday = f[2],
                    .tm_hour = f[3],
                    .tm_min = f[4],
                    .tm_sec = f[5]};
    *out = timegm(&tm);
    return i + 1;
}

/* The file name part of a key. */
const char *lc_probe_basename(const char *key)
{
    const char *slash = strrchr(key, '/');
    return slash ? slash + 1 : key;
}
