"""Services and Ingresses made real by one HAProxy, and the in-cluster Prometheus's targets.

One thread follows the store (Services, Endpoints, Ingresses, Pods) and converges:
  * every Service with a selector and a loopback ClusterIP (127.2.x.y): one HAProxy frontend per port on
    clusterIP:port, its backend servers = the Service's ready endpoints (dataplane/haproxy.py
    set_endpoints: runtime API, no reload, no dropped request). Mode tcp for MariaDB targets (and
    well-known TCP ports such as 3306 when no pod says otherwise), else http; http backends are
    health-checked with the target containers' readinessProbe httpGet path when they have one.
  * every Ingress rule: one frontend on 127.0.0.1:INGRESS_PORT (DIR/ingress-port), host and path
    routing to those backends; Ingress status.loadBalancer.ingress = 127.0.0.1.
  * Prometheus file_sd targets: pods annotated prometheus.io/scrape=true (port prometheus.io/port,
    path prometheus.io/path), HAProxy's exporter (job haproxy), and each Prometheus itself.
"""
import json
import os
import socket
import threading
import time
import traceback

from dataplane import procs
from dataplane.haproxy import HAProxy
from resources import BY_PLURAL
from selection import labels_match
from util import clone

SVC = BY_PLURAL["services"]
EP = BY_PLURAL["endpoints"]
PODS = BY_PLURAL["pods"]
ING = BY_PLURAL["ingresses"]

TCP_PORTS = {3306, 5432, 6379, 27017, 11211, 9042, 2181, 5672}
TCP_NAMES = ("mysql", "mariadb", "postgres", "redis", "tcp", "mongo", "amqp")


def _free(ip, port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((ip, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


class ServiceProxy:
    def __init__(self, kubelet, state_dir, ingress_port, kubesim_dir):
        self.k = kubelet
        self.store = kubelet.store
        self.api = kubelet.api
        self.ingress_ip = "127.0.0.1"
        port = int(ingress_port or 0)
        if not port or not _free(self.ingress_ip, port):
            if port:
                print("kubesim: ingress port %d is busy; using a free one (see ingress-port)" % port, flush=True)
            port = procs.free_port(self.ingress_ip)
        self.ingress_port = port
        self.hp = HAProxy(state_dir, stats_ip="127.0.0.1", stats_port=procs.free_port("127.0.0.1"))
        procs.write_atomic(os.path.join(kubesim_dir, "ingress-port"), "%d\n" % port)
        procs.write_atomic(os.path.join(kubesim_dir, "haproxy-stats-port"), "%d\n" % self.hp.stats_port)
        self.applied_svcs = {}      # key -> (ip, port, mode, health)
        self.applied_eps = {}       # key -> [(ip, port)]
        self.applied_ing = None
        self.applied_targets = None
        self.ing_status_done = set()
        self.health = {}            # key -> last known health path
        self.mode = {}
        self.dropped = set()        # pod IPs taken out ahead of their Endpoints update
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.store.listeners.append(self._on_change)
        self.thread = threading.Thread(target=self._loop, name="services", daemon=True)
        self.thread.start()

    def _on_change(self, rt, etype, old, new):
        if rt.kind in ("Service", "Endpoints", "Ingress", "Pod"):
            self.wake.set()

    def kick(self):
        self.wake.set()

    def stop(self):
        self.stopping.set()
        self.wake.set()
        self.thread.join(15)
        self.hp.stop(grace=5)

    # ---- loop ---------------------------------------------------------------------------
    def _loop(self):
        while not self.stopping.is_set():
            self.wake.wait(1.0)
            if self.stopping.is_set():
                break
            self.wake.clear()
            time.sleep(0.02)     # let a burst of changes settle
            try:
                with self.lock:
                    self.sync()
            except Exception:  # noqa: BLE001 - keep following the store
                traceback.print_exc()
                time.sleep(0.5)
                self.wake.set()

    def drop_ip(self, ip):
        """Takes a terminating pod's IP out of every backend now (before its SIGTERM), by converging
        on the desired state without it. When the Service meanwhile selects other pods (a selector
        flipped back, then the pods it left deleted at once), those enter first and the dropped ones
        leave with the same runtime command (set_endpoints), so the backend is never left empty."""
        with self.lock:
            if not self.hp.running():
                return
            self.dropped.add(ip)
            try:
                self.sync()
                return
            except Exception:  # noqa: BLE001 - fall back to taking it out alone
                traceback.print_exc()
            for key, eps in list(self.applied_eps.items()):
                keep = [e for e in eps if e[0] != ip]
                if keep != eps and key in self.hp.services:
                    self.hp.set_endpoints(key, keep, timeout=2)
                    self.applied_eps[key] = keep

    # ---- desired state ------------------------------------------------------------------
    def _pods_for(self, svc, pods):
        sel = (svc.get("spec") or {}).get("selector") or {}
        reqs = [(k, "=", (v,)) for k, v in sorted(sel.items())]
        return [p for p in pods if labels_match(reqs, p["metadata"].get("labels"))]

    def _target_container(self, pods, sp):
        tp = sp.get("targetPort", sp.get("port"))
        for p in pods:
            for c in (p.get("spec") or {}).get("containers") or []:
                for cp in c.get("ports") or []:
                    if cp.get("containerPort") == tp or (isinstance(tp, str) and cp.get("name") == tp):
                        return c, cp.get("containerPort")
        return None, None

    def sync(self):
        from kubelet import program_of
        with self.store.lock:
            svcs = self.store.objects(SVC)
            eps = {(e["metadata"]["namespace"], e["metadata"]["name"]): e for e in self.store.objects(EP)}
            ings = self.store.objects(ING)
            pods = self.store.objects(PODS)
        by_ns = {}
        for p in pods:
            by_ns.setdefault(p["metadata"]["namespace"], []).append(p)
        want = {}
        want_eps = {}
        svc_ports = {}
        for s in svcs:
            spec = s.get("spec") or {}
            ip = spec.get("clusterIP") or ""
            if not spec.get("selector") or not ip.startswith("127."):
                continue
            ns, name = s["metadata"]["namespace"], s["metadata"]["name"]
            spods = self._pods_for(s, by_ns.get(ns, []))
            ep = eps.get((ns, name)) or {}
            for sp in spec.get("ports") or []:
                if (sp.get("protocol") or "TCP") != "TCP":
                    continue
                key = "%s/%s:%d" % (ns, name, sp["port"])
                svc_ports[(ns, name, sp["port"])] = key
                if sp.get("name"):
                    svc_ports[(ns, name, sp["name"])] = key
                c, cport = self._target_container(spods, sp)
                if c is not None:
                    prog = program_of(c.get("image"))
                    mode = "tcp" if prog == "mariadb" else "http"
                    rp = c.get("readinessProbe") or {}
                    hg = rp.get("httpGet") if isinstance(rp, dict) else None
                    health = None
                    if mode == "http" and isinstance(hg, dict):
                        hport = hg.get("port")
                        if hport == cport or (isinstance(hport, str) and any(
                                cp.get("name") == hport and cp.get("containerPort") == cport
                                for cp in c.get("ports") or [])):
                            health = hg.get("path") or "/"
                    self.mode[key] = mode
                    self.health[key] = health
                mode = self.mode.get(key)
                if mode is None:
                    hint = "%s %s" % (sp.get("name") or "", sp.get("appProtocol") or "")
                    mode = "tcp" if (sp["port"] in TCP_PORTS or any(n in hint.lower() for n in TCP_NAMES)) else "http"
                want[key] = (ip, sp["port"], mode, self.health.get(key))
                addrs = []
                for ss in ep.get("subsets") or []:
                    eports = ss.get("ports") or []
                    epp = next((x for x in eports if x.get("name", "") == sp.get("name", "")),
                               eports[0] if len(eports) == 1 else None)
                    if epp is None:
                        continue
                    for a in ss.get("addresses") or []:
                        if a.get("ip") and a["ip"] not in self.dropped:
                            addrs.append((a["ip"], int(epp["port"])))
                want_eps[key] = sorted(set(addrs))
        # forget dropped IPs once no Endpoints mention them any more
        live = {a.get("ip") for e in eps.values() for ss in e.get("subsets") or []
                for a in (ss.get("addresses") or []) + (ss.get("notReadyAddresses") or [])}
        self.dropped &= live
        rules = []
        for ing in ings:
            ns = ing["metadata"]["namespace"]
            ispec = ing.get("spec") or {}
            dflt = ((ispec.get("defaultBackend") or {}).get("service") or {})
            for r in ispec.get("rules") or []:
                for pth in ((r.get("http") or {}).get("paths") or []):
                    bs = ((pth.get("backend") or {}).get("service") or {})
                    port = (bs.get("port") or {})
                    pkey = port.get("number") if port.get("number") is not None else port.get("name")
                    key = svc_ports.get((ns, bs.get("name"), pkey)) or "%s/%s:%s" % (ns, bs.get("name"), pkey)
                    rules.append({"host": r.get("host"), "path": pth.get("path") or "/",
                                  "path_type": pth.get("pathType") or "Prefix", "service": key})
            del dflt
        hp = self.hp
        with hp.deferred():
            for key in [k for k in self.applied_svcs if k not in want]:
                hp.remove_service(key)
                del self.applied_svcs[key]
                self.applied_eps.pop(key, None)
            for key, (ip, port, mode, health) in want.items():
                if self.applied_svcs.get(key) != (ip, port, mode, health):
                    hp.add_service(key, ip, port, mode=mode, health_path=health)
                    self.applied_svcs[key] = (ip, port, mode, health)
            ing_state = json.dumps(rules, sort_keys=True)
            if ing_state != self.applied_ing:
                hp.set_ingress("ingress", self.ingress_ip, self.ingress_port, rules)
                self.applied_ing = ing_state
            for key in want:
                if key in hp.services and not hp.running() and self.applied_eps.get(key) != want_eps[key]:
                    hp.set_endpoints(key, want_eps[key])
                    self.applied_eps[key] = want_eps[key]
        if not hp.running():
            hp.start(timeout=15)
        for key in want:
            if self.applied_eps.get(key) != want_eps[key]:
                hp.set_endpoints(key, want_eps[key], timeout=5)
                self.applied_eps[key] = want_eps[key]
        for ing in ings:
            st = ing.get("status") or {}
            lb = {"loadBalancer": {"ingress": [{"ip": self.ingress_ip}]}}
            if st != lb:
                try:
                    self.api.put_status(ING, ing, clone(lb))
                except Exception:  # noqa: BLE001
                    pass
        self._sync_targets(pods)

    def _sync_targets(self, pods):
        proms = self.k.prometheus_instances()
        targets = self.targets(pods, proms)
        state = json.dumps(targets, sort_keys=True)
        ids = sorted(id(p) for p in proms)
        if (state, ids) == self.applied_targets:
            return
        for prom in proms:
            try:
                prom.set_targets(targets)
            except OSError:
                pass
        self.applied_targets = (state, ids)

    def targets(self, pods=None, proms=None):
        if pods is None:
            pods = self.store.objects(PODS)
        if proms is None:
            proms = self.k.prometheus_instances()
        out = []
        for p in pods:
            m = p["metadata"]
            ann = m.get("annotations") or {}
            st = p.get("status") or {}
            if ann.get("prometheus.io/scrape") != "true" or m.get("deletionTimestamp") or \
                    st.get("phase") != "Running" or not st.get("podIP"):
                continue
            port = ann.get("prometheus.io/port")
            if not port:
                port = next((cp.get("containerPort") for c in (p.get("spec") or {}).get("containers") or []
                             for cp in c.get("ports") or []), None)
            if not port:
                continue
            labels = {"namespace": m["namespace"], "pod": m["name"]}
            if (m.get("labels") or {}).get("app"):
                labels["app"] = m["labels"]["app"]
            if ann.get("prometheus.io/path"):
                labels["__metrics_path__"] = ann["prometheus.io/path"]
            out.append(["kubernetes-pods", "%s:%s" % (st["podIP"], port), labels])
        out.append(["haproxy", "%s:%d" % (self.hp.stats_ip, self.hp.stats_port), {}])
        for prom in proms:
            out.append(["prometheus", "%s:%d" % (prom.listen_ip, prom.port), {}])
        out.sort(key=lambda t: (t[0], t[1]))
        return out
