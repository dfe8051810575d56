/* An ordered list of name/value string pairs: HTTP headers, query parameters, form fields. */
#ifndef LC_KV_H
#define LC_KV_H

#include <stddef.h>

struct lc_kv {
    char *name;
    char *value;
};

struct lc_kvlist {
    struct lc_kv *items;
    size_t n;
    size_t cap;
};

/* Append a copy of name/value (value may be "" but not NULL). 0 or LC_E_NOMEM. */
int lc_kv_add(struct lc_kvlist *l, const char *name, const char *value);
/* Replace the value of the first case-insensitive match, or append. */
int lc_kv_set(struct lc_kvlist *l, const char *name, const char *value);
/* First case-insensitive match or NULL. */
const char *lc_kv_get(const struct lc_kvlist *l, const char *name);
void lc_kv_remove(struct lc_kvlist *l, const char *name);
int lc_kv_copy(struct lc_kvlist *dst, const struct lc_kvlist *src);
void lc_kv_free(struct lc_kvlist *l);

#endif
