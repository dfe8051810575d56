#!/usr/bin/python3
"""`logcanary run` (the daemon) end to end against radosgw with seeded deliveries.

One daemon runs through the whole story, with a systemd notify socket (an AF_UNIX datagram
socket bound in a temp dir) and WATCHDOG_USEC set:
  start      READY=1, WATCHDOG=1, the first checks of each schedule, /healthz 200, /metrics with
             the stream and canary metrics, --metrics-file written, 404 elsewhere
  bad HUP    a broken config file: an error on stderr, the old config keeps running (a later
             check line), /healthz still 200, no RELOADING=1 / READY=1 for it
  good HUP   a changed config: RELOADING=1 then READY=1, the new target's checks and metrics;
             a deliberately slow source (60 empty streams, 2 connections) overlaps its own
             interval: the skipped tick is logged; its DELIVERY_MISSING findings open
             incidents whose alerts reach a generic webhook (a local HTTP receiver)
  SIGTERM    while that slow check is in flight: STOPPING=1, exit 0 within the deadline

Every wait is on the daemon's own output (stderr lines, notify datagrams, HTTP answers) and has
a deadline; nothing sleeps to synchronise.

    run_daemon.py            (needs LC_RADOSGW_ENV, LC_BINARY)
"""
import http.server
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import lctest  # noqa: E402

ENV = lctest.radosgw_env()
RUN = os.getpid()
ACCT = "111111111111"
REGION = "ap-northeast-1"
SHUTDOWN_S = 10

check = lctest.Checks()


def seed(bucket, sources):
    lctest.seed("--bucket", bucket, "--accounts", ACCT, "--regions", REGION, "--sources", sources,
                "--hours", "1", "--seed", "7", "--kms-key-id", ENV["LC_KMS_KEY_1"])


def src(kind, **kw):
    d = {"type": kind, "accounts": [ACCT], "regions": [REGION]}
    d.update(kw)
    return d


def config(state_dir, targets, webhook=None):
    # Two connections: the slow source below really takes seconds per check.
    cfg = {"aws": lctest.radosgw_aws(max_concurrency=2, max_per_host=2),
           "state_dir": state_dir, "targets": targets}
    if webhook:
        cfg["alerts"] = {"webhooks": [{"name": "hook", "type": "generic", "url": webhook}]}
    return cfg


class Hooks:
    """A generic webhook receiver on loopback: collects the JSON bodies."""

    def __init__(self):
        self.cv = threading.Condition()
        self.bodies = []
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                self.send_response(200)
                self.end_headers()
                with outer.cv:
                    outer.bodies.append(json.loads(body))
                    outer.cv.notify_all()

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.srv.server_address[1]}/hook"
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def wait(self, pred, timeout=60):
        deadline = time.monotonic() + timeout
        with self.cv:
            while not any(pred(b) for b in self.bodies):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cv.wait(left)
            return True

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


class Daemon:
    """The daemon with its stderr lines and notify datagrams collected by threads."""

    def __init__(self, cfg, tmp):
        self.cv = threading.Condition()
        self.lines, self.notes = [], []
        self.sock_path = os.path.join(tmp, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.sock_path)
        self.sock.settimeout(0.2)
        self.metrics_file = os.path.join(tmp, "logcanary.prom")
        self.proc = lctest.start_agent(
            "run", "--config", cfg, "--listen", "127.0.0.1:0", "--metrics-file",
            self.metrics_file, "--shutdown-timeout", f"{SHUTDOWN_S}s",
            env_extra={"NOTIFY_SOCKET": self.sock_path, "WATCHDOG_USEC": "1000000"},
            stdin=subprocess.DEVNULL)
        self.stop = False
        self.threads = [threading.Thread(target=self._read_err, daemon=True),
                        threading.Thread(target=self._read_notes, daemon=True)]
        for t in self.threads:
            t.start()

    def _read_err(self):
        for line in self.proc.stderr:
            with self.cv:
                self.lines.append(line.rstrip("\n"))
                self.cv.notify_all()
        with self.cv:
            self.lines.append(None)  # EOF
            self.cv.notify_all()

    def _read_notes(self):
        while not self.stop:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            with self.cv:
                self.notes.append(data.decode())
                self.cv.notify_all()

    def wait_line(self, pattern, start=0, timeout=60):
        """Index of the first stderr line at or after start matching pattern, or None."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cv:
            while True:
                for i in range(start, len(self.lines)):
                    if self.lines[i] is not None and rx.search(self.lines[i]):
                        return i
                left = deadline - time.monotonic()
                if left <= 0 or (self.lines and self.lines[-1] is None):
                    return None
                self.cv.wait(left)

    def count_notes(self, msg):
        with self.cv:
            return sum(msg in n.split("\n") for n in self.notes)

    def wait_note(self, msg, count=1, timeout=60):
        deadline = time.monotonic() + timeout
        with self.cv:
            while True:
                if sum(msg in n.split("\n") for n in self.notes) >= count:
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cv.wait(left)

    def stderr_text(self):
        with self.cv:
            return "\n".join(x for x in self.lines if x is not None)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.stop = True
        for t in self.threads:
            t.join(5)
        self.sock.close()


def http_get(port, path):
    status, headers, body = lctest.http(f"http://127.0.0.1:{port}{path}")
    return status, headers.get("Content-Type", ""), body


def stream_ok(metrics, target, source):
    return (f'logcanary_stream_status{{target="{target}",source="{source}",account="{ACCT}",'
            f'region="{REGION}",status="ok"}} 1') in metrics


def main():
    bucket, bucket2 = f"lc-run-{RUN}", f"lc-run2-{RUN}"
    seed(bucket, "vpcflowlogs,cloudtrail")
    seed(bucket2, "cloudtrail")
    tmp = lctest.tempdir()
    state_dir = os.path.join(tmp, "state")
    cfg_path = os.path.join(tmp, "logcanary.json")
    logs = {"name": "logs", "bucket": bucket, "kms_key_arn": ENV["LC_KMS_KEY_1"],
            "sources": [src("vpcflowlogs", interval="2s"), src("cloudtrail", interval="3s")]}
    write_atomic(cfg_path, json.dumps(config(state_dir, [logs])))
    d = Daemon(cfg_path, tmp)
    hooks = Hooks()
    try:
        story(d, hooks, cfg_path, state_dir, logs, bucket2)
    finally:
        d.close()
        hooks.close()
        text = d.stderr_text()
        check("no secret on stderr", ENV["LC_S3_SECRET_KEY"] not in text)
        if check.failed:
            print("---- daemon stderr ----\n" + text, file=sys.stderr)
    return check.summary()


def story(d, hooks, cfg_path, state_dir, logs, bucket2):
    # ---- start ----
    check("start: READY=1", d.wait_note("READY=1", timeout=60), d.notes)
    i = d.wait_line(r"\[run\] listening on 127\.0\.0\.1:(\d+)")
    check("start: the bound port is logged", i is not None)
    if i is None:
        return
    port = int(re.search(r"listening on 127\.0\.0\.1:(\d+)", d.lines[i]).group(1))
    check("start: WATCHDOG=1 (WATCHDOG_USEC=1s)", d.wait_note("WATCHDOG=1", timeout=10), d.notes)
    a = d.wait_line(r"\[run\] checked logs/vpcflowlogs: ok, 1/1 stream\(s\) ok, canary ok")
    b = d.wait_line(r"\[run\] checked logs/cloudtrail: ok, 1/1 stream\(s\) ok, 0 finding")
    check("start: both schedules checked, the canary with the most frequent one",
          a is not None and b is not None)
    status, _, body = http_get(port, "/healthz")
    check("start: /healthz 200 ok", status == 200 and body.strip() == "ok", (status, body))
    status, ctype, body = http_get(port, "/metrics")
    check("start: /metrics 200 in the Prometheus text format",
          status == 200 and "version=0.0.4" in ctype, (status, ctype))
    check("start: /metrics has both streams ok",
          stream_ok(body, "logs", "vpcflowlogs") and stream_ok(body, "logs", "cloudtrail"), body)
    check("start: /metrics has the canary",
          'logcanary_canary_status{target="logs",bucket="' in body, body)
    check("start: /metrics has the AWS request counters",
          'logcanary_aws_requests_total{service="s3"}' in body)
    check("start: no secret in /metrics", ENV["LC_S3_SECRET_KEY"] not in body)
    status, _, _ = http_get(port, "/secret")
    check("start: 404 elsewhere", status == 404, status)
    try:
        mf = open(d.metrics_file).read()
    except OSError as e:
        mf = str(e)
    check("start: --metrics-file written", stream_ok(mf, "logs", "vpcflowlogs"), mf[:200])
    check("start: incident state written",
          os.path.exists(os.path.join(state_dir, "state.json")))
    status_notes = [n for n in d.notes if n.startswith("STATUS=")]
    check("start: STATUS= after checks", any("logs/" in n for n in status_notes), status_notes)

    # ---- a broken config: rejected, the old one keeps running ----
    ready_before = d.count_notes("READY=1")
    reloading_before = d.count_notes("RELOADING=1")
    good_text = open(cfg_path).read()
    write_atomic(cfg_path, good_text[: len(good_text) // 2])
    mark = len(d.lines)
    d.proc.send_signal(signal.SIGHUP)
    i = d.wait_line(r"error: \[run\] reload rejected, keeping the running configuration: .*"
                    + re.escape(os.path.basename(cfg_path)), start=mark, timeout=30)
    check("bad reload: an error naming the file", i is not None, d.lines[mark:])
    j = d.wait_line(r"\[run\] checked logs/", start=(i or mark) + 1, timeout=30)
    check("bad reload: still checking with the old config", j is not None)
    status, _, body = http_get(port, "/healthz")
    check("bad reload: still serving, healthy", status == 200, (status, body))
    check("bad reload: no READY=1 / RELOADING=1 for it",
          d.count_notes("READY=1") == ready_before
          and d.count_notes("RELOADING=1") == reloading_before, d.notes[-5:])
    check("bad reload: still running", d.proc.poll() is None)

    # ---- a valid changed config: a new target and a slow source ----
    fresh = {"name": "fresh", "bucket": bucket2, "kms_key_arn": ENV["LC_KMS_KEY_1"],
             "canary": {"enabled": False}, "sources": [src("cloudtrail", interval="2s")]}
    slow = {"name": "slow", "bucket": bucket2, "canary": {"enabled": False},
            "sources": [{"type": "cloudtrail", "interval": "2s",
                         "accounts": [str(200000000000 + k) for k in range(10)],
                         "regions": ["us-east-1", "us-east-2", "us-west-1", "us-west-2",
                                     "eu-west-1", "eu-central-1"]}]}
    write_atomic(cfg_path, json.dumps(config(state_dir, [logs, fresh, slow], hooks.url)))
    mark = len(d.lines)
    d.proc.send_signal(signal.SIGHUP)
    check("good reload: RELOADING=1", d.wait_note("RELOADING=1", reloading_before + 1, 30))
    check("good reload: READY=1 again", d.wait_note("READY=1", ready_before + 1, 30))
    i = d.wait_line(r"\[run\] checked fresh/cloudtrail: ok", start=mark, timeout=30)
    check("good reload: the new target is checked", i is not None)
    status, _, body = http_get(port, "/metrics")
    check("good reload: the new target in /metrics", stream_ok(body, "fresh", "cloudtrail"),
          body[:500])
    # the slow source's accounts never delivered anything: NEVER_DELIVERED
    check("good reload: NEVER_DELIVERED of the slow source alerted through the webhook",
          hooks.wait(lambda b: b.get("event") == "trigger"
                     and b.get("finding", {}).get("code") == "NEVER_DELIVERED"
                     and b.get("finding", {}).get("target") == "slow"),
          [b.get("incident_key") for b in hooks.bodies][:5])
    state = json.load(open(os.path.join(state_dir, "state.json")))
    keys = [x.get("key", "") for x in state.get("incidents", [])]
    check("good reload: the incidents are in the state file",
          any(k.startswith("NEVER_DELIVERED/slow/cloudtrail/") for k in keys), keys[:5])
    mark = len(d.lines)
    i = d.wait_line(r"\[run\] slow/cloudtrail: previous check still running .*skipping",
                    start=mark, timeout=60)
    check("good reload: an overlapping tick is skipped and logged", i is not None)

    # ---- SIGTERM while the slow check is in flight ----
    if i is not None:
        mark = i + 1
    t0 = time.monotonic()
    d.proc.send_signal(signal.SIGTERM)
    try:
        rc = d.proc.wait(SHUTDOWN_S + 10)
    except subprocess.TimeoutExpired:
        rc = None
    took = time.monotonic() - t0
    check("stop: exit 0", rc == 0, rc)
    check(f"stop: within the {SHUTDOWN_S}s deadline (+ grace)", took < SHUTDOWN_S + 6, took)
    check("stop: STOPPING=1", d.wait_note("STOPPING=1", timeout=5), d.notes[-5:])
    i = d.wait_line(r"\[run\] SIGTERM: stopping; ([1-9]\d*) operation\(s\) in flight",
                    start=mark, timeout=5)
    check("stop: checks were in flight at SIGTERM", i is not None, d.lines[mark:mark + 20])
    check("stop: the in-flight check finished before exit",
          d.wait_line(r"\[run\] checked slow/cloudtrail", start=i or mark, timeout=5)
          is not None)
    check("stop: clean exit logged", d.wait_line(r"\[run\] stopped", start=mark, timeout=5)
          is not None)


if __name__ == "__main__":
    sys.exit(main())
