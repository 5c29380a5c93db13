/*
 * glibc scenarios from resolv/tst-resolv-basic.c and resolv/tst-resolv-search.c
 * (server behaviour and expected results as facts; docs/conformance.md).
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glibc_harness.h"

/* ---- tst-resolv-basic ---------------------------------------------------- */

/* glibc's server: A 192.0.2.(17 + kind + 2*tcp), AAAA 2001:db8::(1 + kind
 * + 2*tcp), kind www=0 alias=1 long=3; alias.example is a CNAME to
 * www.example followed by the target's record; "t." names are truncated
 * over UDP and answered over TCP. */
static const char www_zone[] = "www.example A 192.0.2.17\n"
			       "www.example AAAA 2001:db8::1\n";
static const char alias_zone[] = "alias.example CNAME www.example\n"
				 "www.example A 192.0.2.18\n"
				 "www.example AAAA 2001:db8::2\n";

static void basic_www(void)
{
	resolv(NULL, 1, NULL);
	zone(srv[0], www_zone);
	char *e = expect3(NULL, "192.0.2.17", "2001:db8::1");
	check_ai("www.example", "80", AF_UNSPEC, e);
	free(e);
	e = expect3("flags: AI_CANONNAME\ncanonname: www.example\n",
		    "192.0.2.17", "2001:db8::1");
	check_ai_hints("www.example", "80",
		       (struct addrinfo){.ai_family = AF_UNSPEC,
					 .ai_flags = AI_CANONNAME},
		       e, NULL);
	free(e);
	e = expect3(NULL, "192.0.2.17", NULL);
	check_ai("www.example", "80", AF_INET, e);
	free(e);
	e = expect3("flags: AI_CANONNAME\ncanonname: www.example\n",
		    "192.0.2.17", NULL);
	check_ai_hints("www.example", "80",
		       (struct addrinfo){.ai_family = AF_INET,
					 .ai_flags = AI_CANONNAME},
		       e, NULL);
	free(e);
	e = expect3(NULL, NULL, "2001:db8::1");
	check_ai("www.example", "80", AF_INET6, e);
	free(e);
	e = expect3("flags: AI_CANONNAME\ncanonname: www.example\n", NULL,
		    "2001:db8::1");
	check_ai_hints("www.example", "80",
		       (struct addrinfo){.ai_family = AF_INET6,
					 .ai_flags = AI_CANONNAME},
		       e, NULL);
	free(e);
	check_h("www.example", AF_INET, "name: www.example\naddress: 192.0.2.17\n");
	check_h("www.example", AF_INET6, "name: www.example\naddress: 2001:db8::1\n");
}

static void basic_alias(void)
{
	resolv(NULL, 1, NULL);
	zone(srv[0], alias_zone);
	const int fam[] = {AF_UNSPEC, AF_INET, AF_INET6};
	for (int i = 0; i < 3; i++) {
		const char *a4 = fam[i] != AF_INET6 ? "192.0.2.18" : NULL;
		const char *a6 = fam[i] != AF_INET ? "2001:db8::2" : NULL;
		char *e = expect3(NULL, a4, a6);
		check_ai("alias.example", "80", fam[i], e);
		free(e);
		e = expect3("flags: AI_CANONNAME\ncanonname: www.example\n", a4, a6);
		check_ai_hints("alias.example", "80",
			       (struct addrinfo){.ai_family = fam[i],
						 .ai_flags = AI_CANONNAME},
			       e, NULL);
		free(e);
	}
	check_h("alias.example", AF_INET,
		"name: www.example\nalias: alias.example\naddress: 192.0.2.18\n");
	check_h("alias.example", AF_INET6,
		"name: www.example\nalias: alias.example\naddress: 2001:db8::2\n");
}

/* The longest name: four labels, 253 octets. */
static void basic_long_name(void)
{
	char name[260];
	memset(name, 'a', sizeof name);
	name[62] = 'x', name[63] = '.';
	name[126] = 'y', name[127] = '.';
	name[190] = 'z', name[191] = '.';
	name[252] = 't', name[253] = '\0';
	char *z = xasprintf("%s A 192.0.2.20\n%s AAAA 2001:db8::4\n", name, name);
	resolv(NULL, 1, NULL);
	zone(srv[0], z);
	free(z);
	char *e = expect3(NULL, "192.0.2.20", "2001:db8::4");
	check_ai(name, "80", AF_UNSPEC, e);
	free(e);
	e = expect3(NULL, "192.0.2.20", NULL);
	check_ai(name, "80", AF_INET, e);
	free(e);
	e = expect3(NULL, NULL, "2001:db8::4");
	check_ai(name, "80", AF_INET6, e);
	free(e);
	z = xasprintf("name: %s\naddress: 192.0.2.20\n", name);
	check_h(name, AF_INET, z);
	free(z);
}

/* "t." names: TC over UDP (no records fit), the answer over TCP. */
static void basic_tcp(void)
{
	resolv(NULL, 1, NULL);
	zone(srv[0], "t.www.example A 192.0.2.19\n"
		     "t.www.example AAAA 2001:db8::3\n"
		     "@behaviour t.www.example truncate-noedns 12\n");
	const int fam[] = {AF_UNSPEC, AF_INET, AF_INET6};
	for (int i = 0; i < 3; i++) {
		char *e = expect3(NULL, fam[i] != AF_INET6 ? "192.0.2.19" : NULL,
				  fam[i] != AF_INET ? "2001:db8::3" : NULL);
		check_ai("t.www.example", "80", fam[i], e);
		free(e);
	}
	check_h("t.www.example", AF_INET, "name: t.www.example\naddress: 192.0.2.19\n");
	check_true("t.www.example answered over TCP",
		   fakedns_tcp_query_count(srv[0], "t.www.example", 0) > 0);
	zone(srv[0], "t.alias.example CNAME www.example\n"
		     "www.example A 192.0.2.20\n"
		     "www.example AAAA 2001:db8::4\n"
		     "@behaviour t.alias.example truncate-noedns 12\n");
	for (int i = 0; i < 3; i++) {
		char *e = expect3(NULL, fam[i] != AF_INET6 ? "192.0.2.20" : NULL,
				  fam[i] != AF_INET ? "2001:db8::4" : NULL);
		check_ai("t.alias.example", "80", fam[i], e);
		free(e);
	}
	check_h("t.alias.example", AF_INET6,
		"name: www.example\nalias: t.alias.example\naddress: 2001:db8::4\n");
	check_true("t.alias.example answered over TCP",
		   fakedns_tcp_query_count(srv[0], "t.alias.example", 0) > 0);
}

/* test_nodata_nxdomain: every family, UDP and TCP, plain, AI_V4MAPPED|AI_ALL
 * and with AI_CANONNAME. */
static void basic_nodata_nxdomain(void)
{
	resolv(NULL, 1, NULL);
	zone(srv[0], "@behaviour nodata.example nodata\n"
		     "@behaviour t.nodata.example nodata\n"
		     "@behaviour t.nodata.example truncate-noedns 12\n"
		     "@behaviour t.nxdomain.example nxdomain\n"
		     "@behaviour t.nxdomain.example truncate-noedns 12\n");
	const int fam[] = {AF_UNSPEC, AF_INET, AF_INET6};
	for (int i = 0; i < 3; i++)
		for (int tcp = 0; tcp < 2; tcp++)
			for (int nx = 0; nx < 2; nx++) {
				char name[64];
				snprintf(name, sizeof name, "%s%s.example",
					 tcp ? "t." : "", nx ? "nxdomain" : "nodata");
				const char *want =
					nx ? "error: Name or service not known\n"
					   : "error: No address associated with hostname\n";
				if (fam[i] != AF_UNSPEC)
					check_h(name, fam[i],
						nx ? "error: HOST_NOT_FOUND\n"
						   : "error: NO_ADDRESS\n");
				check_ai(name, "80", fam[i], want);
				struct addrinfo h = {.ai_family = fam[i],
						     .ai_flags = AI_V4MAPPED | AI_ALL};
				check_ai_hints(name, "80", h, want, NULL);
				h.ai_flags |= AI_CANONNAME;
				check_ai_hints(name, "80", h, want, NULL);
			}
}

/* Bug 21295: AF_INET6 + AI_V4MAPPED|AI_ALL merges both answers (either
 * order is accepted by glibc's test), over UDP and over TCP. */
static void basic_bug21295(void)
{
	resolv(NULL, 1, NULL);
	zone(srv[0], "www.example A 192.0.2.17\nwww.example AAAA 2001:db8::1\n"
		     "t.www.example A 192.0.2.19\nt.www.example AAAA 2001:db8::3\n"
		     "@behaviour t.www.example truncate-noedns 12\n");
	struct addrinfo h = {.ai_family = AF_INET6, .ai_socktype = SOCK_STREAM,
			     .ai_flags = AI_V4MAPPED | AI_ALL};
	check_ai_hints("www.example", "80", h,
		       "flags: AI_V4MAPPED AI_ALL\n"
		       "address: STREAM/TCP 2001:db8::1 80\n"
		       "address: STREAM/TCP ::ffff:192.0.2.17 80\n",
		       "flags: AI_V4MAPPED AI_ALL\n"
		       "address: STREAM/TCP ::ffff:192.0.2.17 80\n"
		       "address: STREAM/TCP 2001:db8::1 80\n");
	check_ai_hints("t.www.example", "80", h,
		       "flags: AI_V4MAPPED AI_ALL\n"
		       "address: STREAM/TCP 2001:db8::3 80\n"
		       "address: STREAM/TCP ::ffff:192.0.2.19 80\n",
		       "flags: AI_V4MAPPED AI_ALL\n"
		       "address: STREAM/TCP ::ffff:192.0.2.19 80\n"
		       "address: STREAM/TCP 2001:db8::3 80\n");
}

/* ---- tst-resolv-search --------------------------------------------------- */

/* glibc's table: name, number of addresses (negative: that rcode).  Record
 * i of entry `index` is A 10.index.(i>>8).(i&255) and AAAA
 * 2001:db8::(index+1):(i+1); more than five force TCP in glibc's server
 * (here: they do not fit the UDP answer either). */
static const struct {
	const char *name;
	int n;
} items[] = {
	{"hostname.usersys.example.com", 1},
	{"hostname.corp.example.com", 1},
	{"hostname.example.com", 1},
	{"mail.corp.example.com", 1},
	{"mail.example.com", 1},
	{"file.corp.example.com", 2},
	{"file.corp", 1},
	{"file.example.com", 1},
	{"servfail-usersys.usersys.example.com", -2},
	{"servfail-usersys.corp.example.com", 1},
	{"servfail-usersys.example.com", 1},
	{"servfail-corp.usersys.example.com", 1},
	{"servfail-corp.corp.example.com", -2},
	{"servfail-corp.example.com", 1},
	{"www.example.com", 1},
	{"large.example.com", 200},
	{"large-servfail.usersys.example.com", -2},
	{"large-servfail.example.com", 2000},
};
#define NITEMS (sizeof items / sizeof items[0])

static void search_zone(int nsrv)
{
	for (int s = 0; s < nsrv; s++) {
		zone(srv[s], "@behaviour example.com nodata\n"
			     "@behaviour usersys.example.com nodata\n"
			     "@behaviour corp.example.com nodata\n");
		for (size_t i = 0; i < NITEMS; i++) {
			if (items[i].n < 0) {
				fakedns_behave(srv[s], items[i].name, "servfail");
				continue;
			}
			char a[32], a6[48];
			snprintf(a, sizeof a, "10.%zu.0.0", i);
			snprintf(a6, sizeof a6, "2001:db8::%zx:1", i + 1);
			fakedns_add_a_range(srv[s], items[i].name, a,
					    (unsigned)items[i].n);
			fakedns_add_aaaa_range(srv[s], items[i].name, a6,
					       (unsigned)items[i].n);
		}
	}
}

static size_t item(const char *fqdn)
{
	for (size_t i = 0; i < NITEMS; i++)
		if (strcmp(items[i].name, fqdn) == 0)
			return i;
	abort();
}

/* do_gai (AF_INET, AF_INET6, AF_UNSPEC; SOCK_STREAM/TCP) and do_get
 * (gethostbyname2 for both families) of glibc's do_both */
static void search_both(const char *name, const char *fqdn)
{
	size_t idx = item(fqdn);
	int n = items[idx].n;
	const int fam[] = {AF_INET, AF_INET6, AF_UNSPEC};
	for (int f = 0; f < 3; f++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *o = open_memstream(&buf, &len);
		for (int pass = 0; pass < 2; pass++) {
			if ((pass == 0 && fam[f] == AF_INET6) ||
			    (pass == 1 && fam[f] == AF_INET))
				continue;
			for (int i = 0; i < n; i++) {
				if (pass == 0)
					fprintf(o, "address: STREAM/TCP 10.%zu.%d.%d 80\n",
						idx, (i >> 8) & 255, i & 255);
				else
					fprintf(o, "address: STREAM/TCP 2001:db8::%zx:%x 80\n",
						idx + 1, i + 1);
			}
		}
		fclose(o);
		check_ai_hints(name, "80",
			       (struct addrinfo){.ai_family = fam[f],
						 .ai_socktype = SOCK_STREAM,
						 .ai_protocol = IPPROTO_TCP},
			       buf, NULL);
		free(buf);
	}
	if (n <= 2) { /* the hostent form, for the small answers */
		char *w = n == 2 ? xasprintf("name: %s\naddress: 10.%zu.0.0\n"
					     "address: 10.%zu.0.1\n",
					     fqdn, idx, idx)
				 : xasprintf("name: %s\naddress: 10.%zu.0.0\n",
					     fqdn, idx);
		check_h(name, AF_INET, w);
		free(w);
	}
}

static const char search_list[] = "search usersys.example.com corp.example.com example.com\n";

static void search_order(void)
{
	search_zone(1);
	resolv(search_list, 1, NULL);
	search_both("file", "file.corp.example.com");
	search_both("www", "www.example.com");
	search_both("file.corp", "file.corp");
}

static void search_servfail(void)
{
	search_zone(1);
	resolv(search_list, 1, NULL);
	search_both("servfail-usersys", "servfail-usersys.corp.example.com");
	search_both("servfail-corp", "servfail-corp.usersys.example.com");
}

static void search_large(void)
{
	search_zone(1);
	resolv(search_list, 1, NULL);
	search_both("large", "large.example.com");
	search_both("large-servfail", "large-servfail.example.com");
	check_true("large answers came over TCP",
		   fakedns_tcp_query_count(srv[0], "large.example.com", 0) > 0);
}

/* rcode_override: the first server answers SERVFAIL (then REFUSED) to
 * everything; the second has the data.  The search list walk must not
 * change. */
static void search_server_rcode(void)
{
	static const char *rc[] = {"servfail", "refused"};
	for (int r = 0; r < 2; r++) {
		search_zone(2);
		fakedns_behave(srv[0], NULL, rc[r]);
		resolv(search_list, 2, NULL);
		search_both("hostname", "hostname.usersys.example.com");
		search_both("large", "large.example.com");
		search_both("large-servfail", "large-servfail.example.com");
		search_both("mail", "mail.corp.example.com");
		search_both("file.corp", "file.corp");
	}
}

/* Bug 19791: the first server, 255.255.255.255, cannot be connected to;
 * the next one answers. */
static void search_unconnectable(void)
{
	search_zone(1);
	char *pre = xasprintf("%snameserver 255.255.255.255\n", search_list);
	resolv(pre, 1, NULL);
	free(pre);
	search_both("file", "file.corp.example.com");
	search_both("www", "www.example.com");
	search_both("servfail-usersys", "servfail-usersys.corp.example.com");
}

const struct scenario scen_basic[] = {
	{"basic-www", "tst-resolv-basic (www.example)", basic_www},
	{"basic-alias", "tst-resolv-basic (alias.example CNAME)", basic_alias},
	{"basic-long-name", "tst-resolv-basic (LONG_NAME)", basic_long_name},
	{"basic-tcp", "tst-resolv-basic (t. names: TC, TCP)", basic_tcp},
	{"basic-nodata-nxdomain", "tst-resolv-basic test_nodata_nxdomain",
	 basic_nodata_nxdomain},
	{"basic-bug21295", "tst-resolv-basic test_bug_21295", basic_bug21295},
	{"search-order", "tst-resolv-search (search list, ndots)", search_order},
	{"search-servfail", "tst-resolv-search (SERVFAIL at a suffix)",
	 search_servfail},
	{"search-large", "tst-resolv-search (200/2000 addresses)", search_large},
	{"search-server-rcode", "tst-resolv-search (rcode_override)",
	 search_server_rcode},
	{"search-unconnectable", "tst-resolv-search (bug 19791)",
	 search_unconnectable},
};
const unsigned n_scen_basic = sizeof scen_basic / sizeof scen_basic[0];
