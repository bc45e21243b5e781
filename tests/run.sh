#!/bin/bash
# Runs every test suite and ends with one line: "N passed, N failed".
#  - unit: each build/tests/test_* (cmocka); every cmocka test counts.
#  - e2e:  each tests/e2e/*.sh (and the kubectl fidelity gate); each script prints its own
#          "N passed, N failed" line, which is added up; a script that dies without one counts as 1 failed.
# TESTS="pattern ..." limits the run to suites whose name contains one of the patterns.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export KDECK_BIN=${KDECK_BIN:-$PWD/$BUILD/kdeck}
export PODAPP_BIN=${PODAPP_BIN:-$PWD/$BUILD/podapp}
export KDECK_FIXTURES=${KDECK_FIXTURES:-$(cd .. && pwd)/shared/fixtures/k8s-real}
pattern=${TESTS:-}
passed=0; failed=0; failed_suites=()
logdir=$BUILD/test-logs; mkdir -p "$logdir"

count_line() { # prints "P F" from the last "N passed, N failed" line of a log, or nothing
    grep -Eo '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$1" | tail -1 | grep -Eo '[0-9]+' | tr '\n' ' '
}

run_suite() { # name, command...
    local name=$1; shift
    if [ -n "$pattern" ]; then
        local p hit=0
        for p in $pattern; do [[ "$name" == *"$p"* ]] && hit=1; done
        [ $hit = 1 ] || return
    fi
    local log=$logdir/$name.log start=$SECONDS
    mkdir -p "$(dirname "$log")"
    "$@" >"$log" 2>&1; local rc=$?
    local p f
    if [[ "$name" == unit/* ]]; then
        p=$(grep -Eo '\[  PASSED  \] [0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1)
        f=$(grep -Eo '\[  FAILED  \] [0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1)
    else
        read -r p f <<<"$(count_line "$log")"
    fi
    p=${p:-0}; f=${f:-0}
    if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    passed=$((passed + p)); failed=$((failed + f))
    if [ $rc -eq 0 ] && [ "$f" -eq 0 ]; then
        printf 'PASS  %-36s %4d tests  %3ds\n' "$name" "$p" $((SECONDS - start))
    else
        printf 'FAIL  %-36s %4d passed, %d failed (exit %d)  %3ds — log: %s\n' "$name" "$p" "$f" $rc $((SECONDS - start)) "$log"
        tail -25 "$log" | sed 's/^/      | /'
        failed_suites+=("$name")
    fi
}

for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    case "$t" in *.d|*.o) continue ;; esac
    run_suite "unit/$(basename "$t")" "$t"
done
for t in tests/e2e/*.sh; do
    case "$(basename "$t")" in *lib.sh) continue ;; esac   # sourced helpers, not suites
    [ -f "$t" ] || continue
    run_suite "e2e/$(basename "$t" .sh)" bash "$t"
done

echo
[ ${#failed_suites[@]} -gt 0 ] && echo "failed suites: ${failed_suites[*]}"
echo "total: $passed passed, $failed failed"
[ $failed -eq 0 ] && [ $passed -gt 0 ]
