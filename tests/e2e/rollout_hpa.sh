#!/bin/bash
# Blue/green rollouts of an app with an autoscaler (HPA web, min 3, max 6; the descriptor leaves
# `replicas` to it), headless against kubesim with real pod processes:
#   1. the first rollout: nothing serves yet, so the new slot starts with minReplicas (3), and the
#      HPA, missing, is created at the switch scaling web-blue;
#   2. web-blue scaled to 4 with kubectl (as an HPA would) -> the next rollout starts web-green with
#      4 replicas, the HPA scales web-green after the switch (its PATCH after the selector's, with a
#      resourceVersion), and web-blue goes to 0;
#   3. a version failing after the switch (UNHEALTHY_AFTER, readiness on /, healthCheck /health):
#      the selector flips back and the HPA goes back to web-green with it;
#   4. an HPA scaling something else than the app's Deployments is left alone, with a log line;
#   5. the HPA PATCH refused (403, through tests/e2e/fault_proxy.py): the switch still counts as
#      done and the refusal is logged; the finish retargets the HPA before scaling the old slot down;
#   6. no HPA yet and a version failing after the switch: the HPA created at the switch is deleted by
#      the flip back (the app is left as it was).
. "$(dirname "$0")/lib.sh"

T=$E2E_TMP
SIM=$T/sim
NS=shop
start_kubesim "$SIM" || { not_ok "kubesim starts (kubelet mode)"; e2e_done; }
AUDIT=$SIM/audit.log
K() { kubectl --cache-dir "$T/kcache" --request-timeout=20s -n "$NS" "$@"; }
kubectl --cache-dir "$T/kcache" create namespace "$NS" >/dev/null

# descriptor VERSION [ENV_NAME=VALUE...]: $T/web-VERSION.json, autoscaled, no replicas
descriptor() {
    local v=$1; shift
    python3 - "$v" "$@" >"$T/web-$v.json" <<'EOF'
import json, sys
v = sys.argv[1]
env = [{"name": "VERSION", "value": v}]
for kv in sys.argv[2:]:
    k, _, val = kv.partition("=")
    env.append({"name": k, "value": val})
print(json.dumps({
    "apiVersion": "kdeck/v1", "kind": "AppDescriptor", "namespace": "shop", "name": "web", "version": v,
    "containers": [{
        "name": "web", "image": "registry.local/app/web:" + v,
        "ports": [{"name": "http", "containerPort": 8080}],
        "env": env,
        "resources": {"requests": {"cpu": "50m"}},
        "readinessProbe": {"httpGet": {"path": "/", "port": 8080}, "periodSeconds": 1}}],
    "healthCheck": {"useHealthCheck": True, "path": "/health", "port": 8080, "expectedStatus": 200,
                    "jsonField": "healthy", "timeoutSeconds": 2},
    "service": {"portName": "http", "port": 80, "targetPort": 8080},
    "autoscaler": {"minReplicas": 3, "maxReplicas": 6, "targetCPUUtilizationPercentage": 70},
    "rollout": {"strategy": "blueGreen", "readyTimeoutSeconds": 60, "healthTimeoutSeconds": 8,
                "bakeSeconds": 1, "scaleDownDelaySeconds": 1},
}, indent=2))
EOF
}
# show FILE...: a failed check's evidence, as comment lines
show() {
    local f
    for f in "$@"; do
        [ -e "$f" ] || continue
        echo "#   --- $(basename "$f") (last 25 lines)" >&2
        tail -25 "$f" | sed 's/^/#   /' >&2
    done
}
# expect NAME EVIDENCE_FILES -- COMMAND...
expect() {
    local name=$1 ev=$2; shift 3
    if "$@"; then ok "$name"; else not_ok "$name"; show $ev; fi
}
# rollout NAME VERSION: kdeck rollout apply --wait; $T/NAME.out, exit status in $rc
rollout() {
    timeout -k 5 120 "$KDECK_BIN" rollout apply -f "$T/web-$2.json" --wait --timeout 90s >"$T/$1.out" 2>&1
    rc=$?
}
# the kubesim audit log after line MARK, as "METHOD PATH CODE"
audit_mark() { wc -l <"$AUDIT"; }
audit_since() { tail -n +"$(($1 + 1))" "$AUDIT" | python3 -c '
import json, sys
for line in sys.stdin:
    try:
        e = json.loads(line)
    except ValueError:
        continue
    print(e.get("method"), e.get("path"), e.get("code"))'; }
HPA_PATH=/apis/autoscaling/v2/namespaces/$NS/horizontalpodautoscalers
SVC_PATH=/api/v1/namespaces/$NS/services/web
hpa_target() { K get hpa web -o jsonpath='{.spec.scaleTargetRef.kind}/{.spec.scaleTargetRef.name}'; }
replicas() { K get deploy "$1" -o jsonpath='{.spec.replicas}'; }
svc_slot() { K get svc web -o jsonpath='{.spec.selector.slot}'; }
status_field() {
    "$KDECK_BIN" rollout status web -n "$NS" -o json 2>/dev/null | head -1 |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["state"].get(sys.argv[1]))' "$1"
}
# in_order FILE RE1 RE2: a line matching RE1 comes before the first line matching RE2, both there
in_order() {
    local a b
    a=$(grep -nE -- "$2" "$1" | head -1 | cut -d: -f1)
    b=$(grep -nE -- "$3" "$1" | head -1 | cut -d: -f1)
    [ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]
}

for v in v1 v2 v4 v5; do descriptor $v; done
descriptor v3 UNHEALTHY_AFTER=${HPA_UNHEALTHY_AFTER:-6}
# v3 bakes long enough for its pods to fail in the bake (health rounds every 2 s)
python3 - "$T/web-v3.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1])); d["rollout"]["bakeSeconds"] = 8
json.dump(d, open(sys.argv[1], "w"), indent=2)
EOF

# ---- 1. the first rollout: minReplicas, the HPA created at the switch ----------------------------
mark=$(audit_mark)
rollout first v1
expect "first rollout (v1): exit 0" "$T/first.out" -- test $rc -eq 0
started_with_min() {
    [ "$(replicas web-blue)" = 3 ] &&
        grep -q "deploy: 3 replicas, the autoscaler's minReplicas (no Deployment web serves now)" "$T/first.out"
}
expect "nothing served before: web-blue starts with minReplicas (3), and says so" "$T/first.out" -- started_with_min
expect "the missing HPA is created at the switch, scaling web-blue" "$T/first.out" -- \
    test "$(hpa_target)" = Deployment/web-blue
audit_since "$mark" >"$T/first.req"
expect "HPA created (POST 201) after the Service was created" "$T/first.req" -- \
    in_order "$T/first.req" "^POST /api/v1/namespaces/$NS/services 201" "^POST $HPA_PATH 201"
expect "the created HPA has the descriptor's bounds (3..6)" "" -- \
    test "$(K get hpa web -o jsonpath='{.spec.minReplicas}..{.spec.maxReplicas}')" = 3..6

# ---- 2. serving 4 replicas: the new slot starts with 4, the HPA follows the switch ---------------
K scale deploy web-blue --replicas=4 >/dev/null
K rollout status deploy/web-blue --timeout=30s >/dev/null 2>&1
mark=$(audit_mark)
rollout second v2
expect "second rollout (v2): exit 0" "$T/second.out" -- test $rc -eq 0
expect "web-green was created with 4 replicas (as many as web-blue served)" "$T/second.out" -- \
    grep -q 'deploy: 4 replicas, as many as slot=blue serves now (autoscaled)' "$T/second.out"
audit_since "$mark" >"$T/second.req"
green_created_with_4() {
    # the POST of web-green carried replicas 4: kubesim's audit has no bodies, so the Deployment's
    # first ReplicaSet tells (it is never rescaled by the rollout)
    [ "$(K get rs -l app=web,slot=green -o jsonpath='{.items[0].spec.replicas}')" = 4 ]
}
expect "web-green's ReplicaSet runs 4 replicas" "" -- green_created_with_4
expect "the HPA scales web-green after the switch" "" -- test "$(hpa_target)" = Deployment/web-green
expect "audit: the HPA PATCH comes after the selector PATCH" "$T/second.req" -- \
    in_order "$T/second.req" "^PATCH $SVC_PATH 200" "^PATCH $HPA_PATH/web 200"
hpa_writes() { grep -cE "^(PATCH|PUT|POST|DELETE) $HPA_PATH" "$1"; }
expect "audit: one HPA write, no HPA create" "$T/second.req" -- test "$(hpa_writes "$T/second.req")" -eq 1
expect "the rollout log says the HPA was retargeted" "$T/second.out" -- \
    grep -q 'switch: HPA web retargeted: it scales Deployment web-green' "$T/second.out"
scaled_to_0() { [ "$(replicas "$1")" = 0 ]; }
expect "web-blue scaled to 0 at the finish (the HPA no longer scales it)" "" -- wait_for 15 scaled_to_0 web-blue
expect "the HPA still scales web-green after the finish" "" -- test "$(hpa_target)" = Deployment/web-green

# ---- 3. failing after the switch: the flip back takes the HPA back ------------------------------
mark=$(audit_mark)
rollout fail v3
expect "v3 failing in the bake: exit 1" "$T/fail.out" -- test $rc -eq 1
expect "status: failed in the bake" "$T/fail.out" -- test "$(status_field failedStep)" = bake
expect "v3 (web-blue) started with 4 replicas, as many as web-green served" "$T/fail.out" -- \
    grep -q 'deploy: 4 replicas, as many as slot=green serves now (autoscaled)' "$T/fail.out"
expect "the Service selects web-green again" "" -- test "$(svc_slot)" = green
expect "the HPA scales web-green again" "" -- test "$(hpa_target)" = Deployment/web-green
audit_since "$mark" >"$T/fail.req"
hpa_followed_both_ways() {
    # switch PATCH, HPA PATCH, flip-back PATCH, HPA PATCH: in that order
    grep -E "^PATCH ($SVC_PATH|$HPA_PATH/web) " "$T/fail.req" | cut -d' ' -f2 |
        sed -e "s#^$SVC_PATH\$#svc#" -e "s#^$HPA_PATH/web\$#hpa#" | tr '\n' ' ' | grep -qx 'svc hpa svc hpa '
}
expect "audit: selector, HPA, selector back, HPA back" "$T/fail.req" -- hpa_followed_both_ways
expect "the rollout log says the HPA went back" "$T/fail.out" -- \
    grep -q 'revert: HPA web retargeted: it scales Deployment web-green' "$T/fail.out"
deploy_gone() { ! K get deploy "$1" >/dev/null 2>&1; }
expect "v3's Deployment (web-blue) is deleted" "" -- wait_for 15 deploy_gone web-blue

# ---- 4. an HPA scaling something else is left alone ---------------------------------------------
K patch hpa web --type=merge -p '{"spec":{"scaleTargetRef":{"name":"billing"}}}' >/dev/null
mark=$(audit_mark)
rollout other v4
expect "v4 with a foreign HPA: exit 0" "$T/other.out" -- test $rc -eq 0
expect "the log says the HPA is left alone" "$T/other.out" -- \
    grep -q 'switch: HPA web scales Deployment/billing, not a Deployment of web: left alone' "$T/other.out"
expect "the HPA still scales billing" "" -- test "$(hpa_target)" = Deployment/billing
audit_since "$mark" >"$T/other.req"
expect "no HPA write at all" "$T/other.req" -- test "$(hpa_writes "$T/other.req")" -eq 0
expect "v4 serves from slot blue" "" -- test "$(svc_slot)" = blue

# ---- 5. the HPA write refused at the switch: the rollout goes on; the finish retargets it -------
# tests/e2e/fault_proxy.py answers 403 to the HPA PATCH (as an RBAC rule or a webhook would) while
# the rules file names it; the rule is lifted during the bake.
K patch hpa web --type=merge -p '{"spec":{"scaleTargetRef":{"name":"web-blue"}}}' >/dev/null
python3 - "$T/web-v5.json" <<'EOF2'
import json, sys
d = json.load(open(sys.argv[1])); d["rollout"]["bakeSeconds"] = 6
json.dump(d, open(sys.argv[1], "w"), indent=2)
EOF2
mkdir -p "$T/fp"
echo "PATCH ^$HPA_PATH/web\$" >"$T/fp/rules"
python3 "$E2E_ROOT/tests/e2e/fault_proxy.py" "$SIM" "$T/fp/rules" "$T/fp" 2>"$T/fp/proxy.err" &
E2E_PIDS+=("$!")
expect "the fault proxy starts" "$T/fp/proxy.err" -- wait_for 20 test -e "$T/fp/ready"
KUBECONFIG=$T/fp/kubeconfig timeout -k 5 120 "$KDECK_BIN" rollout apply -f "$T/web-v5.json" --wait \
    --timeout 90s >"$T/refused.out" 2>&1 &
DRIVER=$!
E2E_PIDS+=("$DRIVER")
in_bake() { [ "$(status_field phase)" = running ] && [ "$(status_field step)" = bake ]; }
expect "HPA PATCH refused: the switch is still done (the rollout reaches the bake)" "$T/refused.out" -- \
    wait_for 60 in_bake
expect "the Service selects slot green (traffic moved)" "" -- test "$(svc_slot)" = green
expect "the HPA still scales web-blue meanwhile" "" -- test "$(hpa_target)" = Deployment/web-blue
expect "the refusal is in the rollout log: what, where and the answer" "$T/refused.out" -- \
    grep -q "switch: HPA web NOT retargeted to Deployment web-green: PATCH $HPA_PATH/web: 403" "$T/refused.out"
: >"$T/fp/rules"
wait "$DRIVER"
rc=$?
expect "the rollout succeeds all the same: exit 0" "$T/refused.out" -- test $rc -eq 0
expect "the finish retargets the HPA before the scale-down, and says so" "$T/refused.out" -- \
    in_order "$T/refused.out" "finish: HPA web still scales web-blue: retargeting it to web-green" \
    "finish: Deployment web-blue scaled to 0"
expect "the HPA scales web-green" "" -- test "$(hpa_target)" = Deployment/web-green
expect "web-blue is scaled to 0" "" -- wait_for 15 scaled_to_0 web-blue
expect "the proxy refused exactly the one HPA PATCH" "$T/fp/refused.log" -- \
    test "$(cat "$T/fp/refused.log")" = "PATCH $HPA_PATH/web"

# ---- 6. the HPA a failed rollout created goes with its flip back --------------------------------
K delete hpa web >/dev/null
descriptor v6 UNHEALTHY_AFTER=${HPA_UNHEALTHY_AFTER:-6}
python3 - "$T/web-v6.json" <<'EOF2'
import json, sys
d = json.load(open(sys.argv[1])); d["rollout"]["bakeSeconds"] = 8
json.dump(d, open(sys.argv[1], "w"), indent=2)
EOF2
mark=$(audit_mark)
rollout created v6
expect "v6 failing in the bake: exit 1" "$T/created.out" -- test $rc -eq 1
expect "the HPA was created at the switch, then deleted by the flip back" "$T/created.out" -- \
    sh -c "grep -q 'switch: HPA web created: it scales Deployment web-blue' '$T/created.out' &&
           grep -q 'revert: HPA web deleted (this rollout created it)' '$T/created.out'"
hpa_gone() { ! K get hpa web >/dev/null 2>&1; }
expect "no HPA web afterwards, as before the rollout" "" -- hpa_gone
expect "the Service selects slot green again" "" -- test "$(svc_slot)" = green

e2e_done
