#!/bin/bash
# rfcres sort: seed 000 (rule 9 capped at the source prefix), rfcres-rule9,
# a gai.conf precedence table, and malformed arguments (exit 2).
# Args: build_dir source_dir.  Pure simulation: no network access.
set -u
B=$1
S=$2
R=$B/rfcres
G=$S/tests/data/gai
if [ ! -x "$R" ]; then
	echo "skip: $R not built"
	exit 77
fi
fail=0
check() { # name expected actual
	if [ "$2" != "$3" ]; then
		echo "FAIL $1"
		echo "--- expected"
		echo "$2"
		echo "--- got"
		echo "$3"
		fail=1
	else
		echo "ok   $1"
	fi
}

SRC="--src 172.21.1.97=172.21.2.90/24 --src 172.21.1.152=172.21.2.90/24"
SRC="$SRC --src 172.21.2.108=172.21.2.90/24 --src 172.21.2.144=172.21.2.90/24"

# Seed 000: own subnet first, DNS order kept inside each group.
out=$($R sort $SRC 172.21.1.97 172.21.1.152 172.21.2.144 172.21.2.108)
check seed000-order "172.21.2.144
172.21.2.108
172.21.1.97
172.21.1.152" "$out"

out=$($R sort --explain $SRC 172.21.1.97 172.21.1.152 172.21.2.108 172.21.2.144)
check seed000-explain "172.21.2.108
172.21.2.144
172.21.1.97
172.21.1.152
172.21.2.108 > 172.21.2.144: rule 10 (no rule applies: input order kept)
172.21.2.144 > 172.21.1.97: rule 9 (longest matching prefix: 24 vs 22 bits, capped at /24)
172.21.1.97 > 172.21.1.152: rule 10 (no rule applies: input order kept)" "$out"

# rfcres-rule9 ipv6 / none: plain round robin for IPv4.
for m in ipv6 none; do
	out=$($R sort --gai-conf "$G/rule9-$m.conf" $SRC \
		172.21.1.97 172.21.2.144 172.21.1.152 172.21.2.108)
	check "seed000-rule9-$m" "172.21.1.97
172.21.2.144
172.21.1.152
172.21.2.108" "$out"
done
out=$($R sort --explain --gai-conf "$G/rule9-ipv6.conf" --src 172.21.1.97=172.21.2.90/24 \
	--src 172.21.2.108=172.21.2.90/24 172.21.1.97 172.21.2.108 | tail -1)
check rule9-ipv6-explain "172.21.1.97 > 172.21.2.108: rule 10 (input order kept: rule 9 (22 vs 24 bits) disabled by rfcres-rule9 ipv6)" "$out"
# ... while IPv6 pairs still use rule 9 with "ipv6"
out=$($R sort --gai-conf "$G/rule9-ipv6.conf" \
	--src 2001:db8:2::1=2001:db8:1::9 --src 2001:db8:1::1=2001:db8:1::9 \
	2001:db8:2::1 2001:db8:1::1)
check rule9-ipv6-v6 "2001:db8:1::1
2001:db8:2::1" "$out"

# RFC 6724 section 10.3: a gai.conf precedence table preferring IPv4.
V="--src 2001:db8::1=2001:db8::2 --src 10.1.2.3=10.1.2.4/8"
out=$($R sort $V 10.1.2.3 2001:db8::1)
check default-prefers-ipv6 "2001:db8::1
10.1.2.3" "$out"
out=$($R sort --gai-conf "$G/prefer-ipv4.conf" --explain $V 2001:db8::1 10.1.2.3)
check prefer-ipv4 "10.1.2.3
2001:db8::1
10.1.2.3 > 2001:db8::1: rule 6 (prefer higher precedence: 100 vs 40)" "$out"

# scopev4 (glibc's RFC 3484 IPv4 scopes): 10/8 becomes site-local, so a
# global destination reached from a 10/8 source loses on rule 2.
out=$($R sort --explain --gai-conf "$G/scopev4-rfc3484.conf" --src 203.0.113.1=10.9.9.9/8 \
	--src 10.1.1.1=10.9.9.9/8 203.0.113.1 10.1.1.1 | tail -1)
check scopev4 "10.1.1.1 > 203.0.113.1: rule 2 (prefer matching scope: 0x5 vs source 0x5, 0xe vs source 0x5)" "$out"

# Flags, link-local zones, no source.
out=$($R sort --src 2001:db8::1=2001:db8::9,deprecated --src 2001:db8::2=2001:db8::9/64,tunnel,home \
	--src fe80::1%1=fe80::9 192.0.2.7 2001:db8::1 2001:db8::2 fe80::1%1)
check flags "2001:db8::2
fe80::1%1
2001:db8::1
192.0.2.7" "$out"

# Malformed arguments: exit 2 with a message naming the problem.
bad() { # name expected-message-substring args...
	local name=$1 msg=$2
	shift 2
	local err
	err=$($R sort "$@" 2>&1 >/dev/null)
	local rc=$?
	if [ $rc -ne 2 ] || [[ "$err" != *"$msg"* ]]; then
		echo "FAIL $name: rc=$rc stderr: $err"
		fail=1
	else
		echo "ok   $name"
	fi
}
bad no-dest "no destination"
bad not-an-address "not an IP address" 172.21.1.300
bad src-no-equals "expected DEST=SRC" --src 172.21.1.97 172.21.1.97
bad src-bad-plen "bad prefix length" --src 172.21.1.97=172.21.2.90/33 172.21.1.97
bad src-bad-flag "unknown flag" --src 172.21.1.97=172.21.2.90/24,fast 172.21.1.97
bad src-family "different address families" --src 172.21.1.97=2001:db8::1 172.21.1.97
bad src-unknown-dest "not among the destinations" --src 10.0.0.1=10.0.0.2 172.21.1.97
bad src-twice "given twice" --src 10.0.0.1=10.0.0.2 --src 10.0.0.1=10.0.0.3 10.0.0.1
bad src-missing-value "needs a value" 10.0.0.1 --src
bad unknown-option "unknown option" --fast 10.0.0.1
bad gai-conf-missing "No such file" --gai-conf "$G/does-not-exist.conf" 10.0.0.1
exit $fail
