#!/bin/bash
# `make bench` (after the build): speed and memory of kdeck at 10,000 pods, compared with kubectl
# in the same run, then blue/green rollouts (switch latency, total time). Prints tables and rewrites
# docs/performance.md. Takes about 3.5 minutes.
# Exit status: 0 when every measurement ran (a missed target is reported, not a failure),
# non-zero when something is broken (kubesim does not start, kdeck crashes or fails a step).
# Knobs: BENCH_RUNS, BENCH_KUBECTL_RUNS, BENCH_FILTER_RUNS, BENCH_IDLE_S, BENCH_CHURN_S,
#        BENCH_KEEP=1 (keep the temporary directory), BENCH_JSON=FILE (raw results),
#        BENCH_ROLLOUT_ONLY=1 (only the rollout part), BENCH_ROLLOUT_RUNS, BENCH_ROLLOUT_JSON=FILE.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export KDECK_BIN=${KDECK_BIN:-$ROOT/build/kdeck}
if [ ! -x "$KDECK_BIN" ]; then
    echo "bench: $KDECK_BIN is missing; run make first" >&2
    exit 1
fi
for tool in python3 tmux /usr/bin/kubectl; do
    command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool is missing" >&2; exit 1; }
done
# The whole bench is bounded: each part stops what it started by pid; timeout is the last resort.
rc=0
if [ "${BENCH_ROLLOUT_ONLY:-0}" != 1 ]; then
    timeout --signal=TERM --kill-after=30 900 python3 "$ROOT/tests/bench/bench.py" "$@" || rc=$?
fi
# Blue/green rollouts on real pods behind HAProxy (tests/bench/rollout_bench.py): switch latency and
# total time, written to the rollout section of docs/performance.md. About 1 minute.
timeout --signal=TERM --kill-after=30 300 python3 "$ROOT/tests/bench/rollout_bench.py" || rc=$?
exit $rc
