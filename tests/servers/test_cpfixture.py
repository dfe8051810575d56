#!/usr/bin/python3
"""Checks cpfixture.py with real clients: botocore (kms, ec2, config, cloudtrail, sts, s3), urllib
for IMDSv2 and container credentials, and /usr/bin/aws.
Prints "N passed, M failed"; exits 1 on failure."""
import datetime
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import traceback

import botocore.session
from botocore import UNSIGNED
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError, ReadTimeoutError
from botocore.parsers import ResponseParserError

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import lctest  # noqa: E402

AK, SK = "AKIALOGCANARYTEST01", "lc/secret+key0000000000000000000000000001"
SESSION = botocore.session.get_session()


class Fixture(lctest.CpFixture):
    """cpfixture.py running on a scenario file (or a scenario given as a dict), with its request
    log, botocore clients for it and the scenario's answers."""

    def client(self, service, key=AK, secret=SK, token=None, region="us-east-1", url=None,
               **config):
        return SESSION.create_client(service, endpoint_url=url or self.url, region_name=region,
                                     aws_access_key_id=key, aws_secret_access_key=secret,
                                     aws_session_token=token, config=Config(**config))

    def op(self, key):
        """The scenario's first response body for 'service.Operation' (last rule = default)."""
        spec = self.scenario["operations"][key]
        rule = spec[-1] if isinstance(spec, list) else spec
        resp = rule.get("respond", rule)
        return (resp[-1] if isinstance(resp, list) else resp)["body"]


def epoch(value):
    return value.timestamp() if isinstance(value, datetime.datetime) else value


def same(parsed, expected):
    """parsed (botocore output) equals expected (scenario), datetimes compared as epochs."""
    if isinstance(expected, dict):
        return isinstance(parsed, dict) and set(parsed) >= set(expected) and all(
            same(parsed[k], v) for k, v in expected.items())
    if isinstance(expected, list):
        return len(parsed) == len(expected) and all(map(same, parsed, expected))
    if isinstance(parsed, datetime.datetime) and isinstance(expected, str):
        return parsed == datetime.datetime.fromisoformat(expected.replace("Z", "+00:00"))
    return epoch(parsed) == expected


def error_of(call):
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], e
    raise AssertionError("call succeeded but an error was expected")


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def signed_headers(url, body, key, secret, region, service, headers, when=None, token=None,
                   method="POST"):
    """Headers of a request signed by botocore at a chosen time (for Host and clock tests)."""
    headers = dict(headers, Host=url.split("/")[2])
    req = AWSRequest(method=method, url=url, data=body, headers=headers)
    signer = SigV4Auth(Credentials(key, secret, token), service, region)
    stamp = (when or datetime.datetime.utcnow()).strftime("%Y%m%dT%H%M%SZ")
    req.context["timestamp"] = stamp
    req.headers["X-Amz-Date"] = stamp
    canonical = signer.canonical_request(req)
    sig = signer.signature(signer.string_to_sign(req, canonical), req)
    hdrs = signer.headers_to_sign(req)
    req.headers["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={signer.scope(req)}, "
                                    f"SignedHeaders={signer.signed_headers(hdrs)}, Signature={sig}")
    return dict(req.headers.items())


def post(fx, headers, body, method="POST", path="/"):
    conn = http.client.HTTPConnection("127.0.0.1", fx.port, timeout=10)
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data


def http_req(url, method="GET", headers=None):
    status, _, body = lctest.http(url, method, headers)
    return status, body


# ---- tests on scenarios/basic.json ----------------------------------------------------------

def t_kms(fx):
    kms = fx.client("kms")
    meta = kms.describe_key(KeyId="1234abcd-12ab-34cd-56ef-1234567890ab")["KeyMetadata"]
    check(same(meta, fx.op("kms.DescribeKey")["KeyMetadata"]), f"DescribeKey parsed: {meta}")
    pol = kms.get_key_policy(KeyId="k", PolicyName="default")
    doc = json.loads(pol["Policy"])
    check(doc["Statement"][0]["Principal"]["Service"] == "delivery.logs.amazonaws.com", "policy")
    code, status, e = error_of(lambda: kms.describe_key(KeyId="alias/missing"))
    check((code, status) == ("NotFoundException", 400), f"NotFound: {code} {status}")
    check("is not found" in e.response["Error"]["Message"], "NotFound message")
    check(e.response["ResponseMetadata"].get("RequestId"), "x-amzn-RequestId missing")
    rec = fx.log("kms", "GetKeyPolicy")[-1]
    check(rec["params"] == {"KeyId": "k", "PolicyName": "default"} and rec["sig_ok"], rec)


def t_throttle_retry(fx):
    kms = fx.client("kms")
    out = kms.describe_key(KeyId="alias/busy")
    check(out["KeyMetadata"]["KeyState"] == "Enabled", "eventual success")
    check(out["ResponseMetadata"]["RetryAttempts"] == 2, out["ResponseMetadata"])
    recs = [r for r in fx.log("kms", "DescribeKey") if r["params"] == {"KeyId": "alias/busy"}]
    check([(r["attempt"], r["status"], r["error"]) for r in recs] ==
          [(1, 400, "ThrottlingException"), (2, 400, "ThrottlingException"), (3, 200, None)],
          f"attempts seen: {recs}")


def t_config(fx):
    cfg = fx.client("config")
    for op, key in (("describe_delivery_channels", "DeliveryChannels"),
                    ("describe_delivery_channel_status", "DeliveryChannelsStatus"),
                    ("describe_configuration_recorder_status", "ConfigurationRecordersStatus")):
        out = getattr(cfg, op)()
        name = "config." + "".join(w.capitalize() for w in op.split("_"))
        check(same(out[key], fx.op(name)[key]), f"{op}: {out[key]}")
    status = cfg.describe_delivery_channel_status()["DeliveryChannelsStatus"][0]
    check(status["configSnapshotDeliveryInfo"]["lastErrorCode"] == "AccessDenied", status)


def t_cloudtrail(fx):
    ct = fx.client("cloudtrail")
    trails = ct.describe_trails(trailNameList=["lc-trail"], includeShadowTrails=True)["trailList"]
    check(same(trails, fx.op("cloudtrail.DescribeTrails")["trailList"]), trails)
    st = ct.get_trail_status(Name="lc-trail")
    check(st["IsLogging"] is True and st["LatestDeliveryError"] == "AccessDenied", st)
    check(st["LatestDeliveryTime"].timestamp() == 1700000000, st["LatestDeliveryTime"])
    code, status, _ = error_of(lambda: ct.get_trail_status(Name="nope"))
    check((code, status) == ("TrailNotFoundException", 400), code)
    check(fx.log("cloudtrail", "DescribeTrails")[-1]["params"]["trailNameList"] == ["lc-trail"],
          "DescribeTrails params logged")


def t_ec2(fx):
    ec2 = fx.client("ec2")
    out = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": ["vpc-0abc"]}])
    check(same(out["FlowLogs"], fx.op("ec2.DescribeFlowLogs")["FlowLogs"]), out["FlowLogs"])
    check(out["ResponseMetadata"]["RequestId"], "EC2 requestId")
    rec = fx.log("ec2", "DescribeFlowLogs")[-1]
    check(rec["params"]["Filter.1.Name"] == "resource-id" and rec["params"]["Filter.1.Value.1"]
          == "vpc-0abc", rec["params"])
    code, status, e = error_of(lambda: ec2.describe_flow_logs(FlowLogIds=["fl-missing"]))
    check((code, status) == ("InvalidFlowLogId.NotFound", 400), code)
    check("fl-missing" in e.response["Error"]["Message"], "EC2 error message")


def t_sts(fx):
    sts = fx.client("sts")
    out = sts.assume_role(RoleArn="arn:aws:iam::111122223333:role/lc-reader",
                          RoleSessionName="lc", DurationSeconds=900)
    creds = out["Credentials"]
    check(creds["AccessKeyId"] == "ASIALOGCANARYROLE01", creds)
    left = creds["Expiration"].timestamp() - time.time()
    check(800 < left <= 900, f"Expiration {creds['Expiration']} ({left:.0f}s left)")
    check(out["AssumedRoleUser"]["Arn"].endswith("assumed-role/lc-reader/lc"), out)
    kms = fx.client("kms", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"],
                    token=creds["SessionToken"])
    kms.describe_key(KeyId="k")
    rec = fx.log("kms", "DescribeKey")[-1]
    check(rec["access_key"] == "ASIALOGCANARYROLE01" and rec["token_present"] and rec["sig_ok"],
          rec)
    ident = sts.get_caller_identity()
    check(ident["Account"] == "111122223333" and ident["Arn"].endswith("user/" + AK), ident)


def t_web_identity_unsigned(fx):
    sts = fx.client("sts", signature_version=UNSIGNED)
    out = sts.assume_role_with_web_identity(RoleArn="arn:aws:iam::111122223333:role/lc-web",
                                            RoleSessionName="lc-agent",
                                            WebIdentityToken="eyJhbGciOi.jwt-secret.sig")
    check(out["Credentials"]["AccessKeyId"] == "ASIALOGCANARYWEB001", out)
    rec = fx.log("sts", "AssumeRoleWithWebIdentity")[-1]
    check(rec["auth"] == "unsigned" and rec["params"]["WebIdentityToken"] == "<redacted>", rec)
    code, status, _ = error_of(lambda: fx.client("kms", signature_version=UNSIGNED)
                               .describe_key(KeyId="k"))
    check((code, status) == ("MissingAuthenticationTokenException", 400), code)


def t_bad_signatures(fx):
    cases = [("kms", lambda c: c.describe_key(KeyId="k"), "InvalidSignatureException", 400),
             ("ec2", lambda c: c.describe_flow_logs(), "SignatureDoesNotMatch", 403),
             ("sts", lambda c: c.get_caller_identity(), "SignatureDoesNotMatch", 403),
             ("config", lambda c: c.describe_delivery_channels(), "InvalidSignatureException", 400)]
    for service, call, want, want_status in cases:
        code, status, _ = error_of(lambda: call(fx.client(service, secret="wrong-secret")))
        check((code, status) == (want, want_status), f"{service}: {code} {status}")
        rec = fx.log(service)[-1]
        check(rec["sig_ok"] is False and rec["auth"] == "signature", rec)
    code, _, _ = error_of(lambda: fx.client("kms", key="AKIAUNKNOWN").describe_key(KeyId="k"))
    check(code == "UnrecognizedClientException", code)
    code, _, _ = error_of(lambda: fx.client("sts", key="AKIAUNKNOWN").get_caller_identity())
    check(code == "InvalidClientTokenId", code)
    temp = dict(key="ASIALOGCANARYTEMP01", secret="lc-temp-secret")
    fx.client("kms", token="lc-session-token-1", **temp).describe_key(KeyId="k")
    code, _, _ = error_of(lambda: fx.client("kms", token="forged", **temp).describe_key(KeyId="k"))
    check(code == "UnrecognizedClientException", f"wrong session token: {code}")
    code, _, _ = error_of(lambda: fx.client("kms", **temp).describe_key(KeyId="k"))
    check(code == "UnrecognizedClientException", f"missing session token: {code}")


def t_region_scope(fx):
    _, _, e = error_of(lambda: fx.client("kms", region="eu-west-1").describe_key(KeyId="k"))
    check("scoped to a valid region" in e.response["Error"]["Message"], e)
    fx.client("kms", region="eu-west-1", url=fx.url + "/eu-west-1").describe_key(KeyId="k")
    check(fx.log("kms")[-1]["region"] == "eu-west-1", "path-prefix region")
    # A Host of the AWS form names the region (as with CURLOPT_RESOLVE in the C tests).
    body = b'{"Name": "lc-trail"}'
    hdrs = {"Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.GetTrailStatus"}
    url = f"http://cloudtrail.ap-south-1.amazonaws.com:{fx.port}/"
    status, data = post(fx, signed_headers(url, body, AK, SK, "ap-south-1", "cloudtrail", hdrs),
                        body)
    check(status == 200 and json.loads(data)["IsLogging"] is True, (status, data))
    status, data = post(fx, signed_headers(url, body, AK, SK, "us-east-1", "cloudtrail", hdrs),
                        body)
    check(status == 400 and b"InvalidSignatureException" in data, (status, data))
    # Clock: a signature from 20 minutes ago is refused.
    old = datetime.datetime.utcnow() - datetime.timedelta(minutes=20)
    url = f"http://127.0.0.1:{fx.port}/"
    status, data = post(fx, signed_headers(url, body, AK, SK, "us-east-1", "cloudtrail", hdrs,
                                           when=old), body)
    check(status == 400 and b"Signature expired" in data, (status, data))
    status, _ = post(fx, signed_headers(url, body, AK, SK, "us-east-1", "cloudtrail", hdrs), body)
    check(status == 200, status)


def t_service_scope(fx):
    """A KMS request signed for the config service is refused."""
    body = b'{"KeyId": "k"}'
    hdrs = {"Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "TrentService.DescribeKey"}
    status, data = post(fx, signed_headers(fx.url + "/", body, AK, SK, "us-east-1", "config",
                                           hdrs), body)
    check(status == 400 and b"scoped to correct service" in data, (status, data))


def t_query_get(fx):
    """EC2 Query by GET: the query is canonicalised as AWS does (decode, then RFC 3986)."""
    good = ("/?Action=DescribeFlowLogs&Version=2016-11-15&Filter.1.Name=log-destination"
            "&Filter.1.Value.1=arn%3Aaws%3As3%3A%3A%3Alc-flow%2Fp%20q")
    hdrs = signed_headers(fx.url + good, b"", AK, SK, "us-east-1", "ec2", {}, method="GET")
    status, data = post(fx, hdrs, None, "GET", good)
    check(status == 200 and b"<flowLogSet>" in data, (status, data[:200]))
    rec = fx.log("ec2", "DescribeFlowLogs")[-1]
    check(rec["params"]["Filter.1.Value.1"] == "arn:aws:s3:::lc-flow/p q" and rec["sig_ok"], rec)
    # Signing the value unencoded (the libcurl CURLOPT_AWS_SIGV4 mistake) is refused.
    raw = good.replace("arn%3Aaws%3As3%3A%3A%3Alc-flow%2Fp%20q", "arn:aws:s3:::lc-flow/p")
    hdrs = signed_headers(fx.url + raw, b"", AK, SK, "us-east-1", "ec2", {}, method="GET")
    status, data = post(fx, hdrs, None, "GET", raw)
    check(status == 403 and b"SignatureDoesNotMatch" in data, (status, data[:200]))


def t_imds(fx):
    base = fx.url + "/latest"
    status, _ = http_req(base + "/api/token", "PUT")
    check(status == 400, f"token without TTL: {status}")
    status, token = http_req(base + "/api/token", "PUT",
                             {"X-aws-ec2-metadata-token-ttl-seconds": "21600"})
    check(status == 200 and len(token) > 20, (status, token))
    creds_url = base + "/meta-data/iam/security-credentials/"
    status, _ = http_req(creds_url)
    check(status == 401, f"IMDSv1 request: {status}")
    status, _ = http_req(creds_url, headers={"X-aws-ec2-metadata-token": "forged"})
    check(status == 401, f"forged token: {status}")
    hdr = {"X-aws-ec2-metadata-token": token}
    status, role = http_req(creds_url, headers=hdr)
    check((status, role) == (200, "logcanary-instance"), (status, role))
    status, body = http_req(creds_url + role, headers=hdr)
    creds = json.loads(body)
    check(creds["Code"] == "Success" and creds["AccessKeyId"] == "ASIALOGCANARYIMDS01", creds)
    exp = datetime.datetime.fromisoformat(creds["Expiration"].replace("Z", "+00:00"))
    check(3500 < exp.timestamp() - time.time() <= 3600, creds["Expiration"])
    status, _ = http_req(creds_url + "other-role", headers=hdr)
    check(status == 404, f"unknown role: {status}")
    status, region = http_req(base + "/meta-data/placement/region", headers=hdr)
    check((status, region) == (200, "us-east-1"), region)
    fx.client("kms", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"],
              token=creds["Token"]).describe_key(KeyId="k")
    check(fx.log("kms")[-1]["sig_ok"], "IMDS credentials accepted")
    ops = [r["operation"] for r in fx.log("imds")]
    check(ops[:2] == ["GetToken", "GetToken"] and "GetRoleCredentials" in ops, ops)


def t_container(fx):
    url = fx.url + fx.scenario["container"]["path"]
    status, _ = http_req(url)
    check(status == 401, f"no Authorization: {status}")
    status, _ = http_req(url, headers={"Authorization": "wrong"})
    check(status == 401, f"wrong Authorization: {status}")
    status, body = http_req(url, headers={"Authorization": "lc-container-auth"})
    creds = json.loads(body)
    check(status == 200 and creds["AccessKeyId"] == "ASIALOGCANARYECS001" and
          creds["Token"] == "lc-ecs-token" and "Expiration" in creds, creds)
    status, _ = http_req(fx.url + "/v2/credentials/other", headers={"Authorization": "x"})
    check(status != 200, "other path must not serve credentials")


def t_aws_cli(fx):
    with tempfile.TemporaryDirectory() as home:
        env = {"PATH": "/usr/bin:/bin", "HOME": home, "AWS_ACCESS_KEY_ID": AK,
               "AWS_SECRET_ACCESS_KEY": SK, "AWS_DEFAULT_REGION": "us-east-1", "AWS_PAGER": "",
               "AWS_EC2_METADATA_DISABLED": "true"}
        out = subprocess.run(["/usr/bin/aws", "kms", "describe-key", "--key-id", "alias/lc",
                              "--endpoint-url", fx.url, "--output", "json"],
                             env=env, capture_output=True, text=True, timeout=60)
        check(out.returncode == 0, out.stderr)
        meta = json.loads(out.stdout)["KeyMetadata"]
        check(meta["Arn"] == fx.op("kms.DescribeKey")["KeyMetadata"]["Arn"], meta)
        env["AWS_SECRET_ACCESS_KEY"] = "wrong"
        out = subprocess.run(["/usr/bin/aws", "ec2", "describe-flow-logs", "--endpoint-url",
                              fx.url], env=env, capture_output=True, text=True, timeout=60)
        check(out.returncode != 0 and "SignatureDoesNotMatch" in out.stderr, out.stderr)
    rec = fx.log("kms", "DescribeKey")[-1]
    check(rec["sig_ok"] and rec["params"] == {"KeyId": "alias/lc"}, rec)


def t_log_has_no_secrets(fx):
    with open(fx.log_path, encoding="utf-8") as f:
        text = f.read()
    secrets = [SK, "lc-temp-secret", "lc-session-token-1", "lc-role-secret", "lc-role-token",
               "lc-imds-secret", "lc-imds-token", "lc-ecs-secret", "lc-ecs-token",
               "lc-container-auth", "jwt-secret", "forged", "Signature="]
    leaked = [s for s in secrets if s in text]
    check(not leaked, f"secrets in the request log: {leaked}")
    keys = {"time", "client", "method", "path", "service", "operation", "params", "region",
            "signed_headers",
            "access_key", "token_present", "auth", "sig_ok", "rule", "attempt", "status", "error"}
    records = fx.log()
    check(all(set(r) == keys for r in records), "every log record has the same keys")


# ---- tests on scenarios/faults.json ---------------------------------------------------------

def t_reset_and_5xx_retried(fx):
    out = fx.client("kms").describe_key(KeyId="k-1")
    check(out["KeyMetadata"]["KeyState"] == "Disabled", out)
    seen = [(r["attempt"], r["status"], r["error"]) for r in fx.log("kms", "DescribeKey")]
    check(seen == [(1, "reset", None), (2, 500, "KMSInternalException"), (3, 200, None)], seen)


def t_malformed_and_denied(fx):
    kms = fx.client("kms")
    out = kms.get_key_policy(KeyId="k-1", PolicyName="default")
    check("Policy" not in out, f"malformed JSON parsed as {out}")
    code, status, e = error_of(lambda: kms.get_key_policy(KeyId="k-denied", PolicyName="default"))
    check((code, status) == ("AccessDeniedException", 400), code)
    check(re.search(r"not authorized to perform: (kms:[A-Za-z*]+) on resource: (arn:[^ ]+)",
                    e.response["Error"]["Message"]), e)
    ec2 = fx.client("ec2", retries={"total_max_attempts": 1})
    try:
        ec2.describe_flow_logs(Filters=[{"Name": "log-destination-type", "Values": ["s3"]}])
        raise AssertionError("malformed XML was accepted")
    except ResponseParserError:
        pass
    code, status, _ = error_of(lambda: ec2.describe_flow_logs())
    check((code, status) == ("UnauthorizedOperation", 403), (code, status))
    code, status, e = error_of(lambda: fx.client("sts").assume_role(
        RoleArn="arn:aws:iam::111122223333:role/lc-reader", RoleSessionName="lc"))
    check((code, status) == ("AccessDenied", 403) and "sts:AssumeRole" in str(e), (code, status))


def t_throttle_headers(fx):
    cfg = fx.client("config", retries={"total_max_attempts": 2, "mode": "standard"})
    code, status, e = error_of(lambda: cfg.describe_delivery_channel_status())
    check((code, status) == ("ThrottlingException", 400), code)
    check(e.response["ResponseMetadata"]["HTTPHeaders"].get("retry-after") == "3", "Retry-After")
    attempts = [r["attempt"] for r in fx.log("config", "DescribeDeliveryChannelStatus")]
    check(attempts == [1, 2], attempts)


def t_delay(fx):
    ct = fx.client("cloudtrail", read_timeout=0.5, retries={"total_max_attempts": 1})
    try:
        ct.get_trail_status(Name="t")
        raise AssertionError("a 1.5 s delay did not time out a 0.5 s read")
    except ReadTimeoutError:
        pass
    start = time.monotonic()
    check(fx.client("cloudtrail").get_trail_status(Name="t")["IsLogging"], "delayed answer")
    check(time.monotonic() - start >= 1.4, "delay honoured")


def t_expired_credentials(fx):
    old = dict(key="ASIALOGCANARYOLD001", secret="lc-old-secret", token="lc-old-token")
    code, _, _ = error_of(lambda: fx.client("kms", **old).describe_key(KeyId="k"))
    check(code == "ExpiredTokenException", code)
    code, _, _ = error_of(lambda: fx.client("sts", **old).get_caller_identity())
    check(code == "ExpiredToken", code)


def t_imds_error_then_default(fx):
    base = fx.url + "/latest"
    _, token = http_req(base + "/api/token", "PUT", {"X-aws-ec2-metadata-token-ttl-seconds": "60"})
    url = base + "/meta-data/iam/security-credentials/logcanary-instance"
    hdr = {"X-aws-ec2-metadata-token": token}
    check(http_req(url, headers=hdr)[0] == 500, "scripted 500 first")
    status, body = http_req(url, headers=hdr)
    check(status == 200 and json.loads(body)["AccessKeyId"] == "ASIALOGCANARYIMDS01", body)


# ---- tests on S3_SCENARIO -------------------------------------------------------------------

S3_SCENARIO = {
    "region": "us-east-1",
    "credentials": {AK: {"secret": SK}},
    "s3": {"buckets": {
        "lc-eu-bucket": {"region": "eu-west-1", "redirect": "301",
                         "objects": {"logs/a b+c.txt": "hello", "logs/z.txt": "zz"}},
        "lc-eu-400": {"region": "eu-west-1", "redirect": "400", "objects": {"logs/a.txt": "hi"}},
        "lc-us-bucket": {"region": "us-east-1", "objects": {"k": "v", "k2": "w"}},
        "lc-moving": {"region": ["eu-west-1", "ap-south-1"], "objects": {"k": "v"}},
    }},
}


def s3_trail(fx, bucket):
    """(signed-for region, status) of every S3 request for a bucket, in order."""
    return [(r["region"], r["status"]) for r in fx.log("s3") if r["params"]["Bucket"] == bucket]


def t_s3_redirects(fx):
    """botocore follows both wrong-region answers itself and ends up signing for eu-west-1."""
    s3 = fx.client("s3")
    for bucket, key, body, status in (("lc-eu-bucket", "logs/a b+c.txt", b"hello", 301),
                                      ("lc-eu-400", "logs/a.txt", b"hi", 400)):
        out = s3.get_object(Bucket=bucket, Key=key)
        check(out["Body"].read() == body, out)
        check(s3_trail(fx, bucket) == [("us-east-1", status), ("eu-west-1", 200)],
              s3_trail(fx, bucket))
        # A fresh client: HEAD (no body, region from the header) and the listing redirect too.
        s3 = fx.client("s3")
        check(s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(body), "head")
        check(s3_trail(fx, bucket)[2:] == [("us-east-1", status), ("eu-west-1", 200)],
              s3_trail(fx, bucket))
        s3 = fx.client("s3")
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="logs/")["Contents"]]
        check(keys == sorted(fx.scenario["s3"]["buckets"][bucket]["objects"]), keys)
        rec = fx.log("s3", "ListObjectsV2")[-1]
        check(rec["region"] == "eu-west-1" and rec["sig_ok"] and rec["status"] == 200, rec)
    rec = fx.log("s3", "GetObject")[0]
    check(rec["error"] == "PermanentRedirect" and rec["auth"] == "ok", rec)


def t_s3_moving_bucket(fx):
    """A bucket that answers a second redirect is not followed again."""
    code, status, e = error_of(lambda: fx.client("s3").get_object(Bucket="lc-moving", Key="k"))
    check((code, status) == ("PermanentRedirect", 301), (code, status))
    check(e.response["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "ap-south-1", e)
    check(s3_trail(fx, "lc-moving") == [("us-east-1", 301), ("eu-west-1", 301)],
          s3_trail(fx, "lc-moving"))


def t_s3_serving_and_errors(fx):
    s3 = fx.client("s3")
    check(s3.get_object(Bucket="lc-us-bucket", Key="k")["Body"].read() == b"v", "same region")
    check(s3.head_bucket(Bucket="lc-us-bucket")["ResponseMetadata"]["HTTPHeaders"]
          ["x-amz-bucket-region"] == "us-east-1", "HeadBucket names the region")
    page = s3.list_objects_v2(Bucket="lc-us-bucket", MaxKeys=1)
    check([o["Key"] for o in page["Contents"]] == ["k"] and page["IsTruncated"], page)
    token = page["NextContinuationToken"]
    page = s3.list_objects_v2(Bucket="lc-us-bucket", ContinuationToken=token)
    check([o["Key"] for o in page["Contents"]] == ["k2"] and not page["IsTruncated"], page)
    code, status, _ = error_of(lambda: s3.get_object(Bucket="lc-us-bucket", Key="nope"))
    check((code, status) == ("NoSuchKey", 404), code)
    code, status, _ = error_of(lambda: s3.get_object(Bucket="lc-nowhere", Key="k"))
    check((code, status) == ("NoSuchBucket", 404), code)
    code, status, _ = error_of(lambda: fx.client("s3", secret="wrong").get_object(
        Bucket="lc-us-bucket", Key="k"))
    check((code, status) == ("SignatureDoesNotMatch", 403), code)
    rec = fx.log("s3")[-1]
    check(rec["auth"] == "signature" and rec["sig_ok"] is False, rec)
    code, status, _ = error_of(lambda: fx.client("s3", key="AKIAUNKNOWN").get_object(
        Bucket="lc-us-bucket", Key="k"))
    check((code, status) == ("InvalidAccessKeyId", 403), code)


def t_sigterm(fx):
    fx.proc.terminate()
    check(fx.proc.wait(timeout=10) is not None, "fixture exits on SIGTERM")


SUITES = [
    ("basic.json", [t_kms, t_throttle_retry, t_config, t_cloudtrail, t_ec2, t_sts,
                    t_web_identity_unsigned, t_bad_signatures, t_region_scope, t_service_scope,
                    t_query_get, t_imds, t_container, t_aws_cli, t_log_has_no_secrets]),
    ("faults.json", [t_reset_and_5xx_retried, t_malformed_and_denied, t_throttle_headers, t_delay,
                     t_expired_credentials, t_imds_error_then_default, t_sigterm]),
    (S3_SCENARIO, [t_s3_redirects, t_s3_moving_bucket, t_s3_serving_and_errors,
                   t_log_has_no_secrets]),
]


def main():
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        os.environ.pop(name, None)
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    results = lctest.Checks()
    for scenario, tests in SUITES:
        fx = Fixture(scenario)
        scenario = scenario if isinstance(scenario, str) else "s3 (inline)"
        try:
            for test in tests:
                start = time.monotonic()
                try:
                    test(fx)
                except Exception:  # report and carry on with the next test
                    results(f"{scenario} {test.__name__}", False)
                    traceback.print_exc(file=sys.stdout)
                else:
                    results(f"{scenario} {test.__name__} ({time.monotonic() - start:.1f}s)", True)
        finally:
            fx.stop()
    return results.summary()


if __name__ == "__main__":
    sys.exit(main())
