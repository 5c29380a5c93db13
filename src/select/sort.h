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
struct ifaddr_entry;
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
	struct in6_addr src;     /* same family as dst (IPv4 mapped) */
	/* prefix length of the source's subnet, in the family's own bits:
	 * 0..32 for IPv4 (96..128 is accepted as the mapped form), 0..128
	 * for IPv6.  Rule 9 compares no further (RFC 6724 section 2.2). */
	unsigned src_plen;
	unsigned src_flags;      /* SORT_SRC_* */
	/* caller's payload, e.g. its index in the original list */
	size_t index;
};

/* The rule (1..10) that ordered two adjacent items.  SORT_RULE_KEPT (10)
 * means no rule 1-9 told them apart and the input order was kept (RFC 6724
 * rule 10); sort_destinations never writes 0.  A rule 9 decision disabled by
 * rfcres-rule9 never appears (such pairs report 10). */
typedef unsigned char sort_rule;
#define SORT_RULE_KEPT 10

/* Lists up to this long are sorted and probed in stack arrays (no
 * allocation); longer ones allocate their working memory. */
#define SORT_STACK_N 16

/* Sorts items in place, stably.  If why is not NULL it receives n-1 rules:
 * why[i] decided items[i] before items[i+1]. */
void sort_destinations(struct sort_item *items, size_t n,
		       const struct conf_policy *policy, sort_rule *why);

/* Fills has_src/src/src_plen/src_flags for each item by asking the kernel
 * (UDP connect + getsockname, no packet sent; or a batched netlink route
 * query) and taking the attributes from inv.  Returns 0 or -errno.
 *
 * Identical destinations are asked once.  Two or more distinct ones go to
 * the kernel as batched RTM_GETROUTE requests (one sendmsg per 32); a
 * destination whose answer carries no RTA_PREFSRC, or any the netlink
 * socket could not answer, is probed with UDP connect + getsockname on one
 * socket per family (dissolved with AF_UNSPEC between destinations, since
 * a connected UDP socket keeps its first source).  Link-local and
 * link-scoped multicast IPv6 destinations need dst_scope_id; without one
 * they get no source, as connect() would refuse them.  An error return
 * (socket creation, memory) still leaves every item filled: has_src is
 * false wherever no source was learned.  Emits "sort.probe dst= src= via="
 * per distinct destination when tracing is on. */
int sort_probe_sources(struct sort_item *items, size_t n,
		       const struct ifaddr_inv *inv);

/* sort_probe_sources against the live inventory, which it acquires itself
 * and returns in *inv (NULL if there is none; release it with
 * ifaddr_release): the route queries then ride on the inventory's change
 * monitor and also serve as its change check (ifaddr_acquire_exchange),
 * one system call fewer than acquiring and probing apart.  With a single
 * distinct destination nothing is asked and *inv stays NULL. */
int sort_probe_live(struct sort_item *items, size_t n, struct ifaddr_inv **inv);

/* Forgets every cached source selection (tests; sort_cache.c). */
void sort_cache_clear(void);

/* Source attributes of an inventory entry (pure): src_plen from e->plen,
 * src_flags from IFADDR_F_* and tunnel link types.  e == NULL (source not
 * in the inventory): plen 64 for IPv6 (RFC 4291 interface identifiers),
 * 0 for IPv4, so that rule 9 does not guess a subnet it cannot know. */
void sort_source_attrs(const struct ifaddr_entry *e, bool ipv4,
		       struct sort_item *it);

/* RFC 6724 section 5 source selection in user space over inv (simulation
 * and fallback): rules 1-8 (5.5 needs next-hop knowledge and is skipped;
 * rule 5 uses dst_scope_id as the outgoing interface when given).  Fills
 * out->dst, dst_scope_id, has_src, src, src_plen and src_flags; leaves
 * out->index alone.  Returns false (has_src false) when no candidate
 * source exists.  policy NULL = RFC 6724 default table. */
bool sort_select_source(const struct in6_addr *dst, uint32_t dst_scope_id,
			const struct ifaddr_inv *inv,
			const struct conf_policy *policy, struct sort_item *out);

/* RFC 6724 section 3.1 scope of an address (IPv4 mapped per section 3.2,
 * with gai.conf scopev4 overrides from policy when not NULL). */
int sort_scope(const struct in6_addr *a, const struct conf_policy *policy);

/* Every function here takes policy NULL as conf_policy_default(), the
 * RFC 6724 section 2.1 table (not glibc's RFC 3484 one). */

/* CommonPrefixLen(Source(D), D) of an item in the family's bits, capped at
 * the source's prefix length (RFC 6724 section 2.2); 0 without a source. */
unsigned sort_common_prefix(const struct sort_item *it);

/* "192.0.2.1", "2001:db8::1", "fe80::1%2" (IPv4-mapped shown as IPv4). */
const char *sort_addr_str(const struct in6_addr *a, uint32_t scope_id,
			  char *buf, size_t len);
#define SORT_ADDRSTRLEN (INET6_ADDRSTRLEN + 12)

/* Human explanation of why a was placed before b by rule r, e.g.
 * "longest matching prefix: 24 vs 22 bits, capped at /24".  Returns buf. */
const char *sort_explain(const struct sort_item *a, const struct sort_item *b,
			 sort_rule r, const struct conf_policy *policy,
			 char *buf, size_t len);

/* Emits "sort.pair a=.. b=.. rule=N" for each adjacent pair (the sorter
 * itself stays pure; callers that want the trace call this). */
void sort_trace(const struct sort_item *items, size_t n, const sort_rule *why);

#endif
