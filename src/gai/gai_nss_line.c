/*
 * The hosts line as both walks use it (gai_nss.c forward, gai_nss_reverse.c
 * reverse): the sources (or glibc's built-in default when the snapshot has
 * no parsed line), their trace events, and how a source's outcome maps to
 * a status and an EAI code the way glibc 2.36 maps them.
 */
#include "gai/gai_nss_line.h"

#include <netdb.h>
#include <stdio.h>

#include "core/trace.h"

/* The line used when the snapshot has none (the out-of-memory fallback):
 * glibc's built-in default, CONF_NSS_DEFAULT_HOSTS. */
static const struct conf_nss_source default_src[] = {
	{ "files", CONF_NSS_FILES,
	  { CONF_NSS_RETURN, CONF_NSS_CONTINUE, CONF_NSS_CONTINUE,
	    CONF_NSS_CONTINUE } },
	{ "dns", CONF_NSS_DNS,
	  { CONF_NSS_RETURN, CONF_NSS_CONTINUE, CONF_NSS_CONTINUE,
	    CONF_NSS_CONTINUE } },
};

size_t nss_line_len(const struct conf_nsswitch *n)
{
	return n ? n->nsrc : sizeof default_src / sizeof default_src[0];
}

const struct conf_nss_source *nss_line_at(const struct conf_nsswitch *n,
					  size_t i)
{
	return n ? &n->src[i] : &default_src[i];
}

void nss_trace_source(const struct conf_nss_source *s,
			 enum conf_nss_status st, enum conf_nss_action act,
			 size_t naddrs, const char *next, const char *extra)
{
	if (!trace_on())
		return;
	char sn[96], nn[96];
	trace_emit(RFCRES_TRACE_LOOKUP, "nss.source",
		   "name=%s status=%s action=%s found=%zu next=%s%s%s",
		   trace_safe(s->name, sn, sizeof sn),
		   conf_nss_status_name(st), conf_nss_action_name(act), naddrs,
		   trace_safe(next, nn, sizeof nn), extra ? " " : "",
		   extra ? extra : "");
}

/* "files,mdns4_minimal[NOTFOUND:return],dns": the line as one trace value
 * (no spaces, no '='). */
void nss_trace_line(const struct conf_nsswitch *nsw, size_t nsrc)
{
	char buf[512], crit[128];
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < nsrc && used + 1 < sizeof buf; i++) {
		const struct conf_nss_source *s = nss_line_at(nsw, i);
		conf_nss_criteria(s, crit, sizeof crit);
		for (char *c = crit; *c; c++)
			*c = *c == '=' ? ':' : *c == ' ' ? ',' : *c;
		int w = snprintf(buf + used, sizeof buf - used, "%s%s%s",
				 i ? "," : "", s->name, crit);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	char safe[512];
	trace_emit(RFCRES_TRACE_LOOKUP, "nss.line",
		   "sources=%zu origin=%s line=%s", nsrc,
		   !nsw				       ? "builtin"
		   : nsw->origin == CONF_NSS_FROM_FILE ? "file"
		   : nsw->origin == CONF_NSS_INVALID   ? "invalid"
						       : "default",
		   trace_safe(nsrc ? buf : "(none)", safe, sizeof safe));
}

int nss_module_error(const struct nss_answer *a, int *sys_errno)
{
	if ((a->status == CONF_NSS_UNAVAIL || a->status == CONF_NSS_TRYAGAIN) &&
	    a->herr == NSS_NETDB_INTERNAL) {
		*sys_errno = a->err;
		return EAI_SYSTEM;
	}
	if (a->no_data && a->no_inet6_data)
		return a->no_data == EAI_AGAIN && a->no_inet6_data == EAI_AGAIN
			       ? EAI_AGAIN
			       : EAI_NODATA;
	return EAI_NONAME;
}

int nss_dns_status(int eai)
{
	switch (eai) {
	case 0:
		return CONF_NSS_SUCCESS;
	case EAI_NONAME:
	case EAI_NODATA:
		return CONF_NSS_NOTFOUND;
	default:
		return CONF_NSS_UNAVAIL;
	}
}

