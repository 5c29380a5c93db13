/*
 * Calling one NSS module for the hosts database the way glibc 2.36's
 * getaddrinfo (get_nss_addresses, gethosts), gethostbyname2_r and
 * gethostbyaddr_r call it, and turning what it returns into plain data:
 * a status, the module's errno and h_errno, addresses, a name.
 */
#ifndef RFCRES_NSS_HOSTS_H
#define RFCRES_NSS_HOSTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf_nsswitch.h"
#include "nss/nss_module.h"

/* Addresses one answer keeps at most (more are dropped, traced). */
#define NSS_HOSTS_MAXADDR 1024
/* The scratch buffer starts at 1 KiB (glibc: 1024 + a tuple) and doubles
 * while the module says ERANGE, up to this; then EAI_MEMORY, which is
 * where glibc's unbounded scratch_buffer_grow ends too. */
#define NSS_HOSTS_MAXBUF ((size_t)1 << 20)

struct nss_addr {
	int family; /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	uint32_t scope_id;
};

enum {
	NSS_Q_V4MAPPED = 1, /* AF_INET6: ask AF_INET too when no IPv6 */
	NSS_Q_ALL = 2,      /* with V4MAPPED: ask AF_INET in any case */
	NSS_Q_CANON = 4,    /* AI_CANONNAME: prefer gethostbyname3_r */
	NSS_Q_SIMPLE = 8,   /* glibc's AF_INET shortcut (gethostbyname2_r
			     * semantics): NETDB_INTERNAL does not end the
			     * lookup at once */
};

struct nss_answer {
	enum conf_nss_status status;
	int err;            /* the module's *errnop */
	int herr;           /* the module's *h_errnop */
	int no_data;        /* glibc's no_data / no_inet6_data: 0, 1 (name */
	int no_inet6_data;  /* known, no address) or EAI_AGAIN */
	int eai;            /* != 0: the lookup ends with this (EAI_SYSTEM
			     * from gethosts, EAI_MEMORY) */
	const char *fn;     /* entry point used, for the trace */
	unsigned erange;    /* ERANGE retries */
	unsigned garbage;   /* entries dropped as malformed */
	struct nss_addr *addrs; /* malloc'd, family order as returned */
	size_t naddrs;
	char name[256];     /* canonical name (byname) or the name (byaddr) */
};

/* Forward lookup of name in family (AF_UNSPEC, AF_INET, AF_INET6) with
 * NSS_Q_* flags.  Always fills *out (free out->addrs with
 * nss_answer_free).  The status of a module that is not loaded or has no
 * suitable function is UNAVAIL with h_errno NETDB_INTERNAL, errno EBUSY
 * (glibc getaddrinfo's "could not locate any of the lookup functions"). */
void nss_hosts_byname(const struct nss_module *m, const char *name,
		      int family, unsigned flags, struct nss_answer *out);
/* Reverse lookup (gethostbyaddr2_r, else gethostbyaddr_r); on SUCCESS
 * out->name holds the name. */
void nss_hosts_byaddr(const struct nss_module *m, int family,
		      const void *addr, struct nss_answer *out);
void nss_answer_free(struct nss_answer *a);

/* enum nss_status of the ABI -> conf_nss_status; garbage -> UNAVAIL. */
enum conf_nss_status nss_status_from_abi(int st, bool *garbage);

#endif
