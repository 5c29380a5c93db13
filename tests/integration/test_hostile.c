/*
 * Hostile replies against the real library path (issue 10 "Hardening").
 *
 * rfcres_getaddrinfo() resolves through RFCRES_RESOLV_CONF pointing at one
 * or two raw responders started by this test on 127.0.0.1 (a UDP socket
 * and a TCP listener on the same port, served by a thread), which give
 * exact control over every byte.  Each TABLE row names the hostile thing
 * the first server does and the expected outcome:
 *  - the hostile reply is rejected, and a trace event with the reason is
 *    seen ("dns.drop reason=..." or "dns.tcp.fail reason=...");
 *  - hostile data (192.0.2.66) never reaches the result;
 *  - the lookup goes on and succeeds with the genuine reply that follows
 *    (or, for the TCP rows that leave nothing genuine, fails with
 *    EAI_AGAIN);
 *  - it completes within timeout x attempts x servers (+ one TCP exchange
 *    per server) + slack: a generous hang bound, never a speed assertion.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "rfcres.h"

/* ---- the table ------------------------------------------------------------ */

enum hostile {
	H_NONE,          /* genuine answers only (the second server) */
	/* UDP: the hostile datagram, then the genuine answer */
	H_OVERSIZED,     /* CVE-2015-7547: A and AAAA bigger than both buffers */
	H_PTR_LOOP,      /* owner name: a pointer to itself */
	H_PTR_FORWARD,   /* owner name: a pointer past itself */
	H_PTR_HOPS,      /* 40 backward pointers in a chain */
	H_LABEL_64,      /* length octet 0x40 (label > 63) */
	H_NAME_256,      /* CNAME target of 256 octets */
	H_NAME_256_PTRS, /* owner > 255 octets assembled through pointers */
	H_RDLEN_PAST,    /* rdlength runs past the end of the message */
	H_COUNT_LIES,    /* CVE-2017-15650: ANCOUNT 50, one record */
	H_A_RDLEN,       /* A rdlength 5 */
	H_AAAA_RDLEN,    /* AAAA rdlength 4 */
	H_CNAME_LOOP,    /* www -> a -> b -> www */
	H_CNAME_CHAIN,   /* 20 CNAME links */
	H_EMPTY,         /* CVE-2023-32067: zero-length datagram */
	H_WRONG_PORT,    /* the answer from another source port */
	H_WRONG_ID,      /* ID ^ 0x5a5a */
	H_WRONG_QUESTION,/* echoes another name */
	H_JUNK_FLOOD,    /* 10,000 junk datagrams during one lookup */
	/* TCP: UDP says TC, then the TCP exchange misbehaves */
	T_BIG,           /* not hostile: 300 A + 250 AAAA over TCP, all kept */
	T_LEN0,          /* length prefix 0 */
	T_LEN65535,      /* length prefix 65535, a short message, close */
	T_CLOSE_MID,     /* half a message, close */
	T_DRIP,          /* one byte every 300 ms: past the deadline */
};

struct row {
	const char *name;
	enum hostile kind;
	int family;          /* AF_INET, AF_INET6, AF_UNSPEC */
	bool second_server;  /* a genuine server after the hostile one */
	const char *event;   /* expected trace event, NULL: none */
	const char *reason;  /* its reason= value, NULL: any */
	int rc;              /* expected getaddrinfo result */
	unsigned naddrs;     /* exact count when non-zero */
};

static const struct row table[] = {
	{ "cve-2015-7547 answers bigger than both buffers", H_OVERSIZED,
	  AF_UNSPEC, false, "dns.drop", "oversized", 0, 2 },
	{ "compression pointer loop", H_PTR_LOOP, AF_INET, false, "dns.drop",
	  "pointer-not-backwards", 0, 1 },
	{ "compression forward pointer", H_PTR_FORWARD, AF_INET, false,
	  "dns.drop", "pointer-not-backwards", 0, 1 },
	{ "compression pointer chain over the hop limit", H_PTR_HOPS, AF_INET,
	  false, "dns.drop", "pointer-hops", 0, 1 },
	{ "label longer than 63", H_LABEL_64, AF_INET, false, "dns.drop",
	  "label-type", 0, 1 },
	{ "name longer than 255 (rdata)", H_NAME_256, AF_INET, false,
	  "dns.drop", "name-too-long", 0, 1 },
	{ "name longer than 255 (pointers)", H_NAME_256_PTRS, AF_INET, false,
	  "dns.drop", "name-too-long", 0, 1 },
	{ "rdlength past the end", H_RDLEN_PAST, AF_INET, false, "dns.drop",
	  "truncated-rr", 0, 1 },
	{ "cve-2017-15650 answer count lies", H_COUNT_LIES, AF_INET, false,
	  "dns.drop", "counts", 0, 1 },
	{ "A rdlength 5", H_A_RDLEN, AF_INET, false, "dns.drop", "a-rdlength",
	  0, 1 },
	{ "AAAA rdlength 4", H_AAAA_RDLEN, AF_INET6, false, "dns.drop",
	  "aaaa-rdlength", 0, 1 },
	{ "CNAME loop", H_CNAME_LOOP, AF_INET, false, "dns.drop", "cname-loop",
	  0, 1 },
	{ "CNAME chain over the bound", H_CNAME_CHAIN, AF_INET, false,
	  "dns.drop", "cname-chain-too-long", 0, 1 },
	{ "cve-2023-32067 zero-length datagram", H_EMPTY, AF_INET, false,
	  "dns.drop", "empty", 0, 1 },
	/* A connected UDP socket: the kernel discards datagrams from other
	 * peers before the library sees them, so there is no drop event. */
	{ "reply from the wrong port", H_WRONG_PORT, AF_INET, false, NULL,
	  NULL, 0, 1 },
	{ "wrong ID", H_WRONG_ID, AF_INET, false, "dns.drop", "id", 0, 1 },
	{ "wrong question", H_WRONG_QUESTION, AF_INET, false, "dns.drop",
	  "question-mismatch", 0, 1 },
	/* RFC 5452 9.3: past the flood threshold (or once the kernel drops
	 * datagrams) the question goes to TCP, which answers genuinely */
	{ "10,000 junk datagrams", H_JUNK_FLOOD, AF_INET, false, "dns.flood",
	  NULL, 0, 1 },
	{ "TC then A+AAAA bigger than both buffers over TCP", T_BIG, AF_UNSPEC,
	  false, NULL, NULL, 0, 550 },
	{ "TCP length prefix 0", T_LEN0, AF_INET, true, "dns.tcp.fail",
	  "zero-length", 0, 1 },
	{ "TCP length prefix 65535", T_LEN65535, AF_INET, true,
	  "dns.tcp.fail", "eof", 0, 1 },
	{ "TCP closed mid-message, next server", T_CLOSE_MID, AF_INET, true,
	  "dns.tcp.fail", "eof", 0, 1 },
	{ "TCP closed mid-message, no other server", T_CLOSE_MID, AF_INET,
	  false, "dns.tcp.fail", "eof", EAI_AGAIN, 0 },
	{ "TCP slow drip past the deadline", T_DRIP, AF_INET, false,
	  "dns.tcp.fail", "timeout", EAI_AGAIN, 0 },
};

#define TIMEOUT_S 1
#define ATTEMPTS 2
#define SLACK_S 10

/* ---- message building ------------------------------------------------------- */

struct msg {
	uint8_t b[65536];
	size_t n;
};

static void put(struct msg *m, const void *p, size_t n)
{
	assert_true(m->n + n <= sizeof m->b);
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void put16(struct msg *m, unsigned v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	put(m, b, 2);
}

static void put32(struct msg *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

struct query {
	uint16_t id, qtype;
	uint8_t qname[256];
	size_t qlen;
};

static bool parse_query(const uint8_t *b, size_t n, struct query *q)
{
	if (n < 17)
		return false;
	size_t p = 12;
	while (p < n && b[p] && b[p] < 64)
		p += 1u + b[p];
	if (p + 5 > n || b[p] != 0 || p + 1 - 12 > sizeof q->qname)
		return false;
	q->id = (uint16_t)(b[0] << 8 | b[1]);
	q->qlen = p + 1 - 12;
	memcpy(q->qname, b + 12, q->qlen);
	q->qtype = (uint16_t)(b[p + 1] << 8 | b[p + 2]);
	return true;
}

static void header(struct msg *m, uint16_t id, bool tc, unsigned an,
		   unsigned ns, unsigned ar)
{
	m->n = 0;
	put16(m, id);
	put16(m, 0x8500 | (tc ? 0x0200 : 0) | 0x80); /* QR AA RD RA */
	put16(m, 1);
	put16(m, an);
	put16(m, ns);
	put16(m, ar);
}

static void question(struct msg *m, const struct query *q)
{
	put(m, q->qname, q->qlen);
	put16(m, q->qtype);
	put16(m, 1);
}

/* RR with a raw owner and rdata; rdlen may lie. */
static void rr(struct msg *m, const void *owner, size_t olen, unsigned type,
	       unsigned rdlen, const void *rdata, size_t dlen)
{
	put(m, owner, olen);
	put16(m, type);
	put16(m, 1);
	put32(m, 60);
	put16(m, rdlen);
	put(m, rdata, dlen);
}

static const uint8_t PQ[] = { 0xc0, 0x0c }; /* the question name */
static const uint8_t GOOD4[4] = { 192, 0, 2, 1 };
static const uint8_t EVIL4[4] = { 192, 0, 2, 66 };
static const uint8_t GOOD6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t EVIL6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 66 };

static const uint8_t *evil_for(uint16_t qtype, unsigned *len)
{
	*len = qtype == 28 ? 16 : 4;
	return qtype == 28 ? EVIL6 : EVIL4;
}

static void genuine(struct msg *m, const struct query *q, bool tc)
{
	header(m, q->id, tc, tc ? 0 : 1, 0, 0);
	question(m, q);
	if (tc)
		return;
	if (q->qtype == 28)
		rr(m, PQ, 2, 28, 16, GOOD6, 16);
	else
		rr(m, PQ, 2, 1, 4, GOOD4, 4);
}

/* n address records of the query's type: 10.0.x.y or 2001:db8:1::x:y */
static void big(struct msg *m, const struct query *q, unsigned n)
{
	header(m, q->id, false, n, 0, 0);
	question(m, q);
	for (unsigned i = 0; i < n; i++) {
		uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1 };
		uint8_t a4[4] = { 10, 0, (uint8_t)(i >> 8), (uint8_t)i };
		a6[14] = (uint8_t)(i >> 8);
		a6[15] = (uint8_t)i;
		if (q->qtype == 28)
			rr(m, PQ, 2, 28, 16, a6, 16);
		else
			rr(m, PQ, 2, 1, 4, a4, 4);
	}
}

static void label_name(struct msg *m, const char *text)
{
	const char *p = text;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		uint8_t c = (uint8_t)l;
		put(m, &c, 1);
		put(m, p, l);
		p += l + (dot ? 1 : 0);
	}
	put(m, "", 1);
}

/* The hostile reply of a UDP row to query q (addresses are 192.0.2.66). */
static void hostile(struct msg *m, enum hostile k, const struct query *q)
{
	unsigned elen;
	const uint8_t *evil = evil_for(q->qtype, &elen);
	unsigned t = q->qtype;
	switch (k) {
	case H_OVERSIZED: {
		/* glibc's 2048-byte stack buffer and its 64 KiB retry both
		 * overflowed; here a UDP datagram larger than the 4096-byte
		 * receive buffer is dropped whole (MSG_TRUNC) */
		unsigned n = t == 28 ? 250 : 300;
		header(m, q->id, false, n, 0, 0);
		question(m, q);
		for (unsigned i = 0; i < n; i++)
			rr(m, PQ, 2, t, elen, evil, elen);
		return;
	}
	case H_PTR_LOOP:
	case H_PTR_FORWARD: {
		header(m, q->id, false, 1, 0, 0);
		question(m, q);
		size_t at = m->n;
		uint8_t p[2] = { 0xc0, (uint8_t)(k == H_PTR_LOOP ? at : at + 16) };
		rr(m, p, 2, t, elen, evil, elen);
		put(m, "\003www\0", 5);
		return;
	}
	case H_PTR_HOPS: {
		/* type-16 rdata holding 40 pointers, each to the previous */
		header(m, q->id, false, 2, 0, 0);
		question(m, q);
		struct msg chain = { .n = 0 };
		size_t base = m->n + 2 + 10;
		for (unsigned i = 0; i < 40; i++)
			put16(&chain, 0xc000 | (i ? base + 2 * (i - 1) : 12));
		rr(m, PQ, 2, 16, (unsigned)chain.n, chain.b, chain.n);
		uint8_t p[2] = { (uint8_t)(0xc0 | (base + 78) >> 8),
				 (uint8_t)(base + 78) };
		rr(m, p, 2, t, elen, evil, elen);
		return;
	}
	case H_LABEL_64: {
		header(m, q->id, false, 1, 0, 0);
		question(m, q);
		uint8_t owner[66] = { 0x40 };
		memset(owner + 1, 'x', 64);
		owner[65] = 0;
		rr(m, owner, sizeof owner, t, elen, evil, elen);
		return;
	}
	case H_NAME_256: {
		header(m, q->id, false, 2, 0, 0);
		question(m, q);
		struct msg target = { .n = 0 };
		for (int i = 0; i < 4; i++) {
			uint8_t l = 63;
			put(&target, &l, 1);
			for (int j = 0; j < 63; j++)
				put(&target, "a", 1);
		}
		put(&target, "", 1);
		rr(m, PQ, 2, 5, (unsigned)target.n, target.b, target.n);
		rr(m, target.b, target.n, t, elen, evil, elen);
		return;
	}
	case H_NAME_256_PTRS: {
		/* labels of 63 octets chained backwards through pointers */
		header(m, q->id, false, 2, 0, 0);
		question(m, q);
		struct msg rd = { .n = 0 };
		size_t base = m->n + 2 + 10;
		for (int i = 0; i < 4; i++) {
			uint8_t l = 63;
			put(&rd, &l, 1);
			for (int j = 0; j < 63; j++)
				put(&rd, "b", 1);
			put16(&rd, 0xc000 | (i ? base + 66 * (i - 1) : 12));
		}
		rr(m, PQ, 2, 16, (unsigned)rd.n, rd.b, rd.n);
		uint8_t p[2] = { (uint8_t)(0xc0 | (base + 198) >> 8),
				 (uint8_t)(base + 198) };
		rr(m, p, 2, t, elen, evil, elen);
		return;
	}
	case H_RDLEN_PAST:
		header(m, q->id, false, 1, 0, 0);
		question(m, q);
		rr(m, PQ, 2, t, 400, evil, elen);
		return;
	case H_COUNT_LIES:
		header(m, q->id, false, 50, 0, 0);
		question(m, q);
		rr(m, PQ, 2, t, elen, evil, elen);
		return;
	case H_A_RDLEN:
	case H_AAAA_RDLEN: {
		uint8_t five[5] = { 192, 0, 2, 66, 0 };
		header(m, q->id, false, 1, 0, 0);
		question(m, q);
		if (k == H_A_RDLEN)
			rr(m, PQ, 2, t, 5, five, 5);
		else
			rr(m, PQ, 2, t, 4, EVIL4, 4);
		return;
	}
	case H_CNAME_LOOP:
	case H_CNAME_CHAIN: {
		unsigned links = k == H_CNAME_LOOP ? 3 : 20;
		header(m, q->id, false, links + 1, 0, 0);
		question(m, q);
		struct msg owner = { .n = 0 }, target = { .n = 0 };
		for (unsigned i = 0; i < links; i++) {
			char name[32];
			target.n = 0;
			if (k == H_CNAME_LOOP && i == links - 1) {
				put(&target, PQ, 2);
			} else {
				snprintf(name, sizeof name, "c%u.example", i);
				label_name(&target, name);
			}
			if (i == 0)
				rr(m, PQ, 2, 5, (unsigned)target.n, target.b,
				   target.n);
			else
				rr(m, owner.b, owner.n, 5, (unsigned)target.n,
				   target.b, target.n);
			memcpy(owner.b, target.b, target.n);
			owner.n = target.n;
		}
		rr(m, owner.b, owner.n, t, elen, evil, elen);
		return;
	}
	case H_WRONG_ID:
	case H_WRONG_PORT:
		header(m, k == H_WRONG_ID ? q->id ^ 0x5a5a : q->id, false, 1, 0, 0);
		question(m, q);
		rr(m, PQ, 2, t, elen, evil, elen);
		return;
	case H_WRONG_QUESTION: {
		struct query o = *q;
		o.qlen = 0;
		static const uint8_t evilname[] = "\004evil\007example";
		memcpy(o.qname, evilname, sizeof evilname);
		o.qlen = sizeof evilname;
		header(m, q->id, false, 1, 0, 0);
		question(m, &o);
		rr(m, PQ, 2, t, elen, evil, elen);
		return;
	}
	default:
		m->n = 0;
		return;
	}
}

/* ---- the responder ---------------------------------------------------------- */

#define MAXCONN 4
#define DRIP_NS 300000000ull

struct conn {
	int fd;
	uint8_t in[4096];
	size_t inlen;
	uint8_t *out;
	size_t outlen, outoff;
	bool close_after;
	uint64_t next_ns; /* drip: next byte */
};

struct responder {
	int udp, tcp, udp_other;
	uint16_t port;
	enum hostile kind;
	pthread_t th;
	atomic_bool stop;
	unsigned hostile_sent; /* bit per qtype class: A 1, AAAA 2 */
	struct conn c[MAXCONN];
	atomic_uint udp_queries, tcp_queries;
	struct msg m; /* the responder thread's message buffer */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void udp_send(int fd, const void *b, size_t n,
		     const struct sockaddr_in *to)
{
	/* loss is acceptable (a full receive buffer drops, as a network
	 * would); the library retries */
	ssize_t r = sendto(fd, b, n, 0, (const struct sockaddr *)to, sizeof *to);
	(void)r;
}

static void on_udp_query(struct responder *R, const uint8_t *b, size_t n,
			 const struct sockaddr_in *from)
{
	struct query q;
	if (!parse_query(b, n, &q))
		return;
	atomic_fetch_add(&R->udp_queries, 1);
	struct msg *m = &R->m;
	unsigned bit = q.qtype == 28 ? 2 : 1;
	bool first = !(R->hostile_sent & bit);
	R->hostile_sent |= bit;
	enum hostile k = R->kind;
	if (k >= T_BIG) {
		genuine(m, &q, true); /* TC: go to TCP */
		udp_send(R->udp, m->b, m->n, from);
		return;
	}
	if (first && k != H_NONE) {
		if (k == H_EMPTY) {
			udp_send(R->udp, "", 0, from);
		} else if (k == H_JUNK_FLOOD) {
			genuine(m, &q, false);
			uint8_t junk[64];
			for (unsigned i = 0; i < 10000; i++) {
				size_t jl = i % 5 == 0 ? 0 : 1 + i % 60;
				if (i % 3 == 0 && m->n <= sizeof junk) {
					/* the right answer with a wrong ID */
					memcpy(junk, m->b, m->n);
					junk[0] ^= (uint8_t)(1 + i);
					jl = m->n;
				} else {
					for (size_t j = 0; j < jl; j++)
						junk[j] = (uint8_t)(i * 31 + j * 7);
				}
				udp_send(R->udp, junk, jl, from);
			}
		} else {
			hostile(m, k, &q);
			udp_send(k == H_WRONG_PORT ? R->udp_other : R->udp, m->b,
				 m->n, from);
		}
	}
	genuine(m, &q, false);
	udp_send(R->udp, m->b, m->n, from);
}

static void conn_queue(struct conn *c, const void *b, size_t n)
{
	uint8_t *o = realloc(c->out, c->outlen + n);
	assert_non_null(o);
	memcpy(o + c->outlen, b, n);
	c->out = o;
	c->outlen += n;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	memset(c, 0, sizeof *c);
	c->fd = -1;
}

static void on_tcp_query(struct responder *R, struct conn *c,
			 const struct query *q)
{
	struct msg *m = &R->m;
	atomic_fetch_add(&R->tcp_queries, 1);
	uint8_t len[2];
	switch (R->kind) {
	case T_LEN0:
		conn_queue(c, "\0\0", 2);
		return;
	case T_LEN65535:
		genuine(m, q, false);
		conn_queue(c, "\xff\xff", 2);
		conn_queue(c, m->b, m->n);
		c->close_after = true;
		return;
	case T_CLOSE_MID:
		genuine(m, q, false);
		len[0] = (uint8_t)(m->n >> 8);
		len[1] = (uint8_t)m->n;
		conn_queue(c, len, 2);
		conn_queue(c, m->b, m->n / 2);
		c->close_after = true;
		return;
	case T_BIG:
		big(m, q, q->qtype == 28 ? 250 : 300);
		break;
	default:
		genuine(m, q, false);
		break;
	}
	len[0] = (uint8_t)(m->n >> 8);
	len[1] = (uint8_t)m->n;
	conn_queue(c, len, 2);
	conn_queue(c, m->b, m->n);
}

static void on_conn_read(struct responder *R, struct conn *c)
{
	ssize_t n = recv(c->fd, c->in + c->inlen, sizeof c->in - c->inlen, 0);
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->inlen += (size_t)n;
	while (c->inlen >= 2) {
		size_t l = (size_t)(c->in[0] << 8 | c->in[1]);
		if (c->inlen < 2 + l)
			break;
		struct query q;
		if (parse_query(c->in + 2, l, &q))
			on_tcp_query(R, c, &q);
		memmove(c->in, c->in + 2 + l, c->inlen - 2 - l);
		c->inlen -= 2 + l;
	}
}

static void on_conn_write(struct responder *R, struct conn *c)
{
	size_t want = c->outlen - c->outoff;
	if (R->kind == T_DRIP) {
		if (mono_ns() < c->next_ns)
			return;
		want = want ? 1 : 0;
		c->next_ns = mono_ns() + DRIP_NS;
	}
	if (want) {
		ssize_t n = send(c->fd, c->out + c->outoff, want, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno != EAGAIN)
				conn_close(c);
			return;
		}
		c->outoff += (size_t)n;
	}
	if (c->outoff == c->outlen && c->close_after)
		conn_close(c);
}

static void *responder_main(void *arg)
{
	struct responder *R = arg;
	static _Thread_local uint8_t buf[65536];
	while (!atomic_load(&R->stop)) {
		struct pollfd p[2 + MAXCONN];
		int n = 0;
		p[n++] = (struct pollfd){ .fd = R->udp, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = R->tcp, .events = POLLIN };
		for (int i = 0; i < MAXCONN; i++) {
			struct conn *c = &R->c[i];
			short ev = POLLIN;
			if (c->fd >= 0 && c->outoff < c->outlen &&
			    (R->kind != T_DRIP || mono_ns() >= c->next_ns))
				ev |= POLLOUT;
			p[n++] = (struct pollfd){ .fd = c->fd, .events = ev };
		}
		if (poll(p, (nfds_t)n, 20) < 0 && errno != EINTR)
			break;
		if (p[0].revents & POLLIN) {
			struct sockaddr_in from;
			socklen_t fl = sizeof from;
			ssize_t r = recvfrom(R->udp, buf, sizeof buf, 0,
					     (struct sockaddr *)&from, &fl);
			if (r > 0)
				on_udp_query(R, buf, (size_t)r, &from);
		}
		if (p[1].revents & POLLIN) {
			int fd = accept4(R->tcp, NULL, NULL, SOCK_NONBLOCK);
			for (int i = 0; fd >= 0 && i < MAXCONN; i++)
				if (R->c[i].fd < 0) {
					R->c[i].fd = fd;
					fd = -1;
				}
			if (fd >= 0)
				close(fd);
		}
		for (int i = 0; i < MAXCONN; i++) {
			struct conn *c = &R->c[i];
			if (c->fd < 0 || c->fd != p[2 + i].fd)
				continue;
			if (p[2 + i].revents & (POLLIN | POLLHUP | POLLERR))
				on_conn_read(R, c);
			if (c->fd >= 0 && c->outoff < c->outlen)
				on_conn_write(R, c);
		}
	}
	return NULL;
}

static int bind_lo(int type, uint16_t port)
{
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static uint16_t port_of(int fd)
{
	struct sockaddr_in a;
	socklen_t l = sizeof a;
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	return ntohs(a.sin_port);
}

static struct responder *responder_start(enum hostile kind)
{
	struct responder *R = calloc(1, sizeof *R);
	assert_non_null(R);
	R->kind = kind;
	for (int i = 0; i < MAXCONN; i++)
		R->c[i].fd = -1;
	/* the same port for UDP and TCP (bounded retries on collisions) */
	for (int tries = 0; tries < 50; tries++) {
		R->udp = bind_lo(SOCK_DGRAM, 0);
		assert_true(R->udp >= 0);
		R->port = port_of(R->udp);
		R->tcp = bind_lo(SOCK_STREAM | SOCK_NONBLOCK, R->port);
		if (R->tcp >= 0)
			break;
		close(R->udp);
	}
	assert_true(R->tcp >= 0);
	assert_int_equal(listen(R->tcp, 8), 0);
	R->udp_other = bind_lo(SOCK_DGRAM, 0);
	assert_true(R->udp_other >= 0);
	assert_int_equal(pthread_create(&R->th, NULL, responder_main, R), 0);
	return R;
}

static void responder_stop(struct responder *R)
{
	if (!R)
		return;
	atomic_store(&R->stop, true);
	pthread_join(R->th, NULL);
	for (int i = 0; i < MAXCONN; i++)
		conn_close(&R->c[i]);
	close(R->udp);
	close(R->tcp);
	close(R->udp_other);
	free(R);
}

/* ---- trace capture ---------------------------------------------------------- */

#define MAXEV 256
static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char name[32];
	char reason[48];
} evs[MAXEV];
static unsigned nev, ndrops;

static void hook(const struct rfcres_trace_event *ev, void *arg)
{
	(void)arg;
	pthread_mutex_lock(&ev_lock);
	if (strcmp(ev->name, "dns.drop") == 0)
		ndrops++;
	if (nev < MAXEV && strncmp(ev->name, "dns.", 4) == 0) {
		snprintf(evs[nev].name, sizeof evs[0].name, "%s", ev->name);
		evs[nev].reason[0] = '\0';
		for (size_t i = 0; i < ev->nfields; i++)
			if (strcmp(ev->fields[i].key, "reason") == 0)
				snprintf(evs[nev].reason, sizeof evs[0].reason,
					 "%s", ev->fields[i].value);
		nev++;
	}
	pthread_mutex_unlock(&ev_lock);
}

static bool seen(const char *name, const char *reason)
{
	bool found = false;
	pthread_mutex_lock(&ev_lock);
	for (unsigned i = 0; i < nev && !found; i++)
		found = strcmp(evs[i].name, name) == 0 &&
			(!reason || strcmp(evs[i].reason, reason) == 0);
	pthread_mutex_unlock(&ev_lock);
	return found;
}

static void dump_events(void)
{
	pthread_mutex_lock(&ev_lock);
	for (unsigned i = 0; i < nev; i++)
		print_message("    %s reason=%s\n", evs[i].name, evs[i].reason);
	pthread_mutex_unlock(&ev_lock);
}

/* ---- the test --------------------------------------------------------------- */

static char dir[64], resolv[128], hosts[128];

static void write_file(const char *path, const char *body)
{
	char tmp[160];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	assert_non_null(f);
	fputs(body, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(rename(tmp, path), 0);
}

static bool has_addr(const struct addrinfo *ai, int family, const void *a)
{
	for (; ai; ai = ai->ai_next) {
		if (ai->ai_family != family)
			continue;
		const void *p = family == AF_INET
			? (const void *)&((const struct sockaddr_in *)ai->ai_addr)->sin_addr
			: (const void *)&((const struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
		if (memcmp(p, a, family == AF_INET ? 4 : 16) == 0)
			return true;
	}
	return false;
}

static void run_row(const struct row *r)
{
	print_message("[ ROW      ] %s\n", r->name);
	struct responder *a = responder_start(r->kind);
	struct responder *b = r->second_server ? responder_start(H_NONE) : NULL;
	char body[256];
	int n = snprintf(body, sizeof body, "nameserver 127.0.0.1:%u\n",
			 a->port);
	if (b)
		n += snprintf(body + n, sizeof body - (size_t)n,
			      "nameserver 127.0.0.1:%u\n", b->port);
	snprintf(body + n, sizeof body - (size_t)n,
		 "search hostile.test\noptions timeout:%d attempts:%d\n",
		 TIMEOUT_S, ATTEMPTS);
	write_file(resolv, body);

	pthread_mutex_lock(&ev_lock);
	nev = ndrops = 0;
	pthread_mutex_unlock(&ev_lock);

	struct addrinfo hints = { .ai_family = r->family,
				  .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	uint64_t t0 = mono_ns();
	int rc = rfcres_getaddrinfo("www.hostile.test", "80", &hints, &res);
	double took = (double)(mono_ns() - t0) / 1e9;

	unsigned nservers = b ? 2 : 1;
	/* the name as is, then one search suffix: two candidate names at
	 * most, each timeout x attempts x servers + one TCP exchange per
	 * server */
	double bound = 2.0 * (TIMEOUT_S * ATTEMPTS * nservers +
			      TIMEOUT_S * nservers) + SLACK_S;
	unsigned count = 0;
	for (const struct addrinfo *p = res; p; p = p->ai_next)
		count++;
	print_message("    rc=%d (%s) addrs=%u drops=%u %.3fs (bound %.0fs)\n",
		      rc, rc ? rfcres_gai_strerror(rc) : "ok", count, ndrops,
		      took, bound);
	if (rc != r->rc || (r->event && !seen(r->event, r->reason)))
		dump_events();
	assert_true(took < bound);
	assert_int_equal(rc, r->rc);
	if (r->event)
		assert_true(seen(r->event, r->reason));
	if (rc == 0) {
		/* hostile data never reaches the result */
		assert_false(has_addr(res, AF_INET, EVIL4));
		assert_false(has_addr(res, AF_INET6, EVIL6));
		if (r->kind != T_BIG) {
			if (r->family != AF_INET6)
				assert_true(has_addr(res, AF_INET, GOOD4));
			if (r->family != AF_INET)
				assert_true(has_addr(res, AF_INET6, GOOD6));
		}
		if (r->naddrs)
			assert_int_equal(count, r->naddrs);
		rfcres_freeaddrinfo(res);
	}
	if (r->kind == H_JUNK_FLOOD) {
		/* the flood arrived during the lookup and was looked at */
		assert_true(ndrops >= 1);
	}
	responder_stop(a);
	responder_stop(b);
}

static void t_table(void **st)
{
	(void)st;
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		run_row(&table[i]);
}

static int setup(void **st)
{
	(void)st;
	snprintf(dir, sizeof dir, "/tmp/rfcres-hostile.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(resolv, sizeof resolv, "%s/resolv.conf", dir);
	snprintf(hosts, sizeof hosts, "%s/hosts", dir);
	FILE *f = fopen(hosts, "w");
	if (!f)
		return -1;
	fputs("127.0.0.1 localhost\n", f);
	fclose(f);
	setenv("RFCRES_RESOLV_CONF", resolv, 1);
	setenv("RFCRES_HOSTS", hosts, 1);
	setenv("RFCRES_GAI_CONF", "/nonexistent/gai.conf", 1);
	setenv("RFCRES_SERVICES", "/nonexistent/services", 1);
	rfcres_set_trace(hook, NULL);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	rfcres_set_trace(NULL, NULL);
	unlink(resolv);
	unlink(hosts);
	rmdir(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_table),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
