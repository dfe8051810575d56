/* The configuration loader: a JSON file (cJSON) mapped onto the structs of config.h.
 *
 * One static table per struct (a "config map": key, type, default, offset, flags, validation,
 * help) drives parsing, defaults, validation, freeing and the key reference written by
 * lc_config_write_reference() into config/README.md. Adding an option is one table entry.
 *
 * Errors name the JSON path ("targets[0].sources[1].max_age: expected a duration like "30m"").
 * Values can come from the environment ("${NAME}"), so no message ever quotes a value: they name
 * the path, what was expected and, for expanded values, the variable. */
#include "config/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/buf.h"
#include "core/timeutil.h"

#define MAX_DEPTH    64  /* JSON nesting */
#define MAX_VAR_NAME 128 /* ${NAME} */
#define MAX_ENTRIES  64  /* keys per table (one bit each in a mask) */

/* ---- the config map ---------------------------------------------------------------------- */

enum cfg_type {
    T_STRING = 0,
    T_BOOL,
    T_INT,      /* int */
    T_DURATION, /* int64_t seconds, from "30m" */
    T_SIZE,     /* size_t bytes, from 65536 or "64KiB" */
    T_STRLIST,  /* char ** at off, size_t count at off_n */
    T_ENUM,     /* an enum (int) at off: index into names */
    T_ENUMSTR,  /* char * at off: one of names */
    T_MAP,      /* struct lc_kvlist: { "<one of names>": string } */
    T_OBJECT,   /* a nested JSON object whose keys live in the same struct */
    T_OBJARRAY, /* array of structs of sub->size at off, size_t count at off_n */
};

/* Validation of string values (and of list elements, map values). */
enum cfg_check {
    K_NONE = 0,
    K_NAME,
    K_ACCOUNT,
    K_REGION,
    K_ROLE_ARN,
    K_STATUS_ROLE_ARN,
    K_KMS_KEY_ARN,
    K_ORG_ID,
    K_BUCKET,
    K_URL,
    K_PREFIX,
    K_CANARY_PREFIX,
    K_EXTERNAL_ID,
    K_WEBHOOK_URL,
    K_ABS_PATH,
};

#define F_REQUIRED 0x1u /* the key must be present (lists: non-empty, as all lists) */
#define F_EMPTY_OK 0x2u /* "" is a valid string value */
#define F_UNIQUE   0x4u /* string list without duplicates */
#define F_SECRET   0x8u /* a secret: documented as such; never shown (messages never quote) */

struct cfg_map;
struct ctx;

struct cfg_entry {
    const char *key;
    enum cfg_type type;
    const char *def;     /* default in the key's own syntax, NULL = none */
    const char *def_doc; /* default as documented when def does not say it */
    size_t off;
    size_t off_n;
    unsigned flags;
    enum cfg_check check;
    int64_t min, max;          /* T_INT, T_DURATION, T_SIZE: inclusive range */
    const char *const *names;  /* T_ENUM, T_ENUMSTR: values; T_MAP: keys (NULL-ended) */
    const struct cfg_map *sub; /* T_OBJECT, T_OBJARRAY */
    unsigned only;             /* bit per value of the map's discriminator; 0 = always */
    const char *const *def_by; /* default per value of the discriminator */
    const char *help;
};

struct cfg_map {
    const char *path; /* documentation path: "targets[].sources[]" */
    const struct cfg_entry *e;
    size_t n;
    size_t size; /* struct size, for T_OBJARRAY */
    int disc;    /* index of the T_ENUM entry `only`/`def_by` refer to, or -1 */
    int (*finish)(struct ctx *c, void *base); /* cross-key rules, after defaults */
    const char *doc;                          /* paragraph under the heading */
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define ONLY(t)  (1u << (t))

/* Parse state: the JSON path of the value at hand, and the first environment variable its
 * value came from. */
struct ctx {
    struct lc_buf path;
    struct lc_error *err;
    char var[MAX_VAR_NAME + 1];
};

static int target_finish(struct ctx *c, void *base);
static int root_finish(struct ctx *c, void *base);
static int webhook_finish(struct ctx *c, void *base);
static int alerts_finish(struct ctx *c, void *base);

static const char *const source_type_names[] = {"vpcflowlogs", "config", "cloudtrail", NULL};
static const char *const max_age_defaults[] = {"30m", "7h", "20m"};
static const char *const file_format_names[] = {"plain-text", "parquet", NULL};
static const char *const endpoint_services[] = {
    "s3", "sts", "kms", "ec2", "config", "cloudtrail", "logs", "organizations", "iam", NULL,
};

static const char *const webhook_type_names[] = {"generic", "slack", "pagerduty", NULL};

_Static_assert(LC_WEBHOOK_GENERIC == 0 && LC_WEBHOOK_SLACK == 1 && LC_WEBHOOK_PAGERDUTY == 2,
               "webhook_type_names follows enum lc_webhook_type");
_Static_assert(sizeof(enum lc_webhook_type) == sizeof(int), "T_ENUM stores an int");
_Static_assert(LC_SRC_VPCFLOWLOGS == 0 && LC_SRC_CONFIG == 1 && LC_SRC_CLOUDTRAIL == 2,
               "source_type_names and max_age_defaults follow enum lc_source_type");
_Static_assert(sizeof(enum lc_source_type) == sizeof(int), "T_ENUM stores an int");

#define SRC(f)  offsetof(struct lc_source_cfg, f)
#define TGT(f)  offsetof(struct lc_target_cfg, f)
#define ROOT(f) offsetof(struct lc_config, f)
#define HOOK(f) offsetof(struct lc_webhook_cfg, f)
#define DAY     (24 * 3600)

static const struct cfg_entry source_entries[] = {
    {.key = "type",
     .type = T_ENUM,
     .off = SRC(type),
     .flags = F_REQUIRED,
     .names = source_type_names,
     .help = "The log source: VPC Flow Logs, AWS Config or CloudTrail deliveries."},
    {.key = "accounts",
     .type = T_STRLIST,
     .off = SRC(accounts),
     .off_n = SRC(n_accounts),
     .flags = F_REQUIRED | F_UNIQUE,
     .check = K_ACCOUNT,
     .help = "Accounts whose deliveries must arrive (one folder each under `AWSLogs/`)."},
    {.key = "regions",
     .type = T_STRLIST,
     .off = SRC(regions),
     .off_n = SRC(n_regions),
     .flags = F_REQUIRED | F_UNIQUE,
     .check = K_REGION,
     .help = "Regions whose deliveries must arrive, for every account."},
    {.key = "max_age",
     .type = T_DURATION,
     .off = SRC(max_age_s),
     .min = 1,
     .max = 30 * DAY,
     .def_by = max_age_defaults,
     .help = "The newest delivery of each account and region must be younger than this. "
             "Allow for the service's delivery delay."},
    {.key = "interval",
     .type = T_DURATION,
     .off = SRC(interval_s),
     .min = 0,
     .max = 30 * DAY,
     .def_doc = "derived from `max_age`",
     .help = "How often the run mode checks this source; `0s` or unset derives it from "
             "`max_age`."},
    {.key = "prefix",
     .type = T_STRING,
     .off = SRC(prefix),
     .flags = F_EMPTY_OK,
     .check = K_PREFIX,
     .def_doc = "the target's `prefix`",
     .help = "Bucket folder before `AWSLogs/` for this source only; `\"\"` for the bucket "
             "root even when the target has a prefix."},
    {.key = "sample",
     .type = T_BOOL,
     .off = SRC(sample),
     .def = "true",
     .help = "Read the start of the newest delivery and check that it holds real, recent "
             "records (proves the object decrypts with its KMS key)."},
    {.key = "sample_bytes",
     .type = T_SIZE,
     .off = SRC(sample_bytes),
     .def = "64KiB",
     .min = 1024,
     .max = 8 * 1024 * 1024,
     .help = "How many bytes of the newest delivery to read (a ranged GET)."},
    {.key = "hive_compatible",
     .type = T_BOOL,
     .off = SRC(hive),
     .def = "false",
     .only = ONLY(LC_SRC_VPCFLOWLOGS),
     .help = "The flow logs use Hive-compatible S3 prefixes "
             "(`aws-account-id=<acct>/aws-service=vpcflowlogs/...`)."},
    {.key = "per_hour",
     .type = T_BOOL,
     .off = SRC(per_hour),
     .def = "false",
     .only = ONLY(LC_SRC_VPCFLOWLOGS),
     .help = "The flow logs are partitioned per hour (an hour folder below the day)."},
    {.key = "file_format",
     .type = T_ENUMSTR,
     .off = SRC(file_format),
     .def = "plain-text",
     .names = file_format_names,
     .only = ONLY(LC_SRC_VPCFLOWLOGS),
     .help = "The flow logs' file format, as chosen when the flow log was created."},
    {.key = "org_id",
     .type = T_STRING,
     .off = SRC(org_id),
     .check = K_ORG_ID,
     .only = ONLY(LC_SRC_CLOUDTRAIL),
     .help = "An organization trail: deliveries are under `AWSLogs/<org_id>/<account>/` "
             "(Control Tower's trail is one)."},
    {.key = "status_role_arn",
     .type = T_STRING,
     .off = SRC(status_role_arn),
     .check = K_STATUS_ROLE_ARN,
     .help = "For diagnosis: a role to assume in each source account to read the delivery "
             "status (flow log, delivery channel, trail); `{account}` is replaced by the "
             "account id."},
};

static const struct cfg_map source_map = {
    .path = "targets[].sources[]",
    .e = source_entries,
    .n = NELEM(source_entries),
    .size = sizeof(struct lc_source_cfg),
    .disc = 0,
    .doc = "A log source delivered into the target's bucket: one service, its accounts and "
           "regions, and how fresh its newest delivery must be.",
};

static const struct cfg_entry canary_entries[] = {
    {.key = "enabled",
     .type = T_BOOL,
     .off = TGT(canary),
     .def = "true",
     .help = "Write, read back and delete a small object of logcanary's own in the bucket, "
             "proving the bucket and its KMS key accept writes right now."},
    {.key = "prefix",
     .type = T_STRING,
     .off = TGT(canary_prefix),
     .def = "logcanary-canary/",
     .check = K_CANARY_PREFIX,
     .help = "Bucket folder for the canary objects."},
};

static const struct cfg_map canary_map = {
    .path = "targets[].canary",
    .e = canary_entries,
    .n = NELEM(canary_entries),
    .disc = -1,
    .doc = "The canary: an object logcanary writes itself, so a broken bucket or key policy "
           "shows up before the next delivery is due.",
};

static const struct cfg_entry target_entries[] = {
    {.key = "name",
     .type = T_STRING,
     .off = TGT(name),
     .flags = F_REQUIRED,
     .check = K_NAME,
     .help = "Names the target in reports and on the command line; unique among targets."},
    {.key = "bucket",
     .type = T_STRING,
     .off = TGT(bucket),
     .flags = F_REQUIRED,
     .check = K_BUCKET,
     .help = "The S3 bucket the logs are delivered to."},
    {.key = "region",
     .type = T_STRING,
     .off = TGT(region),
     .check = K_REGION,
     .def_doc = "`aws.region`",
     .help = "The bucket's region."},
    {.key = "prefix",
     .type = T_STRING,
     .off = TGT(prefix),
     .flags = F_EMPTY_OK,
     .check = K_PREFIX,
     .def_doc = "none (bucket root)",
     .help = "Bucket folder before `AWSLogs/` for every source, such as Control Tower's "
             "organization id `o-...`."},
    {.key = "role_arn",
     .type = T_STRING,
     .off = TGT(role_arn),
     .check = K_ROLE_ARN,
     .def_doc = "none (own credentials)",
     .help = "A role to assume for every call on this target, for a bucket in another account "
             "(the log archive account)."},
    {.key = "external_id",
     .type = T_STRING,
     .off = TGT(external_id),
     .check = K_EXTERNAL_ID,
     .help = "The external id the role's trust policy requires; needs `role_arn`."},
    {.key = "kms_key_arn",
     .type = T_STRING,
     .off = TGT(kms_key_arn),
     .check = K_KMS_KEY_ARN,
     .def_doc = "the bucket's default key",
     .help = "The KMS key the deliveries must be encrypted with. Give the key ARN: S3 records "
             "the key ARN on every object, never the alias."},
    {.key = "canary",
     .type = T_OBJECT,
     .sub = &canary_map,
     .help = "The canary object (see below)."},
    {.key = "sources",
     .type = T_OBJARRAY,
     .off = TGT(sources),
     .off_n = TGT(n_sources),
     .flags = F_REQUIRED,
     .sub = &source_map,
     .help = "The log sources delivered into this bucket (see below)."},
};

static const struct cfg_map target_map = {
    .path = "targets[]",
    .e = target_entries,
    .n = NELEM(target_entries),
    .size = sizeof(struct lc_target_cfg),
    .disc = -1,
    .finish = target_finish,
    .doc = "A bucket that receives logs, and how to reach it.",
};

static const struct cfg_entry aws_entries[] = {
    {.key = "region",
     .type = T_STRING,
     .off = ROOT(region),
     .check = K_REGION,
     .def_doc = "from the environment or profile, else `us-east-1`",
     .help = "Default region for buckets and API calls."},
    {.key = "endpoint",
     .type = T_STRING,
     .off = ROOT(endpoint),
     .check = K_URL,
     .def_doc = "the AWS endpoints",
     .help = "Base URL for every service: an S3-compatible server or a test fixture."},
    {.key = "endpoints",
     .type = T_MAP,
     .off = ROOT(endpoints),
     .check = K_URL,
     .names = endpoint_services,
     .help = "Base URL per service, such as `{\"s3\": \"https://...\"}` for VPC endpoints; "
             "overrides `endpoint`."},
    {.key = "path_style",
     .type = T_BOOL,
     .off = ROOT(path_style),
     .def = "false",
     .help = "Address buckets as `<endpoint>/<bucket>` instead of `<bucket>.<endpoint>`."},
    {.key = "profile",
     .type = T_STRING,
     .off = ROOT(profile),
     .def_doc = "`AWS_PROFILE`, else `default`",
     .help = "A profile of the shared AWS config and credentials files."},
    {.key = "ca_bundle",
     .type = T_STRING,
     .off = ROOT(ca_bundle),
     .def_doc = "the system's CA store",
     .help = "A PEM file of CA certificates to trust instead (TLS is always verified)."},
    {.key = "max_concurrency",
     .type = T_INT,
     .off = ROOT(max_concurrency),
     .def = "16",
     .min = 1,
     .max = 256,
     .help = "Requests in flight at once, overall."},
    {.key = "max_per_host",
     .type = T_INT,
     .off = ROOT(max_per_host),
     .def = "8",
     .min = 1,
     .max = 256,
     .help = "Requests in flight at once to one host; at most `max_concurrency`."},
    {.key = "timeout",
     .type = T_DURATION,
     .off = ROOT(timeout_s),
     .def = "30s",
     .min = 1,
     .max = 3600,
     .help = "Total time one HTTP request may take."},
};

static const struct cfg_map aws_map = {
    .path = "aws",
    .e = aws_entries,
    .n = NELEM(aws_entries),
    .disc = -1,
    .doc = "How to reach AWS. Credentials come from the usual chain (environment, profile, "
           "web identity, container and instance roles); they never belong in this file.",
};

static const struct cfg_entry webhook_entries[] = {
    {.key = "type",
     .type = T_ENUM,
     .off = HOOK(type),
     .flags = F_REQUIRED,
     .names = webhook_type_names,
     .help = "The body format: `generic` (logcanary's JSON, see [alerts.md](alerts.md)), "
             "`slack` (an incoming webhook) or `pagerduty` (Events API v2)."},
    {.key = "name",
     .type = T_STRING,
     .off = HOOK(name),
     .flags = F_REQUIRED,
     .check = K_NAME,
     .help = "Names the sink in logs, reports and the outbox; unique among webhooks."},
    {.key = "url",
     .type = T_STRING,
     .off = HOOK(url),
     .flags = F_SECRET,
     .check = K_WEBHOOK_URL,
     .def_doc = "required for generic and slack; pagerduty: "
                "`" LC_PAGERDUTY_EVENTS_URL "`",
     .help = "Where to POST. Slack's URL is a credential: give it as `\"${NAME}\"`; it is "
             "shown as `scheme://host/***`."},
    {.key = "secret",
     .type = T_STRING,
     .off = HOOK(secret),
     .flags = F_SECRET,
     .only = ONLY(LC_WEBHOOK_GENERIC),
     .def_doc = "none (unsigned)",
     .help = "Signs each request: `X-Logcanary-Signature: sha256=<hex HMAC-SHA256 of "
             "\"<X-Logcanary-Timestamp>.<body>\">`."},
    {.key = "routing_key",
     .type = T_STRING,
     .off = HOOK(routing_key),
     .flags = F_SECRET,
     .only = ONLY(LC_WEBHOOK_PAGERDUTY),
     .def_doc = "required for pagerduty",
     .help = "The PagerDuty integration key (Events API v2) of the service to page."},
    {.key = "timeout",
     .type = T_DURATION,
     .off = HOOK(timeout_s),
     .def = "10s",
     .min = 1,
     .max = 300,
     .help = "Total time one request to this sink may take."},
};

static const struct cfg_map webhook_map = {
    .path = "alerts.webhooks[]",
    .e = webhook_entries,
    .n = NELEM(webhook_entries),
    .size = sizeof(struct lc_webhook_cfg),
    .disc = 0,
    .finish = webhook_finish,
    .doc = "A webhook that receives incident notifications. Its `url`, `secret` and "
           "`routing_key` are secrets: they never appear in logs or reports.",
};

static const struct cfg_entry alerts_entries[] = {
    {.key = "renotify",
     .type = T_DURATION,
     .off = ROOT(renotify_s),
     .def = "4h",
     .min = 0,
     .max = 30 * DAY,
     .help = "Repeat the alert of an incident still open after this long; `0s` never "
             "repeats."},
    {.key = "webhooks",
     .type = T_OBJARRAY,
     .off = ROOT(webhooks),
     .off_n = ROOT(n_webhooks),
     .sub = &webhook_map,
     .def_doc = "none (no alerts)",
     .help = "Where incidents are sent (see below)."},
};

static const struct cfg_map alerts_map = {
    .path = "alerts",
    .e = alerts_entries,
    .n = NELEM(alerts_entries),
    .disc = -1,
    .finish = alerts_finish,
    .doc = "Alerts on state changes: a finding opens an incident and notifies every webhook, a "
           "later healthy check resolves it. Undelivered notifications wait in an outbox in "
           "`state_dir` and are sent first on the next run.",
};

static const struct cfg_entry root_entries[] = {
    {.key = "aws", .type = T_OBJECT, .sub = &aws_map, .help = "How to reach AWS (see below)."},
    {.key = "targets",
     .type = T_OBJARRAY,
     .off = ROOT(targets),
     .off_n = ROOT(n_targets),
     .flags = F_REQUIRED,
     .sub = &target_map,
     .help = "The buckets to check (see below)."},
    {.key = "state_dir",
     .type = T_STRING,
     .off = ROOT(state_dir),
     .def = "/var/lib/logcanary",
     .check = K_ABS_PATH,
     .help = "Directory of the state file (open incidents, the alert outbox), kept across "
             "runs; created if missing, its parent must exist."},
    {.key = "alerts",
     .type = T_OBJECT,
     .sub = &alerts_map,
     .help = "Alerts on incidents (see below)."},
};

static const struct cfg_map root_map = {
    .path = "",
    .e = root_entries,
    .n = NELEM(root_entries),
    .disc = -1,
    .finish = root_finish,
    .doc = "The file is one JSON object.",
};

_Static_assert(NELEM(source_entries) <= MAX_ENTRIES && NELEM(target_entries) <= MAX_ENTRIES &&
                   NELEM(aws_entries) <= MAX_ENTRIES && NELEM(endpoint_services) <= MAX_ENTRIES,
               "one bit per key in the seen/set masks");

/* Every table, in documentation order. */
static const struct cfg_map *const all_maps[] = {
    &root_map, &aws_map, &target_map, &canary_map, &source_map, &alerts_map, &webhook_map,
};

/* ---- errors and paths -------------------------------------------------------------------- */

static const char *path_str(const struct ctx *c)
{
    return c->path.len ? c->path.data : "(top level)";
}

__attribute__((format(printf, 3, 0))) static int vfail(struct ctx *c, enum lc_err_kind kind,
                                                       const char *fmt, va_list ap)
{
    char what[448];

    vsnprintf(what, sizeof(what), fmt, ap);
    if (c->var[0])
        lc_error_set(c->err, kind, "%s: %s (value from ${%s})", path_str(c), what, c->var);
    else
        lc_error_set(c->err, kind, "%s: %s", path_str(c), what);
    return kind;
}

/* "<path>: <what>"; returns LC_E_INVALID. */
__attribute__((format(printf, 2, 3))) static int fail(struct ctx *c, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = vfail(c, LC_E_INVALID, fmt, ap);
    va_end(ap);
    return rc;
}

static int nomem(struct ctx *c)
{
    lc_error_set(c->err, LC_E_NOMEM, "out of memory loading the configuration");
    return LC_E_NOMEM;
}

static bool key_is_plain(const char *k)
{
    if (!*k)
        return false;
    for (const char *p = k; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch <= 0x20 || ch >= 0x7f || ch == '.' || ch == '[' || ch == ']' || ch == '"' ||
            ch == '\\')
            return false;
    }
    return true;
}

/* Append ".key" (or ["key"] when the key needs quoting); returns the length to pop back to. */
static size_t path_push_key(struct ctx *c, const char *key)
{
    size_t old = c->path.len;

    if (key_is_plain(key) && strlen(key) <= 64) {
        (void)lc_buf_appendf(&c->path, "%s%s", old ? "." : "", key);
        return old;
    }
    (void)lc_buf_append(&c->path, "[\"", 2);
    for (size_t i = 0; key[i] && i < 64; i++) {
        unsigned char ch = (unsigned char)key[i];
        if (ch == '"' || ch == '\\')
            (void)lc_buf_appendf(&c->path, "\\%c", ch);
        else if (ch < 0x20 || ch >= 0x7f)
            (void)lc_buf_appendf(&c->path, "\\x%02x", ch);
        else
            (void)lc_buf_putc(&c->path, (char)ch);
    }
    (void)lc_buf_append(&c->path, strlen(key) > 64 ? "...\"]" : "\"]", strlen(key) > 64 ? 5 : 2);
    return old;
}

static size_t path_push_index(struct ctx *c, size_t i)
{
    size_t old = c->path.len;
    (void)lc_buf_appendf(&c->path, "[%zu]", i);
    return old;
}

static void path_pop(struct ctx *c, size_t len)
{
    if (c->path.data && len <= c->path.len) {
        c->path.len = len;
        c->path.data[len] = '\0';
    }
}

/* ---- suggestions ------------------------------------------------------------------------- */

static int lower(int ch)
{
    return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

/* Equal ignoring case, '_' and '-': "maxAge" and "max-age" are "max_age". */
static bool loose_equal(const char *a, const char *b)
{
    for (;;) {
        while (*a == '_' || *a == '-')
            a++;
        while (*b == '_' || *b == '-')
            b++;
        if (!*a || !*b)
            return !*a && !*b;
        if (lower((unsigned char)*a) != lower((unsigned char)*b))
            return false;
        a++;
        b++;
    }
}

/* Case-insensitive edit distance with transpositions (optimal string alignment); keys longer
 * than 64 get SIZE_MAX. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t d[65][65];

    if (la > 64 || lb > 64)
        return SIZE_MAX;
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = lower((unsigned char)a[i - 1]) != lower((unsigned char)b[j - 1]);
            size_t v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 &&
                lower((unsigned char)a[i - 1]) == lower((unsigned char)b[j - 2]) &&
                lower((unsigned char)a[i - 2]) == lower((unsigned char)b[j - 1]) &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    }
    return d[la][lb];
}

struct suggestion {
    const char *name;
    size_t dist;
};

static void consider(struct suggestion *s, const char *word, const char *cand)
{
    size_t len = strlen(cand);
    size_t limit = len / 3 < 1 ? 1 : len / 3 > 3 ? 3 : len / 3;
    size_t d = loose_equal(word, cand) ? 0 : edit_distance(word, cand);

    if (d <= limit && (!s->name || d < s->dist)) {
        s->name = cand;
        s->dist = d;
    }
}

/* ---- environment references -------------------------------------------------------------- */

static bool is_name_char(char ch, bool first)
{
    if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_')
        return true;
    return !first && ch >= '0' && ch <= '9';
}

/* Expand "${NAME}" references ("$${" is a literal "${") into a new string. Records the first
 * variable used in c->var for messages. */
static int expand(struct ctx *c, const char *s, char **out)
{
    struct lc_buf b = {0};
    const char *p = s;
    int rc = 0;

    c->var[0] = '\0';
    while (*p && !rc) {
        if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
            rc = lc_buf_append(&b, "${", 2);
            p += 3;
            continue;
        }
        if (p[0] != '$' || p[1] != '{') {
            const char *q = p;
            while (*q && *q != '$')
                q++;
            if (q == p)
                q++;
            rc = lc_buf_append(&b, p, (size_t)(q - p));
            p = q;
            continue;
        }
        const char *name = p + 2, *end = name;
        char var[MAX_VAR_NAME + 1];
        while (is_name_char(*end, end == name))
            end++;
        if (*end != '}' || end == name) {
            c->var[0] = '\0';
            rc = fail(c, "expected \"${NAME}\" with NAME of letters, digits and '_' "
                         "(write \"$${\" for a literal \"${\")");
            break;
        }
        if ((size_t)(end - name) > MAX_VAR_NAME) {
            c->var[0] = '\0';
            rc = fail(c, "environment variable name longer than %d characters", MAX_VAR_NAME);
            break;
        }
        memcpy(var, name, (size_t)(end - name));
        var[end - name] = '\0';
        const char *v = getenv(var);
        if (!v) {
            c->var[0] = '\0';
            rc = fail(c, "environment variable %s is not set", var);
            break;
        }
        if (!c->var[0])
            memcpy(c->var, var, (size_t)(end - name) + 1);
        rc = lc_buf_append(&b, v, strlen(v));
        p = end + 1;
    }
    if (rc == LC_E_NOMEM || rc == LC_E_TOO_LARGE)
        rc = nomem(c);
    if (rc) {
        lc_buf_free(&b);
        return rc;
    }
    *out = lc_buf_steal(&b);
    return *out ? 0 : nomem(c);
}

/* ---- value checks ------------------------------------------------------------------------ */

/* Each returns 0 or LC_E_INVALID with *why set (never quoting the value), or LC_E_NOMEM. They
 * may rewrite *v (normalisation). */

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static bool is_lower_alnum(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

static bool is_account(const char *s)
{
    return strlen(s) == 12 && all_digits(s, 12);
}

static int chk_account(char **v, const char **why)
{
    if (is_account(*v))
        return 0;
    *why = "expected a 12-digit account id like \"123456789012\"";
    return LC_E_INVALID;
}

/* "<2 letters>(-<letters>){1,2}-<1-2 digits>": ap-northeast-1, us-gov-west-1, cn-north-1,
 * us-isob-east-1. */
static bool is_region(const char *s)
{
    size_t parts = 0;
    const char *p = s;

    for (;;) {
        const char *start = p;
        while (*p && *p != '-')
            p++;
        size_t n = (size_t)(p - start);
        parts++;
        if (parts == 1) {
            if (n != 2 || start[0] < 'a' || start[0] > 'z' || start[1] < 'a' || start[1] > 'z')
                return false;
        } else if (!*p) {
            return parts >= 3 && parts <= 4 && n >= 1 && n <= 2 && all_digits(start, n);
        } else {
            if (n == 0)
                return false;
            for (size_t i = 0; i < n; i++)
                if (start[i] < 'a' || start[i] > 'z')
                    return false;
        }
        if (!*p)
            return false;
        p++;
    }
}

static int chk_region(char **v, const char **why)
{
    size_t n = strlen(*v);

    if (is_region(*v))
        return 0;
    if (n > 1 && (*v)[n - 1] >= 'a' && (*v)[n - 1] <= 'z' && (*v)[n - 2] >= '0' &&
        (*v)[n - 2] <= '9') {
        char *copy = strdup(*v);
        if (!copy)
            return LC_E_NOMEM;
        copy[n - 1] = '\0';
        bool az = is_region(copy);
        free(copy);
        if (az) {
            *why = "expected a region name like \"ap-northeast-1\", not an availability zone";
            return LC_E_INVALID;
        }
    }
    *why = "expected a region name like \"ap-northeast-1\", \"us-gov-west-1\" or \"cn-north-1\"";
    return LC_E_INVALID;
}

/* arn:partition:service:region:account:resource, pointing into a copy the caller frees. */
struct arn {
    char *buf;
    const char *partition, *service, *region, *account, *resource;
};

static int arn_split(const char *s, struct arn *a)
{
    char *f[6];
    char *p;

    memset(a, 0, sizeof(*a));
    a->buf = strdup(s);
    if (!a->buf)
        return LC_E_NOMEM;
    p = a->buf;
    for (int i = 0; i < 5; i++) {
        char *colon = strchr(p, ':');
        if (!colon)
            return LC_E_INVALID;
        *colon = '\0';
        f[i] = p;
        p = colon + 1;
    }
    f[5] = p;
    if (strcmp(f[0], "arn") != 0)
        return LC_E_INVALID;
    a->partition = f[1];
    a->service = f[2];
    a->region = f[3];
    a->account = f[4];
    a->resource = f[5];
    return 0;
}

/* aws, aws-cn, aws-us-gov, aws-iso-b, ...: "aws" then "-<lowercase letters>" parts. */
static bool is_partition(const char *p)
{
    if (strncmp(p, "aws", 3) != 0)
        return false;
    p += 3;
    while (*p) {
        if (*p != '-' || !(p[1] >= 'a' && p[1] <= 'z'))
            return false;
        p++;
        while (*p >= 'a' && *p <= 'z')
            p++;
    }
    return true;
}

#define ROLE_ARN_LIKE "like \"arn:aws:iam::123456789012:role/logcanary\""

static int check_role_arn(char **v, const char **why, bool placeholder)
{
    struct arn a;
    int rc = arn_split(*v, &a);

    if (rc == LC_E_NOMEM)
        goto out;
    if (rc || !is_partition(a.partition)) {
        *why = "expected an IAM role ARN " ROLE_ARN_LIKE;
        rc = LC_E_INVALID;
    } else if (strcmp(a.service, "iam") != 0) {
        *why = "expected an ARN of service \"iam\" " ROLE_ARN_LIKE;
        rc = LC_E_INVALID;
    } else if (a.region[0]) {
        *why = "expected an IAM role ARN with an empty region field " ROLE_ARN_LIKE;
        rc = LC_E_INVALID;
    } else if (!is_account(a.account) && !(placeholder && strcmp(a.account, "{account}") == 0)) {
        *why = placeholder
                   ? "expected a 12-digit account id or \"{account}\" in the ARN's "
                     "account field " ROLE_ARN_LIKE
                   : "expected a 12-digit account id in the ARN's account field " ROLE_ARN_LIKE;
        rc = LC_E_INVALID;
    } else if (strncmp(a.resource, "role/", 5) != 0 || !a.resource[5] ||
               a.resource[strlen(a.resource) - 1] == '/') {
        *why = "expected a role ARN (\"...:role/<name>\") " ROLE_ARN_LIKE;
        rc = LC_E_INVALID;
    }
out:
    free(a.buf);
    return rc;
}

static int chk_role_arn(char **v, const char **why)
{
    return check_role_arn(v, why, false);
}

static int chk_status_role_arn(char **v, const char **why)
{
    return check_role_arn(v, why, true);
}

#define KMS_NEED_ARN                                                                               \
    "deliveries are compared by the full key ARN S3 records on each object "                       \
    "(\"arn:aws:kms:<region>:<account>:key/<key-id>\")"

/* A key id: a UUID, or "mrk-" and 32 hex digits (multi-Region keys). */
static bool is_key_id(const char *s)
{
    size_t n = strlen(s);

    if (strncmp(s, "mrk-", 4) == 0) {
        for (size_t i = 4; i < n; i++)
            if (!is_lower_alnum(s[i]))
                return false;
        return n == 36;
    }
    if (n != 36)
        return false;
    for (size_t i = 0; i < n; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !is_lower_alnum((char)lower((unsigned char)s[i])))
            return false;
    }
    return true;
}

static int chk_kms_key_arn(char **v, const char **why)
{
    struct arn a;
    int rc;

    if (strncmp(*v, "alias/", 6) == 0) {
        *why = "expected the key ARN, not an alias: " KMS_NEED_ARN;
        return LC_E_INVALID;
    }
    if (is_key_id(*v)) {
        *why = "expected the key ARN, not a bare key id: " KMS_NEED_ARN;
        return LC_E_INVALID;
    }
    rc = arn_split(*v, &a);
    if (rc == LC_E_NOMEM)
        goto out;
    if (rc || !is_partition(a.partition) || strcmp(a.service, "kms") != 0) {
        *why = "expected a KMS key ARN like "
               "\"arn:aws:kms:ap-northeast-1:123456789012:key/<key-id>\"";
        rc = LC_E_INVALID;
    } else if (strncmp(a.resource, "alias/", 6) == 0) {
        *why = "expected the key ARN, not an alias ARN: " KMS_NEED_ARN;
        rc = LC_E_INVALID;
    } else if (!is_region(a.region) || !is_account(a.account) ||
               strncmp(a.resource, "key/", 4) != 0 || !a.resource[4]) {
        *why = "expected a KMS key ARN like "
               "\"arn:aws:kms:ap-northeast-1:123456789012:key/<key-id>\"";
        rc = LC_E_INVALID;
    }
out:
    free(a.buf);
    return rc;
}

static int chk_org_id(char **v, const char **why)
{
    const char *s = *v;
    size_t n = strlen(s);

    if (n >= 12 && n <= 34 && s[0] == 'o' && s[1] == '-') {
        size_t i = 2;
        while (i < n && is_lower_alnum(s[i]))
            i++;
        if (i == n)
            return 0;
    }
    *why = "expected an organization id like \"o-abc123def4\" ('o-' and 10 to 32 lowercase "
           "letters or digits)";
    return LC_E_INVALID;
}

static bool looks_like_ipv4(const char *s)
{
    int dots = 0, digits = 0;

    for (; *s; s++) {
        if (*s == '.') {
            if (!digits)
                return false;
            dots++;
            digits = 0;
        } else if (*s >= '0' && *s <= '9') {
            digits++;
        } else {
            return false;
        }
    }
    return dots == 3 && digits;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* S3 general purpose bucket naming rules. */
static int chk_bucket(char **v, const char **why)
{
    const char *s = *v;
    size_t n = strlen(s);

    if (strncmp(s, "s3://", 5) == 0 || strncmp(s, "arn:", 4) == 0) {
        *why = "expected a bare bucket name, not a URL or ARN";
        return LC_E_INVALID;
    }
    if (strchr(s, '/')) {
        *why = "expected a bare bucket name: give the folder in \"prefix\"";
        return LC_E_INVALID;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] >= 'A' && s[i] <= 'Z') {
            *why = "expected an S3 bucket name: bucket names are lowercase";
            return LC_E_INVALID;
        }
    }
    *why = "expected an S3 bucket name (3 to 63 lowercase letters, digits, '.' and '-', "
           "starting and ending with a letter or digit)";
    if (n < 3 || n > 63 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
        return LC_E_INVALID;
    for (size_t i = 0; i < n; i++)
        if (!is_lower_alnum(s[i]) && s[i] != '.' && s[i] != '-')
            return LC_E_INVALID;
    if (strstr(s, "..") || strstr(s, ".-") || strstr(s, "-.")) {
        *why = "expected an S3 bucket name: no \"..\", \".-\" or \"-.\"";
        return LC_E_INVALID;
    }
    if (looks_like_ipv4(s)) {
        *why = "expected an S3 bucket name, not an IP address";
        return LC_E_INVALID;
    }
    if (strncmp(s, "xn--", 4) == 0 || strncmp(s, "sthree-", 7) == 0 || ends_with(s, "-s3alias") ||
        ends_with(s, "--ol-s3") || ends_with(s, "--x-s3") || ends_with(s, ".mrap")) {
        *why = "expected an S3 bucket name: the prefixes \"xn--\", \"sthree-\" and the "
               "suffixes \"-s3alias\", \"--ol-s3\", \"--x-s3\", \".mrap\" are reserved";
        return LC_E_INVALID;
    }
    return 0;
}

/* http(s)://host[:port][/path], no credentials, query or fragment; a trailing '/' is dropped. */
static int chk_url(char **v, const char **why)
{
    char *s = *v;
    size_t skip, n;

    *why = "expected an http:// or https:// URL like \"https://s3.ap-northeast-1.amazonaws.com\"";
    if (strncmp(s, "https://", 8) == 0)
        skip = 8;
    else if (strncmp(s, "http://", 7) == 0)
        skip = 7;
    else
        return LC_E_INVALID;
    if (!s[skip] || s[skip] == '/' || s[skip] == ':')
        return LC_E_INVALID;
    for (const char *p = s; *p; p++)
        if (*p == ' ' || *p == '?' || *p == '#')
            return LC_E_INVALID;
    const char *slash = strchr(s + skip, '/');
    const char *at = strchr(s + skip, '@');
    if (at && (!slash || at < slash)) {
        *why = "expected a URL without credentials (\"user@\")";
        return LC_E_INVALID;
    }
    n = strlen(s);
    while (n > skip + 1 && s[n - 1] == '/')
        s[--n] = '\0';
    return 0;
}

/* Webhook URLs: http(s)://host[:port][/path][?query], no credentials, fragment or spaces. Kept
 * as given (the path and query may be the credential). */
static int chk_webhook_url(char **v, const char **why)
{
    const char *s = *v;
    size_t skip;

    *why = "expected an http:// or https:// URL like \"https://hooks.example.com/...\"";
    if (strncmp(s, "https://", 8) == 0)
        skip = 8;
    else if (strncmp(s, "http://", 7) == 0)
        skip = 7;
    else
        return LC_E_INVALID;
    if (!s[skip] || strchr("/:?", s[skip]))
        return LC_E_INVALID;
    for (const char *p = s; *p; p++)
        if (*p == ' ' || *p == '#')
            return LC_E_INVALID;
    size_t host_len = strcspn(s + skip, "/?");
    const char *at = memchr(s + skip, '@', host_len);
    if (at) {
        *why = "expected a URL without credentials (\"user@\")";
        return LC_E_INVALID;
    }
    return 0;
}

static int chk_abs_path(char **v, const char **why)
{
    if ((*v)[0] == '/')
        return 0;
    *why = "expected an absolute path like \"/var/lib/logcanary\"";
    return LC_E_INVALID;
}

/* Folders: no "//" and no AWSLogs folder. */
static int check_folders(const char *s, const char **why, const char *awslogs_why)
{
    const char *p = s;

    while (*p) {
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == 0) {
            *why = "expected folders separated by single '/' (an empty folder name)";
            return LC_E_INVALID;
        }
        if (n == 7 && strncmp(p, "AWSLogs", 7) == 0) {
            *why = awslogs_why;
            return LC_E_INVALID;
        }
        if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
            *why = "expected folders, not \".\" or \"..\"";
            return LC_E_INVALID;
        }
        p += n;
        if (*p == '/')
            p++;
    }
    return 0;
}

static void strip_slashes(char *s)
{
    size_t lead = strspn(s, "/");
    size_t n = strlen(s + lead);

    memmove(s, s + lead, n + 1);
    while (n && s[n - 1] == '/')
        s[--n] = '\0';
}

static int chk_prefix(char **v, const char **why)
{
    strip_slashes(*v);
    return check_folders(*v, why,
                         "must not contain the AWSLogs folder: give the folder before "
                         "\"AWSLogs/\" (the services add AWSLogs/ themselves)");
}

static int chk_canary_prefix(char **v, const char **why)
{
    size_t n;
    char *s;
    int rc;

    strip_slashes(*v);
    if (!**v) {
        *why = "expected a folder like \"logcanary-canary/\"";
        return LC_E_INVALID;
    }
    rc = check_folders(*v, why,
                       "must not be under AWSLogs/: the canary must stay out of the "
                       "services' delivery folders");
    if (rc)
        return rc;
    n = strlen(*v);
    s = realloc(*v, n + 2);
    if (!s)
        return LC_E_NOMEM;
    s[n] = '/';
    s[n + 1] = '\0';
    *v = s;
    return 0;
}

static int chk_name(char **v, const char **why)
{
    const char *s = *v;
    size_t n = strlen(s);

    *why = "expected a name of 1 to 64 letters, digits, '.', '_' or '-', starting with a "
           "letter or digit";
    if (n > 64 || !is_lower_alnum((char)lower((unsigned char)s[0])))
        return LC_E_INVALID;
    for (size_t i = 0; i < n; i++)
        if (!is_lower_alnum((char)lower((unsigned char)s[i])) && !strchr("._-", s[i]))
            return LC_E_INVALID;
    return 0;
}

/* STS ExternalId: 2 to 1224 characters of [\w+=,.@:/-]. */
static int chk_external_id(char **v, const char **why)
{
    const char *s = *v;
    size_t n = strlen(s);

    *why = "expected 2 to 1224 letters, digits and characters of \"_+=,.@:/-\" (the STS "
           "ExternalId rules)";
    if (n < 2 || n > 1224)
        return LC_E_INVALID;
    for (size_t i = 0; i < n; i++)
        if (!is_lower_alnum((char)lower((unsigned char)s[i])) && !strchr("_+=,.@:/-", s[i]))
            return LC_E_INVALID;
    return 0;
}

static int chk_none(char **v, const char **why)
{
    (void)v;
    (void)why;
    return 0;
}

struct check_def {
    int (*fn)(char **v, const char **why);
    const char *doc; /* for the reference */
};

static const struct check_def checks[] = {
    [K_NONE] = {chk_none, NULL},
    [K_NAME] = {chk_name, "1 to 64 letters, digits, `.`, `_`, `-`"},
    [K_ACCOUNT] = {chk_account, "12-digit account ids"},
    [K_REGION] = {chk_region, "region names like `ap-northeast-1`, `us-gov-west-1`, `cn-north-1`"},
    [K_ROLE_ARN] = {chk_role_arn, "`arn:<partition>:iam::<account>:role/<name>`"},
    [K_STATUS_ROLE_ARN] = {chk_status_role_arn,
                           "`arn:<partition>:iam::<account or {account}>:role/<name>`"},
    [K_KMS_KEY_ARN] = {chk_kms_key_arn, "`arn:<partition>:kms:<region>:<account>:key/<key-id>`, "
                                        "not a key id or alias"},
    [K_ORG_ID] = {chk_org_id, "`o-` and 10 to 32 lowercase letters or digits"},
    [K_BUCKET] = {chk_bucket, "an S3 bucket name"},
    [K_URL] = {chk_url, "`http://` or `https://` URLs"},
    [K_PREFIX] = {chk_prefix, "folders; leading and trailing `/` are dropped; no `AWSLogs` "
                              "folder"},
    [K_CANARY_PREFIX] = {chk_canary_prefix, "a folder; ends with `/` (added); not under "
                                            "`AWSLogs/`"},
    [K_EXTERNAL_ID] = {chk_external_id, "2 to 1224 letters, digits and `_+=,.@:/-`"},
    [K_WEBHOOK_URL] = {chk_webhook_url, "`http://` or `https://` URLs, no credentials"},
    [K_ABS_PATH] = {chk_abs_path, "an absolute path"},
};

_Static_assert(NELEM(checks) == K_ABS_PATH + 1, "one check_def per enum cfg_check");

/* The checks every string value gets, then the entry's own. May rewrite *v. */
static int check_string(struct ctx *c, const struct cfg_entry *e, char **v)
{
    const char *why = NULL;
    int rc;

    if (!**v && !(e->flags & F_EMPTY_OK))
        return fail(c, "must not be empty");
    for (const char *p = *v; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return fail(c, "must not contain control characters");
    rc = checks[e->check].fn(v, &why);
    if (rc == LC_E_NOMEM)
        return nomem(c);
    if (rc)
        return fail(c, "%s", why ? why : "invalid value");
    return 0;
}

/* ---- typed values ------------------------------------------------------------------------ */

static void *field(void *base, const struct cfg_entry *e)
{
    return (char *)base + e->off;
}

/* "65536", "64KiB", "8MiB", "1GiB". */
static int parse_size(const char *s, uint64_t *out)
{
    static const struct {
        const char *unit;
        uint64_t mult;
    } units[] = {
        {"", 1}, {"B", 1}, {"KiB", 1024}, {"MiB", 1024 * 1024}, {"GiB", 1024 * 1024 * 1024}};
    uint64_t n = 0;
    const char *p = s;

    if (*p < '0' || *p > '9')
        return LC_E_PARSE;
    while (*p >= '0' && *p <= '9') {
        if (__builtin_mul_overflow(n, 10, &n) ||
            __builtin_add_overflow(n, (uint64_t)(*p - '0'), &n))
            return LC_E_PARSE;
        p++;
    }
    for (size_t i = 0; i < NELEM(units); i++)
        if (strcmp(p, units[i].unit) == 0)
            return __builtin_mul_overflow(n, units[i].mult, out) ? LC_E_PARSE : 0;
    return LC_E_PARSE;
}

/* Human form of a size for messages and docs: "8MiB", "1KiB", "1000". */
static const char *size_text(uint64_t n, char *buf, size_t len)
{
    if (n && n % (1024 * 1024) == 0)
        snprintf(buf, len, "%lluMiB", (unsigned long long)(n / (1024 * 1024)));
    else if (n && n % 1024 == 0)
        snprintf(buf, len, "%lluKiB", (unsigned long long)(n / 1024));
    else
        snprintf(buf, len, "%llu", (unsigned long long)n);
    return buf;
}

/* `"a", "b", "c"` for messages. */
static void quoted_list(const char *const *names, char *buf, size_t len)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; names[i] && used < len; i++) {
        int n = snprintf(buf + used, len - used, "%s\"%s\"", i ? ", " : "", names[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

static int enum_index(struct ctx *c, const struct cfg_entry *e, const char *s, size_t *idx)
{
    struct suggestion sug = {0};
    char list[256];

    for (size_t i = 0; e->names[i]; i++) {
        if (strcmp(s, e->names[i]) == 0) {
            *idx = i;
            return 0;
        }
        consider(&sug, s, e->names[i]);
    }
    quoted_list(e->names, list, sizeof(list));
    if (sug.name)
        return fail(c, "expected one of %s (did you mean \"%s\"?)", list, sug.name);
    return fail(c, "expected one of %s", list);
}

/* Store a string-form value (expanded, or a default) into the entry's field. */
static int store_text(struct ctx *c, const struct cfg_entry *e, void *base, const char *text)
{
    char lo[32], hi[32];

    switch (e->type) {
    case T_STRING: {
        char *v = strdup(text);
        if (!v)
            return nomem(c);
        int rc = check_string(c, e, &v);
        if (rc) {
            free(v);
            return rc;
        }
        char **slot = field(base, e);
        free(*slot);
        *slot = v;
        return 0;
    }
    case T_DURATION: {
        int64_t secs;
        if (lc_duration_parse(text, &secs) != 0)
            return fail(c, "expected a duration like \"30m\"");
        if (secs < e->min || secs > e->max)
            return fail(c, "expected a duration from %s to %s",
                        lc_duration_format(e->min, lo, sizeof(lo)),
                        lc_duration_format(e->max, hi, sizeof(hi)));
        *(int64_t *)field(base, e) = secs;
        return 0;
    }
    case T_SIZE: {
        uint64_t n;
        if (parse_size(text, &n) != 0)
            return fail(c, "expected a size like 65536, \"64KiB\" or \"1MiB\"");
        if (n < (uint64_t)e->min || n > (uint64_t)e->max)
            return fail(c, "expected a size from %s to %s",
                        size_text((uint64_t)e->min, lo, sizeof(lo)),
                        size_text((uint64_t)e->max, hi, sizeof(hi)));
        *(size_t *)field(base, e) = (size_t)n;
        return 0;
    }
    case T_ENUM: {
        size_t idx;
        int rc = enum_index(c, e, text, &idx);
        if (rc)
            return rc;
        int v = (int)idx;
        memcpy(field(base, e), &v, sizeof(v));
        return 0;
    }
    case T_ENUMSTR: {
        size_t idx;
        int rc = enum_index(c, e, text, &idx);
        if (rc)
            return rc;
        char *v = strdup(e->names[idx]);
        if (!v)
            return nomem(c);
        char **slot = field(base, e);
        free(*slot);
        *slot = v;
        return 0;
    }
    case T_BOOL: /* defaults only */
        if (strcmp(text, "true") != 0 && strcmp(text, "false") != 0)
            return fail(c, "expected true or false");
        *(bool *)field(base, e) = strcmp(text, "true") == 0;
        return 0;
    case T_INT: { /* defaults only */
        char *end;
        errno = 0;
        long long n = strtoll(text, &end, 10);
        if (errno || *end || end == text || n < e->min || n > e->max)
            return fail(c, "expected an integer from %lld to %lld", (long long)e->min,
                        (long long)e->max);
        *(int *)field(base, e) = (int)n;
        return 0;
    }
    default:
        break;
    }
    lc_error_set(c->err, LC_E_INTERNAL, "%s: no text form for this key", path_str(c));
    return LC_E_INTERNAL;
}

/* A JSON string value: expand the environment, then store. */
static int store_json_string(struct ctx *c, const struct cfg_entry *e, void *base, const cJSON *v)
{
    char *text = NULL;
    int rc = expand(c, v->valuestring, &text);

    if (!rc)
        rc = store_text(c, e, base, text);
    free(text);
    return rc;
}

static const char *json_type_name(const cJSON *v)
{
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsBool(v))
        return "a boolean";
    if (cJSON_IsArray(v))
        return "an array";
    if (cJSON_IsObject(v))
        return "an object";
    return "null";
}

static int expect_string(struct ctx *c, const struct cfg_entry *e, const cJSON *v)
{
    if (cJSON_IsString(v))
        return 0;
    if (e->check == K_ACCOUNT && cJSON_IsNumber(v))
        return fail(c, "expected a string, not a number: write account ids in quotes "
                       "(\"012345678901\"), numbers lose leading zeros");
    return fail(c, "expected a string, not %s", json_type_name(v));
}

/* Sort helper for duplicate detection in string lists. */
struct strref {
    const char *s;
    size_t i;
};

static int strref_cmp(const void *a, const void *b)
{
    const struct strref *x = a, *y = b;
    int r = strcmp(x->s, y->s);
    if (r)
        return r;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* The earliest element (*dup) equal to an earlier one (*first) in O(n log n); *dup = SIZE_MAX
 * when all differ. 0 or LC_E_NOMEM. */
static int first_duplicate(const char *const *v, size_t n, size_t *dup, size_t *first)
{
    struct strref *refs;

    *dup = SIZE_MAX;
    *first = 0;
    if (n < 2)
        return 0;
    refs = malloc(n * sizeof(*refs));
    if (!refs)
        return LC_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        refs[i].s = v[i];
        refs[i].i = i;
    }
    qsort(refs, n, sizeof(*refs), strref_cmp);
    /* Equal values sort by index: the first of each run is the original. */
    for (size_t i = 1, run = 0; i < n; i++) {
        if (strcmp(refs[i].s, refs[run].s) != 0) {
            run = i;
        } else if (refs[i].i < *dup) {
            *dup = refs[i].i;
            *first = refs[run].i;
        }
    }
    free(refs);
    return 0;
}

static int parse_strlist(struct ctx *c, const struct cfg_entry *e, void *base, const cJSON *v)
{
    char ***slot = field(base, e);
    size_t *count = (size_t *)((char *)base + e->off_n);
    size_t n = (size_t)cJSON_GetArraySize(v);
    const cJSON *it;
    size_t i = 0;
    int rc = 0;

    if (!cJSON_IsArray(v))
        return fail(c, "expected an array of strings, not %s", json_type_name(v));
    if (n == 0)
        return fail(c, "expected a non-empty array of strings");
    *slot = calloc(n, sizeof(char *));
    if (!*slot)
        return nomem(c);
    cJSON_ArrayForEach(it, v)
    {
        size_t mark = path_push_index(c, i);
        char *text = NULL;
        rc = expect_string(c, e, it);
        if (!rc)
            rc = expand(c, it->valuestring, &text);
        if (!rc) {
            rc = check_string(c, e, &text);
            if (rc)
                free(text);
            else
                (*slot)[(*count)++] = text;
        }
        c->var[0] = '\0';
        if (rc)
            return rc;
        path_pop(c, mark);
        i++;
    }
    if (!(e->flags & F_UNIQUE))
        return 0;
    size_t dup, first;
    if (first_duplicate((const char *const *)*slot, n, &dup, &first) == LC_E_NOMEM)
        return nomem(c);
    if (dup != SIZE_MAX) {
        size_t mark = path_push_index(c, dup);
        rc = fail(c, "duplicate of %s[%zu]", e->key, first);
        path_pop(c, mark);
    }
    return rc;
}

static bool is_comment(const char *key)
{
    return key[0] == '/' && key[1] == '/';
}

/* The unknown-key message: a close key of this table, else the table that has the key, else the
 * list of valid keys. */
static int unknown_key(struct ctx *c, const char *key, const char *const *names,
                       const struct cfg_map *m, const char *what)
{
    struct suggestion sug = {0};
    char list[320];
    size_t used = 0;

    list[0] = '\0';
    for (size_t i = 0; m ? i < m->n : names[i] != NULL; i++) {
        const char *cand = m ? m->e[i].key : names[i];
        consider(&sug, key, cand);
        int w = snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", cand);
        if (w > 0 && (size_t)w < sizeof(list) - used)
            used += (size_t)w;
    }
    if (sug.name)
        return fail(c, "unknown %s (did you mean \"%s\"?)", what, sug.name);
    if (m) {
        for (size_t j = 0; j < NELEM(all_maps); j++) {
            const struct cfg_map *o = all_maps[j];
            for (size_t i = 0; o != m && i < o->n; i++)
                if (strcmp(o->e[i].key, key) == 0 && o->path[0])
                    return fail(c, "unknown %s (\"%s\" is a key of %s)", what, o->e[i].key,
                                o->path);
        }
    }
    return fail(c, "unknown %s (expected one of: %s)", what, list);
}

static int parse_map(struct ctx *c, const struct cfg_entry *e, void *base, const cJSON *v)
{
    struct lc_kvlist *kv = field(base, e);
    uint64_t seen = 0;
    const cJSON *it;
    int rc = 0;

    if (!cJSON_IsObject(v))
        return fail(c, "expected an object, not %s", json_type_name(v));
    cJSON_ArrayForEach(it, v)
    {
        size_t idx = 0, mark;
        char *text = NULL;

        if (is_comment(it->string))
            continue;
        mark = path_push_key(c, it->string);
        while (e->names[idx] && strcmp(e->names[idx], it->string) != 0)
            idx++;
        if (!e->names[idx])
            return unknown_key(c, it->string, e->names, NULL, "service");
        if (seen & (1ull << idx))
            return fail(c, "duplicate key (a key may appear only once per object)");
        seen |= 1ull << idx;
        if (cJSON_IsNull(it)) {
            path_pop(c, mark);
            continue;
        }
        rc = expect_string(c, e, it);
        if (!rc)
            rc = expand(c, it->valuestring, &text);
        if (!rc)
            rc = check_string(c, e, &text);
        if (!rc && lc_kv_add(kv, it->string, text) != 0)
            rc = nomem(c);
        free(text);
        c->var[0] = '\0';
        if (rc)
            return rc;
        path_pop(c, mark);
    }
    return 0;
}

static int parse_object(struct ctx *c, const cJSON *obj, const struct cfg_map *m, void *base);

static int parse_objarray(struct ctx *c, const struct cfg_entry *e, void *base, const cJSON *v)
{
    size_t n = (size_t)cJSON_GetArraySize(v);
    size_t *count = (size_t *)((char *)base + e->off_n);
    const cJSON *it;
    char *items;
    size_t i = 0;

    if (!cJSON_IsArray(v))
        return fail(c, "expected an array of objects, not %s", json_type_name(v));
    if (n == 0)
        return fail(c, "expected a non-empty array of objects");
    items = calloc(n, e->sub->size);
    if (!items)
        return nomem(c);
    memcpy(field(base, e), &items, sizeof(items));
    *count = n; /* zeroed elements free cleanly if parsing stops half way */
    cJSON_ArrayForEach(it, v)
    {
        size_t mark = path_push_index(c, i);
        int rc;
        if (!cJSON_IsObject(it))
            return fail(c, "expected an object, not %s", json_type_name(it));
        rc = parse_object(c, it, e->sub, items + i * e->sub->size);
        if (rc)
            return rc;
        path_pop(c, mark);
        i++;
    }
    return 0;
}

static int parse_value(struct ctx *c, const struct cfg_entry *e, void *base, const cJSON *v)
{
    switch (e->type) {
    case T_STRING:
    case T_ENUM:
    case T_ENUMSTR:
        if (!cJSON_IsString(v))
            return expect_string(c, e, v);
        return store_json_string(c, e, base, v);
    case T_DURATION:
        if (!cJSON_IsString(v))
            return fail(c, "expected a duration like \"30m\"");
        return store_json_string(c, e, base, v);
    case T_SIZE:
        if (cJSON_IsNumber(v)) {
            char lo[32], hi[32];
            double d = v->valuedouble;
            if (!(d >= (double)e->min && d <= (double)e->max) || (double)(int64_t)d != d)
                return fail(c, "expected a size from %s to %s",
                            size_text((uint64_t)e->min, lo, sizeof(lo)),
                            size_text((uint64_t)e->max, hi, sizeof(hi)));
            *(size_t *)field(base, e) = (size_t)d;
            return 0;
        }
        if (!cJSON_IsString(v))
            return fail(c, "expected a size like 65536, \"64KiB\" or \"1MiB\"");
        return store_json_string(c, e, base, v);
    case T_BOOL:
        if (!cJSON_IsBool(v))
            return fail(c, "expected true or false, not %s", json_type_name(v));
        *(bool *)field(base, e) = cJSON_IsTrue(v);
        return 0;
    case T_INT: {
        double d = v->valuedouble;
        if (!cJSON_IsNumber(v) || !(d >= (double)e->min && d <= (double)e->max) ||
            (double)(int64_t)d != d)
            return fail(c, "expected an integer from %lld to %lld", (long long)e->min,
                        (long long)e->max);
        *(int *)field(base, e) = (int)d;
        return 0;
    }
    case T_STRLIST:
        return parse_strlist(c, e, base, v);
    case T_MAP:
        return parse_map(c, e, base, v);
    case T_OBJECT:
        if (!cJSON_IsObject(v))
            return fail(c, "expected an object, not %s", json_type_name(v));
        return parse_object(c, v, e->sub, base);
    case T_OBJARRAY:
        return parse_objarray(c, e, base, v);
    }
    lc_error_set(c->err, LC_E_INTERNAL, "%s: unknown key type", path_str(c));
    return LC_E_INTERNAL;
}

static int disc_value(const struct cfg_map *m, const void *base)
{
    int v;
    memcpy(&v, (const char *)base + m->e[m->disc].off, sizeof(v));
    return v;
}

/* "\"type\": \"cloudtrail\"" for the discriminator values in mask. */
static void only_text(const struct cfg_map *m, unsigned mask, char *buf, size_t len)
{
    const struct cfg_entry *d = &m->e[m->disc];
    size_t used = 0;
    int w = snprintf(buf, len, "\"%s\": ", d->key);

    if (w > 0)
        used = (size_t)w;
    for (size_t i = 0, k = 0; d->names[i] && used < len; i++) {
        if (!(mask & (1u << i)))
            continue;
        w = snprintf(buf + used, len - used, "%s\"%s\"", k++ ? " or " : "", d->names[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

/* An object of table m into base: keys in file order, then required keys, type-dependent keys,
 * defaults and the table's cross-key rules. obj may be NULL (absent: defaults only). */
static int parse_object(struct ctx *c, const cJSON *obj, const struct cfg_map *m, void *base)
{
    uint64_t seen = 0, set = 0;
    const cJSON *it;
    int rc = 0;
    int disc = -1;

    if (obj) {
        cJSON_ArrayForEach(it, obj)
        {
            size_t i = 0, mark;
            if (is_comment(it->string))
                continue;
            mark = path_push_key(c, it->string);
            while (i < m->n && strcmp(m->e[i].key, it->string) != 0)
                i++;
            if (i == m->n)
                return unknown_key(c, it->string, NULL, m, "key");
            if (seen & (1ull << i))
                return fail(c, "duplicate key (a key may appear only once per object)");
            seen |= 1ull << i;
            if (!cJSON_IsNull(it)) {
                set |= 1ull << i;
                rc = parse_value(c, &m->e[i], base, it);
                c->var[0] = '\0';
                if (rc)
                    return rc;
            }
            path_pop(c, mark);
        }
    }
    for (size_t i = 0; i < m->n; i++) {
        if ((m->e[i].flags & F_REQUIRED) && !(set & (1ull << i))) {
            path_push_key(c, m->e[i].key);
            return fail(c, "required key is missing");
        }
    }
    if (m->disc >= 0)
        disc = disc_value(m, base);
    for (size_t i = 0; i < m->n; i++) {
        const struct cfg_entry *e = &m->e[i];
        char want[128];
        if (!e->only || disc < 0 || (e->only & (1u << disc)) || !(set & (1ull << i)))
            continue;
        only_text(m, e->only, want, sizeof(want));
        path_push_key(c, e->key);
        return fail(c, "only valid with %s", want);
    }
    for (size_t i = 0; i < m->n && !rc; i++) {
        const struct cfg_entry *e = &m->e[i];
        const char *def = e->def;
        size_t mark;
        if (set & (1ull << i))
            continue;
        if (e->only && (disc < 0 || !(e->only & (1u << disc))))
            continue;
        if (e->def_by && disc >= 0)
            def = e->def_by[disc];
        mark = path_push_key(c, e->key);
        if (e->type == T_OBJECT)
            rc = parse_object(c, NULL, e->sub, base);
        else if (def)
            rc = store_text(c, e, base, def);
        if (rc)
            return rc;
        path_pop(c, mark);
    }
    return m->finish ? m->finish(c, base) : 0;
}

/* ---- cross-key rules --------------------------------------------------------------------- */

static int fail_at(struct ctx *c, const char *key, const char *what)
{
    size_t mark = path_push_key(c, key);
    int rc = fail(c, "%s", what);
    path_pop(c, mark);
    return rc;
}

static int target_finish(struct ctx *c, void *base)
{
    struct lc_target_cfg *t = base;

    if (t->external_id && !t->role_arn)
        return fail_at(c, "external_id", "only valid with \"role_arn\"");
    if (t->prefix && !t->prefix[0]) {
        free(t->prefix);
        t->prefix = NULL;
    }
    return 0;
}

static int root_finish(struct ctx *c, void *base)
{
    struct lc_config *cfg = base;

    if (cfg->max_per_host > cfg->max_concurrency) {
        size_t mark = path_push_key(c, "aws");
        path_push_key(c, "max_per_host");
        int rc = fail(c, "must not exceed aws.max_concurrency (%d)", cfg->max_concurrency);
        path_pop(c, mark);
        return rc;
    }
    const char **names = malloc((cfg->n_targets + 1) * sizeof(*names));
    size_t dup, first;
    int rc = 0;
    if (!names)
        return nomem(c);
    for (size_t i = 0; i < cfg->n_targets; i++)
        names[i] = cfg->targets[i].name;
    rc = first_duplicate(names, cfg->n_targets, &dup, &first);
    free(names);
    if (rc)
        return nomem(c);
    if (dup != SIZE_MAX) {
        size_t mark = path_push_key(c, "targets");
        path_push_index(c, dup);
        path_push_key(c, "name");
        rc = fail(c, "duplicate target name (also targets[%zu].name)", first);
        path_pop(c, mark);
    }
    return rc;
}

static int webhook_finish(struct ctx *c, void *base)
{
    struct lc_webhook_cfg *w = base;

    if (w->type == LC_WEBHOOK_PAGERDUTY && !w->routing_key)
        return fail_at(c, "routing_key", "required key is missing (\"type\": \"pagerduty\")");
    if (!w->url && w->type != LC_WEBHOOK_PAGERDUTY)
        return fail_at(c, "url", "required key is missing");
    if (!w->url) {
        w->url = strdup(LC_PAGERDUTY_EVENTS_URL);
        if (!w->url)
            return nomem(c);
    }
    return 0;
}

static int alerts_finish(struct ctx *c, void *base)
{
    struct lc_config *cfg = base;
    const char **names;
    size_t dup, first;
    int rc;

    if (!cfg->n_webhooks)
        return 0;
    names = malloc(cfg->n_webhooks * sizeof(*names));
    if (!names)
        return nomem(c);
    for (size_t i = 0; i < cfg->n_webhooks; i++)
        names[i] = cfg->webhooks[i].name;
    rc = first_duplicate(names, cfg->n_webhooks, &dup, &first);
    free(names);
    if (rc)
        return nomem(c);
    if (dup != SIZE_MAX) {
        size_t mark = path_push_key(c, "webhooks");
        path_push_index(c, dup);
        path_push_key(c, "name");
        rc = fail(c, "duplicate webhook name (also alerts.webhooks[%zu].name)", first);
        path_pop(c, mark);
    }
    return rc;
}

/* ---- freeing ----------------------------------------------------------------------------- */

static void free_object(const struct cfg_map *m, void *base)
{
    for (size_t i = 0; i < m->n; i++) {
        const struct cfg_entry *e = &m->e[i];
        switch (e->type) {
        case T_STRING:
        case T_ENUMSTR:
            free(*(char **)field(base, e));
            break;
        case T_STRLIST: {
            char **list = *(char ***)field(base, e);
            size_t n = *(size_t *)((char *)base + e->off_n);
            for (size_t k = 0; list && k < n; k++)
                free(list[k]);
            free(list);
            break;
        }
        case T_MAP:
            lc_kv_free(field(base, e));
            break;
        case T_OBJECT:
            free_object(e->sub, base);
            break;
        case T_OBJARRAY: {
            char *items;
            size_t n = *(size_t *)((char *)base + e->off_n);
            memcpy(&items, field(base, e), sizeof(items));
            for (size_t k = 0; items && k < n; k++)
                free_object(e->sub, items + k * e->sub->size);
            free(items);
            break;
        }
        default:
            break;
        }
    }
}

void lc_config_free(struct lc_config *cfg)
{
    if (!cfg)
        return;
    free_object(&root_map, cfg);
    free(cfg->origin);
    free(cfg);
}

const char *lc_webhook_type_name(enum lc_webhook_type t)
{
    if ((unsigned)t < NELEM(webhook_type_names) - 1)
        return webhook_type_names[t];
    return "unknown";
}

const char *lc_source_type_name(enum lc_source_type t)
{
    if ((unsigned)t < NELEM(source_type_names) - 1)
        return source_type_names[t];
    return "unknown";
}

/* ---- the text: size, encoding, syntax ---------------------------------------------------- */

/* 1-based line and column (in characters) of byte offset off. */
static void line_col(const char *s, size_t off, unsigned long *line, unsigned long *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\n') {
            (*line)++;
            *col = 1;
        } else if ((ch & 0xc0) != 0x80) {
            (*col)++;
        }
    }
}

static int text_error(struct lc_error *err, const char *origin, const char *s, size_t off,
                      const char *what)
{
    unsigned long line, col;

    line_col(s, off, &line, &col);
    lc_error_set(err, LC_E_PARSE, "%s:%lu:%lu: %s", origin, line, col, what);
    return LC_E_PARSE;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c0 = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf;

    if (c0 < 0x80)
        return 1;
    if (c0 >= 0xc2 && c0 <= 0xdf)
        len = 2;
    else if (c0 >= 0xe0 && c0 <= 0xef)
        len = 3;
    else if (c0 >= 0xf0 && c0 <= 0xf4)
        len = 4;
    else
        return 0;
    if (c0 == 0xe0)
        lo = 0xa0;
    else if (c0 == 0xed)
        hi = 0x9f; /* no UTF-16 surrogates */
    else if (c0 == 0xf0)
        lo = 0x90;
    else if (c0 == 0xf4)
        hi = 0x8f;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return len;
}

/* What cJSON accepts but we do not, with exact positions: NUL bytes, invalid UTF-8, raw control
 * characters and \u0000 in strings, trailing commas, deep nesting. */
static int prescan(const char *s, size_t len, const char *origin, struct lc_error *err)
{
    bool in_str = false, esc = false;
    size_t depth = 0, comma = SIZE_MAX; /* a ',' after a value, not yet followed by one */
    char last = 0;                      /* the last structural character outside strings */

    for (size_t i = 0; i < len;) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == 0)
            return text_error(err, origin, s, i,
                              "NUL byte: the configuration must be UTF-8 JSON text");
        if (ch >= 0x80) {
            size_t n = utf8_seq((const unsigned char *)s + i, len - i);
            if (!n)
                return text_error(err, origin, s, i,
                                  "invalid UTF-8: the configuration must be UTF-8 JSON text");
            i += n;
            comma = SIZE_MAX;
            continue;
        }
        if (in_str) {
            if (esc) {
                esc = false;
                if (ch == 'u' && len - i > 4 && memcmp(s + i + 1, "0000", 4) == 0)
                    return text_error(err, origin, s, i - 1, "\\u0000 is not allowed in strings");
            } else if (ch == '\\') {
                esc = true;
            } else if (ch == '"') {
                in_str = false;
            } else if (ch < 0x20) {
                return text_error(err, origin, s, i,
                                  "invalid JSON: control character in a string (write \\n, "
                                  "\\t, ...)");
            }
        } else if (ch == '"') {
            in_str = true;
            comma = SIZE_MAX;
            last = '"';
        } else if (ch == '{' || ch == '[') {
            if (++depth > MAX_DEPTH)
                return text_error(err, origin, s, i, "invalid JSON: nested too deeply");
            comma = SIZE_MAX;
        } else if (ch == '}' || ch == ']') {
            if (comma != SIZE_MAX)
                return text_error(err, origin, s, comma,
                                  ch == '}' ? "invalid JSON: trailing comma before '}'"
                                            : "invalid JSON: trailing comma before ']'");
            if (depth)
                depth--;
        } else if (ch == ',') {
            comma = last && !strchr("{[,:", last) ? i : SIZE_MAX;
        } else if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r') {
            comma = SIZE_MAX;
        }
        if (!in_str && ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r' && ch != '"')
            last = (char)ch;
        i++;
    }
    return 0;
}

static int syntax_error(struct lc_error *err, const char *origin, const char *s, size_t len,
                        size_t off)
{
    char what[64];
    size_t i = 0;

    while (i < len && strchr(" \t\r\n", s[i]))
        i++;
    if (i == len)
        return text_error(err, origin, s, len, "empty file: expected a JSON object");
    if (off >= len) {
        snprintf(what, sizeof(what), "invalid JSON: unexpected end of file");
        off = len;
    } else if ((unsigned char)s[off] > 0x20 && (unsigned char)s[off] < 0x7f) {
        snprintf(what, sizeof(what), "invalid JSON near '%c'", s[off]);
    } else {
        snprintf(what, sizeof(what), "invalid JSON");
    }
    return text_error(err, origin, s, off, what);
}

/* ---- loading ----------------------------------------------------------------------------- */

int lc_config_load_string(const char *json, size_t len, const char *origin, struct lc_config **out,
                          struct lc_error *err)
{
    struct lc_error local;
    struct ctx c = {.path = {0}};
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

    rc = prescan(text, len, name, err);
    if (rc)
        goto cleanup;
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        skip = 3; /* a byte order mark */
    root = cJSON_ParseWithLengthOpts(text + skip, len - skip + 1, &end, 1);
    if (!root) {
        rc = syntax_error(err, name, text, len, end ? (size_t)(end - text) : len);
        goto cleanup;
    }

    cfg = calloc(1, sizeof(*cfg));
    if (cfg && origin)
        cfg->origin = strdup(origin);
    if (!cfg || (origin && !cfg->origin)) {
        lc_error_set(err, LC_E_NOMEM, "out of memory loading the configuration");
        rc = LC_E_NOMEM;
        goto cleanup;
    }
    c.err = err;
    if (!cJSON_IsObject(root))
        rc = fail(&c, "expected a JSON object, not %s", json_type_name(root));
    else
        rc = parse_object(&c, root, &root_map, cfg);

cleanup:
    cJSON_Delete(root);
    free(text);
    lc_buf_free(&c.path);
    if (rc) {
        lc_config_free(cfg);
        return rc;
    }
    *out = cfg;
    return 0;
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

/* ---- the reference ----------------------------------------------------------------------- */

static const char *const intro[] = {
    "# logcanary configuration",
    "",
    "<!-- Generated by lc_config_write_reference() from the tables in agent/config.c: do not edit.",
    "     Change the tables, then regenerate with",
    "         LC_UPDATE_CONFIG_README=1 build/tests/test_config",
    "     test_config fails while this file and the code disagree. -->",
    "",
    "logcanary reads one JSON file (`logcanary check --config FILE`): which S3 buckets to check,",
    "which log sources deliver into each, and how fresh their newest deliveries must be.",
    "",
    "Two commented examples, one per common layout:",
    "",
    "- [`examples/flowlogs-bucket.json`](examples/flowlogs-bucket.json): an account's own VPC flow",
    "  log bucket with SSE-KMS, several accounts and regions.",
    "- [`examples/control-tower-log-archive.json`](examples/control-tower-log-archive.json): the",
    "  Control Tower log archive bucket `aws-controltower-logs-<account>-<region>` with its",
    "  `<o-id>` prefix: AWS Config, the organization trail and member accounts' flow logs, read",
    "  through a role in the log archive account.",
    "",
    "A minimal file:",
    "",
    "```json",
    "{",
    "  \"aws\": { \"region\": \"ap-northeast-1\" },",
    "  \"targets\": [{",
    "    \"name\": \"flowlogs\",",
    "    \"bucket\": \"my-flow-logs\",",
    "    \"sources\": [",
    "      { \"type\": \"vpcflowlogs\", \"accounts\": [\"111111111111\"], \"regions\": "
    "[\"ap-northeast-1\"] }",
    "    ]",
    "  }]",
    "}",
    "```",
    "",
    "## Syntax",
    "",
    "- **Comments.** JSON has none: a key `\"//\"`, or any key starting with `//`, is ignored",
    "  wherever it appears, with any value. Several `\"//\"` keys may share an object.",
    "- **Environment.** `${NAME}` in any string value is replaced by the environment variable",
    "  `NAME`, as the whole value or inside it, several times if needed: `\"${LOG_ACCOUNT}\"`,",
    "  `\"arn:aws:iam::${LOG_ACCOUNT}:role/logcanary\"`. An unset variable is an error (a set but",
    "  empty one is not). `$${` stands for a literal `${`. Comments are not expanded.",
    "- **null** is the same as leaving the key out.",
    "- **Durations** are strings of numbers with units `d`, `h`, `m`, `s`, largest first:",
    "  `\"90s\"`, `\"30m\"`, `\"7h\"`, `\"1h30m\"`, `\"2d\"`.",
    "- **Sizes** are a number of bytes or a string with a unit: `65536`, `\"64KiB\"`, `\"1MiB\"`.",
    "- **Account ids** are strings: `\"012345678901\"` (a JSON number loses leading zeros).",
    "- **Folders** (`prefix`) are the part of the key before `AWSLogs/`, which the services add",
    "  themselves: for `s3://bucket/o-abc123def4/AWSLogs/...` the prefix is `o-abc123def4`.",
    "",
    "The file must be UTF-8 JSON of at most 1 MiB; a key may appear only once per object, and",
    "unknown keys are errors (a misspelt key would otherwise silently keep its default).",
    "",
    "## Errors",
    "",
    "An invalid file stops logcanary with exit status 2 and one message naming the place in the",
    "file and what was expected:",
    "",
    "```",
    "targets[0].sources[1].max_age: expected a duration like \"30m\"",
    "targets[0].sources[0].maxage: unknown key (did you mean \"max_age\"?)",
    "targets[0].role_arn: environment variable LC_ROLE is not set",
    "logcanary.json:12:5: invalid JSON: trailing comma before '}'",
    "```",
    "",
    "Messages never quote a value (it may have come from the environment and be a secret); for",
    "a value that came from `${NAME}` they name the variable.",
    "",
    "## Keys",
    "",
    "Defaults apply when a key is absent. Keys marked \"only for\" are errors with other source",
    "types.",
    NULL,
};

static const char *type_doc(const struct cfg_entry *e)
{
    switch (e->type) {
    case T_STRING:
        return "string";
    case T_BOOL:
        return "boolean";
    case T_INT:
        return "integer";
    case T_DURATION:
        return "duration";
    case T_SIZE:
        return "size";
    case T_STRLIST:
        return "list of strings";
    case T_ENUM:
    case T_ENUMSTR:
        return "string (enum)";
    case T_MAP:
        return "object of strings";
    case T_OBJECT:
        return "object";
    case T_OBJARRAY:
        return "list of objects";
    }
    return "?";
}

/* Markdown table cells: no '|' and no line breaks. */
static void put_cell(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else
            fputc(*s == '\n' ? ' ' : *s, out);
    }
}

static void default_doc(FILE *out, const struct cfg_map *m, const struct cfg_entry *e)
{
    if (e->def_by && m->disc >= 0) {
        const struct cfg_entry *d = &m->e[m->disc];
        for (size_t i = 0; d->names[i]; i++)
            fprintf(out, "%s%s: `%s`", i ? ", " : "", d->names[i], e->def_by[i]);
    } else if (e->def && (e->type == T_STRING || e->type == T_ENUMSTR)) {
        fprintf(out, "`\"%s\"`", e->def);
    } else if (e->def) {
        fprintf(out, "`%s`", e->def);
    } else if (e->def_doc) {
        put_cell(out, e->def_doc);
    } else {
        fputs("-", out);
    }
}

/* "; " between the parts of the values cell. */
static void sep(FILE *out, bool *any)
{
    if (*any)
        fputs("; ", out);
    *any = true;
}

static void values_doc(FILE *out, const struct cfg_map *m, const struct cfg_entry *e)
{
    char lo[32], hi[32];
    bool any = false;

    if (e->names) {
        sep(out, &any);
        fputs(e->type == T_MAP ? "keys: " : "", out);
        for (size_t i = 0; e->names[i]; i++)
            fprintf(out, "%s`%s`", i ? ", " : "", e->names[i]);
    }
    if (checks[e->check].doc) {
        sep(out, &any);
        fputs(e->type == T_MAP ? "values: " : "", out);
        put_cell(out, checks[e->check].doc);
    }
    if (e->type == T_STRLIST || e->type == T_OBJARRAY) {
        sep(out, &any);
        fputs(e->flags & F_UNIQUE ? "at least one, no duplicates" : "at least one", out);
    }
    if (e->type == T_INT) {
        sep(out, &any);
        fprintf(out, "%lld to %lld", (long long)e->min, (long long)e->max);
    }
    if (e->type == T_DURATION) {
        sep(out, &any);
        fprintf(out, "`%s` to `%s`", lc_duration_format(e->min, lo, sizeof(lo)),
                lc_duration_format(e->max, hi, sizeof(hi)));
    }
    if (e->type == T_SIZE) {
        sep(out, &any);
        fprintf(out, "`%s` to `%s`", size_text((uint64_t)e->min, lo, sizeof(lo)),
                size_text((uint64_t)e->max, hi, sizeof(hi)));
    }
    if (e->flags & F_SECRET) {
        sep(out, &any);
        fputs("secret: never shown, best given as `${NAME}`", out);
    }
    if (e->only && m->disc >= 0) {
        const struct cfg_entry *d = &m->e[m->disc];
        sep(out, &any);
        fprintf(out, "only for %s ", d->key);
        for (size_t i = 0, k = 0; d->names[i]; i++)
            if (e->only & (1u << i))
                fprintf(out, "%s`%s`", k++ ? " or " : "", d->names[i]);
    }
    if (!any)
        fputs("-", out);
}

static void map_doc(FILE *out, const struct cfg_map *m)
{
    fprintf(out, "\n### %s\n\n%s\n\n", m->path[0] ? m->path : "Top level", m->doc);
    fputs("| key | type | default | required | values | description |\n"
          "|---|---|---|---|---|---|\n",
          out);
    for (size_t i = 0; i < m->n; i++) {
        const struct cfg_entry *e = &m->e[i];
        fprintf(out, "| `%s%s%s` | %s | ", m->path, m->path[0] ? "." : "", e->key, type_doc(e));
        default_doc(out, m, e);
        fprintf(out, " | %s | ", (e->flags & F_REQUIRED) ? "yes" : "no");
        values_doc(out, m, e);
        fputs(" | ", out);
        put_cell(out, e->help);
        fputs(" |\n", out);
    }
}

int lc_config_write_reference(FILE *out)
{
    for (size_t i = 0; intro[i]; i++)
        fprintf(out, "%s\n", intro[i]);
    for (size_t i = 0; i < NELEM(all_maps); i++)
        map_doc(out, all_maps[i]);
    if (fflush(out) != 0 || ferror(out))
        return LC_E_IO;
    return 0;
}
