/*
 * Source addresses from the interface inventory: the attributes RFC 6724
 * rules 3, 4, 7 and 9 need (deprecated, home, tunnel, prefix length), and
 * section 5 source selection in user space (simulation and fallback).
 */
#include <net/if_arp.h>
#include <string.h>

#include "conf/conf.h"
#include "net/ifaddr.h"
#include "select/sort_priv.h"

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

void sort_entry_addr(const struct ifaddr_entry *e, struct in6_addr *a)
{
	memset(a, 0, sizeof *a);
	if (e->family == AF_INET) {
		a->s6_addr[10] = a->s6_addr[11] = 0xff;
		memcpy(&a->s6_addr[12], e->addr, 4);
	} else {
		memcpy(a->s6_addr, e->addr, 16);
	}
}

const struct ifaddr_entry *sort_inv_find(const struct ifaddr_inv *inv,
					 const struct in6_addr *a)
{
	if (!inv)
		return NULL;
	int fam = sort_is_v4(a) ? AF_INET : AF_INET6;
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
	bool v4 = sort_is_v4(d);
	if (e->family != (v4 ? AF_INET : AF_INET6))
		return false;
	if (e->flags & (IFADDR_F_TENTATIVE | IFADDR_F_DADFAILED))
		return false;
	sort_entry_addr(e, &c->a);
	/* never multicast or unspecified (section 4) */
	if (v4 ? (sort_v4_host(&c->a) == 0 || (c->a.s6_addr[12] & 0xf0) == 0xe0)
	       : (IN6_IS_ADDR_MULTICAST(&c->a) ||
		  IN6_IS_ADDR_UNSPECIFIED(&c->a)))
		return false;
	/* a loopback source only reaches loopback (Linux drops it as a
	 * martian elsewhere) */
	if (sort_is_loopback(&c->a) && !sort_is_loopback(d))
		return false;
	/* link-scoped destinations: only the zone's interface (section 4) */
	if (sort_needs_zone(d) && e->ifindex != scope_id)
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
	const struct conf_policy *p = sort_pol(policy);
	out->dst = *dst;
	out->dst_scope_id = dst_scope_id;
	out->has_src = false;
	memset(&out->src, 0, sizeof out->src);
	out->src_plen = 0;
	out->src_flags = 0;
	if (!inv || (sort_needs_zone(dst) && dst_scope_id == 0))
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
	sort_source_attrs(best.e, sort_is_v4(dst), out);
	return true;
}
