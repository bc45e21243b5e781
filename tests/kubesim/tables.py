"""meta.k8s.io/v1 Table rendering: the columns the real apiserver's printers give kubectl get."""
import time

from selection import selector_obj_to_string
from util import age, human_duration, parse_iso


def col(name, typ="string", desc="", priority=0, fmt=""):
    return {"name": name, "type": typ, "format": fmt, "description": desc, "priority": priority}


NAME = col("Name", fmt="name", desc="Name must be unique within a namespace.")
AGE = col("Age", desc="CreationTimestamp is a timestamp representing the server time when this object was created.")


def _ct(o):
    return (o.get("metadata") or {}).get("creationTimestamp")


def _name(o):
    return (o.get("metadata") or {}).get("name", "")


def _none(v):
    return v if v not in (None, "", []) else "<none>"


def _containers_images(tmpl_spec):
    cs = (tmpl_spec or {}).get("containers") or []
    return ",".join(c.get("name", "") for c in cs), ",".join(c.get("image", "") for c in cs)


# ---- pods ---------------------------------------------------------------------------

def pod_status_reason(pod, now):
    st = pod.get("status") or {}
    reason = st.get("phase") or "Unknown"
    if st.get("reason"):
        reason = st["reason"]
    init = False
    inits = st.get("initContainerStatuses") or []
    n_init = len((pod.get("spec") or {}).get("initContainers") or [])
    for i, c in enumerate(inits):
        state = c.get("state") or {}
        t = state.get("terminated")
        if t and t.get("exitCode") == 0:
            continue
        if t:
            reason = "Init:" + (t.get("reason") or ("Signal:%d" % t["signal"] if t.get("signal") else
                                                  "ExitCode:%d" % t.get("exitCode", 0)))
            init = True
        elif state.get("waiting") and state["waiting"].get("reason") not in (None, "", "PodInitializing"):
            reason = "Init:" + state["waiting"]["reason"]
            init = True
        else:
            reason = "Init:%d/%d" % (i, n_init)
            init = True
        break
    restarts = 0
    last_restart = None
    ready = 0
    cstat = st.get("containerStatuses") or []
    for c in cstat:
        restarts += c.get("restartCount", 0)
        lt = ((c.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
        if lt:
            t = parse_iso(lt)
            if t and (last_restart is None or t > last_restart):
                last_restart = t
    if not init:
        has_running = False
        for c in reversed(cstat):
            state = c.get("state") or {}
            if state.get("waiting") and state["waiting"].get("reason"):
                reason = state["waiting"]["reason"]
            elif state.get("terminated") and state["terminated"].get("reason"):
                reason = state["terminated"]["reason"]
            elif state.get("terminated"):
                t = state["terminated"]
                reason = "Signal:%d" % t["signal"] if t.get("signal") else "ExitCode:%d" % t.get("exitCode", 0)
            elif state.get("running") and c.get("ready"):
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            conds = {c.get("type"): c.get("status") for c in st.get("conditions") or []}
            reason = "Running" if conds.get("Ready") == "True" else "NotReady"
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        reason = "NodeLost" if st.get("reason") == "NodeLost" else "Terminating"
    rs = str(restarts)
    if last_restart:
        rs = "%d (%s ago)" % (restarts, human_duration(now - last_restart))
    total = len((pod.get("spec") or {}).get("containers") or [])
    return reason, "%d/%d" % (ready, total), rs


POD_COLS = [NAME,
            col("Ready", desc="The aggregate readiness state of this pod for accepting traffic."),
            col("Status", desc="The aggregate status of the containers in this pod."),
            col("Restarts", desc="The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
            AGE,
            col("IP", priority=1, desc="IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated."),
            col("Node", priority=1, desc="NodeName is a request to schedule this pod onto a specific node."),
            col("Nominated Node", priority=1, desc="nominatedNodeName is set only when this pod preempts other pods on the node."),
            col("Readiness Gates", priority=1, desc="If specified, all readiness gates will be evaluated for pod readiness.")]


def pod_cells(o, now):
    reason, ready, restarts = pod_status_reason(o, now)
    st = o.get("status") or {}
    gates = (o.get("spec") or {}).get("readinessGates") or []
    rg = "<none>"
    if gates:
        conds = {c.get("type"): c.get("status") for c in st.get("conditions") or []}
        rg = "%d/%d" % (sum(1 for g in gates if conds.get(g.get("conditionType")) == "True"), len(gates))
    return [_name(o), ready, reason, restarts, age(_ct(o), now), _none(st.get("podIP")),
            _none((o.get("spec") or {}).get("nodeName")), _none(st.get("nominatedNodeName")), rg]


# ---- workloads ------------------------------------------------------------------------

DEPLOY_COLS = [NAME, col("Ready", desc="Number of the pod with ready state"),
               col("Up-to-date", "integer", "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
               col("Available", "integer", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
               AGE, col("Containers", priority=1, desc="Names of each container in the template."),
               col("Images", priority=1, desc="Images referenced by each container in the template."),
               col("Selector", priority=1, desc="Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.")]


def deploy_cells(o, now):
    s, st = o.get("spec") or {}, o.get("status") or {}
    c, i = _containers_images((s.get("template") or {}).get("spec"))
    return [_name(o), "%d/%d" % (st.get("readyReplicas", 0), s.get("replicas", 0)), st.get("updatedReplicas", 0),
            st.get("availableReplicas", 0), age(_ct(o), now), c, i, selector_obj_to_string(s.get("selector") or {})]


RS_COLS = [NAME, col("Desired", "integer", "Replicas is the number of desired replicas."),
           col("Current", "integer", "Replicas is the most recently observed number of replicas."),
           col("Ready", "integer", "The number of ready replicas for this replica set."), AGE,
           col("Containers", priority=1, desc="Names of each container in the template."),
           col("Images", priority=1, desc="Images referenced by each container in the template."),
           col("Selector", priority=1, desc="Selector is a label query over pods that should match the replica count.")]


def rs_cells(o, now):
    s, st = o.get("spec") or {}, o.get("status") or {}
    c, i = _containers_images((s.get("template") or {}).get("spec"))
    return [_name(o), s.get("replicas", 0), st.get("replicas", 0), st.get("readyReplicas", 0), age(_ct(o), now),
            c, i, selector_obj_to_string(s.get("selector") or {})]


JOB_COLS = [NAME, col("Status", desc="Status of the job."),
            col("Completions", desc="The desired number of successfully finished pods the job should be run with."),
            col("Duration", desc="Time required to complete the job."), AGE,
            col("Containers", priority=1, desc="Names of each container in the template."),
            col("Images", priority=1, desc="Images referenced by each container in the template."),
            col("Selector", priority=1, desc="A label query over pods that should match the pod count.")]


def job_cells(o, now):
    s, st = o.get("spec") or {}, o.get("status") or {}
    comp = "%d/%d" % (st.get("succeeded", 0), s["completions"]) if s.get("completions") is not None else \
        "%d/1 of %d" % (st.get("succeeded", 0), s.get("parallelism", 1))
    start, end = parse_iso(st.get("startTime")), parse_iso(st.get("completionTime"))
    dur = ""
    if start:
        dur = human_duration((end or now) - start)
    conds = {c.get("type"): c.get("status") for c in st.get("conditions") or []}
    status = "Running"
    if conds.get("Complete") == "True":
        status = "Complete"
    elif conds.get("Failed") == "True":
        status = "Failed"
    elif (o.get("metadata") or {}).get("deletionTimestamp"):
        status = "Terminating"
    elif conds.get("Suspended") == "True":
        status = "Suspended"
    elif conds.get("FailureTarget") == "True":
        status = "FailureTarget"
    c, i = _containers_images(((s.get("template") or {}).get("spec")))
    return [_name(o), status, comp, dur, age(_ct(o), now), c, i, selector_obj_to_string(s.get("selector") or {})]


# ---- networking -------------------------------------------------------------------------

SVC_COLS = [NAME, col("Type", desc="type determines how the Service is exposed."),
            col("Cluster-IP", desc="clusterIP is the IP address of the service and is usually assigned randomly."),
            col("External-IP", desc="externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service."),
            col("Port(s)", desc="The list of ports that are exposed by this service."), AGE,
            col("Selector", priority=1, desc="Route service traffic to pods with label keys and values matching this selector.")]


def svc_cells(o, now):
    s = o.get("spec") or {}
    ports = []
    for p in s.get("ports") or []:
        x = "%s/%s" % (p.get("port"), p.get("protocol", "TCP"))
        if p.get("nodePort"):
            x = "%s:%s/%s" % (p.get("port"), p["nodePort"], p.get("protocol", "TCP"))
        ports.append(x)
    ext = ",".join(s.get("externalIPs") or [])
    typ = s.get("type", "ClusterIP")
    if typ == "LoadBalancer":
        ing = ((o.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        ext = ",".join([i.get("ip") or i.get("hostname", "") for i in ing] + (s.get("externalIPs") or [])) or "<pending>"
    elif typ == "ExternalName":
        ext = s.get("externalName", "")
    return [_name(o), typ, s.get("clusterIP") or "<none>", ext or "<none>", ",".join(ports) or "<none>",
            age(_ct(o), now), ",".join("%s=%s" % kv for kv in sorted((s.get("selector") or {}).items())) or "<none>"]


EP_COLS = [NAME, col("Endpoints", desc="Endpoints is the list of endpoints that are ready."), AGE]


def ep_cells(o, now):
    eps = []
    for ss in o.get("subsets") or []:
        ports = ss.get("ports") or []
        for a in ss.get("addresses") or []:
            if ports:
                eps.extend("%s:%s" % (a.get("ip"), p.get("port")) for p in ports)
            else:
                eps.append(a.get("ip"))
    txt = ",".join(eps[:3])
    if len(eps) > 3:
        txt += " + %d more..." % (len(eps) - 3)
    return [_name(o), txt or "<none>", age(_ct(o), now)]


ING_COLS = [NAME, col("Class"), col("Hosts"), col("Address"), col("Ports"), AGE]


def ing_cells(o, now):
    s = o.get("spec") or {}
    hosts = [r.get("host") for r in s.get("rules") or [] if r.get("host")]
    lb = ((o.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    addr = ",".join(i.get("ip") or i.get("hostname", "") for i in lb)
    ports = "80, 443" if s.get("tls") else "80"
    return [_name(o), s.get("ingressClassName") or "<none>", ",".join(hosts) or "*", addr, ports, age(_ct(o), now)]


NETPOL_COLS = [NAME, col("Pod-Selector"), AGE]


def netpol_cells(o, now):
    sel = selector_obj_to_string((o.get("spec") or {}).get("podSelector") or {})
    return [_name(o), sel or "<none>", age(_ct(o), now)]


HPA_COLS = [NAME, col("Reference"), col("Targets"), col("MinPods", "integer"), col("MaxPods", "integer"),
            col("Replicas", "integer"), AGE]


def hpa_cells(o, now):
    s, st = o.get("spec") or {}, o.get("status") or {}
    ref = s.get("scaleTargetRef") or {}
    targets = []
    cur = {}
    for m in st.get("currentMetrics") or []:
        r = (m.get("resource") or {})
        cur[r.get("name")] = (r.get("current") or {}).get("averageUtilization")
    for m in s.get("metrics") or []:
        r = m.get("resource") or {}
        tgt = (r.get("target") or {}).get("averageUtilization")
        c = cur.get(r.get("name"))
        targets.append("%s: %s/%s%%" % (r.get("name"), "%d%%" % c if c is not None else "<unknown>", tgt))
    return [_name(o), "%s/%s" % (ref.get("kind"), ref.get("name")), ", ".join(targets) or "<none>",
            s.get("minReplicas", 1), s.get("maxReplicas", 0), st.get("currentReplicas", 0), age(_ct(o), now)]


# ---- cluster & config ------------------------------------------------------------------

NS_COLS = [NAME, col("Status", desc="The status of the namespace"), AGE]


def ns_cells(o, now):
    return [_name(o), (o.get("status") or {}).get("phase", "Active"), age(_ct(o), now)]


NODE_COLS = [NAME, col("Status"), col("Roles"), AGE, col("Version"), col("Internal-IP", priority=1),
             col("External-IP", priority=1), col("OS-Image", priority=1), col("Kernel-Version", priority=1),
             col("Container-Runtime", priority=1)]


def node_cells(o, now):
    st = o.get("status") or {}
    conds = {c.get("type"): c.get("status") for c in st.get("conditions") or []}
    status = "Ready" if conds.get("Ready") == "True" else "NotReady"
    if (o.get("spec") or {}).get("unschedulable"):
        status += ",SchedulingDisabled"
    roles = sorted(k.split("/", 1)[1] for k in ((o.get("metadata") or {}).get("labels") or {})
                   if k.startswith("node-role.kubernetes.io/"))
    addrs = {a.get("type"): a.get("address") for a in st.get("addresses") or []}
    ni = st.get("nodeInfo") or {}
    return [_name(o), status, ",".join(roles) or "<none>", age(_ct(o), now), ni.get("kubeletVersion", ""),
            addrs.get("InternalIP", "<none>"), addrs.get("ExternalIP", "<none>"), ni.get("osImage", ""),
            ni.get("kernelVersion", ""), ni.get("containerRuntimeVersion", "")]


EVENT_COLS = [col("Last Seen"), col("Type"), col("Reason"), col("Object"), col("Subobject", priority=1),
              col("Source", priority=1), col("Message"), col("First Seen", priority=1),
              col("Count", priority=1), col("Name", priority=1)]


def event_cells(o, now):
    io = o.get("involvedObject") or {}
    src = o.get("source") or {}
    source = src.get("component", "")
    if src.get("host"):
        source += ", " + src["host"]
    last = o.get("lastTimestamp") or o.get("eventTime") or _ct(o)
    first = o.get("firstTimestamp") or o.get("eventTime") or _ct(o)
    count = o.get("count", 1)
    last_seen = age(last, now)
    if count > 1:
        last_seen = "%s (x%d over %s)" % (last_seen, count, age(first, now))
    return [last_seen, o.get("type", ""), o.get("reason", ""),
            "%s/%s" % ((io.get("kind") or "").lower(), io.get("name", "")), io.get("fieldPath", ""), source,
            (o.get("message") or "").strip(), age(first, now), count, _name(o)]


CM_COLS = [NAME, col("Data", "integer"), AGE]


def cm_cells(o, now):
    return [_name(o), len(o.get("data") or {}) + len(o.get("binaryData") or {}), age(_ct(o), now)]


SECRET_COLS = [NAME, col("Type"), col("Data", "integer"), AGE]


def secret_cells(o, now):
    return [_name(o), o.get("type", "Opaque"), len(o.get("data") or {}), age(_ct(o), now)]


SA_COLS = [NAME, col("Secrets", "integer"), AGE]


def sa_cells(o, now):
    return [_name(o), len(o.get("secrets") or []), age(_ct(o), now)]


LEASE_COLS = [NAME, col("Holder"), AGE]


def lease_cells(o, now):
    return [_name(o), (o.get("spec") or {}).get("holderIdentity", ""), age(_ct(o), now)]


GENERIC_COLS = [NAME, col("Created At", "date", "CreationTimestamp is a timestamp representing the server time when this object was created.")]


def generic_cells(o, now):
    return [_name(o), _ct(o)]


PRINTERS = {
    "Pod": (POD_COLS, pod_cells), "Deployment": (DEPLOY_COLS, deploy_cells), "ReplicaSet": (RS_COLS, rs_cells),
    "Job": (JOB_COLS, job_cells), "Service": (SVC_COLS, svc_cells), "Endpoints": (EP_COLS, ep_cells),
    "Ingress": (ING_COLS, ing_cells), "NetworkPolicy": (NETPOL_COLS, netpol_cells),
    "HorizontalPodAutoscaler": (HPA_COLS, hpa_cells), "Namespace": (NS_COLS, ns_cells),
    "Node": (NODE_COLS, node_cells), "Event": (EVENT_COLS, event_cells), "ConfigMap": (CM_COLS, cm_cells),
    "Secret": (SECRET_COLS, secret_cells), "ServiceAccount": (SA_COLS, sa_cells), "Lease": (LEASE_COLS, lease_cells),
}


def printer(kind):
    return PRINTERS.get(kind, (GENERIC_COLS, generic_cells))


def partial_meta(obj):
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj.get("metadata") or {}}


def row(kind, obj, include, now=None):
    """One Table row; include is 'None', 'Object' or 'Metadata'."""
    _cols, cells = printer(kind)
    r = {"cells": cells(obj, now or time.time())}
    if include == "Object":
        r["object"] = obj
    elif include != "None":
        r["object"] = partial_meta(obj)
    return r


def table(kind, objs, include, list_meta, with_columns=True):
    now = time.time()
    t = {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta}
    t["columnDefinitions"] = printer(kind)[0] if with_columns else []
    t["rows"] = [row(kind, o, include, now) for o in objs]
    return t
