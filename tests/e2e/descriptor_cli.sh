#!/bin/bash
# Headless descriptor commands against kubesim (--seed-app --virtual): `kdeck descriptor get`,
# `kdeck descriptor validate`, `kdeck apply` (diff, server dry run, real apply and rollout, the
# 409 and 422 flows, a new app, read-only refusal) and the local audit log.
. "$(dirname "$0")/lib.sh"

SIM=$E2E_TMP/sim
start_kubesim "$SIM" --seed-app --virtual --pod-start-delay 0.3 || { not_ok "kubesim starts"; e2e_done; }
K() { "$KDECK_BIN" "$@"; }
T=$E2E_TMP
AUDIT=$XDG_STATE_HOME/kdeck/audit.log

# sim_writes: the mutating requests kubesim has logged (verb create/update/patch/delete), as
# "verb path query" lines.
sim_writes() {
    python3 - "$SIM/audit.log" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("verb") in ("create", "update", "patch", "delete"):
        print(e["verb"], e["path"], e.get("query") or "")
EOF
}
# edit FILE OUT PYTHON: writes OUT = FILE's descriptor changed by the Python statements on d.
edit() {
    python3 - "$1" "$2" "$3" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"), indent=2)
EOF
}

# ---- descriptor get / validate ----
K descriptor get back -n app > "$T/back.json" 2> "$T/get.err"
check "descriptor get back -n app: exit 0" test $? -eq 0
check "descriptor get prints the descriptor" grep -q '"image": "registry.local/app/back:1.0.0"' "$T/back.json"
K descriptor validate "$T/back.json" > "$T/val.out"
check "the derived descriptor validates" sh -c "[ $? -eq 0 ] && grep -qx '$T/back.json: valid' '$T/val.out'"
K descriptor get back -n app -o yaml > "$T/back.yaml"
check "descriptor get -o yaml" grep -q '^  image: registry.local/app/back:1.0.0$' "$T/back.yaml"
K descriptor get nosuchapp -n app > /dev/null 2> "$T/nf.err"
check "descriptor get of a missing app: exit 1 and a clear message" \
    sh -c "[ $? -eq 1 ] && grep -q 'deployment \"nosuchapp\" not found in namespace \"app\"' '$T/nf.err'"
K descriptor get > /dev/null 2>&1
check "descriptor get without APP: usage, exit 2" test $? -eq 2

edit "$T/back.json" "$T/bad.json" '
d["name"] = "Back_App"
d["replicas"] = -1
c = d["containers"][0]
c["image"] = "Registry.local/App:"
c["ports"][0]["containerPort"] = 70000
c["resources"]["requests"]["memory"] = "12 Mi"
'
K descriptor validate "$T/bad.json" > "$T/bad.out"
rc=$?
check "descriptor validate of a bad file: exit 1" test $rc -eq 1
for f in 'name' 'replicas' 'containers[0].image' 'containers[0].ports[0].containerPort' \
         'containers[0].resources.requests.memory'; do
    check "descriptor validate lists $f" grep -qF "$T/bad.json: $f: " "$T/bad.out"
done
echo '{"apiVersion": "kdeck/v1", "kind": "AppDescriptor", "replicas": "two", "bogus": 1}' > "$T/parse.json"
K descriptor validate "$T/parse.json" > "$T/parse.out"
check "descriptor validate reports type errors and unknown fields (exit 1)" \
    sh -c "[ $? -eq 1 ] && grep -q ': replicas: ' '$T/parse.out' && grep -q ': bogus: ' '$T/parse.out'"
K descriptor validate > /dev/null 2>&1
check "descriptor validate without FILE: exit 2" test $? -eq 2

# ---- apply --dry-run ----
# The seed app was not made by kdeck: its first apply adds kdeck's labels and an Ingress of its own
# (the seed's shared Ingress "app" is left alone), nothing else.
K apply -f "$T/back.json" --dry-run > "$T/seed.out" 2>&1
check "seed app diff: nothing removed" sh -c "! grep -v '^--- live' '$T/seed.out' | grep -q '^-'"
check "seed app diff: kdeck's label on Deployment, Service and the new Ingress" \
    test "$(grep -c '^+    app.kubernetes.io/managed-by: kdeck$' "$T/seed.out")" = 3
check "seed app diff: the app's own Ingress will be created" grep -q '^Ingress app/back: will be created' "$T/seed.out"
edit "$T/back.json" "$T/back2.json" '
d["replicas"] = 3
d["version"] = "1.1.0"
d["containers"][0]["image"] = "registry.local/app/back:1.1.0"
d["containers"][0]["env"][0]["value"] = "mysql-new"
'
before=$(sim_writes | wc -l)
rv_before=$(kubectl get deploy back -n app -o jsonpath='{.metadata.resourceVersion}')
K apply -f "$T/back2.json" --dry-run > "$T/dry.out" 2> "$T/dry.err"
check "apply --dry-run: exit 0" test $? -eq 0
check "dry run diff shows the replicas change" sh -c "grep -qx -- '-  replicas: 2' '$T/dry.out' && grep -qx -- '+  replicas: 3' '$T/dry.out'"
check "dry run diff shows the image change" grep -qx -- '+        image: registry.local/app/back:1.1.0' "$T/dry.out"
check "dry run diff shows the env change" grep -qx -- '+          value: mysql-new' "$T/dry.out"
check "dry run output has no colour when not a tty" sh -c "! grep -q $'\033' '$T/dry.out'"
check "dry run: the server validated the writes" grep -q 'Deployment app/back: server dry run ok' "$T/dry.out"
writes=$(sim_writes | tail -n +$((before + 1)))
check "dry run sent writes only with dryRun=All" sh -c "[ -n \"\$1\" ] && ! printf '%s\n' \"\$1\" | grep -v 'dryRun=All'" _ "$writes"
check "dry run changed nothing" test "$(kubectl get deploy back -n app -o jsonpath='{.metadata.resourceVersion} {.spec.replicas}')" = "$rv_before 2"
check "dry run wrote nothing to the local audit log" test ! -s "$AUDIT"

# ---- read-only ----
K --read-only apply -f "$T/back2.json" > "$T/ro.out" 2> "$T/ro.err"
rc=$?
check "read-only apply: exit 2 with a clear message" sh -c "[ $rc -eq 2 ] && grep -q 'read-only session' '$T/ro.err'"
check "read-only apply still shows the diff" grep -qx -- '+  replicas: 3' "$T/ro.out"
check "read-only apply changed nothing" test "$(kubectl get deploy back -n app -o jsonpath='{.spec.replicas}')" = 2

# ---- real apply ----
K apply -f "$T/back2.json" --timeout 60s > "$T/apply.out" 2> "$T/apply.err"
rc=$?
check "apply: exit 0" test $rc -eq 0 || sed 's/^/#   /' "$T/apply.err" >&2
check "apply: kubectl shows the new replicas and image" \
    test "$(kubectl get deploy back -n app -o jsonpath='{.spec.replicas} {.spec.template.spec.containers[0].image}')" = "3 registry.local/app/back:1.1.0"
check "apply: kubectl shows the env change" \
    test "$(kubectl get deploy back -n app -o jsonpath='{.spec.template.spec.containers[0].env[0].value}')" = mysql-new
check "apply: rollout progress lines" grep -q '^Waiting for deployment "back" rollout to finish' "$T/apply.out"
check "apply: the rollout is followed to completion" grep -qx 'deployment "back" successfully rolled out' "$T/apply.out"
check "apply: the Deployment is rolled out (kubectl rollout status)" \
    sh -c 'timeout 20 kubectl rollout status deploy/back -n app --timeout=15s >/dev/null' 
check "apply kept the server's fields (revisionHistoryLimit)" \
    test "$(kubectl get deploy back -n app -o jsonpath='{.spec.revisionHistoryLimit}')" = 10

K descriptor get back -n app > "$T/back3.json"
K apply -f "$T/back3.json" --dry-run > "$T/noop.out" 2>&1
check "apply of what descriptor get prints is a no-op diff" \
    sh -c "[ $? -eq 0 ] && grep -q '^Nothing to apply' '$T/noop.out' && ! grep -q '^[-+]' '$T/noop.out'"

# ---- 409: a change made with kubectl between kdeck's read and its write ----
edit "$T/back3.json" "$T/back4.json" 'd["replicas"] = 4'
rm -f "$T/go"
KDECK_TEST_PAUSE_BEFORE_WRITE=$T/go K apply -f "$T/back4.json" > "$T/c.out" 2> "$T/c.err" &
apid=$!
E2E_PIDS+=("$apid")
wait_for 10 grep -q 'test hook: waiting' "$T/c.err"
kubectl set env deploy/back -n app -c back EXTRA_FLAG=on > /dev/null
touch "$T/go"
wait "$apid"
rc=$?
check "conflicting change: exit 3" test $rc -eq 3 || sed 's/^/#   /' "$T/c.err" >&2
check "conflict: says the object changed on the server" grep -q 'conflict: Deployment app/back was changed on the server' "$T/c.err"
check "conflict: shows what changed (the kubectl edit)" grep -q '^+.*EXTRA_FLAG' "$T/c.out"
check "conflict: kubectl's change is kept, ours not written" \
    test "$(kubectl get deploy back -n app -o jsonpath='{.spec.replicas}')" = 3

# ---- 422: a value the server rejects (local checks off so the server sees it) ----
edit "$T/back3.json" "$T/inv.json" 'd["containers"][0]["name"] = "Back_Container"'
K apply -f "$T/inv.json" > /dev/null 2> "$T/inv-local.err"
check "an invalid descriptor is refused locally (exit 1)" \
    sh -c "[ $? -eq 1 ] && grep -q 'containers\[0\]\.name: ' '$T/inv-local.err'"
K apply -f "$T/inv.json" --validate=false > "$T/inv.out" 2> "$T/inv.err"
rc=$?
check "422: exit 1" test $rc -eq 1
check "422: prints the API's field" grep -q '^  spec.template.spec.containers\[0\]\.name: Invalid value: "Back_Container"' "$T/inv.err"

# ---- a new app ----
edit "$T/back3.json" "$T/new.json" '
d["name"] = "newapp"
d["version"] = "0.1.0"
d["replicas"] = 2
d.pop("ingress", None)
d["containers"][0]["image"] = "registry.local/app/newapp:0.1.0"
d["migration"] = {"image": "registry.local/app/newapp-migrate:0.1.0", "backoffLimit": 0, "timeoutSeconds": 60}
'
K apply -f "$T/new.json" --timeout 60s > "$T/new.out" 2> "$T/new.err"
rc=$?
check "new app: exit 0" test $rc -eq 0 || sed 's/^/#   /' "$T/new.err" >&2
check "new app: the diff says it will be created" grep -q '^Deployment app/newapp: will be created' "$T/new.out"
check "new app: the migration Job ran first and completed" \
    sh -c "grep -n 'migration Job app/newapp-migrate-0-1-0 completed' '$T/new.out' | cut -d: -f1 > '$T/l1'; grep -n 'Deployment app/newapp created' '$T/new.out' | cut -d: -f1 > '$T/l2'; [ -s '$T/l1' ] && [ -s '$T/l2' ] && [ \$(cat '$T/l1') -lt \$(cat '$T/l2') ]"
check "new app: kubectl shows the Deployment and Service" \
    sh -c "kubectl get deploy newapp -n app >/dev/null 2>&1 && kubectl get svc newapp -n app >/dev/null 2>&1"
check "new app: rolled out" grep -qx 'deployment "newapp" successfully rolled out' "$T/new.out"
check "new app: ready replicas 2" test "$(kubectl get deploy newapp -n app -o jsonpath='{.status.readyReplicas}')" = 2

# ---- the local audit log ----
check "audit log exists with mode 0600" test "$(stat -c %a "$AUDIT" 2>/dev/null)" = 600
check "audit dir has mode 0700" test "$(stat -c %a "$(dirname "$AUDIT")")" = 700
check "audit log: the deployment update" grep -q '"context":"kubesim","user":"admin","verb":"update","object":"deployments/app/back","result":"200 OK"' "$AUDIT"
check "audit log: the read-only refusal" grep -q '"verb":"update","object":"deployments/app/back","result":"refused: read-only session' "$AUDIT"
check "audit log: the conflict" grep -q '"object":"deployments/app/back","result":"409 Conflict' "$AUDIT"
check "audit log: the creations" sh -c "grep -q '\"verb\":\"create\",\"object\":\"deployments/app/newapp\",\"result\":\"201 Created\"' '$AUDIT' && grep -q '\"object\":\"jobs/app/newapp-migrate-0-1-0\"' '$AUDIT'"
check "audit log: every line is JSON with the fields" python3 -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    assert set(e) == {"time", "context", "user", "verb", "object", "result"}, e
' "$AUDIT"

# ---- unreachable API ----
sed "s#https://127.0.0.1:[0-9]*#https://127.0.0.1:9#" "$SIM/admin.kubeconfig" > "$T/down.kubeconfig"
K --kubeconfig "$T/down.kubeconfig" apply -f "$T/back3.json" > /dev/null 2> "$T/down.err"
check "API unreachable: exit 4" test $? -eq 4
e2e_done
