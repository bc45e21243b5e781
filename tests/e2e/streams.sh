#!/bin/bash
# Log panes and shells against kubesim's real pod processes (the kubelet): a shell in a container
# through tmux (type a command, see its output, exit with a status, TUI restored), the container
# picker, `previous` logs of a crashed container, a 1 MB/s log flood (memory bounded, keys answered),
# and the fallback to chunked HTTP when the server refuses the WebSocket upgrade.
. "$(dirname "$0")/lib.sh"

SIM=$E2E_TMP/sim
start_kubesim "$SIM" --seed-app --ingress-port 0 || { not_ok "kubesim starts"; e2e_done; }
T=$E2E_TMP
wait_for 60 sh -c "kubectl -n app get deploy back front mysql -o jsonpath='{.items[*].status.availableReplicas}' | grep -qE '^2 2 1$'"

SOCK="kdeck-streams-$$"
tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
trap 'tm kill-server 2>/dev/null; e2e_cleanup' EXIT
pane() { tm capture-pane -p -t s 2>/dev/null; }
pane_has() { pane | grep -qF -- "$1"; }
pane_matches() { pane | grep -qE -- "$1"; }
keys() { tm send-keys -t s "$@"; }
type_line() { tm send-keys -t s -l "$1"; tm send-keys -t s Enter; }

tm new-session -d -s s -x 120 -y 30 "env TERM=xterm-256color LANG=C.UTF-8 KUBECONFIG=$SIM/admin.kubeconfig XDG_STATE_HOME=$T/state $KDECK_BIN -n app"
check "kdeck shows the real pods" wait_for 30 pane_matches '^back-[a-z0-9]+-[a-z0-9]{5} +1/1 +Running'

# 1. A shell in the first back pod: a command's output, then exit 3; the TUI comes back.
keys s
check "s opens a shell in the container" wait_for 15 pane_has 'kdeck: shell in app/back-'
wait_for 10 pane_matches '[#$] *$'
type_line 'echo hello-$((6*7)) from $POD_NAME'
check "the shell runs commands in the pod's environment" wait_for 10 pane_matches '^hello-42 from back-'
type_line 'exit 3'
check "leaving the shell restores the table" wait_for 10 pane_matches '^back-[a-z0-9]+-[a-z0-9]{5} +1/1 +Running'
check "the exit status is reported" wait_for 5 pane_matches 'shell in app/back-[a-z0-9-]+/back exited with status 3'
check "the shell is in kdeck's own audit log (0600)" sh -c "grep -q '\"verb\":\"create\".*pods/exec/app/back-.*exit status 3' '$T/state/kdeck/audit.log' && [ \"\$(stat -c %a '$T/state/kdeck/audit.log')\" = 600 ]"

# 2. A pod with two containers asks which one.
keys -l '/mysql'
keys Enter
wait_for 5 pane_matches '^mysql-'
keys s
check "two containers: a picker asks which" wait_for 10 pane_has 'Shell in which container of mysql-'
check "the picker lists both containers" wait_for 5 sh -c "tmux -L '$SOCK' capture-pane -p -t s | grep -q mysqld-exporter"
keys Escape
check "Esc cancels the picker" wait_for 5 pane_matches '^mysql-[a-z0-9]+-[a-z0-9]{5} +2/2'
keys Escape

# 3. A container that crashes: P shows the previous instance's log with the crash message.
kubectl -n app create deployment crasher --image=registry.local/crasher:1 --port=8080 >/dev/null
kubectl -n app set env deploy/crasher CRASH_AFTER=1 LOG_RATE=2 >/dev/null
wait_for 60 sh -c "kubectl -n app get pods -l app=crasher -o jsonpath='{.items[*].status.containerStatuses[0].restartCount}' | grep -qE '^[1-9]'"
keys Escape
keys -l '/crasher'
keys Enter
check "the crashing pod is listed" wait_for 20 pane_matches '^crasher-'
keys l
check "l opens its log pane" wait_for 10 pane_has 'Logs pods/crasher-'
keys P
check "P shows the previous instance's log" wait_for 20 pane_has 'crashing: CRASH_AFTER=1.0s reached, exiting with code 1'
check "the title says previous" pane_matches 'Logs pods/crasher-.*previous'
keys Escape
keys Escape

# 4. A 1 MB/s log flood: memory stays bounded and keys are still answered at once.
kubectl -n app create deployment flood --image=registry.local/flood:1 --port=8080 >/dev/null
kubectl -n app set env deploy/flood LOG_RATE=1000 LOG_LINE_BYTES=1000 >/dev/null
wait_for 60 sh -c "kubectl -n app get pods -l app=flood --field-selector=status.phase=Running -o name | grep -q pod/"
sleep_until() { local t=$1; while [ $SECONDS -lt $t ]; do sleep 0.2; done; }
keys -l '/flood'
keys Enter
check "the flood pod is listed" wait_for 20 pane_matches '^flood-.*Running'
keys l
check "the flood's lines arrive" wait_for 15 pane_matches '^.{20}.*(INFO|log)'
KPID=$(pgrep -P "$(tm display-message -p -t s '#{pane_pid}')" | head -1)
[ -z "$KPID" ] && KPID=$(tm display-message -p -t s '#{pane_pid}')
rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
start=$SECONDS
rss0=$(rss "$KPID")
sleep_until $((start + 20))     # the flood itself is what is measured: 20 s of it
rss1=$(rss "$KPID")
echo "# kdeck RSS during the flood: ${rss0} kB -> ${rss1} kB"
if [ -z "${ASAN_OPTIONS:-}" ]; then # ASan's shadow memory and quarantine make RSS meaningless
    check "RSS stays bounded under a 1 MB/s flood (< 80 MB)" test "${rss1:-999999}" -lt 81920
    check "RSS does not keep growing (< 25 MB more after 20 s)" test $(( ${rss1:-999999} - ${rss0:-0} )) -lt 25600
fi
t0=$(date +%s%N)
keys '?'
wait_for 5 pane_has 'Log panes'
t1=$(date +%s%N)
echo "# key answered in $(( (t1 - t0) / 1000000 )) ms (including tmux round trips)"
check "a key press is answered during the flood (< 500 ms through tmux)" test $(( (t1 - t0) / 1000000 )) -lt 500
keys q
tm kill-server 2>/dev/null

# 5. A server that refuses the WebSocket upgrade: the pane falls back to chunked HTTP.
SIM2=$E2E_TMP/sim2
start_kubesim "$SIM2" --seed-app --virtual --pod-start-delay 0.2 --no-log-websocket || not_ok "second kubesim starts"
run_script fallback 120 24 --kubeconfig "$SIM2/admin.kubeconfig" -n app <<EOF
:wait-match ^front-[a-z0-9]+-[a-z0-9]{5} +1/1
/front
l
:wait-match GET /health.*\(2\)
:save-display $T/fallback.txt
:quit
EOF
check "fallback script runs" test $? -eq 0
check "WebSocket refused: the pane uses HTTP" grep -q '\[1 stream, http\]' "$T/fallback.txt"
check "WebSocket refused: the lines still arrive" grep -q 'GET /health' "$T/fallback.txt"
check "the server saw the refused upgrade (400) and then the HTTP stream" \
    sh -c "grep '/log' '$SIM2/audit.log' | grep -q '\"code\": *400' && grep '/log' '$SIM2/audit.log' | grep -q '\"code\": *200'"

e2e_done
