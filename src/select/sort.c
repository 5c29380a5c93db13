/*
 * RFC 6724 destination address selection (section 6) as a pure, stable
 * sort.  Source selection (the kernel's probe, or section 5 in user space)
 * is in sort_probe.c and sort_source.c; the map is in sort_priv.h.
 *
 * Differences from glibc's rfc3484_sort (see docs/deviations/sort.md):
 * the RFC 6724 default table, IPv4 sorted whether or not the host has IPv6,
 * and CommonPrefixLen capped at the source's prefix length for both
 * families, so destinations inside the source's subnet come first while
 * DNS round robin survives among them (seed 000).
 */
#include "select/sort.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "select/sort_priv.h"

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


const char *sort_addr_str(const struct in6_addr *a, uint32_t scope_id,
			  char *buf, size_t len)
{
	char tmp[INET6_ADDRSTRLEN];
	if (sort_is_v4(a))
		inet_ntop(AF_INET, &a->s6_addr[12], tmp, sizeof tmp);
	else
		inet_ntop(AF_INET6, a, tmp, sizeof tmp);
	if (scope_id && !sort_is_v4(a))
		snprintf(buf, len, "%s%%%u", tmp, (unsigned)scope_id);
	else
		snprintf(buf, len, "%s", tmp);
	return buf;
}

/* RFC 6724 section 3.1 (multicast scope field; unicast mapped onto it) and
 * 3.2 (IPv4: loopback and 169.254/16 link-local, everything else global,
 * private ranges included).  ::1 is link-local as RFC 4007 section 4 says
 * (glibc and Go agree). */
int sort_scope(const struct in6_addr *a, const struct conf_policy *policy)
{
	if (sort_is_v4(a)) {
		int v = policy ? conf_policy_scopev4(policy, a) : -1;
		if (v >= 0)
			return v;
		uint32_t h = sort_v4_host(a);
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

unsigned sort_plen_cap(const struct sort_item *it)
{
	unsigned p = it->src_plen;
	if (sort_is_v4(&it->dst)) {
		if (p >= 96)
			p -= 96;
		return p > 32 ? 32 : p;
	}
	return p > 128 ? 128 : p;
}

unsigned sort_common_prefix(const struct sort_item *it)
{
	if (!it->has_src || sort_is_v4(&it->src) != sort_is_v4(&it->dst))
		return 0;
	unsigned cpl = sort_is_v4(&it->dst)
			   ? common_bits(&it->src, &it->dst, 12, 16)
			   : common_bits(&it->src, &it->dst, 0, 16);
	unsigned cap = sort_plen_cap(it);
	return cpl < cap ? cpl : cap;
}

void sort_make_key(const struct sort_item *it, const struct conf_policy *p,
		   struct sort_key *k)
{
	k->usable = it->has_src;
	k->v4 = sort_is_v4(&it->dst);
	k->dscope = sort_scope(&it->dst, p);
	k->dlabel = conf_policy_label(p, &it->dst);
	k->prec = conf_policy_precedence(p, &it->dst);
	k->sscope = it->has_src ? sort_scope(&it->src, p) : -1;
	k->slabel = it->has_src ? conf_policy_label(p, &it->src) : -1;
	k->flags = it->has_src ? it->src_flags : 0;
	k->cpl = sort_common_prefix(it);
}

bool sort_rule9_applies(const struct sort_key *a, const struct sort_key *b,
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
	if (sort_rule9_applies(a, b, mode))
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
		sort_make_key(&cur, p, &kc);
		size_t j = i;
		while (j > 0) {
			sort_make_key(&items[j - 1], p, &kp);
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
	sort_make_key(&items[0], p, &ka);
	for (size_t i = 0; i + 1 < n; i++) {
		sort_make_key(&items[i + 1], p, &kb);
		cmp_keys(&ka, &kb, mode, &why[i]);
		ka = kb;
	}
}

void sort_destinations(struct sort_item *items, size_t n,
		       const struct conf_policy *policy, sort_rule *why)
{
	const struct conf_policy *p = sort_pol(policy);
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
			sort_make_key(&items[i], p, &keys[i]);
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
