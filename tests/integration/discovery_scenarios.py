#!/usr/bin/python3
"""Expected streams end to end: `logcanary check` with "accounts": "organization" and "regions":
"governed" against a real S3 server (radosgw, seeded with CloudTrail deliveries) and the
control-plane fixture serving AWS Organizations and AWS Control Tower (signatures verified).

The organization: three accounts deliver, one stopped three hours ago, one joined yesterday and
never delivered (a warning), one joined last month and never delivered (critical), one is
excluded by the config, one is suspended; an account outside the organization delivers into the
bucket too (unmonitored). Then: governed regions that add a region with nothing delivered; the
discovered lists reused from state_dir, a discovery outage served from them, an outage with
nothing kept (exit 3), an unknown organizational unit and a missing landing zone named in the
report.

    discovery_scenarios.py            (needs LC_RADOSGW_ENV, LC_BINARY)
"""
import datetime
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import lctest  # noqa: E402
from lctest import iso  # noqa: E402

ENV = lctest.radosgw_env()
RUN = os.getpid()
NOW = lctest.yesterday_noon()
NOW_ISO = iso(NOW)
REGION = "ap-northeast-1"
HOME = REGION  # the landing zone's home region (always governed)
MGMT = "111122223333"

ACCOUNTS = {  # id: (name, status, joined, what it does)
    "210000000001": ("prod-a", "ACTIVE", NOW - datetime.timedelta(days=400), "delivers"),
    "210000000002": ("prod-b", "ACTIVE", NOW - datetime.timedelta(days=300), "delivers"),
    "210000000003": ("shared", "ACTIVE", NOW - datetime.timedelta(days=200), "delivers"),
    "210000000004": ("legacy", "ACTIVE", NOW - datetime.timedelta(days=500), "stopped"),
    "210000000005": ("new-team", "ACTIVE", NOW - datetime.timedelta(hours=20), "never"),
    "210000000006": ("forgotten", "ACTIVE", NOW - datetime.timedelta(days=30), "never"),
    "210000000007": ("sandbox", "ACTIVE", NOW - datetime.timedelta(days=90), "excluded"),
    "210000000008": ("old", "SUSPENDED", NOW - datetime.timedelta(days=900), "suspended"),
}
OUTSIDER = "299999999999"  # delivers, not in the organization

check = lctest.Checks()


def organization():
    return {
        "organization": {"Id": "o-lc0123456789", "MasterAccountId": MGMT},
        "root": {"Id": "r-lc01", "Name": "Root"},
        "ous": [{"Id": "ou-lc01-workload", "Name": "Workloads"},
                {"Id": "ou-lc01-prodprod", "Name": "Prod", "parent": "ou-lc01-workload"}],
        "accounts": [{"Id": a, "Name": n, "Status": st, "JoinedTimestamp": int(j.timestamp()),
                      "parent": "ou-lc01-prodprod" if a.endswith("1") else "r-lc01"}
                     for a, (n, st, j, _) in ACCOUNTS.items()],
    }


def landing_zone(governed):
    return {"landing_zones": [{
        "arn": f"arn:aws:controltower:{HOME}:{MGMT}:landingzone/1A2B3C4D5E6F7G8H",
        "version": "3.3", "latestAvailableVersion": "3.3", "status": "ACTIVE",
        "driftStatus": {"status": "IN_SYNC"},
        "manifest": {"governedRegions": governed,
                     "organizationStructure": {"security": {"name": "Security"}},
                     "centralizedLogging": {"accountId": "210000000003", "enabled": True,
                                            "configurations": {
                                                "loggingBucket": {"retentionDays": 365},
                                                "accessLoggingBucket": {"retentionDays": 365}}},
                     "securityRoles": {"accountId": "210000000002"},
                     "accessManagement": {"enabled": True}}}]}


def fixture(operations=None, landing_zones=None):
    scn = {"region": HOME, "account": MGMT,
           "credentials": {ENV["LC_S3_ACCESS_KEY"]: {"secret": ENV["LC_S3_SECRET_KEY"]}},
           "organizations": organization(),
           "controltower": landing_zones if landing_zones is not None
           else landing_zone([REGION, "eu-west-1"])}
    if operations:
        scn["operations"] = operations
    return lctest.CpFixture(scn)


def seed_bucket(bucket):
    common = ["--bucket", bucket, "--regions", REGION, "--sources", "cloudtrail", "--now",
              NOW_ISO, "--seed", "11", "--hours", "6"]
    delivering = [a for a, v in ACCOUNTS.items() if v[3] == "delivers"] + [OUTSIDER]
    lctest.seed(*common, "--accounts", ",".join(delivering))
    lctest.seed(*common, "--accounts", "210000000004", "--stop-before", "3h")
    lctest.seed(*common, "--accounts", "210000000007")  # excluded, but it delivers


def run_check(bucket, source, state_dir, fx, fmt="json", discovery=None):
    aws = lctest.radosgw_aws(endpoints={"organizations": fx.url, "controltower": fx.url})
    disc = {"control_tower": {"region": HOME}}
    disc.update(discovery or {})
    cfg = {"aws": aws, "state_dir": state_dir, "discovery": disc,
           "targets": [{"name": "archive", "bucket": bucket, "canary": {"enabled": False},
                        "sources": [source]}]}
    p = lctest.run_agent("check", "--config", lctest.write_config(cfg), "--format", fmt,
                         "--now", NOW_ISO)
    check(f"{bucket}: no secret in the output",
          not lctest.leaked([ENV["LC_S3_SECRET_KEY"]], p.stdout, p.stderr))
    if fmt != "json":
        return p.returncode, p.stdout, p.stderr
    try:
        return p.returncode, json.loads(p.stdout), p.stderr
    except ValueError:
        print(p.stdout, p.stderr, file=sys.stderr)
        raise


def org_source(**kw):
    s = {"type": "cloudtrail", "accounts": "organization", "regions": [REGION],
         "exclude_accounts": ["210000000007"], "max_age": "20m"}
    s.update(kw)
    return s


def by_account(report):
    return {s["account"]: s for s in report["streams"]}


def findings(report, code):
    return [f for f in report["findings"] if f["code"] == code]


def scenario_organization(bucket, state_dir):
    with fixture() as fx:
        rc, r, err = run_check(bucket, org_source(), state_dir, fx)
        org_calls = [(x["operation"], x["sig_ok"]) for x in fx.log("organizations")]
        rc_text, text, _ = run_check(bucket, org_source(), state_dir, fx, fmt="text")
    check("organization: exit 1 (problems)", rc == 1, f"rc={rc} {err}")
    s = by_account(r)
    want = {a for a, v in ACCOUNTS.items() if v[3] in ("delivers", "stopped", "never")}
    check("organization: a stream per expected account, no more", set(s) == want, sorted(s))
    for a, (name, _, _, what) in ACCOUNTS.items():
        if a not in s:
            continue
        st = s[a]
        status = {"delivers": "ok", "stopped": "stale", "never": "missing"}[what]
        check(f"organization: {name} is {status}", st["status"] == status, st["status"])
        check(f"organization: {name} carries its name", st.get("account_name") == name,
              st.get("account_name"))
        by = set(st.get("expected_by", []))
        want_by = {"organization", "config"} | ({"bucket"} if what != "never" else set())
        check(f"organization: {name} expected by {sorted(want_by)}", by == want_by, sorted(by))
    nd = {f["account"]: f for f in findings(r, "NEVER_DELIVERED")}
    check("organization: NEVER_DELIVERED for the two that never delivered",
          set(nd) == {"210000000005", "210000000006"}, sorted(nd))
    if "210000000005" in nd and "210000000006" in nd:
        check("organization: joined yesterday: a warning (discovery.grace)",
              nd["210000000005"]["severity"] == "warning", nd["210000000005"]["severity"])
        check("organization: joined last month: critical",
              nd["210000000006"]["severity"] == "critical", nd["210000000006"]["severity"])
        check("organization: the finding names the account and when it joined",
              '"new-team"' in nd["210000000005"]["summary"]
              and nd["210000000005"]["evidence"].get("joined", "").endswith("Z"),
              nd["210000000005"]["summary"])
    miss = findings(r, "DELIVERY_MISSING")
    check("organization: DELIVERY_MISSING for the stopped one only",
          [f["account"] for f in miss] == ["210000000004"], [f["account"] for f in miss])
    un = findings(r, "UNMONITORED_DELIVERY")
    check("organization: the outsider delivering is reported (info), the excluded one is not",
          [(f["evidence"]["account"], f["severity"]) for f in un] == [(OUTSIDER, "info")],
          [(f["evidence"].get("account"), f["severity"]) for f in un])
    ne = {n["account"]: n["why"] for n in r.get("not_expected", [])}
    check("organization: the excluded and the suspended are listed as not expected",
          ne == {"210000000007": "exclude_accounts", "210000000008": "SUSPENDED"}, ne)
    cov = r.get("coverage", {})
    check("organization: coverage",
          (cov.get("accounts"), cov.get("streams"), cov.get("ok"), cov.get("stale"),
           cov.get("never_delivered"), cov.get("not_expected"), cov.get("unmonitored"))
          == (6, 6, 3, 1, 2, 2, 1), cov)
    d = r.get("discovery", {}).get("organization", {})
    check("organization: discovery read the organization now",
          (d.get("from"), d.get("org_id"), d.get("accounts")) == ("read", "o-lc0123456789", 8), d)
    check("organization: discovery cost 2 requests (DescribeOrganization, one ListAccounts page)",
          r["discovery"]["requests"] == 2 and [o for o, _ in org_calls]
          == ["DescribeOrganization", "ListAccounts"] and all(ok for _, ok in org_calls),
          (r["discovery"]["requests"], org_calls))
    # A healthy stream costs what it cost before discovery: a listing and a sample.
    check("organization: a healthy stream costs 2 requests",
          s["210000000001"]["requests"] == 2, s["210000000001"]["requests"])
    check("organization: the text report has the coverage line",
          rc_text == 1 and "coverage: 6 accounts x 1 region x 1 source = 6 streams expected: "
          "3 ok, 1 stale, 0 missing, 2 never delivered; 2 not expected, 1 unmonitored" in text,
          text[:600])
    check("organization: the text report says why some are not expected",
          "not expected: archive/cloudtrail 210000000008 (old): SUSPENDED" in text)
    kept = json.load(open(os.path.join(state_dir, "discovery.json")))
    check("organization: the lists are kept in state_dir",
          len(kept["organization"]["accounts"]) == 8)
    return r


def scenario_kept(bucket, state_dir):
    # Within discovery.refresh the kept lists are used: no call to Organizations.
    with fixture() as fx:
        rc, r, _ = run_check(bucket, org_source(), state_dir, fx)
        calls = fx.log("organizations")
    check("kept: no Organizations call within discovery.refresh", calls == [], calls)
    check("kept: discovery says kept",
          r["discovery"]["organization"]["from"] == "kept" and r["discovery"]["requests"] == 0,
          r["discovery"])
    check("kept: the same six streams", len(r["streams"]) == 6 and rc == 1, len(r["streams"]))
    # An outage once the lists are old: the kept ones are used, and the report says so.
    denied = {"organizations.ListAccounts": {
        "error": "AccessDeniedException",
        "message": "You don't have permissions to access this resource."}}
    with fixture(operations=denied) as fx:
        rc, r, _ = run_check(bucket, org_source(), state_dir, fx, discovery={"refresh": "0s"})
        calls = [x["operation"] for x in fx.log("organizations")]
    check("outage with kept lists: Organizations was asked", "ListAccounts" in calls, calls)
    check("outage with kept lists: discovery says stale, with the error",
          r["discovery"]["organization"]["from"] == "stale"
          and "AccessDeniedException" in r["discovery"]["organization"].get("error", ""),
          r["discovery"]["organization"])
    pe = findings(r, "PROBE_ERROR")
    check("outage with kept lists: one PROBE_ERROR warning says which list was used",
          len(pe) == 1 and pe[0]["severity"] == "warning"
          and "checked with the list read" in pe[0]["summary"], [f["summary"] for f in pe])
    check("outage with kept lists: the six streams are still checked, exit 1",
          len(r["streams"]) == 6 and rc == 1, (len(r["streams"]), rc))


def scenario_outage_nothing_kept(bucket):
    denied = {"organizations.DescribeOrganization": {
        "error": "AWSOrganizationsNotInUseException",
        "message": "Your account is not a member of an organization."}}
    with fixture(operations=denied) as fx:
        rc, r, err = run_check(bucket, org_source(), lctest.tempdir(), fx)
    check("outage, nothing kept: exit 3", rc == 3, f"rc={rc} {err}")
    check("outage, nothing kept: status error, no stream claimed healthy",
          r["status"] == "error" and r["streams"] == [], (r["status"], len(r["streams"])))
    pe = findings(r, "PROBE_ERROR")
    check("outage, nothing kept: PROBE_ERROR says the sources were not checked",
          len(pe) == 1 and "AWSOrganizationsNotInUseException" in pe[0]["summary"]
          and "were not checked" in pe[0]["summary"], [f["summary"] for f in pe])


def scenario_governed(bucket):
    # Listed account, governed regions: the landing zone adds eu-west-1, where nothing arrived.
    src = {"type": "cloudtrail", "accounts": ["210000000001"], "regions": "governed",
           "max_age": "20m"}
    with fixture() as fx:
        rc, r, err = run_check(bucket, src, lctest.tempdir(), fx)
        ct = [(x["operation"], x["region"], x["sig_ok"]) for x in fx.log("controltower")]
    regions = {s["region"]: s for s in r["streams"]}
    check("governed: a stream per governed region", set(regions) == {REGION, "eu-west-1"},
          sorted(regions))
    check("governed: the delivering region is ok",
          regions.get(REGION, {}).get("status") == "ok")
    nd = findings(r, "NEVER_DELIVERED")
    check("governed: the added region never delivered (critical)",
          [(f["region"], f["severity"]) for f in nd] == [("eu-west-1", "critical")],
          [(f["region"], f["severity"]) for f in nd])
    check("governed: expected by the config (account) and Control Tower (region)",
          set(regions["eu-west-1"]["expected_by"]) == {"config", "control_tower"},
          regions["eu-west-1"]["expected_by"])
    check("governed: ListLandingZones and GetLandingZone in the home region, signed",
          ct == [("ListLandingZones", HOME, True), ("GetLandingZone", HOME, True)], ct)
    check("governed: exit 1", rc == 1, f"rc={rc} {err}")


def scenario_bad_input(bucket):
    with fixture() as fx:
        rc, r, err = run_check(bucket, org_source(include_ous=["ou-lc01-nothere1"]),
                               lctest.tempdir(), fx)
    pe = findings(r, "PROBE_ERROR")
    check("unknown unit: exit 3, the report names the key and the unit",
          rc == 3 and len(pe) == 1 and "targets[0].sources[0].include_ous[0]: ou-lc01-nothere1 "
          "is not an organizational unit" in pe[0]["summary"], [f["summary"] for f in pe])
    with fixture(landing_zones={"landing_zones": []}) as fx:
        src = {"type": "cloudtrail", "accounts": ["210000000001"], "regions": "governed"}
        rc, r, err = run_check(bucket, src, lctest.tempdir(), fx)
    pe = findings(r, "PROBE_ERROR")
    check("no landing zone: exit 3, says there is none in the home region",
          rc == 3 and len(pe) == 1
          and f"no AWS Control Tower landing zone in {HOME}" in pe[0]["summary"],
          [f["summary"] for f in pe])
    # a value that is neither a list nor "organization": a usage error naming the key
    cfg = {"aws": lctest.radosgw_aws(), "targets": [{"name": "t", "bucket": bucket, "sources": [
        {"type": "cloudtrail", "accounts": "everyone", "regions": [REGION]}]}]}
    p = lctest.run_agent("check", "--config", lctest.write_config(cfg))
    check("accounts \"everyone\": exit 2 naming the key",
          p.returncode == 2 and "targets[0].sources[0].accounts: expected an array of strings, "
          "or the string \"organization\"" in p.stderr, p.stderr)


def scenario_preflight(bucket):
    # preflight reads the organization now (kept lists are no proof of a permission) and says
    # which discovery permissions logcanary has: all of them, then ListAccounts denied.
    state_dir = lctest.tempdir()
    denied = {"organizations.ListAccounts": {
        "error": "AccessDeniedException",
        "message": "You don't have permissions to access this resource."}}
    for tag, ops, want in (("preflight discovery", None, "allowed"),
                           ("preflight discovery denied", denied, "missing")):
        with fixture(operations=ops) as fx:
            aws = lctest.radosgw_aws(endpoints={"organizations": fx.url, "controltower": fx.url})
            cfg = {"aws": aws, "state_dir": state_dir,
                   "discovery": {"control_tower": {"region": HOME}},
                   "targets": [{"name": "archive", "bucket": bucket,
                                "canary": {"enabled": False},
                                "sources": [org_source(regions="governed",
                                                       include_ous=["ou-lc01-workload"])]}]}
            p = lctest.run_agent("preflight", "--config", lctest.write_config(cfg), "--format",
                                 "json", timeout=300)
            calls = [x["operation"] for x in fx.log()]
        r = json.loads(p.stdout)
        v = {c["permission"]: c["result"] for pr in r["principals"] for c in pr["checks"]
             if c["permission"].startswith(("organizations:", "controltower:"))}
        check(f"{tag}: organizations:ListAccounts {want}",
              v.get("organizations:ListAccounts") == want, v)
        check(f"{tag}: DescribeOrganization and Control Tower allowed",
              v.get("organizations:DescribeOrganization") == "allowed"
              and v.get("controltower:ListLandingZones") == "allowed"
              and v.get("controltower:GetLandingZone") == "allowed", v)
        if want == "allowed":
            check(f"{tag}: the unit listings allowed (the config names a unit)",
                  v.get("organizations:ListChildren") == "allowed"
                  and v.get("organizations:ListAccountsForParent") == "allowed", v)
            check(f"{tag}: read now, the second time too", calls.count("ListAccounts") == 1,
                  calls)
        else:
            check(f"{tag}: the unit listings not tried, saying why",
                  v.get("organizations:ListChildren") == "unknown", v)
            check(f"{tag}: exit 1", p.returncode == 1, f"rc={p.returncode} {p.stderr}")


def main():
    bucket = f"lc-disc-{RUN}"
    seed_bucket(bucket)
    state_dir = lctest.tempdir()
    scenario_organization(bucket, state_dir)
    scenario_kept(bucket, state_dir)
    scenario_outage_nothing_kept(bucket)
    scenario_governed(bucket)
    scenario_bad_input(bucket)
    scenario_preflight(bucket)
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
