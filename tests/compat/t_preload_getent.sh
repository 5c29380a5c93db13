#!/bin/bash
# LD_PRELOAD=librfcres.so into the system's unmodified getent:
#   getent ahosts  -> getaddrinfo
#   getent hosts   -> gethostbyname2 (AF_INET6, then AF_INET) / gethostbyaddr
# against rfcres-fakedns on 127.0.0.1, including a 256-address name whose
# UDP answer is truncated (TC) so that only the TCP retry gives all of it.
# Args: build_dir source_dir.  Exit 77 = skipped.
PL_SCRIPT=$0
. "$2/tests/compat/preload-lib.sh"
pl_init "$@"
pl_need_tool getent libc-bin
pl_start_dns
t=$PL_TMP
pl_preflight getent ahosts 127.0.0.1

addrs() { awk '{print $1}' "$1" | sort -u; }

# getent ahosts: getaddrinfo, every address the server has
pl_run $t/o $t/e getent ahosts www.legacy.test
pl_check "ahosts www: exit 0" test "$PL_RC" = 0
pl_check "ahosts www: the server's three addresses" \
	test "$(addrs $t/o | tr '\n' ' ')" = "192.0.2.10 192.0.2.11 2001:db8::10 "
pl_check "ahosts www: librfcres answered (trace lookup.start, dns.send)" \
	eval 'pl_traced $t/e lookup.start && pl_traced $t/e dns.send'

pl_run $t/o $t/e getent ahosts big.legacy.test
pl_check "ahosts big: exit 0" test "$PL_RC" = 0
pl_check "ahosts big: all 256 addresses" \
	eval 'diff <(addrs $t/o) <(pl_big_addrs | sort -u) >/dev/null'
pl_check "ahosts big: answer came over TCP after TC" \
	grep -q 'transport=tcp' $t/e

# getent hosts: the gethostbyname2 path
pl_run $t/o $t/e getent hosts www.legacy.test
pl_check "hosts www: AF_INET6 first, as getent asks" \
	test "$(cat $t/o)" = "2001:db8::10    www.legacy.test"
pl_check "hosts www: via gethostbyname2 in librfcres" \
	eval 'pl_traced $t/e legacy.byname && grep -q "family=inet6" $t/e'

pl_run $t/o $t/e getent hosts v4only.legacy.test
pl_check "hosts v4only: NO_DATA for AF_INET6, then the AF_INET answer" \
	test "$(cat $t/o)" = "192.0.2.20      v4only.legacy.test"

pl_run $t/o $t/e getent hosts alias.legacy.test
pl_check "hosts alias: h_name is the CNAME target" \
	test "$(cat $t/o)" = "2001:db8::10    www.legacy.test"

pl_run $t/o $t/e getent hosts big.legacy.test
pl_check "hosts big: 256 h_addr_list entries (TC -> TCP, per-thread buffer grown)" \
	eval 'diff <(addrs $t/o) <(pl_big_addrs | sort -u) >/dev/null && test $(wc -l < $t/o) = 256'

pl_run $t/o $t/e getent hosts nosuch.legacy.test
pl_check "hosts nosuch: exit 2 (HOST_NOT_FOUND), nothing printed" \
	eval 'test "$PL_RC" = 2 && ! test -s $t/o'
pl_check "hosts nosuch: NXDOMAIN reached librfcres" \
	grep -q 'herrno=1 ' $t/e

# gethostbyaddr: PTR from the server
pl_run $t/o $t/e getent hosts 192.0.2.10
pl_check "hosts 192.0.2.10: PTR through gethostbyaddr" \
	test "$(cat $t/o)" = "192.0.2.10      www.legacy.test"
pl_check "hosts 192.0.2.10: traced legacy.byaddr + PTR query" \
	eval 'pl_traced $t/e legacy.byaddr && grep -q "qtype=PTR" $t/e'

# hosts file (RFCRES_HOSTS, not /etc/hosts): aliases merged over lines
printf '192.0.2.99 filehost.legacy.test fh alias2\n192.0.2.98 filehost.legacy.test other\n' >> "$RFCRES_HOSTS"
pl_run $t/o $t/e getent hosts filehost.legacy.test
pl_check "hosts filehost: both lines, aliases merged as glibc's files backend" \
	test "$(cat $t/o)" = "192.0.2.99      filehost.legacy.test fh alias2 other
192.0.2.98      filehost.legacy.test fh alias2 other"
pl_run $t/o $t/e getent hosts fh
pl_check "hosts fh (an alias): canonical name and aliases of its one line" \
	test "$(cat $t/o)" = "192.0.2.99      filehost.legacy.test fh alias2"

pl_done
