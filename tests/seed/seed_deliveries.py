#!/usr/bin/python3
"""Seed an S3 bucket with realistic AWS log deliveries (VPC Flow Logs, AWS Config, CloudTrail,
AWS WAF).

Key layouts, file names and formats follow probes/FACTS.md (each source's layout):

  flow logs   <p>/AWSLogs/<acct>/vpcflowlogs/<region>/YYYY/MM/DD/[HH/]
                <acct>_vpcflowlogs_<region>_<fl-id>_<YYYYMMDDTHHmmZ>_<8 hex>.log.gz
              (--hive: AWSLogs/aws-account-id=<acct>/aws-service=vpcflowlogs/aws-region=<region>/
               year=YYYY/month=MM/day=DD/[hour=HH/]); one file per 5 minutes per flow log, gzip
              text: the v2 header line, then records whose start/end lie in the file's window
              [T, T+5min) (the current doc: file "..._1620Z_..." holds ends 16:20:00-16:24:59).
              --parquet writes .log.parquet instead (see parquet_stub: NOT a complete Parquet file).
  Config      <p>/AWSLogs/<acct>/Config/<region>/YYYY/M/D/ConfigHistory/
                <acct>_Config_<region>_ConfigHistory_<Type>_<startTS>_<endTS>_<n>.json.gz
              every 6 h (one file per changed resource type), ConfigSnapshot/ files every
              --snapshot-hours, and <p>/AWSLogs/<acct>/Config/ConfigWritabilityCheckFile (0 bytes).
              Month and day are NOT zero-padded.
  CloudTrail  <p>/AWSLogs/[<o-id>/]<acct>/CloudTrail/<region>/YYYY/MM/DD/
                <acct>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 alnum>.json.gz
              every 5 minutes ({"Records":[...]}, events from the 5 minutes before the name's
              delivery time), and hourly digests under CloudTrail-Digest/ with
              x-amz-meta-signature metadata (a random hex string, not a real RSA signature).
  WAF         <p>/AWSLogs/<acct>/WAFLogs/<region>/<web-acl>/YYYY/MM/DD/HH/mm/
                <acct>_waflogs_<region>_<web-acl>_<YYYYMMDDTHHmmZ>_<8 hex>.log.gz
              (not in the default --sources: the bucket's name must start with aws-waf-logs-);
              one stream per --web-acls name, a file per 5-minute slot (mm = 00, 05, ...; the
              name's stamp is the same minute) written once the slot closed, gzip JSON Lines:
              one request per line, its "timestamp" in milliseconds inside [T, T+5min), mostly
              ALLOW by the default action, some BLOCK (a managed rule group, SQL injection, a
              rate-based rule), a few CAPTCHA / CHALLENGE and counted rules.

Times: every name and record is generated relative to --now (default: the current time) for the
window [now - --hours, now - --stop-before]. S3 sets LastModified to the upload time and no S3
request can set it, so a seeded "old" object still has a fresh LastModified: the names say how
old the delivery is, LastModified does not. (radosgw keeps a source mtime only when it copies
objects between zones in multisite sync, an internal path a single-zone test cluster cannot
use; nothing here fakes it.)

Damage (--corrupt, --truncate, --empty, --bad-line) applies to the newest object of each stream
(each flow log, each web ACL, ...), or of one source's streams with newest:SOURCE; --bad-line
replaces the middle record of a JSON Lines file (waf) with a line of text and names the line in
the summary. --bulk adds older objects beside the newest of the first flow-log, CloudTrail or WAF
stream, in its day partition (a web ACL's YYYY/MM/DD/ folder).

Output: a JSON summary on stdout (objects per stream, the newest key of each stream, speed).
Usage: seed_deliveries.py --help (examples at its end).
"""

import argparse
import datetime as dt
import gzip
import hashlib
import json
import os
import random
import re
import string
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

SOURCES = ("vpcflowlogs", "config", "cloudtrail", "waf")
DEFAULT_SOURCES = ("vpcflowlogs", "config", "cloudtrail")  # WAF needs a bucket of its own
DAMAGE = ("corrupt", "truncate", "empty", "bad-line")
V2_HEADER = ("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets "
             "bytes start end action log-status")
FIVE_MIN = 300
HOUR = 3600

CONFIG_TYPES = (
    "AWS::EC2::SecurityGroup", "AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::NetworkInterface",
    "AWS::S3::Bucket", "AWS::IAM::Role", "AWS::KMS::Key", "AWS::CloudTrail::Trail",
)

# (eventSource, eventName, readOnly) for management events
CT_EVENTS = (
    ("sts.amazonaws.com", "AssumeRole", True),
    ("ec2.amazonaws.com", "DescribeInstances", True),
    ("ec2.amazonaws.com", "DescribeFlowLogs", True),
    ("kms.amazonaws.com", "GenerateDataKey", True),
    ("kms.amazonaws.com", "Decrypt", True),
    ("s3.amazonaws.com", "GetBucketAcl", True),
    ("s3.amazonaws.com", "PutBucketPolicy", False),
    ("iam.amazonaws.com", "ListRoles", True),
    ("logs.amazonaws.com", "CreateLogStream", False),
    ("config.amazonaws.com", "PutEvaluations", False),
    ("cloudtrail.amazonaws.com", "LookupEvents", True),
)


# ---- helpers ------------------------------------------------------------------------------

def parse_duration(s):
    """'90s', '30m', '2h', '1d', '1h30m', '0s' -> seconds (the agent's duration syntax)."""
    m = re.fullmatch(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", s or "")
    if not s or not m:
        raise argparse.ArgumentTypeError(f"bad duration {s!r} (e.g. 30m, 2h, 1d, 1h30m)")
    d, h, mi, se = (int(x) if x else 0 for x in m.groups())
    return ((d * 24 + h) * 60 + mi) * 60 + se


def parse_now(s):
    t = dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    return int(t.timestamp())


def utc(ts):
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc)


def iso(ts, millis=None):
    s = utc(ts).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{s}.{millis:03d}Z" if millis is not None else s + "Z"


def gz(data):
    # mtime=0: identical content and seed give identical bytes
    return gzip.compress(data, compresslevel=6, mtime=0)


def join_key(prefix, rest):
    return f"{prefix}/{rest}" if prefix else rest


class Obj:
    """One object to write: the key, its bytes, the stream it belongs to and its time."""

    __slots__ = ("key", "body", "stream", "when", "meta", "kind")

    def __init__(self, key, body, stream, when, kind, meta=None):
        self.key, self.body, self.stream, self.when = key, body, stream, when
        self.kind, self.meta = kind, meta or {}


# ---- VPC Flow Logs --------------------------------------------------------------------------

def private_ip(rng):
    r = rng.random()
    if r < 0.6:
        return f"10.{rng.randrange(0, 4)}.{rng.randrange(0, 256)}.{rng.randrange(1, 255)}"
    if r < 0.9:
        return f"172.{rng.randrange(16, 32)}.{rng.randrange(0, 256)}.{rng.randrange(1, 255)}"
    return f"192.168.{rng.randrange(0, 256)}.{rng.randrange(1, 255)}"


def public_ip(rng):
    # AWS service ranges and documentation addresses
    first = rng.choice((52, 54, 3, 18, 203))
    if first == 203:
        return f"203.0.113.{rng.randrange(1, 255)}"
    return f"{first}.{rng.randrange(0, 256)}.{rng.randrange(0, 256)}.{rng.randrange(1, 255)}"


def flow_records(rng, acct, enis, t0, n):
    """n records whose start and end lie in [t0, t0 + 300)."""
    lines = [V2_HEADER]
    for i in range(n):
        eni = rng.choice(enis)
        end = t0 + rng.randrange(1, FIVE_MIN)
        start = max(t0, end - rng.randrange(0, 60))
        if rng.random() < 0.03:
            lines.append(f"2 {acct} {eni} - - - - - - - {start} {end} - NODATA")
            continue
        proto = rng.choices((6, 17, 1), weights=(80, 17, 3))[0]
        src = private_ip(rng)
        dst = private_ip(rng) if rng.random() < 0.7 else public_ip(rng)
        if proto == 1:
            sport = dport = 0
        else:
            sport = rng.randrange(32768, 61000)
            dport = rng.choice((443, 443, 443, 80, 22, 53, 3306, 5432, 123, 8080))
            if proto == 17 and dport not in (53, 123):
                dport = 53
            if rng.random() < 0.5:  # the reply direction
                src, dst, sport, dport = dst, src, dport, sport
        packets = rng.randrange(1, 200)
        nbytes = packets * rng.randrange(40, 1500)
        action = "REJECT" if rng.random() < 0.1 else "ACCEPT"
        lines.append(f"2 {acct} {eni} {src} {dst} {sport} {dport} {proto} {packets} {nbytes} "
                     f"{start} {end} {action} OK")
    return ("\n".join(lines) + "\n").encode()


def parquet_stub(rng, text):
    """A stand-in for a .log.parquet file: the 'PAR1' magic at both ends around opaque bytes and
    a 4-byte length. It is NOT a complete Parquet file (no valid Thrift footer); it serves
    probes that only check the magic."""
    payload = gzip.compress(text, mtime=0)  # flow log Parquet files use gzip column chunks
    footer = bytes(rng.randrange(256) for _ in range(32))
    return b"PAR1" + payload + footer + len(footer).to_bytes(4, "little") + b"PAR1"


def flowlog_dir(a, acct, region, ts):
    t = utc(ts)
    if a.hive:
        d = (f"AWSLogs/aws-account-id={acct}/aws-service=vpcflowlogs/aws-region={region}/"
             f"year={t:%Y}/month={t:%m}/day={t:%d}/")
        if a.per_hour:
            d += f"hour={t:%H}/"
    else:
        d = f"AWSLogs/{acct}/vpcflowlogs/{region}/{t:%Y}/{t:%m}/{t:%d}/"
        if a.per_hour:
            d += f"{t:%H}/"
    return join_key(a.prefix, d)


def flowlog_key(a, acct, region, flid, ts, rng):
    ext = "log.parquet" if a.parquet else "log.gz"
    name = (f"{acct}_vpcflowlogs_{region}_{flid}_{utc(ts):%Y%m%dT%H%MZ}_"
            f"{rng.getrandbits(32):08x}.{ext}")
    return flowlog_dir(a, acct, region, ts) + name


def flowlog_body(a, rng, acct, enis, ts, n=None):
    text = flow_records(rng, acct, enis, ts, a.records if n is None else n)
    return parquet_stub(rng, text) if a.parquet else gz(text)


def gen_flowlogs(a, rng, acct, region, start, cutoff):
    flid = f"fl-{rng.getrandbits(68):017x}"
    enis = [f"eni-{rng.getrandbits(68):017x}" for _ in range(4)]
    stream = f"vpcflowlogs/{acct}/{region}/{flid}"
    objs = []
    # a file named T holds the window [T, T+5min) and is written after the window closed
    t = (start + FIVE_MIN - 1) // FIVE_MIN * FIVE_MIN
    while t + FIVE_MIN <= cutoff:
        objs.append(Obj(flowlog_key(a, acct, region, flid, t, rng),
                        flowlog_body(a, rng, acct, enis, t), stream, t, "vpcflowlogs"))
        t += FIVE_MIN
    return stream, objs, (flid, enis)


# ---- AWS Config -----------------------------------------------------------------------------

def config_item(rng, acct, region, rtype, when):
    rid = {
        "AWS::EC2::SecurityGroup": "sg-", "AWS::EC2::VPC": "vpc-", "AWS::EC2::Subnet": "subnet-",
        "AWS::EC2::NetworkInterface": "eni-",
    }.get(rtype, "")
    rid = rid + f"{rng.getrandbits(68):017x}" if rid else f"res-{rng.getrandbits(40):010x}"
    svc = rtype.split("::")[1].lower()
    return {
        "relatedEvents": [],
        "relationships": [{"resourceId": f"vpc-{rng.getrandbits(68):017x}",
                           "resourceType": "AWS::EC2::VPC", "name": "Is contained in Vpc"}],
        "configuration": {"id": rid, "tags": [], "ownerId": acct,
                          "description": "managed by \"platform\" team"},
        "supplementaryConfiguration": {},
        "tags": {"Name": f"{svc}-{rng.randrange(100)}"},
        "configurationItemVersion": "1.3",
        "configurationItemCaptureTime": iso(when, rng.randrange(1000)),
        "configurationStateId": when * 1000 + rng.randrange(1000),
        "awsAccountId": acct,
        "configurationItemStatus": rng.choice(("OK", "OK", "ResourceDiscovered")),
        "resourceType": rtype,
        "resourceId": rid,
        "resourceName": rid,
        "ARN": f"arn:aws:{svc}:{region}:{acct}:{rid}",
        "awsRegion": region,
        "availabilityZone": "Not Applicable",
        "configurationItemMD5Hash": "",
        "resourceCreationTime": iso(when - 86400 * rng.randrange(1, 400)),
    }


def config_dir(a, acct, region, ts, kind):
    t = utc(ts)
    return join_key(a.prefix, f"AWSLogs/{acct}/Config/{region}/{t.year}/{t.month}/{t.day}/{kind}/")


def gen_config(a, rng, acct, region, start, cutoff):
    stream = f"config/{acct}/{region}"
    objs = []
    # deliveries at 00, 06, 12, 18 UTC plus a few minutes, each for the 6 h before it
    d = (start - 6 * HOUR) // (6 * HOUR) * (6 * HOUR)
    while d <= cutoff:
        when = d + rng.randrange(60, 900)
        d += 6 * HOUR
        if when < start or when > cutoff:
            continue
        for rtype in rng.sample(CONFIG_TYPES, rng.randrange(1, 4)):
            times = sorted(rng.randrange(when - 6 * HOUR, when - 30) for _ in range(rng.randrange(1, 5)))
            items = [config_item(rng, acct, region, rtype, t) for t in times]
            body = {"fileVersion": "1.0", "requestId": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "configurationItems": items}
            name = (f"{acct}_Config_{region}_ConfigHistory_{rtype}_{utc(times[0]):%Y%m%dT%H%M%SZ}_"
                    f"{utc(times[-1]):%Y%m%dT%H%M%SZ}_1.json.gz")
            objs.append(Obj(config_dir(a, acct, region, when, "ConfigHistory") + name,
                            gz(json.dumps(body, separators=(",", ":")).encode()), stream, when,
                            "config"))
    snaps = []
    sstream = f"config-snapshot/{acct}/{region}"
    step = a.snapshot_hours * HOUR
    s = (start + step - 1) // step * step
    while a.snapshot_hours and s <= cutoff:
        when = s + rng.randrange(60, 600)
        s += step
        if when > cutoff:
            break
        sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        items = [config_item(rng, acct, region, rt, when - rng.randrange(60, 86400))
                 for rt in CONFIG_TYPES]
        body = {"fileVersion": "1.0", "configSnapshotId": sid, "configurationItems": items}
        name = f"{acct}_Config_{region}_ConfigSnapshot_{utc(when):%Y%m%dT%H%M%SZ}_{sid}.json.gz"
        snaps.append(Obj(config_dir(a, acct, region, when, "ConfigSnapshot") + name,
                         gz(json.dumps(body, separators=(",", ":")).encode()), sstream, when,
                         "config-snapshot"))
    return stream, objs, sstream, snaps


# ---- CloudTrail -----------------------------------------------------------------------------

def ct_root(a, acct):
    org = f"{a.org_id}/" if a.org_id else ""
    return join_key(a.prefix, f"AWSLogs/{org}{acct}/")


def ct_event(rng, acct, region, when):
    src, name, ro = rng.choice(CT_EVENTS)
    kind = rng.choice(("AssumedRole", "AssumedRole", "IAMUser", "AWSService"))
    if kind == "AWSService":
        ident = {"type": "AWSService", "invokedBy": rng.choice(("config.amazonaws.com",
                                                                 "delivery.logs.amazonaws.com"))}
        ip = ident["invokedBy"]
        agent = ip
    else:
        role = rng.choice(("Admin", "ReadOnly", "logcanary-agent"))
        if kind == "IAMUser":
            ident = {"type": "IAMUser", "principalId": f"AIDA{rng.getrandbits(64):016X}",
                     "arn": f"arn:aws:iam::{acct}:user/{role.lower()}", "accountId": acct,
                     "accessKeyId": f"AKIA{rng.getrandbits(64):016X}", "userName": role.lower()}
        else:
            ident = {"type": "AssumedRole", "principalId": f"AROA{rng.getrandbits(64):016X}:s",
                     "arn": f"arn:aws:sts::{acct}:assumed-role/{role}/s", "accountId": acct,
                     "accessKeyId": f"ASIA{rng.getrandbits(64):016X}",
                     "sessionContext": {
                         "sessionIssuer": {"type": "Role", "arn": f"arn:aws:iam::{acct}:role/{role}",
                                           "accountId": acct, "userName": role},
                         "attributes": {"creationDate": iso(when - 1800),
                                        "mfaAuthenticated": "false"}}}
        ip = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        agent = rng.choice(("aws-cli/2.9.19 Python/3.11.2 Linux/6.1 exe/x86_64.debian.12",
                            "Boto3/1.26.27 Python/3.11.2 Botocore/1.29.27",
                            "logcanary/0.1.0"))
    return {
        "eventVersion": "1.09",
        "userIdentity": ident,
        "eventTime": iso(when),
        "eventSource": src,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": ip,
        "userAgent": agent,
        "requestParameters": {"maxResults": 50} if ro else {"bucketName": "org-central-logs"},
        "responseElements": None,
        "requestID": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "eventID": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "readOnly": ro,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": acct,
        "eventCategory": "Management",
        "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                       "clientProvidedHostHeader": f"{src.split('.')[0]}.{region}.amazonaws.com"},
    }


def alnum16(rng):
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(16))


def ct_key(a, acct, region, ts, rng):
    t = utc(ts)
    return (ct_root(a, acct) + f"CloudTrail/{region}/{t:%Y}/{t:%m}/{t:%d}/"
            f"{acct}_CloudTrail_{region}_{t:%Y%m%dT%H%MZ}_{alnum16(rng)}.json.gz")


def ct_body(a, rng, acct, region, ts, n=None):
    """The gzip JSON of a log file delivered at ts, and its (oldest, newest) event times."""
    times = [rng.randrange(ts - FIVE_MIN, ts) for _ in range(a.records if n is None else n)]
    events = [ct_event(rng, acct, region, t) for t in times]
    body = gz(json.dumps({"Records": events}, separators=(",", ":")).encode())
    return body, (min(times), max(times)) if times else (None, None)


def gen_cloudtrail(a, rng, acct, region, start, cutoff, home):
    stream = f"cloudtrail/{acct}/{region}"
    dstream = f"cloudtrail-digest/{acct}/{region}"
    objs, digests = [], []
    t = (start + FIVE_MIN - 1) // FIVE_MIN * FIVE_MIN
    while True:
        when = t + rng.randrange(0, 120)  # the name carries the delivery time
        t += FIVE_MIN
        if when > cutoff:
            break
        body, span = ct_body(a, rng, acct, region, when)
        objs.append(Obj(ct_key(a, acct, region, when, rng), body, stream, when, "cloudtrail",
                        {"event-span": span}))
    h = (start + HOUR - 1) // HOUR * HOUR
    while h + HOUR <= cutoff:
        end = h + HOUR
        files = [o for o in objs if h <= o.when < end]
        body = {
            "awsAccountId": acct, "digestStartTime": iso(h), "digestEndTime": iso(end),
            "digestS3Bucket": a.bucket,
            "digestS3Object": "", "digestPublicKeyFingerprint": f"{rng.getrandbits(128):032x}",
            "digestSignatureAlgorithm": "SHA256withRSA",
            "newestEventTime": iso(max(o.meta["event-span"][1] for o in files)) if files else None,
            "oldestEventTime": iso(min(o.meta["event-span"][0] for o in files)) if files else None,
            "previousDigestS3Bucket": a.bucket,
            "previousDigestHashValue": f"{rng.getrandbits(256):064x}",
            "previousDigestHashAlgorithm": "SHA-256", "previousDigestSignature": f"{rng.getrandbits(256):064x}",
            "logFiles": [{"s3Bucket": a.bucket, "s3Object": o.key,
                          "hashValue": hashlib.sha256(o.body).hexdigest(),
                          "hashAlgorithm": "SHA-256"} for o in files],
        }
        t = utc(end + rng.randrange(60, 900))
        key = (ct_root(a, acct) + f"CloudTrail-Digest/{region}/{t:%Y}/{t:%m}/{t:%d}/"
               f"{acct}_CloudTrail-Digest_{region}_{a.trail_name}_{home}_{t:%Y%m%dT%H%M%SZ}.json.gz")
        body["digestS3Object"] = key
        # random hex, not a real RSA signature
        meta = {"signature": f"{rng.getrandbits(1024):0256x}",
                "signature-algorithm": "SHA256withRSA"}
        if int(t.timestamp()) <= cutoff:
            digests.append(Obj(key, gz(json.dumps(body, separators=(",", ":")).encode()), dstream,
                               int(t.timestamp()), "cloudtrail-digest", meta))
        h += HOUR
    return stream, objs, dstream, digests


# ---- AWS WAF --------------------------------------------------------------------------------

# Web ACLs are regional here (ALB, API Gateway, AppSync); CloudFront's are global ones.
WAF_HOSTS = ("shop.example.com", "api.example.com", "www.example.net", "auth.example.org")
WAF_AGENTS = ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
              "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15",
              "curl/8.5.0", "python-requests/2.31.0", "okhttp/4.12.0", "Go-http-client/1.1")
WAF_COUNTRIES = ("JP", "JP", "JP", "US", "US", "DE", "SG", "KR", "BR", "NL", "IN", "FR")
WAF_URIS = ("/", "/cart", "/api/v1/orders", "/api/v1/items", "/login", "/static/app.js",
            "/healthz", "/search")
# What the core rule set blocks: (uri, rule)
WAF_PROBES = (("/static/..%2f..%2f..%2fetc/passwd", "GenericLFI_URIPATH"),
              ("/.env", "RestrictedExtensions_URIPATH"),
              ("/search?q=<script>alert(1)</script>", "CrossSiteScripting_QUERYARGUMENTS"))


def waf_acl(rng, acct, region, name):
    """A web ACL: its ARN and the resource it protects (httpSourceName, httpSourceId)."""
    arn = (f"arn:aws:wafv2:{region}:{acct}:regional/webacl/{name}/"
           f"{uuid.UUID(int=rng.getrandbits(128), version=4)}")
    kind = rng.choice(("ALB", "ALB", "APIGW", "APPSYNC"))
    if kind == "ALB":
        source = f"{acct}-app/{name.replace('_', '-')[:24]}-alb/{rng.getrandbits(64):016x}"
    elif kind == "APIGW":
        source = f"{acct}:{rng.getrandbits(40):010x}:prod"
    else:
        source = f"{acct}:{rng.getrandbits(104):026x}"
    return {"name": name, "arn": arn, "source_name": kind, "source_id": source}


def waf_record(rng, acl, when_ms):
    """One request as the web ACL logs it: mostly allowed by the default action, some blocked by
    a managed rule group, a geo rule or a rate-based rule, a few counted or challenged."""
    uri = rng.choice(WAF_URIS)
    args = rng.choice(("", "", "id=" + str(rng.randrange(1, 99999)), "q=shoes&page=2"))
    client = public_ip(rng) if rng.random() < 0.8 else f"198.51.100.{rng.randrange(1, 255)}"
    terminating = ("Default_Action", "REGULAR")
    action, match, labels, groups, rates = "ALLOW", [], [], [], []
    r = rng.random()
    if r < 0.08:
        action, terminating = "BLOCK", ("AWS-AWSManagedRulesCommonRuleSet", "MANAGED_RULE_GROUP")
        uri, rule = rng.choice(WAF_PROBES)
        uri, _, args = uri.partition("?")
        groups = [{"ruleGroupId": "AWS#AWSManagedRulesCommonRuleSet",
                   "terminatingRule": {"ruleId": rule, "action": "BLOCK", "ruleMatchDetails": None},
                   "nonTerminatingMatchingRules": [], "excludedRules": None}]
        labels = [{"name": f"awswaf:managed:aws:core-rule-set:{rule}"}]
    elif r < 0.11:
        action, terminating = "BLOCK", ("SQLiQueryArguments", "REGULAR")
        args = "id=1%20OR%201=1"
        match = [{"conditionType": "SQL_INJECTION", "location": "QUERY_STRING",
                  "matchedData": ["1", "OR", "1=1"]}]
    elif r < 0.13:
        action, terminating = "BLOCK", ("RateLimitPerIP", "RATE_BASED")
        rates = [{"rateBasedRuleId": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                  "rateBasedRuleName": "RateLimitPerIP", "limitKey": "IP",
                  "maxRateAllowed": 2000}]
    elif r < 0.14:
        action, terminating = "CAPTCHA", ("CaptchaLogin", "REGULAR")
        uri = "/login"
    elif r < 0.15:
        action, terminating = "CHALLENGE", ("ChallengeBots", "REGULAR")
    counted = []
    if rng.random() < 0.05:
        counted = [{"ruleId": "CountNonJP", "action": "COUNT", "ruleMatchDetails": []}]
        labels = labels + [{"name": "awswaf:clientip:geo:country:" + rng.choice(WAF_COUNTRIES)}]
    method = "POST" if uri in ("/login", "/api/v1/orders") and rng.random() < 0.7 else "GET"
    headers = [{"name": "Host", "value": rng.choice(WAF_HOSTS)},
               {"name": "User-Agent", "value": rng.choice(WAF_AGENTS)},
               {"name": "Accept", "value": "*/*"}]
    if method == "POST":
        headers.append({"name": "Content-Type", "value": "application/json"})
    if acl["source_name"] == "ALB":
        request_id = f"1-{when_ms // 1000:08x}-{rng.getrandbits(96):024x}"
    else:
        request_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return {
        "timestamp": when_ms,
        "formatVersion": 1,
        "webaclId": acl["arn"],
        "terminatingRuleId": terminating[0],
        "terminatingRuleType": terminating[1],
        "action": action,
        "terminatingRuleMatchDetails": match,
        "httpSourceName": acl["source_name"],
        "httpSourceId": acl["source_id"],
        "ruleGroupList": groups,
        "rateBasedRuleList": rates,
        "nonTerminatingMatchingRules": counted,
        "requestHeadersInserted": None,
        "responseCodeSent": None,
        "httpRequest": {
            "clientIp": client,
            "country": rng.choice(WAF_COUNTRIES),
            "headers": headers,
            "uri": uri,
            "args": args,
            "httpVersion": rng.choice(("HTTP/1.1", "HTTP/2.0")),
            "httpMethod": method,
            "requestId": request_id,
        },
        "labels": labels,
    }


def waf_body(rng, acl, ts, n):
    """The gzip JSON Lines of the file named ts: n requests from [ts, ts + 5 min), in time
    order."""
    times = sorted(ts * 1000 + rng.randrange(FIVE_MIN * 1000) for _ in range(n))
    lines = [json.dumps(waf_record(rng, acl, t), separators=(",", ":")) for t in times]
    return gz(("\n".join(lines) + "\n").encode())


def waf_key(a, acct, region, name, ts, rng):
    t = utc(ts)
    return join_key(a.prefix, f"AWSLogs/{acct}/WAFLogs/{region}/{name}/{t:%Y/%m/%d/%H/%M}/"
                              f"{acct}_waflogs_{region}_{name}_{t:%Y%m%dT%H%MZ}_"
                              f"{rng.getrandbits(32):08x}.log.gz")


def gen_waf(a, rng, acct, region, start, cutoff):
    """One stream per web ACL: a file per 5-minute slot [T, T+5min), written once it closed."""
    out = []
    for name in a.web_acls:
        acl = waf_acl(rng, acct, region, name)
        stream = f"waf/{acct}/{region}/{name}"
        objs = []
        t = (start + FIVE_MIN - 1) // FIVE_MIN * FIVE_MIN
        while t + FIVE_MIN <= cutoff:
            objs.append(Obj(waf_key(a, acct, region, name, t, rng),
                            waf_body(rng, acl, t, a.records), stream, t, "waf"))
            t += FIVE_MIN
        out.append((stream, objs, acl))
    return out


# ---- damage and bulk ------------------------------------------------------------------------

BAD_LINE = b"upstream connect error or disconnect/reset before headers. reset reason: overflow"


def damage(obj, how):
    """Damage obj's body; "bad-line" (JSON Lines files) returns the line it replaced."""
    if how == "bad-line":
        lines = gzip.decompress(obj.body).split(b"\n")
        n = max(1, (len(lines) - 1) // 2 + 1)  # the middle record (the last line is empty)
        lines[n - 1] = BAD_LINE
        obj.body = gz(b"\n".join(lines))
        return n
    if how == "empty":
        obj.body = b""
    elif how == "truncate":
        obj.body = obj.body[: len(obj.body) // 2]  # gzip without its end: no trailer
    elif obj.body[:4] == b"PAR1":
        obj.body = b"\0\0\0\0" + obj.body[4:]
    else:
        b = bytearray(obj.body)
        b[10] |= 0x06  # first deflate block header: BTYPE 11 is invalid
        obj.body = bytes(b)
    return None


def bulk_objects(a, rng, newest, info):
    """n older objects beside the stream's newest object, in the same day (or hour) partition,
    named before it; several per 5-minute slot, as busy flow logs (and web ACLs past WAF's file
    size limit) produce. A web ACL's day partition is its YYYY/MM/DD folder."""
    span = HOUR if a.per_hour and kind_is_flow(newest) else 86400
    part_start = newest.when - newest.when % span
    part_end = newest.when
    if part_end - part_start < FIVE_MIN:  # the newest opens its partition: use the one before
        part_start -= span
        part_end = part_start + span
    slots = (part_end - part_start) // FIVE_MIN
    objs, seen = [], set()
    acct, region, kind = info["acct"], info["region"], newest.kind
    while len(objs) < a.bulk:
        t = part_start + (len(objs) % slots) * FIVE_MIN
        # cheap bodies: 2 records
        if kind == "vpcflowlogs":
            key = flowlog_key(a, acct, region, info["flid"], t, rng)
            body = flowlog_body(a, rng, acct, info["enis"], t, 2)
        elif kind == "waf":
            key = waf_key(a, acct, region, info["acl"]["name"], t, rng)
            body = waf_body(rng, info["acl"], t, 2)
        else:
            key = ct_key(a, acct, region, t, rng)
            body = ct_body(a, rng, acct, region, t, 2)[0]
        if key in seen:
            continue
        seen.add(key)
        objs.append(Obj(key, body, newest.stream, t, kind))
    return objs


def kind_is_flow(obj):
    return obj.kind == "vpcflowlogs"


# ---- S3 -------------------------------------------------------------------------------------

class S3:
    def __init__(self, a):
        import botocore.config
        import botocore.session
        self.a = a
        self.local = threading.local()
        self.session = botocore.session.get_session()
        self.cfg = botocore.config.Config(
            s3={"addressing_style": "path"}, signature_version="s3v4",
            retries={"max_attempts": 5, "mode": "standard"},
            max_pool_connections=max(10, a.workers))

    def client(self):
        c = getattr(self.local, "c", None)
        if c is None:
            c = self.session.create_client(
                "s3", region_name=self.a.region, endpoint_url=self.a.endpoint,
                aws_access_key_id=self.a.access_key, aws_secret_access_key=self.a.secret_key,
                config=self.cfg)
            self.local.c = c
        return c

    def ensure_bucket(self):
        c = self.client()
        try:
            c.head_bucket(Bucket=self.a.bucket)
            return
        except c.exceptions.ClientError as e:
            if e.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
                raise
        kw = {"Bucket": self.a.bucket}
        if self.a.region != "us-east-1":
            kw["CreateBucketConfiguration"] = {"LocationConstraint": self.a.region}
        try:
            c.create_bucket(**kw)
        except c.exceptions.ClientError as e:
            code = e.response.get("Error", {}).get("Code")
            if code == "InvalidLocationConstraint":
                c.create_bucket(Bucket=self.a.bucket)  # radosgw's default zonegroup
            elif code not in ("BucketAlreadyOwnedByYou",):
                raise

    def put(self, obj):
        kw = {"Bucket": self.a.bucket, "Key": obj.key, "Body": obj.body}
        if self.a.kms_key_id:
            kw["ServerSideEncryption"] = "aws:kms"
            kw["SSEKMSKeyId"] = self.a.kms_key_id
        if self.a.acl:
            kw["ACL"] = self.a.acl
        if obj.meta and obj.kind == "cloudtrail-digest":
            kw["Metadata"] = obj.meta
        self.client().put_object(**kw)


def write_local(a, obj):
    path = os.path.join(a.out_dir, obj.key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(obj.body)


# ---- main -----------------------------------------------------------------------------------

def parse_args(argv):
    env = os.environ.get
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="""examples:
  %(prog)s --endpoint http://127.0.0.1:8000 --bucket logs --kms-key-id KEY --hours 48
  %(prog)s --bucket ct --prefix o-abcdefghij --org-id o-abcdefghij --sources cloudtrail,config
  %(prog)s --bucket stale --sources vpcflowlogs --stop-before 2h --corrupt newest
  %(prog)s --bucket big --sources vpcflowlogs --bulk 2500 --workers 16
  %(prog)s --bucket aws-waf-logs-central --sources waf --web-acls shop-prod --bad-line newest
  %(prog)s --bucket x --out-dir /tmp/deliveries   (write files locally, no S3)""")
    p.add_argument("--endpoint", default=env("LC_S3_ENDPOINT"), help="S3 endpoint URL")
    p.add_argument("--access-key", default=env("LC_S3_ACCESS_KEY") or env("AWS_ACCESS_KEY_ID"))
    p.add_argument("--secret-key", default=env("LC_S3_SECRET_KEY") or env("AWS_SECRET_ACCESS_KEY"))
    p.add_argument("--region", default=env("LC_S3_REGION") or "us-east-1",
                   help="region of the S3 client (and of the bucket when created)")
    p.add_argument("--bucket", required=True, help="created when missing")
    p.add_argument("--prefix", default="", help="folder before AWSLogs/ (e.g. a Control Tower o-id)")
    p.add_argument("--accounts", default="111122223333", help="comma-separated account ids")
    p.add_argument("--regions", default="us-east-1", help="comma-separated log regions")
    p.add_argument("--sources", default=",".join(DEFAULT_SOURCES),
                   help="vpcflowlogs,config,cloudtrail (the default), waf (a bucket named "
                        "aws-waf-logs-*)")
    p.add_argument("--web-acls", default="shop-prod,api_gateway_v2",
                   help="comma-separated web ACL names for waf (letters, digits, _ and -)")
    p.add_argument("--org-id", default="", help="CloudTrail organization layout AWSLogs/<o-id>/<acct>/")
    p.add_argument("--trail-name", default="management-events")
    p.add_argument("--hive", action="store_true", help="Hive-compatible flow log partitions")
    p.add_argument("--per-hour", action="store_true", help="hourly flow log partitions")
    p.add_argument("--parquet", action="store_true", help=".log.parquet flow log files")
    p.add_argument("--hours", type=float, default=2.0, help="hours of history before --now")
    p.add_argument("--now", type=parse_now, default=None, help="ISO-8601 time (default: now)")
    p.add_argument("--stop-before", type=parse_duration, default=0, metavar="DURATION",
                   help="no delivery newer than now - DURATION (a stale stream)")
    p.add_argument("--records", type=int, default=20,
                   help="records per flow log / CloudTrail / WAF file")
    p.add_argument("--snapshot-hours", type=int, default=12, help="Config snapshot period (0: none)")
    p.add_argument("--kms-key-id", default="", help="SSE-KMS key for every PUT")
    p.add_argument("--acl", default="", help="canned ACL, e.g. bucket-owner-full-control")
    for how in ("corrupt", "truncate", "empty"):
        p.add_argument(f"--{how}", default="", metavar="newest[:SOURCE]",
                       help=f"{how} the newest object of every stream (or of SOURCE's streams)")
    p.add_argument("--bad-line", default="", metavar="newest[:waf]",
                   help="replace the middle record of the newest object of every JSON Lines "
                        "stream (waf) with a line of text; gzip stays valid")
    p.add_argument("--bulk", type=int, default=0, metavar="N",
                   help="N extra older objects in the newest partition of the first stream")
    p.add_argument("--seed", type=int, default=None, help="random seed (deterministic output)")
    p.add_argument("--workers", type=int, default=8, help="parallel PUT threads")
    p.add_argument("--out-dir", default="", help="write the objects under this directory, no S3")
    p.add_argument("--dry-run", action="store_true", help="generate and summarize, write nothing")
    a = p.parse_args(argv)
    a.prefix = a.prefix.strip("/")
    a.accounts = [x for x in a.accounts.split(",") if x]
    a.regions = [x for x in a.regions.split(",") if x]
    a.sources = [x for x in a.sources.split(",") if x]
    a.web_acls = [x for x in a.web_acls.split(",") if x]
    for s in a.sources:
        if s not in SOURCES:
            p.error(f"unknown source {s!r}")
    if "waf" in a.sources:
        if not a.bucket.startswith("aws-waf-logs-"):
            p.error("waf: WAF logs only go to a bucket whose name starts with aws-waf-logs-")
        if not a.web_acls or len(set(a.web_acls)) != len(a.web_acls):
            p.error("--web-acls: one or more distinct names")
        for w in a.web_acls:
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,128}", w):
                p.error(f"bad web ACL name {w!r}")
    for acct in a.accounts:
        if not re.fullmatch(r"\d{12}", acct):
            p.error(f"bad account id {acct!r}")
    if a.org_id and not re.fullmatch(r"o-[a-z0-9]{10,32}", a.org_id):
        p.error(f"bad organization id {a.org_id!r}")
    for how in DAMAGE:
        v = getattr(a, how.replace("-", "_"))
        sources = "waf" if how == "bad-line" else "|".join(SOURCES)
        if v and not re.fullmatch(rf"newest(:({sources}))?", v):
            p.error(f"--{how}: expected newest or newest:SOURCE ({sources.replace('|', ', ')})")
    if not (a.dry_run or a.out_dir) and not (a.endpoint and a.access_key and a.secret_key):
        p.error("--endpoint, --access-key and --secret-key (or LC_S3_* / AWS_* env) are needed")
    if a.now is None:
        a.now = int(time.time())
    return a


def generate(a, rng):
    start = a.now - int(a.hours * HOUR)
    cutoff = a.now - a.stop_before
    streams = {}  # name -> list of Obj
    info = {}
    other = []
    home = a.regions[0]
    for acct in a.accounts:
        if "config" in a.sources:
            key = join_key(a.prefix, f"AWSLogs/{acct}/Config/ConfigWritabilityCheckFile")
            other.append(Obj(key, b"", f"config-check/{acct}", start, "config-check"))
        for region in a.regions:
            for src in a.sources:
                if src == "vpcflowlogs":
                    name, objs, (flid, enis) = gen_flowlogs(a, rng, acct, region, start, cutoff)
                    info[name] = {"acct": acct, "region": region, "flid": flid, "enis": enis}
                    streams[name] = objs
                elif src == "waf":
                    for name, objs, acl in gen_waf(a, rng, acct, region, start, cutoff):
                        info[name] = {"acct": acct, "region": region, "acl": acl}
                        streams[name] = objs
                elif src == "config":
                    name, objs, sname, snaps = gen_config(a, rng, acct, region, start, cutoff)
                    streams[name] = objs
                    streams[sname] = snaps
                else:
                    name, objs, dname, digests = gen_cloudtrail(a, rng, acct, region, start,
                                                                cutoff, home)
                    info[name] = {"acct": acct, "region": region}
                    streams[name] = objs
                    streams[dname] = digests
    damaged = []
    for how in DAMAGE:
        v = getattr(a, how.replace("-", "_"))
        if not v:
            continue
        only = v.split(":", 1)[1] if ":" in v else None
        for name, objs in streams.items():
            src = name.split("/", 1)[0]
            if src not in SOURCES or (only and src != only) or not objs:
                continue
            if how == "bad-line" and src != "waf":
                continue  # only JSON Lines files have records on lines of their own
            newest = max(objs, key=lambda o: (o.when, o.key))
            line = damage(newest, how)
            damaged.append({"key": newest.key, "damage": how, "stream": name})
            if line is not None:
                damaged[-1]["line"] = line
    bulk = None
    if a.bulk:
        first = next((n for n in streams if n.split("/", 1)[0] in ("vpcflowlogs", "cloudtrail",
                                                                    "waf") and streams[n]), None)
        if first is None:
            raise SystemExit("--bulk needs a vpcflowlogs, cloudtrail or waf stream with objects")
        newest = max(streams[first], key=lambda o: (o.when, o.key))
        extra = bulk_objects(a, rng, newest, info[first])
        streams[first] = extra + streams[first]
        # the partition: the folder of the files, a web ACL's day folder above HH/mm/
        depth = 3 if first.startswith("waf/") else 1
        bulk = {"stream": first, "objects": len(extra),
                "partition": extra[0].key.rsplit("/", depth)[0] + "/"}
    return streams, other, damaged, bulk


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    rng = random.Random(a.seed)
    streams, other, damaged, bulk = generate(a, rng)
    objs = other + [o for objs in streams.values() for o in objs]

    t0 = time.monotonic()
    if a.out_dir:
        for o in objs:
            write_local(a, o)
    elif not a.dry_run:
        s3 = S3(a)
        s3.ensure_bucket()
        with ThreadPoolExecutor(max_workers=max(1, a.workers)) as pool:
            for _ in pool.map(s3.put, objs):
                pass
    secs = time.monotonic() - t0

    summary = {
        "bucket": a.bucket,
        "now": iso(a.now),
        "window": [iso(a.now - int(a.hours * HOUR)), iso(a.now - a.stop_before)],
        "objects": len(objs),
        "bytes": sum(len(o.body) for o in objs),
        "seconds": round(secs, 3),
        "objects_per_second": round(len(objs) / secs, 1) if secs > 0 and not a.dry_run else None,
        "note": "LastModified is the upload time; file names carry the delivery times",
        "streams": {},
        "damaged": damaged,
        "bulk": bulk,
    }
    for name, sobjs in streams.items():
        newest = max(sobjs, key=lambda o: (o.when, o.key)) if sobjs else None
        summary["streams"][name] = {
            "objects": len(sobjs),
            "newest": newest.key if newest else None,
            "newest_time": iso(newest.when) if newest else None,
        }
    for o in other:
        summary["streams"].setdefault(o.stream, {"objects": 0, "newest": o.key,
                                                 "newest_time": None})["objects"] += 1
    json.dump(summary, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
