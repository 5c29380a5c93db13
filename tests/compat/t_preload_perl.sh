#!/bin/bash
# LD_PRELOAD=librfcres.so into the system's unmodified perl: its built-in
# gethostbyname/gethostbyaddr (libc's, the _r variants on a threaded perl)
# and Socket::getaddrinfo, against rfcres-fakedns on 127.0.0.1.
# Args: build_dir source_dir.  Exit 77 = skipped.
PL_SCRIPT=$0
. "$2/tests/compat/preload-lib.sh"
pl_init "$@"
pl_need_tool perl perl-base
perl -MSocket -e 1 2>/dev/null || pl_skip "perl has no Socket module"
pl_start_dns
t=$PL_TMP
pl_preflight perl -MSocket -e 'my ($e, @r) = Socket::getaddrinfo("127.0.0.1", 80)'

pl() { pl_run $t/o $t/e perl -MSocket=:addrinfo,inet_ntoa,inet_aton,AF_INET,SOCK_STREAM,unpack_sockaddr_in -e "$1"; }

pl 'my ($name, $aliases, $type, $len, @a) = gethostbyname("big.legacy.test")
	or die "h_errno $?\n";
print "$name $type $len ", scalar(@a), "\n";
print inet_ntoa($_), "\n" for @a;'
pl_check "gethostbyname big: h_name, AF_INET, 4 bytes, 256 addresses" \
	test "$(head -1 $t/o)" = "big.legacy.test 2 4 256"
pl_check "gethostbyname big: exactly the server's addresses" \
	eval 'diff <(tail -n +2 $t/o | sort) <(pl_big_addrs | sort) >/dev/null'
pl_check "gethostbyname big: librfcres (legacy.byname, TC -> TCP)" \
	eval 'pl_traced $t/e legacy.byname && grep -q "transport=tcp" $t/e'

pl 'my @h = gethostbyname("alias.legacy.test") or die;
print "$h[0] [$h[1]] ", join(",", sort map { inet_ntoa($_) } @h[4..$#h]), "\n";'
pl_check "gethostbyname alias: CNAME target as h_name" \
	test "$(cat $t/o)" = "www.legacy.test [] 192.0.2.10,192.0.2.11"

pl 'my @h = gethostbyname("127.1") or die; print "$h[0] ", inet_ntoa($h[4]), "\n";'
pl_check "gethostbyname 127.1: inet_aton literal, name as given" \
	test "$(cat $t/o)" = "127.1 127.0.0.1"

pl 'my @h = gethostbyaddr(inet_aton("192.0.2.10"), AF_INET) or die "not found\n";
print "$h[0]\n";'
pl_check "gethostbyaddr 192.0.2.10: PTR from the server" \
	test "$(cat $t/o)" = "www.legacy.test"

pl 'my @h = gethostbyname("nosuch.legacy.test"); print scalar(@h), " $?\n";'
pl_check "gethostbyname nosuch: empty list, h_errno HOST_NOT_FOUND in \$?" \
	test "$(cat $t/o)" = "0 1"

pl 'my ($err, @r) = getaddrinfo("www.legacy.test", 80, {socktype => SOCK_STREAM, family => AF_INET});
die "$err\n" if $err;
print join(" ", sort map { inet_ntoa((unpack_sockaddr_in($_->{addr}))[1]) } @r), "\n";'
pl_check "Socket::getaddrinfo www AF_INET: both A records" \
	test "$(cat $t/o)" = "192.0.2.10 192.0.2.11"
pl_check "Socket::getaddrinfo: through librfcres" pl_traced $t/e lookup.start

pl_done
