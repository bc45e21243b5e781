#!/usr/bin/env python3
"""A hostile Kubernetes API server for tests/e2e/hostile.sh (Python stdlib only).

    hostile_server.py --dir DIR

Makes its own CA and certificates with openssl in DIR, listens on 127.0.0.1 (HTTPS, a free port)
and on 127.0.0.2 (the "other host" redirects point to), writes DIR/kubeconfig (bearer token
DIR/token) and DIR/port, then DIR/ready. It serves a tiny cluster (namespace "app" with two pods)
and misbehaves according to the mode named in the control file DIR/mode (read on every request;
a change also ends open watches):

  normal      a well-behaved server
  truncated   lists are cut in the middle of the JSON (a consistent Content-Length)
  huge        the pod list holds one 50 MB object (an annotation of 50 MB)
  nested      lists are 200 000 levels of nested arrays
  drip        lists are normal; a watch sends an event one byte per second
  cut         the pod list announces more bytes than it sends and the connection is cut mid-object
  ctype       200 with Content-Type text/html and an HTML page
  redirect    302 to https://127.0.0.2:<port2>/... (another host, which logs any Authorization)
  error500    500 with a Status body
  gone410     lists are fine; every watch ends at once with a 410 Gone ERROR event (a 410 loop)
  wrongcert   the TLS certificate is for other.example (signed by the same CA)
  hang        accepts the connection and never answers (not even the TLS handshake)

Every request is logged to DIR/requests.log ("MODE METHOD PATH auth=yes|no"); the other host logs to
DIR/other.log, with the Authorization header it received if any (it must never get one)."""
import argparse
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

ARGS = None
LOCK = threading.Lock()
HUGE_MB = 50


def mode():
    try:
        with open(os.path.join(ARGS.dir, "mode")) as f:
            return f.read().strip() or "normal"
    except OSError:
        return "normal"


def log(name, line):
    with LOCK, open(os.path.join(ARGS.dir, name), "a") as f:
        f.write(line + "\n")


def make_certs(d):
    def run(*cmd):
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{d}/ca.key", "-out",
        f"{d}/ca.pem", "-days", "2", "-subj", "/CN=hostile-ca")
    for name, san in (("server", "IP:127.0.0.1,IP:127.0.0.2"), ("wrong", "DNS:other.example")):
        run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{d}/{name}.key", "-out",
            f"{d}/{name}.csr", "-subj", f"/CN={'other.example' if name == 'wrong' else 'hostile'}")
        with open(f"{d}/{name}.ext", "w") as f:
            f.write(f"subjectAltName={san}\n")
        run("openssl", "x509", "-req", "-in", f"{d}/{name}.csr", "-CA", f"{d}/ca.pem", "-CAkey",
            f"{d}/ca.key", "-CAcreateserial", "-out", f"{d}/{name}.pem", "-days", "2", "-extfile",
            f"{d}/{name}.ext")


def tls_context(d, name):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(f"{d}/{name}.pem", f"{d}/{name}.key")
    return ctx


def pod(name, phase="Running", **annotations):
    return {
        "metadata": {"name": name, "namespace": "app", "uid": "uid-" + name, "resourceVersion": "100",
                     "creationTimestamp": "2024-05-01T10:00:00Z", "labels": {"app": "hostile"},
                     "annotations": annotations},
        "spec": {"nodeName": "node-1", "containers": [{"name": "main", "image": "registry.local/x:1"}]},
        "status": {"phase": phase, "podIP": "10.0.0.9", "conditions": [{"type": "Ready", "status": "True"}],
                   "containerStatuses": [{"name": "main", "ready": True, "restartCount": 0,
                                          "state": {"running": {"startedAt": "2024-05-01T10:00:00Z"}}}]},
    }


def kind_of(path):
    """(Kind, namespace-or-None, plural) for a list path, None for anything else."""
    parts = [p for p in urlsplit(path).path.split("/") if p]
    if parts[:2] == ["api", "v1"]:
        rest = parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        rest = parts[3:]
    else:
        return None
    ns = None
    if len(rest) >= 2 and rest[0] == "namespaces" and len(rest) != 2:
        ns, rest = rest[1], rest[2:]
    if len(rest) != 1:
        return None
    plural = rest[0]
    kinds = {"pods": "Pod", "namespaces": "Namespace", "deployments": "Deployment", "services": "Service",
             "events": "Event", "nodes": "Node", "replicasets": "ReplicaSet"}
    return kinds.get(plural, plural.capitalize().rstrip("s")), ns, plural


def items_for(plural, ns):
    if plural == "pods" and ns in (None, "app"):
        # "pod-ok" only in normal mode: a client that shows it has recovered from the last mode.
        return [pod("pod-alpha"), pod("pod-beta")] + ([pod("pod-ok")] if mode() == "normal" else [])
    if plural == "namespaces":
        return [{"metadata": {"name": n, "resourceVersion": "1", "creationTimestamp": "2024-05-01T10:00:00Z"},
                 "status": {"phase": "Active"}} for n in ("app", "default")]
    return []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hostile/1"

    def log_message(self, fmt, *a):
        pass

    def send_body(self, code, body, ctype="application/json", length=None, extra=None):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        try:
            self.wfile.write(body)
            self.wfile.flush()
        except OSError:
            pass

    def status(self, code, reason, message):
        self.send_body(code, json.dumps({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                         "message": message, "reason": reason, "code": code}))

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        log("requests.log", f"{mode()} POST {self.path} auth={'yes' if self.headers.get('Authorization') else 'no'}")
        if "selfsubjectrulesreviews" in self.path:
            try:
                ns = json.loads(body)["spec"]["namespace"]
            except (ValueError, KeyError, TypeError):
                ns = "app"
            self.send_body(201, json.dumps({
                "kind": "SelfSubjectRulesReview", "apiVersion": "authorization.k8s.io/v1",
                "spec": {"namespace": ns},
                "status": {"resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
                           "nonResourceRules": [], "incomplete": False}}))
        elif "selfsubjectaccessreviews" in self.path:
            self.send_body(201, json.dumps({"kind": "SelfSubjectAccessReview",
                                            "apiVersion": "authorization.k8s.io/v1",
                                            "status": {"allowed": True}}))
        else:
            self.status(405, "MethodNotAllowed", "the hostile server only reads")

    def do_GET(self):
        m = mode()
        auth = self.headers.get("Authorization")
        log("requests.log", f"{m} GET {self.path} auth={'yes' if auth else 'no'}")
        if self.server.other:
            log("other.log", f"GET {self.path} authorization={auth or ''}")
            self.send_body(200, "{}")
            return
        if self.headers.get("Authorization") != "Bearer " + ARGS.token:
            self.status(401, "Unauthorized", "Unauthorized")
            return
        u = urlsplit(self.path)
        if u.path == "/version":
            self.send_body(200, json.dumps({"major": "1", "minor": "30", "gitVersion": "v1.30.0-hostile"}))
            return
        k = kind_of(self.path)
        if not k:
            self.status(404, "NotFound", f"the server could not find the requested resource ({u.path})")
            return
        kind, ns, plural = k
        watch = "watch=1" in (u.query or "") or "watch=true" in (u.query or "")
        hostile = plural == "pods" and m != "normal"
        if watch:
            # Modes whose lists fail end watches with an HTTP 410 (so the client re-lists into them).
            self.watch(m if hostile and m not in ("huge",) else "normal", kind, m)
            return
        if hostile:
            if self.list_hostile(m, kind, ns, plural):
                return
        self.send_body(200, json.dumps({"kind": kind + "List", "apiVersion": "v1",
                                        "metadata": {"resourceVersion": "100"},
                                        "items": items_for(plural, ns)}))

    def list_hostile(self, m, kind, ns, plural):
        full = json.dumps({"kind": kind + "List", "apiVersion": "v1", "metadata": {"resourceVersion": "100"},
                           "items": items_for(plural, ns)})
        if m == "truncated":
            self.send_body(200, full[:len(full) // 2])
        elif m == "huge":
            big = pod("pod-huge", **{"hostile/blob": "x" * (HUGE_MB << 20)})
            self.send_body(200, json.dumps({"kind": kind + "List", "apiVersion": "v1",
                                            "metadata": {"resourceVersion": "100"}, "items": [big]}))
        elif m == "nested":
            depth = 200000
            self.send_body(200, '{"kind":"PodList","metadata":{},"items":' + "[" * depth + "]" * depth + "}")
        elif m == "cut":
            body = full.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body) * 2))
            self.end_headers()
            self.wfile.write(body[:len(body) * 2 // 3])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif m == "ctype":
            self.send_body(200, "<html><head><title>Login</title></head><body>Please sign in \x1b[2J</body></html>",
                           ctype="text/html; charset=utf-8")
        elif m == "redirect":
            self.send_body(302, "", extra={"Location": f"https://127.0.0.2:{self.server.other_port}{self.path}"})
        elif m == "error500":
            self.status(500, "InternalError", "hostile: etcd is on fire")
        else:
            return False  # drip, gone410: lists are normal
        return True

    def watch(self, m, kind, started_in):
        if m not in ("normal", "drip", "gone410"):
            # A hostile list mode: end watches with 410 so the client re-lists (and meets the mode).
            self.status(410, "Expired", "too old resource version")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def chunk(b):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(b), b))
            self.wfile.flush()
        try:
            if m == "gone410":
                chunk(json.dumps({"type": "ERROR", "object": {"kind": "Status", "apiVersion": "v1",
                                                               "status": "Failure", "reason": "Expired",
                                                               "message": "too old resource version", "code": 410}}).encode() + b"\n")
                chunk(b"")
                return
            if m == "drip" and kind == "Pod":
                ev = json.dumps({"type": "ADDED", "object": pod("pod-drip")}).encode() + b"\n"
                for i in range(len(ev)):
                    if mode() != started_in:
                        break
                    chunk(ev[i:i + 1])
                    time.sleep(1)
            start = time.time()
            while mode() == started_in and time.time() - start < 600:
                time.sleep(0.2)
            if mode() != started_in:
                # The mode changed: as after an etcd compaction, tell the client to re-list (after
                # ending a half-dripped event: the client must skip that corrupt line).
                chunk(b"\n")
                chunk(json.dumps({"type": "ERROR", "object": {"kind": "Status", "apiVersion": "v1",
                                                               "status": "Failure", "reason": "Expired",
                                                               "message": "too old resource version",
                                                               "code": 410}}).encode() + b"\n")
            chunk(b"")
        except OSError:
            pass
        self.close_connection = True


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, other=False):
        super().__init__(addr, Handler)
        self.other = other
        self.other_port = 0

    def finish_request(self, request, client_address):
        # TLS happens here, in the request's own thread, so a mode can refuse or fake it.
        m = "normal" if self.other else mode()
        if m == "hang":
            log("requests.log", "hang (connection accepted, never answered)")
            while mode() == "hang":
                time.sleep(0.2)
            request.close()
            return
        ctx = self.ctx_wrong if m == "wrongcert" else self.ctx
        try:
            request = ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            log("requests.log", f"{m} TLS handshake failed: {e}")
            return
        self.RequestHandlerClass(request, client_address, self)

    def handle_error(self, request, client_address):
        pass


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--token", default="hostile-token-" + os.urandom(8).hex())
    ARGS = p.parse_args()
    d = ARGS.dir
    os.makedirs(d, exist_ok=True)
    make_certs(d)
    srv = Server(("127.0.0.1", 0))
    other = Server(("127.0.0.2", 0), other=True)
    for s in (srv, other):
        s.ctx = tls_context(d, "server")
        s.ctx_wrong = tls_context(d, "wrong")
    srv.other_port = other.server_address[1]
    port = srv.server_address[1]
    with open(f"{d}/token", "w") as f:
        f.write(ARGS.token)
    with open(f"{d}/kubeconfig", "w") as f:
        f.write(f"""apiVersion: v1
kind: Config
current-context: hostile
clusters:
- name: hostile
  cluster:
    server: https://127.0.0.1:{port}
    certificate-authority: {d}/ca.pem
contexts:
- name: hostile
  context: {{cluster: hostile, user: hostile, namespace: app}}
users:
- name: hostile
  user:
    token: {ARGS.token}
""")
    os.chmod(f"{d}/kubeconfig", 0o600)
    with open(f"{d}/port", "w") as f:
        f.write(str(port))
    threading.Thread(target=other.serve_forever, daemon=True).start()
    with open(f"{d}/ready", "w") as f:
        f.write("ok\n")
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
