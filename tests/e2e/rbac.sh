#!/bin/bash
# RBAC awareness: as kubesim's `viewer`, kdeck asks a SelfSubjectRulesReview on entering a
# namespace, greys out the shell (help says why), and refuses it with the reason without sending
# the exec.
. "$(dirname "$0")/lib.sh"

SIM=$E2E_TMP/sim
start_kubesim "$SIM" --seed-app --virtual --pod-start-delay 0.2 || { not_ok "kubesim starts"; e2e_done; }
T=$E2E_TMP
before=$(wc -l < "$SIM/audit.log")
run_script viewer 200 30 --kubeconfig "$SIM/viewer.kubeconfig" -n app <<EOF
:wait-match ^back-[a-z0-9]+-[a-z0-9]{5} +1/1
?
:save-display $T/help.txt
<Esc>
s
:save-display $T/denied.txt
:quit
EOF
check "viewer session runs" test $? -eq 0
tail -n +$((before + 1)) "$SIM/audit.log" > "$T/audit"
check "a SelfSubjectRulesReview was asked for the namespace" grep -q 'selfsubjectrulesreviews' "$T/audit"
check "help greys out the shell with the reason" grep -q 'open a shell in a container of the pod \[not allowed: user viewer cannot create pods/exec in namespace app (RBAC)\]' "$T/help.txt"
check "s says why it is refused" grep -q 'shell: not allowed: user viewer cannot create pods/exec in namespace app' "$T/denied.txt"
check "no exec request was sent" sh -c "! grep -q '/exec' '$T/audit'"
# As admin the shell is not greyed.
run_script admin 120 30 --kubeconfig "$SIM/admin.kubeconfig" -n app <<EOF
:wait-match ^back-[a-z0-9]+-[a-z0-9]{5} +1/1
?
:save-display $T/help_admin.txt
:quit
EOF
check "admin: the shell is offered" grep -q 'open a shell in a container of the pod$' <(sed 's/ *$//' "$T/help_admin.txt")
e2e_done
