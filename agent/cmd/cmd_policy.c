/* logcanary policy check: offline evaluation of a key policy (and a bucket policy) for one
 * delivering service, with the statements to add. No network. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "cmd/cli.h"
#include "cmd/options.h"
#include "iam/diagnose.h"
#include "iam/policy.h"

#define EXIT_UNDETERMINED 4

/* Around the generated synopsis and option lines of `logcanary policy check --help`. */
static const char policy_about[] =
    "\n"
    "Evaluates the KMS key policy (and the S3 bucket policy) with IAM semantics for the requests\n"
    "the service really makes, and prints what is missing and the statements to add.\n"
    "\n";
static const char policy_epilog[] =
    "\n"
    "exit codes: 0 granted, 1 gap, 2 usage or unreadable/invalid policy, 4 undetermined\n";

/* The words of --service, indexed by enum lc_diag_service. */
static const char *const service_words[] = {
    [LC_DIAG_VPCFLOWLOGS] = "vpcflowlogs",
    [LC_DIAG_CONFIG] = "config",
    [LC_DIAG_CLOUDTRAIL] = "cloudtrail",
    [LC_DIAG_CLOUDTRAIL + 1] = NULL,
};

/* Read and parse one policy file; errors are printed with the file name. */
static int load_policy(const char *path, enum lc_policy_kind kind, struct lc_policy **out)
{
    struct lc_buf b = {.max = LC_POLICY_MAX_BYTES + 1};
    struct lc_error err;
    int rc;

    *out = NULL;
    lc_error_clear(&err);
    rc = lc_buf_read_file(&b, path, &err);
    if (rc == 0) {
        rc = lc_policy_parse(b.data, b.len, kind, out, &err);
        if (rc)
            fprintf(stderr, "logcanary policy check: %s: %s\n", path, err.message);
    } else if (rc == LC_E_TOO_LARGE) {
        fprintf(stderr, "logcanary policy check: %s: larger than %d bytes\n", path,
                LC_POLICY_MAX_BYTES);
    } else {
        fprintf(stderr, "logcanary policy check: %s\n", err.message);
    }
    lc_buf_free(&b);
    return rc;
}

int lc_cmd_policy(int argc, char **argv)
{
    struct lc_diag_params p = {0};
    struct lc_diag_report rep = {0};
    struct lc_policy *keyp = NULL, *bucketp = NULL;
    struct lc_buf text = {0};
    struct lc_error err;
    const char *key_file = NULL, *bucket_file = NULL;
    int service = 0, format = LC_FORMAT_TEXT;
    const struct lc_opt opts[] = {
        {.name = "check", .kind = LC_OPT_WORD},
        {.name = "key-policy",
         .kind = LC_OPT_STRING,
         .to.string = &key_file,
         .required = true,
         .value = "FILE",
         .help = "the key policy JSON; the GetKeyPolicy response shape\n"
                 "{\"Policy\": \"<policy as a string>\"} (aws kms get-key-policy\n"
                 "output) is accepted as well; at most 64 KiB"},
        {.name = "bucket-policy",
         .kind = LC_OPT_STRING,
         .to.string = &bucket_file,
         .value = "FILE",
         .help = "the bucket policy JSON (or {\"Policy\": \"...\"}); without it the\n"
                 "bucket policy is not checked"},
        {.name = "service",
         .kind = LC_OPT_ENUM,
         .to.index = &service,
         .required = true,
         .words = service_words},
        {.name = "account",
         .kind = LC_OPT_STRING,
         .to.string = &p.account,
         .required = true,
         .value = "ID",
         .help = "the account whose logs are delivered"},
        {.name = "region",
         .kind = LC_OPT_STRING,
         .to.string = &p.region,
         .required = true,
         .value = "REGION",
         .help = "the delivering region (CloudTrail: the trail's home region)"},
        {.name = "bucket",
         .kind = LC_OPT_STRING,
         .to.string = &p.bucket,
         .required = true,
         .value = "NAME"},
        {.name = "key-arn", .kind = LC_OPT_STRING, .to.string = &p.key_arn, .value = "ARN"},
        {.name = "trail-arn", .kind = LC_OPT_STRING, .to.string = &p.trail_arn, .value = "ARN"},
        {.name = "org-id", .kind = LC_OPT_STRING, .to.string = &p.org_id, .value = "O"},
        {.name = "prefix",
         .kind = LC_OPT_STRING,
         .to.string = &p.prefix,
         .value = "P",
         .help = "the key prefix in the bucket, without slashes at the ends"},
        {.name = "bucket-key",
         .kind = LC_OPT_FLAG,
         .to.flag = &p.bucket_key,
         .help = "the bucket uses an S3 Bucket Key (encryption context = bucket ARN)"},
        {.name = "control-tower",
         .kind = LC_OPT_FLAG,
         .to.flag = &p.control_tower,
         .help = "Control Tower statements and steps (implied by a bucket named\n"
                 "aws-controltower-logs-*)"},
        {.name = "config-role",
         .kind = LC_OPT_STRING,
         .to.string = &p.config_role_arn,
         .value = "ARN",
         .help = "Config's recorder role (writes first as the role, then as the\n"
                 "service principal)"},
        {.name = "reader-role",
         .kind = LC_OPT_STRING,
         .to.string = &p.reader_role_arn,
         .value = "ARN",
         .help = "also check that this role can read the logs (kms:Decrypt,\n"
                 "s3:GetObject)"},
        lc_opt_format(&format),
        {.name = NULL},
    };
    const struct lc_opt_cmd cmd = {
        .name = "policy", .about = policy_about, .epilog = policy_epilog, .opts = opts};
    int rc = lc_opt_parse(&cmd, argc, argv);

    if (rc)
        return rc == LC_OPT_HELP ? LC_EXIT_OK : rc;
    p.service = (enum lc_diag_service)service;
    rc = LC_EXIT_USAGE; /* until the policies are read */
    if (load_policy(key_file, LC_POLICY_KEY, &keyp) != 0)
        goto out;
    if (bucket_file && load_policy(bucket_file, LC_POLICY_BUCKET, &bucketp) != 0)
        goto out;
    if (lc_diagnose(&p, keyp, bucketp, &rep, &err) != 0) {
        fprintf(stderr, "logcanary policy check: %s\n", err.message);
        rc = err.kind == LC_E_INVALID ? LC_EXIT_USAGE : LC_EXIT_CANNOT_RUN;
        goto out;
    }
    if (format == LC_FORMAT_JSON) {
        cJSON *o = lc_diag_report_json(&rep);
        int prc = o ? lc_diag_json_pretty(o, &text) : LC_E_NOMEM;
        cJSON_Delete(o);
        if (prc) {
            fputs("logcanary policy check: out of memory\n", stderr);
            rc = LC_EXIT_CANNOT_RUN;
            goto out;
        }
        fputs(text.data, stdout);
    } else {
        if (lc_diag_report_text(&rep, &p, &text) != 0) {
            fputs("logcanary policy check: out of memory\n", stderr);
            rc = LC_EXIT_CANNOT_RUN;
            goto out;
        }
        fputs(text.data, stdout);
    }
    rc = rep.verdict == LC_POL_GRANTED ? LC_EXIT_OK
         : rep.verdict == LC_POL_GAP   ? LC_EXIT_PROBLEMS
                                       : EXIT_UNDETERMINED;
out:
    lc_diag_report_free(&rep);
    lc_policy_free(keyp);
    lc_policy_free(bucketp);
    lc_buf_free(&text);
    return rc;
}
