/* The AWS services logcanary knows, in one table: each one's name and protocol and what the
 * protocol needs. Every other place (the protocol calls, error parsing, the per-service
 * metrics, the keys of aws.endpoints) looks services up here instead of listing them.
 *
 * The protocols:
 * - REST-XML (S3): the resource in the path, XML bodies and errors.
 * - REST-JSON: the resource in the path, JSON bodies and errors.
 * - JSON 1.0 and 1.1: POST "/" with X-Amz-Target "<target prefix>.<Operation>" and a JSON body;
 *   the two differ only in their Content-Type. Errors are JSON.
 * - Query: POST "/" with a form of Action, Version and the parameters; XML responses and errors
 *   (EC2 speaks its own dialect of it, which the same code handles). */
#ifndef LC_SERVICES_H
#define LC_SERVICES_H

#include <stddef.h>

enum lc_aws_protocol { LC_AWS_REST_XML, LC_AWS_REST_JSON, LC_AWS_JSON, LC_AWS_QUERY };

struct lc_aws_service {
    const char *name; /* signing name and endpoint prefix (they are the same for every service
                       * here); the key of aws.endpoints */
    enum lc_aws_protocol protocol;
    const char *content_type;  /* JSON and Query: of the request body; NULL for REST */
    const char *target_prefix; /* JSON: X-Amz-Target is "<target_prefix>.<Operation>" */
    const char *api_version;   /* Query: the Version field */
    int metrics_place;         /* place in the per-service metrics, from 1; 0 = not reported */
};

/* The row for a name, NULL when the service is not in the table. */
const struct lc_aws_service *lc_aws_service_find(const char *name);
/* Row i, NULL past the end. The order is stable: the keys of aws.endpoints first, in the order
 * lc_aws_endpoint_services gives them, then the services not called yet. */
const struct lc_aws_service *lc_aws_service_at(size_t i);
/* The keys aws.endpoints accepts, NULL-terminated, in documentation order. */
const char *const *lc_aws_endpoint_services(void);
extern const char *const lc_aws_endpoint_names[]; /* the same list, for static tables */

#endif
