#!/bin/bash
# Kubelet fidelity gate: kubesim WITHOUT --virtual (real pod processes, real MariaDB/exporter/Prometheus,
# Services through a real HAProxy) driven by real kubectl. Prints "ok - NAME" / "not ok - NAME" per
# check and ends with "N passed, N failed"; exits non-zero when any check failed.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
D=$(mktemp -d /tmp/kubelet_gate.XXXXXX)
KS_PID=
T0=$SECONDS

cleanup() {
    tmux -L "kgate$$" kill-server 2>/dev/null
    if [ -n "$KS_PID" ] && [ -e "/proc/$KS_PID" ]; then
        kill "$KS_PID" 2>/dev/null
        for _ in $(seq 150); do [ -e "/proc/$KS_PID" ] || break; sleep 0.1; done
        kill -9 "$KS_PID" 2>/dev/null
    fi
    [ -n "${KEEP:-}" ] || rm -rf "$D"
}
trap cleanup EXIT

. "$(dirname "$0")/gate_lib.sh"

[ -x "${PODAPP_BIN:-build/podapp}" ] || make -s build/podapp >/dev/null 2>&1
export PODAPP_BIN=${PODAPP_BIN:-$ROOT/build/podapp}

T_START=$(date +%s.%N)
python3 "$ROOT/tests/kubesim/kubesim.py" --state-dir "$D/state" --seed-app --ingress-port 0 >"$D/kubesim.log" 2>&1 &
KS_PID=$!
if ! wait_for 20 test -f "$D/state/ready"; then
    notok "kubesim starts (kubelet mode)" "$(cat "$D/kubesim.log")"
    echo "$passed passed, $failed failed"; exit 1
fi
ok "kubesim starts (kubelet mode)"

export KUBECONFIG="$D/state/admin.kubeconfig"
VIEWER="$D/state/viewer.kubeconfig"
K() { kubectl --cache-dir "$D/kcache" --request-timeout=30s "$@"; }
KV() { kubectl --kubeconfig "$VIEWER" --cache-dir "$D/kcache-viewer" --request-timeout=20s "$@"; }
INGRESS=$(cat "$D/state/ingress-port")

# ---- the seed app comes up for real ------------------------------------------------------------
seed_ready() {
    K -n app wait --for=condition=Available deploy/mysql deploy/back deploy/front --timeout=1s &&
    K -n monitoring wait --for=condition=Available deploy/prometheus --timeout=1s
}
if wait_for 60 seed_ready; then
    ok "seed app deployments Available with real processes"
    echo "# seed app Available $(echo "$(date +%s.%N) - $T_START" | bc | cut -c1-5) s after kubesim was started"
else
    notok "seed app deployments Available" "$(K get pods -A -o wide 2>&1; tail -20 "$D/kubesim.log")"
fi
check "pods have their own 127.1.x.y IPs" 0 '127\.1\.[0-9]+\.[0-9]+' -- K -n app get pods -l app=back -o wide
check "pod process really listens on its IP:port (pod proxy)" 0 '^back 1\.0\.0 back-' -- \
    K get --raw "/api/v1/namespaces/app/pods/$(K -n app get pods -l app=back -o jsonpath='{.items[0].metadata.name}'):8080/proxy/"
check "Services get loopback ClusterIPs" 0 '^back +ClusterIP +127\.2\.' -- K -n app get svc back
check "db-migrate Job completes for real" 0 'condition met' -- K -n app wait --for=condition=Complete job/db-migrate --timeout=30s
check "Job pod log is the process output" 0 'job db-migrate 1\.0\.0 started' -- K -n app logs job/db-migrate

# ---- ingress through HAProxy ------------------------------------------------------------------
ing() { curl -s --max-time 5 -H 'Host: app.local' "http://127.0.0.1:$INGRESS$1"; }
check "ingress / answers from front" 0 '^front 1\.0\.0 front-' -- ing /
check "ingress /api/orders answers from back" 0 '^back 1\.0\.0 back-' -- ing /api/orders
check "ingress unknown host is 404" 0 '^404$' -- curl -s -o /dev/null -w '%{http_code}' -H 'Host: nope.local' "http://127.0.0.1:$INGRESS/"
check "ingress status has the address" 0 '127\.0\.0\.1' -- K -n app get ingress app

# ---- Prometheus in monitoring scrapes the real exporter ---------------------------------------
promq() { K get --raw "/api/v1/namespaces/monitoring/services/prometheus:9090/proxy/api/v1/query?query=$1"; }
mysql_up() { promq 'mysql_up' | grep -q '"value":\[[0-9.]*,"1"\]'; }
if wait_for 60 mysql_up; then
    ok "Prometheus (service proxy) answers mysql_up == 1"
    echo "# mysql_up == 1 in Prometheus $(echo "$(date +%s.%N) - $T_START" | bc | cut -c1-5) s after kubesim was started"
else
    notok "Prometheus answers mysql_up == 1" "$(promq mysql_up 2>&1)"
fi
haproxy_up() { promq 'haproxy_process_nbthread' | grep -q '"job":"haproxy"'; }
check "Prometheus scrapes HAProxy's exporter" 0 '' -- wait_for 30 haproxy_up

# ---- logs ---------------------------------------------------------------------------------------
K apply --validate=false -f - >/dev/null <<'EOF'
{"apiVersion":"v1","kind":"List","items":[
 {"apiVersion":"v1","kind":"Pod","metadata":{"name":"chatty","namespace":"default","labels":{"app":"chatty"}},
  "spec":{"containers":[{"name":"app","image":"registry.local/chatty:2.0","env":[{"name":"LOG_RATE","value":"10"}],
          "ports":[{"containerPort":8080}]}]}},
 {"apiVersion":"v1","kind":"Pod","metadata":{"name":"crasher","namespace":"default"},
  "spec":{"containers":[{"name":"app","image":"registry.local/crasher:1.0","env":[{"name":"CRASH_AFTER","value":"1"}],
          "ports":[{"containerPort":8080}]}]}},
 {"apiVersion":"v1","kind":"Pod","metadata":{"name":"runner","namespace":"default"},
  "spec":{"restartPolicy":"Never","containers":[{"name":"app","image":"registry.local/runner:1.0",
          "env":[{"name":"RUN_FOR","value":"2"},{"name":"EXIT_CODE","value":"0"}]}]}}
]}
EOF
wait_for 20 K wait --for=condition=Ready pod/chatty --timeout=1s
out=$(timeout 3 kubectl --cache-dir "$D/kcache" logs -f chatty 2>&1)
if [ "$(grep -c 'podapp\|GET\|POST\|cache\|db pool\|slow\|upstream\|background' <<<"$out")" -ge 10 ]; then
    ok "logs -f streams lines the process writes ($(wc -l <<<"$out") lines in 3 s)"
else
    notok "logs -f streams lines the process writes" "$out"
fi
check "logs --tail=2 --timestamps" 0 '^20[0-9-]+T[0-9:]+\.[0-9]{9}Z ' -- K logs chatty --tail=2 --timestamps
check "logs --tail=3 gives 3 lines" 0 '^3$' -- sh -c "kubectl --cache-dir '$D/kcache' logs chatty --tail=3 | wc -l"
check "logs --limit-bytes=10" 0 '^10$' -- sh -c "kubectl --cache-dir '$D/kcache' logs chatty --limit-bytes=10 | wc -c"
wait_for 20 K wait --for=condition=Ready=false pod/runner --timeout=1s
out=$(timeout 15 kubectl --cache-dir "$D/kcache" logs -f runner 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q 'job finished successfully' <<<"$out"; then
    ok "logs -f ends when the container ends"
else
    notok "logs -f ends when the container ends" "rc=$rc $out"
fi
check "a bare restartPolicy=Never pod Succeeds" 0 'Completed' -- K get pod runner
restarted() { [ "$(K get pod crasher -o jsonpath='{.status.containerStatuses[0].restartCount}')" -ge 1 ]; }
if wait_for 30 restarted; then ok "a crashing container is restarted (restartCount >= 1)"; else
    notok "a crashing container is restarted" "$(K get pod crasher -o yaml)"; fi
check "lastState.terminated has the exit code" 0 '^1 Error$' -- \
    K get pod crasher -o jsonpath='{.status.containerStatuses[0].lastState.terminated.exitCode} {.status.containerStatuses[0].lastState.terminated.reason}'
check "logs --previous shows the crashed instance" 0 'crash|exit' -- K logs crasher --previous
check "logs --previous without a previous instance is the real 400" 1 'previous terminated container "app" in pod "chatty" not found' -- K logs chatty --previous
crashloop() { K get pod crasher | grep -q CrashLoopBackOff; }
check "repeated crashes show CrashLoopBackOff" 0 '' -- wait_for 30 crashloop

# ---- exec -------------------------------------------------------------------------------------
check "exec -- echo hi" 0 '^hi$' -- K exec chatty -- echo hi
check "exec has the pod's env" 0 '^127\.1\.[0-9]+\.[0-9]+ chatty 2\.0$' -- K exec chatty -- sh -c 'echo $POD_IP $POD_NAME $VERSION'
check "exec exit code is kubectl's" 3 'command terminated with exit code 3' -- K exec chatty -- sh -c 'exit 3'
check "exec stdin (-i)" 0 '^piped$' -- sh -c "echo piped | kubectl --cache-dir '$D/kcache' exec -i chatty -- cat"
check "viewer may not exec (403)" 1 'forbidden' -- KV exec chatty -- echo hi
TM="tmux -L kgate$$ -f /dev/null"
$TM new-session -d -x 120 -y 30 "KUBECONFIG=$KUBECONFIG kubectl --cache-dir $D/kcache exec -it chatty -- /bin/sh; echo EXEC-ENDED; sleep 30"
sh_prompt() { $TM capture-pane -p | grep -q '#'; }
wait_for 15 sh_prompt
$TM send-keys 'echo tty-$((6*7)); stty size' Enter
tty_out() { $TM capture-pane -p | grep -q '^tty-42$'; }
if wait_for 10 tty_out && $TM capture-pane -p | grep -q '^30 120$'; then ok "exec -it (tmux): command output and the terminal size"; else
    notok "exec -it (tmux)" "$($TM capture-pane -p)"; fi
$TM send-keys 'exit' Enter
ended() { $TM capture-pane -p | grep -q EXEC-ENDED; }
check "exec -it ends with exit" 0 '' -- wait_for 10 ended
$TM kill-server 2>/dev/null

WS() { python3 "$ROOT/tests/kubesim/wsclient.py" "$D/state" "$@"; }
check "logs over WebSocket (binary.k8s.io)" 0 '^raw .+' -- WS binary.k8s.io "/api/v1/namespaces/default/pods/chatty/log?tailLines=2"
check "logs over WebSocket (base64.binary.k8s.io)" 0 '^b64 .+' -- WS base64.binary.k8s.io "/api/v1/namespaces/default/pods/chatty/log?tailLines=2"
check "exec over v4.channel.k8s.io: stdout" 0 '^1 v4-ok$' -- WS v4.channel.k8s.io "/api/v1/namespaces/default/pods/chatty/exec?command=echo&command=v4-ok&stdout=true"
check "exec over v4.channel.k8s.io: Success on the error channel" 0 '^3 \{"metadata":\{\},"status":"Success"\}' -- \
    WS v4.channel.k8s.io "/api/v1/namespaces/default/pods/chatty/exec?command=true&stdout=true"
check "exec over v5: NonZeroExitCode with the ExitCode cause" 0 '^3 .*"reason":"NonZeroExitCode".*"reason":"ExitCode","message":"5"' -- \
    WS v5.channel.k8s.io "/api/v1/namespaces/default/pods/chatty/exec?command=sh&command=-c&command=exit%205&stdout=true"
check "exec over v5: stdin and its close signal" 0 '^1 abc$' -- \
    WS v5.channel.k8s.io "/api/v1/namespaces/default/pods/chatty/exec?command=cat&stdin=true&stdout=true" --stdin abc

# ---- liveness and Jobs that fail -----------------------------------------------------------------
K apply --validate=false -f - >/dev/null <<'EOF'
{"apiVersion":"v1","kind":"List","items":[
 {"apiVersion":"v1","kind":"Pod","metadata":{"name":"sick","namespace":"default"},
  "spec":{"containers":[{"name":"app","image":"registry.local/sick:1.0","env":[{"name":"UNHEALTHY_AFTER","value":"1"}],
          "ports":[{"containerPort":8080}],
          "livenessProbe":{"httpGet":{"path":"/health","port":8080},"periodSeconds":1,"failureThreshold":2}}]}},
 {"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"failing","namespace":"default"},
  "spec":{"backoffLimit":1,"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"job",
          "image":"registry.local/job:1.0","env":[{"name":"EXIT_CODE","value":"2"},{"name":"RUN_FOR","value":"0.3"}]}]}}}}
]}
EOF
sick_restarted() { [ "$(K get pod sick -o jsonpath='{.status.containerStatuses[0].restartCount}')" -ge 1 ]; }
check "liveness failures restart the container" 0 '' -- wait_for 20 sick_restarted
check "liveness kill is an event" 0 'Container app failed liveness probe, will be restarted' -- K get events --field-selector involvedObject.name=sick
check "a failing Job honours backoffLimit (Failed)" 0 'condition met' -- K wait --for=condition=Failed job/failing --timeout=30s
check "each retry is a new pod with exit code 2" 0 '^2 2 $' -- \
    K get pods -l job-name=failing -o jsonpath='{range .items[*]}{.status.containerStatuses[0].state.terminated.exitCode} {end}'

# ---- readiness and rollout status --------------------------------------------------------------
mkdeploy() { # name version healthy replicas
    cat <<EOF
{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"$1","namespace":"default"},
 "spec":{"replicas":$4,"selector":{"matchLabels":{"app":"sw","version":"$2"}},
  "template":{"metadata":{"labels":{"app":"sw","version":"$2"}},
   "spec":{"terminationGracePeriodSeconds":5,"containers":[{"name":"app","image":"registry.local/sw:$2",
     "env":[{"name":"HEALTHY","value":"$3"}],"ports":[{"containerPort":8080}],
     "readinessProbe":{"httpGet":{"path":"/health","port":8080},"periodSeconds":1}}]}}}}
EOF
}
mkdeploy sw-v1 v1 true 2 | K apply -f - >/dev/null
mkdeploy sw-v2 v2 true 2 | K apply -f - >/dev/null
mkdeploy never v0 false 1 | K apply -f - >/dev/null
K apply --validate=false -f - >/dev/null <<'EOF'
{"apiVersion":"v1","kind":"Service","metadata":{"name":"sw","namespace":"default"},
 "spec":{"selector":{"app":"sw","version":"v1"},"ports":[{"name":"http","port":80,"targetPort":8080}]}}
EOF
check "rollout status: pods really pass readiness" 0 'successfully rolled out' -- K rollout status deploy/sw-v1 --timeout=30s
check "rollout status of never-ready pods times out" 1 'timed out' -- K rollout status deploy/never --timeout=4s
check "never-ready pod is Running 0/1" 0 'never-[a-z0-9-]+ +0/1 +Running' -- K get pods -l version=v0
check "readiness failure events are recorded" 0 'Readiness probe failed: HTTP probe failed with statuscode: 503' -- \
    K get events --field-selector reason=Unhealthy
K rollout status deploy/sw-v2 --timeout=30s >/dev/null 2>&1
SWIP=$(K get svc sw -o jsonpath='{.spec.clusterIP}')
sw_v1() { curl -s --max-time 2 "http://$SWIP/" | grep -q '^sw v1 '; }
check "Service ClusterIP answers through HAProxy (v1)" 0 '' -- wait_for 15 sw_v1

# ---- a Service switch under load drops nothing --------------------------------------------------
wrk -t2 -c16 -d8s "http://$SWIP/" >"$D/wrk.out" 2>&1 &
WRK=$!
sleep 3
K patch svc sw -p '{"spec":{"selector":{"app":"sw","version":"v2"}}}' >/dev/null
wait "$WRK"
reqs=$(awk '/requests in/ {print $1}' "$D/wrk.out")
non2xx=$(awk -F: '/Non-2xx/ {gsub(/ /,"",$2); print $2}' "$D/wrk.out"); non2xx=${non2xx:-0}
sockerr=$(grep -o 'Socket errors:.*' "$D/wrk.out" || true)
echo "# wrk: $reqs requests, non-2xx $non2xx, ${sockerr:-no socket errors}"
if [ -n "$reqs" ] && [ "$reqs" -gt 1000 ] && [ "$non2xx" = 0 ] && [ -z "$sockerr" ]; then
    ok "selector switch v1 -> v2 under wrk: 0 non-2xx, 0 socket errors ($reqs requests)"
else
    notok "selector switch under wrk" "$(cat "$D/wrk.out")"
fi
check "v2 answers after the switch" 0 '^sw v2 ' -- curl -s --max-time 2 "http://$SWIP/"

# ---- deletion: Terminating, then gone; processes stopped ----------------------------------------
pod=$(K get pods -l version=v2 -o jsonpath='{.items[0].metadata.name}')
pip=$(K get pod "$pod" -o jsonpath='{.status.podIP}')
curl -s --max-time 10 "http://$pip:8080/slow?ms=6000" >/dev/null 2>&1 &
SLOW=$!
sleep 0.3
K delete pod "$pod" --grace-period=2 --wait=false >/dev/null
check "a deleting pod shows Terminating" 0 "$pod +[01]/1 +Terminating" -- K get pod "$pod"
check "Endpoints drop a terminating pod at once" 0 '' -- sh -c "! kubectl --cache-dir '$D/kcache' get ep sw -o jsonpath='{.subsets[*].addresses[*].ip}' | grep -qw '$pip'"
t=$SECONDS
check "after the grace period (SIGKILL) the pod is gone" 0 '' -- wait_for 15 sh -c "! kubectl --cache-dir '$D/kcache' get pod $pod >/dev/null 2>&1"
echo "# pod with an in-flight request went away $((SECONDS - t)) s after the check (grace 2 s)"
wait $SLOW 2>/dev/null
pod=$(K get pods -l version=v1 -o jsonpath='{.items[0].metadata.name}')
K delete pod "$pod" --wait=false >/dev/null
check "deleted pod goes away" 0 '' -- wait_for 20 sh -c "! kubectl --cache-dir '$D/kcache' get pod $pod >/dev/null 2>&1"

# ---- shutdown -----------------------------------------------------------------------------------
# every process kubesim started runs in (or names) the state directory
leftovers() {
    local p cwd
    for p in /proc/[0-9]*; do
        cwd=$(readlink "$p/cwd" 2>/dev/null) || continue
        if [[ "$cwd" == "$D"/* ]] || grep -qF "$D/state" "$p/cmdline" 2>/dev/null; then
            [ "${p#/proc/}" = "$KS_PID" ] || echo "${p#/proc/} $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)"
        fi
    done
}
before=$(leftovers | wc -l)
echo "# kubesim runs $before processes"
kill -TERM "$KS_PID"
stopped=1
for _ in $(seq 200); do [ -e "/proc/$KS_PID" ] || { stopped=0; break; }; sleep 0.1; done
wait "$KS_PID" 2>/dev/null; rc=$?
left=$(leftovers)
if [ $stopped -eq 0 ] && [ $rc -eq 0 ] && [ -z "$left" ]; then
    ok "SIGTERM stops kubesim (exit 0) and every process it started"
else
    notok "SIGTERM stops everything" "stopped=$stopped rc=$rc left: $left"
fi
KS_PID=
echo "# kubelet gate took $((SECONDS - T0)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
