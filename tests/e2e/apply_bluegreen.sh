#!/bin/bash
# A plain apply (`kdeck apply -f`, the TUI's `:apply FILE`) of an app deployed blue/green, against
# kubesim with real pod processes: it updates the active slot's Deployment in place (a PUT of
# <app>-<slot>), the Service keeps slot=<active>, the HPA would target <app>-<slot>, the inactive
# slot and the plain Deployment the first rollout scaled to 0 are not touched, the output and the
# preview say so in one line, --dry-run names the slot's Deployment; and while a rollout of the app
# runs (its Lease held), the apply is refused with exit 3 and the holder, in the TUI too.
. "$(dirname "$0")/lib.sh"

SIM=$E2E_TMP/sim
start_kubesim "$SIM" || { not_ok "kubesim starts"; e2e_done; }
K() { timeout 150 "$KDECK_BIN" "$@"; }
T=$E2E_TMP
kubectl create namespace shop >/dev/null

# descriptor NAME VERSION [python statements on d]: writes $T/NAME.json.
descriptor() {
    python3 - "$T/$1.json" "$2" "${3:-}" <<'EOF'
import json, sys
out, v, extra = sys.argv[1], sys.argv[2], sys.argv[3]
d = {
  "apiVersion": "kdeck/v1", "kind": "AppDescriptor", "namespace": "shop", "name": "web",
  "version": v, "replicas": 2,
  "containers": [{
    "name": "web", "image": "registry.local/app/web:" + v,
    "ports": [{"name": "http", "containerPort": 8080}],
    "env": [{"name": "VERSION", "value": v}, {"name": "PORT", "value": "8080"}],
    "resources": {"requests": {"cpu": "50m"}},
    "readinessProbe": {"httpGet": {"path": "/health", "port": 8080}, "periodSeconds": 1}}],
  "healthCheck": {"useHealthCheck": True, "path": "/health", "port": 8080, "expectedStatus": 200,
                  "jsonField": "healthy"},
  "service": {"portName": "http", "port": 80, "targetPort": 8080},
  "rollout": {"strategy": "blueGreen", "readyTimeoutSeconds": 60, "healthTimeoutSeconds": 6,
              "bakeSeconds": 1, "scaleDownDelaySeconds": 1}}
exec(extra)
json.dump(d, open(out, "w"), indent=2)
EOF
}
# sim_requests FROM_LINE: "verb path?query code" for every request kubesim logged after FROM_LINE.
sim_requests() {
    tail -n +$(($1 + 1)) "$SIM/audit.log" | python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    q = "?" + e["query"] if e.get("query") else ""
    print(e["verb"], e["path"] + q, e["code"])'
}
sim_lines() { wc -l < "$SIM/audit.log"; }
selector() { kubectl get svc web -n shop -o jsonpath='{.spec.selector.app},{.spec.selector.slot}'; }
replicas_of() { kubectl get deploy "$1" -n shop -o jsonpath='{.spec.replicas}'; }
holder() { kubectl get lease kdeck-rollout-web -n shop -o jsonpath='{.spec.holderIdentity}' 2>/dev/null; }
# writes FILE: the mutating requests of a sim_requests file (access reviews aside)
writes() { grep -E '^(create|update|patch|delete) ' "$1" | grep -v selfsubject; }
# screen_says DUMP TEXT / screen_says_re DUMP ERE: TEXT is on the screen, maybe wrapped over rows
screen_says() { tr -d '\n' < "$1" | tr -s ' ' | grep -qF -- "$2"; }
screen_says_re() { tr -d '\n' < "$1" | tr -s ' ' | grep -qE -- "$2"; }
NOTE='web is deployed blue/green: applying to the active slot %s as a rolling update; ship new versions with kdeck rollout apply / r'

descriptor web-1.0.0 1.0.0
descriptor web-1.1.0 1.1.0
descriptor web-1.2.0 1.2.0
descriptor web-1.2.0-r3 1.2.0 'd["replicas"] = 3'
descriptor web-1.2.0-hpa 1.2.0 'd["replicas"] = 3; d["autoscaler"] = {"minReplicas": 2, "maxReplicas": 4}'
descriptor web-1.3.0 1.3.0 'd["rollout"]["bakeSeconds"] = 30'
descriptor web-1.3.0-r4 1.3.0 'd["replicas"] = 4'

# ---- a plain app first: kdeck apply makes Deployment web, the Service selects app=web ----
K apply -f "$T/web-1.0.0.json" --timeout 60s > "$T/p.out" 2> "$T/p.err"
check "plain app: apply exit 0" test $? -eq 0 || sed 's/^/#   /' "$T/p.err" >&2
check "plain app: no blue/green line" sh -c "! grep -q 'deployed blue/green' '$T/p.out'"
check "plain app: Service web selects app=web only" test "$(selector)" = "web,"

# ---- the first rollout takes it over (web-blue, web at 0); a second one goes to green ----
K rollout apply -f "$T/web-1.1.0.json" --wait > "$T/r1.out" 2> "$T/r1.err"
check "first rollout: exit 0" test $? -eq 0 || sed 's/^/#   /' "$T/r1.err" >&2
K rollout apply -f "$T/web-1.2.0.json" --wait > "$T/r2.out" 2> "$T/r2.err"
check "second rollout: exit 0" test $? -eq 0 || sed 's/^/#   /' "$T/r2.err" >&2
check "blue/green: Service web selects slot green" test "$(selector)" = "web,green"
check "blue/green: web and web-blue at 0 replicas" test "$(replicas_of web) $(replicas_of web-blue)" = "0 0"
rv_web=$(kubectl get deploy web -n shop -o jsonpath='{.metadata.resourceVersion}')
rv_blue=$(kubectl get deploy web-blue -n shop -o jsonpath='{.metadata.resourceVersion}')

# ---- --dry-run: the diff names the active slot's Deployment ----
before=$(sim_lines)
K apply -f "$T/web-1.2.0-r3.json" --dry-run > "$T/dry.out" 2> "$T/dry.err"
check "dry run: exit 0" test $? -eq 0 || sed 's/^/#   /' "$T/dry.err" >&2
sim_requests "$before" > "$T/dry.req"
check "dry run: says the app is blue/green, in one line" grep -qxF "$(printf "$NOTE" green)" "$T/dry.out"
check "dry run: Deployment web-green will be updated" grep -q '^Deployment shop/web-green: will be updated' "$T/dry.out"
check "dry run: the diff is the replicas" \
    sh -c "grep -qx -- '-  replicas: 2' '$T/dry.out' && grep -qx -- '+  replicas: 3' '$T/dry.out'"
check "dry run: no Deployment web in the plan" sh -c "! grep -q '^Deployment shop/web:' '$T/dry.out'"
check "dry run: the Service is unchanged (keeps slot)" grep -qx 'Service shop/web: unchanged' "$T/dry.out"
check "dry run: the server's dry run of the PUT of web-green" \
    grep -qx 'update /apis/apps/v1/namespaces/shop/deployments/web-green?dryRun=All 200' "$T/dry.req"
check "dry run: only dry-run writes" test -z "$(writes "$T/dry.req" | grep -v 'dryRun=All')"
K apply -f "$T/web-1.2.0-hpa.json" --dry-run > "$T/hpa.out" 2> "$T/hpa.err"
check "dry run with an autoscaler: the HPA targets web-green" \
    sh -c "grep -q '^HorizontalPodAutoscaler shop/web: will be created' '$T/hpa.out' && grep -qx -- '+    name: web-green' '$T/hpa.out'"

# ---- apply: a PUT of web-green; the Service keeps its slot; web and web-blue untouched ----
before=$(sim_lines)
K apply -f "$T/web-1.2.0-r3.json" --timeout 60s > "$T/a.out" 2> "$T/a.err"
check "apply: exit 0" test $? -eq 0 || sed 's/^/#   /' "$T/a.err" >&2
sim_requests "$before" > "$T/a.req"
check "apply: says the app is blue/green" grep -qxF "$(printf "$NOTE" green)" "$T/a.out"
check "apply: a PUT of Deployment web-green" \
    grep -qx 'update /apis/apps/v1/namespaces/shop/deployments/web-green 200' "$T/a.req"
check "apply: no Deployment created" sh -c "! grep -q '^create /apis/apps/v1/namespaces/shop/deployments' '$T/a.req'"
check "apply: the only real write is that PUT" \
    test "$(writes "$T/a.req" | grep -v dryRun=All)" = 'update /apis/apps/v1/namespaces/shop/deployments/web-green 200'
check "apply: follows web-green's rollout" grep -qx 'deployment "web-green" successfully rolled out' "$T/a.out"
check "apply: web-green runs 3 replicas" test "$(replicas_of web-green)" = 3
check "apply: the Service still selects slot green" test "$(selector)" = "web,green"
check "apply: web-blue (inactive) untouched" \
    test "$(kubectl get deploy web-blue -n shop -o jsonpath='{.metadata.resourceVersion} {.spec.replicas}')" = "$rv_blue 0"
check "apply: the plain Deployment web left at 0" \
    test "$(kubectl get deploy web -n shop -o jsonpath='{.metadata.resourceVersion} {.spec.replicas}')" = "$rv_web 0"

# ---- while a rollout runs (its Lease held): refused with exit 3 and the holder ----
K rollout apply -f "$T/web-1.3.0.json" --wait > "$T/r3.out" 2> "$T/r3.err" &
rollout_pid=$!
E2E_PIDS+=("$rollout_pid")
wait_for 60 sh -c "[ -n \"\$(kubectl get lease kdeck-rollout-web -n shop -o jsonpath='{.spec.holderIdentity}' 2>/dev/null)\" ]"
check "a rollout holds the Lease" test -n "$(holder)"
before=$(sim_lines)
K apply -f "$T/web-1.2.0-r3.json" > "$T/held.out" 2> "$T/held.err"
rc=$?
check "apply during a rollout: exit 3" test $rc -eq 3
check "apply during a rollout: says so with the holder" \
    grep -qE '^kdeck: a rollout of web is running \([^ ]+@[^ ]+ \(pid [0-9]+\) since 20[^)]*\): wait for it or abort it$' "$T/held.err"
K apply -f "$T/web-1.2.0-r3.json" --dry-run > /dev/null 2> "$T/held-dry.err"
check "--dry-run during a rollout: exit 3 too" test $? -eq 3
run_script heldtui 80 24 <<EOF
:apply $T/web-1.2.0-r3.json
:wait-for wait for it or abort it
:save-display $T/heldtui.txt
:quit
EOF
check "TUI apply during a rollout: kdeck exits 0" test $? -eq 0
check "TUI apply during a rollout: the preview says so with the holder" \
    screen_says_re "$T/heldtui.txt" 'a rollout of web is running \([^ ]+@[^ ]+ \(pid [0-9]+\) since 20'
# The rollout writes meanwhile (its Lease, record, web-blue, the Service's PATCH); the refused
# applies would have sent a PUT (or its dry run) of web-green or of the Service.
sim_requests "$before" > "$T/held.req"
check "nothing was written by the refused applies" \
    sh -c "! grep -E '^update /apis/apps/v1/namespaces/shop/deployments/web-green|^update /api/v1/namespaces/shop/services/web|dryRun=All' '$T/held.req'"
wait "$rollout_pid"
check "the rollout still finishes: exit 0" test $? -eq 0 || sed 's/^/#   /' "$T/r3.err" >&2
check "the rollout moved the Service to blue" test "$(selector)" = "web,blue"

# ---- the TUI: the preview's line, then a PUT of web-blue ----
before=$(sim_lines)
run_script form 80 24 <<EOF
:apply $T/web-1.3.0-r4.json
:wait-for Deployment shop/web-blue: will be updated
:save-display $T/form-preview.txt
a
:wait-for web: successfully rolled out
:save-display $T/form-done.txt
:quit
EOF
check "TUI apply: kdeck exits 0" test $? -eq 0
check "TUI preview: says the app is blue/green and the slot" screen_says "$T/form-preview.txt" "$(printf "$NOTE" blue)"
check "TUI preview: no Deployment web in the plan" sh -c "! grep -q '^Deployment shop/web:' '$T/form-preview.txt'"
check "TUI apply: the rollout of web-blue followed to the end" grep -q '^web: successfully rolled out' "$T/form-done.txt"
sim_requests "$before" > "$T/form.req"
check "TUI apply: a PUT of Deployment web-blue" \
    grep -qx 'update /apis/apps/v1/namespaces/shop/deployments/web-blue 200' "$T/form.req"
check "TUI apply: the only real write is that PUT" \
    test "$(writes "$T/form.req" | grep -v dryRun=All)" = 'update /apis/apps/v1/namespaces/shop/deployments/web-blue 200'
check "TUI apply: web-blue runs 4 replicas, the Service still selects blue" \
    test "$(replicas_of web-blue) $(selector)" = "4 web,blue"
check "TUI apply: the plain Deployment web still at 0" test "$(replicas_of web)" = 0
e2e_done
