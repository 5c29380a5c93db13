#!/bin/bash
# Seed 000 (issue 7): RFC 6724 rule 9 vs DNS round robin.
#
# Grab's clients had source 172.21.2.90/24 and an ELB answering four A
# records (172.21.1.97, 172.21.1.152, 172.21.2.108, 172.21.2.144) in rotating
# order.  glibc compares all 32 bits in rule 9, so with IPv6 present every
# client pinned 172.21.2.108 (26 common bits); with IPv6 disabled it did not
# sort at all.  librfcres caps rule 9 at the source's prefix (/24): the two
# same-subnet nodes come first, and the server's rotation between them
# survives, with or without IPv6.  `rfcres-rule9 none` gives plain DNS order.
#
# Asserted (librfcres): over 20 lookups every answer starts with the two
# 172.21.2.x addresses and each of them comes first at least once — with
# IPv6 disabled and dual-stack; with rfcres-rule9 none the answer is the
# server's rotation.  glibc's first address per lookup is printed only.
. "$(dirname "$0")/lib.sh"
SYS_LIMIT=60 sys_main "$@"

N=20
NAME=elb.seed000.test
cat > "$SYS_T/seed000.zone" <<EOF
$NAME A 172.21.1.97
$NAME A 172.21.1.152
$NAME A 172.21.2.108
$NAME A 172.21.2.144
@behaviour $NAME rotate
EOF

# Summary of a probe output: first addresses in order, then counts.
firsts() { awk '/^lookup=/ { printf "%s ", ($4 == "ok" ? $6 : "ERR") }' "$1"; echo; }
first_counts() {
	awk '/^lookup=/ { c[$4 == "ok" ? $6 : "ERR"]++ }
	     END { for (a in c) printf "%s:%d ", a, c[a]; print "" }' "$1" | tr ' ' '\n' |
		sort | tr '\n' ' '
	echo
}

# check_rule9 FILE: every answer = both 172.21.2.x first, each first once+.
check_rule9() {
	local f=$1 bad
	bad=$(awk -v n=$N '
		/^lookup=/ {
			seen++
			if ($4 != "ok" || $5 != "n=4") { print "lookup failed: " $0; next }
			a = $6; b = $7
			if (!((a == "172.21.2.108" && b == "172.21.2.144") ||
			      (a == "172.21.2.144" && b == "172.21.2.108")))
				print "not 172.21.2.x first: " $0
			first[a]++
		}
		END {
			if (seen != n) print "expected " n " lookups, saw " seen
			if (!first["172.21.2.108"]) print "172.21.2.108 never first"
			if (!first["172.21.2.144"]) print "172.21.2.144 never first"
		}' "$f")
	if [ -n "$bad" ]; then
		sys_fail "$2: $bad"
	else
		sys_ok "$2: 172.21.2.x first in all $N lookups, both take turns ($(first_counts "$f"))"
	fi
}

# check_rotation FILE: each answer is a rotation of the zone order and
# every address comes first at least once (pure DNS round robin).
check_rotation() {
	local f=$1 bad
	bad=$(awk -v n=$N '
		BEGIN { split("172.21.1.97 172.21.1.152 172.21.2.108 172.21.2.144", z, " ") }
		/^lookup=/ {
			seen++
			if ($4 != "ok" || $5 != "n=4") { print "failed: " $0; next }
			s = 0
			for (i = 1; i <= 4; i++) if (z[i] == $6) s = i
			for (i = 0; i < 4 && s; i++)
				if ($(6 + i) != z[(s - 1 + i) % 4 + 1]) { print "not the server order: " $0; break }
			if (!s) print "unknown first address: " $0
			first[$6]++
		}
		END {
			if (seen != n) print "expected " n " lookups, saw " seen
			for (i = 1; i <= 4; i++) if (!first[z[i]]) print z[i] " never first"
		}' "$f")
	if [ -n "$bad" ]; then
		sys_fail "$2: $bad"
	else
		sys_ok "$2: answers follow the server's rotation ($(first_counts "$f"))"
	fi
}

run_pair() {
	local tag=$1
	probe_rfcres -n $N $NAME http > "$SYS_T/$tag.rfcres" 2>&1
	probe_glibc -n $N $NAME http > "$SYS_T/$tag.glibc" 2>&1
	check_impl "$SYS_T/$tag.rfcres" librfcres
	echo "  glibc     first address per lookup: $(firsts "$SYS_T/$tag.glibc")"
	echo "  glibc     first-address counts: $(first_counts "$SYS_T/$tag.glibc")"
	echo "  glibc     sample answer: $(sed -n 2p "$SYS_T/$tag.glibc" | cut -d' ' -f4-)"
	echo "  librfcres first address per lookup: $(firsts "$SYS_T/$tag.rfcres")"
	echo "  librfcres sample answer: $(sed -n 2p "$SYS_T/$tag.rfcres" | cut -d' ' -f4-)"
}

sys_server dns --zone "$SYS_T/seed000.zone" --listen 127.0.0.1:53
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:2\n' > /etc/resolv.conf

# ---- dual-stack: 172.21.2.90/24 + 2001:db8::2/64 ---------------------------
ip addr add 172.21.2.90/24 dev lo
ip route add 172.21.0.0/16 dev lo src 172.21.2.90
ip -6 addr add 2001:db8::2/64 dev lo nodad
sys_log "dual-stack: $(ip -br addr show dev lo | tr -s ' ')"
sys_log "dual-stack: ip route get 172.21.1.97 -> $(ip route get 172.21.1.97 | head -1 | tr -s ' ')"
run_pair dual
check_rule9 "$SYS_T/dual.rfcres" "dual-stack librfcres"

# ---- IPv6 disabled (the seed's workaround) ---------------------------------
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
sys_log "IPv6 disabled: $(ip -br addr show dev lo | tr -s ' ')"
if ip -6 addr show | grep -q inet6; then
	sys_fail "IPv6 addresses still present after disable_ipv6=1"
fi
sys_log "IPv6 disabled: ip route get 172.21.1.97 -> $(ip route get 172.21.1.97 | head -1 | tr -s ' ')"
run_pair nov6
check_rule9 "$SYS_T/nov6.rfcres" "IPv6-disabled librfcres"

# ---- rfcres-rule9 none: plain DNS round robin ------------------------------
printf '# librfcres extension; glibc skips unknown keywords\nrfcres-rule9 none\n' > /etc/gai.conf
sys_log "gai.conf: rfcres-rule9 none (IPv6 still disabled)"
run_pair none
check_rotation "$SYS_T/none.rfcres" "rfcres-rule9 none librfcres"

sys_log "server: $(sys_count dns A) A queries, $(sys_count dns AAAA) AAAA queries"
sys_finish
