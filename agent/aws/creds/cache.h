/* The cache in front of every provider that holds credentials: static keys, and the sources
 * that fetch them (STS, container, instance metadata).
 *
 * A get queues a waiter. A fresh cache answers the waiters from a zero timer (never inside
 * lc_credprov_get); otherwise one refresh runs and its result, good or bad, goes to every
 * waiter queued meanwhile (coalescing). Credentials are refreshed refresh_margin before they
 * expire; a refresh that fails while the cached credentials have not yet expired keeps serving
 * them for a while (as botocore's advisory refresh does). Freeing the provider from inside one
 * of its callbacks is deferred until the callbacks on the stack have returned.
 *
 * A source plugs in with struct lc_credsrc: it starts one refresh at a time and reports its end
 * with lc_credcache_done. */
#ifndef LC_CREDS_CACHE_H
#define LC_CREDS_CACHE_H

#include <stdbool.h>

#include "aws/credprov.h"
#include "core/error.h"

struct lc_aws;
struct lc_credcache;

/* One refresh in flight: the first member of the source's own per-refresh state. */
struct lc_credfetch {
    struct lc_credcache *cache; /* NULL once the provider was freed: the source's callback then
                                 * only frees its state */
};

/* Where a cached provider's credentials come from. data is the source's, given to
 * lc_credcache_new. */
struct lc_credsrc {
    /* Start one refresh: allocate the per-refresh state, send the first request and set *out.
     * The end is reported from the loop with lc_credcache_done. 0, or an error with *err set
     * and nothing in flight. */
    int (*start)(void *data, struct lc_credfetch **out, struct lc_error *err);
    /* The provider is being freed while f is in flight: cancel what can be cancelled. The
     * source's callback still comes, sees f->cache NULL, and frees f. NULL = nothing to do. */
    void (*abandon)(void *data, struct lc_credfetch *f);
    /* Free data, when the provider goes. */
    void (*free)(void *data);
};

/* A cached provider named source (for logs and errors) over src. margin 0 = 300 s. With src
 * NULL there is nothing to refresh from: seed it with lc_credcache_keys, or use it only to
 * hand errors to waiters (lc_credcache_fail). data is freed with src->free, also on failure. */
struct lc_credprov *lc_credcache_new(struct lc_aws *aws, const char *source, long margin,
                                     const struct lc_credsrc *src, void *data,
                                     struct lc_error *err);
/* Fixed credentials (copied): served until they expire, then an error. */
struct lc_credprov *lc_credcache_keys(struct lc_aws *aws, const char *source, long margin,
                                      const struct lc_creds *creds, struct lc_error *err);

/* The end of the refresh f: newc on success (its strings are taken), else e. After this
 * returns neither f->cache nor the source's data may be used (a waiter may have freed the
 * provider); the source frees f. */
void lc_credcache_done(struct lc_credfetch *f, struct lc_creds *newc, const struct lc_error *e);

/* For a provider from lc_credcache_new: every get queued until the loop comes round (these
 * included) hears e. */
void lc_credcache_fail(struct lc_credprov *p, const struct lc_error *e);
/* An error from lc_credcache_fail or a failed start is waiting for the loop. */
bool lc_credcache_failing(const struct lc_credprov *p);

#endif
