#!/usr/bin/env python3
"""Loopback HTTP server for the HTTP engine tests (stdlib only).

Binds 127.0.0.1 on an ephemeral port and prints "LISTENING <port>" as its first stdout line.

Options:
  --tls CERT KEY   serve HTTPS with this certificate and key
  --proxy          also act as a minimal forward proxy for absolute-form http:// requests

Endpoints (query parameters in brackets):
  /echo[/...]           JSON of method, path, query, headers (in order) and body (hex); for HEAD
                        the same data is summarised in x-echo-* response headers
  /bytes [n, chunked, status]
                        n bytes of the pattern i % 251, with Content-Length or chunked
  /stall [ms]           wait ms milliseconds, then answer 200 "late"
  /hold [group, n, timeout_ms]
                        count the request as in flight in group (and in "*"), record the maximum
                        seen, and hold it until a /release of the group, until n (if given)
                        requests of the group are waiting, or timeout_ms (default 10000)
  /wait [group, waiting, timeout_ms]
                        answer once at least `waiting` requests of the group are held (504 on
                        timeout): lets a test act on "the cap is reached" without polling
  /release [group]      release the requests held in group; JSON {"released": count}
  /stats [group]        JSON {"max", "inflight", "waiting", "answered", "gen"} for group
  /status [code, body]  answer status code with body as text/plain
  /reset                close the connection abruptly (TCP RST)
  /continue             send an interim "100 Continue" (with x-interim) before the final answer
  /redirect             307 to /echo
  /headers              mixed-case and repeated response headers
  /proxy_count          (proxy mode) number of requests forwarded so far
Every response carries x-client-port (the peer's port, to tell connections apart).
"""

import http.client
import http.server
import json
import os
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import lctest  # noqa: E402

PATTERN = bytes(i % 251 for i in range(251)) * 1045  # 262295 bytes, a multiple of 251

lock = threading.Condition()
groups = {}  # name -> counters, see group()
proxied = [0]


def group(name):
    g = groups.get(name)
    if g is None:
        g = {"inflight": 0, "max": 0, "waiting": 0, "gen": 0, "answered": 0}
        groups[name] = g
    return g


def pattern_bytes(start, length):
    """length bytes of the pattern starting at offset start."""
    off = start % 251
    out = bytearray()
    while length > 0:
        take = min(length, len(PATTERN) - off)
        out += PATTERN[off:off + take]
        length -= take
        off = 0
    return bytes(out)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "lc-test"
    sys_version = ""

    def setup(self):
        ctx = getattr(self.server, "tls_ctx", None)
        if ctx is not None:
            self.request.settimeout(10)
            self.request = ctx.wrap_socket(self.request, server_side=True)
            self.request.settimeout(None)
        super().setup()

    def log_message(self, fmt, *args):
        pass

    # -- helpers ---------------------------------------------------------------------------
    def read_body(self):
        te = self.headers.get("Transfer-Encoding", "")
        if te.lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length", "0") or "0")
        return self.rfile.read(n) if n else b""

    def reply(self, status, body=b"", ctype="application/octet-stream", extra=()):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Client-Port", str(self.client_address[1]))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def reply_json(self, obj, status=200):
        self.reply(status, json.dumps(obj), "application/json")

    # -- dispatch --------------------------------------------------------------------------
    def handle_any(self):
        if self.path.startswith("http://"):
            if getattr(self.server, "proxy_mode", False):
                return self.forward()
            return self.reply(400, "absolute-form request but not a proxy")
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        body = self.read_body()
        fn = getattr(self, "ep_" + url.path.strip("/").split("/")[0], None)
        if fn is None:
            return self.reply(404, "no such endpoint")
        return fn(url, q, body)

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = do_PATCH = do_OPTIONS = handle_any

    # -- endpoints -------------------------------------------------------------------------
    def ep_echo(self, url, q, body):
        info = {
            "method": self.command,
            "path": url.path,
            "query": url.query,
            "version": self.request_version,
            "headers": [[k, v] for k, v in self.headers.items()],
            "body_hex": body.hex(),
            "body_len": len(body),
        }
        if self.command == "HEAD":
            names = ",".join(k.lower() for k, _ in self.headers.items())
            return self.reply(200, b"", extra=(("X-Echo-Method", "HEAD"),
                                               ("X-Echo-Header-Names", names),
                                               ("X-Echo-Body-Len", str(len(body)))))
        return self.reply_json(info)

    def ep_bytes(self, url, q, body):
        n = int(q.get("n", "0"))
        status = int(q.get("status", "200"))
        if q.get("chunked", "0") != "1":
            self.send_response(status)
            self.send_header("Content-Length", str(n))
            self.send_header("X-Client-Port", str(self.client_address[1]))
            self.end_headers()
            off = 0
            while off < n and self.command != "HEAD":
                part = pattern_bytes(off, min(n - off, 1 << 18))
                self.wfile.write(part)
                off += len(part)
            return
        self.send_response(status)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("X-Client-Port", str(self.client_address[1]))
        self.end_headers()
        off = 0
        while off < n:
            part = pattern_bytes(off, min(n - off, 65536))
            self.wfile.write(b"%x\r\n" % len(part) + part + b"\r\n")
            off += len(part)
        self.wfile.write(b"0\r\n\r\n")

    def ep_stall(self, url, q, body):
        time.sleep(int(q.get("ms", "1000")) / 1000.0)
        try:
            self.reply(200, "late", "text/plain")
        except OSError:
            self.close_connection = True

    def ep_hold(self, url, q, body):
        name = q.get("group", "default")
        n = int(q.get("n", "0"))
        deadline = time.monotonic() + int(q.get("timeout_ms", "10000")) / 1000.0
        with lock:
            g = group(name)
            a = group("*")
            g["inflight"] += 1
            a["inflight"] += 1
            g["max"] = max(g["max"], g["inflight"])
            a["max"] = max(a["max"], a["inflight"])
            g["waiting"] += 1
            gen = g["gen"]
            if n and g["waiting"] >= n:
                g["gen"] += 1
                g["waiting"] = 0
            lock.notify_all()  # wakes /wait callers too
            while g["gen"] == gen:
                left = deadline - time.monotonic()
                if left <= 0:
                    g["waiting"] -= 1
                    break
                lock.wait(left)
            seen = g["inflight"]
            # Leave the in-flight count before answering: once the client has the answer it
            # may start another request, which must not be counted together with this one.
            g["inflight"] -= 1
            a["inflight"] -= 1
            g["answered"] += 1
        self.reply_json({"group": name, "inflight": seen})

    def ep_wait(self, url, q, body):
        want = int(q.get("waiting", "1"))
        deadline = time.monotonic() + int(q.get("timeout_ms", "10000")) / 1000.0
        with lock:
            g = group(q.get("group", "default"))
            while g["waiting"] < want and time.monotonic() < deadline:
                lock.wait(max(0.0, deadline - time.monotonic()))
            waiting = g["waiting"]
        self.reply_json({"waiting": waiting}, 200 if waiting >= want else 504)

    def ep_release(self, url, q, body):
        with lock:
            g = group(q.get("group", "default"))
            released = g["waiting"]
            g["waiting"] = 0
            g["gen"] += 1
            lock.notify_all()
        self.reply_json({"released": released})

    def ep_stats(self, url, q, body):
        with lock:
            g = dict(group(q.get("group", "default")))
        self.reply_json(g)

    def ep_status(self, url, q, body):
        self.reply(int(q.get("code", "200")), q.get("body", ""), "text/plain")

    def ep_reset(self, url, q, body):
        self.close_connection = True
        sock = self.connection
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()

    def ep_continue(self, url, q, body):
        self.wfile.write(b"HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\n")
        self.reply(200, "final", "text/plain", extra=(("X-Final", "1"),))

    def ep_redirect(self, url, q, body):
        self.reply(307, "moved", "text/plain", extra=(("Location", "/echo"),))

    def ep_headers(self, url, q, body):
        self.send_response(200)
        self.send_header("X-Mixed-Case", "  Value With Spaces  ")
        self.send_header("X-Repeated", "one")
        self.send_header("X-Repeated", "two")
        self.send_header("x-empty", "")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def ep_proxy_count(self, url, q, body):
        with lock:
            n = proxied[0]
        self.reply_json({"count": n})

    # -- forward proxy ---------------------------------------------------------------------
    def forward(self):
        url = urllib.parse.urlsplit(self.path)
        body = self.read_body()
        hop = {"connection", "keep-alive", "proxy-connection", "proxy-authorization", "te",
               "trailer", "transfer-encoding", "upgrade"}
        headers = [(k, v) for k, v in self.headers.items() if k.lower() not in hop]
        path = url.path or "/"
        if url.query:
            path += "?" + url.query
        conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=30)
        try:
            conn.putrequest(self.command, path, skip_host=True, skip_accept_encoding=True)
            for k, v in headers:
                conn.putheader(k, v)
            if body and not any(k.lower() == "content-length" for k, _ in headers):
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body if body else None)
            resp = conn.getresponse()
            data = resp.read()
        except OSError as e:
            return self.reply(502, "proxy: %s" % e, "text/plain")
        finally:
            conn.close()
        with lock:
            proxied[0] += 1
        self.send_response(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in hop and k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("X-Via-Test-Proxy", "1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


class Server(lctest.LoopbackServer):
    request_queue_size = 1024


def main(argv):
    tls = None
    proxy = False
    i = 1
    while i < len(argv):
        if argv[i] == "--tls":
            tls = (argv[i + 1], argv[i + 2])
            i += 3
        elif argv[i] == "--proxy":
            proxy = True
            i += 1
        else:
            sys.stderr.write("unknown argument %s\n" % argv[i])
            return 2
    srv = Server(Handler)
    srv.proxy_mode = proxy
    srv.tls_ctx = None
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(tls[0], tls[1])
        srv.tls_ctx = ctx
    return srv.serve()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
