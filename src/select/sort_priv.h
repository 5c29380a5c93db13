/*
 * Inside RFC 6724 address selection (sort.h), shared by its files:
 *
 *   sort.c           address helpers, scope, the destination sort (section 6)
 *   sort_explain.c   why a rule ordered two items, and the sort trace
 *   sort_source.c    source attributes from the inventory, and section 5
 *                    source selection in user space
 *   sort_probe.c     the source probe: deduplication, loopback from the
 *                    inventory, UDP connect + getsockname
 *   sort_probe_nl.c  the batched netlink RTM_GETROUTE part of the probe
 *
 * Every address is IPv6 or IPv4-mapped (RFC 4291 2.5.5.2).
 */
#ifndef RFCRES_SORT_PRIV_H
#define RFCRES_SORT_PRIV_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "conf/conf.h"
#include "select/sort.h"

static inline bool sort_is_v4(const struct in6_addr *a)
{
	return IN6_IS_ADDR_V4MAPPED(a);
}

static inline uint32_t sort_v4_host(const struct in6_addr *a)
{
	return (uint32_t)a->s6_addr[12] << 24 | (uint32_t)a->s6_addr[13] << 16 |
	       (uint32_t)a->s6_addr[14] << 8 | a->s6_addr[15];
}

/* Link-local and link-scoped multicast IPv6 need a zone (RFC 4007 section
 * 6); connect() refuses them without one. */
static inline bool sort_needs_zone(const struct in6_addr *a)
{
	if (sort_is_v4(a))
		return false;
	if (IN6_IS_ADDR_LINKLOCAL(a))
		return true;
	return IN6_IS_ADDR_MULTICAST(a) && (a->s6_addr[1] & 0x0f) <= 2;
}

static inline bool sort_is_loopback(const struct in6_addr *a)
{
	if (sort_is_v4(a))
		return a->s6_addr[12] == 127;
	return IN6_IS_ADDR_LOOPBACK(a);
}

/* policy table: conf_policy_default() is RFC 6724 section 2.1 */
static inline const struct conf_policy *sort_pol(const struct conf_policy *p)
{
	return p ? p : conf_policy_default();
}

/* ---- sort.c -------------------------------------------------------------- */

/* What the section 6 rules compare, computed once per item. */
struct sort_key {
	bool usable, v4;
	int dscope, sscope, dlabel, slabel, prec;
	unsigned flags, cpl;
};
/* The source's prefix length in the destination family's bits. */
unsigned sort_plen_cap(const struct sort_item *it);
void sort_make_key(const struct sort_item *it, const struct conf_policy *p,
		   struct sort_key *k);
/* Whether rule 9 may decide between a and b under rfcres-rule9 mode. */
bool sort_rule9_applies(const struct sort_key *a, const struct sort_key *b,
			enum conf_rule9 mode);

/* ---- sort_source.c ------------------------------------------------------- */

struct ifaddr_entry;
struct ifaddr_inv;

/* e's address as IPv6 or IPv4-mapped. */
void sort_entry_addr(const struct ifaddr_entry *e, struct in6_addr *a);
/* The inventory entry holding address a, or NULL. */
const struct ifaddr_entry *sort_inv_find(const struct ifaddr_inv *inv,
					 const struct in6_addr *a);

/* ---- sort_probe.c / sort_probe_nl.c -------------------------------------- */

enum probe_via {
	VIA_NONE,     /* not answered (yet) */
	VIA_NETLINK,  /* RTM_GETROUTE RTA_PREFSRC, or a final route error */
	VIA_UDP,      /* connect + getsockname */
	VIA_LOOPBACK, /* the inventory's loopback address, no kernel query */
	VIA_SKIP,     /* not needed: the order cannot depend on it */
	VIA_CACHE,    /* the kernel's earlier answer, routes unchanged since */
};

/* One distinct destination of a probe. */
struct probe {
	struct in6_addr dst;
	uint32_t scope_id;
	bool done;   /* answered (with or without a source) */
	bool lo;     /* loopback: answered from the inventory afterwards */
	bool nl_answered;
	bool has;
	unsigned char via; /* enum probe_via */
	struct in6_addr src;
};

/* Asks the kernel's routing table for the sources of u[0..nu) not done
 * (pending of them) in batched RTM_GETROUTE requests; with live != NULL
 * inside the acquire of the live inventory, returned in *live.  What it
 * could not answer stays !done for the UDP probe. */
void sort_nl_probe(struct probe *u, size_t nu, size_t pending,
		   const struct ifaddr_inv *inv, struct ifaddr_inv **live,
		   uint64_t *routes);

/* ---- sort_cache.c -------------------------------------------------------- */

/* Every probe still to answer (not done, not loopback) has an entry, of
 * whatever route generation: worth acquiring without an exchange. */
bool sort_cache_covers(const struct probe *u, size_t nu);
/* Answers (done, VIA_CACHE) the probes with an entry learned under route
 * generation routes (never when routes is 0); returns how many are left. */
size_t sort_cache_get(struct probe *u, size_t nu, uint64_t routes);
/* Remembers the kernel's answers (netlink or UDP) under routes. */
void sort_cache_put(const struct probe *u, size_t nu, uint64_t routes);

#endif
