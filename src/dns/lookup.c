/*
 * One DNS lookup as a non-blocking state machine (see lookup.h and
 * docs/transport.md).
 *
 * A lookup walks the search candidates (glibc res_nsearch order).  For each
 * candidate name it runs "steps": step = attempt * nns + position, the
 * server of a step being the position-th one after the rotation point,
 * exactly glibc's res_send loop.  A step sends every query that has no
 * final answer yet to its server over the server's connected UDP socket
 * (both queries at once unless single-request), and ends when each query
 * got a final answer or an error RCODE from that server, when the server
 * is unreachable, or when its timer expires.  A TC reply turns the step
 * into a TCP exchange with the same server.  Replies from servers of
 * earlier steps are still accepted: their sockets stay open for the whole
 * lookup, so a slow first server still helps.
 */
#include "dns/lookup.h"

#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf/conf.h"
#include "core/sys.h"
#include "core/trace.h"
#include "dns/wire.h"

#define DNS_UDP_BUF 4096          /* we advertise 1232 (EDNS) or 512 */
#define DNS_DGRAMS_PER_STEP 64    /* junk floods cannot starve the clock */
#define DNS_TCP_READS_PER_STEP 64
#define DNS_TCP_MSG_MAX 65535
#define NS_PER_S 1000000000ull

enum q_outcome { O_NONE, O_ANSWER, O_NODATA, O_NXDOMAIN };

struct dns_query {
	uint16_t qtype;
	bool edns;
	bool done;
	bool sent_step;     /* sent to the current step's server */
	bool answered_here; /* got its final answer from that server */
	bool in_tcp;        /* outstanding on the TCP connection */
	enum q_outcome outcome;
	unsigned udp_out;   /* bit s: outstanding over UDP at server s */
	unsigned idset;     /* bit s: udp_id[s] chosen */
	uint16_t udp_id[CONF_MAXNS];
	uint16_t tcp_id;
	size_t len;
	uint8_t msg[WIRE_QUERY_MAX];
	struct dns_addr *addrs; /* addrs_inline, or malloc'd when larger */
	size_t naddrs;
	struct dns_addr addrs_inline[4]; /* a typical answer: no allocation */
	bool has_ptr;
	uint8_t canon[WIRE_NAME_MAX];
	uint8_t ptr[WIRE_NAME_MAX];
};

struct dns_cand {
	uint8_t wire[WIRE_NAME_MAX];
	bool as_is_first; /* the name as given, tried before the search list */
};

enum tcp_state { TCP_IDLE, TCP_CONNECTING, TCP_IO };

struct dns_tcp {
	int fd;
	unsigned srv;
	enum tcp_state state;
	size_t olen, ooff;
	uint8_t out[2 * (2 + WIRE_QUERY_MAX)];
	uint8_t hdr[2];
	size_t hlen;
	size_t need, ilen;
	uint8_t *in; /* DNS_TCP_MSG_MAX bytes, allocated on first use */
};

enum name_status { N_ANSWER, N_NODATA, N_NXDOMAIN, N_SERVFAIL, N_TIMEOUT };

struct dns_lookup {
	struct conf_snapshot *snap;
	const struct conf_resolv *rc;
	unsigned opts;
	bool done;
	struct dns_result res;
	uint64_t deadline;      /* the whole lookup */
	uint64_t step_deadline; /* the current step */

	/* search list walk (glibc res_nsearch) */
	unsigned ncand, cand;
	bool have_saved;        /* the as-is-first try failed ... */
	int saved_eai;          /* ... with this error (glibc saved_herrno) */
	bool got_nodata, got_servfail;
	int last_eai;

	/* servers and steps */
	unsigned nns, first;
	int udp[CONF_MAXNS];
	unsigned step, nsteps, srv, pos;
	bool tcp_mode;          /* the current step talks TCP */
	bool sent_parallel;     /* the current step sent two queries at once */
	unsigned step_sends;    /* queries sent in the current step */
	unsigned single_retry;  /* servers given the single-request retry */
	unsigned tcp_failed;    /* servers whose TCP exchange failed */
	bool saw_timeout;       /* a server timed out / was unreachable */

	unsigned nq;
	struct dns_query q[2];
	struct dns_tcp tcp;

	uint16_t ids[32];
	unsigned nids;
	unsigned drops;
	struct dns_cand cands[]; /* ncand entries */
};

static const char *qtype_str(uint16_t t)
{
	switch (t) {
	case WIRE_T_A:
		return "A";
	case WIRE_T_AAAA:
		return "AAAA";
	case WIRE_T_PTR:
		return "PTR";
	default:
		return "?";
	}
}

static const char *eai_str(int eai)
{
	switch (eai) {
	case 0:
		return "0";
	case EAI_NONAME:
		return "EAI_NONAME";
	case EAI_NODATA:
		return "EAI_NODATA";
	case EAI_AGAIN:
		return "EAI_AGAIN";
	case EAI_FAIL:
		return "EAI_FAIL";
	case EAI_MEMORY:
		return "EAI_MEMORY";
	case EAI_SYSTEM:
		return "EAI_SYSTEM";
	default:
		return "EAI_OTHER";
	}
}

static const char *rcode_str(unsigned r)
{
	static const char *const n[] = { "NOERROR", "FORMERR", "SERVFAIL",
					 "NXDOMAIN", "NOTIMP", "REFUSED" };
	return r < 6 ? n[r] : "OTHER";
}

/* ---- trace helpers (only called when tracing is on) --------------------- */

struct tbuf {
	char text[WIRE_TEXT_MAX];
	char safe[4 * WIRE_TEXT_MAX + 8];
	char addr[80];
};

static const char *tname(struct tbuf *b, const uint8_t *w)
{
	if (!wire_name_to_text(w, b->text, sizeof b->text))
		return "?";
	return trace_safe(b->text, b->safe, sizeof b->safe);
}

static const char *tsrv(struct tbuf *b, const struct dns_lookup *l,
			unsigned s)
{
	return trace_sockaddr(&l->rc->ns[s].addr.sa, b->addr, sizeof b->addr);
}

static const uint8_t *cur_name(const struct dns_lookup *l)
{
	return l->cands[l->cand].wire;
}

__attribute__((noinline)) static void trace_send(const struct dns_lookup *l,
						 unsigned s, const char *tr,
						 unsigned id,
						 const struct dns_query *q)
{
	struct tbuf b;
	trace_emit(RFCRES_TRACE_DNS, "dns.send",
		   "server=%s transport=%s id=%u qtype=%s name=%s edns=%d",
		   tsrv(&b, l, s), tr, id, qtype_str(q->qtype),
		   tname(&b, cur_name(l)), q->edns ? 1 : 0);
}

__attribute__((noinline)) static void trace_srv(const struct dns_lookup *l,
						const char *ev, unsigned s,
						const char *k, const char *v)
{
	struct tbuf b;
	trace_emit(RFCRES_TRACE_DNS, ev, "server=%s %s=%s", tsrv(&b, l, s), k,
		   v);
}

__attribute__((noinline)) static void trace_drop(const struct dns_lookup *l,
						 unsigned s, const char *tr,
						 const char *reason, size_t len)
{
	struct tbuf b;
	trace_emit(RFCRES_TRACE_DNS, "dns.drop",
		   "reason=%s server=%s transport=%s len=%zu drops=%u", reason,
		   tsrv(&b, l, s), tr, len, l->drops);
}

/* ---- small helpers -------------------------------------------------------- */

static uint16_t next_id(struct dns_lookup *l)
{
	/* One getrandom() per 32 IDs instead of one per query. */
	if (l->nids == 0) {
		sys_random(l->ids, sizeof l->ids);
		l->nids = sizeof l->ids / sizeof l->ids[0];
	}
	return l->ids[--l->nids];
}

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

static uint64_t tcp_timeout_ns(const struct dns_lookup *l)
{
	return (uint64_t)(l->rc->timeout ? l->rc->timeout : 1) * NS_PER_S;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

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

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		rfcres_sys.close(*fd);
		*fd = -1;
	}
}

static void build_msg(struct dns_lookup *l, struct dns_query *q)
{
	q->len = wire_build_query(q->msg, sizeof q->msg, 0, cur_name(l),
				  q->qtype, q->edns,
				  (l->opts & CONF_OPT_TRUST_AD) != 0);
}

/* ---- finishing ------------------------------------------------------------ */

static void finish(struct dns_lookup *l, int eai)
{
	close_fd(&l->tcp.fd);
	l->tcp.state = TCP_IDLE;
	l->res.eai = eai;
	l->done = true;
	TRACE(RFCRES_TRACE_DNS, "dns.done", "eai=%s naddrs=%zu drops=%u",
	      eai_str(eai), l->res.naddrs, l->drops);
}

/* No descriptor for a socket: the process (EMFILE) or the system (ENFILE)
 * is out of them.  Another server would fail the same way, so the lookup
 * ends with EAI_SYSTEM and that errno, as glibc's does (send_dg/send_vc
 * return the socket() errno; getaddrinfo maps NETDB_INTERNAL to
 * EAI_SYSTEM). */
static bool out_of_fds(struct dns_lookup *l, int err)
{
	if (err != EMFILE && err != ENFILE)
		return false;
	TRACE(RFCRES_TRACE_DNS, "dns.socket", "errno=%s",
	      err == EMFILE ? "EMFILE" : "ENFILE");
	l->res.sys_errno = err;
	finish(l, EAI_SYSTEM);
	return true;
}

static void build_result(struct dns_lookup *l)
{
	size_t total = 0;
	for (unsigned i = 0; i < l->nq; i++)
		if (l->q[i].outcome == O_ANSWER)
			total += l->q[i].naddrs;
	if (total) {
		l->res.addrs = malloc(total * sizeof *l->res.addrs);
		if (!l->res.addrs) {
			finish(l, EAI_MEMORY);
			return;
		}
	}
	/* q[0] is A when both are asked: A first, then AAAA. */
	const struct dns_query *canon_q = NULL;
	for (unsigned i = 0; i < l->nq; i++) {
		struct dns_query *q = &l->q[i];
		if (q->outcome != O_ANSWER)
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
		finish(l, EAI_NODATA);
		return;
	}
	finish(l, 0);
}

static void free_addrs(struct dns_query *q)
{
	if (q->addrs != q->addrs_inline)
		free(q->addrs);
	q->addrs = NULL;
}

static void reset_queries(struct dns_lookup *l)
{
	for (unsigned i = 0; i < l->nq; i++) {
		struct dns_query *q = &l->q[i];
		free_addrs(q);
		uint16_t t = q->qtype;
		memset(q, 0, sizeof *q);
		q->qtype = t;
	}
}

static void begin_name(struct dns_lookup *l, uint64_t now);
static void begin_step(struct dns_lookup *l, uint64_t now);

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
		ans |= q->outcome == O_ANSWER;
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
	return l->saw_timeout ? N_TIMEOUT : N_SERVFAIL;
}

/* The current candidate is settled: decide, like glibc res_nsearch,
 * whether to try the next one and what the final error is. */
static void end_name(struct dns_lookup *l, uint64_t now)
{
	close_fd(&l->tcp.fd);
	l->tcp.state = TCP_IDLE;
	l->tcp_mode = false;
	enum name_status st = name_status(l);
	if (trace_on()) {
		struct tbuf b;
		static const char *const sn[] = { "answer", "nodata", "nxdomain",
						  "servfail", "timeout" };
		trace_emit(RFCRES_TRACE_DNS, "dns.name", "name=%s status=%s",
			   tname(&b, cur_name(l)), sn[st]);
	}
	if (st == N_ANSWER) {
		for (unsigned i = 0; i < l->nq; i++)
			if (!l->q[i].done)
				TRACE(RFCRES_TRACE_DNS, "dns.partial",
				      "qtype=%s reason=no-answer",
				      qtype_str(l->q[i].qtype));
		build_result(l);
		return;
	}
	int eai = status_eai(st);
	if (st == N_TIMEOUT) {
		/* No server answered this name: another suffix would only
		 * wait the same way (glibc also stops the search here). */
		finish(l, EAI_AGAIN);
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
		begin_name(l, now);
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
	finish(l, eai);
}

/* ---- UDP ------------------------------------------------------------------ */

static int ensure_udp(struct dns_lookup *l, unsigned s)
{
	if (l->udp[s] >= 0)
		return 0;
	const struct conf_server *ns = &l->rc->ns[s];
	int fd = rfcres_sys.socket(ns->addr.sa.sa_family,
				   SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		int e = errno;
		out_of_fds(l, e); /* ends the lookup; callers check l->done */
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
	return 0;
}

static void reopen_udp(struct dns_lookup *l, unsigned s)
{
	close_fd(&l->udp[s]);
	for (unsigned i = 0; i < l->nq; i++)
		l->q[i].udp_out &= ~(1u << s);
	if (trace_on())
		trace_srv(l, "dns.reopen", s, "reason", "single-request");
}

/* Gives q its ID for server s (kept for the whole candidate, so a late
 * reply to a retransmission still matches) and traces the send. */
static void udp_stamp(struct dns_lookup *l, struct dns_query *q, unsigned s)
{
	if (!(q->idset & (1u << s))) {
		q->udp_id[s] = next_id(l);
		q->idset |= 1u << s;
	}
	wire_set_id(q->msg, q->udp_id[s]);
	if (trace_on())
		trace_send(l, s, "udp", q->udp_id[s], q);
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

static bool all_done(const struct dns_lookup *l)
{
	for (unsigned i = 0; i < l->nq; i++)
		if (!l->q[i].done)
			return false;
	return true;
}

/* Sends what the current step still has to send.  Parallel: every
 * unanswered query at once.  Single-request: the next one only when
 * nothing is outstanding at this server; with single-request-reopen the
 * socket is replaced between the two (glibc send_dg). */
static int send_pending(struct dns_lookup *l)
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
			reopen_udp(l, s);
		return send_udp(l, q, s);
	}
	return 0;
}

/* ---- TCP ------------------------------------------------------------------ */

static void next_step(struct dns_lookup *l, uint64_t now);

static void tcp_fail(struct dns_lookup *l, const char *reason, uint64_t now)
{
	if (trace_on())
		trace_srv(l, "dns.tcp.fail", l->tcp.srv, "reason", reason);
	close_fd(&l->tcp.fd);
	l->tcp.state = TCP_IDLE;
	l->tcp_failed |= 1u << l->tcp.srv;
	for (unsigned i = 0; i < l->nq; i++)
		l->q[i].in_tcp = false;
	/* glibc: a TCP failure moves on to the next server, never
	 * returns the truncated UDP answer. */
	l->saw_timeout = true;
	next_step(l, now);
}

/* Any query waiting for its answer over TCP? */
static bool tcp_pending(const struct dns_lookup *l)
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
	q->tcp_id = next_id(l);
	q->in_tcp = true;
	q->sent_step = true;
	t->out[t->olen] = (uint8_t)(q->len >> 8);
	t->out[t->olen + 1] = (uint8_t)q->len;
	memcpy(t->out + t->olen + 2, q->msg, q->len);
	wire_set_id(t->out + t->olen + 2, q->tcp_id);
	t->olen += 2 + q->len;
	if (trace_on())
		trace_send(l, s, "tcp", q->tcp_id, q);
}

/* Moves the step to TCP with server s: q (the query whose UDP answer was
 * truncated, or NULL under use-vc) and every query not yet sent in this
 * step go on one connection, opened now unless it is already open.
 * Queries still outstanding over UDP stay there: only what was cut is
 * asked again (glibc send_vc re-sends both; an answer already complete,
 * or about to arrive, over UDP needs no second exchange, and closing a
 * connection with an unread reply on it makes the server see a reset). */
static void start_tcp(struct dns_lookup *l, unsigned s, struct dns_query *q,
		      uint64_t now)
{
	struct dns_tcp *t = &l->tcp;
	bool fresh = t->fd < 0;
	if (fresh) {
		t->srv = s;
		t->olen = t->ooff = t->hlen = t->ilen = t->need = 0;
		l->tcp_mode = true;
		l->step_deadline =
			min_u64(now + tcp_timeout_ns(l), l->deadline);
		if (!t->in) {
			t->in = malloc(DNS_TCP_MSG_MAX);
			if (!t->in) {
				tcp_fail(l, "ENOMEM", now);
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
		if (!out_of_fds(l, errno))
			tcp_fail(l, "socket", now);
		return;
	}
	if (trace_on()) {
		struct tbuf b;
		trace_emit(RFCRES_TRACE_DNS, "dns.tcp.connect",
			   "server=%s timeout_ms=%llu", tsrv(&b, l, s),
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
		tcp_fail(l, errno == ECONNREFUSED ? "refused" : "connect", now);
	}
}

static void handle_msg(struct dns_lookup *l, unsigned s, bool tcp,
		       const uint8_t *buf, size_t n, uint64_t now);

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
			tcp_fail(l, "write", now);
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
			tcp_fail(l, errno == ECONNRESET ? "reset" : "read",
				 now);
			return;
		}
		if (n == 0) {
			tcp_fail(l, "eof", now);
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
				tcp_fail(l, "zero-length", now);
				return;
			}
			continue;
		}
		t->ilen += (size_t)n;
		if (t->ilen < t->need)
			continue;
		size_t len = t->ilen;
		t->hlen = t->ilen = t->need = 0;
		handle_msg(l, t->srv, true, t->in, len, now);
	}
}

static void on_tcp(struct dns_lookup *l, short revents, uint64_t now)
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
			tcp_fail(l, err == ECONNREFUSED ? "refused" : "connect",
				 now);
			return;
		}
		t->state = TCP_IO;
		if (trace_on())
			trace_srv(l, "dns.tcp.connected", t->srv, "transport",
				  "tcp");
	}
	if (!tcp_write(l, now))
		return;
	if (revents & (POLLIN | POLLHUP | POLLERR))
		tcp_read(l, now);
}

/* ---- replies -------------------------------------------------------------- */

static void step_progress(struct dns_lookup *l, uint64_t now)
{
	if (l->done)
		return;
	if (all_done(l)) {
		end_name(l, now);
		return;
	}
	if (step_complete(l)) {
		next_step(l, now);
		return;
	}
	if (l->tcp_mode) {
		bool unsent = false;
		for (unsigned i = 0; i < l->nq; i++)
			unsent |= !l->q[i].done && !l->q[i].sent_step;
		if (unsent) {
			/* rebuilt after an EDNS FORMERR: TCP carries it */
			start_tcp(l, l->srv, NULL, now);
		} else if (!tcp_pending(l)) {
			/* every TCP answer is read; the rest comes over UDP */
			close_fd(&l->tcp.fd);
			l->tcp.state = TCP_IDLE;
		}
	} else {
		int rc = send_pending(l);
		if (rc) {
			l->saw_timeout = true;
			next_step(l, now);
		}
	}
}

static void drop(struct dns_lookup *l, unsigned s, bool tcp,
		 const char *reason, size_t len)
{
	l->drops++;
	if (trace_on())
		trace_drop(l, s, tcp ? "tcp" : "udp", reason, len);
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
			   tsrv(&b, l, s), tcp ? "tcp" : "udp", r->id,
			   qtype_str(q->qtype), rcode_str(r->rcode), r->tc,
			   r->aa, r->naddrs, r->cname_hops);
	}
	if (r->tc) {
		if (tcp) {
			/* a message cut even over TCP is never complete */
			tcp_fail(l, "tc-over-tcp", now);
			return;
		}
		/* this UDP exchange is over either way */
		query_failed_at(q, s, false);
		if (s != l->srv || (l->tcp_failed & (1u << s))) {
			/* stale server, or its TCP already failed */
			step_progress(l, now);
			return;
		}
		if (trace_on())
			trace_srv(l, "dns.tc", s, "qtype", qtype_str(q->qtype));
		start_tcp(l, s, q, now);
		return;
	}
	if (r->rcode == WIRE_R_FORMERR && q->edns && !tcp) {
		/* RFC 6891 7: a FORMERR to an OPT query means no EDNS here;
		 * remember it in the snapshot and ask again without. */
		atomic_fetch_or_explicit(&l->snap->learned[s],
					 CONF_LEARN_NO_EDNS,
					 memory_order_relaxed);
		if (trace_on())
			trace_srv(l, "dns.learn", s, "flag", "no-edns");
		for (unsigned i = 0; i < l->nq; i++) {
			struct dns_query *o = &l->q[i];
			if (o->done || !o->edns)
				continue;
			o->edns = false;
			build_msg(l, o);
			/* fresh IDs: replies to the EDNS queries are stale */
			o->idset &= ~(1u << s);
			o->udp_out &= ~(1u << s);
			if (s == l->srv && o->sent_step) {
				o->sent_step = false;
				l->step_sends--;
			}
		}
		step_progress(l, now);
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
					finish(l, EAI_MEMORY);
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
		step_progress(l, now);
		return;
	}
	/* SERVFAIL, REFUSED, NOTIMP, FORMERR without EDNS ...: this server
	 * cannot answer; the next one may (glibc send_dg next_ns). */
	if (trace_on())
		trace_srv(l, "dns.rcode", s, "rcode", rcode_str(r->rcode));
	query_failed_at(q, s, tcp);
	step_progress(l, now);
}

static void handle_msg(struct dns_lookup *l, unsigned s, bool tcp,
		       const uint8_t *buf, size_t n, uint64_t now)
{
	if (n < WIRE_HDR_LEN) {
		drop(l, s, tcp, n == 0 ? "empty" : "short", n);
		return;
	}
	if (!(buf[2] & 0x80)) {
		drop(l, s, tcp, "not-response", n);
		return;
	}
	if ((buf[2] >> 3) & 0x0f) {
		drop(l, s, tcp, "opcode", n);
		return;
	}
	struct dns_query *q = match_id(l, s, tcp, wire_get16(buf));
	if (!q) {
		drop(l, s, tcp, "id", n);
		return;
	}
	struct wire_question wq = {
		.qname = cur_name(l),
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
			finish(l, EAI_MEMORY);
			return;
		}
	}
	enum wire_err e = wire_decode_reply(buf, n, &wq, &r, addrs, max);
	if (e)
		drop(l, s, tcp, wire_strerror(e), n);
	else
		accept_reply(l, q, s, tcp, &r, addrs, now);
	if (addrs != stackbuf)
		free(addrs);
}

/* Reads what server s's socket holds, two datagrams per recvmmsg() (the A
 * and the AAAA answer usually arrive together); each is checked exactly as
 * before: size, source address and port, then ID, QR, opcode and question
 * in handle_msg. */
static void on_udp(struct dns_lookup *l, unsigned s, uint64_t now)
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
				trace_srv(l, "dns.unreachable", s, "errno",
					  errno == ECONNREFUSED ? "ECONNREFUSED"
								: "other");
			for (unsigned i = 0; i < l->nq; i++)
				l->q[i].udp_out &= ~(1u << s);
			if (s == l->srv && !l->tcp_mode) {
				l->saw_timeout = true;
				next_step(l, now);
			} else if (s == l->srv) {
				l->saw_timeout = true;
				step_progress(l, now);
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
				drop(l, s, false, "oversized", n);
				continue;
			}
			if (!sa_equal(&from[k], mv[k].msg_hdr.msg_namelen,
				      &l->rc->ns[s])) {
				drop(l, s, false, "source", n);
				continue;
			}
			handle_msg(l, s, false, buf[k], n, now);
		}
		if (r < 2)
			return; /* the socket is empty now */
	}
}

/* ---- steps ---------------------------------------------------------------- */

static void next_step(struct dns_lookup *l, uint64_t now)
{
	if (l->done)
		return;
	close_fd(&l->tcp.fd);
	l->tcp.state = TCP_IDLE;
	l->tcp_mode = false;
	for (unsigned i = 0; i < l->nq; i++)
		l->q[i].in_tcp = false;
	l->step++;
	if (l->step < l->nsteps && trace_on())
		trace_srv(l, "dns.next-server", server_at(l, l->step % l->nns),
			  "attempt", l->step / l->nns ? "retry" : "first");
	begin_step(l, now);
}

static void begin_step(struct dns_lookup *l, uint64_t now)
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
			start_tcp(l, l->srv, NULL, now);
			return; /* start_tcp may itself have moved on */
		}
		l->step_deadline = min_u64(now + slot_ns(l, l->pos), l->deadline);
		int rc = send_pending(l);
		if (rc == 0 || l->done)
			return;
		if (trace_on())
			trace_srv(l, "dns.unreachable", l->srv, "errno",
				  rc == -ECONNREFUSED ? "ECONNREFUSED" : "other");
		l->saw_timeout = true;
	}
	l->step = l->nsteps;
	end_name(l, now);
}

static void begin_name(struct dns_lookup *l, uint64_t now)
{
	reset_queries(l);
	l->step = 0;
	l->single_retry = 0;
	l->tcp_failed = 0;
	l->saw_timeout = false;
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
		build_msg(l, q);
	}
	if (trace_on()) {
		struct tbuf b;
		trace_emit(RFCRES_TRACE_DNS, "dns.search",
			   "name=%s index=%u of=%u", tname(&b, cur_name(l)),
			   l->cand, l->ncand);
	}
	begin_step(l, now);
}

/* A step timer fired. */
static void on_timeout(struct dns_lookup *l, uint64_t now)
{
	unsigned s = l->srv, bit = 1u << s;
	if (now >= l->deadline) {
		TRACE(RFCRES_TRACE_DNS, "dns.deadline", "step=%u", l->step);
		l->saw_timeout = true;
		l->step = l->nsteps;
		end_name(l, now);
		return;
	}
	if (l->tcp_mode && tcp_pending(l)) {
		tcp_fail(l, "timeout", now);
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
				trace_srv(l, "dns.learn", s, "flag",
					  "single-request");
		}
		if ((l->opts & CONF_OPT_SINGLE_REQUEST_REOPEN) ||
		    !l->sent_parallel)
			reopen_udp(l, s);
		for (unsigned i = 0; i < l->nq; i++) {
			struct dns_query *q = &l->q[i];
			if (!q->done) {
				q->sent_step = false;
				q->udp_out &= ~bit;
			}
		}
		l->step_deadline = min_u64(now + slot_ns(l, l->pos), l->deadline);
		l->step_sends = 0;
		l->sent_parallel = false;
		if (send_pending(l) != 0) {
			l->saw_timeout = true;
			next_step(l, now);
		}
		return;
	}
	if (trace_on())
		trace_srv(l, "dns.timeout", s, "transport", "udp");
	l->saw_timeout = true;
	next_step(l, now);
}

/* ---- search candidates (glibc res_nsearch order) ------------------------- */

static void add_cand(struct dns_lookup *l, const uint8_t *w, size_t wl,
		     bool as_is_first)
{
	struct dns_cand *c = &l->cands[l->ncand++];
	memcpy(c->wire, w, wl);
	c->as_is_first = as_is_first;
}

static enum wire_err build_cands(struct dns_lookup *l, const char *name,
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

/* ---- public API ----------------------------------------------------------- */

static uint64_t name_budget(const struct dns_lookup *l)
{
	uint64_t b = 0;
	for (unsigned pos = 0; pos < l->nns; pos++)
		b += slot_ns(l, pos);
	b *= l->rc->attempts ? l->rc->attempts : 1;
	/* each server may need one TCP exchange on top */
	return b + l->nns * tcp_timeout_ns(l);
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
		if ((want & DNS_WANT_AAAA) && (l->opts & CONF_OPT_NO_AAAA))
			TRACE(RFCRES_TRACE_DNS, "dns.no-aaaa",
			      "reason=options-no-aaaa");
		else if (want & DNS_WANT_AAAA)
			l->q[l->nq++].qtype = WIRE_T_AAAA;
	}
	if (l->nq == 0) {
		finish(l, EAI_NODATA);
		return l;
	}
	if (l->nns == 0) {
		finish(l, EAI_AGAIN);
		return l;
	}
	enum wire_err e = build_cands(l, name, (want & DNS_WANT_PTR) != 0);
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
		finish(l, EAI_NONAME);
		return l;
	}
	if (l->ncand == 0) {
		TRACE(RFCRES_TRACE_DNS, "dns.search.none",
		      "reason=no-tld-query");
		finish(l, EAI_NONAME);
		return l;
	}
	if (l->opts & CONF_OPT_ROTATE)
		l->first = atomic_fetch_add_explicit(&snap->rotate_next, 1,
						     memory_order_relaxed) %
			   l->nns;
	l->deadline = now + l->ncand * name_budget(l);
	begin_name(l, now);
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
			on_tcp(l, fds[i].revents, now_ns);
			continue;
		}
		for (unsigned s = 0; s < l->nns; s++)
			if (l->udp[s] == fds[i].fd) {
				on_udp(l, s, now_ns);
				break;
			}
	}
	if (!l->done && now_ns >= l->step_deadline)
		on_timeout(l, now_ns);
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
		close_fd(&l->udp[s]);
	close_fd(&l->tcp.fd);
	free(l->tcp.in);
	for (unsigned i = 0; i < l->nq; i++)
		free_addrs(&l->q[i]);
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
				finish(l, EAI_AGAIN);
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
