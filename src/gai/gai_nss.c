/*
 * The hosts line for getaddrinfo, as glibc 2.36 walks it
 * (sysdeps/posix/getaddrinfo.c get_nss_addresses):
 *  - every source starts afresh: what an earlier source found is dropped
 *    when the walk goes on (SUCCESS=continue), as glibc's loop resets its
 *    result at the top of each iteration;
 *  - the action for the source's status decides: return ends the walk,
 *    continue goes to the next source; merge is not supported for hosts:
 *    glibc then stops with errno EBUSY and no result (EAI_SYSTEM when the
 *    status was UNAVAIL or TRYAGAIN, else EAI_NONAME);
 *  - the error of a walk that found nothing is that of the LAST source
 *    consulted: files -> EAI_NONAME; dns -> the DNS result's own error
 *    (EAI_NONAME, EAI_NODATA, EAI_AGAIN, EAI_FAIL, EAI_SYSTEM); a module ->
 *    glibc's rule: UNAVAIL/TRYAGAIN with h_errno NETDB_INTERNAL is
 *    EAI_SYSTEM with the module's errno (EBUSY for a module that is not
 *    installed or lacks the functions), h_errno TRY_AGAIN is EAI_AGAIN,
 *    NO_DATA is EAI_NODATA, anything else EAI_NONAME.
 * DNS statuses (glibc nss_dns): an answer is SUCCESS; NXDOMAIN and NODATA
 * are NOTFOUND; a timeout or unreachable servers are UNAVAIL (nss_dns maps
 * ETIMEDOUT/ECONNREFUSED to UNAVAIL).  RFC 6761 localhost names are the
 * dns source's answer (librfcres never sends them to DNS), so a module or
 * files placed before dns still answers them first.
 */
#include "gai/gai_nss.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "conf/conf_nsswitch.h"
#include "core/trace.h"
#include "dns/lookup.h"
#include "gai/gai_nss_line.h"
#include "nss/nss_hosts.h"
#include "nss/nss_module.h"

static void reset_result(struct gai_req *r)
{
	r->naddrs = 0;
	r->canon = NULL;
	free(r->nss_canon);
	r->nss_canon = NULL;
	if (r->dns) {
		dns_lookup_free(r->dns);
		r->dns = NULL;
	}
	r->dns_running = false;
	r->eai = 0;
	r->sys_errno = 0;
}

/* glibc 2.36 answers AF_INET without AI_CANONNAME through
 * gethostbyname2_r (getaddrinfo.c, "try_simple_gethostbyname"), whose
 * walk (nss/getXXbyYY_r.c, __nss_next2) differs: a module without the
 * function is skipped when its UNAVAIL action is continue (else the walk
 * stops there), leaving the status as it was; the error comes from the
 * last status and h_errno (below). */
static _Thread_local bool legacy_walk;

void gai_nss_legacy_walk(bool on)
{
	legacy_walk = on;
}

static bool simple_path(const struct gai_req *r)
{
	return legacy_walk ||
	       (r->family == AF_INET && !(r->flags & AI_CANONNAME));
}

/* Status returned by src_module for a module skipped on that path. */
#define SRC_SKIPPED CONF_NSS_NSTATUS

static int simple_error(const struct nss_answer *a, int *sys_errno)
{
	bool fail = a->status == CONF_NSS_UNAVAIL ||
		    a->status == CONF_NSS_TRYAGAIN;
	if (!fail || a->err == 0) /* gethostbyname2_r returned 0 */
		return a->herr == NSS_NO_DATA ? EAI_NODATA : EAI_NONAME;
	if (a->herr == NSS_NETDB_INTERNAL) {
		*sys_errno = a->err;
		return EAI_SYSTEM;
	}
	return a->herr == NSS_TRY_AGAIN ? EAI_AGAIN : EAI_NODATA;
}

/* One module source.  Returns its status, or -1 with *fatal set when the
 * lookup ends at once (EAI_MEMORY; EAI_SYSTEM from a gethostbyname2_r
 * call, as glibc's gethosts returns it). */
static int src_module(struct gai_req *r, const struct conf_nss_source *s,
		      const char *name, char *extra, size_t elen, int *fatal)
{
	struct nss_answer a;
	const struct nss_module *m;
	static const struct nss_module reentered = { .why = "reentered" };
	m = nss_module_in_call() ? &reentered : nss_module_get(s->name);
	unsigned q = 0;
	if (r->flags & AI_V4MAPPED)
		q |= NSS_Q_V4MAPPED;
	if (r->flags & AI_ALL)
		q |= NSS_Q_ALL;
	if (r->flags & AI_CANONNAME)
		q |= NSS_Q_CANON;
	if (simple_path(r)) {
		q |= NSS_Q_SIMPLE;
		if (!m->loaded || !m->byname2) {
			snprintf(extra, elen, "skipped=no_function reason=%s",
				 m->why ? m->why : "no_gethostbyname2_r");
			return SRC_SKIPPED;
		}
	}
	nss_hosts_byname(m, name, r->family, q, &a);
	snprintf(extra, elen, "fn=%s errno=%d h_errno=%d%s%s%s", a.fn, a.err,
		 a.herr, m->why ? " reason=" : "", m->why ? m->why : "",
		 a.garbage ? " garbage=yes" : "");
	if (a.erange && strlen(extra) + 16 < elen)
		snprintf(extra + strlen(extra), elen - strlen(extra),
			 " erange=%u", a.erange);
	int rc = a.eai;
	for (size_t i = 0; !rc && i < a.naddrs; i++)
		rc = gai_req_add(r, a.addrs[i].family, a.addrs[i].addr,
				 a.addrs[i].scope_id);
	if (!rc && a.name[0] && (r->flags & AI_CANONNAME)) {
		if (!(r->nss_canon = strdup(a.name)))
			rc = EAI_MEMORY;
		r->canon = r->nss_canon;
	}
	if (rc) {
		if (rc == EAI_SYSTEM)
			r->sys_errno = a.err;
		nss_answer_free(&a);
		*fatal = rc;
		return -1;
	}
	int st = a.status;
	int (*error_of)(const struct nss_answer *, int *) =
		simple_path(r) ? simple_error : nss_module_error;
	if (st == CONF_NSS_SUCCESS && r->naddrs == 0) {
		r->eai = simple_path(r) ? EAI_NODATA
					: nss_module_error(&a, &r->sys_errno);
	} else if (st != CONF_NSS_SUCCESS) {
		r->naddrs = 0;
		r->eai = error_of(&a, &r->sys_errno);
	}
	nss_answer_free(&a);
	return st;
}

/* Applies the action for st of source s; true when the walk ends. */
static bool decide(struct gai_req *r, const struct conf_nss_source *s,
		   int st, const char *extra)
{
	enum conf_nss_action act = s->action[st];
	const struct conf_nsswitch *nsw = r->snap->nsswitch;
	size_t nsrc = nss_line_len(nsw);
	nss_trace_source(s, (enum conf_nss_status)st, act, r->naddrs,
		     act == CONF_NSS_RETURN ? "(stop)"
		     : r->nss_pos >= nsrc   ? "(end)"
					    : nss_line_at(nsw, r->nss_pos)->name,
		     extra);
	if (act == CONF_NSS_RETURN || r->nss_pos >= nsrc)
		return true;
	if (act == CONF_NSS_MERGE) {
		/* glibc: "The hosts database does not support MERGE":
		 * h_errno NETDB_INTERNAL, errno EBUSY, the result reset */
		TRACE(RFCRES_TRACE_LOOKUP, "nss.merge",
		      "result=unsupported errno=EBUSY");
		bool sys = st == CONF_NSS_UNAVAIL || st == CONF_NSS_TRYAGAIN;
		reset_result(r);
		r->eai = sys ? EAI_SYSTEM : EAI_NONAME;
		r->sys_errno = sys ? EBUSY : 0;
		r->nss_pos = nsrc;
		return true;
	}
	return false;
}

/* Keeps the name for the walk after DNS (the caller's string is gone by
 * then); only needed when a source follows. */
static int keep_name(struct gai_req *r, const char *name)
{
	if (r->nss_name || r->nss_pos >= nss_line_len(r->snap->nsswitch))
		return 0;
	r->nss_name = strdup(name);
	return r->nss_name ? 0 : EAI_MEMORY;
}

int gai_nss_walk(struct gai_req *r, const char *name)
{
	const struct conf_nsswitch *nsw = gai_req_snap(r)->nsswitch;
	size_t nsrc = nss_line_len(nsw);
	if (r->nss_pos == 0 && trace_on())
		nss_trace_line(nsw, nsrc);
	/* An empty (or rejected) line: nothing answers.  glibc 2.36 reads
	 * past its empty list; librfcres answers "not found". */
	if (r->nss_pos == 0) {
		r->eai = EAI_NONAME;
		/* glibc: the hosts database cannot be loaded; the
		 * gethostbyname2_r path reports NETDB_INTERNAL */
		if (nsw && nsw->origin == CONF_NSS_INVALID && simple_path(r)) {
			r->eai = EAI_SYSTEM;
			r->sys_errno = EINVAL;
		}
	}
	while (r->nss_pos < nsrc) {
		const struct conf_nss_source *s = nss_line_at(nsw, r->nss_pos++);
		int prev_eai = r->eai, prev_errno = r->sys_errno;
		reset_result(r);
		char extra[192] = "";
		int st, rc;
		switch (s->kind) {
		case CONF_NSS_FILES:
			rc = gai_src_files(r, name);
			if (rc < 0)
				return EAI_MEMORY;
			st = rc ? CONF_NSS_SUCCESS : CONF_NSS_NOTFOUND;
			r->eai = rc ? 0 : EAI_NONAME;
			break;
		case CONF_NSS_DNS:
			if (gai_is_localhost(name)) {
				rc = gai_src_localhost(r);
				if (rc < 0)
					return EAI_MEMORY;
				st = CONF_NSS_SUCCESS;
				break;
			}
			if (keep_name(r, name))
				return EAI_MEMORY;
			rc = gai_src_dns_start(r, name);
			if (rc == EAI_MEMORY)
				return rc;
			if (rc == 0)
				return 0; /* resumed by gai_nss_dns_done */
			st = CONF_NSS_NOTFOUND; /* AI_ADDRCONFIG, bad name */
			r->eai = rc;
			break;
		default: {
			int fatal = 0;
			st = src_module(r, s, name, extra, sizeof extra,
					&fatal);
			if (st < 0) {
				r->naddrs = 0;
				r->eai = fatal;
				r->nss_pos = nsrc;
				return fatal == EAI_MEMORY ? EAI_MEMORY : 0;
			}
			if (st == SRC_SKIPPED) {
				/* the status stays the previous source's */
				r->eai = prev_eai;
				r->sys_errno = prev_errno;
				enum conf_nss_action act =
					s->action[CONF_NSS_UNAVAIL];
				bool stop = act != CONF_NSS_CONTINUE ||
					    r->nss_pos >= nsrc;
				nss_trace_source(s, CONF_NSS_UNAVAIL, act, 0,
					     stop ? "(stop)"
						  : nss_line_at(nsw, r->nss_pos)->name,
					     extra);
				if (stop)
					goto walked; /* out of the loop */
				continue;
			}
			break;
		}
		}
		if (decide(r, s, st, extra[0] ? extra : NULL))
			break;
	}
walked:
	if (r->naddrs)
		r->eai = 0;
	return 0;
}

bool gai_nss_dns_done(struct gai_req *r)
{
	const struct conf_nss_source *s =
		nss_line_at(r->snap->nsswitch, r->nss_pos - 1);
	r->dns_running = false;
	int rc = gai_src_dns_take(r);
	if (rc == EAI_MEMORY) {
		r->naddrs = 0;
		r->eai = rc;
		return true;
	}
	r->eai = rc;
	if (rc)
		r->naddrs = 0;
	int st = nss_dns_status(rc);
	if (decide(r, s, st, NULL)) {
		if (r->naddrs)
			r->eai = 0;
		return true;
	}
	int w = gai_nss_walk(r, r->nss_name);
	if (w) {
		r->naddrs = 0;
		r->eai = w;
		return true;
	}
	return !r->dns_running;
}

