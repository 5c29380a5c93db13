/*
 * fakedns server: sockets, the libevent loop thread, transport-level
 * faults, counters, and the public API of fakedns.h.
 *
 * Threading: libevent objects are touched only by the loop thread (and by
 * fakedns_start/fakedns_stop before the thread runs / after it joined), so
 * libevent needs no evthread locking.  Zone, behaviours and counters live
 * under fd->lock; API calls that change what the loop must do at socket
 * level (the global tcp-refused closes the TCP listener) poke the loop
 * through a pipe and wait until it has acted, so a test that sets a
 * behaviour and then connects sees the new state.
 */
#include "fakedns.h"
#include "fd_answer.h"
#include "fd_flood.h"
#include "fd_wire.h"
#include "fd_zone.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#define FD_MSG_MAX 65535u
#define FD_LOG_SIZE 4096u
#define FD_MAX_CONNS 1024u	/* concurrent TCP connections */
#define FD_MAX_PENDING 65536u	/* delayed answers in flight */
#define FD_UDP_BURST 64		/* datagrams per readable event */
#define FD_JUNK_MAX 64u
#define FD_BIND_TRIES 32
#define FD_SYNC_WAIT_S 5

struct fd_listen {
	struct fakedns *fd;
	struct sockaddr_storage addr;	/* bound address, port included */
	socklen_t alen;
	int udp;			/* -1 when not listening on UDP */
	int udp_other;			/* second socket: other-port */
	struct event *udp_ev;
	struct evconnlistener *lev;	/* NULL while TCP is refused */
};

struct fd_conn {
	struct fakedns *fd;
	struct fd_conn *prev, *next;
	struct bufferevent *bev;
	struct evbuffer *drip;		/* bytes still to trickle out */
	struct event *drip_ev;
	struct sockaddr_storage peer;
	socklen_t plen;
	unsigned pending;		/* delayed answers for this conn */
	int close_when_flushed;		/* tcp-close-mid */
	int eof;			/* client closed its side */
};

struct fd_pending {
	struct fakedns *fd;
	struct fd_pending *prev, *next;
	struct event *ev;
	struct fd_listen *l;
	struct fd_conn *conn;		/* NULL for UDP */
	struct sockaddr_storage peer;
	socklen_t plen;
	int hold;			/* a-only-parallel hold for peer */
	uint16_t qid;
	struct fdz_behav b;
	size_t len;
	uint8_t msg[];
};

struct fd_logent {
	uint64_t h;
	uint16_t qtype;
	uint16_t id;		/* as received: what the client chose */
	uint16_t port;		/* client source port */
	uint8_t tcp;
};

struct fakedns {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct fdz_zone zone;
	struct fakedns_counters cnt;
	struct fd_logent *qlog;
	unsigned long nlog;
	unsigned long req_gen, done_gen;
	unsigned flags;

	/* loop thread only */
	struct event_base *base;
	struct event *notify_ev;
	int notify[2];
	pthread_t thread;
	int thread_started;
	struct fd_listen ls[FAKEDNS_MAX_LISTEN];
	int nls;
	struct fd_conn *conns;
	unsigned nconns;
	struct fd_pending *pend;
	unsigned npend;
	struct fdf_stream *floods;	/* endless floods (fd_flood.c) */
	uint8_t rbuf[FD_MSG_MAX + 1];
	uint8_t obuf[FD_MSG_MAX + 2];
	uint8_t jbuf[FDW_HDR + 16];
};

/* ---- small helpers ------------------------------------------------------ */

static uint64_t name_hash(const char *s)
{
	uint64_t h = 14695981039346656037ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static int same_peer(const struct sockaddr_storage *a, socklen_t al,
		     const struct sockaddr_storage *b, socklen_t bl)
{
	return al == bl && memcmp(a, b, al) == 0;
}

static const char *type_str(unsigned t, char *buf, size_t n)
{
	switch (t) {
	case FDW_T_A:
		return "A";
	case FDW_T_AAAA:
		return "AAAA";
	case FDW_T_CNAME:
		return "CNAME";
	case FDW_T_PTR:
		return "PTR";
	case FDW_T_ANY:
		return "ANY";
	}
	snprintf(buf, n, "TYPE%u", t);
	return buf;
}

static void sa_str(const struct sockaddr_storage *ss, char *buf, size_t n)
{
	char a[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		port = ntohs(s4->sin_port);
		snprintf(buf, n, "%s:%u", a, port);
	} else {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		port = ntohs(s6->sin6_port);
		snprintf(buf, n, "[%s]:%u", a, port);
	}
}

static unsigned short sa_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)(const void *)ss)->sin6_port);
}

static void sa_set_port(struct sockaddr_storage *ss, unsigned short port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)(void *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)(void *)ss)->sin6_port = htons(port);
}

/* "127.0.0.1", "127.0.0.1:53", "::1", "[::1]:53" */
static int parse_listen(const char *s, struct sockaddr_storage *ss,
			socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port = NULL, *colon = strrchr(s, ':');
	struct sockaddr_in *s4 = (void *)ss;
	struct sockaddr_in6 *s6 = (void *)ss;
	size_t hl;
	char *end;
	unsigned long p = 0;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || (rb[1] != '\0' && rb[1] != ':'))
			return -1;
		hl = (size_t)(rb - s - 1);
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		if (rb[1] == ':')
			port = rb + 2;
	} else if (colon && strchr(s, ':') == colon) {
		hl = (size_t)(colon - s);
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, s, hl);
		host[hl] = '\0';
		port = colon + 1;
	} else {
		if (strlen(s) >= sizeof(host))
			return -1;
		strcpy(host, s);
	}
	if (port) {
		errno = 0;
		p = strtoul(port, &end, 10);
		if (errno || *port == '\0' || *end != '\0' || p > 65535)
			return -1;
	}
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((unsigned short)p);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((unsigned short)p);
		*len = sizeof(*s6);
		return 0;
	}
	return -1;
}

static void count_sent(struct fakedns *fd, int tcp)
{
	pthread_mutex_lock(&fd->lock);
	if (tcp)
		fd->cnt.tcp_sent++;
	else
		fd->cnt.udp_sent++;
	pthread_mutex_unlock(&fd->lock);
}

/* ---- TCP connections ------------------------------------------------------ */

static void pending_free(struct fd_pending *p);

static void conn_free(struct fd_conn *c)
{
	struct fakedns *fd = c->fd;
	struct fd_pending *p, *nx;

	for (p = fd->pend; p; p = nx) {
		nx = p->next;
		if (p->conn == c)
			pending_free(p);
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		fd->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	fd->nconns--;
	if (c->drip_ev)
		event_free(c->drip_ev);
	if (c->drip)
		evbuffer_free(c->drip);
	bufferevent_free(c->bev);
	free(c);
}

/* RST instead of FIN: SO_LINGER with a zero timeout (tcp-refused per name,
 * where the name is known only after the connection was accepted). */
static void conn_reset(struct fd_conn *c)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	evutil_socket_t s = bufferevent_getfd(c->bev);

	if (s >= 0)
		setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	conn_free(c);
}

static int conn_idle(const struct fd_conn *c)
{
	return c->pending == 0 && (!c->drip || !evbuffer_get_length(c->drip)) &&
	       evbuffer_get_length(bufferevent_get_output(c->bev)) == 0;
}

/* After the client half-closed, answer what is queued, then close. */
static int conn_maybe_close(struct fd_conn *c)
{
	if (c->eof && conn_idle(c)) {
		conn_free(c);
		return 1;
	}
	return 0;
}

static void drip_cb(evutil_socket_t s, short what, void *arg)
{
	struct fd_conn *c = arg;
	uint8_t byte;

	(void)s;
	(void)what;
	if (evbuffer_remove(c->drip, &byte, 1) == 1)
		bufferevent_write(c->bev, &byte, 1);
	if (evbuffer_get_length(c->drip) == 0)
		event_del(c->drip_ev);
}

static void conn_drip(struct fd_conn *c, const uint8_t *d, size_t n,
		      unsigned ms)
{
	struct timeval tv = { .tv_sec = ms / 1000,
			      .tv_usec = (suseconds_t)(ms % 1000) * 1000 };

	if (!c->drip)
		c->drip = evbuffer_new();
	if (!c->drip_ev)
		c->drip_ev = event_new(c->fd->base, -1, EV_PERSIST, drip_cb, c);
	if (!c->drip || !c->drip_ev)
		return;
	evbuffer_add(c->drip, d, n);
	if (!event_pending(c->drip_ev, EV_TIMEOUT, NULL))
		event_add(c->drip_ev, &tv);
}

static void conn_write(void *conn, const void *d, size_t n)
{
	bufferevent_write(((struct fd_conn *)conn)->bev, d, n);
}

/* Frame and write one answer; the TCP faults live here.  Returns 1 if
 * the connection is gone. */
static int tcp_deliver(struct fd_conn *c, const struct fdz_behav *b,
		       const uint8_t *msg, size_t len)
{
	uint8_t pre[2] = { (uint8_t)(len >> 8), (uint8_t)len };

	count_sent(c->fd, 1);
	if (fdz_has(b, FAKEDNS_TCP_LEN0)) {
		static const uint8_t zero[2] = { 0, 0 };

		bufferevent_write(c->bev, zero, 2);
		return 0;
	}
	if (fdz_has(b, FAKEDNS_TCP_LEN65535)) {
		pre[0] = pre[1] = 0xff;
	} else if (fdz_has(b, FAKEDNS_TCP_CLOSE_MID)) {
		bufferevent_write(c->bev, pre, 2);
		bufferevent_write(c->bev, msg, len / 2);
		c->close_when_flushed = 1;
		bufferevent_disable(c->bev, EV_READ);
		return 0;
	} else if (fdz_has(b, FAKEDNS_TCP_DRIP)) {
		unsigned ms = b->arg[FAKEDNS_TCP_DRIP] ?
			      b->arg[FAKEDNS_TCP_DRIP] : 100;

		conn_drip(c, pre, 2, ms);
		conn_drip(c, msg, len, ms);
		return 0;
	}
	if (fdz_has(b, FAKEDNS_TCP_JUNK))
		fdf_tcp_junk(b, conn_write, c, msg, len);
	bufferevent_write(c->bev, pre, 2);
	bufferevent_write(c->bev, msg, len);
	return 0;
}

/* ---- UDP ---------------------------------------------------------------- */

static void udp_send(struct fakedns *fd, int s, const struct sockaddr_storage *peer,
		     socklen_t plen, const void *msg, size_t len)
{
	/* Counted first: a test that has the answer must see it counted.
	 * Best effort, like a real server: a full socket buffer drops. */
	count_sent(fd, 0);
	if (sendto(s, msg, len, MSG_NOSIGNAL, (const struct sockaddr *)peer,
		   plen) < 0) {
		pthread_mutex_lock(&fd->lock);
		fd->cnt.udp_sent--;
		pthread_mutex_unlock(&fd->lock);
	}
}

/* Junk a correct client must reject: too short, wrong ID, or QR=0. */
static size_t junk(struct fakedns *fd, unsigned i, uint16_t qid)
{
	uint8_t *j = fd->jbuf;

	memset(j, 0, sizeof(fd->jbuf));
	switch (i % 3) {
	case 0:
		memcpy(j, "\xde\xad\xbe\xef\x00\x01\x02", 7);
		return 7;
	case 1:
		j[0] = (uint8_t)((qid + 1 + i) >> 8);
		j[1] = (uint8_t)(qid + 1 + i);
		j[2] = 0x81;	/* QR, RD */
		j[3] = 0x80;	/* RA */
		return FDW_HDR;
	default:
		j[0] = (uint8_t)(qid >> 8);
		j[1] = (uint8_t)qid;
		j[2] = 0x01;	/* QR clear: a query, not an answer */
		return FDW_HDR;
	}
}

/* fd_flood.c sends its datagrams through here (counted like any). */
static void flood_send(void *arg, const struct sockaddr_storage *peer,
		       socklen_t plen, int other_port, const void *msg,
		       size_t len)
{
	struct fd_listen *l = arg;
	int s = other_port && l->udp_other >= 0 ? l->udp_other : l->udp;

	udp_send(l->fd, s, peer, plen, msg, len);
}

static void udp_deliver(struct fakedns *fd, struct fd_listen *l,
			const struct sockaddr_storage *peer, socklen_t plen,
			const struct fdz_behav *b, uint16_t qid,
			const uint8_t *msg, size_t len)
{
	int s = fdz_has(b, FAKEDNS_OTHER_PORT) && l->udp_other >= 0 ?
		l->udp_other : l->udp;
	unsigned i, n;

	if (fdz_has(b, FAKEDNS_EMPTY_FIRST))
		udp_send(fd, s, peer, plen, "", 0);
	if (fdz_has(b, FAKEDNS_JUNK_FIRST)) {
		n = b->arg[FAKEDNS_JUNK_FIRST] ? b->arg[FAKEDNS_JUNK_FIRST] : 1;
		if (n > FD_JUNK_MAX)
			n = FD_JUNK_MAX;
		for (i = 0; i < n; i++)
			udp_send(fd, s, peer, plen, fd->jbuf, junk(fd, i, qid));
	}
	if (fdz_has(b, FAKEDNS_FLOOD) &&
	    fdf_udp_flood(&fd->floods, fd->base, b, flood_send, l, peer, plen,
			  s != l->udp, msg, len))
		return;	/* the flood sends the answer after its junk */
	udp_send(fd, s, peer, plen, msg, len);
}

/* ---- delayed answers ------------------------------------------------------ */

static void pending_free(struct fd_pending *p)
{
	struct fakedns *fd = p->fd;

	if (p->prev)
		p->prev->next = p->next;
	else
		fd->pend = p->next;
	if (p->next)
		p->next->prev = p->prev;
	if (p->conn)
		p->conn->pending--;
	fd->npend--;
	event_free(p->ev);
	free(p);
}

static void pending_cb(evutil_socket_t s, short what, void *arg)
{
	struct fd_pending *p = arg;
	struct fd_conn *c = p->conn;

	(void)s;
	(void)what;
	if (c) {
		tcp_deliver(c, &p->b, p->msg, p->len);
		pending_free(p);
		conn_maybe_close(c);
		return;
	}
	udp_deliver(p->fd, p->l, &p->peer, p->plen, &p->b, p->qid, p->msg,
		    p->len);
	pending_free(p);
}

static int held(struct fakedns *fd, struct fd_listen *l,
		const struct sockaddr_storage *peer, socklen_t plen)
{
	struct fd_pending *p;

	for (p = fd->pend; p; p = p->next)
		if (p->hold && p->l == l && same_peer(&p->peer, p->plen, peer, plen))
			return 1;
	return 0;
}

static int schedule(struct fakedns *fd, struct fd_listen *l, struct fd_conn *c,
		    const struct sockaddr_storage *peer, socklen_t plen,
		    const struct fdz_behav *b, uint16_t qid, unsigned ms,
		    int hold, size_t len)
{
	struct timeval tv = { .tv_sec = ms / 1000,
			      .tv_usec = (suseconds_t)(ms % 1000) * 1000 };
	struct fd_pending *p;

	if (fd->npend >= FD_MAX_PENDING)
		return -1;
	p = calloc(1, sizeof(*p) + len);
	if (!p)
		return -1;
	p->ev = evtimer_new(fd->base, pending_cb, p);
	if (!p->ev) {
		free(p);
		return -1;
	}
	p->fd = fd;
	p->l = l;
	p->conn = c;
	if (peer)
		memcpy(&p->peer, peer, plen);
	p->plen = plen;
	p->hold = hold;
	p->qid = qid;
	p->b = *b;
	p->len = len;
	memcpy(p->msg, fd->obuf, len);
	p->next = fd->pend;
	if (fd->pend)
		fd->pend->prev = p;
	fd->pend = p;
	fd->npend++;
	if (c)
		c->pending++;
	evtimer_add(p->ev, &tv);
	return 0;
}

/* ---- the query path ------------------------------------------------------- */

static void count_query(struct fakedns *fd, const struct fdw_query *q, int tcp,
			const struct sockaddr_storage *peer)
{
	struct fakedns_counters *k = &fd->cnt;
	struct fd_logent *e = &fd->qlog[fd->nlog++ % FD_LOG_SIZE];

	k->queries++;
	if (tcp)
		k->tcp_queries++;
	else
		k->udp_queries++;
	if (q->edns)
		k->edns_queries++;
	switch (q->qtype) {
	case FDW_T_A:
		k->q_a++;
		break;
	case FDW_T_AAAA:
		k->q_aaaa++;
		break;
	case FDW_T_CNAME:
		k->q_cname++;
		break;
	case FDW_T_PTR:
		k->q_ptr++;
		break;
	default:
		k->q_other++;
	}
	e->h = name_hash(q->qname);
	e->qtype = q->qtype;
	e->id = q->id;
	e->port = sa_port(peer);
	e->tcp = (uint8_t)tcp;
}

enum action { ACT_ANSWER, ACT_DROP, ACT_RESET };

/* Which faults make us not answer at all. */
static enum action decide(const struct fdw_query *q, const struct fdz_behav *b,
			  int tcp)
{
	if (fdz_has(b, FAKEDNS_DROP_ALL))
		return ACT_DROP;
	if (fdz_has(b, FAKEDNS_DROP_AAAA) && q->qtype == FDW_T_AAAA)
		return ACT_DROP;
	if (tcp && fdz_has(b, FAKEDNS_TCP_REFUSED))
		return ACT_RESET;
	if (tcp && fdz_has(b, FAKEDNS_TCP_SILENT))
		return ACT_DROP;
	return ACT_ANSWER;
}

static void log_query(struct fakedns *fd, int tcp,
		      const struct sockaddr_storage *peer,
		      const struct fdw_query *q, const char *what,
		      const struct fda_info *info)
{
	char p[INET6_ADDRSTRLEN + 10], t[16];

	if (!(fd->flags & FAKEDNS_LOG))
		return;
	sa_str(peer, p, sizeof(p));
	if (info)
		fprintf(stderr, "fakedns: %s %s %s %s%s -> rcode=%d an=%u%s%s\n",
			tcp ? "tcp" : "udp", p, type_str(q->qtype, t, sizeof(t)),
			q->qname[0] ? q->qname : ".", q->edns ? " +edns" : "",
			info->rcode, info->ancount, info->tc ? " TC" : "", what);
	else
		fprintf(stderr, "fakedns: %s %s %s %s -> %s\n",
			tcp ? "tcp" : "udp", p, type_str(q->qtype, t, sizeof(t)),
			q->qname[0] ? q->qname : ".", what);
}

/* Malformed input: FORMERR/NOTIMP with the header only, or silence. */
static int reject(struct fakedns *fd, struct fd_listen *l, struct fd_conn *c,
		  const struct sockaddr_storage *peer, socklen_t plen,
		  const uint8_t *msg, size_t n, enum fdw_verdict v)
{
	static const struct fdz_behav none;
	size_t len;

	pthread_mutex_lock(&fd->lock);
	fd->cnt.malformed++;
	pthread_mutex_unlock(&fd->lock);
	if (fd->flags & FAKEDNS_LOG)
		fprintf(stderr, "fakedns: %s malformed query (%zu bytes)\n",
			c ? "tcp" : "udp", n);
	if (v == FDW_DROP)
		return 0;
	len = fda_error(msg, n, v == FDW_NOTIMP ? FDW_R_NOTIMP : FDW_R_FORMERR,
			fd->obuf, sizeof(fd->obuf));
	if (len == 0)
		return 0;
	if (c)
		return tcp_deliver(c, &none, fd->obuf, len);
	udp_deliver(fd, l, peer, plen, &none, 0, fd->obuf, len);
	return 0;
}

/* One query in, zero or more messages out.  Returns 1 if c was freed. */
static int handle(struct fakedns *fd, struct fd_listen *l, struct fd_conn *c,
		  const struct sockaddr_storage *peer, socklen_t plen,
		  const uint8_t *msg, size_t n)
{
	struct fdw_query q;
	struct fdz_behav b;
	struct fda_info info;
	enum fdw_verdict v = fdw_parse_query(msg, n, &q);
	enum action act;
	size_t len = 0;
	unsigned delay;
	int tcp = c != NULL, hold = 0;

	if (v != FDW_OK)
		return reject(fd, l, c, peer, plen, msg, n, v);
	pthread_mutex_lock(&fd->lock);
	count_query(fd, &q, tcp, peer);
	fdz_effective(&fd->zone, fdz_find(&fd->zone, q.qname), &b);
	act = decide(&q, &b, tcp);
	if (act == ACT_ANSWER)
		len = fda_build(&fd->zone, &q, &b, tcp, fd->obuf, FD_MSG_MAX,
				&info);
	if (act != ACT_ANSWER || len == 0)
		fd->cnt.dropped++;
	else if (!tcp && info.tc)
		fd->cnt.truncated++;
	pthread_mutex_unlock(&fd->lock);

	if (act == ACT_RESET) {
		log_query(fd, tcp, peer, &q, "reset", NULL);
		conn_reset(c);
		return 1;
	}
	if (act == ACT_DROP || len == 0) {
		log_query(fd, tcp, peer, &q, "dropped", NULL);
		return 0;
	}
	if (!tcp && fdz_has(&b, FAKEDNS_OVERSIZED)) {
		size_t want = b.arg[FAKEDNS_OVERSIZED] ?
			      b.arg[FAKEDNS_OVERSIZED] : 4096;

		if (want > FD_MSG_MAX)
			want = FD_MSG_MAX;
		if (want > len) {
			memset(fd->obuf + len, 0, want - len);
			len = want;
		}
	}
	delay = fdz_has(&b, FAKEDNS_DELAY) ? b.arg[FAKEDNS_DELAY] : 0;
	if (!tcp && fdz_has(&b, FAKEDNS_A_ONLY_PARALLEL)) {
		/* The second of two queries racing on one socket is lost
		 * (conntrack race, glibc "single-request" case): hold the
		 * first answer for a window and drop what arrives meanwhile. */
		if (held(fd, l, peer, plen)) {
			pthread_mutex_lock(&fd->lock);
			fd->cnt.dropped++;
			pthread_mutex_unlock(&fd->lock);
			log_query(fd, tcp, peer, &q, "dropped (parallel)", NULL);
			return 0;
		}
		hold = 1;
		delay += b.arg[FAKEDNS_A_ONLY_PARALLEL] ?
			 b.arg[FAKEDNS_A_ONLY_PARALLEL] : 50;
	}
	if (tcp && fdz_has(&b, FAKEDNS_TCP_OTHER_ANSWER))
		fdf_other_answer(fd->obuf, len);
	log_query(fd, tcp, peer, &q, delay ? " (delayed)" : "", &info);
	if (delay || hold) {
		if (schedule(fd, l, c, peer, plen, &b, q.id, delay, hold, len) == 0)
			return 0;
	}
	if (tcp)
		return tcp_deliver(c, &b, fd->obuf, len);
	udp_deliver(fd, l, peer, plen, &b, q.id, fd->obuf, len);
	return 0;
}

static void udp_cb(evutil_socket_t s, short what, void *arg)
{
	struct fd_listen *l = arg;
	struct fakedns *fd = l->fd;
	int i;

	(void)what;
	for (i = 0; i < FD_UDP_BURST; i++) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		ssize_t n = recvfrom(s, fd->rbuf, sizeof(fd->rbuf), MSG_TRUNC,
				     (struct sockaddr *)&peer, &plen);

		if (n < 0)
			return;	/* EAGAIN, or an ICMP error: nothing to do */
		if ((size_t)n > FD_MSG_MAX)
			n = FD_MSG_MAX;	/* MSG_TRUNC reports the real size */
		handle(fd, l, NULL, &peer, plen, fd->rbuf, (size_t)n);
	}
}

static void conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct fd_conn *c = arg;
	struct fakedns *fd = c->fd;
	struct evbuffer *in = bufferevent_get_input(bev);

	/* RFC 1035 §4.2.2 framing; RFC 7766 §6.2.1: pipelined queries. */
	while (!c->close_when_flushed) {
		size_t avail = evbuffer_get_length(in), mlen;
		uint8_t pre[2];

		if (avail < 2 || evbuffer_copyout(in, pre, 2) != 2)
			return;
		mlen = ((size_t)pre[0] << 8) | pre[1];
		if (avail < 2 + mlen)
			return;
		evbuffer_drain(in, 2);
		if (evbuffer_remove(in, fd->rbuf, mlen) != (int)mlen)
			return;
		if (handle(fd, NULL, c, &c->peer, c->plen, fd->rbuf, mlen))
			return;
	}
}

static void conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct fd_conn *c = arg;

	(void)bev;
	if (c->close_when_flushed && (!c->drip || !evbuffer_get_length(c->drip))) {
		conn_free(c);
		return;
	}
	conn_maybe_close(c);
}

static void conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct fd_conn *c = arg;

	(void)bev;
	if (what & BEV_EVENT_ERROR) {
		conn_free(c);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		c->eof = 1;
		bufferevent_disable(c->bev, EV_READ);
		conn_maybe_close(c);
	}
}

static void accept_cb(struct evconnlistener *lev, evutil_socket_t s,
		      struct sockaddr *sa, int salen, void *arg)
{
	struct fakedns *fd = arg;
	struct fd_conn *c;

	(void)lev;
	pthread_mutex_lock(&fd->lock);
	fd->cnt.tcp_connections++;
	pthread_mutex_unlock(&fd->lock);
	if (fd->nconns >= FD_MAX_CONNS || !(c = calloc(1, sizeof(*c)))) {
		evutil_closesocket(s);
		return;
	}
	c->fd = fd;
	c->bev = bufferevent_socket_new(fd->base, s, BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev) {
		evutil_closesocket(s);
		free(c);
		return;
	}
	if ((size_t)salen <= sizeof(c->peer)) {
		memcpy(&c->peer, sa, (size_t)salen);
		c->plen = (socklen_t)salen;
	}
	c->next = fd->conns;
	if (fd->conns)
		fd->conns->prev = c;
	fd->conns = c;
	fd->nconns++;
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* ---- sockets ---------------------------------------------------------------- */

static int sock_bind(const struct sockaddr_storage *ss, socklen_t len, int type)
{
	int one = 1;
	int s = socket(ss->ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (s < 0)
		return -1;
	/* Let 0.0.0.0 and :: listeners coexist on one port. */
	if (ss->ss_family == AF_INET6)
		setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (type == SOCK_STREAM)
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (const struct sockaddr *)ss, len) < 0 ||
	    (type == SOCK_STREAM && listen(s, 128) < 0)) {
		int e = errno;

		close(s);
		errno = e;
		return -1;
	}
	return s;
}

static int tcp_open(struct fakedns *fd, struct fd_listen *l, int s)
{
	unsigned fl = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC;

	if (s < 0)
		s = sock_bind(&l->addr, l->alen, SOCK_STREAM);
	if (s < 0)
		return -1;
	l->lev = evconnlistener_new(fd->base, accept_cb, fd, fl, 0, s);
	if (!l->lev) {
		close(s);
		return -1;
	}
	return 0;
}

/* Bind UDP and TCP of one listener on one port.  With port 0 the kernel
 * picks the UDP port and we retry if TCP happens to hold it elsewhere. */
static int bind_pair(struct fakedns *fd, struct fd_listen *l, int *tcp_s)
{
	int want_udp = !(fd->flags & FAKEDNS_NO_UDP);
	int want_tcp = !(fd->flags & FAKEDNS_NO_TCP);
	unsigned short port = sa_port(&l->addr);
	int i;

	for (i = 0; i < FD_BIND_TRIES; i++) {
		struct sockaddr_storage ss = l->addr;
		socklen_t sl = sizeof(ss);
		int first = want_udp ? SOCK_DGRAM : SOCK_STREAM;
		int s1 = sock_bind(&ss, l->alen, first), s2 = -1;

		if (s1 < 0)
			return -1;
		if (getsockname(s1, (struct sockaddr *)&ss, &sl) < 0) {
			close(s1);
			return -1;
		}
		if (want_udp && want_tcp) {
			s2 = sock_bind(&ss, l->alen, SOCK_STREAM);
			if (s2 < 0) {
				close(s1);
				if (port != 0 || errno != EADDRINUSE)
					return -1;
				continue;
			}
		}
		l->addr = ss;
		l->udp = want_udp ? s1 : -1;
		*tcp_s = want_udp ? s2 : s1;
		return 0;
	}
	errno = EADDRINUSE;
	return -1;
}

static int open_listener(struct fakedns *fd, struct fd_listen *l,
			 unsigned short reuse_port)
{
	struct sockaddr_storage other = l->addr;
	int tcp_s = -1;

	if (reuse_port && sa_port(&l->addr) == 0) {
		sa_set_port(&l->addr, reuse_port);
		if (bind_pair(fd, l, &tcp_s) == 0)
			goto bound;
		sa_set_port(&l->addr, 0);
	}
	if (bind_pair(fd, l, &tcp_s) < 0)
		return -1;
bound:
	if (l->udp >= 0) {
		sa_set_port(&other, 0);
		l->udp_other = sock_bind(&other, l->alen, SOCK_DGRAM);
		l->udp_ev = event_new(fd->base, l->udp, EV_READ | EV_PERSIST,
				      udp_cb, l);
		if (l->udp_other < 0 || !l->udp_ev || event_add(l->udp_ev, NULL) < 0) {
			if (tcp_s >= 0)
				close(tcp_s);
			return -1;
		}
	}
	if (tcp_s >= 0 && tcp_open(fd, l, tcp_s) < 0)
		return -1;
	return 0;
}

/* Global tcp-refused: no listening socket, so the kernel answers SYN
 * with RST (ECONNREFUSED).  Re-bind the same port when it is lifted. */
static void apply_listeners(struct fakedns *fd)
{
	int refused, i;

	pthread_mutex_lock(&fd->lock);
	refused = fdz_has(&fd->zone.global, FAKEDNS_TCP_REFUSED);
	pthread_mutex_unlock(&fd->lock);
	for (i = 0; i < fd->nls; i++) {
		struct fd_listen *l = &fd->ls[i];

		if (fd->flags & FAKEDNS_NO_TCP)
			continue;
		if (refused && l->lev) {
			evconnlistener_free(l->lev);
			l->lev = NULL;
		} else if (!refused && !l->lev && tcp_open(fd, l, -1) < 0) {
			char a[INET6_ADDRSTRLEN + 10];

			sa_str(&l->addr, a, sizeof(a));
			fprintf(stderr, "fakedns: cannot re-open TCP %s: %s\n",
				a, strerror(errno));
		}
	}
}

static void notify_cb(evutil_socket_t s, short what, void *arg)
{
	struct fakedns *fd = arg;
	char buf[64];
	unsigned long gen;
	ssize_t n, i;

	(void)what;
	while ((n = read(s, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++) {
			if (buf[i] == 'q') {
				event_base_loopbreak(fd->base);
				return;
			}
		}
	}
	pthread_mutex_lock(&fd->lock);
	gen = fd->req_gen;
	pthread_mutex_unlock(&fd->lock);
	apply_listeners(fd);
	pthread_mutex_lock(&fd->lock);
	fd->done_gen = gen;
	pthread_cond_broadcast(&fd->cond);
	pthread_mutex_unlock(&fd->lock);
}

/* Make the loop thread apply socket-level state, and wait until it did. */
static void sync_loop(struct fakedns *fd)
{
	struct timespec ts;
	unsigned long gen;
	ssize_t w;

	pthread_mutex_lock(&fd->lock);
	gen = ++fd->req_gen;
	pthread_mutex_unlock(&fd->lock);
	do
		w = write(fd->notify[1], "s", 1);
	while (w < 0 && errno == EINTR);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += FD_SYNC_WAIT_S;
	pthread_mutex_lock(&fd->lock);
	while (fd->done_gen < gen)
		if (pthread_cond_timedwait(&fd->cond, &fd->lock, &ts) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&fd->lock);
}

static void *loop_main(void *arg)
{
	struct fakedns *fd = arg;
	sigset_t all;

	/* Signals belong to the embedding program; SIGPIPE from a client
	 * that closed early must not kill the test process. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	event_base_dispatch(fd->base);
	return NULL;
}

/* ---- lifecycle ------------------------------------------------------------ */

static void teardown(struct fakedns *fd)
{
	int i;

	while (fd->pend)
		pending_free(fd->pend);
	fdf_streams_free(&fd->floods, NULL);
	while (fd->conns)
		conn_free(fd->conns);
	for (i = 0; i < FAKEDNS_MAX_LISTEN; i++) {
		struct fd_listen *l = &fd->ls[i];

		if (l->udp_ev)
			event_free(l->udp_ev);
		if (l->lev)
			evconnlistener_free(l->lev);
		if (l->udp >= 0)
			close(l->udp);
		if (l->udp_other >= 0)
			close(l->udp_other);
	}
	if (fd->notify_ev)
		event_free(fd->notify_ev);
	if (fd->base)
		event_base_free(fd->base);
	for (i = 0; i < 2; i++)
		if (fd->notify[i] >= 0)
			close(fd->notify[i]);
	fdz_free(&fd->zone);
	free(fd->qlog);
	pthread_cond_destroy(&fd->cond);
	pthread_mutex_destroy(&fd->lock);
	free(fd);
}

static struct fakedns *alloc_server(unsigned flags)
{
	struct fakedns *fd = calloc(1, sizeof(*fd));
	int i;

	if (!fd)
		return NULL;
	pthread_mutex_init(&fd->lock, NULL);
	pthread_cond_init(&fd->cond, NULL);
	fd->flags = flags;
	fd->notify[0] = fd->notify[1] = -1;
	for (i = 0; i < FAKEDNS_MAX_LISTEN; i++)
		fd->ls[i].udp = fd->ls[i].udp_other = -1;
	fd->qlog = calloc(FD_LOG_SIZE, sizeof(*fd->qlog));
	if (!fd->qlog || fdz_init(&fd->zone) < 0) {
		free(fd->qlog);
		free(fd);
		return NULL;
	}
	return fd;
}

static int setup(struct fakedns *fd, const struct fakedns_opts *o)
{
	static const char *const dflt = "127.0.0.1:0";
	unsigned short first_port = 0;
	char err[256];
	int i;

	if ((fd->flags & FAKEDNS_NO_UDP) && (fd->flags & FAKEDNS_NO_TCP))
		return errno = EINVAL, -1;
	if (o && o->zone_file &&
	    fdz_load_file(&fd->zone, o->zone_file, err, sizeof(err)) < 0) {
		fprintf(stderr, "fakedns: %s: %s\n", o->zone_file, err);
		return errno = EINVAL, -1;
	}
	fd->base = event_base_new();
	if (!fd->base || pipe2(fd->notify, O_NONBLOCK | O_CLOEXEC) < 0)
		return -1;
	fd->notify_ev = event_new(fd->base, fd->notify[0], EV_READ | EV_PERSIST,
				  notify_cb, fd);
	if (!fd->notify_ev || event_add(fd->notify_ev, NULL) < 0)
		return -1;
	for (i = 0; i < FAKEDNS_MAX_LISTEN; i++) {
		const char *spec = o ? o->listen[i] : NULL;
		struct fd_listen *l = &fd->ls[fd->nls];

		if (!spec && (i > 0 || (o && (o->listen[1] || o->listen[2] ||
					      o->listen[3]))))
			continue;
		if (!spec)
			spec = dflt;
		l->fd = fd;
		if (parse_listen(spec, &l->addr, &l->alen) < 0) {
			fprintf(stderr, "fakedns: bad listen address '%s'\n", spec);
			return errno = EINVAL, -1;
		}
		fd->nls++;
		if (open_listener(fd, l, first_port) < 0) {
			fprintf(stderr, "fakedns: cannot listen on %s: %s\n", spec,
				strerror(errno));
			return -1;
		}
		if (!first_port)
			first_port = sa_port(&l->addr);
	}
	apply_listeners(fd);
	return 0;
}

struct fakedns *fakedns_start(const struct fakedns_opts *o)
{
	struct fakedns *fd = alloc_server(o ? o->flags : 0);
	int e;

	if (!fd)
		return NULL;
	if (setup(fd, o) < 0)
		goto fail;
	errno = pthread_create(&fd->thread, NULL, loop_main, fd);
	if (errno)
		goto fail;
	fd->thread_started = 1;
	return fd;
fail:
	e = errno ? errno : EINVAL;
	teardown(fd);
	errno = e;
	return NULL;
}

void fakedns_stop(struct fakedns *fd)
{
	ssize_t w;

	if (!fd)
		return;
	if (fd->thread_started) {
		do
			w = write(fd->notify[1], "q", 1);
		while (w < 0 && errno == EINTR);
		pthread_join(fd->thread, NULL);
	}
	teardown(fd);
}

/* ---- API: addresses --------------------------------------------------------- */

int fakedns_listen_count(const struct fakedns *fd)
{
	return fd ? fd->nls : 0;
}

unsigned short fakedns_port_n(const struct fakedns *fd, int i)
{
	if (!fd || i < 0 || i >= fd->nls)
		return 0;
	return sa_port(&fd->ls[i].addr);
}

unsigned short fakedns_port(const struct fakedns *fd)
{
	return fakedns_port_n(fd, 0);
}

char *fakedns_listen_str(const struct fakedns *fd, int i, char *buf, size_t n)
{
	if (n == 0)
		return buf;
	buf[0] = '\0';
	if (fd && i >= 0 && i < fd->nls)
		sa_str(&fd->ls[i].addr, buf, n);
	return buf;
}

int fakedns_write_resolv_conf(const struct fakedns *fd, const char *path,
			      const char *extra)
{
	FILE *f = fopen(path, "we");
	char a[INET6_ADDRSTRLEN + 10];
	int i, rc;

	if (!f)
		return -1;
	for (i = 0; i < fd->nls; i++)
		fprintf(f, "nameserver %s\n",
			fakedns_listen_str(fd, i, a, sizeof(a)));
	if (extra)
		fputs(extra, f);
	rc = ferror(f) ? -1 : 0;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

/* ---- API: zone and behaviours ------------------------------------------------ */

int fakedns_load_zone(struct fakedns *fd, const char *path)
{
	char err[256];
	int rc;

	pthread_mutex_lock(&fd->lock);
	rc = fdz_load_file(&fd->zone, path, err, sizeof(err));
	pthread_mutex_unlock(&fd->lock);
	if (rc < 0)
		fprintf(stderr, "fakedns: %s: %s\n", path, err);
	sync_loop(fd);
	return rc;
}

int fakedns_load_zone_text(struct fakedns *fd, const char *text)
{
	char err[256];
	int rc;

	pthread_mutex_lock(&fd->lock);
	rc = fdz_load_text(&fd->zone, text, err, sizeof(err));
	pthread_mutex_unlock(&fd->lock);
	if (rc < 0)
		fprintf(stderr, "fakedns: zone text: %s\n", err);
	sync_loop(fd);
	return rc;
}

#define LOCKED(fd, expr)                                 \
	do {                                             \
		pthread_mutex_lock(&(fd)->lock);         \
		rc = (expr);                             \
		pthread_mutex_unlock(&(fd)->lock);       \
	} while (0)

int fakedns_add_a(struct fakedns *fd, const char *name, const char *addr)
{
	int rc;

	LOCKED(fd, fdz_add_a(&fd->zone, name, addr, 0));
	return rc;
}

int fakedns_add_aaaa(struct fakedns *fd, const char *name, const char *addr)
{
	int rc;

	LOCKED(fd, fdz_add_aaaa(&fd->zone, name, addr, 0));
	return rc;
}

int fakedns_add_a_range(struct fakedns *fd, const char *name,
			const char *first, unsigned count)
{
	int rc;

	if (count == 0)
		return errno = EINVAL, -1;
	LOCKED(fd, fdz_add_a(&fd->zone, name, first, count));
	return rc;
}

int fakedns_add_aaaa_range(struct fakedns *fd, const char *name,
			   const char *first, unsigned count)
{
	int rc;

	if (count == 0)
		return errno = EINVAL, -1;
	LOCKED(fd, fdz_add_aaaa(&fd->zone, name, first, count));
	return rc;
}

int fakedns_add_cname(struct fakedns *fd, const char *name, const char *target)
{
	int rc;

	LOCKED(fd, fdz_add_cname(&fd->zone, name, target));
	return rc;
}

int fakedns_add_ptr(struct fakedns *fd, const char *name, const char *target)
{
	int rc;

	LOCKED(fd, fdz_add_ptr(&fd->zone, name, target));
	return rc;
}

int fakedns_remove(struct fakedns *fd, const char *name)
{
	int rc;

	LOCKED(fd, fdz_remove(&fd->zone, name));
	return rc;
}

void fakedns_clear_zone(struct fakedns *fd)
{
	pthread_mutex_lock(&fd->lock);
	fdz_clear(&fd->zone);
	pthread_mutex_unlock(&fd->lock);
	sync_loop(fd);
}

size_t fakedns_record_count(struct fakedns *fd, const char *name, int qtype)
{
	size_t n;

	pthread_mutex_lock(&fd->lock);
	n = fdz_count(&fd->zone, name, qtype);
	pthread_mutex_unlock(&fd->lock);
	return n;
}

int fakedns_set(struct fakedns *fd, const char *name, enum fakedns_kind k,
		unsigned arg)
{
	int rc;

	LOCKED(fd, fdz_set(&fd->zone, name, k, arg));
	sync_loop(fd);
	return rc;
}

int fakedns_unset(struct fakedns *fd, const char *name, enum fakedns_kind k)
{
	int rc;

	LOCKED(fd, fdz_unset(&fd->zone, name, k));
	sync_loop(fd);
	return rc;
}

int fakedns_clear(struct fakedns *fd, const char *name)
{
	int rc;

	LOCKED(fd, fdz_clear_behav(&fd->zone, name));
	sync_loop(fd);
	return rc;
}

int fakedns_behave(struct fakedns *fd, const char *name, const char *spec)
{
	enum fakedns_kind k;
	unsigned arg;

	if (fdz_parse_behav(spec, &k, &arg) < 0)
		return errno = EINVAL, -1;
	return fakedns_set(fd, name, k, arg);
}

const char *fakedns_kind_name(enum fakedns_kind k)
{
	return fdz_kind_name(k);
}

/* ---- API: counters ---------------------------------------------------------- */

void fakedns_counters(struct fakedns *fd, struct fakedns_counters *out)
{
	pthread_mutex_lock(&fd->lock);
	*out = fd->cnt;
	pthread_mutex_unlock(&fd->lock);
}

void fakedns_reset_counters(struct fakedns *fd)
{
	pthread_mutex_lock(&fd->lock);
	memset(&fd->cnt, 0, sizeof(fd->cnt));
	fd->nlog = 0;
	pthread_mutex_unlock(&fd->lock);
}

static unsigned long log_count(struct fakedns *fd, const char *name, int qtype,
			       int tcp_only)
{
	char c[FDW_NAME_MAX];
	unsigned long n = 0, i, last;
	uint64_t h;

	if (fdw_canon(name, c, sizeof(c)) < 0)
		return 0;
	h = name_hash(c);
	pthread_mutex_lock(&fd->lock);
	last = fd->nlog < FD_LOG_SIZE ? fd->nlog : FD_LOG_SIZE;
	for (i = 0; i < last; i++) {
		const struct fd_logent *e = &fd->qlog[i];

		if (e->h == h && (qtype == 0 || e->qtype == qtype) &&
		    (!tcp_only || e->tcp))
			n++;
	}
	pthread_mutex_unlock(&fd->lock);
	return n;
}

unsigned long fakedns_query_count(struct fakedns *fd, const char *name,
				  int qtype)
{
	return log_count(fd, name, qtype, 0);
}

unsigned long fakedns_tcp_query_count(struct fakedns *fd, const char *name,
				      int qtype)
{
	return log_count(fd, name, qtype, 1);
}

size_t fakedns_recent_queries(struct fakedns *fd,
			      struct fakedns_query_info *out, size_t max)
{
	unsigned long have, first, i;
	size_t n = 0;

	pthread_mutex_lock(&fd->lock);
	have = fd->nlog < FD_LOG_SIZE ? fd->nlog : FD_LOG_SIZE;
	if (have > max)
		have = max;
	/* the ring holds entries nlog - FD_LOG_SIZE .. nlog - 1 */
	first = fd->nlog - have;
	for (i = first; i < fd->nlog; i++) {
		const struct fd_logent *e = &fd->qlog[i % FD_LOG_SIZE];

		out[n].id = e->id;
		out[n].qtype = e->qtype;
		out[n].port = e->port;
		out[n].tcp = e->tcp;
		n++;
	}
	pthread_mutex_unlock(&fd->lock);
	return n;
}
