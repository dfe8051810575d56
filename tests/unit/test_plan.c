/* The plan with discovery: which accounts and regions each source expects (organization
 * accounts by status, exclude_accounts, include_ous / exclude_ous, governed regions, a landing
 * zone integration turned off, a part that could not be discovered), why each stream is
 * expected, and the discovered lists kept in state_dir read back as written (and refused when
 * damaged). Configs are read by the real loader; the discovered lists are built as the
 * discovery module builds them, from its own JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config/config.h"
#include "pipeline/discovery.h"
#include "pipeline/plan.h"
#include "probes/probe.h"

#define JOINED_OLD "2025-01-10T00:00:00Z"

/* An organization: two OUs (Workloads holds Prod below it), a suspended and a closing account,
 * and a landing zone governing two regions; "config" turned off when config_off. */
static const char *org_json(bool config_off)
{
    static char buf[4096];
    snprintf(buf, sizeof(buf),
             "{\"version\": 1,"
             " \"organization\": {\"read_at\": \"2026-12-04T10:00:00Z\", \"org_id\": "
             "\"o-lc0123456789\", \"accounts\": ["
             "  {\"id\": \"111111111111\", \"name\": \"management\", \"status\": \"ACTIVE\", "
             "\"joined\": \"" JOINED_OLD "\"},"
             "  {\"id\": \"222222222222\", \"name\": \"log-archive\", \"status\": \"ACTIVE\"},"
             "  {\"id\": \"333333333333\", \"name\": \"prod-a\", \"status\": \"ACTIVE\"},"
             "  {\"id\": \"444444444444\", \"name\": \"prod-b\", \"status\": \"ACTIVE\"},"
             "  {\"id\": \"555555555555\", \"name\": \"old\", \"status\": \"SUSPENDED\"},"
             "  {\"id\": \"666666666666\", \"name\": \"closing\", \"status\": "
             "\"PENDING_CLOSURE\"}],"
             " \"ous\": {\"ou-ab12-workload\": [\"333333333333\", \"444444444444\"],"
             "          \"ou-ab12-prodprod\": [\"444444444444\"]}},"
             " \"control_tower\": {\"read_at\": \"2026-12-04T10:00:00Z\", \"region\": "
             "\"us-east-1\", \"version\": \"4.0\", \"governed_regions\": [\"us-east-1\", "
             "\"eu-west-1\"], \"centralized_logging\": true, \"config\": %s}}",
             config_off ? "false" : "true");
    return buf;
}

static struct lc_config *config_of(const char *sources)
{
    char json[4096];
    struct lc_config *cfg = NULL;
    struct lc_error err;

    snprintf(json, sizeof(json),
             "{\"targets\": [{\"name\": \"archive\", \"bucket\": \"lc-archive\", \"sources\": "
             "[%s]}]}",
             sources);
    lc_error_clear(&err);
    if (lc_config_load_string(json, strlen(json), "test.json", &cfg, &err) != 0)
        fail_msg("config: %s", err.message);
    return cfg;
}

static void discovered_of(const char *json, struct lc_discovered *d)
{
    struct lc_error err;
    cJSON *doc = cJSON_Parse(json);
    assert_non_null(doc);
    lc_error_clear(&err);
    if (lc_discovered_from_json(doc, d, &err) != 0)
        fail_msg("discovered: %s", err.message);
    cJSON_Delete(doc);
}

/* "account/region" of every stream, ", "-joined. */
static const char *streams_of(const struct lc_plan *p)
{
    static char buf[2048];
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < p->n_streams && n < sizeof(buf); i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s/%s", i ? ", " : "",
                              p->streams[i].account, p->streams[i].region);
    return buf;
}

static const char *skipped_of(const struct lc_plan *p)
{
    static char buf[1024];
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < p->n_skipped && n < sizeof(buf); i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s:%s", i ? ", " : "",
                              p->skipped[i].acct ? p->skipped[i].acct->id : "*", p->skipped[i].why);
    return buf;
}

struct plan_case {
    const char *name;
    const char *sources;
    bool config_off;
    const char *streams; /* account/region, in plan order */
    const char *skipped;
    unsigned expected_by; /* of the first stream */
};

static const struct plan_case plan_cases[] = {
    {"the organization's active accounts, listed regions",
     "{\"type\": \"cloudtrail\", \"accounts\": \"organization\", \"regions\": [\"us-east-1\"]}",
     false,
     "111111111111/us-east-1, 222222222222/us-east-1, 333333333333/us-east-1, "
     "444444444444/us-east-1",
     "555555555555:SUSPENDED, 666666666666:PENDING_CLOSURE",
     LC_EXPECT_ORGANIZATION | LC_EXPECT_CONFIG},
    {"exclude_accounts and exclude_ous",
     "{\"type\": \"cloudtrail\", \"accounts\": \"organization\", \"regions\": [\"us-east-1\"], "
     "\"exclude_accounts\": [\"111111111111\"], \"exclude_ous\": [\"ou-ab12-prodprod\"]}",
     false, "222222222222/us-east-1, 333333333333/us-east-1",
     "111111111111:exclude_accounts, 444444444444:exclude_ous, 555555555555:SUSPENDED, "
     "666666666666:PENDING_CLOSURE",
     LC_EXPECT_ORGANIZATION | LC_EXPECT_CONFIG},
    {"include_ous: the unit and the units below it",
     "{\"type\": \"cloudtrail\", \"accounts\": \"organization\", \"regions\": [\"us-east-1\"], "
     "\"include_ous\": [\"ou-ab12-workload\"]}",
     false, "333333333333/us-east-1, 444444444444/us-east-1",
     "111111111111:include_ous, 222222222222:include_ous, 555555555555:SUSPENDED, "
     "666666666666:PENDING_CLOSURE",
     LC_EXPECT_ORGANIZATION | LC_EXPECT_CONFIG},
    {"listed accounts in the governed regions",
     "{\"type\": \"vpcflowlogs\", \"accounts\": [\"333333333333\"], \"regions\": \"governed\"}",
     false, "333333333333/us-east-1, 333333333333/eu-west-1", "",
     LC_EXPECT_CONFIG | LC_EXPECT_CONTROL_TOWER},
    {"Config turned off in the landing zone: nothing expected of it",
     "{\"type\": \"config\", \"accounts\": \"organization\", \"regions\": \"governed\"}", true, "",
     "*:integration turned off in the landing zone", 0},
    {"CloudTrail stays expected when only Config is off",
     "{\"type\": \"cloudtrail\", \"accounts\": [\"222222222222\"], \"regions\": \"governed\"}",
     true, "222222222222/us-east-1, 222222222222/eu-west-1", "",
     LC_EXPECT_CONFIG | LC_EXPECT_CONTROL_TOWER},
};

static void test_plan_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(plan_cases) / sizeof(plan_cases[0]); i++) {
        const struct plan_case *c = &plan_cases[i];
        struct lc_config *cfg = config_of(c->sources);
        struct lc_discovered d;
        struct lc_plan p;
        struct lc_error err;
        discovered_of(org_json(c->config_off), &d);
        lc_error_clear(&err);
        assert_int_equal(lc_plan_build(cfg, &d, NULL, NULL, &p, &err), 0);
        if (strcmp(streams_of(&p), c->streams) != 0)
            fail_msg("%s: streams %s, want %s", c->name, streams_of(&p), c->streams);
        if (strcmp(skipped_of(&p), c->skipped) != 0)
            fail_msg("%s: not expected %s, want %s", c->name, skipped_of(&p), c->skipped);
        if (p.n_streams && p.streams[0].expected_by != c->expected_by)
            fail_msg("%s: expected_by %u, want %u", c->name, p.streams[0].expected_by,
                     c->expected_by);
        assert_int_equal(p.n_undiscovered, 0);
        lc_plan_free(&p);
        lc_discovered_free(&d);
        lc_config_free(cfg);
    }
}

/* A discovered account keeps its name and joining time on the stream; a listed account that
 * the organization knows gets them too. */
static void test_account_details(void **state)
{
    struct lc_config *cfg =
        config_of("{\"type\": \"cloudtrail\", \"accounts\": [\"111111111111\", \"999999999999\"], "
                  "\"regions\": [\"us-east-1\"]}");
    struct lc_discovered d;
    struct lc_plan p;
    struct lc_error err;
    char by[96];
    (void)state;

    discovered_of(org_json(false), &d);
    lc_error_clear(&err);
    assert_int_equal(lc_plan_build(cfg, &d, NULL, NULL, &p, &err), 0);
    assert_int_equal(p.n_streams, 2);
    assert_non_null(p.streams[0].acct);
    assert_string_equal(p.streams[0].acct->name, "management");
    assert_true(p.streams[0].acct->joined > 0);
    assert_null(p.streams[1].acct); /* not an account of the organization */
    assert_string_equal(lc_expected_by_text(p.streams[0].expected_by, by, sizeof(by)), "config");
    assert_string_equal(
        lc_expected_by_text(LC_EXPECT_ORGANIZATION | LC_EXPECT_CONTROL_TOWER | LC_EXPECT_BUCKET, by,
                            sizeof(by)),
        "organization, control_tower, bucket");
    lc_plan_free(&p);
    lc_discovered_free(&d);
    lc_config_free(cfg);
}

/* Without the discovered lists, a source that needs them is counted, not planned; the others
 * are planned as usual. */
static void test_undiscovered(void **state)
{
    struct lc_config *cfg = config_of(
        "{\"type\": \"cloudtrail\", \"accounts\": \"organization\", \"regions\": [\"us-east-1\"]},"
        "{\"type\": \"config\", \"accounts\": [\"111111111111\"], \"regions\": \"governed\"},"
        "{\"type\": \"vpcflowlogs\", \"accounts\": [\"111111111111\"], \"regions\": "
        "[\"us-east-1\"]}");
    struct lc_discovered d;
    struct lc_plan p;
    struct lc_error err;
    (void)state;

    lc_error_clear(&err);
    assert_int_equal(lc_plan_build(cfg, NULL, NULL, NULL, &p, &err), 0);
    assert_int_equal(p.n_undiscovered, 2);
    assert_ptr_equal(p.undiscovered, &cfg->targets[0].sources[0]);
    assert_ptr_equal(p.undiscovered_target, &cfg->targets[0]);
    assert_string_equal(streams_of(&p), "111111111111/us-east-1");
    lc_plan_free(&p);
    /* the organization known, the landing zone not: only the governed source waits */
    discovered_of("{\"version\": 1, \"organization\": {\"read_at\": \"2026-12-04T10:00:00Z\", "
                  "\"accounts\": [{\"id\": \"222222222222\", \"status\": \"ACTIVE\"}]}}",
                  &d);
    assert_int_equal(lc_plan_build(cfg, &d, NULL, NULL, &p, &err), 0);
    assert_int_equal(p.n_undiscovered, 1);
    assert_ptr_equal(p.undiscovered, &cfg->targets[0].sources[1]);
    assert_string_equal(streams_of(&p), "222222222222/us-east-1, 111111111111/us-east-1");
    lc_plan_free(&p);
    lc_discovered_free(&d);
    lc_config_free(cfg);
}

/* The kept lists read back exactly as written; damaged ones are refused, naming the field. */
static void test_kept_round_trip(void **state)
{
    struct lc_discovered d, back;
    struct lc_error err;
    (void)state;

    discovered_of(org_json(true), &d);
    d.org.from = d.ct.from = LC_DISC_READ;
    cJSON *doc = lc_discovered_to_json(&d);
    char *a = cJSON_PrintUnformatted(doc);
    lc_error_clear(&err);
    assert_int_equal(lc_discovered_from_json(doc, &back, &err), 0);
    back.org.from = back.ct.from = LC_DISC_READ;
    cJSON *doc2 = lc_discovered_to_json(&back);
    char *b = cJSON_PrintUnformatted(doc2);
    assert_string_equal(a, b);
    assert_int_equal(back.org.n_accounts, 6);
    assert_int_equal(back.org.n_ous, 2);
    assert_true(lc_discovered_in_ou(&back, "ou-ab12-workload", "444444444444"));
    assert_false(lc_discovered_in_ou(&back, "ou-ab12-prodprod", "333333333333"));
    assert_int_equal(back.ct.config, 0);
    assert_int_equal(back.ct.centralized_logging, 1);
    assert_string_equal(back.ct.governed[1], "eu-west-1");
    cJSON_free(a);
    cJSON_free(b);
    cJSON_Delete(doc);
    cJSON_Delete(doc2);
    lc_discovered_free(&back);
    lc_discovered_free(&d);

    static const struct {
        const char *json, *why;
    } bad[] = {
        {"{\"version\": 2}", "version"},
        {"{}", "version"},
        {"{\"version\": 1, \"organization\": {\"accounts\": []}}", "read_at"},
        {"{\"version\": 1, \"organization\": {\"read_at\": \"2026-12-04T10:00:00Z\", "
         "\"accounts\": [{\"status\": \"ACTIVE\"}]}}",
         "id"},
        {"{\"version\": 1, \"organization\": {\"read_at\": \"2026-12-04T10:00:00Z\", "
         "\"accounts\": [], \"ous\": {\"ou-ab12-x1234567\": [1]}}}",
         "ous"},
        {"{\"version\": 1, \"control_tower\": {\"read_at\": \"2026-12-04T10:00:00Z\", "
         "\"governed_regions\": [7]}}",
         "governed_regions"},
        {"{\"version\": 1, \"control_tower\": {\"read_at\": \"2026-12-04T10:00:00Z\", "
         "\"governed_regions\": [], \"config\": \"yes\"}}",
         "config"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cJSON *j = cJSON_Parse(bad[i].json);
        assert_non_null(j);
        lc_error_clear(&err);
        assert_int_not_equal(lc_discovered_from_json(j, &back, &err), 0);
        if (!strstr(err.message, bad[i].why))
            fail_msg("%s: %s lacks %s", bad[i].json, err.message, bad[i].why);
        cJSON_Delete(j);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_cases),
        cmocka_unit_test(test_account_details),
        cmocka_unit_test(test_undiscovered),
        cmocka_unit_test(test_kept_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
