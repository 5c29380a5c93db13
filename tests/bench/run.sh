#!/usr/bin/env bash
# Side-by-side resolver benchmark: librfcres, glibc, musl, c-ares and the
# bare UDP/TCP exchange ("floor"), all against one dnsmasq on 127.0.0.1:53
# inside a private network + mount namespace created here.  Nothing is sent
# outside that namespace; the system's resolv.conf and hosts are never read
# (private copies are bind-mounted over them inside the mount namespace).
#
# usage: tests/bench/run.sh [--quick] [--out DIR] [--rfcres-build DIR]
#                           [--preload NAME=LIB.so]... [--libs a,b,...]
#                           [--budget SECONDS] [--no-install]
#                           [--server dnsmasq|fakedns]
# See docs/benchmark.md.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
QUICK=0
OUT="$HERE/results"
RFCRES_BUILD=""
PRELOADS=()
ONLY_LIBS=""
BUDGET=""
NO_INSTALL=0
INNER=0
SERVER=dnsmasq

die() { echo "bench: $*" >&2; exit 1; }
say() { echo "bench: [$(date +%T)] $*" >&2; }

while [ $# -gt 0 ]; do
	case "$1" in
	--quick) QUICK=1 ;;
	--out) OUT=$2; shift ;;
	--rfcres-build) RFCRES_BUILD=$2; shift ;;
	--preload) PRELOADS+=("$2"); shift ;;
	--libs) ONLY_LIBS=$2; shift ;;
	--budget) BUDGET=$2; shift ;;
	--no-install) NO_INSTALL=1 ;;
	--server) SERVER=$2; shift ;;
	--inner) INNER=1 ;;
	-h|--help) sed -n '2,15p' "$0"; exit 0 ;;
	*) die "unknown argument: $1 (try --help)" ;;
	esac
	shift
done

case "$SERVER" in dnsmasq|fakedns) ;; *) die "--server: dnsmasq or fakedns" ;; esac
mkdir -p "$OUT" || die "cannot create $OUT"
OUT=$(cd "$OUT" && pwd)
WORK="$OUT/work"
BIN="$WORK/bin"
ETC="$WORK/etc"
RAW="$OUT/raw.jsonl"

# ---- parameters ----------------------------------------------------------
# Every measured loop is bounded by a count AND a time; every external
# command by `timeout`.  Defaults keep the full run under 5 minutes and
# --quick under 1 minute on a 2-core machine.
if [ "$QUICK" = 1 ]; then
	REPS=3; TIME_S=0.05; COUNT=2000; WARM=5
	SC_COUNT=8; SC_BIG=2; CG_COUNT=8; CG_BIG=2; CG_CASES="dual"
	GROWTH_N=20000; GROWTH_OTHERS_N=5000; GROWTH_ALL=0; : "${BUDGET:=40}"
else
	REPS=5; TIME_S=0.25; COUNT=20000; WARM=20
	SC_COUNT=30; SC_BIG=6; CG_COUNT=20; CG_BIG=4; CG_CASES=all
	GROWTH_N=100000; GROWTH_OTHERS_N=20000; GROWTH_ALL=1; : "${BUDGET:=270}"
fi

# id | name given to the libraries | names the floor queries ('-' = no DNS)
#    | expected address count | description
CASES=$(cat <<'EOF'
numeric|192.0.2.33|-|1|numeric literal 192.0.2.33
hosts|hostsname.bench.test|-|1|name from the hosts file
localhost|localhost|-|2|localhost (hosts file: 127.0.0.1 and ::1)
dual|dual.bench.test|dual.bench.test|2|DNS name, 1 A + 1 AAAA
tc256|big.bench.test|big.bench.test|256|DNS name, 256 A (TC over UDP, then TCP)
search|svc|svc.a.bench.test,svc.bench.test|2|search list: svc -> svc.a.bench.test (NXDOMAIN) -> svc.bench.test
sort16|sort16.bench.test|sort16.bench.test|16|sort 16 destinations (8 A + 8 AAAA)
sort256|sort256.bench.test|sort256.bench.test|256|sort 256 destinations (128 A + 128 AAAA, TC then TCP)
EOF
)

# ======================================================================
# Outer part: dependencies, builds, namespace, report.
# ======================================================================
outer_privileges() {
	if [ "$(id -u)" = 0 ]; then
		NSCMD=(unshare --net --mount --propagation private)
	elif unshare -r -n -m true 2>/dev/null; then
		say "not root: using an unprivileged user namespace"
		NSCMD=(unshare -r --net --mount --propagation private)
	else
		say "SKIP: needs root or unprivileged user namespaces (network + mount namespace)"
		exit 77
	fi
}

outer_deps() {
	local missing=() c
	# dnsmasq only as the server; gnuplot only for latency.png (the
	# report says when the plot could not be drawn)
	[ "$SERVER" = fakedns ] || command -v dnsmasq >/dev/null || missing+=(dnsmasq)
	[ "$NO_INSTALL" = 1 ] || command -v gnuplot >/dev/null || missing+=(gnuplot-nox)
	command -v valgrind >/dev/null || missing+=(valgrind)
	command -v strace >/dev/null || missing+=(strace)
	command -v musl-gcc >/dev/null || missing+=(musl-tools)
	command -v python3 >/dev/null || missing+=(python3)
	command -v ip >/dev/null || missing+=(iproute2)
	command -v cmake >/dev/null || missing+=(cmake)
	command -v gcc >/dev/null || missing+=(gcc)
	command -v timeout >/dev/null || missing+=(coreutils)
	[ -f /usr/include/ares.h ] || missing+=(libc-ares-dev)
	[ ${#missing[@]} = 0 ] && return 0
	if [ "$NO_INSTALL" = 1 ] || [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
		die "missing: ${missing[*]} (install them, or run as root on Debian/Ubuntu)"
	fi
	say "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >"$WORK/apt.log" 2>&1 || die "apt-get update failed (see $WORK/apt.log)"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$WORK/apt.log" 2>&1 ||
		die "apt-get install failed (see $WORK/apt.log)"
	for c in valgrind strace musl-gcc python3 ip cmake gcc; do
		command -v $c >/dev/null || die "$c still missing after apt-get"
	done
	[ "$SERVER" = fakedns ] || command -v dnsmasq >/dev/null ||
		die "dnsmasq still missing after apt-get"
}

CFLAGS_B=(-O2 -g -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes -Wvla -Wformat=2 -Werror)
WRAP=(-DBENCH_MCOUNT_LINKED -DBENCH_MCOUNT_WRAP
	-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free,--wrap=aligned_alloc,--wrap=posix_memalign)

# Builds librfcres (shared with gcc, static with musl-gcc) unless a build
# dir was given.  Absent or unbuildable library => benchmark without it.
outer_build_rfcres() {
	RF_SO="" RF_MUSL_A=""
	if [ -n "$RFCRES_BUILD" ]; then
		[ -f "$RFCRES_BUILD/librfcres.so" ] && RF_SO="$RFCRES_BUILD/librfcres.so"
		[ -n "$RF_SO" ] || say "no librfcres.so in $RFCRES_BUILD"
	else
		local b="$WORK/build-rfcres"
		if cmake -S "$ROOT" -B "$b" -DRFCRES_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
			>"$WORK/build-rfcres.log" 2>&1 &&
			cmake --build "$b" --target rfcres -j2 >>"$WORK/build-rfcres.log" 2>&1 &&
			[ -f "$b/librfcres.so" ]; then
			RF_SO="$b/librfcres.so"
		else
			say "librfcres does not build yet (see $WORK/build-rfcres.log): benchmarking without it"
		fi
	fi
	[ -n "$RF_SO" ] || return 0
	local m="$WORK/build-rfcres-musl" kh
	# Debian's musl-gcc hides /usr/include: expose only the kernel's
	# headers, as a musl distribution has them (netlink code).
	kh=$(bash "$ROOT/tests/build/musl-kernel-headers.sh" "$WORK/kernel-headers")
	if cmake -S "$ROOT" -B "$m" -DRFCRES_TESTS=OFF -DCMAKE_C_COMPILER=musl-gcc \
		-DCMAKE_C_FLAGS="$kh" \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo >"$WORK/build-rfcres-musl.log" 2>&1 &&
		cmake --build "$m" --target rfcres_static -j2 >>"$WORK/build-rfcres-musl.log" 2>&1 &&
		[ -f "$m/librfcres.a" ]; then
		RF_MUSL_A="$m/librfcres.a"
	else
		say "librfcres.a does not build with musl-gcc (see $WORK/build-rfcres-musl.log)"
	fi
}

# libs.tsv: name | kind (dyn = LD_PRELOAD the heap counter, static = built in)
#           | binary | extra LD_PRELOAD | description
outer_build() {
	local S="$HERE" f=() sz="$WORK/sizes.tsv"
	mkdir -p "$BIN"
	: >"$WORK/libs.tsv"
	: >"$sz"
	addlib() { printf '%s|%s|%s|%s|%s\n' "$@" >>"$WORK/libs.tsv"; }
	gcc "${CFLAGS_B[@]}" -shared -fPIC -fvisibility=hidden -o "$BIN/mcount.so" "$S/malloc_count.c" ||
		die "build failed: malloc counter"

	outer_build_rfcres
	if [ -n "$RF_SO" ]; then
		local d; d=$(dirname "$RF_SO")
		if gcc "${CFLAGS_B[@]}" -DBENCH_IMPL='"librfcres"' -o "$BIN/bench-librfcres" \
			"$S/bench_gai.c" "$S/bench_common.c" -L"$d" -Wl,-rpath,"$d" -lrfcres -ldl -lpthread; then
			addlib librfcres dyn "$BIN/bench-librfcres" "" "librfcres.so linked with -lrfcres ($d)"
		else
			say "cannot link the bench program with -lrfcres"
		fi
	fi
	if [ -n "$RF_MUSL_A" ]; then
		if musl-gcc "${CFLAGS_B[@]}" -static "${WRAP[@]}" -DBENCH_IMPL='"librfcres-musl"' \
			-o "$BIN/bench-librfcres-musl" "$S/bench_gai.c" "$S/bench_common.c" \
			"$S/malloc_count.c" "$RF_MUSL_A" -lpthread; then
			addlib librfcres-musl static "$BIN/bench-librfcres-musl" "" "librfcres.a + musl, static"
		else
			say "cannot link the bench program statically with librfcres.a + musl"
		fi
	fi
	gcc "${CFLAGS_B[@]}" -DBENCH_IMPL='"glibc"' -o "$BIN/bench-glibc" "$S/bench_gai.c" \
		"$S/bench_common.c" -ldl || die "build failed: glibc bench"
	addlib glibc dyn "$BIN/bench-glibc" "" "glibc $(ldd --version | head -1 | awk '{print $NF}')"
	musl-gcc "${CFLAGS_B[@]}" -static "${WRAP[@]}" -DBENCH_IMPL='"musl"' -o "$BIN/bench-musl" \
		"$S/bench_gai.c" "$S/bench_common.c" "$S/malloc_count.c" || die "build failed: musl bench"
	addlib musl static "$BIN/bench-musl" "" \
		"musl $( (/lib/ld-musl-x86_64.so.1 2>&1 || true) | awk '/Version/{print $2}'), static"
	gcc "${CFLAGS_B[@]}" -o "$BIN/bench-cares" "$S/bench_ares.c" "$S/bench_common.c" -ldl -lcares ||
		die "build failed: c-ares bench"
	addlib c-ares dyn "$BIN/bench-cares" "" \
		"c-ares $(pkg-config --modversion libcares 2>/dev/null || echo '?') (ares_getaddrinfo + poll loop)"
	local p name lib
	for p in "${PRELOADS[@]}"; do
		name=${p%%=*}; lib=${p#*=}
		[ -f "$lib" ] || die "--preload $p: no such file"
		addlib "$name" dyn "$BIN/bench-glibc" "$(readlink -f "$lib")" "LD_PRELOAD=$lib into the glibc program"
	done
	if [ "$SERVER" = fakedns ]; then
		local fb="$WORK/build-fakedns"
		cmake -S "$ROOT" -B "$fb" -DRFCRES_TESTS=ON >"$WORK/build-fakedns.log" 2>&1 &&
			cmake --build "$fb" --target rfcres-fakedns -j2 >>"$WORK/build-fakedns.log" 2>&1 &&
			cp "$fb/tests/rfcres-fakedns" "$BIN/rfcres-fakedns" ||
			die "cannot build rfcres-fakedns (see $WORK/build-fakedns.log)"
	fi
	gcc "${CFLAGS_B[@]}" -o "$BIN/bench-floor" "$S/bench_floor.c" "$S/bench_common.c" -ldl ||
		die "build failed: floor"
	addlib floor dyn "$BIN/bench-floor" "" "bare UDP exchange, TCP on TC (no library)"
	if [ -n "$ONLY_LIBS" ]; then
		grep -E "^($(echo "$ONLY_LIBS" | tr ',' '|'))\|" "$WORK/libs.tsv" >"$WORK/libs.tmp"
		mv "$WORK/libs.tmp" "$WORK/libs.tsv"
	fi

	# Static binary size of the minimal resolver program (stripped).
	size_of() { # name, compile command...
		local name=$1; shift
		if "$@" -o "$BIN/min-$name" >"$WORK/min-$name.log" 2>&1; then
			strip -o "$BIN/min-$name.stripped" "$BIN/min-$name"
			printf '%s|%s|%s\n' "$name" "$(stat -c %s "$BIN/min-$name.stripped")" \
				"$(grep -c 'statically linked applications' "$WORK/min-$name.log")" >>"$sz"
		fi
	}
	size_of musl musl-gcc -static -Os "$S/minimal_resolver.c"
	size_of glibc gcc -static -Os "$S/minimal_resolver.c"
	[ -n "$RF_MUSL_A" ] && size_of librfcres-musl musl-gcc -static -Os "$S/minimal_resolver.c" \
		"$RF_MUSL_A" -lpthread
	return 0
}

outer_versions() {
	{
		echo "kernel|$(uname -r)"
		if [ "$SERVER" = fakedns ]; then
			echo "server|rfcres-fakedns ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null))"
		else
			echo "server|$(dnsmasq --version | head -1 | sed 's/  Copyright.*//')"
		fi
		echo "cpu|$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
		echo "cores|$(nproc)"
		echo "librfcres_commit|$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
		echo "mode|$([ "$QUICK" = 1 ] && echo quick || echo full)"
	} >"$WORK/env.tsv"
}

outer_main() {
	local t0=$SECONDS
	mkdir -p "$WORK"
	outer_privileges
	outer_deps
	rm -rf "$WORK/strace" "$WORK/callgrind" "$RAW"
	say "building into $BIN"
	outer_build || exit 1
	outer_versions
	echo "$CASES" >"$WORK/cases.tsv"
	say "libraries: $(cut -d'|' -f1 "$WORK/libs.tsv" | tr '\n' ' ')"
	export BENCH_QUICK=$QUICK BENCH_BUDGET=$BUDGET
	# The inner part runs from a copy: bash reads scripts as it goes, so an
	# edit of run.sh during a run must not change the running one.
	cp "$HERE/run.sh" "$WORK/run-inner.sh"
	"${NSCMD[@]}" bash "$WORK/run-inner.sh" --inner --out "$OUT" --server "$SERVER" \
		$([ "$QUICK" = 1 ] && echo --quick)
	local rc=$?
	[ $rc = 0 ] || die "measurement phase failed (rc=$rc)"
	python3 "$HERE/report.py" "$OUT" || die "report failed"
	say "done in $((SECONDS - t0)) s: $OUT/results.md $OUT/results.json $OUT/latency.png"
}

# ======================================================================
# Inner part: runs inside the private network + mount namespace.
# ======================================================================
SERVER_PID=""
inner_cleanup() {
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	fi
}

inner_write_files() {
	local i
	mkdir -p "$ETC"
	cat >"$ETC/resolv.conf" <<'EOF'
# benchmark resolver configuration (bind-mounted over /etc/resolv.conf)
nameserver 127.0.0.1
search a.bench.test bench.test
options timeout:1 attempts:2
EOF
	cat >"$ETC/hosts" <<'EOF'
127.0.0.1 localhost
::1 localhost ip6-localhost ip6-loopback
192.0.2.50 hostsname.bench.test hostsname
EOF
	echo "hosts: files dns" >"$ETC/nsswitch.conf"
	: >"$ETC/gai.conf"
	# The server's records (dnsmasq --addn-hosts).
	{
		echo "192.0.2.10 dual.bench.test"
		echo "2001:db8:10::10 dual.bench.test"
		echo "192.0.2.20 svc.bench.test"
		echo "2001:db8:10::20 svc.bench.test"
		for i in $(seq 0 255); do
			echo "198.18.$((i / 200)).$((i % 200 + 1)) big.bench.test"
		done
		# Mixed destinations: on-link (the namespace's own /16 and /64),
		# off-link global, and ULA, interleaved so sorting has work to do.
		for i in 1 2 3 4; do
			echo "198.19.0.$i sort16.bench.test"
			echo "fd77::$i sort16.bench.test"
			echo "10.77.1.$i sort16.bench.test"
			echo "2001:db8:77::1:$i sort16.bench.test"
		done
		for i in $(seq 1 64); do
			echo "198.19.1.$i sort256.bench.test"
			echo "2001:db8:5::$i sort256.bench.test"
			echo "10.77.2.$i sort256.bench.test"
			echo "2001:db8:77::2:$i sort256.bench.test"
		done
	} >"$ETC/records"
}

inner_network() {
	ip link set lo up || return 1
	# Dual-stack: a veth pair (both ends here, nothing reaches the host)
	# with an IPv4 /16 and an IPv6 /64 and default routes for both
	# families, so every destination has a source address to sort by.
	if ip link add bench0 type veth peer name bench1 2>/dev/null; then
		ip link set bench1 up
		ip link set bench0 up
		ip addr add 10.77.0.2/16 dev bench0
		ip -6 addr add 2001:db8:77::2/64 dev bench0 nodad
		ip route add default dev bench0
		ip -6 route add default dev bench0
		echo "dual-stack veth: 10.77.0.2/16, 2001:db8:77::2/64" >"$WORK/netns.txt"
	else
		say "cannot create a veth pair: only loopback (sorting cases will see no sources)"
		echo "loopback only" >"$WORK/netns.txt"
	fi
	ip addr >>"$WORK/netns.txt"
	ip -6 route >>"$WORK/netns.txt"
}

inner_mounts() {
	local f
	for f in resolv.conf hosts; do
		[ -e "/etc/$f" ] || { say "/etc/$f missing: cannot redirect it"; return 1; }
		mount --bind "$ETC/$f" "/etc/$f" || return 1
	done
	for f in nsswitch.conf gai.conf; do
		[ -e "/etc/$f" ] && { mount --bind "$ETC/$f" "/etc/$f" || return 1; }
	done
	# Proof for the report that the redirection works.
	cmp -s /etc/resolv.conf "$ETC/resolv.conf" || return 1
}

inner_server() {
	local i
	if [ "$SERVER" = fakedns ]; then
		# Same records in the fakedns zone format (NAME TYPE ADDRESS).
		awk '{ print $2, ($1 ~ /:/ ? "AAAA" : "A"), $1 }' "$ETC/records" >"$ETC/records.zone"
		"$BIN/rfcres-fakedns" --zone "$ETC/records.zone" --listen 127.0.0.1:53 \
			--foreground >"$WORK/server.log" 2>&1 &
	else
		dnsmasq --no-daemon --conf-file=/dev/null --port=53 --listen-address=127.0.0.1 \
			--bind-interfaces --no-resolv --no-hosts --addn-hosts="$ETC/records" \
			--local=/#/ --user=root --group=root --pid-file= --no-negcache \
			--log-facility="$WORK/server.log" >"$WORK/server.out" 2>&1 &
	fi
	SERVER_PID=$!
	for i in $(seq 1 50); do
		if timeout 3 "$BIN/bench-floor" -n 1 -w 0 -c probe dual.bench.test 2>/dev/null |
			grep -q '"errors":0'; then
			return 0
		fi
		sleep 0.1
	done
	say "$SERVER does not answer on 127.0.0.1:53 (see $WORK/server.log)"
	return 1
}

# run KIND LIB CASE REP TIMEOUT -- command...: append one raw record.
record() {
	local kind=$1 lib=$2 cs=$3 rep=$4 tmo=$5 out rc
	shift 6
	out=$(timeout -k 2 "$tmo" "$@" 2>>"$WORK/stderr.log" | tail -1)
	rc=${PIPESTATUS[0]}
	case "$out" in \{*) ;; *) out=null ;; esac
	printf '{"kind":"%s","lib":"%s","case":"%s","rep":%s,"rc":%s,"data":%s}\n' \
		"$kind" "$lib" "$cs" "$rep" "$rc" "$out" >>"$RAW"
}

# over_budget WHAT PERCENT: true once PERCENT % of the measurement budget is
# spent.  Each phase gets a share so a slow phase cannot starve the next.
over_budget() {
	if [ $((SECONDS - INNER_T0)) -ge $((BENCH_BUDGET * $2 / 100)) ]; then
		case " ${SKIPPED:-} " in *" $1 "*) return 0 ;; esac
		SKIPPED="${SKIPPED:-} $1"
		say "time budget ($2 % of ${BENCH_BUDGET} s) reached: skipping the remaining $1 runs"
		printf '{"kind":"skipped","what":"%s"}\n' "$1" >>"$RAW"
		return 0
	fi
	return 1
}

# Prints the command prefix for LIB: env + binary.
lib_cmd() { # lib, with-counter(0/1)
	local name kind bin pre desc pl
	while IFS='|' read -r name kind bin pre desc; do
		[ "$name" = "$1" ] || continue
		pl=$pre
		if [ "$2" = 1 ] && [ "$kind" = dyn ]; then
			pl="$BIN/mcount.so${pl:+:$pl}"
		fi
		echo env ${pl:+LD_PRELOAD="$pl"} "$bin"
		return
	done <"$WORK/libs.tsv"
}

lib_arg() { # lib, case-name, floor-names
	if [ "$1" = floor ]; then echo "$3"; else echo "$2"; fi
}

# Each phase loops over cases x libraries; for_each_run PHASE PERCENT FN
# calls FN id name fnames expected lib arg until the phase's share of the
# budget is spent.
for_each_run() {
	local phase=$1 pct=$2 fn=$3 id name fnames exp desc lib arg
	while IFS='|' read -r id name fnames exp desc; do
		for lib in $LIBS; do
			arg=$(lib_arg "$lib" "$name" "$fnames")
			[ "$arg" = - ] && continue
			over_budget "$phase" "$pct" && return
			"$fn" "$id" "$exp" "$lib" "$arg"
		done
	done <<<"$CASES"
}

run_verify() {
	record verify "$3" "$1" 0 15 -- $(lib_cmd "$3" 0) -n 1 -w 0 -t 10 -c "$1" "$4"
}

run_strace() {
	local n=$SC_COUNT
	[ "$2" -ge 256 ] && n=$SC_BIG
	record strace "$3" "$1" 0 60 -- strace -f -qq -o "$WORK/strace/$3.$1.txt" \
		$(lib_cmd "$3" 0) -n "$n" -w 2 -t 30 -c "$1" "$4"
}

run_callgrind() {
	local n=$CG_COUNT
	[ "$2" -ge 256 ] && n=$CG_BIG
	[ "$CG_CASES" = all ] || case " $CG_CASES " in *" $1 "*) ;; *) return ;; esac
	# --trace-children: the program is started through env(1).
	record callgrind "$3" "$1" 0 90 -- valgrind --tool=callgrind -q --trace-children=yes \
		--callgrind-out-file="$WORK/callgrind/$3.$1.out" \
		--collect-atstart=no --toggle-collect=bench_measured_loop \
		$(lib_cmd "$3" 0) -n "$n" -w 1 -t 60 -c "$1" "$4"
}

run_time() {
	record time "$3" "$1" "$REP" 30 -- $(lib_cmd "$3" 1) \
		-n "$COUNT" -t "$TIME_S" -w "$WARM" -c "$1" "$4"
}

growth() { # lib, lookups, budget percent
	over_budget "growth-$1" "$3" && return
	say "growth check: $1, $2 lookups of dual.bench.test"
	record growth "$1" dual 0 120 -- $(lib_cmd "$1" 1) -G -n "$2" -t 60 -w 1000 \
		-c dual dual.bench.test
}

inner_main() {
	INNER_T0=$SECONDS
	trap inner_cleanup EXIT
	mount --make-rprivate / 2>/dev/null
	inner_write_files
	inner_network || die "network namespace setup failed"
	inner_mounts || die "cannot bind-mount the benchmark's resolv.conf/hosts over /etc"
	# librfcres reads its files from these (same content as the mounts).
	export RFCRES_RESOLV_CONF="$ETC/resolv.conf" RFCRES_HOSTS="$ETC/hosts" \
		RFCRES_GAI_CONF="$ETC/gai.conf"
	unset LOCALDOMAIN RES_OPTIONS HOSTALIASES RFCRES_DEBUG
	inner_server || exit 1
	: >"$WORK/stderr.log"
	mkdir -p "$WORK/strace" "$WORK/callgrind"
	local lib have_rf=0
	LIBS=$(cut -d'|' -f1 "$WORK/libs.tsv")
	grep -q '^librfcres|' "$WORK/libs.tsv" && have_rf=1

	# Order: the deterministic counts first (cheap to repeat, never
	# noisy), then timing, then the growth checks.  Each phase may use the
	# budget up to its percentage, so a slow machine loses repetitions,
	# not whole columns.
	say "verify: one lookup per library and case"
	for_each_run verify 100 run_verify
	INNER_T0=$SECONDS # the budget covers the measurements proper
	say "syscalls per lookup (strace)"
	for_each_run strace 20 run_strace
	say "instructions per lookup (callgrind)"
	for_each_run callgrind 45 run_callgrind
	say "throughput/latency: up to $REPS repetitions x $(echo "$CASES" | wc -l) cases x $(echo $LIBS | wc -w) libraries"
	for REP in $(seq 1 "$REPS"); do
		for_each_run time 85 run_time
	done
	if [ $have_rf = 1 ]; then
		growth librfcres "$GROWTH_N" 95
	else
		say "growth check: librfcres absent"
	fi
	if [ "$GROWTH_ALL" = 1 ]; then
		for lib in $LIBS; do
			[ "$lib" = librfcres ] || growth "$lib" "$GROWTH_OTHERS_N" 100
		done
	elif [ $have_rf = 0 ]; then
		growth glibc "$GROWTH_OTHERS_N" 100 # keeps the pipeline exercised until librfcres lands
	fi
	[ -s "$WORK/stderr.log" ] && say "program stderr: $WORK/stderr.log"
	return 0
}

if [ "$INNER" = 1 ]; then
	: "${BENCH_BUDGET:=240}"
	inner_main
else
	outer_main
fi
