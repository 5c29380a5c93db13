#!/bin/bash
# glibc's resolver test scenarios (resolv/tst-resolv-*.c) ported onto
# rfcres-fakedns: tests/conformance/glibc_resolv.c and glibc_scen_*.c,
# listed in docs/conformance.md.  Runs the program in fresh network and
# mount namespaces (lo only, like glibc's own harness) so that no test
# destination has a route and the RFC 6724 sort is the same on every
# machine; the servers listen on 127.0.0.1 inside.  /etc/hosts there holds
# glibc-order.test (A and AAAA) so the program can measure how glibc itself
# orders the two families in this place.  nsswitch.conf says "files dns"
# (librfcres honours it since issue 15; glibc finds glibc-order.test in
# files).  Needs root; skips otherwise.
# Args: build_dir source_dir.  RFCRES_SCENARIO=id runs one scenario.
set -u
bin=$1/tests/conformance/conformance_glibc_resolv
[ -x "$bin" ] || { echo "SKIP: $bin not built"; exit 77; }
if [ "$(id -u)" != 0 ] || ! unshare -n -m true 2>/dev/null; then
	echo "SKIP: needs root and network/mount namespaces (the result order depends on the host's routes otherwise)"
	exit 77
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf '127.0.0.1 localhost\n192.0.2.17 glibc-order.test\n2001:db8::1 glibc-order.test\n' > "$tmp/hosts"
printf 'hosts: files dns\n' > "$tmp/nsswitch.conf"
timeout -k 5 400 unshare -n -m sh -c '
	mount --make-rprivate / && mount --bind "$0/hosts" /etc/hosts &&
	mount --bind "$0/nsswitch.conf" /etc/nsswitch.conf && ip link set lo up &&
	exec "$1" ${RFCRES_SCENARIO:-}' "$tmp" "$bin"
