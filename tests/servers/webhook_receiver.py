#!/usr/bin/env python3
"""Loopback webhook receiver for the alert tests (stdlib only).

Binds 127.0.0.1 on an ephemeral port and prints "LISTENING <port>" as its first stdout line.
Every request is appended to the JSONL log *before* it is answered, so a client that has its
answer can read the log without waiting:
    {"method", "path", "headers": {lowercased name: value}, "body": text, "status": answered}

Options:
  --log FILE          the JSONL log (required)
  --answers LIST      comma-separated statuses for the first requests, in order ("500,200");
                      afterwards --default
  --default CODE      status once the list is used up (default 200)
  --mode-file FILE    if this file exists, its content (a status code) answers every request,
                      ahead of the list: a test can switch modes between sends

Answer bodies: 2xx "ok"; 429 "rate limited" with Retry-After: 0; 400-499 an error that echoes
the request path (clients must scrub it before logging: the path can be a credential); 5xx
"server error".
"""

import http.server
import json
import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import lctest  # noqa: E402

lock = threading.Lock()
state = {"answers": [], "default": 200, "log": None, "mode_file": None}


def next_status():
    mf = state["mode_file"]
    if mf:
        try:
            with open(mf) as f:
                text = f.read().strip()
            if text:
                return int(text)
        except FileNotFoundError:
            pass
    if state["answers"]:
        return state["answers"].pop(0)
    return state["default"]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "lc-webhook"
    sys_version = ""

    def log_message(self, fmt, *args):
        pass

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        with lock:
            status = next_status()
            rec = {
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"),
                "status": status,
            }
            with open(state["log"], "a") as f:
                f.write(json.dumps(rec) + "\n")
                f.flush()
        extra = []
        if 200 <= status < 300:
            text = "ok"
        elif status == 429:
            text = "rate limited"
            extra.append(("Retry-After", "0"))
        elif 400 <= status < 500:
            text = "invalid_token: no such hook %s" % self.path
        else:
            text = "server error"
        data = text.encode()
        self.send_response(status)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_POST = handle_any
    do_PUT = handle_any
    do_GET = handle_any


def main(argv):
    i = 1
    while i < len(argv):
        if argv[i] == "--log":
            state["log"] = argv[i + 1]
        elif argv[i] == "--answers":
            state["answers"] = [int(x) for x in argv[i + 1].split(",") if x]
        elif argv[i] == "--default":
            state["default"] = int(argv[i + 1])
        elif argv[i] == "--mode-file":
            state["mode_file"] = argv[i + 1]
        else:
            sys.stderr.write("unknown argument %s\n" % argv[i])
            return 2
        i += 2
    if not state["log"]:
        sys.stderr.write("--log is required\n")
        return 2
    return lctest.LoopbackServer(Handler).serve()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
