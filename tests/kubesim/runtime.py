"""Pod runtimes: what happens to a pod once it exists (the kubelet's job).

VirtualRuntime moves pods Pending -> Running -> Ready on timers and makes up their logs; it runs
no process. A real kubelet (a later module, tests/kubesim/kubelet.py) subclasses it and overrides
the hooks marked HOOK: pod start/stop, logs, exec, proxy. The server only talks to these methods.
"""
import hashlib
import threading
import time

from defaults import POD_IPS
from resources import BY_PLURAL
from util import ApiError, clone, now_iso

PODS = BY_PLURAL["pods"]
NODES = BY_PLURAL["nodes"]


def _ann(p, key, default=None):
    return ((p.get("metadata") or {}).get("annotations") or {}).get(key, default)


class VirtualRuntime:
    def __init__(self, mgr, start_delay=0.5, stop_delay=None):
        self.mgr = mgr
        self.store = mgr.store
        self.api = mgr.api
        self.rec = mgr.rec
        self.delay = max(0.0, start_delay)
        self.stop_delay = self.delay / 2 if stop_delay is None else stop_delay
        self.state = {}          # pod uid -> scheduled | started | ready | done | killing
        self.lock = threading.Lock()
        self.rr = 0

    # ---- lifecycle entry points (called by the controller thread) --------------------------
    def pod_changed(self, p):
        m = p["metadata"]
        uid = m["uid"]
        with self.lock:
            st = self.state.get(uid)
            if m.get("deletionTimestamp"):
                if st == "killing":
                    return
                self.state[uid] = "killing"
            elif st is not None:
                return
            else:
                phase = (p.get("status") or {}).get("phase")
                if (p.get("spec") or {}).get("nodeName") and phase in ("Running", "Succeeded", "Failed"):
                    self.state[uid] = "done" if phase != "Running" else "ready"
                    return
                self.state[uid] = "scheduled"
        if m.get("deletionTimestamp"):
            self.stop_pod(p)
        else:
            self.schedule_pod(p)

    def pod_removed(self, p):
        with self.lock:
            self.state.pop(p["metadata"].get("uid"), None)

    def _current(self, ns, name, uid):
        p = self.store.get(PODS, ns, name)
        if p is None or p["metadata"].get("uid") != uid:
            return None
        return p

    STATUS_ORDER = ("phase", "conditions", "message", "reason", "hostIP", "hostIPs", "podIP", "podIPs",
                    "startTime", "initContainerStatuses", "containerStatuses", "qosClass")

    def _write(self, p, status):
        ordered = {k: status[k] for k in self.STATUS_ORDER if k in status}
        ordered.update((k, v) for k, v in status.items() if k not in ordered)
        return self.api.put_status(PODS, p, ordered)

    # ---- scheduling ------------------------------------------------------------------------
    def pick_node(self):
        nodes = self.store.objects(NODES)
        nodes = [n for n in nodes if not (n.get("spec") or {}).get("unschedulable")] or nodes
        if not nodes:
            return "kubesim-node-1", "127.0.0.1"
        self.rr = (self.rr + 1) % len(nodes)
        n = nodes[self.rr]
        ip = next((a["address"] for a in (n.get("status") or {}).get("addresses") or []
                   if a.get("type") == "InternalIP"), "127.0.0.1")
        return n["metadata"]["name"], ip

    def schedule_pod(self, p):
        ns, name, uid = p["metadata"]["namespace"], p["metadata"]["name"], p["metadata"]["uid"]
        with self.store.lock:
            p = self._current(ns, name, uid)
            if p is None:
                return
            node = (p.get("spec") or {}).get("nodeName")
            host_ip = "127.0.0.1"
            if not node:
                node, host_ip = self.pick_node()
                np = clone(p)
                np["spec"]["nodeName"] = node
                p = self.store.put(PODS, np)
                self.rec.event(p, "Normal", "Scheduled", "Successfully assigned %s/%s to %s" % (ns, name, node),
                               "default-scheduler")
            now = now_iso()
            st = clone(p.get("status") or {})
            st["phase"] = "Pending"
            st["conditions"] = [
                {"type": "PodReadyToStartContainers", "status": "False", "lastProbeTime": None,
                 "lastTransitionTime": now},
                {"type": "Initialized", "status": "True", "lastProbeTime": None, "lastTransitionTime": now},
                {"type": "Ready", "status": "False", "lastProbeTime": None, "lastTransitionTime": now,
                 "reason": "ContainersNotReady",
                 "message": "containers with unready status: [%s]" % " ".join(self._names(p))},
                {"type": "ContainersReady", "status": "False", "lastProbeTime": None, "lastTransitionTime": now,
                 "reason": "ContainersNotReady",
                 "message": "containers with unready status: [%s]" % " ".join(self._names(p))},
                {"type": "PodScheduled", "status": "True", "lastProbeTime": None, "lastTransitionTime": now}]
            st["hostIP"] = host_ip
            st["hostIPs"] = [{"ip": host_ip}]
            st["startTime"] = now
            st["containerStatuses"] = [
                {"name": c["name"], "state": {"waiting": {"reason": "ContainerCreating"}}, "lastState": {},
                 "ready": False, "restartCount": 0, "image": c.get("image", ""), "imageID": "",
                 "started": False} for c in (p.get("spec") or {}).get("containers") or []]
            self._write(p, st)
        self.mgr.after(self.delay * 0.5, self._start, ns, name, uid)

    @staticmethod
    def _names(p):
        return [c.get("name") for c in (p.get("spec") or {}).get("containers") or []]

    # ---- HOOK: start the pod's containers ---------------------------------------------------
    def start_containers(self, p):
        """Returns the pod IP. The kubelet starts real processes here."""
        return POD_IPS.next()

    def _start(self, ns, name, uid):
        with self.store.lock:
            p = self._current(ns, name, uid)
            if p is None or p["metadata"].get("deletionTimestamp"):
                return
            ip = (p.get("status") or {}).get("podIP") or self.start_containers(p)
            node = (p.get("spec") or {}).get("nodeName")
            now = now_iso()
            st = clone(p.get("status") or {})
            st["phase"] = "Running"
            st["podIP"] = ip
            st["podIPs"] = [{"ip": ip}]
            probes = any(c.get("readinessProbe") for c in p["spec"].get("containers") or [])
            cs = []
            for c in p["spec"].get("containers") or []:
                cid = "containerd://" + hashlib.sha256(("%s/%s" % (uid, c["name"])).encode()).hexdigest()
                img = c.get("image", "")
                cs.append({"name": c["name"], "state": {"running": {"startedAt": now}}, "lastState": {},
                           "ready": not c.get("readinessProbe"), "restartCount": 0, "image": img,
                           "imageID": "%s@sha256:%s" % (img.rsplit(":", 1)[0] if ":" in img.rsplit("/", 1)[-1] else img,
                                                        hashlib.sha256(img.encode()).hexdigest()),
                           "containerID": cid, "started": True})
                for reason, msg in (("Pulled", 'Container image "%s" already present on machine' % img),
                                    ("Created", "Created container " + c["name"]),
                                    ("Started", "Started container " + c["name"])):
                    self.rec.event(p, "Normal", reason, msg, "kubelet", node,
                                   "spec.containers{%s}" % c["name"])
            st["containerStatuses"] = cs
            self._set_conds(st, not probes, now)
            for c in st["conditions"]:
                if c["type"] == "PodReadyToStartContainers":
                    c["status"] = "True"
                    c["lastTransitionTime"] = now
            self._write(p, st)
            with self.lock:
                self.state[uid] = "started"
        if probes:
            self.mgr.after(self.delay * 0.5, self._ready, ns, name, uid)
        if (p.get("spec") or {}).get("restartPolicy", "Always") != "Always":
            run = float(_ann(p, "kubesim.io/run-seconds", max(self.delay * 2, 0.2)))
            self.mgr.after(run, self._terminate, ns, name, uid, int(_ann(p, "kubesim.io/exit-code", 0)))

    @staticmethod
    def _set_conds(st, ready, now):
        names = [c["name"] for c in st.get("containerStatuses") or [] if not c.get("ready")]
        for c in st.get("conditions") or []:
            if c["type"] in ("Ready", "ContainersReady"):
                want = "True" if ready else "False"
                if c["status"] != want:
                    c["lastTransitionTime"] = now
                c["status"] = want
                if ready:
                    c.pop("reason", None)
                    c.pop("message", None)
                else:
                    c["reason"] = "ContainersNotReady"
                    c["message"] = "containers with unready status: [%s]" % " ".join(names)

    def _ready(self, ns, name, uid, ready=True):
        with self.store.lock:
            p = self._current(ns, name, uid)
            if p is None or p["metadata"].get("deletionTimestamp") or p["status"].get("phase") != "Running":
                return
            st = clone(p["status"])
            for c in st.get("containerStatuses") or []:
                if (c.get("state") or {}).get("running"):
                    c["ready"] = ready
            self._set_conds(st, ready, now_iso())
            self._write(p, st)
            with self.lock:
                self.state[uid] = "ready"

    def _terminate(self, ns, name, uid, code):
        with self.store.lock:
            p = self._current(ns, name, uid)
            if p is None or p["metadata"].get("deletionTimestamp"):
                return
            now = now_iso()
            st = clone(p["status"])
            st["phase"] = "Succeeded" if code == 0 else "Failed"
            for c in st.get("containerStatuses") or []:
                started = ((c.get("state") or {}).get("running") or {}).get("startedAt", now)
                c["state"] = {"terminated": {"exitCode": code, "reason": "Completed" if code == 0 else "Error",
                                             "startedAt": started, "finishedAt": now,
                                             "containerID": c.get("containerID", "")}}
                c["ready"] = False
                c["started"] = False
            for c in st.get("conditions") or []:
                if c["type"] in ("Ready", "ContainersReady"):
                    c["status"] = "False"
                    c["lastTransitionTime"] = now
                    c["reason"] = "PodCompleted" if code == 0 else "PodFailed"
                    c.pop("message", None)
                if c["type"] == "PodReadyToStartContainers":
                    c["status"] = "False"
            self._write(p, st)
            with self.lock:
                self.state[uid] = "done"

    # ---- HOOK: stop the pod -------------------------------------------------------------------
    def stop_containers(self, p):
        """The kubelet kills real processes here."""

    def stop_pod(self, p):
        m = p["metadata"]
        running = (p.get("status") or {}).get("phase") == "Running"
        if running:
            for c in (p.get("spec") or {}).get("containers") or []:
                self.rec.event(p, "Normal", "Killing", "Stopping container " + c["name"], "kubelet",
                               (p.get("spec") or {}).get("nodeName"), "spec.containers{%s}" % c["name"])
        grace = m.get("deletionGracePeriodSeconds", 0) or 0
        self.stop_containers(p)
        self.mgr.after(min(grace, self.stop_delay), self._finalize, m["namespace"], m["name"], m["uid"])

    def _finalize(self, ns, name, uid):
        with self.store.lock:
            p = self._current(ns, name, uid)
            if p is None or not p["metadata"].get("deletionTimestamp"):
                return
            if p["metadata"].get("finalizers"):
                return      # removed when the last finalizer goes (update path)
            self.store.remove(PODS, ns, name)

    # ---- churn helpers (load generator) -------------------------------------------------------
    def restart(self, p):
        """A container crash + restart, as a kubelet reports it."""
        with self.store.lock:
            p = self._current(p["metadata"]["namespace"], p["metadata"]["name"], p["metadata"]["uid"])
            if p is None or (p.get("status") or {}).get("phase") != "Running" or p["metadata"].get("deletionTimestamp"):
                return
            now = now_iso()
            st = clone(p["status"])
            for c in (st.get("containerStatuses") or [])[:1]:
                started = ((c.get("state") or {}).get("running") or {}).get("startedAt", now)
                c["lastState"] = {"terminated": {"exitCode": 137, "reason": "Error", "startedAt": started,
                                                 "finishedAt": now, "containerID": c.get("containerID", "")}}
                c["state"] = {"running": {"startedAt": now}}
                c["restartCount"] = c.get("restartCount", 0) + 1
            self._write(p, st)

    def flip_ready(self, p, ready):
        self._ready(p["metadata"]["namespace"], p["metadata"]["name"], p["metadata"]["uid"], ready)

    # ---- HOOK: logs ---------------------------------------------------------------------------
    def container_for(self, p, container):
        names = self._names(p)
        if not container:
            if len(names) != 1:
                raise ApiError(400, "BadRequest", "a container name must be specified for pod %s, choose one of: "
                               "[%s]" % (p["metadata"]["name"], " ".join(names)))
            container = names[0]
        if container not in names:
            raise ApiError(400, "BadRequest", "container %s is not valid for pod %s" % (
                container, p["metadata"]["name"]))
        return container

    def logs(self, p, container, previous=False):
        """Returns [(unix_time, line)] the container wrote so far (virtual: generated)."""
        cs = next((c for c in (p.get("status") or {}).get("containerStatuses") or [] if c.get("name") == container),
                  None)
        state = (cs or {}).get("state") or {}
        if previous:
            lt = ((cs or {}).get("lastState") or {}).get("terminated")
            if not lt:
                raise ApiError(400, "BadRequest", 'previous terminated container "%s" in pod "%s" not found' % (
                    container, p["metadata"]["name"]))
            return self._gen_lines(p, container, lt.get("startedAt"), lt.get("finishedAt"))
        if state.get("waiting") or not state:
            reason = (state.get("waiting") or {}).get("reason", "ContainerCreating")
            raise ApiError(400, "BadRequest", 'container "%s" in pod "%s" is waiting to start: %s' % (
                container, p["metadata"]["name"], reason))
        run = state.get("running") or state.get("terminated") or {}
        return self._gen_lines(p, container, run.get("startedAt"), (state.get("terminated") or {}).get("finishedAt"))

    def _gen_lines(self, p, container, started, finished):
        from util import parse_iso
        t0 = parse_iso(started) or time.time()
        t1 = parse_iso(finished) or time.time()
        c = next((c for c in p["spec"].get("containers") or [] if c.get("name") == container), {})
        port = next((pp.get("containerPort") for pp in c.get("ports") or []), None)
        lines = [(t0, "kubesim: virtual container %s starting (image %s)" % (container, c.get("image", ""))),
                 (t0, "listening on 0.0.0.0:%s" % port if port else "ready")]
        n = int((t1 - t0) // 5)
        for i in range(max(0, n - 1000), n):
            lines.append((t0 + 5 * (i + 1), '127.0.0.1 - - "GET /health HTTP/1.1" 200 2 (%d)' % (i + 1)))
        if finished:
            lines.append((t1, "exiting"))
        return lines

    # ---- HOOK: exec and proxy ---------------------------------------------------------------------
    def exec(self, handler, p, query):
        raise ApiError(501, "NotImplemented", "exec is not available for virtual pods: kubesim runs no process for "
                       "pod %s (start kubesim without --virtual once the kubelet exists)" % p["metadata"]["name"])

    def proxy(self, handler, p, port, path):
        raise ApiError(501, "NotImplemented", "proxy is not available for virtual pods: kubesim runs no process for "
                       "pod %s" % p["metadata"]["name"])

    def stop(self):
        pass
