#!/bin/bash
# Fidelity gate: real kubectl against kubesim. Prints "ok - NAME" / "not ok - NAME" per check and
# ends with "N passed, N failed"; exits non-zero when any check failed.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
D=$(mktemp -d /tmp/kubectl_gate.XXXXXX)
KS_PID=

cleanup() {
    if [ -n "$KS_PID" ] && kill -0 "$KS_PID" 2>/dev/null; then
        kill "$KS_PID" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$KS_PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$KS_PID" 2>/dev/null
    fi
    rm -rf "$D"
}
trap cleanup EXIT

. "$(dirname "$0")/gate_lib.sh"

python3 "$ROOT/tests/kubesim/kubesim.py" --state-dir "$D/state" --seed-app --virtual >"$D/kubesim.log" 2>&1 &
KS_PID=$!
if ! wait_for 20 test -f "$D/state/ready"; then
    notok "kubesim starts" "$(cat "$D/kubesim.log")"
    echo "$passed passed, $failed failed"; exit 1
fi
ok "kubesim starts"

export KUBECONFIG="$D/state/admin.kubeconfig"
VIEWER="$D/state/viewer.kubeconfig"
K() { kubectl --cache-dir "$D/kcache" --request-timeout=20s "$@"; }
KV() { kubectl --kubeconfig "$VIEWER" --cache-dir "$D/kcache-viewer" --request-timeout=20s "$@"; }

check "kubectl version reports v1.30" 0 'Server Version: v1\.30\.' -- K version
check "get ns lists app and monitoring" 0 '^app +Active' -- K get ns
check "get ns shows monitoring" 0 '^monitoring +Active' -- K get ns

# the seed app converges: every deployment available, back's endpoints filled
wait_for 30 bash -c "kubectl --cache-dir '$D/kcache' get deploy -n app -o jsonpath='{range .items[*]}{.status.availableReplicas}/{.spec.replicas} {end}' | grep -Eqx '(1/1 |2/2 ){3}'"
wait_for 10 bash -c "kubectl --cache-dir '$D/kcache' get ep back -n app -o jsonpath='{.subsets[0].addresses[*].ip}' | grep -Eq '^[0-9.]+ [0-9.]+$'"
check "get pods -A -o wide has IP and NODE" 0 'app +back-[a-z0-9]+-[a-z0-9]{5} +1/1 +Running +0 +[0-9]+s +127\.1\.[0-9]+\.[0-9]+ +kubesim-node-1 +<none> +<none>' \
    -- K get pods -A -o wide
check "get pods -A -o wide header" 0 '^NAMESPACE +NAME +READY +STATUS +RESTARTS +AGE +IP +NODE +NOMINATED NODE +READINESS GATES' \
    -- K get pods -A -o wide
check "get deploy,rs,svc,ep,jobs: deployments" 0 'deployment.apps/back +2/2 +2 +2' -- K get deploy,rs,svc,ep,jobs -n app
check "get deploy,rs,svc,ep,jobs: replicasets" 0 'replicaset.apps/front-[a-z0-9]+ +2 +2 +2' -- K get deploy,rs,svc,ep,jobs -n app
check "get deploy,rs,svc,ep,jobs: services" 0 'service/mysql +ClusterIP +10\.43\.[0-9.]+ +<none> +3306/TCP,9104/TCP' -- K get deploy,rs,svc,ep,jobs -n app
check "get deploy,rs,svc,ep,jobs: endpoints" 0 'endpoints/back +127\.1\.[0-9.]+:8080,127\.1\.[0-9.]+:8080' -- K get deploy,rs,svc,ep,jobs -n app

check "wait --for=condition=complete job/db-migrate" 0 'job.batch/db-migrate condition met' \
    -- K wait --for=condition=complete job/db-migrate -n app --timeout=30s
check "get jobs shows Complete 1/1" 0 'db-migrate +Complete +1/1' -- K get jobs -n app

BACKPOD=$(K get pods -n app -l app=back -o jsonpath='{.items[0].metadata.name}')
check "describe pod shows containers, env from secret, events" 0 "RDS_PASSWORD: +<set to the key 'password' in secret 'app-db-mysql'>" \
    -- K describe pod "$BACKPOD" -n app
check "describe pod shows kubelet events" 0 'Normal +Started +[0-9a-z]+ +kubelet +Started container back' \
    -- K describe pod "$BACKPOD" -n app
check "describe deploy shows ReplicaSets and ScalingReplicaSet" 0 'ScalingReplicaSet .*Scaled up replica set back-[a-z0-9]+ to 2' \
    -- K describe deploy back -n app
check "describe deploy conditions" 0 'Progressing +True +NewReplicaSetAvailable' -- K describe deploy back -n app

cat >"$D/web1.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: app
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.25.4
        ports:
        - containerPort: 8080
        env:
        - {name: MODE, value: "one"}
EOF
sed -e 's/nginx:1.25.4/nginx:1.25.5/' -e 's/value: "one"/value: "two"/' "$D/web1.yaml" >"$D/web2.yaml"
check "apply -f creates" 0 'deployment.apps/web created' -- K apply -f "$D/web1.yaml"
check "apply -f same manifest is unchanged" 0 'deployment.apps/web unchanged' -- K apply -f "$D/web1.yaml"
check "apply -f changed manifest is configured" 0 'deployment.apps/web configured' -- K apply -f "$D/web2.yaml"
check "rollout status deploy/web" 0 'deployment "web" successfully rolled out' -- K rollout status deploy/web -n app --timeout=30s
check "rollout made a second ReplicaSet, revision 2" 0 '^2$' -- K get deploy web -n app -o 'jsonpath={.metadata.annotations.deployment\.kubernetes\.io/revision}'
check "strategic merge kept env merged by name" 0 '^two$' -- K get deploy web -n app -o 'jsonpath={.spec.template.spec.containers[0].env[?(@.name=="MODE")].value}'
check "rollout status deploy/back" 0 'deployment "back" successfully rolled out' -- K rollout status deploy/back -n app --timeout=30s

check "scale deploy/web --replicas=3" 0 'deployment.apps/web scaled' -- K scale deploy/web -n app --replicas=3
check "scaled deployment rolls out 3/3" 0 'successfully rolled out' -- K rollout status deploy/web -n app --timeout=30s
check "get deploy web shows 3/3" 0 'web +3/3 +3 +3' -- K get deploy web -n app

# watch: start a bounded watch, create a pod, see it appear
timeout 8 kubectl --cache-dir "$D/kcache" get pods -n app --watch --output-watch-events >"$D/watch.out" 2>&1 &
WPID=$!
wait_for 10 grep -q 'back-' "$D/watch.out"
K run watched-pod -n app --image=busybox:1.36 --restart=Never --labels=app=watched >/dev/null 2>&1
if wait_for 8 grep -Eq 'ADDED +watched-pod' "$D/watch.out" && wait_for 8 grep -Eq 'MODIFIED +watched-pod +1/1 +Running' "$D/watch.out"; then
    ok "get pods --watch sees a new pod appear and run"
else
    notok "get pods --watch sees a new pod appear and run" "$(cat "$D/watch.out")"
fi
kill "$WPID" 2>/dev/null; wait "$WPID" 2>/dev/null

check "auth can-i delete pods as admin" 0 '^yes' -- K auth can-i delete pods -n app
check "auth can-i delete pods as viewer" 1 '^no' -- KV auth can-i delete pods -n app
check "auth can-i list pods as viewer" 0 '^yes' -- KV auth can-i list pods -n app
check "viewer can get pods" 0 'back-' -- KV get pods -n app
check "viewer delete is refused with 403 Forbidden" 1 \
    'Error from server \(Forbidden\): pods "watched-pod" is forbidden: User "viewer" cannot delete resource "pods" in API group "" in the namespace "app"' \
    -- KV delete pod watched-pod -n app
if grep -q '"user":"viewer","verb":"delete","method":"DELETE","path":"/api/v1/namespaces/app/pods/watched-pod"' "$D/state/audit.log" &&
   grep '"user":"viewer","verb":"delete"' "$D/state/audit.log" | grep -q '"code":403'; then
    ok "audit log recorded the viewer's refused delete with 403"
else
    notok "audit log recorded the viewer's refused delete with 403" "$(grep viewer "$D/state/audit.log" | tail -5)"
fi

check "get of a missing object is NotFound" 1 'Error from server \(NotFound\): pods "no-such-pod" not found' \
    -- K get pod no-such-pod -n app
check "label selector in (..)" 0 'front-' -- K get pods -n app -l 'app in (front,back)'
out=$(K get pods -n app -l 'app in (front,back)' --no-headers 2>&1)
if [ "$(wc -l <<<"$out")" -eq 4 ] && ! grep -q mysql <<<"$out"; then ok "label selector selects exactly 4 pods"
else notok "label selector selects exactly 4 pods" "$out"; fi
check "label selector != and !key" 0 'mysql-' -- K get pods -n app -l 'app!=front,app!=back,!job-name'
check "field selector status.phase=Succeeded" 0 'db-migrate-' -- K get pods -n app --field-selector status.phase=Succeeded

n_all=$(K get pods -A --no-headers 2>/dev/null | wc -l)
n_chunk=$(K get pods -A --no-headers --chunk-size=2 -v=6 2>"$D/chunk.err" | wc -l)
if [ "$n_all" -ge 8 ] && [ "$n_all" -eq "$n_chunk" ] && grep -q 'continue=' "$D/chunk.err"; then
    ok "--chunk-size=2 paginates with continue and returns every pod ($n_chunk)"
else
    notok "--chunk-size=2 paginates with continue and returns every pod" "all=$n_all chunked=$n_chunk"
fi

check "logs of a virtual pod" 0 'listening on 0.0.0.0:8080' -- K logs "$BACKPOD" -n app
MYSQLPOD=$(K get pods -n app -l app=mysql -o jsonpath='{.items[0].metadata.name}')
check "log without container on a two-container pod is 400" 1 \
    'Error from server \(BadRequest\): a container name must be specified for pod mysql-[a-z0-9-]+, choose one of: \[mysql mysqld-exporter\]' \
    -- K get --raw "/api/v1/namespaces/app/pods/$MYSQLPOD/log"
check "logs -c mysqld-exporter" 0 'prom/mysqld-exporter:v0.14.0' -- K logs "$MYSQLPOD" -n app -c mysqld-exporter

WEB_RS=$(K get rs -n app -l app=web -o name | tr '\n' ' ')
check "delete deploy (cascade background)" 0 'deployment.apps "web" deleted' -- K delete deploy web -n app --timeout=30s
if wait_for 15 bash -c "[ -z \"\$(kubectl --cache-dir '$D/kcache' get rs,pods -n app -l app=web -o name 2>/dev/null)\" ]"; then
    ok "cascade delete removed ReplicaSets and pods ($WEB_RS)"
else
    notok "cascade delete removed ReplicaSets and pods" "$(K get rs,pods -n app -l app=web 2>&1)"
fi
check "delete --cascade=orphan keeps pods" 0 'deployment.apps "front" deleted' -- K delete deploy front -n app --cascade=orphan
check "orphaned ReplicaSet survives" 0 'front-' -- K get rs -n app -l app=front -o name

check "invalid name is 422 Invalid" 1 'is invalid: metadata.name: Invalid value: "Bad_Name"' \
    -- K create configmap Bad_Name -n app
check "create existing is AlreadyExists" 1 'services "back" already exists' \
    -- K create service clusterip back -n app --tcp=8080:8080

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
