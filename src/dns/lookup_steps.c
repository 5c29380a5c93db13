/*
 * The lookup's state machine (DESIGN "Transport"): for one candidate name,
 * steps over servers and attempts as glibc's res_send loop, with its
 * per-server timers; what happens after a reply, a failure or a timeout.
 *
 *   dns_begin_name -> dns_begin_step -> [UDP sends | TCP exchange]
 *        ^                 ^                 |  reply: dns_step_progress
 *        |                 |                 |  timer: dns_on_timeout
 *        |                 +-- dns_next_step-+  (server done / failed)
 *        +---- dns_end_name <----------------+  (every query settled, or
 *                  |                             steps exhausted)
 *                  +-> dns_finish (result or error)
 */
#include <errno.h>

#include "core/trace.h"
#include "dns/lookup_priv.h"

static unsigned server_at(const struct dns_lookup *l, unsigned pos)
{
	return (l->first + pos) % l->nns;
}

/* glibc res_send.c send_dg: seconds = (retrans << ns) / nscount for every
 * server after the first (ns = position in the rotated list), at least 1.
 * It does not grow with the attempt number. */
static uint64_t slot_ns(const struct dns_lookup *l, unsigned pos)
{
	uint64_t sec = (uint64_t)l->rc->timeout << pos;
	if (pos > 0)
		sec /= l->nns;
	if (sec < 1)
		sec = 1;
	return sec * NS_PER_S;
}

uint64_t dns_name_budget(const struct dns_lookup *l)
{
	uint64_t b = 0;
	for (unsigned pos = 0; pos < l->nns; pos++)
		b += slot_ns(l, pos);
	b *= l->rc->attempts ? l->rc->attempts : 1;
	/* each server may need one TCP exchange on top */
	return b + l->nns * dns_tcp_timeout_ns(l);
}

uint64_t dns_tcp_timeout_ns(const struct dns_lookup *l)
{
	return (uint64_t)(l->rc->timeout ? l->rc->timeout : 1) * NS_PER_S;
}

static bool step_complete(const struct dns_lookup *l)
{
	for (unsigned i = 0; i < l->nq; i++) {
		const struct dns_query *q = &l->q[i];
		if (q->done)
			continue;
		if (l->tcp_mode) {
			/* over TCP, or still over UDP (not truncated) */
			if (q->in_tcp || (q->udp_out & (1u << l->srv)))
				return false;
		} else if (!q->sent_step || (q->udp_out & (1u << l->srv))) {
			return false;
		}
	}
	return true;
}

bool dns_all_done(const struct dns_lookup *l)
{
	for (unsigned i = 0; i < l->nq; i++)
		if (!l->q[i].done)
			return false;
	return true;
}

void dns_step_progress(struct dns_lookup *l, uint64_t now)
{
	if (l->done)
		return;
	if (dns_all_done(l)) {
		dns_end_name(l, now);
		return;
	}
	if (step_complete(l)) {
		dns_next_step(l, now);
		return;
	}
	if (l->tcp_mode) {
		bool unsent = false;
		for (unsigned i = 0; i < l->nq; i++)
			unsent |= !l->q[i].done && !l->q[i].sent_step;
		if (unsent) {
			/* rebuilt after an EDNS FORMERR: TCP carries it */
			dns_tcp_start(l, l->srv, NULL, now);
		} else if (!dns_tcp_pending(l)) {
			/* every TCP answer is read; the rest comes over UDP */
			dns_close_fd(&l->tcp.fd);
			l->tcp.state = TCP_IDLE;
		}
	} else {
		int rc = dns_udp_send_pending(l);
		if (rc) {
			l->saw_timeout = true;
			dns_next_step(l, now);
		}
	}
}

void dns_next_step(struct dns_lookup *l, uint64_t now)
{
	if (l->done)
		return;
	dns_close_fd(&l->tcp.fd);
	l->tcp.state = TCP_IDLE;
	l->tcp_mode = false;
	for (unsigned i = 0; i < l->nq; i++)
		l->q[i].in_tcp = false;
	l->step++;
	if (l->step < l->nsteps && trace_on())
		dns_trace_srv(l, "dns.next-server",
			      server_at(l, l->step % l->nns), "attempt",
			      l->step / l->nns ? "retry" : "first");
	dns_begin_step(l, now);
}

void dns_begin_step(struct dns_lookup *l, uint64_t now)
{
	for (; l->step < l->nsteps; l->step++) {
		if (now >= l->deadline)
			break;
		l->pos = l->step % l->nns;
		l->srv = server_at(l, l->pos);
		l->sent_parallel = false;
		l->step_sends = 0;
		for (unsigned i = 0; i < l->nq; i++) {
			l->q[i].sent_step = false;
			l->q[i].answered_here = false;
		}
		if (l->tcp_failed & (1u << l->srv))
			continue;
		if (l->opts & CONF_OPT_USE_VC) {
			/* glibc: with a virtual circuit, one attempt per
			 * server. */
			if (l->step >= l->nns)
				break;
			dns_tcp_start(l, l->srv, NULL, now);
			return; /* dns_tcp_start may itself have moved on */
		}
		l->step_deadline =
		    dns_min_u64(now + slot_ns(l, l->pos), l->deadline);
		int rc = dns_udp_send_pending(l);
		if (rc == 0 || l->done)
			return;
		if (trace_on())
			dns_trace_srv(l, "dns.unreachable", l->srv, "errno",
				      rc == -ECONNREFUSED ? "ECONNREFUSED"
							  : "other");
		l->saw_timeout = true;
	}
	l->step = l->nsteps;
	dns_end_name(l, now);
}

/* A step timer fired. */
void dns_on_timeout(struct dns_lookup *l, uint64_t now)
{
	unsigned s = l->srv, bit = 1u << s;
	if (now >= l->deadline) {
		TRACE(RFCRES_TRACE_DNS, "dns.deadline", "step=%u", l->step);
		l->saw_timeout = true;
		l->step = l->nsteps;
		dns_end_name(l, now);
		return;
	}
	if (l->tcp_mode && dns_tcp_pending(l)) {
		dns_tcp_fail(l, "timeout", now);
		return;
	}
	bool answered = false, missing = false;
	for (unsigned i = 0; i < l->nq; i++) {
		const struct dns_query *q = &l->q[i];
		answered |= q->answered_here;
		missing |= !q->done && q->sent_step && (q->udp_out & bit);
	}
	if (answered && missing && !(l->single_retry & bit)) {
		/* One reply came, the other did not: a server or firewall
		 * that drops the second of two parallel queries (glibc
		 * send_dg).  Remember it in the snapshot (a reload forgets
		 * it, seed 001) and send the missing query once more, alone,
		 * on a fresh socket if single-request-reopen or if it was
		 * already sent alone. */
		l->single_retry |= bit;
		if (l->sent_parallel) {
			atomic_fetch_or_explicit(&l->snap->learned[s],
						 CONF_LEARN_SINGLE_REQUEST,
						 memory_order_relaxed);
			if (trace_on())
				dns_trace_srv(l, "dns.learn", s, "flag",
					  "single-request");
		}
		if ((l->opts & CONF_OPT_SINGLE_REQUEST_REOPEN) ||
		    !l->sent_parallel)
			dns_udp_reopen(l, s);
		for (unsigned i = 0; i < l->nq; i++) {
			struct dns_query *q = &l->q[i];
			if (!q->done) {
				q->sent_step = false;
				q->udp_out &= ~bit;
			}
		}
		l->step_deadline =
		    dns_min_u64(now + slot_ns(l, l->pos), l->deadline);
		l->step_sends = 0;
		l->sent_parallel = false;
		if (dns_udp_send_pending(l) != 0) {
			l->saw_timeout = true;
			dns_next_step(l, now);
		}
		return;
	}
	if (trace_on())
		dns_trace_srv(l, "dns.timeout", s, "transport", "udp");
	l->saw_timeout = true;
	dns_next_step(l, now);
}
