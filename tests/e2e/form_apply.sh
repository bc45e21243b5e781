#!/bin/bash
# The apply side of the descriptor form in the TUI, driven through `:apply FILE` (the same flow the
# form calls, src/app/form_apply.c) against kubesim (--seed-app --virtual): the preview (objects and
# a coloured diff, search, Tab, Esc), apply with the resourceVersion precondition and the rollout
# followed in the status line, a 409 made by kubectl between preview and apply with
# reload-and-reapply, a 422 the server finds (its field mapped to the descriptor path), a
# read-only session, and bad files. Every screen is 80x24.
. "$(dirname "$0")/lib.sh"

SIM=$E2E_TMP/sim
start_kubesim "$SIM" --seed-app --virtual --pod-start-delay 1.5 || { not_ok "kubesim starts"; e2e_done; }
T=$E2E_TMP
AUDIT=$XDG_STATE_HOME/kdeck/audit.log
export TERM=xterm-256color   # exact colour grids (one pair per theme element)

# edit FILE OUT PYTHON: writes OUT = FILE's descriptor changed by the Python statements on d.
edit() {
    python3 - "$1" "$2" "$3" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"), indent=2)
EOF
}
# sim_writes: the mutating requests kubesim logged, as "METHOD path?query code" lines.
sim_writes() {
    python3 - "$SIM/audit.log" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("verb") in ("create", "update", "patch", "delete") and "selfsubject" not in e["path"]:
        q = "?" + e["query"] if e.get("query") else ""
        print(e["method"], e["path"] + q, e["code"])
EOF
}
# coloured DUMP COLORS LINE_RE LETTERS: the first screen row matching LINE_RE (whole line,
# trailing blanks allowed) starts with LETTERS in the colour grid.
coloured() {
    local n
    n=$(grep -nxE -- "$3 *" "$1" | head -1 | cut -d: -f1)
    [ -n "$n" ] && [ "$(sed -n "${n}p" "$2" | cut -c1-${#4})" = "$4" ]
}
# no_writes: kubesim logged no mutating request (access reviews aside).
no_writes() { [ -z "$(sim_writes)" ]; }
# fits DUMP: 24 rows of at most 80 columns.
fits() { [ "$(wc -l < "$1")" -eq 24 ] && ! awk 'length($0) > 80 { bad = 1 } END { exit !bad }' "$1"; }
rv_of() { kubectl get deploy back -n app -o jsonpath='{.metadata.resourceVersion}'; }
# audit_rv_at_least MIN: kdeck's last update of deployments/app/back says it replaced resourceVersion
# >= MIN (kubesim's versions are increasing integers; the controllers may add some between the
# test reading one and kdeck reading it).
audit_rv_at_least() {
    local rv
    rv=$(grep '"verb":"update","object":"deployments/app/back","result":"200 OK (resourceVersion ' "$AUDIT" |
         tail -1 | sed 's/.*(resourceVersion \([0-9]*\) -> [0-9]*).*/\1/')
    [ -n "$rv" ] && [ "$rv" -ge "$1" ]
}

kubectl rollout status deploy/back -n app --timeout=60s > /dev/null 2>&1   # the seed has settled
"$KDECK_BIN" descriptor get back -n app > "$T/back.json" 2>/dev/null
check "descriptor of the live app" grep -q '"name": "back"' "$T/back.json"
edit "$T/back.json" "$T/back2.json" '
d["replicas"] = 3
d["containers"][0].setdefault("env", []).append({"name": "FEATURE_X", "value": "on"})
'

# ---- preview: objects and the coloured diff, search, Tab, Esc ----
run_script preview 80 24 <<EOF
:deploy app
:apply $T/back2.json
:wait-for Deployment app/back: will be updated
:save-display $T/diff.txt
:save-colors $T/diff.colors
/FEATURE_X
:save-display $T/search.txt
:save-colors $T/search.colors
<Tab>
:save-display $T/objects.txt
<Esc>
:wait-for Deployments
:save-display $T/back.txt
:quit
EOF
check "preview: kdeck exits 0" test $? -eq 0
check "preview: the diff page is shown first" screen_has "$T/diff.txt" 'Preview app/back: diff (Tab: objects)'
check "preview: what each object will do" screen_has "$T/diff.txt" 'Deployment app/back: will be updated (+'
check "preview: the replicas change, live -> desired" \
    sh -c "grep -qx -- '-  replicas: 2 *' '$T/diff.txt' && grep -qx -- '+  replicas: 3 *' '$T/diff.txt'"
check "preview: removed line coloured diff.del" coloured "$T/diff.txt" "$T/diff.colors" '-  replicas: 2' '--------------'
check "preview: added line coloured diff.add" coloured "$T/diff.txt" "$T/diff.colors" '\+  replicas: 3' '++++++++++++++'
check "preview: hunk header coloured diff.hunk" coloured "$T/diff.txt" "$T/diff.colors" '@@ -[0-9]+,[0-9]+ \+[0-9]+,[0-9]+ @@' '@@@@@@'
check "preview: unchanged lines coloured diff.context" coloured "$T/diff.txt" "$T/diff.colors" ' spec:' '======'
check "preview: the keys of the preview in its hint line" screen_has "$T/diff.txt" 'a apply  Tab objects/diff  / search  Esc back'
check "preview: / finds the env change further down" grep -qx -- '+        - name: FEATURE_X *' "$T/search.txt"
check "preview: Tab shows the exact objects" \
    sh -c "grep -q 'Preview app/back: objects (Tab: diff)' '$T/objects.txt' && grep -qx 'apiVersion: apps/v1 *' '$T/objects.txt' && grep -qx 'kind: Deployment *' '$T/objects.txt'"
check "preview: Esc goes back to where it was opened" screen_has "$T/back.txt" 'Deployments (app)'
check "preview: nothing was written" no_writes
for f in diff search objects back; do
    check "preview: $f screen fits 80x24" fits "$T/$f.txt"
done

# ---- apply: a dry run, then the PUT with the resourceVersion; the rollout in the status line ----
rv1=$(rv_of)
run_script apply 80 24 <<EOF
:deploy app
:apply $T/back2.json
:wait-for Deployment app/back: will be updated
a
:wait-match ^back: [0-9]+ (of|out of) [0-9]+ .*replicas
:save-display $T/progress.txt
:wait-for back: successfully rolled out
:save-display $T/applied.txt
:quit
EOF
check "apply: kdeck exits 0" test $? -eq 0
check "apply: the rollout's progress in the status line" grep -Eq '^back: [0-9]+ (of|out of) [0-9]+ ' "$T/progress.txt"
check "apply: the preview closed, back on the deployments" screen_has "$T/applied.txt" 'Deployments (app)'
check "apply: 'successfully rolled out' in the status line" grep -q '^back: successfully rolled out' "$T/applied.txt"
sim_writes > "$T/writes1"
check "apply: the server's dry run came first" \
    sh -c "head -1 '$T/writes1' | grep -q '^PUT /apis/apps/v1/namespaces/app/deployments/back?dryRun=All 200'"
check "apply: PUT of the Deployment" grep -qx 'PUT /apis/apps/v1/namespaces/app/deployments/back 200' "$T/writes1"
check "apply: kdeck's audit log has the update with its resourceVersion precondition" audit_rv_at_least "$rv1"
check "apply: kubectl sees 3 replicas and the env var" \
    sh -c "[ \"\$(kubectl get deploy back -n app -o jsonpath='{.spec.replicas}')\" = 3 ] && kubectl get deploy back -n app -o yaml | grep -q FEATURE_X"
check "apply: progress screen fits 80x24" fits "$T/progress.txt"
check "apply: final screen fits 80x24" fits "$T/applied.txt"

# ---- 409: kubectl changes the Deployment between preview and apply; reload and reapply ----
edit "$T/back2.json" "$T/back3.json" 'd["replicas"] = 4'
KDECK_TEST_PAUSE_BEFORE_WRITE=$T/go start_script conflict 80 24 <<EOF
:deploy app
:apply $T/back3.json
:wait-for Deployment app/back: will be updated
:save-display $T/c-preview.txt
a
:wait-for was changed on the server
:save-display $T/c-conflict.txt
:save-colors $T/c-conflict.colors
r
:wait-for back: successfully rolled out
:save-display $T/c-done.txt
:quit
EOF
wait_for 60 test -s "$T/c-preview.txt"
kubectl -n app set env deploy/back EXTRA_FLAG=1 > /dev/null
rv2=$(rv_of)
touch "$T/go"
finish_script
check "conflict: kdeck exits 0" test $? -eq 0
check "conflict: says the Deployment changed on the server, nothing overwritten" \
    sh -c "tr -d '\n' < '$T/c-conflict.txt' | tr -s ' ' | grep -q 'conflict: Deployment app/back was changed on the server after kdeck read it'"
check "conflict: shows what changed (kubectl's env var, as added)" \
    coloured "$T/c-conflict.txt" "$T/c-conflict.colors" '\+        - name: EXTRA_FLAG' '++++++++++'
check "conflict: offers reload and reapply" screen_has "$T/c-conflict.txt" 'r reload and reapply'
check "conflict: reload and reapply rolled out" grep -q '^back: successfully rolled out' "$T/c-done.txt"
sim_writes > "$T/writes409"
check "conflict: the server answered 409 to the stale write" \
    grep -Eq '^PUT /apis/apps/v1/namespaces/app/deployments/back(\?dryRun=All)? 409$' "$T/writes409"
check "conflict: the reapply wrote over the version kubectl made" audit_rv_at_least "$rv2"
check "conflict: 4 replicas now" test "$(kubectl get deploy back -n app -o jsonpath='{.spec.replicas}')" = 4
check "conflict: conflict screen fits 80x24" fits "$T/c-conflict.txt"

# ---- 422: an Ingress path the server rejects; nothing applied, the field is the descriptor's ----
edit "$T/back3.json" "$T/bad.json" 'd["replicas"] = 5; d["ingress"]["path"] = "/api//v1"'
sim_writes > "$T/before422"
lines_before=$(wc -l < "$AUDIT")
run_script invalid 80 24 <<EOF
:apply $T/bad.json
:wait-for Deployment app/back: will be updated
a
:wait-for rejected
:save-display $T/inv.txt
:quit
EOF
check "422: kdeck exits 0" test $? -eq 0
check "422: the API's field error on the descriptor's field" \
    grep -q "^  ingress.path: Invalid value: \"/api//v1\": must not contain '//'" "$T/inv.txt"
check "422: the status line says so" grep -q '^the API server rejected 1 field: ingress.path' "$T/inv.txt"
sim_writes | tail -n +"$(($(wc -l < "$T/before422") + 1))" > "$T/writes422"
check "422: only dry runs reached the server (nothing half applied)" \
    sh -c "[ -s '$T/writes422' ] && ! grep -v 'dryRun=All' '$T/writes422' | grep -q ."
check "422: still 4 replicas" test "$(kubectl get deploy back -n app -o jsonpath='{.spec.replicas}')" = 4
check "422: no write in kdeck's audit log" test "$(wc -l < "$AUDIT")" -eq "$lines_before"
check "422: screen fits 80x24" fits "$T/inv.txt"

# ---- read-only: the preview works, the transport refuses the write ----
edit "$T/back3.json" "$T/ro.json" 'd["replicas"] = 6'
sim_writes > "$T/beforero"
run_script readonly 80 24 --read-only <<EOF
:apply $T/ro.json
:wait-for Deployment app/back: will be updated
a
:wait-for read-only session
:save-display $T/ro.txt
:quit
EOF
check "read-only: kdeck exits 0" test $? -eq 0
check "read-only: the transport's refusal is shown" \
    sh -c "tr -d '\n' < '$T/ro.txt' | tr -s ' ' | grep -q 'read-only session: refusing PUT'"
check "read-only: nothing reached the server" test "$(sim_writes | wc -l)" -eq "$(wc -l < "$T/beforero")"

# ---- 403: a user who may read but not write; the message says who and what, the preview stays ----
sim_writes > "$T/before403"
KUBECONFIG=$SIM/viewer.kubeconfig run_script forbidden 80 24 <<EOF
:apply $T/ro.json
:wait-for Deployment app/back: will be updated
a
:wait-for Forbidden
:save-display $T/forbidden.txt
:quit
EOF
check "403: kdeck exits 0" test $? -eq 0
check "403: the API's words, who may not do what" \
    sh -c "tr -d '\n' < '$T/forbidden.txt' | tr -s ' ' | grep -q 'User \"viewer\" cannot update resource \"deployments\"'"
check "403: the preview stays, a tries again" screen_has "$T/forbidden.txt" 'a apply again  r reload and reapply'
check "403: nothing changed" test "$(kubectl get deploy back -n app -o jsonpath='{.spec.replicas}')" = 4

# ---- bad files: a clear message, no preview ----
echo '{"apiVersion": "kdeck/v1", "kind": "AppDescriptor", "name": "Bad_Name", "namespace": "app"}' > "$T/invalid.json"
run_script badfiles 80 24 <<EOF
:apply $T/nosuch.json
:save-display $T/nofile.txt
:apply $T/invalid.json
:save-display $T/invalid.txt
:apply
:save-display $T/noarg.txt
:quit
EOF
check "bad files: kdeck exits 0" test $? -eq 0
check "bad files: a missing file is named" grep -q "nosuch.json" "$T/nofile.txt"
check "bad files: an invalid descriptor names the field" grep -q "invalid.json: name: " "$T/invalid.txt"
check "bad files: :apply without a file says what it needs" grep -q ':apply needs a descriptor file' "$T/noarg.txt"
check "bad files: no preview opened" sh -c "! grep -q 'Preview ' '$T/invalid.txt'"

e2e_done
