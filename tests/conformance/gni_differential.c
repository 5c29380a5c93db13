/*
 * getnameinfo differential: glibc's getnameinfo and rfcres_getnameinfo in
 * one process over the same hosts file, services file, DNS server and
 * host name, for every combination of address (both families, IPv4-mapped,
 * scope ids, AF_UNIX, unknown families, short lengths), port, flags and
 * buffer sizes (including too small ones).  Return code and, on success,
 * both output strings must match, except where the expected-difference
 * table says otherwise (each entry names its section of docs/deviations.md).
 *
 * Run by t_getnameinfo_differential.sh inside private network, mount and
 * UTS namespaces: /etc/hosts = tests/conformance/gni.hosts, host name
 * box.example.test (NI_NOFQDN cuts ".example.test"), and rfcres-fakedns on
 * 127.0.0.1:53 serving tests/conformance/gni.zone (PTR records).
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "rfcres.h"

#ifndef NI_IDN
#define NI_IDN 32
#endif

typedef int (*gni_fn)(const struct sockaddr *, socklen_t, char *, socklen_t,
		      char *, socklen_t, int);

struct addr_case {
	const char *label;
	struct sockaddr_storage ss;
	socklen_t len;
};

struct combo {
	const struct addr_case *a;
	int port, flags;
	int hostlen, servlen; /* -1: NULL buffer */
};

/* Expected differences: predicate + the deviations.md section. */
struct expected {
	const char *section;
	bool (*applies)(const struct combo *c, const char *g, const char *r);
	unsigned hits;
};

/* fe80::5%lo is in the hosts file as "scoped": glibc rejects that line
 * (inet_pton fails on the zone), librfcres keeps it, so every non-numeric
 * lookup of that address differs (name vs numeric form, and the error
 * codes that follow: NI_NAMEREQD, buffer sizes). */
static bool d_hosts_zone(const struct combo *c, const char *g, const char *r)
{
	(void)g;
	(void)r;
	return strcmp(c->a->label, "fe80::5%lo") == 0 &&
	       !(c->flags & NI_NUMERICHOST);
}

/* ::ffff:10.2.0.1: librfcres looks IPv4-mapped addresses up as IPv4 in
 * the hosts file too ("v4only"); glibc's files backend compares them as
 * IPv6 and finds nothing (its DNS backend does unmap them). */
static bool d_mapped_hosts(const struct combo *c, const char *g,
			   const char *r)
{
	(void)g;
	(void)r;
	return strcmp(c->a->label, "::ffff:10.2.0.1") == 0 &&
	       !(c->flags & NI_NUMERICHOST);
}

static struct expected expected[] = {
	{"Zone ids in the hosts file", d_hosts_zone, 0},
	{"IPv4-mapped addresses in the hosts file (getnameinfo)", d_mapped_hosts, 0},
};
#define NEXPECTED (sizeof expected / sizeof expected[0])
#define N(a) (sizeof a / sizeof a[0])

static struct addr_case addrs[32];
static size_t naddrs;

static void add4(const char *s)
{
	struct addr_case *a = &addrs[naddrs++];
	struct sockaddr_in *s4 = (void *)&a->ss;
	memset(a, 0, sizeof *a);
	a->label = s;
	s4->sin_family = AF_INET;
	inet_pton(AF_INET, s, &s4->sin_addr);
	a->len = sizeof *s4;
}

static void add6(const char *label, const char *s, unsigned scope)
{
	struct addr_case *a = &addrs[naddrs++];
	struct sockaddr_in6 *s6 = (void *)&a->ss;
	memset(a, 0, sizeof *a);
	a->label = label;
	s6->sin6_family = AF_INET6;
	inet_pton(AF_INET6, s, &s6->sin6_addr);
	s6->sin6_scope_id = scope;
	a->len = sizeof *s6;
}

static void setup_addrs(void)
{
	unsigned lo = if_nametoindex("lo");
	add4("127.0.0.1");	/* hosts: localhost */
	add4("10.1.0.1");	/* hosts: multi.example.test (NOFQDN: multi) */
	add4("10.2.0.1");	/* hosts: v4only */
	add4("10.4.0.2");	/* hosts: second "dup" line */
	add4("192.0.2.77");	/* DNS PTR dns-name.example.test */
	add4("192.0.2.78");	/* DNS NXDOMAIN */
	add4("192.0.2.79");	/* DNS PTR, 70-character name */
	add4("192.0.2.80");	/* DNS SERVFAIL */
	add4("192.0.2.81");	/* DNS PTR xn--bcher-kva.example.test */
	add4("0.0.0.0");
	add6("::1", "::1", 0);		/* hosts: localhost */
	add6("2001:db8::10", "2001:db8::10", 0); /* hosts: multi... */
	add6("::ffff:10.2.0.1", "::ffff:10.2.0.1", 0); /* mapped: v4only */
	add6("2001:db8::99", "2001:db8::99", 0);	  /* DNS PTR */
	add6("2001:db8::98", "2001:db8::98", 0);	  /* DNS NXDOMAIN */
	add6("fe80::5%lo", "fe80::5", lo);	/* hosts "fe80::5%lo scoped" */
	add6("fe80::1%lo", "fe80::1", lo);
	add6("fe80::1%999", "fe80::1", 999);	/* no such interface */
	add6("ff02::1%lo", "ff02::1", lo);	/* link-scoped multicast */
	add6("2001:db8::1%5", "2001:db8::1", 5); /* global with a scope */
	add6("::", "::", 0);
	/* AF_UNIX: host is the node name, serv the path */
	struct addr_case *u = &addrs[naddrs++];
	memset(u, 0, sizeof *u);
	u->label = "unix:/run/test.sock";
	struct sockaddr_un *su = (void *)&u->ss;
	su->sun_family = AF_UNIX;
	strcpy(su->sun_path, "/run/test.sock");
	u->len = sizeof *su;
	/* an unknown family, and an IPv6 address with a too short length */
	struct addr_case *x = &addrs[naddrs++];
	memset(x, 0, sizeof *x);
	x->label = "family 99";
	x->ss.ss_family = 99;
	x->len = sizeof(struct sockaddr_in6);
	add6("short sockaddr_in6", "2001:db8::10", 0);
	addrs[naddrs - 1].len = sizeof(struct sockaddr_in);
}

static const int ports[] = {80, 514, 65000};
static const int flagsets[] = {
	0,
	NI_NUMERICHOST,
	NI_NUMERICSERV,
	NI_NUMERICHOST | NI_NUMERICSERV,
	NI_NAMEREQD,
	NI_NAMEREQD | NI_NUMERICSERV,
	NI_DGRAM,
	NI_NOFQDN,
	NI_NOFQDN | NI_DGRAM | NI_NAMEREQD,
	NI_IDN,
	NI_IDN | NI_NOFQDN,
};
/* host/serv buffer lengths; -1 = NULL pointer */
static const int buflens[][2] = {
	{1025, 32}, {-1, 32}, {1025, -1}, {0, 32}, {4, 32},
	{10, 32},   {17, 32}, {1025, 3},  {1025, 5},
};

static unsigned ncombos, nsame, nexpected, nfail;
static bool verbose;

static void call(gni_fn fn, const struct combo *c, char *out, size_t outlen)
{
	char host[1100], serv[64];
	memset(host, '#', sizeof host);
	memset(serv, '#', sizeof serv);
	int rc = fn((const struct sockaddr *)&c->a->ss, c->a->len,
		    c->hostlen < 0 ? NULL : host,
		    c->hostlen < 0 ? 0 : (socklen_t)c->hostlen,
		    c->servlen < 0 ? NULL : serv,
		    c->servlen < 0 ? 0 : (socklen_t)c->servlen, c->flags);
	if (rc) {
		snprintf(out, outlen, "EAI %d", rc);
		return;
	}
	/* only what the call promised to write: a buffer of length 0 is
	 * left alone */
	snprintf(out, outlen, "host=%.*s serv=%.*s",
		 c->hostlen > 0 ? (int)strnlen(host, sizeof host) : 1,
		 c->hostlen > 0 ? host : "-",
		 c->servlen > 0 ? (int)strnlen(serv, sizeof serv) : 1,
		 c->servlen > 0 ? serv : "-");
}

static void run(const struct combo *c)
{
	char g[1300], r[1300];
	call(getnameinfo, c, g, sizeof g);
	call(rfcres_getnameinfo, c, r, sizeof r);
	ncombos++;
	if (strcmp(g, r) == 0) {
		nsame++;
		if (verbose)
			printf("same: %s port=%d flags=0x%x buf=%d/%d: %s\n",
			       c->a->label, c->port, c->flags, c->hostlen,
			       c->servlen, g);
		return;
	}
	for (size_t i = 0; i < NEXPECTED; i++) {
		if (!expected[i].applies(c, g, r))
			continue;
		expected[i].hits++;
		nexpected++;
		if (verbose)
			printf("expected (%s): %s port=%d flags=0x%x buf=%d/%d\n"
			       "  glibc:  %s\n  rfcres: %s\n",
			       expected[i].section, c->a->label, c->port,
			       c->flags, c->hostlen, c->servlen, g, r);
		return;
	}
	nfail++;
	printf("MISMATCH %s port=%d flags=0x%x buf=%d/%d\n  glibc:  %s\n"
	       "  rfcres: %s\n",
	       c->a->label, c->port, c->flags, c->hostlen, c->servlen, g, r);
}

int main(int argc, char **argv)
{
	verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
	setup_addrs();
	for (size_t a = 0; a < naddrs; a++)
		for (size_t p = 0; p < N(ports); p++)
			for (size_t f = 0; f < N(flagsets); f++)
				for (size_t b = 0; b < N(buflens); b++) {
					struct combo c = {&addrs[a], ports[p],
							  flagsets[f],
							  buflens[b][0],
							  buflens[b][1]};
					struct sockaddr_in *s4 =
						(void *)&addrs[a].ss;
					struct sockaddr_in6 *s6 =
						(void *)&addrs[a].ss;
					if (addrs[a].ss.ss_family == AF_INET)
						s4->sin_port = htons(ports[p]);
					else if (addrs[a].ss.ss_family ==
						 AF_INET6)
						s6->sin6_port = htons(ports[p]);
					run(&c);
				}
	/* unknown flag bits */
	struct combo bad = {&addrs[1], 80, 0x10000, 1025, 32};
	run(&bad);
	printf("getnameinfo differential: %u combinations, %u identical, %u "
	       "expected differences, %u mismatches\n",
	       ncombos, nsame, nexpected, nfail);
	for (size_t i = 0; i < NEXPECTED; i++)
		printf("  expected difference '%s': %u\n", expected[i].section,
		       expected[i].hits);
	return (nfail || ncombos < 300) ? 1 : 0;
}
