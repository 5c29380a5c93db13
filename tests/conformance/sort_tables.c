/*
 * Go's RFC 6724 classification tables (golang/go src/net/addrselect_test.go:
 * TestRFC6724PolicyTableClassify, TestRFC6724ClassifyScope,
 * TestRFC6724CommonPrefixLength) run against librfcres's policy table,
 * scope classifier and CommonPrefixLen.  The inputs and Go's expected
 * values are the upstream test's facts; where librfcres answers
 * differently the row carries librfcres's value and the reason, so a
 * change either way fails.  Run by t_sort_vectors.sh; prints one line per
 * row and a summary; exit 1 on any mismatch.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "conf/conf.h"
#include "select/sort.h"

static unsigned rows, agree, differ, fail;

/* IPv4 as IPv4-mapped, as the sorter stores it */
static void addr(const char *s, struct in6_addr *a)
{
	struct in_addr v4;
	memset(a, 0, sizeof *a);
	if (inet_pton(AF_INET, s, &v4) == 1) {
		a->s6_addr[10] = a->s6_addr[11] = 0xff;
		memcpy(&a->s6_addr[12], &v4, 4);
	} else if (inet_pton(AF_INET6, s, a) != 1) {
		fprintf(stderr, "bad address %s\n", s);
	}
}

/* got: librfcres; go: upstream; ours: what librfcres is expected to say
 * (== go unless reason says why not) */
static void row(const char *table, const char *what, long got, long go,
		long ours, const char *reason)
{
	rows++;
	bool ok = got == ours;
	if (!ok)
		fail++;
	else if (ours == go)
		agree++;
	else
		differ++;
	printf("%s %s %s: librfcres %ld, Go %ld%s%s\n", ok ? "ok  " : "FAIL",
	       table, what, got, go, ours != go ? " — differs: " : "",
	       ours != go ? reason : "");
}

static void classify(const char *ip, int prec, int label)
{
	struct in6_addr a;
	addr(ip, &a);
	const struct conf_policy *p = conf_policy_default();
	char what[96];
	snprintf(what, sizeof what, "%s precedence", ip);
	row("policy", what, conf_policy_precedence(p, &a), prec, prec, "");
	snprintf(what, sizeof what, "%s label", ip);
	row("policy", what, conf_policy_label(p, &a), label, label, "");
}

static void scope(const char *ip, int go)
{
	struct in6_addr a;
	addr(ip, &a);
	row("scope", ip, sort_scope(&a, NULL), go, go, "");
}

static void cpl_row(const char *table, const char *src, const char *dst,
		    unsigned plen, int go, int ours, const char *reason);

/* CommonPrefixLen(src, dst) with the source's prefix length plen.  Go
 * caps IPv6 at 64 bits (it assumes a /64) and IPv4 at 32; librfcres caps
 * at the source's real prefix length (RFC 6724 section 2.2), which these
 * rows give as /64 and /32 — the prefixes Go assumes. */
static void cpl(const char *src, const char *dst, unsigned plen, int go,
		int ours, const char *reason)
{
	cpl_row("prefix", src, dst, plen, go, ours, reason);
}

static void cpl_row(const char *table, const char *src, const char *dst,
		    unsigned plen, int go, int ours, const char *reason)
{
	struct sort_item it;
	memset(&it, 0, sizeof it);
	addr(src, &it.src);
	addr(dst, &it.dst);
	it.has_src = true;
	it.src_plen = plen;
	char what[128];
	snprintf(what, sizeof what, "(%s, %s)/%u", src, dst, plen);
	row(table, what, sort_common_prefix(&it), go, ours, reason);
}

int main(void)
{
	/* TestRFC6724PolicyTableClassify */
	classify("127.0.0.1", 35, 4);
	classify("2601:645:8002:a500:986f:1db8:c836:bd65", 40, 1);
	classify("::1", 50, 0);
	classify("2002::ab12", 30, 2);

	/* TestRFC6724ClassifyScope: 0x2 link, 0x4 admin, 0x5 site, 0xe global */
	scope("127.0.0.1", 0x2);	/* RFC 6724 section 3.2 */
	scope("::1", 0x2);		/* RFC 4007 section 4 */
	scope("169.254.1.2", 0x2);	/* RFC 6724 section 3.2 */
	scope("fec0::1", 0x5);
	scope("8.8.8.8", 0xe);
	scope("ff02::", 0x2);
	scope("ff05::", 0x5);
	scope("ff04::", 0x4);
	scope("ff0e::", 0xe);
	/* IPv4 multicast is global (Go tests it as 16 and as 4 bytes; the
	 * sorter has one form, IPv4-mapped) */
	scope("224.0.0.0", 0xe);
	scope("224.2.2.2", 0xe);

	/* TestRFC6724CommonPrefixLength (a = source, b = destination) */
	cpl("fe80::1", "fe80::2", 64, 64, 64, "");
	cpl("fe81::1", "fe80::2", 64, 15, 15, "");
	/* Go: different sizes -> 0; librfcres: a source of the other
	 * family gives 0 too */
	cpl("127.0.0.1", "fe80::1", 64, 0, 0, "");
	cpl("1.2.3.4", "1.2.3.4", 32, 32, 32, "");
	cpl("1.2.255.255", "1.2.0.0", 32, 16, 16, "");
	cpl("1.2.127.255", "1.2.0.0", 32, 17, 17, "");
	cpl("1.2.63.255", "1.2.0.0", 32, 18, 18, "");
	cpl("1.2.31.255", "1.2.0.0", 32, 19, 19, "");
	cpl("1.2.15.255", "1.2.0.0", 32, 20, 20, "");
	cpl("1.2.7.255", "1.2.0.0", 32, 21, 21, "");
	cpl("1.2.3.255", "1.2.0.0", 32, 22, 22, "");
	cpl("1.2.1.255", "1.2.0.0", 32, 23, 23, "");
	cpl("1.2.0.255", "1.2.0.0", 32, 24, 24, "");
	/* The same pairs with the source's real prefix shorter than what
	 * they share: Go still counts to 32 (IPv4) / 64 (IPv6), librfcres
	 * stops at the prefix (docs/sorting.md, "Conformance vectors").
	 * Not in Go's table: added here, "Go" = what its commonPrefixLen
	 * returns for these addresses. */
	cpl_row("prefix(added)", "1.2.0.255", "1.2.0.0", 16, 24, 16,
	    "capped at the source's /16 (RFC 6724 section 2.2)");
	cpl_row("prefix(added)", "fe80::1", "fe80::2", 10, 64, 10,
	    "capped at the source's /10 (RFC 6724 section 2.2)");
	cpl_row("prefix(added)", "2001:db8::1", "2001:db8::2", 128, 64, 126,
	    "Go stops at 64 whatever the prefix; a /128 source counts on");

	printf("sort tables (Go addrselect_test.go): %u rows, %u agree, "
	       "%u documented differences, %u failures\n",
	       rows, agree, differ, fail);
	return fail ? 1 : 0;
}
