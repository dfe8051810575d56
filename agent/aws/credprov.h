/* A credentials provider as its users see it: a table of operations (get, cancel, invalidate,
 * source, free) and the implementation's data. The AWS client signs with whatever provider a
 * request names and depends on this interface only; the providers themselves (the default
 * chain, AssumeRole, web identity, container, instance metadata, static keys) are built with
 * the constructors in aws/creds/creds.h.
 *
 * Every implementation keeps the contract stated with the functions below: a get is answered
 * exactly once and always from the event loop, a cancelled get is never answered, and a
 * provider may be freed from inside one of its own callbacks. */
#ifndef LC_CREDPROV_H
#define LC_CREDPROV_H

#include "core/error.h"
#include "aws/sigv4.h"

struct lc_credprov;

/* Called exactly once per lc_credprov_get, always from the event loop (never inside
 * lc_credprov_get). On failure creds is NULL and err says why (kind LC_E_CREDENTIALS, or the
 * underlying AWS/transport error). The creds are valid only during the callback. */
typedef void (*lc_creds_cb)(void *ud, const struct lc_creds *creds, const struct lc_error *err);

struct lc_credprov_vtable {
    int (*get)(struct lc_credprov *p, lc_creds_cb cb, void *ud, struct lc_error *err);
    void (*cancel)(struct lc_credprov *p, lc_creds_cb cb, void *ud);
    void (*invalidate)(struct lc_credprov *p);
    const char *(*source)(const struct lc_credprov *p);
    /* Release the provider, this struct included: at once, or when called from inside one of
     * the provider's own callbacks, as soon as they have returned. */
    void (*free)(struct lc_credprov *p);
};

/* Implementations allocate this with their data (usually as the first member of their own
 * struct) and never change it afterwards. */
struct lc_credprov {
    const struct lc_credprov_vtable *vtable;
    void *impl; /* the implementation's data */
};

/* Ask for credentials. 0, or an error code with *err set (then cb is not called). */
int lc_credprov_get(struct lc_credprov *p, lc_creds_cb cb, void *ud, struct lc_error *err);
/* Where the current credentials came from ("environment", "profile default", "imds", ...);
 * "none" for NULL. */
const char *lc_credprov_source(const struct lc_credprov *p);
/* Forget pending gets made with this cb and ud: their callback will not run. For a waiter that
 * goes away first (an AWS call freed while it waited for credentials). */
void lc_credprov_cancel(struct lc_credprov *p, lc_creds_cb cb, void *ud);
/* Drops cached credentials (e.g. after ExpiredToken) so the next get refreshes. */
void lc_credprov_invalidate(struct lc_credprov *p);
/* Gets still pending hear LC_E_CANCELLED (from here). Safe inside a callback of the provider.
 * Free providers before the AWS client; a source after the roles assumed on top of it. */
void lc_credprov_free(struct lc_credprov *p);

#endif
