/*
 * One DNS lookup as a non-blocking state machine (DESIGN "Transport"):
 * search list and ndots, servers, attempts, UDP then TCP on TC, all bounded
 * by the lookup's deadline.  The synchronous getaddrinfo drives it with
 * poll(); an event loop can drive it with the same three calls.
 */
#ifndef RFCRES_DNS_LOOKUP_H
#define RFCRES_DNS_LOOKUP_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf_snapshot;

struct dns_addr {
	int family;             /* AF_INET or AF_INET6 */
	unsigned char addr[16];
};

struct dns_result {
	int eai;                /* 0, or EAI_NONAME/EAI_NODATA/EAI_AGAIN/EAI_FAIL/EAI_MEMORY/EAI_SYSTEM */
	int sys_errno;          /* with EAI_SYSTEM: EMFILE or ENFILE */
	struct dns_addr *addrs; /* A records first (answer order), then AAAA */
	size_t naddrs;
	char canon[256];        /* the last host name of the CNAME chain (wire.h) */
	char ptr[256];          /* PTR lookups: the name */
};

enum dns_want {
	DNS_WANT_A = 1,
	DNS_WANT_AAAA = 2,
	DNS_WANT_PTR = 4,       /* name must be the in-addr.arpa/ip6.arpa name */
};

struct dns_lookup;

/* dns_lookup_pollfds never needs more entries than this: one UDP socket
 * per nameserver plus one TCP connection. */
#define DNS_LOOKUP_MAXFDS 4

/* Starts a lookup of name for the record types in want (a DNS_WANT_* mask).
 * The lookup holds a reference on snap.  NULL on allocation failure. */
struct dns_lookup *dns_lookup_start(struct conf_snapshot *snap, const char *name,
				    unsigned want);
/* File descriptors to wait on (at most max) and the absolute monotonic
 * deadline (ns) at which dns_lookup_step must be called even without
 * readiness.  Returns the number of pollfds filled. */
int dns_lookup_pollfds(struct dns_lookup *l, struct pollfd *fds, int max,
		       uint64_t *deadline_ns);
/* Advances the machine with the readiness in fds (as filled by
 * dns_lookup_pollfds, revents set) at time now.  Returns true when done. */
bool dns_lookup_step(struct dns_lookup *l, const struct pollfd *fds, int nfds,
		     uint64_t now_ns);
/* Valid once dns_lookup_step returned true. */
const struct dns_result *dns_lookup_result(const struct dns_lookup *l);
/* Frees everything, closing sockets; safe at any state (cancellation). */
void dns_lookup_free(struct dns_lookup *l);

/* Runs a lookup to completion with poll(); result copied into *out (caller
 * frees out->addrs). */
int dns_lookup_run(struct conf_snapshot *snap, const char *name, unsigned want,
		   struct dns_result *out);

#endif
