/* The lookup state machine (src/dns/lookup*.c) against small in-test DNS
 * responders on 127.0.0.1 (a UDP socket and a TCP socket each, served from
 * a thread).  Snapshots are built by hand; timeouts are 1 s. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "dns/flood.h"
#include "dns/lookup.h"
#include "dns/wire.h"
#include "rfcres.h"
#include "sys.h"

/* ---- trace capture ---------------------------------------------------------- */

#define MAXEV 4096
static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static char ev_name[MAXEV][32];
static char ev_text[MAXEV][256];
static unsigned nev;

static void hook(const struct rfcres_trace_event *ev, void *arg)
{
	(void)arg;
	pthread_mutex_lock(&ev_lock);
	/* keep room for the events after a flood of drops */
	bool keep = nev < MAXEV / 2 || strcmp(ev->name, "dns.drop") != 0;
	if (nev < MAXEV && keep) {
		snprintf(ev_name[nev], sizeof ev_name[0], "%s", ev->name);
		snprintf(ev_text[nev], sizeof ev_text[0], "%s", ev->text);
		nev++;
	}
	pthread_mutex_unlock(&ev_lock);
}

static unsigned count_ev(const char *name, const char *sub)
{
	unsigned c = 0;
	for (unsigned i = 0; i < nev; i++)
		if (strcmp(ev_name[i], name) == 0 &&
		    (!sub || strstr(ev_text[i], sub)))
			c++;
	return c;
}

/* ---- responder ---------------------------------------------------------------- */

enum tcp_mode { TCP_ANSWER, TCP_REFUSE, TCP_SILENT };

struct resp {
	int udp, tcp;
	uint16_t port;
	pthread_t th;
	atomic_bool stop;
	/* behaviour */
	const char *exists;    /* only this name exists (NULL: every name) */
	unsigned n_a, n_aaaa;
	int rcode;             /* forced RCODE (-1: none) */
	const char *servfail_for; /* SERVFAIL for this name only */
	unsigned tc_over;      /* UDP: TC when more A records than this */
	bool formerr_edns;     /* FORMERR (no question) to queries with OPT */
	const char *cname_to;
	const char *ptr;
	bool junk;             /* hostile datagrams before each answer */
	unsigned flood;        /* that many zero-length datagrams first */
	bool wrong_id_only;
	bool silent_udp;
	bool drop_second;      /* drop the 2nd of two parallel queries */
	enum tcp_mode tcp_mode;
	unsigned aaaa_delay_ms; /* UDP AAAA answers held this long */
	uint8_t held[4096];     /* the held answer ... */
	size_t held_len;
	struct sockaddr_storage held_to;
	socklen_t held_tl;
	uint64_t held_due;      /* ... sent at this CLOCK_MONOTONIC ns */
	/* observations */
	atomic_uint udp_q, tcp_q, concurrent;
	atomic_uint saw_edns;
	char names[16][128];   /* qnames seen, in order (UDP + TCP) */
	atomic_uint nnames;
};

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static size_t rr(uint8_t *o, unsigned owner, unsigned type,
		 const void *rdata, unsigned rdlen)
{
	put16(o, 0xc000 | owner);
	put16(o + 2, type);
	put16(o + 4, 1);
	put16(o + 6, 0);
	put16(o + 8, 60);
	put16(o + 10, rdlen);
	memcpy(o + 12, rdata, rdlen);
	return 12 + rdlen;
}

static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s += 32;
}

/* Builds the answer to query q into out; returns its length (0: none). */
static size_t answer(struct resp *R, const uint8_t *q, size_t qn, bool tcp,
		     uint8_t *out, size_t cap)
{
	if (qn < 17)
		return 0;
	size_t p = 12;
	while (p < qn && q[p])
		p += 1u + q[p];
	if (p + 5 > qn)
		return 0;
	size_t qend = p + 5;
	unsigned qtype = wire_get16(q + p + 1);
	char name[WIRE_TEXT_MAX];
	wire_name_to_text(q + 12, name, sizeof name);
	lower(name);
	unsigned k = atomic_fetch_add(&R->nnames, 1);
	if (k < 16)
		snprintf(R->names[k], sizeof R->names[0], "%.100s/%u", name, qtype);
	bool edns = wire_get16(q + 10) > 0;
	if (edns)
		atomic_fetch_add(&R->saw_edns, 1);
	memset(out, 0, 12);
	memcpy(out, q, 2);
	out[2] = 0x84 | (q[2] & 1);
	out[3] = 0x80;
	if (R->formerr_edns && edns) {
		out[3] |= 1;
		return 12; /* FORMERR, no question (as many servers do) */
	}
	put16(out + 4, 1);
	memcpy(out + 12, q + 12, qend - 12);
	size_t o = qend;
	if (R->rcode >= 0) {
		out[3] |= (uint8_t)R->rcode;
		return o;
	}
	if (R->servfail_for && strcmp(R->servfail_for, name) == 0) {
		out[3] |= 2;
		return o;
	}
	if (R->exists && strcmp(R->exists, name) != 0) {
		out[3] |= 3;
		return o;
	}
	unsigned an = 0, owner = 12;
	if (R->cname_to) {
		uint8_t w[WIRE_NAME_MAX];
		size_t wl;
		bool abs;
		wire_name_from_text(R->cname_to, w, &wl, &abs);
		o += rr(out + o, 12, WIRE_T_CNAME, w, (unsigned)wl);
		owner = (unsigned)(o - wl);
		an++;
	}
	if (qtype == WIRE_T_PTR && R->ptr) {
		uint8_t w[WIRE_NAME_MAX];
		size_t wl;
		bool abs;
		wire_name_from_text(R->ptr, w, &wl, &abs);
		o += rr(out + o, owner, WIRE_T_PTR, w, (unsigned)wl);
		an++;
	}
	if (qtype == WIRE_T_A) {
		if (!tcp && R->n_a > R->tc_over) {
			out[2] |= 2; /* TC, nothing else */
			return o;
		}
		for (unsigned i = 0; i < R->n_a && o + 16 < cap; i++) {
			uint8_t a[4] = { 10, 0, (uint8_t)(i >> 8), (uint8_t)i };
			o += rr(out + o, owner, WIRE_T_A, a, 4);
			an++;
		}
	}
	if (qtype == WIRE_T_AAAA) {
		if (!tcp && R->n_aaaa > R->tc_over) {
			out[2] |= 2;
			return o;
		}
		for (unsigned i = 0; i < R->n_aaaa; i++) {
			uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8 };
			a[15] = (uint8_t)(i + 1);
			o += rr(out + o, owner, WIRE_T_AAAA, a, 16);
			an++;
		}
	}
	put16(out + 6, an);
	return o;
}

static void send_junk(struct resp *R, const struct sockaddr *to, socklen_t tl,
		      const uint8_t *q, size_t qn)
{
	uint8_t b[600];
	/* zero-length, short, a query (QR=0), wrong ID, wrong question,
	 * and a pointer loop with the right ID */
	sendto(R->udp, b, 0, 0, to, tl);
	sendto(R->udp, "\1\2\3\4\5", 5, 0, to, tl);
	sendto(R->udp, q, qn, 0, to, tl);
	size_t n = answer(R, q, qn, false, b, sizeof b);
	atomic_fetch_sub(&R->nnames, 1);
	b[0] ^= 0x55;
	sendto(R->udp, b, n, 0, to, tl);
	b[0] ^= 0x55;
	b[13] ^= 0x20 ^ 0x01; /* changes a letter of the echoed question */
	sendto(R->udp, b, n, 0, to, tl);
	b[13] ^= 0x20 ^ 0x01;
	uint8_t loop[64];
	memcpy(loop, b, 12);
	put16(loop + 4, 1);
	put16(loop + 6, 0);
	put16(loop + 8, 0);
	put16(loop + 10, 0);
	put16(loop + 12, 0xc00c); /* question name points at itself */
	sendto(R->udp, loop, 16, 0, to, tl);
}

static unsigned qtype_of(const uint8_t *q, size_t qn)
{
	size_t p = 12;
	while (p < qn && q[p])
		p += 1u + q[p];
	return p + 3 <= qn ? wire_get16(q + p + 1) : 0;
}

static void serve_udp(struct resp *R)
{
	uint8_t q[2][1500], out[4096];
	ssize_t qn[2];
	struct sockaddr_storage from[2];
	socklen_t fl[2] = { sizeof from[0], sizeof from[1] };
	qn[0] = recvfrom(R->udp, q[0], sizeof q[0], MSG_DONTWAIT,
			 (struct sockaddr *)&from[0], &fl[0]);
	if (qn[0] <= 0)
		return;
	atomic_fetch_add(&R->udp_q, 1);
	int nq = 1;
	if (R->drop_second) {
		/* Does a second query come while the first is unanswered? */
		struct pollfd pf = { .fd = R->udp, .events = POLLIN };
		if (poll(&pf, 1, 150) == 1) {
			qn[1] = recvfrom(R->udp, q[1], sizeof q[1], 0,
					 (struct sockaddr *)&from[1], &fl[1]);
			if (qn[1] > 0) {
				atomic_fetch_add(&R->udp_q, 1);
				atomic_fetch_add(&R->concurrent, 1);
			}
		}
	}
	if (R->silent_udp)
		return;
	for (int i = 0; i < nq; i++) {
		const struct sockaddr *to = (const struct sockaddr *)&from[i];
		for (unsigned f = 0; f < R->flood; f++)
			sendto(R->udp, out, 0, 0, to, fl[i]);
		if (R->junk)
			send_junk(R, to, fl[i], q[i], (size_t)qn[i]);
		size_t n = answer(R, q[i], (size_t)qn[i], false, out,
				  sizeof out);
		if (!n)
			continue;
		if (R->wrong_id_only)
			out[1] ^= 1;
		if (R->aaaa_delay_ms && qtype_of(q[i], (size_t)qn[i]) ==
					       WIRE_T_AAAA && !R->held_len) {
			memcpy(R->held, out, n);
			R->held_len = n;
			memcpy(&R->held_to, to, fl[i]);
			R->held_tl = fl[i];
			R->held_due = sys_now_ns() +
				      R->aaaa_delay_ms * 1000000ull;
			continue;
		}
		sendto(R->udp, out, n, 0, to, fl[i]);
	}
}

static bool read_full(int fd, uint8_t *b, size_t n)
{
	size_t got = 0;
	while (got < n) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (poll(&pf, 1, 3000) != 1)
			return false;
		ssize_t r = read(fd, b + got, n - got);
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

static void serve_tcp(struct resp *R)
{
	int c = accept(R->tcp, NULL, NULL);
	if (c < 0)
		return;
	static uint8_t q[65536], out[65536 + 2];
	for (int k = 0; k < 4; k++) {
		uint8_t l[2];
		if (!read_full(c, l, 2))
			break;
		size_t n = wire_get16(l);
		if (!read_full(c, q, n))
			break;
		atomic_fetch_add(&R->tcp_q, 1);
		size_t m = answer(R, q, n, true, out + 2, sizeof out - 2);
		put16(out, (unsigned)m);
		/* write in two pieces to exercise partial reads */
		size_t half = (m + 2) / 2;
		if (send(c, out, half, MSG_NOSIGNAL) < 0)
			break;
		usleep(2000);
		if (send(c, out + half, m + 2 - half, MSG_NOSIGNAL) < 0)
			break;
	}
	close(c);
}

static void *resp_main(void *arg)
{
	struct resp *R = arg;
	while (!atomic_load(&R->stop)) {
		struct pollfd pf[2] = { { .fd = R->udp, .events = POLLIN },
					{ .fd = R->tcp_mode == TCP_ANSWER ? R->tcp
									  : -1,
					  .events = POLLIN } };
		int pr = poll(pf, 2, R->held_len ? 2 : 20);
		if (R->held_len && sys_now_ns() >= R->held_due) {
			sendto(R->udp, R->held, R->held_len, 0,
			       (struct sockaddr *)&R->held_to, R->held_tl);
			R->held_len = 0;
		}
		if (pr <= 0)
			continue;
		if (pf[0].revents & POLLIN)
			serve_udp(R);
		if (pf[1].revents & POLLIN)
			serve_tcp(R);
	}
	return NULL;
}

static struct resp *resp_new(void)
{
	struct resp *R = calloc(1, sizeof *R);
	R->rcode = -1;
	R->n_a = 2;
	R->n_aaaa = 1;
	R->tc_over = 1000;
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	/* a port free for both UDP and TCP */
	for (int tries = 0; tries < 50; tries++) {
		R->udp = socket(AF_INET, SOCK_DGRAM, 0);
		sin.sin_port = 0;
		assert_int_equal(bind(R->udp, (void *)&sin, sizeof sin), 0);
		socklen_t sl = sizeof sin;
		getsockname(R->udp, (void *)&sin, &sl);
		R->tcp = socket(AF_INET, SOCK_STREAM, 0);
		int one = 1;
		setsockopt(R->tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(R->tcp, (void *)&sin, sizeof sin) == 0)
			break;
		close(R->udp);
		close(R->tcp);
		R->udp = R->tcp = -1;
	}
	assert_true(R->udp >= 0);
	R->port = ntohs(sin.sin_port);
	return R;
}

static void resp_start(struct resp *R)
{
	/* TCP_REFUSE: bound but not listening, so connect gets RST */
	if (R->tcp_mode != TCP_REFUSE)
		assert_int_equal(listen(R->tcp, 8), 0);
	pthread_create(&R->th, NULL, resp_main, R);
}

static void resp_free(struct resp *R)
{
	atomic_store(&R->stop, true);
	pthread_join(R->th, NULL);
	close(R->udp);
	close(R->tcp);
	free(R);
}

/* ---- snapshots -------------------------------------------------------------- */

static struct conf_resolv rc;
static struct conf_snapshot snap;

static void mk_snap(struct resp **rs, unsigned n, unsigned attempts,
		    unsigned opts)
{
	memset(&rc, 0, sizeof rc);
	memset(&snap, 0, sizeof snap);
	for (unsigned i = 0; i < n; i++) {
		struct sockaddr_in *s = &rc.ns[i].addr.sin;
		s->sin_family = AF_INET;
		s->sin_port = htons(rs[i]->port);
		s->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		rc.ns[i].addrlen = sizeof *s;
	}
	rc.nns = n;
	rc.ndots = 1;
	rc.timeout = 1;
	rc.attempts = attempts;
	rc.opts = opts;
	atomic_init(&snap.refs, 1);
	snap.resolv = &rc;
}

static char *search2[] = { "a.test", "b.test", NULL };

static uint64_t t0;

static int setup(void **state)
{
	(void)state;
	nev = 0;
	rfcres_set_trace(hook, NULL);
	t0 = sys_now_ns();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rfcres_set_trace(NULL, NULL);
	sys_reset();
	/* the lookup released its reference; ours is the last */
	assert_int_equal(atomic_load(&snap.refs), 1);
	return 0;
}

static double elapsed(void)
{
	return (double)(sys_now_ns() - t0) / 1e9;
}

static struct dns_result res;

static int run(const char *name, unsigned want)
{
	free(res.addrs);
	memset(&res, 0, sizeof res);
	return dns_lookup_run(&snap, name, want, &res);
}

/* ---- tests ----------------------------------------------------------------- */

static void test_parallel_a_aaaa(void **state)
{
	(void)state;
	struct resp *R = resp_new();
	R->cname_to = "real.test";
	resp_start(R);
	mk_snap(&R, 1, 2, 0);
	assert_int_equal(run("www.test", DNS_WANT_A | DNS_WANT_AAAA), 0);
	assert_int_equal(res.naddrs, 3);
	assert_int_equal(res.addrs[0].family, AF_INET);
	assert_int_equal(res.addrs[0].addr[3], 0);
	assert_int_equal(res.addrs[1].addr[3], 1);
	assert_int_equal(res.addrs[2].family, AF_INET6);
	assert_string_equal(res.canon, "real.test");
	assert_int_equal(atomic_load(&R->udp_q), 2);
	assert_int_equal(count_ev("dns.send", "transport=udp"), 2);
	assert_int_equal(count_ev("dns.done", "eai=0"), 1);
	resp_free(R);
}

/* glibc bug 12154 (tst-resolv-invalid-cname): a CNAME target that is no
 * host name (res_hnok) is followed for the addresses but never becomes the
 * canonical name; the query name stays the canonical name. */
static void test_canon_skips_invalid_target(void **state)
{
	(void)state;
	struct resp *R = resp_new();
	R->cname_to = "*.real.test";
	resp_start(R);
	mk_snap(&R, 1, 1, 0);
	assert_int_equal(run("www.test", DNS_WANT_A | DNS_WANT_AAAA), 0);
	assert_int_equal(res.naddrs, 3);
	assert_string_equal(res.canon, "www.test");
	R->cname_to = "-x.real.test";
	assert_int_equal(run("www.test", DNS_WANT_A), 0);
	assert_int_equal(res.naddrs, 2);
	assert_string_equal(res.canon, "www.test");
	/* '_' is allowed (glibc binary_hnok), so is '-' inside a name */
	R->cname_to = "_x.real-1.test";
	assert_int_equal(run("www.test", DNS_WANT_A), 0);
	assert_string_equal(res.canon, "_x.real-1.test");
	resp_free(R);
}

/* A and AAAA leave in one sendmmsg() and their answers are read with
 * recvmmsg(); without them (ENOSYS: old kernel, seccomp) or after a short
 * batch, one datagram per call -- the answers are the same. */
static unsigned n_sendmmsg, n_send, n_recvmmsg, n_recvfrom, n_recvmsg;
static bool mmsg_enosys, sendmmsg_short;
static int c_sendmmsg(int fd, struct mmsghdr *v, unsigned n, int f)
{
	n_sendmmsg++;
	if (mmsg_enosys) {
		errno = ENOSYS;
		return -1;
	}
	if (sendmmsg_short && n > 1)
		n = 1; /* the kernel stopped after the first */
	return sendmmsg(fd, v, n, f);
}
static ssize_t c_send(int fd, const void *b, size_t l, int f)
{
	n_send++;
	return send(fd, b, l, f);
}
static int c_recvmmsg(int fd, struct mmsghdr *v, unsigned n, int f,
		      struct timespec *t)
{
	n_recvmmsg++;
	if (mmsg_enosys) {
		errno = ENOSYS;
		return -1;
	}
	return recvmmsg(fd, v, n, f, t);
}
static ssize_t c_recvfrom(int fd, void *b, size_t l, int f,
			  struct sockaddr *a, socklen_t *al)
{
	n_recvfrom++;
	return recvfrom(fd, b, l, f, a, al);
}
static ssize_t c_recvmsg(int fd, struct msghdr *m, int f)
{
	n_recvmsg++;
	return recvmsg(fd, m, f);
}

static void batched_run(struct resp *R)
{
	n_sendmmsg = n_send = n_recvmmsg = n_recvfrom = n_recvmsg = 0;
	nev = 0;
	assert_int_equal(run("www.test", DNS_WANT_A | DNS_WANT_AAAA), 0);
	assert_int_equal(res.naddrs, 3);
	assert_int_equal(res.addrs[2].family, AF_INET6);
	assert_int_equal(count_ev("dns.send", "transport=udp"), 2);
	assert_int_equal(count_ev("dns.drop", NULL), 0);
	(void)R;
}

static void test_batched_udp(void **state)
{
	(void)state;
	struct resp *R = resp_new();
	resp_start(R);
	mk_snap(&R, 1, 2, 0);
	rfcres_sys.sendmmsg = c_sendmmsg;
	rfcres_sys.send = c_send;
	rfcres_sys.recvmmsg = c_recvmmsg;
	rfcres_sys.recvfrom = c_recvfrom;
	rfcres_sys.recvmsg = c_recvmsg;
	mmsg_enosys = sendmmsg_short = false;

	batched_run(R);
	assert_int_equal(n_sendmmsg, 1);
	assert_int_equal(n_send, 0);
	/* both answers in one call, or one per call if the second came
	 * later; never an extra call that finds nothing */
	assert_in_range(n_recvmmsg, 1, 2);
	assert_int_equal(n_recvfrom + n_recvmsg, 0);
	assert_int_equal(atomic_load(&R->udp_q), 2);

	/* the kernel sends only the first: the second goes by send() */
	sendmmsg_short = true;
	batched_run(R);
	assert_int_equal(n_sendmmsg, 1);
	assert_int_equal(n_send, 1);
	sendmmsg_short = false;

	/* no sendmmsg/recvmmsg at all: asked once each, then never again */
	mmsg_enosys = true;
	batched_run(R);
	assert_int_equal(n_sendmmsg, 1);
	assert_int_equal(n_send, 2);
	assert_int_equal(n_recvmmsg, 1);
	assert_in_range(n_recvmsg, 2, 3);
	batched_run(R);
	assert_int_equal(n_sendmmsg + n_recvmmsg, 0);
	assert_int_equal(n_send, 2);
	assert_in_range(n_recvmsg, 2, 3);
	mmsg_enosys = false;
	resp_free(R);
}

static void test_single_request(void **state)
{
	(void)state;
	struct resp *R = resp_new();
	R->drop_second = true; /* also observes concurrency */
	resp_start(R);
	mk_snap(&R, 1, 1, CONF_OPT_SINGLE_REQUEST);
	assert_int_equal(run("www.test", DNS_WANT_A | DNS_WANT_AAAA), 0);
	assert_int_equal(res.naddrs, 3);
	assert_int_equal(atomic_load(&R->concurrent), 0);
	assert_int_equal(atomic_load(&R->udp_q), 2);
	assert_int_equal(count_ev("dns.reopen", NULL), 0);
	resp_free(R);
}

static void test_single_request_reopen(void **state)
{
	(void)state;
	struct resp *R = resp_new();
	R->drop_second = true;
	resp_start(R);
	mk_snap(&R, 1, 1, CONF_OPT_SINGLE_REQUEST_REOPEN);
	assert_int_equal(run("www.test", DNS_WANT_A | DNS_WANT_AAAA), 0);
	assert_int_equal(res.naddrs, 3);
	assert_int_equal(atomic_load(&R->concurrent), 0);
	assert_int_equal(count_ev("dns.reopen", NULL), 1);
	resp_free(R);
}

/* A server that drops the second of two parallel queries: the lookup
 * still gets both answers and the snapshot learns single-request. */
static void test_learn_single_request(void **state)
{
	(void)state;
	struct resp *R = resp_new();
	R->drop_second = true;
	resp_start(R);
	mk_snap(&R, 1, 1, 0);
	assert_int_equal(run("www.test", DNS_WANT_A | DNS_WANT_AAAA), 0);
	assert_int_equal(res.naddrs, 3);
	assert_int_equal(atomic_load(&R->concurrent), 1);
	assert_true(atomic_load(&snap.learned[0]) & CONF_LEARN_SINGLE_REQUEST);
	assert_int_equal(count_ev("dns.learn", "flag=single-request"), 1);
	/* the next lookup on this snapshot sends one at a time */
	nev = 0;
	assert_int_equal(run("www.test", DNS_WANT_A | DNS_WANT_AAAA), 0);
	assert_int_equal(res.naddrs, 3);
	assert_int_equal(atomic_load(&R->concurrent), 1);
	assert_int_equal(count_ev("dns.timeout", NULL), 0);
	resp_free(R);
}

static void test_tc_tcp_256(void **state)
{
	(void)state;
	struct resp *R = resp_new();
	R->n_a = 256;
	R->tc_over = 30;
	resp_start(R);
	mk_snap(&R, 1, 2, CONF_OPT_EDNS0);
	assert_int_equal(run("big.test", DNS_WANT_A | DNS_WANT_AAAA), 0);
	assert_int_equal(res.naddrs, 257);
	for (unsigned i = 0; i < 256; i++) {
		assert_int_equal(res.addrs[i].family, AF_INET);
		assert_int_equal(res.addrs[i].addr[2], i >> 8);
		assert_int_equal(res.addrs[i].addr[3], i & 255);
	}
	assert_int_equal(res.addrs[256].family, AF_INET6);
	assert_int_equal(count_ev("dns.tc", NULL), 1);
	/* only the truncated A goes over TCP: the AAAA fits in UDP */
	assert_int_equal(atomic_load(&R->tcp_q), 1);
	assert_int_equal(count_ev("dns.send", "transport=tcp"), 1);
	assert_int_equal(count_ev("dns.send", "qtype=AAAA"), 1);
	assert_true(atomic_load(&R->saw_edns) >= 2);
	resp_free(R);
}

/* The AAAA answer arrives over UDP only after the truncated A has been
 * answered over TCP: the step waits for it (the TCP part being done does
 * not end the step), and the AAAA is never asked again over TCP. */
static void test_tc_tcp_late_udp_aaaa(void **state)
{
	(void)state;
	struct resp *R = resp_new();
	R->n_a = 256;
	R->tc_over = 30;
	R->aaaa_delay_ms = 150;
	resp_start(R);
	mk_snap(&R, 1, 1, 0);
	assert_int_equal(run("big.test", DNS_WANT_A | DNS_WANT_AAAA), 0);
	assert_int_equal(res.naddrs, 257);
	assert_int_equal(res.addrs[256].family, AF_INET6);
	assert_int_equal(atomic_load(&R->tcp_q), 1);
	assert_int_equal(count_ev("dns.accept", "transport=tcp"), 1);
	assert_int_equal(count_ev("dns.accept", "transport=udp id"), 2);
	assert_int_equal(count_ev("dns.tcp.fail", NULL), 0);
	/* the AAAA came after the TCP answer */
	unsigned tcp_at = 0, aaaa_at = 0;
	for (unsigned i = 0; i < nev; i++) {
		if (!strcmp(ev_name[i], "dns.accept") &&
		    strstr(ev_text[i], "transport=tcp"))
			tcp_at = i;
		if (!strcmp(ev_name[i], "dns.accept") &&
		    strstr(ev_text[i], "qtype=AAAA"))
			aaaa_at = i;
	}
	assert_true(tcp_at > 0 && aaaa_at > tcp_at);
	resp_free(R);
}

/* Both answers truncated: both are asked over TCP, each exactly once. */
static void test_tc_tcp_both(void **state)
{
	(void)state;
	struct resp *R = resp_new();
	R->n_a = 100;
	R->n_aaaa = 40;
	R->tc_over = 10;
	resp_start(R);
	mk_snap(&R, 1, 1, 0);
	assert_int_equal(run("big.test", DNS_WANT_A | DNS_WANT_AAAA), 0);
	assert_int_equal(res.naddrs, 140);
	assert_int_equal(count_ev("dns.tc", NULL), 2);
	assert_int_equal(atomic_load(&R->tcp_q), 2);
	assert_int_equal(count_ev("dns.send", "transport=tcp"), 2);
	resp_free(R);
}

static void test_tcp_refused_next_server(void **state)
{
	(void)state;
	struct resp *R[2] = { resp_new(), resp_new() };
	R[0]->n_a = 100;
	R[0]->tc_over = 10;
	R[0]->tcp_mode = TCP_REFUSE;
	R[1]->n_a = 3;
	resp_start(R[0]);
	resp_start(R[1]);
	mk_snap(R, 2, 1, 0);
	assert_int_equal(run("big.test", DNS_WANT_A), 0);
	assert_int_equal(res.naddrs, 3);
	assert_int_equal(count_ev("dns.tcp.fail", "reason=refused"), 1);
	assert_int_equal(atomic_load(&R[1]->udp_q), 1);
	resp_free(R[0]);
	resp_free(R[1]);
}

static void test_tcp_silent_bounded(void **state)
{
	(void)state;
	struct resp *R = resp_new();
	R->n_a = 100;
	R->tc_over = 10;
	R->tcp_mode = TCP_SILENT; /* listens, never accepts or answers */
	resp_start(R);
	mk_snap(&R, 1, 2, 0);
	assert_int_equal(run("big.test", DNS_WANT_A), EAI_AGAIN);
	assert_int_equal(res.naddrs, 0);
	assert_int_equal(count_ev("dns.tcp.fail", "reason=timeout"), 1);
	/* never the truncated UDP answer, never minutes (seed 004) */
	assert_true(elapsed() < 10.0);
	resp_free(R);
}

static void test_servfail_next_server(void **state)
{
	(void)state;
	struct resp *R[2] = { resp_new(), resp_new() };
	R[0]->rcode = 2;
	resp_start(R[0]);
	resp_start(R[1]);
	mk_snap(R, 2, 2, 0);
	assert_int_equal(run("www.test", DNS_WANT_A | DNS_WANT_AAAA), 0);
	assert_int_equal(res.naddrs, 3);
	assert_int_equal(count_ev("dns.rcode", "rcode=SERVFAIL"), 2);
	assert_int_equal(count_ev("dns.timeout", NULL), 0);
	/* every server failing: EAI_AGAIN */
	R[1]->rcode = 5;
	nev = 0;
	assert_int_equal(run("www.test", DNS_WANT_A), EAI_AGAIN);
	assert_int_equal(count_ev("dns.rcode", "rcode=REFUSED"), 2);
	resp_free(R[0]);
	resp_free(R[1]);
}

static void test_search_list(void **state)
{
	(void)state;
	struct resp *R = resp_new();
	R->exists = "host.b.test";
	resp_start(R);
	mk_snap(&R, 1, 1, 0);
	rc.search = search2;
	rc.nsearch = 2;
	assert_int_equal(run("host", DNS_WANT_A), 0);
	assert_int_equal(res.naddrs, 2);
	assert_string_equal(res.canon, "host.b.test");
	assert_int_equal(atomic_load(&R->nnames), 2);
	assert_string_equal(R->names[0], "host.a.test/1");
	assert_string_equal(R->names[1], "host.b.test/1");

	/* nothing exists: both suffixes, then the name as is; NONAME */
	R->exists = "nothing";
	atomic_store(&R->nnames, 0);
	nev = 0;
	assert_int_equal(run("host", DNS_WANT_A), EAI_NONAME);
	assert_int_equal(atomic_load(&R->nnames), 3);
	assert_string_equal(R->names[0], "host.a.test/1");
	assert_string_equal(R->names[1], "host.b.test/1");
	assert_string_equal(R->names[2], "host/1");
	assert_int_equal(count_ev("dns.search", NULL), 3);

	/* enough dots: as is first */
	atomic_store(&R->nnames, 0);
	assert_int_equal(run("x.y", DNS_WANT_A), EAI_NONAME);
	assert_int_equal(atomic_load(&R->nnames), 3);
	assert_string_equal(R->names[0], "x.y/1");
	assert_string_equal(R->names[2], "x.y.b.test/1");

	/* trailing dot: exactly that name */
	atomic_store(&R->nnames, 0);
	assert_int_equal(run("host.", DNS_WANT_A), EAI_NONAME);
	assert_int_equal(atomic_load(&R->nnames), 1);
	assert_string_equal(R->names[0], "host/1");

	/* no-tld-query: never "host" alone */
	rc.opts = CONF_OPT_NO_TLD_QUERY;
	atomic_store(&R->nnames, 0);
	assert_int_equal(run("host", DNS_WANT_A), EAI_NONAME);
	assert_int_equal(atomic_load(&R->nnames), 2);

	/* NODATA somewhere on the way: EAI_NODATA (glibc got_nodata) */
	rc.opts = 0;
	R->exists = "host.a.test";
	R->n_aaaa = 0;
	atomic_store(&R->nnames, 0);
	nev = 0;
	assert_int_equal(run("host", DNS_WANT_AAAA), EAI_NODATA);
	assert_int_equal(atomic_load(&R->nnames), 3);

	/* an invalid name is never sent */
	atomic_store(&R->nnames, 0);
	assert_int_equal(run("a..b", DNS_WANT_A), EAI_NONAME);
	assert_int_equal(atomic_load(&R->nnames), 0);
	assert_int_equal(count_ev("dns.name-invalid", "reason=empty-label"), 1);
	resp_free(R);
	rc.search = NULL;
}

static void test_junk_ignored(void **state)
{
	(void)state;
	/* six hostile datagrams before the answer: each dropped with its
	 * reason, fewer than the flood threshold, so UDP goes on */
	struct resp *R = resp_new();
	R->junk = true;
	resp_start(R);
	mk_snap(&R, 1, 2, 0);
	assert_int_equal(run("www.test", DNS_WANT_A), 0);
	assert_int_equal(res.naddrs, 2);
	assert_true(count_ev("dns.drop", "reason=empty") >= 1);
	assert_true(count_ev("dns.drop", "reason=short") >= 1);
	assert_true(count_ev("dns.drop", "reason=not-response") >= 1);
	assert_true(count_ev("dns.drop", "reason=id") >= 1);
	assert_true(count_ev("dns.drop", "reason=question-mismatch") >= 1);
	assert_true(count_ev("dns.drop", "reason=pointer-not-backwards") >= 1);
	assert_int_equal(count_ev("dns.flood", NULL), 0);
	assert_int_equal(atomic_load(&R->tcp_q), 0);
	resp_free(R);
}

static void test_wrong_id_dropped(void **state)
{
	(void)state;
	struct resp *R = resp_new();
	R->wrong_id_only = true;
	resp_start(R);
	mk_snap(&R, 1, 1, 0);
	assert_int_equal(run("www.test", DNS_WANT_A), EAI_AGAIN);
	assert_int_equal(res.naddrs, 0);
	assert_true(count_ev("dns.drop", "reason=id") >= 1);
	assert_int_equal(count_ev("dns.timeout", NULL), 1);
	assert_true(elapsed() < 10.0);
	resp_free(R);
}

/* 10,000 junk datagrams and no valid UDP answer: at the flood threshold,
 * or when the kernel's drop counter shows the socket overflowing (RFC
 * 5452 9.3), the lookup leaves UDP for TCP to the same server, which
 * answers; the junk is read no further.  With TCP silent, the lookup
 * ends when the TCP exchange times out, with EAI_AGAIN. */
static void test_flood_bounded(void **state)
{
	(void)state;
	struct resp *R = resp_new();
	R->flood = 10000;
	R->wrong_id_only = true;
	resp_start(R);
	mk_snap(&R, 1, 1, 0);
	assert_int_equal(run("www.test", DNS_WANT_A), 0);
	assert_int_equal(res.naddrs, 2);
	assert_int_equal(count_ev("dns.flood", "fallback=tcp"), 1);
	/* the threshold, or fewer when the kernel dropped some already */
	assert_true(count_ev("dns.drop", "reason=empty") >= 1);
	assert_true(count_ev("dns.drop", NULL) <= DNS_FLOOD_THRESHOLD);
	assert_int_equal(atomic_load(&R->tcp_q), 1);
	assert_true(elapsed() < 10.0);
	resp_free(R);

	nev = 0;
	R = resp_new();
	R->flood = 10000;
	R->wrong_id_only = true;
	R->tcp_mode = TCP_SILENT;
	resp_start(R);
	mk_snap(&R, 1, 1, 0);
	assert_int_equal(run("www.test", DNS_WANT_A), EAI_AGAIN);
	assert_int_equal(count_ev("dns.flood", "fallback=tcp"), 1);
	assert_int_equal(count_ev("dns.tcp.fail", "reason=timeout"), 1);
	assert_true(elapsed() < 10.0);
	resp_free(R);
}

static void test_refused_port_next_server(void **state)
{
	(void)state;
	/* server 0: a UDP port nobody listens on (ICMP port unreachable) */
	struct resp *dead = resp_new();
	close(dead->udp);
	close(dead->tcp);
	struct resp *R = resp_new();
	resp_start(R);
	struct resp *rs[2] = { dead, R };
	mk_snap(rs, 2, 1, 0);
	assert_int_equal(run("www.test", DNS_WANT_A), 0);
	assert_int_equal(res.naddrs, 2);
	assert_int_equal(count_ev("dns.unreachable", "ECONNREFUSED"), 1);
	assert_int_equal(count_ev("dns.timeout", NULL), 0);
	free(dead);
	resp_free(R);
}

/* glibc bug 19791 (tst-resolv-search): an unreachable first server and a
 * SERVFAIL from the second for one suffix must not end the search list;
 * glibc's res_search goes on with the next suffix (errno is not
 * ECONNREFUSED once a reply came, and the reply's RCODE is SERVFAIL). */
static void test_unreachable_servfail_search(void **state)
{
	(void)state;
	struct resp *dead = resp_new();
	close(dead->udp);
	close(dead->tcp);
	struct resp *R = resp_new();
	R->servfail_for = "host.a.test";
	R->exists = "host.b.test";
	resp_start(R);
	struct resp *rs[2] = { dead, R };
	mk_snap(rs, 2, 1, 0);
	rc.search = search2;
	rc.nsearch = 2;
	assert_int_equal(run("host", DNS_WANT_A | DNS_WANT_AAAA), 0);
	assert_int_equal(res.naddrs, 3);
	assert_string_equal(res.canon, "host.b.test");
	assert_int_equal(count_ev("dns.name", "status=servfail"), 1);
	assert_int_equal(count_ev("dns.timeout", NULL), 0);

	/* nothing but unreachable servers: EAI_AGAIN at once, no other
	 * suffix (glibc: errno ECONNREFUSED ends res_search) */
	struct resp *dead2 = resp_new();
	close(dead2->udp);
	close(dead2->tcp);
	struct resp *rd[2] = { dead, dead2 };
	mk_snap(rd, 2, 1, 0);
	rc.search = search2;
	rc.nsearch = 2;
	nev = 0;
	assert_int_equal(run("host", DNS_WANT_A), EAI_AGAIN);
	assert_int_equal(count_ev("dns.search", NULL), 1);
	free(dead);
	free(dead2);
	resp_free(R);
	rc.search = NULL;
}

static void test_formerr_edns(void **state)
{
	(void)state;
	struct resp *R = resp_new();
	R->formerr_edns = true;
	resp_start(R);
	mk_snap(&R, 1, 1, CONF_OPT_EDNS0);
	assert_int_equal(run("www.test", DNS_WANT_A | DNS_WANT_AAAA), 0);
	assert_int_equal(res.naddrs, 3);
	assert_true(atomic_load(&snap.learned[0]) & CONF_LEARN_NO_EDNS);
	assert_int_equal(count_ev("dns.learn", "flag=no-edns"), 1);
	assert_int_equal(count_ev("dns.timeout", NULL), 0);
	resp_free(R);
}

static void test_use_vc_and_ptr(void **state)
{
	(void)state;
	struct resp *R = resp_new();
	R->ptr = "host.example";
	resp_start(R);
	mk_snap(&R, 1, 2, CONF_OPT_USE_VC);
	assert_int_equal(run("1.0.0.127.in-addr.arpa", DNS_WANT_PTR), 0);
	assert_string_equal(res.ptr, "host.example");
	assert_int_equal(atomic_load(&R->udp_q), 0);
	assert_int_equal(atomic_load(&R->tcp_q), 1);
	resp_free(R);
}

static void test_all_silent_bounded(void **state)
{
	(void)state;
	struct resp *R = resp_new();
	R->silent_udp = true;
	resp_start(R);
	mk_snap(&R, 1, 2, CONF_OPT_NO_AAAA);
	assert_int_equal(run("www.test", DNS_WANT_A | DNS_WANT_AAAA), EAI_AGAIN);
	assert_int_equal(count_ev("dns.timeout", NULL), 2);
	assert_int_equal(count_ev("dns.send", "qtype=AAAA"), 0);
	assert_int_equal(atomic_load(&R->udp_q), 2);
	assert_true(elapsed() < 10.0);
	resp_free(R);
}

/* options no-aaaa, only AAAA wanted (AF_INET6): glibc 2.36 (resolv/
 * res-noaaaa.c) sends an A query without EDNS in place of the AAAA one and
 * hides its records, so a name that exists is NODATA and one that does not
 * is NXDOMAIN (tst-resolv-noaaaa). */
static void test_no_aaaa_stand_in(void **state)
{
	(void)state;
	struct resp *R = resp_new();
	R->exists = "www.test";
	resp_start(R);
	mk_snap(&R, 1, 1, CONF_OPT_NO_AAAA | CONF_OPT_EDNS0);
	assert_int_equal(run("www.test", DNS_WANT_AAAA), EAI_NODATA);
	assert_int_equal(res.naddrs, 0);
	assert_int_equal(atomic_load(&R->nnames), 1);
	assert_string_equal(R->names[0], "www.test/1");
	assert_int_equal(count_ev("dns.no-aaaa", "stand-in=A"), 1);
	atomic_store(&R->nnames, 0);
	assert_int_equal(run("nothere.test", DNS_WANT_AAAA), EAI_NONAME);
	assert_int_equal(atomic_load(&R->nnames), 1);
	assert_string_equal(R->names[0], "nothere.test/1");
	assert_int_equal(atomic_load(&R->saw_edns), 0);
	/* both wanted: the A query alone, its answer kept */
	atomic_store(&R->nnames, 0);
	assert_int_equal(run("www.test", DNS_WANT_A | DNS_WANT_AAAA), 0);
	assert_int_equal(res.naddrs, 2);
	assert_int_equal(res.addrs[0].family, AF_INET);
	assert_int_equal(atomic_load(&R->nnames), 1);
	resp_free(R);
}

/* The machine driven by hand through pollfds/step, then cancelled. */
static void test_manual_drive_and_cancel(void **state)
{
	(void)state;
	struct resp *R = resp_new();
	R->silent_udp = true;
	resp_start(R);
	mk_snap(&R, 1, 1, 0);
	struct dns_lookup *l = dns_lookup_start(&snap, "www.test", DNS_WANT_A);
	assert_non_null(l);
	assert_int_equal(atomic_load(&snap.refs), 2);
	struct pollfd fds[DNS_LOOKUP_MAXFDS];
	uint64_t dl = 0;
	int n = dns_lookup_pollfds(l, fds, DNS_LOOKUP_MAXFDS, &dl);
	assert_int_equal(n, 1);
	assert_true(dl > sys_now_ns());
	fds[0].revents = 0;
	assert_false(dns_lookup_step(l, fds, n, sys_now_ns()));
	dns_lookup_free(l); /* cancellation */
	assert_int_equal(atomic_load(&snap.refs), 1);
	resp_free(R);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_parallel_a_aaaa, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_batched_udp, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_single_request, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_single_request_reopen,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_learn_single_request,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_tc_tcp_256, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tc_tcp_late_udp_aaaa,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_tc_tcp_both, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tcp_refused_next_server,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_silent_bounded, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unreachable_servfail_search,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_aaaa_stand_in, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_canon_skips_invalid_target,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_servfail_next_server,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_search_list, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_junk_ignored, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_wrong_id_dropped, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_flood_bounded, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refused_port_next_server,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_formerr_edns, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_use_vc_and_ptr, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_all_silent_bounded, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_manual_drive_and_cancel,
						setup, teardown),
	};
	int rc_ = cmocka_run_group_tests(tests, NULL, NULL);
	free(res.addrs);
	return rc_;
}
