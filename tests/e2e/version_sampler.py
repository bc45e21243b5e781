#!/usr/bin/env python3
"""version_sampler: one client sending GET / to a URL one request after another, recording which
version answered each one — the per-request sequence the blue/green proof (tests/e2e/rollout_proof.sh)
and the rollout bench (tests/bench/rollout_bench.py) check. wrk proves the volume; this proves the
order, which wrk's many parallel connections cannot.

    version_sampler.py URL OUT_FILE STOP_FILE [--max-seconds S] [--pause-ms MS]

Writes one line per request to OUT_FILE, flushed at once so a test can read it while it runs:
    <unix time, s, 6 decimals, taken when the answer was read> <HTTP status or ERR> <version or ->
The version is the second word of podapp's answer to / ("<app> <version> <pod> ..."). A connection
error is recorded as ERR and the next request opens a new connection. Runs until STOP_FILE exists
or --max-seconds (default 300) pass, so it can never outlive a broken test; exits 0.
"""
import argparse
import http.client
import os
import sys
import time
from urllib.parse import urlsplit


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("url")
    ap.add_argument("out")
    ap.add_argument("stop_file")
    ap.add_argument("--max-seconds", type=float, default=300.0)
    ap.add_argument("--pause-ms", type=float, default=0.0, help="pause between requests")
    a = ap.parse_args()
    u = urlsplit(a.url)
    if u.scheme != "http" or not u.hostname:
        print("version_sampler: %s: only http://HOST[:PORT]/PATH URLs" % a.url, file=sys.stderr)
        return 2
    path = (u.path or "/") + ("?" + u.query if u.query else "")
    deadline = time.monotonic() + a.max_seconds
    conn = None
    n = 0
    with open(a.out, "w", buffering=1) as out:
        while time.monotonic() < deadline:
            if n % 20 == 0 and os.path.exists(a.stop_file):
                break
            n += 1
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=5)
                conn.request("GET", path, headers={"User-Agent": "kdeck-version-sampler"})
                resp = conn.getresponse()
                body = resp.read(256)
                resp.read()
                words = body.decode("utf-8", "replace").split()
                out.write("%.6f %d %s\n" % (time.time(), resp.status, words[1] if len(words) > 1 else "-"))
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as e:
                out.write("%.6f ERR %s\n" % (time.time(), type(e).__name__))
                if conn is not None:
                    conn.close()
                conn = None
                time.sleep(0.01)
            if a.pause_ms > 0:
                time.sleep(a.pause_ms / 1000.0)
    if conn is not None:
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
