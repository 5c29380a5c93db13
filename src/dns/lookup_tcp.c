/*
 * The TCP exchange of a lookup (RFC 7766): after a TC reply or under
 * use-vc, one non-blocking connection to the step's server, queries
 * pipelined with their 2-byte length (RFC 1035 4.2.2), replies framed
 * back; every failure moves to the next step, as glibc's send_vc.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/trace.h"
#include "dns/lookup_priv.h"

void dns_tcp_fail(struct dns_lookup *l, const char *reason, uint64_t now)
{
	if (trace_on())
		dns_trace_srv(l, "dns.tcp.fail", l->tcp.srv, "reason", reason);
	dns_close_fd(&l->tcp.fd);
	l->tcp.state = TCP_IDLE;
	l->tcp_failed |= 1u << l->tcp.srv;
	for (unsigned i = 0; i < l->nq; i++)
		l->q[i].in_tcp = false;
	/* glibc: a TCP failure moves on to the next server, never
	 * returns the truncated UDP answer. */
	l->saw_timeout = true;
	dns_next_step(l, now);
}

/* Any query waiting for its answer over TCP? */
bool dns_tcp_pending(const struct dns_lookup *l)
{
	for (unsigned i = 0; i < l->nq; i++)
		if (!l->q[i].done && l->q[i].in_tcp)
			return true;
	return false;
}

/* Appends q, with its 2-byte length (RFC 1035 4.2.2), to the connection's
 * output; queries are pipelined (RFC 7766 6.2.1.1).  Each query is on one
 * connection at most once, so the buffer holds every query of the step. */
static void tcp_take(struct dns_lookup *l, unsigned s, struct dns_query *q)
{
	struct dns_tcp *t = &l->tcp;
	q->tcp_id = dns_next_id(l);
	q->in_tcp = true;
	q->sent_step = true;
	t->out[t->olen] = (uint8_t)(q->len >> 8);
	t->out[t->olen + 1] = (uint8_t)q->len;
	memcpy(t->out + t->olen + 2, q->msg, q->len);
	wire_set_id(t->out + t->olen + 2, q->tcp_id);
	t->olen += 2 + q->len;
	if (trace_on())
		dns_trace_send(l, s, "tcp", q->tcp_id, q);
}

/* Moves the step to TCP with server s: q (the query whose UDP answer was
 * truncated, or NULL under use-vc) and every query not yet sent in this
 * step go on one connection, opened now unless it is already open.
 * Queries still outstanding over UDP stay there: only what was cut is
 * asked again (glibc send_vc re-sends both; an answer already complete,
 * or about to arrive, over UDP needs no second exchange, and closing a
 * connection with an unread reply on it makes the server see a reset). */
void dns_tcp_start(struct dns_lookup *l, unsigned s, struct dns_query *q,
		   uint64_t now)
{
	struct dns_tcp *t = &l->tcp;
	bool fresh = t->fd < 0;
	if (fresh) {
		t->srv = s;
		t->olen = t->ooff = t->hlen = t->ilen = t->need = 0;
		l->tcp_mode = true;
		l->step_deadline =
			dns_min_u64(now + dns_tcp_timeout_ns(l), l->deadline);
		if (!t->in) {
			t->in = malloc(DNS_TCP_MSG_MAX);
			if (!t->in) {
				dns_tcp_fail(l, "ENOMEM", now);
				return;
			}
		}
	}
	if (q)
		tcp_take(l, s, q);
	for (unsigned i = 0; i < l->nq; i++)
		if (!l->q[i].done && !l->q[i].sent_step)
			tcp_take(l, s, &l->q[i]);
	if (!fresh)
		return; /* the poll now asks for POLLOUT */
	const struct conf_server *ns = &l->rc->ns[s];
	t->fd = rfcres_sys.socket(ns->addr.sa.sa_family,
				  SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0) {
		if (!dns_out_of_fds(l, errno))
			dns_tcp_fail(l, "socket", now);
		return;
	}
	if (trace_on()) {
		struct tbuf b;
		trace_emit(RFCRES_TRACE_DNS, "dns.tcp.connect",
			   "server=%s timeout_ms=%llu", dns_tsrv(&b, l, s),
			   (unsigned long long)((l->step_deadline - now) /
						1000000));
	}
	/* Non-blocking: the connect is bounded by the step timer, never by
	 * the kernel's SYN retries (seed 004: 130 s). */
	if (rfcres_sys.connect(t->fd, &ns->addr.sa, ns->addrlen) == 0) {
		t->state = TCP_IO;
	} else if (errno == EINPROGRESS || errno == EINTR) {
		t->state = TCP_CONNECTING;
	} else {
		dns_tcp_fail(l, errno == ECONNREFUSED ? "refused" : "connect",
			     now);
	}
}

/* Returns false when the connection failed (and the step moved on). */
static bool tcp_write(struct dns_lookup *l, uint64_t now)
{
	struct dns_tcp *t = &l->tcp;
	while (t->ooff < t->olen) {
		ssize_t n = rfcres_sys.send(t->fd, t->out + t->ooff,
					    t->olen - t->ooff, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				return true;
			dns_tcp_fail(l, "write", now);
			return false;
		}
		t->ooff += (size_t)n;
	}
	return true;
}

static void tcp_read(struct dns_lookup *l, uint64_t now)
{
	struct dns_tcp *t = &l->tcp;
	for (unsigned it = 0; it < DNS_TCP_READS_PER_STEP; it++) {
		if (l->done || !l->tcp_mode || t->fd < 0)
			return;
		ssize_t n;
		if (t->hlen < 2)
			n = rfcres_sys.recvfrom(t->fd, t->hdr + t->hlen,
						2 - t->hlen, 0, NULL, NULL);
		else
			n = rfcres_sys.recvfrom(t->fd, t->in + t->ilen,
						t->need - t->ilen, 0, NULL,
						NULL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				return;
			dns_tcp_fail(l, errno == ECONNRESET ? "reset" : "read",
				 now);
			return;
		}
		if (n == 0) {
			dns_tcp_fail(l, "eof", now);
			return;
		}
		if (t->hlen < 2) {
			t->hlen += (size_t)n;
			if (t->hlen < 2)
				continue;
			t->need = wire_get16(t->hdr);
			t->ilen = 0;
			if (t->need == 0) {
				/* nothing sensible can follow a 0 length */
				dns_tcp_fail(l, "zero-length", now);
				return;
			}
			continue;
		}
		t->ilen += (size_t)n;
		if (t->ilen < t->need)
			continue;
		size_t len = t->ilen;
		t->hlen = t->ilen = t->need = 0;
		dns_reply_handle(l, t->srv, true, t->in, len, now);
	}
}

void dns_tcp_on_ready(struct dns_lookup *l, short revents, uint64_t now)
{
	struct dns_tcp *t = &l->tcp;
	if (t->state == TCP_CONNECTING) {
		if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
			return;
		int err = 0;
		socklen_t el = sizeof err;
		if (rfcres_sys.getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &err,
					  &el) != 0)
			err = errno;
		if (err) {
			dns_tcp_fail(
			    l, err == ECONNREFUSED ? "refused" : "connect",
			    now);
			return;
		}
		t->state = TCP_IO;
		if (trace_on())
			dns_trace_srv(l, "dns.tcp.connected", t->srv,
				      "transport", "tcp");
	}
	if (!tcp_write(l, now))
		return;
	if (revents & (POLLIN | POLLHUP | POLLERR))
		tcp_read(l, now);
}
