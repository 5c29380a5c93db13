/*
 * The UDP exchange of a lookup: one connected socket per server for the
 * whole lookup (a fresh kernel-chosen port, RFC 5452 9.2), parallel or
 * single-request sends, and reads checked for size and source before
 * lookup_reply.c judges them.  Under a forged-reply flood (flood.h, RFC
 * 5452 9.3) the exchange with that server is abandoned for TCP.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "core/trace.h"
#include "dns/lookup_priv.h"

static bool single_mode(const struct dns_lookup *l, unsigned s)
{
	return (l->opts & (CONF_OPT_SINGLE_REQUEST |
			   CONF_OPT_SINGLE_REQUEST_REOPEN)) ||
	       (atomic_load_explicit(&l->snap->learned[s],
				     memory_order_relaxed) &
		CONF_LEARN_SINGLE_REQUEST);
}

static bool sa_equal(const struct sockaddr_storage *a, socklen_t alen,
		     const struct conf_server *ns)
{
	if (a->ss_family != ns->addr.sa.sa_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a;
		return alen >= sizeof *x &&
		       x->sin_port == ns->addr.sin.sin_port &&
		       x->sin_addr.s_addr == ns->addr.sin.sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a;
		return alen >= sizeof *x &&
		       x->sin6_port == ns->addr.sin6.sin6_port &&
		       memcmp(&x->sin6_addr, &ns->addr.sin6.sin6_addr, 16) == 0;
	}
	return false;
}

static int ensure_udp(struct dns_lookup *l, unsigned s)
{
	if (l->udp[s] >= 0)
		return 0;
	const struct conf_server *ns = &l->rc->ns[s];
	int fd = rfcres_sys.socket(ns->addr.sa.sa_family,
				   SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		int e = errno;
		/* ends the lookup; callers check l->done */
		dns_out_of_fds(l, e);
		return -e;
	}
	/* A connected socket: the kernel picks a random port, filters
	 * datagrams from other peers and reports ICMP port unreachable as
	 * ECONNREFUSED (glibc res_send.c reopen does the same). */
	if (rfcres_sys.connect(fd, &ns->addr.sa, ns->addrlen) != 0) {
		int e = errno;
		rfcres_sys.close(fd);
		return -e;
	}
	l->udp[s] = fd;
	dns_flood_reset(&l->flood[s]);
	return 0;
}

void dns_udp_reopen(struct dns_lookup *l, unsigned s)
{
	dns_close_fd(&l->udp[s]);
	for (unsigned i = 0; i < l->nq; i++)
		l->q[i].udp_out &= ~(1u << s);
	if (trace_on())
		dns_trace_srv(l, "dns.reopen", s, "reason", "single-request");
}

/* Gives q its ID for server s (kept for the whole candidate, so a late
 * reply to a retransmission still matches) and traces the send. */
static void udp_stamp(struct dns_lookup *l, struct dns_query *q, unsigned s)
{
	if (!(q->idset & (1u << s))) {
		q->udp_id[s] = dns_next_id(l);
		q->idset |= 1u << s;
	}
	wire_set_id(q->msg, q->udp_id[s]);
	if (trace_on())
		dns_trace_send(l, s, "udp", q->udp_id[s], q);
}

static void udp_sent(struct dns_lookup *l, struct dns_query *q, unsigned s)
{
	q->udp_out |= 1u << s;
	q->sent_step = true;
	l->step_sends++;
}

/* send() of the stamped q on server s's socket.  0, or -errno when the
 * server cannot be reached at all (the step then ends). */
static int udp_write(struct dns_lookup *l, struct dns_query *q, unsigned s)
{
	ssize_t n = rfcres_sys.send(l->udp[s], q->msg, q->len, MSG_NOSIGNAL);
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != ENOBUFS && errno != EINTR)
		return -errno;
	/* a full socket buffer loses the datagram like the network would */
	udp_sent(l, q, s);
	return 0;
}

/* Sends q to server s over UDP: 0 or -errno as udp_write. */
static int send_udp(struct dns_lookup *l, struct dns_query *q, unsigned s)
{
	int rc = ensure_udp(l, s);
	if (rc)
		return rc;
	udp_stamp(l, q, s);
	return udp_write(l, q, s);
}

/* Parallel mode: every pending query in one sendmmsg() (as glibc's send_dg
 * sends A and AAAA).  Whatever it did not send -- a single query, no
 * sendmmsg in the kernel, or an error after the first datagram -- is sent
 * with send() one by one under send_udp's rules, so errors mean what they
 * mean there.  The number of queries sent goes to *sent. */
static int send_udp_all(struct dns_lookup *l, unsigned s, unsigned *sent)
{
	struct dns_query *qs[2];
	struct iovec iov[2];
	struct mmsghdr mv[2];
	unsigned n = 0;
	*sent = 0;
	int rc = ensure_udp(l, s);
	if (rc)
		return rc;
	for (unsigned i = 0; i < l->nq && n < 2; i++) {
		struct dns_query *q = &l->q[i];
		if (q->done || q->sent_step)
			continue;
		udp_stamp(l, q, s);
		qs[n] = q;
		sys_mmsg_slot(&mv[n], &iov[n], q->msg, q->len, NULL, 0);
		n++;
	}
	int r = n > 1 ? sys_sendmmsg(l->udp[s], mv, n, MSG_NOSIGNAL) : 0;
	unsigned k = r > 0 ? (unsigned)r : 0;
	for (unsigned i = 0; i < k; i++)
		udp_sent(l, qs[i], s);
	for (unsigned i = k; i < n; i++) {
		rc = udp_write(l, qs[i], s);
		if (rc)
			return rc;
	}
	*sent = n;
	return 0;
}

/* Sends what the current step still has to send.  Parallel: every
 * unanswered query at once.  Single-request: the next one only when
 * nothing is outstanding at this server; with single-request-reopen the
 * socket is replaced between the two (glibc send_dg). */
int dns_udp_send_pending(struct dns_lookup *l)
{
	unsigned s = l->srv, bit = 1u << s;
	bool single = single_mode(l, s);
	if (single) {
		for (unsigned i = 0; i < l->nq; i++)
			if (!l->q[i].done && l->q[i].sent_step &&
			    (l->q[i].udp_out & bit))
				return 0;
	}
	if (!single) {
		unsigned sent;
		int rc = send_udp_all(l, s, &sent);
		if (sent > 1)
			l->sent_parallel = true;
		return rc;
	}
	for (unsigned i = 0; i < l->nq; i++) {
		struct dns_query *q = &l->q[i];
		if (q->done || q->sent_step)
			continue;
		if (l->step_sends > 0 &&
		    (l->opts & CONF_OPT_SINGLE_REQUEST_REOPEN))
			dns_udp_reopen(l, s);
		return send_udp(l, q, s);
	}
	return 0;
}

/* Reads what server s's socket holds, two datagrams per recvmmsg() (the A
 * and the AAAA answer usually arrive together); each is checked exactly as
 * before: size, source address and port, then ID, QR, opcode and question
 * in dns_reply_handle.  Stops at the flood threshold: no more guesses. */
static void udp_read_round(struct dns_lookup *l, unsigned s, uint64_t now)
{
	uint8_t buf[2][DNS_UDP_BUF];
	struct sockaddr_storage from[2];
	struct iovec iov[2];
	struct mmsghdr mv[2];
	unsigned it = 0;
	while (it < DNS_DGRAMS_PER_STEP) {
		if (l->done || l->udp[s] < 0)
			return;
		unsigned want = 0;
		for (unsigned i = 0; i < l->nq; i++)
			want += !l->q[i].done && (l->q[i].udp_out & (1u << s));
		if (!want)
			return; /* nothing to wait for: skip the EAGAIN read */
		int fd = l->udp[s];
		for (unsigned k = 0; k < 2; k++)
			sys_mmsg_slot(&mv[k], &iov[k], buf[k], sizeof buf[k],
				      &from[k], sizeof from[k]);
		/* MSG_TRUNC: msg_len is the datagram's real length */
		int r = sys_recvmmsg(fd, mv, want > 1 ? 2 : 1,
				     MSG_TRUNC | MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				return;
			/* ICMP port unreachable on the connected socket */
			if (trace_on())
				dns_trace_srv(l, "dns.unreachable", s, "errno",
					  errno == ECONNREFUSED ? "ECONNREFUSED"
								: "other");
			for (unsigned i = 0; i < l->nq; i++)
				l->q[i].udp_out &= ~(1u << s);
			if (s == l->srv && !l->tcp_mode) {
				l->saw_timeout = true;
				dns_next_step(l, now);
			} else if (s == l->srv) {
				l->saw_timeout = true;
				dns_step_progress(l, now);
			}
			return;
		}
		for (int k = 0; k < r; k++, it++) {
			/* the first may have ended the lookup or replaced the
			 * socket: the rest is not ours to judge any more */
			if (l->done || l->udp[s] != fd)
				return;
			size_t n = mv[k].msg_len;
			if (n > sizeof buf[k]) {
				dns_reply_drop(l, s, false, "oversized", n);
				continue;
			}
			if (!sa_equal(&from[k], mv[k].msg_hdr.msg_namelen,
				      &l->rc->ns[s])) {
				dns_reply_drop(l, s, false, "source", n);
				continue;
			}
			dns_reply_handle(l, s, false, buf[k], n, now);
			if (l->flood[s].drops >= DNS_FLOOD_THRESHOLD)
				return;
		}
		if (r < 2)
			return; /* the socket is empty now */
	}
}

/* RFC 5452 9.3: server s's socket is flooded (flood.h).  Its UDP exchange
 * is abandoned -- the socket closed, so no late datagram that happens to
 * match is believed, its junk costs nothing more, and a later name gets a
 * fresh port -- and the questions still without an answer go to the same
 * server over TCP (sequence numbers: an off-path forger cannot inject, and
 * the kernel cannot drop stream bytes), bounded like every TCP exchange;
 * if that fails, the next server, as after any TCP failure.  (The current
 * step's server never has a failed TCP: dns_begin_step skips those.)  A
 * flood at the server of an earlier step only ends that server's part. */
static void udp_flooded(struct dns_lookup *l, unsigned s,
			enum dns_flood_sign sign, uint64_t now)
{
	bool current = s == l->srv;
	if (trace_on()) {
		struct tbuf b;
		trace_emit(RFCRES_TRACE_DNS, "dns.flood",
			   "server=%s reason=%s drops=%u kernel_drops=%u "
			   "fallback=%s",
			   dns_tsrv(&b, l, s), dns_flood_sign_str(sign),
			   l->flood[s].drops, l->flood[s].kernel_drops,
			   current ? "tcp" : "none");
	}
	dns_close_fd(&l->udp[s]);
	dns_flood_reset(&l->flood[s]);
	for (unsigned i = 0; i < l->nq; i++)
		l->q[i].udp_out &= ~(1u << s);
	if (!current)
		return;
	/* every unanswered question not on the connection yet */
	for (unsigned i = 0; i < l->nq; i++)
		if (!l->q[i].done && !l->q[i].in_tcp)
			l->q[i].sent_step = false;
	dns_tcp_start(l, s, NULL, now);
}

void dns_udp_on_readable(struct dns_lookup *l, unsigned s, uint64_t now)
{
	int fd = l->udp[s];
	udp_read_round(l, s, now);
	if (l->done || fd < 0 || l->udp[s] != fd)
		return;
	enum dns_flood_sign sign = dns_flood_judge(&l->flood[s], fd);
	if (sign != DNS_FLOOD_NONE)
		udp_flooded(l, s, sign, now);
}
