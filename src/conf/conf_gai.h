/*
 * gai.conf parser (glibc syntax, sysdeps/posix/getaddrinfo.c gaiconf_init)
 * and the RFC 6724 policy table lookups.
 */
#ifndef RFCRES_CONF_GAI_H
#define RFCRES_CONF_GAI_H

#include "conf/conf.h"

#define CONF_MAXPOLICY 4096 /* rows per table; bound for hostile files */

/* text may be NULL (file missing).  Returns NULL only on ENOMEM. */
struct conf_policy *conf_policy_parse(const char *text, size_t len,
				      bool present, const char *file);
void conf_policy_free(struct conf_policy *p);

#endif
