/*
 * Differential test: glibc's getaddrinfo and rfcres_getaddrinfo in one
 * process, same hosts file, same services file, thousands of argument
 * combinations.  Results (family, socktype, protocol, address, port, scope
 * id, canonical name, ai_flags, order) and error codes must match, except where the
 * expected-difference table below says otherwise; each entry names the
 * section of docs/deviations.md that explains it.
 *
 * Run by t_differential.sh inside a private network and mount namespace
 * (/etc/hosts and /etc/resolv.conf bind-mounted to test files, nameserver
 * 127.0.0.1 with nothing listening) so glibc never reaches a real server.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rfcres.h"

typedef int (*gai_fn)(const char *, const char *, const struct addrinfo *,
		      struct addrinfo **);
typedef void (*free_fn)(struct addrinfo *);

static void render(int rc, struct addrinfo *res, char *out, size_t len)
{
	size_t o = 0;
	if (rc) {
		snprintf(out, len, "EAI %d (%s)", rc, gai_strerror(rc));
		return;
	}
	for (struct addrinfo *ai = res; ai && o < len; ai = ai->ai_next) {
		char a[INET6_ADDRSTRLEN] = "?";
		unsigned port = 0, scope = 0;
		if (ai->ai_family == AF_INET) {
			struct sockaddr_in *s = (void *)ai->ai_addr;
			inet_ntop(AF_INET, &s->sin_addr, a, sizeof a);
			port = ntohs(s->sin_port);
		} else if (ai->ai_family == AF_INET6) {
			struct sockaddr_in6 *s = (void *)ai->ai_addr;
			inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof a);
			port = ntohs(s->sin6_port);
			scope = s->sin6_scope_id;
		}
		o += (size_t)snprintf(out + o, len - o,
				      "[%d/%d/%d %s %u %u %s len=%u flags=0x%x]",
				      ai->ai_family, ai->ai_socktype,
				      ai->ai_protocol, a, port, scope,
				      ai->ai_canonname ? ai->ai_canonname : "-",
				      (unsigned)ai->ai_addrlen,
				      (unsigned)ai->ai_flags);
	}
}

struct combo {
	const char *host, *serv;
	int family, socktype, protocol, flags;
};

/* Expected differences: a predicate over the combination and both
 * results, and the deviations.md section that explains it. */
struct expected {
	const char *section;
	bool (*applies)(const struct combo *c, const char *glibc,
			const char *rfcres);
	unsigned hits;
};

static bool ends_with_localhost(const char *h)
{
	size_t n = h ? strlen(h) : 0;
	if (n && h[n - 1] == '.')
		n--;
	return n > 10 && strncasecmp(h + n - 10, ".localhost", 10) == 0;
}

/* RFC 6761: *.localhost answered locally; glibc asks DNS. */
static bool d_localhost(const struct combo *c, const char *g, const char *r)
{
	(void)r;
	return ends_with_localhost(c->host) && strncmp(g, "EAI", 3) == 0;
}

/* Zone ids in the hosts file ("fe80::5%lo scoped"): glibc rejects the
 * line, librfcres accepts it. */
static bool d_hosts_zone(const struct combo *c, const char *g, const char *r)
{
	(void)g;
	(void)r;
	return c->host && strcasecmp(c->host, "scoped") == 0;
}

/* No server answers: glibc says EAI_NONAME for AF_INET only (EAI_AGAIN
 * for AF_UNSPEC/AF_INET6); librfcres says EAI_AGAIN for all three. */
static bool d_noserver_inet(const struct combo *c, const char *g,
			    const char *r)
{
	return c->family == AF_INET && strstr(g, "EAI -2 ") == g &&
	       strstr(r, "EAI -3 ") == r;
}

static struct expected expected[] = {
	{"RFC 6761 localhost names", d_localhost, 0},
	{"Zone ids in the hosts file", d_hosts_zone, 0},
	{"No server answers: EAI_AGAIN for every family", d_noserver_inet, 0},
};
#define NEXPECTED (sizeof expected / sizeof expected[0])

static const char *hosts[] = {
	/* numeric forms */
	"127.0.0.1", "127.1", "0x7f.1", "2130706433", "0177.0.0.1",
	"10.1.2.3", "1.2.3.4.5", "256.1.1.1", "::1", "::ffff:127.0.0.1",
	"::ffff:10.1.2.3", "2001:db8::5", "fe80::1%1", "fe80::1%lo",
	"fe80::1%nosuchif", "2001:db8::1%2", "2001:db8::1%lo", "::", "0",
	/* hosts file names */
	"multi", "MULTI", "multi.example.test", "v4only", "v6only",
	"alias-a", "ALIAS-B", "scoped", "dup", "localhost", "ip6-localhost",
	"LocalHost",
	/* localhost names not in the hosts file */
	"foo.localhost", "a.b.localhost.",
	/* wildcard / empty */
	"*", "",
	NULL,
};
static const char *services[] = {
	NULL, "80", "http", "domain", "0", "65536", "-1", "bogus-svc", "",
	"*", " 80", "80x", "ssh", "sctp-tunneling", "echo",
};
static const int families[] = {AF_UNSPEC, AF_INET, AF_INET6, 99};
static const int flagsets[] = {
	0, AI_PASSIVE, AI_CANONNAME, AI_NUMERICHOST, AI_NUMERICSERV,
	AI_V4MAPPED, AI_V4MAPPED | AI_ALL, AI_ALL, AI_ADDRCONFIG,
	AI_CANONNAME | AI_V4MAPPED | AI_ALL, 0x10000,
};
static const int socktypes[][2] = {
	{0, 0}, {SOCK_STREAM, 0}, {SOCK_DGRAM, 0}, {SOCK_RAW, 0},
	{SOCK_SEQPACKET, 0}, {0, IPPROTO_TCP}, {0, IPPROTO_UDP},
	{SOCK_STREAM, IPPROTO_UDP}, {SOCK_DGRAM, IPPROTO_UDP},
	{0, IPPROTO_SCTP}, {SOCK_RAW, 99}, {99, 0}, {0, 99},
};
#define N(a) (sizeof a / sizeof a[0])

static unsigned ncombos, nsame, nexpected, nfail;
static bool verbose;

static void run(const struct combo *c)
{
	struct addrinfo hints = {
		.ai_flags = c->flags,
		.ai_family = c->family,
		.ai_socktype = c->socktype,
		.ai_protocol = c->protocol,
	};
	struct addrinfo *g = NULL, *r = NULL;
	static char gs[8192], rs[8192];
	int grc = getaddrinfo(c->host, c->serv, &hints, &g);
	int rrc = rfcres_getaddrinfo(c->host, c->serv, &hints, &r);
	render(grc, g, gs, sizeof gs);
	render(rrc, r, rs, sizeof rs);
	if (!grc)
		freeaddrinfo(g);
	if (!rrc)
		rfcres_freeaddrinfo(r);
	ncombos++;
	if (strcmp(gs, rs) == 0) {
		nsame++;
		return;
	}
	for (size_t i = 0; i < NEXPECTED; i++) {
		if (expected[i].applies(c, gs, rs)) {
			expected[i].hits++;
			nexpected++;
			if (verbose)
				printf("expected (%s): host=%s serv=%s fam=%d "
				       "sock=%d proto=%d flags=0x%x\n  glibc:  %s\n"
				       "  rfcres: %s\n",
				       expected[i].section, c->host ? c->host : "NULL",
				       c->serv ? c->serv : "NULL", c->family,
				       c->socktype, c->protocol, c->flags, gs, rs);
			return;
		}
	}
	nfail++;
	if (nfail <= 100000)
		printf("MISMATCH host=%s serv=%s fam=%d sock=%d proto=%d "
		       "flags=0x%x\n  glibc:  %s\n  rfcres: %s\n",
		       c->host ? c->host : "NULL", c->serv ? c->serv : "NULL",
		       c->family, c->socktype, c->protocol, c->flags, gs, rs);
}

int main(int argc, char **argv)
{
	verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
	/* 1: every host × service × family × flags with default socktype */
	for (size_t h = 0; h < N(hosts); h++)
		for (size_t s = 0; s < N(services); s++)
			for (size_t f = 0; f < N(families); f++)
				for (size_t fl = 0; fl < N(flagsets); fl++) {
					struct combo c = {hosts[h], services[s],
							  families[f], 0, 0,
							  flagsets[fl]};
					run(&c);
				}
	/* 2: socktype/protocol matrix on a few hosts and services */
	static const char *h2[] = {"127.0.0.1", "multi", "::1", NULL};
	static const char *s2[] = {NULL, "80", "http", "domain",
				   "sctp-tunneling"};
	for (size_t h = 0; h < N(h2); h++)
		for (size_t s = 0; s < N(s2); s++)
			for (size_t f = 0; f < 3; f++)
				for (size_t t = 0; t < N(socktypes); t++) {
					struct combo c = {h2[h], s2[s], families[f],
							  socktypes[t][0],
							  socktypes[t][1],
							  AI_PASSIVE};
					run(&c);
				}
	/* 3: gai_strerror texts for every code glibc knows */
	unsigned strerr_bad = 0;
	for (int code = -200; code <= 10; code++)
		if (strcmp(gai_strerror(code), rfcres_gai_strerror(code)) != 0) {
			printf("gai_strerror(%d): glibc '%s' rfcres '%s'\n", code,
			       gai_strerror(code), rfcres_gai_strerror(code));
			strerr_bad++;
		}
	printf("differential: %u combinations, %u identical, %u expected "
	       "differences, %u mismatches, %u gai_strerror mismatches\n",
	       ncombos, nsame, nexpected, nfail, strerr_bad);
	for (size_t i = 0; i < NEXPECTED; i++)
		printf("  expected difference '%s': %u\n", expected[i].section,
		       expected[i].hits);
	return (nfail || strerr_bad || ncombos < 300) ? 1 : 0;
}
