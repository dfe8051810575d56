"""Plumbing shared by the Python tests and test servers; each test keeps its own data and checks.

A script finds this module relative to its own file, however it is started (ctest runs it by
absolute path, under LC_PYTHON = /usr/bin/python3):

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
    import lctest  # noqa: E402

Standard library only; botocore (Debian's python3-botocore) is imported when a client or session
is made.

  Checks                 pass/fail counters: "ok   WHAT" / "FAIL WHAT DETAIL", "N passed, M failed"
  radosgw_env()          the radosgw fixture's KEY=value file (LC_RADOSGW_ENV, servers/radosgw.sh)
  user_keys(), s3_client(), radosgw_aws()
                         its two users ("owner", "other"), a botocore S3 client as one of them,
                         the "aws" section of a logcanary config that points at it
  run_seeder(), seed()   seed/seed_deliveries.py against it, as the owner
  agent_env(), run_agent(), start_agent()
                         the logcanary binary (LC_BINARY) in a clean environment with a user's
                         credentials (or none), the sanitizer options passed through
  tempdir(), write_config()
                         scratch directories and config files, removed when the script exits
  botocore_session()     a botocore session that also reads servers/models (MODELS): operations
                         newer than Debian's botocore, merged into its models
  Server, CpFixture      a servers/ script on loopback ("LISTENING <port>"), stopped by its pid;
                         the control-plane fixture on a scenario, with its request log;
  kms_key_ops()          its answers for a customer managed KMS key
  LoopbackServer         the server side of that: bind 127.0.0.1:0, announce the port, serve
  leaked(), http(), iso(), yesterday_noon()
"""
import datetime
import functools
import http.server
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

PYTHON = "/usr/bin/python3"
TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVERS = os.path.join(TESTS, "servers")
SEEDER = os.path.join(TESTS, "seed", "seed_deliveries.py")
# botocore data directory of model supplements: <service>/<api version>/service-2.sdk-extras.json
# (and paginators-1.sdk-extras.json) are merged by botocore's loader into the model it ships.
# Give it to /usr/bin/aws as AWS_DATA_PATH.
MODELS = os.path.join(SERVERS, "models")


# ---- pass/fail counting ---------------------------------------------------------------------

class Checks:
    """check = Checks(); check(what, cond, detail) counts one assertion and prints "ok   what"
    (unless show_passes is false) or "FAIL what detail"; it returns cond. check.summary() prints
    "N passed, M failed" and returns the exit code (1 when anything failed)."""

    def __init__(self, show_passes=True):
        self.passed = self.failed = 0
        self.show_passes = show_passes

    def __call__(self, what, cond, detail=""):
        if cond:
            self.passed += 1
            if self.show_passes:
                print(f"ok   {what}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL {what}" + ("" if detail == "" else f" {detail}"), flush=True)
        return cond

    def summary(self):
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        return 1 if self.failed else 0


# ---- botocore ------------------------------------------------------------------------------

def botocore_session():
    """A new botocore session whose loader also searches MODELS (as AWS_DATA_PATH would)."""
    import botocore.session
    session = botocore.session.get_session()
    session.set_config_variable("data_path", MODELS)
    return session


# ---- the radosgw fixture --------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def radosgw_env():
    """The KEY=value lines of the radosgw fixture's env file (LC_RADOSGW_ENV), as a dict."""
    path = os.environ.get("LC_RADOSGW_ENV")
    if not path or not os.path.exists(path):
        sys.exit(f"LC_RADOSGW_ENV not set or missing ({path}); run with the radosgw fixture")
    env = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if "=" in line and not line.startswith("#"):
                k, v = line.split("=", 1)
                env[k] = v
    return env


def user_keys(user="owner"):
    """(access key, secret key) of a radosgw user: "owner" (lc-owner) or "other" (lc-other)."""
    env = radosgw_env()
    prefix = {"owner": "LC_S3_", "other": "LC_S3_OTHER_"}[user]
    return env[prefix + "ACCESS_KEY"], env[prefix + "SECRET_KEY"]


def s3_client(user="owner"):
    """A botocore S3 client on radosgw as that user (path-style requests)."""
    import botocore.config
    import botocore.session
    env = radosgw_env()
    ak, sk = user_keys(user)
    return botocore.session.get_session().create_client(
        "s3", endpoint_url=env["LC_S3_ENDPOINT"], region_name=env["LC_S3_REGION"],
        aws_access_key_id=ak, aws_secret_access_key=sk,
        config=botocore.config.Config(s3={"addressing_style": "path"}))


def radosgw_aws(**extra):
    """The "aws" section of a logcanary config for radosgw, plus extra keys."""
    env = radosgw_env()
    return {"region": env["LC_S3_REGION"], "endpoint": env["LC_S3_ENDPOINT"], "path_style": True,
            **extra}


def run_seeder(*args, **kw):
    """seed_deliveries.py ARGS on radosgw as the owner: the CompletedProcess (text output).
    kw goes to subprocess.run (check, timeout)."""
    env = radosgw_env()
    ak, sk = user_keys("owner")
    return subprocess.run([PYTHON, SEEDER, "--endpoint", env["LC_S3_ENDPOINT"], "--access-key", ak,
                           "--secret-key", sk, "--region", env["LC_S3_REGION"], *args],
                          capture_output=True, text=True, **kw)


def seed(*args):
    """seed_deliveries.py ARGS, which must succeed: its JSON summary."""
    return json.loads(run_seeder(*args, check=True).stdout)


# ---- the logcanary binary -------------------------------------------------------------------

def agent_env(user="owner", **extra):
    """The environment logcanary runs in: nothing of the caller's but the sanitizer options, no
    home directory or instance metadata, and the credentials of a radosgw user, or none anywhere
    (user=None). extra adds or replaces variables."""
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true",
           "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", ""),
           "UBSAN_OPTIONS": os.environ.get("UBSAN_OPTIONS", "")}
    if user is None:
        env.update(AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
    else:
        env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"] = user_keys(user)
    env.update(extra)
    return env


def run_agent(*args, user="owner", env_extra=None, **kw):
    """logcanary (LC_BINARY) ARGS to the end in agent_env(user, **env_extra): the CompletedProcess
    with text stdout and stderr. kw goes to subprocess.run (timeout)."""
    return subprocess.run([os.environ["LC_BINARY"], *args], capture_output=True, text=True,
                          env=agent_env(user, **(env_extra or {})), **kw)


def start_agent(*args, user="owner", env_extra=None, **kw):
    """logcanary ARGS started in agent_env(user, **env_extra), stdout and stderr piped as text: the
    Popen. kw goes to subprocess.Popen (stdin)."""
    return subprocess.Popen([os.environ["LC_BINARY"], *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env=agent_env(user, **(env_extra or {})), **kw)


# ---- scratch files --------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _scratch():
    return tempfile.TemporaryDirectory(prefix="lctest-")  # removed at exit


def tempdir():
    """A new empty directory, removed when the script exits."""
    return tempfile.mkdtemp(dir=_scratch().name)


def write_config(cfg):
    """cfg as a JSON file in a scratch directory: its path."""
    fd, path = tempfile.mkstemp(suffix=".json", dir=_scratch().name)
    with os.fdopen(fd, "w") as f:
        json.dump(cfg, f)
    return path


# ---- test servers on loopback ---------------------------------------------------------------

class Server:
    """A server script of tests/servers started with ARGS, once it has printed "LISTENING <port>";
    stopped by its pid (SIGTERM). A context manager."""

    def __init__(self, script, *args):
        self.proc = subprocess.Popen([PYTHON, os.path.join(SERVERS, script), *args],
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.fullmatch(r"LISTENING (\d+)\n", line)
        if not m:
            self.stop()
            raise RuntimeError(f"{script} did not start: {line!r}")
        self.port = int(m.group(1))
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(timeout=10)
        self.proc.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class CpFixture(Server):
    """servers/cpfixture.py on a scenario: a dict, or a file name under servers/scenarios."""

    def __init__(self, scenario):
        work = tempdir()
        if isinstance(scenario, dict):
            self.scenario_path = os.path.join(work, "scenario.json")
            with open(self.scenario_path, "w", encoding="utf-8") as f:
                json.dump(scenario, f)
        else:
            self.scenario_path = os.path.join(SERVERS, "scenarios", scenario)
        with open(self.scenario_path, encoding="utf-8") as f:
            self.scenario = json.load(f)
        self.log_path = os.path.join(work, "requests.jsonl")
        super().__init__("cpfixture.py", "--scenario", self.scenario_path, "--log", self.log_path)

    def log(self, service=None, operation=None):
        """The request log's records, in order (of one service, one operation)."""
        with open(self.log_path, encoding="utf-8") as f:
            records = [json.loads(line) for line in f]
        return [r for r in records if service in (None, r["service"])
                and operation in (None, r["operation"])]


def kms_key_ops(key, key_policy=None, enabled=True):
    """cpfixture operations for a customer managed KMS key of account 111122223333: DescribeKey
    says it is enabled (or disabled), GetKeyPolicy answers key_policy (default: an empty policy)."""
    return {"kms.DescribeKey": {"body": {"KeyMetadata": {
                "AWSAccountId": "111122223333", "KeyId": key.rsplit("/", 1)[1], "Arn": key,
                "Enabled": enabled, "KeyState": "Enabled" if enabled else "Disabled",
                "KeyManager": "CUSTOMER", "MultiRegion": False}}},
            "kms.GetKeyPolicy": key_policy or {"body": {"PolicyName": "default", "Policy": "{}"}}}


class LoopbackServer(http.server.ThreadingHTTPServer):
    """The server side: a threaded HTTP server on 127.0.0.1 at a port the kernel chooses. Client
    resets, TLS failures and timeouts are expected in the tests and not printed."""
    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, handler):
        super().__init__(("127.0.0.1", 0), handler)

    def handle_error(self, request, client_address):
        pass

    def serve(self):
        """Print "LISTENING <port>" as the first stdout line (Server and the C tests'
        lc_testsrv_start wait for it) and serve until interrupted. Returns 0."""
        sys.stdout.write("LISTENING %d\n" % self.server_address[1])
        sys.stdout.flush()
        try:
            self.serve_forever(poll_interval=0.5)
        except KeyboardInterrupt:
            pass
        return 0


# ---- small things ---------------------------------------------------------------------------

def leaked(secrets, *texts):
    """The secrets that appear in any of the texts."""
    return [s for s in secrets if any(s in t for t in texts)]


def http(url, method="GET", headers=None, timeout=10):
    """One request with urllib: (status, response headers, body text); an error status is an
    answer too."""
    req = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def iso(t):
    """A datetime as logcanary's --now / --since and the seeder's --now take it."""
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def yesterday_noon():
    """Yesterday 12:00 UTC: a --now whose windows do not straddle midnight by accident."""
    return (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)).replace(
        hour=12, minute=0, second=0, microsecond=0)
