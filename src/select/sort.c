/*
 * RFC 6724 destination address selection (section 6) as a pure, stable
 * sort; source selection through the kernel (batched netlink RTM_GETROUTE,
 * UDP connect + getsockname as fallback); RFC 6724 section 5 source
 * selection in user space for simulation.
 *
 * Differences from glibc's rfc3484_sort (see docs/deviations/sort.md):
 * the RFC 6724 default table, IPv4 sorted whether or not the host has IPv6,
 * and CommonPrefixLen capped at the source's prefix length for both
 * families, so destinations inside the source's subnet come first while
 * DNS round robin survives among them (seed 000).
 */
#include "select/sort.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if_arp.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "core/sys.h"
#include "core/trace.h"
#include "net/ifaddr.h"

/* Kernel UAPI headers are absent from a bare musl toolchain: the batched
 * netlink query is then left out and the UDP probe does everything. */
#if defined(__has_include)
#if __has_include(<linux/rtnetlink.h>)
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#define SORT_HAVE_NETLINK 1
#endif
#endif

/* ---- addresses ---------------------------------------------------------- */


static bool is_v4(const struct in6_addr *a)
{
	return IN6_IS_ADDR_V4MAPPED(a);
}

static uint32_t v4_host(const struct in6_addr *a)
{
	return (uint32_t)a->s6_addr[12] << 24 | (uint32_t)a->s6_addr[13] << 16 |
	       (uint32_t)a->s6_addr[14] << 8 | a->s6_addr[15];
}

/* Leading bits a and b share, over bytes [from, to). */
static unsigned common_bits(const struct in6_addr *a, const struct in6_addr *b,
			    unsigned from, unsigned to)
{
	unsigned n = 0;
	for (unsigned i = from; i < to; i++) {
		unsigned x = a->s6_addr[i] ^ b->s6_addr[i];
		if (x == 0) {
			n += 8;
			continue;
		}
		while (!(x & 0x80)) {
			n++;
			x <<= 1;
		}
		break;
	}
	return n;
}

/* Link-local and link-scoped multicast IPv6 need a zone (RFC 4007 section
 * 6); connect() refuses them without one. */
static bool needs_zone(const struct in6_addr *a)
{
	if (is_v4(a))
		return false;
	if (IN6_IS_ADDR_LINKLOCAL(a))
		return true;
	return IN6_IS_ADDR_MULTICAST(a) && (a->s6_addr[1] & 0x0f) <= 2;
}

static bool is_loopback(const struct in6_addr *a)
{
	if (is_v4(a))
		return a->s6_addr[12] == 127;
	return IN6_IS_ADDR_LOOPBACK(a);
}

const char *sort_addr_str(const struct in6_addr *a, uint32_t scope_id,
			  char *buf, size_t len)
{
	char tmp[INET6_ADDRSTRLEN];
	if (is_v4(a))
		inet_ntop(AF_INET, &a->s6_addr[12], tmp, sizeof tmp);
	else
		inet_ntop(AF_INET6, a, tmp, sizeof tmp);
	if (scope_id && !is_v4(a))
		snprintf(buf, len, "%s%%%u", tmp, (unsigned)scope_id);
	else
		snprintf(buf, len, "%s", tmp);
	return buf;
}

/* ---- policy table: conf_policy_default() is RFC 6724 section 2.1 ------ */

static const struct conf_policy *pol(const struct conf_policy *p)
{
	return p ? p : conf_policy_default();
}

/* RFC 6724 section 3.1 (multicast scope field; unicast mapped onto it) and
 * 3.2 (IPv4: loopback and 169.254/16 link-local, everything else global,
 * private ranges included).  ::1 is link-local as RFC 4007 section 4 says
 * (glibc and Go agree). */
int sort_scope(const struct in6_addr *a, const struct conf_policy *policy)
{
	if (is_v4(a)) {
		int v = policy ? conf_policy_scopev4(policy, a) : -1;
		if (v >= 0)
			return v;
		uint32_t h = v4_host(a);
		if ((h >> 24) == 127 || (h >> 16) == 0xa9fe)
			return 0x2;
		return 0xe;
	}
	if (IN6_IS_ADDR_MULTICAST(a))
		return a->s6_addr[1] & 0x0f;
	if (IN6_IS_ADDR_LINKLOCAL(a) || IN6_IS_ADDR_LOOPBACK(a))
		return 0x2;
	if (IN6_IS_ADDR_SITELOCAL(a))
		return 0x5;
	return 0xe;
}

/* ---- destination sort (RFC 6724 section 6) ------------------------------ */

static unsigned plen_cap(const struct sort_item *it)
{
	unsigned p = it->src_plen;
	if (is_v4(&it->dst)) {
		if (p >= 96)
			p -= 96;
		return p > 32 ? 32 : p;
	}
	return p > 128 ? 128 : p;
}

unsigned sort_common_prefix(const struct sort_item *it)
{
	if (!it->has_src || is_v4(&it->src) != is_v4(&it->dst))
		return 0;
	unsigned cpl = is_v4(&it->dst) ? common_bits(&it->src, &it->dst, 12, 16)
				       : common_bits(&it->src, &it->dst, 0, 16);
	unsigned cap = plen_cap(it);
	return cpl < cap ? cpl : cap;
}

struct sort_key {
	bool usable, v4;
	int dscope, sscope, dlabel, slabel, prec;
	unsigned flags, cpl;
};

static void make_key(const struct sort_item *it, const struct conf_policy *p,
		     struct sort_key *k)
{
	k->usable = it->has_src;
	k->v4 = is_v4(&it->dst);
	k->dscope = sort_scope(&it->dst, p);
	k->dlabel = conf_policy_label(p, &it->dst);
	k->prec = conf_policy_precedence(p, &it->dst);
	k->sscope = it->has_src ? sort_scope(&it->src, p) : -1;
	k->slabel = it->has_src ? conf_policy_label(p, &it->src) : -1;
	k->flags = it->has_src ? it->src_flags : 0;
	k->cpl = sort_common_prefix(it);
}

static bool rule9_applies(const struct sort_key *a, const struct sort_key *b,
			  enum conf_rule9 mode)
{
	if (!a->usable || !b->usable || a->v4 != b->v4)
		return false;
	if (mode == CONF_RULE9_NONE)
		return false;
	return mode != CONF_RULE9_IPV6 || !a->v4;
}

/* <0: a first, >0: b first, 0: rule 10.  *rule gets the deciding rule. */
static int cmp_keys(const struct sort_key *a, const struct sort_key *b,
		    enum conf_rule9 mode, sort_rule *rule)
{
	int r = 0;
	bool both = a->usable && b->usable;
	unsigned fa = a->flags, fb = b->flags;

#define DECIDE(n, expr)              \
	do {                         \
		r = (expr);          \
		if (r) {             \
			*rule = (n); \
			return r;    \
		}                    \
	} while (0)
	/* 1: avoid unusable destinations (no source) */
	DECIDE(1, (int)b->usable - (int)a->usable);
	if (both) {
		/* 2: prefer matching scope */
		DECIDE(2, (int)(b->dscope == b->sscope) -
				  (int)(a->dscope == a->sscope));
		/* 3: avoid deprecated sources */
		DECIDE(3, (int)!!(fa & SORT_SRC_DEPRECATED) -
				  (int)!!(fb & SORT_SRC_DEPRECATED));
		/* 4: prefer home addresses */
		DECIDE(4, (int)!!(fb & SORT_SRC_HOME) -
				  (int)!!(fa & SORT_SRC_HOME));
		/* 5: prefer matching label */
		DECIDE(5, (int)(b->dlabel == b->slabel) -
				  (int)(a->dlabel == a->slabel));
	}
	/* 6: prefer higher precedence */
	DECIDE(6, (b->prec > a->prec) - (b->prec < a->prec));
	/* 7: prefer native transport */
	if (both)
		DECIDE(7, (int)!!(fa & SORT_SRC_TUNNEL) -
				  (int)!!(fb & SORT_SRC_TUNNEL));
	/* 8: prefer smaller scope */
	DECIDE(8, (a->dscope > b->dscope) - (a->dscope < b->dscope));
	/* 9: longest matching prefix, capped at the source's prefix length
	 * (section 2.2), both families unless rfcres-rule9 says otherwise */
	if (rule9_applies(a, b, mode))
		DECIDE(9, (b->cpl > a->cpl) - (b->cpl < a->cpl));
#undef DECIDE
	/* 10: leave the order unchanged */
	*rule = SORT_RULE_KEPT;
	return 0;
}

/* Stable bottom-up merge sort of idx[] by keys; tmp has n slots. */
static void merge_sort(size_t *idx, size_t *tmp, size_t n,
		       const struct sort_key *keys, enum conf_rule9 mode)
{
	sort_rule dummy;
	for (size_t w = 1; w < n; w *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t mid = lo + w < n ? lo + w : n;
			size_t hi = lo + 2 * w < n ? lo + 2 * w : n;
			size_t i = lo, j = mid, k = lo;
			while (i < mid && j < hi) {
				/* ties take the left run: stable */
				if (cmp_keys(&keys[idx[j]], &keys[idx[i]], mode,
					     &dummy) < 0)
					tmp[k++] = idx[j++];
				else
					tmp[k++] = idx[i++];
			}
			while (i < mid)
				tmp[k++] = idx[i++];
			while (j < hi)
				tmp[k++] = idx[j++];
		}
		memcpy(idx, tmp, n * sizeof *idx);
		if (w > SIZE_MAX / 2)
			break;
	}
}

/* Without memory: stable insertion sort computing keys on the fly. */
static void insertion_sort(struct sort_item *items, size_t n,
			   const struct conf_policy *p, enum conf_rule9 mode)
{
	sort_rule dummy;
	for (size_t i = 1; i < n; i++) {
		struct sort_item cur = items[i];
		struct sort_key kc, kp;
		make_key(&cur, p, &kc);
		size_t j = i;
		while (j > 0) {
			make_key(&items[j - 1], p, &kp);
			if (cmp_keys(&kc, &kp, mode, &dummy) >= 0)
				break;
			items[j] = items[j - 1];
			j--;
		}
		items[j] = cur;
	}
}

static void fill_why(const struct sort_item *items, size_t n,
		     const struct conf_policy *p, enum conf_rule9 mode,
		     sort_rule *why)
{
	struct sort_key ka, kb;
	if (n == 0)
		return;
	make_key(&items[0], p, &ka);
	for (size_t i = 0; i + 1 < n; i++) {
		make_key(&items[i + 1], p, &kb);
		cmp_keys(&ka, &kb, mode, &why[i]);
		ka = kb;
	}
}

void sort_destinations(struct sort_item *items, size_t n,
		       const struct conf_policy *policy, sort_rule *why)
{
	const struct conf_policy *p = pol(policy);
	enum conf_rule9 mode = p->rule9;
	if (n < 2) {
		return;
	}
	/* Small lists (every typical answer) sort in stack arrays: no
	 * allocation per lookup. */
	struct sort_key keys_stack[SORT_STACK_N];
	size_t idx_stack[2 * SORT_STACK_N];
	struct sort_item out_stack[SORT_STACK_N];
	struct sort_key *keys = keys_stack;
	size_t *idx = idx_stack;
	struct sort_item *out = out_stack;
	if (n > SORT_STACK_N) {
		keys = NULL;
		idx = NULL;
		out = NULL;
		if (n <= SIZE_MAX / (sizeof *keys + 2 * sizeof *idx +
				     sizeof *out)) {
			keys = malloc(n * sizeof *keys);
			idx = malloc(2 * n * sizeof *idx);
			out = malloc(n * sizeof *out);
		}
	}
	if (!keys || !idx || !out) {
		insertion_sort(items, n, p, mode);
	} else {
		for (size_t i = 0; i < n; i++) {
			make_key(&items[i], p, &keys[i]);
			idx[i] = i;
		}
		merge_sort(idx, idx + n, n, keys, mode);
		for (size_t i = 0; i < n; i++)
			out[i] = items[idx[i]];
		memcpy(items, out, n * sizeof *items);
	}
	if (keys != keys_stack) {
		free(keys);
		free(idx);
		free(out);
	}
	if (why)
		fill_why(items, n, p, mode, why);
}

/* ---- explanations and trace ----------------------------------------------- */

static const char *src_desc(const struct sort_item *it, char *buf, size_t len)
{
	return it->has_src ? sort_addr_str(&it->src, 0, buf, len) : "none";
}

const char *sort_explain(const struct sort_item *a, const struct sort_item *b,
			 sort_rule r, const struct conf_policy *policy,
			 char *buf, size_t len)
{
	const struct conf_policy *p = pol(policy);
	struct sort_key ka, kb;
	char sa[SORT_ADDRSTRLEN], sb[SORT_ADDRSTRLEN];
	make_key(a, p, &ka);
	make_key(b, p, &kb);
	src_desc(a, sa, sizeof sa);
	src_desc(b, sb, sizeof sb);

	switch (r) {
	case 1:
		snprintf(buf, len, "avoid unusable destinations: no source "
			 "address for the second");
		break;
	case 2:
		snprintf(buf, len, "prefer matching scope: 0x%x vs source 0x%x, "
			 "0x%x vs source 0x%x", (unsigned)ka.dscope,
			 (unsigned)ka.sscope, (unsigned)kb.dscope,
			 (unsigned)kb.sscope);
		break;
	case 3:
		snprintf(buf, len, "avoid deprecated addresses: source %s is "
			 "deprecated", sb);
		break;
	case 4:
		snprintf(buf, len, "prefer home addresses: source %s is a home "
			 "address", sa);
		break;
	case 5:
		snprintf(buf, len, "prefer matching label: label %d vs source "
			 "%d, label %d vs source %d", ka.dlabel, ka.slabel,
			 kb.dlabel, kb.slabel);
		break;
	case 6:
		snprintf(buf, len, "prefer higher precedence: %d vs %d",
			 ka.prec, kb.prec);
		break;
	case 7:
		snprintf(buf, len, "prefer native transport: source %s is on a "
			 "tunnel", sb);
		break;
	case 8:
		snprintf(buf, len, "prefer smaller scope: 0x%x vs 0x%x",
			 (unsigned)ka.dscope, (unsigned)kb.dscope);
		break;
	case 9:
		if (plen_cap(a) == plen_cap(b))
			snprintf(buf, len, "longest matching prefix: %u vs %u "
				 "bits, capped at /%u", ka.cpl, kb.cpl,
				 plen_cap(a));
		else
			snprintf(buf, len, "longest matching prefix: %u vs %u "
				 "bits, capped at /%u and /%u", ka.cpl, kb.cpl,
				 plen_cap(a), plen_cap(b));
		break;
	default:
		if (ka.usable && kb.usable && ka.v4 == kb.v4 &&
		    ka.cpl != kb.cpl && !rule9_applies(&ka, &kb, p->rule9))
			snprintf(buf, len, "input order kept: rule 9 (%u vs %u "
				 "bits) disabled by rfcres-rule9 %s", ka.cpl,
				 kb.cpl, p->rule9 == CONF_RULE9_NONE ? "none"
								     : "ipv6");
		else
			snprintf(buf, len, "no rule applies: input order kept");
		break;
	}
	return buf;
}

void sort_trace(const struct sort_item *items, size_t n, const sort_rule *why)
{
	if (!trace_on() || !why)
		return;
	char a[SORT_ADDRSTRLEN], b[SORT_ADDRSTRLEN];
	for (size_t i = 0; i + 1 < n; i++)
		TRACE(RFCRES_TRACE_SORT, "sort.pair", "a=%s b=%s rule=%u",
		      sort_addr_str(&items[i].dst, items[i].dst_scope_id, a,
				    sizeof a),
		      sort_addr_str(&items[i + 1].dst, items[i + 1].dst_scope_id,
				    b, sizeof b),
		      (unsigned)why[i]);
}

/* ---- source attributes from the inventory --------------------------------- */

static bool tunnel_link(unsigned short type)
{
	/* 6in4 (sit), ipip, ip6tnl: encapsulating transition mechanisms
	 * (RFC 6724 rule 7) */
	return type == ARPHRD_SIT || type == ARPHRD_TUNNEL ||
	       type == ARPHRD_TUNNEL6;
}

void sort_source_attrs(const struct ifaddr_entry *e, bool ipv4,
		       struct sort_item *it)
{
	it->src_flags = 0;
	if (!e) {
		it->src_plen = ipv4 ? 0 : 64;
		return;
	}
	unsigned max = e->family == AF_INET ? 32 : 128;
	it->src_plen = e->plen > max ? max : e->plen;
	if (e->flags & IFADDR_F_DEPRECATED)
		it->src_flags |= SORT_SRC_DEPRECATED;
	if (e->flags & IFADDR_F_TEMPORARY)
		it->src_flags |= SORT_SRC_TEMPORARY;
	if (e->flags & IFADDR_F_HOME)
		it->src_flags |= SORT_SRC_HOME;
	if ((e->flags & IFADDR_F_TUNNEL) || tunnel_link(e->link_type))
		it->src_flags |= SORT_SRC_TUNNEL;
}

static void entry_addr(const struct ifaddr_entry *e, struct in6_addr *a)
{
	memset(a, 0, sizeof *a);
	if (e->family == AF_INET) {
		a->s6_addr[10] = a->s6_addr[11] = 0xff;
		memcpy(&a->s6_addr[12], e->addr, 4);
	} else {
		memcpy(a->s6_addr, e->addr, 16);
	}
}

static const struct ifaddr_entry *inv_find(const struct ifaddr_inv *inv,
					   const struct in6_addr *a)
{
	if (!inv)
		return NULL;
	int fam = is_v4(a) ? AF_INET : AF_INET6;
	const void *raw = fam == AF_INET ? (const void *)&a->s6_addr[12]
					 : (const void *)a->s6_addr;
	size_t alen = fam == AF_INET ? 4 : 16;
	for (size_t i = 0; i < inv->n; i++)
		if (inv->v[i].family == fam &&
		    memcmp(inv->v[i].addr, raw, alen) == 0)
			return &inv->v[i];
	return NULL;
}

/* ---- source selection in user space (RFC 6724 section 5) ---------------- */

struct cand {
	const struct ifaddr_entry *e;
	struct in6_addr a;
	int scope, label;
	unsigned cpl;
};

/* >0 when y is the better source for d than x. */
static int cmp_source(const struct cand *x, const struct cand *y,
		      const struct in6_addr *d, int dscope, int dlabel,
		      uint32_t oif)
{
	/* 1: prefer same address */
	bool sx = memcmp(&x->a, d, sizeof *d) == 0;
	bool sy = memcmp(&y->a, d, sizeof *d) == 0;
	if (sx != sy)
		return sy ? 1 : -1;
	/* 2: prefer appropriate scope */
	if (x->scope < y->scope)
		return x->scope < dscope ? 1 : -1;
	if (y->scope < x->scope)
		return y->scope < dscope ? -1 : 1;
	/* 3: avoid deprecated addresses */
	bool dx = x->e->flags & IFADDR_F_DEPRECATED;
	bool dy = y->e->flags & IFADDR_F_DEPRECATED;
	if (dx != dy)
		return dx ? 1 : -1;
	/* 4: prefer home addresses */
	bool hx = x->e->flags & IFADDR_F_HOME, hy = y->e->flags & IFADDR_F_HOME;
	if (hx != hy)
		return hy ? 1 : -1;
	/* 5: prefer the outgoing interface (known only from the zone) */
	if (oif) {
		bool ox = x->e->ifindex == oif, oy = y->e->ifindex == oif;
		if (ox != oy)
			return oy ? 1 : -1;
	}
	/* 5.5 (next-hop's prefix) needs router knowledge: skipped */
	/* 6: prefer matching label */
	bool lx = x->label == dlabel, ly = y->label == dlabel;
	if (lx != ly)
		return ly ? 1 : -1;
	/* 7: prefer temporary addresses */
	bool tx = x->e->flags & IFADDR_F_TEMPORARY;
	bool ty = y->e->flags & IFADDR_F_TEMPORARY;
	if (tx != ty)
		return ty ? 1 : -1;
	/* 8: longest matching prefix (capped, section 2.2) */
	if (x->cpl != y->cpl)
		return y->cpl > x->cpl ? 1 : -1;
	return 0;
}

static bool make_cand(const struct ifaddr_entry *e, const struct in6_addr *d,
		      uint32_t scope_id, const struct conf_policy *p,
		      struct cand *c)
{
	bool v4 = is_v4(d);
	if (e->family != (v4 ? AF_INET : AF_INET6))
		return false;
	if (e->flags & (IFADDR_F_TENTATIVE | IFADDR_F_DADFAILED))
		return false;
	entry_addr(e, &c->a);
	/* never multicast or unspecified (section 4) */
	if (v4 ? (v4_host(&c->a) == 0 || (c->a.s6_addr[12] & 0xf0) == 0xe0)
	       : (IN6_IS_ADDR_MULTICAST(&c->a) ||
		  IN6_IS_ADDR_UNSPECIFIED(&c->a)))
		return false;
	/* a loopback source only reaches loopback (Linux drops it as a
	 * martian elsewhere) */
	if (is_loopback(&c->a) && !is_loopback(d))
		return false;
	/* link-scoped destinations: only the zone's interface (section 4) */
	if (needs_zone(d) && e->ifindex != scope_id)
		return false;
	c->e = e;
	c->scope = sort_scope(&c->a, p);
	c->label = conf_policy_label(p, &c->a);
	struct sort_item tmp = { .dst = *d, .has_src = true, .src = c->a,
				 .src_plen = e->plen };
	c->cpl = sort_common_prefix(&tmp);
	return true;
}

bool sort_select_source(const struct in6_addr *dst, uint32_t dst_scope_id,
			const struct ifaddr_inv *inv,
			const struct conf_policy *policy, struct sort_item *out)
{
	const struct conf_policy *p = pol(policy);
	out->dst = *dst;
	out->dst_scope_id = dst_scope_id;
	out->has_src = false;
	memset(&out->src, 0, sizeof out->src);
	out->src_plen = 0;
	out->src_flags = 0;
	if (!inv || (needs_zone(dst) && dst_scope_id == 0))
		return false;
	int dscope = sort_scope(dst, p), dlabel = conf_policy_label(p, dst);
	struct cand best, c;
	bool have = false;
	for (size_t i = 0; i < inv->n; i++) {
		if (!make_cand(&inv->v[i], dst, dst_scope_id, p, &c))
			continue;
		if (!have || cmp_source(&best, &c, dst, dscope, dlabel,
					dst_scope_id) > 0) {
			best = c;
			have = true;
		}
	}
	if (!have)
		return false;
	out->has_src = true;
	out->src = best.a;
	sort_source_attrs(best.e, is_v4(dst), out);
	return true;
}

/* ---- source probe through the kernel ------------------------------------- */

enum probe_via {
	VIA_NONE,     /* not answered (yet) */
	VIA_NETLINK,  /* RTM_GETROUTE RTA_PREFSRC, or a final route error */
	VIA_UDP,      /* connect + getsockname */
	VIA_LOOPBACK, /* the inventory's loopback address, no kernel query */
	VIA_SKIP,     /* not needed: the order cannot depend on it */
};

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

static int cmp_dst(const struct sort_item *a, const struct sort_item *b)
{
	int c = memcmp(&a->dst, &b->dst, sizeof a->dst);
	if (c)
		return c;
	return (a->dst_scope_id > b->dst_scope_id) -
	       (a->dst_scope_id < b->dst_scope_id);
}

/* Groups identical destinations: ord[] lists item indexes sorted by
 * (dst, zone); returns the number of distinct ones in u[] and the group
 * of each item in grp[]. */
static size_t dedupe(const struct sort_item *items, size_t n, size_t *ord,
		     size_t *tmp, size_t *grp, struct probe *u)
{
	/* merge sort of indexes (qsort has no context argument in C11) */
	for (size_t i = 0; i < n; i++)
		ord[i] = i;
	for (size_t w = 1; w < n; w *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t mid = lo + w < n ? lo + w : n;
			size_t hi = lo + 2 * w < n ? lo + 2 * w : n;
			size_t i = lo, j = mid, k = lo;
			while (i < mid && j < hi)
				tmp[k++] = cmp_dst(&items[ord[j]],
						   &items[ord[i]]) < 0
						   ? ord[j++]
						   : ord[i++];
			while (i < mid)
				tmp[k++] = ord[i++];
			while (j < hi)
				tmp[k++] = ord[j++];
		}
		memcpy(ord, tmp, n * sizeof *ord);
		if (w > SIZE_MAX / 2)
			break;
	}
	size_t nu = 0;
	for (size_t i = 0; i < n; i++) {
		const struct sort_item *it = &items[ord[i]];
		if (i == 0 || cmp_dst(it, &items[ord[i - 1]]) != 0) {
			memset(&u[nu], 0, sizeof u[nu]);
			u[nu].dst = it->dst;
			u[nu].scope_id = it->dst_scope_id;
			nu++;
		}
		grp[ord[i]] = nu - 1;
	}
	return nu;
}

/* Loopback destinations need no kernel query: the kernel answers them from
 * its local table with the loopback address of the family (for 127/8 the
 * primary 127.x address of the loopback subnet, for ::1 itself), and only
 * if that address exists -- ::1 disappears with IPv6 disabled or lo down.
 * So: the inventory's loopback address of the family, else unreachable
 * (rule 1).  Which 127/8 address it is cannot matter for the order: RFC
 * 6724 section 3.2 gives 127/8 link-local scope on both sides (rule 2
 * matches), label 4 (rule 5 matches), and rule 9 is capped at the
 * source's /8.  Returns false when inv cannot tell (no inventory). */
static bool loopback_source(const struct ifaddr_inv *inv, struct probe *pr)
{
	if (!inv)
		return false;
	bool v4 = is_v4(&pr->dst);
	static const unsigned char lo6[16] = { [15] = 1 };
	const struct ifaddr_entry *best = NULL;
	for (size_t i = 0; i < inv->n; i++) {
		const struct ifaddr_entry *e = &inv->v[i];
		if (e->family != (v4 ? AF_INET : AF_INET6) ||
		    (e->flags & (IFADDR_F_TENTATIVE | IFADDR_F_DADFAILED)))
			continue;
		if (v4 ? e->addr[0] != 127 : memcmp(e->addr, lo6, 16) != 0)
			continue;
		if (!best || (v4 && memcmp(e->addr, &pr->dst.s6_addr[12],
					   4) == 0))
			best = e;
	}
	pr->done = true;
	pr->via = VIA_LOOPBACK;
	if (best) {
		entry_addr(best, &pr->src);
		pr->has = true;
	}
	return true;
}

/* UDP: connect() picks the route and source without sending anything. */
struct udp_probe {
	int fd[2];          /* [0] AF_INET, [1] AF_INET6 */
	bool connected[2];
	int err;            /* first socket() failure, -errno */
};

static void udp_probe_one(struct udp_probe *up, struct probe *pr)
{
	bool v4 = is_v4(&pr->dst);
	int f = v4 ? 0 : 1;
	pr->done = true;
	pr->via = VIA_UDP;
	if (needs_zone(&pr->dst) && pr->scope_id == 0)
		return; /* connect() would say EINVAL */
	if (up->fd[f] < 0) {
		up->fd[f] = rfcres_sys.socket(v4 ? AF_INET : AF_INET6,
					      SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (up->fd[f] < 0) {
			if (!up->err)
				up->err = -errno;
			return;
		}
	}
	if (up->connected[f]) {
		/* A connected UDP socket keeps its source address across a
		 * re-connect (ip4/ip6 datagram connect only fill an unset
		 * one): dissolve the association first. */
		struct sockaddr_in6 un;
		memset(&un, 0, sizeof un);
		un.sin6_family = AF_UNSPEC;
		rfcres_sys.connect(up->fd[f], (struct sockaddr *)&un,
				   sizeof un);
		up->connected[f] = false;
	}
	union {
		struct sockaddr sa;
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
	} sa, me;
	socklen_t len;
	memset(&sa, 0, sizeof sa);
	if (v4) {
		sa.sin.sin_family = AF_INET;
		sa.sin.sin_port = htons(9);
		memcpy(&sa.sin.sin_addr, &pr->dst.s6_addr[12], 4);
		len = sizeof sa.sin;
	} else {
		sa.sin6.sin6_family = AF_INET6;
		sa.sin6.sin6_port = htons(9);
		sa.sin6.sin6_addr = pr->dst;
		sa.sin6.sin6_scope_id = pr->scope_id;
		len = sizeof sa.sin6;
	}
	if (rfcres_sys.connect(up->fd[f], &sa.sa, len) != 0)
		return; /* unreachable: no source (rule 1) */
	up->connected[f] = true;
	len = sizeof me;
	memset(&me, 0, sizeof me);
	if (rfcres_sys.getsockname(up->fd[f], &me.sa, &len) != 0)
		return;
	if (v4 && me.sa.sa_family == AF_INET && len >= sizeof me.sin) {
		memset(&pr->src, 0, sizeof pr->src);
		pr->src.s6_addr[10] = pr->src.s6_addr[11] = 0xff;
		memcpy(&pr->src.s6_addr[12], &me.sin.sin_addr, 4);
		pr->has = v4_host(&pr->src) != 0;
	} else if (!v4 && me.sa.sa_family == AF_INET6 &&
		   len >= sizeof me.sin6) {
		pr->src = me.sin6.sin6_addr;
		pr->has = !IN6_IS_ADDR_UNSPECIFIED(&pr->src);
	}
}

#ifdef SORT_HAVE_NETLINK
#define NL_BATCH 32             /* requests per sendmsg */
#define NL_SLOTS 16             /* replies per recvmmsg, on the stack */
#define NL_SLOTS_MAX (NL_BATCH + 4) /* with a heap buffer (many answers) */
#define NL_SLOT 512             /* one reply: route answers are 100-200 B */
#define NL_WAIT_NS 200000000ull /* own socket only: see nl_collect */

struct nl_req {
	struct nlmsghdr nh;
	struct rtmsg rt;
	unsigned char attrs[RTA_SPACE(16) + RTA_SPACE(4)];
};

/* One exchange: probes u[0..nu) not yet done; request for u[i] carries
 * sequence number seq0 + i + 1. */
struct nl_ctx {
	struct probe *u;
	size_t nu;
	uint32_t seq0;
	bool lent;          /* the inventory's monitor socket (see nl_collect) */
	uint64_t deadline;  /* own socket: how long replies may take */
	unsigned char (*rx)[NL_SLOT]; /* nslots receive buffers */
	unsigned nslots;
};

/* Distinct sequence ranges for successive exchanges on the long-lived
 * monitor socket, so a reply left over from an earlier exchange (one that
 * gave up early) can never answer a later one. */
static atomic_uint nl_seq;

static size_t nl_put_attr(unsigned char *at, unsigned short type,
			  const void *data, size_t len)
{
	struct rtattr rta = { .rta_len = (unsigned short)RTA_LENGTH(len),
			      .rta_type = type };
	memcpy(at, &rta, sizeof rta);
	memcpy(at + RTA_LENGTH(0), data, len);
	return RTA_SPACE(len);
}

static void nl_build(struct nl_req *q, const struct probe *pr, uint32_t seq)
{
	bool v4 = is_v4(&pr->dst);
	memset(q, 0, sizeof *q);
	q->nh.nlmsg_type = RTM_GETROUTE;
	q->nh.nlmsg_flags = NLM_F_REQUEST;
	q->nh.nlmsg_seq = seq;
	q->rt.rtm_family = v4 ? AF_INET : AF_INET6;
	q->rt.rtm_dst_len = v4 ? 32 : 128;
	size_t off = nl_put_attr(q->attrs, RTA_DST,
				 v4 ? (const void *)&pr->dst.s6_addr[12]
				    : (const void *)pr->dst.s6_addr,
				 v4 ? 4 : 16);
	if (needs_zone(&pr->dst)) {
		uint32_t oif = pr->scope_id;
		off += nl_put_attr(q->attrs + off, RTA_OIF, &oif, sizeof oif);
	}
	q->nh.nlmsg_len = (uint32_t)(NLMSG_SPACE(sizeof(struct rtmsg)) + off);
}

/* Route lookup failures that are final answers (connect() would fail the
 * same way); anything else goes to the UDP probe. */
static bool nl_final_error(int e)
{
	return e == ENETUNREACH || e == EHOSTUNREACH || e == EACCES ||
	       e == EADDRNOTAVAIL;
}

/* One reply; returns true when it answered its probe. */
static bool nl_take(const struct nlmsghdr *nh, struct probe *pr)
{
	bool v4 = is_v4(&pr->dst);
	if (nh->nlmsg_type == NLMSG_ERROR) {
		if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
			return false;
		const struct nlmsgerr *er = NLMSG_DATA(nh);
		if (er->error < 0 && nl_final_error(-er->error)) {
			pr->done = true;
			pr->via = VIA_NETLINK;
		}
		return true;
	}
	if (nh->nlmsg_type != RTM_NEWROUTE ||
	    nh->nlmsg_len < NLMSG_LENGTH(sizeof(struct rtmsg)))
		return false;
	const struct rtmsg *rt = NLMSG_DATA(nh);
	if (rt->rtm_family != (v4 ? AF_INET : AF_INET6))
		return false;
	size_t alen = v4 ? 4 : 16;
	const void *want = v4 ? (const void *)&pr->dst.s6_addr[12]
			      : (const void *)pr->dst.s6_addr;
	int left = (int)(nh->nlmsg_len - NLMSG_LENGTH(sizeof *rt));
	const struct rtattr *a = RTM_RTA(rt);
	const void *pref = NULL;
	for (; RTA_OK(a, left); a = RTA_NEXT(a, left)) {
		if (RTA_PAYLOAD(a) != alen)
			continue;
		if (a->rta_type == RTA_DST && memcmp(RTA_DATA(a), want, alen))
			return false; /* not our destination: ignore */
		if (a->rta_type == RTA_PREFSRC)
			pref = RTA_DATA(a);
	}
	if (!pref)
		return true; /* no preferred source: UDP probe decides */
	memset(&pr->src, 0, sizeof pr->src);
	if (v4) {
		pr->src.s6_addr[10] = pr->src.s6_addr[11] = 0xff;
		memcpy(&pr->src.s6_addr[12], pref, 4);
		pr->has = v4_host(&pr->src) != 0;
	} else {
		memcpy(pr->src.s6_addr, pref, 16);
		pr->has = !IN6_IS_ADDR_UNSPECIFIED(&pr->src);
	}
	pr->done = pr->has;
	if (pr->has)
		pr->via = VIA_NETLINK;
	return true;
}

/* An answer to a request (ours or an earlier exchange's), as opposed to
 * what a monitor socket also receives: address and link notifications. */
static bool nl_is_answer(const struct nlmsghdr *nh, uint32_t portid)
{
	return (nh->nlmsg_type == RTM_NEWROUTE ||
		nh->nlmsg_type == NLMSG_ERROR) &&
	       (portid == 0 || nh->nlmsg_pid == portid);
}

/* The messages of one datagram; returns how many probes it answered. */
static size_t nl_datagram(struct nl_ctx *c, const unsigned char *rx,
			  size_t len, bool trunc, size_t first, size_t cnt,
			  uint32_t portid, bool *notified)
{
	size_t answered = 0, off = 0;
	if (trunc) {
		/* Cut: unreadable.  One of our answers (its destination goes
		 * to the UDP probe), or a notification that must not be
		 * lost (a big RTM_NEWLINK). */
		if (len < sizeof(struct nlmsghdr) ||
		    !nl_is_answer((const void *)rx, portid))
			*notified = true;
		return 0;
	}
	/* NLMSG_OK by hand: the macro mixes signedness */
	while (len - off >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *nh = (const void *)(rx + off);
		if (nh->nlmsg_len < sizeof *nh || nh->nlmsg_len > len - off) {
			*notified = true; /* malformed: assume a change */
			break;
		}
		off += NLMSG_ALIGN(nh->nlmsg_len);
		if (off > len)
			off = len; /* last message unpadded */
		if (!nl_is_answer(nh, portid)) {
			*notified = true;
			continue;
		}
		uint32_t rel = nh->nlmsg_seq - c->seq0 - 1u;
		if (rel < first || rel - first >= cnt)
			continue; /* another exchange's, or not ours */
		struct probe *pr = &c->u[rel];
		if (pr->nl_answered)
			continue;
		if (nl_take(nh, pr)) {
			pr->nl_answered = true;
			answered++;
		}
	}
	return answered;
}

/* Reads the answers to probes [first, first + cnt), expect of which were
 * asked, into c->nslots datagrams per recvmmsg.  The kernel answers
 * RTM_GETROUTE inside sendmsg() (rtnetlink runs in the sender's context),
 * so everything is normally queued already and one recvmmsg takes it; the
 * loop covers a batch larger than the slots and, on our own socket only,
 * an unusual kernel that answers later (poll, bounded by c->deadline).  On
 * the lent monitor socket we never wait -- the inventory lock is held --
 * and an EAGAIN leaves the rest to the UDP probe.  Stops on overrun or
 * error (the rest falls back too).  Returns true when it read until every
 * answer was in or the socket was empty: then it has also read everything
 * queued before the requests (see ifaddr_acquire_exchange). */
static bool nl_collect(int fd, uint32_t portid, struct nl_ctx *c, size_t first,
		       size_t cnt, size_t expect, bool *notified)
{
	unsigned char (*rx)[NL_SLOT] = c->rx;
	struct sockaddr_nl from[NL_SLOTS_MAX];
	struct iovec iov[NL_SLOTS_MAX];
	struct mmsghdr mv[NL_SLOTS_MAX];
	size_t outstanding = expect;
	for (unsigned guard = 0; outstanding > 0 && guard < 2 * cnt + 8;
	     guard++) {
		/* Room for what is outstanding, and for a few notifications
		 * queued ahead of it on the monitor socket. */
		unsigned nslots = outstanding + 2 < c->nslots
					  ? (unsigned)outstanding + 2
					  : c->nslots;
		for (unsigned k = 0; k < nslots; k++)
			sys_mmsg_slot(&mv[k], &iov[k], rx[k], NL_SLOT, &from[k],
				      sizeof from[k]);
		int r = sys_recvmmsg(fd, mv, nslots, MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS && c->lent) {
				/* The monitor overflowed with notifications:
				 * lost changes (rebuild); our answers may
				 * still be queued behind. */
				*notified = true;
				continue;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return false; /* ENOBUFS: answers lost */
			uint64_t now = sys_now_ns();
			if (c->lent || now >= c->deadline)
				return true; /* empty */
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			rfcres_sys.poll(&pfd, 1,
					(int)((c->deadline - now) / 1000000u) + 1);
			continue;
		}
		for (int k = 0; k < r; k++) {
			const struct msghdr *h = &mv[k].msg_hdr;
			if (h->msg_namelen < sizeof from[k] ||
			    from[k].nl_pid != 0) {
				/* not the kernel: not an answer */
				if (c->lent)
					*notified = true;
				continue;
			}
			size_t got = nl_datagram(
				c, rx[k], mv[k].msg_len > NL_SLOT ? NL_SLOT
								  : mv[k].msg_len,
				(h->msg_flags & MSG_TRUNC) != 0, first, cnt,
				c->lent ? portid : 0, notified);
			outstanding -= got < outstanding ? got : outstanding;
		}
	}
	return outstanding == 0;
}

/* Batched RTM_GETROUTE on fd: one sendmsg per NL_BATCH destinations, their
 * answers by recvmmsg.  Returns 0 when the last batch read all its answers
 * (or found the socket empty), 1 when it stopped early or asked nothing,
 * -errno when netlink is unusable (the UDP probe then does everything not
 * done).  An ifaddr_nl_fn. */
static int nl_exchange(int fd, uint32_t portid, bool *notified, void *arg)
{
	struct nl_ctx *c = arg;
	struct nl_req reqs[NL_BATCH];
	struct iovec iov[NL_BATCH];
	bool drained = false;
	for (size_t first = 0; first < c->nu; first += NL_BATCH) {
		size_t cnt = c->nu - first < NL_BATCH ? c->nu - first
						       : NL_BATCH;
		size_t niov = 0;
		for (size_t i = 0; i < cnt; i++) {
			struct probe *pr = &c->u[first + i];
			if (pr->done || pr->lo)
				continue; /* answered, or from the inventory */
			if (needs_zone(&pr->dst) && pr->scope_id == 0) {
				pr->done = true; /* connect() says EINVAL */
				continue;
			}
			nl_build(&reqs[niov], pr,
				 c->seq0 + (uint32_t)(first + i) + 1u);
			iov[niov].iov_base = &reqs[niov];
			iov[niov].iov_len = reqs[niov].nh.nlmsg_len;
			niov++;
		}
		if (niov == 0)
			continue;
		struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
		struct msghdr msg = { .msg_name = &kernel,
				      .msg_namelen = sizeof kernel,
				      .msg_iov = iov,
				      .msg_iovlen = niov };
		ssize_t s;
		do
			s = rfcres_sys.sendmsg(fd, &msg, 0);
		while (s < 0 && errno == EINTR);
		if (s < 0)
			return errno ? -errno : -EIO;
		/* some answers lost: they fall back, keep going */
		drained = nl_collect(fd, portid, c, first, cnt, niov, notified);
	}
	return drained ? 0 : 1;
}

/* The exchange on the inventory's monitor socket (no socket of our own, no
 * validation of our own): with live, inside the acquire of the inventory,
 * whose change check it then stands in for; else if inv is the live
 * inventory.  Otherwise on a socket of our own -- only worth it for two or
 * more requests: for one, connect + getsockname costs as much as socket +
 * sendmsg + recvmmsg + close. */
static void nl_probe(struct probe *u, size_t nu, size_t pending,
		     const struct ifaddr_inv *inv, struct ifaddr_inv **live)
{
	/* Answers land in 512-byte slots: 16 on the stack cover a typical
	 * answer in one recvmmsg; for more, a whole batch's worth from the
	 * heap (one recvmmsg per 32 destinations instead of two). */
	unsigned char stack_rx[NL_SLOTS][NL_SLOT];
	struct nl_ctx c = {
		.u = u,
		.nu = nu,
		.seq0 = atomic_fetch_add(&nl_seq, (unsigned)nu),
		.lent = true,
		.rx = stack_rx,
		.nslots = NL_SLOTS,
	};
	if (pending > NL_SLOTS) {
		unsigned char(*big)[NL_SLOT] = malloc(NL_SLOTS_MAX * NL_SLOT);
		if (big) {
			c.rx = big;
			c.nslots = NL_SLOTS_MAX;
		}
	}
	int rc;
	if (live)
		*live = ifaddr_acquire_exchange(nl_exchange, &c, &rc);
	else
		rc = ifaddr_netlink_exchange(inv, nl_exchange, &c);
	if (rc == -ENOTCONN && pending >= 2) {
		int fd = rfcres_sys.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
					   NETLINK_ROUTE);
		if (fd >= 0) {
			bool ignored = false;
			c.lent = false;
			c.deadline = sys_now_ns() + NL_WAIT_NS;
			nl_exchange(fd, 0, &ignored, &c);
			rfcres_sys.close(fd);
		}
	}
	if (c.rx != stack_rx)
		free(c.rx);
}
#else
static void nl_probe(struct probe *u, size_t nu, size_t pending,
		     const struct ifaddr_inv *inv, struct ifaddr_inv **live)
{
	(void)u;
	(void)nu;
	(void)pending;
	(void)inv;
	if (live)
		*live = ifaddr_acquire();
}
#endif

/* How the source was learned; gai.c reports the chosen source itself
 * ("sort.source dst= src= plen= flags="). */
static void trace_probe(const struct sort_item *it, const struct probe *pr)
{
	static const char *const via[] = { "none", "netlink", "udp",
					   "loopback", "skipped" };
	char d[SORT_ADDRSTRLEN], s[SORT_ADDRSTRLEN];
	TRACE(RFCRES_TRACE_SORT, "sort.probe", "dst=%s src=%s via=%s",
	      sort_addr_str(&pr->dst, pr->scope_id, d, sizeof d),
	      it->has_src ? sort_addr_str(&it->src, 0, s, sizeof s) : "none",
	      via[pr->via < 5 ? pr->via : 0]);
}


/* sort_probe_sources, or with live != NULL sort_probe_live: the inventory
 * is then acquired here (inv is ignored) and returned in *live. */
static int probe_sources(struct sort_item *items, size_t n,
			 const struct ifaddr_inv *inv, struct ifaddr_inv **live)
{
	if (live)
		*live = NULL;
	for (size_t i = 0; i < n; i++) {
		items[i].has_src = false;
		memset(&items[i].src, 0, sizeof items[i].src);
		items[i].src_plen = 0;
		items[i].src_flags = 0;
	}
	if (n == 0)
		return 0;
	size_t ord_stack[3 * SORT_STACK_N];
	struct probe u_stack[SORT_STACK_N];
	size_t *ord = ord_stack;
	struct probe *u = u_stack;
	if (n > SORT_STACK_N) {
		if (n > SIZE_MAX / (3 * sizeof(size_t) + sizeof(struct probe)))
			return -ENOMEM;
		ord = malloc(3 * n * sizeof *ord);
		u = malloc(n * sizeof *u);
		if (!ord || !u) {
			free(ord);
			free(u);
			return -ENOMEM;
		}
	}
	size_t *grp = ord + 2 * n;
	size_t nu = dedupe(items, n, ord, ord + n, grp, u);
	struct udp_probe up = { .fd = { -1, -1 } };

	if (nu == 1) {
		/* Copies of one destination: the sort keeps their order
		 * whatever the source is (every rule ties), so nothing is
		 * asked (not even the inventory). */
		u[0].done = true;
		u[0].via = VIA_SKIP;
	} else {
		/* Loopback destinations are answered from the inventory once
		 * it is there; the others go to the kernel. */
		size_t pending = 0;
		for (size_t i = 0; i < nu; i++) {
			u[i].lo = is_loopback(&u[i].dst) && (live || inv);
			pending += !u[i].lo;
		}
		if (pending > 0)
			nl_probe(u, nu, pending, inv, live);
		else if (live)
			*live = ifaddr_acquire();
		if (live)
			inv = *live;
		for (size_t i = 0; i < nu; i++)
			if (u[i].lo && !loopback_source(inv, &u[i]))
				u[i].lo = false; /* no inventory after all */
		for (size_t i = 0; i < nu; i++)
			if (!u[i].done)
				udp_probe_one(&up, &u[i]);
		for (int f = 0; f < 2; f++)
			if (up.fd[f] >= 0)
				rfcres_sys.close(up.fd[f]);
	}

	for (size_t i = 0; i < n; i++) {
		const struct probe *pr = &u[grp[i]];
		if (!pr->has)
			continue;
		items[i].has_src = true;
		items[i].src = pr->src;
		sort_source_attrs(inv_find(inv, &pr->src), is_v4(&pr->dst),
				  &items[i]);
	}
	if (trace_on()) {
		/* once per distinct destination: the first item of its group */
		for (size_t i = 0; i < n; i++)
			if (i == 0 || grp[ord[i]] != grp[ord[i - 1]])
				trace_probe(&items[ord[i]], &u[grp[ord[i]]]);
	}
	if (ord != ord_stack) {
		free(ord);
		free(u);
	}
	return up.err;
}

int sort_probe_sources(struct sort_item *items, size_t n,
		       const struct ifaddr_inv *inv)
{
	return probe_sources(items, n, inv, NULL);
}

int sort_probe_live(struct sort_item *items, size_t n,
		    struct ifaddr_inv **inv)
{
	return probe_sources(items, n, NULL, inv);
}
