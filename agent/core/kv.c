#include "core/kv.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/array.h"
#include "core/error.h"

int lc_kv_add(struct lc_kvlist *l, const char *name, const char *value)
{
    if (LC_ARRAY_GROW(l->items, l->n, l->cap))
        return LC_E_NOMEM;
    char *n = strdup(name);
    char *v = strdup(value ? value : "");
    if (!n || !v) {
        free(n);
        free(v);
        return LC_E_NOMEM;
    }
    l->items[l->n].name = n;
    l->items[l->n].value = v;
    l->n++;
    return 0;
}

int lc_kv_set(struct lc_kvlist *l, const char *name, const char *value)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strcasecmp(l->items[i].name, name) == 0) {
            char *v = strdup(value ? value : "");
            if (!v)
                return LC_E_NOMEM;
            free(l->items[i].value);
            l->items[i].value = v;
            return 0;
        }
    }
    return lc_kv_add(l, name, value);
}

const char *lc_kv_get(const struct lc_kvlist *l, const char *name)
{
    for (size_t i = 0; l && i < l->n; i++)
        if (strcasecmp(l->items[i].name, name) == 0)
            return l->items[i].value;
    return NULL;
}

void lc_kv_remove(struct lc_kvlist *l, const char *name)
{
    size_t j = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (strcasecmp(l->items[i].name, name) == 0) {
            free(l->items[i].name);
            free(l->items[i].value);
            continue;
        }
        l->items[j++] = l->items[i];
    }
    l->n = j;
}

int lc_kv_copy(struct lc_kvlist *dst, const struct lc_kvlist *src)
{
    for (size_t i = 0; src && i < src->n; i++)
        if (lc_kv_add(dst, src->items[i].name, src->items[i].value))
            return LC_E_NOMEM;
    return 0;
}

void lc_kv_free(struct lc_kvlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].name);
        free(l->items[i].value);
    }
    free(l->items);
    memset(l, 0, sizeof(*l));
}
