#!/bin/bash
# Headless blue/green rollouts against kubesim with real pod processes (no load generator: the
# zero-drop proof is tests/e2e/rollout_proof.sh): usage errors, read-only refusal, apply --wait
# and what the API server received (Lease, ConfigMap PUTs with a resourceVersion precondition,
# Deployment, pod proxy health checks, one Service PATCH, the scale-down), status and history
# (human and -o json), a second apply refused while the Lease is held, an unhealthy version
# reverted without touching the Service, abort of a live driver, resume after the driver was
# killed, the detached driver followed by status --wait, and an unreachable API server.
. "$(dirname "$0")/lib.sh"

SIM=$E2E_TMP/sim
start_kubesim "$SIM" || { not_ok "kubesim starts"; e2e_done; }
K() { timeout 150 "$KDECK_BIN" "$@"; }
T=$E2E_TMP
AUDIT=$XDG_STATE_HOME/kdeck/audit.log
kubectl create namespace shop >/dev/null

# descriptor VERSION [python statements on d]: writes $T/web-VERSION.json.
descriptor() {
    python3 - "$T/web-$1.json" "$1" "${2:-}" <<'EOF'
import json, sys
out, v, extra = sys.argv[1], sys.argv[2], sys.argv[3]
d = {
  "apiVersion": "kdeck/v1", "kind": "AppDescriptor", "namespace": "shop", "name": "web",
  "version": v, "replicas": 2,
  "containers": [{
    "name": "web", "image": "registry.local/app/web:" + v,
    "ports": [{"name": "http", "containerPort": 8080}],
    "env": [{"name": "VERSION", "value": v}, {"name": "PORT", "value": "8080"}],
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
# sim_requests FROM_LINE: "verb path code" for every request kubesim logged after line FROM_LINE.
sim_requests() {
    tail -n +$(($1 + 1)) "$SIM/audit.log" | python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    print(e["verb"], e["path"], e["code"])'
}
sim_lines() { wc -l < "$SIM/audit.log"; }
holder() { kubectl get lease kdeck-rollout-web -n shop -o jsonpath='{.spec.holderIdentity}'; }
# at_step STEP: the recorded rollout is running at STEP.
at_step() { "$KDECK_BIN" rollout status web -n shop -o json | head -1 | grep -q "\"phase\":\"running\",\"step\":\"$1\""; }
selector_slot() { kubectl get svc web -n shop -o jsonpath='{.spec.selector.slot}'; }

descriptor 1.0.0
descriptor 1.1.0 'd["rollout"]["bakeSeconds"] = 4'
descriptor 1.2.0
descriptor 1.3.0 '
d["containers"][0]["env"].append({"name": "HEALTHY", "value": "false"})
# ready by its own probe, unhealthy by the deep check: the rollout health check must catch it
d["containers"][0]["readinessProbe"]["httpGet"]["path"] = "/version"'
descriptor 1.4.0 'd["rollout"]["bakeSeconds"] = 8'
migration='d["migration"] = {"image": "registry.local/app/dbmigrate:" + v, "backoffLimit": 0, "timeoutSeconds": 60,
    "env": [{"name": "RUN_FOR", "value": "1"}, {"name": "EXIT_CODE", "value": EXIT}]}'
descriptor 1.5.0 "EXIT = '0'; $migration"
descriptor 1.6.0 "EXIT = '3'; $migration"
analysis='d["rollout"]["analysis"] = [{"name": "error-ratio", "phase": "pre", "threshold": {"max": MAX},
    "query": "sum(rate(errors{namespace=\"$namespace\",service=\"$service\",app=\"$app\"}[1m]))"}]'
descriptor 1.7.0 "MAX = 0.05; $analysis"
descriptor 1.8.0 "MAX = 0.0001; $analysis"

# ---- usage errors: exit 2, before any request ----
before=$(sim_lines)
K rollout > /dev/null 2> "$T/u1.err"
check "rollout without a subcommand: exit 2" sh -c "[ $? -eq 2 ] && grep -q 'a subcommand is required' '$T/u1.err'"
K rollout bogus web -n shop > /dev/null 2> "$T/u2.err"
check "unknown subcommand: exit 2 and its name" sh -c "[ $? -eq 2 ] && grep -q \"unknown subcommand 'bogus'\" '$T/u2.err'"
K rollout apply > /dev/null 2> "$T/u3.err"
check "apply without -f: exit 2" sh -c "[ $? -eq 2 ] && grep -q -- '-f FILE is required' '$T/u3.err'"
K rollout status > /dev/null 2> "$T/u4.err"
check "status without APP: exit 2" sh -c "[ $? -eq 2 ] && grep -q 'APP is required' '$T/u4.err'"
K rollout apply -f "$T/web-1.0.0.json" --timeout soon > /dev/null 2> "$T/u5.err"
check "a bad --timeout: exit 2 naming it" sh -c "[ $? -eq 2 ] && grep -q \"invalid --timeout 'soon'\" '$T/u5.err'"
K rollout history web -n shop -o yaml > /dev/null 2> "$T/u6.err"
check "-o yaml: exit 2" sh -c "[ $? -eq 2 ] && grep -q -- '-o must be json' '$T/u6.err'"
K rollout abort web -n shop --wait > /dev/null 2> "$T/u7.err"
check "--wait on abort: exit 2" test $? -eq 2
echo '{"apiVersion": "kdeck/v1", "kind": "AppDescriptor", "name": "web", "replicas": "two"}' > "$T/bad.json"
K rollout apply -f "$T/bad.json" --wait > /dev/null 2> "$T/u8.err"
check "an invalid descriptor: exit 1 with file and field" sh -c "[ $? -eq 1 ] && grep -q '^$T/bad.json: replicas: ' '$T/u8.err'"
check "usage errors sent no request" test "$(sim_lines)" -eq "$before"
K rollout --help > "$T/help.out"
check "rollout --help lists the subcommands" sh -c "grep -q 'kdeck rollout undo APP -n NS' '$T/help.out'"

# ---- read-only: refused with exit 2 before any request; status/history still work ----
before=$(sim_lines)
K --read-only rollout apply -f "$T/web-1.0.0.json" --wait > /dev/null 2> "$T/ro.err"
check "read-only apply: exit 2 with a clear message" sh -c "[ $? -eq 2 ] && grep -q 'refused: this is a read-only session' '$T/ro.err'"
for sub in abort resume undo; do
    K --read-only rollout $sub web -n shop > /dev/null 2>&1
    check "read-only $sub: exit 2" test $? -eq 2
done
mkdir -p "$XDG_CONFIG_HOME/kdeck"
printf 'read_only_contexts: kubesim\n' > "$XDG_CONFIG_HOME/kdeck/config"
K rollout apply -f "$T/web-1.0.0.json" > /dev/null 2> "$T/roctx.err"
check "a context in read_only_contexts: exit 2" sh -c "[ $? -eq 2 ] && grep -q 'read_only_contexts' '$T/roctx.err'"
rm "$XDG_CONFIG_HOME/kdeck/config"
check "read-only refusals sent no request" test "$(sim_lines)" -eq "$before"

# ---- the first rollout: the Service is created selecting the new slot ----
K rollout apply -f "$T/web-1.0.0.json" --wait > "$T/a1.out" 2> "$T/a1.err"
rc=$?
check "first apply --wait: exit 0" test $rc -eq 0 || sed 's/^/#   /' "$T/a1.err" "$T/a1.out" >&2
check "first rollout: Service web created selecting slot blue" test "$(selector_slot)" = blue

# ---- a second version: what the API server received ----
before=$(sim_lines)
K rollout apply -f "$T/web-1.2.0.json" --wait > "$T/a2.out" 2> "$T/a2.err"
rc=$?
check "apply --wait of 1.2.0: exit 0" test $rc -eq 0 || sed 's/^/#   /' "$T/a2.err" >&2
sim_requests "$before" > "$T/a2.req"
check "the Lease was taken (PUT of the released Lease)" grep -q '^update /apis/coordination.k8s.io/v1/namespaces/shop/leases/kdeck-rollout-web 200' "$T/a2.req"
check "the record was written with PUTs" grep -q '^update /api/v1/namespaces/shop/configmaps/kdeck-rollout-web 200' "$T/a2.req"
check "Deployment web-green created" grep -q '^create /apis/apps/v1/namespaces/shop/deployments 201' "$T/a2.req"
check "every new pod health-checked through the pod proxy" \
    test "$(grep -cE '^get /api/v1/namespaces/shop/pods/web-green-[a-z0-9]+-[a-z0-9]{5}:8080/proxy/health 200' "$T/a2.req")" -ge 2
check "exactly one PATCH of Service web" test "$(grep -c '^patch /api/v1/namespaces/shop/services/web ' "$T/a2.req")" -eq 1
check "the old slot scaled down by a PATCH" grep -q '^patch /apis/apps/v1/namespaces/shop/deployments/web-blue 200' "$T/a2.req"
check "Service web now selects green" test "$(selector_slot)" = green
check "web-blue kept at 0 replicas for undo" test "$(kubectl get deploy web-blue -n shop -o jsonpath='{.spec.replicas}')" = 0
check "the Lease is released at the end" test -z "$(holder)"
check "human output: the step list with states and durations" \
    sh -c "grep -qE '^  deploy +done +[0-9.]+s$' '$T/a2.out' && grep -qE '^  migrate +skipped' '$T/a2.out'"
check "human output: the log lines as they came" grep -qE '^[0-9]{2}:[0-9]{2}:[0-9]{2} switch: ' "$T/a2.out"
check "human output: the result line" grep -q '^rollout web-1.2.0-[0-9]* succeeded: shop/web serves version 1.2.0$' "$T/a2.out"
check "local audit log: Deployment create, Service patch, scale-down" \
    sh -c "grep -q '\"verb\":\"create\",\"object\":\"deployments/shop/web-green\"' '$AUDIT' &&
           grep -q '\"verb\":\"patch\",\"object\":\"services/shop/web\",\"result\":\"200 OK\"' '$AUDIT' &&
           grep -q '\"verb\":\"patch\",\"object\":\"deployments/shop/web-blue\"' '$AUDIT'"

# ---- status and history ----
K rollout status web -n shop > "$T/st.out"
check "status: exit 0, the rollout and its steps" \
    sh -c "[ $? -eq 0 ] && grep -q '^Rollout web-1.2.0-[0-9]* of shop/web: succeeded' '$T/st.out' &&
           grep -qE '^  switch +done' '$T/st.out'"
check "status: the serving change in words" grep -q 'version 1.2.0 (serving before: 1.0.0), blue -> green' "$T/st.out"
K rollout status web -n shop -o json > "$T/st.json"
check "status -o json: a state line then log lines" python3 - "$T/st.json" <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert lines[0]["type"] == "state" and lines[0]["state"]["phase"] == "succeeded", lines[0]
assert lines[0]["state"]["toSlot"] == "green" and lines[0]["state"]["version"] == "1.2.0"
assert all(l["type"] == "log" for l in lines[1:]) and len(lines) > 3
EOF
K rollout history web -n shop > "$T/h.out"
check "history: newest first, with result" \
    sh -c "sed -n 2p '$T/h.out' | grep -qE '^web-1.2.0-[0-9]+ +1.2.0 +1.0.0 +succeeded' &&
           sed -n 3p '$T/h.out' | grep -qE '^web-1.0.0-[0-9]+ +1.0.0 +- +succeeded'"
K rollout history web -n shop -o json > "$T/h.json"
check "history -o json: one line per rollout" python3 - "$T/h.json" <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert [l["entry"]["version"] for l in lines] == ["1.2.0", "1.0.0"], lines
assert all(l["type"] == "history" and l["entry"]["result"] == "succeeded" for l in lines)
EOF
K rollout status nosuch -n shop > /dev/null 2> "$T/nf.err"
check "status of an app without a record: exit 1 and why" sh -c "[ $? -eq 1 ] && grep -q 'no rollout of shop/nosuch is recorded' '$T/nf.err'"

# ---- a second apply while the Lease is held: exit 3 with the holder ----
K rollout apply -f "$T/web-1.1.0.json" --wait -o json > "$T/held1.json" 2>&1 &
first=$!
wait_for 30 sh -c "grep -q '\"step\":\"bake\"' '$T/held1.json'"
K rollout apply -f "$T/web-1.3.0.json" --wait > "$T/held2.out" 2> "$T/held2.err"
rc=$?
check "second apply while the Lease is held: exit 3" test $rc -eq 3
check "the refusal names the holder and since when" grep -qE 'locked by [^ ]+@[^ ]+ \(pid [0-9]+\) since 20' "$T/held2.err"
wait $first
check "the first rollout still finishes: exit 0" test $? -eq 0
check "-o json: the last line is the result" \
    sh -c "tail -1 '$T/held1.json' | grep -q '^{\"type\":\"result\",\"exit\":0,\"id\":\"web-1.1.0-[0-9]*\",\"phase\":\"succeeded\"'"
check "-o json: state lines as the steps change" test "$(grep -c '"type":"state"' "$T/held1.json")" -ge 5

# ---- an unhealthy version: reverted, the Service never touched ----
before=$(sim_lines)
K rollout apply -f "$T/web-1.3.0.json" --wait > "$T/bad.out" 2> "$T/bad.err"
rc=$?
check "unhealthy version: exit 1" test $rc -eq 1
check "the reason names the pod and 503" grep -qE 'rollout web-1.3.0-[0-9]+ failed at step health: pod web-green-[a-z0-9]+-[a-z0-9]{5}: 503' "$T/bad.err"
sim_requests "$before" > "$T/bad.req"
check "the new Deployment was deleted" grep -q '^delete /apis/apps/v1/namespaces/shop/deployments/web-green 200' "$T/bad.req"
check "no PATCH of the Service" sh -c "! grep -q '^patch /api/v1/namespaces/shop/services/' '$T/bad.req'"
check "the Service still selects blue" test "$(selector_slot)" = blue
check "web-green is gone" wait_for 10 sh -c '! kubectl get deploy web-green -n shop >/dev/null 2>&1'
K rollout history web -n shop -o json > "$T/h2.json"
check "history records the failure with its reason" \
    sh -c "head -1 '$T/h2.json' | grep -q '\"result\":\"failed\",\"reason\":\"pod web-green-'"

# ---- abort of a live driver: it flips back and deletes the new slot ----
K rollout apply -f "$T/web-1.4.0.json" --wait > "$T/ab1.out" 2>&1 &
first=$!
wait_for 30 at_step bake
K rollout abort web -n shop --reason "bad numbers" > "$T/ab2.out" 2>&1
rc=$?
check "abort: exit 0 (the rollout ends aborted, as asked)" test $rc -eq 0
check "abort follows the record to the end" grep -q 'aborted at step bake: bad numbers' "$T/ab2.out"
wait $first
check "the aborted driver exits 1" test $? -eq 1
check "abort: the Service selects the old slot again" test "$(selector_slot)" = blue
check "abort: the new slot is deleted" wait_for 10 sh -c '! kubectl get deploy web-green -n shop >/dev/null 2>&1'

# ---- a driver killed mid-rollout; resume completes it ----
K rollout apply -f "$T/web-1.4.0.json" -o json > "$T/det.json"
check "detached apply: exit 0 once locked" test $? -eq 0
pid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$T/det.json" 2>/dev/null)
wait_for 30 at_step bake
kill -KILL "$pid" 2>/dev/null
e2e_wait_gone "$pid" 10
K rollout resume web -n shop > "$T/res.out" 2> "$T/res.err"
rc=$?
check "resume after kill -9: exit 0" test $rc -eq 0 || sed 's/^/#   /' "$T/res.err" >&2
check "resume says what it took over" grep -q 'resume by .*: taking over rollout web-1.4.0-' "$T/res.out"
check "resumed rollout serves 1.4.0 from green" test "$(selector_slot)" = green
K rollout resume web -n shop > /dev/null 2>&1
check "resume of a finished rollout: exit 0 (nothing to do)" test $? -eq 0

# ---- undo: back to the version that served before ----
K rollout undo web -n shop --wait > "$T/undo.out" 2> "$T/undo.err"
check "undo --wait: exit 0" test $? -eq 0 || sed 's/^/#   /' "$T/undo.err" >&2
check "undo: Service selects blue again, running 1.1.0" \
    sh -c "[ \"\$(kubectl get svc web -n shop -o jsonpath='{.spec.selector.slot}')\" = blue ] &&
           [ \"\$(kubectl get deploy web-blue -n shop -o jsonpath='{.spec.template.metadata.labels.version}')\" = 1.1.0 ]"

# ---- undo after the first rollout of an app that was a plain Deployment ----
# api 0.9.0 runs as a plain Deployment `api` without a version label (kubectl, not kdeck): the
# first rollout records it as `previous` (version from the image tag), so undo brings it back —
# into a slot (api-green), the Service selecting it.
python3 - "$T" <<'EOF'
import json, sys
t = sys.argv[1]
app = lambda v: {"name": "api", "image": "registry.local/app/api:" + v,
                 "ports": [{"name": "http", "containerPort": 8080}],
                 "env": [{"name": "VERSION", "value": v}, {"name": "PORT", "value": "8080"}],
                 "readinessProbe": {"httpGet": {"path": "/health", "port": 8080}, "periodSeconds": 1}}
for i, o in enumerate([
    {"apiVersion": "apps/v1", "kind": "Deployment",
     "metadata": {"name": "api", "namespace": "shop", "labels": {"app": "api"}},
     "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "api"}},
              "template": {"metadata": {"labels": {"app": "api"}}, "spec": {"containers": [app("0.9.0")]}}}},
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api", "namespace": "shop"},
     "spec": {"selector": {"app": "api"}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}]):
    json.dump(o, open("%s/api-plain-%d.json" % (t, i), "w"))
json.dump({"apiVersion": "kdeck/v1", "kind": "AppDescriptor", "namespace": "shop", "name": "api",
           "version": "1.0.0", "replicas": 1, "containers": [app("1.0.0")],
           "service": {"portName": "http", "port": 80, "targetPort": 8080},
           "rollout": {"strategy": "blueGreen", "readyTimeoutSeconds": 60, "bakeSeconds": 1,
                       "scaleDownDelaySeconds": 1}}, open(t + "/api-1.0.0.json", "w"))
EOF
# api_serves VERSION: the Service answers /version with VERSION (through HAProxy)
api_serves() { [ "$(kubectl get --raw /api/v1/namespaces/shop/services/api:80/proxy/version 2>/dev/null)" = "$1" ]; }
api_slot() { kubectl get svc api -n shop -o jsonpath='{.spec.selector.slot}'; }
kubectl apply -f "$T/api-plain-0.json" -f "$T/api-plain-1.json" > /dev/null
check "plain Deployment api serves 0.9.0" wait_for 30 api_serves 0.9.0
K rollout apply -f "$T/api-1.0.0.json" --wait > "$T/api1.out" 2> "$T/api1.err"
check "first rollout of a plain Deployment: exit 0" test $? -eq 0 || sed 's/^/#   /' "$T/api1.err" >&2
check "it names the version it replaces (from the image tag)" grep -q 'version 1.0.0 (serving before: 0.9.0)' "$T/api1.out"
check "api 1.0.0 serves from slot blue" test "$(api_slot)" = blue
check "the Service answers with 1.0.0" wait_for 10 api_serves 1.0.0
check "previous is recorded, derived from the plain Deployment" \
    sh -c "kubectl get cm kdeck-rollout-api -n shop -o jsonpath='{.data.previous}' | grep -q '\"version\": \"0.9.0\"'"
K rollout undo api -n shop --wait > "$T/apiundo.out" 2> "$T/apiundo.err"
check "undo after the first rollout: exit 0" test $? -eq 0 || sed 's/^/#   /' "$T/apiundo.err" >&2
check "undo: slot green runs 0.9.0 and the Service selects it" \
    sh -c "[ '$(api_slot)' = green ] &&
           [ \"\$(kubectl get deploy api-green -n shop -o jsonpath='{.spec.template.metadata.labels.version}')\" = 0.9.0 ]"
check "undo: the Service answers with 0.9.0 again" wait_for 10 api_serves 0.9.0

# ---- detached apply, then status --wait ----
K rollout apply -f "$T/web-1.2.0.json" > "$T/det2.out" 2> "$T/det2.err"
rc=$?
check "detached apply: exit 0 and where its output goes" \
    sh -c "[ $rc -eq 0 ] && grep -q 'started: a detached driver (pid [0-9]*) holds the lock' '$T/det2.out' &&
           grep -q 'rollout-web.log' '$T/det2.out'"
K rollout status web -n shop --wait > "$T/sw.out" 2> "$T/sw.err"
check "status --wait follows it to the end: exit 0" \
    sh -c "[ $? -eq 0 ] && grep -q '^rollout web-1.2.0-[0-9]* succeeded' '$T/sw.out'"
check "the detached driver's own output is in its log" \
    wait_for 10 grep -q 'succeeded: shop/web serves version 1.2.0' "$XDG_STATE_HOME/kdeck/rollout-web.log"
check "the detached driver released the Lease" wait_for 10 sh -c "[ -z \"\$(kubectl get lease kdeck-rollout-web -n shop -o jsonpath='{.spec.holderIdentity}')\" ]"

# ---- the ConfigMap's resourceVersion precondition: a write in between gives 409, re-read ----
K rollout apply -f "$T/web-1.1.0.json" --wait > "$T/rv.out" 2>&1 &
first=$!
wait_for 30 at_step bake
before=$(sim_lines)
kubectl annotate configmap kdeck-rollout-web -n shop touched=by-test >/dev/null
wait $first
check "a rollout whose record was changed meanwhile still succeeds" test $? -eq 0
sim_requests "$before" > "$T/rv.req"
check "its next PUT got 409 (resourceVersion precondition), then re-read and written" \
    sh -c "grep -q '^update /api/v1/namespaces/shop/configmaps/kdeck-rollout-web 409' '$T/rv.req' &&
           grep -q '^update /api/v1/namespaces/shop/configmaps/kdeck-rollout-web 200' '$T/rv.req'"
check "the other writer's field is kept" \
    test "$(kubectl get cm kdeck-rollout-web -n shop -o jsonpath='{.metadata.annotations.touched}')" = by-test

# ---- a migration Job: its log in the rollout log; a failed one stops before anything changed ----
before=$(sim_lines)
K rollout apply -f "$T/web-1.6.0.json" --wait > "$T/mig1.out" 2> "$T/mig1.err"
rc=$?
check "failing migration: exit 1" test $rc -eq 1
check "failing migration: the reason names the Job" grep -qE 'failed at step migrate: migration Job web-migrate-1-6-0 failed' "$T/mig1.err"
sim_requests "$before" > "$T/mig1.req"
check "failing migration: the Job was created, no Deployment, no Service change" \
    sh -c "grep -q '^create /apis/batch/v1/namespaces/shop/jobs 201' '$T/mig1.req' &&
           ! grep -q '^create /apis/apps/v1/' '$T/mig1.req' && ! grep -q '^patch /api/v1/namespaces/shop/services/' '$T/mig1.req'"
K rollout apply -f "$T/web-1.5.0.json" --wait > "$T/mig2.out" 2> "$T/mig2.err"
check "migration then rollout: exit 0" test $? -eq 0 || sed 's/^/#   /' "$T/mig2.err" >&2
check "the migration Job's pod log is in the rollout log" grep -qE '^[0-9:]{8} migration \| ' "$T/mig2.out"
check "the migration Job completed" \
    test "$(kubectl get job web-migrate-1-5-0 -n shop -o jsonpath='{.status.conditions[0].type}')" = Complete

# ---- pre-switch analysis against a stand-in Prometheus that answers 0.002 for every query ----
cat > "$T/prom.py" <<'EOF'
import http.server, json, sys, time, urllib.parse
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query).get("query", [""])[0]
        open(sys.argv[2], "a").write(q + "\n")
        body = json.dumps({"status": "success", "data": {"resultType": "vector",
                           "result": [{"metric": {}, "value": [time.time(), "0.002"]}]}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1] + ".tmp", "w").write(str(s.server_port))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.serve_forever()
EOF
python3 "$T/prom.py" "$T/prom.port" "$T/prom.queries" &
E2E_PIDS+=("$!")
wait_for 10 test -s "$T/prom.port"
PROM=http://127.0.0.1:$(cat "$T/prom.port")
K rollout apply -f "$T/web-1.7.0.json" --wait --prometheus "$PROM" > "$T/an1.out" 2> "$T/an1.err"
check "analysis within its threshold: exit 0" test $? -eq 0 || sed 's/^/#   /' "$T/an1.err" >&2
check "analysis: \$namespace, \$service, \$app substituted" \
    grep -qF 'sum(rate(errors{namespace="shop",service="web",app="web"}[1m]))' "$T/prom.queries"
before=$(sim_lines)
K rollout apply -f "$T/web-1.8.0.json" --wait --prometheus "$PROM" > "$T/an2.out" 2> "$T/an2.err"
check "analysis over its threshold: exit 1" test $? -eq 1
check "analysis: the reason names the query, value and threshold" grep -q 'error-ratio: 0.002 > 0.0001' "$T/an2.err"
sim_requests "$before" > "$T/an2.req"
check "analysis failure: no PATCH of the Service" sh -c "! grep -q '^patch /api/v1/namespaces/shop/services/' '$T/an2.req'"
K rollout apply -f "$T/web-1.8.0.json" --wait --prometheus http://127.0.0.1:1 > /dev/null 2> "$T/an3.err"
check "analysis with Prometheus unreachable: exit 1, and why" \
    sh -c "[ $? -eq 1 ] && grep -q 'error-ratio: Prometheus unreachable' '$T/an3.err'"

# ---- --timeout: the rollout is aborted (reverted) when it takes too long ----
serving=$(selector_slot)
K rollout apply -f "$T/web-1.4.0.json" --wait --timeout 6s > "$T/to.out" 2> "$T/to.err"
rc=$?
check "--timeout: exit 1" test $rc -eq 1
check "--timeout: aborted with the reason" grep -q 'aborted at step [a-z]*: timed out after 6s (--timeout)' "$T/to.err"
check "--timeout: the old version serves again" test "$(selector_slot)" = "$serving"

# ---- SIGTERM (a cancelled pipeline) while driving: reverted like an abort ----
"$KDECK_BIN" rollout apply -f "$T/web-1.4.0.json" --wait > "$T/sig.out" 2> "$T/sig.err" &
pid=$!
E2E_PIDS+=("$pid")
wait_for 30 at_step bake
kill -TERM "$pid"
wait "$pid"
check "SIGTERM during apply --wait: exit 1 after the revert" test $? -eq 1
check "SIGTERM: aborted with the reason" grep -q 'aborted at step bake: terminated (SIGTERM)' "$T/sig.err"
check "SIGTERM: the old version serves" test "$(selector_slot)" = "$serving"

# ---- the API server unreachable at start: exit 4 ----
sed 's#https://127.0.0.1:[0-9]*#https://127.0.0.1:1#' "$SIM/admin.kubeconfig" > "$T/down.kubeconfig"
K --kubeconfig "$T/down.kubeconfig" rollout apply -f "$T/web-1.2.0.json" --wait > /dev/null 2> "$T/down.err"
check "API down at start: exit 4" test $? -eq 4
check "API down: a clear message" grep -q 'API server unreachable: GET /api/v1/namespaces/shop/services/web: cannot connect' "$T/down.err"
K --kubeconfig "$T/down.kubeconfig" rollout status web -n shop > /dev/null 2>&1
check "status with the API down: exit 4" test $? -eq 4

e2e_done
