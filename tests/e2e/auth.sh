#!/bin/bash
# Every way of authenticating, against kubesim over HTTPS: token, tokenFile, client certificate
# (files and -data), exec credential plugins (v1, v1beta1; cached, failing); and the clear errors
# for a broken kubeconfig, an unknown context and a wrong CA.
. "$(dirname "$0")/lib.sh"

SIM=$E2E_TMP/sim
start_kubesim "$SIM" --seed-app --virtual --pod-start-delay 0.2 || { not_ok "kubesim starts"; e2e_done; }
unset KUBECONFIG
T=$E2E_TMP

# browse KUBECONFIG_FILE NAME: kdeck lists the namespaces through that kubeconfig.
browse() {
    run_script "$2" 100 24 --kubeconfig "$1" <<EOF
:ns
:wait-for monitoring
:save-display $T/$2.txt
:quit
EOF
}

for variant in admin admin-tokenfile admin-cert admin-certdata admin-exec admin-exec-v1beta1; do
    : > "$SIM/exec-plugin.runs"
    before=$(wc -l < "$SIM/audit.log")
    browse "$SIM/$variant.kubeconfig" "$variant"
    check "$variant: namespaces listed" grep -qE '^monitoring +Active' "$T/$variant.txt"
    # The requests kdeck made arrived as the admin user (the audit log names the user).
    check "$variant: the server saw user admin" sh -c "tail -n +$((before + 1)) '$SIM/audit.log' | grep '/api/v1/namespaces' | grep -q '\"user\": *\"admin\"'"
    case $variant in
        admin-exec*) check "$variant: plugin ran once, its token cached" test "$(wc -l < "$SIM/exec-plugin.runs")" -eq 1 ;;
    esac
    [ $variant = admin-exec ] &&
        check "exec plugin got KUBERNETES_EXEC_INFO with the cluster (provideClusterInfo)" grep -q '"server":"https://127.0.0.1' "$SIM/exec-plugin.info"
done

# A plugin that hands out an already expired token: used, not re-run in a loop.
: > "$SIM/exec-plugin.runs"
KUBESIM_EXEC_EXPIRY=-60 browse "$SIM/admin-exec.kubeconfig" exec-expired
check "expired plugin token: namespaces still listed" grep -qE '^monitoring +Active' "$T/exec-expired.txt"
check "expired plugin token: no plugin storm" test "$(wc -l < "$SIM/exec-plugin.runs")" -le 3

# A token the server rejects (401): the plugin is run again and the request retried.
: > "$SIM/exec-plugin.runs"
KUBESIM_EXEC_BAD_FIRST=1 browse "$SIM/admin-exec.kubeconfig" exec-401
check "401: namespaces listed after the plugin re-ran" grep -qE '^monitoring +Active' "$T/exec-401.txt"
check "401: the plugin ran again" test "$(wc -l < "$SIM/exec-plugin.runs")" -ge 2
check "401: the server saw the rejected token once" test "$(grep -c '"code": *401' "$SIM/audit.log")" -ge 1

# A failing plugin: the error names the plugin and its status, and kdeck keeps running.
KUBESIM_EXEC_FAIL=1 run_script exec-fail 160 24 --kubeconfig "$SIM/admin-exec.kubeconfig" <<EOF
:wait-for credential plugin
:save-display $T/exec-fail.txt
:quit
EOF
check "failing plugin: kdeck keeps running" test $? -eq 0
check "failing plugin: the status line names it" grep -q 'credential plugin .*exec-plugin-v1.sh exited with status 1' "$T/exec-fail.txt"

# Errors before the TUI starts: what and where, exit status 1, no curses garbage.
printf 'apiVersion: v1\nkind: Config\nclusters:\n- name: x\n  cluster:\n    server: [oops\n' > "$T/broken.yaml"
"$KDECK_BIN" --kubeconfig "$T/broken.yaml" >"$T/broken.out" 2>&1
check "broken kubeconfig: exit status 1" test $? -eq 1
check "broken kubeconfig: file and line" grep -qE "broken.yaml:[0-9]+(:[0-9]+)?:" "$T/broken.out"
"$KDECK_BIN" --kubeconfig "$SIM/admin.kubeconfig" --context nope >"$T/ctx.out" 2>&1
check "unknown context: exit status 1" test $? -eq 1
check "unknown context: names the available ones" grep -q 'kubesim' "$T/ctx.out"
"$KDECK_BIN" --kubeconfig "$T/missing.yaml" >"$T/missing.out" 2>&1
check "missing kubeconfig: says which file" grep -q 'missing.yaml' "$T/missing.out"

# A CA that did not sign the server: the TLS failure says which CA and which server.
sed -E "s|certificate-authority-data: .*|certificate-authority-data: $(base64 -w0 < "$SIM/admin-client.crt")|" \
    "$SIM/admin.kubeconfig" > "$T/wrongca.kubeconfig"
chmod 600 "$T/wrongca.kubeconfig"
run_script wrongca 120 24 --kubeconfig "$T/wrongca.kubeconfig" <<EOF
:wait-for TLS failure
:save-display $T/wrongca.txt
:quit
EOF
check "wrong CA: TLS failure names the server and the CA" grep -q 'TLS failure with https://127.0.0.1:[0-9]* (CA: certificate-authority-data' "$T/wrongca.txt"

# tls-server-name: the certificate is checked against that name while connecting to the IP.
awk '/certificate-authority-data/ { print; print "    tls-server-name: kubernetes.default"; next } { print }' \
    "$SIM/admin.kubeconfig" > "$T/sni.kubeconfig"
awk '/certificate-authority-data/ { print; print "    tls-server-name: not-the-apiserver"; next } { print }' \
    "$SIM/admin.kubeconfig" > "$T/badsni.kubeconfig"
chmod 600 "$T/sni.kubeconfig" "$T/badsni.kubeconfig"
browse "$T/sni.kubeconfig" sni
check "tls-server-name that the certificate names: works" grep -qE '^monitoring +Active' "$T/sni.txt"
run_script badsni 160 24 --kubeconfig "$T/badsni.kubeconfig" <<EOF
:wait-for TLS failure
:save-display $T/badsni.txt
:quit
EOF
check "tls-server-name the certificate does not name: TLS failure says so" grep -q 'TLS failure.*tls-server-name set' "$T/badsni.txt"

# A token the server does not know: 401 with the API's own message, in the status line.
sed -E 's/token: .*/token: not-a-valid-token/' "$SIM/admin.kubeconfig" > "$T/badtoken.kubeconfig"
chmod 600 "$T/badtoken.kubeconfig"
run_script badtoken 160 24 --kubeconfig "$T/badtoken.kubeconfig" -n app <<EOF
:wait-for 401
:save-display $T/badtoken.txt
:quit
EOF
check "401: the status line says Unauthorized with the API's message" grep -q 'list pods in app: 401 Unauthorized: Unauthorized' "$T/badtoken.txt"
check "401: the header shows an API error, not an outage" grep -q 'API error, retry in' "$T/badtoken.txt"

# insecure-skip-tls-verify: connects without a CA, and the header warns in red.
sed -E 's/certificate-authority-data: .*/insecure-skip-tls-verify: true/' "$SIM/admin.kubeconfig" > "$T/insecure.kubeconfig"
chmod 600 "$T/insecure.kubeconfig"
run_script insecure 120 24 --kubeconfig "$T/insecure.kubeconfig" <<EOF
:ns
:wait-for monitoring
:save-display $T/insecure.txt
:save-colors $T/insecure.colors
:quit
EOF
check "insecure-skip-tls-verify: connects" grep -qE '^monitoring +Active' "$T/insecure.txt"
check "insecure-skip-tls-verify: the header shows INSECURE TLS" grep -q 'INSECURE TLS' "$T/insecure.txt"
col=$(sed -n 1p "$T/insecure.txt" | python3 -c 'import sys; print(sys.stdin.read().index("INSECURE"))')  # characters, not bytes
check "insecure-skip-tls-verify: drawn as a warning (theme header.warn)" test "$(sed -n 1p "$T/insecure.colors" | cut -c$((col + 1))-$((col + 8)))" = "WWWWWWWW"

# A world-readable kubeconfig is accepted with a warning.
cp "$SIM/admin.kubeconfig" "$T/open.kubeconfig"
chmod 644 "$T/open.kubeconfig"
run_script open 160 24 --kubeconfig "$T/open.kubeconfig" <<EOF
:wait-for warning
:save-display $T/open.txt
:quit
EOF
check "world-readable kubeconfig: warning shown" grep -qiE 'warning: .*(readable|permissions|mode)' "$T/open.txt"

e2e_done
