/*
 * Heap allocation counter shared by malloc_count.c and the bench programs.
 * Dynamic programs find bench_mcount_get() with dlsym() when
 * libbench_mcount.so is LD_PRELOADed; static (musl) programs are linked
 * with malloc_count.c and -Wl,--wrap=malloc,... (BENCH_MCOUNT_LINKED).
 */
#ifndef BENCH_MCOUNT_H
#define BENCH_MCOUNT_H

struct bench_mcount {
	unsigned long allocs;     /* malloc/calloc/realloc/memalign calls that returned memory */
	unsigned long frees;      /* free() of a non-NULL pointer */
	unsigned long bytes;      /* bytes requested by those calls */
	long live_bytes;          /* usable bytes currently allocated through the hooks */
	long live_blocks;         /* blocks currently allocated through the hooks */
};

typedef void (*bench_mcount_get_fn)(struct bench_mcount *out);
void bench_mcount_get(struct bench_mcount *out);

#endif
