#include "aws/awsjson.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"

#define ERROR_BODY_MAX (1024 * 1024)
#define MAX_NAME       256

static bool all_space(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            return false;
    return true;
}

/* "at line L, column C (byte B)" for offset off of s. */
static void where(const char *s, size_t off, unsigned long *line, unsigned long *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off; i++) {
        if (s[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static int syntax_error(struct lc_error *err, const char *what, const char *s, size_t off)
{
    unsigned long line, col;

    where(s, off, &line, &col);
    if (err)
        lc_error_set(err, LC_E_PARSE, "JSON: %s at line %lu, column %lu (byte %zu)", what, line,
                     col, off);
    return LC_E_PARSE;
}

int lc_json_parse(const void *body, size_t len, size_t max, cJSON **out, struct lc_error *err)
{
    const char *end = NULL;
    char *copy = NULL;
    cJSON *root = NULL;
    int rc = 0;

    *out = NULL;
    if (!max)
        max = LC_JSON_MAX_DEFAULT;
    if (len > max) {
        if (err)
            lc_error_set(err, LC_E_TOO_LARGE, "JSON: body larger than %zu bytes", max);
        return LC_E_TOO_LARGE;
    }
    if (!body || all_space(body, len)) {
        if (err)
            lc_error_set(err, LC_E_PARSE, "JSON: empty body");
        return LC_E_PARSE;
    }
    /* cJSON would silently cut a string at a raw NUL; JSON has no place for one. */
    if (memchr(body, '\0', len)) {
        const char *nul = memchr(body, '\0', len);
        return syntax_error(err, "NUL byte", body, (size_t)(nul - (const char *)body));
    }
    /* A NUL-terminated copy: cJSON never has to be trusted to stop at len. */
    copy = malloc(len + 1);
    if (!copy) {
        if (err)
            lc_error_set(err, LC_E_NOMEM, "JSON: out of memory");
        return LC_E_NOMEM;
    }
    memcpy(copy, body, len);
    copy[len] = '\0';
    root = cJSON_ParseWithLengthOpts(copy, len, &end, 0);
    if (!root) {
        size_t off = end && end >= copy && end <= copy + len ? (size_t)(end - copy) : 0;
        rc = syntax_error(err, "malformed", copy, off);
        goto out;
    }
    if (end && end >= copy && end <= copy + len && !all_space(end, len - (size_t)(end - copy))) {
        rc = syntax_error(err, "trailing data", copy, (size_t)(end - copy));
        goto out;
    }
    *out = root;
    root = NULL;
out:
    cJSON_Delete(root);
    free(copy);
    return rc;
}

/* ---- paths -------------------------------------------------------------------------------- */

static int fail(struct lc_error *err, enum lc_err_kind kind, const char *path, size_t plen,
                const char *what)
{
    if (err) {
        if (plen)
            lc_error_set(err, kind, "%.*s: %s", (int)plen, path, what);
        else
            lc_error_set(err, kind, "(top level): %s", what);
    }
    return kind;
}

/* Walk path; *out is NULL when something on the way is absent or null. Wrong types on the way
 * are LC_E_PARSE, a malformed path LC_E_INVALID. */
static int resolve(const cJSON *root, const char *path, const cJSON **out, struct lc_error *err)
{
    const cJSON *node = root;
    const char *p = path;

    *out = NULL;
    if (!path)
        return fail(err, LC_E_INVALID, "", 0, "no path");
    while (*p) {
        size_t n = strcspn(p, ".[");
        if (n) {
            char name[MAX_NAME];
            if (n >= sizeof(name))
                return fail(err, LC_E_INVALID, path, strlen(path), "path segment too long");
            if (!node || cJSON_IsNull(node))
                return 0;
            if (!cJSON_IsObject(node))
                return fail(err, LC_E_PARSE, path, (size_t)(p - path) - (p > path ? 1 : 0),
                            "expected an object");
            memcpy(name, p, n);
            name[n] = '\0';
            node = cJSON_GetObjectItemCaseSensitive(node, name);
            p += n;
        }
        while (*p == '[') {
            const char *q = p + 1;
            long idx = 0;
            if (*q < '0' || *q > '9')
                return fail(err, LC_E_INVALID, path, strlen(path), "bad index in path");
            while (*q >= '0' && *q <= '9') {
                idx = idx * 10 + (*q - '0');
                if (idx > INT_MAX)
                    return fail(err, LC_E_INVALID, path, strlen(path), "bad index in path");
                q++;
            }
            if (*q != ']')
                return fail(err, LC_E_INVALID, path, strlen(path), "bad index in path");
            if (!node || cJSON_IsNull(node))
                return 0;
            if (!cJSON_IsArray(node))
                return fail(err, LC_E_PARSE, path, (size_t)(p - path), "expected an array");
            node = cJSON_GetArrayItem(node, (int)idx);
            p = q + 1;
        }
        if (*p == '.' && p[1] && p[1] != '.' && p[1] != '[')
            p++;
        else if (*p)
            return fail(err, LC_E_INVALID, path, strlen(path), "bad path");
    }
    *out = node;
    return 0;
}

const cJSON *lc_json_at(const cJSON *root, const char *path)
{
    const cJSON *node;

    if (resolve(root, path, &node, NULL))
        return NULL;
    return node;
}

/* The node at path if it has one of the types in mask; NULL (rc 0) when optional and absent. */
static int typed(const cJSON *root, const char *path, enum lc_json_need need, int mask,
                 const char *tname, const cJSON **out, struct lc_error *err)
{
    const cJSON *node;
    int rc = resolve(root, path, &node, err);

    *out = NULL;
    if (rc)
        return rc;
    if (!node || cJSON_IsNull(node)) {
        if (need == LC_JSON_REQUIRED)
            return fail(err, LC_E_PARSE, path, strlen(path), "missing");
        return 0;
    }
    if (!((node->type & 0xFF) & mask))
        return fail(err, LC_E_PARSE, path, strlen(path), tname);
    *out = node;
    return 0;
}

int lc_json_string(const cJSON *root, const char *path, enum lc_json_need need, const char **out,
                   struct lc_error *err)
{
    const cJSON *n;
    int rc = typed(root, path, need, cJSON_String, "expected a string", &n, err);

    if (!rc && n)
        *out = n->valuestring ? n->valuestring : "";
    return rc;
}

int lc_json_bool(const cJSON *root, const char *path, enum lc_json_need need, bool *out,
                 struct lc_error *err)
{
    const cJSON *n;
    int rc = typed(root, path, need, cJSON_True | cJSON_False, "expected a boolean", &n, err);

    if (!rc && n)
        *out = cJSON_IsTrue(n);
    return rc;
}

int lc_json_number(const cJSON *root, const char *path, enum lc_json_need need, double *out,
                   struct lc_error *err)
{
    const cJSON *n;
    int rc = typed(root, path, need, cJSON_Number, "expected a number", &n, err);

    if (!rc && n) {
        if (!isfinite(n->valuedouble))
            return fail(err, LC_E_PARSE, path, strlen(path), "number out of range");
        *out = n->valuedouble;
    }
    return rc;
}

int lc_json_int(const cJSON *root, const char *path, enum lc_json_need need, int64_t *out,
                struct lc_error *err)
{
    const cJSON *n;
    int rc = typed(root, path, need, cJSON_Number, "expected an integer", &n, err);
    const double lim = 9007199254740992.0; /* 2^53 */

    if (!rc && n) {
        double v = n->valuedouble;
        if (!isfinite(v) || v != floor(v) || v > lim || v < -lim)
            return fail(err, LC_E_PARSE, path, strlen(path), "expected an integer");
        *out = (int64_t)v;
    }
    return rc;
}

int lc_json_time(const cJSON *root, const char *path, enum lc_json_need need, time_t *out,
                 struct lc_error *err)
{
    const cJSON *n;
    int rc = typed(root, path, need, cJSON_Number | cJSON_String, "expected a timestamp", &n, err);
    const double max = 253402300799.0; /* 9999-12-31T23:59:59Z */
    time_t t;

    if (rc || !n)
        return rc;
    if (cJSON_IsNumber(n)) {
        double v = n->valuedouble;
        if (!isfinite(v) || v < 0 || v > max)
            return fail(err, LC_E_PARSE, path, strlen(path), "timestamp out of range");
        *out = (time_t)floor(v);
        return 0;
    }
    if (!n->valuestring || lc_time_parse_iso8601(n->valuestring, &t) || t < 0)
        return fail(err, LC_E_PARSE, path, strlen(path), "expected a timestamp");
    *out = t;
    return 0;
}

int lc_json_array(const cJSON *root, const char *path, enum lc_json_need need, const cJSON **out,
                  struct lc_error *err)
{
    const cJSON *n;
    int rc = typed(root, path, need, cJSON_Array, "expected an array", &n, err);

    if (!rc && n)
        *out = n;
    return rc;
}

int lc_json_object(const cJSON *root, const char *path, enum lc_json_need need, const cJSON **out,
                   struct lc_error *err)
{
    const cJSON *n;
    int rc = typed(root, path, need, cJSON_Object, "expected an object", &n, err);

    if (!rc && n)
        *out = n;
    return rc;
}

/* ---- error bodies ------------------------------------------------------------------------- */

/* "ns#Code:detail" -> "Code" into code. */
static void set_code(char *code, size_t size, const char *s, size_t len)
{
    const char *hash = memrchr(s, '#', len);
    const char *colon;

    if (hash) {
        len -= (size_t)(hash + 1 - s);
        s = hash + 1;
    }
    colon = memchr(s, ':', len);
    if (colon)
        len = (size_t)(colon - s);
    if (len >= size)
        len = size - 1;
    memcpy(code, s, len);
    code[len] = '\0';
}

int lc_awsjson_error(const void *body, size_t len, const struct lc_kvlist *headers,
                     struct lc_error *err)
{
    const char *query = lc_kv_get(headers, "x-amzn-query-error");
    const char *rid = lc_kv_get(headers, "x-amzn-RequestId");
    const char *etype = lc_kv_get(headers, "x-amzn-ErrorType");
    cJSON *root = NULL;

    err->kind = LC_E_AWS;
    err->code[0] = '\0';
    if (rid && rid[0])
        lc_strlcpy_utf8(err->request_id, rid, sizeof(err->request_id));
    /* awsQueryCompatible services: "Code;Sender". */
    if (query) {
        const char *semi = strchr(query, ';');
        if (semi && semi > query && !strchr(semi + 1, ';'))
            set_code(err->code, sizeof(err->code), query, (size_t)(semi - query));
    }
    if (body && len && lc_json_parse(body, len, ERROR_BODY_MAX, &root, NULL) == 0 &&
        cJSON_IsObject(root)) {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "__type");
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(root, "message");
        if (!cJSON_IsString(msg))
            msg = cJSON_GetObjectItemCaseSensitive(root, "Message");
        if (!err->code[0] && cJSON_IsString(type) && type->valuestring)
            set_code(err->code, sizeof(err->code), type->valuestring, strlen(type->valuestring));
        if (cJSON_IsString(msg) && msg->valuestring)
            lc_strlcpy_utf8(err->message, msg->valuestring, sizeof(err->message));
    }
    cJSON_Delete(root);
    if (!err->code[0] && etype)
        set_code(err->code, sizeof(err->code), etype, strlen(etype));
    lc_error_classify(err);
    return err->code[0] ? 0 : LC_E_PARSE;
}
