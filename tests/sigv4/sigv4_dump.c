/* sigv4_dump: sign request specs read from stdin and print what the signer computed.
 *
 * Input, one JSON object per line:
 *   {"id": "...", "flavor": "s3"|"generic", "method": "GET",
 *    "path": "/encoded/path"  or  "path_prefix": "/bucket/", "key": "decoded key",
 *    "query": [["name", "decoded value"], ...], "headers": [["Name", "value"], ...],
 *    "body": "text"  or  "body_b64": "...", "payload_hash": null | "UNSIGNED-PAYLOAD",
 *    "region": "us-east-1", "service": "s3", "time": <epoch seconds>,
 *    "creds": {"access_key_id": "...", "secret_access_key": "...", "session_token": null}}
 * Output, one JSON object per input line:
 *   {"id", "path", "query_string", "canonical_request", "string_to_sign", "signature",
 *    "headers": [[name, value], ...]}  or  {"id", "error"}.
 * With "key", the path is path_prefix + the key encoded by lc_uri_encode (as an S3 key is put
 * on the wire), so the URL construction is compared too. Used by botocore_diff.py. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/kv.h"
#include "aws/sigv4.h"

struct spec {
    struct lc_kvlist query;
    struct lc_kvlist headers;
    struct lc_buf path;
    struct lc_buf body;
    struct lc_creds creds;
    struct lc_sigv4_req req;
};

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

static int b64_decode(const char *in, struct lc_buf *out)
{
    unsigned int acc = 0;
    int bits = 0;
    int rc = 0;

    for (const char *p = in; *p && *p != '='; p++) {
        int v = b64_value((unsigned char)*p);
        if (v < 0)
            return LC_E_PARSE;
        acc = (acc << 6) | (unsigned int)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            rc = lc_buf_putc(out, (char)((acc >> bits) & 0xff));
            if (rc)
                return rc;
        }
    }
    return 0;
}

static const char *str_field(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int pairs_field(const cJSON *o, const char *name, struct lc_kvlist *out)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, name);
    const cJSON *pair;

    if (!arr || cJSON_IsNull(arr))
        return 0;
    if (!cJSON_IsArray(arr))
        return LC_E_PARSE;
    cJSON_ArrayForEach(pair, arr)
    {
        const cJSON *n = cJSON_GetArrayItem(pair, 0);
        const cJSON *v = cJSON_GetArrayItem(pair, 1);
        if (!cJSON_IsString(n) || !cJSON_IsString(v))
            return LC_E_PARSE;
        if (lc_kv_add(out, n->valuestring, v->valuestring))
            return LC_E_NOMEM;
    }
    return 0;
}

static int parse_spec(const cJSON *o, struct spec *s)
{
    const cJSON *creds = cJSON_GetObjectItemCaseSensitive(o, "creds");
    const cJSON *when = cJSON_GetObjectItemCaseSensitive(o, "time");
    const char *flavor = str_field(o, "flavor");
    const char *key = str_field(o, "key");
    const char *body = str_field(o, "body");
    const char *body_b64 = str_field(o, "body_b64");
    int rc = 0;

    if (!flavor || !cJSON_IsNumber(when) || !cJSON_IsObject(creds))
        return LC_E_PARSE;
    if (key) {
        const char *prefix = str_field(o, "path_prefix");
        rc = lc_buf_append(&s->path, prefix ? prefix : "/", strlen(prefix ? prefix : "/"));
        if (!rc)
            rc = lc_uri_encode(&s->path, key, strlen(key), true);
    } else if (str_field(o, "path")) {
        rc = lc_buf_append(&s->path, str_field(o, "path"), strlen(str_field(o, "path")));
    }
    if (rc)
        return rc;
    if (body_b64)
        rc = b64_decode(body_b64, &s->body);
    else if (body)
        rc = lc_buf_append(&s->body, body, strlen(body));
    if (!rc)
        rc = pairs_field(o, "query", &s->query);
    if (!rc)
        rc = pairs_field(o, "headers", &s->headers);
    if (rc)
        return rc;

    /* the creds point into the JSON document, which outlives the signing */
    s->creds.access_key_id = (char *)str_field(creds, "access_key_id");
    s->creds.secret_access_key = (char *)str_field(creds, "secret_access_key");
    s->creds.session_token = (char *)str_field(creds, "session_token");

    s->req.method = str_field(o, "method");
    s->req.path = s->path.data ? s->path.data : "";
    s->req.query = &s->query;
    s->req.headers = &s->headers;
    s->req.body = s->body.data;
    s->req.body_len = s->body.len;
    s->req.payload_hash = str_field(o, "payload_hash");
    s->req.region = str_field(o, "region");
    s->req.service = str_field(o, "service");
    s->req.flavor = strcmp(flavor, "s3") == 0 ? LC_SIGV4_S3 : LC_SIGV4_GENERIC;
    s->req.when = (time_t)when->valuedouble;
    return 0;
}

static cJSON *result_json(const struct spec *s, const struct lc_sigv4_trace *t,
                          const char *query_string)
{
    cJSON *out = cJSON_CreateObject();
    cJSON *hdrs = cJSON_CreateArray();

    if (!out || !hdrs) {
        cJSON_Delete(out);
        cJSON_Delete(hdrs);
        return NULL;
    }
    cJSON_AddStringToObject(out, "path", s->req.path);
    cJSON_AddStringToObject(out, "query_string", query_string);
    cJSON_AddStringToObject(out, "canonical_request", t->canonical_request);
    cJSON_AddStringToObject(out, "string_to_sign", t->string_to_sign);
    cJSON_AddStringToObject(out, "signature", t->signature);
    for (size_t i = 0; i < s->headers.n; i++) {
        const char *pair[2] = {s->headers.items[i].name, s->headers.items[i].value};
        cJSON_AddItemToArray(hdrs, cJSON_CreateStringArray(pair, 2));
    }
    cJSON_AddItemToObject(out, "headers", hdrs);
    return out;
}

/* Sign one spec line and print one result line. 0, or an error already reported. */
static int dump_one(const char *line, size_t len)
{
    struct spec s;
    struct lc_sigv4_trace trace = {0};
    struct lc_buf qs = {0};
    cJSON *in = cJSON_ParseWithLength(line, len);
    cJSON *out = NULL;
    const char *id = NULL;
    char *text = NULL;
    int rc = 0;

    memset(&s, 0, sizeof(s));
    if (!in) {
        rc = LC_E_PARSE;
        goto out;
    }
    id = str_field(in, "id");
    rc = parse_spec(in, &s);
    if (!rc)
        rc = lc_sigv4_sign(&s.req, &s.creds, &trace);
    if (!rc)
        rc = lc_sigv4_query_string(&s.query, &qs);
    if (rc)
        goto out;
    out = result_json(&s, &trace, qs.data ? qs.data : "");
    if (!out)
        rc = LC_E_NOMEM;
out:
    if (rc) {
        cJSON_Delete(out);
        out = cJSON_CreateObject();
        if (out)
            cJSON_AddStringToObject(out, "error", lc_err_kind_name(rc));
    }
    if (out) {
        cJSON_AddStringToObject(out, "id", id ? id : "");
        text = cJSON_PrintUnformatted(out);
    }
    if (text)
        printf("%s\n", text);
    else
        rc = LC_E_NOMEM;
    cJSON_free(text);
    cJSON_Delete(out);
    cJSON_Delete(in);
    lc_sigv4_trace_free(&trace);
    lc_buf_free(&qs);
    lc_buf_free(&s.path);
    lc_buf_free(&s.body);
    lc_kv_free(&s.query);
    lc_kv_free(&s.headers);
    return rc;
}

int main(void)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int failed = 0;

    for (;;) {
        n = getline(&line, &cap, stdin);
        if (n < 0)
            break;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        if (n == 0)
            continue;
        if (dump_one(line, (size_t)n))
            failed = 1;
    }
    free(line);
    return failed;
}
