/* logcanary's configuration: the tables of its objects (the config map of map.h), their
 * cross-key rules, and loading a file. The log sources' and the webhook sinks' own keys are
 * declared by their modules (probes/, agent/outputs/sinks/). */
#include "config/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "aws/services.h"
#include "config/internal.h"

#define MAX_ENTRIES 64 /* keys per table (one bit each in a mask) */

static int target_finish(struct lc_cfg_ctx *c, void *base);
static int aws_finish(struct lc_cfg_ctx *c, void *base);
static int root_finish(struct lc_cfg_ctx *c, void *base);
static int alerts_finish(struct lc_cfg_ctx *c, void *base);
static int source_finish(struct lc_cfg_ctx *c, void *base);
static int org_finish(struct lc_cfg_ctx *c, void *base);
static int ct_finish(struct lc_cfg_ctx *c, void *base);

static const char *const accounts_words[] = {"organization", NULL};
static const char *const regions_words[] = {"governed", NULL};

#define SRC(f)  offsetof(struct lc_source_cfg, f)
#define TGT(f)  offsetof(struct lc_target_cfg, f)
#define ROOT(f) offsetof(struct lc_config, f)
#define HOOK(f) offsetof(struct lc_webhook_cfg, f)
#define DAY     (24 * 3600)

static const struct lc_cfg_entry source_entries[] = {
    {.key = "type",
     .type = LC_CFG_PLUGIN,
     .off = SRC(probe),
     .opts_off = SRC(options),
     .flags = LC_CFG_REQUIRED,
     .plugins = &lc_source_types,
     .help = "The log source: which service delivers (one module of `probes/` each); its own "
             "keys are in its table below."},
    {.key = "accounts",
     .type = LC_CFG_STRLIST,
     .off = SRC(accounts),
     .off_n = SRC(n_accounts),
     .names = accounts_words,
     .off_word = SRC(accounts_from),
     .flags = LC_CFG_REQUIRED | LC_CFG_UNIQUE,
     .check = &lc_cfg_account,
     .help = "Accounts whose deliveries must arrive (one folder each under `AWSLogs/`); "
             "`\"organization\"`: every active account of the AWS Organization (see "
             "`discovery`)."},
    {.key = "exclude_accounts",
     .type = LC_CFG_STRLIST,
     .off = SRC(exclude_accounts),
     .off_n = SRC(n_exclude_accounts),
     .flags = LC_CFG_UNIQUE,
     .check = &lc_cfg_account,
     .help = "With `\"accounts\": \"organization\"`: accounts not expected to deliver."},
    {.key = "include_ous",
     .type = LC_CFG_STRLIST,
     .off = SRC(include_ous),
     .off_n = SRC(n_include_ous),
     .flags = LC_CFG_UNIQUE,
     .check = &lc_cfg_ou,
     .def_doc = "the whole organization",
     .help = "With `\"accounts\": \"organization\"`: only the accounts in these "
             "organizational units (and the units below them)."},
    {.key = "exclude_ous",
     .type = LC_CFG_STRLIST,
     .off = SRC(exclude_ous),
     .off_n = SRC(n_exclude_ous),
     .flags = LC_CFG_UNIQUE,
     .check = &lc_cfg_ou,
     .help = "With `\"accounts\": \"organization\"`: not the accounts in these "
             "organizational units (and the units below them)."},
    {.key = "regions",
     .type = LC_CFG_STRLIST,
     .off = SRC(regions),
     .off_n = SRC(n_regions),
     .names = regions_words,
     .off_word = SRC(regions_from),
     .flags = LC_CFG_REQUIRED | LC_CFG_UNIQUE,
     .check = &lc_cfg_region,
     .help = "Regions whose deliveries must arrive, for every account; `\"governed\"`: the "
             "AWS Control Tower landing zone's governed regions (see `discovery`)."},
    {.key = "max_age",
     .type = LC_CFG_DURATION,
     .off = SRC(max_age_s),
     .min = 1,
     .max = 30 * DAY,
     .help = "The newest delivery of each account and region must be younger than this. "
             "Allow for the service's delivery delay."},
    {.key = "interval",
     .type = LC_CFG_DURATION,
     .off = SRC(interval_s),
     .min = 0,
     .max = 30 * DAY,
     .def_doc = "derived from `max_age`",
     .help = "How often the run mode checks this source; `0s` or unset derives it from "
             "`max_age`."},
    {.key = "prefix",
     .type = LC_CFG_STRING,
     .off = SRC(prefix),
     .flags = LC_CFG_EMPTY_OK,
     .check = &lc_cfg_prefix,
     .def_doc = "the target's `prefix`",
     .help = "Bucket folder before `AWSLogs/` for this source only; `\"\"` for the bucket "
             "root even when the target has a prefix."},
    {.key = "sample",
     .type = LC_CFG_BOOL,
     .off = SRC(sample),
     .def = "true",
     .help = "Read the start of the newest delivery and check that it holds real, recent "
             "records (proves the object decrypts with its KMS key)."},
    {.key = "sample_bytes",
     .type = LC_CFG_SIZE,
     .off = SRC(sample_bytes),
     .def = "64KiB",
     .min = 1024,
     .max = 8 * 1024 * 1024,
     .help = "How many bytes of the newest delivery to read (a ranged GET)."},
    {.key = "status_role_arn",
     .type = LC_CFG_STRING,
     .off = SRC(status_role_arn),
     .check = &lc_cfg_status_role_arn,
     .help = "For diagnosis: a role to assume in each source account to read the delivery "
             "status (what the delivering service says of its deliveries); `{account}` is "
             "replaced by the "
             "account id."},
};

static const struct lc_cfg_map source_map = {
    .path = "targets[].sources[]",
    .e = source_entries,
    .n = LC_CFG_NELEM(source_entries),
    .size = sizeof(struct lc_source_cfg),
    .finish = source_finish,
    .doc = "A log source delivered into the target's bucket: one service, its accounts and "
           "regions, and how fresh its newest delivery must be.",
};

static const struct lc_cfg_entry canary_entries[] = {
    {.key = "enabled",
     .type = LC_CFG_BOOL,
     .off = TGT(canary),
     .def = "true",
     .help = "Write, read back and delete a small object of logcanary's own in the bucket, "
             "proving the bucket and its KMS key accept writes right now."},
    {.key = "prefix",
     .type = LC_CFG_STRING,
     .off = TGT(canary_prefix),
     .def = "logcanary-canary/",
     .check = &lc_cfg_canary_prefix,
     .help = "Bucket folder for the canary objects."},
};

static const struct lc_cfg_map canary_map = {
    .path = "targets[].canary",
    .e = canary_entries,
    .n = LC_CFG_NELEM(canary_entries),
    .doc = "The canary: an object logcanary writes itself, so a broken bucket or key policy "
           "shows up before the next delivery is due.",
};

static const struct lc_cfg_entry target_entries[] = {
    {.key = "name",
     .type = LC_CFG_STRING,
     .off = TGT(name),
     .flags = LC_CFG_REQUIRED,
     .check = &lc_cfg_name,
     .help = "Names the target in reports and on the command line; unique among targets."},
    {.key = "bucket",
     .type = LC_CFG_STRING,
     .off = TGT(bucket),
     .flags = LC_CFG_REQUIRED,
     .check = &lc_cfg_bucket,
     .help = "The S3 bucket the logs are delivered to."},
    {.key = "region",
     .type = LC_CFG_STRING,
     .off = TGT(region),
     .check = &lc_cfg_region,
     .def_doc = "`aws.region`",
     .help = "The bucket's region."},
    {.key = "prefix",
     .type = LC_CFG_STRING,
     .off = TGT(prefix),
     .flags = LC_CFG_EMPTY_OK,
     .check = &lc_cfg_prefix,
     .def_doc = "none (bucket root)",
     .help = "Bucket folder before `AWSLogs/` for every source, such as Control Tower's "
             "organization id `o-...`."},
    {.key = "role_arn",
     .type = LC_CFG_STRING,
     .off = TGT(role_arn),
     .check = &lc_cfg_role_arn,
     .def_doc = "none (own credentials)",
     .help = "A role to assume for every call on this target, for a bucket in another account "
             "(the log archive account)."},
    {.key = "external_id",
     .type = LC_CFG_STRING,
     .off = TGT(external_id),
     .check = &lc_cfg_external_id,
     .help = "The external id the role's trust policy requires; needs `role_arn`."},
    {.key = "kms_key_arn",
     .type = LC_CFG_STRING,
     .off = TGT(kms_key_arn),
     .check = &lc_cfg_kms_key_arn,
     .def_doc = "the bucket's default key",
     .help = "The KMS key the deliveries must be encrypted with. Give the key ARN: S3 records "
             "the key ARN on every object, never the alias."},
    {.key = "canary",
     .type = LC_CFG_OBJECT,
     .sub = &canary_map,
     .help = "The canary object (see below)."},
    {.key = "sources",
     .type = LC_CFG_OBJARRAY,
     .off = TGT(sources),
     .off_n = TGT(n_sources),
     .flags = LC_CFG_REQUIRED,
     .sub = &source_map,
     .help = "The log sources delivered into this bucket (see below)."},
};

static const struct lc_cfg_map target_map = {
    .path = "targets[]",
    .e = target_entries,
    .n = LC_CFG_NELEM(target_entries),
    .size = sizeof(struct lc_target_cfg),
    .finish = target_finish,
    .doc = "A bucket that receives logs, and how to reach it.",
};

static const struct lc_cfg_entry aws_entries[] = {
    {.key = "region",
     .type = LC_CFG_STRING,
     .off = ROOT(region),
     .check = &lc_cfg_region,
     .def_doc = "from the environment or profile, else `us-east-1`",
     .help = "Default region for buckets and API calls."},
    {.key = "endpoint",
     .type = LC_CFG_STRING,
     .off = ROOT(endpoint),
     .check = &lc_cfg_url,
     .def_doc = "the AWS endpoints",
     .help = "Base URL for every service: an S3-compatible server or a test fixture."},
    {.key = "endpoints",
     .type = LC_CFG_MAP,
     .off = ROOT(endpoints),
     .check = &lc_cfg_url,
     .names = lc_aws_endpoint_names,
     .help = "Base URL per service, such as `{\"s3\": \"https://...\"}` for VPC endpoints; "
             "overrides `endpoint`."},
    {.key = "path_style",
     .type = LC_CFG_BOOL,
     .off = ROOT(path_style),
     .def = "false",
     .help = "Address buckets as `<endpoint>/<bucket>` instead of `<bucket>.<endpoint>`."},
    {.key = "profile",
     .type = LC_CFG_STRING,
     .off = ROOT(profile),
     .def_doc = "`AWS_PROFILE`, else `default`",
     .help = "A profile of the shared AWS config and credentials files."},
    {.key = "ca_bundle",
     .type = LC_CFG_STRING,
     .off = ROOT(ca_bundle),
     .def_doc = "the system's CA store",
     .help = "A PEM file of CA certificates to trust instead (TLS is always verified)."},
    {.key = "max_concurrency",
     .type = LC_CFG_INT,
     .off = ROOT(max_concurrency),
     .def = "16",
     .min = 1,
     .max = 256,
     .help = "Requests in flight at once, overall."},
    {.key = "max_per_host",
     .type = LC_CFG_INT,
     .off = ROOT(max_per_host),
     .def = "8",
     .min = 1,
     .max = 256,
     .help = "Requests in flight at once to one host; at most `max_concurrency`."},
    {.key = "timeout",
     .type = LC_CFG_DURATION,
     .off = ROOT(timeout_s),
     .def = "30s",
     .min = 1,
     .max = 3600,
     .help = "Total time one HTTP request may take."},
};

static const struct lc_cfg_map aws_map = {
    .path = "aws",
    .e = aws_entries,
    .n = LC_CFG_NELEM(aws_entries),
    .finish = aws_finish,
    .doc = "How to reach AWS. Credentials come from the usual chain (environment, profile, "
           "web identity, container and instance roles); they never belong in this file.",
};

static const struct lc_cfg_entry webhook_entries[] = {
    {.key = "type",
     .type = LC_CFG_PLUGIN,
     .off = HOOK(sink),
     .opts_off = HOOK(options),
     .flags = LC_CFG_REQUIRED,
     .plugins = &lc_sink_types,
     .help = "The body format (one module of `agent/outputs/sinks/` each; its own keys are in "
             "its table below); bodies are described in [alerts.md](alerts.md)."},
    {.key = "name",
     .type = LC_CFG_STRING,
     .off = HOOK(name),
     .flags = LC_CFG_REQUIRED,
     .check = &lc_cfg_name,
     .help = "Names the sink in logs, reports and the outbox; unique among webhooks."},
    {.key = "url",
     .type = LC_CFG_STRING,
     .off = HOOK(url),
     .flags = LC_CFG_SECRET,
     .check = &lc_cfg_webhook_url,
     .help = "Where to POST. Slack's URL is a credential: give it as `\"${NAME}\"`; it is "
             "shown as `scheme://host/***`."},
    {.key = "timeout",
     .type = LC_CFG_DURATION,
     .off = HOOK(timeout_s),
     .def = "10s",
     .min = 1,
     .max = 300,
     .help = "Total time one request to this sink may take."},
};

static const struct lc_cfg_map webhook_map = {
    .path = "alerts.webhooks[]",
    .e = webhook_entries,
    .n = LC_CFG_NELEM(webhook_entries),
    .size = sizeof(struct lc_webhook_cfg),
    .doc = "A webhook that receives incident notifications. Its `url`, `secret` and "
           "`routing_key` are secrets: they never appear in logs or reports.",
};

static const struct lc_cfg_entry alerts_entries[] = {
    {.key = "renotify",
     .type = LC_CFG_DURATION,
     .off = ROOT(renotify_s),
     .def = "4h",
     .min = 0,
     .max = 30 * DAY,
     .help = "Repeat the alert of an incident still open after this long; `0s` never "
             "repeats."},
    {.key = "webhooks",
     .type = LC_CFG_OBJARRAY,
     .off = ROOT(webhooks),
     .off_n = ROOT(n_webhooks),
     .sub = &webhook_map,
     .def_doc = "none (no alerts)",
     .help = "Where incidents are sent (see below)."},
};

static const struct lc_cfg_map alerts_map = {
    .path = "alerts",
    .e = alerts_entries,
    .n = LC_CFG_NELEM(alerts_entries),
    .finish = alerts_finish,
    .doc = "Alerts on state changes: a finding opens an incident and notifies every webhook, a "
           "later healthy check resolves it. Undelivered notifications wait in an outbox in "
           "`state_dir` and are sent first on the next run.",
};

static const struct lc_cfg_entry org_entries[] = {
    {.key = "role_arn",
     .type = LC_CFG_STRING,
     .off = ROOT(org_role_arn),
     .check = &lc_cfg_role_arn,
     .def_doc = "none (own credentials)",
     .help = "A role in the management account or a delegated administrator account that may "
             "list the organization's accounts (`organizations:ListAccounts`, "
             "`ListAccountsForParent`, `ListChildren`)."},
    {.key = "external_id",
     .type = LC_CFG_STRING,
     .off = ROOT(org_external_id),
     .check = &lc_cfg_external_id,
     .help = "The external id the role's trust policy requires; needs `role_arn`."},
};

static const struct lc_cfg_map org_map = {
    .path = "discovery.organization",
    .e = org_entries,
    .n = LC_CFG_NELEM(org_entries),
    .finish = org_finish,
    .doc = "Where the accounts of `\"accounts\": \"organization\"` are read: AWS "
           "Organizations (a global service, called in `us-east-1` for partition `aws`).",
};

static const struct lc_cfg_entry ct_entries[] = {
    {.key = "role_arn",
     .type = LC_CFG_STRING,
     .off = ROOT(ct_role_arn),
     .check = &lc_cfg_role_arn,
     .def_doc = "none (own credentials)",
     .help = "A role in the management account that may read the landing zone "
             "(`controltower:ListLandingZones`, `controltower:GetLandingZone`)."},
    {.key = "external_id",
     .type = LC_CFG_STRING,
     .off = ROOT(ct_external_id),
     .check = &lc_cfg_external_id,
     .help = "The external id the role's trust policy requires; needs `role_arn`."},
    {.key = "region",
     .type = LC_CFG_STRING,
     .off = ROOT(ct_region),
     .check = &lc_cfg_region,
     .def_doc = "`aws.region`",
     .help = "The landing zone's home region."},
};

static const struct lc_cfg_map ct_map = {
    .path = "discovery.control_tower",
    .e = ct_entries,
    .n = LC_CFG_NELEM(ct_entries),
    .finish = ct_finish,
    .doc = "Where the regions of `\"regions\": \"governed\"` are read: the AWS Control Tower "
           "landing zone's manifest.",
};

static const struct lc_cfg_entry discovery_entries[] = {
    {.key = "organization",
     .type = LC_CFG_OBJECT,
     .sub = &org_map,
     .help = "AWS Organizations (see below)."},
    {.key = "control_tower",
     .type = LC_CFG_OBJECT,
     .sub = &ct_map,
     .help = "AWS Control Tower (see below)."},
    {.key = "grace",
     .type = LC_CFG_DURATION,
     .off = ROOT(grace_s),
     .def = "24h",
     .min = 0,
     .max = 30 * DAY,
     .help = "An account that joined the organization less than this long ago and never "
             "delivered is a warning, not yet critical."},
    {.key = "refresh",
     .type = LC_CFG_DURATION,
     .off = ROOT(refresh_s),
     .def = "6h",
     .min = 0,
     .max = 30 * DAY,
     .help = "How long discovered accounts and regions are reused (kept in `state_dir`) before "
             "they are read again; a failed read keeps using them."},
};

static const struct lc_cfg_map discovery_map = {
    .path = "discovery",
    .e = discovery_entries,
    .n = LC_CFG_NELEM(discovery_entries),
    .doc = "Expected streams that nobody lists: the accounts of an AWS Organization and the "
           "governed regions of an AWS Control Tower landing zone.",
};

static const struct lc_cfg_entry root_entries[] = {
    {.key = "aws", .type = LC_CFG_OBJECT, .sub = &aws_map, .help = "How to reach AWS (see below)."},
    {.key = "targets",
     .type = LC_CFG_OBJARRAY,
     .off = ROOT(targets),
     .off_n = ROOT(n_targets),
     .flags = LC_CFG_REQUIRED,
     .sub = &target_map,
     .help = "The buckets to check (see below)."},
    {.key = "state_dir",
     .type = LC_CFG_STRING,
     .off = ROOT(state_dir),
     .def = "/var/lib/logcanary",
     .check = &lc_cfg_abs_path,
     .help = "Directory of the state file (open incidents, the alert outbox), kept across "
             "runs; created if missing, its parent must exist."},
    {.key = "alerts",
     .type = LC_CFG_OBJECT,
     .sub = &alerts_map,
     .help = "Alerts on incidents (see below)."},
    {.key = "discovery",
     .type = LC_CFG_OBJECT,
     .sub = &discovery_map,
     .help = "Account and region discovery (see below)."},
};

static const struct lc_cfg_map root_map = {
    .path = "",
    .e = root_entries,
    .n = LC_CFG_NELEM(root_entries),
    .finish = root_finish,
    .doc = "The file is one JSON object.",
};

_Static_assert(LC_CFG_NELEM(source_entries) <= MAX_ENTRIES &&
                   LC_CFG_NELEM(target_entries) <= MAX_ENTRIES &&
                   LC_CFG_NELEM(aws_entries) <= MAX_ENTRIES,
               "one bit per key in the seen/set masks");

const struct lc_cfg_map *lc_config_root_map(void)
{
    return &root_map;
}

/* ---- cross-key rules --------------------------------------------------------------------- */

static int target_finish(struct lc_cfg_ctx *c, void *base)
{
    struct lc_target_cfg *t = base;

    if (t->external_id && !t->role_arn)
        return lc_cfg_fail_at(c, "external_id", "only valid with \"role_arn\"");
    if (t->prefix && !t->prefix[0]) {
        free(t->prefix);
        t->prefix = NULL;
    }
    return 0;
}

static int source_finish(struct lc_cfg_ctx *c, void *base)
{
    const struct lc_source_cfg *s = base;
    static const char *const org_only[] = {"exclude_accounts", "include_ous", "exclude_ous"};
    const size_t counts[] = {s->n_exclude_accounts, s->n_include_ous, s->n_exclude_ous};

    for (size_t i = 0; i < 3; i++)
        if (counts[i] && !s->accounts_from)
            return lc_cfg_fail_at(c, org_only[i], "only valid with \"accounts\": \"organization\"");
    return 0;
}

static int org_finish(struct lc_cfg_ctx *c, void *base)
{
    const struct lc_config *cfg = base;

    if (cfg->org_external_id && !cfg->org_role_arn)
        return lc_cfg_fail_at(c, "external_id", "only valid with \"role_arn\"");
    return 0;
}

static int ct_finish(struct lc_cfg_ctx *c, void *base)
{
    const struct lc_config *cfg = base;

    if (cfg->ct_external_id && !cfg->ct_role_arn)
        return lc_cfg_fail_at(c, "external_id", "only valid with \"role_arn\"");
    return 0;
}

static int aws_finish(struct lc_cfg_ctx *c, void *base)
{
    const struct lc_config *cfg = base;

    if (cfg->max_per_host > cfg->max_concurrency)
        return lc_cfg_fail_at(c, "max_per_host", "must not exceed aws.max_concurrency (%d)",
                              cfg->max_concurrency);
    return 0;
}

/* Names unique in an array of structs (name at name_off): the first duplicate is an error at
 * "<array>[i].name". */
static int unique_names(struct lc_cfg_ctx *c, const void *items, size_t n, size_t size,
                        size_t name_off, const char *array, const char *what, const char *path)
{
    const char **names;
    size_t dup, first;
    int rc;

    if (n == 0)
        return 0;
    names = malloc(n * sizeof(*names));
    if (!names)
        return lc_cfg_nomem(c);
    for (size_t i = 0; i < n; i++)
        memcpy(&names[i], (const char *)items + i * size + name_off, sizeof(names[i]));
    rc = lc_cfg_first_duplicate(names, n, &dup, &first);
    free(names);
    if (rc)
        return lc_cfg_nomem(c);
    if (dup == SIZE_MAX)
        return 0;
    return lc_cfg_fail_at_index(c, array, dup, "name", "duplicate %s name (also %s[%zu].name)",
                                what, path, first);
}

static int root_finish(struct lc_cfg_ctx *c, void *base)
{
    const struct lc_config *cfg = base;

    return unique_names(c, cfg->targets, cfg->n_targets, sizeof(*cfg->targets),
                        offsetof(struct lc_target_cfg, name), "targets", "target", "targets");
}

static int alerts_finish(struct lc_cfg_ctx *c, void *base)
{
    const struct lc_config *cfg = base;

    return unique_names(c, cfg->webhooks, cfg->n_webhooks, sizeof(*cfg->webhooks),
                        offsetof(struct lc_webhook_cfg, name), "webhooks", "webhook",
                        "alerts.webhooks");
}

/* ---- loading ----------------------------------------------------------------------------- */

int lc_config_load_string(const char *json, size_t len, const char *origin, struct lc_config **out,
                          struct lc_error *err)
{
    struct lc_error local;
    struct lc_config *cfg = NULL;
    cJSON *root = NULL;
    char *text = NULL;
    const char *name = origin ? origin : "config";
    const char *end = NULL;
    size_t skip = 0;
    int rc = 0;

    if (!err)
        err = &local;
    lc_error_clear(err);
    *out = NULL;
    if (len > LC_CONFIG_MAX_BYTES) {
        lc_error_set(err, LC_E_INVALID,
                     "%s: larger than 1 MiB (%zu bytes): not a logcanary "
                     "configuration",
                     name, len);
        return LC_E_INVALID;
    }
    text = malloc(len + 1);
    if (!text) {
        lc_error_set(err, LC_E_NOMEM, "out of memory loading the configuration");
        return LC_E_NOMEM;
    }
    if (len)
        memcpy(text, json, len);
    text[len] = '\0';

    rc = lc_cfg_prescan(text, len, name, err);
    if (rc)
        goto out;
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        skip = 3; /* a byte order mark */
    root = cJSON_ParseWithLengthOpts(text + skip, len - skip + 1, &end, 1);
    if (!root) {
        rc = lc_cfg_syntax_error(err, name, text, len, end ? (size_t)(end - text) : len);
        goto out;
    }

    cfg = calloc(1, sizeof(*cfg));
    if (cfg && origin)
        cfg->origin = strdup(origin);
    if (!cfg || (origin && !cfg->origin)) {
        lc_error_set(err, LC_E_NOMEM, "out of memory loading the configuration");
        rc = LC_E_NOMEM;
        goto out;
    }
    rc = lc_cfg_parse(root, &root_map, cfg, err);

out:
    cJSON_Delete(root);
    free(text);
    if (rc)
        lc_config_free(cfg);
    else
        *out = cfg;
    return rc;
}

int lc_config_load_file(const char *path, struct lc_config **out, struct lc_error *err)
{
    struct lc_error local;
    struct lc_buf b = {.max = LC_CONFIG_MAX_BYTES};
    int rc;

    if (!err)
        err = &local;
    lc_error_clear(err);
    *out = NULL;
    rc = lc_buf_read_file(&b, path, err);
    if (rc == LC_E_IO && errno == EISDIR) {
        lc_error_set(err, LC_E_IO, "%s: is a directory, expected a JSON file", path);
    } else if (rc == LC_E_TOO_LARGE) {
        lc_error_set(err, LC_E_INVALID, "%s: larger than 1 MiB: not a logcanary configuration",
                     path);
        rc = LC_E_INVALID;
    } else if (rc == 0) {
        rc = lc_config_load_string(b.data, b.len, path, out, err);
    }
    lc_buf_free(&b);
    return rc;
}

void lc_config_free(struct lc_config *cfg)
{
    if (!cfg)
        return;
    lc_cfg_free(&root_map, cfg);
    free(cfg->origin);
    free(cfg);
}
