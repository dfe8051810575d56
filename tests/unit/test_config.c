/* Unit tests of the configuration loader: the issue's example, defaults, every validation rule
 * with its exact message, environment references, comments, duplicate and unknown keys, syntax
 * and encoding errors, size limits, the shipped examples and the generated key reference.
 *
 * LC_UPDATE_CONFIG_README=1 rewrites config/README.md from the tables instead of comparing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config/config.h"
#include "probes/probe.h"
#include "lc_fixtures.h"
#include "core/error.h"

static const char issue_example[] =
    "{\n"
    "  \"aws\": { \"region\": \"ap-northeast-1\", \"endpoint\": \"http://127.0.0.1:7480\", "
    "\"path_style\": true },\n"
    "  \"targets\": [{\n"
    "    \"name\": \"log-archive\",\n"
    "    \"bucket\": \"aws-controltower-logs-210987654321-ap-northeast-1\",\n"
    "    \"region\": \"ap-northeast-1\",\n"
    "    \"prefix\": \"o-abc123def4\",\n"
    "    \"role_arn\": \"arn:aws:iam::210987654321:role/logcanary\", \"external_id\": "
    "\"optional\",\n"
    "    \"kms_key_arn\": \"arn:aws:kms:ap-northeast-1:567890123456:key/...\",\n"
    "    \"canary\": { \"enabled\": true, \"prefix\": \"logcanary-canary/\" },\n"
    "    \"sources\": [\n"
    "      { \"type\": \"vpcflowlogs\", \"accounts\": [\"111111111111\"], \"regions\": "
    "[\"ap-northeast-1\"], \"max_age\": \"30m\" },\n"
    "      { \"type\": \"config\",      \"accounts\": [\"111111111111\"], \"regions\": "
    "[\"ap-northeast-1\"], \"max_age\": \"7h\" },\n"
    "      { \"type\": \"cloudtrail\",  \"accounts\": [\"111111111111\"], \"regions\": "
    "[\"ap-northeast-1\"], \"org_id\": \"o-abc123def4\", \"max_age\": \"20m\" }\n"
    "    ]\n"
    "  }]\n"
    "}\n";

/* Load text; on failure the message goes to msg and NULL is returned. */
static struct lc_config *load(const char *json, int *rc, struct lc_error *err)
{
    struct lc_config *cfg = (struct lc_config *)0x1;
    *rc = lc_config_load_string(json, strlen(json), "test.json", &cfg, err);
    if (*rc) {
        assert_null(cfg);
        assert_int_not_equal(err->kind, LC_OK);
        assert_true(err->message[0] != '\0');
    } else {
        assert_non_null(cfg);
    }
    return cfg;
}

static struct lc_config *load_ok(const char *json)
{
    struct lc_error err;
    int rc;
    struct lc_config *cfg = load(json, &rc, &err);
    if (rc)
        fail_msg("expected to load, got: %s", err.message);
    return cfg;
}

/* msg with "@TYPES@" replaced by the registry's source types, quoted, in order: the messages
 * that list them stay right as sources are added. */
static const char *expand_types(const char *msg, char *out, size_t len)
{
    const char *at = strstr(msg, "@TYPES@");
    size_t n;

    if (!at)
        return msg;
    n = (size_t)snprintf(out, len, "%.*s", (int)(at - msg), msg);
    for (size_t i = 0; lc_probes[i] && n < len; i++)
        n += (size_t)snprintf(out + n, len - n, "%s\"%s\"", i ? ", " : "", lc_probes[i]->cfg.name);
    if (n < len)
        snprintf(out + n, len - n, "%s", at + 7);
    return out;
}

static void expect_error(const char *json, enum lc_err_kind kind, const char *want)
{
    struct lc_error err;
    int rc;
    char buf[1024];
    const char *msg = expand_types(want, buf, sizeof(buf));
    struct lc_config *cfg = load(json, &rc, &err);
    if (!rc) {
        lc_config_free(cfg);
        fail_msg("expected \"%s\", but this loaded:\n%s", msg, json);
    }
    if (strcmp(err.message, msg) != 0)
        fail_msg("for:\n%s\nwant: %s\ngot:  %s", json, msg, err.message);
    assert_int_equal(rc, kind);
    assert_int_equal(err.kind, kind);
}

static void test_issue_example(void **state)
{
    struct lc_config *cfg = load_ok(issue_example);
    (void)state;

    assert_string_equal(cfg->origin, "test.json");
    assert_string_equal(cfg->region, "ap-northeast-1");
    assert_string_equal(cfg->endpoint, "http://127.0.0.1:7480");
    assert_int_equal(cfg->endpoints.n, 0);
    assert_true(cfg->path_style);
    assert_null(cfg->profile);
    assert_null(cfg->ca_bundle);
    assert_int_equal(cfg->max_concurrency, 16);
    assert_int_equal(cfg->max_per_host, 8);
    assert_int_equal(cfg->timeout_s, 30);
    assert_int_equal(cfg->n_targets, 1);

    const struct lc_target_cfg *t = &cfg->targets[0];
    assert_string_equal(t->name, "log-archive");
    assert_string_equal(t->bucket, "aws-controltower-logs-210987654321-ap-northeast-1");
    assert_string_equal(t->region, "ap-northeast-1");
    assert_string_equal(t->prefix, "o-abc123def4");
    assert_string_equal(t->role_arn, "arn:aws:iam::210987654321:role/logcanary");
    assert_string_equal(t->external_id, "optional");
    assert_string_equal(t->kms_key_arn, "arn:aws:kms:ap-northeast-1:567890123456:key/...");
    assert_true(t->canary);
    assert_string_equal(t->canary_prefix, "logcanary-canary/");
    assert_int_equal(t->n_sources, 3);

    static const struct {
        const char *type;
        int64_t max_age;
    } want[] = {{"vpcflowlogs", 1800}, {"config", 7 * 3600}, {"cloudtrail", 1200}};
    for (size_t i = 0; i < 3; i++) {
        const struct lc_source_cfg *s = &t->sources[i];
        assert_string_equal(s->probe->cfg.name, want[i].type);
        assert_int_equal(s->n_accounts, 1);
        assert_string_equal(s->accounts[0], "111111111111");
        assert_int_equal(s->n_regions, 1);
        assert_string_equal(s->regions[0], "ap-northeast-1");
        assert_int_equal(s->max_age_s, want[i].max_age);
        assert_int_equal(s->interval_s, 0);
        assert_null(s->prefix);
        assert_int_equal(s->sample_bytes, 65536);
        assert_true(s->sample);
        assert_false(lc_source_option_bool(s, "hive_compatible"));
        assert_false(lc_source_option_bool(s, "per_hour"));
        assert_null(s->status_role_arn);
    }
    assert_string_equal(lc_source_option_string(&t->sources[0], "file_format"), "plain-text");
    assert_null(lc_source_option_string(&t->sources[1], "file_format"));
    assert_null(lc_source_option_string(&t->sources[2], "file_format"));
    assert_null(lc_source_option_string(&t->sources[0], "org_id"));
    assert_null(lc_source_option_string(&t->sources[1], "org_id"));
    assert_string_equal(lc_source_option_string(&t->sources[2], "org_id"), "o-abc123def4");
    lc_config_free(cfg);
}

static void test_defaults(void **state)
{
    struct lc_config *cfg = load_ok(
        "{\"targets\": [{\"name\": \"t\", \"bucket\": \"my-bucket\", \"sources\": ["
        "{\"type\": \"vpcflowlogs\", \"accounts\": [\"111111111111\"], \"regions\": "
        "[\"us-east-1\"]},"
        "{\"type\": \"config\", \"accounts\": [\"111111111111\"], \"regions\": [\"us-east-1\"]},"
        "{\"type\": \"cloudtrail\", \"accounts\": [\"111111111111\"], \"regions\": [\"us-east-1\"]}"
        "]}]}");
    (void)state;

    assert_null(cfg->region);
    assert_null(cfg->endpoint);
    assert_int_equal(cfg->endpoints.n, 0);
    assert_false(cfg->path_style);
    assert_null(cfg->profile);
    assert_null(cfg->ca_bundle);
    assert_int_equal(cfg->max_concurrency, 16);
    assert_int_equal(cfg->max_per_host, 8);
    assert_int_equal(cfg->timeout_s, 30);
    const struct lc_target_cfg *t = &cfg->targets[0];
    assert_null(t->region);
    assert_null(t->prefix);
    assert_null(t->role_arn);
    assert_null(t->external_id);
    assert_null(t->kms_key_arn);
    assert_true(t->canary);
    assert_string_equal(t->canary_prefix, "logcanary-canary/");
    assert_int_equal(t->sources[0].max_age_s, 30 * 60);
    assert_int_equal(t->sources[1].max_age_s, 7 * 3600);
    assert_int_equal(t->sources[2].max_age_s, 20 * 60);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(t->sources[i].interval_s, 0);
        assert_int_equal(t->sources[i].sample_bytes, 64 * 1024);
        assert_true(t->sources[i].sample);
        assert_false(lc_source_option_bool(&t->sources[i], "hive_compatible"));
        assert_false(lc_source_option_bool(&t->sources[i], "per_hour"));
        assert_null(t->sources[i].prefix);
        assert_null(lc_source_option_string(&t->sources[i], "org_id"));
        assert_null(t->sources[i].status_role_arn);
    }
    assert_string_equal(lc_source_option_string(&t->sources[0], "file_format"), "plain-text");
    assert_null(lc_source_option_string(&t->sources[1], "file_format"));
    assert_string_equal(t->sources[0].probe->cfg.name, "vpcflowlogs");
    assert_string_equal(t->sources[1].probe->cfg.name, "config");
    assert_string_equal(t->sources[2].probe->cfg.name, "cloudtrail");
    assert_null(lc_probe_find("unknown"));
    lc_config_free(cfg);
}

/* Every other key set, values normalised, comments and nulls ignored. */
static void test_all_keys(void **state)
{
    struct lc_config *cfg = load_ok(
        "{\"//\": \"top\", \"// more\": {\"nested\": [1, {\"x\": null}]},\n"
        " \"aws\": {\"//\": \"a\", \"//\": \"repeated comment keys are fine\",\n"
        "   \"region\": \"us-gov-west-1\", \"endpoint\": \"https://example.com:8443/base/\",\n"
        "   \"endpoints\": {\"s3\": "
        "\"https://bucket.vpce-1.s3.us-gov-west-1.vpce.amazonaws.com\",\n"
        "                 \"sts\": \"http://127.0.0.1:9000/\", \"// kms\": \"later\", \"kms\": "
        "null},\n"
        "   \"path_style\": false, \"profile\": \"audit\", \"ca_bundle\": \"/etc/ssl/ca.pem\",\n"
        "   \"max_concurrency\": 64, \"max_per_host\": 64, \"timeout\": \"1m30s\"},\n"
        " \"targets\": [\n"
        "  {\"name\": \"a.b_c-1\", \"bucket\": \"my.bucket-1\", \"region\": \"cn-north-1\",\n"
        "   \"prefix\": \"/logs/central/\", \"role_arn\": "
        "\"arn:aws-cn:iam::123456789012:role/x/y\",\n"
        "   \"external_id\": \"ab\", \"kms_key_arn\": null,\n"
        "   \"canary\": {\"enabled\": false, \"prefix\": \"/canary/deep\"},\n"
        "   \"sources\": [{\"type\": \"vpcflowlogs\", \"accounts\": [\"111111111111\", "
        "\"222222222222\"],\n"
        "     \"regions\": [\"us-isob-east-1\", \"ap-southeast-5\"], \"max_age\": \"1d2h\",\n"
        "     \"interval\": \"5m\", \"prefix\": \"/\", \"sample\": false, \"sample_bytes\": "
        "\"1MiB\",\n"
        "     \"hive_compatible\": true, \"per_hour\": true, \"file_format\": \"parquet\",\n"
        "     \"status_role_arn\": \"arn:aws:iam::{account}:role/status\"},\n"
        "    {\"type\": \"cloudtrail\", \"org_id\": \"o-0123456789abcdefghijklmnopqrstuv\",\n"
        "     \"accounts\": [\"000000000001\"], \"regions\": [\"eu-west-1\"], \"sample_bytes\": "
        "1024,\n"
        "     \"prefix\": \"trail\", \"max_age\": \"30d\"}]},\n"
        "  {\"name\": \"second\", \"bucket\": \"abc\", \"prefix\": \"/\",\n"
        "   \"sources\": [{\"type\": \"config\", \"accounts\": [\"333333333333\"], \"regions\": "
        "[\"eu-west-1\"], \"sample_bytes\": \"8MiB\"}]}]}\n");
    (void)state;

    assert_string_equal(cfg->region, "us-gov-west-1");
    assert_string_equal(cfg->endpoint, "https://example.com:8443/base");
    assert_int_equal(cfg->endpoints.n, 2);
    assert_string_equal(lc_kv_get(&cfg->endpoints, "s3"),
                        "https://bucket.vpce-1.s3.us-gov-west-1.vpce.amazonaws.com");
    assert_string_equal(lc_kv_get(&cfg->endpoints, "sts"), "http://127.0.0.1:9000");
    assert_null(lc_kv_get(&cfg->endpoints, "kms"));
    assert_false(cfg->path_style);
    assert_string_equal(cfg->profile, "audit");
    assert_string_equal(cfg->ca_bundle, "/etc/ssl/ca.pem");
    assert_int_equal(cfg->max_concurrency, 64);
    assert_int_equal(cfg->max_per_host, 64);
    assert_int_equal(cfg->timeout_s, 90);
    assert_int_equal(cfg->n_targets, 2);

    const struct lc_target_cfg *t = &cfg->targets[0];
    assert_string_equal(t->name, "a.b_c-1");
    assert_string_equal(t->bucket, "my.bucket-1");
    assert_string_equal(t->region, "cn-north-1");
    assert_string_equal(t->prefix, "logs/central");
    assert_string_equal(t->role_arn, "arn:aws-cn:iam::123456789012:role/x/y");
    assert_string_equal(t->external_id, "ab");
    assert_null(t->kms_key_arn);
    assert_false(t->canary);
    assert_string_equal(t->canary_prefix, "canary/deep/");
    assert_int_equal(t->n_sources, 2);

    const struct lc_source_cfg *s = &t->sources[0];
    assert_string_equal(s->probe->cfg.name, "vpcflowlogs");
    assert_int_equal(s->n_accounts, 2);
    assert_string_equal(s->accounts[1], "222222222222");
    assert_int_equal(s->n_regions, 2);
    assert_string_equal(s->regions[0], "us-isob-east-1");
    assert_string_equal(s->regions[1], "ap-southeast-5");
    assert_int_equal(s->max_age_s, 26 * 3600);
    assert_int_equal(s->interval_s, 300);
    assert_string_equal(s->prefix, ""); /* "" = bucket root, overriding the target's */
    assert_false(s->sample);
    assert_int_equal(s->sample_bytes, 1024 * 1024);
    assert_true(lc_source_option_bool(s, "hive_compatible"));
    assert_true(lc_source_option_bool(s, "per_hour"));
    assert_string_equal(lc_source_option_string(s, "file_format"), "parquet");
    assert_string_equal(s->status_role_arn, "arn:aws:iam::{account}:role/status");

    s = &t->sources[1];
    assert_string_equal(s->probe->cfg.name, "cloudtrail");
    assert_string_equal(lc_source_option_string(s, "org_id"), "o-0123456789abcdefghijklmnopqrstuv");
    assert_string_equal(s->accounts[0], "000000000001");
    assert_int_equal(s->sample_bytes, 1024);
    assert_string_equal(s->prefix, "trail");
    assert_int_equal(s->max_age_s, 30 * 24 * 3600);
    assert_null(lc_source_option_string(s, "file_format"));

    t = &cfg->targets[1];
    assert_null(t->prefix); /* "/" on a target: no prefix */
    assert_int_equal(t->sources[0].sample_bytes, 8 * 1024 * 1024);
    lc_config_free(cfg);
}

/* ---- every rule, table-driven -------------------------------------------------------------- */

/* A valid file with slots: aws keys, target keys, sources[0] (vpcflowlogs) keys, sources[1] type
 * (default "config") and keys. Each slot text starts with ", ". */
static const char tmpl[] =
    "{\"aws\": {\"region\": \"ap-northeast-1\"%s},\n"
    " \"targets\": [{\"name\": \"t1\", \"bucket\": \"my-log-bucket\"%s,\n"
    "   \"sources\": [\n"
    "     {\"type\": \"vpcflowlogs\", \"accounts\": [\"111111111111\"], \"regions\": "
    "[\"ap-northeast-1\"]%s},\n"
    "     {\"type\": \"%s\", \"accounts\": [\"111111111111\"], \"regions\": "
    "[\"ap-northeast-1\"]%s}]}]}\n";

struct rule_case {
    const char *aws, *tgt, *src0, *type1, *src1;
    const char *whole; /* instead of the template */
    const char *msg;
};

static const struct rule_case rules[] = {
    /* durations */
    {.src1 = ", \"max_age\": \"30 minutes\"",
     .msg = "targets[0].sources[1].max_age: expected a duration like \"30m\""},
    {.src1 = ", \"max_age\": 1800",
     .msg = "targets[0].sources[1].max_age: expected a duration like \"30m\""},
    {.src0 = ", \"max_age\": \"0s\"",
     .msg = "targets[0].sources[0].max_age: expected a duration from 1s to 30d"},
    {.src0 = ", \"max_age\": \"30d1s\"",
     .msg = "targets[0].sources[0].max_age: expected a duration from 1s to 30d"},
    {.src0 = ", \"interval\": \"-5m\"",
     .msg = "targets[0].sources[0].interval: expected a duration like \"30m\""},
    {.aws = ", \"timeout\": \"0s\"", .msg = "aws.timeout: expected a duration from 1s to 1h"},
    /* sizes */
    {.src0 = ", \"sample_bytes\": 1023",
     .msg = "targets[0].sources[0].sample_bytes: expected a size from 1KiB to 8MiB"},
    {.src0 = ", \"sample_bytes\": \"9MiB\"",
     .msg = "targets[0].sources[0].sample_bytes: expected a size from 1KiB to 8MiB"},
    {.src0 = ", \"sample_bytes\": 4096.5",
     .msg = "targets[0].sources[0].sample_bytes: expected a size from 1KiB to 8MiB"},
    {.src0 = ", \"sample_bytes\": \"64kb\"",
     .msg = "targets[0].sources[0].sample_bytes: expected a size like 65536, \"64KiB\" or "
            "\"1MiB\""},
    {.src0 = ", \"sample_bytes\": true",
     .msg = "targets[0].sources[0].sample_bytes: expected a size like 65536, \"64KiB\" or "
            "\"1MiB\""},
    /* integers, booleans */
    {.aws = ", \"max_concurrency\": 0",
     .msg = "aws.max_concurrency: expected an integer from 1 to 256"},
    {.aws = ", \"max_concurrency\": 1.5",
     .msg = "aws.max_concurrency: expected an integer from 1 to 256"},
    {.aws = ", \"max_concurrency\": \"16\"",
     .msg = "aws.max_concurrency: expected an integer from 1 to 256"},
    {.aws = ", \"max_per_host\": 32",
     .msg = "aws.max_per_host: must not exceed aws.max_concurrency (16)"},
    {.aws = ", \"path_style\": \"yes\"",
     .msg = "aws.path_style: expected true or false, not a string"},
    {.src0 = ", \"sample\": 1",
     .msg = "targets[0].sources[0].sample: expected true or false, not a number"},
    /* accounts */
    {.whole = "{\"targets\": [{\"name\": \"t\", \"bucket\": \"my-log-bucket\", \"sources\": [{"
              "\"type\": \"config\", \"regions\": [\"us-east-1\"], \"accounts\": "
              "[\"111111111111\", \"11111111111\"]}]}]}",
     .msg = "targets[0].sources[0].accounts[1]: expected a 12-digit account id like "
            "\"123456789012\""},
    {.whole = "{\"targets\": [{\"name\": \"t\", \"bucket\": \"my-log-bucket\", \"sources\": [{"
              "\"type\": \"config\", \"regions\": [\"us-east-1\"], \"accounts\": "
              "[111111111111]}]}]}",
     .msg = "targets[0].sources[0].accounts[0]: expected a string, not a number: write account "
            "ids in quotes (\"012345678901\"), numbers lose leading zeros"},
    {.whole = "{\"targets\": [{\"name\": \"t\", \"bucket\": \"my-log-bucket\", \"sources\": [{"
              "\"type\": \"config\", \"regions\": [\"us-east-1\"], \"accounts\": []}]}]}",
     .msg = "targets[0].sources[0].accounts: expected a non-empty array of strings"},
    {.whole = "{\"targets\": [{\"name\": \"t\", \"bucket\": \"my-log-bucket\", \"sources\": [{"
              "\"type\": \"config\", \"regions\": [\"us-east-1\"], \"accounts\": "
              "\"111111111111\"}]}]}",
     .msg = "targets[0].sources[0].accounts: expected an array of strings, or the string "
            "\"organization\""},
    /* discovery: "organization" accounts, "governed" regions, their keys */
    {.whole = "{\"targets\": [{\"name\": \"t\", \"bucket\": \"my-log-bucket\", \"sources\": [{"
              "\"type\": \"config\", \"regions\": [\"us-east-1\"], \"accounts\": 12}]}]}",
     .msg = "targets[0].sources[0].accounts: expected an array of strings or \"organization\", "
            "not a number"},
    {.whole = "{\"targets\": [{\"name\": \"t\", \"bucket\": \"my-log-bucket\", \"sources\": [{"
              "\"type\": \"config\", \"accounts\": [\"111111111111\"], \"regions\": "
              "\"all\"}]}]}",
     .msg = "targets[0].sources[0].regions: expected an array of strings, or the string "
            "\"governed\""},
    {.src1 = ", \"exclude_accounts\": [\"222222222222\"]",
     .msg = "targets[0].sources[1].exclude_accounts: only valid with \"accounts\": "
            "\"organization\""},
    {.src1 = ", \"include_ous\": [\"ou-ab12-cd34ef56\"]",
     .msg = "targets[0].sources[1].include_ous: only valid with \"accounts\": \"organization\""},
    {.whole = "{\"targets\": [{\"name\": \"t\", \"bucket\": \"my-log-bucket\", \"sources\": [{"
              "\"type\": \"config\", \"accounts\": \"organization\", \"regions\": "
              "\"governed\", \"exclude_ous\": [\"ou-ab12-cd34ef5\"]}]}]}",
     .msg = "targets[0].sources[0].exclude_ous[0]: expected an organizational unit id like "
            "\"ou-ab12-cd34ef56\" or a root id like \"r-ab12\""},
    {.whole = "{\"targets\": [{\"name\": \"t\", \"bucket\": \"my-log-bucket\", \"sources\": [{"
              "\"type\": \"config\", \"accounts\": \"organization\", \"regions\": "
              "\"governed\", \"exclude_accounts\": [\"12345\"]}]}]}",
     .msg = "targets[0].sources[0].exclude_accounts[0]: expected a 12-digit account id like "
            "\"123456789012\""},
    {.whole = "{\"discovery\": {\"organization\": {\"external_id\": \"abc123\"}}, "
              "\"targets\": [{\"name\": \"t\", \"bucket\": \"my-log-bucket\", \"sources\": [{"
              "\"type\": \"config\", \"accounts\": \"organization\", \"regions\": "
              "[\"us-east-1\"]}]}]}",
     .msg = "discovery.organization.external_id: only valid with \"role_arn\""},
    {.whole = "{\"discovery\": {\"control_tower\": {\"region\": \"moon-1\"}}, "
              "\"targets\": [{\"name\": \"t\", \"bucket\": \"my-log-bucket\", \"sources\": [{"
              "\"type\": \"config\", \"accounts\": [\"111111111111\"], \"regions\": "
              "\"governed\"}]}]}",
     .msg = "discovery.control_tower.region: expected a region name like \"ap-northeast-1\", "
            "\"us-gov-west-1\" or \"cn-north-1\""},
    {.whole = "{\"discovery\": {\"grace\": \"31d\"}, "
              "\"targets\": [{\"name\": \"t\", \"bucket\": \"my-log-bucket\", \"sources\": [{"
              "\"type\": \"config\", \"accounts\": \"organization\", \"regions\": "
              "\"governed\"}]}]}",
     .msg = "discovery.grace: expected a duration from 0s to 30d"},
    {.whole = "{\"targets\": [{\"name\": \"t\", \"bucket\": \"my-log-bucket\", \"sources\": [{"
              "\"type\": \"config\", \"regions\": [\"us-east-1\"], \"accounts\": [\"222222222222\","
              " \"111111111111\", \"333333333333\", \"111111111111\", \"222222222222\"]}]}]}",
     .msg = "targets[0].sources[0].accounts[3]: duplicate of accounts[1]"},
    {.whole = "{\"targets\": [{\"name\": \"t\", \"bucket\": \"my-log-bucket\", \"sources\": [{"
              "\"type\": \"config\", \"regions\": [\"us-east-1\"]}]}]}",
     .msg = "targets[0].sources[0].accounts: required key is missing"},
    /* regions */
    {.whole = "{\"targets\": [{\"name\": \"t\", \"bucket\": \"my-log-bucket\", \"sources\": [{"
              "\"type\": \"config\", \"accounts\": [\"111111111111\"], \"regions\": "
              "[\"ap-northeast-1a\"]}]}]}",
     .msg = "targets[0].sources[0].regions[0]: expected a region name like \"ap-northeast-1\", "
            "not an availability zone"},
    {.whole = "{\"targets\": [{\"name\": \"t\", \"bucket\": \"my-log-bucket\", \"sources\": [{"
              "\"type\": \"config\", \"accounts\": [\"111111111111\"], \"regions\": "
              "[\"us-east-1\", \"Tokyo\"]}]}]}",
     .msg = "targets[0].sources[0].regions[1]: expected a region name like \"ap-northeast-1\", "
            "\"us-gov-west-1\" or \"cn-north-1\""},
    {.whole = "{\"targets\": [{\"name\": \"t\", \"bucket\": \"my-log-bucket\", \"sources\": [{"
              "\"type\": \"config\", \"accounts\": [\"111111111111\"], \"regions\": "
              "[\"us-east-1\", \"us-east-1\"]}]}]}",
     .msg = "targets[0].sources[0].regions[1]: duplicate of regions[0]"},
    {.aws = ", \"region\": \"us-east\"",
     .msg = "aws.region: duplicate key (a key may appear "
            "only once per object)"},
    {.whole = "{\"aws\": {\"region\": \"useast1\"}}",
     .msg = "aws.region: expected a region name like \"ap-northeast-1\", \"us-gov-west-1\" or "
            "\"cn-north-1\""},
    {.tgt = ", \"region\": \"ap-northeast-1-\"",
     .msg = "targets[0].region: expected a region name like \"ap-northeast-1\", "
            "\"us-gov-west-1\" or \"cn-north-1\""},
    /* role ARNs */
    {.tgt = ", \"role_arn\": \"logcanary\"",
     .msg = "targets[0].role_arn: expected an IAM role ARN like "
            "\"arn:aws:iam::123456789012:role/logcanary\""},
    {.tgt = ", \"role_arn\": \"arn:azure:iam::210987654321:role/logcanary\"",
     .msg = "targets[0].role_arn: expected an IAM role ARN like "
            "\"arn:aws:iam::123456789012:role/logcanary\""},
    {.tgt = ", \"role_arn\": \"arn:aws:sts::210987654321:assumed-role/logcanary/s\"",
     .msg = "targets[0].role_arn: expected an ARN of service \"iam\" like "
            "\"arn:aws:iam::123456789012:role/logcanary\""},
    {.tgt = ", \"role_arn\": \"arn:aws:iam::210987654321:user/bob\"",
     .msg = "targets[0].role_arn: expected a role ARN (\"...:role/<name>\") like "
            "\"arn:aws:iam::123456789012:role/logcanary\""},
    {.tgt = ", \"role_arn\": \"arn:aws:iam::21098765432:role/logcanary\"",
     .msg = "targets[0].role_arn: expected a 12-digit account id in the ARN's account field "
            "like \"arn:aws:iam::123456789012:role/logcanary\""},
    {.tgt = ", \"role_arn\": \"arn:aws:iam::{account}:role/logcanary\"",
     .msg = "targets[0].role_arn: expected a 12-digit account id in the ARN's account field "
            "like \"arn:aws:iam::123456789012:role/logcanary\""},
    {.tgt = ", \"role_arn\": \"arn:aws:iam:us-east-1:210987654321:role/logcanary\"",
     .msg = "targets[0].role_arn: expected an IAM role ARN with an empty region field like "
            "\"arn:aws:iam::123456789012:role/logcanary\""},
    {.src1 = ", \"status_role_arn\": \"arn:aws:iam::{acct}:role/status\"",
     .msg = "targets[0].sources[1].status_role_arn: expected a 12-digit account id or "
            "\"{account}\" in the ARN's account field like "
            "\"arn:aws:iam::123456789012:role/logcanary\""},
    {.src1 = ", \"status_role_arn\": \"arn:aws:kms:us-east-1:210987654321:key/abc\"",
     .msg = "targets[0].sources[1].status_role_arn: expected an ARN of service \"iam\" like "
            "\"arn:aws:iam::123456789012:role/logcanary\""},
    /* KMS key ARNs */
    {.tgt = ", \"kms_key_arn\": \"1234abcd-12ab-34cd-56ef-1234567890ab\"",
     .msg = "targets[0].kms_key_arn: expected the key ARN, not a bare key id: deliveries are "
            "compared by the full key ARN S3 records on each object "
            "(\"arn:aws:kms:<region>:<account>:key/<key-id>\")"},
    {.tgt = ", \"kms_key_arn\": \"mrk-1234abcd12ab34cd56ef1234567890ab\"",
     .msg = "targets[0].kms_key_arn: expected the key ARN, not a bare key id: deliveries are "
            "compared by the full key ARN S3 records on each object "
            "(\"arn:aws:kms:<region>:<account>:key/<key-id>\")"},
    {.tgt = ", \"kms_key_arn\": \"alias/log-archive\"",
     .msg = "targets[0].kms_key_arn: expected the key ARN, not an alias: deliveries are "
            "compared by the full key ARN S3 records on each object "
            "(\"arn:aws:kms:<region>:<account>:key/<key-id>\")"},
    {.tgt = ", \"kms_key_arn\": \"arn:aws:kms:ap-northeast-1:567890123456:alias/log-archive\"",
     .msg = "targets[0].kms_key_arn: expected the key ARN, not an alias ARN: deliveries are "
            "compared by the full key ARN S3 records on each object "
            "(\"arn:aws:kms:<region>:<account>:key/<key-id>\")"},
    {.tgt = ", \"kms_key_arn\": \"arn:aws:s3:::my-log-bucket\"",
     .msg = "targets[0].kms_key_arn: expected a KMS key ARN like "
            "\"arn:aws:kms:ap-northeast-1:123456789012:key/<key-id>\""},
    {.tgt = ", \"kms_key_arn\": \"arn:aws:kms::567890123456:key/abc\"",
     .msg = "targets[0].kms_key_arn: expected a KMS key ARN like "
            "\"arn:aws:kms:ap-northeast-1:123456789012:key/<key-id>\""},
    {.tgt = ", \"kms_key_arn\": \"arn:aws:kms:ap-northeast-1:567890123456:key/\"",
     .msg = "targets[0].kms_key_arn: expected a KMS key ARN like "
            "\"arn:aws:kms:ap-northeast-1:123456789012:key/<key-id>\""},
    /* org_id, type-specific keys */
    {.type1 = "cloudtrail",
     .src1 = ", \"org_id\": \"o-abc\"",
     .msg = "targets[0].sources[1].org_id: expected an organization id like \"o-abc123def4\" "
            "('o-' and 10 to 32 lowercase letters or digits)"},
    {.type1 = "cloudtrail",
     .src1 = ", \"org_id\": \"o-ABC123DEF4\"",
     .msg = "targets[0].sources[1].org_id: expected an organization id like \"o-abc123def4\" "
            "('o-' and 10 to 32 lowercase letters or digits)"},
    {.src0 = ", \"org_id\": \"o-abc123def4\"",
     .msg = "targets[0].sources[0].org_id: only valid with \"type\": \"cloudtrail\""},
    {.src1 = ", \"file_format\": \"parquet\"",
     .msg = "targets[0].sources[1].file_format: only valid with \"type\": \"vpcflowlogs\""},
    {.src1 = ", \"hive_compatible\": false",
     .msg = "targets[0].sources[1].hive_compatible: only valid with \"type\": \"vpcflowlogs\""},
    {.type1 = "cloudtrail",
     .src1 = ", \"per_hour\": true",
     .msg = "targets[0].sources[1].per_hour: only valid with \"type\": \"vpcflowlogs\""},
    {.src0 = ", \"file_format\": \"csv\"",
     .msg = "targets[0].sources[0].file_format: expected one of \"plain-text\", \"parquet\""},
    {.type1 = "vpcflowlog",
     .msg = "targets[0].sources[1].type: expected one of @TYPES@ (did you mean \"vpcflowlogs\"?)"},
    {.type1 = "s3", .msg = "targets[0].sources[1].type: expected one of @TYPES@"},
    /* names and buckets */
    {.whole = "{\"targets\": [{\"name\": \"a\", \"bucket\": \"my-log-bucket\", \"sources\": [{"
              "\"type\": \"config\", \"accounts\": [\"111111111111\"], \"regions\": "
              "[\"us-east-1\"]}]}, {\"name\": \"b\", \"bucket\": \"my-log-bucket\", \"sources\": [{"
              "\"type\": \"config\", \"accounts\": [\"111111111111\"], \"regions\": "
              "[\"us-east-1\"]}]}, {\"name\": \"a\", \"bucket\": \"other-bucket\", \"sources\": [{"
              "\"type\": \"config\", \"accounts\": [\"111111111111\"], \"regions\": "
              "[\"us-east-1\"]}]}]}",
     .msg = "targets[2].name: duplicate target name (also targets[0].name)"},
    {.whole = "{\"targets\": [{\"name\": \"my target\", \"bucket\": \"my-log-bucket\"}]}",
     .msg = "targets[0].name: expected a name of 1 to 64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"},
    {.whole = "{\"targets\": [{\"name\": \"\", \"bucket\": \"my-log-bucket\"}]}",
     .msg = "targets[0].name: must not be empty"},
    {.whole = "{\"targets\": [{\"name\": \"t\", \"bucket\": \"My_Bucket\"}]}",
     .msg = "targets[0].bucket: expected an S3 bucket name: bucket names are lowercase"},
    {.whole = "{\"targets\": [{\"name\": \"t\", \"bucket\": \"ab\"}]}",
     .msg = "targets[0].bucket: expected an S3 bucket name (3 to 63 lowercase letters, digits, "
            "'.' and '-', starting and ending with a letter or digit)"},
    {.whole = "{\"targets\": [{\"name\": \"t\", \"bucket\": \"my_bucket\"}]}",
     .msg = "targets[0].bucket: expected an S3 bucket name (3 to 63 lowercase letters, digits, "
            "'.' and '-', starting and ending with a letter or digit)"},
    {.whole = "{\"targets\": [{\"name\": \"t\", \"bucket\": "
              "\"a123456789012345678901234567890123456789012345678901234567890123\"}]}",
     .msg = "targets[0].bucket: expected an S3 bucket name (3 to 63 lowercase letters, digits, "
            "'.' and '-', starting and ending with a letter or digit)"},
    {.whole = "{\"targets\": [{\"name\": \"t\", \"bucket\": \"s3://my-log-bucket\"}]}",
     .msg = "targets[0].bucket: expected a bare bucket name, not a URL or ARN"},
    {.whole = "{\"targets\": [{\"name\": \"t\", \"bucket\": \"my-log-bucket/o-abc123def4\"}]}",
     .msg = "targets[0].bucket: expected a bare bucket name: give the folder in \"prefix\""},
    {.whole = "{\"targets\": [{\"name\": \"t\", \"bucket\": \"192.168.10.1\"}]}",
     .msg = "targets[0].bucket: expected an S3 bucket name, not an IP address"},
    {.whole = "{\"targets\": [{\"name\": \"t\", \"bucket\": \"my..bucket\"}]}",
     .msg = "targets[0].bucket: expected an S3 bucket name: no \"..\", \".-\" or \"-.\""},
    {.whole = "{\"targets\": [{\"name\": \"t\", \"bucket\": \"xn--bucket\"}]}",
     .msg = "targets[0].bucket: expected an S3 bucket name: the prefixes \"xn--\", \"sthree-\" "
            "and the suffixes \"-s3alias\", \"--ol-s3\", \"--x-s3\", \".mrap\" are reserved"},
    {.whole = "{\"targets\": [{\"name\": \"t\", \"bucket\": \"logs-s3alias\"}]}",
     .msg = "targets[0].bucket: expected an S3 bucket name: the prefixes \"xn--\", \"sthree-\" "
            "and the suffixes \"-s3alias\", \"--ol-s3\", \"--x-s3\", \".mrap\" are reserved"},
    /* prefixes */
    {.tgt = ", \"prefix\": \"o-abc123def4/AWSLogs\"",
     .msg = "targets[0].prefix: must not contain the AWSLogs folder: give the folder before "
            "\"AWSLogs/\" (the services add AWSLogs/ themselves)"},
    {.src1 = ", \"prefix\": \"/AWSLogs/\"",
     .msg = "targets[0].sources[1].prefix: must not contain the AWSLogs folder: give the folder "
            "before \"AWSLogs/\" (the services add AWSLogs/ themselves)"},
    {.tgt = ", \"prefix\": \"a//b\"",
     .msg = "targets[0].prefix: expected folders separated by single '/' (an empty folder "
            "name)"},
    {.tgt = ", \"prefix\": \"a/../b\"",
     .msg = "targets[0].prefix: expected folders, not \".\" "
            "or \"..\""},
    {.tgt = ", \"canary\": {\"prefix\": \"AWSLogs/logcanary\"}",
     .msg = "targets[0].canary.prefix: must not be under AWSLogs/: the canary must stay out of "
            "the services' delivery folders"},
    {.tgt = ", \"prefix\": \"o-abc123def4\", \"canary\": {\"prefix\": "
            "\"o-abc123def4/AWSLogs/x/\"}",
     .msg = "targets[0].canary.prefix: must not be under AWSLogs/: the canary must stay out of "
            "the services' delivery folders"},
    {.tgt = ", \"canary\": {\"prefix\": \"/\"}",
     .msg = "targets[0].canary.prefix: expected a folder like \"logcanary-canary/\""},
    {.tgt = ", \"canary\": {\"prefix\": \"\"}",
     .msg = "targets[0].canary.prefix: must not be "
            "empty"},
    {.tgt = ", \"canary\": \"yes\"", .msg = "targets[0].canary: expected an object, not a string"},
    {.tgt = ", \"canary\": {\"enable\": true}",
     .msg = "targets[0].canary.enable: unknown key (did you mean \"enabled\"?)"},
    /* URLs */
    {.aws = ", \"endpoint\": \"ftp://127.0.0.1\"",
     .msg = "aws.endpoint: expected an http:// or https:// URL like "
            "\"https://s3.ap-northeast-1.amazonaws.com\""},
    {.aws = ", \"endpoint\": \"https://\"",
     .msg = "aws.endpoint: expected an http:// or https:// URL like "
            "\"https://s3.ap-northeast-1.amazonaws.com\""},
    {.aws = ", \"endpoint\": \"http://host/?x=1\"",
     .msg = "aws.endpoint: expected an http:// or https:// URL like "
            "\"https://s3.ap-northeast-1.amazonaws.com\""},
    {.aws = ", \"endpoint\": \"https://user:pw@s3.example.com\"",
     .msg = "aws.endpoint: expected a URL without credentials (\"user@\")"},
    {.aws = ", \"endpoints\": {\"s3\": \"localhost:9000\"}",
     .msg = "aws.endpoints.s3: expected an http:// or https:// URL like "
            "\"https://s3.ap-northeast-1.amazonaws.com\""},
    {.aws = ", \"endpoints\": {\"s4\": \"http://localhost:9000\"}",
     .msg = "aws.endpoints.s4: unknown service (did you mean \"s3\"?)"},
    {.aws = ", \"endpoints\": {\"dynamodb\": \"http://localhost:9000\"}",
     .msg = "aws.endpoints.dynamodb: unknown service (expected one of: s3, sts, kms, ec2, "
            "config, cloudtrail, logs, organizations, iam, wafv2, controltower)"},
    {.aws = ", \"endpoints\": {\"s3\": \"http://a\", \"s3\": \"http://b\"}",
     .msg = "aws.endpoints.s3: duplicate key (a key may appear only once per object)"},
    {.aws = ", \"endpoints\": {\"s3\": 9000}",
     .msg = "aws.endpoints.s3: expected a string, not "
            "a number"},
    {.aws = ", \"endpoints\": [\"http://a\"]",
     .msg = "aws.endpoints: expected an object, not an "
            "array"},
    /* other strings */
    {.aws = ", \"profile\": \"\"", .msg = "aws.profile: must not be empty"},
    {.aws = ", \"ca_bundle\": \"/etc/ca\\u0001.pem\"",
     .msg = "aws.ca_bundle: must not contain control characters"},
    {.aws = ", \"profile\": 1", .msg = "aws.profile: expected a string, not a number"},
    {.tgt = ", \"external_id\": \"xyz\"",
     .msg = "targets[0].external_id: only valid with \"role_arn\""},
    {.tgt = ", \"role_arn\": \"arn:aws:iam::210987654321:role/r\", \"external_id\": \"x\"",
     .msg = "targets[0].external_id: expected 2 to 1224 letters, digits and characters of "
            "\"_+=,.@:/-\" (the STS ExternalId rules)"},
    {.tgt = ", \"role_arn\": \"arn:aws:iam::210987654321:role/r\", \"external_id\": \"a b\"",
     .msg = "targets[0].external_id: expected 2 to 1224 letters, digits and characters of "
            "\"_+=,.@:/-\" (the STS ExternalId rules)"},
    /* structure */
    {.src0 = ", \"maxage\": \"30m\"",
     .msg = "targets[0].sources[0].maxage: unknown key (did you mean \"max_age\"?)"},
    {.src0 = ", \"maxAge\": \"30m\"",
     .msg = "targets[0].sources[0].maxAge: unknown key (did you mean \"max_age\"?)"},
    {.tgt = ", \"roleArn\": \"x\"",
     .msg = "targets[0].roleArn: unknown key (did you mean \"role_arn\"?)"},
    {.tgt = ", \"kms_key_id\": \"x\"",
     .msg = "targets[0].kms_key_id: unknown key (did you mean \"kms_key_arn\"?)"},
    {.tgt = ", \"org_id\": \"o-abc123def4\"",
     .msg = "targets[0].org_id: unknown key (\"org_id\" is a key of targets[].sources[])"},
    {.aws = ", \"credentials\": {}",
     .msg = "aws.credentials: unknown key (expected one of: region, endpoint, endpoints, "
            "path_style, profile, ca_bundle, max_concurrency, max_per_host, timeout)"},
    {.aws = ", \"a.b\\n\": 1",
     .msg = "aws[\"a.b\\x0a\"]: unknown key (expected one of: region, endpoint, endpoints, "
            "path_style, profile, ca_bundle, max_concurrency, max_per_host, timeout)"},
    {.aws = ", \"/ x\": 1",
     .msg = "aws[\"/ x\"]: unknown key (expected one of: region, endpoint, endpoints, path_style, "
            "profile, ca_bundle, max_concurrency, max_per_host, timeout)"},
    {.tgt = ", \"bucket\": \"other-bucket\"",
     .msg = "targets[0].bucket: duplicate key (a key may appear only once per object)"},
    {.whole = "{}", .msg = "targets: required key is missing"},
    {.whole = "{\"targets\": null}", .msg = "targets: required key is missing"},
    {.whole = "{\"targets\": []}", .msg = "targets: expected a non-empty array of objects"},
    {.whole = "{\"targets\": {}}", .msg = "targets: expected an array of objects, not an object"},
    {.whole = "{\"targets\": [1]}", .msg = "targets[0]: expected an object, not a number"},
    {.whole = "[]", .msg = "(top level): expected a JSON object, not an array"},
    {.whole = "\"x\"", .msg = "(top level): expected a JSON object, not a string"},
    {.whole = "{\"aws\": [], \"targets\": []}", .msg = "aws: expected an object, not an array"},
    {.whole = "{\"targets\": [{\"bucket\": \"my-log-bucket\"}]}",
     .msg = "targets[0].name: required key is missing"},
    {.whole = "{\"targets\": [{\"name\": \"t\", \"bucket\": \"my-log-bucket\"}]}",
     .msg = "targets[0].sources: required key is missing"},
    {.whole = "{\"targets\": [{\"name\": \"t\", \"bucket\": \"my-log-bucket\", \"sources\": [{"
              "\"accounts\": [\"111111111111\"], \"regions\": [\"us-east-1\"]}]}]}",
     .msg = "targets[0].sources[0].type: required key is missing"},
    {.whole = "{\"targets\": [{\"name\": \"t\", \"bucket\": \"my-log-bucket\", \"sources\": [{"
              "\"type\": null, \"accounts\": [\"111111111111\"], \"regions\": [\"us-east-1\"]}]}]}",
     .msg = "targets[0].sources[0].type: required key is missing"},
    {.whole = "{\"targets\": [{\"name\": \"t\", \"bucket\": \"my-log-bucket\", \"sources\": [{"
              "\"type\": [\"config\"], \"accounts\": [\"111111111111\"], \"regions\": "
              "[\"us-east-1\"]}]}]}",
     .msg = "targets[0].sources[0].type: expected a string, not an array"},
    /* environment references */
    {.tgt = ", \"role_arn\": \"${LC_ROLE}\"",
     .msg = "targets[0].role_arn: environment variable LC_ROLE is not set"},
    {.tgt = ", \"role_arn\": \"arn:aws:iam::${LC_TEST_ACCOUNT}:role/${LC_ROLE}\"",
     .msg = "targets[0].role_arn: environment variable LC_ROLE is not set"},
    {.whole = "{\"targets\": [{\"name\": \"t\", \"bucket\": \"my-log-bucket\", \"sources\": [{"
              "\"type\": \"config\", \"regions\": [\"us-east-1\"], \"accounts\": "
              "[\"${LC_TEST_ACCOUNT}\", \"${LC_TEST_UNSET_ACCOUNT}\"]}]}]}",
     .msg = "targets[0].sources[0].accounts[1]: environment variable LC_TEST_UNSET_ACCOUNT is not "
            "set"},
    {.aws = ", \"profile\": \"${}\"",
     .msg = "aws.profile: expected \"${NAME}\" with NAME of letters, digits and '_' (write "
            "\"$${\" for a literal \"${\")"},
    {.aws = ", \"profile\": \"${1ABC}\"",
     .msg = "aws.profile: expected \"${NAME}\" with NAME of letters, digits and '_' (write "
            "\"$${\" for a literal \"${\")"},
    {.aws = ", \"profile\": \"x${LC_TEST_ACCOUNT\"",
     .msg = "aws.profile: expected \"${NAME}\" with NAME of letters, digits and '_' (write "
            "\"$${\" for a literal \"${\")"},
    {.tgt = ", \"kms_key_arn\": \"${LC_TEST_KEY_ID}\"",
     .msg = "targets[0].kms_key_arn: expected the key ARN, not a bare key id: deliveries are "
            "compared by the full key ARN S3 records on each object "
            "(\"arn:aws:kms:<region>:<account>:key/<key-id>\") (value from ${LC_TEST_KEY_ID})"},
    {.aws = ", \"profile\": \"${LC_TEST_EMPTY}\"",
     .msg = "aws.profile: must not be empty (value from ${LC_TEST_EMPTY})"},
    {.src1 = ", \"max_age\": \"${LC_TEST_ACCOUNT}\"",
     .msg = "targets[0].sources[1].max_age: expected a duration like \"30m\" (value from "
            "${LC_TEST_ACCOUNT})"},
};

static void set_test_env(void)
{
    setenv("LC_TEST_ACCOUNT", "210987654321", 1);
    setenv("LC_TEST_ROLE_NAME", "logcanary", 1);
    setenv("LC_TEST_KEY_ID", "1234abcd-12ab-34cd-56ef-1234567890ab", 1);
    setenv("LC_TEST_EMPTY", "", 1);
    setenv("LC_TEST_MAX_AGE", "45m", 1);
    unsetenv("LC_ROLE");
    unsetenv("LC_TEST_UNSET_ACCOUNT");
}

static void test_rules(void **state)
{
    char json[4096];
    (void)state;

    set_test_env();
    /* The template itself is valid. */
    snprintf(json, sizeof(json), tmpl, "", "", "", "config", "");
    lc_config_free(load_ok(json));
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        const struct rule_case *r = &rules[i];
        if (r->whole) {
            expect_error(r->whole, LC_E_INVALID, r->msg);
            continue;
        }
        int n = snprintf(json, sizeof(json), tmpl, r->aws ? r->aws : "", r->tgt ? r->tgt : "",
                         r->src0 ? r->src0 : "", r->type1 ? r->type1 : "config",
                         r->src1 ? r->src1 : "");
        assert_true(n > 0 && (size_t)n < sizeof(json));
        expect_error(json, LC_E_INVALID, r->msg);
    }
}

/* Values that must pass the same checks. */
static void test_valid_values(void **state)
{
    static const struct {
        const char *aws, *tgt, *src0;
    } ok[] = {
        {.aws = ", \"endpoint\": \"http://[::1]:7480\""},
        {.aws = ", \"endpoints\": {\"config\": \"https://config.example\", \"//\": 1}"},
        {.tgt = ", \"region\": \"us-gov-west-1\""},
        {.tgt = ", \"region\": \"cn-northwest-1\""},
        {.tgt = ", \"region\": \"il-central-1\""},
        {.tgt = ", \"role_arn\": \"arn:aws-us-gov:iam::123456789012:role/path/name\""},
        {.tgt = ", \"role_arn\": \"arn:aws-iso-b:iam::123456789012:role/n\", \"external_id\": "
                "\"a+=,.@:/-_Z9\""},
        {.tgt = ", \"kms_key_arn\": \"arn:aws-cn:kms:cn-north-1:123456789012:key/"
                "1234abcd-12ab-34cd-56ef-1234567890ab\""},
        {.tgt = ", \"kms_key_arn\": \"arn:aws:kms:us-east-1:123456789012:key/"
                "mrk-1234abcd12ab34cd56ef1234567890ab\""},
        {.tgt = ", \"prefix\": \"\""},
        {.tgt = ", \"prefix\": \"awslogs-archive/AWSLogsX\""},
        {.src0 = ", \"interval\": \"0s\""},
        {.src0 = ", \"max_age\": \"30d\", \"sample_bytes\": \"1KiB\""},
        {.src0 = ", \"hive_compatible\": null, \"file_format\": null"},
    };
    static const char *const buckets[] = {"abc", "1-a.b", "a.b.c.d1", "my-bucket--ol-s3x"};
    char json[4096];
    (void)state;

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        snprintf(json, sizeof(json), tmpl, ok[i].aws ? ok[i].aws : "", ok[i].tgt ? ok[i].tgt : "",
                 ok[i].src0 ? ok[i].src0 : "", "config", "");
        lc_config_free(load_ok(json));
    }
    for (size_t i = 0; i < sizeof(buckets) / sizeof(buckets[0]); i++) {
        snprintf(json, sizeof(json),
                 "{\"targets\": [{\"name\": \"t\", \"bucket\": \"%s\", \"sources\": [{"
                 "\"type\": \"config\", \"accounts\": [\"111111111111\"], \"regions\": "
                 "[\"us-east-1\"]}]}]}",
                 buckets[i]);
        struct lc_config *cfg = load_ok(json);
        assert_string_equal(cfg->targets[0].bucket, buckets[i]);
        lc_config_free(cfg);
    }
}

static void test_env(void **state)
{
    static const char json[] =
        "{\"aws\": {\"profile\": \"$${HOME}-${LC_TEST_EMPTY}$x$$\",\n"
        "   \"endpoints\": {\"s3\": \"http://${LC_TEST_ROLE_NAME}.${LC_TEST_ACCOUNT}:1\"}},\n"
        " \"targets\": [{\"name\": \"${LC_TEST_ROLE_NAME}\", \"bucket\": "
        "\"b-${LC_TEST_ACCOUNT}\",\n"
        "   \"role_arn\": \"arn:aws:iam::${LC_TEST_ACCOUNT}:role/${LC_TEST_ROLE_NAME}\",\n"
        "   \"//\": \"${NOT_EXPANDED_IN_COMMENTS}\",\n"
        "   \"sources\": [{\"type\": \"config\", \"max_age\": \"${LC_TEST_MAX_AGE}\",\n"
        "     \"accounts\": [\"${LC_TEST_ACCOUNT}\", \"111111111111\"], \"regions\": "
        "[\"us-east-1\"]}]}]}";
    struct lc_config *cfg;
    (void)state;

    set_test_env();
    unsetenv("NOT_EXPANDED_IN_COMMENTS");
    cfg = load_ok(json);
    assert_string_equal(cfg->profile, "${HOME}-$x$$");
    assert_string_equal(lc_kv_get(&cfg->endpoints, "s3"), "http://logcanary.210987654321:1");
    assert_string_equal(cfg->targets[0].name, "logcanary");
    assert_string_equal(cfg->targets[0].bucket, "b-210987654321");
    assert_string_equal(cfg->targets[0].role_arn, "arn:aws:iam::210987654321:role/logcanary");
    assert_int_equal(cfg->targets[0].sources[0].max_age_s, 45 * 60);
    assert_string_equal(cfg->targets[0].sources[0].accounts[0], "210987654321");
    assert_string_equal(cfg->targets[0].sources[0].accounts[1], "111111111111");
    lc_config_free(cfg);
}

/* An expanded value may be a secret: messages name the variable, never the value. */
static void test_env_secret_not_echoed(void **state)
{
    static const char secret[] = "https://hooks.example.com/services/T000/B000/XXXXSECRET";
    char json[4096];
    struct lc_error err;
    int rc;
    (void)state;

    setenv("LC_TEST_SECRET", secret, 1);
    snprintf(json, sizeof(json), tmpl, "", ", \"prefix\": \"${LC_TEST_SECRET}\"", "", "config", "");
    assert_null(load(json, &rc, &err));
    assert_int_equal(rc, LC_E_INVALID);
    assert_string_equal(err.message,
                        "targets[0].prefix: expected folders separated by single '/' (an empty "
                        "folder name) (value from ${LC_TEST_SECRET})");
    snprintf(json, sizeof(json), tmpl, ", \"endpoint\": \"x${LC_TEST_SECRET}\"", "", "", "config",
             "");
    assert_null(load(json, &rc, &err));
    assert_null(strstr(err.message, "XXXXSECRET"));
    assert_string_equal(err.message, "aws.endpoint: expected an http:// or https:// URL like "
                                     "\"https://s3.ap-northeast-1.amazonaws.com\" (value from "
                                     "${LC_TEST_SECRET})");
    unsetenv("LC_TEST_SECRET");
}

/* ---- the text ---------------------------------------------------------------------------- */

static void expect_text_error(const char *json, size_t len, const char *msg)
{
    struct lc_config *cfg = (struct lc_config *)0x1;
    struct lc_error err;
    int rc = lc_config_load_string(json, len, "test.json", &cfg, &err);

    assert_null(cfg);
    if (rc == 0 || strcmp(err.message, msg) != 0)
        fail_msg("want: %s\ngot (%d):  %s", msg, rc, err.message);
}

static void test_syntax(void **state)
{
    static const struct {
        const char *json, *msg;
    } cases[] = {
        {"{\n  \"aws\": {\n    \"region\": \"ap-northeast-1\",\n  }\n}",
         "test.json:3:31: invalid JSON: trailing comma before '}'"},
        {"{\"targets\": [1, 2,\n\t]}", "test.json:1:18: invalid JSON: trailing comma before ']'"},
        {"{\n  \"aws\": tru\n}", "test.json:2:10: invalid JSON near 't'"},
        {"{\n  \"aws\": {\"region\": \"x\"}\n  \"targets\": []\n}",
         "test.json:3:3: invalid JSON near '\"'"},
        {"{\"aws\": {", "test.json:1:10: invalid JSON: unexpected end of file"},
        {"{\"a\": 1}}", "test.json:1:9: invalid JSON near '}'"},
        {"", "test.json:1:1: empty file: expected a JSON object"},
        {" \n\t ", "test.json:2:3: empty file: expected a JSON object"},
        {"{\"a\": \"line\nbreak\"}",
         "test.json:1:12: invalid JSON: control character in a string (write \\n, \\t, ...)"},
        {"{\"a\": \"x\\u0000y\"}", "test.json:1:9: \\u0000 is not allowed in strings"},
        {"{\"a\": \"\xc3\xa9\xff\"}",
         "test.json:1:9: invalid UTF-8: the configuration must be UTF-8 JSON text"},
        {"{\"a\": \"\xed\xa0\x80\"}", /* an encoded surrogate */
         "test.json:1:8: invalid UTF-8: the configuration must be UTF-8 JSON text"},
        {"{\"a\": \"\xc0\xaf\"}", /* overlong '/' */
         "test.json:1:8: invalid UTF-8: the configuration must be UTF-8 JSON text"},
        {"{\"a\": \"\\ud800\"}", "test.json:1:8: invalid JSON near '\\'"},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_text_error(cases[i].json, strlen(cases[i].json), cases[i].msg);
    /* A NUL byte. */
    expect_text_error("{\n \"a\"\0: 1}", 10,
                      "test.json:2:5: NUL byte: the configuration must be UTF-8 JSON text");

    /* Nesting, even inside a comment. */
    char deep[300];
    size_t n = 0;
    n += (size_t)snprintf(deep + n, sizeof(deep) - n, "{\"//\": ");
    for (int i = 0; i < 70; i++)
        deep[n++] = '[';
    deep[n] = '\0';
    expect_text_error(deep, n, "test.json:1:71: invalid JSON: nested too deeply");
}

static void test_encoding_ok(void **state)
{
    /* A byte order mark, UTF-8 in comments and values, escapes. */
    static const char json[] =
        "\xef\xbb\xbf{\"//\": \"\xe3\x83\xad\xe3\x82\xb0 \xf0\x9f\x90\xa4\", \"aws\": "
        "{\"profile\": "
        "\"caf\xc3\xa9\\u00e9\\\\\\\"\"}, \"targets\": [{\"name\": \"t\", \"bucket\": \"bbb\", "
        "\"sources\": [{\"type\": \"config\", \"accounts\": [\"111111111111\"], \"regions\": "
        "[\"us-east-1\"]}]}]}";
    struct lc_config *cfg = load_ok(json);
    (void)state;

    assert_string_equal(cfg->profile, "caf\xc3\xa9\xc3\xa9\\\"");
    lc_config_free(cfg);
}

/* Every truncation of a valid file fails cleanly (and leaks nothing under ASan). */
static void test_truncations(void **state)
{
    size_t len = strlen(issue_example);
    (void)state;

    for (size_t i = 0; i < len; i++) {
        struct lc_config *cfg = (struct lc_config *)0x1;
        struct lc_error err;
        /* Cutting only trailing whitespace keeps it valid. */
        bool valid = strspn(issue_example + i, " \n") == len - i;
        int rc = lc_config_load_string(issue_example, i, NULL, &cfg, &err);
        if (valid) {
            assert_int_equal(rc, 0);
            assert_null(cfg->origin);
            lc_config_free(cfg);
            continue;
        }
        assert_int_equal(rc, LC_E_PARSE);
        assert_null(cfg);
        assert_true(strncmp(err.message, "config:", 7) == 0);
    }
    /* err may be NULL. */
    struct lc_config *cfg = (struct lc_config *)0x1;
    assert_int_equal(lc_config_load_string("{", 1, NULL, &cfg, NULL), LC_E_PARSE);
    assert_null(cfg);
}

/* ---- files ------------------------------------------------------------------------------- */

static char *write_temp(const char *data, size_t len)
{
    char *path = strdup("/tmp/lc_test_config_XXXXXX");
    assert_non_null(path);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    return path;
}

static void test_size_limit(void **state)
{
    size_t len = LC_CONFIG_MAX_BYTES;
    char *big = malloc(len + 2);
    struct lc_config *cfg = NULL;
    struct lc_error err;
    char want[256];
    (void)state;

    /* Exactly 1 MiB: the issue's example padded with spaces loads. */
    assert_non_null(big);
    memset(big, ' ', len + 1);
    memcpy(big, issue_example, strlen(issue_example));
    big[len + 1] = '\0';
    assert_int_equal(lc_config_load_string(big, len, "big.json", &cfg, &err), 0);
    lc_config_free(cfg);

    /* One byte more does not, from a string or a file. */
    assert_int_equal(lc_config_load_string(big, len + 1, "big.json", &cfg, &err), LC_E_INVALID);
    assert_null(cfg);
    assert_string_equal(err.message, "big.json: larger than 1 MiB (1048577 bytes): not a logcanary "
                                     "configuration");
    char *path = write_temp(big, len + 1);
    assert_int_equal(lc_config_load_file(path, &cfg, &err), LC_E_INVALID);
    assert_null(cfg);
    snprintf(want, sizeof(want), "%s: larger than 1 MiB: not a logcanary configuration", path);
    assert_string_equal(err.message, want);
    unlink(path);
    free(path);

    path = write_temp(big, len);
    assert_int_equal(lc_config_load_file(path, &cfg, &err), 0);
    assert_string_equal(cfg->origin, path);
    lc_config_free(cfg);
    unlink(path);
    free(path);
    free(big);
}

static void test_files(void **state)
{
    struct lc_config *cfg = (struct lc_config *)0x1;
    struct lc_error err;
    char want[512];
    (void)state;

    assert_int_equal(lc_config_load_file("/nonexistent/lc.json", &cfg, &err), LC_E_IO);
    assert_null(cfg);
    assert_string_equal(err.message,
                        "/nonexistent/lc.json: cannot open: No such file or directory");
    assert_int_equal(lc_config_load_file("/tmp", &cfg, &err), LC_E_IO);
    assert_string_equal(err.message, "/tmp: is a directory, expected a JSON file");

    /* Syntax errors carry the file name, content errors the JSON path. */
    static const char bad[] = "{\n  \"targets\": [,]\n}\n";
    char *path = write_temp(bad, strlen(bad));
    assert_int_equal(lc_config_load_file(path, &cfg, &err), LC_E_PARSE);
    snprintf(want, sizeof(want), "%s:2:15: invalid JSON near ','", path);
    assert_string_equal(err.message, want);
    unlink(path);
    free(path);
    path = write_temp("{\"targets\": []}", strlen("{\"targets\": []}"));
    assert_int_equal(lc_config_load_file(path, &cfg, &err), LC_E_INVALID);
    assert_string_equal(err.message, "targets: expected a non-empty array of objects");
    unlink(path);
    free(path);
    path = write_temp("", 0);
    assert_int_equal(lc_config_load_file(path, &cfg, &err), LC_E_PARSE);
    snprintf(want, sizeof(want), "%s:1:1: empty file: expected a JSON object", path);
    assert_string_equal(err.message, want);
    unlink(path);
    free(path);
    lc_config_free(NULL);
}

static struct lc_config *load_example(const char *name)
{
    char rel[256];
    struct lc_config *cfg = NULL;
    struct lc_error err;

    snprintf(rel, sizeof(rel), "config/examples/%s", name);
    char *path = fx_source_path(rel);
    if (lc_config_load_file(path, &cfg, &err) != 0)
        fail_msg("%s: %s", path, err.message);
    free(path);
    return cfg;
}

static void test_examples(void **state)
{
    struct lc_config *cfg;
    const struct lc_target_cfg *t;
    (void)state;

    cfg = load_example("flowlogs-bucket.json");
    assert_int_equal(cfg->n_targets, 1);
    t = &cfg->targets[0];
    assert_string_equal(t->bucket, "example-central-flow-logs");
    assert_null(t->prefix);
    assert_null(t->role_arn);
    assert_string_equal(
        t->kms_key_arn,
        "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab");
    assert_int_equal(t->n_sources, 2);
    assert_string_equal(t->sources[0].probe->cfg.name, "vpcflowlogs");
    assert_int_equal(t->sources[0].n_accounts, 3);
    assert_int_equal(t->sources[0].n_regions, 3);
    assert_false(lc_source_option_bool(&t->sources[0], "hive_compatible"));
    assert_false(lc_source_option_bool(&t->sources[0], "per_hour"));
    assert_string_equal(lc_source_option_string(&t->sources[0], "file_format"), "plain-text");
    assert_int_equal(t->sources[1].max_age_s, 2 * 3600);
    lc_config_free(cfg);

    setenv("LOGCANARY_EXTERNAL_ID", "example-external-id", 1);
    cfg = load_example("control-tower-log-archive.json");
    t = &cfg->targets[0];
    assert_string_equal(t->bucket, "aws-controltower-logs-210987654321-ap-northeast-1");
    assert_string_equal(t->prefix, "o-abc123def4");
    assert_string_equal(t->role_arn, "arn:aws:iam::210987654321:role/logcanary");
    assert_string_equal(t->external_id, "example-external-id");
    assert_int_equal(t->n_sources, 3);
    assert_string_equal(t->sources[0].probe->cfg.name, "config");
    assert_string_equal(t->sources[1].probe->cfg.name, "cloudtrail");
    assert_string_equal(lc_source_option_string(&t->sources[1], "org_id"), "o-abc123def4");
    assert_string_equal(t->sources[2].probe->cfg.name, "vpcflowlogs");
    assert_string_equal(t->sources[2].prefix, "vpc-flow-logs");
    assert_true(lc_source_option_bool(&t->sources[2], "hive_compatible"));
    assert_true(lc_source_option_bool(&t->sources[2], "per_hour"));
    lc_config_free(cfg);
    unsetenv("LOGCANARY_EXTERNAL_ID");
}

/* config/README.md is generated: the file must equal what the code writes now. */
static void test_reference(void **state)
{
    char *doc = NULL;
    size_t doc_len = 0;
    FILE *m = open_memstream(&doc, &doc_len);
    (void)state;

    assert_non_null(m);
    assert_int_equal(lc_config_write_reference(m), 0);
    fclose(m);
    /* Every table key is in it. */
    /* each type's own default, in registry order (later types follow these three) */
    const char *max_age = strstr(doc, "| `targets[].sources[].max_age` | duration | vpcflowlogs: "
                                      "`30m`, config: `7h`, cloudtrail: `20m`");
    assert_non_null(max_age);
    const char *eol = strchr(max_age, '\n');
    assert_non_null(eol);
    const char *rest = strstr(max_age, "` | no | `1s` to `30d` | The newest delivery");
    assert_true(rest && rest < eol);
    assert_non_null(strstr(doc, "| `aws.endpoints` |"));
    assert_non_null(
        strstr(doc, "| `targets[].canary.prefix` | string | `\"logcanary-canary/\"` |"));

    char why[512];
    if (fx_check_generated("config/README.md", NULL, NULL, doc, "LC_UPDATE_CONFIG_README", why,
                           sizeof(why)) != 0)
        fail_msg("%s (test_config)", why);
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_issue_example),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_all_keys),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_valid_values),
        cmocka_unit_test(test_env),
        cmocka_unit_test(test_env_secret_not_echoed),
        cmocka_unit_test(test_syntax),
        cmocka_unit_test(test_encoding_ok),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_examples),
        cmocka_unit_test(test_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
