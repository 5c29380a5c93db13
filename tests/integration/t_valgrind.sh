#!/bin/bash
# Every integration test binary under valgrind memcheck: no invalid access,
# no definite or indirect leak (possible/reachable leaks from libevent and
# thread-local storage are reported, not fatal).
# Usage: t_valgrind.sh BUILD_DIR SOURCE_DIR        exit 77 = skipped
set -u
build=${1:?build dir}
src=${2:?source dir}
if ! command -v valgrind >/dev/null 2>&1; then
	echo "valgrind not installed: skipped"
	exit 77
fi
# A sanitizer build cannot run under valgrind.
if grep -q '^RFCRES_SANITIZE:STRING=.\+' "$build/CMakeCache.txt" 2>/dev/null; then
	echo "sanitizer build: valgrind skipped"
	exit 77
fi
shopt -s nullglob
bins=("$build"/tests/integration_test_*)
if [ ${#bins[@]} -eq 0 ]; then
	echo "no integration_test_* binaries in $build/tests: skipped"
	exit 77
fi
export RFCRES_TEST_DATA="$src/tests/data"
# test_faults.c: 16 threads x 10,000 lookups at scale 1 is minutes under
# memcheck; 0.02 keeps it to a few seconds (docs/hardening.md)
export RFCRES_TEST_SCALE="${RFCRES_VALGRIND_SCALE:-0.02}"
export RFCRES_BUILD_DIR="$build"
fail=0
for b in "${bins[@]}"; do
	[ -x "$b" ] || continue
	name=$(basename "$b")
	log=$(mktemp)
	echo "=== $name"
	# timeouts in the tests are hang bounds; valgrind is ~20x slower but
	# the bounds are generous (tens of seconds) and the waits are real
	# time, not CPU time
	if valgrind --quiet --leak-check=full \
		--errors-for-leak-kinds=definite,indirect \
		--show-leak-kinds=definite,indirect \
		--error-exitcode=1 --track-fds=no \
		"$b" >"$log" 2>&1; then
		echo "ok"
	else
		echo "FAILED (valgrind or test): $name"
		tail -60 "$log"
		fail=1
	fi
	rm -f "$log"
done
exit $fail
