"""Create / update / patch / delete with the apiserver's semantics, shared by HTTP handlers and controllers."""
import time

import defaults
import patch as patchmod
from resources import BY_PLURAL
from util import (ApiError, already_exists, bad_request, clone, conflict, meta, new_uid, not_found, now_iso,
                  rand_suffix)

NAMESPACES = BY_PLURAL["namespaces"]
PODS = BY_PLURAL["pods"]
EVENTS = BY_PLURAL["events"]


class Api:
    def __init__(self, store):
        self.store = store
        self.lock = store.lock

    # ---- helpers -----------------------------------------------------------------------
    def _check_body(self, rt, ns, body):
        if not isinstance(body, dict):
            raise bad_request("the body of the request was in an unknown format - accepted media types include: "
                              "application/json, application/yaml, application/vnd.kubernetes.protobuf")
        kind = body.get("kind")
        if kind and kind != rt.kind:
            raise bad_request("the API version in the data (%s) does not match the expected API version (%s)" %
                              (body.get("apiVersion"), rt.api_version) if body.get("apiVersion") != rt.api_version
                              else "%s in version \"%s\" cannot be handled as a %s: kind mismatch" %
                              (kind, rt.version, rt.kind))
        av = body.get("apiVersion")
        if av and av != rt.api_version:
            raise bad_request("the API version in the data (%s) does not match the expected API version (%s)" %
                              (av, rt.api_version))
        m = body.get("metadata")
        if m is not None and not isinstance(m, dict):
            raise bad_request("metadata must be an object")
        m = meta(body)
        if rt.namespaced:
            bns = m.get("namespace")
            if bns and ns and bns != ns:
                raise bad_request("the namespace of the provided object does not match the namespace sent on the "
                                  "request")
            m["namespace"] = ns or bns or "default"
        else:
            m.pop("namespace", None)

    def _check_namespace(self, rt, ns, creating=True):
        if not rt.namespaced:
            return
        n = self.store.get(NAMESPACES, "", ns)
        if n is None:
            raise ApiError(404, "NotFound", 'namespaces "%s" not found' % ns, {"name": ns, "kind": "namespaces"})
        if creating and (n.get("status") or {}).get("phase") == "Terminating":
            raise ApiError(403, "Forbidden", "%s \"%s\" is forbidden: unable to create new content in namespace %s "
                           "because it is being terminated" % (rt.plural, "", ns),
                           {"name": "", "kind": rt.plural, "causes": [{"reason": "NamespaceTerminating",
                                                                       "message": "namespace %s is being terminated" % ns,
                                                                       "field": "metadata.namespace"}]})

    # ---- create ------------------------------------------------------------------------
    def create(self, rt, ns, body, dry_run=False):
        self._check_body(rt, ns, body)
        obj = clone(body)
        defaults.typecheck(rt, obj)
        m = obj["metadata"]
        ns = m.get("namespace", "")
        with self.lock:
            self._check_namespace(rt, ns)
            if not m.get("name") and m.get("generateName"):
                for _ in range(10):
                    cand = m["generateName"] + rand_suffix(5)
                    if self.store.get(rt, ns, cand) is None:
                        m["name"] = cand
                        break
            defaults.validate(rt, obj)
            if self.store.get(rt, ns, m["name"]) is not None:
                raise already_exists(rt, m["name"])
            for k in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
                m.pop(k, None)
            m["uid"] = new_uid()
            m["creationTimestamp"] = now_iso()
            if "spec" in obj and rt.kind not in ("Pod", "Namespace", "Service", "Node"):
                m["generation"] = 1
            if rt.has_status and rt.kind not in ("Node",):
                obj.pop("status", None)
            defaults.apply_defaults(rt, obj)
            if dry_run:
                return obj
            return self.store.put(rt, obj)

    # ---- update ------------------------------------------------------------------------
    def update(self, rt, ns, name, body, subresource=None, check_rv=True, dry_run=False):
        self._check_body(rt, ns, body)
        defaults.typecheck(rt, body)
        with self.lock:
            cur = self.store.get(rt, ns, name)
            if cur is None:
                raise not_found(rt, name)
            bm = body["metadata"]
            if bm.get("name") and bm["name"] != name:
                raise bad_request("the name of the object (%s) does not match the name on the URL (%s)" %
                                  (bm["name"], name))
            brv = bm.get("resourceVersion")
            if check_rv and brv and brv != cur["metadata"]["resourceVersion"]:
                raise conflict(rt, name)
            if bm.get("uid") and bm["uid"] != cur["metadata"].get("uid"):
                raise ApiError(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": Precondition failed: '
                               "UID in precondition: %s, UID in object meta: %s" %
                               (rt.plural, name, bm["uid"], cur["metadata"].get("uid")),
                               {"name": name, "kind": rt.plural})
            if subresource == "status":
                new = clone(cur)
                if "status" in body:
                    new["status"] = clone(body["status"])
            else:
                new = clone(body)
                nm = new["metadata"]
                nm["name"] = name
                for k in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                          "generation"):
                    if k in cur["metadata"]:
                        nm[k] = cur["metadata"][k]
                    else:
                        nm.pop(k, None)
                if rt.has_status and rt.kind not in ("Node", "Namespace") and "status" in cur:
                    new["status"] = clone(cur["status"])
                if rt.kind == "Namespace":
                    new["status"] = clone(cur.get("status") or {})
                if rt.kind == "Service":
                    # clusterIP is immutable and allocated: keep it when the client omits it
                    s, cs = new.setdefault("spec", {}), cur.get("spec") or {}
                    for k in ("clusterIP", "clusterIPs"):
                        if k in cs and not s.get(k):
                            s[k] = cs[k]
                if rt.kind == "Job":
                    new.setdefault("spec", {})["selector"] = (cur.get("spec") or {}).get("selector")
                defaults.apply_defaults(rt, new) if rt.kind not in ("Namespace",) else None
                defaults.validate(rt, new)
                if rt.kind == "Pod":
                    self._check_pod_update(cur, new)
                if "generation" in cur["metadata"] and new.get("spec") != cur.get("spec"):
                    nm["generation"] = cur["metadata"]["generation"] + 1
            if dry_run:
                return new
            md = new["metadata"]
            if md.get("deletionTimestamp") and not md.get("finalizers") and rt.kind != "Pod" and \
                    rt.kind != "Namespace":
                # last finalizer removed from an object being deleted: it goes now
                return self.store.remove(rt, ns, name)
            if new == cur:
                return cur      # a no-op write keeps the resourceVersion, like the real server
            return self.store.put(rt, new)

    @staticmethod
    def _check_pod_update(cur, new):
        a, b = clone(cur.get("spec") or {}), clone(new.get("spec") or {})
        for s in (a, b):
            for c in s.get("containers") or []:
                c.pop("image", None)
            s.pop("activeDeadlineSeconds", None)
            s.pop("tolerations", None)
        if a != b:
            raise ApiError(422, "Invalid", 'Pod "%s" is invalid: spec: Forbidden: pod updates may not change '
                           "fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,"
                           "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing "
                           "tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was "
                           "previously negative)" % cur["metadata"]["name"],
                           {"name": cur["metadata"]["name"], "kind": "Pod",
                            "causes": [{"reason": "FieldValueForbidden", "field": "spec",
                                        "message": "Forbidden: pod updates may not change fields other than "
                                                   "`spec.containers[*].image`"}]})

    # ---- patch -------------------------------------------------------------------------
    def patch(self, rt, ns, name, ptype, doc, subresource=None, dry_run=False):
        with self.lock:
            cur = self.store.get(rt, ns, name)
            if cur is None:
                raise not_found(rt, name)
            base = clone(cur)
            if ptype == "application/merge-patch+json":
                if not isinstance(doc, dict):
                    raise bad_request("json: cannot unmarshal into Go value of type map[string]interface {}")
                new = patchmod.merge_patch(base, doc)
            elif ptype == "application/strategic-merge-patch+json":
                if not isinstance(doc, dict):
                    raise bad_request("json: cannot unmarshal into Go value of type map[string]interface {}")
                new = patchmod.strategic_merge(base, doc) or {}
            elif ptype == "application/json-patch+json":
                new = patchmod.json_patch(base, doc)
            else:
                raise ApiError(415, "UnsupportedMediaType",
                               "the body of the request was in an unknown format - accepted media types include: "
                               "application/json-patch+json, application/merge-patch+json, "
                               "application/strategic-merge-patch+json (kubesim does not implement "
                               "server-side apply)", {})
            if not isinstance(new, dict):
                raise bad_request("patch did not produce an object")
            # a resourceVersion inside the patch is a precondition; otherwise the patch wins
            prv = None
            if isinstance(doc, dict):
                prv = (doc.get("metadata") or {}).get("resourceVersion") if isinstance(doc.get("metadata"), dict) else None
            new.setdefault("metadata", {})
            if prv and prv != cur["metadata"]["resourceVersion"]:
                raise conflict(rt, name)
            new["metadata"]["resourceVersion"] = cur["metadata"]["resourceVersion"]
            if subresource == "status":
                return self.update(rt, ns, name, {"metadata": new["metadata"], "status": new.get("status")},
                                   "status", dry_run=dry_run)
            return self.update(rt, ns, name, new, None, dry_run=dry_run)

    # ---- delete ------------------------------------------------------------------------
    def delete(self, rt, ns, name, opts=None, dry_run=False):
        """Returns (obj_or_None, still_present)."""
        opts = opts or {}
        g = opts.get("gracePeriodSeconds")
        if (g is not None and (not isinstance(g, int) or isinstance(g, bool))) or \
                not isinstance(opts.get("preconditions") or {}, dict) or \
                not isinstance(opts.get("propagationPolicy") or "", str):
            raise bad_request("DeleteOptions in version \"v1\" cannot be handled as a DeleteOptions: "
                              "json: cannot unmarshal into Go struct field DeleteOptions")
        if g is not None and g < 0:
            opts = dict(opts, gracePeriodSeconds=0)
        with self.lock:
            cur = self.store.get(rt, ns, name)
            if cur is None:
                raise not_found(rt, name)
            pre = opts.get("preconditions") or {}
            if pre.get("uid") and pre["uid"] != cur["metadata"].get("uid"):
                raise ApiError(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": Precondition failed: '
                               "UID in precondition: %s, UID in object meta: %s" %
                               (rt.plural, name, pre["uid"], cur["metadata"].get("uid")),
                               {"name": name, "kind": rt.plural})
            if pre.get("resourceVersion") and pre["resourceVersion"] != cur["metadata"]["resourceVersion"]:
                raise conflict(rt, name)
            if dry_run:
                return cur, True
            policy = opts.get("propagationPolicy")
            if policy is None and opts.get("orphanDependents") is not None:
                policy = "Orphan" if opts["orphanDependents"] else "Background"
            if policy is None:
                policy = "Orphan" if rt.kind == "Job" else "Background"
            if policy not in ("Orphan", "Background", "Foreground"):
                raise ApiError(422, "Invalid", "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: "
                               "Unsupported value: \"%s\": supported values: \"Foreground\", \"Background\", "
                               "\"Orphan\", \"nil\"" % policy)
            m = cur["metadata"]
            if policy == "Orphan":
                self.orphan_dependents(cur)
            if rt.kind == "Namespace":
                if m.get("deletionTimestamp"):
                    return cur, True
                new = clone(cur)
                new["metadata"]["deletionTimestamp"] = now_iso()
                new["status"] = {"phase": "Terminating"}
                return self.store.put(rt, new), True
            finalizers = list(m.get("finalizers") or [])
            if policy == "Foreground" and self.store.dependents(m.get("uid")):
                if "foregroundDeletion" not in finalizers:
                    finalizers.append("foregroundDeletion")
            if rt.kind == "Pod":
                grace = opts.get("gracePeriodSeconds")
                if grace is None:
                    grace = (cur.get("spec") or {}).get("terminationGracePeriodSeconds", 30)
                if m.get("deletionTimestamp"):
                    if grace == 0 and not finalizers:
                        return self.store.remove(rt, ns, name), False
                    return cur, True
                if not (cur.get("spec") or {}).get("nodeName") or grace == 0 or \
                        (cur.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
                    if not finalizers:
                        return self.store.remove(rt, ns, name), False
                    grace = 0
                new = clone(cur)
                nm = new["metadata"]
                nm["deletionTimestamp"] = now_iso(time.time() + grace)
                nm["deletionGracePeriodSeconds"] = grace
                if finalizers:
                    nm["finalizers"] = finalizers
                return self.store.put(rt, new), True
            if finalizers:
                if m.get("deletionTimestamp") and finalizers == list(m.get("finalizers") or []):
                    return cur, True
                new = clone(cur)
                new["metadata"]["deletionTimestamp"] = m.get("deletionTimestamp") or now_iso()
                new["metadata"]["deletionGracePeriodSeconds"] = 0
                new["metadata"]["finalizers"] = finalizers
                return self.store.put(rt, new), True
            return self.store.remove(rt, ns, name), False

    def orphan_dependents(self, owner):
        uid = owner["metadata"].get("uid")
        for drt, dep in self.store.dependents(uid):
            new = clone(dep)
            refs = [r for r in new["metadata"].get("ownerReferences") or [] if r.get("uid") != uid]
            if refs:
                new["metadata"]["ownerReferences"] = refs
            else:
                new["metadata"].pop("ownerReferences", None)
            self.store.put(drt, new)

    # ---- used by controllers -------------------------------------------------------------
    def put_status(self, rt, obj, status):
        """Controller status write: no-op when nothing changed (avoids resourceVersion churn)."""
        with self.lock:
            cur = self.store.get(rt, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
            if cur is None or cur["metadata"].get("uid") != obj["metadata"].get("uid"):
                return None
            if cur.get("status") == status:
                return cur
            new = dict(cur)
            new["metadata"] = dict(cur["metadata"])
            new["status"] = status
            return self.store.put(rt, new)

    def put_obj(self, rt, obj):
        with self.lock:
            return self.store.put(rt, obj)
