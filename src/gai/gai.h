/*
 * getaddrinfo as a request with three phases, so the synchronous call and
 * an event loop drive the same code (DESIGN "One lookup = one state
 * machine"):
 *   gai_req_start   arguments, services, numeric answers, then the
 *                   nsswitch.conf hosts line (gai_nss.c) up to a dns
 *                   source, whose DNS lookup it starts
 *   (dns_lookup_pollfds / dns_lookup_step on req->dns while it runs, then
 *   gai_nss_dns_done, which goes on along the line)
 *   gai_req_finish  AI_ADDRCONFIG, RFC 6724 sort, the addrinfo chain
 */
#ifndef RFCRES_GAI_H
#define RFCRES_GAI_H

#include <netdb.h>
#include <stdbool.h>
#include <stddef.h>

#include "gai/gai_result.h"
#include "gai/gai_service.h"

struct conf_snapshot;
struct dns_lookup;

/* Addresses kept inside the request before it allocates: every typical
 * answer (a heap allocation per lookup fewer). */
#define GAI_INLINE_ADDRS 16

/* Lives where it was started (the caller's stack, or the rfcres_req):
 * never copied, addrs may point into it. */
struct gai_req {
	int flags, family, socktype, protocol;
	char *name;                     /* the host, copied only for
					 * AI_CANONNAME; else NULL */
	size_t nservs;                  /* servs[0, nservs) */
	bool numeric;                   /* host was a literal (never filtered, not sorted) */
	bool wildcard;                  /* NULL host: never filtered, sorted */
	bool from_dns;
	struct conf_snapshot *snap;
	struct gai_addr *addrs;         /* addrs_inline or malloc'd */
	size_t naddrs, cap;
	const char *canon;              /* from hosts/DNS, else NULL; points
					 * into snap or dns, which the request
					 * holds until it is cleaned up */
	struct dns_lookup *dns;         /* the dns source's lookup (kept
					 * after it ends: canon points in) */
	bool dns_running;               /* dns is in flight */
	unsigned dns_want;              /* DNS_WANT_* mask sent */
	size_t nss_pos;                 /* next source of the hosts line */
	char *nss_name;                 /* the host, for the walk after DNS */
	char *nss_canon;                /* canonical name from a module */
	int eai;                        /* error decided so far, 0 if none */
	int sys_errno;                  /* errno behind an EAI_SYSTEM result */
	/* gai_req_start initialises every field above, one by one (a new
	 * one must be added there), and nothing below: only the first nservs
	 * and naddrs entries are ever read. */
	struct gai_serv servs[GAI_MAX_SERV];
	struct gai_addr addrs_inline[GAI_INLINE_ADDRS];
};

/* Returns 0 when the request needs no more I/O or DNS started (req->dns set),
 * else an EAI_* code (the request is then already cleaned up). */
int gai_req_start(struct gai_req *req, const char *node, const char *service,
		  const struct addrinfo *hints);
/* Takes the DNS result (if any), filters, sorts and builds *res.  Always
 * releases everything the request holds.  Returns 0 or EAI_*. */
int gai_req_finish(struct gai_req *req, struct addrinfo **res);
/* Cancels at any point. */
void gai_req_cleanup(struct gai_req *req);

/* Name checks shared with getnameinfo/gethostbyname: true when name is a
 * plausible DNS name (<= 253 chars without the final dot, labels 1..63,
 * no control bytes). */
bool gai_name_ok(const char *name);
/* "localhost", "localhost.", "*.localhost", "*.localhost." (RFC 6761 6.3) */
bool gai_is_localhost(const char *name);

/* PTR lookup (in-addr.arpa / ip6.arpa, RFC 3596) shared by getnameinfo and
 * gethostbyaddr.  0 with the name copied to name (truncated to len), else
 * EAI_NONAME, EAI_NODATA (no PTR record), EAI_AGAIN, EAI_FAIL, EAI_MEMORY. */
int gai_reverse_dns(struct conf_snapshot *snap, int family,
		    const unsigned char *addr, char *name, size_t len);

/* NI_NOFQDN as glibc's getnameinfo does it: the local domain is what
 * follows the first dot of self (our host name); name is cut before the
 * first occurrence of that domain (case-sensitive) if a dot precedes it,
 * wherever it occurs.  Pure: self is passed in. */
void gai_nofqdn(char *name, const char *self);

#endif
