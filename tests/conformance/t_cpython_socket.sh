#!/bin/bash
# CPython's own socket tests (Debian's libpython3.11-testsuite) for the
# resolver entry points -- getaddrinfo, getnameinfo, gethostbyname(_ex),
# gethostbyaddr, getfqdn, create_connection("localhost") -- run with glibc
# alone and with librfcres LD_PRELOADed into the same /usr/bin/python3:
# the same tests must pass, fail and be skipped in both runs.
#
# Runs in the system-test namespace (tests/system/lib.sh: unshare -n -m,
# lo only, a private overlay over /etc): /etc/hosts names localhost and
# this host, /etc/resolv.conf points at 127.0.0.1 where an empty
# rfcres-fakedns answers NXDOMAIN, so no query can leave the namespace.
# regrtest's network resource (-u network) stays off, so test_idna skips.
# Args: build_dir source_dir.  Exit 77 = skipped (no root, no test suite).
PY=/usr/bin/python3
if [ -z "${RFCRES_SYS_INNER:-}" ]; then
	[ -x $PY ] || { echo "SKIP: $PY missing"; exit 77; }
	$PY -c 'import test.test_socket' 2>/dev/null || {
		echo "SKIP: CPython's test suite is not installed (apt-get install libpython3.11-testsuite; tests/setup.sh does)"
		exit 77
	}
fi
. "$2/tests/system/lib.sh"
SYS_LIMIT=280 sys_main "$@"

# The resolver cases of test_socket (patterns for regrtest's -m; 33 tests)
MATCH=(
	GeneralModuleTests.testGetaddrinfo
	GeneralModuleTests.testHostnameRes
	'GeneralModuleTests.test_host_resolution*'
	GeneralModuleTests.testRefCountGetNameInfo
	GeneralModuleTests.testInterpreterCrash
	'GeneralModuleTests.test_getnameinfo*'
	'GeneralModuleTests.test_getaddrinfo*'
	GeneralModuleTests.test_getfqdn_filter_localhost
	GeneralModuleTests.test_idna
	GeneralModuleTests.testSockName
	'NetworkConnectionNoServer.*'
	'NetworkConnectionAttributesTest.*'
	'NetworkConnectionBehaviourTest.*'
	'BasicTCPTest2.*'
)

me=$(hostname)
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n127.0.1.1 %s\n' \
	"$me" > /etc/hosts
# No zone at all: every name the tests might ask is NXDOMAIN, fast.
: > "$SYS_T/empty.zone"
sys_server dns --zone "$SYS_T/empty.zone" --listen 127.0.0.1:53
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' > /etc/resolv.conf

args=()
# a pattern with a dot must match the whole test id (test.test_socket.X.y)
for m in "${MATCH[@]}"; do args+=(-m "*.$m"); done

# run NAME [env...]: one regrtest run; per-test results to $SYS_T/NAME.res
run() {
	local name=$1
	shift
	sys_log "test_socket ($name)"
	(cd "$SYS_T" && timeout -k 5 120 env "$@" $PY -m test test_socket \
		--junit-xml "$SYS_T/$name.xml" "${args[@]}" > "$SYS_T/$name.out" 2>&1)
	echo "exit=$?" >> "$SYS_T/$name.out"
	$PY - "$SYS_T/$name.xml" > "$SYS_T/$name.res" <<'EOF'
import sys, xml.etree.ElementTree as ET
for tc in ET.parse(sys.argv[1]).iter("testcase"):
    st = "ok"
    for child in tc:
        if child.tag in ("failure", "error", "skipped"):
            st = child.tag
    print(tc.get("name").replace("test.test_socket.", ""), st)
EOF
	sort -o "$SYS_T/$name.res" "$SYS_T/$name.res"
}

# librfcres must really answer in the preloaded run
out=$(env LD_PRELOAD="$SYS_PRELOAD" RFCRES_DEBUG=1 ASAN_OPTIONS=detect_leaks=0 \
	$PY -c 'import socket; socket.getaddrinfo("localhost", 80)' 2>&1)
case $out in
*"hosts"* | *"gai."*) sys_ok "librfcres answers in python3 under LD_PRELOAD" ;;
*) sys_fail "LD_PRELOAD of $SYS_PRELOAD not effective: $out" ;;
esac

run glibc
# ASan runtime preloaded into an uninstrumented interpreter: python's own
# allocations are not librfcres's leaks
run rfcres LD_PRELOAD="$SYS_PRELOAD" ASAN_OPTIONS=detect_leaks=0

for r in glibc rfcres; do
	n=$(wc -l < "$SYS_T/$r.res")
	echo "$r: $n tests: $(awk '{print $2}' "$SYS_T/$r.res" | sort | uniq -c | tr '\n' ' ')"
done
n=$(wc -l < "$SYS_T/glibc.res")
if [ "$n" -lt 25 ]; then
	sys_fail "only $n resolver tests ran (filters matched too little?)"
	tail -20 "$SYS_T/glibc.out"
fi
if diff -u "$SYS_T/glibc.res" "$SYS_T/rfcres.res"; then
	sys_ok "same results with glibc and with librfcres ($n tests)"
else
	sys_fail "test_socket results differ between glibc and librfcres"
	grep -B2 -A20 -E '^(FAIL|ERROR):' "$SYS_T/rfcres.out" | head -80
fi
sys_finish
