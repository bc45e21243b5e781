#!/usr/bin/env python3
"""End-to-end self-test of kubesim's data plane (run by tests/e2e/dataplane.sh).

1. Four podapp processes (two v1, two v2) on their own loopback IPs; one HAProxy with a Service
   ("default/web") whose ClusterIP frontend is backed by the v1 pair.
2. wrk -t2 -c16 through the ClusterIP while, mid-run: a second Service is added (config write +
   hitless reload), the endpoints switch to the v2 pair through the runtime API, and the v1 processes
   get SIGTERM. wrk must report no non-2xx answer and no socket error; afterwards only v2 answers.
3. An Ingress frontend routes by Host and path.
4. MariaDB + mysqld-exporter + Prometheus (scraping the exporter and HAProxy's /metrics through
   file_sd targets): poll until mysql_up == 1 and haproxy_backend_* series exist.

Prints "ok - X" / "not ok - X" and ends with "N passed, N failed"; exit status 1 on any failure.
Everything it starts is stopped by pid on exit (also on SIGTERM/SIGINT).
"""

import argparse
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from dataplane import procs                      # noqa: E402
from dataplane.haproxy import HAProxy            # noqa: E402
from dataplane.mariadb import MariaDB            # noqa: E402
from dataplane.exporter import MysqldExporter    # noqa: E402
from dataplane.prometheus import Prometheus      # noqa: E402


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, cond, detail=""):
        if cond:
            self.passed += 1
            print("ok - %s" % name, flush=True)
        else:
            self.failed += 1
            print("not ok - %s%s" % (name, (" -- " + detail) if detail else ""), flush=True)
        return cond

    def note(self, text):
        print("# " + text, flush=True)


def parse_wrk(text):
    out = {"requests": None, "rps": None, "non2xx": 0, "socket_errors": {}}
    m = re.search(r"^\s*(\d+) requests in", text, re.M)
    if m:
        out["requests"] = int(m.group(1))
    m = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    if m:
        out["rps"] = float(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    if m:
        out["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        out["socket_errors"] = dict(zip(("connect", "read", "write", "timeout"), map(int, m.groups())))
    return out


def bodies(url, n, headers=None):
    """n requests, each on a new connection; returns the list of (status, body)."""
    res = []
    for _ in range(n):
        try:
            st, body, _ = procs.http_get(url, timeout=3, headers=headers)
            res.append((st, body.decode("utf-8", "replace").strip()))
        except OSError as e:
            res.append((0, repr(e)))
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--podapp", default=os.environ.get("PODAPP_BIN", "build/podapp"))
    ap.add_argument("--state", default=None, help="state directory (default: a new temp dir)")
    ap.add_argument("--net", default=None, help="first two octets after 127., e.g. 171.33")
    ap.add_argument("--wrk-seconds", type=int, default=8)
    ap.add_argument("--skip-db", action="store_true", help="skip MariaDB/exporter/Prometheus")
    args = ap.parse_args()

    podapp = os.path.abspath(args.podapp)
    state = args.state or tempfile.mkdtemp(prefix="kdeck-dataplane.")
    os.makedirs(state, exist_ok=True)
    net = args.net or "%d.%d" % (random.randint(150, 250), random.randint(1, 250))
    ip = lambda last: "127.%s.%d" % (net, last)   # noqa: E731
    R = Report()
    R.note("state dir %s, addresses 127.%s.*" % (state, net))

    def on_signal(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    if not os.access(podapp, os.X_OK):
        R.check("podapp binary at %s" % podapp, False)
        print("%d passed, %d failed" % (R.passed, R.failed))
        return 1

    pods = procs.Supervisor(os.path.join(state, "pods"))
    hp = HAProxy(os.path.join(state, "haproxy"), stats_ip=ip(1), stats_port=8404)
    db = exp = prom = None
    wrk = None
    try:
        # ---------------------------------------------------------------- pods
        pod_specs = [("web-v1-a", "v1", 11), ("web-v1-b", "v1", 12), ("web-v2-a", "v2", 13), ("web-v2-b", "v2", 14)]
        for name, ver, last in pod_specs:
            pods.start(name, [podapp], env={"POD_IP": ip(last), "PORT": "8080", "VERSION": ver,
                                            "POD_NAME": name, "APP_NAME": "web"})
        for name, ver, last in pod_specs:
            try:
                procs.wait_until(lambda: procs.http_get("http://%s:8080/health" % ip(last), timeout=1)[0] == 200,
                                 5, what=name)
                up = True
            except procs.DeadlineExceeded:
                up = False
            R.check("pod %s (%s) answers /health on %s:8080" % (name, ver, ip(last)), up,
                    pods.get(name).log_tail())
        v1 = [(ip(11), 8080), (ip(12), 8080)]
        v2 = [(ip(13), 8080), (ip(14), 8080)]

        # ---------------------------------------------------------------- haproxy
        cluster_ip = ip(100)
        hp.add_service("default/web", cluster_ip, 80)
        hp.set_endpoints("default/web", v1)
        t0 = time.monotonic()
        hp.start(timeout=10)
        R.check("haproxy started and ready (%.2fs)" % (time.monotonic() - t0), hp.running())
        url = hp.service_url("default/web")
        procs.wait_until(lambda: sorted(hp.up_endpoints("default/web")) == sorted(v1), 10,
                         what="v1 servers UP")
        got = bodies(url, 6)
        R.check("ClusterIP %s answers from v1 only" % url,
                all(st == 200 and " v1 " in b for st, b in got), repr(got))
        R.check("round robin reaches both v1 pods",
                {b.split()[-1] for _, b in got} == {"web-v1-a", "web-v1-b"}, repr(got))
        st, body, _ = procs.http_get(hp.metrics_url, timeout=3)
        active = re.search(rb'^haproxy_backend_active_servers\{proxy="default_web"\} (\d+)', body, re.M)
        R.check("haproxy /metrics: haproxy_backend_active_servers{proxy=\"default_web\"} 2",
                st == 200 and active is not None and active.group(1) == b"2", repr(active))

        # ---------------------------------------------------------------- db stack starts (scraped meanwhile)
        if not args.skip_db:
            db = MariaDB(os.path.join(state, "mariadb"), bind_ip=ip(21), port=3306,
                         env={"MYSQL_ROOT_PASSWORD": "rootpw", "MYSQL_DATABASE": "shop", "MYSQL_USER": "app",
                              "MYSQL_PASSWORD": "apppw"},
                         exporter_user="exporter", exporter_password="exporterpw")
            t0 = time.monotonic()
            db.start(timeout=60)
            R.check("mariadb initialised and answering on %s:3306 (%.2fs)" % (ip(21), time.monotonic() - t0),
                    db.ping())
            users = {tuple(r) for r in db.query("SELECT user, host FROM mysql.user")}
            R.check("mariadb env: app@% and exporter@% exist", ("app", "%") in users and ("exporter", "%") in users,
                    repr(users))
            R.check("mariadb env: database shop exists", ["shop"] in db.query("SHOW DATABASES"))
            grants = db.sql("SHOW GRANTS FOR 'exporter'@'%'")
            # MariaDB >= 10.5 shows REPLICATION CLIENT under its new name, BINLOG MONITOR
            R.check("exporter grants: PROCESS, REPLICATION CLIENT (BINLOG MONITOR), SLAVE MONITOR, SELECT",
                    all(g in grants for g in ("PROCESS", "SLAVE MONITOR", "SELECT")) and
                    ("REPLICATION CLIENT" in grants or "BINLOG MONITOR" in grants), grants)
            r = subprocess.run(["mariadb", "--no-defaults", "-h", ip(21), "-P", "3306", "-uapp", "-papppw", "shop",
                                "-N", "-B", "-e", "SELECT DATABASE()"], capture_output=True, text=True, timeout=10)
            R.check("app user logs in over TCP with MYSQL_PASSWORD", r.stdout.strip() == "shop", r.stderr)
            exp = MysqldExporter(os.path.join(state, "exporter"), listen_ip=ip(22), port=9104,
                                 mysql_host=ip(21), mysql_port=3306, user="exporter", password="exporterpw")
            exp.start(timeout=15)
            R.check("mysqld-exporter reports mysql_up 1", exp.mysql_up() is True)
            prom = Prometheus(os.path.join(state, "prometheus"), listen_ip=ip(30), port=9090)
            prom.set_targets([("mysqld", exp.address, {"namespace": "db", "pod": "mariadb-0"}),
                              ("haproxy", "%s:%d" % (ip(1), 8404), {"namespace": "kube-system"})])
            t0 = time.monotonic()
            prom.start(timeout=30)
            R.check("prometheus ready on %s:9090 (%.2fs)" % (ip(30), time.monotonic() - t0), prom.running())

        # ---------------------------------------------------------------- load + switch
        wrk_out = os.path.join(state, "wrk.out")
        with open(wrk_out, "w") as f:
            wrk = subprocess.Popen(["wrk", "-t2", "-c16", "-d%ds" % args.wrk_seconds, "--timeout", "5s", url],
                                   stdout=f, stderr=subprocess.STDOUT, start_new_session=True)
        w0 = time.monotonic()

        def at(sec):
            # waits until `sec` seconds into the wrk run (a schedule, not a settling delay)
            left = w0 + sec - time.monotonic()
            if left > 0:
                time.sleep(left)

        at(1.5)
        t0 = time.monotonic()
        hp.add_service("default/api", ip(101), 80)            # structural change: hitless reload
        R.check("mid-run: adding a service reloads haproxy (%.2fs, reload #%d)" % (time.monotonic() - t0,
                                                                                      hp.reloads), hp.reloads >= 1)
        R.check("after the reload the endpoints are still v1",
                sorted(hp.up_endpoints("default/web")) == sorted(v1), repr(hp.server_states("default/web")[:4]))
        at(3.0)
        t0 = time.monotonic()
        res = hp.set_endpoints("default/web", v2)
        switch_s = time.monotonic() - t0
        R.check("mid-run: set_endpoints v1 -> v2 through the runtime API (%.2fs, added %d, removed %d, not up %d)"
                % (switch_s, len(res["added"]), len(res["removed"]), len(res["not_up"])),
                len(res["added"]) == 2 and len(res["removed"]) == 2 and not res["not_up"])
        R.check("runtime state after the switch: only v2 UP", sorted(hp.up_endpoints("default/web")) == sorted(v2),
                repr(hp.up_endpoints("default/web")))
        got = bodies(url, 10)
        R.check("responses after the switch come from v2", all(st == 200 and " v2 " in b for st, b in got),
                repr(got))
        at(4.5)
        for name in ("web-v1-a", "web-v1-b"):
            rc = pods.stop(name, grace=10)
            R.check("old pod %s stopped gracefully mid-run (exit %s)" % (name, rc), rc == 0)
        try:
            rc = wrk.wait(timeout=args.wrk_seconds + 20)
        except subprocess.TimeoutExpired:
            rc = None
        text = open(wrk_out).read()
        w = parse_wrk(text)
        R.note("wrk: " + " | ".join(l.strip() for l in text.splitlines() if l.strip()))
        R.check("wrk finished (exit %s), %s requests, %s req/s" % (rc, w["requests"], w["rps"]),
                rc == 0 and (w["requests"] or 0) > 1000)
        R.check("wrk: 0 non-2xx responses (got %d)" % w["non2xx"], w["non2xx"] == 0)
        R.check("wrk: 0 socket errors (got %s)" % (w["socket_errors"] or "none"), not any(w["socket_errors"].values()))
        got = bodies(url, 6)
        R.check("after the run only v2 answers", all(st == 200 and " v2 " in b for st, b in got), repr(got))

        # ---------------------------------------------------------------- ingress
        hp.set_endpoints("default/api", [(ip(13), 8080)])
        hp.set_ingress("main", ip(1), 8081, [
            {"host": "web.example.test", "path": "/", "service": "default/web"},
            {"host": "web.example.test", "path": "/version", "path_type": "Exact", "service": "default/api"},
            {"host": "*.apps.test", "path": "/", "service": "default/api"},
        ])
        iu = "http://%s:8081" % ip(1)
        st1, b1, _ = procs.http_get(iu + "/", headers={"Host": "web.example.test"})
        st2, b2, _ = procs.http_get(iu + "/version", headers={"Host": "web.example.test:8081"})
        st3, b3, _ = procs.http_get(iu + "/", headers={"Host": "x.apps.test"})
        st4, _, _ = procs.http_get(iu + "/", headers={"Host": "a.b.apps.test"})
        st5, b5, _ = procs.http_get(iu + "/", headers={"Host": "nope.test"})
        R.check("ingress: Host web.example.test / -> default/web (v2)", st1 == 200 and b" v2 " in b1, repr((st1, b1)))
        R.check("ingress: Exact /version rule wins, host port ignored", st2 == 200 and b2.strip() == b"v2",
                repr((st2, b2)))
        R.check("ingress: wildcard *.apps.test matches one label only",
                st3 == 200 and b"web-v2-a" in b3 and st4 == 404, repr((st3, b3, st4)))
        R.check("ingress: unknown host -> default backend 404", st5 == 404 and b5 == b"default backend - 404\n",
                repr((st5, b5)))
        R.check("after two reloads the switched endpoints stayed",
                sorted(hp.up_endpoints("default/web")) == sorted(v2) and hp.reloads >= 2)

        # ---------------------------------------------------------------- a TCP Service in front of MariaDB
        if db:
            hp.add_service("db/mariadb", ip(102), 3306, mode="tcp")
            res = hp.set_endpoints("db/mariadb", [(ip(21), 3306)])
            r = subprocess.run(["mariadb", "--no-defaults", "-h", ip(102), "-P", "3306", "-uapp", "-papppw", "shop",
                                "-N", "-B", "-e", "SELECT 6*7"], capture_output=True, text=True, timeout=10)
            R.check("tcp Service %s:3306 -> mariadb (added %d, not up %d)" % (ip(102), len(res["added"]),
                                                                          len(res["not_up"])),
                    r.stdout.strip() == "42" and not res["not_up"], r.stderr)

        # ---------------------------------------------------------------- prometheus sees the real servers
        if prom:
            t0 = time.monotonic()
            try:
                prom.wait_for('mysql_up{job="mysqld"} == 1', timeout=30)
                ok = True
            except procs.DeadlineExceeded as e:
                ok = False
                R.note(str(e))
            R.check("prometheus: mysql_up == 1 (after %.1fs more)" % (time.monotonic() - t0), ok)
            try:
                res = prom.wait_for('count({__name__=~"haproxy_backend_.*", proxy="default_web"})', timeout=30)
                n = int(float(res[0]["value"][1]))
            except procs.DeadlineExceeded:
                n = 0
            R.check("prometheus: %d haproxy_backend_* series for default_web" % n, n > 10)
            n_innodb = prom.query_value('count({__name__=~"mysql_global_status_innodb_.*"})') or 0
            R.check("prometheus: %d mysql_global_status_innodb_* series" % n_innodb, n_innodb > 20)
            labels = prom.query('up{job="mysqld"}')
            R.check("prometheus: file_sd labels kept (namespace=db, pod=mariadb-0)",
                    bool(labels) and labels[0]["metric"].get("namespace") == "db"
                    and labels[0]["metric"].get("pod") == "mariadb-0", repr(labels))
    except SystemExit:
        R.check("interrupted", False)
        raise
    except Exception as e:  # noqa: BLE001 - a crash is a failed check, then clean up
        import traceback
        traceback.print_exc()
        R.check("selftest ran without an exception: %r" % (e,), False)
    finally:
        if wrk is not None and wrk.poll() is None:
            wrk.terminate()
            try:
                wrk.wait(5)
            except subprocess.TimeoutExpired:
                wrk.kill()
                wrk.wait()
        for comp in (prom, exp, db):
            if comp is not None:
                try:
                    comp.stop()
                except Exception as e:  # noqa: BLE001
                    print("# stop failed: %r" % (e,))
        try:
            hp.stop()
        except Exception as e:  # noqa: BLE001
            print("# haproxy stop failed: %r" % (e,))
        pods.stop_all()
    print("%d passed, %d failed" % (R.passed, R.failed), flush=True)
    return 0 if R.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
