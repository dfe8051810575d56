#!/usr/bin/env python3
"""`logcanary policy check` end to end on the policy fixtures: exit codes 0/1/2/4 and JSON fields.
Prints each failure and "N passed, M failed".

usage: policy_cli.py LOGCANARY SOURCE_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import lctest  # noqa: E402

BIN, SRC = sys.argv[1], sys.argv[2]
DATA = os.path.join(SRC, "tests", "data", "policies")
check = lctest.Checks(show_passes=False)  # check(failure message, cond)

FL = ["--service", "vpcflowlogs", "--account", "111111111111", "--region", "ap-northeast-1",
      "--bucket", "flowlogs-bucket"]
CT = ["--account", "123456789012", "--region", "ap-northeast-1",
      "--bucket", "aws-controltower-logs-210987654321-ap-northeast-1", "--prefix", "o-b1c2d3e4f5",
      "--key-arn", "arn:aws:kms:ap-northeast-1:567890123456:key/a1b2c3c4-5678-9a0b-a1b2-c1d2f3g4h5j6"]


def run(args, want_rc, name):
    p = subprocess.run([BIN, "policy", "check"] + args, capture_output=True, text=True, timeout=60)
    check(f"{name}: exit {p.returncode}, want {want_rc}\n{p.stdout}\n{p.stderr}",
          p.returncode == want_rc)
    return p


def js(args, want_rc, name):
    p = run(args + ["--format", "json"], want_rc, name)
    try:
        j, err = json.loads(p.stdout), None
    except ValueError as e:
        j, err = {}, e
    check(f"{name}: not JSON ({err}): {p.stdout[:200]}", err is None)
    return j


def f(name):
    return os.path.join(DATA, name)


# The flow-log case (probes/FACTS.md), before: gap (exit 1), the documented statement as the
# remediation, verified.
j = js(["--key-policy", f("flowlogs_001_before.json")] + FL, 1, "001 before")
check(f"001 before: {j}", j.get("service") == "vpcflowlogs" and j.get("granted") is False)
kp = j.get("key_policy", {})
check(f"001 before key_policy: {kp}",
      kp.get("granted") is False and kp.get("missing_actions") == ["kms:GenerateDataKey"])
check("001 before: no deny/undetermined", kp.get("denied_by") == [] and kp.get("undetermined") == [])
rem = kp.get("remediation", {})
st = (rem.get("add_statements") or [{}])[0]
check(f"001 remediation: {rem}",
      st.get("Sid") == "Allow Logs Delivery to use the key"
      and st.get("Principal") == {"Service": "delivery.logs.amazonaws.com"}
      and st.get("Condition") == {"StringEquals": {"aws:SourceAccount": "111111111111"},
                                  "ArnLike": {"aws:SourceArn": "arn:aws:logs:ap-northeast-1:111111111111:*"}}
      and rem.get("verified") is True)
check("001 before: bucket_policy null", j.get("bucket_policy", 0) is None)
# The statement is the fix that made deliveries arrive in the flow-log case, byte for byte in meaning.
after = json.load(open(f("flowlogs_001_after.json")))
check("remediation equals the flow-log case's fix", after["Statement"][1] == st)

# The same in the GetKeyPolicy response shape.
run(["--key-policy", f("flowlogs_001_before_getkeypolicy.json")] + FL, 1, "001 GetKeyPolicy shape")

# The flow-log case after the fix, with the bucket policy AWS attaches: granted (exit 0).
j = js(["--key-policy", f("flowlogs_001_after.json"), "--bucket-policy",
        f("flowlogs_bucket_policy.json")] + FL, 0, "001 after")
check(f"001 after: {j}",
      j.get("granted") is True and j["key_policy"]["granted"] is True
      and j["bucket_policy"]["granted"] is True and j["key_policy"]["remediation"] == {})

# Text output: verdict, missing action, statement ready to paste.
p = run(["--key-policy", f("flowlogs_001_before.json")] + FL, 1, "001 text")
for s in ["key policy: GAP", "kms:GenerateDataKey", '"Sid": "Allow Logs Delivery to use the key"',
          '"aws:SourceArn": "arn:aws:logs:ap-northeast-1:111111111111:*"', "verdict: GAP"]:
    check(f"text output lacks {s!r}", s in p.stdout)

# Gaps with the reason named.
j = js(["--key-policy", f("flowlogs_explicit_deny.json")] + FL, 1, "explicit deny")
check(f"deny: {j.get('key_policy')}", j.get("key_policy", {}).get("denied_by") == ["DenyLogsDelivery"])
run(["--key-policy", f("flowlogs_other_account.json")] + FL, 1, "other account")
run(["--key-policy", f("flowlogs_other_region.json")] + FL, 1, "other region")
run(["--key-policy", f("flowlogs_object_context.json")] + FL, 0, "object context")
run(["--key-policy", f("flowlogs_object_context.json"), "--bucket-key"] + FL, 1,
    "object context with a Bucket Key")
j = js(["--key-policy", f("flowlogs_001_after.json"), "--bucket-policy",
        f("empty_bucket_policy.json")] + FL, 1, "empty bucket policy")
names = [s["Sid"] for s in j.get("bucket_policy", {}).get("remediation", {}).get("add_statements", [])]
check(f"bucket remediation: {names}", names == ["AWSLogDeliveryWrite", "AWSLogDeliveryAclCheck"])

# Undetermined (exit 4), the key named, granted null.
j = js(["--key-policy", f("flowlogs_caller_account.json")] + FL, 4, "undetermined")
check(f"undetermined: {j.get('key_policy')}",
      j.get("granted", 0) is None and j["key_policy"]["granted"] is None
      and "kms:CallerAccount" in j["key_policy"]["undetermined"])

# The Control Tower case (probes/FACTS.md): before is a gap for Config and CloudTrail, after
# granted.
for svc in ["config", "cloudtrail"]:
    j = js(["--key-policy", f("controltower_000_before.json"), "--service", svc] + CT, 1, f"000 {svc} before")
    check(f"000 {svc}: steps {j.get('steps_after')}",
          j.get("control_tower") is True and any("re-run the landing-zone" in s for s in j.get("steps_after", [])))
    run(["--key-policy", f("controltower_000_after.json"), "--service", svc] + CT, 0, f"000 {svc} after")
run(["--key-policy", f("controltower_000_after.json"), "--service", "vpcflowlogs"] + CT, 1,
    "000 after: flow logs")

# AWS documentation CloudTrail policies.
TR = ["--service", "cloudtrail", "--account", "111111111111", "--region", "us-east-2", "--bucket", "trail-bucket"]
run(["--key-policy", f("cloudtrail_doc_key_policy.json"), "--bucket-policy", f("cloudtrail_bucket_policy.json"),
     "--trail-arn", "arn:aws:cloudtrail:us-east-2:111111111111:trail/management-events"] + TR, 0, "cloudtrail doc")
run(["--key-policy", f("cloudtrail_doc_key_policy.json")] + TR, 4, "cloudtrail doc, no trail ARN")

# Exit 2: usage, unreadable, invalid (with the JSON path), too large.
p = run(["--key-policy", f("invalid_condition.json")] + FL, 2, "invalid")
check(f"invalid: {p.stderr}", "Statement[2].Condition.StringEquals: expected an object" in p.stderr)
run(["--key-policy", f("does-not-exist.json")] + FL, 2, "missing file")
run(["--key-policy", f("flowlogs_001_before.json"), "--service", "s3"] + FL[2:], 2, "bad service")
run(["--key-policy", f("flowlogs_001_before.json")] + FL[:2], 2, "no account")
run(["--key-policy", f("flowlogs_001_before.json"), "--format", "xml"] + FL, 2, "bad format")
run(["--key-policy", f("flowlogs_001_before.json"), "--account", "12"] + FL[:2] + FL[4:], 2, "bad account")
with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as t:
    t.write(open(f("flowlogs_001_before.json")).read() + " " * (64 * 1024))
p = run(["--key-policy", t.name] + FL, 2, "too large")
os.unlink(t.name)
check(f"too large: {p.stderr}", "64" in p.stderr or "larger" in p.stderr)
p = subprocess.run([BIN, "policy", "--help"], capture_output=True, text=True)
check("--help mentions the GetKeyPolicy shape", p.returncode == 0 and '{"Policy"' in p.stdout)

# AWS WAF (probes/FACTS.md, "waf"): the delivery.logs family's requests, in WAF's folder
# AWSLogs/<acct>/WAFLogs/<region>/ of a bucket named aws-waf-logs-*.
WAF = ["--service", "waf", "--account", "111111111111", "--region", "ap-northeast-1",
       "--bucket", "aws-waf-logs-central"]
WAF_OBJECTS = "arn:aws:s3:::aws-waf-logs-central/AWSLogs/111111111111/WAFLogs/ap-northeast-1/"


def put_resource(section):
    """The resource of the service's s3:PutObject request as evaluated."""
    return next((r.get("resource") for r in (section or {}).get("requests", [])
                 if r.get("action") == "s3:PutObject"), None)


# A key policy without delivery.logs.amazonaws.com: a gap, with the documented statement to add.
j = js(["--key-policy", f("flowlogs_001_before.json"), "--bucket-policy",
        f("empty_bucket_policy.json")] + WAF, 1, "waf before")
kp, bp = j.get("key_policy", {}), j.get("bucket_policy") or {}
check(f"waf before: {j}", j.get("service") == "waf" and j.get("granted") is False
      and kp.get("granted") is False and kp.get("missing_actions") == ["kms:GenerateDataKey"])
rem = kp.get("remediation", {})
check(f"waf before: the documented key statement, verified: {rem}",
      rem.get("add_statements") == [after["Statement"][1]] and rem.get("verified") is True)
check(f"waf before: PutObject evaluated in WAF's folder: {put_resource(bp)}",
      put_resource(bp) == WAF_OBJECTS + "*")
check(f"waf before: the encryption context in WAF's folder: {j.get('assumptions')}",
      any(f"objects are written under {WAF_OBJECTS}..." in a for a in j.get("assumptions", [])))
names = [s["Sid"] for s in bp.get("remediation", {}).get("add_statements", [])]
check(f"waf before: bucket statements {names}", names == ["AWSLogDeliveryWrite",
                                                          "AWSLogDeliveryAclCheck"])
check(f"waf before: steps {j.get('steps_after')}",
      any("web ACL" in s for s in j.get("steps_after", [])) and j.get("control_tower") is False)
p = run(["--key-policy", f("flowlogs_001_before.json")] + WAF, 1, "waf before text")
for s in ["key policy: GAP", '"Sid": "Allow Logs Delivery to use the key"', "verdict: GAP"]:
    check(f"waf text output lacks {s!r}", s in p.stdout)
# A folder before AWSLogs/ moves the objects.
j = js(["--key-policy", f("flowlogs_001_before.json"), "--bucket-policy",
        f("empty_bucket_policy.json"), "--prefix", "edge"] + WAF, 1, "waf prefix")
check(f"waf prefix: {put_resource(j.get('bucket_policy'))}", put_resource(j.get("bucket_policy")) ==
      WAF_OBJECTS.replace("central/", "central/edge/") + "*")

# The documented key statement and bucket policy: granted.
j = js(["--key-policy", f("flowlogs_001_after.json"), "--bucket-policy",
        f("waf_bucket_policy.json")] + WAF, 0, "waf after")
check(f"waf after: {j}", j.get("granted") is True and j["key_policy"]["granted"] is True
      and j["bucket_policy"]["granted"] is True and j["key_policy"]["remediation"] == {})

# The folder decides: a grant whose encryption context names one source's folder serves that
# source only.
ctx = json.load(open(f("flowlogs_object_context.json")))
tmp = tempfile.mkdtemp()
for folder, granted in (("WAFLogs", "waf"), ("vpcflowlogs", "vpcflowlogs")):
    ctx["Statement"][1]["Condition"]["StringLike"]["kms:EncryptionContext:aws:s3:arn"] = \
        f"arn:aws:s3:::aws-waf-logs-central/AWSLogs/111111111111/{folder}/*"
    path = os.path.join(tmp, f"context_{folder}.json")
    with open(path, "w") as out:
        json.dump(ctx, out)
    for svc in ("waf", "vpcflowlogs"):
        run(["--key-policy", path] + WAF[2:] + ["--service", svc], 0 if svc == granted else 1,
            f"key grant for {folder}/ objects, {svc}")
    os.unlink(path)
os.rmdir(tmp)

sys.exit(check.summary())
