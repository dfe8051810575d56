/* The webhook sink registry, and what the renderers share. */
#include <stdio.h>
#include <string.h>

#include "outputs/sinks/sink.h"

extern const struct lc_sink lc_sink_generic;
extern const struct lc_sink lc_sink_slack;
extern const struct lc_sink lc_sink_pagerduty;

const struct lc_sink *const lc_sinks[] = {
    &lc_sink_generic,
    &lc_sink_slack,
    &lc_sink_pagerduty,
    NULL,
};

static const void *plugin_at(size_t i)
{
    return i < LC_CFG_NELEM(lc_sinks) ? lc_sinks[i] : NULL;
}

static const struct lc_cfg_plugin *plugin_of(const void *module)
{
    return &((const struct lc_sink *)module)->cfg;
}

const struct lc_cfg_plugins lc_sink_types = {.at = plugin_at, .plugin = plugin_of};

/* Cut s to at most max bytes on a UTF-8 boundary, marking the cut with "...". */
void lc_sink_trunc_utf8(char *s, size_t max)
{
    size_t n = strlen(s);

    if (n <= max || max < 4)
        return;
    n = max - 3;
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
        n--;
    memcpy(s + n, "...", 4);
}

const char *lc_sink_str(const cJSON *o, const char *name, const char *def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : def;
}

/* The event's subject: stream id or "<target> canary". */
void lc_sink_subject(const cJSON *finding, char *buf, size_t len)
{
    const char *stream = lc_sink_str(finding, "stream", NULL);

    if (stream)
        snprintf(buf, len, "%s", stream);
    else
        snprintf(buf, len, "%s canary", lc_sink_str(finding, "target", "?"));
}

int lc_sink_finish_json(cJSON *doc, struct lc_buf *out)
{
    char *text = doc ? cJSON_PrintUnformatted(doc) : NULL;
    int rc = text ? lc_buf_append(out, text, strlen(text)) : LC_E_NOMEM;

    cJSON_free(text);
    cJSON_Delete(doc);
    return rc;
}

void lc_sink_copy_field(cJSON *to, const cJSON *from, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(from, name);
    cJSON_AddItemToObject(to, name, v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull());
}
