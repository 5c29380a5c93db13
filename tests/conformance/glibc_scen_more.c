/*
 * glibc scenarios from resolv/tst-resolv-trailing, -nondecimal,
 * -short-response, -semi-failure, -af-unspec-noerror-nodata,
 * -getaddrinfo-fqdn, -rotate, -noaaaa, -edns, -invalid-cname and
 * tst-getaddrinfo-eai-again (server behaviour and expected results as
 * facts; docs/conformance.md).
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glibc_harness.h"
#include "rfcres.h"

#ifndef AI_IDN
#define AI_IDN 0x0040
#endif

/* Addresses followed by whitespace or junk are no addresses, and no DNS
 * query may be sent for them. */
static void trailing(void)
{
	static const char *const q[] = {
		"192.0.2.1 ",	"192.0.2.2\t",	 "192.0.2.3\n",	  "192.0.2.4 X",
		"192.0.2.5\tY", "192.0.2.6\nZ",	 "192.0.2. ",	  "192.0.2.\t",
		"192.0.2.\n",	"192.0.2. X",	 "192.0.2.\tY",	  "192.0.2.\nZ",
		"2001:db8::1 ", "2001:db8::2\t", "2001:db8::3\n", "2001:db8::4 X",
		"2001:db8::5\tY", "2001:db8::6\nZ",
	};
	static const int flags[] = {0,
				    AI_ADDRCONFIG,
				    AI_NUMERICHOST,
				    AI_IDN,
				    AI_IDN | AI_NUMERICHOST,
				    AI_V4MAPPED,
				    AI_V4MAPPED | AI_NUMERICHOST};
	static const int fam[] = {AF_INET, AF_INET6, AF_UNSPEC};
	resolv(NULL, 1, NULL);
	for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
		for (size_t f = 0; f < sizeof flags / sizeof flags[0]; f++)
			for (int a = 0; a < 3; a++)
				check_ai_hints(q[i], "80",
					       (struct addrinfo){.ai_family = fam[a],
								 .ai_flags = flags[f]},
					       "error: Name or service not known\n",
					       NULL);
		check_h(q[i], AF_INET, "error: HOST_NOT_FOUND\n");
		check_h(q[i], AF_INET6, "error: HOST_NOT_FOUND\n");
	}
	check_true("no DNS query for a malformed address", queries(0) == 0);
}

/* Octal and hexadecimal IPv4 forms (inet_aton), no DNS query. */
static void nondecimal(void)
{
	static const struct {
		const char *q, *a;
	} t[] = {
		{"192.000.002.010", "192.0.2.8"},
		{"0xc0000210", "192.0.2.16"},
		{"192.0x234", "192.0.2.52"},
	};
	resolv(NULL, 1, NULL);
	for (size_t i = 0; i < 3; i++) {
		char *e = xasprintf("address: STREAM/TCP %s 80\n", t[i].a);
		struct addrinfo h = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM,
				     .ai_protocol = IPPROTO_TCP};
		check_ai_hints(t[i].q, "80", h, e, NULL);
		h.ai_family = AF_UNSPEC;
		check_ai_hints(t[i].q, "80", h, e, NULL);
		free(e);
		e = xasprintf("flags: AI_V4MAPPED\naddress: STREAM/TCP ::ffff:%s 80\n",
			      t[i].a);
		h.ai_family = AF_INET6;
		h.ai_flags = AI_V4MAPPED;
		check_ai_hints(t[i].q, "80", h, e, NULL);
		free(e);
	}
	/* gethostbyname accepts the octal form only */
	check_h("192.000.002.010", AF_INET, "name: 192.000.002.010\naddress: 192.0.2.8\n");
	check_true("no DNS query for numeric forms", queries(0) == 0);
}

static const char www17[] = "www.example A 192.0.2.17\nwww.example AAAA 2001:db8::1\n";
static const char want_both[] = "address: STREAM/TCP 192.0.2.17 80\n"
				"address: STREAM/TCP 2001:db8::1 80\n";

/* Bug 31890: the first server answers with a 12-byte header (SERVFAIL,
 * NOTIMP, REFUSED; no question); the second has the data.  The lookup must
 * move on at once, not wait out its timeout (2 s here). */
static void short_response(void)
{
	static const int rc[] = {2, 4, 5};
	zone(srv[1], www17);
	resolv(NULL, 2, "options single-request timeout:2 attempts:1\n");
	for (int r = 0; r < 3; r++) {
		char spec[32];
		zone(srv[0], www17);
		snprintf(spec, sizeof spec, "short-rcode %d", rc[r]);
		fakedns_behave(srv[0], NULL, spec);
		for (int i = 0; i < 3; i++) {
			double t0 = now();
			check_ai_hints("www.example", "80",
				       (struct addrinfo){.ai_family = AF_UNSPEC,
							 .ai_socktype = SOCK_STREAM},
				       want_both, NULL);
			char what[96];
			snprintf(what, sizeof what,
				 "rcode %d in a short reply: next server before the timeout",
				 rc[r]);
			check_true(what, now() - t0 < 1.9);
			check_h("www.example", AF_INET6,
				"name: www.example\naddress: 2001:db8::1\n");
		}
	}
}

/* Bug 30081: the first server fails only the AAAA query (12-byte
 * SERVFAIL/NOTIMP/REFUSED), A is answered; glibc (without RES_STRICTERR)
 * accepts both addresses or the IPv4 one alone, with and without
 * single-request -- but never a timeout. */
static void semi_failure(void)
{
	static const int rc[] = {2, 4, 5};
	zone(srv[1], www17);
	for (int single = 0; single < 2; single++) {
		resolv(NULL, 2, single ? "options single-request timeout:2 attempts:1\n"
				       : "options timeout:2 attempts:1\n");
		for (int r = 0; r < 3; r++) {
			char spec[40];
			zone(srv[0], www17);
			snprintf(spec, sizeof spec, "short-rcode-aaaa %d", rc[r]);
			fakedns_behave(srv[0], NULL, spec);
			for (int i = 0; i < 3; i++) {
				double t0 = now();
				check_ai_hints("www.example", "80",
					       (struct addrinfo){.ai_family = AF_UNSPEC,
								 .ai_socktype = SOCK_STREAM},
					       want_both,
					       "address: STREAM/TCP 192.0.2.17 80\n");
				check_true("AAAA failure: no timeout", now() - t0 < 1.9);
			}
		}
	}
}

/* BZ 14308: one of A/AAAA is NOERROR/NODATA with RA=0, the other has the
 * address; AF_UNSPEC returns that address. */
static void unspec_nodata(void)
{
	resolv(NULL, 1, NULL);
	zone(srv[0], "foo.site.example A 127.128.129.130\n"
		     "@behaviour * nodata-no-ra\n");
	struct addrinfo h = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	check_ai_hints("foo.site.example", "80", h,
		       "address: STREAM/TCP 127.128.129.130 80\n", NULL);
	zone(srv[0], "foo.site.example AAAA ::1\n@behaviour * nodata-no-ra\n");
	check_ai_hints("foo.site.example", "80", h, "address: STREAM/TCP ::1 80\n",
		       NULL);
}

/* BZ 15218: AI_CANONNAME after a search suffix applied is the FQDN, set
 * on the first entry only. */
static void gai_fqdn(void)
{
	static const char z[] = "foo.site.example A 127.126.125.124\n"
				"foo.site.example AAAA ::1\n"
				"bar.foo.site.example A 127.126.125.124\n"
				"bar.foo.site.example AAAA ::1\n"
				"site.example A 127.126.125.124\n"
				"site.example AAAA ::1\n";
	static const struct {
		const char *search, *q, *fqdn;
	} t[] = {
		{"search site.example\n", "foo", "foo.site.example"},
		{"search site.example\n", "bar.foo", "bar.foo.site.example"},
		{"search example\n", "foo.site", "foo.site.example"},
		{"search example\n", "bar.foo.site", "bar.foo.site.example"},
		{"search example\n", "site", "site.example"},
	};
	zone(srv[0], z);
	const int fam[] = {AF_INET, AF_INET6, AF_UNSPEC};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		resolv(t[i].search, 1, NULL);
		for (int f = 0; f < 3; f++) {
			struct addrinfo *ai = NULL;
			struct addrinfo h = {.ai_family = fam[f],
					     .ai_flags = AI_CANONNAME};
			int rc = rfcres_getaddrinfo(t[i].q, NULL, &h, &ai);
			char *got = rc ? fmt_ai(rc, NULL)
				       : xasprintf("canonname: %s\n",
						   ai->ai_canonname ? ai->ai_canonname
								    : "(none)");
			char *want = xasprintf("canonname: %s\n", t[i].fqdn);
			char what[128];
			snprintf(what, sizeof what, "AI_CANONNAME \"%s\" family %d",
				 t[i].q, fam[f]);
			compare(what, got, want, NULL);
			free(got);
			free(want);
			if (!rc) {
				int n = 0;
				for (struct addrinfo *p = ai; p; p = p->ai_next)
					n += p->ai_canonname != NULL;
				check_true("exactly one ai_canonname", n == 1);
				rfcres_freeaddrinfo(ai);
			}
		}
	}
}

/* RES_ROTATE over three servers: every lookup succeeds, every working
 * server gets queries; "2." names (forward and reverse) need TCP; also with
 * one server not listening and with one dropping everything. */
static const char rotate_zone[] =
	"host.example A 192.0.2.1\nhost.example AAAA 2001:db8::1\n"
	"2.host.example A 192.0.2.2\n2.host.example AAAA 2001:db8::2\n"
	"@behaviour 2.host.example truncate-noedns 12\n"
	"1.2.0.192.in-addr.arpa PTR host.example\n"
	"2.2.0.192.in-addr.arpa PTR 2.host.example\n"
	"@behaviour 2.2.0.192.in-addr.arpa truncate-noedns 12\n"
	"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa "
	"PTR host.example\n"
	"2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa "
	"PTR 2.host.example\n"
	"@behaviour 2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa "
	"truncate-noedns 12\n";

static void rotate_forward(const char *name, int lsb)
{
	const int fam[] = {AF_INET, AF_INET6, AF_UNSPEC};
	for (int f = 0; f < 3; f++) {
		char a4[64] = "", a6[64] = "";
		if (fam[f] != AF_INET6)
			snprintf(a4, sizeof a4, "address: STREAM/TCP 192.0.2.%d 80\n", lsb);
		if (fam[f] != AF_INET)
			snprintf(a6, sizeof a6, "address: STREAM/TCP 2001:db8::%d 80\n", lsb);
		char *want = xasprintf("%s%s", a4, a6);
		struct addrinfo h = {.ai_family = fam[f], .ai_socktype = SOCK_STREAM,
				     .ai_protocol = IPPROTO_TCP};
		struct addrinfo *ai = NULL;
		int rc = rfcres_getaddrinfo(name, "80", &h, &ai);
		char *got = fmt_ai(rc, ai);
		compare(name, got, want, NULL);
		free(got);
		free(want);
		for (struct addrinfo *p = rc ? NULL : ai; p; p = p->ai_next) {
			char host[200];
			int r = rfcres_getnameinfo(p->ai_addr, p->ai_addrlen, host,
						   sizeof host, NULL, 0, 0);
			char *g = r ? xasprintf("error %d\n", r) : xasprintf("%s\n", host);
			compare("getnameinfo (PTR)", g, lsb == 1 ? "host.example\n"
								: "2.host.example\n",
				NULL);
			free(g);
		}
		if (!rc)
			rfcres_freeaddrinfo(ai);
	}
	char *w = xasprintf("name: %s\naddress: 192.0.2.%d\n", name, lsb);
	check_h(name, AF_INET, w);
	free(w);
}

static void rotate(void)
{
	/* 0: all three up; 1: server 1 not listening; 2: server 2 drops */
	for (int mode = 0; mode < 3; mode++) {
		zone_all(3, rotate_zone);
		reset_counters(3);
		if (mode == 2)
			fakedns_behave(srv[2], NULL, "drop-all");
		/* servers 0, 1 (or a port nothing listens on: ICMP port
		 * unreachable), 2 */
		if (mode == 1) {
			char *pre = xasprintf("nameserver 127.0.0.1:%u\n"
					      "nameserver 127.0.0.1:9\n",
					      fakedns_port(srv[0]));
			char *ext = xasprintf("nameserver 127.0.0.1:%u\n"
					      "options rotate timeout:1 attempts:2\n",
					      fakedns_port(srv[2]));
			resolv(pre, 0, ext);
			free(pre);
			free(ext);
		} else {
			resolv(NULL, 3, "options rotate timeout:1 attempts:2\n");
		}
		rotate_forward("host.example", 1);
		/* the dropping server costs a timeout per lookup it gets
		 * first: the TCP names only where it is not there */
		if (mode != 2)
			rotate_forward("2.host.example", 2);
		for (int i = 0; i < 3; i++) {
			if ((mode == 1 && i == 1) || (mode == 2 && i == 2))
				continue;
			char what[80];
			snprintf(what, sizeof what, "rotate (mode %d): server %d asked",
				 mode, i);
			check_true(what, queries(i) > 0);
		}
	}
}

/* options no-aaaa: no AAAA query ever; AF_INET6 gives NODATA (or NXDOMAIN
 * for a name that does not exist); AF_UNSPEC the IPv4 addresses. */
static void noaaaa(void)
{
	resolv(NULL, 1, "options no-aaaa\n");
	zone(srv[0], "an1.ns2.ar1.example A 192.0.2.1\n"
		     "an3.ns2.ar1.example A 192.0.2.1-3\n"
		     "@behaviour an0.ns2.ar1.example nodata\n");
	struct addrinfo h = {.ai_socktype = SOCK_STREAM};
	static const char *const names[] = {"an1.ns2.ar1.example",
					    "an3.ns2.ar1.example",
					    "an0.ns2.ar1.example",
					    "an-1.ns2.ar1.example"};
	static const char *const v4[] = {
		"address: STREAM/TCP 192.0.2.1 80\n",
		("address: STREAM/TCP 192.0.2.1 80\naddress: STREAM/TCP 192.0.2.2 80\n"
		 "address: STREAM/TCP 192.0.2.3 80\n"),
		"error: No address associated with hostname\n",
		"error: Name or service not known\n"};
	for (int i = 0; i < 4; i++) {
		h.ai_family = AF_INET;
		check_ai_hints(names[i], "80", h, v4[i], NULL);
		h.ai_family = AF_INET6;
		check_ai_hints(names[i], "80", h,
			       i < 3 ? "error: No address associated with hostname\n"
				     : "error: Name or service not known\n",
			       NULL);
		h.ai_family = AF_UNSPEC;
		check_ai_hints(names[i], "80", h, v4[i], NULL);
	}
	check_h("an1.ns2.ar1.example", AF_INET,
		"name: an1.ns2.ar1.example\naddress: 192.0.2.1\n");
	check_h("an1.ns2.ar1.example", AF_INET6, "error: NO_ADDRESS\n");
	struct fakedns_counters c;
	fakedns_counters(srv[0], &c);
	check_true("no-aaaa: no AAAA query sent", c.q_aaaa == 0);
}

/* EDNS: with "options edns0" queries carry OPT; a server that answers
 * FORMERR to EDNS queries ("formerr." names) still yields the answer (the
 * query is repeated without EDNS), also when TCP is needed. */
static void edns(void)
{
	zone(srv[0], "www.example A 192.0.2.17\nwww.example AAAA 2001:db8::1\n"
		     "formerr.www.example A 192.0.2.17\n"
		     "formerr.www.example AAAA 2001:db8::1\n"
		     "@behaviour formerr.www.example formerr-edns\n"
		     "formerr.tcp.www.example A 192.0.2.17\n"
		     "formerr.tcp.www.example AAAA 2001:db8::1\n"
		     "@behaviour formerr.tcp.www.example formerr-edns\n"
		     "@behaviour formerr.tcp.www.example truncate-noedns 12\n");
	struct addrinfo h = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct fakedns_counters c;
	resolv(NULL, 1, NULL);
	reset_counters(1);
	check_ai_hints("www.example", "80", h, want_both, NULL);
	fakedns_counters(srv[0], &c);
	check_true("without edns0: no OPT record", c.edns_queries == 0);
	resolv(NULL, 1, "options edns0\n");
	reset_counters(1);
	check_ai_hints("www.example", "80", h, want_both, NULL);
	fakedns_counters(srv[0], &c);
	check_true("with edns0: OPT record sent", c.edns_queries > 0);
	check_ai_hints("formerr.www.example", "80", h, want_both, NULL);
	check_ai_hints("formerr.tcp.www.example", "80", h, want_both, NULL);
}

/* Bug 12154: CNAME chains through names that are not host names ("*.",
 * "-x.", "star.*." prefixes) still give the address; AI_CANONNAME is the
 * last valid name in the chain, or the query name when none is. */
static void invalid_cname(void)
{
	static const char *const prefix[4] = {"", "*.", "-x.", "star.*."};
	static const struct {
		int bits, count;
	} t[] = {{0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 2}, {1, 2},
		 {8, 2}, {35, 3}, {0, 0}, {63, 3}};
	resolv(NULL, 1, NULL);
	for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
		int bits = t[k].bits, count = t[k].count;
		char q[64], prev[96], z[2048];
		size_t o = 0;
		snprintf(q, sizeof q, "bits%d.count%d.example", bits, count);
		snprintf(prev, sizeof prev, "%s", q);
		int last_valid = -1;
		for (int u = 0; u < count; u++) {
			char next[96];
			snprintf(next, sizeof next, "%sunique%d.example",
				 prefix[(bits >> (2 * u)) & 3], u);
			if (((bits >> (2 * u)) & 3) == 0)
				last_valid = u;
			o += (size_t)snprintf(z + o, sizeof z - o, "%s CNAME %s\n",
					      prev, next);
			snprintf(prev, sizeof prev, "%s", next);
		}
		int last = count * 256 + bits;
		o += (size_t)snprintf(z + o, sizeof z - o,
				      "%s A 192.168.%d.%d\n%s AAAA 2001:db8::%x\n",
				      prev, count, bits, prev, last);
		zone(srv[0], z);
		char canon[96];
		if (last_valid >= 0)
			snprintf(canon, sizeof canon, "unique%d.example", last_valid);
		else
			snprintf(canon, sizeof canon, "%s", q);
		char a6[48];
		if (last)
			snprintf(a6, sizeof a6, "2001:db8::%x", last);
		else
			snprintf(a6, sizeof a6, "2001:db8::");
		const int fam[] = {AF_INET, AF_INET6, AF_UNSPEC};
		for (int f = 0; f < 3; f++) {
			char *a4l = fam[f] != AF_INET6
					    ? xasprintf("address: STREAM/TCP 192.168.%d.%d 80\n",
							count, bits)
					    : xasprintf("%s", "");
			char *a6l = fam[f] != AF_INET
					    ? xasprintf("address: STREAM/TCP %s 80\n", a6)
					    : xasprintf("%s", "");
			struct addrinfo h = {.ai_family = fam[f],
					     .ai_socktype = SOCK_STREAM};
			char *w = xasprintf("%s%s", a4l, a6l);
			check_ai_hints(q, "80", h, w, NULL);
			free(w);
			h.ai_flags = AI_CANONNAME;
			w = xasprintf("flags: AI_CANONNAME\ncanonname: %s\n%s%s", canon,
				      a4l, a6l);
			check_ai_hints(q, "80", h, w, NULL);
			free(w);
			free(a4l);
			free(a6l);
		}
	}
}

/* No server reachable: EAI_AGAIN for every family. */
static void eai_again(void)
{
	resolv("nameserver 127.0.0.1:9\n", 0, "options timeout:1 attempts:1\n");
	const int fam[] = {AF_INET, AF_INET6, AF_UNSPEC};
	for (int f = 0; f < 3; f++)
		check_ai_hints("site.example", NULL,
			       (struct addrinfo){.ai_family = fam[f]},
			       "error: Temporary failure in name resolution\n", NULL);
}

const struct scenario scen_more[] = {
	{"trailing", "tst-resolv-trailing", trailing},
	{"nondecimal", "tst-resolv-nondecimal", nondecimal},
	{"short-response", "tst-resolv-short-response (bug 31890)",
	 short_response},
	{"semi-failure", "tst-resolv-semi-failure (bug 30081)", semi_failure},
	{"unspec-noerror-nodata", "tst-resolv-af-unspec-noerror-nodata",
	 unspec_nodata},
	{"getaddrinfo-fqdn", "tst-resolv-getaddrinfo-fqdn (BZ 15218)", gai_fqdn},
	{"rotate", "tst-resolv-rotate", rotate},
	{"noaaaa", "tst-resolv-noaaaa", noaaaa},
	{"edns", "tst-resolv-edns (formerr., tcp.)", edns},
	{"invalid-cname", "tst-resolv-invalid-cname (bug 12154)", invalid_cname},
	{"eai-again", "tst-getaddrinfo-eai-again", eai_again},
};
const unsigned n_scen_more = sizeof scen_more / sizeof scen_more[0];
