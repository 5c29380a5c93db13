#!/bin/bash
# Seed 003 (issue 6): AI_ADDRCONFIG and loopback.
#
# An IPv6-only server (IPv4 only on lo) could not reach memcached on
# 127.0.0.1:11211: Cache::Memcached::Fast passed AI_ADDRCONFIG, glibc does
# not count 127.0.0.1 as a configured IPv4 address, so getaddrinfo refused
# IPv4 answers — even for the literal "127.0.0.1".  librfcres applies
# AI_ADDRCONFIG to what goes on the wire (RFC 3493 §6.1 is about not
# returning addresses that cannot be used); literals, loopback and
# localhost from the hosts file are always returned.  The reverse case:
# an IPv4 host whose only IPv6 addresses are ::1 and link-local fe80::
# cannot reach any global IPv6 destination, so no AAAA query should leave.
#
# Asserted (librfcres):
#  1. IPv6-only namespace (lo: 127.0.0.1/8, ::1, 2001:db8::2/64):
#     getaddrinfo("127.0.0.1", "11211", AI_ADDRCONFIG, AF_UNSPEC) and
#     getaddrinfo("localhost", "11211", ...) return 127.0.0.1.
#  2. IPv4-only namespace (192.0.2.2/24, IPv6 only ::1 + fe80::2): a DNS
#     lookup with AI_ADDRCONFIG sends no AAAA query and returns the A record.
#  3. Control: once 2001:db8::2/64 is added, the same lookup does send AAAA
#     (so the counting in 2 can see AAAA queries at all).
# glibc's answers and query counts are printed beside, not asserted.
. "$(dirname "$0")/lib.sh"
SYS_LIMIT=60 sys_main "$@"

NAME=svc.seed003.test
cat > "$SYS_T/seed003.zone" <<EOF
$NAME A 192.0.2.10
$NAME AAAA 2001:db8::10
EOF
printf '127.0.0.1 localhost\n::1 localhost\n' > "$SYS_T/hosts"
cp "$SYS_T/hosts" /etc/hosts
sys_server dns --zone "$SYS_T/seed003.zone" --listen 127.0.0.1:53
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' > /etc/resolv.conf

rfcres() { RFCRES_HOSTS=$SYS_T/hosts probe_rfcres "$@"; }
answer() { sed -n 2p "$1" | cut -d' ' -f4-; }

# ---- 1. IPv6-only: loopback IPv4 must still work ----------------------------
ip -6 addr add 2001:db8::2/64 dev lo nodad
sys_log "IPv6-only: $(ip -br addr show dev lo | tr -s ' ')"
for host in 127.0.0.1 localhost; do
	tag=v6only-$host
	rfcres -A "$host" 11211 > "$SYS_T/$tag.rfcres" 2>&1
	probe_glibc -A "$host" 11211 > "$SYS_T/$tag.glibc" 2>&1
	check_impl "$SYS_T/$tag.rfcres" librfcres
	echo "  glibc     getaddrinfo(\"$host\", \"11211\", AI_ADDRCONFIG): $(answer "$SYS_T/$tag.glibc")"
	echo "  librfcres getaddrinfo(\"$host\", \"11211\", AI_ADDRCONFIG): $(answer "$SYS_T/$tag.rfcres")"
	if awk 'NR == 2 && $4 == "ok" { for (i = 6; i <= NF; i++) if ($i == "127.0.0.1") f = 1 }
		END { exit !f }' "$SYS_T/$tag.rfcres"; then
		sys_ok "IPv6-only: librfcres returns 127.0.0.1 for \"$host\" with AI_ADDRCONFIG"
	else
		sys_fail "IPv6-only: librfcres did not return 127.0.0.1 for \"$host\": $(answer "$SYS_T/$tag.rfcres")"
	fi
done
ip -6 addr del 2001:db8::2/64 dev lo

# ---- 2. IPv4-only with link-local IPv6: no AAAA on the wire -----------------
ip addr add 192.0.2.2/24 dev lo
ip -6 addr add fe80::2/64 dev lo nodad
sys_log "IPv4 + link-local IPv6: $(ip -br addr show dev lo | tr -s ' ')"

# run_counted TAG IMPL: AAAA/A queries the server saw during one lookup.
run_counted() {
	local tag=$1 impl=$2 a0 q0
	a0=$(sys_count dns A) q0=$(sys_count dns AAAA)
	if [ "$impl" = rfcres ]; then
		rfcres -A $NAME http > "$SYS_T/$tag.$impl" 2>&1
	else
		probe_glibc -A $NAME http > "$SYS_T/$tag.$impl" 2>&1
	fi
	sleep 0.2	# the server logs before it answers; this is only slack
	echo "$(( $(sys_count dns A) - a0 )) $(( $(sys_count dns AAAA) - q0 ))"
}

read -r ga gq <<< "$(run_counted linklocal glibc)"
read -r ra rq <<< "$(run_counted linklocal rfcres)"
check_impl "$SYS_T/linklocal.rfcres" librfcres
echo "  glibc     AI_ADDRCONFIG $NAME: A queries=$ga AAAA queries=$gq -> $(answer "$SYS_T/linklocal.glibc")"
echo "  librfcres AI_ADDRCONFIG $NAME: A queries=$ra AAAA queries=$rq -> $(answer "$SYS_T/linklocal.rfcres")"
if [ "$rq" = 0 ] && [ "$ra" -ge 1 ]; then
	sys_ok "link-local-only IPv6: librfcres sent no AAAA query ($ra A)"
else
	sys_fail "link-local-only IPv6: librfcres sent $rq AAAA and $ra A queries (want 0 AAAA, >= 1 A)"
fi
if [ "$(answer "$SYS_T/linklocal.rfcres")" = "ok n=1 192.0.2.10" ]; then
	sys_ok "link-local-only IPv6: librfcres returns the A record only"
else
	sys_fail "link-local-only IPv6: librfcres answered '$(answer "$SYS_T/linklocal.rfcres")', want 'ok n=1 192.0.2.10'"
fi

# ---- 3. control: a global IPv6 address brings AAAA back ---------------------
ip -6 addr add 2001:db8::2/64 dev lo nodad
sys_log "dual-stack control: $(ip -br addr show dev lo | tr -s ' ')"
read -r ra rq <<< "$(run_counted global rfcres)"
echo "  librfcres AI_ADDRCONFIG $NAME: A queries=$ra AAAA queries=$rq -> $(answer "$SYS_T/global.rfcres")"
if [ "$rq" -ge 1 ]; then
	sys_ok "with global IPv6: librfcres asks AAAA ($rq queries), so the count above can see them"
else
	sys_fail "with global IPv6: librfcres sent no AAAA query; the AAAA count is not working"
fi
sys_finish
