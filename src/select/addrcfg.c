/*
 * AI_ADDRCONFIG per destination (DESIGN "AI_ADDRCONFIG", seed 003).
 *
 * glibc (__check_pf + getaddrinfo) reduces the host to two booleans: "an
 * IPv4 address other than 127.0.0.1" and "an IPv6 address other than ::1",
 * then narrows AF_UNSPEC to one family.  That hides 127.0.0.1 on IPv6-only
 * hosts and counts fe80:: as IPv6 connectivity.  Here each destination is
 * judged by whether the host has a source able to reach it.
 */
#include "addrcfg.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "net/ifaddr.h"
#include "trace.h"

enum {
	SCOPE_HOST = 254, /* RT_SCOPE_HOST */
};

static bool v4_is_loopback(const unsigned char *a)
{
	/* 127/8 (RFC 1122 §3.2.1.3); 0.0.0.0 as a destination also reaches
	 * this host on Linux. */
	return a[0] == 127 || (a[0] == 0 && a[1] == 0 && a[2] == 0 && a[3] == 0);
}

static bool v4_is_linklocal(const unsigned char *a)
{
	return a[0] == 169 && a[1] == 254; /* RFC 3927 */
}

static bool v6_is_v4mapped(const unsigned char *a)
{
	static const unsigned char pfx[12] = { [10] = 0xff, [11] = 0xff };
	return memcmp(a, pfx, sizeof(pfx)) == 0;
}

static bool v6_is_loopback_or_any(const unsigned char *a)
{
	for (int i = 0; i < 15; i++)
		if (a[i] != 0)
			return false;
	return a[15] <= 1; /* ::1, and :: which connects to this host */
}

static bool v6_is_linklocal(const unsigned char *a)
{
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return true; /* fe80::/10 */
	/* Interface- and link-local multicast (RFC 4291 §2.7 scope 1, 2). */
	return a[0] == 0xff && (a[1] & 0x0f) <= 2;
}

static bool entry_counts(const struct ifaddr_entry *e)
{
	/* RFC 4862 §5.4: a tentative address is not assigned yet; a
	 * DAD-failed one never will be.  An interface that is down has no
	 * routes through it. */
	return !(e->flags & (IFADDR_F_TENTATIVE | IFADDR_F_DADFAILED |
			     IFADDR_F_IF_DOWN));
}

static void caps_add_v4(struct addrcfg_caps *c, const struct ifaddr_entry *e)
{
	const unsigned char *a = e->addr;
	if (a[0] == 127)
		c->v4_loopback = true;
	else if (e->scope >= SCOPE_HOST)
		return; /* "scope host": reaches nothing beyond this host */
	else if (v4_is_linklocal(a))
		c->v4_linklocal = true;
	else
		c->v4_usable = true;
}

static void caps_add_v6(struct addrcfg_caps *c, const struct ifaddr_entry *e)
{
	const unsigned char *a = e->addr;
	static const unsigned char lo6[16] = { [15] = 1 };
	if (memcmp(a, lo6, 16) == 0)
		c->v6_loopback = true;
	else if (e->scope >= SCOPE_HOST || v6_is_v4mapped(a) || a[0] == 0xff)
		return;
	else if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		c->v6_linklocal = true;
	else
		c->v6_global = true; /* global, ULA (fc00::/7), site-local */
}

void addrcfg_caps_of(const struct ifaddr_inv *inv, struct addrcfg_caps *c)
{
	memset(c, 0, sizeof(*c));
	if (!inv) {
		c->v4_loopback = c->v6_loopback = c->v4_usable = true;
		c->v6_global = c->v6_linklocal = c->v4_linklocal = true;
		TRACE(RFCRES_TRACE_ADDRCONFIG, "addrconfig.caps",
		      "inventory=none filter=off");
		return;
	}
	for (size_t i = 0; i < inv->n; i++) {
		const struct ifaddr_entry *e = &inv->v[i];
		if (!entry_counts(e))
			continue;
		if (e->family == AF_INET)
			caps_add_v4(c, e);
		else if (e->family == AF_INET6)
			caps_add_v6(c, e);
	}
	TRACE(RFCRES_TRACE_ADDRCONFIG, "addrconfig.caps",
	      "v4_loopback=%d v6_loopback=%d v4=%d v4_linklocal=%d "
	      "v6_global=%d v6_linklocal=%d",
	      c->v4_loopback, c->v6_loopback, c->v4_usable, c->v4_linklocal,
	      c->v6_global, c->v6_linklocal);
}

static bool keep_v4(const struct addrcfg_caps *c, const unsigned char *a,
		    const char **rule)
{
	if (v4_is_loopback(a)) {
		*rule = "v4_loopback";
		return c->v4_loopback;
	}
	if (v4_is_linklocal(a)) {
		*rule = "v4_linklocal";
		return c->v4_usable || c->v4_linklocal;
	}
	*rule = "v4";
	return c->v4_usable;
}

static bool keep_v6(const struct addrcfg_caps *c, const unsigned char *a,
		    const char **rule)
{
	if (v6_is_loopback_or_any(a)) {
		*rule = "v6_loopback";
		return c->v6_loopback;
	}
	if (v6_is_linklocal(a)) {
		*rule = "v6_linklocal";
		return c->v6_linklocal || c->v6_global;
	}
	*rule = "v6_global";
	return c->v6_global;
}

bool addrcfg_keep_why(const struct addrcfg_caps *caps, int family,
		      const void *addr, const char **rule)
{
	const char *dummy;
	if (!rule)
		rule = &dummy;
	*rule = "other_family";
	if (!caps || !addr)
		return true;
	const unsigned char *a = addr;
	if (family == AF_INET6 && v6_is_v4mapped(a))
		return keep_v4(caps, a + 12, rule);
	if (family == AF_INET)
		return keep_v4(caps, a, rule);
	if (family == AF_INET6)
		return keep_v6(caps, a, rule);
	return true;
}

bool addrcfg_keep(const struct addrcfg_caps *caps, int family, const void *addr)
{
	return addrcfg_keep_why(caps, family, addr, NULL);
}

bool addrcfg_want_family(const struct addrcfg_caps *caps, int family)
{
	if (!caps)
		return true;
	if (family == AF_INET)
		return caps->v4_usable;
	if (family == AF_INET6)
		return caps->v6_global;
	return true;
}
