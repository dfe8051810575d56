/* The services table. See services.h.
 *
 * The rows are written once, as the lists below; the table and the NULL-terminated list of
 * aws.endpoints keys are both expanded from them, so the two can never disagree. The columns:
 * name, protocol, content type, JSON target prefix, Query API version, place in the metrics. */
#include "aws/services.h"

#include <string.h>

#define JSON_1_0 "application/x-amz-json-1.0"
#define JSON_1_1 "application/x-amz-json-1.1"
#define FORM     "application/x-www-form-urlencoded; charset=utf-8"

/* The services logcanary calls, reports in its metrics and lets aws.endpoints point elsewhere,
 * in documentation order. */
#define ENDPOINT_SERVICES(X)                                                                       \
    X("s3", LC_AWS_REST_XML, NULL, NULL, NULL, 1)                                                  \
    X("sts", LC_AWS_QUERY, FORM, NULL, "2011-06-15", 3)                                            \
    X("kms", LC_AWS_JSON, JSON_1_1, "TrentService", NULL, 2)                                       \
    X("ec2", LC_AWS_QUERY, FORM, NULL, "2016-11-15", 4)                                            \
    X("config", LC_AWS_JSON, JSON_1_1, "StarlingDoveService", NULL, 5)                             \
    X("cloudtrail", LC_AWS_JSON, JSON_1_1,                                                         \
      "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101", NULL, 6)                           \
    X("logs", LC_AWS_JSON, JSON_1_1, "Logs_20140328", NULL, 7)                                     \
    X("organizations", LC_AWS_JSON, JSON_1_1, "AWSOrganizationsV20161128", NULL, 8)                \
    X("iam", LC_AWS_QUERY, FORM, NULL, "2010-05-08", 9)                                            \
    X("wafv2", LC_AWS_JSON, JSON_1_1, "AWSWAF_20190729", NULL, 10)                                 \
    X("controltower", LC_AWS_REST_JSON, NULL, NULL, NULL, 11)

/* Services the next features call: rows only, no endpoint key or metrics yet.
 * elasticloadbalancing is the Application/Network Load Balancer API (version 2015-12-01). */
#define NEXT_SERVICES(X)                                                                           \
    X("network-firewall", LC_AWS_JSON, JSON_1_0, "NetworkFirewall_20201112", NULL, 0)              \
    X("route53resolver", LC_AWS_JSON, JSON_1_1, "Route53Resolver", NULL, 0)                        \
    X("elasticloadbalancing", LC_AWS_QUERY, FORM, NULL, "2015-12-01", 0)                           \
    X("guardduty", LC_AWS_REST_JSON, NULL, NULL, NULL, 0)

#define ROW(name, protocol, content_type, target_prefix, api_version, metrics_place)               \
    {name, protocol, content_type, target_prefix, api_version, metrics_place},
#define NAME(name, protocol, content_type, target_prefix, api_version, metrics_place) name,

static const struct lc_aws_service services[] = {ENDPOINT_SERVICES(ROW) NEXT_SERVICES(ROW)};
const char *const lc_aws_endpoint_names[] = {ENDPOINT_SERVICES(NAME) NULL};

const struct lc_aws_service *lc_aws_service_find(const char *name)
{
    for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++)
        if (strcmp(services[i].name, name) == 0)
            return &services[i];
    return NULL;
}

const struct lc_aws_service *lc_aws_service_at(size_t i)
{
    return i < sizeof(services) / sizeof(services[0]) ? &services[i] : NULL;
}

const char *const *lc_aws_endpoint_services(void)
{
    return lc_aws_endpoint_names;
}
