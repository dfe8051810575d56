/* The HTML report on synthetic observations: one cell per stream with the status the findings
 * give it (never delivered apart from missing), empty cells where no stream is, a matrix per
 * (target, source type), the accounts not expected, the coverage and discovery in the header,
 * and every string from AWS or the configuration escaped: the page parses into a balanced tree
 * with no element, attribute or link that the renderer did not write itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lc_fixtures.h"

#include "outputs/report.h"
#include "pipeline/discovery.h"
#include "pipeline/findings.h"

#define NOW 1800000000

/* Strings an attacker could place in an account name, a key or an error message. */
#define HOSTILE_NAME "<img src=x onerror=alert(1)> & \"quotes\" 'single'"
#define HOSTILE_ESC  "&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot; &#39;single&#39;"
#define HOSTILE_KEY  "AWSLogs/\"><script>alert(2)</script>/k\x01\xff.json.gz"
#define HOSTILE_MSG  "denied </td></tr></table><a href=\"https://evil.example/\">click</a>"

static struct lc_target_cfg target = {.name = "logs<\"&>", .bucket = "lc-logs"};
static struct lc_source_cfg trail = {.probe = &lc_probe_cloudtrail,
                                     .accounts = fx_accounts,
                                     .n_accounts = 1,
                                     .regions_from = "governed",
                                     .max_age_s = 1200,
                                     .sample = true};
static struct lc_source_cfg trail2 = {.probe = &lc_probe_cloudtrail,
                                      .accounts = fx_accounts,
                                      .n_accounts = 1,
                                      .regions = fx_regions,
                                      .n_regions = 1,
                                      .max_age_s = 1200,
                                      .sample = true};
static struct lc_source_cfg flows = {.probe = &lc_probe_vpcflowlogs,
                                     .accounts = fx_accounts,
                                     .n_accounts = 1,
                                     .regions = fx_regions,
                                     .n_regions = 1,
                                     .max_age_s = 1200,
                                     .sample = true};
static struct lc_source_cfg config_src = {.probe = &lc_probe_config,
                                          .accounts_from = "organization",
                                          .regions = fx_regions,
                                          .n_regions = 1,
                                          .max_age_s = 7200};

static struct lc_account acct_a = {.id = "111111111111", .name = HOSTILE_NAME, .status = "ACTIVE"};
static struct lc_account acct_b = {.id = "222222222222", .name = "Prod & Co", .status = "ACTIVE"};
static struct lc_account acct_gone = {
    .id = "555555555555", .name = "<script>alert(\"x\")</script>", .status = "SUSPENDED"};

enum { N_STREAMS = 9 };

/* The streams and what is to be seen in their cells. */
static const struct {
    struct lc_source_cfg *src;
    const char *account, *region;
    const char *status; /* the cell's data-status */
} plan_rows[N_STREAMS] = {
    {&trail, "111111111111", "ap-northeast-1", "ok"},
    {&trail, "111111111111", "us-east-1", "stale"},
    {&trail, "222222222222", "ap-northeast-1", "missing"},
    {&trail, "222222222222", "us-east-1", "never"},
    {&trail, "333333333333", "ap-northeast-1", "invalid"},
    {&trail, "333333333333", "us-east-1", "denied"},
    {&trail, "444444444444", "ap-northeast-1", "error"}, /* 444... in us-east-1: no stream */
    {&trail2, "111111111111", "ap-northeast-1", "ok"},   /* same cell as the first: its own row */
    {&flows, "111111111111", "ap-northeast-1", "stale"},
};

struct world {
    struct lc_stream streams[N_STREAMS];
    char ids[N_STREAMS][96];
    struct lc_stream_obs so[N_STREAMS];
    struct lc_not_expected skipped[2];
    struct lc_plan plan;
    struct lc_discovered disc;
    char *governed[2];
    struct lc_canary_obs canary;
    struct lc_observations o;
    struct lc_findings f;
    char *html;
    size_t len;
};

static void aws_err(struct lc_error *e, long status, const char *code, const char *msg)
{
    lc_error_clear(e);
    e->kind = LC_E_AWS;
    e->status = status;
    lc_strlcpy(e->service, "s3", sizeof(e->service));
    lc_strlcpy(e->code, code, sizeof(e->code));
    lc_strlcpy(e->message, msg, sizeof(e->message));
    lc_error_classify(e);
}

static void observe(struct lc_stream_obs *so, const char *status)
{
    so->window_from = NOW - 3600;
    so->requests = 2;
    so->objects_seen = 3;
    so->newest_key = "AWSLogs/111111111111/CloudTrail/ap-northeast-1/2027/01/15/k.json.gz";
    so->newest_delivered = NOW - 120;
    so->newest_modified = NOW - 120;
    so->sampled = true;
    so->sample.valid = true;
    so->sample.records = 5;
    so->sample.newest_record = NOW - 300;
    if (strcmp(status, "stale") == 0) {
        so->newest_key = HOSTILE_KEY;
        so->newest_delivered = NOW - 5 * 3600;
    } else if (strcmp(status, "missing") == 0 || strcmp(status, "never") == 0) {
        so->newest_key = NULL;
        so->sampled = false;
        so->objects_seen = 0;
        so->lookback_from = NOW - 86400;
        so->ever_asked = strcmp(status, "never") == 0;
    } else if (strcmp(status, "invalid") == 0) {
        so->sample.valid = false;
        lc_strlcpy(so->sample.reason, "not JSON: <b>", sizeof(so->sample.reason));
    } else if (strcmp(status, "denied") == 0) { /* the sample's read denied */
        so->sampled = false;
        aws_err(&so->sample_err, 403, "AccessDenied", HOSTILE_MSG);
    } else if (strcmp(status, "error") == 0) { /* the listing failed */
        so->newest_key = NULL;
        so->sampled = false;
        lc_error_clear(&so->list_err);
        lc_error_set(&so->list_err, LC_E_NETWORK, "connection refused");
    }
}

/* The observations of the plan above, judged, and rendered into w->html. */
static void build(struct world *w)
{
    memset(w, 0, sizeof(*w));
    for (size_t i = 0; i < N_STREAMS; i++) {
        struct lc_stream *s = &w->streams[i];
        snprintf(w->ids[i], sizeof(w->ids[i]), "%s/%s/%s/%s", target.name,
                 plan_rows[i].src->probe->cfg.name, plan_rows[i].account, plan_rows[i].region);
        *s = (struct lc_stream){.target = &target,
                                .source = plan_rows[i].src,
                                .probe = plan_rows[i].src->probe,
                                .account = plan_rows[i].account,
                                .region = plan_rows[i].region,
                                .id = w->ids[i],
                                .base = "AWSLogs/",
                                .expected_by = LC_EXPECT_CONFIG};
        if (strcmp(s->account, acct_a.id) == 0)
            s->acct = &acct_a;
        else if (strcmp(s->account, acct_b.id) == 0)
            s->acct = &acct_b;
        w->so[i].stream = s;
        observe(&w->so[i], plan_rows[i].status);
    }
    w->skipped[0] = (struct lc_not_expected){
        .target = &target, .source = &trail, .acct = &acct_gone, .why = "SUSPENDED"};
    /* a source none of whose accounts is expected: in no matrix */
    w->skipped[1] = (struct lc_not_expected){
        .target = &target, .source = &config_src, .acct = &acct_gone, .why = "exclude_accounts"};
    w->plan = (struct lc_plan){
        .streams = w->streams, .n_streams = N_STREAMS, .skipped = w->skipped, .n_skipped = 2};
    w->disc.org.from = LC_DISC_READ;
    w->disc.org.read_at = NOW - 60;
    w->disc.org.org_id = "o-abc123def4";
    w->disc.org.n_accounts = 3;
    w->disc.ct.from = LC_DISC_STALE;
    w->disc.ct.read_at = NOW - 3 * 86400;
    w->disc.ct.version = "3.3";
    w->governed[0] = "ap-northeast-1";
    w->governed[1] = "us-east-1";
    w->disc.ct.governed = w->governed;
    w->disc.ct.n_governed = 2;
    aws_err(&w->disc.ct.err, 400, "ValidationException", "<i>landing zone</i> & \"co\"");
    w->disc.requests = 4;
    w->canary = (struct lc_canary_obs){
        .target = &target, .ran = true, .key = "logcanary-canary/x.txt", .failed_step = "put"};
    aws_err(&w->canary.err, 403, "AccessDenied", "Access Denied");
    w->o = (struct lc_observations){.now = NOW,
                                    .streams = w->so,
                                    .n_streams = N_STREAMS,
                                    .canaries = &w->canary,
                                    .n_canaries = 1,
                                    .plan = &w->plan,
                                    .discovered = &w->disc,
                                    .grace_s = 86400};
    assert_int_equal(lc_findings_build(&w->o, &w->f), 0);

    FILE *out = open_memstream(&w->html, &w->len);
    assert_non_null(out);
    assert_int_equal(lc_report_html(out, &w->o, &w->f), 0);
    assert_int_equal(fclose(out), 0);
}

static void release(struct world *w)
{
    lc_findings_free(&w->f);
    free(w->html);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* ---- a small checker of the page's markup -------------------------------------------------- */

struct tree {
    size_t elements, tables, cells;
    char ids[64][32];
    size_t n_ids;
    char hrefs[64][32];
    size_t n_hrefs;
};

static bool is_void(const char *name)
{
    return strcmp(name, "meta") == 0 || strcmp(name, "br") == 0;
}

/* Every element the renderer may write; anything else came from a string that was not escaped. */
static bool known_element(const char *name)
{
    static const char *const names[] = {
        "html",    "head", "meta",    "title",   "style",   "body",  "header", "main",
        "section", "h1",   "h2",      "h3",      "h4",      "p",     "span",   "b",
        "i",       "time", "table",   "caption", "thead",   "tbody", "tr",     "th",
        "td",      "a",    "ul",      "ol",      "li",      "dl",    "dt",     "dd",
        "code",    "pre",  "article", "details", "summary", NULL};
    for (size_t i = 0; names[i]; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

/* The attributes the renderer may write. */
static bool known_attribute(const char *name)
{
    static const char *const names[] = {"lang",
                                        "charset",
                                        "name",
                                        "content",
                                        "class",
                                        "id",
                                        "href",
                                        "title",
                                        "datetime",
                                        "scope",
                                        "open",
                                        "data-status",
                                        "data-checked-at",
                                        "data-target",
                                        "data-bucket",
                                        "data-source",
                                        "data-stream",
                                        "data-account",
                                        "data-region",
                                        "data-age-s",
                                        "data-why",
                                        "data-part",
                                        "data-from",
                                        "data-code",
                                        "data-severity",
                                        "data-stream-index",
                                        "data-accounts",
                                        "data-regions",
                                        "data-sources",
                                        "data-streams",
                                        "data-ok",
                                        "data-stale",
                                        "data-missing",
                                        "data-never",
                                        "data-invalid",
                                        "data-denied",
                                        "data-error",
                                        "data-not-expected",
                                        "data-unmonitored",
                                        NULL};
    for (size_t i = 0; names[i]; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

/* Parse the tags of html: balanced, known elements and attributes only, every attribute value
 * double-quoted with no '<' in it, no '>' in text outside <style>, links only to anchors. */
static void check_tree(const char *html, struct tree *t)
{
    char stack[64][16];
    size_t depth = 0;
    const char *p = html;

    memset(t, 0, sizeof(*t));
    assert_true(strncmp(p, "<!DOCTYPE html>\n", 16) == 0);
    p += 16;
    while (*p) {
        if (*p != '<') {
            if (*p == '>')
                fail_msg("a '>' in text: %.60s", p > html + 30 ? p - 30 : html);
            p++;
            continue;
        }
        p++;
        bool closing = *p == '/';
        char name[16];
        size_t n = 0;
        p += closing;
        while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
            if (n < sizeof(name) - 1)
                name[n++] = *p++;
            else
                fail_msg("tag name too long");
        name[n] = '\0';
        if (!known_element(name))
            fail_msg("unexpected element <%s%s>", closing ? "/" : "", name);
        if (closing) {
            assert_true(*p == '>');
            p++;
            if (depth == 0 || strcmp(stack[depth - 1], name) != 0)
                fail_msg("</%s> closes <%s>", name, depth ? stack[depth - 1] : "(nothing)");
            depth--;
            continue;
        }
        t->elements++;
        t->tables += strcmp(name, "table") == 0;
        /* attributes: name or name="value" */
        while (*p != '>') {
            char attr[32];
            size_t k = 0;
            if (*p != ' ')
                fail_msg("in <%s>: unexpected '%c'", name, *p);
            p++;
            while ((*p >= 'a' && *p <= 'z') || *p == '-' || (*p >= '0' && *p <= '9'))
                if (k < sizeof(attr) - 1)
                    attr[k++] = *p++;
                else
                    fail_msg("attribute name too long");
            attr[k] = '\0';
            if (!known_attribute(attr))
                fail_msg("unexpected attribute %s in <%s>", attr, name);
            if (*p != '=')
                continue;
            if (p[1] != '"')
                fail_msg("unquoted %s in <%s>", attr, name);
            const char *v = p + 2, *end = strchr(v, '"');
            assert_non_null(end);
            for (const char *c = v; c < end; c++)
                if (*c == '<' || *c == '>')
                    fail_msg("'%c' in the value of %s", *c, attr);
            if (strcmp(attr, "href") == 0) {
                if (*v != '#')
                    fail_msg("a link out of the page: %.*s", (int)(end - v), v);
                assert_true(t->n_hrefs < 64 && (size_t)(end - v) < 32);
                snprintf(t->hrefs[t->n_hrefs++], 32, "%.*s", (int)(end - v - 1), v + 1);
            }
            if (strcmp(attr, "id") == 0) {
                assert_true(t->n_ids < 64 && (size_t)(end - v) < 32);
                snprintf(t->ids[t->n_ids++], 32, "%.*s", (int)(end - v), v);
            }
            if (strcmp(attr, "data-status") == 0 && strcmp(name, "td") == 0)
                t->cells++;
            p = end + 1;
        }
        p++;
        if (!is_void(name)) {
            assert_true(depth < 64);
            snprintf(stack[depth++], sizeof(stack[0]), "%s", name);
        }
        if (strcmp(name, "style") == 0) { /* raw text: CSS, up to its end tag */
            const char *end = strstr(p, "</style>");
            assert_non_null(end);
            for (const char *c = p; c < end; c++)
                if (*c == '<')
                    fail_msg("'<' in the style");
            p = end;
        }
    }
    if (depth != 0)
        fail_msg("%zu element(s) left open, the innermost <%s>", depth, stack[depth - 1]);
    /* every link leads to an element of the page, and no id is there twice */
    for (size_t i = 0; i < t->n_hrefs; i++) {
        bool found = false;
        for (size_t k = 0; k < t->n_ids && !found; k++)
            found = strcmp(t->hrefs[i], t->ids[k]) == 0;
        if (!found)
            fail_msg("#%s links to nothing", t->hrefs[i]);
    }
    for (size_t i = 0; i < t->n_ids; i++)
        for (size_t k = i + 1; k < t->n_ids; k++)
            if (strcmp(t->ids[i], t->ids[k]) == 0)
                fail_msg("id %s twice", t->ids[i]);
}

/* ---- the tests ----------------------------------------------------------------------------- */

static void test_structure(void **state)
{
    struct world w;
    struct tree t;
    (void)state;
    build(&w);
    check_tree(w.html, &t);
    assert_int_equal(t.tables, 2 /* matrices */ + 1 /* discovery */ + 1 /* canaries */);
    assert_int_equal(t.cells, N_STREAMS);
    assert_int_equal(count(w.html, "<td class=\"cell st-"), N_STREAMS);
    /* the cloudtrail matrix: 5 rows (4 accounts, 111... twice) x 2 regions = 10 cells, 8 streams;
     * the flow-log matrix: 1 x 1 */
    assert_int_equal(count(w.html, "<td class=\"cell empty\""), 2);
    assert_int_equal(count(w.html, "<table class=\"matrix\""), 2);
    assert_non_null(strstr(w.html,
                           "<table class=\"matrix\" data-target=\"logs&lt;&quot;&amp;&gt;\" "
                           "data-bucket=\"lc-logs\" data-source=\"cloudtrail\">"));
    assert_non_null(strstr(w.html, "data-source=\"vpcflowlogs\">"));
    /* the header: when, status, coverage, discovery */
    assert_non_null(strstr(w.html, "<body data-status=\"problems\" "
                                   "data-checked-at=\"2027-01-15T08:00:00Z\">"));
    assert_non_null(strstr(w.html, "data-accounts=\"4\" data-regions=\"2\" data-sources=\"2\" "
                                   "data-streams=\"9\" data-ok=\"2\" data-stale=\"2\" "
                                   "data-missing=\"1\" data-never=\"1\" data-invalid=\"1\" "
                                   "data-denied=\"1\" data-error=\"1\" data-not-expected=\"2\" "
                                   "data-unmonitored=\"0\""));
    assert_non_null(strstr(w.html, "<tr data-part=\"organization\" data-from=\"read\">"));
    assert_non_null(strstr(w.html, "<tr data-part=\"control_tower\" data-from=\"stale\">"));
    assert_non_null(strstr(w.html, "<code>o-abc123def4</code>, 3 accounts"));
    assert_non_null(strstr(w.html, "<time datetime=\"2027-01-12T08:00:00Z\">"));
    /* not expected: under the cloudtrail matrix, and the config source apart */
    assert_non_null(strstr(w.html, "<li data-account=\"555555555555\" data-why=\"SUSPENDED\">"));
    assert_non_null(strstr(w.html, "<li data-account=\"555555555555\" "
                                   "data-why=\"exclude_accounts\">"));
    assert_non_null(strstr(w.html, "logs&lt;&quot;&amp;&gt; &middot; config</h2>"));
    /* the canary and every finding */
    assert_non_null(strstr(w.html, "data-status=\"failed\">"));
    assert_int_equal(count(w.html, "<article class=\"finding"), w.f.n);
    release(&w);
}

static void test_cell_statuses(void **state)
{
    struct world w;
    char want[256];
    (void)state;
    build(&w);
    for (size_t i = 0; i < N_STREAMS; i++) {
        snprintf(want, sizeof(want),
                 "<td class=\"cell st-%s\" data-stream=\"logs&lt;&quot;&amp;&gt;/%s/%s/%s\" "
                 "data-account=\"%s\" data-region=\"%s\" data-status=\"%s\"",
                 plan_rows[i].status, plan_rows[i].src->probe->cfg.name, plan_rows[i].account,
                 plan_rows[i].region, plan_rows[i].account, plan_rows[i].region,
                 plan_rows[i].status);
        if (!strstr(w.html, want))
            fail_msg("no cell %s", want);
        /* the judgement agrees: never delivered is a missing stream */
        const char *json = lc_stream_status_name(w.f.stream_status[i]);
        assert_string_equal(json, strcmp(plan_rows[i].status, "never") == 0 ? "missing"
                                                                            : plan_rows[i].status);
    }
    /* the two ok cloudtrail streams of 111... ap-northeast-1 each have a cell */
    assert_int_equal(count(w.html, "data-account=\"111111111111\" data-region=\"ap-northeast-1\" "
                                   "data-status=\"ok\""),
                     2);
    /* the age of the newest delivery, and the link to the stream's findings */
    assert_non_null(strstr(w.html, "data-status=\"ok\" data-age-s=\"120\""));
    assert_non_null(strstr(w.html, "data-status=\"stale\" data-age-s=\"18000\""));
    assert_non_null(strstr(w.html, "<a href=\"#stream-1\"><b>stale</b><i>5h00m</i></a>"));
    assert_non_null(strstr(w.html, "<section class=\"stream\" id=\"stream-1\">"));
    assert_non_null(strstr(w.html, "<b>never delivered</b><i>&mdash;</i>"));
    assert_null(strstr(w.html, "href=\"#stream-0\"")); /* healthy: nothing to link to */
    assert_non_null(strstr(w.html, "<span><b>ok</b><i>2m</i></span>"));
    release(&w);
}

static void test_escaping(void **state)
{
    struct world w;
    struct tree t;
    (void)state;
    build(&w);
    check_tree(w.html, &t); /* no element or attribute of theirs */
    assert_null(strstr(w.html, "<img"));
    assert_null(strstr(w.html, "<script"));
    assert_null(strstr(w.html, "evil.example/\""));
    assert_null(strstr(w.html, "url("));
    assert_null(strstr(w.html, "@import"));
    /* the account name in its row header and in the heading of its findings */
    assert_non_null(strstr(w.html, "<span class=\"acct-name\">" HOSTILE_ESC "</span>"));
    assert_non_null(strstr(w.html, "(<span class=\"acct-name\">" HOSTILE_ESC "</span>)"));
    assert_non_null(strstr(w.html, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
    /* a key with markup, a control character and a byte that is not UTF-8: in an attribute and
     * in text */
    const char *key = "AWSLogs/&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;/k\xef\xbf\xbd"
                      "\xef\xbf\xbd.json.gz";
    assert_true(count(w.html, key) >= 3); /* the cell's title, the facts, the evidence */
    /* an error message from AWS, and discovery's */
    assert_non_null(strstr(w.html, "denied &lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;a "
                                   "href=&quot;https://evil.example/&quot;&gt;click&lt;/a&gt;"));
    assert_non_null(strstr(w.html, "&lt;i&gt;landing zone&lt;/i&gt; &amp; &quot;co&quot;"));
    assert_non_null(strstr(w.html, "not JSON: &lt;b&gt;"));
    release(&w);
}

/* Nothing checked at all: still a whole page, saying why. */
static void test_nothing_checked(void **state)
{
    struct lc_observations o = {.now = NOW};
    struct lc_findings f;
    struct tree t;
    char *html = NULL;
    size_t len = 0;
    (void)state;
    lc_error_set(&o.fatal, LC_E_CREDENTIALS, "no credentials <anywhere>");
    assert_int_equal(lc_findings_build(&o, &f), 0);
    FILE *out = open_memstream(&html, &len);
    assert_non_null(out);
    assert_int_equal(lc_report_html(out, &o, &f), 0);
    assert_int_equal(fclose(out), 0);
    check_tree(html, &t);
    assert_int_equal(t.cells, 0);
    assert_int_equal(t.tables, 0);
    assert_non_null(strstr(html, "<body data-status=\"error\""));
    assert_non_null(strstr(html, "no credentials &lt;anywhere&gt;"));
    assert_non_null(strstr(html, "<p>No stream was checked.</p>"));
    assert_non_null(strstr(html, "data-streams=\"0\""));
    free(html);
    lc_findings_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_structure),
        cmocka_unit_test(test_cell_statuses),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_nothing_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
