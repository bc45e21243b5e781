"""PATCH bodies: JSON merge patch (RFC 7386), the strategic-merge subset kubectl uses, JSON patch (RFC 6902)."""
from util import ApiError, clone

# Merge keys of the lists strategic merge patch merges instead of replacing (by field name;
# "ports" depends on context: containerPort in containers, port in services).
MERGE_KEYS = {
    "containers": "name", "initContainers": "name", "ephemeralContainers": "name",
    "env": "name", "volumes": "name", "volumeMounts": "mountPath", "volumeDevices": "devicePath",
    "imagePullSecrets": "name", "hostAliases": "ip", "conditions": "type",
    "ownerReferences": "uid", "topologySpreadConstraints": "topologyKey", "resourceClaims": "name",
    "readinessGates": "conditionType", "containerStatuses": "name", "initContainerStatuses": "name",
}
PRIMITIVE_MERGE = {"finalizers"}


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return clone(patch)
    if not isinstance(target, dict):
        target = {}
    out = dict(target)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def _ports_key(items):
    for it in items:
        if isinstance(it, dict) and "containerPort" in it:
            return "containerPort"
    return "port"


def _merge_key(field, orig_list, patch_list):
    if field == "ports":
        return _ports_key((orig_list or []) + (patch_list or []))
    return MERGE_KEYS.get(field)


def strategic_merge(target, patch):
    if not isinstance(patch, dict):
        return clone(patch)
    if not isinstance(target, dict):
        target = {}
    directive = patch.get("$patch")
    if directive == "replace":
        return {k: clone(v) for k, v in patch.items() if k != "$patch"}
    if directive == "delete":
        return None
    out = dict(target)
    retain = patch.get("$retainKeys")
    orders = {}
    for k, v in patch.items():
        if k in ("$patch", "$retainKeys"):
            continue
        if k.startswith("$setElementOrder/"):
            orders[k.split("/", 1)[1]] = v
            continue
        if k.startswith("$deleteFromPrimitiveList/"):
            f = k.split("/", 1)[1]
            if isinstance(out.get(f), list) and isinstance(v, list):
                out[f] = [x for x in out[f] if x not in v]
            continue
        if v is None:
            out.pop(k, None)
            continue
        cur = out.get(k)
        if isinstance(v, dict):
            res = strategic_merge(cur, v)
            if res is None:
                out.pop(k, None)
            else:
                out[k] = res
        elif isinstance(v, list):
            key = _merge_key(k, cur if isinstance(cur, list) else [], v)
            if k in PRIMITIVE_MERGE and isinstance(cur, list):
                out[k] = cur + [x for x in v if x not in cur]
            elif key and isinstance(cur, list):
                out[k] = _merge_list(cur, v, key)
            elif key:
                out[k] = [clone(x) for x in v if not (isinstance(x, dict) and x.get("$patch") == "delete")]
            else:
                out[k] = clone(v)
        else:
            out[k] = v
    for f, order in orders.items():
        key = _merge_key(f, out.get(f) or [], [])
        if isinstance(out.get(f), list) and key and isinstance(order, list):
            out[f] = _reorder(out[f], order, key)
    if isinstance(retain, list):
        out = {k: v for k, v in out.items() if k in retain}
    return out


def _merge_list(cur, patch_items, key):
    out = [clone(x) for x in cur]
    for p in patch_items:
        if not isinstance(p, dict):
            if p not in out:
                out.append(p)
            continue
        kv = p.get(key)
        idx = next((i for i, x in enumerate(out) if isinstance(x, dict) and x.get(key) == kv), None)
        if p.get("$patch") == "delete":
            if idx is not None:
                out.pop(idx)
            continue
        if p.get("$patch") == "replace":
            item = {k: v for k, v in p.items() if k != "$patch"}
            if idx is None:
                out.append(item)
            else:
                out[idx] = item
            continue
        if idx is None:
            out.append(strategic_merge({}, p))
        else:
            out[idx] = strategic_merge(out[idx], p)
    return out


def _reorder(items, order, key):
    pos = {}
    for i, o in enumerate(order):
        if isinstance(o, dict):
            pos[o.get(key)] = i
    return sorted(items, key=lambda x: pos.get(x.get(key) if isinstance(x, dict) else None, len(order)))


# ---- JSON patch -----------------------------------------------------------------------

def _unescape(tok):
    return tok.replace("~1", "/").replace("~0", "~")


def _split(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise ApiError(422, "Invalid", 'json patch path "%s" must start with /' % path)
    return [_unescape(t) for t in path[1:].split("/")]


def _walk(doc, toks):
    cur = doc
    for t in toks:
        if isinstance(cur, dict):
            if t not in cur:
                raise KeyError(t)
            cur = cur[t]
        elif isinstance(cur, list):
            cur = cur[int(t)]
        else:
            raise KeyError(t)
    return cur


def _get(doc, path):
    return _walk(doc, _split(path))


def _add(doc, path, value):
    toks = _split(path)
    if not toks:
        return value
    parent = _walk(doc, toks[:-1])
    last = toks[-1]
    if isinstance(parent, list):
        if last == "-":
            parent.append(value)
        else:
            i = int(last)
            if i < 0 or i > len(parent):
                raise IndexError(i)
            parent.insert(i, value)
    elif isinstance(parent, dict):
        parent[last] = value
    else:
        raise KeyError(last)
    return doc


def _remove(doc, path):
    toks = _split(path)
    parent = _walk(doc, toks[:-1])
    last = toks[-1]
    if isinstance(parent, list):
        return parent.pop(int(last))
    if last not in parent:
        raise KeyError(last)
    return parent.pop(last)


def json_patch(doc, ops):
    if not isinstance(ops, list):
        raise ApiError(400, "BadRequest", "json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    doc = clone(doc)
    for op in ops:
        if not isinstance(op, dict):
            raise ApiError(400, "BadRequest", "invalid JSON patch operation")
        kind = op.get("op")
        path = op.get("path", "")
        try:
            if kind == "add":
                doc = _add(doc, path, clone(op.get("value")))
            elif kind == "remove":
                _remove(doc, path)
            elif kind == "replace":
                toks = _split(path)
                if not toks:
                    doc = clone(op.get("value"))
                else:
                    parent = _walk(doc, toks[:-1])
                    if isinstance(parent, list):
                        parent[int(toks[-1])] = clone(op.get("value"))
                    else:
                        if toks[-1] not in parent:
                            raise KeyError(toks[-1])
                        parent[toks[-1]] = clone(op.get("value"))
            elif kind == "test":
                if _get(doc, path) != op.get("value"):
                    raise ApiError(422, "Invalid", "the server rejected our request due to an error in our "
                                   "request: testing value %s failed" % path)
            elif kind == "move":
                v = _remove(doc, op.get("from", ""))
                doc = _add(doc, path, v)
            elif kind == "copy":
                v = clone(_get(doc, op.get("from", "")))
                doc = _add(doc, path, v)
            else:
                raise ApiError(400, "BadRequest", "Unexpected kind: %s" % kind)
        except ApiError:
            raise
        except (KeyError, IndexError, ValueError, TypeError):
            raise ApiError(422, "Invalid",
                           "the server rejected our request due to an error in our request: "
                           "doc is missing path: \"%s\": missing value" % path)
    return doc
