/*
 * Inventory objects (DESIGN "Local addresses"): reference-counted arrays
 * of addresses, and the builder that collects a dump's links and
 * addresses into one (link types and flags applied to each address).
 */
#include "ifaddr_priv.h"

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

static struct ifaddr_inv *inv_new(struct ifaddr_entry *v, size_t n,
				  bool from_netlink)
{
	struct ifaddr_inv *inv = calloc(1, sizeof(*inv));
	if (!inv)
		return NULL;
	atomic_init(&inv->refs, 1);
	inv->v = v;
	inv->n = n;
	inv->from_netlink = from_netlink;
	return inv;
}

void ifaddr_release(struct ifaddr_inv *inv)
{
	if (!inv)
		return;
	if (atomic_fetch_sub_explicit(&inv->refs, 1, memory_order_acq_rel) == 1) {
		free(inv->v);
		free(inv);
	}
}

struct ifaddr_inv *ifaddr_from_entries(const struct ifaddr_entry *v, size_t n)
{
	struct ifaddr_entry *copy = NULL;
	if (n > IFADDR_MAX_ENTRIES || (n > 0 && !v))
		return NULL;
	if (n > 0) {
		copy = malloc(n * sizeof(*copy));
		if (!copy)
			return NULL;
		memcpy(copy, v, n * sizeof(*copy));
	}
	/* Explicit entries carry explicit flags: "from_netlink" means the
	 * flags are meaningful. */
	struct ifaddr_inv *inv = inv_new(copy, n, true);
	if (!inv)
		free(copy);
	return inv;
}

size_t ifaddr_family_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

const struct ifaddr_entry *ifaddr_find(const struct ifaddr_inv *inv, int family,
				       const void *addr)
{
	size_t alen = ifaddr_family_len(family);
	if (!inv || !addr || alen == 0)
		return NULL;
	for (size_t i = 0; i < inv->n; i++) {
		const struct ifaddr_entry *e = &inv->v[i];
		if (e->family == family && memcmp(e->addr, addr, alen) == 0)
			return e;
	}
	return NULL;
}

/* ---- building ------------------------------------------------------------ */

void ifaddr_build_free(struct ifaddr_build *b)
{
	free(b->v);
	free(b->links);
	memset(b, 0, sizeof(*b));
}

int ifaddr_build_push_entry(struct ifaddr_build *b,
			    const struct ifaddr_entry *e)
{
	if (b->n == b->cap) {
		if (b->cap >= IFADDR_MAX_ENTRIES)
			return -E2BIG;
		size_t ncap = b->cap ? b->cap * 2 : 16;
		if (ncap > IFADDR_MAX_ENTRIES)
			ncap = IFADDR_MAX_ENTRIES;
		struct ifaddr_entry *nv = realloc(b->v, ncap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		b->v = nv;
		b->cap = ncap;
	}
	b->v[b->n++] = *e;
	return 0;
}

int ifaddr_build_push_link(struct ifaddr_build *b,
			   const struct ifaddr_link *l)
{
	if (b->nlinks == b->linkcap) {
		if (b->linkcap >= IFADDR_MAX_LINKS)
			return -E2BIG;
		size_t ncap = b->linkcap ? b->linkcap * 2 : 8;
		if (ncap > IFADDR_MAX_LINKS)
			ncap = IFADDR_MAX_LINKS;
		struct ifaddr_link *nl = realloc(b->links, ncap * sizeof(*nl));
		if (!nl)
			return -ENOMEM;
		b->links = nl;
		b->linkcap = ncap;
	}
	b->links[b->nlinks++] = *l;
	return 0;
}

unsigned ifaddr_link_type_flags(unsigned short type)
{
	switch (type) {
	case IFNL_ARPHRD_TUNNEL:
	case IFNL_ARPHRD_TUNNEL6:
	case IFNL_ARPHRD_SIT:
	case IFNL_ARPHRD_IPGRE:
	case IFNL_ARPHRD_IP6GRE:
	case IFNL_ARPHRD_NONE: /* wireguard, tun: layer-3 virtual links */
		return IFADDR_F_TUNNEL;
	default:
		return 0;
	}
}

static int link_cmp(const void *a, const void *b)
{
	const struct ifaddr_link *x = a, *y = b;
	return x->index < y->index ? -1 : x->index > y->index;
}

struct ifaddr_inv *ifaddr_build_finish(struct ifaddr_build *b,
				       bool from_netlink)
{
	if (b->nlinks > 1)
		qsort(b->links, b->nlinks, sizeof(*b->links), link_cmp);
	for (size_t i = 0; i < b->n; i++) {
		struct ifaddr_entry *e = &b->v[i];
		struct ifaddr_link key = { .index = e->ifindex };
		const struct ifaddr_link *l = NULL;
		if (b->nlinks > 0)
			l = bsearch(&key, b->links, b->nlinks, sizeof(*b->links),
				    link_cmp);
		if (!l) /* link appeared between the two dumps: unknown */
			continue;
		e->link_type = l->type;
		if (l->type == IFNL_ARPHRD_LOOPBACK || (l->ifflags & IFF_LOOPBACK))
			e->flags |= IFADDR_F_LOOPBACK_IF;
		e->flags |= ifaddr_link_type_flags(l->type);
		if (!(l->ifflags & IFF_UP))
			e->flags |= IFADDR_F_IF_DOWN;
	}
	struct ifaddr_inv *inv = inv_new(b->v, b->n, from_netlink);
	if (inv)
		b->v = NULL;
	ifaddr_build_free(b);
	return inv;
}
