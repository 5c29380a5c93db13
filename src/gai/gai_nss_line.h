/*
 * Shared by the forward and reverse walks of the nsswitch.conf hosts line
 * (gai_nss.c, gai_nss_reverse.c): see gai_nss_line.c.
 */
#ifndef RFCRES_GAI_NSS_LINE_H
#define RFCRES_GAI_NSS_LINE_H

#include <stddef.h>

#include "conf/conf_nsswitch.h"
#include "nss/nss_hosts.h"

/* Sources of the line; n NULL = glibc's built-in default (files dns). */
size_t nss_line_len(const struct conf_nsswitch *n);
const struct conf_nss_source *nss_line_at(const struct conf_nsswitch *n,
					  size_t i);

/* nss.line: "files,mdns4_minimal[NOTFOUND:return],dns" (trace on only) */
void nss_trace_line(const struct conf_nsswitch *nsw, size_t nsrc);
/* nss.source name= status= action= found= next= [extra] */
void nss_trace_source(const struct conf_nss_source *s,
		      enum conf_nss_status st, enum conf_nss_action act,
		      size_t naddrs, const char *next, const char *extra);

/* glibc getaddrinfo's error for a module that ended the walk without an
 * address (EAI_SYSTEM with *sys_errno, EAI_AGAIN, EAI_NODATA,
 * EAI_NONAME). */
int nss_module_error(const struct nss_answer *a, int *sys_errno);
/* nss_dns's status for a DNS result's EAI code. */
int nss_dns_status(int eai);

#endif
