/*
 * One module call, as glibc 2.36 makes it (sysdeps/posix/getaddrinfo.c
 * get_nss_addresses/gethosts, nss/getXXbyYY_r.c):
 *  - AF_UNSPEC and the module has gethostbyname4_r: one call, both
 *    families, tuples in the module's order; otherwise gethostbyname3_r
 *    (only with AI_CANONNAME) or gethostbyname2_r, first for AF_INET6,
 *    then AF_INET (for AF_INET6 only with AI_V4MAPPED, and then only with
 *    AI_ALL or when no IPv6 address came back);
 *  - the call is repeated with a buffer twice as large while it returns
 *    TRYAGAIN with errno ERANGE and h_errno NETDB_INTERNAL (bounded here:
 *    NSS_HOSTS_MAXBUF);
 *  - a failed gethosts call with h_errno NETDB_INTERNAL ends the lookup
 *    with EAI_SYSTEM; otherwise h_errno TRY_AGAIN means "no data,
 *    EAI_AGAIN" and NO_DATA "the name exists without addresses";
 *  - two gethostbyname2_r calls combine: SUCCESS if either succeeded,
 *    else TRYAGAIN if the IPv6 call said so, else the IPv4 status unless
 *    it is UNAVAIL and the IPv6 one is not.
 * What a module hands back is checked before use (it is foreign code): a
 * NULL list or name, an address length that does not match the family, a
 * family that was not asked for, a list longer than NSS_HOSTS_MAXADDR or
 * one that loops -- each dropped and counted in answer.garbage.
 */
#include "nss/nss_hosts.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "core/trace.h"

enum conf_nss_status nss_status_from_abi(int st, bool *garbage)
{
	*garbage = false;
	switch (st) {
	case NSS_ABI_SUCCESS:
		return CONF_NSS_SUCCESS;
	case NSS_ABI_NOTFOUND:
		return CONF_NSS_NOTFOUND;
	case NSS_ABI_UNAVAIL:
		return CONF_NSS_UNAVAIL;
	case NSS_ABI_TRYAGAIN:
		return CONF_NSS_TRYAGAIN;
	default:
		*garbage = true;
		return CONF_NSS_UNAVAIL;
	}
}

void nss_answer_free(struct nss_answer *a)
{
	free(a->addrs);
	a->addrs = NULL;
	a->naddrs = 0;
}

static void add(struct nss_answer *a, int family, const void *addr,
		uint32_t scope)
{
	if (a->naddrs >= NSS_HOSTS_MAXADDR) {
		a->garbage++;
		return;
	}
	if (!a->addrs) {
		a->addrs = malloc(NSS_HOSTS_MAXADDR * sizeof *a->addrs);
		if (!a->addrs) {
			a->eai = EAI_MEMORY;
			return;
		}
	}
	struct nss_addr *d = &a->addrs[a->naddrs++];
	memset(d, 0, sizeof *d);
	d->family = family;
	memcpy(d->addr, addr, family == AF_INET6 ? 16 : 4);
	d->scope_id = family == AF_INET6 ? scope : 0;
}

static void set_name(struct nss_answer *a, const char *s)
{
	if (!s || a->name[0])
		return;
	size_t n = strnlen(s, sizeof a->name);
	if (n == 0 || n >= sizeof a->name) {
		a->garbage += n != 0;
		return;
	}
	memcpy(a->name, s, n + 1);
}

static void no_data_of(struct nss_answer *a, int *slot)
{
	*slot = a->herr == NSS_TRY_AGAIN ? EAI_AGAIN : a->herr == NSS_NO_DATA;
}

/* Grows *buf; false (and a->eai) when the bound is reached. */
static bool grow(struct nss_answer *a, char **buf, size_t *len)
{
	a->erange++;
	if (*len >= NSS_HOSTS_MAXBUF) {
		TRACE(RFCRES_TRACE_LOOKUP, "nss.erange",
		      "retries=%u buffer=%zu result=give_up", a->erange, *len);
		a->eai = EAI_MEMORY;
		return false;
	}
	char *n = realloc(*buf, *len * 2);
	if (!n) {
		a->eai = EAI_MEMORY;
		return false;
	}
	*buf = n;
	*len *= 2;
	return true;
}

static int call_status(struct nss_answer *a, int st)
{
	bool garbage;
	enum conf_nss_status s = nss_status_from_abi(st, &garbage);
	if (garbage) {
		a->garbage++;
		TRACE(RFCRES_TRACE_LOOKUP, "nss.garbage", "status=%d", st);
	}
	return (int)s;
}

static bool is_erange(const struct nss_answer *a, int s)
{
	return s == CONF_NSS_TRYAGAIN && a->err == ERANGE &&
	       a->herr == NSS_NETDB_INTERNAL;
}

/* Runs one module function the way glibc's callers do: with a 1 KiB
 * buffer, doubled while the module answers TRYAGAIN with ERANGE and
 * NETDB_INTERNAL, up to NSS_HOSTS_MAXBUF (then a->eai = EAI_MEMORY).
 * call() makes the module call on buf (resetting its own outputs first);
 * *bufp is the last buffer (NULL when none could be allocated), which the
 * caller frees after reading the results that point into it.  Returns
 * the status of the last call. */
typedef int call_fn(void *ctx, struct nss_answer *a, char *buf, size_t len);

static int call_growing(struct nss_answer *a, call_fn *call, void *ctx,
			char **bufp)
{
	size_t len = 1024;
	char *buf = malloc(len);
	int s = CONF_NSS_UNAVAIL;
	while (buf) {
		a->err = 0;
		a->herr = 0;
		nss_module_call_enter();
		int st = call(ctx, a, buf, len);
		nss_module_call_leave();
		s = call_status(a, st);
		if (!is_erange(a, s) || !grow(a, &buf, &len))
			break;
	}
	if (!buf)
		a->eai = EAI_MEMORY;
	*bufp = buf;
	return s;
}

struct byname4_call {
	const struct nss_module *m;
	const char *name;
	struct nss_abi_addrtuple *at;
};

static int call_byname4(void *ctx, struct nss_answer *a, char *buf,
			size_t len)
{
	struct byname4_call *c = ctx;
	int32_t ttl = 0;
	c->at = NULL;
	return c->m->byname4(c->name, &c->at, buf, len, &a->err, &a->herr,
			     &ttl);
}

struct byname_call {
	const struct nss_module *m;
	const char *name;
	int af;
	bool canon;
	struct hostent h;
	char *canonp;
};

static int call_byname(void *ctx, struct nss_answer *a, char *buf,
		       size_t len)
{
	struct byname_call *c = ctx;
	memset(&c->h, 0, sizeof c->h);
	c->canonp = NULL;
	if (c->canon) {
		int32_t ttl = 0;
		return c->m->byname3(c->name, c->af, &c->h, buf, len, &a->err,
				     &a->herr, &ttl, &c->canonp);
	}
	return c->m->byname2(c->name, c->af, &c->h, buf, len, &a->err,
			     &a->herr);
}

struct byaddr_call {
	const struct nss_module *m;
	const void *addr;
	socklen_t alen;
	int af;
	struct hostent h;
};

static int call_byaddr(void *ctx, struct nss_answer *a, char *buf,
		       size_t len)
{
	struct byaddr_call *c = ctx;
	memset(&c->h, 0, sizeof c->h);
	if (c->m->byaddr2) {
		int32_t ttl = 0;
		return c->m->byaddr2(c->addr, c->alen, c->af, &c->h, buf, len,
				     &a->err, &a->herr, &ttl);
	}
	return c->m->byaddr(c->addr, c->alen, c->af, &c->h, buf, len,
			    &a->err, &a->herr);
}

static void byname4(const struct nss_module *m, const char *name,
		    struct nss_answer *a)
{
	struct byname4_call c = { .m = m, .name = name };
	char *buf;
	a->fn = "gethostbyname4_r";
	int s = call_growing(a, call_byname4, &c, &buf);
	const struct nss_abi_addrtuple *at = c.at;
	a->status = (enum conf_nss_status)s;
	if (a->eai) {
		free(buf);
		return;
	}
	if (s != CONF_NSS_SUCCESS) {
		no_data_of(a, &a->no_data);
	} else {
		/* glibc: SUCCESS sets no_data = 1, cleared by any address
		 * kept; an empty list therefore ends as EAI_NODATA */
		a->no_data = 1;
		if (at)
			set_name(a, at->name);
		size_t n = 0;
		for (const struct nss_abi_addrtuple *t = at; t; t = t->next) {
			if (++n > NSS_HOSTS_MAXADDR) {
				a->garbage++; /* too long, or a loop */
				break;
			}
			if (t->family == AF_INET || t->family == AF_INET6) {
				add(a, t->family, t->addr, t->scopeid);
				a->no_data = 0;
			} else {
				a->garbage++;
			}
		}
	}
	a->no_inet6_data = a->no_data;
	free(buf);
}

/* glibc gethosts(): one gethostbyname3_r/2_r call for one family.
 * Returns the status; may set a->eai (EAI_SYSTEM, EAI_MEMORY). */
static int gethosts(const struct nss_module *m, const char *name, int af,
		    unsigned flags, struct nss_answer *a, int *no_data)
{
	struct byname_call c = {
		.m = m, .name = name, .af = af,
		.canon = (flags & NSS_Q_CANON) && m->byname3,
	};
	char *buf;
	int s = call_growing(a, call_byname, &c, &buf);
	const struct hostent h = c.h;
	if (a->eai) {
		free(buf);
		return s;
	}
	if (s != CONF_NSS_SUCCESS) {
		if (a->herr == NSS_NETDB_INTERNAL && !(flags & NSS_Q_SIMPLE))
			a->eai = EAI_SYSTEM;
		no_data_of(a, no_data);
	} else {
		size_t alen = af == AF_INET6 ? 16 : 4;
		if (h.h_addrtype != af || (size_t)h.h_length != alen ||
		    !h.h_addr_list) {
			a->garbage++;
		} else {
			set_name(a, c.canonp);
			set_name(a, h.h_name);
			for (size_t i = 0; h.h_addr_list[i]; i++) {
				if (i >= NSS_HOSTS_MAXADDR) {
					a->garbage++;
					break;
				}
				add(a, af, h.h_addr_list[i], 0);
			}
		}
	}
	free(buf);
	return s;
}

void nss_hosts_byname(const struct nss_module *m, const char *name,
		      int family, unsigned flags, struct nss_answer *out)
{
	memset(out, 0, sizeof *out);
	out->status = CONF_NSS_UNAVAIL;
	bool have2 = m->loaded && (m->byname2 || ((flags & NSS_Q_CANON) &&
						  m->byname3));
	if (family == AF_UNSPEC && m->loaded && m->byname4) {
		byname4(m, name, out);
		return;
	}
	if (!have2) {
		/* glibc: "could not locate any of the lookup functions":
		 * UNAVAIL, h_errno NETDB_INTERNAL, errno EBUSY */
		out->fn = "none";
		out->herr = NSS_NETDB_INTERNAL;
		out->err = EBUSY;
		return;
	}
	bool canon = (flags & NSS_Q_CANON) && m->byname3;
	out->fn = canon ? "gethostbyname3_r" : "gethostbyname2_r";
	int st6 = CONF_NSS_UNAVAIL, st = CONF_NSS_UNAVAIL;
	if (family == AF_INET6 || family == AF_UNSPEC) {
		st6 = gethosts(m, name, AF_INET6, flags, out,
			       &out->no_inet6_data);
		if (out->eai)
			goto done;
		out->no_data = out->no_inet6_data;
	}
	bool got6 = out->naddrs > 0;
	if (family == AF_INET || family == AF_UNSPEC ||
	    (family == AF_INET6 && (flags & NSS_Q_V4MAPPED) &&
	     ((flags & NSS_Q_ALL) || !got6))) {
		st = gethosts(m, name, AF_INET, flags, out, &out->no_data);
		if (out->eai)
			goto done;
		if (family == AF_INET) {
			out->no_inet6_data = out->no_data;
			st6 = st;
		}
	}
	if (st6 == CONF_NSS_SUCCESS || st == CONF_NSS_SUCCESS)
		st = CONF_NSS_SUCCESS;
	else if (st6 == CONF_NSS_TRYAGAIN)
		st = CONF_NSS_TRYAGAIN;
	else if (st == CONF_NSS_UNAVAIL && st6 != CONF_NSS_UNAVAIL)
		st = st6;
done:
	out->status = (enum conf_nss_status)st;
}

void nss_hosts_byaddr(const struct nss_module *m, int family,
		      const void *addr, struct nss_answer *out)
{
	memset(out, 0, sizeof *out);
	out->status = CONF_NSS_UNAVAIL;
	if (!m->loaded || (!m->byaddr2 && !m->byaddr)) {
		out->fn = "none";
		out->herr = NSS_NETDB_INTERNAL;
		out->err = EBUSY;
		return;
	}
	out->fn = m->byaddr2 ? "gethostbyaddr2_r" : "gethostbyaddr_r";
	struct byaddr_call c = {
		.m = m, .addr = addr, .af = family,
		.alen = family == AF_INET6 ? 16 : 4,
	};
	char *buf;
	int s = call_growing(out, call_byaddr, &c, &buf);
	const struct hostent h = c.h;
	out->status = (enum conf_nss_status)s;
	if (!out->eai && s == CONF_NSS_SUCCESS) {
		set_name(out, h.h_name);
		if (!out->name[0]) {
			/* SUCCESS without a name: nothing to return */
			out->garbage++;
			out->status = CONF_NSS_NOTFOUND;
			out->herr = NSS_HOST_NOT_FOUND;
		}
	}
	free(buf);
}
