#!/bin/bash
# Seed 002 (issues 5, 9): a truncated UDP answer must be retried over TCP.
#
# In an Alpine (musl) container, `vis.company.com` did not resolve: the
# answer did not fit 512 bytes, CoreDNS set TC=1, and musl (before 1.2.4)
# never retries over TCP — it used the truncated answer.  glibc retries over
# TCP.  librfcres retries over TCP (RFC 7766 §5), also when linked
# statically into a musl program.
#
# Here the test DNS server (127.0.0.1:53 in the test's namespace) serves
# big.seed002.test with 256 A records, truncated at 512 bytes over UDP.
# Asserted: librfcres (LD_PRELOAD into the glibc probe) returns all 256,
# and so does the musl-static probe linked with librfcres.a (when musl-gcc
# is installed).  glibc and plain musl are printed beside.
. "$(dirname "$0")/lib.sh"
SYS_LIMIT=90 sys_main "$@"

NAME=big.seed002.test
cat > "$SYS_T/seed002.zone" <<EOF
$NAME A 10.0.0.1-256
@behaviour $NAME truncate 512
EOF
sys_server dns --zone "$SYS_T/seed002.zone" --listen 127.0.0.1:53
printf 'nameserver 127.0.0.1\noptions timeout:2 attempts:2\n' > /etc/resolv.conf

answer() { grep -m1 '^lookup=' "$1" | cut -d' ' -f3-; }
has256() { grep -q '^lookup=0 .* ok n=256 ' "$1"; }
# with_tcp_count OUT CMD...: run CMD, then write to OUT.tcp the TCP queries
# the server logged meanwhile and to OUT.q "udp=U tcp=T".
with_tcp_count() {
	local u0 t0 u t out=$1
	shift
	u0=$(grep -c '^fakedns: udp' "$SYS_T/dns.log") t0=$(grep -c '^fakedns: tcp' "$SYS_T/dns.log")
	"$@" > "$out" 2>&1
	u=$(( $(grep -c '^fakedns: udp' "$SYS_T/dns.log") - u0 ))
	t=$(( $(grep -c '^fakedns: tcp' "$SYS_T/dns.log") - t0 ))
	echo "$t" > "$out.tcp"
	echo "queries: udp=$u tcp=$t" > "$out.q"
}

with_tcp_count "$SYS_T/glibc" probe_glibc -m 3 $NAME 80
with_tcp_count "$SYS_T/rfcres" probe_rfcres -m 3 $NAME 80
check_impl "$SYS_T/rfcres" librfcres
echo "  glibc     ($(cat "$SYS_T/glibc.q")): $(answer "$SYS_T/glibc")"
echo "  librfcres ($(cat "$SYS_T/rfcres.q")): $(answer "$SYS_T/rfcres")"
if has256 "$SYS_T/rfcres" && [ "$(cat "$SYS_T/rfcres.tcp")" -ge 1 ]; then
	sys_ok "librfcres returned all 256 addresses (retried over TCP)"
else
	sys_fail "librfcres: want ok n=256 via TCP, got: $(answer "$SYS_T/rfcres")"
fi

if command -v musl-gcc >/dev/null; then
	if musl-gcc -static -O1 -o "$SYS_T/gaiprobe-musl" \
		"$SYS_SRC/tests/system/progs/gaiprobe.c" 2>"$SYS_T/musl.err"; then
		with_tcp_count "$SYS_T/musl" timeout -k 2 30 "$SYS_T/gaiprobe-musl" -m 3 $NAME 80
		check_impl "$SYS_T/musl" musl
		echo "  musl      ($(cat "$SYS_T/musl.q")): $(answer "$SYS_T/musl")"
	else
		echo "  musl: cannot build a static musl probe: $(head -3 "$SYS_T/musl.err")"
	fi
	sys_log "building librfcres.a with musl-gcc (tests/build/musl-build.sh)"
	if bash "$SYS_SRC/tests/build/musl-build.sh" "$SYS_T/musl-build" > "$SYS_T/musl-build.log" 2>&1 &&
		[ -e "$SYS_T/musl-build/librfcres.a" ] &&
		musl-gcc -static -O1 -DPROBE_STATIC_RFCRES -I"$SYS_SRC/include" \
			-o "$SYS_T/gaiprobe-musl-rfcres" "$SYS_SRC/tests/system/progs/gaiprobe.c" \
			"$SYS_T/musl-build/librfcres.a" -lpthread 2>>"$SYS_T/musl-build.log"; then
		with_tcp_count "$SYS_T/muslrf" timeout -k 2 30 "$SYS_T/gaiprobe-musl-rfcres" -m 3 $NAME 80
		check_impl "$SYS_T/muslrf" librfcres-musl
		echo "  librfcres-musl static ($(cat "$SYS_T/muslrf.q")): $(answer "$SYS_T/muslrf")"
		if has256 "$SYS_T/muslrf"; then
			sys_ok "musl-static program linked with librfcres.a returned all 256 addresses"
		else
			sys_fail "musl-static + librfcres.a: want ok n=256, got: $(answer "$SYS_T/muslrf")"
		fi
	else
		tail -5 "$SYS_T/musl-build.log"
		sys_fail "musl-gcc is installed but librfcres.a / the static probe did not build"
	fi
else
	echo "  musl: musl-gcc not installed, musl columns skipped"
fi
sys_finish
