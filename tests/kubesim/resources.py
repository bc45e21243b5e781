"""The resource types kubesim serves, and the discovery documents built from them."""

ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


class ResourceType:
    def __init__(self, group, version, plural, kind, namespaced, short=(), singular=None,
                 categories=(), subresources=(), verbs=ALL_VERBS, status=False):
        self.group = group
        self.version = version
        self.plural = plural
        self.kind = kind
        self.namespaced = namespaced
        self.short = list(short)
        self.singular = singular or kind.lower()
        self.categories = list(categories)
        # subresources: list of (name, kind, verbs, group, version) for discovery
        self.subresources = list(subresources)
        self.verbs = list(verbs)
        self.has_status = status

    @property
    def api_version(self):
        return self.version if not self.group else "%s/%s" % (self.group, self.version)

    @property
    def key(self):
        return (self.group, self.plural)

    def prefix(self):
        """Bytes every cached serialization starts with (kind + apiVersion first, like Go)."""
        return ('{"kind":"%s","apiVersion":"%s",' % (self.kind, self.api_version)).encode()


STATUS_VERBS = ["get", "patch", "update"]

TYPES = [
    ResourceType("", "v1", "namespaces", "Namespace", False, ["ns"], status=True,
                 verbs=["create", "delete", "get", "list", "patch", "update", "watch"],
                 subresources=[("status", "Namespace", STATUS_VERBS, None, None),
                               ("finalize", "Namespace", ["update"], None, None)]),
    ResourceType("", "v1", "pods", "Pod", True, ["po"], categories=["all"], status=True,
                 subresources=[("attach", "PodAttachOptions", ["create", "get"], None, None),
                               ("eviction", "Eviction", ["create"], "policy", "v1"),
                               ("exec", "PodExecOptions", ["create", "get"], None, None),
                               ("log", "Pod", ["get"], None, None),
                               ("portforward", "PodPortForwardOptions", ["create", "get"], None, None),
                               ("proxy", "PodProxyOptions", ["create", "delete", "get", "patch", "update"], None, None),
                               ("status", "Pod", STATUS_VERBS, None, None)]),
    ResourceType("", "v1", "services", "Service", True, ["svc"], categories=["all"], status=True,
                 subresources=[("proxy", "ServiceProxyOptions", ["create", "delete", "get", "patch", "update"], None, None),
                               ("status", "Service", STATUS_VERBS, None, None)]),
    ResourceType("", "v1", "endpoints", "Endpoints", True, ["ep"], singular="endpoints"),
    ResourceType("", "v1", "events", "Event", True, ["ev"]),
    ResourceType("", "v1", "configmaps", "ConfigMap", True, ["cm"]),
    ResourceType("", "v1", "secrets", "Secret", True),
    ResourceType("", "v1", "nodes", "Node", False, ["no"], status=True,
                 subresources=[("status", "Node", STATUS_VERBS, None, None)]),
    ResourceType("", "v1", "serviceaccounts", "ServiceAccount", True, ["sa"]),
    ResourceType("apps", "v1", "deployments", "Deployment", True, ["deploy"], categories=["all"], status=True,
                 subresources=[("scale", "Scale", STATUS_VERBS, "autoscaling", "v1"),
                               ("status", "Deployment", STATUS_VERBS, None, None)]),
    ResourceType("apps", "v1", "replicasets", "ReplicaSet", True, ["rs"], categories=["all"], status=True,
                 subresources=[("scale", "Scale", STATUS_VERBS, "autoscaling", "v1"),
                               ("status", "ReplicaSet", STATUS_VERBS, None, None)]),
    ResourceType("batch", "v1", "jobs", "Job", True, categories=["all"], status=True,
                 subresources=[("status", "Job", STATUS_VERBS, None, None)]),
    ResourceType("coordination.k8s.io", "v1", "leases", "Lease", True),
    ResourceType("networking.k8s.io", "v1", "ingresses", "Ingress", True, ["ing"], status=True,
                 subresources=[("status", "Ingress", STATUS_VERBS, None, None)]),
    ResourceType("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", True, ["netpol"]),
    ResourceType("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", True, ["hpa"],
                 categories=["all"], status=True,
                 subresources=[("status", "HorizontalPodAutoscaler", STATUS_VERBS, None, None)]),
    ResourceType("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", False,
                 verbs=["create"]),
    ResourceType("authorization.k8s.io", "v1", "selfsubjectrulesreviews", "SelfSubjectRulesReview", False,
                 verbs=["create"]),
]

BY_GV_PLURAL = {(t.group, t.version, t.plural): t for t in TYPES}
BY_PLURAL = {t.plural: t for t in TYPES}   # plurals are unique across our groups
BY_KIND = {t.kind: t for t in TYPES}


def groups():
    """Ordered {group: [versions]} (core excluded), in the order the real server lists them."""
    out = {}
    for t in TYPES:
        if t.group:
            out.setdefault(t.group, [])
            if t.version not in out[t.group]:
                out[t.group].append(t.version)
    return out


def api_versions(server_addr):
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_addr}]}


def api_group_list():
    gl = []
    for g, versions in groups().items():
        vs = [{"groupVersion": "%s/%s" % (g, v), "version": v} for v in versions]
        gl.append({"name": g, "versions": vs, "preferredVersion": vs[0]})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": gl}


def api_group(group):
    versions = groups().get(group)
    if not versions:
        return None
    vs = [{"groupVersion": "%s/%s" % (group, v), "version": v} for v in versions]
    return {"kind": "APIGroup", "apiVersion": "v1", "name": group, "versions": vs, "preferredVersion": vs[0]}


def resource_list(group, version):
    res = []
    for t in TYPES:
        if t.group != group or t.version != version:
            continue
        r = {"name": t.plural, "singularName": t.singular, "namespaced": t.namespaced, "kind": t.kind,
             "verbs": t.verbs}
        if t.short:
            r["shortNames"] = t.short
        if t.categories:
            r["categories"] = t.categories
        res.append(r)
        for (sub, kind, verbs, sg, sv) in t.subresources:
            s = {"name": "%s/%s" % (t.plural, sub), "singularName": "", "namespaced": t.namespaced,
                 "kind": kind, "verbs": verbs}
            if sg:
                s["group"] = sg
                s["version"] = sv
            res.append(s)
    if not res:
        return None
    gv = version if not group else "%s/%s" % (group, version)
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": res}


# ---- OpenAPI v3 (minimal) ------------------------------------------------------------------
# kubectl apply/create validate by asking the OpenAPI v3 document whether each kind's PATCH accepts
# the fieldValidation query parameter; when it does, validation is left to the server. Without
# any OpenAPI kubectl refuses to apply ("failed to download openapi"), so we serve just that much.

def openapi_v3_root():
    import hashlib
    paths = {}
    gvs = sorted({(t.group, t.version) for t in TYPES})
    for g, v in gvs:
        p = "api/v1" if not g else "apis/%s/%s" % (g, v)
        h = hashlib.sha512(("kubesim-" + p).encode()).hexdigest()[:128].upper()
        paths[p] = {"serverRelativeURL": "/openapi/v3/%s?hash=%s" % (p, h)}
    return {"paths": paths}


def openapi_v3_gv(group, version):
    paths = {}
    found = False
    for t in TYPES:
        if t.group != group or t.version != version or "patch" not in t.verbs:
            continue
        found = True
        base = "/api/v1" if not group else "/apis/%s/%s" % (group, version)
        p = base + ("/namespaces/{namespace}/%s/{name}" if t.namespaced else "/%s/{name}") % t.plural
        gvk = {"group": group, "version": version, "kind": t.kind}
        paths[p] = {"patch": {
            "tags": [t.plural], "operationId": "patch" + t.kind,
            "x-kubernetes-action": "patch", "x-kubernetes-group-version-kind": gvk,
            "parameters": [{"name": n, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
                           for n in ("dryRun", "fieldManager", "fieldValidation", "force")],
            "requestBody": {"content": {ct: {"schema": {"type": "object"}} for ct in (
                "application/json-patch+json", "application/merge-patch+json",
                "application/strategic-merge-patch+json")}},
            "responses": {"200": {"description": "OK"}}}}
    if not found:
        return None
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.30.14+kubesim"},
            "paths": paths, "components": {"schemas": {}}}
