#!/bin/bash
# nsswitch.conf hosts line (issue 15): glibc's getaddrinfo and librfcres
# (LD_PRELOAD) on the same /etc/nsswitch.conf, /etc/hosts and resolv.conf
# (private overlay), in a namespace with only lo and a test DNS server on
# 127.0.0.1:53, with the host's real NSS modules (libnss-myhostname,
# libnss-mdns; tests/setup.sh installs them).
#
# Differential: every hosts line below x names (own hostname, _gateway,
# localhost, a hosts-file name, a DNS-only name, an unknown name, a .local
# name) x families (unspec, -4, -6): the same error code, or the same set
# of addresses (order is compared separately: librfcres sorts by RFC 6724,
# glibc by RFC 3484, docs/deviations.md), unless the case is listed in
# EXPECTED_DIFF with its reason (also in docs/deviations.md).
# Legacy: `getent hosts` (gethostbyname2) on every line x name, as sets of
# lines; listed differences concern h_aliases only.
# Done criteria: on "files myhostname dns", `getent ahosts $(hostname)`
# and python3's socket.getaddrinfo(socket.gethostname(), None) print the
# same lines under LD_PRELOAD as without.
. "$(dirname "$0")/lib.sh"
SYS_LIMIT=300 sys_main "$@"

for m in myhostname mdns4_minimal; do
	ls /lib/*/libnss_$m.so.2 /usr/lib/*/libnss_$m.so.2 >/dev/null 2>&1 ||
		sys_skip "libnss_$m.so.2 not installed (tests/setup.sh installs libnss-myhostname and libnss-mdns)"
done
HOST=$(hostname)
printf '%s\n' "dnsonly.nss.test A 192.0.2.60" "dnsonly.nss.test AAAA 2001:db8::60" \
	"both.nss.test A 192.0.2.61" > "$SYS_T/nss.zone"
sys_server dns --zone "$SYS_T/nss.zone" --listen 127.0.0.1:53
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' > /etc/resolv.conf
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost\n192.0.2.50 filehost.nss.test filehost\n192.0.2.51 both.nss.test\n' > /etc/hosts

LINES=(
	"files myhostname dns"
	"files [NOTFOUND=return] dns"
	"files mdns4_minimal [NOTFOUND=return] dns"
	"dns files"
	"files notinstalled dns"
	"files dns notinstalled"
	"files mymachines resolve [!UNAVAIL=return] myhostname dns"
	"files [NOTFOUND=retur] dns"
	"myhostname [SUCCESS=continue] files"
)
NAMES="$HOST _gateway localhost filehost.nss.test dnsonly.nss.test both.nss.test nosuch.nss.test printer.local"
FAMS="unspec -4 -6"

# "LINE|NAME|FAM" -> reason; a listed case may differ (the run reports
# a listed case that no longer does).
declare -A EXPECTED_DIFF=(
	["dns files|localhost|-4"]="RFC 6761: librfcres's dns source answers localhost itself (one 127.0.0.1); glibc asks DNS, then files returns 127.0.0.1 twice (the ::1 line mapped)"
)

# one probe run as "err=EAI_X" or "ADDR ADDR ..." (sorted)
norm() {
	local l
	l=$(sed -n 2p "$1")
	case $l in
	*" err="*) echo "$l" | grep -o 'err=[^ ]*' ;;
	*" ok n="*) echo "$l" | sed 's/.* ok n=[0-9]* //' | tr ' ' '\n' | sort | tr '\n' ' ' ;;
	*) echo "no-output" ;;
	esac
}
order() { sed -n 2p "$1" | sed 's/.* ok n=[0-9]* //'; }

ncase=0 nsame=0 nexp=0 norder=0
for line in "${LINES[@]}"; do
	printf 'hosts: %s\n' "$line" > /etc/nsswitch.conf
	for name in $NAMES; do
		for fam in $FAMS; do
			f=
			[ "$fam" = unspec ] || f=$fam
			tag=$SYS_T/case
			probe_glibc $f "$name" > "$tag.glibc" 2>&1
			probe_rfcres $f "$name" > "$tag.rfcres" 2>&1
			check_impl "$tag.rfcres" librfcres || continue
			g=$(norm "$tag.glibc") r=$(norm "$tag.rfcres")
			ncase=$((ncase + 1))
			key="$line|$name|$fam"
			if [ "$g" = "$r" ]; then
				nsame=$((nsame + 1))
				[ "$(order "$tag.glibc")" = "$(order "$tag.rfcres")" ] || norder=$((norder + 1))
				[ -z "${EXPECTED_DIFF[$key]:-}" ] ||
					sys_log "note: listed difference no longer seen: $key"
			elif [ -n "${EXPECTED_DIFF[$key]:-}" ]; then
				nexp=$((nexp + 1))
				sys_log "expected difference ($key): glibc '$g' librfcres '$r': ${EXPECTED_DIFF[$key]}"
			else
				sys_fail "hosts: $line / $name / $fam: glibc '$g', librfcres '$r'"
			fi
		done
	done
done
sys_log "differential: $ncase cases, $nsame identical ($norder in another order: RFC 6724 vs RFC 3484 sort), $nexp listed differences"

# The legacy path: `getent hosts NAME` (gethostbyname2, AF_INET6 then
# AF_INET) on every line, lines compared as sets (librfcres sorts DNS
# answers by RFC 6724, deviations/legacy.md).
A1="aliases: an answer from an NSS module carries no h_aliases in librfcres (myhostname lists localhost)"
A2="aliases: the hosts file's aliases are kept only when files is the first source (else the line runs through the getaddrinfo core)"
declare -A EXPECTED_LEGACY=(
	["files myhostname dns|$HOST"]=$A1
	["files mymachines resolve [!UNAVAIL=return] myhostname dns|$HOST"]=$A1
	["dns files|localhost"]=$A2
	["dns files|filehost.nss.test"]=$A2
	["myhostname [SUCCESS=continue] files|localhost"]=$A2
	["myhostname [SUCCESS=continue] files|filehost.nss.test"]=$A2
)
nleg=0 nlsame=0
for line in "${LINES[@]}"; do
	printf 'hosts: %s\n' "$line" > /etc/nsswitch.conf
	for name in $NAMES; do
		g=$(timeout 30 getent hosts "$name" 2>&1 | sort; echo "rc=${PIPESTATUS[0]}")
		r=$(timeout 30 env LD_PRELOAD="$SYS_PRELOAD" getent hosts "$name" 2>&1 | sort; echo "rc=${PIPESTATUS[0]}")
		nleg=$((nleg + 1))
		key="$line|$name"
		if [ "$g" = "$r" ]; then
			nlsame=$((nlsame + 1))
			[ -z "${EXPECTED_LEGACY[$key]:-}" ] ||
				sys_log "note: listed legacy difference no longer seen: $key"
		elif [ -n "${EXPECTED_LEGACY[$key]:-}" ]; then
			sys_log "expected legacy difference ($key): ${EXPECTED_LEGACY[$key]}"
		else
			sys_fail "getent hosts, hosts: $line / $name: glibc '$(echo $g)', librfcres '$(echo $r)'"
		fi
	done
done
sys_log "legacy (getent hosts): $nleg cases, $nlsame identical, the others listed (aliases only)"
[ "$ncase" -ge 100 ] || sys_fail "too few differential cases ran ($ncase)"

# An empty hosts line: glibc 2.36 reads past its empty action list
# (python3 crashes); librfcres answers EAI_NONAME (glibc not run).
printf 'hosts:\n' > /etc/nsswitch.conf
probe_rfcres localhost > "$SYS_T/empty.rfcres" 2>&1
if [ "$(norm "$SYS_T/empty.rfcres")" = "err=EAI_NONAME" ]; then
	sys_ok "empty hosts line: librfcres says EAI_NONAME"
else
	sys_fail "empty hosts line: librfcres '$(norm "$SYS_T/empty.rfcres")'"
fi

# Done criteria: getent and python3 on "files myhostname dns".
printf 'hosts: files myhostname dns\n' > /etc/nsswitch.conf
timeout 30 getent ahosts "$HOST" > "$SYS_T/getent.glibc" 2>&1
timeout 30 env LD_PRELOAD="$SYS_PRELOAD" RFCRES_DEBUG=1 getent ahosts "$HOST" \
	> "$SYS_T/getent.rfcres" 2> "$SYS_T/getent.trace"
if ! grep -q 'nss.source.*name=myhostname status=SUCCESS action=return' "$SYS_T/getent.trace"; then
	sys_fail "getent under LD_PRELOAD: no myhostname answer in the trace (preload not effective?)"
	head -20 "$SYS_T/getent.trace"
elif [ -s "$SYS_T/getent.glibc" ] && cmp -s "$SYS_T/getent.glibc" "$SYS_T/getent.rfcres"; then
	sys_ok "getent ahosts $HOST: same output under LD_PRELOAD ($(wc -l < "$SYS_T/getent.glibc") lines)"
else
	sys_fail "getent ahosts $HOST differs:"
	diff "$SYS_T/getent.glibc" "$SYS_T/getent.rfcres"
fi
py='import socket; print(socket.getaddrinfo(socket.gethostname(), None))'
timeout 30 /usr/bin/python3 -c "$py" > "$SYS_T/py.glibc" 2>&1
# (python3 does not free everything at exit: no leak report for it under
# an ASan build of librfcres)
timeout 30 env LD_PRELOAD="$SYS_PRELOAD" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	/usr/bin/python3 -c "$py" > "$SYS_T/py.rfcres" 2>&1
if [ -s "$SYS_T/py.glibc" ] && cmp -s "$SYS_T/py.glibc" "$SYS_T/py.rfcres"; then
	sys_ok "python3 socket.getaddrinfo(gethostname()): same under LD_PRELOAD"
else
	sys_fail "python3 socket.getaddrinfo(gethostname()) differs:"
	diff "$SYS_T/py.glibc" "$SYS_T/py.rfcres"
fi
sys_finish
