/*
 * librfcres-event on one event_base against fakedns on loopback: 1,000
 * concurrent lookups with mixed server behaviour give exactly the answers
 * of the synchronous call; callbacks are never run inside the start call;
 * cancellation (before I/O, in flight, at random moments, from other
 * callbacks, of a queued completion) never runs the callback and never
 * leaks a descriptor.  Hang bounds only, never speed assertions.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <event2/event.h>

#include "rfcres-event.h"
#include "test_async_common.h"

/* attempts:2 so that a query the in-process server drops under a burst of
 * 2,000 datagrams is retried rather than turned into a spurious
 * EAI_AGAIN; timeout:1 keeps the failing cases near 2 s. */
#define OPTS "timeout:1 attempts:2"

static struct fakedns *srv;
static struct event_base *base;

static int setup(void **st)
{
	(void)st;
	if (t_env_setup())
		return -1;
	srv = t_server();
	if (!srv || t_point_at(srv, OPTS))
		return -1;
	char b[256];
	t_sync("www.t", "80", NULL, b, sizeof b); /* warm-up */
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	fakedns_stop(srv);
	t_env_teardown();
	return 0;
}

static int per_test_setup(void **st)
{
	(void)st;
	base = event_base_new();
	return base ? 0 : -1;
}

static int per_test_teardown(void **st)
{
	(void)st;
	event_base_free(base);
	base = NULL;
	return 0;
}

static void on_hang(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(int *)arg = 1;
	event_base_loopbreak(base);
}

/* Runs the loop until it has nothing left or `bound` seconds pass
 * (returns false then). */
static bool run_loop(int bound)
{
	int hung = 0;
	struct event *t = evtimer_new(base, on_hang, &hung);
	struct timeval tv = { .tv_sec = bound };
	evtimer_add(t, &tv);
	/* the hang timer itself keeps the loop alive: loopexit from the
	 * callbacks when their work is done */
	event_base_dispatch(base);
	event_free(t);
	return !hung;
}

/* ---- 1,000 concurrent lookups ------------------------------------------- */

enum { NLOOK = 1000 };

struct slot {
	char name[32];
	struct addrinfo hints;
	char *got;
	int calls;
};
static struct slot slots[NLOOK];
static int pending;

static void on_done(int err, struct addrinfo *res, void *arg)
{
	struct slot *s = arg;
	char b[8192];
	t_render(err, res, b, sizeof b);
	rfcres_freeaddrinfo(res);
	s->calls++;
	s->got = strdup(b);
	if (--pending == 0)
		event_base_loopexit(base, NULL);
}

static void pick(int i, struct slot *s)
{
	static const int fam[3] = { AF_UNSPEC, AF_INET, AF_INET6 };
	memset(s, 0, sizeof *s);
	s->hints.ai_socktype = SOCK_STREAM;
	s->hints.ai_family = fam[i % 3];
	if (i % 50 == 0) {
		snprintf(s->name, sizeof s->name, "192.0.2.%d", i / 50);
		return;
	}
	if (i % 50 == 25) {
		snprintf(s->name, sizeof s->name, "hostsname.t");
		return;
	}
	switch (i % 10) {
	case 5:
	case 6:
		snprintf(s->name, sizeof s->name, "big.t");
		if (s->hints.ai_family == AF_INET6)
			s->hints.ai_flags = AI_V4MAPPED;
		break;
	case 7:
		snprintf(s->name, sizeof s->name, "sf.t");
		break;
	case 8:
		snprintf(s->name, sizeof s->name, "silent.t");
		s->hints.ai_family = AF_INET;
		break;
	case 9:
		snprintf(s->name, sizeof s->name, "drop.t");
		s->hints.ai_family = AF_INET;
		break;
	default:
		snprintf(s->name, sizeof s->name, "n%d.t", (i * 7) % NNAMES);
		s->hints.ai_flags = i % 4 == 1 ? AI_CANONNAME : 0;
	}
}

static void t_thousand_mixed(void **st)
{
	(void)st;
	int fds0 = t_fds_base();
	struct rfcres_event_req *h[NLOOK];
	pending = NLOOK;
	double t0 = t_now();
	for (int i = 0; i < NLOOK; i++) {
		pick(i, &slots[i]);
		h[i] = rfcres_event_getaddrinfo(base, slots[i].name, "443",
						&slots[i].hints, on_done,
						&slots[i]);
		assert_non_null(h[i]);
		/* never inside the start call, even for 192.0.2.x */
		assert_int_equal(slots[i].calls, 0);
	}
	assert_true(run_loop(60));
	double took = t_now() - t0;
	assert_int_equal(pending, 0);
	print_message("1000 lookups on one event_base: %.2f s\n", took);
	assert_int_equal(t_fds_settle(fds0), fds0);

	/* the synchronous answer for each distinct question, once */
	for (int i = 0; i < NLOOK; i++) {
		assert_int_equal(slots[i].calls, 1);
		char want[8192];
		int j;
		for (j = 0; j < i; j++)
			if (strcmp(slots[j].name, slots[i].name) == 0 &&
			    slots[j].hints.ai_family == slots[i].hints.ai_family &&
			    slots[j].hints.ai_flags == slots[i].hints.ai_flags)
				break;
		if (j < i) {
			assert_string_equal(slots[i].got, slots[j].got);
			continue;
		}
		t_sync(slots[i].name, "443", &slots[i].hints, want, sizeof want);
		if (strcmp(slots[i].got, want) != 0)
			print_error("%s family %d: async '%.200s' sync '%.200s'\n",
				    slots[i].name, slots[i].hints.ai_family,
				    slots[i].got, want);
		assert_string_equal(slots[i].got, want);
	}
	for (int i = 0; i < NLOOK; i++)
		free(slots[i].got);
}

/* ---- deferral and cancellation ------------------------------------------ */

struct probe {
	int calls;
	int err;
	char got[4096];
	struct rfcres_event_req *self;
	struct rfcres_event_req *victims[4];
	int nvictims;
	struct probe *other;    /* race: cancel the other unless it ran */
	bool cancel_self;
	bool exit_loop;
};

static int live;

static void on_probe(int err, struct addrinfo *res, void *arg)
{
	struct probe *p = arg;
	p->calls++;
	p->err = err;
	t_render(err, res, p->got, sizeof p->got);
	rfcres_freeaddrinfo(res);
	for (int i = 0; i < p->nvictims; i++)
		rfcres_event_cancel(p->victims[i]);
	if (p->other && p->other->calls == 0) {
		rfcres_event_cancel(p->other->self);
		live--;
	}
	if (p->cancel_self)
		rfcres_event_cancel(p->self); /* no-op by contract */
	if (--live <= 0 || p->exit_loop)
		event_base_loopexit(base, NULL);
}

static struct rfcres_event_req *go(struct probe *p, const char *name,
				   int family)
{
	struct addrinfo h = { .ai_family = family, .ai_socktype = SOCK_STREAM };
	p->self = rfcres_event_getaddrinfo(base, name, "80", &h, on_probe, p);
	assert_non_null(p->self);
	live++;
	return p->self;
}

/* Immediate answers and immediate errors arrive from the loop. */
static void t_deferred(void **st)
{
	(void)st;
	struct probe a = { 0 }, b = { 0 }, c = { 0 };
	live = 0;
	go(&a, "192.0.2.7", AF_UNSPEC);
	go(&b, "localhost", AF_INET);
	struct addrinfo bad = { .ai_flags = 0x10000 };
	c.self = rfcres_event_getaddrinfo(base, "www.t", NULL, &bad, on_probe, &c);
	assert_non_null(c.self);
	live++;
	assert_int_equal(a.calls + b.calls + c.calls, 0);
	assert_true(run_loop(10));
	assert_int_equal(a.calls, 1);
	assert_int_equal(b.calls, 1);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.err, EAI_BADFLAGS);
	char want[4096];
	struct addrinfo h = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	t_sync("192.0.2.7", "80", &h, want, sizeof want);
	assert_string_equal(a.got, want);
	assert_null(rfcres_event_getaddrinfo(NULL, "x", NULL, NULL, on_probe, &a));
	assert_null(rfcres_event_getaddrinfo(base, "x", NULL, NULL, NULL, &a));
	rfcres_event_cancel(NULL);
}

/* Cancelled before the loop runs: a queued completion, and a DNS request
 * whose queries are already sent. */
static void t_cancel_before_loop(void **st)
{
	(void)st;
	int fds0 = t_fds_base();
	struct probe a = { 0 }, b = { 0 }, c = { .exit_loop = true };
	live = 0;
	rfcres_event_cancel(go(&a, "192.0.2.8", AF_UNSPEC));
	rfcres_event_cancel(go(&b, "www.t", AF_UNSPEC));
	go(&c, "slow.t", AF_INET); /* keeps the loop busy ~300 ms */
	assert_true(run_loop(10));
	assert_int_equal(a.calls, 0);
	assert_int_equal(b.calls, 0);
	assert_int_equal(c.calls, 1);
	assert_int_equal(t_fds_settle(fds0), fds0);
}

/* From inside a callback: cancel a running DNS request and a request whose
 * completion is queued behind this one; cancelling oneself is a no-op;
 * two racing requests each cancel the other, so exactly one completes. */
static void t_cancel_from_callback(void **st)
{
	(void)st;
	int fds0 = t_fds_base();
	struct probe a = { .cancel_self = true }, b = { 0 }, c = { 0 };
	struct probe tail = { .exit_loop = false };
	live = 0;
	go(&a, "192.0.2.9", AF_UNSPEC);
	a.victims[a.nvictims++] = go(&b, "drop.t", AF_INET);
	a.victims[a.nvictims++] = go(&c, "192.0.2.10", AF_UNSPEC);
	live -= 2;
	go(&tail, "slow.t", AF_INET);
	assert_true(run_loop(10));
	assert_int_equal(a.calls, 1);
	assert_int_equal(b.calls, 0);
	assert_int_equal(c.calls, 0);
	assert_int_equal(tail.calls, 1);

	for (int round = 0; round < 20; round++) {
		struct probe x = { 0 }, y = { 0 };
		x.other = &y;
		y.other = &x;
		live = 0;
		go(&x, round % 2 ? "www.t" : "192.0.2.11", AF_UNSPEC);
		go(&y, round % 3 ? "www.t" : "192.0.2.12", AF_UNSPEC);
		assert_true(run_loop(10));
		assert_int_equal(x.calls + y.calls, 1);
	}
	assert_int_equal(t_fds_settle(fds0), fds0);
}

/* Cancel at many moments of lookups in every state (UDP wait, TCP
 * connect, silent TCP, dripping TCP read, delayed answer, done). */
struct timed_cancel {
	struct rfcres_event_req *h;
	struct probe *p;
	struct event *ev;
};

static void on_cancel_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct timed_cancel *tc = arg;
	if (tc->p->calls == 0) {
		rfcres_event_cancel(tc->h);
		if (--live <= 0)
			event_base_loopexit(base, NULL);
	}
}

static void t_cancel_sweep(void **st)
{
	(void)st;
	static const char *names[] = { "silent.t", "drip.t", "big.t", "slow.t",
				       "drop.t", "www.t", "sf.t" };
	static const int ms[] = { 0, 1, 2, 3, 5, 8, 13, 30, 80, 150, 400, 900 };
	enum { NN = sizeof names / sizeof names[0], NM = sizeof ms / sizeof ms[0] };
	static struct probe p[NN * NM];
	static struct timed_cancel tc[NN * NM];
	int fds0 = t_fds_base();
	live = 0;
	memset(p, 0, sizeof p);
	for (int i = 0; i < NN * NM; i++) {
		tc[i].p = &p[i];
		tc[i].h = go(&p[i], names[i / NM], AF_INET);
		tc[i].ev = evtimer_new(base, on_cancel_timer, &tc[i]);
		struct timeval tv = { .tv_sec = ms[i % NM] / 1000,
				      .tv_usec = (ms[i % NM] % 1000) * 1000 };
		evtimer_add(tc[i].ev, &tv);
	}
	assert_true(run_loop(20));
	int completed = 0;
	for (int i = 0; i < NN * NM; i++) {
		assert_true(p[i].calls <= 1);
		completed += p[i].calls;
		event_free(tc[i].ev);
	}
	/* the never-answering ones can only have been cancelled */
	for (int i = 0; i < NM; i++)
		assert_int_equal(p[0 * NM + i].calls, 0);
	print_message("cancel sweep: %d of %d completed before their cancel\n",
		      completed, NN * NM);
	assert_int_equal(t_fds_settle(fds0), fds0);
}

/* A callback may start new lookups on the same base. */
static int chain_left;

static void on_chain(int err, struct addrinfo *res, void *arg)
{
	(void)arg;
	assert_int_equal(err, 0);
	rfcres_freeaddrinfo(res);
	if (--chain_left > 0) {
		char name[32];
		snprintf(name, sizeof name, "n%d.t", chain_left);
		assert_non_null(rfcres_event_getaddrinfo(base, name, NULL, NULL,
							 on_chain, NULL));
	} else {
		event_base_loopexit(base, NULL);
	}
}

static void t_chain(void **st)
{
	(void)st;
	chain_left = 30;
	assert_non_null(rfcres_event_getaddrinfo(base, "www.t", NULL, NULL,
						 on_chain, NULL));
	assert_true(run_loop(20));
	assert_int_equal(chain_left, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_deferred, per_test_setup, per_test_teardown),
		cmocka_unit_test_setup_teardown(t_cancel_before_loop, per_test_setup, per_test_teardown),
		cmocka_unit_test_setup_teardown(t_cancel_from_callback, per_test_setup, per_test_teardown),
		cmocka_unit_test_setup_teardown(t_cancel_sweep, per_test_setup, per_test_teardown),
		cmocka_unit_test_setup_teardown(t_chain, per_test_setup, per_test_teardown),
		cmocka_unit_test_setup_teardown(t_thousand_mixed, per_test_setup, per_test_teardown),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
