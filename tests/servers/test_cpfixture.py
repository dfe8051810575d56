#!/usr/bin/python3
"""Checks cpfixture.py with real clients: botocore (kms, ec2, config, cloudtrail, sts, s3,
organizations, controltower with the servers/models supplement), urllib for IMDSv2 and container
credentials, and /usr/bin/aws.
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
SESSION = lctest.botocore_session()


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


# ---- tests on ORG_SCENARIO (AWS Organizations) ----------------------------------------------

ROOT = "r-lc01"
OU_SECURITY, OU_WORKLOADS, OU_PROD, OU_SANDBOX, OU_DENIED = (
    "ou-lc01-security", "ou-lc01-workloads", "ou-lc01-prod0001", "ou-lc01-sandbox1",
    "ou-lc01-denied01")
MEMBER_PARENTS = [OU_WORKLOADS, OU_PROD, OU_SANDBOX, ROOT, OU_PROD, OU_DENIED]
MEMBER_STATUS = ["ACTIVE"] * 5 + ["SUSPENDED", "ACTIVE", "PENDING_CLOSURE"]


def org_accounts():
    """45 accounts: management, log archive and audit, then 42 members spread over the tree."""
    accounts = [
        {"Id": "111122223333", "Name": "management", "Email": "root@example.com",
         "JoinedMethod": "CREATED", "JoinedTimestamp": "2019-06-01T12:00:00Z", "parent": ROOT},
        {"Id": "222222222222", "Name": "log-archive", "Email": "log-archive@example.com",
         "JoinedTimestamp": 1560000000, "parent": OU_SECURITY},
        {"Id": "333333333333", "Name": "audit", "Email": "audit@example.com",
         "JoinedTimestamp": 1560000100, "parent": OU_SECURITY}]
    for i in range(42):
        accounts.append({"Id": str(210000000000 + 7919 * i), "Name": f"member-{i:02d}",
                         "Email": f"member-{i:02d}@example.com", "Status": MEMBER_STATUS[i % 8],
                         "JoinedMethod": "INVITED" if i % 5 == 0 else "CREATED",
                         "JoinedTimestamp": 1600000000 + 86400 * i,
                         "parent": MEMBER_PARENTS[i % len(MEMBER_PARENTS)]})
    return accounts


ORG_SCENARIO = {
    "region": "us-east-1",
    "account": "111122223333",
    "credentials": {AK: {"secret": SK}},
    "organizations": {
        "organization": {"Id": "o-lc0123456789", "MasterAccountId": "111122223333"},
        "root": {"Id": ROOT, "PolicyTypes": [{"Type": "SERVICE_CONTROL_POLICY",
                                              "Status": "ENABLED"}]},
        "ous": [{"Id": OU_SECURITY, "Name": "Security"},
                {"Id": OU_WORKLOADS, "Name": "Workloads"},
                {"Id": OU_PROD, "Name": "Prod", "parent": OU_WORKLOADS},
                {"Id": OU_SANDBOX, "Name": "Sandbox"},
                {"Id": OU_DENIED, "Name": "Denied", "parent": OU_WORKLOADS}],
        "accounts": org_accounts()},
    "operations": {
        "organizations.DescribeOrganization": {"respond": [
            {"error": "AWSOrganizationsNotInUseException",
             "message": "Your account is not a member of an organization."},
            {"error": "AccessDeniedException",
             "message": "You don't have permissions to access this resource."},
            {"default": True}]},
        "organizations.ListAccountsForParent": [
            {"match": {"ParentId": OU_DENIED},
             "respond": {"error": "AccessDeniedException",
                         "message": "You don't have permissions to access this resource."}}],
        "organizations.ListRoots": {"respond": [
            {"error": "TooManyRequestsException", "message": "Rate exceeded",
             "fields": {"Type": "HANDSHAKE_RATE_LIMIT"}}, {"default": True}]},
    },
}


def org_client(fx, **kw):
    return fx.client("organizations", retries={"total_max_attempts": 1}, **kw)


def org_error(call, code, reason=None):
    """call fails with code (an exception class of the model), Reason reason: the error."""
    got, status, e = error_of(call)
    check((got, status) == (code, 400), f"{got} {status}, wanted {code}")
    check(reason is None or e.response.get("Reason") == reason,
          f"Reason {e.response.get('Reason')}, wanted {reason}")
    return e


def expected_accounts(fx):
    """The scenario's accounts as ListAccounts parses them (defaults filled, no parent)."""
    out = []
    for a in fx.scenario["organizations"]["accounts"]:
        a = {k: v for k, v in a.items() if k != "parent"}
        a.setdefault("Status", "ACTIVE")
        a.setdefault("JoinedMethod", "CREATED")
        a["Arn"] = f"arn:aws:organizations::111122223333:account/o-lc0123456789/{a['Id']}"
        out.append(a)
    return out


def raw_json(fx, target, body, region="us-east-1", service="organizations", host=None):
    """A signed JSON 1.1 request by hand: (status, parsed body)."""
    url = f"http://{host or '127.0.0.1'}:{fx.port}/"
    hdrs = signed_headers(url, body, AK, SK, region, service,
                          {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target})
    status, data = post(fx, hdrs, body)
    return status, json.loads(data)


def t_org_list_accounts(fx):
    org = org_client(fx)
    want = expected_accounts(fx)
    check(len(want) == 45, len(want))
    pages = list(org.get_paginator("list_accounts").paginate())
    check([len(p["Accounts"]) for p in pages] == [20, 20, 5], [len(p["Accounts"]) for p in pages])
    got = [a for p in pages for a in p["Accounts"]]
    check([a["Id"] for a in got] == [a["Id"] for a in want], "every account once, in order")
    check(same(got, want), f"accounts parsed: {got[:2]}")
    check(got[0]["JoinedTimestamp"].timestamp() == 1559390400, got[0]["JoinedTimestamp"])
    recs = fx.log("organizations", "ListAccounts")
    check([("NextToken" in r["params"], r["region"], r["sig_ok"]) for r in recs] ==
          [(False, "us-east-1", True), (True, "us-east-1", True), (True, "us-east-1", True)],
          recs)
    pages = list(org.get_paginator("list_accounts").paginate(PaginationConfig={"PageSize": 7}))
    check([len(p["Accounts"]) for p in pages] == [7] * 6 + [3], [len(p["Accounts"]) for p in pages])
    check([a["Id"] for p in pages for a in p["Accounts"]] == [a["Id"] for a in want],
          "MaxResults 7")
    # The wire form: epoch seconds as a JSON number, the members the model names.
    status, body = raw_json(fx, "AWSOrganizationsV20161128.ListAccounts", b'{"MaxResults": 1}')
    acct = body["Accounts"][0]
    check(status == 200 and isinstance(acct["JoinedTimestamp"], (int, float)) and
          acct["JoinedTimestamp"] == 1559390400 and set(body) == {"Accounts", "NextToken"}, body)
    check(set(acct) == {"Id", "Arn", "Email", "Name", "Status", "JoinedMethod",
                        "JoinedTimestamp"}, acct)


def t_org_tree(fx):
    """The tree walked from ListRoots with ListChildren, and ListAccountsForParent per parent
    in pages of 2, give every account once, under the parent the scenario put it."""
    org = org_client(fx)
    error_of(lambda: org.list_roots())  # the scripted TooManyRequestsException (see t_org_rules)
    roots = org.list_roots()["Roots"]
    check(len(roots) == 1 and roots[0]["Id"] == ROOT and roots[0]["Name"] == "Root" and
          roots[0]["Arn"] == f"arn:aws:organizations::111122223333:root/o-lc0123456789/{ROOT}" and
          roots[0]["PolicyTypes"][0]["Type"] == "SERVICE_CONTROL_POLICY", roots)
    seen, ous = {}, {}
    todo = [ROOT]
    while todo:
        parent = todo.pop(0)
        kids = [c for p in org.get_paginator("list_children").paginate(
                    ParentId=parent, ChildType="ORGANIZATIONAL_UNIT") for c in p["Children"]]
        check(all(c["Type"] == "ORGANIZATIONAL_UNIT" for c in kids), kids)
        ous[parent] = [c["Id"] for c in kids]
        todo += ous[parent]
        accts = [c for p in org.get_paginator("list_children").paginate(
                     ParentId=parent, ChildType="ACCOUNT") for c in p["Children"]]
        check(all(c["Type"] == "ACCOUNT" for c in accts), accts)
        if parent == OU_DENIED:
            code, _, _ = error_of(lambda: org.list_accounts_for_parent(ParentId=parent))
            check(code == "AccessDeniedException", code)
        else:
            pages = list(org.get_paginator("list_accounts_for_parent").paginate(
                ParentId=parent, PaginationConfig={"PageSize": 2}))
            check(all(len(p["Accounts"]) <= 2 for p in pages), "pages of 2")
            listed = [a["Id"] for p in pages for a in p["Accounts"]]
            check(listed == [c["Id"] for c in accts], f"{parent}: {listed} vs {accts}")
        for c in accts:
            check(c["Id"] not in seen, f"{c['Id']} twice")
            seen[c["Id"]] = parent
    check(ous == {ROOT: [OU_SECURITY, OU_WORKLOADS, OU_SANDBOX], OU_SECURITY: [],
                  OU_WORKLOADS: [OU_PROD, OU_DENIED], OU_PROD: [], OU_SANDBOX: [],
                  OU_DENIED: []}, ous)
    want = {a["Id"]: a["parent"] for a in fx.scenario["organizations"]["accounts"]}
    check(seen == want, "every account once, under its parent")


def t_org_errors(fx):
    org = org_client(fx)
    e = org_error(lambda: org.list_accounts(NextToken="not-a-token"), "InvalidInputException",
                  "INVALID_NEXT_TOKEN")
    check(isinstance(e, org.exceptions.InvalidInputException), type(e))
    # A token continues only the listing it came from.
    token = org.list_accounts(MaxResults=1)["NextToken"]
    check(org.list_accounts(NextToken=token)["Accounts"][0]["Id"] == "222222222222", "token")
    org_error(lambda: org.list_accounts_for_parent(ParentId=OU_SECURITY, NextToken=token),
              "InvalidInputException", "INVALID_NEXT_TOKEN")
    token = org.list_children(ParentId=ROOT, ChildType="ORGANIZATIONAL_UNIT",
                              MaxResults=1)["NextToken"]
    org_error(lambda: org.list_children(ParentId=ROOT, ChildType="ACCOUNT", NextToken=token),
              "InvalidInputException", "INVALID_NEXT_TOKEN")
    org_error(lambda: org.list_children(ParentId=OU_WORKLOADS, ChildType="ORGANIZATIONAL_UNIT",
                                        NextToken=token), "InvalidInputException",
              "INVALID_NEXT_TOKEN")
    org_error(lambda: org.list_accounts(MaxResults=21), "InvalidInputException",
              "MAX_VALUE_EXCEEDED")
    org_error(lambda: org.list_children(ParentId=ROOT, ChildType="POLICY"),
              "InvalidInputException", "INVALID_ENUM")
    org_error(lambda: org.list_children(ParentId="x-123", ChildType="ACCOUNT"),
              "InvalidInputException", "INVALID_PATTERN")
    e = org_error(lambda: org.list_children(ParentId="ou-zzzz-zzzzzzzz", ChildType="ACCOUNT"),
                  "ParentNotFoundException")
    check(isinstance(e, org.exceptions.ParentNotFoundException), type(e))
    org_error(lambda: org.list_accounts_for_parent(ParentId="r-zzzz"), "ParentNotFoundException")
    # The error body as Organizations sends it: __type, Message (the model's spelling), Reason.
    status, body = raw_json(fx, "AWSOrganizationsV20161128.ListAccounts", b'{"NextToken": "x"}')
    check(status == 400 and set(body) == {"__type", "Message", "Reason"} and
          body["__type"] == "InvalidInputException", body)


def t_org_rules(fx):
    """Failures are rules; a rule's {"default": true} step hands over to the built-in answer."""
    org = org_client(fx)
    for want in ("AWSOrganizationsNotInUseException", "AccessDeniedException"):
        code, status, e = error_of(lambda: org.describe_organization())
        check((code, status) == (want, 400) and
              isinstance(e, getattr(org.exceptions, want)), (code, status, type(e)))
    got = org.describe_organization()["Organization"]
    check(got == {"Id": "o-lc0123456789", "FeatureSet": "ALL", "MasterAccountId": "111122223333",
                  "Arn": "arn:aws:organizations::111122223333:organization/o-lc0123456789",
                  "MasterAccountArn": "arn:aws:organizations::111122223333:account/"
                                      "o-lc0123456789/111122223333",
                  "MasterAccountEmail": "root@example.com",
                  "AvailablePolicyTypes": [{"Type": "SERVICE_CONTROL_POLICY",
                                            "Status": "ENABLED"}]}, got)
    recs = fx.log("organizations", "DescribeOrganization")
    check([(r["rule"], r["attempt"], r["error"]) for r in recs] ==
          [(0, 1, "AWSOrganizationsNotInUseException"), (0, 2, "AccessDeniedException"),
           (0, 3, None)], recs)
    recs = fx.log("organizations", "ListRoots")
    check([(r["attempt"], r["error"]) for r in recs][:2] ==
          [(1, "TooManyRequestsException"), (2, None)], recs)


def t_org_signing(fx):
    org = org_client(fx, region="eu-west-1")
    code, status, e = error_of(lambda: org.list_roots())
    check((code, status) == ("InvalidSignatureException", 400) and
          "scoped to a valid region, not 'eu-west-1'" in str(e), e)
    rec = fx.log("organizations")[-1]
    check(rec["auth"] == "scope" and rec["region"] == "us-east-1" and rec["sig_ok"] is False, rec)
    code, _, _ = error_of(lambda: org_client(fx, secret="wrong").list_accounts())
    check(code == "InvalidSignatureException", code)
    check(fx.log("organizations")[-1]["auth"] == "signature", fx.log("organizations")[-1])
    code, _, _ = error_of(lambda: org_client(fx, key="AKIAUNKNOWN").list_accounts())
    check(code == "UnrecognizedClientException", code)
    # Signed for another service: refused.
    status, body = raw_json(fx, "AWSOrganizationsV20161128.ListAccounts", b"{}", service="sts")
    check(status == 400 and "scoped to correct service" in body["message"], body)
    # Whatever regional Host names, the signature is for us-east-1.
    for host in ("organizations.us-east-1.amazonaws.com", "organizations.eu-west-1.amazonaws.com"):
        status, body = raw_json(fx, "AWSOrganizationsV20161128.ListAccounts", b"{}", host=host)
        check(status == 200 and len(body["Accounts"]) == 20, (host, status))
        status, body = raw_json(fx, "AWSOrganizationsV20161128.ListAccounts", b"{}", host=host,
                                region="eu-west-1")
        check(status == 400 and body["__type"] == "InvalidSignatureException", (host, body))


def t_org_aws_cli(fx):
    """The aws CLI pages through all 45 accounts itself."""
    with tempfile.TemporaryDirectory() as home:
        env = {"PATH": "/usr/bin:/bin", "HOME": home, "AWS_ACCESS_KEY_ID": AK,
               "AWS_SECRET_ACCESS_KEY": SK, "AWS_DEFAULT_REGION": "us-east-1", "AWS_PAGER": "",
               "AWS_EC2_METADATA_DISABLED": "true"}
        out = subprocess.run(["/usr/bin/aws", "organizations", "list-accounts", "--endpoint-url",
                              fx.url, "--output", "json"],
                             env=env, capture_output=True, text=True, timeout=60)
        check(out.returncode == 0, out.stderr)
        ids = [a["Id"] for a in json.loads(out.stdout)["Accounts"]]
        check(ids == [a["Id"] for a in fx.scenario["organizations"]["accounts"]], ids)


# ---- tests on CT_SCENARIO (AWS Control Tower, REST-JSON) ------------------------------------

LZ_ARN = "arn:aws:controltower:{}:111122223333:landingzone/{}"
LZ_33 = LZ_ARN.format("us-east-1", "1A2B3C4D5E6F7G8H")
LZ_40_MIN = LZ_ARN.format("us-east-1", "9Z8Y7X6W5V4U3T2S")
LZ_40 = LZ_ARN.format("eu-west-1", "0K1L2M3N4O5P6Q7R")
LZ_DENIED = LZ_ARN.format("us-east-1", "DENIED0000000000")
LZ_BUSY = LZ_ARN.format("us-east-1", "BUSY000000000000")
KMS = "arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"

MANIFEST_33 = {
    "governedRegions": ["us-east-1", "eu-west-1"],
    "organizationStructure": {"security": {"name": "Security"}, "sandbox": {"name": "Sandbox"}},
    "centralizedLogging": {"accountId": "222222222222",
                           "configurations": {"loggingBucket": {"retentionDays": 365},
                                              "accessLoggingBucket": {"retentionDays": 3650},
                                              "kmsKeyArn": KMS},
                           "enabled": True},
    "securityRoles": {"accountId": "333333333333"},
    "accessManagement": {"enabled": True}}
MANIFEST_40 = {
    "governedRegions": ["eu-west-1", "eu-central-1"],
    "centralizedLogging": {"accountId": "222222222222", "enabled": True,
                           "configurations": {"loggingBucket": {"retentionDays": 90},
                                              "accessLoggingBucket": {"retentionDays": 90}}},
    "config": {"accountId": "222222222222", "enabled": False},
    "securityRoles": {"enabled": True, "accountId": "333333333333"},
    "accessManagement": {"enabled": False},
    "backup": {"enabled": False}}
# 4.0 with neither the CloudTrail nor the Config integration (only there to be a second page).
MANIFEST_40_MIN = {"centralizedLogging": {"enabled": False}, "config": {"enabled": False},
                   "securityRoles": {"enabled": False}, "accessManagement": {"enabled": False}}

CT_SCENARIO = {
    "region": "us-east-1",
    "credentials": {AK: {"secret": SK}},
    "controltower": {"landing_zones": [
        {"arn": LZ_33, "version": "3.3", "manifest": MANIFEST_33},
        {"arn": LZ_40_MIN, "version": "4.0", "manifest": MANIFEST_40_MIN},
        {"arn": LZ_40, "version": "4.0", "latestAvailableVersion": "4.0", "status": "PROCESSING",
         "driftStatus": {"status": "DRIFTED"}, "manifest": MANIFEST_40}]},
    "operations": {"controltower.GetLandingZone": [
        {"match": {"landingZoneIdentifier": LZ_DENIED},
         "respond": {"error": "AccessDeniedException",
                     "message": "User is not authorized to perform: controltower:GetLandingZone"}},
        {"match": {"landingZoneIdentifier": LZ_BUSY},
         "respond": [{"error": "ThrottlingException", "message": "Rate exceeded",
                      "headers": {"Retry-After": "1"}}, {"default": True}]}]},
}


def ct_client(fx, region="us-east-1", url=None, **kw):
    return fx.client("controltower", region=region, url=url,
                     retries={"total_max_attempts": 1}, **kw)


def raw_rest(fx, path, body, region="us-east-1", service="controltower", method="POST"):
    """A signed REST-JSON request by hand: (status, headers, body bytes)."""
    url = f"http://127.0.0.1:{fx.port}{path}"
    hdrs = signed_headers(url, body, AK, SK, region, service,
                          {"Content-Type": "application/json"}, method=method)
    conn = http.client.HTTPConnection("127.0.0.1", fx.port, timeout=10)
    conn.request(method, path, body=body, headers=hdrs)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data


def t_ct_landing_zones(fx):
    """Both regions, both manifest generations, through botocore's REST-JSON parser."""
    defaults = {"status": "ACTIVE", "driftStatus": {"status": "IN_SYNC"}}
    for region, url, zones in (("us-east-1", None, [LZ_33, LZ_40_MIN]),
                               ("eu-west-1", fx.url + "/eu-west-1", [LZ_40])):
        ct = ct_client(fx, region=region, url=url)
        pages = list(ct.get_paginator("list_landing_zones").paginate())
        check([[z["arn"] for z in p["landingZones"]] for p in pages] == [[z] for z in zones],
              pages)
        check(("nextToken" in pages[0]) == (len(zones) > 1), pages[0])
        for arn in zones:
            spec = next(z for z in fx.scenario["controltower"]["landing_zones"]
                        if z["arn"] == arn)
            want = dict(defaults, latestAvailableVersion=spec["version"])
            want.update(spec)
            got = ct.get_landing_zone(landingZoneIdentifier=arn)["landingZone"]
            check(got == want, f"{arn}: {got}")
        rec = fx.log("controltower", "GetLandingZone")[-1]
        check(rec["region"] == region and rec["sig_ok"] and rec["path"] ==
              ("/get-landingzone" if url is None else "/eu-west-1/get-landingzone") and
              rec["params"] == {"landingZoneIdentifier": zones[-1]}, rec)
    lz = ct_client(fx).get_landing_zone(landingZoneIdentifier=LZ_33)["landingZone"]
    check(lz["manifest"]["centralizedLogging"]["configurations"]["loggingBucket"]
          == {"retentionDays": 365} and "config" not in lz["manifest"], lz)
    lz = ct_client(fx, "eu-west-1", fx.url + "/eu-west-1").get_landing_zone(
        landingZoneIdentifier=LZ_40)["landingZone"]
    check("organizationStructure" not in lz["manifest"] and
          lz["manifest"]["config"]["enabled"] is False and lz["driftStatus"]["status"] == "DRIFTED",
          lz)
    status, hdrs, data = raw_rest(fx, "/list-landingzones", b"{}")
    check(status == 200 and hdrs["content-type"] == "application/json" and
          set(json.loads(data)) == {"landingZones", "nextToken"}, (status, hdrs, data))


def t_ct_errors(fx):
    ct = ct_client(fx)
    for ident in (LZ_ARN.format("us-east-1", "UNKNOWN000000000"), LZ_40):
        code, status, e = error_of(lambda: ct.get_landing_zone(landingZoneIdentifier=ident))
        check((code, status) == ("ResourceNotFoundException", 404) and
              isinstance(e, ct.exceptions.ResourceNotFoundException), (code, status, type(e)))
    code, status, e = error_of(lambda: ct.list_landing_zones(maxResults=5))
    check((code, status) == ("ValidationException", 400) and
          isinstance(e, ct.exceptions.ValidationException), (code, status))
    code, status, _ = error_of(lambda: ct.list_landing_zones(nextToken="not-a-token"))
    check((code, status) == ("ValidationException", 400), (code, status))
    token = ct.list_landing_zones()["nextToken"]
    code, _, _ = error_of(lambda: ct_client(fx, "eu-west-1", fx.url + "/eu-west-1")
                          .list_landing_zones(nextToken=token))
    check(code == "ValidationException", f"a us-east-1 token in eu-west-1: {code}")
    code, status, e = error_of(lambda: ct.get_landing_zone(landingZoneIdentifier=LZ_DENIED))
    check((code, status) == ("AccessDeniedException", 403) and
          isinstance(e, ct.exceptions.AccessDeniedException), (code, status))
    code, status, e = error_of(lambda: ct.get_landing_zone(landingZoneIdentifier=LZ_BUSY))
    check((code, status) == ("ThrottlingException", 429) and
          isinstance(e, ct.exceptions.ThrottlingException) and
          e.response["ResponseMetadata"]["HTTPHeaders"]["retry-after"] == "1", (code, status))
    code, status, _ = error_of(lambda: ct.get_landing_zone(landingZoneIdentifier=LZ_BUSY))
    check((code, status) == ("ResourceNotFoundException", 404), "then the built-in answer")
    # REST-JSON's error form on the wire: the code in a header, {"message"} in the body.
    status, hdrs, data = raw_rest(fx, "/get-landingzone", b'{"landingZoneIdentifier": "x"}')
    check(status == 404 and hdrs.get("x-amzn-errortype") == "ResourceNotFoundException" and
          list(json.loads(data)) == ["message"] and hdrs.get("x-amzn-requestid"),
          (status, hdrs, data))
    status, hdrs, data = raw_rest(fx, "/get-landingzone", b"{not json")
    check(status == 400 and hdrs.get("x-amzn-errortype") == "SerializationException", data)


def t_ct_signing(fx):
    code, status, _ = error_of(lambda: ct_client(fx, secret="wrong").list_landing_zones())
    check((code, status) == ("InvalidSignatureException", 403), (code, status))
    rec = fx.log("controltower")[-1]
    check(rec["auth"] == "signature" and rec["sig_ok"] is False, rec)
    code, status, e = error_of(lambda: ct_client(fx, region="eu-west-1").list_landing_zones())
    check((code, status) == ("InvalidSignatureException", 403) and
          "scoped to a valid region, not 'eu-west-1'" in str(e), e)
    code, status, _ = error_of(lambda: ct_client(fx, key="AKIAUNKNOWN").list_landing_zones())
    check((code, status) == ("UnrecognizedClientException", 403), (code, status))
    code, status, _ = error_of(lambda: ct_client(fx, signature_version=UNSIGNED)
                               .list_landing_zones())
    check((code, status) == ("MissingAuthenticationTokenException", 403), (code, status))
    status, hdrs, data = raw_rest(fx, "/list-landingzones", b"{}", service="config")
    check(status == 403 and hdrs.get("x-amzn-errortype") == "InvalidSignatureException" and
          b"scoped to correct service" in data, (status, data))


def t_ct_routing(fx):
    """Routes come from the model; a request signed for S3 on such a path is S3's."""
    status, _, _ = raw_rest(fx, "/list-landingzones", b"{}", method="GET")
    rec = fx.log()[-1]
    check(rec["service"] == "s3" and status != 200, (status, rec))
    code, status, _ = error_of(lambda: fx.client("s3").delete_objects(
        Bucket="list-landingzones", Delete={"Objects": [{"Key": "k"}]}))
    check((code, status) == ("NoSuchBucket", 404), (code, status))
    check(fx.log()[-1]["service"] == "s3", fx.log()[-1])
    status, _, data = raw_rest(fx, "/list-enabled-controls",
                               b'{"targetIdentifier": "arn:aws:organizations::1:ou/o-1/ou-1"}')
    rec = fx.log()[-1]
    check((rec["service"], rec["operation"], status) == ("controltower", "ListEnabledControls",
                                                        501), (rec, data))


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
    (ORG_SCENARIO, [t_org_list_accounts, t_org_tree, t_org_errors, t_org_rules, t_org_signing,
                    t_org_aws_cli, t_log_has_no_secrets]),
    (CT_SCENARIO, [t_ct_landing_zones, t_ct_errors, t_ct_signing, t_ct_routing,
                   t_log_has_no_secrets]),
]


INLINE = [S3_SCENARIO, ORG_SCENARIO, CT_SCENARIO]
INLINE_NAMES = ["s3 (inline)", "organizations (inline)", "controltower (inline)"]


def main():
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        os.environ.pop(name, None)
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    results = lctest.Checks()
    for scenario, tests in SUITES:
        fx = Fixture(scenario)
        scenario = scenario if isinstance(scenario, str) else \
            INLINE_NAMES[next(i for i, s in enumerate(INLINE) if s is scenario)]
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
