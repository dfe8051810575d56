/* logcanary policy check: offline evaluation of a key policy (and a bucket policy) for one
 * delivering service, with the statements to add. No network. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "cmd/cli.h"
#include "iam/diagnose.h"
#include "iam/policy.h"

#define EXIT_UNDETERMINED 4

static const char policy_usage[] =
    "usage: logcanary policy check --key-policy FILE [--bucket-policy FILE]\n"
    "           --service vpcflowlogs|config|cloudtrail --account ID --region REGION\n"
    "           --bucket NAME [--key-arn ARN] [--trail-arn ARN] [--org-id O] [--prefix P]\n"
    "           [--bucket-key] [--control-tower] [--config-role ARN] [--reader-role ARN]\n"
    "           [--format text|json]\n"
    "\n"
    "Evaluates the KMS key policy (and the S3 bucket policy) with IAM semantics for the requests\n"
    "the service really makes, and prints what is missing and the statements to add.\n"
    "\n"
    "  --key-policy FILE     the key policy JSON; the GetKeyPolicy response shape\n"
    "                        {\"Policy\": \"<policy as a string>\"} (aws kms get-key-policy\n"
    "                        output) is accepted as well; at most 64 KiB\n"
    "  --bucket-policy FILE  the bucket policy JSON (or {\"Policy\": \"...\"}); without it the\n"
    "                        bucket policy is not checked\n"
    "  --account ID          the account whose logs are delivered\n"
    "  --region REGION       the delivering region (CloudTrail: the trail's home region)\n"
    "  --prefix P            the key prefix in the bucket, without slashes at the ends\n"
    "  --bucket-key          the bucket uses an S3 Bucket Key (encryption context = bucket ARN)\n"
    "  --control-tower       Control Tower statements and steps (implied by a bucket named\n"
    "                        aws-controltower-logs-*)\n"
    "  --config-role ARN     Config's recorder role (writes first as the role, then as the\n"
    "                        service principal)\n"
    "  --reader-role ARN     also check that this role can read the logs (kms:Decrypt,\n"
    "                        s3:GetObject)\n"
    "\n"
    "exit codes: 0 granted, 1 gap, 2 usage or unreadable/invalid policy, 4 undetermined\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;

    fputs("logcanary policy check: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fputs(policy_usage, stderr);
    return LC_EXIT_USAGE;
}

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
    enum {
        O_KEY = 256,
        O_BUCKET_POLICY,
        O_SERVICE,
        O_ACCOUNT,
        O_REGION,
        O_BUCKET,
        O_KEY_ARN,
        O_TRAIL_ARN,
        O_ORG_ID,
        O_PREFIX,
        O_BUCKET_KEY,
        O_CT,
        O_CONFIG_ROLE,
        O_READER_ROLE,
        O_FORMAT,
    };
    static const struct option opts[] = {
        {"key-policy", required_argument, NULL, O_KEY},
        {"bucket-policy", required_argument, NULL, O_BUCKET_POLICY},
        {"service", required_argument, NULL, O_SERVICE},
        {"account", required_argument, NULL, O_ACCOUNT},
        {"region", required_argument, NULL, O_REGION},
        {"bucket", required_argument, NULL, O_BUCKET},
        {"key-arn", required_argument, NULL, O_KEY_ARN},
        {"trail-arn", required_argument, NULL, O_TRAIL_ARN},
        {"org-id", required_argument, NULL, O_ORG_ID},
        {"prefix", required_argument, NULL, O_PREFIX},
        {"bucket-key", no_argument, NULL, O_BUCKET_KEY},
        {"control-tower", no_argument, NULL, O_CT},
        {"config-role", required_argument, NULL, O_CONFIG_ROLE},
        {"reader-role", required_argument, NULL, O_READER_ROLE},
        {"format", required_argument, NULL, O_FORMAT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct lc_diag_params p = {0};
    struct lc_diag_report rep = {0};
    struct lc_policy *keyp = NULL, *bucketp = NULL;
    struct lc_buf text = {0};
    struct lc_error err;
    const char *key_file = NULL, *bucket_file = NULL, *service = NULL;
    bool json = false;
    int rc = LC_EXIT_USAGE, c;

    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(policy_usage, stdout);
        return LC_EXIT_OK;
    }
    if (argc < 2 || strcmp(argv[1], "check") != 0)
        return usage_error("expected the subcommand '%s'", "check");
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
        switch (c) {
        case O_KEY:
            key_file = optarg;
            break;
        case O_BUCKET_POLICY:
            bucket_file = optarg;
            break;
        case O_SERVICE:
            service = optarg;
            break;
        case O_ACCOUNT:
            p.account = optarg;
            break;
        case O_REGION:
            p.region = optarg;
            break;
        case O_BUCKET:
            p.bucket = optarg;
            break;
        case O_KEY_ARN:
            p.key_arn = optarg;
            break;
        case O_TRAIL_ARN:
            p.trail_arn = optarg;
            break;
        case O_ORG_ID:
            p.org_id = optarg;
            break;
        case O_PREFIX:
            p.prefix = optarg;
            break;
        case O_BUCKET_KEY:
            p.bucket_key = true;
            break;
        case O_CT:
            p.control_tower = true;
            break;
        case O_CONFIG_ROLE:
            p.config_role_arn = optarg;
            break;
        case O_READER_ROLE:
            p.reader_role_arn = optarg;
            break;
        case O_FORMAT:
            if (strcmp(optarg, "json") == 0)
                json = true;
            else if (strcmp(optarg, "text") != 0)
                return usage_error("--format: expected text or json, not '%s'", optarg);
            break;
        case 'h':
            fputs(policy_usage, stdout);
            return LC_EXIT_OK;
        default:
            return usage_error("unknown or incomplete option '%s'", argv[optind]);
        }
    }
    if (optind < argc - 1)
        return usage_error("unexpected argument '%s'", argv[optind + 1]);
    if (!key_file)
        return usage_error("%s is required", "--key-policy");
    if (!service)
        return usage_error("%s is required", "--service");
    if (lc_diag_service_parse(service, &p.service) != 0)
        return usage_error("--service: expected vpcflowlogs, config or cloudtrail, not '%s'",
                           service);
    if (!p.account || !p.region || !p.bucket)
        return usage_error("%s are required", "--account, --region and --bucket");

    if (load_policy(key_file, LC_POLICY_KEY, &keyp) != 0)
        goto out;
    if (bucket_file && load_policy(bucket_file, LC_POLICY_BUCKET, &bucketp) != 0)
        goto out;
    if (lc_diagnose(&p, keyp, bucketp, &rep, &err) != 0) {
        fprintf(stderr, "logcanary policy check: %s\n", err.message);
        rc = err.kind == LC_E_INVALID ? LC_EXIT_USAGE : LC_EXIT_CANNOT_RUN;
        goto out;
    }
    if (json) {
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
