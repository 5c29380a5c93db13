/*
 * The names a lookup asks for, in glibc res_nsearch order (search list,
 * ndots, no-tld-query, the name as is), and the verdict over them: which
 * candidate's result ends the lookup, and with which error.
 */
#include <netdb.h>
#include <string.h>

#include "core/trace.h"
#include "dns/lookup_priv.h"

static void add_cand(struct dns_lookup *l, const uint8_t *w, size_t wl,
		     bool as_is_first)
{
	struct dns_cand *c = &l->cands[l->ncand++];
	memcpy(c->wire, w, wl);
	c->as_is_first = as_is_first;
}

enum wire_err dns_build_cands(struct dns_lookup *l, const char *name,
			      bool ptr)
{
	uint8_t w[WIRE_NAME_MAX];
	size_t wl;
	bool absolute;
	enum wire_err e = wire_name_from_text(name, w, &wl, &absolute);
	if (e)
		return e;
	/* PTR names are absolute (glibc gethostbyaddr uses res_nquery);
	 * a trailing dot means "exactly this name". */
	if (ptr || absolute) {
		add_cand(l, w, wl, false);
		return WIRE_OK;
	}
	unsigned dots = wire_name_labels(w) - 1;
	/* no-tld-query: a single-label name is never sent as it is. */
	bool no_tld = dots == 0 && (l->opts & CONF_OPT_NO_TLD_QUERY);
	bool tried_as_is = false, root_on_list = false;
	if (dots >= l->rc->ndots && !no_tld) {
		add_cand(l, w, wl, true);
		tried_as_is = true;
	}
	for (unsigned i = 0; i < l->rc->nsearch && l->rc->search &&
			     l->rc->search[i]; i++) {
		uint8_t d[WIRE_NAME_MAX], full[WIRE_NAME_MAX];
		size_t dl, fl;
		bool dabs;
		if (wire_name_from_text(l->rc->search[i], d, &dl, &dabs) ||
		    wire_name_concat(w, wl, d, dl, full, &fl)) {
			TRACE(RFCRES_TRACE_DNS, "dns.search.skip",
			      "index=%u reason=invalid-or-too-long", i);
			continue;
		}
		if (dl == 1) {
			/* "." on the search list is the name as is */
			if (no_tld || tried_as_is || root_on_list)
				continue;
			root_on_list = true;
		}
		add_cand(l, full, fl, false);
	}
	if (!tried_as_is && !root_on_list && !no_tld)
		add_cand(l, w, wl, false);
	return WIRE_OK;
}

static void reset_queries(struct dns_lookup *l)
{
	for (unsigned i = 0; i < l->nq; i++) {
		struct dns_query *q = &l->q[i];
		dns_free_addrs(q);
		uint16_t t = q->qtype;
		bool stand_in = q->stand_in;
		memset(q, 0, sizeof *q);
		q->qtype = t;
		q->stand_in = stand_in;
	}
}

static int status_eai(enum name_status st)
{
	switch (st) {
	case N_ANSWER:
		return 0;
	case N_NODATA:
		return EAI_NODATA;
	case N_NXDOMAIN:
		return EAI_NONAME;
	default:
		return EAI_AGAIN;
	}
}

static enum name_status name_status(const struct dns_lookup *l)
{
	bool all = true, nx = false, ans = false;
	for (unsigned i = 0; i < l->nq; i++) {
		const struct dns_query *q = &l->q[i];
		all &= q->done;
		nx |= q->outcome == O_NXDOMAIN;
		/* a no-aaaa stand-in's records are hidden: NODATA */
		ans |= q->outcome == O_ANSWER && !q->stand_in;
	}
	if (ans)
		return N_ANSWER;
	/* RFC 8020: NXDOMAIN means nothing exists below the name, so one
	 * NXDOMAIN settles the other type too.  glibc also reports
	 * HOST_NOT_FOUND as soon as one reply says NXDOMAIN. */
	if (nx)
		return N_NXDOMAIN;
	if (all)
		return N_NODATA;
	/* glibc res_search goes on with the next suffix when the reply it
	 * kept says SERVFAIL, even if other servers were unreachable or
	 * silent (bug 19791; res_send only reports ECONNREFUSED, which
	 * stops the search, when no server replied or timed out).  Without
	 * a SERVFAIL, an unreachable or silent server ends the search
	 * (dns_end_name). */
	if (l->saw_servfail)
		return N_SERVFAIL;
	return l->saw_timeout ? N_TIMEOUT : N_SERVFAIL;
}

/* The current candidate is settled: decide, like glibc res_nsearch,
 * whether to try the next one and what the final error is. */
void dns_end_name(struct dns_lookup *l, uint64_t now)
{
	dns_close_fd(&l->tcp.fd);
	l->tcp.state = TCP_IDLE;
	l->tcp_mode = false;
	enum name_status st = name_status(l);
	if (trace_on()) {
		struct tbuf b;
		static const char *const sn[] = { "answer", "nodata", "nxdomain",
						  "servfail", "timeout" };
		trace_emit(RFCRES_TRACE_DNS, "dns.name", "name=%s status=%s",
			   dns_tname(&b, dns_cur_name(l)), sn[st]);
	}
	if (st == N_ANSWER) {
		for (unsigned i = 0; i < l->nq; i++)
			if (!l->q[i].done)
				TRACE(RFCRES_TRACE_DNS, "dns.partial",
				      "qtype=%s reason=no-answer",
				      dns_qtype_str(l->q[i].qtype));
		dns_build_result(l);
		return;
	}
	int eai = status_eai(st);
	if (st == N_TIMEOUT) {
		/* No server replied to this name, or all were unreachable:
		 * glibc stops here when every server was unreachable
		 * (ECONNREFUSED); after a timeout it still tries the name as
		 * is, which librfcres does not (docs/deviations/dns.md). */
		dns_finish(l, EAI_AGAIN);
		return;
	}
	if (l->cands[l->cand].as_is_first) {
		l->have_saved = true;
		l->saved_eai = eai;
	}
	l->got_nodata |= st == N_NODATA;
	l->got_servfail |= st == N_SERVFAIL;
	l->last_eai = eai;
	if (l->cand + 1 < l->ncand) {
		l->cand++;
		dns_begin_name(l, now);
		return;
	}
	if (l->have_saved)
		eai = l->saved_eai;
	else if (l->got_nodata)
		eai = EAI_NODATA;
	else if (l->got_servfail)
		eai = EAI_AGAIN;
	else
		eai = l->last_eai;
	dns_finish(l, eai);
}

void dns_begin_name(struct dns_lookup *l, uint64_t now)
{
	reset_queries(l);
	l->step = 0;
	l->single_retry = 0;
	l->tcp_failed = 0;
	l->saw_timeout = false;
	l->saw_servfail = false;
	for (unsigned s = 0; s < CONF_MAXNS; s++)
		dns_flood_reset(&l->flood[s]);
	for (unsigned i = 0; i < l->nq; i++) {
		struct dns_query *q = &l->q[i];
		/* EDNS per candidate: servers that said FORMERR to it are
		 * remembered in the snapshot; one flag for all is enough
		 * since a retry without EDNS always works. */
		q->edns = (l->opts & CONF_OPT_EDNS0) != 0;
		for (unsigned s = 0; s < l->nns; s++)
			if (atomic_load_explicit(&l->snap->learned[s],
						 memory_order_relaxed) &
			    CONF_LEARN_NO_EDNS)
				q->edns = false;
		if (q->stand_in)
			q->edns = false; /* glibc res-noaaaa.c drops EDNS */
		dns_build_msg(l, q);
	}
	if (trace_on()) {
		struct tbuf b;
		trace_emit(RFCRES_TRACE_DNS, "dns.search",
			   "name=%s index=%u of=%u",
			   dns_tname(&b, dns_cur_name(l)), l->cand, l->ncand);
	}
	dns_begin_step(l, now);
}
