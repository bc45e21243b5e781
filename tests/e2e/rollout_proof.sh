#!/bin/bash
# rollout_proof: blue/green rollouts under load drop nothing (issue 7, "Proof"). kubesim WITHOUT
# --virtual (real podapp processes, Services through the real HAProxy), `kdeck rollout` headless, and
# throughout each scenario wrk (paced, tests/e2e/wrk_versions.lua) plus a sequential sampler
# (tests/e2e/version_sampler.py) hitting the Service's ClusterIP. Every scenario asserts 0 non-2xx
# and 0 socket errors, and the order of the versions the sampler saw:
#   a) healthy v1 -> v2: v1 then v2, never v1 again once v2 answered;
#   b) v3 with HEALTHY=false: exit 1 at the health check (reason names a pod and 503), v2 keeps
#      serving, its Deployment deleted, the Service never patched;
#   c) v4 with UNHEALTHY_AFTER: switches, fails in the bake, the selector flips back to v2, v4 deleted;
#   d) driver killed (kill -9) after the deploy step (in the health step: v5 has HEALTHY_AFTER) ->
#      `rollout resume` completes it; killed after the switch (in the bake) -> `rollout abort` reverts
#      it (the selector back, the new slot deleted, recorded as aborted);
#   e) two concurrent `rollout apply` of one app: the second exits 3 naming the holder (user@host).
# The starting state (v1 in slot blue, Service web selecting app=web,slot=blue) is made with kubectl
# in the shape kdeck's blue/green objects have (docs/descriptor.md), so every rollout here is an
# ordinary blue/green one.
. "$(dirname "$0")/lib.sh"

T=$E2E_TMP
SIM=$T/sim
NS=proof
APP=web
LUA=$E2E_ROOT/tests/e2e/wrk_versions.lua
SAMPLER=$E2E_ROOT/tests/e2e/version_sampler.py
export WRK_DELAY_MS=${WRK_DELAY_MS:-2}    # 16 connections, 2 ms apart: a few thousand requests/s

# ---- prerequisites: missing tools or a kdeck without `rollout` fail loudly, never skip ----------
missing=()
for tool in wrk haproxy kubectl python3 curl; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ -x "$PODAPP_BIN" ] || missing+=("$PODAPP_BIN (make build/podapp)")
[ -x "$KDECK_BIN" ] || missing+=("$KDECK_BIN (make)")
if [ ${#missing[@]} -gt 0 ]; then
    not_ok "prerequisites present (missing: ${missing[*]})"
    e2e_done
fi
# every scenario runs the same kdeck, even if the tree is rebuilt while the suite runs (~75 s)
cp "$KDECK_BIN" "$T/kdeck" && KDECK_BIN=$T/kdeck
if ! "$KDECK_BIN" rollout --help >"$T/help.out" 2>&1 || ! grep -q 'apply' "$T/help.out"; then
    not_ok "kdeck rollout --help works (the rollout command is missing or broken: $(head -3 "$T/help.out" | tr '\n' ' '))"
    e2e_done
fi

start_kubesim "$SIM" --ingress-port 0 || { not_ok "kubesim starts (kubelet mode)"; e2e_done; }
AUDIT=$SIM/audit.log
K() { kubectl --cache-dir "$T/kcache" --request-timeout=20s -n "$NS" "$@"; }

# show FILE...: a failed check's evidence, as comment lines
show() {
    local f
    for f in "$@"; do
        [ -e "$f" ] || continue
        echo "#   --- $(basename "$f") (last 25 lines)" >&2
        tail -25 "$f" | sed 's/^/#   /' >&2
    done
}
# expect NAME EVIDENCE_FILES -- COMMAND...: check, showing the evidence when it fails
expect() {
    local name=$1 ev=$2; shift 3
    if "$@"; then ok "$name"; else not_ok "$name"; show $ev; fi
}

# descriptor VERSION FILE [ENV_NAME=VALUE...]: the app's descriptor for VERSION (podapp answers /
# with "web VERSION POD"; the readiness probe is on /, so a pod whose /health fails still serves)
descriptor() {
    local v=$1 out=$2; shift 2
    python3 - "$NS" "$APP" "$v" "$@" >"$out" <<'EOF'
import json, sys
ns, app, v = sys.argv[1:4]
env = [{"name": "VERSION", "value": v}]
for kv in sys.argv[4:]:
    k, _, val = kv.partition("=")
    env.append({"name": k, "value": val})
print(json.dumps({
    "apiVersion": "kdeck/v1", "kind": "AppDescriptor", "namespace": ns, "name": app, "version": v,
    "replicas": 2,
    "containers": [{
        "name": app, "image": "registry.local/app/%s:%s" % (app, v),
        "ports": [{"name": "http", "containerPort": 8080}],
        "env": env,
        "readinessProbe": {"httpGet": {"path": "/", "port": 8080}, "periodSeconds": 1},
    }],
    "healthCheck": {"useHealthCheck": True, "path": "/health", "port": 8080, "expectedStatus": 200,
                    "jsonField": "healthy", "timeoutSeconds": 2},
    "service": {"portName": "http", "port": 80, "targetPort": 8080},
    "rollout": {"strategy": "blueGreen", "readyTimeoutSeconds": 30, "healthTimeoutSeconds": 8,
                "bakeSeconds": 6, "scaleDownDelaySeconds": 2},
}, indent=2))
EOF
}

# ---- load: wrk + the sequential sampler, per scenario -------------------------------------------
# load_start NAME: starts both against the Service. load_stop NAME FINAL: once the sampler gets
# FINAL (the Service's endpoints follow a selector change within about one HAProxy health check,
# 500 ms) and 50 more answers, stops them (SIGINT makes wrk print its summary); leaves $T/NAME.wrk
# and $T/NAME.seq.
load_start() {
    local name=$1
    rm -f "$T/$name.stop"
    python3 "$SAMPLER" "$URL" "$T/$name.seq" "$T/$name.stop" --max-seconds 150 &
    SAMPLER_PID=$!
    E2E_PIDS+=("$SAMPLER_PID")
    wrk -t2 -c16 -d150s --timeout 5s -s "$LUA" "$URL" >"$T/$name.wrk" 2>&1 &
    WRK_PID=$!
    E2E_PIDS+=("$WRK_PID")
    # both are sending before the scenario starts
    wait_for 10 test -s "$T/$name.seq"
}
sampler_at() { tail -1 "$T/$1.seq" | grep -q " 200 $2\$"; }
sampler_count_at_least() { [ "$(wc -l <"$T/$1.seq")" -ge "$2" ]; }
load_stop() {
    local name=$1 final=$2
    wait_for 15 sampler_at "$name" "$final"
    wait_for 10 sampler_count_at_least "$name" $(($(wc -l <"$T/$name.seq") + 50))
    touch "$T/$name.stop"
    kill -INT "$WRK_PID" 2>/dev/null
    e2e_wait_gone "$WRK_PID" 10 || kill -KILL "$WRK_PID" 2>/dev/null
    wait "$WRK_PID" 2>/dev/null
    e2e_wait_gone "$SAMPLER_PID" 10 || kill -KILL "$SAMPLER_PID" 2>/dev/null
    wait "$SAMPLER_PID" 2>/dev/null
}
# wrk_clean NAME: wrk sent plenty and saw 0 non-2xx and 0 socket errors
wrk_clean() {
    local r
    r=$(grep '^WRK-RESULT ' "$T/$1.wrk") || return 1
    echo "# $1: ${r#WRK-RESULT }"
    [[ "$r" =~ requests=([0-9]+)\ non2xx=0\ connect=0\ read=0\ write=0\ timeout=0\  ]] &&
        [ "${BASH_REMATCH[1]}" -ge 1000 ]
}
# seq_runs NAME: the versions the sampler saw, consecutive repeats collapsed ("v1 v2"), with any
# failed answer shown as its status (so "v1 503 v2" or "v1 ERR v2" can never pass as "v1 v2")
seq_runs() {
    awk '{ t = ($2 == "200") ? $3 : $2; if (t != last) { printf "%s%s", sep, t; sep = " "; last = t } }
         END { print "" }' "$T/$1.seq"
}
# seq_is NAME "v1 v2": the sampler saw exactly that order, every answer a 200
seq_is() {
    local got
    got=$(seq_runs "$1")
    echo "# $1: sampler saw [$got] in $(wc -l <"$T/$1.seq") requests"
    [ "$got" = "$2" ] && ! awk '$2 != "200" { bad = 1 } END { exit !bad }' "$T/$1.seq"
}

# audit_since LINE: kubesim's audit records after line LINE, as "METHOD PATH CODE"
audit_mark() { wc -l <"$AUDIT"; }
audit_since() { tail -n +"$(($1 + 1))" "$AUDIT" | python3 -c '
import json, sys
for line in sys.stdin:
    try:
        e = json.loads(line)
    except ValueError:
        continue
    print(e.get("method"), e.get("path"), e.get("code"))'; }
svc_writes_since() { audit_since "$1" | grep -cE "^(PATCH|PUT) /api/v1/namespaces/$NS/services/$APP "; }

# status_field FIELD: a field of the recorded rollout, from `kdeck rollout status APP -n NS -o json`
# (its JSON lines: {"type":"state","state":{...}}, then the recorded log as {"type":"log"} lines)
status_json() {
    timeout 20 "$KDECK_BIN" rollout status "$APP" -n "$NS" -o json >"$T/status.out" 2>"$T/status.err"
    local rc=$?
    cat "$T/status.out"
    if ! grep -q '"type":"state"' "$T/status.out"; then   # evidence for a bug report, on stderr
        echo "# rollout status -o json exited $rc without a state line: $(head -c 300 "$T/status.out") $(head -c 300 "$T/status.err")" >&2
    fi
}
status_field() {
    status_json | python3 -c '
import json, sys
state = {}
for line in sys.stdin:
    try:
        doc = json.loads(line)
    except ValueError:
        continue
    if isinstance(doc, dict) and doc.get("type") == "state" and isinstance(doc.get("state"), dict):
        state = doc["state"]
v = state.get(sys.argv[1])
if v is not None:
    print(str(v).lower() if isinstance(v, bool) else v)' "$1"
}
# step_in STEP...: the recorded rollout is running and at one of these steps
step_in() {
    local s want
    [ "$(status_field phase)" = running ] || return 1
    s=$(status_field step)
    for want in "$@"; do [ "$s" = "$want" ] && return 0; done
    return 1
}
# status_is PHASE FAILED_STEP [REASON_REGEX]: what `rollout status -o json` records
status_is() {
    local phase step reason
    phase=$(status_field phase); step=$(status_field failedStep); reason=$(status_field reason)
    echo "# status: phase=$phase failedStep=$step reason=$reason"
    [ -n "$phase" ] || show "$T/status.out" "$T/status.err"
    [ "$phase" = "$1" ] && [ "$step" = "$2" ] && { [ -z "${3:-}" ] || grep -qE -- "$3" <<<"$reason"; }
}
succeeded_with() { [ "$(status_field phase)" = succeeded ] && [ "$(status_field version)" = "$1" ]; }

# the cluster as kubectl sees it, and the Service as a user does
svc_slot() { K get svc "$APP" -o jsonpath='{.spec.selector.slot}'; }
deploy_gone() { ! K get deploy "$1" >/dev/null 2>&1; }
deploy_replicas() { K get deploy "$1" -o jsonpath='{.spec.replicas}'; }
scaled_to_0() { [ "$(deploy_replicas "$1")" = 0 ]; }
serves() { curl -s --max-time 2 "$URL" | grep -q "^$APP $1 "; }

# ---- the starting state: v1 serving from slot blue ---------------------------------------------
kubectl --cache-dir "$T/kcache" create namespace "$NS" >/dev/null
python3 - "$NS" "$APP" >"$T/v1.json" <<'EOF'
import json, sys
ns, app = sys.argv[1:3]
labels = {"app": app, "app.kubernetes.io/managed-by": "kdeck", "slot": "blue", "version": "v1"}
print(json.dumps({"apiVersion": "v1", "kind": "List", "items": [
    {"apiVersion": "apps/v1", "kind": "Deployment",
     "metadata": {"name": app + "-blue", "namespace": ns, "labels": labels},
     "spec": {"replicas": 2, "selector": {"matchLabels": {"app": app, "slot": "blue"}},
              "template": {"metadata": {"labels": {"app": app, "slot": "blue", "version": "v1"}},
                           "spec": {"containers": [{
                               "name": app, "image": "registry.local/app/%s:v1" % app,
                               "ports": [{"name": "http", "containerPort": 8080}],
                               "env": [{"name": "VERSION", "value": "v1"}],
                               "readinessProbe": {"httpGet": {"path": "/", "port": 8080},
                                                  "periodSeconds": 1}}]}}}},
    {"apiVersion": "v1", "kind": "Service",
     "metadata": {"name": app, "namespace": ns,
                  "labels": {"app": app, "app.kubernetes.io/managed-by": "kdeck"}},
     "spec": {"selector": {"app": app, "slot": "blue"},
              "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}]}))
EOF
K apply --validate=false -f "$T/v1.json" >/dev/null
K rollout status deploy/$APP-blue --timeout=30s >/dev/null 2>&1
IP=$(K get svc "$APP" -o jsonpath='{.spec.clusterIP}')
URL=http://$IP/
if ! wait_for 30 serves v1; then
    not_ok "v1 serves through the Service's ClusterIP ($URL)"
    show "$SIM/kubesim.out"
    e2e_done
fi
ok "v1 serves through HAProxy at the Service's ClusterIP ($URL)"

# ---- (a) healthy v1 -> v2 ----------------------------------------------------------------------
descriptor v2 "$T/v2.json"
mark=$(audit_mark)
load_start a
t0=$SECONDS
timeout -k 5 120 "$KDECK_BIN" rollout apply -f "$T/v2.json" --wait --timeout 90s >"$T/a.out" 2>&1
rc=$?
echo "# (a) rollout apply --wait took $((SECONDS - t0)) s"
load_stop a v2
expect "(a) v1 -> v2: rollout apply --wait exits 0" "$T/a.out" -- test $rc -eq 0
expect "(a) the Service selects slot green" "$T/a.out" -- test "$(svc_slot)" = green
expect "(a) v2 answers through the Service" "" -- serves v2
expect "(a) wrk: 0 non-2xx, 0 socket errors" "$T/a.wrk" -- wrk_clean a
expect "(a) sampler: v1 then v2, never v1 after the first v2, all 200" "" -- seq_is a "v1 v2"
expect "(a) exactly one selector write (the switch)" "" -- test "$(svc_writes_since "$mark")" -eq 1
expect "(a) the old slot (blue) is scaled to 0 after the scale-down delay" "" -- wait_for 15 scaled_to_0 "$APP-blue"
expect "(a) status: succeeded" "" -- test "$(status_field phase)" = succeeded

# ---- (b) unhealthy v3 (HEALTHY=false): fails at the health check ---------------------------------
descriptor v3 "$T/v3.json" HEALTHY=false
mark=$(audit_mark)
load_start b
t0=$SECONDS
timeout -k 5 120 "$KDECK_BIN" rollout apply -f "$T/v3.json" --wait --timeout 90s >"$T/b.out" 2>&1
rc=$?
echo "# (b) rollout apply --wait took $((SECONDS - t0)) s"
load_stop b v2
expect "(b) unhealthy v3: rollout apply exits 1" "$T/b.out" -- test $rc -eq 1
expect "(b) the reason names a pod and 503" "$T/b.out" -- grep -qE "$APP-blue-[a-z0-9]+-[a-z0-9]{5}.*503" "$T/b.out"
expect "(b) status: failed at the health step, reason with pod and 503" "$T/b.out" -- \
    status_is failed health "$APP-blue-[a-z0-9]+-[a-z0-9]{5}.*503"
expect "(b) v3's Deployment ($APP-blue) is deleted" "" -- wait_for 15 deploy_gone "$APP-blue"
expect "(b) no Service write at all during the rollout" "" -- test "$(svc_writes_since "$mark")" -eq 0
expect "(b) the Service still selects slot green" "" -- test "$(svc_slot)" = green
expect "(b) wrk: 0 non-2xx, 0 socket errors" "$T/b.wrk" -- wrk_clean b
expect "(b) sampler: v2 throughout, all 200" "" -- seq_is b "v2"

# ---- (c) v4 that fails after the switch: flipped back to v2 --------------------------------------
# UNHEALTHY_AFTER counts from the pod's start: the pods are Ready and pass the pre-switch health
# check about 3 s after it (readiness is checked every 2 s, so 5 s under load), then fail during
# the 6 s bake (its health rounds are 2 s apart).
descriptor v4 "$T/v4.json" UNHEALTHY_AFTER=${PROOF_UNHEALTHY_AFTER:-6}
mark=$(audit_mark)
load_start c
t0=$SECONDS
timeout -k 5 120 "$KDECK_BIN" rollout apply -f "$T/v4.json" --wait --timeout 90s >"$T/c.out" 2>&1
rc=$?
echo "# (c) rollout apply --wait took $((SECONDS - t0)) s"
load_stop c v2
expect "(c) v4 failing in the bake: rollout apply exits 1" "$T/c.out" -- test $rc -eq 1
expect "(c) status: failed in the bake" "$T/c.out" -- status_is failed bake
expect "(c) the switch and the flip back: two selector writes" "" -- test "$(svc_writes_since "$mark")" -eq 2
expect "(c) the Service selects v2's slot (green) again" "" -- test "$(svc_slot)" = green
expect "(c) v4's Deployment ($APP-blue) is deleted" "" -- wait_for 15 deploy_gone "$APP-blue"
expect "(c) wrk: 0 non-2xx, 0 socket errors" "$T/c.wrk" -- wrk_clean c
expect "(c) sampler: v2, v4 after the switch, v2 after the flip back, all 200" "" -- seq_is c "v2 v4 v2"

# ---- (d) the driver killed after the deploy step, then resume; after the switch, then abort --------
# v5's /health answers 503 for its first 5 s (HEALTHY_AFTER; / serves, so it gets Ready): the
# rollout sits in the health step for a few seconds after its deploy step is done, and is killed there.
descriptor v5 "$T/v5.json" HEALTHY_AFTER=5
load_start d1
t0=$SECONDS
"$KDECK_BIN" rollout apply -f "$T/v5.json" --wait --timeout 90s >"$T/d1.out" 2>&1 &
DRIVER=$!
E2E_PIDS+=("$DRIVER")
if wait_for 60 step_in health; then
    kill -KILL "$DRIVER"
    wait "$DRIVER" 2>/dev/null
    ok "(d) driver killed with kill -9 after the deploy step (in the health step)"
else
    kill -KILL "$DRIVER" 2>/dev/null
    not_ok "(d) the rollout reached the health step (status: $(status_field phase) $(status_field step))"
    show "$T/d1.out"
fi
killed_state() {
    local phase step switched
    phase=$(status_field phase); step=$(status_field step); switched=$(status_field switched)
    echo "# after the kill: phase=$phase step=$step switched=$switched selector slot=$(svc_slot)"
    [ "$phase" = running ] && [ "$switched" = false ] && [ "$(svc_slot)" = green ]
}
expect "(d) after the kill: recorded as running, not switched, the Service untouched" "$T/d1.out" -- killed_state
timeout -k 5 120 "$KDECK_BIN" rollout resume "$APP" -n "$NS" >"$T/d1-resume.out" 2>&1
rc=$?
echo "# (d) kill + resume took $((SECONDS - t0)) s"
load_stop d1 v5
expect "(d) rollout resume completes it: exit 0" "$T/d1-resume.out" -- test $rc -eq 0
expect "(d) resumed: status succeeded, version v5" "$T/d1-resume.out" -- succeeded_with v5
expect "(d) resumed: the Service selects v5's slot (blue)" "" -- test "$(svc_slot)" = blue
expect "(d) resumed: the old slot (green) is scaled to 0" "" -- wait_for 15 scaled_to_0 "$APP-green"
expect "(d) resumed: wrk 0 non-2xx, 0 socket errors" "$T/d1.wrk" -- wrk_clean d1
expect "(d) resumed: sampler saw v2 then v5, all 200" "" -- seq_is d1 "v2 v5"

descriptor v6 "$T/v6.json"
mark=$(audit_mark)
load_start d2
"$KDECK_BIN" rollout apply -f "$T/v6.json" --wait --timeout 90s >"$T/d2.out" 2>&1 &
DRIVER=$!
E2E_PIDS+=("$DRIVER")
if wait_for 60 step_in bake; then
    kill -KILL "$DRIVER"
    wait "$DRIVER" 2>/dev/null
    ok "(d) driver killed with kill -9 after the switch (in the bake)"
else
    kill -KILL "$DRIVER" 2>/dev/null
    not_ok "(d) the rollout reached the bake (status: $(status_field phase) $(status_field step))"
    show "$T/d2.out"
fi
expect "(d) killed in the bake: the Service selects v6's slot (green)" "" -- test "$(svc_slot)" = green
timeout -k 5 120 "$KDECK_BIN" rollout abort "$APP" -n "$NS" >"$T/d2-abort.out" 2>&1
rc=$?
load_stop d2 v5
# docs/rollouts.md: `abort` exits 0 once the rollout is aborted (reverted)
expect "(d) rollout abort reverts it: exit 0" "$T/d2-abort.out" -- test $rc -eq 0
expect "(d) aborted: the Service selects v5's slot (blue) again" "" -- test "$(svc_slot)" = blue
expect "(d) aborted: v6's Deployment ($APP-green) is deleted" "" -- wait_for 15 deploy_gone "$APP-green"
expect "(d) aborted: status shows aborted" "$T/d2-abort.out" -- test "$(status_field phase)" = aborted
expect "(d) aborted: v5 (blue) was never scaled down" "" -- test "$(deploy_replicas "$APP-blue")" = 2
expect "(d) aborted: wrk 0 non-2xx, 0 socket errors" "$T/d2.wrk" -- wrk_clean d2
expect "(d) aborted: sampler saw v5, v6, v5 again, all 200" "" -- seq_is d2 "v5 v6 v5"

# ---- (e) two concurrent rollouts of one app: the second is refused, naming the holder ------------
descriptor v7 "$T/v7.json"
descriptor v8 "$T/v8.json"
load_start e
"$KDECK_BIN" rollout apply -f "$T/v7.json" --wait --timeout 90s >"$T/e1.out" 2>&1 &
FIRST=$!
E2E_PIDS+=("$FIRST")
holder() { K get lease "kdeck-rollout-$APP" -o jsonpath='{.spec.holderIdentity}' 2>/dev/null; }
held_by_first() { [ -n "$(holder)" ] && [ "$(status_field version)" = v7 ] && [ "$(status_field phase)" = running ]; }
expect "(e) the first rollout holds the Lease kdeck-rollout-$APP" "$T/e1.out" -- wait_for 30 held_by_first
who=$(holder)
timeout -k 5 60 "$KDECK_BIN" rollout apply -f "$T/v8.json" --wait --timeout 90s >"$T/e2.out" 2>&1
rc=$?
echo "# (e) holder: $who; second apply said: $(head -3 "$T/e2.out" | tr '\n' ' ')"
expect "(e) the second rollout apply exits 3" "$T/e2.out" -- test $rc -eq 3
names_holder() { [[ "$who" =~ ^[^@\ ]+@[^@\ ]+$ ]] && grep -qF -- "$who" "$T/e2.out"; }
expect "(e) its message names the holder (user@host)" "$T/e2.out" -- names_holder
wait "$FIRST"
rc=$?
load_stop e v7
first_rc=$rc
first_done() { [ "$first_rc" -eq 0 ] && succeeded_with v7 && serves v7; }
expect "(e) the first rollout is undisturbed: exit 0, v7 serves" "$T/e1.out" -- first_done
no_v8() { [ -z "$(K get deploy -l version=v8 -o name 2>&1)" ]; }
expect "(e) the refused rollout created nothing (no v8 Deployment)" "" -- no_v8
expect "(e) wrk: 0 non-2xx, 0 socket errors" "$T/e.wrk" -- wrk_clean e
expect "(e) sampler: v5 then v7, all 200" "" -- seq_is e "v5 v7"

e2e_done
