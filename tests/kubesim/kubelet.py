"""kubesim's kubelet: every pod's containers run as real local processes on the pod's own loopback IP.

Loaded by kubesim.py as `kubelet.Kubelet(mgr, args)` when `--virtual` is not given. It subclasses
runtime.VirtualRuntime and overrides its hooks:

  start (the `_start` timer)   allocates a loopback IP (127.1.x.y), starts one supervisor thread per
                               container: run the program, pump its stdout+stderr into a per-instance
                               log file with RFC 3339 nano timestamps, run the probes, restart with
                               back-off (restartPolicy), write the pod status from what really happens
  stop_pod / pod_removed       SIGTERM, terminationGracePeriodSeconds, SIGKILL; then the pod goes
  logs / log_reader            the log files (current instance, or the previous one)
  exec                         WebSocket v5/v4.channel.k8s.io, pipes or a pty (tty=true)
  proxy                        pods/NAME[:PORT]/proxy, services/NAME[:PORT]/proxy (streamed)
  stop                         every process it started, by pid

Image -> program: `*mysqld-exporter*` -> prometheus-mysqld-exporter (sidecar: talks to the pod's own
mariadbd); `*mariadb*`, `mysql:*` -> mariadbd (datadir under the state dir, initialised from the
MYSQL_*/MARIADB_* env); `*prometheus*` -> prometheus (file_sd targets from services.py); anything else
-> build/podapp. Services and Ingresses are made real by services.py (HAProxy).
"""
import base64
import fcntl
import hashlib
import http.client
import json
import os
import pty
import re
import selectors
import signal
import socket
import struct
import subprocess
import termios
import threading
import time
import urllib.parse

import defaults
import websocket
from dataplane import procs
from dataplane.exporter import INNODB_FLAGS
from dataplane.mariadb import MariaDB, MariaDBConfigError
from dataplane.prometheus import Prometheus
from resources import BY_PLURAL
from runtime import VirtualRuntime
from util import ApiError, clone, now_iso

PODS = BY_PLURAL["pods"]
SECRETS = BY_PLURAL["secrets"]
CONFIGMAPS = BY_PLURAL["configmaps"]
SERVICES = BY_PLURAL["services"]
ENDPOINTS = BY_PLURAL["endpoints"]

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
BACKOFF_START = 10.0
BACKOFF_RESET_AFTER = 120.0     # a container that ran this long starts its back-off afresh
HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
       "transfer-encoding", "upgrade", "authorization", "host", "content-length"}


class ConfigError(Exception):
    """CreateContainerConfigError: a referenced Secret/ConfigMap (key) is missing."""


def program_of(image):
    i = (image or "").lower()
    repo = i.rsplit("@", 1)[0]
    base = repo.rsplit("/", 1)[-1].split(":", 1)[0]
    if "mysqld-exporter" in i or "mysqld_exporter" in i:
        return "exporter"
    if "mariadb" in i or "mysql:" in i or base == "mysql":
        return "mariadb"
    if "prometheus" in i:
        return "prometheus"
    return "podapp"


def image_tag(image):
    i = (image or "").rsplit("@", 1)[0]
    last = i.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else "latest"


def ts_nano(t_ns=None):
    t_ns = time.time_ns() if t_ns is None else t_ns
    s, ns = divmod(t_ns, 1_000_000_000)
    return "%s.%09dZ" % (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)), ns)


def parse_ts(b):
    """'2026-01-02T03:04:05.123456789Z' -> unix float."""
    try:
        s = b[:19]
        frac = b[20:29] if len(b) > 20 else "0"
        import calendar
        return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%S")) + int(frac.ljust(9, "0")) / 1e9
    except (ValueError, IndexError):
        return time.time()


def _q1(q, k, default=None):
    v = q.get(k)
    return v[-1] if v else default


def _truthy(v):
    return v in ("1", "true", "True", "t")


# ---------------------------------------------------------------------------------------------
# loopback addresses

class LoopbackBlock:
    """Claims one of 16 blocks of 127.1.0.0/16 (pods) and 127.2.0.0/16 (Service ClusterIPs) for this
    kubesim, by holding a socket bound to 127.254.K.1:9, so two simulators on one machine never hand
    out the same address."""

    def __init__(self):
        self.sock = None
        start = os.getpid() % 16
        for i in range(16):
            k = (start + i) % 16
            s = socket.socket()
            try:
                s.bind(("127.254.%d.1" % k, 9))
            except OSError:
                s.close()
                continue
            self.sock, self.k = s, k
            break
        else:
            self.k = start

    def alloc(self, prefix):
        return _Alloc(prefix, self.k * 16)


class _Alloc:
    def __init__(self, prefix, base):
        self.prefix, self.base, self.n = prefix, base, 0
        self.lock = threading.Lock()

    def next(self):
        with self.lock:
            while True:
                i = self.n % (16 * 254)
                self.n += 1
                a, b = divmod(i, 254)
                return "%s.%d.%d" % (self.prefix, self.base + a, b + 1)


def _port_free(ip, port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((ip, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


# ---------------------------------------------------------------------------------------------
# log pump: one thread reads every container's stdout+stderr pipe and writes timestamped lines

class LogPump:
    def __init__(self):
        self.sel = selectors.DefaultSelector()
        self.rwake, self.wwake = os.pipe()
        os.set_blocking(self.rwake, False)
        self.sel.register(self.rwake, selectors.EVENT_READ, None)
        self.pending = []
        self.lock = threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self._loop, name="kubelet-logs", daemon=True)
        self.thread.start()

    def add(self, fd, path, done):
        f = open(path, "ab", buffering=0)
        with self.lock:
            self.pending.append((fd, [f, b"", done]))
        os.write(self.wwake, b"x")

    def stop(self):
        self.running = False
        try:
            os.write(self.wwake, b"x")
        except OSError:
            pass
        self.thread.join(3)

    @staticmethod
    def _write(st, lines):
        out = []
        for ln in lines:
            out.append(ts_nano().encode() + b" " + ln.rstrip(b"\r") + b"\n")
        try:
            st[0].write(b"".join(out))
        except (OSError, ValueError):
            pass

    def _close(self, fd, st):
        if st[1]:
            self._write(st, [st[1]])
            st[1] = b""
        try:
            self.sel.unregister(fd)
        except (KeyError, ValueError):
            pass
        try:
            os.close(fd)
        except OSError:
            pass
        try:
            st[0].close()
        except OSError:
            pass
        st[2].set()

    def _loop(self):
        while self.running:
            with self.lock:
                pend, self.pending = self.pending, []
            for fd, st in pend:
                self.sel.register(fd, selectors.EVENT_READ, st)
            for key, _ in self.sel.select(1.0):
                if key.data is None:
                    try:
                        os.read(self.rwake, 4096)
                    except OSError:
                        pass
                    continue
                st = key.data
                try:
                    data = os.read(key.fd, 65536)
                except OSError:
                    data = b""
                if not data:
                    self._close(key.fd, st)
                    continue
                buf = st[1] + data
                parts = buf.split(b"\n")
                st[1] = parts.pop()
                if len(st[1]) > 16384:
                    parts.append(st[1])
                    st[1] = b""
                if parts:
                    self._write(st, parts)
        for key in list(self.sel.get_map().values()):
            if key.data is not None:
                self._close(key.fd, key.data)


class FileLogReader:
    """Reads a kubelet log file ("TIMESTAMP line" records) from the start, then what is appended."""

    def __init__(self, path, done):
        self.path = path
        self.pos = 0
        self._done = done

    def _read(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.pos)
                data = f.read()
        except OSError:
            return []
        end = data.rfind(b"\n")
        if end < 0:
            return []
        self.pos += end + 1
        out = []
        for rec in data[:end].split(b"\n"):
            ts, _, line = rec.partition(b" ")
            out.append((parse_ts(ts.decode("ascii", "replace")), line.decode("utf-8", "replace")))
        return out

    def read_all(self):
        self.pos = 0
        return self._read()

    def read_new(self):
        return self._read()

    def done(self):
        return self._done()

    poll_interval = 0.1


# ---------------------------------------------------------------------------------------------
# containers

class Probe:
    def __init__(self, kind, spec, start):
        self.kind = kind
        self.spec = spec
        self.period = max(0.1, float(spec.get("periodSeconds", 10) or 10))
        self.timeout = max(0.1, float(spec.get("timeoutSeconds", 1) or 1))
        self.success_threshold = int(spec.get("successThreshold", 1) or 1)
        self.failure_threshold = int(spec.get("failureThreshold", 3) or 3)
        self.next_at = start + max(0.15, float(spec.get("initialDelaySeconds", 0) or 0))
        self.successes = 0
        self.failures = 0


class Container:
    def __init__(self, pod, spec):
        self.pod = pod
        self.k = pod.k
        self.spec = spec
        self.name = spec["name"]
        self.image = spec.get("image", "")
        self.program = program_of(self.image)
        self.dir = os.path.join(pod.dir, self.name)
        os.makedirs(self.dir, exist_ok=True)
        self.instance = 0
        self.restart_count = 0
        self.state = {"waiting": {"reason": "ContainerCreating"}}
        self.last_state = {}
        self.ready = False
        self.started = False
        self.proc = None
        self.log_path = None
        self.prev_log_path = None
        self.log_done = None
        self.cid = ""
        self.env = {}
        self.cwd = self.dir
        self.probes = []
        self.backoff = 0.0
        self.started_mono = 0.0
        self.kill_reason = None
        self.finished = False
        self.thread = threading.Thread(target=self._run, name="ctr-%s/%s" % (pod.name, self.name), daemon=True)

    # ---- status -------------------------------------------------------------------------
    def status(self):
        img = self.image
        repo = img.rsplit(":", 1)[0] if ":" in img.rsplit("/", 1)[-1] else img
        d = {"name": self.name, "state": clone(self.state), "lastState": clone(self.last_state),
             "ready": self.ready, "restartCount": self.restart_count, "image": img,
             "imageID": ("%s@sha256:%s" % (repo, hashlib.sha256(img.encode()).hexdigest())) if self.instance else ""}
        if self.cid:
            d["containerID"] = self.cid
        d["started"] = self.started
        return d

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    # ---- lifecycle ----------------------------------------------------------------------
    def _run(self):
        pod = self.pod
        next_start = time.monotonic()
        while not pod.stopping.is_set() and not self.k.stopping.is_set():
            if self.proc is None:
                if self.finished:
                    break
                if time.monotonic() < next_start:
                    pod.stopping.wait(min(0.2, next_start - time.monotonic()))
                    continue
                try:
                    self._start_instance()
                except ConfigError as e:
                    self.state = {"waiting": {"reason": "CreateContainerConfigError", "message": str(e)}}
                    self.pod.sync()
                    self.k.rec.event(pod.obj(), "Warning", "Failed", "Error: %s" % e, "kubelet", pod.node,
                                     "spec.containers{%s}" % self.name)
                    next_start = time.monotonic() + 2
                    continue
                except Exception as e:  # noqa: BLE001 - a start failure is the container's failure
                    self.state = {"waiting": {"reason": "RunContainerError", "message": str(e)}}
                    self.pod.sync()
                    self.k.rec.event(pod.obj(), "Warning", "Failed", "Error: %s" % e, "kubelet", pod.node,
                                     "spec.containers{%s}" % self.name)
                    next_start = time.monotonic() + BACKOFF_START
                    continue
            rc = self.proc.poll()
            if rc is not None:
                delay = self._exited(rc)
                if delay is None:
                    self.finished = True
                    break
                next_start = time.monotonic() + delay
                continue
            self._probe_due()
            pod.stopping.wait(0.1)

    def _exited(self, rc):
        """Records the termination; returns the restart delay or None (no restart)."""
        if self.log_done is not None:
            self.log_done.wait(2)
        code = rc if rc >= 0 else 128 - rc
        now = now_iso()
        started = (self.state.get("running") or {}).get("startedAt", now)
        term = {"exitCode": code, "reason": "Completed" if code == 0 else "Error", "startedAt": started,
                "finishedAt": now, "containerID": self.cid}
        if rc < 0 and -rc == signal.SIGKILL and self.kill_reason is None:
            term["reason"] = "Error"
        self.proc = None
        self.ready = False
        self.started = False
        policy = (self.pod.spec.get("restartPolicy") or "Always")
        restart = policy == "Always" or (policy == "OnFailure" and (code != 0 or self.kill_reason))
        self.kill_reason = None
        if self.pod.stopping.is_set() or self.k.stopping.is_set() or not restart:
            self.state = {"terminated": term}
            self.pod.sync()
            return None
        ran = time.monotonic() - self.started_mono
        if ran >= BACKOFF_RESET_AFTER:
            self.backoff = 0.0
        delay = self.backoff
        self.backoff = BACKOFF_START if self.backoff == 0 else min(self.backoff * 2, self.k.backoff_max)
        self.last_state = {"terminated": term}
        if delay > 0:
            pod = self.pod
            self.state = {"waiting": {"reason": "CrashLoopBackOff",
                                      "message": "back-off %ds restarting failed container=%s pod=%s_%s(%s)" % (
                                          delay, self.name, pod.name, pod.ns, pod.uid)}}
            self.k.rec.event(pod.obj(), "Warning", "BackOff", "Back-off restarting failed container %s in pod %s_%s(%s)"
                             % (self.name, pod.name, pod.ns, pod.uid), "kubelet", pod.node,
                             "spec.containers{%s}" % self.name)
        else:
            self.state = {"terminated": term}
        self.pod.sync()
        return delay

    def _start_instance(self):
        pod = self.pod
        env = self.k.container_env(pod.obj(), self.spec, pod.ip)
        argv, env, cwd = self._program(env)
        self.env = env
        self.cwd = cwd
        inst = self.instance + 1
        path = os.path.join(self.dir, "%d.log" % inst)
        for old in range(max(1, inst - 5), inst - 1):
            try:
                os.unlink(os.path.join(self.dir, "%d.log" % old))
            except FileNotFoundError:
                pass
        r, w = os.pipe()
        try:
            p = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=w, stderr=w,
                                 start_new_session=True, close_fds=True)
        except OSError:
            os.close(r)
            raise
        finally:
            os.close(w)
        done = threading.Event()
        self.k.pump.add(r, path, done)
        self.k.track(p)
        if self.k.stopping.is_set() or pod.stopping.is_set():
            p.kill()        # raced with a shutdown or the pod's deletion
        self.instance = inst
        if self.log_path:
            self.prev_log_path = self.log_path
        self.log_path, self.log_done, self.proc = path, done, p
        if inst > 1:
            self.restart_count += 1
        self.started_mono = time.monotonic()
        self.cid = "containerd://" + hashlib.sha256(("%s/%s/%d" % (pod.uid, self.name, inst)).encode()).hexdigest()
        self.state = {"running": {"startedAt": now_iso()}}
        now = time.monotonic()
        self.probes = [Probe(kind, self.spec[key], now) for kind, key in
                       (("startup", "startupProbe"), ("readiness", "readinessProbe"), ("liveness", "livenessProbe"))
                       if isinstance(self.spec.get(key), dict)]
        self.started = not any(pr.kind == "startup" for pr in self.probes)
        self.ready = self.started and not any(pr.kind == "readiness" for pr in self.probes)
        o = pod.obj()
        fp = "spec.containers{%s}" % self.name
        img = self.image
        self.k.rec.event(o, "Normal", "Pulled", 'Container image "%s" already present on machine' % img, "kubelet",
                         pod.node, fp)
        self.k.rec.event(o, "Normal", "Created", "Created container " + self.name, "kubelet", pod.node, fp)
        self.k.rec.event(o, "Normal", "Started", "Started container " + self.name, "kubelet", pod.node, fp)
        pod.sync()

    def _program(self, env):
        pod = self.pod
        ports = [cp.get("containerPort") for cp in self.spec.get("ports") or [] if cp.get("containerPort")]
        cwd = self.dir
        wd = self.spec.get("workingDir")
        if wd and os.path.isdir(wd):
            cwd = wd
        if self.program == "mariadb":
            port = ports[0] if ports else 3306
            user, pw = self.k.exporter_creds(pod.obj())
            db = MariaDB(os.path.join(self.dir, "mysql"), bind_ip=pod.ip, port=port, env=env, exporter_user=user,
                         exporter_password=pw)
            try:
                init_sql = db._init_sql() if not db.initialized() else None
            except MariaDBConfigError as e:
                msg = str(e).replace("'", "'\\''")
                return ["/bin/sh", "-c", "printf '%%s\\n' '%s' >&2; exit 1" % msg], env, cwd
            db.init_datadir()
            os.makedirs(db.tmpdir, exist_ok=True)
            args = [db.mariadbd_bin, "--no-defaults", "--datadir=" + db.datadir, "--user=root",
                    "--socket=" + db.socket_path, "--port=%d" % port, "--bind-address=" + pod.ip,
                    "--pid-file=" + db.pid_path, "--tmpdir=" + db.tmpdir, "--skip-name-resolve",
                    "--innodb-buffer-pool-size=64M", "--max-connections=200"]
            if init_sql is not None:
                fd = os.open(db.init_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "w") as f:
                    f.write(init_sql)
                args.append("--init-file=" + db.init_file)
            try:
                os.unlink(db.socket_path)
            except FileNotFoundError:
                pass
            return args, env, cwd
        if self.program == "exporter":
            port = ports[0] if ports else 9104
            user, pw, host, mport = self.k.parse_dsn(env.get("DATA_SOURCE_NAME", ""), pod)
            cnf = os.path.join(self.dir, "my.cnf")
            fd = os.open(cnf + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write("[client]\nuser=%s\npassword=%s\nhost=%s\nport=%d\n" % (user, pw, host, mport))
            os.replace(cnf + ".tmp", cnf)
            env = {k: v for k, v in env.items() if k != "DATA_SOURCE_NAME"}
            return (["prometheus-mysqld-exporter", "--config.my-cnf=" + cnf,
                     "--web.listen-address=%s:%d" % (pod.ip, port)] + list(INNODB_FLAGS)), env, cwd
        if self.program == "prometheus":
            port = ports[0] if ports else 9090
            prom = Prometheus(os.path.join(self.dir, "prometheus"), listen_ip=pod.ip, port=port)
            procs.write_atomic(prom.config_path, prom.render_config())
            os.makedirs(prom.data_dir, exist_ok=True)
            self.k.register_prometheus((pod.uid, self.name), prom)
            return ([prom.bin, "--config.file=" + prom.config_path, "--storage.tsdb.path=" + prom.data_dir,
                     "--storage.tsdb.retention.time=" + prom.retention,
                     "--web.listen-address=%s:%d" % (pod.ip, port), "--web.enable-lifecycle",
                     "--log.level=info"]), env, cwd
        # podapp
        env["POD_IP"] = pod.ip
        env.setdefault("POD_NAME", pod.name)
        env.setdefault("APP_NAME", (pod.labels.get("app") or pod.labels.get("app.kubernetes.io/name") or self.name))
        env.setdefault("VERSION", image_tag(self.image))
        env.setdefault("ANY_PATH", "1")
        if ports:
            env["PORT"] = str(ports[0])
            if len(ports) > 1:
                env["PORTS"] = ",".join(str(x) for x in ports)
        if pod.job:
            env.setdefault("EXIT_CODE", "0")
            env.setdefault("RUN_FOR", "1")
        return [self.k.podapp], env, cwd

    # ---- probes -------------------------------------------------------------------------
    def _probe_due(self):
        now = time.monotonic()
        changed = False
        for pr in self.probes:
            if now < pr.next_at:
                continue
            if pr.kind != "startup" and not self.started:
                pr.next_at = now + pr.period
                continue
            if pr.kind == "startup" and self.started:
                continue
            ok, msg = self.k.run_probe(self, pr)
            pr.next_at = time.monotonic() + pr.period
            if not self.running():
                return
            if ok:
                pr.successes += 1
                pr.failures = 0
            else:
                pr.failures += 1
                pr.successes = 0
                label = {"readiness": "Readiness", "liveness": "Liveness", "startup": "Startup"}[pr.kind]
                self.k.rec.event(self.pod.obj(), "Warning", "Unhealthy", "%s probe failed: %s" % (label, msg),
                                 "kubelet", self.pod.node, "spec.containers{%s}" % self.name)
            if pr.kind == "readiness":
                if ok and pr.successes >= pr.success_threshold and not self.ready:
                    self.ready = True
                    changed = True
                elif not ok and pr.failures >= pr.failure_threshold and self.ready:
                    self.ready = False
                    changed = True
            elif pr.kind == "startup":
                if ok:
                    self.started = True
                    self.ready = not any(p.kind == "readiness" for p in self.probes)
                    changed = True
                elif pr.failures >= pr.failure_threshold:
                    self._kill_for("startup")
                    return
            elif pr.kind == "liveness" and not ok and pr.failures >= pr.failure_threshold:
                self._kill_for("liveness")
                return
        if changed:
            self.pod.sync()

    def _kill_for(self, what):
        self.k.rec.event(self.pod.obj(), "Normal", "Killing", "Container %s failed %s probe, will be restarted" % (
            self.name, what), "kubelet", self.pod.node, "spec.containers{%s}" % self.name)
        self.kill_reason = what
        self.ready = False
        self.pod.sync()
        grace = self.pod.spec.get("terminationGracePeriodSeconds", 30)
        self.terminate(min(float(grace if grace is not None else 30), 10.0))

    def terminate(self, grace):
        """SIGTERM, SIGKILL after grace seconds; waits for the exit (does not record it)."""
        p = self.proc
        if p is None or p.poll() is not None:
            return
        try:
            os.kill(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            p.wait(max(0.0, grace))
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                pass


class PodRuntime:
    def __init__(self, k, p, ip):
        m = p["metadata"]
        self.k = k
        self.ns, self.name, self.uid = m["namespace"], m["name"], m["uid"]
        self.labels = dict(m.get("labels") or {})
        self.spec = p.get("spec") or {}
        self.node = self.spec.get("nodeName")
        self.job = any(r.get("kind") == "Job" and r.get("controller") for r in m.get("ownerReferences") or []) or \
            "job-name" in self.labels or "batch.kubernetes.io/job-name" in self.labels
        self.ip = ip
        self.dir = os.path.join(k.dir, "pods", "%s_%s_%s" % (self.ns, self.name, self.uid[:8]))
        os.makedirs(self.dir, exist_ok=True)
        self.stopping = threading.Event()
        self.ctrs = [Container(self, c) for c in self.spec.get("containers") or []]
        self._obj = p

    def obj(self):
        p = self.k.store.get(PODS, self.ns, self.name)
        if p is not None and p["metadata"].get("uid") == self.uid:
            self._obj = p
        return self._obj

    def ctr(self, name):
        return next((c for c in self.ctrs if c.name == name), None)

    def sync(self):
        self.k.write_status(self)


# ---------------------------------------------------------------------------------------------

class Kubelet(VirtualRuntime):
    def __init__(self, mgr, args):
        super().__init__(mgr, start_delay=0.2)
        self.args = args
        self.dir = os.path.join(os.path.abspath(args.state_dir), "kubelet")
        os.makedirs(os.path.join(self.dir, "pods"), exist_ok=True)
        self.podapp = os.environ.get("PODAPP_BIN") or os.path.join(REPO, "build", "podapp")
        self.backoff_max = float(getattr(args, "backoff_max", 40) or 40)
        self.stopping = threading.Event()
        self.pods = {}              # uid -> PodRuntime
        self.plock = threading.Lock()
        self.popens = {}            # pid -> Popen (every process started, for stop())
        self.proms = {}             # (uid, container) -> Prometheus
        self.block = LoopbackBlock()
        self.pod_ips = self.block.alloc("127.1")
        cluster = self.block.alloc("127.2")
        defaults.CLUSTER_IPS.next = cluster.next     # Service ClusterIPs HAProxy can bind
        self.pump = LogPump()
        import services
        self.services = services.ServiceProxy(self, os.path.join(self.dir, "haproxy"),
                                              getattr(args, "ingress_port", 18080),
                                              os.path.abspath(args.state_dir))

    # ---- bookkeeping --------------------------------------------------------------------
    def track(self, popen):
        with self.plock:
            for pid in [pid for pid, p in self.popens.items() if p.poll() is not None]:
                del self.popens[pid]
            self.popens[popen.pid] = popen

    def register_prometheus(self, key, prom):
        with self.plock:
            self.proms[key] = prom
        self.services.kick()

    def prometheus_instances(self):
        with self.plock:
            return list(self.proms.values())

    def pod_rt(self, p):
        with self.plock:
            return self.pods.get(p["metadata"].get("uid"))

    # ---- env ----------------------------------------------------------------------------
    def _lookup(self, kind, ns, name, key, optional, what):
        rt = SECRETS if kind == "secret" else CONFIGMAPS
        obj = self.store.get(rt, ns, name)
        if obj is None:
            if optional:
                return None
            raise ConfigError('%s "%s" not found' % (kind, name))
        if key is None:
            return obj
        if kind == "secret":
            data = obj.get("data") or {}
            if key in data:
                try:
                    return base64.b64decode(data[key]).decode("utf-8", "replace")
                except (ValueError, TypeError):
                    return ""
            if key in (obj.get("stringData") or {}):
                return obj["stringData"][key]
        else:
            if key in (obj.get("data") or {}):
                return obj["data"][key]
        if optional:
            return None
        raise ConfigError("couldn't find key %s in %s %s/%s" % (key, "Secret" if kind == "secret" else "ConfigMap",
                                                                  ns, name))

    def container_env(self, p, c, ip=None):
        m = p["metadata"]
        ns = m["namespace"]
        env = {"PATH": BASE_PATH, "HOSTNAME": m["name"], "HOME": "/root",
               "KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": str(self._api_port())}
        for ef in c.get("envFrom") or []:
            prefix = ef.get("prefix") or ""
            for kind, key in (("configmap", "configMapRef"), ("secret", "secretRef")):
                ref = ef.get(key)
                if not isinstance(ref, dict):
                    continue
                obj = self._lookup(kind, ns, ref.get("name"), None, ref.get("optional"), key)
                if obj is None:
                    continue
                if kind == "secret":
                    for k2, v in (obj.get("data") or {}).items():
                        try:
                            env[prefix + k2] = base64.b64decode(v).decode("utf-8", "replace")
                        except (ValueError, TypeError):
                            pass
                else:
                    for k2, v in (obj.get("data") or {}).items():
                        env[prefix + k2] = str(v)
        for e in c.get("env") or []:
            name = e.get("name")
            if not name:
                continue
            if "value" in e:
                env[name] = _expand(str(e.get("value") or ""), env)
                continue
            vf = e.get("valueFrom") or {}
            val = ""
            if "secretKeyRef" in vf:
                r = vf["secretKeyRef"]
                val = self._lookup("secret", ns, r.get("name"), r.get("key"), r.get("optional"), "secretKeyRef")
            elif "configMapKeyRef" in vf:
                r = vf["configMapKeyRef"]
                val = self._lookup("configmap", ns, r.get("name"), r.get("key"), r.get("optional"), "configMapKeyRef")
            elif "fieldRef" in vf:
                val = _field(p, (vf["fieldRef"] or {}).get("fieldPath", ""), ip)
            elif "resourceFieldRef" in vf:
                r = vf["resourceFieldRef"] or {}
                res = r.get("resource", "")
                kind, _, what = res.partition(".")
                val = str(((c.get("resources") or {}).get(kind) or {}).get(what, "0"))
            if val is None:
                continue
            env[name] = val
        return env

    def _api_port(self):
        try:
            with open(os.path.join(os.path.abspath(self.args.state_dir), "port")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return 443

    def exporter_creds(self, p):
        """(user, password) the pod's mysqld-exporter sidecar will use (from its DATA_SOURCE_NAME)."""
        for c in (p.get("spec") or {}).get("containers") or []:
            if program_of(c.get("image")) == "exporter":
                try:
                    env = self.container_env(p, c)
                except ConfigError:
                    continue
                u, pw, _, _ = self.parse_dsn(env.get("DATA_SOURCE_NAME", ""), None)
                return u, pw
        return "exporter", "exporter"

    def parse_dsn(self, dsn, pod):
        """user:pass@(host:port)/ -> (user, pass, host, port); loopback hosts are the pod's own IP."""
        user, pw, host, port = "exporter", "exporter", "127.0.0.1", 3306
        m = re.match(r"^([^:@]*)(?::([^@]*))?@(?:tcp)?\(([^)]*)\)", dsn or "")
        if m:
            user = m.group(1) or user
            pw = m.group(2) if m.group(2) is not None else ""
            hp = m.group(3)
            if ":" in hp:
                host, _, p = hp.rpartition(":")
                try:
                    port = int(p)
                except ValueError:
                    pass
            elif hp:
                host = hp
        if pod is not None:
            if host in ("127.0.0.1", "localhost", "", "::1"):
                host = pod.ip
            else:
                svc = self.store.get(SERVICES, pod.ns, host.split(".")[0])
                if svc is not None and (svc.get("spec") or {}).get("clusterIP", "").startswith("127."):
                    host = svc["spec"]["clusterIP"]
        return user, pw, host, port

    # ---- pod lifecycle hooks -------------------------------------------------------------
    def _alloc_ip(self, p):
        ports = [cp.get("containerPort") for c in (p.get("spec") or {}).get("containers") or []
                 for cp in c.get("ports") or [] if cp.get("containerPort")]
        for _ in range(64):
            ip = self.pod_ips.next()
            if all(_port_free(ip, port) for port in ports or [8080]):
                return ip
        return self.pod_ips.next()

    def start_containers(self, p):
        return self._alloc_ip(p)

    def _start(self, ns, name, uid):
        if self.stopping.is_set():
            return
        with self.store.lock:
            p = self._current(ns, name, uid)
            if p is None or p["metadata"].get("deletionTimestamp"):
                return
        with self.plock:
            if uid in self.pods:
                return
            pr = PodRuntime(self, p, self._alloc_ip(p))
            self.pods[uid] = pr
        with self.lock:
            self.state[uid] = "started"
        self.write_status(pr)
        for c in pr.ctrs:
            c.thread.start()

    def write_status(self, pr):
        with self.store.lock:
            p = self._current(pr.ns, pr.name, pr.uid)
            if p is None:
                return
            now = now_iso()
            st = clone(p.get("status") or {})
            cs = [c.status() for c in pr.ctrs]
            policy = pr.spec.get("restartPolicy") or "Always"
            terms = [c.state.get("terminated") for c in pr.ctrs]
            ever = any(c.instance > 0 for c in pr.ctrs)
            if all(terms) and terms and (policy != "Always" or pr.stopping.is_set()):
                if all(t["exitCode"] == 0 for t in terms):
                    phase = "Succeeded"
                elif policy == "Never" or pr.stopping.is_set():
                    phase = "Failed"
                else:
                    phase = "Running"
            elif ever and any(c.instance > 0 for c in pr.ctrs):
                phase = "Running" if all(c.instance > 0 or c.state.get("waiting", {}).get("reason") != "ContainerCreating"
                                         for c in pr.ctrs) else "Pending"
            else:
                phase = "Pending"
            if pr.stopping.is_set() and st.get("phase") in ("Succeeded", "Failed") and phase == "Running":
                phase = st["phase"]
            st["phase"] = phase
            ready = bool(pr.ctrs) and all(c.ready for c in pr.ctrs) and phase == "Running"
            unready = [c.name for c in pr.ctrs if not c.ready]
            conds = st.get("conditions") or []
            for cd in conds:
                t = cd.get("type")
                if t == "PodReadyToStartContainers":
                    want = "False" if phase in ("Succeeded", "Failed") else "True"
                elif t in ("Ready", "ContainersReady"):
                    want = "True" if ready else "False"
                else:
                    continue
                if cd.get("status") != want:
                    cd["status"] = want
                    cd["lastTransitionTime"] = now
                if t in ("Ready", "ContainersReady"):
                    if want == "True":
                        cd.pop("reason", None)
                        cd.pop("message", None)
                    elif phase in ("Succeeded", "Failed"):
                        cd["reason"] = "PodCompleted" if phase == "Succeeded" else "PodFailed"
                        cd.pop("message", None)
                    else:
                        cd["reason"] = "ContainersNotReady"
                        cd["message"] = "containers with unready status: [%s]" % " ".join(unready)
            st["conditions"] = conds
            st["podIP"] = pr.ip
            st["podIPs"] = [{"ip": pr.ip}]
            st["containerStatuses"] = cs
            self._write(p, st)

    def stop_pod(self, p):
        pr = self.pod_rt(p)
        if pr is None:
            return super().stop_pod(p)
        m = p["metadata"]
        for c in pr.ctrs:
            if c.running():
                self.rec.event(p, "Normal", "Killing", "Stopping container " + c.name, "kubelet", pr.node,
                               "spec.containers{%s}" % c.name)
        grace = m.get("deletionGracePeriodSeconds")
        if grace is None:
            grace = pr.spec.get("terminationGracePeriodSeconds", 30)
        threading.Thread(target=self._kill_pod, args=(pr, float(grace or 0), True), daemon=True,
                         name="kill-%s" % pr.name).start()

    def _kill_pod(self, pr, grace, finalize):
        pr.stopping.set()
        try:
            self.services.drop_ip(pr.ip)      # out of every HAProxy backend before the SIGTERM
        except Exception:  # noqa: BLE001
            pass
        ts = [threading.Thread(target=c.terminate, args=(grace,), daemon=True) for c in pr.ctrs]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        for c in pr.ctrs:
            c.thread.join(5) if c.thread.is_alive() and c.thread is not threading.current_thread() else None
            if c.proc is not None:
                rc = c.proc.poll()
                if rc is not None:
                    c._exited(rc)
        self.write_status(pr)
        with self.plock:
            for key in [k for k in self.proms if k[0] == pr.uid]:
                del self.proms[key]
        self.services.kick()
        if finalize:
            self._finalize(pr.ns, pr.name, pr.uid)

    def pod_removed(self, p):
        super().pod_removed(p)
        uid = p["metadata"].get("uid")
        with self.plock:
            pr = self.pods.pop(uid, None)
        if pr is not None and not pr.stopping.is_set():
            threading.Thread(target=self._kill_pod, args=(pr, 0.0, False), daemon=True).start()

    def _finalize(self, ns, name, uid):
        super()._finalize(ns, name, uid)

    # ---- probes -------------------------------------------------------------------------
    def run_probe(self, c, pr):
        spec = pr.spec
        ip = c.pod.ip
        try:
            if "httpGet" in spec:
                h = spec["httpGet"] or {}
                port = self._port(c, h.get("port"))
                host = h.get("host") or ip
                path = h.get("path") or "/"
                scheme = (h.get("scheme") or "HTTP").upper()
                url = "%s://%s:%d%s" % (scheme.lower(), host, port, path)
                cls = http.client.HTTPSConnection if scheme == "HTTPS" else http.client.HTTPConnection
                kw = {}
                if scheme == "HTTPS":
                    import ssl
                    kw["context"] = ssl._create_unverified_context()
                conn = cls(host, port, timeout=pr.timeout, **kw)
                try:
                    hdrs = {"User-Agent": "kube-probe/1.30", "Accept": "*/*", "Connection": "close"}
                    for hh in h.get("httpHeaders") or []:
                        hdrs[hh.get("name")] = hh.get("value", "")
                    conn.request("GET", path, headers=hdrs)
                    resp = conn.getresponse()
                    resp.read(10240)
                    if 200 <= resp.status < 400:
                        return True, ""
                    return False, "HTTP probe failed with statuscode: %d" % resp.status
                except socket.timeout:
                    return False, 'Get "%s": context deadline exceeded (Client.Timeout exceeded while awaiting headers)' % url
                except ConnectionRefusedError:
                    return False, 'Get "%s": dial tcp %s:%d: connect: connection refused' % (url, host, port)
                except OSError as e:
                    return False, 'Get "%s": %s' % (url, e)
                finally:
                    conn.close()
            if "tcpSocket" in spec:
                t = spec["tcpSocket"] or {}
                port = self._port(c, t.get("port"))
                host = t.get("host") or ip
                try:
                    with socket.create_connection((host, port), timeout=pr.timeout):
                        return True, ""
                except socket.timeout:
                    return False, "dial tcp %s:%d: i/o timeout" % (host, port)
                except OSError:
                    return False, "dial tcp %s:%d: connect: connection refused" % (host, port)
            if "exec" in spec:
                cmd = (spec["exec"] or {}).get("command") or []
                if not cmd:
                    return False, "missing command"
                try:
                    r = subprocess.run(cmd, env=c.env, cwd=c.cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, timeout=pr.timeout, start_new_session=True)
                except subprocess.TimeoutExpired:
                    return False, "command %s timed out" % json.dumps(cmd)
                except OSError as e:
                    return False, str(e)
                if r.returncode == 0:
                    return True, ""
                return False, r.stdout.decode("utf-8", "replace").strip()[:1000]
            if "grpc" in spec:
                return False, "grpc probes are not supported by kubesim"
        except ValueError as e:
            return False, str(e)
        return True, ""

    @staticmethod
    def _port(c, port):
        if isinstance(port, int):
            return port
        if isinstance(port, str) and port.isdigit():
            return int(port)
        for cp in c.spec.get("ports") or []:
            if cp.get("name") == port:
                return int(cp["containerPort"])
        raise ValueError("port %r not found in container %s" % (port, c.name))

    # ---- logs ---------------------------------------------------------------------------
    def log_reader(self, p, container, previous=False):
        pr = self.pod_rt(p)
        c = pr.ctr(container) if pr else None
        if c is None:
            if (p.get("status") or {}).get("containerStatuses") and pr is None and \
                    not any((cs.get("state") or {}).get("waiting") for cs in p["status"]["containerStatuses"]):
                return None     # a virtual (bulk) pod: the base class makes its lines up
            if previous:
                raise ApiError(400, "BadRequest", 'previous terminated container "%s" in pod "%s" not found' % (
                    container, p["metadata"]["name"]))
            raise ApiError(400, "BadRequest", 'container "%s" in pod "%s" is waiting to start: ContainerCreating' % (
                container, p["metadata"]["name"]))
        if previous:
            if not c.prev_log_path or not os.path.exists(c.prev_log_path):
                raise ApiError(400, "BadRequest", 'previous terminated container "%s" in pod "%s" not found' % (
                    container, p["metadata"]["name"]))
            return FileLogReader(c.prev_log_path, lambda: True)
        if not c.log_path:
            reason = (c.state.get("waiting") or {}).get("reason", "ContainerCreating")
            raise ApiError(400, "BadRequest", 'container "%s" in pod "%s" is waiting to start: %s' % (
                container, p["metadata"]["name"], reason))
        inst, done = c.instance, c.log_done
        return FileLogReader(c.log_path, lambda: c.instance != inst or (done.is_set() and not c.running()))

    def logs(self, p, container, previous=False):
        r = self.log_reader(p, container, previous)
        if r is None:
            return super().logs(p, container, previous)
        return r.read_all()

    # ---- exec ---------------------------------------------------------------------------
    def exec(self, handler, p, query):
        if getattr(handler, "_path", "").rstrip("/").endswith("/attach"):
            raise ApiError(400, "BadRequest", "attach is not implemented by kubesim's kubelet (use exec)")
        cmd = query.get("command") or []
        if not cmd:
            raise ApiError(400, "BadRequest", "you must specify at least one command for the container")
        container = self.container_for(p, _q1(query, "container"))
        pr = self.pod_rt(p)
        c = pr.ctr(container) if pr else None
        if c is None or not c.running():
            raise ApiError(400, "BadRequest", 'unable to upgrade connection: container not found ("%s")' % container)
        upgrade = (handler.headers.get("Upgrade") or "").lower()
        if upgrade.startswith("spdy"):
            raise ApiError(400, "BadRequest", "kubesim serves exec over WebSocket only (v5.channel.k8s.io, "
                                              "v4.channel.k8s.io); SPDY is not implemented")
        try:
            ws = websocket.accept(handler, ["v5.channel.k8s.io", "v4.channel.k8s.io"], allow_none=False)
        except ValueError as e:
            raise ApiError(400, "BadRequest", "unable to upgrade connection: %s" % e)
        if ws is None:
            raise ApiError(400, "BadRequest", "Upgrade request required")
        ExecSession(self, ws, cmd, c, _truthy(_q1(query, "tty", "")), _truthy(_q1(query, "stdin", "")),
                    _truthy(_q1(query, "stdout", "1") or "1"), _truthy(_q1(query, "stderr", ""))).run()

    # ---- proxy --------------------------------------------------------------------------
    def proxy(self, handler, obj, port, path):
        is_pod = "containers" in (obj.get("spec") or {})
        name = obj["metadata"]["name"]
        ns = obj["metadata"].get("namespace")
        if is_pod:
            st = obj.get("status") or {}
            ip = st.get("podIP")
            if not ip or st.get("phase") != "Running":
                raise ApiError(503, "ServiceUnavailable", 'pod "%s" is not running' % name)
            ports = [cp for c in obj["spec"].get("containers") or [] for cp in c.get("ports") or []]
            if port in (None, ""):
                tport = ports[0]["containerPort"] if ports else 80
            elif str(port).isdigit():
                tport = int(port)
            else:
                cp = next((cp for cp in ports if cp.get("name") == port), None)
                if cp is None:
                    raise ApiError(503, "ServiceUnavailable", 'no such port "%s" on pod "%s"' % (port, name))
                tport = cp["containerPort"]
        else:
            ip, tport = self._service_target(obj, ns, name, port)
        self._forward(handler, ip, tport, path)

    def _service_target(self, svc, ns, name, port):
        sports = (svc.get("spec") or {}).get("ports") or []
        sp = None
        if port in (None, ""):
            sp = sports[0] if len(sports) >= 1 else None
        else:
            sp = next((x for x in sports if x.get("name") == port or str(x.get("port")) == str(port)), None)
        if sp is None:
            raise ApiError(503, "ServiceUnavailable", 'no service port "%s" found for service "%s"' % (port, name))
        ep = self.store.get(ENDPOINTS, ns, name)
        for ss in (ep or {}).get("subsets") or []:
            addrs = ss.get("addresses") or []
            if not addrs:
                continue
            eports = ss.get("ports") or []
            epp = next((x for x in eports if x.get("name", "") == sp.get("name", "")), eports[0] if eports else None)
            if epp is None:
                continue
            import random
            return random.choice(addrs)["ip"], int(epp["port"])
        raise ApiError(503, "ServiceUnavailable", 'no endpoints available for service "%s"' % name)

    def _forward(self, handler, ip, port, path):
        q = getattr(handler, "_query_str", "")
        target = urllib.parse.quote(path, safe="/%:@!$&'()*+,;=-._~") + ("?" + q if q else "")
        body = handler.read_body() if handler.command not in ("GET", "HEAD") else b""
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP}
        headers["Host"] = "%s:%d" % (ip, port)
        try:
            conn = http.client.HTTPConnection(ip, port, timeout=30)
            conn.request(handler.command, target, body=body or None, headers=headers)
            resp = conn.getresponse()
        except OSError as e:
            raise ApiError(503, "ServiceUnavailable", "error trying to reach service: dial tcp %s:%d: %s" % (
                ip, port, "connect: connection refused" if isinstance(e, ConnectionRefusedError) else e))
        try:
            handler.send_response(resp.status, resp.reason)
            for k, v in resp.getheaders():
                if k.lower() not in HOP:
                    handler.send_header(k, v)
            length = resp.getheader("Content-Length")
            chunked = length is None and handler.command != "HEAD" and resp.status not in (204, 304)
            if length is not None:
                handler.send_header("Content-Length", length)
            elif chunked:
                handler.send_header("Transfer-Encoding", "chunked")
            else:
                handler.send_header("Content-Length", "0")
            handler.end_headers()
            if handler.command == "HEAD":
                return
            while True:
                data = resp.read1(65536) if hasattr(resp, "read1") else resp.read(65536)
                if not data:
                    break
                if chunked:
                    handler.chunk(data)
                else:
                    handler.wfile.write(data)
                handler.wfile.flush()
            if chunked:
                handler.end_chunks()
        finally:
            conn.close()

    # ---- shutdown -----------------------------------------------------------------------
    def stop(self):
        self.stopping.set()
        with self.plock:
            pods = list(self.pods.values())
        for pr in pods:
            pr.stopping.set()
        deadline = time.monotonic() + 10
        for _ in range(3):      # again, for a process a container thread started meanwhile
            with self.plock:
                popens = [p for p in self.popens.values() if p.poll() is None]
            if not popens:
                break
            for p in popens:
                try:
                    os.kill(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            for p in popens:
                try:
                    p.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    pass
            for p in popens:
                if p.poll() is None:
                    try:
                        os.killpg(p.pid, signal.SIGKILL)
                    except (ProcessLookupError, PermissionError):
                        pass
                    try:
                        p.wait(5)
                    except subprocess.TimeoutExpired:
                        pass
            time.sleep(0.1)
        try:
            self.services.stop()
        except Exception:  # noqa: BLE001
            pass
        self.pump.stop()


def _expand(value, env):
    def rep(m):
        if m.group(0).startswith("$$"):
            return m.group(0)[1:]
        return env.get(m.group(1), m.group(0))
    return re.sub(r"\$?\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)", rep, value)


def _field(p, path, ip):
    m = p.get("metadata") or {}
    st = p.get("status") or {}
    spec = p.get("spec") or {}
    mm = re.match(r"^metadata\.(labels|annotations)\['(.+)'\]$", path)
    if mm:
        return str((m.get(mm.group(1)) or {}).get(mm.group(2), ""))
    return str({"metadata.name": m.get("name"), "metadata.namespace": m.get("namespace"),
                "metadata.uid": m.get("uid"), "spec.nodeName": spec.get("nodeName"),
                "spec.serviceAccountName": spec.get("serviceAccountName"),
                "status.hostIP": st.get("hostIP") or "127.0.0.1", "status.podIP": ip or st.get("podIP"),
                "status.podIPs": ip or st.get("podIP"), "status.hostIPs": "127.0.0.1"}.get(path) or "")


# ---------------------------------------------------------------------------------------------
# exec over WebSocket

class ExecSession:
    STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255

    def __init__(self, k, ws, cmd, c, tty, stdin, stdout, stderr):
        self.k, self.ws, self.cmd, self.c = k, ws, cmd, c
        self.tty, self.want_stdin, self.want_stdout, self.want_stderr = tty, stdin, stdout, stderr
        self.v5 = ws.protocol == "v5.channel.k8s.io"
        self.proc = None
        self.master = None
        self.stdin_w = None

    def _send(self, ch, data):
        try:
            self.ws.send(bytes([ch]) + data)
            return True
        except (websocket.Closed, OSError):
            return False

    def _status(self, code, err=None):
        if err is not None:
            st = {"metadata": {}, "status": "Failure", "message": err, "reason": "InternalError",
                  "details": {"causes": [{"message": err}]}, "code": 500}
        elif code == 0:
            st = {"metadata": {}, "status": "Success"}
        else:
            st = {"metadata": {}, "status": "Failure",
                  "message": "command terminated with non-zero exit code: error executing command %s, exit code %d"
                             % (json.dumps(self.cmd).replace(",", " ").replace('"', ""), code),
                  "reason": "NonZeroExitCode", "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}
        self._send(self.ERROR, json.dumps(st, separators=(",", ":")).encode())

    def _pump(self, fd, ch):
        while True:
            try:
                data = os.read(fd, 32768)
            except OSError:
                break
            if not data:
                break
            if not self._send(ch, data):
                break

    def run(self):
        env, cwd = dict(self.c.env), self.c.cwd
        if self.tty:
            env.setdefault("TERM", "xterm")
        pumps = []
        try:
            if self.tty:
                master, slave = pty.openpty()
                self.master = master

                def ctty():
                    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
                try:
                    self.proc = subprocess.Popen(self.cmd, env=env, cwd=cwd, stdin=slave, stdout=slave, stderr=slave,
                                                 start_new_session=True, close_fds=True, preexec_fn=ctty)
                finally:
                    os.close(slave)
                pumps.append(threading.Thread(target=self._pump, args=(master, self.STDOUT), daemon=True))
            else:
                self.proc = subprocess.Popen(self.cmd, env=env, cwd=cwd,
                                             stdin=subprocess.PIPE if self.want_stdin else subprocess.DEVNULL,
                                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                             start_new_session=True, close_fds=True)
                self.stdin_w = self.proc.stdin
                pumps.append(threading.Thread(target=self._pump, args=(self.proc.stdout.fileno(), self.STDOUT),
                                              daemon=True))
                pumps.append(threading.Thread(target=self._pump, args=(self.proc.stderr.fileno(), self.STDERR),
                                              daemon=True))
        except OSError as e:
            if self.master is not None:
                os.close(self.master)
            msg = 'exec: "%s": %s' % (self.cmd[0], "executable file not found in $PATH"
                                      if isinstance(e, FileNotFoundError) else e.strerror or e)
            self._send(self.STDOUT if self.want_stdout else self.ERROR, b"") if self.want_stdout else None
            self._status(None, "error executing command in container: failed to exec in container: "
                               "starting container process caused: " + msg)
            self.ws.close()
            return
        self.k.track(self.proc)
        # like the kubelet: an empty frame on the lowest writable channel says the streams are ready
        self._send(self.STDOUT if self.want_stdout else (self.STDERR if self.want_stderr else self.ERROR), b"")
        for t in pumps:
            t.start()
        try:
            while True:
                if self.proc.poll() is not None and not any(t.is_alive() for t in pumps):
                    break
                if self.proc.poll() is not None and self.tty:
                    for t in pumps:
                        t.join(0.5)
                    break
                try:
                    msg = self.ws.recv(0.1)
                except websocket.Closed:
                    self._kill()
                    return
                if msg is None:
                    continue
                op, data = msg
                if not data:
                    continue
                ch, data = data[0], data[1:]
                if ch == self.STDIN:
                    self._write_stdin(data)
                elif ch == self.RESIZE:
                    self._resize(data)
                elif ch == self.CLOSE and self.v5 and data[:1] == b"\x00":
                    self._close_stdin()
        finally:
            if self.master is not None:
                try:
                    os.close(self.master)
                except OSError:
                    pass
        for t in pumps:
            t.join(2)
        rc = self.proc.wait()
        self._status(rc if rc >= 0 else 128 - rc)
        self.ws.close()

    def _write_stdin(self, data):
        try:
            if self.master is not None:
                os.write(self.master, data)
            elif self.stdin_w is not None:
                self.stdin_w.write(data)
                self.stdin_w.flush()
        except (OSError, ValueError):
            pass

    def _close_stdin(self):
        if self.stdin_w is not None:
            try:
                self.stdin_w.close()
            except OSError:
                pass
            self.stdin_w = None

    def _resize(self, data):
        if self.master is None:
            return
        try:
            d = json.loads(data)
            w, h = int(d.get("Width", 0)), int(d.get("Height", 0))
            if w > 0 and h > 0:
                fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", h, w, 0, 0))
        except (ValueError, TypeError, OSError, AttributeError):
            pass

    def _kill(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGHUP if self.tty else signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.proc.wait(2)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                self.proc.wait(5)
