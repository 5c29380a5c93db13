/*
 * Reply acceptance: whether a message answers one of our queries (QR,
 * opcode, ID at that server, the question; RFC 5452 9.1), and what its
 * RCODE, TC bit and records mean for that query (glibc send_dg/res_nsearch).
 */
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "core/trace.h"
#include "dns/lookup_priv.h"

void dns_reply_drop(struct dns_lookup *l, unsigned s, bool tcp,
		    const char *reason, size_t len)
{
	l->drops++;
	if (!tcp)
		dns_flood_drop(&l->flood[s]); /* TCP junk is no forgery */
	if (trace_on())
		dns_trace_drop(l, s, tcp ? "tcp" : "udp", reason, len);
}

static struct dns_query *match_id(struct dns_lookup *l, unsigned s, bool tcp,
				  uint16_t id)
{
	for (unsigned i = 0; i < l->nq; i++) {
		struct dns_query *q = &l->q[i];
		if (q->done)
			continue;
		if (tcp ? (q->in_tcp && q->tcp_id == id)
			: ((q->udp_out & (1u << s)) && q->udp_id[s] == id))
			return q;
	}
	return NULL;
}

static void query_failed_at(struct dns_query *q, unsigned s, bool tcp)
{
	if (tcp)
		q->in_tcp = false;
	else
		q->udp_out &= ~(1u << s);
}

static void accept_reply(struct dns_lookup *l, struct dns_query *q,
			 unsigned s, bool tcp, const struct wire_reply *r,
			 struct dns_addr *addrs, uint64_t now)
{
	if (trace_on()) {
		struct tbuf b;
		trace_emit(RFCRES_TRACE_DNS, "dns.accept",
			   "server=%s transport=%s id=%u qtype=%s rcode=%s "
			   "tc=%d aa=%d naddrs=%zu cnames=%u",
			   dns_tsrv(&b, l, s), tcp ? "tcp" : "udp", r->id,
			   dns_qtype_str(q->qtype), dns_rcode_str(r->rcode),
			   r->tc, r->aa, r->naddrs, r->cname_hops);
	}
	if (r->tc) {
		if (tcp) {
			/* a message cut even over TCP is never complete */
			dns_tcp_fail(l, "tc-over-tcp", now);
			return;
		}
		/* this UDP exchange is over either way */
		query_failed_at(q, s, false);
		if (s != l->srv || (l->tcp_failed & (1u << s))) {
			/* stale server, or its TCP already failed */
			dns_step_progress(l, now);
			return;
		}
		if (trace_on())
			dns_trace_srv(l, "dns.tc", s, "qtype",
				      dns_qtype_str(q->qtype));
		dns_tcp_start(l, s, q, now);
		return;
	}
	if (r->rcode == WIRE_R_FORMERR && q->edns && !tcp) {
		/* RFC 6891 7: a FORMERR to an OPT query means no EDNS here;
		 * remember it in the snapshot and ask again without. */
		atomic_fetch_or_explicit(&l->snap->learned[s],
					 CONF_LEARN_NO_EDNS,
					 memory_order_relaxed);
		if (trace_on())
			dns_trace_srv(l, "dns.learn", s, "flag", "no-edns");
		for (unsigned i = 0; i < l->nq; i++) {
			struct dns_query *o = &l->q[i];
			if (o->done || !o->edns)
				continue;
			o->edns = false;
			dns_build_msg(l, o);
			/* fresh IDs: replies to the EDNS queries are stale */
			o->idset &= ~(1u << s);
			o->udp_out &= ~(1u << s);
			if (s == l->srv && o->sent_step) {
				o->sent_step = false;
				l->step_sends--;
			}
		}
		dns_step_progress(l, now);
		return;
	}
	if (r->rcode == WIRE_R_NOERROR || r->rcode == WIRE_R_NXDOMAIN) {
		q->done = true;
		q->udp_out = 0;
		q->in_tcp = false;
		q->answered_here = (s == l->srv);
		if (r->rcode == WIRE_R_NXDOMAIN) {
			q->outcome = O_NXDOMAIN;
		} else if (r->naddrs || r->has_ptr) {
			q->outcome = O_ANSWER;
			memcpy(q->canon, r->canon, sizeof q->canon);
			memcpy(q->ptr, r->ptr, sizeof q->ptr);
			q->has_ptr = r->has_ptr;
			if (r->naddrs) {
				size_t cap = sizeof q->addrs_inline /
					     sizeof q->addrs_inline[0];
				q->addrs = r->naddrs <= cap
						   ? q->addrs_inline
						   : malloc(r->naddrs * sizeof *addrs);
				if (!q->addrs) {
					dns_finish(l, EAI_MEMORY);
					return;
				}
				memcpy(q->addrs, addrs,
				       r->naddrs * sizeof *addrs);
				q->naddrs = r->naddrs;
			}
		} else {
			q->outcome = O_NODATA;
		}
		/* glibc res_nsearch: the answer or NXDOMAIN for one type
		 * settles the name; no need to wait for the other type. */
		if (q->outcome == O_NXDOMAIN) {
			for (unsigned i = 0; i < l->nq; i++) {
				l->q[i].done = true;
				l->q[i].udp_out = 0;
				l->q[i].in_tcp = false;
			}
		}
		dns_step_progress(l, now);
		return;
	}
	/* SERVFAIL, REFUSED, NOTIMP, FORMERR without EDNS ...: this server
	 * cannot answer; the next one may (glibc send_dg next_ns). */
	if (trace_on())
		dns_trace_srv(l, "dns.rcode", s, "rcode",
			      dns_rcode_str(r->rcode));
	l->saw_servfail |= r->rcode == WIRE_R_SERVFAIL; /* lookup_names.c */
	query_failed_at(q, s, tcp);
	dns_step_progress(l, now);
}

void dns_reply_handle(struct dns_lookup *l, unsigned s, bool tcp,
		      const uint8_t *buf, size_t n, uint64_t now)
{
	if (n < WIRE_HDR_LEN) {
		dns_reply_drop(l, s, tcp, n == 0 ? "empty" : "short", n);
		return;
	}
	if (!(buf[2] & 0x80)) {
		dns_reply_drop(l, s, tcp, "not-response", n);
		return;
	}
	if ((buf[2] >> 3) & 0x0f) {
		dns_reply_drop(l, s, tcp, "opcode", n);
		return;
	}
	struct dns_query *q = match_id(l, s, tcp, wire_get16(buf));
	if (!q) {
		dns_reply_drop(l, s, tcp, "id", n);
		return;
	}
	struct wire_question wq = {
		.qname = dns_cur_name(l),
		.qtype = q->qtype,
		.allow_formerr_noq = q->edns,
	};
	struct wire_reply r;
	size_t max = wire_max_addrs(n);
	struct dns_addr stackbuf[WIRE_EDNS_PAYLOAD / 15 + 2];
	struct dns_addr *addrs = stackbuf;
	if (max > sizeof stackbuf / sizeof stackbuf[0]) {
		addrs = malloc(max * sizeof *addrs);
		if (!addrs) {
			dns_finish(l, EAI_MEMORY);
			return;
		}
	}
	enum wire_err e = wire_decode_reply(buf, n, &wq, &r, addrs, max);
	if (e)
		dns_reply_drop(l, s, tcp, wire_strerror(e), n);
	else
		accept_reply(l, q, s, tcp, &r, addrs, now);
	if (addrs != stackbuf)
		free(addrs);
}
