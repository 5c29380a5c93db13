/*
 * The standard libc names.  Only librfcres.so / librfcres.a contain this
 * file; the internal archive the tests use does not, so glibc's own
 * getaddrinfo stays reachable for differential tests.
 */
#include <dlfcn.h>
#include <netdb.h>
#include <resolv.h>

#include "rfcres.h"

#undef res_init

#define EXPORT __attribute__((visibility("default")))

EXPORT int getaddrinfo(const char *restrict node, const char *restrict service,
		       const struct addrinfo *restrict hints,
		       struct addrinfo **restrict res)
{
	return rfcres_getaddrinfo(node, service, hints, res);
}

EXPORT void freeaddrinfo(struct addrinfo *res)
{
	rfcres_freeaddrinfo(res);
}

EXPORT const char *gai_strerror(int errcode)
{
	return rfcres_gai_strerror(errcode);
}

EXPORT int getnameinfo(const struct sockaddr *restrict sa, socklen_t salen,
		       char *restrict host, socklen_t hostlen,
		       char *restrict serv, socklen_t servlen, int flags)
{
	return rfcres_getnameinfo(sa, salen, host, hostlen, serv, servlen,
				  flags);
}

/* resolv.h maps res_init to __res_init; binaries reference either.  Under
 * LD_PRELOAD the next definition (libc's) is called too, so programs that
 * go on to use res_query and friends see the new configuration as well. */
static int res_init_next(void)
{
	int (*next)(void) = (int (*)(void))dlsym(RTLD_NEXT, "__res_init");
	if (!next)
		next = (int (*)(void))dlsym(RTLD_NEXT, "res_init");
	return next ? next() : 0;
}

EXPORT int __res_init(void)
{
	rfcres_res_init();
	return res_init_next();
}

EXPORT int res_init(void)
{
	return __res_init();
}

/* The BSD 4.3 entry points (src/gai/gai_legacy.c).  Unversioned like the
 * rest, so they satisfy binaries' gethostbyname@GLIBC_2.2.5 references
 * under LD_PRELOAD too. */
EXPORT struct hostent *gethostbyname(const char *name)
{
	return rfcres_gethostbyname(name);
}

EXPORT struct hostent *gethostbyname2(const char *name, int af)
{
	return rfcres_gethostbyname2(name, af);
}

EXPORT struct hostent *gethostbyaddr(const void *addr, socklen_t len, int type)
{
	return rfcres_gethostbyaddr(addr, len, type);
}

EXPORT int gethostbyname_r(const char *restrict name,
			   struct hostent *restrict ret, char *restrict buf,
			   size_t buflen, struct hostent **restrict result,
			   int *restrict h_errnop)
{
	return rfcres_gethostbyname_r(name, ret, buf, buflen, result,
				      h_errnop);
}

EXPORT int gethostbyname2_r(const char *restrict name, int af,
			    struct hostent *restrict ret, char *restrict buf,
			    size_t buflen, struct hostent **restrict result,
			    int *restrict h_errnop)
{
	return rfcres_gethostbyname2_r(name, af, ret, buf, buflen, result,
				       h_errnop);
}

EXPORT int gethostbyaddr_r(const void *restrict addr, socklen_t len, int type,
			   struct hostent *restrict ret, char *restrict buf,
			   size_t buflen, struct hostent **restrict result,
			   int *restrict h_errnop)
{
	return rfcres_gethostbyaddr_r(addr, len, type, ret, buf, buflen,
				      result, h_errnop);
}
