#!/bin/bash
# Long fuzzing run of one harness.
#   tests/fuzz/run-long.sh HARNESS SECONDS [--merge] [extra libFuzzer flags]
# HARNESS: resolv gai hosts services wire lookup.  Builds the fuzz preset
# (build-fuzz/) if needed, fuzzes a copy of tests/fuzz/corpus/HARNESS in
# build-fuzz/tests/fuzz/long/HARNESS, and with --merge adds the inputs that
# reach new coverage back into the seed corpus (-merge=1 keeps it minimal).
# Crashes land in build-fuzz/tests/fuzz/long/HARNESS/artifacts/.
set -eu
h=${1:?harness: resolv gai hosts services wire lookup}
secs=${2:?seconds}
shift 2
merge=no
if [ "${1:-}" = "--merge" ]; then
	merge=yes
	shift
fi
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${RFCRES_FUZZ_BUILD:-$root/build-fuzz}
if [ ! -x "$build/tests/fuzz/fuzz_$h" ]; then
	cmake --preset fuzz -S "$root" >/dev/null
	cmake --build "$build" --target "fuzz_$h" -j2
fi
work=$build/tests/fuzz/long/$h
mkdir -p "$work/corpus" "$work/artifacts"
cp -n "$root/tests/fuzz/corpus/$h/"* "$work/corpus/" 2>/dev/null || true
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# RFCRES_FUZZ_JOBS=N: N parallel fuzzing processes (logs in fuzz-N.log)
par=()
if [ "${RFCRES_FUZZ_JOBS:-1}" -gt 1 ]; then
	par=(-jobs="$RFCRES_FUZZ_JOBS" -workers="$RFCRES_FUZZ_JOBS")
fi
rc=0
"$build/tests/fuzz/fuzz_$h" -max_total_time="$secs" -print_final_stats=1 \
	-timeout=10 -rss_limit_mb=2048 -artifact_prefix="$work/artifacts/" \
	${par[@]+"${par[@]}"} "$@" "$work/corpus" || rc=$?
echo "corpus: $(ls "$work/corpus" | wc -l) files in $work/corpus"
if [ "$merge" = yes ] && [ $rc -eq 0 ]; then
	"$build/tests/fuzz/fuzz_$h" -merge=1 "$root/tests/fuzz/corpus/$h" \
		"$work/corpus"
fi
exit $rc
