/*
 * Heap allocation counter for the benchmark.
 *
 * Two builds of the same file:
 *  - default: a shared object for LD_PRELOAD into glibc-linked programs.
 *    It defines malloc & co. and forwards to glibc's __libc_malloc & co.,
 *    which avoids the dlsym(RTLD_NEXT) bootstrap problem (dlsym itself
 *    allocates).  glibc routes its own internal allocations through the
 *    interposable names, so getaddrinfo's allocations inside libc count.
 *  - BENCH_MCOUNT_WRAP: linked into static (musl) programs together with
 *    -Wl,--wrap=malloc,--wrap=calloc,... so that every reference in the
 *    program AND in libc.a goes through the __wrap_ hooks.  musl's calloc
 *    and aligned_alloc call malloc internally; a per-thread depth counter
 *    makes sure one user-visible allocation is counted once.
 */
#include <errno.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mcount.h"

#ifdef BENCH_MCOUNT_WRAP
#define HOOK(f) __wrap_##f
void *__real_malloc(size_t n);
void *__real_calloc(size_t m, size_t n);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__real_aligned_alloc(size_t a, size_t n);
int __real_posix_memalign(void **pp, size_t a, size_t n);
#define REAL_MALLOC __real_malloc
#define REAL_CALLOC __real_calloc
#define REAL_REALLOC __real_realloc
#define REAL_FREE __real_free
#define REAL_MEMALIGN(a, n) __real_aligned_alloc(a, n)
#else
#define HOOK(f) f
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t m, size_t n);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);
void *__libc_memalign(size_t a, size_t n);
#define REAL_MALLOC __libc_malloc
#define REAL_CALLOC __libc_calloc
#define REAL_REALLOC __libc_realloc
#define REAL_FREE __libc_free
#define REAL_MEMALIGN(a, n) __libc_memalign(a, n)
#define EXPORT __attribute__((visibility("default")))
#endif
#ifndef EXPORT
#define EXPORT
#endif

static atomic_ulong n_allocs, n_frees, n_bytes;
static atomic_long live_bytes, live_blocks;
static _Thread_local int depth;

static void note_alloc(void *p, size_t req)
{
	if (!p || depth > 1)
		return;
	atomic_fetch_add_explicit(&n_allocs, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&n_bytes, req, memory_order_relaxed);
	atomic_fetch_add_explicit(&live_bytes, (long)malloc_usable_size(p),
				  memory_order_relaxed);
	atomic_fetch_add_explicit(&live_blocks, 1, memory_order_relaxed);
}

static void note_free(void *p)
{
	if (!p || depth > 1)
		return;
	atomic_fetch_add_explicit(&n_frees, 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&live_bytes, (long)malloc_usable_size(p),
				  memory_order_relaxed);
	atomic_fetch_sub_explicit(&live_blocks, 1, memory_order_relaxed);
}

EXPORT void *HOOK(malloc)(size_t n)
{
	depth++;
	void *p = REAL_MALLOC(n);
	note_alloc(p, n);
	depth--;
	return p;
}

EXPORT void *HOOK(calloc)(size_t m, size_t n)
{
	depth++;
	void *p = REAL_CALLOC(m, n);
	note_alloc(p, m * n);
	depth--;
	return p;
}

EXPORT void *HOOK(realloc)(void *old, size_t n)
{
	depth++;
	note_free(old);
	void *p = REAL_REALLOC(old, n);
	if (!p && old && n) {
		/* Failed realloc keeps the old block: re-count it. */
		note_alloc(old, 0);
		atomic_fetch_sub_explicit(&n_allocs, 1, memory_order_relaxed);
		atomic_fetch_sub_explicit(&n_frees, 1, memory_order_relaxed);
	} else {
		note_alloc(p, n);
	}
	depth--;
	return p;
}

EXPORT void HOOK(free)(void *p)
{
	depth++;
	note_free(p);
	REAL_FREE(p);
	depth--;
}

EXPORT void *HOOK(aligned_alloc)(size_t a, size_t n)
{
	depth++;
	void *p = REAL_MEMALIGN(a, n);
	note_alloc(p, n);
	depth--;
	return p;
}

EXPORT int HOOK(posix_memalign)(void **pp, size_t a, size_t n)
{
	if (a < sizeof(void *) || (a & (a - 1)))
		return EINVAL;
	depth++;
	void *p = REAL_MEMALIGN(a, n);
	note_alloc(p, n);
	depth--;
	if (!p)
		return ENOMEM;
	*pp = p;
	return 0;
}

#ifndef BENCH_MCOUNT_WRAP
EXPORT void *memalign(size_t a, size_t n)
{
	depth++;
	void *p = __libc_memalign(a, n);
	note_alloc(p, n);
	depth--;
	return p;
}

/* glibc's reallocarray calls its internal realloc, bypassing the hook. */
EXPORT void *reallocarray(void *old, size_t m, size_t n)
{
	if (n && m > SIZE_MAX / n) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(old, m * n);
}
#endif

EXPORT void bench_mcount_get(struct bench_mcount *out)
{
	out->allocs = atomic_load(&n_allocs);
	out->frees = atomic_load(&n_frees);
	out->bytes = atomic_load(&n_bytes);
	out->live_bytes = atomic_load(&live_bytes);
	out->live_blocks = atomic_load(&live_blocks);
}
