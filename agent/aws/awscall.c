/* JSON 1.0/1.1 and Query protocol calls. The protocol facts (target prefixes, API versions,
 * content types) come from the services table (services.c) and nowhere else. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/awscall.h"
#include "aws/awsjson.h"
#include "aws/awsxml.h"
#include "aws/services.h"

#define JSON_MAX_BODY  (4u << 20) /* key policies are <= 32 KiB; status answers are small */
#define QUERY_MAX_BODY (8u << 20)

struct json_call {
    lc_awsjson_cb cb;
    void *ud;
};

static void json_done(void *ud, const struct lc_aws_resp *resp)
{
    struct json_call *jc = ud;
    cJSON *doc = NULL;

    if (resp->err.kind == LC_OK) {
        struct lc_aws_resp r = *resp;
        if (lc_json_parse(resp->body->data, resp->body->len, JSON_MAX_BODY, &doc, &r.err) != 0 ||
            !cJSON_IsObject(doc)) {
            if (r.err.kind == LC_OK)
                lc_error_set(&r.err, LC_E_PARSE, "response body is not a JSON object");
            jc->cb(jc->ud, NULL, &r);
        } else {
            jc->cb(jc->ud, doc, resp);
        }
    } else {
        jc->cb(jc->ud, NULL, resp);
    }
    cJSON_Delete(doc);
    free(jc);
}

/* Send req with body (freed here) and answer cb with the parsed JSON. */
static int send_json(struct lc_aws *aws, struct lc_aws_req *req, char *body, lc_awsjson_cb cb,
                     void *ud, struct lc_error *err)
{
    struct json_call *jc = calloc(1, sizeof(*jc));
    int rc;

    if (!jc) {
        cJSON_free(body);
        lc_error_set(err, LC_E_NOMEM, "out of memory building a %s request", req->service);
        return LC_E_NOMEM;
    }
    jc->cb = cb;
    jc->ud = ud;
    req->body = body;
    req->body_len = body ? strlen(body) : 0;
    req->max_body = JSON_MAX_BODY;
    req->on_done = json_done;
    req->ud = jc;
    rc = lc_aws_send(aws, req, err);
    if (rc)
        free(jc);
    cJSON_free(body);
    return rc;
}

int lc_aws_json_call(struct lc_aws *aws, struct lc_credprov *creds, const char *service,
                     const char *region, const char *operation, const cJSON *input,
                     lc_awsjson_cb cb, void *ud, struct lc_error *err)
{
    const struct lc_aws_service *svc = lc_aws_service_find(service);
    struct lc_kvlist headers = {0};
    char *body;
    char target[160];
    int rc;

    if (!svc || svc->protocol != LC_AWS_JSON) {
        lc_error_set(err, LC_E_INVALID, "%s is not a JSON 1.0 or 1.1 service", service);
        return LC_E_INVALID;
    }
    snprintf(target, sizeof(target), "%s.%s", svc->target_prefix, operation);
    body = input ? cJSON_PrintUnformatted(input) : strdup("{}");
    rc = body ? lc_kv_add(&headers, "Content-Type", svc->content_type) : LC_E_NOMEM;
    if (!rc)
        rc = lc_kv_add(&headers, "X-Amz-Target", target);
    if (rc) {
        cJSON_free(body);
        lc_kv_free(&headers);
        lc_error_set(err, LC_E_NOMEM, "out of memory building %s", target);
        return LC_E_NOMEM;
    }
    struct lc_aws_req req = {.service = service,
                             .region = region,
                             .method = "POST",
                             .headers = &headers,
                             .creds = creds};
    rc = send_json(aws, &req, body, cb, ud, err);
    lc_kv_free(&headers);
    return rc;
}

int lc_aws_rest_json_call(struct lc_aws *aws, struct lc_credprov *creds, const char *service,
                          const char *region, const char *method, const char *path,
                          const cJSON *input, lc_awsjson_cb cb, void *ud, struct lc_error *err)
{
    const struct lc_aws_service *svc = lc_aws_service_find(service);
    struct lc_kvlist headers = {0};
    char *body = NULL;
    int rc = 0;

    if (!svc || svc->protocol != LC_AWS_REST_JSON || !path || path[0] != '/') {
        lc_error_set(err, LC_E_INVALID, "%s is not a REST-JSON service, or %s is not a path",
                     service, path ? path : "(null)");
        return LC_E_INVALID;
    }
    if (input) {
        body = cJSON_PrintUnformatted(input);
        rc = body ? lc_kv_add(&headers, "Content-Type", "application/json") : LC_E_NOMEM;
    }
    if (rc) {
        cJSON_free(body);
        lc_kv_free(&headers);
        lc_error_set(err, LC_E_NOMEM, "out of memory building %s %s", method, path);
        return LC_E_NOMEM;
    }
    struct lc_aws_req req = {.service = service,
                             .region = region,
                             .method = method,
                             .key = path + 1, /* the path after its '/' */
                             .headers = &headers,
                             .creds = creds};
    rc = send_json(aws, &req, body, cb, ud, err);
    lc_kv_free(&headers);
    return rc;
}

struct query_call {
    lc_awsquery_cb cb;
    void *ud;
};

static void query_done(void *ud, const struct lc_aws_resp *resp)
{
    struct query_call *qc = ud;
    struct lc_awsxml *doc = NULL;

    if (resp->err.kind == LC_OK) {
        struct lc_aws_resp r = *resp;
        struct lc_awsxml_opts o = {.max_bytes = QUERY_MAX_BODY};
        if (lc_awsxml_parse(resp->body->data, resp->body->len, &o, &doc, &r.err) != 0) {
            qc->cb(qc->ud, NULL, &r);
        } else {
            qc->cb(qc->ud, doc, resp);
        }
    } else {
        qc->cb(qc->ud, NULL, resp);
    }
    lc_awsxml_free(doc);
    free(qc);
}

/* application/x-www-form-urlencoded with SigV4's encoding (every reserved byte escaped). */
static int form_field(struct lc_buf *b, const char *name, const char *value)
{
    int rc = 0;
    if (b->len)
        rc = lc_buf_putc(b, '&');
    if (!rc)
        rc = lc_uri_encode(b, name, strlen(name), false);
    if (!rc)
        rc = lc_buf_putc(b, '=');
    if (!rc)
        rc = lc_uri_encode(b, value, strlen(value), false);
    return rc;
}

int lc_aws_query_call(struct lc_aws *aws, struct lc_credprov *creds, const char *service,
                      const char *region, const char *action, const struct lc_kvlist *params,
                      lc_awsquery_cb cb, void *ud, struct lc_error *err)
{
    const struct lc_aws_service *svc = lc_aws_service_find(service);
    struct lc_kvlist headers = {0};
    struct lc_buf body = {0};
    struct query_call *qc = NULL;
    int rc;

    if (!svc || svc->protocol != LC_AWS_QUERY) {
        lc_error_set(err, LC_E_INVALID, "%s is not a Query service", service);
        return LC_E_INVALID;
    }
    rc = form_field(&body, "Action", action);
    if (!rc)
        rc = form_field(&body, "Version", svc->api_version);
    for (size_t i = 0; !rc && params && i < params->n; i++)
        rc = form_field(&body, params->items[i].name, params->items[i].value);
    if (!rc)
        rc = lc_kv_add(&headers, "Content-Type", svc->content_type);
    qc = calloc(1, sizeof(*qc));
    if (rc || !qc) {
        rc = LC_E_NOMEM;
        lc_error_set(err, rc, "out of memory building %s %s", service, action);
        goto out;
    }
    qc->cb = cb;
    qc->ud = ud;
    struct lc_aws_req req = {
        .service = service,
        .region = region,
        .method = "POST",
        .headers = &headers,
        .body = body.data,
        .body_len = body.len,
        .max_body = QUERY_MAX_BODY,
        .creds = creds,
        .on_done = query_done,
        .ud = qc,
    };
    rc = lc_aws_send(aws, &req, err);
    if (!rc)
        qc = NULL;
out:
    free(qc);
    lc_buf_free(&body);
    lc_kv_free(&headers);
    return rc;
}
