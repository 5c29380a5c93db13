/*
 * The asynchronous request API (rfcres_req_*) against fakedns on loopback:
 * answers identical to rfcres_getaddrinfo, descriptors that change while a
 * request runs, cancellation at every state without leaking descriptors,
 * per-request trace context, requests moved between threads.  Hang bounds
 * only, never speed assertions.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_async_common.h"
#include "core/trace.h"

#define OPTS "timeout:1 attempts:2"

static struct fakedns *srv;

static int setup(void **st)
{
	(void)st;
	if (t_env_setup())
		return -1;
	srv = t_server();
	if (!srv || t_point_at(srv, OPTS))
		return -1;
	/* warm-up: configuration, interface inventory */
	char b[256];
	t_sync("www.t", "80", NULL, b, sizeof b);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	fakedns_stop(srv);
	t_env_teardown();
	return 0;
}

/* Polls q until done or `bound` seconds pass; true when done. */
static bool drive(struct rfcres_req *q, double bound)
{
	double end = t_now() + bound;
	for (int i = 0; i < 100000 && !rfcres_req_done(q); i++) {
		struct pollfd fds[RFCRES_REQ_MAXFDS];
		int ms, n = rfcres_req_pollfds(q, fds, RFCRES_REQ_MAXFDS, &ms);
		assert_true(n >= 0 && n <= RFCRES_REQ_MAXFDS);
		assert_true(ms >= 0);
		if (t_now() > end)
			return false;
		if (poll(fds, (nfds_t)n, ms > 200 ? 200 : ms) < 0)
			for (int k = 0; k < n; k++)
				fds[k].revents = 0;
		rfcres_req_process(q, fds, n);
	}
	return rfcres_req_done(q);
}

static void async_render(const char *node, const char *service,
			 const struct addrinfo *hints, char *buf, size_t len)
{
	int err = -12345;
	struct rfcres_req *q = rfcres_req_start(node, service, hints, &err);
	if (!q) {
		assert_int_not_equal(err, 0);
		t_render(err, NULL, buf, len);
		return;
	}
	assert_int_equal(err, 0);
	assert_true(drive(q, 20));
	struct addrinfo *res = NULL;
	int rc = rfcres_req_result(q, &res);
	t_render(rc, res, buf, len);
	rfcres_freeaddrinfo(res);
}

static void same_as_sync(const char *node, const char *service, int family,
			 int flags)
{
	struct addrinfo h = { .ai_family = family, .ai_flags = flags };
	char a[8192], s[8192];
	async_render(node, service, &h, a, sizeof a);
	t_sync(node, service, &h, s, sizeof s);
	assert_string_equal(a, s);
}

/* Answers known without the network are complete at start; errors known
 * at start come back as NULL + *err, the same code the sync call returns. */
static void t_immediate(void **st)
{
	(void)st;
	static const struct { const char *node, *serv; int fam, flags; } ok[] = {
		{ "192.0.2.9", "80", AF_UNSPEC, 0 },
		{ "::1", "http", AF_UNSPEC, 0 },
		{ "192.0.2.9", NULL, AF_INET6, AI_V4MAPPED },
		{ NULL, "80", AF_UNSPEC, AI_PASSIVE },
		{ NULL, "80", AF_UNSPEC, 0 },
		{ "localhost", "80", AF_UNSPEC, 0 },
		{ "foo.localhost", NULL, AF_INET, 0 },
		{ "hostsname.t", "22", AF_UNSPEC, AI_CANONNAME },
		{ "hostsalias", "22", AF_INET, AI_CANONNAME },
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		struct addrinfo h = { .ai_family = ok[i].fam,
				      .ai_flags = ok[i].flags };
		int err = -1;
		struct rfcres_req *q = rfcres_req_start(ok[i].node, ok[i].serv,
							&h, &err);
		assert_non_null(q);
		assert_int_equal(err, 0);
		assert_true(rfcres_req_done(q));
		struct pollfd fds[RFCRES_REQ_MAXFDS];
		int ms = -1;
		assert_int_equal(rfcres_req_pollfds(q, fds, RFCRES_REQ_MAXFDS, &ms), 0);
		assert_int_equal(ms, 0);
		struct timespec ts;
		assert_int_equal(rfcres_req_deadline(q, &ts), -1);
		assert_int_equal(rfcres_req_process(q, NULL, 0), 1);
		rfcres_req_cancel(q);
		same_as_sync(ok[i].node, ok[i].serv, ok[i].fam, ok[i].flags);
	}
	static const struct { const char *node, *serv; int fam, flags, eai; } bad[] = {
		{ "www.t", "80", AF_UNSPEC, 0x10000, EAI_BADFLAGS },
		{ "www.t", "80", 99, 0, EAI_FAMILY },
		{ NULL, NULL, AF_UNSPEC, 0, EAI_NONAME },
		{ "www.t", NULL, AF_UNSPEC, AI_NUMERICHOST, EAI_NONAME },
		{ "www.t", "no-such-service", AF_UNSPEC, 0, EAI_SERVICE },
		{ "www.t", "http", AF_UNSPEC, AI_NUMERICSERV, EAI_NONAME },
		{ "a..b", NULL, AF_UNSPEC, 0, EAI_NONAME },
		{ NULL, "80", AF_UNSPEC, AI_CANONNAME, EAI_BADFLAGS },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct addrinfo h = { .ai_family = bad[i].fam,
				      .ai_flags = bad[i].flags };
		int err = 0;
		assert_null(rfcres_req_start(bad[i].node, bad[i].serv, &h, &err));
		assert_int_equal(err, bad[i].eai);
		same_as_sync(bad[i].node, bad[i].serv, bad[i].fam, bad[i].flags);
	}
	/* NULL hints: glibc's defaults, as in the sync call */
	char a[4096], s[4096];
	async_render("www.t", "80", NULL, a, sizeof a);
	t_sync("www.t", "80", NULL, s, sizeof s);
	assert_string_equal(a, s);
}

/* Every DNS behaviour, one at a time, against the sync answer. */
static void t_dns_same_as_sync(void **st)
{
	(void)st;
	static const char *names[] = { "www.t", "n7.t", "big.t", "sf.t",
				       "nxdomain.t", "slow.t", "silent.t" };
	static const int fams[] = { AF_UNSPEC, AF_INET, AF_INET6 };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		for (size_t f = 0; f < 3; f++) {
			if (i == 6 && f > 0)
				continue; /* slow to time out; once is enough */
			same_as_sync(names[i], "443", fams[f], 0);
			same_as_sync(names[i], NULL, fams[f],
				     AI_ADDRCONFIG | AI_CANONNAME);
		}
	same_as_sync("www.t", NULL, AF_INET6, AI_V4MAPPED | AI_ALL);
	same_as_sync("big.t", NULL, AF_INET6, AI_V4MAPPED);
}

/* big.t: the request waits on UDP first, then on a TCP socket after the
 * truncated answer; the caller only ever sees the current set. */
static void t_fds_change(void **st)
{
	(void)st;
	int base = t_fds_base();
	struct addrinfo h = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM };
	int err;
	struct rfcres_req *q = rfcres_req_start("big.t", "80", &h, &err);
	assert_non_null(q);
	assert_false(rfcres_req_done(q));
	bool saw_udp = false, saw_tcp = false;
	for (int i = 0; i < 10000 && !rfcres_req_done(q); i++) {
		struct pollfd fds[RFCRES_REQ_MAXFDS];
		int ms, n = rfcres_req_pollfds(q, fds, RFCRES_REQ_MAXFDS, &ms);
		assert_true(n > 0);
		struct timespec ts, now;
		assert_int_equal(rfcres_req_deadline(q, &ts), 0);
		clock_gettime(CLOCK_MONOTONIC, &now);
		/* deadline within the lookup's bound (generous) */
		assert_true(ts.tv_sec <= now.tv_sec + 30);
		for (int k = 0; k < n; k++) {
			if (t_is_stream(fds[k].fd))
				saw_tcp = true;
			else
				saw_udp = true;
		}
		poll(fds, (nfds_t)n, ms > 200 ? 200 : ms);
		rfcres_req_process(q, fds, n);
	}
	assert_true(rfcres_req_done(q));
	assert_true(saw_udp);
	assert_true(saw_tcp);
	struct addrinfo *res;
	assert_int_equal(rfcres_req_result(q, &res), 0);
	int cnt = 0;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
		cnt++;
	assert_int_equal(cnt, 60);
	rfcres_freeaddrinfo(res);
	assert_int_equal(t_fds_settle(base), base);
}

/* rfcres_req_result before done: EAI_SYSTEM/EINPROGRESS, request kept. */
static void t_result_early(void **st)
{
	(void)st;
	int err;
	struct rfcres_req *q = rfcres_req_start("slow.t", NULL, NULL, &err);
	assert_non_null(q);
	struct addrinfo *res = (struct addrinfo *)&err;
	errno = 0;
	assert_int_equal(rfcres_req_result(q, &res), EAI_SYSTEM);
	assert_int_equal(errno, EINPROGRESS);
	assert_null(res);
	/* readiness for descriptors that are not the request's is ignored */
	struct pollfd junk = { .fd = 0, .revents = POLLIN };
	assert_int_equal(rfcres_req_process(q, &junk, 1), 0);
	assert_true(drive(q, 20));
	assert_int_equal(rfcres_req_result(q, &res), 0);
	assert_non_null(res);
	rfcres_freeaddrinfo(res);
}

/* Steps q until pred(fds) holds for its current descriptors. */
static bool until(struct rfcres_req *q, bool (*pred)(const struct pollfd *, int))
{
	double end = t_now() + 10;
	while (!rfcres_req_done(q) && t_now() < end) {
		struct pollfd fds[RFCRES_REQ_MAXFDS];
		int ms, n = rfcres_req_pollfds(q, fds, RFCRES_REQ_MAXFDS, &ms);
		if (pred(fds, n))
			return true;
		poll(fds, (nfds_t)n, ms > 50 ? 50 : ms);
		rfcres_req_process(q, fds, n);
	}
	return false;
}

static bool tcp_connecting(const struct pollfd *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (t_is_stream(fds[i].fd) && (fds[i].events & POLLOUT))
			return true;
	return false;
}

static bool tcp_reading(const struct pollfd *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (t_is_stream(fds[i].fd) && fds[i].events == POLLIN)
			return true;
	return false;
}

/* Cancellation at every state: right after start (queries sent), TCP
 * connecting, TCP waiting for the answer, done but not collected.  Every
 * descriptor is closed each time (ASan checks the memory). */
static void t_cancel_states(void **st)
{
	(void)st;
	int base = t_fds_base(), err;
	struct rfcres_req *q;

	rfcres_req_cancel(NULL);

	q = rfcres_req_start("www.t", NULL, NULL, &err);
	assert_non_null(q);
	assert_true(t_count_fds() > base); /* UDP socket open, queries sent */
	rfcres_req_cancel(q);
	assert_int_equal(t_fds_settle(base), base);

	/* immediate answer, never collected */
	q = rfcres_req_start("192.0.2.1", "80", NULL, &err);
	assert_non_null(q);
	rfcres_req_cancel(q);

	fakedns_reset_counters(srv);
	q = rfcres_req_start("silent.t", NULL, NULL, &err);
	assert_non_null(q);
	assert_true(until(q, tcp_connecting));
	rfcres_req_cancel(q);
	assert_int_equal(t_fds_settle(base), base);

	q = rfcres_req_start("silent.t", NULL, NULL, &err);
	assert_non_null(q);
	assert_true(until(q, tcp_reading));
	/* let the server read the framed query, then give up */
	for (int i = 0; i < 200; i++) {
		struct fakedns_counters c;
		fakedns_counters(srv, &c);
		if (c.tcp_queries >= 1)
			break;
		usleep(5000);
	}
	rfcres_req_cancel(q);
	assert_int_equal(t_fds_settle(base), base);

	q = rfcres_req_start("drip.t", NULL, NULL, &err);
	assert_non_null(q);
	assert_true(until(q, tcp_reading));
	for (int i = 0; i < 4; i++) { /* a few bytes of the answer in */
		struct pollfd fds[RFCRES_REQ_MAXFDS];
		int ms, n = rfcres_req_pollfds(q, fds, RFCRES_REQ_MAXFDS, &ms);
		poll(fds, (nfds_t)n, 100);
		rfcres_req_process(q, fds, n);
	}
	assert_false(rfcres_req_done(q));
	rfcres_req_cancel(q);
	assert_int_equal(t_fds_settle(base), base);

	q = rfcres_req_start("n3.t", NULL, NULL, &err);
	assert_non_null(q);
	assert_true(drive(q, 20));
	rfcres_req_cancel(q); /* result never collected */
	assert_int_equal(t_fds_settle(base), base);
}

/* Many requests in one poll loop (the shape of any event loop). */
static void t_poll_many(void **st)
{
	(void)st;
	enum { N = 120 };
	static const char *extra[] = { "big.t", "sf.t", "nxdomain.t", "slow.t",
				       "www.t", "hostsname.t", "192.0.2.77" };
	char name[N][32], *got[N], want[8192];
	struct rfcres_req *q[N];
	struct addrinfo h = { .ai_socktype = SOCK_DGRAM };
	int base = t_fds_base();
	for (int i = 0; i < N; i++) {
		if (i % 4 == 3)
			snprintf(name[i], sizeof name[i], "%s", extra[(i / 4) % 7]);
		else
			snprintf(name[i], sizeof name[i], "n%d.t", i);
		int err;
		q[i] = rfcres_req_start(name[i], "53", &h, &err);
		assert_non_null(q[i]);
		got[i] = NULL;
	}
	double end = t_now() + 25;
	int left = N;
	while (left > 0) {
		assert_true(t_now() < end);
		struct pollfd fds[N * RFCRES_REQ_MAXFDS];
		int owner[N * RFCRES_REQ_MAXFDS], n = 0, tmo = 1000;
		for (int i = 0; i < N; i++) {
			if (!q[i])
				continue;
			int ms, k = rfcres_req_pollfds(q[i], fds + n,
						       RFCRES_REQ_MAXFDS, &ms);
			for (int j = 0; j < k; j++)
				owner[n + j] = i;
			n += k;
			tmo = ms < tmo ? ms : tmo;
		}
		poll(fds, (nfds_t)n, tmo);
		for (int i = 0, j = 0; i < N; i++) {
			if (!q[i])
				continue;
			int first = j;
			while (j < n && owner[j] == i)
				j++;
			if (!rfcres_req_process(q[i], fds + first, j - first))
				continue;
			struct addrinfo *res;
			int rc = rfcres_req_result(q[i], &res);
			char b[8192];
			t_render(rc, res, b, sizeof b);
			rfcres_freeaddrinfo(res);
			got[i] = strdup(b);
			q[i] = NULL;
			left--;
		}
	}
	assert_int_equal(t_fds_settle(base), base);
	for (int i = 0; i < N; i++) {
		t_sync(name[i], "53", &h, want, sizeof want);
		assert_string_equal(got[i], want);
		free(got[i]);
	}
}

/* ---- trace context ------------------------------------------------------ */

struct ev_rec {
	uint64_t id, elapsed;
	char name[24];
};
static struct ev_rec evs[4096];
static size_t nevs;
static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;

static void hook(const struct rfcres_trace_event *ev, void *arg)
{
	(void)arg;
	pthread_mutex_lock(&ev_lock);
	if (nevs < sizeof evs / sizeof evs[0]) {
		evs[nevs].id = ev->lookup_id;
		evs[nevs].elapsed = ev->elapsed_ns;
		snprintf(evs[nevs].name, sizeof evs[nevs].name, "%s", ev->name);
		nevs++;
	}
	pthread_mutex_unlock(&ev_lock);
}

/* Two requests stepped alternately on one thread: each keeps its own
 * lookup id and elapsed clock; outside the steps the thread is not "in a
 * lookup"; the sync call reports one id from start to done. */
static void t_trace_context(void **st)
{
	(void)st;
	nevs = 0;
	rfcres_set_trace(hook, NULL);
	int err;
	struct rfcres_req *a = rfcres_req_start("slow.t", NULL, NULL, &err);
	struct rfcres_req *b = rfcres_req_start("big.t", NULL, NULL, &err);
	assert_non_null(a);
	assert_non_null(b);
	trace_emit(RFCRES_TRACE_LOOKUP, "test.outside", "x=1");
	for (int i = 0; i < 10000 && !(rfcres_req_done(a) && rfcres_req_done(b)); i++) {
		struct pollfd fds[RFCRES_REQ_MAXFDS * 2];
		int ma, mb, tmo = 100;
		int na = rfcres_req_pollfds(a, fds, RFCRES_REQ_MAXFDS, &ma);
		int nb = rfcres_req_pollfds(b, fds + na, RFCRES_REQ_MAXFDS, &mb);
		if (!rfcres_req_done(a) && ma < tmo)
			tmo = ma;
		if (!rfcres_req_done(b) && mb < tmo)
			tmo = mb;
		poll(fds, (nfds_t)(na + nb), tmo);
		rfcres_req_process(b, fds + na, nb);
		rfcres_req_process(a, fds, na);
	}
	trace_emit(RFCRES_TRACE_LOOKUP, "test.outside", "x=2");
	struct addrinfo *res;
	assert_int_equal(rfcres_req_result(a, &res), 0);
	rfcres_freeaddrinfo(res);
	assert_int_equal(rfcres_req_result(b, &res), 0);
	rfcres_freeaddrinfo(res);
	t_sync("www.t", NULL, NULL, (char[512]){0}, 512);
	rfcres_set_trace(NULL, NULL);

	uint64_t ids[3] = { 0 }, last[3] = { 0 };
	int starts = 0, dones[3] = { 0 }, outside = 0;
	for (size_t i = 0; i < nevs; i++) {
		if (strcmp(evs[i].name, "test.outside") == 0) {
			assert_int_equal(evs[i].id, 0);
			assert_int_equal(evs[i].elapsed, 0);
			outside++;
			continue;
		}
		assert_int_not_equal(evs[i].id, 0);
		if (strcmp(evs[i].name, "lookup.start") == 0) {
			assert_true(starts < 3);
			ids[starts++] = evs[i].id;
		}
		int k = -1;
		for (int j = 0; j < starts; j++)
			if (ids[j] == evs[i].id)
				k = j;
		assert_true(k >= 0); /* every event belongs to a started lookup */
		assert_true(evs[i].elapsed >= last[k]);
		last[k] = evs[i].elapsed;
		if (strcmp(evs[i].name, "lookup.done") == 0)
			dones[k]++;
	}
	assert_int_equal(outside, 2);
	assert_int_equal(starts, 3);
	assert_true(ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2]);
	for (int k = 0; k < 3; k++)
		assert_int_equal(dones[k], 1);
	/* slow.t waited ~300 ms: its clock ran from its own start */
	assert_true(last[0] >= 250000000ull);
}

/* ---- threads (label concurrency: run under TSan) ------------------------ */

struct worker {
	int idx;
	int ok;
	struct rfcres_req *handed; /* started by main, driven here */
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	w->ok = 1;
	if (w->handed) {
		if (!drive(w->handed, 20)) {
			w->ok = 0;
			rfcres_req_cancel(w->handed);
			return NULL;
		}
		struct addrinfo *res;
		if (rfcres_req_result(w->handed, &res) != 0)
			w->ok = 0;
		rfcres_freeaddrinfo(res);
	}
	for (int i = 0; i < 20; i++) {
		char name[32], a[4096], s[4096];
		snprintf(name, sizeof name, "n%d.t", w->idx * 20 + i);
		struct addrinfo h = { .ai_family = AF_UNSPEC };
		int err;
		struct rfcres_req *q = rfcres_req_start(name, "80", &h, &err);
		if (!q || !drive(q, 20)) {
			rfcres_req_cancel(q);
			w->ok = 0;
			continue;
		}
		struct addrinfo *res;
		int rc = rfcres_req_result(q, &res);
		t_render(rc, res, a, sizeof a);
		rfcres_freeaddrinfo(res);
		t_sync(name, "80", &h, s, sizeof s);
		if (strcmp(a, s) != 0)
			w->ok = 0;
	}
	return NULL;
}

static void t_threads(void **st)
{
	(void)st;
	enum { NT = 4 };
	pthread_t th[NT];
	struct worker w[NT];
	for (int i = 0; i < NT; i++) {
		int err;
		w[i] = (struct worker){ .idx = i };
		w[i].handed = rfcres_req_start(i % 2 ? "big.t" : "www.t", NULL,
					       NULL, &err);
		assert_non_null(w[i].handed);
		assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < NT; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].ok, 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_immediate),
		cmocka_unit_test(t_dns_same_as_sync),
		cmocka_unit_test(t_fds_change),
		cmocka_unit_test(t_result_early),
		cmocka_unit_test(t_cancel_states),
		cmocka_unit_test(t_poll_many),
		cmocka_unit_test(t_trace_context),
		cmocka_unit_test(t_threads),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
