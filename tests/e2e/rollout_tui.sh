#!/bin/bash
# The rollout view in a real terminal (tmux) against kubesim WITHOUT --virtual (real podapp pods):
#   (a) 80x24: `r` on deployment web, the v2 image typed into the prompt → the view shows the
#       steps advancing, then "succeeded"; `H` lists it in the history view;
#   (b) 120x40: `:rollout FILE` of a v3 with HEALTHY=false → the health step fails with the pod
#       and 503 in the reason, the rollout ends failed and reverted;
#   (c) a second kdeck, --read-only, in another tmux session, follows a headless
#       `kdeck rollout apply --wait` live from the cluster records; there `a` does nothing and the
#       help has no abort; a rollout started meanwhile from the first kdeck is refused (lock);
#   (d) `a`, confirmed with y, aborts a rollout in its bake: it ends aborted, the switch reverted;
#   (e) a headless `kdeck rollout apply --wait` killed (-9) mid-rollout: the view says "driver gone
#       since ..."; `R` takes it over and completes it.
# After (a), `u` (confirmed) undoes the first rollout back to the plain Deployment's v1 (into slot
# green), and `u` again undoes the undo.
# The app starts as a plain Deployment `web` (kdeck apply), which the first rollout takes over.
. "$(dirname "$0")/lib.sh"

T=$E2E_TMP
SIM=$T/sim
NS=default
[ -x "$PODAPP_BIN" ] || { not_ok "podapp is built ($PODAPP_BIN: make)"; e2e_done; }
start_kubesim "$SIM" --pod-start-delay 0.2 || { not_ok "kubesim starts (real pods)"; e2e_done; }

SOCK="kdeck-rt-$$"
SESSIONS=()
tm() { local name=$1; shift; tmux -L "$SOCK-$name" -f /dev/null "$@"; }
tmux_kill() { local s; for s in "${SESSIONS[@]}"; do tm "$s" kill-server 2>/dev/null; done; }
trap 'tmux_kill; e2e_cleanup' EXIT
pane() { tm "$1" capture-pane -p -t "$1" 2>/dev/null; }
pane_has() { pane "$1" | grep -qF -- "$2"; }
pane_lacks() { ! pane "$1" | grep -qF -- "$2"; }
pane_matches() { pane "$1" | grep -qE -- "$2"; }
# show NAME: the pane, as comment lines, when a check failed
show() { pane "$1" | sed 's/^/#   | /' >&2; }
expect() { local name=$1 session=$2; shift 2; if "$@"; then ok "$name"; else not_ok "$name"; show "$session"; fi; }
start_session() {
    local name=$1 cols=$2 rows=$3; shift 3
    SESSIONS+=("$name")
    tm "$name" new-session -d -s "$name" -x "$cols" -y "$rows" \
        "env -i PATH=$PATH HOME=$HOME XDG_STATE_HOME=$XDG_STATE_HOME TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=UTC $* PS1='sh\$ ' bash --norc --noprofile -i"
    wait_for 10 pane_has "$name" 'sh$'
}
type_line() { tm "$1" send-keys -t "$1" -l "$2"; tm "$1" send-keys -t "$1" Enter; }
keys() { local s=$1; shift; tm "$s" send-keys -t "$s" "$@"; }
fits() { [ "$(pane "$1" | awk -v w="$2" '{ if (length($0) > w) n++ } END { print n+0 }')" -eq 0 ]; }

# descriptor VERSION FILE [ENV=VALUE...]: the app (podapp answers / with its image tag as version)
descriptor() {
    local v=$1 out=$2; shift 2
    python3 - "$NS" "$v" "$@" >"$out" <<'EOF'
import json, sys
ns, v = sys.argv[1:3]
env = [{"name": "VERSION", "value": v}]
for kv in sys.argv[3:]:
    k, _, val = kv.partition("=")
    env.append({"name": k, "value": val})
print(json.dumps({
    "apiVersion": "kdeck/v1", "kind": "AppDescriptor", "namespace": ns, "name": "web", "version": v,
    "replicas": 2,
    "containers": [{
        "name": "web", "image": "registry.local/app/web:" + v,
        "ports": [{"name": "http", "containerPort": 8080}],
        "env": env,
        "readinessProbe": {"httpGet": {"path": "/", "port": 8080}, "periodSeconds": 1},
    }],
    "healthCheck": {"useHealthCheck": True, "path": "/health", "port": 8080, "jsonField": "healthy"},
    "service": {"portName": "http", "port": 80, "targetPort": 8080},
    "rollout": {"strategy": "blueGreen", "readyTimeoutSeconds": 30, "healthTimeoutSeconds": 8,
                "bakeSeconds": 4, "scaleDownDelaySeconds": 2},
}, indent=2))
EOF
}

# ---- the starting state: v1 as a plain Deployment web behind Service web ----------------------------
descriptor v1 "$T/web-v1.json"
timeout 60 "$KDECK_BIN" apply -f "$T/web-v1.json" --timeout 40s >"$T/apply.out" 2>&1
check "kdeck apply of web v1 (plain Deployment + Service)" test $? -eq 0 || sed 's/^/#   /' "$T/apply.out" >&2

# ---- (a) 80x24: r on deployment web, type the v2 image -----------------------------------------
start_session main 80 24 "KUBECONFIG=$SIM/admin.kubeconfig"
type_line main "$KDECK_BIN -n $NS"
wait_for 20 pane_has main 'API ok'
type_line main ":deploy"
expect "(a) the deployments table shows web 2/2" main wait_for 30 pane_matches main '^web +2/2'
keys main r
expect "(a) r: the image prompt, prefilled with the current image" main \
    wait_for 15 pane_has main 'roll out web: image registry.local/app/web:v1'
keys main C-u
tm main send-keys -t main -l "registry.local/app/web:v2"
keys main Enter
expect "(a) the rollout view opens" main wait_for 10 pane_has main 'Rollout: web (default)'
expect "(a) header: app, versions, slots, who" main wait_for 10 pane_matches main '^web +[^ ]+ → v2 +[^ ]+ → blue +by [^ ]+@'
expect "(a) the lock step is done" main wait_for 10 pane_matches main '✓ Acquire'
expect "(a) the deploy step runs (or ran)" main wait_for 30 pane_matches main '(▶|✓) Deploy'
expect "(a) the health check passes" main wait_for 40 pane_matches main '✓ Health check'
expect "(a) the bake step counts down" main wait_for 20 pane_matches main '▶ Bake.* s left'
keys main q
expect "(a) q while this kdeck drives the rollout: a warning, no quit" main \
    wait_for 5 pane_has main 'press q again to quit: this kdeck drives the rollout of web'
expect "(a) the rollout succeeds" main wait_for 40 pane_matches main '^web .* succeeded +[0-9]'
expect "(a) every step done or skipped" main pane_lacks main '·'
expect "(a) the log section shows the rollout log" main pane_matches main '^Log \([0-9]+ lines\)'
expect "(a) events of the app's objects" main pane_matches main '^Events \([1-9][0-9]* *\)'
expect "(a) 80x24: no row wider than 80 columns" main fits main 80
pane main >"$T/a-done.txt"
keys main l
expect "(a) l: a log pane of the new slot's pods under the view" main \
    wait_for 10 pane_matches main 'Logs deployments/web-blue .*following'
expect "(a) the pane shows the v2 pods' output" main wait_for 10 pane_matches main '^web-blue-[a-z0-9]+-[a-z0-9]{5} .*v2'
keys main Escape
wait_for 5 sh -c "! tmux -L '$SOCK-main' capture-pane -p -t main | grep -q 'Logs deployments'"
AUDIT=$XDG_STATE_HOME/kdeck/audit.log
check "(a) the local audit log records the rollout" \
    grep -q '"verb":"rollout-apply","object":"rollouts/default/web","result":"started: version v2' "$AUDIT"
check "(a) the local audit log records the driver's writes (the switch)" \
    grep -q '"verb":"patch","object":"services/default/web","result":"200 OK"' "$AUDIT"
check "(a) the local audit log records the result" \
    grep -q '"verb":"rollout-done","object":"rollouts/default/web","result":"exit 0: ' "$AUDIT"
keys main H
expect "(a) H: the history view lists the rollout" main \
    wait_for 10 pane_matches main 'v1 → v2 +succeeded'
expect "(a) history: who and when" main pane_matches main '^ 20[0-9-]+ [0-9:]+ +[^ ]+@'
keys main Escape
wait_for 5 pane_has main 'Rollout: web'
# u undoes the first rollout: v1 (the plain Deployment, recorded as `previous`) comes back into
# slot green; a second u undoes the undo, so v2 serves from blue again for what follows.
web_serves() { [ "$(kubectl get --raw /api/v1/namespaces/$NS/services/web:80/proxy/version 2>/dev/null)" = "$1" ]; }
keys main u
expect "(a) u asks first" main wait_for 5 pane_has main 'undo: roll web back to v1? (y/n)'
keys main y
expect "(a) undo: the view shows the rollout back to v1 into slot green" main \
    wait_for 15 pane_matches main '^web +v2 → v1 +blue → green '
expect "(a) undo: it succeeds" main wait_for 60 pane_matches main '^web +v2 → v1 +blue → green .*succeeded +[0-9]'
check "(a) undo: v1 serves again (through the Service)" wait_for 10 web_serves v1
check "(a) the local audit log records the undo" grep -q '"verb":"rollout-undo","object":"rollouts/default/web"' "$AUDIT"
keys main u
expect "(a) u again asks to go back to v2" main wait_for 5 pane_has main 'undo: roll web back to v2? (y/n)'
keys main y
expect "(a) the undo of the undo succeeds: v2 from blue" main \
    wait_for 60 pane_matches main '^web +v1 → v2 +green → blue .*succeeded +[0-9]'
check "(a) v2 serves again" wait_for 10 web_serves v2

# ---- (b) 120x40: :rollout FILE of an unhealthy v3 ----------------------------------------------
tm main resize-window -t main -x 120 -y 40
# r on the old plain Deployment web (now at 0) offers what serves now: web-blue's v2.
type_line main ":deploy"
wait_for 10 pane_matches main '^web-blue +2/2'
keys main r
expect "(b) r on the old Deployment web: the prompt offers the serving image (v2)" main \
    wait_for 15 pane_has main 'roll out web: image registry.local/app/web:v2'
keys main Escape
expect "(b) Esc cancels the rollout" main wait_for 5 pane_has main 'web: rollout cancelled'
# an app without a Service cannot be rolled out blue/green: said plainly
python3 - "$T/web-v1.json" "$T/lonely.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["name"] = "lonely"
d["containers"][0]["image"] = "registry.local/app/lonely:v1"
del d["service"], d["rollout"], d["healthCheck"]   # a plain app, no Service
json.dump(d, open(sys.argv[2], "w"))
EOF
timeout 60 "$KDECK_BIN" apply -f "$T/lonely.json" --timeout 40s >"$T/apply-lonely.out" 2>&1
type_line main ":deploy"
expect "(b) the deployments table shows lonely" main wait_for 20 pane_matches main '^lonely +'
tm main send-keys -t main -l "/lonely"
keys main Enter
keys main r
expect "(b) r on an app without a Service: a clear message" main \
    wait_for 15 pane_has main 'lonely: no Service lonely in namespace default'
descriptor v3 "$T/web-v3.json" HEALTHY=false
type_line main ":rollout $T/web-v3.json"
expect "(b) :rollout FILE opens the view of v2 → v3" main wait_for 15 pane_matches main '^web +v2 → v3 +blue → green'
expect "(b) the health step fails" main wait_for 40 pane_matches main '✗ Health check +failed'
expect "(b) the reason names the pod and 503" main pane_matches main 'failed at health: .*web-green-[a-z0-9]+-[a-z0-9]{5}.*503'
expect "(b) the rollout ends failed" main wait_for 30 pane_matches main '^web .* failed +[0-9]'
expect "(b) the deploy step is reverted" main pane_matches main '↺ Deploy.*reverted'
expect "(b) 120x40: no row wider than 120 columns" main fits main 120
type_line main ":deploy"
expect "(b) v3's Deployment web-green is deleted, web-blue keeps 2/2" main \
    wait_for 20 sh -c "tmux -L '$SOCK-main' capture-pane -p -t main | grep -qE '^web-blue +2/2' && ! tmux -L '$SOCK-main' capture-pane -p -t main | grep -qE '^web-green '"

# ---- (c) a read-only kdeck follows a headless rollout ----------------------------------------------
if ! "$KDECK_BIN" rollout --help 2>&1 | grep -q apply; then
    not_ok "(c) kdeck rollout apply exists (the headless command is missing)"
    e2e_done
fi
start_session ro 80 24 "KUBECONFIG=$SIM/admin.kubeconfig"
type_line ro "$KDECK_BIN --read-only -n $NS"
wait_for 20 pane_has ro 'API ok'
type_line ro ":deploy"
expect "(c) read-only: the deployments table" ro wait_for 20 pane_matches ro '^web-blue +2/2'
# select web-blue: the table is sorted by name (web, web-blue)
keys ro g
tm ro send-keys -t ro -l "/web-blue"
keys ro Enter
descriptor v4 "$T/web-v4.json"
timeout -k 5 120 "$KDECK_BIN" rollout apply -f "$T/web-v4.json" --wait --timeout 90s >"$T/c.out" 2>&1 &
HEADLESS=$!
E2E_PIDS+=("$HEADLESS")
wait_for 15 sh -c "'$KDECK_BIN' rollout status web -n $NS 2>/dev/null | grep -q v4"
keys ro r
# meanwhile a rollout from the other (read-write) kdeck is refused: the lock names the holder
type_line main ":rollout $T/web-v3.json"
expect "(c) a second rollout while one runs: refused, naming the lock" main \
    wait_for 15 pane_matches main 'web: .*lock'
expect "(c) read-only: r opens the rollout view" ro wait_for 10 pane_has ro 'Rollout: web (default)'
expect "(c) read-only: the headless rollout's progress shows (running)" ro \
    wait_for 20 pane_matches ro '^web +v2 → v4 +blue → green .* running'
expect "(c) read-only: a step runs" ro wait_for 20 pane_matches ro '▶ (Deploy|Health check|Switch|Bake|Finish)'
expect "(c) read-only: the footer has no abort and no undo" ro sh -c "! tmux -L '$SOCK-ro' capture-pane -p -t ro | grep -qE 'abort|undo'"
expect "(c) read-only: the bake counts down live" ro wait_for 40 pane_matches ro '▶ Bake.* s left'
# `a`, then `?`: once the help shows, `a` has been handled — it must have asked nothing.
keys ro a
keys ro '?'
expect "(c) read-only: the help opens" ro wait_for 10 pane_has ro 'Rollout view'
expect "(c) read-only: a asked nothing" ro sh -c "! tmux -L '$SOCK-ro' capture-pane -p -t ro | grep -qE '\(y/n\)|cancelled'"
expect "(c) read-only: the help of the rollout view has no abort and no undo" ro \
    sh -c "! tmux -L '$SOCK-ro' capture-pane -p -t ro | grep -qE 'abort|undo'"
keys ro Escape
expect "(c) read-only: the rollout succeeds, as the headless driver saw it" ro \
    wait_for 40 pane_matches ro '^web .* succeeded +[0-9]'
wait "$HEADLESS"
check "(c) the headless rollout apply --wait exits 0" test $? -eq 0 || sed 's/^/#   /' "$T/c.out" >&2

# ---- (d) a aborts a running rollout (confirmed with y): the selector flips back, v6 goes --------
keys ro q
descriptor v6 "$T/web-v6.json"
type_line main ":rollout $T/web-v6.json"
expect "(d) the rollout of v6 runs" main wait_for 15 pane_matches main '^web +v4 → v6 +green → blue .* running'
expect "(d) it reaches the bake (after the switch)" main wait_for 30 pane_matches main '▶ Bake'
keys main a
expect "(d) a asks first" main wait_for 5 pane_has main 'abort the rollout of web v6 and go back to v4? (y/n)'
keys main y
expect "(d) the rollout ends aborted" main wait_for 30 pane_matches main '^web .* aborted +[0-9]'
expect "(d) the reason says who aborted" main pane_matches main 'aborted at bake: aborted by [^ ]+@'
expect "(d) the switch is reverted" main pane_matches main '↺ Switch traffic +reverted'
check "(d) the local audit log records the abort" \
    grep -q '"verb":"rollout-abort","object":"rollouts/default/web"' "$AUDIT"

# ---- (e) a headless driver killed mid-rollout: the view says its driver is gone; R resumes it ----
descriptor v7 "$T/web-v7.json"
"$KDECK_BIN" rollout apply -f "$T/web-v7.json" --wait >"$T/e.out" 2>&1 &
KILLED=$!
E2E_PIDS+=("$KILLED")
at_health_or_later() {
    "$KDECK_BIN" rollout status web -n $NS -o json 2>/dev/null | head -1 |
        grep -qE '"id":"web-v7-[0-9]+".*"phase":"running","step":"(health|analyze|switch|bake)"'
}
check "(e) the headless rollout of v7 reaches the health step" wait_for 40 at_health_or_later
kill -KILL "$KILLED"
wait "$KILLED" 2>/dev/null
expect "(e) the view follows it: v4 → v7, running" main wait_for 15 pane_matches main '^web +v4 → v7 +green → blue .* running'
expect "(e) the view says its driver is gone, and what to do" main \
    wait_for 20 pane_matches main 'driver gone since [0-9]{2}:[0-9]{2}:[0-9]{2} — R resumes, a aborts'
keys main R
expect "(e) R: this kdeck takes the rollout over and completes it" main \
    wait_for 60 pane_matches main '^web +v4 → v7 +green → blue .*succeeded +[0-9]'
expect "(e) the driver-gone line is gone" main pane_lacks main 'driver gone'
check "(e) v7 serves" wait_for 10 web_serves v7
check "(e) the local audit log records the resume" grep -q '"verb":"rollout-resume","object":"rollouts/default/web"' "$AUDIT"
keys main q

e2e_done
