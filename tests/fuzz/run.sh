#!/bin/bash
# Builds the libFuzzer targets (tests/fuzz/fuzz_*.c) with clang + ASan + UBSan into build/fuzz/ and
# runs each for a bounded time. Self-contained: it compiles src/ itself (never uses the Makefile's
# objects) and generates the compiled-in themes/panels the same way the Makefile does.
#
#   tests/fuzz/run.sh [TARGET...]         build, replay regressions, fuzz FUZZ_SECONDS (20) each
#   tests/fuzz/run.sh --build             build only
#   tests/fuzz/run.sh --replay FILE...    run FILEs through their target (name from tests/fuzz/regress/<target>/)
#   FUZZ_SECONDS=3600 FUZZ_KEEP=1 tests/fuzz/run.sh fuzz_kobj   a long run; the grown corpus stays in build/fuzz/work
#
# For each target: (1) every file in tests/fuzz/regress/<target>/ (inputs that once crashed) is
# replayed and must pass; (2) libFuzzer runs from the seeds in tests/fuzz/corpus/<target>/ plus
# seeds generated at run time from ../shared/fixtures/k8s-real (never copied into the repo).
# A crash, leak, timeout (> 10 s per input) or out-of-memory (> 2 GB) fails the target and prints
# the reproducer. Output: "ok - ..." / "not ok - ..." lines and "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=$ROOT/build/fuzz
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
CC_FUZZ=${CC_FUZZ:-clang}
PKGS="ncursesw formw menuw panelw libuv libcurl libcjson libwebsockets yaml-0.1"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
CFLAGS="-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -D_XOPEN_SOURCE_EXTENDED -g -O1 \
 -fno-omit-frame-pointer -Iinclude $(pkg-config --cflags $PKGS) -DKDECK_VERSION=\"fuzz\" -w"
FIXTURES=${KDECK_FIXTURES:-$(cd "$ROOT/.." && pwd)/shared/fixtures/k8s-real}
pass=0; fail=0
ok()     { pass=$((pass + 1)); echo "ok - $*"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $*"; }

build() {
    mkdir -p "$OUT/obj" "$OUT/gen"
    command -v "$CC_FUZZ" >/dev/null || { echo "fuzz: $CC_FUZZ not found (apt-get install clang)" >&2; return 1; }
    # The compiled-in files, as the Makefile's $(BUILD)/gen/builtin_files.c recipe makes them.
    { echo '#include "kdeck/builtin.h"'; echo 'const builtin_file_t kdeck_builtin_files[] = {'
      for f in $(ls themes/*.theme src/prom/*.panels 2>/dev/null | sort); do printf '  { "%s",\n' "$f"
        sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$/\\n"/' "$f"; echo '  },'; done
      echo '  { 0, 0 } };'; } > "$OUT/gen/builtin_files.c.new"
    cmp -s "$OUT/gen/builtin_files.c.new" "$OUT/gen/builtin_files.c" || mv "$OUT/gen/builtin_files.c.new" "$OUT/gen/builtin_files.c"
    rm -f "$OUT/gen/builtin_files.c.new"
    local srcs=() s o
    for s in $(find src -name '*.c' ! -name main.c | sort) "$OUT/gen/builtin_files.c"; do
        o=$OUT/obj/$(echo "${s#$ROOT/}" | tr / _).o
        # Rebuild when the source or any header is newer than the object.
        if [ ! -e "$o" ] || [ "$s" -nt "$o" ] || [ -n "$(find include src -name '*.h' -newer "$o" -print -quit)" ]; then
            srcs+=("$s:$o")
        fi
    done
    if [ ${#srcs[@]} -gt 0 ]; then
        echo "fuzz: compiling ${#srcs[@]} files with $CC_FUZZ"
        export FUZZ_CC="$CC_FUZZ" FUZZ_CF="$CFLAGS -fsanitize=fuzzer-no-link $SAN"
        printf '%s\n' "${srcs[@]}" | xargs -P "$(nproc)" -I{} sh -c \
            's="${1%%:*}"; o="${1#*:}"; $FUZZ_CC $FUZZ_CF -c -o "$o" "$s" || { rm -f "$o"; echo "fuzz: cannot compile $s" >&2; }' _ {}
    fi
    rm -f "$OUT/libkdeck.a"
    ar rcs "$OUT/libkdeck.a" "$OUT"/obj/*.o || return 1
    local t rc=0
    for t in tests/fuzz/fuzz_*.c; do
        local name; name=$(basename "$t" .c)
        if [ ! -e "$OUT/$name" ] || [ "$t" -nt "$OUT/$name" ] || [ "$OUT/libkdeck.a" -nt "$OUT/$name" ]; then
            $CC_FUZZ $CFLAGS -fsanitize=fuzzer $SAN -o "$OUT/$name" "$t" "$OUT/libkdeck.a" \
                $(pkg-config --libs $PKGS) -lm || { echo "fuzz: cannot build $name" >&2; rc=1; }
        fi
    done
    return $rc
}

# Runs files through a target; prints the failure. $1 target, rest files.
replay() {
    local name=$1; shift
    [ $# -gt 0 ] || return 0
    if ! "$OUT/$name" -runs=1 -timeout=10 -rss_limit_mb=2048 "$@" >"$OUT/logs/$name.replay" 2>&1; then
        sed 's/^/#   /' "$OUT/logs/$name.replay" | grep -v '^#   Running:\|^#   Executed' | tail -40
        return 1
    fi
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

case "${1:-}" in
    --build) build; exit $? ;;
    --replay)
        shift; build >/dev/null || exit 1; mkdir -p "$OUT/logs"; rc=0
        for f in "$@"; do
            t=$(basename "$(dirname "$f")")
            [ -x "$OUT/$t" ] || { echo "no target $t for $f (put it under a directory named after the target)"; rc=1; continue; }
            replay "$t" "$f" && echo "ok - $t $f" || { echo "not ok - $t $f"; rc=1; }
        done
        exit $rc ;;
esac

build || { not_ok "fuzz targets build"; echo "$pass passed, $fail failed"; exit 1; }
ok "fuzz targets build"
mkdir -p "$OUT/logs" "$OUT/artifacts"
SEEDS=$OUT/seeds-fixtures
rm -rf "$SEEDS"; mkdir -p "$SEEDS"
python3 tests/fuzz/seed_fixtures.py "$FIXTURES" "$SEEDS" || echo "# fixture seeding failed; going on with the repo's corpus" >&2

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=($(for t in tests/fuzz/fuzz_*.c; do basename "$t" .c; done))
for name in "${targets[@]}"; do
    name=${name%.c}; name=$(basename "$name")
    [ -x "$OUT/$name" ] || { not_ok "$name: not built"; continue; }
    regress=(); [ -d "tests/fuzz/regress/$name" ] && regress=(tests/fuzz/regress/"$name"/*)
    [ -e "${regress[0]:-}" ] || regress=()
    if ! replay "$name" "${regress[@]}"; then
        not_ok "$name: a regression input fails again (tests/fuzz/regress/$name)"; continue
    fi
    work=$OUT/work/$name
    [ -n "${FUZZ_KEEP:-}" ] || rm -rf "$work"
    mkdir -p "$work" "$OUT/artifacts/$name"
    dirs=("$work")
    [ -d "tests/fuzz/corpus/$name" ] && dirs+=("tests/fuzz/corpus/$name")
    [ -d "$SEEDS/$name" ] && dirs+=("$SEEDS/$name")
    log=$OUT/logs/$name.log
    start=$SECONDS
    "$OUT/$name" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$name/" "${dirs[@]}" >"$log" 2>&1
    rc=$?
    runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$')
    cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1)
    if [ $rc -eq 0 ]; then
        ok "$name: ${runs:-?} inputs in $((SECONDS - start)) s, ${cov:-cov ?}, no crash, leak or timeout"
    else
        not_ok "$name: libFuzzer exit $rc after $((SECONDS - start)) s"
        grep -E 'ERROR: |SUMMARY: |runtime error|ALARM|Test unit written' "$log" | head -8 | sed 's/^/#   /'
        grep -E '^    #[0-9]+ ' "$log" | head -14 | sed 's/^/#   /'
        art=$(grep -Eo 'Test unit written to [^ ]+' "$log" | tail -1 | sed 's/Test unit written to //')
        if [ -n "$art" ]; then
            echo "#   reproducer: $art"
            echo "#   replay: $OUT/$name $art    (base64: $(base64 -w0 < "$art" | head -c 400))"
            echo "#   keep it: mkdir -p tests/fuzz/regress/$name && cp $art tests/fuzz/regress/$name/"
        fi
        echo "#   full log: $log"
    fi
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
