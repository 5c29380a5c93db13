#!/bin/bash
# The whole test suite, as CI runs it: gcc build + every test, clang build +
# every test, ASan+UBSan build + every test, TSan over the concurrency tests,
# and a musl-gcc build of the core.  Usage: bash tests/run-all.sh [--quick]
set -eu
cd "$(dirname "$0")/.."
bash tests/setup.sh
quick=${1:-}
step() { printf '\n=== %s ===\n' "$*"; }

step "gcc: build and test (cmake --workflow --preset default)"
cmake --workflow --preset default --fresh

if [ "$quick" != "--quick" ]; then
  step "clang: build and test"
  cmake --workflow --preset clang --fresh
  step "ASan+UBSan: build and test"
  cmake --workflow --preset asan --fresh
  step "TSan: concurrency tests"
  cmake --workflow --preset tsan --fresh
  step "libFuzzer: corpus replay + 20 s per harness"; cmake --workflow --preset fuzz --fresh
fi

step "musl-gcc: the core builds and links statically"
bash tests/build/musl-build.sh build-musl
echo
echo "all tests passed"
