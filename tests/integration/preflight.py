#!/usr/bin/python3
"""`logcanary preflight` end to end: S3 against a real radosgw, KMS / STS / Config against the
signature-verifying control-plane fixture (tests/servers/cpfixture.py).

    preflight.py            (needs LC_RADOSGW_ENV, LC_BINARY)

Cases: the owner on its own bucket (all allowed, GetBucketEncryption unknown on radosgw); the
other user with a bucket policy granting only ListBucket and GetObject (Put/Delete/GetBucketPolicy
missing, and the printed IAM policy grants exactly those); kms:GetKeyPolicy denied; a status role
that cannot be assumed; a WAF source's wafv2:ListLoggingConfigurations through its status role,
answered and denied; JSON and text agree; no secret is ever printed.
"""
import json
import re
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import lctest  # noqa: E402
from lctest import s3_client as s3  # noqa: E402

ENV = lctest.radosgw_env()
RUN = os.getpid()
ACCT = "111111111111"
REGION = ENV["LC_S3_REGION"]
NOW_ISO = lctest.iso(lctest.yesterday_noon())
USERS = {user: lctest.user_keys(user) for user in ("owner", "other")}
SECRETS = [sk for _, sk in USERS.values()]

check = lctest.Checks()


def seed(bucket, *args):
    lctest.seed("--bucket", bucket, "--accounts", ACCT, "--regions", REGION, "--now", NOW_ISO,
                "--seed", "7", *args)


def start_fixture(operations):
    """The control-plane fixture, knowing both radosgw users' keys."""
    return lctest.CpFixture({"region": REGION, "account": ACCT,
                             "credentials": {ak: {"secret": sk} for ak, sk in USERS.values()},
                             "operations": operations})


def preflight(target, user="owner", endpoints=None, fmt="json", env_extra=None):
    cfg = {"aws": lctest.radosgw_aws(), "targets": [target]}
    if endpoints:
        cfg["aws"]["endpoints"] = endpoints
    p = lctest.run_agent("preflight", "--config", lctest.write_config(cfg), "--format", fmt,
                         user=user, env_extra=env_extra, timeout=300)
    check(f"{target['name']} ({fmt}): no secret in stdout/stderr",
          not lctest.leaked(SECRETS, p.stdout, p.stderr))
    return p


def verdicts_json(report):
    """{(principal arn or name, permission, resource): result}"""
    out = {}
    for p in report["principals"]:
        for c in p["checks"]:
            out[(c["permission"], c["resource"])] = c["result"]
    return out


def verdicts_text(text):
    out = {}
    for line in text.splitlines():
        parts = line.split()
        # table rows only: "  <service>:<Action>  <resource>  <result>"
        if line.startswith("  ") and len(parts) >= 3 and \
                re.fullmatch(r"[a-z0-9-]+:[A-Za-z*]+", parts[0]):
            out[(parts[0], parts[1])] = parts[2].rstrip(":").lower()
    return out


def policies_text(text):
    """The IAM policy documents printed after 'attach this IAM policy', parsed."""
    docs, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        if "attach this IAM policy" in lines[i] and i + 1 < len(lines) and lines[i + 1] == "{":
            j = i + 1
            while lines[j] != "}":
                j += 1
            docs.append((lines[i], json.loads("\n".join(lines[i + 1:j + 1]))))
            i = j
        i += 1
    return docs


def grants(doc):
    """{(action, resource)} of an IAM policy document."""
    out = set()
    for st in doc["Statement"]:
        assert st["Effect"] == "Allow"
        acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        res = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
        out |= {(a, r) for a in acts for r in res}
    return out


def run_both(tag, target, **kw):
    """Run text and JSON; the verdicts must be the same."""
    pt = preflight(target, fmt="text", **kw)
    pj = preflight(target, fmt="json", **kw)
    try:
        report = json.loads(pj.stdout)
    except ValueError:
        print(pj.stdout, pj.stderr, file=sys.stderr)
        raise
    vt, vj = verdicts_text(pt.stdout), verdicts_json(report)
    check(f"{tag}: JSON parses and has the text table's verdicts", vt == vj and vj,
          f"\ntext {vt}\njson {vj}")
    check(f"{tag}: same exit code for text and JSON", pt.returncode == pj.returncode,
          (pt.returncode, pj.returncode))
    return pt, pj, report, vj


def case_owner_allowed(key1):
    b = f"lc-pf-owner-{RUN}"
    seed(b, "--sources", "cloudtrail", "--hours", "2", "--kms-key-id", key1)
    with start_fixture(lctest.kms_key_ops(key1)) as fx:
        pt, pj, r, v = run_both("owner", {"name": b, "bucket": b, "kms_key_arn": key1,
                                          "sources": [{"type": "cloudtrail", "accounts": [ACCT],
                                                       "regions": [REGION]}]},
                                endpoints={"kms": fx.url, "sts": fx.url})
    print(pt.stdout)
    check("owner: exit 0", pt.returncode == 0, f"rc={pt.returncode} {pt.stderr}")
    bucket_arn, canary = f"arn:aws:s3:::{b}", f"arn:aws:s3:::{b}/logcanary-canary/*"
    want_allowed = {("s3:ListBucket", bucket_arn), ("s3:GetObject", f"arn:aws:s3:::{b}/AWSLogs/*"),
                    ("s3:GetObject", canary), ("s3:PutObject", canary),
                    ("s3:DeleteObject", canary), ("s3:GetBucketPolicy", bucket_arn),
                    ("kms:DescribeKey", key1), ("kms:GetKeyPolicy", key1),
                    ("kms:GenerateDataKey", key1)}
    allowed = {k for k, x in v.items() if x == "allowed"}
    want_allowed.add(("kms:Decrypt", key1))
    check("owner: the permissions are allowed", want_allowed <= allowed, want_allowed - allowed)
    check("owner: GetEncryptionConfiguration is unknown on radosgw, not missing",
          v.get(("s3:GetEncryptionConfiguration", bucket_arn)) == "unknown",
          v.get(("s3:GetEncryptionConfiguration", bucket_arn)))
    check("owner: nothing missing", "missing" not in v.values() and r["status"] == "ok", v)
    check("owner: the reason for unknown is named",
          "does not support GetBucketEncryption" in pt.stdout)
    check("owner: no IAM policy printed", "attach this IAM policy" not in pt.stdout)
    check("owner: unknown does not fail, and says so", "does not fail preflight" in pt.stdout)
    left = s3().list_objects_v2(Bucket=b, Prefix="logcanary-canary/").get("KeyCount", 0)
    check("owner: the canary objects were deleted", left == 0, left)
    ops = [x["operation"] for x in fx.log()]
    check("owner: KMS DescribeKey and GetKeyPolicy were asked",
          ops.count("DescribeKey") == 2 and ops.count("GetKeyPolicy") == 2, ops)
    return b


def case_other_user(key1):
    b = f"lc-pf-other-{RUN}"
    seed(b, "--sources", "cloudtrail", "--hours", "2")
    other = ENV["LC_S3_OTHER_UID"]
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "List", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam:::user/{other}"},
         "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{b}"},
        {"Sid": "Read", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam:::user/{other}"},
         "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{b}/*"}]}
    s3().put_bucket_policy(Bucket=b, Policy=json.dumps(policy))
    with start_fixture(lctest.kms_key_ops(key1)) as fx:
        pt, pj, r, v = run_both("other", {"name": b, "bucket": b, "kms_key_arn": key1,
                                          "sources": [{"type": "cloudtrail", "accounts": [ACCT],
                                                       "regions": [REGION]}]},
                                user="other", endpoints={"kms": fx.url, "sts": fx.url})
    print(pt.stdout)
    check("other: exit 1", pt.returncode == 1 and pj.returncode == 1,
          f"rc={pt.returncode} {pt.stderr}")
    bucket_arn, canary = f"arn:aws:s3:::{b}", f"arn:aws:s3:::{b}/logcanary-canary/*"
    want = {("s3:PutObject", canary), ("s3:DeleteObject", canary),
            ("s3:GetBucketPolicy", bucket_arn)}
    missing = {k for k, x in v.items() if x == "missing"}
    check("other: PutObject, DeleteObject, GetBucketPolicy missing (only those)", missing == want,
          missing)
    check("other: ListBucket and GetObject of a delivery allowed",
          v.get(("s3:ListBucket", bucket_arn)) == "allowed" and
          v.get(("s3:GetObject", f"arn:aws:s3:::{b}/AWSLogs/*")) == "allowed", v)
    docs = policies_text(pt.stdout)
    check("other: one IAM policy printed, for the default credentials",
          len(docs) == 1 and "default credentials" in docs[0][0], [d[0] for d in docs])
    if docs:
        check("other: the text IAM policy grants exactly the missing permissions",
              grants(docs[0][1]) == want, grants(docs[0][1]))
    pols = [p["policy"] for p in r["principals"] if p["policy"]]
    check("other: the JSON IAM policy grants the same",
          len(pols) == 1 and grants(pols[0]) == want, pols)
    check("other: JSON status missing", r["status"] == "missing", r["status"])


def case_key_policy_denied(b, key1):
    denied = {"error": "AccessDeniedException", "message":
              "User: arn:aws:iam::111122223333:user/lc-owner is not authorized to perform: "
              "kms:GetKeyPolicy on resource: " + key1}
    with start_fixture(lctest.kms_key_ops(key1, denied)) as fx:
        p = preflight({"name": b, "bucket": b, "kms_key_arn": key1,
                       "sources": [{"type": "cloudtrail", "accounts": [ACCT],
                                    "regions": [REGION]}]},
                      endpoints={"kms": fx.url, "sts": fx.url})
    r = json.loads(p.stdout)
    v = verdicts_json(r)
    check("key policy: exit 1", p.returncode == 1, f"rc={p.returncode} {p.stderr}")
    check("key policy: kms:GetKeyPolicy missing on the key, nothing else",
          {k for k, x in v.items() if x == "missing"} == {("kms:GetKeyPolicy", key1)}, v)
    pols = [x["policy"] for x in r["principals"] if x["policy"]]
    check("key policy: the IAM policy grants kms:GetKeyPolicy on the key ARN",
          len(pols) == 1 and grants(pols[0]) == {("kms:GetKeyPolicy", key1)}, pols)


def case_status_role_denied(b):
    role_tmpl = "arn:aws:iam::{account}:role/logcanary-status"
    role = f"arn:aws:iam::{ACCT}:role/logcanary-status"
    denied = {"error": "AccessDenied", "status": 403,
              "message": f"User is not authorized to perform: sts:AssumeRole on resource: {role}"}
    with start_fixture({"sts.AssumeRole": denied}) as fx:
        pt, pj, r, v = run_both("status role", {
            "name": b, "bucket": b, "canary": {"enabled": False},
            "sources": [{"type": "config", "accounts": [ACCT], "regions": [REGION],
                         "status_role_arn": role_tmpl}]},
            endpoints={"sts": fx.url, "config": fx.url, "kms": fx.url})
    check("status role: exit 1", pt.returncode == 1, f"rc={pt.returncode} {pt.stderr}")
    check("status role: sts:AssumeRole missing on the expanded role ARN",
          v.get(("sts:AssumeRole", role)) == "missing", v)
    check("status role: the Config reads are unknown, not missing",
          v.get(("config:DescribeDeliveryChannels", "*")) == "unknown" and
          v.get(("config:DescribeDeliveryChannelStatus", "*")) == "unknown", v)
    pols = [x["policy"] for x in r["principals"] if x["policy"]]
    check("status role: the IAM policy grants sts:AssumeRole on that role",
          len(pols) == 1 and grants(pols[0]) == {("sts:AssumeRole", role)}, pols)
    ops = [x["params"].get("RoleArn") for x in fx.log(operation="AssumeRole")]
    check("status role: AssumeRole asked for the account's role", ops == [role] * 2, ops)


def case_target_role_denied(b):
    """The target's own role_arn cannot be assumed: that is the first finding; the rest unknown."""
    role = "arn:aws:iam::222222222222:role/logcanary-reader"
    with start_fixture({"sts.AssumeRole": {
            "error": "AccessDenied", "status": 403, "message": "not authorized"}}) as fx:
        p = preflight({"name": b, "bucket": b, "role_arn": role,
                       "sources": [{"type": "cloudtrail", "accounts": [ACCT],
                                    "regions": [REGION]}]},
                      endpoints={"sts": fx.url, "kms": fx.url})
    r = json.loads(p.stdout)
    v = verdicts_json(r)
    check("target role: exit 1", p.returncode == 1, f"rc={p.returncode} {p.stderr}")
    check("target role: only sts:AssumeRole on the role is missing",
          {k for k, x in v.items() if x == "missing"} == {("sts:AssumeRole", role)}, v)
    check("target role: the S3 checks are unknown",
          v.get(("s3:ListBucket", f"arn:aws:s3:::{b}")) == "unknown", v)


def case_waf_status():
    """A WAF source with a status role: its wafv2:ListLoggingConfigurations row, allowed when
    WAF answers, missing (with the IAM policy to attach to the status role) when it is denied."""
    b = f"aws-waf-logs-lc-pf-{RUN}"
    seed(b, "--sources", "waf", "--hours", "0.5")
    role = f"arn:aws:iam::{ACCT}:role/logcanary-status"
    status_key = "ASIALOGCANARYWAFPF01"
    target = {"name": b, "bucket": b, "canary": {"enabled": False},
              "sources": [{"type": "waf", "accounts": [ACCT], "regions": [REGION],
                           "status_role_arn": "arn:aws:iam::{account}:role/logcanary-status"}]}
    assume = {"body": {"Credentials": {"AccessKeyId": status_key,
                                       "SecretAccessKey": "waf-status-secret",
                                       "SessionToken": "waf-status-token"},
                       "AssumedRoleUser": {"AssumedRoleId": "AROA:logcanary-status",
                                           "Arn": f"arn:aws:sts::{ACCT}:assumed-role/"
                                                  "logcanary-status/logcanary-preflight"}}}
    denied = {"error": "AccessDeniedException", "message":
              f"User: arn:aws:sts::{ACCT}:assumed-role/logcanary-status/logcanary-preflight is "
              "not authorized to perform: wafv2:ListLoggingConfigurations on resource: "
              f"arn:aws:wafv2:{REGION}:{ACCT}:regional/webacl/*"}
    answer = {"body": {"LoggingConfigurations": [{
        "ResourceArn": f"arn:aws:wafv2:{REGION}:{ACCT}:regional/webacl/shop-prod/"
                       "3f1d2c4b-5a6e-4f70-8b9c-0d1e2f3a4b5c",
        "LogDestinationConfigs": [f"arn:aws:s3:::{b}"]}]}}
    row = ("wafv2:ListLoggingConfigurations", "*")
    for tag, reply, want, rc in (("waf status", answer, "allowed", 0),
                                 ("waf status denied", denied, "missing", 1)):
        with start_fixture({"sts.AssumeRole": assume,
                            "wafv2.ListLoggingConfigurations": reply}) as fx:
            pt, pj, r, v = run_both(tag, target, endpoints={"sts": fx.url, "wafv2": fx.url})
        check(f"{tag}: exit {rc}", pt.returncode == rc, f"rc={pt.returncode} {pt.stderr}")
        check(f"{tag}: the status role assumed", v.get(("sts:AssumeRole", role)) == "allowed", v)
        check(f"{tag}: wafv2:ListLoggingConfigurations {want}", v.get(row) == want, v)
        missing = {k for k, x in v.items() if x == "missing"}
        check(f"{tag}: nothing else missing", missing == ({row} if rc else set()), missing)
        calls = fx.log(operation="ListLoggingConfigurations")
        check(f"{tag}: asked as the status role, signed, REGIONAL",
              [(x["access_key"], x["sig_ok"], x["params"].get("Scope")) for x in calls] ==
              [(status_key, True, "REGIONAL")] * 2, [(x["access_key"], x["sig_ok"]) for x in calls])
        pols = [(p["principal"], p["arn"], p["policy"]) for p in r["principals"] if p["policy"]]
        docs = policies_text(pt.stdout)
        if rc:
            check(f"{tag}: one IAM policy, for the status role, granting the call",
                  [(arn, grants(pol)) for _, arn, pol in pols] == [(role, {row})] and
                  len(docs) == 1 and grants(docs[0][1]) == {row} and role in docs[0][0],
                  (pols, [d[0] for d in docs]))
        else:
            check(f"{tag}: no IAM policy printed", not pols and not docs, pols)


def case_usage_and_no_credentials():
    p = lctest.run_agent("preflight")
    check("usage: no --config exits 2", p.returncode == 2, p.returncode)
    cfg = {"aws": lctest.radosgw_aws(),
           "targets": [{"name": "t", "bucket": "lc-pf-nocreds", "sources": [
               {"type": "cloudtrail", "accounts": [ACCT], "regions": [REGION]}]}]}
    p = lctest.run_agent("preflight", "--config", lctest.write_config(cfg), user=None)
    check("no credentials: exit 3", p.returncode == 3, f"{p.returncode} {p.stderr}")


def main():
    key1 = ENV["LC_KMS_KEY_1"]
    case_usage_and_no_credentials()
    b = case_owner_allowed(key1)
    case_other_user(key1)
    case_key_policy_denied(b, key1)
    case_status_role_denied(b)
    case_target_role_denied(b)
    case_waf_status()
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
