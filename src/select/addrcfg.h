/*
 * AI_ADDRCONFIG decided per destination (seed 003): pure functions over an
 * inventory.  docs/addrconfig.md has the rules and their reasons.
 *
 * Numeric literals ("127.0.0.1", "::1", "fe80::1%eth0") are never passed
 * here: the caller never filters them (RFC 3493 §6.1 describes
 * AI_ADDRCONFIG as a filter on looked-up addresses; a literal is the
 * caller's explicit choice and glibc's EAI_ADDRFAMILY for "127.0.0.1" on an
 * IPv6-only host is exactly seed 003).
 */
#ifndef RFCRES_ADDRCFG_H
#define RFCRES_ADDRCFG_H

#include <stdbool.h>

struct ifaddr_inv;

/* What the host can reach, per family.  Addresses that are tentative,
 * DAD-failed, host-scoped (other than loopback) or on an interface that is
 * administratively down do not count.  Deprecated addresses count (RFC 4862
 * §5.5.4: still valid, merely not preferred); optimistic ones count. */
struct addrcfg_caps {
	bool v4_loopback;  /* 127.0.0.0/8 configured (usually on lo) */
	bool v6_loopback;  /* ::1 configured */
	bool v4_usable;    /* a usable non-loopback, non-169.254/16 IPv4 */
	bool v6_global;    /* a usable IPv6 address of global scope (incl. ULA) */
	bool v6_linklocal; /* a usable fe80::/10 address */
	bool v4_linklocal; /* a usable 169.254/16 address (RFC 3927) */
};

/* inv NULL (no inventory could be taken at all): every cap is true, so
 * nothing is filtered -- as glibc's __check_pf, better to try than to
 * fail on missing information. */
void addrcfg_caps_of(const struct ifaddr_inv *inv, struct addrcfg_caps *caps);

/* Is a destination of this family/address kept?  addr is 4 or 16 bytes.
 * IPv4-mapped IPv6 (::ffff:a.b.c.d) follows the IPv4 rule.
 *   127.0.0.0/8, 0.0.0.0     kept iff v4_loopback
 *   ::1, ::                  kept iff v6_loopback
 *   169.254.0.0/16           kept iff v4_usable or v4_linklocal
 *   other IPv4               kept iff v4_usable
 *   fe80::/10, ff02::/16...  kept iff v6_linklocal or v6_global
 *   other IPv6 (incl. ULA)   kept iff v6_global
 * Families other than AF_INET/AF_INET6 are kept (not ours to judge). */
bool addrcfg_keep(const struct addrcfg_caps *caps, int family, const void *addr);
/* The same decision, plus the name of the rule that decided it
 * ("v4_loopback", "v4_linklocal", "v4", "v6_loopback", "v6_linklocal",
 * "v6_global", "other_family") for the caller's trace event.  The caller
 * traces; these functions only trace the caps. */
bool addrcfg_keep_why(const struct addrcfg_caps *caps, int family,
		      const void *addr, const char **rule);

/* Could any destination of family (AF_INET/AF_INET6) be kept for a name
 * that is not localhost?  When false, that query type is not sent.
 * AF_INET: v4_usable; AF_INET6: v6_global.  Link-local addresses alone do
 * not justify a DNS query: an fe80:: or 169.254 answer from DNS carries no
 * zone and is not what AI_ADDRCONFIG exists for (an IPv4-only host with
 * fe80:: on every interface must not send AAAA queries).  Hosts-file and
 * other local answers still go through addrcfg_keep() one by one. */
bool addrcfg_want_family(const struct addrcfg_caps *caps, int family);

#endif
