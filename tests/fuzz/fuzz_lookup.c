/*
 * A whole lookup (dns_lookup_run: search list, servers, attempts, UDP, TC
 * -> TCP) driven by fuzzed replies through the injected transport.
 *
 * rfcres_sys's socket/connect/send/sendmsg/sendmmsg/recvfrom/recvmsg/
 * recvmmsg/poll/close/getsockopt/clock_gettime/getrandom are replaced by an
 * in-memory network
 * with a fake clock, so a run is deterministic and never waits.
 *
 * Input format (tests/fuzz/gen_corpus.py writes it):
 *   byte 0  configuration: bits 0-1 servers (1, 2, 3, 3 with IPv6),
 *           2 edns0, 3 single-request, 4 single-request-reopen, 5 use-vc,
 *           6 rotate, 7 trust-ad
 *   byte 1  query: bits 0-1 want (A+AAAA, A, AAAA, PTR), 2 short name with
 *           a search list, 3 attempts:1, 4 no-aaaa, 5 no-tld-query,
 *           6 TCP connect completes at once, 7 TCP connect is refused
 *           (6 and 7: refused by connect() itself)
 *   then records  [ctl][len hi][len lo][len bytes]
 *     ctl & 7: 0 UDP datagram from server (ctl >> 4) & 3
 *              1 the same from a wrong source port
 *              2 TCP message (the harness adds the 2-byte length)
 *              3 TCP raw bytes (length prefixes are the input's own;
 *                with ctl & 8 the record's first two bytes are an ID)
 *              4 TCP end of stream
 *              5 ICMP port unreachable on the server's UDP socket
 *              6 time passes: (first byte + 1) * 50 ms
 *              7 TCP connection reset (the next read fails ECONNRESET)
 *     ctl & 8: overwrite the message ID with the ID of the query it
 *              answers (same socket; same qtype when the reply's question
 *              is readable), so mutations reach the decoder's depths.
 *     ctl & 0x80 (UDP and TCP messages): the record is a header plus
 *              sections without a question; the harness inserts the
 *              question of the latest query on that socket (the one
 *              before it with ctl & 0x40) and sets QDCOUNT to 1, so
 *              answers for any search-list name can be fuzzed.
 * A record is delivered only when the library waits in poll() with
 * nothing readable; when the input is exhausted, time jumps to the
 * library's next timer.
 *
 * Checked: the lookup ends, within the deadline the configuration allows
 * (plus the time the input itself made pass); no fake socket is left open
 * or closed twice; the result is consistent with what was asked.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/uio.h>

#include "conf/conf.h"
#include "conf/conf_resolv.h"
#include "dns/lookup.h"
#include "dns/wire.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FK_FD0 1000
#define FK_MAXSOCK 16
#define FK_QMAX 64     /* queued datagrams / segments per socket */
#define FK_SENT 16     /* remembered queries per socket */
#define FK_MAX_POLLS 200000
#define NS 1000000ull
#define FK_T0 (1000ull * 1000 * NS)

struct fk_seg {
	uint8_t *data;
	size_t len, off;
	bool wrong_src;
};

struct fk_sock {
	bool used, tcp;
	int family;
	int srv; /* index of the server it is connected to, -1 none */
	bool connecting;
	int so_error;
	bool refused; /* UDP: next receive reports ECONNREFUSED */
	bool eof;     /* TCP: the peer closed after the queued bytes */
	struct fk_seg q[FK_QMAX];
	unsigned qhead, qn;
	struct {
		uint16_t id, qtype;
		uint8_t q[WIRE_NAME_MAX + 4]; /* question: name, type, class */
		size_t qlen;
	} sent[FK_SENT];
	bool reset;   /* TCP: next receive reports ECONNRESET */
	unsigned sends;
	unsigned nsent;
	uint8_t obuf[1024]; /* TCP: bytes written, framing being parsed */
	size_t olen;
};

static struct {
	const uint8_t *in;
	size_t inlen, inpos;
	uint64_t now;
	uint64_t jumped; /* time made to pass by the input itself */
	unsigned polls;
	struct fk_sock s[FK_MAXSOCK];
	struct conf_resolv *rc;
	bool tcp_immediate, tcp_refused;
} fk;

/* ---- helpers ------------------------------------------------------------- */

static struct fk_sock *fk_get(int fd)
{
	if (fd < FK_FD0 || fd >= FK_FD0 + FK_MAXSOCK || !fk.s[fd - FK_FD0].used)
		return NULL;
	return &fk.s[fd - FK_FD0];
}

static void fk_free_queue(struct fk_sock *k)
{
	for (unsigned i = 0; i < k->qn; i++)
		free(k->q[(k->qhead + i) % FK_QMAX].data);
	k->qhead = k->qn = 0;
}

/* End of the (uncompressed) question name at offset 12, or 0. */
static size_t qname_end(const uint8_t *m, size_t len)
{
	size_t p = WIRE_HDR_LEN;
	while (p < len && m[p] != 0) {
		if (m[p] > WIRE_LABEL_MAX)
			return 0;
		p += 1u + m[p];
	}
	return p < len ? p + 1 : 0;
}

static bool qtype_of(const uint8_t *m, size_t len, uint16_t *qtype)
{
	size_t p = qname_end(m, len);
	if (p == 0 || p + 2 > len)
		return false;
	*qtype = wire_get16(m + p);
	return true;
}

static void remember_query(struct fk_sock *k, const uint8_t *m, size_t len)
{
	uint16_t qt;
	if (len < WIRE_HDR_LEN || !qtype_of(m, len, &qt))
		FUZZ_CHECK(0); /* the library sent something that is no query */
	unsigned i = k->nsent < FK_SENT ? k->nsent++ : FK_SENT - 1;
	if (i == FK_SENT - 1 && k->nsent == FK_SENT)
		memmove(k->sent, k->sent + 1, (FK_SENT - 1) * sizeof k->sent[0]);
	k->sent[i].id = wire_get16(m);
	k->sent[i].qtype = qt;
	size_t e = qname_end(m, len);
	FUZZ_CHECK(e && e + 4 <= len && e - WIRE_HDR_LEN <= WIRE_NAME_MAX);
	k->sent[i].qlen = e + 4 - WIRE_HDR_LEN;
	memcpy(k->sent[i].q, m + WIRE_HDR_LEN, k->sent[i].qlen);
}

/* Builds header + the question of a sent query + the record's sections
 * into out (see ctl & 0x80).  Returns the new length. */
static size_t insert_question(const struct fk_sock *k, bool older,
			      const uint8_t *d, size_t len, uint8_t *out)
{
	if (len < WIRE_HDR_LEN || k->nsent == 0) {
		memcpy(out, d, len);
		return len;
	}
	unsigned pick = k->nsent - 1;
	if (older && pick > 0)
		pick--;
	memcpy(out, d, WIRE_HDR_LEN);
	out[4] = 0;
	out[5] = 1;
	out[0] = (uint8_t)(k->sent[pick].id >> 8);
	out[1] = (uint8_t)k->sent[pick].id;
	memcpy(out + WIRE_HDR_LEN, k->sent[pick].q, k->sent[pick].qlen);
	size_t o = WIRE_HDR_LEN + k->sent[pick].qlen;
	memcpy(out + o, d + WIRE_HDR_LEN, len - WIRE_HDR_LEN);
	return o + len - WIRE_HDR_LEN;
}

/* The ID of the query a reply m answers: same qtype, latest first. */
static void patch_id(const struct fk_sock *k, uint8_t *m, size_t len)
{
	if (len < 2 || k->nsent == 0)
		return;
	uint16_t qt;
	unsigned pick = k->nsent - 1;
	if (qtype_of(m, len, &qt))
		for (unsigned i = k->nsent; i-- > 0;)
			if (k->sent[i].qtype == qt) {
				pick = i;
				break;
			}
	m[0] = (uint8_t)(k->sent[pick].id >> 8);
	m[1] = (uint8_t)k->sent[pick].id;
}

static int srv_index(const struct sockaddr *sa, socklen_t len)
{
	for (unsigned i = 0; i < fk.rc->nns; i++)
		if (len == fk.rc->ns[i].addrlen &&
		    memcmp(sa, &fk.rc->ns[i].addr, len) == 0)
			return (int)i;
	return -1;
}

/* The newest open socket of the given kind connected to server srv. */
static struct fk_sock *fk_find(bool tcp, int srv)
{
	for (int i = FK_MAXSOCK; i-- > 0;) {
		struct fk_sock *k = &fk.s[i];
		if (k->used && k->tcp == tcp && k->srv >= 0 &&
		    (tcp || k->srv == srv))
			return k;
	}
	return NULL;
}

static void enqueue(struct fk_sock *k, const uint8_t *d, size_t len,
		    bool wrong_src)
{
	if (k->qn == FK_QMAX)
		return; /* a full socket buffer drops, like the kernel */
	uint8_t *c = malloc(len ? len : 1);
	if (!c)
		return;
	if (len)
		memcpy(c, d, len);
	k->q[(k->qhead + k->qn) % FK_QMAX] =
		(struct fk_seg){ .data = c, .len = len, .wrong_src = wrong_src };
	k->qn++;
}

/* ---- input records ----------------------------------------------------- */

/* Delivers the next record; false when the input is exhausted. */
static bool next_record(void)
{
	if (fk.inpos + 3 > fk.inlen)
		return false;
	uint8_t ctl = fk.in[fk.inpos];
	size_t len = wire_get16(fk.in + fk.inpos + 1);
	fk.inpos += 3;
	if (len > fk.inlen - fk.inpos)
		len = fk.inlen - fk.inpos;
	const uint8_t *d = fk.in + fk.inpos;
	fk.inpos += len;

	int srv = (int)(((ctl >> 4) & 3) % fk.rc->nns);
	bool fix = ctl & 8, insq = ctl & 0x80, older = ctl & 0x40;
	uint8_t msg[65535 + 2 + WIRE_NAME_MAX + 4];
	switch (ctl & 7) {
	case 0:
	case 1: {
		struct fk_sock *k = fk_find(false, srv);
		if (!k)
			return true; /* nobody listens: lost */
		if (insq) {
			len = insert_question(k, older, d, len, msg);
		} else {
			memcpy(msg, d, len);
			if (fix)
				patch_id(k, msg, len);
		}
		enqueue(k, msg, len, (ctl & 7) == 1);
		return true;
	}
	case 2:
	case 3: {
		struct fk_sock *k = fk_find(true, -1);
		if (!k || k->eof)
			return true;
		size_t o = 0;
		if ((ctl & 7) == 2) {
			msg[0] = (uint8_t)(len >> 8);
			msg[1] = (uint8_t)len;
			o = 2;
		}
		if (insq && o) {
			len = insert_question(k, older, d, len, msg + o);
			if (len > 65535)
				len = 65535;
			msg[0] = (uint8_t)(len >> 8);
			msg[1] = (uint8_t)len;
		} else {
			memcpy(msg + o, d, len);
			if (fix) /* raw: the record starts at an ID */
				patch_id(k, msg + o,
					 o ? len : (len < 2 ? len : 2));
		}
		enqueue(k, msg, len + o, false);
		return true;
	}
	case 4: {
		struct fk_sock *k = fk_find(true, -1);
		if (k)
			k->eof = true;
		return true;
	}
	case 5: {
		struct fk_sock *k = fk_find(false, srv);
		if (k)
			k->refused = true;
		return true;
	}
	case 6: {
		uint64_t dt = ((uint64_t)(len ? d[0] : 0) + 1) * 50 * NS;
		fk.now += dt;
		fk.jumped += dt;
		return true;
	}
	default: {
		struct fk_sock *k = fk_find(true, -1);
		if (k)
			k->reset = true;
		return true;
	}
	}
}

/* ---- the fake system ---------------------------------------------------- */

static int fk_socket(int domain, int type, int protocol)
{
	(void)protocol;
	FUZZ_CHECK(domain == AF_INET || domain == AF_INET6);
	for (int i = 0; i < FK_MAXSOCK; i++) {
		struct fk_sock *k = &fk.s[i];
		if (k->used)
			continue;
		memset(k, 0, sizeof *k);
		k->used = true;
		k->tcp = (type & 0xf) == SOCK_STREAM;
		k->family = domain;
		k->srv = -1;
		return FK_FD0 + i;
	}
	errno = EMFILE;
	return -1;
}

static int fk_close(int fd)
{
	struct fk_sock *k = fk_get(fd);
	FUZZ_CHECK(k != NULL); /* closing a socket twice or never opened */
	fk_free_queue(k);
	k->used = false;
	return 0;
}

static int fk_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct fk_sock *k = fk_get(fd);
	FUZZ_CHECK(k != NULL);
	FUZZ_CHECK(sa->sa_family == k->family);
	k->srv = srv_index(sa, len);
	FUZZ_CHECK(k->srv >= 0); /* only the configured servers are used */
	if (!k->tcp)
		return 0;
	if (fk.tcp_immediate && !fk.tcp_refused)
		return 0;
	if (fk.tcp_immediate) { /* refused at once (a local RST) */
		errno = ECONNREFUSED;
		return -1;
	}
	k->connecting = true;
	k->so_error = fk.tcp_refused ? ECONNREFUSED : 0;
	errno = EINPROGRESS;
	return -1;
}

static int fk_bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	(void)sa;
	(void)len;
	return fk_get(fd) ? 0 : (errno = EBADF, -1);
}

static int fk_getsockname(int fd, struct sockaddr *sa, socklen_t *len)
{
	struct fk_sock *k = fk_get(fd);
	if (!k) {
		errno = EBADF;
		return -1;
	}
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	ss.ss_family = (sa_family_t)k->family;
	socklen_t n = k->family == AF_INET ? sizeof(struct sockaddr_in)
					   : sizeof(struct sockaddr_in6);
	memcpy(sa, &ss, *len < n ? *len : n);
	*len = n;
	return 0;
}

static int fk_setsockopt(int fd, int level, int name, const void *v,
			 socklen_t l)
{
	(void)level;
	(void)name;
	(void)v;
	(void)l;
	return fk_get(fd) ? 0 : (errno = EBADF, -1);
}

static int fk_getsockopt(int fd, int level, int name, void *v, socklen_t *l)
{
	struct fk_sock *k = fk_get(fd);
	if (!k) {
		errno = EBADF;
		return -1;
	}
	if (level == SOL_SOCKET && name == SO_ERROR && *l >= sizeof(int)) {
		memcpy(v, &k->so_error, sizeof(int));
		k->so_error = 0;
		*l = sizeof(int);
		return 0;
	}
	errno = ENOPROTOOPT;
	return -1;
}

static void tcp_parse_out(struct fk_sock *k)
{
	while (k->olen >= 2) {
		size_t m = wire_get16(k->obuf);
		FUZZ_CHECK(m >= WIRE_HDR_LEN && m <= WIRE_QUERY_MAX);
		if (k->olen < 2 + m)
			return;
		remember_query(k, k->obuf + 2, m);
		memmove(k->obuf, k->obuf + 2 + m, k->olen - 2 - m);
		k->olen -= 2 + m;
	}
}

static ssize_t fk_send(int fd, const void *buf, size_t len, int flags)
{
	(void)flags;
	struct fk_sock *k = fk_get(fd);
	FUZZ_CHECK(k != NULL && k->srv >= 0);
	if (!k->tcp) {
		FUZZ_CHECK(len <= WIRE_QUERY_MAX);
		remember_query(k, buf, len);
		return (ssize_t)len;
	}
	if (k->connecting) {
		errno = EAGAIN;
		return -1;
	}
	if (k->eof || k->reset) {
		errno = k->reset ? ECONNRESET : EPIPE;
		return -1;
	}
	/* every third write finds the socket buffer full */
	if (++k->sends % 3 == 0) {
		errno = EAGAIN;
		return -1;
	}
	/* partial writes: at most 37 bytes at a time */
	size_t n = len < 37 ? len : 37;
	FUZZ_CHECK(k->olen + n <= sizeof k->obuf);
	memcpy(k->obuf + k->olen, buf, n);
	k->olen += n;
	tcp_parse_out(k);
	return (ssize_t)n;
}

static ssize_t fk_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	uint8_t buf[2048];
	size_t n = 0;
	for (size_t i = 0; i < msg->msg_iovlen; i++) {
		size_t l = msg->msg_iov[i].iov_len;
		FUZZ_CHECK(n + l <= sizeof buf);
		memcpy(buf + n, msg->msg_iov[i].iov_base, l);
		n += l;
	}
	return fk_send(fd, buf, n, flags);
}

static ssize_t fk_recvfrom(int fd, void *buf, size_t len, int flags,
			   struct sockaddr *from, socklen_t *fromlen)
{
	struct fk_sock *k = fk_get(fd);
	FUZZ_CHECK(k != NULL);
	if (!k->tcp && k->refused) {
		k->refused = false;
		errno = ECONNREFUSED;
		return -1;
	}
	if (k->tcp && k->reset) {
		errno = ECONNRESET;
		return -1;
	}
	if (k->qn == 0) {
		if (k->tcp && k->eof)
			return 0;
		errno = EAGAIN;
		return -1;
	}
	struct fk_seg *g = &k->q[k->qhead];
	if (from && fromlen && k->srv >= 0) {
		const struct conf_server *ns = &fk.rc->ns[k->srv];
		struct sockaddr_storage ss;
		memset(&ss, 0, sizeof ss);
		memcpy(&ss, &ns->addr, ns->addrlen);
		if (g->wrong_src) {
			if (ss.ss_family == AF_INET)
				((struct sockaddr_in *)&ss)->sin_port = htons(5353);
			else
				((struct sockaddr_in6 *)&ss)->sin6_port = htons(5353);
		}
		socklen_t n = ns->addrlen < *fromlen ? ns->addrlen : *fromlen;
		memcpy(from, &ss, n);
		*fromlen = ns->addrlen;
	}
	size_t avail = g->len - g->off;
	size_t n = avail < len ? avail : len;
	if (n)
		memcpy(buf, g->data + g->off, n);
	ssize_t ret = (ssize_t)n;
	if (!k->tcp) {
		/* a datagram is consumed whole; MSG_TRUNC reports its size */
		if (flags & MSG_TRUNC)
			ret = (ssize_t)g->len;
		g->off = g->len;
	} else {
		g->off += n;
	}
	if (g->off == g->len) {
		free(g->data);
		k->qhead = (k->qhead + 1) % FK_QMAX;
		k->qn--;
	}
	return ret;
}

static ssize_t fk_recvmsg(int fd, struct msghdr *msg, int flags)
{
	uint8_t buf[65536];
	size_t cap = 0;
	for (size_t i = 0; i < msg->msg_iovlen; i++)
		cap += msg->msg_iov[i].iov_len;
	if (cap > sizeof buf)
		cap = sizeof buf;
	socklen_t fl = msg->msg_namelen;
	ssize_t n = fk_recvfrom(fd, buf, cap, flags, msg->msg_name,
				msg->msg_name ? &fl : NULL);
	if (n < 0)
		return n;
	msg->msg_namelen = fl;
	msg->msg_controllen = 0;
	size_t left = (size_t)n < cap ? (size_t)n : cap, o = 0;
	for (size_t i = 0; i < msg->msg_iovlen && left; i++) {
		size_t l = msg->msg_iov[i].iov_len < left ? msg->msg_iov[i].iov_len
							   : left;
		memcpy(msg->msg_iov[i].iov_base, buf + o, l);
		o += l;
		left -= l;
	}
	return n;
}

/* Batched forms over the single ones: as the kernel, a batch stops at the
 * first datagram that is not there (returning what it got), an error is
 * reported only when nothing was received or sent. */
static int fk_batch(int fd, struct mmsghdr *v, unsigned n, int flags,
		    bool send)
{
	unsigned k = 0;
	for (; k < n; k++) {
		ssize_t r = send ? fk_sendmsg(fd, &v[k].msg_hdr, flags)
				 : fk_recvmsg(fd, &v[k].msg_hdr, flags);
		if (r < 0) {
			if (k == 0)
				return -1;
			break;
		}
		v[k].msg_len = (unsigned)r;
	}
	return (int)k;
}

static int fk_recvmmsg(int fd, struct mmsghdr *v, unsigned n, int flags,
		       struct timespec *t)
{
	(void)t;
	return fk_batch(fd, v, n, flags, false);
}

static int fk_sendmmsg(int fd, struct mmsghdr *v, unsigned n, int flags)
{
	return fk_batch(fd, v, n, flags, true);
}

static short readiness(struct fk_sock *k)
{
	short r = 0;
	if (k->tcp) {
		if (k->connecting) {
			k->connecting = false; /* completes (or fails) now */
			return (short)(k->so_error ? (POLLOUT | POLLERR) : POLLOUT);
		}
		r |= POLLOUT;
		if (k->qn)
			r |= POLLIN;
		if (k->eof)
			r |= POLLIN | POLLHUP;
		if (k->reset)
			r |= POLLERR;
	} else {
		r |= POLLOUT;
		if (k->qn)
			r |= POLLIN;
		if (k->refused)
			r |= POLLERR;
	}
	return r;
}

static int fk_poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
	FUZZ_CHECK(++fk.polls < FK_MAX_POLLS); /* a busy loop is a hang */
	for (;;) {
		int ready = 0;
		for (nfds_t i = 0; i < n; i++) {
			fds[i].revents = 0;
			struct fk_sock *k = fk_get(fds[i].fd);
			FUZZ_CHECK(k != NULL); /* polling a closed socket */
			short r = readiness(k);
			fds[i].revents = (short)(r & (fds[i].events | POLLERR | POLLHUP));
			if (fds[i].revents)
				ready++;
		}
		if (ready)
			return ready;
		if (next_record())
			continue;
		if (timeout_ms > 0)
			fk.now += (uint64_t)timeout_ms * NS;
		return 0;
	}
}

static int fk_clock_gettime(clockid_t clk, struct timespec *ts)
{
	(void)clk;
	ts->tv_sec = (time_t)(fk.now / (1000 * NS));
	ts->tv_nsec = (long)(fk.now % (1000 * NS));
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_sys_init();
	rfcres_sys.socket = fk_socket;
	rfcres_sys.close = fk_close;
	rfcres_sys.connect = fk_connect;
	rfcres_sys.bind = fk_bind;
	rfcres_sys.getsockname = fk_getsockname;
	rfcres_sys.setsockopt = fk_setsockopt;
	rfcres_sys.getsockopt = fk_getsockopt;
	rfcres_sys.send = fk_send;
	rfcres_sys.sendmsg = fk_sendmsg;
	rfcres_sys.recvfrom = fk_recvfrom;
	rfcres_sys.recvmsg = fk_recvmsg;
	rfcres_sys.recvmmsg = fk_recvmmsg;
	rfcres_sys.sendmmsg = fk_sendmmsg;
	rfcres_sys.poll = fk_poll;
	rfcres_sys.clock_gettime = fk_clock_gettime;
	return 0;
}

/* ---- one run ------------------------------------------------------------ */

static struct conf_resolv *make_conf(uint8_t c0, uint8_t c1)
{
	char text[512];
	int n = 0;
	static const char *const ns[] = { "nameserver 192.0.2.1\n",
					  "nameserver 192.0.2.2:5300\n",
					  "nameserver [2001:db8::3]:53\n" };
	unsigned nns = (c0 & 3) == 0 ? 1 : (c0 & 3) == 1 ? 2 : 3;
	for (unsigned i = 0; i < nns; i++) {
		const char *line = ns[i];
		if (i == 2 && (c0 & 3) == 2)
			line = "nameserver 192.0.2.3\n";
		n += snprintf(text + n, sizeof text - (size_t)n, "%s", line);
	}
	n += snprintf(text + n, sizeof text - (size_t)n,
		      "search corp.example example.org\noptions ndots:1%s%s%s%s%s%s%s%s%s\n",
		      c0 & 4 ? " edns0" : "", c0 & 8 ? " single-request" : "",
		      c0 & 16 ? " single-request-reopen" : "",
		      c0 & 32 ? " use-vc" : "", c0 & 64 ? " rotate" : "",
		      c0 & 128 ? " trust-ad" : "", c1 & 8 ? " attempts:1" : "",
		      c1 & 16 ? " no-aaaa" : "", c1 & 32 ? " no-tld-query" : "");
	return conf_resolv_parse(text, (size_t)n, true, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	memset(&fk, 0, sizeof fk);
	sys_random_flush(); /* query IDs from fuzz_getrandom, as in a lone run */
	fk.in = data + 2;
	fk.inlen = size - 2;
	fk.now = FK_T0;
	fk.tcp_immediate = data[1] & 64;
	fk.tcp_refused = data[1] & 128;
	fk.rc = make_conf(data[0], data[1]);
	if (!fk.rc)
		return 0;

	struct conf_snapshot *snap = calloc(1, sizeof *snap);
	if (!snap) {
		conf_resolv_free(fk.rc);
		return 0;
	}
	atomic_init(&snap->refs, 1);
	snap->resolv = fk.rc;
	snap->policy = conf_policy_default();

	static const unsigned wants[] = { DNS_WANT_A | DNS_WANT_AAAA,
					  DNS_WANT_A, DNS_WANT_AAAA,
					  DNS_WANT_PTR };
	unsigned want = wants[data[1] & 3];
	const char *name = want == DNS_WANT_PTR ? "1.2.0.192.in-addr.arpa"
			   : (data[1] & 4)      ? "host"
						: "www.example.com";
	struct dns_result res;
	int eai = dns_lookup_run(snap, name, want, &res);

	/* the lookup ended inside its budget: per candidate name (at most
	 * 3 here) attempts x sum of server slots + one TCP exchange per
	 * server, all bounded by 5 s x 2^2 per slot; plus the input's jumps */
	uint64_t bound = 3ull * (5 * 2 * (5 + 3 + 6) + 3 * 5) * 1000 * NS;
	FUZZ_CHECK(fk.now - FK_T0 <= bound + fk.jumped + 1000 * NS);
	for (int i = 0; i < FK_MAXSOCK; i++)
		FUZZ_CHECK(!fk.s[i].used); /* every socket closed */
	FUZZ_CHECK(eai == res.eai);
	FUZZ_CHECK(eai == 0 || eai == EAI_NONAME || eai == EAI_NODATA ||
		   eai == EAI_AGAIN || eai == EAI_FAIL || eai == EAI_MEMORY);
	if (eai == 0) {
		FUZZ_CHECK(res.naddrs > 0 || res.ptr[0]);
		FUZZ_CHECK(memchr(res.canon, 0, sizeof res.canon) != NULL);
		FUZZ_CHECK(memchr(res.ptr, 0, sizeof res.ptr) != NULL);
	} else {
		FUZZ_CHECK(res.naddrs == 0);
	}
	bool seen6 = false;
	for (size_t i = 0; i < res.naddrs; i++) {
		int f = res.addrs[i].family;
		FUZZ_CHECK(f == AF_INET || f == AF_INET6);
		FUZZ_CHECK(f != AF_INET || (want & DNS_WANT_A));
		FUZZ_CHECK(f != AF_INET6 || (want & DNS_WANT_AAAA));
		FUZZ_CHECK(f != AF_INET6 || !(data[1] & 16)); /* no-aaaa */
		/* A records first, then AAAA (lookup.h) */
		FUZZ_CHECK(!(seen6 && f == AF_INET));
		seen6 |= f == AF_INET6;
	}
	if (want == DNS_WANT_PTR)
		FUZZ_CHECK(res.naddrs == 0);
	free(res.addrs);
	FUZZ_CHECK(atomic_load(&snap->refs) == 1); /* the lookup released it */
	free(snap);
	conf_resolv_free(fk.rc);
	return 0;
}
