/* The provider interface: every call goes through the provider's vtable. A NULL provider has
 * no credentials: get fails, source is "none", the rest do nothing. */
#include "aws/credprov.h"

int lc_credprov_get(struct lc_credprov *p, lc_creds_cb cb, void *ud, struct lc_error *err)
{
    if (!p || !cb) {
        lc_error_clear(err);
        lc_error_set(err, LC_E_INVALID, "lc_credprov_get: no provider or callback");
        return LC_E_INVALID;
    }
    return p->vtable->get(p, cb, ud, err);
}

const char *lc_credprov_source(const struct lc_credprov *p)
{
    return p ? p->vtable->source(p) : "none";
}

void lc_credprov_cancel(struct lc_credprov *p, lc_creds_cb cb, void *ud)
{
    if (p)
        p->vtable->cancel(p, cb, ud);
}

void lc_credprov_invalidate(struct lc_credprov *p)
{
    if (p)
        p->vtable->invalidate(p);
}

void lc_credprov_free(struct lc_credprov *p)
{
    if (p)
        p->vtable->free(p);
}
