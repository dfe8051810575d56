#include "aws/xml.h"

#include <expat.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

#define PATH_MAX_LEN      1024
#define DEFAULT_MAX_TEXT  (64 * 1024)
#define DEFAULT_MAX_BYTES (16 * 1024 * 1024)
#define DEFAULT_MAX_DEPTH 32

struct lc_xml {
    XML_Parser p;
    struct lc_xml_opts o;
    struct lc_buf text;
    char path[PATH_MAX_LEN]; /* local names joined with '/' */
    size_t path_len;
    size_t *offs; /* path_len before each open element */
    unsigned depth;
    size_t fed;
    bool finished;
    int rc;              /* sticky: first error kind */
    struct lc_error err; /* its message */
};

const char *lc_xml_path(const struct lc_xml *x)
{
    return x->path;
}

unsigned lc_xml_depth(const struct lc_xml *x)
{
    return x->depth;
}

const char *lc_xml_name(const struct lc_xml *x)
{
    if (x->depth == 0)
        return "";
    size_t off = x->offs[x->depth - 1];
    return x->path + off + (off ? 1 : 0);
}

bool lc_xml_match(const struct lc_xml *x, const char *pattern)
{
    const char *p = x->path;
    const char *q = pattern;

    for (;;) {
        size_t pl = strcspn(p, "/");
        size_t ql = strcspn(q, "/");
        if (!(ql == 1 && q[0] == '*') && (pl != ql || memcmp(p, q, pl) != 0))
            return false;
        p += pl;
        q += ql;
        if (*p == '\0' || *q == '\0')
            return *p == '\0' && *q == '\0';
        p++;
        q++;
    }
}

__attribute__((format(printf, 3, 0))) static void vfail(struct lc_xml *x, enum lc_err_kind kind,
                                                        const char *fmt, va_list ap)
{
    char msg[384];

    if (x->rc)
        return;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    x->rc = kind;
    if (x->depth)
        lc_error_set(&x->err, kind, "%s at %s, line %lu, column %lu", msg, x->path,
                     (unsigned long)XML_GetCurrentLineNumber(x->p),
                     (unsigned long)XML_GetCurrentColumnNumber(x->p) + 1);
    else
        lc_error_set(&x->err, kind, "%s at line %lu, column %lu", msg,
                     (unsigned long)XML_GetCurrentLineNumber(x->p),
                     (unsigned long)XML_GetCurrentColumnNumber(x->p) + 1);
    XML_StopParser(x->p, XML_FALSE);
}

int lc_xml_fail(struct lc_xml *x, enum lc_err_kind kind, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfail(x, kind, fmt, ap);
    va_end(ap);
    return kind;
}

/* A callback said stop: keep its message, or say who stopped. */
static void callback_stopped(struct lc_xml *x, int rc, const char *what)
{
    if (!x->rc)
        lc_xml_fail(x, rc > LC_OK && rc <= LC_E_INTERNAL ? (enum lc_err_kind)rc : LC_E_CANCELLED,
                    "stopped by the %s callback", what);
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    struct lc_xml *x = ud;
    const char *local = strrchr(name, ':');
    size_t need;
    int rc;
    (void)atts;

    if (x->rc)
        return;
    local = local ? local + 1 : name;
    if (x->depth >= x->o.max_depth) {
        lc_xml_fail(x, LC_E_PARSE, "elements nested deeper than %u", x->o.max_depth);
        return;
    }
    need = strlen(local) + (x->depth ? 1 : 0);
    if (need >= sizeof(x->path) - x->path_len) {
        lc_xml_fail(x, LC_E_TOO_LARGE, "element path longer than %d bytes", PATH_MAX_LEN - 1);
        return;
    }
    x->offs[x->depth++] = x->path_len;
    if (x->path_len)
        x->path[x->path_len++] = '/';
    memcpy(x->path + x->path_len, local, strlen(local) + 1);
    x->path_len += strlen(local);
    lc_buf_reset(&x->text);
    if (x->o.on_start) {
        rc = x->o.on_start(x->o.ud, x);
        if (rc)
            callback_stopped(x, rc, "start");
    }
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    struct lc_xml *x = ud;
    int rc;
    (void)name;

    if (x->rc || x->depth == 0)
        return;
    if (x->o.on_end) {
        rc = x->o.on_end(x->o.ud, x, x->text.data ? x->text.data : "", x->text.len);
        if (rc) {
            callback_stopped(x, rc, "end");
            return;
        }
    }
    x->path_len = x->offs[--x->depth];
    x->path[x->path_len] = '\0';
    lc_buf_reset(&x->text);
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    struct lc_xml *x = ud;

    if (x->rc || len <= 0)
        return;
    if (lc_buf_append(&x->text, s, (size_t)len) != 0)
        lc_xml_fail(x, LC_E_TOO_LARGE, "text longer than %zu bytes", x->o.max_text);
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                               const XML_Char *pubid, int has_internal_subset)
{
    (void)name;
    (void)sysid;
    (void)pubid;
    (void)has_internal_subset;
    lc_xml_fail(ud, LC_E_PARSE, "DOCTYPE is not allowed");
}

static void XMLCALL on_entity(void *ud, const XML_Char *name, int is_param, const XML_Char *value,
                              int value_len, const XML_Char *base, const XML_Char *sysid,
                              const XML_Char *pubid, const XML_Char *notation)
{
    (void)name;
    (void)is_param;
    (void)value;
    (void)value_len;
    (void)base;
    (void)sysid;
    (void)pubid;
    (void)notation;
    lc_xml_fail(ud, LC_E_PARSE, "entity declarations are not allowed");
}

struct lc_xml *lc_xml_new(const struct lc_xml_opts *opts)
{
    struct lc_xml *x = calloc(1, sizeof(*x));

    if (!x)
        return NULL;
    if (opts)
        x->o = *opts;
    if (!x->o.max_text)
        x->o.max_text = DEFAULT_MAX_TEXT;
    if (!x->o.max_bytes)
        x->o.max_bytes = DEFAULT_MAX_BYTES;
    if (!x->o.max_depth)
        x->o.max_depth = DEFAULT_MAX_DEPTH;
    x->text.max = x->o.max_text;
    x->offs = calloc(x->o.max_depth, sizeof(*x->offs));
    /* No namespace processing: prefixes are stripped from names by hand, so an undeclared
     * prefix is not an error and namespaces never matter. */
    x->p = XML_ParserCreate(NULL);
    if (!x->offs || !x->p) {
        lc_xml_free(x);
        return NULL;
    }
    XML_SetUserData(x->p, x);
    XML_SetElementHandler(x->p, on_start, on_end);
    XML_SetCharacterDataHandler(x->p, on_text);
    XML_SetStartDoctypeDeclHandler(x->p, on_doctype);
    XML_SetEntityDeclHandler(x->p, on_entity);
    XML_SetParamEntityParsing(x->p, XML_PARAM_ENTITY_PARSING_NEVER);
    return x;
}

void lc_xml_free(struct lc_xml *x)
{
    if (!x)
        return;
    if (x->p)
        XML_ParserFree(x->p);
    lc_buf_free(&x->text);
    free(x->offs);
    free(x);
}

/* Expat rejected the input: say what and where. */
static void expat_error(struct lc_xml *x)
{
    enum XML_Error code = XML_GetErrorCode(x->p);
    const char *what = XML_ErrorString(code);

    if (code == XML_ERROR_NO_ELEMENTS && x->depth)
        what = "document ends inside an element (truncated)";
    unsigned long line = (unsigned long)XML_GetCurrentLineNumber(x->p);
    unsigned long col = (unsigned long)XML_GetCurrentColumnNumber(x->p) + 1;
    long byte = (long)XML_GetCurrentByteIndex(x->p);

    x->rc = LC_E_PARSE;
    if (x->depth)
        lc_error_set(&x->err, LC_E_PARSE, "XML: %s at line %lu, column %lu (byte %ld) in %s",
                     what ? what : "error", line, col, byte, x->path);
    else
        lc_error_set(&x->err, LC_E_PARSE, "XML: %s at line %lu, column %lu (byte %ld)",
                     what ? what : "error", line, col, byte);
}

static int report(struct lc_xml *x, struct lc_error *err)
{
    if (err)
        lc_error_set(err, x->err.kind, "%s", x->err.message);
    return x->rc;
}

static int parse(struct lc_xml *x, const char *data, int len, bool final)
{
    if (XML_Parse(x->p, data, len, final ? XML_TRUE : XML_FALSE) == XML_STATUS_ERROR && !x->rc)
        expat_error(x);
    return x->rc;
}

int lc_xml_feed(struct lc_xml *x, const void *data, size_t len, struct lc_error *err)
{
    const char *d = data;

    if (x->rc)
        return report(x, err);
    if (x->finished) {
        x->rc = LC_E_INVALID;
        lc_error_set(&x->err, LC_E_INVALID, "XML: data fed after the end of the document");
        return report(x, err);
    }
    if (len > x->o.max_bytes - x->fed) {
        x->rc = LC_E_TOO_LARGE;
        lc_error_set(&x->err, LC_E_TOO_LARGE, "XML: document larger than %zu bytes",
                     x->o.max_bytes);
        return report(x, err);
    }
    x->fed += len;
    while (len > 0) {
        int n = len > INT_MAX / 2 ? INT_MAX / 2 : (int)len;
        if (parse(x, d, n, false))
            return report(x, err);
        d += n;
        len -= (size_t)n;
    }
    return 0;
}

int lc_xml_finish(struct lc_xml *x, struct lc_error *err)
{
    if (x->rc)
        return report(x, err);
    if (x->finished)
        return 0;
    x->finished = true;
    if (x->fed == 0) {
        x->rc = LC_E_PARSE;
        lc_error_set(&x->err, LC_E_PARSE, "XML: empty document");
        return report(x, err);
    }
    if (parse(x, NULL, 0, true))
        return report(x, err);
    return 0;
}

int lc_xml_parse(const struct lc_xml_opts *opts, const void *data, size_t len, struct lc_error *err)
{
    struct lc_xml *x = lc_xml_new(opts);
    int rc;

    if (!x) {
        if (err)
            lc_error_set(err, LC_E_NOMEM, "XML: out of memory");
        return LC_E_NOMEM;
    }
    rc = lc_xml_feed(x, data, len, err);
    if (!rc)
        rc = lc_xml_finish(x, err);
    lc_xml_free(x);
    return rc;
}
