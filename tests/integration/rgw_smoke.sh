#!/bin/bash
# Smoke test of the radosgw harness with a real client (/usr/bin/aws, s3api commands):
# proves the server behaviour logcanary's integration tests rely on.
#   rgw_smoke.sh [ENV_FILE]    (default: $LC_RADOSGW_ENV)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/lctest.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lctest.sh"

ENV_FILE=${1:-${LC_RADOSGW_ENV:-}}
[[ -r "$ENV_FILE" ]] || {
    echo "rgw_smoke: env file '$ENV_FILE' not readable (is the radosgw fixture up?)" >&2
    exit 1
}
# shellcheck disable=SC1090
source "$ENV_FILE"

WORK=$(mktemp -d)
finish() {
    local rc=$?
    rm -rf "$WORK"
    ((rc == 0)) || echo "rgw_smoke: aborted or failed (exit $rc)" >&2
}
trap finish EXIT
# A clean client: no user config, no pager, no IMDS lookups, no retries.
export HOME=$WORK AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true AWS_MAX_ATTEMPTS=1
export AWS_DEFAULT_REGION=$LC_S3_REGION
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE

check() { # what, command...: the command must succeed
    local what=$1
    shift
    if "$@" >/dev/null; then ok "$what"; else fail "$what"; fi
}
expect_eq() { # what, expected, actual
    if [[ "$2" == "$3" ]]; then ok "$1"; else fail "$1: expected '$2', got '$3'"; fi
}

as_owner() {
    AWS_ACCESS_KEY_ID=$LC_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$LC_S3_SECRET_KEY \
        /usr/bin/aws --endpoint-url "$LC_S3_ENDPOINT" "$@"
}
as_other() {
    AWS_ACCESS_KEY_ID=$LC_S3_OTHER_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$LC_S3_OTHER_SECRET_KEY \
        /usr/bin/aws --endpoint-url "$LC_S3_ENDPOINT" "$@"
}

# Run an aws command that is expected to fail and print "<http status> <S3 error code>".
# The status and code are read from --debug output, because aws-cli 2.9 crashes on radosgw
# errors whose <Message> is empty ("argument of type 'NoneType' is not iterable").
http_outcome() {
    local log status code
    log=$("$@" --debug 2>&1 >/dev/null || true)
    status=$(grep -oE '"(GET|PUT|HEAD|POST|DELETE) [^"]*" [0-9]{3}' <<<"$log" | tail -n 1 |
        awk '{print $NF}')
    code=$(grep -oE '<Code>[^<]*</Code>' <<<"$log" | tail -n 1 | sed -E 's#</?Code>##g')
    echo "${status:-none} ${code:-none}"
}

BUCKET=lc-smoke-$$-$RANDOM
printf 'logcanary smoke\n' >"$WORK/body.txt"

# 1. Bucket and an SSE-KMS object with a known testing-backend key.
check "create-bucket $BUCKET" as_owner s3api create-bucket --bucket "$BUCKET"
out=$(as_owner s3api put-object --bucket "$BUCKET" --key canary/one.txt --body "$WORK/body.txt" \
    --server-side-encryption aws:kms --ssekms-key-id "$LC_KMS_KEY_1" \
    --query '[ServerSideEncryption,SSEKMSKeyId]' --output text)
expect_eq "PUT aws:kms echoes SSE headers" "aws:kms	$LC_KMS_KEY_1" "$out"
out=$(as_owner s3api head-object --bucket "$BUCKET" --key canary/one.txt \
    --query '[ServerSideEncryption,SSEKMSKeyId,ContentLength]' --output text)
expect_eq "HEAD echoes aws:kms and key id" "aws:kms	$LC_KMS_KEY_1	16" "$out"
as_owner s3api get-object --bucket "$BUCKET" --key canary/one.txt "$WORK/got.txt" >/dev/null
expect_eq "GET decrypts" "logcanary smoke" "$(cat "$WORK/got.txt")"
out=$(as_owner s3api put-object --bucket "$BUCKET" --key canary/two.txt --body "$WORK/body.txt" \
    --server-side-encryption aws:kms --ssekms-key-id "$LC_KMS_KEY_2" \
    --query SSEKMSKeyId --output text)
expect_eq "second testing key works" "$LC_KMS_KEY_2" "$out"

# 2. KMS failures on the write path.
out=$(http_outcome as_owner s3api put-object --bucket "$BUCKET" --key canary/bad.txt \
    --body "$WORK/body.txt" --server-side-encryption aws:kms \
    --ssekms-key-id "arn:aws:kms:$LC_S3_REGION:111122223333:key/00000000-dead-beef-0000-000000000000")
expect_eq "unknown KMS key id -> 403 InvalidAccessKeyId" "403 InvalidAccessKeyId" "$out"
out=$(http_outcome as_owner s3api put-object --bucket "$BUCKET" --key canary/bad.txt \
    --body "$WORK/body.txt" --server-side-encryption aws:kms)
expect_eq "aws:kms without key id -> 400 InvalidArgument" "400 InvalidArgument" "$out"

# 3. Signature checking.
out=$(http_outcome env AWS_ACCESS_KEY_ID="$LC_S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY=wrong-secret \
    /usr/bin/aws --endpoint-url "$LC_S3_ENDPOINT" s3api head-bucket --bucket "$BUCKET")
expect_eq "wrong secret -> 403 (HEAD has no body)" "403 none" "$out"
out=$(http_outcome env AWS_ACCESS_KEY_ID="$LC_S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY=wrong-secret \
    /usr/bin/aws --endpoint-url "$LC_S3_ENDPOINT" s3api list-objects-v2 --bucket "$BUCKET")
expect_eq "wrong secret -> 403 SignatureDoesNotMatch" "403 SignatureDoesNotMatch" "$out"

# 4. Bucket policy: the other user may read shared/*, except shared/secret*.
as_owner s3api put-object --bucket "$BUCKET" --key shared/open.txt --body "$WORK/body.txt" >/dev/null
as_owner s3api put-object --bucket "$BUCKET" --key shared/secret.txt --body "$WORK/body.txt" >/dev/null
out=$(http_outcome as_other s3api get-object --bucket "$BUCKET" --key shared/open.txt "$WORK/o.txt")
expect_eq "other user without a grant -> 403 AccessDenied" "403 AccessDenied" "$out"
other="arn:aws:iam:::user/$LC_S3_OTHER_UID"
cat >"$WORK/policy.json" <<EOF
{"Version": "2012-10-17", "Statement": [
  {"Sid": "AllowShared", "Effect": "Allow", "Principal": {"AWS": ["$other"]},
   "Action": "s3:GetObject", "Resource": "arn:aws:s3:::$BUCKET/shared/*"},
  {"Sid": "DenySecret", "Effect": "Deny", "Principal": {"AWS": ["$other"]},
   "Action": "s3:*", "Resource": "arn:aws:s3:::$BUCKET/shared/secret*"}]}
EOF
check "put-bucket-policy" \
    as_owner s3api put-bucket-policy --bucket "$BUCKET" --policy "file://$WORK/policy.json"
check "policy Allow lets the other user read shared/open.txt" \
    as_other s3api get-object --bucket "$BUCKET" --key shared/open.txt "$WORK/o.txt"
out=$(http_outcome as_other s3api get-object --bucket "$BUCKET" --key shared/secret.txt "$WORK/o.txt")
expect_eq "policy Deny -> 403 AccessDenied" "403 AccessDenied" "$out"
out=$(http_outcome as_other s3api put-object --bucket "$BUCKET" --key shared/new.txt \
    --body "$WORK/body.txt")
expect_eq "other user PUT (not allowed) -> 403 AccessDenied" "403 AccessDenied" "$out"

# 5. Listing as logcanary will do it (ListObjectsV2 with prefix), then clean up.
out=$(as_owner s3api list-objects-v2 --bucket "$BUCKET" --prefix canary/ --query 'length(Contents)' \
    --output text)
expect_eq "ListObjectsV2 prefix=canary/ lists 2 keys" "2" "$out"
check "empty bucket" as_owner s3 rm --recursive --quiet "s3://$BUCKET"
check "delete-bucket" as_owner s3api delete-bucket --bucket "$BUCKET"

summary
