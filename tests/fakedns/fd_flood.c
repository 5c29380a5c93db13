/*
 * fakedns flood (see fd_flood.h and docs/fakedns.md "flood").
 *
 * Junk is derived from the genuine answer's header and question, so the
 * server needs nothing but the bytes it was about to send.
 */
#include "fd_flood.h"
#include "fd_wire.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#define FDF_STREAMS_MAX 16u	/* endless floods at a time */
#define FDF_TCP_JUNK_DEFAULT 16u

const uint8_t FDF_FORGED_A[4] = { 203, 0, 113, 66 };
const uint8_t FDF_FORGED_AAAA[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x0b, 0xad,
				      0, 0, 0, 0, 0, 0, 0, 0, 0, 0x66 };

struct qinfo {
	uint16_t id, qtype;
	size_t qend;		/* offset just past the question */
};

static unsigned u16at(const uint8_t *p)
{
	return ((unsigned)p[0] << 8) | p[1];
}

/* The echoed question of the genuine answer (uncompressed: fakedns
 * copies it verbatim).  0 for a header-only message. */
static int question_of(const uint8_t *a, size_t n, struct qinfo *q)
{
	size_t p = FDW_HDR;

	if (n < FDW_HDR || u16at(a + 4) < 1)
		return 0;
	while (p < n && a[p] != 0) {
		if (a[p] > 63)
			return 0;
		p += 1u + a[p];
	}
	if (p + 5 > n)
		return 0;
	q->id = (uint16_t)u16at(a);
	q->qtype = (uint16_t)u16at(a + p + 1);
	q->qend = p + 5;
	return 1;
}

static uint32_t rnd(uint32_t *s)
{
	/* xorshift32: deterministic, never zero from a non-zero seed */
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* A forged answer: header and question copied from the genuine one (the
 * question's first character changed when wrong_q), ID id, ANCOUNT an,
 * one record with the forged address; its owner name a pointer to
 * itself when loop (RFC 1035 §4.1.4 allows only earlier targets). */
static size_t forged(uint8_t *o, const uint8_t *ans, const struct qinfo *q,
		     uint16_t id, int wrong_q, int loop, unsigned an)
{
	size_t n = q->qend;
	int six = q->qtype == FDW_T_AAAA;
	unsigned owner = loop ? 0xc000u | (unsigned)n : 0xc000u | FDW_HDR;

	memcpy(o, ans, n);
	o[0] = (uint8_t)(id >> 8);
	o[1] = (uint8_t)id;
	o[2] = (uint8_t)(0x84u | (ans[2] & 0x01u));	/* QR AA, RD copied */
	o[3] = 0x80;					/* RA, NOERROR */
	o[4] = 0;
	o[5] = 1;
	o[6] = (uint8_t)(an >> 8);
	o[7] = (uint8_t)an;
	memset(o + 8, 0, 4);
	if (wrong_q && o[FDW_HDR] > 0) {
		o[FDW_HDR + 1] = tolower(o[FDW_HDR + 1]) == 'x' ? 'y' : 'x';
	} else if (wrong_q) {
		o[n - 3] ^= 0x1d;	/* root: A <-> AAAA */
	}
	o[n++] = (uint8_t)(owner >> 8);
	o[n++] = (uint8_t)owner;
	o[n++] = 0;
	o[n++] = six ? FDW_T_AAAA : FDW_T_A;
	o[n++] = 0;
	o[n++] = 1;			/* class IN */
	o[n++] = 0;
	o[n++] = 0;
	o[n++] = 0x01;
	o[n++] = 0x2c;			/* TTL 300 */
	o[n++] = 0;
	o[n++] = six ? 16 : 4;
	memcpy(o + n, six ? FDF_FORGED_AAAA : FDF_FORGED_A, six ? 16 : 4);
	return n + (six ? 16 : 4);
}

/* The kind of junk number i: the (i mod k)-th of the k kinds in mix. */
static unsigned kind_of(unsigned mix, unsigned i, int tcp)
{
	unsigned kinds[6], k = 0, bit;

	mix &= FDF_ALL_KINDS;
	if (!mix)
		mix = FDF_ALL_KINDS;
	if (tcp)
		mix &= ~FDF_PORT;	/* one stream, one port */
	for (bit = FDF_ID; bit <= FDF_RANDOM; bit <<= 1)
		if (mix & bit)
			kinds[k++] = bit;
	return k ? kinds[i % k] : FDF_ID;
}

size_t fdf_junk(const uint8_t *ans, size_t alen, unsigned mix, unsigned i,
		int tcp, uint8_t *out, size_t cap, int *other_port)
{
	struct qinfo q;
	unsigned kind = kind_of(mix, i, tcp);
	uint32_t seed = 0x9e3779b9u ^ (i * 2654435761u);
	size_t n, j;

	*other_port = 0;
	if (cap < FDF_JUNK_CAP)
		return 0;
	if (!question_of(ans, alen, &q) || q.qend + 28 > cap)
		kind = FDF_RANDOM;
	else
		seed ^= q.id;
	if (!seed)
		seed = 1;
	switch (kind) {
	case FDF_ID:
		/* any other ID: q.id ^ (1..65535) */
		return forged(out, ans, &q,
			      (uint16_t)(q.id ^ (1u + i % 65535u)), 0, 0, 1);
	case FDF_QUESTION:
		return forged(out, ans, &q, q.id, 1, 0, 1);
	case FDF_PORT:
		*other_port = 1;
		return forged(out, ans, &q, q.id, 0, 0, 1);
	case FDF_COMPRESSION:
		return forged(out, ans, &q, q.id, 0, 1, 1);
	case FDF_COUNTS:
		return forged(out, ans, &q, q.id, 0, 0, 50);
	default:
		n = 1 + rnd(&seed) % 300;
		for (j = 0; j < n; j++)
			out[j] = (uint8_t)rnd(&seed);
		/* never the genuine ID: random bytes are not a guess */
		if (n >= 2 && alen >= 2 && out[0] == ans[0] && out[1] == ans[1])
			out[1] ^= 0x01;
		return n;
	}
}

/* Skips a (possibly compressed) name at p; 0 when malformed. */
static size_t skip_name(const uint8_t *m, size_t n, size_t p)
{
	while (p < n) {
		if ((m[p] & 0xc0) == 0xc0)
			return p + 2 <= n ? p + 2 : 0;
		if (m[p] > 63)
			return 0;
		if (m[p] == 0)
			return p + 1;
		p += 1u + m[p];
	}
	return 0;
}

void fdf_other_answer(uint8_t *m, size_t n)
{
	size_t p = FDW_HDR;
	unsigned i, rrs;

	if (n < FDW_HDR)
		return;
	for (i = 0; i < u16at(m + 4); i++) {
		p = skip_name(m, n, p);
		if (!p || p + 4 > n)
			return;
		p += 4;
	}
	rrs = u16at(m + 6) + u16at(m + 8) + u16at(m + 10);
	for (i = 0; i < rrs; i++) {
		unsigned type, rdlen;

		p = skip_name(m, n, p);
		if (!p || p + 10 > n)
			return;
		type = u16at(m + p);
		rdlen = u16at(m + p + 8);
		p += 10;
		if (p + rdlen > n)
			return;
		if ((type == FDW_T_A && rdlen == 4) ||
		    (type == FDW_T_AAAA && rdlen == 16))
			m[p + rdlen - 1] ^= 0xff;
		p += rdlen;
	}
}

/* ---- floods in progress ------------------------------------------------ */

/*
 * A flood is sent from the loop thread in bursts (FDF_BURST datagrams per
 * loop iteration), not in one go: the server stays a server meanwhile --
 * it reads other queries and serves TCP, where a client under attack goes
 * (RFC 5452 §9.3) -- as a real server does while someone else floods its
 * clients.  The genuine answer follows the query's last junk datagram.
 * An endless flood then goes on at FDF_BURST_ENDLESS per millisecond.
 */
#define FDF_BURST 256u
#define FDF_BURST_ENDLESS 32u
#define FDF_FLOODS_MAX 1024u	/* finite floods in progress */

struct fdf_stream {
	struct fdf_stream *next;
	struct fdf_stream **head;
	struct event *ev;
	fdf_send_fn *send;
	void *l;
	struct sockaddr_storage peer;
	socklen_t plen;
	unsigned mix, i, left;
	int endless, answer_other;
	uint64_t end_ms;
	size_t alen;
	uint8_t ans[];		/* the genuine answer */
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void stream_free(struct fdf_stream *s)
{
	struct fdf_stream **pp;

	for (pp = s->head; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	event_free(s->ev);
	free(s);
}

static void burst(struct fdf_stream *s, unsigned n)
{
	uint8_t j[FDF_JUNK_CAP];
	int other;

	for (; n > 0; n--, s->i++) {
		size_t len = fdf_junk(s->ans, s->alen, s->mix, s->i, 0, j,
				      sizeof(j), &other);

		s->send(s->l, &s->peer, s->plen, other, j, len);
	}
}

static void stream_cb(evutil_socket_t fd, short what, void *arg)
{
	static const struct timeval now = { 0, 0 }, tick = { 0, 1000 };
	struct fdf_stream *s = arg;
	unsigned n = s->left < FDF_BURST ? s->left : FDF_BURST;

	(void)fd;
	(void)what;
	if (s->left) {
		burst(s, n);
		s->left -= n;
		if (s->left || s->endless)
			event_add(s->ev, s->left ? &now : &tick);
		else {
			s->send(s->l, &s->peer, s->plen, s->answer_other,
				s->ans, s->alen);
			stream_free(s);
		}
		return;
	}
	if (now_ms() >= s->end_ms) {
		stream_free(s);
		return;
	}
	burst(s, FDF_BURST_ENDLESS);
	event_add(s->ev, &tick);
}

static int same_peer(const struct fdf_stream *s, void *l,
		     const struct sockaddr_storage *peer, socklen_t plen)
{
	return s->endless && s->l == l && s->plen == plen &&
	       memcmp(&s->peer, peer, plen) == 0;
}

/* An endless flood to a peer that already has one replaces it (the
 * newest query's ID and question); at most FDF_STREAMS_MAX endless ones
 * and FDF_FLOODS_MAX finite ones at a time. */
static struct fdf_stream *stream_new(struct fdf_stream **head,
				     struct event_base *base, void *l,
				     const struct sockaddr_storage *peer,
				     socklen_t plen, int endless, size_t alen)
{
	struct fdf_stream *s, *oldest = NULL;
	unsigned nend = 0, nfin = 0;

	for (s = *head; s; s = s->next) {
		if (endless && same_peer(s, l, peer, plen)) {
			stream_free(s);
			break;
		}
	}
	for (s = *head; s; s = s->next) {
		if (s->endless) {
			nend++;
			oldest = s;
		} else {
			nfin++;
		}
	}
	if (endless && nend >= FDF_STREAMS_MAX && oldest)
		stream_free(oldest);
	if (!endless && nfin >= FDF_FLOODS_MAX)
		return NULL;
	s = calloc(1, sizeof(*s) + alen);
	if (!s)
		return NULL;
	s->ev = evtimer_new(base, stream_cb, s);
	if (!s->ev) {
		free(s);
		return NULL;
	}
	s->head = head;
	s->next = *head;
	*head = s;
	return s;
}

void fdf_streams_free(struct fdf_stream **streams, void *l)
{
	struct fdf_stream *s = *streams, *nx;

	for (; s; s = nx) {
		nx = s->next;
		if (!l || s->l == l)
			stream_free(s);
	}
}

int fdf_udp_flood(struct fdf_stream **streams, struct event_base *base,
		  const struct fdz_behav *b, fdf_send_fn *send, void *l,
		  const struct sockaddr_storage *peer, socklen_t plen,
		  int answer_other, const uint8_t *ans, size_t alen)
{
	static const struct timeval now = { 0, 0 };
	unsigned n = b->arg[FAKEDNS_FLOOD], mix = 0;
	struct fdf_stream *s;
	int endless;

	if (fdz_has(b, FAKEDNS_FLOOD_MIX))
		mix = b->arg[FAKEDNS_FLOOD_MIX];
	endless = (mix & FDF_ENDLESS) != 0;
	if (n > FDF_FLOOD_MAX)
		n = FDF_FLOOD_MAX;
	if (n == 0 && !endless)
		return 0;
	s = stream_new(streams, base, l, peer, plen, endless, alen);
	if (!s) {
		/* no room for one more flood in progress: all of it now,
		 * then the caller sends the answer (unless endless) */
		uint8_t j[FDF_JUNK_CAP];
		unsigned i;
		int other;

		for (i = 0; i < n; i++) {
			size_t len = fdf_junk(ans, alen, mix, i, 0, j,
					      sizeof(j), &other);

			send(l, peer, plen, other, j, len);
		}
		return endless;
	}
	s->send = send;
	s->l = l;
	memcpy(&s->peer, peer, plen);
	s->plen = plen;
	s->mix = mix;
	s->left = n;
	s->endless = endless;
	s->answer_other = answer_other;
	s->end_ms = now_ms() + FDF_ENDLESS_MS;
	s->alen = alen;
	memcpy(s->ans, ans, alen);
	event_add(s->ev, &now);	/* n == 0: straight to the endless phase */
	return 1;
}

void fdf_tcp_junk(const struct fdz_behav *b, fdf_write_fn *write, void *conn,
		  const uint8_t *ans, size_t alen)
{
	unsigned n = b->arg[FAKEDNS_TCP_JUNK], mix = 0, i;
	uint8_t j[FDF_JUNK_CAP];
	int other;

	if (!n)
		n = FDF_TCP_JUNK_DEFAULT;
	if (n > FDF_TCP_JUNK_MAX)
		n = FDF_TCP_JUNK_MAX;
	if (fdz_has(b, FAKEDNS_FLOOD_MIX))
		mix = b->arg[FAKEDNS_FLOOD_MIX];
	for (i = 0; i < n; i++) {
		size_t len = fdf_junk(ans, alen, mix, i, 1, j, sizeof(j),
				      &other);
		uint8_t pre[2] = { (uint8_t)(len >> 8), (uint8_t)len };

		write(conn, pre, 2);	/* RFC 1035 §4.2.2 framing */
		write(conn, j, len);
	}
}
