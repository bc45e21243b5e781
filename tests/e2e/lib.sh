# Shared helpers for the end-to-end tests (sourced, not run).
# Each test prints "ok - NAME" / "not ok - NAME" lines and ends with "N passed, N failed".
# Processes are started by the test and stopped by pid in the EXIT trap; waits poll with deadlines.

set -u
E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KDECK_BIN=${KDECK_BIN:-$E2E_ROOT/build/kdeck}
PODAPP_BIN=${PODAPP_BIN:-$E2E_ROOT/build/podapp}
export KDECK_FIXTURES=${KDECK_FIXTURES:-$(cd "$E2E_ROOT/.." && pwd)/shared/fixtures/k8s-real}
E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/kdeck-e2e.XXXXXX")
E2E_PIDS=()
E2E_PASS=0
E2E_FAIL=0
# Pin everything a screen depends on.
export TZ=UTC LANG=C.UTF-8 LC_ALL=C.UTF-8 HOME=$E2E_TMP/home XDG_CONFIG_HOME=$E2E_TMP/home/.config \
       XDG_STATE_HOME=$E2E_TMP/home/.local/state
unset KUBECONFIG NO_COLOR KDECK_SCRIPT KDECK_CONFIG
mkdir -p "$HOME"

e2e_cleanup() {
    local pid
    for pid in "${E2E_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null
    done
    for pid in "${E2E_PIDS[@]}"; do
        e2e_wait_gone "$pid" 10 || kill -KILL "$pid" 2>/dev/null
    done
    [ -n "${E2E_KEEP:-}" ] || rm -rf "$E2E_TMP"
}
trap e2e_cleanup EXIT

ok()     { E2E_PASS=$((E2E_PASS + 1)); echo "ok - $*"; }
not_ok() { E2E_FAIL=$((E2E_FAIL + 1)); echo "not ok - $*"; }
check()  { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }
e2e_done() {
    echo "$E2E_PASS passed, $E2E_FAIL failed"
    [ "$E2E_FAIL" -eq 0 ]
    exit $?
}

# e2e_wait_gone PID SECONDS: true once the process has exited (zombies count as gone).
e2e_wait_gone() {
    local pid=$1 deadline=$((SECONDS + $2))
    while [ $SECONDS -lt $deadline ]; do
        [ -r "/proc/$pid/cmdline" ] && [ -n "$(tr -d '\0' 2>/dev/null < "/proc/$pid/cmdline")" ] || return 0
        sleep 0.05
    done
    return 1
}

# wait_for SECONDS COMMAND...: polls COMMAND until it succeeds or the deadline passes.
wait_for() {
    local deadline=$((SECONDS + $1)); shift
    while [ $SECONDS -lt $deadline ]; do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

# start_kubesim DIR [ARGS...]: starts the simulator, waits for DIR/ready; sets KUBESIM_PID.
start_kubesim() {
    local dir=$1; shift
    mkdir -p "$dir"
    python3 "$E2E_ROOT/tests/kubesim/kubesim.py" --state-dir "$dir" "$@" >"$dir/kubesim.out" 2>&1 &
    KUBESIM_PID=$!
    E2E_PIDS+=("$KUBESIM_PID")
    if ! wait_for 60 test -e "$dir/ready"; then
        echo "kubesim did not become ready; its output:" >&2
        tail -30 "$dir/kubesim.out" >&2
        return 1
    fi
    export KUBECONFIG="$dir/admin.kubeconfig"
}

stop_pid() { # by pid, then wait
    kill -TERM "$1" 2>/dev/null
    e2e_wait_gone "$1" 15 || kill -KILL "$1" 2>/dev/null
}

# run_script NAME COLS ROWS [KDECK ARGS...] <<'EOF' ... EOF
# Runs kdeck on a virtual screen with the script from stdin; output files land in $E2E_TMP/NAME.*
run_script() {
    local name=$1 cols=$2 rows=$3; shift 3
    cat > "$E2E_TMP/$name.script"
    COLUMNS=$cols LINES=$rows KDECK_NO_DISPLAY=1 KDECK_SCRIPT="$E2E_TMP/$name.script" \
        KDECK_SCRIPT_TIMEOUT=${KDECK_SCRIPT_TIMEOUT:-30} \
        timeout 120 "$KDECK_BIN" "$@" >"$E2E_TMP/$name.out" 2>"$E2E_TMP/$name.err"
    local rc=$?
    if [ $rc -ne 0 ]; then
        echo "# kdeck exited $rc for script $name:" >&2
        sed 's/^/#   /' "$E2E_TMP/$name.err" | tail -40 >&2
    fi
    return $rc
}

# start_script NAME COLS ROWS [KDECK ARGS...] <<'EOF' ... EOF
# Like run_script, but kdeck runs in the background while the test acts on the cluster; the script
# usually saves a display the test waits for. finish_script waits for it and returns its status.
start_script() {
    local name=$1 cols=$2 rows=$3; shift 3
    cat > "$E2E_TMP/$name.script"
    COLUMNS=$cols LINES=$rows KDECK_NO_DISPLAY=1 KDECK_SCRIPT="$E2E_TMP/$name.script" \
        KDECK_SCRIPT_TIMEOUT=${KDECK_SCRIPT_TIMEOUT:-60} \
        timeout 150 "$KDECK_BIN" "$@" >"$E2E_TMP/$name.out" 2>"$E2E_TMP/$name.err" &
    SCRIPT_PID=$!
    SCRIPT_NAME=$name
    E2E_PIDS+=("$SCRIPT_PID")
}
finish_script() {
    wait "$SCRIPT_PID"
    local rc=$?
    [ $rc -ne 0 ] && sed 's/^/#   /' "$E2E_TMP/$SCRIPT_NAME.err" | head -40 >&2
    return $rc
}

# screen_has FILE TEXT: the dump contains TEXT (fixed string).
screen_has() { grep -qF -- "$2" "$1"; }
# screen_line FILE N: row N (1-based) of a dump.
screen_line() { sed -n "${2}p" "$1"; }
# same_text EXPECTED_FILE ACTUAL_FILE: exact comparison, with a diff on failure.
same_text() {
    if diff -u "$1" "$2" >"$E2E_TMP/diff.out"; then return 0; fi
    sed 's/^/#   /' "$E2E_TMP/diff.out" | head -60 >&2
    return 1
}
