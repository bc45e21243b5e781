#!/bin/bash
# metrics: the metrics view (src/ui/view_metrics.c) against kubesim with its kubelet (real pods) and
# the seed app: a REAL Prometheus in `monitoring` scrapes the real mysqld-exporter sidecar of the real
# MariaDB pod and HAProxy's native exporter. The test makes database load (held connections, queries)
# and HTTP traffic through the Ingress (tests/demo-traffic.sh, bounded), then reads the panels from
# scripted screen dumps and compares them with the same PromQL asked of Prometheus directly. kdeck
# reaches Prometheus through the API server's service proxy (the default) and directly
# (--prometheus http://POD_IP:9090). Then every failure case, each contained in its panels, with the
# pods still listed afterwards: nothing listening, a server that never answers (timeout), HTTP 500,
# malformed JSON, and a PromQL error from the real Prometheus (a user panel file via KDECK_PANELS).
# Everything is started here and stopped by pid; every wait polls with a deadline.
. "$(dirname "$0")/lib.sh"
cd "$E2E_ROOT" || exit 1

for tool in prometheus mariadbd mariadb haproxy kubectl curl python3; do
    command -v "$tool" >/dev/null 2>&1 || { not_ok "prerequisite $tool present"; e2e_done; }
done

SIM=$E2E_TMP/sim
T=$E2E_TMP
start_kubesim "$SIM" --seed-app --ingress-port 0 || { not_ok "kubesim (kubelet mode) starts"; e2e_done; }
K() { kubectl "$@"; }

# ---- the real Prometheus: its pod IP, and mysql_up + haproxy series scraped --------------------
prom_ip() { K -n monitoring get pods -l app=prometheus -o jsonpath='{.items[0].status.podIP}' 2>/dev/null; }
wait_for 60 sh -c "[ -n \"\$(kubectl -n monitoring get pods -l app=prometheus -o jsonpath='{.items[0].status.podIP}')\" ]"
PIP=$(prom_ip)
PROM=http://$PIP:9090
# promq QUERY: the first sample's value of an instant query, asked of Prometheus directly.
promq() {
    curl -s --max-time 5 "$PROM/api/v1/query" --data-urlencode "query=$1" | python3 -c '
import json, sys
try:
    r = json.load(sys.stdin)["data"]["result"]
    print(r[0]["value"][1] if r else "none")
except Exception:
    print("error")'
}
has_series() { v=$(promq "$1"); [ "$v" != none ] && [ "$v" != error ] && [ -n "$v" ]; }
check "the real Prometheus scrapes mysql_up" wait_for 60 has_series 'mysql_up{namespace="app"}'
check "the real Prometheus scrapes HAProxy" wait_for 60 has_series 'haproxy_process_nbthread'

# ---- load: HTTP through the Ingress, and the database -----------------------------------------
bash tests/demo-traffic.sh "$SIM" 25 150 >"$T/traffic.out" 2>&1 &
E2E_PIDS+=($!)
MPOD=$(K -n app get pods -l app=mysql -o jsonpath='{.items[0].metadata.name}')
MIP=$(K -n app get pods -l app=mysql -o jsonpath='{.items[0].status.podIP}')
# three connections held open for a while (threads_connected moves up and stays there)
for i in 1 2 3; do
    K -n app exec "$MPOD" -c mysql -- sh -c "mariadb -h $MIP -uroot -p\"\$MYSQL_ROOT_PASSWORD\" -e 'SELECT SLEEP(90)'" \
        >/dev/null 2>&1 &
    E2E_PIDS+=($!)
done
# a bounded burst of queries (and a slow one) for the qps panel
( K -n app exec "$MPOD" -c mysql -- sh -c "for i in \$(seq 1 200); do echo 'SELECT COUNT(*) FROM information_schema.tables;'; done | mariadb -h $MIP -uroot -p\"\$MYSQL_ROOT_PASSWORD\" >/dev/null" ) >/dev/null 2>&1
check "held connections show up in Prometheus" wait_for 30 sh -c \
    "v=\$(curl -s '$PROM/api/v1/query' --data-urlencode 'query=mysql_global_status_threads_connected{namespace=\"app\"}' | grep -o '\"[0-9]*\"\]' | tr -dc 0-9); [ \"\${v:-0}\" -ge 4 ]"
check "HTTP traffic reaches HAProxy's back backend" wait_for 40 sh -c \
    "curl -s '$PROM/api/v1/query' --data-urlencode 'query=sum(rate(haproxy_backend_http_requests_total{proxy=~\"app_(svc_)?back([_:].*)?\"}[10s]))' | grep -qE '\"[0-9.]*[1-9][0-9.]*\"\]'"

# value_of FILE REGEX: the number after "REGEX: " on screen (legend entries are "LEGEND: VALUE").
value_of() { grep -oE "$2: [-0-9.]+" "$1" | head -1 | sed -E 's/.*: //'; }
near() { python3 -c "import sys; a, b, t = map(float, sys.argv[1:]); sys.exit(0 if abs(a - b) <= t else 1)" "$1" "$2" "$3" 2>/dev/null; }

# ---- 1. :metrics mysql through the API server's service proxy ----------------------------------
run_script proxy 80 24 -n app <<EOF
:wait-for mysql-
:metrics mysql
:range 5m
:wait-match MySQL up .*now 1
:wait-match connected mysql-[a-z0-9-]+: [4-9]
:save-display $T/proxy.txt
:save-colors $T/proxy.colors
G
:wait-for Replication lag
:save-display $T/proxy_end.txt
:quit
EOF
check "proxy: script runs to the end" test $? -eq 0
check "proxy: title names the group, range and the service proxy" \
    grep -q 'Metrics mysql: all namespaces \[5m\] via service proxy monitoring/prometheus:9090' "$T/proxy.txt"
up=$(promq 'mysql_up{namespace="app"}')
check "proxy: mysql_up on screen is Prometheus' value ($up)" grep -qE "^  $MPOD: $up( |$)" "$T/proxy.txt"
tc_screen=$(value_of "$T/proxy.txt" "connected $MPOD")
tc_prom=$(promq 'mysql_global_status_threads_connected{namespace="app"}')
check "proxy: threads connected on screen ($tc_screen) = Prometheus ($tc_prom) +-1" near "${tc_screen:-x}" "${tc_prom:-y}" 1
mc_screen=$(value_of "$T/proxy.txt" "max $MPOD")
mc_prom=$(promq 'mysql_global_variables_max_connections{namespace="app"}')
check "proxy: max_connections on screen ($mc_screen) = Prometheus ($mc_prom) exactly" test "${mc_screen:-x}" = "$mc_prom"
check "proxy: a line chart is drawn in braille" grep -qP '[\x{2801}-\x{28FF}]' "$T/proxy.txt"
check "proxy: the y axis is labelled" grep -qE '^ +[0-9.]+ ?[a-zA-Z%]*│' "$T/proxy.txt"
row=$(grep -n 'Connections: connected' "$T/proxy.txt" | head -1 | cut -d: -f1)
check "proxy: chart cells are coloured (not the default)" sh -c "sed -n '$((row + 1))p;$((row + 5))p' '$T/proxy.colors' | cut -c13- | grep -q '[^.]'"
check "proxy: fits 80x24 (footer on the last row)" test "$(wc -l < "$T/proxy.txt")" -eq 24
check "proxy: scrolling reaches the last panel; a replica-only metric says no data" \
    grep -A6 'Replication lag' "$T/proxy_end.txt" | grep -q 'no data'

# ---- 2. m on the back deployment: that app's panels, HTTP numbers vs PromQL --------------------
run_script app 170 40 -n app <<EOF
:wait-for mysql-
:deploy
:wait-for front
/back
:wait-match ^back +2/2
m
:wait-for Requests/s by backend
:range 5m
:wait-match app_back(:[0-9]+)?: [0-9.]*[1-9][0-9.]* (k )?req/s
:save-display $T/app.txt
<Esc>
:wait-for Deployments
:save-display $T/app_back.txt
:quit
EOF
check "m: script runs to the end" test $? -eq 0
check "m: title names the app" grep -q 'Metrics: app/back \[5m\]' "$T/app.txt"
check "m: two columns at 170 columns" grep -qE 'Requests/s by backend .{40,}Responses/s by status class|Requests/s by service .{40,}Requests/s by status class' "$T/app.txt"
rps_screen=$(value_of "$T/app.txt" "app_back(:[0-9]+)?")
rps_prom=$(promq 'sum by (proxy) (rate(haproxy_backend_http_requests_total{proxy=~"app_(svc_)?back([_:].*)?"}[10s]))')
check "m: back's req/s on screen ($rps_screen) agrees with Prometheus ($rps_prom) loosely" \
    python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); sys.exit(0 if a > 0 and b > 0 and a < 4 * b + 5 and b < 4 * a + 5 else 1)" "${rps_screen:-0}" "${rps_prom:-0}"
check "m: only back's backend (no front)" bash -c "! grep -q 'app_front' '$T/app.txt'"
check "m: Esc goes back to the deployments" grep -q ' Deployments (app)' "$T/app_back.txt"

# ---- 3. directly: --prometheus http://POD_IP:9090, ASCII charts without UTF-8 ---------------------
LANG=C LC_ALL=C run_script direct 80 24 -n app --prometheus "$PROM" <<EOF
:wait-for mysql-
:metrics mysql
:range 5m
:wait-match MySQL up .*now 1
:wait-match max mysql-[a-z0-9-]+: [0-9]
:save-display $T/direct.txt
t
:wait-for [15m]
:save-display $T/direct15.txt
:quit
EOF
check "direct: script runs to the end" test $? -eq 0
check "direct: title names the URL" grep -qF "via $PROM" "$T/direct.txt"
check "direct: mysql_up on screen is Prometheus' value" grep -qE "^  $MPOD: $up( |$)" "$T/direct.txt"
mc_direct=$(value_of "$T/direct.txt" "max $MPOD")
check "direct: max_connections = Prometheus ($mc_prom)" test "${mc_direct:-x}" = "$mc_prom"
check "direct: ASCII charts without UTF-8 (no braille)" bash -c "! grep -qP '[\x{2800}-\x{28FF}]' '$T/direct.txt' 2>/dev/null && grep -qE '^ +[0-9.]+ ?[a-z%]* *\|' '$T/direct.txt'"
check "direct: t goes to the next range (15m)" grep -q 'Metrics mysql: all namespaces \[15m\]' "$T/direct15.txt"

# ---- 4. failures, each contained in its panels; the pods are still listed afterwards ----------
FREE=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$T/fake.py" <<'EOF'
# /slow: never answers in time; /500: HTTP 500; /bad: malformed JSON (truncated).
import http.server, socketserver, sys, time
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith("/slow"):
            time.sleep(30)
            return
        if self.path.startswith("/500"):
            body, code = b"internal error: backend exploded\nsecond line\n", 500
        else:
            body, code = b'{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1', 200
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
S(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
FAKE=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 "$T/fake.py" "$FAKE" >/dev/null 2>&1 &
E2E_PIDS+=($!)
wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$FAKE/500"
mkdir -p "$HOME/.config/kdeck"
printf 'prometheus_timeout: 2s\n' > "$T/config"

failcase() { # NAME URL EXPECTED-TEXT
    local name=$1 url=$2 text=$3
    KDECK_CONFIG=$T/config run_script "fail_$name" 80 24 -n app --prometheus "$url" <<EOF
:wait-for mysql-
:metrics mysql
:wait-for $text
:save-display $T/fail_$name.txt
<Esc>
:pods
:wait-for mysql-
:save-display $T/fail_${name}_pods.txt
:quit
EOF
    check "$name: script runs to the end" test $? -eq 0
    check "$name: the panels say '$text'" test "$(grep -cF -- "$text" "$T/fail_$name.txt")" -ge 2
    check "$name: the pods are still listed afterwards" grep -qE "^$MPOD +2/2 +Running" "$T/fail_${name}_pods.txt"
}
failcase down "http://127.0.0.1:$FREE" "Prometheus unreachable: cannot connect to http://127.0.0.1:$FREE"
failcase slow "http://127.0.0.1:$FAKE/slow" "Prometheus timed out: no answer within 2 s"
failcase http500 "http://127.0.0.1:$FAKE/500" "HTTP 500: internal error: backend exploded"
failcase malformed "http://127.0.0.1:$FAKE/bad" "malformed response"

# A PromQL error from the real Prometheus (its own text), NaN, and an empty result, from a user panel
# file; the good built-in panels beside them keep working.
cat > "$T/user.panels" <<'EOF'
group broken
    title Broken on purpose

panel broken.parse
    title Bad PromQL
    query sum(rate(mysql_global_status_queries{namespace=~"$namespace"}[$interval])
    unit ops/s

panel broken.nan
    title Not a number
    query vector(0) / 0
    unit ratio

panel broken.empty
    title Nothing here
    query mysql_up{namespace="no-such-namespace"}
    unit count

panel broken.up
    title Still fine
    query mysql_up{namespace=~"$namespace"}
    legend {{pod}}
    unit count
    chart stat
EOF
KDECK_PANELS=$T/user.panels run_script promql 80 30 -n app <<EOF
:wait-for mysql-
:metrics broken
:wait-for query error (bad_data)
:wait-match Still fine.*now 1
:save-display $T/promql.txt
<Esc>
:wait-for mysql-
:save-display $T/promql_pods.txt
:quit
EOF
check "promql: script runs to the end" test $? -eq 0
check "promql: the panel shows Prometheus' own error text" grep -qE 'query error \(bad_data\): .*(parse error|unclosed)' "$T/promql.txt"
check "promql: NaN is shown as NaN" grep -qE '^  value: NaN|now NaN|: NaN' "$T/promql.txt"
check "promql: an empty result says no data" grep -A3 'Nothing here' "$T/promql.txt" | grep -q 'no data'
check "promql: the good panel beside them works" grep -qE "^  $MPOD: 1( |$)" "$T/promql.txt"
check "promql: the pods are still listed afterwards" grep -qE "^$MPOD +2/2 +Running" "$T/promql_pods.txt"

# A broken panel file: reported, the built-in panels used instead.
printf 'panel x\n  bogus 1\n' > "$T/bad.panels"
KDECK_PANELS=$T/bad.panels run_script badfile 80 24 -n app <<EOF
:wait-for mysql-
:metrics mysql
:wait-for MySQL up
:save-display $T/badfile.txt
:quit
EOF
check "badfile: the error names FILE:LINE and the built-ins are used" \
    bash -c "grep -qF 'bad.panels:2' '$T/badfile.txt' && grep -q 'MySQL up' '$T/badfile.txt'"

e2e_done
