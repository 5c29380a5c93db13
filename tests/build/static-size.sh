#!/bin/bash
# Size of a minimal static resolver (tests/bench/minimal_resolver.c,
# -static -Os, stripped) with musl's own getaddrinfo, and with librfcres.a
# built by musl-gcc -Os: as is, and with the small-static options
# (RFCRES_NO_TRACE: no trace strings; one section per function and data
# object, linked with --gc-sections).  Usage: static-size.sh [OUTDIR]
set -eu
out=${1:-build-static-size}
cd "$(dirname "$0")/../.."
command -v musl-gcc >/dev/null || { echo "SKIP: musl-gcc missing"; exit 0; }
rm -rf "$out"; mkdir -p "$out"
kh=$(bash tests/build/musl-kernel-headers.sh "$out/kernel-headers")
prog=tests/bench/minimal_resolver.c
variant() { # name, extra cflags, extra ldflags
	local name=$1 cf=$2 lf=$3 o="$out/$1"
	mkdir -p "$o/obj"
	for f in src/core/*.c src/conf/*.c src/dns/*.c src/net/*.c src/select/*.c src/gai/*.c; do
		musl-gcc $kh -std=c11 -D_GNU_SOURCE -DRFCRES_BUILDING -Os -Wall -Wextra -Werror \
			-fvisibility=hidden -Iinclude -Isrc -Isrc/core $cf \
			-c "$f" -o "$o/obj/$(echo "$f" | tr / _).o"
	done
	ar rcs "$o/librfcres.a" "$o"/obj/*.o
	musl-gcc -static -Os -Iinclude $lf "$prog" "$o/librfcres.a" -lpthread -o "$o/min"
	strip "$o/min"
	stat -c %s "$o/min"
}
musl-gcc -static -Os -Iinclude "$prog" -o "$out/min-musl"
strip "$out/min-musl"
m=$(stat -c %s "$out/min-musl")
a=$(variant plain "" "")
b=$(variant small "-DRFCRES_NO_TRACE -ffunction-sections -fdata-sections" "-Wl,--gc-sections")
echo "musl only:                         $m bytes"
echo "librfcres + musl:                  $a bytes (+$(( (a - m) / 1024 )) KiB)"
echo "librfcres + musl, small options:   $b bytes (+$(( (b - m) / 1024 )) KiB)"
