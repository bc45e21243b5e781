"""HTTPS front end: routing, authentication, authorization, audit, and the REST verbs."""
import base64
import binascii
import json
import queue
import select
import socket
import ssl
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import rbac
import resources
import tables
from resources import BY_GV_PLURAL, BY_PLURAL
from selection import check_fields, fields_match, labels_match, parse_field_selector, parse_label_selector
from util import ApiError, bad_request, dumps, method_not_allowed, not_found, now_iso, now_micro

VERSION = {"major": "1", "minor": "30", "gitVersion": "v1.30.14+kubesim", "gitCommit": "0000000000000000000000000000000000000000",
           "gitTreeState": "clean", "buildDate": "2025-06-17T00:00:00Z", "goVersion": "go1.23.10",
           "compiler": "gc", "platform": "linux/amd64"}

NOT_FOUND_BODY = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                  "message": "the server could not find the requested resource", "reason": "NotFound",
                  "details": {}, "code": 404}

PODS = BY_PLURAL["pods"]
NONRESOURCE_ANON = {"/healthz", "/livez", "/readyz", "/version"}
VERBS_BY_METHOD = {"POST": "create", "PUT": "update", "PATCH": "patch"}


class Ctx:
    """Everything the handler and the controllers share."""

    def __init__(self, store, mgr, users, audit_path, bookmark_interval=5.0):
        self.store = store
        self.mgr = mgr
        self.api = mgr.api
        self.runtime = mgr.runtime
        self.users = users
        self.audit_path = audit_path
        self.audit_lock = threading.Lock()
        self.audit_file = open(audit_path, "a", buffering=1)
        self.bookmark_interval = bookmark_interval
        self.server_addr = ""
        self.stopping = threading.Event()
        self.snapshots = {}     # continue-token snapshots: id -> (time, key, ns, entries)
        self.snap_lock = threading.Lock()
        self.snap_seq = 0

    def snapshot_put(self, key, ns, entries):
        with self.snap_lock:
            now = time.time()
            for k in [k for k, v in self.snapshots.items() if now - v[0] > 300]:
                del self.snapshots[k]
            while len(self.snapshots) >= 64:
                self.snapshots.pop(next(iter(self.snapshots)))
            self.snap_seq += 1
            self.snapshots[self.snap_seq] = (now, key, ns, entries)
            return self.snap_seq

    def snapshot_get(self, snap, key, ns):
        with self.snap_lock:
            v = self.snapshots.get(snap) if isinstance(snap, int) else None
            if v is None or v[1] != key or v[2] != ns:
                return None
            return v[3]

    def audit(self, rec):
        line = json.dumps(rec, separators=(",", ":")) + "\n"
        with self.audit_lock:
            try:
                self.audit_file.write(line)
            except ValueError:
                pass


class KubeServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, ctx, ssl_ctx):
        self.ctx = ctx
        self.ssl_ctx = ssl_ctx
        super().__init__(addr, Handler)

    def finish_request(self, request, client_address):
        # TLS handshake in the connection's own thread, so a slow client can't stall accept()
        try:
            request.settimeout(15)
            tls = self.ssl_ctx.wrap_socket(request, server_side=True)
            tls.settimeout(None)
        except (OSError, ssl.SSLError):
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        pass    # disconnects are normal (watches, kubectl timeouts)


def _q1(q, k, default=None):
    v = q.get(k)
    return v[-1] if v else default


def _bool(v):
    return v in ("1", "true", "True", "t")


def encode_continue(rv, ns, name, snap):
    tok = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": "%s/%s\u0000" % (ns, name) if ns else name + "\u0000",
                      "snap": snap}, separators=(",", ":"))
    return base64.urlsafe_b64encode(tok.encode()).decode().rstrip("=")


def decode_continue(tok):
    try:
        raw = base64.urlsafe_b64decode(tok + "=" * (-len(tok) % 4))
        d = json.loads(raw)
        start = d["start"].rstrip("\u0000")
        ns, _, name = start.rpartition("/")
        return int(d["rv"]), (ns, name), d.get("snap")
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise bad_request("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "kubesim"

    # ---- plumbing ----------------------------------------------------------------------
    def log_message(self, fmt, *args):
        pass

    def send_response(self, code, message=None):
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())
        self._code = code
        self._audit()

    def _audit(self):
        if getattr(self, "_audited", False):
            return
        self._audited = True
        g = lambda k, d="": getattr(self, k, d)  # noqa: E731 (send_error may run before dispatch)
        now = time.time()
        # MicroTime stamps as in audit.k8s.io Events: when the request came in, and when its answer
        # started (the change is stored by then) — what the rollout bench times a switch from
        self.server.ctx.audit({"time": now_iso(now), "auditID": g("_audit_id"), "user": g("_user") or "system:anonymous",
                               "verb": g("_verb") or (self.command or "").lower(), "method": self.command,
                               "path": g("_path", self.path), "query": g("_query_str"), "code": g("_code", 0),
                               "sourceIP": self.client_address[0],
                               "requestReceivedTimestamp": now_micro(g("_received", now)),
                               "stageTimestamp": now_micro(now)})

    def _headers(self, code, ctype, length=None, chunked=False, extra=None):
        self.send_response(code)
        self.send_header("Audit-Id", self._audit_id)
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Content-Type", ctype)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(length or 0))
        self.end_headers()

    def send_body(self, code, body, ctype="application/json", extra=None):
        if isinstance(body, (dict, list)):
            body = dumps(body)
        elif isinstance(body, str):
            body = body.encode()
        self._headers(code, ctype, len(body), extra=extra)
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_error_status(self, e):
        self.send_body(e.code, e.status(), extra=e.headers)

    def chunk(self, data):
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def end_chunks(self):
        self.wfile.write(b"0\r\n\r\n")

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                line = self.rfile.readline(1024)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline(1024)
                    return out
                out += self.rfile.read(size)
                self.rfile.readline(8)
        n = int(self.headers.get("Content-Length") or 0)
        if n > 64 * 1024 * 1024:
            raise ApiError(413, "RequestEntityTooLarge", "the request is too large")
        return self.rfile.read(n) if n else b""

    def json_body(self, required=True):
        raw = self.read_body()
        if not raw.strip():
            if required:
                raise bad_request("the body of the request was empty")
            return None
        ct = (self.headers.get("Content-Type") or "application/json").split(";")[0].strip()
        if ct in ("application/yaml", "application/apply-patch+yaml") and not raw.lstrip().startswith(b"{"):
            raise ApiError(415, "UnsupportedMediaType", "the body of the request was in an unknown format - "
                           "kubesim accepts JSON only (application/json)", {})
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError) as e:
            raise bad_request("couldn't get version/kind; json parse error: %s" % e)

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    # ---- dispatch ------------------------------------------------------------------------
    def dispatch(self):
        ctx = self.server.ctx
        self._received = time.time()
        self._audited = False
        self._audit_id = str(uuid.uuid4())
        self._code = 0
        self._verb = self.command.lower()
        u = urlsplit(self.path)
        self._path = u.path
        self._query_str = u.query
        self.q = parse_qs(u.query, keep_blank_values=True)
        try:
            peer = self.connection.getpeercert()
        except (AttributeError, ValueError, ssl.SSLError):
            peer = None
        self._user = ctx.users.authenticate(self.headers.get("Authorization"), peer)
        try:
            self.route(u.path)
        except ApiError as e:
            self._safe_error(e)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, socket.timeout):
            self.close_connection = True
        except Exception as e:      # never let a bug kill the connection without a Status
            import traceback
            traceback.print_exc()
            self._safe_error(ApiError(500, "InternalError", "Internal error occurred: %s" % e,
                                      {"causes": [{"message": str(e)}]}))

    def _safe_error(self, e):
        if getattr(self, "_audited", False) and self._code:
            self.close_connection = True    # headers already out: can't send a Status any more
            return
        try:
            self.send_error_status(e)
        except OSError:
            self.close_connection = True

    def route(self, path):
        ctx = self.server.ctx
        segs = [unquote(s) for s in path.split("/") if s]
        if path.rstrip("/") in NONRESOURCE_ANON or path.startswith("/healthz/") or path.startswith("/livez/") or \
                path.startswith("/readyz/"):
            self._verb = "get"
            if path == "/version":
                return self.send_body(200, VERSION)
            return self.send_body(200, "ok", "text/plain; charset=utf-8")
        if self._user is None:
            self._verb = "get" if self.command == "GET" else self._verb
            return self.send_body(401, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                        "message": "Unauthorized", "reason": "Unauthorized", "code": 401})
        if not segs:
            self._verb = "get"
            return self.send_body(200, {"paths": ["/api", "/api/v1", "/apis", "/healthz", "/livez", "/readyz",
                                                  "/version"] + ["/apis/" + g for g in resources.groups()]})
        if segs[0] == "api":
            if len(segs) == 1:
                return self.discovery(resources.api_versions(ctx.server_addr))
            if segs[1] != "v1":
                raise ApiError(404, "NotFound", "the server could not find the requested resource", {})
            if len(segs) == 2:
                return self.discovery(resources.resource_list("", "v1"))
            return self.resource("", "v1", segs[2:])
        if segs[0] == "apis":
            if len(segs) == 1:
                return self.discovery(resources.api_group_list())
            if len(segs) == 2:
                g = resources.api_group(segs[1])
                if g is None:
                    return self.nonresource_404()
                return self.discovery(g)
            if len(segs) == 3:
                rl = resources.resource_list(segs[1], segs[2])
                if rl is None:
                    return self.nonresource_404()
                return self.discovery(rl)
            if (segs[1], segs[2]) not in {(t.group, t.version) for t in resources.TYPES}:
                return self.nonresource_404()
            return self.resource(segs[1], segs[2], segs[3:])
        if segs[0] == "openapi" and len(segs) >= 2 and segs[1] == "v3":
            # minimal documents: enough for kubectl to leave validation to the server (fieldValidation)
            self._verb = "get"
            if len(segs) == 2:
                return self.send_body(200, resources.openapi_v3_root())
            rest = segs[2:]
            doc = None
            if rest == ["api", "v1"]:
                doc = resources.openapi_v3_gv("", "v1")
            elif len(rest) == 3 and rest[0] == "apis":
                doc = resources.openapi_v3_gv(rest[1], rest[2])
            if doc is None:
                return self.nonresource_404()
            return self.send_body(200, doc)
        # /openapi/v2 is not served (kubectl explain needs it; apply does not once v3 answers)
        return self.nonresource_404()

    def nonresource_404(self):
        self._verb = "get"
        self.send_body(404, NOT_FOUND_BODY)

    def discovery(self, doc):
        self._verb = "get"
        if self.command != "GET":
            raise method_not_allowed()
        self.send_body(200, doc)

    # ---- resource routing ------------------------------------------------------------------
    def resource(self, group, version, rest):
        ns = None
        if rest and rest[0] == "watch" and self.command == "GET":
            # deprecated /api/v1/watch/... paths: same as ?watch=1 (a name becomes a field selector)
            rest = rest[1:]
            self.q["watch"] = ["1"]
            if not rest:
                return self.nonresource_404()
            base = 3 if rest[0] == "namespaces" and len(rest) >= 3 else 1
            if len(rest) == base + 1:
                self.q["fieldSelector"] = ["metadata.name=" + rest[base]]
                rest = rest[:base]
        if len(rest) >= 3 and rest[0] == "namespaces":
            cand = BY_GV_PLURAL.get((group, version, rest[2]))
            if cand is not None and cand.namespaced:
                ns = rest[1]
                rest = rest[2:]
        rt = BY_GV_PLURAL.get((group, version, rest[0]))
        if rt is None:
            return self.nonresource_404()
        if rt.namespaced is False and ns is not None:
            return self.nonresource_404()
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        self._proxy_port = None
        if sub == "proxy" and name and ":" in name:
            # pods/NAME:PORT/proxy and pods/SCHEME:NAME:PORT/proxy
            parts = name.split(":")
            name = parts[1] if len(parts) == 3 else parts[0]
            self._proxy_port = parts[-1]
        subpath = "/".join(rest[3:]) if len(rest) > 3 else ""
        if sub and sub not in [s[0] for s in rt.subresources]:
            return self.nonresource_404()
        m = self.command
        watch = _bool(_q1(self.q, "watch", ""))
        if m in ("GET", "HEAD"):
            verb = "get" if name else ("watch" if watch else "list")
        elif m == "DELETE":
            verb = "delete" if name else "deletecollection"
        elif m in VERBS_BY_METHOD:
            verb = VERBS_BY_METHOD[m]
        else:
            raise method_not_allowed()
        if sub in ("exec", "attach", "portforward"):
            verb = "create"
        self._verb = verb
        user = self._user
        if not rbac.allowed(user, verb, group, rt.plural, sub, ns, name):
            raise ApiError(403, "Forbidden",
                           rbac.forbidden_message(user, verb, group, rt.plural, sub, ns, name),
                           {"name": name, "group": group, "kind": rt.plural} if name else
                           {"group": group, "kind": rt.plural})
        if rt.namespaced and ns is None and name is not None:
            return self.nonresource_404()
        if rt.kind in ("SelfSubjectAccessReview", "SelfSubjectRulesReview"):
            if m != "POST" or name:
                raise method_not_allowed()
            return self.review(rt)
        dry = _q1(self.q, "dryRun") == "All"
        api = self.server.ctx.api
        if sub:
            return self.subresource(rt, ns, name, sub, subpath, dry)
        if verb == "list":
            return self.list(rt, ns)
        if verb == "watch":
            return self.watch(rt, ns, None)
        if verb == "get":
            e = self.server.ctx.store.entry(rt, ns, name)
            if e is None:
                raise not_found(rt, name)
            return self.send_object(200, rt, e.obj, e.full())
        if verb == "create":
            if name:
                raise method_not_allowed()
            body = self.json_body()
            return self.send_object(201, rt, api.create(rt, ns or "", body, dry))
        if verb == "update":
            body = self.json_body()
            return self.send_object(200, rt, api.update(rt, ns or "", name, body, dry_run=dry))
        if verb == "patch":
            ptype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            doc = self.json_body()
            return self.send_object(200, rt, api.patch(rt, ns or "", name, ptype, doc, dry_run=dry))
        if verb == "delete":
            return self.delete(rt, ns or "", name, dry)
        if verb == "deletecollection":
            return self.delete_collection(rt, ns)
        raise method_not_allowed()

    def send_object(self, code, rt, obj, raw=None):
        if self._wants_table():
            return self.send_body(code, tables.table(rt.kind, [obj], self._include(), {
                "resourceVersion": obj["metadata"].get("resourceVersion", "")}))
        if self._wants_partial():
            return self.send_body(code, tables.partial_meta(obj))
        self.send_body(code, raw if raw is not None else dumps(obj))

    def _accept(self):
        return self.headers.get("Accept") or ""

    def _wants_table(self):
        return "as=Table" in self._accept()

    def _wants_partial(self):
        return "as=PartialObjectMetadata" in self._accept()

    def _include(self):
        return _q1(self.q, "includeObject", "Metadata") or "Metadata"

    # ---- list ------------------------------------------------------------------------------
    def _selectors(self, rt):
        lreqs = parse_label_selector(_q1(self.q, "labelSelector", ""))
        freqs = parse_field_selector(_q1(self.q, "fieldSelector", ""))
        check_fields(rt.kind, freqs)
        return lreqs, freqs

    def list(self, rt, ns):
        store = self.server.ctx.store
        lreqs, freqs = self._selectors(rt)
        limit = _q1(self.q, "limit")
        try:
            limit = int(limit) if limit else 0
        except ValueError:
            raise bad_request("invalid limit: %r" % limit)
        cont = _q1(self.q, "continue")
        snap = None
        if cont:
            rv, start, snap = decode_continue(cont)
            # continuation pages come from the first page's snapshot (objects are immutable), so
            # pagination is consistent like etcd's; an expired snapshot falls back to current state
            entries = self.server.ctx.snapshot_get(snap, rt.key, ns)
            if entries is None:
                entries = store.entries(rt, ns)[0]
        else:
            entries, rv = store.entries(rt, ns)
        if cont:
            # entries are sorted by (namespace, name): skip up to and including the last one sent
            lo, hi = 0, len(entries)
            while lo < hi:
                mid = (lo + hi) // 2
                if (entries[mid][0], entries[mid][1]) <= start:
                    lo = mid + 1
                else:
                    hi = mid
            entries = entries[lo:]
        full_entries = entries
        if lreqs or freqs:
            entries = [x for x in entries if labels_match(lreqs, x[2].obj["metadata"].get("labels"))
                       and fields_match(freqs, x[2].obj)]
        meta = {"resourceVersion": str(rv)}
        if limit and len(entries) > limit:
            last = entries[limit - 1]
            remaining = len(entries) - limit
            entries = entries[:limit]
            if snap is None:
                snap = self.server.ctx.snapshot_put(rt.key, ns, full_entries)
            meta["continue"] = encode_continue(rv, last[0], last[1], snap)
            if not (lreqs or freqs):
                meta["remainingItemCount"] = remaining
        if self._wants_table():
            return self.send_body(200, tables.table(rt.kind, [e.obj for (_a, _b, e) in entries], self._include(), meta))
        if "as=PartialObjectMetadataList" in self._accept():
            return self.send_body(200, {"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1",
                                        "metadata": meta,
                                        "items": [{"metadata": e.obj["metadata"]} for (_a, _b, e) in entries]})
        head = b'{"kind":"%sList","apiVersion":"%s","metadata":%s,"items":[' % (
            rt.kind.encode(), rt.api_version.encode(), dumps(meta))
        body = b"".join((head, b",".join(e.item() for (_a, _b, e) in entries), b"]}"))
        self.send_body(200, body)

    # ---- watch ----------------------------------------------------------------------------
    def watch(self, rt, ns, name):
        ctx = self.server.ctx
        store = ctx.store
        lreqs, freqs = self._selectors(rt)
        rv_s = _q1(self.q, "resourceVersion", "")
        send_initial = _bool(_q1(self.q, "sendInitialEvents", ""))
        try:
            since = None if rv_s in ("", "0") or send_initial else int(rv_s)
        except ValueError:
            raise bad_request('invalid resource version: "%s"' % rv_s)
        try:
            timeout = float(_q1(self.q, "timeoutSeconds") or 1800)
        except ValueError:
            timeout = 1800
        bookmarks = _bool(_q1(self.q, "allowWatchBookmarks", ""))
        as_table = self._wants_table()
        include = self._include()
        w, initial, too_old = store.watch(rt, ns, lreqs, freqs, since)
        self._headers(200, "application/json", chunked=True)
        deadline = time.time() + timeout

        def line(etype, obj_bytes):
            return b'{"type":"%s","object":%s}\n' % (etype.encode(), obj_bytes)

        first_ev = [True]

        def ev_bytes(etype, src):
            # src: Entry (synthetic ADDED) or WatchEvent
            if as_table:
                # like the real server, only the first event carries the column definitions
                obj = src.obj
                t = tables.table(rt.kind, [obj], include, {"resourceVersion": obj["metadata"].get("resourceVersion")})
                if not first_ev[0]:
                    t["columnDefinitions"] = None
                first_ev[0] = False
                return line(etype, dumps(t))
            return line(etype, src.full() if hasattr(src, "full") else src.raw())

        try:
            if too_old:
                st = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                      "message": "too old resource version: %d (%d)" % too_old, "reason": "Expired", "code": 410}
                self.chunk(line("ERROR", dumps(st)))
                self.end_chunks()
                return
            if initial:
                # one sendall per batch of events, not per event
                batch = []
                size = 0
                for etype, src in initial:
                    b = ev_bytes(etype, src)
                    batch.append(b)
                    size += len(b)
                    if size > 256 * 1024:
                        self.chunk(b"".join(batch))
                        batch, size = [], 0
                self.chunk(b"".join(batch))
            if send_initial and bookmarks:
                self.chunk(line("BOOKMARK", self._bookmark(rt, store.rv, True)))
            last_bm = time.time()
            while not ctx.stopping.is_set():
                now = time.time()
                if now >= deadline:
                    break
                wait = min(deadline - now, 1.0)
                try:
                    first = w.q.get(timeout=wait)
                except queue.Empty:
                    first = None
                batch = []
                if first is not None:
                    items = [first]
                    try:
                        while len(items) < 1000:
                            items.append(w.q.get_nowait())
                    except queue.Empty:
                        pass
                    batch = [ev_bytes(etype, ev) for etype, ev in items]
                if bookmarks and time.time() - last_bm >= ctx.bookmark_interval:
                    with store.lock:
                        rv = store.rv if w.q.empty() else None
                    if rv is not None:
                        batch.append(line("BOOKMARK", self._bookmark(rt, rv, False)))
                        last_bm = time.time()
                if batch:
                    self.chunk(b"".join(batch))
                elif self._peer_closed():
                    return
            self.end_chunks()
        finally:
            store.unwatch(w) if w else None

    def _peer_closed(self):
        """An idle watch notices a client that went away (otherwise only a write would)."""
        try:
            r, _, _ = select.select([self.connection], [], [], 0)
            if not r:
                return False
            self.connection.settimeout(0.05)
            try:
                return self.connection.recv(1) == b""
            finally:
                self.connection.settimeout(None)
        except (socket.timeout, ssl.SSLWantReadError):
            return False
        except (OSError, ValueError):
            return True

    @staticmethod
    def _bookmark(rt, rv, initial_end):
        m = {"resourceVersion": str(rv), "creationTimestamp": None}
        if initial_end:
            m["annotations"] = {"k8s.io/initial-events-end": "true"}
        return dumps({"kind": rt.kind, "apiVersion": rt.api_version, "metadata": m})

    # ---- delete --------------------------------------------------------------------------------
    def _delete_opts(self):
        body = self.json_body(required=False) or {}
        if not isinstance(body, dict):
            raise bad_request("DeleteOptions must be an object")
        for k in ("gracePeriodSeconds", "propagationPolicy", "orphanDependents"):
            v = _q1(self.q, k)
            if v is not None and k not in body:
                if k == "gracePeriodSeconds":
                    try:
                        body[k] = int(v)
                    except ValueError:
                        raise bad_request("invalid gracePeriodSeconds")
                elif k == "orphanDependents":
                    body[k] = _bool(v)
                else:
                    body[k] = v
        return body

    def delete(self, rt, ns, name, dry):
        opts = self._delete_opts()
        obj, present = self.server.ctx.api.delete(rt, ns, name, opts, dry)
        if present:
            return self.send_object(200, rt, obj)
        self.send_body(200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                             "details": {"name": name, "group": rt.group, "kind": rt.plural,
                                         "uid": obj["metadata"].get("uid")}})

    def delete_collection(self, rt, ns):
        ctx = self.server.ctx
        lreqs, freqs = self._selectors(rt)
        opts = self._delete_opts()
        out = []
        for (n, name, e) in ctx.store.entries(rt, ns)[0]:
            if labels_match(lreqs, e.obj["metadata"].get("labels")) and fields_match(freqs, e.obj):
                try:
                    obj, _ = ctx.api.delete(rt, n, name, opts)
                    out.append(obj)
                except ApiError:
                    pass
        self.send_body(200, {"kind": rt.kind + "List", "apiVersion": rt.api_version,
                             "metadata": {"resourceVersion": str(ctx.store.rv)}, "items": out})

    # ---- subresources --------------------------------------------------------------------------
    def subresource(self, rt, ns, name, sub, subpath, dry):
        ctx = self.server.ctx
        api = ctx.api
        obj = ctx.store.get(rt, ns or "", name)
        if obj is None:
            raise not_found(rt, name)
        m = self.command
        if sub == "status":
            if m == "GET":
                return self.send_object(200, rt, obj)
            if m == "PUT":
                return self.send_object(200, rt, api.update(rt, ns or "", name, self.json_body(), "status",
                                                            dry_run=dry))
            if m == "PATCH":
                ptype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
                return self.send_object(200, rt, api.patch(rt, ns or "", name, ptype, self.json_body(), "status",
                                                           dry_run=dry))
            raise method_not_allowed()
        if sub == "scale":
            return self.scale(rt, ns, name, obj, dry)
        if sub == "eviction":
            if m != "POST":
                raise method_not_allowed()
            body = self.json_body(required=False) or {}
            opts = (body.get("deleteOptions") or {}) if isinstance(body, dict) else {}
            if not isinstance(opts, dict):
                raise bad_request("Eviction.deleteOptions must be an object")
            api.delete(rt, ns, name, opts, dry)
            return self.send_body(201, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                                        "code": 201})
        if sub == "log":
            return self.pod_log(obj)
        if sub in ("exec", "attach"):
            return ctx.runtime.exec(self, obj, self.q)
        if sub == "proxy":
            return ctx.runtime.proxy(self, obj, self._proxy_port, "/" + subpath)
        raise ApiError(400, "BadRequest", "%s is not supported by kubesim" % sub)

    def scale(self, rt, ns, name, obj, dry):
        api = self.server.ctx.api

        def scale_of(o):
            from selection import selector_obj_to_string
            return {"kind": "Scale", "apiVersion": "autoscaling/v1",
                    "metadata": {"name": name, "namespace": ns, "uid": o["metadata"].get("uid"),
                                 "resourceVersion": o["metadata"].get("resourceVersion"),
                                 "creationTimestamp": o["metadata"].get("creationTimestamp")},
                    "spec": {"replicas": (o.get("spec") or {}).get("replicas", 0)},
                    "status": {"replicas": (o.get("status") or {}).get("replicas", 0),
                               "selector": selector_obj_to_string((o.get("spec") or {}).get("selector") or {})}}
        m = self.command
        if m == "GET":
            return self.send_body(200, scale_of(obj))
        if m == "PUT":
            body = self.json_body()
        elif m == "PATCH":
            import patch as patchmod
            ptype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            doc = self.json_body()
            cur = scale_of(obj)
            if ptype == "application/json-patch+json":
                body = patchmod.json_patch(cur, doc)
            elif ptype in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
                body = patchmod.merge_patch(cur, doc if isinstance(doc, dict) else {})
            else:
                raise ApiError(415, "UnsupportedMediaType", "unsupported patch type %s" % ptype, {})
        else:
            raise method_not_allowed()
        if not isinstance(body, dict):
            raise bad_request("Scale must be an object")
        replicas = (body.get("spec") or {}).get("replicas")
        if not isinstance(replicas, int) or replicas < 0:
            from util import invalid
            raise invalid(type("S", (), {"kind": "Scale", "group": "autoscaling", "plural": "scale"})(), name,
                          [("FieldValueInvalid", "spec.replicas",
                            "Invalid value: %s: must be greater than or equal to 0" % replicas)])
        brv = (body.get("metadata") or {}).get("resourceVersion")
        doc = {"spec": {"replicas": replicas}}
        if brv and m == "PUT":
            doc["metadata"] = {"resourceVersion": brv}
        new = api.patch(rt, ns, name, "application/merge-patch+json", doc, dry_run=dry)
        self.send_body(200, scale_of(new))

    def pod_log(self, pod):
        rt = self.server.ctx.runtime
        container = rt.container_for(pod, _q1(self.q, "container"))
        previous = _bool(_q1(self.q, "previous", ""))
        follow = _bool(_q1(self.q, "follow", ""))
        stamps = _bool(_q1(self.q, "timestamps", ""))
        try:
            tail = int(_q1(self.q, "tailLines")) if _q1(self.q, "tailLines") else None
            since_s = int(_q1(self.q, "sinceSeconds")) if _q1(self.q, "sinceSeconds") else None
            limit_b = int(_q1(self.q, "limitBytes")) if _q1(self.q, "limitBytes") else None
        except ValueError:
            raise bad_request("invalid log options")
        from util import parse_iso
        since_t = parse_iso(_q1(self.q, "sinceTime")) if _q1(self.q, "sinceTime") else None
        if since_s is not None:
            since_t = time.time() - since_s
        # a real kubelet (tests/kubesim/kubelet.py) reads its log files; virtual pods make lines up
        reader = rt.log_reader(pod, container, previous) if hasattr(rt, "log_reader") else None
        if reader is None:
            reader = _VirtualLogReader(self.server.ctx.store, rt, pod, container, previous)
        lines = reader.read_all()
        if since_t is not None:
            lines = [x for x in lines if x[0] >= since_t]
        if tail is not None:
            lines = lines[-tail:] if tail > 0 else []

        def fmt(ls):
            out = []
            for t, text in ls:
                if stamps:
                    out.append("%s.%09dZ %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)),
                                                  int(round((t % 1) * 1e9)) % 1000000000, text))
                else:
                    out.append(text + "\n")
            return "".join(out).encode()
        # WebSocket: binary.k8s.io (raw frames, also the default) or base64.binary.k8s.io (base64 text)
        import websocket
        ws = None
        if websocket.is_upgrade(self.headers):
            if getattr(self.server.ctx, "no_log_websocket", False):   # --no-log-websocket
                raise bad_request("websocket upgrades of pod logs are disabled on this server")
            try:
                ws = websocket.accept(self, ["binary.k8s.io", "base64.binary.k8s.io"], allow_none=True)
            except ValueError as e:
                raise bad_request(str(e))
        b64 = ws is not None and ws.protocol == "base64.binary.k8s.io"

        def out(data):
            if not data:
                return
            if ws is not None:
                if b64:
                    ws.send(base64.b64encode(data), binary=False)
                else:
                    ws.send(data)
            else:
                self.chunk(data)
        if not follow or previous:
            body = fmt(lines)
            if limit_b is not None:
                body = body[:limit_b]
            if ws is None:
                return self.send_body(200, body, "text/plain")
            out(body)
            ws.close()
            return
        if ws is None:
            self._headers(200, "text/plain", chunked=True)
        first = fmt(lines)
        if limit_b is not None:
            first = first[:limit_b]
        out(first)
        sent = len(first)
        while not self.server.ctx.stopping.is_set() and (limit_b is None or sent < limit_b):
            new = reader.read_new()
            if new:
                data = fmt(new)
                if limit_b is not None and sent + len(data) > limit_b:
                    out(data[: max(0, limit_b - sent)])
                    break
                out(data)
                sent += len(data)
                continue
            if reader.done():
                new = reader.read_new()
                if new:
                    out(fmt(new))
                break
            if ws is None and self._peer_closed():
                return
            time.sleep(reader.poll_interval)
        if ws is not None:
            ws.close()
        else:
            self.end_chunks()

    # ---- access reviews ----------------------------------------------------------------------
    def review(self, rt):
        body = self.json_body()
        if not isinstance(body, dict):
            raise bad_request("review must be an object")
        spec = body.get("spec") or {}
        if not isinstance(spec, dict) or not isinstance(spec.get("resourceAttributes") or {}, dict) or \
                not isinstance(spec.get("nonResourceAttributes") or {}, dict):
            raise bad_request("%s in version \"v1\" cannot be handled as a %s: spec must be an object" % (
                rt.kind, rt.kind))
        out = {"kind": rt.kind, "apiVersion": rt.api_version, "metadata": {"creationTimestamp": None}, "spec": spec}
        if rt.kind == "SelfSubjectAccessReview":
            out["status"] = rbac.access_review(self._user, spec)
        else:
            out["status"] = rbac.rules_review(self._user, spec.get("namespace"))
        self.send_body(201, out)


class _VirtualLogReader:
    """Virtual pods' logs: the runtime's generated lines, polled for new ones."""
    poll_interval = 0.5

    def __init__(self, store, rt, pod, container, previous):
        self.store, self.rt, self.pod, self.container, self.previous = store, rt, pod, container, previous
        self.last = 0
        self.ended = False

    def read_all(self):
        lines = self.rt.logs(self.pod, self.container, self.previous)
        self.last = lines[-1][0] if lines else 0
        return lines

    def read_new(self):
        m = self.pod["metadata"]
        p = self.store.get(PODS, m["namespace"], m["name"])
        if p is None or p["metadata"].get("uid") != m["uid"]:
            self.ended = True
            return []
        try:
            new = [x for x in self.rt.logs(p, self.container) if x[0] > self.last]
        except ApiError:
            self.ended = True
            return []
        if new:
            self.last = new[-1][0]
        cs = next((c for c in (p.get("status") or {}).get("containerStatuses") or []
                   if c.get("name") == self.container), {})
        if (cs.get("state") or {}).get("terminated"):
            self.ended = True
        return new

    def done(self):
        return self.ended
