#!/bin/bash
# The Alpine case (seed 002): librfcres built with musl-gcc, linked
# statically into a program that uses only the standard <netdb.h> names;
# the static binary resolves against rfcres-fakedns on 127.0.0.1, the
# 256-address name included (musl before 1.2.4 ignored TC and returned a
# partial answer; librfcres retries over TCP).
# Args: build_dir source_dir.  Exit 77 = skipped.
PL_SCRIPT=$0
. "$2/tests/compat/preload-lib.sh"
pl_init "$@"
pl_need_tool musl-gcc musl-tools
pl_need_tool readelf binutils
pl_start_dns
t=$PL_TMP
cflags="-std=c11 -D_GNU_SOURCE -DRFCRES_BUILDING -O2 -Wall -Wextra -Werror -fvisibility=hidden"
mkdir -p $t/obj
for f in "$PL_SRC"/src/{core,conf,dns,net,select,nss,gai}/*.c; do
	[ -e "$f" ] || continue
	o=$t/obj/$(basename "$(dirname "$f")")_$(basename "$f" .c).o
	musl-gcc $cflags -I"$PL_SRC/include" -I"$PL_SRC/src" -I"$PL_SRC/src/core" \
		-c "$f" -o "$o" || { pl_fail "musl-gcc $f"; pl_done; }
done
ar rcs $t/librfcres-musl.a $t/obj/*.o
musl-gcc -static -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror \
	"$PL_SRC/tests/compat/progs/resolve.c" $t/librfcres-musl.a \
	-o $t/resolve-musl || { pl_fail "static musl link"; pl_done; }

pl_check "musl: the binary is static (no program interpreter, no NEEDED)" \
	eval '! readelf -l $t/resolve-musl | grep -q INTERP && ! readelf -d $t/resolve-musl 2>/dev/null | grep -q NEEDED'
pl_check "musl: getaddrinfo and gethostbyname_r come from librfcres" \
	eval 'nm $t/resolve-musl | grep -q " T rfcres_getaddrinfo$" && nm $t/resolve-musl | grep -q " T rfcres_gethostbyname_r$"'

field() { awk -v k="$2" -v n="$3" -v f="$4" '$1 == k && $2 == n {
	for (i = 3; i <= NF; i++) if (index($i, f "=") == 1) print substr($i, length(f) + 2) }' "$1"; }
sorted() { tr ',' '\n' | sort; }

PL_RC=0
RFCRES_DEBUG=1 timeout 60 $t/resolve-musl big.legacy.test www.legacy.test \
	nosuch.legacy.test -x 192.0.2.10 > $t/o 2> $t/e || PL_RC=$?
pl_check "musl: exit 0" test "$PL_RC" = 0
pl_check "musl: librfcres traced (lookup.start, dns.send)" \
	eval 'pl_traced $t/e lookup.start && pl_traced $t/e dns.send'
pl_check "musl: getaddrinfo big: all 256 addresses, TC then TCP" \
	eval 'diff <(field $t/o gai big.legacy.test addrs | sorted) <(pl_big_addrs | sort) >/dev/null &&
	      grep -q "tc=1" $t/e && grep -q "transport=tcp" $t/e'
pl_check "musl: gethostbyname_r big: ERANGE retried, 256 addresses" \
	eval 'test "$(field $t/o ghbnr big.legacy.test retries)" -gt 0 &&
	      diff <(field $t/o ghbnr big.legacy.test addrs | sorted) <(pl_big_addrs | sort) >/dev/null'
pl_check "musl: getaddrinfo www: both families" \
	test "$(field $t/o gai www.legacy.test addrs | sorted | tr '\n' ' ')" = "192.0.2.10 192.0.2.11 2001:db8::10 "
pl_check "musl: gethostbyname nosuch: HOST_NOT_FOUND" \
	test "$(field $t/o ghbn nosuch.legacy.test herr)" = 1
pl_check "musl: gethostbyaddr 192.0.2.10: PTR name" \
	test "$(grep '^ghba' $t/o)" = "ghba 192.0.2.10 herr=0 name=www.legacy.test"

pl_done
