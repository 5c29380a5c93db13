/*
 * The source probe: which source the kernel would use for each destination
 * (RFC 6724 section 6 needs Source(D)).  Identical destinations are asked
 * once, loopback ones answered from the inventory, the rest by batched
 * netlink route queries (sort_probe_nl.c) and, for whatever those did not
 * answer, UDP connect + getsockname (no packet is sent).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/sys.h"
#include "core/trace.h"
#include "net/ifaddr.h"
#include "select/sort_priv.h"

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
	bool v4 = sort_is_v4(&pr->dst);
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
		sort_entry_addr(best, &pr->src);
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
	bool v4 = sort_is_v4(&pr->dst);
	int f = v4 ? 0 : 1;
	pr->done = true;
	pr->via = VIA_UDP;
	if (sort_needs_zone(&pr->dst) && pr->scope_id == 0)
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
		pr->has = sort_v4_host(&pr->src) != 0;
	} else if (!v4 && me.sa.sa_family == AF_INET6 &&
		   len >= sizeof me.sin6) {
		pr->src = me.sin6.sin6_addr;
		pr->has = !IN6_IS_ADDR_UNSPECIFIED(&pr->src);
	}
}


/* How the source was learned; gai.c reports the chosen source itself
 * ("sort.source dst= src= plen= flags="). */
static void trace_probe(const struct sort_item *it, const struct probe *pr)
{
	static const char *const via[] = { "none",     "netlink", "udp",
					   "loopback", "skipped", "cache" };
	char d[SORT_ADDRSTRLEN], s[SORT_ADDRSTRLEN];
	TRACE(RFCRES_TRACE_SORT, "sort.probe", "dst=%s src=%s via=%s",
	      sort_addr_str(&pr->dst, pr->scope_id, d, sizeof d),
	      it->has_src ? sort_addr_str(&it->src, 0, s, sizeof s) : "none",
	      via[pr->via < 6 ? pr->via : 0]);
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
			u[i].lo = sort_is_loopback(&u[i].dst) && (live || inv);
			pending += !u[i].lo;
		}
		/* The source cache (live only: its validity is the live
		 * monitor's route generation).  When every destination has
		 * an entry, a plain acquire says whether they still hold;
		 * otherwise the route queries ride on the acquire as before
		 * and their answers fill the cache. */
		uint64_t routes = 0;
		bool from_cache = false;
		if (live && pending > 0 && sort_cache_covers(u, nu)) {
			*live = ifaddr_acquire_routes(&routes);
			pending = sort_cache_get(u, nu, routes);
			from_cache = pending == 0;
			if (pending > 0)
				sort_nl_probe(u, nu, pending, *live, NULL, NULL);
		} else if (pending > 0) {
			sort_nl_probe(u, nu, pending, inv, live,
				      live ? &routes : NULL);
		} else if (live) {
			*live = ifaddr_acquire();
		}
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
		/* no source because socket() failed is not the kernel's
		 * answer: not kept */
		if (routes && !from_cache && up.err == 0)
			sort_cache_put(u, nu, routes);
	}

	for (size_t i = 0; i < n; i++) {
		const struct probe *pr = &u[grp[i]];
		if (!pr->has)
			continue;
		items[i].has_src = true;
		items[i].src = pr->src;
		sort_source_attrs(sort_inv_find(inv, &pr->src),
				  sort_is_v4(&pr->dst), &items[i]);
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
