#!/bin/bash
# fuzz/run.sh: build the libFuzzer targets of the APR-only core and run each
# for a while (`make fuzz` calls this).
#
#   fuzz/run.sh [TARGET...]         build, then run each target (default: all)
#   FUZZ_SECONDS=600 fuzz/run.sh    run each for 600 s (default 60)
#   FUZZ_PARALLEL=1 fuzz/run.sh     how many targets run side by side (default:
#                                   the CPUs, at most 2)
#   FUZZ_FORK=1 fuzz/run.sh         keep fuzzing after a crash (-fork=1
#                                   -ignore_crashes=1): for long runs
#   FUZZ_BUILD_ONLY=1 fuzz/run.sh   build only
#   FUZZ_CC=clang-14 fuzz/run.sh    another clang (needs libclang-rt-dev;
#                                   tools/deps --fuzz installs both)
#
# Each target is built with clang -fsanitize=fuzzer,address,undefined from
# the sources in src/ (no configure needed), plus pool_shim.c, which gives
# every apr_palloc() its own malloc() so that AddressSanitizer sees pool
# overflows. One libFuzzer process per target, the cores shared among the
# targets rather than -jobs/-workers on one (each target gets a whole core
# and its own time budget); new inputs go to
# fuzz/out/TARGET/corpus (fuzz/corpus/TARGET, the seeds in the repository,
# is only read), crashes to fuzz/out/TARGET/crash-*, the log to
# fuzz/out/TARGET/fuzz.log. Per target one line:
#   TARGET: N execs, M s, crashes K (cov: C, corp: U, exec/s: E)
# (cov: the last libFuzzer status line; in fork mode it counts differently).
# Exit status 1 when a target crashed (a reproducer is in fuzz/out/TARGET/).
#
# A crash input replays with: fuzz/build/fuzz_TARGET fuzz/out/TARGET/crash-...
# and minimises with -minimize_crash=1 -runs=100000.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
src=$top/src/core
build=$here/build
out=$here/out

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
CC=${FUZZ_CC:-clang}
all_targets=(json form cookie jwt redirect multipart attestation authdata)

# The core sources each target needs, and the longest input it is fed.
core_json="da_json.c da_util.c"
core_form="da_util.c"
core_cookie="da_util.c"
core_jwt="da_jwt.c da_json.c da_util.c"
core_redirect="da_redirect.c da_util.c"
core_multipart="da_multipart.c da_util.c"
core_attestation="da_webauthn.c da_json.c da_util.c"
core_authdata="da_webauthn.c da_json.c da_util.c"
max_len_json=4096
max_len_form=2048
max_len_cookie=1024
max_len_jwt=4096
max_len_redirect=1024
max_len_multipart=8192
max_len_attestation=4096
max_len_authdata=4096

die() { echo "fuzz/run.sh: $*" >&2; exit 2; }

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
    case " ${all_targets[*]} " in *" $t "*) ;; *) die "unknown target $t (${all_targets[*]})" ;; esac
done
case $FUZZ_SECONDS in ''|*[!0-9]*) die "FUZZ_SECONDS must be a number of seconds" ;; esac

command -v "$CC" >/dev/null 2>&1 || die "$CC not found: run tools/deps --fuzz"
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; return (int)n * 0; }' \
    > "${TMPDIR:-/tmp}/fuzz-probe.$$.c"
if ! "$CC" -fsanitize=fuzzer -o "${TMPDIR:-/tmp}/fuzz-probe.$$" "${TMPDIR:-/tmp}/fuzz-probe.$$.c" 2>/dev/null; then
    rm -f "${TMPDIR:-/tmp}/fuzz-probe.$$"*
    die "$CC cannot link -fsanitize=fuzzer (libFuzzer): run tools/deps --fuzz"
fi
rm -f "${TMPDIR:-/tmp}/fuzz-probe.$$"*

# shellcheck disable=SC2207
cflags=($(apr-1-config --cppflags --includes) $(apu-1-config --includes)
        $(pkg-config --cflags json-c openssl libqrencode libcbor))
# shellcheck disable=SC2207
libs=($(apr-1-config --link-ld --libs) $(apu-1-config --link-ld)
      $(pkg-config --libs json-c openssl libqrencode libcbor) -ldl)
san=(-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all)
warn=(-Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers)

mkdir -p "$build"

# Objects: the core with coverage (fuzzer-no-link), the shim without.
compile() {   # SRC OBJ FLAGS...
    local srcfile=$1 obj=$2
    shift 2
    if [ ! -f "$obj" ] || [ "$srcfile" -nt "$obj" ] || [ -n "$(find "$src" "$here" -maxdepth 1 -name '*.h' -newer "$obj" | head -1)" ]; then
        "$CC" "${san[@]}" "${warn[@]}" -std=gnu99 "$@" -I"$src" -I"$here" "${cflags[@]}" -c "$srcfile" -o "$obj"
    fi
}
for t in "${targets[@]}"; do
    v=core_$t
    objs=()
    for f in ${!v}; do
        compile "$src/$f" "$build/${f%.c}.o" -fsanitize=fuzzer-no-link
        objs+=("$build/${f%.c}.o")
    done
    compile "$here/pool_shim.c" "$build/pool_shim.o"
    compile "$here/fuzz_$t.c" "$build/fuzz_$t.o" -fsanitize=fuzzer-no-link
    objs+=("$build/fuzz_$t.o" "$build/pool_shim.o")
    relink=0
    for o in "${objs[@]}"; do
        [ -f "$build/fuzz_$t" ] && [ ! "$o" -nt "$build/fuzz_$t" ] || relink=1
    done
    # Link to a new name and rename: a running -fork=1 may be starting a job.
    if [ "$relink" = 1 ]; then
        "$CC" "${san[@]}" -fsanitize=fuzzer -o "$build/fuzz_$t.new" "${objs[@]}" "${libs[@]}"
        mv -f "$build/fuzz_$t.new" "$build/fuzz_$t"
    fi
done
echo "fuzz/run.sh: built ${targets[*]} in fuzz/build/"
[ "${FUZZ_BUILD_ONLY:-0}" = 1 ] && exit 0

# Run: FUZZ_PARALLEL targets at a time, one libFuzzer process each.
cpus=$(nproc 2>/dev/null || echo 1)
parallel=${FUZZ_PARALLEL:-$(( cpus < 2 ? 1 : 2 ))}
# Stacks with file:line: Debian has llvm-symbolizer only under /usr/lib/llvm-N.
if ! command -v llvm-symbolizer >/dev/null 2>&1 && [ -z "${ASAN_SYMBOLIZER_PATH-}" ]; then
    for s in /usr/lib/llvm-*/bin/llvm-symbolizer; do
        if [ -x "$s" ]; then export ASAN_SYMBOLIZER_PATH=$s; fi
    done
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run_one() {   # TARGET
    local t=$1 v=max_len_$1 dir=$out/$1 fork=()
    mkdir -p "$dir/corpus"
    [ "${FUZZ_FORK:-0}" = 1 ] && fork=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
    touch "$dir/.started"
    local start=$SECONDS
    "$build/fuzz_$t" -max_total_time="$FUZZ_SECONDS" -max_len="${!v}" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$dir/" "${fork[@]}" \
        "$dir/corpus" "$here/corpus/$t" >"$dir/fuzz.log" 2>&1 || true
    echo $(( SECONDS - start )) > "$dir/.seconds"
}

summary() {   # TARGET: prints the line, returns 1 when it crashed
    local t=$1 dir=$out/$1 log=$out/$1/fuzz.log execs cov corp eps crashes
    # Normal mode ends with stat:: lines; fork mode prints "#N: cov: ..." lines.
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    [ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9][0-9]*\):* .*cov:.*/\1/p' "$log" | tail -1)
    eps=$(( ${execs:-0} / ($(cat "$dir/.seconds") > 0 ? $(cat "$dir/.seconds") : 1) ))
    cov=$(sed -n 's/.* cov: \([0-9][0-9]*\) .*/\1/p' "$log" | tail -1)
    corp=$(sed -n 's/.* corp: \([0-9][0-9]*\).*/\1/p' "$log" | tail -1)
    crashes=$(find "$dir" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' \
              -o -name 'timeout-*' -o -name 'oom-*' \) -newer "$dir/.started" | wc -l)
    echo "$t: ${execs:-0} execs, $(cat "$dir/.seconds") s, crashes $crashes" \
         "(cov: ${cov:-?}, corp: ${corp:-?}, exec/s: ${eps:-?})"
    [ "$crashes" -eq 0 ] && ! grep -q '^==[0-9]*==ERROR\|^SUMMARY: \|fuzz invariant failed' "$log"
}

echo "fuzz/run.sh: ${targets[*]}, ${FUZZ_SECONDS} s each, $parallel at a time"
running=0
for t in "${targets[@]}"; do
    if [ "$running" -ge "$parallel" ]; then
        wait -n || true
        running=$((running - 1))
    fi
    run_one "$t" &
    running=$((running + 1))
done
wait

status=0
for t in "${targets[@]}"; do
    summary "$t" || status=1
done
[ "$status" = 0 ] || echo "fuzz/run.sh: a target failed: see fuzz/out/TARGET/fuzz.log" >&2
exit $status
