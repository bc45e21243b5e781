"""One real HAProxy (master-worker) that makes kubesim's Services and Ingresses real.

    hp = HAProxy(state_dir, stats_ip="127.0.0.1", stats_port=8404)
    hp.add_service("default/web", "127.2.0.10", 80)          # a ClusterIP: frontend + backend
    hp.start(); hp.wait_ready(10)
    hp.set_endpoints("default/web", [("127.1.0.5", 8080), ("127.1.0.6", 8080)])
    hp.set_ingress("main", "127.0.0.1", 8081, [{"host": "web.example", "path": "/", "service": "default/web"}])
    hp.stop()

How endpoint changes drop no request (measured, see shared/rig/README.md): every backend is declared
with a fixed number of server slots (`s0`..`sN`), all in maintenance. A change goes through the
runtime API, never a reload: a new endpoint takes a free slot (`set server addr`), enters with weight 0
and forced-down health, so it takes traffic only after a real health check at its new address has
passed; once it is UP it gets its weight back; only then do the slots of removed endpoints go to
maintenance. Structural changes (a new Service or Ingress, more slots) rewrite the config and do a
hitless reload (USR2 to the master, `option idle-close-on-response`). A reload discards runtime-API
state, so the desired state lives here, in Python, and the config is always rendered with the
current endpoints in their slots; it is also re-applied through the runtime API after the reload.
"""

import contextlib
import os
import re
import signal
import socket
import subprocess
import threading
import time

from . import procs

__all__ = ["HAProxy", "HAProxyError"]

_NAME_OK = re.compile(r"[^A-Za-z0-9_.:-]")
_HOST_OK = re.compile(r"^(\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?$")
_PATH_OK = re.compile(r"^/[A-Za-z0-9._~%!&()*+,;=:@/-]*$")

# `show servers state` columns (0-based) and values
_COL_NAME, _COL_ADDR, _COL_OP, _COL_ADMIN, _COL_UWEIGHT, _COL_PORT = 3, 4, 5, 6, 7, 18
SRV_DOWN, SRV_STARTING, SRV_UP, SRV_STOPPING = 0, 1, 2, 3
ADMF_MAINT = 0x23   # srv_admin_state: any maintenance flag (forced, inherited, resolution); 0x04 = "disabled in config"

DUMMY_ADDR = ("127.0.0.1", 1)   # where an unused slot points (never contacted: it is in maintenance)
WEIGHT = 100


class HAProxyError(RuntimeError):
    pass


def proxy_name(name):
    """HAProxy section name for a service key such as "namespace/name" ("namespace_name")."""
    n = _NAME_OK.sub("_", str(name))
    if not n:
        raise ValueError("empty service name")
    return n


class _Service:
    def __init__(self, name, bind_ip, port, mode, health_path, slots):
        self.name = name
        self.proxy = proxy_name(name)
        self.bind_ip = bind_ip
        self.port = int(port)
        self.mode = mode
        self.health_path = health_path
        self.slots = int(slots)
        self.endpoints = []      # desired, in order: [(ip, port)]
        self.assign = {}         # slot index -> (ip, port) currently given to that slot


class _Ingress:
    def __init__(self, name, bind_ip, port, rules, default_service):
        self.name = name
        self.proxy = "ingress_" + proxy_name(name)
        self.bind_ip = bind_ip
        self.port = int(port)
        self.rules = rules
        self.default_service = default_service


class HAProxy:
    """Manages ONE haproxy master-worker process.

    HAProxy(state_dir, stats_ip="127.0.0.1", stats_port=8404, slots=32, haproxy_bin="haproxy",
            check_inter="500ms", access_log=False)
      start(timeout=10) / stop(grace=10) / wait_ready(timeout=10) / reload(timeout=10) / running()
      add_service(name, bind_ip, port, mode="http", health_path="/health", slots=None)
      remove_service(name)
      set_endpoints(name, [(ip, port), ...], timeout=10) -> {"added":[...], "removed":[...], "not_up":[...]}
      endpoints(name) -> [(ip, port)]       server_states(name) -> [dict]
      up_endpoints(name) -> [(ip, port)]    set_ingress(name, bind_ip, port, rules, default_service=None)
      remove_ingress(name)                  runtime(cmd) -> str        master(cmd) -> str
      metrics_url, stats_url, service_url(name), worker_pid(), reloads
    """

    def __init__(self, state_dir, stats_ip="127.0.0.1", stats_port=8404, slots=32, haproxy_bin="haproxy",
                 check_inter="500ms", access_log=False):
        self.state_dir = os.path.abspath(state_dir)
        os.makedirs(self.state_dir, exist_ok=True)
        self.stats_ip = stats_ip
        self.stats_port = int(stats_port)
        self.default_slots = int(slots)
        self.bin = haproxy_bin
        self.check_inter = check_inter
        self.access_log = access_log
        self.cfg_path = os.path.join(self.state_dir, "haproxy.cfg")
        self.sock_path = procs.socket_path(self.state_dir, "haproxy.sock")
        self.master_sock_path = procs.socket_path(self.state_dir, "master.sock")
        self.pid_path = os.path.join(self.state_dir, "haproxy.pid")
        self.log_path = os.path.join(self.state_dir, "haproxy.log")
        self.services = {}
        self.ingresses = {}
        self.proc = None
        self.reloads = 0
        self._lock = threading.RLock()
        self._defer = 0
        self._deferred = False

    # ------------------------------------------------------------------ config

    def render(self):
        """The full haproxy.cfg for the current desired state."""
        L = []
        a = L.append
        a("# generated by kubesim dataplane/haproxy.py; rewritten on every structural change")
        a("global")
        a("    stats socket %s mode 600 level admin expose-fd listeners" % self.sock_path)
        a("    stats timeout 30s")
        a("    maxconn 8192")
        a("    hard-stop-after 30s")
        if self.access_log:
            a("    log stdout format raw local0 info")
        a("")
        a("defaults")
        a("    mode http")
        if self.access_log:
            a("    log global")
        a("    timeout connect 2s")
        a("    timeout client 60s")
        a("    timeout server 60s")
        a("    timeout queue 10s")
        a("    timeout check 2s")
        a("    timeout http-request 10s")
        a("    timeout http-keep-alive 10s")
        a("    retries 3")
        a("    option redispatch 1")
        a("")
        a("frontend stats")
        a("    bind %s:%d" % (self.stats_ip, self.stats_port))
        a("    option idle-close-on-response")
        a("    http-request use-service prometheus-exporter if { path /metrics }")
        a("    stats enable")
        a("    stats uri /stats")
        a("    stats refresh 5s")
        a("    no log")
        a("")
        for svc in self.services.values():
            self._render_service(svc, a)
        for ing in self.ingresses.values():
            self._render_ingress(ing, a)
        a("backend kubesim_no_service")
        a("    http-request return status 503 content-type text/plain string \"503 service not found\\n\"")
        return "\n".join(L) + "\n"

    def _render_service(self, svc, a):
        http = svc.mode == "http"
        a("frontend %s" % svc.proxy)
        if not http:
            a("    mode tcp")
        a("    bind %s:%d" % (svc.bind_ip, svc.port))
        if http:
            a("    option idle-close-on-response")
            if self.access_log:
                a("    option httplog")
        a("    default_backend %s" % svc.proxy)
        a("")
        a("backend %s" % svc.proxy)
        if not http:
            a("    mode tcp")
        a("    balance roundrobin")
        check = ""
        if svc.health_path:
            if http:
                a("    option httpchk GET %s" % svc.health_path)
                a("    http-check expect status 200")
            check = "check inter %s fall 2 rise 1 " % self.check_inter
        elif not http:
            check = "check inter %s fall 2 rise 1 " % self.check_inter   # TCP connect check
        a("    default-server %sweight %d" % (check, WEIGHT))
        for i in range(svc.slots):
            ep = svc.assign.get(i)
            if ep:
                a("    server s%d %s:%d" % (i, ep[0], ep[1]))
            else:
                a("    server s%d %s:%d disabled" % (i, DUMMY_ADDR[0], DUMMY_ADDR[1]))
        a("")

    def _render_ingress(self, ing, a):
        a("frontend %s" % ing.proxy)
        a("    bind %s:%d" % (ing.bind_ip, ing.port))
        a("    option idle-close-on-response")
        if self.access_log:
            a("    option httplog")
        for i, r in enumerate(_sorted_rules(ing.rules)):
            conds_host = ""
            host = r.get("host") or ""
            if host:
                if host.startswith("*."):
                    rx = "^[^.]+" + host[1:].replace(".", "\\.") + "$"
                    a("    acl r%d_host req.hdr(host),field(1,:),lower -m reg '%s'" % (i, rx))
                else:
                    a("    acl r%d_host req.hdr(host),field(1,:),lower -m str %s" % (i, host))
                conds_host = "r%d_host " % i
            path = r.get("path") or "/"
            ptype = r.get("path_type") or r.get("pathType") or "Prefix"
            target = self._backend_for(r.get("service"))
            if ptype == "Exact":
                a("    acl r%d_path path -m str %s" % (i, path))
                a("    use_backend %s if %sr%d_path" % (target, conds_host, i))
            elif path.rstrip("/") == "":
                a("    use_backend %s%s" % (target, (" if " + conds_host.strip()) if conds_host else ""))
            else:
                p = path.rstrip("/")
                a("    acl r%d_path path -m str %s" % (i, p))
                a("    acl r%d_sub path -m beg %s/" % (i, p))
                a("    use_backend %s if %sr%d_path || %sr%d_sub" % (target, conds_host, i, conds_host, i))
        if ing.default_service:
            a("    default_backend %s" % self._backend_for(ing.default_service))
        else:
            a("    default_backend %s_404" % ing.proxy)
        a("")
        if not ing.default_service:
            a("backend %s_404" % ing.proxy)
            a("    http-request return status 404 content-type text/plain string \"default backend - 404\\n\"")
            a("")

    def _backend_for(self, service):
        svc = self.services.get(service)
        if svc is None or svc.mode != "http":
            return "kubesim_no_service"
        return svc.proxy

    def _write_config(self):
        text = self.render()
        tmp = self.cfg_path + ".new"
        with open(tmp, "w") as f:
            f.write(text)
        r = subprocess.run([self.bin, "-c", "-q", "-f", tmp], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
        if r.returncode != 0:
            raise HAProxyError("generated haproxy config is invalid (kept in %s):\n%s" % (tmp, r.stdout))
        os.replace(tmp, self.cfg_path)

    # ------------------------------------------------------------------ process

    def running(self):
        return self.proc is not None and self.proc.running()

    def start(self, timeout=10.0):
        with self._lock:
            if self.running():
                return self
            for p in (self.sock_path, self.master_sock_path):
                try:
                    os.unlink(p)
                except FileNotFoundError:
                    pass
            self._write_config()
            self.proc = procs.Process(
                "haproxy", [self.bin, "-W", "-S", self.master_sock_path + ",mode,600", "-f", self.cfg_path,
                            "-p", self.pid_path],
                log_path=self.log_path).start()
        if timeout:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout=10.0):
        """Returns once the worker answers on the runtime API and every frontend accepts connections."""
        def ready():
            if not self.running():
                raise HAProxyError("haproxy exited (status %s):\n%s" % (self.proc.returncode if self.proc else None,
                                                                        self.proc.log_tail() if self.proc else ""))
            if "Pid:" not in self.runtime("show info", retry=0):
                return False
            binds = [(self.stats_ip, self.stats_port)] + [(s.bind_ip, s.port) for s in self.services.values()] + \
                    [(i.bind_ip, i.port) for i in self.ingresses.values()]
            return all(procs.tcp_open(h, p, timeout=0.5) for h, p in binds)
        procs.wait_until(ready, timeout, what="haproxy to be ready")
        return True

    def stop(self, grace=10.0):
        with self._lock:
            if self.proc is None:
                return None
            rc = self.proc.stop(grace)
            self.proc = None
            try:
                os.unlink(self.pid_path)      # haproxy leaves its -p file behind
            except FileNotFoundError:
                pass
            return rc

    def worker_pid(self):
        for line in self.runtime("show info").splitlines():
            if line.startswith("Pid:"):
                return int(line.split(":", 1)[1])
        return None

    def reload(self, timeout=10.0):
        """Hitless reload: writes the config, USR2 to the master, waits for the new worker, re-applies
        the desired endpoints through the runtime API."""
        with self._lock:
            self._write_config()
            if not self.running():
                return
            old = self.worker_pid()
            os.kill(self.proc.pid, signal.SIGUSR2)

            def new_worker():
                if not self.running():
                    raise HAProxyError("haproxy master exited during reload:\n" + self.proc.log_tail())
                pid = self.worker_pid()
                return pid is not None and pid != old
            procs.wait_until(new_worker, timeout, what="the new haproxy worker after a reload")
            self.reloads += 1
            self.wait_ready(timeout)
            for svc in self.services.values():
                self._reapply(svc)

    def _reapply(self, svc):
        """Makes the runtime state of svc's slots match self.assign (after a reload it already should)."""
        states = {s["name"]: s for s in self.server_states(svc.name)}
        cmds = []
        for i in range(svc.slots):
            st = states.get("s%d" % i)
            if st is None:
                continue
            ep = svc.assign.get(i)
            in_maint = bool(st["admin_state"] & ADMF_MAINT)
            if ep is None:
                if not in_maint:
                    cmds.append("set server %s/s%d state maint" % (svc.proxy, i))
            elif (st["addr"], st["port"]) != ep or in_maint or st["weight"] != WEIGHT:
                cmds.append("set server %s/s%d addr %s port %d" % (svc.proxy, i, ep[0], ep[1]))
                cmds.append("set weight %s/s%d %d" % (svc.proxy, i, WEIGHT))
                cmds.append("set server %s/s%d state ready" % (svc.proxy, i))
        if cmds:
            self.runtime(";".join(cmds))

    # ------------------------------------------------------------------ runtime API

    def runtime(self, cmd, timeout=5.0, retry=2.0):
        """Sends one command (or several separated by ';') to the worker's admin socket; returns the answer.
        Retries the connection for `retry` seconds (the socket is re-created by a reload)."""
        deadline = time.monotonic() + retry
        while True:
            try:
                return _unix_request(self.sock_path, cmd + "\n", timeout)
            except (FileNotFoundError, ConnectionRefusedError, ConnectionResetError):
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.02)

    def master(self, cmd, timeout=5.0):
        """A command on the master CLI (it answers after the client half-closes)."""
        return _unix_request(self.master_sock_path, cmd + "\n", timeout)

    def server_states(self, name):
        """[{"name","addr","port","op_state","admin_state","weight"}] for each slot of a service's backend."""
        svc = self._svc(name)
        out = self.runtime("show servers state %s" % svc.proxy)
        rows = []
        for line in out.splitlines():
            f = line.split()
            if len(f) < 19 or line.startswith("#") or f[1] != svc.proxy:
                continue
            rows.append({"name": f[_COL_NAME], "addr": f[_COL_ADDR], "port": int(f[_COL_PORT]),
                         "op_state": int(f[_COL_OP]), "admin_state": int(f[_COL_ADMIN]),
                         "weight": int(f[_COL_UWEIGHT])})
        return rows

    def up_endpoints(self, name):
        """Endpoints whose slot is in service and UP right now."""
        return [(s["addr"], s["port"]) for s in self.server_states(name)
                if s["op_state"] == SRV_UP and not (s["admin_state"] & ADMF_MAINT) and s["weight"] > 0
                and (s["addr"], s["port"]) != DUMMY_ADDR]

    # ------------------------------------------------------------------ services

    def _svc(self, name):
        svc = self.services.get(name)
        if svc is None:
            raise KeyError("no such service: %s" % name)
        return svc

    def add_service(self, name, bind_ip, port, mode="http", health_path="/health", slots=None):
        """A Service's ClusterIP: a frontend on bind_ip:port and a backend with `slots` server slots.
        mode "http" (health check GET health_path, None for a TCP connect check) or "tcp".
        Applied with a hitless reload when haproxy runs. A multi-port Service is one call per port
        (e.g. name "default/web:http")."""
        if mode not in ("http", "tcp"):
            raise ValueError("mode must be http or tcp")
        if health_path is not None and not _PATH_OK.match(health_path):
            raise ValueError("bad health_path %r" % (health_path,))
        with self._lock:
            old = self.services.get(name)
            svc = _Service(name, bind_ip, port, mode, health_path, slots or self.default_slots)
            if old is not None:
                svc.endpoints, svc.assign = old.endpoints, old.assign
                svc.slots = max(svc.slots, old.slots)
                if (old.bind_ip, old.port, old.mode, old.health_path, old.slots) == \
                        (svc.bind_ip, svc.port, svc.mode, svc.health_path, svc.slots):
                    return svc
            clash = [s.name for s in self.services.values() if s.name != name and s.proxy == svc.proxy]
            if clash:
                raise ValueError("service %s clashes with %s (same haproxy name %s)" % (name, clash[0], svc.proxy))
            self.services[name] = svc
            self._apply_structure()
            return svc

    def remove_service(self, name):
        with self._lock:
            if self.services.pop(name, None) is not None:
                self._apply_structure()

    def set_ingress(self, name, bind_ip, port, rules, default_service=None):
        """An Ingress entry point on bind_ip:port. rules: [{"host": "a.example" | "*.example" | None,
        "path": "/api", "path_type": "Prefix" | "Exact", "service": service name}]. Precedence as in
        Kubernetes: exact host, wildcard host, any host; then Exact paths; then the longest prefix.
        Unmatched requests go to default_service, else 404; a rule for an unknown service answers 503."""
        norm = []
        for r in rules:
            host = (r.get("host") or "").lower()
            path = r.get("path") or "/"
            ptype = r.get("path_type") or r.get("pathType") or "Prefix"
            if host and not _HOST_OK.match(host):
                raise ValueError("bad ingress host %r" % (host,))
            if not _PATH_OK.match(path):
                raise ValueError("bad ingress path %r" % (path,))
            if ptype not in ("Prefix", "Exact", "ImplementationSpecific"):
                raise ValueError("bad pathType %r" % (ptype,))
            norm.append({"host": host, "path": path, "path_type": "Exact" if ptype == "Exact" else "Prefix",
                         "service": r["service"]})
        with self._lock:
            self.ingresses[name] = _Ingress(name, bind_ip, port, norm, default_service)
            self._apply_structure()

    def remove_ingress(self, name):
        with self._lock:
            if self.ingresses.pop(name, None) is not None:
                self._apply_structure()

    @contextlib.contextmanager
    def deferred(self):
        """Structural changes made inside the block are applied once, at its end (one reload)."""
        with self._lock:
            self._defer += 1
            try:
                yield self
            finally:
                self._defer -= 1
                if not self._defer and self._deferred:
                    self._deferred = False
                    self._apply_structure()

    def _apply_structure(self):
        if self._defer:
            self._deferred = True
            return
        if self.running():
            self.reload()
        else:
            self._write_config()

    def endpoints(self, name):
        return list(self._svc(name).endpoints)

    def service_url(self, name, path="/"):
        svc = self._svc(name)
        return "http://%s:%d%s" % (svc.bind_ip, svc.port, path)

    @property
    def metrics_url(self):
        return "http://%s:%d/metrics" % (self.stats_ip, self.stats_port)

    @property
    def stats_url(self):
        return "http://%s:%d/stats" % (self.stats_ip, self.stats_port)

    def set_endpoints(self, name, endpoints, timeout=10.0):
        """Makes the service's servers exactly `endpoints` ([(ip, port)]), through the runtime API
        without a reload: new endpoints enter (weight 0, forced down) and must pass a real health check
        (wait up to `timeout` s for UP); they then get their weight; only then are removed endpoints put
        in maintenance. Returns {"added", "removed", "not_up"} (not_up: new endpoints that did not come
        UP in time; they stay configured and take traffic once their checks pass)."""
        eps = []
        for ip, port in endpoints:
            ep = (str(ip), int(port))
            if ep not in eps:
                eps.append(ep)
        with self._lock:
            svc = self._svc(name)
            svc.endpoints = eps
            current = {ep: slot for slot, ep in svc.assign.items()}
            added = [ep for ep in eps if ep not in current]
            removed = [ep for ep in current if ep not in eps]
            result = {"added": added, "removed": removed, "not_up": []}
            if not added and not removed:
                return result
            free = [i for i in range(svc.slots) if i not in svc.assign]
            if not self.running() or len(added) > len(free):
                # not running yet, or more endpoints than slots: the config carries the new set
                # (a hitless reload; the old worker finishes what it has in flight)
                while len(eps) > svc.slots:
                    svc.slots *= 2
                svc.assign = {i: ep for i, ep in enumerate(eps)}
                self._apply_structure()
                return result
            checked = svc.health_path is not None or svc.mode == "tcp"
            new_slots = []
            cmds = []
            for ep in added:
                slot = free.pop(0)
                new_slots.append(slot)
                svc.assign[slot] = ep
                srv = "%s/s%d" % (svc.proxy, slot)
                cmds.append("set server %s state maint" % srv)
                cmds.append("set server %s addr %s port %d" % (srv, ep[0], ep[1]))
                if checked:
                    cmds.append("set weight %s 0" % srv)
                    cmds.append("set server %s state ready" % srv)
                    cmds.append("set server %s health down" % srv)
                else:
                    cmds.append("set weight %s %d" % (srv, WEIGHT))
                    cmds.append("set server %s state ready" % srv)
            if cmds:
                self._runtime_checked(";".join(cmds))
            if checked and new_slots:
                names = {"s%d" % i for i in new_slots}

                def all_up():
                    return all(s["op_state"] == SRV_UP for s in self.server_states(name) if s["name"] in names)
                try:
                    procs.wait_until(all_up, timeout, interval=0.05, what="new servers of %s to be UP" % name)
                except procs.DeadlineExceeded:
                    pass
                st = {s["name"]: s for s in self.server_states(name)}
                result["not_up"] = [svc.assign[i] for i in new_slots
                                    if st.get("s%d" % i, {}).get("op_state") != SRV_UP]
            # the new servers' weights and the removed ones' maintenance go in one runtime command, so
            # a selector switch flips between the two sets at once (no window serving both)
            cmds = ["set weight %s/s%d %d" % (svc.proxy, i, WEIGHT) for i in new_slots] if checked else []
            for ep in removed:
                slot = current[ep]
                del svc.assign[slot]
                cmds.append("set server %s/s%d state maint" % (svc.proxy, slot))
            if cmds:
                self._runtime_checked(";".join(cmds))
            return result

    def _runtime_checked(self, cmd):
        out = self.runtime(cmd)
        for line in out.splitlines():
            low = line.strip().lower()
            if low and not low.startswith("ip changed") and not low.startswith("no need to change") \
                    and ("no such" in low or "unknown" in low or "require" in low or "invalid" in low
                         or "error" in low or "can't" in low or "cannot" in low):
                raise HAProxyError("runtime command failed: %s -> %s" % (cmd, out.strip()))
        return out

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


def _sorted_rules(rules):
    def key(r):
        host = r.get("host") or ""
        hrank = 2 if not host else (1 if host.startswith("*.") else 0)
        exact = 0 if r.get("path_type") == "Exact" else 1
        return (hrank, exact, -len((r.get("path") or "/").rstrip("/")))
    return sorted(rules, key=key)


def _unix_request(path, data, timeout):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall(data.encode())
        s.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
        return b"".join(chunks).decode("utf-8", "replace")
    finally:
        s.close()
