#!/bin/bash
# The README demo: build librfcres and its test DNS server, serve
# tests/data/demo.zone on loopback, and show what librfcres decides for
# names that exercise TC -> TCP fallback and RFC 6724 ordering.
# Sends packets to 127.0.0.1 only.
set -eu
cd "$(dirname "$0")/../.."
bash tests/setup.sh
build=${BUILD:-build}
cmake --preset default -B "$build" >/dev/null
cmake --build "$build" --target rfcres_cli rfcres-fakedns -j2 >/dev/null

tmp=$(mktemp -d)
cleanup() { [ -f "$tmp/pid" ] && kill "$(cat "$tmp/pid")" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
"$build/tests/rfcres-fakedns" --zone tests/data/demo.zone --listen 127.0.0.1:0 \
  --port-file "$tmp/port" --pid-file "$tmp/pid" --daemon
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(head -1 "$tmp/port")
cat > "$tmp/resolv.conf" <<CONF
nameserver 127.0.0.1:$port
search demo.test
options timeout:2 attempts:1
CONF
: > "$tmp/hosts"
printf 'hosts: files dns\n' > "$tmp/nsswitch.conf"
export RFCRES_RESOLV_CONF=$tmp/resolv.conf RFCRES_HOSTS=$tmp/hosts RFCRES_NSSWITCH_CONF=$tmp/nsswitch.conf
echo "# test DNS server: 127.0.0.1:$port (tests/data/demo.zone)"
show() {
  printf '\n\033[1m$ rfcres ahosts %s\033[0m\n' "$*"
  "$build/rfcres" ahosts "$@" || true
}
show --explain www.demo.test
printf '\n\033[1m$ rfcres ahosts --explain --socktype STREAM big.demo.test\033[0m   (256 A records: TC -> TCP)\n'
"$build/rfcres" ahosts --explain --socktype STREAM big.demo.test |
  awk '/sort\.(probe|source|pair)/ {skipped++; next}
       /^10\./ {n++; if (n > 3) next}
       /^result/ {inres=1}
       inres && /^ +[0-9]+ / {r++; if (r > 4) next}
       {print}
       END {printf "   ... %d result lines, %d per-address sort events not shown\n", n + r, skipped}'
show --explain --socktype STREAM mixed.demo.test
show --explain --socktype STREAM onlysearch
show --socktype STREAM tcpsilent.demo.test
echo "   (seed 004: TCP accepted but silent -> EAI_AGAIN after the 2 s deadline, not 130 s)"
printf '\n\033[1m$ rfcres sort --explain --src 172.21.1.97=172.21.2.90/24 ... (seed 000)\033[0m\n'
"$build/rfcres" sort --explain \
  --src 172.21.1.97=172.21.2.90/24 --src 172.21.1.152=172.21.2.90/24 \
  --src 172.21.2.108=172.21.2.90/24 --src 172.21.2.144=172.21.2.90/24 \
  172.21.1.97 172.21.2.144 172.21.1.152 172.21.2.108
