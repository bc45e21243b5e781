#!/bin/bash
# The descriptor form in a real terminal (tmux, 80x24) against kubesim running real pods:
#  1. `n` creates the seed's `back` app by typing into the fields (an env var from the Secret
#     app-db-mysql and its key picked in the pickers, a readiness probe), preview, apply, and the
#     pods run;
#  2. `e` edits replicas and an env var: the diff shows them, apply, the rollout in the status line;
#  3. an invalid quantity (cpu 12x): the message under the field, "1 invalid field", apply refused;
#  4. a conflicting kubectl edit between preview and apply: 409, what changed on the server, `r`
#     reloads and reapplies, and the form's edit is what the cluster ends up with;
#  5. drafts: Esc then `e` again restores what was typed, also after kdeck is restarted; the draft
#     file is 0600 in 0700 directories; Ctrl-S saves the descriptor to a file, Ctrl-O opens one;
#     Ctrl-R discards the draft; a blueGreen strategy offers [ Roll out ]; resizes reflow the form.
. "$(dirname "$0")/lib.sh"

SIM=$E2E_TMP/sim
start_kubesim "$SIM" --seed-app || { not_ok "kubesim starts"; e2e_done; }
SOCK="kdeck-form-$$"
tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
trap 'tm kill-server 2>/dev/null; e2e_cleanup' EXIT

pane() { tm capture-pane -p -t form 2>/dev/null; }
pane_has() { pane | grep -qF -- "$1"; }
pane_matches() { pane | grep -qE -- "$1"; }
# The focused form row starts with '>'.
focus_matches() { pane | grep -qE -- "^>$1"; }
keys() { tm send-keys -t form "$@"; }
text() { tm send-keys -t form -l "$1"; }
focused_row() { pane | grep -m1 '^>'; }
focus_moved() { [ "$(focused_row)" != "$1" ]; }
# tab_to ERE: Tab until the focused row matches (at most 80 Tabs), as a user would; after each Tab
# it waits only until the focus has moved (a row with the same text as the last one waits 2 s).
tab_to() {
    local i before
    for i in $(seq 80); do
        focus_matches "$1" && return 0
        before=$(focused_row)
        keys Tab
        wait_for 2 focus_moved "$before"
    done
    focus_matches "$1" && return 0
    echo "# no focused row matches $1; screen:" >&2
    pane | sed 's/^/#   /' >&2
    return 1
}
# set_field ERE TEXT: Tab to the field, clear it (Ctrl-U), type TEXT.
set_field() { tab_to "$1" && keys C-u && text "$2"; }
# pick ERE: in a picker (title on row 2, items from row 4, the first one selected), Down to the
# first item that matches, then Enter.
pick() {
    local n
    n=$(pane | sed -n '4,22p' | grep -nE -- "^  $1( |$)" | head -1 | cut -d: -f1)
    [ -n "$n" ] || { echo "# no item $1 in the picker" >&2; pane | sed 's/^/#   /' >&2; return 1; }
    local i
    for ((i = 1; i < n; i++)); do keys Down; done
    keys Enter
}
kc() { kubectl -n app "$@"; }
DRAFTS=$XDG_STATE_HOME/kdeck/drafts/kubesim/app

check "the seed's back app runs" wait_for 60 sh -c "kubectl -n app get pods -l app=back --no-headers | grep -q Running"
kc delete deployment back --wait=false >/dev/null 2>&1
check "back deleted with kubectl" wait_for 60 sh -c "! kubectl -n app get pods -l app=back --no-headers 2>/dev/null | grep -q ."

# A shell in an 80x24 terminal; kdeck on the deployments.
tm new-session -d -s form -x 80 -y 24 \
    "env -i PATH=$PATH HOME=$HOME XDG_STATE_HOME=$XDG_STATE_HOME TERM=xterm-256color LANG=C.UTF-8 \
     LC_ALL=C.UTF-8 TZ=UTC ${ASAN_OPTIONS:+ASAN_OPTIONS=$ASAN_OPTIONS} \
     ${UBSAN_OPTIONS:+UBSAN_OPTIONS=$UBSAN_OPTIONS} PS1='sh\$ ' bash --norc --noprofile -i"
wait_for 10 pane_has 'sh$'
start_kdeck() {
    tm send-keys -t form -l "cd $E2E_TMP && KUBECONFIG=$SIM/admin.kubeconfig $KDECK_BIN -n app"
    keys Enter
    wait_for 20 pane_matches '^ kdeck' && text ":deploy" && keys Enter && wait_for 20 pane_matches '^front '
}
check "kdeck shows the deployments" start_kdeck

# ---- 1. create back through the form ---------------------------------------------------------
text n
check "n opens an empty form in the current namespace" wait_for 10 pane_matches '^ New app \(app\)'
check "the form fits 80 columns: buttons and the invalid count" pane_matches '\[ Preview & diff \]  \[ Apply \] +[0-9]+ invalid fields'
set_field 'name( |$)' back
set_field 'version( |$)' 1.0.0
set_field 'replicas( |$)' 1
set_field '  name( |$)' back
set_field '  image( |$)' registry.local/app/back:1.0.0
check "typing shows the value in the field" wait_for 5 pane_matches '^>  image +registry.local/app/back:1.0.0'
tab_to '  \+ add port' && keys Enter
text http; keys Tab; text 8080
tab_to '  \+ add env' && keys Enter
text RDS_HOST; keys Tab Tab; text mysql
tab_to '  \+ add env' && keys Enter
text RDS_PASSWORD; keys Tab
keys Enter
wait_for 5 pane_has configMapKeyRef && pick secretKeyRef
keys Tab Enter
check "Secret names are picked from the namespace" wait_for 10 pane_matches '^ secrets in app'
pick app-db-mysql
keys Tab Enter
check "the Secret's keys are picked (names only)" wait_for 10 pane_matches '^ keys of secret app-db-mysql'
check "no Secret value on screen" sh -c "! tmux -L $SOCK capture-pane -p -t form | grep -q 'YXBw'"
pick password
check "the picked reference is in the form" wait_for 5 pane_matches 'secret key +password'
tab_to '  readinessProbe' && keys Enter
set_field '    http path' /health
set_field '    http port' 8080
check "the filled-in form has no invalid field" wait_for 5 pane_matches 'all fields valid'
keys C-p
check "Ctrl-P: the preview shows the Deployment to create" wait_for 20 pane_matches 'Deployment app/back'
keys a
check "apply: the form says it was applied" wait_for 30 pane_matches 'applied'
check "the Deployment was created with the picked secret" \
    wait_for 10 sh -c "kubectl -n app get deployment back -o jsonpath='{.spec.template.spec.containers[0].env[1].valueFrom.secretKeyRef.key}' | grep -qx password"
check "the new draft is gone after a successful apply" test ! -e "$DRAFTS/_new.json"
keys Escape
wait_for 10 pane_matches '^back '
text ":pods"; keys Enter
check "the new back pod runs (pods view)" wait_for 60 pane_matches '^back-[a-z0-9]+-[a-z0-9]{5} +1/1 +Running'
text ":deploy"; keys Enter
wait_for 10 pane_matches '^front '

# ---- 2. edit replicas and an env var, diff, apply, rollout --------------------------------------
open_edit() {
    text "/back"; keys Enter
    wait_for 10 pane_matches '^back ' && text e && wait_for 20 pane_matches '^ Edit back \(app\)' &&
        wait_for 20 sh -c "! tmux -L $SOCK capture-pane -p -t form | grep -q 'loading\\.\\.\\.'"
}
check "e opens the live app in the form" open_edit
check "the form shows the live values" pane_matches 'image +registry.local/app/back:1.0.0'
set_field 'replicas( |$)' 2
set_field '    value +mysql' mysql.app
keys C-p
check "the diff shows the new replicas" wait_for 20 pane_matches '^\+  replicas: 2'
check "the diff shows the env var" pane_matches '^\+ +value: mysql.app'
keys a
check "apply: the rollout is followed in the status line" \
    wait_for 30 pane_matches 'back: .*(replicas|rolled out)'
check "the cluster has both edits" wait_for 10 sh -c \
    "kubectl -n app get deployment back -o jsonpath='{.spec.replicas} {.spec.template.spec.containers[0].env[0].value}' | grep -qx '2 mysql.app'"
check "the rollout finishes" wait_for 60 pane_matches 'successfully rolled out'

# ---- 3. an invalid quantity --------------------------------------------------------------------
tab_to '  resources' && keys Enter
tab_to '    requests' && keys Enter
set_field '      cpu' 12x
check "the message shows under the field" wait_for 5 pane_matches '✗ must match the regular expression'
check "the form counts the invalid field" pane_matches '1 invalid field'
keys C-a
check "apply is refused and says which field" wait_for 5 pane_matches 'apply refused: 1 invalid field; first containers\[0\]\.resources\.requests\.cpu'
set_field '      cpu' 250m
check "fixing it clears the message" wait_for 5 pane_matches 'all fields valid'

# ---- 4. a conflicting edit: 409, reload and reapply ------------------------------------------
set_field 'replicas( |$)' 3
keys C-p
check "preview before the conflicting edit" wait_for 20 pane_matches '^\+  replicas: 3'
kc annotate deployment back e2e/conflict=yes >/dev/null
keys a
check "409: the preview says what changed on the server" wait_for 20 pane_matches 'changed on the server|What changed on the server'
keys r
check "r: reload and reapply goes through" wait_for 30 pane_matches 'applied'
check "the form's edit is what the cluster has" wait_for 10 sh -c \
    "kubectl -n app get deployment back -o jsonpath='{.spec.replicas}' | grep -qx 3"

# ---- 5. drafts: Esc, reopen, restart ---------------------------------------------------------
set_field 'version( |$)' 1.0.1-draft
keys Escape
check "Esc leaves the form" wait_for 10 pane_matches '^back '
check "the draft is on disk, 0600 in a 0700 directory" sh -c \
    "[ \"\$(stat -c %a '$DRAFTS/back.json')\" = 600 ] && [ \"\$(stat -c %a '$DRAFTS')\" = 700 ]"
text e
check "e again: the draft is restored" wait_for 20 pane_matches 'draft from [0-9]{2}:[0-9]{2} restored; Ctrl-R discards'
check "the draft has what was typed" pane_matches 'version +1.0.1-draft'
keys C-s
check "Ctrl-S asks for a path, ./back.json by default" wait_for 5 pane_matches '^Save descriptor to: \./back\.json'
keys Enter
check "Ctrl-S saves the descriptor" wait_for 5 sh -c "grep -q '1.0.1-draft' '$E2E_TMP/back.json'"
printf '{"apiVersion": "kdeck/v1", "kind": "AppDescriptor", "name": "back", "replicas": "x"}\n' > "$E2E_TMP/bad.json"
keys C-o C-u
text "bad.json"; keys Enter
check "Ctrl-O: a parse error says where and what" wait_for 5 pane_matches 'cannot open bad.json: replicas: must be an integer'
# restart kdeck: the draft survives
keys Escape
wait_for 10 pane_matches '^back '
text q
wait_for 10 pane_has 'sh$'
check "kdeck restarted" start_kdeck
text "/back"; keys Enter
wait_for 10 pane_matches '^back ' && text e
check "after a restart the draft is restored" wait_for 20 pane_matches 'draft from [0-9]{2}:[0-9]{2} restored'
check "with what was typed" pane_matches 'version +1.0.1-draft'
keys C-r
check "Ctrl-R discards it and reloads the live app" wait_for 20 pane_matches 'version +1.0.0'
check "the discarded draft is gone" test ! -e "$DRAFTS/back.json"
# blue/green: the Roll out button appears with the strategy; the form survives resizes
tab_to '\[ \] Rollout' && keys Enter
check "a section switched on shows its fields" wait_for 5 pane_matches '^>strategy'
keys Enter
wait_for 5 pane_has blueGreen && pick blueGreen
check "strategy blueGreen offers the Roll out button" wait_for 5 pane_matches '\[ Apply \]  \[ Roll out \]'
tm resize-window -t form -x 120 -y 40
check "resize to 120x40: the buttons move to row 37" wait_for 10 sh -c \
    "tmux -L $SOCK capture-pane -p -t form | sed -n 37p | grep -q 'Preview & diff'"
tm resize-window -t form -x 80 -y 24
check "back to 80x24: the buttons on row 21" wait_for 10 sh -c \
    "tmux -L $SOCK capture-pane -p -t form | sed -n 21p | grep -q 'Preview & diff'"
check "no row wider than 80 columns" test "$(pane | awk '{ if (length($0) > 80) n++ } END { print n+0 }')" -eq 0
keys Escape
wait_for 10 pane_matches '^back '
text q

e2e_done
