/* Reports: text for people, JSON for machines. Both are pure renderings of the observations
 * and findings. Secrets never reach them: they hold keys, ARNs, codes and messages only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pretty.h"
#include "iam/diagnose.h"
#include "pipeline/discovery.h"
#include "probes/probe.h"
#include "outputs/report.h"
#include "core/timeutil.h"

static const char *source_name(const struct lc_stream *s)
{
    return s->probe->cfg.name;
}

static void add_str_or_null(cJSON *o, const char *name, const char *v)
{
    if (v)
        cJSON_AddStringToObject(o, name, v);
    else
        cJSON_AddNullToObject(o, name);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* How many different strings v holds (sorted here). */
static size_t distinct(const char **v, size_t n)
{
    size_t d = 0;
    qsort(v, n, sizeof(*v), cmp_str);
    for (size_t i = 0; i < n; i++)
        d += i == 0 || strcmp(v[i - 1], v[i]) != 0;
    return d;
}

void lc_report_coverage(const struct lc_observations *o, const struct lc_findings *f,
                        struct lc_coverage *c)
{
    const char **v = malloc((o->n_streams + 1) * sizeof(*v));
    bool *never = calloc(o->n_streams + 1, sizeof(*never));

    memset(c, 0, sizeof(*c));
    /* the streams of the observations are the plan's, in its order */
    for (size_t i = 0; never && o->n_streams && i < f->n; i++) {
        const struct lc_stream *s = f->items[i].stream;
        const struct lc_stream *first = o->streams[0].stream;
        if (f->items[i].code == LC_F_NEVER_DELIVERED && s && s >= first && s < first + o->n_streams)
            never[s - first] = true;
    }
    for (size_t k = 0; v && k < 3; k++) {
        for (size_t i = 0; i < o->n_streams; i++) {
            const struct lc_stream *s = o->streams[i].stream;
            v[i] = k == 0 ? s->account : k == 1 ? s->region : s->probe->cfg.name;
        }
        size_t d = distinct(v, o->n_streams);
        *(k == 0 ? &c->accounts : k == 1 ? &c->regions : &c->sources) = d;
    }
    for (size_t i = 0; i < o->n_streams; i++) {
        c->streams++;
        switch (f->stream_status[i]) {
        case LC_ST_OK:
            c->ok++;
            break;
        case LC_ST_STALE:
            c->stale++;
            break;
        case LC_ST_MISSING:
            if (never && never[i])
                c->never++;
            else
                c->missing++;
            break;
        case LC_ST_INVALID:
            c->invalid++;
            break;
        case LC_ST_DENIED:
            c->denied++;
            break;
        case LC_ST_ERROR:
            c->error++;
            break;
        }
    }
    c->not_expected = o->plan ? o->plan->n_skipped : 0;
    for (size_t i = 0; i < f->n; i++)
        c->unmonitored += f->items[i].code == LC_F_UNMONITORED_DELIVERY;
    free(v);
    free(never);
}

unsigned lc_report_expected_by(const struct lc_observations *o, const struct lc_stream *s)
{
    const struct lc_witness_obs *w = lc_witness_of(o, s);
    return s->expected_by | (w && lc_witness_has(w, s->account) ? LC_EXPECT_BUCKET : 0);
}

static void add_expected_by(cJSON *j, unsigned by)
{
    cJSON *a = cJSON_AddArrayToObject(j, "expected_by");
    for (unsigned b = LC_EXPECT_CONFIG; a && b <= LC_EXPECT_BUCKET; b <<= 1)
        if (by & b)
            cJSON_AddItemToArray(a,
                                 cJSON_CreateString(lc_expected_by_name((enum lc_expected_by)b)));
}

static void add_discovery(cJSON *root, const struct lc_observations *o)
{
    const struct lc_discovered *d = o->discovered;
    char when[LC_TIME_ISO8601_LEN], buf[700];

    if (!d)
        return;
    cJSON *j = cJSON_AddObjectToObject(root, "discovery");
    if (d->org.from != LC_DISC_NOT_ASKED) {
        cJSON *x = cJSON_AddObjectToObject(j, "organization");
        cJSON_AddStringToObject(x, "from", lc_discovery_from_name(d->org.from));
        if (d->org.read_at)
            cJSON_AddStringToObject(x, "read_at", lc_time_format_iso8601(d->org.read_at, when));
        add_str_or_null(x, "org_id", d->org.org_id);
        cJSON_AddNumberToObject(x, "accounts", (double)d->org.n_accounts);
        if (d->org.err.kind != LC_OK)
            cJSON_AddStringToObject(x, "error", lc_error_format(&d->org.err, buf, sizeof(buf)));
    }
    if (d->ct.from != LC_DISC_NOT_ASKED) {
        cJSON *x = cJSON_AddObjectToObject(j, "control_tower");
        cJSON_AddStringToObject(x, "from", lc_discovery_from_name(d->ct.from));
        if (d->ct.read_at)
            cJSON_AddStringToObject(x, "read_at", lc_time_format_iso8601(d->ct.read_at, when));
        add_str_or_null(x, "landing_zone", d->ct.arn);
        add_str_or_null(x, "version", d->ct.version);
        cJSON *g = cJSON_AddArrayToObject(x, "governed_regions");
        for (size_t i = 0; g && i < d->ct.n_governed; i++)
            cJSON_AddItemToArray(g, cJSON_CreateString(d->ct.governed[i]));
        if (d->ct.err.kind != LC_OK)
            cJSON_AddStringToObject(x, "error", lc_error_format(&d->ct.err, buf, sizeof(buf)));
    }
    cJSON_AddNumberToObject(j, "requests", d->requests);
}

static void add_not_expected(cJSON *root, const struct lc_observations *o)
{
    if (!o->plan || !o->plan->n_skipped)
        return;
    cJSON *a = cJSON_AddArrayToObject(root, "not_expected");
    for (size_t i = 0; i < o->plan->n_skipped; i++) {
        const struct lc_not_expected *n = &o->plan->skipped[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddItemToArray(a, x);
        cJSON_AddStringToObject(x, "target", n->target->name);
        cJSON_AddStringToObject(x, "source", n->source->probe->cfg.name);
        add_str_or_null(x, "account", n->acct ? n->acct->id : NULL);
        add_str_or_null(x, "account_name", n->acct ? n->acct->name : NULL);
        cJSON_AddStringToObject(x, "why", n->why);
    }
}

static void add_coverage(cJSON *root, const struct lc_observations *o, const struct lc_findings *f)
{
    struct lc_coverage c;
    lc_report_coverage(o, f, &c);
    cJSON *j = cJSON_AddObjectToObject(root, "coverage");
    const struct {
        const char *name;
        size_t v;
    } rows[] = {{"accounts", c.accounts},
                {"regions", c.regions},
                {"sources", c.sources},
                {"streams", c.streams},
                {"ok", c.ok},
                {"stale", c.stale},
                {"missing", c.missing},
                {"never_delivered", c.never},
                {"invalid", c.invalid},
                {"denied", c.denied},
                {"error", c.error},
                {"not_expected", c.not_expected},
                {"unmonitored", c.unmonitored}};
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        cJSON_AddNumberToObject(j, rows[i].name, (double)rows[i].v);
}

cJSON *lc_report_json_doc(const struct lc_observations *o, const struct lc_findings *f)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *streams = cJSON_AddArrayToObject(root, "streams");
    cJSON *canaries = cJSON_AddArrayToObject(root, "canaries");
    cJSON *findings = cJSON_AddArrayToObject(root, "findings");

    cJSON_AddNumberToObject(root, "version", 1);
    cJSON_AddStringToObject(root, "status", f->overall);
    char now[LC_TIME_ISO8601_LEN];
    cJSON_AddStringToObject(root, "checked_at", lc_time_format_iso8601(o->now, now));
    for (size_t i = 0; i < o->n_streams; i++) {
        const struct lc_stream_obs *so = &o->streams[i];
        const struct lc_stream *s = so->stream;
        cJSON *j = cJSON_CreateObject();
        cJSON_AddItemToArray(streams, j);
        cJSON_AddStringToObject(j, "target", s->target->name);
        cJSON_AddStringToObject(j, "bucket", s->target->bucket);
        cJSON_AddStringToObject(j, "source", source_name(s));
        cJSON_AddStringToObject(j, "account", s->account);
        if (s->acct && s->acct->name)
            cJSON_AddStringToObject(j, "account_name", s->acct->name);
        cJSON_AddStringToObject(j, "region", s->region);
        add_expected_by(j, lc_report_expected_by(o, s));
        cJSON_AddStringToObject(j, "prefix", s->base);
        cJSON_AddStringToObject(j, "status", lc_stream_status_name(f->stream_status[i]));
        add_str_or_null(j, "newest_key", so->newest_key);
        if (so->newest_key)
            cJSON_AddNumberToObject(j, "newest_age_s", (double)(o->now - so->newest_delivered));
        else
            cJSON_AddNullToObject(j, "newest_age_s");
        cJSON_AddNumberToObject(j, "objects_seen", (double)so->objects_seen);
        cJSON_AddNumberToObject(j, "requests", so->requests);
        if (so->sampled) {
            cJSON *sm = cJSON_AddObjectToObject(j, "sample");
            cJSON_AddStringToObject(sm, "key", so->newest_key);
            cJSON_AddNumberToObject(sm, "bytes_read", (double)so->sample.bytes_in);
            cJSON_AddBoolToObject(sm, "valid", so->sample.valid);
            cJSON_AddNumberToObject(sm, "records", (double)so->sample.records);
            if (so->sample.newest_record)
                cJSON_AddNumberToObject(sm, "newest_record_age_s",
                                        (double)(o->now - so->sample.newest_record));
            else
                cJSON_AddNullToObject(sm, "newest_record_age_s");
            if (so->sample.format[0])
                cJSON_AddStringToObject(sm, "format", so->sample.format);
        } else {
            cJSON_AddNullToObject(j, "sample");
        }
    }
    for (size_t i = 0; i < o->n_canaries; i++) {
        const struct lc_canary_obs *c = &o->canaries[i];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddItemToArray(canaries, j);
        cJSON_AddStringToObject(j, "target", c->target->name);
        cJSON_AddStringToObject(j, "bucket", c->target->bucket);
        cJSON_AddStringToObject(j, "status", lc_canary_status_name(f->canary_status[i]));
        add_str_or_null(j, "key", c->key);
        add_str_or_null(j, "sse", c->sse);
        add_str_or_null(j, "kms_key_arn", c->sse_kms_key_id);
        cJSON_AddBoolToObject(j, "bucket_key_enabled", c->bucket_key);
        cJSON_AddNumberToObject(j, "latency_s", c->latency_s);
    }
    for (size_t i = 0; i < f->n; i++)
        cJSON_AddItemToArray(findings, lc_finding_json(&f->items[i]));
    add_coverage(root, o, f);
    add_discovery(root, o);
    add_not_expected(root, o);
    if (o->fatal.kind != LC_OK) {
        char buf[700];
        cJSON_AddStringToObject(root, "error", lc_error_format(&o->fatal, buf, sizeof(buf)));
    }
    return root;
}

int lc_report_json(FILE *out, const struct lc_observations *o, const struct lc_findings *f)
{
    cJSON *doc = lc_report_json_doc(o, f);
    char *text = doc ? cJSON_Print(doc) : NULL;
    int rc = text ? 0 : LC_E_NOMEM;

    if (text && (fputs(text, out) == EOF || fputc('\n', out) == EOF))
        rc = LC_E_IO;
    cJSON_free(text);
    cJSON_Delete(doc);
    return rc;
}

const char *lc_report_age(long s, char *buf, size_t len)
{
    if (s < 0)
        s = 0;
    if (s < 90)
        snprintf(buf, len, "%lds", s);
    else if (s < 3600)
        snprintf(buf, len, "%ldm", s / 60);
    else if (s < 48 * 3600)
        snprintf(buf, len, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
    else
        snprintf(buf, len, "%ldd%02ldh", s / 86400, (s % 86400) / 3600);
    return buf;
}

/* "name: value" for one evidence or remediation member; nested values as compact JSON. */
static void print_value(FILE *out, const char *indent, const cJSON *v)
{
    if (cJSON_IsString(v)) {
        fprintf(out, "%s%s: %s\n", indent, v->string, v->valuestring);
    } else if (cJSON_IsNumber(v)) {
        fprintf(out, "%s%s: %.0f\n", indent, v->string, v->valuedouble);
    } else if (cJSON_IsBool(v)) {
        fprintf(out, "%s%s: %s\n", indent, v->string, cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsArray(v) && cJSON_GetArraySize(v) == 0) {
        return;
    } else if (cJSON_IsArray(v) && cJSON_IsString(cJSON_GetArrayItem(v, 0))) {
        const cJSON *e;
        fprintf(out, "%s%s:", indent, v->string);
        cJSON_ArrayForEach(e, v) fprintf(out, "%s%s", e == v->child ? " " : "; ",
                                         cJSON_IsString(e) ? e->valuestring : "?");
        fputc('\n', out);
    } else if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
        char *txt = cJSON_PrintUnformatted(v);
        if (txt)
            fprintf(out, "%s%s: %s\n", indent, v->string, txt);
        cJSON_free(txt);
    }
}

struct col {
    const char *head;
    size_t width;
};

static const char *paint(bool color, const char *status)
{
    if (!color)
        return "";
    if (strcmp(status, "ok") == 0)
        return "\033[32m";
    if (strcmp(status, "error") == 0)
        return "\033[33m";
    return "\033[1;31m";
}

int lc_report_text(FILE *out, const struct lc_observations *o, const struct lc_findings *f,
                   bool color)
{
    enum { C_TARGET, C_SOURCE, C_ACCOUNT, C_REGION, C_STATUS, C_NEWEST, C_OBJECTS, C_REQS, NCOL };
    struct col cols[NCOL] = {{"TARGET", 6}, {"SOURCE", 6}, {"ACCOUNT", 7}, {"REGION", 6},
                             {"STATUS", 6}, {"NEWEST", 6}, {"OBJECTS", 7}, {"REQS", 4}};
    char now[LC_TIME_ISO8601_LEN], age[32], n1[32], n2[32];
    const char *reset = color ? "\033[0m" : "";

    for (size_t i = 0; i < o->n_streams; i++) {
        const struct lc_stream *s = o->streams[i].stream;
        size_t w[NCOL] = {strlen(s->target->name),
                          strlen(source_name(s)),
                          strlen(s->account),
                          strlen(s->region),
                          strlen(lc_stream_status_name(f->stream_status[i])),
                          8,
                          7,
                          4};
        for (int c = 0; c < NCOL; c++)
            if (w[c] > cols[c].width)
                cols[c].width = w[c];
    }
    fprintf(out, "logcanary check at %s: %s\n\n", lc_time_format_iso8601(o->now, now), f->overall);
    if (o->n_streams) {
        for (int c = 0; c < NCOL; c++)
            fprintf(out, "%-*s%s", (int)cols[c].width, cols[c].head, c + 1 < NCOL ? "  " : "\n");
        for (size_t i = 0; i < o->n_streams; i++) {
            const struct lc_stream_obs *so = &o->streams[i];
            const struct lc_stream *s = so->stream;
            const char *st = lc_stream_status_name(f->stream_status[i]);
            snprintf(n1, sizeof(n1), "%llu", (unsigned long long)so->objects_seen);
            snprintf(n2, sizeof(n2), "%d", so->requests);
            fprintf(out, "%-*s  %-*s  %-*s  %-*s  %s%-*s%s  %-*s  %*s  %*s\n",
                    (int)cols[C_TARGET].width, s->target->name, (int)cols[C_SOURCE].width,
                    source_name(s), (int)cols[C_ACCOUNT].width, s->account,
                    (int)cols[C_REGION].width, s->region, paint(color, st),
                    (int)cols[C_STATUS].width, st, reset, (int)cols[C_NEWEST].width,
                    so->newest_key
                        ? lc_report_age((long)(o->now - so->newest_delivered), age, sizeof(age))
                        : "-",
                    (int)cols[C_OBJECTS].width, n1, (int)cols[C_REQS].width, n2);
        }
    }
    if (o->discovered || (o->plan && o->plan->n_skipped)) {
        struct lc_coverage c;
        lc_report_coverage(o, f, &c);
        fprintf(out,
                "\ncoverage: %zu account%s x %zu region%s x %zu source%s = %zu streams expected: "
                "%zu ok, %zu stale, %zu missing, %zu never delivered",
                c.accounts, c.accounts == 1 ? "" : "s", c.regions, c.regions == 1 ? "" : "s",
                c.sources, c.sources == 1 ? "" : "s", c.streams, c.ok, c.stale, c.missing, c.never);
        if (c.invalid + c.denied + c.error)
            fprintf(out, ", %zu other", c.invalid + c.denied + c.error);
        fprintf(out, "; %zu not expected, %zu unmonitored delivering\n", c.not_expected,
                c.unmonitored);
        for (size_t i = 0; o->plan && i < o->plan->n_skipped; i++) {
            const struct lc_not_expected *n = &o->plan->skipped[i];
            fprintf(out, "  not expected: %s/%s %s%s%s%s: %s\n", n->target->name,
                    n->source->probe->cfg.name, n->acct ? n->acct->id : "(all)",
                    n->acct && n->acct->name ? " (" : "",
                    n->acct && n->acct->name ? n->acct->name : "",
                    n->acct && n->acct->name ? ")" : "", n->why);
        }
    }
    for (size_t i = 0; i < o->n_canaries; i++) {
        const struct lc_canary_obs *c = &o->canaries[i];
        const char *st = lc_canary_status_name(f->canary_status[i]);
        fprintf(out, "\ncanary %s (s3://%s): %s%s%s", c->target->name, c->target->bucket,
                paint(color, st), st, reset);
        if (c->sse)
            fprintf(out, ", %s %s, bucket key %s", c->sse,
                    c->sse_kms_key_id ? c->sse_kms_key_id : "", c->bucket_key ? "on" : "off");
        fprintf(out, ", %.2fs\n", c->latency_s);
    }
    if (f->n)
        fprintf(out, "\nfindings:\n");
    for (size_t i = 0; i < f->n; i++) {
        const struct lc_finding *it = &f->items[i];
        fprintf(out, "\n%s%-8s%s %s\n  %s\n", paint(color, "problem"),
                lc_severity_name(it->severity), reset, lc_finding_name(it->code), it->summary);
        for (cJSON *e = it->evidence ? it->evidence->child : NULL; e; e = e->next)
            print_value(out, "    ", e);
        if (it->likely_cause) {
            cJSON *code = cJSON_GetObjectItem(it->likely_cause, "code");
            cJSON *conf = cJSON_GetObjectItem(it->likely_cause, "confidence");
            cJSON *sum = cJSON_GetObjectItem(it->likely_cause, "summary");
            fprintf(out, "  likely cause (%s confidence): %s: %s\n",
                    cJSON_IsString(conf) ? conf->valuestring : "?",
                    cJSON_IsString(code) ? code->valuestring : "?",
                    cJSON_IsString(sum) ? sum->valuestring : "");
        }
        for (cJSON *r = it->remediation ? it->remediation->child : NULL; r; r = r->next) {
            if (cJSON_IsString(r) && strcmp(r->string, "hint") == 0) {
                fprintf(out, "  fix: %s\n", r->valuestring);
            } else if (strcmp(r->string, "add_statements") == 0 && cJSON_IsArray(r)) {
                /* Statements to paste into the policy's "Statement" array. */
                fprintf(out, "  fix: add to the %s's \"Statement\" array:\n",
                        it->code == LC_F_BUCKET_POLICY_GAP ? "bucket policy" : "key policy");
                const cJSON *st;
                cJSON_ArrayForEach(st, r)
                {
                    struct lc_buf txt = {0};
                    if (lc_json_pretty(st, &txt) == 0 && txt.data)
                        for (char *line = strtok(txt.data, "\n"); line; line = strtok(NULL, "\n"))
                            fprintf(out, "    %s\n", line);
                    lc_buf_free(&txt);
                }
            } else if (strcmp(r->string, "verified") == 0) {
                if (cJSON_IsTrue(r))
                    fprintf(out, "  (checked: with this added, every request the service makes "
                                 "is granted)\n");
            } else if (strcmp(r->string, "steps_after") == 0 && cJSON_IsArray(r)) {
                const cJSON *st;
                fprintf(out, "  then:\n");
                cJSON_ArrayForEach(st, r) if (cJSON_IsString(st))
                    fprintf(out, "    - %s\n", st->valuestring);
            } else {
                print_value(out, "  ", r);
            }
        }
    }
    if (o->fatal.kind != LC_OK) {
        char buf[700];
        fprintf(out, "\nerror: %s\n", lc_error_format(&o->fatal, buf, sizeof(buf)));
    }
    return ferror(out) ? LC_E_IO : 0;
}
