/*
 * resolv.conf parser (pure: text in, struct conf_resolv out).  Semantics
 * follow glibc resolv/res_init.c; the differences are listed in
 * docs/deviations/conf.md.
 */
#ifndef RFCRES_CONF_RESOLV_H
#define RFCRES_CONF_RESOLV_H

#include "conf/conf.h"

#define CONF_NDOTS_MAX 15   /* glibc RES_MAXNDOTS */
#define CONF_TIMEOUT_MAX 30 /* glibc RES_MAXRETRANS */
#define CONF_ATTEMPTS_MAX 5 /* glibc RES_MAXRETRY */
#define CONF_MAXSEARCH 64   /* bound for hostile files; glibc has none */

/* Inputs that do not come from the file, so that the parser stays pure. */
struct conf_resolv_env {
	const char *localdomain; /* LOCALDOMAIN, NULL when unset */
	const char *res_options; /* RES_OPTIONS, NULL when unset */
	const char *hostname;    /* gethostname(), NULL when unknown */
	const char *file;        /* name used in trace events */
};

/* text may be NULL (file missing: present = false).  Returns NULL only when
 * memory runs out. */
struct conf_resolv *conf_resolv_parse(const char *text, size_t len,
				      bool present,
				      const struct conf_resolv_env *env);
void conf_resolv_free(struct conf_resolv *r);

/* One "options" string (file line remainder or RES_OPTIONS). */
void conf_resolv_options(struct conf_resolv *r, const char *s, size_t len,
			 const char *file, unsigned lineno);

#endif
