#!/usr/bin/env python3
"""An HTTPS proxy in front of kubesim that refuses chosen requests, for tests of what a client does
when one write among many fails (a webhook or RBAC rule that refuses it, in a real cluster).

    fault_proxy.py SIM_DIR RULES_FILE OUT_DIR

Serves on 127.0.0.1 (a free port) with kubesim's own server certificate, forwards every request to
kubesim (SIM_DIR/admin.kubeconfig names its port) and writes OUT_DIR/kubeconfig (kubesim's admin
kubeconfig, pointed at the proxy), then OUT_DIR/ready. RULES_FILE is read on every request: each
line `METHOD PATH_REGEX` makes a matching request answer 403 Forbidden (a Kubernetes Status)
without reaching kubesim; an empty or missing file forwards everything. Refusals are logged to
OUT_DIR/refused.log ("METHOD PATH"). Whole answers only: no watch or log streaming."""
import http.client
import json
import os
import re
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SIM, RULES, OUT = sys.argv[1:4]
with open(os.path.join(SIM, "admin.kubeconfig")) as f:
    KUBECONFIG = f.read()
UPSTREAM_PORT = int(re.search(r"server: https://127\.0\.0\.1:(\d+)", KUBECONFIG).group(1))
UPSTREAM_TLS = ssl.create_default_context(cafile=os.path.join(SIM, "ca.crt"))
LOG_LOCK = threading.Lock()
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


def refused(method, path):
    try:
        with open(RULES) as f:
            lines = f.read().splitlines()
    except OSError:
        return False
    for line in lines:
        m, _, rx = line.strip().partition(" ")
        if m and m == method and re.search(rx.strip(), path):
            return True
    return False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _answer(self, code, headers, body):
        self.send_response(code)
        for k, v in headers:
            if k.lower() not in HOP_HEADERS:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        path = self.path.split("?", 1)[0]
        if refused(self.command, path):
            with LOG_LOCK, open(os.path.join(OUT, "refused.log"), "a") as f:
                f.write("%s %s\n" % (self.command, path))
            status = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                      "message": "%s %s is refused by the test's fault proxy" % (self.command, path),
                      "reason": "Forbidden", "code": 403}
            self._answer(403, [("Content-Type", "application/json")], json.dumps(status).encode())
            return
        conn = http.client.HTTPSConnection("127.0.0.1", UPSTREAM_PORT, context=UPSTREAM_TLS, timeout=30)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            self._answer(resp.status, resp.getheaders(), resp.read())
        except (OSError, http.client.HTTPException) as e:
            self._answer(502, [("Content-Type", "text/plain")], ("fault proxy: %s\n" % e).encode())
        finally:
            conn.close()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(os.path.join(SIM, "server.crt"), os.path.join(SIM, "server.key"))
    srv.socket = tls.wrap_socket(srv.socket, server_side=True)
    port = srv.server_address[1]
    with open(os.path.join(OUT, "kubeconfig"), "w") as f:
        f.write(KUBECONFIG.replace("127.0.0.1:%d" % UPSTREAM_PORT, "127.0.0.1:%d" % port))
    open(os.path.join(OUT, "ready"), "w").close()
    srv.serve_forever()


if __name__ == "__main__":
    main()
