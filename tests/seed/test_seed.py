#!/usr/bin/python3
"""Self-test of seed_deliveries.py against the radosgw fixture (ctest integration.seed_layouts).

Seeds buckets through the seeder's command line and checks with botocore: every key against the
layout regexes of probes/FACTS.md, partitions against the names' timestamps,
gzip content and record times against each file's window, SSE-KMS on HEAD, digest metadata,
--hive/--per-hour/--parquet/--org-id/--prefix/--stop-before, the damage options, --bulk, and
--seed determinism; WAF (--sources waf in an aws-waf-logs-* bucket): the web ACL folders and
names, every record of every file against the documented fields, millisecond timestamps inside
the file's 5 minutes, --bad-line, and the names it refuses.
Prints "N passed, M failed"; exits 1 on any failure.
"""

import gzip
import json
import os
import re
import sys
import zlib
from datetime import datetime, timezone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import lctest  # noqa: E402

V2_HEADER = ("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets "
             "bytes start end action log-status")

ACCT = r"(?P<acct>\d{12})"
REG = r"(?P<region>[a-z]{2}(?:-gov)?-[a-z]+-\d)"
FLOW_NAME = (r"(?P=acct)_vpcflowlogs_(?P=region)_(?P<fl>fl-[0-9a-f]{8,17})_(?P<ts>\d{8}T\d{4}Z)_"
             r"[0-9a-f]{8}\.log\.(?P<ext>gz|parquet)")
LAYOUTS = {
    "flow": re.compile(rf"^(?P<p>(?:.+/)?)AWSLogs/{ACCT}/vpcflowlogs/{REG}/(?P<y>\d{{4}})/"
                       rf"(?P<m>\d{{2}})/(?P<d>\d{{2}})/(?:(?P<h>\d{{2}})/)?{FLOW_NAME}$"),
    "flow_hive": re.compile(rf"^(?P<p>(?:.+/)?)AWSLogs/aws-account-id={ACCT}/aws-service=vpcflowlogs/"
                            rf"aws-region={REG}/year=(?P<y>\d{{4}})/month=(?P<m>\d{{2}})/"
                            rf"day=(?P<d>\d{{2}})/(?:hour=(?P<h>\d{{2}})/)?{FLOW_NAME}$"),
    "config_history": re.compile(
        rf"^(?P<p>(?:.+/)?)AWSLogs/{ACCT}/Config/{REG}/(?P<y>\d{{4}})/(?P<m>[1-9]\d?)/"
        rf"(?P<d>[1-9]\d?)/ConfigHistory/(?P=acct)_Config_(?P=region)_ConfigHistory_"
        rf"(?P<type>AWS::[A-Za-z0-9]+::[A-Za-z0-9]+)_(?P<start>\d{{8}}T\d{{6}}Z)_"
        rf"(?P<end>\d{{8}}T\d{{6}}Z)_(?P<n>\d+)\.json\.gz$"),
    "config_snapshot": re.compile(
        rf"^(?P<p>(?:.+/)?)AWSLogs/{ACCT}/Config/{REG}/(?P<y>\d{{4}})/(?P<m>[1-9]\d?)/"
        rf"(?P<d>[1-9]\d?)/ConfigSnapshot/(?P=acct)_Config_(?P=region)_ConfigSnapshot_"
        rf"(?P<ts>\d{{8}}T\d{{6}}Z)_(?P<sid>[0-9a-f]{{8}}-[0-9a-f]{{4}}-4[0-9a-f]{{3}}-"
        rf"[89ab][0-9a-f]{{3}}-[0-9a-f]{{12}})\.json\.gz$"),
    "config_check": re.compile(rf"^(?P<p>(?:.+/)?)AWSLogs/{ACCT}/Config/ConfigWritabilityCheckFile$"),
    "cloudtrail": re.compile(
        rf"^(?P<p>(?:.+/)?)AWSLogs/(?:(?P<org>o-[a-z0-9]{{10,32}})/)?{ACCT}/CloudTrail/{REG}/"
        rf"(?P<y>\d{{4}})/(?P<m>\d{{2}})/(?P<d>\d{{2}})/(?P=acct)_CloudTrail_(?P=region)_"
        rf"(?P<ts>\d{{8}}T\d{{4}}Z)_[A-Za-z0-9]{{16}}\.json\.gz$"),
    "cloudtrail_digest": re.compile(
        rf"^(?P<p>(?:.+/)?)AWSLogs/(?:(?P<org>o-[a-z0-9]{{10,32}})/)?{ACCT}/CloudTrail-Digest/{REG}/"
        rf"(?P<y>\d{{4}})/(?P<m>\d{{2}})/(?P<d>\d{{2}})/(?P=acct)_CloudTrail-Digest_(?P=region)_"
        rf"(?P<trail>[A-Za-z0-9_.-]+)_(?P<home>[a-z]{{2}}-[a-z]+-\d)_(?P<ts>\d{{8}}T\d{{6}}Z)"
        rf"\.json\.gz$"),
    # the web ACL's folder is the one its file name carries (names may hold '_')
    "waf": re.compile(
        rf"^(?P<p>(?:.+/)?)AWSLogs/{ACCT}/WAFLogs/{REG}/(?P<acl>[A-Za-z0-9_-]{{1,128}})/"
        rf"(?P<y>\d{{4}})/(?P<m>\d{{2}})/(?P<d>\d{{2}})/(?P<h>\d{{2}})/(?P<mi>\d{{2}})/"
        rf"(?P=acct)_waflogs_(?P=region)_(?P=acl)_(?P<ts>\d{{8}}T\d{{4}}Z)_[0-9a-f]{{8}}"
        rf"\.log\.gz$"),
}

check = lctest.Checks(show_passes=False)  # thousands of checks: only failures are printed


def ts(s):
    fmt = {14: "%Y%m%dT%H%MZ", 16: "%Y%m%dT%H%M%SZ"}[len(s)]
    return int(datetime.strptime(s, fmt).replace(tzinfo=timezone.utc).timestamp())


def iso_ts(s):
    return int(datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp())


def classify(key):
    hits = [(n, m) for n, r in LAYOUTS.items() for m in [r.match(key)] if m]
    return hits[0] if len(hits) == 1 else (None, None)


ENV = lctest.radosgw_env()
S3 = lctest.s3_client()


def seed(*args, expect_ok=True):
    p = lctest.run_seeder(*args, timeout=240)
    if expect_ok and p.returncode != 0:
        print(p.stderr[-3000:])
    if not expect_ok:
        return p
    check(f"seeder exit 0 {' '.join(args)[:80]}", p.returncode == 0, p.stderr[-500:])
    return json.loads(p.stdout) if p.returncode == 0 else None


def list_keys(bucket, prefix=""):
    out = {}
    for page in S3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for o in page.get("Contents", []):
            out[o["Key"]] = o["Size"]
    return out


def get(bucket, key):
    return S3.get_object(Bucket=bucket, Key=key)["Body"].read()


BUCKET = f"seedtest-{os.getpid()}"
KMS = ENV.get("LC_KMS_KEY_1", "")


def test_layouts():
    """Default layouts, 2 accounts, 2 regions, 30 h across two day boundaries, SSE-KMS."""
    now = "2026-03-02T01:10:00Z"
    nowt = iso_ts(now)
    s = seed("--bucket", BUCKET, "--prefix", "std", "--now", now, "--hours", "30",
             "--accounts", "111122223333,444455556666", "--regions", "us-east-1,eu-west-1",
             "--records", "6", "--kms-key-id", KMS, "--seed", "11", "--workers", "16")
    if not s:
        return
    keys = list_keys(BUCKET, "std/")
    check("listing == summary count", len(keys) == s["objects"], f"{len(keys)} != {s['objects']}")
    print(f"seeded {s['objects']} objects in {s['seconds']} s: {s['objects_per_second']} objects/s",
          flush=True)
    counts, days, bad = {}, set(), []
    heads = {}
    for key, size in keys.items():
        name, m = classify(key)
        if not name:
            bad.append(key)
            continue
        counts[name] = counts.get(name, 0) + 1
        heads.setdefault(name, key)
        check("prefix std/", m.group("p") == "std/", key)
        if name in ("flow", "cloudtrail"):
            t = datetime.fromtimestamp(ts(m.group("ts")), timezone.utc)
            check("partition == name date", (m.group("y"), m.group("m"), m.group("d")) ==
                  (f"{t:%Y}", f"{t:%m}", f"{t:%d}"), key)
            check("name time in window", nowt - 30 * 3600 <= ts(m.group("ts")) <= nowt, key)
            days.add((name, m.group("d")))
        if name == "flow":
            check("flow ts on 5 min", ts(m.group("ts")) % 300 == 0, key)
            check("flow window closed by now", ts(m.group("ts")) + 300 <= nowt, key)
        if name == "config_history":
            check("history start <= end", m.group("start") <= m.group("end"), key)
            part = datetime(int(m.group("y")), int(m.group("m")), int(m.group("d")),
                            tzinfo=timezone.utc)
            check("history ends before its delivery day",
                  ts(m.group("end")) < part.timestamp() + 86400, key)
        if name == "config_check":
            check("ConfigWritabilityCheckFile is 0 bytes", size == 0, key)
        if name == "cloudtrail":
            check("no org segment by default", m.group("org") is None, key)
    check("every key matches exactly one layout", not bad, str(bad[:5]))
    for name in ("flow", "config_history", "config_snapshot", "config_check", "cloudtrail",
                 "cloudtrail_digest"):
        check(f"layout {name} present", counts.get(name, 0) > 0, str(counts))
    check("flow files: 4 streams x 12/h x 30 h", counts.get("flow") == 4 * 12 * 30, str(counts))
    check("CloudTrail digests hourly", 4 * 28 <= counts.get("cloudtrail_digest", 0) <= 4 * 30,
          str(counts))
    check("ConfigWritabilityCheckFile per account", counts.get("config_check") == 2, str(counts))
    check("flow day partitions 02/28, 03/01, 03/02",
          {d for n, d in days if n == "flow"} == {"28", "01", "02"}, str(days))
    check("Config month/day not padded", any("/Config/us-east-1/2026/3/1/" in k for k in keys))
    check("Config 2026/03 absent", not any("/Config/us-east-1/2026/03/" in k for k in keys))

    # SSE-KMS on HEAD, digest signature metadata
    for name, key in heads.items():
        h = S3.head_object(Bucket=BUCKET, Key=key)
        check(f"SSE aws:kms on {name}", h.get("ServerSideEncryption") == "aws:kms", str(h.get(
            "ServerSideEncryption")))
        check(f"SSE key id on {name}", KMS and KMS in (h.get("SSEKMSKeyId") or ""),
              str(h.get("SSEKMSKeyId")))
        if name == "cloudtrail_digest":
            md = h.get("Metadata", {})
            check("digest x-amz-meta-signature", re.fullmatch(r"[0-9a-f]{256}",
                                                              md.get("signature", "")), str(md))
            check("digest signature-algorithm", md.get("signature-algorithm") == "SHA256withRSA")

    # content of each stream's newest object
    for stream, info in s["streams"].items():
        key = info["newest"]
        check(f"newest of {stream} listed", key in keys, key)
        if key not in keys:
            continue
        name, m = classify(key)
        body = get(BUCKET, key)
        if name == "config_check":
            continue
        data = gzip.decompress(body)
        if name == "flow":
            t0 = ts(m.group("ts"))
            lines = data.decode().splitlines()
            check("flow header v2", lines[0] == V2_HEADER, lines[0])
            check("flow records", len(lines) == 7, str(len(lines)))
            for ln in lines[1:]:
                f = ln.split(" ")
                ok = (len(f) == 14 and f[0] == "2" and f[1] == m.group("acct") and
                      t0 <= int(f[10]) <= int(f[11]) < t0 + 300 and
                      f[13] in ("OK", "NODATA") and
                      (f[12] in ("ACCEPT", "REJECT") and f[7] in ("6", "17", "1") or
                       f[12] == "-" and f[13] == "NODATA"))
                check("flow record plausible, start/end in the file window", ok, ln)
        elif name == "cloudtrail" or name == "cloudtrail_digest":
            doc = json.loads(data)
            if name == "cloudtrail":
                t0 = ts(m.group("ts"))
                check("CloudTrail Records", len(doc.get("Records", [])) == 6)
                for r in doc["Records"]:
                    check("event fields", all(k in r for k in (
                        "eventVersion", "userIdentity", "eventTime", "eventSource", "eventName",
                        "awsRegion", "sourceIPAddress", "requestID", "eventID", "eventType")), r)
                    et = iso_ts(r["eventTime"])
                    check("eventTime before the delivery", t0 - 300 <= et <= t0 + 59, r["eventTime"])
                    check("awsRegion", r["awsRegion"] == m.group("region"))
            else:
                check("digest logFiles", isinstance(doc.get("logFiles"), list) and
                      doc.get("digestS3Object") == key, str(doc)[:200])
        else:
            doc = json.loads(data)
            check("Config fileVersion", doc.get("fileVersion") == "1.0")
            items = doc.get("configurationItems")
            check("Config items", isinstance(items, list) and items, str(doc)[:200])
            if name == "config_history":
                check("history has requestId", "requestId" in doc)
                lo, hi = ts(m.group("start")), ts(m.group("end"))
                for it in items:
                    ct = iso_ts(it["configurationItemCaptureTime"])
                    check("capture time within the name's range", lo <= ct <= hi + 1,
                          it["configurationItemCaptureTime"])
                    check("resourceType matches the name", it["resourceType"] == m.group("type"))
            else:
                check("snapshot id matches the name", doc.get("configSnapshotId") == m.group("sid"))


def test_variants():
    """--prefix o-id --org-id (Control Tower), --hive --per-hour --parquet, --stop-before."""
    now = "2026-11-22T08:02:00Z"
    nowt = iso_ts(now)
    org = "o-abcdefghij"
    s = seed("--bucket", BUCKET, "--prefix", org, "--org-id", org, "--hive", "--per-hour",
             "--parquet", "--now", now, "--hours", "3", "--stop-before", "1h", "--records", "3",
             "--seed", "12", "--kms-key-id", KMS)
    if not s:
        return
    keys = list_keys(BUCKET, org + "/")
    check("variants: listing == summary", len(keys) == s["objects"])
    counts, newest_flow, newest_ct = {}, 0, 0
    for key in keys:
        name, m = classify(key)
        check("variant key matches one layout", name is not None, key)
        if not name:
            continue
        counts[name] = counts.get(name, 0) + 1
        check("variant prefix", m.group("p") == org + "/", key)
        if name == "flow_hive":
            t = datetime.fromtimestamp(ts(m.group("ts")), timezone.utc)
            check("hive hour= partition", m.group("h") == f"{t:%H}" and m.group("d") == f"{t:%d}",
                  key)
            check("parquet extension", m.group("ext") == "parquet", key)
            newest_flow = max(newest_flow, ts(m.group("ts")))
        if name in ("cloudtrail", "cloudtrail_digest"):
            check("org layout AWSLogs/<o-id>/<acct>/", m.group("org") == org, key)
        if name == "cloudtrail":
            newest_ct = max(newest_ct, ts(m.group("ts")))
    # files T with now-3h <= T and T+5min <= now-1h: 05:05 ... 06:55
    want = len([t for t in range(nowt - 3 * 3600, nowt) if t % 300 == 0 and t + 300 <= nowt - 3600])
    check("hive flow files: one per 5 minutes", counts.get("flow_hive", 0) == want == 23,
          f"{counts} want {want}")
    check("no default-layout flow files", "flow" not in counts)
    check("Control Tower Config under <o-id>/AWSLogs/<acct>/Config/",
          counts.get("config_check") == 1 and
          any(k.startswith(f"{org}/AWSLogs/111122223333/Config/") for k in keys))
    cutoff = nowt - 3600
    check("--stop-before: newest flow window closed before now-1h",
          newest_flow + 300 <= cutoff and newest_flow + 600 > cutoff, str(newest_flow))
    check("--stop-before: no CloudTrail file after now-1h", 0 < newest_ct <= cutoff)
    key = next(k for k in keys if k.endswith(".log.parquet"))
    body = get(BUCKET, key)
    check("parquet PAR1 head and tail", body[:4] == b"PAR1" and body[-4:] == b"PAR1")


def newest_and_previous(keys, stream_re):
    ks = sorted(k for k in keys if re.search(stream_re, k))
    return ks[-1], ks[-2]


def test_damage():
    now = "2026-11-22T08:02:00Z"
    for how in ("corrupt", "truncate", "empty"):
        s = seed("--bucket", BUCKET, "--prefix", how, "--sources", "vpcflowlogs,cloudtrail",
                 "--now", now, "--hours", "1", "--records", "5", "--seed", "13",
                 f"--{how}", "newest", "--kms-key-id", KMS)
        if not s:
            continue
        keys = list_keys(BUCKET, how + "/")
        damaged = {d["key"] for d in s["damaged"]}
        check(f"{how}: two streams damaged", len(damaged) == 2, str(s["damaged"]))
        for stream_re in (r"_vpcflowlogs_", r"_CloudTrail_"):
            newest, prev = newest_and_previous(keys, stream_re)
            check(f"{how}: the newest object is the damaged one", newest in damaged, newest)
            check(f"{how}: the one before is intact", gzip.decompress(get(BUCKET, prev)) != b"")
            body = get(BUCKET, newest)
            h = S3.head_object(Bucket=BUCKET, Key=newest)
            check(f"{how}: still SSE-KMS", h.get("ServerSideEncryption") == "aws:kms")
            if how == "empty":
                check("empty: 0 bytes", h["ContentLength"] == 0 and body == b"")
                continue
            check(f"{how}: gzip magic kept", body[:2] == b"\x1f\x8b")
            try:
                gzip.decompress(body)
                err = None
            except (EOFError, zlib.error, OSError) as e:
                err = e
            if how == "corrupt":
                check("corrupt: inflate fails", isinstance(err, zlib.error) or
                      (isinstance(err, OSError) and not isinstance(err, EOFError)), repr(err))
            else:
                check("truncate: stream ends early", isinstance(err, EOFError), repr(err))
                check("truncate: shorter", len(body) < len(get(BUCKET, prev)) * 0.9 or
                      len(body) < 2000)
    # one source only
    s = seed("--bucket", BUCKET, "--prefix", "only", "--sources", "vpcflowlogs,cloudtrail",
             "--now", now, "--hours", "1", "--seed", "14", "--corrupt", "newest:cloudtrail")
    if s:
        check("newest:cloudtrail damages only CloudTrail",
              len(s["damaged"]) == 1 and "_CloudTrail_" in s["damaged"][0]["key"], str(s["damaged"]))


def test_bulk():
    now = "2026-11-22T12:00:00Z"
    s = seed("--bucket", BUCKET, "--prefix", "bulk", "--sources", "vpcflowlogs", "--now", now,
             "--hours", "2", "--bulk", "2200", "--seed", "15", "--workers", "32",
             "--kms-key-id", KMS)
    if not s:
        return
    print(f"bulk: {s['objects']} objects in {s['seconds']} s: {s['objects_per_second']} objects/s",
          flush=True)
    part = s["bulk"]["partition"]
    keys = list_keys(BUCKET, part)
    check("bulk partition holds 2200 + the regular files", len(keys) == 2200 + 24,
          f"{len(keys)} in {part}")
    stream = s["bulk"]["stream"]
    newest = s["streams"][stream]["newest"]
    check("bulk objects sort before the newest", max(keys) == newest, f"{max(keys)} vs {newest}")
    check("bulk partition is a day partition", re.search(r"/2026/11/22/$", part), part)
    sample = sorted(keys)[:3]
    for k in sample:
        lines = gzip.decompress(get(BUCKET, k)).decode().splitlines()
        check("bulk object is a real flow log", lines[0] == V2_HEADER and len(lines) == 3, k)


WAF_BUCKET = f"aws-waf-logs-seedtest-{os.getpid()}"
WAF_FIELDS = {"timestamp", "formatVersion", "webaclId", "terminatingRuleId", "terminatingRuleType",
              "action", "terminatingRuleMatchDetails", "httpSourceName", "httpSourceId",
              "ruleGroupList", "rateBasedRuleList", "nonTerminatingMatchingRules",
              "requestHeadersInserted", "responseCodeSent", "httpRequest", "labels"}
WAF_REQUEST = {"clientIp", "country", "headers", "uri", "args", "httpVersion", "httpMethod",
               "requestId"}
WAF_ACLS = ("shop-prod", "api_gateway_v2")  # the seeder's default --web-acls
UUID4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
IPV4 = re.compile(r"(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)")


def waf_lines(body):
    """The records of a WAF file, parsed; a line that is not JSON fails the check and is None."""
    text = gzip.decompress(body).decode()
    check("WAF file ends with a newline", text.endswith("\n"))
    out = []
    for n, line in enumerate(text.split("\n")[:-1], 1):
        try:
            out.append(json.loads(line))
        except ValueError:
            check(f"WAF line {n} is JSON", False, line[:80])
            out.append(None)
    return out


def check_waf_record(r, m, t0):
    """One request against the documented fields (probes/FACTS.md, "waf")."""
    check("WAF record fields", set(r) == WAF_FIELDS, sorted(set(r) ^ WAF_FIELDS))
    ts = r.get("timestamp")
    check("WAF timestamp: integer milliseconds in the file's 5 minutes",
          type(ts) is int and t0 * 1000 <= ts < (t0 + 300) * 1000, f"{ts} vs {t0}")
    check("WAF formatVersion 1", r.get("formatVersion") == 1)
    check("WAF webaclId is the web ACL's ARN", re.fullmatch(
        rf"arn:aws:wafv2:{m.group('region')}:{m.group('acct')}:regional/webacl/"
        rf"{re.escape(m.group('acl'))}/{UUID4}", r.get("webaclId", "")), r.get("webaclId"))
    check("WAF action", r.get("action") in ("ALLOW", "BLOCK", "COUNT", "CAPTCHA", "CHALLENGE"))
    check("WAF terminating rule",
          isinstance(r.get("terminatingRuleId"), str) and r["terminatingRuleId"] and
          r.get("terminatingRuleType") in ("REGULAR", "MANAGED_RULE_GROUP", "RATE_BASED", "GROUP"))
    check("WAF default action allows",
          r.get("terminatingRuleId") != "Default_Action" or r.get("action") == "ALLOW")
    check("WAF httpSourceName", r.get("httpSourceName") in ("ALB", "APIGW", "APPSYNC"))
    check("WAF httpSourceId names the account",
          str(r.get("httpSourceId", "")).startswith(m.group("acct")), r.get("httpSourceId"))
    for k in ("terminatingRuleMatchDetails", "ruleGroupList", "rateBasedRuleList",
              "nonTerminatingMatchingRules", "labels"):
        check(f"WAF {k} is a list", isinstance(r.get(k), list))
    check("WAF requestHeadersInserted, responseCodeSent null",
          r.get("requestHeadersInserted") is None and r.get("responseCodeSent") is None)
    req = r.get("httpRequest") or {}
    check("WAF httpRequest fields", set(req) == WAF_REQUEST, sorted(set(req) ^ WAF_REQUEST))
    check("WAF clientIp", IPV4.fullmatch(str(req.get("clientIp"))), req.get("clientIp"))
    check("WAF headers [{name, value}] with Host",
          isinstance(req.get("headers"), list) and
          all(set(h) == {"name", "value"} for h in req["headers"]) and
          any(h["name"] == "Host" for h in req["headers"]), req.get("headers"))
    check("WAF method, version, uri",
          req.get("httpMethod") in ("GET", "POST") and
          req.get("httpVersion") in ("HTTP/1.1", "HTTP/2.0") and
          str(req.get("uri", "")).startswith("/"), req)


def test_waf():
    """--sources waf: the layout across a day boundary in two regions, every file's JSON Lines,
    SSE-KMS."""
    now = "2026-03-02T00:20:00Z"
    nowt = iso_ts(now)
    s = seed("--bucket", WAF_BUCKET, "--sources", "waf", "--prefix", "edge", "--now", now,
             "--hours", "1.5", "--regions", "us-east-1,eu-west-1", "--records", "8",
             "--seed", "21", "--kms-key-id", KMS, "--workers", "16")
    if not s:
        return
    keys = list_keys(WAF_BUCKET, "edge/")
    check("waf: listing == summary count", len(keys) == s["objects"], f"{len(keys)} {s['objects']}")
    per, days, arns, actions, ips = {}, set(), {}, set(), set()
    for key in sorted(keys):
        name, m = classify(key)
        check("waf: key matches the WAF layout", name == "waf", key)
        if name != "waf":
            continue
        check("waf: prefix edge/", m.group("p") == "edge/", key)
        t0 = ts(m.group("ts"))
        t = datetime.fromtimestamp(t0, timezone.utc)
        check("waf: folders YYYY/MM/DD/HH/mm are the name's stamp",
              (m.group("y"), m.group("m"), m.group("d"), m.group("h"), m.group("mi")) ==
              (f"{t:%Y}", f"{t:%m}", f"{t:%d}", f"{t:%H}", f"{t:%M}"), key)
        check("waf: a 5-minute slot", t0 % 300 == 0, key)
        check("waf: slot inside the window, closed by now",
              nowt - 5400 <= t0 and t0 + 300 <= nowt, key)
        stream = (m.group("region"), m.group("acl"))
        per[stream] = per.get(stream, 0) + 1
        days.add(m.group("d"))
        recs = waf_lines(get(WAF_BUCKET, key))
        check("waf: --records lines", len(recs) == 8, f"{len(recs)} in {key}")
        stamps = [r["timestamp"] for r in recs if r and type(r.get("timestamp")) is int]
        check("waf: records in time order", stamps == sorted(stamps), key)
        for r in recs:
            if r is None:
                continue
            check_waf_record(r, m, t0)
            arns.setdefault(stream, set()).add(r.get("webaclId"))
            actions.add(r.get("action"))
            ips.add((r.get("httpRequest") or {}).get("clientIp"))
    want = {(reg, acl) for reg in ("us-east-1", "eu-west-1") for acl in WAF_ACLS}
    check("waf: a stream per web ACL and region, the default names (one with '_')",
          set(per) == want, sorted(per))
    check("waf: 18 files per stream (22:50 ... 00:15)", set(per.values()) == {18}, per)
    check("waf: across the day boundary", days == {"01", "02"}, days)
    check("waf: one web ACL ARN per stream", all(len(v) == 1 for v in arns.values()) and
          len({a for v in arns.values() for a in v}) == 4, arns)
    check("waf: ALLOW and BLOCK both logged", {"ALLOW", "BLOCK"} <= actions, actions)
    check("waf: requests from many clients", len(ips) > 100, len(ips))
    for stream, info in s["streams"].items():
        check(f"waf: summary stream {stream}", re.fullmatch(
            r"waf/111122223333/(us-east-1|eu-west-1)/(shop-prod|api_gateway_v2)", stream), stream)
        check(f"waf: newest of {stream} is its last slot", info["newest_time"] ==
              "2026-03-02T00:15:00Z" and info["newest"] in keys, info)
    h = S3.head_object(Bucket=WAF_BUCKET, Key=next(iter(keys)))
    check("waf: SSE-KMS", h.get("ServerSideEncryption") == "aws:kms" and
          KMS in (h.get("SSEKMSKeyId") or ""), h.get("SSEKMSKeyId"))


def test_waf_damage_and_bulk():
    """--bad-line, --truncate newest:waf, --stop-before and --bulk on WAF streams; the names a
    WAF bucket must have."""
    now = "2026-11-22T08:02:00Z"
    nowt = iso_ts(now)
    s = seed("--bucket", WAF_BUCKET, "--prefix", "badline", "--sources", "waf,cloudtrail",
             "--now", now, "--hours", "1", "--stop-before", "30m", "--records", "9",
             "--seed", "22", "--bad-line", "newest")
    if s:
        damaged = {d["key"]: d for d in s["damaged"]}
        check("bad-line: one WAF file per web ACL, no CloudTrail file",
              len(damaged) == 2 and all("_waflogs_" in k for k in damaged), s["damaged"])
        keys = list_keys(WAF_BUCKET, "badline/")
        newest = {}
        for k in keys:
            name, m = classify(k)
            if name == "waf":
                newest[m.group("acl")] = max(newest.get(m.group("acl"), ""), k)
                check("--stop-before: WAF slot closed before now-30m",
                      ts(m.group("ts")) + 300 <= nowt - 1800, k)
        check("bad-line: the damaged files are the newest of each web ACL",
              set(newest.values()) == set(damaged), (sorted(newest.values()), sorted(damaged)))
        for key, d in damaged.items():
            lines = gzip.decompress(get(WAF_BUCKET, key)).decode().split("\n")
            n = d.get("line", 0)
            check("bad-line: the middle line is named", n == 5, d)
            bad = [i + 1 for i, ln in enumerate(lines[:-1]) if not ln.startswith("{")]
            check("bad-line: that line, and only it, is not JSON", bad == [n], bad)
            try:
                json.loads(lines[n - 1])
                parsed = True
            except ValueError:
                parsed = False
            check("bad-line: the line does not parse", not parsed, lines[n - 1][:60])
            check("bad-line: the other records stay", len(lines) == 10 and all(
                json.loads(ln)["formatVersion"] == 1 for i, ln in enumerate(lines[:-1])
                if i != n - 1))
    s = seed("--bucket", WAF_BUCKET, "--prefix", "trunc", "--sources", "waf,vpcflowlogs",
             "--now", now, "--hours", "0.5", "--seed", "23", "--truncate", "newest:waf")
    if s:
        check("truncate newest:waf: only the WAF streams",
              len(s["damaged"]) == 2 and all(d["stream"].startswith("waf/") for d in s["damaged"]),
              s["damaged"])
        for d in s["damaged"]:
            try:
                gzip.decompress(get(WAF_BUCKET, d["key"]))
                err = None
            except EOFError as e:
                err = e
            check("truncate newest:waf: the gzip stream ends early", err is not None, d["key"])
    s = seed("--bucket", WAF_BUCKET, "--prefix", "bulk", "--sources", "waf", "--web-acls", "edge",
             "--now", now, "--hours", "1", "--bulk", "120", "--seed", "24", "--workers", "16")
    if s:
        part = s["bulk"]["partition"]
        check("waf bulk: the web ACL's day folder", part ==
              "bulk/AWSLogs/111122223333/WAFLogs/us-east-1/edge/2026/11/22/", part)
        keys = list_keys(WAF_BUCKET, part)
        check("waf bulk: 120 + the regular files (07:05 ... 07:55)", len(keys) == 120 + 11,
              len(keys))
        check("waf bulk: the newest stays the newest",
              max(keys) == s["streams"][s["bulk"]["stream"]]["newest"], max(keys))
        for k in sorted(keys)[:2]:
            name, m = classify(k)
            recs = waf_lines(get(WAF_BUCKET, k)) if name == "waf" else []
            check("waf bulk: a real WAF file of 2 records", len(recs) == 2 and all(
                r and "/webacl/edge/" in r.get("webaclId", "") and
                ts(m.group("ts")) * 1000 <= r["timestamp"] < (ts(m.group("ts")) + 300) * 1000
                for r in recs), k)
    for args, why in (
            (("--bucket", "waf-logs", "--sources", "waf"), "a bucket not named aws-waf-logs-*"),
            (("--bucket", WAF_BUCKET, "--sources", "waf", "--web-acls", "a b"), "a bad name"),
            (("--bucket", WAF_BUCKET, "--sources", "waf", "--web-acls", "a,a"), "a repeated name"),
            (("--bucket", WAF_BUCKET, "--bad-line", "newest:cloudtrail"),
             "--bad-line on a source without JSON Lines")):
        p = seed(*args, "--dry-run", expect_ok=False)
        check(f"rejected: {why}", p.returncode == 2, p.stderr[-200:])


def test_determinism_and_errors():
    args = ["--bucket", "dry", "--dry-run", "--now", "2026-11-22T08:00:00Z", "--hours", "2"]
    a = seed(*args, "--seed", "5")
    b = seed(*args, "--seed", "5")
    c = seed(*args, "--seed", "6")
    if a and b and c:
        for d in (a, b, c):
            d.pop("seconds")
        check("same --seed, same deliveries", a == b)
        check("other --seed, other names", a["streams"] != c["streams"])
    p = seed("--bucket", BUCKET, "--prefix", "badkms", "--sources", "cloudtrail", "--hours", "0.1",
             "--kms-key-id", "arn:aws:kms:us-east-1:111122223333:key/not-a-known-key",
             expect_ok=False)
    check("unknown KMS key: the seeder fails", p.returncode != 0 and "InvalidAccessKeyId" in
          p.stderr, p.stderr[-300:])
    p = seed("--bucket", BUCKET, "--corrupt", "oldest", "--dry-run", expect_ok=False)
    check("bad --corrupt value rejected", p.returncode == 2)
    p = seed("--bucket", BUCKET, "--stop-before", "5x", "--dry-run", expect_ok=False)
    check("bad duration rejected", p.returncode == 2)


def main():
    check("LC_KMS_KEY_1 in the fixture env", bool(KMS))
    for t in (test_layouts, test_variants, test_damage, test_bulk, test_waf,
              test_waf_damage_and_bulk, test_determinism_and_errors):
        try:
            t()
        except Exception as e:  # a crash is one failure, the other tests still run
            check(f"{t.__name__} raised", False, repr(e))
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
