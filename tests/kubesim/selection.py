"""Label and field selectors: the query-string syntax and metav1.LabelSelector objects."""
import re

from util import bad_request

_TOKEN = re.compile(r"\s*(!=|==|=|!|\(|\)|,|[^\s!=(),]+)")


def _tokens(s):
    pos, out = 0, []
    while pos < len(s):
        m = _TOKEN.match(s, pos)
        if not m:
            if s[pos:].strip() == "":
                break
            raise bad_request("unable to parse requirement: invalid label selector: %r" % s)
        out.append(m.group(1))
        pos = m.end()
    return out


def parse_label_selector(s):
    """Returns a list of requirements (key, op, values). ops: =, !=, in, notin, exists, !exists."""
    if not s:
        return []
    toks = _tokens(s)
    reqs, i = [], 0

    def need(cond, what):
        if not cond:
            raise bad_request("unable to parse requirement: found '%s', expected: %s" %
                              (toks[i] if i < len(toks) else "", what))

    while i < len(toks):
        if toks[i] == "!":
            i += 1
            need(i < len(toks), "identifier")
            reqs.append((toks[i], "!exists", ()))
            i += 1
        else:
            key = toks[i]
            need(key not in ("=", "==", "!=", "(", ")", ","), "identifier")
            i += 1
            if i >= len(toks) or toks[i] == ",":
                reqs.append((key, "exists", ()))
            elif toks[i] in ("=", "==", "!="):
                op = "!=" if toks[i] == "!=" else "="
                i += 1
                val = ""
                if i < len(toks) and toks[i] not in (",", ")", "("):
                    val = toks[i]
                    i += 1
                reqs.append((key, op, (val,)))
            elif toks[i] in ("in", "notin"):
                op = toks[i]
                i += 1
                need(i < len(toks) and toks[i] == "(", "'('")
                i += 1
                vals = []
                while i < len(toks) and toks[i] != ")":
                    if toks[i] != ",":
                        vals.append(toks[i])
                    i += 1
                need(i < len(toks), "')'")
                i += 1
                reqs.append((key, op, tuple(vals)))
            else:
                need(False, "'=', '!=', '==', 'in', notin'")
        if i < len(toks):
            need(toks[i] == ",", "','")
            i += 1
    return reqs


def labels_match(reqs, labels):
    labels = labels or {}
    for key, op, vals in reqs:
        present = key in labels
        v = labels.get(key)
        if op == "=":
            if not present or v != vals[0]:
                return False
        elif op == "!=":
            if present and v == vals[0]:
                return False
        elif op == "in":
            if not present or v not in vals:
                return False
        elif op == "notin":
            if present and v in vals:
                return False
        elif op == "exists":
            if not present:
                return False
        elif op == "!exists":
            if present:
                return False
    return True


def selector_obj_to_reqs(sel):
    """metav1.LabelSelector -> requirements. None selects nothing; {} selects everything."""
    if sel is None:
        return None
    reqs = []
    for k, v in sorted((sel.get("matchLabels") or {}).items()):
        reqs.append((k, "=", (v,)))
    for e in sel.get("matchExpressions") or []:
        op = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!exists"}.get(e.get("operator"))
        if op:
            reqs.append((e.get("key"), op, tuple(e.get("values") or ())))
    return reqs


def selector_obj_to_string(sel):
    parts = []
    for k, op, vals in selector_obj_to_reqs(sel) or []:
        if op == "=":
            parts.append("%s=%s" % (k, vals[0]))
        elif op in ("in", "notin"):
            parts.append("%s %s (%s)" % (k, op, ",".join(vals)))
        elif op == "exists":
            parts.append(k)
        else:
            parts.append("!" + k)
    return ",".join(parts)


def map_to_string(m):
    return ",".join("%s=%s" % (k, v) for k, v in sorted((m or {}).items()))


# ---- field selectors -------------------------------------------------------------

def parse_field_selector(s):
    if not s:
        return []
    reqs = []
    for part in s.split(","):
        part = part.strip()
        if not part:
            continue
        m = re.match(r"^([^!=]+)(!=|==|=)(.*)$", part)
        if not m:
            raise bad_request('invalid selector: \'%s\'; can\'t understand \'%s\'' % (s, part))
        reqs.append((m.group(1).strip(), "!=" if m.group(2) == "!=" else "=", m.group(3).strip()))
    return reqs


# Fields each kind supports (the real server rejects others with 400).
_COMMON = ("metadata.name", "metadata.namespace")
SUPPORTED_FIELDS = {
    "Pod": _COMMON + ("spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
                      "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"),
    "Event": _COMMON + ("involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
                        "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
                        "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"),
    "Secret": _COMMON + ("type",),
    "Namespace": _COMMON + ("status.phase",),
    "Node": _COMMON + ("spec.unschedulable",),
    "ReplicaSet": _COMMON + ("status.replicas",),
    "Job": _COMMON + ("status.successful",),
}


def field_value(obj, path):
    if path == "source":   # events: source is source.component
        return ((obj.get("source") or {}).get("component")) or ""
    if path == "status.successful":
        return str((obj.get("status") or {}).get("succeeded", 0))
    cur = obj
    for p in path.split("."):
        if not isinstance(cur, dict):
            return ""
        cur = cur.get(p)
    if cur is None:
        return ""
    if isinstance(cur, bool):
        return "true" if cur else "false"
    return str(cur)


def check_fields(kind, reqs):
    allowed = SUPPORTED_FIELDS.get(kind, _COMMON)
    for f, _op, _v in reqs:
        if f not in allowed:
            raise bad_request('"%s" is not a known field selector: only "%s"' %
                              (f, '", "'.join(allowed)))


def fields_match(reqs, obj):
    for f, op, v in reqs:
        actual = field_value(obj, f)
        if (actual == v) != (op == "="):
            return False
    return True
