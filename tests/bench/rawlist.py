#!/usr/bin/env python3
"""Raw LIST timing against kubesim, without any client-side decoding: separates the simulator's
serving time from kdeck's (or kubectl's) own work.

    rawlist.py STATE_DIR MODE [PAGE_SIZE]

MODE json   pages of /api/v1/pods?limit=N as plain JSON (what kdeck requests)
     table  pages as meta.k8s.io Tables (what `kubectl get pods -A` requests)
PAGE_SIZE 0 = one unpaged request.  One keep-alive TLS connection, like libcurl's.
Prints one JSON line: {"seconds": S, "bytes": B, "pages": P}.

    rawlist.py STATE_DIR watch SECONDS

counts the pod watch events (all namespaces, from the current resourceVersion) for SECONDS:
{"seconds": S, "events": N, "bytes": B, "types": {...}}.
"""
import http.client
import json
import re
import ssl
import sys
import time
import urllib.parse

TABLE_ACCEPT = ("application/json;as=Table;v=v1;g=meta.k8s.io,"
                "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json")
CONT_RE = re.compile(rb'"continue":"([^"]*)"')


def watch(state, seconds):
    port = int(open(f"{state}/port").read().strip())
    token = open(f"{state}/admin.token").read().strip()
    ctx = ssl.create_default_context(cafile=f"{state}/ca.crt")
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=1.0)
    conn.request("GET", "/api/v1/pods?limit=1", headers=headers)
    rv = json.loads(conn.getresponse().read())["metadata"]["resourceVersion"]
    conn.request("GET", f"/api/v1/pods?watch=1&resourceVersion={rv}", headers=headers)
    resp = conn.getresponse()
    t0 = time.monotonic()
    deadline = t0 + seconds
    types, nbytes, buf = {}, 0, b""
    while time.monotonic() < deadline:
        try:
            data = resp.read1(65536)
        except (TimeoutError, OSError):
            continue  # nothing for a second: look at the deadline again
        except Exception:
            break
        if not data:
            break
        nbytes += len(data)
        buf += data
        lines = buf.split(b"\n")
        buf = lines.pop()
        for line in lines:
            m = re.match(rb'\{"type":"([A-Z]+)"', line)
            if m:
                t = m.group(1).decode()
                types[t] = types.get(t, 0) + 1
    elapsed = time.monotonic() - t0
    conn.close()
    print(json.dumps({"seconds": elapsed, "bytes": nbytes,
                      "events": sum(v for k, v in types.items() if k != "BOOKMARK"), "types": types}))
    return 0


def main():
    state, mode = sys.argv[1], sys.argv[2]
    if mode == "watch":
        return watch(state, float(sys.argv[3]))
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else 500
    port = int(open(f"{state}/port").read().strip())
    token = open(f"{state}/admin.token").read().strip()
    ctx = ssl.create_default_context(cafile=f"{state}/ca.crt")
    headers = {"Authorization": f"Bearer {token}",
               "Accept": TABLE_ACCEPT if mode == "table" else "application/json"}
    t0 = time.monotonic()
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=60)
    cont, total, pages = None, 0, 0
    while pages < 1000:
        q = {}
        if limit:
            q["limit"] = str(limit)
        if cont:
            q["continue"] = cont
        path = "/api/v1/pods" + ("?" + urllib.parse.urlencode(q) if q else "")
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            print(json.dumps({"error": f"HTTP {resp.status} for {path}"}))
            return 1
        total += len(body)
        pages += 1
        m = CONT_RE.search(body, 0, 4096)  # list metadata comes first
        cont = m.group(1).decode() if m and m.group(1) else None
        if not cont:
            break
    conn.close()
    print(json.dumps({"seconds": time.monotonic() - t0, "bytes": total, "pages": pages}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
