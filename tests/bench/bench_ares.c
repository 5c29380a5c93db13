/*
 * c-ares benchmark: ares_getaddrinfo() driven to completion with the
 * program's own poll() loop over ares_getsock()/ares_timeout(), one
 * channel for the whole run (the way c-ares is meant to be used; it reads
 * /etc/resolv.conf and /etc/hosts through the benchmark's mount namespace).
 */
#include <ares.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "bench_common.h"

/* Bounds for one lookup: no loop here may run forever. */
#define MAX_ITER 100000
#define MAX_MS 30000

struct ares_ctx {
	ares_channel ch;
};

struct pending {
	int done;
	int status;
	unsigned naddr;
};

static void on_result(void *arg, int status, int timeouts,
		      struct ares_addrinfo *res)
{
	struct pending *p = arg;
	struct ares_addrinfo_node *n;

	(void)timeouts;
	p->done = 1;
	p->status = status;
	if (res) {
		for (n = res->nodes; n; n = n->ai_next)
			p->naddr++;
		ares_freeaddrinfo(res);
	}
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static int ares_lookup(void *vctx, const char *name, unsigned *naddr, char *err,
		       size_t errlen)
{
	struct ares_ctx *ctx = vctx;
	struct ares_addrinfo_hints hints;
	struct pending p = { 0, 0, 0 };
	struct timespec t0;
	int iter;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ares_getaddrinfo(ctx->ch, name, NULL, &hints, on_result, &p);
	for (iter = 0; !p.done && iter < MAX_ITER && ms_since(&t0) < MAX_MS; iter++) {
		ares_socket_t socks[ARES_GETSOCK_MAXNUM];
		struct pollfd pfd[ARES_GETSOCK_MAXNUM];
		struct timeval tv, *tvp;
		int bits, i, nfd = 0, ms, rc;

		bits = ares_getsock(ctx->ch, socks, ARES_GETSOCK_MAXNUM);
		for (i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
			short ev = 0;

			if (ARES_GETSOCK_READABLE(bits, i))
				ev |= POLLIN;
			if (ARES_GETSOCK_WRITABLE(bits, i))
				ev |= POLLOUT;
			if (!ev)
				continue;
			pfd[nfd].fd = socks[i];
			pfd[nfd].events = ev;
			pfd[nfd].revents = 0;
			nfd++;
		}
		tvp = ares_timeout(ctx->ch, NULL, &tv);
		ms = tvp ? (int)(tvp->tv_sec * 1000 + (tvp->tv_usec + 999) / 1000) : 1000;
		rc = poll(pfd, (nfds_t)nfd, ms);
		if (rc <= 0) {
			ares_process_fd(ctx->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
			continue;
		}
		for (i = 0; i < nfd; i++) {
			short re = pfd[i].revents;

			if (!re)
				continue;
			ares_process_fd(ctx->ch,
					(re & (POLLIN | POLLERR | POLLHUP)) ? pfd[i].fd : ARES_SOCKET_BAD,
					(re & POLLOUT) ? pfd[i].fd : ARES_SOCKET_BAD);
		}
	}
	if (!p.done) {
		/* Bound hit: cancel so the callback runs before p goes away. */
		ares_cancel(ctx->ch);
		snprintf(err, errlen, "bound reached");
		return -1000;
	}
	if (p.status != ARES_SUCCESS) {
		snprintf(err, errlen, "%s", ares_strerror(p.status));
		return p.status;
	}
	*naddr = p.naddr;
	return 0;
}

int main(int argc, char **argv)
{
	struct ares_ctx ctx;
	int rc;

	rc = ares_library_init(ARES_LIB_INIT_ALL);
	if (rc != ARES_SUCCESS) {
		fprintf(stderr, "ares_library_init: %s\n", ares_strerror(rc));
		return 1;
	}
	rc = ares_init(&ctx.ch);
	if (rc != ARES_SUCCESS) {
		fprintf(stderr, "ares_init: %s\n", ares_strerror(rc));
		return 1;
	}
	rc = bench_main(argc, argv, "c-ares", ares_lookup, &ctx);
	ares_destroy(ctx.ch);
	ares_library_cleanup();
	return rc;
}
