#!/bin/bash
# prom_queries: EVERY built-in panel's PromQL (src/prom/default.panels, placeholders filled) asked of a
# real Prometheus 2.42 through kdeck's own Prometheus client (src/prom/client.c on a libuv loop), as an
# instant query and as a range query, against real data:
#   - HAProxy (native exporter) in front of two podapp pods, with traffic that includes 500s and 404s,
#   - MariaDB + prometheus-mysqld-exporter 0.14 (with a few queries and a slow query),
#   - the Traefik STAND-IN (tests/fixtures/traefik_exporter.py: Traefik is not installable here) in
#     its v2 and v3 forms, fed by HAProxy's counters.
# Two Prometheus servers: A scrapes the v2 stand-in as it is (label `service`); B scrapes the v3
# stand-in with a `service` target label as Kubernetes discovery adds it, so Traefik's own label
# arrives as `exported_service`. Each query must be accepted (status success, no PromQL error) and,
# where the data exists, return series; a few values are checked. Everything is started by the
# dataplane modules (tests/kubesim/dataplane) and stopped by pid; waits poll with deadlines.
. "$(dirname "$0")/lib.sh"
cd "$E2E_ROOT" || exit 1

missing=()
for tool in prometheus prometheus-mysqld-exporter mariadbd mariadb mariadb-install-db haproxy cc python3 pkg-config; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ -x "$PODAPP_BIN" ] || missing+=("$PODAPP_BIN")
BUILD_DIR=$(dirname "$KDECK_BIN")
[ -f "$BUILD_DIR/src/prom/client.o" ] || missing+=("$BUILD_DIR/src/prom/client.o (make)")
if [ ${#missing[@]} -gt 0 ]; then
    not_ok "prerequisites present (missing: ${missing[*]})"
    e2e_done
fi

# ---- the panel runner: kdeck's panel parser, placeholder expansion and client, as a small program
cat > "$E2E_TMP/runner.c" <<'EOF'
/* runner URL NAMESPACE SERVICE: every built-in panel query, instant and range, through prom_client. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kdeck/panels.h"

typedef struct job {
    const char *panel;
    int q;
    char *expr;
    int pending;
    prom_status_t st[2];
    size_t series[2], points;
    double last;
    char msg[2][600];
} job_t;

static void done_cb(prom_query_t *qq, const prom_result_t *r, void *ud, int which)
{
    (void)qq;
    job_t *j = ud;
    j->st[which] = r->status;
    j->series[which] = r->n_series;
    prom_result_message(r, j->msg[which], sizeof j->msg[which]);
    if (which == 0 && r->n_series && r->series[0].n_points)
        j->last = r->series[0].points[0].v;
    if (which == 1)
        for (size_t i = 0; i < r->n_series; i++)
            j->points += r->series[i].n_points;
    j->pending--;
}
static void on_instant(prom_query_t *q, const prom_result_t *r, void *ud) { done_cb(q, r, ud, 0); }
static void on_range(prom_query_t *q, const prom_result_t *r, void *ud) { done_cb(q, r, ud, 1); }

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: runner URL NAMESPACE SERVICE\n");
        return 2;
    }
    char err[1024];
    panel_set_t *set = panels_load(err, sizeof err);
    if (!set) {
        fprintf(stderr, "panels: %s\n", err);
        return 1;
    }
    double range = 120, step = prom_step_for(range, 60);
    char interval[32];
    prom_duration(prom_rate_interval(step, PROM_SCRAPE_INTERVAL_DEFAULT), interval, sizeof interval);
    panel_vars_t vars = { .ns = argv[2], .app = NULL, .service = argv[3], .interval = interval };
    uv_loop_t loop;
    uv_loop_init(&loop);
    prom_client_opts_t o = { .url = argv[1], .timeout_ms = 15000, .read_only = true };
    prom_client_t *c = prom_client_new(&loop, &o, err, sizeof err);
    if (!c) {
        fprintf(stderr, "client: %s\n", err);
        return 1;
    }
    job_t jobs[256];
    int n = 0;
    double now = (double)time(NULL);
    for (size_t i = 0; i < set->n_panels && n < 256; i++)
        for (int q = 0; q < set->panels[i].n_queries && n < 256; q++) {
            job_t *j = &jobs[n++];
            memset(j, 0, sizeof *j);
            j->panel = set->panels[i].id;
            j->q = q + 1;
            j->last = NAN;
            j->expr = panels_expand(set->panels[i].queries[q].expr, &vars, err, sizeof err);
            if (!j->expr) {
                fprintf(stderr, "%s#%d: %s\n", j->panel, j->q, err);
                return 1;
            }
            j->pending = 2;
            if (!prom_query(c, j->expr, now, on_instant, j) ||
                !prom_query_range(c, j->expr, now - range, now, step, on_range, j)) {
                fprintf(stderr, "cannot start a query\n");
                return 1;
            }
        }
    while (prom_client_in_flight(c) > 0)
        uv_run(&loop, UV_RUN_ONCE);
    for (int i = 0; i < n; i++) {
        job_t *j = &jobs[i];
        printf("%s#%d\t%s\t%zu\t%s\t%zu\t%zu\t%.17g\t%s | %s\n", j->panel, j->q,
               j->st[0] == PROM_OK ? "success" : prom_status_text(j->st[0]), j->series[0],
               j->st[1] == PROM_OK ? "success" : prom_status_text(j->st[1]), j->series[1], j->points, j->last,
               j->msg[0], j->msg[1]);
        free(j->expr);
    }
    printf("interval\t%s\tstep\t%g\n", interval, step);
    prom_client_free(c);
    panel_set_free(set);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return 0;
}
EOF
PKGS="ncursesw formw menuw panelw libuv libcurl libcjson libwebsockets yaml-0.1"
SAN=
case "$BUILD_DIR" in *asan*) SAN="-fsanitize=address,undefined" ;; esac
OBJS=$(find "$BUILD_DIR/src" -name '*.o' ! -path '*/src/main.o' | sort)
if cc -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -D_XOPEN_SOURCE_EXTENDED -Iinclude $SAN \
      $(pkg-config --cflags $PKGS) -o "$E2E_TMP/runner" "$E2E_TMP/runner.c" $OBJS "$BUILD_DIR/gen/builtin_files.o" \
      $(pkg-config --libs $PKGS) -lm 2>"$E2E_TMP/runner.build"; then
    ok "panel runner built against kdeck's objects"
else
    sed 's/^/#   /' "$E2E_TMP/runner.build" | head -20 >&2
    not_ok "panel runner built against kdeck's objects"
    e2e_done
fi

# ---- the data plane
NET="$((RANDOM % 90 + 150)).$((RANDOM % 250 + 1))"
DP=$E2E_TMP/dp
mkdir -p "$DP"
python3 - "$DP" "$NET" "$PODAPP_BIN" "$E2E_ROOT" >"$DP/dataplane.out" 2>&1 <<'EOF' &
import json, os, random, signal, subprocess, sys, threading, time
state, net, podapp, root = sys.argv[1:5]
sys.path.insert(0, os.path.join(root, "tests/kubesim"))
from dataplane import procs
from dataplane.haproxy import HAProxy
from dataplane.mariadb import MariaDB
from dataplane.exporter import MysqldExporter
from dataplane.prometheus import Prometheus

ip = lambda n: "127.%s.%d" % (net, n)
stop = threading.Event()
def on_term(signum, frame):
    raise SystemExit(0)
signal.signal(signal.SIGTERM, on_term)

pods = procs.Supervisor(os.path.join(state, "pods"))
hp = HAProxy(os.path.join(state, "haproxy"), stats_ip=ip(1), stats_port=8404)
db = exp = pa = pb = None
standins = []
def log(msg):
    print("# " + msg, flush=True)
try:
    for name, last in (("front-a", 11), ("front-b", 12)):
        pods.start(name, [podapp], env={"POD_IP": ip(last), "PORT": "8080", "VERSION": "v1",
                                        "POD_NAME": name, "APP_NAME": "front"})
    hp.add_service("app/front", ip(100), 80)
    hp.start(timeout=15)
    hp.set_endpoints("app/front", [(ip(11), 8080), (ip(12), 8080)])
    db = MariaDB(os.path.join(state, "mariadb"), bind_ip=ip(21), port=3306,
                 env={"MYSQL_ROOT_PASSWORD": "rootpw", "MYSQL_DATABASE": "shop", "MYSQL_USER": "app",
                      "MYSQL_PASSWORD": "apppw"}, exporter_user="exporter", exporter_password="exporterpw")
    db.start(timeout=60)
    exp = MysqldExporter(os.path.join(state, "exporter"), listen_ip=ip(22), port=9104, mysql_host=ip(21),
                         mysql_port=3306, user="exporter", password="exporterpw")
    exp.start(timeout=15)
    for ver, last in ((2, 40), (3, 41)):
        p = procs.Process("traefik-v%d" % ver,
                          [sys.executable, os.path.join(root, "tests/fixtures/traefik_exporter.py"),
                           "--listen", ip(last), "--port", "9100", "--version", str(ver),
                           "--haproxy", hp.metrics_url],
                          log_path=os.path.join(state, "traefik-v%d.log" % ver),
                          pid_path=os.path.join(state, "traefik-v%d.pid" % ver)).start()
        standins.append(p)
    mysql_labels = {"namespace": "app", "pod": "mysql-0", "app": "mysql"}
    pa = Prometheus(os.path.join(state, "prom-a"), listen_ip=ip(30), port=9090)
    pa.set_targets([("mysqld", exp.address, mysql_labels), ("haproxy", "%s:8404" % ip(1), {}),
                    ("traefik", "%s:9100" % ip(40), {})])
    # B: as Prometheus' Kubernetes discovery labels a Traefik pod, so `service` becomes exported_service
    pb = Prometheus(os.path.join(state, "prom-b"), listen_ip=ip(31), port=9090)
    pb.set_targets([("traefik", "%s:9100" % ip(41), {"namespace": "kube-system", "service": "traefik",
                                                       "pod": "traefik-0"}),
                    ("mysqld", exp.address, mysql_labels), ("haproxy", "%s:8404" % ip(1), {})])
    pa.start(timeout=30)
    pb.start(timeout=30)

    def traffic():
        url = hp.service_url("app/front")
        i = 0
        while not stop.is_set():
            i += 1
            path = "/status/500" if i % 20 == 0 else "/nope" if i % 20 == 10 else "/slow?ms=20" if i % 7 == 0 else "/"
            try:
                procs.http_get(url.rstrip("/") + path, timeout=3)
            except OSError:
                pass
            stop.wait(0.02)
    def dbload():
        db.sql("SET GLOBAL long_query_time = 0.2")
        db.sql("SELECT SLEEP(0.3)")
        while not stop.is_set():
            try:
                db.sql("SELECT COUNT(*) FROM information_schema.tables")
            except Exception:  # noqa: BLE001
                pass
            stop.wait(0.5)
    threads = [threading.Thread(target=traffic, daemon=True), threading.Thread(target=dbload, daemon=True)]
    for t in threads:
        t.start()
    t0 = time.monotonic()
    for prom, q in ((pa, 'mysql_up == 1'), (pa, 'rate(mysql_global_status_queries[5s]) > 0'),
                    (pa, 'rate(haproxy_backend_http_requests_total{proxy="app_front"}[5s]) > 0'),
                    (pa, 'rate(traefik_service_requests_total{code="200"}[5s]) > 0'),
                    (pa, 'increase(traefik_service_requests_total{code="503"}[30s]) > 0'),
                    (pa, 'increase(traefik_service_request_duration_seconds_count[5s]) > 0'),
                    (pb, 'rate(traefik_service_requests_total{exported_service!="", code="200"}[5s]) > 0'),
                    (pb, 'increase(traefik_service_requests_total{exported_service!="", code="503"}[30s]) > 0'),
                    (pb, 'mysql_up == 1')):
        prom.wait_for(q, timeout=60)
    log("data in both Prometheus servers after %.1fs" % (time.monotonic() - t0))
    with open(os.path.join(state, "ready.tmp"), "w") as f:
        json.dump({"a": pa.url, "b": pb.url, "metrics": hp.metrics_url}, f)
    os.replace(os.path.join(state, "ready.tmp"), os.path.join(state, "ready"))
    while True:
        time.sleep(0.5)
except SystemExit:
    pass
except Exception as e:  # noqa: BLE001
    import traceback
    traceback.print_exc()
    open(os.path.join(state, "failed"), "w").write(repr(e))
finally:
    stop.set()
    for comp in (pb, pa, exp, db):
        if comp is not None:
            try:
                comp.stop()
            except Exception as e:  # noqa: BLE001
                print("# stop failed: %r" % (e,))
    for p in standins:
        p.stop(5)
    try:
        hp.stop()
    except Exception as e:  # noqa: BLE001
        print("# haproxy stop failed: %r" % (e,))
    pods.stop_all()
    log("stopped")
EOF
DP_PID=$!
E2E_PIDS+=("$DP_PID")

stop_dataplane() { # SIGTERM lets it stop every server it started (by pid) in its finally
    kill -TERM "$DP_PID" 2>/dev/null
    e2e_wait_gone "$DP_PID" 60 || kill -KILL "$DP_PID" 2>/dev/null
}

dp_up() { [ -e "$DP/ready" ] || [ -e "$DP/failed" ] || ! [ -e "/proc/$DP_PID" ]; }
if wait_for 150 dp_up && [ -e "$DP/ready" ]; then
    ok "data plane up: HAProxy, 2 podapp, MariaDB + exporter, Traefik stand-in v2 + v3, 2 Prometheus with data"
else
    not_ok "data plane up"
    sed 's/^/#   /' "$DP/dataplane.out" | tail -30 >&2
    stop_dataplane
    e2e_done
fi
PROM_A=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["a"])' "$DP/ready")
PROM_B=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["b"])' "$DP/ready")
HAPROXY_METRICS=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["metrics"])' "$DP/ready")

# The HAProxy 2.6 exporter names the panels rely on are really there.
curl -s --noproxy '*' "$HAPROXY_METRICS" >"$E2E_TMP/haproxy.metrics"
for m in haproxy_backend_http_requests_total haproxy_backend_http_responses_total \
         haproxy_backend_response_time_average_seconds haproxy_backend_total_time_average_seconds \
         haproxy_backend_connection_errors_total haproxy_backend_response_errors_total \
         haproxy_backend_active_servers haproxy_backend_current_queue haproxy_frontend_current_sessions; do
    check "HAProxy exporter has $m" grep -q "^$m{" "$E2E_TMP/haproxy.metrics"
done

# ---- every panel query on both servers
# run_complete URL OUT ERR: runs every panel query once; true when each query that should have
# data has some. A loaded machine can make Prometheus miss a scrape, leaving a 4 s rate window with
# one sample: polling (with run_all's deadline) waits for the next scrapes instead of failing.
run_complete() {
    "$E2E_TMP/runner" "$1" app front >"$2" 2>"$3"
    echo $? >"$2.rc"
    [ "$(cat "$2.rc")" = 0 ] || return 2
    awk -F'\t' '$1 != "interval" && $1 !~ /^mysql\.replication-lag#/ && ($3 == 0 || $5 == 0 || $6 == 0) { bad = 1 }
                 END { exit bad }' "$2"
}
run_all() { # NAME URL
    local name=$1 url=$2 out=$E2E_TMP/$1.results
    wait_for 30 run_complete "$url" "$out" "$E2E_TMP/$name.err"
    if [ "$(cat "$out.rc" 2>/dev/null)" != 0 ]; then
        not_ok "$name: runner ran"
        sed 's/^/#   /' "$E2E_TMP/$name.err" | tail -10 >&2
        return
    fi
    echo "# $name: $(grep '^interval' "$out" | tr '\t' ' ')"
    local id st1 n1 st2 n2 pts last msg want
    while IFS=$'\t' read -r id st1 n1 st2 n2 pts last msg; do
        [ "$id" = interval ] && continue
        want=data
        case "$name:$id" in
            *:mysql.replication-lag#*) want=empty ;;  # no replica in this test
        esac
        if [ "$st1" != success ] || [ "$st2" != success ]; then
            not_ok "$name: $id accepted by Prometheus -- $msg"
        elif [ "$want" = data ] && { [ "$n1" -eq 0 ] || [ "$n2" -eq 0 ] || [ "$pts" -eq 0 ]; }; then
            not_ok "$name: $id returns data -- instant $n1 series, range $n2 series $pts points"
        elif [ "$want" = empty ] && [ "$n1" -ne 0 ]; then
            not_ok "$name: $id returns nothing without a replica -- $n1 series"
        else
            ok "$name: $id success (instant $n1 series, range $n2 series / $pts points)"
        fi
    done <"$out"
}
run_all prom-a "$PROM_A"
run_all prom-b "$PROM_B"

value() { awk -F'\t' -v id="$2" '$1 == id { print $7 }' "$E2E_TMP/$1.results"; }
between() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v + 0 == v && v > lo && v < hi) }'; }
check "prom-a: mysql.up is 1" [ "$(value prom-a 'mysql.up#1')" = 1 ]
check "prom-a: mysql max_connections is 200 (the dataplane starts MariaDB with --max-connections=200)" [ "$(value prom-a 'mysql.connections#3')" = 200 ]
check "prom-a: traefik.rps > 0 (v2 names, label service)" between "$(value prom-a 'traefik.rps#1')" 0 100000
check "prom-b: traefik.rps > 0 (v3 names, label exported_service)" between "$(value prom-b 'traefik.rps#1')" 0 100000
check "prom-a: traefik.5xx ratio in (0, 1)" between "$(value prom-a 'traefik.5xx#1')" 0 1
check "prom-b: traefik.5xx ratio in (0, 1)" between "$(value prom-b 'traefik.5xx#1')" 0 1
check "prom-a: haproxy.5xx ratio in (0, 1)" between "$(value prom-a 'haproxy.5xx#1')" 0 1
check "prom-a: traefik.latency p50 within the buckets" between "$(value prom-a 'traefik.latency#1')" 0 5.0001
check "prom-b: traefik.connections (v3 traefik_open_connections) answers" \
    grep -q $'^traefik.connections#1\tsuccess\t1\t' "$E2E_TMP/prom-b.results"
check "prom-a: mysql.bp-usage in (0, 1]" between "$(value prom-a 'mysql.bp-usage#1')" 0 1.0001
v2rps=$(value prom-a 'traefik.rps#1'); harps=$(value prom-a 'haproxy.rps#1')
check "Traefik stand-in rate follows HAProxy's (v2 $v2rps vs HAProxy $harps req/s)" \
    awk -v a="$v2rps" -v b="$harps" 'BEGIN { exit !(a > 0 && b > 0 && a / b > 0.5 && a / b < 2) }'

# A PromQL error comes back with Prometheus' own text.
cat > "$E2E_TMP/bad.panels" <<'EOF'
group bad
    title Broken on purpose
panel bad.syntax
    title Unclosed parenthesis
    query sum(rate(up[$interval])
EOF
KDECK_PANELS=$E2E_TMP/bad.panels "$E2E_TMP/runner" "$PROM_A" app front >"$E2E_TMP/bad.results" 2>&1
check "a PromQL syntax error is reported with Prometheus' text" \
    grep -q $'^bad.syntax#1\tquery failed\t0\tquery failed\t0\t0\tnan\tquery error (bad_data): invalid parameter "query": 1:' \
    "$E2E_TMP/bad.results"

stop_dataplane
check "data plane stopped by pid" e2e_wait_gone "$DP_PID" 1
check "no server of this test left running" \
    bash -c '! find "$1" -name "*.pid" -exec cat {} + 2>/dev/null | while read -r p; do [ -r /proc/$p/cmdline ] && tr -d "\0" </proc/$p/cmdline | grep -q . && echo "$p"; done | grep -q .' _ "$DP"
e2e_done
