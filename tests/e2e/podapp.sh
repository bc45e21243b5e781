#!/bin/bash
# podapp: the HTTP app every simulated pod runs. Starts build/podapp ($PODAPP_BIN) on a loopback
# address of its own with various environments and checks its behaviour with curl, raw sockets and wrk.
# Prints "ok - X" / "not ok - X" per check and ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
PODAPP_BIN=${PODAPP_BIN:-build/podapp}
case "$PODAPP_BIN" in /*) ;; *) PODAPP_BIN=$PWD/$PODAPP_BIN ;; esac

pass=0; fail=0
ok()    { pass=$((pass + 1)); echo "ok - $*"; }
notok() { fail=$((fail + 1)); echo "not ok - $*"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else notok "$name"; fi; }
checke() { if eval "$2"; then ok "$1"; else notok "$1"; fi; }   # checke NAME 'shell condition'
finish() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }

if [ ! -x "$PODAPP_BIN" ]; then
    notok "podapp binary exists at $PODAPP_BIN (run: make build/podapp)"
    finish
fi
for tool in curl wrk; do
    command -v $tool >/dev/null || { notok "$tool is installed"; finish; }
done

TMP=$(mktemp -d /tmp/kdeck-podapp.XXXXXX)
# an address of our own, so parallel runs and other suites never collide
IP=127.$((100 + RANDOM % 100)).$((RANDOM % 250 + 1)).$((RANDOM % 200 + 10))
PORT=$((20000 + RANDOM % 20000))
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        [ -e "/proc/$p" ] && kill -KILL "$p" 2>/dev/null
    done
    wait 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { date +%s%3N; }

# start NAME VAR=value... : runs podapp in the background with that environment; sets $pid and $log
start() {
    local name=$1; shift
    log=$TMP/$name.log
    env POD_IP="$IP" "$@" "$PODAPP_BIN" >"$log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
}

# wait_http URL [seconds]: polls until the URL answers at all (any status)
wait_http() {
    local url=$1 deadline=$(( $(now_ms) + ${2:-5} * 1000 ))
    while [ "$(now_ms)" -lt $deadline ]; do
        curl -s -o /dev/null --max-time 1 "$url" && return 0
        sleep 0.02
    done
    return 1
}

# alive PID: true while the process exists and is not a zombie
alive() { [ -r "/proc/$1/stat" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }

# wait_exit PID SECONDS: waits for the child to end; sets $rc (or returns 1 on timeout)
wait_exit() {
    local p=$1 deadline=$(( $(now_ms) + $2 * 1000 ))
    while alive "$p"; do
        [ "$(now_ms)" -ge $deadline ] && return 1
        sleep 0.02
    done
    wait "$p"; rc=$?
    return 0
}

# wait_grep FILE PATTERN SECONDS: polls a log until a line matches
wait_grep() {
    local deadline=$(( $(now_ms) + $3 * 1000 ))
    while [ "$(now_ms)" -lt $deadline ]; do
        grep -q -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.02
    done
    return 1
}

stop() { # stop PID: SIGTERM and wait (SIGKILL if it ignores it)
    kill -TERM "$1" 2>/dev/null
    wait_exit "$1" 10 || { kill -KILL "$1" 2>/dev/null; wait "$1" 2>/dev/null; rc=137; }
}

# raw HOST PORT DATA [seconds]: sends bytes on a fresh TCP connection, prints what comes back until close
raw() {
    timeout "${4:-5}" bash -c 'exec 3<>/dev/tcp/$0/$1 || exit 9; printf "%b" "$2" >&3; cat <&3' "$1" "$2" "$3" 2>/dev/null
}

status_of() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1"; }

# ---------------------------------------------------------------- basic serving
start main PORT=$PORT VERSION=v7 POD_NAME=web-abc-1 APP_NAME=web
MAIN_PID=$pid MAIN_LOG=$log
URL=http://$IP:$PORT
if ! wait_http "$URL/" 5; then
    notok "podapp answers on $IP:$PORT"; cat "$log"; finish
fi
check "startup line 'podapp v7 listening on $IP:$PORT'" grep -qx "podapp v7 listening on $IP:$PORT" "$MAIN_LOG"
body=$(curl -s "$URL/")
check "/ answers '<APP> <VERSION> <POD>'" [ "$body" = "web v7 web-abc-1" ]
ctype=$(curl -s -o /dev/null -w '%{content_type}' "$URL/")
check "/ is text/plain" [ "${ctype%%;*}" = text/plain ]
body=$(curl -s -w ' %{http_code}' "$URL/health")
check "/health is 200 healthy JSON" [ "$body" = '{"healthy":true,"version":"v7","pod":"web-abc-1"} 200' ]
check "/healthz and /ready are 200" [ "$(status_of "$URL/healthz")$(status_of "$URL/ready")" = 200200 ]
check "/version" [ "$(curl -s "$URL/version")" = v7 ]
check "/status/503 answers 503" [ "$(status_of "$URL/status/503")" = 503 ]
check "/status/201 answers 201" [ "$(status_of "$URL/status/201")" = 201 ]
check "/status/abc answers 400" [ "$(status_of "$URL/status/abc")" = 400 ]
check "unknown path is 404" [ "$(status_of "$URL/no/such/path")" = 404 ]
check "HEAD / is 200 without a body" [ "$(curl -s -I -o /dev/null -w '%{http_code} %{size_download}' "$URL/")" = "200 0" ]
check "POST with a body is answered" [ "$(curl -s -o /dev/null -w '%{http_code}' -d 'a=1&b=2' "$URL/")" = 200 ]
big=$(head -c 200000 /dev/zero | tr '\0' x)
check "POST with a 200 kB body (100-continue) is answered" \
    [ "$(printf '%s' "$big" | curl -s -o /dev/null -w '%{http_code}' --data-binary @- "$URL/")" = 200 ]
metrics=$(curl -s "$URL/metrics")
check "/metrics has http_requests_total{code=\"200\"}" grep -Eq '^http_requests_total\{code="200"\} [0-9]+$' <<<"$metrics"
check "/metrics counts the 404s" grep -Eq '^http_requests_total\{code="404"\} [1-9]' <<<"$metrics"
check "/metrics has podapp_info with the version" grep -q 'podapp_info{app="web",version="v7",pod="web-abc-1"} 1' <<<"$metrics"

# keep-alive: curl reuses one connection for two URLs
verbose=$(curl -sv "$URL/" "$URL/health" 2>&1 >/dev/null)
check "keep-alive: second request reuses the connection" grep -qi 're-using existing connection' <<<"$verbose"

# pipelining: two requests in one write get two responses in order
resp=$(raw "$IP" "$PORT" 'GET /version HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
check "pipelined requests get both answers in order" \
    [ "$(grep -o '^HTTP/1.1 [0-9]*' <<<"$resp" | tr '\n' ' ')" = "HTTP/1.1 200 HTTP/1.1 404 " ]
resp=$(raw "$IP" "$PORT" 'GET / HTTP/1.0\r\n\r\n')
check "HTTP/1.0 request is answered and closed" grep -q '^HTTP/1.0 200' <<<"$resp"

# ---------------------------------------------------------------- robustness
resp=$(raw "$IP" "$PORT" 'GARBAGE\r\n\r\n')
check "malformed request line gets 400" grep -q '^HTTP/1.1 400' <<<"$resp"
resp=$(raw "$IP" "$PORT" 'GET / HTTP/1.1\r\n\r\n')
check "HTTP/1.1 without Host gets 400" grep -q '^HTTP/1.1 400' <<<"$resp"
resp=$(raw "$IP" "$PORT" 'GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n')
check "header name with a space gets 400" grep -q '^HTTP/1.1 400' <<<"$resp"
resp=$(raw "$IP" "$PORT" 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 12abc\r\n\r\n')
check "bad Content-Length gets 400" grep -q '^HTTP/1.1 400' <<<"$resp"
resp=$(raw "$IP" "$PORT" 'GET / HTTP/2.0\r\nHost: x\r\n\r\n')
check "HTTP/2.0 request line gets 505" grep -q '^HTTP/1.1 505' <<<"$resp"
resp=$(raw "$IP" "$PORT" "GET / HTTP/1.1\r\nHost: x\r\nX-Big: $(head -c 20000 /dev/zero | tr '\0' a)\r\n\r\n")
check "20 kB of headers gets 431" grep -q '^HTTP/1.1 431' <<<"$resp"
resp=$(raw "$IP" "$PORT" '\x00\x01\x02\xff\xfe\r\n\r\n')
check "binary junk gets 400" grep -q '^HTTP/1.1 400' <<<"$resp"
check "still serving after the bad requests" [ "$(status_of "$URL/")" = 200 ]
check "process still alive after the bad requests" alive "$MAIN_PID"

# /slow does not block other connections
t0=$(now_ms)
curl -s -o "$TMP/slow.out" --max-time 10 "$URL/slow?ms=1500" &
slow_curl=$!
st=$(status_of "$URL/")
t1=$(now_ms)
checke "a fast request is answered while /slow?ms=1500 is pending ($((t1 - t0)) ms)" '[ "$st" = 200 ] && [ $((t1 - t0)) -lt 1000 ]'
wait $slow_curl
t2=$(now_ms)
checke "/slow?ms=1500 answers after ~1.5 s ($((t2 - t0)) ms)" '[ "$(cat "$TMP/slow.out")" = "slow 1500ms" ] && [ $((t2 - t0)) -ge 1450 ]'

# ---------------------------------------------------------------- load
if wrk -t2 -c16 -d3s "$URL/" >"$TMP/wrk.out" 2>&1; then
    rps=$(awk '/^Requests\/sec:/ {print int($2)}' "$TMP/wrk.out")
    total=$(awk '/requests in/ {print $1}' "$TMP/wrk.out")
    non2xx=$(awk -F: '/Non-2xx/ {gsub(/ /,"",$2); print $2}' "$TMP/wrk.out")
    sockerr=$(grep -c 'Socket errors' "$TMP/wrk.out")
    checke "wrk -t2 -c16 -d3s: ${rps:-?} req/s, ${total:-?} requests, non-2xx ${non2xx:-0}, socket errors: $sockerr" \
        '[ -z "$non2xx" ] && [ "$sockerr" -eq 0 ] && [ "${rps:-0}" -ge 2000 ]'
    [ "$sockerr" -eq 0 ] || grep 'Socket errors' "$TMP/wrk.out"
else
    notok "wrk ran"; cat "$TMP/wrk.out"
fi
check "process still alive after wrk" alive "$MAIN_PID"

# ---------------------------------------------------------------- graceful SIGTERM
curl -s -o "$TMP/inflight.out" -w '%{http_code}' --max-time 10 "$URL/slow?ms=800" >"$TMP/inflight.code" &
inflight=$!
# the slow request is in flight once the server has accepted it: poll the connection gauge
deadline=$(( $(now_ms) + 3000 ))
until curl -s "$URL/metrics" | grep -Eq '^podapp_open_connections [2-9]'; do
    [ "$(now_ms)" -ge $deadline ] && break; sleep 0.01
done
stop "$MAIN_PID"
check "SIGTERM: exit code 0" [ "${rc:-x}" = 0 ]
check "SIGTERM: logs 'shutting down'" grep -q 'shutting down' "$MAIN_LOG"
wait $inflight
check "SIGTERM: in-flight /slow request completed with 200" [ "$(cat "$TMP/inflight.code")" = 200 ]
check "SIGTERM: listener closed" [ "$(status_of "$URL/")" = 000 ]

start int PORT=$PORT
wait_http "$URL/" 5
kill -INT "$pid"; wait_exit "$pid" 5
check "SIGINT: graceful exit 0" [ "${rc:-x}" = 0 ]

# ---------------------------------------------------------------- health behaviour
P2=$((PORT + 1))
start unhealthy PORT=$P2 HEALTHY=false VERSION=v2 POD_NAME=bad-1
wait_http "http://$IP:$P2/" 5
body=$(curl -s -w ' %{http_code}' "http://$IP:$P2/health")
check "HEALTHY=false: /health is 503 {\"healthy\":false,...}" [ "$body" = '{"healthy":false,"version":"v2","pod":"bad-1"} 503' ]
check "HEALTHY=false: / still 200" [ "$(status_of "http://$IP:$P2/")" = 200 ]
stop "$pid"

P3=$((PORT + 2))
start unhealthy_after PORT=$P3 UNHEALTHY_AFTER=1.5
wait_http "http://$IP:$P3/" 5
t0=$(now_ms)
check "UNHEALTHY_AFTER=1.5: healthy at first" [ "$(status_of "http://$IP:$P3/health")" = 200 ]
deadline=$(( t0 + 6000 ))
st=200
while [ "$(now_ms)" -lt $deadline ]; do
    st=$(status_of "http://$IP:$P3/health"); [ "$st" = 503 ] && break; sleep 0.05
done
check "UNHEALTHY_AFTER=1.5: /health turns 503" [ "$st" = 503 ]
stop "$pid"

# ---------------------------------------------------------------- crash
P4=$((PORT + 3))
start crash PORT=$P4 CRASH_AFTER=1 CRASH_EXIT_CODE=3
t0=$(now_ms)
if wait_exit "$pid" 6; then
    check "CRASH_AFTER=1 CRASH_EXIT_CODE=3: exit code 3 after $(( $(now_ms) - t0 )) ms" [ "$rc" = 3 ]
else
    notok "CRASH_AFTER=1: process exited"
fi
check "CRASH_AFTER: logs a line before dying" grep -q 'crashing' "$log"
start crash_default PORT=$P4 CRASH_AFTER=0.3
wait_exit "$pid" 5
check "CRASH_AFTER without CRASH_EXIT_CODE exits 1" [ "${rc:-x}" = 1 ]

# ---------------------------------------------------------------- logs
P5=$((PORT + 4))
start lograte PORT=$P5 LOG_RATE=50 POD_NAME=chatty-1
t0=$(now_ms)
deadline=$(( t0 + 5000 ))
n=0
while [ "$(now_ms)" -lt $deadline ]; do
    n=$(grep -c 'seq=' "$log"); [ "$n" -ge 40 ] && break; sleep 0.05
done
el=$(( $(now_ms) - t0 ))
checke "LOG_RATE=50: $n lines in $el ms" '[ "$n" -ge 40 ] && [ "$el" -ge 600 ]'
check "LOG_RATE lines have timestamp, level, pod, counter" \
    grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z (INFO|WARN|ERROR) +\[chatty-1\] .*seq=[0-9]+ requests=[0-9]+' "$log"
stop "$pid"

start logsize PORT=$P5 LOG_RATE=1000 LOG_LINE_BYTES=1000
deadline=$(( $(now_ms) + 5000 ))
while [ "$(now_ms)" -lt $deadline ]; do
    [ "$(grep -c 'seq=' "$log")" -ge 1000 ] && break; sleep 0.05
done
stop "$pid"
sizes=$(grep 'seq=' "$log" | awk '{print length($0) + 1}' | sort -u | tr '\n' ' ')
lines=$(grep -c 'seq=' "$log")
checke "LOG_RATE=1000 LOG_LINE_BYTES=1000: $lines lines, every line 1000 bytes (sizes: $sizes)" \
    '[ "$sizes" = "1000 " ] && [ "$lines" -ge 1000 ]'

start logreq PORT=$P5 LOG_REQUESTS=1
wait_http "http://$IP:$P5/" 5
curl -s -o /dev/null "http://$IP:$P5/version"
check "LOG_REQUESTS=1 logs each request" wait_grep "$log" '"GET /version HTTP/1.1" 200' 3
stop "$pid"

# ---------------------------------------------------------------- slowloris
start slowloris PORT=$P5 HEADER_TIMEOUT=1
wait_http "http://$IP:$P5/" 5
t0=$(now_ms)
resp=$(timeout 6 bash -c 'exec 3<>/dev/tcp/$0/$1; printf "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " >&3; cat <&3' "$IP" "$P5")
el=$(( $(now_ms) - t0 ))
checke "slowloris: incomplete head gets 408 and is closed after HEADER_TIMEOUT ($el ms)" \
    'grep -q "^HTTP/1.1 408" <<<"$resp" && [ $el -ge 900 ] && [ $el -lt 4000 ]'
check "slowloris: still serving" [ "$(status_of "http://$IP:$P5/")" = 200 ]
stop "$pid"

# ---------------------------------------------------------------- start delay, several ports
start delayed PORT=$P5 START_DELAY=1
t0=$(now_ms)
check "START_DELAY=1: not listening at first" [ "$(status_of "http://$IP:$P5/")" = 000 ]
wait_http "http://$IP:$P5/" 5
el=$(( $(now_ms) - t0 ))
checke "START_DELAY=1: listening after ~1 s ($el ms)" '[ "$(status_of "http://$IP:$P5/")" = 200 ] && [ $el -ge 800 ]'
stop "$pid"

P6=$((PORT + 5)); P7=$((PORT + 6))
start ports PORTS=$P6,$P7
wait_http "http://$IP:$P7/" 5
check "PORTS=a,b: both ports answer" [ "$(status_of "http://$IP:$P6/")$(status_of "http://$IP:$P7/")" = 200200 ]
check "PORTS=a,b: one startup line per port" [ "$(grep -c 'listening on' "$log")" = 2 ]
stop "$pid"

# ---------------------------------------------------------------- batch job
start job EXIT_CODE=4 RUN_FOR=1.2 APP_NAME=db-migrate
t0=$(now_ms)
if wait_exit "$pid" 6; then
    el=$(( $(now_ms) - t0 ))
    checke "EXIT_CODE=4 RUN_FOR=1.2: exits 4 after ~1.2 s ($el ms)" '[ "$rc" = 4 ] && [ $el -ge 1000 ]'
else
    notok "EXIT_CODE=4 RUN_FOR=1.2: process exited"
fi
check "batch job logs progress lines" [ "$(grep -c 'step [0-9]*: applying migration' "$log")" -ge 1 ]
start job_ok RUN_FOR=0.2
wait_exit "$pid" 5
check "RUN_FOR alone: exit 0" [ "${rc:-x}" = 0 ]

finish
