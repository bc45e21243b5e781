#!/bin/bash
# The docs generated from code must match it: docs/keys.md is what `kdeck keys` prints; every
# option in --help is in the man page; the man page renders.
. "$(dirname "$0")/lib.sh"
cd "$E2E_ROOT"

"$KDECK_BIN" keys > "$E2E_TMP/keys.md"
check "docs/keys.md is current (regenerate with: kdeck keys > docs/keys.md)" same_text docs/keys.md "$E2E_TMP/keys.md"
"$KDECK_BIN" --help > "$E2E_TMP/help.txt"
missing=""
for opt in $(grep -oE -- '--[a-z-]+' "$E2E_TMP/help.txt" | sort -u); do
    grep -q -- "$(printf '%s' "$opt" | sed 's/-/\\\\-/g')" docs/kdeck.1 || missing="$missing $opt"
done
check "every --help option is in the man page${missing:+ (missing:$missing)}" test -z "$missing"
check "the man page renders" sh -c 'man -l docs/kdeck.1 >/dev/null 2>&1 || groff -man -Tascii docs/kdeck.1 >/dev/null 2>&1'
"$KDECK_BIN" --version > "$E2E_TMP/version.txt"
check "kdeck --version" grep -qE '^kdeck [0-9]+\.[0-9]+\.[0-9]+' "$E2E_TMP/version.txt"
"$KDECK_BIN" --bogus > /dev/null 2> "$E2E_TMP/bogus.txt"
check "unknown option: status 2 and a message" sh -c "[ $? -eq 2 ] && grep -q \"unknown option '--bogus'\" '$E2E_TMP/bogus.txt'"
e2e_done
