/* JSON 1.0/1.1 (KMS, ...) and Query (EC2, STS, ...) calls over lc_aws_send.
 * Target prefixes, API versions and content types come from the services table
 * (aws/services.h). */
#ifndef LC_AWSCALL_H
#define LC_AWSCALL_H

#include <cjson/cJSON.h>

#include "aws/aws.h"

struct lc_awsxml;

/* result: the parsed JSON body on success (owned by the caller of the callback? no: freed after
 * the callback returns), NULL on error; resp->err says what went wrong (AWS error code parsed
 * from "__type", transport error, or LC_E_PARSE for a malformed body). */
typedef void (*lc_awsjson_cb)(void *ud, const cJSON *result, const struct lc_aws_resp *resp);
/* doc: the flattened XML response on success (freed after the callback), NULL on error. */
typedef void (*lc_awsquery_cb)(void *ud, const struct lc_awsxml *doc,
                               const struct lc_aws_resp *resp);

/* service: a JSON 1.0 or 1.1 service of the table ("kms", ...);
 * operation: "DescribeKey", ...; input may be NULL ("{}" is sent). creds NULL = unsigned. */
int lc_aws_json_call(struct lc_aws *aws, struct lc_credprov *creds, const char *service,
                     const char *region, const char *operation, const cJSON *input,
                     lc_awsjson_cb cb, void *ud, struct lc_error *err);
/* service: a REST-JSON service of the table ("controltower", ...); method and path are the
 * operation's ("POST", "/list-landingzones"); input is the JSON body (NULL: none). The answer
 * is the JSON body, as for lc_aws_json_call. */
int lc_aws_rest_json_call(struct lc_aws *aws, struct lc_credprov *creds, const char *service,
                          const char *region, const char *method, const char *path,
                          const cJSON *input, lc_awsjson_cb cb, void *ud, struct lc_error *err);
/* service: a Query service of the table ("ec2", "sts", ...); params: decoded form fields
 * without Action/Version (added here). */
int lc_aws_query_call(struct lc_aws *aws, struct lc_credprov *creds, const char *service,
                      const char *region, const char *action, const struct lc_kvlist *params,
                      lc_awsquery_cb cb, void *ud, struct lc_error *err);

#endif
