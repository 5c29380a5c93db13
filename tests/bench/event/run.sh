#!/usr/bin/env bash
# Asynchronous resolvers side by side: N names (default 1000) started at
# once on one event loop, through librfcres-event, c-ares
# (ares_getaddrinfo) and libevent's evdns (evdns_getaddrinfo), against one
# rfcres-fakedns on 127.0.0.1 (random port).  Prints one JSON line per
# library and window, then the lookups/s ratios.  Nothing leaves loopback;
# the system's resolv.conf and hosts are never used (temp files).
#
# usage: tests/bench/event/run.sh [--build DIR] [--names N] [--reps R]
#                                 [--windows "1000 100"] [--out DIR]
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
BUILD="$ROOT/build"
N=1000
REPS=5
WINDOWS=""
OUT=""

while [ $# -gt 0 ]; do
	case "$1" in
	--build) BUILD=$2; shift ;;
	--names) N=$2; shift ;;
	--reps) REPS=$2; shift ;;
	--windows) WINDOWS=$2; shift ;;
	--out) OUT=$2; shift ;;
	-h|--help) sed -n '2,10p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
: "${WINDOWS:=$N 100}"

for pc in libevent_core libevent_extra libcares; do
	pkg-config --exists "$pc" || { echo "run.sh: $pc not found (pkg-config)" >&2; exit 77; }
done

WORK=$(mktemp -d /tmp/rfcres-bench-event.XXXXXX)
PID=""
cleanup() {
	if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; fi
	rm -rf "$WORK"
}
trap cleanup EXIT

# ---- build ---------------------------------------------------------------
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
	cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$BUILD" --target rfcres rfcres_event rfcres-fakedns -j2 >/dev/null
FAKEDNS="$BUILD/tests/rfcres-fakedns"
[ -x "$FAKEDNS" ] || { echo "run.sh: no $FAKEDNS" >&2; exit 1; }
cc -O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -o "$WORK/bench_event" \
	"$HERE/bench_event.c" -I"$ROOT/include" \
	-L"$BUILD" -Wl,-rpath,"$BUILD" -lrfcres-event -lrfcres \
	$(pkg-config --cflags --libs libevent_core libevent_extra libcares)

# ---- server and configuration -------------------------------------------
: > "$WORK/names"
: > "$WORK/zone"
for ((i = 0; i < N; i++)); do
	echo "b$i.bench.t" >> "$WORK/names"
	printf 'b%d.bench.t A 10.%d.%d.%d\nb%d.bench.t AAAA 2001:db8:%x::1\n' \
		"$i" $((i / 65536 % 256)) $((i / 256 % 256)) $((i % 256)) "$i" "$i" >> "$WORK/zone"
done
"$FAKEDNS" --zone "$WORK/zone" --listen 127.0.0.1:0 --port-file "$WORK/port" \
	--pid-file "$WORK/pid" --daemon >/dev/null
for _ in $(seq 100); do [ -s "$WORK/pid" ] && [ -s "$WORK/port" ] && break; sleep 0.05; done
PID=$(cat "$WORK/pid")
PORT=$(head -1 "$WORK/port")
printf 'nameserver 127.0.0.1:%s\noptions timeout:1 attempts:2\n' "$PORT" > "$WORK/resolv.conf"
printf '127.0.0.1 localhost\n' > "$WORK/hosts"
export RFCRES_RESOLV_CONF="$WORK/resolv.conf" RFCRES_HOSTS="$WORK/hosts" \
	RFCRES_GAI_CONF=/nonexistent/gai.conf

# ---- run -----------------------------------------------------------------
RES="$WORK/results.jsonl"
for w in $WINDOWS; do
	timeout 600 "$WORK/bench_event" --port "$PORT" --names "$WORK/names" \
		--resolv "$WORK/resolv.conf" --reps "$REPS" --window "$w" | tee -a "$RES"
done
[ -n "$OUT" ] && { mkdir -p "$OUT"; cp "$RES" "$OUT/event.jsonl"; }

python3 - "$RES" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
for w in sorted({r["window"] for r in rows}, reverse=True):
    by = {r["lib"]: r for r in rows if r["window"] == w}
    base = by["librfcres-event"]["lookups_per_s"]
    print(f"window {w}: " + ", ".join(
        f'{lib} {r["lookups_per_s"]:.0f}/s (failed {r["failed"]})' for lib, r in by.items()))
    for lib in ("c-ares", "evdns"):
        if lib in by and by[lib]["lookups_per_s"]:
            print(f"  librfcres-event / {lib} = {base / by[lib]['lookups_per_s']:.2f}")
PY
