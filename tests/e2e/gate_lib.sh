# Helpers shared by the kubectl fidelity gates (kubectl_gate.sh, kubelet_gate.sh); sourced.
# They count "ok - NAME" / "not ok - NAME" lines in $passed / $failed.
passed=0; failed=0

ok() { echo "ok - $1"; passed=$((passed + 1)); }
notok() { echo "not ok - $1"; failed=$((failed + 1)); [ -n "${2:-}" ] && sed 's/^/    # /' <<<"$2" | head -25; }

# check NAME EXPECTED_RC REGEX -- command...   (asserts exit status and that output matches REGEX)
check() {
    local name=$1 want_rc=$2 re=$3; shift 4
    local out rc
    out=$("$@" 2>&1); rc=$?
    if [ "$want_rc" != any ] && [ "$rc" -ne "$want_rc" ]; then
        notok "$name" "exit $rc (wanted $want_rc): $out"; return 1
    fi
    if ! grep -Eq -- "$re" <<<"$out"; then
        notok "$name" "output does not match /$re/: $out"; return 1
    fi
    ok "$name"
}

# wait_for DEADLINE_S CMD...: polls until CMD succeeds (no fixed sleeps)
wait_for() {
    local end=$((SECONDS + $1)); shift
    while [ $SECONDS -lt $end ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    return 1
}
