#!/bin/bash
# getnameinfo differential against glibc (tests/conformance/gni_differential.c)
# inside private network + mount + UTS namespaces: /etc/hosts, resolv.conf
# and nsswitch.conf bind-mounted from test files, host name
# box.example.test, and rfcres-fakedns on 127.0.0.1:53 answering the PTR
# queries of both resolvers from tests/conformance/gni.zone.  Nothing leaves
# the namespace.  Needs root; skips otherwise.  Args: build_dir source_dir.
set -eu
build=$1 src=$2
bin=$build/tests/conformance/conformance_gni_differential
fakedns=$build/tests/rfcres-fakedns
for f in "$bin" "$fakedns"; do
  [ -x "$f" ] || { echo "SKIP: $f not built"; exit 77; }
done
if [ "$(id -u)" != 0 ] || ! unshare -m -n -u true 2>/dev/null; then
  echo "SKIP: needs root and network/mount/UTS namespaces"; exit 77
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cp "$src/tests/conformance/gni.hosts" "$tmp/hosts"
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' > "$tmp/resolv.conf"
printf 'hosts: files dns\nservices: files\n' > "$tmp/nsswitch.conf"
exec timeout -k 5 300 unshare -m -n -u bash -c '
  set -eu
  tmp=$0 bin=$1 fakedns=$2 zone=$3
  mount --make-rprivate /
  for f in hosts resolv.conf nsswitch.conf; do mount --bind "$tmp/$f" /etc/$f; done
  ip link set lo up
  hostname box.example.test
  "$fakedns" --zone "$zone" --listen 127.0.0.1:53 --pid-file "$tmp/dns.pid" \
    --daemon >/dev/null
  trap "kill \$(cat $tmp/dns.pid) 2>/dev/null" EXIT
  export RFCRES_HOSTS=/etc/hosts RFCRES_RESOLV_CONF=/etc/resolv.conf
  # sanitizer builds: what glibc'"'"'s IDN code leaks is not ours
  export LSAN_OPTIONS=suppressions=$4
  "$bin" ${VERBOSE:+-v}
' "$tmp" "$bin" "$fakedns" "$src/tests/conformance/gni.zone" \
  "$src/tests/conformance/lsan-glibc-idn.supp"
