/* A bounded, flat view of a small EC2/Query XML response (an EC2 Describe call, STS AssumeRole,
 * STS GetCallerIdentity): every leaf element becomes a (path, text) pair.
 *
 * Paths are local names (no namespaces) joined with '/', root included. List members, <item>
 * (EC2) and <member> (Query), are numbered from 0:
 *     DescribeInstancesResponse/reservationSet/item[0]/reservationId
 *     DescribeInstancesResponse/reservationSet/item[0]/tagSet/item[1]/value
 * An empty element (<nextToken/>, an empty <tagSet/>) is a leaf with text "". When a path
 * repeats outside a list, lookups see the first one. Texts may hold secrets (STS credentials):
 * they are wiped on free. Parsed in chunks; lookups work after a successful finish. */
#ifndef LC_AWSXML_H
#define LC_AWSXML_H

#include <stddef.h>

#include "core/error.h"

struct lc_awsxml_opts {
    const char *root;   /* required root element (local name), NULL = any */
    size_t max_entries; /* leaves + lists (0 = 50000) */
    size_t max_bytes;   /* document size (0 = 8 MiB) */
    size_t max_text;    /* text of one element (0 = 64 KiB) */
};

struct lc_awsxml;

/* opts may be NULL. NULL when out of memory. */
struct lc_awsxml *lc_awsxml_new(const struct lc_awsxml_opts *opts);
int lc_awsxml_feed(struct lc_awsxml *d, const void *data, size_t len, struct lc_error *err);
int lc_awsxml_finish(struct lc_awsxml *d, struct lc_error *err);
void lc_awsxml_free(struct lc_awsxml *d);
/* new + feed + finish for a buffered body; *out is NULL on error. */
int lc_awsxml_parse(const void *body, size_t len, const struct lc_awsxml_opts *opts,
                    struct lc_awsxml **out, struct lc_error *err);

/* Local name of the root element. */
const char *lc_awsxml_root(const struct lc_awsxml *d);
/* Text of the leaf at path, or NULL when there is none. */
const char *lc_awsxml_get(const struct lc_awsxml *d, const char *path);
/* Same with a printf-style path: ("...reservationSet/item[%zu]/reservationId", i). */
const char *lc_awsxml_getf(const struct lc_awsxml *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Number of <item>/<member> children of the element at path (0 when none or no such path). */
size_t lc_awsxml_count(const struct lc_awsxml *d, const char *path);
/* Leaves and lists held. */
size_t lc_awsxml_entries(const struct lc_awsxml *d);

#endif
