#!/bin/bash
# Installs what building and testing librfcres needs on Debian 12 (root).
# Idempotent: does nothing when everything is present.
set -eu
pkgs="build-essential cmake pkg-config clang libclang-rt-14-dev musl-tools
  libcmocka-dev libevent-dev libc-ares-dev iproute2 nftables curl python3
  valgrind strace man-db groff-base netbase git libpython3.11-testsuite
  libnss-myhostname libnss-mdns"
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
  # libnss-myhostname and libnss-mdns are only test fixtures (the NSS
  # modules the nsswitch tests load), but their postinst scripts add
  # "myhostname" / "mdns4_minimal" to the host's /etc/nsswitch.conf.
  # The tests bring their own nsswitch.conf (tests/system, private /etc):
  # put the host's file back exactly as it was.
  nss_saved=""
  if [ -f /etc/nsswitch.conf ]; then
    nss_saved=$(mktemp /etc/.nsswitch.conf.rfcres.XXXXXX)
    cp -p /etc/nsswitch.conf "$nss_saved"
  fi
  rc=0
  apt-get install -y -qq --no-install-recommends $missing >/dev/null || rc=$?
  if [ -n "$nss_saved" ]; then
    cp -p "$nss_saved" /etc/nsswitch.conf
    rm -f "$nss_saved"
  fi
  [ "$rc" = 0 ] || exit "$rc"
fi
