# Shared by tests/compat/t_preload_*.sh and t_link*.sh (sourced, not run).
#
# Every test: its own network namespace when root (so not a single packet
# can leave loopback even if interposition failed and glibc asked the real
# nameserver), rfcres-fakedns on 127.0.0.1 with a kernel-chosen port, and
# RFCRES_RESOLV_CONF / RFCRES_HOSTS / RFCRES_GAI_CONF / RFCRES_NSSWITCH_CONF
# pointing at temp files.
# The real /etc/resolv.conf is never read by librfcres here.
#
# Usage in a test:  . "$src/tests/compat/preload-lib.sh"; pl_init "$@"
set -eu

# A sanitizer build's librfcres.so cannot be preloaded into (or linked by)
# uninstrumented programs: the sanitizer runtime must come first.  The gcc
# and clang builds run these tests; the ASan build runs everything else.
if [ -n "${RFCRES_SANITIZE:-}" ]; then
  echo "SKIP: sanitizer build (${RFCRES_SANITIZE}): preload/link tests run in the plain builds"
  exit 77
fi

PL_FAILS=0
PL_CHECKS=0

pl_skip() { echo "SKIP: $*"; exit 77; }
pl_fail() { echo "FAIL: $*"; PL_FAILS=$((PL_FAILS + 1)); }
pl_ok() { echo "ok: $*"; }

# pl_check DESCRIPTION COMMAND...: counts a check, reports it
pl_check() {
	local what=$1; shift
	PL_CHECKS=$((PL_CHECKS + 1))
	if "$@"; then pl_ok "$what"; else pl_fail "$what"; fi
}

# pl_need_tool CMD PACKAGE: the tool, installed with apt-get when root;
# skips the test when it cannot be had.
pl_need_tool() {
	local cmd=$1 pkg=$2
	command -v "$cmd" >/dev/null 2>&1 && return 0
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "installing $pkg for $cmd"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends "$pkg" >/dev/null 2>&1 ||
			{ DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 &&
			  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				--no-install-recommends "$pkg" >/dev/null 2>&1; } || true
	fi
	command -v "$cmd" >/dev/null 2>&1 || pl_skip "$cmd not available (package $pkg)"
}

# pl_init BUILD SRC [args...]: re-runs the calling script inside a fresh
# network namespace when root, then sets up the temp dir and variables.
pl_init() {
	PL_BUILD=$(cd "$1" && pwd)
	PL_SRC=$(cd "$2" && pwd)
	PL_LIB=$PL_BUILD/librfcres.so
	PL_FAKEDNS=$PL_BUILD/tests/rfcres-fakedns
	[ -e "$PL_LIB" ] || pl_skip "$PL_LIB not built"
	[ -x "$PL_FAKEDNS" ] || pl_skip "$PL_FAKEDNS not built"
	if [ -z "${RFCRES_PL_NETNS:-}" ] && [ "$(id -u)" = 0 ] &&
	   unshare -n true 2>/dev/null && command -v ip >/dev/null 2>&1; then
		export RFCRES_PL_NETNS=1
		# lo plus one global address per family on it (documentation
		# prefixes, no route anywhere; sandbox kernels may lack the
		# dummy driver), so AI_ADDRCONFIG sees a dual-stack host
		exec unshare -n bash -c 'ip link set lo up &&
			ip addr add 203.0.113.1/24 dev lo &&
			ip addr add 2001:db8:ffff::1/64 dev lo nodad &&
			exec bash "$@"' \
			bash "$PL_SCRIPT" "$@"
	fi
	if [ -n "${RFCRES_PL_NETNS:-}" ]; then
		echo "running inside a private network namespace (loopback only)"
	else
		echo "not root: no network namespace; every name used is under"
		echo "  .legacy.test (reserved, RFC 6761) and each binary is first"
		echo "  checked to load librfcres before it resolves any name"
		PL_NEED_PREFLIGHT=1
	fi
	PL_TMP=$(mktemp -d)
	trap pl_cleanup EXIT
	: > "$PL_TMP/gai.conf"
	printf '127.0.0.1 localhost\n::1 localhost ip6-localhost\n' > "$PL_TMP/hosts"
	export RFCRES_RESOLV_CONF=$PL_TMP/resolv.conf
	export RFCRES_HOSTS=$PL_TMP/hosts
	export RFCRES_GAI_CONF=$PL_TMP/gai.conf
	# never the host's hosts line (its modules could answer test names)
	printf 'hosts: files dns\n' > "$PL_TMP/nsswitch.conf"
	export RFCRES_NSSWITCH_CONF=$PL_TMP/nsswitch.conf
	# no proxy may take curl/wget/python elsewhere
	unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
	unset LOCALDOMAIN RES_OPTIONS
	PL_PIDS=""
}

pl_cleanup() {
	local p
	for p in $PL_PIDS; do kill "$p" 2>/dev/null || true; done
	[ -n "${PL_TMP:-}" ] && rm -rf "$PL_TMP"
	return 0
}

# pl_wait_file F: waits (bounded, 10 s) until F is non-empty
pl_wait_file() {
	local i
	for i in $(seq 1 100); do
		[ -s "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# The zone every test uses: names only this server knows.
pl_zone() {
	cat <<'EOF'
www.legacy.test      A     192.0.2.10
www.legacy.test      A     192.0.2.11
www.legacy.test      AAAA  2001:db8::10
v4only.legacy.test   A     192.0.2.20
v6only.legacy.test   AAAA  2001:db8::60
alias.legacy.test    CNAME www.legacy.test
web.legacy.test      A     127.0.0.1
big.legacy.test      A     10.0.0.1-256
@behaviour big.legacy.test truncate 512
10.2.0.192.in-addr.arpa PTR www.legacy.test
EOF
}

# Expected address lists (one per line, sorted)
pl_big_addrs() {
	local i
	for i in $(seq 1 255); do echo "10.0.0.$i"; done
	echo "10.0.1.0"
}

# pl_start_dns: rfcres-fakedns on 127.0.0.1:0 with pl_zone, resolv.conf
# pointing at it (nothing else)
pl_start_dns() {
	pl_zone > "$PL_TMP/zone"
	"$PL_FAKEDNS" --zone "$PL_TMP/zone" --listen 127.0.0.1:0 \
		--port-file "$PL_TMP/dns.port" --pid-file "$PL_TMP/dns.pid" \
		--daemon > "$PL_TMP/dns.log" 2>&1 || { cat "$PL_TMP/dns.log"; pl_skip "rfcres-fakedns did not start"; }
	pl_wait_file "$PL_TMP/dns.pid" || pl_skip "rfcres-fakedns wrote no pid file"
	PL_PIDS="$PL_PIDS $(cat "$PL_TMP/dns.pid")"
	pl_wait_file "$PL_TMP/dns.port" || pl_skip "rfcres-fakedns wrote no port file"
	PL_DNS_PORT=$(head -1 "$PL_TMP/dns.port")
	printf 'nameserver 127.0.0.1:%s\noptions timeout:2 attempts:2\n' \
		"$PL_DNS_PORT" > "$RFCRES_RESOLV_CONF"
	echo "test DNS server on 127.0.0.1:$PL_DNS_PORT"
}

# pl_run OUT ERR CMD...: runs CMD with librfcres preloaded and the trace on;
# stdout to OUT, stderr to ERR; never fails the script (status in PL_RC).
# Bounded: 60 s.
pl_run() {
	local out=$1 err=$2; shift 2
	PL_RC=0
	LD_PRELOAD=$PL_LIB RFCRES_DEBUG=1 timeout 60 "$@" > "$out" 2> "$err" || PL_RC=$?
}

# pl_preflight CMD...: when there is no private namespace, proves first that
# CMD really loads librfcres (the trace appears for a numeric lookup, which
# no resolver sends anywhere); skips the test otherwise.
pl_preflight() {
	[ -n "${PL_NEED_PREFLIGHT:-}" ] || return 0
	pl_run "$PL_TMP/pre.out" "$PL_TMP/pre.err" "$@"
	grep -q 'rfcres\[' "$PL_TMP/pre.err" ||
		pl_skip "$1 does not load librfcres under LD_PRELOAD; not resolving test names without a network namespace"
}

# pl_traced ERR EVENT: the librfcres trace in ERR has EVENT
pl_traced() {
	grep -q "rfcres\[[0-9]*\] #[0-9]* .* $2 " "$1"
}

pl_done() {
	echo "$((PL_CHECKS - PL_FAILS)) passed, $PL_FAILS failed"
	[ "$PL_FAILS" = 0 ]
}
