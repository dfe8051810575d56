/* Policy evaluator: each IAM rule with a case that holds and one that does not, parse errors
 * with JSON paths, the AWS documentation policies and the two real-world cases of
 * probes/FACTS.md (Control Tower, flow logs) through the service models. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "iam/diagnose.h"
#include "probes/probe.h"
#include "iam/policy.h"

#define ACCT  "111111111111"
#define OTHER "222222222222"
#define ROLE  "arn:aws:iam::111111111111:role/Reader"
#define LOGS  "delivery.logs.amazonaws.com"
#define KEY   "arn:aws:kms:ap-northeast-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
#define OBJP  "arn:aws:s3:::flowlogs-bucket/AWSLogs/111111111111/vpcflowlogs/ap-northeast-1/"
#define SRCP  "arn:aws:logs:ap-northeast-1:111111111111:"

#define G LC_POL_GRANTED
#define X LC_POL_GAP
#define U LC_POL_UNDETERMINED

/* A statement wrapped in a 2012-10-17 policy. */
#define POL1(a)                     "{\"Version\":\"2012-10-17\",\"Statement\":[" a "]}"
#define POL2(a, b)                  POL1(a "," b)
#define POL3(a, b, c)               POL1(a "," b "," c)
#define POLN(_1, _2, _3, name, ...) name
#define POL(...)                    POLN(__VA_ARGS__, POL3, POL2, POL1, _)(__VA_ARGS__)
#define ALLOW_ALL_LOGS                                                                             \
    "{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS "\"},\"Action\":\"*\","             \
    "\"Resource\":\"*\"}"

struct evcase {
    const char *name;
    const char *policy;
    enum lc_policy_kind kind;
    bool iam;             /* principal: ROLE (else LOGS) unless who is set */
    const char *who;      /* principal override */
    const char *action;   /* default kms:GenerateDataKey */
    const char *resource; /* default KEY; a trailing '^' marks a prefix */
    const char *ctx;      /* "k=v;k^prefix;k!;k?" exact, prefix, absent, unknown */
    enum lc_pol_verdict want;
    const char *want_named; /* in undetermined, or in denied_by for gaps */
};

static const struct evcase cases[] = {
    /* Explicit Deny wins; an Allow is needed. */
    {"allow", POL(ALLOW_ALL_LOGS), LC_POLICY_KEY, .want = G},
    {"deny wins",
     POL(ALLOW_ALL_LOGS, "{\"Sid\":\"NoLogs\",\"Effect\":\"Deny\",\"Principal\":\"*\","
                         "\"Action\":\"kms:*\",\"Resource\":\"*\"}"),
     LC_POLICY_KEY, .want = X, .want_named = "NoLogs"},
    {"allow needed",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"x.amazonaws.com\"},"
         "\"Action\":\"*\",\"Resource\":\"*\"}"),
     LC_POLICY_KEY, .want = X},
    {"no statements", POL(""), LC_POLICY_KEY, .want = X},
    /* Principal forms. */
    {"principal *",
     POL("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"*\",\"Resource\":"
         "\"*\"}"),
     LC_POLICY_KEY, .want = G},
    {"AWS * grants a same-account role",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},\"Action\":\"*\",\"Resource\":\"*"
         "\"}"),
     LC_POLICY_KEY, .iam = true, .want = G},
    {"service list",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":[\"a.amazonaws.com\",\"" LOGS
         "\"]},\"Action\":\"kms:*\",\"Resource\":\"*\"}"),
     LC_POLICY_KEY, .want = G},
    {"service not listed",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":[\"a.amazonaws.com\"]},"
         "\"Action\":\"kms:*\",\"Resource\":\"*\"}"),
     LC_POLICY_KEY, .want = X},
    {"role ARN direct",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" ROLE "\"},\"Action\":"
         "\"kms:*\",\"Resource\":\"*\"}"),
     LC_POLICY_KEY, .iam = true, .want = G},
    {"assumed-role session of the role",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" ROLE "\"},\"Action\":\"kms:*\","
         "\"Resource\":\"*\"}"),
     LC_POLICY_KEY, .who = "arn:aws:sts::111111111111:assumed-role/Reader/i-0abc", .want = G},
    {"other role",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":[\"arn:aws:iam::111111111111:"
         "role/Other\"]},\"Action\":\"kms:*\",\"Resource\":\"*\"}"),
     LC_POLICY_KEY, .iam = true, .want = X},
    /* The account-root statement: IAM decides for the account's principals, never a service. */
    {"root: role depends on IAM",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::" ACCT
         ":root\"},\"Action\":\"kms:*\",\"Resource\":\"*\"}"),
     LC_POLICY_KEY, .iam = true, .want = U, .want_named = "IAM policy of " ROLE},
    {"bare account id is the root",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" ACCT "\"},"
         "\"Action\":\"kms:*\",\"Resource\":\"*\"}"),
     LC_POLICY_KEY, .iam = true, .want = U, .want_named = "IAM policy of " ROLE},
    {"root never grants a service",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" ACCT "\"},"
         "\"Action\":\"kms:*\",\"Resource\":\"*\"}"),
     LC_POLICY_KEY, .want = X},
    {"root of another account",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" OTHER "\"},"
         "\"Action\":\"kms:*\",\"Resource\":\"*\"}"),
     LC_POLICY_KEY, .iam = true, .want = X},
    {"deny naming the account applies to its roles",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" ROLE
         "\"},\"Action\":\"kms:*\",\"Resource\""
         ":\"*\"},{\"Sid\":\"D\",\"Effect\":\"Deny\",\"Principal\":{\"AWS\":\"" ACCT
         "\"},\"Action\":"
         "\"kms:*\",\"Resource\":\"*\"}"),
     LC_POLICY_KEY, .iam = true, .want = X, .want_named = "D"},
    /* NotPrincipal with Deny: everyone but the listed principals. */
    {"NotPrincipal excludes the service",
     POL(ALLOW_ALL_LOGS, "{\"Effect\":\"Deny\",\"NotPrincipal\":{\"Service\":\"" LOGS "\"},"
                         "\"Action\":\"*\",\"Resource\":\"*\"}"),
     LC_POLICY_KEY, .want = G},
    {"NotPrincipal denies the others",
     POL("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"*\",\"Resource\":\"*\"}",
         "{\"Sid\":\"OnlyAdmin\",\"Effect\":\"Deny\",\"NotPrincipal\":{\"AWS\":\"arn:aws:iam::" ACCT
         ":role/Admin\"},\"Action\":\"*\",\"Resource\":\"*\"}"),
     LC_POLICY_KEY, .want = X, .want_named = "OnlyAdmin"},
    /* Action wildcards, case-insensitive; NotAction. */
    {"action GenerateDataKey*",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS "\"},"
         "\"Action\":\"kms:GenerateDataKey*\",\"Resource\":\"*\"}"),
     LC_POLICY_KEY, .want = G},
    {"action case-insensitive ?",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS "\"},"
         "\"Action\":\"KMS:generate?atakey\",\"Resource\":\"*\"}"),
     LC_POLICY_KEY, .want = G},
    {"action not listed",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS "\"},"
         "\"Action\":[\"kms:Encrypt\",\"kms:Decrypt\"],\"Resource\":\"*\"}"),
     LC_POLICY_KEY, .want = X},
    {"NotAction allows the rest",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS "\"},"
         "\"NotAction\":\"kms:Decrypt\",\"Resource\":\"*\"}"),
     LC_POLICY_KEY, .want = G},
    {"NotAction excludes",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS "\"},"
         "\"NotAction\":\"kms:Generate*\",\"Resource\":\"*\"}"),
     LC_POLICY_KEY, .want = X},
    /* Resource wildcards against a known object prefix; NotResource. */
    {"resource prefix covered",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS "\"},"
         "\"Action\":\"s3:PutObject\",\"Resource\":\"arn:aws:s3:::flowlogs-"
         "bucket/AWSLogs/" ACCT "/*\"}"),
     LC_POLICY_BUCKET, .action = "s3:PutObject", .resource = OBJP "^", .want = G},
    {"resource elsewhere",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS "\"},"
         "\"Action\":\"s3:PutObject\",\"Resource\":\"arn:aws:s3:::flowlogs-"
         "bucket/other/*\"}"),
     LC_POLICY_BUCKET, .action = "s3:PutObject", .resource = OBJP "^", .want = X},
    {"resource narrower than known",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS
         "\"},\"Action\":\"s3:PutObject\",\"Resource\":\"arn:aws:s3::"
         ":flowlogs-bucket/AWSLogs/" ACCT "/vpcflowlogs/ap-northeast-1/"
         "2024/*\"}"),
     LC_POLICY_BUCKET, .action = "s3:PutObject", .resource = OBJP "^", .want = U,
     .want_named = "Resource (exact object key not known)"},
    {"NotResource outside",
     POL(ALLOW_ALL_LOGS, "{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":"
                         "\"*\",\"NotResource\":\"arn:aws:s3:::flowlogs-bucket/*\"}"),
     LC_POLICY_BUCKET, .action = "s3:PutObject", .resource = OBJP "^", .want = G},
    {"NotResource denies the bucket",
     POL(ALLOW_ALL_LOGS, "{\"Sid\":\"OnlyObjects\",\"Effect\":\"Deny\","
                         "\"Principal\":\"*\",\"Action\":\"*\","
                         "\"NotResource\":\"arn:aws:s3:::flowlogs-"
                         "bucket/*\"}"),
     LC_POLICY_BUCKET, .action = "s3:GetBucketAcl", .resource = "arn:aws:s3:::flowlogs-bucket",
     .want = X, .want_named = "OnlyObjects"},
    /* Conditions: AND across keys, OR across values, case-insensitive key names. */
    {"AND: both hold",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS "\"},\"Action\":"
         "\"*\",\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{\"aws:SourceAccount\":"
         "\"" ACCT "\"},\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:logs:ap-northeast-1:" ACCT
         ":*\"}}}"),
     LC_POLICY_KEY, .ctx = "aws:SourceAccount=" ACCT ";aws:SourceArn^" SRCP, .want = G},
    {"AND: one fails",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS "\"},\"Action\":"
         "\"*\",\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{\"aws:SourceAccount\":"
         "\"" ACCT "\"},\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:logs:us-east-1:" ACCT ":*\"}}}"),
     LC_POLICY_KEY, .ctx = "aws:SourceAccount=" ACCT ";aws:SourceArn^" SRCP, .want = X},
    {"OR across values",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS "\"},\"Action\":"
         "\"*\",\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{\"aws:SourceAccount\":"
         "[\"" OTHER "\",\"" ACCT "\"]}}}"),
     LC_POLICY_KEY, .ctx = "aws:SourceAccount=" ACCT, .want = G},
    {"OR: none matches",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS "\"},\"Action\":"
         "\"*\",\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{\"aws:SourceAccount\":"
         "[\"" OTHER "\"]}}}"),
     LC_POLICY_KEY, .ctx = "aws:SourceAccount=" ACCT, .want = X},
    {"key names case-insensitive",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS "\"},"
         "\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"StringEquals\":"
         "{\"AWS:SOURCEACCOUNT\":" ACCT "}}}"),
     LC_POLICY_KEY, .ctx = "aws:SourceAccount=" ACCT, .want = G},
    /* String operators. */
    {"StringLike",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS "\"},\"Action\":\"*\","
         "\"Resource\":\"*\",\"Condition\":{\"StringLike\":{\"aws:SourceArn\":\"arn:aws:"
         "logs:*:" ACCT ":*\"}}}"),
     LC_POLICY_KEY, .ctx = "aws:SourceArn^" SRCP, .want = G},
    {"StringEquals with a literal * cannot be decided",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS
         "\"},\"Action\":\"*\",\"Resource\":"
         "\"*\",\"Condition\":{\"StringEquals\":{\"aws:SourceArn\":\"" SRCP "*\"}}}"),
     LC_POLICY_KEY, .ctx = "aws:SourceArn^" SRCP, .want = U, .want_named = "aws:SourceArn"},
    {"StringEqualsIgnoreCase",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS "\"},"
         "\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"StringEquals"
         "IgnoreCase\":{\"s3:x-amz-acl\":\"BUCKET-owner-full-control\"}}}"),
     LC_POLICY_KEY, .ctx = "s3:x-amz-acl=bucket-owner-full-control", .want = G},
    {"StringEquals is case-sensitive",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS
         "\"},\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":"
         "{\"StringEquals\":{\"s3:x-amz-acl\":\"BUCKET-owner-full-"
         "control\"}}}"),
     LC_POLICY_KEY, .ctx = "s3:x-amz-acl=bucket-owner-full-control", .want = X},
    /* Negated operators match an absent key; the PrincipalOrgID pattern and its service escape. */
    {"StringNotEquals on an absent key",
     POL(ALLOW_ALL_LOGS,
         "{\"Sid\":\"OrgOnly\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"*\","
         "\"Resource\":\"*\",\"Condition\":{\"StringNotEquals\":{\"aws:PrincipalOrgID\":"
         "\"o-abc\"}}}"),
     LC_POLICY_KEY, .want = X, .want_named = "OrgOnly"},
    {"BoolIfExists PrincipalIsAWSService exempts services",
     POL(ALLOW_ALL_LOGS,
         "{\"Sid\":\"OrgOnly\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"*\","
         "\"Resource\":\"*\",\"Condition\":{\"StringNotEquals\":{\"aws:PrincipalOrgID\":"
         "\"o-abc\"},\"BoolIfExists\":{\"aws:PrincipalIsAWSService\":\"false\"}}}"),
     LC_POLICY_KEY, .want = G},
    /* Arn operators: parts never span colons. */
    {"ArnLike other region",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS "\"},"
         "\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"ArnLike\":{\"aws:"
         "SourceArn\":\"arn:aws:logs:us-east-1:" ACCT ":*\"}}}"),
     LC_POLICY_KEY, .ctx = "aws:SourceArn^" SRCP, .want = X},
    {"ArnEquals with wildcards",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS "\"},"
         "\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"ArnEquals\":"
         "{\"aws:SourceArn\":\"arn:aws:cloudtrail:*:" ACCT ":trail/*\"}}}"),
     LC_POLICY_KEY, .ctx = "aws:SourceArn=arn:aws:cloudtrail:us-east-2:" ACCT ":trail/t",
     .want = G},
    {"ArnLike * does not span a colon",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS
         "\"},\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":"
         "{\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:logs:*:*\"}}}"),
     LC_POLICY_KEY, .ctx = "aws:SourceArn=arn:aws:logs:r:" ACCT ":x", .want = X},
    {"ArnNotLike",
     POL(ALLOW_ALL_LOGS, "{\"Sid\":\"Foreign\",\"Effect\":\"Deny\",\"Principal\":\"*\","
                         "\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"ArnNotLike\":"
                         "{\"aws:SourceArn\":\"arn:aws:logs:*:" ACCT ":*\"}}}"),
     LC_POLICY_KEY, .ctx = "aws:SourceArn^" SRCP, .want = G},
    /* Bool, Null, Numeric, Date, IpAddress. */
    {"Bool SecureTransport true",
     POL(ALLOW_ALL_LOGS, "{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\""
                         ":\"*\",\"Resource\":\"*\",\"Condition\":{\"Bool\":"
                         "{\"aws:SecureTransport\":\"false\"}}}"),
     LC_POLICY_KEY, .ctx = "aws:SecureTransport=true", .want = G},
    {"Bool SecureTransport false",
     POL(ALLOW_ALL_LOGS, "{\"Sid\":\"TLS\",\"Effect\":\"Deny\",\"Principal\""
                         ":\"*\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\""
                         ":{\"Bool\":{\"aws:SecureTransport\":false}}}"),
     LC_POLICY_KEY, .ctx = "aws:SecureTransport=false", .want = X, .want_named = "TLS"},
    {"unknown key in a Deny",
     POL(ALLOW_ALL_LOGS, "{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":"
                         "\"*\",\"Resource\":\"*\",\"Condition\":{\"Bool\":"
                         "{\"aws:SecureTransport\":\"false\"}}}"),
     LC_POLICY_KEY, .ctx = "aws:SecureTransport?", .want = U, .want_named = "aws:SecureTransport"},
    {"Null true on an absent key",
     POL(ALLOW_ALL_LOGS, "{\"Sid\":\"NeedSSE\",\"Effect\":\"Deny\","
                         "\"Principal\":\"*\",\"Action\":\"*\",\"Resource\":\"*\","
                         "\"Condition\":{\"Null\":{\"s3:x-amz-server-side-"
                         "encryption\":\"true\"}}}"),
     LC_POLICY_KEY, .ctx = "s3:x-amz-server-side-encryption!", .want = X, .want_named = "NeedSSE"},
    {"Null true on a present key",
     POL(ALLOW_ALL_LOGS, "{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\""
                         ":\"*\",\"Resource\":\"*\",\"Condition\":{\"Null\":"
                         "{\"s3:x-amz-server-side-encryption\":true}}}"),
     LC_POLICY_KEY, .ctx = "s3:x-amz-server-side-encryption?", .want = G},
    {"NumericLessThan holds",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS "\"},"
         "\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"NumericLessThan\":"
         "{\"s3:max-keys\":100}}}"),
     LC_POLICY_KEY, .ctx = "s3:max-keys=10", .want = G},
    {"NumericLessThan fails",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS "\"},"
         "\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"NumericLessThan\":"
         "{\"s3:max-keys\":\"100\"}}}"),
     LC_POLICY_KEY, .ctx = "s3:max-keys=1000", .want = X},
    {"DateGreaterThan CurrentTime",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS "\"},"
         "\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateGreater"
         "Than\":{\"aws:CurrentTime\":\"2001-01-01T00:00:00Z\"}}}"),
     LC_POLICY_KEY, .want = G},
    {"DateLessThan CurrentTime (expired)",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS
         "\"},\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":"
         "{\"DateLessThan\":{\"aws:CurrentTime\":\"2001-01-01T00:00:"
         "00Z\"}}}"),
     LC_POLICY_KEY, .want = X},
    {"IpAddress inside",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS "\"},\"Action\":"
         "\"*\",\"Resource\":\"*\",\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":"
         "[\"192.0.2.0/24\",\"10.0.0.0/8\"]}}}"),
     LC_POLICY_KEY, .ctx = "aws:SourceIp=10.1.2.3", .want = G},
    {"IpAddress outside",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS "\"},\"Action\":"
         "\"*\",\"Resource\":\"*\",\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":"
         "\"10.0.0.0/8\"}}}"),
     LC_POLICY_KEY, .ctx = "aws:SourceIp=11.1.2.3", .want = X},
    /* ...IfExists and set operators. */
    {"StringEqualsIfExists absent",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS "\"},"
         "\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"StringEquals"
         "IfExists\":{\"kms:ViaService\":\"s3.ap-northeast-1.amazonaws."
         "com\"}}}"),
     LC_POLICY_KEY, .ctx = "kms:ViaService!", .want = G},
    {"StringEqualsIfExists present, other",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS
         "\"},\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":"
         "{\"StringEqualsIfExists\":{\"kms:ViaService\":\"s3.us-"
         "east-1.amazonaws.com\"}}}"),
     LC_POLICY_KEY, .ctx = "kms:ViaService=s3.ap-northeast-1.amazonaws.com", .want = X},
    {"ForAllValues absent holds",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS "\"},"
         "\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"ForAllValues:"
         "StringEquals\":{\"aws:TagKeys\":[\"a\"]}}}"),
     LC_POLICY_KEY, .ctx = "aws:TagKeys!", .want = G},
    {"ForAnyValue absent fails",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS "\"},"
         "\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"ForAnyValue:"
         "StringEquals\":{\"aws:TagKeys\":[\"a\"]}}}"),
     LC_POLICY_KEY, .ctx = "aws:TagKeys!", .want = X},
    {"ForAnyValue:StringLike present",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS
         "\"},\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":"
         "{\"ForAnyValue:StringLike\":{\"kms:EncryptionContextKeys\":"
         "\"aws:s3:*\"}}}"),
     LC_POLICY_KEY, .ctx = "kms:EncryptionContextKeys=aws:s3:arn", .want = G},
    /* Policy variables (2012-10-17 only). */
    {"variable in Resource",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS "\"},"
         "\"Action\":\"s3:PutObject\",\"Resource\":\"arn:aws:s3:::flowlogs-"
         "bucket/AWSLogs/${aws:SourceAccount}/*\"}"),
     LC_POLICY_BUCKET, .action = "s3:PutObject", .resource = OBJP "^",
     .ctx = "aws:SourceAccount=" ACCT, .want = G},
    {"variable of another account",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS
         "\"},\"Action\":\"s3:PutObject\",\"Resource\":\"arn:aws:s3:::"
         "flowlogs-bucket/AWSLogs/${aws:SourceAccount}/*\"}"),
     LC_POLICY_BUCKET, .action = "s3:PutObject", .resource = OBJP "^",
     .ctx = "aws:SourceAccount=" OTHER, .want = X},
    {"variable is literal in 2008-10-17",
     "{\"Version\":\"2008-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"Service\":"
     "\"" LOGS
     "\"},\"Action\":\"s3:PutObject\",\"Resource\":\"arn:aws:s3:::flowlogs-bucket/AWSLogs/"
     "${aws:SourceAccount}/*\"}}",
     LC_POLICY_BUCKET, .action = "s3:PutObject", .resource = OBJP "^",
     .ctx = "aws:SourceAccount=" ACCT, .want = X},
    {"variable in a condition value",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS "\"},"
         "\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"ArnLike\":"
         "{\"aws:SourceArn\":\"arn:aws:logs:*:${aws:SourceAccount}:*\"}}}"),
     LC_POLICY_KEY, .ctx = "aws:SourceAccount=" ACCT ";aws:SourceArn^" SRCP, .want = G},
    {"variable with an unknown value",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS
         "\"},\"Action\":\"s3:PutObject\",\"Resource\":\"arn:aws:s3:::"
         "flowlogs-bucket/AWSLogs/${aws:username}/*\"}"),
     LC_POLICY_BUCKET, .action = "s3:PutObject", .resource = OBJP "^", .want = U,
     .want_named = "aws:username"},
    {"variable default when absent",
     POL("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"" LOGS
         "\"},\"Action\":\"s3:PutObject\",\"Resource\":\"arn:aws:s3:::"
         "flowlogs-bucket/AWSLogs/${aws:username, '" ACCT "'}/*\"}"),
     LC_POLICY_BUCKET, .action = "s3:PutObject", .resource = OBJP "^", .ctx = "aws:username!",
     .want = G},
    /* Undetermined, named: unknown key, unsupported operator. */
    {"CallerAccount unknown for a service",
     POL("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":"
         "\"*\",\"Resource\":\"*\",\"Condition\":{\"StringEquals\":"
         "{\"kms:CallerAccount\":\"" ACCT "\"}}}"),
     LC_POLICY_KEY, .want = U, .want_named = "kms:CallerAccount"},
    {"unsupported operator",
     POL("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"*\",\"Resource\":"
         "\"*\",\"Condition\":{\"StringSoundsLike\":{\"aws:SourceAccount\":\"x\"}}}"),
     LC_POLICY_KEY, .ctx = "aws:SourceAccount=" ACCT, .want = U,
     .want_named = "aws:SourceAccount (unsupported condition operator StringSoundsLike)"},
    /* S3: a same-account IAM policy can grant alone; cross-account needs the bucket policy. */
    {"bucket: same-account role, no statement", POL(ALLOW_ALL_LOGS), LC_POLICY_BUCKET, .iam = true,
     .action = "s3:GetObject", .resource = OBJP "x", .want = U,
     .want_named = "IAM policy of " ROLE},
    {"bucket: other-account role, no statement", POL(ALLOW_ALL_LOGS), LC_POLICY_BUCKET,
     .who = "arn:aws:iam::222222222222:role/Reader", .action = "s3:GetObject", .resource = OBJP "x",
     .want = X},
    {"key: same-account role, no statement", POL(ALLOW_ALL_LOGS), LC_POLICY_KEY, .iam = true,
     .action = "kms:Decrypt", .want = X},
};

/* Split "k=v;k^p;k!;k?" into ctx entries (storage in buf). */
static size_t parse_ctx(const char *spec, char *buf, size_t bufsz, struct lc_pol_ctxkey *ctx,
                        size_t max)
{
    size_t n = 0;
    if (!spec)
        return 0;
    snprintf(buf, bufsz, "%s", spec);
    for (char *save = NULL, *tok = strtok_r(buf, ";", &save); tok && n < max;
         tok = strtok_r(NULL, ";", &save)) {
        size_t k = strcspn(tok, "=^!?");
        char op = tok[k];
        tok[k] = '\0';
        ctx[n].name = tok;
        ctx[n].value.s = tok + k + 1;
        ctx[n].value.state = op == '='   ? LC_VAL_EXACT
                             : op == '^' ? LC_VAL_PREFIX
                             : op == '!' ? LC_VAL_ABSENT
                                         : LC_VAL_UNKNOWN;
        n++;
    }
    return n;
}

static void test_rules(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct evcase *c = &cases[i];
        struct lc_policy *p = NULL;
        struct lc_pol_result res;
        struct lc_error err;
        struct lc_pol_ctxkey ctx[8];
        char ctxbuf[1024], resbuf[512];
        const char *resource = c->resource ? c->resource : KEY;
        size_t rl = strlen(resource);
        bool prefix = rl && resource[rl - 1] == '^';

        snprintf(resbuf, sizeof(resbuf), "%.*s", (int)(rl - (prefix ? 1 : 0)), resource);
        if (lc_policy_parse(c->policy, strlen(c->policy), c->kind, &p, &err) != 0)
            fail_msg("%s: parse: %s", c->name, err.message);
        struct lc_pol_request rq = {
            .principal_type = c->iam || c->who ? LC_PRINCIPAL_IAM : LC_PRINCIPAL_SERVICE,
            .principal = c->who   ? c->who
                         : c->iam ? ROLE
                                  : LOGS,
            .resource_account = ACCT,
            .action = c->action ? c->action : "kms:GenerateDataKey",
            .resource = {prefix ? LC_VAL_PREFIX : LC_VAL_EXACT, resbuf},
            .ctx = ctx,
            .n_ctx = parse_ctx(c->ctx, ctxbuf, sizeof(ctxbuf), ctx, 8),
        };
        assert_int_equal(lc_policy_evaluate(p, &rq, &res), 0);
        if (res.verdict != c->want)
            fail_msg("%s: got %s, want %s", c->name, lc_pol_verdict_name(res.verdict),
                     lc_pol_verdict_name(c->want));
        if (c->want_named) {
            const struct lc_pol_names *l = c->want == U ? &res.undetermined : &res.denied_by;
            if (!lc_pol_names_has(l, c->want_named))
                fail_msg("%s: '%s' not named (%zu names, first '%s')", c->name, c->want_named, l->n,
                         l->n ? l->items[0] : "");
        }
        if (c->want == U && res.undetermined.n == 0)
            fail_msg("%s: undetermined without a named key", c->name);
        lc_pol_result_free(&res);
        lc_policy_free(p);
    }
}

static void test_glob(void **state)
{
    (void)state;
    assert_true(lc_pol_glob("kms:GenerateDataKey*", "kms:GenerateDataKey", false));
    assert_true(lc_pol_glob("kms:GenerateDataKey*", "kms:GenerateDataKeyWithoutPlaintext", false));
    assert_false(lc_pol_glob("kms:GenerateDataKey*", "kms:Decrypt", false));
    assert_true(lc_pol_glob("*", "", false));
    assert_true(lc_pol_glob("a?c", "abc", false));
    assert_false(lc_pol_glob("a?c", "ac", false));
    assert_true(lc_pol_glob("S3:*object", "s3:PutObject", true));
    assert_false(lc_pol_glob("S3:*object", "s3:PutObject", false));
    /* Pathological backtracking stays fast. */
    char pat[4001], s[4001];
    for (int i = 0; i < 4000; i++) {
        pat[i] = i % 2 ? 'a' : '*';
        s[i] = 'a';
    }
    pat[4000] = s[3999] = '\0';
    pat[3999] = 'b';
    assert_false(lc_pol_glob(pat, s, false));
}

struct perr_case {
    const char *json;
    const char *want; /* substring of the message */
    int rc;
};

static void test_parse_errors(void **state)
{
    static const struct perr_case pc[] = {
        {POL("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"*\",\"Resource\":\"*\"}",
             "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"*\",\"Resource\":\"*\"}",
             "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"*\",\"Resource\":\"*\","
             "\"Condition\":{\"StringEquals\":\"x\"}}"),
         "Statement[2].Condition.StringEquals: expected an object", LC_E_PARSE},
        {POL("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"*\",\"Resource\":\"*\","
             "\"Condition\":{\"StringEquals\":{\"aws:SourceAccount\":{\"a\":1}}}}"),
         "Statement[0].Condition.StringEquals.aws:SourceAccount: expected a string, number or "
         "boolean",
         LC_E_PARSE},
        {POL("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"*\",\"Resource\":\"*\","
             "\"Condition\":{\"StringEquals\":{\"k\":[\"a\",[1]]}}}"),
         "Statement[0].Condition.StringEquals.k[1]: expected a string, number or boolean",
         LC_E_PARSE},
        {POL("{\"Effect\":\"allow\",\"Principal\":\"*\",\"Action\":\"*\",\"Resource\":\"*\"}"),
         "Statement[0].Effect: expected \"Allow\" or \"Deny\"", LC_E_PARSE},
        {POL("{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}"),
         "Statement[0]: needs exactly one of Principal and NotPrincipal", LC_E_PARSE},
        {POL("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"*\",\"Resource\":\"*\","
             "\"Conditions\":{}}"),
         "Statement[0].Conditions: unknown statement element", LC_E_PARSE},
        {POL("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":[\"x\",3]},\"Action\":\"*\",\"Resource\""
             ":\"*\"}"),
         "Statement[0].Principal.AWS[1]: expected a string", LC_E_PARSE},
        {POL("{\"Effect\":\"Allow\",\"Principal\":{\"Group\":\"x\"},\"Action\":\"*\",\"Resource\""
             ":\"*\"}"),
         "Statement[0].Principal.Group: unknown principal type", LC_E_PARSE},
        {POL("{\"Effect\":\"Allow\",\"Principal\":\"me\",\"Action\":\"*\",\"Resource\":\"*\"}"),
         "Statement[0].Principal: expected \"*\" or an object", LC_E_PARSE},
        {"{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
         "\"Action\":7,\"Resource\":\"*\"}}",
         "Statement.Action: expected a string or an array of strings", LC_E_PARSE},
        {"{\"Version\":\"2012-10-17\"}", "Statement: missing", LC_E_PARSE},
        {"{\"Version\":\"2013-01-01\",\"Statement\":[]}", "Version: expected", LC_E_PARSE},
        {"[]", "(top level): expected an object", LC_E_PARSE},
        {"{\"Statement\":[]} x", "trailing data", LC_E_PARSE},
        {"{\"Policy\":5}", "Policy: expected a string", LC_E_PARSE},
        {"{\"Policy\":\"{\\\"Statement\\\":[{\\\"Effect\\\":1}]}\"}",
         "Policy: Statement[0].Effect: expected", LC_E_PARSE},
        {"{\"Policy\":\"{nope\"}", "Policy (string): JSON: malformed", LC_E_PARSE},
        {"", "empty", LC_E_PARSE},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(pc) / sizeof(pc[0]); i++) {
        struct lc_policy *p = NULL;
        struct lc_error err;
        int rc = lc_policy_parse(pc[i].json, strlen(pc[i].json), LC_POLICY_KEY, &p, &err);
        if (rc != pc[i].rc || !strstr(err.message, pc[i].want))
            fail_msg("case %zu: rc %d, message '%s', want '%s'", i, rc, err.message, pc[i].want);
        assert_null(p);
    }
}

static void test_size_limits(void **state)
{
    struct lc_policy *p = NULL;
    struct lc_error err;
    size_t n = LC_POLICY_MAX_BYTES + 1;
    char *big = malloc(n + 1);
    (void)state;
    assert_non_null(big);
    /* Exactly 64 KiB (whitespace padding) parses; one byte more does not. */
    const char *doc = POL(ALLOW_ALL_LOGS);
    memset(big, ' ', n);
    memcpy(big, doc, strlen(doc));
    big[n] = '\0';
    assert_int_equal(lc_policy_parse(big, n - 1, LC_POLICY_KEY, &p, &err), 0);
    lc_policy_free(p);
    assert_int_equal(lc_policy_parse(big, n, LC_POLICY_KEY, &p, &err), LC_E_TOO_LARGE);
    assert_null(p);
    free(big);
}

/* ---- the documentation policies and the real-world cases, through the service models ------ */

static char *slurp(const char *name)
{
    char path[1024];
    const char *dir = getenv("LC_SOURCE_DIR");
    snprintf(path, sizeof(path), "%s/tests/data/policies/%s", dir ? dir : "..", name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    char *buf = calloc(1, LC_POLICY_MAX_BYTES + 1);
    assert_non_null(buf);
    size_t n = fread(buf, 1, LC_POLICY_MAX_BYTES, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static struct lc_policy *load(const char *name, enum lc_policy_kind kind)
{
    struct lc_policy *p = NULL;
    struct lc_error err;
    char *text = slurp(name);
    if (lc_policy_parse(text, strlen(text), kind, &p, &err) != 0)
        fail_msg("%s: %s", name, err.message);
    free(text);
    return p;
}

struct diag_case {
    const char *name;
    const char *key_file;
    const char *bucket_file;
    const char *svc;              /* the probe whose request model is evaluated */
    struct lc_diag_params params; /* service and model are set from svc */
    enum lc_pol_verdict key_want;
    enum lc_pol_verdict bucket_want; /* when bucket_file */
    const char *named;               /* a name in the key section's undetermined or denied_by */
};

#define FL_PARAMS                                                                                  \
    {                                                                                              \
        .account = ACCT, .region = "ap-northeast-1", .bucket = "flowlogs-bucket"                   \
    }
#define CT_PARAMS                                                                                  \
    {                                                                                              \
        .account = "123456789012", .region = "ap-northeast-1",                                     \
        .bucket = "aws-controltower-logs-210987654321-ap-northeast-1", .prefix = "a-b1c2d3e4f5",   \
        .key_arn =                                                                                 \
            "arn:aws:kms:ap-northeast-1:567890123456:key/a1b2c3c4-5678-9a0b-a1b2-c1d2f3g4h5j6"     \
    }
#define CT_KEY "arn:aws:kms:ap-northeast-1:567890123456:key/a1b2c3c4-5678-9a0b-a1b2-c1d2f3g4h5j6"
#define TRAIL  "arn:aws:cloudtrail:us-east-2:111111111111:trail/management-events"

static const struct diag_case dcases[] = {
    /* The flow-log case: the root-only key policy is a gap for all three services... */
    {"001 before: flow logs", "flowlogs_001_before.json", NULL, "vpcflowlogs", FL_PARAMS,
     .key_want = X},
    {"001 before: config", "flowlogs_001_before.json", NULL, "config", FL_PARAMS, .key_want = X},
    {"001 before: cloudtrail", "flowlogs_001_before.json", NULL, "cloudtrail", FL_PARAMS,
     .key_want = X},
    {"001 before, GetKeyPolicy shape", "flowlogs_001_before_getkeypolicy.json", NULL, "vpcflowlogs",
     FL_PARAMS, .key_want = X},
    /* ...and the documented delivery.logs statement fixes flow logs and nothing else. */
    {"001 after: flow logs", "flowlogs_001_after.json", "flowlogs_bucket_policy.json",
     "vpcflowlogs", FL_PARAMS, .key_want = G, .bucket_want = G},
    {"001 after: config", "flowlogs_001_after.json", NULL, "config", FL_PARAMS, .key_want = X},
    {"001 after: cloudtrail", "flowlogs_001_after.json", NULL, "cloudtrail", FL_PARAMS,
     .key_want = X},
    {"SourceAccount of another account", "flowlogs_other_account.json", NULL, "vpcflowlogs",
     FL_PARAMS, .key_want = X},
    {"SourceArn in another region", "flowlogs_other_region.json", NULL, "vpcflowlogs", FL_PARAMS,
     .key_want = X},
    {"explicit Deny", "flowlogs_explicit_deny.json", NULL, "vpcflowlogs", FL_PARAMS, .key_want = X,
     .named = "DenyLogsDelivery"},
    {"NotPrincipal Deny", "flowlogs_notprincipal_deny.json", NULL, "vpcflowlogs", FL_PARAMS,
     .key_want = X, .named = "DenyAllButAdmins"},
    {"CallerAccount condition for a service", "flowlogs_caller_account.json", NULL, "vpcflowlogs",
     FL_PARAMS, .key_want = U, .named = "kms:CallerAccount"},
    /* Encryption context written for object ARNs: holds without a Bucket Key, not with one. */
    {"object-ARN context, no Bucket Key", "flowlogs_object_context.json", NULL, "vpcflowlogs",
     FL_PARAMS, .key_want = G},
    {"object-ARN context, Bucket Key",
     "flowlogs_object_context.json",
     NULL,
     "vpcflowlogs",
     {.account = ACCT, .region = "ap-northeast-1", .bucket = "flowlogs-bucket", .bucket_key = true},
     .key_want = X},
    /* The Control Tower case. */
    {"000 before: config", "controltower_000_before.json", NULL, "config", CT_PARAMS,
     .key_want = X},
    {"000 before: cloudtrail", "controltower_000_before.json", NULL, "cloudtrail", CT_PARAMS,
     .key_want = X},
    {"000 after: config", "controltower_000_after.json", NULL, "config", CT_PARAMS, .key_want = G},
    {"000 after: cloudtrail", "controltower_000_after.json", NULL, "cloudtrail", CT_PARAMS,
     .key_want = G},
    {"000 after: flow logs still a gap", "controltower_000_after.json", NULL, "vpcflowlogs",
     CT_PARAMS, .key_want = X},
    /* AWS documentation policies. */
    {"CloudTrail doc key policy + bucket policy",
     "cloudtrail_doc_key_policy.json",
     "cloudtrail_bucket_policy.json",
     "cloudtrail",
     {.account = ACCT,
      .region = "us-east-2",
      .bucket = "trail-bucket",
      .extra = {{"trail_arn", TRAIL}}},
     .key_want = G,
     .bucket_want = G},
    {"CloudTrail doc key policy, another trail",
     "cloudtrail_doc_key_policy.json",
     "cloudtrail_bucket_policy.json",
     "cloudtrail",
     {.account = ACCT,
      .region = "us-east-2",
      .bucket = "trail-bucket",
      .extra = {{"trail_arn", "arn:aws:cloudtrail:us-east-2:111111111111:trail/other"}}},
     .key_want = X,
     .bucket_want = X},
    {"CloudTrail doc key policy, trail not given",
     "cloudtrail_doc_key_policy.json",
     NULL,
     "cloudtrail",
     {.account = ACCT, .region = "us-east-2", .bucket = "trail-bucket"},
     .key_want = U,
     .named = "aws:SourceArn"},
    {"Config doc bucket policy",
     "controltower_000_after.json",
     "config_bucket_policy.json",
     "config",
     {.account = ACCT, .region = "us-east-1", .bucket = "config-bucket", .key_arn = CT_KEY},
     .key_want = G,
     .bucket_want = G},
    {"Config doc bucket policy, other account",
     "controltower_000_after.json",
     "config_bucket_policy.json",
     "config",
     {.account = OTHER, .region = "us-east-1", .bucket = "config-bucket", .key_arn = CT_KEY},
     .key_want = G,
     .bucket_want = X},
    {"flow logs with an empty bucket policy", "flowlogs_001_after.json", "empty_bucket_policy.json",
     "vpcflowlogs", FL_PARAMS, .key_want = G, .bucket_want = X},
};

static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
        const struct diag_case *c = &dcases[i];
        struct lc_diag_params p = c->params;
        struct lc_diag_report rep;
        struct lc_error err;
        struct lc_policy *kp = load(c->key_file, LC_POLICY_KEY);
        struct lc_policy *bp = c->bucket_file ? load(c->bucket_file, LC_POLICY_BUCKET) : NULL;

        p.service = c->svc;
        p.model = lc_probe_find(c->svc)->diag;
        if (lc_diagnose(&p, kp, bp, &rep, &err) != 0)
            fail_msg("%s: %s", c->name, err.message);
        if (rep.key.verdict != c->key_want)
            fail_msg("%s: key policy %s, want %s", c->name, lc_pol_verdict_name(rep.key.verdict),
                     lc_pol_verdict_name(c->key_want));
        if (bp && rep.bucket.verdict != c->bucket_want)
            fail_msg("%s: bucket policy %s, want %s", c->name,
                     lc_pol_verdict_name(rep.bucket.verdict), lc_pol_verdict_name(c->bucket_want));
        if (c->named && !lc_pol_names_has(&rep.key.undetermined, c->named) &&
            !lc_pol_names_has(&rep.key.denied_by, c->named))
            fail_msg("%s: '%s' not named", c->name, c->named);
        lc_diag_report_free(&rep);
        lc_policy_free(kp);
        lc_policy_free(bp);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules),        cmocka_unit_test(test_glob),
        cmocka_unit_test(test_parse_errors), cmocka_unit_test(test_size_limits),
        cmocka_unit_test(test_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
