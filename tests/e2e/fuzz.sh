#!/bin/bash
# The libFuzzer targets (tests/fuzz/), each for a bounded time: FUZZ_SECONDS per target (default 20;
# 12 targets, about 4.5 minutes with the build). Regression inputs (tests/fuzz/regress/) are replayed
# first; any crash, leak, timeout or out-of-memory fails and prints the reproducer.
# Longer runs: docs/security.md.
cd "$(dirname "$0")/../.." || exit 1
if ! command -v clang >/dev/null; then
    echo "not ok - clang is installed (tests/deps.sh installs it)"
    echo "0 passed, 1 failed"
    exit 1
fi
FUZZ_SECONDS=${FUZZ_SECONDS:-20} exec tests/fuzz/run.sh "$@"
