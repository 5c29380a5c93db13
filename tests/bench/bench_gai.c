/*
 * getaddrinfo benchmark: one source, built three ways by run.sh —
 * linked normally (glibc), linked with -lrfcres before libc (librfcres),
 * and with musl-gcc -static (musl; also librfcres.a + musl).
 * Hints: AF_UNSPEC, SOCK_STREAM, no flags — one entry per address, both
 * families queried, the library's own destination sorting applies.
 */
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "bench_common.h"

#ifndef BENCH_IMPL
#define BENCH_IMPL "getaddrinfo"
#endif

static int gai_lookup(void *ctx, const char *name, unsigned *naddr, char *err,
		      size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	unsigned n = 0;
	int rc;

	(void)ctx;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(name, NULL, &hints, &res);
	if (rc) {
		snprintf(err, errlen, "%s", gai_strerror(rc));
		return rc;
	}
	for (ai = res; ai; ai = ai->ai_next)
		n++;
	freeaddrinfo(res);
	*naddr = n;
	return 0;
}

int main(int argc, char **argv)
{
	return bench_main(argc, argv, BENCH_IMPL, gai_lookup, NULL);
}
