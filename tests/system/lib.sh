# tests/system/lib.sh — sourced by tests/system/t_*.sh (docs/system-tests.md).
#
# Each test script runs twice: once outside (checks prerequisites, builds
# the probe program, makes a temp dir) and once inside a fresh network +
# mount namespace (`unshare -n -m`), where it gets:
#   - lo up (127.0.0.1, ::1), nothing else: no route to the host's network;
#   - a private overlay over /etc, so /etc/resolv.conf, /etc/hosts,
#     /etc/gai.conf and /etc/nsswitch.conf can be written, renamed and
#     symlinked without touching the host's files.  glibc therefore reads
#     the test's files, and so does librfcres (same default paths);
#   - $SYS_T (temp dir), $SYS_BUILD, $SYS_SRC, $PROBE (gaiprobe built
#     against glibc), $RFCRES_SO.
# Test DNS servers (rfcres-fakedns) are started with sys_server and killed
# by the EXIT trap (by the pids they wrote, nothing else).
#
# Usage in a script:
#   . "$(dirname "$0")/lib.sh"
#   sys_main "$@"          # outside: re-runs this script in the namespace
#   ...inside-namespace part of the test...

SYS_FAILED=0

sys_log() { printf '[%s] %s\n' "$(date +%T.%3N)" "$*"; }
sys_fail() { printf 'FAIL: %s\n' "$*"; SYS_FAILED=1; }
sys_ok() { printf 'ok: %s\n' "$*"; }
sys_skip() { printf 'SKIP: %s\n' "$*"; exit 77; }

# Outside the namespace: prerequisites, probe, temp dir, then re-exec.
# $SYS_LIMIT (seconds) bounds the whole inner run.
sys_main() {
	if [ -n "${RFCRES_SYS_INNER:-}" ]; then
		sys_inner_setup
		return 0
	fi
	[ $# -ge 2 ] || { echo "usage: $0 BUILD_DIR SOURCE_DIR"; exit 2; }
	local build src rc
	build=$(cd "$1" && pwd) src=$(cd "$2" && pwd)
	# gaiprobe is an uninstrumented program: a sanitizer build's
	# librfcres.so needs its runtime preloaded first (sys_inner_setup does
	# that for ASan); without one found, skip rather than fail.
	if [ -n "${RFCRES_SANITIZE:-}" ] && [ -z "${RFCRES_SYS_PRELOAD:-}" ] &&
		! SYS_BUILD=$build sys_sanitizer_runtime >/dev/null; then
		sys_skip "sanitizer build (${RFCRES_SANITIZE}) without a preloadable runtime"
	fi
	[ "$(id -u)" = 0 ] || sys_skip "needs root (network namespaces, mounts)"
	unshare -n -m true 2>/dev/null ||
		sys_skip "unshare -n -m does not work here (no network/mount namespaces)"
	[ -x "$build/tests/rfcres-fakedns" ] || sys_skip "build/tests/rfcres-fakedns not built"
	[ -e "$build/librfcres.so" ] || sys_skip "build/librfcres.so not built"
	command -v ip >/dev/null || sys_skip "iproute2 (ip) missing"
	[ -d /proc/sys/net/ipv6 ] || sys_skip "kernel without IPv6 support"
	local cc=${CC:-cc}
	command -v "$cc" >/dev/null || sys_skip "no C compiler ($cc)"
	SYS_T=$(mktemp -d /tmp/rfcres-system.XXXXXX)
	trap 'rm -rf "$SYS_T"' EXIT
	"$cc" -O1 -Wall -Wextra -o "$SYS_T/gaiprobe" \
		"$src/tests/system/progs/gaiprobe.c" || { echo "FAIL: cannot build gaiprobe"; exit 1; }
	RFCRES_SYS_INNER=1 SYS_T=$SYS_T SYS_BUILD=$build SYS_SRC=$src \
		timeout -k 5 "${SYS_LIMIT:-100}" unshare -n -m bash "$0" "$@"
	rc=$?
	[ $rc = 124 ] && echo "FAIL: test exceeded ${SYS_LIMIT:-100} s (hang bound)"
	exit $rc
}

sys_cleanup() {
	local f pid
	# Background probes (sys_bg): each pid is a `timeout`, which passes
	# the TERM on to the probe.
	for pid in $SYS_BG; do
		kill "$pid" 2>/dev/null
	done
	for f in "$SYS_T"/*.pid; do
		[ -e "$f" ] || continue
		pid=$(cat "$f" 2>/dev/null) || continue
		[ -n "$pid" ] && kill "$pid" 2>/dev/null
	done
	return 0
}

# The sanitizer runtime a sanitizer build of librfcres needs preloaded
# before it (the probe program is not built with it), from the compiler
# that built the library; ctest passes RFCRES_SANITIZE (the asan preset).
sys_sanitizer_runtime() {
	case ${RFCRES_SANITIZE:-} in *address*) ;; *) return 1 ;; esac
	local cc rt
	cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$SYS_BUILD/CMakeCache.txt" 2>/dev/null)
	[ -n "$cc" ] || return 1
	for rt in "libclang_rt.asan-$(uname -m).so" libasan.so; do
		rt=$("$cc" -print-file-name="$rt" 2>/dev/null) || continue
		case $rt in /*) [ -f "$rt" ] && { echo "$rt"; return 0; } ;; esac
	done
	return 1
}

sys_inner_setup() {
	PROBE=$SYS_T/gaiprobe RFCRES_SO=$SYS_BUILD/librfcres.so
	SYS_PRELOAD=${RFCRES_SYS_PRELOAD:-$RFCRES_SO}
	local rt
	if [ -z "${RFCRES_SYS_PRELOAD:-}" ] && rt=$(sys_sanitizer_runtime); then
		SYS_PRELOAD=$rt:$RFCRES_SO
	fi
	FAKEDNS=$SYS_BUILD/tests/rfcres-fakedns
	trap 'sys_cleanup' EXIT
	trap 'exit 143' TERM INT
	mount --make-rprivate / || sys_skip "cannot make mounts private"
	ip link set lo up
	mkdir -p "$SYS_T/etc-up" "$SYS_T/etc-work"
	mount -t overlay overlay \
		-o "lowerdir=/etc,upperdir=$SYS_T/etc-up,workdir=$SYS_T/etc-work" /etc ||
		sys_skip "cannot mount an overlay over /etc in the private mount namespace"
	# rm first: on the host these may be symlinks (systemd-resolved);
	# writing through them would leave the overlay.
	rm -f /etc/resolv.conf /etc/hosts /etc/gai.conf /etc/nsswitch.conf
	printf 'hosts: files dns\n' > /etc/nsswitch.conf
	printf '127.0.0.1 localhost\n::1 localhost ip6-localhost\n' > /etc/hosts
	: > /etc/gai.conf
	printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' > /etc/resolv.conf
	# Only the test's files: never the caller's overrides.
	unset RFCRES_RESOLV_CONF RFCRES_HOSTS RFCRES_GAI_CONF RFCRES_SERVICES RFCRES_NSSWITCH_CONF LD_PRELOAD
}

# sys_server NAME --listen ADDR:PORT [fakedns options...]
# Starts rfcres-fakedns as a daemon with --log to $SYS_T/NAME.log; returns
# once it serves (the daemon parent waits for that).
sys_server() {
	local name=$1
	shift
	rm -f "$SYS_T/$name.port"
	"$FAKEDNS" --port-file "$SYS_T/$name.port" --pid-file "$SYS_T/$name.pid" \
		--daemon --log "$@" >/dev/null 2>>"$SYS_T/$name.log" ||
		{ echo "FAIL: cannot start test DNS server $name"; cat "$SYS_T/$name.log"; exit 1; }
	local _
	for _ in $(seq 50); do
		[ -s "$SYS_T/$name.port" ] && [ -s "$SYS_T/$name.pid" ] && return 0
		sleep 0.1
	done
	echo "FAIL: test DNS server $name did not come up"
	exit 1
}

# A process counts as gone once it is a zombie: the daemon's parent is
# init, which may reap it only seconds later; its sockets are closed by then.
sys_alive() {
	local st
	st=$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

sys_server_stop() {
	local f=$SYS_T/$1.pid pid _
	[ -s "$f" ] || return 0
	pid=$(cat "$f")
	kill "$pid" 2>/dev/null
	for _ in $(seq 100); do
		sys_alive "$pid" || break
		sleep 0.05
	done
	rm -f "$f"
}

# Queries of TYPE (A, AAAA) logged by server NAME so far.
sys_count() {
	local n
	n=$(grep -c "^fakedns: [a-z]* [^ ]* $2 " "$SYS_T/$1.log" 2>/dev/null) || true
	echo "${n:-0}"
}

# glibc / librfcres runs of the probe, each bounded by `timeout`.
probe_glibc() { timeout -k 2 "${PROBE_LIMIT:-30}" "$PROBE" "$@"; }
# sys_bg OUT LIMIT CMD...: CMD in the background under `timeout LIMIT`,
# output to OUT; its pid is appended to $SYS_BG (killed on exit) and left
# in $SYS_BG_LAST for `wait`.
SYS_BG=
sys_bg() {
	local out=$1 lim=$2
	shift 2
	timeout -k 2 "$lim" "$@" > "$out" 2>&1 &
	SYS_BG_LAST=$!
	SYS_BG="$SYS_BG $SYS_BG_LAST"
}

# RFCRES_SYS_PRELOAD overrides what is preloaded, e.g. for a sanitizer build:
# "$(clang -print-file-name=libclang_rt.asan-x86_64.so):build-asan/librfcres.so"
probe_rfcres() {
	timeout -k 2 "${PROBE_LIMIT:-30}" env LD_PRELOAD="$SYS_PRELOAD" "$PROBE" "$@"
}

# check_impl FILE EXPECTED-PREFIX: the probe's first line names who answered.
check_impl() {
	local got
	got=$(head -1 "$1")
	case $got in
	"impl=$2"*) return 0 ;;
	*) sys_fail "$1: expected impl=$2*, got '$got' (LD_PRELOAD not effective?)"; return 1 ;;
	esac
}

sys_finish() {
	# Sanitizer reports in any probe output (RFCRES_SYS_PRELOAD runs).
	local f
	for f in "$SYS_T"/*; do
		[ -f "$f" ] || continue
		if grep -q -E '^==[0-9]+==ERROR: |runtime error: ' "$f"; then
			sys_fail "sanitizer report in $(basename "$f"):"
			grep -m 20 -E '^==|runtime error|^ +#' "$f"
		fi
	done
	if [ "$SYS_FAILED" = 0 ]; then
		echo "PASS"
		exit 0
	fi
	echo "FAILED"
	exit 1
}
