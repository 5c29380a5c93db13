/*
 * Shared driver for the resolver benchmark programs (tests/bench).
 *
 * Every program (getaddrinfo, c-ares, bare exchange) supplies one function
 * that performs a single complete lookup; bench_main() does the rest:
 * argument parsing, warm-up, the measured loop (bounded in count AND time),
 * latency percentiles, heap counters, RSS, and one JSON line on stdout.
 * Keeping the loop in one place means every library is measured by the
 * same instructions around it.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stddef.h>

/* One complete lookup of `name`.  Returns 0 on success and stores the
 * number of addresses obtained in *naddr; otherwise a non-zero error code
 * (library specific) and a short description in err (size errlen). */
typedef int (*bench_lookup_fn)(void *ctx, const char *name, unsigned *naddr,
			       char *err, size_t errlen);

int bench_main(int argc, char **argv, const char *impl, bench_lookup_fn fn,
	       void *ctx);

#endif
