/* logcanary's configuration: a JSON file loaded with cJSON into the structs below.
 *
 * Parsing, defaults, validation and the key reference in config/README.md come from one table
 * per struct (a "config map", map.h: key, type, default, offset, help), so adding an option
 * touches one entry. A log source's and a webhook's own keys are declared by their modules. Errors
 * name the JSON path and what was expected: targets[0].sources[1].max_age: expected a duration like
 * "30m" String values may reference the environment as "${NAME}" (whole value or embedded); an
 * unset variable is an error naming the path and the variable. */
#ifndef LC_CONFIG_H
#define LC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"
#include "core/kv.h"

struct lc_probe;
struct lc_sink;

struct lc_source_cfg {
    const struct lc_probe *probe; /* "type": the log source's module (probes/) */
    void *options;                /* its own keys, read by its table (NULL when it has none) */
    char **accounts;              /* "accounts": 12-digit account ids (required, >= 1) ... */
    size_t n_accounts;
    char *accounts_from;     /* ... or "organization": the organization's accounts (then NULL
                              * accounts) */
    char **exclude_accounts; /* "exclude_accounts" (with "organization") */
    size_t n_exclude_accounts;
    char **include_ous; /* "include_ous": only the accounts below these (with "organization") */
    size_t n_include_ous;
    char **exclude_ous; /* "exclude_ous": not the accounts below these */
    size_t n_exclude_ous;
    char **regions; /* "regions": region names (required, >= 1) ... */
    size_t n_regions;
    char *regions_from;  /* ... or "governed": the Control Tower landing zone's governed
                          * regions */
    int64_t max_age_s;   /* "max_age": newest delivery must be younger (default per type) */
    int64_t interval_s;  /* "interval": run-mode period (0 = derived from max_age) */
    char *prefix;        /* "prefix": bucket folder before AWSLogs/, without leading or
                          * trailing '/' (NULL = target's, "" = bucket root) */
    size_t sample_bytes; /* "sample_bytes": range read size (default 65536, max 8 MiB) */
    bool sample;         /* "sample": read and validate content (default true) */
    /* diagnosis (optional): role to assume in the source account to read delivery status,
     * "{account}" replaced by the account id */
    char *status_role_arn; /* "status_role_arn" */
};

struct lc_target_cfg {
    char *name;          /* "name": unique among targets (required) */
    char *bucket;        /* "bucket" (required) */
    char *region;        /* "region": the bucket's region (NULL = aws.region) */
    char *prefix;        /* "prefix": bucket folder before AWSLogs/, e.g. Control Tower's o-id;
                          * no leading or trailing '/' (NULL = bucket root, never "") */
    char *role_arn;      /* "role_arn": assumed for every call on this target */
    char *external_id;   /* "external_id" */
    char *kms_key_arn;   /* "kms_key_arn": the key deliveries must use (NULL = bucket default) */
    bool canary;         /* "canary.enabled" (default true) */
    char *canary_prefix; /* "canary.prefix" (default "logcanary-canary/"; always ends in '/') */
    struct lc_source_cfg *sources; /* "sources" (required, >= 1) */
    size_t n_sources;
};

/* "alerts.webhooks[]": a sink for incident notifications. The url and the sink's own secrets
 * are never logged or reported (lc_redact_url in alerts.h shows a URL safely). */
struct lc_webhook_cfg {
    const struct lc_sink *sink; /* "type": the body format's module (agent/outputs/sinks/) */
    void *options;              /* its own keys (NULL when it has none) */
    char *name;                 /* "name": unique among webhooks (required) */
    char *url;                  /* "url": where to POST (default per type, else required) */
    int64_t timeout_s;          /* "timeout": per request (default 10s) */
};

struct lc_config {
    /* "aws" */
    char *region;               /* "aws.region" (NULL = environment/profile, else us-east-1) */
    char *endpoint;             /* "aws.endpoint": base URL for every service */
    struct lc_kvlist endpoints; /* "aws.endpoints": { "<service>": URL } */
    bool path_style;            /* "aws.path_style" */
    char *profile;              /* "aws.profile" */
    char *ca_bundle;            /* "aws.ca_bundle" */
    int max_concurrency;        /* "aws.max_concurrency" (default 16) */
    int max_per_host;           /* "aws.max_per_host" (default 8) */
    int64_t timeout_s;          /* "aws.timeout" (default 30s) */
    /* "targets" (required, >= 1) */
    struct lc_target_cfg *targets;
    size_t n_targets;
    char *state_dir; /* "state_dir": incidents and the alert outbox (default
                      * /var/lib/logcanary) */
    /* "discovery": where "organization" accounts and "governed" regions come from */
    char *org_role_arn;    /* "discovery.organization.role_arn" (NULL: the default credentials) */
    char *org_external_id; /* "discovery.organization.external_id" */
    char *ct_role_arn;     /* "discovery.control_tower.role_arn" */
    char *ct_external_id;  /* "discovery.control_tower.external_id" */
    char *ct_region;       /* "discovery.control_tower.region": the landing zone's home region
                            * (NULL: aws.region) */
    int64_t grace_s;       /* "discovery.grace": a new account's time to first delivery (24h) */
    int64_t refresh_s;     /* "discovery.refresh": how long discovered lists are reused (6h) */
    /* "alerts" */
    int64_t renotify_s; /* "alerts.renotify": repeat an open incident's alert after this
                         * (default 4h, 0 = never) */
    struct lc_webhook_cfg *webhooks; /* "alerts.webhooks" (optional) */
    size_t n_webhooks;
    char *origin; /* file the config came from (for messages) */
};

#define LC_CONFIG_MAX_BYTES (1024 * 1024) /* larger files are rejected */

/* 0, or LC_E_INVALID / LC_E_IO / LC_E_PARSE (LC_E_NOMEM) with err->message = "<path>: <what>".
 * <path> is the JSON path for content errors (LC_E_INVALID), and "<origin>:<line>:<column>" for
 * encoding and JSON syntax errors (LC_E_PARSE); I/O and size errors start with the file name.
 * Messages never quote values (they may be secrets from the environment). *out is NULL on
 * failure; err may be NULL. */
int lc_config_load_file(const char *path, struct lc_config **out, struct lc_error *err);
int lc_config_load_string(const char *json, size_t len, const char *origin, struct lc_config **out,
                          struct lc_error *err);
void lc_config_free(struct lc_config *cfg);

/* The key reference (config/README.md, Markdown) generated from the tables. 0 or LC_E_IO. */
int lc_config_write_reference(FILE *out);

struct lc_cfg_map;
struct lc_cfg_plugins;
/* The "type" of a source and of a webhook: registries the configuration needs and the modules
 * fill (probes/probes.c, agent/outputs/sinks/sinks.c). */
extern const struct lc_cfg_plugins lc_source_types;
extern const struct lc_cfg_plugins lc_sink_types;
/* The top-level table (for the reference and the engine's hints). */
const struct lc_cfg_map *lc_config_root_map(void);

#endif
