#!/usr/bin/env bash
# The local demo: a real S3 server (a throwaway Ceph radosgw on loopback) holding a realistic
# Control Tower log archive encrypted with SSE-KMS, one healthy stream and one broken one, and
# logcanary's real report on it.
#
#   tests/demo.sh            (as root on a fresh Debian 12 machine: installs what it needs)
#   tests/demo.sh --json     the JSON report instead of the text one
#   tests/demo.sh --metrics FILE   also write the Prometheus metrics file there
#   tests/demo.sh --html FILE      also write the HTML coverage page there
#
# The broken stream is the classic silent failure: VPC flow logs of a member account stopped
# arriving three hours ago (in AWS: the key policy lacks delivery.logs.amazonaws.com) while
# CloudTrail and Config keep delivering. Beside the archive, AWS WAF logs: a healthy web ACL
# bucket, and WAF logs expected in a security bucket whose name WAF refuses (it logs only to
# buckets named aws-waf-logs-*), so they can never arrive.
#
# Nobody lists the flow-log accounts: they are the accounts of the organization's Workloads unit,
# read from AWS Organizations (a signature-verifying stand-in, like KMS below). One of them,
# "payments", joined ten days ago and never delivered anything; a suspended one is not expected.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${LC_DEMO_BUILD:-$top/build-demo}
format=text
metrics=()
html=
while [[ $# -gt 0 ]]; do
    case $1 in
    --json) format=json ;;
    --metrics)
        metrics=(--metrics-file "$(realpath -m "$2")")
        shift
        ;;
    --html)
        html=$(realpath -m "$2")
        shift
        ;;
    *)
        echo "usage: $0 [--json] [--metrics FILE] [--html FILE]" >&2
        exit 2
        ;;
    esac
    shift
done

"$top/packaging/install-deps.sh" --test >&2
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release -DLC_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null

work=$(mktemp -d /tmp/logcanary-demo.XXXXXX)
fixture_pid=
stop() {
    [[ -n $fixture_pid ]] && kill "$fixture_pid" 2>/dev/null && wait "$fixture_pid" 2>/dev/null
    "$top/tests/servers/radosgw.sh" stop "$work/rgw" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap stop EXIT

echo "starting a throwaway S3 server (Ceph radosgw on 127.0.0.1) ..." >&2
"$top/tests/servers/radosgw.sh" start "$work/rgw" >/dev/null
# shellcheck disable=SC1091
source "$work/rgw/env"

org=o-demo12345ab
archive=aws-controltower-logs-210987654321-ap-northeast-1
waf_bucket=aws-waf-logs-shop-210987654321
security=org-security-logs-210987654321
seed_into() {
    /usr/bin/python3 "$top/tests/seed/seed_deliveries.py" --endpoint "$LC_S3_ENDPOINT" \
        --access-key "$LC_S3_ACCESS_KEY" --secret-key "$LC_S3_SECRET_KEY" \
        --region "$LC_S3_REGION" --kms-key-id "$LC_KMS_KEY_1" --regions ap-northeast-1 \
        --workers 8 --bucket "$@" >/dev/null
}
seed() { seed_into "$archive" --prefix "$org" "$@"; }
echo "seeding the log archive s3://$archive (SSE-KMS) ..." >&2
# Healthy: the organization trail and Config of account 111111111111, 26 hours of history.
seed --accounts 111111111111 --sources cloudtrail,config --org-id "$org" --hours 26
# Broken: flow logs of account 222222222222 stopped three hours ago.
seed --accounts 222222222222 --sources vpcflowlogs --hours 26 --stop-before 3h
echo "seeding WAF logs into s3://$waf_bucket and CloudTrail into s3://$security ..." >&2
# Healthy: two web ACLs of account 333333333333 log to their aws-waf-logs-* bucket.
seed_into "$waf_bucket" --accounts 333333333333 --sources waf --web-acls shop-prod,api_gateway_v2 \
    --hours 6
# The security bucket holds another trail; WAF can never log into it.
seed_into "$security" --accounts 333333333333 --sources cloudtrail --hours 6

# KMS is not part of radosgw: a signature-verifying stand-in answers DescribeKey and GetKeyPolicy
# with the key policy a Control Tower landing zone typically has: grants for Config and
# CloudTrail, and none for delivery.logs.amazonaws.com, so flow logs cannot be delivered.
/usr/bin/python3 - "$work/kms.json" "$LC_S3_ACCESS_KEY" "$LC_S3_SECRET_KEY" "$LC_KMS_KEY_1" <<'PY'
import json, sys
path, ak, sk, arn = sys.argv[1:]
acct = "111122223333"
policy = {"Version": "2012-10-17", "Id": "key-consolepolicy-3", "Statement": [
    {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
     "Principal": {"AWS": f"arn:aws:iam::{acct}:root"}, "Action": "kms:*", "Resource": "*"},
    {"Sid": "Allow Config to use KMS for encryption", "Effect": "Allow",
     "Principal": {"Service": "config.amazonaws.com"},
     "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": arn},
    {"Sid": "Allow CloudTrail to use KMS for encryption", "Effect": "Allow",
     "Principal": {"Service": "cloudtrail.amazonaws.com"},
     "Action": ["kms:GenerateDataKey*", "kms:Decrypt"], "Resource": arn,
     "Condition": {"StringEquals": {"aws:SourceArn": f"arn:aws:cloudtrail:ap-northeast-1:{acct}:"
                                                      "trail/aws-controltower-BaselineCloudTrail"},
                   "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn":
                                  f"arn:aws:cloudtrail:*:{acct}:trail/*"}}}]}
now = int(__import__("time").time())
org = {"organization": {"Id": "o-demo12345ab", "MasterAccountId": acct},
       "root": {"Id": "r-demo", "Name": "Root"},
       "ous": [{"Id": "ou-demo-workload", "Name": "Workloads"},
               {"Id": "ou-demo-security", "Name": "Security"}],
       "accounts": [
           {"Id": "111111111111", "Name": "management", "JoinedTimestamp": now - 900 * 86400,
            "parent": "ou-demo-security"},
           {"Id": "210987654321", "Name": "log-archive", "JoinedTimestamp": now - 800 * 86400,
            "parent": "ou-demo-security"},
           {"Id": "222222222222", "Name": "orders", "JoinedTimestamp": now - 400 * 86400,
            "parent": "ou-demo-workload"},
           {"Id": "444444444444", "Name": "payments", "JoinedTimestamp": now - 10 * 86400,
            "parent": "ou-demo-workload"},
           {"Id": "555555555555", "Name": "legacy-batch", "Status": "SUSPENDED",
            "JoinedTimestamp": now - 1500 * 86400, "parent": "ou-demo-workload"}]}
json.dump({"region": "us-east-1", "account": acct, "credentials": {ak: {"secret": sk}},
           "organizations": org,
           "operations": {
               "kms.DescribeKey": {"body": {"KeyMetadata": {
                   "AWSAccountId": acct, "KeyId": arn.rsplit("/", 1)[1], "Arn": arn,
                   "Enabled": True, "KeyState": "Enabled", "KeyManager": "CUSTOMER",
                   "KeySpec": "SYMMETRIC_DEFAULT", "MultiRegion": False}}},
               "kms.GetKeyPolicy": {"body": {"PolicyName": "default",
                                             "Policy": json.dumps(policy)}}}},
          open(path, "w"))
PY
mkfifo "$work/fixture.out"
/usr/bin/python3 "$top/tests/servers/cpfixture.py" --scenario "$work/kms.json" \
    --log "$work/kms-requests.jsonl" >"$work/fixture.out" 2>"$work/fixture.err" &
fixture_pid=$!
read -r _ kms_port <"$work/fixture.out" # "LISTENING <port>", once it accepts connections

cat >"$work/logcanary.json" <<EOF
{
  "aws": { "region": "$LC_S3_REGION", "endpoint": "$LC_S3_ENDPOINT", "path_style": true,
           "endpoints": { "kms": "http://127.0.0.1:$kms_port",
                          "organizations": "http://127.0.0.1:$kms_port" } },
  "state_dir": "$work/state",
  "targets": [{
    "name": "log-archive",
    "bucket": "$archive",
    "prefix": "$org",
    "kms_key_arn": "$LC_KMS_KEY_1",
    "sources": [
      { "type": "cloudtrail", "accounts": ["111111111111"], "regions": ["ap-northeast-1"],
        "org_id": "$org", "max_age": "20m" },
      { "type": "config", "accounts": ["111111111111"], "regions": ["ap-northeast-1"],
        "max_age": "7h" },
      { "type": "vpcflowlogs", "accounts": "organization", "include_ous": ["ou-demo-workload"],
        "regions": ["ap-northeast-1"], "max_age": "30m" }
    ]
  }, {
    "name": "waf-logs",
    "bucket": "$waf_bucket",
    "kms_key_arn": "$LC_KMS_KEY_1",
    "sources": [
      { "type": "waf", "accounts": ["333333333333"], "regions": ["ap-northeast-1"] }
    ]
  }, {
    "name": "security",
    "bucket": "$security",
    "kms_key_arn": "$LC_KMS_KEY_1",
    "sources": [
      { "type": "cloudtrail", "accounts": ["333333333333"], "regions": ["ap-northeast-1"] },
      { "type": "waf", "accounts": ["333333333333"], "regions": ["ap-northeast-1"] }
    ]
  }]
}
EOF
echo "running: logcanary check --config logcanary.json" >&2
echo >&2
rc=0
AWS_ACCESS_KEY_ID=$LC_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$LC_S3_SECRET_KEY \
    AWS_EC2_METADATA_DISABLED=true \
    "$build/logcanary" check --config "$work/logcanary.json" --format "$format" \
    "${metrics[@]}" || rc=$?
echo >&2
if [[ -n $html ]]; then
    AWS_ACCESS_KEY_ID=$LC_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$LC_S3_SECRET_KEY \
        AWS_EC2_METADATA_DISABLED=true \
        "$build/logcanary" check --config "$work/logcanary.json" --format html \
        --output "$html" >/dev/null 2>&1 || true
    echo "the HTML coverage page: $html" >&2
fi
if [[ $rc == 1 ]]; then
    echo "logcanary exited 1 (problems found): the broken flow logs, the account that never" \
        "delivered, and the WAF logs that can never reach their bucket were caught." >&2
    exit 0
fi
echo "unexpected: logcanary exited $rc (expected 1: two broken streams)" >&2
exit 1
