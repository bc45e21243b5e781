#!/usr/bin/env python3
"""kubesim: a Kubernetes API server simulator for kdeck's tests (Python standard library only).

    python3 tests/kubesim/kubesim.py --state-dir DIR [--port N] [--virtual] [--pods N] [--namespaces N]
                                     [--churn EVENTS_PER_S] [--seed-app] [--pod-start-delay S]
                                     [--ingress-port N] [--backoff-max S]

Writes DIR/{ca.crt,tokens,admin.kubeconfig,viewer.kubeconfig,audit.log,port} and then DIR/ready.
See docs/kubesim.md.
"""
import argparse
import base64
import gc
import os
import signal
import ssl
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import seed  # noqa: E402
from controllers import Manager  # noqa: E402
from rbac import Users  # noqa: E402
from runtime import VirtualRuntime  # noqa: E402
from server import Ctx, KubeServer  # noqa: E402
from store import Store  # noqa: E402


def parse_args(argv):
    p = argparse.ArgumentParser(prog="kubesim", description="Kubernetes API server simulator")
    p.add_argument("--state-dir", required=True)
    p.add_argument("--port", type=int, default=0, help="0 = pick a free port (127.0.0.1 only)")
    p.add_argument("--virtual", action="store_true", help="virtual pods: no processes, timers only")
    p.add_argument("--pods", type=int, default=0, help="bulk virtual pods to create")
    p.add_argument("--namespaces", type=int, default=0, help="bulk namespaces to spread them over")
    p.add_argument("--churn", type=float, default=0, help="pod events per second on the bulk pods")
    p.add_argument("--seed-app", action="store_true", help="create the seed application (tests/kubesim/seed)")
    p.add_argument("--no-log-websocket", action="store_true",
                   help="refuse WebSocket upgrades of pod logs (clients must fall back to chunked HTTP)")
    p.add_argument("--pod-start-delay", type=float, default=0.5, help="seconds from Pending to Ready")
    p.add_argument("--watch-history", type=int, default=20000, help="events kept for watch resume (410 beyond)")
    p.add_argument("--bookmark-interval", type=float, default=5.0, help="seconds between watch BOOKMARKs")
    p.add_argument("--ingress-port", type=int, default=18080,
                   help="kubelet mode: 127.0.0.1 port of the Ingress frontend (0 = a free one; see DIR/ingress-port)")
    p.add_argument("--backoff-max", type=float, default=40.0,
                   help="kubelet mode: cap of the CrashLoopBackOff delay in seconds (kubelet: 300)")
    return p.parse_args(argv)


def gen_certs(d):
    """CA + server certificate (SAN IP:127.0.0.1, DNS:localhost) + an admin client certificate, with
    the openssl CLI. Kept when the state dir already has them, so a restarted simulator is the same
    cluster to a client that is still running (tests of an API outage and recovery)."""
    names = ("ca.crt", "ca.key", "server.crt", "server.key", "admin-client.crt", "admin-client.key")
    if all(os.path.exists(os.path.join(d, f)) for f in names):
        return

    def run(*args):
        subprocess.run(["openssl"] + list(args), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run("req", "-x509", *ec, "-keyout", os.path.join(d, "ca.key"), "-out", os.path.join(d, "ca.crt"),
        "-days", "3650", "-subj", "/CN=kubesim-ca", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature")
    run("req", "-new", *ec, "-keyout", os.path.join(d, "server.key"), "-out", os.path.join(d, "server.csr"),
        "-subj", "/CN=kube-apiserver")
    ext = os.path.join(d, "server.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,"
                "DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,"
                "keyEncipherment\nbasicConstraints=CA:FALSE\n")
    run("x509", "-req", "-in", os.path.join(d, "server.csr"), "-CA", os.path.join(d, "ca.crt"),
        "-CAkey", os.path.join(d, "ca.key"), "-CAcreateserial", "-out", os.path.join(d, "server.crt"),
        "-days", "3650", "-extfile", ext)
    # Client certificate for the admin user (CN=admin, O=system:masters), as kubeadm issues them.
    run("req", "-new", *ec, "-keyout", os.path.join(d, "admin-client.key"), "-out", os.path.join(d, "admin-client.csr"),
        "-subj", "/O=system:masters/CN=admin")
    cext = os.path.join(d, "client.ext")
    with open(cext, "w") as f:
        f.write("extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\nbasicConstraints=CA:FALSE\n")
    run("x509", "-req", "-in", os.path.join(d, "admin-client.csr"), "-CA", os.path.join(d, "ca.crt"),
        "-CAkey", os.path.join(d, "ca.key"), "-CAcreateserial", "-out", os.path.join(d, "admin-client.crt"),
        "-days", "3650", "-extfile", cext)
    for f in ("ca.key", "server.key", "admin-client.key"):
        os.chmod(os.path.join(d, f), 0o600)


def kubeconfig(path, port, ca_pem, user, token, context, user_yaml=None):
    """user_yaml: the user's fields (indented 4) instead of a token, for the other auth methods."""
    ca64 = base64.b64encode(ca_pem.encode()).decode()
    fields = user_yaml if user_yaml is not None else "    token: %s\n" % token
    text = ("apiVersion: v1\nkind: Config\nclusters:\n- name: kubesim\n  cluster:\n"
            "    server: https://127.0.0.1:%d\n    certificate-authority-data: %s\n"
            "users:\n- name: %s\n  user:\n%s"
            "contexts:\n- name: %s\n  context:\n    cluster: kubesim\n    user: %s\n    namespace: default\n"
            "current-context: %s\npreferences: {}\n") % (port, ca64, user, fields, context, user, context)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


EXEC_PLUGIN = """#!/bin/sh
# kubesim's credential plugin: prints an ExecCredential with the admin token and counts its runs,
# so tests can see that a client caches the token until expirationTimestamp and re-runs on a 401.
# KUBESIM_EXEC_EXPIRY (seconds from now) sets the expiry; KUBESIM_EXEC_FAIL=1 makes it fail;
# KUBESIM_EXEC_BAD_FIRST=1 hands out a token the server rejects (401) on the first run only.
d=$(dirname "$0")
echo run >> "$d/exec-plugin.runs"
[ "${KUBESIM_EXEC_FAIL:-}" = 1 ] && { echo "exec plugin: refusing as asked" >&2; exit 1; }
if [ "${KUBESIM_EXEC_BAD_FIRST:-}" = 1 ] && [ "$(wc -l < "$d/exec-plugin.runs")" -eq 1 ]; then
  printf '{"apiVersion":"@API@","kind":"ExecCredential","status":{"token":"revoked-token"}}\\n'
  exit 0
fi
[ -n "${KUBERNETES_EXEC_INFO:-}" ] && printf '%s\\n' "$KUBERNETES_EXEC_INFO" > "$d/exec-plugin.info"
exp=""
if [ -n "${KUBESIM_EXEC_EXPIRY:-}" ]; then
  exp=$(date -u -d "@$(( $(date +%s) + KUBESIM_EXEC_EXPIRY ))" +%Y-%m-%dT%H:%M:%SZ)
  exp=",\\"expirationTimestamp\\":\\"$exp\\""
fi
printf '{"apiVersion":"@API@","kind":"ExecCredential","status":{"token":"%s"%s}}\\n' "$(cat "$d/admin.token")" "$exp"
"""


def write_auth_variants(d, port, ca_pem, admin_token):
    """The admin user through every auth method kdeck supports: tokenFile, client certificate (files
    and -data), and exec plugins (v1 and v1beta1)."""
    def write(name, text, mode=0o600):
        tmp = os.path.join(d, name + ".tmp")
        with open(tmp, "w") as f:
            f.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, os.path.join(d, name))
    write("admin.token", admin_token + "\n")
    for api in ("v1", "v1beta1"):
        write("exec-plugin-%s.sh" % api, EXEC_PLUGIN.replace("@API@", "client.authentication.k8s.io/" + api), 0o700)
    b64 = lambda f: base64.b64encode(open(os.path.join(d, f), "rb").read()).decode()
    variants = {
        "admin-tokenfile": "    tokenFile: %s\n" % os.path.join(d, "admin.token"),
        "admin-cert": "    client-certificate: %s\n    client-key: %s\n" % (
            os.path.join(d, "admin-client.crt"), os.path.join(d, "admin-client.key")),
        "admin-certdata": "    client-certificate-data: %s\n    client-key-data: %s\n" % (
            b64("admin-client.crt"), b64("admin-client.key")),
        "admin-exec": ("    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: %s\n"
                       "      interactiveMode: Never\n      provideClusterInfo: true\n"
                       "      env:\n      - name: KUBESIM_STATE\n        value: %s\n") % (
            os.path.join(d, "exec-plugin-v1.sh"), d),
        "admin-exec-v1beta1": ("    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
                               "      command: %s\n") % os.path.join(d, "exec-plugin-v1beta1.sh"),
    }
    for name, fields in variants.items():
        kubeconfig(os.path.join(d, name + ".kubeconfig"), port, ca_pem, "admin", None, "kubesim", fields)


def make_runtime_factory(args):
    def factory(mgr):
        if not args.virtual:
            try:
                import kubelet     # the real-process runtime, when it exists
                return kubelet.Kubelet(mgr, args)
            except ImportError:
                print("kubesim: no kubelet module yet; pods are virtual", file=sys.stderr)
        return VirtualRuntime(mgr, start_delay=args.pod_start_delay)
    return factory


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])
    d = os.path.abspath(args.state_dir)
    os.makedirs(d, exist_ok=True)
    for f in ("ready", "port"):
        try:
            os.unlink(os.path.join(d, f))
        except FileNotFoundError:
            pass
    t0 = time.time()
    gen_certs(d)
    with open(os.path.join(d, "ca.crt")) as f:
        ca_pem = f.read()
    ssl_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ssl_ctx.load_cert_chain(os.path.join(d, "server.crt"), os.path.join(d, "server.key"))
    # Client certificates are optional (bearer tokens are the default); when one is presented it
    # must chain to our CA, and its CN names the user, as with kube-apiserver's --client-ca-file.
    ssl_ctx.verify_mode = ssl.CERT_OPTIONAL
    ssl_ctx.load_verify_locations(os.path.join(d, "ca.crt"))
    ssl_ctx.set_alpn_protocols(["http/1.1"])

    users = Users(os.path.join(d, "tokens"))
    users.create()
    store = Store(history=args.watch_history)
    mgr = Manager(store, make_runtime_factory(args))
    mgr.ca_pem = ca_pem
    ctx = Ctx(store, mgr, users, os.path.join(d, "audit.log"), args.bookmark_interval)
    ctx.no_log_websocket = args.no_log_websocket
    httpd = KubeServer(("127.0.0.1", args.port), ctx, ssl_ctx)
    port = httpd.server_address[1]
    ctx.server_addr = "127.0.0.1:%d" % port

    mgr.start()
    n_nodes = max(1, -(-args.pods // 110)) if args.pods else 1
    seed.system(mgr.api, port, n_nodes)
    bulk_ns = []
    if args.pods:
        if not args.virtual:
            print("kubesim: --pods implies virtual pods for the bulk load", file=sys.stderr)
        seed.bulk(mgr.api, mgr, args.pods, args.namespaces or max(1, args.pods // 20))
        bulk_ns = ["ns-%04d" % (i + 1) for i in range(args.namespaces or max(1, args.pods // 20))]
    if args.seed_app:
        seed.seed_app(mgr.api)
    # the bulk objects live for the whole run: keep the cyclic GC from rescanning them
    gc.collect()
    gc.freeze()

    stop = threading.Event()
    seed.Heartbeat(mgr.api, stop).start()
    if args.churn and bulk_ns:
        seed.Churn(mgr, args.churn, bulk_ns, stop).start()

    srv_thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    srv_thread.start()

    kubeconfig(os.path.join(d, "admin.kubeconfig"), port, ca_pem, "admin", users.token_of("admin"), "kubesim")
    kubeconfig(os.path.join(d, "viewer.kubeconfig"), port, ca_pem, "viewer", users.token_of("viewer"),
               "kubesim-viewer")
    write_auth_variants(d, port, ca_pem, users.token_of("admin"))
    with open(os.path.join(d, "port"), "w") as f:
        f.write("%d\n" % port)
    with open(os.path.join(d, "ready"), "w") as f:
        f.write("pid %d port %d startup %.2fs\n" % (os.getpid(), port, time.time() - t0))
    print("kubesim: ready on https://127.0.0.1:%d in %.2fs (state %s)" % (port, time.time() - t0, d), flush=True)

    def on_signal(signum, frame):
        stop.set()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    while not stop.wait(0.5):
        pass
    ctx.stopping.set()
    mgr.stop()          # stops the runtime too: a kubelet kills its processes by pid there
    httpd.shutdown()
    httpd.server_close()
    try:
        os.unlink(os.path.join(d, "ready"))
    except FileNotFoundError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
