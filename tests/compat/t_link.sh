#!/bin/bash
# A program that uses only the standard <netdb.h> names resolves through
# librfcres while glibc is loaded too, when it is
#   (a) linked with -lrfcres against build/librfcres.so, and
#   (b) linked with build/librfcres.a (glibc still shared),
# against rfcres-fakedns on 127.0.0.1: getaddrinfo, gethostbyname,
# gethostbyname_r (ERANGE retried from a 16-byte buffer), gethostbyaddr,
# including the 256-address name that needs TC -> TCP.
# Args: build_dir source_dir.  Exit 77 = skipped.
PL_SCRIPT=$0
. "$2/tests/compat/preload-lib.sh"
pl_init "$@"
CC=${CC:-cc}
pl_need_tool "$CC" gcc
pl_need_tool readelf binutils
[ -e "$PL_BUILD/librfcres.a" ] || pl_skip "$PL_BUILD/librfcres.a not built"
pl_start_dns
t=$PL_TMP
prog=$PL_SRC/tests/compat/progs/resolve.c
cflags="-std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror"

$CC $cflags "$prog" -o $t/resolve-shared -L"$PL_BUILD" -lrfcres \
	-Wl,-rpath,"$PL_BUILD" || { pl_fail "link with -lrfcres"; pl_done; }
$CC $cflags "$prog" -o $t/resolve-static "$PL_BUILD/librfcres.a" -pthread ||
	{ pl_fail "link with librfcres.a"; pl_done; }

# (a) librfcres.so.0 is NEEDED before libc.so.6, so its definitions win
needed=$(readelf -d $t/resolve-shared | awk '/NEEDED/ {print $5}' | tr -d '[]' | tr '\n' ' ')
pl_check "shared: NEEDED has librfcres.so.0 before libc.so.6 ($needed)" \
	eval '[[ "$needed" == *librfcres.so.0*libc.so.6* ]]'
# (b) the names are defined in the executable, glibc is still loaded
pl_check "static archive: getaddrinfo/gethostbyname_r defined in the binary" \
	eval 'nm $t/resolve-static | grep -q " T getaddrinfo$" && nm $t/resolve-static | grep -q " T gethostbyname_r$"'
pl_check "static archive: glibc still linked (libc.so.6 NEEDED)" \
	eval 'readelf -d $t/resolve-static | grep -q "libc.so.6"'

# field VALUE of line KIND NAME in file
field() { awk -v k="$2" -v n="$3" -v f="$4" '$1 == k && $2 == n {
	for (i = 3; i <= NF; i++) if (index($i, f "=") == 1) print substr($i, length(f) + 2) }' "$1"; }
sorted() { tr ',' '\n' | sort; }

for kind in shared static; do
	bin=$t/resolve-$kind
	PL_RC=0
	RFCRES_DEBUG=1 timeout 60 $bin big.legacy.test www.legacy.test \
		nosuch.legacy.test -x 192.0.2.10 -6 www.legacy.test \
		> $t/o 2> $t/e || PL_RC=$?
	pl_check "$kind: exit 0" test "$PL_RC" = 0
	pl_check "$kind: librfcres traced every call (lookup.start, legacy.byname, legacy.byaddr)" \
		eval 'pl_traced $t/e lookup.start && pl_traced $t/e legacy.byname && pl_traced $t/e legacy.byaddr'
	pl_check "$kind: getaddrinfo big: 256 addresses via TCP after TC" \
		eval 'diff <(field $t/o gai big.legacy.test addrs | sorted) <(pl_big_addrs | sort) >/dev/null && grep -q "transport=tcp" $t/e'
	pl_check "$kind: gethostbyname big: 256 addresses" \
		eval 'diff <(field $t/o ghbn big.legacy.test addrs | sorted) <(pl_big_addrs | sort) >/dev/null'
	pl_check "$kind: gethostbyname_r big: ERANGE retried, same 256 addresses" \
		eval 'test "$(field $t/o ghbnr big.legacy.test retries)" -gt 0 &&
		      test "$(field $t/o ghbnr big.legacy.test rc)" = 0 &&
		      diff <(field $t/o ghbnr big.legacy.test addrs | sorted) <(pl_big_addrs | sort) >/dev/null'
	pl_check "$kind: gethostbyname www: name and both A records" \
		test "$(grep '^ghbn www' $t/o | head -1)" = "ghbn www.legacy.test herr=0 name=www.legacy.test aliases= addrs=192.0.2.10,192.0.2.11 length=4"
	pl_check "$kind: gethostbyname nosuch: HOST_NOT_FOUND" \
		test "$(field $t/o ghbn nosuch.legacy.test herr)" = 1
	pl_check "$kind: gethostbyname_r nosuch: rc 0, HOST_NOT_FOUND" \
		test "$(grep '^ghbnr nosuch' $t/o)" = "ghbnr nosuch.legacy.test rc=0 herr=1 retries=0"
	pl_check "$kind: gethostbyaddr 192.0.2.10: PTR name" \
		test "$(grep '^ghba' $t/o)" = "ghba 192.0.2.10 herr=0 name=www.legacy.test"
	pl_check "$kind: gethostbyname2 AF_INET6 www: the AAAA record" \
		test "$(grep '^ghbn www' $t/o | tail -1)" = "ghbn www.legacy.test herr=0 name=www.legacy.test aliases= addrs=2001:db8::10 length=16"
done

pl_done
