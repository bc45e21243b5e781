"""What the real apiserver adds (defaulting) and refuses (validation) on create/update."""
import threading

from util import (DNS1123_LABEL, DNS1123_SUBDOMAIN, MSG_LABEL, MSG_SUBDOMAIN, invalid, rand_suffix)

# Kinds whose names must be DNS-1123 labels rather than subdomains.
LABEL_NAMED = {"Namespace", "Service"}


class IPAlloc:
    """Hands out unique addresses from a /16 (x.y.0.1 .. x.y.255.254)."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.n = 0
        self.lock = threading.Lock()

    def next(self):
        with self.lock:
            while True:
                self.n += 1
                a, b = divmod(self.n, 256)
                if 0 < b < 255:
                    return "%s.%d.%d" % (self.prefix, a % 256, b)


CLUSTER_IPS = IPAlloc("10.43")
POD_IPS = IPAlloc("127.1")


# ---- validation ----------------------------------------------------------------------

def validate(rt, obj, causes=None):
    causes = causes if causes is not None else []
    m = obj.get("metadata") or {}
    name = m.get("name") or ""
    if not name:
        causes.append(("FieldValueRequired", "metadata.name", "Required value: name or generateName is required"))
    elif rt.kind in LABEL_NAMED:
        if len(name) > 63 or not DNS1123_LABEL.match(name):
            causes.append(("FieldValueInvalid", "metadata.name", 'Invalid value: "%s": %s' % (name, MSG_LABEL)))
    elif len(name) > 253 or not DNS1123_SUBDOMAIN.match(name):
        causes.append(("FieldValueInvalid", "metadata.name", 'Invalid value: "%s": %s' % (name, MSG_SUBDOMAIN)))
    for k, v in (m.get("labels") or {}).items():
        if not isinstance(v, str):
            causes.append(("FieldValueInvalid", "metadata.labels", "Invalid value: %r: must be a string" % (v,)))
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else None
    k = rt.kind
    if k == "Pod":
        _validate_podspec(spec, "spec", causes)
    elif k in ("Deployment", "ReplicaSet", "Job"):
        if spec is None:
            causes.append(("FieldValueRequired", "spec.template", "Required value"))
        else:
            tmpl = spec.get("template") if isinstance(spec.get("template"), dict) else {}
            if k != "Job":
                sel = spec.get("selector")
                if not isinstance(sel, dict) or not (sel.get("matchLabels") or sel.get("matchExpressions")):
                    causes.append(("FieldValueRequired", "spec.selector", "Required value"))
                else:
                    from selection import labels_match, selector_obj_to_reqs
                    tl = (tmpl.get("metadata") or {}).get("labels") or {}
                    if not labels_match(selector_obj_to_reqs(sel), tl):
                        causes.append(("FieldValueInvalid", "spec.template.metadata.labels",
                                       "Invalid value: map[string]string{%s}: `selector` does not match template "
                                       "`labels`" % ", ".join('"%s":"%s"' % kv for kv in sorted(tl.items()))))
                r = spec.get("replicas")
                if r is not None and (not isinstance(r, int) or r < 0):
                    causes.append(("FieldValueInvalid", "spec.replicas",
                                   "Invalid value: %s: must be greater than or equal to 0" % r))
            _validate_podspec(tmpl.get("spec"), "spec.template.spec", causes)
            if k == "Job":
                rp = ((tmpl.get("spec") or {}).get("restartPolicy"))
                if rp not in ("Never", "OnFailure"):
                    causes.append(("FieldValueNotSupported", "spec.template.spec.restartPolicy",
                                   'Unsupported value: "%s": supported values: "OnFailure", "Never"' % (rp or "Always")))
    elif k == "Service":
        s = spec or {}
        if not s.get("ports") and s.get("clusterIP") != "None" and s.get("type") != "ExternalName":
            causes.append(("FieldValueRequired", "spec.ports", "Required value"))
        for i, p in enumerate(s.get("ports") or []):
            port = p.get("port") if isinstance(p, dict) else None
            if not isinstance(port, int) or not 0 < port < 65536:
                causes.append(("FieldValueInvalid", "spec.ports[%d].port" % i,
                               "Invalid value: %s: must be between 1 and 65535, inclusive" % port))
    elif k == "Ingress":
        for i, r in enumerate((spec or {}).get("rules") or []):
            for j, p in enumerate(((r or {}).get("http") or {}).get("paths") or []):
                if not (p or {}).get("pathType"):
                    causes.append(("FieldValueRequired", "spec.rules[%d].http.paths[%d].pathType" % (i, j),
                                   "Required value: pathType must be specified"))
                else:
                    _validate_ingress_path(p, "spec.rules[%d].http.paths[%d].path" % (i, j), causes)
    elif k == "HorizontalPodAutoscaler":
        s = spec or {}
        if not s.get("scaleTargetRef"):
            causes.append(("FieldValueRequired", "spec.scaleTargetRef.kind", "Required value"))
        if not isinstance(s.get("maxReplicas"), int) or s.get("maxReplicas", 0) < 1:
            causes.append(("FieldValueInvalid", "spec.maxReplicas",
                           "Invalid value: %s: must be greater than or equal to 1" % s.get("maxReplicas", 0)))
    if causes:
        raise invalid(rt, name, causes)


# The apiserver's rules for Prefix and Exact paths (networking/validation: validateHTTPIngressPath).
INVALID_PATH_SEQUENCES = ("//", "/./", "/../", "%2f", "%2F")
INVALID_PATH_SUFFIXES = ("/..", "/.")


def _validate_ingress_path(p, field, causes):
    path = p.get("path") or ""
    if p.get("pathType") not in ("Prefix", "Exact"):
        if path and not path.startswith("/"):
            causes.append(("FieldValueInvalid", field, 'Invalid value: "%s": must be an absolute path' % path))
        return
    if not path.startswith("/"):
        causes.append(("FieldValueInvalid", field, 'Invalid value: "%s": must be an absolute path' % path))
    for seq in INVALID_PATH_SEQUENCES:
        if seq in path:
            causes.append(("FieldValueInvalid", field, "Invalid value: \"%s\": must not contain '%s'" % (path, seq)))
    for suf in INVALID_PATH_SUFFIXES:
        if path.endswith(suf):
            causes.append(("FieldValueInvalid", field, "Invalid value: \"%s\": cannot end with '%s'" % (path, suf)))


def _validate_podspec(spec, path, causes):
    if not isinstance(spec, dict):
        causes.append(("FieldValueRequired", path + ".containers", "Required value"))
        return
    cs = spec.get("containers")
    if not isinstance(cs, list) or not cs:
        causes.append(("FieldValueRequired", path + ".containers", "Required value"))
        return
    seen = set()
    for i, c in enumerate(cs):
        if not isinstance(c, dict):
            causes.append(("FieldValueInvalid", "%s.containers[%d]" % (path, i), "Invalid value: not an object"))
            continue
        n = c.get("name")
        if not n:
            causes.append(("FieldValueRequired", "%s.containers[%d].name" % (path, i), "Required value"))
        elif not DNS1123_LABEL.match(str(n)):
            causes.append(("FieldValueInvalid", "%s.containers[%d].name" % (path, i),
                           'Invalid value: "%s": %s' % (n, MSG_LABEL)))
        elif n in seen:
            causes.append(("FieldValueDuplicate", "%s.containers[%d].name" % (path, i),
                           'Duplicate value: "%s"' % n))
        seen.add(n)
        if not c.get("image"):
            causes.append(("FieldValueRequired", "%s.containers[%d].image" % (path, i), "Required value"))


# ---- defaulting ---------------------------------------------------------------------

def default_container(c):
    c.setdefault("resources", {})
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    img = c.get("image", "")
    tag = img.rsplit("/", 1)[-1]
    c.setdefault("imagePullPolicy", "Always" if (":" not in tag or tag.endswith(":latest")) else "IfNotPresent")
    for p in c.get("ports") or []:
        if isinstance(p, dict):
            p.setdefault("protocol", "TCP")
    for pr in ("readinessProbe", "livenessProbe", "startupProbe"):
        probe = c.get(pr)
        if isinstance(probe, dict):
            probe.setdefault("timeoutSeconds", 1)
            probe.setdefault("periodSeconds", 10)
            probe.setdefault("successThreshold", 1)
            probe.setdefault("failureThreshold", 3)
            hg = probe.get("httpGet")
            if isinstance(hg, dict):
                hg.setdefault("scheme", "HTTP")
    for e in c.get("env") or []:
        vf = (e or {}).get("valueFrom") or {}
        fr = vf.get("fieldRef")
        if isinstance(fr, dict):
            fr.setdefault("apiVersion", "v1")


def default_podspec(spec, template=False):
    if not isinstance(spec, dict):
        return
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    for c in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        if isinstance(c, dict):
            default_container(c)
    for v in spec.get("volumes") or []:
        if isinstance(v, dict):
            if isinstance(v.get("secret"), dict):
                v["secret"].setdefault("defaultMode", 420)
            if isinstance(v.get("configMap"), dict):
                v["configMap"].setdefault("defaultMode", 420)
    if not template:
        sa = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
        spec["serviceAccountName"] = sa
        spec["serviceAccount"] = sa
        spec.setdefault("enableServiceLinks", True)
        spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
        spec.setdefault("priority", 0)
        spec.setdefault("tolerations", [
            {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
             "tolerationSeconds": 300},
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
             "tolerationSeconds": 300}])
        # the ServiceAccount admission plugin mounts the API token as a projected volume
        if spec.get("automountServiceAccountToken") is not False and not any(
                (v or {}).get("name", "").startswith("kube-api-access-") for v in spec.get("volumes") or []):
            vname = "kube-api-access-" + rand_suffix(5)
            spec.setdefault("volumes", []).append({"name": vname, "projected": {"defaultMode": 420, "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {
                    "apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}]}})
            for c in spec.get("containers") or []:
                if isinstance(c, dict):
                    c.setdefault("volumeMounts", []).append({
                        "name": vname, "readOnly": True,
                        "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"})


def default_template(tmpl):
    if isinstance(tmpl, dict):
        tmpl.setdefault("metadata", {})
        tmpl["metadata"].setdefault("creationTimestamp", None)
        default_podspec(tmpl.get("spec"), template=True)


def apply_defaults(rt, obj):
    """Defaulting on create (and on update for spec fields the client may have dropped)."""
    k = rt.kind
    if k in ("Deployment", "ReplicaSet", "Job", "Service", "HorizontalPodAutoscaler") and \
            not isinstance(obj.get("spec"), dict):
        obj["spec"] = {}
    spec = obj.get("spec")
    if k == "Pod":
        obj.setdefault("spec", {})
        default_podspec(obj["spec"])
        obj.setdefault("status", {"phase": "Pending", "qosClass": qos_class(obj["spec"])})
    elif k == "Deployment":
        spec.setdefault("replicas", 1)
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("progressDeadlineSeconds", 600)
        st = spec.setdefault("strategy", {"type": "RollingUpdate"})
        if st.get("type", "RollingUpdate") == "RollingUpdate":
            st["type"] = "RollingUpdate"
            ru = st.setdefault("rollingUpdate", {})
            ru.setdefault("maxUnavailable", "25%")
            ru.setdefault("maxSurge", "25%")
        default_template(spec.get("template"))
        obj.setdefault("status", {})
    elif k == "ReplicaSet":
        spec.setdefault("replicas", 1)
        default_template(spec.get("template"))
        obj.setdefault("status", {"replicas": 0})
    elif k == "Job":
        spec.setdefault("parallelism", 1)
        spec.setdefault("completions", 1)
        spec.setdefault("backoffLimit", 6)
        spec.setdefault("completionMode", "NonIndexed")
        spec.setdefault("suspend", False)
        spec.setdefault("podReplacementPolicy", "TerminatingOrFailed")
        uid = obj["metadata"]["uid"]
        tmpl = spec.setdefault("template", {})
        tm = tmpl.setdefault("metadata", {})
        labels = tm.setdefault("labels", {})
        if spec.get("manualSelector") is not True:
            labels.setdefault("batch.kubernetes.io/controller-uid", uid)
            labels.setdefault("batch.kubernetes.io/job-name", obj["metadata"]["name"])
            labels.setdefault("controller-uid", uid)
            labels.setdefault("job-name", obj["metadata"]["name"])
            spec.setdefault("selector", {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}})
        ol = obj["metadata"].setdefault("labels", {})
        ol.setdefault("batch.kubernetes.io/controller-uid", uid)
        ol.setdefault("batch.kubernetes.io/job-name", obj["metadata"]["name"])
        ol.setdefault("controller-uid", uid)
        ol.setdefault("job-name", obj["metadata"]["name"])
        default_template(tmpl)
        obj.setdefault("status", {})
    elif k == "Service":
        spec.setdefault("type", "ClusterIP")
        spec.setdefault("sessionAffinity", "None")
        if spec["type"] != "ExternalName":
            if not spec.get("clusterIP"):
                spec["clusterIP"] = CLUSTER_IPS.next()
            spec.setdefault("clusterIPs", [spec["clusterIP"]])
            spec.setdefault("ipFamilies", ["IPv4"])
            spec.setdefault("ipFamilyPolicy", "SingleStack")
            spec.setdefault("internalTrafficPolicy", "Cluster")
        for p in spec.get("ports") or []:
            if isinstance(p, dict):
                p.setdefault("protocol", "TCP")
                p.setdefault("targetPort", p.get("port"))
        obj.setdefault("status", {"loadBalancer": {}})
    elif k == "Namespace":
        obj.setdefault("spec", {"finalizers": ["kubernetes"]})
        obj["status"] = obj.get("status") or {"phase": "Active"}
        obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = obj["metadata"]["name"]
    elif k == "Secret":
        obj.setdefault("type", "Opaque")
    elif k == "HorizontalPodAutoscaler":
        spec.setdefault("minReplicas", 1)
        obj.setdefault("status", {"currentReplicas": 0, "desiredReplicas": 0})
    elif k == "Ingress":
        obj.setdefault("status", {"loadBalancer": {}})
    elif k == "NetworkPolicy":
        if spec is not None and "policyTypes" not in spec:
            spec["policyTypes"] = ["Ingress"] + (["Egress"] if "egress" in spec else [])


def qos_class(spec):
    req_all = lim_all = True
    any_set = False
    for c in spec.get("containers") or []:
        r = (c.get("resources") or {})
        req, lim = r.get("requests") or {}, r.get("limits") or {}
        if req or lim:
            any_set = True
        for res in ("cpu", "memory"):
            if res not in lim:
                lim_all = False
            elif res in req and req[res] != lim[res]:
                req_all = False
    if not any_set:
        return "BestEffort"
    if lim_all and req_all:
        return "Guaranteed"
    return "Burstable"


# ---- JSON type checks ----------------------------------------------------------------------
# The real server decodes into Go structs, so a wrongly typed field is a 400 before any
# validation. We check the fields kubesim itself reads (enough to never crash on odd input).

_GO = {dict: "object", list: "array", str: "string", int: "number", bool: "bool", float: "number"}
STR, INT, BOOL, OBJ, LIST = "string", "int32", "bool", "object", "array"

CONTAINER = {"name": STR, "image": STR, "ports": [{"containerPort": INT, "name": STR, "protocol": STR}],
             "env": [{"name": STR, "value": STR, "valueFrom": OBJ}], "args": [STR], "command": [STR],
             "resources": {"requests": {"*": None}, "limits": {"*": None}}, "readinessProbe": OBJ,
             "livenessProbe": OBJ, "startupProbe": OBJ, "volumeMounts": [{"name": STR, "mountPath": STR}],
             "imagePullPolicy": STR}
POD_SPEC = {"containers": [CONTAINER], "initContainers": [CONTAINER], "volumes": [{"name": STR}],
            "restartPolicy": STR, "nodeName": STR, "serviceAccountName": STR, "tolerations": [OBJ],
            "terminationGracePeriodSeconds": INT, "readinessGates": [OBJ], "hostNetwork": BOOL}
TEMPLATE = {"metadata": {"labels": {"*": STR}, "annotations": {"*": STR}}, "spec": POD_SPEC}
SELECTOR = {"matchLabels": {"*": STR}, "matchExpressions": [{"key": STR, "operator": STR, "values": [STR]}]}
SCHEMAS = {
    "Pod": {"spec": POD_SPEC, "status": OBJ},
    "Deployment": {"spec": {"replicas": INT, "selector": SELECTOR, "template": TEMPLATE, "paused": BOOL,
                            "strategy": {"type": STR, "rollingUpdate": OBJ}, "minReadySeconds": INT,
                            "revisionHistoryLimit": INT, "progressDeadlineSeconds": INT}, "status": OBJ},
    "ReplicaSet": {"spec": {"replicas": INT, "selector": SELECTOR, "template": TEMPLATE}, "status": OBJ},
    "Job": {"spec": {"parallelism": INT, "completions": INT, "backoffLimit": INT, "suspend": BOOL,
                     "selector": SELECTOR, "template": TEMPLATE}, "status": OBJ},
    "Service": {"spec": {"ports": [{"port": INT, "name": STR, "protocol": STR, "nodePort": INT}],
                         "selector": {"*": STR}, "type": STR, "clusterIP": STR, "externalIPs": [STR]}},
    "Endpoints": {"subsets": [{"addresses": [{"ip": STR}], "notReadyAddresses": [{"ip": STR}],
                               "ports": [{"port": INT, "name": STR}]}]},
    "ConfigMap": {"data": {"*": STR}, "binaryData": {"*": STR}},
    "Secret": {"data": {"*": STR}, "stringData": {"*": STR}, "type": STR},
    "Namespace": {"spec": {"finalizers": [STR]}},
    "HorizontalPodAutoscaler": {"spec": {"minReplicas": INT, "maxReplicas": INT, "scaleTargetRef": OBJ,
                                         "metrics": [OBJ]}},
    "Ingress": {"spec": {"ingressClassName": STR, "rules": [{"host": STR, "http": {"paths": [OBJ]}}],
                         "tls": [OBJ]}},
    "NetworkPolicy": {"spec": {"podSelector": SELECTOR, "policyTypes": [STR]}},
    "Event": {"involvedObject": OBJ, "count": INT, "reason": STR, "message": STR, "source": OBJ},
}
META = {"name": STR, "generateName": STR, "namespace": STR, "labels": {"*": STR}, "annotations": {"*": STR},
        "ownerReferences": [{"uid": STR, "name": STR, "kind": STR, "controller": BOOL}], "finalizers": [STR],
        "resourceVersion": STR, "uid": STR}


def _kind_ok(v, want):
    if want == STR:
        return isinstance(v, str)
    if want == INT:
        return isinstance(v, int) and not isinstance(v, bool)
    if want == BOOL:
        return isinstance(v, bool)
    if want == OBJ:
        return isinstance(v, dict)
    if want == LIST:
        return isinstance(v, list)
    return True


def _check(v, schema, path, errs):
    if v is None or schema is None:
        return
    if isinstance(schema, dict):
        if not isinstance(v, dict):
            errs.append((path, "object", v))
            return
        for k, sub in schema.items():
            if k == "*":
                for kk, vv in v.items():
                    _check(vv, sub, "%s.%s" % (path, kk), errs)
            elif k in v:
                _check(v[k], sub, "%s.%s" % (path, k) if path else k, errs)
    elif isinstance(schema, list):
        if not isinstance(v, list):
            errs.append((path, "array", v))
            return
        for i, item in enumerate(v):
            _check(item, schema[0], path, errs)
    elif not _kind_ok(v, schema):
        errs.append((path, schema, v))


def typecheck(rt, obj):
    from util import ApiError
    errs = []
    _check(obj.get("metadata"), META, "metadata", errs)
    schema = SCHEMAS.get(rt.kind)
    if schema:
        _check(obj, schema, "", errs)
    if errs:
        path, want, v = errs[0]
        got = _GO.get(type(v), "value")
        raise ApiError(400, "BadRequest", '%s in version "%s" cannot be handled as a %s: json: cannot unmarshal %s '
                       "into Go struct field %s of type %s" % (rt.kind, rt.version, rt.kind, got, path, want))
