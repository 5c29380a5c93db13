#!/bin/bash
# Builds librfcres.a with musl-gcc and links a static program against it
# (the Alpine/musl container case).  Usage: musl-build.sh OUTDIR
set -eu
out=${1:-build-musl}
cd "$(dirname "$0")/../.."
command -v musl-gcc >/dev/null || { echo "SKIP: musl-gcc missing"; exit 0; }
rm -rf "$out"; mkdir -p "$out/obj"
# the kernel's headers, as on Alpine with linux-headers (netlink code)
kh=$(bash tests/build/musl-kernel-headers.sh "$out/kernel-headers")
cflags="$kh -std=c11 -D_GNU_SOURCE -DRFCRES_BUILDING -O2 -Wall -Wextra -Werror -fvisibility=hidden -Iinclude -Isrc -Isrc/core"
for f in src/core/*.c src/conf/*.c src/dns/*.c src/net/*.c src/select/*.c src/nss/*.c src/gai/*.c; do
  [ -e "$f" ] || continue
  o="$out/obj/$(echo "$f" | tr / _).o"
  musl-gcc $cflags -c "$f" -o "$o"
done
ar rcs "$out/librfcres.a" "$out"/obj/*.o
cat > "$out/hello.c" <<'C'
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include "rfcres.h"
int main(int argc, char **argv) {
	struct addrinfo *res, hints; memset(&hints, 0, sizeof hints);
	int rc = getaddrinfo(argc > 1 ? argv[1] : "localhost", "80", &hints, &res);
	if (rc) { printf("error: %s\n", gai_strerror(rc)); return 1; }
	int n = 0; for (struct addrinfo *a = res; a; a = a->ai_next) n++;
	printf("%d results, librfcres %s\n", n, rfcres_version());
	freeaddrinfo(res); return 0;
}
C
musl-gcc -static -O2 -Iinclude "$out/hello.c" "$out/librfcres.a" -o "$out/hello"
"$out/hello" localhost
echo "musl static build OK ($(stat -c %s "$out/hello") bytes; kernel headers: ${kh:-none, netlink source probe compiled out})"
