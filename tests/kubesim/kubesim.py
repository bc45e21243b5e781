#!/usr/bin/env python3
"""kubesim: a Kubernetes API server simulator for kdeck's tests (Python standard library only).

    python3 tests/kubesim/kubesim.py --state-dir DIR [--port N] [--virtual] [--pods N] [--namespaces N]
                                     [--churn EVENTS_PER_S] [--seed-app] [--pod-start-delay S]

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
    p.add_argument("--pod-start-delay", type=float, default=0.5, help="seconds from Pending to Ready")
    p.add_argument("--watch-history", type=int, default=20000, help="events kept for watch resume (410 beyond)")
    p.add_argument("--bookmark-interval", type=float, default=5.0, help="seconds between watch BOOKMARKs")
    return p.parse_args(argv)


def gen_certs(d):
    """CA + server certificate (SAN IP:127.0.0.1, DNS:localhost) with the openssl CLI."""
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
    for f in ("ca.key", "server.key"):
        os.chmod(os.path.join(d, f), 0o600)


def kubeconfig(path, port, ca_pem, user, token, context):
    ca64 = base64.b64encode(ca_pem.encode()).decode()
    text = ("apiVersion: v1\nkind: Config\nclusters:\n- name: kubesim\n  cluster:\n"
            "    server: https://127.0.0.1:%d\n    certificate-authority-data: %s\n"
            "users:\n- name: %s\n  user:\n    token: %s\n"
            "contexts:\n- name: %s\n  context:\n    cluster: kubesim\n    user: %s\n    namespace: default\n"
            "current-context: %s\npreferences: {}\n") % (port, ca64, user, token, context, user, context)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


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
    ssl_ctx.set_alpn_protocols(["http/1.1"])

    users = Users(os.path.join(d, "tokens"))
    users.create()
    store = Store(history=args.watch_history)
    mgr = Manager(store, make_runtime_factory(args))
    mgr.ca_pem = ca_pem
    ctx = Ctx(store, mgr, users, os.path.join(d, "audit.log"), args.bookmark_interval)
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
