/* Integration-test plumbing shared by the C tests: an event loop with the real HTTP engine and
 * AWS client, the radosgw env file, and running the loop until a callback says done. */
#ifndef LC_ITEST_H
#define LC_ITEST_H

#include <event2/event.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/aws.h"
#include "aws/creds/creds.h"
#include "core/http.h"
#include "core/kv.h"

struct lc_itest {
    struct event_base *base;
    struct lc_http *http;
    struct lc_aws *aws;
    struct lc_kvlist env; /* the radosgw env file, when loaded */
};

/* KEY=value lines into env; returns 0 or -1. */
static inline int lc_itest_load_env(struct lc_kvlist *env, const char *path)
{
    char line[1024];
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *eq = strchr(line, '=');
        if (!eq || line[0] == '#')
            continue;
        *eq = '\0';
        lc_kv_add(env, line, eq + 1);
    }
    fclose(f);
    return 0;
}

static inline const char *lc_itest_env(const struct lc_itest *t, const char *name)
{
    const char *v = lc_kv_get(&t->env, name);
    if (!v) {
        fprintf(stderr, "itest: %s missing from the env file\n", name);
        abort();
    }
    return v;
}

static inline int lc_itest_init(struct lc_itest *t, const struct lc_aws_config *cfg)
{
    struct lc_http_opts ho = {.max_total = 16, .max_per_host = 8};
    struct lc_error err;

    memset(t, 0, sizeof(*t));
    lc_error_clear(&err);
    t->base = event_base_new();
    if (!t->base)
        return -1;
    t->http = lc_http_new(t->base, &ho, &err);
    if (!t->http)
        return -1;
    t->aws = lc_aws_new(t->base, t->http, cfg, &err);
    return t->aws ? 0 : -1;
}

static inline struct lc_credprov *lc_itest_static_creds(struct lc_itest *t, const char *ak,
                                                        const char *sk)
{
    struct lc_creds c = {.access_key_id = (char *)ak, .secret_access_key = (char *)sk};
    struct lc_error err;
    lc_error_clear(&err);
    return lc_credprov_static(t->aws, &c, &err);
}

/* Run the loop until *flag becomes true (set by a callback). Aborts if the loop runs dry
 * first: a callback was lost. */
static inline void lc_itest_run(struct lc_itest *t, const bool *flag)
{
    while (!*flag) {
        if (event_base_loop(t->base, EVLOOP_ONCE) != 0) {
            fprintf(stderr, "itest: event loop ran dry before completion\n");
            abort();
        }
    }
}

static inline void lc_itest_free(struct lc_itest *t)
{
    lc_aws_free(t->aws);
    lc_http_free(t->http);
    if (t->base)
        event_base_free(t->base);
    lc_kv_free(&t->env);
}

#endif
