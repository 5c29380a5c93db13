#!/bin/bash
# LD_PRELOAD=librfcres.so into the system's unmodified python3:
#   socket.getaddrinfo      -> getaddrinfo
#   socket.gethostbyname    -> getaddrinfo (AF_INET)
#   socket.gethostbyname_ex -> gethostbyname_r
#   socket.gethostbyaddr    -> gethostbyaddr_r
# against rfcres-fakedns on 127.0.0.1, including the 256-address name that
# needs TC -> TCP.  Args: build_dir source_dir.  Exit 77 = skipped.
PL_SCRIPT=$0
. "$2/tests/compat/preload-lib.sh"
pl_init "$@"
# the distribution's interpreter, not a version manager's shim script
PY=/usr/bin/python3
[ -x $PY ] || { pl_need_tool python3 python3-minimal; PY=$(command -v python3); }
pl_start_dns
t=$PL_TMP
pl_preflight $PY -c 'import socket; socket.getaddrinfo("127.0.0.1", 80)'

py() { pl_run $t/o $t/e $PY -c "import socket, sys
$1"; }

py 'r = socket.getaddrinfo("big.legacy.test", 80, socket.AF_INET, socket.SOCK_STREAM)
print("\n".join(sorted(set(a[4][0] for a in r))))'
pl_check "getaddrinfo big: exit 0" test "$PL_RC" = 0
pl_check "getaddrinfo big: all 256 addresses" \
	eval 'diff $t/o <(pl_big_addrs | sort) >/dev/null'
pl_check "getaddrinfo big: TC then TCP, traced by librfcres" \
	eval 'grep -q "tc=1" $t/e && grep -q "transport=tcp" $t/e'

py 'r = socket.getaddrinfo("www.legacy.test", "http", proto=socket.IPPROTO_TCP)
print(" ".join(sorted(set("%s/%d" % (a[4][0], a[4][1]) for a in r))))'
pl_check "getaddrinfo www: both families, service resolved" \
	test "$(cat $t/o)" = "192.0.2.10/80 192.0.2.11/80 2001:db8::10/80"

py 'print(socket.gethostbyname("www.legacy.test"))'
pl_check "gethostbyname www: one of the server's addresses" \
	grep -qxE '192\.0\.2\.1[01]' $t/o
pl_check "gethostbyname www: librfcres answered" pl_traced $t/e dns.send

py 'n, al, ad = socket.gethostbyname_ex("alias.legacy.test")
print(n, al, sorted(ad))'
pl_check "gethostbyname_ex alias: canonical name, addresses (gethostbyname_r)" \
	test "$(cat $t/o)" = "www.legacy.test [] ['192.0.2.10', '192.0.2.11']"
pl_check "gethostbyname_ex alias: went through legacy.byname" \
	pl_traced $t/e legacy.byname

py 'n, al, ad = socket.gethostbyname_ex("big.legacy.test")
print(n, len(ad), len(set(ad)))'
pl_check "gethostbyname_ex big: 256 distinct addresses" \
	test "$(cat $t/o)" = "big.legacy.test 256 256"

py 'print(socket.gethostbyaddr("192.0.2.10"))'
pl_check "gethostbyaddr 192.0.2.10: PTR from the server (gethostbyaddr_r)" \
	test "$(cat $t/o)" = "('www.legacy.test', [], ['192.0.2.10'])"

# CPython's gethostbyname_ex/gethostbyaddr first run getaddrinfo on the
# argument, so a failing name surfaces as gaierror from getaddrinfo
py 'try:
    socket.gethostbyname_ex("nosuch.legacy.test")
except socket.gaierror as e:
    print("gaierror", e.errno == socket.EAI_NONAME)'
pl_check "nosuch: EAI_NONAME from librfcres (NXDOMAIN from the server)" \
	eval 'test "$(cat $t/o)" = "gaierror True" && grep -q "rcode=NXDOMAIN" $t/e'

py 'r = socket.getaddrinfo("v6only.legacy.test", None, socket.AF_INET6)
print(sorted(set(a[4][0] for a in r)))'
pl_check "getaddrinfo v6only AF_INET6: the AAAA answer" \
	test "$(cat $t/o)" = "['2001:db8::60']"

pl_done
