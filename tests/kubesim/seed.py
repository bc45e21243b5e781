"""Initial cluster content: system objects, the seed application, and bulk virtual load (+ churn)."""
import glob
import json
import os
import random
import threading
import time

from defaults import CLUSTER_IPS, POD_IPS, apply_defaults
from resources import BY_KIND, BY_PLURAL
from util import ApiError, new_uid, now_iso, now_micro, pod_template_hash, rand_suffix

SEED_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seed")
NS = BY_PLURAL["namespaces"]
NODES = BY_PLURAL["nodes"]
PODS = BY_PLURAL["pods"]
SVC = BY_PLURAL["services"]
EP = BY_PLURAL["endpoints"]
LEASES = BY_PLURAL["leases"]
DEPLOY = BY_PLURAL["deployments"]
RS = BY_PLURAL["replicasets"]
SA = BY_PLURAL["serviceaccounts"]


def node_obj(name, ip, n_pods_capacity=110):
    now = now_iso()
    conds = [("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
             ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
             ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
             ("Ready", "True", "KubeletReady", "kubelet is posting ready status")]
    return {"metadata": {"name": name, "labels": {
        "beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
        **({"node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/master": ""}
           if name.endswith("-1") else {})},
        "annotations": {"node.alpha.kubernetes.io/ttl": "0",
                        "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
        "spec": {"podCIDR": "10.42.0.0/24", "podCIDRs": ["10.42.0.0/24"],
                 "providerID": "kubesim://" + name},
        "status": {
            "capacity": {"cpu": "8", "ephemeral-storage": "102626232Ki", "hugepages-2Mi": "0",
                         "memory": "32795068Ki", "pods": str(n_pods_capacity)},
            "allocatable": {"cpu": "8", "ephemeral-storage": "99833802766", "hugepages-2Mi": "0",
                            "memory": "32795068Ki", "pods": str(n_pods_capacity)},
            "conditions": [{"type": t, "status": s, "lastHeartbeatTime": now, "lastTransitionTime": now,
                            "reason": r, "message": m} for (t, s, r, m) in conds],
            "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {"machineID": "%032x" % (hash(name) & ((1 << 128) - 1)),
                         "systemUUID": new_uid(), "bootID": new_uid(), "kernelVersion": os.uname().release,
                         "osImage": "Debian GNU/Linux 12 (bookworm)", "containerRuntimeVersion": "containerd://1.7.17",
                         "kubeletVersion": "v1.30.14+kubesim", "kubeProxyVersion": "v1.30.14+kubesim",
                         "operatingSystem": "linux", "architecture": "amd64"},
            "images": []}}


def system(api, port, n_nodes=1):
    for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
        api.create(NS, "", {"metadata": {"name": ns}})
    for i in range(1, n_nodes + 1):
        name = "kubesim-node-%d" % i
        ip = "127.0.0.1" if i == 1 else "127.0.2.%d" % (i % 250 + 1)
        api.create(NODES, "", node_obj(name, ip))
        api.create(LEASES, "kube-node-lease", {"metadata": {"name": name}, "spec": {
            "holderIdentity": name, "leaseDurationSeconds": 40, "renewTime": now_micro()}})
    CLUSTER_IPS.n = 0   # kubernetes service gets x.x.0.1 like a real cluster
    api.create(SVC, "default", {"metadata": {"name": "kubernetes", "labels": {
        "component": "apiserver", "provider": "kubernetes"}},
        "spec": {"ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": port}]}})
    api.create(EP, "default", {"metadata": {"name": "kubernetes", "labels": {
        "endpointslice.kubernetes.io/skip-mirror": "true"}},
        "subsets": [{"addresses": [{"ip": "127.0.0.1"}], "ports": [{"name": "https", "port": port,
                                                                    "protocol": "TCP"}]}]})


def seed_app(api):
    """Creates the objects in seed/*.json (each a v1 List), in file order."""
    for path in sorted(glob.glob(os.path.join(SEED_DIR, "*.json"))):
        with open(path) as f:
            doc = json.load(f)
        for item in doc.get("items", [doc]):
            rt = BY_KIND[item["kind"]]
            api.create(rt, item["metadata"].get("namespace", ""), item)


class Heartbeat(threading.Thread):
    """Renews node leases and Ready heartbeats every 10 s, as kubelets do."""

    def __init__(self, api, stop):
        super().__init__(daemon=True, name="heartbeat")
        self.api = api
        self.stop_ev = stop

    def run(self):
        while not self.stop_ev.wait(10):
            for lease in self.api.store.objects(LEASES, "kube-node-lease"):
                new = dict(lease)
                new["spec"] = dict(lease["spec"], renewTime=now_micro())
                new["metadata"] = dict(lease["metadata"])
                self.api.store.put(LEASES, new)


# ---- bulk virtual load --------------------------------------------------------------------------

IMAGES = ["nginx:1.25.4", "registry.local/shop/api:2.3.1", "redis:7.2.4", "registry.local/shop/worker:2.3.1",
          "busybox:1.36", "registry.local/shop/web:2.3.1"]
APPS = ["web", "api", "worker", "cache", "auth", "search", "billing", "mailer"]


def bulk(api, mgr, n_pods, n_ns):
    """Creates n_ns namespaces with Deployments/ReplicaSets/Pods/Services/Endpoints totalling n_pods pods.

    Objects are consistent (running, ready, endpoints filled) and written without events so the
    controllers have nothing to do at start; that keeps start-up under a few seconds for 10k pods.
    """
    store = api.store
    n_ns = max(1, n_ns)
    nodes = [n["metadata"]["name"] for n in store.objects(NODES)]
    now = now_iso(time.time() - 3600)
    start = now_iso(time.time() - 3590)
    per_ns = [n_pods // n_ns + (1 if i < n_pods % n_ns else 0) for i in range(n_ns)]
    rng = random.Random(42)
    created = []
    with store.lock:
        for i in range(n_ns):
            ns = "ns-%04d" % (i + 1)
            nsobj = {"metadata": {"name": ns, "uid": new_uid(), "creationTimestamp": now,
                                  "labels": {"kubernetes.io/metadata.name": ns, "team": "team-%d" % (i % 7)}},
                     "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}
            store.put(NS, nsobj, emit=False)
            store.put(SA, {"metadata": {"name": "default", "namespace": ns, "uid": new_uid(),
                                        "creationTimestamp": now}}, emit=False)
            pods_here = per_ns[i]
            n_dep = max(1, min(4, pods_here))
            sizes = [pods_here // n_dep + (1 if k < pods_here % n_dep else 0) for k in range(n_dep)]
            for k in range(n_dep):
                app = APPS[k % len(APPS)]
                img = IMAGES[(i + k) % len(IMAGES)]
                created.extend(_bulk_deploy(store, ns, app, img, sizes[k], nodes, now, start, rng))
    return created


def _bulk_deploy(store, ns, app, img, replicas, nodes, now, start, rng):
    labels = {"app": app, "app.kubernetes.io/name": app}
    tmpl = {"metadata": {"creationTimestamp": None, "labels": dict(labels)},
            "spec": {"containers": [{"name": app, "image": img, "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                                     "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}}}]}}
    from defaults import default_template
    default_template(tmpl)
    h = pod_template_hash(tmpl)
    duid, rsuid = new_uid(), new_uid()
    dname, rsname = app, "%s-%s" % (app, h)
    d = {"metadata": {"name": dname, "namespace": ns, "uid": duid, "generation": 1, "creationTimestamp": now,
                      "labels": dict(labels), "annotations": {"deployment.kubernetes.io/revision": "1"}},
         "spec": {"replicas": replicas, "selector": {"matchLabels": dict(labels)}, "template": tmpl,
                  "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
                  "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600},
         "status": {"observedGeneration": 1, "replicas": replicas, "updatedReplicas": replicas,
                    "readyReplicas": replicas, "availableReplicas": replicas,
                    "conditions": [
                        {"type": "Available", "status": "True", "lastUpdateTime": start, "lastTransitionTime": start,
                         "reason": "MinimumReplicasAvailable", "message": "Deployment has minimum availability."},
                        {"type": "Progressing", "status": "True", "lastUpdateTime": start, "lastTransitionTime": now,
                         "reason": "NewReplicaSetAvailable",
                         "message": 'ReplicaSet "%s" has successfully progressed.' % rsname}]}}
    store.put(DEPLOY, d, emit=False)
    rs_tmpl = json.loads(json.dumps(tmpl))
    rs_tmpl["metadata"]["labels"]["pod-template-hash"] = h
    rs = {"metadata": {"name": rsname, "namespace": ns, "uid": rsuid, "generation": 1, "creationTimestamp": now,
                       "labels": dict(rs_tmpl["metadata"]["labels"]),
                       "annotations": {"deployment.kubernetes.io/desired-replicas": str(replicas),
                                       "deployment.kubernetes.io/max-replicas": str(replicas + 1),
                                       "deployment.kubernetes.io/revision": "1"},
                       "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": dname,
                                            "uid": duid, "controller": True, "blockOwnerDeletion": True}]},
          "spec": {"replicas": replicas, "selector": {"matchLabels": dict(labels, **{"pod-template-hash": h})},
                   "template": rs_tmpl},
          "status": {"replicas": replicas, "fullyLabeledReplicas": replicas, "readyReplicas": replicas,
                     "availableReplicas": replicas, "observedGeneration": 1}}
    store.put(RS, rs, emit=False)
    addrs = []
    out = []
    spec_json = json.dumps(rs_tmpl["spec"])
    for j in range(replicas):
        pname = "%s-%s" % (rsname, rand_suffix(5))
        ip = POD_IPS.next()
        node = nodes[rng.randrange(len(nodes))] if nodes else "kubesim-node-1"
        spec = json.loads(spec_json)
        spec.update({"nodeName": node, "serviceAccountName": "default", "serviceAccount": "default",
                     "enableServiceLinks": True, "priority": 0, "preemptionPolicy": "PreemptLowerPriority"})
        puid = new_uid()
        pod = {"metadata": {"name": pname, "generateName": rsname + "-", "namespace": ns, "uid": puid,
                            "creationTimestamp": now, "labels": dict(rs_tmpl["metadata"]["labels"]),
                            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rsname,
                                                 "uid": rsuid, "controller": True, "blockOwnerDeletion": True}]},
               "spec": spec,
               "status": {"phase": "Running", "conditions": [
                   {"type": t, "status": "True", "lastProbeTime": None, "lastTransitionTime": start}
                   for t in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")],
                   "hostIP": "127.0.0.1", "hostIPs": [{"ip": "127.0.0.1"}], "podIP": ip, "podIPs": [{"ip": ip}],
                   "startTime": start, "containerStatuses": [{
                       "name": app, "state": {"running": {"startedAt": start}}, "lastState": {}, "ready": True,
                       "restartCount": 0, "image": img, "imageID": img.split(":")[0] + "@sha256:" + "ab" * 32,
                       "containerID": "containerd://" + puid.replace("-", "") * 2, "started": True}],
                   "qosClass": "Burstable"}}
        store.put(PODS, pod, emit=False)
        out.append((ns, pname))
        addrs.append({"ip": ip, "nodeName": node, "targetRef": {"kind": "Pod", "namespace": ns, "name": pname,
                                                                "uid": puid}})
    svc = {"metadata": {"name": app, "namespace": ns, "uid": new_uid(), "creationTimestamp": now,
                        "labels": dict(labels)},
           "spec": {"selector": dict(labels), "ports": [{"name": "http", "port": 80, "protocol": "TCP",
                                                         "targetPort": 8080}]}}
    apply_defaults(SVC, svc)
    store.put(SVC, svc, emit=False)
    ep = {"metadata": {"name": app, "namespace": ns, "uid": new_uid(), "creationTimestamp": now,
                       "labels": dict(labels, **{"endpoints.kubernetes.io/managed-by": "endpoint-controller"})}}
    if addrs:
        ep["subsets"] = [{"addresses": sorted(addrs, key=lambda a: a["ip"]),
                          "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}]
    store.put(EP, ep, emit=False)
    return out


class Churn(threading.Thread):
    """Load generator: N pod events per second on the bulk namespaces (ready flips, restarts, deletes)."""

    def __init__(self, mgr, rate, namespaces, stop):
        super().__init__(daemon=True, name="churn")
        self.mgr = mgr
        self.rate = rate
        self.namespaces = namespaces
        self.stop_ev = stop
        self.rng = random.Random(7)

    def run(self):
        store, rt = self.mgr.store, self.mgr.runtime
        tick = 0.05
        debt = 0.0
        while not self.stop_ev.wait(tick):
            debt += self.rate * tick
            n = int(debt)
            debt -= n
            for _ in range(n):
                ns = self.rng.choice(self.namespaces)
                pods = store.objects(PODS, ns)
                if not pods:
                    continue
                p = self.rng.choice(pods)
                if p["metadata"].get("deletionTimestamp"):
                    continue
                r = self.rng.random()
                try:
                    if r < 0.5:
                        rt.flip_ready(p, False)
                        m = p["metadata"]
                        self.mgr.after(self.rng.uniform(0.5, 3), rt._ready, m["namespace"], m["name"], m["uid"])
                    elif r < 0.8:
                        rt.restart(p)
                    else:
                        self.mgr.api.delete(PODS, ns, p["metadata"]["name"], {})
                except ApiError:
                    pass
