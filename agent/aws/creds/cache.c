/* The cache in front of every credential source. See cache.h.
 *
 * State: the cached credentials (cur, have, hold_until), the queue of waiters, at most one
 * refresh in flight (fetch), and a failure waiting for the zero timer to reach the waiters.
 * busy counts the loop callbacks on the stack; a free requested meanwhile only marks the
 * provider dead, and the last callback to return destroys it. */
#include "aws/creds/cache.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "aws/aws.h"
#include "aws/creds/creds.h"
#include "aws/creds/util.h"
#include "core/log.h"

#define DEF_MARGIN_S 300
#define HOLD_S       30 /* after a refresh, answer from the cache at least this long */

struct waiter {
    struct waiter *next;
    lc_creds_cb cb;
    void *ud;
};

struct lc_credcache {
    struct lc_credprov prov; /* vtable: cache_vtable; impl: this */
    struct lc_aws *aws;
    struct event *ev; /* zero timer: answers waiters from the loop */
    char *source;
    long margin;
    const struct lc_credsrc *src; /* NULL: nothing to refresh from */
    void *data;
    /* cache */
    struct lc_creds cur;
    bool have;
    time_t hold_until;
    /* waiters and the refresh in flight */
    struct waiter *waiters, **wtail;
    struct waiter *delivering; /* being answered now (lc_credprov_cancel reaches them too) */
    bool refreshing;
    bool failed; /* a failure waits for the timer to reach the waiters */
    struct lc_error fail;
    struct lc_credfetch *fetch;
    int busy;  /* loop callbacks on the stack */
    bool dead; /* freed while busy */
};

static const struct lc_credprov_vtable cache_vtable;

/* The AWS client's clock: skew-corrected, and moved by tests with lc_aws_set_clock. */
static time_t cache_now(const struct lc_credcache *c)
{
    return lc_aws_now(c->aws);
}

static void arm(struct lc_credcache *c)
{
    static const struct timeval zero = {0, 0};
    evtimer_add(c->ev, &zero);
}

/* Answer every waiter queued so far. Gets made by the callbacks queue for the next round. */
static void deliver(struct lc_credcache *c, const struct lc_creds *creds, const struct lc_error *e)
{
    c->delivering = c->waiters;
    c->waiters = NULL;
    c->wtail = &c->waiters;
    c->busy++;
    while (c->delivering) {
        struct waiter *w = c->delivering;
        c->delivering = w->next;
        w->cb(w->ud, creds, e);
        free(w);
    }
    c->busy--;
}

static void drop_waiters(struct waiter **pp, lc_creds_cb cb, void *ud)
{
    while (*pp) {
        struct waiter *w = *pp;
        if (w->cb == cb && w->ud == ud) {
            *pp = w->next;
            free(w);
        } else {
            pp = &w->next;
        }
    }
}

static void deliver_cur(struct lc_credcache *c)
{
    struct lc_creds copy;
    struct lc_error e;

    if (lc_creds_copy(&copy, &c->cur) != 0) {
        lc_creds_nomem(&e);
        deliver(c, NULL, &e);
        return;
    }
    deliver(c, &copy, NULL);
    lc_creds_clear(&copy);
}

static bool fresh(const struct lc_credcache *c, time_t now)
{
    if (!c->have)
        return false;
    if (c->cur.expiration == 0 || now + c->margin < c->cur.expiration)
        return true;
    return now < c->hold_until && now < c->cur.expiration;
}

/* The end of every refresh, from the loop. Takes newc's strings. */
static void finish(struct lc_credcache *c, struct lc_creds *newc, const struct lc_error *err)
{
    time_t now = cache_now(c);
    char msg[700];

    c->refreshing = false;
    if (newc) {
        lc_creds_clear(&c->cur);
        c->cur = *newc;
        memset(newc, 0, sizeof(*newc));
        c->have = true;
        c->hold_until = now + HOLD_S;
        if (c->cur.expiration)
            LC_INFO(LC_CREDS_COMP, "%s: new credentials (access key ...%s), valid for %lds",
                    c->source, lc_creds_key_tail(c->cur.access_key_id),
                    (long)(c->cur.expiration - now));
        else
            LC_INFO(LC_CREDS_COMP, "%s: credentials (access key ...%s)", c->source,
                    lc_creds_key_tail(c->cur.access_key_id));
        deliver_cur(c);
        return;
    }
    lc_error_format(err, msg, sizeof(msg));
    if (c->have && now < c->cur.expiration) {
        LC_WARN(LC_CREDS_COMP,
                "%s: refresh failed, using the current credentials for %lds more: %s", c->source,
                (long)(c->cur.expiration - now), msg);
        c->hold_until = now + HOLD_S;
        deliver_cur(c);
        return;
    }
    if (c->have) {
        lc_creds_clear(&c->cur);
        c->have = false;
    }
    if (strcmp(c->source, err->service) == 0)
        LC_WARN(LC_CREDS_COMP, "%s", msg);
    else
        LC_WARN(LC_CREDS_COMP, "%s: %s", c->source, msg);
    deliver(c, NULL, err);
}

static void destroy(struct lc_credcache *c)
{
    struct lc_error e;

    if (c->fetch) {
        c->fetch->cache = NULL; /* the source's callback frees it */
        if (c->src->abandon)
            c->src->abandon(c->data, c->fetch);
        c->fetch = NULL;
    }
    /* Waiters still queued are told; they may not use the provider any more. */
    c->busy++;
    c->dead = true;
    if (c->waiters) {
        lc_creds_fail(&e, LC_E_CANCELLED, "%s: credential provider freed", c->source);
        deliver(c, NULL, &e);
    }
    if (c->ev)
        event_free(c->ev);
    if (c->src)
        c->src->free(c->data);
    lc_creds_clear(&c->cur);
    free(c->source);
    free(c);
}

/* Every loop callback ends here: a free requested meanwhile happens now. */
static void settle(struct lc_credcache *c)
{
    if (c->dead && c->busy == 0)
        destroy(c);
}

static void start_refresh(struct lc_credcache *c)
{
    struct lc_credfetch *f = NULL;
    struct lc_error err;
    int rc;

    lc_error_clear(&err);
    c->refreshing = true;
    if (c->src)
        rc = c->src->start(c->data, &f, &err);
    else
        rc = lc_creds_fail(&err, LC_E_CREDENTIALS, "%s: the credentials have expired", c->source);
    if (rc) {
        c->refreshing = false;
        c->failed = true;
        c->fail = err;
        arm(c);
        return;
    }
    f->cache = c;
    c->fetch = f;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct lc_credcache *c = arg;

    (void)fd;
    (void)what;
    c->busy++;
    if (c->failed) {
        struct lc_error e = c->fail;
        c->failed = false;
        finish(c, NULL, &e);
    } else if (!c->refreshing && c->waiters) {
        if (fresh(c, cache_now(c)))
            deliver_cur(c);
        else
            start_refresh(c);
    }
    c->busy--;
    settle(c);
}

void lc_credcache_done(struct lc_credfetch *f, struct lc_creds *newc, const struct lc_error *e)
{
    struct lc_credcache *c = f->cache;

    c->busy++;
    if (c->fetch == f)
        c->fetch = NULL;
    finish(c, newc, e);
    c->busy--;
    settle(c);
}

void lc_credcache_fail(struct lc_credprov *p, const struct lc_error *e)
{
    struct lc_credcache *c = p->impl;

    c->failed = true;
    c->fail = *e;
    arm(c);
}

bool lc_credcache_failing(const struct lc_credprov *p)
{
    const struct lc_credcache *c = p->impl;
    return c->failed;
}

static int cache_get(struct lc_credprov *p, lc_creds_cb cb, void *ud, struct lc_error *err)
{
    struct lc_credcache *c = p->impl;
    struct waiter *w = calloc(1, sizeof(*w));

    if (!w)
        return lc_creds_nomem(err);
    w->cb = cb;
    w->ud = ud;
    *c->wtail = w;
    c->wtail = &w->next;
    if (c->refreshing || c->failed)
        return 0;
    if (fresh(c, cache_now(c)))
        arm(c);
    else
        start_refresh(c);
    return 0;
}

static const char *cache_source(const struct lc_credprov *p)
{
    const struct lc_credcache *c = p->impl;
    return c->source;
}

static void cache_invalidate(struct lc_credprov *p)
{
    struct lc_credcache *c = p->impl;

    if (!c->src)
        return; /* nothing to refresh from */
    LC_DEBUG(LC_CREDS_COMP, "%s: cached credentials dropped", c->source);
    lc_creds_clear(&c->cur);
    c->have = false;
    c->hold_until = 0;
}

static void cache_cancel(struct lc_credprov *p, lc_creds_cb cb, void *ud)
{
    struct lc_credcache *c = p->impl;

    drop_waiters(&c->delivering, cb, ud);
    drop_waiters(&c->waiters, cb, ud);
    c->wtail = &c->waiters;
    while (*c->wtail)
        c->wtail = &(*c->wtail)->next;
}

static void cache_free(struct lc_credprov *p)
{
    struct lc_credcache *c = p->impl;

    if (c->busy) {
        c->dead = true;
        return;
    }
    destroy(c);
}

static const struct lc_credprov_vtable cache_vtable = {
    .get = cache_get,
    .cancel = cache_cancel,
    .invalidate = cache_invalidate,
    .source = cache_source,
    .free = cache_free,
};

struct lc_credprov *lc_credcache_new(struct lc_aws *aws, const char *source, long margin,
                                     const struct lc_credsrc *src, void *data, struct lc_error *err)
{
    struct lc_credcache *c = NULL;
    int rc = 0;

    if (!aws) {
        rc = lc_creds_fail(err, LC_E_INVALID, "a credential provider needs an AWS client");
        goto out;
    }
    c = calloc(1, sizeof(*c));
    if (!c) {
        rc = lc_creds_nomem(err);
        goto out;
    }
    c->prov.vtable = &cache_vtable;
    c->prov.impl = c;
    c->aws = aws;
    c->margin = margin > 0 ? margin : DEF_MARGIN_S;
    c->src = src;
    c->data = data;
    c->wtail = &c->waiters;
    c->source = strdup(source);
    c->ev = evtimer_new(lc_aws_base(aws), on_timer, c);
    if (!c->source || !c->ev)
        rc = lc_creds_nomem(err);
out:
    if (!rc)
        return &c->prov;
    if (c) {
        free(c->source);
        if (c->ev)
            event_free(c->ev);
        free(c);
    }
    if (src)
        src->free(data);
    return NULL;
}

struct lc_credprov *lc_credcache_keys(struct lc_aws *aws, const char *source, long margin,
                                      const struct lc_creds *creds, struct lc_error *err)
{
    struct lc_credprov *p = lc_credcache_new(aws, source, margin, NULL, NULL, err);
    struct lc_credcache *c;

    if (!p)
        return NULL;
    c = p->impl;
    if (lc_creds_copy(&c->cur, creds) != 0) {
        lc_credprov_free(p);
        lc_creds_nomem(err);
        return NULL;
    }
    c->have = true;
    return p;
}

struct lc_credprov *lc_credprov_static(struct lc_aws *aws, const struct lc_creds *creds,
                                       struct lc_error *err)
{
    if (!creds || !creds->access_key_id || !creds->secret_access_key) {
        lc_creds_fail(err, LC_E_INVALID,
                      "static credentials need an access key id and a secret key");
        return NULL;
    }
    return lc_credcache_keys(aws, "static", 0, creds, err);
}
