/* JSON 1.0/1.1 (KMS and the services' control planes) on top of cJSON: size-capped parsing, error
 * bodies, and typed getters whose errors name the field ("KeyMetadata.KeyState: expected a
 * string").
 *
 * Paths are member names joined with '.', with [N] for array elements:
 *     "KeyMetadata.KeyState", "Aliases[0].AliasName", "KeyMetadata.EncryptionAlgorithms[1]". */
#ifndef LC_AWSJSON_H
#define LC_AWSJSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "core/error.h"
#include "core/kv.h"

#define LC_JSON_MAX_DEFAULT (4 * 1024 * 1024)

/* Parse a whole body of at most max bytes (0 = LC_JSON_MAX_DEFAULT) into *out (free with
 * cJSON_Delete). LC_E_TOO_LARGE over the cap; LC_E_PARSE (with line:column and byte offset)
 * for empty or malformed JSON or trailing garbage. */
int lc_json_parse(const void *body, size_t len, size_t max, cJSON **out, struct lc_error *err);

/* A JSON 1.1 error response: code from the x-amzn-query-error header ("Code;Sender"), else the
 * body's "__type" (the part after '#' and before ':'), else the x-amzn-ErrorType header; message
 * from "message" or "Message"; request id from x-amzn-RequestId. Sets err->kind = LC_E_AWS and
 * classifies; status and service are the caller's. Returns 0 when a code was found, LC_E_PARSE
 * otherwise (err then has no code and the caller goes by the status). headers may be NULL. */
int lc_awsjson_error(const void *body, size_t len, const struct lc_kvlist *headers,
                     struct lc_error *err);

/* The node at path, or NULL (missing, or an intermediate of the wrong type). */
const cJSON *lc_json_at(const cJSON *root, const char *path);

/* Typed getters. A field that is absent or null is LC_E_PARSE "<path>: missing" when
 * LC_JSON_REQUIRED, else 0 with *out untouched (so it keeps the caller's default). A field of the
 * wrong type is always LC_E_PARSE "<path>: expected a <type>". err may be NULL. */
enum lc_json_need { LC_JSON_OPTIONAL = 0, LC_JSON_REQUIRED = 1 };

int lc_json_string(const cJSON *root, const char *path, enum lc_json_need need, const char **out,
                   struct lc_error *err);
int lc_json_bool(const cJSON *root, const char *path, enum lc_json_need need, bool *out,
                 struct lc_error *err);
int lc_json_number(const cJSON *root, const char *path, enum lc_json_need need, double *out,
                   struct lc_error *err);
/* An integral number within +-2^53. */
int lc_json_int(const cJSON *root, const char *path, enum lc_json_need need, int64_t *out,
                struct lc_error *err);
/* Epoch seconds as JSON 1.1 sends them (a number, maybe fractional: the fraction is dropped),
 * or an ISO-8601 string. Years 1970-9999. */
int lc_json_time(const cJSON *root, const char *path, enum lc_json_need need, time_t *out,
                 struct lc_error *err);
/* An array or an object node. */
int lc_json_array(const cJSON *root, const char *path, enum lc_json_need need, const cJSON **out,
                  struct lc_error *err);
int lc_json_object(const cJSON *root, const char *path, enum lc_json_need need, const cJSON **out,
                   struct lc_error *err);

#endif
