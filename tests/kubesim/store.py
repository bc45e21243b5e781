"""The object store: one lock, a global resourceVersion, a bounded event history and watchers.

Stored objects are never mutated in place: a writer clones, edits and puts a new dict. That lets
list/watch readers keep references (and cached JSON bytes) without holding the lock.
"""
import collections
import queue
import threading

from selection import fields_match, labels_match
from util import dumps


META_ORDER = ("name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
              "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations",
              "ownerReferences", "finalizers", "managedFields")


class Entry:
    __slots__ = ("obj", "raw", "prefix_len")

    def __init__(self, obj, prefix_len):
        self.obj = obj
        self.raw = None
        self.prefix_len = prefix_len

    def full(self):
        """Serialized object with kind/apiVersion (GET, watch)."""
        raw = self.raw
        if raw is None:
            raw = self.raw = dumps(self.obj)
        return raw

    def item(self):
        """Serialized object without kind/apiVersion, as the real server writes list items."""
        return b"{" + self.full()[self.prefix_len:]


class WatchEvent:
    __slots__ = ("rv", "key", "ns", "type", "obj", "prev", "_entry")

    def __init__(self, rv, key, ns, etype, obj, prev, prefix_len):
        self.rv = rv
        self.key = key
        self.ns = ns
        self.type = etype
        self.obj = obj
        self.prev = prev
        self._entry = Entry(obj, prefix_len)

    def raw(self):
        return self._entry.full()


class Watcher:
    def __init__(self, key, ns, label_reqs, field_reqs):
        self.key = key
        self.ns = ns
        self.label_reqs = label_reqs
        self.field_reqs = field_reqs
        self.q = queue.Queue()
        self.closed = False

    def matches(self, obj):
        if obj is None:
            return False
        m = obj.get("metadata") or {}
        if self.ns is not None and m.get("namespace", "") != self.ns:
            return False
        if self.label_reqs and not labels_match(self.label_reqs, m.get("labels")):
            return False
        if self.field_reqs and not fields_match(self.field_reqs, obj):
            return False
        return True

    def translate(self, ev):
        """What this watcher sees of an event: (type, obj) or None, with selector transitions."""
        if ev.type == "DELETED":
            return ("DELETED", ev) if self.matches(ev.obj) else None
        new_m = self.matches(ev.obj)
        if ev.type == "ADDED":
            return ("ADDED", ev) if new_m else None
        old_m = self.matches(ev.prev)
        if new_m and old_m:
            return ("MODIFIED", ev)
        if new_m:
            return ("ADDED", ev)
        if old_m:
            return ("DELETED", ev)
        return None

    def offer(self, ev):
        t = self.translate(ev)
        if t is not None:
            self.q.put(t)


class Store:
    def __init__(self, history=20000):
        self.lock = threading.RLock()
        self.rv = 1
        self.data = {}          # rt.key -> {ns: {name: Entry}}
        self.types = {}         # rt.key -> ResourceType
        self.by_uid = {}        # uid -> (rt, ns, name)
        self.owners = collections.defaultdict(set)   # owner uid -> {(rt.key, ns, name)}
        self.history = collections.deque(maxlen=history)
        self.watchers = collections.defaultdict(set)
        self.listeners = []     # f(rt, type, old, new) called under the lock; must be quick

    # ---- reads -------------------------------------------------------------------
    def get(self, rt, ns, name):
        with self.lock:
            e = self.data.get(rt.key, {}).get(ns or "", {}).get(name)
            return e.obj if e else None

    def entry(self, rt, ns, name):
        with self.lock:
            return self.data.get(rt.key, {}).get(ns or "", {}).get(name)

    def entries(self, rt, ns=None):
        """Sorted [(ns, name, Entry)] like etcd's key order; ns None = all namespaces."""
        with self.lock:
            by_ns = self.data.get(rt.key, {})
            nss = [ns or ""] if ns is not None else sorted(by_ns)
            out = []
            for n in nss:
                d = by_ns.get(n)
                if d:
                    out.extend((n, name, d[name]) for name in sorted(d))
            return out, self.rv

    def objects(self, rt, ns=None):
        return [e.obj for (_n, _m, e) in self.entries(rt, ns)[0]]

    def count(self, rt, ns=None):
        with self.lock:
            by_ns = self.data.get(rt.key, {})
            if ns is not None:
                return len(by_ns.get(ns, {}))
            return sum(len(d) for d in by_ns.values())

    def by_uid_get(self, uid):
        with self.lock:
            loc = self.by_uid.get(uid)
            if not loc:
                return None, None
            rt, ns, name = loc
            return rt, self.get(rt, ns, name)

    def dependents(self, uid):
        with self.lock:
            out = []
            for key, ns, name in list(self.owners.get(uid, ())):
                rt = self.types[key]
                o = self.get(rt, ns, name)
                if o is not None:
                    out.append((rt, o))
            return out

    # ---- writes (callers hold no obligations: the lock is taken here, re-entrant) -------------
    def _next_rv(self):
        self.rv += 1
        return self.rv

    @staticmethod
    def _normalize(rt, obj):
        """Field order of the Go structs: kind and apiVersion first (the cached bytes start with
        rt.prefix()), then metadata in ObjectMeta order, spec, other fields, status last."""
        out = {"kind": rt.kind, "apiVersion": rt.api_version}
        m = obj.get("metadata") or {}
        meta = {k: m[k] for k in META_ORDER if k in m}
        if len(meta) != len(m):
            meta.update((k, v) for k, v in m.items() if k not in meta)
        out["metadata"] = meta
        if "spec" in obj:
            out["spec"] = obj["spec"]
        for k, v in obj.items():
            if k not in out and k != "status":
                out[k] = v
        if "status" in obj:
            out["status"] = obj["status"]
        return out

    def _index_owner(self, rt, obj, add):
        m = obj["metadata"]
        for ref in m.get("ownerReferences") or []:
            uid = ref.get("uid")
            if not uid:
                continue
            k = (rt.key, m.get("namespace", ""), m["name"])
            if add:
                self.owners[uid].add(k)
            else:
                s = self.owners.get(uid)
                if s:
                    s.discard(k)
                    if not s:
                        del self.owners[uid]

    def _emit(self, rt, etype, obj, prev):
        ev = WatchEvent(self.rv, rt.key, obj["metadata"].get("namespace", ""), etype, obj, prev,
                        len(rt.prefix()))
        self.history.append(ev)
        for w in self.watchers.get(rt.key, ()):
            w.offer(ev)
        for f in self.listeners:
            f(rt, etype, prev, obj)

    def put(self, rt, obj, emit=True):
        """Create or replace; assigns the next resourceVersion. Returns the stored object."""
        with self.lock:
            self.types[rt.key] = rt
            m = dict(obj.get("metadata") or {})
            m["resourceVersion"] = str(self._next_rv())
            obj = dict(obj)
            obj["metadata"] = m
            obj = self._normalize(rt, obj)
            m = obj["metadata"]
            ns = m.get("namespace", "") if rt.namespaced else ""
            by_ns = self.data.setdefault(rt.key, {}).setdefault(ns, {})
            old_e = by_ns.get(m["name"])
            old = old_e.obj if old_e else None
            by_ns[m["name"]] = Entry(obj, len(rt.prefix()))
            if old is not None:
                self._index_owner(rt, old, False)
            self._index_owner(rt, obj, True)
            if m.get("uid"):
                self.by_uid[m["uid"]] = (rt, ns, m["name"])
            if emit:
                self._emit(rt, "MODIFIED" if old is not None else "ADDED", obj, old)
            return obj

    def remove(self, rt, ns, name):
        with self.lock:
            by_ns = self.data.get(rt.key, {}).get(ns or "", {})
            e = by_ns.pop(name, None)
            if e is None:
                return None
            if not by_ns:
                self.data[rt.key].pop(ns or "", None)
            old = e.obj
            self._index_owner(rt, old, False)
            self.by_uid.pop(old["metadata"].get("uid"), None)
            # the DELETED event carries the deletion's resourceVersion, as etcd reports it
            final = dict(old)
            final["metadata"] = dict(old["metadata"])
            final["metadata"]["resourceVersion"] = str(self._next_rv())
            self._emit(rt, "DELETED", final, old)
            return final

    # ---- watches ---------------------------------------------------------------------
    def watch(self, rt, ns, label_reqs, field_reqs, since_rv):
        """Registers a watcher. since_rv None = synthetic ADDED of current state.

        Returns (watcher, initial_events, too_old) where too_old is (asked, oldest) or None.
        """
        with self.lock:
            self.types[rt.key] = rt
            w = Watcher(rt.key, ns, label_reqs, field_reqs)
            initial = []
            if since_rv is None:
                for (_n, _name, e) in self.entries(rt, ns)[0]:
                    if w.matches(e.obj):
                        initial.append(("ADDED", e))
            else:
                oldest = self.history[0].rv if self.history else self.rv + 1
                if since_rv < oldest - 1 and since_rv < self.rv:
                    return None, [], (since_rv, oldest - 1)
                for ev in self.history:
                    if ev.rv > since_rv and ev.key == rt.key:
                        t = w.translate(ev)
                        if t:
                            initial.append(t)
            self.watchers[rt.key].add(w)
            return w, initial, None

    def unwatch(self, w):
        with self.lock:
            self.watchers.get(w.key, set()).discard(w)
            w.closed = True
