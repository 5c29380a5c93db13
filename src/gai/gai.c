/*
 * rfcres_getaddrinfo: argument checks and their order follow glibc 2.36
 * (sysdeps/posix/getaddrinfo.c); where librfcres decides differently
 * (AI_ADDRCONFIG per destination, RFC 6724 sort, RFC 6761 localhost) it is
 * written down in docs/deviations.md.
 */
#include "gai/gai.h"
#include "gai/gai_async.h"
#include "gai/gai_nss.h"
#include "gai/gai_quiet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/conf.h"
#include "core/sys.h"
#include "core/trace.h"
#include "dns/lookup.h"
#include "gai/gai_numeric.h"
#include "net/ifaddr.h"
#include "select/addrcfg.h"
#include "select/sort.h"

/* Every flag glibc accepts (AI_IDN and friends included: librfcres has no
 * IDN conversion; ASCII names are unaffected, see deviations). */
#define GAI_KNOWN_FLAGS                                                     \
	(AI_PASSIVE | AI_CANONNAME | AI_NUMERICHOST | AI_V4MAPPED | AI_ALL | \
	 AI_ADDRCONFIG | AI_NUMERICSERV | 0x40 /* AI_IDN */ |                \
	 0x80 /* AI_CANONIDN */ | 0x300 /* deprecated IDN flags */)

/* glibc's default when hints is NULL: AI_V4MAPPED | AI_ADDRCONFIG. */
static const struct addrinfo default_hints = {
	.ai_flags = AI_V4MAPPED | AI_ADDRCONFIG,
	.ai_family = AF_UNSPEC,
};

static const char *family_name(int f)
{
	return f == AF_INET ? "inet" : f == AF_INET6 ? "inet6" : "unspec";
}

bool gai_is_localhost(const char *name)
{
	size_t n = strlen(name);
	if (n && name[n - 1] == '.')
		n--;
	if (n == 9 && strncasecmp(name, "localhost", 9) == 0)
		return true;
	return n > 10 && strncasecmp(name + n - 10, ".localhost", 10) == 0;
}

bool gai_name_ok(const char *name)
{
	size_t n = strlen(name), label = 0;
	if (n && name[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 0x21 || c == 0x7f)
			return false;
		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (++label > 63) {
			return false;
		}
	}
	return label > 0;
}

/* Room for at least want addresses (inline first, then the heap). */
static int reserve_addrs(struct gai_req *r, size_t want)
{
	if (!r->addrs) {
		r->addrs = r->addrs_inline;
		r->cap = GAI_INLINE_ADDRS;
	}
	if (want > r->cap) {
		size_t ncap = r->cap * 2 > want ? r->cap * 2 : want;
		if (ncap > SIZE_MAX / sizeof(struct gai_addr))
			return EAI_MEMORY;
		struct gai_addr *n;
		if (r->addrs == r->addrs_inline) {
			n = malloc(ncap * sizeof *n);
			if (n)
				memcpy(n, r->addrs, r->naddrs * sizeof *n);
		} else {
			n = realloc(r->addrs, ncap * sizeof *n);
		}
		if (!n)
			return EAI_MEMORY;
		r->addrs = n;
		r->cap = ncap;
	}
	return 0;
}

static int add_addr(struct gai_req *r, int family, const void *addr,
		    uint32_t scope)
{
	int rc = reserve_addrs(r, r->naddrs + 1);
	if (rc)
		return rc;
	struct gai_addr *a = &r->addrs[r->naddrs++];
	memset(a, 0, sizeof *a);
	a->family = family;
	memcpy(a->addr, addr, family == AF_INET6 ? 16 : 4);
	a->scope_id = scope;
	return 0;
}

static void v4_mapped(unsigned char out[16], const unsigned char v4[4])
{
	memset(out, 0, 10);
	out[10] = out[11] = 0xff;
	memcpy(out + 12, v4, 4);
}

/* Adds one address under the request's family rules: AF_INET6 with
 * AI_V4MAPPED turns IPv4 into ::ffff:a.b.c.d. */
int gai_req_add(struct gai_req *r, int family, const void *addr,
		uint32_t scope)
{
	if (family == AF_INET && r->family == AF_INET6) {
		unsigned char m[16];
		v4_mapped(m, addr);
		return add_addr(r, AF_INET6, m, 0);
	}
	return add_addr(r, family, addr, scope);
}

/* NULL host: the wildcard with AI_PASSIVE, else loopback; IPv6 first, as
 * glibc builds it. */
static int host_null(struct gai_req *r)
{
	static const unsigned char any4[4], lo4[4] = {127, 0, 0, 1};
	int rc = 0;
	if (r->family == AF_UNSPEC || r->family == AF_INET6)
		rc = add_addr(r, AF_INET6,
			      (r->flags & AI_PASSIVE) ? in6addr_any.s6_addr
						      : in6addr_loopback.s6_addr,
			      0);
	if (!rc && (r->family == AF_UNSPEC || r->family == AF_INET))
		rc = add_addr(r, AF_INET, (r->flags & AI_PASSIVE) ? any4 : lo4,
			      0);
	/* Never filtered by AI_ADDRCONFIG, but sorted like any answer, as
	 * glibc sorts them (for AI_PASSIVE that puts 0.0.0.0 before ::). */
	r->wildcard = true;
	return rc;
}

/* Numeric literal: 1 handled, 0 not numeric, else an EAI code. */
static int host_numeric(struct gai_req *r, const char *name)
{
	unsigned char a[16];
	uint32_t scope = 0;
	if (gai_inet_aton_exact(name, a)) {
		if (r->family == AF_INET6 && !(r->flags & AI_V4MAPPED))
			return EAI_ADDRFAMILY;
		int rc = gai_req_add(r, AF_INET, a, 0);
		r->numeric = true;
		return rc ? rc : 1;
	}
	int v6 = gai_inet6_parse(name, a, &scope);
	if (v6 == 0)
		return 0;
	if (r->family == AF_INET) {
		if (!IN6_IS_ADDR_V4MAPPED((struct in6_addr *)a))
			return EAI_ADDRFAMILY;
		if (v6 < 0)
			return EAI_NONAME;
		r->numeric = true;
		int rc = add_addr(r, AF_INET, a + 12, 0);
		return rc ? rc : 1;
	}
	if (v6 < 0)
		return EAI_NONAME;
	r->numeric = true;
	int rc = add_addr(r, AF_INET6, a, scope);
	return rc ? rc : 1;
}

/* The configuration snapshot, taken the first time a file is needed: a
 * numeric host with a numeric (or no) service touches no file at all, as
 * in glibc, so it costs no stat() calls. */
struct conf_snapshot *gai_req_snap(struct gai_req *r)
{
	if (!r->snap) {
		/* the lookup's one poll (gai_quiet.c), which the snapshot's
		 * checks and the inventory's acquires rely on */
		gai_quiet_poll();
		r->snap = conf_acquire();
	}
	return r->snap;
}

/* IPv4 addresses of the hosts file for name, as glibc's files backend
 * answers an AF_INET query: IPv4 entries, and "::1" entries turned into
 * 127.0.0.1 (nss_files does that so ip6-localhost works for IPv4), in file
 * order, duplicates kept. */
static int hosts_v4(struct gai_req *r, const char *name, const char **canon)
{
	static const unsigned char lo4[4] = {127, 0, 0, 1};
	const struct conf_hosts_entry *e[64];
	size_t n = conf_hosts_by_name(gai_req_snap(r)->hosts, name, AF_UNSPEC, e, 64);
	int rc = 0;
	for (size_t i = 0; i < n && i < 64 && !rc; i++) {
		const void *a = e[i]->addr;
		if (e[i]->family == AF_INET6) {
			if (!IN6_IS_ADDR_LOOPBACK((const struct in6_addr *)a))
				continue;
			a = lo4;
		}
		*canon = *canon ? *canon : e[i]->names[0];
		rc = gai_req_add(r, AF_INET, a, 0);
	}
	return rc;
}

/* The hosts file, with glibc's family rules: AF_UNSPEC takes every entry
 * in file order; AF_INET6 takes IPv6 entries, then the AF_INET answer
 * mapped when AI_V4MAPPED found no IPv6 (or with AI_ALL). */
int gai_src_files(struct gai_req *r, const char *name)
{
	const struct conf_hosts_entry *e[64];
	const struct conf_hosts *h = gai_req_snap(r)->hosts;
	const char *canon = NULL;
	int rc = 0;

	if (r->family == AF_INET) {
		rc = hosts_v4(r, name, &canon);
	} else {
		size_t n = conf_hosts_by_name(h, name, r->family, e, 64);
		for (size_t i = 0; i < n && i < 64 && !rc; i++) {
			canon = canon ? canon : e[i]->names[0];
			rc = add_addr(r, e[i]->family, e[i]->addr,
				      e[i]->scope_id);
		}
		if (!rc && r->family == AF_INET6 && (r->flags & AI_V4MAPPED) &&
		    (n == 0 || (r->flags & AI_ALL)))
			rc = hosts_v4(r, name, &canon);
	}
	if (rc)
		return rc;
	if (r->naddrs == 0)
		return 0;
	TRACE(RFCRES_TRACE_LOOKUP, "lookup.hosts", "found=%zu canon=%s",
	      r->naddrs, canon);
	r->canon = canon; /* in the snapshot the request holds */
	return 1;
}

/* RFC 6761 section 6.3: localhost names never go to DNS. */
int gai_src_localhost(struct gai_req *r)
{
	static const unsigned char lo4[4] = {127, 0, 0, 1};
	int rc = 0;
	if (r->family != AF_INET)
		rc = add_addr(r, AF_INET6, in6addr_loopback.s6_addr, 0);
	if (!rc && r->family != AF_INET6)
		rc = add_addr(r, AF_INET, lo4, 0);
	TRACE(RFCRES_TRACE_LOOKUP, "lookup.localhost", "rfc=6761 n=%zu",
	      r->naddrs);
	return rc ? rc : 1;
}

int gai_src_dns_start(struct gai_req *r, const char *name)
{
	unsigned want = 0;
	if (r->family == AF_UNSPEC || r->family == AF_INET)
		want |= DNS_WANT_A;
	if (r->family == AF_UNSPEC || r->family == AF_INET6)
		want |= DNS_WANT_AAAA;
	if (r->family == AF_INET6 && (r->flags & AI_V4MAPPED))
		want |= DNS_WANT_A; /* kept only if no AAAA, or AI_ALL */

	if (r->flags & AI_ADDRCONFIG) {
		struct ifaddr_inv *inv = ifaddr_acquire();
		if (inv) {
			struct addrcfg_caps caps;
			addrcfg_caps_of(inv, &caps);
			ifaddr_release(inv);
			if ((want & DNS_WANT_A) &&
			    !addrcfg_want_family(&caps, AF_INET)) {
				want &= ~(unsigned)DNS_WANT_A;
				TRACE(RFCRES_TRACE_ADDRCONFIG,
				      "addrconfig.skip-query",
				      "qtype=A reason=no-usable-ipv4");
			}
			if ((want & DNS_WANT_AAAA) &&
			    !addrcfg_want_family(&caps, AF_INET6)) {
				want &= ~(unsigned)DNS_WANT_AAAA;
				TRACE(RFCRES_TRACE_ADDRCONFIG,
				      "addrconfig.skip-query",
				      "qtype=AAAA reason=no-usable-ipv6");
			}
			/* glibc: EAI_NONAME when AI_ADDRCONFIG rules out
			 * the family asked for */
			if (!want)
				return EAI_NONAME;
		}
	}
	if (!gai_name_ok(name)) {
		char sn[96];
		TRACE(RFCRES_TRACE_LOOKUP, "lookup.badname", "name=%s",
		      trace_safe(name, sn, sizeof sn));
		return EAI_NONAME;
	}
	r->dns_want = want;
	r->from_dns = true;
	r->dns = dns_lookup_start(gai_req_snap(r), name, want);
	r->dns_running = r->dns != NULL;
	return r->dns ? 0 : EAI_MEMORY;
}

static int parse_service(const char *service, int flags, long *num)
{
	*num = -1;
	if (!service)
		return 0;
	/* glibc: gaih_service.num = strtoul(...), an int; any trailing
	 * character makes it a name, and so does a value that turns
	 * negative as an int ("-1"); the port is then htons(num). */
	char *end;
	unsigned long v = strtoul(service, &end, 10);
	if (*end == '\0') {
		int as_int = (int)(unsigned)v;
		*num = as_int < 0 ? -1 : as_int;
		return 0;
	}
	return (flags & AI_NUMERICSERV) ? EAI_NONAME : 0;
}

int gai_req_start(struct gai_req *r, const char *node, const char *service,
		  const struct addrinfo *hints)
{
	/* Field by field, not memset: for a block this size gcc emits `rep
	 * stos`, whose start-up cost alone was a sixth of a numeric lookup.
	 * A new field of struct gai_req must be initialised here. */
	r->flags = r->family = r->socktype = r->protocol = 0;
	r->name = NULL;
	r->nservs = 0;
	r->numeric = r->wildcard = r->from_dns = false;
	r->snap = NULL;
	r->addrs = NULL;
	r->naddrs = r->cap = 0;
	r->canon = NULL;
	r->dns = NULL;
	r->dns_running = false;
	r->dns_want = 0;
	r->nss_pos = 0;
	r->nss_name = NULL;
	r->nss_canon = NULL;
	r->eai = 0;
	r->sys_errno = 0;
	/* glibc treats "*" as absent for both */
	if (node && node[0] == '*' && node[1] == '\0')
		node = NULL;
	if (service && service[0] == '*' && service[1] == '\0')
		service = NULL;
	if (!node && !service)
		return EAI_NONAME;
	if (!hints)
		hints = &default_hints;
	if (hints->ai_flags & ~GAI_KNOWN_FLAGS)
		return EAI_BADFLAGS;
	if ((hints->ai_flags & AI_CANONNAME) && !node)
		return EAI_BADFLAGS;
	r->flags = hints->ai_flags;
	r->family = hints->ai_family;
	r->socktype = hints->ai_socktype;
	r->protocol = hints->ai_protocol;
	if (service && !service[0])
		service = NULL; /* glibc: "" is no service, port 0 */

	if (r->family != AF_UNSPEC && r->family != AF_INET &&
	    r->family != AF_INET6)
		return EAI_FAMILY;
	long num;
	int rc = parse_service(service, r->flags, &num);
	if (rc)
		return rc;

	if (trace_on()) {
		char sn[96], ss[64];
		trace_emit(RFCRES_TRACE_LOOKUP, "lookup.start",
			   "name=%s service=%s family=%s socktype=%d "
			   "protocol=%d flags=0x%x",
			   trace_safe(node ? node : "(null)", sn, sizeof sn),
			   trace_safe(service ? service : "(null)", ss,
				      sizeof ss),
			   family_name(r->family), r->socktype, r->protocol,
			   (unsigned)r->flags);
	}

	if (service && num < 0) {
		/* Only a service name needs the services file (glibc's
		 * gaih_inet_serv does not open it for a number either). */
		struct conf_services_ref sv;
		conf_services_acquire(&sv);
		rc = gai_services(sv.services, service, num, r->socktype,
				  r->protocol, r->servs, &r->nservs);
		conf_services_release(&sv);
	} else {
		rc = gai_services(NULL, service, num, r->socktype,
				  r->protocol, r->servs, &r->nservs);
	}
	if (rc)
		goto fail;

	if (!node) {
		rc = host_null(r);
		goto out;
	}
	/* Kept only for AI_CANONNAME without a canonical name from hosts
	 * or DNS (the caller's string may be gone by gai_req_finish). */
	if ((r->flags & AI_CANONNAME) && !(r->name = strdup(node))) {
		rc = EAI_MEMORY;
		goto fail;
	}
	rc = host_numeric(r, node);
	if (rc == 0) {
		if (r->flags & AI_NUMERICHOST) {
			rc = EAI_NONAME;
			goto fail;
		}
		rc = gai_nss_walk(r, node);
		/* the line ended without DNS and without an address: the
		 * error is known now, as it was before any I/O in glibc */
		if (rc == 0 && !r->dns_running && r->eai)
			rc = r->eai;
	}
out:
	if (rc < 0)
		goto fail;
	return 0;
fail:
	gai_req_cleanup(r);
	return rc;
}

void gai_req_cleanup(struct gai_req *r)
{
	if (r->dns)
		dns_lookup_free(r->dns);
	r->dns = NULL;
	r->dns_running = false;
	free(r->nss_name);
	free(r->nss_canon);
	r->nss_name = r->nss_canon = NULL;
	if (r->snap)
		conf_release(r->snap);
	r->snap = NULL;
	if (r->addrs != r->addrs_inline)
		free(r->addrs);
	free(r->name);
	r->addrs = NULL;
	r->canon = NULL;
	r->name = NULL;
	r->naddrs = r->cap = 0;
}

/* Copies the DNS answer into the request with the AF_INET6/AI_V4MAPPED
 * rule (A answers used only without AAAA answers, or with AI_ALL). */
int gai_src_dns_take(struct gai_req *r)
{
	const struct dns_result *d = dns_lookup_result(r->dns);
	if (d->eai) {
		r->sys_errno = d->sys_errno;
		return d->eai;
	}
	/* one allocation for a long answer, not one per doubling */
	int rc0 = reserve_addrs(r, r->naddrs + d->naddrs);
	if (rc0)
		return rc0;
	size_t n6 = 0;
	for (size_t i = 0; i < d->naddrs; i++)
		n6 += d->addrs[i].family == AF_INET6;
	bool v4 = r->family != AF_INET6 ||
		  ((r->flags & AI_V4MAPPED) && (n6 == 0 || (r->flags & AI_ALL)));
	/* glibc lists what the AAAA query returned before the mapped A
	 * answers for AF_INET6 (it asks AAAA first, then A). */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < d->naddrs; i++) {
			const struct dns_addr *a = &d->addrs[i];
			bool is6 = a->family == AF_INET6;
			if (r->family == AF_INET6 ? (pass == 0) != is6
						  : pass == 1)
				continue;
			if (!is6 && !v4)
				continue;
			int rc = gai_req_add(r, a->family, a->addr, 0);
			if (rc)
				return rc;
		}
	}
	if (r->naddrs == 0)
		return EAI_NODATA;
	if (d->canon[0])
		r->canon = d->canon; /* in r->dns, freed at cleanup */
	return 0;
}

static void to_mapped(const struct gai_addr *a, struct in6_addr *out)
{
	if (a->family == AF_INET6)
		memcpy(out, a->addr, 16);
	else
		v4_mapped(out->s6_addr, a->addr);
}

/* "192.0.2.1", "2001:db8::1", "fe80::1%2" for trace fields */
static const char *addr_str(int family, const void *addr, uint32_t scope,
			    char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	inet_ntop(family, addr, a, sizeof a);
	if (family == AF_INET6 && scope)
		snprintf(buf, len, "%s%%%u", a, (unsigned)scope);
	else
		snprintf(buf, len, "%s", a);
	return buf;
}

static const char *gaddr_str(const struct gai_addr *a, char *buf, size_t len)
{
	return addr_str(a->family, a->addr, a->scope_id, buf, len);
}

static const char *in6_str(const struct in6_addr *a, char *buf, size_t len)
{
	if (IN6_IS_ADDR_V4MAPPED(a))
		return addr_str(AF_INET, a->s6_addr + 12, 0, buf, len);
	return addr_str(AF_INET6, a, 0, buf, len);
}

/* AI_ADDRCONFIG per destination (seed 003); literals never get here. */
static int filter_addrconfig(struct gai_req *r)
{
	struct ifaddr_inv *inv = ifaddr_acquire();
	if (!inv)
		return 0; /* no inventory at all: keep everything */
	struct addrcfg_caps caps;
	addrcfg_caps_of(inv, &caps);
	ifaddr_release(inv);
	size_t kept = 0, before = r->naddrs;
	for (size_t i = 0; i < r->naddrs; i++) {
		bool keep = addrcfg_keep(&caps, r->addrs[i].family,
					 r->addrs[i].addr);
		if (trace_on()) {
			char ab[64];
			trace_emit(RFCRES_TRACE_ADDRCONFIG,
				   keep ? "addrconfig.keep" : "addrconfig.drop",
				   "addr=%s", gaddr_str(&r->addrs[i], ab, sizeof ab));
		}
		if (keep)
			r->addrs[kept++] = r->addrs[i];
	}
	r->naddrs = kept;
	/* The name resolved but nothing usable is left: glibc's answer
	 * for a known name without addresses of the family it asked for. */
	return (before && !kept) ? EAI_NODATA : 0;
}

static int sort_addrs(struct gai_req *r)
{
	size_t n = r->naddrs;
	/* Small answers sort in stack arrays: no allocation per lookup.
	 * The deciding rules are only computed for the trace. */
	struct sort_item items_stack[SORT_STACK_N];
	sort_rule why_stack[SORT_STACK_N];
	struct gai_addr sorted_stack[SORT_STACK_N];
	bool tr = trace_on();
	struct sort_item *items = items_stack;
	sort_rule *why = tr ? why_stack : NULL;
	struct gai_addr *sorted = sorted_stack;
	if (n > SORT_STACK_N) {
		items = calloc(n, sizeof *items);
		why = tr ? calloc(n, sizeof *why) : NULL;
		sorted = malloc(n * sizeof *sorted);
		if (!items || (tr && !why) || !sorted) {
			free(items);
			free(why);
			free(sorted);
			return EAI_MEMORY;
		}
	} else {
		memset(items, 0, n * sizeof *items);
	}
	for (size_t i = 0; i < n; i++) {
		to_mapped(&r->addrs[i], &items[i].dst);
		items[i].dst_scope_id = r->addrs[i].scope_id;
		items[i].index = i;
	}
	struct ifaddr_inv *inv = NULL;
	sort_probe_live(items, n, &inv);
	if (inv)
		ifaddr_release(inv);
	sort_destinations(items, n, gai_req_snap(r)->policy, why);
	for (size_t i = 0; i < n; i++)
		sorted[i] = r->addrs[items[i].index];
	if (tr) {
		char ab[64], bb[64];
		for (size_t i = 0; i < n; i++) {
			const struct sort_item *it = &items[i];
			if (!it->has_src) {
				trace_emit(RFCRES_TRACE_SORT, "sort.source",
					   "dst=%s src=none",
					   gaddr_str(&sorted[i], ab, sizeof ab));
				continue;
			}
			trace_emit(RFCRES_TRACE_SORT, "sort.source",
				   "dst=%s src=%s plen=%u flags=0x%x",
				   gaddr_str(&sorted[i], ab, sizeof ab),
				   in6_str(&it->src, bb, sizeof bb),
				   it->src_plen, it->src_flags);
		}
		for (size_t i = 0; i + 1 < n; i++)
			trace_emit(RFCRES_TRACE_SORT, "sort.pair",
				   "pos=%zu a=%s b=%s rule=%u", i + 1,
				   gaddr_str(&sorted[i], ab, sizeof ab),
				   gaddr_str(&sorted[i + 1], bb, sizeof bb),
				   (unsigned)why[i]);
	}
	memcpy(r->addrs, sorted, n * sizeof *sorted);
	if (items != items_stack) {
		free(items);
		free(why);
		free(sorted);
	}
	return 0;
}

int gai_req_finish(struct gai_req *r, struct addrinfo **res)
{
	int rc = 0;
	*res = NULL;
	if (r->eai) {
		/* the hosts line ended without an address (gai_nss.c) */
		rc = r->eai;
		goto out;
	}
	if (!r->numeric && !r->wildcard && (r->flags & AI_ADDRCONFIG)) {
		rc = filter_addrconfig(r);
		if (rc)
			goto out;
	}
	if (r->naddrs > 1 && !r->numeric) {
		rc = sort_addrs(r);
		if (rc)
			goto out;
	}
	const char *canon = NULL;
	if (r->flags & AI_CANONNAME)
		canon = r->canon ? r->canon : r->name;
	rc = gai_result_build(r->addrs, r->naddrs, r->servs, r->nservs, canon,
			      r->flags, res);
out:
	TRACE(RFCRES_TRACE_LOOKUP, "lookup.done", "eai=%d naddrs=%zu", rc,
	      rc ? (size_t)0 : r->naddrs);
	gai_req_cleanup(r);
	return rc;
}

/* The synchronous face of the asynchronous request (gai_async.c): the same
 * request, kept on the stack and driven to completion with poll().  Every
 * wait is bounded by the DNS machine's own deadline. */
RFCRES_API int rfcres_getaddrinfo(const char *node, const char *service,
				  const struct addrinfo *hints,
				  struct addrinfo **res)
{
	struct rfcres_req q;
	struct pollfd fds[RFCRES_REQ_MAXFDS];
	trace_lookup_begin();
	*res = NULL;
	int rc = gai_async_begin(&q, node, service, hints);
	while (rc == 0 && !rfcres_req_done(&q)) {
		int ms, n = rfcres_req_pollfds(&q, fds, RFCRES_REQ_MAXFDS, &ms);
		if (rfcres_sys.poll(fds, (nfds_t)n, ms) < 0)
			for (int i = 0; i < n; i++)
				fds[i].revents = 0;
		rfcres_req_process(&q, fds, n);
	}
	if (rc == 0)
		rc = gai_async_take(&q, res);
	gai_quiet_end();
	int saved = errno; /* EAI_SYSTEM's errno survives the trace */
	trace_lookup_end();
	errno = saved;
	return rc;
}

RFCRES_API int rfcres_res_init(void)
{
	conf_invalidate();
	TRACE(RFCRES_TRACE_CONF, "conf.res_init", "reload=forced");
	return 0;
}

RFCRES_API const char *rfcres_version(void)
{
	return RFCRES_VERSION_STRING;
}

RFCRES_API unsigned rfcres_version_number(void)
{
	return RFCRES_VERSION_NUMBER;
}
