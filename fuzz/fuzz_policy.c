/* libFuzzer: the policy parser, the evaluator and the service models on hostile policies. The
 * first byte picks the policy kind and the service; the rest is the policy. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iam/diagnose.h"
#include "probes/probe.h"
#include "iam/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_result(const struct lc_pol_result *r)
{
    if (r->verdict != LC_POL_GRANTED && r->verdict != LC_POL_GAP &&
        r->verdict != LC_POL_UNDETERMINED)
        abort();
    /* Never undetermined without a name; never granted over an explicit Deny. */
    if (r->verdict == LC_POL_UNDETERMINED && r->undetermined.n == 0)
        abort();
    if (r->explicit_deny && (r->verdict != LC_POL_GAP || r->denied_by.n == 0))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct lc_pol_ctxkey ctx[] = {
        {"aws:SourceAccount", {LC_VAL_EXACT, "111111111111"}},
        {"aws:SourceArn", {LC_VAL_PREFIX, "arn:aws:logs:us-east-1:111111111111:"}},
        {"aws:SourceIp", {LC_VAL_EXACT, "10.1.2.3"}},
        {"s3:max-keys", {LC_VAL_EXACT, "10"}},
        {"aws:username", {LC_VAL_ABSENT, NULL}},
        {"aws:userid", {LC_VAL_UNKNOWN, NULL}},
    };
    struct lc_policy *p = NULL;
    struct lc_error err;

    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    enum lc_policy_kind kind = sel & 1 ? LC_POLICY_BUCKET : LC_POLICY_KEY;
    if (lc_policy_parse((const char *)data + 1, size - 1, kind, &p, &err) != 0) {
        if (p || !err.message[0])
            abort();
        return 0;
    }
    /* Direct requests: a service and a role, exact and prefix resources. */
    struct lc_pol_request rq = {
        .principal_type = sel & 2 ? LC_PRINCIPAL_IAM : LC_PRINCIPAL_SERVICE,
        .principal =
            sel & 2 ? "arn:aws:sts::111111111111:assumed-role/R/s" : "delivery.logs.amazonaws.com",
        .resource_account = sel & 4 ? "111111111111" : NULL,
        .action = sel & 8 ? "s3:PutObject" : "kms:GenerateDataKey",
        .resource = {sel & 16 ? LC_VAL_PREFIX : LC_VAL_EXACT, "arn:aws:s3:::b/AWSLogs/1/x:y/"},
        .ctx = ctx,
        .n_ctx = sizeof(ctx) / sizeof(ctx[0]),
    };
    struct lc_pol_result res;
    if (lc_policy_evaluate(p, &rq, &res) == 0) {
        check_result(&res);
        lc_pol_result_free(&res);
    }
    /* The service models, remediation, verification and both outputs. */
    /* the probes with a request model, by the selector */
    static const char *const services[] = {"vpcflowlogs", "config", "cloudtrail"};
    const struct lc_probe *probe = lc_probe_find(services[(sel >> 5) % 3]);
    struct lc_diag_params dp = {.service = probe->cfg.name,
                                .model = probe->diag,
                                .account = "111111111111",
                                .region = "us-east-1",
                                .bucket =
                                    sel & 4 ? "aws-controltower-logs-222222222222-us-east-1" : "b",
                                .prefix = sel & 16 ? "p/q" : NULL,
                                .bucket_key = sel & 128};
    size_t n = 0;
    /* the models' own parameters, each where its model has it */
    for (size_t i = 0; i < probe->diag->n_params; i++) {
        const char *name = probe->diag->params[i].name;
        if ((sel & 8) && strcmp(name, "trail_arn") == 0) {
            dp.extra[n].name = name;
            dp.extra[n++].value = "arn:aws:cloudtrail:us-east-1:111111111111:trail/t";
        }
        if ((sel & 2) && strcmp(name, "config_role_arn") == 0) {
            dp.extra[n].name = name;
            dp.extra[n++].value = "arn:aws:iam::111111111111:role/c";
        }
    }
    struct lc_diag_report rep;
    if (lc_diagnose(&dp, kind == LC_POLICY_KEY ? p : NULL, kind == LC_POLICY_BUCKET ? p : NULL,
                    &rep, &err) == 0) {
        struct lc_buf text = {0};
        cJSON *j = lc_diag_report_json(&rep);
        lc_diag_report_text(&rep, &dp, &text);
        cJSON_Delete(j);
        lc_buf_free(&text);
        lc_diag_report_free(&rep);
    }
    lc_policy_free(p);
    return 0;
}
