#!/bin/bash
# Secrets never leak: kdeck is driven through describe of the Secret app-db-mysql (values shown as
# sizes), a Secret created with `kubectl apply` (whose last-applied annotation holds the values), a
# pod whose env comes from secretKeyRef, a saved log pane, a credential plugin that fails after
# printing the token, a wrong token (401) and a forbidden read (403). Then every file kdeck wrote
# (XDG_STATE_HOME, XDG_CONFIG_HOME, HOME, saved logs, screen dumps, stdout, stderr) is searched for
# kubesim's tokens and the secrets' values, raw and base64: none may appear.
. "$(dirname "$0")/lib.sh"

SIM=$E2E_TMP/sim
start_kubesim "$SIM" --seed-app --virtual --pod-start-delay 0.2 || { not_ok "kubesim starts"; e2e_done; }
T=$E2E_TMP/out
mkdir -p "$T"

# The secrets: kubesim's tokens, the seeded Secret's values (decoded, and as base64), and the
# values of a Secret created below.
mapfile -t TOKENS < <(cut -d, -f1 "$SIM/tokens"; cat "$SIM/admin.token")
APPLIED_VALUE="applied-s3cret-value-$$"
APPLIED_B64=$(printf '%s' "$APPLIED_VALUE" | base64 -w0)
SECRET_VALUES=("$APPLIED_VALUE" "$APPLIED_B64")
while IFS= read -r b64; do
    v=$(printf '%s' "$b64" | base64 -d 2>/dev/null)
    # Values short enough to occur by chance ("app") are not searched for; their base64 is.
    [ ${#v} -ge 6 ] && SECRET_VALUES+=("$v")
    SECRET_VALUES+=("$b64")
done < <(kubectl -n app get secret app-db-mysql -o go-template='{{range .data}}{{.}}{{"\n"}}{{end}}')
check "the secret and tokens to look for are known" test ${#TOKENS[@]} -ge 2 -a ${#SECRET_VALUES[@]} -ge 5

kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Secret
metadata: {name: applied-secret, namespace: app}
type: Opaque
data: {token: $APPLIED_B64}
stringData: {plain: $APPLIED_VALUE}
EOF
check "a Secret created with kubectl apply carries its values in an annotation" \
    sh -c "kubectl -n app get secret applied-secret -o yaml | grep -q last-applied-configuration"

# 1. Describe the secrets and a pod with secretKeyRef env; open and save a log pane.
run_script describe 160 40 -n app <<EOF
:wait-match ^mysql-[a-z0-9]+-[a-z0-9]{5} +2/2 +Running
:secrets
:wait-for app-db-mysql
/app-db-mysql
d
:wait-for kind: Secret
:save-display $T/describe_secret.txt
G
:save-display $T/describe_secret_end.txt
<Esc>
<Esc>
/applied-secret
d
:wait-for kind: Secret
:save-display $T/describe_applied.txt
G
:save-display $T/describe_applied_end.txt
<Esc>
<Esc>
:pods
/mysql
d
:wait-for kind: Pod
:save-display $T/describe_pod.txt
<Esc>
<Esc>
:deploy
:wait-for front
/front
l
:wait-match ^front-[a-z0-9]+-[a-z0-9]{5} .*GET /health
s
:save-display $T/logs_saved.txt
:quit
EOF
check "describe script runs" test $? -eq 0
check "secret values are shown as sizes" grep -qE 'password.*<hidden: [0-9]+ bytes>' "$T/describe_secret.txt"
check "the applied secret's values are shown as sizes" grep -qE 'token.*<hidden: [0-9]+ bytes>' "$T/describe_applied.txt"
check "the last-applied annotation of a Secret is shown as a size" \
    grep -qE 'last-applied-configuration: <hidden: [0-9]+ bytes>' "$T/describe_applied.txt"
saved=$(grep -oE '/[^ ]+/kdeck/logs/app-front-[0-9TZ]+\.log' "$T/logs_saved.txt" | head -1)
check "the log pane was saved" test -n "$saved" -a -s "${saved:-/nonexistent}"

# 2. A credential plugin that prints the token, then fails.
cat > "$SIM/leaky-plugin.sh" <<EOF
#!/bin/sh
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"' "\$(cat "$SIM/admin.token")"
echo "leaky plugin: token \$(cat "$SIM/admin.token") rejected" >&2
exit 1
EOF
chmod 700 "$SIM/leaky-plugin.sh"
sed -e "s#command: .*#command: $SIM/leaky-plugin.sh#" "$SIM/admin-exec.kubeconfig" > "$SIM/leaky.kubeconfig"
run_script plugin 160 24 --kubeconfig "$SIM/leaky.kubeconfig" <<EOF
:wait-match credential plugin
:save-display $T/plugin.txt
:quit
EOF
check "failing plugin script runs" test $? -eq 0
check "the failing plugin is named on the status line" grep -q 'leaky-plugin.sh' "$T/plugin.txt"

# 3. A wrong token (the admin token with one more character): a 401 in words.
sed -e "s/token: .*/token: $(cat "$SIM/admin.token")x/" "$SIM/admin.kubeconfig" > "$SIM/wrong.kubeconfig"
run_script wrongtoken 160 24 --kubeconfig "$SIM/wrong.kubeconfig" <<EOF
:wait-match 401|Unauthorized
:save-display $T/wrongtoken.txt
:quit
EOF
check "wrong token script runs" test $? -eq 0
check "a 401 is shown in words" grep -qE '401|Unauthorized' "$T/wrongtoken.txt"

# 4. A forbidden read: the viewer may not open a shell (pods/exec); the 403 in words.
run_script forbidden 160 24 --kubeconfig "$SIM/viewer.kubeconfig" -n app <<EOF
:wait-match ^mysql-[a-z0-9]+-[a-z0-9]{5} +2/2 +Running
/mysql
s
:wait-match 403|[Ff]orbidden|not allowed|may not
:save-display $T/forbidden.txt
:quit
EOF
check "forbidden script runs" test $? -eq 0
check "the refusal is shown in words" grep -qE '403|[Ff]orbidden|not allowed|may not' "$T/forbidden.txt"

# 5. Nothing kdeck wrote holds a token or a secret value. run_script put stdout/stderr in
# $E2E_TMP/NAME.out/.err; the state, config and saved logs are under $HOME.
files=()
while IFS= read -r -d '' f; do files+=("$f"); done < <(find "$HOME" "$T" -type f -print0; \
    find "$E2E_TMP" -maxdepth 1 -type f \( -name '*.out' -o -name '*.err' \) -print0)
check "kdeck wrote files to search (${#files[@]})" test ${#files[@]} -ge 8
leaks=0
for s in "${TOKENS[@]}" "${SECRET_VALUES[@]}"; do
    [ -n "$s" ] || continue
    hits=$(grep -lF -- "$s" "${files[@]}" 2>/dev/null)
    if [ -n "$hits" ]; then
        leaks=$((leaks + 1))
        echo "# a secret (${s:0:6}...) appears in: $hits" >&2
    fi
done
check "no token or secret value in anything kdeck wrote" test $leaks -eq 0
check "no Authorization header in anything kdeck wrote" test -z "$(grep -lE 'Authorization: *Bearer' "${files[@]}" 2>/dev/null)"
state_files=$(find "$XDG_STATE_HOME" -type f 2>/dev/null | wc -l)
bad_modes=$(find "$XDG_STATE_HOME" \( -type f ! -perm 600 \) -o \( -type d -path "$XDG_STATE_HOME/kdeck*" ! -perm 700 \) 2>/dev/null | head -3)
check "files under XDG_STATE_HOME are 0600 in 0700 directories ($state_files files)" test -z "$bad_modes"
e2e_done
