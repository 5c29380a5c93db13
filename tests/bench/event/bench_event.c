/*
 * Asynchronous resolvers side by side: the same N names, all started at
 * once (or W at a time), through librfcres-event, c-ares (ares_getaddrinfo)
 * and libevent's evdns (evdns_getaddrinfo), against one fakedns server on
 * loopback.  Libraries alternate per repetition; the median lookups/s of
 * each is printed, one JSON object per library.
 *
 *   bench_event --port P --names FILE --resolv FILE [--reps R] [--window W]
 *               [--only librfcres-event|c-ares|evdns]   (for profiling)
 *
 * Every library asks A and AAAA (AF_UNSPEC, SOCK_STREAM), timeout 1 s,
 * 2 attempts, one nameserver, no search list, no hosts file for c-ares
 * and evdns (librfcres reads the hosts file given by RFCRES_HOSTS, which
 * run.sh points at a one-line file).
 */
#include <ares.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/dns.h>
#include <event2/event.h>

#include "rfcres-event.h"

static char **names;
static int nnames, window = 1 << 30, next_name, outstanding;
static int n_ok, n_fail, n_addrs;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void count_result(int ok, int naddrs)
{
	if (ok) {
		n_ok++;
		n_addrs += naddrs;
	} else {
		n_fail++;
	}
	outstanding--;
}

/* ---- librfcres-event ----------------------------------------------------- */

static struct event_base *rbase;
static void rfcres_start_more(void);

static void rfcres_cb(int err, struct addrinfo *res, void *arg)
{
	(void)arg;
	int n = 0;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
		n++;
	rfcres_freeaddrinfo(res);
	count_result(err == 0, n);
	rfcres_start_more();
	if (outstanding == 0 && next_name == nnames)
		event_base_loopexit(rbase, NULL);
}

static void rfcres_start_more(void)
{
	struct addrinfo h = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	while (next_name < nnames && outstanding < window) {
		outstanding++;
		if (!rfcres_event_getaddrinfo(rbase, names[next_name++], NULL,
					      &h, rfcres_cb, NULL))
			count_result(0, 0);
	}
}

static double run_rfcres(void)
{
	rbase = event_base_new();
	double t0 = now_s();
	rfcres_start_more();
	if (outstanding)
		event_base_dispatch(rbase);
	double t = now_s() - t0;
	event_base_free(rbase);
	return t;
}

/* ---- c-ares (its own poll loop, as c-ares programs usually run) ----------- */

static ares_channel chan;
static void ares_start_more(void);

static void ares_cb(void *arg, int status, int timeouts,
		    struct ares_addrinfo *res)
{
	(void)arg;
	(void)timeouts;
	int n = 0;
	if (res)
		for (struct ares_addrinfo_node *a = res->nodes; a; a = a->ai_next)
			n++;
	ares_freeaddrinfo(res);
	count_result(status == ARES_SUCCESS, n);
	ares_start_more();
}

static void ares_start_more(void)
{
	struct ares_addrinfo_hints h = { .ai_family = AF_UNSPEC,
					 .ai_socktype = SOCK_STREAM };
	while (next_name < nnames && outstanding < window) {
		outstanding++;
		ares_getaddrinfo(chan, names[next_name++], NULL, &h, ares_cb,
				 NULL);
	}
}

static double run_ares(const char *resolv, int port)
{
	struct ares_options o = { 0 };
	o.timeout = 1000;
	o.tries = 2;
	o.ndots = 1;
	o.lookups = (char *)"b";
	o.resolvconf_path = (char *)resolv;
	int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_NDOTS |
		   ARES_OPT_LOOKUPS | ARES_OPT_RESOLVCONF | ARES_OPT_DOMAINS;
	if (ares_init_options(&chan, &o, mask) != ARES_SUCCESS) {
		fprintf(stderr, "bench_event: ares_init_options failed\n");
		exit(1);
	}
	char csv[64];
	snprintf(csv, sizeof csv, "127.0.0.1:%d", port);
	if (ares_set_servers_ports_csv(chan, csv) != ARES_SUCCESS) {
		fprintf(stderr, "bench_event: ares_set_servers_ports_csv failed\n");
		exit(1);
	}
	double t0 = now_s();
	ares_start_more();
	for (long guard = 0; outstanding > 0 && guard < 100000000L; guard++) {
		ares_socket_t socks[ARES_GETSOCK_MAXNUM];
		int bits = ares_getsock(chan, socks, ARES_GETSOCK_MAXNUM);
		struct pollfd pfd[ARES_GETSOCK_MAXNUM];
		int n = 0;
		for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
			short ev = (short)((ARES_GETSOCK_READABLE(bits, i) ? POLLIN : 0) |
					   (ARES_GETSOCK_WRITABLE(bits, i) ? POLLOUT : 0));
			if (ev)
				pfd[n++] = (struct pollfd){ .fd = socks[i], .events = ev };
		}
		struct timeval tv, *tvp = ares_timeout(chan, NULL, &tv);
		int ms = tvp ? (int)(tvp->tv_sec * 1000 + (tvp->tv_usec + 999) / 1000) : 1000;
		int r = poll(pfd, (nfds_t)n, ms);
		if (r <= 0) {
			ares_process_fd(chan, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
			continue;
		}
		for (int i = 0; i < n; i++)
			ares_process_fd(chan,
					(pfd[i].revents & (POLLIN | POLLERR | POLLHUP)) ? pfd[i].fd : ARES_SOCKET_BAD,
					(pfd[i].revents & POLLOUT) ? pfd[i].fd : ARES_SOCKET_BAD);
	}
	double t = now_s() - t0;
	ares_destroy(chan);
	return t;
}

/* ---- libevent evdns ------------------------------------------------------ */

static struct event_base *ebase;
static struct evdns_base *edns;
static void evdns_start_more(void);

static void evdns_cb(int err, struct evutil_addrinfo *res, void *arg)
{
	(void)arg;
	int n = 0;
	for (struct evutil_addrinfo *ai = res; ai; ai = ai->ai_next)
		n++;
	if (res)
		evutil_freeaddrinfo(res);
	count_result(err == 0, n);
	evdns_start_more();
	if (outstanding == 0 && next_name == nnames)
		event_base_loopexit(ebase, NULL);
}

static void evdns_start_more(void)
{
	struct evutil_addrinfo h = { .ai_family = AF_UNSPEC,
				     .ai_socktype = SOCK_STREAM };
	while (next_name < nnames && outstanding < window) {
		outstanding++;
		/* may call back at once (and then returns NULL) */
		evdns_getaddrinfo(edns, names[next_name++], NULL, &h, evdns_cb,
				  NULL);
	}
}

static double run_evdns(int port)
{
	ebase = event_base_new();
	edns = evdns_base_new(ebase, 0); /* no resolv.conf, no hosts */
	char ns[64], inflight[16];
	snprintf(ns, sizeof ns, "127.0.0.1:%d", port);
	snprintf(inflight, sizeof inflight, "%d", nnames);
	if (!edns || evdns_base_nameserver_ip_add(edns, ns) != 0 ||
	    evdns_base_set_option(edns, "timeout:", "1") ||
	    evdns_base_set_option(edns, "attempts:", "2") ||
	    evdns_base_set_option(edns, "max-inflight:", inflight)) {
		fprintf(stderr, "bench_event: evdns setup failed\n");
		exit(1);
	}
	double t0 = now_s();
	evdns_start_more();
	if (outstanding || next_name < nnames)
		event_base_dispatch(ebase);
	double t = now_s() - t0;
	evdns_base_free(edns, 0);
	event_base_free(ebase);
	return t;
}

/* ---- driver -------------------------------------------------------------- */

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *names_file = NULL, *resolv = NULL, *only = NULL;
	int port = 0, reps = 5;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--port"))
			port = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--names"))
			names_file = argv[i + 1];
		else if (!strcmp(argv[i], "--resolv"))
			resolv = argv[i + 1];
		else if (!strcmp(argv[i], "--reps"))
			reps = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--window"))
			window = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--only"))
			only = argv[i + 1];
	}
	if (!port || !names_file || !resolv || reps < 1 || reps > 100 || window < 1) {
		fprintf(stderr, "usage: bench_event --port P --names FILE "
				"--resolv FILE [--reps R] [--window W]\n");
		return 2;
	}
	FILE *f = fopen(names_file, "r");
	if (!f) {
		perror(names_file);
		return 1;
	}
	char line[256];
	names = calloc(100000, sizeof *names);
	while (nnames < 100000 && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0])
			names[nnames++] = strdup(line);
	}
	fclose(f);
	if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
		return 1;

	static const char *lib[3] = { "librfcres-event", "c-ares", "evdns" };
	double t[3][100];
	int fails[3] = { 0 }, addrs[3] = { 0 };
	for (int r = 0; r < reps; r++) {
		for (int k = 0; k < 3; k++) {
			int which = (k + r) % 3; /* rotate the order */
			if (only && strcmp(only, lib[which]) != 0)
				continue;
			next_name = outstanding = n_ok = n_fail = n_addrs = 0;
			double s = which == 0 ? run_rfcres()
				 : which == 1 ? run_ares(resolv, port)
					      : run_evdns(port);
			t[which][r] = s;
			fails[which] += n_fail;
			addrs[which] += n_addrs;
		}
	}
	for (int k = 0; k < 3; k++) {
		if (only && strcmp(only, lib[k]) != 0)
			continue;
		qsort(t[k], (size_t)reps, sizeof t[k][0], cmp_d);
		double med = t[k][reps / 2];
		printf("{\"lib\":\"%s\",\"names\":%d,\"window\":%d,\"reps\":%d,"
		       "\"median_s\":%.4f,\"min_s\":%.4f,\"lookups_per_s\":%.0f,"
		       "\"failed\":%d,\"addrs_per_lookup\":%.2f}\n",
		       lib[k], nnames, window < nnames ? window : nnames, reps,
		       med, t[k][0], nnames / med, fails[k],
		       (double)addrs[k] / ((double)nnames * reps));
	}
	ares_library_cleanup();
	for (int i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	return 0;
}
