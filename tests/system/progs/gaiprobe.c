/*
 * gaiprobe: calls getaddrinfo() the way the seed applications did and
 * prints one line per lookup, for the system tests in tests/system/.
 *
 * The same source is run as-is (glibc), with LD_PRELOAD=librfcres.so
 * (librfcres), linked statically with musl, or statically with musl and
 * librfcres.a (-DPROBE_STATIC_RFCRES).  The first line names the
 * implementation that actually answered, so a test can check that the
 * preload took effect.
 *
 * usage: gaiprobe [-4|-6] [-A] [-S] [-n COUNT] [-i INTERVAL_MS]
 *                 [-d DURATION_MS] [-m MAXPRINT] NAME [SERVICE]
 *   -4/-6  ai_family AF_INET / AF_INET6 (default AF_UNSPEC)
 *   -A     AI_ADDRCONFIG
 *   -S     ai_socktype 0 (default SOCK_STREAM: one entry per address)
 *   -n     number of lookups (default 1)
 *   -i     pause between lookups in ms (default 0)
 *   -d     keep looking up until DURATION_MS have passed (overrides -n)
 *   -m     print at most MAXPRINT addresses per lookup (default 64)
 *
 * Output:
 *   impl=glibc-2.36 | impl=librfcres-0.1.0 | impl=musl | impl=librfcres-musl
 *   lookup=<i> start_ms=<epoch ms> dt_ms=<ms> ok n=<N> ADDR ... [+K more]
 *   lookup=<i> start_ms=<epoch ms> dt_ms=<ms> err=<EAI_X> (<gai_strerror>)
 * Exit status: 0 if the last lookup succeeded, 1 if it failed, 2 on usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <gnu/libc-version.h>
#endif

#ifdef PROBE_STATIC_RFCRES
const char *rfcres_version(void);
#elif defined(__GLIBC__)
/* Resolved by ld.so only when librfcres.so is preloaded. */
extern const char *rfcres_version(void) __attribute__((weak));
#endif

struct opts {
	int family, flags, socktype;
	long count, interval_ms, duration_ms, maxprint;
	const char *name, *service;
};

static long long now_ms(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

static const char *eai_name(int rc)
{
	switch (rc) {
	case EAI_AGAIN: return "EAI_AGAIN";
	case EAI_BADFLAGS: return "EAI_BADFLAGS";
	case EAI_FAIL: return "EAI_FAIL";
	case EAI_FAMILY: return "EAI_FAMILY";
	case EAI_MEMORY: return "EAI_MEMORY";
	case EAI_NONAME: return "EAI_NONAME";
	case EAI_SERVICE: return "EAI_SERVICE";
	case EAI_SOCKTYPE: return "EAI_SOCKTYPE";
	case EAI_SYSTEM: return "EAI_SYSTEM";
	case EAI_OVERFLOW: return "EAI_OVERFLOW";
#ifdef EAI_NODATA
	case EAI_NODATA: return "EAI_NODATA";
#endif
#ifdef EAI_ADDRFAMILY
	case EAI_ADDRFAMILY: return "EAI_ADDRFAMILY";
#endif
	default: return "EAI_UNKNOWN";
	}
}

static void print_impl(void)
{
#if defined(PROBE_STATIC_RFCRES)
	printf("impl=librfcres-musl-%s\n", rfcres_version());
#elif defined(__GLIBC__)
	if (rfcres_version)
		printf("impl=librfcres-%s\n", rfcres_version());
	else
		printf("impl=glibc-%s\n", gnu_get_libc_version());
#else
	printf("impl=musl\n");
#endif
}

static void print_addrs(const struct addrinfo *res, long maxprint)
{
	const struct addrinfo *a;
	char buf[INET6_ADDRSTRLEN];
	long n = 0, shown = 0;

	for (a = res; a; a = a->ai_next)
		n++;
	printf(" ok n=%ld", n);
	for (a = res; a && shown < maxprint; a = a->ai_next, shown++) {
		const void *p = NULL;

		if (a->ai_family == AF_INET)
			p = &((const struct sockaddr_in *)a->ai_addr)->sin_addr;
		else if (a->ai_family == AF_INET6)
			p = &((const struct sockaddr_in6 *)a->ai_addr)->sin6_addr;
		if (!p || !inet_ntop(a->ai_family, p, buf, sizeof(buf)))
			snprintf(buf, sizeof(buf), "family%d", a->ai_family);
		printf(" %s", buf);
	}
	if (n > shown)
		printf(" +%ld more", n - shown);
}

static int one_lookup(const struct opts *o, long i)
{
	struct addrinfo hints, *res = NULL;
	long long wall = now_ms(CLOCK_REALTIME), t0 = now_ms(CLOCK_MONOTONIC);
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = o->family;
	hints.ai_flags = o->flags;
	hints.ai_socktype = o->socktype;
	rc = getaddrinfo(o->name, o->service, &hints, &res);
	printf("lookup=%ld start_ms=%lld dt_ms=%lld", i, wall,
	       now_ms(CLOCK_MONOTONIC) - t0);
	if (rc == 0) {
		print_addrs(res, o->maxprint);
		freeaddrinfo(res);
	} else {
		printf(" err=%s (%s)", eai_name(rc), gai_strerror(rc));
	}
	putchar('\n');
	fflush(stdout);
	return rc == 0 ? 0 : 1;
}

static int parse(int argc, char **argv, struct opts *o)
{
	int ch;

	*o = (struct opts){ .family = AF_UNSPEC, .socktype = SOCK_STREAM,
			    .count = 1, .maxprint = 64 };
	while ((ch = getopt(argc, argv, "46ASn:i:d:m:")) != -1) {
		switch (ch) {
		case '4': o->family = AF_INET; break;
		case '6': o->family = AF_INET6; break;
		case 'A': o->flags |= AI_ADDRCONFIG; break;
		case 'S': o->socktype = 0; break;
		case 'n': o->count = strtol(optarg, NULL, 10); break;
		case 'i': o->interval_ms = strtol(optarg, NULL, 10); break;
		case 'd': o->duration_ms = strtol(optarg, NULL, 10); break;
		case 'm': o->maxprint = strtol(optarg, NULL, 10); break;
		default: return -1;
		}
	}
	if (optind >= argc || argc - optind > 2 || o->count < 1 ||
	    o->count > 100000 || o->interval_ms < 0 || o->duration_ms < 0 ||
	    o->duration_ms > 600000 || o->maxprint < 0)
		return -1;
	o->name = argv[optind];
	o->service = optind + 1 < argc ? argv[optind + 1] : NULL;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	long long t0;
	long i;
	int rc = 1;

	if (parse(argc, argv, &o) < 0) {
		fputs("usage: gaiprobe [-4|-6] [-A] [-S] [-n COUNT] [-i MS] "
		      "[-d MS] [-m MAX] NAME [SERVICE]\n", stderr);
		return 2;
	}
	print_impl();
	fflush(stdout);
	t0 = now_ms(CLOCK_MONOTONIC);
	/* Bounded: -n at most 100000, -d at most 10 minutes. */
	for (i = 0; o.duration_ms ? now_ms(CLOCK_MONOTONIC) - t0 < o.duration_ms
				  : i < o.count; i++) {
		if (i > 0 && o.interval_ms)
			sleep_ms(o.interval_ms);
		rc = one_lookup(&o, i);
	}
	return rc;
}
