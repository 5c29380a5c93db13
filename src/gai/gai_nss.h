/*
 * getaddrinfo's walk over the nsswitch.conf hosts line (glibc 2.36
 * get_nss_addresses): each source in order -- files and dns native, any
 * other name the host's libnss_NAME.so.2 -- and its [STATUS=action]
 * criteria decide whether the walk returns or continues.  The walk stops
 * at a dns source while the DNS machine runs and resumes when it is done,
 * so the asynchronous API keeps the same semantics.
 */
#ifndef RFCRES_GAI_NSS_H
#define RFCRES_GAI_NSS_H

#include <stdbool.h>
#include <stddef.h>

#include "gai/gai.h"

/* Walks the line from r->nss_pos for name (the request keeps its own copy
 * when a DNS lookup interrupts the walk).  Returns 0 when the walk ended
 * (addresses in r->addrs, or the final error in r->eai) or a DNS lookup
 * started (r->dns set, r->dns_running), else EAI_MEMORY. */
int gai_nss_walk(struct gai_req *r, const char *name);

/* The DNS lookup the walk started is done: its result is the dns source's
 * answer; the walk continues as the line says.  Returns true when the
 * request is complete, false when another DNS lookup started. */
bool gai_nss_dns_done(struct gai_req *r);

struct conf_hosts_entry;

/* gethostbyname*: glibc walks the line with gethostbyname2_r's own loop
 * (a module without the function is skipped, errors from h_errno), which
 * getaddrinfo uses only for AF_INET without AI_CANONNAME.  The legacy
 * functions set this around their getaddrinfo call, on their thread. */
void gai_nss_legacy_walk(bool on);

/* Reverse lookup along the same hosts line (getnameinfo, gethostbyaddr):
 * files = the first hosts entry with the address (*entry set, for the
 * aliases), dns = PTR, a module = its gethostbyaddr2_r / gethostbyaddr_r.
 * Returns 0 with the name in name, else the last source's error:
 * EAI_NONAME, EAI_NODATA, EAI_AGAIN, EAI_FAIL, EAI_MEMORY, or EAI_SYSTEM
 * (errno set). */
int gai_nss_reverse(struct conf_snapshot *snap, int family,
		    const unsigned char *addr, char *name, size_t len,
		    const struct conf_hosts_entry **entry);

/* True when the line consults the hosts file before anything else (the
 * legacy byname path then keeps its files-first alias handling). */
bool gai_nss_files_first(const struct conf_snapshot *snap);

/* Native sources the walk drives, implemented in gai.c: 1 found, 0 not
 * found, < 0... see each. */
int gai_src_files(struct gai_req *r, const char *name);     /* 1, 0, EAI_MEMORY */
int gai_src_localhost(struct gai_req *r);                   /* 1, EAI_MEMORY */
int gai_src_dns_start(struct gai_req *r, const char *name); /* 0 started, else EAI_* */
int gai_src_dns_take(struct gai_req *r);                    /* 0 or EAI_* */
int gai_req_add(struct gai_req *r, int family, const void *addr,
		uint32_t scope);
struct conf_snapshot *gai_req_snap(struct gai_req *r);

#endif
