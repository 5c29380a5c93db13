#!/bin/bash
# Seed 001 (issue 4): a long-running process must follow resolv.conf changes.
#
# email-oauth2-proxy kept using the VPN's DNS servers after the VPN went
# down and /etc/resolv.conf was rewritten: while the VPN path was flaky,
# glibc's send_dg saw one of A/AAAA answered and the other time out and set
# RES_SNGLKUP / RES_SNGLKUPREOP in _res.options; maybe_init() then took the
# changed options for an application's own settings and never reloaded
# resolv.conf again (fixed upstream in 2024 by keeping those flags in
# _res._flags).  librfcres keeps what it learns about a server in the
# configuration snapshot; any change of the file gives a fresh snapshot.
#
# Each run: a looping process (getaddrinfo every 200 ms for 7.5 s, AF_UNSPEC)
# starts with resolv.conf pointing at an "old" server that answers A but
# drops AAAA (the flaky VPN); after 2.5 s the old server is killed (the VPN
# is gone), 1.5 s later resolv.conf is switched to a live server on
# 127.0.0.2:
#   run 1: a new file renamed over /etc/resolv.conf;
#   run 2: /etc/resolv.conf -> /etc/k8s/..data/resolv.conf and the ..data
#          symlink re-pointed from ..v1 to ..v2 (Kubernetes ConfigMap style).
# glibc and librfcres loop side by side (same namespace, same files).
# Asserted (librfcres): every lookup that starts after the switch succeeds
# with the live server's address (192.0.2.2), there are at least 3 of
# them, and the first starts within 2.5 s of the switch (the loop is not
# stuck in a lookup against the dead server).  glibc's lookups are printed only.
. "$(dirname "$0")/lib.sh"
SYS_LIMIT=80 sys_main "$@"

NAME=svc.seed001.test
LOOP_MS=7500 KILL_AFTER=2.5 SWAP_AFTER=1.5
cat > "$SYS_T/old.zone" <<EOF
$NAME A 192.0.2.1
$NAME AAAA 2001:db8::1
@behaviour $NAME drop-aaaa
EOF
cat > "$SYS_T/new.zone" <<EOF
$NAME A 192.0.2.2
$NAME AAAA 2001:db8::2
EOF
sys_server live --zone "$SYS_T/new.zone" --listen 127.0.0.2:53
conf() { printf 'nameserver %s\noptions timeout:1 attempts:1\n' "$1"; }
now_ms() { date +%s%3N; }

# summary FILE T_SWAP: runs of identical outcomes, times relative to the swap.
summary() {
	awk -v ts="$2" '
		/^lookup=/ {
			sub("start_ms=", "", $2); t = $2 - ts
			o = ""; for (i = 4; i <= NF; i++) o = o " " $i
			if (o != last) { if (n) flush(); last = o; first = t; n = 0 }
			lt = t; n++
		}
		function flush() { printf "      %+6d..%+6d ms: %3dx%s\n", first, lt, n, last }
		END { if (n) flush() }' "$1"
}

# check FILE T_SWAP LABEL
check() {
	local bad
	bad=$(awk -v ts="$2" '
		/^lookup=/ {
			sub("start_ms=", "", $2)
			if ($2 < ts) next
			if (!after && $2 - ts > 2500)
				print "the first lookup after the switch started only " $2 - ts " ms later (bound 2500)"
			after++
			ok = 0
			if ($4 == "ok") for (i = 6; i <= NF; i++) if ($i == "192.0.2.2") ok = 1
			if (!ok) print "lookup after the switch (" $2 - ts " ms) did not get 192.0.2.2: " $0
		}
		END { if (after < 3) print "only " after + 0 " lookups after the switch (want >= 3)" }' "$1")
	if [ -n "$bad" ]; then
		sys_fail "$3: $bad"
	else
		sys_ok "$3: every lookup after the switch reached the live server ($(awk -v ts="$2" '
			/^lookup=/ { sub("start_ms=", "", $2); if ($2 >= ts) { n++; if (!f) f = $2 - ts } }
			END { printf "%d lookups, the first one started %d ms after the switch", n, f }' "$1"))"
	fi
}

# run TAG OLD_SERVER_ADDR SWAP_FUNCTION
run() {
	local tag=$1 old=$2 swap=$3 ts gpid rpid
	sys_server "old-$tag" --zone "$SYS_T/old.zone" --listen "$old:53"
	sys_bg "$SYS_T/$tag.glibc" 30 "$PROBE" -d $LOOP_MS -i 200 $NAME http
	gpid=$SYS_BG_LAST
	sys_bg "$SYS_T/$tag.rfcres" 30 env LD_PRELOAD="$SYS_PRELOAD" \
		"$PROBE" -d $LOOP_MS -i 200 $NAME http
	rpid=$SYS_BG_LAST
	sleep $KILL_AFTER
	sys_server_stop "old-$tag"	# the VPN is gone: its server is dead
	sys_log "$tag: old server $old killed"
	sleep $SWAP_AFTER
	$swap
	ts=$(now_ms)
	sys_log "$tag: resolv.conf switched to 127.0.0.2 ($(readlink -f /etc/resolv.conf))"
	wait "$gpid" "$rpid"
	check_impl "$SYS_T/$tag.rfcres" librfcres
	echo "  glibc ($(head -1 "$SYS_T/$tag.glibc")), start time relative to the switch:"
	summary "$SYS_T/$tag.glibc" "$ts"
	echo "  librfcres:"
	summary "$SYS_T/$tag.rfcres" "$ts"
	check "$SYS_T/$tag.rfcres" "$ts" "$tag: librfcres"
}

# ---- run 1: rename a new file over /etc/resolv.conf -------------------------
swap_rename() {
	conf 127.0.0.2 > /etc/resolv.conf.new
	mv -f /etc/resolv.conf.new /etc/resolv.conf
}
conf 127.0.0.1 > /etc/resolv.conf
run rename 127.0.0.1 swap_rename

# ---- run 2: Kubernetes-style ..data symlink swap ---------------------------
mkdir -p /etc/k8s/..v1 /etc/k8s/..v2
conf 127.0.0.3 > /etc/k8s/..v1/resolv.conf
ln -sfn ..v1 /etc/k8s/..data
rm -f /etc/resolv.conf
ln -s /etc/k8s/..data/resolv.conf /etc/resolv.conf
swap_symlink() {
	conf 127.0.0.2 > /etc/k8s/..v2/resolv.conf
	ln -s ..v2 /etc/k8s/..data_tmp
	mv -T /etc/k8s/..data_tmp /etc/k8s/..data
}
run symlink 127.0.0.3 swap_symlink
sys_finish
