/* A small streaming XML reader over expat for the AWS XML protocols.
 *
 * - Fed in chunks of any size, as the bytes arrive.
 * - Elements are known by their local names (prefixes and namespaces are ignored) and by their
 *   path from the root, joined with '/': "ListBucketResult/Contents/Key".
 * - The text of an element is accumulated (up to max_text) and handed to on_end. Text is reset at
 *   every tag, so an element with children only sees the text after its last child; AWS
 *   documents have no mixed content.
 * - A DOCTYPE is refused, so there are no DTDs, entity declarations or entity expansion bombs.
 * - Malformed input is LC_E_PARSE, input over a cap (text, path, bytes) LC_E_TOO_LARGE, nesting
 *   deeper than max_depth LC_E_PARSE. Messages say where: element path and line:column. */
#ifndef LC_XML_H
#define LC_XML_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

struct lc_xml;

/* Callbacks return 0 to go on; anything else stops the parse and is returned by lc_xml_feed or
 * lc_xml_finish (use lc_xml_fail to say why). During a callback lc_xml_name/path/depth describe
 * the element that starts or ends. */
typedef int (*lc_xml_start_cb)(void *ud, struct lc_xml *x);
typedef int (*lc_xml_end_cb)(void *ud, struct lc_xml *x, const char *text, size_t len);

struct lc_xml_opts {
    lc_xml_start_cb on_start; /* may be NULL */
    lc_xml_end_cb on_end;     /* may be NULL; text is NUL-terminated */
    void *ud;
    size_t max_text;    /* bytes of text between two tags (0 = 64 KiB) */
    size_t max_bytes;   /* bytes fed in total (0 = 16 MiB) */
    unsigned max_depth; /* element nesting (0 = 32) */
};

/* NULL when out of memory. */
struct lc_xml *lc_xml_new(const struct lc_xml_opts *opts);
/* Parse the next chunk. 0, or an error kind with *err set; after an error every later call
 * returns the same error. */
int lc_xml_feed(struct lc_xml *x, const void *data, size_t len, struct lc_error *err);
/* End of input: an empty, truncated or unclosed document is LC_E_PARSE. */
int lc_xml_finish(struct lc_xml *x, struct lc_error *err);
void lc_xml_free(struct lc_xml *x);
/* new + feed + finish + free, for bodies already in memory. */
int lc_xml_parse(const struct lc_xml_opts *opts, const void *data, size_t len,
                 struct lc_error *err);

/* Local name and path of the current element; depth is 1 for the root. */
const char *lc_xml_name(const struct lc_xml *x);
const char *lc_xml_path(const struct lc_xml *x);
unsigned lc_xml_depth(const struct lc_xml *x);
/* The current path equals pattern, segment by segment; a "*" segment matches any one name. */
bool lc_xml_match(const struct lc_xml *x, const char *pattern);
/* From a callback: record an error (message + " at <path>, line L, column C") and return kind,
 * so a callback can `return lc_xml_fail(x, LC_E_PARSE, "Size: not a number");`. */
int lc_xml_fail(struct lc_xml *x, enum lc_err_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
