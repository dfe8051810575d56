/* The Slack sink: an incoming-webhook message, "text" (the fallback line notifications show)
 * and "blocks" (header, summary, fields, remediation, evidence, the incident key). */
#include <stdio.h>
#include <string.h>

#include "outputs/sinks/sink.h"

#define SLACK_HEADER_MAX 150
#define SLACK_TEXT_MAX   2900

/* Slack mrkdwn: escape &, <, >. */
static int mrkdwn(struct lc_buf *b, const char *s)
{
    int rc = 0;
    for (; *s && !rc; s++) {
        if (*s == '&')
            rc = lc_buf_append(b, "&amp;", 5);
        else if (*s == '<')
            rc = lc_buf_append(b, "&lt;", 4);
        else if (*s == '>')
            rc = lc_buf_append(b, "&gt;", 4);
        else
            rc = lc_buf_putc(b, *s);
    }
    return rc;
}

static cJSON *slack_text(const char *type, const char *text)
{
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "type", type);
    cJSON_AddStringToObject(t, "text", text);
    return t;
}

static void slack_section(cJSON *blocks, struct lc_buf *b)
{
    cJSON *sec = cJSON_CreateObject();
    if (b->data)
        lc_sink_trunc_utf8(b->data, SLACK_TEXT_MAX);
    cJSON_AddStringToObject(sec, "type", "section");
    cJSON_AddItemToObject(sec, "text", slack_text("mrkdwn", b->data ? b->data : ""));
    cJSON_AddItemToArray(blocks, sec);
    lc_buf_reset(b);
}

static void slack_field(cJSON *fields, const char *label, const char *value)
{
    struct lc_buf b = {0};
    (void)lc_buf_appendf(&b, "*%s*\n", label);
    (void)mrkdwn(&b, value);
    if (b.data)
        lc_sink_trunc_utf8(b.data, 1900);
    cJSON_AddItemToArray(fields, slack_text("mrkdwn", b.data ? b.data : ""));
    lc_buf_free(&b);
}

static int render(const struct lc_webhook_cfg *w, enum lc_notify_kind kind, const cJSON *ev,
                  const cJSON *finding, struct lc_buf *out)
{
    const char *code = lc_sink_str(finding, "code", "?");
    const char *sev = lc_sink_str(finding, "severity", "warning");
    const char *summary = lc_sink_str(finding, "summary", "");
    const cJSON *rem = cJSON_GetObjectItemCaseSensitive(finding, "remediation");
    const cJSON *evd = cJSON_GetObjectItemCaseSensitive(finding, "evidence");
    cJSON *doc = cJSON_CreateObject(), *blocks, *fields, *sec, *ctx, *els;
    struct lc_buf b = {0};
    char subj[600], head[SLACK_HEADER_MAX + 8], sevu[16];
    const char *emoji, *what;

    if (!doc)
        return LC_E_NOMEM;
    lc_sink_subject(finding, subj, sizeof(subj));
    snprintf(sevu, sizeof(sevu), "%s", sev);
    for (char *p = sevu; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    if (kind == LC_NOTIFY_RESOLVE) {
        emoji = ":white_check_mark:";
        what = "Resolved";
    } else {
        emoji = strcmp(sev, "critical") == 0 ? ":red_circle:" : ":warning:";
        what = kind == LC_NOTIFY_RENOTIFY ? "Still open" : "Opened";
    }
    /* The fallback line notifications show. */
    (void)lc_buf_appendf(&b, "[%s] %s %s on %s: ", what, sevu, code, subj);
    (void)mrkdwn(&b, summary);
    if (b.data)
        lc_sink_trunc_utf8(b.data, SLACK_TEXT_MAX);
    cJSON_AddStringToObject(doc, "text", b.data ? b.data : "");
    lc_buf_reset(&b);

    blocks = cJSON_AddArrayToObject(doc, "blocks");
    snprintf(head, sizeof(head), "%s %s: %s", what, kind == LC_NOTIFY_RESOLVE ? "" : sevu, code);
    if (kind == LC_NOTIFY_RESOLVE)
        snprintf(head, sizeof(head), "%s: %s", what, code);
    lc_sink_trunc_utf8(head, SLACK_HEADER_MAX);
    sec = cJSON_CreateObject();
    cJSON_AddStringToObject(sec, "type", "header");
    cJSON_AddItemToObject(sec, "text", slack_text("plain_text", head));
    cJSON_AddItemToArray(blocks, sec);

    (void)lc_buf_appendf(&b, "%s %s", emoji,
                         kind == LC_NOTIFY_RESOLVE ? "Recovered; it was: " : "");
    (void)mrkdwn(&b, summary);
    slack_section(blocks, &b);

    sec = cJSON_CreateObject();
    cJSON_AddStringToObject(sec, "type", "section");
    fields = cJSON_AddArrayToObject(sec, "fields");
    slack_field(fields, "Target", lc_sink_str(finding, "target", "?"));
    slack_field(fields, "Bucket", lc_sink_str(finding, "bucket", "?"));
    slack_field(fields, lc_sink_str(finding, "stream", NULL) ? "Stream" : "Check", subj);
    slack_field(fields, "Opened", lc_sink_str(ev, "opened_at", "?"));
    if (kind == LC_NOTIFY_RESOLVE)
        slack_field(fields, "Resolved", lc_sink_str(ev, "resolved_at", "?"));
    cJSON_AddItemToArray(blocks, sec);

    if (kind != LC_NOTIFY_RESOLVE) {
        const char *hint = lc_sink_str(rem, "hint", NULL);
        if (hint) {
            (void)lc_buf_append(&b, "*Remediation*\n", 14);
            (void)mrkdwn(&b, hint);
            slack_section(blocks, &b);
        }
        if (cJSON_IsObject(evd) && evd->child) {
            char *ej = cJSON_PrintUnformatted(evd);
            if (ej) {
                lc_sink_trunc_utf8(ej, 2500);
                (void)lc_buf_append(&b, "*Evidence*\n```", 14);
                (void)mrkdwn(&b, ej);
                (void)lc_buf_append(&b, "```", 3);
                slack_section(blocks, &b);
                cJSON_free(ej);
            }
        }
    }
    ctx = cJSON_CreateObject();
    cJSON_AddStringToObject(ctx, "type", "context");
    els = cJSON_AddArrayToObject(ctx, "elements");
    (void)lc_buf_append(&b, "logcanary incident `", 20);
    (void)mrkdwn(&b, lc_sink_str(ev, "incident_key", ""));
    (void)lc_buf_append(&b, "`", 1);
    if (b.data)
        lc_sink_trunc_utf8(b.data, SLACK_TEXT_MAX);
    cJSON_AddItemToArray(els, slack_text("mrkdwn", b.data ? b.data : ""));
    cJSON_AddItemToArray(blocks, ctx);
    lc_buf_free(&b);
    return lc_sink_finish_json(doc, out);
}

static const char *const requires[] = {"url", NULL};

const struct lc_sink lc_sink_slack = {
    .cfg = {.name = "slack", .requires = requires},
    .render = render,
};
