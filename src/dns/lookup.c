/*
 * One DNS lookup (lookup.h): the public calls, the result they hand back,
 * and what every part of the lookup shares -- query IDs, query messages and
 * the way a lookup ends.  How it proceeds is in lookup_steps.c; the map of
 * the other files is in lookup_priv.h (and docs/transport.md).
 */
#include "dns/lookup.h"

#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "core/sys.h"
#include "core/trace.h"
#include "dns/lookup_priv.h"

uint16_t dns_next_id(struct dns_lookup *l)
{
	/* One getrandom() per 32 IDs instead of one per query. */
	if (l->nids == 0) {
		sys_random(l->ids, sizeof l->ids);
		l->nids = sizeof l->ids / sizeof l->ids[0];
	}
	return l->ids[--l->nids];
}

void dns_build_msg(struct dns_lookup *l, struct dns_query *q)
{
	q->len = wire_build_query(q->msg, sizeof q->msg, 0, dns_cur_name(l),
				  q->qtype, q->edns,
				  (l->opts & CONF_OPT_TRUST_AD) != 0);
}

void dns_finish(struct dns_lookup *l, int eai)
{
	dns_close_fd(&l->tcp.fd);
	l->tcp.state = TCP_IDLE;
	l->res.eai = eai;
	l->done = true;
	TRACE(RFCRES_TRACE_DNS, "dns.done", "eai=%s naddrs=%zu drops=%u",
	      dns_eai_str(eai), l->res.naddrs, l->drops);
}

/* No descriptor for a socket: the process (EMFILE) or the system (ENFILE)
 * is out of them.  Another server would fail the same way, so the lookup
 * ends with EAI_SYSTEM and that errno, as glibc's does (send_dg/send_vc
 * return the socket() errno; getaddrinfo maps NETDB_INTERNAL to
 * EAI_SYSTEM). */
bool dns_out_of_fds(struct dns_lookup *l, int err)
{
	if (err != EMFILE && err != ENFILE)
		return false;
	TRACE(RFCRES_TRACE_DNS, "dns.socket", "errno=%s",
	      err == EMFILE ? "EMFILE" : "ENFILE");
	l->res.sys_errno = err;
	dns_finish(l, EAI_SYSTEM);
	return true;
}

void dns_build_result(struct dns_lookup *l)
{
	size_t total = 0;
	for (unsigned i = 0; i < l->nq; i++)
		if (l->q[i].outcome == O_ANSWER)
			total += l->q[i].naddrs;
	if (total) {
		l->res.addrs = malloc(total * sizeof *l->res.addrs);
		if (!l->res.addrs) {
			dns_finish(l, EAI_MEMORY);
			return;
		}
	}
	/* q[0] is A when both are asked: A first, then AAAA. */
	const struct dns_query *canon_q = NULL;
	for (unsigned i = 0; i < l->nq; i++) {
		struct dns_query *q = &l->q[i];
		if (q->outcome != O_ANSWER || q->stand_in)
			continue;
		if (!canon_q)
			canon_q = q;
		if (q->naddrs)
			memcpy(l->res.addrs + l->res.naddrs, q->addrs,
			       q->naddrs * sizeof *q->addrs);
		l->res.naddrs += q->naddrs;
		if (q->has_ptr && !l->res.ptr[0] &&
		    !wire_name_to_text(q->ptr, l->res.ptr, sizeof l->res.ptr))
			l->res.ptr[0] = '\0';
	}
	if (canon_q &&
	    !wire_name_to_text(canon_q->canon, l->res.canon, sizeof l->res.canon))
		l->res.canon[0] = '\0';
	if (l->nq == 1 && l->q[0].qtype == WIRE_T_PTR && !l->res.ptr[0]) {
		/* a PTR name that does not fit in 255 text characters */
		dns_finish(l, EAI_NODATA);
		return;
	}
	dns_finish(l, 0);
}

void dns_free_addrs(struct dns_query *q)
{
	if (q->addrs != q->addrs_inline)
		free(q->addrs);
	q->addrs = NULL;
}

struct dns_lookup *dns_lookup_start(struct conf_snapshot *snap,
				    const char *name, unsigned want)
{
	const struct conf_resolv *rc = snap->resolv;
	unsigned maxc = rc->nsearch + 2;
	struct dns_lookup *l = calloc(1, sizeof *l + maxc * sizeof l->cands[0]);
	if (!l)
		return NULL;
	l->snap = conf_ref(snap);
	l->rc = rc;
	l->opts = rc->opts;
	l->tcp.fd = -1;
	for (unsigned i = 0; i < CONF_MAXNS; i++)
		l->udp[i] = -1;
	l->last_eai = EAI_NONAME;
	l->nns = rc->nns ? (rc->nns > CONF_MAXNS ? CONF_MAXNS : rc->nns) : 0;
	unsigned attempts = rc->attempts ? rc->attempts : 1;
	l->nsteps = l->nns * attempts;
	uint64_t now = sys_now_ns();

	if (want & DNS_WANT_PTR) {
		l->q[l->nq++].qtype = WIRE_T_PTR;
	} else {
		if (want & DNS_WANT_A)
			l->q[l->nq++].qtype = WIRE_T_A;
		if ((want & DNS_WANT_AAAA) && (l->opts & CONF_OPT_NO_AAAA)) {
			/* glibc 2.36 res-noaaaa.c: the AAAA query becomes an
			 * A query whose records are hidden, so that a name
			 * that does not exist is still NXDOMAIN; with A
			 * wanted too, that A query is already there. */
			bool alone = !(want & DNS_WANT_A);
			TRACE(RFCRES_TRACE_DNS, "dns.no-aaaa",
			      "reason=options-no-aaaa stand-in=%s",
			      alone ? "A" : "none");
			if (alone) {
				l->q[l->nq].qtype = WIRE_T_A;
				l->q[l->nq++].stand_in = true;
			}
		} else if (want & DNS_WANT_AAAA) {
			l->q[l->nq++].qtype = WIRE_T_AAAA;
		}
	}
	if (l->nq == 0) {
		dns_finish(l, EAI_NODATA);
		return l;
	}
	if (l->nns == 0) {
		dns_finish(l, EAI_AGAIN);
		return l;
	}
	enum wire_err e = dns_build_cands(l, name, (want & DNS_WANT_PTR) != 0);
	if (e) {
		if (trace_on()) {
			char sb[1024];
			trace_emit(RFCRES_TRACE_DNS, "dns.name-invalid",
				   "name=%s reason=%s",
				   trace_safe(name, sb, sizeof sb),
				   wire_strerror(e));
		}
		/* glibc: res_mkquery fails, h_errno NO_RECOVERY, which
		 * getaddrinfo reports as EAI_NONAME. */
		dns_finish(l, EAI_NONAME);
		return l;
	}
	if (l->ncand == 0) {
		TRACE(RFCRES_TRACE_DNS, "dns.search.none",
		      "reason=no-tld-query");
		dns_finish(l, EAI_NONAME);
		return l;
	}
	if (l->opts & CONF_OPT_ROTATE)
		l->first = atomic_fetch_add_explicit(&snap->rotate_next, 1,
						     memory_order_relaxed) %
			   l->nns;
	l->deadline = now + l->ncand * dns_name_budget(l);
	dns_begin_name(l, now);
	return l;
}

int dns_lookup_pollfds(struct dns_lookup *l, struct pollfd *fds, int max,
		       uint64_t *deadline_ns)
{
	int n = 0;
	if (l->done) {
		*deadline_ns = 0;
		return 0;
	}
	if (l->tcp.fd >= 0 && n < max) {
		short ev = l->tcp.state == TCP_CONNECTING
				   ? POLLOUT
				   : (short)(POLLIN | (l->tcp.ooff < l->tcp.olen
							       ? POLLOUT
							       : 0));
		fds[n++] = (struct pollfd){ .fd = l->tcp.fd, .events = ev };
	}
	for (unsigned s = 0; s < l->nns && n < max; s++) {
		if (l->udp[s] < 0)
			continue;
		bool want = false;
		for (unsigned i = 0; i < l->nq; i++)
			want |= !l->q[i].done && (l->q[i].udp_out & (1u << s));
		if (want)
			fds[n++] = (struct pollfd){ .fd = l->udp[s],
						    .events = POLLIN };
	}
	*deadline_ns = l->step_deadline;
	return n;
}

bool dns_lookup_step(struct dns_lookup *l, const struct pollfd *fds, int nfds,
		     uint64_t now_ns)
{
	for (int i = 0; i < nfds && !l->done; i++) {
		if (!fds[i].revents || fds[i].fd < 0)
			continue;
		if (fds[i].fd == l->tcp.fd) {
			dns_tcp_on_ready(l, fds[i].revents, now_ns);
			continue;
		}
		for (unsigned s = 0; s < l->nns; s++)
			if (l->udp[s] == fds[i].fd) {
				dns_udp_on_readable(l, s, now_ns);
				break;
			}
	}
	if (!l->done && now_ns >= l->step_deadline)
		dns_on_timeout(l, now_ns);
	return l->done;
}

const struct dns_result *dns_lookup_result(const struct dns_lookup *l)
{
	return &l->res;
}

void dns_lookup_free(struct dns_lookup *l)
{
	if (!l)
		return;
	for (unsigned s = 0; s < CONF_MAXNS; s++)
		dns_close_fd(&l->udp[s]);
	dns_close_fd(&l->tcp.fd);
	free(l->tcp.in);
	for (unsigned i = 0; i < l->nq; i++)
		dns_free_addrs(&l->q[i]);
	free(l->res.addrs);
	conf_release(l->snap);
	free(l);
}

int dns_lookup_run(struct conf_snapshot *snap, const char *name, unsigned want,
		   struct dns_result *out)
{
	memset(out, 0, sizeof *out);
	struct dns_lookup *l = dns_lookup_start(snap, name, want);
	if (!l) {
		out->eai = EAI_MEMORY;
		return out->eai;
	}
	struct pollfd fds[DNS_LOOKUP_MAXFDS];
	while (!l->done) {
		uint64_t dl;
		int n = dns_lookup_pollfds(l, fds, DNS_LOOKUP_MAXFDS, &dl);
		uint64_t now = sys_now_ns();
		uint64_t wait = dl > now ? (dl - now + 999999) / 1000000 : 0;
		int r = rfcres_sys.poll(fds, (nfds_t)n,
					wait > 60000 ? 60000 : (int)wait);
		if (r < 0) {
			if (errno != EINTR) {
				TRACE(RFCRES_TRACE_DNS, "dns.poll-error",
				      "errno=%d", errno);
				dns_finish(l, EAI_AGAIN);
				break;
			}
			for (int i = 0; i < n; i++)
				fds[i].revents = 0;
		}
		dns_lookup_step(l, fds, r > 0 ? n : 0, sys_now_ns());
	}
	*out = l->res;
	l->res.addrs = NULL;
	dns_lookup_free(l);
	return out->eai;
}
