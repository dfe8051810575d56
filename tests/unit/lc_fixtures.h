/* Fixtures the unit tests share: the probes and webhook sinks by name, one target with a
 * CloudTrail source and two of its streams, and webhooks read through the real config loader
 * (so a sink's own keys are set the way a user sets them). */
#ifndef LC_FIXTURES_H
#define LC_FIXTURES_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "pipeline/plan.h"
#include "probes/probe.h"

extern const struct lc_probe lc_probe_vpcflowlogs;
extern const struct lc_probe lc_probe_config;
extern const struct lc_probe lc_probe_cloudtrail;

#define FX_UNUSED __attribute__((unused))

static char *fx_accounts[] FX_UNUSED = {"111111111111"};
static char *fx_regions[] FX_UNUSED = {"ap-northeast-1"};

/* A source of this probe: one account, one region. */
#define FX_SOURCE(probe_)                                                                          \
    {                                                                                              \
        .probe = &(probe_), .accounts = fx_accounts, .n_accounts = 1, .regions = fx_regions,       \
        .n_regions = 1                                                                             \
    }

/* The target "logs" (bucket lc-logs) with a CloudTrail source, and its streams in two regions. */
static struct lc_target_cfg fx_target FX_UNUSED = {.name = "logs", .bucket = "lc-logs"};
static struct lc_source_cfg fx_trail FX_UNUSED = FX_SOURCE(lc_probe_cloudtrail);
static struct lc_stream fx_stream_a FX_UNUSED = {.target = &fx_target,
                                                 .source = &fx_trail,
                                                 .probe = &lc_probe_cloudtrail,
                                                 .account = "111111111111",
                                                 .region = "ap-northeast-1",
                                                 .id =
                                                     "logs/cloudtrail/111111111111/ap-northeast-1"};
static struct lc_stream fx_stream_b FX_UNUSED = {.target = &fx_target,
                                                 .source = &fx_trail,
                                                 .probe = &lc_probe_cloudtrail,
                                                 .account = "111111111111",
                                                 .region = "us-east-1",
                                                 .id = "logs/cloudtrail/111111111111/us-east-1"};

/* The webhooks of a JSON array ("[{...}, ...]"), read by the config loader into *holder (free
 * with lc_config_free); NULL when it does not load (the message on stderr). */
static inline struct lc_webhook_cfg *fx_webhooks(struct lc_config **holder, const char *array)
{
    static const char head[] = "{\"targets\": [{\"name\": \"t\", \"bucket\": \"fixture-bucket\", "
                               "\"sources\": [{\"type\": \"cloudtrail\", \"accounts\": "
                               "[\"111111111111\"], \"regions\": [\"us-east-1\"]}]}], "
                               "\"alerts\": {\"webhooks\": ";
    size_t n = strlen(head) + strlen(array) + 3;
    char *json = malloc(n);
    struct lc_error err;

    *holder = NULL;
    if (!json)
        return NULL;
    snprintf(json, n, "%s%s}}", head, array);
    lc_error_clear(&err);
    if (lc_config_load_string(json, strlen(json), "fixture.json", holder, &err) != 0)
        fprintf(stderr, "fixture webhooks: %s\n", err.message);
    free(json);
    return *holder ? (*holder)->webhooks : NULL;
}

/* One source read by the config loader into *holder (free with lc_config_free): the members of
 * fields ("\"type\": \"vpcflowlogs\", \"hive_compatible\": true") plus one account, one
 * region and max_age 30m unless fields sets them. NULL when it does not load. */
static inline struct lc_source_cfg *fx_source(struct lc_config **holder, const char *fields)
{
    char json[2048];
    struct lc_error err;

    *holder = NULL;
    snprintf(json, sizeof(json),
             "{\"targets\": [{\"name\": \"t\", \"bucket\": \"fixture-bucket\", \"sources\": "
             "[{%s%s%s%s}]}]}",
             fields, strstr(fields, "\"accounts\"") ? "" : ", \"accounts\": [\"111111111111\"]",
             strstr(fields, "\"regions\"") ? "" : ", \"regions\": [\"ap-northeast-1\"]",
             strstr(fields, "\"max_age\"") ? "" : ", \"max_age\": \"30m\"");
    lc_error_clear(&err);
    if (lc_config_load_string(json, strlen(json), "fixture.json", holder, &err) != 0)
        fprintf(stderr, "fixture source: %s\n", err.message);
    return *holder ? &(*holder)->targets[0].sources[0] : NULL;
}

/* A file of the source tree ($LC_SOURCE_DIR, else found from this header's path); the caller
 * frees it. */
static inline char *fx_source_path(const char *rel)
{
    const char *dir = getenv("LC_SOURCE_DIR");
    char buf[4096];

    if (dir && *dir) {
        snprintf(buf, sizeof(buf), "%s/%s", dir, rel);
    } else { /* run by hand: this file is <src>/tests/unit/lc_fixtures.h */
        const char *me = __FILE__;
        const char *cut = strstr(me, "tests/unit/lc_fixtures.h");
        snprintf(buf, sizeof(buf), "%.*s%s", cut ? (int)(cut - me) : 0, me, rel);
    }
    return strdup(buf);
}

/* A generated part of a source file: the whole file (begin NULL), or the lines between the line
 * that starts with begin and the one that starts with end. 0 when it equals text; else -1 and a
 * message in why (the first differing line). With update_var set to "1" in the environment the
 * part is rewritten first. */
static inline int fx_check_generated(const char *rel, const char *begin, const char *end,
                                     const char *text, const char *update_var, char *why,
                                     size_t why_len)
{
    char *path = fx_source_path(rel), *file = NULL;
    size_t cap = 0, len = 0, start = 0, stop = 0;
    const char *update = getenv(update_var);
    FILE *f = path ? fopen(path, "r") : NULL;
    int rc = -1;

    snprintf(why, why_len, "%s: cannot read it", rel);
    if (f) {
        char chunk[4096];
        size_t n;
        while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
            char *grown = len + n + 1 > cap ? realloc(file, cap = (len + n + 1) * 2) : file;
            if (!grown)
                break;
            file = grown;
            memcpy(file + len, chunk, n);
            len += n;
        }
        fclose(f);
    }
    if (!file)
        goto out;
    file[len] = '\0';
    stop = len;
    if (begin) {
        const char *b = strstr(file, begin), *e = b ? strstr(b, end) : NULL;
        const char *nl = b ? strchr(b, '\n') : NULL;
        snprintf(why, why_len, "%s: no generated part between \"%s\" and \"%s\"", rel, begin, end);
        if (!b || !e || !nl || nl > e)
            goto out;
        /* after the begin marker's last line (it may take two) up to the end marker */
        while (nl + 1 < e && strncmp(nl + 1, ".\\\"", 3) == 0 && strncmp(nl + 1, end, strlen(end)))
            nl = strchr(nl + 1, '\n');
        start = (size_t)(nl + 1 - file);
        stop = (size_t)(e - file);
    }
    if (update && strcmp(update, "1") == 0) {
        f = fopen(path, "w");
        if (f) {
            fwrite(file, 1, start, f);
            fputs(text, f);
            fwrite(file + stop, 1, len - stop, f);
            fclose(f);
        }
        rc = 0;
        goto out;
    }
    if (stop - start == strlen(text) && memcmp(file + start, text, stop - start) == 0) {
        rc = 0;
        goto out;
    }
    size_t line = 1;
    for (size_t i = 0; i < start; i++)
        line += file[i] == '\n';
    for (size_t i = 0; start + i < stop && text[i] && file[start + i] == text[i]; i++)
        line += text[i] == '\n';
    snprintf(why, why_len, "%s differs from the code from line %zu: regenerate it with %s=1", rel,
             line, update_var);
out:
    free(file);
    free(path);
    return rc;
}

/* The same with the array built by printf (URLs of test servers). */
static inline struct lc_webhook_cfg *fx_webhooksf(struct lc_config **holder, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline struct lc_webhook_cfg *fx_webhooksf(struct lc_config **holder, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return fx_webhooks(holder, buf);
}

#endif
