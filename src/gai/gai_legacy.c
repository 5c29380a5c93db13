/*
 * gethostbyname, gethostbyname2, gethostbyaddr and the _r variants, built
 * on the same core as getaddrinfo/getnameinfo so that a program using the
 * old API gets the same answers (hosts file, RFC 6761 localhost, DNS with
 * TC -> TCP, config reload).  Semantics follow glibc 2.36
 * (nss/getXXbyYY_r.c, nss/digits_dots.c, nss_files/files-hosts.c,
 * resolv/nss_dns/dns-host.c); the differences are in
 * docs/deviations/legacy.md.
 */
#include "gai/gai_legacy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "core/trace.h"
#include "gai/gai.h"
#include "gai/gai_nss.h"
#include "gai/gai_numeric.h"
#include "rfcres.h"

/* Upper bound for the per-thread buffer of the non-_r functions: far more
 * than any answer the transport accepts (64 KiB of DNS message). */
#define LEGACY_TLS_MAX ((size_t)16 << 20)

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_xdigit(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* True when every byte of s is accepted by ok (locale-independent) and s
 * does not end with a dot (glibc: "1.2.3.4." is a name, not a literal). */
static bool all_chars(const char *s, bool v6)
{
	size_t n = 0;
	for (; s[n]; n++) {
		char c = s[n];
		if (!(v6 ? (is_xdigit(c) || c == ':' || c == '.')
			 : (is_digit(c) || c == '.')))
			return false;
	}
	return n > 0 && s[n - 1] != '.';
}

int legacy_classify(const char *name, int af, unsigned char out[16])
{
	/* All digits and dots: an IPv4 literal (inet_aton forms) or nothing;
	 * glibc never sends such a name to DNS. */
	if (is_digit(name[0]) && all_chars(name, false)) {
		if (af == AF_INET)
			return gai_inet_aton_exact(name, out) ? 1 : -1;
		return inet_pton(AF_INET6, name, out) > 0 ? 1 : -1;
	}
	/* Looks like IPv6: never an AF_INET answer */
	if ((is_xdigit(name[0]) && strchr(name, ':')) || name[0] == ':') {
		if (af == AF_INET)
			return -1;
		if (all_chars(name, true))
			return inet_pton(AF_INET6, name, out) > 0 ? 1 : -1;
	}
	/* The remaining inet_aton forms (0x7f.1, 017.1) are literals too, as
	 * getaddrinfo treats them (glibc would ask DNS for them). */
	if (af == AF_INET && gai_inet_aton_exact(name, out))
		return 1;
	return 0;
}

static bool add_size(size_t *total, size_t n)
{
	if (*total > SIZE_MAX - n)
		return false;
	*total += n;
	return true;
}

size_t legacy_size(const struct legacy_host *h, const char *buf)
{
	size_t pad = (size_t)(-(uintptr_t)buf % _Alignof(char *));
	size_t total = pad;
	if (h->naddrs > SIZE_MAX / 32 || h->naliases > SIZE_MAX / 32)
		return 0;
	if (!add_size(&total, (h->naddrs + 1 + h->naliases + 1) * sizeof(char *)) ||
	    !add_size(&total, h->naddrs * h->addrlen) ||
	    !add_size(&total, strlen(h->name) + 1))
		return 0;
	for (size_t i = 0; i < h->naliases; i++)
		if (!add_size(&total, strlen(h->aliases[i]) + 1))
			return 0;
	return total;
}

static char *put_str(char **p, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = *p;
	memcpy(d, s, n);
	*p += n;
	return d;
}

int legacy_layout(const struct legacy_host *h, struct hostent *he, char *buf,
		  size_t buflen)
{
	size_t need = legacy_size(h, buf);
	if (need == 0 || buflen < need || !buf)
		return ERANGE;
	/* Pointer arrays first, at pointer alignment; then the addresses
	 * (4 and 16 are multiples of the 4-byte alignment glibc gives
	 * them); then the strings, which need none. */
	char *p = buf + (-(uintptr_t)buf % _Alignof(char *));
	char **addr_list = (char **)(void *)p;
	char **alias_list = addr_list + h->naddrs + 1;
	p = (char *)(alias_list + h->naliases + 1);
	for (size_t i = 0; i < h->naddrs; i++) {
		memcpy(p, h->addrs + i * h->addrlen, h->addrlen);
		addr_list[i] = p;
		p += h->addrlen;
	}
	addr_list[h->naddrs] = NULL;
	he->h_name = put_str(&p, h->name);
	for (size_t i = 0; i < h->naliases; i++)
		alias_list[i] = put_str(&p, h->aliases[i]);
	alias_list[h->naliases] = NULL;
	he->h_aliases = alias_list;
	he->h_addrtype = h->family;
	he->h_length = (int)h->addrlen;
	he->h_addr_list = addr_list;
	return 0;
}

int legacy_herrno_of_eai(int eai)
{
	switch (eai) {
	case 0:
		return NETDB_SUCCESS;
	case EAI_NONAME:
		return HOST_NOT_FOUND;
	case EAI_NODATA:
	case EAI_ADDRFAMILY:
		return NO_DATA;
	case EAI_AGAIN:
		return TRY_AGAIN;
	case EAI_MEMORY:
	case EAI_SYSTEM:
		return NETDB_INTERNAL;
	default:
		return NO_RECOVERY;
	}
}

int legacy_r_return(int herr, int err)
{
	if (err)
		return err;
	if (herr == TRY_AGAIN)
		return EAGAIN;
	if (herr == NETDB_INTERNAL)
		return EINVAL; /* never reached with err == 0 by our callers */
	return 0;
}

/* ---- answers ----------------------------------------------------------- */

/* Owns everything a legacy_host points to. */
struct answer {
	struct legacy_host h;
	char *name;
	char **aliases;
	unsigned char *addrs;
	const char *source; /* trace: literal, hosts, getaddrinfo, nsswitch (reverse) */
};

static void answer_free(struct answer *a)
{
	if (a->aliases)
		for (size_t i = 0; i < a->h.naliases; i++)
			free(a->aliases[i]);
	free(a->aliases);
	free(a->name);
	free(a->addrs);
	memset(a, 0, sizeof *a);
}

static void answer_sync(struct answer *a)
{
	a->h.name = a->name;
	a->h.aliases = (const char *const *)a->aliases;
}

/* Starts an answer with name and room for naddrs addresses and naliases
 * aliases.  false on allocation failure (a is then empty). */
static bool answer_init(struct answer *a, const char *name, int family,
			size_t naddrs, size_t naliases)
{
	memset(a, 0, sizeof *a);
	a->h.family = family;
	a->h.addrlen = family == AF_INET6 ? 16 : 4;
	a->name = strdup(name);
	a->aliases = calloc(naliases + 1, sizeof *a->aliases);
	a->addrs = calloc(naddrs ? naddrs : 1, a->h.addrlen);
	a->h.addrs = a->addrs;
	if (!a->name || !a->aliases || !a->addrs) {
		answer_free(a);
		return false;
	}
	answer_sync(a);
	return true;
}

static void answer_add_addr(struct answer *a, const void *addr)
{
	memcpy(a->addrs + a->h.naddrs * a->h.addrlen, addr, a->h.addrlen);
	a->h.naddrs++;
}

static bool answer_add_alias(struct answer *a, const char *alias)
{
	char *s = strdup(alias);
	if (!s)
		return false;
	a->aliases[a->h.naliases++] = s;
	return true;
}

/* Hosts file, as glibc's files backend with "multi on" (its default since
 * 2.26): every line of the family that names the host, in file order; the
 * first line's name is h_name; aliases are the first line's, then each
 * further line's aliases and its name when it differs from h_name.
 * Returns NETDB_SUCCESS, HOST_NOT_FOUND (no line) or NETDB_INTERNAL. */
static int byname_hosts(const char *name, int af, struct answer *a)
{
	struct conf_snapshot *snap = conf_acquire();
	const struct conf_hosts_entry *stack[16], **e = stack;
	size_t n = conf_hosts_by_name(snap->hosts, name, af, stack, 16);
	int herr = HOST_NOT_FOUND;
	if (n > 16) {
		e = calloc(n, sizeof *e);
		if (!e) {
			herr = NETDB_INTERNAL;
			goto out;
		}
		n = conf_hosts_by_name(snap->hosts, name, af, e, n);
	}
	if (n == 0)
		goto out;
	size_t naliases = 0;
	for (size_t i = 0; i < n; i++)
		naliases += e[i]->nnames; /* an upper bound */
	herr = NETDB_INTERNAL;
	if (!answer_init(a, e[0]->names[0], af, n, naliases))
		goto out;
	for (size_t i = 0; i < n; i++) {
		answer_add_addr(a, e[i]->addr);
		for (unsigned k = 1; k < e[i]->nnames; k++)
			if (!answer_add_alias(a, e[i]->names[k]))
				goto out;
		if (i > 0 && strcmp(e[i]->names[0], e[0]->names[0]) != 0 &&
		    !answer_add_alias(a, e[i]->names[0]))
			goto out;
	}
	a->source = "hosts";
	herr = NETDB_SUCCESS;
out:
	if (herr == NETDB_INTERNAL)
		answer_free(a);
	if (e != stack)
		free(e);
	conf_release(snap);
	return herr;
}

/* Everything else: the getaddrinfo core (localhost names, DNS with search
 * list, TC -> TCP), one address per answer. */
static int byname_gai(const char *name, int af, struct answer *a, int *err)
{
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = af;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_CANONNAME;
	/* the hosts line walked as gethostbyname2_r walks it (gai_nss.c) */
	gai_nss_legacy_walk(true);
	int eai = rfcres_getaddrinfo(name, NULL, &hints, &res);
	gai_nss_legacy_walk(false);
	if (eai) {
		int herr = legacy_herrno_of_eai(eai);
		if (herr == NETDB_INTERNAL)
			*err = eai == EAI_MEMORY ? ENOMEM : (errno ? errno : EIO);
		return herr;
	}
	size_t n = 0;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
		n += ai->ai_family == af;
	const char *canon = res->ai_canonname ? res->ai_canonname : name;
	if (!answer_init(a, canon, af, n, 0)) {
		rfcres_freeaddrinfo(res);
		*err = ENOMEM;
		return NETDB_INTERNAL;
	}
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		if (ai->ai_family != af)
			continue;
		if (af == AF_INET)
			answer_add_addr(a, &((struct sockaddr_in *)(void *)
						     ai->ai_addr)->sin_addr);
		else
			answer_add_addr(a, &((struct sockaddr_in6 *)(void *)
						     ai->ai_addr)->sin6_addr);
	}
	rfcres_freeaddrinfo(res);
	a->source = "getaddrinfo";
	return n ? NETDB_SUCCESS : NO_DATA;
}

static int answer_byname(const char *name, int af, struct answer *a, int *err)
{
	unsigned char lit[16];
	*err = 0;
	memset(a, 0, sizeof *a);
	if (!name) {
		*err = EINVAL;
		return NETDB_INTERNAL;
	}
	if (af != AF_INET && af != AF_INET6) {
		*err = EAFNOSUPPORT;
		return NETDB_INTERNAL;
	}
	int c = legacy_classify(name, af, lit);
	if (c < 0)
		return HOST_NOT_FOUND;
	if (c > 0) {
		/* glibc: h_name is the name as given, no aliases */
		if (!answer_init(a, name, af, 1, 0)) {
			*err = ENOMEM;
			return NETDB_INTERNAL;
		}
		answer_add_addr(a, lit);
		a->source = "literal";
		return NETDB_SUCCESS;
	}
	/* The nsswitch.conf hosts line, through the getaddrinfo core.  When
	 * it starts with files (nearly always), the hosts file is read here
	 * first, with the aliases glibc's files backend reports (getaddrinfo
	 * has no place for them); its NOTFOUND then continues the line. */
	struct conf_snapshot *snap = conf_acquire();
	bool files_first = gai_nss_files_first(snap);
	conf_release(snap);
	int herr = files_first ? byname_hosts(name, af, a) : HOST_NOT_FOUND;
	if (herr == HOST_NOT_FOUND)
		herr = byname_gai(name, af, a, err);
	else if (herr == NETDB_INTERNAL)
		*err = ENOMEM;
	return herr;
}

/* glibc's DNS backend looks IPv4-mapped (::ffff:a.b.c.d) and
 * IPv4-compatible (::a.b.c.d, but not ::1) addresses up as IPv4 and
 * answers with an AF_INET hostent. */
static bool unmap(const unsigned char a[16])
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0,
						 0, 0, 0, 0, 0xff, 0xff};
	static const unsigned char zero[12], one[4] = {0, 0, 0, 1};
	return memcmp(a, mapped, 12) == 0 ||
	       (memcmp(a, zero, 12) == 0 && memcmp(a + 12, one, 4) != 0);
}

static int answer_byaddr(const void *addr, socklen_t len, int type,
			 struct answer *a, int *err)
{
	static const unsigned char any6[16];
	*err = 0;
	memset(a, 0, sizeof *a);
	if (!addr) {
		*err = EINVAL;
		return NETDB_INTERNAL;
	}
	/* glibc (nss/gethstbyad_r.c): the unspecified IPv6 address has no
	 * name, and the _r function returns ENOENT for it. */
	if (len == 16 && memcmp(addr, any6, 16) == 0) {
		*err = ENOENT;
		return HOST_NOT_FOUND;
	}
	size_t size = type == AF_INET ? 4 : type == AF_INET6 ? 16 : 0;
	if (size == 0 || len < size) {
		*err = EAFNOSUPPORT; /* glibc's nss_dns for both */
		return NETDB_INTERNAL;
	}
	if (len > size) {
		*err = EINVAL;
		return NETDB_INTERNAL;
	}
	const unsigned char *ua = addr;
	int family = type;
	if (family == AF_INET6 && unmap(ua)) {
		family = AF_INET;
		ua += 12;
	}

	char name[256] = "";
	int herr = NETDB_SUCCESS;
	struct conf_snapshot *snap = conf_acquire();
	/* the nsswitch.conf hosts line; from files, the first line with
	 * this address, its aliases too */
	const struct conf_hosts_entry *e = NULL;
	int eai = gai_nss_reverse(snap, family, ua, name, sizeof name, &e);
	if (e) {
		if (!answer_init(a, e->names[0], family, 1, e->nnames)) {
			herr = NETDB_INTERNAL;
			*err = ENOMEM;
			goto out;
		}
		for (unsigned k = 1; k < e->nnames; k++) {
			if (!answer_add_alias(a, e->names[k])) {
				answer_free(a);
				herr = NETDB_INTERNAL;
				*err = ENOMEM;
				goto out;
			}
		}
		answer_add_addr(a, ua);
		a->source = "hosts";
		goto out;
	}
	if (eai) {
		herr = legacy_herrno_of_eai(eai);
		if (herr == NETDB_INTERNAL)
			*err = eai == EAI_SYSTEM ? errno : ENOMEM;
		goto out;
	}
	if (!answer_init(a, name, family, 1, 0)) {
		herr = NETDB_INTERNAL;
		*err = ENOMEM;
		goto out;
	}
	answer_add_addr(a, ua);
	a->source = "nsswitch";
out:
	conf_release(snap);
	return herr;
}

/* ---- the _r calling convention ----------------------------------------- */

struct legacy_query {
	bool byaddr;
	const char *name;
	int af;
	const void *addr;
	socklen_t len;
};

static const char *family_name(int af)
{
	return af == AF_INET ? "inet" : af == AF_INET6 ? "inet6" : "other";
}

/* "192.0.2.1" for the trace, or "-" when addr cannot be read as type */
static const char *query_addr_str(const struct legacy_query *q, char *buf,
				  size_t len)
{
	size_t size = q->af == AF_INET ? 4 : q->af == AF_INET6 ? 16 : 0;
	if (!q->addr || size == 0 || q->len < size ||
	    !inet_ntop(q->af, q->addr, buf, (socklen_t)len))
		return "-";
	return buf;
}

static int answer_of(const struct legacy_query *q, struct answer *a, int *err)
{
	if (trace_on()) {
		char sn[96], ab[INET6_ADDRSTRLEN];
		if (q->byaddr)
			trace_emit(RFCRES_TRACE_LOOKUP, "legacy.byaddr",
				   "addr=%s len=%u family=%s",
				   query_addr_str(q, ab, sizeof ab),
				   (unsigned)q->len, family_name(q->af));
		else
			trace_emit(RFCRES_TRACE_LOOKUP, "legacy.byname",
				   "name=%s family=%s",
				   trace_safe(q->name, sn, sizeof sn),
				   family_name(q->af));
	}
	int herr = q->byaddr ? answer_byaddr(q->addr, q->len, q->af, a, err)
			     : answer_byname(q->name, q->af, a, err);
	if (trace_on()) {
		char sn[96];
		trace_emit(RFCRES_TRACE_LOOKUP, "legacy.done",
			   "herrno=%d errno=%d source=%s name=%s naddrs=%zu "
			   "naliases=%zu",
			   herr, *err, a->source ? a->source : "-",
			   trace_safe(herr == NETDB_SUCCESS ? a->name : "-", sn,
				      sizeof sn),
			   a->h.naddrs, a->h.naliases);
	}
	return herr;
}

static int query_r(const struct legacy_query *q, struct hostent *ret,
		   char *buf, size_t buflen, struct hostent **result,
		   int *h_errnop)
{
	int local_h, err = 0, herr;
	struct answer a;
	if (!h_errnop)
		h_errnop = &local_h;
	if (!result || !ret) {
		*h_errnop = NETDB_INTERNAL;
		errno = EINVAL;
		return EINVAL;
	}
	*result = NULL;
	trace_lookup_begin();
	herr = answer_of(q, &a, &err);
	if (herr == NETDB_SUCCESS) {
		if (legacy_layout(&a.h, ret, buf, buflen) == 0) {
			*result = ret;
		} else {
			/* glibc: ERANGE with NETDB_INTERNAL asks the caller
			 * to retry with a bigger buffer */
			herr = NETDB_INTERNAL;
			err = ERANGE;
		}
	}
	answer_free(&a);
	trace_lookup_end();
	/* glibc's resolver also leaves the outcome in the thread's h_errno
	 * (res_query sets it), and callers such as perl read it there */
	*h_errnop = herr;
	h_errno = herr;
	int rc = legacy_r_return(herr, err);
	errno = rc;
	return rc;
}

/* ---- non-reentrant versions: one buffer per thread --------------------- */

/* glibc keeps one static hostent per process; a per-thread one gives the
 * same lifetime rule (valid until the next call by this thread) and makes
 * concurrent callers safe. */
struct legacy_tls {
	struct hostent he;
	size_t cap;
	char *buf;
};

static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static bool tls_ok;

static void tls_free(void *p)
{
	struct legacy_tls *t = p;
	free(t->buf);
	free(t);
}

static void tls_init(void)
{
	tls_ok = pthread_key_create(&tls_key, tls_free) == 0;
}

static struct legacy_tls *tls_get(void)
{
	pthread_once(&tls_once, tls_init);
	if (!tls_ok)
		return NULL;
	struct legacy_tls *t = pthread_getspecific(tls_key);
	if (!t) {
		t = calloc(1, sizeof *t);
		if (t && pthread_setspecific(tls_key, t) != 0) {
			free(t);
			t = NULL;
		}
	}
	return t;
}

static struct hostent *query(const struct legacy_query *q)
{
	struct legacy_tls *t = tls_get();
	int err = 0, herr;
	struct answer a;
	struct hostent *res = NULL;
	if (!t) {
		h_errno = NETDB_INTERNAL;
		errno = ENOMEM;
		return NULL;
	}
	trace_lookup_begin();
	herr = answer_of(q, &a, &err);
	if (herr == NETDB_SUCCESS) {
		/* the answer is known: grow the buffer once to what it needs
		 * (the worst-case alignment pad included) */
		size_t need = legacy_size(&a.h, NULL);
		if (need && need + _Alignof(char *) <= LEGACY_TLS_MAX) {
			need += _Alignof(char *);
			if (need > t->cap) {
				char *nb = realloc(t->buf, need);
				if (nb) {
					t->buf = nb;
					t->cap = need;
				}
			}
		}
		if (legacy_layout(&a.h, &t->he, t->buf, t->cap) == 0) {
			res = &t->he;
		} else {
			herr = NETDB_INTERNAL;
			err = ENOMEM;
		}
	}
	answer_free(&a);
	trace_lookup_end();
	h_errno = herr;
	if (herr == NETDB_INTERNAL)
		errno = err;
	return res;
}

/* ---- public functions -------------------------------------------------- */

RFCRES_API int rfcres_gethostbyname2_r(const char *name, int af,
				       struct hostent *ret, char *buf,
				       size_t buflen, struct hostent **result,
				       int *h_errnop)
{
	struct legacy_query q = {.name = name, .af = af};
	return query_r(&q, ret, buf, buflen, result, h_errnop);
}

RFCRES_API int rfcres_gethostbyname_r(const char *name, struct hostent *ret,
				      char *buf, size_t buflen,
				      struct hostent **result, int *h_errnop)
{
	return rfcres_gethostbyname2_r(name, AF_INET, ret, buf, buflen, result,
				       h_errnop);
}

RFCRES_API int rfcres_gethostbyaddr_r(const void *addr, socklen_t len, int type,
				      struct hostent *ret, char *buf,
				      size_t buflen, struct hostent **result,
				      int *h_errnop)
{
	struct legacy_query q = {
		.byaddr = true, .addr = addr, .len = len, .af = type};
	return query_r(&q, ret, buf, buflen, result, h_errnop);
}

RFCRES_API struct hostent *rfcres_gethostbyname2(const char *name, int af)
{
	struct legacy_query q = {.name = name, .af = af};
	return query(&q);
}

RFCRES_API struct hostent *rfcres_gethostbyname(const char *name)
{
	return rfcres_gethostbyname2(name, AF_INET);
}

RFCRES_API struct hostent *rfcres_gethostbyaddr(const void *addr,
						socklen_t len, int type)
{
	struct legacy_query q = {
		.byaddr = true, .addr = addr, .len = len, .af = type};
	return query(&q);
}
