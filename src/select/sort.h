/*
 * RFC 6724 destination address selection (section 6, all ten rules, both
 * families) as a pure, stable sort, plus source selection.
 */
#ifndef RFCRES_SORT_H
#define RFCRES_SORT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf_policy;
struct ifaddr_inv;

enum {
	SORT_SRC_DEPRECATED = 1u << 0,
	SORT_SRC_TEMPORARY = 1u << 1,
	SORT_SRC_HOME = 1u << 2,
	SORT_SRC_TUNNEL = 1u << 3,
};

struct sort_item {
	/* destination; IPv4 as IPv4-mapped (::ffff:a.b.c.d) */
	struct in6_addr dst;
	uint32_t dst_scope_id;
	/* its source, if any (the kernel's choice, or the simulator's) */
	bool has_src;
	struct in6_addr src;
	unsigned src_plen;       /* prefix length of the source's subnet */
	unsigned src_flags;      /* SORT_SRC_* */
	/* caller's payload, e.g. its index in the original list */
	size_t index;
};

/* The rule (1..10) that ordered two adjacent items, 0 = equal (input order
 * kept).  A rule number 9 decision disabled by rfcres-rule9 never appears. */
typedef unsigned char sort_rule;

/* Sorts items in place, stably.  If why is not NULL it receives n-1 rules:
 * why[i] decided items[i] before items[i+1]. */
void sort_destinations(struct sort_item *items, size_t n,
		       const struct conf_policy *policy, sort_rule *why);

/* Fills has_src/src/src_plen/src_flags for each item by asking the kernel
 * (UDP connect + getsockname, no packet sent; or a batched netlink route
 * query) and taking the attributes from inv.  Returns 0 or -errno. */
int sort_probe_sources(struct sort_item *items, size_t n,
		       const struct ifaddr_inv *inv);

/* RFC 6724 section 5 source selection in user space over inv (simulation
 * and fallback).  Returns false when no candidate source exists. */
bool sort_select_source(const struct in6_addr *dst, uint32_t dst_scope_id,
			const struct ifaddr_inv *inv,
			const struct conf_policy *policy, struct sort_item *out);

/* RFC 6724 section 3.1 scope of an address (IPv4 mapped per section 3.2,
 * with gai.conf scopev4 overrides from policy when not NULL). */
int sort_scope(const struct in6_addr *a, const struct conf_policy *policy);

#endif
