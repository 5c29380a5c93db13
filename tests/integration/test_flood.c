/*
 * Forged-reply floods (issue 18, RFC 5452 §9.3): a server that answers
 * every query with N junk datagrams -- wrong ID, wrong question, wrong
 * source port, compression loops, lying counts, random bytes -- and then
 * the genuine answer (fakedns `flood N`, docs/fakedns.md), while two
 * CPU-bound processes compete for the machine.  The kernel's receive
 * buffer of the client's socket fills with junk and drops what comes
 * behind it, the genuine answer included, unless the resolver notices
 * and asks again where the kernel cannot drop its bytes: over TCP.
 *
 * Each flood test runs 50 A+AAAA lookups with `options timeout:1
 * attempts:1` against one server and requires every one of them to return
 * exactly the genuine addresses (never a forged one) within the lookup's
 * deadline (timeout x attempts + one TCP exchange = 2 s; 250 ms of slack
 * for the scheduler of a loaded machine).  One test also forces a tiny
 * SO_RCVBUF on the client's UDP socket through the system-access table,
 * so that overflow is certain.  The bad-input tests: a flood that never
 * ends, junk on the TCP stream too, and a server whose TCP answer differs
 * from its UDP one -- bounded by the deadline, a defined EAI code, nothing
 * forged accepted, no descriptor leaked.
 *
 * Every test prints what it measured (successes, failures by code,
 * latency, system calls per lookup, TCP fallbacks); docs/security.md has
 * the figures before and after the defence.  Only 127.0.0.1 is used.
 *
 * RFCRES_TEST_SCALE below 1 (t_valgrind.sh sets 0.02) is a run under an
 * emulator: 2 lookups per test instead of 50 and `timeout:5` (deadline
 * 10 s), since there the test server's own junk takes seconds to send.
 * The full counts run everywhere else, sanitizers included.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fakedns.h"
#include "rfcres.h"
#include "sys.h"

#define LOOKUPS 50
#define NAME "flood.t.test."
#define SLACK_S 0.25
#define HOG_LIMIT_S 300 /* a CPU hog outliving us dies by SIGALRM */

static const char *const genuine[] = { "192.0.2.1", "2001:db8::1" };
static const char *const tcp_other[] = { "192.0.2.254", "2001:db8::fe" };
static const char *const forged[] = { "203.0.113.66", "2001:db8:bad::66" };

static char dir[64], resolv[128], hosts[128];

/* The full run: 50 lookups, timeout:1 (deadline: 1 s of UDP + 1 s of TCP
 * with one server and attempts:1).  Under an emulator: see the top. */
static unsigned lookups = LOOKUPS, timeout_s = 1;
#define DEADLINE_S (2.0 * timeout_s)

static void scale_init(void)
{
	const char *e = getenv("RFCRES_TEST_SCALE");
	double v = e && *e ? strtod(e, NULL) : 1.0;
	if (v > 0 && v < 1) {
		lookups = 2;
		timeout_s = 5;
	}
}

/* ---- helpers ---------------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool put_file(const char *path, const char *body)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return false;
	bool ok = fputs(body, f) >= 0;
	return fclose(f) == 0 && ok;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;
}

/* The fakedns thread closes a TCP connection once it reads our EOF, a
 * moment after the lookup: wait for the count to come back (2 s). */
static int fds_settle(int want)
{
	int n = count_fds();
	for (int i = 0; i < 200 && n != want; i++) {
		struct timespec ts = { 0, 10000000 };
		nanosleep(&ts, NULL);
		n = count_fds();
	}
	return n;
}

static struct fakedns *server(void)
{
	struct fakedns_opts o = { .listen = { "127.0.0.1:0" } };
	struct fakedns *s = fakedns_start(&o);
	assert_non_null(s);
	assert_int_equal(fakedns_add_a(s, "flood.t.test", genuine[0]), 0);
	assert_int_equal(fakedns_add_aaaa(s, "flood.t.test", genuine[1]), 0);
	char body[256];
	snprintf(body, sizeof body,
		 "nameserver 127.0.0.1:%u\noptions timeout:%u attempts:1\n",
		 fakedns_port(s), timeout_s);
	assert_true(put_file(resolv, body));
	return s;
}

/* ---- CPU hogs: the busy machine of the issue -------------------------------- */

static pid_t hogs[2];

static void hogs_start(void)
{
	for (int i = 0; i < 2; i++) {
		hogs[i] = fork();
		assert_true(hogs[i] >= 0);
		if (hogs[i] == 0) {
			alarm(HOG_LIMIT_S); /* bounded even if we crash */
			volatile unsigned long x = 0;
			for (;;)
				x++;
		}
	}
}

static void hogs_stop(void)
{
	for (int i = 0; i < 2; i++) {
		if (hogs[i] <= 0)
			continue;
		kill(hogs[i], SIGKILL);
		waitpid(hogs[i], NULL, 0);
		hogs[i] = 0;
	}
}

/* ---- system calls through the table: counted, and a tiny SO_RCVBUF -------- */

static atomic_ulong nsys;
static atomic_bool tiny_rcvbuf;
static struct rfcres_sys libc_sys;

#define COUNTED(ret, name, params, args)  \
	static ret counted_##name params  \
	{                                  \
		atomic_fetch_add(&nsys, 1); \
		return libc_sys.name args;  \
	}
COUNTED(int, connect, (int fd, const struct sockaddr *sa, socklen_t len),
	(fd, sa, len))
COUNTED(int, close, (int fd), (fd))
COUNTED(ssize_t, send, (int fd, const void *b, size_t n, int fl),
	(fd, b, n, fl))
COUNTED(ssize_t, recvfrom,
	(int fd, void *b, size_t n, int fl, struct sockaddr *sa, socklen_t *sl),
	(fd, b, n, fl, sa, sl))
COUNTED(ssize_t, recvmsg, (int fd, struct msghdr *m, int fl), (fd, m, fl))
COUNTED(int, recvmmsg,
	(int fd, struct mmsghdr *v, unsigned n, int fl, struct timespec *t),
	(fd, v, n, fl, t))
COUNTED(int, sendmmsg, (int fd, struct mmsghdr *v, unsigned n, int fl),
	(fd, v, n, fl))
COUNTED(int, poll, (struct pollfd *f, nfds_t n, int ms), (f, n, ms))
COUNTED(int, getsockopt, (int fd, int l, int o, void *v, socklen_t *vl),
	(fd, l, o, v, vl))
COUNTED(int, setsockopt, (int fd, int l, int o, const void *v, socklen_t vl),
	(fd, l, o, v, vl))

/* A UDP socket of the resolver gets the smallest receive buffer the
 * kernel allows (SO_RCVBUF 1 -> SOCK_MIN_RCVBUF, a few datagrams): the
 * flood overflows it for certain. */
static int counted_socket(int domain, int type, int proto)
{
	atomic_fetch_add(&nsys, 1);
	int fd = libc_sys.socket(domain, type, proto);
	if (fd >= 0 && (type & 0xf) == SOCK_DGRAM &&
	    (domain == AF_INET || domain == AF_INET6) &&
	    atomic_load(&tiny_rcvbuf)) {
		int one = 1;
		libc_sys.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &one, sizeof one);
	}
	return fd;
}

static void sys_count_on(void)
{
	libc_sys = rfcres_sys;
	rfcres_sys.socket = counted_socket;
	rfcres_sys.connect = counted_connect;
	rfcres_sys.close = counted_close;
	rfcres_sys.send = counted_send;
	rfcres_sys.recvfrom = counted_recvfrom;
	rfcres_sys.recvmsg = counted_recvmsg;
	rfcres_sys.recvmmsg = counted_recvmmsg;
	rfcres_sys.sendmmsg = counted_sendmmsg;
	rfcres_sys.poll = counted_poll;
	rfcres_sys.getsockopt = counted_getsockopt;
	rfcres_sys.setsockopt = counted_setsockopt;
}

/* ---- one lookup --------------------------------------------------------------- */

enum verdict { V_GENUINE, V_TCP_OTHER, V_FORGED, V_WRONG, V_ERROR };

/* Classifies a result: exactly the genuine pair, exactly the pair the
 * server gives over TCP (tcp-other-answer), any forged address at all,
 * anything else (a mix, a missing family, extra addresses). */
static enum verdict classify(int rc, const struct addrinfo *res)
{
	if (rc)
		return V_ERROR;
	bool g[2] = { false, false }, t[2] = { false, false };
	unsigned n = 0, other = 0;
	for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		char a[INET6_ADDRSTRLEN];
		const void *p = ai->ai_family == AF_INET6
			? (const void *)&((const struct sockaddr_in6 *)(const void *)
						  ai->ai_addr)->sin6_addr
			: (const void *)&((const struct sockaddr_in *)(const void *)
						  ai->ai_addr)->sin_addr;
		inet_ntop(ai->ai_family, p, a, sizeof a);
		n++;
		bool known = false;
		for (int i = 0; i < 2; i++) {
			if (strcmp(a, forged[i]) == 0)
				return V_FORGED;
			if (strcmp(a, genuine[i]) == 0)
				known = g[i] = true;
			if (strcmp(a, tcp_other[i]) == 0)
				known = t[i] = true;
		}
		other += !known;
	}
	if (n == 2 && other == 0 && g[0] && g[1])
		return V_GENUINE;
	if (n == 2 && other == 0 && t[0] && t[1])
		return V_TCP_OTHER;
	return V_WRONG;
}

struct tally {
	unsigned n, verdict[5], eai_again, eai_other;
	double max_s, sum_s;
	unsigned long sys;
	unsigned long tcp_queries;
};

static enum verdict one_lookup(struct tally *t, int *rc_out)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	unsigned long s0 = atomic_load(&nsys);
	double t0 = now_s();
	int rc = rfcres_getaddrinfo(NAME, "80", &hints, &res);
	double dt = now_s() - t0;
	t->sys += atomic_load(&nsys) - s0;
	enum verdict v = classify(rc, res);
	if (!rc)
		rfcres_freeaddrinfo(res);
	t->n++;
	t->verdict[v]++;
	if (rc == EAI_AGAIN)
		t->eai_again++;
	else if (rc)
		t->eai_other++;
	t->sum_s += dt;
	if (dt > t->max_s)
		t->max_s = dt;
	*rc_out = rc;
	return v;
}

static void report(const char *what, const struct tally *t)
{
	print_message("    %-34s %u/%u genuine, %u tcp-answer, %u forged, %u "
		      "wrong, EAI_AGAIN %u, other errors %u; latency mean "
		      "%.1f ms max %.1f ms; %.1f syscalls/lookup; %lu TCP "
		      "queries\n",
		      what, t->verdict[V_GENUINE], t->n, t->verdict[V_TCP_OTHER],
		      t->verdict[V_FORGED], t->verdict[V_WRONG], t->eai_again,
		      t->eai_other, 1e3 * t->sum_s / (t->n ? t->n : 1),
		      1e3 * t->max_s, (double)t->sys / (t->n ? t->n : 1),
		      t->tcp_queries);
}

/* ---- the flood tests ---------------------------------------------------------- */

static void run_flood(unsigned n, bool tiny)
{
	int fds0 = count_fds();
	struct fakedns *s = server();
	assert_int_equal(fakedns_set(s, "flood.t.test", FAKEDNS_FLOOD, n), 0);
	atomic_store(&tiny_rcvbuf, tiny);
	struct tally t = { 0 };
	hogs_start();
	for (unsigned i = 0; i < lookups; i++) {
		int rc;
		one_lookup(&t, &rc);
	}
	hogs_stop();
	atomic_store(&tiny_rcvbuf, false);
	t.tcp_queries = fakedns_tcp_query_count(s, "flood.t.test", 0);
	char what[64];
	snprintf(what, sizeof what, "flood %u%s:", n, tiny ? " tiny SO_RCVBUF" : "");
	report(what, &t);
	fakedns_stop(s);
	assert_int_equal(fds_settle(fds0), fds0);
	assert_int_equal(t.verdict[V_FORGED], 0);
	assert_int_equal(t.verdict[V_GENUINE], lookups);
	assert_true(t.max_s <= DEADLINE_S + SLACK_S);
}

static void t_flood_300(void **st)
{
	(void)st;
	run_flood(300, false);
}

static void t_flood_1000(void **st)
{
	(void)st;
	run_flood(1000, false);
}

static void t_flood_5000(void **st)
{
	(void)st;
	run_flood(5000, false);
}

static void t_flood_5000_tiny_rcvbuf(void **st)
{
	(void)st;
	run_flood(5000, true);
}

/* Fewer junk datagrams than the flood threshold, but more than the
 * smallest receive buffer holds: only the kernel's drop counter tells
 * that the genuine answer may be gone (the overflow sign). */
static void t_short_flood_tiny_rcvbuf(void **st)
{
	(void)st;
	run_flood(6, true);
}

/* ---- bad input ---------------------------------------------------------------- */

/* A few lookups against server s with behaviours already set: each one
 * ends with want_rc (and, for 0, the result want) within the deadline. */
static void bad_input(struct fakedns *s, int fds0, const char *what,
		      unsigned n, int want_rc, enum verdict want)
{
	struct tally t = { 0 };
	for (unsigned i = 0; i < n; i++) {
		int rc;
		enum verdict v = one_lookup(&t, &rc);
		assert_int_not_equal(v, V_FORGED);
		assert_int_equal(rc, want_rc);
		if (!want_rc)
			assert_int_equal(v, want);
	}
	t.tcp_queries = fakedns_tcp_query_count(s, "flood.t.test", 0);
	report(what, &t);
	assert_true(t.max_s <= DEADLINE_S + SLACK_S);
	fakedns_stop(s);
	assert_int_equal(fds_settle(fds0), fds0);
}

/* The junk never stops and the genuine UDP answer never comes: only TCP
 * can answer. */
static void t_endless_flood(void **st)
{
	(void)st;
	int fds0 = count_fds();
	struct fakedns *s = server();
	fakedns_set(s, "flood.t.test", FAKEDNS_FLOOD, 1000);
	fakedns_set(s, "flood.t.test", FAKEDNS_FLOOD_MIX, 0x40 | 0x3f);
	bad_input(s, fds0, "endless flood, TCP fine:", 5, 0, V_GENUINE);
}

/* The same, and TCP refused: EAI_AGAIN within the deadline. */
static void t_endless_flood_tcp_refused(void **st)
{
	(void)st;
	int fds0 = count_fds();
	struct fakedns *s = server();
	fakedns_set(s, "flood.t.test", FAKEDNS_FLOOD, 1000);
	fakedns_set(s, "flood.t.test", FAKEDNS_FLOOD_MIX, 0x40 | 0x3f);
	fakedns_set(s, NULL, FAKEDNS_TCP_REFUSED, 0);
	bad_input(s, fds0, "endless flood, TCP refused:", 3, EAI_AGAIN, V_ERROR);
}

/* The same, and TCP accepted but never answered: EAI_AGAIN when the TCP
 * exchange times out, still within the deadline. */
static void t_endless_flood_tcp_silent(void **st)
{
	(void)st;
	int fds0 = count_fds();
	struct fakedns *s = server();
	fakedns_set(s, "flood.t.test", FAKEDNS_FLOOD, 1000);
	fakedns_set(s, "flood.t.test", FAKEDNS_FLOOD_MIX, 0x40 | 0x3f);
	fakedns_set(s, "flood.t.test", FAKEDNS_TCP_SILENT, 0);
	bad_input(s, fds0, "endless flood, TCP silent:", 2, EAI_AGAIN, V_ERROR);
}

/* A flood on TCP too: 200 framed junk messages (wrong ID, wrong
 * question, compression loop, lying counts, random bytes) before the
 * genuine answer on the stream. */
static void t_flood_tcp_junk(void **st)
{
	(void)st;
	int fds0 = count_fds();
	struct fakedns *s = server();
	fakedns_set(s, "flood.t.test", FAKEDNS_FLOOD, 5000);
	fakedns_set(s, "flood.t.test", FAKEDNS_TCP_JUNK, 200);
	bad_input(s, fds0, "flood 5000, junk on TCP:", 10, 0, V_GENUINE);
}

/* The server's TCP answer differs from its UDP one.  Once the flood has
 * moved the lookup to TCP, the TCP answer is the one believed -- for
 * both types, never a mix of the two within a type -- and nothing
 * forged. */
static void t_flood_tcp_other_answer(void **st)
{
	(void)st;
	int fds0 = count_fds();
	struct fakedns *s = server();
	fakedns_set(s, "flood.t.test", FAKEDNS_FLOOD, 5000);
	fakedns_set(s, "flood.t.test", FAKEDNS_TCP_OTHER_ANSWER, 0);
	bad_input(s, fds0, "flood 5000, other answer on TCP:", 10, 0, V_TCP_OTHER);
}

/* ---- fixture ---------------------------------------------------------------- */

static int setup(void **st)
{
	(void)st;
	snprintf(dir, sizeof dir, "/tmp/rfcres-flood.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(resolv, sizeof resolv, "%s/resolv.conf", dir);
	snprintf(hosts, sizeof hosts, "%s/hosts", dir);
	if (!put_file(hosts, "127.0.0.1 localhost\n::1 localhost\n"))
		return -1;
	setenv("RFCRES_RESOLV_CONF", resolv, 1);
	setenv("RFCRES_HOSTS", hosts, 1);
	setenv("RFCRES_GAI_CONF", "/nonexistent/gai.conf", 1);
	setenv("RFCRES_SERVICES", "/nonexistent/services", 1);
	sys_count_on();
	scale_init();
	/* The first lookup opens the interface inventory's netlink monitor,
	 * which stays open: open it before any descriptor count. */
	struct addrinfo *res = NULL;
	if (rfcres_getaddrinfo("localhost", NULL, NULL, &res) == 0)
		rfcres_freeaddrinfo(res);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	hogs_stop();
	sys_reset();
	unlink(resolv);
	unlink(hosts);
	rmdir(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_flood_300),
		cmocka_unit_test(t_flood_1000),
		cmocka_unit_test(t_flood_5000),
		cmocka_unit_test(t_flood_5000_tiny_rcvbuf),
		cmocka_unit_test(t_short_flood_tiny_rcvbuf),
		cmocka_unit_test(t_endless_flood),
		cmocka_unit_test(t_endless_flood_tcp_refused),
		cmocka_unit_test(t_endless_flood_tcp_silent),
		cmocka_unit_test(t_flood_tcp_junk),
		cmocka_unit_test(t_flood_tcp_other_answer),
	};
	/* e.g. RFCRES_TEST_FILTER=t_flood_300: one test only */
	const char *only = getenv("RFCRES_TEST_FILTER");
	if (only && *only)
		cmocka_set_test_filter(only);
	return cmocka_run_group_tests(tests, setup, teardown);
}
