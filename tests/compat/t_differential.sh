#!/bin/bash
# Runs tests/compat/differential.c inside a private network + mount
# namespace: /etc/hosts and /etc/resolv.conf are bind-mounted test files,
# the only nameserver is 127.0.0.1 where nothing listens, and global IPv4 and
# IPv6 addresses on lo make the namespace dual-stack (so glibc's
# AI_ADDRCONFIG sees a dual-stack host).  Needs root; skips otherwise.
set -eu
build=$1 src=$2
bin=$build/tests/compat_differential
[ -x "$bin" ] || { echo "SKIP: $bin not built"; exit 77; }
if [ "$(id -u)" != 0 ] || ! unshare -m -n true 2>/dev/null; then
  echo "SKIP: needs root and network/mount namespaces"; exit 77
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cp "$src/tests/data/differential.hosts" "$tmp/hosts"
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' > "$tmp/resolv.conf"
printf '' > "$tmp/gai.conf"
exec unshare -m -n bash -c '
  set -eu
  mount --make-rprivate /
  mount --bind "$0/hosts" /etc/hosts
  mount --bind "$0/resolv.conf" /etc/resolv.conf
  [ -e /etc/gai.conf ] && mount --bind "$0/gai.conf" /etc/gai.conf
  ip link set lo up
  # no dummy/veth driver in every sandbox kernel: global addresses on lo
  # make the namespace dual-stack for glibc (__check_pf) and for librfcres
  ip addr add 192.0.2.1/24 dev lo
  ip addr add 2001:db8::1/64 dev lo nodad
  export RFCRES_HOSTS=/etc/hosts RFCRES_RESOLV_CONF=/etc/resolv.conf RFCRES_GAI_CONF=$0/gai.conf
  exec "$1" ${VERBOSE:+-v}
' "$tmp" "$bin"
