/* The finding registry (codes.h). */
#include "pipeline/codes.h"

#include <string.h>

#include "core/error.h"

/* clang-format off */
static const struct lc_finding_info registry[LC_F_COUNT] = {
    [LC_F_CANARY_FAILED] = {"CANARY_FAILED", LC_SEV_CRITICAL,
             "(critical) A canary step (put, head, get, delete) failed, or the object read back differs\n"
             "from what was written.\n"
             "(warning) The canary object was not deleted; the summary names it.\n"},
    [LC_F_CANARY_WRITE_DENIED_KMS] = {"CANARY_WRITE_DENIED_KMS", LC_SEV_CRITICAL,
             "(critical) The canary PUT failed on KMS: SSE\\-KMS writes to this bucket fail, so the\n"
             "services' deliveries fail too.\n"
             "The key must exist, be enabled, and its policy must allow\n"
             ".B kms:GenerateDataKey\n"
             "to the writer.\n"},
    [LC_F_DELIVERY_MISSING] = {"DELIVERY_MISSING", LC_SEV_CRITICAL,
             "(critical) No delivery newer than\n"
             ".BR max_age :\n"
             "the newest is too old (stream status\n"
             ".BR stale ),\n"
             "or there is none at all in the period looked back over (status\n"
             ".BR missing ).\n"
             "Check the service's own delivery status and the bucket's KMS key policy for a grant to the\n"
             "delivering service.\n"
             "With the source's\n"
             ".BR status_role_arn ,\n"
             "the evidence also holds what the service says of its deliveries to the bucket when it reports\n"
             "no failure.\n"},
    [LC_F_ENCRYPTION_MISMATCH] = {"ENCRYPTION_MISMATCH", LC_SEV_WARNING,
             "(warning) The newest delivery, or the canary, is not encrypted with\n"
             ".B aws:kms\n"
             "and the configured\n"
             ".BR kms_key_arn .\n"},
    [LC_F_PROBE_ERROR] = {"PROBE_ERROR", LC_SEV_WARNING,
             "(warning) logcanary could not check a stream or canary: network, throttling after retries,\n"
             "invalid or expired credentials, an unexpected answer (status\n"
             ".BR error ).\n"
             "Never reported as\n"
             ".BR DELIVERY_MISSING .\n"},
    [LC_F_READ_DENIED_KMS] = {"READ_DENIED_KMS", LC_SEV_CRITICAL,
             "(critical) Reading the deliveries was denied by KMS: logcanary cannot decrypt\n"
             "them (status\n"
             ".BR denied ).\n"
             "Allow\n"
             ".B kms:Decrypt\n"
             "on the bucket's key to the principal logcanary runs as (the key policy, and its IAM policy\n"
             "when the key is in another account).\n"},
    [LC_F_READ_DENIED_S3] = {"READ_DENIED_S3", LC_SEV_CRITICAL,
             "(critical) Listing or reading the deliveries was denied by S3 (status\n"
             ".BR denied ).\n"
             "Allow\n"
             ".B s3:ListBucket\n"
             "and\n"
             ".B s3:GetObject\n"
             "on the log prefixes to the principal logcanary runs as (bucket policy and IAM).\n"},
    [LC_F_SAMPLE_INVALID] = {"SAMPLE_INVALID", LC_SEV_CRITICAL,
             "(critical) The newest delivery's content is not what the service writes (status\n"
             ".BR invalid ),\n"
             "with the reason.\n"
             "(warning) A fresh file whose records are much older than the file: a replay or a copy, not\n"
             "a delivery.\n"},
    [LC_F_KEY_POLICY_GAP] = {"KEY_POLICY_GAP", LC_SEV_CRITICAL,
             "(critical) The KMS key policy does not grant the delivering service (or logcanary's own\n"
             "principal, for a read denied by KMS) what it needs, or denies it: found by evaluating the key\n"
             "policy for the service's real requests.\n"
             "The evidence names the principal, the missing actions and any denying statement; the\n"
             "remediation holds the statements to add, filled with the real account, region, key, trail,\n"
             "bucket and prefix.\n"},
    [LC_F_BUCKET_POLICY_GAP] = {"BUCKET_POLICY_GAP", LC_SEV_CRITICAL,
             "(critical) The same for the bucket policy.\n"},
    [LC_F_KEY_UNUSABLE] = {"KEY_UNUSABLE", LC_SEV_CRITICAL,
             "(critical) The bucket's KMS key cannot work for delivery: it is not enabled (disabled, pending\n"
             "deletion), it is an AWS managed key\n"
             ".RB ( aws/s3 ),\n"
             "it is in another region than the bucket (and not a multi\\-Region replica), or the bucket's\n"
             "default encryption names it by key id where a delivering service needs its ARN.\n"},
    [LC_F_DELIVERY_STATUS_FAILED] = {"DELIVERY_STATUS_FAILED", LC_SEV_CRITICAL,
             "(critical) The delivering service itself reports failed delivery (its delivery status or\n"
             "last delivery error, as each source's type reads it), read through the source's\n"
             ".BR status_role_arn .\n"},
    [LC_F_DIAGNOSIS_INCOMPLETE] = {"DIAGNOSIS_INCOMPLETE", LC_SEV_INFO,
             "(info) logcanary could not read everything the diagnosis needs (the bucket's encryption,\n"
             "the key, the key policy, the bucket policy, the services' status); the remediation lists the\n"
             "permissions to grant.\n"
             ".B kms:GetKeyPolicy\n"
             "works only from the key's own account.\n"},
    [LC_F_DESTINATION_UNSUPPORTED] = {"DESTINATION_UNSUPPORTED", LC_SEV_CRITICAL,
             "(critical) The source's service can never deliver into this bucket as it is: a bucket name\n"
             "the service refuses, or an encryption it cannot write with (as each source's type\n"
             "knows it, see\n"
             ".BR SOURCES ).\n"
             "Reported for a stream with no recent delivery, as its likely cause; the remediation says\n"
             "what to change.\n"},
    [LC_F_NEVER_DELIVERED] = {"NEVER_DELIVERED", LC_SEV_CRITICAL,
             "(critical) An expected stream has no delivery at all: nothing is under its folder, however\n"
             "old. It names the account (with its name and when it joined the organization, when\n"
             "discovered) and why the stream is expected (the config, the organization, a governed\n"
             "region). Like a missing delivery it gets the diagnosis and the likely cause.\n"
             "(warning) The account joined the organization less than\n"
             ".B discovery.grace\n"
             "ago.\n"},
    [LC_F_UNMONITORED_DELIVERY] = {"UNMONITORED_DELIVERY", LC_SEV_INFO,
             "(info) An account delivers into the bucket, but no source of the target expects it: a\n"
             "configuration that forgot it, or an account outside the organization.\n"},
};
/* clang-format on */

const struct lc_finding_info *lc_finding_info(enum lc_finding_code c)
{
    return (unsigned)c < LC_F_COUNT ? &registry[c] : NULL;
}

const char *lc_finding_name(enum lc_finding_code c)
{
    return (unsigned)c < LC_F_COUNT ? registry[c].name : "UNKNOWN";
}

int lc_finding_parse(const char *name)
{
    for (int i = 0; i < LC_F_COUNT; i++)
        if (strcmp(registry[i].name, name) == 0)
            return i;
    return -1;
}

const char *lc_severity_name(enum lc_severity s)
{
    static const char *const n[] = {"info", "warning", "critical"};
    return (size_t)s < sizeof(n) / sizeof(n[0]) ? n[s] : "unknown";
}

int lc_findings_write_man(FILE *out)
{
    for (int i = 0; i < LC_F_COUNT; i++)
        fprintf(out, ".TP\n.B %s\n%s", registry[i].name, registry[i].man);
    return ferror(out) ? LC_E_IO : 0;
}
