/*
 * getnameinfo: hosts file first, then PTR over the same transport, services
 * from the services file; flags and error codes as glibc's
 * inet/getnameinfo.c.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf/conf.h"
#include "core/sys.h"
#include "core/trace.h"
#include "dns/lookup.h"
#include "gai/gai.h"
#include "gai/gai_nss.h"

#ifndef NI_IDN
#define NI_IDN 32
#endif
/* glibc has no NI_NUMERICSCOPE; librfcres accepts musl's/BSD-style value so
 * musl-built programs get it (see docs/deviations.md). */
#ifndef NI_NUMERICSCOPE
#define NI_NUMERICSCOPE 0x100
#endif
#define NI_KNOWN_FLAGS                                                \
	(NI_NUMERICHOST | NI_NUMERICSERV | NI_NOFQDN | NI_NAMEREQD | \
	 NI_DGRAM | NI_IDN | NI_NUMERICSCOPE)

static int copy_out(char *dst, socklen_t len, const char *src)
{
	size_t n = strlen(src);
	if (n >= len)
		return EAI_OVERFLOW;
	memcpy(dst, src, n + 1);
	return 0;
}

/* Reverse name: 4.3.2.1.in-addr.arpa or nibbles.ip6.arpa (RFC 3596). */
static void ptr_name(int family, const unsigned char *a, char *out, size_t len)
{
	if (family == AF_INET) {
		snprintf(out, len, "%u.%u.%u.%u.in-addr.arpa", a[3], a[2], a[1],
			 a[0]);
		return;
	}
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (int i = 15; i >= 0 && o + 4 < len; i--) {
		out[o++] = hex[a[i] & 15];
		out[o++] = '.';
		out[o++] = hex[a[i] >> 4];
		out[o++] = '.';
	}
	snprintf(out + o, len - o, "ip6.arpa");
}

int gai_reverse_dns(struct conf_snapshot *snap, int family,
		    const unsigned char *addr, char *name, size_t len)
{
	char q[80];
	ptr_name(family, addr, q, sizeof q);
	struct dns_result d;
	memset(&d, 0, sizeof d);
	int eai = dns_lookup_run(snap, q, DNS_WANT_PTR, &d);
	if (!eai)
		eai = d.eai;
	if (!eai && !d.ptr[0])
		eai = EAI_NODATA;
	if (!eai)
		snprintf(name, len, "%s", d.ptr);
	free(d.addrs);
	if (eai == EAI_SYSTEM && d.sys_errno)
		errno = d.sys_errno; /* out of descriptors */
	return eai;
}

/* NI_NOFQDN: glibc (nss/getnameinfo.c) finds the local domain with strstr
 * -- the first occurrence, case-sensitive, not only as a suffix -- and cuts
 * the name before the dot that precedes it; no cut if that occurrence is
 * not preceded by a dot. */
void gai_nofqdn(char *name, const char *self)
{
	const char *dom = strchr(self, '.');
	if (!dom || !dom[1])
		return;
	char *c = strstr(name, dom + 1);
	if (c && c != name && c[-1] == '.')
		c[-1] = '\0';
}

static void strip_local_domain(char *name)
{
	char self[256];
	if (gethostname(self, sizeof self) != 0)
		return;
	self[sizeof self - 1] = '\0';
	gai_nofqdn(name, self);
}

static int numeric_host(int family, const unsigned char *a, uint32_t scope,
			int flags, char *host, socklen_t hostlen)
{
	char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	if (!inet_ntop(family, a, buf, sizeof buf))
		return EAI_SYSTEM;
	if (family == AF_INET6 && scope != 0) {
		const struct in6_addr *a6 = (const void *)a;
		char ifn[IF_NAMESIZE];
		size_t n = strlen(buf);
		if (!(flags & NI_NUMERICSCOPE) &&
		    (IN6_IS_ADDR_LINKLOCAL(a6) ||
		     IN6_IS_ADDR_MC_LINKLOCAL(a6)) &&
		    rfcres_sys.if_indextoname(scope, ifn))
			snprintf(buf + n, sizeof buf - n, "%%%s", ifn);
		else
			snprintf(buf + n, sizeof buf - n, "%%%u", scope);
	}
	return copy_out(host, hostlen, buf);
}

static int lookup_host(int family, const unsigned char *a, uint32_t scope,
		       int flags, char *host, socklen_t hostlen)
{
	if (!(flags & NI_NUMERICHOST)) {
		/* IPv4-mapped addresses are looked up as IPv4 */
		int lf = family;
		const unsigned char *la = a;
		if (family == AF_INET6 &&
		    IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)a)) {
			lf = AF_INET;
			la = a + 12;
		}
		char name[256] = "";
		int eai = 0;
		struct conf_snapshot *snap = conf_acquire();
		/* the nsswitch.conf hosts line, as glibc's getnameinfo
		 * calls gethostbyaddr_r */
		const struct conf_hosts_entry *e = NULL;
		eai = gai_nss_reverse(snap, lf, la, name, sizeof name, &e);
		if (e)
			TRACE(RFCRES_TRACE_LOOKUP, "nameinfo.hosts", "name=%s",
			      name);
		int saved_errno = errno;
		conf_release(snap);
		if (name[0]) {
			if (flags & NI_NOFQDN)
				strip_local_domain(name);
			return copy_out(host, hostlen, name);
		}
		/* glibc gni_host_inet_name: NETDB_INTERNAL (no descriptor
		 * for the query) is EAI_SYSTEM, with or without NI_NAMEREQD */
		if (eai == EAI_SYSTEM) {
			errno = saved_errno;
			return EAI_SYSTEM;
		}
		/* glibc gni_host_inet_name: a resolver that could not
		 * answer (TRY_AGAIN: SERVFAIL, no server reachable) is
		 * EAI_AGAIN with or without NI_NAMEREQD; only a name that
		 * does not exist falls back to the numeric form */
		if (eai == EAI_AGAIN)
			return EAI_AGAIN;
		if (flags & NI_NAMEREQD)
			return EAI_NONAME;
	}
	return numeric_host(family, a, scope, flags, host, hostlen);
}

static int lookup_serv(int port, int flags, char *serv, socklen_t servlen)
{
	char buf[32];
	if (!(flags & NI_NUMERICSERV)) {
		struct conf_services_ref sv;
		conf_services_acquire(&sv);
		const char *name = conf_service_name(
			sv.services, port, (flags & NI_DGRAM) ? "udp" : "tcp");
		int rc = name ? copy_out(serv, servlen, name) : -1;
		conf_services_release(&sv);
		if (rc >= 0 || rc == EAI_OVERFLOW)
			return rc;
	}
	snprintf(buf, sizeof buf, "%d", port);
	return copy_out(serv, servlen, buf);
}

RFCRES_API int rfcres_getnameinfo(const struct sockaddr *sa, socklen_t salen,
				  char *host, socklen_t hostlen, char *serv,
				  socklen_t servlen, int flags)
{
	if (flags & ~NI_KNOWN_FLAGS)
		return EAI_BADFLAGS;
	if (sa == NULL || salen < sizeof(sa_family_t))
		return EAI_FAMILY;
	if ((flags & NI_NAMEREQD) && host == NULL && serv == NULL)
		return EAI_NONAME;

	int family = sa->sa_family, port;
	const unsigned char *addr;
	uint32_t scope = 0;
	switch (family) {
	case AF_INET: {
		if (salen < sizeof(struct sockaddr_in))
			return EAI_FAMILY;
		const struct sockaddr_in *s4 = (const void *)sa;
		addr = (const unsigned char *)&s4->sin_addr;
		port = ntohs(s4->sin_port);
		break;
	}
	case AF_INET6: {
		if (salen < sizeof(struct sockaddr_in6))
			return EAI_FAMILY;
		const struct sockaddr_in6 *s6 = (const void *)sa;
		addr = s6->sin6_addr.s6_addr;
		port = ntohs(s6->sin6_port);
		scope = s6->sin6_scope_id;
		break;
	}
	case AF_LOCAL: {
		/* glibc: host "localhost"-ish node name, serv the path */
		if (salen < offsetof(struct sockaddr_un, sun_path))
			return EAI_FAMILY;
		int rc = 0;
		if (host && hostlen > 0) {
			if (flags & NI_NUMERICHOST)
				rc = copy_out(host, hostlen, "localhost");
			else {
				char self[256];
				if (gethostname(self, sizeof self) != 0)
					return EAI_SYSTEM;
				self[sizeof self - 1] = '\0';
				rc = copy_out(host, hostlen, self);
			}
			if (rc)
				return rc;
		}
		if (serv && servlen > 0) {
			const struct sockaddr_un *su = (const void *)sa;
			rc = copy_out(serv, servlen, su->sun_path);
		}
		return rc;
	}
	default:
		return EAI_FAMILY;
	}

	trace_lookup_begin();
	int rc = 0;
	if (host && hostlen > 0)
		rc = lookup_host(family, addr, scope, flags, host, hostlen);
	if (!rc && serv && servlen > 0)
		rc = lookup_serv(port, flags, serv, servlen);
	TRACE(RFCRES_TRACE_LOOKUP, "nameinfo.done", "eai=%d", rc);
	trace_lookup_end();
	return rc;
}
