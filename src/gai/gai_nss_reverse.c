/*
 * Reverse lookups along the nsswitch.conf hosts line, for getnameinfo and
 * gethostbyaddr* (glibc: gethostbyaddr_r walks the line with each module's
 * gethostbyaddr2_r, else gethostbyaddr_r): files = the first hosts entry
 * with the address, dns = a PTR query, any other source its module.
 */
#include "gai/gai_nss.h"

#include <errno.h>
#include <stdio.h>

#include "conf/conf.h"
#include "conf/conf_hosts.h"
#include "core/trace.h"
#include "gai/gai_nss_line.h"
#include "nss/nss_hosts.h"
#include "nss/nss_module.h"

bool gai_nss_files_first(const struct conf_snapshot *snap)
{
	const struct conf_nsswitch *nsw = snap->nsswitch;
	return nss_line_len(nsw) > 0 && nss_line_at(nsw, 0)->kind == CONF_NSS_FILES;
}

int gai_nss_reverse(struct conf_snapshot *snap, int family,
		    const unsigned char *addr, char *name, size_t len,
		    const struct conf_hosts_entry **entry)
{
	const struct conf_nsswitch *nsw = snap->nsswitch;
	size_t nsrc = nss_line_len(nsw);
	int eai = EAI_NONAME, sys_errno = 0;
	*entry = NULL;
	name[0] = '\0';
	if (trace_on())
		nss_trace_line(nsw, nsrc);
	for (size_t i = 0; i < nsrc; i++) {
		const struct conf_nss_source *s = nss_line_at(nsw, i);
		char extra[160] = "";
		int st;
		if (s->kind == CONF_NSS_FILES) {
			const struct conf_hosts_entry *e =
				conf_hosts_by_addr(snap->hosts, family, addr);
			if (e) {
				snprintf(name, len, "%s", e->names[0]);
				*entry = e;
			}
			st = e ? CONF_NSS_SUCCESS : CONF_NSS_NOTFOUND;
			eai = e ? 0 : EAI_NONAME;
		} else if (s->kind == CONF_NSS_DNS) {
			eai = gai_reverse_dns(snap, family, addr, name, len);
			if (eai == EAI_SYSTEM)
				sys_errno = errno;
			if (eai)
				name[0] = '\0';
			st = nss_dns_status(eai);
		} else {
			static const struct nss_module reentered = {
				.why = "reentered"
			};
			const struct nss_module *m =
				nss_module_in_call() ? &reentered
						     : nss_module_get(s->name);
			struct nss_answer a;
			nss_hosts_byaddr(m, family, addr, &a);
			snprintf(extra, sizeof extra,
				 "fn=%s errno=%d h_errno=%d%s%s", a.fn, a.err,
				 a.herr, m->why ? " reason=" : "",
				 m->why ? m->why : "");
			st = a.status;
			if (a.eai) {
				eai = a.eai;
			} else if (st == CONF_NSS_SUCCESS) {
				snprintf(name, len, "%s", a.name);
				eai = 0;
			} else {
				a.no_data = a.no_inet6_data =
					a.herr == NSS_TRY_AGAIN ? EAI_AGAIN
					: a.herr == NSS_NO_DATA ? 1 : 0;
				eai = nss_module_error(&a, &sys_errno);
			}
			nss_answer_free(&a);
			if (eai == EAI_MEMORY)
				break;
		}
		enum conf_nss_action act = s->action[st];
		nss_trace_source(s, (enum conf_nss_status)st, act, eai ? 0 : 1,
			     act == CONF_NSS_RETURN ? "(stop)"
			     : i + 1 >= nsrc	     ? "(end)"
						     : nss_line_at(nsw, i + 1)->name,
			     extra[0] ? extra : NULL);
		if (act == CONF_NSS_RETURN)
			break;
		if (act == CONF_NSS_MERGE && i + 1 < nsrc) {
			name[0] = '\0';
			*entry = NULL;
			eai = (st == CONF_NSS_UNAVAIL || st == CONF_NSS_TRYAGAIN)
				      ? EAI_SYSTEM
				      : EAI_NONAME;
			sys_errno = EBUSY;
			break;
		}
	}
	if (eai == EAI_SYSTEM && sys_errno)
		errno = sys_errno;
	return eai;
}
