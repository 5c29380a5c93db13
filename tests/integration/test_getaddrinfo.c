/*
 * getaddrinfo end to end against the fault-injecting server on loopback:
 * the seed scenarios that need the whole library (config reload, TC -> TCP,
 * bounded TCP).  Hang bounds only, never speed assertions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <cmocka.h>

#include "fakedns.h"
#include "rfcres.h"

static char dir[64], resolv[128], hosts[128];

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Atomically replaces resolv.conf (rename over it, as editors and
 * configuration managers do). */
static void write_resolv(const char *body)
{
	char tmp[160];
	snprintf(tmp, sizeof tmp, "%s.tmp", resolv);
	FILE *f = fopen(tmp, "w");
	assert_non_null(f);
	fputs(body, f);
	fclose(f);
	assert_int_equal(rename(tmp, resolv), 0);
}

static void point_at(const struct fakedns *a, const struct fakedns *b,
		     const char *opts)
{
	char body[512];
	int n = snprintf(body, sizeof body, "nameserver 127.0.0.1:%u\n",
			 fakedns_port(a));
	if (b)
		n += snprintf(body + n, sizeof body - (size_t)n,
			      "nameserver 127.0.0.1:%u\n", fakedns_port(b));
	snprintf(body + n, sizeof body - (size_t)n, "options %s\n", opts);
	write_resolv(body);
}

static struct fakedns *server(void)
{
	struct fakedns_opts o = {.listen = {"127.0.0.1:0"}};
	struct fakedns *s = fakedns_start(&o);
	assert_non_null(s);
	assert_int_equal(fakedns_load_zone_text(s,
		"www.t A 192.0.2.1\n"
		"www.t AAAA 2001:db8::1\n"
		"big.t A 10.0.0.1-256\n"
		"only.search.t A 192.0.2.7\n"), 0);
	return s;
}

static int count(const struct addrinfo *ai)
{
	int n = 0;
	for (; ai; ai = ai->ai_next)
		n++;
	return n;
}

static int lookup(const char *name, int family, int *n)
{
	struct addrinfo hints = {.ai_family = family,
				 .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	int rc = rfcres_getaddrinfo(name, "80", &hints, &res);
	*n = rc ? 0 : count(res);
	if (!rc)
		rfcres_freeaddrinfo(res);
	return rc;
}

static int setup(void **st)
{
	(void)st;
	snprintf(dir, sizeof dir, "/tmp/rfcres-itest.XXXXXX");
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
	setenv("RFCRES_NSSWITCH_CONF", "/nonexistent/nsswitch.conf", 1);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	unlink(resolv);
	unlink(hosts);
	rmdir(dir);
	return 0;
}

/* Seed 002: 256 A records do not fit in 512 bytes; the TC reply is retried
 * over TCP and every address comes back. */
static void t_seed002_tc_tcp(void **st)
{
	(void)st;
	struct fakedns *s = server();
	fakedns_set(s, "big.t", FAKEDNS_TRUNCATE, 512);
	point_at(s, NULL, "timeout:2 attempts:1");
	int n;
	assert_int_equal(lookup("big.t", AF_INET, &n), 0);
	assert_int_equal(n, 256);
	struct fakedns_counters c;
	fakedns_counters(s, &c);
	assert_true(c.truncated >= 1);
	assert_true(c.tcp_queries >= 1);
	fakedns_stop(s);
}

/* Seed 004: the first server truncates and its TCP is accepted but silent
 * (or refused); the lookup moves on to the second server well inside
 * timeout x attempts x servers.  A single such server fails with
 * EAI_AGAIN inside the same bound instead of hanging for minutes. */
static void t_seed004_silent_tcp(void **st)
{
	(void)st;
	struct fakedns *bad = server(), *good = server();
	fakedns_set(bad, "big.t", FAKEDNS_TRUNCATE, 512);
	fakedns_set(bad, "big.t", FAKEDNS_TCP_SILENT, 0);
	fakedns_set(good, "big.t", FAKEDNS_TRUNCATE, 512);
	point_at(bad, good, "timeout:1 attempts:2");
	int n;
	double t0 = now_s();
	assert_int_equal(lookup("big.t", AF_INET, &n), 0);
	assert_int_equal(n, 256);
	assert_true(now_s() - t0 < 1.0 * 2 * 2 + 2);

	point_at(bad, NULL, "timeout:1 attempts:2");
	t0 = now_s();
	assert_int_equal(lookup("big.t", AF_INET, &n), EAI_AGAIN);
	assert_true(now_s() - t0 < 1.0 * 2 * 1 + 2);

	fakedns_set(bad, "big.t", FAKEDNS_TCP_REFUSED, 0);
	point_at(bad, good, "timeout:1 attempts:1");
	assert_int_equal(lookup("big.t", AF_INET, &n), 0);
	assert_int_equal(n, 256);
	fakedns_stop(bad);
	fakedns_stop(good);
}

/* Seed 001: the configured server dies (here: first it breaks parallel
 * A+AAAA queries so the single-request fallback engages, then it stops
 * answering); resolv.conf is replaced with a working server and the very
 * next lookup uses it, in the same process. */
static void t_seed001_reload(void **st)
{
	(void)st;
	struct fakedns *dead = server(), *alive = server();
	fakedns_set(dead, "*", FAKEDNS_A_ONLY_PARALLEL, 50);
	point_at(dead, NULL, "timeout:1 attempts:1");
	int n;
	(void)lookup("www.t", AF_UNSPEC, &n); /* learns single-request */
	fakedns_set(dead, "*", FAKEDNS_DROP_ALL, 0);
	assert_int_equal(lookup("www.t", AF_UNSPEC, &n), EAI_AGAIN);

	point_at(alive, NULL, "timeout:1 attempts:1");
	fakedns_reset_counters(alive);
	assert_int_equal(lookup("www.t", AF_UNSPEC, &n), 0);
	assert_int_equal(n, 2);
	struct fakedns_counters c;
	fakedns_counters(alive, &c);
	assert_true(c.queries >= 2); /* answered by the new server */
	fakedns_stop(dead);
	fakedns_stop(alive);
}

/* Search list and ndots through getaddrinfo; localhost never hits DNS. */
static void t_search_and_localhost(void **st)
{
	(void)st;
	struct fakedns *s = server();
	char body[256];
	snprintf(body, sizeof body,
		 "nameserver 127.0.0.1:%u\nsearch nothere.t search.t\n"
		 "options timeout:1 attempts:1\n", fakedns_port(s));
	write_resolv(body);
	int n;
	assert_int_equal(lookup("only", AF_INET, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(lookup("nosuchname", AF_INET, &n), EAI_NONAME);
	fakedns_reset_counters(s);
	assert_int_equal(lookup("foo.localhost", AF_UNSPEC, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(lookup("localhost", AF_INET, &n), 0);
	assert_int_equal(n, 1);
	struct fakedns_counters c;
	fakedns_counters(s, &c);
	assert_int_equal(c.queries, 0);
	fakedns_stop(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_seed002_tc_tcp),
		cmocka_unit_test(t_seed004_silent_tcp),
		cmocka_unit_test(t_seed001_reload),
		cmocka_unit_test(t_search_and_localhost),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
