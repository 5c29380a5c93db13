#!/bin/bash
# LD_PRELOAD=librfcres.so into the system's unmodified curl, whose threaded
# resolver calls getaddrinfo from a helper thread: `curl http://NAME:PORT/`
# where NAME resolves to 127.0.0.1 only through rfcres-fakedns, served by a
# one-file HTTP server the test starts on 127.0.0.1.
# Args: build_dir source_dir.  Exit 77 = skipped.
PL_SCRIPT=$0
. "$2/tests/compat/preload-lib.sh"
pl_init "$@"
pl_need_tool curl curl
PY=/usr/bin/python3
[ -x $PY ] || { pl_need_tool python3 python3-minimal; PY=$(command -v python3); }
pl_start_dns
t=$PL_TMP

# HTTP server: 127.0.0.1, kernel-chosen port written to a file, serves one
# token that exists nowhere else; bounded to 120 s.
mkdir -p $t/www
token="rfcres-preload-$$-$RANDOM"
echo "$token" > $t/www/token.txt
(cd $t/www && exec timeout 120 $PY -c '
import http.server, socketserver, sys
class Q(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
s = socketserver.TCPServer(("127.0.0.1", 0), Q)
open(sys.argv[1], "w").write("%d\n" % s.server_address[1])
s.serve_forever()' $t/http.port) > $t/http.log 2>&1 &
PL_PIDS="$PL_PIDS $!"
pl_wait_file $t/http.port || { cat $t/http.log; pl_skip "HTTP server did not start"; }
port=$(cat $t/http.port)
echo "HTTP server on 127.0.0.1:$port"

pl_preflight curl -s -o /dev/null http://127.0.0.1:$port/token.txt

pl_run $t/o $t/e curl -s --max-time 30 http://web.legacy.test:$port/token.txt
pl_check "curl web.legacy.test: exit 0" test "$PL_RC" = 0
pl_check "curl web.legacy.test: got the token through the test server's A record" \
	test "$(cat $t/o)" = "$token"
pl_check "curl web.legacy.test: getaddrinfo answered by librfcres" \
	eval 'grep -q "lookup.start .*name=web.legacy.test" $t/e && pl_traced $t/e dns.send'

pl_run $t/o $t/e curl -s --max-time 30 -4 http://web.legacy.test:$port/token.txt
pl_check "curl -4 web.legacy.test: token (AF_INET hint)" test "$(cat $t/o)" = "$token"

pl_run $t/o $t/e curl -s --max-time 30 http://nosuch.legacy.test:$port/token.txt
pl_check "curl nosuch.legacy.test: exit 6 (could not resolve host)" test "$PL_RC" = 6
pl_check "curl nosuch.legacy.test: NXDOMAIN seen by librfcres" grep -q "rcode=NXDOMAIN" $t/e

pl_done
