#!/bin/bash
# Log panes against kubesim: follow one pod; follow a deployment's pods with prefixes, then scale it
# with kubectl and see the new pods join and the removed ones marked as ended; the saved file; and a
# dropped stream (the API server killed and restarted) marked and resumed without repeated lines.
. "$(dirname "$0")/lib.sh"

SIM=$E2E_TMP/sim
start_kubesim "$SIM" --seed-app --virtual --pod-start-delay 0.2 || { not_ok "kubesim starts"; e2e_done; }
T=$E2E_TMP

# 1. One pod, then the deployment: lines prefixed by their pod.
run_script pod 120 24 -n app <<EOF
:wait-match ^front-[a-z0-9]+-[a-z0-9]{5} +1/1 +Running
:deploy
:wait-for front
<Down>
l
:wait-match ^front-[a-z0-9]+-[a-z0-9]{5} .*GET /health
:wait-match ^front-[a-z0-9]+-[a-z0-9]{5} .*\([3-9]\) *$
:save-display $T/deploy_logs.txt
s
:save-display $T/saved.txt
t
:save-display $T/timestamps.txt
:quit
EOF
check "log script runs" test $? -eq 0
check "title names the deployment and its streams" grep -qE ' Logs deployments/front \(app\) \[2 streams, (websocket|http)\] following' "$T/deploy_logs.txt"
check "each line is prefixed with its pod" test "$(grep -cE '^front-[a-z0-9]+-[a-z0-9]{5} ' "$T/deploy_logs.txt")" -ge 5
check "both pods' lines are there" test "$(grep -oE '^front-[a-z0-9]+-[a-z0-9]{5}' "$T/deploy_logs.txt" | sort -u | wc -l)" -eq 2
saved=$(grep -oE '/[^ ]+/kdeck/logs/app-front-[0-9TZ]+\.log' "$T/saved.txt" | head -1)
check "s saves the pane to a file under XDG_STATE_HOME" test -n "$saved" -a -s "${saved:-/nonexistent}"
check "the saved file is private (0600 in a 0700 directory)" sh -c "[ \"\$(stat -c %a '$saved')\" = 600 ] && [ \"\$(stat -c %a \"\$(dirname '$saved')\")\" = 700 ]"
check "t shows timestamps" grep -qE '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z front-' "$T/timestamps.txt"

# Split screen: the pane under the table; Tab moves the keyboard to the table, l there switches
# the pane to the selected row.
run_script split 170 30 -n app <<EOF
:deploy
:wait-for front
l
:wait-match ^back-[a-z0-9]+-[a-z0-9]{5} .*GET
f
:save-display $T/split1.txt
<Tab>
<Down>
l
:wait-match ^front-[a-z0-9]+-[a-z0-9]{5} .*GET
:save-display $T/split2.txt
<Tab>
<Down>
L
:wait-match  mysql-[a-z0-9]+-[a-z0-9]{5}/mysql
:save-display $T/split3.txt
:quit
EOF
check "split script runs" test $? -eq 0
check "split: the table stays on top" grep -qE '^ Deployments \(app\) \[3\]' "$T/split1.txt" && grep -qE '^back +2/2' "$T/split1.txt"
check "split: the pane below has its own title" grep -qE '^ Logs deployments/back \(app\)' "$T/split1.txt"
check "split: l in the table switches the pane" grep -qE '^ Logs deployments/front \(app\)' "$T/split2.txt" && ! grep -q 'Logs deployments/back' "$T/split2.txt"
check "split: L adds a pane beside (two titles on one row at 160+ columns)" grep -qE '^ Logs deployments/front .* Logs deployments/mysql' "$T/split3.txt"

# 2. Scale with kubectl while following: new pods join, removed pods are marked as ended.
start_script scale 120 40 -n app <<EOF
:deploy
:wait-for front
<Down>
l
:wait-match \[2 streams
:save-display $T/scale0.txt
:wait-match \[4 streams
:wait-match ^front-[a-z0-9]+-[a-z0-9]{5} .*GET
:save-display $T/scale1.txt
:wait-match \[1 stream
:wait-for is gone: stream ended
:save-display $T/scale2.txt
:quit
EOF
wait_for 30 test -e "$T/scale0.txt"
kubectl -n app scale deploy/front --replicas=4 >/dev/null
wait_for 30 test -e "$T/scale1.txt"
kubectl -n app scale deploy/front --replicas=1 >/dev/null
finish_script
check "scale script runs" test $? -eq 0
check "scaling up: the new pods join the pane" grep -q '\[4 streams' "$T/scale1.txt"
check "scaling down: the removed pods are marked as ended" grep -qE -- '--- pod front-[a-z0-9]+-[a-z0-9]{5} is gone: stream ended ---' "$T/scale2.txt"

# 3. The stream drops (a proxy between kdeck and the API cuts every connection): a marker says so,
# the stream resumes from its last timestamp, and no line repeats.
python3 "$E2E_ROOT/tests/e2e/tcpproxy.py" 0 "$(cat "$SIM/port")" "$T/proxy.port" &
PROXY_PID=$!
E2E_PIDS+=("$PROXY_PID")
wait_for 10 test -s "$T/proxy.port"
sed "s|server: https://127.0.0.1:[0-9]*|server: https://127.0.0.1:$(cat "$T/proxy.port")|" "$SIM/admin.kubeconfig" > "$T/proxy.kubeconfig"
chmod 600 "$T/proxy.kubeconfig"
POD=$(kubectl -n app get pods -l app=front -o jsonpath='{.items[0].metadata.name}')
KDECK_LOG_LINES=100000 start_script drop 160 200 --kubeconfig "$T/proxy.kubeconfig" -n app <<EOF
:wait-for $POD
/$POD
l
:wait-match \([0-9]+\) *\$
:save-display $T/drop0.txt
:wait-for stream disconnected
:wait-for stream reconnected
t
:save-display $T/drop1.txt
:quit
EOF
wait_for 30 test -e "$T/drop0.txt"
kill -USR1 "$PROXY_PID"
finish_script
check "drop script runs" test $? -eq 0
check "the drop is marked in the pane" grep -qE -- '--- stream disconnected: .*; reconnecting ---' "$T/drop1.txt"
check "the reconnect is marked in the pane" grep -qE -- '--- stream reconnected \((websocket|http)\) ---' "$T/drop1.txt"
# No line appears twice (each log line carries its own timestamp and counter).
grep -E '^20[0-9]{2}-' "$T/drop1.txt" | sed 's/ *$//' | sort | uniq -d > "$T/dups.txt"
check "no line is repeated after the reconnect" test ! -s "$T/dups.txt"

e2e_done
