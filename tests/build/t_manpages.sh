#!/bin/bash
# Every man page renders with man -l without warnings.
set -eu
src=$2
command -v man >/dev/null || { echo "SKIP: man not installed"; exit 77; }
rc=0
for f in "$src"/docs/*.[1-8]; do
  out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null)
  if [ -n "$out" ]; then echo "$f: $out"; rc=1; fi
  [ "$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$f" 2>/dev/null | wc -l)" -gt 10 ] || { echo "$f renders empty"; rc=1; }
done
exit $rc
