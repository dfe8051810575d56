#include "aws/awsxml.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/xml.h"
#include "core/array.h"

#define DEFAULT_MAX_ENTRIES 50000
#define DEFAULT_MAX_BYTES   (8 * 1024 * 1024)
#define DEFAULT_MAX_TEXT    (64 * 1024)
#define MAX_DEPTH           32
#define MAX_PATH            2048

struct entry {
    char *path;   /* one allocation: path '\0' text '\0' */
    char *text;   /* NULL for a list */
    size_t items; /* list members, for a list */
    size_t size;  /* bytes allocated, for wiping */
};

struct frame {
    size_t path_len; /* ipath length before this element */
    size_t items;    /* <item>/<member> children so far */
    bool has_children;
};

struct lc_awsxml {
    struct lc_awsxml_opts o;
    struct lc_xml *x;
    char root[128];
    char ipath[MAX_PATH]; /* path with list indexes */
    size_t ipath_len;
    struct frame frames[MAX_DEPTH];
    struct entry *e;
    size_t n, cap;
    size_t *table; /* open addressing: entry index + 1, 0 = empty */
    size_t tsize;  /* power of two */
    bool done;
};

static bool is_list_item(const char *name)
{
    return strcmp(name, "item") == 0 || strcmp(name, "member") == 0;
}

static int add(struct lc_awsxml *d, struct lc_xml *x, const char *text, size_t len, size_t items)
{
    size_t plen = d->ipath_len;
    struct entry *e;

    if (d->n >= d->o.max_entries)
        return lc_xml_fail(x, LC_E_TOO_LARGE, "more than %zu elements", d->o.max_entries);
    if (LC_ARRAY_GROW(d->e, d->n, d->cap))
        return lc_xml_fail(x, LC_E_NOMEM, "out of memory");
    e = &d->e[d->n];
    e->size = plen + 1 + (text ? len + 1 : 0);
    e->path = malloc(e->size);
    if (!e->path)
        return lc_xml_fail(x, LC_E_NOMEM, "out of memory");
    memcpy(e->path, d->ipath, plen + 1);
    e->text = NULL;
    if (text) {
        e->text = e->path + plen + 1;
        memcpy(e->text, text, len + 1);
    }
    e->items = items;
    d->n++;
    return 0;
}

static int on_start(void *ud, struct lc_xml *x)
{
    struct lc_awsxml *d = ud;
    unsigned depth = lc_xml_depth(x);
    const char *name = lc_xml_name(x);
    struct frame *f = &d->frames[depth - 1];
    int w;

    if (depth == 1) {
        if (d->o.root && strcmp(name, d->o.root) != 0)
            return lc_xml_fail(x, LC_E_PARSE, "unexpected root element <%s> (expected %s)", name,
                               d->o.root);
        lc_strlcpy(d->root, name, sizeof(d->root));
    }
    f->path_len = d->ipath_len;
    f->items = 0;
    f->has_children = false;
    if (depth == 1) {
        w = snprintf(d->ipath, sizeof(d->ipath), "%s", name);
    } else {
        struct frame *parent = &d->frames[depth - 2];
        char *p = d->ipath + d->ipath_len;
        size_t room = sizeof(d->ipath) - d->ipath_len;
        parent->has_children = true;
        if (is_list_item(name))
            w = snprintf(p, room, "/%s[%zu]", name, parent->items++);
        else
            w = snprintf(p, room, "/%s", name);
    }
    if (w < 0 || (size_t)w >= sizeof(d->ipath) - d->ipath_len)
        return lc_xml_fail(x, LC_E_TOO_LARGE, "element path longer than %d bytes", MAX_PATH - 1);
    d->ipath_len += (size_t)w;
    return 0;
}

static int on_end(void *ud, struct lc_xml *x, const char *text, size_t len)
{
    struct lc_awsxml *d = ud;
    struct frame *f = &d->frames[lc_xml_depth(x) - 1];
    int rc = 0;

    if (!f->has_children)
        rc = add(d, x, text, len, 0);
    else if (f->items)
        rc = add(d, x, NULL, 0, f->items);
    d->ipath_len = f->path_len;
    d->ipath[d->ipath_len] = '\0';
    return rc;
}

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Index the entries by path; the first of equal paths wins. */
static int build_table(struct lc_awsxml *d)
{
    size_t size = 16;

    while (size < d->n * 2)
        size *= 2;
    d->table = calloc(size, sizeof(*d->table));
    if (!d->table)
        return LC_E_NOMEM;
    d->tsize = size;
    for (size_t i = 0; i < d->n; i++) {
        size_t h = (size_t)hash(d->e[i].path) & (size - 1);
        while (d->table[h] && strcmp(d->e[d->table[h] - 1].path, d->e[i].path) != 0)
            h = (h + 1) & (size - 1);
        if (!d->table[h])
            d->table[h] = i + 1;
    }
    return 0;
}

static const struct entry *lookup(const struct lc_awsxml *d, const char *path)
{
    if (!d || !d->table || !path)
        return NULL;
    size_t h = (size_t)hash(path) & (d->tsize - 1);
    while (d->table[h]) {
        const struct entry *e = &d->e[d->table[h] - 1];
        if (strcmp(e->path, path) == 0)
            return e;
        h = (h + 1) & (d->tsize - 1);
    }
    return NULL;
}

struct lc_awsxml *lc_awsxml_new(const struct lc_awsxml_opts *opts)
{
    struct lc_awsxml *d = calloc(1, sizeof(*d));
    struct lc_xml_opts xo = {.on_start = on_start, .on_end = on_end, .max_depth = MAX_DEPTH};

    if (!d)
        return NULL;
    if (opts)
        d->o = *opts;
    if (!d->o.max_entries)
        d->o.max_entries = DEFAULT_MAX_ENTRIES;
    if (!d->o.max_bytes)
        d->o.max_bytes = DEFAULT_MAX_BYTES;
    if (!d->o.max_text)
        d->o.max_text = DEFAULT_MAX_TEXT;
    xo.ud = d;
    xo.max_text = d->o.max_text;
    xo.max_bytes = d->o.max_bytes;
    d->x = lc_xml_new(&xo);
    if (!d->x) {
        free(d);
        return NULL;
    }
    return d;
}

int lc_awsxml_feed(struct lc_awsxml *d, const void *data, size_t len, struct lc_error *err)
{
    return lc_xml_feed(d->x, data, len, err);
}

int lc_awsxml_finish(struct lc_awsxml *d, struct lc_error *err)
{
    int rc = lc_xml_finish(d->x, err);

    if (rc)
        return rc;
    if (!d->done) {
        if (build_table(d)) {
            if (err)
                lc_error_set(err, LC_E_NOMEM, "XML: out of memory");
            return LC_E_NOMEM;
        }
        d->done = true;
    }
    return 0;
}

void lc_awsxml_free(struct lc_awsxml *d)
{
    if (!d)
        return;
    lc_xml_free(d->x);
    for (size_t i = 0; i < d->n; i++) {
        explicit_bzero(d->e[i].path, d->e[i].size);
        free(d->e[i].path);
    }
    free(d->e);
    free(d->table);
    free(d);
}

int lc_awsxml_parse(const void *body, size_t len, const struct lc_awsxml_opts *opts,
                    struct lc_awsxml **out, struct lc_error *err)
{
    struct lc_awsxml *d = lc_awsxml_new(opts);
    int rc;

    *out = NULL;
    if (!d) {
        if (err)
            lc_error_set(err, LC_E_NOMEM, "XML: out of memory");
        return LC_E_NOMEM;
    }
    rc = lc_awsxml_feed(d, body, len, err);
    if (!rc)
        rc = lc_awsxml_finish(d, err);
    if (rc) {
        lc_awsxml_free(d);
        return rc;
    }
    *out = d;
    return 0;
}

const char *lc_awsxml_root(const struct lc_awsxml *d)
{
    return d->root;
}

const char *lc_awsxml_get(const struct lc_awsxml *d, const char *path)
{
    const struct entry *e = lookup(d, path);

    return e ? e->text : NULL;
}

const char *lc_awsxml_getf(const struct lc_awsxml *d, const char *fmt, ...)
{
    char path[MAX_PATH];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(path, sizeof(path), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(path))
        return NULL;
    return lc_awsxml_get(d, path);
}

size_t lc_awsxml_count(const struct lc_awsxml *d, const char *path)
{
    const struct entry *e = lookup(d, path);

    return e && !e->text ? e->items : 0;
}

size_t lc_awsxml_entries(const struct lc_awsxml *d)
{
    return d->n;
}
