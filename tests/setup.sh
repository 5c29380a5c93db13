#!/bin/bash
# Installs what building and testing librfcres needs on Debian 12 (root).
# Idempotent: does nothing when everything is present.
set -eu
pkgs="build-essential cmake pkg-config clang libclang-rt-14-dev musl-tools
  libcmocka-dev libevent-dev libc-ares-dev iproute2 nftables curl python3
  valgrind strace man-db groff-base netbase git libpython3.11-testsuite"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing packages:$missing (run as root or install them)"; exit 1
  fi
  echo "setup: installing$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
