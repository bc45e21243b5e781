#!/bin/bash
# Scripted screen tests of the browsing TUI against kubesim (virtual pods): listing, drill-down,
# filter, sort, describe, help, contexts, live changes made with kubectl, and an API server that
# dies and comes back. kdeck runs on a virtual screen (KDECK_NO_DISPLAY=1); each script step waits
# until no request is in flight, and :save-display dumps the screen as text.
. "$(dirname "$0")/lib.sh"

SIM=$E2E_TMP/sim
start_kubesim "$SIM" --seed-app --virtual --pod-start-delay 0.2 || { not_ok "kubesim starts"; e2e_done; }
export KUBECONFIG="$SIM/admin.kubeconfig:$SIM/viewer.kubeconfig"
T=$E2E_TMP
# Ages change between runs: blank them (the AGE column and "Ns" durations) before exact comparisons.
norm_age() { sed -E -e 's/(^| )[0-9]+(s|m[0-9]*s?|h[0-9]*m?|d[0-9]*h?)( +|$)/\1AGE\3/g' -e 's/ +$//' "$1"; }

# 1. The pods of a namespace, the deployments, and drill-down from a deployment to its pods.
run_script browse 100 24 -n app <<EOF
:wait-for mysql-
:wait-for Completed
:wait-for 2/2
:wait-nomatch ^[a-z].* 0/[0-9] +Running
:save-display $T/pods.txt
:deploy
:wait-for mysql
:save-display $T/deploy.txt
<Down>
<Enter>
:save-display $T/drill.txt
<Esc>
:save-display $T/back.txt
:quit
EOF
check "script runs to the end" test $? -eq 0
check "header names context, namespace and user" grep -qE '^ kdeck . ctx:kubesim . ns:app . user:admin' "$T/pods.txt"
check "header shows the API as reachable" screen_has "$T/pods.txt" "API ok"
check "title counts the pods" grep -q ' Pods (app) \[6\]' "$T/pods.txt"
check "pod columns as kubectl prints them" grep -qE '^NAME +READY +STATUS +RESTARTS +AGE' "$T/pods.txt"
check "running back pod row" grep -qE '^back-[a-z0-9]+-[a-z0-9]{5} +1/1 +Running +0 ' "$T/pods.txt"
check "mysql pod with its exporter sidecar is 2/2" grep -qE '^mysql-[a-z0-9]+-[a-z0-9]{5} +2/2 +Running' "$T/pods.txt"
check "the migration job's pod is Completed" grep -qE '^db-migrate-[a-z0-9]{5} +0/1 +Completed' "$T/pods.txt"
norm_age "$T/deploy.txt" | sed -n '2,7p' > "$T/deploy.norm"
cat > "$T/deploy.expected" <<'EOF'
 Deployments (app) [3]
NAME   READY  UP-TO-DATE  AVAILABLE  AGE
back   2/2    2           2          AGE
front  2/2    2           2          AGE
mysql  1/1    1           1          AGE

EOF
check "deployments table, exactly" same_text "$T/deploy.expected" "$T/deploy.norm"
check "drill-down title names the deployment" grep -q ' Pods of deployment front (app) \[2/6\]' "$T/drill.txt"
check "drill-down lists only its pods" test "$(grep -cE '^front-' "$T/drill.txt")" -eq 2 -a "$(grep -cE '^(back|mysql)-' "$T/drill.txt")" -eq 0
check "Esc goes back to the deployments" grep -q ' Deployments (app)' "$T/back.txt"

# 2. Filter (substring, negation, label selector), sort, describe, help, wide, all namespaces.
run_script filter 100 24 -n app <<EOF
:wait-for mysql-
/front
:save-display $T/f_text.txt
<Esc>
/!front
:save-display $T/f_not.txt
<Esc>
/-l app=back
:save-display $T/f_label.txt
/-l app in (
:save-display $T/f_bad.txt
<Esc>
:sort name desc
:save-display $T/sort.txt
:deploy
:wait-for front
/back
d
:wait-for kind: Deployment
:save-display $T/describe.txt
G
:wait-for Events:
/replicas
:save-display $T/describe_search.txt
<Esc>
<Esc>
?
:save-display $T/help.txt
<Esc>
:pods
:ns all
:wait-for prometheus
:save-display $T/allns.txt
:svc
:wait-for mysql
w
:save-display $T/svc_wide.txt
:quit
EOF
check "filter script runs" test $? -eq 0
check "substring filter keeps 2 of 6 pods" grep -q ' Pods (app) \[2/6\]  filter: front' "$T/f_text.txt"
check "negated filter drops front pods" test "$(grep -cE '^front-' "$T/f_not.txt")" -eq 0 -a "$(grep -cE '^back-' "$T/f_not.txt")" -eq 2
check "label selector filter" test "$(grep -cE '^back-' "$T/f_label.txt")" -eq 2 -a "$(grep -cE '^(front|mysql)-' "$T/f_label.txt")" -eq 0
check "a bad selector says so" screen_has "$T/f_bad.txt" "filter:"
awk 'NR>=4 && NR<=9 {print $1}' "$T/sort.txt" > "$T/sort.names"
sort -r "$T/sort.names" > "$T/sort.expected"
check "sort by name descending" same_text "$T/sort.expected" "$T/sort.names"
check "sorted column is marked" grep -qE '^NAME(↓|v) ' "$T/sort.txt"
check "describe shows the full object" grep -q '^kind: Deployment' "$T/describe.txt"
check "describe title" screen_has "$T/describe.txt" "Describe Deployment/back (app)"
check "describe search jumps to the match" grep -q 'replicas' "$T/describe_search.txt"
check "help lists the table keys from the keymap" screen_has "$T/help.txt" "describe the selected object"
check "all namespaces adds the NAMESPACE column" grep -qE '^NAMESPACE +NAME +READY' "$T/allns.txt"
check "all namespaces shows monitoring" grep -qE '^monitoring +prometheus-' "$T/allns.txt"
check "wide services show the selector" grep -qE 'SELECTOR' "$T/svc_wide.txt"

# 3. Completion on the command line, themes (flag, config file, :theme) and the colour grid.
mkdir -p "$XDG_CONFIG_HOME/kdeck"
printf 'theme: mono\n' > "$XDG_CONFIG_HOME/kdeck/config"
run_script complete 100 24 -n app <<EOF
:wait-for mysql-
:save-colors $T/mono.colors
:theme default
:wait-for 2/2
:save-colors $T/default.colors
:save-display $T/default.txt
<colon>
d
e
p
<Tab>
:save-display $T/complete1.txt
<Enter>
:wait-for Deployments
:save-display $T/complete2.txt
<colon>
n
s
<Space>
m
o
<Tab>
<Enter>
:wait-for ns:monitoring
:save-display $T/complete3.txt
:quit
EOF
check "completion script runs" test $? -eq 0
rm -f "$XDG_CONFIG_HOME/kdeck/config"
check "Tab lists the candidates" grep -qE 'deploy +deployment +deployments|deploy deployment deployments' "$T/complete1.txt"
check "completed command opens the view" grep -q ' Deployments (app)' "$T/complete2.txt"
check "namespace names complete" grep -q 'ns:monitoring' "$T/complete3.txt"
# Colour grid: one theme-element letter per cell (docs/themes.md). Row 4 is the selected row (s),
# the header row 1 is H/C/N/O; in the mono theme the same cells are attributes only.
check "colour grid: selected row" grep -qE '^s{100}$' <(sed -n 4p "$T/default.colors")
check "colour grid: header and API state" grep -q 'O' <(sed -n 1p "$T/default.colors")
running_col=$(sed -n 5p "$T/default.txt" | grep -bo 'Running' | head -1 | cut -d: -f1)
check "colour grid: Running drawn as status.ok" test "$(sed -n 5p "$T/default.colors" | cut -c$((running_col + 1))-$((running_col + 7)))" = "ggggggg"
check "config file theme: mono draws no status colours" test "$(sed -n 5p "$T/mono.colors" | grep -c g)" -eq 0

# 4. Contexts: two merged kubeconfigs, switch to the viewer.
run_script ctx 100 24 <<EOF
:wait-for Pods (default)
:ctx
:save-display $T/ctx.txt
<Down>
<Enter>
:wait-for user:viewer
:save-display $T/ctx_viewer.txt
:quit
EOF
check "contexts script runs" test $? -eq 0
check "contexts view lists both contexts" grep -qE '^\* kubesim +kubesim +admin' "$T/ctx.txt" && grep -qE '^  kubesim-viewer +kubesim +viewer' "$T/ctx.txt"
check "switching context reconnects as the viewer" grep -q 'ctx:kubesim-viewer' "$T/ctx_viewer.txt"

# 5. Live: a pod created with kubectl appears, and disappears when deleted.
start_script live 100 24 -n app <<EOF
:wait-for mysql-
:save-display $T/live0.txt
:wait-for live-probe
:save-display $T/live1.txt
:wait-gone live-probe
:save-display $T/live2.txt
:quit
EOF
wait_for 20 test -e "$T/live0.txt"
kubectl -n app run live-probe --image=registry.local/probe:1 --restart=Never >/dev/null 2>&1
wait_for 20 test -e "$T/live1.txt"
kubectl -n app delete pod live-probe --wait=false >/dev/null 2>&1
finish_script
check "live script runs" test $? -eq 0
check "a pod created with kubectl shows up" grep -qE '^live-probe ' "$T/live1.txt"
check "a pod deleted with kubectl disappears" test "$(grep -c 'live-probe' "$T/live2.txt")" -eq 0

# 6. The API server dies and comes back on the same port: the error is shown, then kdeck recovers.
PORT=$(cat "$SIM/port")
start_script outage 100 24 -n app <<EOF
:wait-for mysql-
:save-display $T/out0.txt
:wait-for unreachable
:save-display $T/out1.txt
:wait-for API ok
:wait-for mysql-
:save-display $T/out2.txt
:quit
EOF
wait_for 20 test -e "$T/out0.txt"
stop_pid "$KUBESIM_PID"
wait_for 30 test -e "$T/out1.txt"
rm -f "$SIM/ready"
start_kubesim "$SIM" --seed-app --virtual --pod-start-delay 0.2 --port "$PORT" || not_ok "kubesim restarts"
finish_script
check "outage script runs" test $? -eq 0
check "a dead API server is shown in the header" screen_has "$T/out1.txt" "API unreachable, retry in"
check "the status line says what failed" grep -qE '(cannot connect to|connection to) https://127.0.0.1:[0-9]+' "$T/out1.txt"
check "kdeck recovers without a restart" grep -qE '^mysql-' "$T/out2.txt" && screen_has "$T/out2.txt" "API ok"

e2e_done
