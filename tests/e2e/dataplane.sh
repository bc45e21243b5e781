#!/bin/bash
# dataplane: kubesim's real servers, driven through tests/kubesim/dataplane/ (selftest.py):
# HAProxy Service switched from two podapp v1 to two podapp v2 under wrk load with zero failed
# requests (plus a hitless reload and graceful pod stops mid-run), Ingress routing, MariaDB +
# mysqld-exporter + Prometheus (mysql_up == 1 and haproxy_backend_* series scraped).
# Prints "ok - X" / "not ok - X" per check and ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
PODAPP_BIN=${PODAPP_BIN:-build/podapp}
case "$PODAPP_BIN" in /*) ;; *) PODAPP_BIN=$PWD/$PODAPP_BIN ;; esac
PYTHON=${PYTHON:-python3}

missing=()
[ -x "$PODAPP_BIN" ] || missing+=("$PODAPP_BIN (make build/podapp)")
for tool in haproxy wrk mariadbd mariadb mariadb-install-db prometheus prometheus-mysqld-exporter "$PYTHON"; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "not ok - prerequisites present (missing: ${missing[*]})"
    echo "0 passed, 1 failed"
    exit 1
fi

STATE=$(mktemp -d /tmp/kdeck-dataplane.XXXXXX)
OUT=$STATE/selftest.out
runner=

stop_all() {
    local p f deadline
    # the selftest stops everything it started in its own `finally`; SIGTERM lets it get there
    if [ -n "$runner" ] && [ -e "/proc/$runner" ]; then
        kill -TERM "$runner" 2>/dev/null
        deadline=$((SECONDS + 30))
        while [ -e "/proc/$runner" ] && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
        kill -KILL "$runner" 2>/dev/null
    fi
    wait 2>/dev/null
    # backstop: any server whose pid file is still there, if that pid is still one of ours
    while IFS= read -r f; do
        p=$(head -c 20 "$f" 2>/dev/null | tr -dc 0-9)
        [ -n "$p" ] && [ -r "/proc/$p/cmdline" ] || continue
        if tr '\0' ' ' <"/proc/$p/cmdline" | grep -Eq "(podapp|haproxy|mariadbd|prometheus)"; then
            kill -TERM "$p" 2>/dev/null
            deadline=$((SECONDS + 15))
            while [ -e "/proc/$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ] &&
                  [ $SECONDS -lt $deadline ]; do sleep 0.1; done
            kill -KILL "$p" 2>/dev/null
        fi
    done < <(find "$STATE" -name '*.pid' 2>/dev/null)
}

cleanup() { # $1: keep the logs
    stop_all
    if [ "${KEEP_STATE:-0}" = 1 ] || [ "$1" = 1 ]; then
        # keep the logs of a failed run, but not the 100 MB MariaDB datadir
        rm -rf "$STATE/mariadb/data" "$STATE/prometheus/data"
        echo "# state kept in $STATE"
    else
        rm -rf "$STATE"
    fi
}
trap 'rc=$?; cleanup 1; exit $rc' EXIT
trap 'exit 130' INT TERM

timeout -k 10 110 "$PYTHON" tests/kubesim/dataplane/selftest.py --podapp "$PODAPP_BIN" --state "$STATE" \
    >"$OUT" 2>&1 &
runner=$!
# stream the output as it comes; tail ends once the selftest has ended and everything is printed
# (in the background, so a SIGTERM/SIGINT to this script is handled at once by `wait`)
tail -s 0.2 --pid=$runner -n +1 -f "$OUT" | grep --line-buffered -Ev '^[0-9]+ passed, [0-9]+ failed$' &
streamer=$!
wait $runner
rc=$?
runner=
wait $streamer
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$OUT" | tail -1)
failed=$rc
trap - EXIT
if [ -z "$summary" ]; then
    p=$(grep -c '^ok - ' "$OUT"); f=$(grep -c '^not ok - ' "$OUT")
    echo "not ok - selftest.py ended without a summary (exit $rc)"
    summary="$p passed, $((f + 1)) failed"
    failed=1
fi
[ $failed -ne 0 ] && cleanup 1 || cleanup 0
echo "$summary"
[ $failed -eq 0 ]
