#!/bin/bash
# demo-traffic.sh STATE_DIR [RATE] [SECONDS]: steady, bounded traffic through the simulated cluster's
# Ingress (kubesim's HAProxy on 127.0.0.1:$(cat STATE_DIR/ingress-port), host app.local), so the demo
# has live request metrics: mostly front (/) and back (/api/...) pages, a few slow ones, a few 404s
# (unknown host). RATE requests per second (default 20) for at most SECONDS (default 7200); it also
# stops by itself when its parent (tests/demo.sh) dies or the cluster stops (STATE_DIR/ready goes).
set -u
dir=${1:?usage: demo-traffic.sh STATE_DIR [RATE] [SECONDS]}
rate=${2:-20}
limit=${3:-7200}
exec python3 - "$dir" "$rate" "$limit" "$PPID" <<'EOF'
import http.client, os, random, sys, time

d, rate, limit, parent = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
t_end = time.time() + limit
port = None
while time.time() < t_end and port is None:          # the port file appears with the kubelet
    try:
        port = int(open(os.path.join(d, "ingress-port")).read())
    except (OSError, ValueError):
        time.sleep(0.5)
# start once the app answers (pods may still be starting when the API is ready)
while time.time() < t_end and os.getppid() == parent:
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        c.request("GET", "/", headers={"Host": "app.local"})
        ok = c.getresponse().status == 200
        c.close()
        if ok:
            break
    except (OSError, http.client.HTTPException):
        pass
    time.sleep(0.5)
PATHS = [("app.local", "/", 30), ("app.local", "/index.html", 5), ("app.local", "/static/app.js", 5),
         ("app.local", "/api/orders", 20), ("app.local", "/api/products?page=2", 12),
         ("app.local", "/api/users/42", 10), ("app.local", "/api/cart", 5),
         ("app.local", "/slow?ms=150", 4), ("app.local", "/api/orders/slow", 1),
         ("shop.local", "/", 2), ("app.local.invalid", "/admin", 1)]
choices = [(h, p) for h, p, w in PATHS for _ in range(w)]
conn = None
counts = {}
n = 0
next_t = time.time()
last_report = time.time()
while time.time() < t_end:
    if os.getppid() != parent or not os.path.exists(os.path.join(d, "ready")):
        break
    host, path = random.choice(choices)
    try:
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        method = "POST" if path == "/api/cart" else "GET"
        conn.request(method, path, body=b"{}" if method == "POST" else None,
                     headers={"Host": host, "User-Agent": "kdeck-demo-traffic/1"})
        r = conn.getresponse()
        r.read()
        code = r.status
        if r.getheader("Connection", "").lower() == "close":
            conn.close()
            conn = None
    except (OSError, http.client.HTTPException):
        code = "error"
        if conn is not None:
            conn.close()
        conn = None
    counts[code] = counts.get(code, 0) + 1
    n += 1
    if time.time() - last_report >= 60:
        print("%s %d requests %s" % (time.strftime("%H:%M:%S"), n, counts), flush=True)
        last_report = time.time()
    next_t += 1.0 / rate
    delay = next_t - time.time()
    if delay > 0:
        time.sleep(delay)
    elif delay < -5:
        next_t = time.time()          # fell behind (cluster paused): don't burst to catch up
print("stopping after %d requests %s" % (n, counts), flush=True)
EOF
