#!/usr/bin/python3
"""`logcanary check` end to end against a real S3 server (radosgw), seeded with realistic
deliveries by tests/seed/seed_deliveries.py (flow logs, Config, CloudTrail, and WAF in
aws-waf-logs-* buckets). Every scenario has its own bucket and config; each asserts the JSON
report's exact statuses, finding codes and the requests spent per stream. One renders the HTML
report with headless Chromium and checks the DOM it parsed against the JSON report.

The check runs with --now pinned to yesterday 12:00 UTC (and the seeder writes file names
relative to the same instant), so windows never straddle midnight by accident and request
counts are exact. LastModified is the real upload time, later than --now: the agent then dates
a delivery by its file name plus the service's latency allowance, as it does for replays.

    check_scenarios.py            (needs LC_RADOSGW_ENV, LC_BINARY, and chromium on PATH)
"""
import datetime
import html.parser
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import lctest  # noqa: E402
from lctest import iso, s3_client as s3  # noqa: E402

ENV = lctest.radosgw_env()
RUN = os.getpid()
ACCT = "111111111111"
REGION = "ap-northeast-1"
NOW = lctest.yesterday_noon()
NOW_ISO = iso(NOW)

check = lctest.Checks()


def seed(bucket, *args):
    return lctest.seed("--bucket", bucket, "--accounts", ACCT, "--regions", REGION,
                       "--now", NOW_ISO, "--seed", "7", *args)


def run_check(bucket, sources, kms_key=None, prefix=None, user="owner", extra=(), endpoints=None):
    target = {"name": bucket, "bucket": bucket, "sources": sources}
    if kms_key:
        target["kms_key_arn"] = kms_key
    if prefix:
        target["prefix"] = prefix
    cfg = {"aws": lctest.radosgw_aws(), "targets": [target]}
    if endpoints:
        cfg["aws"]["endpoints"] = endpoints
    p = lctest.run_agent("check", "--config", lctest.write_config(cfg), "--format", "json",
                         "--now", NOW_ISO, *extra, user=user)
    _, sk = lctest.user_keys(user)
    check(f"{bucket}: no secret in stdout/stderr", not lctest.leaked([sk], p.stdout, p.stderr))
    try:
        report = json.loads(p.stdout)
    except ValueError:
        print(p.stdout, p.stderr, file=sys.stderr)
        raise
    return p.returncode, report, p.stderr


def src(kind, **kw):
    d = {"type": kind, "accounts": [ACCT], "regions": [REGION]}
    d.update(kw)
    return d


def stream(report, source, account=ACCT):
    return next(s for s in report["streams"] if s["source"] == source and s["account"] == account)


def codes(report, source=None):
    return sorted(f["code"] for f in report["findings"]
                  if source is None or f["source"] == source)


def bucket_name(tag):
    return f"lc-chk-{tag}-{RUN}"


def scenario_healthy(key1):
    b = bucket_name("healthy")
    seed(b, "--sources", "vpcflowlogs,config,cloudtrail", "--hours", "10", "--kms-key-id", key1)
    rc, r, err = run_check(b, [src("vpcflowlogs"), src("config", max_age="7h"),
                               src("cloudtrail")], kms_key=key1)
    check("healthy: exit 0", rc == 0, f"rc={rc} {err}")
    check("healthy: status ok", r["status"] == "ok", r["status"])
    check("healthy: no findings", r["findings"] == [], codes(r))
    for s in r["streams"]:
        check(f"healthy: {s['source']} ok and sampled",
              s["status"] == "ok" and s["sample"] and s["sample"]["valid"], json.dumps(s))
    # Cost per stream: flow logs = discovery + one flow log + sample; CloudTrail = one listing +
    # sample; Config = history folder + snapshot listing + sample.
    check("healthy: requests vpcflowlogs = 3", stream(r, "vpcflowlogs")["requests"] == 3,
          stream(r, "vpcflowlogs")["requests"])
    check("healthy: requests cloudtrail = 2", stream(r, "cloudtrail")["requests"] == 2,
          stream(r, "cloudtrail")["requests"])
    check("healthy: requests config = 3", stream(r, "config")["requests"] == 3,
          stream(r, "config")["requests"])
    check("healthy: flow-log records counted", stream(r, "vpcflowlogs")["sample"]["records"] > 0)
    c = r["canaries"][0]
    check("healthy: canary ok with the expected key",
          c["status"] == "ok" and c["kms_key_arn"] == key1, json.dumps(c))
    left = s3().list_objects_v2(Bucket=b, Prefix="logcanary-canary/").get("KeyCount", 0)
    check("healthy: canary deleted its object", left == 0, left)


def scenario_stale_and_empty():
    b = bucket_name("stale")
    seed(b, "--sources", "cloudtrail", "--hours", "6", "--stop-before", "2h")
    rc, r, err = run_check(b, [src("cloudtrail", max_age="20m"),
                               src("cloudtrail", accounts=["222222222222"], max_age="20m")],
                           extra=["--no-canary"])
    check("stale: exit 1", rc == 1, f"rc={rc} {err}")
    st = stream(r, "cloudtrail")
    check("stale: status stale", st["status"] == "stale", st["status"])
    check("stale: newest about 2h old", 2 * 3600 - 1800 <= (st["newest_age_s"] or 0) <= 2 * 3600 + 1800,
          st["newest_age_s"])
    # window listing (empty) + lookback over two day partitions + sample of the newest
    check("stale: requests = 4", st["requests"] == 4, st["requests"])
    em = stream(r, "cloudtrail", "222222222222")
    check("empty: status missing", em["status"] == "missing", em["status"])
    check("empty: no newest key", em["newest_key"] is None)
    # nothing in the lookback: one more listing asks whether anything is there at all
    check("empty: requests = 4 (window + two lookback days + anything ever)",
          em["requests"] == 4, em["requests"])
    # The diagnosis runs for the broken target; radosgw has no GetBucketEncryption: said once.
    check("stale+empty: DELIVERY_MISSING, NEVER_DELIVERED for the empty one, diagnosis incomplete",
          codes(r) == ["DELIVERY_MISSING", "DIAGNOSIS_INCOMPLETE", "NEVER_DELIVERED"], codes(r))
    nd = [f for f in r["findings"] if f["code"] == "NEVER_DELIVERED"]
    check("empty: NEVER_DELIVERED names the account and is critical",
          nd and nd[0]["account"] == "222222222222" and nd[0]["severity"] == "critical"
          and nd[0]["evidence"].get("expected_by") == ["config"], nd)
    inc = [f for f in r["findings"] if f["code"] == "DIAGNOSIS_INCOMPLETE"]
    why = inc[0]["evidence"].get("s3:GetEncryptionConfiguration", {}).get("error", "") if inc else ""
    check("stale+empty: the unsupported GetBucketEncryption is named",
          "does not support GetBucketEncryption" in why, why)


# ---- the HTML report, as a browser sees it -------------------------------------------------

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def chromium_render(page, png):
    """Headless Chromium opens the file page, writes its screenshot to png and returns the DOM it
    parsed (its serialisation, --dump-dom). Its HOME and profile are in a scratch directory, and
    it resolves no host name (so nothing leaves the machine). None when chromium is missing."""
    exe = shutil.which("chromium")
    if not exe:
        return None
    home = lctest.tempdir()
    p = subprocess.run(
        [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         f"--user-data-dir={home}/profile", "--no-first-run", "--disable-extensions",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--host-resolver-rules=MAP * ~NOTFOUND", f"--screenshot={png}", "--window-size=1400,1000",
         "--dump-dom", "file://" + page],
        capture_output=True, text=True, timeout=120, cwd=home,
        env={"PATH": "/usr/bin:/bin", "HOME": home})
    if p.returncode != 0:
        print(p.stderr[-2000:], file=sys.stderr)
    return p.stdout


class MatrixCells(html.parser.HTMLParser):
    """The stream cells of the matrices as (target, source, account, region, status), the empty
    cells, the coverage section's attributes, the body's, and any element or attribute that
    would load something."""

    def __init__(self):
        super().__init__()
        self.table = None
        self.cells, self.empty, self.loads = [], 0, []
        self.coverage = self.body = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "img", "link", "iframe", "object", "embed", "video", "audio") or \
                "src" in a or ("href" in a and not a["href"].startswith("#")):
            self.loads.append((tag, a))
        if tag == "table" and "matrix" in (a.get("class") or "").split():
            self.table = a
        elif tag == "td" and self.table is not None:
            if "data-status" in a:
                self.cells.append((self.table.get("data-target"), self.table.get("data-source"),
                                   a.get("data-account"), a.get("data-region"), a["data-status"]))
            elif "empty" in (a.get("class") or "").split():
                self.empty += 1
        elif tag == "section" and a.get("id") == "coverage":
            self.coverage = a
        elif tag == "body":
            self.body = a

    def handle_endtag(self, tag):
        if tag == "table":
            self.table = None


def scenario_html_report(key1):
    """The HTML page of a real check, rendered by Chromium: the healthy bucket (flow logs and
    CloudTrail, ok) and the stale one (its CloudTrail stale; account 222222222222 never delivered
    in two regions, so 111111111111 has an empty cell in us-east-1). Each stream has one cell, as
    Chromium parsed the page, and its status is the JSON report's (never delivered: "never")."""
    started = time.monotonic()
    healthy, stale = bucket_name("healthy"), bucket_name("stale")
    cfg = {"aws": lctest.radosgw_aws(), "targets": [
        {"name": "healthy", "bucket": healthy, "kms_key_arn": key1,
         "sources": [src("vpcflowlogs"), src("cloudtrail")]},
        {"name": "stale", "bucket": stale, "sources": [
            src("cloudtrail", max_age="20m"),
            src("cloudtrail", accounts=["222222222222"], regions=[REGION, "us-east-1"],
                max_age="20m")]}]}
    args = ["check", "--config", lctest.write_config(cfg), "--now", NOW_ISO, "--no-canary"]
    work = lctest.tempdir()
    page, png = os.path.join(work, "report.html"), os.path.join(work, "report.png")
    pj = lctest.run_agent(*args, "--format", "json")
    ph = lctest.run_agent(*args, "--format", "html", "--output", page)
    po = lctest.run_agent(*args, "--format", "html")
    r = json.loads(pj.stdout)
    check("html: exit 1 like the JSON report's, nothing on stdout with --output",
          (pj.returncode, ph.returncode, ph.stdout) == (1, 1, ""),
          f"{pj.returncode} {ph.returncode} {ph.stderr}")
    with open(page, encoding="utf-8") as f:
        text = f.read()
    check("html: without --output the same page on stdout", po.stdout == text,
          f"{len(po.stdout)} vs {len(text)} characters")
    check("html: a whole HTML5 document",
          text.startswith("<!DOCTYPE html>\n") and text.rstrip().endswith("</html>"), text[:80])
    check("html: no secret in the page or the output",
          not lctest.leaked([lctest.user_keys()[1]], text, ph.stderr, po.stderr))
    statuses = sorted(s["status"] for s in r["streams"])
    never = {(f["target"], f["source"], f["account"], f["region"]) for f in r["findings"]
             if f["code"] == "NEVER_DELIVERED"}
    check("html: the run has healthy, stale and never-delivered streams",
          statuses == ["missing", "missing", "ok", "ok", "stale"] and len(never) == 2,
          (statuses, never))

    c0 = time.monotonic()
    dom = chromium_render(page, png)
    c1 = time.monotonic()
    if not check("html: chromium is installed (packaging/install-deps.sh --test)", dom is not None):
        return
    cells = MatrixCells()
    cells.feed(dom)
    want = sorted((s["target"], s["source"], s["account"], s["region"],
                   "never" if s["status"] == "missing" and
                   (s["target"], s["source"], s["account"], s["region"]) in never
                   else s["status"]) for s in r["streams"])
    check("html: one cell per stream in the DOM Chromium built",
          len(cells.cells) == len(r["streams"]) == 5, (len(cells.cells), len(r["streams"])))
    check("html: each cell's data-status is the JSON report's status", sorted(cells.cells) == want,
          (sorted(cells.cells), want))
    check("html: one empty cell (111111111111 in us-east-1 of the stale bucket)",
          cells.empty == 1, cells.empty)
    cov = cells.coverage or {}
    got = {k: int(cov.get("data-" + k.replace("never_delivered", "never").replace("_", "-"), -1))
           for k in r["coverage"]}
    check("html: the coverage numbers are the JSON report's", got == r["coverage"],
          (got, r["coverage"]))
    check("html: the overall status", (cells.body or {}).get("data-status") == r["status"],
          cells.body)
    check("html: nothing that would load a resource", cells.loads == [], cells.loads[:3])
    magic, size = b"", 0
    if os.path.exists(png):
        size = os.path.getsize(png)
        with open(png, "rb") as f:
            magic = f.read(8)
    # A blank 1400x1000 screenshot is a few kilobytes; the page's colours and text make more.
    check("html: Chromium's screenshot is a PNG of some substance",
          magic == PNG_MAGIC and size > 20000, (magic, size))
    print(f"     html: page {len(text)} bytes, screenshot {size} bytes; Chromium {c1 - c0:.1f}s, "
          f"the scenario {time.monotonic() - started:.1f}s")


def scenario_damaged():
    # An empty object costs no GET: the listing says its size is 0.
    for tag, flag, source, sources, cost in (
            ("corrupt", "--corrupt", "cloudtrail", [src("cloudtrail")], 2),
            ("truncated", "--truncate", "vpcflowlogs", [src("vpcflowlogs")], 3),
            ("emptyobj", "--empty", "cloudtrail", [src("cloudtrail")], 1)):
        b = bucket_name(tag)
        seed(b, "--sources", source, "--hours", "2", flag, "newest")
        rc, r, err = run_check(b, sources, extra=["--no-canary"])
        st = stream(r, source)
        check(f"{tag}: exit 1", rc == 1, f"rc={rc} {err}")
        check(f"{tag}: status invalid", st["status"] == "invalid", json.dumps(st))
        check(f"{tag}: SAMPLE_INVALID", codes(r) == ["SAMPLE_INVALID"], codes(r))
        check(f"{tag}: requests = {cost}", st["requests"] == cost, st["requests"])
        reason = r["findings"][0]["evidence"].get("reason", "") if r["findings"] else ""
        print(f"     {tag}: {reason}")


def scenario_parquet_and_org_trail():
    b = bucket_name("ct")
    org = "o-abc123def4"
    seed(b, "--sources", "vpcflowlogs,config,cloudtrail", "--prefix", org, "--org-id", org,
         "--parquet", "--hours", "8")
    rc, r, err = run_check(b, [src("vpcflowlogs", file_format="parquet"),
                               src("config", max_age="7h"), src("cloudtrail", org_id=org)],
                           prefix=org, extra=["--no-canary"])
    check("control tower: exit 0", rc == 0, f"rc={rc} {err} {codes(r)}")
    ct = stream(r, "cloudtrail")
    check("control tower: organization trail prefix",
          ct["prefix"] == f"{org}/AWSLogs/{org}/{ACCT}/CloudTrail/{REGION}/", ct["prefix"])
    check("control tower: cloudtrail ok", ct["status"] == "ok", json.dumps(ct))
    fl = stream(r, "vpcflowlogs")
    check("parquet: flow logs ok", fl["status"] == "ok" and fl["newest_key"].endswith(".parquet"),
          json.dumps(fl))
    check("parquet: sample format", fl["sample"]["format"] == "parquet", fl["sample"])
    check("control tower: config ok", stream(r, "config")["status"] == "ok")
    check("control tower: requests 3/3/2",
          [stream(r, x)["requests"] for x in ("vpcflowlogs", "config", "cloudtrail")] == [3, 3, 2],
          [stream(r, x)["requests"] for x in ("vpcflowlogs", "config", "cloudtrail")])


def scenario_denied_reads():
    b = bucket_name("denied")
    seed(b, "--sources", "cloudtrail", "--hours", "2")
    other = ENV["LC_S3_OTHER_UID"]
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "ListForAgent", "Effect": "Allow",
         "Principal": {"AWS": f"arn:aws:iam:::user/{other}"}, "Action": "s3:ListBucket",
         "Resource": f"arn:aws:s3:::{b}"},
        {"Sid": "NoReads", "Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam:::user/{other}"},
         "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{b}/*"}]}
    s3().put_bucket_policy(Bucket=b, Policy=json.dumps(policy))
    rc, r, err = run_check(b, [src("cloudtrail")], user="other", extra=["--no-canary"])
    st = stream(r, "cloudtrail")
    check("denied: exit 1", rc == 1, f"rc={rc} {err}")
    check("denied: status denied", st["status"] == "denied", json.dumps(st))
    # The agent's user may not read the bucket's configuration either: said once, by name.
    check("denied: READ_DENIED_S3 and DIAGNOSIS_INCOMPLETE",
          codes(r) == ["DIAGNOSIS_INCOMPLETE", "READ_DENIED_S3"], codes(r))
    inc = [f for f in r["findings"] if f["code"] == "DIAGNOSIS_INCOMPLETE"]
    perms = sorted(inc[0]["remediation"].get("add_permissions", [])) if inc else None
    check("denied: the missing permission is named", perms == ["s3:GetBucketPolicy"], perms)
    check("denied: requests = 2 (listing allowed, sample denied)", st["requests"] == 2,
          st["requests"])
    den = [f for f in r["findings"] if f["code"] == "READ_DENIED_S3"]
    ev = den[0]["evidence"] if den else {}
    check("denied: evidence names GetObject, 403 and AccessDenied",
          ev.get("operation") == "GetObject" and ev.get("http_status") == 403 and
          ev.get("aws_code") == "AccessDenied", ev)


def scenario_keys(key1, key2):
    b = bucket_name("keys")
    seed(b, "--sources", "cloudtrail", "--hours", "2", "--kms-key-id", key2)
    # Deliveries under key 2 while key 1 is expected; the canary writes with key 1.
    rc, r, err = run_check(b, [src("cloudtrail")], kms_key=key1)
    check("other key: exit 1", rc == 1, f"rc={rc} {err}")
    check("other key: ENCRYPTION_MISMATCH on the stream",
          codes(r, "cloudtrail") == ["ENCRYPTION_MISMATCH"], codes(r))
    check("other key: canary ok", r["canaries"][0]["status"] == "ok", r["canaries"])
    check("other key: requests = 2", stream(r, "cloudtrail")["requests"] == 2,
          stream(r, "cloudtrail")["requests"])
    # A key the server does not know: the canary PUT fails on KMS.
    unknown = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-4000-8000-000000000000"
    rc, r, err = run_check(b, [src("cloudtrail")], kms_key=unknown)
    check("unknown key: CANARY_WRITE_DENIED_KMS", "CANARY_WRITE_DENIED_KMS" in codes(r), codes(r))
    check("unknown key: canary failed", r["canaries"][0]["status"] == "failed", r["canaries"])
    canary = [f for f in r["findings"] if f["code"] == "CANARY_WRITE_DENIED_KMS"]
    ev = canary[0]["evidence"] if canary else {}
    check("unknown key: evidence carries status and code",
          ev.get("http_status") == 403 and ev.get("operation") == "PutObject", ev)


def scenario_cheap_listing():
    b = bucket_name("bulk")
    summary = seed(b, "--sources", "cloudtrail,vpcflowlogs", "--hours", "3", "--bulk", "2500")
    rc, r, err = run_check(b, [src("cloudtrail"), src("vpcflowlogs")], extra=["--no-canary"])
    day = NOW.strftime("%Y/%m/%d")
    total = s3().list_objects_v2(Bucket=b, Prefix=f"AWSLogs/{ACCT}/CloudTrail/{REGION}/{day}/",
                                 MaxKeys=1000)
    check("bulk: the day partition holds > 2,000 objects", total.get("IsTruncated") is True)
    ct = stream(r, "cloudtrail")
    check("bulk: cloudtrail ok", ct["status"] == "ok", json.dumps(ct))
    check("bulk: cloudtrail still costs 2 requests", ct["requests"] == 2, ct["requests"])
    fl = stream(r, "vpcflowlogs")
    check("bulk: flow logs still cost 3 requests", fl["requests"] == 3, fl["requests"])
    print(f"     bulk: {json.dumps(summary.get('bulk'))}; cloudtrail requests {ct['requests']}, "
          f"objects seen {ct['objects_seen']}")


def scenario_disabled_key(key1):
    b = bucket_name("diag")
    seed(b, "--sources", "cloudtrail", "--hours", "6", "--stop-before", "2h", "--kms-key-id", key1)
    # The signature-verifying control-plane fixture, for the APIs radosgw does not have.
    with lctest.CpFixture({
        "region": "us-east-1",
        "credentials": {ENV["LC_S3_ACCESS_KEY"]: {"secret": ENV["LC_S3_SECRET_KEY"]}},
        "operations": lctest.kms_key_ops(key1, enabled=False, key_policy={
            "error": "AccessDeniedException",
            "message": "User: arn:aws:iam::111122223333:user/lc-owner is not authorized "
                       "to perform: kms:GetKeyPolicy on resource: " + key1})}) as kms:
        rc, r, err = run_check(b, [src("cloudtrail")], kms_key=key1, extra=["--no-canary"],
                               endpoints={"kms": kms.url})
    check("disabled key: exit 1", rc == 1, f"rc={rc} {err}")
    check("disabled key: findings", codes(r) == ["DELIVERY_MISSING", "DIAGNOSIS_INCOMPLETE",
                                                 "KEY_UNUSABLE"], codes(r))
    miss = [f for f in r["findings"] if f["code"] == "DELIVERY_MISSING"]
    cause = miss[0].get("likely_cause") if miss else None
    check("disabled key: the missing delivery is linked to the unusable key",
          cause and cause["code"] == "KEY_UNUSABLE" and cause["confidence"] == "high", cause)
    inc = [f for f in r["findings"] if f["code"] == "DIAGNOSIS_INCOMPLETE"]
    perms = inc[0]["remediation"].get("add_permissions") if inc else None
    check("disabled key: DIAGNOSIS_INCOMPLETE names kms:GetKeyPolicy", perms == ["kms:GetKeyPolicy"],
          perms)
    lines = kms.log()
    check("disabled key: every KMS call was signed correctly",
          lines and all(x["sig_ok"] for x in lines), [x.get("auth") for x in lines])
    check("disabled key: DescribeKey then GetKeyPolicy, once each",
          [x["operation"] for x in lines] == ["DescribeKey", "GetKeyPolicy"],
          [x["operation"] for x in lines])


def put_cloudtrail_delivery(bucket):
    """One fresh CloudTrail delivery, as the service would write it now."""
    import gzip
    now = datetime.datetime.now(datetime.timezone.utc)
    stamp = now.strftime("%Y%m%dT%H%MZ")
    key = (f"AWSLogs/{ACCT}/CloudTrail/{REGION}/{now:%Y/%m/%d}/"
           f"{ACCT}_CloudTrail_{REGION}_{stamp}_LogcanaryWaitTst.json.gz")
    body = {"Records": [{"eventVersion": "1.08", "eventTime": iso(now),
                         "eventSource": "s3.amazonaws.com", "eventName": "PutObject",
                         "awsRegion": REGION, "sourceIPAddress": "203.0.113.7",
                         "eventID": "7f7a3c1e-0000-4000-8000-000000000001"}]}
    s3().put_object(Bucket=bucket, Key=key, Body=gzip.compress(json.dumps(body).encode()))
    return key


def wait_process(bucket, wait, since, interval="1s"):
    cfg = {"aws": lctest.radosgw_aws(),
           "targets": [{"name": bucket, "bucket": bucket, "sources": [src("cloudtrail")]}]}
    return lctest.start_agent("check", "--config", lctest.write_config(cfg), "--format", "json",
                              "--no-canary", "--wait", wait, "--wait-interval", interval,
                              "--since", since)


def scenario_wait():
    b = bucket_name("wait")
    seed(b, "--sources", "cloudtrail", "--hours", "2", "--now",
         iso(datetime.datetime.now(datetime.timezone.utc)))
    # S3 times have one-second granularity: the change being tested happens one second after the
    # newest seeded object landed, and the new delivery lands after that second has passed.
    def newest_lm():
        objs = s3().list_objects_v2(Bucket=b, Prefix=f"AWSLogs/{ACCT}/CloudTrail/")["Contents"]
        return max(o["LastModified"] for o in objs)
    since = newest_lm() + datetime.timedelta(seconds=1)
    since_iso = iso(since)
    # A delivery appears while the smoke test waits: it succeeds.
    p = wait_process(b, "120s", since_iso)
    first = p.stderr.readline()  # the agent's own "not yet" line: the first round is over
    check("wait: the first round is not satisfied (nothing since the start)",
          "[wait] round 1" in first, first)
    while datetime.datetime.now(datetime.timezone.utc) < since + datetime.timedelta(seconds=1):
        time.sleep(0.05)  # polls the wall clock, not another process: the change's second passes
    key = put_cloudtrail_delivery(b)
    out, err = p.communicate(timeout=150)
    r = json.loads(out)
    check("wait: exit 0 once the new delivery is there", p.returncode == 0, f"{p.returncode} {err}")
    check("wait: the new delivery is the newest", stream(r, "cloudtrail")["newest_key"] == key,
          stream(r, "cloudtrail")["newest_key"])
    # Nothing new arrives: it fails at the deadline with the findings.
    since_iso = iso(newest_lm() + datetime.timedelta(seconds=1))
    p = wait_process(b, "3s", since_iso)
    out, err = p.communicate(timeout=60)
    r = json.loads(out)
    check("wait: exit 1 at the deadline", p.returncode == 1, f"{p.returncode} {err}")
    miss = [f for f in r["findings"] if f["code"] == "DELIVERY_MISSING"]
    check("wait: DELIVERY_MISSING names the start time",
          miss and "no delivery since" in miss[0]["summary"] and "since" in miss[0]["evidence"],
          miss)


def scenario_config_channel_failure():
    b = bucket_name("cfgfail")
    seed(b, "--sources", "config", "--hours", "30", "--stop-before", "12h")
    status_key, status_secret = "ASIALOGCANARYSTATUS1", "status-session-secret"
    with lctest.CpFixture({
        "region": REGION,
        "credentials": {ENV["LC_S3_ACCESS_KEY"]: {"secret": ENV["LC_S3_SECRET_KEY"]}},
        "operations": {
            "sts.AssumeRole": {"body": {"Credentials": {
                "AccessKeyId": status_key, "SecretAccessKey": status_secret,
                "SessionToken": "status-session-token"},
                "AssumedRoleUser": {"AssumedRoleId": "AROA:logcanary-status",
                                    "Arn": f"arn:aws:sts::{ACCT}:assumed-role/logcanary-status/x"}}},
            "config.DescribeDeliveryChannels": {"body": {"DeliveryChannels": [
                {"name": "default", "s3BucketName": "some-other-bucket"},
                {"name": "aws-controltower-BaselineConfigDeliveryChannel", "s3BucketName": b,
                 "s3KeyPrefix": ""}]}},
            "config.DescribeDeliveryChannelStatus": {"body": {"DeliveryChannelsStatus": [{
                "name": "aws-controltower-BaselineConfigDeliveryChannel",
                "configHistoryDeliveryInfo": {"lastStatus": "Failure",
                                              "lastErrorCode": "AccessDenied",
                                              "lastErrorMessage": "Access Denied",
                                              "lastSuccessfulTime": 1700000000},
                "configSnapshotDeliveryInfo": {"lastStatus": "Success"}}]}}}}) as fx:
        rc, r, err = run_check(b, [src("config", max_age="7h",
                                       status_role_arn="arn:aws:iam::{account}:role/logcanary-status")],
                               extra=["--no-canary"], endpoints={"sts": fx.url, "config": fx.url})
    check("config failure: exit 1", rc == 1, f"rc={rc} {err}")
    check("config failure: findings", codes(r) == ["DELIVERY_MISSING", "DELIVERY_STATUS_FAILED",
                                                   "DIAGNOSIS_INCOMPLETE"], codes(r))
    failed = [f for f in r["findings"] if f["code"] == "DELIVERY_STATUS_FAILED"]
    summary = failed[0]["summary"] if failed else ""
    check("config failure: what Config itself says", "Failure AccessDenied: Access Denied" in summary,
          summary)
    miss = [f for f in r["findings"] if f["code"] == "DELIVERY_MISSING"]
    cause = miss[0].get("likely_cause") if miss else None
    check("config failure: the missing delivery is linked to it",
          cause and cause["code"] == "DELIVERY_STATUS_FAILED", cause)
    lines = fx.log()
    ops = [(x["operation"], x["access_key"], x["sig_ok"]) for x in lines]
    check("config failure: AssumeRole into the account, then Config as the assumed role",
          ops == [("AssumeRole", ENV["LC_S3_ACCESS_KEY"], True),
                  ("DescribeDeliveryChannels", status_key, True),
                  ("DescribeDeliveryChannelStatus", status_key, True)], ops)
    role = lines[0]["params"].get("RoleArn") if lines else None
    check("config failure: the status role is the account's",
          role == f"arn:aws:iam::{ACCT}:role/logcanary-status", role)


def scenario_key_policy_gap(key1):
    """The real-world flow-log case: a customer managed key whose policy has only the account-root
    statement, so delivery.logs.amazonaws.com cannot encrypt; the flow log stays ACTIVE while
    nothing arrives."""
    b = bucket_name("kpgap")
    seed(b, "--sources", "vpcflowlogs", "--hours", "6", "--stop-before", "3h", "--kms-key-id", key1)
    root_only = {"Version": "2012-10-17", "Id": "key-default-1", "Statement": [
        {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
         "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*",
         "Resource": "*"}]}
    with lctest.CpFixture({
        "region": "us-east-1",
        "credentials": {ENV["LC_S3_ACCESS_KEY"]: {"secret": ENV["LC_S3_SECRET_KEY"]}},
        "operations": lctest.kms_key_ops(key1, key_policy={
            "body": {"PolicyName": "default", "Policy": json.dumps(root_only)}})}) as kms:
        rc, r, err = run_check(b, [src("vpcflowlogs")], kms_key=key1, extra=["--no-canary"],
                               endpoints={"kms": kms.url})
    check("key policy gap: exit 1", rc == 1, f"rc={rc} {err}")
    check("key policy gap: findings", codes(r) == ["DELIVERY_MISSING", "DIAGNOSIS_INCOMPLETE",
                                                   "KEY_POLICY_GAP"], codes(r))
    gap = [f for f in r["findings"] if f["code"] == "KEY_POLICY_GAP"]
    gap = gap[0] if gap else {"evidence": {}, "remediation": {}}
    check("key policy gap: names delivery.logs and kms:GenerateDataKey",
          gap["evidence"].get("principal") == "delivery.logs.amazonaws.com" and
          "kms:GenerateDataKey" in gap["evidence"].get("missing_actions", []), gap["evidence"])
    stmts = gap["remediation"].get("add_statements") or [{}]
    st = stmts[0]
    check("key policy gap: the statement to add",
          st.get("Principal") == {"Service": "delivery.logs.amazonaws.com"} and
          st.get("Condition", {}).get("StringEquals", {}).get("aws:SourceAccount") == ACCT and
          st.get("Condition", {}).get("ArnLike", {}).get("aws:SourceArn") ==
          f"arn:aws:logs:{REGION}:{ACCT}:*" and "kms:GenerateDataKey*" in st.get("Action", []),
          st)
    check("key policy gap: verified", gap["remediation"].get("verified") is True)
    miss = [f for f in r["findings"] if f["code"] == "DELIVERY_MISSING"]
    cause = miss[0].get("likely_cause") if miss else None
    check("key policy gap: the missing delivery is linked to the gap",
          cause and cause["code"] == "KEY_POLICY_GAP" and cause["confidence"] == "high", cause)


def scenario_bucket_policy_gap():
    """CloudTrail stops delivering because the bucket policy lost its write statement: the
    policy read from the real S3 server is evaluated for CloudTrail's PutObject."""
    b = bucket_name("bpgap")
    seed(b, "--sources", "cloudtrail", "--hours", "6", "--stop-before", "3h")
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "AWSCloudTrailAclCheck20150319", "Effect": "Allow",
         "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:GetBucketAcl",
         "Resource": f"arn:aws:s3:::{b}"}]}
    s3().put_bucket_policy(Bucket=b, Policy=json.dumps(policy))
    rc, r, err = run_check(b, [src("cloudtrail")], extra=["--no-canary"])
    check("bucket policy gap: exit 1", rc == 1, f"rc={rc} {err}")
    check("bucket policy gap: findings", codes(r) == ["BUCKET_POLICY_GAP", "DELIVERY_MISSING",
                                                      "DIAGNOSIS_INCOMPLETE"], codes(r))
    gap = [f for f in r["findings"] if f["code"] == "BUCKET_POLICY_GAP"]
    gap = gap[0] if gap else {"evidence": {}, "remediation": {}}
    check("bucket policy gap: CloudTrail's s3:PutObject is missing",
          gap["evidence"].get("principal") == "cloudtrail.amazonaws.com" and
          "s3:PutObject" in gap["evidence"].get("missing_actions", []), gap["evidence"])
    stmts = gap["remediation"].get("add_statements") or []
    write = [x for x in stmts if "s3:PutObject" in json.dumps(x.get("Action"))]
    res = write[0].get("Resource") if write else None
    check("bucket policy gap: the write statement for this account's prefix",
          res == f"arn:aws:s3:::{b}/AWSLogs/{ACCT}/*", res)
    miss = [f for f in r["findings"] if f["code"] == "DELIVERY_MISSING"]
    cause = miss[0].get("likely_cause") if miss else None
    check("bucket policy gap: linked as the likely cause",
          cause and cause["code"] == "BUCKET_POLICY_GAP", cause)


def scenario_alerts():
    """Cron-style runs of `check` with webhooks: one alert per sink when a stream goes stale,
    quiet on the next run, a re-notification after `renotify`, nothing lost while the receiver
    is down, and the resolve (same PagerDuty dedup_key) once deliveries resume."""
    import hashlib
    import hmac
    b = bucket_name("alerts")
    seed(b, "--sources", "cloudtrail", "--hours", "4", "--stop-before", "2h", "--now",
         iso(datetime.datetime.now(datetime.timezone.utc)))
    work = lctest.tempdir()
    log, mode = os.path.join(work, "hooks.jsonl"), os.path.join(work, "mode")
    recv = lctest.Server("webhook_receiver.py", "--log", log, "--mode-file", mode)
    url_secret, hmac_secret, routing_key = "T0ps3cretPath99", "hmac-s3cret-value", "R0utingKey77abc"
    state_dir = os.path.join(work, "state")
    os.mkdir(state_dir)
    metrics = os.path.join(work, "logcanary.prom")
    cfg = {"aws": lctest.radosgw_aws(),
           "state_dir": state_dir,
           "alerts": {"renotify": "2s", "webhooks": [
               {"name": "ops", "type": "generic",
                "url": f"{recv.url}/hooks/{url_secret}", "secret": hmac_secret},
               {"name": "pager", "type": "pagerduty", "url": f"{recv.url}/pd",
                "routing_key": routing_key}]},
           "targets": [{"name": b, "bucket": b, "canary": {"enabled": False},
                        "sources": [src("cloudtrail")]}]}
    cfg_path = lctest.write_config(cfg)
    outputs = []

    def cron_run():
        p = lctest.run_agent("check", "--config", cfg_path, "--metrics-file", metrics, "--verbose")
        outputs.extend([p.stdout, p.stderr, open(metrics).read()])
        return p.returncode

    def hooks():
        return [json.loads(x) for x in open(log)] if os.path.exists(log) else []

    try:
        rc = cron_run()
        h = hooks()
        check("alerts: the stale stream's run exits 1", rc == 1, rc)
        check("alerts: one trigger per sink", sorted(x["path"].split("/")[1] for x in h) ==
              ["hooks", "pd"], [x["path"] for x in h])
        gen = [x for x in h if x["path"].startswith("/hooks/")]
        if gen:
            g = gen[0]
            want = "sha256=" + hmac.new(hmac_secret.encode(), (
                g["headers"]["x-logcanary-timestamp"] + "." + g["body"]).encode(),
                hashlib.sha256).hexdigest()
            check("alerts: the HMAC signature verifies",
                  g["headers"].get("x-logcanary-signature") == want)
            check("alerts: the generic body carries the finding",
                  json.loads(g["body"])["finding"]["code"] == "DELIVERY_MISSING")
        pd = [json.loads(x["body"]) for x in h if x["path"] == "/pd"]
        trigger_key = pd[0]["dedup_key"] if pd else None
        check("alerts: PagerDuty trigger", pd and pd[0]["event_action"] == "trigger", pd)

        cron_run()
        check("alerts: the next run is quiet", len(hooks()) == 2, len(hooks()))

        since = time.time()
        while time.time() < since + 2.5:
            time.sleep(0.05)  # the wall clock passes renotify (2s), no other process involved
        cron_run()
        check("alerts: re-notified after renotify", len(hooks()) == 4, len(hooks()))

        # The receiver fails for two runs while the stream recovers: the resolves wait.
        with open(mode, "w") as f:
            f.write("503")
        put_cloudtrail_delivery(b)
        check("alerts: recovered run exits 0 while the receiver is down", cron_run() == 0)
        cron_run()
        failed = [x for x in hooks()[4:] if x["status"] == 503]
        check("alerts: the receiver saw the attempts fail", len(failed) >= 2, len(failed))
        st = json.load(open(os.path.join(state_dir, "state.json")))
        check("alerts: undelivered resolves wait in the outbox", len(st.get("outbox", [])) == 2,
              len(st.get("outbox", [])))
        queued = sorted(int(x.get("seq", 0)) for x in st.get("outbox", []))
        os.unlink(mode)
        cron_run()
        ok = [x for x in hooks() if x["status"] == 200]
        last = ok[-2:]
        check("alerts: the resolves arrive when it returns",
              [json.loads(x["body"]).get("event_action", json.loads(x["body"]).get("event"))
               for x in last] in (["resolve", "resolve"],), [x["body"][:80] for x in last])
        # Each sink sends its own queue in order; the two sinks run side by side, so only the
        # items queued for them, each delivered, can be compared across sinks.
        seqs = [int(x["headers"].get("x-logcanary-delivery", 0)) for x in last]
        check("alerts: the queued items were delivered", sorted(seqs) == queued, (seqs, queued))
        pd_resolve = [json.loads(x["body"]) for x in last if x["path"] == "/pd"]
        check("alerts: PagerDuty resolve has the trigger's dedup_key",
              pd_resolve and pd_resolve[0]["dedup_key"] == trigger_key, pd_resolve)
        st = json.load(open(os.path.join(state_dir, "state.json")))
        check("alerts: outbox empty afterwards", len(st.get("outbox", [])) == 0)

        # Two runs at once: the lock serialises them; the state file stays valid.
        ps = [lctest.start_agent("check", "--config", cfg_path) for _ in range(2)]
        for p in ps:
            o, e = p.communicate(timeout=120)
            outputs.extend([o, e])
        check("alerts: concurrent runs both finish", all(p.returncode in (0, 1) for p in ps),
              [p.returncode for p in ps])
        state_text = open(os.path.join(state_dir, "state.json")).read()
        json.loads(state_text)
        check("alerts: the state file is valid after concurrent runs", True)
        outputs.append(state_text)
        leaked = lctest.leaked((url_secret, hmac_secret, routing_key, ENV["LC_S3_SECRET_KEY"]),
                               *outputs)
        check("alerts: no secret in stdout, stderr, metrics or state", not leaked, leaked)
        check("alerts: metrics file has the stream", "logcanary_stream_status" in outputs[-3] or
              any("logcanary_stream_status" in o for o in outputs))
    finally:
        recv.stop()


def scenario_no_credentials():
    """Could not run at all: no credentials anywhere. Never reported as a missing delivery."""
    b = bucket_name("healthy")
    cfg = {"aws": lctest.radosgw_aws(),
           "targets": [{"name": "t", "bucket": b, "sources": [src("cloudtrail")]}]}
    p = lctest.run_agent("check", "--config", lctest.write_config(cfg), "--format", "json",
                         user=None)
    r = json.loads(p.stdout)
    check("no credentials: exit 3", p.returncode == 3, p.returncode)
    check("no credentials: status error", r["status"] == "error", r["status"])
    check("no credentials: PROBE_ERROR only (not DELIVERY_MISSING)",
          set(codes(r)) == {"PROBE_ERROR"}, codes(r))


# ---- AWS WAF: web ACL logs in an aws-waf-logs-* bucket (probes/FACTS.md, "waf") -------------

WAF_STATUS_KEY = "ASIALOGCANARYWAF0001"  # the status role's session


def waf_bucket(tag):
    return f"aws-waf-logs-lc-{tag}-{RUN}"


def waf_newest(summary, acl):
    return summary["streams"][f"waf/{ACCT}/{REGION}/{acl}"]["newest"]


def scenario_waf_healthy(key1):
    """Three hours of deliveries of the seeder's two web ACLs (shop-prod, api_gateway_v2): their
    folders are found by one listing, each is listed from the window's start, the newest file is a
    JSON Lines WAF log."""
    b = waf_bucket("healthy")
    summary = seed(b, "--sources", "waf", "--hours", "3", "--kms-key-id", key1)
    rc, r, err = run_check(b, [src("waf")], kms_key=key1)
    check("waf healthy: exit 0", rc == 0, f"rc={rc} {err} {codes(r)}")
    check("waf healthy: status ok, no findings", r["status"] == "ok" and r["findings"] == [],
          codes(r))
    st = stream(r, "waf")
    check("waf healthy: the stream's prefix is the region's WAFLogs folder",
          st["prefix"] == f"AWSLogs/{ACCT}/WAFLogs/{REGION}/", st["prefix"])
    # Both web ACLs' last slot is 11:55; the equal times leave the greater key.
    check("waf healthy: the newest is the 11:55 file of a web ACL",
          st["newest_key"] == waf_newest(summary, "shop-prod") and "/11/55/" in st["newest_key"],
          st["newest_key"])
    sm = st["sample"] or {}
    check("waf healthy: sample valid, format waf json lines",
          sm.get("valid") is True and sm.get("format") == "waf json lines", sm)
    check("waf healthy: every record of the file read", sm.get("records") == 20, sm)
    check("waf healthy: the newest record is inside the file's 5 minutes",
          0 < (sm.get("newest_record_age_s") or 0) <= 300, sm)
    # The web ACL folders (1 listing), each web ACL from 10:45 (2), the sample (1): the files
    # from 09:00 to 10:40 are never listed.
    check("waf healthy: requests = 4", st["requests"] == 4, st["requests"])
    check("waf healthy: only the window's files seen (2 x 10:45 ... 11:55)",
          st["objects_seen"] == 2 * 15, st["objects_seen"])
    check("waf healthy: canary ok with the expected key",
          r["canaries"][0]["status"] == "ok" and r["canaries"][0]["kms_key_arn"] == key1,
          r["canaries"])
    # Named web ACLs: no folder listing, only theirs.
    rc, r, err = run_check(b, [src("waf", web_acls=["api_gateway_v2"])], kms_key=key1,
                           extra=["--no-canary"])
    st = stream(r, "waf")
    check("waf named web ACL: exit 0", rc == 0, f"rc={rc} {err} {codes(r)}")
    check("waf named web ACL: its own newest file",
          st["newest_key"] == waf_newest(summary, "api_gateway_v2"), st["newest_key"])
    check("waf named web ACL: requests = 2, 15 files seen",
          (st["requests"], st["objects_seen"]) == (2, 15), (st["requests"], st["objects_seen"]))


def waf_status_fixture(pages):
    """The control-plane fixture for the status role: AssumeRole, then ListLoggingConfigurations
    answering pages (a list of LoggingConfigurations lists, chained by NextMarker)."""
    rules = []
    for i, configs in enumerate(pages):
        body = {"LoggingConfigurations": configs}
        if i + 1 < len(pages):
            body["NextMarker"] = f"page-{i + 2}"
        rules.append({"match": {"NextMarker": f"page-{i + 1}"}, "respond": {"body": body}})
    del rules[0]["match"]
    rules.append(rules.pop(0))  # the first match wins: the page without a marker last
    return lctest.CpFixture({
        "region": REGION,
        "credentials": {ENV["LC_S3_ACCESS_KEY"]: {"secret": ENV["LC_S3_SECRET_KEY"]}},
        "operations": {
            "sts.AssumeRole": {"body": {"Credentials": {
                "AccessKeyId": WAF_STATUS_KEY, "SecretAccessKey": "waf-status-secret",
                "SessionToken": "waf-status-token"},
                "AssumedRoleUser": {
                    "AssumedRoleId": "AROA:logcanary-status",
                    "Arn": f"arn:aws:sts::{ACCT}:assumed-role/logcanary-status/x"}}},
            "wafv2.ListLoggingConfigurations": rules}})


def waf_acl_arn(name):
    return (f"arn:aws:wafv2:{REGION}:{ACCT}:regional/webacl/{name}/"
            "3f1d2c4b-5a6e-4f70-8b9c-0d1e2f3a4b5c")


def scenario_waf_stale():
    """Deliveries stopped three hours ago: stale, with the newest file found; then the same with
    the status role, once when a web ACL's logging configuration names the bucket (on the second
    page) and once when none does."""
    b = waf_bucket("stale")
    summary = seed(b, "--sources", "waf", "--hours", "8", "--stop-before", "3h")
    rc, r, err = run_check(b, [src("waf")], extra=["--no-canary"])
    st = stream(r, "waf")
    check("waf stale: exit 1", rc == 1, f"rc={rc} {err}")
    check("waf stale: status stale", st["status"] == "stale", st["status"])
    check("waf stale: the newest found is the 08:55 file",
          st["newest_key"] == waf_newest(summary, "shop-prod"), st["newest_key"])
    # dated by its name plus WAF's latency allowance (15 min): 12:00 - 09:10
    check("waf stale: newest 2h50m old", st["newest_age_s"] == 10200, st["newest_age_s"])
    # window: folders + 2 web ACLs (empty); lookback: folders + 2 web ACLs; the sample
    check("waf stale: requests = 7", st["requests"] == 7, st["requests"])
    check("waf stale: DELIVERY_MISSING (and radosgw's GetBucketEncryption gap)",
          codes(r) == ["DELIVERY_MISSING", "DIAGNOSIS_INCOMPLETE"], codes(r))
    miss = [f for f in r["findings"] if f["code"] == "DELIVERY_MISSING"]
    ev = miss[0]["evidence"] if miss else {}
    check("waf stale: the finding names the newest and its age",
          ev.get("newest_key") == st["newest_key"] and ev.get("newest_age_s") == 10200 and
          "no delivery newer than 1h" in miss[0]["summary"], miss)
    check("waf stale: the sample of the old file is valid",
          (st["sample"] or {}).get("valid") is True, st["sample"])

    role = "arn:aws:iam::{account}:role/logcanary-status"
    ours = {"ResourceArn": waf_acl_arn("shop-prod"), "LogDestinationConfigs": [f"arn:aws:s3:::{b}"]}
    others = [
        {"ResourceArn": waf_acl_arn("intranet"),
         "LogDestinationConfigs": ["arn:aws:s3:::aws-waf-logs-elsewhere"]},
        # a bucket whose name starts with ours is not ours
        {"ResourceArn": waf_acl_arn("partner_api"),
         "LogDestinationConfigs": [f"arn:aws:s3:::{b}-archive"]},
        {"ResourceArn": waf_acl_arn("kinesis-acl"), "LogDestinationConfigs": [
            f"arn:aws:firehose:{REGION}:{ACCT}:deliverystream/aws-waf-logs-stream"]}]
    for tag, pages, want in (("logging", [others, [ours]], [("shop-prod", ours["ResourceArn"])]),
                             ("not logging", [others], [])):
        with waf_status_fixture(pages) as fx:
            rc, r, err = run_check(b, [src("waf", status_role_arn=role)], extra=["--no-canary"],
                                   endpoints={"sts": fx.url, "wafv2": fx.url})
        check(f"waf status {tag}: exit 1, the same findings (no status failure)",
              rc == 1 and codes(r) == ["DELIVERY_MISSING", "DIAGNOSIS_INCOMPLETE"],
              f"rc={rc} {codes(r)} {err}")
        miss = [f for f in r["findings"] if f["code"] == "DELIVERY_MISSING"]
        ev = miss[0]["evidence"] if miss else {}
        found = [(a.get("web_acl"), a.get("resource_arn"))
                 for a in (ev.get("service_status") or {}).get("web_acls", [None]) if a]
        check(f"waf status {tag}: the report shows the web ACLs logging to the bucket",
              found == want and "service_status" in ev, ev.get("service_status"))
        said = ev.get("service_summary", "")
        check(f"waf status {tag}: what WAF says", (
            f"1 web ACL(s) log to s3://{b}" in said if want else
            f"no web ACL in {ACCT} {REGION} logs to s3://{b}" in said), said)
        calls = fx.log()
        ops = [(x["operation"], x["access_key"], x["sig_ok"]) for x in calls]
        want_ops = [("AssumeRole", ENV["LC_S3_ACCESS_KEY"], True)] + \
            [("ListLoggingConfigurations", WAF_STATUS_KEY, True)] * len(pages)
        check(f"waf status {tag}: AssumeRole, then every page as the status role", ops == want_ops,
              ops)
        params = [x["params"] for x in calls if x["operation"] == "ListLoggingConfigurations"]
        check(f"waf status {tag}: REGIONAL scope, 100 a page, the next page by its marker",
              params == [{"Scope": "REGIONAL", "Limit": 100}] +
              [{"Scope": "REGIONAL", "Limit": 100, "NextMarker": f"page-{i + 2}"}
               for i in range(len(pages) - 1)], params)
        check(f"waf status {tag}: asked in the stream's region",
              all(x["region"] == REGION for x in calls), [x["region"] for x in calls])


def scenario_waf_damaged():
    """The newest WAF file of each web ACL truncated, or with a line of text in the middle: the
    finding names the file and what is wrong with it."""
    b = waf_bucket("damaged")
    for tag, flag, reason in (("truncated", "--truncate", "gzip stream truncated (no trailer)"),
                              ("bad line", "--bad-line", "WAF log line 11 is not JSON")):
        prefix = tag.replace(" ", "-")
        summary = seed(b, "--sources", "waf", "--hours", "1", "--prefix", prefix, flag, "newest")
        rc, r, err = run_check(b, [src("waf")], prefix=prefix, extra=["--no-canary"])
        st = stream(r, "waf")
        check(f"waf {tag}: exit 1, status invalid", rc == 1 and st["status"] == "invalid",
              f"rc={rc} {err} {json.dumps(st)}")
        check(f"waf {tag}: SAMPLE_INVALID only", codes(r) == ["SAMPLE_INVALID"], codes(r))
        f = r["findings"][0] if r["findings"] else {"evidence": {}, "summary": ""}
        damaged = {d["key"] for d in summary["damaged"]}
        check(f"waf {tag}: the finding names the damaged newest file",
              f["evidence"].get("key") == st["newest_key"] and st["newest_key"] in damaged and
              st["newest_key"] in f["summary"], (f["evidence"].get("key"), sorted(damaged)))
        check(f"waf {tag}: and what is wrong: {reason}", reason in f["evidence"].get("reason", ""),
              f["evidence"].get("reason"))
        check(f"waf {tag}: requests = 4", st["requests"] == 4, st["requests"])


def main():
    key1, key2 = ENV["LC_KMS_KEY_1"], ENV["LC_KMS_KEY_2"]
    scenario_healthy(key1)
    scenario_stale_and_empty()
    scenario_html_report(key1)
    scenario_damaged()
    scenario_parquet_and_org_trail()
    scenario_denied_reads()
    scenario_keys(key1, key2)
    scenario_cheap_listing()
    scenario_no_credentials()
    scenario_disabled_key(key1)
    scenario_wait()
    scenario_config_channel_failure()
    scenario_key_policy_gap(key1)
    scenario_alerts()
    scenario_bucket_policy_gap()
    scenario_waf_healthy(key1)
    scenario_waf_stale()
    scenario_waf_damaged()
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
