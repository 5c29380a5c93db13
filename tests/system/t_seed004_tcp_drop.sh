#!/bin/bash
# Seed 004 (issue 5): DNS over TCP silently dropped by a firewall.
#
# RHEL: a name with 256 A records is truncated over UDP (TC=1); the client
# retries over TCP, an iptables rule drops tcp/53, and glibc's blocking
# connect() waits for the kernel's SYN retries (~130 s) before failing —
# per server, whatever `options timeout:` says.  librfcres bounds the TCP
# connect and exchange by the same per-try timeout as UDP and moves on to
# the next server.
#
# Here: nftables (or iptables) in the test's own namespace drops tcp/53 to
# the first server (127.0.0.1:53); the second server (127.0.0.2:53) allows
# TCP.  Both serve big.seed004.test (256 A, truncated at 512 bytes).
# options timeout:2 attempts:2.
# Asserted (librfcres):
#  - both servers: all 256 addresses, within timeout*attempts*servers
#    (8 s) + 4 s slack;
#  - first server only: EAI_AGAIN within timeout*attempts (4 s) + 3 s slack.
# glibc runs only under `timeout 15` (in the background, meanwhile); if it
# has not answered by then, "still waiting after 15 s" is printed.
. "$(dirname "$0")/lib.sh"
SYS_LIMIT=60 sys_main "$@"

NAME=big.seed004.test
GLIBC_WAIT=15
cat > "$SYS_T/seed004.zone" <<EOF
$NAME A 10.0.0.1-256
@behaviour $NAME truncate 512
EOF

# ---- firewall: drop tcp/53 to 127.0.0.1 only -------------------------------
if command -v nft >/dev/null &&
	nft -f - 2>"$SYS_T/nft.err" <<'EOF'
table inet seed004 {
	chain out {
		type filter hook output priority 0; policy accept;
		ip daddr 127.0.0.1 tcp dport 53 drop
	}
}
EOF
then
	sys_log "firewall: nft: $(nft list chain inet seed004 out | grep drop | tr -s ' \t' ' ')"
elif command -v iptables >/dev/null &&
	iptables -A OUTPUT -d 127.0.0.1 -p tcp --dport 53 -j DROP 2>"$SYS_T/ipt.err"; then
	sys_log "firewall: iptables: $(iptables -S OUTPUT | grep DROP)"
else
	cat "$SYS_T"/*.err 2>/dev/null
	sys_skip "neither nft nor iptables can filter inside the network namespace"
fi

sys_server s1 --zone "$SYS_T/seed004.zone" --listen 127.0.0.1:53
sys_server s2 --zone "$SYS_T/seed004.zone" --listen 127.0.0.2:53

# The firewall really drops: a TCP connect to s1 hangs, to s2 succeeds.
tcp_probe() { timeout 1 bash -c "exec 3<>/dev/tcp/$1/53" 2>/dev/null; echo $?; }
r1=$(tcp_probe 127.0.0.1) r2=$(tcp_probe 127.0.0.2)
sys_log "TCP connect 127.0.0.1:53 -> $([ "$r1" = 124 ] && echo "hangs (dropped)" || echo "rc $r1"); 127.0.0.2:53 -> $([ "$r2" = 0 ] && echo connected || echo "rc $r2")"
[ "$r1" = 124 ] || sys_fail "the firewall does not drop TCP to 127.0.0.1:53 (rc $r1)"
[ "$r2" = 0 ] || sys_fail "TCP to 127.0.0.2:53 does not connect (rc $r2)"

printf 'nameserver 127.0.0.1\nnameserver 127.0.0.2\noptions timeout:2 attempts:2\n' > "$SYS_T/both.conf"
printf 'nameserver 127.0.0.1\noptions timeout:2 attempts:2\n' > "$SYS_T/first.conf"

# glibc in the background, each with its own resolv.conf bind-mounted in a
# nested private mount namespace (same network namespace).
glibc_bg() {
	# shellcheck disable=SC2016 # $1 and $@ belong to the inner bash
	sys_bg "$SYS_T/$1.glibc" $GLIBC_WAIT unshare -m bash -c \
		'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"' _ \
		"$SYS_T/$1.conf" "$PROBE" -m 3 $NAME 3268
}
glibc_bg both
gpid1=$SYS_BG_LAST
glibc_bg first
gpid2=$SYS_BG_LAST

# dt_ms of the probe's lookup line, or 999999 if there is none.
dt_of() { awk '/^lookup=/ { sub("dt_ms=", "", $3); print $3; f = 1 } END { if (!f) print 999999 }' "$1"; }
answer() { grep -m1 '^lookup=' "$1" | cut -d' ' -f4- ; }

cp "$SYS_T/both.conf" /etc/resolv.conf
probe_rfcres -m 3 $NAME 3268 > "$SYS_T/both.rfcres" 2>&1
check_impl "$SYS_T/both.rfcres" librfcres
dt=$(dt_of "$SYS_T/both.rfcres")
echo "  librfcres both servers: ${dt} ms: $(answer "$SYS_T/both.rfcres")"
if grep -q '^lookup=0 .* ok n=256 ' "$SYS_T/both.rfcres" && [ "$dt" -le 12000 ]; then
	sys_ok "both servers: librfcres returned all 256 addresses in $dt ms (bound 8 s + 4 s)"
else
	sys_fail "both servers: want ok n=256 within 12000 ms, got ${dt} ms: $(answer "$SYS_T/both.rfcres")"
fi

cp "$SYS_T/first.conf" /etc/resolv.conf
probe_rfcres -m 3 $NAME 3268 > "$SYS_T/first.rfcres" 2>&1
dt=$(dt_of "$SYS_T/first.rfcres")
echo "  librfcres first server only: ${dt} ms: $(answer "$SYS_T/first.rfcres")"
if grep -q '^lookup=0 .* err=EAI_AGAIN ' "$SYS_T/first.rfcres" && [ "$dt" -le 7000 ]; then
	sys_ok "first server only: librfcres failed with EAI_AGAIN in $dt ms (bound 4 s + 3 s)"
else
	sys_fail "first server only: want EAI_AGAIN within 7000 ms, got ${dt} ms: $(answer "$SYS_T/first.rfcres")"
fi

sys_log "waiting for the glibc runs (at most $GLIBC_WAIT s each, started together)"
wait "$gpid1"; rc_both=$?
wait "$gpid2"; rc_first=$?
for c in both first; do
	rc=$rc_both
	[ $c = first ] && rc=$rc_first
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		echo "  glibc     $c: still waiting after $GLIBC_WAIT s (killed)"
	else
		echo "  glibc     $c: $(dt_of "$SYS_T/$c.glibc") ms: $(answer "$SYS_T/$c.glibc")"
	fi
done
for s in s1 s2; do
	sys_log "server $s: $(grep -c '^fakedns: udp' "$SYS_T/$s.log") UDP and $(grep -c '^fakedns: tcp' "$SYS_T/$s.log") TCP queries answered/logged"
done
sys_finish
