#!/bin/bash
# What a virtual screen cannot show, checked in a real terminal (tmux): 80x24 layout, resize,
# TERM=xterm-256color / screen / vt100, a non-UTF-8 locale (ASCII line drawing), NO_COLOR,
# Ctrl-Z and fg, and a clean terminal after SIGTERM.
. "$(dirname "$0")/lib.sh"

SIM=$E2E_TMP/sim
start_kubesim "$SIM" --seed-app --virtual --pod-start-delay 0.2 || { not_ok "kubesim starts"; e2e_done; }
# One private tmux server per session: tmux 3.3a crashes creating a sized session next to another.
SOCK="kdeck-e2e-$$"
SESSIONS=()
tm() { local name=$1; shift; tmux -L "$SOCK-$name" -f /dev/null "$@"; }
tmux_kill() { local s; for s in "${SESSIONS[@]}"; do tm "$s" kill-server 2>/dev/null; done; }
trap 'tmux_kill; e2e_cleanup' EXIT

# pane NAME: the visible pane as text; pane_esc NAME: with escape sequences.
pane() { tm "$1" capture-pane -p -t "$1" 2>/dev/null; }
pane_esc() { tm "$1" capture-pane -e -p -t "$1" 2>/dev/null; }
pane_has() { pane "$1" | grep -qF -- "$2"; }
pane_matches() { pane "$1" | grep -qE -- "$2"; }
row_matches() { pane "$1" | sed -n "$2p" | grep -qE -- "$3"; }
esc_has() { pane_esc "$1" | grep -qE -- "$2"; }
esc_lacks() { ! pane_esc "$1" | grep -qE -- "$2"; }
# The kdeck command line, with the environment each case sets.
KDECK_CMD="KUBECONFIG=$SIM/admin.kubeconfig TZ=UTC $KDECK_BIN -n app"

# start_session NAME COLS ROWS ENV...: a detached session running a plain shell with ENV set.
start_session() {
    local name=$1 cols=$2 rows=$3; shift 3
    SESSIONS+=("$name")
    tm "$name" new-session -d -s "$name" -x "$cols" -y "$rows" \
        "env -i PATH=$PATH HOME=$HOME $* PS1='sh\$ ' bash --norc --noprofile -i"
    wait_for 10 pane_has "$name" 'sh$'
}
type_line() { tm "$1" send-keys -t "$1" -l "$2"; tm "$1" send-keys -t "$1" Enter; }

# 1. 80x24, UTF-8, xterm-256color: the layout fits, then a resize to 120x40 reflows.
start_session main 80 24 TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8
type_line main "$KDECK_CMD"
check "kdeck starts in 80x24" wait_for 20 pane_matches main '^back-[a-z0-9]+-[a-z0-9]{5} +1/1 +Running'
pane main > "$E2E_TMP/t80.txt"
check "header on the first row" grep -qE '^ kdeck │ ctx:kubesim' <(sed -n 1p "$E2E_TMP/t80.txt")
check "footer on the last row" grep -qE '^<Enter> open' <(sed -n 24p "$E2E_TMP/t80.txt")
check "no row is wider than 80 columns" test "$(awk '{ if (length($0) > 80) n++ } END { print n+0 }' "$E2E_TMP/t80.txt")" -eq 0
check "colours are drawn with 256-colour sequences" esc_has main '[34]8;5;'
tm main resize-window -t main -x 120 -y 40
check "resize to 120x40 moves the footer to row 40" wait_for 10 row_matches main 40 '^<Enter> open'
check "resize keeps the rows" pane_matches main '^mysql-[a-z0-9]+-[a-z0-9]{5} +2/2 +Running'
tm main resize-window -t main -x 80 -y 24
wait_for 10 row_matches main 24 '^<Enter> open'

# y copies the selected name to the clipboard through OSC 52; tmux (set-clipboard on) keeps it.
tm main set-option -g set-clipboard on
for attempt in 1 2 3; do   # a key typed while the terminal settles after the resize can be lost
    tm main send-keys -t main y
    wait_for 3 pane_matches main "copied 'back-" && break
done
check "y: OSC 52 reaches the terminal's clipboard" wait_for 10 sh -c "tmux -L '$SOCK-main' show-buffer 2>/dev/null | grep -qE '^back-[a-z0-9]+-[a-z0-9]{5}\$'"
check "y: the status line says what was copied" wait_for 5 pane_matches main "copied 'back-"

# 2. Ctrl-Z suspends to the shell, fg brings the screen back.
tm main send-keys -t main C-z
check "Ctrl-Z returns to the shell" wait_for 10 pane_matches main '(Stopped|stopped)' || pane main | sed 's/^/#   /' >&2
type_line main "fg"
check "fg restores the screen" wait_for 10 pane_matches main '^back-[a-z0-9]+-[a-z0-9]{5} +1/1'

# 3. SIGTERM leaves a clean terminal (cooked mode, echo, cursor, no alternate screen).
SHELL_PID=$(tm main display-message -p -t main '#{pane_pid}')
KPID=$(pgrep -P "$SHELL_PID" | head -1)
check "kdeck runs as the shell's child" test -n "$KPID"
[ -n "$KPID" ] && kill -TERM "$KPID"
check "SIGTERM ends kdeck" e2e_wait_gone "${KPID:-0}" 10
type_line main "stty -a | grep -oE '(^| )-?(icanon|echo)( |\$)' | tr -d ' ' | tr '\\n' ' '; echo END"
check "terminal back in cooked mode with echo" wait_for 10 pane_matches main '^icanon echo END'
check "shell prompt visible after exit (alternate screen left)" pane_has main 'sh$'

# 4. Other terminals: screen (8 colours), vt100 (no colour), a non-UTF-8 locale, NO_COLOR.
for spec in "screen:TERM=screen LANG=C.UTF-8 LC_ALL=C.UTF-8" "vt100:TERM=vt100 LANG=C.UTF-8 LC_ALL=C.UTF-8" \
            "ascii:TERM=xterm-256color LANG=C LC_ALL=C" "nocolor:TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 NO_COLOR=1"; do
    name=${spec%%:*}
    envs=${spec#*:}
    start_session "$name" 80 24 $envs
    type_line "$name" "$KDECK_CMD"
    check "$name: the table renders" wait_for 20 pane_matches "$name" '^back-[a-z0-9]+-[a-z0-9]{5} +1/1 +Running'
    colour='\[([0-9;]*;)?(3[0-7]|4[0-7]|38;5|48;5)[;m]'
    case $name in
        screen)  check "screen: no 256-colour sequences" esc_lacks "$name" '[34]8;5;'
                 check "screen: 8-colour sequences" esc_has "$name" "$colour" ;;
        vt100)   check "vt100: no colour at all" esc_lacks "$name" "$colour" ;;
        ascii)   check "non-UTF-8 locale: ASCII line drawing" row_matches "$name" 1 '^ kdeck \| ctx:kubesim'
                 check "non-UTF-8 locale: no UTF-8 glyphs" sh -c "! tmux -L '$SOCK-$name' capture-pane -p -t '$name' | grep -q '│'" ;;
        nocolor) check "NO_COLOR: no colour at all" esc_lacks "$name" "$colour"
                 check "NO_COLOR: the selection is still visible (reverse video)" esc_has "$name" '\[([0-9;]*;)?7[;m]' ;;
    esac
    tm "$name" send-keys -t "$name" q
    check "$name: q quits" wait_for 10 pane_has "$name" 'sh$'
done

e2e_done
