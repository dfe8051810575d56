/* The HTML report: one self-contained page that pictures a check's coverage. A pure rendering of
 * the observations and findings, like the text and JSON reports: it writes only to the FILE it
 * is given, holds keys, ARNs, codes and messages (never secrets), and fetches nothing (inline
 * CSS, no script, no font, no image).
 *
 * Every string that comes from AWS or the configuration (account names, keys, messages, target
 * names) goes through esc(), in text and in attribute values alike; attribute values are always
 * double-quoted, and the anchors between the matrix and the findings are numbered, never built
 * from names.
 *
 * The markup is meant to be checked by programs too: each matrix <table class="matrix"> has
 * data-target, data-bucket and data-source; each stream cell <td class="cell"> has data-stream,
 * data-account, data-region, data-status (the JSON report's status names, "never" for a stream
 * that never delivered) and data-age-s when a delivery was found; an empty cell is
 * <td class="cell empty"> with no data-status; the coverage <section id="coverage"> carries
 * the numbers of lc_report_coverage() as data attributes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/pretty.h"
#include "core/timeutil.h"
#include "pipeline/discovery.h"
#include "probes/probe.h"
#include "outputs/report.h"

#define NO_INDEX SIZE_MAX

/* ---- escaping ------------------------------------------------------------------------------ */

/* The length of the UTF-8 sequence at s (1 to 4 bytes), or 0 when the bytes there are not valid
 * UTF-8 (overlong forms, surrogates and code points above U+10FFFF included). */
static size_t utf8_len(const unsigned char *s)
{
    unsigned char c = s[0], lo, hi;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return (s[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        lo = c == 0xe0 ? 0xa0 : 0x80;
        hi = c == 0xed ? 0x9f : 0xbf;
        return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        lo = c == 0xf0 ? 0x90 : 0x80;
        hi = c == 0xf4 ? 0x8f : 0xbf;
        return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80 ? 4 : 0;
    }
    return 0;
}

/* s as HTML text or a double-quoted attribute value: the five markup characters as references,
 * control characters (C0 but tab and newlines, DEL, C1) and bytes that are not UTF-8 as U+FFFD.
 * NULL prints nothing. */
static void esc(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");

    while (*p) {
        size_t n = utf8_len(p);
        switch (*p) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&#39;", out);
            break;
        default:
            if (n == 0 || (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') || *p == 0x7f ||
                (*p == 0xc2 && p[1] < 0xa0)) {
                fputs("\xef\xbf\xbd", out);
                n = n ? n : 1;
            } else {
                fwrite(p, 1, n, out);
            }
            p += n;
            continue;
        }
        p++;
    }
}

/* ---- what the page needs of the findings --------------------------------------------------- */

struct ptr_index {
    const void *p;
    size_t i;
};

static int cmp_ptr(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)((const struct ptr_index *)a)->p;
    uintptr_t y = (uintptr_t)((const struct ptr_index *)b)->p;
    return x < y ? -1 : x > y;
}

/* The findings by stream, the cells' statuses, and the matrices' groups. */
struct page {
    const struct lc_observations *o;
    const struct lc_findings *f;
    size_t *stream_of;  /* per finding: the index of its observed stream, or NO_INDEX */
    size_t *first;      /* per stream + 1: where its findings start in order[] */
    size_t *order;      /* the findings, grouped by stream in stream order, the others last */
    const char **cell;  /* per stream: its data-status ("never" for never delivered) */
    size_t *group;      /* per stream: its matrix */
    size_t *group_head; /* per matrix: its first stream */
    size_t n_groups;
};

static void page_free(struct page *pg)
{
    free(pg->stream_of);
    free(pg->first);
    free(pg->order);
    free(pg->cell);
    free(pg->group);
    free(pg->group_head);
}

static const char *source_name(const struct lc_stream *s)
{
    return s->probe->cfg.name;
}

static int page_build(struct page *pg, const struct lc_observations *o, const struct lc_findings *f)
{
    size_t ns = o->n_streams, nf = f->n;
    struct ptr_index *idx = calloc(ns + 1, sizeof(*idx));
    size_t *fill = calloc(ns + 2, sizeof(*fill));

    memset(pg, 0, sizeof(*pg));
    pg->o = o;
    pg->f = f;
    pg->stream_of = calloc(nf + 1, sizeof(*pg->stream_of));
    pg->first = calloc(ns + 2, sizeof(*pg->first));
    pg->order = calloc(nf + 1, sizeof(*pg->order));
    pg->cell = calloc(ns + 1, sizeof(*pg->cell));
    pg->group = calloc(ns + 1, sizeof(*pg->group));
    pg->group_head = calloc(ns + 1, sizeof(*pg->group_head));
    if (!idx || !fill || !pg->stream_of || !pg->first || !pg->order || !pg->cell || !pg->group ||
        !pg->group_head) {
        free(idx);
        free(fill);
        page_free(pg);
        return LC_E_NOMEM;
    }

    /* Each finding's stream, by the stream's address (sorted, so n log n for any size). */
    for (size_t i = 0; i < ns; i++)
        idx[i] = (struct ptr_index){.p = o->streams[i].stream, .i = i};
    qsort(idx, ns, sizeof(*idx), cmp_ptr);
    for (size_t k = 0; k < nf; k++) {
        struct ptr_index key = {.p = f->items[k].stream}, *hit = NULL;
        if (key.p && ns)
            hit = bsearch(&key, idx, ns, sizeof(*idx), cmp_ptr);
        pg->stream_of[k] = hit ? hit->i : NO_INDEX;
    }
    free(idx);

    /* Counting sort: stream i's findings are order[first[i] .. first[i + 1]), in their order;
     * slot ns holds the findings of no stream. */
    for (size_t k = 0; k < nf; k++)
        pg->first[(pg->stream_of[k] == NO_INDEX ? ns : pg->stream_of[k]) + 1]++;
    for (size_t i = 0; i <= ns; i++)
        pg->first[i + 1] += pg->first[i];
    memcpy(fill, pg->first, (ns + 2) * sizeof(*fill));
    for (size_t k = 0; k < nf; k++)
        pg->order[fill[pg->stream_of[k] == NO_INDEX ? ns : pg->stream_of[k]]++] = k;
    free(fill);

    /* The cells' statuses: never delivered is a missing stream with a NEVER_DELIVERED finding,
     * as lc_report_coverage() counts it. */
    for (size_t i = 0; i < ns; i++) {
        enum lc_stream_status st = f->stream_status[i];
        pg->cell[i] = lc_stream_status_name(st);
        for (size_t j = pg->first[i]; st == LC_ST_MISSING && j < pg->first[i + 1]; j++)
            if (f->items[pg->order[j]].code == LC_F_NEVER_DELIVERED)
                pg->cell[i] = "never";
    }

    /* The matrices: one per (target, source type), in the order of their first stream. */
    for (size_t i = 0; i < ns; i++) {
        const struct lc_stream *s = o->streams[i].stream;
        size_t g = 0;
        while (g < pg->n_groups) {
            const struct lc_stream *h = o->streams[pg->group_head[g]].stream;
            if (h->target == s->target && strcmp(source_name(h), source_name(s)) == 0)
                break;
            g++;
        }
        if (g == pg->n_groups)
            pg->group_head[pg->n_groups++] = i;
        pg->group[i] = g;
    }
    return 0;
}

static bool has_findings(const struct page *pg, size_t i)
{
    return pg->first[i + 1] > pg->first[i];
}

/* ---- the page ------------------------------------------------------------------------------ */

static const char style[] =
    "body{font:14px/1.4 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;margin:0;"
    "padding:0 24px 48px;color:#1f2328;background:#fff}"
    "header{border-bottom:1px solid #d0d7de;margin-bottom:16px;padding:12px 0}"
    "h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin:28px 0 8px}"
    "h3{font-size:15px;margin:20px 0 6px}h4{font-size:14px;margin:0 0 4px}"
    "code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;"
    "font-size:12.5px}"
    "pre{background:#f6f8fa;border:1px solid #d0d7de;padding:8px;overflow:auto;margin:4px 0}"
    "table{border-collapse:collapse}"
    "th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}"
    "th{background:#f6f8fa;font-weight:600}"
    "caption{text-align:left;padding:4px 0;color:#57606a;white-space:nowrap}"
    ".overall{padding:2px 10px;border-radius:12px;color:#fff}"
    ".overall-ok{background:#1a7f37}.overall-problems{background:#cf222e}"
    ".overall-error{background:#9a6700}"
    ".coverage .n{font-weight:600}.coverage span.k{margin-right:14px;white-space:nowrap}"
    ".fatal{color:#cf222e;font-weight:600}"
    "table.matrix td.cell{min-width:96px;text-align:center;padding:0}"
    "table.matrix td.cell>a,table.matrix td.cell>span{display:block;padding:6px 8px;"
    "color:inherit;text-decoration:none}"
    "table.matrix td.cell a:hover{text-decoration:underline}"
    "td.cell b,span.swatch{display:block}td.cell i{font-style:normal;font-size:12px}"
    ".acct-name{font-weight:normal;color:#57606a}th .acct-name{display:block;font-size:12px}"
    ".empty{background:repeating-linear-gradient(45deg,#fff,#fff 6px,#f3f4f6 6px,#f3f4f6 12px);"
    "color:#8c959f}"
    ".st-ok{background:#dafbe1;color:#116329}.st-stale{background:#fff1c2;color:#7d4e00}"
    ".st-missing{background:#ffd7d5;color:#a40e26}.st-never{background:#82071e;color:#fff}"
    ".st-invalid{background:#ffe2cc;color:#953800}.st-denied{background:#eddeff;color:#6e40c9}"
    ".st-error{background:#e6e8eb;color:#424a53}.plain{background:#eaeef2}"
    ".badge{padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600}"
    ".legend span.badge{margin-right:6px}"
    "ul.not-expected{margin:6px 0 0;padding-left:20px;color:#57606a}"
    "article.finding{border:1px solid #d0d7de;border-left:4px solid #8c959f;padding:8px 12px;"
    "margin:8px 0;border-radius:4px}"
    "article.sev-critical{border-left-color:#cf222e}article.sev-warning{border-left-color:#d4a72c}"
    "article.sev-info{border-left-color:#0969da}"
    ".sev{text-transform:uppercase;font-size:11px;letter-spacing:.05em;margin-right:6px}"
    "dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:6px 0}"
    "dl.kv dt{color:#57606a}dl.kv dd{margin:0;word-break:break-all}"
    ".facts{color:#57606a;margin:2px 0 6px}.cause{margin:6px 0}";

/* The status names of the cells, with the legend's words. */
static const struct {
    const char *status, *label;
} statuses[] = {
    {"ok", "ok"},           {"stale", "stale"},
    {"missing", "missing"}, {"never", "never delivered"},
    {"invalid", "invalid"}, {"denied", "denied"},
    {"error", "error"},
};

static const char *status_label(const char *status)
{
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
        if (strcmp(statuses[i].status, status) == 0)
            return statuses[i].label;
    return status;
}

static void print_time(FILE *out, time_t t)
{
    char when[LC_TIME_ISO8601_LEN];
    lc_time_format_iso8601(t, when);
    fprintf(out, "<time datetime=\"%s\">%s</time>", when, when);
}

static void print_coverage(FILE *out, const struct page *pg)
{
    struct lc_coverage c;
    lc_report_coverage(pg->o, pg->f, &c);
    fprintf(
        out,
        "<section id=\"coverage\" class=\"coverage\" data-accounts=\"%zu\" data-regions=\"%zu\" "
        "data-sources=\"%zu\" data-streams=\"%zu\" data-ok=\"%zu\" data-stale=\"%zu\" "
        "data-missing=\"%zu\" data-never=\"%zu\" data-invalid=\"%zu\" data-denied=\"%zu\" "
        "data-error=\"%zu\" data-not-expected=\"%zu\" data-unmonitored=\"%zu\">\n",
        c.accounts, c.regions, c.sources, c.streams, c.ok, c.stale, c.missing, c.never, c.invalid,
        c.denied, c.error, c.not_expected, c.unmonitored);
    fprintf(out,
            "<p><span class=\"n\">%zu</span> account%s &times; <span class=\"n\">%zu</span> "
            "region%s &times; <span class=\"n\">%zu</span> source%s = <span class=\"n\">%zu</span> "
            "stream%s expected</p>\n<p>",
            c.accounts, c.accounts == 1 ? "" : "s", c.regions, c.regions == 1 ? "" : "s", c.sources,
            c.sources == 1 ? "" : "s", c.streams, c.streams == 1 ? "" : "s");
    const struct {
        const char *cls, *label;
        size_t n;
    } rows[] = {
        {"st-ok", "ok", c.ok},
        {"st-stale", "stale", c.stale},
        {"st-missing", "missing", c.missing},
        {"st-never", "never delivered", c.never},
        {"st-error", "other (invalid, denied, error)", c.invalid + c.denied + c.error},
        {"plain", "not expected", c.not_expected},
        {"plain", "unmonitored delivering", c.unmonitored},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        fprintf(out, "<span class=\"k\"><span class=\"badge %s\">%zu</span> %s</span>", rows[i].cls,
                rows[i].n, rows[i].label);
    fputs("</p>\n</section>\n", out);
}

static void print_error(FILE *out, const struct lc_error *e)
{
    char buf[700];
    esc(out, lc_error_format(e, buf, sizeof(buf)));
}

static void print_discovery(FILE *out, const struct lc_observations *o)
{
    const struct lc_discovered *d = o->discovered;

    if (!d || (d->org.from == LC_DISC_NOT_ASKED && d->ct.from == LC_DISC_NOT_ASKED))
        return;
    fputs("<section id=\"discovery\">\n<h2>Discovery</h2>\n<table class=\"discovery\">\n"
          "<thead><tr><th scope=\"col\">part</th><th scope=\"col\">from</th>"
          "<th scope=\"col\">read at</th><th scope=\"col\">what it said</th>"
          "<th scope=\"col\">error</th></tr></thead>\n<tbody>\n",
          out);
    if (d->org.from != LC_DISC_NOT_ASKED) {
        fprintf(out,
                "<tr data-part=\"organization\" data-from=\"%s\"><th scope=\"row\">organization"
                "</th><td>%s</td><td>",
                lc_discovery_from_name(d->org.from), lc_discovery_from_name(d->org.from));
        if (d->org.read_at)
            print_time(out, d->org.read_at);
        fputs("</td><td>", out);
        if (d->org.org_id) {
            fputs("<code>", out);
            esc(out, d->org.org_id);
            fputs("</code>, ", out);
        }
        fprintf(out, "%zu account%s</td><td>", d->org.n_accounts,
                d->org.n_accounts == 1 ? "" : "s");
        if (d->org.err.kind != LC_OK)
            print_error(out, &d->org.err);
        fputs("</td></tr>\n", out);
    }
    if (d->ct.from != LC_DISC_NOT_ASKED) {
        fprintf(out,
                "<tr data-part=\"control_tower\" data-from=\"%s\"><th scope=\"row\">control tower"
                "</th><td>%s</td><td>",
                lc_discovery_from_name(d->ct.from), lc_discovery_from_name(d->ct.from));
        if (d->ct.read_at)
            print_time(out, d->ct.read_at);
        fputs("</td><td>", out);
        if (d->ct.arn) {
            fputs("<code>", out);
            esc(out, d->ct.arn);
            fputs("</code>", out);
        }
        if (d->ct.version) {
            fputs(d->ct.arn ? " version " : "version ", out);
            esc(out, d->ct.version);
        }
        fprintf(out, "%s%zu governed region%s", d->ct.arn || d->ct.version ? ", " : "",
                d->ct.n_governed, d->ct.n_governed == 1 ? "" : "s");
        for (size_t i = 0; i < d->ct.n_governed; i++) {
            fputs(i ? ", " : ": ", out);
            esc(out, d->ct.governed[i]);
        }
        fputs("</td><td>", out);
        if (d->ct.err.kind != LC_OK)
            print_error(out, &d->ct.err);
        fputs("</td></tr>\n", out);
    }
    fprintf(out, "</tbody>\n</table>\n<p>%d discovery request%s.</p>\n</section>\n", d->requests,
            d->requests == 1 ? "" : "s");
}

static void print_header(FILE *out, const struct page *pg)
{
    const struct lc_observations *o = pg->o;
    char when[LC_TIME_ISO8601_LEN];

    fprintf(out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>logcanary check %s: %s</title>\n<style>%s</style>\n</head>\n"
            "<body data-status=\"%s\" data-checked-at=\"%s\">\n<header>\n",
            lc_time_format_iso8601(o->now, when), pg->f->overall, style, pg->f->overall, when);
    fprintf(out,
            "<h1>logcanary check: <span id=\"status\" class=\"overall overall-%s\">%s</span>"
            "</h1>\n<p class=\"when\">checked at ",
            pg->f->overall, pg->f->overall);
    print_time(out, o->now);
    if (o->since) {
        fputs("; every stream needs a delivery newer than ", out);
        print_time(out, o->since);
    }
    fputs("</p>\n", out);
    if (o->fatal.kind != LC_OK) {
        fputs("<p class=\"fatal\">could not run: ", out);
        print_error(out, &o->fatal);
        fputs("</p>\n", out);
    }
    print_coverage(out, pg);
    print_discovery(out, o);
    fputs("</header>\n", out);
}

static void print_legend(FILE *out)
{
    fputs("<p class=\"legend\">", out);
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
        fprintf(out, "<span class=\"badge st-%s\">%s</span>", statuses[i].status,
                statuses[i].label);
    fputs("<span class=\"badge empty\">no stream</span></p>\n", out);
}

/* "111111111111" and its name in the organization: under it in a row header, else after it in
 * parentheses. */
static void print_account(FILE *out, const char *id, const struct lc_account *a, bool below)
{
    fputs("<span class=\"mono\">", out);
    esc(out, id);
    fputs("</span>", out);
    if (a && a->name) {
        fputs(below ? " <span class=\"acct-name\">" : " (<span class=\"acct-name\">", out);
        esc(out, a->name);
        fputs(below ? "</span>" : "</span>)", out);
    }
}

static void print_cell(FILE *out, const struct page *pg, size_t i)
{
    const struct lc_stream_obs *so = &pg->o->streams[i];
    const struct lc_stream *s = so->stream;
    const char *st = pg->cell[i];
    char age[32];

    fprintf(out, "<td class=\"cell st-%s\" data-stream=\"", st);
    esc(out, s->id);
    fputs("\" data-account=\"", out);
    esc(out, s->account);
    fputs("\" data-region=\"", out);
    esc(out, s->region);
    fprintf(out, "\" data-status=\"%s\"", st);
    if (so->newest_key) {
        lc_report_age((long)(pg->o->now - so->newest_delivered), age, sizeof(age));
        fprintf(out, " data-age-s=\"%lld\"", (long long)(pg->o->now - so->newest_delivered));
    }
    fputs(" title=\"", out);
    esc(out, s->id);
    fprintf(out, ": %s", status_label(st));
    if (so->newest_key) {
        fprintf(out, "; newest delivery %s old: ", age);
        esc(out, so->newest_key);
    } else {
        fputs("; no delivery found", out);
    }
    fputs("\">", out);
    if (has_findings(pg, i))
        fprintf(out, "<a href=\"#stream-%zu\">", i);
    else
        fputs("<span>", out);
    fprintf(out, "<b>%s</b><i>%s</i>", status_label(st), so->newest_key ? age : "&mdash;");
    fputs(has_findings(pg, i) ? "</a></td>" : "</span></td>", out);
}

/* The accounts a matrix's source does not expect, and why. */
static void print_not_expected(FILE *out, const struct lc_plan *p, const struct lc_target_cfg *t,
                               const char *source)
{
    size_t n = 0;

    for (size_t i = 0; p && i < p->n_skipped; i++) {
        const struct lc_not_expected *ne = &p->skipped[i];
        if (ne->target != t || strcmp(ne->source->probe->cfg.name, source) != 0)
            continue;
        if (n++ == 0)
            fputs("<p>Not expected:</p>\n<ul class=\"not-expected\">\n", out);
        fputs("<li data-account=\"", out);
        esc(out, ne->acct ? ne->acct->id : "");
        fputs("\" data-why=\"", out);
        esc(out, ne->why);
        fputs("\">", out);
        if (ne->acct)
            print_account(out, ne->acct->id, ne->acct, false);
        else
            fputs("every account", out);
        fputs(": ", out);
        esc(out, ne->why);
        fputs("</li>\n", out);
    }
    if (n)
        fputs("</ul>\n", out);
}

/* One matrix: the distinct accounts (rows) by the distinct regions (columns) of group g, in the
 * order the plan lists them. Two streams of the same account and region (two sources of one type
 * in one target) take two rows, so each stream has its own cell. */
static int print_matrix(FILE *out, const struct page *pg, size_t g)
{
    const struct lc_observations *o = pg->o;
    const struct lc_stream *head = o->streams[pg->group_head[g]].stream;
    size_t ns = o->n_streams, n_cols = 0, n_rows = 0, n = 0;
    const char **cols = calloc(ns + 1, sizeof(*cols));
    size_t *col_of = calloc(ns + 1, sizeof(*col_of));     /* per stream of the group */
    size_t *row_head = calloc(ns + 1, sizeof(*row_head)); /* per row: a stream of its account */
    size_t *grid = NULL;
    size_t counts[sizeof(statuses) / sizeof(statuses[0])] = {0};
    int rc = 0;

    if (!cols || !col_of || !row_head) {
        rc = LC_E_NOMEM;
        goto out;
    }
    for (size_t i = pg->group_head[g]; i < ns; i++) {
        const struct lc_stream *s = o->streams[i].stream;
        size_t c = 0;
        if (pg->group[i] != g)
            continue;
        n++;
        while (c < n_cols && strcmp(cols[c], s->region) != 0)
            c++;
        if (c == n_cols)
            cols[n_cols++] = s->region;
        col_of[i] = c;
        for (size_t k = 0; k < sizeof(statuses) / sizeof(statuses[0]); k++)
            counts[k] += strcmp(statuses[k].status, pg->cell[i]) == 0;
    }
    /* Rows: a stream goes to the first row of its account whose cell in its column is free. */
    grid = malloc((n + 1) * (n_cols + 1) * sizeof(*grid));
    if (!grid) {
        rc = LC_E_NOMEM;
        goto out;
    }
    for (size_t i = pg->group_head[g]; i < ns; i++) {
        const struct lc_stream *s = o->streams[i].stream;
        size_t r = 0;
        if (pg->group[i] != g)
            continue;
        while (r < n_rows && (strcmp(o->streams[row_head[r]].stream->account, s->account) != 0 ||
                              grid[r * n_cols + col_of[i]] != NO_INDEX))
            r++;
        if (r == n_rows) {
            row_head[n_rows++] = i;
            for (size_t c = 0; c < n_cols; c++)
                grid[r * n_cols + c] = NO_INDEX;
        }
        grid[r * n_cols + col_of[i]] = i;
    }

    fputs("<section class=\"matrix\">\n<h2>", out);
    esc(out, head->target->name);
    fputs(" &middot; ", out);
    esc(out, source_name(head));
    fputs("</h2>\n<table class=\"matrix\" data-target=\"", out);
    esc(out, head->target->name);
    fputs("\" data-bucket=\"", out);
    esc(out, head->target->bucket);
    fputs("\" data-source=\"", out);
    esc(out, source_name(head));
    fputs("\">\n<caption><span class=\"mono\">s3://", out);
    esc(out, head->target->bucket);
    fprintf(out, "</span>: %zu stream%s", n, n == 1 ? "" : "s");
    for (size_t k = 0; k < sizeof(statuses) / sizeof(statuses[0]); k++)
        if (counts[k])
            fprintf(out, ", %zu %s", counts[k], statuses[k].label);
    fputs("</caption>\n<thead><tr><th scope=\"col\">account</th>", out);
    for (size_t c = 0; c < n_cols; c++) {
        fputs("<th scope=\"col\" class=\"mono\">", out);
        esc(out, cols[c]);
        fputs("</th>", out);
    }
    fputs("</tr></thead>\n<tbody>\n", out);
    for (size_t r = 0; r < n_rows; r++) {
        const struct lc_stream *s = o->streams[row_head[r]].stream;
        fputs("<tr><th scope=\"row\">", out);
        print_account(out, s->account, s->acct, true);
        fputs("</th>", out);
        for (size_t c = 0; c < n_cols; c++) {
            if (grid[r * n_cols + c] == NO_INDEX)
                fputs("<td class=\"cell empty\" title=\"no stream\"><span>&ndash;</span></td>",
                      out);
            else
                print_cell(out, pg, grid[r * n_cols + c]);
        }
        fputs("</tr>\n", out);
    }
    fputs("</tbody>\n</table>\n", out);
    print_not_expected(out, o->plan, head->target, source_name(head));
    fputs("</section>\n", out);
out:
    free(cols);
    free(col_of);
    free(row_head);
    free(grid);
    return rc;
}

/* The accounts not expected by sources that have no stream at all (every account suspended or
 * excluded), so they are in no matrix. */
static void print_orphan_not_expected(FILE *out, const struct page *pg)
{
    const struct lc_plan *p = pg->o->plan;

    for (size_t i = 0; p && i < p->n_skipped; i++) {
        const struct lc_not_expected *ne = &p->skipped[i];
        bool shown = false;
        for (size_t g = 0; g < pg->n_groups && !shown; g++) {
            const struct lc_stream *h = pg->o->streams[pg->group_head[g]].stream;
            shown =
                h->target == ne->target && strcmp(source_name(h), ne->source->probe->cfg.name) == 0;
        }
        for (size_t k = 0; k < i && !shown; k++) /* an earlier entry printed this source's list */
            shown = p->skipped[k].target == ne->target &&
                    strcmp(p->skipped[k].source->probe->cfg.name, ne->source->probe->cfg.name) == 0;
        if (shown)
            continue;
        fputs("<section class=\"matrix\">\n<h2>", out);
        esc(out, ne->target->name);
        fputs(" &middot; ", out);
        esc(out, ne->source->probe->cfg.name);
        fputs("</h2>\n<p>No stream expected.</p>\n", out);
        print_not_expected(out, p, ne->target, ne->source->probe->cfg.name);
        fputs("</section>\n", out);
    }
}

/* A canary's status in the cells' colours: failed as missing (nothing could be written). */
static const char *canary_class(const char *status)
{
    if (strcmp(status, "ok") == 0)
        return "ok";
    return strcmp(status, "failed") == 0 ? "missing" : "error";
}

static void print_canaries(FILE *out, const struct page *pg)
{
    const struct lc_observations *o = pg->o;

    if (!o->n_canaries)
        return;
    fputs("<section id=\"canaries\">\n<h2>Canaries</h2>\n<table class=\"canaries\">\n"
          "<thead><tr><th scope=\"col\">target</th><th scope=\"col\">bucket</th>"
          "<th scope=\"col\">status</th><th scope=\"col\">encryption</th>"
          "<th scope=\"col\">bucket key</th><th scope=\"col\">round trip</th></tr></thead>\n"
          "<tbody>\n",
          out);
    for (size_t i = 0; i < o->n_canaries; i++) {
        const struct lc_canary_obs *c = &o->canaries[i];
        const char *st = lc_canary_status_name(pg->f->canary_status[i]);
        fputs("<tr data-target=\"", out);
        esc(out, c->target->name);
        fprintf(out, "\" data-status=\"%s\"><td>", st);
        esc(out, c->target->name);
        fputs("</td><td class=\"mono\">", out);
        esc(out, c->target->bucket);
        fprintf(out, "</td><td class=\"st-%s\">%s</td><td class=\"mono\">", canary_class(st), st);
        esc(out, c->sse);
        if (c->sse_kms_key_id) {
            fputs(" ", out);
            esc(out, c->sse_kms_key_id);
        }
        fprintf(out, "</td><td>%s</td><td>%.2f s</td></tr>\n",
                c->sse ? (c->bucket_key ? "on" : "off") : "", c->latency_s);
    }
    fputs("</tbody>\n</table>\n</section>\n", out);
}

/* A JSON value as text: strings as they are, numbers and booleans in JSON, arrays of strings
 * joined with "; ", anything else as compact JSON in <code>. */
static int print_value(FILE *out, const cJSON *v)
{
    if (cJSON_IsString(v)) {
        esc(out, v->valuestring);
    } else if (cJSON_IsArray(v) && cJSON_GetArraySize(v) > 0 &&
               cJSON_IsString(cJSON_GetArrayItem(v, 0))) {
        const cJSON *e;
        cJSON_ArrayForEach(e, v)
        {
            if (e != v->child)
                fputs("; ", out);
            esc(out, cJSON_IsString(e) ? e->valuestring : "?");
        }
    } else {
        char *txt = cJSON_PrintUnformatted(v);
        if (!txt)
            return LC_E_NOMEM;
        fputs(cJSON_IsObject(v) || cJSON_IsArray(v) ? "<code>" : "", out);
        esc(out, txt);
        fputs(cJSON_IsObject(v) || cJSON_IsArray(v) ? "</code>" : "", out);
        cJSON_free(txt);
    }
    return 0;
}

static int print_members(FILE *out, const cJSON *obj)
{
    int rc = 0;

    fputs("<dl class=\"kv\">", out);
    for (const cJSON *e = obj ? obj->child : NULL; e && !rc; e = e->next) {
        fputs("<dt>", out);
        esc(out, e->string);
        fputs("</dt><dd>", out);
        rc = print_value(out, e);
        fputs("</dd>", out);
    }
    fputs("</dl>\n", out);
    return rc;
}

static int print_remediation(FILE *out, const struct lc_finding *it)
{
    const cJSON *r = it->remediation;
    cJSON *rest = cJSON_CreateObject();
    int rc = rest ? 0 : LC_E_NOMEM;

    for (const cJSON *m = r ? r->child : NULL; m && !rc; m = m->next) {
        if (cJSON_IsString(m) && strcmp(m->string, "hint") == 0) {
            fputs("<p class=\"fix\"><b>Fix:</b> ", out);
            esc(out, m->valuestring);
            fputs("</p>\n", out);
        } else if (strcmp(m->string, "add_statements") == 0 && cJSON_IsArray(m)) {
            const cJSON *st;
            fprintf(out,
                    "<p class=\"fix\"><b>Fix:</b> add to the %s's "
                    "<code>&quot;Statement&quot;</code> array:</p>\n",
                    it->code == LC_F_BUCKET_POLICY_GAP ? "bucket policy" : "key policy");
            cJSON_ArrayForEach(st, m)
            {
                struct lc_buf txt = {0};
                rc = lc_json_pretty(st, &txt);
                if (!rc && txt.data) {
                    fputs("<pre>", out);
                    esc(out, txt.data);
                    fputs("</pre>\n", out);
                }
                lc_buf_free(&txt);
            }
        } else if (strcmp(m->string, "verified") == 0) {
            if (cJSON_IsTrue(m))
                fputs("<p>Checked: with this added, every request the service makes is "
                      "granted.</p>\n",
                      out);
        } else if (strcmp(m->string, "steps_after") == 0 && cJSON_IsArray(m)) {
            const cJSON *st;
            fputs("<p>Then:</p>\n<ol>\n", out);
            cJSON_ArrayForEach(st, m) if (cJSON_IsString(st))
            {
                fputs("<li>", out);
                esc(out, st->valuestring);
                fputs("</li>\n", out);
            }
            fputs("</ol>\n", out);
        } else {
            cJSON *copy = cJSON_Duplicate(m, 1);
            if (!copy)
                rc = LC_E_NOMEM;
            else
                cJSON_AddItemToObject(rest, m->string, copy);
        }
    }
    if (!rc && rest->child)
        rc = print_members(out, rest);
    cJSON_Delete(rest);
    return rc;
}

static int print_finding(FILE *out, const struct page *pg, size_t k)
{
    const struct lc_finding *it = &pg->f->items[k];
    const char *sev = lc_severity_name(it->severity);
    int rc;

    fprintf(out,
            "<article class=\"finding sev-%s\" id=\"finding-%zu\" data-code=\"%s\" "
            "data-severity=\"%s\"",
            sev, k, lc_finding_name(it->code), sev);
    if (pg->stream_of[k] != NO_INDEX)
        fprintf(out, " data-stream-index=\"%zu\"", pg->stream_of[k]);
    fprintf(out, ">\n<h4><span class=\"sev\">%s</span><code>%s</code>", sev,
            lc_finding_name(it->code));
    if (!it->stream) {
        fputs(" &middot; target ", out);
        esc(out, it->target->name);
        fputs(" <span class=\"mono\">s3://", out);
        esc(out, it->target->bucket);
        fputs("</span>", out);
    }
    fputs("</h4>\n<p class=\"summary\">", out);
    esc(out, it->summary);
    fputs("</p>\n", out);
    if (it->evidence && it->evidence->child) {
        fputs("<details open><summary>Evidence</summary>\n", out);
        rc = print_members(out, it->evidence);
        fputs("</details>\n", out);
        if (rc)
            return rc;
    }
    if (it->likely_cause) {
        cJSON *code = cJSON_GetObjectItem(it->likely_cause, "code");
        cJSON *conf = cJSON_GetObjectItem(it->likely_cause, "confidence");
        cJSON *sum = cJSON_GetObjectItem(it->likely_cause, "summary");
        fputs("<p class=\"cause\"><b>Likely cause</b> (", out);
        esc(out, cJSON_IsString(conf) ? conf->valuestring : "?");
        fputs(" confidence): <code>", out);
        esc(out, cJSON_IsString(code) ? code->valuestring : "?");
        fputs("</code> ", out);
        esc(out, cJSON_IsString(sum) ? sum->valuestring : "");
        fputs("</p>\n", out);
    }
    rc = print_remediation(out, it);
    fputs("</article>\n", out);
    return rc;
}

/* The facts of stream i above its findings. */
static void print_stream_head(FILE *out, const struct page *pg, size_t i)
{
    const struct lc_stream_obs *so = &pg->o->streams[i];
    const struct lc_stream *s = so->stream;
    char age[32], by[96];

    fprintf(
        out,
        "<section class=\"stream\" id=\"stream-%zu\">\n<h3><span class=\"badge st-%s\">%s</span> ",
        i, pg->cell[i], status_label(pg->cell[i]));
    esc(out, s->target->name);
    fputs(" / ", out);
    esc(out, source_name(s));
    fputs(" / ", out);
    print_account(out, s->account, s->acct, false);
    fputs(" / ", out);
    esc(out, s->region);
    fputs("</h3>\n<p class=\"facts\"><span class=\"mono\">s3://", out);
    esc(out, s->target->bucket);
    fputs("/", out);
    esc(out, s->base);
    fputs("</span>", out);
    if (so->newest_key) {
        fprintf(out, " &middot; newest delivery %s old: <span class=\"mono\">",
                lc_report_age((long)(pg->o->now - so->newest_delivered), age, sizeof(age)));
        esc(out, so->newest_key);
        fputs("</span>", out);
    } else {
        fputs(" &middot; no delivery found", out);
    }
    fprintf(out, " &middot; %llu object%s seen &middot; %d request%s &middot; expected by ",
            (unsigned long long)so->objects_seen, so->objects_seen == 1 ? "" : "s", so->requests,
            so->requests == 1 ? "" : "s");
    esc(out, lc_expected_by_text(lc_report_expected_by(pg->o, s), by, sizeof(by)));
    fputs("</p>\n", out);
}

static int print_findings(FILE *out, const struct page *pg)
{
    size_t ns = pg->o->n_streams;
    int rc = 0;

    fprintf(out, "<section id=\"findings\">\n<h2>Findings (%zu)</h2>\n", pg->f->n);
    if (!pg->f->n)
        fputs("<p>None.</p>\n", out);
    for (size_t i = 0; i < ns && !rc; i++) {
        if (!has_findings(pg, i))
            continue;
        print_stream_head(out, pg, i);
        for (size_t j = pg->first[i]; j < pg->first[i + 1] && !rc; j++)
            rc = print_finding(out, pg, pg->order[j]);
        fputs("</section>\n", out);
    }
    if (!rc && pg->first[ns + 1] > pg->first[ns]) {
        fputs("<section class=\"stream\" id=\"other-findings\">\n<h3>Targets, canaries and "
              "discovery</h3>\n",
              out);
        for (size_t j = pg->first[ns]; j < pg->first[ns + 1] && !rc; j++)
            rc = print_finding(out, pg, pg->order[j]);
        fputs("</section>\n", out);
    }
    fputs("</section>\n", out);
    return rc;
}

int lc_report_html(FILE *out, const struct lc_observations *o, const struct lc_findings *f)
{
    struct page pg;
    int rc = page_build(&pg, o, f);

    if (rc)
        return rc;
    print_header(out, &pg);
    fputs("<main>\n", out);
    if (o->n_streams)
        print_legend(out);
    else
        fputs("<p>No stream was checked.</p>\n", out);
    for (size_t g = 0; g < pg.n_groups && !rc; g++)
        rc = print_matrix(out, &pg, g);
    if (!rc) {
        print_orphan_not_expected(out, &pg);
        print_canaries(out, &pg);
        rc = print_findings(out, &pg);
    }
    fputs("</main>\n</body>\n</html>\n", out);
    page_free(&pg);
    if (!rc && ferror(out))
        rc = LC_E_IO;
    return rc;
}
