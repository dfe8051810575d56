/* Helpers shared by the credential providers. See util.h. */
#include "aws/creds/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#define TOKEN_MAX ((size_t)16 << 10) /* web identity / container token file */

int lc_creds_fail(struct lc_error *err, enum lc_err_kind kind, const char *fmt, ...)
{
    char msg[sizeof(err->message)];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    lc_error_clear(err);
    lc_error_set(err, kind, "%s", msg);
    return kind;
}

int lc_creds_nomem(struct lc_error *err)
{
    return lc_creds_fail(err, LC_E_NOMEM, "out of memory");
}

void lc_creds_join(char *dst, size_t size, const char *a, const char *b)
{
    char tmp[1024];
    size_t n = strnlen(a, sizeof(tmp) - 3);

    memcpy(tmp, a, n);
    memcpy(tmp + n, ": ", 2);
    lc_strlcpy(tmp + n + 2, b, sizeof(tmp) - n - 2);
    lc_strlcpy(dst, tmp, size);
}

void lc_creds_err_prefix(struct lc_error *err, const char *prefix)
{
    lc_creds_join(err->message, sizeof(err->message), prefix, err->message);
}

void lc_creds_free_secret(char *s)
{
    if (!s)
        return;
    OPENSSL_cleanse(s, strlen(s));
    free(s);
}

void lc_creds_buf_wipe_free(struct lc_buf *b)
{
    if (b->data)
        OPENSSL_cleanse(b->data, b->cap);
    lc_buf_free(b);
}

void lc_creds_kv_wipe_free(struct lc_kvlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        OPENSSL_cleanse(l->items[i].value, strlen(l->items[i].value));
    lc_kv_free(l);
}

const char *lc_creds_env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

bool lc_creds_env_true(const char *name)
{
    const char *v = lc_creds_env(name);
    return v && strcasecmp(v, "true") == 0;
}

int lc_creds_dup(char **dst, const char *src)
{
    *dst = NULL;
    if (!src)
        return 0;
    *dst = strdup(src);
    return *dst ? 0 : LC_E_NOMEM;
}

const char *lc_creds_key_tail(const char *akid)
{
    size_t n = akid ? strlen(akid) : 0;
    return n > 4 ? akid + n - 4 : "";
}

bool lc_creds_has_crlf(const char *s, size_t len)
{
    return memchr(s, '\r', len) || memchr(s, '\n', len);
}

char *lc_creds_trim(char *s, char *e)
{
    while (s < e && isspace((unsigned char)*s))
        s++;
    while (e > s && isspace((unsigned char)e[-1]))
        e--;
    *e = '\0';
    return s;
}

char *lc_creds_expand_home(const char *path)
{
    struct lc_buf b = {0};
    const char *home = lc_creds_env("HOME");

    if (path[0] != '~' || (path[1] && path[1] != '/'))
        return strdup(path);
    if (!home || lc_buf_appendf(&b, "%s%s", home, path + 1)) {
        lc_buf_free(&b);
        return NULL;
    }
    return lc_buf_steal(&b);
}

int lc_creds_read_file(const char *path, size_t max, struct lc_buf *out)
{
    struct lc_error err;

    lc_error_clear(&err);
    out->max = max;
    if (lc_buf_read_file(out, path, &err) == 0)
        return 0;
    int e = errno;
    lc_creds_buf_wipe_free(out);
    errno = e;
    return -1;
}

int lc_creds_read_token(const char *path, const char *what, char **out, struct lc_error *err)
{
    struct lc_buf b = {0};

    *out = NULL;
    if (lc_creds_read_file(path, TOKEN_MAX, &b) != 0)
        return lc_creds_fail(err, LC_E_CREDENTIALS, "cannot read %s %s: %s", what, path,
                             errno == EFBIG ? "file too large" : strerror(errno));
    while (b.len && isspace((unsigned char)b.data[b.len - 1]))
        b.data[--b.len] = '\0';
    if (b.len == 0 || strlen(b.data) != b.len || lc_creds_has_crlf(b.data, b.len)) {
        bool empty = b.len == 0;
        lc_creds_buf_wipe_free(&b);
        return lc_creds_fail(err, LC_E_CREDENTIALS, "%s %s %s", what, path,
                             empty ? "is empty" : "contains a line break or NUL byte");
    }
    *out = lc_buf_steal(&b);
    return 0;
}
