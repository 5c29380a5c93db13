#!/bin/bash
# Line/region coverage of the library reached by a corpus, per source file.
#   tests/fuzz/coverage.sh HARNESS [CORPUS_DIR...]
# Builds the harness and the core with clang source-based coverage
# (-fprofile-instr-generate -fcoverage-mapping) into build-fuzz-cov/, runs
# every input of the corpus once (default: the seed corpus plus, if present,
# the long-run corpus in build-fuzz/tests/fuzz/long/HARNESS/corpus) and
# prints llvm-cov's report for src/.
set -eu
h=${1:?harness}
shift
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/build-fuzz-cov
mkdir -p "$out/obj"
dirs=("$@")
if [ ${#dirs[@]} -eq 0 ]; then
	dirs=("$root/tests/fuzz/corpus/$h")
	[ -d "$root/build-fuzz/tests/fuzz/long/$h/corpus" ] &&
		dirs+=("$root/build-fuzz/tests/fuzz/long/$h/corpus")
fi
cflags=(-std=c11 -D_GNU_SOURCE -DRFCRES_BUILDING -g -O1
	-fprofile-instr-generate -fcoverage-mapping -fsanitize=fuzzer
	-I"$root/include" -I"$root/src" -I"$root/src/core" -I"$root/tests/fuzz")
srcs=()
for f in "$root"/src/{core,conf,dns,net,select,nss,gai}/*.c; do
	[ "$(basename "$f")" = exports.c ] && continue
	srcs+=("$f")
done
clang "${cflags[@]}" -o "$out/fuzz_$h" "$root/tests/fuzz/fuzz_$h.c" \
	"${srcs[@]}" -lpthread
rm -f "$out"/*.profraw
LLVM_PROFILE_FILE="$out/$h.profraw" "$out/fuzz_$h" -runs=0 "${dirs[@]}" \
	>/dev/null 2>&1
llvm-profdata merge -sparse "$out/$h.profraw" -o "$out/$h.profdata"
llvm-cov report "$out/fuzz_$h" -instr-profile="$out/$h.profdata" \
	"$root/src" | sed "s|$root/||"
