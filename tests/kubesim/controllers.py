"""Controllers: Deployment, ReplicaSet, Job, Endpoints, HPA status, namespaces, garbage collection, events.

One thread drains a de-duplicated work queue fed by store listeners, plus a timer heap (pod start
delays, deletion grace periods). Every handler does its read-modify-write under the store lock.
"""
import heapq
import itertools
import math
import sys
import threading
import time
import traceback

from api import Api
from resources import BY_PLURAL
from selection import labels_match, selector_obj_to_reqs
from util import ApiError, clone, now_iso, pod_template_hash

NS = BY_PLURAL["namespaces"]
PODS = BY_PLURAL["pods"]
RS = BY_PLURAL["replicasets"]
DEPLOY = BY_PLURAL["deployments"]
JOBS = BY_PLURAL["jobs"]
SVC = BY_PLURAL["services"]
EP = BY_PLURAL["endpoints"]
EVENTS = BY_PLURAL["events"]
SA = BY_PLURAL["serviceaccounts"]
CM = BY_PLURAL["configmaps"]
HPA = BY_PLURAL["horizontalpodautoscalers"]

REV = "deployment.kubernetes.io/revision"


def omit_zero(d):
    return {k: v for k, v in d.items() if v not in (0, None, [], {})}


def controller_ref(obj):
    for r in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if r.get("controller"):
            return r
    return None


def owner_ref(kind, api_version, obj):
    m = obj["metadata"]
    return {"apiVersion": api_version, "kind": kind, "name": m["name"], "uid": m["uid"], "controller": True,
            "blockOwnerDeletion": True}


def pod_ready(p):
    for c in (p.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return c.get("status") == "True"
    return False


def pod_active(p):
    return not p["metadata"].get("deletionTimestamp") and \
        (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")


def resolve_intstr(v, total, round_up):
    if isinstance(v, str) and v.endswith("%"):
        try:
            pct = int(v[:-1])
        except ValueError:
            return 0
        x = pct * total / 100.0
        return int(math.ceil(x)) if round_up else int(math.floor(x))
    try:
        return int(v)
    except (TypeError, ValueError):
        return 0


def set_condition(conds, ctype, status, reason, message, now, deploy_style=False, probe=False):
    """Updates a condition list in place the way controllers do (transition time only on status change)."""
    for c in conds:
        if c.get("type") == ctype:
            if c.get("status") != status:
                c["lastTransitionTime"] = now
            if deploy_style and (c.get("status") != status or c.get("reason") != reason or
                                 c.get("message") != message):
                c["lastUpdateTime"] = now
            c["status"] = status
            if reason:
                c["reason"] = reason
            if message:
                c["message"] = message
            return
    c = {"type": ctype, "status": status}
    if deploy_style:
        c["lastUpdateTime"] = now
    if probe:
        c["lastProbeTime"] = now
    c["lastTransitionTime"] = now
    if reason:
        c["reason"] = reason
    if message:
        c["message"] = message
    conds.append(c)


class Recorder:
    """Core v1 Events with aggregation (count, first/lastTimestamp) like client-go's recorder."""

    MAX_EVENTS = 5000

    def __init__(self, api):
        self.api = api
        self.store = api.store
        self.keys = {}
        self.enabled = True
        self.seq = itertools.count()

    def event(self, obj, etype, reason, message, component, host=None, field_path=None):
        if not self.enabled:
            return
        m = obj["metadata"]
        ns = m.get("namespace") or "default"
        key = (ns, m.get("uid"), reason, message, component, field_path)
        now = now_iso()
        with self.store.lock:
            name = self.keys.get(key)
            cur = self.store.get(EVENTS, ns, name) if name else None
            if cur is not None:
                new = clone(cur)
                new["count"] = cur.get("count", 1) + 1
                new["lastTimestamp"] = now
                self.store.put(EVENTS, new)
                return
            name = "%s.%x" % (m["name"], time.time_ns() + next(self.seq))
            io = {"kind": obj.get("kind"), "namespace": ns, "name": m["name"], "uid": m.get("uid"),
                  "apiVersion": obj.get("apiVersion"), "resourceVersion": m.get("resourceVersion")}
            if field_path:
                io["fieldPath"] = field_path
            src = {"component": component}
            if host:
                src["host"] = host
            ev = {"metadata": {"name": name, "namespace": ns}, "involvedObject": io, "reason": reason,
                  "message": message, "source": src, "firstTimestamp": now, "lastTimestamp": now, "count": 1,
                  "type": etype, "eventTime": None, "reportingComponent": component,
                  "reportingInstance": host or ""}
            try:
                self.api.create(EVENTS, ns, ev)
            except ApiError:
                return
            self.keys[key] = name
            if len(self.keys) > self.MAX_EVENTS:
                # expire the oldest events (the real server uses a 1h TTL)
                for k in list(self.keys)[: len(self.keys) - self.MAX_EVENTS]:
                    old = self.keys.pop(k)
                    if self.store.get(EVENTS, k[0], old) is not None:
                        self.store.remove(EVENTS, k[0], old)


class Manager:
    def __init__(self, store, runtime_factory):
        self.store = store
        self.api = Api(store)
        self.rec = Recorder(self.api)
        self.cond = threading.Condition()
        self.queue = {}         # key -> None (insertion-ordered set)
        self.timers = []
        self.tseq = itertools.count()
        self.running = True
        self.runtime = runtime_factory(self)
        store.listeners.append(self._on_change)
        self.thread = threading.Thread(target=self._loop, name="controllers", daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.running = False
        with self.cond:
            self.cond.notify_all()
        if hasattr(self.runtime, "stop"):
            self.runtime.stop()

    # ---- queueing ------------------------------------------------------------------------
    def enqueue(self, *key):
        with self.cond:
            self.queue[key] = None
            self.cond.notify()

    def after(self, delay, fn, *args):
        with self.cond:
            heapq.heappush(self.timers, (time.time() + delay, next(self.tseq), fn, args))
            self.cond.notify()

    def _on_change(self, rt, etype, old, new):
        """Store listener (under the store lock): only maps the change to work keys."""
        m = new["metadata"]
        ns = m.get("namespace", "")
        kind = rt.kind
        if kind == "Deployment":
            self.enqueue("deploy", ns, m["name"])
            self.enqueue("hpa_ns", ns)
        elif kind == "ReplicaSet":
            self.enqueue("rs", ns, m["name"])
            ref = controller_ref(new)
            if ref and ref.get("kind") == "Deployment":
                self.enqueue("deploy", ns, ref["name"])
        elif kind == "Pod":
            ref = controller_ref(new)
            if ref and ref.get("kind") == "ReplicaSet":
                self.enqueue("rs", ns, ref["name"])
            elif ref and ref.get("kind") == "Job":
                self.enqueue("job", ns, ref["name"])
            self.enqueue("pod-ep", ns)
            if etype != "DELETED":
                self.enqueue("pod", ns, m["name"])
            else:
                self.runtime.pod_removed(new)
        elif kind == "Job":
            self.enqueue("job", ns, m["name"])
        elif kind == "Service":
            self.enqueue("ep", ns, m["name"])
        elif kind == "Namespace":
            self.enqueue("ns", m["name"])
        elif kind == "HorizontalPodAutoscaler":
            self.enqueue("hpa", ns, m["name"])
        if etype == "DELETED":
            self.enqueue("gc", m.get("uid"))
            for r in m.get("ownerReferences") or []:
                self.enqueue("gc", r.get("uid"))
            if ns:
                self.enqueue("ns", ns)
        elif m.get("deletionTimestamp") and "foregroundDeletion" in (m.get("finalizers") or []):
            self.enqueue("gc", m.get("uid"))

    def _loop(self):
        while self.running:
            with self.cond:
                now = time.time()
                due = []
                while self.timers and self.timers[0][0] <= now:
                    due.append(heapq.heappop(self.timers))
                keys = list(self.queue)
                self.queue.clear()
                if not due and not keys:
                    timeout = (self.timers[0][0] - now) if self.timers else 1.0
                    self.cond.wait(max(0.001, min(timeout, 1.0)))
                    continue
            for (_t, _s, fn, args) in due:
                self._safe(fn, *args)
            for k in keys:
                h = getattr(self, "sync_" + k[0].replace("-", "_"))
                self._safe(h, *k[1:])

    @staticmethod
    def _safe(fn, *args):
        try:
            fn(*args)
        except ApiError:
            pass
        except Exception:
            traceback.print_exc(file=sys.stderr)

    # ---- pods: delegated to the runtime (virtual or kubelet) --------------------------------
    def sync_pod(self, ns, name):
        p = self.store.get(PODS, ns, name)
        if p is not None:
            self.runtime.pod_changed(p)

    # ---- ReplicaSet ------------------------------------------------------------------------
    def owned(self, owner, rt):
        uid = owner["metadata"]["uid"]
        out = []
        for drt, d in self.store.dependents(uid):
            ref = controller_ref(d)
            if drt is rt and ref and ref.get("uid") == uid:
                out.append(d)
        return out

    def sync_rs(self, ns, name):
        with self.store.lock:
            rs = self.store.get(RS, ns, name)
            if rs is None or rs["metadata"].get("deletionTimestamp"):
                return
            spec = rs.get("spec") or {}
            pods = self.owned(rs, PODS)
            active = [p for p in pods if pod_active(p)]
            want = spec.get("replicas", 1)
            diff = len(active) - want
            if diff < 0:
                tmpl = spec.get("template") or {}
                for _ in range(min(-diff, 500)):
                    self._create_pod(rs, "ReplicaSet", "apps/v1", tmpl, rs["metadata"]["name"] + "-",
                                     "replicaset-controller")
            elif diff > 0:
                def rank(p):
                    # like the real controller: unscheduled < pending < not ready < ready, newest first
                    st = p.get("status") or {}
                    return (1 if (p.get("spec") or {}).get("nodeName") else 0,
                            {"Pending": 0, "Unknown": 1, "Running": 2}.get(st.get("phase"), 0),
                            1 if pod_ready(p) else 0)
                victims = sorted(sorted(active, key=lambda p: p["metadata"]["creationTimestamp"], reverse=True),
                                 key=rank)[:diff]
                for p in victims:
                    try:
                        self.api.delete(PODS, ns, p["metadata"]["name"], {"propagationPolicy": "Background"})
                        self.rec.event(rs, "Normal", "SuccessfulDelete", "Deleted pod: " + p["metadata"]["name"],
                                       "replicaset-controller")
                    except ApiError:
                        pass
                pods = self.owned(rs, PODS)
                active = [p for p in pods if pod_active(p)]
            rs = self.store.get(RS, ns, name)
            sel = selector_obj_to_reqs(spec.get("selector") or {}) or []
            ready = sum(1 for p in active if pod_ready(p))
            st = {"replicas": len(active),
                  "fullyLabeledReplicas": sum(1 for p in active if labels_match(sel, p["metadata"].get("labels"))),
                  "readyReplicas": ready, "availableReplicas": ready,
                  "observedGeneration": rs["metadata"].get("generation", 1)}
            st = omit_zero(st)
            st["replicas"] = len(active)
            self.api.put_status(RS, rs, st)

    def _create_pod(self, owner, kind, av, tmpl, prefix, component):
        ns = owner["metadata"]["namespace"]
        tm = tmpl.get("metadata") or {}
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"generateName": prefix, "namespace": ns, "labels": dict(tm.get("labels") or {}),
                            "ownerReferences": [owner_ref(kind, av, owner)]},
               "spec": clone(tmpl.get("spec") or {})}
        if tm.get("annotations"):
            pod["metadata"]["annotations"] = dict(tm["annotations"])
        try:
            p = self.api.create(PODS, ns, pod)
        except ApiError as e:
            self.rec.event(owner, "Warning", "FailedCreate", "Error creating: " + e.message, component)
            return None
        self.rec.event(owner, "Normal", "SuccessfulCreate", "Created pod: " + p["metadata"]["name"], component)
        return p

    # ---- Deployment ------------------------------------------------------------------------
    @staticmethod
    def _tmpl_key(tmpl):
        t = clone(tmpl or {})
        labels = (t.get("metadata") or {}).get("labels")
        if isinstance(labels, dict):
            labels.pop("pod-template-hash", None)
        return t

    def sync_deploy(self, ns, name):
        with self.store.lock:
            d = self.store.get(DEPLOY, ns, name)
            if d is None or d["metadata"].get("deletionTimestamp"):
                return
            spec = d.get("spec") or {}
            desired = spec.get("replicas", 1)
            tmpl = spec.get("template") or {}
            tkey = self._tmpl_key(tmpl)
            rss = self.owned(d, RS)
            new_rs = next((r for r in rss if self._tmpl_key((r.get("spec") or {}).get("template")) == tkey), None)
            olds = [r for r in rss if r is not new_rs]
            strategy = (spec.get("strategy") or {})
            rolling = strategy.get("type", "RollingUpdate") != "Recreate"
            ru = strategy.get("rollingUpdate") or {}
            surge = resolve_intstr(ru.get("maxSurge", "25%"), desired, True) if rolling else 0
            unavail = resolve_intstr(ru.get("maxUnavailable", "25%"), desired, False) if rolling else desired
            if rolling and surge == 0 and unavail == 0:
                unavail = 1
            max_rev = max([int((r["metadata"].get("annotations") or {}).get(REV, "0") or 0) for r in rss] + [0])
            now = now_iso()
            progress = False
            created_name = None
            if spec.get("paused"):
                self._deploy_status(d, new_rs, olds, desired, unavail, False, None, now)
                return
            if new_rs is None:
                old_total = sum((r.get("spec") or {}).get("replicas", 0) for r in olds)
                if not rolling:
                    n = 0 if old_total or any((r.get("status") or {}).get("replicas") for r in olds) else desired
                elif not olds:
                    n = desired
                else:
                    n = max(0, min(desired, desired + surge - old_total))
                new_rs = self._create_rs(d, tmpl, n, max_rev + 1, desired, surge)
                if new_rs is None:
                    return
                created_name = new_rs["metadata"]["name"]
                progress = True
                if n:
                    self.rec.event(d, "Normal", "ScalingReplicaSet", "Scaled up replica set %s to %d from 0" % (
                        created_name, n), "deployment-controller")
            else:
                ann = new_rs["metadata"].get("annotations") or {}
                want_ann = {"deployment.kubernetes.io/desired-replicas": str(desired),
                            "deployment.kubernetes.io/max-replicas": str(desired + surge)}
                rev = int(ann.get(REV, "0") or 0)
                if rev < max_rev or (rev == 0):
                    want_ann[REV] = str(max_rev + 1 if rev < max_rev else max(rev, 1))
                if any(ann.get(k) != v for k, v in want_ann.items()):
                    nr = clone(new_rs)
                    nr["metadata"].setdefault("annotations", {}).update(want_ann)
                    new_rs = self.store.put(RS, nr)
            # scale the new ReplicaSet
            cur_new = (new_rs.get("spec") or {}).get("replicas", 0)
            if rolling:
                total = cur_new + sum((r.get("spec") or {}).get("replicas", 0) for r in olds)
                if cur_new < desired:
                    up = min(desired + surge - total, desired - cur_new)
                    if up > 0:
                        new_rs = self._scale_rs(d, new_rs, cur_new + up)
                        progress = True
                elif cur_new > desired:
                    new_rs = self._scale_rs(d, new_rs, desired)
                    progress = True
                # scale old ones down as far as availability allows
                new_spec = (new_rs.get("spec") or {}).get("replicas", 0)
                new_avail = (new_rs.get("status") or {}).get("availableReplicas", 0)
                all_spec = new_spec + sum((r.get("spec") or {}).get("replicas", 0) for r in olds)
                min_avail = desired - unavail
                budget = all_spec - min_avail - (new_spec - new_avail)
                for r in sorted(olds, key=lambda r: r["metadata"]["creationTimestamp"]):
                    rsp = (r.get("spec") or {}).get("replicas", 0)
                    dec = min(rsp, budget)
                    if dec > 0:
                        self._scale_rs(d, r, rsp - dec)
                        budget -= dec
                        progress = True
            else:
                if any((r.get("spec") or {}).get("replicas", 0) for r in olds):
                    for r in olds:
                        if (r.get("spec") or {}).get("replicas", 0):
                            self._scale_rs(d, r, 0)
                    progress = True
                elif not any((r.get("status") or {}).get("replicas", 0) for r in olds) and cur_new != desired:
                    new_rs = self._scale_rs(d, new_rs, desired)
                    progress = True
            # keep revisionHistoryLimit old ReplicaSets
            limit = spec.get("revisionHistoryLimit", 10)
            olds = [self.store.get(RS, ns, r["metadata"]["name"]) for r in olds]
            olds = [r for r in olds if r is not None]
            dead = [r for r in olds if not (r.get("spec") or {}).get("replicas") and
                    not (r.get("status") or {}).get("replicas")]
            dead.sort(key=lambda r: int((r["metadata"].get("annotations") or {}).get(REV, "0") or 0))
            for r in dead[: max(0, len(dead) - limit)]:
                try:
                    self.api.delete(RS, ns, r["metadata"]["name"], {"propagationPolicy": "Background"})
                except ApiError:
                    pass
            d = self.store.get(DEPLOY, ns, name)
            new_rs = self.store.get(RS, ns, new_rs["metadata"]["name"]) or new_rs
            self._deploy_status(d, new_rs, olds, desired, unavail, progress, created_name, now)

    def _create_rs(self, d, tmpl, n, rev, desired, surge):
        h = pod_template_hash(self._tmpl_key(tmpl), d.get("status", {}).get("collisionCount", 0))
        t = clone(tmpl)
        t.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = h
        sel = clone((d.get("spec") or {}).get("selector") or {})
        sel.setdefault("matchLabels", {})["pod-template-hash"] = h
        labels = dict(t["metadata"]["labels"])
        rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
              "metadata": {"name": "%s-%s" % (d["metadata"]["name"], h), "namespace": d["metadata"]["namespace"],
                           "labels": labels,
                           "annotations": {"deployment.kubernetes.io/desired-replicas": str(desired),
                                           "deployment.kubernetes.io/max-replicas": str(desired + surge),
                                           REV: str(rev)},
                           "ownerReferences": [owner_ref("Deployment", "apps/v1", d)]},
              "spec": {"replicas": n, "selector": sel, "template": t}}
        if (d.get("spec") or {}).get("minReadySeconds"):
            rs["spec"]["minReadySeconds"] = d["spec"]["minReadySeconds"]
        try:
            return self.api.create(RS, d["metadata"]["namespace"], rs)
        except ApiError:
            return None

    def _scale_rs(self, d, rs, n):
        cur = (rs.get("spec") or {}).get("replicas", 0)
        if cur == n:
            return rs
        new = clone(rs)
        new["spec"]["replicas"] = n
        new["metadata"]["generation"] = rs["metadata"].get("generation", 1) + 1
        ann = new["metadata"].setdefault("annotations", {})
        ann["deployment.kubernetes.io/desired-replicas"] = str((d.get("spec") or {}).get("replicas", 1))
        out = self.store.put(RS, new)
        self.rec.event(d, "Normal", "ScalingReplicaSet", "Scaled %s replica set %s to %d from %d" % (
            "up" if n > cur else "down", rs["metadata"]["name"], n, cur), "deployment-controller")
        return out

    def _deploy_status(self, d, new_rs, olds, desired, unavail, progress, created_name, now):
        allrs = [new_rs] + olds if new_rs else olds
        st_old = d.get("status") or {}

        def s(r, k):
            return (r.get("status") or {}).get(k, 0)
        replicas = sum(s(r, "replicas") for r in allrs)
        updated = s(new_rs, "replicas") if new_rs else 0
        ready = sum(s(r, "readyReplicas") for r in allrs)
        avail = sum(s(r, "availableReplicas") for r in allrs)
        st = {"observedGeneration": d["metadata"].get("generation", 1), "replicas": replicas,
              "updatedReplicas": updated, "readyReplicas": ready, "availableReplicas": avail,
              "unavailableReplicas": max(desired - avail, 0)}
        st = omit_zero(st)
        st["observedGeneration"] = d["metadata"].get("generation", 1)
        conds = clone(st_old.get("conditions") or [])
        if avail >= desired - unavail:
            set_condition(conds, "Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.",
                          now, True)
        else:
            set_condition(conds, "Available", "False", "MinimumReplicasUnavailable",
                          "Deployment does not have minimum availability.", now, True)
        rsname = new_rs["metadata"]["name"] if new_rs else ""
        complete = new_rs is not None and updated == desired and replicas == updated and avail >= desired and \
            (new_rs.get("spec") or {}).get("replicas", 0) == desired
        if created_name:
            set_condition(conds, "Progressing", "True", "NewReplicaSetCreated",
                          'Created new replica set "%s"' % created_name, now, True)
        elif complete:
            set_condition(conds, "Progressing", "True", "NewReplicaSetAvailable",
                          'ReplicaSet "%s" has successfully progressed.' % rsname, now, True)
        elif progress or not any(c.get("type") == "Progressing" for c in conds) or \
                next(c for c in conds if c.get("type") == "Progressing").get("reason") == "NewReplicaSetAvailable":
            set_condition(conds, "Progressing", "True", "ReplicaSetUpdated",
                          'ReplicaSet "%s" is progressing.' % rsname, now, True)
        else:
            # progress made by pods becoming ready refreshes lastUpdateTime like the real controller
            for c in conds:
                if c.get("type") == "Progressing" and (st_old.get("availableReplicas", 0) != avail or
                                                       st_old.get("updatedReplicas", 0) != updated):
                    c["lastUpdateTime"] = now
        # order like the real controller: Available, then Progressing
        conds.sort(key=lambda c: {"Available": 0, "Progressing": 1}.get(c.get("type"), 2))
        st["conditions"] = conds
        if st_old.get("collisionCount"):
            st["collisionCount"] = st_old["collisionCount"]
        # revision annotation follows the new ReplicaSet
        if new_rs:
            rev = (new_rs["metadata"].get("annotations") or {}).get(REV)
            if rev and (d["metadata"].get("annotations") or {}).get(REV) != rev:
                nd = clone(d)
                nd["metadata"].setdefault("annotations", {})[REV] = rev
                nd["status"] = st
                self.store.put(DEPLOY, nd)
                return
        self.api.put_status(DEPLOY, d, st)

    # ---- Job -----------------------------------------------------------------------------
    def sync_job(self, ns, name):
        with self.store.lock:
            job = self.store.get(JOBS, ns, name)
            if job is None or job["metadata"].get("deletionTimestamp"):
                return
            spec = job.get("spec") or {}
            st = clone(job.get("status") or {})
            conds = st.get("conditions") or []
            finished = any(c.get("type") in ("Complete", "Failed") and c.get("status") == "True" for c in conds)
            pods = self.owned(job, PODS)
            succeeded = sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Succeeded")
            failed = sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Failed")
            # pods already counted and then removed stay counted
            succeeded = max(succeeded, st.get("succeeded", 0))
            failed = max(failed, st.get("failed", 0))
            active = [p for p in pods if pod_active(p)]
            now = now_iso()
            completions = spec.get("completions", 1)
            if spec.get("suspend"):
                for p in active:
                    self.api.delete(PODS, ns, p["metadata"]["name"], {"propagationPolicy": "Background"})
                set_condition(conds, "Suspended", "True", "JobSuspended", "Job suspended", now, probe=True)
                active = []
            elif not finished:
                st.setdefault("startTime", now)
                if completions is not None and succeeded >= completions:
                    set_condition(conds, "Complete", "True", None, None, now, probe=True)
                    st["completionTime"] = now
                    finished = True
                    self.rec.event(job, "Normal", "Completed", "Job completed", "job-controller")
                elif failed > spec.get("backoffLimit", 6):
                    for p in active:
                        self.api.delete(PODS, ns, p["metadata"]["name"], {"propagationPolicy": "Background"})
                    active = []
                    set_condition(conds, "Failed", "True", "BackoffLimitExceeded",
                                  "Job has reached the specified backoff limit", now, probe=True)
                    finished = True
                    self.rec.event(job, "Warning", "BackoffLimitExceeded",
                                   "Job has reached the specified backoff limit", "job-controller")
                else:
                    par = spec.get("parallelism", 1)
                    want = min(par, (completions - succeeded) if completions is not None else par) - len(active)
                    for _ in range(max(0, want)):
                        p = self._create_pod(job, "Job", "batch/v1", spec.get("template") or {},
                                             name + "-", "job-controller")
                        if p:
                            active.append(p)
            st["active"] = len(active)
            st["succeeded"] = succeeded
            st["failed"] = failed
            st["ready"] = sum(1 for p in active if pod_ready(p))
            st["terminating"] = sum(1 for p in pods if p["metadata"].get("deletionTimestamp"))
            st["uncountedTerminatedPods"] = {}
            for k in ("active", "succeeded", "failed"):
                if not st[k]:
                    del st[k]
            if conds:
                st["conditions"] = conds
            if finished and "ready" in st:
                st["ready"] = 0
            self.api.put_status(JOBS, job, st)

    # ---- Endpoints -------------------------------------------------------------------------
    def sync_pod_ep(self, ns):
        for svc in self.store.objects(SVC, ns):
            if (svc.get("spec") or {}).get("selector"):
                self.enqueue("ep", ns, svc["metadata"]["name"])

    def sync_ep(self, ns, name):
        with self.store.lock:
            svc = self.store.get(SVC, ns, name)
            cur = self.store.get(EP, ns, name)
            if svc is None:
                if cur is not None and (cur["metadata"].get("labels") or {}).get(
                        "endpoints.kubernetes.io/managed-by") == "endpoint-controller":
                    self.store.remove(EP, ns, name)
                return
            sel = (svc.get("spec") or {}).get("selector")
            if not sel:
                return
            subsets = self.compute_subsets(svc, self.store.objects(PODS, ns))
            labels = dict(svc["metadata"].get("labels") or {})
            labels["endpoints.kubernetes.io/managed-by"] = "endpoint-controller"
            if cur is None:
                ep = {"metadata": {"name": name, "namespace": ns, "labels": labels}}
                if subsets:
                    ep["subsets"] = subsets
                try:
                    self.api.create(EP, ns, ep)
                except ApiError:
                    pass
                return
            if cur.get("subsets", []) == subsets and cur["metadata"].get("labels") == labels:
                return
            new = clone(cur)
            new["metadata"]["labels"] = labels
            new["metadata"].setdefault("annotations", {})[
                "endpoints.kubernetes.io/last-change-trigger-time"] = now_iso()
            if subsets:
                new["subsets"] = subsets
            else:
                new.pop("subsets", None)
            self.store.put(EP, new)

    @staticmethod
    def compute_subsets(svc, pods):
        spec = svc.get("spec") or {}
        reqs = [(k, "=", (v,)) for k, v in sorted(spec["selector"].items())]
        ready, not_ready = [], []
        ports = None
        for p in pods:
            if not labels_match(reqs, p["metadata"].get("labels")):
                continue
            st = p.get("status") or {}
            if not st.get("podIP") or p["metadata"].get("deletionTimestamp") or \
                    st.get("phase") in ("Succeeded", "Failed"):
                continue
            addr = {"ip": st["podIP"], "nodeName": (p.get("spec") or {}).get("nodeName"),
                    "targetRef": {"kind": "Pod", "namespace": p["metadata"]["namespace"],
                                  "name": p["metadata"]["name"], "uid": p["metadata"]["uid"]}}
            if pod_ready(p) or spec.get("publishNotReadyAddresses"):
                ready.append(addr)
            else:
                not_ready.append(addr)
            if ports is None:
                ports = []
                for sp in spec.get("ports") or []:
                    tp = sp.get("targetPort", sp.get("port"))
                    if isinstance(tp, str):
                        tp = next((cp.get("containerPort") for c in (p.get("spec") or {}).get("containers") or []
                                   for cp in c.get("ports") or [] if cp.get("name") == tp), None)
                        if tp is None:
                            continue
                    ep = {"port": tp, "protocol": sp.get("protocol", "TCP")}
                    if sp.get("name"):
                        ep = {"name": sp["name"], "port": tp, "protocol": sp.get("protocol", "TCP")}
                    if sp.get("appProtocol"):
                        ep["appProtocol"] = sp["appProtocol"]
                    ports.append(ep)
        if not ready and not not_ready:
            return []
        ss = {}
        if ready:
            ss["addresses"] = sorted(ready, key=lambda a: a["ip"])
        if not_ready:
            ss["notReadyAddresses"] = sorted(not_ready, key=lambda a: a["ip"])
        if ports:
            ss["ports"] = ports
        return [ss]

    # ---- HPA (status only: no metrics server, so no scaling) -----------------------------------
    def sync_hpa_ns(self, ns):
        for h in self.store.objects(HPA, ns):
            self.enqueue("hpa", ns, h["metadata"]["name"])

    def sync_hpa(self, ns, name):
        with self.store.lock:
            h = self.store.get(HPA, ns, name)
            if h is None:
                return
            ref = (h.get("spec") or {}).get("scaleTargetRef") or {}
            tgt = self.store.get(DEPLOY, ns, ref.get("name", "")) if ref.get("kind") == "Deployment" else None
            n = ((tgt or {}).get("status") or {}).get("replicas", 0)
            st = clone(h.get("status") or {})
            st["currentReplicas"] = n
            st["desiredReplicas"] = n
            conds = st.get("conditions") or []
            now = now_iso()
            if tgt is None:
                set_condition(conds, "AbleToScale", "False", "FailedGetScale",
                              'the HPA controller was unable to get the target\'s current scale: deployments/scale.apps '
                              '"%s" not found' % ref.get("name"), now)
            else:
                set_condition(conds, "AbleToScale", "True", "SucceededGetScale",
                              "the HPA controller was able to get the target's current scale", now)
                set_condition(conds, "ScalingActive", "False", "FailedGetResourceMetric",
                              "the HPA was unable to compute the replica count: failed to get cpu utilization: "
                              "unable to get metrics for resource cpu: no metrics returned from resource metrics API",
                              now)
            st["conditions"] = conds
            self.api.put_status(HPA, h, st)

    # ---- namespaces ----------------------------------------------------------------------------
    def sync_ns(self, name):
        with self.store.lock:
            n = self.store.get(NS, "", name)
            if n is None:
                return
            if not n["metadata"].get("deletionTimestamp"):
                if self.store.get(SA, name, "default") is None:
                    try:
                        self.api.create(SA, name, {"metadata": {"name": "default"}})
                    except ApiError:
                        pass
                if self.store.get(CM, name, "kube-root-ca.crt") is None and getattr(self, "ca_pem", None):
                    try:
                        self.api.create(CM, name, {"metadata": {
                            "name": "kube-root-ca.crt",
                            "annotations": {"kubernetes.io/description": "Contains a CA bundle that can be used "
                                            "to verify the kube-apiserver when using internal endpoints such as "
                                            "the internal service IP or kubernetes.default.svc. No other usage is "
                                            "guaranteed across distributions of Kubernetes clusters."}},
                            "data": {"ca.crt": self.ca_pem}})
                    except ApiError:
                        pass
                return
            remaining = 0
            from resources import TYPES
            for rt in TYPES:
                if not rt.namespaced:
                    continue
                for o in self.store.objects(rt, name):
                    remaining += 1
                    if not o["metadata"].get("deletionTimestamp"):
                        try:
                            self.api.delete(rt, name, o["metadata"]["name"], {"propagationPolicy": "Background"})
                        except ApiError:
                            pass
            if remaining == 0 or not any(self.store.count(rt, name) for rt in TYPES if rt.namespaced):
                self.store.remove(NS, "", name)

    # ---- garbage collector -------------------------------------------------------------------
    def sync_gc(self, uid):
        if not uid:
            return
        with self.store.lock:
            deps = self.store.dependents(uid)
            _ort, owner = self.store.by_uid_get(uid)
            if owner is None:
                for drt, dep in deps:
                    live = [r for r in dep["metadata"].get("ownerReferences") or []
                            if r.get("uid") != uid and self.store.by_uid_get(r.get("uid"))[1] is not None]
                    if live:
                        new = clone(dep)
                        new["metadata"]["ownerReferences"] = live
                        self.store.put(drt, new)
                    elif not dep["metadata"].get("deletionTimestamp"):
                        try:
                            self.api.delete(drt, dep["metadata"].get("namespace", ""), dep["metadata"]["name"],
                                            {"propagationPolicy": "Background"})
                        except ApiError:
                            pass
                return
            m = owner["metadata"]
            if m.get("deletionTimestamp") and "foregroundDeletion" in (m.get("finalizers") or []):
                orts = self.store.by_uid.get(uid)
                if not deps:
                    new = clone(owner)
                    new["metadata"]["finalizers"] = [f for f in m["finalizers"] if f != "foregroundDeletion"]
                    if not new["metadata"]["finalizers"]:
                        self.store.remove(orts[0], orts[1], orts[2])
                    else:
                        self.store.put(orts[0], new)
                    return
                for drt, dep in deps:
                    if not dep["metadata"].get("deletionTimestamp"):
                        try:
                            self.api.delete(drt, dep["metadata"].get("namespace", ""), dep["metadata"]["name"],
                                            {"propagationPolicy": "Foreground"})
                        except ApiError:
                            pass
