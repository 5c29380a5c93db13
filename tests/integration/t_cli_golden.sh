#!/bin/bash
# Golden tests for `rfcres ahosts --explain` and `--json` against the test
# DNS server with tests/data/demo.zone.  Runs in a private network namespace
# with fixed addresses on lo, so source selection (and thus the RFC 6724
# trace) is the same on every machine.  Times, ports, query ids, inode
# numbers and temp paths are masked.  The JSON is validated by python3's
# parser.  UPDATE=1 rewrites the golden files.
set -eu
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd)
cli=$build/rfcres fake=$build/tests/rfcres-fakedns
[ -x "$cli" ] && [ -x "$fake" ] || { echo "SKIP: rfcres or rfcres-fakedns not built"; exit 77; }
if [ "$(id -u)" != 0 ] || ! unshare -n true 2>/dev/null; then
  echo "SKIP: needs root and network namespaces"; exit 77
fi
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
golden=$src/tests/data/golden
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
unshare -n bash -s "$cli" "$fake" "$src" "$out" <<'INNER'
set -eu
cli=$1 fake=$2 src=$3 out=$4
ip link set lo up
ip addr add 192.0.2.2/24 dev lo
ip addr add 2001:db8::2/64 dev lo nodad
"$fake" --zone "$src/tests/data/demo.zone" --listen 127.0.0.1:0 \
  --port-file "$out/port" --pid-file "$out/pid" --daemon >/dev/null
for _ in $(seq 50); do [ -s "$out/port" ] && break; sleep 0.1; done
trap 'kill $(cat "$out/pid") 2>/dev/null || true' EXIT
printf 'nameserver 127.0.0.1:%s\nsearch demo.test\noptions timeout:1 attempts:1\n' \
  "$(head -1 "$out/port")" > "$out/resolv.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' > "$out/hosts"
: > "$out/gai.conf"
export RFCRES_RESOLV_CONF=$out/resolv.conf RFCRES_HOSTS=$out/hosts RFCRES_GAI_CONF=$out/gai.conf
export RFCRES_SERVICES=$src/tests/data/golden/services
run() { local name=$1; shift; "$cli" ahosts "$@" > "$out/$name.raw" 2>&1 || true; }
run explain-www --explain --socktype STREAM www.demo.test http
run explain-big -4 --explain --socktype STREAM big.demo.test
run explain-search --explain --canonname --socktype STREAM onlysearch
run explain-servfail --explain servfail.demo.test
run explain-flood --explain --socktype STREAM flood.demo.test
run explain-localhost --explain --addrconfig localhost
run json-mixed --json --socktype STREAM mixed.demo.test
run json-cname --json --canonname --socktype STREAM alias2.demo.test
run json-nxdomain --json nosuch.demo.test
INNER
mask() {
  sed -E -e 's/^ *[0-9]+\.[0-9]{3} ms/  T ms/' \
    -e 's/"t_ms": [0-9.]+/"t_ms": T/' \
    -e 's/127\.0\.0\.1:[0-9]+/127.0.0.1:PORT/g' \
    -e 's/(id|"id": )"?[0-9]+"?/\1N/g; s/\bid=[0-9]+/id=N/g' \
    -e 's/(dev|ino|size|mtime)=[0-9.]+/\1=N/g' \
    -e 's/"(dev|ino|size|mtime)": "[0-9.]+"/"\1": "N"/g' \
    -e "s#$out#TMP#g" -e "s#$src#SRC#g" \
    -e 's/librfcres [0-9.]+/librfcres VERSION/; s/"library": "[0-9.]+"/"library": "VERSION"/' \
    -e 's/timeout_ms=[0-9]+/timeout_ms=N/' \
    -e 's/generation=[0-9]+/generation=N/; s/"generation": "[0-9]+"/"generation": "N"/'
}
rc=0
for raw in "$out"/*.raw; do
  name=$(basename "$raw" .raw)
  mask < "$raw" > "$out/$name.txt"
  case $name in json-*)
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert set(d)=={"version","library","query","status","results","trace"}, d.keys()' "$raw" \
      || { echo "FAIL: $name is not valid JSON with the documented keys"; rc=1; } ;;
  esac
  if [ "${UPDATE:-}" = 1 ]; then cp "$out/$name.txt" "$golden/$name.txt"; continue; fi
  if ! diff -u "$golden/$name.txt" "$out/$name.txt"; then echo "FAIL: $name differs from golden"; rc=1; fi
done
[ $rc = 0 ] && echo "golden: $(ls "$out"/*.raw | wc -l) outputs match"
exit $rc
