#!/bin/bash
# The shared library exports exactly the names in src/gai/exports.txt.
set -eu
build=$1 src=$2
lib=$(ls "$build"/librfcres.so.0.* | head -1)
want=$(grep -E '^[A-Za-z_]' "$src/src/gai/exports.txt" | sort)
have=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TWDBVR]$/ {print $3}' | sed 's/@.*//' | sort)
if [ "$want" != "$have" ]; then
  echo "export list mismatch (< wanted, > exported):"
  diff <(echo "$want") <(echo "$have") || true
  exit 1
fi
# unversioned: a versioned definition would not interpose glibc's
# getaddrinfo@GLIBC_2.2.5 under LD_PRELOAD
if nm -D --defined-only "$lib" | grep -q '@'; then
  echo "exports must be unversioned"; nm -D --defined-only "$lib" | grep '@'; exit 1
fi
readelf -d "$lib" | grep -q 'SONAME.*librfcres.so.0' || { echo "SONAME is not librfcres.so.0"; exit 1; }
# the core needs nothing but libc
bad=$(readelf -d "$lib" | awk '/NEEDED/ {print $5}' | tr -d '[]' | grep -vE '^(libc\.so\.6|ld-linux.*|libpthread\.so\.0|libdl\.so\.2)$' || true)
[ -z "$bad" ] || { echo "unexpected dependencies: $bad"; exit 1; }
echo "exports OK: $(echo "$have" | wc -l) symbols"
