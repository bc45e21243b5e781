#!/bin/bash
# Read-only sessions: every key binding pressed in every view, and the API server's audit log shows
# not one request that could change the cluster (nor an exec); mutating keys are absent from the
# help and footers; the header says READ-ONLY.
. "$(dirname "$0")/lib.sh"

SIM=$E2E_TMP/sim
start_kubesim "$SIM" --seed-app --virtual --pod-start-delay 0.2 || { not_ok "kubesim starts"; e2e_done; }
T=$E2E_TMP

# Every key of the keymap, as script lines (docs/keys.md is generated from the keymap).
"$KDECK_BIN" keys | grep -oE '`[^`]+`' | tr -d '`' | sort -u |
    grep -vxE 'q|:|/|<C-z>|<Esc>|<BS>|<Del>' > "$T/keys"
check "the keymap lists keys" test "$(wc -l < "$T/keys")" -gt 20
{
    echo ":wait-match ^back-[a-z0-9]+-[a-z0-9]{5} +1/1"
    echo ":save-display $T/ro_pods.txt"
    echo "?"
    echo ":save-display $T/ro_help.txt"
    echo "<Esc>"
    for view in pods deploy rs svc ep jobs ev no ns cm secrets ing hpa sa netpol ctx; do
        echo ":$view"
        echo "<Home>"
        while read -r k; do
            echo "$k"
            echo ":$view"       # whatever the key opened, come back to a known view
        done < "$T/keys"
        echo "d"                # describe
        echo "<Esc>"
        echo "l"                # logs
        echo "<Esc>"
        echo "s"                # shell: does not exist read-only
        echo "<Esc>"
    done
    echo ":quit"
} > "$T/ro.script"
before=$(wc -l < "$SIM/audit.log")
COLUMNS=120 LINES=30 KDECK_NO_DISPLAY=1 KDECK_SCRIPT="$T/ro.script" KDECK_SCRIPT_TIMEOUT=30 \
    timeout 600 "$KDECK_BIN" --read-only -n app >/dev/null 2>"$T/ro.err"
rc=$?
[ $rc -ne 0 ] && sed 's/^/#   /' "$T/ro.err" | head -30 >&2
check "every key in every view, read-only: kdeck runs to the end" test $rc -eq 0
tail -n +$((before + 1)) "$SIM/audit.log" > "$T/ro.audit"
echo "# $(wc -l < "$T/ro.audit") requests made by the read-only session"
check "the session made requests" test "$(wc -l < "$T/ro.audit")" -gt 50
# Only reads (get/list/watch) and the two self access reviews may reach the server.
grep -vE '"verb": *"(get|list|watch)"' "$T/ro.audit" | grep -vE '/apis/authorization.k8s.io/v1/selfsubject(access|rules)reviews' > "$T/ro.mutating" || true
check "the audit log shows zero mutating requests" test ! -s "$T/ro.mutating"
check "no exec, attach or portforward request" sh -c "! grep -qE '/(exec|attach|portforward)' '$T/ro.audit'"
check "the header says READ-ONLY" grep -q 'READ-ONLY' "$T/ro_pods.txt"
check "mutating actions are absent from the help" sh -c "! grep -qiE 'shell' '$T/ro_help.txt'"
check "mutating actions are absent from the footer" sh -c "! tail -1 '$T/ro_pods.txt' | grep -qE ' shell '"
# A context listed in the config file's read_only_contexts is read-only without the flag.
mkdir -p "$XDG_CONFIG_HOME/kdeck"
printf 'read_only_contexts: staging, kubesim\n' > "$XDG_CONFIG_HOME/kdeck/config"
run_script ctxro 120 30 -n app <<EOF
:wait-match ^back-[a-z0-9]+-[a-z0-9]{5} +1/1
?
:save-display $T/ctxro_help.txt
:quit
EOF
rm -f "$XDG_CONFIG_HOME/kdeck/config"
check "read_only_contexts: the header says READ-ONLY" grep -q 'READ-ONLY' "$T/ctxro_help.txt"
check "read_only_contexts: no shell in the help" sh -c "! grep -qi 'shell' '$T/ctxro_help.txt'"

# The same keys in a normal session do offer the shell.
run_script rw 120 30 -n app <<EOF
:wait-match ^back-[a-z0-9]+-[a-z0-9]{5} +1/1
?
:save-display $T/rw_help.txt
:quit
EOF
check "a normal session lists the shell in its help" grep -q 'open a shell in a container' "$T/rw_help.txt"
e2e_done
