/*
 * Measurement driver shared by all benchmark programs; see bench_common.h.
 *
 * Usage: PROG [-n COUNT] [-t SECONDS] [-w WARMUP] [-G] [-c CASE] NAME...
 *   -n  maximum number of measured lookups (default 1000, at most 2000000)
 *   -t  maximum measured time in seconds (default 1; the loop stops at
 *       whichever bound comes first)
 *   -w  warm-up lookups before measuring (default 20)
 *   -G  growth check: report RSS and live heap before and after the loop
 *   -c  case label copied into the JSON output
 * NAME is the name to look up (the bare-exchange program takes several:
 * the sequence of names it queries, e.g. search-list candidates).
 *
 * The measured loop is bench_measured_loop(): valgrind --tool=callgrind
 * --toggle-collect=bench_measured_loop counts only its instructions.  It
 * is bracketed by two marker syscalls, write(-1, "BENCH_BEGIN"...) and
 * write(-1, "BENCH_END"...), so an strace log can be cut to the loop.
 */
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench_common.h"
#include "mcount.h"

#define MAX_COUNT 2000000UL

struct loop_result {
	unsigned long done;
	unsigned long errors;
	int last_err;
	char last_errstr[128];
	unsigned naddr_first;
	unsigned naddr_min;
	unsigned naddr_max;
	double elapsed;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bench_mcount_get_fn find_mcount(void)
{
#ifdef BENCH_MCOUNT_LINKED
	return bench_mcount_get;
#else
	bench_mcount_get_fn fn;
	void *sym = dlsym(RTLD_DEFAULT, "bench_mcount_get");

	memcpy(&fn, &sym, sizeof(fn));
	return fn;
#endif
}

static long rss_kb(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
		resident = -1;
	fclose(f);
	return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static void marker(const char *what)
{
	/* Deliberately failing write: visible in strace, harmless. */
	ssize_t r = write(-1, what, strlen(what));

	(void)r;
}

/* noinline + a stable name: callgrind's --toggle-collect needs it. */
__attribute__((noinline)) void
bench_measured_loop(bench_lookup_fn fn, void *ctx, const char *name,
		    unsigned long count, uint64_t limit_ns, uint64_t *lat,
		    struct loop_result *r);

__attribute__((noinline)) void
bench_measured_loop(bench_lookup_fn fn, void *ctx, const char *name,
		    unsigned long count, uint64_t limit_ns, uint64_t *lat,
		    struct loop_result *r)
{
	uint64_t start = now_ns(), t0 = start, t1 = start;
	unsigned long i;

	for (i = 0; i < count; i++) {
		unsigned naddr = 0;
		char err[128];
		int rc;

		err[0] = '\0';
		rc = fn(ctx, name, &naddr, err, sizeof(err));
		t1 = now_ns();
		lat[i] = t1 - t0;
		t0 = t1;
		if (rc) {
			r->errors++;
			r->last_err = rc;
			snprintf(r->last_errstr, sizeof(r->last_errstr), "%s", err);
			naddr = 0;
		}
		if (i == 0) {
			r->naddr_first = r->naddr_min = r->naddr_max = naddr;
		} else {
			if (naddr < r->naddr_min)
				r->naddr_min = naddr;
			if (naddr > r->naddr_max)
				r->naddr_max = naddr;
		}
		if (t1 - start >= limit_ns) {
			i++;
			break;
		}
	}
	r->done = i;
	r->elapsed = (double)(t1 - start) / 1e9;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double pct_us(const uint64_t *sorted, unsigned long n, double p)
{
	unsigned long idx;

	if (!n)
		return 0;
	/* Nearest-rank percentile. */
	idx = (unsigned long)(p / 100.0 * (double)n + 0.999999);
	if (idx < 1)
		idx = 1;
	if (idx > n)
		idx = n;
	return (double)sorted[idx - 1] / 1000.0;
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-n COUNT] [-t SECONDS] [-w WARMUP] [-G] [-c CASE] NAME\n",
		prog);
}

int bench_main(int argc, char **argv, const char *impl, bench_lookup_fn fn,
	       void *ctx)
{
	unsigned long count = 1000, warmup = 20, i;
	double seconds = 1.0;
	const char *label = "";
	int growth = 0, opt;
	struct loop_result r;
	struct bench_mcount m0, m1;
	bench_mcount_get_fn mget;
	long rss0, rss1;
	uint64_t *lat;
	struct rusage ru;

	while ((opt = getopt(argc, argv, "n:t:w:Gc:")) != -1) {
		switch (opt) {
		case 'n':
			count = strtoul(optarg, NULL, 10);
			break;
		case 't':
			seconds = strtod(optarg, NULL);
			break;
		case 'w':
			warmup = strtoul(optarg, NULL, 10);
			break;
		case 'G':
			growth = 1;
			break;
		case 'c':
			label = optarg;
			break;
		default:
			usage(argv[0]);
			return 2;
		}
	}
	if (optind >= argc || count == 0 || count > MAX_COUNT || warmup > MAX_COUNT ||
	    !(seconds > 0 && seconds <= 600)) {
		usage(argv[0]);
		return 2;
	}

	lat = calloc(count, sizeof(*lat));
	if (!lat) {
		perror("calloc");
		return 1;
	}
	/* Touch every page now so the loop's RSS is not the array's. */
	memset(lat, 0xff, count * sizeof(*lat));

	memset(&r, 0, sizeof(r));
	for (i = 0; i < warmup; i++) {
		unsigned naddr;
		char err[128];

		fn(ctx, argv[optind], &naddr, err, sizeof(err));
	}

	mget = find_mcount();
	memset(&m0, 0, sizeof(m0));
	memset(&m1, 0, sizeof(m1));
	rss0 = rss_kb();
	if (mget)
		mget(&m0);
	marker("BENCH_BEGIN");
	bench_measured_loop(fn, ctx, argv[optind], count,
			    (uint64_t)(seconds * 1e9), lat, &r);
	marker("BENCH_END");
	if (mget)
		mget(&m1);
	rss1 = rss_kb();
	getrusage(RUSAGE_SELF, &ru);

	qsort(lat, r.done, sizeof(*lat), cmp_u64);

	printf("{\"impl\":");
	json_str(impl);
	printf(",\"case\":");
	json_str(label);
	printf(",\"name\":");
	json_str(argv[optind]);
	printf(",\"lookups\":%lu,\"errors\":%lu,\"last_err\":%d,\"last_errstr\":",
	       r.done, r.errors, r.last_err);
	json_str(r.last_errstr);
	printf(",\"naddr\":%u,\"naddr_min\":%u,\"naddr_max\":%u", r.naddr_first,
	       r.naddr_min, r.naddr_max);
	printf(",\"elapsed_s\":%.6f,\"lps\":%.1f", r.elapsed,
	       r.elapsed > 0 ? (double)r.done / r.elapsed : 0.0);
	printf(",\"min_us\":%.2f,\"p50_us\":%.2f,\"p90_us\":%.2f,\"p99_us\":%.2f,\"max_us\":%.2f",
	       pct_us(lat, r.done, 0), pct_us(lat, r.done, 50),
	       pct_us(lat, r.done, 90), pct_us(lat, r.done, 99),
	       pct_us(lat, r.done, 100));
	printf(",\"maxrss_kb\":%ld", ru.ru_maxrss);
	if (mget && r.done)
		printf(",\"heap\":{\"allocs_per_lookup\":%.3f,\"bytes_per_lookup\":%.1f,"
		       "\"frees_per_lookup\":%.3f,\"live_bytes_before\":%ld,"
		       "\"live_bytes_after\":%ld,\"live_blocks_before\":%ld,"
		       "\"live_blocks_after\":%ld}",
		       (double)(m1.allocs - m0.allocs) / (double)r.done,
		       (double)(m1.bytes - m0.bytes) / (double)r.done,
		       (double)(m1.frees - m0.frees) / (double)r.done,
		       m0.live_bytes, m1.live_bytes, m0.live_blocks,
		       m1.live_blocks);
	else
		printf(",\"heap\":null");
	if (growth)
		printf(",\"growth\":{\"rss_before_kb\":%ld,\"rss_after_kb\":%ld}",
		       rss0, rss1);
	printf("}\n");
	fflush(stdout);
	free(lat);
	return r.errors == r.done ? 3 : 0;
}
