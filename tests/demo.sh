#!/bin/bash
# make demo: the bundled simulated cluster with the seed application, and kdeck on it.
# Everything started here is stopped by pid when kdeck exits.
set -u
cd "$(dirname "$0")/.."
state=$(mktemp -d "${TMPDIR:-/tmp}/kdeck-demo.XXXXXX")
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for pid in "${pids[@]}"; do
        for _ in $(seq 100); do [ -e "/proc/$pid" ] || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
    done
    rm -rf "$state"
}
trap cleanup EXIT INT TERM

echo "demo: starting the simulated cluster (state in $state)..."
python3 tests/kubesim/kubesim.py --state-dir "$state" --seed-app ${KUBESIM_ARGS:-} >"$state/kubesim.log" 2>&1 &
pids+=($!)
for _ in $(seq 600); do
    [ -e "$state/ready" ] && break
    if ! kill -0 "${pids[0]}" 2>/dev/null; then echo "demo: kubesim failed:"; tail -20 "$state/kubesim.log"; exit 1; fi
    sleep 0.1
done
[ -e "$state/ready" ] || { echo "demo: kubesim did not start in 60 s"; tail -20 "$state/kubesim.log"; exit 1; }

if [ -x tests/demo-traffic.sh ]; then
    tests/demo-traffic.sh "$state" >"$state/traffic.log" 2>&1 &
    pids+=($!)
fi

if [ ! -t 0 ] || [ ! -t 1 ]; then
    echo "demo: the cluster is up (kubeconfig: $state/admin.kubeconfig), but this is not a terminal;"
    echo "demo: run kdeck yourself in one: KUBECONFIG=$state/admin.kubeconfig ./kdeck -n app"
    KUBECONFIG="$state/admin.kubeconfig" kubectl get pods -A -o wide || true
    exit 0
fi
KUBECONFIG="$state/admin.kubeconfig" ./kdeck -n app
